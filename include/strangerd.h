/*
 * strangerd: anonymous text chat between strangers over SSH and telnet.
 *
 * Shared structures and one section per source file, as tmux.h does.
 * What only the files of one module share lives beside them instead
 * (src/store.h, src/console.h); everything else a file does not
 * declare is static to it.  The threading rules live in src/THREADS.
 */

#ifndef STRANGERD_H
#define STRANGERD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <pthread.h>
#include <stdarg.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

#define STRANGERD_VERSION	"0.1"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif
#define printflike(a, b) __attribute__((__format__(__printf__, a, b)))

struct evbuffer;
struct event;
struct event_base;
struct worker;
struct session;

/* Window sizes are clamped so that no client can make us allocate more. */
#define SCREEN_MIN_X	20
#define SCREEN_MIN_Y	5
#define SCREEN_MAX_X	300
#define SCREEN_MAX_Y	100

/* Longest line a visitor may type, in code points. */
#define LINE_MAX_CHARS	500
/* Longest line accepted in plain line mode before the excess is dropped. */
#define LINE_MAX_BYTES	4096

/* xmalloc.c */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 xasprintf(char **, const char *, ...) printflike(2, 3);

/* log.c */
struct log_limit {			/* one thread's, for one kind of line */
	time_t		 sec;		/* the second being counted */
	u_int		 logged;	/* lines written in it */
	u_int		 quiet;		/* lines left out since */
	const char	*fmt;		/* the format of those */
};
void		 log_init(int foreground, int debug);
void		 log_limited(struct log_limit *, u_int, int, const char *, ...)
		     printflike(4, 5);
void		 log_warn(const char *, ...) printflike(1, 2);
void		 log_warnx(const char *, ...) printflike(1, 2);
void		 log_info(const char *, ...) printflike(1, 2);
void		 log_debug(const char *, ...) printflike(1, 2);
__dead void	 fatal(const char *, ...) printflike(1, 2);
__dead void	 fatalx(const char *, ...) printflike(1, 2);

/* utf8.c: decoding, encoding and display width; no I/O. */
#define UTF8_REPLACEMENT 0xfffd
size_t		 utf8_decode(const void *, size_t, uint32_t *);
size_t		 utf8_encode(uint32_t, char *);
int		 utf8_width(uint32_t);
size_t		 utf8_strwidth(const char *, size_t);

/*
 * sanitize.c: makes text from one visitor safe for another's terminal.
 * The result is valid UTF-8 with no control, bidi, format or tag
 * characters; sanitising twice changes nothing.
 */
int		 sanitize_allowed(uint32_t);
char		*sanitize_text(const void *, size_t, size_t *);

/* interests.c: a visitor's interests as a normalised list; no I/O. */
#define INTERESTS_MAX		5	/* interests one visitor may give */
#define INTEREST_MAX_CHARS	24	/* code points in one interest */
#define INTEREST_MAX_BYTES	(INTEREST_MAX_CHARS * 4) /* in UTF-8 */
#define INTERESTS_CUT_MANY	0x1	/* more than INTERESTS_MAX given */
#define INTERESTS_CUT_LONG	0x2	/* one cut to INTEREST_MAX_CHARS */
char		*interests_normalise(const char *, u_int *, int *);
uint64_t	 interests_hash_one(const char *, size_t);
u_int		 interests_hash(const char *, uint64_t *, u_int);
int		 interests_find(const char *, const char *);
char		*interests_item(const char *, u_int);

/* nudge.c: does a line look like contact details?  No I/O. */
enum nudge_kind {
	NUDGE_NONE,
	NUDGE_PHONE,
	NUDGE_EMAIL,
	NUDGE_HANDLE,		/* "add me on <platform>", "@handle" */
};
enum nudge_kind	 nudge_check(const char *);

/* input.c: raw bytes to keys; no I/O. */
enum key_type {
	KEYC_NONE,
	KEYC_CHAR,		/* cp holds a printable code point */
	KEYC_CTRL,		/* cp holds 'a'..'z' (Ctrl-A..Ctrl-Z) or '@' etc. */
	KEYC_ENTER,
	KEYC_TAB,
	KEYC_BACKSPACE,
	KEYC_DELETE,
	KEYC_ESC,
	KEYC_UP,
	KEYC_DOWN,
	KEYC_LEFT,
	KEYC_RIGHT,
	KEYC_HOME,
	KEYC_END,
	KEYC_INSERT,
	KEYC_PGUP,
	KEYC_PGDN,
	KEYC_SHIFT_UP,
	KEYC_SHIFT_DOWN,
	KEYC_FKEY,		/* cp holds the function key number */
};
struct key {
	enum key_type	 type;
	uint32_t	 cp;
};
typedef void	(*key_cb)(const struct key *, void *);
#define INPUT_SEQ_MAX	32
struct input {
	unsigned char	 seq[INPUT_SEQ_MAX];	/* partial sequence */
	size_t		 seqlen;
	int		 after_cr;	/* swallow a following LF or NUL */
	int		 string;	/* in a control string (input.c) */
};
void		 input_init(struct input *);
void		 input_feed(struct input *, const void *, size_t, key_cb, void *);
int		 input_pending(const struct input *);
void		 input_flush(struct input *, key_cb, void *);

/* editor.c: the input line; no I/O. */
#define EDITOR_HISTORY	16
enum editor_result {
	EDITOR_IGNORED,		/* not an editing key: the caller handles it */
	EDITOR_CHANGED,		/* the line or the cursor moved */
	EDITOR_UNCHANGED,	/* an editing key that changed nothing */
	EDITOR_SUBMIT,		/* Enter: take the line with editor_take() */
};
struct editor {
	uint32_t	*text;		/* owned; len code points */
	size_t		 len;
	size_t		 size;
	size_t		 cursor;	/* 0..len */
	size_t		 max;		/* code points allowed */
	char		*history[EDITOR_HISTORY];	/* owned, oldest first */
	u_int		 nhistory;
	int		 hpos;		/* -1: not browsing history */
	char		*saved;		/* owned: the line before browsing */
};
void		 editor_init(struct editor *, size_t);
void		 editor_free(struct editor *);
enum editor_result editor_key(struct editor *, const struct key *);
char		*editor_take(struct editor *);
void		 editor_clear(struct editor *);
int		 editor_empty(const struct editor *);
size_t		 editor_width_to(const struct editor *, size_t);

