/*
 * Safety nudges: does a line look like contact details or a move off
 * the platform?  Phone numbers, e-mail addresses (also "name at gmail
 * dot com"), and "add me on <platform>", "my snap is <handle>",
 * "discord: name#1234", "@handle" next to a platform or an invitation.
 *
 * A hit only makes the session show the receiver one calm reminder per
 * chat, so the rules lean towards catching: a false positive costs one
 * line of advice, a miss costs nothing worse than today.
 *
 * Pure: no I/O, no state.  The text must already be sanitised UTF-8.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "strangerd.h"

/* Digits that make a phone number, separators allowed between them. */
#define NUDGE_PHONE_MIN		7
#define NUDGE_PHONE_MAX		15
/* Words looked at on a line. */
#define NUDGE_MAX_WORDS		128

static const char *const nudge_platforms[] = {
	"snap", "snapchat", "sc", "insta", "instagram", "ig", "discord",
	"telegram", "tg", "whatsapp", "whats", "wa", "kik", "skype",
	"facebook", "fb", "messenger", "twitter", "tiktok", "signal",
	"wechat", "viber", "threema", "session", "reddit", "steam", "twitch",
	"email", "e-mail", "mail", "gmail", "number", "phone", "cell",
	"matrix", "irc", "xmpp", "onlyfans", "of", NULL
};
/* "of" and "session" count only next to an invitation or "my". */
static const char *const nudge_weak[] = { "of", "session", "number",
	"phone", "cell", "mail", "email", "e-mail", NULL };

static const char *const nudge_verbs[] = {
	"add", "dm", "pm", "message", "msg", "hmu", "text", "follow", "find",
	"contact", "reach", "call", "ping", "sub", "subscribe", "friend",
	"addme", "dms", "inbox", "hit", "move", "switch", "continue",
	"talk", "chat", "join", "snapme", NULL
};

static const char *const nudge_mailhosts[] = {
	"gmail", "googlemail", "yahoo", "hotmail", "outlook", "live",
	"proton", "protonmail", "icloud", "aol", "gmx", "mail", "yandex",
	"msn", "web", NULL
};

struct nudge_word {
	char	 text[32];	/* lower case, cut */
	int	 at;		/* started with @ */
	int	 handle;	/* has a digit, _, # or . inside */
};

static int	 nudge_in(const char *, const char *const *);
static int	 nudge_phone(const char *);
static int	 nudge_email(const char *);
static u_int	 nudge_words(const char *, struct nudge_word *, u_int);
static int	 nudge_handle(const struct nudge_word *, u_int);

/* Is word one of list? */
static int
nudge_in(const char *word, const char *const *list)
{
	/* The first letters differ for most: no call for those. */
	for (; *list != NULL; list++)
		if (word[0] == (*list)[0] && strcmp(word, *list) == 0)
			return (1);
	return (0);
}

/*
 * A run of NUDGE_PHONE_MIN to NUDGE_PHONE_MAX digits with single
 * separators (space, - . / ( ) +) between them, not glued to a word.
 */
static int
nudge_phone(const char *t)
{
	const char	*p, *after;
	u_int		 digits, seps;

	for (p = t; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && *p != '+' && *p != '(')
			continue;
		if (p > t && isalnum((unsigned char)p[-1]))
			continue;
		digits = seps = 0;
		after = p;
		for (; *p != '\0'; p++) {
			if (isdigit((unsigned char)*p)) {
				digits++;
				seps = 0;
				after = p + 1;
			} else if (*p != '\0' && strchr(" -./()+", *p) != NULL) {
				if (++seps > 2)
					break;
			} else
				break;
		}
		/* Not glued to a word after the last digit ("123abc"). */
		if (digits >= NUDGE_PHONE_MIN && digits <= NUDGE_PHONE_MAX &&
		    !isalpha((unsigned char)*after))
			return (1);
		if (*p == '\0')
			break;
	}
	return (0);
}

/* local@domain.tld, with a real-looking domain. */
static int
nudge_email(const char *t)
{
	const char	*at, *p, *dot;
	size_t		 tld;

	for (at = strchr(t, '@'); at != NULL; at = strchr(at + 1, '@')) {
		if (at == t || !(isalnum((unsigned char)at[-1]) ||
		    strchr("._%+-", at[-1]) != NULL))
			continue;
		dot = NULL;
		for (p = at + 1; isalnum((unsigned char)*p) || *p == '-' ||
		    *p == '.'; p++)
			if (*p == '.' && p > at + 1)
				dot = p;
		if (dot == NULL)
			continue;
		for (tld = 0; isalpha((unsigned char)dot[1 + tld]); tld++)
			;
		if (tld >= 2)
			return (1);
	}
	return (0);
}

