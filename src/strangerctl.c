/*
 * strangerctl: the moderators' command line.  Sends one request over
 * the control socket DIR/strangerd.sock (include/control.h) and prints
 * the answer: aligned tables for people, JSON with -j for scripts, and
 * on failure one line on stderr and exit status 1.
 *
 * Owns: nothing beyond its own process.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "strangerd.h"
#include "control.h"

#define CTL_DEFAULT_DIR	"/var/lib/strangerd"
/* Answers may carry reports with evidence; refuse the absurd. */
#define CTL_ANSWER_MAX	(64 * 1024 * 1024)

enum ctl_output {
	CTL_MESSAGE,		/* ok [message] */
	CTL_TABLE,		/* rows under named columns */
	CTL_KEYVALUE,		/* name value rows: one JSON object */
};

struct ctl_cmd {
	const char	*name;
	const char	*usage;
	u_int		 minargs;	/* positional arguments */
	u_int		 maxargs;
	const char	*options;	/* option letters taking a value */
	enum ctl_output	 output;
	const char	*below;		/* column printed under its row */
};

/* The commands; the daemon's table is in admin.c. */
static const struct ctl_cmd ctl_cmds[] = {
	{ "ban", "ban target [-r reason] [-t duration]", 1, 1, "rt",
	    CTL_MESSAGE, NULL },
	{ "unban", "unban target|id", 1, 1, "", CTL_MESSAGE, NULL },
	{ "bans", "bans", 0, 0, "", CTL_TABLE, NULL },
	{ "reports", "reports", 0, 0, "", CTL_TABLE, "evidence" },
	{ "report", "report dismiss|action id", 2, 2, "", CTL_MESSAGE, NULL },
	{ "sessions", "sessions", 0, 0, "", CTL_TABLE, NULL },
	{ "kick", "kick session", 1, 1, "", CTL_MESSAGE, NULL },
	{ "stats", "stats", 0, 0, "", CTL_KEYVALUE, NULL },
};

struct ctl_answer {
	int		  ok;
	char		 *message;
	char		**cols;		/* ncols */
	u_int		  ncols;
	char		***rows;	/* nrows of ncols */
	u_int		  nrows;
};

static __dead void	 usage(void);
static __dead void	 die(const char *, ...) printflike(1, 2);
static int		 ctl_connect(const char *);
static char		*ctl_read(int);
static void		 ctl_parse(char *, struct ctl_answer *);
static void		 ctl_print_table(const struct ctl_cmd *,
			     const struct ctl_answer *);
static void		 ctl_print_json(const struct ctl_cmd *,
			     const struct ctl_answer *);
static void		 ctl_json_string(const char *);
static int		 ctl_width(const char *);
static char		*ctl_request(const struct ctl_cmd *, int, char **,
			     int *);

static __dead void
usage(void)
{
	u_int	i;

	fprintf(stderr, "usage: strangerctl [-j] [-d dir] command [arg ...]\n"
	    "commands:\n");
	for (i = 0; i < sizeof ctl_cmds / sizeof *ctl_cmds; i++)
		fprintf(stderr, "\t%s\n", ctl_cmds[i].usage);
	exit(1);
}

/* One line on stderr, exit 1. */
static __dead void
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "strangerctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Connect to the daemon's control socket in dir. */
static int
ctl_connect(const char *dir)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { CONTROL_TIMEOUT + 5, 0 };
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s", dir,
	    CONTROL_SOCKET) >= sizeof sun.sun_path)
		die("%s: path too long", dir);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		die("%s: %s (is strangerd running with -d %s?)", sun.sun_path,
		    strerror(errno), dir);
	return (fd);
}

