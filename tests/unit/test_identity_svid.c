/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_svid.c - X509-SVID and JWT-SVID verification: go-spiffe's
 * leaf certificates from $TG_TESTDATA/spiffe, round trips through the CA,
 * and one case per rule of X509-SVID 5 and JWT-SVID 2-4, plus bundles.
 */

/*
 * The go-spiffe leaves come without their CA: each is self-signed, so the
 * tests put a leaf in the bundle as its own authority, at a time inside
 * its validity (2022). The chain then verifies (checked separately with
 * tg_x509_verify), which shows that the wrong-leaf-* files are rejected by
 * the SPIFFE leaf rules and for the reason their names give.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/mem.h"
#include "identity/identity.h"
#include "tg_test.h"

#define TD "example.org"
#define T2022 1650000000 /* 2022-04-15, inside the go-spiffe leaves' validity */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct tg_time at(int64_t s)
{
	struct tg_time t = {s, 0};
	return t;
}

static char tmp_root[64];

static const char *new_ca(const char *name, const char *td, enum tg_key_type kt,
			  struct tg_time now)
{
	static char paths[16][128];
	static int n;
	char *p = paths[n++ % 16];
	struct tg_diag d;
	tg_err r;
	snprintf(p, 128, "%s/%s", tmp_root, name);
	tg_diag_init(&d);
	r = tg_ca_init(p, td, kt, now, &d);
	if (r != TG_OK) {
		fprintf(stderr, "tg_ca_init: %s: %s\n", tg_strerror(r), d.msg);
		exit(2);
	}
	return p;
}

static struct tg_ca *open_ca(const char *dir)
{
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_ca_open(dir, &ca, &d) != TG_OK) {
		fprintf(stderr, "tg_ca_open: %s\n", d.msg);
		exit(2);
	}
	return ca;
}

static struct tg_key *gen(enum tg_key_type t)
{
	struct tg_key *k = NULL;
	if (tg_key_generate(t, t == TG_KEY_RSA ? 2048 : 0, &k) != TG_OK)
		exit(2);
	return k;
}

static void id_of(const char *s, struct tg_spiffe_id *id)
{
	if (tg_spiffe_id_parse(s, strlen(s), id, NULL) != TG_OK)
		exit(2);
}

/* A bundle set of n bundles (moved in). */
static void set_of(struct tg_bundle_set *s, struct tg_bundle *b, size_t n)
{
	size_t i;
	s->b = tg_xcalloc(n ? n : 1, sizeof(*s->b));
	for (i = 0; i < n; i++)
		s->b[i] = b[i];
	s->n = n;
}

/* Verifies chain[0] with chain[1..] and expects want with msg in d. */
static void x509_expect(const struct tg_x509_list *chain, const struct tg_bundle_set *set,
			struct tg_time now, const struct tg_revocations *rev, tg_err want,
			const char *msg, const char *want_id)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	tg_err r;
	memset(&id, 0, sizeof(id));
	tg_diag_init(&d);
	r = tg_x509_svid_verify(chain->certs[0], (const struct tg_x509 *const *)chain->certs + 1,
				chain->count - 1, set, now, rev, &id, &d);
	CHECK_ERR(r, want);
	if (msg && !strstr(d.msg, msg)) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", d.msg, msg);
		CHECK(0);
	}
	if (r != TG_OK && want == TG_OK)
		fprintf(stderr, "  unexpected: %s\n", d.msg);
	if (want_id)
		CHECK_STR(id.uri, want_id);
	if (r != TG_OK)
		CHECK(id.uri[0] == '\0'); /* nothing written on failure */
}

static tg_err jwt_verify(const char *tok, const struct tg_bundle_set *set, const char *aud,
			 struct tg_time now, const struct tg_revocations *rev,
			 struct tg_spiffe_id *id, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *claims = NULL;
	tg_err r;
	tg_arena_init(&a, 1 << 20);
	tg_diag_init(d);
	memset(id, 0, sizeof(*id));
	r = tg_jwt_svid_verify(tok, strlen(tok), set, aud, now, rev, &a, id, &claims, d);
	if (r == TG_OK)
		CHECK(claims && tg_json_str_eq(tg_json_get(claims, "sub"), id->uri));
	tg_arena_release(&a);
	return r;
}

static void jwt_expect(const char *tok, const struct tg_bundle_set *set, const char *aud,
		       struct tg_time now, const struct tg_revocations *rev, tg_err want,
		       const char *msg)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	tg_err r = jwt_verify(tok, set, aud, now, rev, &id, &d);
	CHECK_ERR(r, want);
	if (r != want || (msg && !strstr(d.msg, msg))) {
		fprintf(stderr, "  message '%s' (want '%s')\n", d.msg, msg ? msg : "");
		CHECK(!msg || strstr(d.msg, msg));
	}
	if (r != TG_OK)
		CHECK(id.uri[0] == '\0');
}

/* ------------------------------------------------------------------ */
/* go-spiffe's leaf certificates                                       */
/* ------------------------------------------------------------------ */

static struct tg_x509 *load_pem_cert(const char *path)
{
	size_t n;
	char *text = tg_test_read_file(path, &n);
	struct tg_x509_list l = {NULL, 0};
	struct tg_x509 *c = NULL;
	if (tg_x509_list_from_pem(text, n, &l, NULL) == TG_OK && l.count == 1)
		c = tg_x509_ref(l.certs[0]);
	tg_x509_list_release(&l);
	free(text);
	return c;
}

