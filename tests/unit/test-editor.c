/*
 * Unit tests for editor.c: insertion and deletion at the cursor, every
 * editing key, word deletion, history with the saved line, the length
 * cap, and wide and combining characters.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"

/* Send one key to the editor. */
static enum editor_result
press(struct editor *ed, enum key_type type, uint32_t cp)
{
	struct key	 key;

	key.type = type;
	key.cp = cp;
	return (editor_key(ed, &key));
}

/* Send Ctrl and a letter. */
static enum editor_result
ctrl(struct editor *ed, char c)
{
	return (press(ed, KEYC_CTRL, c));
}

/* Type a UTF-8 string one code point at a time. */
static void
type(struct editor *ed, const char *s)
{
	size_t		 len = strlen(s), n;
	uint32_t	 cp;

	while (len > 0) {
		n = utf8_decode(s, len, &cp);
		assert_int_equal(press(ed, KEYC_CHAR, cp), EDITOR_CHANGED);
		s += n;
		len -= n;
	}
}

/* Fail unless the line holds s with the cursor at code point cursor. */
static void
assert_line(const struct editor *ed, const char *s, size_t cursor)
{
	char	 buf[4096], *p = buf;
	size_t	 i;

	assert_true(ed->len * 4 < sizeof buf);
	for (i = 0; i < ed->len; i++)
		p += utf8_encode(ed->text[i], p);
	*p = '\0';
	assert_string_equal(buf, s);
	assert_int_equal(ed->cursor, cursor);
	assert_true(ed->len <= ed->size || ed->len == 0);
	assert_true(ed->size <= ed->max);
}

/* Take the line and check it. */
static void
assert_take(struct editor *ed, const char *s)
{
	char	*line;

	line = editor_take(ed);
	assert_string_equal(line, s);
	free(line);
	assert_true(editor_empty(ed));
	assert_int_equal(ed->cursor, 0);
}

/* A new editor is empty and has allocated nothing. */
static void
test_init(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_null(ed.text);
	assert_null(ed.saved);
	assert_int_equal(ed.nhistory, 0);
	assert_int_equal(ed.hpos, -1);
	assert_true(editor_empty(&ed));
	assert_int_equal(editor_width_to(&ed, 0), 0);
	assert_int_equal(editor_width_to(&ed, 10), 0);
	assert_take(&ed, "");
	assert_int_equal(ed.nhistory, 0);
	editor_free(&ed);

	/* A zeroed struct and NULL are fine to free. */
	memset(&ed, 0, sizeof ed);
	editor_free(&ed);
	editor_free(NULL);
}

/* Characters go in at the cursor. */
static void
test_insert(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	type(&ed, "helo");
	assert_line(&ed, "helo", 4);
	assert_false(editor_empty(&ed));
	assert_int_equal(press(&ed, KEYC_LEFT, 0), EDITOR_CHANGED);
	type(&ed, "l");
	assert_line(&ed, "hello", 4);
	press(&ed, KEYC_HOME, 0);
	type(&ed, ">");
	assert_line(&ed, ">hello", 1);
	press(&ed, KEYC_END, 0);
	type(&ed, "!");
	assert_line(&ed, ">hello!", 7);

	/* Controls are not text. */
	assert_int_equal(press(&ed, KEYC_CHAR, 0x07), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_CHAR, 0x1b), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_CHAR, 0x7f), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_CHAR, 0x85), EDITOR_UNCHANGED);
	assert_line(&ed, ">hello!", 7);
	editor_free(&ed);
}

/* Left, Right, Home, End and their Ctrl twins, stopping at the ends. */
static void
test_motion(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_int_equal(press(&ed, KEYC_LEFT, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_RIGHT, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_HOME, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_END, 0), EDITOR_UNCHANGED);

	type(&ed, "abc");
	assert_int_equal(press(&ed, KEYC_RIGHT, 0), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'f'), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'e'), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_LEFT, 0), EDITOR_CHANGED);
	assert_line(&ed, "abc", 2);
	assert_int_equal(ctrl(&ed, 'b'), EDITOR_CHANGED);
	assert_line(&ed, "abc", 1);
	assert_int_equal(ctrl(&ed, 'f'), EDITOR_CHANGED);
	assert_line(&ed, "abc", 2);
	assert_int_equal(press(&ed, KEYC_RIGHT, 0), EDITOR_CHANGED);
	assert_line(&ed, "abc", 3);
	assert_int_equal(ctrl(&ed, 'a'), EDITOR_CHANGED);
	assert_line(&ed, "abc", 0);
	assert_int_equal(ctrl(&ed, 'a'), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'b'), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_LEFT, 0), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'e'), EDITOR_CHANGED);
	assert_line(&ed, "abc", 3);
	assert_int_equal(press(&ed, KEYC_HOME, 0), EDITOR_CHANGED);
	assert_line(&ed, "abc", 0);
	assert_int_equal(press(&ed, KEYC_END, 0), EDITOR_CHANGED);
	assert_line(&ed, "abc", 3);
	editor_free(&ed);
}

