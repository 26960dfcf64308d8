/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch.c - the JWKS fetcher of tollgated: fetches each configured CI
 * issuer's JWK set over HTTPS and stores it for the signer (docs/config.md,
 * "Fetched JWK sets"; docs/internals/daemon.md).
 */

/*
 * A child process with network access and no key. For each issuer with a
 * `jwks_uri` or `discovery`, it fetches the set (server certificate
 * verified against the system roots or the issuer's `ca_file`, host name
 * checked), validates it as a JWK set, and writes it atomically to
 * <state_dir>/jwks/<issuer hash>.json, where the signer reads it at each
 * attestation. Refetched every `jwks_refresh` seconds; a failed fetch
 * keeps the last good set and retries with backoff. Whoever supplies the
 * keys decides which tokens are genuine, so it is neither the signer (no
 * network) nor the api worker (exposed to every client).
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "rego/rego_http.h"

#define FETCH_HEAD_MAX (32 * 1024) /* bytes of a response's status line and headers */
#define DISCOVERY_MAX (64 * 1024)  /* bytes of an OpenID provider configuration */

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable (in) or writable; false at the deadline. */
static bool wait_fd(int fd, bool in, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {fd, (short)(in ? POLLIN : POLLOUT), 0};
		int64_t left = deadline - mono_ms();
		int n;
		if (left <= 0)
			return false;
		n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* host[:port] of an https URL (IPv6 literals in brackets) */
static tg_err split_host(const struct tg_rego_url *u, char *host, size_t hl, char *port,
			 size_t pl, struct tg_diag *d)
{
	const char *h = u->host, *end = u->host + u->host_n, *colon = NULL;
	size_t n;
	if (u->host_n && h[0] == '[') {
		const char *rb = memchr(h, ']', u->host_n);
		if (!rb)
			goto bad;
		h++;
		n = (size_t)(rb - h);
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			goto bad;
	} else {
		colon = memchr(h, ':', u->host_n);
		n = colon ? (size_t)(colon - h) : u->host_n;
	}
	if (n == 0 || n >= hl || memchr(h, '@', n))
		goto bad;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon) {
		size_t m = (size_t)(end - colon - 1);
		if (m == 0 || m >= pl || m > 5)
			goto bad;
		for (size_t i = 0; i < m; i++)
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				goto bad;
		memcpy(port, colon + 1, m);
		port[m] = '\0';
	} else {
		memcpy(port, "443", 4);
	}
	return TG_OK;
bad:
	tg_diag_set(d, "the URL's host '%.*s' is not HOST[:PORT]", (int)u->host_n, u->host);
	return TG_E_PARSE;
}

static int tcp_connect(const char *host, const char *port, int64_t deadline, struct tg_diag *d)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc, err = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		tg_diag_set(d, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		socklen_t sl = sizeof(err);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS && wait_fd(fd, false, deadline) &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
			break;
		if (err == EINPROGRESS)
			err = ETIMEDOUT;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		tg_diag_set(d, "cannot connect to %s port %s: %s", host, port, strerror(err));
	return fd;
}

static void tls_diag(struct tg_diag *d, const char *what, const char *host, SSL *ssl)
{
	char e[256] = "";
	unsigned long code = ERR_get_error();
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (vr != X509_V_OK)
		(void)snprintf(e, sizeof(e), "certificate: %s", X509_verify_cert_error_string(vr));
	else if (code)
		ERR_error_string_n(code, e, sizeof(e));
	else
		(void)snprintf(e, sizeof(e), "%s", errno ? strerror(errno) : "connection closed");
	ERR_clear_error();
	tg_diag_set(d, "TLS %s with %s failed: %s", what, host, e);
}

/* Drives one non-blocking SSL call to completion; 1 done, 0 EOF, -1 error. */
static int ssl_io(SSL *ssl, int fd, int64_t deadline, int rc)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(fd, true, deadline) ? 2 : -1;
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(fd, false, deadline) ? 2 : -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		return -1;
	}
}

