/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_intoto.c - legacy in-toto metadata: OLPC canonical JSON, key ids,
 * fnmatch, rule parsing and evaluation, link parse/sign/verify round trips
 * and refusals. Expected canonical bytes, key ids and fnmatch answers were
 * computed with securesystemslib 0.26 (encode_canonical, keys._get_keyid)
 * and Python 3.11's fnmatch.fnmatchcase, not by this code.
 */
#include <string.h>

#include "core/codec.h"
#include "sign/intoto.h"
#include "tg_test.h"

static const struct tg_json *parse(struct tg_arena *a, const char *s)
{
	const struct tg_json *v = NULL;
	if (tg_json_parse(a, s, strlen(s), NULL, &v, NULL, NULL) != TG_OK)
		return NULL;
	return v;
}

TEST(canon_olpc)
{
	struct tg_arena a;
	struct tg_buf out = TG_BUF_INIT(4096), hex = TG_BUF_INIT(8192);
	const struct tg_json *v;

	tg_arena_init(&a, TG_MIB);
	/* securesystemslib.formats.encode_canonical(json.loads(...)).encode().hex() */
	v = parse(&a, "{\"b\":[1,-0,\"a\\\"\\\\\\n\\u00e9\\ud83d\\ude00\"],\"a\":null,"
		      "\"\\u00e9\":true,\"Z\":false,\"\":{}}");
	CHECK(v != NULL);
	CHECK_OK(tg_intoto_canon(&out, v));
	CHECK_OK(tg_hex_encode(&hex, out.data, out.len));
	CHECK_STR(tg_buf_str(&hex),
		  "7b22223a7b7d2c225a223a66616c73652c2261223a6e756c6c2c2262223a5b312c302c22615c225c"
		  "5c0ac3a9f09f9880225d2c22c3a9223a747275657d");
	/* floats have no canonical form */
	tg_buf_reset(&out);
	CHECK_ERR(tg_intoto_canon(&out, parse(&a, "[1.0]")), TG_E_TYPE);
	CHECK_ERR(tg_intoto_canon(&out, parse(&a, "{\"x\":1e3}")), TG_E_TYPE);
	CHECK(out.len == 0);
	tg_buf_release(&out);
	tg_buf_release(&hex);
	tg_arena_release(&a);
}

TEST(keyids)
{
	/* RFC 8032 7.1 test 1 public key; key id by securesystemslib:
	 * keys._get_keyid("ed25519", "ed25519", {"public": <hex>}) */
	static const char ed_pub[] =
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	static const char ec_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEB6VBbMw9welz69hB51Y8+m1Cmbfh\n"
		"M52jZAei9qdvqCiyBLKko8ULwdNqHZrHl2gOQ4i8suJKCHsKrVmL/7Bang==\n"
		"-----END PUBLIC KEY-----\n";
	struct tg_arena a;
	struct tg_key *k = NULL, *k2 = NULL;
	uint8_t raw[32];
	const struct tg_json *dict;
	char keyid[TG_INTOTO_KEYID_HEX + 1], keyid2[TG_INTOTO_KEYID_HEX + 1];
	enum tg_sig_alg alg;
	struct tg_diag d;

	tg_arena_init(&a, TG_MIB);
	CHECK_OK(tg_hex_decode_to(raw, 32, ed_pub, 64));
	CHECK_OK(tg_key_from_ed25519_raw(raw, false, &k));
	CHECK_OK(tg_intoto_key_describe(k, &a, &dict, keyid, &alg));
	CHECK_STR(keyid, "01e8764eedab63b3593451765fc337b2cc6d2c66923845da255f448c19e2afc5");
	CHECK(alg == TG_SIG_EDDSA);
	/* and back from the dict */
	CHECK_OK(tg_intoto_key_from_dict(dict, &k2, &alg, keyid2, &d));
	CHECK_STR(keyid2, keyid);
	CHECK(k2 && tg_key_equal_public(k, k2));
	tg_key_free(k);
	tg_key_free(k2);
	k = k2 = NULL;

	/* P-256, keyval.public is the SPKI PEM without the final newline */
	CHECK_OK(tg_key_from_pem(ec_pem, sizeof(ec_pem) - 1, &k, NULL));
	CHECK_OK(tg_intoto_key_describe(k, &a, &dict, keyid, &alg));
	CHECK_STR(keyid, "5efe17f8dce3f495c7fc8bbc8031804c80f9ccb2bb4f2fd8a16c28d1c2387442");
	CHECK(alg == TG_SIG_ES256);
	tg_key_free(k);
	k = NULL;

	/* refusals: unknown scheme, key not matching its scheme */
	tg_diag_init(&d);
	CHECK_ERR(tg_intoto_key_from_dict(parse(&a, "{\"keytype\":\"sphincs\",\"scheme\":"
						   "\"sphincs-shake-128s\",\"keyval\":{\"public\":\"00\"}}"),
					  &k, &alg, keyid, &d),
		  TG_E_UNSUPPORTED);
	CHECK(d.msg[0] != '\0');
	CHECK_ERR(tg_intoto_key_from_dict(parse(&a, "{\"keytype\":\"ed25519\",\"scheme\":"
						   "\"ed25519\",\"keyval\":{\"public\":\"00ff\"}}"),
					  &k, &alg, keyid, &d),
		  TG_E_KEY);
	CHECK(k == NULL);
	tg_arena_release(&a);
}