TEST(spiffe_testdata)
{
	static const struct {
		const char *file;
		tg_err want;
		const char *reason;
	} cases[] = {
		{"good-leaf-only.pem", TG_OK, NULL},
		{"wrong-leaf-ca-true.pem", TG_E_VERIFY, "leaf is a CA"},
		{"wrong-leaf-cert-sign.pem", TG_E_VERIFY, "keyCertSign"},
		{"wrong-leaf-crl-sign.pem", TG_E_VERIFY, "cRLSign"},
		{"wrong-leaf-empty-id.pem", TG_E_VERIFY, "no URI SAN"},
		{"wrong-leaf-no-digital-signature.pem", TG_E_VERIFY, "lacks digitalSignature"},
	};
	const char *dir = tg_test_testdata("spiffe/good-leaf-only.pem");
	char base[4096], path[4200];
	size_t i;
	int accepted = 0, rejected = 0;

	if (!dir)
		return;
	snprintf(base, sizeof(base), "%s", dir);
	*strrchr(base, '/') = '\0';
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		struct tg_x509 *c;
		struct tg_x509_list chain = {NULL, 0};
		struct tg_bundle b;
		struct tg_bundle_set set = {NULL, 0};
		const struct tg_x509 *self[1];

		snprintf(path, sizeof(path), "%s/%s", base, cases[i].file);
		c = load_pem_cert(path);
		CHECK(c != NULL);
		if (!c)
			continue;
		self[0] = c;
		/* the chain itself is fine in 2022: each leaf is its own anchor */
		CHECK_OK(tg_x509_verify(c, NULL, 0, self, 1, at(T2022), 0, NULL, NULL));

		chain.certs = &c;
		chain.count = 1;
		memset(&b, 0, sizeof(b));
		snprintf(b.td, sizeof(b.td), "%s", TD);
		b.x509.certs = tg_xcalloc(1, sizeof(*b.x509.certs));
		b.x509.certs[0] = tg_x509_ref(c);
		b.x509.count = 1;
		set_of(&set, &b, 1);
		x509_expect(&chain, &set, at(T2022), NULL, cases[i].want, cases[i].reason,
			    cases[i].want == TG_OK ? "spiffe://example.org/workload-1" : NULL);
		/* leaf rules come first: the same reason with no bundle at all */
		if (cases[i].want != TG_OK)
			x509_expect(&chain, NULL, at(T2022), NULL, cases[i].want, cases[i].reason,
				    NULL);
		else
			x509_expect(&chain, NULL, at(T2022), NULL, TG_E_VERIFY,
				    "no trust bundle for trust domain 'example.org'", NULL);
		if (cases[i].want == TG_OK) {
			/* the good leaf is past its notAfter (2025-03-29) today */
			x509_expect(&chain, &set, tg_time_now(), NULL, TG_E_VERIFY, "expired",
				    NULL);
			/* and before its notBefore (2020-03-30) */
			x509_expect(&chain, &set, at(1500000000), NULL, TG_E_VERIFY,
				    "not yet valid", NULL);
			accepted++;
		} else {
			rejected++;
		}
		fprintf(stderr, "  spiffe/%s: %s\n", cases[i].file,
			cases[i].want == TG_OK ? "accepted" : cases[i].reason);
		tg_bundle_set_release(&set);
		tg_x509_free(c);
	}
	CHECK(accepted == 1 && rejected == 5);
}

/* ------------------------------------------------------------------ */
/* Round trips through the CA                                          */
/* ------------------------------------------------------------------ */

static void roundtrip(enum tg_key_type ca_kt)
{
	static const enum tg_key_type leaf_kts[] = {TG_KEY_EC_P256, TG_KEY_EC_P384, TG_KEY_RSA,
						    TG_KEY_ED25519};
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(ca_kt == TG_KEY_EC_P256 ? "rt256" : "rt384", TD, ca_kt, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_bundle_set set = {NULL, 0};
	struct tg_x509_list chain = {NULL, 0};
	struct tg_buf tok = TG_BUF_INIT(1 << 16);
	struct tg_spiffe_id id, got;
	struct tg_revocations rev = tg_ca_revocations(ca);
	struct tg_diag d;
	const char *aud[] = {"spiffe://example.org/db"};
	size_t i;

	id_of("spiffe://example.org/ns/prod/sa/api", &id);
	CHECK_OK(tg_ca_bundles(ca, &set));
	for (i = 0; i < TG_ARRAY_LEN(leaf_kts); i++) {
		struct tg_key *k = gen(leaf_kts[i]);
		CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, now, &chain, NULL));
		if (chain.count == 2) {
			x509_expect(&chain, &set, now, &rev, TG_OK, NULL, id.uri);
			x509_expect(&chain, &set, at(now.sec + 3599), &rev, TG_OK, NULL, id.uri);
		}
		tg_x509_list_release(&chain);
		tg_key_free(k);
	}
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 0, now, TG_SIG_NONE, &tok, NULL));
	CHECK_OK(jwt_verify(tg_buf_str(&tok), &set, aud[0], now, &rev, &got, &d));
	CHECK_STR(got.uri, id.uri);
	tg_buf_release(&tok);
	tg_bundle_set_release(&set);
	tg_ca_close(ca);
}

TEST(roundtrip_p256)
{
	roundtrip(TG_KEY_EC_P256);
}

TEST(roundtrip_p384)
{
	roundtrip(TG_KEY_EC_P384);
}

/* ------------------------------------------------------------------ */
/* X509-SVID failures                                                  */
/* ------------------------------------------------------------------ */

