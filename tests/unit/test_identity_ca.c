/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_ca.c - the trust domain CA: its directory and database,
 * the certificate profiles of roots, intermediates and X509-SVIDs, JWT-SVID
 * claims, rotation, expiry on open, bundles, federation and revocation.
 */

/*
 * Expected profiles come from the SPIFFE X509-SVID and JWT-SVID
 * specifications and RFC 5280; the issued chains are also checked by
 * `openssl verify` (OpenSSL's own path validation) when it is on PATH.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "identity/identity.h"
#include "tg_test.h"

#define TD "example.org"

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

static void rm_rf(const char *dir)
{
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmp_dir(void)
{
	static char dirs[16][64];
	static int n;
	char *p = dirs[n++ % 16];
	snprintf(p, 64, "/tmp/tg-idcore-XXXXXX");
	if (!mkdtemp(p)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	return p;
}

/* A fresh CA directory D (a subdirectory of a new temporary directory). */
static const char *new_ca(const char *td, enum tg_key_type kt, struct tg_time now)
{
	static char paths[16][128];
	static int n;
	char *p = paths[n++ % 16];
	struct tg_diag d;
	tg_err r;
	snprintf(p, 128, "%s/ca", tmp_dir());
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
	tg_err r;
	tg_diag_init(&d);
	r = tg_ca_open(dir, &ca, &d);
	if (r != TG_OK) {
		fprintf(stderr, "tg_ca_open: %s: %s\n", tg_strerror(r), d.msg);
		exit(2);
	}
	return ca;
}

static void rm_ca(const char *dir)
{
	char parent[256];
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	rm_rf(parent);
}

static mode_t file_mode(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

/* Counts the files in dir whose names end with ext. */
static int count_files(const char *dir, const char *ext)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!dh)
		return -1;
	while ((e = readdir(dh)) != NULL) {
		size_t l = strlen(e->d_name), el = strlen(ext);
		if (e->d_name[0] != '.' && l > el && strcmp(e->d_name + l - el, ext) == 0)
			n++;
	}
	closedir(dh);
	return n;
}

static struct tg_time at(int64_t s)
{
	struct tg_time t = {s, 0};
	return t;
}

static struct tg_key *gen(enum tg_key_type t)
{
	struct tg_key *k = NULL;
	if (tg_key_generate(t, t == TG_KEY_RSA ? 2048 : 0, &k) != TG_OK) {
		fprintf(stderr, "cannot generate a key\n");
		exit(2);
	}
	return k;
}

static void id_of(const char *s, struct tg_spiffe_id *id)
{
	if (tg_spiffe_id_parse(s, strlen(s), id, NULL) != TG_OK) {
		fprintf(stderr, "bad test ID %s\n", s);
		exit(2);
	}
}

static char *str_of(tg_err (*fn)(const struct tg_x509 *, struct tg_buf *), const struct tg_x509 *c)
{
	struct tg_buf b = TG_BUF_INIT(65536);
	uint8_t *p;
	size_t n;
	if (fn(c, &b) != TG_OK)
		return strdup("?");
	tg_buf_detach(&b, &p, &n);
	return (char *)p;
}

