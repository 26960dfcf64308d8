/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - tollgated's configuration file: one JSON object whose keys
 * docs/config.md lists. Unknown keys, wrong types and out-of-range values
 * are errors that name the key.
 */
#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/arena.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/mem.h"
#include "gate/gate.h"

void tg_server_config_defaults(struct tg_server_config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->listen_host, "127.0.0.1", 10);
	c->listen_port = 8443;
	c->body_max = TG_HTTP_BODY_DEFAULT;
	c->header_timeout_ms = 10000;
	c->body_timeout_ms = 30000;
	c->idle_timeout_ms = 60000;
	c->rate_per_min = 600;
	c->admission_rate_per_min = 60000;
	c->jwks_refresh = 300;
	c->jwks_max_stale = 86400;
	c->max_conns = 256;
	c->api_workers = 2;
	c->server_svid_ttl = 3600;
	c->sandbox = true;
	c->decision_log_sync = true;
	c->log_integrate_ms = 1000;
}

static tg_err str(const struct tg_json *v, const char *key, char *out, size_t cap,
		  struct tg_diag *d)
{
	if (v->type != TG_JSON_STRING || v->u.s.len == 0 || v->u.s.len >= cap ||
	    memchr(v->u.s.p, '\0', v->u.s.len)) {
		tg_diag_set(d, "'%s' must be a non-empty string of at most %zu bytes", key, cap - 1);
		return TG_E_TYPE;
	}
	memcpy(out, v->u.s.p, v->u.s.len);
	out[v->u.s.len] = '\0';
	return TG_OK;
}

static tg_err num(const struct tg_json *v, const char *key, int64_t lo, int64_t hi, int64_t *out,
		  struct tg_diag *d)
{
	if (v->type != TG_JSON_NUMBER || tg_json_num_i64(v, out) != TG_OK || *out < lo || *out > hi) {
		tg_diag_set(d, "'%s' must be an integer in %lld..%lld", key, (long long)lo,
			    (long long)hi);
		return TG_E_RANGE;
	}
	return TG_OK;
}

static tg_err boolean(const struct tg_json *v, const char *key, bool *out, struct tg_diag *d)
{
	if (v->type != TG_JSON_BOOL) {
		tg_diag_set(d, "'%s' must be true or false", key);
		return TG_E_TYPE;
	}
	*out = v->u.b;
	return TG_OK;
}

static tg_err listen_addr(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	char s[300];
	char *colon;
	int64_t port = 0;
	tg_err r = str(v, "listen", s, sizeof(s), d);
	if (r != TG_OK)
		return r;
	colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(c->listen_host) || !colon[1] ||
	    strlen(colon + 1) > 5)
		goto bad;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		goto bad;
	*colon = '\0';
	memcpy(c->listen_host, s, strlen(s) + 1);
	c->listen_port = (uint16_t)port;
	return TG_OK;
bad:
	tg_diag_set(d, "'listen' must be HOST:PORT (PORT 0..65535)");
	return TG_E_PARSE;
}

