/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_upstream.c - the upstream of `tollgate agent --server`: the agent
 * holds no CA key; it authenticates to tollgated with its own X509-SVID
 * (mTLS), polls the registration entries whose parent it is, asks the
 * server for their SVIDs, caches them, and renews its own SVID.
 */

/*
 * Design notes.
 *  - Everything runs in the agent's one thread, from its ops; each
 *    request is one HTTPS connection (tg_client_request) with short,
 *    explicit bounds (UP_CONNECT_MS to connect, UP_EXCHANGE_MS for the
 *    whole exchange): a server that accepts and then hangs holds every
 *    Workload API caller up for that long, once, and then the backoff
 *    below serves from the caches without asking it.
 *  - X509-SVIDs are cached per entry and handed to every workload the
 *    entry matches until half their life has passed; JWT-SVIDs per entry
 *    and audience list likewise. While the server cannot be reached, any
 *    cached SVID that has not expired is served, and the next attempt
 *    waits (5 s, doubling to 60 s).
 *  - What the server answers is checked as untrusted input: the entries
 *    document strictly (tg_server_agent_view_parse), every chain as an
 *    X509-SVID of the entry's SPIFFE ID against the bundle, for the key
 *    this process generated.
 *  - The trust domain's deny list comes with the entries (covered by the
 *    revision): ValidateJWTSVID consults it, and cached SVIDs it names
 *    are dropped at the poll that brings it.
 *  - The agent's own SVID is renewed at half its remaining life; the new
 *    key and chain are written as KEY.pending and CERT.pending first, then
 *    renamed over the files (key first); a start after a crash between
 *    the renames finishes them (tg_server_upstream_files_check).
 */
#include "server/server.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "identity/identity.h"

#define UP_POLL_DEFAULT 5            /* seconds between polls */
#define UP_BACKOFF_MAX 60            /* seconds: the longest wait after failures */
#define UP_ENTRIES_MAX 4096          /* entries of one agent */
#define UP_SELECTORS_MAX 64          /* selectors of one entry */
#define UP_BUNDLES_MAX 64            /* trust bundles (own and federated) */
#define UP_JWT_CACHE 256             /* cached JWT-SVIDs */
#define UP_ARENA_MAX (64 * TG_MIB)   /* the parsed entries document */
#define UP_RESP_MAX (16 * TG_MIB)    /* bytes of one answer */
#define UP_CONNECT_MS 3000           /* TCP connect to tollgated */
#define UP_EXCHANGE_MS 10000         /* one whole request: connect, TLS, answer */
#define UP_JTI_MAX 256               /* bytes of a revoked JWT ID (what the CA takes) */
#define UP_SERIAL_HEX_MAX 64         /* hex digits of a revoked serial (20 octets, padded) */
#define UP_PATH_MAX (1024 + 16)      /* a file name and ".pending" */

struct x509_cached {
	char entry_id[37];
	char spiffe_id[TG_SPIFFE_ID_MAX + 1];
	struct tg_buf chain_pem;
	struct tg_secret *key_pem;
	int64_t not_after, refresh_at; /* Unix seconds */
};

struct jwt_cached {
	char entry_id[37];
	char *auds;                     /* '\n'-joined */
	struct tg_secret *token;
	int64_t exp, refresh_at;
};

struct tg_server_upstream {
	struct tg_client cl;
	char url[512];
	char svid_file[1024], key_file[1024], ca_file[1024];
	int64_t poll_sec;
	/* what the last successful poll gave */
	struct tg_arena arena;
	struct tg_server_agent_view view;
	struct tg_bundle_set bundles;
	char td[TG_SPIFFE_TD_MAX + 1];
	struct tg_spiffe_id self;
	/* polling and failures */
	int64_t next_poll;              /* Unix seconds */
	int64_t backoff;                /* seconds; 0: the server answered last time */
	int64_t retry_at;               /* Unix seconds: no request before (after a failure) */
	/* the agent's own SVID */
	int64_t self_not_after, renew_at;
	/* caches */
	struct x509_cached *x;
	size_t nx;
	struct jwt_cached *j;
	size_t nj;
};

static int64_t now_sec(void)
{
	return tg_time_now().sec;
}

/* ------------------------------------------------------------------ */
/* The entries document                                                */
/* ------------------------------------------------------------------ */

