/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_rego_parse.c - parses every module, query and input_term of OPA's
 * conformance suite ($TG_TESTDATA/rego/opa-conformance, v0/ and v1/) and
 * checks that formatted modules parse back to the same AST. Skipped loudly
 * when the data is absent; known failures are a ratchet that may only shrink.
 */

/*
 * A case passes when all its modules, its query and its input_term parse
 * (the suite has no rego_parse_error cases; a case that expects one must
 * fail to parse, with want_error in the message), and when
 * tg_rego_format_module output of each module parses to an equal AST.
 * Cases that OPA v1.1.0 itself fails (OPA-v1.1.0-FAILS.tsv) are reported
 * but not judged. RATCHET lists "dir/file.json<TAB>note" of cases that
 * fail today; an unlisted failure fails the suite, and so does a listed
 * case that passes (remove it from the list).
 */
#include "tg_test.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_ast.h"
#include "tg_rego_ast_test.h"

static const char *const RATCHET[] = {
        /* OPA v1 makes `in` a keyword; the v1 copy of this v0 case cannot
         * parse (OPA-v1.1.0-FAILS.tsv lists it too) */
        NULL,
};

#define CASE_ARENA_CAP (256 * TG_MIB)

struct stats {
	int cases, passed, failed, opa_fails, expect_err, expect_err_ok;
	int modules, modules_ok, roundtrip_ok, roundtrip_bad, unformattable;
	int ratchet_hits, unexpected;
	bool verbose;
};

static void why_addf(struct tg_buf *b, const char *fmt, ...) TG_PRINTF(2, 3);
static void why_addf(struct tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (tg_buf_vaddf(b, fmt, ap) != TG_OK)
		fprintf(stderr, "(message too long)\n");
	va_end(ap);
}

static char **fails_tsv;
static size_t nfails_tsv;

static bool in_list(char **list, size_t n, const char *key)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

static bool in_ratchet(const char *key)
{
	size_t i;
	for (i = 0; RATCHET[i]; i++)
		if (strcmp(RATCHET[i], key) == 0)
			return true;
	return false;
}

static int ratchet_seen[64];

static void ratchet_mark(const char *key)
{
	size_t i;
	for (i = 0; RATCHET[i] && i < 64; i++)
		if (strcmp(RATCHET[i], key) == 0)
			ratchet_seen[i] = 1;
}

static void load_fails(const char *root)
{
	char path[4300];
	char *text, *line, *nl;
	size_t len;
	FILE *fp;
	snprintf(path, sizeof(path), "%s/OPA-v1.1.0-FAILS.tsv", root);
	fp = fopen(path, "r");
	if (!fp)
		return;
	fclose(fp);
	text = tg_test_read_file(path, &len);
	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		if (nl > line) {
			fails_tsv = tg_xreallocarray(fails_tsv, nfails_tsv + 1, sizeof(*fails_tsv));
			fails_tsv[nfails_tsv++] = tg_xstrndup(line, (size_t)(nl - line));
		}
		if (!*nl)
			break;
	}
	free(text);
}

/* Formats m, parses the text and compares. */
static bool roundtrip(struct tg_arena *a, const struct tg_rego_module *m, const char *file,
                      struct tg_buf *why, bool *unformattable)
{
	struct tg_buf out = TG_BUF_INIT(64 * TG_MIB);
	struct tg_rego_module *back = NULL;
	struct tg_rego_error err;
	bool ok = false;
	tg_err r = tg_rego_format_module(m, &out);
	if (r == TG_E_UNSUPPORTED) {
		/* a v0 module naming a variable `in`: no v1 text says that */
		*unformattable = true;
		ok = true;
		goto done;
	}
	if (r != TG_OK) {
		why_addf(why, "format failed: %s", tg_strerror(r));
		goto done;
	}
	if (tg_rego_parse_module(a, file, (const char *)out.data, out.len, TG_REGO_V1, &back,
	                         &err) != TG_OK) {
		why_addf(why, "formatted text does not parse: %u:%u: %s\n--- text:\n%s",
		         err.loc.row, err.loc.col, err.msg, tg_buf_str(&out));
		goto done;
	}
	ok = req_module(m, back);
	if (!ok) {
		struct tg_buf d1 = TG_BUF_INIT(64 * TG_MIB), d2 = TG_BUF_INIT(64 * TG_MIB);
		rdump_module(&d1, m);
		rdump_module(&d2, back);
		why_addf(why, "AST differs\n--- text:\n%s--- before:\n%s--- after:\n%s",
		         tg_buf_str(&out), tg_buf_str(&d1), tg_buf_str(&d2));
		tg_buf_release(&d1);
		tg_buf_release(&d2);
	}
done:
	tg_buf_release(&out);
	return ok;
}

