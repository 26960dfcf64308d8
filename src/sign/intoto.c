/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intoto.c - legacy in-toto metadata: OLPC canonical JSON, securesystemslib
 * key dicts and key ids, parsing of links and layouts (rebuilt from their
 * validated fields), signing and signature checks.
 */
#include <string.h>

#include "core/codec.h"
#include "sign/intoto.h"

/* ------------------------------------------------------------------ */
/* OLPC canonical JSON (securesystemslib formats.encode_canonical)     */
/* ------------------------------------------------------------------ */

static tg_err canon_str(struct tg_buf *o, const char *p, size_t n)
{
	size_t i, start = 0;
	tg_err r = tg_buf_addc(o, '"');
	for (i = 0; i < n && r == TG_OK; i++) {
		if (p[i] != '"' && p[i] != '\\')
			continue;
		r = tg_buf_add(o, p + start, i - start);
		if (r == TG_OK)
			r = tg_buf_addc(o, '\\');
		start = i;
	}
	if (r == TG_OK)
		r = tg_buf_add(o, p + start, n - start);
	if (r == TG_OK)
		r = tg_buf_addc(o, '"');
	return r;
}

static tg_err canon_val(struct tg_buf *o, const struct tg_json *v, unsigned depth)
{
	size_t i;
	tg_err r = TG_OK;

	if (depth > TG_LIMIT_JSON_DEPTH)
		return TG_E_DEPTH;
	switch (v->type) {
	case TG_JSON_NULL:
		return tg_buf_adds(o, "null");
	case TG_JSON_BOOL:
		return tg_buf_adds(o, v->u.b ? "true" : "false");
	case TG_JSON_NUMBER:
		/* Python reads a fraction or exponent as a float, which the
		 * canonical encoder refuses; an integer literal is already in
		 * Python's str(int) form, except "-0" */
		if (!(v->flags & TG_JSON_F_INTLIT))
			return TG_E_TYPE;
		if (v->u.s.len == 2 && memcmp(v->u.s.p, "-0", 2) == 0)
			return tg_buf_addc(o, '0');
		return tg_buf_add(o, v->u.s.p, v->u.s.len);
	case TG_JSON_STRING:
		return canon_str(o, v->u.s.p, v->u.s.len);
	case TG_JSON_ARRAY:
		r = tg_buf_addc(o, '[');
		for (i = 0; i < v->u.a.len && r == TG_OK; i++) {
			if (i)
				r = tg_buf_addc(o, ',');
			if (r == TG_OK)
				r = canon_val(o, v->u.a.items[i], depth + 1);
		}
		return r == TG_OK ? tg_buf_addc(o, ']') : r;
	case TG_JSON_OBJECT:
		/* members are kept sorted byte-wise, which for UTF-8 is the
		 * code point order of Python's sorted() */
		r = tg_buf_addc(o, '{');
		for (i = 0; i < v->u.o.len && r == TG_OK; i++) {
			const struct tg_json *k = v->u.o.items[i].key;
			if (k->type != TG_JSON_STRING)
				return TG_E_TYPE;
			if (i)
				r = tg_buf_addc(o, ',');
			if (r == TG_OK)
				r = canon_str(o, k->u.s.p, k->u.s.len);
			if (r == TG_OK)
				r = tg_buf_addc(o, ':');
			if (r == TG_OK)
				r = canon_val(o, v->u.o.items[i].val, depth + 1);
		}
		return r == TG_OK ? tg_buf_addc(o, '}') : r;
	default:
		return TG_E_TYPE;
	}
}

tg_err tg_intoto_canon(struct tg_buf *out, const struct tg_json *v)
{
	size_t mark = out->len;
	tg_err r = canon_val(out, v, 0);
	if (r != TG_OK)
		tg_buf_truncate(out, mark);
	return r;
}

/* ------------------------------------------------------------------ */
/* Small builders                                                      */
/* ------------------------------------------------------------------ */

static tg_err jstr(struct tg_arena *a, const char *s, const struct tg_json **out)
{
	return tg_json_new_string(a, s, strlen(s), out);
}

static tg_err member(struct tg_arena *a, struct tg_json_member *m, const char *key,
		     const struct tg_json *val)
{
	m->val = val;
	return jstr(a, key, &m->key);
}

/* {"keyid_hash_algorithms":["sha256","sha512"],"keytype":t,"keyval":{"public":pub},"scheme":s}
 * - what securesystemslib hashes for a key id (format_keyval_to_metadata) */
