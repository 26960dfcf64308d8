/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c - the CLI's side of tollgated: one HTTPS request per connection
 * (TLS 1.3, the server authenticated as spiffe://<td>/tollgated by the
 * trust domain's roots), and the flows built on it: attestation and
 * keyless signing with a fresh key, a CSR and the server's CA, TSA and log.
 */
#include "server/server.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "sign/sign.h"

#define CLIENT_RESP_MAX (16 * 1024 * 1024) /* bytes of a response we read */
#define CLIENT_TIMEOUT_SEC 60 /* the longest wait for the network without timeout_ms */
#define TG_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

tg_err tg_client_url(const char *url, struct tg_client *c, struct tg_diag *d)
{
	const char *h, *e, *colon;
	size_t hl;

	if (strncmp(url, "https://", 8) != 0) {
		tg_diag_set(d, "server URL '%s' must start with https://", url);
		return TG_E_PARSE;
	}
	h = url + 8;
	e = h + strcspn(h, "/");
	if (*e && strcmp(e, "/") != 0) {
		tg_diag_set(d, "server URL '%s' must have no path", url);
		return TG_E_PARSE;
	}
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));
		if (!rb) {
			tg_diag_set(d, "server URL '%s': unterminated [IPv6]", url);
			return TG_E_PARSE;
		}
		colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
		h++;
		hl = (size_t)(rb - h);
	} else {
		colon = memchr(h, ':', (size_t)(e - h));
		hl = (size_t)((colon ? colon : e) - h);
	}
	if (hl == 0 || hl >= sizeof(c->host) ||
	    (colon && ((size_t)(e - colon - 1) == 0 || (size_t)(e - colon - 1) >= sizeof(c->port)))) {
		tg_diag_set(d, "server URL '%s' needs https://HOST[:PORT]", url);
		return TG_E_PARSE;
	}
	memcpy(c->host, h, hl);
	c->host[hl] = '\0';
	if (colon) {
		memcpy(c->port, colon + 1, (size_t)(e - colon - 1));
		c->port[e - colon - 1] = '\0';
		for (const char *p = c->port; *p; p++)
			if (*p < '0' || *p > '9') {
				tg_diag_set(d, "server URL '%s': bad port", url);
				return TG_E_PARSE;
			}
	} else {
		memcpy(c->port, "443", 4);
	}
	return TG_OK;
}

