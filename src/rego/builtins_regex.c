/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_regex.c - regex.* and re_match over RE2 (re2_shim.h) with Go's
 * regexp semantics, regex.globs_match (glob-intersection), glob.match
 * (gobwas/glob) and glob.quote_meta, as OPA v1 implements them.
 */

/*
 * Globs are compiled to a small NFA over runes and simulated with a state
 * set, so matching is linear in the input whatever the pattern (gobwas
 * backtracks; the language matched is the same). The intersection test of
 * regex.globs_match follows glob-intersection v0.2.0 step for step, with a
 * step budget (TG_LIMIT_GLOBS_STEPS) because its search is exponential in
 * the worst case.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/re2_shim.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

/* Compiles with Go's messages; the message goes to the diagnostic. */
static tg_err re_get(struct tg_rego_bctx *c, const char *p, size_t n, struct tg_rego_re **out)
{
	char err[TG_REGO_RE_ERR_MAX];
	tg_err r = tg_rego_re_compile(p, n, out, err, sizeof(err));
	if (r != TG_OK) {
		tg_diag_set(c->d, "%s", err);
		return r == TG_E_TYPE ? TG_E_PARSE : r;
	}
	return TG_OK;
}

tg_err tg_rego_bi_regex_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	const char *p, *s;
	size_t pn, sn;
	struct tg_rego_re *re;
	long ofs[2];
	int m;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &p, &pn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &s, &sn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, sn / 64 + 1)) != TG_OK)
		return r;
	if ((r = re_get(c, p, pn, &re)) != TG_OK)
		return r;
	m = tg_rego_re_search(re, s, sn, 0, ofs, 2);
	tg_rego_re_release(re);
	if (m < 0)
		return tg_rego_bi_fail(c, "regular expression match failed");
	*out = tg_json_bool(m == 1);
	return TG_OK;
}

tg_err tg_rego_bi_regex_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct tg_rego_re *re;
	char err[TG_REGO_RE_ERR_MAX];
	UNUSED_NARGS;
	(void)c;
	if (args[0]->type != TG_JSON_STRING) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	if (tg_rego_re_compile(args[0]->u.s.p, args[0]->u.s.len, &re, err, sizeof(err)) != TG_OK) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	tg_rego_re_release(re);
	*out = &tg_json_true_v;
	return TG_OK;
}

/* Collects the matches of a find-all walk. */
struct collect {
	struct tg_rego_bctx *c;
	const char *text;
	struct tg_rego_bi_list list;
	bool groups; /* an array of all groups per match, else the match */
	/* regex.split */
	size_t beg, end;
	bool split;
};

static tg_err collect_cb(void *ctx, const long *ofs, int nofs)
{
	struct collect *k = ctx;
	const struct tg_json *v;
	tg_err r;
	if ((r = tg_rego_bi_charge(k->c, 1)) != TG_OK)
		return r;
	if (k->split) {
		k->end = (size_t)ofs[0];
		if (ofs[1] != 0) {
			if ((r = tg_rego_bi_new_str(k->c, k->text + k->beg, k->end - k->beg, &v)) !=
				    TG_OK ||
			    (r = tg_rego_bi_list_add(&k->list, v)) != TG_OK)
				return r;
		}
		k->beg = (size_t)ofs[1];
		return TG_OK;
	}
	if (!k->groups) {
		if ((r = tg_rego_bi_new_str(k->c, k->text + ofs[0], (size_t)(ofs[1] - ofs[0]), &v)) !=
		    TG_OK)
			return r;
		return tg_rego_bi_list_add(&k->list, v);
	}
	{
		struct tg_rego_bi_list g;
		tg_rego_bi_list_init(&g, k->c->a);
		for (int i = 0; i + 1 < nofs; i += 2) {
			if (ofs[i] < 0)
				r = tg_rego_bi_new_str(k->c, "", 0, &v);
			else
				r = tg_rego_bi_new_str(k->c, k->text + ofs[i],
						       (size_t)(ofs[i + 1] - ofs[i]), &v);
			if (r != TG_OK || (r = tg_rego_bi_list_add(&g, v)) != TG_OK)
				return r;
		}
		if ((r = tg_rego_bi_list_array(&g, &v)) != TG_OK)
			return r;
		return tg_rego_bi_list_add(&k->list, v);
	}
}

static tg_err find_common(struct tg_rego_bctx *c, const struct tg_json *const *args,
			  const struct tg_json **out, bool groups)
{
	const char *p, *s;
	size_t pn, sn;
	int64_t n;
	struct tg_rego_re *re;
	struct collect k;
	tg_err r;
	if ((r = tg_rego_bi_str(c, args[0], 1, &p, &pn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &s, &sn)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[2], 3, &n)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, sn / 64 + 1)) != TG_OK)
		return r;
	if ((r = re_get(c, p, pn, &re)) != TG_OK)
		return r;
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.text = s;
	k.groups = groups;
	tg_rego_bi_list_init(&k.list, c->a);
	if (n != 0)
		r = tg_rego_re_find_all(re, s, sn, n < 0 ? -1 : (long)(n > 0x7fffffffL ? 0x7fffffffL : n),
					collect_cb, &k);
	tg_rego_re_release(re);
	if (r != TG_OK)
		return r;
	return tg_rego_bi_list_array(&k.list, out);
}

tg_err tg_rego_bi_regex_find_n(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out)
{
	UNUSED_NARGS;
	return find_common(c, args, out, false);
}

tg_err tg_rego_bi_regex_find_all_submatch(struct tg_rego_bctx *c,
					  const struct tg_json *const *args, size_t nargs,
					  const struct tg_json **out)
{
	UNUSED_NARGS;
	return find_common(c, args, out, true);
}