/* screen.c: a grid of cells; no I/O. */
#define ATTR_BOLD	0x01
#define ATTR_REVERSE	0x02
#define ATTR_DIM	0x04
#define ATTR_FGMASK	0xf0	/* colour index + 1 in the high nibble, 0: default */
#define ATTR_FG(c)	((((c) + 1) & 0xf) << 4)
/*
 * Four bytes and no padding: every bit belongs to a field, so render.c
 * can compare rows with memcmp().  A code point needs 21 bits.  The rare
 * combining mark lives in the screen's marks, at the cell's index.
 */
struct cell {
	uint32_t	 cp:21;		/* 0: the right half of a wide character */
	uint32_t	 width:2;	/* 1 or 2; 0 for a right half */
	uint32_t	 attr:8;
	uint32_t	 mark:1;	/* a combining mark in screen->marks */
};
struct screen {
	u_int		 sx;
	u_int		 sy;
	struct cell	*cells;		/* owned; sx * sy */
	uint32_t	*marks;		/* owned; sx * sy once a mark is set */
	u_int		 cx;		/* cursor */
	u_int		 cy;
	int		 cursor_visible;
	u_int		 oy;		/* terminal row of row 0 (render.c) */
};
void		 screen_init(struct screen *, u_int, u_int);
void		 screen_free(struct screen *);
void		 screen_resize(struct screen *, u_int, u_int);
void		 screen_clear(struct screen *);
struct cell	*screen_cell(struct screen *, u_int, u_int);
uint32_t	 screen_mark(const struct screen *, u_int, u_int);
void		 screen_copy_marks(struct screen *, u_int,
		     const struct screen *, u_int, u_int);
u_int		 screen_puts(struct screen *, u_int, u_int, u_int, const char *,
		     size_t, uint8_t);
void		 screen_fill(struct screen *, u_int, u_int, u_int, uint8_t);
void		 screen_cursor(struct screen *, u_int, u_int, int);

/* screen-pack.c: a screen in a few hundred bytes, for what a client shows. */
struct screen_pack {
	u_char		*data;		/* owned; NULL until packed */
	size_t		 len;
	u_int		 sx;
	u_int		 sy;
	u_int		 cx;
	u_int		 cy;
	int		 cursor_visible;
};
void		 screen_pack_init(struct screen_pack *, u_int, u_int);
void		 screen_pack_free(struct screen_pack *);
void		 screen_pack_done(void);
void		 screen_pack(struct screen_pack *, const struct screen *);
void		 screen_unpack(struct screen *, const struct screen_pack *);

/* render-term.c: terminal capabilities from terminfo, cached per TERM. */
#define TERM_NCOLOURS	16
#define TERM_UTF8	0	/* takes UTF-8 */
#define TERM_ASCII_UI	1	/* may not: the UI's own characters in ASCII */
#define TERM_ASCII_ALL	2	/* does not: every non-ASCII character too */
struct term {
	char		*name;		/* owned */
	int		 plain;		/* no cursor addressing: line mode */
	int		 ascii;		/* TERM_UTF8, TERM_ASCII_UI, TERM_ASCII_ALL */
	int		 colours;	/* 0, 8, 16, 256 */
	int		 ansi_cup;	/* cup is ESC [ y;x H: format it directly */
	char		*cup;		/* owned: raw cup, for tiparm */
	char		*clear;		/* owned strings below; "" when absent */
	char		*el;
	char		*sgr0;
	char		*bold;
	char		*rev;
	char		*dim;
	char		*civis;
	char		*cnorm;
	char		*smcup;
	char		*rmcup;
	char		*bel;
	char		*setaf[TERM_NCOLOURS];
	char		*csr;		/* owned: raw csr, for tiparm; "" if none */
	char		*ind;		/* owned: scroll up one line */
	int		 ansi_csr;	/* csr is ESC [ top;bot r */
	uint8_t		 attr_map[256];	/* what of each attr it can show */
	char		*attr_set[256];	/* owned: sgr0 then attr_map[i] */
	const struct term *base;	/* a variant's original, whose strings
					   it shares; NULL if not a variant */
	struct term	*variant[TERM_ASCII_ALL + 1]; /* owned: other asciis */
};
const struct term *term_get(const char *);
const struct term *term_charset(const struct term *, int);
void		 term_cup(const struct term *, struct evbuffer *, u_int, u_int);
void		 term_csr(const struct term *, struct evbuffer *, u_int, u_int);
void		 term_free_all(void);

/* render.c: the difference between two screens as terminal bytes. */
void		 render_full(const struct term *, struct screen *,
		     const struct screen *, struct evbuffer *);
void		 render_diff(const struct term *, struct screen *,
		     const struct screen *, struct evbuffer *);
void		 render_enter(const struct term *, struct evbuffer *);
void		 render_leave(const struct term *, struct evbuffer *);
#define RENDER_QMARK	UINT32_MAX	/* render_charset: '?' a column */
uint32_t	 render_charset(int, uint32_t, u_int, int);

/* match-pool.c: who is waiting and who may meet whom; no I/O. */
struct match_pool;
struct match_want {
	uint64_t	 handle;
	uint64_t	 last;		/* partner just left, or HANDLE_NONE */
	uint64_t	 ident;		/* hashed identity, 0: none */
	uint64_t	 strict_until;	/* ms: only a shared interest before */
	char		*interests;	/* normalised list, or NULL */
};
void		 match_pool_want(struct match_pool *,
		     const struct match_want *);
int		 match_pool_match(struct match_pool *,
		     const struct match_want *, uint64_t, struct match_want *,
		     char **);
int		 match_pool_due(struct match_pool *, uint64_t,
		     struct match_want *);
uint64_t	 match_pool_next_due(const struct match_pool *);
void		 match_pool_block(struct match_pool *,
		     const struct match_want *, const struct match_want *,
		     uint64_t);
u_int		 match_pool_expire(struct match_pool *, uint64_t);
int		 match_pool_only_last(const struct match_pool *,
		     const struct match_want *, uint64_t, uint64_t *);
struct match_pool *match_pool_new(uint32_t);
void		 match_pool_free(struct match_pool *);
void		 match_pool_add(struct match_pool *, uint64_t, uint64_t);
int		 match_pool_remove(struct match_pool *, uint64_t);
int		 match_pool_pick(struct match_pool *, uint64_t, uint64_t,
		     uint64_t *);
u_int		 match_pool_count(const struct match_pool *);
int		 match_pool_pop(struct match_pool *, struct match_want *);

/*
 * Session handles name a session across threads: worker index, slot and
 * generation.  Handle 0 names nobody.  A message for a handle whose slot
 * has been reused (generation changed) is dropped.
 */
#define HANDLE_NONE		0
#define HANDLE_MAKE(w, s, g)	(((uint64_t)(w) << 56) | \
				 ((uint64_t)((g) & 0xffffff) << 32) | (uint32_t)(s))