static tg_err key_meta(struct tg_arena *a, const char *keytype, const char *scheme,
		       const struct tg_json *pub, const struct tg_json **out)
{
	const struct tg_json *algs[2], *arr, *kv, *s;
	struct tg_json_member m[4], pm;
	tg_err r;

	r = jstr(a, "sha256", &algs[0]);
	if (r == TG_OK)
		r = jstr(a, "sha512", &algs[1]);
	if (r == TG_OK)
		r = tg_json_new_array(a, algs, 2, &arr);
	if (r == TG_OK)
		r = member(a, &pm, "public", pub);
	if (r == TG_OK)
		r = tg_json_new_object(a, &pm, 1, TG_JSON_DUP_REJECT, &kv);
	if (r == TG_OK)
		r = member(a, &m[0], "keyid_hash_algorithms", arr);
	if (r == TG_OK)
		r = jstr(a, keytype, &s);
	if (r == TG_OK)
		r = member(a, &m[1], "keytype", s);
	if (r == TG_OK)
		r = member(a, &m[2], "keyval", kv);
	if (r == TG_OK)
		r = jstr(a, scheme, &s);
	if (r == TG_OK)
		r = member(a, &m[3], "scheme", s);
	if (r == TG_OK)
		r = tg_json_new_object(a, m, 4, TG_JSON_DUP_REJECT, out);
	return r;
}

static tg_err keyid_of(const struct tg_json *meta, char keyid[TG_INTOTO_KEYID_HEX + 1])
{
	struct tg_buf c = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	uint8_t md[32];
	tg_err r = tg_intoto_canon(&c, meta);
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, c.data, c.len, md);
	if (r == TG_OK)
		tg_hex_encode_to(keyid, md, sizeof(md));
	tg_buf_release(&c);
	return r;
}

tg_err tg_intoto_key_describe(const struct tg_key *k, struct tg_arena *a,
			      const struct tg_json **dict, char keyid[TG_INTOTO_KEYID_HEX + 1],
			      enum tg_sig_alg *alg)
{
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	const char *keytype, *scheme;
	const struct tg_json *pub = NULL, *meta = NULL;
	enum tg_sig_alg sa;
	uint8_t raw[32];
	char hex[65];
	tg_err r = TG_E_INTERNAL;