static tg_err oidc(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	size_t i, k;
	tg_err r = TG_OK;
	if (v->type != TG_JSON_ARRAY || v->u.a.len > TG_ARRAY_LEN(c->oidc)) {
		tg_diag_set(d, "'oidc_issuers' must be an array of at most %zu objects",
			    TG_ARRAY_LEN(c->oidc));
		return TG_E_TYPE;
	}
	for (i = 0; r == TG_OK && i < v->u.a.len; i++) {
		const struct tg_json *o = v->u.a.items[i];
		struct tg_server_oidc *x = &c->oidc[i];
		if (o->type != TG_JSON_OBJECT) {
			tg_diag_set(d, "'oidc_issuers[%zu]' must be an object", i);
			return TG_E_TYPE;
		}
		memcpy(x->profile, "generic", 8);
		for (k = 0; r == TG_OK && k < o->u.o.len; k++) {
			const struct tg_json *key = o->u.o.items[k].key, *val = o->u.o.items[k].val;
			if (tg_json_str_eq(key, "issuer"))
				r = str(val, "oidc_issuers[].issuer", x->issuer, sizeof(x->issuer), d);
			else if (tg_json_str_eq(key, "audience"))
				r = str(val, "oidc_issuers[].audience", x->audience, sizeof(x->audience), d);
			else if (tg_json_str_eq(key, "jwks_file"))
				r = str(val, "oidc_issuers[].jwks_file", x->jwks_path, sizeof(x->jwks_path), d);
			else if (tg_json_str_eq(key, "jwks_uri")) {
				r = str(val, "oidc_issuers[].jwks_uri", x->jwks_uri, sizeof(x->jwks_uri), d);
				if (r == TG_OK && strncmp(x->jwks_uri, "https://", 8) != 0) {
					tg_diag_set(d, "'oidc_issuers[%zu].jwks_uri' must be an https:// URL", i);
					r = TG_E_INVAL;
				}
			} else if (tg_json_str_eq(key, "discovery")) {
				if (val->type != TG_JSON_BOOL) {
					tg_diag_set(d, "'oidc_issuers[%zu].discovery' must be true or false", i);
					r = TG_E_TYPE;
				} else {
					x->discovery = val->u.b;
				}
			} else if (tg_json_str_eq(key, "ca_file"))
				r = str(val, "oidc_issuers[].ca_file", x->ca_file, sizeof(x->ca_file), d);
			else if (tg_json_str_eq(key, "profile")) {
				r = str(val, "oidc_issuers[].profile", x->profile, sizeof(x->profile), d);
				if (r == TG_OK && strcmp(x->profile, "github") && strcmp(x->profile, "gitlab") &&
				    strcmp(x->profile, "kubernetes") && strcmp(x->profile, "generic")) {
					tg_diag_set(d, "'oidc_issuers[%zu].profile' must be github, gitlab, "
						       "kubernetes or generic", i);
					r = TG_E_INVAL;
				}
			} else {
				tg_diag_set(d, "unknown key 'oidc_issuers[%zu].%.*s'", i,
					    (int)key->u.s.len, key->u.s.p);
				r = TG_E_INVAL;
			}
		}
		if (r == TG_OK && (!x->issuer[0] || !x->audience[0] ||
				   (x->jwks_path[0] != 0) + (x->jwks_uri[0] != 0) + x->discovery != 1)) {
			tg_diag_set(d, "'oidc_issuers[%zu]' needs issuer, audience and one of jwks_file, "
				       "jwks_uri and \"discovery\": true", i);
			r = TG_E_INVAL;
		}
		if (r == TG_OK && x->discovery && strncmp(x->issuer, "https://", 8) != 0) {
			tg_diag_set(d, "'oidc_issuers[%zu]': discovery needs an https:// issuer", i);
			r = TG_E_INVAL;
		}
	}
	if (r == TG_OK)
		c->noidc = v->u.a.len;
	return r;
}

/* "gate_policy": one path or an array of at most 4 */
static tg_err gate_policy(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	size_t i, n = v->type == TG_JSON_ARRAY ? v->u.a.len : 1;
	if (v->type != TG_JSON_ARRAY && v->type != TG_JSON_STRING) {
		tg_diag_set(d, "'gate_policy' must be a path or an array of paths");
		return TG_E_TYPE;
	}
	if (n == 0 || n > 4) {
		tg_diag_set(d, "'gate_policy' takes 1 to 4 paths");
		return TG_E_RANGE;
	}
	for (i = 0; i < n; i++) {
		tg_err r = str(v->type == TG_JSON_ARRAY ? v->u.a.items[i] : v, "gate_policy",
			       c->gate_policy[i], sizeof(c->gate_policy[i]), d);
		if (r != TG_OK)
			return r;
	}
	c->ngate_policy = n;
	return TG_OK;
}

static tg_err mode(const struct tg_json *v, const char *key, int *out, struct tg_diag *d)
{
	char m[16];
	enum tg_gate_mode g;
	if (str(v, key, m, sizeof(m), d) != TG_OK || tg_gate_mode_parse(m, &g) != TG_OK) {
		tg_diag_set(d, "'%s' must be \"enforce\", \"warn\" or \"audit\"", key);
		return TG_E_INVAL;
	}
	*out = (int)g;
	return TG_OK;
}