TEST(x509_failures)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca("xf", TD, TG_KEY_EC_P256, now);
	const char *odir = new_ca("xf-other", "other.test", TG_KEY_EC_P256, now);
	const char *sdir = new_ca("xf-same", TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir), *oca = open_ca(odir), *sca = open_ca(sdir);
	struct tg_bundle_set set = {NULL, 0}, oset = {NULL, 0}, sset = {NULL, 0};
	struct tg_bundle b[2];
	struct tg_x509_list chain = {NULL, 0}, ochain = {NULL, 0}, bare = {NULL, 0};
	struct tg_spiffe_id id, oid;
	struct tg_key *k = gen(TG_KEY_EC_P256);
	struct tg_revocations rev = tg_ca_revocations(ca);
	struct tg_buf serial = TG_BUF_INIT(128);

	id_of("spiffe://example.org/app", &id);
	id_of("spiffe://other.test/app", &oid);
	CHECK_OK(tg_ca_bundles(ca, &set));
	CHECK_OK(tg_ca_bundles(sca, &sset)); /* the same name, another CA */
	CHECK_OK(tg_ca_bundle(ca, &b[0]));
	memset(&b[1], 0, sizeof(b[1]));
	snprintf(b[1].td, sizeof(b[1].td), "other.test"); /* an empty bundle */
	set_of(&oset, b, 2);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 600, now, &chain, NULL));
	CHECK_OK(tg_ca_issue_x509(oca, &oid, k, 600, now, &ochain, NULL));

	/* time: expired (notAfter itself is still inside, RFC 5280 4.1.2.5),
	 * not yet valid */
	x509_expect(&chain, &set, at(now.sec + 600), NULL, TG_OK, NULL, id.uri);
	x509_expect(&chain, &set, at(now.sec + 601), NULL, TG_E_VERIFY, "expired", NULL);
	x509_expect(&chain, &set, at(now.sec - 120), NULL, TG_E_VERIFY, "not yet valid", NULL);
	/* the trust domain: no bundle for it; a bundle with no X.509 authority;
	 * a bundle of the same name from another CA */
	x509_expect(&ochain, &set, now, NULL, TG_E_VERIFY,
		    "no trust bundle for trust domain 'other.test'", NULL);
	x509_expect(&ochain, &oset, now, NULL, TG_E_VERIFY, "has no X.509 authorities", NULL);
	x509_expect(&chain, &sset, now, NULL, TG_E_VERIFY,
		    "does not chain to the bundle of 'example.org'", NULL);
	/* an SVID of example.org does not verify against other.test's root
	 * even when that root is offered under example.org's name */
	{
		struct tg_bundle ob;
		struct tg_bundle_set mix = {NULL, 0};
		CHECK_OK(tg_ca_bundle(oca, &ob));
		snprintf(ob.td, sizeof(ob.td), "%s", TD);
		set_of(&mix, &ob, 1);
		x509_expect(&chain, &mix, now, NULL, TG_E_VERIFY, "does not chain", NULL);
		tg_bundle_set_release(&mix);
	}
	/* without the intermediate there is no path */
	bare.certs = chain.certs;
	bare.count = 1;
	x509_expect(&bare, &set, now, NULL, TG_E_VERIFY, "does not chain", NULL);

	/* revocation of the leaf, then of the intermediate */
	x509_expect(&chain, &set, now, &rev, TG_OK, NULL, id.uri);
	CHECK_OK(tg_x509_serial_hex(chain.certs[0], &serial));
	CHECK_OK(tg_ca_revoke_serial(ca, tg_buf_str(&serial), NULL));
	x509_expect(&chain, &set, now, &rev, TG_E_VERIFY, "the leaf with serial", NULL);
	x509_expect(&chain, &set, now, NULL, TG_OK, NULL, id.uri);
	{
		struct tg_x509_list c2 = {NULL, 0};
		CHECK_OK(tg_ca_issue_x509(ca, &id, k, 600, now, &c2, NULL));
		x509_expect(&c2, &set, now, &rev, TG_OK, NULL, id.uri);
		tg_buf_reset(&serial);
		CHECK_OK(tg_x509_serial_hex(c2.certs[1], &serial));
		CHECK_OK(tg_ca_revoke_serial(ca, tg_buf_str(&serial), NULL));
		x509_expect(&c2, &set, now, &rev, TG_E_VERIFY, "a signing certificate with serial",
			    NULL);
		tg_x509_list_release(&c2);
	}

	tg_buf_release(&serial);
	tg_x509_list_release(&chain);
	tg_x509_list_release(&ochain);
	tg_bundle_set_release(&set);
	tg_bundle_set_release(&oset);
	tg_bundle_set_release(&sset);
	tg_key_free(k);
	tg_ca_close(ca);
	tg_ca_close(oca);
	tg_ca_close(sca);
}

/* Leaves the CA would never issue, built with tg_x509_build under a
 * test root and intermediate, one rule broken each. */
struct pki {
	struct tg_key *root_key, *inter_key, *leaf_key;
	struct tg_x509 *root, *inter;
	struct tg_bundle_set set;
};

static void pki_init(struct pki *p, const char *inter_uri)
{
	struct tg_x509_tmpl t;
	const char *ru[] = {"spiffe://" TD, NULL};
	const char *iu[] = {inter_uri, NULL};
	struct tg_bundle b;
	struct tg_time now = tg_time_now();

	memset(p, 0, sizeof(*p));
	p->root_key = gen(TG_KEY_EC_P256);
	p->inter_key = gen(TG_KEY_EC_P256);
	p->leaf_key = gen(TG_KEY_EC_P256);
	memset(&t, 0, sizeof(t));
	t.subject = "CN=test root";
	t.not_before = at(now.sec - 3600);
	t.not_after = at(now.sec + 86400);
	t.is_ca = true;
	t.path_len = -1;
	t.key_usage = TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN;
	t.san_uri = ru;
	CHECK_OK(tg_x509_build(&t, p->root_key, NULL, p->root_key, &p->root, NULL));
	t.subject = "CN=test intermediate";
	t.san_uri = iu;
	CHECK_OK(tg_x509_build(&t, p->inter_key, p->root, p->root_key, &p->inter, NULL));
	memset(&b, 0, sizeof(b));
	snprintf(b.td, sizeof(b.td), "%s", TD);
	b.x509.certs = tg_xcalloc(1, sizeof(*b.x509.certs));
	b.x509.certs[0] = tg_x509_ref(p->root);
	b.x509.count = 1;
	set_of(&p->set, &b, 1);
}

static void pki_release(struct pki *p)
{
	tg_key_free(p->root_key);
	tg_key_free(p->inter_key);
	tg_key_free(p->leaf_key);
	tg_x509_free(p->root);
	tg_x509_free(p->inter);
	tg_bundle_set_release(&p->set);
}

/* Builds a leaf from t (defaults filled in) and checks the verdict. */
static void crafted(struct pki *p, struct tg_x509_tmpl *t, tg_err want, const char *msg)
{
	struct tg_time now = tg_time_now();
	struct tg_x509 *leaf = NULL;
	struct tg_x509_list chain = {NULL, 0};
	struct tg_x509 *certs[2];
	struct tg_diag d;

	t->not_before = at(now.sec - 60);
	t->not_after = at(now.sec + 600);
	tg_diag_init(&d);
	CHECK_OK(tg_x509_build(t, p->leaf_key, p->inter, p->inter_key, &leaf, &d));
	if (!leaf) {
		fprintf(stderr, "  cannot build the leaf: %s\n", d.msg);
		return;
	}
	certs[0] = leaf;
	certs[1] = p->inter;
	chain.certs = certs;
	chain.count = 2;
	x509_expect(&chain, &p->set, now, NULL, want, msg, NULL);
	tg_x509_free(leaf);
}

