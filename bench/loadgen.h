/*
 * loadgen: the load generator behind `make bench`.  One process, one
 * epoll loop, thousands of clients of strangerd (telnet, SSH) or of a
 * peer (ngircd over IRC, OpenSSH's sshd), each from its own loopback
 * source address.
 *
 * A chat line carries a token "~SENDER.MICROSECONDS.CHECK~": the receiver
 * finds it in what its terminal would show and takes the latency from
 * the time inside, so partners need not live in the same process.
 * Given several ports (cluster nodes), client i connects to port
 * i mod ports, and a receiver whose sender is in its own process knows
 * whether the line crossed from another node.
 */

#ifndef LOADGEN_H
#define LOADGEN_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define VT_COLS		80
#define VT_ROWS		24

/* A terminal just big enough to find tokens in what a server draws. */
struct vt {
	char		 cell[VT_ROWS][VT_COLS];
	u_int		 x, y;
	uint32_t	 dirty;		/* one bit a row */
	int		 state;		/* parser state */
	int		 params[4];
	int		 nparams;
	int		 bels;		/* BEL seen outside sequences */
	u_int		 top, bot;	/* scroll region; bot 0: last row */
};

enum proto { P_TELNET, P_SSH, P_IRC, P_SSHD };
enum phase {
	C_CONNECTING,	/* TCP connect in progress */
	C_HANDSHAKE,	/* SSH key exchange, auth, channel, pty, shell */
	C_WELCOME,	/* negotiating, or waiting for the rules */
	C_WAITING,	/* agreed or /next: waiting for a stranger */
	C_PAIRED,
	C_DONE		/* failed or finished */
};

struct client {
	int		 fd;
	u_int		 id;		/* unique across processes */
	u_int		 idx;		/* in this process */
	u_int		 node;		/* index of its port in -P */
	enum proto	 proto;
	enum phase	 phase;
	uint64_t	 t_start;	/* connect() */
	uint64_t	 t_want;	/* agreed or /next */
	uint64_t	 t_partner;	/* newest partner token seen */
	uint64_t	 t_leave;	/* cycles -L: disconnect then */
	uint64_t	 t_next;	/* cycles -G: /next then */
	int		 sent_line;	/* this pairing (cycles) */
	int		 got_line;
	int		 tn_state;	/* telnet parser */
	u_char		 tn_cmd;
	char		*obuf;		/* unsent bytes, owned */
	size_t		 olen;
	int		 want_out;	/* EPOLLOUT registered */
	struct vt	*vt;		/* owned; telnet and SSH */
	char		 ibuf[512];	/* IRC: partial line */
	size_t		 ilen;
	void		*ssh;		/* ssh_session */
	void		*chan;		/* ssh_channel */
	void		*key;		/* ssh_key, with -K */
	int		 ssh_step;
	u_int		 partner_idx;	/* IRC: fixed partner */
};

/* loadgen.c */
extern int	  opt_verbose;
uint64_t	  now_us(void);
void		  lg_event_out(struct client *, int);
int		  lg_send_raw(struct client *, const void *, size_t);
void		  lg_app_data(struct client *, const char *, size_t);
void		  lg_setup_done(struct client *);
void		  lg_fail(struct client *, const char *);
void		  lg_token(struct client *, u_int, uint64_t, u_int);
u_int		  token_check(u_int, uint64_t);

/* lg-vt.c */
void		  vt_init(struct vt *);
void		  vt_feed(struct vt *, const char *, size_t);
int		  vt_find(struct vt *, const char *);
void		  vt_scan_tokens(struct vt *, struct client *);
void		  scan_tokens(const char *, size_t, struct client *);

/* lg-telnet.c */
void		  telnet_connected(struct client *);
void		  telnet_input(struct client *, const u_char *, size_t);

/* lg-irc.c */
void		  irc_connected(struct client *);
void		  irc_input(struct client *, const char *, size_t);
void		  irc_send_line(struct client *, const char *);

/* lg-ssh.c */
extern int	  lgssh_pty;
extern int	  lgssh_fresh;
int		  lgssh_init(const char *);
void		  lgssh_connected(struct client *);
void		  lgssh_io(struct client *);
int		  lgssh_write(struct client *, const void *, size_t);
void		  lgssh_free(struct client *);

#endif