tg_err tg_https_get(const char *url, const char *ca_file, size_t max_body, int timeout_ms,
		    struct tg_buf *body, struct tg_diag *d)
{
	struct tg_rego_url u;
	struct tg_rego_http_resp resp;
	struct tg_buf req = TG_BUF_INIT(8 * TG_KIB), in = TG_BUF_INIT(FETCH_HEAD_MAX + max_body);
	char host[256], port[8], msg[TG_DIAG_MSG_MAX];
	int64_t deadline = mono_ms() + timeout_ms;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	struct in6_addr ip6;
	struct in_addr ip4;
	bool is_ip, eof = false;
	size_t used = 0;
	int fd = -1, rc;
	tg_err r;

	tg_rego_http_resp_init(&resp, max_body);
	r = tg_rego_url_parse(url, strlen(url), &u, msg, sizeof(msg));
	if (r != TG_OK) {
		tg_diag_set(d, "%s", msg);
		goto out;
	}
	if (strcmp(u.scheme_lc, "https") != 0 || u.opaque) {
		tg_diag_set(d, "'%s' is not an https:// URL", url);
		r = TG_E_INVAL;
		goto out;
	}
	r = split_host(&u, host, sizeof(host), port, sizeof(port), d);
	if (r == TG_OK)
		r = tg_buf_addf(&req, "GET %.*s%s%.*s HTTP/1.1\r\nHost: %.*s\r\n"
				  "User-Agent: tollgated\r\n"
				  "Accept: application/json\r\nConnection: close\r\n\r\n",
				  (int)(u.path_n ? u.path_n : 1), u.path_n ? u.path : "/",
				  u.query_n || u.force_query ? "?" : "", (int)u.query_n,
				  u.query ? u.query : "", (int)u.host_n, u.host);
	if (r != TG_OK)
		goto out;
	fd = tcp_connect(host, port, deadline, d);
	if (fd < 0) {
		r = TG_E_IO;
		goto out;
	}
	r = TG_E_IO;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    (ca_file ? !SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
		     : !SSL_CTX_set_default_verify_paths(ctx))) {
		tls_diag(d, ca_file ? "trust setup (ca_file)" : "trust setup", host, NULL);
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	is_ip = inet_pton(AF_INET, host, &ip4) == 1 || inet_pton(AF_INET6, host, &ip6) == 1;
	if (!ssl || !SSL_set_fd(ssl, fd) ||
	    (is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
		   : !SSL_set_tlsext_host_name(ssl, host) || !SSL_set1_host(ssl, host))) {
		tls_diag(d, "setup", host, NULL);
		goto out;
	}
	while ((rc = SSL_connect(ssl)) != 1)
		if (ssl_io(ssl, fd, deadline, rc) != 2) {
			tls_diag(d, "handshake", host, ssl);
			goto out;
		}
	for (size_t off = 0; off < req.len;) {
		size_t w = 0;
		rc = SSL_write_ex(ssl, req.data + off, req.len - off, &w);
		if (rc == 1)
			off += w;
		else if (ssl_io(ssl, fd, deadline, rc) != 2) {
			tls_diag(d, "write", host, ssl);
			goto out;
		}
	}
	for (;;) {
		uint8_t b[16384];
		size_t got = 0, room = in.max - in.len;
		if (room == 0) {
			tg_diag_set(d, "the response from %s exceeds %zu bytes", host, in.max);
			r = TG_E_TOOBIG;
			goto out;
		}
		rc = SSL_read_ex(ssl, b, room < sizeof(b) ? room : sizeof(b), &got);
		if (rc == 1) {
			if ((r = tg_buf_add(&in, b, got)) != TG_OK)
				goto out;
		} else {
			int k = ssl_io(ssl, fd, deadline, rc);
			if (k == 2)
				continue;
			/* an EOF without close_notify ends nothing: the body
			 * must then be complete by its own framing */
			eof = k == 0;
			if (k < 0 && in.len == 0) {
				tls_diag(d, "read", host, ssl);
				r = TG_E_IO;
				goto out;
			}
		}
		tg_rego_http_resp_release(&resp);
		tg_rego_http_resp_init(&resp, max_body);
		r = tg_rego_http_resp_parse(in.data, in.len, eof, false, &resp, &used, msg,
					    sizeof(msg));
		if (r == TG_OK)
			break;
		if (r == TG_E_AGAIN && rc == 1)
			continue;
		if (r == TG_E_AGAIN)
			tg_diag_set(d, "the response from %s ended early (%s)", host,
				    eof ? "incomplete" : "connection lost or timed out");
		else
			tg_diag_set(d, "malformed response from %s: %s", host, msg);
		r = r == TG_E_TOOBIG ? r : TG_E_PARSE;
		goto out;
	}
	if (resp.status != 200) {
		const char *loc = NULL;
		for (size_t i = 0; i < resp.nheaders; i++)
			if (strcmp(resp.headers[i].name, "location") == 0)
				loc = resp.headers[i].value;
		tg_diag_set(d, "GET %s: HTTP %s%s%.200s", url, resp.status_text,
			    loc ? " (redirects are not followed; Location: " : "",
			    loc ? loc : "");
		r = TG_E_NOTFOUND;
		goto out;
	}
	tg_buf_reset(body);
	r = tg_buf_add(body, resp.body.data, resp.body.len);
	if (r == TG_E_TOOBIG)
		tg_diag_set(d, "the body from %s exceeds %zu bytes", url, body->max);
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	tg_rego_http_resp_release(&resp);
	tg_buf_release(&req);
	tg_buf_release(&in);
	return r;
}