tg_err tg_rego_bi_regex_split(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	const char *p, *s;
	size_t pn, sn;
	struct tg_rego_re *re;
	struct collect k;
	const struct tg_json *v;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &p, &pn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &s, &sn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, sn / 64 + 1)) != TG_OK)
		return r;
	if ((r = re_get(c, p, pn, &re)) != TG_OK)
		return r;
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.text = s;
	k.split = true;
	tg_rego_bi_list_init(&k.list, c->a);
	if (pn > 0 && sn == 0) {
		/* Go: a non-empty expression splits "" into [""] */
		tg_rego_re_release(re);
		if ((r = tg_rego_bi_new_str(c, "", 0, &v)) != TG_OK ||
		    (r = tg_rego_bi_list_add(&k.list, v)) != TG_OK)
			return r;
		return tg_rego_bi_list_array(&k.list, out);
	}
	r = tg_rego_re_find_all(re, s, sn, -1, collect_cb, &k);
	tg_rego_re_release(re);
	if (r != TG_OK)
		return r;
	if (k.end != sn) {
		if ((r = tg_rego_bi_new_str(c, s + k.beg, sn - k.beg, &v)) != TG_OK ||
		    (r = tg_rego_bi_list_add(&k.list, v)) != TG_OK)
			return r;
	}
	return tg_rego_bi_list_array(&k.list, out);
}

tg_err tg_rego_bi_regex_replace(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	const char *s, *p, *v;
	size_t sn, pn, vn;
	struct tg_rego_re *re;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &sn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &p, &pn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[2], 3, &v, &vn)) != TG_OK)
		return r;
	if ((r = tg_rego_bi_charge(c, sn / 16 + 1)) != TG_OK)
		return r;
	if ((r = re_get(c, p, pn, &re)) != TG_OK)
		return r;
	r = tg_rego_re_replace_all(re, s, sn, v, vn, &b);
	tg_rego_re_release(re);
	if (r == TG_OK) {
		if (b.len == sn && (sn == 0 || memcmp(b.data, s, sn) == 0))
			*out = args[0];
		else
			r = tg_rego_bi_buf_str(c, &b, out);
	} else if (r == TG_E_TOOBIG) {
		tg_diag_set(c->d, "result too large");
	}
	tg_buf_release(&b);
	return r;
}

/* Go's regexp.QuoteMeta */
static tg_err quote_meta(struct tg_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i] != '\0' &&
		    tg_buf_addc(b, '\\') != TG_OK)
			return TG_E_TOOBIG;
		if (tg_buf_addc(b, (uint8_t)s[i]) != TG_OK)
			return TG_E_TOOBIG;
	}
	return TG_OK;
}

tg_err tg_rego_bi_regex_template_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
				       size_t nargs, const struct tg_json **out)
{
	const char *t, *s, *ds, *de;
	size_t tn, sn, dsn, den, end = 0, idx = 0;
	int level = 0;
	struct tg_buf pat = TG_BUF_INIT(2 * TG_LIMIT_REGEX_PATTERN);
	struct tg_buf sub = TG_BUF_INIT(2 * TG_LIMIT_REGEX_PATTERN);
	struct tg_rego_re *re;
	long ofs[2];
	int m;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &t, &tn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &s, &sn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[2], 3, &ds, &dsn)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[3], 4, &de, &den)) != TG_OK)
		return r;
	if (dsn != 1)
		return tg_rego_bi_fail(
			c, "start delimiter has to be exactly one character long but is %zu long", dsn);
	if (den != 1) /* OPA prints the start delimiter's length here */
		return tg_rego_bi_fail(
			c, "end delimiter has to be exactly one character long but is %zu long", dsn);
	r = tg_buf_addc(&pat, '^');
	for (size_t i = 0; i < tn && r == TG_OK; i++) {
		if (t[i] == ds[0]) {
			if (++level == 1)
				idx = i;
		} else if (t[i] == de[0]) {
			if (--level == 0) {
				/* raw text before, then the group */
				const char *patt = t + idx + 1;
				size_t pl = i - idx - 1;
				r = quote_meta(&pat, t + end, idx - end);
				if (r == TG_OK)
					r = tg_buf_addc(&pat, '(');
				if (r == TG_OK)
					r = tg_buf_add(&pat, patt, pl);
				if (r == TG_OK)
					r = tg_buf_addc(&pat, ')');
				/* each variable must compile on its own */
				tg_buf_reset(&sub);
				if (r == TG_OK && (tg_buf_addc(&sub, '^') != TG_OK ||
						   tg_buf_add(&sub, patt, pl) != TG_OK ||
						   tg_buf_addc(&sub, '$') != TG_OK))
					r = TG_E_TOOBIG;
				if (r == TG_OK) {
					struct tg_rego_re *vre;
					r = re_get(c, (const char *)sub.data, sub.len, &vre);
					if (r == TG_OK)
						tg_rego_re_release(vre);
					else
						goto out;
				}
				end = i + 1;
			} else if (level < 0) {
				break;
			}
		}
	}
	if (r == TG_OK && level != 0) {
		struct tg_buf q = TG_BUF_INIT(4 * TG_LIMIT_REGEX_PATTERN);
		r = tg_rego_go_quote(&q, t, tn, false);
		tg_rego_bi_fail(c, "unbalanced braces in %.*s", (int)(q.len > 200 ? 200 : q.len),
				(const char *)q.data);
		tg_buf_release(&q);
		r = TG_E_PARSE;
		goto out;
	}
	if (r == TG_OK)
		r = quote_meta(&pat, t + end, tn - end);
	if (r == TG_OK)
		r = tg_buf_addc(&pat, '$');
	if (r != TG_OK) {
		tg_diag_set(c->d, "template too large");
		goto out;
	}
	if ((r = re_get(c, (const char *)pat.data, pat.len, &re)) != TG_OK)
		goto out;
	m = tg_rego_re_search(re, s, sn, 0, ofs, 2);
	tg_rego_re_release(re);
	if (m < 0) {
		r = tg_rego_bi_fail(c, "regular expression match failed");
		goto out;
	}
	*out = tg_json_bool(m == 1);