TEST(x509_leaf_rules)
{
	struct pki p;
	struct tg_x509_tmpl t;
	const char *one[] = {"spiffe://example.org/app", NULL};
	const char *two[] = {"spiffe://example.org/app", "spiffe://example.org/other", NULL};
	const char *mixed[] = {"https://example.org/app", "spiffe://example.org/app", NULL};
	const char *notid[] = {"https://example.org/app", NULL};
	const char *badid[] = {"spiffe://example.org/a/../b", NULL};
	const char *rootid[] = {"spiffe://example.org", NULL};
	const char *dns[] = {"app.example.org", NULL};

	pki_init(&p, "spiffe://" TD);
#define BASE()                                                                              \
	do {                                                                                \
		memset(&t, 0, sizeof(t));                                                   \
		t.subject = "O=test";                                                       \
		t.path_len = -1;                                                            \
		t.key_usage = TG_KU_DIGITAL_SIGNATURE;                                      \
		t.ext_key_usage = TG_EKU_SERVER_AUTH | TG_EKU_CLIENT_AUTH;                  \
		t.san_uri = one;                                                            \
	} while (0)

	BASE();
	crafted(&p, &t, TG_OK, NULL);
	/* X509-SVID 2: other SAN types are fine; EKU is only a SHOULD */
	BASE();
	t.san_dns = dns;
	t.ext_key_usage = 0;
	crafted(&p, &t, TG_OK, NULL);
	/* an empty subject with a (critical) SAN is fine */
	BASE();
	t.subject = "";
	crafted(&p, &t, TG_OK, NULL);
	/* X509-SVID 2, 5.2: exactly one URI SAN, a valid SPIFFE ID */
	BASE();
	t.san_uri = two;
	crafted(&p, &t, TG_E_VERIFY, "leaf has 2 URI SANs");
	BASE();
	t.san_uri = mixed;
	crafted(&p, &t, TG_E_VERIFY, "leaf has 2 URI SANs");
	BASE();
	t.san_uri = notid;
	crafted(&p, &t, TG_E_VERIFY, "is not a SPIFFE ID: the scheme");
	BASE();
	t.san_uri = badid;
	crafted(&p, &t, TG_E_VERIFY, "dot segment");
	BASE();
	t.san_uri = NULL;
	t.san_dns = dns;
	crafted(&p, &t, TG_E_VERIFY, "no URI SAN");
	/* 3.1: a non-root path */
	BASE();
	t.san_uri = rootid;
	crafted(&p, &t, TG_E_VERIFY, "has no path");
	/* 4.1: CA:FALSE */
	BASE();
	t.is_ca = true;
	t.path_len = 0;
	t.key_usage = TG_KU_DIGITAL_SIGNATURE | TG_KU_KEY_CERT_SIGN;
	crafted(&p, &t, TG_E_VERIFY, "leaf is a CA");
	/* 4.3: key usage present, with digitalSignature, without cRLSign */
	BASE();
	t.key_usage = 0;
	crafted(&p, &t, TG_E_VERIFY, "no key usage extension");
	BASE();
	t.key_usage = TG_KU_KEY_AGREEMENT;
	crafted(&p, &t, TG_E_VERIFY, "lacks digitalSignature");
	BASE();
	t.key_usage = TG_KU_DIGITAL_SIGNATURE | TG_KU_CRL_SIGN;
	crafted(&p, &t, TG_E_VERIFY, "cRLSign");
	BASE();
	t.key_usage = TG_KU_DIGITAL_SIGNATURE | TG_KU_KEY_AGREEMENT;
	crafted(&p, &t, TG_OK, NULL);
	pki_release(&p);

	/* 3.2: a signing certificate's SPIFFE ID has no path */
	pki_init(&p, "spiffe://" TD "/intermediate");
	BASE();
	crafted(&p, &t, TG_E_VERIFY, "signing certificate at depth 1 has SPIFFE ID");
	pki_release(&p);
	/* a signing certificate without a SPIFFE ID is not an SVID: fine */
	pki_init(&p, "https://ca.example.org/");
	BASE();
	crafted(&p, &t, TG_OK, NULL);
	pki_release(&p);
#undef BASE
}

/* ------------------------------------------------------------------ */
/* Rotation                                                            */
/* ------------------------------------------------------------------ */

TEST(rotation)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca("rot", TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_bundle_set set = {NULL, 0};
	struct tg_x509_list old = {NULL, 0}, cur = {NULL, 0};
	struct tg_buf oldtok = TG_BUF_INIT(1 << 16), curtok = TG_BUF_INIT(1 << 16);
	struct tg_spiffe_id id, got;
	struct tg_key *k = gen(TG_KEY_EC_P256);
	struct tg_diag d;
	const char *aud[] = {"db"};

	id_of("spiffe://example.org/app", &id);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 3600, now, &old, NULL));
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 300, now, TG_SIG_NONE, &oldtok, NULL));
	CHECK_OK(tg_ca_rotate(ca, at(now.sec + 60), NULL));
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 3600, at(now.sec + 60), &cur, NULL));
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 300, at(now.sec + 60), TG_SIG_NONE, &curtok,
				 NULL));
	CHECK_OK(tg_ca_bundles(ca, &set));
	/* the SVID of the old intermediate still verifies, until it expires */
	x509_expect(&old, &set, at(now.sec + 120), NULL, TG_OK, NULL, id.uri);
	x509_expect(&old, &set, at(now.sec + 3600), NULL, TG_OK, NULL, id.uri);
	x509_expect(&old, &set, at(now.sec + 3601), NULL, TG_E_VERIFY, "expired", NULL);
	x509_expect(&cur, &set, at(now.sec + 120), NULL, TG_OK, NULL, id.uri);
	/* an old chain with the new intermediate does not */
	if (old.count == 2 && cur.count == 2) {
		struct tg_x509 *swap = old.certs[1];
		old.certs[1] = cur.certs[1];
		x509_expect(&old, &set, at(now.sec + 120), NULL, TG_E_VERIFY, "does not chain",
			    NULL);
		old.certs[1] = swap;
	}
	/* JWT-SVIDs of the old key still verify: it stays in the bundle */
	CHECK_OK(jwt_verify(tg_buf_str(&oldtok), &set, "db", at(now.sec + 120), NULL, &got, &d));
	CHECK_OK(jwt_verify(tg_buf_str(&curtok), &set, "db", at(now.sec + 120), NULL, &got, &d));
	tg_buf_release(&oldtok);
	tg_buf_release(&curtok);
	tg_x509_list_release(&old);
	tg_x509_list_release(&cur);
	tg_bundle_set_release(&set);
	tg_key_free(k);
	tg_ca_close(ca);
}

