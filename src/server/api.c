/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c - the api worker of tollgated: a poll loop of non-blocking TLS 1.3
 * connections, HTTP/1.1 with keep-alive, header/body/idle deadlines, per-
 * identity rate limits, routing and JSON. Its only key is the short-lived
 * X509-SVID key of its own TLS certificate; everything signed is asked of
 * the signer process through typed messages.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "gate/gate.h"
#include "identity/identity.h"
#include "sign/sign.h"

enum cstate { C_HANDSHAKE, C_HEAD, C_BODY, C_WRITE, C_LINGER };

struct conn {
	int fd;
	SSL *ssl;
	enum cstate st;
	struct tg_buf in, out;
	size_t out_off;
	int64_t deadline;            /* ms, monotonic */
	int64_t started;             /* ms, when the request's first byte came */
	struct tg_http_req req;
	bool have_head, close_after;
	char addr[64];
	char peer_id[TG_SPIFFE_ID_MAX + 1]; /* mTLS SPIFFE ID, "" without */
	struct tg_buf peer_pem;      /* the client's chain, for the signer */
	bool adm_peer;               /* the client certificate chains to admission_client_ca */
	bool adm_name_ok;            /* and names an admission_client_names entry */
};

/* Routes for metrics; "other" catches the rest. */
static const char *const routes[] = {
	"/healthz", "/readyz", "/metrics", "/v1/attest", "/v1/svid/jwt", "/v1/signing-cert",
	"/v1/timestamp", "/v1/log/entries", "/v1/log/checkpoint", "/v1/log/tile", "/v1/trust-root",
	"/v1/bundle", "/v1/attestations", "/v1/attestations/", "/v1/verify", "/v1/admission",
	"/v1/agent/entries", "/v1/agent/svid/x509", "/v1/agent/svid/jwt", "/v1/agent/renew",
	"other",
};
enum {
	R_ATT_POST = 12, R_ATT_GET = 13, R_VERIFY = 14, R_ADMISSION = 15,
	R_AGENT_ENTRIES = 16, R_AGENT_X509 = 17, R_AGENT_JWT = 18, R_AGENT_RENEW = 19,
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
static const int codes[] = {200, 201, 400, 401, 403, 404, 405, 408, 413, 414, 415, 422, 429, 431,
			    500, 501, 502, 503, 505};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct rate {
	char key[TG_SPIFFE_ID_MAX + 1];
	double tokens;
	int64_t last;                /* ms */
};
#define NRATE 1024

/* One worker's counters; the /metrics answer sums every worker's slot. */
struct metrics {
	uint64_t count[NROUTES][NCODES];
	uint64_t hist[NBUCKETS + 1];
	double lat_sum;
	uint64_t lat_n;
	uint64_t x509_issued, jwt_issued, signing_certs, timestamps, conns_dropped;
	uint64_t conns_open;            /* a gauge */
};

/* Shared by the api workers (a MAP_SHARED mapping made by the parent):
 * per-identity rate limits hold across workers, and counters survive a
 * worker's restart. Updates are plain stores by one writer per metrics
 * slot; the rate buckets are shared, and two workers updating one bucket
 * at the same instant may let one extra request through. */
struct shared {
	struct rate rates[NRATE];
	struct metrics m[];
};

size_t tg_server_api_shm_size(size_t nslots)
{
	return sizeof(struct shared) + nslots * sizeof(struct metrics);
}

struct api {
	const struct tg_server_config *c;
	int lfd, sfd, stfd;              /* listener, signer, store */
	SSL_CTX *ctx;
	X509_STORE *adm_store;       /* admission_client_ca, or NULL */
	int64_t svid_renew_at;       /* ms, wall clock */
	char td[TG_SPIFFE_TD_MAX + 1];
	char self_id[TG_SPIFFE_ID_MAX + 1];
	struct tg_bundle_set bundles;
	struct tg_buf bundle_json, trust_root;
	struct tg_sign_trustroot root;  /* verifies attestations before they are stored */
	struct tg_gate *gate;           /* decides on stored evidence */
	struct tg_gate_policy *policy;
	struct tg_gate_ns_rule ns[32];
	struct conn **conns;
	size_t nconns;
	struct shared *sh;
	struct metrics *m;              /* this worker's slot of sh */
	size_t nslots;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- signer calls ---- */

static tg_err ask_on(int fd, struct tg_smsg *req, struct tg_buf *buf, struct tg_smsg *resp,
		     struct tg_diag *d)
{
	tg_err r = tg_smsg_send(fd, req);
	if (r == TG_OK)
		r = tg_smsg_recv(fd, buf, resp, d);
	if (r != TG_OK)
		return TG_E_IO;
	if (resp->type != TG_SMSG_RESPONSE) {
		tg_err e = (tg_err)(resp->type & 0xff);
		if (resp->n == 1 && resp->f[0].len < sizeof(d->msg))
			tg_diag_set(d, "%.*s", (int)resp->f[0].len, (const char *)resp->f[0].p);
		return e == TG_OK ? TG_E_INTERNAL : e;
	}
	return TG_OK;
}

static tg_err ask(struct api *a, struct tg_smsg *req, struct tg_buf *buf, struct tg_smsg *resp,
		  struct tg_diag *d)
{
	return ask_on(a->sfd, req, buf, resp, d);
}

/* The store process: attestations, the log's checkpoint and tiles. */
static tg_err ask_store(struct api *a, struct tg_smsg *req, struct tg_buf *buf,
			struct tg_smsg *resp, struct tg_diag *d)
{
	return ask_on(a->stfd, req, buf, resp, d);
}

/* ---- the server's own SVID ---- */

static tg_err renew_svid(struct api *a, struct tg_diag *d)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	unsigned char *spki = NULL;
	int n;
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	BIO *bio = NULL;
	X509 *leaf = NULL, *x;
	tg_err r = TG_E_CRYPTO;

	memset(&req, 0, sizeof(req));
	if (!pk || (n = i2d_PUBKEY(pk, &spki)) <= 0)
		goto out;
	req.type = TG_SMSG_SERVER_SVID;
	req.n = 1;
	req.f[0].p = spki;
	req.f[0].len = (size_t)n;
	r = ask(a, &req, &buf, &resp, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	bio = BIO_new_mem_buf(resp.f[0].p, (int)resp.f[0].len);
	if (!bio || !(leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		goto out;
	if (SSL_CTX_use_certificate(a->ctx, leaf) != 1 || SSL_CTX_clear_chain_certs(a->ctx) != 1)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(a->ctx, x) != 1) {
			X509_free(x);
			goto out;
		}
	if (SSL_CTX_use_PrivateKey(a->ctx, pk) != 1 || SSL_CTX_check_private_key(a->ctx) != 1)
		goto out;
	{
		const ASN1_TIME *na = X509_get0_notAfter(leaf);
		int days = 0, secs = 0;
		int64_t left = 1800;
		if (ASN1_TIME_diff(&days, &secs, NULL, na))
			left = (int64_t)days * 86400 + secs;
		/* renew at two thirds of the remaining life */
		a->svid_renew_at = (int64_t)time(NULL) * 1000 + left * 1000 * 2 / 3;
	}
	r = TG_OK;
out:
	if (r == TG_E_CRYPTO)
		tg_diag_set(d, "cannot install the server's X509-SVID");
	ERR_clear_error();
	BIO_free(bio);
	X509_free(leaf);
	EVP_PKEY_free(pk);
	OPENSSL_free(spki);
	tg_buf_release(&buf);
	return r;
}

/* The trust domain's bundle from the signer: client certificates must
 * chain to its X.509 authorities, bearer JWT-SVIDs to its JWT keys. */
static tg_err load_bundle(struct api *a, struct tg_diag *d)
{
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	struct tg_bundle b;
	X509_STORE *st = NULL;
	size_t i;
	tg_err r;

	memset(&req, 0, sizeof(req));
	memset(&b, 0, sizeof(b));
	req.type = TG_SMSG_BUNDLE;
	r = ask(a, &req, &buf, &resp, d);
	if (r == TG_OK && resp.n != 2)
		r = TG_E_PARSE;
	if (r == TG_OK)
		r = tg_bundle_parse(a->td, (const char *)resp.f[0].p, resp.f[0].len, &b, d);
	if (r != TG_OK)
		goto out;
	tg_buf_reset(&a->bundle_json);
	r = tg_buf_add(&a->bundle_json, resp.f[0].p, resp.f[0].len);
	if (r != TG_OK)
		goto out;
	st = X509_STORE_new();
	if (!st) {
		r = TG_E_CRYPTO;
		goto out;
	}
	{
		BIO *bio = BIO_new_mem_buf(resp.f[1].p, (int)resp.f[1].len);
		X509 *x;
		while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			X509_STORE_add_cert(st, x);
			X509_free(x);
		}
		BIO_free(bio);
		ERR_clear_error();
	}
	SSL_CTX_set_cert_store(a->ctx, st);
	st = NULL;
	tg_bundle_set_release(&a->bundles);
	a->bundles.b = tg_xcalloc(1, sizeof(*a->bundles.b));
	a->bundles.b[0] = b;
	a->bundles.n = 1;
	memset(&b, 0, sizeof(b));
	(void)i;
out:
	tg_bundle_release(&b);
	X509_STORE_free(st);
	tg_buf_release(&buf);
	return r;
}

/* ---- responses ---- */

static void respond_cc(struct api *a, struct conn *cn, int route, int status, const char *ctype,
		       const char *cache, const uint8_t *body, size_t len)
{
	size_t i;
	int64_t now = mono_ms();
	double lat = (double)(now - cn->started) / 1000.0;
	tg_err r;

	for (i = 0; i < NCODES; i++)
		if (codes[i] == status)
			a->m->count[route][i]++;
	for (i = 0; i < NBUCKETS && lat > buckets[i]; i++)
		;
	a->m->hist[i]++;
	a->m->lat_sum += lat;
	a->m->lat_n++;
	if (status >= 400 && status != 404 && status != 405 && status != 401 && status != 403 &&
	    status != 429 && status != 503)
		cn->close_after = cn->close_after || status == 408 || status == 413 ||
				  status == 431 || status == 414 || status == 400 || status == 501 ||
				  status == 505;
	tg_buf_reset(&cn->out);
	cn->out_off = 0;
	r = tg_buf_addf(&cn->out,
			"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			"Cache-Control: %s\r\nConnection: %s\r\n\r\n",
			status, tg_http_reason(status), ctype, len, cache,
			cn->close_after ? "close" : "keep-alive");
	if (r == TG_OK && len)
		r = tg_buf_add(&cn->out, body, len);
	if (r != TG_OK) {
		tg_buf_reset(&cn->out);
		cn->close_after = true;
	}
	cn->st = C_WRITE;
}

static void respond(struct api *a, struct conn *cn, int route, int status, const char *ctype,
		    const uint8_t *body, size_t len)
{
	respond_cc(a, cn, route, status, ctype, "no-store", body, len);
}

/* Appends s as a JSON string. */
static void respond_error(struct api *a, struct conn *cn, int route, int status, const char *code,
			  const char *msg)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	tg_err r = tg_buf_adds(&b, "{\"error\":{\"code\":");
	if (r == TG_OK)
		r = tg_json_add_string(&b, code, strlen(code));
	if (r == TG_OK)
		r = tg_buf_adds(&b, ",\"message\":");
	if (r == TG_OK)
		r = tg_json_add_string(&b, msg, strlen(msg));
	if (r == TG_OK)
		r = tg_buf_adds(&b, "}}\n");
	respond(a, cn, route, status, "application/json", b.data, r == TG_OK ? b.len : 0);
	tg_buf_release(&b);
}

/* Maps a library error to a status and code. */
static void respond_err(struct api *a, struct conn *cn, int route, tg_err e, const char *msg)
{
	int st = 500;
	const char *code = "internal";
	switch (e) {
	case TG_E_PARSE: case TG_E_ENCODING: case TG_E_TYPE: case TG_E_INVAL: case TG_E_KEY:
	case TG_E_ALG: case TG_E_RANGE: case TG_E_DUPKEY: case TG_E_DEPTH:
		st = 400; code = "invalid_request"; break;
	case TG_E_TOOBIG: st = 413; code = "too_large"; break;
	case TG_E_VERIFY: case TG_E_CLAIM: case TG_E_EXPIRED: case TG_E_NOTYET:
		st = 401; code = "unauthenticated"; break;
	case TG_E_DENIED: case TG_E_PERM: st = 403; code = "denied"; break;
	case TG_E_CONFLICT: st = 400; code = "ambiguous"; break;
	case TG_E_UNSUPPORTED: st = 501; code = "unsupported"; break;
	case TG_E_IO: st = 503; code = "unavailable"; break;
	default: break;
	}
	respond_error(a, cn, route, st, code, msg && msg[0] ? msg : tg_strerror(e));
}

/* ---- request helpers ---- */

/* The SPKI DER of a PEM PKCS#10 CSR whose self-signature (proof of
 * possession of the private key) verifies. */
static tg_err csr_spki(const char *pem, size_t n, struct tg_buf *spki, struct tg_diag *d)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)n);
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *pk = req ? X509_REQ_get0_pubkey(req) : NULL;
	unsigned char *der = NULL;
	int len;
	tg_err r = TG_E_PARSE;

	if (!req || !pk) {
		tg_diag_set(d, "'csr' is not a PEM certificate signing request");
		goto out;
	}
	if (X509_REQ_verify(req, pk) != 1) {
		tg_diag_set(d, "the CSR's signature (proof of possession) does not verify");
		r = TG_E_VERIFY;
		goto out;
	}
	len = i2d_PUBKEY(pk, &der);
	if (len <= 0)
		goto out;
	r = tg_buf_add(spki, der, (size_t)len);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(bio);
	return r;
}

