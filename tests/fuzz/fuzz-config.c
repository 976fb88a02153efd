/*
 * Fuzzes the strangerd.conf(5) parser with whole files held in memory.
 *
 * Properties: a failure names its place ("NAME:LINE: why"); a file that
 * parses (and passes config_finish) dumps to text that parses again to
 * the same dump, and config_dup() copies it exactly.  (Passwords in
 * store and cluster are masked in a dump: the masked text parses, with
 * "********" as the password, and masks to itself, so the dumps agree.)
 */

#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_locale();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c, *c2, *c3;
	char		*cause = NULL, *dump, *dump2, *dump3;

	c = config_new();
	if (config_parse(c, "fuzz.conf", (const char *)data, size,
	    &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		FUZZ_ASSERT(strncmp(cause, "fuzz.conf:", 10) == 0);
		free(cause);
		config_free(c);
		return (0);
	}
	if (config_finish(c, &cause) != 0) {
		FUZZ_ASSERT(cause != NULL);
		free(cause);
		config_free(c);
		return (0);
	}

	dump = config_dump(c);
	c2 = config_new();
	if (config_parse(c2, "dump", dump, strlen(dump), &cause) != 0) {
		fprintf(stderr, "dump does not parse: %s\n---\n%s---\n",
		    cause, dump);
		abort();
	}
	FUZZ_ASSERT(config_finish(c2, &cause) == 0);
	dump2 = config_dump(c2);
	FUZZ_ASSERT(strcmp(dump, dump2) == 0);

	c3 = config_dup(c);
	dump3 = config_dump(c3);
	FUZZ_ASSERT(strcmp(dump, dump3) == 0);

	free(dump3);
	free(dump2);
	free(dump);
	config_free(c3);
	config_free(c2);
	config_free(c);
	return (0);
}
