/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ca.c - the trust domain CA: its directory (root, intermediates, JWT keys,
 * federated bundles, database), rotation, the own and federated bundles,
 * X509-SVID and JWT-SVID issuance, and the revocation deny list.
 */

/*
 * Files are committed in an order that makes a crash harmless: a private
 * key first (O_EXCL, 0600), then the public file that names it (the
 * certificate, or the JWT key's <kid>.json), which is what tg_ca_open
 * looks for; ca.json is written last by tg_ca_init. A key without its
 * public file is an interrupted rotation and is never loaded.
 */
#include "identity/identity_internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"

#define ROOT_TTL (3652LL * 86400)  /* ten years */
#define INTER_TTL (365LL * 86400)  /* one year, for intermediates and JWT keys */
#define BACKDATE 60                /* seconds before now that certificates start */
#define REFRESH_HINT 300           /* seconds: SPIFFE bundle 6.1's suggested default */
#define MAX_AUD 16                 /* audiences of one JWT-SVID */
#define AUD_MAX_LEN 2048           /* bytes of one audience */
#define JTI_MAX_LEN 256            /* bytes of a JWT ID we revoke */
#define SERIAL_HEX_MAX 64          /* hex digits of a serial we revoke (RFC 5280: 20 octets) */
#define META_MAX (64 * TG_KIB)     /* bytes of ca.json or a JWT key's <kid>.json */
#define DIR_FILES_MAX 4096         /* files we read in one CA subdirectory */
#define CN_MAX 64                  /* RFC 5280 ub-common-name */
#define CA_CONFIG_VERSION 1

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static tg_err pathf(struct tg_buf *p, const char *fmt, ...) TG_PRINTF(2, 3);
static tg_err pathf(struct tg_buf *p, const char *fmt, ...)
{
	va_list ap;
	tg_err r;
	tg_buf_reset(p);
	va_start(ap, fmt);
	r = tg_buf_vaddf(p, fmt, ap);
	va_end(ap);
	return r;
}

static struct tg_time at(int64_t sec)
{
	struct tg_time t = {sec, 0};
	return t;
}

static void signer_release(struct tg_ca_signer *s)
{
	tg_x509_free(s->cert);
	tg_key_free(s->key);
	free(s->kid);
	memset(s, 0, sizeof(*s));
}

/* Puts s first (it is the newest and signs from now on). */
static void signer_prepend(struct tg_ca_signer **arr, size_t *n, struct tg_ca_signer *s)
{
	*arr = tg_xreallocarray(*arr, *n + 1, sizeof(**arr));
	memmove(*arr + 1, *arr, *n * sizeof(**arr));
	(*arr)[0] = *s;
	(*n)++;
	memset(s, 0, sizeof(*s));
}

/* Key files must be regular files that only their owner can read. */
static tg_err key_file_check(const char *path, struct tg_diag *d)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		tg_diag_set(d, "cannot read '%s': %s", path, strerror(errno));
		return errno == ENOENT ? TG_E_NOTFOUND : TG_E_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		tg_diag_set(d, "key '%s' is not a regular file", path);
		return TG_E_PERM;
	}
	if (st.st_mode & 077) {
		tg_diag_set(d, "key '%s' has mode %04o; it must be 0600", path,
			    (unsigned)(st.st_mode & 07777));
		return TG_E_PERM;
	}
	return TG_OK;
}

static tg_err load_key(const char *path, enum tg_key_type want, struct tg_key **out,
		       struct tg_diag *d)
{
	struct tg_key *k = NULL;
	tg_err r = key_file_check(path, d);
	if (r == TG_OK)
		r = tg_key_load_file(path, &k, d);
	if (r != TG_OK)
		return r;
	if (!tg_key_is_private(k) || tg_key_type(k) != want) {
		tg_diag_set(d, "key '%s' is not a private %s key", path, tg_key_type_name(want));
		tg_key_free(k);
		return TG_E_KEY;
	}
	*out = k;
	return TG_OK;
}

static tg_err load_cert(const char *path, struct tg_x509 **out, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_x509_list l = {NULL, 0};
	tg_err r = tg_fs_read(path, &b, d);
	if (r != TG_OK)
		goto out;
	r = tg_x509_list_from_pem((const char *)b.data, b.len, &l, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot read '%s'", path);
		goto out;
	}
	if (l.count != 1) {
		tg_diag_set(d, "'%s' holds %zu certificates, not one", path, l.count);
		r = TG_E_STATE;
		goto out;
	}
	*out = tg_x509_ref(l.certs[0]);
	r = TG_OK;
out:
	tg_x509_list_release(&l);
	tg_buf_release(&b);
	return r;
}

static tg_err cert_matches_key(const struct tg_x509 *c, const struct tg_key *k, bool *match)
{
	struct tg_key *pub = NULL;
	tg_err r = tg_x509_public_key(c, &pub);
	if (r == TG_OK)
		*match = tg_key_equal_public(pub, k);
	tg_key_free(pub);
	return r;
}

/* Reads a small JSON file into a. */
static tg_err read_json(const char *path, struct tg_arena *a, const struct tg_json **out,
			struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(META_MAX);
	struct tg_diag jd;
	const struct tg_json *v = NULL;
	tg_err r = tg_fs_read(path, &b, d);
	if (r != TG_OK)
		goto out;
	tg_diag_init(&jd);
	r = tg_json_parse(a, b.data, b.len, NULL, &v, NULL, &jd);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot read '%s': %s at %u:%u", path, jd.msg, jd.line, jd.col);
		goto out;
	}
	if (v->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "'%s' is not a JSON object", path);
		r = TG_E_STATE;
		goto out;
	}
	*out = v;
out:
	tg_buf_release(&b);
	return r;
}

static tg_err json_time(const struct tg_json *o, const char *key, struct tg_time *out)
{
	const char *s = NULL;
	size_t n = 0;
	tg_err r = tg_json_get_string(o, key, &s, &n);
	if (r == TG_OK)
		r = tg_time_parse(s, n, out, NULL);
	return r;
}

/* The names in dir ending with ext (without it), sorted; dot files (the
 * temporary files of atomic writes) are skipped. */
static tg_err list_dir(const char *dir, const char *ext, char ***out, size_t *n,
		       struct tg_diag *d)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, el = strlen(ext), i;
	tg_err r = TG_OK;

	if (!dh) {
		if (errno == ENOENT) {
			*out = NULL;
			*n = 0;
			return TG_OK;
		}
		tg_diag_set(d, "cannot list '%s': %s", dir, strerror(errno));
		return TG_E_IO;
	}
	while ((e = readdir(dh)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (e->d_name[0] == '.' || nl <= el || strcmp(e->d_name + nl - el, ext) != 0)
			continue;
		if (count == DIR_FILES_MAX) {
			tg_diag_set(d, "'%s' holds more than %d files", dir, DIR_FILES_MAX);
			r = TG_E_TOOBIG;
			break;
		}
		names = tg_xreallocarray(names, count + 1, sizeof(*names));
		names[count++] = tg_xstrndup(e->d_name, nl - el);
	}
	closedir(dh);
	if (r != TG_OK) {
		for (i = 0; i < count; i++)
			free(names[i]);
		free(names);
		return r;
	}
	for (i = 1; i < count; i++) { /* insertion sort: a handful of names */
		char *x = names[i];
		size_t j = i;
		while (j > 0 && strcmp(names[j - 1], x) > 0) {
			names[j] = names[j - 1];
			j--;
		}
		names[j] = x;
	}
	*out = names;
	*n = count;
	return TG_OK;
}