/* The audiences of member key of v ('\n'-separated into auds): an array
 * of at most 16 strings of 1..1024 bytes without '\n' or NUL; with
 * required, present and not empty. */
static tg_err audiences(const struct tg_json *v, const char *key, bool required,
			struct tg_buf *auds, struct tg_diag *d)
{
	const struct tg_json *ja = tg_json_get(v, key);
	size_t i;
	tg_err r = TG_OK;
	if (!ja && !required)
		return TG_OK;
	if (!ja || ja->type != TG_JSON_ARRAY || ja->u.a.len > 16 || (required && !ja->u.a.len)) {
		tg_diag_set(d, "'%s' must be an array of %s16 strings", key,
			    required ? "1.." : "at most ");
		return TG_E_TYPE;
	}
	for (i = 0; r == TG_OK && i < ja->u.a.len; i++) {
		const struct tg_json *s = ja->u.a.items[i];
		if (s->type != TG_JSON_STRING || s->u.s.len == 0 || s->u.s.len > 1024 ||
		    memchr(s->u.s.p, '\n', s->u.s.len) || memchr(s->u.s.p, '\0', s->u.s.len)) {
			tg_diag_set(d, "'%s[%zu]' must be a string of 1..1024 bytes", key, i);
			return TG_E_TYPE;
		}
		if (i)
			r = tg_buf_addc(auds, '\n');
		if (r == TG_OK)
			r = tg_buf_add(auds, s->u.s.p, s->u.s.len);
	}
	return r;
}

/* Token bucket per identity: true when the caller may go on. */
static bool rate_ok(struct api *a, const char *key, unsigned per_min)
{
	size_t h = 5381, i;
	struct rate *e;
	int64_t now = mono_ms();
	for (i = 0; key[i]; i++)
		h = h * 33 + (unsigned char)key[i];
	e = &a->sh->rates[h % NRATE];
	if (strcmp(e->key, key) != 0) {
		/* a colliding identity takes the slot over with a full bucket */
		size_t kl = strnlen(key, sizeof(e->key) - 1);
		memcpy(e->key, key, kl);
		e->key[kl] = '\0';
		e->tokens = per_min;
		e->last = now;
	}
	e->tokens += (double)(now - e->last) * per_min / 60000.0;
	if (e->tokens > per_min)
		e->tokens = per_min;
	e->last = now;
	if (e->tokens < 1)
		return false;
	e->tokens -= 1;
	return true;
}

/* The bearer JWT-SVID, when there is one (its audience must be the
 * server's SPIFFE ID). TG_E_NOTFOUND when none was sent. */
static tg_err bearer(struct api *a, struct conn *cn, struct tg_spiffe_id *id, const char **tok,
		     struct tg_diag *d)
{
	struct tg_arena ar;
	tg_err r;
	if (strncmp(cn->req.auth, "Bearer ", 7) != 0)
		return cn->req.auth[0] ? TG_E_PARSE : TG_E_NOTFOUND;
	*tok = cn->req.auth + 7;
	tg_arena_init(&ar, 1 << 20);
	r = tg_jwt_svid_verify(*tok, strlen(*tok), &a->bundles, a->self_id, tg_time_now(), NULL,
			       &ar, id, NULL, d);
	tg_arena_release(&ar);
	return r;
}

static const struct tg_json *body_json(struct conn *cn, struct tg_arena *ar, struct tg_diag *d,
				       tg_err *r)
{
	const struct tg_json *v = NULL;
	const uint8_t *p = cn->in.data + cn->req.head_len;
	*r = tg_json_parse(ar, p, (size_t)cn->req.content_length, NULL, &v, NULL, d);
	if (*r == TG_OK && v->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the request body must be a JSON object");
		*r = TG_E_TYPE;
	}
	if (*r != TG_OK && d->line)
		tg_diag_prefix(d, "malformed JSON at %u:%u", d->line, d->col);
	return *r == TG_OK ? v : NULL;
}

/* The string member key of o, or NULL (absent); TG_E_TYPE otherwise. */
static tg_err opt_str(const struct tg_json *o, const char *key, const char **s, size_t *n,
		      struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, key);
	*s = NULL;
	*n = 0;
	if (!v)
		return TG_OK;
	if (v->type != TG_JSON_STRING || v->u.s.len == 0) {
		tg_diag_set(d, "'%s' must be a non-empty string", key);
		return TG_E_TYPE;
	}
	*s = v->u.s.p;
	*n = v->u.s.len;
	return TG_OK;
}

/* ---- routes ---- */

static void r_attest(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_buf spki = TG_BUF_INIT(8192), auds = TG_BUF_INIT(16 * 1024),
		      buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	const struct tg_json *v, *ja;
	const char *oidc = NULL, *join = NULL, *csr = NULL, *sid = NULL;
	size_t on = 0, jn = 0, cn_ = 0, sn = 0, i;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&ar, 4 * 1024 * 1024);
	memset(&req, 0, sizeof(req));
	v = body_json(cn, &ar, &d, &r);
	if (r == TG_OK)
		r = opt_str(v, "oidc_token", &oidc, &on, &d);
	if (r == TG_OK)
		r = opt_str(v, "join_token", &join, &jn, &d);
	if (r == TG_OK)
		r = opt_str(v, "csr", &csr, &cn_, &d);
	if (r == TG_OK)
		r = opt_str(v, "spiffe_id", &sid, &sn, &d);
	if (r == TG_OK && (!oidc == !join)) {
		tg_diag_set(&d, "give exactly one of 'oidc_token' and 'join_token'");
		r = TG_E_INVAL;
	}
	if (r == TG_OK && v)
		r = audiences(v, "jwt_audiences", false, &auds, &d);
	ja = v ? tg_json_get(v, "jwt_audiences") : NULL; /* checked: strings */
	if (r == TG_OK && csr)
		r = csr_spki(csr, cn_, &spki, &d);
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	req.type = TG_SMSG_ATTEST;
	req.n = 5;
	req.f[0].p = (const uint8_t *)(oidc ? "oidc" : "join");
	req.f[0].len = 4;
	req.f[1].p = (const uint8_t *)(oidc ? oidc : join);
	req.f[1].len = oidc ? on : jn;
	req.f[2].p = spki.data;
	req.f[2].len = spki.len;
	req.f[3].p = (const uint8_t *)sid;
	req.f[3].len = sn;
	req.f[4].p = auds.data;
	req.f[4].len = auds.len;
	r = ask(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != 4)
		r = TG_E_INTERNAL;
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	r = tg_buf_adds(&out, "{\"spiffe_id\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[0].p, resp.f[0].len);
	if (r == TG_OK && resp.f[1].len) {
		r = tg_buf_adds(&out, ",\"x509_svid\":");
		if (r == TG_OK)
			r = tg_json_add_string(&out, (const char *)resp.f[1].p, resp.f[1].len);
		if (r == TG_OK)
			r = tg_buf_adds(&out, ",\"bundle\":");
		if (r == TG_OK)
			r = tg_json_add_string(&out, (const char *)resp.f[2].p, resp.f[2].len);
		a->m->x509_issued++;
	}
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"jwt_svids\":[");
	{
		const char *p = (const char *)resp.f[3].p, *end = p + resp.f[3].len;
		const struct tg_json *aud = NULL;
		for (i = 0; r == TG_OK && p < end; i++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			aud = ja->u.a.items[i];
			r = tg_buf_adds(&out, i ? ",{\"audience\":" : "{\"audience\":");
			if (r == TG_OK)
				r = tg_json_add_string(&out, aud->u.s.p, aud->u.s.len);
			if (r == TG_OK)
				r = tg_buf_adds(&out, ",\"token\":");
			if (r == TG_OK)
				r = tg_json_add_string(&out, p, l);
			if (r == TG_OK)
				r = tg_buf_addc(&out, '}');
			a->m->jwt_issued++;
			p += l + (nl ? 1 : 0);
		}
	}
	if (r == TG_OK)
		r = tg_buf_adds(&out, "]}\n");
	if (r != TG_OK)
		respond_err(a, cn, route, r, NULL);
	else
		respond(a, cn, route, 200, "application/json", out.data, out.len);
out:
	tg_buf_release(&spki);
	tg_buf_release(&auds);
	tg_buf_release_wipe(&buf);
	tg_buf_release_wipe(&out);
	tg_arena_release(&ar);
}

/* The caller's identity credential for the signer: the mTLS chain, else
 * a bearer JWT-SVID. Responds itself (401) and returns false when none. */
