/*
 * Logging: stderr in the foreground, syslog otherwise.  Safe to call
 * from any thread: each line is formatted first and written with one
 * call.  Never log chat content.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "strangerd.h"

static int	log_foreground = 1;
static int	log_debugging;

static void	log_vwrite(int, const char *, va_list, int);
static void	log_vprint(int, int, const char *, ...) printflike(3, 4);

/* Choose where log lines go. */
void
log_init(int foreground, int debug)
{
	log_foreground = foreground;
	log_debugging = debug;
	if (!foreground)
		openlog("strangerd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Write one line, with strerror(errno) appended if witherr. */
static void
log_vwrite(int pri, const char *fmt, va_list ap, int witherr)
{
	char		 msg[1024], stamp[32];
	struct tm	 tm;
	time_t		 t;
	int		 saved = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (witherr) {
		size_t len = strlen(msg);
		snprintf(msg + len, sizeof msg - len, ": %s", strerror(saved));
	}
	if (!log_foreground) {
		syslog(pri, "%s", msg);
		errno = saved;
		return;
	}
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s %s\n", stamp, msg);
	errno = saved;
}

/*
 * A line that can repeat as fast as a peer can make it (a failing
 * accept, a refused connection): at most max a second through lim.
 * The first line of a later second is preceded by one that says how
 * many were left out, and in what format.  warn: a warning with
 * strerror(errno) appended, as log_warn(); else as log_info().  Each
 * limit belongs to one thread.
 */
void
log_limited(struct log_limit *lim, u_int max, int warn, const char *fmt,
    ...)
{
	va_list	 ap;
	time_t	 now = time(NULL);

	if (now != lim->sec) {
		if (lim->quiet > 0)
			log_vprint(LOG_INFO, 0, "%u more lines like \"%s\" not "
			    "logged", lim->quiet, lim->fmt);
		lim->sec = now;
		lim->logged = 0;
		lim->quiet = 0;
	}
	if (lim->logged >= max) {
		lim->quiet++;
		lim->fmt = fmt;
		return;
	}
	lim->logged++;
	va_start(ap, fmt);
	log_vwrite(warn ? LOG_WARNING : LOG_INFO, fmt, ap, warn);
	va_end(ap);
}

/* log_vwrite() with arguments. */
static void
log_vprint(int pri, int witherr, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(pri, fmt, ap, witherr);
	va_end(ap);
}

/* Warn, appending strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

/* Warn. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

/* Note something an operator wants to see. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

/* Note something only useful when debugging (-v). */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

/* Give up, appending strerror(errno). */
void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

/* Give up. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