/* One-value SQL query on the CA's database file, as a string (static). */
static const char *sql1(const char *dir, const char *sql)
{
	static char out[512];
	char path[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	snprintf(path, sizeof(path), "%s/identity.db", dir);
	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(out, sizeof(out), "(none)");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

/* ------------------------------------------------------------------ */
/* Directory and profiles                                              */
/* ------------------------------------------------------------------ */

static void check_ca_cert(const struct tg_x509 *c, int path_len, const char *want_cn)
{
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	struct tg_x509_basic bc;
	size_t n = 0;
	bool present = false, crit = false;
	unsigned ku = 0;
	char *subj = str_of(tg_x509_subject, c);

	CHECK(strstr(subj, want_cn) != NULL);
	CHECK(strstr(subj, "O=tollgate") != NULL);
	free(subj);
	CHECK_OK(tg_x509_basic_constraints(c, &bc));
	CHECK(bc.present && bc.critical && bc.ca && bc.path_len == path_len);
	CHECK_OK(tg_x509_key_usage(c, &present, &crit, &ku));
	CHECK(present && crit && ku == (TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN));
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_x509_sans(c, &a, &sans, &n, &crit));
	/* the SPIFFE ID of a signing certificate has no path (X509-SVID 3.2) */
	CHECK(n == 1 && sans[0].type == TG_SAN_URI);
	if (n == 1)
		CHECK_STR(sans[0].value, "spiffe://" TD);
	tg_arena_release(&a);
}

TEST(init_layout)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	char path[512];
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	struct tg_x509_list l = {NULL, 0};
	struct tg_time nb, na;
	struct tg_key *k = NULL;

	snprintf(path, sizeof(path), "%s/root.key", dir);
	CHECK(file_mode(path) == 0600);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	CHECK(file_mode(path) == 0644);
	snprintf(path, sizeof(path), "%s/identity.db", dir);
	CHECK(file_mode(path) == 0600);
	snprintf(path, sizeof(path), "%s", dir);
	CHECK(file_mode(path) == 0700);
	snprintf(path, sizeof(path), "%s/intermediates", dir);
	CHECK(count_files(path, ".pem") == 1);
	CHECK(count_files(path, ".key") == 1);
	snprintf(path, sizeof(path), "%s/jwt", dir);
	CHECK(count_files(path, ".json") == 1);
	CHECK(count_files(path, ".key") == 1);
	snprintf(path, sizeof(path), "%s/bundles", dir);
	CHECK(count_files(path, ".json") == 0);

	/* ca.json */
	snprintf(path, sizeof(path), "%s/ca.json", dir);
	CHECK_OK(tg_fs_read(path, &b, NULL));
	CHECK(strstr(tg_buf_str(&b), "\"trust_domain\": \"example.org\"") != NULL);
	CHECK(strstr(tg_buf_str(&b), "\"key_type\": \"ecdsa-p256\"") != NULL);
	CHECK(strstr(tg_buf_str(&b), "\"x509_svid_ttl\": 3600") != NULL);
	CHECK(strstr(tg_buf_str(&b), "\"jwt_svid_ttl\": 300") != NULL);

	/* the root: self-signed CA, ten years, P-256 */
	tg_buf_reset(&b);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	CHECK_OK(tg_fs_read(path, &b, NULL));
	CHECK_OK(tg_x509_list_from_pem(tg_buf_str(&b), b.len, &l, NULL));
	CHECK(l.count == 1);
	if (l.count == 1) {
		const struct tg_x509 *self[1] = {l.certs[0]};
		check_ca_cert(l.certs[0], 1, "CN=example.org root");
		CHECK_OK(tg_x509_validity(l.certs[0], &nb, &na));
		CHECK(nb.sec == now.sec - 60);
		CHECK(na.sec == now.sec + 3652LL * 86400);
		CHECK_OK(tg_x509_public_key(l.certs[0], &k));
		CHECK(tg_key_type(k) == TG_KEY_EC_P256);
		tg_key_free(k);
		CHECK_OK(tg_x509_verify(l.certs[0], NULL, 0, self, 1, now, 0, NULL, NULL));
	}
	tg_x509_list_release(&l);

	/* the database: WAL, the schema's version and tables */
	CHECK_STR(sql1(dir, "PRAGMA journal_mode"), "wal");
	CHECK_STR(sql1(dir, "PRAGMA user_version"), "2");
	CHECK_STR(sql1(dir, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
			    "('entries', 'entry_selectors', 'join_tokens', 'replay', "
			    "'revoked_serials', 'revoked_jtis', 'issued')"),
		  "7");
	CHECK_STR(sql1(dir, "SELECT name FROM sqlite_master WHERE type = 'index' AND "
			    "tbl_name = 'entry_selectors' AND sql IS NOT NULL"),
		  "entry_selectors_by_selector");
	tg_buf_release(&b);
	rm_ca(dir);
}

TEST(init_errors)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P384, now);
	char other[256];
	struct tg_ca *ca = NULL;
	struct tg_diag d;

	tg_diag_init(&d);
	CHECK_ERR(tg_ca_init(dir, TD, TG_KEY_EC_P384, now, &d), TG_E_EXISTS);
	CHECK(strstr(d.msg, "already holds a CA") != NULL);
	snprintf(other, sizeof(other), "%s/../x", dir);
	CHECK_ERR(tg_ca_init(other, "Example.org", TG_KEY_EC_P256, now, NULL), TG_E_INVAL);
	CHECK_ERR(tg_ca_init(other, "spiffe://example.org", TG_KEY_EC_P256, now, NULL),
		  TG_E_INVAL);
	CHECK_ERR(tg_ca_init(other, TD, TG_KEY_RSA, now, NULL), TG_E_UNSUPPORTED);
	CHECK_ERR(tg_ca_init(other, TD, TG_KEY_ED25519, now, NULL), TG_E_UNSUPPORTED);
	CHECK(!tg_fs_exists(other));
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_open(other, &ca, &d), TG_E_NOTFOUND);
	CHECK(strstr(d.msg, "holds no CA") != NULL);
	CHECK(ca == NULL);

	ca = open_ca(dir);
	CHECK_STR(tg_ca_trust_domain(ca), TD);
	tg_ca_close(ca);
	tg_ca_close(NULL);
	rm_ca(dir);
}

/* A key file that others can read is refused, as ssh does. */
TEST(key_permissions)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	char path[512];
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	DIR *dh;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/jwt", dir);
	dh = opendir(path);
	while (dh && (e = readdir(dh)) != NULL) {
		if (strstr(e->d_name, ".key")) {
			snprintf(path, sizeof(path), "%s/jwt/%s", dir, e->d_name);
			break;
		}
	}
	if (dh)
		closedir(dh);
	CHECK(chmod(path, 0640) == 0);
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_open(dir, &ca, &d), TG_E_PERM);
	CHECK(strstr(d.msg, "must be 0600") != NULL);
	CHECK(chmod(path, 0600) == 0);
	CHECK_OK(tg_ca_open(dir, &ca, NULL));
	tg_ca_close(ca);
	rm_ca(dir);
}

