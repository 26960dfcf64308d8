/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intoto_rules.c - in-toto artifact rules: Python fnmatch glob patterns,
 * parsing of rules (rulelib.unpack_rule) and their evaluation over an
 * artifact queue (verifylib.verify_item_rules).
 */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "sign/intoto.h"

/* ------------------------------------------------------------------ */
/* fnmatch                                                             */
/* ------------------------------------------------------------------ */

enum { TOK_LIT, TOK_ANY, TOK_STAR, TOK_SET };

struct tok {
	int type;
	uint32_t cp;        /* TOK_LIT */
	size_t set, set_end; /* TOK_SET: the members in the pattern */
	bool negate;
};

/* One code point at p (invalid bytes stand for themselves). */
static size_t cp_at(const char *p, size_t n, uint32_t *cp)
{
	size_t l = tg_utf8_decode((const uint8_t *)p, n, cp);
	if (l == 0) {
		*cp = (uint8_t)p[0];
		l = 1;
	}
	return l;
}

/* Reads the token at pat[i]; returns the index after it. */
static size_t tok_at(const char *pat, size_t n, size_t i, struct tok *t)
{
	size_t j;
	if (pat[i] == '*') {
		t->type = TOK_STAR;
		return i + 1;
	}
	if (pat[i] == '?') {
		t->type = TOK_ANY;
		return i + 1;
	}
	if (pat[i] == '[') {
		/* fnmatch.translate: "[!" negates, a ']' first is a member,
		 * an unclosed '[' is literal */
		j = i + 1;
		if (j < n && pat[j] == '!')
			j++;
		if (j < n && pat[j] == ']')
			j++;
		while (j < n && pat[j] != ']')
			j++;
		if (j < n) {
			t->type = TOK_SET;
			t->negate = pat[i + 1] == '!';
			t->set = i + 1 + (t->negate ? 1 : 0);
			t->set_end = j;
			return j + 1;
		}
	}
	t->type = TOK_LIT;
	return i + cp_at(pat + i, n - i, &t->cp);
}

static bool set_has(const char *pat, const struct tok *t, uint32_t c)
{
	size_t i = t->set;
	bool in = false;
	while (i < t->set_end) {
		uint32_t lo, hi;
		i += cp_at(pat + i, t->set_end - i, &lo);
		if (i + 1 < t->set_end && pat[i] == '-') {
			size_t k = i + 1;
			k += cp_at(pat + k, t->set_end - k, &hi);
			i = k;
			if (lo <= c && c <= hi) /* lo > hi: an empty range, as Python drops it */
				in = true;
		} else if (lo == c) {
			in = true;
		}
	}
	return in != t->negate;
}

