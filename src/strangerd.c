/*
 * strangerd: start-up, reload and shut-down.  Reads the configuration
 * (strangerd.conf(5), then the command line over it), prepares the
 * state directory and limits, starts the matchmaker, the workers and
 * the metrics thread, drops root, then waits for signals on the main
 * thread.
 *
 * Owns: the published configuration (cfg) and the ones it replaced,
 * and the main thread's event loop, which does nothing but signals.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "strangerd.h"

#ifndef STRANGERD_CONF
#define STRANGERD_CONF		"/etc/strangerd.conf"
#endif

/* Descriptors kept back from the session cap for listeners, logs, files. */
#define STRANGERD_FD_RESERVE	64

/*
 * The configuration in force.  Published once before any thread starts
 * and replaced whole on SIGHUP; see src/THREADS.
 */
struct config *_Atomic cfg;

/* The file as last read, before start-up resolved anything: for diffs. */
static struct config	 *parsed;
/*
 * Configurations replaced by a reload.  A thread may still be reading
 * one, and nothing tells us when it stops, so they are kept until every
 * thread has ended: one small struct per SIGHUP.
 */
static struct config	**retired;
static u_int		  nretired;

/* Where the configuration comes from, for every (re)load. */
static const char	 *conf_path = STRANGERD_CONF;
static char		 *abs_conf;	/* owned: conf_path made absolute */
static int		  conf_required;
struct override {
	const char	*keyword;
	const char	*value;
};
static struct override	 *overrides;	/* from the command line */
static u_int		  noverrides;
static u_int		  nofile_cap;	/* descriptors for connections */

/* What the command line asks besides the configuration. */
struct options {
	int	foreground;	/* -f */
	int	debug;		/* -v */
	int	check;		/* -n */
	int	dump_config;	/* -T */
	int	move;		/* -M */
};

static __dead void usage(void);
/* The main thread's loop, which only takes signals. */
struct signals {
	struct event_base	*base;
	struct event		*ev[3];	/* SIGTERM, SIGINT, SIGHUP */
};

static void	 get_options(int, char **, struct options *);
static struct config *first_config(void);
static int	 ssh_wanted(const struct config *);
static int	 move_store(int);
static void	 log_started(const struct config *);
static void	 drop_root(const struct config *, int, uid_t, gid_t);
static void	 signals_wait(struct signals *, sigset_t *);
static void	 signals_free(struct signals *);
static void	 configs_free(void);
static void	 add_override(const char *, const char *);
static struct config *load_config(char **);
static void	 raise_nofile(struct config *);
static void	 apply_cap(struct config *);
static void	 prepare_dir(struct config *);
static void	 reload(void);
static void	 on_signal(evutil_socket_t, short, void *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: strangerd [-fhMnTVv] [-c file] [-d dir] "
	    "[-s [addr:]port] [-t [addr:]port] [-w workers]\n");
	exit(1);
}

/* Remember a command-line option; it is applied over every (re)load. */
static void
add_override(const char *keyword, const char *value)
{
	u_int	i;

	/*
	 * The first -s (or -t) replaces the file's listeners of that
	 * protocol rather than adding to them.
	 */
	if (strcmp(keyword, "ssh_listen") == 0 ||
	    strcmp(keyword, "telnet_listen") == 0) {
		for (i = 0; i < noverrides; i++)
			if (strcmp(overrides[i].keyword, keyword) == 0)
				break;
		if (i == noverrides && strcmp(value, "none") != 0)
			add_override(keyword, "none");
	}
	overrides = xreallocarray(overrides, noverrides + 1,
	    sizeof *overrides);
	overrides[noverrides].keyword = keyword;
	overrides[noverrides].value = value;
	noverrides++;
}

/* Read the file, apply the command line over it and check the result. */
static struct config *
load_config(char **cause)
{
	struct config	*c;
	char		*why;
	u_int		 i;

	c = config_new();
	if (config_load(c, conf_path, conf_required, cause) != 0)
		goto fail;
	for (i = 0; i < noverrides; i++) {
		if (config_set(c, overrides[i].keyword, overrides[i].value,
		    &why) != 0) {
			xasprintf(cause, "command line: %s", why);
			free(why);
			goto fail;
		}
	}
	if (config_finish(c, cause) != 0)
		goto fail;
	return (c);
fail:
	config_free(c);
	return (NULL);
}

/*
 * Use every descriptor we may, and work out how many connections fit:
 * the workers refuse one ("server full") rather than run out.  What
 * the metrics listener may hold is set aside first, at most half of
 * them: metrics_max_connections is lowered to fit.
 */
static void
raise_nofile(struct config *c)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > STRANGERD_FD_RESERVE * 2)
		nofile_cap = (u_int)(rl.rlim_cur > UINT_MAX ? UINT_MAX :
		    rl.rlim_cur) - STRANGERD_FD_RESERVE;
	else
		nofile_cap = (u_int)rl.rlim_cur / 2;
	if (metrics_http_fds(c) > nofile_cap / 2 && nofile_cap >= 4) {
		log_warnx("metrics_max_connections %u: only %u descriptors "
		    "allow it, using %u", c->metrics_maxconns, nofile_cap,
		    nofile_cap / 2 - 1);
		c->metrics_maxconns = nofile_cap / 2 - 1;
	}
	nofile_cap -= metrics_http_fds(c) < nofile_cap ? metrics_http_fds(c) :
	    nofile_cap;
}