/* The server must present an X509-SVID whose SPIFFE ID is .../tollgated. */
static bool is_tollgated(X509 *x)
{
	GENERAL_NAMES *gn = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	bool ok = false;
	int i;
	for (i = 0; gn && i < sk_GENERAL_NAME_num(gn); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
		const unsigned char *p;
		int n;
		if (g->type != GEN_URI)
			continue;
		p = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (n > 19 && memcmp(p, "spiffe://", 9) == 0 && memcmp(p + n - 10, "/tollgated", 10) == 0 &&
		    memchr(p + 9, '/', (size_t)n - 9) == p + n - 10)
			ok = true;
	}
	GENERAL_NAMES_free(gn);
	return ok;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The end of one wait: the exchange's deadline (0: none), and never more
 * than CLIENT_TIMEOUT_SEC from now. */
static int64_t wait_end(int64_t deadline)
{
	int64_t w = mono_ms() + CLIENT_TIMEOUT_SEC * 1000;
	return deadline && deadline < w ? deadline : w;
}

/* Waits until fd is readable (in) or writable; false at end. */
static bool wait_fd(int fd, bool in, int64_t end)
{
	for (;;) {
		struct pollfd p = {fd, (short)(in ? POLLIN : POLLOUT), 0};
		int64_t left = end - mono_ms();
		int n;
		if (left <= 0)
			return false;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

static tg_err timed_out(const struct tg_client *c, const char *step, int64_t deadline,
			struct tg_diag *d)
{
	if (deadline && mono_ms() >= deadline)
		tg_diag_set(d, "%s with %s:%s timed out: no answer within %d ms", step, c->host,
			    c->port, c->timeout_ms);
	else
		tg_diag_set(d, "%s with %s:%s timed out: nothing for %d s", step, c->host, c->port,
			    CLIENT_TIMEOUT_SEC);
	return TG_E_TIMEOUT;
}

/* A non-blocking TCP connection, within connect_timeout_ms (and the
 * exchange's deadline); -1 with d set, *to when time ran out. */
static int dial(const struct tg_client *c, int64_t deadline, bool *to, struct tg_diag *d)
{
	struct addrinfo hints, *ai = NULL, *p;
	int64_t end = mono_ms() + (c->connect_timeout_ms > 0 ? c->connect_timeout_ms
							      : CLIENT_TIMEOUT_SEC * 1000);
	int fd = -1, e, err = 0;

	if (deadline && deadline < end)
		end = deadline;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	e = getaddrinfo(c->host, c->port, &hints, &ai);
	if (e != 0) {
		tg_diag_set(d, "cannot resolve '%s': %s", c->host, gai_strerror(e));
		return -1;
	}
	*to = false;
	for (p = ai; p; p = p->ai_next) {
		socklen_t sl = sizeof(err);
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			if (wait_fd(fd, false, end)) {
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
					break;
			} else {
				*to = true;
			}
		}
		close(fd);
		fd = -1;
		if (*to)
			break;
	}
	freeaddrinfo(ai);
	if (fd < 0 && *to)
		tg_diag_set(d, "cannot connect to %s:%s: no answer within %lld ms", c->host, c->port,
			    (long long)(c->connect_timeout_ms > 0 ? c->connect_timeout_ms
								  : CLIENT_TIMEOUT_SEC * 1000));
	else if (fd < 0)
		tg_diag_set(d, "cannot connect to %s:%s%s%s", c->host, c->port, err ? ": " : "",
			    err ? strerror(err) : "");
	return fd;
}

/* After an SSL call on the non-blocking fd returned rc: true when it is to
 * be repeated (the socket is ready); false on an error, the end of the
 * stream, or a timeout (then *to). */
static bool ssl_again(SSL *ssl, int fd, int rc, int64_t deadline, bool *to)
{
	int e = SSL_get_error(ssl, rc);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		return false;
	if (wait_fd(fd, e == SSL_ERROR_WANT_READ, wait_end(deadline)))
		return true;
	*to = true;
	return false;
}

tg_err tg_client_request(const struct tg_client *c, const char *method, const char *path,
			 const char *ctype, const uint8_t *body, size_t len, int *status,
			 struct tg_buf *resp, struct tg_diag *d)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	struct tg_buf raw = TG_BUF_INIT(CLIENT_RESP_MAX), req = TG_BUF_INIT(CLIENT_RESP_MAX);
	int64_t deadline = c->timeout_ms > 0 ? mono_ms() + c->timeout_ms : 0;
	bool to = false;
	int fd = -1, rc;
	tg_err r = TG_E_IO;

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		r = TG_E_CRYPTO;
		goto out;
	}
	if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
		tg_diag_set(d, "cannot load the server CA file '%s'", c->ca_file);
		r = TG_E_IO;
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (c->cert_file &&
	    (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		tg_diag_set(d, "cannot load the client SVID '%s' and its key '%s'", c->cert_file,
			    c->key_file);
		r = TG_E_KEY;
		goto out;
	}
	fd = dial(c, deadline, &to, d);
	if (fd < 0) {
		r = to ? TG_E_TIMEOUT : TG_E_IO;
		goto out;
	}
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		r = TG_E_CRYPTO;
		goto out;
	}
	while ((rc = SSL_connect(ssl)) != 1 && ssl_again(ssl, fd, rc, deadline, &to))
		;
	if (to) {
		r = timed_out(c, "the TLS handshake", deadline, d);
		goto out;
	}
	if (rc != 1) {
		unsigned long e = ERR_peek_last_error();
		tg_diag_set(d, "TLS handshake with %s:%s failed: %s", c->host, c->port,
			    e ? ERR_reason_error_string(e) : "connection closed");
		r = TG_E_VERIFY;
		goto out;
	}
	if (!SSL_get0_peer_certificate(ssl) || !is_tollgated(SSL_get0_peer_certificate(ssl))) {
		tg_diag_set(d, "the server's certificate does not name spiffe://<td>/tollgated");
		r = TG_E_VERIFY;
		goto out;
	}
	r = tg_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, path,
			c->host);
	if (r == TG_OK && c->bearer)
		r = tg_buf_addf(&req, "Authorization: Bearer %s\r\n", c->bearer);
	if (r == TG_OK && body)
		r = tg_buf_addf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, len);
	if (r == TG_OK)
		r = tg_buf_adds(&req, "\r\n");
	if (r == TG_OK && body && len)
		r = tg_buf_add(&req, body, len);
	if (r != TG_OK)
		goto out;
	{
		size_t w = 0;
		/* a retry repeats the same call (OpenSSL's rule) */
		while ((rc = SSL_write_ex(ssl, req.data, req.len, &w)) != 1 &&
		       ssl_again(ssl, fd, rc, deadline, &to))
			;
		if (to) {
			r = timed_out(c, "sending the request", deadline, d);
			goto out;
		}
		if (rc != 1 || w != req.len) {
			tg_diag_set(d, "cannot send the request to %s:%s", c->host, c->port);
			r = TG_E_IO;
			goto out;
		}
	}
	for (;;) {
		uint8_t *p = tg_buf_reserve(&raw, 16384);
		size_t got = 0;
		if (!p) {
			tg_diag_set(d, "the response exceeds %d bytes", CLIENT_RESP_MAX);
			r = TG_E_TOOBIG;
			goto out;
		}
		rc = SSL_read_ex(ssl, p, 16384, &got);
		if (rc == 1) {
			tg_buf_commit(&raw, got);
			continue;
		}
		if (ssl_again(ssl, fd, rc, deadline, &to))
			continue;
		if (to) {
			r = timed_out(c, "waiting for the answer", deadline, d);
			goto out;
		}
		break; /* the end of the answer, or an error: judged below */
	}
	{
		const char *s = (const char *)raw.data, *hend;
		const uint8_t *b;
		size_t blen;
		if (raw.len < 12 || memcmp(s, "HTTP/1.1 ", 9) != 0 || s[9] < '1' || s[9] > '5' ||
		    s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9') {
			tg_diag_set(d, "malformed HTTP response from %s:%s", c->host, c->port);
			r = TG_E_PARSE;
			goto out;
		}
		*status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
		hend = memmem(s, raw.len, "\r\n\r\n", 4);
		if (!hend) {
			tg_diag_set(d, "truncated HTTP response from %s:%s", c->host, c->port);
			r = TG_E_PARSE;
			goto out;
		}
		b = (const uint8_t *)hend + 4;
		blen = raw.len - (size_t)(b - raw.data);
		{
			/* Content-Length must match what arrived before close */
			const char *cl = memmem(s, (size_t)(hend - s), "\r\nContent-Length: ", 18);
			if (cl) {
				size_t v = 0;
				for (cl += 18; *cl >= '0' && *cl <= '9'; cl++)
					v = v * 10 + (size_t)(*cl - '0');
				if (v != blen) {
					tg_diag_set(d, "truncated HTTP response body from %s:%s", c->host,
						    c->port);
					r = TG_E_PARSE;
					goto out;
				}
			}
		}
		r = tg_buf_add(resp, b, blen);
	}