/* X509-SVID 2, 3.1, 4.1, 4.3, 4.4 */
static void check_svid(const struct tg_x509_list *chain, const char *want_id, unsigned want_ku,
		       struct tg_time want_nb, struct tg_time want_na)
{
	const struct tg_x509 *leaf = chain->certs[0];
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	struct tg_x509_basic bc;
	struct tg_time nb, na;
	size_t n = 0;
	bool present = false, crit = false;
	unsigned bits = 0;
	char *subj = str_of(tg_x509_subject, leaf), *iss = str_of(tg_x509_issuer, leaf);
	char *isubj = str_of(tg_x509_subject, chain->certs[1]);

	CHECK(chain->count == 2);
	CHECK_STR(subj, "");
	CHECK_STR(iss, isubj);
	free(subj);
	free(iss);
	free(isubj);
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_x509_sans(leaf, &a, &sans, &n, &crit));
	CHECK(n == 1 && crit);
	if (n == 1) {
		CHECK(sans[0].type == TG_SAN_URI);
		CHECK_STR(sans[0].value, want_id);
	}
	tg_arena_release(&a);
	CHECK_OK(tg_x509_basic_constraints(leaf, &bc));
	CHECK(bc.present && bc.critical && !bc.ca);
	CHECK_OK(tg_x509_key_usage(leaf, &present, &crit, &bits));
	CHECK(present && crit && bits == want_ku);
	CHECK_OK(tg_x509_ext_key_usage(leaf, &present, &crit, &bits, NULL));
	CHECK(present && bits == (TG_EKU_SERVER_AUTH | TG_EKU_CLIENT_AUTH));
	CHECK_OK(tg_x509_validity(leaf, &nb, &na));
	CHECK(nb.sec == want_nb.sec);
	CHECK(na.sec == want_na.sec);
}

TEST(x509_profile)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_x509_list chain = {NULL, 0}, chain2 = {NULL, 0};
	struct tg_spiffe_id id, other, root_id;
	struct tg_key *ec = gen(TG_KEY_EC_P256), *rsa = gen(TG_KEY_RSA), *pub = NULL;
	struct tg_buf serial = TG_BUF_INIT(128);
	struct tg_time inb, ina;
	struct tg_diag d;
	char q[512];

	id_of("spiffe://example.org/ns/prod/sa/web", &id);
	id_of("spiffe://other.test/ns/prod/sa/web", &other);
	id_of("spiffe://example.org", &root_id);

	/* the workload's key may be private or public; TTL 0 is the default */
	CHECK_OK(tg_key_public(ec, &pub));
	CHECK_OK(tg_ca_issue_x509(ca, &id, pub, 0, now, &chain, NULL));
	if (chain.count == 2) {
		check_svid(&chain, id.uri, TG_KU_DIGITAL_SIGNATURE, at(now.sec - 60),
			   at(now.sec + 3600));
		/* the serial is random and recorded */
		CHECK_OK(tg_x509_serial_hex(chain.certs[0], &serial));
		CHECK(serial.len >= 30);
		snprintf(q, sizeof(q), "SELECT spiffe_id FROM issued WHERE kind = 'x509' AND id = '%s'",
			 tg_buf_str(&serial));
		CHECK_STR(sql1(dir, q), id.uri);
		snprintf(q, sizeof(q), "SELECT expires - issued FROM issued WHERE id = '%s'",
			 tg_buf_str(&serial));
		CHECK_STR(sql1(dir, q), "3600");
	}
	tg_x509_list_release(&chain);

	/* RSA workload keys get keyEncipherment too (X509-SVID 4.3) */
	CHECK_OK(tg_ca_issue_x509(ca, &id, rsa, 600, now, &chain, NULL));
	if (chain.count == 2)
		check_svid(&chain, id.uri, TG_KU_DIGITAL_SIGNATURE | TG_KU_KEY_ENCIPHERMENT,
			   at(now.sec - 60), at(now.sec + 600));
	/* two SVIDs never share a serial */
	CHECK_OK(tg_ca_issue_x509(ca, &id, rsa, 600, now, &chain2, NULL));
	if (chain.count == 2 && chain2.count == 2) {
		char *s1 = str_of(tg_x509_serial_hex, chain.certs[0]);
		char *s2 = str_of(tg_x509_serial_hex, chain2.certs[0]);
		CHECK(strcmp(s1, s2) != 0);
		free(s1);
		free(s2);
	}
	tg_x509_list_release(&chain);
	tg_x509_list_release(&chain2);

	/* never beyond the intermediate's notAfter */
	CHECK_OK(tg_ca_issue_x509(ca, &id, ec, 60, now, &chain, NULL));
	CHECK_OK(tg_x509_validity(chain.certs[1], &inb, &ina));
	tg_x509_list_release(&chain);
	CHECK_OK(tg_ca_issue_x509(ca, &id, ec, 3600, at(ina.sec - 100), &chain, NULL));
	if (chain.count == 2)
		check_svid(&chain, id.uri, TG_KU_DIGITAL_SIGNATURE, at(ina.sec - 160), ina);
	tg_x509_list_release(&chain);
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_issue_x509(ca, &id, ec, 3600, ina, &chain, &d), TG_E_EXPIRED);
	CHECK(strstr(d.msg, "rotate") != NULL);

	/* refusals: TTL, other trust domain, no path, HMAC keys */
	CHECK_ERR(tg_ca_issue_x509(ca, &id, ec, TG_SVID_TTL_MAX + 1, now, &chain, NULL),
		  TG_E_RANGE);
	CHECK_ERR(tg_ca_issue_x509(ca, &id, ec, -1, now, &chain, NULL), TG_E_RANGE);
	CHECK_OK(tg_ca_issue_x509(ca, &id, ec, TG_SVID_TTL_MAX, now, &chain, NULL));
	tg_x509_list_release(&chain);
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_issue_x509(ca, &other, ec, 0, now, &chain, &d), TG_E_INVAL);
	CHECK(strstr(d.msg, "not in trust domain") != NULL);
	CHECK_ERR(tg_ca_issue_x509(ca, &root_id, ec, 0, now, &chain, NULL), TG_E_INVAL);
	/* a corrupted ID struct is re-validated before it is signed */
	id.uri[20] = '?';
	CHECK_ERR(tg_ca_issue_x509(ca, &id, ec, 0, now, &chain, NULL), TG_E_INVAL);
	CHECK(chain.count == 0);

	tg_key_free(ec);
	tg_key_free(rsa);
	tg_key_free(pub);
	tg_buf_release(&serial);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* Decodes part i (0 header, 1 claims) of a compact JWT and parses it. */
