/*
 * The SSH front end: libssh 0.10 in non-blocking mode inside each
 * worker's libevent loop.  The worker accepts the socket; we hand it to
 * ssh_bind_accept_fd, drive ssh_handle_key_exchange from read and write
 * events until it returns SSH_OK, then drive a per-connection ssh_event
 * the same way.  Any user name gets in: by publickey (any key, once its
 * signature is verified; its fingerprint becomes the session's
 * identity) or by keyboard-interactive with no questions.  One session
 * channel with pty-req, shell and window-change; everything else is
 * refused, and exec gets a one-line explanation and exit status 1.
 *
 * This file is the connection's life; the rest of the front end is
 * beside it, sharing src/ssh.h: ssh-preauth.c (the caps on handshakes
 * in progress: libssh has no MaxStartups), ssh-auth.c (authentication,
 * other requests refused) and ssh-chan.c (the session channel's
 * callbacks).
 *
 * Owns: each connection's libssh session, ssh_event, channel, events and
 * queues, the login grace timer (libssh has none) and the per-worker
 * ssh_bind.  Does not own the chat: once the shell starts, session.c
 * does, and lets go of us through ssh_ops.close.
 *
 * Rules that keep this safe:
 *  - libssh callbacks (message, channel) only record what happened and
 *    schedule ssh_conn_process; they never call the session, never
 *    write channel data and never free.  libssh runs them from inside
 *    ssh_event_dopoll and also from inside ssh_channel_write.
 *  - Channel data is written only while libssh has nothing pending and
 *    the channel window is open; the rest waits in outq, which is capped.
 *  - A connection is freed from the loop (ssh_conn_process or a timer),
 *    never from a libssh callback.
 *  - libssh owns the connection's one descriptor and closes it by
 *    itself when the client goes or a write fails, from inside any
 *    call.  The socket is watched in the worker's ssh_watch (see
 *    ssh-watch.c), which the kernel leaves when libssh closes it; we
 *    change or delete the watch only after ssh_conn_held() has seen
 *    that libssh still holds the number, so that we never name a number
 *    another worker's accept may have been given since.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "strangerd.h"
#include "ssh.h"

/* What we offer.  MACs go unused with AEAD ciphers but must still match. */
#define SSH_CIPHERS	"chacha20-poly1305@openssh.com," \
			"aes256-gcm@openssh.com,aes128-gcm@openssh.com"
#define SSH_KEX		"curve25519-sha256,curve25519-sha256@libssh.org"
#define SSH_HOSTKEYS	"ssh-ed25519"
#define SSH_MACS	"hmac-sha2-256-etm@openssh.com," \
			"hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"
/* Our version string: SSH-2.0-strangerd, not libssh's version. */
#define SSH_BANNER	"strangerd"

#define SSH_WRITE_CHUNK		(32 * 1024)	/* one ssh_channel_write */
#define SSH_LINGER_SEC		3	/* for the last bytes and the close */
#define SSH_DROP_LOG_PER_SEC	10	/* handshake drops logged a second */
/* libssh counts payloads: the least a packet adds (length, padding, MAC). */
#define SSH_PACKET_FRAMING	25

static const char ssh_exec_refused[] =
    "strangerd is a chat: connect without a command (ssh HOST).";
static const char ssh_subsystem_refused[] =
    "strangerd is a chat: no file transfer (sftp, scp); connect with "
    "ssh HOST.";

static int	 ssh_conn_write(void *, const void *, size_t);
static void	 ssh_conn_close(void *);

static const struct session_ops ssh_ops = {
	"ssh",
	ssh_conn_write,
	ssh_conn_close,
};

