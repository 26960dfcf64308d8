/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crypto_x509.c - X.509 builder, getters, strict parser and chain
 * verification, checked against OpenSSL's own command line (interop) and
 * against third-party SPIFFE certificates from ../shared/testdata.
 */
#include "tg_test.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"

#define DAY INT64_C(86400)
#define BASE INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

#define ROOT_SUBJECT "CN=Tollgate Test Root,O=Tollgate Test,C=US"
#define INTER_SUBJECT "CN=Tollgate Test Intermediate,O=Tollgate Test,C=US"
#define LEAF_SUBJECT "CN=leaf.example,OU=CI,O=Tollgate Test,L=Berlin,ST=Berlin,C=DE"
#define CUSTOM_OID "1.3.6.1.4.1.57264.1.8"

static const uint8_t custom_der[] = {0x0c, 0x0b, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};

static struct tg_time T(int64_t sec)
{
	struct tg_time t = {sec, 0};
	return t;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct tg_key *keygen(enum tg_key_type t, unsigned bits)
{
	struct tg_key *k = NULL;
	if (tg_key_generate(t, bits, &k) != TG_OK) {
		fprintf(stderr, "cannot generate a %s key\n", tg_key_type_name(t));
		exit(2);
	}
	return k;
}

static void tmpl_ca(struct tg_x509_tmpl *t, const char *subject, int64_t nb, int64_t na,
		    int path_len)
{
	memset(t, 0, sizeof(*t));
	t->subject = subject;
	t->not_before = T(nb);
	t->not_after = T(na);
	t->is_ca = true;
	t->path_len = path_len;
	t->key_usage = TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN;
}

static const char *const leaf_uris[] = {"spiffe://example.org/ns/ci/sa/build", NULL};
static const char *const leaf_dns[] = {"build.example.org", "*.svc.example.org", NULL};
static const char *const leaf_emails[] = {"ci@example.org", NULL};
static const struct tg_x509_ext_tmpl leaf_ext[] = {
	{CUSTOM_OID, false, custom_der, sizeof(custom_der)},
};
static const uint8_t leaf_serial[] = {0x00, 0x0a, 0x0b, 0x0c, 0x0d};

static void tmpl_leaf(struct tg_x509_tmpl *t, int64_t nb, int64_t na)
{
	memset(t, 0, sizeof(*t));
	t->serial = leaf_serial;
	t->serial_len = sizeof(leaf_serial);
	t->subject = LEAF_SUBJECT;
	t->not_before = T(nb);
	t->not_after = T(na);
	t->path_len = -1;
	t->key_usage = TG_KU_DIGITAL_SIGNATURE;
	t->ext_key_usage = TG_EKU_CLIENT_AUTH | TG_EKU_CODE_SIGNING;
	t->san_uri = leaf_uris;
	t->san_dns = leaf_dns;
	t->san_email = leaf_emails;
	t->ext = leaf_ext;
	t->n_ext = TG_ARRAY_LEN(leaf_ext);
}

static struct tg_x509 *build(const struct tg_x509_tmpl *t, const struct tg_key *sk,
			     const struct tg_x509 *issuer, const struct tg_key *ik)
{
	struct tg_x509 *c = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_x509_build(t, sk, issuer, ik, &c, &d) != TG_OK) {
		fprintf(stderr, "build '%s' failed: %s\n", t->subject ? t->subject : "", d.msg);
		return NULL;
	}
	return c;
}

struct chain {
	struct tg_key *rk, *ik, *lk;
	struct tg_x509 *root, *inter, *leaf;
};

struct windows {
	int64_t rnb, rna, inb, ina, lnb, lna;
};

static const struct windows default_windows = {
	BASE - 365 * DAY, BASE + 3650 * DAY, BASE - 180 * DAY,
	BASE + 1825 * DAY, BASE - DAY,        BASE + 90 * DAY,
};

static bool chain_build(struct chain *c, struct tg_key *rk, struct tg_key *ik, struct tg_key *lk,
			const struct windows *w)
{
	struct tg_x509_tmpl t;
	memset(c, 0, sizeof(*c));
	c->rk = tg_key_ref(rk);
	c->ik = tg_key_ref(ik);
	c->lk = tg_key_ref(lk);
	tmpl_ca(&t, ROOT_SUBJECT, w->rnb, w->rna, 1);
	c->root = build(&t, rk, NULL, rk);
	if (!c->root)
		return false;
	tmpl_ca(&t, INTER_SUBJECT, w->inb, w->ina, 0);
	c->inter = build(&t, ik, c->root, rk);
	if (!c->inter)
		return false;
	tmpl_leaf(&t, w->lnb, w->lna);
	c->leaf = build(&t, lk, c->inter, ik);
	return c->leaf != NULL;
}

static void chain_free(struct chain *c)
{
	tg_x509_free(c->root);
	tg_x509_free(c->inter);
	tg_x509_free(c->leaf);
	tg_key_free(c->rk);
	tg_key_free(c->ik);
	tg_key_free(c->lk);
	memset(c, 0, sizeof(*c));
}

static tg_err verify3(const struct chain *c, int64_t at, unsigned eku, struct tg_diag *d)
{
	const struct tg_x509 *inter[1], *roots[1];
	inter[0] = c->inter;
	roots[0] = c->root;
	tg_diag_init(d);
	return tg_x509_verify(c->leaf, inter, 1, roots, 1, T(at), eku, NULL, d);
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static char *buf_cstr(struct tg_buf *b)
{
	return (char *)tg_buf_str(b);
}

/* The DER of a certificate (static buffer, valid until the next call). */
static const struct tg_buf *der_of(const struct tg_x509 *c)
{
	static struct tg_buf b = TG_BUF_INIT(TG_LIMIT_DER);
	tg_buf_reset(&b);
	if (tg_x509_to_der(c, &b) != TG_OK) {
		fprintf(stderr, "to_der failed\n");
		exit(2);
	}
	return &b;
}

/* The same certificate as a plain OpenSSL object. */
static X509 *x509_of(const struct tg_x509 *c)
{
	const struct tg_buf *b = der_of(c);
	const unsigned char *p = b->data;
	return d2i_X509(NULL, &p, (long)b->len);
}

/* A key as a plain OpenSSL object (through PKCS#8 PEM). */
static EVP_PKEY *evp_of(const struct tg_key *k)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	EVP_PKEY *p = NULL;
	BIO *bio;
	if (tg_key_to_pem(k, true, &b) == TG_OK) {
		bio = BIO_new_mem_buf(b.data, (int)b.len);
		p = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	tg_buf_release_wipe(&b);
	return p;
}

static struct tg_x509 *from_x509(X509 *x, tg_err *err, struct tg_diag *d)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	struct tg_x509 *c = NULL;
	tg_diag_init(d);
	*err = len > 0 ? tg_x509_from_der(der, (size_t)len, &c, d) : TG_E_INTERNAL;
	OPENSSL_free(der);
	return c;
}

static struct tg_diag last_diag; /* of the last from_bytes */

static struct tg_x509 *from_bytes(const uint8_t *p, size_t n, tg_err *err)
{
	struct tg_x509 *c = NULL;
	tg_diag_init(&last_diag);
	*err = tg_x509_from_der(p, n, &c, &last_diag);
	if (*err != TG_OK)
		fprintf(stderr, "    rejected: %s\n", last_diag.msg);
	return c;
}

/* ------------------------------------------------------------------ */
/* Outside tools (openssl)                                             */
/* ------------------------------------------------------------------ */

extern char **environ;

/* Runs argv (no shell); returns the exit status, -1 when it cannot run. */
static int run(char *const argv[], bool quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, e;
	posix_spawn_file_actions_init(&fa);
	if (quiet) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	}
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int have_openssl = -1;

static bool openssl_available(void)
{
	char *argv[] = {"openssl", "version", NULL};
	if (have_openssl < 0) {
		have_openssl = run(argv, true) == 0;
		if (!have_openssl)
			fprintf(stderr, "SKIPPED: no 'openssl' binary on PATH; interop checks not run\n");
	}
	return have_openssl;
}

static char tmpdir[256];

static void write_pem(const char *name, const struct tg_x509 *c)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (tg_x509_to_pem(c, &b) != TG_OK || !(f = fopen(path, "wb")) ||
	    fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	tg_buf_release(&b);
}