TEST(fnmatch_python)
{
	static const struct {
		const char *pat, *s;
		bool want;
	} v[] = {
		{"*.py", "a/b.py", true},   {"foo?", "foo/", true},
		{"[a-c]x", "bx", true},     {"[!a-c]x", "bx", false},
		{"[]]", "]", true},         {"[!]]", "a", true},
		{"[z-a]", "z", false},      {"a[", "a[", true},
		{"*", "", true},            {"\xc3\xa9?", "\xc3\xa9\xc3\xa9", true},
		{"?", "\xc3\xa9", true},    {"[^a]", "^", true},
		{"*.tar.gz", "dist/x.tar.gz", true}, {"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false}, {"[a-]", "-", true},
		{"[\\]", "\\", true},       {"[!]", "!", false},
		{"[!]", "[!]", true},
	};
	size_t i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool got = tg_intoto_fnmatch(v[i].pat, strlen(v[i].pat), v[i].s, strlen(v[i].s));
		if (got != v[i].want)
			fprintf(stderr, "fnmatch('%s', '%s') = %d\n", v[i].s, v[i].pat, got);
		CHECK(got == v[i].want);
	}
}

TEST(normpath)
{
	static const char *const v[][2] = {
		{"", "."},         {".", "."},       {"./a//b/", "a/b"}, {"a/../..", ".."},
		{"/../a", "/a"},   {"//a", "//a"},   {"///a", "/a"},     {"a/./b/../c", "a/c"},
		{"../../x", "../../x"},
	};
	struct tg_arena a;
	size_t i;
	tg_arena_init(&a, TG_MIB);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *o = NULL;
		CHECK_OK(tg_intoto_normpath(&a, v[i][0], strlen(v[i][0]), &o));
		CHECK_STR(o, v[i][1]);
	}
	tg_arena_release(&a);
}

/* A layout with one step and the given rules (JSON arrays), parsed. */
static tg_err item_with_rules(struct tg_arena *a, const char *mat, const char *prod,
			      struct tg_intoto_item *it)
{
	char text[2048];
	struct tg_intoto_meta m;
	tg_err r;
	snprintf(text, sizeof(text),
		 "{\"signatures\":[],\"signed\":{\"_type\":\"layout\",\"expires\":"
		 "\"2030-01-01T00:00:00Z\",\"keys\":{},\"steps\":[{\"name\":\"s\","
		 "\"expected_materials\":%s,\"expected_products\":%s}]}}",
		 mat, prod);
	r = tg_intoto_meta_parse(a, text, strlen(text), &m, NULL);
	if (r == TG_OK)
		*it = m.layout.steps[0];
	return r;
}

static const struct tg_intoto_link *link_of(struct tg_arena *a, const char *name,
					    const char *mat, const char *prod)
{
	char text[2048];
	struct tg_intoto_meta *m = tg_arena_alloc(a, sizeof(*m));
	snprintf(text, sizeof(text),
		 "{\"signed\":{\"_type\":\"link\",\"name\":\"%s\",\"materials\":%s,"
		 "\"products\":%s}}",
		 name, mat, prod);
	if (tg_intoto_meta_parse(a, text, strlen(text), m, NULL) != TG_OK)
		return NULL;
	return &m->link;
}

#define H1 "{\"sha256\":\"11\"}"
#define H2 "{\"sha256\":\"22\"}"