static void	 ssh_addr_string(const struct sockaddr *, char *, size_t);
static int	 ssh_conn_held(struct ssh_conn *);
static int	 ssh_conn_watch(struct ssh_conn *);
static void	 ssh_conn_unwatch(struct ssh_conn *);
static void	 ssh_conn_io(void *, short);
static void	 ssh_conn_timer(evutil_socket_t, short, void *);
static void	 ssh_conn_process_cb(evutil_socket_t, short, void *);
static void	 ssh_conn_process(struct ssh_conn *);
static void	 ssh_conn_lost(struct ssh_conn *, const char *);
static uint64_t	 ssh_conn_received(struct ssh_conn *);
static void	 ssh_conn_meter(struct ssh_conn *);
static void	 ssh_conn_start(struct ssh_conn *);
static void	 ssh_conn_refuse_exec(struct ssh_conn *);
static void	 ssh_conn_flush(struct ssh_conn *);
static void	 ssh_conn_end_channel(struct ssh_conn *);
static void	 ssh_conn_linger(struct ssh_conn *);
static const char *ssh_conn_error(struct ssh_conn *);

/* Load the host key and key the address hash; main thread, at start. */
int
ssh_setup(const char *dir)
{
	if (ssh_hostkey_load(dir) != 0)
		return (-1);
	ssh_preauth_setup();
	return (0);
}

/* Set up worker w's ssh_bind with our host key and algorithms. */
int
ssh_worker_init(struct worker *w)
{
	struct ssh_worker	*sw;
	ssh_key			 key = NULL;
	bool			 no = false;
	int			 verbosity = SSH_LOG_NOLOG;

	if (ssh_hostkey_get() == NULL && ssh_setup(cfg->dir) != 0)
		return (-1);
	sw = xcalloc(1, sizeof *sw);
	LIST_INIT(&sw->conns);
	TAILQ_INIT(&sw->preauth);
	sw->preauth_max = cfg->ssh_preauth_max / (nworkers > 0 ? nworkers : 1);
	if (sw->preauth_max == 0)
		sw->preauth_max = 1;
	if ((sw->bind = ssh_bind_new()) == NULL)
		goto fail;
	if (ssh_pki_import_privkey_base64(ssh_hostkey_get(), NULL, NULL, NULL,
	    &key) != SSH_OK) {
		log_warnx("ssh: cannot import the host key");
		goto fail;
	}
	/* The bind owns the key from here on. */
	if (ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_IMPORT_KEY,
	    key) != SSH_OK) {
		ssh_key_free(key);
		goto fail;
	}
	/* No /etc/libssh/libssh_server.config: what we set is what runs. */
	if (ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG,
	    &no) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_LOG_VERBOSITY,
	    &verbosity) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_CIPHERS_C_S,
	    SSH_CIPHERS) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_CIPHERS_S_C,
	    SSH_CIPHERS) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_KEY_EXCHANGE,
	    SSH_KEX) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
	    SSH_HOSTKEYS) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_HMAC_C_S,
	    SSH_MACS) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_HMAC_S_C,
	    SSH_MACS) != SSH_OK ||
	    ssh_bind_options_set(sw->bind, SSH_BIND_OPTIONS_BANNER,
	    SSH_BANNER) != SSH_OK) {
		log_warnx("ssh: %s", ssh_get_error(sw->bind));
		goto fail;
	}
	sw->watch = ssh_watch_new(w->base, ssh_conn_io);
	w->ssh = sw;
	return (0);
fail:
	if (sw->bind != NULL)
		ssh_bind_free(sw->bind);
	free(sw);
	return (-1);
}

/*
 * Free worker w's SSH state once its loop has stopped.  Sessions have
 * been closed already; give each connection one last non-blocking
 * chance to send what it has queued (the shutdown notice) and its exit
 * status.
 */
void
ssh_worker_free(struct worker *w)
{
	struct ssh_worker	*sw = w->ssh;
	struct ssh_conn		*c;

	if (sw == NULL)
		return;
	while ((c = LIST_FIRST(&sw->conns)) != NULL) {
		c->s = NULL;
		if (!c->dead && c->chan != NULL &&
		    (c->state == SSH_CONN_OPEN || c->state == SSH_CONN_DRAIN)) {
			ssh_conn_flush(c);
			ssh_conn_end_channel(c);
		}
		ssh_conn_free(c, "server shutdown");
	}
	ssh_watch_free(sw->watch);
	ssh_bind_free(sw->bind);
	free(sw);
	w->ssh = NULL;
}