static void remove_tmp(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* openssl x509 -noout -text must parse the certificate. */
static int openssl_text(const struct tg_x509 *c)
{
	char path[512];
	char *argv[] = {"openssl", "x509", "-noout", "-text", "-in", path, NULL};
	int st;
	write_pem("one.pem", c);
	snprintf(path, sizeof(path), "%s/one.pem", tmpdir);
	st = run(argv, true);
	remove_tmp("one.pem");
	return st;
}

static int openssl_verify(const struct chain *c, int64_t at, bool quiet)
{
	char attime[32], ca[512], un[512], leaf[512];
	char *argv[] = {"openssl", "verify", "-attime", attime, "-x509_strict", "-CAfile", ca,
			"-untrusted", un, leaf, NULL};
	int st;
	snprintf(attime, sizeof(attime), "%lld", (long long)at);
	snprintf(ca, sizeof(ca), "%s/root.pem", tmpdir);
	snprintf(un, sizeof(un), "%s/inter.pem", tmpdir);
	snprintf(leaf, sizeof(leaf), "%s/leaf.pem", tmpdir);
	write_pem("root.pem", c->root);
	write_pem("inter.pem", c->inter);
	write_pem("leaf.pem", c->leaf);
	st = run(argv, quiet);
	remove_tmp("root.pem");
	remove_tmp("inter.pem");
	remove_tmp("leaf.pem");
	return st;
}

/* ------------------------------------------------------------------ */
/* Field checks                                                        */
/* ------------------------------------------------------------------ */

static void check_string(tg_err (*get)(const struct tg_x509 *, struct tg_buf *),
			 const struct tg_x509 *c, const char *want)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	CHECK_OK(get(c, &b));
	CHECK_STR(buf_cstr(&b), want);
	tg_buf_release(&b);
}

/* The keyIdentifier inside an authorityKeyIdentifier equals the issuer's
 * subjectKeyIdentifier. */
static void check_aki(const struct tg_x509 *c, const struct tg_x509 *issuer)
{
	struct tg_buf ski = TG_BUF_INIT(1024), aki = TG_BUF_INIT(1024);
	bool crit = true;
	CHECK_OK(tg_x509_ext(issuer, "2.5.29.14", &crit, &ski));
	CHECK(!crit);
	CHECK_OK(tg_x509_ext(c, "2.5.29.35", &crit, &aki));
	CHECK(!crit);
	/* SKI: 04 14 <20>; AKI: 30 16 80 14 <20> */
	CHECK(ski.len == 22 && ski.data[0] == 0x04 && ski.data[1] == 20);
	CHECK(aki.len == 24 && aki.data[0] == 0x30 && aki.data[2] == 0x80 && aki.data[3] == 20);
	if (ski.len == 22 && aki.len == 24)
		CHECK_MEM(aki.data + 4, ski.data + 2, 20);
	tg_buf_release(&ski);
	tg_buf_release(&aki);
}

static void check_ca(const struct tg_x509 *c, const char *subject, const char *issuer,
		     int path_len, const struct tg_key *k, int64_t nb, int64_t na)
{
	struct tg_x509_basic bc;
	struct tg_time tnb, tna;
	struct tg_key *pk = NULL;
	bool present, crit;
	unsigned bits;
	struct tg_buf oids = TG_BUF_INIT(1024);
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	size_t n = 99;

	check_string(tg_x509_subject, c, subject);
	check_string(tg_x509_issuer, c, issuer);
	CHECK_OK(tg_x509_basic_constraints(c, &bc));
	CHECK(bc.present && bc.critical && bc.ca && bc.path_len == path_len);
	CHECK_OK(tg_x509_key_usage(c, &present, &crit, &bits));
	CHECK(present && crit && bits == (TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN));
	CHECK_OK(tg_x509_ext_key_usage(c, &present, &crit, &bits, &oids));
	CHECK(!present && bits == 0 && oids.len == 0);
	tg_arena_init(&a, 1 << 16);
	CHECK_OK(tg_x509_sans(c, &a, &sans, &n, &crit));
	CHECK(n == 0 && sans == NULL && !crit);
	tg_arena_release(&a);
	CHECK_OK(tg_x509_validity(c, &tnb, &tna));
	CHECK(tnb.sec == nb && tna.sec == na && tnb.nsec == 0);
	CHECK_OK(tg_x509_public_key(c, &pk));
	CHECK(pk && tg_key_equal_public(pk, k) && !tg_key_is_private(pk));
	tg_key_free(pk);
	tg_buf_release(&oids);
}

static void check_leaf(const struct tg_x509 *c, const struct tg_x509 *issuer,
		       const struct tg_key *k, int64_t nb, int64_t na)
{
	struct tg_x509_basic bc;
	struct tg_time tnb, tna;
	struct tg_key *pk = NULL;
	struct tg_buf b = TG_BUF_INIT(4096), isubj = TG_BUF_INIT(4096);
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	size_t n = 0;
	bool present, crit;
	unsigned bits;

	check_string(tg_x509_subject, c, LEAF_SUBJECT);
	CHECK_OK(tg_x509_subject(issuer, &isubj));
	CHECK_OK(tg_x509_issuer(c, &b));
	CHECK_STR(buf_cstr(&b), buf_cstr(&isubj));
	check_string(tg_x509_serial_hex, c, "0a0b0c0d");

	CHECK_OK(tg_x509_basic_constraints(c, &bc));
	CHECK(bc.present && bc.critical && !bc.ca && bc.path_len == -1);
	CHECK_OK(tg_x509_key_usage(c, &present, &crit, &bits));
	CHECK(present && crit && bits == TG_KU_DIGITAL_SIGNATURE);
	tg_buf_reset(&b);
	CHECK_OK(tg_x509_ext_key_usage(c, &present, &crit, &bits, &b));
	CHECK(present && !crit && bits == (TG_EKU_CLIENT_AUTH | TG_EKU_CODE_SIGNING));
	CHECK_STR(buf_cstr(&b), "1.3.6.1.5.5.7.3.2\n1.3.6.1.5.5.7.3.3\n");

	tg_arena_init(&a, 1 << 16);
	CHECK_OK(tg_x509_sans(c, &a, &sans, &n, &crit));
	CHECK(n == 4 && !crit);
	if (n == 4) {
		CHECK(sans[0].type == TG_SAN_URI);
		CHECK_STR(sans[0].value, "spiffe://example.org/ns/ci/sa/build");
		CHECK(sans[0].len == strlen(sans[0].value));
		CHECK(sans[1].type == TG_SAN_DNS);
		CHECK_STR(sans[1].value, "build.example.org");
		CHECK(sans[2].type == TG_SAN_DNS);
		CHECK_STR(sans[2].value, "*.svc.example.org");
		CHECK(sans[3].type == TG_SAN_EMAIL);
		CHECK_STR(sans[3].value, "ci@example.org");
	}
	tg_arena_release(&a);

	tg_buf_reset(&b);
	crit = true;
	CHECK_OK(tg_x509_ext(c, CUSTOM_OID, &crit, &b));
	CHECK(!crit && b.len == sizeof(custom_der));
	if (b.len == sizeof(custom_der))
		CHECK_MEM(b.data, custom_der, sizeof(custom_der));
	tg_buf_reset(&b);
	CHECK_ERR(tg_x509_ext(c, "1.2.3.4.5", &crit, &b), TG_E_NOTFOUND);
	CHECK_ERR(tg_x509_ext(c, "commonName", &crit, &b), TG_E_INVAL);
	CHECK_ERR(tg_x509_ext(c, "1.2.03", &crit, &b), TG_E_INVAL);
	CHECK(b.len == 0);
	check_aki(c, issuer);

	CHECK_OK(tg_x509_validity(c, &tnb, &tna));
	CHECK(tnb.sec == nb && tna.sec == na);
	CHECK_OK(tg_x509_public_key(c, &pk));
	CHECK(pk && tg_key_equal_public(pk, k));
	tg_key_free(pk);
	tg_buf_release(&b);
	tg_buf_release(&isubj);
}

/* DER -> object -> DER and PEM -> list -> DER are identities. */
static void check_roundtrip(const struct tg_x509 *c)
{
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER), der2 = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_x509 *c2 = NULL;
	struct tg_x509_list l = {NULL, 0};
	struct tg_diag d;
	CHECK_OK(tg_x509_to_der(c, &der));
	CHECK_OK(tg_x509_from_der(der.data, der.len, &c2, &d));
	if (c2) {
		CHECK_OK(tg_x509_to_der(c2, &der2));
		CHECK(der.len == der2.len && memcmp(der.data, der2.data, der.len) == 0);
		tg_x509_free(c2);
	}
	CHECK_OK(tg_x509_to_pem(c, &pem));
	CHECK_OK(tg_x509_to_pem(c, &pem));
	CHECK_OK(tg_x509_list_from_pem((const char *)pem.data, pem.len, &l, &d));
	CHECK(l.count == 2);
	if (l.count == 2) {
		tg_buf_reset(&der2);
		CHECK_OK(tg_x509_to_der(l.certs[1], &der2));
		CHECK(der.len == der2.len && memcmp(der.data, der2.data, der.len) == 0);
	}
	tg_x509_list_release(&l);
	tg_buf_release(&der);
	tg_buf_release(&der2);
	tg_buf_release(&pem);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

struct keyset {
	const char *name;
	enum tg_key_type rt, it, lt;
	unsigned rbits, ibits, lbits;
};

static const struct keyset keysets[] = {
	{"p256", TG_KEY_EC_P256, TG_KEY_EC_P256, TG_KEY_EC_P256, 0, 0, 0},
	{"p384", TG_KEY_EC_P384, TG_KEY_EC_P384, TG_KEY_EC_P384, 0, 0, 0},
	{"ed25519", TG_KEY_ED25519, TG_KEY_ED25519, TG_KEY_ED25519, 0, 0, 0},
	{"rsa3072-root/p256", TG_KEY_RSA, TG_KEY_EC_P256, TG_KEY_EC_P256, 3072, 0, 0},
	{"p521-root/p384/ed25519", TG_KEY_EC_P521, TG_KEY_EC_P384, TG_KEY_ED25519, 0, 0, 0},
	{"p256/p256/rsa2048-leaf", TG_KEY_EC_P256, TG_KEY_EC_P256, TG_KEY_RSA, 0, 0, 2048},
};