/* "admission_namespaces": {"ns": "enforce"|"warn"|"audit", ...} */
static tg_err admission_ns(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	size_t i;
	if (v->type != TG_JSON_OBJECT || v->u.o.len > 32) {
		tg_diag_set(d, "'admission_namespaces' must be an object of at most 32 namespaces");
		return TG_E_TYPE;
	}
	for (i = 0; i < v->u.o.len; i++) {
		const struct tg_json *k = v->u.o.items[i].key;
		tg_err r;
		if (k->u.s.len == 0 || k->u.s.len >= sizeof(c->admission_ns[0].ns)) {
			tg_diag_set(d, "'admission_namespaces' has an empty or over-long namespace");
			return TG_E_RANGE;
		}
		memcpy(c->admission_ns[i].ns, k->u.s.p, k->u.s.len);
		c->admission_ns[i].ns[k->u.s.len] = '\0';
		r = mode(v->u.o.items[i].val, "admission_namespaces", &c->admission_ns[i].mode, d);
		if (r != TG_OK)
			return r;
	}
	c->nadmission_ns = v->u.o.len;
	return TG_OK;
}

void tg_server_config_dev_defaults(struct tg_server_config *c)
{
	memcpy(c->server_dns[0], "localhost", 10);
	c->nserver_dns = 1;
}

bool tg_server_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * A DNS name for a certificate (RFC 1123 2.1, RFC 5280 4.2.1.6): labels of
 * lower-case letters, digits and inner hyphens, 1..63 bytes each, at most
 * 253 bytes in all, no trailing dot, and a last label that is not all
 * digits (an IP address is no DNS name). No wildcards: a webhook is
 * called by one exact Service name, and a wildcard would let this key
 * answer for every name of the zone.
 */
static bool dns_name_ok(const char *s, size_t n, const char **why)
{
	size_t i, label = 0;
	bool digits = true;
	*why = NULL;
	if (n == 0 || n > 253) {
		*why = "is empty or longer than 253 bytes";
		return false;
	}
	for (i = 0; i <= n; i++) {
		char ch = i < n ? s[i] : '.';
		if (ch == '.') {
			if (label == 0 || label > 63) {
				*why = "has an empty label or one longer than 63 bytes";
				return false;
			}
			if (s[i - 1] == '-') {
				*why = "has a label that ends in '-'";
				return false;
			}
			label = 0;
			if (i < n)
				digits = true;
			continue;
		}
		if (ch == '*') {
			*why = "is a wildcard (name each host)";
			return false;
		}
		if (ch >= 'A' && ch <= 'Z') {
			*why = "has upper-case letters (write it in lower case)";
			return false;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
			*why = "has a character other than a-z, 0-9, '-' and '.'";
			return false;
		}
		if (ch == '-' && label == 0) {
			*why = "has a label that starts with '-'";
			return false;
		}
		if (ch < '0' || ch > '9')
			digits = false;
		label++;
	}
	if (digits) {
		*why = "ends in an all-digit label (an IP address is not a DNS name)";
		return false;
	}
	return true;
}

/* "server_dns_names": an array of at most 8 DNS names */
static tg_err dns_names(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	size_t i, j;
	if (v->type != TG_JSON_ARRAY || v->u.a.len > TG_ARRAY_LEN(c->server_dns)) {
		tg_diag_set(d, "'server_dns_names' must be an array of at most %zu DNS names",
			    TG_ARRAY_LEN(c->server_dns));
		return TG_E_TYPE;
	}
	for (i = 0; i < v->u.a.len; i++) {
		const struct tg_json *s = v->u.a.items[i];
		const char *why = "is not a string";
		if (s->type != TG_JSON_STRING || !dns_name_ok(s->u.s.p, s->u.s.len, &why)) {
			tg_diag_set(d, "'server_dns_names[%zu]' %s", i, why);
			return TG_E_INVAL;
		}
		memcpy(c->server_dns[i], s->u.s.p, s->u.s.len);
		c->server_dns[i][s->u.s.len] = '\0';
		for (j = 0; j < i; j++)
			if (strcmp(c->server_dns[j], c->server_dns[i]) == 0) {
				tg_diag_set(d, "'server_dns_names' repeats '%s'", c->server_dns[i]);
				return TG_E_INVAL;
			}
	}
	c->nserver_dns = v->u.a.len;
	return TG_OK;
}