out:
	tg_buf_release(&pat);
	tg_buf_release(&sub);
	return r;
}

/* ------------------------------------------------------------------ */
/* regex.globs_match: glob-intersection                                */
/* ------------------------------------------------------------------ */

enum gi_type { GI_CHAR = 0, GI_DOT = 1, GI_SET = 2 };
enum gi_flag { GI_NONE = 0, GI_PLUS = 1, GI_STAR = 2 };

struct gi_range {
	uint32_t lo, hi;
};

struct gi_tok {
	uint8_t type, flag;
	uint32_t r;               /* GI_CHAR */
	struct gi_range *ranges;  /* GI_SET, sorted and merged */
	size_t nranges;
};

struct gi_glob {
	struct gi_tok *t;
	size_t n;
};

struct gi_ctx {
	struct tg_rego_bctx *c;
	const uint32_t *in; /* the pattern as runes */
	size_t len;
	const char *src;
	size_t srclen;
	uint64_t steps;
	bool exhausted;
};

static tg_err gi_error(struct gi_ctx *g, size_t pos, const char *fmt, ...) TG_PRINTF(3, 4);

static tg_err gi_error(struct gi_ctx *g, size_t pos, const char *fmt, ...)
{
	char m[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return tg_rego_bi_fail(g->c, "input:%.*s, pos:%zu, %s: the input provided is invalid",
			       (int)(g->srclen > 120 ? 120 : g->srclen), g->src, pos, m);
}

/* nextRune: returns 0 ok, 1 end of input, -1 error */
static int gi_next_rune(struct gi_ctx *g, size_t idx, size_t *nidx, uint32_t *r, bool *esc,
			tg_err *err)
{
	if (idx >= g->len) {
		*nidx = idx;
		return 1;
	}
	if (g->in[idx] == '\\') {
		if (idx < g->len - 1) {
			*nidx = idx + 2;
			*r = g->in[idx + 1];
			*esc = true;
			return 0;
		}
		*err = gi_error(g, idx, "input ends with a \\ (escape) character");
		return -1;
	}
	*nidx = idx + 1;
	*r = g->in[idx];
	*esc = false;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct gi_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo ? 1 : 0;
}

static tg_err gi_set(struct gi_ctx *g, size_t idx, size_t *nidx, struct gi_tok *t)
{
	uint32_t r = 0, prev = 0;
	bool esc = false, prev_exists = false, complete = false;
	size_t ni = idx, cap = 8, n = 0;
	struct gi_range *rs = tg_arena_alloc_array(g->c->a, cap, sizeof(*rs));
	tg_err err = TG_OK;
	int st;
	if (!rs)
		return TG_E_TOOBIG;
	st = gi_next_rune(g, idx, &ni, &r, &esc, &err);
	if (st < 0)
		return err;
	for (; st != 1; st = gi_next_rune(g, ni, &ni, &r, &esc, &err)) {
		uint32_t lo, hi;
		if (st < 0)
			return err;
		if (!esc && r == '-') {
			if (!prev_exists)
				return gi_error(g, ni,
						"range character '-' must be preceded by a Unicode character");
			if (ni >= g->len - 1)
				return gi_error(g, ni,
						"range character '-' must be followed by a Unicode character");
			st = gi_next_rune(g, ni, &ni, &r, &esc, &err);
			if (st < 0)
				return err;
			if (!esc && (r == ']' || r == '-'))
				return gi_error(g, ni,
						"range character '-' cannot be followed by a special symbol");
			if (r < prev) {
				char a[8] = {0}, b[8] = {0};
				struct tg_buf ba = TG_BUF_INIT(8), bb = TG_BUF_INIT(8);
				if (tg_rego_bi_put_rune(&ba, r) == TG_OK && ba.len < sizeof(a))
					memcpy(a, ba.data, ba.len);
				if (tg_rego_bi_put_rune(&bb, prev) == TG_OK && bb.len < sizeof(b))
					memcpy(b, bb.data, bb.len);
				tg_buf_release(&ba);
				tg_buf_release(&bb);
				return gi_error(g, ni,
						"range is out of order: '%s' comes before '%s' in Unicode", a, b);
			}
			lo = prev;
			hi = r;
			prev_exists = false;
		} else if (!esc && r == ']') {
			complete = true;
			break;
		} else {
			lo = hi = r;
			prev = r;
			prev_exists = true;
		}
		if (n == cap) {
			struct gi_range *nr = tg_arena_alloc_array(g->c->a, cap * 2, sizeof(*nr));
			if (!nr)
				return TG_E_TOOBIG;
			memcpy(nr, rs, n * sizeof(*rs));
			rs = nr;
			cap *= 2;
		}
		rs[n].lo = lo;
		rs[n].hi = hi;
		n++;
	}
	if (!complete)
		return gi_error(g, ni, "found [ without matching ]");
	/* sort and merge, so that equal sets compare equal */
	qsort(rs, n, sizeof(*rs), range_cmp);
	{
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (k && rs[i].lo <= rs[k - 1].hi + 1) {
				if (rs[i].hi > rs[k - 1].hi)
					rs[k - 1].hi = rs[i].hi;
			} else {
				rs[k++] = rs[i];
			}
		}
		n = k;
	}
	t->type = GI_SET;
	t->ranges = rs;
	t->nranges = n;
	*nidx = ni;
	return TG_OK;
}