/* ------------------------------------------------------------------ */
/* JWT-SVID failures                                                   */
/* ------------------------------------------------------------------ */

/* A compact JWS from a header and claims given as JSON text, signed by k
 * with alg, or with sig as the signature bytes when k is NULL. */
static char *make_jws(const char *header, const char *claims, const struct tg_key *k,
		      enum tg_sig_alg alg)
{
	struct tg_buf t = TG_BUF_INIT(1 << 16), sig = TG_BUF_INIT(1024);
	uint8_t *p;
	size_t n;
	if (tg_b64_encode(&t, header, strlen(header), TG_B64_URL) != TG_OK ||
	    tg_buf_addc(&t, '.') != TG_OK ||
	    tg_b64_encode(&t, claims, strlen(claims), TG_B64_URL) != TG_OK)
		exit(2);
	if (k) {
		if (tg_sign(k, alg, TG_SIG_FORMAT_RAW, t.data, t.len, &sig) != TG_OK)
			exit(2);
	} else if (tg_buf_add(&sig, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			      64) != TG_OK) {
		exit(2);
	}
	if (tg_buf_addc(&t, '.') != TG_OK ||
	    tg_b64_encode(&t, sig.data, sig.len, TG_B64_URL) != TG_OK)
		exit(2);
	tg_buf_release(&sig);
	tg_buf_detach(&t, &p, &n);
	return (char *)p;
}

TEST(jwt_failures)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca("jf", TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_bundle_set set = {NULL, 0}, kset = {NULL, 0};
	struct tg_buf tok = TG_BUF_INIT(1 << 16), tok2 = TG_BUF_INIT(1 << 16);
	struct tg_revocations rev = tg_ca_revocations(ca);
	struct tg_spiffe_id id, oid, got;
	struct tg_key *ek = NULL, *ekid = NULL, *epub = NULL, *rk = NULL, *rkid = NULL;
	struct tg_key *rpub = NULL, *other = NULL, *okid = NULL;
	struct tg_bundle b;
	struct tg_arena a;
	const struct tg_json *c = NULL;
	struct tg_diag d;
	const char *aud[] = {"db"}, *aud2[] = {"db", "cache"};
	char cl[512], *t;
	const char *s;
	size_t n;

	id_of("spiffe://example.org/app", &id);
	id_of("spiffe://other.test/app", &oid);
	CHECK_OK(tg_ca_bundles(ca, &set));
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 300, now, TG_SIG_NONE, &tok, NULL));
	t = (char *)tg_buf_str(&tok);

	jwt_expect(t, &set, "db", now, &rev, TG_OK, NULL);
	/* JWT-SVID 3.2: aud must contain ours */
	jwt_expect(t, &set, "cache", now, &rev, TG_E_CLAIM, "audience 'cache'");
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud2, 2, 300, now, TG_SIG_NONE, &tok2, NULL));
	jwt_expect(tg_buf_str(&tok2), &set, "cache", now, &rev, TG_OK, NULL);
	jwt_expect(tg_buf_str(&tok2), &set, "web", now, &rev, TG_E_CLAIM, "not in token audience");
	/* 3.3: exp, with 30 seconds of skew */
	jwt_expect(t, &set, "db", at(now.sec + 329), &rev, TG_OK, NULL);
	jwt_expect(t, &set, "db", at(now.sec + 330), &rev, TG_E_EXPIRED, "expired");
	/* issued in the future beyond the skew */
	jwt_expect(t, &set, "db", at(now.sec - 31), &rev, TG_E_CLAIM, "future");
	/* the trust domain of sub has no bundle */
	jwt_expect(t, NULL, "db", now, &rev, TG_E_VERIFY, "no trust bundle for trust domain");
	/* revoked jti */
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_jwt_svid_verify(t, strlen(t), &set, "db", now, &rev, &a, &got, &c, NULL));
	CHECK_OK(tg_json_get_string(c, "jti", &s, &n));
	CHECK_OK(tg_ca_revoke_jti(ca, s, at(now.sec + 300), NULL));
	jwt_expect(t, &set, "db", now, &rev, TG_E_VERIFY, "is revoked");
	jwt_expect(t, &set, "db", now, NULL, TG_OK, NULL);
	tg_arena_release(&a);
	/* a tampered signature */
	{
		char *x = strdup(t);
		size_t l = strlen(x);
		x[l - 2] = x[l - 2] == 'A' ? 'B' : 'A';
		jwt_expect(x, &set, "db", now, NULL, TG_E_VERIFY, "does not verify");
		free(x);
	}
	/* not a JWS */
	jwt_expect("a.b", &set, "db", now, NULL, TG_E_PARSE, "3 parts");
	jwt_expect("", &set, "db", now, NULL, TG_E_PARSE, NULL);

	/* crafted tokens: our own keys in a bundle for example.org */
	ek = gen(TG_KEY_EC_P256);
	rk = gen(TG_KEY_RSA);
	other = gen(TG_KEY_EC_P256);
	CHECK_OK(tg_key_with_kid(ek, "ec1", &ekid));
	CHECK_OK(tg_key_with_kid(rk, "rsa1", &rkid));
	CHECK_OK(tg_key_with_kid(other, "nope", &okid));
	CHECK_OK(tg_key_public(ekid, &epub));
	CHECK_OK(tg_key_public(rkid, &rpub));
	memset(&b, 0, sizeof(b));
	snprintf(b.td, sizeof(b.td), "%s", TD);
	b.jwt.keys = tg_xcalloc(2, sizeof(*b.jwt.keys));
	b.jwt.keys[0] = epub;
	b.jwt.keys[1] = rpub;
	b.jwt.count = 2;
	set_of(&kset, &b, 1);
	snprintf(cl, sizeof(cl),
		 "{\"sub\":\"spiffe://example.org/app\",\"aud\":\"db\",\"exp\":%lld}",
		 (long long)now.sec + 60);
