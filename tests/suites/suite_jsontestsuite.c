/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_jsontestsuite.c - runs nst/JSONTestSuite's parsing cases from
 * $TG_TESTDATA/json/JSONTestSuite: y_* must parse, n_* must be rejected,
 * i_* may go either way but must not crash. Skipped loudly when absent.
 */
#include "tg_test.h"

#include <dirent.h>
#include <sys/stat.h>

#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"

/* Each case gets a fresh arena with this cap: far more than any case
 * needs, so a TOOBIG would be a real finding. */
#define CASE_ARENA_CAP (64 * TG_MIB)

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses under a fresh arena; on success also checks that the emitted
 * text parses back to an equal value. Returns the parse result. */
static tg_err run_one(const char *text, size_t len, enum tg_json_dup dup, int *roundtrip_ok,
		      struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_json_parse_opts o = {dup, 0, false};
	const struct tg_json *v = NULL, *back = NULL;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	tg_err r;

	tg_arena_init(&a, CASE_ARENA_CAP);
	tg_diag_init(d);
	r = tg_json_parse(&a, text, len, &o, &v, NULL, d);
	*roundtrip_ok = 1;
	if (r == TG_OK) {
		if (tg_json_emit(&b, v, 0) != TG_OK ||
		    tg_json_parse(&a, b.data, b.len, &o, &back, NULL, NULL) != TG_OK ||
		    !tg_json_eq(v, back))
			*roundtrip_ok = 0;
	}
	tg_buf_release(&b);
	tg_arena_release(&a);
	return r;
}

int main(void)
{
	const char *root = tg_test_testdata("json/JSONTestSuite");
	char dir[4200], path[4600];
	struct stat st;
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, cap = 0, i;
	int ny = 0, nn = 0, ni = 0, y_ok = 0, n_ok = 0, i_acc = 0, i_rej = 0;
	int y_dup_strict = 0, failures = 0;

	if (!root)
		return TG_TEST_SKIP;
	/* Upstream keeps the cases in test_parsing/; our copy may be flat. */
	snprintf(dir, sizeof(dir), "%s/test_parsing", root);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		snprintf(dir, sizeof(dir), "%s", root);
	dp = opendir(dir);
	if (!dp) {
		fprintf(stderr, "SKIPPED: cannot open %s; JSONTestSuite not run\n", dir);
		return TG_TEST_SKIP;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 7 || de->d_name[1] != '_' || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    !strchr("yni", de->d_name[0]))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 512;
			names = tg_xreallocarray(names, cap, sizeof(*names));
		}
		names[count++] = tg_xstrdup(de->d_name);
	}
	closedir(dp);
	if (count == 0) {
		fprintf(stderr, "SKIPPED: no y_/n_/i_ cases in %s; JSONTestSuite not run\n", dir);
		free(names);
		return TG_TEST_SKIP;
	}
	qsort(names, count, sizeof(*names), name_cmp);

	for (i = 0; i < count; i++) {
		const char *name = names[i];
		char *text;
		size_t len;
		struct tg_diag d;
		tg_err strict, last;
		int rt1, rt2;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		text = tg_test_read_file(path, &len);
		/* strict (the default) and ECMAScript duplicate handling */
		strict = run_one(text, len, TG_JSON_DUP_REJECT, &rt1, &d);
		last = run_one(text, len, TG_JSON_DUP_LAST, &rt2, &d);
		free(text);

		if (!rt1 || !rt2) {
			fprintf(stderr, "FAIL %s: emitted text does not parse back equal\n", name);
			failures++;
		}
		switch (name[0]) {
		case 'y':
			ny++;
			/* Must parse. Strict mode may refuse duplicate keys
			 * (tollgate's default, RFC 7493 2.3), with TG_E_DUPKEY and
			 * nothing else; the grammar itself is checked with DUP_LAST. */
			if (last == TG_OK && (strict == TG_OK || strict == TG_E_DUPKEY)) {
				y_ok++;
				if (strict == TG_E_DUPKEY) {
					y_dup_strict++;
					fprintf(stderr, "note %s: parsed with DUP_LAST; strict mode "
							"refuses the duplicate key (by design)\n",
						name);
				}
			} else {
				fprintf(stderr, "FAIL %s: must parse, got %s / %s: %u:%u %s\n", name,
					tg_errname(strict), tg_errname(last), d.line, d.col, d.msg);
				failures++;
			}
			break;
		case 'n':
			nn++;
			if (strict != TG_OK && last != TG_OK) {
				n_ok++;
			} else {
				fprintf(stderr, "FAIL %s: must be rejected, was accepted\n", name);
				failures++;
			}
			break;
		default:
			ni++;
			if (last == TG_OK)
				i_acc++;
			else
				i_rej++;
			fprintf(stderr, "info %s: %s\n", name,
				last == TG_OK ? "accepted" : tg_errname(last));
			break;
		}
		free(names[i]);
	}
	free(names);

	fprintf(stderr,
		"JSONTestSuite (%s): y %d/%d parsed (%d need DUP_LAST), n %d/%d rejected, "
		"i %d (%d accepted, %d rejected), %d failures\n",
		dir, y_ok, ny, y_dup_strict, n_ok, nn, ni, i_acc, i_rej, failures);
	tg_test_checks += (int)count;
	tg_test_failures += failures;
	return tg_test_done();
}