static bool caller(struct api *a, struct conn *cn, int route, const char **kind,
		   const uint8_t **cred, size_t *len)
{
	struct tg_spiffe_id id;
	struct tg_diag d;
	const char *tok = NULL;
	tg_err r;

	tg_diag_init(&d);
	if (cn->peer_id[0]) {
		*kind = "svid";
		*cred = cn->peer_pem.data;
		*len = cn->peer_pem.len;
		return true;
	}
	r = bearer(a, cn, &id, &tok, &d);
	if (r == TG_OK) {
		*kind = "jwt ";
		*cred = (const uint8_t *)tok;
		*len = strlen(tok);
		return true;
	}
	respond_error(a, cn, route, 401, "unauthenticated",
		      r == TG_E_NOTFOUND ? "this route needs an X509-SVID (mTLS) or a JWT-SVID "
					   "(Authorization: Bearer)"
					 : (d.msg[0] ? d.msg : "invalid bearer JWT-SVID"));
	return false;
}

static void r_svid_jwt(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(64 * 1024);
	struct tg_smsg req, resp;
	const struct tg_json *v;
	const char *aud, *kind;
	const uint8_t *cred;
	size_t an, clen;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&ar, 1 << 20);
	memset(&req, 0, sizeof(req));
	if (!caller(a, cn, route, &kind, &cred, &clen))
		goto out;
	v = body_json(cn, &ar, &d, &r);
	if (r == TG_OK)
		r = opt_str(v, "audience", &aud, &an, &d);
	if (r == TG_OK && !aud) {
		tg_diag_set(&d, "'audience' is required");
		r = TG_E_INVAL;
	}
	if (r == TG_OK) {
		req.type = TG_SMSG_JWT_SVID;
		req.n = 2;
		req.f[0].p = cred;
		req.f[0].len = clen;
		req.f[1].p = (const uint8_t *)aud;
		req.f[1].len = an;
		r = ask(a, &req, &buf, &resp, &d);
	}
	if (r == TG_OK && resp.n != 2)
		r = TG_E_INTERNAL;
	if (r == TG_OK)
		r = tg_buf_adds(&out, "{\"spiffe_id\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[0].p, resp.f[0].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"token\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[1].p, resp.f[1].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, "}\n");
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
	} else {
		a->m->jwt_issued++;
		respond(a, cn, route, 200, "application/json", out.data, out.len);
	}
out:
	tg_buf_release_wipe(&buf);
	tg_buf_release_wipe(&out);
	tg_arena_release(&ar);
}

static void r_signing_cert(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_buf spki = TG_BUF_INIT(8192), buf = TG_BUF_INIT(TG_SMSG_MAX),
		      out = TG_BUF_INIT(64 * 1024);
	struct tg_smsg req, resp;
	const struct tg_json *v;
	const char *csr, *tok, *kind = "oidc";
	const uint8_t *cred = NULL;
	size_t csrn, tn, clen = 0;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&ar, 1 << 20);
	memset(&req, 0, sizeof(req));
	v = body_json(cn, &ar, &d, &r);
	if (r == TG_OK)
		r = opt_str(v, "csr", &csr, &csrn, &d);
	if (r == TG_OK)
		r = opt_str(v, "oidc_token", &tok, &tn, &d);
	if (r == TG_OK && !csr) {
		tg_diag_set(&d, "'csr' is required");
		r = TG_E_INVAL;
	}
	if (r == TG_OK)
		r = csr_spki(csr, csrn, &spki, &d);
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	if (tok) {
		cred = (const uint8_t *)tok;
		clen = tn;
	} else if (!caller(a, cn, route, &kind, &cred, &clen)) {
		goto out;
	}
	req.type = TG_SMSG_SIGNING_CERT;
	req.n = 3;
	req.f[0].p = (const uint8_t *)kind;
	req.f[0].len = 4;
	req.f[1].p = cred;
	req.f[1].len = clen;
	req.f[2].p = spki.data;
	req.f[2].len = spki.len;
	r = ask(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != 3)
		r = TG_E_INTERNAL;
	if (r == TG_OK)
		r = tg_buf_adds(&out, "{\"chain\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[0].p, resp.f[0].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"san\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[1].p, resp.f[1].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"issuer\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[2].p, resp.f[2].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, "}\n");
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
	} else {
		a->m->signing_certs++;
		respond(a, cn, route, 201, "application/json", out.data, out.len);
	}
out:
	tg_buf_release(&spki);
	tg_buf_release(&buf);
	tg_buf_release(&out);
	tg_arena_release(&ar);
}

static void r_timestamp(struct api *a, struct conn *cn, int route)
{
	struct tg_diag d;
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	tg_err r;

	tg_diag_init(&d);
	memset(&req, 0, sizeof(req));
	if (strcmp(cn->req.content_type, "application/timestamp-query") != 0) {
		respond_error(a, cn, route, 415, "unsupported_media_type",
			      "send an RFC 3161 TimeStampReq as application/timestamp-query");
		return;
	}
	req.type = TG_SMSG_TIMESTAMP;
	req.n = 1;
	req.f[0].p = cn->in.data + cn->req.head_len;
	req.f[0].len = (size_t)cn->req.content_length;
	r = ask(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != 1)
		r = TG_E_INTERNAL;
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
	} else {
		a->m->timestamps++;
		respond(a, cn, route, 200, "application/timestamp-reply", resp.f[0].p, resp.f[0].len);
	}
	tg_buf_release(&buf);
}

/* Decodes the base64 string member key of o into out. */
static tg_err b64_member(const struct tg_json *o, const char *key, struct tg_buf *out,
			 struct tg_diag *d)
{
	const char *s;
	size_t n;
	tg_err r = opt_str(o, key, &s, &n, d);
	if (r == TG_OK && !s) {
		tg_diag_set(d, "'%s' is required", key);
		return TG_E_INVAL;
	}
	if (r == TG_OK && tg_b64_decode(out, s, n, TG_B64_STD, NULL) != TG_OK) {
		tg_diag_set(d, "'%s' is not standard base64", key);
		r = TG_E_ENCODING;
	}
	return r;
}

/* POST /v1/log/entries: a hashedrekord 0.0.2 entry (the Rekor v2 body).
 * The signature must verify over the digest with the certificate's key;
 * the canonical body is rebuilt from the validated fields. */
static void r_log_entries(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_buf dig = TG_BUF_INIT(64), sig = TG_BUF_INIT(1024), der = TG_BUF_INIT(16384),
		      body = TG_BUF_INIT(65535), buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	const struct tg_json *v, *spec, *data, *sg, *ver, *x;
	struct tg_x509 *cert = NULL;
	struct tg_key *key = NULL;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&ar, 1 << 20);
	memset(&req, 0, sizeof(req));
	v = body_json(cn, &ar, &d, &r);
	if (r == TG_OK && (!tg_json_str_eq(tg_json_get(v, "kind"), "hashedrekord") ||
			   !tg_json_str_eq(tg_json_get(v, "apiVersion"), "0.0.2") || v->u.o.len != 3)) {
		tg_diag_set(&d, "only {apiVersion \"0.0.2\", kind \"hashedrekord\", spec} entries are "
				"accepted (for a DSSE envelope: a hashedrekord over the SHA-256 of "
				"its PAE, as Rekor v2 logs it)");
		r = TG_E_UNSUPPORTED;
	}
	spec = v ? tg_json_get(tg_json_get(v, "spec"), "hashedRekordV002") : NULL;
	data = tg_json_get(spec, "data");
	sg = tg_json_get(spec, "signature");
	ver = tg_json_get(sg, "verifier");
	x = tg_json_get(ver, "x509Certificate");
	if (r == TG_OK && (!data || !sg || !ver || !x ||
			   !tg_json_str_eq(tg_json_get(data, "algorithm"), "SHA2_256") ||
			   !tg_json_str_eq(tg_json_get(ver, "keyDetails"), "PKIX_ECDSA_P256_SHA_256"))) {
		tg_diag_set(&d, "spec.hashedRekordV002 needs data {algorithm SHA2_256, digest} and "
				"signature {content, verifier {keyDetails PKIX_ECDSA_P256_SHA_256, "
				"x509Certificate}}");
		r = TG_E_INVAL;
	}
	if (r == TG_OK)
		r = b64_member(data, "digest", &dig, &d);
	if (r == TG_OK)
		r = b64_member(sg, "content", &sig, &d);
	if (r == TG_OK)
		r = b64_member(x, "rawBytes", &der, &d);
	if (r == TG_OK && dig.len != 32) {
		tg_diag_set(&d, "the digest must be 32 bytes (SHA-256)");
		r = TG_E_INVAL;
	}
	if (r == TG_OK)
		r = tg_x509_from_der(der.data, der.len, &cert, &d);
	if (r == TG_OK)
		r = tg_x509_public_key(cert, &key);
	if (r == TG_OK && tg_key_type(key) != TG_KEY_EC_P256) {
		tg_diag_set(&d, "the certificate's key is not ECDSA P-256");
		r = TG_E_KEY;
	}
	if (r == TG_OK && tg_verify_digest(key, TG_SIG_ES256, TG_SIG_FORMAT_DER, dig.data, dig.len,
					   sig.data, sig.len) != TG_OK) {
		tg_diag_set(&d, "the signature does not verify over the digest with the certificate");
		r = TG_E_VERIFY;
	}
	if (r != TG_OK) {
		respond_err(a, cn, route, r == TG_E_VERIFY ? TG_E_INVAL : r, d.msg);
		goto out;
	}
	/* RFC 8785: members in code-point order, base64 re-encoded */
	r = tg_buf_adds(&body, "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":"
			       "{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"SHA2_256\",\"digest\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, dig.data, dig.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\"},\"signature\":{\"content\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, sig.data, sig.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
				       "\"x509Certificate\":{\"rawBytes\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, der.data, der.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\"}}}}}}");
	if (r == TG_OK) {
		req.type = TG_SMSG_LOG_APPEND;
		req.n = 1;
		req.f[0].p = body.data;
		req.f[0].len = body.len;
		r = ask(a, &req, &buf, &resp, &d);
	}
	if (r == TG_OK && resp.n != 1)
		r = TG_E_INTERNAL;
	if (r != TG_OK)
		respond_err(a, cn, route, r, d.msg);
	else
		respond(a, cn, route, 201, "application/json", resp.f[0].p, resp.f[0].len);
out:
	tg_x509_free(cert);
	tg_key_free(key);
	tg_buf_release(&dig);
	tg_buf_release(&sig);
	tg_buf_release(&der);
	tg_buf_release(&body);
	tg_buf_release(&buf);
	tg_arena_release(&ar);
}

static tg_err log_info(struct api *a, struct tg_buf *buf, struct tg_smsg *resp, struct tg_diag *d)
{
	struct tg_smsg req;
	tg_err r;
	memset(&req, 0, sizeof(req));
	req.type = TG_SMSG_LOG_INFO;
	r = ask(a, &req, buf, resp, d);
	return r == TG_OK && resp->n != 2 ? TG_E_INTERNAL : r;
}