static bool uuid_ok(const char *s, size_t n)
{
	size_t i;
	if (n != 36)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

static const struct tg_json *member(const struct tg_json *o, const char *key, int type)
{
	const struct tg_json *v = tg_json_get(o, key);
	return v && v->type == type ? v : NULL;
}

/* A non-negative integer literal of at most max. */
static bool ttl_of(const struct tg_json *v, int64_t max, int64_t *out)
{
	int64_t x = 0;
	size_t i;
	if (!v || v->type != TG_JSON_NUMBER || !(v->flags & TG_JSON_F_INTLIT) || v->u.s.len == 0 ||
	    v->u.s.len > 12)
		return false;
	for (i = 0; i < v->u.s.len; i++) {
		if (v->u.s.p[i] < '0' || v->u.s.p[i] > '9')
			return false;
		x = x * 10 + (v->u.s.p[i] - '0');
	}
	if (x > max)
		return false;
	*out = x;
	return true;
}

static tg_err entry_parse(const struct tg_json *o, size_t idx, const struct tg_spiffe_id *agent,
			  struct tg_arena *a, struct tg_entry *e, struct tg_diag *d)
{
	const struct tg_json *id = member(o, "id", TG_JSON_STRING);
	const struct tg_json *sid = member(o, "spiffe_id", TG_JSON_STRING);
	const struct tg_json *par = member(o, "parent_id", TG_JSON_STRING);
	const struct tg_json *cr = member(o, "created", TG_JSON_STRING);
	const struct tg_json *sel = member(o, "selectors", TG_JSON_ARRAY);
	size_t i;

	memset(e, 0, sizeof(*e));
	if (o->type != TG_JSON_OBJECT || !id || !uuid_ok(id->u.s.p, id->u.s.len)) {
		tg_diag_set(d, "entries[%zu]: 'id' must be a UUID", idx);
		return TG_E_PARSE;
	}
	memcpy(e->id, id->u.s.p, 36);
	if (!sid || tg_spiffe_id_parse(sid->u.s.p, sid->u.s.len, &e->spiffe_id, NULL) != TG_OK ||
	    e->spiffe_id.uri[e->spiffe_id.path_off] == '\0' ||
	    e->spiffe_id.td_len != agent->td_len ||
	    memcmp(e->spiffe_id.uri, agent->uri, 9 + agent->td_len) != 0) {
		tg_diag_set(d, "entries[%zu]: 'spiffe_id' must be a workload ID in the agent's "
			       "trust domain", idx);
		return TG_E_PARSE;
	}
	if (!par || par->u.s.len != strlen(agent->uri) ||
	    memcmp(par->u.s.p, agent->uri, par->u.s.len) != 0) {
		tg_diag_set(d, "entries[%zu]: 'parent_id' is not this agent", idx);
		return TG_E_PARSE;
	}
	e->parent_id = *agent;
	if (!ttl_of(tg_json_get(o, "x509_ttl"), TG_SVID_TTL_MAX, &e->x509_ttl) ||
	    !ttl_of(tg_json_get(o, "jwt_ttl"), TG_SVID_TTL_MAX, &e->jwt_ttl)) {
		tg_diag_set(d, "entries[%zu]: 'x509_ttl' and 'jwt_ttl' must be 0..%d", idx,
			    TG_SVID_TTL_MAX);
		return TG_E_PARSE;
	}
	if (!cr || tg_time_parse(cr->u.s.p, cr->u.s.len, &e->created, NULL) != TG_OK) {
		tg_diag_set(d, "entries[%zu]: 'created' must be an RFC 3339 time", idx);
		return TG_E_PARSE;
	}
	if (!sel || sel->u.a.len == 0 || sel->u.a.len > UP_SELECTORS_MAX) {
		tg_diag_set(d, "entries[%zu]: 'selectors' must be an array of 1..%d", idx,
			    UP_SELECTORS_MAX);
		return TG_E_PARSE;
	}
	e->selectors = tg_arena_alloc_array(a, sel->u.a.len, sizeof(*e->selectors));
	if (!e->selectors)
		return TG_E_TOOBIG;
	for (i = 0; i < sel->u.a.len; i++) {
		const struct tg_json *s = sel->u.a.items[i];
		if (s->type != TG_JSON_STRING ||
		    tg_selector_parse(s->u.s.p, s->u.s.len, a, &e->selectors[i], NULL) != TG_OK) {
			tg_diag_set(d, "entries[%zu]: selectors[%zu] is not TYPE:KEY:VALUE", idx, i);
			return TG_E_PARSE;
		}
	}
	e->nselectors = sel->u.a.len;
	return TG_OK;
}

static tg_err bundles_parse(const struct tg_json *o, const char *own, struct tg_bundle_set *out,
			    struct tg_diag *d)
{
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_buf text = TG_BUF_INIT(UP_RESP_MAX);
	bool have_own = false;
	size_t i;
	tg_err r = TG_OK;

	if (!o || o->u.o.len == 0 || o->u.o.len > UP_BUNDLES_MAX) {
		tg_diag_set(d, "'bundles' must be an object of 1..%d bundles", UP_BUNDLES_MAX);
		return TG_E_PARSE;
	}
	bs.b = tg_xcalloc(o->u.o.len, sizeof(*bs.b));
	for (i = 0; r == TG_OK && i < o->u.o.len; i++) {
		const struct tg_json *k = o->u.o.items[i].key, *v = o->u.o.items[i].val;
		char td[TG_SPIFFE_TD_MAX + 1];
		if (k->type != TG_JSON_STRING ||
		    tg_spiffe_td_parse(k->u.s.p, k->u.s.len, td, NULL) != TG_OK ||
		    strlen(td) != k->u.s.len) {
			tg_diag_set(d, "'bundles': a key is not a trust domain name");
			r = TG_E_PARSE;
			break;
		}
		tg_buf_reset(&text);
		r = v->type == TG_JSON_OBJECT ? tg_json_emit(&text, v, 0) : TG_E_PARSE;
		if (r == TG_OK)
			r = tg_bundle_parse(td, (const char *)text.data, text.len, &bs.b[i], d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "'bundles' of '%s'", td);
			r = TG_E_PARSE;
			break;
		}
		bs.n = i + 1;
		have_own |= strcmp(td, own) == 0;
	}
	if (r == TG_OK && !have_own) {
		tg_diag_set(d, "'bundles' lacks the agent's trust domain '%s'", own);
		r = TG_E_PARSE;
	}
	if (r == TG_OK) {
		*out = bs;
		memset(&bs, 0, sizeof(bs));
	}
	tg_bundle_set_release(&bs);
	tg_buf_release(&text);
	return r;
}

/* One list of "revoked": strings (lower-case hex of even length for
 * serials), strictly ascending by bytes (the server's order: sorted and
 * unique), so lookups can search it. */
static tg_err revoked_list(const struct tg_json *arr, const char *what, bool hex,
			   struct tg_arena *a, const char ***out, size_t *nout, struct tg_diag *d)
{
	const char **v = NULL;
	size_t i, max = hex ? UP_SERIAL_HEX_MAX : UP_JTI_MAX;

	if (!arr || arr->u.a.len > TG_SERVER_AGENT_REVOKED_MAX) {
		tg_diag_set(d, "'revoked.%s' must be an array of at most %d strings", what,
			    TG_SERVER_AGENT_REVOKED_MAX);
		return TG_E_PARSE;
	}
	if (arr->u.a.len) {
		v = tg_arena_alloc_array(a, arr->u.a.len, sizeof(*v));
		if (!v)
			return TG_E_TOOBIG;
	}
	for (i = 0; i < arr->u.a.len; i++) {
		const struct tg_json *e = arr->u.a.items[i];
		size_t k;
		if (e->type != TG_JSON_STRING || e->u.s.len == 0 || e->u.s.len > max ||
		    memchr(e->u.s.p, '\0', e->u.s.len)) {
			tg_diag_set(d, "'revoked.%s[%zu]' must be a string of 1..%zu bytes", what, i,
				    max);
			return TG_E_PARSE;
		}
		for (k = 0; hex && k < e->u.s.len; k++) {
			char c = e->u.s.p[k];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				break;
		}
		if (hex && (k != e->u.s.len || e->u.s.len % 2)) {
			tg_diag_set(d, "'revoked.%s[%zu]' must be lower-case hex of whole octets",
				    what, i);
			return TG_E_PARSE;
		}
		v[i] = tg_arena_strndup(a, e->u.s.p, e->u.s.len);
		if (!v[i])
			return TG_E_TOOBIG;
		if (i && strcmp(v[i - 1], v[i]) >= 0) {
			tg_diag_set(d, "'revoked.%s[%zu]' is out of order (the list is sorted and "
				       "unique)", what, i);
			return TG_E_PARSE;
		}
	}
	*out = v;
	*nout = arr->u.a.len;
	return TG_OK;
}

