/*
 * strangerd: start-up and shut-down.  Parses the command line, prepares
 * the state directory and limits, starts the matchmaker and the
 * workers, then waits for signals on the main thread.
 *
 * Owns: the configuration (read-only once the workers run) and the
 * main thread's event loop, which does nothing but signals.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

/* Descriptors kept back from the session cap for listeners, logs, files. */
#define STRANGERD_FD_RESERVE	64

struct config	*cfg;

static __dead void usage(void);
static char	*listen_name(enum proto, const struct sockaddr *, socklen_t);
static void	 add_listener(struct config *, enum proto, const char *);
static void	 raise_nofile(struct config *);
static void	 prepare_dir(struct config *);
static void	 on_signal(evutil_socket_t, short, void *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: strangerd [-fhVv] [-c file] [-d dir] "
	    "[-s [addr:]port] [-t [addr:]port] [-w workers]\n");
	exit(1);
}

/* A listener's name for logs: "telnet 127.0.0.1:2323". */
static char *
listen_name(enum proto proto, const struct sockaddr *sa, socklen_t salen)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV], *name;

	if (getnameinfo(sa, salen, host, sizeof host, port, sizeof port,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(host, sizeof host, "?");
	xasprintf(&name, "%s %s%s%s:%s", proto == PROTO_SSH ? "ssh" : "telnet",
	    sa->sa_family == AF_INET6 ? "[" : "", host,
	    sa->sa_family == AF_INET6 ? "]" : "", port);
	return (name);
}

/*
 * Add the listeners for "[addr:]port", "[v6addr]:port" or "none".  A
 * bare port listens on every IPv4 and IPv6 address.
 */
static void
add_listener(struct config *c, enum proto proto, const char *arg)
{
	struct addrinfo		 hints, *res, *ai;
	struct listen_addr	*la;
	char			*copy, *host = NULL, *port, *p;
	int			 error;

	copy = xstrdup(arg);
	if (copy[0] == '[' && (p = strchr(copy, ']')) != NULL) {
		*p = '\0';
		host = copy + 1;
		port = p[1] == ':' ? p + 2 : p + 1;
	} else if ((p = strrchr(copy, ':')) != NULL) {
		*p = '\0';
		host = copy;
		port = p + 1;
	} else
		port = copy;
	if (*port == '\0')
		fatalx("%s: no port", arg);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((error = getaddrinfo(host != NULL && *host != '\0' ? host : NULL,
	    port, &hints, &res)) != 0)
		fatalx("%s: %s", arg, gai_strerror(error));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof la->ss)
			continue;
		c->listen = xreallocarray(c->listen, c->nlisten + 1,
		    sizeof *c->listen);
		la = &c->listen[c->nlisten++];
		memset(la, 0, sizeof *la);
		la->proto = proto;
		memcpy(&la->ss, ai->ai_addr, ai->ai_addrlen);
		la->sslen = ai->ai_addrlen;
		la->name = listen_name(proto, ai->ai_addr, ai->ai_addrlen);
	}
	freeaddrinfo(res);
	free(copy);
}

/* Use every descriptor we may, and keep the session cap below it. */
static void
raise_nofile(struct config *c)
{
	struct rlimit	rl;
	u_int		cap;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > STRANGERD_FD_RESERVE * 2)
		cap = (u_int)(rl.rlim_cur > UINT_MAX ? UINT_MAX : rl.rlim_cur) -
		    STRANGERD_FD_RESERVE;
	else
		cap = (u_int)rl.rlim_cur / 2;
	if (c->max_sessions == 0 || c->max_sessions > cap)
		c->max_sessions = cap;
}