	switch (tg_key_type(k)) {
	case TG_KEY_ED25519:
		keytype = "ed25519", scheme = "ed25519", sa = TG_SIG_EDDSA;
		r = tg_key_ed25519_raw(k, false, raw);
		if (r != TG_OK)
			goto out;
		tg_hex_encode_to(hex, raw, sizeof(raw));
		r = jstr(a, hex, &pub);
		break;
	case TG_KEY_EC_P256:
	case TG_KEY_EC_P384:
	case TG_KEY_RSA:
		if (tg_key_type(k) == TG_KEY_RSA)
			keytype = "rsa", scheme = "rsassa-pss-sha256", sa = TG_SIG_PS256;
		else if (tg_key_type(k) == TG_KEY_EC_P256)
			keytype = "ecdsa", scheme = "ecdsa-sha2-nistp256", sa = TG_SIG_ES256;
		else
			keytype = "ecdsa", scheme = "ecdsa-sha2-nistp384", sa = TG_SIG_ES384;
		r = tg_key_to_pem(k, false, &pem);
		if (r != TG_OK)
			goto out;
		/* securesystemslib's extract_pem keeps header to footer, no newline */
		while (pem.len && (pem.data[pem.len - 1] == '\n' || pem.data[pem.len - 1] == '\r'))
			tg_buf_truncate(&pem, pem.len - 1);
		r = tg_json_new_string(a, (const char *)pem.data, pem.len, &pub);
		break;
	default:
		r = TG_E_UNSUPPORTED;
		goto out;
	}
	if (r == TG_OK)
		r = key_meta(a, keytype, scheme, pub, &meta);
	if (r == TG_OK)
		r = keyid_of(meta, keyid);
	if (r == TG_OK) {
		*dict = meta;
		*alg = sa;
	}
out:
	tg_buf_release(&pem);
	return r;
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;
	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

tg_err tg_intoto_key_from_dict(const struct tg_json *dict, struct tg_key **out,
			       enum tg_sig_alg *alg, char keyid[TG_INTOTO_KEYID_HEX + 1],
			       struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *kv, *pub, *meta = NULL;
	const char *keytype = NULL, *scheme = NULL;
	size_t tl, sl;
	struct tg_key *k = NULL;
	enum tg_sig_alg sa = TG_SIG_NONE;
	enum tg_key_type want = TG_KEY_NONE;
	tg_err r = TG_E_KEY;

	tg_arena_init(&a, TG_LIMIT_INTOTO_FILE);
	if (!dict || dict->type != TG_JSON_OBJECT ||
	    tg_json_get_string(dict, "keytype", &keytype, &tl) != TG_OK ||
	    tg_json_get_string(dict, "scheme", &scheme, &sl) != TG_OK) {
		tg_diag_set(d, "key is not an object with string 'keytype' and 'scheme'");
		goto out;
	}
	kv = tg_json_get(dict, "keyval");
	pub = tg_json_get(kv, "public");
	if (!pub || pub->type != TG_JSON_STRING) {
		tg_diag_set(d, "key has no string 'keyval.public'");
		goto out;
	}
	if (strcmp(keytype, "ed25519") == 0 && strcmp(scheme, "ed25519") == 0) {
		uint8_t raw[32];
		sa = TG_SIG_EDDSA;
		if (pub->u.s.len != 64 || tg_hex_decode_to(raw, 32, pub->u.s.p, 64) != TG_OK) {
			tg_diag_set(d, "ed25519 public key is not 64 hex digits");
			goto out;
		}
		r = tg_key_from_ed25519_raw(raw, false, &k);
		if (r != TG_OK) {
			tg_diag_set(d, "invalid ed25519 public key");
			goto out;
		}
	} else {
		if ((strcmp(keytype, "ecdsa") == 0 || strcmp(keytype, "ecdsa-sha2-nistp256") == 0 ||
		     strcmp(keytype, "ecdsa-sha2-nistp384") == 0)) {
			if (strcmp(scheme, "ecdsa-sha2-nistp256") == 0)
				sa = TG_SIG_ES256, want = TG_KEY_EC_P256;
			else if (strcmp(scheme, "ecdsa-sha2-nistp384") == 0)
				sa = TG_SIG_ES384, want = TG_KEY_EC_P384;
		} else if (strcmp(keytype, "rsa") == 0) {
			static const struct {
				const char *name;
				enum tg_sig_alg alg;
			} rsa[] = {
				{"rsassa-pss-sha256", TG_SIG_PS256}, {"rsassa-pss-sha384", TG_SIG_PS384},
				{"rsassa-pss-sha512", TG_SIG_PS512}, {"rsa-pkcs1v15-sha256", TG_SIG_RS256},
				{"rsa-pkcs1v15-sha384", TG_SIG_RS384}, {"rsa-pkcs1v15-sha512", TG_SIG_RS512},
			};
			size_t i;
			for (i = 0; i < sizeof(rsa) / sizeof(rsa[0]); i++)
				if (strcmp(scheme, rsa[i].name) == 0)
					sa = rsa[i].alg, want = TG_KEY_RSA;
		}
		if (sa == TG_SIG_NONE) {
			r = TG_E_UNSUPPORTED;
			tg_diag_set(d, "unsupported key type '%.40s' with scheme '%.40s'", keytype,
				    scheme);
			goto out;
		}
		r = tg_key_from_pem(pub->u.s.p, pub->u.s.len, &k, d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "keyval.public");
			r = TG_E_KEY;
			goto out;
		}
		if (tg_key_is_private(k) || tg_key_type(k) != want) {
			r = TG_E_KEY;
			tg_diag_set(d, "keyval.public is not a %s public key for scheme '%.40s'",
				    tg_key_type_name(want), scheme);
			goto out;
		}
	}
	r = key_meta(&a, keytype, scheme, pub, &meta);
	if (r == TG_OK)
		r = keyid_of(meta, keyid);
	if (r != TG_OK)
		goto out;
	*alg = sa;
	*out = k;
	k = NULL;
out:
	tg_key_free(k);
	tg_arena_release(&a);
	return r;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* Checks that obj (an object) has only members named in allowed. */
static tg_err only_members(const struct tg_json *obj, const char *const *allowed, size_t n,
			   const char *what, struct tg_diag *d)
{
	size_t i, j;
	for (i = 0; i < obj->u.o.len; i++) {
		const struct tg_json *k = obj->u.o.items[i].key;
		for (j = 0; j < n; j++)
			if (tg_json_str_eq(k, allowed[j]))
				break;
		if (j == n) {
			tg_diag_set(d, "%s has unknown member '%.60s'", what, k->u.s.p);
			return TG_E_PARSE;
		}
	}
	return TG_OK;
}

/* The member key as a string of the expected type, or a default. */
static tg_err field(const struct tg_json *obj, const char *key, enum tg_json_type t,
		    const struct tg_json *dflt, const char *what, const struct tg_json **out,
		    struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(obj, key);
	if (!v) {
		if (!dflt) {
			tg_diag_set(d, "%s has no '%s'", what, key);
			return TG_E_PARSE;
		}
		v = dflt;
	}
	if (v->type != t) {
		tg_diag_set(d, "%s: '%s' is a %s, not a%s %s", what, key, tg_json_type_name(v->type),
			    t == TG_JSON_ARRAY || t == TG_JSON_OBJECT ? "n" : "",
			    tg_json_type_name(t));
		return TG_E_PARSE;
	}
	*out = v;
	return TG_OK;
}

/* An artifacts object: path -> {alg: hex}, in-toto's HASHDICT_SCHEMA. */
static tg_err check_artifacts(const struct tg_json *arts, const char *what, struct tg_diag *d)
{
	size_t i, j;
	if (arts->u.o.len > TG_LIMIT_INTOTO_ARTIFACTS) {
		tg_diag_set(d, "%s lists more than %d artifacts", what, TG_LIMIT_INTOTO_ARTIFACTS);
		return TG_E_TOOBIG;
	}
	for (i = 0; i < arts->u.o.len; i++) {
		const struct tg_json *p = arts->u.o.items[i].key, *h = arts->u.o.items[i].val;
		if (p->u.s.len > TG_LIMIT_INTOTO_PATH) {
			tg_diag_set(d, "%s: an artifact path is longer than %d bytes", what,
				    TG_LIMIT_INTOTO_PATH);
			return TG_E_TOOBIG;
		}
		if (h->type != TG_JSON_OBJECT) {
			tg_diag_set(d, "%s: artifact '%.80s' is not a digest object", what, p->u.s.p);
			return TG_E_PARSE;
		}
		for (j = 0; j < h->u.o.len; j++) {
			const struct tg_json *v = h->u.o.items[j].val;
			if (v->type != TG_JSON_STRING || !is_hex(v->u.s.p, v->u.s.len)) {
				tg_diag_set(d, "%s: artifact '%.80s' has a digest that is not hex",
					    what, p->u.s.p);
				return TG_E_PARSE;
			}
		}
	}
	return TG_OK;
}

static tg_err parse_link(struct tg_arena *a, const struct tg_json *s, struct tg_intoto_link *l,
			 struct tg_diag *d)
{
	static const char *const allowed[] = {"_type",      "name",    "materials",  "products",
					      "byproducts", "command", "environment"};
	const struct tg_json *name;
	tg_err r;