/* The printable address, for logs. */
static void
ssh_addr_string(const struct sockaddr *sa, char *buf, size_t len)
{
	const void	*a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, len) == NULL)
		snprintf(buf, len, "?");
}

/*
 * Log why a connection that never reached the chat was dropped, at most
 * SSH_DROP_LOG_PER_SEC lines a second per worker so that a flood of
 * half-open sockets cannot flood the log too.
 */
void
ssh_drop_log(struct ssh_worker *sw, const char *addr, const char *reason)
{
	time_t	now = time(NULL);

	if (now != sw->drop_sec) {
		if (sw->drop_quiet > 0)
			log_info("ssh: %u more connections ended before the "
			    "chat (not logged)", sw->drop_quiet);
		sw->drop_sec = now;
		sw->drop_logged = 0;
		sw->drop_quiet = 0;
	}
	if (sw->drop_logged++ < SSH_DROP_LOG_PER_SEC)
		log_info("ssh %s: %s", addr, reason);
	else
		sw->drop_quiet++;
}

/* A new TCP connection on an SSH listener of worker w. */
void
ssh_worker_accept(struct worker *w, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct ssh_worker	*sw = w->ssh;
	struct ssh_conn		*c;
	struct timeval		 tv = { 0, 0 };
	char			 addr[INET6_ADDRSTRLEN];
	uint32_t		 bucket;

	ssh_addr_string(sa, addr, sizeof addr);
	/* Caps on handshakes in progress: ssh-preauth.c. */
	if (ssh_preauth_admit(sw, sa, addr, &bucket) != 0) {
		close(fd);
		worker_conn_done(w, sa);
		return;
	}

	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->w = w;
	c->sw = sw;
	c->state = SSH_CONN_KEX;
	c->sx = 80;
	c->sy = 24;
	if (salen > sizeof c->ss)
		salen = sizeof c->ss;
	memcpy(&c->ss, sa, salen);
	c->sslen = salen;
	memcpy(c->addr, addr, sizeof c->addr);
	ssh_preauth_add(c, bucket);
	LIST_INSERT_HEAD(&sw->conns, c, entry);
	c->outq = evbuffer_new();
	c->inq = evbuffer_new();
	c->timer_ev = evtimer_new(w->base, ssh_conn_timer, c);
	c->process_ev = event_new(w->base, -1, 0, ssh_conn_process_cb, c);
	if (c->outq == NULL || c->inq == NULL || c->timer_ev == NULL ||
	    c->process_ev == NULL)
		fatalx("ssh: out of memory");

	if ((c->ssh = ssh_new()) == NULL)
		fatalx("ssh: out of memory");
	if (ssh_bind_accept_fd(sw->bind, c->ssh, fd) != SSH_OK) {
		log_warnx("ssh %s: %s", c->addr, ssh_get_error(sw->bind));
		if (ssh_get_fd(c->ssh) != fd)
			close(fd);
		ssh_conn_free(c, NULL);
		return;
	}
	/* Compression would multiply the memory of each session by ~14. */
	ssh_options_set(c->ssh, SSH_OPTIONS_COMPRESSION, "none");
	ssh_set_blocking(c->ssh, 0);
	ssh_set_counters(c->ssh, NULL, &c->rcounter);
	ssh_set_auth_methods(c->ssh,
	    SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE);
	ssh_callbacks_init(&c->server_cb);
	c->server_cb.userdata = c;
	c->server_cb.auth_pubkey_function = ssh_auth_pubkey;
	c->server_cb.channel_open_request_session_function =
	    ssh_chan_open;
	ssh_set_server_callbacks(c->ssh, &c->server_cb);
	ssh_set_message_callback(c->ssh, ssh_auth_message, c);

	if (ssh_watch_set(sw->watch, fd, c, 0, 0) == -1) {
		log_warn("ssh %s: epoll_ctl", c->addr);
		ssh_conn_free(c, NULL);
		return;
	}
	c->watched = 1;
	tv.tv_sec = cfg->ssh_grace;
	evtimer_add(c->timer_ev, &tv);
	/* Send our version string now: clients wait for it. */
	ssh_conn_io(c, EV_WRITE);
}