static const struct tg_json *jwt_part(const char *tok, int part, struct tg_arena *a)
{
	const char *p = tok, *e;
	struct tg_buf raw = TG_BUF_INIT(1 << 20);
	const struct tg_json *v = NULL;
	int i;
	for (i = 0; i < part; i++)
		p = strchr(p, '.') + 1;
	e = strchr(p, '.');
	if (tg_b64_decode(&raw, p, (size_t)(e - p), TG_B64_URL, NULL) != TG_OK ||
	    tg_json_parse(a, raw.data, raw.len, NULL, &v, NULL, NULL) != TG_OK)
		v = NULL;
	tg_buf_release(&raw);
	return v;
}

TEST(jwt_profile)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_buf tok = TG_BUF_INIT(1 << 16);
	struct tg_bundle own;
	struct tg_arena a;
	const struct tg_json *h, *c, *v;
	struct tg_spiffe_id id;
	const char *aud1[] = {"spiffe://example.org/db"};
	const char *aud2[] = {"db", "cache"};
	const char *s;
	size_t n;
	int64_t x;
	char q[512];

	id_of("spiffe://example.org/app", &id);
	CHECK_OK(tg_ca_bundle(ca, &own));
	CHECK(own.jwt.count == 1);
	tg_arena_init(&a, 1 << 20);

	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud1, 1, 0, now, TG_SIG_NONE, &tok, NULL));
	h = jwt_part(tg_buf_str(&tok), 0, &a);
	c = jwt_part(tg_buf_str(&tok), 1, &a);
	CHECK(h && c);
	if (h && c) {
		/* JWT-SVID 2: alg, kid, typ and nothing else */
		CHECK(h->u.o.len == 3);
		CHECK(tg_json_str_eq(tg_json_get(h, "alg"), "ES256"));
		CHECK(tg_json_str_eq(tg_json_get(h, "typ"), "JWT"));
		CHECK(tg_json_str_eq(tg_json_get(h, "kid"), tg_key_kid(own.jwt.keys[0])));
		/* 3: sub, aud (a string for one), exp; iat and jti */
		CHECK(c->u.o.len == 5);
		CHECK(tg_json_str_eq(tg_json_get(c, "sub"), id.uri));
		CHECK(tg_json_str_eq(tg_json_get(c, "aud"), aud1[0]));
		CHECK_OK(tg_json_get_i64(c, "exp", &x));
		CHECK(x == now.sec + 300);
		CHECK_OK(tg_json_get_i64(c, "iat", &x));
		CHECK(x == now.sec);
		CHECK_OK(tg_json_get_string(c, "jti", &s, &n));
		CHECK(n == 32 && strspn(s, "0123456789abcdef") == 32);
		if (n == 32) {
			snprintf(q, sizeof(q),
				 "SELECT spiffe_id || ' ' || (expires - issued) FROM issued WHERE "
				 "kind = 'jwt' AND id = '%.32s'", s);
			CHECK_STR(sql1(dir, q), "spiffe://example.org/app 300");
		}
	}

	/* several audiences are an array; ttl is honoured */
	tg_buf_reset(&tok);
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud2, 2, 60, now, TG_SIG_ES256, &tok, NULL));
	c = jwt_part(tg_buf_str(&tok), 1, &a);
	v = c ? tg_json_get(c, "aud") : NULL;
	CHECK(v && v->type == TG_JSON_ARRAY && v->u.a.len == 2);
	CHECK_OK(tg_json_get_i64(c, "exp", &x));
	CHECK(x == now.sec + 60);

	/* refusals */
	tg_buf_reset(&tok);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud1, 0, 0, now, TG_SIG_NONE, &tok, NULL), TG_E_INVAL);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud1, 1, 0, now, TG_SIG_ES384, &tok, NULL), TG_E_ALG);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud1, 1, 0, now, TG_SIG_RS256, &tok, NULL), TG_E_ALG);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud1, 1, 0, now, TG_SIG_HS256, &tok, NULL), TG_E_ALG);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud1, 1, TG_SVID_TTL_MAX + 1, now, TG_SIG_NONE, &tok,
				  NULL),
		  TG_E_RANGE);
	{
		const char *empty[] = {""};
		CHECK_ERR(tg_ca_issue_jwt(ca, &id, empty, 1, 0, now, TG_SIG_NONE, &tok, NULL),
			  TG_E_INVAL);
	}
	CHECK(tok.len == 0); /* nothing written on failure */

	tg_arena_release(&a);
	tg_bundle_release(&own);
	tg_buf_release(&tok);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* P-384 CAs sign with ES384 by default and with ecdsa-with-SHA384. */