static tg_err gi_tokenize(struct gi_ctx *g, struct gi_glob *out)
{
	size_t idx = 0, cap = 16;
	struct gi_tok *ts = tg_arena_alloc_array(g->c->a, cap, sizeof(*ts));
	tg_err err = TG_OK;
	out->n = 0;
	if (!ts)
		return TG_E_TOOBIG;
	for (;;) {
		uint32_t r;
		bool esc;
		size_t ni;
		struct gi_tok t;
		int st = gi_next_rune(g, idx, &ni, &r, &esc, &err);
		if (st < 0)
			return err;
		if (st == 1)
			break;
		memset(&t, 0, sizeof(t));
		if (!esc && r == '.') {
			t.type = GI_DOT;
		} else if (!esc && r == ']') {
			return gi_error(g, ni, "set-close ']' with no preceding '['");
		} else if (!esc && r == '[') {
			if ((err = gi_set(g, ni, &ni, &t)) != TG_OK)
				return err;
		} else if (!esc && (r == '+' || r == '*')) {
			return gi_error(g, ni, "flag '%c' must be preceded by a non-flag", (char)r);
		} else {
			t.type = GI_CHAR;
			t.r = r;
		}
		/* a flag may follow */
		{
			uint32_t fr;
			bool fesc;
			size_t fi;
			int fs = gi_next_rune(g, ni, &fi, &fr, &fesc, &err);
			if (fs < 0)
				return err;
			if (fs == 0 && !fesc && (fr == '+' || fr == '*')) {
				t.flag = fr == '+' ? GI_PLUS : GI_STAR;
				ni = fi;
			}
		}
		if (out->n == cap) {
			struct gi_tok *n2 = tg_arena_alloc_array(g->c->a, cap * 2, sizeof(*n2));
			if (!n2)
				return TG_E_TOOBIG;
			memcpy(n2, ts, out->n * sizeof(*ts));
			ts = n2;
			cap *= 2;
		}
		ts[out->n++] = t;
		idx = ni;
	}
	out->t = ts;
	return TG_OK;
}

static bool gi_equal(const struct gi_tok *a, const struct gi_tok *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == GI_CHAR)
		return a->r == b->r;
	if (a->type == GI_DOT)
		return true;
	if (a->nranges != b->nranges)
		return false;
	for (size_t i = 0; i < a->nranges; i++)
		if (a->ranges[i].lo != b->ranges[i].lo || a->ranges[i].hi != b->ranges[i].hi)
			return false;
	return true;
}

/* Simplify: merge adjacent equal flagged tokens (+ wins over *). */
static void gi_simplify(struct gi_glob *g)
{
	size_t k;
	if (g->n == 0)
		return;
	k = 1;
	for (size_t i = 1; i < g->n; i++) {
		struct gi_tok *latest = &g->t[k - 1];
		if (g->t[i].flag != GI_NONE && latest->flag != GI_NONE && gi_equal(&g->t[i], latest)) {
			if (g->t[i].flag == GI_PLUS || latest->flag == GI_PLUS)
				latest->flag = GI_PLUS;
			else
				latest->flag = GI_STAR;
			continue;
		}
		g->t[k++] = g->t[i];
	}
	g->n = k;
}

static bool in_ranges(const struct gi_tok *s, uint32_t r)
{
	for (size_t i = 0; i < s->nranges; i++)
		if (r >= s->ranges[i].lo && r <= s->ranges[i].hi)
			return true;
	return false;
}

/* Match: two single tokens can match a common rune (flags ignored). */
static bool gi_match(const struct gi_tok *a, const struct gi_tok *b)
{
	if (a->type > b->type) {
		const struct gi_tok *t = a;
		a = b;
		b = t;
	}
	if (a->type == GI_CHAR) {
		if (b->type == GI_CHAR)
			return a->r == b->r;
		if (b->type == GI_DOT)
			return true;
		return in_ranges(b, a->r);
	}
	if (a->type == GI_DOT)
		return true;
	/* two sets */
	for (size_t i = 0, j = 0; i < a->nranges && j < b->nranges;) {
		if (a->ranges[i].hi < b->ranges[j].lo)
			i++;
		else if (b->ranges[j].hi < a->ranges[i].lo)
			j++;
		else
			return true;
	}
	return false;
}

static bool gi_step(struct gi_ctx *g)
{
	if (g->exhausted)
		return false;
	if (++g->steps > TG_LIMIT_GLOBS_STEPS) {
		g->exhausted = true;
		return false;
	}
	return true;
}

struct gi_span {
	const struct gi_tok *t;
	size_t n;
};

static bool gi_normal(struct gi_ctx *g, struct gi_span a, struct gi_span b);

static bool gi_star(struct gi_ctx *g, struct gi_span starred, struct gi_span other)
{
	const struct gi_tok *star = &starred.t[0], *next = starred.n > 1 ? &starred.t[1] : NULL;
	for (size_t i = 0; i < other.n; i++) {
		const struct gi_tok *t = &other.t[i];
		if (!gi_step(g))
			return false;
		if (next && gi_match(t, next)) {
			struct gi_span s1 = {starred.t + 1, starred.n - 1};
			struct gi_span o = {other.t + i, other.n - i};
			if (gi_normal(g, s1, o))
				return true;
			if (!gi_match(t, star))
				return false;
		} else if (!gi_match(t, star)) {
			return false;
		}
	}
	return next == NULL;
}