static void run_case(struct stats *st, const char *rel, const struct tg_json *c, int version)
{
	const struct tg_json *note = tg_json_get(c, "note");
	const struct tg_json *mods = tg_json_get(c, "modules");
	const struct tg_json *query = tg_json_get(c, "query");
	const struct tg_json *term = tg_json_get(c, "input_term");
	const struct tg_json *code = tg_json_get(c, "want_error_code");
	const struct tg_json *want = tg_json_get(c, "want_error");
	char key[8800];
	bool expect_parse_err = code && tg_json_str_eq(code, "rego_parse_error");
	bool opa_fails, ok = true, got_err = false;
	struct tg_buf why = TG_BUF_INIT(TG_MIB);
	struct tg_arena a;
	struct tg_rego_error err;
	size_t i;

	snprintf(key, sizeof(key), "%s\t%s", rel, note ? note->u.s.p : "?");
	opa_fails = in_list(fails_tsv, nfails_tsv, key);
	st->cases++;
	tg_arena_init(&a, CASE_ARENA_CAP);
	for (i = 0; mods && mods->type == TG_JSON_ARRAY && i < mods->u.a.len; i++) {
		const struct tg_json *src = mods->u.a.items[i];
		struct tg_rego_module *m = NULL;
		char file[64];
		bool unf = false;
		if (src->type != TG_JSON_STRING)
			continue;
		snprintf(file, sizeof(file), "mod%zu.rego", i);
		st->modules++;
		if (tg_rego_parse_module(&a, file, src->u.s.p, src->u.s.len, version, &m, &err) !=
		    TG_OK) {
			got_err = true;
			if (!expect_parse_err)
				why_addf(&why, "module %zu: %s:%u:%u: %s: %s\n", i, file,
				         err.loc.row, err.loc.col, err.code, err.msg);
			else if (want && !strstr(err.msg, want->u.s.p))
				why_addf(&why, "module %zu: message \"%s\" lacks \"%s\"\n", i,
				         err.msg, want->u.s.p);
			continue;
		}
		st->modules_ok++;
		if (roundtrip(&a, m, file, &why, &unf)) {
			if (unf)
				st->unformattable++;
			else
				st->roundtrip_ok++;
		} else {
			st->roundtrip_bad++;
			ok = false;
		}
	}
	if (query && query->type == TG_JSON_STRING) {
		struct tg_rego_body *b = NULL;
		if (tg_rego_parse_query(&a, query->u.s.p, query->u.s.len, version, &b, &err) !=
		    TG_OK) {
			got_err = true;
			if (!expect_parse_err)
				why_addf(&why, "query: %u:%u: %s\n", err.loc.row, err.loc.col,
				         err.msg);
		}
	}
	if (term && term->type == TG_JSON_STRING) {
		struct tg_rego_term *t = NULL;
		if (tg_rego_parse_term(&a, term->u.s.p, term->u.s.len, version, &t, &err) !=
		    TG_OK) {
			ok = false;
			why_addf(&why, "input_term: %u:%u: %s\n", err.loc.row, err.loc.col,
			         err.msg);
		}
	}
	if (expect_parse_err) {
		st->expect_err++;
		if (got_err && why.len == 0)
			st->expect_err_ok++;
		else {
			ok = false;
			if (!got_err)
				why_addf(&why, "expected rego_parse_error, all parsed\n");
		}
	} else if (got_err) {
		ok = false;
	}
	if (opa_fails) {
		st->opa_fails++;
		if (st->verbose || !ok)
			fprintf(stderr, "info (OPA v1.1.0 fails it too) %s [%s]: %s", key,
			        ok ? "passes" : "fails", ok ? "\n" : tg_buf_str(&why));
	} else if (ok) {
		st->passed++;
		if (in_ratchet(key)) {
			ratchet_mark(key);
			fprintf(stderr, "FAIL ratchet: %s passes now; remove it from RATCHET\n",
			        key);
			st->unexpected++;
		}
	} else {
		st->failed++;
		if (in_ratchet(key)) {
			ratchet_mark(key);
			st->ratchet_hits++;
			if (st->verbose)
				fprintf(stderr, "known %s\n%s", key, tg_buf_str(&why));
		} else {
			st->unexpected++;
			fprintf(stderr, "FAIL %s\n%s", key, tg_buf_str(&why));
		}
	}
	tg_buf_release(&why);
	tg_arena_release(&a);
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Runs the cases of every .json file under dir (two levels). */
static void run_dir(struct stats *st, const char *root, const char *sub, int version, int depth)
{
	char dir[4300];
	DIR *dp;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = tg_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = tg_xstrdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		char rel[4300], path[8700];
		struct stat sb;
		snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]);
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (depth < 4)
				run_dir(st, root, rel, version, depth + 1);
		} else if (strlen(names[i]) > 5 &&
		           strcmp(names[i] + strlen(names[i]) - 5, ".json") == 0) {
			size_t len;
			char *text = tg_test_read_file(path, &len);
			struct tg_arena a;
			const struct tg_json *doc = NULL, *cases;
			size_t k;
			tg_arena_init(&a, CASE_ARENA_CAP);
			if (tg_json_parse(&a, text, len, NULL, &doc, NULL, NULL) != TG_OK) {
				fprintf(stderr, "FAIL %s: not JSON\n", rel);
				st->unexpected++;
			} else if ((cases = tg_json_get(doc, "cases")) &&
			           cases->type == TG_JSON_ARRAY) {
				for (k = 0; k < cases->u.a.len; k++)
					run_case(st, rel, cases->u.a.items[k], version);
			}
			tg_arena_release(&a);
			free(text);
		}
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const char *root = tg_test_testdata("rego/opa-conformance/v1");
	char base[4200];
	struct stats s0 = {0}, s1 = {0};
	size_t i;
	if (!root)
		return TG_TEST_SKIP;
	snprintf(base, sizeof(base), "%.*s", (int)(strlen(root) - 3), root);
	s0.verbose = s1.verbose = getenv("TG_VERBOSE") != NULL;
	load_fails(base);
	run_dir(&s0, base, "v0", TG_REGO_V0, 0);
	run_dir(&s1, base, "v1", TG_REGO_V1, 0);
	for (i = 0; RATCHET[i]; i++)
		if (!ratchet_seen[i]) {
			fprintf(stderr, "FAIL ratchet entry not found: %s\n", RATCHET[i]);
			s1.unexpected++;
		}
	fprintf(stderr,
	        "OPA conformance parse v0: %d cases: %d pass, %d fail (%d known), %d OPA-fails; "
	        "modules %d/%d parsed, fmt round trip %d ok / %d bad / %d not expressible in v1; "
	        "parse errors expected %d, caught %d\n",
	        s0.cases, s0.passed, s0.failed, s0.ratchet_hits, s0.opa_fails, s0.modules_ok,
	        s0.modules, s0.roundtrip_ok, s0.roundtrip_bad, s0.unformattable, s0.expect_err,
	        s0.expect_err_ok);
	fprintf(stderr,
	        "OPA conformance parse v1: %d cases: %d pass, %d fail (%d known), %d OPA-fails; "
	        "modules %d/%d parsed, fmt round trip %d ok / %d bad / %d not expressible in v1; "
	        "parse errors expected %d, caught %d\n",
	        s1.cases, s1.passed, s1.failed, s1.ratchet_hits, s1.opa_fails, s1.modules_ok,
	        s1.modules, s1.roundtrip_ok, s1.roundtrip_bad, s1.unformattable, s1.expect_err,
	        s1.expect_err_ok);
	tg_test_checks += s0.cases + s1.cases;
	tg_test_failures += s0.unexpected + s1.unexpected;
	for (i = 0; i < nfails_tsv; i++)
		free(fails_tsv[i]);
	free(fails_tsv);
	return tg_test_done();
}
