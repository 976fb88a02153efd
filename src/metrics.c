/*
 * Metrics: counters and gauges that any thread updates with relaxed
 * atomics, written out in the Prometheus text format; metrics-http.c
 * serves them at /metrics from a thread of its own.
 *
 * Owns: the counters, the time-to-pair histogram and the per transport
 * and state session gauges.  It reads the workers' own counters
 * (connections, sessions) and the matchmaker's but changes nothing
 * outside this file.  Nothing here is ever chat content.
 */

#include <sys/types.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "strangerd.h"

/* What each counter is called and how it is labelled, in enum order. */
static const struct {
	const char	*family;
	const char	*labels;	/* "" or {name="value"} */
	const char	*help;
} metrics_names[METRIC__COUNT] = {
	[METRIC_SESSIONS_TELNET] = { "strangerd_sessions_started_total",
	    "{transport=\"telnet\"}", "Sessions started, by transport." },
	[METRIC_SESSIONS_SSH] = { "strangerd_sessions_started_total",
	    "{transport=\"ssh\"}", NULL },
	[METRIC_PAIRINGS] = { "strangerd_pairings_total", "",
	    "Times two strangers were connected." },
	[METRIC_LINES] = { "strangerd_lines_relayed_total", "",
	    "Chat lines relayed to a partner." },
	[METRIC_REPORTS] = { "strangerd_reports_total", "",
	    "Reports filed." },
	[METRIC_BANS] = { "strangerd_bans_total", "",
	    "Bans added." },
	[METRIC_REFUSED_FULL] = { "strangerd_refused_total",
	    "{reason=\"full\"}", "Connections refused, by reason." },
	[METRIC_REFUSED_LIMIT] = { "strangerd_refused_total",
	    "{reason=\"address_limit\"}", NULL },
	[METRIC_REFUSED_BANNED] = { "strangerd_refused_total",
	    "{reason=\"banned\"}", NULL },
	[METRIC_REFUSED_PREAUTH] = { "strangerd_refused_total",
	    "{reason=\"ssh_preauth\"}", NULL },
	[METRIC_REFUSED_PROXY] = { "strangerd_refused_total",
	    "{reason=\"proxy\"}", NULL },
	[METRIC_HANDSHAKE_FAILED] = { "strangerd_ssh_handshake_failures_total",
	    "", "SSH connections that ended before a shell." },
	[METRIC_OUTQ_DROPS] = { "strangerd_output_queue_drops_total", "",
	    "Sessions closed because their output queue was full." },
	[METRIC_FLOOD_MUTES] = { "strangerd_flood_mutes_total", "",
	    "Visitors muted for flooding." },
	[METRIC_FLOOD_KICKS] = { "strangerd_flood_disconnects_total", "",
	    "Visitors disconnected for flooding." },
	[METRIC_IDLE_KICKS] = { "strangerd_idle_disconnects_total", "",
	    "Visitors disconnected for being idle." },
	[METRIC_RELOADS] = { "strangerd_reloads_total", "",
	    "Configuration reloads that took effect." },
};

static _Atomic uint64_t	 metrics_counters[METRIC__COUNT];

/* Time to pair, in milliseconds; the last bucket is +Inf. */
static const uint64_t	 metrics_pair_bounds[] = {
	100, 500, 1000, 2000, 5000, 10000, 30000, 60000, 120000, 300000,
	600000,
};
#define METRICS_NBOUNDS	(sizeof metrics_pair_bounds / \
			 sizeof metrics_pair_bounds[0])
static _Atomic uint64_t	 metrics_pair_buckets[METRICS_NBOUNDS + 1];
static _Atomic uint64_t	 metrics_pair_sum_ms;

/* Sessions now in each state, telnet [0] and ssh [1]. */
#define METRICS_NSTATES	SESSION_CLOSING
static _Atomic int64_t	 metrics_sessions[2][METRICS_NSTATES];
static const char *const metrics_state_names[METRICS_NSTATES] = {
	[SESSION_WELCOME] = "welcome",
	[SESSION_WAITING] = "waiting",
	[SESSION_PAIRED] = "paired",
	[SESSION_ALONE] = "alone",
};

static time_t		 metrics_started;

/* Count one event. */
void
metrics_inc(enum metric m)
{
	if ((u_int)m < METRIC__COUNT)
		atomic_fetch_add_explicit(&metrics_counters[m], 1,
		    memory_order_relaxed);
}

/* A counter's value now. */
uint64_t
metrics_get(enum metric m)
{
	if ((u_int)m >= METRIC__COUNT)
		return (0);
	return (atomic_load_explicit(&metrics_counters[m],
	    memory_order_relaxed));
}

/* Note how long a visitor waited for a stranger, in milliseconds. */
void
metrics_pair_time(uint64_t ms)
{
	u_int	i;

	for (i = 0; i < METRICS_NBOUNDS; i++)
		if (ms <= metrics_pair_bounds[i])
			break;
	atomic_fetch_add_explicit(&metrics_pair_buckets[i], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics_pair_sum_ms, ms,
	    memory_order_relaxed);
}

/*
 * A session of transport ("ssh", "telnet") moved from one state to
 * another; -1 (or SESSION_CLOSING) on either side means it is starting
 * or has ended.
 */
