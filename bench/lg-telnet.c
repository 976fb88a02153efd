/*
 * The load generator's telnet client: answers strangerd's DO NAWS and
 * DO TTYPE as a real terminal would (80x24, XTERM) so that it gets the
 * full-screen interface, and strips telnet commands from what it
 * hands on as terminal output.
 */

#include <string.h>

#include "loadgen.h"

#define IAC	255
#define DONT	254
#define DO	253
#define WONT	252
#define WILL	251
#define SB	250
#define SE	240
#define NAWS	31
#define TTYPE	24

enum { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };

/* The socket is up; strangerd speaks first. */
void
telnet_connected(struct client *c)
{
	c->tn_state = TN_DATA;
}

/* Answer one option request. */
static void
telnet_option(struct client *c, u_char cmd, u_char opt)
{
	static const u_char	naws[] = { IAC, WILL, NAWS, IAC, SB, NAWS,
				    0, VT_COLS, 0, VT_ROWS, IAC, SE };
	static const u_char	ttype[] = { IAC, WILL, TTYPE };
	u_char			no[3] = { IAC, WONT, opt };

	if (cmd != DO)
		return;
	if (opt == NAWS)
		lg_send_raw(c, naws, sizeof naws);
	else if (opt == TTYPE)
		lg_send_raw(c, ttype, sizeof ttype);
	else
		lg_send_raw(c, no, sizeof no);
}

/* Bytes from the socket: commands answered, data to the terminal. */
void
telnet_input(struct client *c, const u_char *buf, size_t len)
{
	static const u_char	ttype_is[] = { IAC, SB, TTYPE, 0, 'X', 'T',
				    'E', 'R', 'M', IAC, SE };
	size_t			i, start = 0;

	for (i = 0; i < len; i++) {
		switch (c->tn_state) {
		case TN_DATA:
			if (buf[i] != IAC)
				continue;
			if (i > start)
				lg_app_data(c, (const char *)buf + start,
				    i - start);
			c->tn_state = TN_IAC;
			break;
		case TN_IAC:
			if (buf[i] == IAC) {
				lg_app_data(c, "\377", 1);
				c->tn_state = TN_DATA;
			} else if (buf[i] >= WILL && buf[i] <= DONT) {
				c->tn_cmd = buf[i];
				c->tn_state = TN_OPT;
			} else if (buf[i] == SB) {
				c->tn_cmd = 0;
				c->tn_state = TN_SB;
			} else
				c->tn_state = TN_DATA;
			break;
		case TN_OPT:
			telnet_option(c, c->tn_cmd, buf[i]);
			c->tn_state = TN_DATA;
			break;
		case TN_SB:
			/* Only "TTYPE SEND" is asked of us. */
			if (c->tn_cmd == 0)
				c->tn_cmd = buf[i] == TTYPE ? 1 : 2;
			if (buf[i] == IAC)
				c->tn_state = TN_SB_IAC;
			break;
		case TN_SB_IAC:
			if (buf[i] == SE) {
				if (c->tn_cmd == 1)
					lg_send_raw(c, ttype_is,
					    sizeof ttype_is);
				c->tn_state = TN_DATA;
			} else
				c->tn_state = TN_SB;
			break;
		}
		start = i + 1;
	}
	if (c->tn_state == TN_DATA && len > start)
		lg_app_data(c, (const char *)buf + start, len - start);
}