bool tg_intoto_fnmatch(const char *pat, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	struct tok t;

	while (si < slen || pi < plen) {
		if (pi < plen) {
			size_t next = tok_at(pat, plen, pi, &t);
			if (t.type == TOK_STAR) {
				star_p = next;
				star_s = si;
				pi = next;
				continue;
			}
			if (si < slen) {
				uint32_t c;
				size_t l = cp_at(s + si, slen - si, &c);
				bool ok = t.type == TOK_ANY || (t.type == TOK_LIT && t.cp == c) ||
					  (t.type == TOK_SET && set_has(pat, &t, c));
				if (ok) {
					pi = next;
					si += l;
					continue;
				}
			}
		}
		/* mismatch: let the last '*' swallow one more character */
		if (star_p != SIZE_MAX && star_s < slen) {
			uint32_t c;
			star_s += cp_at(s + star_s, slen - star_s, &c);
			si = star_s;
			pi = star_p;
			continue;
		}
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static bool kw(const struct tg_json *v, const char *k)
{
	size_t i, n = strlen(k);
	if (v->u.s.len != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = v->u.s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != k[i])
			return false;
	}
	return true;
}

tg_err tg_intoto_rule_parse(struct tg_arena *a, const struct tg_json *rule,
			    struct tg_intoto_rule *out, struct tg_diag *d)
{
	static const struct {
		const char *name;
		enum tg_intoto_rule_type type;
	} generic[] = {
		{"create", TG_INTOTO_RULE_CREATE},     {"delete", TG_INTOTO_RULE_DELETE},
		{"modify", TG_INTOTO_RULE_MODIFY},     {"allow", TG_INTOTO_RULE_ALLOW},
		{"disallow", TG_INTOTO_RULE_DISALLOW}, {"require", TG_INTOTO_RULE_REQUIRE},
	};
	const struct tg_json *const *w;
	struct tg_intoto_rule r;
	size_t i, n;

	(void)a;
	if (rule->type != TG_JSON_ARRAY) {
		tg_diag_set(d, "is not a list of strings");
		return TG_E_PARSE;
	}
	w = rule->u.a.items;
	n = rule->u.a.len;
	for (i = 0; i < n; i++)
		if (w[i]->type != TG_JSON_STRING) {
			tg_diag_set(d, "is not a list of strings");
			return TG_E_PARSE;
		}
	memset(&r, 0, sizeof(r));
	r.src = rule;
	r.src_prefix = r.dst_prefix = "";
	if (n < 2) {
		tg_diag_set(d, "needs a rule type and a pattern");
		return TG_E_PARSE;
	}
	r.pattern = w[1]->u.s.p;
	for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		if (!kw(w[0], generic[i].name))
			continue;
		if (n != 2) {
			tg_diag_set(d, "'%s' takes exactly one pattern", generic[i].name);
			return TG_E_PARSE;
		}
		r.type = generic[i].type;
		*out = r;
		return TG_OK;
	}
	if (!kw(w[0], "match")) {
		tg_diag_set(d, "has unknown type '%.40s' (MATCH, CREATE, DELETE, MODIFY, ALLOW, "
			       "DISALLOW, REQUIRE)", w[0]->u.s.p);
		return TG_E_PARSE;
	}
	r.type = TG_INTOTO_RULE_MATCH;
	if (n == 10 && kw(w[2], "in") && kw(w[4], "with") && kw(w[6], "in") && kw(w[8], "from")) {
		r.src_prefix = w[3]->u.s.p, r.dst_prefix = w[7]->u.s.p, r.dst_name = w[9]->u.s.p;
		i = 5;
	} else if (n == 8 && kw(w[2], "in") && kw(w[4], "with") && kw(w[6], "from")) {
		r.src_prefix = w[3]->u.s.p, r.dst_name = w[7]->u.s.p;
		i = 5;
	} else if (n == 8 && kw(w[2], "with") && kw(w[4], "in") && kw(w[6], "from")) {
		r.dst_prefix = w[5]->u.s.p, r.dst_name = w[7]->u.s.p;
		i = 3;
	} else if (n == 6 && kw(w[2], "with") && kw(w[4], "from")) {
		r.dst_name = w[5]->u.s.p;
		i = 3;
	} else {
		tg_diag_set(d, "is not MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) "
			       "[IN <prefix>] FROM <step>");
		return TG_E_PARSE;
	}
	if (kw(w[i], "products"))
		r.dst_products = true;
	else if (!kw(w[i], "materials")) {
		tg_diag_set(d, "MATCH must say WITH MATERIALS or WITH PRODUCTS");
		return TG_E_PARSE;
	}
	*out = r;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */
/* ------------------------------------------------------------------ */

/* os.path.join(prefix, rel) on POSIX, in a */
static const char *path_join(struct tg_arena *a, const char *prefix, const char *rel)
{
	size_t pl = strlen(prefix), rl = strlen(rel);
	char *o;
	if (rel[0] == '/')
		return rel;
	o = tg_arena_alloc_bytes(a, pl + rl + 2);
	if (!o)
		return NULL;
	memcpy(o, prefix, pl);
	if (pl && prefix[pl - 1] != '/')
		o[pl++] = '/';
	memcpy(o + pl, rel, rl + 1);
	return o;
}

static const struct tg_intoto_link *find_link(const struct tg_intoto_linkset *ls,
					      const char *name)
{
	size_t i;
	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->names[i], name) == 0)
			return ls->links[i];
	return NULL;
}

/* Appends the rule words, space-separated (for messages). */
static void rule_text(const struct tg_intoto_rule *r, char *out, size_t n)
{
	size_t i, o = 0;
	out[0] = '\0';
	for (i = 0; i < r->src->u.a.len && o + 1 < n; i++) {
		const struct tg_json *w = r->src->u.a.items[i];
		size_t l = w->u.s.len;
		if (i && o + 1 < n)
			out[o++] = ' ';
		if (l > n - 1 - o)
			l = n - 1 - o;
		memcpy(out + o, w->u.s.p, l);
		o += l;
		out[o] = '\0';
	}
}

static tg_err fail_rule(struct tg_diag *d, const struct tg_intoto_item *it, bool products,
			size_t idx, const struct tg_intoto_rule *r, const char *what,
			const struct tg_json *arts, const bool *queue)
{
	char text[96], list[160];
	size_t i, o = 0, shown = 0, total = 0;

	rule_text(r, text, sizeof(text));
	list[0] = '\0';
	if (arts) {
		for (i = 0; i < arts->u.o.len; i++) {
			const struct tg_json *p = arts->u.o.items[i].key;
			if (!queue[i] || !tg_intoto_fnmatch(r->pattern, strlen(r->pattern), p->u.s.p,
							    p->u.s.len))
				continue;
			total++;
			if (o + p->u.s.len + 5 < sizeof(list) && shown < 8) {
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s'%s'",
						      shown ? ", " : "", p->u.s.p);
				shown++;
			}
		}
		if (total > shown)
			snprintf(list + o, sizeof(list) - o, "%s%zu more", shown ? " and " : "",
				 total - shown);
	}
	tg_diag_set(d, "%s '%s': %s rule %zu '%s' %s%s", it->inspection ? "inspection" : "step",
		    it->name, products ? "product" : "material", idx + 1, text, what, list);
	return TG_E_VERIFY;
}