static void names_free(char **names, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool all_chars(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

#define HEX_LOWER "0123456789abcdef"
#define B64URL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* "O=tollgate,CN=<td> <role>", or, when that passes the 64 characters of
 * a common name, the start of the trust domain's SHA-256 instead of it:
 * the full name is in the spiffe://<td> URI SAN either way. */
static tg_err ca_subject(const char *td, const char *role, struct tg_buf *out)
{
	uint8_t h[32];
	char hex[65];
	tg_err r;
	if (strlen(td) + 1 + strlen(role) <= CN_MAX)
		return tg_buf_addf(out, "O=tollgate,CN=%s %s", td, role);
	r = tg_hash(TG_SHA256, td, strlen(td), h);
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(hex, h, 16);
	return tg_buf_addf(out, "O=tollgate,CN=%s %s", hex, role);
}

/* ------------------------------------------------------------------ */
/* Creating authorities                                                */
/* ------------------------------------------------------------------ */

static tg_err make_root(const char *td, enum tg_key_type kt, struct tg_time now,
			struct tg_x509 **cert, struct tg_key **key, struct tg_diag *d)
{
	struct tg_buf subj = TG_BUF_INIT(1024), san = TG_BUF_INIT(TG_SPIFFE_ID_MAX + 1);
	struct tg_x509_tmpl t;
	struct tg_key *k = NULL;
	const char *uris[2];
	tg_err r;

	r = tg_key_generate(kt, 0, &k);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot generate the root key");
		goto out;
	}
	r = ca_subject(td, "root", &subj);
	if (r == TG_OK)
		r = tg_buf_addf(&san, "spiffe://%s", td);
	if (r != TG_OK)
		goto out;
	uris[0] = tg_buf_str(&san);
	uris[1] = NULL;
	memset(&t, 0, sizeof(t));
	t.subject = tg_buf_str(&subj);
	t.not_before = at(now.sec - BACKDATE);
	t.not_after = at(now.sec + ROOT_TTL);
	t.is_ca = true;
	t.path_len = 1; /* root -> intermediate -> leaf, no deeper */
	t.key_usage = TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN;
	t.san_uri = uris; /* X509-SVID 3.2: a signing certificate is an SVID too */
	r = tg_x509_build(&t, k, NULL, k, cert, d);
	if (r != TG_OK)
		goto out;
	*key = k;
	k = NULL;
out:
	tg_key_free(k);
	tg_buf_release(&subj);
	tg_buf_release(&san);
	return r;
}

/* A new intermediate signed by the root, written to D/intermediates. Its
 * notBefore is at least after (so that the newest is the one with the
 * latest notBefore, even after two rotations in one second) and at most
 * now. */
static tg_err make_intermediate(const char *dir, const char *td, enum tg_key_type kt,
				const struct tg_x509 *root, const struct tg_key *root_key,
				struct tg_time now, int64_t after, struct tg_ca_signer *out,
				struct tg_diag *d)
{
	struct tg_buf subj = TG_BUF_INIT(1024), san = TG_BUF_INIT(TG_SPIFFE_ID_MAX + 1);
	struct tg_buf serial = TG_BUF_INIT(128), path = TG_BUF_INIT(PATH_MAX);
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_x509_tmpl t;
	struct tg_x509 *cert = NULL;
	struct tg_key *k = NULL;
	struct tg_time rnb, rna;
	const char *uris[2];
	tg_err r;

	r = tg_x509_validity(root, &rnb, &rna);
	if (r != TG_OK)
		goto out;
	if (now.sec >= rna.sec) {
		tg_diag_set(d, "the root certificate has expired");
		r = TG_E_EXPIRED;
		goto out;
	}
	r = tg_key_generate(kt, 0, &k);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot generate an intermediate key");
		goto out;
	}
	r = ca_subject(td, "intermediate", &subj);
	if (r == TG_OK)
		r = tg_buf_addf(&san, "spiffe://%s", td);
	if (r != TG_OK)
		goto out;
	uris[0] = tg_buf_str(&san);
	uris[1] = NULL;
	memset(&t, 0, sizeof(t));
	t.subject = tg_buf_str(&subj);
	t.not_before = at(now.sec - BACKDATE);
	if (t.not_before.sec <= after)
		t.not_before.sec = after < now.sec ? after + 1 : now.sec;
	t.not_after = at(now.sec + INTER_TTL < rna.sec ? now.sec + INTER_TTL : rna.sec);
	t.is_ca = true;
	t.path_len = 0; /* it signs SVIDs, not CAs */
	t.key_usage = TG_KU_KEY_CERT_SIGN | TG_KU_CRL_SIGN;
	t.san_uri = uris;
	r = tg_x509_build(&t, k, root, root_key, &cert, d);
	if (r != TG_OK)
		goto out;
	r = tg_x509_serial_hex(cert, &serial);
	if (r == TG_OK)
		r = tg_x509_to_pem(cert, &pem);
	if (r == TG_OK)
		r = pathf(&path, "%s/intermediates/%s.key", dir, tg_buf_str(&serial));
	if (r != TG_OK)
		goto out;
	r = tg_key_save_private(k, tg_buf_str(&path), d);
	if (r != TG_OK)
		goto out;
	r = pathf(&path, "%s/intermediates/%s.pem", dir, tg_buf_str(&serial));
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0644,
				       TG_FS_SYNC | TG_FS_EXCL, d);
	if (r != TG_OK)
		goto out;
	out->cert = cert;
	out->key = k;
	out->kid = tg_xstrdup(tg_buf_str(&serial));
	out->not_after = t.not_after;
	cert = NULL;
	k = NULL;
out:
	tg_x509_free(cert);
	tg_key_free(k);
	tg_buf_release(&subj);
	tg_buf_release(&san);
	tg_buf_release(&serial);
	tg_buf_release(&path);
	tg_buf_release(&pem);
	return r;
}

/* The kid of a JWT key: base64url of its RFC 7638 thumbprint, so a key
 * file's name can be checked against the key it holds. */
static tg_err jwt_kid(const struct tg_key *k, struct tg_buf *out)
{
	uint8_t tp[32];
	tg_err r = tg_key_thumbprint(k, tp);
	if (r == TG_OK)
		r = tg_b64_encode(out, tp, sizeof(tp), TG_B64_URL);
	return r;
}

/* A new JWT signing key valid until not_after, written to D/jwt with the
 * spiffe_sequence its arrival gives the own bundle. */
static tg_err make_jwt_key(const char *dir, enum tg_key_type kt, struct tg_time now,
			   struct tg_time not_after, uint64_t seq, struct tg_ca_signer *out,
			   struct tg_diag *d)
{
	struct tg_buf kid = TG_BUF_INIT(128), path = TG_BUF_INIT(PATH_MAX);
	struct tg_buf meta = TG_BUF_INIT(META_MAX);
	struct tg_key *k = NULL, *kk = NULL;
	char nb[TG_TIME_STR_MAX], na[TG_TIME_STR_MAX];
	tg_err r;