static bool gi_plus(struct gi_ctx *g, struct gi_span plussed, struct gi_span other)
{
	struct gi_span o1 = {other.t + 1, other.n - 1};
	if (!gi_match(&plussed.t[0], &other.t[0]))
		return false;
	if (gi_star(g, plussed, o1))
		return true;
	if (other.t[0].flag != GI_NONE) {
		struct gi_span p1 = {plussed.t + 1, plussed.n - 1};
		return gi_normal(g, p1, other);
	}
	return false;
}

static bool gi_special(struct gi_ctx *g, struct gi_span a, struct gi_span b)
{
	if (a.t[0].flag != GI_NONE)
		return a.t[0].flag == GI_PLUS ? gi_plus(g, a, b) : gi_star(g, a, b);
	if (b.t[0].flag == GI_PLUS)
		return gi_plus(g, b, a);
	if (b.t[0].flag == GI_STAR)
		return gi_star(g, b, a);
	return false;
}

static bool gi_normal(struct gi_ctx *g, struct gi_span a, struct gi_span b)
{
	size_t i, j;
	for (i = 0, j = 0; i < a.n && j < b.n; i++, j++) {
		if (!gi_step(g))
			return false;
		if (a.t[i].flag == GI_NONE && b.t[j].flag == GI_NONE) {
			if (!gi_match(&a.t[i], &b.t[j]))
				return false;
		} else {
			struct gi_span x = {a.t + i, a.n - i}, y = {b.t + j, b.n - j};
			return gi_special(g, x, y);
		}
	}
	return i == a.n && j == b.n;
}

static tg_err gi_glob(struct gi_ctx *g, const char *s, size_t n, struct gi_glob *out)
{
	uint32_t *in = tg_arena_alloc_array(g->c->a, n + 1, sizeof(*in));
	size_t k = 0;
	tg_err r;
	if (!in)
		return TG_E_TOOBIG;
	for (size_t i = 0; i < n;) {
		uint32_t rn;
		i += tg_rego_bi_rune(s + i, n - i, &rn);
		in[k++] = rn;
	}
	g->in = in;
	g->len = k;
	g->src = s;
	g->srclen = n;
	if ((r = gi_tokenize(g, out)) != TG_OK)
		return r;
	gi_simplify(out);
	return TG_OK;
}

tg_err tg_rego_bi_regex_globs_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
				    size_t nargs, const struct tg_json **out)
{
	const char *a, *b;
	size_t an, bn;
	struct gi_ctx g;
	struct gi_glob g1, g2;
	long l, r1, r2;
	bool res;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &a, &an)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &b, &bn)) != TG_OK)
		return r;
	if (an > TG_LIMIT_REGEX_PATTERN || bn > TG_LIMIT_REGEX_PATTERN)
		return tg_rego_bi_fail(c, "glob pattern too long");
	memset(&g, 0, sizeof(g));
	g.c = c;
	if ((r = gi_glob(&g, a, an, &g1)) != TG_OK || (r = gi_glob(&g, b, bn, &g2)) != TG_OK)
		return r;
	/* trimGlobs: drop matching unflagged prefixes and suffixes, keeping
	 * one token of each */
	for (l = 0; (size_t)l < g1.n && (size_t)l < g2.n && g1.t[l].flag == GI_NONE &&
		    g2.t[l].flag == GI_NONE;
	     l++) {
		if (!gi_match(&g1.t[l], &g2.t[l])) {
			*out = &tg_json_false_v;
			return TG_OK;
		}
	}
	if (l > 0)
		l--;
	for (r1 = (long)g1.n - 1, r2 = (long)g2.n - 1; r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l &&
						       g1.t[r1].flag == GI_NONE &&
						       g2.t[r2].flag == GI_NONE;
	     r1--, r2--) {
		if (!gi_match(&g1.t[r1], &g2.t[r2])) {
			*out = &tg_json_false_v;
			return TG_OK;
		}
	}
	if (r1 < (long)g1.n - 1) {
		r1++;
		r2++;
	}
	{
		struct gi_span s1 = {g1.t + l, (size_t)(r1 + 1 - l)};
		struct gi_span s2 = {g2.t + l, (size_t)(r2 + 1 - l)};
		res = gi_normal(&g, s1, s2);
	}
	if ((r = tg_rego_bi_charge(c, g.steps / 64 + 1)) != TG_OK)
		return r;
	if (g.exhausted) {
		tg_diag_set(c->d, "glob intersection too complex (more than %d steps)",
			    TG_LIMIT_GLOBS_STEPS);
		return TG_E_TOOBIG;
	}
	*out = tg_json_bool(res);
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* glob.match: gobwas/glob                                             */
/* ------------------------------------------------------------------ */

/* AST of a glob, as gobwas parses it */
enum gb_kind { GB_PATTERN, GB_ANYOF, GB_TEXT, GB_ANY, GB_SUPER, GB_SINGLE, GB_LIST, GB_RANGE };

struct gb_node {
	enum gb_kind kind;
	struct gb_node *parent;
	struct gb_node **kids;
	size_t nkids, capkids;
	uint32_t *runes; /* TEXT, LIST */
	size_t nrunes;
	uint32_t lo, hi; /* RANGE */
	bool not;        /* LIST, RANGE */
};