out:
	ERR_clear_error();
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	if (fd >= 0)
		close(fd);
	SSL_CTX_free(ctx);
	tg_buf_release_wipe(&req);
	tg_buf_release(&raw);
	return r;
}

/* The server's {"error":{"code","message"}} as a diagnostic. */
static tg_err server_error(int status, const struct tg_buf *resp, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *v = NULL, *m;
	tg_arena_init(&a, 1 << 20);
	if (tg_json_parse(&a, resp->data, resp->len, NULL, &v, NULL, NULL) == TG_OK &&
	    (m = tg_json_get(tg_json_get(v, "error"), "message")) && m->type == TG_JSON_STRING)
		tg_diag_set(d, "server answered %d: %.*s", status, (int)m->u.s.len, m->u.s.p);
	else
		tg_diag_set(d, "server answered %d", status);
	tg_arena_release(&a);
	/* 5xx: the service failed, not the request (exit status 3) */
	return status == 401 || status == 403 ? TG_E_DENIED
	       : status >= 500		   ? TG_E_AGAIN
					   : TG_E_INVAL;
}

/* A JSON string member, NUL-terminated, out of a. */
static const char *json_s(const struct tg_json *o, const char *key, size_t *n)
{
	const struct tg_json *v = tg_json_get(o, key);
	if (!v || v->type != TG_JSON_STRING)
		return NULL;
	if (n)
		*n = v->u.s.len;
	return v->u.s.p;
}