	r = tg_key_generate(kt, 0, &k);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot generate a JWT key");
		goto out;
	}
	r = jwt_kid(k, &kid);
	if (r == TG_OK)
		r = tg_key_with_kid(k, tg_buf_str(&kid), &kk);
	if (r == TG_OK)
		r = tg_time_format(at(now.sec), nb, sizeof(nb));
	if (r == TG_OK)
		r = tg_time_format(not_after, na, sizeof(na));
	/* every value is from a fixed alphabet: no JSON escaping needed */
	if (r == TG_OK)
		r = tg_buf_addf(&meta,
				"{\n  \"kid\": \"%s\",\n  \"key_type\": \"%s\",\n"
				"  \"not_before\": \"%s\",\n  \"not_after\": \"%s\",\n"
				"  \"bundle_sequence\": %" PRIu64 "\n}\n",
				tg_buf_str(&kid), tg_key_type_name(kt), nb, na, seq);
	if (r == TG_OK)
		r = pathf(&path, "%s/jwt/%s.key", dir, tg_buf_str(&kid));
	if (r != TG_OK)
		goto out;
	r = tg_key_save_private(kk, tg_buf_str(&path), d);
	if (r != TG_OK)
		goto out;
	r = pathf(&path, "%s/jwt/%s.json", dir, tg_buf_str(&kid));
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), meta.data, meta.len, 0644,
				       TG_FS_SYNC | TG_FS_EXCL, d);
	if (r != TG_OK)
		goto out;
	out->cert = NULL;
	out->key = kk;
	out->kid = tg_xstrdup(tg_buf_str(&kid));
	out->not_after = not_after;
	kk = NULL;
out:
	tg_key_free(k);
	tg_key_free(kk);
	tg_buf_release(&kid);
	tg_buf_release(&path);
	tg_buf_release(&meta);
	return r;
}

/* ------------------------------------------------------------------ */
/* init / open / close                                                 */
/* ------------------------------------------------------------------ */

tg_err tg_ca_init(const char *dir, const char *trust_domain, enum tg_key_type kt,
		  struct tg_time now, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf cfg = TG_BUF_INIT(META_MAX);
	struct tg_x509 *root = NULL;
	struct tg_key *root_key = NULL;
	struct tg_ca_signer inter, jwt;
	struct tg_time rnb, rna;
	sqlite3 *db = NULL;
	char td[TG_SPIFFE_TD_MAX + 1], created[TG_TIME_STR_MAX];
	static const char *const subdirs[] = {"intermediates", "jwt", "bundles"};
	size_t i;
	tg_err r;

	memset(&inter, 0, sizeof(inter));
	memset(&jwt, 0, sizeof(jwt));
	if (!dir || !*dir || !trust_domain) {
		tg_diag_set(d, "tg_ca_init needs a directory and a trust domain");
		return TG_E_INVAL;
	}
	r = tg_spiffe_td_parse(trust_domain, strlen(trust_domain), td, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "invalid trust domain '%.64s'", trust_domain);
		return TG_E_INVAL;
	}
	if (kt != TG_KEY_EC_P256 && kt != TG_KEY_EC_P384) {
		tg_diag_set(d, "the CA key type must be ecdsa-p256 or ecdsa-p384, not %s",
			    tg_key_type_name(kt));
		return TG_E_UNSUPPORTED;
	}
	r = pathf(&path, "%s/ca.json", dir);
	if (r != TG_OK)
		goto out;
	if (tg_fs_exists(tg_buf_str(&path))) {
		tg_diag_set(d, "'%s' already holds a CA", dir);
		r = TG_E_EXISTS;
		goto out;
	}
	r = tg_fs_mkdir_p(dir, 0700, d);
	for (i = 0; r == TG_OK && i < TG_ARRAY_LEN(subdirs); i++) {
		r = pathf(&path, "%s/%s", dir, subdirs[i]);
		if (r == TG_OK)
			r = tg_fs_mkdir_p(tg_buf_str(&path), 0700, d);
	}
	if (r != TG_OK)
		goto out;

	r = make_root(td, kt, now, &root, &root_key, d);
	if (r == TG_OK)
		r = pathf(&path, "%s/root.key", dir);
	if (r == TG_OK)
		r = tg_key_save_private(root_key, tg_buf_str(&path), d);
	if (r == TG_OK)
		r = tg_x509_to_pem(root, &pem);
	if (r == TG_OK)
		r = pathf(&path, "%s/root.pem", dir);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0644,
				       TG_FS_SYNC | TG_FS_EXCL, d);
	if (r != TG_OK)
		goto out;
	r = make_intermediate(dir, td, kt, root, root_key, now, INT64_MIN, &inter, d);
	if (r == TG_OK)
		r = tg_x509_validity(root, &rnb, &rna);
	if (r == TG_OK)
		r = make_jwt_key(dir, kt, now,
				 at(now.sec + INTER_TTL < rna.sec ? now.sec + INTER_TTL : rna.sec),
				 now.sec > 0 ? (uint64_t)now.sec : 1, &jwt, d);
	if (r == TG_OK)
		r = tg_ca_db_open(dir, true, &db, d);
	if (r != TG_OK)
		goto out;

	/* the commit point: a directory without ca.json holds no CA */
	r = tg_time_format(at(now.sec), created, sizeof(created));
	if (r == TG_OK)
		r = tg_buf_addf(&cfg,
				"{\n  \"version\": %d,\n  \"trust_domain\": \"%s\",\n"
				"  \"key_type\": \"%s\",\n  \"x509_svid_ttl\": %d,\n"
				"  \"jwt_svid_ttl\": %d,\n  \"created\": \"%s\"\n}\n",
				CA_CONFIG_VERSION, td, tg_key_type_name(kt),
				TG_SVID_X509_TTL_DEFAULT, TG_SVID_JWT_TTL_DEFAULT, created);
	if (r == TG_OK)
		r = pathf(&path, "%s/ca.json", dir);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), cfg.data, cfg.len, 0644,
				       TG_FS_SYNC | TG_FS_EXCL, d);
out:
	if (r != TG_OK && r != TG_E_EXISTS && d && d->msg[0] == '\0')
		tg_diag_set(d, "cannot create the CA in '%s': %s", dir, tg_strerror(r));
	sqlite3_close(db);
	signer_release(&inter);
	signer_release(&jwt);
	tg_x509_free(root);
	tg_key_free(root_key);
	tg_buf_release(&path);
	tg_buf_release(&pem);
	tg_buf_release(&cfg);
	return r;
}