TEST(chains_by_key_type)
{
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(keysets); i++) {
		const struct keyset *ks = &keysets[i];
		struct tg_key *rk = keygen(ks->rt, ks->rbits), *ik = keygen(ks->it, ks->ibits);
		struct tg_key *lk = keygen(ks->lt, ks->lbits);
		const struct windows *w = &default_windows;
		struct tg_x509_list path = {NULL, 0};
		const struct tg_x509 *inter[1], *roots[1];
		struct chain c;
		struct tg_diag d;
		bool ok = chain_build(&c, rk, ik, lk, w);
		fprintf(stderr, "  chain %s\n", ks->name);
		CHECK(ok);
		tg_key_free(rk);
		tg_key_free(ik);
		tg_key_free(lk);
		if (!ok) {
			chain_free(&c);
			continue;
		}
		check_ca(c.root, ROOT_SUBJECT, ROOT_SUBJECT, 1, c.rk, w->rnb, w->rna);
		check_ca(c.inter, INTER_SUBJECT, ROOT_SUBJECT, 0, c.ik, w->inb, w->ina);
		check_leaf(c.leaf, c.inter, c.lk, w->lnb, w->lna);
		check_aki(c.inter, c.root);
		{
			struct tg_buf b = TG_BUF_INIT(64);
			bool crit;
			CHECK_ERR(tg_x509_ext(c.root, "2.5.29.35", &crit, &b), TG_E_NOTFOUND);
			tg_buf_release(&b);
		}
		check_roundtrip(c.root);
		check_roundtrip(c.inter);
		check_roundtrip(c.leaf);

		/* verification at a time inside every window */
		inter[0] = c.inter;
		roots[0] = c.root;
		tg_diag_init(&d);
		CHECK_OK(tg_x509_verify(c.leaf, inter, 1, roots, 1, T(BASE), 0, &path, &d));
		if (d.msg[0])
			fprintf(stderr, "    verify: %s\n", d.msg);
		CHECK(path.count == 3);
		if (path.count == 3)
			CHECK(path.certs[0] == c.leaf && path.certs[1] == c.inter &&
			      path.certs[2] == c.root);
		tg_x509_list_release(&path);
		CHECK_OK(verify3(&c, BASE, TG_EKU_CLIENT_AUTH, &d));
		CHECK_OK(verify3(&c, BASE, TG_EKU_CLIENT_AUTH | TG_EKU_CODE_SIGNING, &d));
		CHECK_ERR(verify3(&c, BASE, TG_EKU_SERVER_AUTH, &d), TG_E_VERIFY);
		CHECK(contains(d.msg, "depth 0") && contains(d.msg, "extended key usage"));
		CHECK_ERR(verify3(&c, w->lnb - 1, 0, &d), TG_E_VERIFY);
		CHECK(contains(d.msg, "not yet valid"));
		CHECK_ERR(verify3(&c, w->lna + 1, 0, &d), TG_E_VERIFY);
		CHECK(contains(d.msg, "expired"));
		/* the intermediate alone verifies too (a CA as the end of a path) */
		tg_diag_init(&d);
		CHECK_OK(tg_x509_verify(c.inter, NULL, 0, roots, 1, T(BASE), 0, NULL, &d));

		/* interop: OpenSSL's own verifier and printer agree */
		if (openssl_available()) {
			CHECK(openssl_text(c.root) == 0);
			CHECK(openssl_text(c.inter) == 0);
			CHECK(openssl_text(c.leaf) == 0);
			CHECK(openssl_verify(&c, BASE, false) == 0);
			CHECK(openssl_verify(&c, w->lna + 1, true) != 0);
			CHECK(openssl_verify(&c, w->lnb - 1, true) != 0);
		}
		chain_free(&c);
	}
}

/* Each certificate gets the narrowest window in turn: verification fails
 * before and after that window, naming the certificate's depth. */
TEST(validity_of_each_certificate)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *lk = keygen(TG_KEY_ED25519, 0);
	int depth;
	for (depth = 0; depth < 3; depth++) {
		struct windows w = {BASE - 100 * DAY, BASE + 100 * DAY, BASE - 100 * DAY,
				    BASE + 100 * DAY, BASE - 100 * DAY, BASE + 100 * DAY};
		char want[32];
		struct chain c;
		struct tg_diag d;
		int64_t *nb = depth == 0 ? &w.lnb : depth == 1 ? &w.inb : &w.rnb;
		int64_t *na = depth == 0 ? &w.lna : depth == 1 ? &w.ina : &w.rna;
		*nb = BASE - DAY;
		*na = BASE + DAY;
		snprintf(want, sizeof(want), "depth %d", depth);
		CHECK(chain_build(&c, rk, ik, lk, &w));
		if (c.leaf) {
			CHECK_OK(verify3(&c, BASE, 0, &d));
			CHECK_OK(verify3(&c, *nb, 0, &d));
			CHECK_OK(verify3(&c, *na, 0, &d));
			CHECK_ERR(verify3(&c, *nb - 1, 0, &d), TG_E_VERIFY);
			CHECK(contains(d.msg, want) && contains(d.msg, "not yet valid"));
			CHECK_ERR(verify3(&c, *na + 1, 0, &d), TG_E_VERIFY);
			CHECK(contains(d.msg, want) && contains(d.msg, "expired"));
			if (depth == 0)
				fprintf(stderr, "    e.g. %s\n", d.msg);
			if (openssl_available()) {
				CHECK(openssl_verify(&c, BASE, true) == 0);
				CHECK(openssl_verify(&c, *na + 1, true) != 0);
				CHECK(openssl_verify(&c, *nb - 1, true) != 0);
			}
		}
		chain_free(&c);
	}
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(lk);
}

TEST(chain_failures)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *lk = keygen(TG_KEY_EC_P256, 0), *rk2 = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509 *root2 = NULL;
	struct tg_x509_tmpl t;
	const struct tg_x509 *inter[2], *roots[2];
	struct tg_x509_list path = {NULL, 0};
	struct chain c;
	struct tg_diag d;

	CHECK(chain_build(&c, rk, ik, lk, &default_windows));
	if (!c.leaf)
		goto out;
	/* a different root with the very same name */
	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, -1);
	root2 = build(&t, rk2, NULL, rk2);
	CHECK(root2 != NULL);
	inter[0] = c.inter;
	roots[0] = root2;
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_verify(c.leaf, inter, 1, roots, 1, T(BASE), 0, &path, &d), TG_E_VERIFY);
	CHECK(path.count == 0 && path.certs == NULL);
	fprintf(stderr, "    wrong root: %s\n", d.msg);
	/* the right root among several works */
	roots[1] = c.root;
	CHECK_OK(tg_x509_verify(c.leaf, inter, 1, roots, 2, T(BASE), 0, &path, &d));
	CHECK(path.count == 3 && path.certs[2] == c.root);
	tg_x509_list_release(&path);
	/* missing intermediate */
	roots[0] = c.root;
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_verify(c.leaf, NULL, 0, roots, 1, T(BASE), 0, NULL, &d), TG_E_VERIFY);
	CHECK(contains(d.msg, "depth 0") && contains(d.msg, "issuer"));
	fprintf(stderr, "    missing intermediate: %s\n", d.msg);
	/* the intermediate as a root: partial chains are not accepted */
	roots[0] = c.inter;
	CHECK_ERR(tg_x509_verify(c.leaf, NULL, 0, roots, 1, T(BASE), 0, NULL, &d), TG_E_VERIFY);
	fprintf(stderr, "    intermediate as root: %s\n", d.msg);
	/* the root passed only as an intermediate is no trust anchor */
	inter[0] = c.inter;
	inter[1] = c.root;
	roots[0] = root2;
	CHECK_ERR(tg_x509_verify(c.leaf, inter, 2, roots, 1, T(BASE), 0, NULL, &d), TG_E_VERIFY);
	/* no roots, too many intermediates, unknown EKU bits */
	CHECK_ERR(tg_x509_verify(c.leaf, inter, 1, roots, 0, T(BASE), 0, NULL, &d), TG_E_INVAL);
	CHECK_ERR(tg_x509_verify(c.leaf, inter, TG_LIMIT_CHAIN + 1, roots, 1, T(BASE), 0, NULL, &d),
		  TG_E_TOOBIG);
	CHECK_ERR(tg_x509_verify(c.leaf, inter, 1, roots, 1, T(BASE), 0x100, NULL, &d), TG_E_INVAL);
out:
	tg_x509_free(root2);
	chain_free(&c);
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(lk);
	tg_key_free(rk2);
}

