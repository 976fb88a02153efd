/*
 * Unit tests for proxy.c: PROXY v1 and v2 headers give the client's
 * address, LOCAL and UNKNOWN keep the connection's, a header cut short
 * asks for more without ever claiming a byte past its end, and anything
 * malformed or too long is refused.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

static const u_char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Parse a whole string; the result and the address as text. */
static int
parse(const void *buf, size_t len, struct proxy_hdr *h, char *host)
{
	const char	*why;
	int		 n;

	n = proxy_parse(buf, len, h, &why);
	if (n < 0)
		assert_non_null(why);
	if (n > 0 && !h->local) {
		if (h->ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&h->ss)->
			    sin_addr, host, INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&h->ss)->
			    sin6_addr, host, INET6_ADDRSTRLEN);
	}
	return (n);
}

/* Every prefix of a complete header asks for more. */
static void
prefixes(const void *buf, size_t len)
{
	struct proxy_hdr	 h;
	const char		*why;
	size_t			 i;

	for (i = 0; i < len; i++)
		assert_int_equal(proxy_parse(buf, i, &h, &why), 0);
}

static void
test_v1(void **state)
{
	static const char	 tcp4[] = "PROXY TCP4 192.0.2.7 10.0.0.1 "
	    "56324 23\r\nSSH-2.0-x\r\n";
	static const char	 tcp6[] = "PROXY TCP6 2001:db8::5 ::1 1 2\r\n";
	static const char	 mapped[] = "PROXY TCP6 ::ffff:198.51.100.9 ::1 "
	    "1 2\r\n";
	struct proxy_hdr	 h;
	char			 host[INET6_ADDRSTRLEN];

	(void)state;
	/* The length stops at the LF: the SSH banner is not the header's. */
	assert_int_equal(parse(tcp4, sizeof tcp4 - 1, &h, host),
	    (int)strlen("PROXY TCP4 192.0.2.7 10.0.0.1 56324 23\r\n"));
	assert_false(h.local);
	assert_string_equal(host, "192.0.2.7");
	assert_int_equal(ntohs(((struct sockaddr_in *)&h.ss)->sin_port),
	    56324);
	assert_int_equal(h.sslen, sizeof(struct sockaddr_in));
	prefixes(tcp4, strlen("PROXY TCP4 192.0.2.7 10.0.0.1 56324 23\r\n"));

	assert_int_equal(parse(tcp6, sizeof tcp6 - 1, &h, host),
	    (int)sizeof tcp6 - 1);
	assert_string_equal(host, "2001:db8::5");
	assert_int_equal(h.sslen, sizeof(struct sockaddr_in6));

	/* A mapped address is the IPv4 one. */
	assert_int_equal(parse(mapped, sizeof mapped - 1, &h, host),
	    (int)sizeof mapped - 1);
	assert_int_equal(h.ss.ss_family, AF_INET);
	assert_string_equal(host, "198.51.100.9");

	assert_int_equal(parse("PROXY UNKNOWN\r\n", 15, &h, host), 15);
	assert_true(h.local);
	assert_int_equal(parse("PROXY UNKNOWN ffff::1 ::1 1 2\r\n", 31, &h,
	    host), 31);
	assert_true(h.local);
}

static void
test_v1_bad(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.0\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",		/* no CR */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",		/* 4 fields */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",	/* 6 fields */
		"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",	/* 2 spaces */
		"PROXY TCP4 ::1 ::1 1 2\r\n",		/* wrong family */
		"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n",
		"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
		"PROXY UNKNOWNX\r\n",
		"PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n",	/* a lone CR */
		"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
		"PROXY \r\n",
		"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	};
	struct proxy_hdr	 h;
	char			 host[INET6_ADDRSTRLEN], longer[200];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i], strlen(bad[i]), &h, host) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	/* 107 bytes with CRLF is the most; a longer line is never ended. */
	memset(longer, 'x', sizeof longer);
	memcpy(longer, "PROXY UNKNOWN ", 14);
	memcpy(longer + 105, "\r\n", 2);
	assert_int_equal(parse(longer, 107, &h, host), 107);
	memcpy(longer + 105, "xx", 2);
	assert_int_equal(parse(longer, 106, &h, host), 0);
	assert_int_equal(parse(longer, 107, &h, host), -1);
	assert_int_equal(parse(longer, sizeof longer, &h, host), -1);
}