static tg_err read_config(struct tg_ca *ca, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_arena a;
	const struct tg_json *cfg = NULL;
	const char *s = NULL;
	size_t n = 0;
	int64_t ver = 0;
	unsigned bits = 0;
	char name[32];
	tg_err r;

	tg_arena_init(&a, 4 * META_MAX);
	r = pathf(&path, "%s/ca.json", ca->dir);
	if (r != TG_OK)
		goto out;
	if (!tg_fs_exists(tg_buf_str(&path))) {
		tg_diag_set(d, "'%s' holds no CA (no ca.json)", ca->dir);
		r = TG_E_NOTFOUND;
		goto out;
	}
	r = read_json(tg_buf_str(&path), &a, &cfg, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_STATE;
	if (tg_json_get_i64(cfg, "version", &ver) != TG_OK || ver != CA_CONFIG_VERSION) {
		tg_diag_set(d, "'%s': version is not %d", tg_buf_str(&path), CA_CONFIG_VERSION);
		goto out;
	}
	if (tg_json_get_string(cfg, "trust_domain", &s, &n) != TG_OK ||
	    tg_spiffe_td_parse(s, n, ca->td, NULL) != TG_OK) {
		tg_diag_set(d, "'%s': no valid trust_domain", tg_buf_str(&path));
		goto out;
	}
	if (tg_json_get_string(cfg, "key_type", &s, &n) != TG_OK || n >= sizeof(name)) {
		tg_diag_set(d, "'%s': no valid key_type", tg_buf_str(&path));
		goto out;
	}
	memcpy(name, s, n);
	name[n] = '\0';
	if (tg_key_type_from_name(name, &ca->kt, &bits) != TG_OK ||
	    (ca->kt != TG_KEY_EC_P256 && ca->kt != TG_KEY_EC_P384)) {
		tg_diag_set(d, "'%s': key_type '%s' is not ecdsa-p256 or ecdsa-p384",
			    tg_buf_str(&path), name);
		goto out;
	}
	if (tg_json_get_i64(cfg, "x509_svid_ttl", &ca->x509_ttl) != TG_OK ||
	    tg_json_get_i64(cfg, "jwt_svid_ttl", &ca->jwt_ttl) != TG_OK || ca->x509_ttl <= 0 ||
	    ca->x509_ttl > TG_SVID_TTL_MAX || ca->jwt_ttl <= 0 || ca->jwt_ttl > TG_SVID_TTL_MAX) {
		tg_diag_set(d, "'%s': x509_svid_ttl and jwt_svid_ttl must be 1..%d seconds",
			    tg_buf_str(&path), TG_SVID_TTL_MAX);
		goto out;
	}
	r = TG_OK;
out:
	tg_arena_release(&a);
	tg_buf_release(&path);
	return r;
}

struct loaded {
	struct tg_ca_signer s;
	int64_t not_before; /* the order: notBefore, or a JWT key's sequence */
};

static int loaded_newest_first(const void *x, const void *y)
{
	const struct loaded *a = x, *b = y;
	if (a->not_before != b->not_before)
		return a->not_before > b->not_before ? -1 : 1;
	return -strcmp(a->s.kid, b->s.kid);
}

/* Moves the loaded signers into *arr, newest first. */
static void adopt(struct loaded *l, size_t n, struct tg_ca_signer **arr, size_t *count)
{
	size_t i;
	qsort(l, n, sizeof(*l), loaded_newest_first);
	*arr = tg_xcalloc(n ? n : 1, sizeof(**arr));
	for (i = 0; i < n; i++)
		(*arr)[i] = l[i].s;
	*count = n;
}

/* Loads intermediates/<name>.pem and .key into *s, or leaves *s empty
 * when the certificate has expired (it is dropped). */
static tg_err load_intermediate(struct tg_ca *ca, const char *name, struct tg_time now,
				struct tg_ca_signer *s, int64_t *not_before, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), serial = TG_BUF_INIT(128);
	const struct tg_x509 *anchor[1];
	struct tg_ca_signer ld;
	struct tg_x509_basic bc;
	struct tg_time nb, na;
	struct tg_diag vd;
	bool match = false;
	tg_err r;

	memset(&ld, 0, sizeof(ld));
	anchor[0] = ca->root;
	r = pathf(&path, "%s/intermediates/%s.pem", ca->dir, name);
	if (r == TG_OK)
		r = load_cert(tg_buf_str(&path), &ld.cert, d);
	if (r == TG_OK)
		r = tg_x509_validity(ld.cert, &nb, &na);
	if (r == TG_OK)
		r = tg_x509_serial_hex(ld.cert, &serial);
	if (r != TG_OK || na.sec <= now.sec) /* expired: dropped, its SVIDs are too */
		goto out;
	r = TG_E_STATE;
	if (strcmp(tg_buf_str(&serial), name) != 0) {
		tg_diag_set(d, "'%s' has serial %s", tg_buf_str(&path), tg_buf_str(&serial));
		goto out;
	}
	if (tg_x509_basic_constraints(ld.cert, &bc) != TG_OK || !bc.ca) {
		tg_diag_set(d, "'%s' is not a CA certificate", tg_buf_str(&path));
		goto out;
	}
	/* checked where it is valid: a clock that went back must not make the
	 * whole CA unreadable (issuing then says "not valid yet") */
	tg_diag_init(&vd);
	if (tg_x509_verify(ld.cert, NULL, 0, anchor, 1, nb.sec > now.sec ? nb : now,
			   TG_X509_VERIFY_NO_PURPOSE, NULL, &vd) != TG_OK) {
		tg_diag_set(d, "'%s' does not verify under the root: %s", tg_buf_str(&path),
			    vd.msg);
		goto out;
	}
	r = pathf(&path, "%s/intermediates/%s.key", ca->dir, name);
	if (r == TG_OK)
		r = load_key(tg_buf_str(&path), ca->kt, &ld.key, d);
	if (r == TG_OK)
		r = cert_matches_key(ld.cert, ld.key, &match);
	if (r == TG_OK && !match) {
		tg_diag_set(d, "'%s' is not the key of its certificate", tg_buf_str(&path));
		r = TG_E_STATE;
	}
	if (r != TG_OK)
		goto out;
	ld.kid = tg_xstrdup(name);
	ld.not_after = na;
	*s = ld;
	*not_before = nb.sec;
	memset(&ld, 0, sizeof(ld));
out:
	signer_release(&ld);
	tg_buf_release(&path);
	tg_buf_release(&serial);
	return r;
}

static tg_err load_intermediates(struct tg_ca *ca, struct tg_time now, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct loaded *l = NULL;
	char **names = NULL;
	size_t nn = 0, nl = 0, i;
	tg_err r;

	r = pathf(&path, "%s/intermediates", ca->dir);
	if (r == TG_OK)
		r = list_dir(tg_buf_str(&path), ".pem", &names, &nn, d);
	if (r != TG_OK)
		goto out;
	l = tg_xcalloc(nn ? nn : 1, sizeof(*l));
	for (i = 0; i < nn; i++) {
		if (!all_chars(names[i], HEX_LOWER) || strlen(names[i]) > SERIAL_HEX_MAX)
			continue; /* not a file tollgate wrote */
		memset(&l[nl], 0, sizeof(l[nl]));
		r = load_intermediate(ca, names[i], now, &l[nl].s, &l[nl].not_before, d);
		if (r != TG_OK)
			goto out;
		if (l[nl].s.cert)
			nl++;
	}
	adopt(l, nl, &ca->inter, &ca->ninter);
	nl = 0;
	r = TG_OK;
out:
	for (i = 0; i < nl; i++)
		signer_release(&l[i].s);
	free(l);
	names_free(names, nn);
	tg_buf_release(&path);
	return r;
}

