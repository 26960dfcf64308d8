/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_misc.c - Rego built-ins without a better home: semver.*,
 * graph.reachable*, uuid.*, rand.intn (the last two cached per query),
 * opa.runtime and trace.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/limits.h"
#include "rego/rego_bia.h"
#include "rego/rego_builtin.h"
#include "rego/rego_num.h"

/* ---- semver (OPA's internal copy of coreos/go-semver) ---- */

struct semver {
	long long v[3];
	const char *pre;
	size_t npre;
};

static bool ident_ok(const char *s, size_t n)
{
	size_t i;
	bool empty = true;
	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '.') {
			if (empty)
				return false;
			empty = true;
		} else if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z') || ch == '-') {
			empty = false;
		} else {
			return false;
		}
	}
	return !empty;
}

/* strconv.ParseInt(s, 10, 64): optional sign, digits, no overflow. */
static bool parse_int(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long v = 0, lim;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return false;
	lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (unsigned)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return true;
}

static bool semver_parse(const char *s, size_t n, struct semver *sv)
{
	const char *plus = memchr(s, '+', n), *dash, *p, *dot1, *dot2;
	size_t vn;
	if (plus) {
		if (!ident_ok(plus + 1, (size_t)(s + n - plus - 1)))
			return false;
		n = (size_t)(plus - s);
	}
	dash = memchr(s, '-', n);
	sv->pre = "";
	sv->npre = 0;
	vn = n;
	if (dash) {
		sv->pre = dash + 1;
		sv->npre = (size_t)(s + n - dash - 1);
		if (!ident_ok(sv->pre, sv->npre))
			return false;
		vn = (size_t)(dash - s);
	}
	p = s;
	dot1 = memchr(p, '.', vn);
	if (!dot1)
		return false;
	dot2 = memchr(dot1 + 1, '.', (size_t)(s + vn - dot1 - 1));
	if (!dot2)
		return false;
	return parse_int(p, (size_t)(dot1 - p), &sv->v[0]) &&
	       parse_int(dot1 + 1, (size_t)(dot2 - dot1 - 1), &sv->v[1]) &&
	       parse_int(dot2 + 1, (size_t)(s + vn - dot2 - 1), &sv->v[2]);
}

static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
	long long x = 0, y = 0;
	bool xn = parse_int(a, an, &x), yn = parse_int(b, bn, &y);
	int r;
	if (xn && yn)
		return x < y ? -1 : x > y ? 1 : 0;
	if (xn)
		return -1;
	if (yn)
		return 1;
	r = memcmp(a, b, an < bn ? an : bn);
	if (r)
		return r < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

static int semver_cmp(const struct semver *a, const struct semver *b)
{
	const char *pa = a->pre, *pb = b->pre, *ea = a->pre + a->npre, *eb = b->pre + b->npre;
	int i;
	for (i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	if (a->npre == 0 || b->npre == 0)
		return a->npre == b->npre ? 0 : a->npre == 0 ? 1 : -1;
	while (pa < ea && pb < eb) {
		const char *da = memchr(pa, '.', (size_t)(ea - pa)), *db = memchr(pb, '.', (size_t)(eb - pb));
		int r;
		if (!da)
			da = ea;
		if (!db)
			db = eb;
		r = cmp_ident(pa, (size_t)(da - pa), pb, (size_t)(db - pb));
		if (r)
			return r;
		pa = da < ea ? da + 1 : ea;
		pb = db < eb ? db + 1 : eb;
	}
	return pa < ea ? 1 : pb < eb ? -1 : 0;
}

static tg_err bi_semver_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	struct semver sv;
	(void)c;
	(void)nargs;
	*out = tg_json_bool(args[0]->type == TG_JSON_STRING &&
			    semver_parse(args[0]->u.s.p, args[0]->u.s.len, &sv));
	return TG_OK;
}