TEST(path_length)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *ik2 = keygen(TG_KEY_EC_P256, 0), *lk = keygen(TG_KEY_EC_P256, 0);
	int pl;
	for (pl = 0; pl <= 1; pl++) {
		struct tg_x509 *root, *inter, *inter2, *leaf;
		const struct tg_x509 *inters[2], *roots[1];
		struct tg_x509_tmpl t;
		struct tg_diag d;
		tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, -1);
		root = build(&t, rk, NULL, rk);
		tmpl_ca(&t, INTER_SUBJECT, BASE - DAY, BASE + DAY, pl);
		inter = root ? build(&t, ik, root, rk) : NULL;
		tmpl_ca(&t, "CN=Second Intermediate", BASE - DAY, BASE + DAY, -1);
		inter2 = inter ? build(&t, ik2, inter, ik) : NULL; /* the builder does not refuse */
		tmpl_leaf(&t, BASE - DAY, BASE + DAY);
		leaf = inter2 ? build(&t, lk, inter2, ik2) : NULL;
		CHECK(leaf != NULL);
		inters[0] = inter2;
		inters[1] = inter;
		roots[0] = root;
		tg_diag_init(&d);
		if (pl == 0) {
			CHECK_ERR(tg_x509_verify(leaf, inters, 2, roots, 1, T(BASE), 0, NULL, &d),
				  TG_E_VERIFY);
			CHECK(contains(d.msg, "path length"));
			fprintf(stderr, "    pathlen 0: %s\n", d.msg);
		} else {
			CHECK_OK(tg_x509_verify(leaf, inters, 2, roots, 1, T(BASE), 0, NULL, &d));
		}
		tg_x509_free(root);
		tg_x509_free(inter);
		tg_x509_free(inter2);
		tg_x509_free(leaf);
	}
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(ik2);
	tg_key_free(lk);
}

/* A chain of TG_LIMIT_CHAIN certificates verifies, one more does not. */
TEST(chain_depth_limit)
{
	struct tg_key *keys[TG_LIMIT_CHAIN + 1];
	struct tg_x509 *certs[TG_LIMIT_CHAIN + 1];
	const struct tg_x509 *inters[TG_LIMIT_CHAIN], *roots[1];
	struct tg_x509_tmpl t;
	struct tg_diag d;
	char name[64];
	int i, n = TG_LIMIT_CHAIN + 1;
	for (i = 0; i < n; i++) {
		keys[i] = keygen(TG_KEY_EC_P256, 0);
		snprintf(name, sizeof(name), "CN=CA %d", i);
		if (i < n - 1)
			tmpl_ca(&t, name, BASE - DAY, BASE + DAY, -1);
		else
			tmpl_leaf(&t, BASE - DAY, BASE + DAY);
		certs[i] = build(&t, keys[i], i ? certs[i - 1] : NULL, keys[i ? i - 1 : 0]);
		CHECK(certs[i] != NULL);
	}
	roots[0] = certs[0];
	/* leaf certs[n-1], intermediates certs[n-2..1], root certs[0] */
	for (i = 0; i < n - 2; i++)
		inters[i] = certs[n - 2 - i];
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_verify(certs[n - 1], inters, (size_t)(n - 2), roots, 1, T(BASE), 0, NULL,
				 &d),
		  TG_E_VERIFY);
	fprintf(stderr, "    %d certificates: %s\n", n, d.msg);
	/* certs[n-2] as the leaf: exactly TG_LIMIT_CHAIN certificates */
	CHECK_OK(tg_x509_verify(certs[n - 2], inters + 1, (size_t)(n - 3), roots, 1, T(BASE), 0,
				NULL, &d));
	for (i = 0; i < n; i++) {
		tg_x509_free(certs[i]);
		tg_key_free(keys[i]);
	}
}

TEST(eku_rules)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *lk = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509 *root, *inter, *leaf, *leaf2;
	const struct tg_x509 *inters[1], *roots[1];
	struct tg_x509_tmpl t;
	struct tg_diag d;

	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, -1);
	root = build(&t, rk, NULL, rk);
	tmpl_ca(&t, INTER_SUBJECT, BASE - DAY, BASE + DAY, 0);
	t.ext_key_usage = TG_EKU_SERVER_AUTH; /* an intermediate limited to TLS servers */
	inter = build(&t, ik, root, rk);
	tmpl_leaf(&t, BASE - DAY, BASE + DAY);
	t.ext_key_usage = TG_EKU_SERVER_AUTH | TG_EKU_CLIENT_AUTH;
	leaf = build(&t, lk, inter, ik);
	t.ext_key_usage = 0; /* no EKU at all */
	leaf2 = build(&t, lk, inter, ik);
	CHECK(leaf && leaf2);
	inters[0] = inter;
	roots[0] = root;
	tg_diag_init(&d);
	CHECK_OK(tg_x509_verify(leaf, inters, 1, roots, 1, T(BASE), TG_EKU_SERVER_AUTH, NULL, &d));
	CHECK_OK(tg_x509_verify(leaf, inters, 1, roots, 1, T(BASE), 0, NULL, &d));
	CHECK_ERR(tg_x509_verify(leaf, inters, 1, roots, 1, T(BASE), TG_EKU_CLIENT_AUTH, NULL, &d),
		  TG_E_VERIFY);
	CHECK(contains(d.msg, "depth 1"));
	fprintf(stderr, "    intermediate EKU: %s\n", d.msg);
	CHECK_OK(tg_x509_verify(leaf2, inters, 1, roots, 1, T(BASE), 0, NULL, &d));
	CHECK_ERR(tg_x509_verify(leaf2, inters, 1, roots, 1, T(BASE), TG_EKU_SERVER_AUTH, NULL, &d),
		  TG_E_VERIFY);
	CHECK(contains(d.msg, "depth 0"));
	fprintf(stderr, "    leaf without EKU: %s\n", d.msg);
	tg_x509_free(root);
	tg_x509_free(inter);
	tg_x509_free(leaf);
	tg_x509_free(leaf2);
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(lk);
}

/* An intermediate that is not a CA: the builder refuses to issue from it,
 * and a chain made with plain OpenSSL through it does not verify. */
TEST(non_ca_intermediate)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *lk = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509 *root, *inter, *leaf = NULL, *oleaf = NULL;
	EVP_PKEY *irk = evp_of(ik);
	X509 *xi = NULL, *xl = NULL;
	X509_EXTENSION *e;
	X509V3_CTX v3;
	const struct tg_x509 *inters[1], *roots[1];
	struct tg_x509_tmpl t;
	struct tg_diag d;
	tg_err err;

	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, -1);
	root = build(&t, rk, NULL, rk);
	tmpl_leaf(&t, BASE - DAY, BASE + DAY);
	t.subject = INTER_SUBJECT;
	inter = build(&t, ik, root, rk); /* is_ca = false */
	CHECK(root && inter && irk);
	if (!root || !inter || !irk)
		goto out;
	tmpl_leaf(&t, BASE - DAY, BASE + DAY);
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_build(&t, lk, inter, ik, &leaf, &d), TG_E_INVAL);
	CHECK(contains(d.msg, "not a CA"));

	/* the same leaf, signed with OpenSSL directly */
	xi = x509_of(inter);
	xl = X509_new();
	CHECK(xi && xl);
	if (!xi || !xl)
		goto out;
	X509_set_version(xl, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(xl), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(xl), "CN", MBSTRING_ASC,
				   (const unsigned char *)"leaf", -1, -1, 0);
	X509_set_issuer_name(xl, X509_get_subject_name(xi));
	ASN1_TIME_set(X509_getm_notBefore(xl), (time_t)(BASE - DAY));
	ASN1_TIME_set(X509_getm_notAfter(xl), (time_t)(BASE + DAY));
	{
		EVP_PKEY *lp = evp_of(lk);
		X509_set_pubkey(xl, lp);
		EVP_PKEY_free(lp);
	}
	X509V3_set_ctx(&v3, xi, xl, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
	X509_add_ext(xl, e, -1);
	X509_EXTENSION_free(e);
	CHECK(X509_sign(xl, irk, EVP_sha256()) > 0);
	oleaf = from_x509(xl, &err, &d);
	CHECK_OK(err);
	inters[0] = inter;
	roots[0] = root;
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_verify(oleaf, inters, 1, roots, 1, T(BASE), 0, NULL, &d), TG_E_VERIFY);
	CHECK(contains(d.msg, "depth 1"));
	fprintf(stderr, "    non-CA intermediate: %s\n", d.msg);
out:
	X509_free(xi);
	X509_free(xl);
	EVP_PKEY_free(irk);
	tg_x509_free(root);
	tg_x509_free(inter);
	tg_x509_free(leaf);
	tg_x509_free(oleaf);
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(lk);
}

/* Signature bytes flipped: the parser still reads it (DER is intact), the
 * verifier refuses it. A flipped byte in the TBS fails the same way. */
