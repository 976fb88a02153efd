/*
 * Lua scripts run in Redis by their digest.  A script is sent whole
 * (EVAL) only until Redis has loaded it (SCRIPT LOAD, asked for on the
 * first run); after that each run names its SHA1 digest (EVALSHA), so
 * that a script run once a second a node, or once a want, does not
 * cross the wire as text each time.  A Redis that forgot it (SCRIPT
 * FLUSH, a restart, another server behind the address) answers
 * NOSCRIPT: that run goes again as text and the script is loaded anew.
 * The caller's callback sees only the script's own answer.
 *
 * The digest is the SHA1 of the text, the same on every Redis, so it
 * is kept across connections: a Redis without the script says so.
 *
 * Owns each run's copy of its arguments until its answer.  Runs on the
 * cluster thread.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "strangerd.h"
#include "cluster.h"

/* A run sent, until its answer: what to send again as text. */
struct cluster_script_run {
	struct cluster_script	*script;
	redisCallbackFn		*fn;
	void			*arg;
	int			 text;	/* sent as text: NOSCRIPT is final */
	u_int			 argc;
	char			*argv[CLUSTER_SCRIPT_ARGS];	/* owned */
};

/* SCRIPT LOAD's answer: the digest EVALSHA names the script by. */
static void
cluster_script_loaded(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_script	*cs = arg;
	redisReply		*reply = r;

	(void)ac;
	cs->loading = 0;
	/* Anything else (refused, an odd answer): the text is sent. */
	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    reply->len == 40 && strspn(reply->str, "0123456789abcdef") == 40)
		memcpy(cs->sha, reply->str, 41);
}

/* Have Redis keep a script, unless it is being asked already. */
static void
cluster_script_load(redisAsyncContext *ac, struct cluster_script *cs)
{
	if (cs->loading)
		return;
	if (redisAsyncCommand(ac, cluster_script_loaded, cs,
	    "SCRIPT LOAD %s", cs->text) == REDIS_OK)
		cs->loading = 1;
}

/* Forget a run. */
static void
cluster_script_free(struct cluster_script_run *sr)
{
	u_int	i;

	for (i = 0; i < sr->argc; i++)
		free(sr->argv[i]);
	free(sr);
}

static void	cluster_script_done(redisAsyncContext *, void *, void *);

/* Send a run: by the digest once Redis has the script, else its text. */
static int
cluster_script_send(redisAsyncContext *ac, struct cluster_script_run *sr)
{
	struct cluster_script	*cs = sr->script;
	const char		*argv[2 + CLUSTER_SCRIPT_ARGS];
	u_int			 i;

	if (cs->sha[0] == '\0')
		sr->text = 1;
	if (sr->text)
		cluster_script_load(ac, cs);
	argv[0] = sr->text ? "EVAL" : "EVALSHA";
	argv[1] = sr->text ? cs->text : cs->sha;
	for (i = 0; i < sr->argc; i++)
		argv[2 + i] = sr->argv[i];
	if (redisAsyncCommandArgv(ac, cluster_script_done, sr,
	    (int)(2 + sr->argc), argv, NULL) != REDIS_OK)
		return (-1);
	return (0);
}

/* A run answered: NOSCRIPT goes again as text, the rest to the caller. */
static void
cluster_script_done(redisAsyncContext *ac, void *r, void *arg)
{
	struct cluster_script_run	*sr = arg;
	redisReply			*reply = r;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    !sr->text && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		sr->text = 1;
		if (cluster_script_send(ac, sr) == 0)
			return;
		reply = NULL;	/* not sent: as if Redis were lost */
	}
	sr->fn(ac, reply, sr->arg);
	cluster_script_free(sr);
}

/*
 * Run a script with argv (numkeys, keys, arguments); fn gets its
 * answer, or NULL if Redis is lost.  -1: not sent, fn will not be
 * called.
 */
int
cluster_script_run(redisAsyncContext *ac, struct cluster_script *cs,
    redisCallbackFn *fn, void *arg, u_int argc, const char **argv)
{
	struct cluster_script_run	*sr;
	u_int				 i;

	if (argc > CLUSTER_SCRIPT_ARGS)
		fatalx("%s: %u arguments", __func__, argc);
	sr = xcalloc(1, sizeof *sr);
	sr->script = cs;
	sr->fn = fn;
	sr->arg = arg;
	for (i = 0; i < argc; i++)
		sr->argv[sr->argc++] = xstrdup(argv[i]);
	if (cluster_script_send(ac, sr) != 0) {
		cluster_script_free(sr);
		return (-1);
	}
	return (0);
}