TEST(p384)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P384, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_buf tok = TG_BUF_INIT(1 << 16);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_arena a;
	const struct tg_json *h;
	struct tg_spiffe_id id;
	struct tg_key *k = gen(TG_KEY_EC_P256), *ik = NULL;
	const char *aud[] = {"x"};

	id_of("spiffe://example.org/app", &id);
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 0, now, TG_SIG_NONE, &tok, NULL));
	h = jwt_part(tg_buf_str(&tok), 0, &a);
	CHECK(h && tg_json_str_eq(tg_json_get(h, "alg"), "ES384"));
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud, 1, 0, now, TG_SIG_ES256, &tok, NULL), TG_E_ALG);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, now, &chain, NULL));
	CHECK_OK(tg_x509_public_key(chain.certs[1], &ik));
	CHECK(tg_key_type(ik) == TG_KEY_EC_P384);
	check_ca_cert(chain.certs[1], 0, "CN=example.org intermediate");
	tg_key_free(ik);
	tg_key_free(k);
	tg_x509_list_release(&chain);
	tg_arena_release(&a);
	tg_buf_release(&tok);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* ------------------------------------------------------------------ */
/* Rotation and expiry                                                 */
/* ------------------------------------------------------------------ */

TEST(rotation)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_x509_list c1 = {NULL, 0}, c2 = {NULL, 0};
	struct tg_bundle b1, b2, b3;
	struct tg_spiffe_id id;
	struct tg_key *k = gen(TG_KEY_EC_P256);
	char path[512], *s1 = NULL, *s2 = NULL;

	id_of("spiffe://example.org/app", &id);
	CHECK_OK(tg_ca_bundle(ca, &b1));
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, now, &c1, NULL));
	CHECK_OK(tg_ca_rotate(ca, at(now.sec + 10), NULL));
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, at(now.sec + 20), &c2, NULL));
	CHECK_OK(tg_ca_bundle(ca, &b2));
	if (c1.count == 2 && c2.count == 2) {
		/* the new intermediate signs */
		s1 = str_of(tg_x509_serial_hex, c1.certs[1]);
		s2 = str_of(tg_x509_serial_hex, c2.certs[1]);
		CHECK(strcmp(s1, s2) != 0);
	}
	/* the bundle keeps the root; the new JWT key joins the old one */
	CHECK(b2.x509.count == 1 && b2.jwt.count == 2);
	CHECK(b2.sequence > b1.sequence);
	if (b2.jwt.count == 2 && b1.jwt.count == 1)
		CHECK_STR(tg_key_kid(b2.jwt.keys[1]), tg_key_kid(b1.jwt.keys[0]));
	snprintf(path, sizeof(path), "%s/intermediates", dir);
	CHECK(count_files(path, ".pem") == 2);
	CHECK(b2.sequence == (uint64_t)now.sec + 10);
	/* a second rotation in the same second still changes the sequence */
	CHECK_OK(tg_ca_rotate(ca, at(now.sec + 10), NULL));
	tg_bundle_release(&b2);
	CHECK_OK(tg_ca_bundle(ca, &b2));
	CHECK(b2.jwt.count == 3);
	CHECK(b2.sequence == (uint64_t)now.sec + 11);
	tg_x509_list_release(&c2);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, at(now.sec + 20), &c2, NULL));
	free(s2);
	s2 = c2.count == 2 ? str_of(tg_x509_serial_hex, c2.certs[1]) : NULL;
	tg_ca_close(ca);

	/* reopened: both are loaded, the newest signs */
	ca = open_ca(dir);
	CHECK_OK(tg_ca_bundle(ca, &b3));
	CHECK(b3.jwt.count == 3);
	if (b3.jwt.count == 3 && b2.jwt.count == 3)
		CHECK_STR(tg_key_kid(b3.jwt.keys[0]), tg_key_kid(b2.jwt.keys[0]));
	CHECK(b3.sequence == b2.sequence);
	tg_x509_list_release(&c2);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, at(now.sec + 30), &c2, NULL));
	if (c2.count == 2 && s2) {
		char *s3 = str_of(tg_x509_serial_hex, c2.certs[1]);
		CHECK_STR(s3, s2);
		free(s3);
	}
	free(s1);
	free(s2);
	tg_bundle_release(&b1);
	tg_bundle_release(&b2);
	tg_bundle_release(&b3);
	tg_x509_list_release(&c1);
	tg_x509_list_release(&c2);
	tg_key_free(k);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* A CA created 400 days ago: its intermediate and JWT key (one year)
 * have expired, and tg_ca_open drops them. */
