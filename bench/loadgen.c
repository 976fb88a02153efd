/*
 * loadgen: drive thousands of chat clients against strangerd or a peer
 * from one process and report what they saw.
 *
 *   loadgen -m idle    -p telnet|ssh|irc -n N            hold N sessions
 *   loadgen -m latency -p telnet|ssh|irc -n 2P -r LINES   line latency
 *   loadgen -m cycles  -p telnet|ssh -n N [-L secs] [-G secs]
 *							  pairing cycles (-L: each
 *							  client also reconnects
 *							  after 0.5-1.5 x secs;
 *							  -G: waits that long
 *							  before each /next)
 *   loadgen -m setup   -p ssh|sshd -c K                   SSH set-ups
 *
 * -P PORT,PORT,... spreads the clients over several nodes (client i on
 * the i-th port mod their number); latencies and lines received are
 * then also reported apart for lines that crossed nodes (x...) and
 * lines between two clients of one node (s...).
 *
 * Prints "READY n" once every client is in place (the driver samples
 * the server then) and one "RESULT key=value ..." line at the end,
 * with the generator's own CPU time beside the figures.  Owns every
 * client socket; the protocols live in lg-telnet.c, lg-irc.c and
 * lg-ssh.c, the terminal model in lg-vt.c.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24
#endif

enum mode { M_IDLE, M_LATENCY, M_CYCLES, M_SETUP };

/* A growable array of microsecond samples. */
struct samples {
	uint64_t	*v;
	size_t		 n, cap;
};

int			 opt_verbose;
static enum mode	 opt_mode = M_IDLE;
static enum proto	 opt_proto = P_TELNET;
static const char	*opt_host = "127.0.0.1";
/* -P: one port per node; 8 nodes are more than a bench needs. */
#define MAX_PORTS	8
static int		 opt_port[MAX_PORTS] = { 2323 };
static u_int		 nports = 1;
static u_int		 opt_n = 100;
static u_int		 opt_conc = 50;
static double		 opt_rate = 1000;
static double		 opt_ramp = 2000;	/* connects a second */
static double		 opt_warm = 2;
static double		 opt_warm_rate = -1;	/* -w: lines/s in the warm-up */
static double		 opt_dur = 10;
static u_int		 opt_idbase;
static u_int		 opt_addrbase;
static const char	*opt_key;
static double		 opt_ready_timeout = 120;
static double		 opt_drain = 1;		/* wait for stragglers */
static double		 opt_life;		/* cycles: mean connection life */
static double		 opt_gap;		/* cycles: pause before /next */

static int		 ep;
static struct client	*clients;
static u_int		 nstarted;	/* connects issued */
static u_int		 naddr;
static u_int		 nopen;		/* sockets open now */
static u_int		 npaired;	/* clients paired now */
static u_int		 nfailed;
static u_int		 nsetup;	/* SSH set-ups completed */
static u_int		 nstuck;	/* cycles: reconnected after 3 s */
static u_int		 nleft;		/* cycles -L: reconnected on purpose */
static int		 measuring;	/* inside the measured window */
static uint64_t		 t_measure0, t_measure1;
static uint64_t		 n_sent_window, n_recv_window, n_recv_total;
static uint64_t		 n_sent_total;
static uint64_t		 n_pairings_window;
static struct samples	 lat;		/* line or set-up latency */
static struct samples	 latx, lats;	/* lines across nodes, within one */
static struct samples	 pairlat;	/* time to be paired */
static volatile sig_atomic_t stop;

static void	client_start(struct client *);
static void	client_close(struct client *);
static void	send_line(struct client *, const char *);
static void	cycle_next(struct client *);
static void	usage(void);
static uint64_t	lines_due(double);