#define HANDLE_WORKER(h)	((u_int)((h) >> 56))
#define HANDLE_GEN(h)		((uint32_t)(((h) >> 32) & 0xffffff))
#define HANDLE_SLOT(h)		((uint32_t)(h))

/* Messages crossing threads; see src/THREADS. */
enum msg_type {
	MSG_WANT,		/* worker -> match: from wants a partner */
	MSG_CANCEL,		/* worker -> match: from no longer waits */
	MSG_PAIRED,		/* match -> worker: to is paired with from */
	MSG_LINE,		/* worker -> worker: text from from to to */
	MSG_LEFT,		/* worker -> worker: from left to */
	MSG_NOTICE,		/* any -> worker: show text to every session */
	MSG_BANS,		/* store -> worker: ban list replaced (ptr) */
	MSG_QUERY,		/* admin -> worker/store: ptr is a request */
	MSG_REPLY,		/* worker/store -> admin: ptr is a reply */
	MSG_STORE,		/* any -> store: ptr is a store request */
	MSG_STOP,		/* main -> everyone: shut down */
	MSG_TYPING,		/* worker -> worker: arg 1 typing, 0 stopped */
	MSG_BLOCK,		/* any -> match: ptr is a struct match_block */
	MSG_IDENTITY,		/* worker -> worker: text is from's identity */
	MSG_ONLY_LAST,		/* match -> worker: only from waits, just left */
	MSG_REQUEUE,		/* cluster -> match: let go of every waiting;
				   match -> worker: to let go of, want again */
	MSG_NETWORK,		/* cluster -> worker: arg 0 the cluster's
				   Redis is away, to waits; 1 it is back */
};
struct msg {
	enum msg_type	 type;
	uint64_t	 to;		/* handle, or HANDLE_NONE */
	uint64_t	 from;		/* handle, or HANDLE_NONE */
	uint64_t	 arg;		/* MSG_WANT: the partner just left;
					   MSG_LEFT: 1 lost with the cluster */
	char		*text;		/* owned, NUL-terminated, or NULL */
	size_t		 len;
	void		*ptr;		/* type-specific, owned by the receiver */
	uint64_t	 ident;		/* MSG_WANT: from's hashed identity;
					   MSG_PAIRED: the partner's */
};

/* inbox.c: a lock-free multi-producer queue with an eventfd wake-up. */
struct inbox;
typedef void	(*inbox_cb)(struct msg *, void *);
struct msg	*msg_new(enum msg_type);
void		 msg_free(struct msg *);
struct inbox	*inbox_new(struct event_base *, inbox_cb, void *);
void		 inbox_free(struct inbox *);
void		 inbox_post(struct inbox *, struct msg *);
void		 inbox_own(struct inbox *);

/*
 * table.c: the moderation tables (sessions, reports, bans, counts) with
 * their columns declared once, by number; no I/O.
 */
enum table {
	TABLE_SESSIONS,
	TABLE_REPORTS,
	TABLE_BANS,
	TABLE_STATS,		/* name, value */
	TABLE_N
};
#define TABLE_COLS_MAX	8
enum session_col {
	SCOL_ID,		/* w.slot.gen; NODE:w.slot.gen in a cluster */
	SCOL_TRANSPORT,
	SCOL_ADDRESS,
	SCOL_KEY,		/* "-": none */
	SCOL_STATE,
	SCOL_TIME,
	SCOL_PARTNER,		/* w.slot.gen or "-" (the same form as id) */
	SCOL_NODE,		/* in a cluster only: the node's name */
	SCOL_N
};
enum report_col {
	RCOL_ID,
	RCOL_TIME,
	RCOL_STATUS,
	RCOL_REPORTER,		/* "ssh 192.0.2.1 SHA256:..." */
	RCOL_REPORTED,		/* the same, or "(unknown)" */
	RCOL_REASON,
	RCOL_EVIDENCE,
	RCOL_N
};
enum ban_col {
	BCOL_ID,
	BCOL_TARGET,
	BCOL_KIND,
	BCOL_EXPIRES,
	BCOL_CREATED,
	BCOL_BY,
	BCOL_REASON,
	BCOL_N
};
enum stat_row {
	STAT_SESSIONS,		/* the workers': visitors online, */
	STAT_WELCOME,		/* then by state */
	STAT_WAITING,
	STAT_CHATTING,
	STAT_ALONE,
	STAT_IN_POOL,		/* the matchmaker's */
	STAT_UPTIME,		/* seconds */
	STAT_BANS,		/* the store's */
	STAT_REPORTS_OPEN,
	STAT_REPORTS,
	STAT_N
};
void		 table_set_nodes(int);
int		 table_has_nodes(void);
char		*table_cols_line(enum table);
void		 table_append(char **, size_t *, enum table,
		     const char *const *);
char		*table_stats_rows(const uint64_t *, const char *);
void		 table_node_stats(char **, size_t *, const char *,
		     const uint64_t *);
void		 table_sort_by_id(char *);

/*
 * ask.c: requests between threads carry their reply address; answers
 * (MSG_REPLY, struct reply) go straight back to it.  A struct ask
 * gathers the answers to one request: asking every worker and merging
 * their answers are written there once.  See src/THREADS.
 */
struct reply_to {
	struct inbox	*inbox;		/* the asker's; NULL: nobody waits */
	uint64_t	 to;		/* a console's session, or HANDLE_NONE */
	uint64_t	 id;		/* the asker's number for the request */
};
struct reply {
	uint64_t	 id;		/* the request's */
	int		 error;		/* text is a one-line error */
	char		*text;		/* owned: message, or NULL */
	char		*rows;		/* owned: "row" lines, or NULL */
	uint64_t	 counts[STAT_N];	/* ADMIN_STATS, STORE_STATS */
};
struct ask {
	struct reply_to	 ret;
	u_int		 pending;	/* answers still to come */
	int		 error;
	char		*text;		/* owned: first message, or error */
	char		*rows;		/* owned: every answer's rows */
	size_t		 rowslen;
	uint64_t	 counts[STAT_N];	/* summed */
};
/* What a worker is asked (MSG_QUERY): admin-worker.c answers. */
enum admin_op {
	ADMIN_SESSIONS,		/* list this worker's sessions */
	ADMIN_KICK,		/* close the session named by target */
	ADMIN_STATS,		/* counts */
	ADMIN_SYNC,		/* answer once every earlier message is done */
};
struct admin_query {
	enum admin_op	 op;
	struct reply_to	 ret;		/* where the answer goes */
	uint64_t	 target;	/* ADMIN_KICK: session handle */
	char		*text;		/* owned: ADMIN_KICK: why */
	char		*node;		/* owned: ADMIN_KICK: on that node */
};
struct store_req;
struct reply	*reply_new(int, char *, char *);
void		 reply_free(struct reply *);
void		 reply_send(const struct reply_to *, struct reply *);
void		 reply_post(const struct reply_to *, int, char *, char *);
void		 ask_init(struct ask *, const struct reply_to *);
void		 ask_clear(struct ask *);
struct msg	*ask_query(struct ask *, enum admin_op);
void		 ask_workers(struct ask *, enum admin_op);
void		 ask_everywhere(struct ask *, enum admin_op);
int		 ask_session_id(const char *, uint64_t *);
void		 ask_kick_handle(struct ask *, uint64_t, const char *);
int		 ask_kick(struct ask *, const char *, const char *);
void		 ask_store(struct ask *, struct store_req *);
int		 ask_merge(struct ask *, struct reply *);

