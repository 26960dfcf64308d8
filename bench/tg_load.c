/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tg_load.c - load generator for tollgated: N client threads for T seconds,
 * each looping over a weighted mix of real API calls whose answers are all
 * checked (SVIDs, bundles, decisions, checkpoints); latency per kind, errors,
 * and the RSS of every tollgated process sampled during the run.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "server/server.h"
#include "sign/sign.h"
#include "tlog/tlog.h"

#define GH_ISS "https://token.actions.githubusercontent.com"
#define GH_SAN "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main"
#define LOAD_RESP_MAX (16 * 1024 * 1024) /* bytes of one response we read */
#define LOAD_HEAD_MAX (16 * 1024)        /* bytes of a response head */
#define LOAD_POOL_MAX 65536              /* digests with stored evidence we remember */
#define LOAD_FIRST_ERRORS 3              /* error messages kept per kind */
#define LOAD_CLIENTS_MAX 1024
#define LOAD_TIMEOUT_SEC 120             /* socket timeout: queueing is fine, hangs are not */

/*
 * The head of an HTTP/1.1 response in p[0..n): TG_E_AGAIN until the blank
 * line has arrived; then the status, the head's length, the Content-Length
 * (required: the server always sends one) and whether it closes.
 */
static tg_err resp_head(const uint8_t *p, size_t n, int *status, size_t *head_len, size_t *clen,
			bool *closes, struct tg_diag *d)
{
	const char *s = (const char *)p, *end, *line, *nl;
	bool have_len = false;

	end = memmem(s, n, "\r\n\r\n", 4);
	if (!end) {
		if (n >= LOAD_HEAD_MAX) {
			tg_diag_set(d, "response head exceeds %d bytes", LOAD_HEAD_MAX);
			return TG_E_TOOBIG;
		}
		return TG_E_AGAIN;
	}
	if (end - s < 12 || memcmp(s, "HTTP/1.1 ", 9) != 0 || s[9] < '1' || s[9] > '5' ||
	    s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' || (end - s > 12 && s[12] != ' ')) {
		tg_diag_set(d, "malformed status line in the response");
		return TG_E_PARSE;
	}
	*status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	*closes = false;
	*clen = 0;
	for (line = memchr(s, '\n', (size_t)(end - s)); line && line < end; line = nl) {
		size_t ll;
		line++;
		nl = memchr(line, '\n', (size_t)(end + 2 - line));
		ll = nl ? (size_t)(nl - line) : 0;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0) {
			const char *v = line + 15, *ve = line + ll;
			size_t x = 0;
			while (v < ve && *v == ' ')
				v++;
			if (v == ve || have_len)
				goto bad_len;
			for (; v < ve; v++) {
				if (*v < '0' || *v > '9' || x > (LOAD_RESP_MAX - 9) / 10)
					goto bad_len;
				x = x * 10 + (size_t)(*v - '0');
			}
			*clen = x;
			have_len = true;
		} else if (ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
			const char *v = line + 11;
			while (v < line + ll && *v == ' ')
				v++;
			*closes = (size_t)(line + ll - v) == 5 && strncasecmp(v, "close", 5) == 0;
		}
	}
	if (!have_len) {
		tg_diag_set(d, "the response has no Content-Length");
		return TG_E_PARSE;
	}
	*head_len = (size_t)(end - s) + 4;
	return TG_OK;
bad_len:
	tg_diag_set(d, "the response has a malformed or repeated Content-Length");
	return TG_E_PARSE;
}

#ifndef TG_LOAD_FUZZ /* fuzz/fuzz_load_resp.c includes only resp_head */

static const char usage[] =
	"usage: tg_load --url URL --ca-file PEM --trusted-root JSON --issuer-key PEM [options]\n"
	"\n"
	"Runs N concurrent clients against tollgated for T seconds, each looping\n"
	"over a weighted mix of API calls, and checks every answer:\n"
	"  attest      POST /v1/attest, a fresh OIDC token (signed with --issuer-key)\n"
	"              and a CSR; the X509-SVID and a JWT-SVID must verify against\n"
	"              the trust domain's bundle and name --spiffe-id\n"
	"  sign        `tollgate sign --server`'s flow (signing certificate, timestamp,\n"
	"              log entry) for a fresh artifact; the bundle must verify against\n"
	"              --trusted-root as --identity; then POST /v1/attestations\n"
	"  verify      POST /v1/verify for a digest with stored evidence: allowed\n"
	"  deny        POST /v1/verify for a random digest without evidence: denied\n"
	"  admission   POST /v1/admission, a 3-container Deployment pinned to digests\n"
	"              with stored evidence: allowed\n"
	"  checkpoint  GET /v1/log/checkpoint, signed by the log of --trusted-root,\n"
	"              never smaller than the last one this client saw\n"
	"  trustroot   GET /v1/trust-root, the same bytes as --trusted-root\n"
	"  healthz     GET /healthz\n"
	"\n"
	"  --clients N         concurrent clients (default 8)\n"
	"  --seconds T         run length (default 10)\n"
	"  --mix SPEC          weights, e.g. attest=4,sign=2,verify=3,deny=1 (default:\n"
	"                      attest=4,sign=2,verify=3,deny=1,checkpoint=1,trustroot=1,healthz=1)\n"
	"  --issuer ISS        OIDC issuer of the tokens (default " GH_ISS ")\n"
	"  --audience AUD      their audience (default tollgate)\n"
	"  --identity SAN      the signing certificates' expected SAN (default the\n"
	"                      ci.yml workflow of acme/app the tokens name)\n"
	"  --spiffe-id ID      the expected attested SPIFFE ID\n"
	"                      (default spiffe://tollgate.test/ci/acme/app)\n"
	"  --digests FILE      digests (hex, one a line) with stored evidence that the\n"
	"                      policy allows, for verify and admission; signs add theirs\n"
	"  --once              use each digest of --digests once (cold decisions); stop\n"
	"                      when they are used up\n"
	"  --prepare N         instead of a timed run: sign and store N fresh artifacts\n"
	"                      (with the clients in parallel), write their digests to\n"
	"                      --digests-out FILE; --provenance adds a SLSA provenance\n"
	"                      bundle for each\n"
	"  --pid PID           the tollgated parent: sample the RSS of it and its\n"
	"                      children every --sample S seconds (default 5)\n"
	"  --warmup S          RSS samples before S seconds are warm-up (default 10)\n"
	"  --rss-pct P, --rss-mib M  memory is flat when each process grows by at most\n"
	"                      max(P% of its first sample after the warm-up, M MiB)\n"
	"                      from that sample to the last (default 10 and 8)\n"
	"\n"
	"Prints per kind: calls, errors, p50/p99/max latency (ms) and rate; the\n"
	"first error messages; the RSS samples and the memory verdict. Exit 0 when\n"
	"there was no error and memory was flat, 1 otherwise, 2 for usage and setup\n"
	"errors (unreadable files, no server, no trust domain bundle).\n";

enum kind { K_ATTEST, K_SIGN, K_VERIFY, K_DENY, K_ADMISSION, K_CHECKPOINT, K_TRUSTROOT,
	    K_HEALTHZ, NKINDS };