tg_err tg_server_agent_view_parse(const uint8_t *p, size_t n, struct tg_arena *a,
				  struct tg_server_agent_view *view, struct tg_bundle_set *bundles,
				  struct tg_diag *d)
{
	struct tg_server_agent_view v;
	const struct tg_json *doc = NULL, *sid, *rev, *es, *rvk;
	struct tg_spiffe_id agent;
	char td[TG_SPIFFE_TD_MAX + 1];
	size_t i;
	tg_err r;

	memset(&v, 0, sizeof(v));
	r = tg_json_parse(a, p, n, NULL, &doc, NULL, d);
	if (r != TG_OK) {
		if (d && d->line)
			tg_diag_prefix(d, "malformed JSON at %u:%u", d->line, d->col);
		return r == TG_E_TOOBIG ? r : TG_E_PARSE;
	}
	if (doc->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the answer is not a JSON object");
		return TG_E_PARSE;
	}
	sid = member(doc, "spiffe_id", TG_JSON_STRING);
	if (!sid || tg_spiffe_id_parse(sid->u.s.p, sid->u.s.len, &agent, NULL) != TG_OK) {
		tg_diag_set(d, "'spiffe_id' must be the agent's SPIFFE ID");
		return TG_E_PARSE;
	}
	memcpy(v.spiffe_id, agent.uri, strlen(agent.uri) + 1);
	rev = member(doc, "revision", TG_JSON_STRING);
	if (!rev || rev->u.s.len != 64) {
		tg_diag_set(d, "'revision' must be 64 hex digits");
		return TG_E_PARSE;
	}
	for (i = 0; i < 64; i++) {
		char c = rev->u.s.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			tg_diag_set(d, "'revision' must be 64 lower-case hex digits");
			return TG_E_PARSE;
		}
	}
	memcpy(v.revision, rev->u.s.p, 64);
	es = member(doc, "entries", TG_JSON_ARRAY);
	if (!es || es->u.a.len > UP_ENTRIES_MAX) {
		tg_diag_set(d, "'entries' must be an array of at most %d entries", UP_ENTRIES_MAX);
		return TG_E_PARSE;
	}
	if (es->u.a.len) {
		v.entries = tg_arena_alloc_array(a, es->u.a.len, sizeof(*v.entries));
		if (!v.entries)
			return TG_E_TOOBIG;
	}
	for (i = 0; i < es->u.a.len; i++) {
		r = entry_parse(es->u.a.items[i], i, &agent, a, &v.entries[i], d);
		if (r != TG_OK)
			return r;
	}
	v.nentries = es->u.a.len;
	rvk = member(doc, "revoked", TG_JSON_OBJECT);
	if (!rvk) {
		tg_diag_set(d, "'revoked' must be an object (the trust domain's deny list)");
		return TG_E_PARSE;
	}
	r = revoked_list(member(rvk, "serials", TG_JSON_ARRAY), "serials", true, a,
			 &v.revoked_serials, &v.nrevoked_serials, d);
	if (r == TG_OK)
		r = revoked_list(member(rvk, "jtis", TG_JSON_ARRAY), "jtis", false, a,
				 &v.revoked_jtis, &v.nrevoked_jtis, d);
	if (r != TG_OK)
		return r;
	tg_spiffe_id_td(&agent, td);
	r = bundles_parse(member(doc, "bundles", TG_JSON_OBJECT), td, bundles, d);
	if (r != TG_OK)
		return r;
	*view = v;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Notes a failed exchange: the next request waits (doubling). */
static void up_failed(struct tg_server_upstream *u, const char *what, const struct tg_diag *d)
{
	u->backoff = u->backoff ? u->backoff * 2 : u->poll_sec;
	if (u->backoff > UP_BACKOFF_MAX)
		u->backoff = UP_BACKOFF_MAX;
	u->retry_at = now_sec() + u->backoff;
	tg_log_warn("agent: %s at %s failed: %s; serving what is cached, retrying in %llds", what,
		    u->url, d->msg[0] ? d->msg : "unknown error", (long long)u->backoff);
}

static void up_ok(struct tg_server_upstream *u)
{
	if (u->backoff) /* at the level of the failure it ends */
		tg_log_warn("agent: %s answers again", u->url);
	u->backoff = 0;
	u->retry_at = 0;
}

/* The server's {"error":{"message"}} into d. */
static tg_err answer_error(int status, const struct tg_buf *resp, struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *v = NULL, *m;
	tg_arena_init(&a, 1 << 20);
	if (tg_json_parse(&a, resp->data, resp->len, NULL, &v, NULL, NULL) == TG_OK &&
	    (m = tg_json_get(tg_json_get(v, "error"), "message")) && m->type == TG_JSON_STRING)
		tg_diag_set(d, "server answered %d: %.*s", status, (int)(m->u.s.len > 300 ? 300 : m->u.s.len),
			    m->u.s.p);
	else
		tg_diag_set(d, "server answered %d", status);
	tg_arena_release(&a);
	return status == 401 || status == 403 ? TG_E_DENIED
	       : status == 400		   ? TG_E_INVAL
					   : TG_E_IO;
}

/* One request; TG_E_IO for a failure of the server or the network,
 * TG_E_DENIED / TG_E_INVAL for a refusal (4xx). */
static tg_err call(struct tg_server_upstream *u, const char *method, const char *path,
		   const struct tg_buf *body, struct tg_buf *resp, struct tg_diag *d)
{
	int status = 0;
	tg_err r = tg_client_request(&u->cl, method, path, body ? "application/json" : NULL,
				     body ? body->data : NULL, body ? body->len : 0, &status, resp, d);
	if (r != TG_OK)
		return r == TG_E_KEY ? TG_E_KEY : TG_E_IO;
	if (status != 200)
		return answer_error(status, resp, d);
	return TG_OK;
}

/* A JSON string member of the n bytes at p, copied to out. */
static tg_err answer_str(const struct tg_buf *resp, const char *key, struct tg_buf *out,
			 struct tg_diag *d)
{
	struct tg_arena a;
	const struct tg_json *v = NULL, *s;
	tg_err r;
	tg_arena_init(&a, UP_RESP_MAX * 2);
	r = tg_json_parse(&a, resp->data, resp->len, NULL, &v, NULL, d);
	if (r == TG_OK) {
		s = member(v, key, TG_JSON_STRING);
		r = s ? tg_buf_add(out, s->u.s.p, s->u.s.len) : TG_E_PARSE;
	}
	if (r != TG_OK)
		tg_diag_set(d, "the server's answer lacks '%s'", key);
	tg_arena_release(&a);
	return r;
}