/* proxy.c: PROXY protocol v1 and v2 headers from a balancer; no I/O. */
#define PROXY_V1_MAX	107	/* the whole line, CRLF included */
#define PROXY_V2_MAX	536	/* 16 fixed bytes, addresses and TLVs */
#define PROXY_MAX	PROXY_V2_MAX
struct proxy_hdr {
	int			 local;	/* LOCAL, UNKNOWN: the connection's own */
	struct sockaddr_storage	 ss;	/* else the client's address */
	socklen_t		 sslen;
};
int		 proxy_parse(const u_char *, size_t, struct proxy_hdr *,
		     const char **);

/* limit.c: token buckets and per-address counts; no I/O, no locks. */
struct bucket {
	double		 tokens;
	uint64_t	 last_ms;	/* 0: never used, starts full */
};
struct limit_conf {
	u_int		 per_addr;	/* concurrent connections */
	u_int		 per_net64;	/* concurrent, per IPv6 /64 */
	double		 connect_rate;	/* new connections a second */
	double		 connect_burst;
};
struct flood_conf {
	double		 line_rate;	/* lines a second */
	double		 line_burst;
	double		 byte_rate;	/* chat bytes a second */
	double		 byte_burst;
	double		 input_rate;	/* raw input bytes a second */
	double		 input_burst;
	u_int		 strikes;	/* dropped lines before a mute */
	u_int		 mute_secs;
	u_int		 mutes;		/* mutes before a disconnect */
};
struct limit_table;
int		 bucket_take(struct bucket *, double, double, double, uint64_t);
struct limit_table *limit_table_new(u_int);
void		 limit_table_free(struct limit_table *);
const char	*limit_admit(struct limit_table *, const struct sockaddr *,
		     const struct limit_conf *, uint64_t);
void		 limit_release(struct limit_table *, const struct sockaddr *);
void		 limit_sweep(struct limit_table *, const struct limit_conf *,
		     uint64_t);
u_int		 limit_count(const struct limit_table *);

/* A listening address. */
enum proto {
	PROTO_TELNET,
	PROTO_SSH,
};
struct listen_addr {
	enum proto		 proto;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*name;	/* owned: as given, for logs */
	int			 proxy;	/* a PROXY header comes first */
};

/*
 * Settings, from strangerd.conf(5) and the command line.  A config is
 * never changed once published in cfg: SIGHUP builds a new one and
 * swaps the pointer (see src/THREADS), so read cfg->field where it is
 * used rather than keeping copies.  Each tunable is also a line in the
 * keyword table in config.c and an entry in man/strangerd.conf.5.
 */
struct config {
	char			*path;		/* owned: file read, or NULL */
	char			*dir;		/* owned: state directory */
	char			*user;		/* owned: run as, or NULL */
	u_int			 workers;	/* 0: one per core */
	struct listen_addr	*listen;	/* owned */
	u_int			 nlisten;
	u_int			 listen_set;	/* bit per proto: configured */
	struct ban_target	*proxy_from;	/* owned: may send PROXY */
	u_int			 nproxy_from;
	struct sockaddr_storage	 metrics_ss;	/* metrics_sslen 0: none */
	socklen_t		 metrics_sslen;
	char			*metrics_name;	/* owned, or NULL */
	u_int			 metrics_maxconns; /* connections at once */
	u_int			 max_sessions;
	size_t			 outq_max;	/* bytes queued to one client */
	u_int			 negotiate_ms;	/* telnet: wait for options */
	u_int			 telnet_changes; /* answers about one option */
	u_int			 esc_ms;	/* a lone ESC resolves after */
	u_int			 drain_ms;	/* SIGTERM: time to say goodbye */
	struct limit_conf	 limits;	/* per address */
	struct flood_conf	 flood;		/* per session */
	u_int			 idle_welcome;	/* seconds on the rules */
	u_int			 idle_waiting;	/* seconds looking */
	u_int			 idle_chat;	/* seconds without typing */
	u_int			 ssh_grace;	/* seconds from accept to shell */
	u_int			 ssh_preauth_per_addr;	/* handshakes at once */
	u_int			 ssh_preauth_max;	/* in the whole daemon */
	u_int			 ssh_auth_tries;	/* requests per connection */
	u_int			 autoban_reports;	/* networks that ban ... */
	u_int			 autoban_window;	/* ... within seconds ... */
	u_int			 autoban_time;		/* ... for seconds */
	u_int			 autoban_prefix4;	/* a network: IPv4 /n ... */
	u_int			 autoban_prefix6;	/* ... IPv6 /n */
	u_int			 retention;		/* seconds evidence is kept */
	u_int			 interest_wait;	/* seconds for a shared interest */
	u_int			 typing_ms;	/* typing shown this long idle */
	u_int			 block_secs;	/* /block lasts this long */
	char			*rules_file;	/* owned: NULL is DIR/rules */
	char			*store;		/* owned: postgresql:// URI, or NULL */
	char			*cluster;	/* owned: Redis URL, or NULL */
	char			*node_name;	/* owned: NULL is the host name */
	char			*cluster_fallback; /* owned: "local" or "wait" */
};
extern struct config *_Atomic cfg;

/*
 * config.c: parses strangerd.conf(5); reads the file and does no other
 * I/O.  Errors come back in *cause as "FILE:LINE: why" (owned).
 */
struct config	*config_new(void);
void		 config_free(struct config *);
int		 config_load(struct config *, const char *, int, char **);
int		 config_parse(struct config *, const char *, const char *,
		     size_t, char **);
int		 config_set(struct config *, const char *, const char *,
		     char **);
int		 config_finish(struct config *, char **);
struct config	*config_dup(const struct config *);
char		*config_dump(const struct config *);
char		*config_fixed(const struct config *, const struct config *);
void		 config_keep_fixed(struct config *, const struct config *);