TEST(tampering)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *ik = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *lk = keygen(TG_KEY_EC_P256, 0);
	struct chain c;
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	const struct tg_x509 *inters[1], *roots[1];
	struct tg_x509 *bad;
	struct tg_diag d;
	char *p;
	tg_err err;
	int where;

	CHECK(chain_build(&c, rk, ik, lk, &default_windows));
	if (!c.leaf)
		goto out;
	inters[0] = c.inter;
	roots[0] = c.root;
	for (where = 0; where < 2; where++) {
		tg_buf_reset(&der);
		CHECK_OK(tg_x509_to_der(c.leaf, &der));
		if (where == 0) {
			der.data[der.len - 5] ^= 0x01; /* inside the ECDSA signature */
		} else {
			p = memmem(der.data, der.len, "leaf.example", 12);
			CHECK(p != NULL);
			if (p)
				p[0] = 'L';
		}
		bad = from_bytes(der.data, der.len, &err);
		if (err == TG_OK) {
			tg_diag_init(&d);
			CHECK_ERR(tg_x509_verify(bad, inters, 1, roots, 1, T(BASE), 0, NULL, &d),
				  TG_E_VERIFY);
			fprintf(stderr, "    tampered %s: %s\n", where ? "TBS" : "signature", d.msg);
		} else {
			fprintf(stderr, "    tampered %s: rejected by the parser\n",
				where ? "TBS" : "signature");
		}
		tg_x509_free(bad);
	}
out:
	tg_buf_release(&der);
	chain_free(&c);
	tg_key_free(rk);
	tg_key_free(ik);
	tg_key_free(lk);
}

/* Replaces n bytes at off with rep[m] and fixes the two outer lengths
 * (both in 0x82 long form) by m - n. */
static bool der_splice(struct tg_buf *b, size_t off, size_t n, const uint8_t *rep, size_t m)
{
	uint8_t out[8192];
	size_t len = b->len - n + m, l1, l2;
	if (b->len > sizeof(out) || len > sizeof(out) || b->data[1] != 0x82 || b->data[5] != 0x82)
		return false;
	memcpy(out, b->data, off);
	memcpy(out + off, rep, m);
	memcpy(out + off + m, b->data + off + n, b->len - off - n);
	l1 = ((size_t)out[2] << 8 | out[3]) + m - n;
	l2 = ((size_t)out[6] << 8 | out[7]) + m - n;
	out[2] = (uint8_t)(l1 >> 8);
	out[3] = (uint8_t)l1;
	out[6] = (uint8_t)(l2 >> 8);
	out[7] = (uint8_t)l2;
	tg_buf_reset(b);
	return tg_buf_add(b, out, len) == TG_OK;
}

/* Finds needle; returns its offset or SIZE_MAX. */
static size_t find(const struct tg_buf *b, const uint8_t *needle, size_t n)
{
	const uint8_t *p = memmem(b->data, b->len, needle, n);
	return p ? (size_t)(p - b->data) : SIZE_MAX;
}

TEST(strict_der)
{
	struct tg_key *k = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509_tmpl t;
	struct tg_x509 *c, *bad;
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_diag d;
	tg_err err;
	size_t off;

	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, 3);
	c = build(&t, k, NULL, k);
	CHECK(c != NULL);
	if (!c)
		goto out;
	/* trailing bytes */
	CHECK_OK(tg_x509_to_der(c, &der));
	CHECK_OK(tg_buf_addc(&der, 0x00));
	tg_diag_init(&d);
	CHECK_ERR(tg_x509_from_der(der.data, der.len, &bad, &d), TG_E_PARSE);
	CHECK(contains(d.msg, "trailing"));
	/* truncated, empty, oversized */
	CHECK_ERR(tg_x509_from_der(der.data, der.len - 2, &bad, &d), TG_E_PARSE);
	CHECK_ERR(tg_x509_from_der(der.data, 0, &bad, &d), TG_E_PARSE);
	CHECK_ERR(tg_x509_from_der(der.data, TG_LIMIT_DER + 1, &bad, &d), TG_E_TOOBIG);

	/* BER: the serial's length in long form (02 81 14 instead of 02 14) */
	tg_buf_reset(&der);
	CHECK_OK(tg_x509_to_der(c, &der));
	off = 13; /* 30 82 LL LL 30 82 LL LL a0 03 02 01 02 | 02 len */
	CHECK(der.data[off] == 0x02);
	{
		uint8_t rep[3] = {0x02, 0x81, der.data[off + 1]};
		CHECK(der_splice(&der, off, 2, rep, 3));
		bad = from_bytes(der.data, der.len, &err);
		CHECK_ERR(err, TG_E_PARSE);
		CHECK(contains(last_diag.msg, "not DER"));
		tg_x509_free(bad);
		{
			const unsigned char *p = der.data;
			X509 *x = d2i_X509(NULL, &p, (long)der.len);
			CHECK(x != NULL); /* OpenSSL alone reads the BER form */
			X509_free(x);
		}
	}

	/* BOOLEAN TRUE as 0x01 instead of 0xFF: critical flag, then cA */
	{
		static const uint8_t bc_crit[] = {0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff};
		static const uint8_t bc_ca[] = {0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x03};
		tg_buf_reset(&der);
		CHECK_OK(tg_x509_to_der(c, &der));
		off = find(&der, bc_crit, sizeof(bc_crit));
		CHECK(off != SIZE_MAX);
		if (off != SIZE_MAX) {
			der.data[off + 7] = 0x01;
			bad = from_bytes(der.data, der.len, &err);
			CHECK_ERR(err, TG_E_PARSE);
			CHECK(contains(last_diag.msg, "not DER"));
			tg_x509_free(bad);
		}
		tg_buf_reset(&der);
		CHECK_OK(tg_x509_to_der(c, &der));
		off = find(&der, bc_ca, sizeof(bc_ca));
		CHECK(off != SIZE_MAX);
		if (off != SIZE_MAX) {
			der.data[off + 4] = 0x01;
			bad = from_bytes(der.data, der.len, &err);
			CHECK_ERR(err, TG_E_PARSE);
			CHECK(contains(last_diag.msg, "not DER"));
			tg_x509_free(bad);
		}
	}
	/* keyUsage with a non-minimal unused-bits count (03 02 01 06 -> 03 02 00 06) */
	{
		static const uint8_t ku[] = {0x04, 0x04, 0x03, 0x02, 0x01, 0x06};
		tg_buf_reset(&der);
		CHECK_OK(tg_x509_to_der(c, &der));
		off = find(&der, ku, sizeof(ku));
		CHECK(off != SIZE_MAX);
		if (off != SIZE_MAX) {
			der.data[off + 4] = 0x00;
			bad = from_bytes(der.data, der.len, &err);
			CHECK_ERR(err, TG_E_PARSE);
			CHECK(contains(last_diag.msg, "not DER"));
			tg_x509_free(bad);
		}
	}
	/* a PEM with another block is refused as a whole */
	{
		struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
		struct tg_x509_list l = {NULL, 0};
		CHECK_OK(tg_x509_to_pem(c, &pem));
		CHECK_OK(tg_buf_adds(&pem, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
		tg_diag_init(&d);
		CHECK_ERR(tg_x509_list_from_pem((const char *)pem.data, pem.len, &l, &d), TG_E_PARSE);
		CHECK(l.count == 0 && contains(d.msg, "PUBLIC KEY"));
		CHECK_ERR(tg_x509_list_from_pem("no pem here", 11, &l, &d), TG_E_NOTFOUND);
		tg_buf_release(&pem);
	}
out:
	tg_x509_free(c);
	tg_buf_release(&der);
	tg_key_free(k);
}

/* The strict DER check as tg_x509_from_der made it before it encoded the
 * borrowed fields instead: i2d_re_X509_tbs, the whole certificate encoded
 * again and compared, and every extension rebuilt from its parts (the
 * critical flag as 0xFF). 1 DER, 0 not DER, -1 OpenSSL does not read it. */
static int der_reference(const uint8_t *der, size_t n, bool *ext_ok)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	int relen, i, res = 0;

	*ext_ok = true;
	if (!x || (size_t)(p - der) != n) {
		X509_free(x);
		ERR_clear_error();
		return -1;
	}
	if (i2d_re_X509_tbs(x, NULL) > 0) {
		relen = i2d_X509(x, &re);
		res = relen > 0 && (size_t)relen == n && memcmp(re, der, n) == 0;
	}
	for (i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i), *fresh;
		unsigned char *a = NULL, *b = NULL;
		int al, bl;
		fresh = X509_EXTENSION_create_by_OBJ(NULL, X509_EXTENSION_get_object(e),
						     X509_EXTENSION_get_critical(e),
						     X509_EXTENSION_get_data(e));
		al = i2d_X509_EXTENSION(e, &a);
		bl = fresh ? i2d_X509_EXTENSION(fresh, &b) : -1;
		if (al <= 0 || al != bl || memcmp(a, b, (size_t)al) != 0)
			*ext_ok = false;
		OPENSSL_free(a);
		OPENSSL_free(b);
		X509_EXTENSION_free(fresh);
	}
	OPENSSL_free(re);
	X509_free(x);
	ERR_clear_error();
	return res;
}

/* Every byte of a certificate changed in turn (three ways): the strict DER
 * verdict of tg_x509_from_der must be the reference's, byte for byte the
 * same certificates refused as "not DER", and nothing accepted that the
 * reference calls not DER. A v3 leaf with critical extensions, and a v1
 * certificate (no version field) made by plain OpenSSL. */