tg_err tg_client_csr(EVP_PKEY *pk, struct tg_buf *out)
{
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	tg_err r = TG_E_CRYPTO;
	if (req && bio && X509_REQ_set_version(req, 0) == 1 && X509_REQ_set_pubkey(req, pk) == 1 &&
	    X509_REQ_sign(req, pk, EVP_sha256()) > 0 && PEM_write_bio_X509_REQ(bio, req) == 1 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0)
		r = tg_buf_add(out, p, (size_t)n);
	ERR_clear_error();
	BIO_free(bio);
	X509_REQ_free(req);
	return r;
}

tg_err tg_client_attest(const struct tg_client *c, const char *kind, const char *token, size_t n,
			const char *spiffe_id, const char *const *aud, size_t naud, bool x509,
			struct tg_client_attest_out *out, struct tg_diag *d)
{
	struct tg_buf body = TG_BUF_INIT(1 << 20), resp = TG_BUF_INIT(CLIENT_RESP_MAX),
		      csr = TG_BUF_INIT(16384);
	struct tg_arena a;
	EVP_PKEY *pk = NULL;
	const struct tg_json *v = NULL, *jw;
	const char *s;
	size_t i, sl;
	int status = 0;
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	r = tg_buf_addf(&body, "{\"%s\":", strcmp(kind, "oidc") == 0 ? "oidc_token" : "join_token");
	if (r == TG_OK)
		r = tg_json_add_string(&body, token, n);
	if (r == TG_OK && spiffe_id) {
		r = tg_buf_adds(&body, ",\"spiffe_id\":");
		if (r == TG_OK)
			r = tg_json_add_string(&body, spiffe_id, strlen(spiffe_id));
	}
	if (r == TG_OK && x509) {
		pk = EVP_EC_gen("P-256");
		r = pk ? tg_client_csr(pk, &csr) : TG_E_CRYPTO;
		if (r == TG_OK)
			r = tg_buf_adds(&body, ",\"csr\":");
		if (r == TG_OK)
			r = tg_json_add_string(&body, (const char *)csr.data, csr.len);
	}
	if (r == TG_OK && naud) {
		r = tg_buf_adds(&body, ",\"jwt_audiences\":[");
		for (i = 0; r == TG_OK && i < naud; i++) {
			if (i)
				r = tg_buf_addc(&body, ',');
			if (r == TG_OK)
				r = tg_json_add_string(&body, aud[i], strlen(aud[i]));
		}
		if (r == TG_OK)
			r = tg_buf_addc(&body, ']');
	}
	if (r == TG_OK)
		r = tg_buf_addc(&body, '}');
	if (r == TG_OK)
		r = tg_client_request(c, "POST", "/v1/attest", "application/json", body.data, body.len,
				      &status, &resp, d);
	if (r != TG_OK)
		goto out;
	if (status != 200) {
		r = server_error(status, &resp, d);
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r == TG_OK && !(s = json_s(v, "spiffe_id", &sl))) {
		tg_diag_set(d, "the server's answer has no spiffe_id");
		r = TG_E_PARSE;
	}
	if (r == TG_OK)
		r = tg_buf_add(&out->spiffe_id, s, sl);
	if (r == TG_OK && x509) {
		BIO *bio = BIO_new(BIO_s_mem());
		char *p;
		long pn;
		if (!(s = json_s(v, "x509_svid", &sl))) {
			tg_diag_set(d, "the server's answer has no x509_svid");
			r = TG_E_PARSE;
		}
		if (r == TG_OK)
			r = tg_buf_add(&out->chain_pem, s, sl);
		if (r == TG_OK && (s = json_s(v, "bundle", &sl)) != NULL)
			r = tg_buf_add(&out->bundle_pem, s, sl);
		if (r == TG_OK && (!bio || PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
				   (pn = BIO_get_mem_data(bio, &p)) <= 0))
			r = TG_E_CRYPTO;
		if (r == TG_OK)
			r = tg_buf_add(&out->key_pem, p, (size_t)pn);
		if (bio)
			OPENSSL_cleanse(p, (size_t)BIO_get_mem_data(bio, &p));
		BIO_free(bio);
	}
	jw = tg_json_get(v, "jwt_svids");
	for (i = 0; r == TG_OK && jw && jw->type == TG_JSON_ARRAY && i < jw->u.a.len; i++) {
		if (!(s = json_s(jw->u.a.items[i], "token", &sl))) {
			r = TG_E_PARSE;
			break;
		}
		r = tg_buf_add(&out->jwts, s, sl);
		if (r == TG_OK)
			r = tg_buf_addc(&out->jwts, '\n');
	}
out:
	ERR_clear_error();
	EVP_PKEY_free(pk);
	tg_buf_release_wipe(&body);
	tg_buf_release_wipe(&resp);
	tg_buf_release(&csr);
	tg_arena_release(&a);
	return r;
}