/* config-mask.c: passwords in store and cluster values masked; no I/O. */
char		*config_mask(const char *);
char		*config_mask_in(const char *, const char *);

/*
 * metrics.c: counters any thread may bump (relaxed atomics), served in
 * Prometheus text format by a thread of its own (metrics-http.c).
 */
enum metric {
	METRIC_SESSIONS_TELNET,		/* sessions started, by transport */
	METRIC_SESSIONS_SSH,
	METRIC_PAIRINGS,		/* two strangers connected */
	METRIC_LINES,			/* lines relayed to a partner */
	METRIC_REPORTS,			/* /report and moderator reports */
	METRIC_BANS,			/* bans added */
	METRIC_REFUSED_FULL,		/* refused at accept: server full */
	METRIC_REFUSED_LIMIT,		/* per-address limit or rate */
	METRIC_REFUSED_BANNED,		/* banned address or key */
	METRIC_REFUSED_PREAUTH,		/* too many SSH handshakes */
	METRIC_REFUSED_PROXY,		/* no valid PROXY header, or source */
	METRIC_HANDSHAKE_FAILED,	/* SSH handshake or auth failed */
	METRIC_OUTQ_DROPS,		/* closed: output queue over cap */
	METRIC_FLOOD_MUTES,		/* muted for flooding */
	METRIC_FLOOD_KICKS,		/* disconnected for flooding */
	METRIC_IDLE_KICKS,		/* disconnected for idling */
	METRIC_RELOADS,			/* SIGHUP reloads that took */
	METRIC__COUNT
};
void		 metrics_inc(enum metric);
void		 metrics_pair_time(uint64_t);
void		 metrics_session_state(const char *, int, int);
uint64_t	 metrics_get(enum metric);
char		*metrics_text(void);
int		 metrics_start(const struct config *);
void		 metrics_stop(void);

/* metrics-http.c: the thread that serves metrics_text() over HTTP. */
u_int		 metrics_http_fds(const struct config *);
int		 metrics_http_start(const struct config *);
void		 metrics_http_stop(void);

/* privsep.c: giving up root once the ports and the state are open. */
int		 privsep_lookup(const char *, uid_t *, gid_t *, char **);
int		 privsep_chown_dir(const char *, uid_t, gid_t);
int		 privsep_drop(const char *, uid_t, gid_t);

/* worker.c: a thread with its own event loop that owns its sessions. */
struct listener;
struct ssh_worker;
struct worker {
	u_int			 idx;
	struct event_base	*base;
	struct inbox		*inbox;
	struct session		**slots;	/* owned array, entries not */
	uint32_t		*gens;		/* owned, per slot */
	uint32_t		*free_slots;	/* owned stack of free slots */
	u_int			 nfree;
	u_int			 nslots;
	struct session		*closed;	/* sessions waiting to be freed */
	struct event		*reap_ev;
	struct event		*tick_ev;	/* once a second */
	struct event		*walk_ev;	/* a slice of the sessions */
	u_int			 walk_left;	/* slices still to walk */
	int			 walk_reload;	/* the walk re-arms deadlines */
	u_int			 seen_online;	/* figures the sessions show */
	u_int			 seen_waiting;
	int			 seen_stale;	/* one shows others: walk */
	const struct config	*seen_cfg;
	struct screen		 scratch;	/* owned: the next frame */
	/* Sessions whose shown screen is unpacked, least recently drawn first. */
	TAILQ_HEAD(, session)	 drawn;
	struct evbuffer		*out;		/* owned: the next frame's bytes */
	_Atomic u_int		 nconns;	/* connections, written by owner */
	int			 stopping;
	u_int			 ticks;
	_Atomic u_int		 nsessions;	/* written by the owner only */
	_Atomic u_int		 nconsoles;	/* of them moderators', same */
	_Atomic size_t		 conv_bytes;	/* conversations held, same */
	struct banlist		*bans;		/* one reference: in force here */
	pthread_t		 thread;
	struct listener		*listeners;	/* owned: cfg->nlisten */
	struct ssh_worker	*ssh;		/* owned by ssh.c */
	struct worker_proxy	*proxies;	/* worker-proxy.c: headers due */
	/* ssh-refuse.c: banned SSH clients told why, still draining. */
	LIST_HEAD(, ssh_refuse)	 refusing;
	u_int			 nrefusing;
};
extern struct worker	**workers;
extern u_int		  nworkers;
void		 workers_init(void);
void		 workers_run(void);
void		 workers_stop(void);
void		 workers_free(void);
u_int		 workers_online(void);
u_int		 workers_online_here(void);
uint64_t	 worker_attach(struct worker *, struct session *);
void		 worker_detach(struct worker *, uint64_t);
struct session	*worker_lookup(struct worker *, uint64_t);
int		 worker_banned(struct worker *, const struct sockaddr *,
		     const char *, char **);
void		 worker_post(uint64_t, struct msg *);
void		 worker_broadcast(struct msg *);
int		 worker_room(void);
void		 worker_admit(struct worker *, struct listener *, int,
		     const struct sockaddr_storage *, socklen_t);
void		 worker_refuse(int, const struct sockaddr_storage *,
		     struct listener *, const char *, const char *);
void		 worker_conn_done(struct worker *, const struct sockaddr *);
uint64_t	 now_ms(void);

/* worker-proxy.c: reading a balancer's PROXY header before admission. */
#define WORKER_PROXY_DEADLINE_MS 2000	/* for the whole header */
void		 worker_proxy_start(struct worker *, struct listener *, int,
		     const struct sockaddr_storage *, socklen_t);
void		 worker_proxy_free(struct worker *);

/* telnet.c: the telnet front end (libtelnet). */
void		 telnet_accept(struct worker *, int, const struct sockaddr *,
		     socklen_t);

/*
 * ssh.c: the SSH front end (libssh; ssh-preauth.c, ssh-auth.c and
 * ssh-chan.c share src/ssh.h with it).  Names avoid libssh's own
 * (ssh_init, ssh_accept): ssh_setup loads the host key in the main
 * thread before the workers start.
 */
int		 ssh_setup(const char *);
int		 ssh_worker_init(struct worker *);
void		 ssh_worker_free(struct worker *);
void		 ssh_worker_accept(struct worker *, int, const struct sockaddr *,
		     socklen_t);

/*
 * ssh-watch.c: a worker's epoll set for the SSH sockets that libssh
 * owns and may close by itself (see there why not libevent's events).
 */