struct gb_ctx {
	struct tg_rego_bctx *c;
	const uint32_t *in;
	size_t len, pos;
	int terms; /* lexer's terms level */
};

static struct gb_node *gb_new(struct gb_ctx *g, enum gb_kind k, struct gb_node *parent)
{
	struct gb_node *n = tg_arena_alloc(g->c->a, sizeof(*n));
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->kind = k;
	n->parent = parent;
	if (parent) {
		if (parent->nkids == parent->capkids) {
			size_t nc = parent->capkids ? parent->capkids * 2 : 4;
			struct gb_node **nk = tg_arena_alloc_array(g->c->a, nc, sizeof(*nk));
			if (!nk)
				return NULL;
			if (parent->nkids)
				memcpy(nk, parent->kids, parent->nkids * sizeof(*nk));
			parent->kids = nk;
			parent->capkids = nc;
		}
		parent->kids[parent->nkids++] = n;
	}
	return n;
}

/* fetchText: runes up to an unescaped breaker; a trailing '\' is dropped. */
static tg_err gb_text(struct gb_ctx *g, const char *breakers, uint32_t **out, size_t *n)
{
	uint32_t *buf = tg_arena_alloc_array(g->c->a, g->len - g->pos + 1, sizeof(*buf));
	bool esc = false;
	*n = 0;
	if (!buf)
		return TG_E_TOOBIG;
	while (g->pos < g->len) {
		uint32_t r = g->in[g->pos];
		if (!esc) {
			if (r == '\\') {
				esc = true;
				g->pos++;
				continue;
			}
			if (r < 0x80 && r && strchr(breakers, (int)r))
				break;
		}
		esc = false;
		buf[(*n)++] = r;
		g->pos++;
	}
	*out = buf;
	return TG_OK;
}

static tg_err gb_parse(struct gb_ctx *g, struct gb_node **root)
{
	struct gb_node *tree = gb_new(g, GB_PATTERN, NULL);
	*root = tree;
	if (!tree)
		return TG_E_TOOBIG;
	while (g->pos < g->len) {
		uint32_t r = g->in[g->pos];
		if (r == '{') {
			struct gb_node *a;
			g->pos++;
			g->terms++;
			a = gb_new(g, GB_ANYOF, tree);
			if (!a || !(tree = gb_new(g, GB_PATTERN, a)))
				return TG_E_TOOBIG;
		} else if (r == ',' && g->terms > 0) {
			g->pos++;
			if (!(tree = gb_new(g, GB_PATTERN, tree->parent)))
				return TG_E_TOOBIG;
		} else if (r == '}' && g->terms > 0) {
			g->pos++;
			g->terms--;
			tree = tree->parent->parent;
		} else if (r == '[') {
			/* fetchRange */
			bool not = false, seen_not = false, want_hi = false, want_close = false;
			bool has_lo = false, has_hi = false;
			uint32_t lo = 0, hi = 0, *chars = NULL;
			size_t nchars = 0;
			struct gb_node *n;
			g->pos++;
			for (;;) {
				uint32_t x;
				if (g->pos >= g->len)
					return tg_rego_bi_fail(g->c, "unexpected end of input");
				x = g->in[g->pos++];
				if (want_close) {
					if (x != ']')
						return tg_rego_bi_fail(g->c,
								       "expected close range character");
					break;
				}
				if (want_hi) {
					hi = x;
					has_hi = true;
					if (hi < lo) {
						struct tg_buf ba = TG_BUF_INIT(8), bb = TG_BUF_INIT(8);
						tg_err e;
						if (tg_rego_bi_put_rune(&ba, hi) != TG_OK ||
						    tg_rego_bi_put_rune(&bb, lo) != TG_OK)
							e = TG_E_TOOBIG;
						else
							e = tg_rego_bi_fail(
								g->c,
								"hi character '%.*s' should be greater than lo '%.*s'",
								(int)ba.len, (const char *)ba.data, (int)bb.len,
								(const char *)bb.data);
						tg_buf_release(&ba);
						tg_buf_release(&bb);
						return e;
					}
					want_close = true;
					continue;
				}
				if (!seen_not && x == '!') {
					not = true;
					seen_not = true;
					continue;
				}
				if (g->pos < g->len && g->in[g->pos] == '-') {
					g->pos++;
					lo = x;
					has_lo = true;
					want_hi = true;
					continue;
				}
				g->pos--;
				if (gb_text(g, "]", &chars, &nchars) != TG_OK)
					return TG_E_TOOBIG;
				want_close = true;
			}
			{
				bool is_range = has_lo && has_hi && lo != 0 && hi != 0;
				bool is_chars = nchars > 0;
				if (is_chars == is_range)
					return tg_rego_bi_fail(g->c, "could not parse range");
				n = gb_new(g, is_range ? GB_RANGE : GB_LIST, tree);
				if (!n)
					return TG_E_TOOBIG;
				n->not = not;
				n->lo = lo;
				n->hi = hi;
				n->runes = chars;
				n->nrunes = nchars;
			}
		} else if (r == '?') {
			g->pos++;
			if (!gb_new(g, GB_SINGLE, tree))
				return TG_E_TOOBIG;
		} else if (r == '*') {
			g->pos++;
			if (g->pos < g->len && g->in[g->pos] == '*') {
				g->pos++;
				if (!gb_new(g, GB_SUPER, tree))
					return TG_E_TOOBIG;
			} else if (!gb_new(g, GB_ANY, tree)) {
				return TG_E_TOOBIG;
			}
		} else {
			uint32_t *t;
			size_t n;
			struct gb_node *node;
			if (gb_text(g, g->terms > 0 ? "?*[{}," : "?*[{", &t, &n) != TG_OK)
				return TG_E_TOOBIG;
			if (n == 0)
				continue; /* a lone trailing backslash */
			node = gb_new(g, GB_TEXT, tree);
			if (!node)
				return TG_E_TOOBIG;
			node->runes = t;
			node->nrunes = n;
		}
	}
	return TG_OK;
}

