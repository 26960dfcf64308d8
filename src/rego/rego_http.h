/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_http.h - what http.send (builtins_http.c), net.lookup_ip_addr
 * (builtins_net.c) and providers.aws.sign_req (builtins_aws.c) share: Go's
 * url.Parse subset, OPA's request checks, the network allow-list, and the
 * HTTP/1.1 response parser. Internal to src/rego.
 */
#ifndef TG_REGO_HTTP_H
#define TG_REGO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"
#include "rego/rego_builtin.h"

/* A URL split as Go's url.Parse splits it; pointers into the input. */
struct tg_rego_url {
	const char *scheme; /* lower case copy in scheme_lc */
	size_t scheme_n;
	char scheme_lc[16];
	const char *host; /* host[:port], without userinfo (Go's URL.Host) */
	size_t host_n;
	const char *path; /* as written (Go's EscapedPath when valid) */
	size_t path_n;
	const char *query; /* after '?', before '#' (Go's RawQuery) */
	size_t query_n;
	bool force_query;  /* a '?' with nothing after it */
	bool opaque;       /* scheme:opaque (no "//") */
};

/*
 * Parses s[0..n) as Go's url.Parse does (the parts OPA's built-ins use).
 * On error writes Go's message (`parse "x": invalid URL escape "%zz"`) to
 * msg and returns TG_E_PARSE.
 */
tg_err tg_rego_url_parse(const char *s, size_t n, struct tg_rego_url *u, char *msg,
			 size_t msglen) TG_MUST_CHECK;

/* Appends Go's URL.EscapedPath() of u. */
tg_err tg_rego_url_escaped_path(const struct tg_rego_url *u, struct tg_buf *out) TG_MUST_CHECK;

/*
 * OPA's validateHTTPRequestOperand: the keys of req must be known http.send
 * keys ("operand pos invalid request parameters(s): {...}") and include
 * method and url ("operand pos missing required request parameters(s):
 * {...}"); both TG_E_TYPE with the message in c->d.
 */
tg_err tg_rego_http_check_request(struct tg_rego_bctx *c, const struct tg_json *req,
				  size_t pos) TG_MUST_CHECK;

/*
 * True when the evaluation may reach host (a name or IP literal, no port):
 * it has TG_REGO_CAP_NET and host is on the options' allow_net list (or
 * the list is NULL). Case-insensitive.
 */
bool tg_rego_net_allowed(const struct tg_rego_bctx *c, const char *host, size_t n);

/*
 * The refusal when the network is not allowed: an eval_builtin_error that
 * stops evaluation even without strict built-in errors (TG_E_PERM), naming
 * the built-in, the host and how to allow it.
 */
tg_err tg_rego_net_refuse(struct tg_rego_bctx *c, const char *host, size_t n);

/* A parsed HTTP/1.1 response. Header names are lower-cased. */
struct tg_rego_http_resp {
	int status;             /* 100..999 */
	char status_text[128];  /* Go's Response.Status: "200 OK" */
	struct {
		char *name;     /* lower case, NUL-terminated (malloc) */
		char *value;    /* trimmed, NUL-terminated (malloc) */
	} *headers;
	size_t nheaders;
	struct tg_buf body;     /* decoded (chunked transfer coding removed) */
};

void tg_rego_http_resp_init(struct tg_rego_http_resp *r, size_t max_body);
void tg_rego_http_resp_release(struct tg_rego_http_resp *r);

/*
 * Parses a complete HTTP/1.1 response of n bytes (status line, headers,
 * body by Content-Length, chunked coding, or up to the end when neither;
 * HEAD responses and 1xx/204/304 have no body when head_only). Returns
 * TG_E_PARSE with a message in msg for malformed input, TG_E_AGAIN when
 * more bytes are needed, TG_E_TOOBIG past the body cap. On TG_OK *used is
 * the bytes consumed.
 */
tg_err tg_rego_http_resp_parse(const uint8_t *p, size_t n, bool eof, bool head_only,
			       struct tg_rego_http_resp *r, size_t *used, char *msg,
			       size_t msglen) TG_MUST_CHECK;

/* The built-in http.send (registered in builtins_net.c's table). */
tg_err tg_rego_bi_http_send(struct tg_rego_bctx *c, const struct tg_json *const *args,
			    size_t nargs, const struct tg_json **out) TG_MUST_CHECK;

#endif