TEST(expired_dropped_on_open)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, at(now.sec - 400 * 86400LL));
	struct tg_ca *ca = open_ca(dir);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_buf tok = TG_BUF_INIT(1 << 16);
	struct tg_bundle b, b2;
	struct tg_spiffe_id id;
	struct tg_key *k = gen(TG_KEY_EC_P256);
	struct tg_diag d;
	const char *aud[] = {"x"};

	id_of("spiffe://example.org/app", &id);
	CHECK_OK(tg_ca_bundle(ca, &b));
	CHECK(b.x509.count == 1 && b.jwt.count == 0);
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_issue_x509(ca, &id, k, 0, now, &chain, &d), TG_E_STATE);
	CHECK(strstr(d.msg, "rotate") != NULL);
	CHECK_ERR(tg_ca_issue_jwt(ca, &id, aud, 1, 0, now, TG_SIG_NONE, &tok, NULL), TG_E_STATE);
	CHECK_OK(tg_ca_rotate(ca, now, NULL));
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, now, &chain, NULL));
	CHECK_OK(tg_ca_issue_jwt(ca, &id, aud, 1, 0, now, TG_SIG_NONE, &tok, NULL));
	CHECK_OK(tg_ca_bundle(ca, &b2));
	CHECK(b2.jwt.count == 1);
	CHECK(b2.sequence > b.sequence);
	tg_bundle_release(&b);
	tg_bundle_release(&b2);
	tg_x509_list_release(&chain);
	tg_buf_release(&tok);
	tg_key_free(k);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* ------------------------------------------------------------------ */
/* Bundles and federation                                              */
/* ------------------------------------------------------------------ */

TEST(bundle_formats)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_buf out = TG_BUF_INIT(1 << 20);
	struct tg_bundle b, back;
	struct tg_x509_list l = {NULL, 0};
	struct tg_jwks ks = {NULL, 0};
	struct tg_arena a;
	const struct tg_json *doc = NULL, *keys;
	size_t i;
	int x5c_seen = 0, jwt_seen = 0;

	CHECK_OK(tg_ca_bundle(ca, &b));
	CHECK_STR(b.td, TD);
	CHECK(b.refresh_hint == 300);
	CHECK(b.sequence > 0);
	CHECK_OK(tg_bundle_to_spiffe(&b, &out));
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_json_parse(&a, out.data, out.len, NULL, &doc, NULL, NULL));
	keys = doc ? tg_json_get(doc, "keys") : NULL;
	CHECK(keys && keys->u.a.len == 2);
	for (i = 0; keys && i < keys->u.a.len; i++) {
		const struct tg_json *k = keys->u.a.items[i], *x5c = tg_json_get(k, "x5c");
		if (tg_json_str_eq(tg_json_get(k, "use"), "x509-svid")) {
			/* X509-SVID 6.1: one certificate, no kid */
			x5c_seen++;
			CHECK(x5c && x5c->u.a.len == 1 && !tg_json_get(k, "kid"));
			CHECK(tg_json_str_eq(tg_json_get(k, "kty"), "EC"));
			CHECK(tg_json_str_eq(tg_json_get(k, "crv"), "P-256"));
		} else if (tg_json_str_eq(tg_json_get(k, "use"), "jwt-svid")) {
			/* JWT-SVID 6.1: kid set */
			jwt_seen++;
			CHECK(tg_json_str_eq(tg_json_get(k, "kid"), tg_key_kid(b.jwt.keys[0])));
			CHECK(!x5c && !tg_json_get(k, "d"));
		}
	}
	CHECK(x5c_seen == 1 && jwt_seen == 1);
	CHECK(doc && tg_json_get(doc, "spiffe_sequence") && tg_json_get(doc, "spiffe_refresh_hint"));
	CHECK_OK(tg_bundle_parse(TD, tg_buf_str(&out), out.len, &back, NULL));
	CHECK(back.x509.count == 1 && back.jwt.count == 1);
	CHECK(back.sequence == b.sequence && back.refresh_hint == 300);
	if (back.jwt.count == 1)
		CHECK(tg_key_equal_public(back.jwt.keys[0], b.jwt.keys[0]));
	tg_bundle_release(&back);

	tg_buf_reset(&out);
	CHECK_OK(tg_bundle_to_pem(&b, &out));
	CHECK_OK(tg_x509_list_from_pem(tg_buf_str(&out), out.len, &l, NULL));
	CHECK(l.count == 1);
	tg_x509_list_release(&l);

	tg_buf_reset(&out);
	CHECK_OK(tg_bundle_to_jwks(&b, &out));
	CHECK_OK(tg_json_parse(&a, out.data, out.len, NULL, &doc, NULL, NULL));
	CHECK_OK(tg_jwks_parse(doc, 0, false, &ks, NULL));
	CHECK(ks.count == 1);
	if (ks.count == 1)
		CHECK_STR(tg_key_kid(ks.keys[0]), tg_key_kid(b.jwt.keys[0]));
	tg_jwks_release(&ks);

	tg_arena_release(&a);
	tg_bundle_release(&b);
	tg_buf_release(&out);
	tg_ca_close(ca);
	rm_ca(dir);
}

