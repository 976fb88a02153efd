/*
 * The load generator's SSH client: libssh in non-blocking mode on a
 * socket the generator connected itself (so it chooses the source
 * address).  Key exchange, public key authentication with one
 * throwaway key (or with -K a key of its own for each connection, so
 * that each is a visitor of its own, as a ban sees them), a session
 * channel, pty-req (xterm, 80x24) and shell;
 * then terminal bytes go to the generator as over telnet.  The same
 * code logs in to strangerd and to OpenSSH's sshd.
 */

#include <stdio.h>
#include <string.h>

#include <libssh/libssh.h>

#include "loadgen.h"

static ssh_key	lgssh_key;
int		lgssh_pty = 1;		/* -N: no pty-req */
int		lgssh_fresh;		/* -K: a new key per connection */

/* Load the private key every client authenticates with (none: -K). */
int
lgssh_init(const char *path)
{
	if (ssh_init() != SSH_OK)
		return (-1);
	if (path == NULL)
		return (lgssh_fresh ? 0 : -1);
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL,
	    &lgssh_key) != SSH_OK) {
		fprintf(stderr, "loadgen: cannot read key %s\n", path);
		return (-1);
	}
	return (0);
}

/* The TCP connection is up: start the handshake. */
void
lgssh_connected(struct client *c)
{
	ssh_session	s;
	int		zero = 0, fd = c->fd;
	long		timeout = 30;

	s = ssh_new();
	ssh_options_set(s, SSH_OPTIONS_FD, &fd);
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_USER,
	    c->proto == P_SSHD ? "strangerd-bench" : "bench");
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &zero);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, "curve25519-sha256");
	ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, "ssh-ed25519");
	ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S,
	    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com");
	ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C,
	    "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com");
	ssh_options_set(s, SSH_OPTIONS_COMPRESSION, "no");
	ssh_set_blocking(s, 0);
	c->ssh = s;
	c->ssh_step = 0;
	c->phase = C_HANDSHAKE;
	lgssh_io(c);
}

/* Ask for write events while libssh holds unsent bytes. */
static void
lgssh_want_out(struct client *c)
{
	lg_event_out(c, (ssh_get_poll_flags(c->ssh) & SSH_WRITE_PENDING) != 0);
}

/* The socket is ready: take the handshake a step further, or read. */
void
lgssh_io(struct client *c)
{
	ssh_session	 s = c->ssh;
	char		 buf[8192];
	int		 r;

	if (s == NULL)
		return;
	if (ssh_get_poll_flags(s) & SSH_WRITE_PENDING)
		ssh_blocking_flush(s, 0);
	for (;;) {
		switch (c->ssh_step) {
		case 0:
			r = ssh_connect(s);
			break;
		case 1:
			if (lgssh_fresh && c->key == NULL &&
			    ssh_pki_generate(SSH_KEYTYPE_ED25519, 0,
			    (ssh_key *)&c->key) != SSH_OK) {
				lg_fail(c, "cannot make a key");
				return;
			}
			r = ssh_userauth_publickey(s, NULL,
			    lgssh_fresh ? c->key : lgssh_key);
			if (r == SSH_AUTH_SUCCESS)
				r = SSH_OK;
			else if (r == SSH_AUTH_AGAIN)
				r = SSH_AGAIN;
			else
				r = SSH_ERROR;
			break;
		case 2:
			if (c->chan == NULL)
				c->chan = ssh_channel_new(s);
			r = ssh_channel_open_session(c->chan);
			break;
		case 3:
			if (!lgssh_pty) {
				r = SSH_OK;
				break;
			}
			r = ssh_channel_request_pty_size(c->chan, "xterm",
			    VT_COLS, VT_ROWS);
			break;
		case 4:
			r = ssh_channel_request_shell(c->chan);
			break;
		default:
			goto data;
		}
		if (r == SSH_AGAIN) {
			lgssh_want_out(c);
			return;
		}
		if (r != SSH_OK) {
			lg_fail(c, ssh_get_error(s));
			return;
		}
		if (++c->ssh_step == 5) {
			lg_setup_done(c);
			if (c->ssh == NULL)
				return;		/* closed by the scenario */
		}
	}
data:
	for (;;) {
		r = ssh_channel_read_nonblocking(c->chan, buf, sizeof buf, 0);
		if (r > 0) {
			lg_app_data(c, buf, (size_t)r);
			if (c->ssh == NULL)
				return;
			continue;
		}
		if (r == SSH_ERROR || (r == 0 && ssh_channel_is_eof(c->chan))) {
			lg_fail(c, "channel closed");
			return;
		}
		break;
	}
	lgssh_want_out(c);
}

/* Chat bytes for the server. */
int
lgssh_write(struct client *c, const void *buf, size_t len)
{
	if (c->chan == NULL)
		return (-1);
	if (ssh_channel_write(c->chan, buf, (uint32_t)len) == SSH_ERROR)
		return (-1);
	lgssh_want_out(c);
	return (0);
}

/* Free the client's libssh state; the generator closes the socket. */
void
lgssh_free(struct client *c)
{
	if (c->ssh == NULL)
		return;
	if (c->chan != NULL)
		ssh_channel_free(c->chan);
	ssh_disconnect(c->ssh);
	ssh_free(c->ssh);
	ssh_key_free(c->key);
	c->ssh = NULL;
	c->chan = NULL;
	c->key = NULL;
}