/* Keep the session cap below what the descriptors allow; 0 is "all". */
static void
apply_cap(struct config *c)
{
	if (c->max_sessions == 0 || c->max_sessions > nofile_cap) {
		if (c->max_sessions > nofile_cap)
			log_warnx("max_sessions %u: only %u descriptors "
			    "allow it, using %u", c->max_sessions, nofile_cap,
			    nofile_cap);
		c->max_sessions = nofile_cap;
	}
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

/*
 * SIGHUP: read the configuration again and publish it whole.  What
 * cannot change while running keeps its running value and is named in
 * the log.  A bad file changes nothing.
 */
static void
reload(void)
{
	struct config	*np, *live, *next;
	char		*cause, *fixed;

	if ((np = load_config(&cause)) == NULL) {
		log_warnx("reload: %s; keeping the running configuration",
		    cause);
		free(cause);
		return;
	}
	live = atomic_load(&cfg);
	if ((fixed = config_fixed(parsed, np)) != NULL) {
		log_warnx("reload: %s cannot change without a restart; "
		    "keeping the running value%s", fixed,
		    strchr(fixed, ',') != NULL ? "s" : "");
		free(fixed);
	}
	next = config_dup(np);
	config_keep_fixed(next, live);
	apply_cap(next);

	retired = xreallocarray(retired, nretired + 1, sizeof *retired);
	retired[nretired++] = live;
	atomic_store_explicit(&cfg, next, memory_order_release);
	config_free(parsed);
	parsed = np;
	metrics_inc(METRIC_RELOADS);
	log_info("reloaded %s: at most %u sessions, %u per address",
	    next->path != NULL ? next->path : "defaults", next->max_sessions,
	    next->limits.per_addr);
	/*
	 * Other modules that keep their own files (the rules text, the
	 * moderators file) reread them here or on their own schedule.
	 */
}

/* SIGTERM and SIGINT stop; SIGHUP reloads. */
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
		log_info("SIGHUP: reloading the configuration");
		reload();
		break;
	}
}

