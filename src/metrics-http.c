/*
 * Serving the metrics: a thread of its own with an event loop, one
 * listening socket and a small HTTP/1.1 responder that answers GET or
 * HEAD /metrics with metrics_text() and closes.
 *
 * Ours rather than libevent's evhttp, so that it stays within bounds
 * under a crowd: at most metrics_max_connections at once (one more is
 * accepted and closed at once, not left queued, so the listener never
 * stays readable for nothing), their descriptors set aside from what
 * visitors may use (metrics_http_fds()), a pause when accept() fails
 * for want of descriptors or memory, and each of those events logged at
 * most once a second.
 *
 * Owns: the metrics thread, its event_base, inbox, listening socket
 * and connections.  Runs only on the metrics thread once started.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "strangerd.h"

/* A request is one line and a few headers: refuse anything bigger. */
#define METRICS_HTTP_REQUEST_MAX	8192
/*
 * Time a connection has, from accept to close, to ask and to take the
 * answer: a deadline, not an idle timeout, which a client sending or
 * reading a byte at a time would renew for ever.
 */
#define METRICS_HTTP_TIMEOUT_SEC	10
/* Out of descriptors or memory: stop accepting this long. */
#define METRICS_HTTP_RETRY_MS		250
/* Connections taken per wake-up. */
#define METRICS_HTTP_ACCEPT_BATCH	32

struct metrics_conn {
	struct bufferevent	*bev;
	struct event		*deadline;
	LIST_ENTRY(metrics_conn) entry;
};

static struct event_base *metrics_http_base;
static struct inbox	*metrics_http_inbox;
static pthread_t	 metrics_http_thread;
static int		 metrics_http_running;
static int		 metrics_http_fd = -1;
static struct event	*metrics_http_accept_ev;
static struct event	*metrics_http_retry_ev;
static u_int		 metrics_http_max;	/* connections at once */
static u_int		 metrics_http_nconns;
static LIST_HEAD(, metrics_conn) metrics_http_conns =
    LIST_HEAD_INITIALIZER(metrics_http_conns);
static struct log_limit	 metrics_http_log_accept;
static struct log_limit	 metrics_http_log_full;

static void	 metrics_http_accept(evutil_socket_t, short, void *);
static void	 metrics_http_retry(evutil_socket_t, short, void *);
static void	 metrics_http_read(struct bufferevent *, void *);
static void	 metrics_http_event(struct bufferevent *, short, void *);
static void	 metrics_http_sent(struct bufferevent *, void *);
static void	 metrics_http_expire(evutil_socket_t, short, void *);
static void	 metrics_http_answer(struct metrics_conn *, const char *,
		     const char *);
static void	 metrics_http_reply(struct metrics_conn *, int, const char *,
		     const char *, const char *, int);
static void	 metrics_http_free(struct metrics_conn *);
static void	 metrics_http_message(struct msg *, void *);
static void	*metrics_http_main(void *);

/*
 * Descriptors the metrics listener may hold with configuration c: its
 * socket and its connections.  strangerd.c keeps them out of the
 * visitors' budget.
 */
u_int
metrics_http_fds(const struct config *c)
{
	return (c->metrics_sslen == 0 ? 0 : c->metrics_maxconns + 1);
}

/* New connections on the listening socket. */
static void
metrics_http_accept(evutil_socket_t fd, short events, void *arg)
{
	struct metrics_conn	*mc;
	struct timeval		 tv = { 0, METRICS_HTTP_RETRY_MS * 1000 };
	struct timeval		 timeout = { METRICS_HTTP_TIMEOUT_SEC, 0 };
	u_int			 n;
	int			 c;

	(void)events;
	(void)arg;
	for (n = 0; n < METRICS_HTTP_ACCEPT_BATCH; n++) {
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			log_limited(&metrics_http_log_accept, 1, 1,
			    "metrics: accept");
			/* Rather than spin on a socket that stays readable. */
			event_del(metrics_http_accept_ev);
			evtimer_add(metrics_http_retry_ev, &tv);
			return;
		}
		if (metrics_http_nconns >= metrics_http_max) {
			close(c);
			log_limited(&metrics_http_log_full, 1, 0, "metrics: "
			    "connection refused, %u open "
			    "(metrics_max_connections)", metrics_http_nconns);
			continue;
		}
		mc = xcalloc(1, sizeof *mc);
		mc->bev = bufferevent_socket_new(metrics_http_base, c,
		    BEV_OPT_CLOSE_ON_FREE);
		if (mc->bev == NULL) {
			close(c);
			free(mc);
			continue;
		}
		metrics_http_nconns++;
		LIST_INSERT_HEAD(&metrics_http_conns, mc, entry);
		mc->deadline = evtimer_new(metrics_http_base,
		    metrics_http_expire, mc);
		evtimer_add(mc->deadline, &timeout);
		bufferevent_setcb(mc->bev, metrics_http_read, NULL,
		    metrics_http_event, mc);
		bufferevent_setwatermark(mc->bev, EV_READ, 0,
		    METRICS_HTTP_REQUEST_MAX + 1);
		bufferevent_enable(mc->bev, EV_READ);
	}
}

/* The pause after a failed accept is over. */
static void
metrics_http_retry(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	event_add(metrics_http_accept_ev, NULL);
}