/* Microseconds on the monotonic clock, the same in every process. */
uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* This process's CPU time in seconds, user plus system. */
static double
cpu_self(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void
samples_add(struct samples *s, uint64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		if ((s->v = realloc(s->v, s->cap * sizeof *s->v)) == NULL)
			abort();
	}
	s->v[s->n++] = v;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The q-quantile in milliseconds, the samples sorted. */
static double
quantile_ms(const struct samples *s, double q)
{
	size_t	i;

	if (s->n == 0)
		return (-1);
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return ((double)s->v[i] / 1000.0);
}

/* Ask for (or stop asking for) write readiness. */
void
lg_event_out(struct client *c, int want)
{
	struct epoll_event	ev;

	if (c->fd == -1 || want == c->want_out)
		return;
	c->want_out = want;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Queue raw bytes on a plain socket (telnet, IRC). */
int
lg_send_raw(struct client *c, const void *buf, size_t len)
{
	ssize_t	n = 0;

	if (c->fd == -1)
		return (-1);
	if (c->olen == 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR) {
				lg_fail(c, "send");
				return (-1);
			}
			n = 0;
		}
		if ((size_t)n == len)
			return (0);
	}
	if ((c->obuf = realloc(c->obuf, c->olen + len - (size_t)n)) == NULL)
		abort();
	memcpy(c->obuf + c->olen, (const char *)buf + n, len - (size_t)n);
	c->olen += len - (size_t)n;
	lg_event_out(c, 1);
	return (0);
}

/* The socket can take more: send what is queued. */
static void
flush_out(struct client *c)
{
	ssize_t	n;

	if (c->olen == 0) {
		lg_event_out(c, 0);
		return;
	}
	n = send(c->fd, c->obuf, c->olen, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			lg_fail(c, "send");
		return;
	}
	memmove(c->obuf, c->obuf + n, c->olen - (size_t)n);
	c->olen -= (size_t)n;
	if (c->olen == 0)
		lg_event_out(c, 0);
}

/* A client has its partner. */
static void
paired(struct client *c)
{
	uint64_t	now = now_us();

	c->phase = C_PAIRED;
	npaired++;
	c->sent_line = c->got_line = 0;
	if (measuring) {
		samples_add(&pairlat, now - c->t_want);
		n_pairings_window++;
	}
	if (opt_mode == M_CYCLES) {
		send_line(c, "hello");
		c->sent_line = 1;
	}
}

/* Terminal output of a telnet or SSH client. */
void
lg_app_data(struct client *c, const char *buf, size_t len)
{
	int	bels = c->vt->bels;

	vt_feed(c->vt, buf, len);
	if (c->phase == C_WELCOME && vt_find(c->vt, "Enter to agree")) {
		c->phase = C_WAITING;
		c->t_want = now_us();
		if (c->proto == P_SSH)
			lgssh_write(c, "\r", 1);
		else
			lg_send_raw(c, "\r", 1);
	}
	if (c->vt->bels != bels && c->phase == C_WAITING)
		paired(c);
	if (c->vt->dirty != 0)
		vt_scan_tokens(c->vt, c);
}

/*
 * The check digits of a token.  A row the server redraws arrives as a
 * diff, possibly split over two reads; half old digits and half new
 * would read as a wrong time, so such a token must not check.
 */
u_int
token_check(u_int sender, uint64_t t)
{
	return ((u_int)(((t * 2654435761u) ^ (sender * 40503u)) % 9973));
}

/* A token in what a client received. */
void
lg_token(struct client *c, u_int sender, uint64_t t, u_int check)
{
	uint64_t	now;

	if (sender == c->id || t <= c->t_partner || t <= c->t_want ||
	    c->phase != C_PAIRED || check != token_check(sender, t))
		return;
	now = now_us();
	if (t > now)
		return;
	c->t_partner = t;
	n_recv_total++;
	if (t >= t_measure0 && t_measure0 != 0 &&
	    (t_measure1 == 0 || t < t_measure1)) {
		n_recv_window++;
		samples_add(&lat, now - t);
		if (nports > 1 && sender - opt_idbase < opt_n)
			samples_add(clients[sender - opt_idbase].node ==
			    c->node ? &lats : &latx, now - t);
		if (opt_verbose && now - t > 100000)
			fprintf(stderr, "slow %u<-%u at %.3f: %.1f ms\n", c->id,
			    sender, (now - t_measure0) / 1e6, (now - t) / 1e3);
	}
	if (opt_mode == M_CYCLES) {
		c->got_line = 1;
		if (c->sent_line && opt_gap > 0)
			c->t_next = now + (uint64_t)(opt_gap * 1e6);
		else if (c->sent_line)
			cycle_next(c);
	}
}

/* Cycles: this pairing is done, ask for the next stranger. */
static void
cycle_next(struct client *c)
{
	npaired--;
	c->phase = C_WAITING;
	c->t_want = now_us();
	c->t_next = 0;
	send_line(c, "/next");
}