/* A v2 header: 16 bytes then len bytes of body. */
static size_t
v2(u_char *out, u_char ver_cmd, u_char fam, const u_char *body, size_t len)
{
	memcpy(out, sig, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (u_char)(len >> 8);
	out[15] = (u_char)len;
	if (len > 0)
		memcpy(out + 16, body, len);
	return (16 + len);
}

static void
test_v2(void **state)
{
	static const u_char	 in4[12 + 7] = {
		203, 0, 113, 4,  10, 0, 0, 1,  0xdb, 0xf4,  0, 22,
		/* A TLV: PP2_TYPE_AUTHORITY, 4 bytes. */
		0x02, 0, 4, 'h', 'o', 's', 't'
	};
	u_char			 in6[36], buf[PROXY_MAX + 64];
	u_char			 body[PROXY_MAX];
	struct proxy_hdr	 h;
	char			 host[INET6_ADDRSTRLEN];
	size_t			 n;

	(void)state;
	n = v2(buf, 0x21, 0x11, in4, sizeof in4);
	memcpy(buf + n, "SSH-2.0-x\r\n", 11);
	assert_int_equal(parse(buf, n + 11, &h, host), (int)n);
	assert_false(h.local);
	assert_string_equal(host, "203.0.113.4");
	assert_int_equal(ntohs(((struct sockaddr_in *)&h.ss)->sin_port),
	    0xdbf4);
	prefixes(buf, n);

	memset(in6, 0, sizeof in6);
	inet_pton(AF_INET6, "2001:db8:1::9", in6);
	n = v2(buf, 0x21, 0x21, in6, sizeof in6);
	assert_int_equal(parse(buf, n, &h, host), (int)n);
	assert_string_equal(host, "2001:db8:1::9");

	/* LOCAL (a health check), UNSPEC and unix: the connection's own. */
	n = v2(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &h, host), 16);
	assert_true(h.local);
	n = v2(buf, 0x20, 0x11, in4, 12);
	assert_int_equal(parse(buf, n, &h, host), 28);
	assert_true(h.local);
	n = v2(buf, 0x21, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &h, host), 16);
	assert_true(h.local);
	memset(body, 0, sizeof body);
	n = v2(buf, 0x21, 0x31, body, 216);
	assert_int_equal(parse(buf, n, &h, host), 16 + 216);
	assert_true(h.local);

	/* The largest header allowed, padded with a NOOP TLV. */
	memcpy(body, in4, 12);
	body[12] = 0x04;
	body[13] = (u_char)((PROXY_MAX - 16 - 12 - 3) >> 8);
	body[14] = (u_char)(PROXY_MAX - 16 - 12 - 3);
	n = v2(buf, 0x21, 0x11, body, PROXY_MAX - 16);
	assert_int_equal(parse(buf, n, &h, host), PROXY_MAX);
}

static void
test_v2_bad(void **state)
{
	u_char			 body[64], buf[PROXY_MAX + 64];
	struct proxy_hdr	 h;
	char			 host[INET6_ADDRSTRLEN];
	size_t			 n;

	(void)state;
	memset(body, 1, sizeof body);
	/* Version 1 in a binary header, command 2. */
	n = v2(buf, 0x11, 0x11, body, 12);
	assert_int_equal(parse(buf, 13, &h, host), -1);
	n = v2(buf, 0x22, 0x11, body, 12);
	assert_int_equal(parse(buf, n, &h, host), -1);
	/* UDP, an unknown family, addresses cut short. */
	n = v2(buf, 0x21, 0x12, body, 12);
	assert_int_equal(parse(buf, n, &h, host), -1);
	n = v2(buf, 0x21, 0x41, body, 12);
	assert_int_equal(parse(buf, n, &h, host), -1);
	n = v2(buf, 0x21, 0x11, body, 11);
	assert_int_equal(parse(buf, n, &h, host), -1);
	n = v2(buf, 0x21, 0x21, body, 35);
	assert_int_equal(parse(buf, n, &h, host), -1);
	/* A TLV that runs past the end, and a stray byte. */
	body[12] = 0x02;
	body[13] = 0;
	body[14] = 5;
	n = v2(buf, 0x21, 0x11, body, 12 + 7);
	assert_int_equal(parse(buf, n, &h, host), -1);
	n = v2(buf, 0x21, 0x11, body, 13);
	assert_int_equal(parse(buf, n, &h, host), -1);
	/* Longer than the bound: refused from the length alone. */
	memcpy(buf, sig, 12);
	buf[12] = 0x21;
	buf[13] = 0x11;
	buf[14] = (u_char)((PROXY_MAX - 15) >> 8);
	buf[15] = (u_char)(PROXY_MAX - 15);
	assert_int_equal(parse(buf, 16, &h, host), -1);
	/* A broken signature. */
	memcpy(buf, sig, 12);
	buf[11] = 0x0d;
	assert_int_equal(parse(buf, 12, &h, host), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_bad),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