static const char *const kind_names[NKINDS] = {"attest", "sign", "verify", "deny", "admission",
					       "checkpoint", "trustroot", "healthz"};

/* ---- configuration and shared state ---- */

static struct {
	struct tg_client cl;            /* host, port, ca_file: the CLI's client */
	const char *issuer, *audience, *identity, *spiffe_id, *td;
	struct tg_key *issuer_key;      /* with its RFC 7638 thumbprint as kid */
	struct tg_buf root_bytes;       /* --trusted-root as given */
	struct tg_sign_trustroot root;
	struct tg_note_key log_key;     /* the checkpoint signer */
	struct tg_bundle_set bundles;   /* the trust domain's bundle, from /v1/bundle */
	SSL_CTX *ctx;
	unsigned weights[NKINDS], wsum;
	unsigned clients;
	double seconds;
	bool once, provenance;
	size_t prepare;
	double t0, end;
	atomic_int stop;
	atomic_ulong seq;
	atomic_size_t claimed;          /* --prepare: artifacts taken by a client */
} G;

/* digests with stored evidence that the policy allows */
static struct {
	pthread_mutex_t mu;
	uint8_t (*d)[32];
	size_t n;
	size_t next;                    /* --once: the next unused one */
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static struct {
	pthread_mutex_t mu;
	char msg[NKINDS][LOAD_FIRST_ERRORS][TG_DIAG_MSG_MAX + 64];
	size_t n[NKINDS];
} errs = {PTHREAD_MUTEX_INITIALIZER, {{{0}}}, {0}};

struct kstat {
	uint64_t calls, errors;
	double *lat;                    /* ms */
	size_t nlat, cap;
};

struct client {
	unsigned id;
	uint64_t rng;
	SSL *ssl;
	int fd;
	uint64_t last_size;             /* the largest checkpoint size seen */
	struct kstat st[NKINDS];
	pthread_t th;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t rnd(struct client *c)
{
	/* xorshift64*: picks the next call and builds jti suffixes, nothing secret */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545F4914F6CDD1DULL;
}

/* Setup failed (a file, the server's bundle, a thread): exit 2, not the
 * 1 that reports what the load found. */
static void die(const char *what, tg_err r, const struct tg_diag *d)
{
	fprintf(stderr, "tg_load: %s: %s\n", what, d && d->msg[0] ? d->msg : tg_strerror(r));
	exit(2);
}

static void record_error(enum kind k, const char *msg)
{
	pthread_mutex_lock(&errs.mu);
	if (errs.n[k] < LOAD_FIRST_ERRORS)
		snprintf(errs.msg[k][errs.n[k]++], sizeof(errs.msg[0][0]), "%.*s", TG_DIAG_MSG_MAX,
			 msg[0] ? msg : "(no message)");
	pthread_mutex_unlock(&errs.mu);
}

static void pool_add(const uint8_t d[32])
{
	pthread_mutex_lock(&pool.mu);
	if (pool.n < LOAD_POOL_MAX)
		memcpy(pool.d[pool.n++], d, 32);
	pthread_mutex_unlock(&pool.mu);
}

/* A digest for verify/admission: random from the pool, or the next unused
 * one with --once. False when there is none (yet, or any more). */
static bool pool_pick(struct client *c, uint8_t out[32])
{
	bool ok = false;
	pthread_mutex_lock(&pool.mu);
	if (G.once) {
		if (pool.next < pool.n) {
			memcpy(out, pool.d[pool.next++], 32);
			ok = true;
		}
	} else if (pool.n) {
		memcpy(out, pool.d[rnd(c) % pool.n], 32);
		ok = true;
	}
	pthread_mutex_unlock(&pool.mu);
	return ok;
}

/* ---- HTTPS with keep-alive ---- */

/* The server must present an X509-SVID naming spiffe://<td>/tollgated. */
static bool peer_is_tollgated(SSL *ssl)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	GENERAL_NAMES *gn = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	char want[TG_SPIFFE_ID_MAX + 1];
	bool ok = false;
	int i;