/* Backspace deletes before the cursor, Delete and Ctrl-D at it. */
static void
test_delete(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_int_equal(press(&ed, KEYC_BACKSPACE, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_UNCHANGED);

	type(&ed, "abcdef");
	assert_int_equal(press(&ed, KEYC_BACKSPACE, 0), EDITOR_CHANGED);
	assert_line(&ed, "abcde", 5);
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'd'), EDITOR_UNCHANGED);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	assert_int_equal(press(&ed, KEYC_BACKSPACE, 0), EDITOR_CHANGED);
	assert_line(&ed, "abde", 2);
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_CHANGED);
	assert_line(&ed, "abe", 2);
	assert_int_equal(ctrl(&ed, 'd'), EDITOR_CHANGED);
	assert_line(&ed, "ab", 2);
	press(&ed, KEYC_HOME, 0);
	assert_int_equal(press(&ed, KEYC_BACKSPACE, 0), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'd'), EDITOR_CHANGED);
	assert_line(&ed, "b", 0);
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_CHANGED);
	assert_line(&ed, "", 0);

	/* Ctrl-D on an empty line is the caller's: it means quit. */
	assert_int_equal(ctrl(&ed, 'd'), EDITOR_IGNORED);
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_UNCHANGED);
	editor_free(&ed);
}

/* Ctrl-K kills to the end, Ctrl-U to the start. */
static void
test_kill(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_int_equal(ctrl(&ed, 'k'), EDITOR_UNCHANGED);
	assert_int_equal(ctrl(&ed, 'u'), EDITOR_UNCHANGED);

	type(&ed, "hello world");
	assert_int_equal(ctrl(&ed, 'k'), EDITOR_UNCHANGED);
	press(&ed, KEYC_HOME, 0);
	assert_int_equal(ctrl(&ed, 'u'), EDITOR_UNCHANGED);
	press(&ed, KEYC_END, 0);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	assert_int_equal(ctrl(&ed, 'k'), EDITOR_CHANGED);
	assert_line(&ed, "hello wo", 8);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	assert_int_equal(ctrl(&ed, 'u'), EDITOR_CHANGED);
	assert_line(&ed, "wo", 0);
	assert_int_equal(ctrl(&ed, 'k'), EDITOR_CHANGED);
	assert_line(&ed, "", 0);
	assert_true(editor_empty(&ed));

	type(&ed, "again");
	assert_int_equal(ctrl(&ed, 'u'), EDITOR_CHANGED);
	assert_line(&ed, "", 0);
	editor_free(&ed);
}

/* Ctrl-W deletes the word before the cursor, spaces first. */
static void
test_word(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_UNCHANGED);

	type(&ed, "one two  three");
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "one two  ", 9);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "one ", 4);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "", 0);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_UNCHANGED);

	/* In the middle of a word: only the part before the cursor. */
	type(&ed, "foo bar baz");
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	assert_line(&ed, "foo bar baz", 6);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "foo r baz", 4);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "r baz", 0);
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_UNCHANGED);
	editor_clear(&ed);

	/* Only spaces before the cursor. */
	type(&ed, "   ");
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "", 0);

	/* Words of wider characters. */
	type(&ed, "h\xc3\xa9llo \xe4\xb8\xad\xe6\x96\x87");
	assert_int_equal(ctrl(&ed, 'w'), EDITOR_CHANGED);
	assert_line(&ed, "h\xc3\xa9llo ", 6);
	editor_free(&ed);
}

/* Keys that are not for the editor are left to the caller. */
static void
test_ignored(void **state)
{
	static const enum key_type types[] = {
		KEYC_NONE, KEYC_TAB, KEYC_ESC, KEYC_INSERT, KEYC_PGUP,
		KEYC_PGDN, KEYC_SHIFT_UP, KEYC_SHIFT_DOWN, KEYC_FKEY,
	};
	static const char ctrls[] = "cgjlnopqrstvxyz";
	struct editor	 ed;
	size_t		 i;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	type(&ed, "text");
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		assert_int_equal(press(&ed, types[i], 1), EDITOR_IGNORED);
	for (i = 0; ctrls[i] != '\0'; i++)
		assert_int_equal(ctrl(&ed, ctrls[i]), EDITOR_IGNORED);
	assert_line(&ed, "text", 4);

	assert_int_equal(press(&ed, KEYC_ENTER, 0), EDITOR_SUBMIT);
	assert_line(&ed, "text", 4);
	editor_clear(&ed);
	assert_int_equal(press(&ed, KEYC_ENTER, 0), EDITOR_SUBMIT);
	editor_free(&ed);
}