/* Read one whole answer, up to its "." line. */
static char *
ctl_read(int fd)
{
	char	*buf = NULL;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	for (;;) {
		if (len > 0 && buf[len - 1] == '\n' &&
		    ((len >= 3 && memcmp(buf + len - 3, "\n.\n", 3) == 0) ||
		    (len == 2 && memcmp(buf, ".\n", 2) == 0)))
			break;
		if (size - len < 65536) {
			size = size ? size * 2 : 65536;
			if (size > CTL_ANSWER_MAX)
				die("answer too long");
			buf = xreallocarray(buf, 1, size + 1);
		}
		n = read(fd, buf + len, size - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				die("no answer from strangerd");
			die("read: %s", strerror(errno));
		}
		if (n == 0)
			die("strangerd closed the connection");
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (buf);
}

/* Split an answer into its status, message, columns and rows. */
static void
ctl_parse(char *buf, struct ctl_answer *a)
{
	char	*line, *next, *f[CONTROL_FIELDS_MAX];
	int	 n, first = 1;
	u_int	 i;

	memset(a, 0, sizeof *a);
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, ".") == 0)
			break;
		if ((n = control_split(line, f, CONTROL_FIELDS_MAX)) < 1)
			die("malformed answer");
		if (first) {
			if (strcmp(f[0], "ok") == 0)
				a->ok = 1;
			else if (strcmp(f[0], "error") != 0)
				die("malformed answer");
			a->message = n > 1 ? f[1] : NULL;
			first = 0;
		} else if (strcmp(f[0], "cols") == 0) {
			a->ncols = (u_int)n - 1;
			a->cols = xcalloc(a->ncols, sizeof *a->cols);
			for (i = 0; i < a->ncols; i++)
				a->cols[i] = f[i + 1];
		} else if (strcmp(f[0], "row") == 0) {
			a->rows = xreallocarray(a->rows, a->nrows + 1,
			    sizeof *a->rows);
			a->rows[a->nrows] = xcalloc(a->ncols + 1,
			    sizeof **a->rows);
			for (i = 0; i < a->ncols; i++)
				a->rows[a->nrows][i] = i + 1 < (u_int)n ?
				    f[i + 1] : "";
			a->nrows++;
		}
	}
	if (first)
		die("malformed answer");
}

/* Display width of a UTF-8 string, for aligning columns. */
static int
ctl_width(const char *s)
{
	mbstate_t	 ps;
	wchar_t		 wc;
	size_t		 n;
	int		 w, total = 0;

	memset(&ps, 0, sizeof ps);
	while (*s != '\0') {
		n = mbrtowc(&wc, s, MB_CUR_MAX, &ps);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&ps, 0, sizeof ps);
			s++;
			total++;
			continue;
		}
		w = wcwidth(wc);
		total += w > 0 ? w : 0;
		s += n;
	}
	return (total);
}

/* Columns padded to their widest value; the "below" column under. */
static void
ctl_print_table(const struct ctl_cmd *cmd, const struct ctl_answer *a)
{
	int		*width, w;
	u_int		 i, j, below = a->ncols;
	const char	*v, *p, *nl;
	char		*upper;

	if (a->ncols == 0)
		return;
	if (cmd->below != NULL)
		for (i = 0; i < a->ncols; i++)
			if (strcmp(a->cols[i], cmd->below) == 0)
				below = i;
	width = xcalloc(a->ncols, sizeof *width);
	for (i = 0; i < a->ncols; i++) {
		width[i] = ctl_width(a->cols[i]);
		for (j = 0; j < a->nrows; j++)
			if ((w = ctl_width(a->rows[j][i])) > width[i])
				width[i] = w;
	}
	for (i = 0; i < a->ncols; i++) {
		if (i == below)
			continue;
		upper = xstrdup(a->cols[i]);
		for (p = upper; *p != '\0'; p++)
			upper[p - upper] = (char)toupper((u_char)*p);
		printf("%s%-*s", i > 0 ? "  " : "", i + 1 < a->ncols ?
		    width[i] : 0, upper);
		free(upper);
	}
	printf("\n");
	for (j = 0; j < a->nrows; j++) {
		for (i = 0; i < a->ncols; i++) {
			if (i == below)
				continue;
			v = a->rows[j][i];
			/* Pad by display width, not by bytes. */
			printf("%s%s", i > 0 ? "  " : "", v);
			if (i + 1 < a->ncols)
				printf("%*s", width[i] - ctl_width(v), "");
		}
		printf("\n");
		if (below == a->ncols)
			continue;
		for (p = a->rows[j][below]; *p != '\0'; p = nl) {
			if ((nl = strchr(p, '\n')) == NULL)
				nl = p + strlen(p);
			printf("    | %.*s\n", (int)(nl - p), p);
			if (*nl == '\n')
				nl++;
		}
	}
	free(width);
}

/* A JSON string. */
static void
ctl_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		default:
			if ((u_char)*s < 0x20 || *s == 0x7f)
				printf("\\u%04x", (u_char)*s);
			else
				putchar(*s);
			break;
		}
	}
	putchar('"');
}

