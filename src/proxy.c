/*
 * PROXY protocol headers without I/O: the line (v1) or the binary block
 * (v2) a TCP balancer such as haproxy sends first on each connection to
 * say whose connection it relays.  Specification: haproxy's
 * doc/proxy-protocol.txt.
 *
 * proxy_parse() is given the bytes received so far and says: the header
 * is complete (and how long it is), more is needed, or it is not a
 * valid header.  It never asks for more than PROXY_MAX bytes, and while
 * it asks for more, every byte given so far belongs to the header: the
 * caller may consume them without ever eating into the SSH or telnet
 * stream that follows (worker-proxy.c relies on both).  A verdict of
 * "invalid" holds for every longer input, and so does "complete".
 *
 * Owns: nothing.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "strangerd.h"

/* The v2 signature, then version and command, family, length. */
static const u_char proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define PROXY_V2_FIXED	16
static const char proxy_v1_sig[] = "PROXY ";
#define PROXY_V1_SIGLEN	(sizeof proxy_v1_sig - 1)

static int	 proxy_v1(const u_char *, size_t, struct proxy_hdr *,
		     const char **);
static int	 proxy_v1_line(char *, struct proxy_hdr *, const char **);
static int	 proxy_v1_port(const char *, uint16_t *);
static int	 proxy_v2(const u_char *, size_t, struct proxy_hdr *,
		     const char **);
static int	 proxy_v2_tlvs(const u_char *, size_t);
static void	 proxy_set(struct proxy_hdr *, int, const void *, uint16_t);

/*
 * Parse the header at the start of buf: its length when complete, 0 if
 * more bytes are needed, -1 (with *why) if it is no valid header.
 */
int
proxy_parse(const u_char *buf, size_t len, struct proxy_hdr *h,
    const char **why)
{
	size_t	n;

	memset(h, 0, sizeof *h);
	*why = NULL;
	if (len == 0)
		return (0);
	n = len < PROXY_V1_SIGLEN ? len : PROXY_V1_SIGLEN;
	if (memcmp(buf, proxy_v1_sig, n) == 0)
		return (proxy_v1(buf, len, h, why));
	n = len < sizeof proxy_v2_sig ? len : sizeof proxy_v2_sig;
	if (memcmp(buf, proxy_v2_sig, n) == 0)
		return (proxy_v2(buf, len, h, why));
	*why = "no PROXY header";
	return (-1);
}

/* Version 1: one line of text, at most PROXY_V1_MAX bytes with CRLF. */
static int
proxy_v1(const u_char *buf, size_t len, struct proxy_hdr *h, const char **why)
{
	char	line[PROXY_V1_MAX];
	size_t	i;

	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\n')
			break;
		/* A CR only right before the LF; nothing else unprintable. */
		if (buf[i] == '\r' && (i + 1 == len || buf[i + 1] == '\n'))
			continue;
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			*why = "control character in PROXY v1 header";
			return (-1);
		}
	}
	if (i == PROXY_V1_MAX) {
		*why = "PROXY v1 header longer than 107 bytes";
		return (-1);
	}
	if (i == len)
		return (0);
	if (i == 0 || buf[i - 1] != '\r') {
		*why = "PROXY v1 header not ended by CRLF";
		return (-1);
	}
	memcpy(line, buf, i - 1);
	line[i - 1] = '\0';
	if (proxy_v1_line(line + PROXY_V1_SIGLEN, h, why) != 0)
		return (-1);
	return ((int)i + 1);
}

/*
 * "TCP4 SRC DST SPORT DPORT", "TCP6 ..." or "UNKNOWN" and anything:
 * single spaces between the fields, as the specification says.
 */
