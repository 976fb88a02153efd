/*
 * What the files of the SSH front end share, and only they: a
 * connection (struct ssh_conn) and a worker's SSH state (struct
 * ssh_worker), and the calls between the four of them:
 *
 *	ssh.c		the connection's life: accept, I/O, the session
 *	ssh-preauth.c	the limits on handshakes in progress
 *	ssh-auth.c	authentication, and every other request refused
 *	ssh-chan.c	the session channel: pty, shell, data, the rest
 *
 * Everything here runs on the thread of the worker that accepted the
 * connection, except ssh-preauth.c's per-address counters (atomics
 * shared by every worker).
 */

#ifndef SSH_H
#define SSH_H

#include <sys/queue.h>
#include <netinet/in.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

/*
 * How far a handshake has come, for the choice of which one makes way
 * when too many are in progress (ssh_preauth_victim).  Only a protocol
 * state the client reached counts, never bytes or reads: garbage sent
 * slowly never moves a connection on.
 */
enum ssh_level {
	SSH_LEVEL_ACCEPTED,	/* nothing yet */
	SSH_LEVEL_VERSION,	/* its version line is in */
	SSH_LEVEL_PACKET,	/* a whole binary packet (its KEXINIT) */
	SSH_LEVEL_KEYS,		/* keys agreed: authenticating */
};

enum ssh_conn_state {
	SSH_CONN_KEX,		/* key exchange */
	SSH_CONN_AUTH,		/* authentication, channel, pty, shell */
	SSH_CONN_OPEN,		/* the session runs */
	SSH_CONN_DRAIN,		/* ending: sending what is still queued */
	SSH_CONN_CLOSING,	/* channel closed: waiting for the client */
};

struct ssh_worker;

struct ssh_conn {
	struct worker		*w;
	struct ssh_worker	*sw;
	enum ssh_conn_state	 state;
	char			 addr[INET6_ADDRSTRLEN];	/* for logs */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	int			 fd;		/* libssh's, until it closes it */
	int			 watched;	/* fd is in sw->watch */
	int			 watch_write;	/* for writing too */
	ssh_session		 ssh;		/* owned: owns fd */
	ssh_event		 sev;		/* owned, once keys are agreed */
	ssh_channel		 chan;		/* owned by ssh */
	struct ssh_server_callbacks_struct server_cb;
	struct ssh_channel_callbacks_struct chan_cb;

	struct event		*timer_ev;	/* owned: grace time, linger */
	struct event		*process_ev;	/* owned: ssh_conn_process */
	struct evbuffer		*outq;		/* owned: to the channel */
	struct evbuffer		*inq;		/* owned: for the session */

	struct session		*s;		/* NULL until shell, after close */
	int			 s_closing;	/* session_close was called */

	/* What libssh callbacks saw, acted on by ssh_conn_process. */
	int			 authed;
	const char		*method;	/* how the client got in */
	char			*key;		/* owned: SHA256:... if verified */
	char			*keytype;	/* owned */
	int			 pty;
	char			*term;		/* owned, from pty-req */
	u_int			 sx;
	u_int			 sy;
	int			 resized;
	int			 shell;
	int			 exec;
	int			 subsystem;	/* the exec was sftp: say so */
	int			 client_eof;
	int			 client_closed;
	const char		*drop;		/* protocol abuse: disconnect */
	u_int			 nauth;
	u_int			 nrefused;

	char			 error[96];	/* why libssh gave up */
	int			 exit_status;
	int			 dead;		/* connection gone: free soon */
	int			 in_io;		/* inside ssh_conn_io */
	int			 in_process;
	int			 again;		/* scheduled while busy */

	int			 preauth;	/* counted in the caps */
	enum ssh_level		 level;		/* reached so far */
	uint64_t		 progressed;	/* now_ms() when it got there */
	struct ssh_counter_struct rcounter;	/* packets in, kept by libssh */
	uint64_t		 metered;	/* bytes in, counted to s */
	uint64_t		 unread;	/* bytes in while output waits */
	uint32_t		 bucket;
	TAILQ_ENTRY(ssh_conn)	 preauth_entry;
	LIST_ENTRY(ssh_conn)	 entry;
};

struct ssh_worker {
	ssh_bind		 bind;		/* owned */
	struct ssh_watch	*watch;		/* owned: the sockets */
	LIST_HEAD(, ssh_conn)	 conns;
	TAILQ_HEAD(, ssh_conn)	 preauth;	/* oldest first */
	u_int			 npreauth;
	u_int			 preauth_max;	/* this worker's share */
	time_t			 drop_sec;	/* rate limit on drop logs */
	u_int			 drop_logged;
	u_int			 drop_quiet;
};

/* ssh.c */
void		 ssh_conn_free(struct ssh_conn *, const char *);
void		 ssh_conn_schedule(struct ssh_conn *);
void		 ssh_drop_log(struct ssh_worker *, const char *, const char *);

/* ssh-preauth.c */
void		 ssh_preauth_setup(void);
int		 ssh_preauth_admit(struct ssh_worker *, const struct sockaddr *,
		     const char *, uint32_t *);
void		 ssh_preauth_release(uint32_t);
void		 ssh_preauth_add(struct ssh_conn *, uint32_t);
void		 ssh_preauth_done(struct ssh_conn *);
void		 ssh_preauth_progress(struct ssh_conn *);

/* ssh-auth.c */
int		 ssh_auth_message(ssh_session, ssh_message, void *);
int		 ssh_auth_pubkey(ssh_session, const char *,
		     struct ssh_key_struct *, char, void *);
int		 ssh_auth_refused(struct ssh_conn *, const char *);

/* ssh-chan.c */
ssh_channel	 ssh_chan_open(ssh_session, void *);

#endif /* SSH_H */