/* Create the state directory if needed and make its path absolute. */
static void
prepare_dir(struct config *c)
{
	char	*abs;

	if (mkdir(c->dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", c->dir);
	if ((abs = realpath(c->dir, NULL)) == NULL)
		fatal("%s", c->dir);
	free(c->dir);
	c->dir = abs;
}

/* SIGTERM and SIGINT stop; SIGHUP is noted. */
static void
on_signal(evutil_socket_t sig, short events, void *arg)
{
	struct event_base	*base = arg;

	(void)events;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", (int)sig);
		event_base_loopbreak(base);
		break;
	case SIGHUP:
		log_info("SIGHUP: nothing to reload yet");
		break;
	}
}

int
main(int argc, char **argv)
{
	static struct config	 c;
	struct event_base	*base;
	struct event		*ev_term, *ev_int, *ev_hup;
	sigset_t		 set;
	const char		*errstr;
	int			 ch, foreground = 0, debug = 0, no_ssh = 0;
	int			 no_telnet = 0, have_ssh = 0, have_telnet = 0;
	u_int			 i;
	long			 n;

	setlocale(LC_CTYPE, "C.UTF-8");
	c.dir = xstrdup("/var/lib/strangerd");
	c.workers = 0;
	c.outq_max = 256 * 1024;
	c.negotiate_ms = 1000;
	c.esc_ms = 150;
	/*
	 * Per address: room for a household or a small NAT behind one
	 * address, not for a bot farm.
	 */
	c.limits.per_addr = 10;
	c.limits.per_net64 = 20;
	c.limits.connect_rate = 0.5;	/* 30 a minute */
	c.limits.connect_burst = 10;
	/* A pasted paragraph passes; a flood does not. */
	c.flood.line_rate = 5;
	c.flood.line_burst = 10;
	c.flood.byte_rate = 2048;
	c.flood.byte_burst = 8192;
	c.flood.input_rate = 16384;
	c.flood.input_burst = 65536;
	c.flood.strikes = 10;
	c.flood.mute_secs = 30;
	c.flood.mutes = 3;
	c.idle_welcome = 300;
	c.idle_waiting = 1800;
	c.idle_chat = 900;

	while ((ch = getopt(argc, argv, "c:d:fhs:t:Vvw:")) != -1) {
		switch (ch) {
		case 'c':
			fprintf(stderr, "strangerd: -c: configuration files "
			    "are not supported yet\n");
			exit(1);
		case 'd':
			free(c.dir);
			c.dir = xstrdup(optarg);
			break;
		case 'f':
			foreground = 1;
			break;
		case 's':
			have_ssh = 1;
			if (strcmp(optarg, "none") == 0)
				no_ssh = 1;
			else
				add_listener(&c, PROTO_SSH, optarg);
			break;
		case 't':
			have_telnet = 1;
			if (strcmp(optarg, "none") == 0)
				no_telnet = 1;
			else
				add_listener(&c, PROTO_TELNET, optarg);
			break;
		case 'V':
			printf("strangerd %s\n", STRANGERD_VERSION);
			exit(0);
		case 'v':
			debug = 1;
			break;
		case 'w':
			errno = 0;
			n = strtol(optarg, NULL, 10);
			errstr = (errno != 0 || n < 1 || n > 64) ?
			    "must be 1 to 64" : NULL;
			if (errstr != NULL) {
				fprintf(stderr, "strangerd: -w %s: %s\n",
				    optarg, errstr);
				exit(1);
			}
			c.workers = (u_int)n;
			break;
		case 'h':
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!have_ssh)
		add_listener(&c, PROTO_SSH, "22");
	if (!have_telnet)
		add_listener(&c, PROTO_TELNET, "23");
	if (no_ssh || no_telnet) {
		/* "none" wins over any other address for that protocol. */
		u_int j = 0;

		for (i = 0; i < c.nlisten; i++) {
			if ((no_ssh && c.listen[i].proto == PROTO_SSH) ||
			    (no_telnet && c.listen[i].proto == PROTO_TELNET)) {
				free(c.listen[i].name);
				continue;
			}
			c.listen[j++] = c.listen[i];
		}
		c.nlisten = j;
	}
	if (c.nlisten == 0)
		fatalx("nothing to listen on");
	if (c.workers == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		c.workers = n < 1 ? 1 : (n > 64 ? 64 : (u_int)n);
	}
	cfg = &c;

	log_init(foreground, debug);
	prepare_dir(&c);
	raise_nofile(&c);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < c.nlisten; i++)
		if (c.listen[i].proto == PROTO_SSH)
			break;
	if (i < c.nlisten && ssh_setup(c.dir) != 0)
		fatalx("cannot set up SSH");
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");

	/* Only the main thread takes these signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	match_start();
	workers_start();
	for (i = 0; i < c.nlisten; i++)
		log_info("listening: %s", c.listen[i].name);
	log_info("strangerd %s started: %u workers, at most %u sessions, "
	    "state in %s", STRANGERD_VERSION, c.workers, c.max_sessions,
	    c.dir);

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_term = evsignal_new(base, SIGTERM, on_signal, base);
	ev_int = evsignal_new(base, SIGINT, on_signal, base);
	ev_hup = evsignal_new(base, SIGHUP, on_signal, base);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_hup, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	event_base_dispatch(base);

	workers_stop();
	match_stop();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(base);
	term_free_all();
	for (i = 0; i < c.nlisten; i++)
		free(c.listen[i].name);
	free(c.listen);
	free(c.dir);
	log_info("stopped");
	return (0);
}