TEST(federation)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	const char *odir = new_ca("other.test", TG_KEY_EC_P384, now);
	struct tg_ca *ca = open_ca(dir), *oca = open_ca(odir);
	struct tg_bundle ob, own;
	struct tg_bundle_set set = {NULL, 0};
	const struct tg_bundle *f;
	struct tg_diag d;
	char path[512];

	CHECK_OK(tg_ca_bundle(oca, &ob));
	CHECK_OK(tg_ca_import_bundle(ca, &ob, NULL));
	snprintf(path, sizeof(path), "%s/bundles/other.test.json", dir);
	CHECK(tg_fs_exists(path));
	CHECK_OK(tg_ca_bundles(ca, &set));
	CHECK(set.n == 2);
	CHECK(tg_bundle_set_find(&set, TD) != NULL);
	f = tg_bundle_set_find(&set, "other.test");
	CHECK(f && f->x509.count == 1 && f->jwt.count == 1 && f->sequence == ob.sequence);
	CHECK(tg_bundle_set_find(&set, "nope.test") == NULL);
	tg_bundle_set_release(&set);

	/* the same again is fine; an older sequence is a rollback */
	CHECK_OK(tg_ca_import_bundle(ca, &ob, NULL));
	ob.sequence--;
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_import_bundle(ca, &ob, &d), TG_E_CONFLICT);
	CHECK(strstr(d.msg, "newer") != NULL);
	ob.sequence += 2;
	CHECK_OK(tg_ca_import_bundle(ca, &ob, NULL));

	/* never for the CA's own trust domain */
	CHECK_OK(tg_ca_bundle(ca, &own));
	tg_diag_init(&d);
	CHECK_ERR(tg_ca_import_bundle(ca, &own, &d), TG_E_INVAL);
	CHECK(strstr(d.msg, "own trust domain") != NULL);
	/* and a file that claims to be it is not loaded */
	snprintf(path, sizeof(path), "%s/bundles/%s.json", dir, TD);
	CHECK_OK(tg_fs_write_atomic(path, "{\"keys\":[]}", 11, 0644, 0, NULL));
	CHECK_OK(tg_ca_bundles(ca, &set));
	CHECK(set.n == 2);
	f = tg_bundle_set_find(&set, TD);
	CHECK(f && f->x509.count == 1);
	tg_bundle_set_release(&set);

	tg_bundle_release(&ob);
	tg_bundle_release(&own);
	tg_ca_close(ca);
	tg_ca_close(oca);
	rm_ca(dir);
	rm_ca(odir);
}

/* ------------------------------------------------------------------ */
/* Revocation storage                                                  */
/* ------------------------------------------------------------------ */