static int
proxy_v1_line(char *s, struct proxy_hdr *h, const char **why)
{
	char		*field[5], *p;
	u_char		 src[16], dst[16];
	uint16_t	 sport, dport;
	int		 family, n = 0;

	if (strncmp(s, "UNKNOWN", 7) == 0 && (s[7] == '\0' || s[7] == ' ')) {
		/* The balancer could not tell: keep the connection's. */
		h->local = 1;
		return (0);
	}
	for (p = s; n < 5; n++) {
		field[n] = p;
		if ((p = strchr(p, ' ')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 5 || p != NULL) {
		*why = "PROXY v1 header without five fields";
		return (-1);
	}
	if (strcmp(field[0], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(field[0], "TCP6") == 0)
		family = AF_INET6;
	else {
		*why = "PROXY v1 protocol not TCP4, TCP6 or UNKNOWN";
		return (-1);
	}
	if (inet_pton(family, field[1], src) != 1 ||
	    inet_pton(family, field[2], dst) != 1) {
		*why = "bad address in PROXY v1 header";
		return (-1);
	}
	if (proxy_v1_port(field[3], &sport) != 0 ||
	    proxy_v1_port(field[4], &dport) != 0) {
		*why = "bad port in PROXY v1 header";
		return (-1);
	}
	proxy_set(h, family, src, sport);
	return (0);
}

/* A port: 1 to 5 decimal digits, at most 65535. */
static int
proxy_v1_port(const char *s, uint16_t *port)
{
	u_int	v = 0;
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 5 || s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (u_int)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return (-1);
	*port = (uint16_t)v;
	return (0);
}

/* Version 2: 16 fixed bytes, then the addresses and TLVs they count. */
static int
proxy_v2(const u_char *buf, size_t len, struct proxy_hdr *h, const char **why)
{
	size_t	total, need;
	u_int	cmd, fam;

	if (len > 12 && (buf[12] >> 4 != 2 || (buf[12] & 0xf) > 1)) {
		*why = "PROXY v2 header with a bad version or command";
		return (-1);
	}
	if (len < PROXY_V2_FIXED)
		return (0);
	total = PROXY_V2_FIXED + ((size_t)buf[14] << 8 | buf[15]);
	if (total > PROXY_V2_MAX) {
		*why = "PROXY v2 header longer than 536 bytes";
		return (-1);
	}
	if (len < total)
		return (0);
	cmd = buf[12] & 0xf;
	fam = buf[13];
	/* LOCAL: the balancer's own connection (a health check). */
	if (cmd == 0 || fam == 0x00) {
		h->local = 1;
		return ((int)total);
	}
	switch (fam) {
	case 0x11:	/* TCP over IPv4 */
		need = 12;
		break;
	case 0x21:	/* TCP over IPv6 */
		need = 36;
		break;
	case 0x31:	/* a unix stream socket: no address to use */
		need = 216;
		break;
	default:
		*why = "PROXY v2 family not TCP or a unix stream";
		return (-1);
	}
	if (total - PROXY_V2_FIXED < need) {
		*why = "PROXY v2 address block too short";
		return (-1);
	}
	if (proxy_v2_tlvs(buf + PROXY_V2_FIXED + need,
	    total - PROXY_V2_FIXED - need) != 0) {
		*why = "malformed TLV in PROXY v2 header";
		return (-1);
	}
	if (fam == 0x11)
		proxy_set(h, AF_INET, buf + 16, (uint16_t)(buf[24] << 8 |
		    buf[25]));
	else if (fam == 0x21)
		proxy_set(h, AF_INET6, buf + 16, (uint16_t)(buf[48] << 8 |
		    buf[49]));
	else
		h->local = 1;
	return ((int)total);
}

/* The TLVs after the addresses must fill their space exactly. */
static int
proxy_v2_tlvs(const u_char *p, size_t len)
{
	size_t	n;

	while (len > 0) {
		if (len < 3)
			return (-1);
		n = 3 + ((size_t)p[1] << 8 | p[2]);
		if (n > len)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * The client's address.  An IPv4-mapped IPv6 address is the IPv4 one,
 * or every IPv4 visitor would share one IPv6 /64 in the limits.
 */
static void
proxy_set(struct proxy_hdr *h, int family, const void *addr, uint16_t port)
{
	static const u_char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	struct sockaddr_in	*sin = (struct sockaddr_in *)&h->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&h->ss;

	memset(&h->ss, 0, sizeof h->ss);
	h->local = 0;
	if (family == AF_INET6 && memcmp(addr, mapped, sizeof mapped) == 0) {
		family = AF_INET;
		addr = (const u_char *)addr + sizeof mapped;
	}
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		h->sslen = sizeof *sin;
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
		h->sslen = sizeof *sin6;
	}
}
