/*
 * Unit tests for ssh-rand.c, which drops libssh's RAND_add of the time
 * of day on every accept: libcrypto's own reseeds the primary
 * generator (the premise), ours does not, and anything else still
 * reaches libcrypto.
 */

#include <sys/time.h>

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

typedef void (*add_fn)(const void *, int, double);

/* How often the primary generator has been reseeded. */
static unsigned int
reseeds(void)
{
	OSSL_PARAM	 p[2];
	unsigned int	 n = 0;

	p[0] = OSSL_PARAM_construct_uint(OSSL_DRBG_PARAM_RESEED_COUNTER, &n);
	p[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_RAND_CTX_get_params(RAND_get0_primary(NULL), p),
	    1);
	return (n);
}

/* As ssh_bind_accept_fd() ends (libssh's ssh_reseed). */
static void
libssh_reseed(add_fn add)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	add(&tv, sizeof tv, 0.0);
}

/* libcrypto's own reseeds: what the drop saves. */
static void
test_premise(void **state)
{
	add_fn		 real = (add_fn)dlsym(RTLD_NEXT, "RAND_add");
	unsigned char	 b[16];
	unsigned int	 n;

	(void)state;
	assert_non_null(real);
	assert_int_equal(RAND_bytes(b, sizeof b), 1);
	n = reseeds();
	libssh_reseed(real);
	assert_int_not_equal(reseeds(), n);
}

/* libssh's call is dropped: no reseed. */
static void
test_dropped(void **state)
{
	unsigned char	 b[16];
	unsigned int	 n;

	(void)state;
	assert_int_equal(RAND_bytes(b, sizeof b), 1);
	n = reseeds();
	libssh_reseed(RAND_add);
	libssh_reseed(RAND_add);
	assert_int_equal(reseeds(), n);
	assert_int_equal(RAND_bytes(b, sizeof b), 1);
}

/* Other bytes, or a claim of entropy, still reach libcrypto. */
static void
test_others_pass(void **state)
{
	struct timeval	 tv;
	unsigned char	 b[sizeof tv + 1] = { 0 };
	unsigned int	 n;

	(void)state;
	n = reseeds();
	RAND_add(b, sizeof b, 0.0);
	assert_int_not_equal(reseeds(), n);
	n = reseeds();
	gettimeofday(&tv, NULL);
	RAND_add(&tv, sizeof tv, 1.0);
	assert_int_not_equal(reseeds(), n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_premise),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_others_pass),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