#define CASE(h, key, alg, want, msg)                                                        \
	do {                                                                                \
		char *x_ = make_jws((h), cl, (key), (alg));                                 \
		jwt_expect(x_, &kset, "db", now, NULL, (want), (msg));                      \
		free(x_);                                                                   \
	} while (0)
	/* JWT-SVID 2.1: RS*, PS*, ES* with the key's own family */
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"JWT\"}", ekid, TG_SIG_ES256, TG_OK,
	     NULL);
	CASE("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", rkid, TG_SIG_RS256, TG_OK, NULL);
	CASE("{\"alg\":\"PS256\",\"kid\":\"rsa1\"}", rkid, TG_SIG_PS256, TG_OK, NULL);
	CASE("{\"alg\":\"RS512\",\"kid\":\"rsa1\",\"typ\":\"JOSE\"}", rkid, TG_SIG_RS512, TG_OK,
	     NULL);
	/* alg that does not fit the key of the kid */
	CASE("{\"alg\":\"ES384\",\"kid\":\"ec1\"}", NULL, TG_SIG_NONE, TG_E_ALG,
	     "does not fit the ecdsa-p256 key 'ec1'");
	CASE("{\"alg\":\"RS256\",\"kid\":\"ec1\"}", NULL, TG_SIG_NONE, TG_E_ALG, "does not fit");
	CASE("{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", NULL, TG_SIG_NONE, TG_E_ALG, "does not fit");
	/* algorithms JWT-SVID does not allow */
	CASE("{\"alg\":\"HS256\",\"kid\":\"ec1\"}", NULL, TG_SIG_NONE, TG_E_ALG, "not allowed");
	CASE("{\"alg\":\"none\",\"kid\":\"ec1\"}", NULL, TG_SIG_NONE, TG_E_ALG, "not allowed");
	CASE("{\"alg\":\"EdDSA\",\"kid\":\"ec1\"}", NULL, TG_SIG_NONE, TG_E_ALG, "not allowed");
	/* kid: required and known */
	CASE("{\"alg\":\"ES256\"}", ekid, TG_SIG_ES256, TG_E_VERIFY, "no kid");
	CASE("{\"alg\":\"ES256\",\"kid\":\"nope\"}", okid, TG_SIG_ES256, TG_E_VERIFY,
	     "kid 'nope' is not a JWT authority of trust domain 'example.org'");
	/* the right kid, another key's signature */
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", okid, TG_SIG_ES256, TG_E_VERIFY,
	     "does not verify");
	/* 2: no other header members; 2.3: typ JWT or JOSE */
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"jku\":\"https://x\"}", ekid, TG_SIG_ES256,
	     TG_E_PARSE, "header member 'jku' is not allowed");
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"at+jwt\"}", ekid, TG_SIG_ES256,
	     TG_E_CLAIM, "neither JWT nor JOSE");
	/* 3.1: sub is a SPIFFE ID of a trust domain we have */
	snprintf(cl, sizeof(cl), "{\"sub\":\"app\",\"aud\":\"db\",\"exp\":%lld}",
		 (long long)now.sec + 60);
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_CLAIM,
	     "is not a SPIFFE ID");
	snprintf(cl, sizeof(cl), "{\"aud\":\"db\",\"exp\":%lld}", (long long)now.sec + 60);
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_CLAIM, "no \"sub\"");
	snprintf(cl, sizeof(cl), "{\"sub\":\"spiffe://other.test/app\",\"aud\":\"db\",\"exp\":%lld}",
		 (long long)now.sec + 60);
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_VERIFY,
	     "no trust bundle for trust domain 'other.test'");
	/* 3.2, 3.3: aud and exp are required */
	snprintf(cl, sizeof(cl), "{\"sub\":\"spiffe://example.org/app\",\"exp\":%lld}",
		 (long long)now.sec + 60);
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_CLAIM, "no 'aud'");
	snprintf(cl, sizeof(cl), "{\"sub\":\"spiffe://example.org/app\",\"aud\":[],\"exp\":%lld}",
		 (long long)now.sec + 60);
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_CLAIM, "audience");
	snprintf(cl, sizeof(cl), "{\"sub\":\"spiffe://example.org/app\",\"aud\":\"db\"}");
	CASE("{\"alg\":\"ES256\",\"kid\":\"ec1\"}", ekid, TG_SIG_ES256, TG_E_CLAIM, "no 'exp'");
#undef CASE

	CHECK_ERR(tg_jwt_svid_verify(t, strlen(t), &set, "", now, NULL, NULL, &got, NULL, &d),
		  TG_E_INVAL);
	tg_key_free(ek);
	tg_key_free(rk);
	tg_key_free(other);
	tg_key_free(ekid);
	tg_key_free(rkid);
	tg_key_free(okid);
	tg_bundle_set_release(&set);
	tg_bundle_set_release(&kset);
	tg_buf_release(&tok);
	tg_buf_release(&tok2);
	tg_ca_close(ca);
}

/* ------------------------------------------------------------------ */
/* Bundle parsing                                                      */
/* ------------------------------------------------------------------ */

/* An x509-svid JWK for certificate c, as JSON text (kty/crv/x/y from the
 * certificate's key), with the x5c member given as text. */
static char *x509_jwk(const struct tg_x509 *c, const char *x5c_text)
{
	struct tg_key *pub = NULL;
	struct tg_arena a;
	const struct tg_json *jwk = NULL;
	struct tg_buf out = TG_BUF_INIT(1 << 20);
	uint8_t *p;
	size_t n;
	tg_arena_init(&a, 1 << 20);
	if (tg_x509_public_key(c, &pub) != TG_OK || tg_key_to_jwk(pub, false, &a, &jwk) != TG_OK ||
	    tg_json_emit(&out, jwk, 0) != TG_OK)
		exit(2);
	tg_buf_truncate(&out, out.len - 1); /* drop '}' */
	if (tg_buf_addf(&out, ",\"use\":\"x509-svid\"%s%s}", x5c_text ? ",\"x5c\":" : "",
			x5c_text ? x5c_text : "") != TG_OK)
		exit(2);
	tg_key_free(pub);
	tg_arena_release(&a);
	tg_buf_detach(&out, &p, &n);
	return (char *)p;
}