tg_err tg_intoto_rules_verify(struct tg_arena *a, const struct tg_intoto_item *item,
			      bool products, const struct tg_intoto_link *src,
			      const struct tg_intoto_linkset *links, struct tg_diag *d)
{
	const struct tg_json *arts = products ? src->products : src->materials;
	const struct tg_intoto_rule *rules = products ? item->prod : item->mat;
	size_t nrules = products ? item->n_prod : item->n_mat;
	size_t n = arts->u.o.len, ri, i;
	bool *queue, *consume;

	queue = tg_arena_alloc_array(a, n ? n : 1, sizeof(bool));
	consume = tg_arena_alloc_array(a, n ? n : 1, sizeof(bool));
	if (!queue || !consume)
		return TG_E_TOOBIG;
	for (i = 0; i < n; i++)
		queue[i] = true;

	for (ri = 0; ri < nrules; ri++) {
		const struct tg_intoto_rule *r = &rules[ri];
		size_t plen = strlen(r->pattern);
		memset(consume, 0, n * sizeof(bool));
		if (r->type == TG_INTOTO_RULE_REQUIRE) {
			/* REQUIRE names a file literally, not a pattern */
			for (i = 0; i < n; i++)
				if (queue[i] && tg_json_str_eq(arts->u.o.items[i].key, r->pattern))
					break;
			if (i == n) {
				char what[100];
				snprintf(what, sizeof(what), "did not find '%.60s'", r->pattern);
				return fail_rule(d, item, products, ri, r, what, NULL, NULL);
			}
			continue;
		}
		if (r->type == TG_INTOTO_RULE_MATCH) {
			const struct tg_intoto_link *dl = find_link(links, r->dst_name);
			const struct tg_json *dst;
			char *sp = NULL;
			size_t spl = 0;
			if (!dl)
				continue;
			dst = r->dst_products ? dl->products : dl->materials;
			if (r->src_prefix[0]) {
				sp = (char *)path_join(a, r->src_prefix, "");
				if (!sp)
					return TG_E_TOOBIG;
				spl = strlen(sp);
			}
			for (i = 0; i < n; i++) {
				const struct tg_json *p = arts->u.o.items[i].key, *sa, *da;
				const char *rel = p->u.s.p, *full_src, *full_dst;
				size_t rl = p->u.s.len;
				if (!queue[i])
					continue;
				if (sp) {
					if (rl < spl || memcmp(rel, sp, spl) != 0)
						continue;
					rel += spl;
					rl -= spl;
				}
				if (!tg_intoto_fnmatch(r->pattern, plen, rel, rl))
					continue;
				full_src = sp ? path_join(a, r->src_prefix, rel) : p->u.s.p;
				full_dst = r->dst_prefix[0] ? path_join(a, r->dst_prefix, rel) : rel;
				if (!full_src || !full_dst)
					return TG_E_TOOBIG;
				sa = tg_json_get(arts, full_src);
				da = tg_json_get(dst, full_dst);
				if (!sa || !da || !tg_json_eq(sa, da))
					continue;
				if (strcmp(full_src, p->u.s.p) == 0)
					consume[i] = true;
				else {
					size_t k;
					for (k = 0; k < n; k++)
						if (tg_json_str_eq(arts->u.o.items[k].key, full_src))
							consume[k] = true;
				}
			}
		} else {
			for (i = 0; i < n; i++) {
				const struct tg_json *p = arts->u.o.items[i].key, *m, *pr;
				if (!queue[i] ||
				    !tg_intoto_fnmatch(r->pattern, plen, p->u.s.p, p->u.s.len))
					continue;
				m = tg_json_getn(src->materials, p->u.s.p, p->u.s.len);
				pr = tg_json_getn(src->products, p->u.s.p, p->u.s.len);
				switch (r->type) {
				case TG_INTOTO_RULE_CREATE:
					consume[i] = pr && !m;
					break;
				case TG_INTOTO_RULE_DELETE:
					consume[i] = m && !pr;
					break;
				case TG_INTOTO_RULE_MODIFY:
					consume[i] = m && pr && !tg_json_eq(m, pr);
					break;
				case TG_INTOTO_RULE_ALLOW:
					consume[i] = true;
					break;
				case TG_INTOTO_RULE_DISALLOW:
					return fail_rule(d, item, products, ri, r,
							 "matched disallowed artifacts ", arts, queue);
				default:
					return TG_E_INTERNAL;
				}
			}
		}
		for (i = 0; i < n; i++)
			if (consume[i])
				queue[i] = false;
	}
	return TG_OK;
}