/* Send one chat line (a token unless it is a command). */
static void
send_line(struct client *c, const char *text)
{
	char		buf[128];
	uint64_t	t = now_us();
	int		n;

	if (text[0] == '/')
		n = snprintf(buf, sizeof buf, "%s", text);
	else {
		n = snprintf(buf, sizeof buf, "~%u.%llu.%u~ %s", c->id,
		    (unsigned long long)t, token_check(c->id, t), text);
		n_sent_total++;
		if (measuring)
			n_sent_window++;
	}
	switch (c->proto) {
	case P_IRC:
		irc_send_line(c, buf);
		break;
	case P_SSH:
	case P_SSHD:
		buf[n++] = '\r';
		lgssh_write(c, buf, (size_t)n);
		break;
	default:
		buf[n++] = '\r';
		lg_send_raw(c, buf, (size_t)n);
		break;
	}
}

/* An SSH client finished its handshake, or an IRC client registered. */
void
lg_setup_done(struct client *c)
{
	uint64_t	now = now_us();

	nsetup++;
	if (opt_mode == M_SETUP) {
		if (measuring)
			samples_add(&lat, now - c->t_start);
		client_close(c);
		if (!stop)
			client_start(c);
		return;
	}
	if (c->proto == P_IRC) {
		c->phase = C_WAITING;
		paired(c);
		return;
	}
	c->phase = C_WELCOME;
	lg_app_data(c, "", 0);
}

/* A client failed: count it and close. */
void
lg_fail(struct client *c, const char *why)
{
	if (c->phase == C_DONE)
		return;
	nfailed++;
	if (opt_verbose || nfailed <= 5)
		fprintf(stderr, "loadgen: client %u: %s\n", c->id, why);
	client_close(c);
	if (opt_mode == M_SETUP && !stop)
		client_start(c);
}

/* Free a client's socket and protocol state. */
static void
client_close(struct client *c)
{
	if (c->phase == C_PAIRED)
		npaired--;
	c->phase = C_DONE;
	if (c->fd != -1) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		nopen--;
	}
	/* libssh leaves a socket it was given (SSH_OPTIONS_FD) open. */
	lgssh_free(c);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->obuf);
	c->obuf = NULL;
	c->olen = 0;
	c->want_out = 0;
}

/* Open a connection from the next loopback source address. */
static void
client_start(struct client *c)
{
	struct sockaddr_in	 sin, src;
	struct epoll_event	 ev;
	uint32_t		 a;
	int			 one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1) {
		perror("loadgen: socket");
		exit(1);
	}
	nopen++;
	nstarted++;
	setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof one);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* 127.1.0.0 upwards: each connection its own address. */
	a = 0x7f010000u + ((opt_addrbase + naddr++) % 0xfe0000u);
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(a);
	if (bind(c->fd, (struct sockaddr *)&src, sizeof src) == -1) {
		perror("loadgen: bind");
		exit(1);
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)opt_port[c->node]);
	inet_pton(AF_INET, opt_host, &sin.sin_addr);
	c->phase = C_CONNECTING;
	c->t_start = now_us();
	c->t_want = 0;
	c->t_next = 0;
	c->t_leave = opt_life <= 0 ? 0 : c->t_start + (uint64_t)(opt_life *
	    1e6 * (0.5 + (double)random() / RAND_MAX));
	c->ssh_step = 0;
	c->chan = NULL;
	c->tn_state = 0;
	c->ilen = 0;
	if (c->vt != NULL)
		vt_init(c->vt);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof sin) == -1 &&
	    errno != EINPROGRESS) {
		lg_fail(c, strerror(errno));
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	c->want_out = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* The non-blocking connect finished. */
static void
client_connected(struct client *c)
{
	int		err = 0;
	socklen_t	len = sizeof err;

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		lg_fail(c, strerror(err));
		return;
	}
	lg_event_out(c, 0);
	switch (c->proto) {
	case P_TELNET:
		c->phase = C_WELCOME;
		telnet_connected(c);
		break;
	case P_IRC:
		c->phase = C_WELCOME;
		irc_connected(c);
		break;
	case P_SSH:
	case P_SSHD:
		lgssh_connected(c);
		break;
	}
}