/* editor_take() returns the line and keeps distinct lines as history. */
static void
test_take(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	type(&ed, "one");
	assert_take(&ed, "one");
	type(&ed, "two");
	assert_take(&ed, "two");
	type(&ed, "two");
	assert_take(&ed, "two");
	assert_take(&ed, "");
	type(&ed, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_take(&ed, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	type(&ed, "one");
	assert_take(&ed, "one");

	assert_int_equal(ed.nhistory, 4);
	assert_string_equal(ed.history[0], "one");
	assert_string_equal(ed.history[1], "two");
	assert_string_equal(ed.history[2], "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_string_equal(ed.history[3], "one");

	/* editor_clear() drops the line but not the history. */
	type(&ed, "gone");
	editor_clear(&ed);
	assert_line(&ed, "", 0);
	assert_int_equal(ed.nhistory, 4);
	editor_free(&ed);
}

/* History keeps the newest EDITOR_HISTORY lines. */
static void
test_history_cap(void **state)
{
	struct editor	 ed;
	char		 buf[32];
	int		 i;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	for (i = 0; i < EDITOR_HISTORY + 5; i++) {
		snprintf(buf, sizeof buf, "line %d", i);
		type(&ed, buf);
		assert_take(&ed, buf);
	}
	assert_int_equal(ed.nhistory, EDITOR_HISTORY);
	assert_string_equal(ed.history[0], "line 5");
	snprintf(buf, sizeof buf, "line %d", EDITOR_HISTORY + 4);
	assert_string_equal(ed.history[EDITOR_HISTORY - 1], buf);

	/* Up reaches the oldest kept and stops there. */
	for (i = 0; i < EDITOR_HISTORY; i++)
		assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_CHANGED);
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_UNCHANGED);
	assert_line(&ed, "line 5", 6);
	editor_free(&ed);
}

/* Up and Down browse history and bring back the line being typed. */
static void
test_history_browse(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_UNCHANGED);

	type(&ed, "first");
	assert_take(&ed, "first");
	type(&ed, "second");
	assert_take(&ed, "second");
	type(&ed, "third");
	assert_take(&ed, "third");

	type(&ed, "draft");
	press(&ed, KEYC_LEFT, 0);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_UNCHANGED);
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_CHANGED);
	assert_line(&ed, "third", 5);
	assert_string_equal(ed.saved, "draft");
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_CHANGED);
	assert_line(&ed, "second", 6);
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_CHANGED);
	assert_line(&ed, "first", 5);
	assert_int_equal(press(&ed, KEYC_UP, 0), EDITOR_UNCHANGED);
	assert_line(&ed, "first", 5);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_CHANGED);
	assert_line(&ed, "second", 6);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_CHANGED);
	assert_line(&ed, "third", 5);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_CHANGED);
	assert_line(&ed, "draft", 5);
	assert_null(ed.saved);
	assert_int_equal(ed.hpos, -1);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_UNCHANGED);
	assert_line(&ed, "draft", 5);

	/* A recalled line may be edited and sent like a new one. */
	press(&ed, KEYC_UP, 0);
	press(&ed, KEYC_UP, 0);
	type(&ed, "!");
	assert_line(&ed, "second!", 7);
	assert_int_equal(press(&ed, KEYC_ENTER, 0), EDITOR_SUBMIT);
	assert_take(&ed, "second!");
	assert_null(ed.saved);
	assert_int_equal(ed.hpos, -1);
	assert_int_equal(ed.nhistory, 4);

	/* From an empty line, Down past the newest gives it back empty. */
	press(&ed, KEYC_UP, 0);
	assert_line(&ed, "second!", 7);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_CHANGED);
	assert_line(&ed, "", 0);

	/* Clearing while browsing forgets the saved line. */
	type(&ed, "kept?");
	press(&ed, KEYC_UP, 0);
	editor_clear(&ed);
	assert_null(ed.saved);
	assert_int_equal(ed.hpos, -1);
	assert_int_equal(press(&ed, KEYC_DOWN, 0), EDITOR_UNCHANGED);
	editor_free(&ed);
}