/* "admission_client_names": subject CNs or DNS SANs, printable ASCII */
static tg_err client_names(const struct tg_json *v, struct tg_server_config *c, struct tg_diag *d)
{
	size_t i, k;
	if (v->type != TG_JSON_ARRAY || v->u.a.len == 0 ||
	    v->u.a.len > TG_ARRAY_LEN(c->admission_client_names)) {
		tg_diag_set(d, "'admission_client_names' must be an array of 1 to %zu names",
			    TG_ARRAY_LEN(c->admission_client_names));
		return TG_E_TYPE;
	}
	for (i = 0; i < v->u.a.len; i++) {
		const struct tg_json *s = v->u.a.items[i];
		bool ok = s->type == TG_JSON_STRING && s->u.s.len > 0 &&
			  s->u.s.len < sizeof(c->admission_client_names[0]);
		for (k = 0; ok && k < s->u.s.len; k++)
			ok = s->u.s.p[k] > 0x20 && s->u.s.p[k] < 0x7f;
		if (!ok) {
			tg_diag_set(d, "'admission_client_names[%zu]' must be 1..%zu printable ASCII "
				       "characters without spaces", i,
				    sizeof(c->admission_client_names[0]) - 1);
			return TG_E_INVAL;
		}
		memcpy(c->admission_client_names[i], s->u.s.p, s->u.s.len);
		c->admission_client_names[i][s->u.s.len] = '\0';
	}
	c->nadmission_client_names = v->u.a.len;
	return TG_OK;
}