static void r_metrics(struct api *a, struct conn *cn, int route)
{
	struct tg_buf out = TG_BUF_INIT(1 << 20), buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg resp;
	struct tg_diag d;
	uint64_t cum = 0;
	struct metrics t;
	size_t i, j, k;
	tg_err r;

	/* every worker's slot, summed */
	a->m->conns_open = a->nconns; /* its own, exact now */
	memset(&t, 0, sizeof(t));
	for (k = 0; k < a->nslots; k++) {
		const struct metrics *w = &a->sh->m[k];
		for (i = 0; i < NROUTES; i++)
			for (j = 0; j < NCODES; j++)
				t.count[i][j] += w->count[i][j];
		for (i = 0; i <= NBUCKETS; i++)
			t.hist[i] += w->hist[i];
		t.lat_sum += w->lat_sum;
		t.lat_n += w->lat_n;
		t.x509_issued += w->x509_issued;
		t.jwt_issued += w->jwt_issued;
		t.signing_certs += w->signing_certs;
		t.timestamps += w->timestamps;
		t.conns_dropped += w->conns_dropped;
		t.conns_open += w->conns_open;
	}
	tg_diag_init(&d);
	r = tg_buf_adds(&out, "# HELP tollgated_http_requests_total HTTP requests by route and status.\n"
			      "# TYPE tollgated_http_requests_total counter\n");
	for (i = 0; r == TG_OK && i < NROUTES; i++)
		for (j = 0; r == TG_OK && j < NCODES; j++)
			if (t.count[i][j])
				r = tg_buf_addf(&out,
						"tollgated_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
						routes[i], codes[j], (unsigned long long)t.count[i][j]);
	if (r == TG_OK)
		r = tg_buf_adds(&out, "# HELP tollgated_http_request_duration_seconds Request latency.\n"
				      "# TYPE tollgated_http_request_duration_seconds histogram\n");
	for (i = 0; r == TG_OK && i < NBUCKETS; i++) {
		cum += t.hist[i];
		r = tg_buf_addf(&out, "tollgated_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				buckets[i], (unsigned long long)cum);
	}
	cum += t.hist[NBUCKETS];
	if (r == TG_OK)
		r = tg_buf_addf(&out,
				"tollgated_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
				"tollgated_http_request_duration_seconds_sum %.6f\n"
				"tollgated_http_request_duration_seconds_count %llu\n",
				(unsigned long long)cum, t.lat_sum, (unsigned long long)t.lat_n);
	if (r == TG_OK)
		r = tg_buf_addf(&out,
				"# HELP tollgated_svids_issued_total SVIDs issued by type.\n"
				"# TYPE tollgated_svids_issued_total counter\n"
				"tollgated_svids_issued_total{type=\"x509\"} %llu\n"
				"tollgated_svids_issued_total{type=\"jwt\"} %llu\n"
				"# HELP tollgated_signing_certificates_total Code-signing certificates issued.\n"
				"# TYPE tollgated_signing_certificates_total counter\n"
				"tollgated_signing_certificates_total %llu\n"
				"# HELP tollgated_timestamps_total RFC 3161 timestamps answered.\n"
				"# TYPE tollgated_timestamps_total counter\n"
				"tollgated_timestamps_total %llu\n"
				"# HELP tollgated_connections_dropped_total Connections dropped for timeouts or limits.\n"
				"# TYPE tollgated_connections_dropped_total counter\n"
				"tollgated_connections_dropped_total %llu\n"
				"# HELP tollgated_connections_open Open client connections.\n"
				"# TYPE tollgated_connections_open gauge\n"
				"tollgated_connections_open %llu\n",
				(unsigned long long)t.x509_issued, (unsigned long long)t.jwt_issued,
				(unsigned long long)t.signing_certs, (unsigned long long)t.timestamps,
				(unsigned long long)t.conns_dropped, (unsigned long long)t.conns_open);
	if (r == TG_OK && log_info(a, &buf, &resp, &d) == TG_OK)
		r = tg_buf_addf(&out,
				"# HELP tollgated_log_entries Entries in the transparency log.\n"
				"# TYPE tollgated_log_entries gauge\n"
				"tollgated_log_entries %.*s\n",
				(int)resp.f[1].len, (const char *)resp.f[1].p);
	if (r != TG_OK)
		respond_err(a, cn, route, r, NULL);
	else
		respond(a, cn, route, 200, "text/plain; version=0.0.4; charset=utf-8", out.data, out.len);
	tg_buf_release(&out);
	tg_buf_release(&buf);
}

/* ---- attestations and the gate ---- */

/* The stored evidence of one digest: the store process's answer and the pieces
 * pointing into it. */
struct evset {
	struct evset *next;
	struct tg_buf buf;
	struct tg_gate_evidence ev[TG_ATT_PER_DIGEST];
	size_t n;
};

static void evset_free(struct evset *e)
{
	while (e) {
		struct evset *nx = e->next;
		tg_buf_release(&e->buf);
		free(e);
		e = nx;
	}
}

static tg_err evidence_get(struct api *a, const uint8_t dg[32], struct evset **out,
			   struct tg_diag *d)
{
	struct evset *e = tg_xcalloc(1, sizeof(*e));
	struct tg_smsg req, resp;
	const uint8_t *p;
	size_t left;
	tg_err r;

	tg_buf_init(&e->buf, TG_SMSG_MAX);
	memset(&req, 0, sizeof(req));
	req.type = TG_SMSG_ATT_GET;
	req.n = 1;
	req.f[0].p = dg;
	req.f[0].len = 32;
	r = ask_store(a, &req, &e->buf, &resp, d);
	if (r == TG_OK && resp.n != 1)
		r = TG_E_INTERNAL;
	p = r == TG_OK ? resp.f[0].p : NULL;
	left = r == TG_OK ? resp.f[0].len : 0;
	while (r == TG_OK && left) {
		size_t len;
		if (left < 4 || e->n == TG_ATT_PER_DIGEST) {
			r = TG_E_INTERNAL;
			break;
		}
		len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		if (len > left - 4) {
			r = TG_E_INTERNAL;
			break;
		}
		e->ev[e->n].data = p + 4;
		e->ev[e->n].len = len;
		e->n++;
		p += 4 + len;
		left -= 4 + len;
	}
	if (r != TG_OK) {
		if (!d->msg[0])
			tg_diag_set(d, "the attestation store gave a malformed answer");
		evset_free(e);
		return r;
	}
	*out = e;
	return TG_OK;
}

/* "sha256:<64 lower-case hex>" */
static bool parse_digest(const char *s, size_t n, uint8_t out[32])
{
	size_t i;
	if (n != 71 || memcmp(s, "sha256:", 7) != 0)
		return false;
	for (i = 7; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return tg_hex_decode_to(out, 32, s + 7, 64) == TG_OK;
}

static tg_err add_digest(struct tg_buf *out, const uint8_t dg[32])
{
	char hex[65];
	tg_hex_encode_to(hex, dg, 32);
	return tg_buf_addf(out, "\"sha256:%s\"", hex);
}

/* POST /v1/attestations: a Sigstore bundle that verifies against the
 * server's trusted root is stored under every digest it covers. */
static void r_att_post(struct api *a, struct conn *cn, int route)
{
	const uint8_t *body = cn->in.data + cn->req.head_len;
	size_t len = (size_t)cn->req.content_length, nd = 0, i;
	uint8_t (*dg)[32] = tg_xcalloc(TG_ATT_DIGESTS, 32);
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(8192);
	struct tg_sign_bundle b;
	struct tg_sign_artifact art;
	struct tg_sign_policy pol;
	struct tg_sign_result res;
	struct tg_smsg req, resp;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	memset(&b, 0, sizeof(b));
	memset(&req, 0, sizeof(req));
	if (len > TG_ATT_BUNDLE_MAX) {
		tg_diag_set(&d, "a stored bundle may have at most %d bytes", TG_ATT_BUNDLE_MAX);
		respond_err(a, cn, route, TG_E_TOOBIG, d.msg);
		goto out;
	}
	r = tg_sign_bundle_parse((const char *)body, len, &b, &d);
	if (r == TG_OK)
		r = tg_gate_bundle_digests(&b, dg, TG_ATT_DIGESTS, &nd, &d);
	if (r != TG_OK) {
		tg_diag_prefix(&d, "not a Sigstore bundle");
		respond_err(a, cn, route, r == TG_E_TOOBIG ? TG_E_TOOBIG : TG_E_PARSE, d.msg);
		goto out;
	}
	memset(&art, 0, sizeof(art));
	memset(&pol, 0, sizeof(pol));
	art.alg = TG_SHA256;
	memcpy(art.digest, dg[0], 32);
	pol.now = tg_time_now();
	if (tg_sign_verify(&b, &art, &a->root, &pol, &res, &d) != TG_OK) {
		tg_diag_prefix(&d, "the bundle does not verify against this server's trusted root");
		respond_error(a, cn, route, 422, "unverified", d.msg);
		goto out;
	}
	req.type = TG_SMSG_ATT_STORE;
	req.n = 2;
	req.f[0].p = body;
	req.f[0].len = len;
	req.f[1].p = dg[0];
	req.f[1].len = 32 * nd;
	r = ask_store(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != 2)
		r = TG_E_INTERNAL;
	if (r == TG_OK)
		r = tg_buf_addf(&out, "{\"bundle\":\"sha256:%.*s\",\"stored\":%s,\"identity\":",
				(int)resp.f[0].len, (const char *)resp.f[0].p,
				resp.f[1].len == 3 ? "true" : "false");
	if (r == TG_OK)
		r = tg_json_add_string(&out, res.san, strlen(res.san));
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"digests\":[");
	for (i = 0; r == TG_OK && i < nd; i++) {
		if (i)
			r = tg_buf_addc(&out, ',');
		if (r == TG_OK)
			r = add_digest(&out, dg[i]);
	}
	if (r == TG_OK)
		r = tg_buf_adds(&out, "]}\n");
	if (r != TG_OK)
		respond_err(a, cn, route, r, d.msg);
	else
		respond(a, cn, route, resp.f[1].len == 3 ? 201 : 200, "application/json", out.data,
			out.len);
out:
	tg_sign_bundle_release(&b);
	tg_buf_release(&buf);
	tg_buf_release(&out);
	free(dg);
}

/* GET /v1/attestations/sha256:HEX */
static void r_att_get(struct api *a, struct conn *cn, int route)
{
	const char *p = cn->req.path + strlen("/v1/attestations/");
	struct tg_buf out = TG_BUF_INIT(2 * TG_SMSG_MAX);
	struct evset *e = NULL;
	struct tg_diag d;
	uint8_t dg[32];
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	if (!parse_digest(p, strlen(p), dg)) {
		respond_error(a, cn, route, 400, "invalid_request",
			      "the path must end in sha256:<64 lower-case hex digits>");
		return;
	}
	r = evidence_get(a, dg, &e, &d);
	if (r == TG_OK)
		r = tg_buf_adds(&out, "{\"digest\":");
	if (r == TG_OK)
		r = add_digest(&out, dg);
	if (r == TG_OK)
		r = tg_buf_adds(&out, ",\"bundles\":[");
	for (i = 0; r == TG_OK && i < e->n; i++) {
		struct tg_arena ar;
		const struct tg_json *v = NULL;
		tg_arena_init(&ar, 8 * (size_t)TG_ATT_BUNDLE_MAX);
		r = i ? tg_buf_addc(&out, ',') : TG_OK;
		if (r == TG_OK)
			r = tg_json_parse(&ar, e->ev[i].data, e->ev[i].len, NULL, &v, NULL, &d);
		if (r == TG_OK)
			r = tg_json_emit(&out, v, 0);
		tg_arena_release(&ar);
	}
	if (r == TG_OK)
		r = tg_buf_adds(&out, "]}\n");
	if (r != TG_OK)
		respond_err(a, cn, route, r == TG_E_PARSE ? TG_E_INTERNAL : r, d.msg);
	else
		respond(a, cn, route, 200, "application/json", out.data, out.len);
	evset_free(e);
	tg_buf_release(&out);
}

/* POST /v1/verify {"digest":"sha256:HEX"[,"policy":NAME]} -> the gate
 * decision on the stored evidence. */
static void r_verify(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_gate_decision dec;
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(2 * TG_SMSG_MAX);
	struct tg_smsg req, resp;
	struct evset *e = NULL;
	const struct tg_json *v;
	const char *s = NULL, *pn = NULL;
	size_t n = 0, pl = 0, i;
	uint8_t dg[32];
	tg_err r;

	tg_diag_init(&d);
	memset(&dec, 0, sizeof(dec));
	tg_arena_init(&ar, 1 << 20);
	v = body_json(cn, &ar, &d, &r);
	for (i = 0; r == TG_OK && i < v->u.o.len; i++)
		if (!tg_json_str_eq(v->u.o.items[i].key, "digest") &&
		    !tg_json_str_eq(v->u.o.items[i].key, "policy")) {
			tg_diag_set(&d, "unknown member '%s'", v->u.o.items[i].key->u.s.p);
			r = TG_E_INVAL;
		}
	if (r == TG_OK)
		r = opt_str(v, "digest", &s, &n, &d);
	if (r == TG_OK && (!s || !parse_digest(s, n, dg))) {
		tg_diag_set(&d, "'digest' must be sha256:<64 lower-case hex digits>");
		r = TG_E_INVAL;
	}
	if (r == TG_OK)
		r = opt_str(v, "policy", &pn, &pl, &d);
	if (r == TG_OK && pn && (strlen(tg_gate_policy_name(a->policy)) != pl ||
				 memcmp(pn, tg_gate_policy_name(a->policy), pl) != 0)) {
		tg_diag_set(&d, "no policy '%.*s' on this server (it has '%s')", (int)pl, pn,
			    tg_gate_policy_name(a->policy));
		r = TG_E_INVAL;
	}
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	r = evidence_get(a, dg, &e, &d);
	if (r == TG_OK)
		r = tg_gate_decide(a->gate, a->policy, dg, e->ev, e->n, NULL, tg_time_now(), &dec, &d);
	if (r != TG_OK) {
		respond_err(a, cn, route, r == TG_E_PARSE ? TG_E_INTERNAL : r, d.msg);
		goto out;
	}
	/* log the decision (as it was decided: canonical); the answer is that
	 * document with decision_log_index added as its last member */
	memset(&req, 0, sizeof(req));
	req.type = TG_SMSG_LOG_DECISION;
	req.n = 1;
	req.f[0].p = (const uint8_t *)dec.json;
	req.f[0].len = dec.json_len;
	r = ask(a, &req, &buf, &resp, &d);
	if (r == TG_OK && (resp.n != 2 || dec.json_len < 2 || dec.json[dec.json_len - 1] != '}'))
		r = TG_E_INTERNAL;
	if (r == TG_OK)
		r = tg_buf_add(&out, dec.json, dec.json_len - 1);
	if (r == TG_OK)
		r = tg_buf_addf(&out, ",\"decision_log_index\":%.*s}\n", (int)resp.f[0].len,
				(const char *)resp.f[0].p);
	if (r != TG_OK) {
		tg_diag_prefix(&d, "cannot log the decision");
		respond_err(a, cn, route, r == TG_E_PARSE ? TG_E_INTERNAL : r, d.msg);
	} else {
		respond(a, cn, route, 200, "application/json", out.data, out.len);
	}
out:
	tg_buf_release(&buf);
	tg_buf_release(&out);
	tg_gate_decision_release(&dec);
	evset_free(e);
	tg_arena_release(&ar);
}

struct lookup {
	struct api *a;
	struct evset *sets;
};

/* The admission lookup: the store process; offline. */
static tg_err store_lookup(void *ctx, const uint8_t digest[32], const struct tg_gate_evidence **out,
			   size_t *n)
{
	struct lookup *l = ctx;
	struct evset *e = NULL;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = evidence_get(l->a, digest, &e, &d);
	if (r != TG_OK)
		return r;
	e->next = l->sets;
	l->sets = e;
	*out = e->ev;
	*n = e->n;
	return TG_OK;
}

/* o with member key set to val (added, or replacing the old value). */
static tg_err obj_set(struct tg_arena *ar, const struct tg_json *o, const char *key,
		      const struct tg_json *val, const struct tg_json **out)
{
	struct tg_json_member m[32];
	size_t i, n = 0;
	tg_err r;
	if (o && o->type == TG_JSON_OBJECT) {
		if (o->u.o.len >= TG_ARRAY_LEN(m))
			return TG_E_TOOBIG;
		for (i = 0; i < o->u.o.len; i++)
			if (!tg_json_str_eq(o->u.o.items[i].key, key))
				m[n++] = o->u.o.items[i];
	}
	r = tg_json_new_string(ar, key, strlen(key), &m[n].key);
	m[n++].val = val;
	return r == TG_OK ? tg_json_new_object(ar, m, n, TG_JSON_DUP_REJECT, out) : r;
}

/*
 * The AdmissionReview response json (the gate's, canonical) after the
 * log: with index, its auditAnnotations get log_index and status.message
 * ends in "(log index N)"; with fail instead, it becomes a refusal with
 * status.code 500 and that message (a decision that cannot be logged is
 * not given). Canonical JSON appended to out.
 */
static tg_err review_amend(const char *json, size_t n, const char *index, const char *fail,
			   struct tg_buf *out)
{
	struct tg_arena ar;
	const struct tg_json *doc = NULL, *resp, *st, *msg, *v = NULL, *nv = NULL, *nresp = NULL;
	tg_err r;

	tg_arena_init(&ar, 16 * (size_t)TG_LIMIT_GATE_REVIEW);
	r = tg_json_parse(&ar, json, n, NULL, &doc, NULL, NULL);
	resp = r == TG_OK ? tg_json_get(doc, "response") : NULL;
	if (r == TG_OK && !resp)
		r = TG_E_INTERNAL;
	if (r == TG_OK && fail) {
		struct tg_json_member m[3];
		const struct tg_json *code = NULL;
		r = tg_json_new_string(&ar, "allowed", 7, &m[0].key);
		m[0].val = tg_json_bool(false);
		if (r == TG_OK)
			r = tg_json_new_string(&ar, "uid", 3, &m[1].key);
		m[1].val = tg_json_get(resp, "uid");
		if (r == TG_OK && !m[1].val)
			r = TG_E_INTERNAL;
		if (r == TG_OK)
			r = tg_json_new_int(&ar, 500, &code);
		if (r == TG_OK)
			r = obj_set(&ar, NULL, "code", code, &st);
		if (r == TG_OK)
			r = tg_json_new_string(&ar, fail, strlen(fail), &v);
		if (r == TG_OK)
			r = obj_set(&ar, st, "message", v, &st);
		if (r == TG_OK)
			r = tg_json_new_string(&ar, "status", 6, &m[2].key);
		m[2].val = st;
		if (r == TG_OK)
			r = tg_json_new_object(&ar, m, 3, TG_JSON_DUP_REJECT, &nresp);
	} else if (r == TG_OK) {
		struct tg_buf t = TG_BUF_INIT(8192);
		st = tg_json_get(resp, "status");
		msg = tg_json_get(st, "message");
		if (msg && msg->type == TG_JSON_STRING)
			r = tg_buf_addf(&t, "%.*s (log index %s)", (int)msg->u.s.len, msg->u.s.p, index);
		else
			r = tg_buf_addf(&t, "log index %s", index);
		if (r == TG_OK)
			r = tg_json_new_string(&ar, (const char *)t.data, t.len, &v);
		if (r == TG_OK)
			r = obj_set(&ar, st, "message", v, &st);
		if (r == TG_OK)
			r = obj_set(&ar, resp, "status", st, &nresp);
		tg_buf_release(&t);
		if (r == TG_OK)
			r = tg_json_new_string(&ar, index, strlen(index), &v);
		if (r == TG_OK)
			r = obj_set(&ar, tg_json_get(resp, "auditAnnotations"), "log_index", v, &nv);
		if (r == TG_OK)
			r = obj_set(&ar, nresp, "auditAnnotations", nv, &nresp);
	}
	if (r == TG_OK)
		r = obj_set(&ar, doc, "response", nresp, &doc);
	if (r == TG_OK)
		r = tg_json_canon(out, doc);
	tg_arena_release(&ar);
	return r;
}

/* POST /v1/admission: AdmissionReview v1 in and out. With
 * admission_client_ca only the API server (its client certificate, and
 * one of admission_client_names when set) may ask. Every decision on a
 * well-formed review, except dry runs (sideEffects NoneOnDryRun), is
 * appended to the log before it is answered; the answer names its index. */
static void r_admission(struct api *a, struct conn *cn, int route)
{
	struct tg_gate_admission cfg;
	struct tg_gate_review rv;
	struct lookup l = {a, NULL};
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(4 * TG_LIMIT_GATE_REVIEW);
	struct tg_smsg req, resp;
	struct tg_diag d;
	tg_err r;

	tg_diag_init(&d);
	memset(&cfg, 0, sizeof(cfg));
	memset(&rv, 0, sizeof(rv));
	memset(&req, 0, sizeof(req));
	if (a->adm_store && !cn->adm_peer) {
		respond_error(a, cn, route, 401, "unauthenticated",
			      "this route needs the Kubernetes API server's client certificate "
			      "(admission_client_ca)");
		goto out;
	}
	if (a->adm_store && !cn->adm_name_ok) {
		respond_error(a, cn, route, 403, "denied",
			      "the client certificate has none of admission_client_names as its "
			      "subject CN or a DNS SAN");
		goto out;
	}
	cfg.gate = a->gate;
	cfg.policy = a->policy;
	cfg.mode = (enum tg_gate_mode)a->c->admission_mode;
	cfg.ns = a->ns;
	cfg.nns = a->c->nadmission_ns;
	cfg.lookup = store_lookup;
	cfg.lookup_ctx = &l;
	r = tg_gate_admission_review(&cfg, (const char *)cn->in.data + cn->req.head_len,
				     (size_t)cn->req.content_length, tg_time_now(), &rv, &d);
	if (!rv.json) {
		respond_err(a, cn, route, r == TG_OK ? TG_E_INTERNAL : r, d.msg);
		goto out;
	}
	if (r == TG_OK && rv.record && !rv.dry_run) {
		char idx[24];
		req.type = TG_SMSG_LOG_ADMISSION;
		req.n = 1;
		req.f[0].p = (const uint8_t *)rv.record;
		req.f[0].len = rv.record_len;
		r = ask(a, &req, &buf, &resp, &d);
		if (r == TG_OK && (resp.n != 2 || resp.f[0].len == 0 || resp.f[0].len >= sizeof(idx)))
			r = TG_E_INTERNAL;
		if (r == TG_OK) {
			memcpy(idx, resp.f[0].p, resp.f[0].len);
			idx[resp.f[0].len] = '\0';
			r = review_amend(rv.json, rv.json_len, idx, NULL, &out);
		} else {
			char msg[TG_DIAG_MSG_MAX + 64];
			snprintf(msg, sizeof(msg), "tollgate could not log the decision: %s",
				 d.msg[0] ? d.msg : tg_strerror(r));
			tg_buf_reset(&out);
			r = review_amend(rv.json, rv.json_len, NULL, msg, &out);
		}
		if (r != TG_OK)
			respond_err(a, cn, route, TG_E_INTERNAL, "cannot answer the review");
		else
			respond(a, cn, route, 200, "application/json", out.data, out.len);
		goto out;
	}
	respond(a, cn, route, r == TG_E_PARSE || r == TG_E_TOOBIG ? 400 : 200, "application/json",
		(const uint8_t *)rv.json, rv.json_len);
out:
	tg_buf_release(&buf);
	tg_buf_release(&out);
	tg_gate_review_release(&rv);
	evset_free(l.sets);
}

/* ---- the log's read API (c2sp.org/tlog-tiles), from the store ---- */

static tg_err store_checkpoint(struct api *a, struct tg_buf *buf, struct tg_smsg *resp,
			       struct tg_diag *d)
{
	struct tg_smsg req;
	tg_err r;
	memset(&req, 0, sizeof(req));
	req.type = TG_SMSG_CHECKPOINT;
	r = ask_store(a, &req, buf, resp, d);
	return r == TG_OK && resp->n != 2 ? TG_E_INTERNAL : r;
}

/* GET /v1/log/tile/<L>/<N>[.p/<W>] and /v1/log/tile/entries/<N>[.p/<W>]:
 * full tiles never change (cached for a year), partial ones briefly. */
static void r_tile(struct api *a, struct conn *cn, int route)
{
	const char *p = cn->req.path;
	struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_server_tile t;
	struct tg_smsg req, resp;
	struct tg_diag d;
	uint8_t lv, ix[8], wd[2];
	char msg[TG_DIAG_MSG_MAX + 32];
	int i;
	tg_err r;

	tg_diag_init(&d);
	p = strncmp(p, "/v1/log/tile/", 13) == 0 ? p + 13 : "";
	r = tg_server_tile_path_parse(p, strlen(p), &t, &d);
	if (r != TG_OK) {
		snprintf(msg, sizeof(msg), "malformed tile path: %s", d.msg);
		respond_error(a, cn, route, 400, "invalid_request", msg);
		return;
	}
	lv = t.level < 0 ? 255 : (uint8_t)t.level;
	for (i = 0; i < 8; i++)
		ix[i] = (uint8_t)(t.index >> (56 - 8 * i));
	wd[0] = (uint8_t)(t.width >> 8);
	wd[1] = (uint8_t)t.width;
	memset(&req, 0, sizeof(req));
	req.type = TG_SMSG_TILE;
	req.n = 3;
	req.f[0].p = &lv;
	req.f[0].len = 1;
	req.f[1].p = ix;
	req.f[1].len = 8;
	req.f[2].p = wd;
	req.f[2].len = 2;
	r = ask_store(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != 1)
		r = TG_E_INTERNAL;
	if (r == TG_E_NOTFOUND)
		respond_error(a, cn, route, 404, "not_found", d.msg);
	else if (r != TG_OK)
		respond_err(a, cn, route, r == TG_E_IO ? r : TG_E_INTERNAL, d.msg);
	else
		respond_cc(a, cn, route, 200, "application/octet-stream",
			   t.width == 256 /* full */ ? "public, max-age=31536000, immutable"
							 : "public, max-age=10",
			   resp.f[0].p, resp.f[0].len);
	tg_buf_release(&buf);
}

/* ---- agents (`tollgate agent --server`): mTLS with the agent's SVID ---- */

/* GET /v1/agent/entries; POST /v1/agent/svid/x509 {"entry_id","csr"},
 * /v1/agent/svid/jwt {"entry_id","audience":[...]}, /v1/agent/renew
 * {"csr"}. The signer checks the client chain again and that the entry's
 * parent is the agent (docs/api.md). */
static void r_agent(struct api *a, struct conn *cn, int route)
{
	struct tg_arena ar;
	struct tg_diag d;
	struct tg_buf spki = TG_BUF_INIT(8192), auds = TG_BUF_INIT(16 * 1024),
		      buf = TG_BUF_INIT(TG_SMSG_MAX), out = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg req, resp;
	const struct tg_json *v = NULL;
	const char *eid = NULL, *csr = NULL;
	size_t en = 0, csrn = 0;
	tg_err r = TG_OK;

	tg_diag_init(&d);
	tg_arena_init(&ar, 1 << 20);
	memset(&req, 0, sizeof(req));
	if (!cn->peer_id[0]) {
		respond_error(a, cn, route, 401, "unauthenticated",
			      "agent routes need the agent's X509-SVID (mTLS)");
		goto out;
	}
	req.f[0].p = cn->peer_pem.data;
	req.f[0].len = cn->peer_pem.len;
	if (route != R_AGENT_ENTRIES)
		v = body_json(cn, &ar, &d, &r);
	if (r == TG_OK && (route == R_AGENT_X509 || route == R_AGENT_JWT)) {
		r = opt_str(v, "entry_id", &eid, &en, &d);
		if (r == TG_OK && (!eid || en != 36)) {
			tg_diag_set(&d, "'entry_id' must be an entry's id (a UUID)");
			r = TG_E_INVAL;
		}
	}
	if (r == TG_OK && (route == R_AGENT_X509 || route == R_AGENT_RENEW)) {
		r = opt_str(v, "csr", &csr, &csrn, &d);
		if (r == TG_OK && !csr) {
			tg_diag_set(&d, "'csr' is required");
			r = TG_E_INVAL;
		}
		if (r == TG_OK)
			r = csr_spki(csr, csrn, &spki, &d);
	}
	if (r == TG_OK && route == R_AGENT_JWT)
		r = audiences(v, "audience", true, &auds, &d);
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	switch (route) {
	case R_AGENT_ENTRIES:
		req.type = TG_SMSG_AGENT_ENTRIES;
		req.n = 1;
		break;
	case R_AGENT_X509:
	case R_AGENT_JWT:
		req.type = route == R_AGENT_X509 ? TG_SMSG_AGENT_X509 : TG_SMSG_AGENT_JWT;
		req.n = 3;
		req.f[1].p = (const uint8_t *)eid;
		req.f[1].len = en;
		req.f[2].p = route == R_AGENT_X509 ? spki.data : auds.data;
		req.f[2].len = route == R_AGENT_X509 ? spki.len : auds.len;
		break;
	default:
		req.type = TG_SMSG_AGENT_RENEW;
		req.n = 2;
		req.f[1].p = spki.data;
		req.f[1].len = spki.len;
	}
	r = ask(a, &req, &buf, &resp, &d);
	if (r == TG_OK && resp.n != (route == R_AGENT_ENTRIES ? 1u : 2u))
		r = TG_E_INTERNAL;
	if (r != TG_OK) {
		respond_err(a, cn, route, r, d.msg);
		goto out;
	}
	if (route == R_AGENT_ENTRIES) {
		respond(a, cn, route, 200, "application/json", resp.f[0].p, resp.f[0].len);
		goto out;
	}
	r = tg_buf_adds(&out, "{\"spiffe_id\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[1 - (route == R_AGENT_JWT)].p,
			 resp.f[1 - (route == R_AGENT_JWT)].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, route == R_AGENT_JWT ? ",\"token\":" : ",\"x509_svid\":");
	if (r == TG_OK)
		r = tg_json_add_string(&out, (const char *)resp.f[route == R_AGENT_JWT].p,
			 resp.f[route == R_AGENT_JWT].len);
	if (r == TG_OK)
		r = tg_buf_adds(&out, "}\n");
	if (r != TG_OK) {
		respond_err(a, cn, route, r, NULL);
		goto out;
	}
	if (route == R_AGENT_JWT)
		a->m->jwt_issued++;
	else
		a->m->x509_issued++;
	respond(a, cn, route, 200, "application/json", out.data, out.len);
out:
	tg_buf_release(&spki);
	tg_buf_release(&auds);
	tg_buf_release_wipe(&buf);
	tg_buf_release_wipe(&out);
	tg_arena_release(&ar);
}

static void route(struct api *a, struct conn *cn)
{
	const char *p = cn->req.path, *m = cn->req.method;
	bool get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	const char *key;
	char akey[96];
	unsigned per_min;
	int ri = (int)NROUTES - 1;
	size_t i;

	for (i = 0; i + 1 < NROUTES; i++)
		if (strcmp(p, routes[i]) == 0 ||
		    (strcmp(routes[i], "/v1/log/tile") == 0 && strncmp(p, "/v1/log/tile/", 13) == 0) ||
		    (i == R_ATT_GET && strncmp(p, routes[i], strlen(routes[i])) == 0))
			ri = (int)i;
	/* per identity: the SPIFFE ID of the client certificate, else the
	 * client address (bearer tokens are checked only by the routes) */
	key = cn->peer_id[0] ? cn->peer_id : cn->addr;
	per_min = a->c->rate_per_min;
	/* the Kubernetes API server (or anyone, where the route is open) has
	 * its own budget per address: every review of a cluster comes from it */
	if (ri == R_ADMISSION && !cn->peer_id[0] && (!a->adm_store || cn->adm_peer)) {
		(void)snprintf(akey, sizeof(akey), "admission %s", cn->addr);
		key = akey;
		per_min = a->c->admission_rate_per_min;
	}
	if (!rate_ok(a, key, per_min)) {
		respond_error(a, cn, ri, 429, "rate_limited", "too many requests; slow down");
		return;
	}
	if (ri == (int)NROUTES - 1) {
		respond_error(a, cn, ri, 404, "not_found", "no such route");
		return;
	}
	{
		bool want_get = ri <= 2 || (ri >= 8 && ri <= 11) || ri == R_ATT_GET ||
				ri == R_AGENT_ENTRIES;
		if (want_get ? !get : !post) {
			respond_error(a, cn, ri, 405, "method_not_allowed",
				      want_get ? "use GET" : "use POST");
			return;
		}
	}
	switch (ri) {
	case 0:
		respond(a, cn, ri, 200, "application/json", (const uint8_t *)"{\"status\":\"ok\"}\n", 16);
		return;
	case 1: {
		struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
		struct tg_smsg resp;
		struct tg_diag d;
		tg_diag_init(&d);
		if (log_info(a, &buf, &resp, &d) == TG_OK &&
		    store_checkpoint(a, &buf, &resp, &d) == TG_OK)
			respond(a, cn, ri, 200, "application/json",
				(const uint8_t *)"{\"status\":\"ready\"}\n", 19);
		else
			respond_error(a, cn, ri, 503, "not_ready",
				      "the signer or the store does not answer");
		tg_buf_release(&buf);
		return;
	}
	case 2: r_metrics(a, cn, ri); return;
	case 3: r_attest(a, cn, ri); return;
	case 4: r_svid_jwt(a, cn, ri); return;
	case 5: r_signing_cert(a, cn, ri); return;
	case 6: r_timestamp(a, cn, ri); return;
	case 7: r_log_entries(a, cn, ri); return;
	case 8: {
		struct tg_buf buf = TG_BUF_INIT(TG_SMSG_MAX);
		struct tg_smsg resp;
		struct tg_diag d;
		tg_diag_init(&d);
		/* the published checkpoint, once the signer has integrated the
		 * decisions it sequenced (LOG_INFO does), so that a reader sees
		 * every index answered */
		if (log_info(a, &buf, &resp, &d) == TG_OK &&
		    store_checkpoint(a, &buf, &resp, &d) == TG_OK)
			respond(a, cn, ri, 200, "text/plain; charset=utf-8", resp.f[0].p, resp.f[0].len);
		else
			respond_error(a, cn, ri, 503, "unavailable", "the log does not answer");
		tg_buf_release(&buf);
		return;
	}
	case 9: r_tile(a, cn, ri); return;
	case 10:
		respond(a, cn, ri, 200, "application/json", a->trust_root.data, a->trust_root.len);
		return;
	case 11:
		respond(a, cn, ri, 200, "application/json", a->bundle_json.data, a->bundle_json.len);
		return;
	case R_ATT_POST: r_att_post(a, cn, ri); return;
	case R_ATT_GET: r_att_get(a, cn, ri); return;
	case R_VERIFY: r_verify(a, cn, ri); return;
	case R_ADMISSION: r_admission(a, cn, ri); return;
	case R_AGENT_ENTRIES:
	case R_AGENT_X509:
	case R_AGENT_JWT:
	case R_AGENT_RENEW: r_agent(a, cn, ri); return;
	default:
		respond_error(a, cn, ri, 404, "not_found", "no such route");
	}
}

/* ---- connections ---- */

static void conn_free(struct conn *cn)
{
	if (!cn)
		return;
	if (cn->ssl) {
		SSL_shutdown(cn->ssl);
		SSL_free(cn->ssl);
	}
	if (cn->fd >= 0)
		close(cn->fd);
	tg_buf_release(&cn->in);
	tg_buf_release(&cn->out);
	tg_buf_release(&cn->peer_pem);
	free(cn);
}

/* ---- the API server's client certificate (/v1/admission) ---- */

/* Whether leaf chains, through the peer's untrusted chain, to the
 * admission client CA alone, for TLS client use (RFC 5280 path
 * validation by OpenSSL, clientAuth when the leaf has an EKU). */
static bool adm_verify(X509_STORE *st, X509 *leaf, STACK_OF(X509) *chain)
{
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	bool ok = x && leaf && X509_STORE_CTX_init(x, st, leaf, chain) == 1 &&
		  X509_STORE_CTX_set_purpose(x, X509_PURPOSE_SSL_CLIENT) == 1 &&
		  X509_verify_cert(x) == 1;
	X509_STORE_CTX_free(x);
	ERR_clear_error();
	return ok;
}

/* The handshake accepts a client certificate that chains to the trust
 * domain (an X509-SVID, checked by check_peer next) or, when configured,
 * to the admission client CA; nothing else. */
static int verify_cb(X509_STORE_CTX *x, void *arg)
{
	struct api *a = arg;
	if (X509_verify_cert(x) == 1)
		return 1;
	if (a->adm_store &&
	    adm_verify(a->adm_store, X509_STORE_CTX_get0_cert(x), X509_STORE_CTX_get0_untrusted(x))) {
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	return 0;
}

static bool name_in(const struct tg_server_config *c, const unsigned char *p, int n, bool dns)
{
	size_t i;
	for (i = 0; n > 0 && i < c->nadmission_client_names; i++) {
		const char *want = c->admission_client_names[i];
		if (strlen(want) == (size_t)n &&
		    (dns ? strncasecmp(want, (const char *)p, (size_t)n) == 0
			 : memcmp(want, p, (size_t)n) == 0))
			return true;
	}
	return false;
}

/* The leaf's subject CN or one of its DNS SANs is an allowed name (any,
 * when admission_client_names is empty). */
static bool adm_names(const struct tg_server_config *c, X509 *leaf)
{
	const X509_NAME *sn = X509_get_subject_name(leaf);
	GENERAL_NAMES *gn;
	bool ok = false;
	int i = -1;
	if (c->nadmission_client_names == 0)
		return true;
	while (!ok && (i = X509_NAME_get_index_by_NID(sn, NID_commonName, i)) >= 0) {
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i));
		ok = name_in(c, ASN1_STRING_get0_data(v), ASN1_STRING_length(v), false);
	}
	gn = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; !ok && gn && i < sk_GENERAL_NAME_num(gn); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
		if (g->type == GEN_DNS)
			ok = name_in(c, ASN1_STRING_get0_data(g->d.dNSName),
				     ASN1_STRING_length(g->d.dNSName), true);
	}
	GENERAL_NAMES_free(gn);
	ERR_clear_error();
	return ok;
}