/* A fresh P-256 key: its PKCS#8 PEM (a secret) and a CSR over it. */
static tg_err new_key(struct tg_secret **key_pem, struct tg_buf *csr)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	tg_err r = TG_E_CRYPTO;
	if (pk && bio && PEM_write_bio_PKCS8PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0) {
		*key_pem = tg_secret_from(p, (size_t)n);
		tg_wipe(p, (size_t)n);
		r = tg_client_csr(pk, csr);
		if (r != TG_OK) {
			tg_secret_free(*key_pem);
			*key_pem = NULL;
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return r;
}

/* ------------------------------------------------------------------ */
/* The deny list of the last poll                                      */
/* ------------------------------------------------------------------ */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool listed(const char *const *l, size_t n, const char *s)
{
	return n && bsearch(&s, l, n, sizeof(*l), str_cmp) != NULL;
}

/* The CA's form of a serial: lower-case hex without leading zeros,
 * padded to whole octets. */
static bool rev_serial(void *ctx, const char *hex)
{
	const struct tg_server_upstream *u = ctx;
	char norm[UP_SERIAL_HEX_MAX + 2];
	size_t n = hex ? strlen(hex) : 0, i, o = 0;
	if (n == 0 || n > UP_SERIAL_HEX_MAX || strspn(hex, "0123456789abcdefABCDEF") != n)
		return false; /* nothing the CA could have stored */
	while (n > 1 && hex[0] == '0') {
		hex++;
		n--;
	}
	if (n % 2)
		norm[o++] = '0';
	for (i = 0; i < n; i++)
		norm[o++] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	norm[o] = '\0';
	return listed(u->view.revoked_serials, u->view.nrevoked_serials, norm);
}

static bool rev_jti(void *ctx, const char *jti)
{
	const struct tg_server_upstream *u = ctx;
	return jti && listed(u->view.revoked_jtis, u->view.nrevoked_jtis, jti);
}

/* The deny list the server sent last: the view it reads is replaced only
 * between calls of the agent's ops, never during one. */
static struct tg_revocations up_rev(void *ctx)
{
	struct tg_revocations r;
	r.is_revoked_serial = rev_serial;
	r.is_revoked_jti = rev_jti;
	r.ctx = ctx;
	return r;
}

/* Checks that chain_pem is an X509-SVID of want for the key in key_pem
 * under the bundles; *key and *chain get them parsed (may be NULL), and
 * *not_after the leaf's expiry. */
static tg_err check_svid(struct tg_server_upstream *u, const struct tg_buf *chain_pem,
			 const struct tg_secret *key_pem, const char *want, struct tg_key **key,
			 struct tg_x509_list *chain, int64_t *not_after, struct tg_diag *d)
{
	struct tg_x509_list l = {NULL, 0};
	struct tg_key *k = NULL, *pub = NULL;
	struct tg_buf a = TG_BUF_INIT(8192), b = TG_BUF_INIT(8192);
	struct tg_spiffe_id id;
	struct tg_time nb, na;
	struct tg_revocations rev = up_rev(u);
	tg_err r;

	r = tg_x509_list_from_pem((const char *)chain_pem->data, chain_pem->len, &l, d);
	if (r == TG_OK && (l.count == 0 || l.count > TG_LIMIT_CHAIN)) {
		tg_diag_set(d, "the server sent no certificate chain");
		r = TG_E_PARSE;
	}
	if (r == TG_OK)
		r = tg_x509_svid_verify(l.certs[0], (const struct tg_x509 *const *)l.certs + 1,
					l.count - 1, &u->bundles, tg_time_now(), &rev, &id, d);
	if (r == TG_OK && strcmp(id.uri, want) != 0) {
		tg_diag_set(d, "the server sent an X509-SVID for '%s', not '%s'", id.uri, want);
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		r = tg_key_from_pem((const char *)key_pem->p, key_pem->len, &k, d);
	if (r == TG_OK)
		r = tg_x509_public_key(l.certs[0], &pub);
	if (r == TG_OK)
		r = tg_key_to_spki_der(k, &a);
	if (r == TG_OK)
		r = tg_key_to_spki_der(pub, &b);
	if (r == TG_OK && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)) {
		tg_diag_set(d, "the X509-SVID is not for the key this agent holds");
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		r = tg_x509_validity(l.certs[0], &nb, &na);
	if (r == TG_OK) {
		*not_after = na.sec;
		if (key) {
			*key = k;
			k = NULL;
		}
		if (chain) {
			*chain = l;
			memset(&l, 0, sizeof(l));
		}
	}
	tg_x509_list_release(&l);
	tg_key_free(k);
	tg_key_free(pub);
	tg_buf_release(&a);
	tg_buf_release(&b);
	return r;
}

/* ------------------------------------------------------------------ */
/* Polling and the agent's own SVID                                    */
/* ------------------------------------------------------------------ */

static void x509_cached_release(struct x509_cached *c)
{
	tg_buf_release(&c->chain_pem);
	tg_secret_free(c->key_pem);
	memset(c, 0, sizeof(*c));
}

static void jwt_cached_release(struct jwt_cached *c)
{
	free(c->auds);
	tg_secret_free(c->token);
	memset(c, 0, sizeof(*c));
}

static bool entry_known(const struct tg_server_upstream *u, const char *id, const char *sid)
{
	size_t i;
	for (i = 0; i < u->view.nentries; i++)
		if (strcmp(u->view.entries[i].id, id) == 0 &&
		    strcmp(u->view.entries[i].spiffe_id.uri, sid) == 0)
			return true;
	return false;
}

/* Whether the cached X509-SVID still verifies under the bundles and the
 * deny list of the last poll. */
static bool x509_still_good(struct tg_server_upstream *u, const struct x509_cached *c)
{
	struct tg_diag d;
	int64_t na;
	tg_diag_init(&d);
	if (check_svid(u, &c->chain_pem, c->key_pem, c->spiffe_id, NULL, NULL, &na, &d) == TG_OK)
		return true;
	tg_log_info("agent: dropping the cached X509-SVID of %s: %s", c->spiffe_id, d.msg);
	return false;
}

/* The same for a cached JWT-SVID (checked for its first audience). */
static bool jwt_still_good(struct tg_server_upstream *u, const struct jwt_cached *c)
{
	struct tg_arena a;
	struct tg_diag d;
	struct tg_spiffe_id sub;
	struct tg_revocations rev = up_rev(u);
	char aud[1025];
	size_t n = strcspn(c->auds, "\n");
	bool ok;
	if (n >= sizeof(aud))
		return false;
	memcpy(aud, c->auds, n);
	aud[n] = '\0';
	tg_arena_init(&a, 1 << 20);
	tg_diag_init(&d);
	ok = tg_jwt_svid_verify((const char *)c->token->p, c->token->len, &u->bundles, aud, tg_time_now(), &rev,
				&a, &sub, NULL, &d) == TG_OK;
	if (!ok)
		tg_log_info("agent: dropping a cached JWT-SVID: %s", d.msg);
	tg_arena_release(&a);
	return ok;
}

/* Drops the cached SVIDs of entries that are gone (or changed ID), and
 * those the new bundles or deny list refuse. */
static void caches_prune(struct tg_server_upstream *u)
{
	size_t i, k;
	for (i = 0, k = 0; i < u->nx; i++) {
		if (entry_known(u, u->x[i].entry_id, u->x[i].spiffe_id) &&
		    x509_still_good(u, &u->x[i]))
			u->x[k++] = u->x[i];
		else
			x509_cached_release(&u->x[i]);
	}
	u->nx = k;
	for (i = 0, k = 0; i < u->nj; i++) {
		size_t e;
		bool keep = false;
		for (e = 0; e < u->view.nentries; e++)
			keep |= strcmp(u->view.entries[e].id, u->j[i].entry_id) == 0;
		if (keep && u->j[i].exp > now_sec() && jwt_still_good(u, &u->j[i]))
			u->j[k++] = u->j[i];
		else
			jwt_cached_release(&u->j[i]);
	}
	u->nj = k;
}

/* GET /v1/agent/entries: replaces the view when the revision changed. */
static tg_err poll_entries(struct tg_server_upstream *u, struct tg_diag *d)
{
	struct tg_buf resp = TG_BUF_INIT(UP_RESP_MAX);
	struct tg_arena a;
	struct tg_server_agent_view v;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_spiffe_id self;
	tg_err r;

	tg_arena_init(&a, UP_ARENA_MAX);
	r = call(u, "GET", "/v1/agent/entries", NULL, &resp, d);
	if (r == TG_OK)
		r = tg_server_agent_view_parse(resp.data, resp.len, &a, &v, &bs, d);
	if (r == TG_E_PARSE || r == TG_E_TOOBIG)
		tg_diag_prefix(d, "malformed answer to GET /v1/agent/entries");
	if (r != TG_OK)
		goto out;
	if (u->self.uri[0] && strcmp(v.spiffe_id, u->self.uri) != 0) {
		tg_diag_set(d, "the server now calls this agent '%s', not '%s'", v.spiffe_id,
			    u->self.uri);
		r = TG_E_VERIFY;
		goto out;
	}
	if (u->view.revision[0] && strcmp(v.revision, u->view.revision) == 0)
		goto out; /* nothing changed */
	r = tg_spiffe_id_parse(v.spiffe_id, strlen(v.spiffe_id), &self, d);
	if (r != TG_OK)
		goto out;
	if (u->view.revision[0])
		tg_log_info("agent: %zu entr%s for %s (revision %.12s)", v.nentries,
			    v.nentries == 1 ? "y" : "ies", v.spiffe_id, v.revision);
	tg_arena_release(&u->arena);
	u->arena = a;
	tg_arena_init(&a, 0);
	u->view = v;
	u->self = self;
	tg_spiffe_id_td(&self, u->td);
	tg_bundle_set_release(&u->bundles);
	u->bundles = bs;
	memset(&bs, 0, sizeof(bs));
	caches_prune(u);
out:
	tg_bundle_set_release(&bs);
	tg_arena_release(&a);
	tg_buf_release(&resp);
	return r;
}

/* Reads the agent's SVID file: its expiry decides when to renew. */
static tg_err load_self(struct tg_server_upstream *u, struct tg_diag *d)
{
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_x509_list l = {NULL, 0};
	struct tg_time nb, na;
	int64_t now = now_sec();
	tg_err r = tg_fs_read(u->svid_file, &pem, d);
	if (r == TG_OK)
		r = tg_x509_list_from_pem((const char *)pem.data, pem.len, &l, d);
	if (r == TG_OK && l.count == 0)
		r = TG_E_PARSE;
	if (r == TG_OK)
		r = tg_x509_validity(l.certs[0], &nb, &na);
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot read the agent's X509-SVID '%s'", u->svid_file);
	} else if (na.sec <= now) {
		tg_diag_set(d, "the agent's X509-SVID '%s' expired; attest the node again",
			    u->svid_file);
		r = TG_E_EXPIRED;
	} else {
		u->self_not_after = na.sec;
		u->renew_at = now + (na.sec - now) / 2;
	}
	tg_x509_list_release(&l);
	tg_buf_release(&pem);
	return r;
}

/* ------------------------------------------------------------------ */
/* The agent's key and SVID files                                      */
/* ------------------------------------------------------------------ */

static tg_err pending_name(const char *path, char *out, size_t cap, struct tg_diag *d)
{
	int n = snprintf(out, cap, "%s.pending", path);
	if (n < 0 || (size_t)n >= cap) {
		tg_diag_set(d, "the file name '%s' is too long", path);
		return TG_E_INVAL;
	}
	return TG_OK;
}

static tg_err sync_dir_of(const char *path, struct tg_diag *d)
{
	char dir[UP_PATH_MAX];
	const char *sl = strrchr(path, '/');
	size_t n = sl ? (size_t)(sl - path) : 1;
	if (n >= sizeof(dir))
		return TG_E_INVAL;
	if (!sl)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (tg_fs_sync_dir(dir) != TG_OK) {
		tg_diag_set(d, "cannot sync the directory '%s'", dir);
		return TG_E_IO;
	}
	return TG_OK;
}

/* TG_OK when the leaf of the PEM chain in cert is for the private key in
 * key; TG_E_KEY when not; other errors when a file is unusable. */
static tg_err pair_match(const char *cert, const char *key, struct tg_diag *d)
{
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_x509_list l = {NULL, 0};
	struct tg_key *k = NULL, *pub = NULL;
	tg_err r = tg_fs_read(cert, &pem, d);
	if (r == TG_OK)
		r = tg_x509_list_from_pem((const char *)pem.data, pem.len, &l, d);
	if (r == TG_OK && l.count == 0) {
		tg_diag_set(d, "no certificate");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot read the agent's X509-SVID '%s'", cert);
		goto out;
	}
	r = tg_key_load_file(key, &k, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot read the agent's key '%s'", key);
		goto out;
	}
	r = tg_x509_public_key(l.certs[0], &pub);
	if (r == TG_OK && !tg_key_equal_public(k, pub)) {
		tg_diag_set(d, "the X509-SVID '%s' is not for the key '%s'", cert, key);
		r = TG_E_KEY;
	}
out:
	tg_key_free(k);
	tg_key_free(pub);
	tg_x509_list_release(&l);
	tg_buf_release(&pem);
	return r;
}

/* Renames the pending files that exist over key and cert (key first) and
 * makes the renames durable. A pending file stays when its rename fails. */
static tg_err pending_finish(const char *cert, const char *key, const char *cp, const char *kp,
			     bool hc, bool hk, struct tg_diag *d)
{
	if (hk && rename(kp, key) != 0) {
		tg_diag_set(d, "cannot rename '%s' to '%s': %s", kp, key, strerror(errno));
		return TG_E_IO;
	}
	if (hc && rename(cp, cert) != 0) {
		tg_diag_set(d, "cannot rename '%s' to '%s': %s", cp, cert, strerror(errno));
		return TG_E_IO;
	}
	if (sync_dir_of(key, d) != TG_OK || sync_dir_of(cert, d) != TG_OK)
		return TG_E_IO;
	return TG_OK;
}

tg_err tg_server_upstream_files_check(const char *svid_file, const char *key_file,
				      struct tg_diag *d)
{
	char cp[UP_PATH_MAX], kp[UP_PATH_MAX];
	struct tg_diag d2;
	bool hc, hk;
	tg_err r;

	r = pending_name(svid_file, cp, sizeof(cp), d);
	if (r == TG_OK)
		r = pending_name(key_file, kp, sizeof(kp), d);
	if (r != TG_OK)
		return r;
	hc = tg_fs_exists(cp);
	hk = tg_fs_exists(kp);
	tg_diag_init(&d2);
	r = pair_match(svid_file, key_file, &d2);
	if (r != TG_OK && r != TG_E_KEY) {
		if (d)
			*d = d2;
		return r;
	}
	if (r == TG_OK) {
		/* a renewal cut short before its renames: the pair in place is
		 * whole, and the next renewal writes new pending files */
		if (hc && unlink(cp) == 0)
			tg_log_warn("agent: removed '%s', left by a renewal cut short", cp);
		if (hk && unlink(kp) == 0)
			tg_log_warn("agent: removed '%s', left by a renewal cut short", kp);
		return TG_OK;
	}
	if (!hc && !hk) {
		tg_diag_set(d, "the agent's X509-SVID '%s' is not for its key '%s' (and there is no "
			       "pending pair '%s', '%s' to finish); attest the node again",
			    svid_file, key_file, cp, kp);
		return TG_E_KEY;
	}
	/* a renewal cut short between its renames: what is pending, with
	 * what was already renamed, must be a pair */
	tg_diag_init(&d2);
	r = pair_match(hc ? cp : svid_file, hk ? kp : key_file, &d2);
	if (r != TG_OK) {
		tg_diag_set(d, "the agent's X509-SVID '%s' is not for its key '%s', and the pending "
			       "files do not finish a pair either (%s); attest the node again",
			    svid_file, key_file, d2.msg);
		return r == TG_E_KEY ? TG_E_KEY : r;
	}
	r = pending_finish(svid_file, key_file, cp, kp, hc, hk, d);
	if (r == TG_OK)
		tg_log_warn("agent: finished a renewal cut short: '%s' and '%s' are the pending pair",
			    svid_file, key_file);
	return r;
}

/* POST /v1/agent/renew: a new key and X509-SVID for the agent, checked,
 * written as pending files, then renamed over the key and SVID files (key
 * first): a crash leaves a pair tg_server_upstream_files_check finishes. */
static tg_err renew_self(struct tg_server_upstream *u, struct tg_diag *d)
{
	struct tg_secret *key = NULL;
	struct tg_buf csr = TG_BUF_INIT(16384), body = TG_BUF_INIT(65536),
		      resp = TG_BUF_INIT(UP_RESP_MAX), chain = TG_BUF_INIT(UP_RESP_MAX);
	char cp[UP_PATH_MAX], kp[UP_PATH_MAX];
	int64_t na = 0;
	tg_err r = new_key(&key, &csr);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "{\"csr\":");
	if (r == TG_OK)
		r = tg_json_add_string(&body, (const char *)csr.data, csr.len);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "}");
	if (r == TG_OK)
		r = call(u, "POST", "/v1/agent/renew", &body, &resp, d);
	if (r == TG_OK)
		r = answer_str(&resp, "x509_svid", &chain, d);
	if (r == TG_OK)
		r = check_svid(u, &chain, key, u->self.uri, NULL, NULL, &na, d);
	if (r == TG_OK)
		r = pending_name(u->key_file, kp, sizeof(kp), d);
	if (r == TG_OK)
		r = pending_name(u->svid_file, cp, sizeof(cp), d);
	if (r == TG_OK)
		r = tg_fs_write_atomic(kp, key->p, key->len, 0600, TG_FS_SYNC, d);
	if (r == TG_OK)
		r = tg_fs_write_atomic(cp, chain.data, chain.len, 0644, TG_FS_SYNC, d);
	if (r == TG_OK) {
		r = pending_finish(u->svid_file, u->key_file, cp, kp, true, true, d);
		if (r != TG_OK)
			tg_log_error("agent: the renewed key and X509-SVID are half in place: %s; "
				     "a restart finishes the pair", d->msg);
	}
	if (r == TG_OK) {
		int64_t now = now_sec();
		u->self_not_after = na;
		u->renew_at = now + (na - now) / 2;
		tg_log_info("agent: renewed the agent's X509-SVID %s; valid for %llds", u->self.uri,
			    (long long)(na - now));
	}
	tg_secret_free(key);
	tg_buf_release(&csr);
	tg_buf_release(&body);
	tg_buf_release(&resp);
	tg_buf_release(&chain);
	return r;
}

