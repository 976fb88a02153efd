/*
 * The one session channel a connection may open, once authenticated:
 * pty-req (terminal type and size, clamped), shell, window-change and
 * the data both ways.  exec and subsystem (sftp, scp) are accepted
 * only so that ssh.c can answer them with a line and exit status 1;
 * env is refused.
 *
 * These are libssh callbacks: they only record what happened in the
 * connection and schedule ssh_conn_process (ssh.c); they never call the
 * session, never write channel data and never free.
 *
 * Owns: nothing (the channel is the libssh session's).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "strangerd.h"
#include "ssh.h"

#define SSH_INQ_MAX		(64 * 1024)	/* input not yet handed over */
#define SSH_TERM_MAX		40	/* longest terminal type kept */

static void	 ssh_chan_set_size(struct ssh_conn *, int, int);
static int	 ssh_chan_pty_cb(ssh_session, ssh_channel, const char *, int,
		     int, int, int, void *);
static int	 ssh_chan_winch_cb(ssh_session, ssh_channel, int, int, int,
		     int, void *);
static int	 ssh_chan_shell_cb(ssh_session, ssh_channel, void *);
static int	 ssh_chan_exec_cb(ssh_session, ssh_channel, const char *,
		     void *);
static int	 ssh_chan_subsystem_cb(ssh_session, ssh_channel, const char *,
		     void *);
static int	 ssh_chan_env_cb(ssh_session, ssh_channel, const char *,
		     const char *, void *);
static int	 ssh_chan_data_cb(ssh_session, ssh_channel, void *, uint32_t,
		     int, void *);
static void	 ssh_chan_eof_cb(ssh_session, ssh_channel, void *);
static void	 ssh_chan_close_cb(ssh_session, ssh_channel, void *);
static int	 ssh_chan_wontblock_cb(ssh_session, ssh_channel, uint32_t,
		     void *);

/* One session channel per connection, after authentication. */
ssh_channel
ssh_chan_open(ssh_session ssh, void *arg)
{
	struct ssh_conn	*c = arg;

	if (c->dead || c->drop != NULL)
		return (NULL);
	if (!c->authed) {
		c->drop = "channel opened before authentication";
		ssh_conn_schedule(c);
		return (NULL);
	}
	if (c->chan != NULL) {
		ssh_auth_refused(c, "second session channel");
		return (NULL);
	}
	if ((c->chan = ssh_channel_new(ssh)) == NULL)
		return (NULL);
	ssh_callbacks_init(&c->chan_cb);
	c->chan_cb.userdata = c;
	c->chan_cb.channel_data_function = ssh_chan_data_cb;
	c->chan_cb.channel_eof_function = ssh_chan_eof_cb;
	c->chan_cb.channel_close_function = ssh_chan_close_cb;
	c->chan_cb.channel_write_wontblock_function = ssh_chan_wontblock_cb;
	c->chan_cb.channel_pty_request_function = ssh_chan_pty_cb;
	c->chan_cb.channel_pty_window_change_function = ssh_chan_winch_cb;
	c->chan_cb.channel_shell_request_function = ssh_chan_shell_cb;
	c->chan_cb.channel_exec_request_function = ssh_chan_exec_cb;
	c->chan_cb.channel_subsystem_request_function = ssh_chan_subsystem_cb;
	c->chan_cb.channel_env_request_function = ssh_chan_env_cb;
	ssh_set_channel_callbacks(c->chan, &c->chan_cb);
	return (c->chan);
}

/* A window size from the client, bounded before anything uses it. */
static void
ssh_chan_set_size(struct ssh_conn *c, int x, int y)
{
	c->sx = x > SCREEN_MAX_X ? SCREEN_MAX_X : (u_int)x;
	c->sy = y > SCREEN_MAX_Y ? SCREEN_MAX_Y : (u_int)y;
}