static tg_err load_jwt_keys(struct tg_ca *ca, struct tg_time now, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), kid = TG_BUF_INIT(128);
	struct tg_arena a;
	struct loaded *l = NULL;
	const struct tg_json *meta;
	char **names = NULL;
	size_t nn = 0, nl = 0, i, n;
	const char *s;
	struct tg_time nb, na;
	struct tg_key *k = NULL;
	int64_t seq = 0;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	r = pathf(&path, "%s/jwt", ca->dir);
	if (r == TG_OK)
		r = list_dir(tg_buf_str(&path), ".json", &names, &nn, d);
	if (r != TG_OK)
		goto out;
	l = tg_xcalloc(nn ? nn : 1, sizeof(*l));
	for (i = 0; i < nn; i++) {
		if (!all_chars(names[i], B64URL_CHARS) || strlen(names[i]) != 43)
			continue; /* not a file tollgate wrote */
		r = pathf(&path, "%s/jwt/%s.json", ca->dir, names[i]);
		if (r == TG_OK)
			r = read_json(tg_buf_str(&path), &a, &meta, d);
		if (r != TG_OK)
			goto out;
		r = TG_E_STATE;
		if (tg_json_get_string(meta, "kid", &s, &n) != TG_OK || n != strlen(names[i]) ||
		    memcmp(s, names[i], n) != 0 ||
		    tg_json_get_string(meta, "key_type", &s, &n) != TG_OK ||
		    n != strlen(tg_key_type_name(ca->kt)) ||
		    memcmp(s, tg_key_type_name(ca->kt), n) != 0 ||
		    json_time(meta, "not_before", &nb) != TG_OK ||
		    json_time(meta, "not_after", &na) != TG_OK ||
		    tg_json_get_i64(meta, "bundle_sequence", &seq) != TG_OK || seq < 1) {
			tg_diag_set(d, "'%s' is not the description of a %s JWT key '%s'",
				    tg_buf_str(&path), tg_key_type_name(ca->kt), names[i]);
			goto out;
		}
		if ((uint64_t)seq > ca->bundle_seq)
			ca->bundle_seq = (uint64_t)seq;
		if (na.sec <= now.sec) {
			/* expired: dropped, which changes the bundle */
			if (na.sec > (int64_t)ca->bundle_seq)
				ca->bundle_seq = (uint64_t)na.sec;
			continue;
		}
		r = pathf(&path, "%s/jwt/%s.key", ca->dir, names[i]);
		if (r == TG_OK)
			r = load_key(tg_buf_str(&path), ca->kt, &k, d);
		if (r != TG_OK)
			goto out;
		tg_buf_reset(&kid);
		r = jwt_kid(k, &kid);
		if (r != TG_OK)
			goto out;
		if (strcmp(tg_buf_str(&kid), names[i]) != 0) {
			tg_diag_set(d, "'%s' does not hold the key of kid '%s'", tg_buf_str(&path),
				    names[i]);
			r = TG_E_STATE;
			goto out;
		}
		r = tg_key_with_kid(k, names[i], &l[nl].s.key);
		if (r != TG_OK)
			goto out;
		tg_key_free(k);
		k = NULL;
		l[nl].s.kid = tg_xstrdup(names[i]);
		l[nl].s.not_after = na;
		l[nl++].not_before = seq; /* strictly grows with each key */
	}
	adopt(l, nl, &ca->jwt, &ca->njwt);
	nl = 0;
	r = TG_OK;
out:
	for (i = 0; i < nl; i++)
		signer_release(&l[i].s);
	free(l);
	tg_key_free(k);
	names_free(names, nn);
	tg_arena_release(&a);
	tg_buf_release(&path);
	tg_buf_release(&kid);
	return r;
}

tg_err tg_ca_open(const char *dir, struct tg_ca **out, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_ca *ca = NULL;
	struct tg_time now = tg_time_now(), nb;
	struct tg_x509_basic bc;
	tg_err r;

	if (!dir || !*dir || !out) {
		tg_diag_set(d, "tg_ca_open needs a directory and an output");
		return TG_E_INVAL;
	}
	ca = tg_xcalloc(1, sizeof(*ca));
	ca->dir = tg_xstrdup(dir);
	r = read_config(ca, d);
	if (r == TG_OK)
		r = pathf(&path, "%s/root.pem", dir);
	if (r == TG_OK)
		r = load_cert(tg_buf_str(&path), &ca->root, d);
	if (r != TG_OK)
		goto out;
	if (tg_x509_basic_constraints(ca->root, &bc) != TG_OK || !bc.ca ||
	    tg_x509_validity(ca->root, &nb, NULL) != TG_OK) {
		tg_diag_set(d, "'%s' is not a CA certificate", tg_buf_str(&path));
		r = TG_E_STATE;
		goto out;
	}
	ca->bundle_seq = nb.sec > 0 ? (uint64_t)nb.sec : 1;
	r = load_intermediates(ca, now, d);
	if (r == TG_OK)
		r = load_jwt_keys(ca, now, d);
	if (r == TG_OK)
		r = tg_ca_db_open(dir, false, &ca->db, d);
	if (r != TG_OK)
		goto out;
	*out = ca;
	ca = NULL;
out:
	tg_ca_close(ca);
	tg_buf_release(&path);
	return r;
}

void tg_ca_close(struct tg_ca *ca)
{
	size_t i;
	if (!ca)
		return;
	for (i = 0; i < ca->ninter; i++)
		signer_release(&ca->inter[i]);
	for (i = 0; i < ca->njwt; i++)
		signer_release(&ca->jwt[i]);
	free(ca->inter);
	free(ca->jwt);
	tg_x509_free(ca->root);
	/* _v2: a statement someone forgot to finalise must not keep the file
	 * open forever or make this leak */
	sqlite3_close_v2(ca->db);
	free(ca->dir);
	free(ca);
}

const char *tg_ca_trust_domain(const struct tg_ca *ca)
{
	return ca->td;
}

/* ------------------------------------------------------------------ */
/* Rotation                                                            */
/* ------------------------------------------------------------------ */

tg_err tg_ca_rotate(struct tg_ca *ca, struct tg_time now, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_key *root_key = NULL;
	struct tg_ca_signer inter, jwt;
	struct tg_time nb, na;
	uint64_t seq;
	int64_t after = INT64_MIN;
	bool match = false;
	tg_err r;

	memset(&inter, 0, sizeof(inter));
	memset(&jwt, 0, sizeof(jwt));
	if (!ca)
		return TG_E_INVAL;
	/* SPIFFE bundle 4.1.1: the sequence changes with the contents and
	 * only grows; it is the time of the change, or one more */
	seq = now.sec > 0 && (uint64_t)now.sec > ca->bundle_seq ? (uint64_t)now.sec
								  : ca->bundle_seq + 1;
	/* the root key is read only here, for as long as it is needed */
	r = pathf(&path, "%s/root.key", ca->dir);
	if (r == TG_OK)
		r = load_key(tg_buf_str(&path), ca->kt, &root_key, d);
	if (r == TG_OK)
		r = cert_matches_key(ca->root, root_key, &match);
	if (r != TG_OK)
		goto out;
	if (!match) {
		tg_diag_set(d, "'%s' is not the key of root.pem", tg_buf_str(&path));
		r = TG_E_STATE;
		goto out;
	}
	if (ca->ninter > 0 && tg_x509_validity(ca->inter[0].cert, &nb, NULL) == TG_OK)
		after = nb.sec;
	r = make_intermediate(ca->dir, ca->td, ca->kt, ca->root, root_key, now, after, &inter, d);
	if (r != TG_OK)
		goto out;
	signer_prepend(&ca->inter, &ca->ninter, &inter);
	r = tg_x509_validity(ca->root, &nb, &na);
	if (r == TG_OK)
		r = make_jwt_key(ca->dir, ca->kt, now,
				 at(now.sec + INTER_TTL < na.sec ? now.sec + INTER_TTL : na.sec), seq,
				 &jwt, d);
	if (r != TG_OK)
		goto out;
	signer_prepend(&ca->jwt, &ca->njwt, &jwt);
	ca->bundle_seq = seq;
out:
	signer_release(&inter);
	signer_release(&jwt);
	tg_key_free(root_key);
	tg_buf_release(&path);
	return r;
}