struct ssh_watch;
typedef void	(*ssh_watch_cb)(void *, short);
struct ssh_watch *ssh_watch_new(struct event_base *, ssh_watch_cb);
void		 ssh_watch_free(struct ssh_watch *);
int		 ssh_watch_set(struct ssh_watch *, int, void *, int, int);
void		 ssh_watch_del(struct ssh_watch *, int);

/* ssh-refuse.c: a refused SSH connection learns why, without crypto. */
void		 ssh_refuse(struct worker *, int, const char *);
void		 ssh_refuse_free(struct worker *);

/* ssh-next.c: libcrypto's own definition of a function we stand in for. */
void		*ssh_next(const char *);

/* ssh-curve.c: libssh's curve operations done by libsodium. */
unsigned long	 ssh_curve_count(void);

/* ssh-hostkey.c: the ed25519 host key, generated at the first start. */
int		 ssh_hostkey_load(const char *);
const char	*ssh_hostkey_get(void);

/* ssh-key.c: SSH public keys and their SHA256 fingerprints (libssh). */
struct ssh_key_struct;
char		*ssh_key_fingerprint(struct ssh_key_struct *);
char		*ssh_key_fingerprint_text(const char *, const char *, char **);

/*
 * conv.c: a session's conversation, oldest line first, bounded in lines
 * and in bytes of text, packed in one buffer; no I/O.  A zeroed struct
 * conv is empty.  Readers use nlines, seq and text_bytes as they are.
 */
enum line_kind {
	LINE_SYSTEM,
	LINE_YOU,
	LINE_STRANGER,
	LINE_RULES,
};
#define CHAT_MAX_LINES	200
#define CHAT_MAX_BYTES	(32 * 1024)
#define CONV_ROWS_NONE	UINT16_MAX	/* conv_rows(): not known */
struct conv_slot;
struct conv {
	char		*buf;		/* owned: kind byte, text, NUL each */
	struct conv_slot *slots;	/* owned ring: where each line is */
	u_int		 nslots;	/* grows to CHAT_MAX_LINES */
	u_int		 first;		/* the oldest line's slot */
	u_int		 nlines;
	u_int		 size;		/* of buf */
	u_int		 end;		/* first byte after the newest line */
	u_int		 rows_sx;	/* the width the rows cached are for */
	size_t		 text_bytes;	/* the lines' text, at most the cap */
	uint64_t	 seq;		/* lines ever added */
};
void		 conv_add(struct conv *, enum line_kind, const char *);
void		 conv_rewrite(struct conv *, const char *);
void		 conv_free(struct conv *);
const char	*conv_text(const struct conv *, u_int);
size_t		 conv_len(const struct conv *, u_int);
enum line_kind	 conv_kind(const struct conv *, u_int);
u_int		 conv_rows(const struct conv *, u_int, u_int);
void		 conv_set_rows(struct conv *, u_int, u_int, u_int);
size_t		 conv_size(const struct conv *);

/*
 * session.c: one visitor, from welcome to goodbye, whatever the
 * transport.  Front ends hand it bytes, a terminal type and a size
 * through this table.
 */
enum session_state {
	SESSION_WELCOME,	/* reading the rules */
	SESSION_WAITING,	/* looking for a stranger */
	SESSION_PAIRED,		/* chatting */
	SESSION_ALONE,		/* the stranger left; Enter searches again */
	SESSION_CLOSING,	/* on the worker's closed list */
};
/* The current or last chat, for /report (session-report.c). */
struct session_chat {
	uint64_t		 partner;	/* HANDLE_NONE: no chat yet */
	char			*who;		/* owned: "transport addr key" */
	char			*early;		/* owned: who, before MSG_PAIRED */
	uint64_t		 early_from;
	uint64_t		 first;		/* line seq where it began */
	uint64_t		 end;		/* line seq after it, if ended */
	int			 ended;
	int			 reported;
};
struct session {
	struct worker		*w;
	uint64_t		 handle;
	char			 id[24];	/* short id for logs */
	const struct session_ops *ops;
	void			*fe;		/* the front end's connection */
	const char		*transport;
	struct sockaddr_storage	 ss;
	char			 addr[64];	/* printable address */
	char			*key;		/* owned: SHA256 key fingerprint */
	struct timespec		 started;
	enum session_state	 state;
	int			 ready;		/* session_start was called */
	const char		*close_reason;
	int			 closing;	/* inside session_close() */

	const struct term	*term;		/* NULL: plain line mode */
	int			 echo;		/* plain, and we echo the input */
	int			 charset;	/* TERM_*, -1: as terminfo says (set
					   in line mode, which has no term) */
	u_int			 echo_cols;	/* columns of it echoed */
	u_int			 sx;
	u_int			 sy;
	/*
	 * What the client shows now: unpacked while it is being drawn (on
	 * the worker's drawn list), packed once it has been left alone
	 * for SESSION_PACK_MS (cells NULL), as most sessions are.
	 */
	struct screen		 shown;
	struct screen_pack	 packed;
	uint64_t		 drawn_ms;	/* last frame, now_ms() clock */
	TAILQ_ENTRY(session)	 drawn_entry;
	int			 need_full;	/* redraw everything next time */
	u_int			 oy;		/* rows above, past SCREEN_MAX_Y */
	int			 too_small;	/* below SCREEN_MIN_X x _Y */
	int			 small_shown;	/* and told so */
	int			 dirty;
	struct event		*redraw_ev;

	struct input		 input;
	struct event		*esc_ev;	/* resolves a lone ESC */
	struct timespec		 esc_at;	/* when Esc was last pressed */
	struct editor		 editor;
	int			 line_cut;	/* this line hit the limit */
	int			 again;		/* /again: may meet last_partner */
	int			 told_only_last; /* MSG_ONLY_LAST shown */
	int			 network_away;	/* waits for the cluster's Redis */

	struct conv		 conv;		/* what the screen scrolls */
	size_t			 conv_counted;	/* in w->conv_bytes */
	uint64_t		 repeat_seq;	/* last line counts repeats ... */
	u_int			 repeats;	/* ... this many */
	struct session_chat	 chat;

	uint64_t		 partner;
	uint64_t		 last_partner;

	/* Chat features: interests, typing, scrollback, safety, looks. */
	char			*interests;	/* owned normalised list, or NULL */
	char			*shared;	/* owned: interest in common */
	uint64_t		 ident;		/* hashed identity, for blocks */
	uint64_t		 partner_ident;	/* the partner's, from MSG_PAIRED */
	uint64_t		 state_since;	/* ms: began waiting or chatting */
	struct event		*typing_ev;	/* we stopped typing */
	uint64_t		 typing_sent;	/* ms: last "typing", 0: none */
	int			 typing_due;	/* "typing" to send after input */
	uint64_t		 view_seq;	/* view.c: conv.seq last drawn */
	struct event		*partner_typing_ev; /* indicator expires */
	int			 partner_typing;
	u_int			 scroll;	/* rows scrolled up from the end */
	u_int			 unseen;	/* lines that came while scrolled */
	int			 nudged;	/* safety reminder shown this chat */
	int			 no_colour;	/* /color off */
	int			 no_bell;	/* /bell off */
	u_int			 shown_waiting;	/* for the status line */
	u_int			 shown_secs;