/* Split a lower-cased line into words; returns how many. */
static u_int
nudge_words(const char *t, struct nudge_word *w, u_int max)
{
	const char	*p = t;
	u_int		 n = 0;
	size_t		 len;

	while (*p != '\0' && n < max) {
		while (*p != '\0' && !isalnum((unsigned char)*p) && *p != '@' &&
		    *p != '_' && *p != '#' && (unsigned char)*p < 0x80)
			p++;
		if (*p == '\0')
			break;
		memset(&w[n], 0, sizeof w[n]);
		if (*p == '@') {
			w[n].at = 1;
			p++;
		}
		len = 0;
		while (*p != '\0' && (isalnum((unsigned char)*p) ||
		    strchr("_#.-", *p) != NULL || (unsigned char)*p >= 0x80)) {
			if (strchr("_#", *p) != NULL || isdigit((unsigned char)*p))
				w[n].handle = 1;
			if (*p == '.' && isalnum((unsigned char)p[1]))
				w[n].handle = 1;
			if (len < sizeof w[n].text - 1)
				w[n].text[len++] = *p;
			p++;
		}
		/* A trailing full stop ends the sentence, not the word. */
		while (len > 0 && strchr(".-", w[n].text[len - 1]) != NULL)
			len--;
		w[n].text[len] = '\0';
		if (len > 0 || w[n].at)
			n++;
	}
	return (n);
}

/*
 * "add me on snap", "my insta is jake_99", "discord: jake#1234",
 * "@jake99 on ig", "hmu @jake": a platform or a handle next to an
 * invitation or "my".
 */
static int
nudge_handle(const struct nudge_word *w, u_int n)
{
	u_int	i, j;
	int	platform = 0, strong = 0, verb = 0, handle = 0, my = 0;

	for (i = 0; i < n; i++) {
		if (nudge_in(w[i].text, nudge_platforms)) {
			platform = 1;
			if (!nudge_in(w[i].text, nudge_weak))
				strong = 1;
			if (i > 0 && (strcmp(w[i - 1].text, "my") == 0 ||
			    strcmp(w[i - 1].text, "mine") == 0))
				my = 1;
			/* "snap: jake_99", "kik me: jake99", "insta is x.9". */
			for (j = i + 1; j < n && j <= i + 3; j++)
				if (w[j].handle || w[j].at)
					handle = 1;
		}
		if (nudge_in(w[i].text, nudge_verbs))
			verb = 1;
		if (w[i].at && w[i].text[0] != '\0')
			handle = handle || w[i].at;
		if (strchr(w[i].text, '#') != NULL &&
		    isdigit((unsigned char)w[i].text[strlen(w[i].text) - 1]))
			handle = 1;	/* name#1234 */
	}
	if (strong && (verb || my || handle))
		return (1);
	if (platform && my && handle)
		return (1);	/* "my number is 0171 ..." has its own check */
	if (handle && verb) {
		for (i = 0; i < n; i++)
			if (w[i].at && w[i].text[0] != '\0')
				return (1);
	}
	return (0);
}

/* Does text look like contact details or a move off the platform? */
enum nudge_kind
nudge_check(const char *text)
{
	struct nudge_word	*w;
	char			*t, *p;
	u_int			 n, i;
	enum nudge_kind		 kind = NUDGE_NONE;

	t = xstrdup(text);
	for (p = t; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (nudge_email(t)) {
		kind = NUDGE_EMAIL;
		goto out;
	}
	if (nudge_phone(t)) {
		kind = NUDGE_PHONE;
		goto out;
	}
	w = xreallocarray(NULL, NUDGE_MAX_WORDS, sizeof *w);
	n = nudge_words(t, w, NUDGE_MAX_WORDS);
	/* "jake at gmail dot com", "jake (at) gmail". */
	for (i = 0; i + 1 < n; i++) {
		if (strcmp(w[i].text, "at") == 0 &&
		    nudge_in(w[i + 1].text, nudge_mailhosts) && i > 0 &&
		    (i + 2 >= n || strcmp(w[i + 2].text, "dot") == 0 ||
		    strchr(w[i + 1].text, '.') != NULL || w[i - 1].handle)) {
			kind = NUDGE_EMAIL;
			break;
		}
	}
	if (kind == NUDGE_NONE && nudge_handle(w, n))
		kind = NUDGE_HANDLE;
	free(w);
out:
	free(t);
	return (kind);
}