/* ------------------------------------------------------------------ */
/* Bundles                                                             */
/* ------------------------------------------------------------------ */

tg_err tg_ca_bundle(const struct tg_ca *ca, struct tg_bundle *out)
{
	struct tg_bundle b;
	size_t i;
	tg_err r = TG_OK;

	if (!ca || !out)
		return TG_E_INVAL;
	memset(&b, 0, sizeof(b));
	memcpy(b.td, ca->td, sizeof(b.td));
	b.x509.certs = tg_xcalloc(1, sizeof(*b.x509.certs));
	b.x509.certs[0] = tg_x509_ref(ca->root);
	b.x509.count = 1;
	b.jwt.keys = tg_xcalloc(ca->njwt ? ca->njwt : 1, sizeof(*b.jwt.keys));
	for (i = 0; i < ca->njwt && r == TG_OK; i++) {
		r = tg_key_public(ca->jwt[i].key, &b.jwt.keys[i]);
		if (r == TG_OK)
			b.jwt.count++;
	}
	if (r != TG_OK) {
		tg_bundle_release(&b);
		return r;
	}
	b.refresh_hint = REFRESH_HINT;
	b.sequence = ca->bundle_seq;
	*out = b;
	return TG_OK;
}

static tg_err load_federated(const struct tg_ca *ca, const char *td, struct tg_bundle *out,
			     struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), doc = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	tg_err r = pathf(&path, "%s/bundles/%s.json", ca->dir, td);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), &doc, d);
	if (r == TG_OK) {
		r = tg_bundle_parse(td, (const char *)doc.data, doc.len, out, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "'%s'", tg_buf_str(&path));
	}
	tg_buf_release(&path);
	tg_buf_release(&doc);
	return r;
}

tg_err tg_ca_bundles(const struct tg_ca *ca, struct tg_bundle_set *out)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_bundle_set s = {NULL, 0};
	char **names = NULL;
	char td[TG_SPIFFE_TD_MAX + 1];
	size_t nn = 0, i;
	tg_err r;

	if (!ca || !out)
		return TG_E_INVAL;
	r = pathf(&path, "%s/bundles", ca->dir);
	if (r == TG_OK)
		r = list_dir(tg_buf_str(&path), ".json", &names, &nn, NULL);
	if (r != TG_OK)
		goto out;
	s.b = tg_xcalloc(nn + 1, sizeof(*s.b));
	r = tg_ca_bundle(ca, &s.b[0]);
	if (r != TG_OK)
		goto out;
	s.n = 1;
	for (i = 0; i < nn; i++) {
		/* never let a file stand in for the own trust domain */
		if (tg_spiffe_td_parse(names[i], strlen(names[i]), td, NULL) != TG_OK ||
		    strcmp(td, ca->td) == 0)
			continue;
		r = load_federated(ca, td, &s.b[s.n], NULL);
		if (r != TG_OK)
			goto out;
		s.n++;
	}
	*out = s;
	s.b = NULL;
	s.n = 0;
out:
	tg_bundle_set_release(&s);
	names_free(names, nn);
	tg_buf_release(&path);
	return r;
}

tg_err tg_ca_import_bundle(struct tg_ca *ca, const struct tg_bundle *b, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), doc = TG_BUF_INIT(TG_LIMIT_JSON_VERIFY_DOC);
	struct tg_bundle old, check;
	struct tg_diag pd;
	char td[TG_SPIFFE_TD_MAX + 1];
	tg_err r;

	memset(&old, 0, sizeof(old));
	memset(&check, 0, sizeof(check));
	if (!ca || !b) {
		tg_diag_set(d, "tg_ca_import_bundle needs a CA and a bundle");
		return TG_E_INVAL;
	}
	r = tg_spiffe_td_parse(b->td, strnlen(b->td, sizeof(b->td)), td, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "invalid trust domain of the bundle");
		return TG_E_INVAL;
	}
	if (strcmp(td, ca->td) == 0) {
		tg_diag_set(d, "refusing to import a bundle for '%s', the CA's own trust domain", td);
		return TG_E_INVAL;
	}
	/* SPIFFE bundle 4.1.1: the sequence only grows; an older bundle must
	 * not replace a newer one (a rollback to keys since withdrawn) */
	tg_diag_init(&pd);
	r = load_federated(ca, td, &old, &pd);
	if (r == TG_OK && old.sequence > b->sequence) {
		tg_diag_set(d, "the stored bundle of '%s' has sequence %" PRIu64
			       ", newer than this one's %" PRIu64, td, old.sequence, b->sequence);
		r = TG_E_CONFLICT;
		goto out;
	}
	if (r != TG_OK && r != TG_E_NOTFOUND) {
		tg_diag_set(d, "%s", pd.msg);
		goto out;
	}
	/* rebuilt from the parsed fields, and read back before it is stored */
	r = tg_bundle_to_spiffe(b, &doc);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot encode the bundle of '%s': %s", td, tg_strerror(r));
		goto out;
	}
	r = tg_bundle_parse(td, (const char *)doc.data, doc.len, &check, d);
	if (r != TG_OK)
		goto out;
	r = pathf(&path, "%s/bundles/%s.json", ca->dir, td);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), doc.data, doc.len, 0644, TG_FS_SYNC, d);
out:
	tg_bundle_release(&old);
	tg_bundle_release(&check);
	tg_buf_release(&path);
	tg_buf_release(&doc);
	return r;
}

/* ------------------------------------------------------------------ */
/* Issuance                                                            */
/* ------------------------------------------------------------------ */

static tg_err record_issued(struct tg_ca *ca, const char *kind, const char *id,
			    const char *spiffe_id, int64_t issued, int64_t expires,
			    struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	tg_err r = tg_ca_db_prepare(ca,
				    "INSERT INTO issued (kind, id, spiffe_id, issued, expires) "
				    "VALUES (?1, ?2, ?3, ?4, ?5)",
				    &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, spiffe_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, issued) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, expires) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		tg_diag_set(d, "cannot record the %s SVID %s: %s", kind, id,
			    sqlite3_errmsg(ca->db));
		r = TG_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

/* Checks what both issuers need: the ID is a workload of this trust
 * domain, the TTL is in range (0: the default). */