/* Bytes of a request: answer once the headers are complete. */
static void
metrics_http_read(struct bufferevent *bev, void *arg)
{
	struct metrics_conn	*mc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 end;
	char			*line, *method, *uri, *last;

	end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos == -1)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos == -1) {
		if (evbuffer_get_length(in) > METRICS_HTTP_REQUEST_MAX)
			metrics_http_reply(mc, 431, "Request Header Fields "
			    "Too Large", "text/plain", "too long\n", 0);
		return;
	}
	line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF);
	method = line != NULL ? strtok_r(line, " ", &last) : NULL;
	uri = method != NULL ? strtok_r(NULL, " ", &last) : NULL;
	metrics_http_answer(mc, method, uri);
	free(line);
}

/* The answer to method and uri (NULL: not a request line). */
static void
metrics_http_answer(struct metrics_conn *mc, const char *method,
    const char *uri)
{
	char	*text;
	int	 head;

	if (method == NULL || uri == NULL) {
		metrics_http_reply(mc, 400, "Bad Request", "text/plain",
		    "bad request\n", 0);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		metrics_http_reply(mc, 405, "Method Not Allowed", "text/plain",
		    "GET or HEAD\n", 0);
		return;
	}
	if (strcmp(uri, "/metrics") != 0 && strncmp(uri, "/metrics?", 9) != 0) {
		metrics_http_reply(mc, 404, "Not Found", "text/plain",
		    "try /metrics\n", head);
		return;
	}
	text = metrics_text();
	metrics_http_reply(mc, 200, "OK",
	    "text/plain; version=0.0.4; charset=utf-8", text, head);
	free(text);
}

/* Send one answer, then close once it has gone. */
static void
metrics_http_reply(struct metrics_conn *mc, int status, const char *reason,
    const char *type, const char *body, int head)
{
	struct evbuffer	*out = bufferevent_get_output(mc->bev);
	size_t		 len = strlen(body);

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", status,
	    reason, type, len, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head)
		evbuffer_add(out, body, len);
	bufferevent_disable(mc->bev, EV_READ);
	bufferevent_setcb(mc->bev, NULL, metrics_http_sent, metrics_http_event,
	    mc);
	bufferevent_setwatermark(mc->bev, EV_WRITE, 0, 0);
}

/* The answer has gone. */
static void
metrics_http_sent(struct bufferevent *bev, void *arg)
{
	(void)bev;
	metrics_http_free(arg);
}

/* The connection's time is up, whatever it was doing. */
static void
metrics_http_expire(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	metrics_http_free(arg);
}

/* The peer closed or failed. */
static void
metrics_http_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	metrics_http_free(arg);
}

/* Close a connection and free it. */
static void
metrics_http_free(struct metrics_conn *mc)
{
	LIST_REMOVE(mc, entry);
	event_free(mc->deadline);
	bufferevent_free(mc->bev);
	free(mc);
	metrics_http_nconns--;
}

/* The only message is MSG_STOP. */
static void
metrics_http_message(struct msg *m, void *arg)
{
	(void)arg;
	if (m->type == MSG_STOP)
		event_base_loopbreak(metrics_http_base);
	msg_free(m);
}

/* The metrics thread: serve until told to stop. */
static void *
metrics_http_main(void *arg)
{
	(void)arg;
	event_base_loop(metrics_http_base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/*
 * Bind the metrics address and start serving, if one is configured.
 * Called before privileges are dropped, after the fork to background.
 */
int
metrics_http_start(const struct config *c)
{
	int	fd, one = 1;

	if (c->metrics_sslen == 0)
		return (0);
	fd = socket(c->metrics_ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("metrics: socket");
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)&c->metrics_ss,
	    c->metrics_sslen) == -1 || listen(fd, 64) == -1) {
		log_warn("metrics: bind %s", c->metrics_name);
		close(fd);
		return (-1);
	}
	if ((metrics_http_base = event_base_new()) == NULL)
		fatalx("metrics: event_base_new failed");
	metrics_http_fd = fd;
	metrics_http_max = c->metrics_maxconns;
	metrics_http_accept_ev = event_new(metrics_http_base, fd,
	    EV_READ | EV_PERSIST, metrics_http_accept, NULL);
	metrics_http_retry_ev = evtimer_new(metrics_http_base,
	    metrics_http_retry, NULL);
	event_add(metrics_http_accept_ev, NULL);
	metrics_http_inbox = inbox_new(metrics_http_base, metrics_http_message,
	    NULL);
	if (pthread_create(&metrics_http_thread, NULL, metrics_http_main,
	    NULL) != 0)
		fatalx("metrics: pthread_create failed");
	metrics_http_running = 1;
	log_info("metrics: http://%s/metrics", c->metrics_name);
	return (0);
}

/* Stop the metrics thread and free what it held. */
void
metrics_http_stop(void)
{
	if (!metrics_http_running)
		return;
	inbox_post(metrics_http_inbox, msg_new(MSG_STOP));
	pthread_join(metrics_http_thread, NULL);
	while (!LIST_EMPTY(&metrics_http_conns))
		metrics_http_free(LIST_FIRST(&metrics_http_conns));
	event_free(metrics_http_accept_ev);
	event_free(metrics_http_retry_ev);
	close(metrics_http_fd);
	metrics_http_fd = -1;
	inbox_free(metrics_http_inbox);
	event_base_free(metrics_http_base);
	metrics_http_running = 0;
}