static tg_err bi_semver_compare(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out)
{
	struct semver a, b;
	size_t i;
	(void)nargs;
	for (i = 0; i < 2; i++)
		if (args[i]->type != TG_JSON_STRING)
			return tg_rego_bia_type(c, i + 1, "string", args[i]);
	if (!semver_parse(args[0]->u.s.p, args[0]->u.s.len, &a))
		return tg_rego_bia_fail(c, "operand 1: string \"%.128s\" is not a valid SemVer",
					args[0]->u.s.p);
	if (!semver_parse(args[1]->u.s.p, args[1]->u.s.len, &b))
		return tg_rego_bia_fail(c, "operand 2: string \"%.128s\" is not a valid SemVer",
					args[1]->u.s.p);
	return tg_rego_bia_int(c->a, semver_cmp(&a, &b), out);
}

/* ---- graph ---- */

static size_t n_edges(const struct tg_json *e)
{
	return e->type == TG_JSON_ARRAY || e->type == TG_JSON_SET ? e->u.a.len : 0;
}

static tg_err graph_args(struct tg_rego_bctx *c, const struct tg_json *const *args)
{
	if (args[0]->type != TG_JSON_OBJECT)
		return tg_rego_bia_type(c, 1, "object", args[0]);
	if (args[1]->type != TG_JSON_ARRAY && args[1]->type != TG_JSON_SET)
		return tg_rego_bia_type(c, 2, "{array, set}", args[1]);
	return TG_OK;
}