	(void)a;
	r = only_members(s, allowed, 7, "link", d);
	if (r == TG_OK)
		r = field(s, "name", TG_JSON_STRING, NULL, "link", &name, d);
	if (r == TG_OK)
		r = field(s, "materials", TG_JSON_OBJECT, &tg_json_empty_object_v, "link",
			  &l->materials, d);
	if (r == TG_OK)
		r = field(s, "products", TG_JSON_OBJECT, &tg_json_empty_object_v, "link",
			  &l->products, d);
	if (r == TG_OK)
		r = field(s, "byproducts", TG_JSON_OBJECT, &tg_json_empty_object_v, "link",
			  &l->byproducts, d);
	if (r == TG_OK)
		r = field(s, "command", TG_JSON_ARRAY, &tg_json_empty_array_v, "link", &l->command,
			  d);
	if (r == TG_OK)
		r = field(s, "environment", TG_JSON_OBJECT, &tg_json_empty_object_v, "link",
			  &l->environment, d);
	if (r == TG_OK)
		r = check_artifacts(l->materials, "link materials", d);
	if (r == TG_OK)
		r = check_artifacts(l->products, "link products", d);
	if (r == TG_OK && l->command->u.a.len > TG_LIMIT_INTOTO_ARGS) {
		tg_diag_set(d, "link command has more than %d words", TG_LIMIT_INTOTO_ARGS);
		r = TG_E_TOOBIG;
	}
	if (r == TG_OK)
		l->name = name->u.s.p;
	return r;
}

tg_err tg_intoto_link_to_json(struct tg_arena *a, const struct tg_intoto_link *l,
			      const struct tg_json **out)
{
	struct tg_json_member m[7];
	const struct tg_json *t, *n;
	tg_err r = jstr(a, "link", &t);
	if (r == TG_OK)
		r = jstr(a, l->name, &n);
	if (r == TG_OK)
		r = member(a, &m[0], "_type", t);
	if (r == TG_OK)
		r = member(a, &m[1], "name", n);
	if (r == TG_OK)
		r = member(a, &m[2], "materials", l->materials);
	if (r == TG_OK)
		r = member(a, &m[3], "products", l->products);
	if (r == TG_OK)
		r = member(a, &m[4], "byproducts", l->byproducts);
	if (r == TG_OK)
		r = member(a, &m[5], "command", l->command);
	if (r == TG_OK)
		r = member(a, &m[6], "environment", l->environment);
	if (r == TG_OK)
		r = tg_json_new_object(a, m, 7, TG_JSON_DUP_REJECT, out);
	return r;
}

static tg_err parse_rules(struct tg_arena *a, const struct tg_json *rules, const char *item,
			  const char *which, struct tg_intoto_rule **out, size_t *n,
			  struct tg_diag *d)
{
	struct tg_intoto_rule *v;
	size_t i;
	if (rules->u.a.len > TG_LIMIT_INTOTO_RULES) {
		tg_diag_set(d, "'%.60s' has more than %d %s", item, TG_LIMIT_INTOTO_RULES, which);
		return TG_E_TOOBIG;
	}
	v = tg_arena_alloc_array(a, rules->u.a.len ? rules->u.a.len : 1, sizeof(*v));
	if (!v)
		return TG_E_TOOBIG;
	for (i = 0; i < rules->u.a.len; i++) {
		tg_err r = tg_intoto_rule_parse(a, rules->u.a.items[i], &v[i], d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "'%.60s' %s rule %zu", item, which, i + 1);
			return r;
		}
	}
	*out = v;
	*n = rules->u.a.len;
	return TG_OK;
}