/* The agent's refresh op: renew the own SVID when due, poll when due. */
static void up_refresh(void *ctx)
{
	struct tg_server_upstream *u = ctx;
	int64_t now = now_sec();
	struct tg_diag d;
	tg_err r;

	if (now < u->retry_at)
		return;
	if (now >= u->renew_at) {
		tg_diag_init(&d);
		r = renew_self(u, &d);
		if (r == TG_E_IO) {
			up_failed(u, "renewing the agent's X509-SVID", &d);
			return;
		}
		if (r != TG_OK) {
			/* refused: say so loudly, try again later */
			tg_log_error("agent: cannot renew the agent's X509-SVID (expires in %llds): %s",
				     (long long)(u->self_not_after - now), d.msg);
			u->renew_at = now + u->poll_sec;
		}
	}
	if (now >= u->next_poll) {
		tg_diag_init(&d);
		r = poll_entries(u, &d);
		if (r == TG_E_IO) {
			up_failed(u, "polling the entries", &d);
			return;
		}
		if (r != TG_OK)
			tg_log_error("agent: keeping the previous entries: %s", d.msg);
		u->next_poll = now + u->poll_sec;
	}
	up_ok(u);
}

/* ------------------------------------------------------------------ */
/* The other ops                                                       */
/* ------------------------------------------------------------------ */