/* pty-req: terminal type and size, before the shell. */
static int
ssh_chan_pty_cb(ssh_session ssh, ssh_channel chan, const char *term, int x,
    int y, int px, int py, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)px;
	(void)py;
	if (c->dead || c->state != SSH_CONN_AUTH || c->shell || c->exec ||
	    c->pty) {
		ssh_auth_refused(c, "late pty-req");
		return (-1);
	}
	c->pty = 1;
	if (term != NULL && strlen(term) <= SSH_TERM_MAX)
		c->term = xstrdup(term);
	if (x > 0 && y > 0)
		ssh_chan_set_size(c, x, y);
	return (0);
}

/* window-change: many in a row cost one redraw, only the last counts. */
static int
ssh_chan_winch_cb(ssh_session ssh, ssh_channel chan, int x, int y, int px,
    int py, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)px;
	(void)py;
	if (c->dead || x <= 0 || y <= 0)
		return (-1);
	ssh_chan_set_size(c, x, y);
	c->resized = 1;
	ssh_conn_schedule(c);
	return (0);
}

/*
 * A shell, exec or subsystem request: one per connection.  0 for the
 * first; -1 for a later one, refused and counted as "why".
 */
static int
ssh_chan_first(struct ssh_conn *c, const char *why)
{
	if (c->dead || c->shell || c->exec) {
		ssh_auth_refused(c, why);
		return (-1);
	}
	return (0);
}

/* shell: the chat starts from ssh_conn_process. */
static int
ssh_chan_shell_cb(ssh_session ssh, ssh_channel chan, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	if (ssh_chan_first(c, "second shell") != 0)
		return (-1);
	c->shell = 1;
	ssh_conn_schedule(c);
	return (0);
}

/* exec: accepted, so that the client shows our explanation and status. */
static int
ssh_chan_exec_cb(ssh_session ssh, ssh_channel chan, const char *cmd,
    void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)cmd;
	if (ssh_chan_first(c, "late exec") != 0)
		return (-1);
	c->exec = 1;
	ssh_conn_schedule(c);
	return (0);
}

/*
 * subsystem (sftp, and so scp): accepted like exec, so that the client
 * shows our one line and exit status instead of "subsystem request
 * failed".
 */
static int
ssh_chan_subsystem_cb(ssh_session ssh, ssh_channel chan, const char *name,
    void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)name;
	if (ssh_chan_first(c, "late subsystem") != 0)
		return (-1);
	c->exec = c->subsystem = 1;
	ssh_conn_schedule(c);
	return (0);
}

/* env (SendEnv LANG LC_*): refused quietly. */
static int
ssh_chan_env_cb(ssh_session ssh, ssh_channel chan, const char *name,
    const char *value, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)name;
	(void)value;
	if (!c->dead)
		ssh_auth_refused(c, "env");
	return (-1);
}

/* Channel data: keep it for ssh_conn_process (bounded). */
static int
ssh_chan_data_cb(ssh_session ssh, ssh_channel chan, void *data, uint32_t len,
    int is_stderr, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	if (c->dead || is_stderr || c->drop != NULL || c->s_closing)
		return ((int)len);
	if (evbuffer_get_length(c->inq) + len > SSH_INQ_MAX) {
		c->drop = "input flood";
		ssh_conn_schedule(c);
		return ((int)len);
	}
	evbuffer_add(c->inq, data, len);
	ssh_conn_schedule(c);
	return ((int)len);
}

/* The client will send no more. */
static void
ssh_chan_eof_cb(ssh_session ssh, ssh_channel chan, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	if (c->dead)
		return;
	c->client_eof = 1;
	ssh_conn_schedule(c);
}

/* The client closed the channel (or answered our close). */
static void
ssh_chan_close_cb(ssh_session ssh, ssh_channel chan, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	if (c->dead)
		return;
	c->client_closed = 1;
	ssh_conn_schedule(c);
}

/* The window opened or the socket drained: send more. */
static int
ssh_chan_wontblock_cb(ssh_session ssh, ssh_channel chan, uint32_t bytes,
    void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	(void)chan;
	(void)bytes;
	if (!c->dead && evbuffer_get_length(c->outq) > 0)
		ssh_conn_schedule(c);
	return (0);
}