void
metrics_session_state(const char *transport, int from, int to)
{
	int	t = transport != NULL && strcmp(transport, "ssh") == 0;

	if (from == to)
		return;
	if (from >= 0 && from < METRICS_NSTATES)
		atomic_fetch_sub_explicit(&metrics_sessions[t][from], 1,
		    memory_order_relaxed);
	if (to >= 0 && to < METRICS_NSTATES)
		atomic_fetch_add_explicit(&metrics_sessions[t][to], 1,
		    memory_order_relaxed);
}

/* HELP and TYPE lines for a family. */
static void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* Everything, in the Prometheus text exposition format (version 0.0.4). */
char *
metrics_text(void)
{
	static const char *const transports[2] = { "telnet", "ssh" };
	struct evbuffer	*b;
	uint64_t	 n, cum;
	int64_t		 g;
	u_int		 i, t, conns = 0, sessions = 0;
	size_t		 len, conv = 0;
	char		*out;

	b = evbuffer_new();
	for (i = 0; i < METRIC__COUNT; i++) {
		if (metrics_names[i].help != NULL)
			metrics_family(b, metrics_names[i].family, "counter",
			    metrics_names[i].help);
		evbuffer_add_printf(b, "%s%s %llu\n", metrics_names[i].family,
		    metrics_names[i].labels,
		    (unsigned long long)metrics_get((enum metric)i));
	}

	metrics_family(b, "strangerd_time_to_pair_seconds", "histogram",
	    "Time from starting to look for a stranger to being connected.");
	cum = 0;
	for (i = 0; i <= METRICS_NBOUNDS; i++) {
		cum += atomic_load_explicit(&metrics_pair_buckets[i],
		    memory_order_relaxed);
		if (i < METRICS_NBOUNDS)
			evbuffer_add_printf(b, "strangerd_time_to_pair_seconds"
			    "_bucket{le=\"%g\"} %llu\n",
			    (double)metrics_pair_bounds[i] / 1000,
			    (unsigned long long)cum);
		else
			evbuffer_add_printf(b, "strangerd_time_to_pair_seconds"
			    "_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	n = atomic_load_explicit(&metrics_pair_sum_ms, memory_order_relaxed);
	evbuffer_add_printf(b, "strangerd_time_to_pair_seconds_sum %llu.%03u\n"
	    "strangerd_time_to_pair_seconds_count %llu\n",
	    (unsigned long long)(n / 1000), (u_int)(n % 1000),
	    (unsigned long long)cum);

	metrics_family(b, "strangerd_sessions", "gauge",
	    "Sessions now, by transport and state.");
	for (t = 0; t < 2; t++) {
		for (i = 0; i < METRICS_NSTATES; i++) {
			g = atomic_load_explicit(&metrics_sessions[t][i],
			    memory_order_relaxed);
			evbuffer_add_printf(b, "strangerd_sessions{transport="
			    "\"%s\",state=\"%s\"} %lld\n", transports[t],
			    metrics_state_names[i],
			    (long long)(g < 0 ? 0 : g));
		}
	}

	/* The workers' own counters, summed. */
	for (i = 0; i < nworkers; i++) {
		conns += atomic_load_explicit(&workers[i]->nconns,
		    memory_order_relaxed);
		sessions += atomic_load_explicit(&workers[i]->nsessions,
		    memory_order_relaxed);
		conv += atomic_load_explicit(&workers[i]->conv_bytes,
		    memory_order_relaxed);
	}
	metrics_family(b, "strangerd_connections", "gauge",
	    "Open connections, including SSH handshakes in progress.");
	evbuffer_add_printf(b, "strangerd_connections %u\n", conns);
	metrics_family(b, "strangerd_online", "gauge",
	    "Sessions open on every worker.");
	evbuffer_add_printf(b, "strangerd_online %u\n", sessions);
	metrics_family(b, "strangerd_conversation_bytes", "gauge",
	    "What the sessions' conversations have allocated.");
	evbuffer_add_printf(b, "strangerd_conversation_bytes %zu\n", conv);
	metrics_family(b, "strangerd_waiting", "gauge",
	    "Visitors in the matchmaker's waiting pool.");
	evbuffer_add_printf(b, "strangerd_waiting %u\n", match_waiting());
	metrics_family(b, "strangerd_workers", "gauge", "Worker threads.");
	evbuffer_add_printf(b, "strangerd_workers %u\n", nworkers);
	if (cfg != NULL) {
		metrics_family(b, "strangerd_max_sessions", "gauge",
		    "The session cap in force.");
		evbuffer_add_printf(b, "strangerd_max_sessions %u\n",
		    cfg->max_sessions);
	}
	metrics_family(b, "strangerd_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch.");
	evbuffer_add_printf(b, "strangerd_start_time_seconds %lld\n",
	    (long long)metrics_started);

	len = evbuffer_get_length(b);
	out = xmalloc(len + 1);
	evbuffer_remove(b, out, len);
	out[len] = '\0';
	evbuffer_free(b);
	return (out);
}

/* Note when the daemon started, and serve the metrics if configured. */
int
metrics_start(const struct config *c)
{
	metrics_started = time(NULL);
	return (metrics_http_start(c));
}

/* Stop serving the metrics. */
void
metrics_stop(void)
{
	metrics_http_stop();
}