static const char *up_td(void *ctx)
{
	return ((struct tg_server_upstream *)ctx)->td;
}

static tg_err up_bundles(void *ctx, struct tg_bundle_set *out, struct tg_diag *d)
{
	struct tg_server_upstream *u = ctx;
	struct tg_bundle_set s = {NULL, 0};
	struct tg_buf text = TG_BUF_INIT(UP_RESP_MAX);
	size_t i;
	tg_err r = TG_OK;

	/* a copy through the bundle format: the agent owns what it gets */
	s.b = tg_xcalloc(u->bundles.n ? u->bundles.n : 1, sizeof(*s.b));
	for (i = 0; r == TG_OK && i < u->bundles.n; i++) {
		tg_buf_reset(&text);
		r = tg_bundle_to_spiffe(&u->bundles.b[i], &text);
		if (r == TG_OK)
			r = tg_bundle_parse(u->bundles.b[i].td, (const char *)text.data, text.len,
					    &s.b[i], d);
		if (r == TG_OK)
			s.n = i + 1;
	}
	tg_buf_release(&text);
	if (r != TG_OK) {
		tg_bundle_set_release(&s);
		return r;
	}
	*out = s;
	return TG_OK;
}

static tg_err up_match(void *ctx, const struct tg_selector *att, size_t n, struct tg_arena *a,
		       struct tg_entry **out, size_t *nout, struct tg_diag *d)
{
	struct tg_server_upstream *u = ctx;
	return tg_entry_match_list(u->view.entries, u->view.nentries, att, n, a, out, nout, d);
}

