/*
 * A terminal model just big enough for the load generator: cursor
 * addressing, erase, a scroll region scrolled by LF at its bottom (as
 * strangerd moves the conversation) and printable text written into an
 * 80x24 grid, so
 * that a token the server sent as a diff (only the cells that changed)
 * is read back whole.  Attributes, charsets and modes are skipped.  A
 * BEL outside any sequence is counted: strangerd rings it on pairing.
 *
 * Owns nothing; no I/O.
 */

#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

enum { VT_GROUND, VT_ESC, VT_CSI, VT_OSC, VT_OSC_ESC, VT_CHARSET, VT_UTF8 };

static void	vt_csi(struct vt *, int);
static void	vt_clear_row(struct vt *, u_int, u_int);
static void	vt_newline(struct vt *);

/* An empty screen, cursor at the top left. */
void
vt_init(struct vt *vt)
{
	memset(vt, 0, sizeof *vt);
	memset(vt->cell, ' ', sizeof vt->cell);
}

/* Blank row y from column x to the end. */
static void
vt_clear_row(struct vt *vt, u_int y, u_int x)
{
	if (y >= VT_ROWS || x >= VT_COLS)
		return;
	memset(&vt->cell[y][x], ' ', VT_COLS - x);
	vt->dirty |= 1u << y;
}

/*
 * LF: down a row, or at the bottom of the scroll region move the region
 * up one.  A row's dirty bit moves with it: one written but not yet
 * scanned (two frames in one read) must still be scanned.
 */
static void
vt_newline(struct vt *vt)
{
	u_int		bot = vt->bot != 0 ? vt->bot : VT_ROWS - 1;
	uint32_t	band;

	if (vt->y == bot && vt->top < bot) {
		memmove(vt->cell[vt->top], vt->cell[vt->top + 1],
		    (size_t)(bot - vt->top) * VT_COLS);
		band = (uint32_t)((2ull << bot) - (1ull << vt->top));
		vt->dirty = (vt->dirty & ~band) | ((vt->dirty >> 1) & band);
		vt_clear_row(vt, bot, 0);
	} else if (vt->y < VT_ROWS - 1)
		vt->y++;
}

/* The end of a control sequence ESC [ params final. */
static void
vt_csi(struct vt *vt, int final)
{
	int	p0 = vt->nparams > 0 ? vt->params[0] : 0;
	int	p1 = vt->nparams > 1 ? vt->params[1] : 0;
	u_int	y;

	switch (final) {
	case 'H':
	case 'f':
		vt->y = p0 > 0 ? (u_int)p0 - 1 : 0;
		vt->x = p1 > 0 ? (u_int)p1 - 1 : 0;
		break;
	case 'G':
	case '`':
		vt->x = p0 > 0 ? (u_int)p0 - 1 : 0;
		break;
	case 'd':
		vt->y = p0 > 0 ? (u_int)p0 - 1 : 0;
		break;
	case 'A':
		vt->y -= vt->y >= (u_int)(p0 ? p0 : 1) ? (u_int)(p0 ? p0 : 1) :
		    vt->y;
		break;
	case 'B':
		vt->y += p0 ? p0 : 1;
		break;
	case 'C':
		vt->x += p0 ? p0 : 1;
		break;
	case 'D':
		vt->x -= vt->x >= (u_int)(p0 ? p0 : 1) ? (u_int)(p0 ? p0 : 1) :
		    vt->x;
		break;
	case 'K':
		if (p0 == 0)
			vt_clear_row(vt, vt->y, vt->x);
		else if (p0 == 2)
			vt_clear_row(vt, vt->y, 0);
		break;
	case 'r':
		vt->top = p0 > 0 ? (u_int)p0 - 1 : 0;
		vt->bot = p1 > 0 && p1 <= VT_ROWS ? (u_int)p1 - 1 : 0;
		if (vt->bot != 0 && vt->top >= vt->bot)
			vt->top = vt->bot = 0;
		if (vt->top >= VT_ROWS)
			vt->top = 0;
		vt->x = vt->y = 0;
		break;
	case 'J':
		if (p0 == 2 || p0 == 3) {
			for (y = 0; y < VT_ROWS; y++)
				vt_clear_row(vt, y, 0);
		} else if (p0 == 0) {
			vt_clear_row(vt, vt->y, vt->x);
			for (y = vt->y + 1; y < VT_ROWS; y++)
				vt_clear_row(vt, y, 0);
		}
		break;
	default:
		break;
	}
	if (vt->x >= VT_COLS)
		vt->x = VT_COLS - 1;
	if (vt->y >= VT_ROWS)
		vt->y = VT_ROWS - 1;
}