/* The command line: flags into o, the rest as overrides of the file. */
static void
get_options(int argc, char **argv, struct options *o)
{
	int	ch;

	memset(o, 0, sizeof *o);
	while ((ch = getopt(argc, argv, "c:d:fhMns:Tt:Vvw:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			conf_required = 1;
			break;
		case 'd':
			add_override("state_dir", optarg);
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'M':
			o->move = 1;
			break;
		case 'n':
			o->check = 1;
			break;
		case 's':
			add_override("ssh_listen", optarg);
			break;
		case 'T':
			o->dump_config = 1;
			break;
		case 't':
			add_override("telnet_listen", optarg);
			break;
		case 'V':
			printf("strangerd %s\n", STRANGERD_VERSION);
			exit(0);
		case 'v':
			o->debug = 1;
			break;
		case 'w':
			add_override("workers", optarg);
			break;
		case 'h':
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* daemon(3) moves to /: a reload must find the same file. */
	if (conf_required && conf_path[0] != '/' &&
	    (abs_conf = realpath(conf_path, NULL)) != NULL)
		conf_path = abs_conf;
}

/*
 * The configuration to start with, published: the file's, with the
 * number of workers, the state directory and the session cap resolved.
 */
static struct config *
first_config(void)
{
	struct config	*c;
	long		 n;

	c = config_dup(parsed);
	if (c->workers == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = n < 1 ? 1 : (n > 64 ? 64 : (u_int)n);
	}
	prepare_dir(c);
	raise_nofile(c);
	apply_cap(c);
	atomic_store(&cfg, c);
	/* store.c keeps its own copy, set before its thread starts. */
	store_conf.report_threshold = c->autoban_reports;
	store_conf.report_window = c->autoban_window;
	store_conf.report_ban = c->autoban_time;
	store_conf.report_prefix4 = c->autoban_prefix4;
	store_conf.report_prefix6 = c->autoban_prefix6;
	store_conf.retention = c->retention;
	return (c);
}

/* strangerd -M: the SQLite store into PostgreSQL (store-move.c). */
static int
move_store(int debug)
{
	log_init(1, debug);
	return (store_move(parsed->dir, parsed->store) == 0 ? 0 : 1);
}

/* Is there an SSH listener, so the host key must be ready? */
static int
ssh_wanted(const struct config *c)
{
	u_int	i;

	for (i = 0; i < c->nlisten; i++)
		if (c->listen[i].proto == PROTO_SSH)
			return (1);
	return (0);
}

/* Say what runs, once everything does. */
static void
log_started(const struct config *c)
{
	u_int	i;

	for (i = 0; i < c->nlisten; i++)
		log_info("listening: %s", c->listen[i].name);
	log_info("strangerd %s started: %u workers, at most %u sessions, "
	    "state in %s, configuration %s", STRANGERD_VERSION, c->workers,
	    c->max_sessions, c->dir, c->path != NULL ? c->path : "defaults");
}

/*
 * Give up root before any thread starts, so that none ever runs as root
 * and every one inherits no_new_privs.  The state directory goes to the
 * user so that what is created in it later (database, control socket)
 * stays usable.
 */
static void
drop_root(const struct config *c, int drop, uid_t uid, gid_t gid)
{
	if (drop) {
		privsep_chown_dir(c->dir, uid, gid);
		if (privsep_drop(c->user, uid, gid) != 0)
			fatalx("cannot drop privileges to %s", c->user);
	} else if (geteuid() == 0)
		log_warnx("running as root: set user in strangerd.conf(5)");
	else if (c->user != NULL)
		log_info("not started as root: user %s not needed", c->user);
}

/*
 * Take the signals in set (blocked until now) until SIGTERM or SIGINT.
 * The events stay until signals_free(), so that a second SIGTERM while
 * the threads stop is still ours, not the default's.
 */
static void
signals_wait(struct signals *sg, sigset_t *set)
{
	static const int	sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	u_int			i;

	if ((sg->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < 3; i++) {
		sg->ev[i] = evsignal_new(sg->base, sigs[i], on_signal,
		    sg->base);
		evsignal_add(sg->ev[i], NULL);
	}
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
	event_base_dispatch(sg->base);
}

/* Free the signal events and the loop. */
static void
signals_free(struct signals *sg)
{
	u_int	i;

	for (i = 0; i < 3; i++)
		event_free(sg->ev[i]);
	event_base_free(sg->base);
}

/* Every configuration, the live one and those it replaced. */
static void
configs_free(void)
{
	u_int	i;

	config_free(atomic_load(&cfg));
	for (i = 0; i < nretired; i++)
		config_free(retired[i]);
	free(retired);
	config_free(parsed);
	free(overrides);
	free(abs_conf);
}

int
main(int argc, char **argv)
{
	struct config		*c;
	struct signals		 sg;
	sigset_t		 set;
	struct options		 o;
	char			*cause, *dump;
	int			 drop = 0;
	uid_t			 uid = 0;
	gid_t			 gid = 0;

	setlocale(LC_CTYPE, "C.UTF-8");
	get_options(argc, argv, &o);

	if ((parsed = load_config(&cause)) == NULL) {
		fprintf(stderr, "strangerd: %s\n", cause);
		exit(1);
	}
	if (parsed->user != NULL && (geteuid() == 0 || o.check)) {
		if (privsep_lookup(parsed->user, &uid, &gid, &cause) != 0) {
			fprintf(stderr, "strangerd: %s%s%s\n",
			    parsed->path != NULL ? parsed->path : "",
			    parsed->path != NULL ? ": " : "", cause);
			exit(1);
		}
		drop = geteuid() == 0;
	}
	if (o.dump_config) {
		dump = config_dump(parsed);
		fputs(dump, stdout);
		free(dump);
		exit(0);
	}
	if (o.check)
		exit(0);
	if (o.move)
		exit(move_store(o.debug));

	log_init(o.foreground, o.debug);
	c = first_config();
	signal(SIGPIPE, SIG_IGN);
	if (ssh_wanted(c) && ssh_setup(c->dir) != 0)
		fatalx("cannot set up SSH");
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon");

	/* Only the main thread takes these signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* Bans are loaded before the first accept: store.c. */
	if (store_open(c->dir, c->store) != 0)
		fatalx("cannot open the store");
	workers_init();

	/* Every port is bound and the state is open: no thread yet. */
	drop_root(c, drop, uid, gid);
	/*
	 * Everything a worker may post to exists before the workers run,
	 * and after the drop so that the control socket is the daemon user's:
	 * the store (reports, bans), the control socket (answers) and the
	 * matchmaker.  The cluster thread comes before the control socket,
	 * whose answers depend on whether there is a cluster (cluster_on,
	 * the sessions' node column), written by cluster_start().
	 */
	store_start();
	match_start();
	cluster_start(c);
	admin_start(c->dir);
	workers_run();
	if (metrics_start(c) != 0)
		fatalx("cannot serve metrics on %s", c->metrics_name);

	log_started(c);

	/* Until SIGTERM or SIGINT; SIGHUP reloads meanwhile. */
	signals_wait(&sg, &set);

	/*
	 * The order matters.  No new requests: the metrics and the control
	 * socket go first.  The workers say goodbye and stop; their last
	 * messages (cancels, reports) go to the matchmaker and the store,
	 * which stop next.  Only then are the inboxes freed that those may
	 * have posted to (answers, ban lists, partners' news).
	 */
	metrics_stop();
	admin_stop();
	workers_stop();
	cluster_stop();
	match_stop();
	store_stop();
	workers_free();
	admin_free();
	signals_free(&sg);
	term_free_all();
	/* No thread is left: every configuration can go. */
	configs_free();
	log_info("stopped");
	return (0);
}