static struct x509_cached *x509_find(struct tg_server_upstream *u, const struct tg_entry *e)
{
	size_t i;
	for (i = 0; i < u->nx; i++)
		if (strcmp(u->x[i].entry_id, e->id) == 0 &&
		    strcmp(u->x[i].spiffe_id, e->spiffe_id.uri) == 0)
			return &u->x[i];
	return NULL;
}

/* The cached SVID c parsed for the agent. */
static tg_err x509_hand(struct tg_server_upstream *u, const struct x509_cached *c,
			struct tg_key **key, struct tg_x509_list *chain, struct tg_diag *d)
{
	int64_t na;
	return check_svid(u, &c->chain_pem, c->key_pem, c->spiffe_id, key, chain, &na, d);
}

static tg_err up_x509(void *ctx, const struct tg_entry *e, struct tg_time now,
		      struct tg_key **key, struct tg_x509_list *chain, struct tg_diag *d)
{
	struct tg_server_upstream *u = ctx;
	struct x509_cached *c = x509_find(u, e), nc;
	struct tg_buf csr = TG_BUF_INIT(16384), body = TG_BUF_INIT(65536),
		      resp = TG_BUF_INIT(UP_RESP_MAX);
	tg_err r;

	if (c && now.sec < c->refresh_at)
		return x509_hand(u, c, key, chain, d);
	if (now.sec < u->retry_at) {
		if (c && now.sec < c->not_after)
			return x509_hand(u, c, key, chain, d);
		tg_diag_set(d, "%s does not answer and no X509-SVID of '%s' is cached", u->url,
			    e->spiffe_id.uri);
		return TG_E_IO;
	}
	memset(&nc, 0, sizeof(nc));
	tg_buf_init(&nc.chain_pem, UP_RESP_MAX);
	r = new_key(&nc.key_pem, &csr);
	if (r == TG_OK)
		r = tg_buf_addf(&body, "{\"entry_id\":\"%s\",\"csr\":", e->id);
	if (r == TG_OK)
		r = tg_json_add_string(&body, (const char *)csr.data, csr.len);
	if (r == TG_OK)
		r = tg_buf_adds(&body, "}");
	if (r == TG_OK)
		r = call(u, "POST", "/v1/agent/svid/x509", &body, &resp, d);
	if (r == TG_OK)
		r = answer_str(&resp, "x509_svid", &nc.chain_pem, d);
	if (r == TG_OK)
		r = check_svid(u, &nc.chain_pem, nc.key_pem, e->spiffe_id.uri, NULL, NULL,
			       &nc.not_after, d);
	if (r == TG_E_IO) {
		up_failed(u, "asking for an X509-SVID", d);
		if (c && now.sec < c->not_after) {
			tg_diag_init(d);
			r = x509_hand(u, c, key, chain, d);
			goto out;
		}
	}
	if (r != TG_OK)
		goto out;
	up_ok(u);
	memcpy(nc.entry_id, e->id, sizeof(nc.entry_id));
	memcpy(nc.spiffe_id, e->spiffe_id.uri, strlen(e->spiffe_id.uri) + 1);
	nc.refresh_at = now.sec + (nc.not_after - now.sec) / 2;
	if (!c) {
		u->x = tg_xreallocarray(u->x, u->nx + 1, sizeof(*u->x));
		c = &u->x[u->nx++];
	} else {
		x509_cached_release(c);
	}
	*c = nc;
	memset(&nc, 0, sizeof(nc));
	r = x509_hand(u, c, key, chain, d);
out:
	x509_cached_release(&nc);
	tg_buf_release(&csr);
	tg_buf_release(&body);
	tg_buf_release(&resp);
	return r;
}

static tg_err up_jwt(void *ctx, const struct tg_entry *e, const char *const *aud, size_t naud,
		     struct tg_time now, struct tg_buf *token, struct tg_diag *d)
{
	struct tg_server_upstream *u = ctx;
	struct tg_buf joined = TG_BUF_INIT(64 * 1024), body = TG_BUF_INIT(128 * 1024),
		      resp = TG_BUF_INIT(UP_RESP_MAX), tok = TG_BUF_INIT(TG_LIMIT_JWS);
	struct jwt_cached *c = NULL;
	struct tg_arena a;
	const struct tg_json *claims = NULL;
	struct tg_spiffe_id sub;
	size_t i;
	tg_err r = TG_OK;