/* ------------------------------------------------------------------ */
/* The fetcher process                                                  */
/* ------------------------------------------------------------------ */

bool tg_server_oidc_fetched(const struct tg_server_oidc *o)
{
	return o->jwks_uri[0] || o->discovery;
}

tg_err tg_server_jwks_path(const struct tg_server_config *c, const struct tg_server_oidc *o,
			   char *out, size_t cap)
{
	uint8_t h[32];
	char hex[33];
	int n;
	if (!tg_server_oidc_fetched(o)) {
		n = snprintf(out, cap, "%s", o->jwks_path);
	} else {
		if (tg_hash(TG_SHA256, o->issuer, strlen(o->issuer), h) != TG_OK)
			return TG_E_CRYPTO;
		tg_hex_encode_to(hex, h, 16);
		hex[32] = '\0';
		n = snprintf(out, cap, "%s/jwks/%s.json", c->state_dir, hex);
	}
	return n > 0 && (size_t)n < cap ? TG_OK : TG_E_TOOBIG;
}

/* The JWK set URI: configured, or from the issuer's OpenID configuration
 * (whose "issuer" must equal the configured one, OpenID Discovery 4.3). */
static tg_err jwks_uri(const struct tg_server_oidc *o, char *out, size_t cap, struct tg_diag *d)
{
	struct tg_buf doc = TG_BUF_INIT(DISCOVERY_MAX), url = TG_BUF_INIT(2048);
	struct tg_arena a;
	const struct tg_json *j = NULL, *iss, *uri;
	size_t il = strlen(o->issuer);
	tg_err r;

	if (!o->discovery) {
		(void)snprintf(out, cap, "%s", o->jwks_uri);
		return TG_OK;
	}
	tg_arena_init(&a, 1 << 20);
	r = tg_buf_addf(&url, "%.*s/.well-known/openid-configuration",
			  (int)(il && o->issuer[il - 1] == '/' ? il - 1 : il), o->issuer);
	if (r == TG_OK)
		r = tg_https_get((const char *)url.data, o->ca_file[0] ? o->ca_file : NULL,
				 DISCOVERY_MAX, 10000, &doc, d);
	if (r == TG_OK && tg_json_parse(&a, doc.data, doc.len, NULL, &j, NULL, d) != TG_OK) {
		tg_diag_prefix(d, "the OpenID configuration at %s", (const char *)url.data);
		r = TG_E_PARSE;
	}
	if (r == TG_OK) {
		iss = tg_json_get(j, "issuer");
		uri = tg_json_get(j, "jwks_uri");
		if (!iss || !tg_json_str_eq(iss, o->issuer)) {
			tg_diag_set(d, "the OpenID configuration at %s names another issuer",
				    (const char *)url.data);
			r = TG_E_VERIFY;
		} else if (!uri || uri->type != TG_JSON_STRING || uri->u.s.len >= cap ||
			   uri->u.s.len < 9 || memcmp(uri->u.s.p, "https://", 8) != 0 ||
			   memchr(uri->u.s.p, '\0', uri->u.s.len)) {
			tg_diag_set(d, "the OpenID configuration at %s has no https jwks_uri",
				    (const char *)url.data);
			r = TG_E_PARSE;
		} else {
			memcpy(out, uri->u.s.p, uri->u.s.len);
			out[uri->u.s.len] = '\0';
		}
	}
	tg_arena_release(&a);
	tg_buf_release(&doc);
	tg_buf_release(&url);
	return r;
}