/* The socket has news. */
static void
client_event(struct client *c, uint32_t events)
{
	char	buf[16384];
	ssize_t	n;

	if (c->phase == C_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			client_connected(c);
		return;
	}
	if (c->ssh != NULL) {
		lgssh_io(c);
		return;
	}
	if ((events & EPOLLOUT) && c->olen > 0)
		flush_out(c);
	if (c->fd == -1 || !(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = recv(c->fd, buf, sizeof buf, 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		lg_fail(c, n == 0 ? "server closed" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	if (c->proto == P_IRC)
		irc_input(c, buf, (size_t)n);
	else
		telnet_input(c, (u_char *)buf, (size_t)n);
}

/* With -v: what a client stuck in the cycles saw. */
static void
report_stuck(struct client *c, uint64_t now)
{
	u_int	y;

	fprintf(stderr, "loadgen: client %u stuck in phase %d for %.1f s, "
	    "sent_line %d got_line %d\n", c->id, c->phase,
	    (now - c->t_want) / 1e6, c->sent_line, c->got_line);
	if (c->vt != NULL)
		for (y = 0; y < VT_ROWS; y++)
			fprintf(stderr, "  |%.*s|\n", VT_COLS, c->vt->cell[y]);
}

/* Say where the clients that are not in place got stuck. */
static void
report_stragglers(void)
{
	struct client	*c;
	u_int		 i, y, shown = 0;

	for (i = 0; i < nstarted && shown < 3; i++) {
		c = &clients[i];
		if (c->phase == C_PAIRED || c->phase == C_DONE ||
		    opt_mode == M_SETUP)
			continue;
		shown++;
		fprintf(stderr, "loadgen: client %u not in place at READY "
		    "(phase %d)\n", c->id, c->phase);
		if (c->vt != NULL && opt_verbose)
			for (y = 0; y < VT_ROWS; y++)
				fprintf(stderr, "  |%.*s|\n", VT_COLS,
				    c->vt->cell[y]);
	}
}

/* -P PORT[,PORT...]: one port per node. */
static void
parse_ports(const char *arg)
{
	char	*end;
	long	 p;

	nports = 0;
	do {
		p = strtol(arg, &end, 10);
		if (p <= 0 || p > 65535 || nports == MAX_PORTS ||
		    (*end != ',' && *end != '\0'))
			usage();
		opt_port[nports++] = (int)p;
		arg = end + 1;
	} while (*end == ',');
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Lines due t seconds after everyone was paired: -w a second during the
 * warm-up (the soak fills the conversations with it), -r after.
 */
static uint64_t
lines_due(double t)
{
	double	warm_rate = opt_warm_rate >= 0 ? opt_warm_rate : opt_rate;

	if (t <= opt_warm)
		return ((uint64_t)(t * warm_rate));
	return ((uint64_t)(opt_warm * warm_rate + (t - opt_warm) * opt_rate));
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen [-v] [-m idle|latency|cycles|setup] "
	    "[-p telnet|ssh|irc|sshd]\n"
	    "\t[-H host] [-P port[,port...]] [-n clients] [-c concurrency] "
	    "[-r lines/s]\n"
	    "\t[-R connects/s] [-W warmup] [-w warmup-lines/s] [-d seconds] "
	    "[-i idbase] "
	    "[-a addrbase]\n\t[-k keyfile | -K] [-T ready-timeout] "
	    "[-L life-seconds] [-G gap-seconds]\n\t[-D drain-seconds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	struct rlimit		 rl;
	struct client		*c;
	uint64_t		 t0, now, t_ready = 0, t_run0 = 0, t_end = 0;
	uint64_t		 due;
	double			 cpu0 = 0, cpu1, elapsed;
	uint64_t		 t_progress = 0, t_sweep = 0;
	u_int			 i, want, cursor = 0, ready = 0, last_npaired = 0;
	int			 ch, n, timeout;

	while ((ch = getopt(argc, argv, "a:c:D:d:G:H:i:Kk:L:m:Nn:P:p:R:r:T:vW:w:")) !=
	    -1) {
		switch (ch) {
		case 'a': opt_addrbase = (u_int)strtoul(optarg, NULL, 10); break;
		case 'c': opt_conc = (u_int)strtoul(optarg, NULL, 10); break;
		case 'D': opt_drain = strtod(optarg, NULL); break;
		case 'd': opt_dur = strtod(optarg, NULL); break;
		case 'H': opt_host = optarg; break;
		case 'i': opt_idbase = (u_int)strtoul(optarg, NULL, 10); break;
		case 'G': opt_gap = strtod(optarg, NULL); break;
		case 'K': lgssh_fresh = 1; break;
		case 'k': opt_key = optarg; break;
		case 'L': opt_life = strtod(optarg, NULL); break;
		case 'N': lgssh_pty = 0; break;
		case 'n': opt_n = (u_int)strtoul(optarg, NULL, 10); break;
		case 'P': parse_ports(optarg); break;
		case 'R': opt_ramp = strtod(optarg, NULL); break;
		case 'r': opt_rate = strtod(optarg, NULL); break;
		case 'T': opt_ready_timeout = strtod(optarg, NULL); break;
		case 'v': opt_verbose = 1; break;
		case 'W': opt_warm = strtod(optarg, NULL); break;
		case 'w': opt_warm_rate = strtod(optarg, NULL); break;
		case 'm':
			if (strcmp(optarg, "idle") == 0) opt_mode = M_IDLE;
			else if (strcmp(optarg, "latency") == 0)
				opt_mode = M_LATENCY;
			else if (strcmp(optarg, "cycles") == 0)
				opt_mode = M_CYCLES;
			else if (strcmp(optarg, "setup") == 0)
				opt_mode = M_SETUP;
			else usage();
			break;
		case 'p':
			if (strcmp(optarg, "telnet") == 0) opt_proto = P_TELNET;
			else if (strcmp(optarg, "ssh") == 0) opt_proto = P_SSH;
			else if (strcmp(optarg, "irc") == 0) opt_proto = P_IRC;
			else if (strcmp(optarg, "sshd") == 0) opt_proto = P_SSHD;
			else usage();
			break;
		default:
			usage();
		}
	}
	if (opt_mode == M_SETUP)
		opt_n = opt_conc;
	if ((opt_proto == P_SSH || opt_proto == P_SSHD) &&
	    lgssh_init(opt_key) != 0)
		usage();

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("epoll_create1");
		return (1);
	}
	if ((clients = calloc(opt_n, sizeof *clients)) == NULL)
		abort();
	for (i = 0; i < opt_n; i++) {
		c = &clients[i];
		c->idx = i;
		c->id = opt_idbase + i;
		c->node = i % nports;
		c->fd = -1;
		c->proto = opt_proto;
		c->phase = C_DONE;
		if (opt_proto != P_IRC && (c->vt = malloc(sizeof *c->vt)) ==
		    NULL)
			abort();
	}

	t0 = now_us();
	for (;;) {
		now = now_us();
		/* Open connections at the ramp rate. */
		if (opt_mode != M_SETUP) {
			want = (u_int)((double)(now - t0) / 1e6 * opt_ramp) + 1;
			if (want > opt_n)
				want = opt_n;
			while (nstarted < want && !stop)
				client_start(&clients[nstarted]);
		} else if (nstarted == 0) {
			for (i = 0; i < opt_n; i++)
				client_start(&clients[i]);
		}

		/*
		 * Everyone in place, or no progress for 2 s, or the deadline
		 * passed: start timing.
		 */
		if (npaired != last_npaired) {
			last_npaired = npaired;
			t_progress = now;
		}
		if (!ready && (opt_mode == M_SETUP ||
		    (nstarted == opt_n && npaired > 0 &&
		    now - t_progress > 2000000) ||
		    (nstarted == opt_n && npaired + nfailed >= opt_n) ||
		    (now - t0) / 1e6 > opt_ready_timeout ||
		    (opt_mode == M_CYCLES && nstarted == opt_n &&
		    npaired >= opt_n / 2))) {
			ready = 1;
			t_ready = now;
			printf("READY %u paired=%u failed=%u after=%.1fs\n",
			    opt_n, npaired, nfailed, (now - t0) / 1e6);
			report_stragglers();
			t_run0 = now;
		}
		if (ready && !measuring && t_measure0 == 0 &&
		    now >= t_ready + (uint64_t)(opt_warm * 1e6)) {
			measuring = 1;
			t_measure0 = now;
			cpu0 = cpu_self();
			nsetup = 0;
		}
		if (measuring && now >= t_measure0 + (uint64_t)(opt_dur * 1e6)) {
			measuring = 0;
			t_measure1 = now;
			/* Lines still on their way count if they arrive. */
			t_end = now + (uint64_t)(opt_drain * 1e6);
		}
		if ((t_end != 0 && now >= t_end) || stop)
			break;

		/* Lines at the target rate, round robin over paired clients. */
		if (ready && opt_mode == M_LATENCY && t_measure1 == 0) {
			due = lines_due((double)(now - t_run0) / 1e6);
			for (i = 0; n_sent_total < due && i < opt_n; i++) {
				c = &clients[cursor];
				cursor = (cursor + 1) % opt_n;
				if (c->phase == C_PAIRED)
					send_line(c, "hello there");
			}
			if (n_sent_total < due)
				n_sent_total = due;	/* nobody paired */
		}

		/*
		 * Cycles: a client left waiting 3 s for a stranger (or for a
		 * line) while others cycle is stuck; count it and reconnect.
		 * With -G, a client that has had its partner's line says
		 * /next only after the gap (a person, not a flood); with -L,
		 * it also hangs up at the end of its life (churn: connects
		 * and disconnects) and connects again.
		 */
		if (opt_mode == M_CYCLES && ready && now - t_sweep > 100000) {
			t_sweep = now;
			for (i = 0; i < opt_n; i++) {
				c = &clients[i];
				if (c->phase == C_PAIRED && c->t_next != 0 &&
				    now >= c->t_next) {
					cycle_next(c);
					continue;
				}
				if (c->t_leave != 0 && now >= c->t_leave) {
					nleft++;
					client_close(c);
					client_start(c);
					continue;
				}
				if ((c->phase != C_WAITING && c->phase != C_PAIRED) ||
				    now - c->t_want < 3000000)
					continue;
				nstuck++;
				if (opt_verbose && nstuck <= 3)
					report_stuck(c, now);
				client_close(c);
				client_start(c);
			}
		}

		timeout = opt_mode == M_LATENCY ? 1 : 20;
		n = epoll_wait(ep, evs, 256, timeout);
		for (i = 0; n > 0 && i < (u_int)n; i++)
			client_event(evs[i].data.ptr, evs[i].events);
	}

	cpu1 = cpu_self();
	elapsed = (double)(t_measure1 - t_measure0) / 1e6;
	if (t_measure1 == 0)
		elapsed = 0;
	qsort(lat.v, lat.n, sizeof *lat.v, cmp_u64);
	qsort(pairlat.v, pairlat.n, sizeof *pairlat.v, cmp_u64);
	qsort(latx.v, latx.n, sizeof *latx.v, cmp_u64);
	qsort(lats.v, lats.n, sizeof *lats.v, cmp_u64);
	printf("RESULT mode=%d proto=%d n=%u open=%u paired=%u failed=%u "
	    "secs=%.2f gen_cpu=%.3f sent=%llu recv=%llu "
	    "p50=%.3f p90=%.3f p99=%.3f p999=%.3f max=%.3f samples=%zu "
	    "setups=%u pairings=%llu pair_p50=%.3f pair_p99=%.3f stuck=%u "
	    "left=%u started=%u xp50=%.3f xp99=%.3f xp999=%.3f xrecv=%zu "
	    "sp50=%.3f sp99=%.3f sp999=%.3f srecv=%zu\n",
	    opt_mode, opt_proto, opt_n, nopen, npaired, nfailed, elapsed,
	    cpu1 - cpu0, (unsigned long long)n_sent_window,
	    (unsigned long long)n_recv_window,
	    quantile_ms(&lat, 0.5), quantile_ms(&lat, 0.9),
	    quantile_ms(&lat, 0.99), quantile_ms(&lat, 0.999),
	    lat.n ? lat.v[lat.n - 1] / 1000.0 : -1.0, lat.n, nsetup,
	    (unsigned long long)n_pairings_window,
	    quantile_ms(&pairlat, 0.5), quantile_ms(&pairlat, 0.99), nstuck,
	    nleft, nstarted, quantile_ms(&latx, 0.5), quantile_ms(&latx, 0.99),
	    quantile_ms(&latx, 0.999), latx.n, quantile_ms(&lats, 0.5),
	    quantile_ms(&lats, 0.99), quantile_ms(&lats, 0.999), lats.n);
	return (0);
}