/* An RFC 3161 TimeStampReq over SHA-256(data), certReq, a random nonce. */
static tg_err make_tsq(const uint8_t *data, size_t len, struct tg_buf *out)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *algo = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char *der = NULL, raw[8];
	uint8_t digest[32];
	int n;
	tg_err r = TG_E_CRYPTO;

	if (tg_hash(TG_SHA256, data, len, digest) != TG_OK || RAND_bytes(raw, sizeof(raw)) != 1)
		goto out;
	raw[0] = (uint8_t)((raw[0] & 0x7f) | 1);
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (!req || !mi || !algo || !nonce || !TS_REQ_set_version(req, 1) ||
	    !X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, algo) || !TS_MSG_IMPRINT_set_msg(mi, digest, 32) ||
	    !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, nonce) ||
	    !TS_REQ_set_cert_req(req, 1) || (n = i2d_TS_REQ(req, &der)) <= 0)
		goto out;
	r = tg_buf_add(out, der, (size_t)n);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	BN_free(bn);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(algo);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

/* The UTF8String value of the certificate extension oid into dst
 * (NUL-terminated); *present false when the certificate has none. */
static tg_err utf8_ext(const struct tg_x509 *x, const char *oid, char *dst, size_t cap,
		       bool *present, struct tg_diag *d)
{
	struct tg_buf v = TG_BUF_INIT(8192);
	bool crit = false;
	size_t off = 0, n = 0;
	tg_err r = tg_x509_ext(x, oid, &crit, &v);

	*present = false;
	if (r == TG_E_NOTFOUND) {
		tg_buf_release(&v);
		return TG_OK;
	}
	if (r == TG_OK && v.len >= 2 && v.data[0] == 0x0c) {
		if (v.data[1] < 0x80) {
			n = v.data[1];
			off = 2;
		} else if (v.data[1] == 0x81 && v.len >= 3) {
			n = v.data[2];
			off = 3;
		} else if (v.data[1] == 0x82 && v.len >= 4) {
			n = (size_t)v.data[2] << 8 | v.data[3];
			off = 4;
		}
	}
	if (r == TG_OK && (off == 0 || off + n != v.len || n >= cap || memchr(v.data + off, 0, n))) {
		tg_diag_set(d, "the signing certificate's extension %s is not a UTF8String that fits",
			    oid);
		r = TG_E_PARSE;
	}
	if (r == TG_OK) {
		memcpy(dst, v.data + off, n);
		dst[n] = '\0';
		*present = true;
	}
	tg_buf_release(&v);
	return r;
}