static void der_differential(const uint8_t *der, size_t n, size_t *read, size_t *not_der,
			     size_t *accepted)
{
	static const uint8_t flips[] = {0x01, 0x80, 0xfe};
	uint8_t *m = tg_xmalloc(n);
	size_t i, k;
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(flips); k++) {
			struct tg_x509 *c = NULL;
			struct tg_diag d;
			bool ext_ok;
			int ref;
			tg_err err;
			memcpy(m, der, n);
			m[i] ^= flips[k];
			ref = der_reference(m, n, &ext_ok);
			tg_diag_init(&d);
			err = tg_x509_from_der(m, n, &c, &d);
			if (ref < 0) {
				CHECK(err != TG_OK);
			} else {
				bool said = contains(d.msg, "re-encodes differently");
				(*read)++;
				if (ref == 0) {
					(*not_der)++;
					CHECK(err == TG_E_PARSE && said);
				} else {
					CHECK(!said);
					if (!ext_ok)
						CHECK(err != TG_OK);
				}
				if ((ref == 0) != said || (ref == 1 && !ext_ok && err == TG_OK))
					fprintf(stderr, "  byte %zu ^ 0x%02x: reference %d/%d, got '%s'\n",
						i, flips[k], ref, ext_ok, d.msg);
			}
			if (err == TG_OK) {
				(*accepted)++;
				CHECK(ref == 1 && ext_ok);
			}
			tg_x509_free(c);
		}
	}
	free(m);
}

TEST(strict_der_differential)
{
	struct tg_key *k = keygen(TG_KEY_EC_P256, 0);
	EVP_PKEY *pk = evp_of(k);
	struct tg_x509_tmpl t;
	struct tg_x509 *ca = NULL, *leaf = NULL;
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	X509 *v1 = X509_new();
	unsigned char *v1der = NULL;
	size_t read = 0, not_der = 0, accepted = 0;
	int v1len;

	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, 3);
	ca = build(&t, k, NULL, k);
	tmpl_leaf(&t, BASE - DAY, BASE + DAY);
	leaf = ca ? build(&t, k, ca, k) : NULL;
	CHECK(leaf != NULL && pk != NULL && v1 != NULL);
	if (!leaf || !pk || !v1)
		goto out;
	CHECK_OK(tg_x509_to_der(leaf, &der));
	der_differential(der.data, der.len, &read, &not_der, &accepted);
	/* each element of the TBSCertificate with its length in a longer form
	 * than DER allows (30 82 LL LL 30 82 LL LL, then the elements) */
	{
		size_t off = 8, tbs_end, count = 0;
		CHECK(der.len > 8 && der.data[1] == 0x82 && der.data[5] == 0x82);
		tbs_end = 8 + ((size_t)der.data[6] << 8 | der.data[7]);
		while (off + 2 < tbs_end && count < 16) {
			struct tg_buf b = TG_BUF_INIT(TG_LIMIT_DER);
			uint8_t h = der.data[off + 1], rep[6];
			size_t hn, len, m;
			if (h < 0x80) {
				hn = 2, len = h;
				rep[0] = der.data[off], rep[1] = 0x81, rep[2] = h, m = 3;
			} else if (h == 0x81) {
				hn = 3, len = der.data[off + 2];
				rep[0] = der.data[off], rep[1] = 0x82, rep[2] = 0, rep[3] = (uint8_t)len, m = 4;
			} else {
				CHECK(h == 0x82);
				hn = 4, len = (size_t)der.data[off + 2] << 8 | der.data[off + 3];
				memcpy(rep, der.data + off, 4);
				rep[1] = 0x83, rep[2] = 0, rep[3] = der.data[off + 2], rep[4] = der.data[off + 3];
				m = 5;
			}
			CHECK_OK(tg_buf_add(&b, der.data, der.len));
			if (der_splice(&b, off, hn, rep, m)) {
				der_differential(b.data, b.len, &read, &not_der, &accepted);
				count++;
			}
			tg_buf_release(&b);
			off += hn + len;
		}
		CHECK(count == 8); /* version .. extensions */
	}

	/* version 1: X509_VERSION_1 leaves the [0] version field out */
	X509_set_version(v1, X509_VERSION_1);
	ASN1_INTEGER_set(X509_get_serialNumber(v1), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(v1), "CN", MBSTRING_UTF8,
				   (const unsigned char *)"v1", -1, -1, 0);
	X509_set_issuer_name(v1, X509_get_subject_name(v1));
	ASN1_TIME_set(X509_getm_notBefore(v1), (time_t)BASE);
	ASN1_TIME_set(X509_getm_notAfter(v1), (time_t)(BASE + DAY));
	X509_set_pubkey(v1, pk);
	CHECK(X509_sign(v1, pk, EVP_sha256()) > 0);
	v1len = i2d_X509(v1, &v1der);
	CHECK(v1len > 0);
	if (v1len > 0) {
		struct tg_x509 *c = from_bytes(v1der, (size_t)v1len, &(tg_err){0});
		CHECK(c != NULL); /* the unchanged one is DER */
		tg_x509_free(c);
		der_differential(v1der, (size_t)v1len, &read, &not_der, &accepted);
	}
	fprintf(stderr, "  %zu changed certificates read by OpenSSL, %zu not DER, %zu accepted\n",
		read, not_der, accepted);
	/* the comparison was exercised on both sides */
	CHECK(read > 500 && not_der > 500 && accepted > 50);
out:
	OPENSSL_free(v1der);
	X509_free(v1);
	EVP_PKEY_free(pk);
	tg_buf_release(&der);
	tg_x509_free(leaf);
	tg_x509_free(ca);
	tg_key_free(k);
}

/* Certificates made by plain OpenSSL: every SAN type, duplicates. */
TEST(foreign_certificates)
{
	struct tg_key *k = keygen(TG_KEY_EC_P256, 0);
	EVP_PKEY *pk = evp_of(k);
	X509 *x = X509_new();
	X509_EXTENSION *e;
	X509V3_CTX v3;
	struct tg_x509 *c;
	struct tg_arena a;
	const struct tg_san *s = NULL;
	size_t n = 0;
	bool crit = false;
	struct tg_diag d;
	tg_err err;

	CHECK(pk && x);
	if (!pk || !x)
		goto out;
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				   (const unsigned char *)"caf\xc3\xa9, \"quoted\"", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)BASE);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(BASE + DAY));
	X509_set_pubkey(x, pk);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				"critical,IP:192.0.2.1,IP:2001:db8::1,"
				"otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com,"
				"DNS:a.example,email:x@example.com,URI:https://example.com/x,"
				"RID:1.2.3.4");
	CHECK(e != NULL);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	CHECK(X509_sign(x, pk, EVP_sha256()) > 0);
	c = from_x509(x, &err, &d);
	CHECK_OK(err);
	if (c) {
		check_string(tg_x509_subject, c, "CN=caf\xc3\xa9\\, \\\"quoted\\\"");
		check_string(tg_x509_serial_hex, c, "01");
		tg_arena_init(&a, 1 << 16);
		CHECK_OK(tg_x509_sans(c, &a, &s, &n, &crit));
		CHECK(n == 6 && crit); /* the registeredID is not returned */
		if (n == 6) {
			CHECK(s[0].type == TG_SAN_IP);
			CHECK_STR(s[0].value, "192.0.2.1");
			CHECK(s[1].type == TG_SAN_IP);
			CHECK_STR(s[1].value, "2001:db8::1");
			CHECK(s[2].type == TG_SAN_OTHER);
			CHECK_STR(s[2].value, "1.3.6.1.4.1.311.20.2.3");
			CHECK(s[3].type == TG_SAN_DNS);
			CHECK_STR(s[3].value, "a.example");
			CHECK(s[4].type == TG_SAN_EMAIL);
			CHECK_STR(s[4].value, "x@example.com");
			CHECK(s[5].type == TG_SAN_URI);
			CHECK_STR(s[5].value, "https://example.com/x");
			CHECK(s[5].len == 21);
		}
		tg_arena_release(&a);
		{
			struct tg_x509_basic bc;
			bool present;
			unsigned bits;
			CHECK_OK(tg_x509_basic_constraints(c, &bc));
			CHECK(!bc.present && !bc.ca && bc.path_len == -1);
			CHECK_OK(tg_x509_key_usage(c, &present, &crit, &bits));
			CHECK(!present && bits == 0);
		}
		tg_x509_free(c);
	}

	/* the same extension twice */
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
	X509_add_ext(x, e, -1);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	CHECK(X509_sign(x, pk, EVP_sha256()) > 0);
	c = from_x509(x, &err, &d);
	CHECK_ERR(err, TG_E_PARSE);
	CHECK(contains(d.msg, "repeats"));
	tg_x509_free(c);
	ERR_clear_error();
out:
	X509_free(x);
	EVP_PKEY_free(pk);
	tg_key_free(k);
}