TEST(revocations)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, TG_KEY_EC_P256, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_revocations rv = tg_ca_revocations(ca);

	CHECK(!rv.is_revoked_serial(rv.ctx, "0a1b2c"));
	CHECK_OK(tg_ca_revoke_serial(ca, "A1B2C", NULL)); /* normalised: 0a1b2c */
	CHECK(rv.is_revoked_serial(rv.ctx, "0a1b2c"));
	CHECK(rv.is_revoked_serial(rv.ctx, "000A1B2C"));
	CHECK(!rv.is_revoked_serial(rv.ctx, "0a1b2d"));
	CHECK(!rv.is_revoked_serial(rv.ctx, "-0a1b2c"));
	CHECK_OK(tg_ca_revoke_serial(ca, "0a1b2c", NULL)); /* idempotent */
	CHECK_STR(sql1(dir, "SELECT count(*) FROM revoked_serials"), "1");
	CHECK_ERR(tg_ca_revoke_serial(ca, "xyz", NULL), TG_E_INVAL);
	CHECK_ERR(tg_ca_revoke_serial(ca, "", NULL), TG_E_INVAL);

	CHECK(!rv.is_revoked_jti(rv.ctx, "abc"));
	CHECK_OK(tg_ca_revoke_jti(ca, "abc", at(now.sec + 300), NULL));
	CHECK(rv.is_revoked_jti(rv.ctx, "abc"));
	CHECK(!rv.is_revoked_jti(rv.ctx, "abd"));
	CHECK_OK(tg_ca_revoke_jti(ca, "abc", at(now.sec + 100), NULL));
	{
		char want[32];
		snprintf(want, sizeof(want), "%lld", (long long)now.sec + 300);
		CHECK_STR(sql1(dir, "SELECT expires FROM revoked_jtis WHERE jti = 'abc'"), want);
	}
	/* long-expired entries are purged */
	CHECK_OK(tg_ca_revoke_jti(ca, "old", at(now.sec - 3600), NULL));
	CHECK_OK(tg_ca_revoke_jti(ca, "new", at(now.sec + 3600), NULL));
	CHECK(!rv.is_revoked_jti(rv.ctx, "old"));
	CHECK_ERR(tg_ca_revoke_jti(ca, "", at(now.sec), NULL), TG_E_INVAL);
	tg_ca_close(ca);
	rm_ca(dir);
}

/* ------------------------------------------------------------------ */
/* openssl verify                                                      */
/* ------------------------------------------------------------------ */

extern char **environ;

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

static void write_cert(const char *path, const struct tg_x509 *c)
{
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	if (tg_x509_to_pem(c, &b) != TG_OK || tg_fs_write_atomic(path, b.data, b.len, 0644, 0, NULL))
		exit(2);
	tg_buf_release(&b);
}

static void openssl_case(enum tg_key_type ca_kt, enum tg_key_type leaf_kt)
{
	struct tg_time now = tg_time_now();
	const char *dir = new_ca(TD, ca_kt, now);
	struct tg_ca *ca = open_ca(dir);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_spiffe_id id;
	struct tg_key *k = gen(leaf_kt);
	char root[512], inter[512], leaf[512];
	const char *purposes[] = {"sslclient", "sslserver"};
	size_t i;

	id_of("spiffe://example.org/ns/default/sa/web", &id);
	CHECK_OK(tg_ca_issue_x509(ca, &id, k, 0, now, &chain, NULL));
	snprintf(root, sizeof(root), "%s/root.pem", dir);
	snprintf(inter, sizeof(inter), "%s/inter.pem", dir);
	snprintf(leaf, sizeof(leaf), "%s/leaf.pem", dir);
	if (chain.count == 2) {
		write_cert(inter, chain.certs[1]);
		write_cert(leaf, chain.certs[0]);
		for (i = 0; i < 2; i++) {
			char *argv[] = {"openssl", "verify", "-x509_strict", "-purpose",
					(char *)purposes[i], "-CAfile", root, "-untrusted", inter,
					leaf, NULL};
			int st = run(argv, false);
			if (st != 0)
				fprintf(stderr, "  openssl verify -purpose %s: exit %d\n", purposes[i],
					st);
			CHECK(st == 0);
		}
		{
			/* and without the intermediate it does not chain */
			char *argv[] = {"openssl", "verify", "-CAfile", root, leaf, NULL};
			CHECK(run(argv, true) != 0);
		}
	}
	tg_x509_list_release(&chain);
	tg_key_free(k);
	tg_ca_close(ca);
	rm_ca(dir);
}

TEST(openssl_verify)
{
	char *argv[] = {"openssl", "version", NULL};
	if (run(argv, true) != 0) {
		fprintf(stderr, "SKIPPED: no 'openssl' binary on PATH; interop checks not run\n");
		return;
	}
	openssl_case(TG_KEY_EC_P256, TG_KEY_EC_P256);
	openssl_case(TG_KEY_EC_P384, TG_KEY_EC_P384);
	openssl_case(TG_KEY_EC_P256, TG_KEY_RSA);
	openssl_case(TG_KEY_EC_P384, TG_KEY_ED25519);
}

int main(void)
{
	RUN(init_layout);
	RUN(init_errors);
	RUN(key_permissions);
	RUN(x509_profile);
	RUN(jwt_profile);
	RUN(p384);
	RUN(rotation);
	RUN(expired_dropped_on_open);
	RUN(bundle_formats);
	RUN(federation);
	RUN(revocations);
	RUN(openssl_verify);
	return tg_test_done();
}