/* The identity the server certified, read back from the signing
 * certificate exactly as the signer derived it from the verified token
 * (src/sign/oidc.c): the SAN, the issuer (.1.8), the Fulcio extensions
 * .1.9-.1.22 and, from them, the provenance fields. */
static tg_err cert_identity(const struct tg_x509 *leaf, struct tg_sign_identity *id,
			    struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_san *sans = NULL;
	size_t count = 0;
	bool crit = false, present = false;
	char oid[32];
	int k;
	tg_err r;

	memset(id, 0, sizeof(*id));
	tg_arena_init(&a, 1 << 20);
	r = tg_x509_sans(leaf, &a, &sans, &count, &crit);
	if (r == TG_OK && (count != 1 || (sans[0].type != TG_SAN_URI && sans[0].type != TG_SAN_EMAIL) ||
			   sans[0].len >= sizeof(id->san))) {
		tg_diag_set(d, "the signing certificate does not have exactly one URI or email SAN");
		r = TG_E_PARSE;
	}
	if (r == TG_OK) {
		memcpy(id->san, sans[0].value, sans[0].len);
		id->san_is_email = sans[0].type == TG_SAN_EMAIL;
		memcpy(id->builder_id, id->san, sizeof(id->san));
		r = utf8_ext(leaf, "1.3.6.1.4.1.57264.1.8", id->issuer, sizeof(id->issuer), &present,
			     d);
	}
	if (r == TG_OK && !present) {
		tg_diag_set(d, "the signing certificate names no OIDC issuer (1.3.6.1.4.1.57264.1.8)");
		r = TG_E_PARSE;
	}
	for (k = 9; r == TG_OK && k <= 22; k++) {
		snprintf(oid, sizeof(oid), "1.3.6.1.4.1.57264.1.%d", k);
		r = utf8_ext(leaf, oid, id->ext[id->next].value, sizeof(id->ext[0].value), &present,
			     d);
		if (r != TG_OK || !present)
			continue;
		memcpy(id->ext[id->next].oid, oid, strlen(oid) + 1);
		switch (k) {
		case 12: memcpy(id->repo_uri, id->ext[id->next].value, sizeof(id->repo_uri)); break;
		case 13:
		case 14:
		case 20: {
			char *dst = k == 13 ? id->repo_digest : k == 14 ? id->ref : id->trigger;
			size_t cap = k == 13 ? sizeof(id->repo_digest)
				     : k == 14 ? sizeof(id->ref)
					       : sizeof(id->trigger);
			size_t n = strlen(id->ext[id->next].value);
			if (n >= cap) {
				tg_diag_set(d, "the signing certificate's extension %s is too long", oid);
				r = TG_E_PARSE;
			} else {
				memcpy(dst, id->ext[id->next].value, n + 1);
			}
			break;
		}
		case 21: memcpy(id->run_uri, id->ext[id->next].value, sizeof(id->run_uri)); break;
		default: break;
		}
		id->next++;
	}
	tg_arena_release(&a);
	return r;
}