	snprintf(want, sizeof(want), "spiffe://%s/tollgated", G.td);
	for (i = 0; gn && i < sk_GENERAL_NAME_num(gn); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
		if (g->type == GEN_URI &&
		    (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier) == strlen(want) &&
		    memcmp(ASN1_STRING_get0_data(g->d.uniformResourceIdentifier), want,
			   strlen(want)) == 0)
			ok = true;
	}
	GENERAL_NAMES_free(gn);
	return ok;
}

static void conn_close(struct client *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ERR_clear_error();
}

static tg_err conn_open(struct client *c, struct tg_diag *d)
{
	struct addrinfo hints, *ai = NULL, *p;
	struct timeval tv = {LOAD_TIMEOUT_SEC, 0};
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	e = getaddrinfo(G.cl.host, G.cl.port, &hints, &ai);
	if (e != 0) {
		tg_diag_set(d, "cannot resolve '%s': %s", G.cl.host, gai_strerror(e));
		return TG_E_IO;
	}
	for (p = ai; p; p = p->ai_next) {
		c->fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			continue;
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(c->fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	if (c->fd < 0) {
		tg_diag_set(d, "cannot connect to %s:%s: %s", G.cl.host, G.cl.port, strerror(errno));
		return TG_E_IO;
	}
	c->ssl = SSL_new(G.ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1) {
		unsigned long le = ERR_peek_last_error();
		tg_diag_set(d, "TLS handshake failed: %s",
			    le ? ERR_reason_error_string(le) : "connection closed or timed out");
		conn_close(c);
		return TG_E_IO;
	}
	if (!peer_is_tollgated(c->ssl)) {
		tg_diag_set(d, "the server's certificate does not name spiffe://%s/tollgated", G.td);
		conn_close(c);
		return TG_E_VERIFY;
	}
	return TG_OK;
}

/* One request on the client's keep-alive connection (opened when needed):
 * *status and the body into resp (reset first). */
static tg_err hreq(struct client *c, const char *method, const char *path, const char *ctype,
		   const void *body, size_t len, int *status, struct tg_buf *resp, struct tg_diag *d)
{
	struct tg_buf req = TG_BUF_INIT(LOAD_RESP_MAX), raw = TG_BUF_INIT(LOAD_RESP_MAX);
	size_t head_len = 0, clen = 0, w = 0;
	bool closes = false;
	tg_err r;

	tg_buf_reset(resp);
	if (!c->ssl && (r = conn_open(c, d)) != TG_OK)
		goto out;
	r = tg_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, G.cl.host);
	if (r == TG_OK && body)
		r = tg_buf_addf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, len);
	if (r == TG_OK)
		r = tg_buf_adds(&req, "\r\n");
	if (r == TG_OK && body && len)
		r = tg_buf_add(&req, body, len);
	if (r != TG_OK)
		goto out;
	if (SSL_write_ex(c->ssl, req.data, req.len, &w) != 1 || w != req.len) {
		tg_diag_set(d, "cannot send %s %s", method, path);
		r = TG_E_IO;
		goto out;
	}
	for (;;) {
		uint8_t *p;
		size_t got = 0;
		if (!head_len && raw.len) {
			r = resp_head(raw.data, raw.len, status, &head_len, &clen, &closes, d);
			if (r != TG_OK && r != TG_E_AGAIN)
				goto out;
			if (r == TG_OK && head_len + clen > LOAD_RESP_MAX) {
				tg_diag_set(d, "the response exceeds %d bytes", LOAD_RESP_MAX);
				r = TG_E_TOOBIG;
				goto out;
			}
		}
		if (head_len && raw.len >= head_len + clen)
			break;
		if (!(p = tg_buf_reserve(&raw, 16384))) {
			r = TG_E_TOOBIG;
			goto out;
		}
		if (SSL_read_ex(c->ssl, p, 16384, &got) != 1) {
			int e = SSL_get_error(c->ssl, 0), en = errno;
			tg_diag_set(d, "%s %s: the connection ended %s the response (%s)", method, path,
				    raw.len ? "inside" : "before",
				    e == SSL_ERROR_ZERO_RETURN ? "the server closed it"
				    : e == SSL_ERROR_SYSCALL   ? (en ? strerror(en) : "EOF")
							       : "TLS error");
			r = TG_E_IO;
			goto out;
		}
		tg_buf_commit(&raw, got);
	}
	if (raw.len != head_len + clen) {
		tg_diag_set(d, "%s %s: bytes after the response (nothing was pipelined)", method, path);
		r = TG_E_PARSE;
		goto out;
	}
	r = tg_buf_add(resp, raw.data + head_len, clen);
out:
	if (r != TG_OK || closes)
		conn_close(c);
	tg_buf_release_wipe(&req);
	tg_buf_release(&raw);
	return r;
}

/* The server's error message, or the status, as the diagnostic. */
static tg_err unexpected(int status, const struct tg_buf *resp, const char *what, struct tg_diag *d)
{
	tg_diag_set(d, "%s: status %d: %.*s", what, status,
		    (int)(resp->len > 160 ? 160 : resp->len), (const char *)resp->data);
	return TG_E_VERIFY;
}

/* ---- tokens, keys, CSRs ---- */

/* A fresh GitHub-shaped CI token (the claims setup.inc's gh_token makes),
 * signed by the issuer key, with a jti no other call uses. */
static tg_err mint(struct client *c, struct tg_buf *out)
{
	struct tg_buf cl = TG_BUF_INIT(8192);
	struct tg_arena a;
	const struct tg_json *v = NULL;
	long long now = (long long)time(NULL);
	tg_err r;

	tg_arena_init(&a, 1 << 20);
	r = tg_buf_adds(&cl, "{\"iss\":");
	if (r == TG_OK)
		r = tg_json_add_string(&cl, G.issuer, strlen(G.issuer));
	if (r == TG_OK)
		r = tg_buf_adds(&cl, ",\"aud\":");
	if (r == TG_OK)
		r = tg_json_add_string(&cl, G.audience, strlen(G.audience));
	if (r == TG_OK)
		r = tg_buf_addf(
			&cl,
			",\"exp\":%lld,\"iat\":%lld,\"nbf\":%lld,\"jti\":\"tg-load-%ld-%u-%lu-%016llx\","
			"\"sub\":\"repo:acme/app:ref:refs/heads/main\",\"repository\":\"acme/app\","
			"\"repository_id\":\"123456789\",\"repository_owner\":\"acme\","
			"\"repository_owner_id\":\"42\",\"repository_visibility\":\"private\","
			"\"ref\":\"refs/heads/main\",\"ref_type\":\"branch\","
			"\"sha\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\","
			"\"workflow_ref\":\"acme/app/.github/workflows/ci.yml@refs/heads/main\","
			"\"job_workflow_ref\":\"acme/app/.github/workflows/ci.yml@refs/heads/main\","
			"\"event_name\":\"push\",\"run_id\":\"7001\",\"run_attempt\":\"1\","
			"\"actor\":\"octocat\",\"actor_id\":\"1\",\"runner_environment\":\"github-hosted\"}",
			now + 600, now, now, (long)getpid(), c->id, atomic_fetch_add(&G.seq, 1),
			(unsigned long long)rnd(c));
	if (r == TG_OK)
		r = tg_json_parse(&a, cl.data, cl.len, NULL, &v, NULL, NULL);
	if (r == TG_OK)
		r = tg_jwt_sign(G.issuer_key, tg_key_default_alg(G.issuer_key), v, out);
	tg_buf_release(&cl);
	tg_arena_release(&a);
	return r;
}

/* ---- the calls ---- */

static const char *jstring(const struct tg_json *o, const char *key, size_t *n)
{
	const struct tg_json *v = tg_json_get(o, key);
	if (!v || v->type != TG_JSON_STRING)
		return NULL;
	*n = v->u.s.len;
	return v->u.s.p;
}

static tg_err op_attest(struct client *c, struct tg_diag *d)
{
	struct tg_buf tok = TG_BUF_INIT(65536), csr = TG_BUF_INIT(16384), body = TG_BUF_INIT(1 << 20),
		      resp = TG_BUF_INIT(LOAD_RESP_MAX), spki = TG_BUF_INIT(4096);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_spiffe_id id;
	struct tg_arena a;
	const struct tg_json *v = NULL, *js, *j0;
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	struct tg_key *leafkey = NULL;
	const char *s;
	size_t sn = 0;
	int status = 0;
	tg_err r = pk ? TG_OK : TG_E_CRYPTO;

	tg_arena_init(&a, 16 * 1024 * 1024);
	if (r == TG_OK)
		r = mint(c, &tok);
	if (r == TG_OK)
		r = tg_client_csr(pk, &csr);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "{\"oidc_token\":");
	if (r == TG_OK)
		r = tg_json_add_string(&body, (const char *)tok.data, tok.len);
	if (r == TG_OK)
		r = tg_buf_adds(&body, ",\"csr\":");
	if (r == TG_OK)
		r = tg_json_add_string(&body, (const char *)csr.data, csr.len);
	if (r == TG_OK)
		r = tg_buf_adds(&body, ",\"jwt_audiences\":[\"tg-load\"]}");
	if (r != TG_OK)
		goto out;
	r = hreq(c, "POST", "/v1/attest", "application/json", body.data, body.len, &status, &resp, d);
	if (r != TG_OK)
		goto out;
	if (status != 200) {
		r = unexpected(status, &resp, "attest", d);
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_VERIFY;
	if (!(s = jstring(v, "spiffe_id", &sn)) || sn != strlen(G.spiffe_id) ||
	    memcmp(s, G.spiffe_id, sn) != 0) {
		tg_diag_set(d, "attest: the answer does not name %s", G.spiffe_id);
		goto out;
	}
	/* the X509-SVID: SPIFFE leaf rules and the chain to the trust bundle */
	if (!(s = jstring(v, "x509_svid", &sn))) {
		tg_diag_set(d, "attest: no x509_svid in the answer");
		goto out;
	}
	r = tg_x509_list_from_pem(s, sn, &chain, d);
	if (r == TG_OK && chain.count < 1) {
		tg_diag_set(d, "attest: empty x509_svid");
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		r = tg_x509_svid_verify(chain.certs[0], (const struct tg_x509 *const *)chain.certs + 1,
					chain.count - 1, &G.bundles, tg_time_now(), NULL, &id, d);
	if (r == TG_OK && strcmp(id.uri, G.spiffe_id) != 0) {
		tg_diag_set(d, "attest: the X509-SVID names %s", id.uri);
		r = TG_E_VERIFY;
	}
	/* for the key of our CSR */
	if (r == TG_OK)
		r = tg_x509_public_key(chain.certs[0], &leafkey);
	if (r == TG_OK)
		r = tg_key_to_spki_der(leafkey, &spki);
	if (r == TG_OK) {
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(pk, &der);
		if (n <= 0 || (size_t)n != spki.len || memcmp(der, spki.data, spki.len) != 0) {
			tg_diag_set(d, "attest: the X509-SVID certifies another key than the CSR's");
			r = TG_E_VERIFY;
		}
		OPENSSL_free(der);
	}
	if (r != TG_OK)
		goto out;
	/* the JWT-SVID for our audience */
	r = TG_E_VERIFY;
	js = tg_json_get(v, "jwt_svids");
	if (!js || js->type != TG_JSON_ARRAY || js->u.a.len != 1 ||
	    !(j0 = js->u.a.items[0]) || !(s = jstring(j0, "token", &sn))) {
		tg_diag_set(d, "attest: want one JWT-SVID in the answer");
		goto out;
	}
	r = tg_jwt_svid_verify(s, sn, &G.bundles, "tg-load", tg_time_now(), NULL, &a, &id, NULL, d);
	if (r == TG_OK && strcmp(id.uri, G.spiffe_id) != 0) {
		tg_diag_set(d, "attest: the JWT-SVID names %s", id.uri);
		r = TG_E_VERIFY;
	}
out:
	if (r != TG_OK && !d->msg[0])
		tg_diag_set(d, "attest: %s", tg_strerror(r));
	ERR_clear_error();
	EVP_PKEY_free(pk);
	tg_key_free(leafkey);
	tg_x509_list_release(&chain);
	tg_buf_release_wipe(&tok);
	tg_buf_release(&csr);
	tg_buf_release_wipe(&body);
	tg_buf_release(&resp);
	tg_buf_release(&spki);
	tg_arena_release(&a);
	return r;
}

/* Verifies a bundle from the server as `tollgate verify` would (chain to
 * the trusted root's CA, RFC 3161 timestamp, log entry with its inclusion
 * proof and signed checkpoint, the signature, the identity), then stores
 * it (POST /v1/attestations) and checks that it is indexed by dg. */
static tg_err check_and_store(struct client *c, const struct tg_buf *bundle, const uint8_t *data,
			      size_t len, const uint8_t dg[32], struct tg_diag *d)
{
	struct tg_sign_bundle b;
	struct tg_sign_artifact art;
	struct tg_sign_policy pol;
	struct tg_sign_result res;
	struct tg_buf resp = TG_BUF_INIT(LOAD_RESP_MAX);
	struct tg_arena a;
	const struct tg_json *v = NULL, *ds, *st;
	char want[72];
	int status = 0;
	tg_err r;

	memset(&b, 0, sizeof(b));
	memset(&art, 0, sizeof(art));
	memset(&pol, 0, sizeof(pol));
	tg_arena_init(&a, 1 << 20);
	art.data = data;
	art.len = len;
	art.alg = TG_SHA256;
	memcpy(art.digest, dg, 32);
	pol.identity = G.identity;
	pol.issuer = G.issuer;
	pol.now = tg_time_now();
	r = tg_sign_bundle_parse((const char *)bundle->data, bundle->len, &b, d);
	if (r == TG_OK)
		r = tg_sign_verify(&b, &art, &G.root, &pol, &res, d);
	if (r == TG_OK && (b.ntlog != 1 || b.ntsa != 1 || !b.tlog[0].has_proof)) {
		tg_diag_set(d, "sign: want one log entry with an inclusion proof and one timestamp");
		r = TG_E_VERIFY;
	}
	if (r != TG_OK) {
		tg_diag_prefix(d, "sign: the bundle does not verify");
		goto out;
	}
	r = hreq(c, "POST", "/v1/attestations", "application/json", bundle->data, bundle->len,
		 &status, &resp, d);
	if (r != TG_OK)
		goto out;
	if (status != 201) {
		r = unexpected(status, &resp, "store", d);
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r != TG_OK)
		goto out;
	memcpy(want, "sha256:", 7);
	tg_hex_encode_to(want + 7, dg, 32);
	ds = tg_json_get(v, "digests");
	st = tg_json_get(v, "stored");
	if (!st || st->type != TG_JSON_BOOL || !st->u.b || !ds || ds->type != TG_JSON_ARRAY || ds->u.a.len != 1 ||
	    !tg_json_str_eq(ds->u.a.items[0], want)) {
		tg_diag_set(d, "store: the answer does not say the bundle was stored under %s", want);
		r = TG_E_VERIFY;
	}
out:
	tg_sign_bundle_release(&b);
	tg_buf_release(&resp);
	tg_arena_release(&a);
	return r;
}

static tg_err op_sign(struct client *c, struct tg_diag *d)
{
	struct tg_buf tok = TG_BUF_INIT(65536), bundle = TG_BUF_INIT(1 << 20);
	struct tg_client_sign_in in;
	char art[128];
	uint8_t dg[32];
	int n;
	tg_err r;

	/* a fresh artifact each time: the store keeps at most 24 bundles per digest */
	n = snprintf(art, sizeof(art), "tg_load artifact %ld %u %lu %016llx\n", (long)getpid(), c->id,
		     atomic_fetch_add(&G.seq, 1), (unsigned long long)rnd(c));
	memset(&in, 0, sizeof(in));
	in.artifact = (const uint8_t *)art;
	in.artifact_len = (size_t)n;
	r = tg_hash(TG_SHA256, art, (size_t)n, dg);
	if (r == TG_OK)
		r = mint(c, &tok);
	if (r == TG_OK)
		r = tg_client_sign(&G.cl, tg_buf_str(&tok), &in, &bundle, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "sign");
		goto out;
	}
	r = check_and_store(c, &bundle, (const uint8_t *)art, (size_t)n, dg, d);
	if (r == TG_OK && G.provenance) {
		/* a SLSA provenance for the same artifact, from the certified identity */
		tg_buf_reset(&tok);
		tg_buf_reset(&bundle);
		memset(&in, 0, sizeof(in));
		in.provenance_name = "artifact.txt";
		in.provenance_sha256 = dg;
		r = mint(c, &tok);
		if (r == TG_OK)
			r = tg_client_sign(&G.cl, tg_buf_str(&tok), &in, &bundle, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "sign --provenance");
		else
			r = check_and_store(c, &bundle, NULL, 0, dg, d);
	}
	if (r == TG_OK)
		pool_add(dg);
out:
	tg_buf_release_wipe(&tok);
	tg_buf_release(&bundle);
	return r;
}

/* POST /v1/verify for dg; the decision must be allow (or deny) for it,
 * with reasons when denied and the index of its log entry. */
static tg_err decide(struct client *c, const uint8_t dg[32], bool want_allow, struct tg_diag *d)
{
	struct tg_buf body = TG_BUF_INIT(256), resp = TG_BUF_INIT(LOAD_RESP_MAX);
	struct tg_arena a;
	const struct tg_json *v = NULL, *al, *deny, *idx;
	char want[72];
	int64_t li = -1;
	int status = 0;
	tg_err r;

	tg_arena_init(&a, 8 * 1024 * 1024);
	memcpy(want, "sha256:", 7);
	tg_hex_encode_to(want + 7, dg, 32);
	want[71] = '\0';
	r = tg_buf_addf(&body, "{\"digest\":\"%s\"}", want);
	if (r == TG_OK)
		r = hreq(c, "POST", "/v1/verify", "application/json", body.data, body.len, &status,
			 &resp, d);
	if (r != TG_OK)
		goto out;
	if (status != 200) {
		r = unexpected(status, &resp, "verify", d);
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r != TG_OK)
		goto out;
	al = tg_json_get(v, "allow");
	deny = tg_json_get(v, "deny");
	idx = tg_json_get(v, "decision_log_index");
	r = TG_E_VERIFY;
	if (!al || al->type != TG_JSON_BOOL || al->u.b != want_allow) {
		tg_diag_set(d, "verify: %s was %s, want %s", want,
			    al && al->type == TG_JSON_BOOL && al->u.b ? "allowed" : "denied",
			    want_allow ? "allowed" : "denied");
		if (!want_allow)
			goto out;
		/* say why */
		if (deny && deny->type == TG_JSON_ARRAY && deny->u.a.len &&
		    deny->u.a.items[0]->type == TG_JSON_STRING)
			tg_diag_set(d, "verify: %s denied: %.*s", want,
				    (int)deny->u.a.items[0]->u.s.len, deny->u.a.items[0]->u.s.p);
		goto out;
	}
	if (!tg_json_str_eq(tg_json_get(v, "artifact"), want)) {
		tg_diag_set(d, "verify: the decision is not about %s", want);
		goto out;
	}
	if (!deny || deny->type != TG_JSON_ARRAY || (deny->u.a.len == 0) != want_allow) {
		tg_diag_set(d, "verify: the reasons of the decision on %s do not fit it", want);
		goto out;
	}
	if (!idx || tg_json_num_i64(idx, &li) != TG_OK || li < 0) {
		tg_diag_set(d, "verify: no decision_log_index");
		goto out;
	}
	r = TG_OK;
out:
	tg_buf_release(&body);
	tg_buf_release(&resp);
	tg_arena_release(&a);
	return r;
}

static size_t pool_size(void)
{
	size_t n;
	pthread_mutex_lock(&pool.mu);
	n = pool.n;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

static tg_err op_verify(struct client *c, struct tg_diag *d)
{
	uint8_t dg[32];
	if (!pool_pick(c, dg))
		return TG_E_NOTFOUND; /* --once: used up, the client stops */
	return decide(c, dg, true, d);
}

static tg_err op_deny(struct client *c, struct tg_diag *d)
{
	uint8_t dg[32];
	tg_err r = tg_rand_bytes(dg, sizeof(dg));
	return r == TG_OK ? decide(c, dg, false, d) : r;
}

/* An AdmissionReview v1 for a Deployment of three containers pinned to
 * digests with stored evidence: allowed, with our uid. */
static tg_err op_admission(struct client *c, struct tg_diag *d)
{
	struct tg_buf body = TG_BUF_INIT(65536), resp = TG_BUF_INIT(LOAD_RESP_MAX);
	struct tg_arena a;
	const struct tg_json *v = NULL, *rs;
	char uid[40], hex[3][65];
	uint8_t dg[32];
	int status = 0, i;
	tg_err r = TG_OK;

	for (i = 0; i < 3; i++) {
		if (!pool_pick(c, dg))
			return TG_E_NOTFOUND;
		tg_hex_encode_to(hex[i], dg, 32);
		hex[i][64] = '\0';
	}
	tg_arena_init(&a, 8 * 1024 * 1024);
	snprintf(uid, sizeof(uid), "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)rnd(c),
		 (unsigned)(rnd(c) & 0xffff), (unsigned)(rnd(c) & 0xfff), (unsigned)(rnd(c) & 0xfff),
		 (unsigned long long)(rnd(c) & 0xffffffffffffULL));
	r = tg_buf_addf(
		&body,
		"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
		"\"uid\":\"%s\",\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
		"\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},"
		"\"name\":\"web\",\"namespace\":\"prod\",\"operation\":\"CREATE\","
		"\"userInfo\":{\"username\":\"tg-load\"},\"object\":{\"apiVersion\":\"apps/v1\","
		"\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"},"
		"\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
		"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":["
		"{\"name\":\"web\",\"image\":\"ghcr.io/acme/app@sha256:%s\"},"
		"{\"name\":\"worker\",\"image\":\"ghcr.io/acme/worker@sha256:%s\"},"
		"{\"name\":\"proxy\",\"image\":\"ghcr.io/acme/proxy@sha256:%s\"}]}}}},"
		"\"oldObject\":null,\"dryRun\":false}}",
		uid, hex[0], hex[1], hex[2]);
	if (r == TG_OK)
		r = hreq(c, "POST", "/v1/admission", "application/json", body.data, body.len, &status,
			 &resp, d);
	if (r != TG_OK)
		goto out;
	if (status != 200) {
		r = unexpected(status, &resp, "admission", d);
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r != TG_OK)
		goto out;
	rs = tg_json_get(v, "response");
	if (!tg_json_str_eq(tg_json_get(v, "kind"), "AdmissionReview") ||
	    !tg_json_str_eq(tg_json_get(rs, "uid"), uid)) {
		tg_diag_set(d, "admission: the answer is not the review of uid %s", uid);
		r = TG_E_VERIFY;
	} else if (!tg_json_get(rs, "allowed") || tg_json_get(rs, "allowed")->type != TG_JSON_BOOL ||
		   !tg_json_get(rs, "allowed")->u.b) {
		tg_diag_set(d, "admission: denied: %.*s", (int)(resp.len > 200 ? 200 : resp.len),
			    (const char *)resp.data);
		r = TG_E_VERIFY;
	}
out:
	tg_buf_release(&body);
	tg_buf_release(&resp);
	tg_arena_release(&a);
	return r;
}

static tg_err op_checkpoint(struct client *c, struct tg_diag *d)
{
	struct tg_buf resp = TG_BUF_INIT(LOAD_RESP_MAX);
	struct tg_checkpoint cp;
	int status = 0;
	tg_err r = hreq(c, "GET", "/v1/log/checkpoint", NULL, NULL, 0, &status, &resp, d);

	if (r == TG_OK && status != 200)
		r = unexpected(status, &resp, "checkpoint", d);
	if (r == TG_OK) {
		r = tg_checkpoint_open((const char *)resp.data, resp.len, &G.log_key, NULL, 0, 0, &cp, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "checkpoint");
	}
	if (r == TG_OK && cp.size < c->last_size) {
		tg_diag_set(d, "checkpoint: the log shrank from %llu to %llu entries",
			    (unsigned long long)c->last_size, (unsigned long long)cp.size);
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		c->last_size = cp.size;
	tg_buf_release(&resp);
	return r;
}

static tg_err op_get_exact(struct client *c, const char *path, const void *want, size_t wn,
			   struct tg_diag *d)
{
	struct tg_buf resp = TG_BUF_INIT(LOAD_RESP_MAX);
	int status = 0;
	tg_err r = hreq(c, "GET", path, NULL, NULL, 0, &status, &resp, d);
	if (r == TG_OK && status != 200)
		r = unexpected(status, &resp, path, d);
	if (r == TG_OK && (resp.len != wn || memcmp(resp.data, want, wn) != 0)) {
		tg_diag_set(d, "GET %s: the answer differs from the expected %zu bytes", path, wn);
		r = TG_E_VERIFY;
	}
	tg_buf_release(&resp);
	return r;
}

static tg_err op_trustroot(struct client *c, struct tg_diag *d)
{
	return op_get_exact(c, "/v1/trust-root", G.root_bytes.data, G.root_bytes.len, d);
}

static tg_err op_healthz(struct client *c, struct tg_diag *d)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";
	return op_get_exact(c, "/healthz", ok, sizeof(ok) - 1, d);
}

typedef tg_err (*op_fn)(struct client *, struct tg_diag *);
static const op_fn ops[NKINDS] = {op_attest, op_sign, op_verify, op_deny, op_admission,
				  op_checkpoint, op_trustroot, op_healthz};

/* ---- the clients ---- */

static void kstat_add(struct kstat *k, double ms, bool ok)
{
	k->calls++;
	if (!ok)
		k->errors++;
	if (k->nlat == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		k->lat = tg_xreallocarray(k->lat, k->cap, sizeof(*k->lat));
	}
	k->lat[k->nlat++] = ms;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	while (!atomic_load(&G.stop)) {
		struct tg_diag d;
		enum kind k = K_HEALTHZ;
		unsigned x;
		double t;
		tg_err r;

		if (G.prepare) {
			/* the clients share the N artifacts to prepare */
			if (atomic_fetch_add(&G.claimed, 1) >= G.prepare)
				break;
			k = K_SIGN;
		} else {
			if (now_s() >= G.end)
				break;
			x = (unsigned)(rnd(c) % G.wsum);
			for (k = 0; k < NKINDS; k++) {
				if (x < G.weights[k])
					break;
				x -= G.weights[k];
			}
			/* nothing stored yet to decide on: make something first */
			if ((k == K_VERIFY || k == K_ADMISSION) && !G.once && pool_size() < 3)
				k = K_SIGN;
		}
		tg_diag_init(&d);
		t = now_s();
		r = ops[k](c, &d);
		if (r == TG_E_NOTFOUND && (k == K_VERIFY || k == K_ADMISSION))
			break; /* --once and the digests are used up */
		kstat_add(&c->st[k], (now_s() - t) * 1000.0, r == TG_OK);
		if (r != TG_OK)
			record_error(k, d.msg[0] ? d.msg : tg_strerror(r));
	}
	conn_close(c);
	return NULL;
}

/* ---- RSS of tollgated ---- */

struct sample {
	double t;
	long pid;
	bool parent;
	long rss_kib;
};
static struct {
	long parent;
	double every;
	struct sample *s;
	size_t n, cap;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} rss = {0, 5, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static long proc_rss_kib(long pid)
{
	char path[64], line[256];
	FILE *f;
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0) {
			char *e;
			v = strtol(line + 6, &e, 10);
			break;
		}
	fclose(f);
	return v;
}

static long proc_ppid(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything, so the last ')' */
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 5)
		return -1;
	return strtol(p + 4, NULL, 10);
}

static void rss_sample(double t)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	long rk = proc_rss_kib(rss.parent);