	struct bucket		 flood_lines;
	struct bucket		 flood_bytes;
	struct bucket		 flood_input;
	u_int			 strikes;	/* lines dropped since a mute */
	u_int			 mutes;
	uint64_t		 muted_until;	/* ms, now_ms() clock */
	uint64_t		 last_active;	/* ms: last key or state change */
	struct event		*deadline_ev;	/* the next thing due */
	u_int			 shown_online;	/* for the status line */
	char			*farewell;	/* owned: last notice shown */
	struct console		*console;	/* owned: moderator, or NULL */
	struct session		*next_closed;
};
struct session_ops {
	const char	*name;				/* "ssh", "telnet" */
	int		 (*write)(void *, const void *, size_t); /* -1: over cap */
	void		 (*close)(void *);		/* free the transport */
};
struct session	*session_new(struct worker *, const struct session_ops *,
		     void *, const struct sockaddr *, socklen_t);
/* A session's shown screen is packed after this long without a frame. */
#define SESSION_PACK_MS	2000
/* Packing this many at once gives their free pages back (malloc_trim). */
#define SESSION_PACK_TRIM 8
void		 session_pack_idle(struct worker *);
void		 session_start(struct session *, const char *, u_int, u_int);
void		 session_charset(struct session *, int);
void		 session_resize(struct session *, u_int, u_int);
int		 session_received(struct session *, size_t);
void		 session_input(struct session *, const void *, size_t);
void		 session_feed(struct session *, const void *, size_t);
void		 session_set_key(struct session *, const char *);
void		 session_write(struct session *, const void *, size_t);
void		 session_close(struct session *, const char *);
void		 session_free(struct session *);
void		 session_message(struct session *, struct msg *);
void		 session_notice(struct session *, const char *);
void		 session_recount(struct session *, int);
const char	*session_id(const struct session *);
void		 session_refresh(struct session *, int);

/* session-plain.c: plain line mode's bytes, into a buffer. */
void		 session_plain_line(struct session *, struct evbuffer *,
		     enum line_kind, const char *);
void		 session_plain_input(struct session *, struct evbuffer *);

/* session-report.c: /report, from the reporter's own record of the chat. */
#define SESSION_REPORT_NOBODY	(-1)	/* no chat since the welcome */
#define SESSION_REPORT_ALREADY	(-2)	/* this chat was reported */
void		 session_report_paired(struct session *);
void		 session_report_ended(struct session *);
void		 session_report_identity(struct session *, struct msg *);
int		 session_report_who_ok(const char *, size_t);
int		 session_report(struct session *, const char *);
void		 session_report_free(struct session *);

/* rules.c: the welcome text from the operator's file, per thread. */
const char *const *rules_get(void);
void		 rules_flow(const char *const *,
		     void (*)(const char *, void *), void *);

/* view.c: lays out a session's screen. */
struct view_row {
	struct screen	*scr;
	u_int		 y;
	u_int		 skip;		/* rows above the top to leave out */
	u_int		 ymax;		/* first row below the area */
	uint8_t		 attr;
	uint8_t		 prefix_attr;
	size_t		 prefix_len;	/* bytes of the prefix in row one */
	int		 first;
};
void		 view_put_row(const char *, size_t, u_int, void *);
void		 view_editor(struct screen *, const struct editor *, u_int, u_int);
/* What the chat's screen shows besides the session: read by the caller. */
struct view_now {
	uint64_t	 now;		/* ms, now_ms() clock */
	u_int		 online;	/* visitors on every worker */
	u_int		 waiting;	/* in the matchmaker's pool */
};
void		 view_draw(struct session *, struct screen *,
		     const struct screen *, const struct view_now *);
u_int		 view_wrap(const char *, u_int, u_int,
		     void (*)(const char *, size_t, u_int, void *), void *);
u_int		 view_line_rows(enum line_kind, const char *, u_int);
u_int		 view_status_clock(const struct session *, uint64_t);
uint64_t	 view_status_next(const struct session *, uint64_t);
void		 view_clock(char *, size_t, uint64_t, int);

/* cluster-url.c: the cluster keyword's value and node names; no I/O. */
#define CLUSTER_NAME_MAX	63
#define CLUSTER_NAME_CHARS	"abcdefghijklmnopqrstuvwxyz" \
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
struct cluster_url {
	char		*host;		/* owned: redis://, or NULL */
	u_int		 port;
	char		*path;		/* owned: unix:, or NULL */
	char		*user;		/* owned, or NULL */
	char		*password;	/* owned, or NULL */
};
int		 cluster_url_parse(const char *, struct cluster_url *, char **);
int		 cluster_url_check(const char *, char **);
void		 cluster_url_clear(struct cluster_url *);
int		 cluster_node_name_ok(const char *);

/*
 * cluster.c: the thread that owns the Redis connections (cluster);
 * a visitor on another node is a proxy handle of worker HANDLE_CLUSTER.
 */
#define HANDLE_CLUSTER		0xff
void		 cluster_start(const struct config *);
void		 cluster_stop(void);
int		 cluster_take(struct msg *);
int		 cluster_enabled(void);
u_int		 cluster_online_elsewhere(void);

/*
 * cluster-ask.c: moderators' questions to every node (sessions, stats)
 * and kicks on another node, from any asker's thread; answered on the
 * cluster thread.
 */
int		 cluster_ask(struct ask *, enum admin_op);
int		 cluster_ask_kick(struct ask *, const char *, const char *);

/* match.c: the matchmaker thread, fed through its inbox. */
void		 match_start(void);
void		 match_stop(void);
void		 match_post(struct msg *);
void		 match_post_local(struct msg *);
u_int		 match_waiting(void);
/* MSG_BLOCK's payload: handle[0] and handle[1] never meet for secs. */
struct match_block {
	uint64_t	 handle[2];
	uint64_t	 ident[2];	/* hashed identities, 0: none */
	u_int		 secs;
};
void		 match_block(uint64_t, uint64_t, uint64_t, uint64_t, u_int);

/*
 * ban.c: ban targets, durations and ban lists; no I/O.  A ban list is
 * an immutable snapshot shared by reference between the store (which
 * builds it) and the workers (which read it); the last unref frees it.
 */
