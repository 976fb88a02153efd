/* Unit tests for table.c: the moderation tables on the wire, and order. */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strangerd.h"
#include "control.h"

/* Every table's cols line names every column, in wire order. */
static void
test_cols_lines(void **state)
{
	char	*line;

	(void)state;
	line = table_cols_line(TABLE_BANS);
	assert_string_equal(line,
	    "cols\tid\ttarget\tkind\texpires\tcreated\tby\treason\n");
	free(line);
	line = table_cols_line(TABLE_SESSIONS);
	assert_string_equal(line,
	    "cols\tid\ttransport\taddress\tkey\tstate\ttime\tpartner\n");
	free(line);
	/* In a cluster, and only there, sessions have a node column. */
	table_set_nodes(1);
	line = table_cols_line(TABLE_SESSIONS);
	assert_string_equal(line, "cols\tid\ttransport\taddress\tkey\t"
	    "state\ttime\tpartner\tnode\n");
	free(line);
	table_set_nodes(0);
	line = table_cols_line(TABLE_STATS);
	assert_string_equal(line, "cols\tname\tvalue\n");
	free(line);
	line = table_cols_line(TABLE_REPORTS);
	assert_string_equal(line, "cols\tid\ttime\tstatus\treporter\t"
	    "reported\treason\tevidence\n");
	free(line);
}

/* A row is filled by column number and escaped; NULL is empty. */
static void
test_append(void **state)
{
	const char	*f[BCOL_N];
	char		*rows = NULL;
	size_t		 len = 0;

	(void)state;
	memset(f, 0, sizeof f);
	f[BCOL_ID] = "7";
	f[BCOL_TARGET] = "192.0.2.1";
	f[BCOL_REASON] = "tab\there";
	table_append(&rows, &len, TABLE_BANS, f);
	assert_string_equal(rows, "row\t7\t192.0.2.1\t\t\t\t\ttab\\there\n");
	assert_int_equal(len, strlen(rows));
	free(rows);
}

/* The counts as name, value rows in strangerctl's order. */
static void
test_stats_rows(void **state)
{
	uint64_t	 n[STAT_N];
	char		*rows;

	(void)state;
	memset(n, 0, sizeof n);
	n[STAT_SESSIONS] = 3;
	n[STAT_REPORTS] = 12;
	rows = table_stats_rows(n, NULL);
	assert_true(strncmp(rows, "row\tsessions\t3\nrow\twelcome\t0\n",
	    29) == 0);
	assert_non_null(strstr(rows, "row\tuptime\t0\nrow\tbans\t0\n"));
	assert_non_null(strstr(rows, "row\treports\t12\n"));
	free(rows);
	/* A cluster's figures by node come after the totals. */
	rows = table_stats_rows(n, "row\tb:sessions\t2\n");
	assert_non_null(strstr(rows, "row\treports\t12\nrow\tb:sessions\t2\n"));
	free(rows);
}

/* One node's visitors by state, named by the node. */
static void
test_node_stats(void **state)
{
	uint64_t	 n[STAT_N];
	char		*rows = NULL;
	size_t		 len = 0;

	(void)state;
	memset(n, 0, sizeof n);
	n[STAT_SESSIONS] = 2;
	n[STAT_WAITING] = 1;
	n[STAT_IN_POOL] = 9;
	table_node_stats(&rows, &len, "b", n);
	assert_string_equal(rows, "row\tb:sessions\t2\nrow\tb:welcome\t0\n"
	    "row\tb:waiting\t1\nrow\tb:chatting\t0\nrow\tb:alone\t0\n");
	assert_int_equal(len, strlen(rows));
	free(rows);
}

/* Rows merged in any order come out by session id, numerically. */
static void
test_sort_by_id(void **state)
{
	char	rows[] = "row\t1.10.1\ta\nrow\t0.2.1\tb\nrow\t1.9.4\tc\n"
		    "row\t0.2.0\td\n";
	char	one[] = "row\t0.1.1\tx";
	char	empty[] = "";

	(void)state;
	table_sort_by_id(rows);
	assert_string_equal(rows, "row\t0.2.0\td\nrow\t0.2.1\tb\n"
	    "row\t1.9.4\tc\nrow\t1.10.1\ta\n");
	table_sort_by_id(one);
	assert_string_equal(one, "row\t0.1.1\tx");
	table_sort_by_id(empty);
	table_sort_by_id(NULL);
}

/* A cluster's ids: by node name first, then numerically. */
static void
test_sort_by_node_and_id(void **state)
{
	char	rows[] = "row\tb:0.10.1\ta\nrow\ta:1.2.1\tb\n"
		    "row\tb:0.9.1\tc\nrow\tab:0.1.1\td\nrow\ta:0.3.1\te\n";

	(void)state;
	table_sort_by_id(rows);
	assert_string_equal(rows, "row\ta:0.3.1\te\nrow\ta:1.2.1\tb\n"
	    "row\tab:0.1.1\td\nrow\tb:0.9.1\tc\nrow\tb:0.10.1\ta\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cols_lines),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_stats_rows),
		cmocka_unit_test(test_sort_by_id),
		cmocka_unit_test(test_node_stats),
		cmocka_unit_test(test_sort_by_node_and_id),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