	if (rk >= 0) {
		if (rss.n == rss.cap) {
			rss.cap = rss.cap ? 2 * rss.cap : 64;
			rss.s = tg_xreallocarray(rss.s, rss.cap, sizeof(*rss.s));
		}
		rss.s[rss.n++] = (struct sample){t, rss.parent, true, rk};
	}
	while (dir && (e = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || proc_ppid(pid) != rss.parent || (rk = proc_rss_kib(pid)) < 0)
			continue;
		if (rss.n == rss.cap) {
			rss.cap = rss.cap ? 2 * rss.cap : 64;
			rss.s = tg_xreallocarray(rss.s, rss.cap, sizeof(*rss.s));
		}
		rss.s[rss.n++] = (struct sample){t, pid, false, rk};
	}
	if (dir)
		closedir(dir);
}

static void *rss_main(void *arg)
{
	double next = 0;
	(void)arg;
	pthread_mutex_lock(&rss.mu);
	while (!atomic_load(&G.stop)) {
		double t = now_s() - G.t0;
		if (t >= next) {
			rss_sample(t);
			next += rss.every;
			continue;
		}
		{
			struct timespec ts;
			double wake = next - t;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)wake;
			ts.tv_nsec += (long)((wake - (double)(time_t)wake) * 1e9);
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&rss.cv, &rss.mu, &ts);
		}
	}
	rss_sample(now_s() - G.t0);
	pthread_mutex_unlock(&rss.mu);
	return NULL;
}