enum ban_kind {
	BAN_ADDR,		/* one IPv4 or IPv6 address */
	BAN_CIDR,		/* an address block */
	BAN_KEY,		/* an SSH key fingerprint, SHA256:... */
};
#define BAN_FP_LEN	50	/* "SHA256:" and 43 base64 characters */
#define BAN_TEXT_MAX	64	/* a target's canonical text, with the NUL */
struct ban_target {
	enum ban_kind	 kind;
	int		 family;	/* AF_INET, AF_INET6; 0 for a key */
	uint8_t		 addr[16];	/* network order, host bits zero */
	u_int		 prefix;	/* bits that count */
	char		 text[BAN_TEXT_MAX]; /* canonical: "10.0.0.0/8" */
};
struct ban {
	int64_t		 id;
	struct ban_target target;
	char		*reason;	/* owned, may be "" */
	char		*who;		/* owned: who banned */
	time_t		 created;
	time_t		 expires;	/* 0: never */
};
struct banlist {
	_Atomic u_int	 refs;
	u_int		 n;
	struct ban	*bans;		/* owned, with their strings */
};
#define BAN_DURATION_MAX (10 * 366 * 86400)
int		 ban_parse(const char *, struct ban_target *, char **);
int		 ban_parse_duration(const char *, time_t *, char **);
void		 ban_format_duration(time_t, char *, size_t);
int		 ban_target_match(const struct ban_target *,
		     const struct sockaddr *);
struct banlist	*banlist_new(struct ban *, u_int);
struct banlist	*banlist_ref(struct banlist *);
void		 banlist_unref(struct banlist *);
const struct ban *banlist_match_addr(const struct banlist *,
		     const struct sockaddr *, time_t);
const struct ban *banlist_match_key(const struct banlist *, const char *,
		     time_t);
int		 ban_check(const struct banlist *, const struct sockaddr *,
		     const char *, time_t, char **);
void		 ban_free_fields(struct ban *);

/*
 * store.c, store-ban.c, store-report.c: the store thread owns the
 * database: SQLite in DIR/strangerd.db (store-sqlite.c), or PostgreSQL
 * with store postgresql://... (store-pg.c).  Others reach it only with
 * MSG_STORE messages whose ptr is a struct store_req; the answer goes
 * as MSG_REPLY to the request's reply address (ask.c).
 */
enum store_op {
	STORE_BAN_ADD,
	STORE_BAN_DEL,
	STORE_BAN_LIST,
	STORE_REPORT_ADD,
	STORE_REPORT_LIST,
	STORE_REPORT_SET,
	STORE_STATS,
	STORE_AUDIT,		/* an action the store had no part in */
};
enum report_status {
	REPORT_OPEN,
	REPORT_DISMISSED,
	REPORT_ACTIONED,
};
/* Who someone was, as far as the server can tell. */
struct identity {
	char		*addr;		/* owned: printable address */
	char		*key;		/* owned: key fingerprint or NULL */
	char		*transport;	/* owned: "ssh", "telnet" */
};
/* What /report sends: filled by the reporter's worker (session-report.c). */
#define REPORT_EVIDENCE_LINES	20
#define REPORT_REASON_MAX	500
#define REPORT_EVIDENCE_MAX	(16 * 1024)
/*
 * The store answers a visitor's /report once it is committed (or could
 * not be), to the reporter's session, with this number: consoles
 * number their requests from 1.
 */
#define REPORT_REPLY_ID		0
struct report {
	struct reply_to	 ret;		/* the reporter's session */
	struct identity	 reporter;
	struct identity	 reported;
	uint64_t	 reported_handle;
	char		*reason;	/* owned, sanitised, may be "" */
	char		*evidence;	/* owned, sanitised lines, \n apart */
};
struct store_req {
	enum store_op	 op;
	struct reply_to	 ret;		/* where the answer goes */
	char		*who;		/* owned: who asks, for the audit log */
	struct ban_target target;	/* BAN_ADD, BAN_DEL */
	char		*reason;	/* owned: BAN_ADD */
	time_t		 duration;	/* BAN_ADD: seconds, 0: for ever */
	int64_t		 id;		/* REPORT_SET; BAN_DEL: by id */
	enum report_status status;	/* REPORT_SET */
	struct report	*report;	/* owned: REPORT_ADD */
	const char	*action;	/* AUDIT (static); target.text, reason */
};
struct store_conf {
	u_int		 report_threshold;	/* K reporting networks ... */
	u_int		 report_window;		/* ... in T seconds ... */
	u_int		 report_ban;		/* ... ban for this long */
	u_int		 report_prefix4;	/* a network: IPv4 /n ... */
	u_int		 report_prefix6;	/* ... IPv6 /n */
	u_int		 retention;		/* seconds evidence is kept */
};
extern struct store_conf store_conf;
int		 store_open(const char *, const char *);
void		 store_start(void);
void		 store_stop(void);
void		 store_request(struct store_req *);
struct store_req *store_req_new(enum store_op, const char *);
struct store_req *store_req_unban(const char *, const char *, char **);
void		 store_req_free(struct store_req *);
struct banlist	*store_bans_initial(void);
/* store-move.c: strangerd -M */
int		 store_move(const char *, const char *);
void		 store_report_submit(struct report *);
void		 report_free(struct report *);

/* admin.c: the control socket (DIR/strangerd.sock) on its own thread. */
void		 admin_start(const char *);
void		 admin_stop(void);
void		 admin_free(void);

/*
 * admin-worker.c: moderators' queries (MSG_QUERY, struct admin_query)
 * answered on a worker's own thread - its sessions, a kick, its counts.
 */
void		 admin_query_free(struct admin_query *);
void		 admin_worker_query(struct worker *, struct msg *);

/*
 * moderators.c: the SSH keys listed in DIR/moderators (authorized_keys
 * format), which each thread reads again when the file changes.
 */
#define MODERATORS_FILE	"moderators"
int		 moderators_is_listed(const char *);

/*
 * console.c: the moderator console, for a session whose verified key
 * is listed.  It asks the store and the workers as admin.c does, with
 * the same requests (ask.c); their answers come back to its worker as
 * MSG_REPLY addressed to its session (console_reply).  console-view.c
 * draws it.  See src/THREADS.
 */
struct console;
void		 console_new(struct session *);
void		 console_start(struct session *);
void		 console_free(struct console *);
void		 console_key(struct session *, const struct key *);
void		 console_tick(struct session *);
void		 console_reply(struct session *, struct msg *);

/* console-view.c: lays the console out; no I/O. */
void		 console_view_draw(struct session *, struct screen *);

#endif /* STRANGERD_H */
