/*
 * Fuzzes the PROXY header parser (proxy.c) as worker-proxy.c meets it:
 * bytes arriving a little at a time from a balancer.
 *
 * Properties: every prefix of the input gets a verdict consistent with
 * the whole: once invalid, invalid for every longer prefix; once
 * complete with length n, complete with the same n and address for
 * every longer prefix; "more" only below PROXY_MAX bytes, and a
 * complete header is at most PROXY_MAX bytes (v1: PROXY_V1_MAX).  A
 * client address is IPv4 or IPv6 (never IPv4-mapped) with its length.
 */

#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	return (0);
}

static FUZZ_CHECKER void
check_addr(const struct proxy_hdr *h)
{
	static const uint8_t	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const struct sockaddr_in6 *sin6 = (const void *)&h->ss;

	if (h->local)
		return;
	if (h->ss.ss_family == AF_INET)
		FUZZ_ASSERT(h->sslen == sizeof(struct sockaddr_in));
	else {
		FUZZ_ASSERT(h->ss.ss_family == AF_INET6);
		FUZZ_ASSERT(h->sslen == sizeof(struct sockaddr_in6));
		FUZZ_ASSERT(memcmp(&sin6->sin6_addr, mapped, 12) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr	 h, first;
	const char		*why;
	size_t			 i;
	int			 r, verdict = 0;

	if (size > PROXY_MAX + 64)
		size = PROXY_MAX + 64;
	memset(&first, 0, sizeof first);
	for (i = 0; i <= size; i++) {
		r = proxy_parse(data, i, &h, &why);
		FUZZ_ASSERT(r >= -1 && r <= PROXY_MAX);
		if (r == -1)
			FUZZ_ASSERT(why != NULL);
		if (r == 0)
			FUZZ_ASSERT(i < PROXY_MAX);
		if (r > 0) {
			FUZZ_ASSERT((size_t)r <= i);
			if (data[0] == 'P')
				FUZZ_ASSERT(r <= PROXY_V1_MAX);
			check_addr(&h);
		}
		if (verdict == -1)
			FUZZ_ASSERT(r == -1);
		else if (verdict > 0) {
			FUZZ_ASSERT(r == verdict);
			FUZZ_ASSERT(h.local == first.local &&
			    h.sslen == first.sslen &&
			    memcmp(&h.ss, &first.ss, sizeof h.ss) == 0);
		} else if (r > 0)
			first = h;
		if (r != 0)
			verdict = r;
	}
	return (0);
}