static tg_err bi_reachable(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const struct tg_json *g = args[0];
	struct tg_rego_bia_list queue, reached;
	size_t head = 0, i;
	tg_err rc;
	(void)nargs;
	if ((rc = graph_args(c, args)) != TG_OK)
		return rc;
	tg_rego_bia_list_init(&queue, c->a);
	tg_rego_bia_list_init(&reached, c->a);
	for (i = 0; i < args[1]->u.a.len; i++)
		if ((rc = tg_rego_bia_list_add(&queue, args[1]->u.a.items[i])) != TG_OK)
			return tg_rego_bia_err(c, rc);
	while (head < queue.len) {
		const struct tg_json *node = queue.v[head++], *edges = tg_json_get_value(g, node);
		size_t k;
		bool seen = false;
		if (!edges)
			continue;
		for (k = 0; k < reached.len && !seen; k++)
			seen = tg_json_eq(reached.v[k], node);
		if (seen)
			continue;
		if ((rc = tg_rego_bia_charge(c, n_edges(edges) + reached.len / 64 + 1)) != TG_OK)
			return rc;
		for (i = 0; i < n_edges(edges); i++) {
			bool r = false;
			for (k = 0; k < reached.len && !r; k++)
				r = tg_json_eq(reached.v[k], edges->u.a.items[i]);
			if (!r && (rc = tg_rego_bia_list_add(&queue, edges->u.a.items[i])) != TG_OK)
				return tg_rego_bia_err(c, rc);
		}
		if ((rc = tg_rego_bia_list_add(&reached, node)) != TG_OK)
			return tg_rego_bia_err(c, rc);
	}
	rc = tg_rego_bia_list_set(&reached, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

/* Appends every path from root, as OPA v1.1's pathBuilder: a path ends at
 * a node outside the graph (not included), at a node without edges, or at
 * an edge to a node already reached. reached is shared by the whole walk
 * from one initial edge (so each node is entered once per such walk). */
static tg_err paths(struct tg_rego_bctx *c, const struct tg_json *g, const struct tg_json *root,
		    const struct tg_json **path, size_t depth, struct tg_rego_bia_list *reached,
		    struct tg_rego_bia_list *res)
{
	const struct tg_json *edges = tg_json_get_value(g, root), *p;
	size_t i, k;
	tg_err rc;
	if ((rc = tg_rego_bia_charge(c, depth + reached->len / 64 + 1)) != TG_OK)
		return rc;
	if (!edges || depth > TG_LIMIT_JSON_DEPTH) {
		if ((rc = tg_json_new_array(c->a, path, depth, &p)) != TG_OK ||
		    (rc = tg_rego_bia_list_add(res, p)) != TG_OK)
			return tg_rego_bia_err(c, rc);
		return TG_OK;
	}
	path[depth++] = root;
	if (n_edges(edges) == 0) {
		if ((rc = tg_json_new_array(c->a, path, depth, &p)) != TG_OK ||
		    (rc = tg_rego_bia_list_add(res, p)) != TG_OK)
			return tg_rego_bia_err(c, rc);
		return TG_OK;
	}
	for (i = 0; i < edges->u.a.len; i++) {
		const struct tg_json *nb = edges->u.a.items[i];
		bool seen = false, have_root = false;
		for (k = 0; k < reached->len && !seen; k++)
			seen = tg_json_eq(reached->v[k], nb);
		if (seen) {
			if ((rc = tg_json_new_array(c->a, path, depth, &p)) != TG_OK ||
			    (rc = tg_rego_bia_list_add(res, p)) != TG_OK)
				return tg_rego_bia_err(c, rc);
			continue;
		}
		for (k = 0; k < reached->len && !have_root; k++)
			have_root = tg_json_eq(reached->v[k], root);
		if (!have_root && (rc = tg_rego_bia_list_add(reached, root)) != TG_OK)
			return tg_rego_bia_err(c, rc);
		if ((rc = paths(c, g, nb, path, depth, reached, res)) != TG_OK)
			return rc;
	}
	return TG_OK;
}

static tg_err bi_reachable_paths(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out)
{
	const struct tg_json *g = args[0], *init = args[1];
	const struct tg_json **path;
	struct tg_rego_bia_list res;
	size_t i, j;
	tg_err rc;
	(void)nargs;
	if ((rc = graph_args(c, args)) != TG_OK)
		return rc;
	path = tg_arena_alloc_array(c->a, TG_LIMIT_JSON_DEPTH + 4, sizeof(*path));
	if (!path)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	tg_rego_bia_list_init(&res, c->a);
	for (i = 0; i < init->u.a.len; i++) {
		const struct tg_json *node = init->u.a.items[i], *edges = tg_json_get_value(g, node);
		if (!edges)
			continue;
		if (n_edges(edges) == 0) {
			const struct tg_json *p;
			if ((rc = tg_json_new_array(c->a, &node, 1, &p)) != TG_OK ||
			    (rc = tg_rego_bia_list_add(&res, p)) != TG_OK)
				return tg_rego_bia_err(c, rc);
			continue;
		}
		for (j = 0; j < edges->u.a.len; j++) {
			struct tg_rego_bia_list reached;
			tg_rego_bia_list_init(&reached, c->a);
			if ((rc = tg_rego_bia_list_add(&reached, node)) != TG_OK)
				return tg_rego_bia_err(c, rc);
			path[0] = node;
			if ((rc = paths(c, g, edges->u.a.items[j], path, 1, &reached, &res)) != TG_OK)
				return rc;
		}
	}
	rc = tg_rego_bia_list_set(&res, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

/* ---- uuid ---- */

static tg_err bi_uuid_rfc4122(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out)
{
	unsigned char b[16];
	char s[40];
	const struct tg_json *hit;
	tg_err rc;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_bia_type(c, 1, "string", args[0]);
	hit = tg_rego_bcache_get(c, args, nargs);
	if (hit) {
		*out = hit;
		return TG_OK;
	}
	if (RAND_bytes(b, sizeof(b)) != 1)
		return tg_rego_bia_fail(c, "cannot read random bytes");
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	if ((rc = tg_json_new_string(c->a, s, 36, out)) != TG_OK)
		return tg_rego_bia_err(c, rc);
	tg_rego_bcache_put(c, args, nargs, *out);
	return TG_OK;
}

static int hexv(char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

/* google/uuid.Parse: 36 characters with dashes, optionally wrapped in
 * braces or prefixed by urn:uuid:, or 32 hex digits. */
static bool uuid_parse(const char *s, size_t n, unsigned char u[16])
{
	static const int pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
	int i;
	if (n == 45) {
		if (strncmp(s, "urn:uuid:", 9) != 0 && strncmp(s, "URN:UUID:", 9) != 0)
			return false;
		s += 9;
		n = 36;
	} else if (n == 38) {
		if (s[0] != '{' || s[37] != '}')
			return false;
		s++;
		n = 36;
	} else if (n == 32) {
		for (i = 0; i < 16; i++) {
			int h = hexv(s[2 * i]), l = hexv(s[2 * i + 1]);
			if (h < 0 || l < 0)
				return false;
			u[i] = (unsigned char)(h << 4 | l);
		}
		return true;
	}
	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	for (i = 0; i < 16; i++) {
		int h = hexv(s[pos[i]]), l = hexv(s[pos[i] + 1]);
		if (h < 0 || l < 0)
			return false;
		u[i] = (unsigned char)(h << 4 | l);
	}
	return true;
}

static tg_err add_str(struct tg_rego_bctx *c, struct tg_rego_bia_members *m, const char *k,
		      const char *v)
{
	const struct tg_json *kj, *vj;
	tg_err rc = tg_json_new_string(c->a, k, strlen(k), &kj);
	if (rc == TG_OK)
		rc = tg_json_new_string(c->a, v, strlen(v), &vj);
	if (rc == TG_OK)
		rc = tg_rego_bia_members_add(m, kj, vj);
	return rc;
}

static tg_err add_int(struct tg_rego_bctx *c, struct tg_rego_bia_members *m, const char *k,
		      int64_t v)
{
	const struct tg_json *kj, *vj;
	tg_err rc = tg_json_new_string(c->a, k, strlen(k), &kj);
	if (rc == TG_OK)
		rc = tg_json_new_int(c->a, v, &vj);
	if (rc == TG_OK)
		rc = tg_rego_bia_members_add(m, kj, vj);
	return rc;
}

static tg_err bi_uuid_parse(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out)
{
	unsigned char u[16];
	struct tg_rego_bia_members m;
	int version;
	const char *variant;
	tg_err rc;
	(void)nargs;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_bia_type(c, 1, "string", args[0]);
	*out = NULL;
	if (!uuid_parse(args[0]->u.s.p, args[0]->u.s.len, u))
		return TG_OK;
	version = u[6] >> 4;
	variant = (u[8] & 0xc0) == 0x80   ? "RFC4122"
		  : (u[8] & 0xe0) == 0xc0 ? "Microsoft"
		  : (u[8] & 0xe0) == 0xe0 ? "Future"
					  : "Reserved";
	tg_rego_bia_members_init(&m, c->a);
	rc = add_int(c, &m, "version", version);
	if (rc == TG_OK)
		rc = add_str(c, &m, "variant", variant);
	if (rc == TG_OK && (version == 1 || version == 2)) {
		uint64_t t = (uint64_t)u[0] << 24 | (uint64_t)u[1] << 16 | (uint64_t)u[2] << 8 | u[3];
		char node[24];
		const char *mac;
		t |= ((uint64_t)u[4] << 8 | u[5]) << 32;
		t |= ((uint64_t)(u[6] & 0x0f) << 8 | u[7]) << 48;
		snprintf(node, sizeof(node), "%02x-%02x-%02x-%02x-%02x-%02x", u[10], u[11], u[12],
			 u[13], u[14], u[15]);
		mac = (u[10] & 3) == 3 ? "local:multicast"
		      : (u[10] & 1)    ? "global:multicast"
		      : (u[10] & 2)    ? "local:unicast"
				       : "global:unicast";
		/* Go: sec*1e9 + nsec in int64, wrapping as Go does before 1677 */
		{
			int64_t d = (int64_t)t - 122192928000000000LL;
			uint64_t w = (uint64_t)(d / 10000000) * 1000000000u + (uint64_t)((d % 10000000) * 100);
			rc = add_int(c, &m, "time", (int64_t)w);
		}
		if (rc == TG_OK)
			rc = add_str(c, &m, "nodeid", node);
		if (rc == TG_OK)
			rc = add_str(c, &m, "macvariables", mac);
		if (rc == TG_OK)
			rc = add_int(c, &m, "clocksequence", ((int64_t)u[8] << 8 | u[9]) & 0x3fff);
		if (rc == TG_OK && version == 2) {
			char dom[24];
			snprintf(dom, sizeof(dom), "%s",
				 u[9] == 0 ? "Person" : u[9] == 1 ? "Group" : u[9] == 2 ? "Org" : "");
			if (!dom[0])
				snprintf(dom, sizeof(dom), "Domain%d", u[9]);
			rc = add_int(c, &m, "id",
				     (int64_t)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
					       (uint32_t)u[2] << 8 | u[3]));
			if (rc == TG_OK)
				rc = add_str(c, &m, "domain", dom);
		}
	}
	if (rc == TG_OK)
		rc = tg_rego_bia_members_object(&m, out);
	return rc == TG_OK ? rc : tg_rego_bia_err(c, rc);
}

/* ---- rand.intn, opa.runtime, trace ---- */

static tg_err bi_rand_intn(struct tg_rego_bctx *c, const struct tg_json *const *args,
			   size_t nargs, const struct tg_json **out)
{
	const struct tg_json *hit;
	int64_t n;
	uint64_t r, lim, un;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_bia_type(c, 1, "string", args[0]);
	if (args[1]->type != TG_JSON_NUMBER)
		return tg_rego_bia_type(c, 2, "number", args[1]);
	if (!tg_rego_num_int64_lit(args[1], &n)) {
		tg_diag_set(c->d, "operand 2 must be integer number but got floating-point number");
		return TG_E_TYPE;
	}
	if (n == 0)
		return tg_rego_bia_int(c->a, 0, out);
	hit = tg_rego_bcache_get(c, args, nargs);
	if (hit) {
		*out = hit;
		return TG_OK;
	}
	un = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
	/* uniform in [0, un): reject the top partial range */
	lim = UINT64_MAX - UINT64_MAX % un;
	do {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return tg_rego_bia_fail(c, "cannot read random bytes");
	} while (r >= lim);
	if (tg_rego_bia_int(c->a, (int64_t)(r % un), out) != TG_OK)
		return tg_rego_bia_err(c, TG_E_TOOBIG);
	tg_rego_bcache_put(c, args, nargs, *out);
	return TG_OK;
}

/* OPA returns the runtime information its host configured, {} when there
 * is none (as in the conformance suite); tollgate configures none, so that
 * policies see neither the environment nor the version. */
static tg_err bi_opa_runtime(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out)
{
	(void)c;
	(void)args;
	(void)nargs;
	*out = &tg_json_empty_object_v;
	return TG_OK;
}

static tg_err bi_trace(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	(void)nargs;
	if (args[0]->type != TG_JSON_STRING)
		return tg_rego_bia_type(c, 1, "string", args[0]);
	*out = &tg_json_true_v;
	return TG_OK;
}

#define GRAPH "object[any: any<array[any], set[any]>], any<array[any], set[any]>"

const struct tg_rego_builtin tg_rego_builtins_misc[] = {
	{"semver.is_valid", NULL, 1, "(any) => boolean", bi_semver_is_valid, 0},
	{"semver.compare", NULL, 2, "(string, string) => number", bi_semver_compare, 0},
	{"graph.reachable", NULL, 2, "(" GRAPH ") => set[any]", bi_reachable, 0},
	{"graph.reachable_paths", NULL, 2, "(" GRAPH ") => set[array[any]]", bi_reachable_paths, 0},
	{"uuid.rfc4122", NULL, 1, "(string) => string", bi_uuid_rfc4122, TG_RB_NONDET},
	{"uuid.parse", NULL, 1, "(string) => object[string: any]", bi_uuid_parse, 0},
	{"rand.intn", NULL, 2, "(string, number) => number", bi_rand_intn, TG_RB_NONDET},
	{"opa.runtime", NULL, 0, "() => object[string: any]", bi_opa_runtime, TG_RB_NONDET},
	{"trace", NULL, 1, "(string) => boolean", bi_trace, 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