TEST(rules)
{
	struct tg_arena a;
	struct tg_intoto_item it;
	const struct tg_intoto_link *prev, *cur;
	const char *names[2] = {"prev", "s"};
	const struct tg_intoto_link *links[2];
	struct tg_intoto_linkset ls = {names, links, 2};
	struct tg_diag d;

	tg_arena_init(&a, 4 * TG_MIB);
	prev = link_of(&a, "prev", "{}", "{\"src/a.c\":" H1 ",\"b.c\":" H2 "}");
	cur = link_of(&a, "s", "{\"a.c\":" H1 ",\"b.c\":" H1 ",\"old\":" H1 "}",
		      "{\"a.c\":" H1 ",\"b.c\":" H2 ",\"new\":" H2 "}");
	CHECK(prev && cur);
	links[0] = prev;
	links[1] = cur;

	/* MATCH with source and destination prefixes, then DISALLOW the rest */
	CHECK_OK(item_with_rules(&a, "[[\"MATCH\",\"a.c\",\"WITH\",\"PRODUCTS\",\"IN\",\"src\","
				     "\"FROM\",\"prev\"],[\"DELETE\",\"old\"],[\"ALLOW\",\"b.c\"],"
				     "[\"DISALLOW\",\"*\"]]",
				 "[[\"CREATE\",\"new\"],[\"MODIFY\",\"b.c\"],[\"match\",\"*\",\"with\","
				 "\"materials\",\"from\",\"s\"],[\"REQUIRE\",\"new\"],[\"DISALLOW\",\"*\"]]",
				 &it));
	CHECK_OK(tg_intoto_rules_verify(&a, &it, false, cur, &ls, NULL));
	/* REQUIRE after CREATE consumed "new": not found */
	tg_diag_init(&d);
	CHECK_ERR(tg_intoto_rules_verify(&a, &it, true, cur, &ls, &d), TG_E_VERIFY);
	CHECK(strstr(d.msg, "product rule 4 'REQUIRE new'") != NULL);

	/* a MATCH whose digests differ consumes nothing: DISALLOW names it */
	CHECK_OK(item_with_rules(&a, "[[\"MATCH\",\"b.c\",\"WITH\",\"PRODUCTS\",\"FROM\",\"prev\"],"
				     "[\"DISALLOW\",\"b.*\"]]",
				 "[]", &it));
	tg_diag_init(&d);
	CHECK_ERR(tg_intoto_rules_verify(&a, &it, false, cur, &ls, &d), TG_E_VERIFY);
	CHECK_STR(d.msg, "step 's': material rule 2 'DISALLOW b.*' matched disallowed artifacts "
			 "'b.c'");
	/* MATCH against a step that has no link consumes nothing, DISALLOW of
	 * a pattern matching nothing passes */
	CHECK_OK(item_with_rules(&a, "[[\"MATCH\",\"*\",\"WITH\",\"PRODUCTS\",\"FROM\",\"nope\"],"
				     "[\"DISALLOW\",\"zz*\"]]",
				 "[]", &it));
	CHECK_OK(tg_intoto_rules_verify(&a, &it, false, cur, &ls, NULL));

	/* malformed rules are refused when the layout is parsed */
	CHECK_ERR(item_with_rules(&a, "[[\"MATCH\",\"*\",\"WITH\",\"BOTH\",\"FROM\",\"x\"]]", "[]",
				  &it),
		  TG_E_PARSE);
	CHECK_ERR(item_with_rules(&a, "[[\"CREATE\",\"a\",\"b\"]]", "[]", &it), TG_E_PARSE);
	CHECK_ERR(item_with_rules(&a, "[[\"FROB\",\"a\"]]", "[]", &it), TG_E_PARSE);
	CHECK_ERR(item_with_rules(&a, "[[\"CREATE\"]]", "[]", &it), TG_E_PARSE);
	CHECK_ERR(item_with_rules(&a, "[[\"CREATE\",1]]", "[]", &it), TG_E_PARSE);
	tg_arena_release(&a);
}