TEST(subject_parser)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{"CN=a", "CN=a"},
		{"CN=a\\,b,O=x\\+y\\=z\\\\w", "CN=a\\,b,O=x\\+y=z\\\\w"},
		{"DC=example,DC=org,CN=svc", "DC=example,DC=org,CN=svc"},
		{"C=DE,ST=Berlin,L=Berlin,O=Org,OU=Unit,CN=Zo\xc3\xab", "C=DE,ST=Berlin,L=Berlin,O=Org,OU=Unit,CN=Zo\xc3\xab"},
		{"CN=a b", "CN=a b"},
	};
	static const char *const bad[] = {
		"CN=",        "XX=a",        "cn=a",     "CN=a,",     ",CN=a",    "CN=a+O=b",
		"CN=a\\q",    "CN=a\\",      "CN = a",   "CN=a, O=b", "C=USA",    "CN=#abc",
		"CN=a;b",     "CN=\xff",     "CN=a=b",   "CN",        "CN=a,,O=b", "CN= a",
		"CN=a ",      "CN=a\"b",     "CN=a\tb",  "DC=\xc3\xa9", "2.5.4.3=a",
	};
	struct tg_key *k = keygen(TG_KEY_ED25519, 0);
	struct tg_x509_tmpl t;
	struct tg_x509 *c;
	struct tg_diag d;
	size_t i;

	for (i = 0; i < TG_ARRAY_LEN(good); i++) {
		tmpl_leaf(&t, BASE, BASE + DAY);
		t.subject = good[i].in;
		c = build(&t, k, NULL, k);
		CHECK(c != NULL);
		if (c) {
			check_string(tg_x509_subject, c, good[i].out);
			check_string(tg_x509_issuer, c, good[i].out);
			if (openssl_available())
				CHECK(openssl_text(c) == 0);
		}
		tg_x509_free(c);
	}
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		tmpl_leaf(&t, BASE, BASE + DAY);
		t.subject = bad[i];
		c = NULL;
		tg_diag_init(&d);
		CHECK_ERR(tg_x509_build(&t, k, NULL, k, &c, &d), TG_E_INVAL);
		CHECK(c == NULL && d.msg[0]);
		if (i < 3)
			fprintf(stderr, "    '%s': %s\n", bad[i], d.msg);
	}
	tg_key_free(k);
}

TEST(empty_subject)
{
	struct tg_key *k = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509_tmpl t;
	struct tg_x509 *c = NULL;
	struct tg_arena a;
	const struct tg_san *s;
	size_t n;
	bool crit;
	struct tg_diag d;

	/* an empty subject with SANs: allowed, SAN forced critical */
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.subject = "";
	t.san_critical = false;
	tg_diag_init(&d);
	CHECK_OK(tg_x509_build(&t, k, NULL, k, &c, &d));
	if (c) {
		check_string(tg_x509_subject, c, "");
		tg_arena_init(&a, 1 << 16);
		CHECK_OK(tg_x509_sans(c, &a, &s, &n, &crit));
		CHECK(n == 4 && crit);
		tg_arena_release(&a);
		if (openssl_available())
			CHECK(openssl_text(c) == 0);
		tg_x509_free(c);
		c = NULL;
	}
	t.subject = NULL;
	CHECK_OK(tg_x509_build(&t, k, NULL, k, &c, &d));
	tg_x509_free(c);
	c = NULL;
	/* without any SAN: refused */
	t.san_uri = t.san_dns = t.san_email = NULL;
	CHECK_ERR(tg_x509_build(&t, k, NULL, k, &c, &d), TG_E_INVAL);
	CHECK(contains(d.msg, "subject alternative name"));
	fprintf(stderr, "    %s\n", d.msg);
	/* a CA needs a subject */
	tmpl_ca(&t, "", BASE, BASE + DAY, -1);
	CHECK_ERR(tg_x509_build(&t, k, NULL, k, &c, &d), TG_E_INVAL);
	CHECK(c == NULL);
	tg_key_free(k);
}

TEST(builder_rejects)
{
	struct tg_key *rk = keygen(TG_KEY_EC_P256, 0), *k = keygen(TG_KEY_EC_P256, 0);
	struct tg_key *ek = keygen(TG_KEY_ED25519, 0), *pub = NULL;
	struct tg_x509 *root, *leaf = NULL, *c = NULL;
	struct tg_x509_tmpl t;
	struct tg_diag d;
	static const uint8_t zero[] = {0, 0};
	static const uint8_t long21[21] = {1};
	static const uint8_t top20[20] = {0x80};
	static const uint8_t ok20[20] = {0x7f, 1};
	static const uint8_t bad_der[] = {0x0c, 0x05, 'a'};
	static const uint8_t two_der[] = {0x05, 0x00, 0x05, 0x00};
	static const uint8_t null_der[] = {0x05, 0x00};
	const char *bad_dns[] = {"-bad.example", NULL};
	const char *bad_dns2[] = {"a..example", NULL};
	const char *bad_dns3[] = {"a.example.", NULL};
	const char *bad_dns4[] = {"a.*.example", NULL};
	const char *bad_uri[] = {"no-scheme", NULL};
	const char *bad_uri2[] = {"https://a b", NULL};
	const char *bad_email[] = {"a@@b.example", NULL};
	const char *bad_email2[] = {"@b.example", NULL};
	struct tg_x509_ext_tmpl ext[2];

	tmpl_ca(&t, ROOT_SUBJECT, BASE - DAY, BASE + DAY, -1);
	root = build(&t, rk, NULL, rk);
	CHECK(root != NULL);
	tg_diag_init(&d);

#define REJECT(want, expr)                                                   \
	do {                                                                 \
		c = NULL;                                                    \
		tg_diag_init(&d);                                            \
		CHECK_ERR((expr), (want));                                   \
		CHECK(c == NULL);                                            \
		tg_x509_free(c);                                             \
	} while (0)

	/* path length on a leaf, CA without keyCertSign, keyCertSign on a leaf */
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.path_len = 0;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	tmpl_ca(&t, INTER_SUBJECT, BASE, BASE + DAY, -1);
	t.key_usage = TG_KU_CRL_SIGN;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.key_usage |= TG_KU_KEY_CERT_SIGN;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	/* key usage that does not fit the key */
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.key_usage = TG_KU_KEY_ENCIPHERMENT;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.key_usage = TG_KU_KEY_AGREEMENT;
	REJECT(TG_E_INVAL, tg_x509_build(&t, ek, root, rk, &c, &d));
	t.key_usage = TG_KU_ENCIPHER_ONLY;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.key_usage = 0x200;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.ext_key_usage = 0x40;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	/* issuer that is no CA, issuer key that does not match, self-signed
	 * with another key, public issuer key */
	tmpl_leaf(&t, BASE, BASE + DAY);
	leaf = build(&t, k, root, rk);
	CHECK(leaf != NULL);
	REJECT(TG_E_INVAL, tg_x509_build(&t, ek, leaf, k, &c, &d));
	REJECT(TG_E_KEY, tg_x509_build(&t, k, root, k, &c, &d));
	CHECK(contains(d.msg, "does not match"));
	REJECT(TG_E_KEY, tg_x509_build(&t, k, NULL, rk, &c, &d));
	CHECK_OK(tg_key_public(rk, &pub));
	REJECT(TG_E_KEY, tg_x509_build(&t, k, root, pub, &c, &d));
	/* validity */
	tmpl_leaf(&t, BASE, BASE);
	REJECT(TG_E_RANGE, tg_x509_build(&t, k, root, rk, &c, &d));
	tmpl_leaf(&t, -1, BASE);
	REJECT(TG_E_RANGE, tg_x509_build(&t, k, root, rk, &c, &d));
	tmpl_leaf(&t, BASE, INT64_C(253402300800));
	REJECT(TG_E_RANGE, tg_x509_build(&t, k, root, rk, &c, &d));
	/* serial numbers */
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.serial = zero;
	t.serial_len = sizeof(zero);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.serial_len = 0;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.serial = long21;
	t.serial_len = sizeof(long21);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.serial = top20;
	t.serial_len = sizeof(top20);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	t.serial = ok20;
	t.serial_len = sizeof(ok20);
	c = build(&t, k, root, rk);
	CHECK(c != NULL);
	if (c)
		check_string(tg_x509_serial_hex, c, "7f01000000000000000000000000000000000000");
	tg_x509_free(c);
	/* names */
#define BAD_SAN(field, list)                                                 \
	do {                                                                 \
		tmpl_leaf(&t, BASE, BASE + DAY);                             \
		t.field = list;                                              \
		REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));  \
	} while (0)
	BAD_SAN(san_dns, bad_dns);
	BAD_SAN(san_dns, bad_dns2);
	BAD_SAN(san_dns, bad_dns3);
	BAD_SAN(san_dns, bad_dns4);
	BAD_SAN(san_uri, bad_uri);
	BAD_SAN(san_uri, bad_uri2);
	BAD_SAN(san_email, bad_email);
	BAD_SAN(san_email, bad_email2);
	/* extra extensions: owned OIDs, non-DER values, repeats, bad OIDs */
	tmpl_leaf(&t, BASE, BASE + DAY);
	t.ext = ext;
	t.n_ext = 1;
	ext[0].oid = "2.5.29.19";
	ext[0].critical = false;
	ext[0].der = null_der;
	ext[0].len = sizeof(null_der);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].oid = "1.2.3.4";
	ext[0].der = bad_der;
	ext[0].len = sizeof(bad_der);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].der = two_der;
	ext[0].len = sizeof(two_der);
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].der = null_der;
	ext[0].len = 0;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].len = sizeof(null_der);
	ext[0].oid = "1.2.3.04";
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].oid = "basicConstraints";
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	ext[0].oid = "1.2.3.4";
	ext[1] = ext[0];
	t.n_ext = 2;
	REJECT(TG_E_INVAL, tg_x509_build(&t, k, root, rk, &c, &d));
	CHECK(contains(d.msg, "twice"));
	/* a critical extension nobody understands makes the leaf unverifiable */
	t.n_ext = 1;
	ext[0].critical = true;
	c = build(&t, k, root, rk);
	CHECK(c != NULL);
	if (c) {
		const struct tg_x509 *roots[1] = {root};
		CHECK_ERR(tg_x509_verify(c, NULL, 0, roots, 1, T(BASE + 1), 0, NULL, &d),
			  TG_E_VERIFY);
		CHECK(contains(d.msg, "critical"));
		fprintf(stderr, "    unknown critical extension: %s\n", d.msg);
	}
	tg_x509_free(c);