/* Parses a step or inspection and rebuilds its signed form. */
static tg_err parse_item(struct tg_arena *a, const struct tg_json *s, bool inspection,
			 struct tg_intoto_item *it, const struct tg_json **rebuilt,
			 struct tg_diag *d)
{
	static const char *const step_allowed[] = {"_type",    "name",
						   "expected_materials", "expected_products",
						   "pubkeys",  "expected_command",
						   "threshold"};
	static const char *const insp_allowed[] = {"_type", "name", "expected_materials",
						   "expected_products", "run"};
	const char *what = inspection ? "inspection" : "step";
	const struct tg_json *name, *mat, *prod, *cmd, *keys = NULL, *thr = NULL, *t, *one;
	struct tg_json_member m[7];
	size_t i, nm = 0;
	tg_err r;

	if (s->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "a %s is not an object", what);
		return TG_E_PARSE;
	}
	r = inspection ? only_members(s, insp_allowed, 5, what, d)
		       : only_members(s, step_allowed, 7, what, d);
	if (r != TG_OK)
		return r;
	t = tg_json_get(s, "_type");
	if (t && !tg_json_str_eq(t, what)) {
		tg_diag_set(d, "a %s has '_type' other than '%s'", what, what);
		return TG_E_PARSE;
	}
	r = field(s, "name", TG_JSON_STRING, NULL, what, &name, d);
	if (r == TG_OK)
		r = field(s, "expected_materials", TG_JSON_ARRAY, &tg_json_empty_array_v,
			  name->u.s.p, &mat, d);
	if (r == TG_OK)
		r = field(s, "expected_products", TG_JSON_ARRAY, &tg_json_empty_array_v,
			  name->u.s.p, &prod, d);
	if (r == TG_OK)
		r = field(s, inspection ? "run" : "expected_command", TG_JSON_ARRAY,
			  &tg_json_empty_array_v, name->u.s.p, &cmd, d);
	if (r == TG_OK && !inspection)
		r = field(s, "pubkeys", TG_JSON_ARRAY, &tg_json_empty_array_v, name->u.s.p, &keys,
			  d);
	if (r == TG_OK && !inspection) {
		r = tg_json_new_int(a, 1, &one);
		if (r == TG_OK)
			r = field(s, "threshold", TG_JSON_NUMBER, one, name->u.s.p, &thr, d);
	}
	if (r != TG_OK)
		return r;
	if (name->u.s.len == 0 || memchr(name->u.s.p, '/', name->u.s.len) ||
	    memchr(name->u.s.p, '\0', name->u.s.len)) {
		/* the name is part of a file name we open */
		tg_diag_set(d, "%s name '%.60s' is empty or holds '/' or NUL", what, name->u.s.p);
		return TG_E_PARSE;
	}
	memset(it, 0, sizeof(*it));
	it->name = name->u.s.p;
	it->inspection = inspection;
	it->command = cmd;
	if (cmd->u.a.len > TG_LIMIT_INTOTO_ARGS) {
		tg_diag_set(d, "%s '%.60s': command has more than %d words", what, it->name,
			    TG_LIMIT_INTOTO_ARGS);
		return TG_E_TOOBIG;
	}
	if (inspection) {
		for (i = 0; i < cmd->u.a.len; i++)
			if (cmd->u.a.items[i]->type != TG_JSON_STRING) {
				tg_diag_set(d, "inspection '%.60s': 'run' holds a non-string",
					    it->name);
				return TG_E_PARSE;
			}
	} else {
		it->pubkeys = keys;
		if (keys->u.a.len > TG_LIMIT_INTOTO_KEYS) {
			tg_diag_set(d, "step '%.60s' has more than %d pubkeys", it->name,
				    TG_LIMIT_INTOTO_KEYS);
			return TG_E_TOOBIG;
		}
		for (i = 0; i < keys->u.a.len; i++) {
			const struct tg_json *k = keys->u.a.items[i];
			if (k->type != TG_JSON_STRING || !is_hex(k->u.s.p, k->u.s.len)) {
				tg_diag_set(d, "step '%.60s': pubkeys[%zu] is not a hex key id",
					    it->name, i);
				return TG_E_PARSE;
			}
		}
		if (!(thr->flags & TG_JSON_F_INTLIT) ||
		    tg_json_num_i64(thr, &it->threshold) != TG_OK) {
			tg_diag_set(d, "step '%.60s': threshold is not an integer", it->name);
			return TG_E_PARSE;
		}
	}
	r = parse_rules(a, mat, it->name, "material", &it->mat, &it->n_mat, d);
	if (r == TG_OK)
		r = parse_rules(a, prod, it->name, "product", &it->prod, &it->n_prod, d);
	if (r != TG_OK)
		return r;

	/* the signed form (attr.asdict of in-toto's Step / Inspection) */
	r = jstr(a, what, &t);
	if (r == TG_OK)
		r = member(a, &m[nm++], "_type", t);
	if (r == TG_OK)
		r = member(a, &m[nm++], "name", name);
	if (r == TG_OK)
		r = member(a, &m[nm++], "expected_materials", mat);
	if (r == TG_OK)
		r = member(a, &m[nm++], "expected_products", prod);
	if (r == TG_OK)
		r = member(a, &m[nm++], inspection ? "run" : "expected_command", cmd);
	if (r == TG_OK && !inspection) {
		r = member(a, &m[nm++], "pubkeys", keys);
		if (r == TG_OK)
			r = member(a, &m[nm++], "threshold", thr);
	}
	if (r == TG_OK)
		r = tg_json_new_object(a, m, nm, TG_JSON_DUP_REJECT, rebuilt);
	return r;
}