/* Prints the samples and judges each process from its first sample at or
 * after the warm-up to its last. False when one grew past the bound. */
static bool rss_report(double warmup, double pct, double mib)
{
	size_t i, j;
	bool flat = true, judged = false;

	printf("rss samples (KiB), every %.0f s, tollgated parent %ld:\n", rss.every, rss.parent);
	for (i = 0; i < rss.n; i++)
		printf("  t=%6.1fs pid=%ld %-6s rss_kib=%ld\n", rss.s[i].t, rss.s[i].pid,
		       rss.s[i].parent ? "parent" : "child", rss.s[i].rss_kib);
	for (i = 0; i < rss.n; i++) {
		const struct sample *first = NULL, *last = NULL;
		long peak = 0;
		bool seen = false;
		for (j = 0; j < i; j++)
			if (rss.s[j].pid == rss.s[i].pid)
				seen = true;
		if (seen)
			continue;
		for (j = 0; j < rss.n; j++) {
			if (rss.s[j].pid != rss.s[i].pid || rss.s[j].t < warmup)
				continue;
			if (!first)
				first = &rss.s[j];
			last = &rss.s[j];
			if (rss.s[j].rss_kib > peak)
				peak = rss.s[j].rss_kib;
		}
		if (!first || first == last) {
			printf("rss pid=%ld: fewer than two samples after the %.0f s warm-up: no verdict\n",
			       rss.s[i].pid, warmup);
			continue;
		}
		{
			double bound = first->rss_kib * pct / 100.0;
			long growth = last->rss_kib - first->rss_kib;
			if (bound < mib * 1024)
				bound = mib * 1024;
			judged = true;
			printf("rss pid=%ld %s: %ld KiB at %.0f s, %ld KiB at %.0f s (peak %ld): growth %ld "
			       "KiB, bound %.0f KiB: %s\n",
			       first->pid, first->parent ? "parent" : "child", first->rss_kib, first->t,
			       last->rss_kib, last->t, peak, growth, bound,
			       (double)growth <= bound ? "flat" : "GROWING");
			if ((double)growth > bound)
				flat = false;
		}
	}
	if (judged)
		printf("memory: %s (bound per process: max(%.0f%%, %.0f MiB) after %.0f s)\n",
		       flat ? "flat" : "NOT FLAT", pct, mib, warmup);
	return flat;
}