/*
 * Free a connection and everything it owns.  Never from inside a
 * libssh callback: from the loop only.  reason is logged for a
 * connection that never reached the chat.
 */
void
ssh_conn_free(struct ssh_conn *c, const char *reason)
{
	if (c == NULL)
		return;
	if (reason != NULL && c->s == NULL && c->state <= SSH_CONN_AUTH) {
		metrics_inc(METRIC_HANDSHAKE_FAILED);
		ssh_drop_log(c->sw, c->addr, reason);
	}
	c->dead = 1;	/* callbacks from ssh_disconnect below do nothing */
	ssh_preauth_done(c);
	LIST_REMOVE(c, entry);
	event_free(c->timer_ev);
	event_free(c->process_ev);
	if (c->sev != NULL) {
		ssh_event_remove_session(c->sev, c->ssh);
		ssh_event_free(c->sev);
	}
	if (c->ssh != NULL) {
		if (ssh_is_connected(c->ssh))
			ssh_disconnect(c->ssh);
		/* Closes the socket, which leaves the watch; frees the channel. */
		ssh_free(c->ssh);
	}
	if (c->outq != NULL)
		evbuffer_free(c->outq);
	if (c->inq != NULL)
		evbuffer_free(c->inq);
	free(c->key);
	free(c->keytype);
	free(c->term);
	worker_conn_done(c->w, (struct sockaddr *)&c->ss);
	free(c);
}

/* Run ssh_conn_process soon, from the loop. */
void
ssh_conn_schedule(struct ssh_conn *c)
{
	if (c->dead)
		return;
	if (c->in_io || c->in_process) {
		/*
		 * ssh_conn_io() processes once libssh returns; but inside
		 * ssh_conn_process(), libssh may read and hand us data from
		 * within ssh_channel_write(): come back for it, or it would
		 * wait for the client's next packet.
		 */
		c->again = 1;
		return;
	}
	event_active(c->process_ev, EV_TIMEOUT, 0);
}

/*
 * Does libssh still hold the socket?  It closes it from inside its own
 * calls only, all made on this thread, so the answer holds until our
 * next libssh call.
 */
static int
ssh_conn_held(struct ssh_conn *c)
{
	return (ssh_get_fd(c->ssh) == c->fd);
}

/*
 * Watch for writing too while libssh has output pending.  Returns -1
 * when that failed and the connection is lost (and may be freed).
 */
static int
ssh_conn_watch(struct ssh_conn *c)
{
	int	write = (ssh_get_status(c->ssh) & SSH_WRITE_PENDING) != 0;

	if (!c->watched || write == c->watch_write || !ssh_conn_held(c))
		return (0);
	if (ssh_watch_set(c->sw->watch, c->fd, c, 1, write) == -1) {
		log_warn("ssh %s: epoll_ctl", c->addr);
		ssh_conn_lost(c, "cannot watch the socket");
		return (-1);
	}
	c->watch_write = write;
	return (0);
}

/*
 * No more events for this connection.  Once libssh has closed the
 * socket the kernel has dropped it from the watch already, and its
 * number may be another worker's: leave it alone.
 */
static void
ssh_conn_unwatch(struct ssh_conn *c)
{
	if (c->watched && ssh_conn_held(c))
		ssh_watch_del(c->sw->watch, c->fd);
	c->watched = 0;
}

/*
 * The socket is readable or writable: let libssh work.  The worker's
 * ssh_watch calls this for a batch of sockets at once, so it may free
 * this connection but never another.
 */