static bool expires_form(const char *s, size_t n)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	if (n != sizeof(form) - 1)
		return false;
	for (i = 0; i < n; i++) {
		if (form[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
			return false;
	}
	return true;
}

static tg_err parse_items(struct tg_arena *a, const struct tg_json *arr, bool inspection,
			  struct tg_intoto_item **out, size_t *n, const struct tg_json **rebuilt,
			  struct tg_diag *d)
{
	struct tg_intoto_item *v;
	const struct tg_json **rb;
	size_t i;
	tg_err r;

	if (arr->u.a.len > TG_LIMIT_INTOTO_ITEMS) {
		tg_diag_set(d, "layout has more than %d %s", TG_LIMIT_INTOTO_ITEMS,
			    inspection ? "inspections" : "steps");
		return TG_E_TOOBIG;
	}
	v = tg_arena_alloc_array(a, arr->u.a.len ? arr->u.a.len : 1, sizeof(*v));
	rb = tg_arena_alloc_array(a, arr->u.a.len ? arr->u.a.len : 1, sizeof(*rb));
	if (!v || !rb)
		return TG_E_TOOBIG;
	for (i = 0; i < arr->u.a.len; i++) {
		r = parse_item(a, arr->u.a.items[i], inspection, &v[i], &rb[i], d);
		if (r != TG_OK)
			return r;
	}
	*out = v;
	*n = arr->u.a.len;
	return tg_json_new_array(a, rb, arr->u.a.len, rebuilt);
}

static tg_err parse_layout(struct tg_arena *a, const struct tg_json *s,
			   struct tg_intoto_layout *l, const struct tg_json **rebuilt,
			   struct tg_diag *d)
{
	static const char *const allowed[] = {"_type", "steps",   "inspect",
					      "keys",  "expires", "readme"};
	const struct tg_json *steps, *insp, *keys, *exp, *readme, *rs, *ri, *t;
	struct tg_json_member m[6];
	size_t i, j;
	tg_err r;

	r = only_members(s, allowed, 6, "layout", d);
	if (r == TG_OK)
		r = field(s, "steps", TG_JSON_ARRAY, &tg_json_empty_array_v, "layout", &steps, d);
	if (r == TG_OK)
		r = field(s, "inspect", TG_JSON_ARRAY, &tg_json_empty_array_v, "layout", &insp, d);
	if (r == TG_OK)
		r = field(s, "keys", TG_JSON_OBJECT, &tg_json_empty_object_v, "layout", &keys, d);
	if (r == TG_OK)
		r = field(s, "expires", TG_JSON_STRING, NULL, "layout", &exp, d);
	if (r == TG_OK)
		r = jstr(a, "", &readme);
	if (r == TG_OK)
		r = field(s, "readme", TG_JSON_STRING, readme, "layout", &readme, d);
	if (r != TG_OK)
		return r;
	if (!expires_form(exp->u.s.p, exp->u.s.len) ||
	    tg_time_parse(exp->u.s.p, exp->u.s.len, &l->expiry, NULL) != TG_OK) {
		tg_diag_set(d, "layout 'expires' is not a date like 2030-01-31T00:00:00Z");
		return TG_E_PARSE;
	}
	l->expires = exp->u.s.p;
	if (keys->u.o.len > TG_LIMIT_INTOTO_KEYS) {
		tg_diag_set(d, "layout has more than %d keys", TG_LIMIT_INTOTO_KEYS);
		return TG_E_TOOBIG;
	}
	for (i = 0; i < keys->u.o.len; i++) {
		const struct tg_json *k = keys->u.o.items[i].key;
		if (!is_hex(k->u.s.p, k->u.s.len) || keys->u.o.items[i].val->type != TG_JSON_OBJECT) {
			tg_diag_set(d, "layout keys: '%.70s' is not a hex key id with a key object",
				    k->u.s.p);
			return TG_E_PARSE;
		}
	}
	l->keys = keys;
	r = parse_items(a, steps, false, &l->steps, &l->n_steps, &rs, d);
	if (r == TG_OK)
		r = parse_items(a, insp, true, &l->inspect, &l->n_inspect, &ri, d);
	if (r != TG_OK)
		return r;
	/* names are unique across steps and inspections (Layout._validate_steps_and_inspections) */
	for (i = 0; i < l->n_steps + l->n_inspect; i++) {
		const char *ni = i < l->n_steps ? l->steps[i].name : l->inspect[i - l->n_steps].name;
		for (j = 0; j < i; j++) {
			const char *nj =
				j < l->n_steps ? l->steps[j].name : l->inspect[j - l->n_steps].name;
			if (strcmp(ni, nj) == 0) {
				tg_diag_set(d, "layout has two steps or inspections named '%.60s'",
					    ni);
				return TG_E_PARSE;
			}
		}
	}
	r = jstr(a, "layout", &t);
	if (r == TG_OK)
		r = member(a, &m[0], "_type", t);
	if (r == TG_OK)
		r = member(a, &m[1], "steps", rs);
	if (r == TG_OK)
		r = member(a, &m[2], "inspect", ri);
	if (r == TG_OK)
		r = member(a, &m[3], "keys", keys);
	if (r == TG_OK)
		r = member(a, &m[4], "expires", exp);
	if (r == TG_OK)
		r = member(a, &m[5], "readme", readme);
	if (r == TG_OK)
		r = tg_json_new_object(a, m, 6, TG_JSON_DUP_REJECT, rebuilt);
	return r;
}

tg_err tg_intoto_meta_parse(struct tg_arena *a, const void *text, size_t n,
			    struct tg_intoto_meta *out, struct tg_diag *d)
{
	static const char *const top[] = {"signatures", "signed"};
	static const char *const sigm[] = {"keyid", "sig"};
	struct tg_intoto_meta m;
	const struct tg_json *doc = NULL, *sigs, *s, *t;
	struct tg_buf c = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	size_t i;
	tg_err r;

	memset(&m, 0, sizeof(m));
	if (n > TG_LIMIT_INTOTO_FILE) {
		tg_diag_set(d, "metadata is larger than %zu bytes", (size_t)TG_LIMIT_INTOTO_FILE);
		return TG_E_TOOBIG;
	}
	r = tg_json_parse(a, text, n, NULL, &doc, NULL, d);
	if (r != TG_OK)
		goto out;
	if (doc->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "metadata is not a JSON object");
		r = TG_E_PARSE;
		goto out;
	}
	r = only_members(doc, top, 2, "metadata", d);
	if (r == TG_OK)
		r = field(doc, "signatures", TG_JSON_ARRAY, &tg_json_empty_array_v, "metadata",
			  &sigs, d);
	if (r == TG_OK)
		r = field(doc, "signed", TG_JSON_OBJECT, NULL, "metadata", &s, d);
	if (r != TG_OK)
		goto out;
	if (sigs->u.a.len > TG_LIMIT_INTOTO_SIGS) {
		tg_diag_set(d, "metadata has more than %d signatures", TG_LIMIT_INTOTO_SIGS);
		r = TG_E_TOOBIG;
		goto out;
	}
	m.sigs = tg_arena_alloc_array(a, sigs->u.a.len ? sigs->u.a.len : 1, sizeof(*m.sigs));
	if (!m.sigs) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < sigs->u.a.len; i++) {
		const struct tg_json *o = sigs->u.a.items[i], *kid, *sg;
		if (o->type != TG_JSON_OBJECT || only_members(o, sigm, 2, "signature", NULL) != TG_OK ||
		    field(o, "keyid", TG_JSON_STRING, NULL, "signature", &kid, NULL) != TG_OK ||
		    field(o, "sig", TG_JSON_STRING, NULL, "signature", &sg, NULL) != TG_OK ||
		    !is_hex(kid->u.s.p, kid->u.s.len) || !is_hex(sg->u.s.p, sg->u.s.len)) {
			tg_diag_set(d, "signature %zu is not {\"keyid\": hex, \"sig\": hex} "
				    "(GPG signatures are not supported)", i + 1);
			r = TG_E_PARSE;
			goto out;
		}
		m.sigs[i].keyid = kid->u.s.p;
		m.sigs[i].sig = sg->u.s.p;
		m.sigs[i].sig_len = sg->u.s.len;
	}
	m.n_sigs = sigs->u.a.len;
	t = tg_json_get(s, "_type");
	if (tg_json_str_eq(t, "link")) {
		m.type = TG_INTOTO_LINK;
		r = parse_link(a, s, &m.link, d);
		if (r == TG_OK)
			r = tg_intoto_link_to_json(a, &m.link, &m.signed_obj);
	} else if (tg_json_str_eq(t, "layout")) {
		m.type = TG_INTOTO_LAYOUT;
		r = parse_layout(a, s, &m.layout, &m.signed_obj, d);
	} else {
		tg_diag_set(d, "signed '_type' is neither \"link\" nor \"layout\"");
		r = TG_E_PARSE;
	}
	if (r != TG_OK)
		goto out;
	r = tg_intoto_canon(&c, m.signed_obj);
	if (r != TG_OK) {
		tg_diag_set(d, "signed object has no canonical form (%s)",
			    r == TG_E_TYPE ? "a number that is not an integer" : tg_strerror(r));
		goto out;
	}
	m.canon = tg_arena_memdup(a, c.data, c.len);
	if (!m.canon) {
		r = TG_E_TOOBIG;
		goto out;
	}
	m.canon_len = c.len;
	*out = m;