/* ---- setup ---- */

static void parse_mix(const char *spec)
{
	char *s = tg_xstrdup(spec), *p = s, *save = NULL, *tok;
	memset(G.weights, 0, sizeof(G.weights));
	G.wsum = 0;
	while ((tok = strtok_r(p, ",", &save)) != NULL) {
		char *eq = strchr(tok, '='), *end;
		long w;
		int k;
		p = NULL;
		if (!eq)
			goto bad;
		*eq = '\0';
		w = strtol(eq + 1, &end, 10);
		if (*end || w < 0 || w > 1000 || end == eq + 1)
			goto bad;
		for (k = 0; k < NKINDS; k++)
			if (strcmp(tok, kind_names[k]) == 0)
				break;
		if (k == NKINDS)
			goto bad;
		G.weights[k] = (unsigned)w;
		G.wsum += (unsigned)w;
	}
	free(s);
	if (G.wsum == 0)
		goto bad_nofree;
	return;
bad:
	free(s);
bad_nofree:
	fprintf(stderr, "tg_load: bad --mix '%s': want kind=weight,... with kinds attest sign "
			"verify deny admission checkpoint trustroot healthz\n%s",
		spec, usage);
	exit(2);
}

static void load_digests(const char *path)
{
	struct tg_buf b = TG_BUF_INIT(64 * 1024 * 1024);
	struct tg_diag d;
	const char *p, *e;
	size_t line = 0;

	tg_diag_init(&d);
	if (tg_fs_read(path, &b, &d) != TG_OK)
		die("cannot read --digests", TG_E_IO, &d);
	p = tg_buf_str(&b);
	e = p + b.len;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
		uint8_t dg[32];
		line++;
		if (n != 64 || tg_hex_decode_to(dg, 32, p, 64) != TG_OK) {
			fprintf(stderr, "tg_load: %s:%zu: want 64 hex digits\n", path, line);
			exit(2);
		}
		pool_add(dg);
		p += n + 1;
	}
	tg_buf_release(&b);
}