tg_err tg_server_config_load(const char *path, struct tg_server_config *c, struct tg_diag *d)
{
	struct tg_buf text = TG_BUF_INIT(1024 * 1024);
	struct tg_arena a;
	const struct tg_json *doc = NULL;
	size_t i;
	int64_t v;
	tg_err r;

	tg_arena_init(&a, 8 * 1024 * 1024);
	r = tg_fs_read(path, &text, d);
	if (r == TG_OK)
		r = tg_json_parse(&a, text.data, text.len, NULL, &doc, NULL, d);
	if (r == TG_OK && doc->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the configuration must be a JSON object");
		r = TG_E_TYPE;
	}
	for (i = 0; r == TG_OK && i < doc->u.o.len; i++) {
		const struct tg_json *key = doc->u.o.items[i].key, *val = doc->u.o.items[i].val;
		if (tg_json_str_eq(key, "listen")) {
			r = listen_addr(val, c, d);
		} else if (tg_json_str_eq(key, "ca_dir")) {
			r = str(val, "ca_dir", c->ca_dir, sizeof(c->ca_dir), d);
		} else if (tg_json_str_eq(key, "signer_dir")) {
			r = str(val, "signer_dir", c->signer_dir, sizeof(c->signer_dir), d);
		} else if (tg_json_str_eq(key, "state_dir")) {
			r = str(val, "state_dir", c->state_dir, sizeof(c->state_dir), d);
		} else if (tg_json_str_eq(key, "oidc_issuers")) {
			r = oidc(val, c, d);
		} else if (tg_json_str_eq(key, "body_max")) {
			r = num(val, "body_max", 1024, 64 * 1024 * 1024, &v, d);
			c->body_max = (size_t)v;
		} else if (tg_json_str_eq(key, "header_timeout_ms")) {
			r = num(val, "header_timeout_ms", 100, 600000, &v, d);
			c->header_timeout_ms = (int)v;
		} else if (tg_json_str_eq(key, "body_timeout_ms")) {
			r = num(val, "body_timeout_ms", 100, 600000, &v, d);
			c->body_timeout_ms = (int)v;
		} else if (tg_json_str_eq(key, "idle_timeout_ms")) {
			r = num(val, "idle_timeout_ms", 100, 3600000, &v, d);
			c->idle_timeout_ms = (int)v;
		} else if (tg_json_str_eq(key, "rate_per_minute")) {
			r = num(val, "rate_per_minute", 1, 1000000, &v, d);
			c->rate_per_min = (unsigned)v;
		} else if (tg_json_str_eq(key, "admission_rate_per_minute")) {
			r = num(val, "admission_rate_per_minute", 1, 10000000, &v, d);
			c->admission_rate_per_min = (unsigned)v;
		} else if (tg_json_str_eq(key, "jwks_refresh")) {
			r = num(val, "jwks_refresh", 1, 86400, &c->jwks_refresh, d);
		} else if (tg_json_str_eq(key, "jwks_max_stale")) {
			r = num(val, "jwks_max_stale", 60, 30 * 86400, &c->jwks_max_stale, d);
		} else if (tg_json_str_eq(key, "api_workers")) {
			r = num(val, "api_workers", 1, TG_API_WORKERS_MAX, &v, d);
			c->api_workers = (unsigned)v;
		} else if (tg_json_str_eq(key, "max_connections")) {
			r = num(val, "max_connections", 1, 4096, &v, d);
			c->max_conns = (unsigned)v;
		} else if (tg_json_str_eq(key, "server_svid_ttl")) {
			r = num(val, "server_svid_ttl", 300, 86400, &v, d);
			c->server_svid_ttl = v;
		} else if (tg_json_str_eq(key, "gate_policy")) {
			r = gate_policy(val, c, d);
		} else if (tg_json_str_eq(key, "gate_data")) {
			r = str(val, "gate_data", c->gate_data, sizeof(c->gate_data), d);
		} else if (tg_json_str_eq(key, "admission_mode")) {
			r = mode(val, "admission_mode", &c->admission_mode, d);
		} else if (tg_json_str_eq(key, "admission_namespaces")) {
			r = admission_ns(val, c, d);
		} else if (tg_json_str_eq(key, "server_dns_names")) {
			r = dns_names(val, c, d);
		} else if (tg_json_str_eq(key, "admission_client_ca")) {
			r = str(val, "admission_client_ca", c->admission_client_ca,
				sizeof(c->admission_client_ca), d);
		} else if (tg_json_str_eq(key, "admission_client_names")) {
			r = client_names(val, c, d);
		} else if (tg_json_str_eq(key, "admission_allow_unauthenticated")) {
			r = boolean(val, "admission_allow_unauthenticated",
				    &c->admission_unauthenticated, d);
		} else if (tg_json_str_eq(key, "sandbox")) {
			r = boolean(val, "sandbox", &c->sandbox, d);
		} else if (tg_json_str_eq(key, "decision_log_sync")) {
			r = boolean(val, "decision_log_sync", &c->decision_log_sync, d);
		} else if (tg_json_str_eq(key, "log_integrate_ms")) {
			r = num(val, "log_integrate_ms", 0, 60000, &v, d);
			c->log_integrate_ms = (int)v;
		} else {
			tg_diag_set(d, "unknown key '%.*s'", (int)key->u.s.len, key->u.s.p);
			r = TG_E_INVAL;
		}
	}
	if (r == TG_OK && c->nadmission_client_names && !c->admission_client_ca[0]) {
		tg_diag_set(d, "'admission_client_names' needs 'admission_client_ca'");
		r = TG_E_INVAL;
	}
	if (r == TG_OK && c->admission_client_ca[0] && c->admission_unauthenticated) {
		tg_diag_set(d, "'admission_allow_unauthenticated' contradicts 'admission_client_ca'");
		r = TG_E_INVAL;
	}
	if (r == TG_OK && (!c->ca_dir[0] || !c->signer_dir[0] || !c->state_dir[0])) {
		tg_diag_set(d, "'ca_dir', 'signer_dir' and 'state_dir' are required");
		r = TG_E_INVAL;
	}
	if (r != TG_OK)
		tg_diag_prefix(d, "configuration '%s'", path);
	tg_buf_release(&text);
	tg_arena_release(&a);
	return r;
}