tg_err tg_client_sign(const struct tg_client *c, const char *oidc_token,
		      const struct tg_client_sign_in *in, struct tg_buf *out, struct tg_diag *d)
{
	struct tg_buf csr = TG_BUF_INIT(16384), body = TG_BUF_INIT(1 << 20),
		      resp = TG_BUF_INIT(CLIENT_RESP_MAX), sig = TG_BUF_INIT(1024),
		      leaf = TG_BUF_INIT(65536), tsq = TG_BUF_INIT(4096), tsr = TG_BUF_INIT(1 << 20),
		      entry = TG_BUF_INIT(1 << 20), stmt = TG_BUF_INIT(TG_SIGN_MAX_DOC),
		      pae = TG_BUF_INIT(TG_SIGN_MAX_DOC + 256);
	struct tg_x509_list chain = {NULL, 0};
	struct tg_arena a;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	const struct tg_json *v = NULL;
	struct tg_sign_identity *id = NULL;
	const uint8_t *payload = in->payload, *msg;
	size_t payload_len = in->payload_len, msg_len;
	bool dsse = in->payload || in->provenance_name;
	uint8_t digest[32];
	const char *s;
	size_t sl;
	int status = 0;
	tg_err r = TG_E_CRYPTO;

	tg_arena_init(&a, 32 * 1024 * 1024);
	/* a fresh key certifies itself via a CSR (proof of possession), then
	 * signs once: the statement of --provenance needs the certified
	 * identity first */
	pk = EVP_EC_gen("P-256");
	md = EVP_MD_CTX_new();
	if (!pk || !md)
		goto out;
	r = tg_client_csr(pk, &csr);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "{\"csr\":");
	if (r == TG_OK)
		r = tg_json_add_string(&body, (const char *)csr.data, csr.len);
	if (r == TG_OK && oidc_token) {
		r = tg_buf_adds(&body, ",\"oidc_token\":");
		if (r == TG_OK)
			r = tg_json_add_string(&body, oidc_token, strlen(oidc_token));
	}
	if (r == TG_OK)
		r = tg_buf_addc(&body, '}');
	if (r == TG_OK)
		r = tg_client_request(c, "POST", "/v1/signing-cert", "application/json", body.data,
				      body.len, &status, &resp, d);
	if (r == TG_OK && status != 201)
		r = server_error(status, &resp, d);
	if (r == TG_OK)
		r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r == TG_OK && !(s = json_s(v, "chain", &sl))) {
		tg_diag_set(d, "the server's answer has no chain");
		r = TG_E_PARSE;
	}
	if (r == TG_OK)
		r = tg_x509_list_from_pem(s, sl, &chain, d);
	if (r == TG_OK && chain.count == 0)
		r = TG_E_PARSE;
	if (r == TG_OK)
		r = tg_x509_to_der(chain.certs[0], &leaf);
	if (r == TG_OK) {
		const unsigned char *p = leaf.data;
		X509 *x = d2i_X509(NULL, &p, (long)leaf.len);
		EVP_PKEY *cpk = x ? X509_get0_pubkey(x) : NULL;
		if (!cpk || EVP_PKEY_eq(cpk, pk) != 1) {
			tg_diag_set(d, "the server certified another key than the CSR's");
			r = TG_E_VERIFY;
		}
		X509_free(x);
	}
	if (r == TG_OK && in->provenance_name) {
		const struct tg_json *pred = NULL;
		id = tg_xcalloc(1, sizeof(*id));
		r = cert_identity(chain.certs[0], id, d);
		if (r == TG_OK)
			r = tg_slsa_provenance(id, &a, &pred);
		if (r == TG_OK)
			r = tg_intoto_statement(in->provenance_name, in->provenance_sha256,
						"https://slsa.dev/provenance/v1", pred, &stmt);
		payload = stmt.data;
		payload_len = stmt.len;
	}
	if (r != TG_OK)
		goto out;
	if (dsse) {
		r = tg_dsse_pae(TG_INTOTO_PAYLOAD_TYPE, strlen(TG_INTOTO_PAYLOAD_TYPE), payload,
				payload_len, &pae);
		msg = pae.data;
		msg_len = pae.len;
	} else {
		msg = in->artifact ? in->artifact : (const uint8_t *)"";
		msg_len = in->artifact_len;
	}
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, msg, msg_len, digest);
	if (r != TG_OK)
		goto out;
	r = TG_E_CRYPTO;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1)
		goto out;
	{
		size_t sn = 0;
		uint8_t *p;
		if (EVP_DigestSign(md, NULL, &sn, msg, msg_len) != 1 || !(p = tg_buf_reserve(&sig, sn)) ||
		    EVP_DigestSign(md, p, &sn, msg, msg_len) != 1)
			goto out;
		tg_buf_commit(&sig, sn);
	}
	EVP_MD_CTX_free(md);
	md = NULL;
	EVP_PKEY_free(pk); /* the private half is gone from here on */
	pk = NULL;
	r = TG_OK;
	/* the timestamp over the signature */
	r = make_tsq(sig.data, sig.len, &tsq);
	if (r == TG_OK)
		r = tg_client_request(c, "POST", "/v1/timestamp", "application/timestamp-query",
				      tsq.data, tsq.len, &status, &tsr, d);
	if (r == TG_OK && status != 200)
		r = server_error(status, &tsr, d);
	if (r != TG_OK)
		goto out;
	/* the hashedrekord 0.0.2 entry */
	tg_buf_reset(&body);
	tg_buf_reset(&resp);
	r = tg_buf_adds(&body, "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":"
			       "{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"SHA2_256\",\"digest\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, digest, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\"},\"signature\":{\"content\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, sig.data, sig.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
				       "\"x509Certificate\":{\"rawBytes\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(&body, leaf.data, leaf.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "\"}}}}}}");
	if (r == TG_OK)
		r = tg_client_request(c, "POST", "/v1/log/entries", "application/json", body.data,
				      body.len, &status, &resp, d);
	if (r == TG_OK && status != 201)
		r = server_error(status, &resp, d);
	if (r == TG_OK)
		r = tg_json_parse(&a, resp.data, resp.len, NULL, &v, NULL, d);
	if (r == TG_OK && v->type != TG_JSON_OBJECT)
		r = TG_E_PARSE;
	if (r == TG_OK)
		r = tg_json_emit(&entry, v, 0);
	if (r != TG_OK)
		goto out;
	/* the Sigstore bundle v0.3 */
	r = tg_buf_adds(out, "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
			     "\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(out, leaf.data, leaf.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(out, "\"},\"tlogEntries\":[");
	if (r == TG_OK)
		r = tg_buf_add(out, entry.data, entry.len);
	if (r == TG_OK)
		r = tg_buf_adds(out, "],\"timestampVerificationData\":{\"rfc3161Timestamps\":"
				     "[{\"signedTimestamp\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(out, tsr.data, tsr.len, TG_B64_STD);
	if (r == TG_OK && dsse) {
		/* the envelope as the local signer writes it */
		r = tg_buf_adds(out, "\"}]}},\"dsseEnvelope\":{\"payload\":\"");
		if (r == TG_OK)
			r = tg_b64_encode(out, payload, payload_len, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_adds(out, "\",\"payloadType\":\"" TG_INTOTO_PAYLOAD_TYPE
					     "\",\"signatures\":[{\"sig\":\"");
		if (r == TG_OK)
			r = tg_b64_encode(out, sig.data, sig.len, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_adds(out, "\",\"keyid\":\"\"}]}}\n");
	} else if (r == TG_OK) {
		r = tg_buf_adds(out, "\"}]}},\"messageSignature\":{\"messageDigest\":{\"algorithm\":"
				     "\"SHA2_256\",\"digest\":\"");
		if (r == TG_OK)
			r = tg_b64_encode(out, digest, 32, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_adds(out, "\"},\"signature\":\"");
		if (r == TG_OK)
			r = tg_b64_encode(out, sig.data, sig.len, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_adds(out, "\"}}\n");
	}
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	tg_x509_list_release(&chain);
	tg_buf_release(&csr);
	tg_buf_release(&body);
	tg_buf_release(&resp);
	tg_buf_release(&sig);
	tg_buf_release(&leaf);
	tg_buf_release(&tsq);
	tg_buf_release(&tsr);
	tg_buf_release(&entry);
	tg_buf_release(&stmt);
	tg_buf_release(&pae);
	free(id);
	tg_arena_release(&a);
	return r;
}