static tg_err issue_check(const struct tg_ca *ca, const struct tg_spiffe_id *id, int64_t *ttl,
			  int64_t def, struct tg_diag *d)
{
	if (!tg_spiffe_id_in_td(id, ca->td)) {
		tg_diag_set(d, "'%s' is not in trust domain '%s'", id->uri, ca->td);
		return TG_E_INVAL;
	}
	/* X509-SVID 3.1: a workload's ID has a path; the bare trust domain
	 * names the authority itself */
	if (id->uri[id->path_off] == '\0') {
		tg_diag_set(d, "'%s' has no path and names the trust domain, not a workload",
			    id->uri);
		return TG_E_INVAL;
	}
	if (*ttl == 0)
		*ttl = def;
	if (*ttl < 0 || *ttl > TG_SVID_TTL_MAX) {
		tg_diag_set(d, "TTL of %" PRId64 " seconds is outside 1..%d", *ttl,
			    TG_SVID_TTL_MAX);
		return TG_E_RANGE;
	}
	return TG_OK;
}

/* Re-validates an ID we are about to sign (it is the caller's struct:
 * everything we sign is built from validated fields). */
static tg_err id_revalidate(const struct tg_spiffe_id *id, struct tg_spiffe_id *copy,
			    struct tg_diag *d)
{
	size_t n = strnlen(id->uri, sizeof(id->uri));
	tg_err r = tg_spiffe_id_parse(id->uri, n, copy, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "invalid SPIFFE ID");
		return TG_E_INVAL;
	}
	return TG_OK;
}

tg_err tg_ca_issue_x509(struct tg_ca *ca, const struct tg_spiffe_id *id, const struct tg_key *key,
			int64_t ttl, struct tg_time now, struct tg_x509_list *chain,
			struct tg_diag *d)
{
	return tg_ca_issue_x509_dns(ca, id, key, NULL, ttl, now, chain, d);
}

tg_err tg_ca_issue_x509_dns(struct tg_ca *ca, const struct tg_spiffe_id *id,
			    const struct tg_key *key, const char *const *dns, int64_t ttl,
			    struct tg_time now, struct tg_x509_list *chain, struct tg_diag *d)
{
	struct tg_buf serial = TG_BUF_INIT(128);
	struct tg_x509_tmpl t;
	struct tg_x509 *leaf = NULL;
	struct tg_ca_signer *s;
	struct tg_spiffe_id sid;
	struct tg_time inb, ina;
	const char *uris[2];
	enum tg_key_type kt;
	char when[TG_TIME_STR_MAX];
	tg_err r;

	if (!ca || !id || !key || !chain) {
		tg_diag_set(d, "tg_ca_issue_x509 needs a CA, an ID, a key and an output");
		return TG_E_INVAL;
	}
	r = id_revalidate(id, &sid, d);
	if (r == TG_OK)
		r = issue_check(ca, &sid, &ttl, ca->x509_ttl, d);
	if (r != TG_OK)
		return r;
	kt = tg_key_type(key);
	if (kt != TG_KEY_EC_P256 && kt != TG_KEY_EC_P384 && kt != TG_KEY_EC_P521 &&
	    kt != TG_KEY_RSA && kt != TG_KEY_ED25519) {
		tg_diag_set(d, "a %s key cannot be certified", tg_key_type_name(kt));
		return TG_E_KEY;
	}
	if (ca->ninter == 0) {
		tg_diag_set(d, "the CA has no unexpired intermediate; rotate it");
		return TG_E_STATE;
	}
	s = &ca->inter[0];
	r = tg_x509_validity(s->cert, &inb, &ina);
	if (r != TG_OK)
		return r;
	if (now.sec >= ina.sec) {
		if (tg_time_format(ina, when, sizeof(when)) != TG_OK)
			when[0] = '\0';
		tg_diag_set(d, "intermediate %s expired at %s; rotate the CA", s->kid, when);
		return TG_E_EXPIRED;
	}
	if (now.sec < inb.sec) {
		tg_diag_set(d, "intermediate %s is not valid yet", s->kid);
		return TG_E_NOTYET;
	}
	uris[0] = sid.uri;
	uris[1] = NULL;
	memset(&t, 0, sizeof(t));
	t.subject = ""; /* X509-SVID 3.1: the ID is the SAN, which is then critical */
	t.san_critical = true;
	t.not_before = at(now.sec - BACKDATE > inb.sec ? now.sec - BACKDATE : inb.sec);
	t.not_after = at(now.sec + ttl < ina.sec ? now.sec + ttl : ina.sec);
	t.is_ca = false;
	t.path_len = -1;
	/* X509-SVID 4.3 */
	t.key_usage = TG_KU_DIGITAL_SIGNATURE | (kt == TG_KEY_RSA ? TG_KU_KEY_ENCIPHERMENT : 0);
	/* X509-SVID 4.4 */
	t.ext_key_usage = TG_EKU_SERVER_AUTH | TG_EKU_CLIENT_AUTH;
	t.san_uri = uris;
	t.san_dns = dns && dns[0] ? dns : NULL; /* X509-SVID 2: other SAN types may follow */
	r = tg_x509_build(&t, key, s->cert, s->key, &leaf, d);
	if (r != TG_OK)
		goto out;
	r = tg_x509_serial_hex(leaf, &serial);
	if (r == TG_OK)
		r = record_issued(ca, "x509", tg_buf_str(&serial), sid.uri, now.sec, t.not_after.sec,
				  d);
	if (r != TG_OK)
		goto out;
	chain->certs = tg_xcalloc(2, sizeof(*chain->certs));
	chain->certs[0] = leaf;
	chain->certs[1] = tg_x509_ref(s->cert);
	chain->count = 2;
	leaf = NULL;
out:
	tg_x509_free(leaf);
	tg_buf_release(&serial);
	return r;
}

static tg_err claims_add(struct tg_arena *a, struct tg_json_member *m, size_t *n, const char *key,
			 const struct tg_json *v)
{
	m[*n].val = v;
	return tg_json_new_string(a, key, strlen(key), &m[(*n)++].key);
}