static void
ssh_conn_io(void *arg, short events)
{
	struct ssh_conn	*c = arg;
	int		 rc;

	(void)events;
	if (c->dead)
		return;
	c->in_io = 1;
	if (c->state == SSH_CONN_KEX) {
		rc = ssh_handle_key_exchange(c->ssh);
		if (rc == SSH_OK) {
			c->state = SSH_CONN_AUTH;
			if ((c->sev = ssh_event_new()) == NULL)
				fatalx("ssh: out of memory");
			if (ssh_event_add_session(c->sev, c->ssh) != SSH_OK) {
				/* One connection's trouble, not the server's. */
				c->in_io = 0;
				ssh_conn_lost(c, "libssh: cannot watch the session");
				return;
			}
		} else if (rc == SSH_ERROR) {
			c->in_io = 0;
			ssh_conn_lost(c, ssh_conn_error(c));
			return;
		}
	} else
		(void)ssh_event_dopoll(c->sev, 0);
	if (c->preauth)
		ssh_preauth_progress(c);
	c->in_io = 0;
	c->again = 0;		/* what libssh handed us is processed now */
	ssh_conn_process(c);
}

/* Login grace time over, or the last bytes had their chance. */
static void
ssh_conn_timer(evutil_socket_t fd, short events, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)fd;
	(void)events;
	switch (c->state) {
	case SSH_CONN_KEX:
	case SSH_CONN_AUTH:
		ssh_conn_lost(c, "login grace time exceeded");
		break;
	case SSH_CONN_OPEN:
		break;
	case SSH_CONN_DRAIN:
	case SSH_CONN_CLOSING:
		if (c->s == NULL)
			ssh_conn_free(c, NULL);
		break;
	}
}

static void
ssh_conn_process_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	ssh_conn_process(arg);
}

/* Why libssh gave up, for the log. */
static const char *
ssh_conn_error(struct ssh_conn *c)
{
	const char	*e = ssh_get_error(c->ssh);
	size_t		 i;

	if (e == NULL || *e == '\0')
		return ("connection closed");
	/*
	 * libssh quotes what the client sent ("banner: ..."): keep it
	 * short and printable so that nobody can write into our log.
	 */
	for (i = 0; e[i] != '\0' && i < sizeof c->error - 1; i++)
		c->error[i] = (e[i] >= 0x20 && e[i] < 0x7f) ? e[i] : '?';
	c->error[i] = '\0';
	return (c->error);
}

/*
 * The connection is gone or must go.  Before the chat, free it now;
 * once a session runs, tell it and wait for it to let go.
 */
static void
ssh_conn_lost(struct ssh_conn *c, const char *reason)
{
	if (c->dead)
		return;
	ssh_conn_unwatch(c);
	evtimer_del(c->timer_ev);
	if (c->s == NULL) {
		ssh_conn_free(c, reason);
		return;
	}
	c->dead = 1;
	if (!c->s_closing) {
		c->s_closing = 1;
		session_close(c->s, reason);
	}
}

/* Bytes read from the client so far, at the least. */
static uint64_t
ssh_conn_received(struct ssh_conn *c)
{
	return (c->rcounter.in_bytes +
	    c->rcounter.in_packets * SSH_PACKET_FRAMING);
}

/*
 * Every byte read once the session runs, whatever packet it came in
 * (IGNORE, requests, window adjusts), against its raw input rate;
 * channel data is fed to it unmetered.  Bytes before the session are
 * the handshake's, bounded by the login grace time.
 *
 * And in any state, every byte read while libssh still holds output
 * for the client (the socket's send queue is full: it does not read)
 * against output_queue_max.  libssh answers some packets by itself
 * (SSH_MSG_UNIMPLEMENTED to unknown ones, refusals, PK_OK) into a
 * buffer of its own that ssh_conn_write()'s cap never sees, so a
 * client that sends and never reads would grow it without end, before
 * login as fast as it can send.  Those answers are at most about as
 * long as the packets that ask for them, so bounding what is read
 * while output waits bounds that buffer; once it empties, the count
 * starts again.
 */
static void
ssh_conn_meter(struct ssh_conn *c)
{
	uint64_t	in = ssh_conn_received(c);

	if (c->s != NULL && !c->s_closing && in > c->metered)
		(void)session_received(c->s, (size_t)(in - c->metered));
	if (!(ssh_get_status(c->ssh) & SSH_WRITE_PENDING))
		c->unread = 0;
	else if ((c->unread += in - c->metered) > cfg->outq_max &&
	    c->drop == NULL) {
		metrics_inc(METRIC_OUTQ_DROPS);
		c->drop = "output queue full (the client does not read)";
	}
	c->metered = in;
}