#undef BAD_SAN
#undef REJECT
	tg_x509_free(root);
	tg_x509_free(leaf);
	tg_key_free(rk);
	tg_key_free(k);
	tg_key_free(ek);
	tg_key_free(pub);
}

/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; a
 * random serial is positive and at most 20 octets. */
TEST(times_and_serials)
{
	struct tg_key *k = keygen(TG_KEY_EC_P256, 0);
	struct tg_x509_tmpl t;
	struct tg_x509 *c;
	struct tg_time nb, na;
	int64_t y2050 = INT64_C(2524608000); /* 2050-01-01T00:00:00Z */
	int i;

	tmpl_leaf(&t, y2050 - 1, y2050);
	t.serial = NULL;
	c = build(&t, k, NULL, k);
	CHECK(c != NULL);
	if (c) {
		X509 *x = x509_of(c);
		CHECK(x != NULL);
		if (x) {
			CHECK(ASN1_STRING_type(X509_get0_notBefore(x)) == V_ASN1_UTCTIME);
			CHECK(ASN1_STRING_type(X509_get0_notAfter(x)) == V_ASN1_GENERALIZEDTIME);
			X509_free(x);
		}
		CHECK_OK(tg_x509_validity(c, &nb, &na));
		CHECK(nb.sec == y2050 - 1 && na.sec == y2050);
		if (openssl_available())
			CHECK(openssl_text(c) == 0);
	}
	tg_x509_free(c);
	tmpl_leaf(&t, 0, INT64_C(253402300799));
	c = build(&t, k, NULL, k);
	CHECK(c != NULL);
	if (c) {
		CHECK_OK(tg_x509_validity(c, &nb, &na));
		CHECK(nb.sec == 0 && na.sec == INT64_C(253402300799));
	}
	tg_x509_free(c);
	for (i = 0; i < 16; i++) {
		struct tg_buf b = TG_BUF_INIT(128);
		tmpl_leaf(&t, BASE, BASE + DAY);
		t.serial = NULL;
		c = build(&t, k, NULL, k);
		CHECK(c != NULL);
		if (c) {
			CHECK_OK(tg_x509_serial_hex(c, &b));
			CHECK(b.len >= 2 && b.len <= 40 && b.len % 2 == 0);
			CHECK(b.len < 40 || b.data[0] < '8');
		}
		tg_buf_release(&b);
		tg_x509_free(c);
	}
	tg_key_free(k);
}

/* Third-party certificates: go-spiffe's X509-SVID test leaves. */
struct spiffe_case {
	const char *file;
	bool ca;
	unsigned ku;
	enum tg_san_type san_type;
	const char *san;
	int64_t nb;
};

TEST(spiffe_testdata)
{
	static const struct spiffe_case cases[] = {
		{"good-leaf-only.pem", false, TG_KU_DIGITAL_SIGNATURE, TG_SAN_URI,
		 "spiffe://example.org/workload-1", INT64_C(1585594837)},
		{"wrong-leaf-ca-true.pem", true, TG_KU_DIGITAL_SIGNATURE, TG_SAN_URI,
		 "spiffe://example.org/workload-1", 0},
		{"wrong-leaf-cert-sign.pem", false, TG_KU_DIGITAL_SIGNATURE | TG_KU_KEY_CERT_SIGN,
		 TG_SAN_URI, "spiffe://example.org/workload-1", 0},
		{"wrong-leaf-crl-sign.pem", false, TG_KU_DIGITAL_SIGNATURE | TG_KU_CRL_SIGN, TG_SAN_URI,
		 "spiffe://example.org/workload-1", 0},
		{"wrong-leaf-empty-id.pem", false, TG_KU_DIGITAL_SIGNATURE, TG_SAN_DNS, "example.org",
		 0},
		{"wrong-leaf-no-digital-signature.pem", false, TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN,
		 TG_SAN_URI, "spiffe://example.org/workload-1", 0},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		const struct spiffe_case *sc = &cases[i];
		char sub[128];
		const char *path;
		char *pem;
		size_t len, n = 0;
		struct tg_x509_list l = {NULL, 0};
		struct tg_x509_basic bc;
		struct tg_arena a;
		const struct tg_san *s = NULL;
		struct tg_key *pk = NULL;
		struct tg_time nb, na;
		struct tg_buf b = TG_BUF_INIT(4096);
		struct tg_diag d;
		bool present, crit;
		unsigned bits;

		snprintf(sub, sizeof(sub), "spiffe/%s", sc->file);
		path = tg_test_testdata(sub);
		if (!path)
			return; /* skipped loudly by tg_test_testdata */
		pem = tg_test_read_file(path, &len);
		tg_diag_init(&d);
		CHECK_OK(tg_x509_list_from_pem(pem, len, &l, &d));
		free(pem);
		if (d.msg[0])
			fprintf(stderr, "    %s: %s\n", sc->file, d.msg);
		CHECK(l.count == 1);
		if (l.count != 1) {
			tg_x509_list_release(&l);
			continue;
		}
		check_string(tg_x509_subject, l.certs[0], "O=SPIFFE,C=US");
		check_string(tg_x509_issuer, l.certs[0], "O=SPIFFE,C=US");
		CHECK_OK(tg_x509_basic_constraints(l.certs[0], &bc));
		CHECK(bc.present && bc.critical && bc.ca == sc->ca && bc.path_len == -1);
		CHECK_OK(tg_x509_key_usage(l.certs[0], &present, &crit, &bits));
		CHECK(present && crit && bits == sc->ku);
		CHECK_OK(tg_x509_ext_key_usage(l.certs[0], &present, &crit, &bits, &b));
		CHECK(!present);
		tg_arena_init(&a, 1 << 16);
		CHECK_OK(tg_x509_sans(l.certs[0], &a, &s, &n, &crit));
		CHECK(n == 1 && !crit);
		if (n == 1) {
			CHECK(s[0].type == sc->san_type);
			CHECK_STR(s[0].value, sc->san);
		}
		tg_arena_release(&a);
		CHECK_OK(tg_x509_validity(l.certs[0], &nb, &na));
		CHECK(na.sec - nb.sec == 1826 * DAY - DAY); /* five years (2020-03-30 .. 2025-03-29) */
		if (sc->nb)
			CHECK(nb.sec == sc->nb);
		CHECK_OK(tg_x509_public_key(l.certs[0], &pk));
		CHECK(pk && tg_key_type(pk) == TG_KEY_RSA && tg_key_bits(pk) == 2048);
		tg_key_free(pk);
		tg_buf_reset(&b);
		CHECK_OK(tg_x509_ext(l.certs[0], "2.5.29.14", &crit, &b));
		CHECK(b.len == 22 && b.data[0] == 0x04 && b.data[2] == 0xcb && b.data[3] == 0x85);
		check_roundtrip(l.certs[0]);
		fprintf(stderr, "    %s: CA:%s KU 0x%03x SAN %s\n", sc->file, bc.ca ? "TRUE" : "FALSE",
			sc->ku, sc->san);
		tg_buf_release(&b);
		tg_x509_list_release(&l);
	}
}

int main(void)
{
	char tpl[] = "/tmp/tg-x509-XXXXXX";
	const char *base = getenv("TMPDIR");
	int st;
	if (base && *base && strlen(base) + 16 < sizeof(tmpdir))
		snprintf(tmpdir, sizeof(tmpdir), "%s/tg-x509-XXXXXX", base);
	else
		snprintf(tmpdir, sizeof(tmpdir), "%s", tpl);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "cannot create a temporary directory\n");
		return 2;
	}
	RUN(chains_by_key_type);
	RUN(validity_of_each_certificate);
	RUN(chain_failures);
	RUN(path_length);
	RUN(chain_depth_limit);
	RUN(eku_rules);
	RUN(non_ca_intermediate);
	RUN(tampering);
	RUN(strict_der);
	RUN(strict_der_differential);
	RUN(foreign_certificates);
	RUN(subject_parser);
	RUN(empty_subject);
	RUN(builder_rejects);
	RUN(times_and_serials);
	RUN(spiffe_testdata);
	st = tg_test_done();
	rmdir(tmpdir);
	return st;
}