tg_err tg_ca_issue_jwt(struct tg_ca *ca, const struct tg_spiffe_id *id, const char *const *aud,
		       size_t naud, int64_t ttl, struct tg_time now, enum tg_sig_alg alg,
		       struct tg_buf *token, struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_buf tok = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_json_member m[5];
	const struct tg_json *items[MAX_AUD], *v = NULL, *claims = NULL;
	struct tg_ca_signer *s;
	struct tg_spiffe_id sid;
	uint8_t rnd[16];
	char jti[33];
	int64_t exp;
	size_t nm = 0, i;
	tg_err r;

	if (!ca || !id || !token || (naud && !aud)) {
		tg_diag_set(d, "tg_ca_issue_jwt needs a CA, an ID, audiences and an output");
		return TG_E_INVAL;
	}
	/* JWT-SVID 3.2: at least one audience (and 7.2: few) */
	if (naud == 0 || naud > MAX_AUD) {
		tg_diag_set(d, "a JWT-SVID needs 1..%d audiences, not %zu", MAX_AUD, naud);
		return TG_E_INVAL;
	}
	for (i = 0; i < naud; i++) {
		if (!aud[i] || !*aud[i] || strlen(aud[i]) > AUD_MAX_LEN) {
			tg_diag_set(d, "audience %zu is empty or longer than %d bytes", i,
				    AUD_MAX_LEN);
			return TG_E_INVAL;
		}
	}
	r = id_revalidate(id, &sid, d);
	if (r == TG_OK)
		r = issue_check(ca, &sid, &ttl, ca->jwt_ttl, d);
	if (r != TG_OK)
		return r;
	if (ca->njwt == 0) {
		tg_diag_set(d, "the CA has no unexpired JWT key; rotate it");
		return TG_E_STATE;
	}
	s = &ca->jwt[0];
	if (now.sec >= s->not_after.sec) {
		tg_diag_set(d, "JWT key %s has expired; rotate the CA", s->kid);
		return TG_E_EXPIRED;
	}
	if (alg == TG_SIG_NONE)
		alg = tg_key_default_alg(s->key);
	if (tg_key_check_alg(s->key, alg) != TG_OK) {
		tg_diag_set(d, "algorithm %s does not fit the %s JWT key", tg_sig_alg_name(alg),
			    tg_key_type_name(tg_key_type(s->key)));
		return TG_E_ALG;
	}
	exp = now.sec + ttl < s->not_after.sec ? now.sec + ttl : s->not_after.sec;
	r = tg_rand_bytes(rnd, sizeof(rnd));
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(jti, rnd, sizeof(rnd));

	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	for (i = 0; i < naud && r == TG_OK; i++)
		r = tg_json_new_string(&a, aud[i], strlen(aud[i]), &items[i]);
	if (r != TG_OK) {
		tg_diag_set(d, "an audience is not valid UTF-8");
		r = TG_E_INVAL;
		goto out;
	}
	/* JWT-SVID 3.2: a string for one audience, else an array */
	if (naud == 1)
		v = items[0];
	else
		r = tg_json_new_array(&a, items, naud, &v);
	if (r == TG_OK)
		r = claims_add(&a, m, &nm, "aud", v);
	if (r == TG_OK)
		r = tg_json_new_int(&a, exp, &v);
	if (r == TG_OK)
		r = claims_add(&a, m, &nm, "exp", v);
	if (r == TG_OK)
		r = tg_json_new_int(&a, now.sec, &v);
	if (r == TG_OK)
		r = claims_add(&a, m, &nm, "iat", v);
	if (r == TG_OK)
		r = tg_json_new_string(&a, jti, strlen(jti), &v);
	if (r == TG_OK)
		r = claims_add(&a, m, &nm, "jti", v);
	if (r == TG_OK)
		r = tg_json_new_string(&a, sid.uri, strlen(sid.uri), &v);
	if (r == TG_OK)
		r = claims_add(&a, m, &nm, "sub", v);
	if (r == TG_OK)
		r = tg_json_new_object(&a, m, nm, TG_JSON_DUP_REJECT, &claims);
	/* header {alg, kid, typ: "JWT"} (JWT-SVID 2) */
	if (r == TG_OK)
		r = tg_jwt_sign(s->key, alg, claims, &tok);
	if (r != TG_OK) {
		tg_diag_set(d, "cannot sign the JWT-SVID: %s", tg_strerror(r));
		goto out;
	}
	r = record_issued(ca, "jwt", jti, sid.uri, now.sec, exp, d);
	if (r == TG_OK)
		r = tg_buf_add(token, tok.data, tok.len);
out:
	tg_arena_release(&a);
	tg_buf_release(&tok);
	return r;
}

/* ------------------------------------------------------------------ */
/* Revocation                                                          */
/* ------------------------------------------------------------------ */

/* Lower-case hex without leading zeros, padded to whole octets: the form
 * tg_x509_serial_hex gives ("0a1b..." stays, "A1B" becomes "0a1b"). */
static bool serial_norm(const char *in, char out[SERIAL_HEX_MAX + 2])
{
	size_t n = strlen(in), i, o = 0;
	if (n == 0 || n > SERIAL_HEX_MAX || strspn(in, "0123456789abcdefABCDEF") != n)
		return false;
	while (n > 1 && in[0] == '0') {
		in++;
		n--;
	}
	if (n % 2)
		out[o++] = '0';
	for (i = 0; i < n; i++)
		out[o++] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] - 'A' + 'a' : in[i]);
	out[o] = '\0';
	return true;
}

tg_err tg_ca_revoke_serial(struct tg_ca *ca, const char *serial_hex, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	char norm[SERIAL_HEX_MAX + 2];
	tg_err r;

	if (!ca || !serial_hex || !serial_norm(serial_hex, norm)) {
		tg_diag_set(d, "a serial number is 1..%d hex digits", SERIAL_HEX_MAX);
		return TG_E_INVAL;
	}
	r = tg_ca_db_prepare(ca,
			     "INSERT OR IGNORE INTO revoked_serials (serial, revoked) VALUES (?1, ?2)",
			     &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_text(st, 1, norm, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, tg_time_now().sec) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		tg_diag_set(d, "cannot revoke serial %s: %s", norm, sqlite3_errmsg(ca->db));
		r = TG_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

tg_err tg_ca_revoke_jti(struct tg_ca *ca, const char *jti, struct tg_time exp, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	tg_err r;

	if (!ca || !jti || !*jti || strlen(jti) > JTI_MAX_LEN) {
		tg_diag_set(d, "a JWT ID is 1..%d bytes", JTI_MAX_LEN);
		return TG_E_INVAL;
	}
	/* a token past its exp fails anyway: forget those (with the skew
	 * verifiers allow) */
	r = tg_ca_db_prepare(ca, "DELETE FROM revoked_jtis WHERE expires < ?1", &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_int64(st, 1, tg_time_now().sec - TG_LIMIT_JWT_SKEW_MAX) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		tg_diag_set(d, "cannot purge revoked JWT IDs: %s", sqlite3_errmsg(ca->db));
		r = TG_E_IO;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r != TG_OK)
		return r;
	r = tg_ca_db_prepare(ca,
			     "INSERT INTO revoked_jtis (jti, expires) VALUES (?1, ?2) "
			     "ON CONFLICT (jti) DO UPDATE SET expires = max(expires, excluded.expires)",
			     &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_text(st, 1, jti, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, exp.sec) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
		tg_diag_set(d, "cannot revoke a JWT ID: %s", sqlite3_errmsg(ca->db));
		r = TG_E_IO;
	}
	sqlite3_finalize(st);
	return r;
}

/* One-row lookup; any database failure counts as revoked (fail closed). */
static bool db_has(struct tg_ca *ca, const char *sql, const char *key)
{
	sqlite3_stmt *st = NULL;
	bool found = true;
	int rc;
	if (tg_ca_db_prepare(ca, sql, &st, NULL) != TG_OK)
		return true;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT) == SQLITE_OK) {
		rc = sqlite3_step(st);
		found = rc != SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return found;
}

static bool revoked_serial(void *ctx, const char *serial_hex)
{
	char norm[SERIAL_HEX_MAX + 2];
	if (!serial_hex || !serial_norm(serial_hex, norm))
		return false; /* a negative serial: nothing revoke could have stored */
	return db_has(ctx, "SELECT 1 FROM revoked_serials WHERE serial = ?1", norm);
}

static bool revoked_jti(void *ctx, const char *jti)
{
	return db_has(ctx, "SELECT 1 FROM revoked_jtis WHERE jti = ?1", jti ? jti : "");
}

struct tg_revocations tg_ca_revocations(struct tg_ca *ca)
{
	struct tg_revocations r;
	r.is_revoked_serial = revoked_serial;
	r.is_revoked_jti = revoked_jti;
	r.ctx = ca;
	return r;
}