/* An answer as JSON: a message object, an array of rows, or a map. */
static void
ctl_print_json(const struct ctl_cmd *cmd, const struct ctl_answer *a)
{
	const char	*v;
	u_int		 i, j;

	switch (cmd->output) {
	case CTL_MESSAGE:
		printf("{\"ok\": true, \"message\": ");
		ctl_json_string(a->message != NULL ? a->message : "");
		printf("}\n");
		break;
	case CTL_TABLE:
		printf("[");
		for (j = 0; j < a->nrows; j++) {
			printf("%s\n  {", j > 0 ? "," : "");
			for (i = 0; i < a->ncols; i++) {
				printf("%s", i > 0 ? ", " : "");
				ctl_json_string(a->cols[i]);
				printf(": ");
				v = a->rows[j][i];
				if (strcmp(a->cols[i], "id") == 0 &&
				    v[strspn(v, "0123456789")] == '\0' &&
				    *v != '\0')
					printf("%s", v);
				else if (strcmp(v, "-") == 0 ||
				    strcmp(v, "never") == 0)
					printf("null");
				else
					ctl_json_string(v);
			}
			printf("}");
		}
		printf("%s]\n", a->nrows > 0 ? "\n" : "");
		break;
	case CTL_KEYVALUE:
		printf("{");
		for (j = 0; j < a->nrows && a->ncols >= 2; j++) {
			printf("%s\n  ", j > 0 ? "," : "");
			ctl_json_string(a->rows[j][0]);
			v = a->rows[j][1];
			if (*v != '\0' && v[strspn(v, "0123456789")] == '\0')
				printf(": %s", v);
			else {
				printf(": ");
				ctl_json_string(v);
			}
		}
		printf("\n}\n");
		break;
	}
}

/*
 * The request line for cmd from its arguments (argv[0] is the command);
 * -j among them sets *json.
 */
static char *
ctl_request(const struct ctl_cmd *cmd, int argc, char **argv, int *json)
{
	const char	*f[CONTROL_FIELDS_MAX], *opt_r = NULL, *opt_t = NULL;
	u_int		 i, n = 0, npos = 0;

	f[n++] = cmd->name;
	/*
	 * Options may come before or after the positional arguments, -j
	 * after the command too ("strangerctl stats -j").
	 */
	for (i = 1; i < (u_int)argc; i++) {
		if (strcmp(argv[i], "-j") == 0) {
			*json = 1;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0' &&
		    argv[i][2] == '\0' && strchr(cmd->options, argv[i][1]) &&
		    argv[i][1] != '-') {
			if (i + 1 >= (u_int)argc)
				die("%s: -%c needs a value", cmd->name,
				    argv[i][1]);
			if (argv[i][1] == 'r')
				opt_r = argv[++i];
			else
				opt_t = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0 && i + 1 < (u_int)argc) {
			i++;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' &&
		    strchr(argv[i], '.') == NULL && strchr(argv[i], ':') ==
		    NULL) {
			die("%s: unknown option %s; usage: strangerctl %s",
			    cmd->name, argv[i], cmd->usage);
		}
		if (npos >= cmd->maxargs || n >= CONTROL_FIELDS_MAX - 2)
			die("too many arguments; usage: strangerctl %s",
			    cmd->usage);
		f[n++] = argv[i];
		npos++;
	}
	if (npos < cmd->minargs)
		die("missing argument; usage: strangerctl %s", cmd->usage);
	if (strcmp(cmd->name, "ban") == 0) {
		f[n++] = opt_r != NULL ? opt_r : "";
		f[n++] = opt_t != NULL ? opt_t : "";
	}
	return (control_line(f, n));
}

int
main(int argc, char **argv)
{
	const struct ctl_cmd	*cmd = NULL;
	struct ctl_answer	 a;
	const char		*dir = CTL_DEFAULT_DIR;
	char			*line, *answer;
	int			 ch, json = 0, fd;
	u_int			 i;
	size_t			 len, off;
	ssize_t			 w;

	setlocale(LC_CTYPE, "");
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "+d:hj")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < sizeof ctl_cmds / sizeof *ctl_cmds; i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL)
		die("unknown command: %s (try strangerctl -h)", argv[0]);

	line = ctl_request(cmd, argc, argv, &json);
	if ((len = strlen(line)) > CONTROL_LINE_MAX)
		die("request too long (at most %d bytes)", CONTROL_LINE_MAX);
	fd = ctl_connect(dir);
	for (off = 0; off < len; off += (size_t)w) {
		if ((w = write(fd, line + off, len - off)) == -1) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			/* Refused early: the answer says why. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			die("write: %s", strerror(errno));
		}
	}
	free(line);
	shutdown(fd, SHUT_WR);
	answer = ctl_read(fd);
	close(fd);
	ctl_parse(answer, &a);
	if (!a.ok)
		die("%s", a.message != NULL ? a.message : "failed");
	if (json)
		ctl_print_json(cmd, &a);
	else if (cmd->output == CTL_MESSAGE) {
		if (a.message != NULL)
			printf("%s\n", a.message);
	} else
		ctl_print_table(cmd, &a);
	/* A table's note (a cluster's node that did not answer): aside. */
	if (cmd->output != CTL_MESSAGE && a.message != NULL)
		fprintf(stderr, "strangerctl: %s\n", a.message);
	for (i = 0; i < a.nrows; i++)
		free(a.rows[i]);
	free(a.rows);
	free(a.cols);
	free(answer);
	return (0);
}