TEST(link_roundtrip)
{
	struct tg_arena a;
	struct tg_buf file = TG_BUF_INIT(TG_MIB);
	struct tg_key *k = NULL, *other = NULL;
	struct tg_intoto_link l;
	struct tg_intoto_meta m;
	const struct tg_json *signed_obj, *dict;
	char keyid[TG_INTOTO_KEYID_HEX + 1], kid2[TG_INTOTO_KEYID_HEX + 1];
	enum tg_sig_alg alg;
	static const enum tg_key_type types[] = {TG_KEY_ED25519, TG_KEY_EC_P256, TG_KEY_EC_P384,
						 TG_KEY_RSA};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tg_arena_init(&a, 8 * TG_MIB);
		tg_buf_reset(&file);
		CHECK_OK(tg_key_generate(types[i], types[i] == TG_KEY_RSA ? 2048 : 0, &k));
		CHECK_OK(tg_key_generate(TG_KEY_ED25519, 0, &other));
		memset(&l, 0, sizeof(l));
		l.name = "build \"x\" \xc3\xa9";
		l.materials = parse(&a, "{\"a\":{\"sha256\":\"00\"}}");
		l.products = &tg_json_empty_object_v;
		l.byproducts = parse(&a, "{\"return-value\":-1,\"stdout\":\"\\\\\"}");
		l.command = parse(&a, "[\"make\",\"all\"]");
		l.environment = &tg_json_empty_object_v;
		CHECK_OK(tg_intoto_link_to_json(&a, &l, &signed_obj));
		CHECK_OK(tg_intoto_sign(&a, signed_obj, k, &file, keyid));
		CHECK_OK(tg_intoto_meta_parse(&a, file.data, file.len, &m, NULL));
		CHECK(m.type == TG_INTOTO_LINK && m.n_sigs == 1);
		CHECK_STR(m.link.name, l.name);
		CHECK_OK(tg_intoto_key_describe(k, &a, &dict, kid2, &alg));
		CHECK_STR(kid2, keyid);
		CHECK_OK(tg_intoto_meta_verify(&m, keyid, k, alg, NULL));
		/* another key, another key id, a changed byte: all refused */
		CHECK_ERR(tg_intoto_meta_verify(&m, keyid, other, TG_SIG_EDDSA, NULL),
			  types[i] == TG_KEY_ED25519 ? TG_E_VERIFY : TG_E_VERIFY);
		CHECK_ERR(tg_intoto_meta_verify(&m, "00", k, alg, NULL), TG_E_NOTFOUND);
		p = strstr((char *)file.data, "\"make\"");
		CHECK(p != NULL);
		if (p) {
			p[1] = 'M';
			CHECK_OK(tg_intoto_meta_parse(&a, file.data, file.len, &m, NULL));
			CHECK_ERR(tg_intoto_meta_verify(&m, keyid, k, alg, NULL), TG_E_VERIFY);
		}
		tg_key_free(k);
		tg_key_free(other);
		k = other = NULL;
		tg_arena_release(&a);
	}
	tg_buf_release(&file);
}

TEST(parse_refusals)
{
	static const char *const bad[] = {
		"[]",
		"{\"signed\":{\"_type\":\"link\"}}",
		"{\"signed\":{\"_type\":\"link\",\"name\":\"x\",\"extra\":1}}",
		"{\"signed\":{\"_type\":\"link\",\"name\":\"x\",\"materials\":{\"a\":\"00\"}}}",
		"{\"signed\":{\"_type\":\"link\",\"name\":\"x\",\"materials\":{\"a\":{\"sha256\":\"xy\"}}}}",
		"{\"signed\":{\"_type\":\"link\",\"name\":\"x\",\"byproducts\":{\"n\":1.5}}}",
		"{\"signed\":{\"_type\":\"thing\"}}",
		"{\"signatures\":[{\"keyid\":\"ab\",\"sig\":\"zz\"}],\"signed\":{\"_type\":\"link\",\"name\":\"x\"}}",
		"{\"signatures\":[{\"keyid\":\"ab\",\"other_headers\":\"00\",\"signature\":\"00\"}],"
		"\"signed\":{\"_type\":\"link\",\"name\":\"x\"}}",
		"{\"signed\":{\"_type\":\"layout\"}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01\"}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01T00:00:00Z\","
		"\"steps\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01T00:00:00Z\","
		"\"steps\":[{\"name\":\"../a\"}]}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01T00:00:00Z\","
		"\"steps\":[{\"name\":\"a\",\"pubkeys\":[\"nothex\"]}]}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01T00:00:00Z\","
		"\"steps\":[{\"name\":\"a\",\"threshold\":1.5}]}}",
		"{\"signed\":{\"_type\":\"layout\",\"expires\":\"2030-01-01T00:00:00Z\","
		"\"inspect\":[{\"name\":\"a\",\"run\":[1]}]}}",
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tg_arena a;
		struct tg_intoto_meta m;
		struct tg_diag d;
		tg_err r;
		tg_arena_init(&a, TG_MIB);
		tg_diag_init(&d);
		r = tg_intoto_meta_parse(&a, bad[i], strlen(bad[i]), &m, &d);
		if (r == TG_OK)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(r != TG_OK);
		CHECK(d.msg[0] != '\0');
		tg_arena_release(&a);
	}
}

int main(void)
{
	RUN(canon_olpc);
	RUN(keyids);
	RUN(fnmatch_python);
	RUN(normpath);
	RUN(rules);
	RUN(link_roundtrip);
	RUN(parse_refusals);
	return tg_test_done();
}