/* Bytes from the server, after the transport took its own. */
void
vt_feed(struct vt *vt, const char *buf, size_t len)
{
	size_t	i;
	u_char	ch;

	for (i = 0; i < len; i++) {
		ch = (u_char)buf[i];
		switch (vt->state) {
		case VT_UTF8:
			if ((ch & 0xc0) == 0x80)
				continue;
			vt->state = VT_GROUND;
			/* FALLTHROUGH */
		case VT_GROUND:
			if (ch == 0x1b) {
				vt->state = VT_ESC;
			} else if (ch == 0x07) {
				vt->bels++;
			} else if (ch == '\r') {
				vt->x = 0;
			} else if (ch == '\n') {
				vt_newline(vt);
			} else if (ch == '\b') {
				if (vt->x > 0)
					vt->x--;
			} else if (ch >= 0x20 && ch != 0x7f) {
				if (vt->x < VT_COLS) {
					vt->cell[vt->y][vt->x] =
					    ch < 0x80 ? (char)ch : '?';
					vt->dirty |= 1u << vt->y;
					vt->x++;
				}
				if (ch >= 0xc0)
					vt->state = VT_UTF8;
			}
			break;
		case VT_ESC:
			if (ch == '[') {
				vt->state = VT_CSI;
				vt->nparams = 0;
				memset(vt->params, 0, sizeof vt->params);
			} else if (ch == ']')
				vt->state = VT_OSC;
			else if (ch == '(' || ch == ')' || ch == '#')
				vt->state = VT_CHARSET;
			else
				vt->state = VT_GROUND;
			break;
		case VT_CHARSET:
			vt->state = VT_GROUND;
			break;
		case VT_CSI:
			if (ch >= '0' && ch <= '9') {
				if (vt->nparams == 0)
					vt->nparams = 1;
				if (vt->nparams <= 4)
					vt->params[vt->nparams - 1] =
					    vt->params[vt->nparams - 1] * 10 +
					    (ch - '0');
			} else if (ch == ';') {
				if (vt->nparams == 0)
					vt->nparams = 1;
				vt->nparams++;
			} else if (ch >= 0x40 && ch <= 0x7e) {
				if (vt->nparams > 4)
					vt->nparams = 4;
				vt_csi(vt, ch);
				vt->state = VT_GROUND;
			}
			break;
		case VT_OSC:
			if (ch == 0x07)
				vt->state = VT_GROUND;
			else if (ch == 0x1b)
				vt->state = VT_OSC_ESC;
			break;
		case VT_OSC_ESC:
			vt->state = ch == '\\' ? VT_GROUND : VT_OSC;
			break;
		}
	}
}

/* Does any row hold text? */
int
vt_find(struct vt *vt, const char *text)
{
	size_t	n = strlen(text);
	u_int	y;

	for (y = 0; y < VT_ROWS; y++)
		if (memmem(vt->cell[y], VT_COLS, text, n) != NULL)
			return (1);
	return (0);
}

/*
 * Find every token "~SENDER.MICROSECONDS.CHECK~" in buf and hand it to the
 * client; the caller dedups.
 */
void
scan_tokens(const char *buf, size_t len, struct client *c)
{
	const char	*p = buf, *end = buf + len, *q;
	uint64_t	 sender, t;
	u_int		 check;

	while ((p = memchr(p, '~', (size_t)(end - p))) != NULL) {
		q = p + 1;
		sender = 0;
		while (q < end && *q >= '0' && *q <= '9')
			sender = sender * 10 + (uint64_t)(*q++ - '0');
		if (q == p + 1 || q >= end || *q != '.') {
			p++;
			continue;
		}
		t = 0;
		q++;
		while (q < end && *q >= '0' && *q <= '9')
			t = t * 10 + (uint64_t)(*q++ - '0');
		if (q >= end || *q != '.') {
			p++;
			continue;
		}
		check = 0;
		q++;
		while (q < end && *q >= '0' && *q <= '9')
			check = check * 10 + (u_int)(*q++ - '0');
		if (q >= end || *q != '~') {
			p++;
			continue;
		}
		lg_token(c, (u_int)sender, t, check);
		p = q + 1;
	}
}

/* Tokens in the rows that changed since the last scan, top first. */
void
vt_scan_tokens(struct vt *vt, struct client *c)
{
	u_int	y;

	for (y = 0; y < VT_ROWS; y++)
		if (vt->dirty & (1u << y))
			scan_tokens(vt->cell[y], VT_COLS, c);
	vt->dirty = 0;
}