/* admission_client_ca: PEM CA certificates, read before the sandbox. */
static tg_err load_adm_ca(struct api *a, struct tg_diag *d)
{
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	const char *path = a->c->admission_client_ca;
	BIO *bio = NULL;
	X509 *x;
	size_t n = 0;
	tg_err r = tg_fs_read(path, &pem, d);

	if (r != TG_OK)
		goto out;
	a->adm_store = X509_STORE_new();
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (!a->adm_store || !bio) {
		r = TG_E_CRYPTO;
		goto out;
	}
	X509_STORE_set_depth(a->adm_store, TG_LIMIT_CHAIN);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_check_ca(x) < 1 || X509_STORE_add_cert(a->adm_store, x) != 1) {
			X509_free(x);
			tg_diag_set(d, "certificate %zu of 'admission_client_ca' '%s' is not a CA "
				       "certificate", n + 1, path);
			r = TG_E_KEY;
			goto out;
		}
		X509_free(x);
		n++;
	}
	if (n == 0) {
		tg_diag_set(d, "'admission_client_ca' '%s' holds no PEM certificate", path);
		r = TG_E_PARSE;
	}
out:
	ERR_clear_error();
	BIO_free(bio);
	tg_buf_release(&pem);
	return r;
}

/* After the handshake: the client's X509-SVID (if it sent one; OpenSSL
 * has already chained it to the trust domain's roots) must also meet the
 * SPIFFE leaf rules. A certificate of the admission client CA is no SPIFFE
 * identity: it only marks the connection as the API server's, for
 * /v1/admission (peer_id stays empty, so other routes see no identity). */
