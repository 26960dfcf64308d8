/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tg_test.h - the tiny assert header of tollgate's C tests. A test file
 * defines TEST(name) functions and a main() that RUNs them; any failed
 * CHECK makes the program exit 1. Exit 77 means "skipped" to CTest.
 */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

static int tg_test_failures;
static int tg_test_checks;

#define TG_TEST_SKIP 77

#define CHECK(cond)                                                                 \
	do {                                                                        \
		tg_test_checks++;                                                   \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,       \
				__LINE__, #cond);                                   \
			tg_test_failures++;                                         \
		}                                                                   \
	} while (0)

/* Checks that an expression yields the tg_err code want. */
#define CHECK_ERR(expr, want)                                                       \
	do {                                                                        \
		tg_err got_ = (expr);                                               \
		tg_test_checks++;                                                   \
		if (got_ != (want)) {                                               \
			fprintf(stderr, "%s:%d: %s: got %s, want %s\n", __FILE__,    \
				__LINE__, #expr, tg_errname(got_), tg_errname(want)); \
			tg_test_failures++;                                         \
		}                                                                   \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, TG_OK)

/* Compares two NUL-terminated strings. */
#define CHECK_STR(got, want)                                                        \
	do {                                                                        \
		const char *g_ = (got), *w_ = (want);                               \
		tg_test_checks++;                                                   \
		if (!g_ || strcmp(g_, w_) != 0) {                                   \
			fprintf(stderr, "%s:%d: %s:\n  got  \"%s\"\n  want \"%s\"\n",  \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);  \
			tg_test_failures++;                                         \
		}                                                                   \
	} while (0)

/* Compares n bytes. */
#define CHECK_MEM(got, want, n)                                                     \
	do {                                                                        \
		tg_test_checks++;                                                   \
		if (memcmp((got), (want), (n)) != 0) {                              \
			fprintf(stderr, "%s:%d: %s differs from %s\n", __FILE__,      \
				__LINE__, #got, #want);                             \
			tg_test_failures++;                                         \
		}                                                                   \
	} while (0)

#define TEST(name) static void name(void)

#define RUN(name)                                                                   \
	do {                                                                        \
		int before_ = tg_test_failures;                                     \
		name();                                                             \
		fprintf(stderr, "%s %s\n", tg_test_failures == before_ ? "ok  " : "FAIL", \
			#name);                                                     \
	} while (0)

/* Ends main(): prints a summary, returns the exit status. */
static inline int tg_test_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", tg_test_checks, tg_test_failures);
	return tg_test_failures ? 1 : 0;
}

/*
 * Returns the path of an outside test suite under $TG_TESTDATA (set by
 * CTest to ../shared/testdata), or NULL after printing a loud SKIPPED line.
 * The returned string is static.
 */
static inline const char *tg_test_testdata(const char *sub)
{
	static char path[4096];
	const char *root = getenv("TG_TESTDATA");
	FILE *f;
	int n;
	if (!root || !*root) {
		fprintf(stderr, "SKIPPED: TG_TESTDATA is not set; outside suite '%s' not run\n", sub);
		return NULL;
	}
	n = snprintf(path, sizeof(path), "%s/%s", root, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "SKIPPED: outside suite '%s' not found; not run\n", path);
		return NULL;
	}
	fclose(f);
	return path;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer (abort on error). */
static inline char *tg_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "cannot size %s\n", path);
		exit(2);
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

#endif
