/*
 * Refusing a banned address on an SSH listener so that the visitor
 * learns why.  OpenSSH shows nothing of the text lines RFC 4253 allows
 * before the version string, but it does show an SSH_MSG_DISCONNECT's
 * description.  That message may be sent before key exchange, in the
 * clear, so the refusal costs no crypto: our version string, then one
 * unencrypted DISCONNECT packet, then the socket is shut for writing
 * and drained until the client goes (closing with its key exchange
 * unread would reset the connection and could lose the message).
 *
 * Owns: the refused connections still draining, on each worker's
 * w->refusing list; each is touched only by its worker's thread, and
 * freed there or, at shutdown, by ssh_refuse_free() once the workers
 * have stopped.  No libssh here: the bytes are few and fixed.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

/* Refused connections draining at once per worker; more just close. */
#define SSH_REFUSE_MAX		16
/* How long, and how many reads, a refused client gets to go. */
#define SSH_REFUSE_SECS		2
#define SSH_REFUSE_READS	8
/* SSH_DISCONNECT_HOST_NOT_ALLOWED_TO_CONNECT (RFC 4253, 11.1). */
#define SSH_REFUSE_REASON	1
#define SSH_REFUSE_DESC_MAX	200

struct ssh_refuse {
	struct event		*ev;
	int			 fd;
	u_int			 reads;
	struct worker		*w;
	LIST_ENTRY(ssh_refuse)	 entry;
};

static size_t	ssh_refuse_packet(const char *, uint8_t *, size_t);
static void	ssh_refuse_read(evutil_socket_t, short, void *);
static void	ssh_refuse_done(struct ssh_refuse *);

/* Big-endian uint32 at p. */
static void
ssh_refuse_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Our version string and an unencrypted SSH_MSG_DISCONNECT saying text
 * (one line, trimmed) into buf.  Returns the length.
 */
static size_t
ssh_refuse_packet(const char *text, uint8_t *buf, size_t size)
{
	static const char	 version[] = "SSH-2.0-strangerd\r\n";
	size_t			 dlen, plen, pad, off;

	dlen = strcspn(text, "\r\n");
	if (dlen > SSH_REFUSE_DESC_MAX)
		dlen = SSH_REFUSE_DESC_MAX;
	/* byte type, uint32 reason, string desc, string language */
	plen = 1 + 4 + 4 + dlen + 4;
	/* length, padding length, payload, padding: a multiple of 8. */
	pad = 8 - (4 + 1 + plen) % 8;
	if (pad < 4)
		pad += 8;
	if (sizeof version - 1 + 4 + 1 + plen + pad > size)
		fatalx("%s: buffer too small", __func__);
	memcpy(buf, version, sizeof version - 1);
	off = sizeof version - 1;
	ssh_refuse_put32(buf + off, (uint32_t)(1 + plen + pad));
	buf[off + 4] = (uint8_t)pad;
	off += 5;
	buf[off++] = 1;			/* SSH_MSG_DISCONNECT */
	ssh_refuse_put32(buf + off, SSH_REFUSE_REASON);
	ssh_refuse_put32(buf + off + 4, (uint32_t)dlen);
	memcpy(buf + off + 8, text, dlen);
	off += 8 + dlen;
	ssh_refuse_put32(buf + off, 0);	/* language tag */
	off += 4;
	/* Padding is sent in the clear here: zeros will do. */
	memset(buf + off, 0, pad);
	return (off + pad);
}

/*
 * Refuse connection fd on an SSH listener of worker w with text (such
 * as "strangerd: banned ...").  Takes the descriptor over.
 */
void
ssh_refuse(struct worker *w, int fd, const char *text)
{
	struct ssh_refuse	*r;
	struct timeval		 tv = { SSH_REFUSE_SECS, 0 };
	uint8_t			 buf[64 + SSH_REFUSE_DESC_MAX];
	size_t			 len;

	len = ssh_refuse_packet(text, buf, sizeof buf);
	/* A new socket's buffer takes this much without blocking. */
	(void)write(fd, buf, len);
	shutdown(fd, SHUT_WR);
	if (w->nrefusing >= SSH_REFUSE_MAX) {
		close(fd);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->fd = fd;
	r->w = w;
	r->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, ssh_refuse_read,
	    r);
	event_add(r->ev, &tv);
	LIST_INSERT_HEAD(&w->refusing, r, entry);
	w->nrefusing++;
	/* It holds a descriptor while it drains: count it against room. */
	atomic_fetch_add_explicit(&w->nconns, 1, memory_order_relaxed);
}

/* Drain what the refused client sends until it goes or time is up. */
static void
ssh_refuse_read(evutil_socket_t fd, short events, void *arg)
{
	struct ssh_refuse	*r = arg;
	char			 buf[4096];

	if ((events & EV_READ) && read(fd, buf, sizeof buf) > 0 &&
	    ++r->reads < SSH_REFUSE_READS)
		return;
	ssh_refuse_done(r);
}

/* Close and free one refused connection. */
static void
ssh_refuse_done(struct ssh_refuse *r)
{
	LIST_REMOVE(r, entry);
	r->w->nrefusing--;
	atomic_fetch_sub_explicit(&r->w->nconns, 1, memory_order_relaxed);
	event_free(r->ev);
	close(r->fd);
	free(r);
}

/* At shutdown, once worker w has stopped: close what still drains. */
void
ssh_refuse_free(struct worker *w)
{
	struct ssh_refuse	*r;

	while ((r = LIST_FIRST(&w->refusing)) != NULL)
		ssh_refuse_done(r);
}