out:
	tg_buf_release(&c);
	return tg_diag_fill(d, r);
}

tg_err tg_intoto_meta_verify(const struct tg_intoto_meta *m, const char *keyid,
			     const struct tg_key *k, enum tg_sig_alg alg, struct tg_diag *d)
{
	struct tg_buf sig = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	size_t i;
	tg_err r;

	for (i = 0; i < m->n_sigs; i++)
		if (strcmp(m->sigs[i].keyid, keyid) == 0)
			break;
	if (i == m->n_sigs) {
		tg_diag_set(d, "no signature by key %.64s", keyid);
		return TG_E_NOTFOUND;
	}
	r = tg_hex_decode(&sig, m->sigs[i].sig, m->sigs[i].sig_len);
	if (r == TG_OK)
		r = tg_verify(k, alg, TG_SIG_FORMAT_DER, m->canon, m->canon_len, sig.data, sig.len);
	if (r != TG_OK) {
		tg_diag_set(d, "invalid signature by key %.64s", keyid);
		r = TG_E_VERIFY;
	}
	tg_buf_release(&sig);
	return r;
}

tg_err tg_intoto_sign(struct tg_arena *a, const struct tg_json *signed_obj,
		      const struct tg_key *k, struct tg_buf *out,
		      char keyid[TG_INTOTO_KEYID_HEX + 1])
{
	struct tg_buf c = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	struct tg_buf sig = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf hex = TG_BUF_INIT(2 * TG_LIMIT_DER);
	const struct tg_json *dict, *kid, *sv, *so, *arr, *doc;
	struct tg_json_member sm[2], dm[2];
	enum tg_sig_alg alg;
	char id[TG_INTOTO_KEYID_HEX + 1];
	size_t mark = out->len;
	tg_err r;

	r = tg_intoto_key_describe(k, a, &dict, id, &alg);
	if (r == TG_OK)
		r = tg_intoto_canon(&c, signed_obj);
	if (r == TG_OK)
		r = tg_sign(k, alg, TG_SIG_FORMAT_DER, c.data, c.len, &sig);
	if (r == TG_OK)
		r = tg_hex_encode(&hex, sig.data, sig.len);
	if (r == TG_OK)
		r = jstr(a, id, &kid);
	if (r == TG_OK)
		r = tg_json_new_string(a, (const char *)hex.data, hex.len, &sv);
	if (r == TG_OK)
		r = member(a, &sm[0], "keyid", kid);
	if (r == TG_OK)
		r = member(a, &sm[1], "sig", sv);
	if (r == TG_OK)
		r = tg_json_new_object(a, sm, 2, TG_JSON_DUP_REJECT, &so);
	if (r == TG_OK)
		r = tg_json_new_array(a, &so, 1, &arr);
	if (r == TG_OK)
		r = member(a, &dm[0], "signatures", arr);
	if (r == TG_OK)
		r = member(a, &dm[1], "signed", signed_obj);
	if (r == TG_OK)
		r = tg_json_new_object(a, dm, 2, TG_JSON_DUP_REJECT, &doc);
	if (r == TG_OK)
		r = tg_json_emit(out, doc, TG_JSON_EMIT_PRETTY);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	if (r == TG_OK)
		memcpy(keyid, id, sizeof(id));
	else
		tg_buf_truncate(out, mark);
	tg_buf_release(&c);
	tg_buf_release(&sig);
	tg_buf_release(&hex);
	return r;
}