/* A paste longer than the limit stops at max code points. */
static void
test_paste_cap(void **state)
{
	struct editor	 ed;
	size_t		 i, changed = 0;
	char		*line;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	for (i = 0; i < 10000; i++) {
		if (press(&ed, KEYC_CHAR, 'a' + i % 26) == EDITOR_CHANGED)
			changed++;
	}
	assert_int_equal(changed, LINE_MAX_CHARS);
	assert_int_equal(ed.len, LINE_MAX_CHARS);
	assert_int_equal(ed.cursor, LINE_MAX_CHARS);
	assert_true(ed.size <= LINE_MAX_CHARS);

	/* Full: nothing more goes in, even in the middle. */
	press(&ed, KEYC_HOME, 0);
	assert_int_equal(press(&ed, KEYC_CHAR, 'X'), EDITOR_UNCHANGED);
	assert_int_equal(ed.text[0], 'a');
	assert_int_equal(press(&ed, KEYC_DELETE, 0), EDITOR_CHANGED);
	assert_int_equal(press(&ed, KEYC_CHAR, 'X'), EDITOR_CHANGED);
	assert_int_equal(ed.text[0], 'X');
	assert_int_equal(ed.len, LINE_MAX_CHARS);

	line = editor_take(&ed);
	assert_int_equal(strlen(line), LINE_MAX_CHARS);
	free(line);

	/* The long line's buffer is given back once it is sent. */
	assert_true(ed.size <= 32);

	/* Recalling it still respects the cap. */
	press(&ed, KEYC_UP, 0);
	assert_int_equal(ed.len, LINE_MAX_CHARS);
	editor_free(&ed);

	/* A tiny limit. */
	editor_init(&ed, 3);
	for (i = 0; i < 10; i++)
		press(&ed, KEYC_CHAR, '0' + i);
	assert_line(&ed, "012", 3);
	editor_free(&ed);

	/* No room at all. */
	editor_init(&ed, 0);
	assert_int_equal(press(&ed, KEYC_CHAR, 'a'), EDITOR_UNCHANGED);
	assert_true(editor_empty(&ed));
	assert_take(&ed, "");
	editor_free(&ed);
}

/* Wide and combining characters, and the cursor's column. */
static void
test_width(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	/* a, CJK (2), e + combining acute (1 + 0), emoji (2), z */
	type(&ed, "a\xe4\xb8\xad" "e\xcc\x81\xf0\x9f\x98\x80z");
	assert_int_equal(ed.len, 6);
	assert_int_equal(editor_width_to(&ed, 0), 0);
	assert_int_equal(editor_width_to(&ed, 1), 1);
	assert_int_equal(editor_width_to(&ed, 2), 3);
	assert_int_equal(editor_width_to(&ed, 3), 4);
	assert_int_equal(editor_width_to(&ed, 4), 4);
	assert_int_equal(editor_width_to(&ed, 5), 6);
	assert_int_equal(editor_width_to(&ed, 6), 7);
	assert_int_equal(editor_width_to(&ed, 1000), 7);
	assert_int_equal(editor_width_to(&ed, ed.cursor), 7);

	/* Editing moves by code point. */
	press(&ed, KEYC_LEFT, 0);
	press(&ed, KEYC_LEFT, 0);
	assert_int_equal(editor_width_to(&ed, ed.cursor), 4);
	press(&ed, KEYC_BACKSPACE, 0);
	assert_line(&ed, "a\xe4\xb8\xad" "e\xf0\x9f\x98\x80z", 3);
	assert_int_equal(editor_width_to(&ed, ed.cursor), 4);

	/* A combining mark on its own inserts fine. */
	press(&ed, KEYC_HOME, 0);
	assert_int_equal(press(&ed, KEYC_CHAR, 0x301), EDITOR_CHANGED);
	assert_int_equal(editor_width_to(&ed, 1), 0);
	assert_take(&ed, "\xcc\x81" "a\xe4\xb8\xad" "e\xf0\x9f\x98\x80z");
	editor_free(&ed);
}

/* An idle editor holds little memory. */
static void
test_memory(void **state)
{
	struct editor	 ed;

	(void)state;

	editor_init(&ed, LINE_MAX_CHARS);
	type(&ed, "x");
	assert_non_null(ed.text);
	assert_true(ed.size <= 32);
	editor_clear(&ed);
	assert_true(ed.size <= 32);
	editor_free(&ed);
	assert_null(ed.text);
	assert_int_equal(ed.nhistory, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_motion),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_word),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_history_cap),
		cmocka_unit_test(test_history_browse),
		cmocka_unit_test(test_paste_cap),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_memory),
	};

	/* utf8_width() relies on wcwidth(), which needs a UTF-8 locale. */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