static char *cert_b64(const struct tg_x509 *c)
{
	struct tg_buf der = TG_BUF_INIT(1 << 20), b = TG_BUF_INIT(1 << 21);
	uint8_t *p;
	size_t n;
	if (tg_x509_to_der(c, &der) != TG_OK || tg_b64_encode(&b, der.data, der.len, TG_B64_STD))
		exit(2);
	tg_buf_release(&der);
	tg_buf_detach(&b, &p, &n);
	return (char *)p;
}

static void bundle_expect(const char *json, tg_err want, const char *msg, size_t nx509,
			  size_t njwt)
{
	struct tg_bundle b;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	memset(&b, 0, sizeof(b));
	r = tg_bundle_parse(TD, json, strlen(json), &b, &d);
	CHECK_ERR(r, want);
	if (msg && !strstr(d.msg, msg)) {
		fprintf(stderr, "  message '%s' lacks '%s'\n", d.msg, msg);
		CHECK(0);
	}
	if (r == TG_OK) {
		CHECK(b.x509.count == nx509);
		CHECK(b.jwt.count == njwt);
		CHECK_STR(b.td, TD);
		tg_bundle_release(&b);
	}
}

TEST(bundle_parse)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca("bp", TD, TG_KEY_EC_P256, now);
	const char *odir = new_ca("bp2", TD, TG_KEY_EC_P384, now);
	struct tg_ca *ca = open_ca(dir), *oca = open_ca(odir);
	struct tg_bundle own, oth;
	struct tg_arena a;
	const struct tg_json *jwk = NULL;
	struct tg_buf jwkt = TG_BUF_INIT(1 << 16);
	char *doc = tg_xmalloc(1 << 20), *good, *b64, *b64o, *x5c, *mism, *jwt_nokid;
	char x5c_text[8192];
	struct tg_bundle b;
	struct tg_diag d;

	CHECK_OK(tg_ca_bundle(ca, &own));
	CHECK_OK(tg_ca_bundle(oca, &oth));
	b64 = cert_b64(own.x509.certs[0]);
	b64o = cert_b64(oth.x509.certs[0]);
	snprintf(x5c_text, sizeof(x5c_text), "[\"%s\"]", b64);
	good = x509_jwk(own.x509.certs[0], x5c_text);
	/* the key members of one certificate with the x5c of another */
	snprintf(x5c_text, sizeof(x5c_text), "[\"%s\"]", b64o);
	mism = x509_jwk(own.x509.certs[0], x5c_text);
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_key_to_jwk(own.jwt.keys[0], false, &a, &jwk));
	CHECK_OK(tg_json_emit(&jwkt, jwk, 0));
	tg_buf_truncate(&jwkt, jwkt.len - 1);
	CHECK_OK(tg_buf_adds(&jwkt, ",\"use\":\"jwt-svid\"}"));

	/* SPIFFE bundle 4: the minimal and the full form */
	bundle_expect("{\"keys\":[]}", TG_OK, NULL, 0, 0);
	snprintf(doc, 1 << 20, "{\"spiffe_sequence\":18446744073709551615,"
			       "\"spiffe_refresh_hint\":2419200,\"keys\":[%s,%s]}",
		 good, tg_buf_str(&jwkt));
	bundle_expect(doc, TG_OK, NULL, 1, 1);
	CHECK_OK(tg_bundle_parse(TD, doc, strlen(doc), &b, NULL));
	CHECK(b.sequence == UINT64_MAX && b.refresh_hint == 2419200);
	tg_bundle_release(&b);
	/* 4.1.3: keys must be there */
	bundle_expect("{}", TG_E_PARSE, "no \"keys\" array", 0, 0);
	bundle_expect("{\"keys\":{}}", TG_E_PARSE, "no \"keys\" array", 0, 0);
	bundle_expect("[]", TG_E_PARSE, "not an object", 0, 0);
	bundle_expect("{\"keys\":[]} x", TG_E_PARSE, "not valid JSON", 0, 0);
	/* 6.3: duplicate members are rejected */
	bundle_expect("{\"keys\":[],\"keys\":[]}", TG_E_DUPKEY, NULL, 0, 0);
	bundle_expect("{\"keys\":[],\"spiffe_sequence\":-1}", TG_E_PARSE, "spiffe_sequence", 0, 0);
	bundle_expect("{\"keys\":[],\"spiffe_sequence\":1.5}", TG_E_PARSE, "spiffe_sequence", 0,
		      0);
	bundle_expect("{\"keys\":[],\"spiffe_sequence\":18446744073709551616}", TG_E_PARSE,
		      "spiffe_sequence", 0, 0);
	bundle_expect("{\"keys\":[],\"spiffe_refresh_hint\":\"60\"}", TG_E_PARSE, "refresh_hint",
		      0, 0);
	/* 4.2.2: no use, or a use we do not know: ignored, whatever else */
	bundle_expect("{\"keys\":[{\"kty\":\"EC\"}]}", TG_OK, NULL, 0, 0);
	bundle_expect("{\"keys\":[{\"kty\":\"EC\",\"use\":\"wit-svid\"}]}", TG_OK, NULL, 0, 0);
	bundle_expect("{\"keys\":[{\"kty\":\"EC\",\"use\":\"X509-SVID\"}]}", TG_OK, NULL, 0, 0);
	bundle_expect("{\"keys\":[{\"use\":7}]}", TG_E_PARSE, "\"use\" is not a string", 0, 0);
	bundle_expect("{\"keys\":[7]}", TG_E_PARSE, "key 0 is not a JSON object", 0, 0);
	/* 4.2.1: unknown kty ignored; kty required */
	bundle_expect("{\"keys\":[{\"kty\":\"XYZ\",\"use\":\"x509-svid\",\"x5c\":[\"AA==\"]}]}",
		      TG_OK, NULL, 0, 0);
	bundle_expect("{\"keys\":[{\"kty\":\"XYZ\",\"use\":\"jwt-svid\",\"kid\":\"a\"}]}", TG_OK,
		      NULL, 0, 0);
	bundle_expect("{\"keys\":[{\"use\":\"jwt-svid\",\"kid\":\"a\"}]}", TG_E_KEY, "kty", 0, 0);
	/* X509-SVID 6.2: x5c absent or empty: ignored; the first of several */
	x5c = x509_jwk(own.x509.certs[0], NULL);
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
	bundle_expect(doc, TG_OK, NULL, 0, 0);
	free(x5c);
	x5c = x509_jwk(own.x509.certs[0], "[]");
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
	bundle_expect(doc, TG_OK, NULL, 0, 0);
	free(x5c);
	snprintf(x5c_text, sizeof(x5c_text), "[\"%s\",\"%s\"]", b64, b64o);
	x5c = x509_jwk(own.x509.certs[0], x5c_text);
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
	bundle_expect(doc, TG_OK, NULL, 1, 0);
	free(x5c);
	/* malformed x509-svid entries */
	x5c = x509_jwk(own.x509.certs[0], "\"notanarray\"");
	snprintf(doc, 1 << 20, "{\"keys\":[{\"kty\":\"XYZ\"},%s]}", x5c);
	bundle_expect(doc, TG_E_PARSE, "key 1 (x509-svid): \"x5c\" is not an array", 0, 0);
	free(x5c);
	x5c = x509_jwk(own.x509.certs[0], "[\"!!!!\"]");
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
	bundle_expect(doc, TG_E_PARSE, "not valid base64", 0, 0);
	free(x5c);
	x5c = x509_jwk(own.x509.certs[0], "[\"AAAA\"]");
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
	bundle_expect(doc, TG_E_PARSE, "is not a certificate", 0, 0);
	free(x5c);
	{
		/* base64url is not the x5c encoding (RFC 7517 4.7) */
		char *u = strdup(b64);
		char *q;
		for (q = u; *q; q++)
			*q = *q == '+' ? '-' : *q == '/' ? '_' : *q;
		if (strcmp(u, b64) != 0) {
			snprintf(x5c_text, sizeof(x5c_text), "[\"%s\"]", u);
			x5c = x509_jwk(own.x509.certs[0], x5c_text);
			snprintf(doc, 1 << 20, "{\"keys\":[%s]}", x5c);
			bundle_expect(doc, TG_E_PARSE, "not valid base64", 0, 0);
			free(x5c);
		}
		free(u);
	}
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", mism);
	bundle_expect(doc, TG_E_KEY, "do not match the \"x5c\" certificate", 0, 0);
	/* jwt-svid: a kid, once; public keys only; no symmetric keys */
	jwt_nokid = strdup(tg_buf_str(&jwkt));
	{
		char *k = strstr(jwt_nokid, "\"kid\":\"");
		CHECK(k != NULL);
		if (k)
			memcpy(k, "\"xid\"", 5);
	}
	snprintf(doc, 1 << 20, "{\"keys\":[%s]}", jwt_nokid);
	bundle_expect(doc, TG_E_KEY, "no \"kid\"", 0, 0);
	snprintf(doc, 1 << 20, "{\"keys\":[%s,%s]}", tg_buf_str(&jwkt), tg_buf_str(&jwkt));
	bundle_expect(doc, TG_E_KEY, "is used by an earlier key", 0, 0);
	bundle_expect("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\","
		      "\"use\":\"jwt-svid\",\"kid\":\"h\"}]}",
		      TG_E_KEY, "symmetric", 0, 0);
	/* private members are never accepted in a bundle */
	{
		struct tg_key *k = NULL, *kk = NULL;
		const struct tg_json *pj = NULL;
		struct tg_buf pt = TG_BUF_INIT(1 << 16);
		CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &k));
		CHECK_OK(tg_key_with_kid(k, "p1", &kk));
		CHECK_OK(tg_key_to_jwk(kk, true, &a, &pj));
		CHECK_OK(tg_json_emit(&pt, pj, 0));
		tg_buf_truncate(&pt, pt.len - 1);
		CHECK_OK(tg_buf_adds(&pt, ",\"use\":\"jwt-svid\"}"));
		snprintf(doc, 1 << 20, "{\"keys\":[%s]}", tg_buf_str(&pt));
		bundle_expect(doc, TG_E_KEY, "private key members", 0, 0);
		/* a JWK "alg" pins the key: kept through the bundle */
		tg_buf_reset(&pt);
		CHECK_OK(tg_buf_adds(&pt, tg_buf_str(&jwkt)));
		tg_buf_truncate(&pt, pt.len - 1);
		CHECK_OK(tg_buf_adds(&pt, ",\"alg\":\"ES256\"}"));
		snprintf(doc, 1 << 20, "{\"keys\":[%s]}", tg_buf_str(&pt));
		bundle_expect(doc, TG_OK, NULL, 0, 1);
		tg_buf_reset(&pt);
		CHECK_OK(tg_buf_adds(&pt, tg_buf_str(&jwkt)));
		tg_buf_truncate(&pt, pt.len - 1);
		CHECK_OK(tg_buf_adds(&pt, ",\"alg\":\"ES384\"}"));
		snprintf(doc, 1 << 20, "{\"keys\":[%s]}", tg_buf_str(&pt));
		bundle_expect(doc, TG_E_KEY, NULL, 0, 0);
		tg_buf_release(&pt);
		tg_key_free(k);
		tg_key_free(kk);
	}
	tg_diag_init(&d);
	CHECK_ERR(tg_bundle_parse("Example.org", "{\"keys\":[]}", 11, &b, &d), TG_E_INVAL);

	free(doc);
	free(good);
	free(mism);
	free(b64);
	free(b64o);
	free(jwt_nokid);
	tg_buf_release(&jwkt);
	tg_arena_release(&a);
	tg_bundle_release(&own);
	tg_bundle_release(&oth);
	tg_ca_close(ca);
	tg_ca_close(oca);
}

int main(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/tg-idsvid-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	RUN(spiffe_testdata);
	RUN(roundtrip_p256);
	RUN(roundtrip_p384);
	RUN(x509_failures);
	RUN(x509_leaf_rules);
	RUN(rotation);
	RUN(jwt_failures);
	RUN(bundle_parse);
	(void)nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tg_test_done();
}