static bool check_peer(struct api *a, struct conn *cn)
{
	X509 *leaf = SSL_get0_peer_certificate(cn->ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(cn->ssl);
	struct tg_x509 *l = NULL, *inter[TG_LIMIT_CHAIN];
	struct tg_spiffe_id id;
	struct tg_diag d;
	size_t ni = 0;
	int i, n;
	bool ok = false;
	tg_err r = TG_OK;

	if (!leaf)
		return true;
	tg_diag_init(&d);
	n = chain ? sk_X509_num(chain) : 0;
	for (i = -1; r == TG_OK && i < n; i++) {
		X509 *x = i < 0 ? leaf : sk_X509_value(chain, i);
		unsigned char *der = NULL;
		int len;
		struct tg_x509 *t = NULL;
		if (i >= 0 && X509_cmp(x, leaf) == 0)
			continue; /* some stacks repeat the leaf */
		len = i2d_X509(x, &der);
		if (len <= 0) {
			r = TG_E_CRYPTO;
			break;
		}
		r = tg_x509_from_der(der, (size_t)len, &t, &d);
		if (r == TG_OK)
			r = tg_buf_adds(&cn->peer_pem, "");
		if (r == TG_OK)
			r = tg_x509_to_pem(t, &cn->peer_pem);
		OPENSSL_free(der);
		if (r != TG_OK) {
			tg_x509_free(t);
			break;
		}
		if (i < 0)
			l = t;
		else if (ni < TG_LIMIT_CHAIN)
			inter[ni++] = t;
		else
			tg_x509_free(t);
	}
	if (r == TG_OK && l)
		r = tg_x509_svid_verify(l, (const struct tg_x509 *const *)inter, ni, &a->bundles,
					tg_time_now(), NULL, &id, &d);
	if (r == TG_OK && l && tg_spiffe_id_in_td(&id, a->td)) {
		memcpy(cn->peer_id, id.uri, strlen(id.uri) + 1);
		ok = true;
	}
	if (!ok && a->adm_store && adm_verify(a->adm_store, leaf, chain)) {
		cn->adm_peer = true;
		cn->adm_name_ok = adm_names(a->c, leaf);
		tg_buf_reset(&cn->peer_pem);
		ok = true;
	}
	tg_x509_free(l);
	while (ni)
		tg_x509_free(inter[--ni]);
	return ok;
}

/* Advances one connection; false when it is to be closed. */
static bool drive(struct api *a, struct conn *cn)
{
	int n, e, st;
	struct tg_diag d;
	tg_err r;

	for (;;) {
		/* SSL_get_error() reads the thread's error queue: an error that a
		 * route (PEM, X.509, a verification) left there would turn the next
		 * WANT_READ of a keep-alive connection into a fatal error */
		ERR_clear_error();
		switch (cn->st) {
		case C_HANDSHAKE:
			n = SSL_accept(cn->ssl);
			if (n == 1) {
				if (!check_peer(a, cn))
					return false;
				cn->st = C_HEAD;
				cn->deadline = mono_ms() + a->c->idle_timeout_ms;
				continue;
			}
			e = SSL_get_error(cn->ssl, n);
			ERR_clear_error();
			return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
		case C_HEAD:
		case C_BODY: {
			size_t want = cn->have_head ? cn->req.head_len + (size_t)cn->req.content_length
						    : TG_HTTP_HEAD_MAX;
			/* a complete request may already be buffered (pipelining) */
			if (!cn->have_head && cn->in.len) {
				tg_diag_init(&d);
				r = tg_http_parse_head(cn->in.data, cn->in.len, &cn->req, &st, &d);
				if (r == TG_OK) {
					cn->have_head = true;
					cn->close_after = !cn->req.keep_alive;
					if (cn->req.content_length < 0) {
						if (strcmp(cn->req.method, "POST") == 0) {
							respond_error(a, cn, (int)NROUTES - 1, 411,
								      "length_required",
								      "POST needs a Content-Length");
							cn->close_after = true;
							continue;
						}
						cn->req.content_length = 0;
					}
					if ((uint64_t)cn->req.content_length > a->c->body_max) {
						char msg[96];
						snprintf(msg, sizeof(msg),
							 "the request body exceeds %zu bytes",
							 a->c->body_max);
						cn->close_after = true;
						respond_error(a, cn, (int)NROUTES - 1, 413, "too_large", msg);
						continue;
					}
					cn->st = C_BODY;
					cn->deadline = mono_ms() + a->c->body_timeout_ms;
					continue;
				}
				if (r != TG_E_AGAIN) {
					cn->close_after = true;
					respond_error(a, cn, (int)NROUTES - 1, st ? st : 400,
						      "bad_request", d.msg);
					continue;
				}
			}
			if (cn->have_head && cn->in.len >= want) {
				route(a, cn);
				continue;
			}
			if (cn->in.len >= want)
				return false;
			{
				uint8_t *p = tg_buf_reserve(&cn->in, 16384);
				size_t got = 0;
				if (!p)
					return false;
				n = SSL_read_ex(cn->ssl, p, 16384, &got);
				if (n == 1) {
					if (cn->in.len == 0 && !cn->have_head) {
						cn->started = mono_ms();
						cn->deadline = cn->started + a->c->header_timeout_ms;
					}
					tg_buf_commit(&cn->in, got);
					continue;
				}
				e = SSL_get_error(cn->ssl, n);
				ERR_clear_error();
				return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
			}
		}
		case C_LINGER: {
			uint8_t sink[4096];
			/* the TLS records are dropped undecrypted */
			n = (int)recv(cn->fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (n > 0)
				return true;
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		}
		case C_WRITE: {
			size_t wrote = 0;
			if (cn->out_off < cn->out.len) {
				n = SSL_write_ex(cn->ssl, cn->out.data + cn->out_off,
						 cn->out.len - cn->out_off, &wrote);
				if (n != 1) {
					e = SSL_get_error(cn->ssl, n);
					ERR_clear_error();
					return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
				}
				cn->out_off += wrote;
				continue;
			}
			if (cn->close_after) {
				/* lingering close: stop sending, then read and drop
				 * what the client still sends for a moment, so that
				 * unread bytes do not reset the connection before
				 * the client has read the answer */
				SSL_shutdown(cn->ssl);
				ERR_clear_error();
				shutdown(cn->fd, SHUT_WR);
				cn->st = C_LINGER;
				cn->deadline = mono_ms() + 1000;
				continue;
			}
			/* keep-alive: drop this request, keep what follows it */
			if (cn->have_head) {
				size_t used = cn->req.head_len + (size_t)cn->req.content_length;
				if (used < cn->in.len)
					memmove(cn->in.data, cn->in.data + used, cn->in.len - used);
				tg_buf_truncate(&cn->in, cn->in.len - used);
			}
			cn->have_head = false;
			cn->st = C_HEAD;
			cn->started = mono_ms();
			cn->deadline = cn->started + (cn->in.len ? a->c->header_timeout_ms
								  : a->c->idle_timeout_ms);
			tg_buf_reset(&cn->out);
			cn->out_off = 0;
			continue;
		}
		}
	}
}

/* Accepts one connection; false when none is waiting (or another worker
 * took it). */
static bool accept_one(struct api *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(a->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *cn;

	if (fd < 0)
		return false;
	if (a->nconns >= a->c->max_conns) {
		a->m->conns_dropped++;
		close(fd);
		return true;
	}
	cn = tg_xcalloc(1, sizeof(*cn));
	cn->fd = fd;
	tg_buf_init(&cn->in, TG_HTTP_HEAD_MAX + a->c->body_max + 16384);
	tg_buf_init(&cn->out, TG_SMSG_MAX + 4096);
	tg_buf_init(&cn->peer_pem, 64 * 1024);
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, cn->addr, sizeof(cn->addr));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, cn->addr,
			  sizeof(cn->addr));
	cn->ssl = SSL_new(a->ctx);
	if (!cn->ssl || SSL_set_fd(cn->ssl, fd) != 1) {
		conn_free(cn);
		return true;
	}
	cn->st = C_HANDSHAKE;
	cn->started = mono_ms();
	cn->deadline = cn->started + a->c->header_timeout_ms;
	a->conns = tg_xreallocarray(a->conns, a->nconns + 1, sizeof(*a->conns));
	a->conns[a->nconns++] = cn;
	if (!drive(a, cn)) {
		a->conns[--a->nconns] = NULL;
		conn_free(cn);
	}
	return true;
}

static tg_err setup_ctx(struct api *a, struct tg_diag *d)
{
	a->ctx = SSL_CTX_new(TLS_server_method());
	if (!a->ctx || SSL_CTX_set_min_proto_version(a->ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(a->ctx, TLS1_3_VERSION) != 1) {
		tg_diag_set(d, "cannot set up TLS 1.3");
		return TG_E_CRYPTO;
	}
	/* an unauthenticated webhook answers anyone who can reach it, and
	 * each review it answers is a durable log append */
	if (!a->c->admission_client_ca[0] && !a->c->admission_unauthenticated &&
	    !tg_server_host_is_loopback(a->c->listen_host)) {
		tg_diag_set(d, "/v1/admission would be open to anyone who reaches '%s': set "
			       "'admission_client_ca' (the API server's client CA) or "
			       "'admission_allow_unauthenticated': true (docs/config.md)",
			    a->c->listen_host);
		return TG_E_INVAL;
	}
	if (a->c->admission_client_ca[0]) {
		tg_err r = load_adm_ca(a, d);
		if (r != TG_OK)
			return r;
	}
	/* client certificates are optional; when sent they must chain to the
	 * trust domain or the admission client CA (else the handshake fails) */
	SSL_CTX_set_verify(a->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(a->ctx, verify_cb, a);
	SSL_CTX_set_verify_depth(a->ctx, TG_LIMIT_CHAIN);
	SSL_CTX_set_session_cache_mode(a->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(a->ctx, 0);
	SSL_CTX_set_mode(a->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return TG_OK;
}

/* The gate: the trusted root (twice: one copy verifies uploads, the gate
 * takes the other) and the policy of the configuration, read before the
 * sandbox forbids opening files. */
static tg_err gate_setup(struct api *a, struct tg_diag *d)
{
	const struct tg_server_config *c = a->c;
	struct tg_sign_trustroot tr;
	const char *paths[4], *data[1];
	size_t i;
	tg_err r;

	memset(&tr, 0, sizeof(tr));
	r = tg_sign_trustroot_parse((const char *)a->trust_root.data, a->trust_root.len, &a->root, d);
	if (r == TG_OK)
		r = tg_sign_trustroot_parse((const char *)a->trust_root.data, a->trust_root.len, &tr, d);
	if (r == TG_OK)
		r = tg_gate_new(&tr, NULL, &a->gate);
	tg_sign_trustroot_release(&tr);
	for (i = 0; i < c->ngate_policy; i++)
		paths[i] = c->gate_policy[i];
	data[0] = c->gate_data;
	if (r == TG_OK) {
		r = tg_gate_policy_load(paths, c->ngate_policy, data, c->gate_data[0] ? 1 : 0, NULL,
					&a->policy, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "cannot load the gate policy");
	}
	for (i = 0; i < c->nadmission_ns; i++) {
		a->ns[i].namespace_ = c->admission_ns[i].ns;
		a->ns[i].policy = NULL;
		a->ns[i].mode = c->admission_ns[i].mode;
	}
	return r;
}

int tg_server_api_main(const struct tg_server_config *c, const struct tg_server_worker *w,
		       volatile int *stop)
{
	int lfd = w->lfd, ready_fd = w->ready_fd;
	struct api *a = tg_xcalloc(1, sizeof(*a));
	struct pollfd *pf = NULL;
	struct tg_diag d;
	char p[2048];
	int code = 3;
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	a->c = c;
	a->lfd = lfd;
	a->sfd = w->sfd;
	a->stfd = w->stfd;
	a->sh = w->shm;
	a->nslots = w->nslots;
	a->m = &a->sh->m[w->slot];
	a->m->conns_open = 0; /* a restarted worker starts with none */
	tg_buf_init(&a->bundle_json, 1 << 20);
	tg_buf_init(&a->trust_root, TG_LIMIT_JSON_VERIFY_DOC);
	/* public files, read before the sandbox forbids opening any */
	snprintf(p, sizeof(p), "%s/trusted_root.json", c->state_dir);
	r = tg_fs_read(p, &a->trust_root, &d);
	if (r == TG_OK) {
		struct tg_buf meta = TG_BUF_INIT(65536);
		struct tg_arena ar;
		const struct tg_json *m = NULL;
		const char *td;
		size_t tn;
		tg_arena_init(&ar, 1 << 20);
		snprintf(p, sizeof(p), "%s/ca.json", c->ca_dir);
		r = tg_fs_read(p, &meta, &d);
		if (r == TG_OK)
			r = tg_json_parse(&ar, meta.data, meta.len, NULL, &m, NULL, &d);
		if (r == TG_OK && (tg_json_get_string(m, "trust_domain", &td, &tn) != TG_OK ||
				   tn >= sizeof(a->td))) {
			tg_diag_set(&d, "no trust_domain in '%s'", p);
			r = TG_E_PARSE;
		}
		if (r == TG_OK) {
			memcpy(a->td, td, tn);
			a->td[tn] = '\0';
			snprintf(a->self_id, sizeof(a->self_id), "spiffe://%s/tollgated", a->td);
		}
		tg_buf_release(&meta);
		tg_arena_release(&ar);
	}
	if (r == TG_OK)
		r = gate_setup(a, &d);
	if (r == TG_OK)
		r = setup_ctx(a, &d);
	if (r == TG_OK)
		r = load_bundle(a, &d);
	if (r == TG_OK)
		r = renew_svid(a, &d);
	if (r == TG_OK && c->sandbox)
		r = tg_server_sandbox("api", &d);
	if (r != TG_OK) {
		fprintf(stderr, "tollgated: api: %s\n", d.msg[0] ? d.msg : tg_strerror(r));
		goto out;
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			goto out;
		close(ready_fd);
	}
	while (!*stop) {
		int64_t now = mono_ms(), next = now + 1000;
		size_t np = 0;
		int k;

		a->m->conns_open = a->nconns;
		if ((int64_t)time(NULL) * 1000 >= a->svid_renew_at) {
			tg_diag_init(&d);
			if (renew_svid(a, &d) != TG_OK || load_bundle(a, &d) != TG_OK)
				fprintf(stderr, "tollgated: api: renewing the server SVID: %s\n", d.msg);
		}
		pf = tg_xreallocarray(pf, a->nconns + 1, sizeof(*pf));
		pf[np].fd = a->nconns < c->max_conns ? lfd : -1;
		pf[np++].events = POLLIN;
		for (i = 0; i < a->nconns; i++) {
			struct conn *cn = a->conns[i];
			pf[np].fd = cn->fd;
			pf[np++].events = (short)(POLLIN | (cn->st == C_WRITE || SSL_want_write(cn->ssl)
								    ? POLLOUT : 0));
			if (cn->deadline < next)
				next = cn->deadline;
		}
		k = poll(pf, np, (int)(next > now ? next - now : 0));
		if (k < 0 && errno != EINTR)
			break;
		now = mono_ms();
		for (i = 0; i < a->nconns;) {
			struct conn *cn = a->conns[i];
			bool keep = true;
			if (pf[i + 1].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR))
				keep = drive(a, cn);
			if (keep && now >= cn->deadline && cn->st == C_LINGER) {
				keep = false;
			} else if (keep && now >= cn->deadline) {
				/* slow or idle: a 408 when a request had begun, then gone */
				if (cn->st == C_HEAD && cn->in.len) {
					cn->close_after = true;
					respond_error(a, cn, (int)NROUTES - 1, 408, "timeout",
						      "the request did not arrive in time");
					(void)drive(a, cn);
				}
				a->m->conns_dropped++;
				keep = false;
			}
			if (!keep) {
				conn_free(cn);
				a->conns[i] = a->conns[--a->nconns];
				pf[i + 1] = pf[a->nconns + 1];
				continue;
			}
			i++;
		}
		/* every waiting connection, up to a handful per turn: a client
		 * opening several at once is not served one per poll round */
		for (k = 0; (pf[0].revents & POLLIN) && k < 16 && accept_one(a); k++)
			;
	}
	code = 0;
out:
	for (i = 0; i < a->nconns; i++)
		conn_free(a->conns[i]);
	free(a->conns);
	free(pf);
	SSL_CTX_free(a->ctx);
	X509_STORE_free(a->adm_store);
	tg_bundle_set_release(&a->bundles);
	tg_buf_release(&a->bundle_json);
	tg_buf_release(&a->trust_root);
	tg_sign_trustroot_release(&a->root);
	tg_gate_free(a->gate);
	tg_gate_policy_free(a->policy);
	free(a);
	return code;
}
