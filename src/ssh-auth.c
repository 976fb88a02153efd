/*
 * SSH authentication, and every request that is not for the chat.  Any
 * user name gets in: by publickey (any key, once its signature is
 * verified; its fingerprint becomes the session's identity) or by
 * keyboard-interactive with no questions.  Forwarding, global requests
 * and any other channel are refused, and too many refusals or
 * authentication attempts end the connection.
 *
 * These are libssh callbacks: they only record what happened in the
 * connection and schedule ssh_conn_process (ssh.c); they never call the
 * session, never write and never free.
 *
 * Owns: nothing.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdlib.h>

#include <event2/event.h>

#include "strangerd.h"
#include "ssh.h"

#define SSH_REFUSED_MAX		64	/* refused requests and channels */

static int	 ssh_auth_try(struct ssh_conn *);
static int	 ssh_auth_other(struct ssh_conn *, ssh_message);

/*
 * Requests no other callback took: "none" and keyboard-interactive
 * authentication, channel opens other than a session, x11-req,
 * global requests (tcpip-forward, keepalives).  Return 0 when answered
 * here, 1 for libssh's default answer, which refuses.
 */
int
ssh_auth_message(ssh_session ssh, ssh_message msg, void *arg)
{
	struct ssh_conn	*c = arg;

	(void)ssh;
	if (c->dead || c->drop != NULL)
		return (1);
	switch (ssh_message_type(msg)) {
	case SSH_REQUEST_AUTH:
		return (ssh_auth_other(c, msg));
	case SSH_REQUEST_SERVICE:
		return (1);	/* ssh-userauth: accepted */
	case SSH_REQUEST_CHANNEL_OPEN:
		return (ssh_auth_refused(c, "channel (forwarding)"));
	case SSH_REQUEST_CHANNEL:
		return (ssh_auth_refused(c, "channel request"));
	case SSH_REQUEST_GLOBAL:
		return (ssh_auth_refused(c, "global request"));
	default:
		return (ssh_auth_refused(c, "unknown request"));
	}
}

/* Count a refusal; too many end the connection. */
int
ssh_auth_refused(struct ssh_conn *c, const char *what)
{
	log_debug("ssh %s: refused %s", c->addr, what);
	if (++c->nrefused > SSH_REFUSED_MAX) {
		c->drop = "too many refused requests";
		ssh_conn_schedule(c);
	}
	return (1);
}

/* Count an authentication request; too many end the connection. */
static int
ssh_auth_try(struct ssh_conn *c)
{
	if (c->dead || c->drop != NULL || c->authed)
		return (-1);
	if (++c->nauth > cfg->ssh_auth_tries) {
		c->drop = "too many authentication attempts";
		ssh_conn_schedule(c);
		return (-1);
	}
	return (0);
}

/*
 * Publickey authentication: any key, but only once the client has
 * proved it holds it (VALID); only then does its fingerprint become the
 * identity.  The probe without a signature (NONE) is answered with
 * PK_OK by libssh when we return success, so that the client signs.
 */
int
ssh_auth_pubkey(ssh_session ssh, const char *user, struct ssh_key_struct *key,
    char state, void *arg)
{
	struct ssh_conn	*c = arg;
	char		*fp;

	(void)ssh;
	(void)user;
	if (ssh_auth_try(c) != 0)
		return (SSH_AUTH_DENIED);
	if (state == SSH_PUBLICKEY_STATE_NONE)
		return (SSH_AUTH_SUCCESS);
	if (state != SSH_PUBLICKEY_STATE_VALID) {
		log_debug("ssh %s: bad publickey signature", c->addr);
		return (SSH_AUTH_DENIED);
	}
	/* The same string moderators.c computes for DIR/moderators. */
	if ((fp = ssh_key_fingerprint(key)) == NULL)
		return (SSH_AUTH_DENIED);
	free(c->key);
	c->key = fp;
	free(c->keytype);
	c->keytype = xstrdup(ssh_key_type_to_char(ssh_key_type(key)));
	c->method = "publickey";
	c->authed = 1;
	ssh_conn_schedule(c);
	return (SSH_AUTH_SUCCESS);
}

/*
 * Other authentication: keyboard-interactive with no questions lets in
 * a client without a key; "none" (the client asking what we take) and
 * password are refused with the list: publickey, keyboard-interactive.
 */
static int
ssh_auth_other(struct ssh_conn *c, ssh_message msg)
{
	if (ssh_auth_try(c) != 0)
		return (1);
	if (ssh_message_subtype(msg) != SSH_AUTH_METHOD_INTERACTIVE)
		return (1);
	if (!ssh_message_auth_kbdint_is_response(msg)) {
		ssh_message_auth_interactive_request(msg, "", "", 0, NULL,
		    NULL);
		return (0);
	}
	c->method = "keyboard-interactive";
	c->authed = 1;
	ssh_message_auth_reply_success(msg, 0);
	ssh_conn_schedule(c);
	return (0);
}