/*
 * The NFA: states with at most one rune transition (a predicate) and up
 * to two epsilon edges. A rune transition goes to state+1.
 */
enum nfa_kind { N_EPS, N_RUNE, N_NOTSEP, N_ANYRUNE, N_LIST, N_RANGE, N_MATCH };

struct nfa_state {
	uint8_t kind;
	bool not;
	uint32_t r;                 /* N_RUNE */
	const struct gb_node *node; /* N_LIST, N_RANGE */
	int32_t e1, e2;             /* epsilon targets (-1 none) */
	int32_t next;               /* target of the rune transition */
};

struct nfa {
	struct nfa_state *s;
	size_t n, cap;
	struct tg_arena *a;
};

static int32_t nfa_add(struct nfa *m, uint8_t kind)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 32;
		struct nfa_state *ns = tg_arena_alloc_array(m->a, nc, sizeof(*ns));
		if (!ns)
			return -1;
		if (m->n)
			memcpy(ns, m->s, m->n * sizeof(*ns));
		m->s = ns;
		m->cap = nc;
	}
	memset(&m->s[m->n], 0, sizeof(m->s[0]));
	m->s[m->n].kind = kind;
	m->s[m->n].e1 = m->s[m->n].e2 = m->s[m->n].next = -1;
	return (int32_t)m->n++;
}

/* Builds node; entry state in *in, dangling exit state (an N_EPS whose e1
 * is to be patched) in *exit. */
static tg_err nfa_build(struct nfa *m, const struct gb_node *node, int32_t *in, int32_t *exit,
			unsigned depth)
{
	int32_t s, e;
	if (depth > 256)
		return TG_E_DEPTH;
	switch (node->kind) {
	case GB_PATTERN: {
		int32_t first = nfa_add(m, N_EPS), cur;
		if (first < 0)
			return TG_E_TOOBIG;
		cur = first;
		for (size_t i = 0; i < node->nkids; i++) {
			int32_t ki, ke;
			tg_err r = nfa_build(m, node->kids[i], &ki, &ke, depth + 1);
			if (r != TG_OK)
				return r;
			m->s[cur].e1 = ki;
			cur = ke;
		}
		*in = first;
		*exit = cur;
		return TG_OK;
	}
	case GB_ANYOF: {
		int32_t split = nfa_add(m, N_EPS), join = nfa_add(m, N_EPS), prev = -1;
		if (split < 0 || join < 0)
			return TG_E_TOOBIG;
		/* a chain of splits: split -> alt_i or next split */
		prev = split;
		for (size_t i = 0; i < node->nkids; i++) {
			int32_t ki, ke, sp;
			tg_err r = nfa_build(m, node->kids[i], &ki, &ke, depth + 1);
			if (r != TG_OK)
				return r;
			m->s[ke].e1 = join;
			if (i + 1 < node->nkids) {
				if ((sp = nfa_add(m, N_EPS)) < 0)
					return TG_E_TOOBIG;
				m->s[prev].e1 = ki;
				m->s[prev].e2 = sp;
				prev = sp;
			} else {
				m->s[prev].e1 = ki;
			}
		}
		if (node->nkids == 0)
			m->s[split].e1 = join;
		e = nfa_add(m, N_EPS);
		if (e < 0)
			return TG_E_TOOBIG;
		m->s[join].e1 = e;
		*in = split;
		*exit = e;
		return TG_OK;
	}
	case GB_TEXT: {
		int32_t first = -1, prev = -1;
		for (size_t i = 0; i < node->nrunes; i++) {
			s = nfa_add(m, N_RUNE);
			if (s < 0)
				return TG_E_TOOBIG;
			m->s[s].r = node->runes[i];
			if (prev >= 0)
				m->s[prev].next = s;
			else
				first = s;
			prev = s;
		}
		e = nfa_add(m, N_EPS);
		if (e < 0)
			return TG_E_TOOBIG;
		if (prev >= 0)
			m->s[prev].next = e;
		else
			first = e;
		*in = first;
		*exit = e;
		return TG_OK;
	}
	case GB_ANY:
	case GB_SUPER: {
		/* loop: L --rune--> L ; L --eps--> E */
		s = nfa_add(m, node->kind == GB_ANY ? N_NOTSEP : N_ANYRUNE);
		e = nfa_add(m, N_EPS);
		if (s < 0 || e < 0)
			return TG_E_TOOBIG;
		m->s[s].next = s;
		m->s[s].e1 = e;
		*in = s;
		*exit = e;
		return TG_OK;
	}
	case GB_SINGLE:
	case GB_LIST:
	case GB_RANGE:
		s = nfa_add(m, node->kind == GB_SINGLE ? N_NOTSEP
					 : node->kind == GB_LIST ? N_LIST
								  : N_RANGE);
		e = nfa_add(m, N_EPS);
		if (s < 0 || e < 0)
			return TG_E_TOOBIG;
		m->s[s].node = node;
		m->s[s].not = node->not;
		m->s[s].next = e;
		*in = s;
		*exit = e;
		return TG_OK;
	}
	return TG_E_INTERNAL;
}

static bool is_sep(const uint32_t *seps, size_t nseps, uint32_t r)
{
	for (size_t i = 0; i < nseps; i++)
		if (seps[i] == r)
			return true;
	return false;
}