static void setup(const char *ca_file, const char *root_path, const char *key_path)
{
	struct tg_buf resp = TG_BUF_INIT(LOAD_RESP_MAX), kid = TG_BUF_INIT(64);
	struct tg_client *cl = &G.cl;
	struct tg_key *k = NULL;
	struct tg_diag d;
	struct client c;
	uint8_t tp[32];
	enum tg_note_alg alg;
	int status = 0;
	tg_err r;

	tg_diag_init(&d);
	cl->ca_file = ca_file;
	tg_buf_init(&G.root_bytes, TG_SIGN_MAX_DOC);
	if ((r = tg_fs_read(root_path, &G.root_bytes, &d)) != TG_OK ||
	    (r = tg_sign_trustroot_parse((const char *)G.root_bytes.data, G.root_bytes.len, &G.root,
					 &d)) != TG_OK)
		die("cannot load --trusted-root", r, &d);
	if (G.root.ntlogs < 1)
		die("--trusted-root names no transparency log", TG_E_PARSE, NULL);
	alg = tg_key_type(G.root.tlogs[0].key) == TG_KEY_ED25519 ? TG_NOTE_ED25519 : TG_NOTE_ECDSA;
	if ((r = tg_note_key_from(G.root.tlogs[0].origin, alg, G.root.tlogs[0].key, &G.log_key,
				  &d)) != TG_OK)
		die("the log key of --trusted-root", r, &d);
	if (key_path) {
		if ((r = tg_key_load_file(key_path, &k, &d)) != TG_OK)
			die("cannot load --issuer-key", r, &d);
		if (!tg_key_is_private(k))
			die("--issuer-key holds a public key", TG_E_KEY, NULL);
		/* the kid the issuer's JWKS (tollgate key public --format jwk) has */
		r = tg_key_thumbprint(k, tp);
		if (r == TG_OK)
			r = tg_b64_encode(&kid, tp, sizeof(tp), TG_B64_URL);
		if (r == TG_OK)
			r = tg_key_with_kid(k, tg_buf_str(&kid), &G.issuer_key);
		tg_key_free(k);
		if (r != TG_OK)
			die("issuer key", r, NULL);
	}
	G.ctx = SSL_CTX_new(TLS_client_method());
	if (!G.ctx || SSL_CTX_set_min_proto_version(G.ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(G.ctx, ca_file, NULL) != 1)
		die("cannot set up TLS with --ca-file", TG_E_CRYPTO, NULL);
	SSL_CTX_set_verify(G.ctx, SSL_VERIFY_PEER, NULL);
	/* the trust domain's bundle, over TLS authenticated by --ca-file */
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	r = hreq(&c, "GET", "/v1/bundle", NULL, NULL, 0, &status, &resp, &d);
	if (r == TG_OK && status != 200)
		r = unexpected(status, &resp, "GET /v1/bundle", &d);
	if (r == TG_OK) {
		G.bundles.b = tg_xcalloc(1, sizeof(*G.bundles.b));
		G.bundles.n = 1;
		r = tg_bundle_parse(G.td, (const char *)resp.data, resp.len, &G.bundles.b[0], &d);
	}
	if (r != TG_OK)
		die("cannot get the trust domain's bundle", r, &d);
	conn_close(&c);
	tg_buf_release(&resp);
	tg_buf_release(&kid);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"ca-file", required_argument, NULL, 'c'},
		{"trusted-root", required_argument, NULL, 'r'},
		{"issuer-key", required_argument, NULL, 'k'},
		{"issuer", required_argument, NULL, 'i'},
		{"audience", required_argument, NULL, 'a'},
		{"identity", required_argument, NULL, 'I'},
		{"spiffe-id", required_argument, NULL, 'S'},
		{"clients", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 't'},
		{"mix", required_argument, NULL, 'm'},
		{"digests", required_argument, NULL, 'd'},
		{"once", no_argument, NULL, 'o'},
		{"prepare", required_argument, NULL, 'P'},
		{"digests-out", required_argument, NULL, 'O'},
		{"provenance", no_argument, NULL, 'V'},
		{"pid", required_argument, NULL, 'p'},
		{"sample", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"rss-pct", required_argument, NULL, 'x'},
		{"rss-mib", required_argument, NULL, 'y'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *url = NULL, *ca = NULL, *root = NULL, *key = NULL, *digests = NULL,
		   *digests_out = NULL;
	double warmup = 10, pct = 10, mib = 8, elapsed;
	struct client *cs;
	struct tg_diag d;
	uint64_t calls = 0, errors = 0;
	bool flat = true;
	unsigned i;
	int o, k;

	G.issuer = GH_ISS;
	G.audience = "tollgate";
	G.identity = GH_SAN;
	G.spiffe_id = "spiffe://tollgate.test/ci/acme/app";
	G.td = "tollgate.test";
	G.clients = 8;
	G.seconds = 10;
	parse_mix("attest=4,sign=2,verify=3,deny=1,checkpoint=1,trustroot=1,healthz=1");
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end = NULL;
		double v = optarg ? strtod(optarg, &end) : 0;
		bool num_ok = optarg && end != optarg && !*end && v >= 0;
		switch (o) {
		case 'u': url = optarg; break;
		case 'c': ca = optarg; break;
		case 'r': root = optarg; break;
		case 'k': key = optarg; break;
		case 'i': G.issuer = optarg; break;
		case 'a': G.audience = optarg; break;
		case 'I': G.identity = optarg; break;
		case 'S': G.spiffe_id = optarg; break;
		case 'm': parse_mix(optarg); break;
		case 'd': digests = optarg; break;
		case 'o': G.once = true; break;
		case 'O': digests_out = optarg; break;
		case 'V': G.provenance = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'n': case 't': case 'P': case 'p': case 's': case 'w': case 'x': case 'y':
			if (!num_ok || (o == 'n' && (v < 1 || v > LOAD_CLIENTS_MAX)) ||
			    (o == 's' && v < 0.1)) {
				fprintf(stderr, "tg_load: bad number '%s' for --%s\n", optarg,
					o == 'n' ? "clients" : o == 't' ? "seconds" : o == 'P' ? "prepare"
					: o == 'p' ? "pid" : o == 's' ? "sample" : o == 'w' ? "warmup"
					: o == 'x' ? "rss-pct" : "rss-mib");
				return 2;
			}
			if (o == 'n') G.clients = (unsigned)v;
			if (o == 't') G.seconds = v;
			if (o == 'P') G.prepare = (size_t)v;
			if (o == 'p') rss.parent = (long)v;
			if (o == 's') rss.every = v;
			if (o == 'w') warmup = v;
			if (o == 'x') pct = v;
			if (o == 'y') mib = v;
			break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || !url || !ca || !root || (!key && (G.weights[K_ATTEST] ||
						G.weights[K_SIGN] || G.prepare || !digests))) {
		fprintf(stderr, "tg_load: give --url, --ca-file, --trusted-root and --issuer-key\n%s",
			usage);
		return 2;
	}
	if (G.prepare && !digests_out) {
		fprintf(stderr, "tg_load: --prepare needs --digests-out FILE\n");
		return 2;
	}
	tg_diag_init(&d);
	if (tg_client_url(url, &G.cl, &d) != TG_OK) {
		fprintf(stderr, "tg_load: %s\n", d.msg);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	{
		/* the trust domain is the SPIFFE ID's */
		struct tg_spiffe_id id;
		static char td[TG_SPIFFE_TD_MAX + 1];
		if (tg_spiffe_id_parse(G.spiffe_id, strlen(G.spiffe_id), &id, &d) != TG_OK) {
			fprintf(stderr, "tg_load: --spiffe-id: %s\n", d.msg);
			return 2;
		}
		tg_spiffe_id_td(&id, td);
		G.td = td;
	}
	pool.d = tg_xcalloc(LOAD_POOL_MAX, 32);
	setup(ca, root, key);
	if (digests)
		load_digests(digests);

	cs = tg_xcalloc(G.clients, sizeof(*cs));
	G.t0 = now_s();
	G.end = G.t0 + G.seconds;
	if (rss.parent > 0 && pthread_create(&rss.th, NULL, rss_main, NULL) != 0)
		die("cannot start the RSS sampler", TG_E_INTERNAL, NULL);
	for (i = 0; i < G.clients; i++) {
		cs[i].id = i;
		cs[i].fd = -1;
		if (tg_rand_bytes(&cs[i].rng, sizeof(cs[i].rng)) != TG_OK)
			die("random", TG_E_CRYPTO, NULL);
		cs[i].rng |= 1;
		if (pthread_create(&cs[i].th, NULL, client_main, &cs[i]) != 0)
			die("cannot start a client thread", TG_E_INTERNAL, NULL);
	}
	for (i = 0; i < G.clients; i++)
		pthread_join(cs[i].th, NULL);
	elapsed = now_s() - G.t0;
	atomic_store(&G.stop, 1);
	if (rss.parent > 0) {
		pthread_mutex_lock(&rss.mu);
		pthread_cond_signal(&rss.cv);
		pthread_mutex_unlock(&rss.mu);
		pthread_join(rss.th, NULL);
	}

	printf("tg_load: %u clients, %.1f s%s, %s\n", G.clients, elapsed,
	       G.once ? " (each digest once)" : "", url);
	for (k = 0; k < NKINDS; k++) {
		uint64_t nc = 0, ne = 0;
		double *lat = NULL;
		size_t nl = 0;
		for (i = 0; i < G.clients; i++) {
			struct kstat *s = &cs[i].st[k];
			nc += s->calls;
			ne += s->errors;
			if (s->nlat) {
				lat = tg_xreallocarray(lat, nl + s->nlat, sizeof(*lat));
				memcpy(lat + nl, s->lat, s->nlat * sizeof(*lat));
				nl += s->nlat;
			}
			free(s->lat);
		}
		if (!nl)
			continue;
		qsort(lat, nl, sizeof(*lat), cmp_double);
		printf("%-10s calls=%llu errors=%llu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f rate=%.1f\n",
		       kind_names[k], (unsigned long long)nc, (unsigned long long)ne, lat[nl / 2],
		       lat[(nl * 99) / 100], lat[nl - 1], (double)nc / elapsed);
		calls += nc;
		errors += ne;
		free(lat);
	}
	printf("%-10s calls=%llu errors=%llu rate=%.1f\n", "total", (unsigned long long)calls,
	       (unsigned long long)errors, (double)calls / elapsed);
	for (k = 0; k < NKINDS; k++)
		for (i = 0; i < errs.n[k]; i++)
			printf("error %s: %s\n", kind_names[k], errs.msg[k][i]);
	if (rss.parent > 0)
		flat = rss_report(warmup, pct, mib);
	if (digests_out) {
		struct tg_buf out = TG_BUF_INIT(64 * 1024 * 1024);
		size_t j;
		tg_err r = TG_OK;
		for (j = 0; r == TG_OK && j < pool.n; j++) {
			r = tg_hex_encode(&out, pool.d[j], 32);
			if (r == TG_OK)
				r = tg_buf_addc(&out, '\n');
		}
		if (r == TG_OK)
			r = tg_fs_write_atomic(digests_out, out.data, out.len, 0644, 0, &d);
		if (r != TG_OK)
			die("cannot write --digests-out", r, &d);
		tg_buf_release(&out);
	}
	fflush(stdout);
	free(cs);
	free(pool.d);
	free(rss.s);
	tg_key_free(G.issuer_key);
	tg_bundle_set_release(&G.bundles);
	tg_note_key_release(&G.log_key);
	tg_sign_trustroot_release(&G.root);
	tg_buf_release(&G.root_bytes);
	SSL_CTX_free(G.ctx);
	if (calls == 0) {
		printf("tg_load: no call was made\n");
		return 1;
	}
	return errors == 0 && flat ? 0 : 1;
}
#endif /* TG_LOAD_FUZZ */