/* Fetches, validates and stores one issuer's JWK set; *keys gets the
 * number of keys, *changed whether the stored set changed. */
static tg_err fetch_one(const struct tg_server_config *c, const struct tg_server_oidc *o,
			size_t *keys, bool *changed, struct tg_diag *d)
{
	struct tg_buf set = TG_BUF_INIT(TG_LIMIT_JWK), old = TG_BUF_INIT(TG_LIMIT_JWK);
	struct tg_arena a;
	struct tg_jwks jwks;
	const struct tg_json *doc = NULL;
	struct tg_diag ignore;
	char uri[2048], path[PATH_MAX], dir[PATH_MAX];
	tg_err r;

	tg_arena_init(&a, 1 << 20);
	memset(&jwks, 0, sizeof(jwks));
	r = jwks_uri(o, uri, sizeof(uri), d);
	if (r == TG_OK)
		r = tg_https_get(uri, o->ca_file[0] ? o->ca_file : NULL, TG_LIMIT_JWK, 10000, &set, d);
	if (r == TG_OK) {
		r = tg_json_parse(&a, set.data, set.len, NULL, &doc, NULL, d);
		if (r == TG_OK && !tg_json_get(doc, "keys")) {
			tg_diag_set(d, "no \"keys\" member");
			r = TG_E_PARSE;
		}
		if (r == TG_OK)
			r = tg_jwks_parse(doc, 0, true, &jwks, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "the JWK set at %s", uri);
	}
	if (r == TG_OK) {
		*keys = jwks.count;
		r = tg_server_jwks_path(c, o, path, sizeof(path));
	}
	if (r == TG_OK) {
		(void)snprintf(dir, sizeof(dir), "%s/jwks", c->state_dir);
		r = tg_fs_mkdir_p(dir, 0700, d);
	}
	if (r == TG_OK) {
		tg_diag_init(&ignore);
		*changed = tg_fs_read(path, &old, &ignore) != TG_OK || old.len != set.len ||
			   memcmp(old.data, set.data, set.len) != 0;
		/* rewritten even when unchanged: its mtime says how fresh it is */
		r = tg_fs_write_atomic(path, set.data, set.len, 0600, TG_FS_SYNC, d);
	}
	tg_jwks_release(&jwks);
	tg_arena_release(&a);
	tg_buf_release(&set);
	tg_buf_release(&old);
	return r;
}

int tg_server_fetcher_main(const struct tg_server_config *c, volatile int *stop)
{
	int64_t next[TG_ARRAY_LEN(c->oidc)], backoff[TG_ARRAY_LEN(c->oidc)];
	size_t i;

	for (i = 0; i < c->noidc; i++) {
		next[i] = tg_server_oidc_fetched(&c->oidc[i]) ? 0 : INT64_MAX;
		backoff[i] = 2000;
	}
	while (!*stop) {
		int64_t now = mono_ms(), wake = INT64_MAX;
		for (i = 0; i < c->noidc && !*stop; i++) {
			struct tg_diag d;
			size_t keys = 0;
			bool changed = false;
			if (next[i] > now) {
				wake = next[i] < wake ? next[i] : wake;
				continue;
			}
			tg_diag_init(&d);
			if (fetch_one(c, &c->oidc[i], &keys, &changed, &d) == TG_OK) {
				if (changed)
					fprintf(stderr, "tollgated: jwks: %s: %zu keys\n",
						c->oidc[i].issuer, keys);
				next[i] = mono_ms() + (int64_t)c->jwks_refresh * 1000;
				backoff[i] = 2000;
			} else {
				fprintf(stderr, "tollgated: jwks: %s: %s (retry in %lld s)\n",
					c->oidc[i].issuer, d.msg, (long long)backoff[i] / 1000);
				next[i] = mono_ms() + backoff[i];
				backoff[i] = backoff[i] * 2 > 60000 ? 60000 : backoff[i] * 2;
				if (backoff[i] > (int64_t)c->jwks_refresh * 1000)
					backoff[i] = (int64_t)c->jwks_refresh * 1000;
			}
			wake = next[i] < wake ? next[i] : wake;
			now = mono_ms();
		}
		while (!*stop && mono_ms() < wake) {
			struct timespec ts = {0, 200 * 1000000};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