/*
 * Act on what the libssh callbacks recorded: start or refuse the
 * session, pass input and window changes on, send queued output, and
 * end the connection when it is over.
 */
static void
ssh_conn_process(struct ssh_conn *c)
{
	size_t	len;
	int	status;

	if (c->dead) {
		if (c->s == NULL)
			ssh_conn_free(c, NULL);
		return;
	}
	status = ssh_get_status(c->ssh);
	if (!ssh_conn_held(c) || !ssh_is_connected(c->ssh) ||
	    (status & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		ssh_conn_lost(c, ssh_conn_error(c));
		return;
	}
	ssh_conn_meter(c);
	if (c->drop != NULL) {
		ssh_conn_lost(c, c->drop);
		return;
	}
	c->in_process = 1;
	if (c->authed && c->preauth)
		ssh_preauth_done(c);

	switch (c->state) {
	case SSH_CONN_KEX:
		break;
	case SSH_CONN_AUTH:
		if (c->exec)
			ssh_conn_refuse_exec(c);
		else if (c->shell)
			ssh_conn_start(c);
		else if (c->client_closed || c->client_eof) {
			c->in_process = 0;
			ssh_conn_lost(c, "channel closed before the shell");
			return;
		}
		break;
	case SSH_CONN_OPEN:
		if (c->s == NULL || c->s_closing)
			break;
		if (c->resized) {
			c->resized = 0;
			session_resize(c->s, c->sx, c->sy);
		}
		if ((len = evbuffer_get_length(c->inq)) > 0) {
			session_feed(c->s, evbuffer_pullup(c->inq, -1), len);
			evbuffer_drain(c->inq, len);
		}
		if (!c->s_closing && (c->client_eof || c->client_closed)) {
			c->s_closing = 1;
			session_close(c->s, c->client_closed ?
			    "client closed the channel" : "client sent EOF");
		}
		break;
	case SSH_CONN_DRAIN:
	case SSH_CONN_CLOSING:
		break;
	}

	if (c->state == SSH_CONN_OPEN || c->state == SSH_CONN_DRAIN)
		ssh_conn_flush(c);
	if (c->state == SSH_CONN_DRAIN &&
	    (evbuffer_get_length(c->outq) == 0 || c->chan == NULL ||
	    !ssh_channel_is_open(c->chan)) &&
	    !(ssh_get_status(c->ssh) & SSH_WRITE_PENDING))
		ssh_conn_end_channel(c);
	c->in_process = 0;

	if (c->state == SSH_CONN_CLOSING &&
	    (c->client_closed || c->chan == NULL)) {
		ssh_conn_free(c, NULL);
		return;
	}
	if (!ssh_conn_held(c) || !ssh_is_connected(c->ssh)) {
		ssh_conn_lost(c, ssh_conn_error(c));
		return;
	}
	if (ssh_conn_watch(c) != 0)
		return;
	if (c->again) {
		c->again = 0;
		event_active(c->process_ev, EV_TIMEOUT, 0);
	}
}

/* The shell request came: hand the visitor to a chat session. */
static void
ssh_conn_start(struct ssh_conn *c)
{
	size_t	len;
	char	*why;

	evtimer_del(c->timer_ev);
	c->state = SSH_CONN_OPEN;
	c->s = session_new(c->w, &ssh_ops, c, (struct sockaddr *)&c->ss,
	    c->sslen);
	if (c->key != NULL) {
		log_info("%s: ssh %s key %s", session_id(c->s), c->keytype,
		    c->key);
		session_set_key(c->s, c->key);
		/* The address was checked at accept; the key is known now. */
		if (worker_banned(c->w, NULL, c->key, &why)) {
			log_info("%s: key %s is banned", session_id(c->s),
			    c->key);
			session_notice(c->s, why);
			session_close(c->s, "banned key");
			free(why);
			return;
		}
	} else
		log_info("%s: ssh without a key (%s)", session_id(c->s),
		    c->method);
	/* No pty: plain line mode, whatever TERM the client has. */
	session_start(c->s, c->pty ? c->term : NULL, c->sx, c->sy);
	c->resized = 0;
	if ((len = evbuffer_get_length(c->inq)) > 0 && !c->s_closing) {
		session_input(c->s, evbuffer_pullup(c->inq, -1), len);
		evbuffer_drain(c->inq, len);
	}
}

/* ssh HOST command, sftp or scp: say why not, exit status 1, close. */
static void
ssh_conn_refuse_exec(struct ssh_conn *c)
{
	char	line[sizeof ssh_subsystem_refused + 2];

	evtimer_del(c->timer_ev);
	log_info("ssh %s: refused a %s, %s%s", c->addr, c->subsystem ?
	    "subsystem (sftp)" : "command (exec)",
	    c->key != NULL ? "key " : "no key",
	    c->key != NULL ? c->key : "");
	snprintf(line, sizeof line, "%s%s", c->subsystem ?
	    ssh_subsystem_refused : ssh_exec_refused,
	    c->pty ? "\r\n" : "\n");
	if (ssh_channel_is_open(c->chan))
		ssh_channel_write_stderr(c->chan, line, strlen(line));
	c->exit_status = 1;
	c->state = SSH_CONN_DRAIN;
	ssh_conn_linger(c);
}

/* Write queued output while libssh has nothing pending and the window is open. */
static void
ssh_conn_flush(struct ssh_conn *c)
{
	size_t		len;
	uint32_t	win;
	int		n;

	while ((len = evbuffer_get_length(c->outq)) > 0) {
		if (c->chan == NULL || !ssh_channel_is_open(c->chan) ||
		    !ssh_is_connected(c->ssh)) {
			evbuffer_drain(c->outq, len);
			break;
		}
		if (ssh_get_status(c->ssh) & SSH_WRITE_PENDING)
			break;
		if ((win = ssh_channel_window_size(c->chan)) == 0)
			break;
		if (len > win)
			len = win;
		if (len > SSH_WRITE_CHUNK)
			len = SSH_WRITE_CHUNK;
		n = ssh_channel_write(c->chan, evbuffer_pullup(c->outq, len),
		    len);
		if (n <= 0)
			break;
		evbuffer_drain(c->outq, (size_t)n);
	}
}

/* Everything is sent: exit status, EOF and close, then wait. */
static void
ssh_conn_end_channel(struct ssh_conn *c)
{
	c->state = SSH_CONN_CLOSING;
	if (c->chan == NULL || !ssh_channel_is_open(c->chan))
		return;
	ssh_channel_request_send_exit_status(c->chan, c->exit_status);
	ssh_channel_send_eof(c->chan);
	ssh_channel_close(c->chan);
}

/* Give the last bytes and the client's close a few seconds. */
static void
ssh_conn_linger(struct ssh_conn *c)
{
	struct timeval	tv = { SSH_LINGER_SEC, 0 };

	evtimer_add(c->timer_ev, &tv);
}

/* session_ops.write: queue output for the channel; -1 over the cap. */
static int
ssh_conn_write(void *arg, const void *buf, size_t len)
{
	struct ssh_conn	*c = arg;

	if (c->dead || c->state != SSH_CONN_OPEN)
		return (0);
	if (evbuffer_get_length(c->outq) + len > cfg->outq_max)
		return (-1);
	evbuffer_add(c->outq, buf, len);
	ssh_conn_schedule(c);
	return (0);
}

/*
 * session_ops.close: the session has let go.  Send what is queued,
 * then the exit status, and close; the freeing happens in the loop.
 */
static void
ssh_conn_close(void *arg)
{
	struct ssh_conn	*c = arg;

	c->s = NULL;
	c->s_closing = 1;
	if (!c->dead && c->state == SSH_CONN_OPEN) {
		c->state = SSH_CONN_DRAIN;
		c->exit_status = 0;
		ssh_conn_linger(c);
	}
	/* Not ssh_conn_schedule: a dead connection must still be freed. */
	event_active(c->process_ev, EV_TIMEOUT, 0);
}