static bool state_accepts(const struct nfa_state *st, uint32_t r, const uint32_t *seps,
			  size_t nseps)
{
	switch (st->kind) {
	case N_RUNE:
		return st->r == r;
	case N_NOTSEP:
		return !is_sep(seps, nseps, r);
	case N_ANYRUNE:
		return true;
	case N_LIST: {
		bool in = false;
		for (size_t i = 0; i < st->node->nrunes; i++)
			if (st->node->runes[i] == r)
				in = true;
		return in != st->not;
	}
	case N_RANGE:
		return (r >= st->node->lo && r <= st->node->hi) != st->not;
	default:
		return false;
	}
}

/* Adds s and its epsilon closure to the set (iterative). */
static void closure(const struct nfa *m, int32_t s, uint8_t *set, int32_t *stack)
{
	size_t sp = 0;
	if (s < 0 || set[s])
		return;
	set[s] = 1;
	stack[sp++] = s;
	while (sp) {
		int32_t x = stack[--sp];
		int32_t es[2] = {m->s[x].e1, m->s[x].e2};
		for (int k = 0; k < 2; k++)
			if (es[k] >= 0 && !set[es[k]]) {
				set[es[k]] = 1;
				stack[sp++] = es[k];
			}
	}
}

tg_err tg_rego_bi_glob_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	const char *p, *s;
	size_t pn, sn, nseps = 0;
	uint32_t *seps = NULL, dot = '.';
	const struct tg_json *d = args[1];
	struct gb_ctx g;
	struct gb_node *root;
	struct nfa m;
	int32_t start, fin;
	uint8_t *cur, *nxt;
	int32_t *stack;
	bool matched = false;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &p, &pn)) != TG_OK)
		return r;
	if (d->type == TG_JSON_ARRAY) {
		seps = tg_arena_alloc_array(c->a, d->u.a.len + 1, sizeof(*seps));
		if (!seps)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < d->u.a.len; i++) {
			const struct tg_json *e = d->u.a.items[i];
			uint32_t rn;
			size_t w;
			if (e->type != TG_JSON_STRING)
				return tg_rego_bi_elem_error(c, 2, d, e, "string");
			w = tg_rego_bi_rune(e->u.s.p, e->u.s.len, &rn);
			if (w == 0 || w != e->u.s.len)
				return tg_rego_bi_elem_error(c, 2, d, e, "rune");
			seps[nseps++] = rn;
		}
		if (nseps == 0) {
			seps = &dot;
			nseps = 1;
		}
	} else if (d->type != TG_JSON_NULL) {
		static const char *const an[] = {"array", "null", NULL};
		return tg_rego_bi_type_error_any(c, 2, an, d);
	}
	if ((r = tg_rego_bi_str(c, args[2], 3, &s, &sn)) != TG_OK)
		return r;
	if (pn > TG_LIMIT_REGEX_PATTERN)
		return tg_rego_bi_fail(c, "glob pattern too long");
	/* the pattern as runes */
	memset(&g, 0, sizeof(g));
	g.c = c;
	{
		uint32_t *in = tg_arena_alloc_array(c->a, pn + 1, sizeof(*in));
		if (!in)
			return TG_E_TOOBIG;
		for (size_t i = 0; i < pn;) {
			uint32_t rn;
			i += tg_rego_bi_rune(p + i, pn - i, &rn);
			in[g.len++] = rn;
		}
		g.in = in;
	}
	if ((r = gb_parse(&g, &root)) != TG_OK)
		return r;
	memset(&m, 0, sizeof(m));
	m.a = c->a;
	if ((r = nfa_build(&m, root, &start, &fin, 0)) != TG_OK)
		return r;
	m.s[fin].kind = N_MATCH;
	if ((r = tg_rego_bi_charge(c, (uint64_t)(sn + 1) * (m.n / 64 + 1))) != TG_OK)
		return r;
	cur = tg_xcalloc(m.n, 1);
	nxt = tg_xcalloc(m.n, 1);
	stack = tg_xcalloc(m.n, sizeof(*stack));
	closure(&m, start, cur, stack);
	for (size_t i = 0; i <= sn; ) {
		uint32_t rn;
		size_t w;
		bool any = false;
		if (i == sn) {
			matched = cur[fin] != 0;
			break;
		}
		w = tg_rego_bi_rune(s + i, sn - i, &rn);
		memset(nxt, 0, m.n);
		for (size_t k = 0; k < m.n; k++) {
			if (!cur[k] || m.s[k].next < 0)
				continue;
			if (state_accepts(&m.s[k], rn, seps, nseps)) {
				closure(&m, m.s[k].next, nxt, stack);
				any = true;
			}
		}
		{
			uint8_t *t = cur;
			cur = nxt;
			nxt = t;
		}
		if (!any)
			break;
		i += w;
	}
	free(cur);
	free(nxt);
	free(stack);
	*out = tg_json_bool(matched);
	return TG_OK;
}

tg_err tg_rego_bi_glob_quote_meta(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t sn;
	struct tg_buf b = TG_BUF_INIT(2 * (size_t)TG_LIMIT_JSON_DOC);
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &sn)) != TG_OK)
		return r;
	for (size_t i = 0; i < sn && r == TG_OK; i++) {
		if (strchr("*?\\[]{}", s[i]) && s[i] != '\0')
			r = tg_buf_addc(&b, '\\');
		if (r == TG_OK)
			r = tg_buf_addc(&b, (uint8_t)s[i]);
	}
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	tg_buf_release(&b);
	return r;
}