	tg_arena_init(&a, 1 << 20);
	if (naud == 0 || naud > 16) {
		tg_diag_set(d, "1..16 audiences");
		r = TG_E_INVAL;
		goto out;
	}
	for (i = 0; r == TG_OK && i < naud; i++) {
		if (strchr(aud[i], '\n') || strlen(aud[i]) > 1024) {
			tg_diag_set(d, "an audience has a line break or more than 1024 bytes");
			r = TG_E_INVAL;
			goto out;
		}
		if (i)
			r = tg_buf_addc(&joined, '\n');
		if (r == TG_OK)
			r = tg_buf_adds(&joined, aud[i]);
	}
	if (r != TG_OK)
		goto out;
	for (i = 0; i < u->nj; i++)
		if (strcmp(u->j[i].entry_id, e->id) == 0 && strcmp(u->j[i].auds, tg_buf_str(&joined)) == 0)
			c = &u->j[i];
	if (c && (now.sec < c->refresh_at || (now.sec < u->retry_at && now.sec < c->exp))) {
		r = tg_buf_add(token, c->token->p, c->token->len);
		goto out;
	}
	if (now.sec < u->retry_at) {
		tg_diag_set(d, "%s does not answer and no JWT-SVID of '%s' is cached", u->url,
			    e->spiffe_id.uri);
		r = TG_E_IO;
		goto out;
	}
	r = tg_buf_addf(&body, "{\"entry_id\":\"%s\",\"audience\":[", e->id);
	for (i = 0; r == TG_OK && i < naud; i++) {
		if (i)
			r = tg_buf_addc(&body, ',');
		if (r == TG_OK)
			r = tg_json_add_string(&body, aud[i], strlen(aud[i]));
	}
	if (r == TG_OK)
		r = tg_buf_adds(&body, "]}");
	if (r == TG_OK)
		r = call(u, "POST", "/v1/agent/svid/jwt", &body, &resp, d);
	if (r == TG_OK)
		r = answer_str(&resp, "token", &tok, d);
	/* the token must be one the bundle verifies, for this entry */
	if (r == TG_OK) {
		struct tg_revocations rev = up_rev(u);
		r = tg_jwt_svid_verify((const char *)tok.data, tok.len, &u->bundles, aud[0],
				       tg_time_now(), &rev, &a, &sub, &claims, d);
	}
	if (r == TG_OK && strcmp(sub.uri, e->spiffe_id.uri) != 0) {
		tg_diag_set(d, "the server sent a JWT-SVID for '%s', not '%s'", sub.uri,
			    e->spiffe_id.uri);
		r = TG_E_VERIFY;
	}
	if (r == TG_E_IO) {
		up_failed(u, "asking for a JWT-SVID", d);
		if (c && now.sec < c->exp) {
			r = tg_buf_add(token, c->token->p, c->token->len);
			goto out;
		}
	}
	if (r != TG_OK)
		goto out;
	up_ok(u);
	{
		const struct tg_json *exp = tg_json_get(claims, "exp");
		int64_t x = 0;
		if (!ttl_of(exp, INT64_C(1) << 40, &x))
			x = now.sec; /* not cached beyond this call */
		if (!c && u->nj < UP_JWT_CACHE) {
			u->j = tg_xreallocarray(u->j, u->nj + 1, sizeof(*u->j));
			c = &u->j[u->nj++];
			memset(c, 0, sizeof(*c));
		} else if (c) {
			jwt_cached_release(c);
		}
		if (c) {
			memcpy(c->entry_id, e->id, sizeof(c->entry_id));
			c->auds = tg_xstrndup(tg_buf_str(&joined), joined.len);
			c->token = tg_secret_from(tok.data, tok.len);
			c->exp = x;
			c->refresh_at = now.sec + (x - now.sec) / 2;
		}
	}
	r = tg_buf_add(token, tok.data, tok.len);
out:
	tg_arena_release(&a);
	tg_buf_release(&joined);
	tg_buf_release(&body);
	tg_buf_release_wipe(&resp);
	tg_buf_release_wipe(&tok);
	return r;
}


/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

static tg_err copy_path(char *dst, size_t cap, const char *src, const char *what,
			struct tg_diag *d)
{
	size_t n = src ? strlen(src) : 0;
	if (n == 0 || n >= cap) {
		tg_diag_set(d, "%s is missing or longer than %zu bytes", what, cap - 1);
		return TG_E_INVAL;
	}
	memcpy(dst, src, n + 1);
	return TG_OK;
}

tg_err tg_server_upstream_open(const struct tg_server_upstream_opts *o,
			       struct tg_server_upstream **out, struct tg_diag *d)
{
	struct tg_server_upstream *u = tg_xcalloc(1, sizeof(*u));
	tg_err r;

	tg_arena_init(&u->arena, 0);
	r = copy_path(u->url, sizeof(u->url), o->url, "the server URL", d);
	if (r == TG_OK)
		r = copy_path(u->ca_file, sizeof(u->ca_file), o->ca_file, "the CA file", d);
	if (r == TG_OK)
		r = copy_path(u->svid_file, sizeof(u->svid_file), o->svid_file, "the SVID file", d);
	if (r == TG_OK)
		r = copy_path(u->key_file, sizeof(u->key_file), o->key_file, "the key file", d);
	if (r == TG_OK)
		r = tg_client_url(u->url, &u->cl, d);
	if (r != TG_OK)
		goto out;
	u->cl.ca_file = u->ca_file;
	u->cl.cert_file = u->svid_file;
	u->cl.key_file = u->key_file;
	u->cl.connect_timeout_ms = UP_CONNECT_MS;
	u->cl.timeout_ms = UP_EXCHANGE_MS;
	u->poll_sec = o->poll_sec > 0 ? o->poll_sec : UP_POLL_DEFAULT;
	r = tg_server_upstream_files_check(u->svid_file, u->key_file, d);
	if (r == TG_OK)
		r = load_self(u, d);
	if (r != TG_OK)
		goto out;
	r = poll_entries(u, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot get the agent's entries from %s", u->url);
		/* the server's failure, not the caller's input */
		if (r != TG_E_DENIED && r != TG_E_KEY)
			r = TG_E_AGAIN;
		goto out;
	}
	u->next_poll = now_sec() + u->poll_sec;
	tg_log_info("agent: %s is %s with %zu entr%s (revision %.12s)", u->url, u->self.uri,
		    u->view.nentries, u->view.nentries == 1 ? "y" : "ies", u->view.revision);
	*out = u;
	u = NULL;
out:
	tg_server_upstream_close(u);
	return r;
}

void tg_server_upstream_ops(struct tg_server_upstream *u, struct tg_agent_upstream *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = u;
	ops->trust_domain = up_td;
	ops->refresh = up_refresh;
	ops->bundles = up_bundles;
	ops->match = up_match;
	ops->issue_x509 = up_x509;
	ops->issue_jwt = up_jwt;
	ops->revocations = up_rev;
}

void tg_server_upstream_close(struct tg_server_upstream *u)
{
	size_t i;
	if (!u)
		return;
	for (i = 0; i < u->nx; i++)
		x509_cached_release(&u->x[i]);
	free(u->x);
	for (i = 0; i < u->nj; i++)
		jwt_cached_release(&u->j[i]);
	free(u->j);
	tg_bundle_set_release(&u->bundles);
	tg_arena_release(&u->arena);
	free(u);
}
