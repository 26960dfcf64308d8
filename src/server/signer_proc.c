/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer_proc.c - the signer process of tollgated: the only process that
 * holds the trust domain CA and JWT keys, the code-signing CA key, the TSA
 * key and the log key. No network; it answers typed, size-checked requests
 * from the api worker and builds everything it signs from validated fields.
 */
#include "server/server.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"
#include "sign/sign.h"
#include "tlog/tlog.h"


struct sp {
	const struct tg_server_config *c;
	struct tg_ca *ca;
	struct tg_x509 *cs_inter;        /* code-signing intermediate */
	struct tg_key *cs_key;
	struct tg_x509 *tsa_cert, *tsa_root;
	struct tg_key *tsa_key;
	struct tg_tlog *log;
	uint8_t log_id[32];
	int64_t pending_since;          /* monotonic ms of the oldest sequenced decision */
};

/* ---- helpers ---- */

static tg_err path_join(const char *dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= cap) ? TG_E_TOOBIG : TG_OK;
}

tg_err tg_server_chain_pem(const struct tg_x509_list *l, struct tg_buf *out)
{
	size_t i;
	tg_err r = TG_OK;
	for (i = 0; r == TG_OK && i < l->count; i++)
		r = tg_x509_to_pem(l->certs[i], out);
	return r;
}


static void sp_release(struct sp *s)
{
	tg_ca_close(s->ca);
	tg_x509_free(s->cs_inter);
	tg_key_free(s->cs_key);
	tg_x509_free(s->tsa_cert);
	tg_x509_free(s->tsa_root);
	tg_key_free(s->tsa_key);
	tg_tlog_close(s->log);
}

static tg_err sp_open(struct sp *s, const struct tg_server_config *c, struct tg_diag *d)
{
	char p[PATH_MAX];
	tg_err r;

	memset(s, 0, sizeof(*s));
	s->c = c;
	r = tg_ca_open(c->ca_dir, &s->ca, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(c->signer_dir, "ca-intermediate.pem", &s->cs_inter, d);
	if (r == TG_OK)
		r = tg_signer_read_key(c->signer_dir, "ca-intermediate.key", &s->cs_key, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(c->signer_dir, "tsa.pem", &s->tsa_cert, d);
	if (r == TG_OK)
		r = tg_signer_read_cert(c->signer_dir, "tsa-root.pem", &s->tsa_root, d);
	if (r == TG_OK)
		r = tg_signer_read_key(c->signer_dir, "tsa.key", &s->tsa_key, d);
	if (r == TG_OK)
		r = path_join(c->signer_dir, "log", p, sizeof(p));
	if (r == TG_OK)
		r = tg_tlog_open(p, TG_TLOG_APPEND, &s->log, d);
	if (r == TG_OK)
		r = tg_sign_log_key_hash(tg_tlog_key(s->log), s->log_id);
	return r;
}

/* ---- the decision log ---- */

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Gate and admission decisions: the entry e is sequenced in the log's
 * journal (durable with decision_log_sync) and answered with its index
 * and itself; it joins the tiles and a signed checkpoint within
 * log_integrate_ms, or earlier when the log is read or a signature is
 * logged (docs/config.md). */
static tg_err log_decision(struct sp *s, const struct tg_buf *e, struct tg_server_answer *o,
			   struct tg_diag *d)
{
	const uint8_t *ep[1] = {e->data};
	size_t el[1] = {e->len};
	uint64_t index = 0;
	tg_err r;
	if (s->c->log_integrate_ms == 0) {
		r = tg_tlog_append(s->log, ep, el, 1, &index, d);
	} else {
		if (tg_tlog_pending(s->log) == 0)
			s->pending_since = mono_ms();
		r = tg_tlog_sequence(s->log, ep, el, 1,
				     s->c->decision_log_sync ? TG_TLOG_SYNC : 0, &index, d);
		if (r != TG_OK)
			tg_diag_prefix(d, "cannot log the decision");
	}
	if (r == TG_OK)
		r = tg_buf_addf(&o->f[0], "%llu", (unsigned long long)index);
	if (r == TG_OK)
		r = tg_buf_add(&o->f[1], e->data, e->len);
	o->n = 2;
	return r;
}

static tg_err integrate(struct sp *s, struct tg_diag *d)
{
	tg_err r;
	if (tg_tlog_pending(s->log) == 0)
		return TG_OK;
	r = tg_tlog_integrate(s->log, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot integrate the sequenced decisions");
	return r;
}

/* Integrates the decisions once the oldest has waited log_integrate_ms. */
static int idle(void *ctx)
{
	struct sp *s = ctx;
	struct tg_diag d;
	int64_t left;
	if (tg_tlog_pending(s->log) == 0)
		return -1;
	left = s->pending_since + s->c->log_integrate_ms - mono_ms();
	if (left > 0)
		return (int)left;
	tg_diag_init(&d);
	if (integrate(s, &d) != TG_OK) {
		fprintf(stderr, "tollgated: signer: %s\n", d.msg);
		return 1000; /* retried; the entries stay in the journal */
	}
	return -1;
}

/* ---- responses ---- */

/* Answers are struct tg_server_answer (server.h); serve.c sends them. */

/* ---- handlers ---- */

tg_err tg_server_spki_key(const struct tg_smsg *m, size_t i, struct tg_key **k,
			  struct tg_diag *d)
{
	tg_err r = tg_key_from_der(m->f[i].p, m->f[i].len, false, k, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "unusable public key");
		return TG_E_KEY;
	}
	if (tg_key_type(*k) != TG_KEY_EC_P256 && tg_key_type(*k) != TG_KEY_EC_P384 &&
	    tg_key_type(*k) != TG_KEY_ED25519) {
		tg_key_free(*k);
		*k = NULL;
		tg_diag_set(d, "public key type not allowed (ECDSA P-256/P-384 or Ed25519)");
		return TG_E_KEY;
	}
	return TG_OK;
}

static tg_err h_server_svid(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			    struct tg_diag *d)
{
	struct tg_spiffe_id id;
	struct tg_key *k = NULL;
	struct tg_x509_list chain = {NULL, 0};
	const char *dns[TG_ARRAY_LEN(s->c->server_dns) + 1];
	size_t i;
	tg_err r = tg_server_spki_key(m, 0, &k, d);
	/* the DNS names come from the configuration this process read, never
	 * from the request: the worker cannot choose them */
	for (i = 0; i < s->c->nserver_dns && i < TG_ARRAY_LEN(s->c->server_dns); i++)
		dns[i] = s->c->server_dns[i];
	dns[i] = NULL;
	if (r == TG_OK)
		r = tg_spiffe_id_from(tg_ca_trust_domain(s->ca), "/tollgated", &id, d);
	if (r == TG_OK)
		r = tg_ca_issue_x509_dns(s->ca, &id, k, dns, s->c->server_svid_ttl, tg_time_now(),
					 &chain, d);
	if (r == TG_OK)
		r = tg_server_chain_pem(&chain, &o->f[0]);
	o->n = 1;
	tg_x509_list_release(&chain);
	tg_key_free(k);
	return r;
}

static tg_err h_bundle(struct sp *s, struct tg_server_answer *o)
{
	struct tg_bundle b;
	tg_err r;
	memset(&b, 0, sizeof(b));
	r = tg_ca_bundle(s->ca, &b);
	if (r == TG_OK)
		r = tg_bundle_to_spiffe(&b, &o->f[0]);
	if (r == TG_OK)
		r = tg_bundle_to_pem(&b, &o->f[1]);
	o->n = 2;
	tg_bundle_release(&b);
	return r;
}

/* The configured issuer named by the token's (unverified) iss claim:
 * the claim only picks the keys that must then verify it. */
static const struct tg_server_oidc *pick_issuer(const struct sp *s, const uint8_t *tok,
						size_t n, struct tg_diag *d)
{
	struct tg_buf pl = TG_BUF_INIT(TG_LIMIT_JWS);
	struct tg_arena a;
	const struct tg_json *c = NULL;
	const struct tg_server_oidc *hit = NULL;
	const uint8_t *p1 = memchr(tok, '.', n), *p2;
	size_t i;

	tg_arena_init(&a, 1 << 20);
	if (p1)
		p2 = memchr(p1 + 1, '.', n - (size_t)(p1 + 1 - tok));
	if (!p1 || !p2 ||
	    tg_b64_decode(&pl, (const char *)p1 + 1, (size_t)(p2 - p1 - 1), TG_B64_URL, NULL) != TG_OK ||
	    tg_json_parse(&a, pl.data, pl.len, NULL, &c, NULL, NULL) != TG_OK ||
	    !tg_json_get(c, "iss") || tg_json_get(c, "iss")->type != TG_JSON_STRING) {
		tg_diag_set(d, "the token is not a JWT with an iss claim");
		goto out;
	}
	for (i = 0; i < s->c->noidc; i++)
		if (tg_json_str_eq(tg_json_get(c, "iss"), s->c->oidc[i].issuer))
			hit = &s->c->oidc[i];
	if (!hit)
		tg_diag_set(d, "the token's issuer is not trusted");
out:
	tg_buf_release(&pl);
	tg_arena_release(&a);
	return hit;
}

/* The issuer's JWK set: its jwks_file, or the one the fetcher process
 * stored (refused when missing or older than jwks_max_stale). */
static tg_err load_jwks(const struct sp *s, const struct tg_server_oidc *iss, struct tg_arena *a,
			struct tg_jwks *out, struct tg_diag *d)
{
	struct tg_buf text = TG_BUF_INIT(TG_LIMIT_JWK);
	const struct tg_json *doc = NULL;
	char path[PATH_MAX];
	struct stat st;
	tg_err r = tg_server_jwks_path(s->c, iss, path, sizeof(path));
	if (r == TG_OK && tg_server_oidc_fetched(iss)) {
		if (stat(path, &st) != 0) {
			tg_diag_set(d, "the JWK set of '%s' has not been fetched yet (see tollgated's "
				       "log for the fetcher's errors)", iss->issuer);
			return TG_E_IO;
		}
		if ((int64_t)time(NULL) - (int64_t)st.st_mtime > s->c->jwks_max_stale) {
			tg_diag_set(d, "the JWK set of '%s' was last fetched %lld s ago, more than "
				       "jwks_max_stale (see tollgated's log for the fetcher's errors)",
				    iss->issuer, (long long)((int64_t)time(NULL) - (int64_t)st.st_mtime));
			return TG_E_IO;
		}
	}
	if (r == TG_OK)
		r = tg_fs_read(path, &text, d);
	if (r == TG_OK)
		r = tg_json_parse(a, text.data, text.len, NULL, &doc, NULL, d);
	if (r == TG_OK && !tg_json_get(doc, "keys"))
		r = TG_E_PARSE;
	if (r == TG_OK)
		r = tg_jwks_parse(doc, 0, true, out, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot load the issuer's JWK set '%s'", path);
	tg_buf_release(&text);
	return r == TG_OK ? r : TG_E_INTERNAL;
}

static enum tg_oidc_profile profile_of(const char *p)
{
	if (strcmp(p, "github") == 0)
		return TG_OIDC_GITHUB;
	if (strcmp(p, "gitlab") == 0)
		return TG_OIDC_GITLAB;
	if (strcmp(p, "kubernetes") == 0)
		return TG_OIDC_KUBERNETES;
	return TG_OIDC_GENERIC;
}

static tg_err h_attest(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o, struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_attestation att;
	struct tg_jwks jwks = {NULL, 0};
	struct tg_entry *es = NULL;
	struct tg_key *k = NULL;
	struct tg_x509_list chain = {NULL, 0};
	struct tg_spiffe_id id;
	struct tg_bundle b;
	size_t ne = 0, i, kept;
	int64_t xttl = 0, jttl = 0, xbest = 0, jbest = 0;
	const char *tok = (const char *)m->f[1].p;
	tg_err r;

	memset(&b, 0, sizeof(b));
	memset(&att, 0, sizeof(att));
	tg_arena_init(&a, 16 * 1024 * 1024);
	if (m->f[0].len == 4 && memcmp(m->f[0].p, "oidc", 4) == 0) {
		const struct tg_server_oidc *iss = pick_issuer(s, m->f[1].p, m->f[1].len, d);
		struct tg_oidc_config cfg;
		if (!iss) {
			r = TG_E_VERIFY; /* an unknown issuer authenticates nobody */
			goto out;
		}
		r = load_jwks(s, iss, &a, &jwks, d);
		if (r != TG_OK)
			goto out;
		memset(&cfg, 0, sizeof(cfg));
		cfg.issuer = iss->issuer;
		cfg.audience = iss->audience;
		cfg.profile = profile_of(iss->profile);
		cfg.jwks = &jwks;
		cfg.now = tg_time_now();
		cfg.skew = 30;
		r = tg_attest_oidc(s->ca, tok, m->f[1].len, &cfg, &a, &att, d);
	} else if (m->f[0].len == 4 && memcmp(m->f[0].p, "join", 4) == 0) {
		r = tg_attest_join(s->ca, tok, m->f[1].len, tg_time_now(), &a, &att, d);
	} else {
		tg_diag_set(d, "unknown attestation kind");
		r = TG_E_INVAL;
	}
	if (r != TG_OK)
		goto out;
	r = tg_entry_match(s->ca, att.selectors, att.n, &a, &es, &ne, d);
	if (r != TG_OK)
		goto out;
	/* an entry with a parent is its agent's to attest, never ours */
	for (i = 0, kept = 0; i < ne; i++)
		if (!es[i].parent_id.uri[0])
			es[kept++] = es[i];
	ne = kept;
	if (ne == 0) {
		tg_diag_set(d, "no registration entry matches the attested selectors");
		r = TG_E_DENIED;
		goto out;
	}
	/* one SPIFFE ID: the requested one, or the only one matched */
	if (m->f[3].len) {
		r = tg_spiffe_id_parse((const char *)m->f[3].p, m->f[3].len, &id, d);
		if (r != TG_OK)
			goto out;
	} else {
		id = es[0].spiffe_id;
	}
	for (i = 0; i < ne; i++) {
		if (strcmp(es[i].spiffe_id.uri, id.uri) != 0) {
			if (!m->f[3].len) {
				tg_diag_set(d, "entries with several SPIFFE IDs match; choose one");
				r = TG_E_CONFLICT;
				goto out;
			}
			continue;
		}
		{
			/* the shortest lifetime wins, an entry without one counting
			 * as the default (as `tollgate attest` does) */
			int64_t x = es[i].x509_ttl > 0 ? es[i].x509_ttl : TG_SVID_X509_TTL_DEFAULT;
			int64_t j = es[i].jwt_ttl > 0 ? es[i].jwt_ttl : TG_SVID_JWT_TTL_DEFAULT;
			if (!xbest || x < xbest) {
				xbest = x;
				xttl = es[i].x509_ttl;
			}
			if (!jbest || j < jbest) {
				jbest = j;
				jttl = es[i].jwt_ttl;
			}
		}
	}
	{
		bool found = false;
		for (i = 0; i < ne; i++)
			found |= strcmp(es[i].spiffe_id.uri, id.uri) == 0;
		if (!found) {
			tg_diag_set(d, "no matched entry has the SPIFFE ID '%s'", id.uri);
			r = TG_E_DENIED;
			goto out;
		}
	}
	r = tg_buf_adds(&o->f[0], id.uri);
	if (r == TG_OK && m->f[2].len) {
		r = tg_server_spki_key(m, 2, &k, d);
		if (r == TG_OK)
			r = tg_ca_issue_x509(s->ca, &id, k, xttl, tg_time_now(), &chain, d);
		if (r == TG_OK)
			r = tg_server_chain_pem(&chain, &o->f[1]);
		if (r == TG_OK)
			r = tg_ca_bundle(s->ca, &b);
		if (r == TG_OK)
			r = tg_bundle_to_pem(&b, &o->f[2]);
	}
	/* JWT-SVIDs, one per audience line */
	if (r == TG_OK && m->f[4].len) {
		const char *p = (const char *)m->f[4].p, *end = p + m->f[4].len;
		size_t cnt = 0;
		while (r == TG_OK && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			char aud[1025];
			const char *auds[1] = {aud};
			if (l == 0 || l >= sizeof(aud) || ++cnt > 16) {
				tg_diag_set(d, "malformed audience list");
				r = TG_E_INVAL;
				break;
			}
			memcpy(aud, p, l);
			aud[l] = '\0';
			if (o->f[3].len)
				r = tg_buf_addc(&o->f[3], '\n');
			if (r == TG_OK)
				r = tg_ca_issue_jwt(s->ca, &id, auds, 1, jttl, tg_time_now(), TG_SIG_NONE,
						    &o->f[3], d);
			p += l + (nl ? 1 : 0);
		}
	}
	o->n = 4;
out:
	tg_bundle_release(&b);
	tg_x509_list_release(&chain);
	tg_key_free(k);
	tg_jwks_release(&jwks);
	tg_arena_release(&a);
	return r;
}

/* Verifies a client X509-SVID chain (PEM, leaf first) against the trust
 * domain's bundle: the api worker's TLS check is repeated here, so that
 * a compromised worker cannot name an identity it has no certificate for. */
static tg_err client_svid(struct sp *s, const struct tg_smsg *m, size_t i, struct tg_x509_list *l,
			  struct tg_spiffe_id *id, struct tg_diag *d)
{
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_revocations rev = tg_ca_revocations(s->ca);
	tg_err r;

	if (m->f[i].len < 10 || memcmp(m->f[i].p, "-----BEGIN", 10) != 0) {
		/* a bearer JWT-SVID whose audience is the server */
		struct tg_spiffe_id self;
		struct tg_arena a;
		tg_arena_init(&a, 1 << 20);
		r = tg_spiffe_id_from(tg_ca_trust_domain(s->ca), "/tollgated", &self, d);
		if (r == TG_OK)
			r = tg_ca_bundles(s->ca, &bs);
		if (r == TG_OK)
			r = tg_jwt_svid_verify((const char *)m->f[i].p, m->f[i].len, &bs, self.uri,
					       tg_time_now(), &rev, &a, id, NULL, d);
		tg_arena_release(&a);
		goto td;
	}
	r = tg_x509_list_from_pem((const char *)m->f[i].p, m->f[i].len, l, d);
	if (r == TG_OK && (l->count == 0 || l->count > TG_LIMIT_CHAIN)) {
		tg_diag_set(d, "no client certificate");
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		r = tg_ca_bundles(s->ca, &bs);
	if (r == TG_OK)
		r = tg_x509_svid_verify(l->certs[0], (const struct tg_x509 *const *)l->certs + 1,
					l->count - 1, &bs, tg_time_now(), &rev, id, d);
td:
	if (r == TG_OK && !tg_spiffe_id_in_td(id, tg_ca_trust_domain(s->ca))) {
		tg_diag_set(d, "the client SVID is from another trust domain");
		r = TG_E_DENIED;
	}
	tg_bundle_set_release(&bs);
	return r;
}

static tg_err h_jwt_svid(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o, struct tg_diag *d)
{
	struct tg_x509_list l = {NULL, 0};
	struct tg_spiffe_id id;
	char aud[1025];
	const char *auds[1] = {aud};
	tg_err r = client_svid(s, m, 0, &l, &id, d);
	if (r == TG_OK && (m->f[1].len == 0 || m->f[1].len >= sizeof(aud) ||
			   memchr(m->f[1].p, '\n', m->f[1].len))) {
		tg_diag_set(d, "malformed audience");
		r = TG_E_INVAL;
	}
	if (r == TG_OK) {
		memcpy(aud, m->f[1].p, m->f[1].len);
		aud[m->f[1].len] = '\0';
		r = tg_buf_adds(&o->f[0], id.uri);
	}
	if (r == TG_OK)
		r = tg_ca_issue_jwt(s->ca, &id, auds, 1, 0, tg_time_now(), TG_SIG_NONE, &o->f[1], d);
	o->n = 2;
	tg_x509_list_release(&l);
	return r;
}



static tg_err h_signing_cert(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			     struct tg_diag *d)
{
	struct tg_sign_identity *id = tg_xcalloc(1, sizeof(*id));
	struct tg_x509_list l = {NULL, 0};
	struct tg_key *pub = NULL, *leafkey = NULL;
	struct tg_x509 *leaf = NULL;
	struct tg_arena a;
	struct tg_jwks jwks = {NULL, 0};
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	r = tg_server_spki_key(m, 2, &pub, d);
	if (r != TG_OK)
		goto out;
	if (m->f[0].len == 4 && memcmp(m->f[0].p, "oidc", 4) == 0) {
		const struct tg_server_oidc *iss = pick_issuer(s, m->f[1].p, m->f[1].len, d);
		if (!iss) {
			r = TG_E_VERIFY; /* an unknown issuer authenticates nobody */
			goto out;
		}
		r = load_jwks(s, iss, &a, &jwks, d);
		if (r == TG_OK)
			r = tg_sign_identity_from_oidc((const char *)m->f[1].p, m->f[1].len, &jwks,
						       iss->issuer, iss->audience, tg_time_now(), id, d);
	} else if (m->f[0].len == 4 && memcmp(m->f[0].p, "jwt ", 4) == 0) {
		struct tg_spiffe_id sid;
		r = client_svid(s, m, 1, &l, &sid, d);
		if (r == TG_OK && strlen(sid.uri) >= sizeof(id->san)) {
			tg_diag_set(d, "the SPIFFE ID is too long for a signing certificate");
			r = TG_E_TOOBIG;
		}
		if (r == TG_OK) {
			memcpy(id->san, sid.uri, strlen(sid.uri) + 1);
			snprintf(id->issuer, sizeof(id->issuer), "spiffe://%s",
				 tg_ca_trust_domain(s->ca));
		}
	} else if (m->f[0].len == 4 && memcmp(m->f[0].p, "svid", 4) == 0) {
		struct tg_spiffe_id sid;
		struct tg_bundle b;
		memset(&b, 0, sizeof(b));
		r = client_svid(s, m, 1, &l, &sid, d);
		if (r == TG_OK)
			r = tg_x509_public_key(l.certs[0], &leafkey);
		if (r == TG_OK)
			r = tg_ca_bundle(s->ca, &b);
		if (r == TG_OK)
			r = tg_sign_identity_from_svid((const struct tg_x509 *const *)l.certs, l.count,
						       leafkey, (const struct tg_x509 *const *)b.x509.certs,
						       b.x509.count, tg_time_now(), id, d);
		tg_bundle_release(&b);
	} else {
		tg_diag_set(d, "unknown identity kind");
		r = TG_E_INVAL;
	}
	if (r != TG_OK)
		goto out;
	r = tg_sign_fulcio_cert(id, pub, tg_time_now(), s->cs_inter, s->cs_key, &leaf, d);
	if (r == TG_OK)
		r = tg_x509_to_pem(leaf, &o->f[0]);
	if (r == TG_OK)
		r = tg_x509_to_pem(s->cs_inter, &o->f[0]);
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[1], id->san);
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[2], id->issuer);
	o->n = 3;
out:
	tg_x509_free(leaf);
	tg_key_free(pub);
	tg_key_free(leafkey);
	tg_x509_list_release(&l);
	tg_jwks_release(&jwks);
	tg_arena_release(&a);
	free(id);
	return r;
}

/* RFC 3161 2.4: a TimeStampResp to the client's TimeStampReq. The
 * request was parsed strictly (DER, no trailing bytes) before OpenSSL's
 * responder judges it; a rejection is a TimeStampResp too. */
static tg_err h_timestamp(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			  struct tg_diag *d)
{
	const unsigned char *p = m->f[0].p;
	TS_REQ *req = d2i_TS_REQ(NULL, &p, (long)m->f[0].len);
	int status = -1;
	tg_err r;

	if (!req || p != m->f[0].p + m->f[0].len) {
		ERR_clear_error();
		TS_REQ_free(req);
		tg_diag_set(d, "malformed TimeStampReq (DER)");
		return TG_E_PARSE;
	}
	TS_REQ_free(req);
	r = tg_tsa_respond(s->tsa_key, s->tsa_cert, (const struct tg_x509 *const *)&s->tsa_root, 1,
			   TG_SIGNER_TSA_POLICY, m->f[0].p, m->f[0].len, NULL, &status, &o->f[0]);
	if (r != TG_OK) {
		tg_diag_set(d, "the timestamp authority could not answer");
		return r;
	}
	o->n = 1;
	return TG_OK;
}

/* Appends one entry (already validated and canonicalized by the worker,
 * checked again here to be canonical JSON) and answers with the
 * transparency log entry in Sigstore bundle form. */
static tg_err h_log_append(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			   struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_buf canon = TG_BUF_INIT(65536), cp = TG_BUF_INIT(TG_NOTE_MAX),
		      b64 = TG_BUF_INIT(1 << 20);
	const struct tg_json *v = NULL;
	struct tg_tlog_proof proof;
	struct tg_tlog_nodes src;
	struct tg_checkpoint c;
	struct tg_buf *j = &o->f[0];
	uint64_t index = 0;
	size_t i;
	tg_err r;

	tg_arena_init(&a, 4 * 1024 * 1024);
	r = tg_json_parse(&a, m->f[0].p, m->f[0].len, NULL, &v, NULL, d);
	if (r == TG_OK)
		r = tg_json_canon(&canon, v);
	if (r == TG_OK && (canon.len != m->f[0].len || memcmp(canon.data, m->f[0].p, canon.len))) {
		tg_diag_set(d, "log entry is not canonical JSON");
		r = TG_E_PARSE;
	}
	if (r == TG_OK && !tg_json_str_eq(tg_json_get(v, "kind"), "hashedrekord")) {
		tg_diag_set(d, "only hashedrekord entries are accepted");
		r = TG_E_UNSUPPORTED;
	}
	if (r != TG_OK)
		goto out;
	{
		const uint8_t *e[1] = {m->f[0].p};
		size_t l[1] = {m->f[0].len};
		r = tg_tlog_append(s->log, e, l, 1, &index, d);
	}
	src = tg_tlog_nodes(s->log);
	if (r == TG_OK)
		r = tg_tlog_prove_inclusion(&src, index, tg_tlog_size(s->log), &proof);
	if (r == TG_OK)
		r = tg_tlog_checkpoint(s->log, &cp);
	if (r == TG_OK) {
		const char *text = (const char *)cp.data;
		const char *sep = strstr(text, "\n\n");
		r = sep ? tg_checkpoint_parse(text, (size_t)(sep - text) + 1, &c, d) : TG_E_PARSE;
	}
	if (r != TG_OK)
		goto out;
	/* {"logIndex","logId":{"keyId"},"kindVersion","inclusionProof",
	 *  "canonicalizedBody"}: every string is base64, digits or fixed */
	r = tg_buf_addf(j, "{\"logIndex\":\"%llu\",\"logId\":{\"keyId\":\"", (unsigned long long)index);
	if (r == TG_OK)
		r = tg_b64_encode(j, s->log_id, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addf(j, "\"},\"kindVersion\":{\"kind\":\"hashedrekord\",\"version\":\"0.0.2\"},"
				   "\"inclusionProof\":{\"logIndex\":\"%llu\",\"rootHash\":\"",
				(unsigned long long)index);
	if (r == TG_OK)
		r = tg_b64_encode(j, c.root, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addf(j, "\",\"treeSize\":\"%llu\",\"hashes\":[", (unsigned long long)c.size);
	for (i = 0; r == TG_OK && i < proof.n; i++) {
		r = tg_buf_adds(j, i ? ",\"" : "\"");
		if (r == TG_OK)
			r = tg_b64_encode(j, proof.h[i], 32, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_addc(j, '"');
	}
	if (r == TG_OK) {
		const struct tg_json *env = NULL;
		r = tg_buf_adds(j, "],\"checkpoint\":{\"envelope\":");
		if (r == TG_OK)
			r = tg_json_new_string(&a, (const char *)cp.data, cp.len, &env);
		if (r == TG_OK)
			r = tg_json_emit(j, env, 0);
	}
	if (r == TG_OK)
		r = tg_buf_adds(j, "}},\"canonicalizedBody\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(j, m->f[0].p, m->f[0].len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(j, "\"}");
	o->n = 1;
out:
	tg_buf_release(&canon);
	tg_buf_release(&cp);
	tg_buf_release(&b64);
	tg_arena_release(&a);
	return r;
}

/* Logs a gate decision: the worker's canonical decision document is
 * checked to be canonical JSON with a boolean allow and a sha256 artifact;
 * the entry is built here from its SHA-256, the artifact and the verdict:
 * {"apiVersion":"0.0.1","kind":"tollgate-gate-decision","spec":{"allow",
 * "artifact","decision":{"algorithm":"SHA2_256","digest"}}}. */
static tg_err h_log_decision(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			     struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_buf canon = TG_BUF_INIT(1024 * 1024), e = TG_BUF_INIT(1024);
	const struct tg_json *v = NULL, *allow, *art;
	uint8_t h[32];
	size_t i;
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	r = tg_json_parse(&a, m->f[0].p, m->f[0].len, NULL, &v, NULL, d);
	if (r == TG_OK)
		r = tg_json_canon(&canon, v);
	if (r == TG_OK && (canon.len != m->f[0].len || memcmp(canon.data, m->f[0].p, canon.len))) {
		tg_diag_set(d, "the decision is not canonical JSON");
		r = TG_E_PARSE;
	}
	allow = r == TG_OK ? tg_json_get(v, "allow") : NULL;
	art = r == TG_OK ? tg_json_get(v, "artifact") : NULL;
	if (r == TG_OK && (!allow || allow->type != TG_JSON_BOOL || !art ||
			   art->type != TG_JSON_STRING || art->u.s.len != 71 ||
			   memcmp(art->u.s.p, "sha256:", 7) != 0)) {
		tg_diag_set(d, "the decision needs a boolean allow and a sha256 artifact");
		r = TG_E_PARSE;
	}
	for (i = 7; r == TG_OK && i < 71; i++)
		if (!((art->u.s.p[i] >= '0' && art->u.s.p[i] <= '9') ||
		      (art->u.s.p[i] >= 'a' && art->u.s.p[i] <= 'f'))) {
			tg_diag_set(d, "the decision's artifact is not lower-case hex");
			r = TG_E_PARSE;
		}
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, m->f[0].p, m->f[0].len, h);
	/* RFC 8785: members in code-point order */
	if (r == TG_OK)
		r = tg_buf_addf(&e, "{\"apiVersion\":\"0.0.1\",\"kind\":\"tollgate-gate-decision\","
				    "\"spec\":{\"allow\":%s,\"artifact\":\"%.71s\",\"decision\":"
				    "{\"algorithm\":\"SHA2_256\",\"digest\":\"",
				allow->u.b ? "true" : "false", art->u.s.p);
	if (r == TG_OK)
		r = tg_b64_encode(&e, h, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(&e, "\"}}}");
	if (r == TG_OK)
		r = log_decision(s, &e, o, d);
	tg_buf_release(&canon);
	tg_buf_release(&e);
	tg_arena_release(&a);
	return r;
}

/* ---- admission decisions ---- */

/* A string member of o (absent allowed when !need) of 1..max bytes. */
static tg_err rec_str(const struct tg_json *o, const char *key, size_t max, bool need,
		      const struct tg_json **out, struct tg_diag *d)
{
	const struct tg_json *v = tg_json_get(o, key);
	*out = v;
	if (!v && !need)
		return TG_OK;
	if (!v || v->type != TG_JSON_STRING || v->u.s.len == 0 || v->u.s.len > max) {
		tg_diag_set(d, "the admission record's '%s' must be a string of 1..%zu bytes", key,
			    max);
		return TG_E_PARSE;
	}
	return TG_OK;
}

static bool one_of(const struct tg_json *v, const char *const *set)
{
	for (; *set; set++)
		if (tg_json_str_eq(v, *set))
			return true;
	return false;
}

/* Appends v (a string) in RFC 8785 form. */
static tg_err add_canon(struct tg_buf *out, const struct tg_json *v)
{
	return tg_json_canon(out, v);
}

tg_err tg_server_admission_entry(const uint8_t *rec, size_t n, struct tg_buf *entry,
				 struct tg_diag *d)
{
	static const char *const modes[] = {"enforce", "warn", "audit", NULL};
	static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT", NULL};
	static const char *const top[] = {"allowed", "dry_run", "images", "kind", "mode", "name",
					  "namespace", "operation", "uid", NULL};
	static const char *const img[] = {"allow", "container", "digest", "field", "image", NULL};
	struct tg_arena a;
	struct tg_buf canon = TG_BUF_INIT(TG_SMSG_MAX);
	const struct tg_json *v = NULL, *allowed, *dry, *images, *kind, *mode, *name, *ns, *op,
			     *uid;
	uint8_t h[32];
	size_t i, k;
	tg_err r;

	tg_arena_init(&a, 16 * 1024 * 1024);
	r = tg_json_parse(&a, rec, n, NULL, &v, NULL, d);
	if (r == TG_OK)
		r = tg_json_canon(&canon, v);
	if (r == TG_OK && (canon.len != n || memcmp(canon.data, rec, n) != 0)) {
		tg_diag_set(d, "the admission record is not canonical JSON");
		r = TG_E_PARSE;
	}
	if (r == TG_OK && v->type != TG_JSON_OBJECT) {
		tg_diag_set(d, "the admission record is not an object");
		r = TG_E_PARSE;
	}
	for (i = 0; r == TG_OK && i < v->u.o.len; i++)
		if (!one_of(v->u.o.items[i].key, top)) {
			tg_diag_set(d, "the admission record has an unknown member");
			r = TG_E_PARSE;
		}
	allowed = r == TG_OK ? tg_json_get(v, "allowed") : NULL;
	dry = r == TG_OK ? tg_json_get(v, "dry_run") : NULL;
	images = r == TG_OK ? tg_json_get(v, "images") : NULL;
	if (r == TG_OK && (!allowed || allowed->type != TG_JSON_BOOL || !dry ||
			   dry->type != TG_JSON_BOOL || !images || images->type != TG_JSON_ARRAY ||
			   images->u.a.len > TG_LIMIT_GATE_IMAGES)) {
		tg_diag_set(d, "the admission record needs booleans allowed and dry_run and at most "
			       "%d images", TG_LIMIT_GATE_IMAGES);
		r = TG_E_PARSE;
	}
	/* sideEffects NoneOnDryRun: a dry run leaves no trace */
	if (r == TG_OK && dry->u.b) {
		tg_diag_set(d, "dry-run admission requests are not logged");
		r = TG_E_INVAL;
	}
	/* Kubernetes: kinds and names are DNS subdomains (253), namespaces
	 * labels (63); uids 36 (we allow what the gate accepts: 256) */
	if (r == TG_OK)
		r = rec_str(v, "kind", 253, true, &kind, d);
	if (r == TG_OK)
		r = rec_str(v, "name", 253, false, &name, d);
	if (r == TG_OK)
		r = rec_str(v, "namespace", 253, false, &ns, d);
	if (r == TG_OK)
		r = rec_str(v, "uid", 256, true, &uid, d);
	if (r == TG_OK)
		r = rec_str(v, "mode", 16, true, &mode, d);
	if (r == TG_OK)
		r = rec_str(v, "operation", 16, true, &op, d);
	if (r == TG_OK && (!one_of(mode, modes) || !one_of(op, ops))) {
		tg_diag_set(d, "the admission record's mode or operation is not one of the known");
		r = TG_E_PARSE;
	}
	for (i = 0; r == TG_OK && i < images->u.a.len; i++) {
		const struct tg_json *im = images->u.a.items[i], *al, *dg;
		if (im->type != TG_JSON_OBJECT) {
			r = TG_E_PARSE;
			break;
		}
		for (k = 0; r == TG_OK && k < im->u.o.len; k++)
			if (!one_of(im->u.o.items[k].key, img))
				r = TG_E_PARSE;
		al = tg_json_get(im, "allow");
		dg = tg_json_get(im, "digest");
		if (r == TG_OK && (!al || al->type != TG_JSON_BOOL))
			r = TG_E_PARSE;
		if (r == TG_OK && dg &&
		    (dg->type != TG_JSON_STRING || dg->u.s.len != 71 ||
		     memcmp(dg->u.s.p, "sha256:", 7) != 0))
			r = TG_E_PARSE;
		for (k = 7; r == TG_OK && dg && k < 71; k++)
			if (!((dg->u.s.p[k] >= '0' && dg->u.s.p[k] <= '9') ||
			      (dg->u.s.p[k] >= 'a' && dg->u.s.p[k] <= 'f')))
				r = TG_E_PARSE;
		/* an image without a digest was never allowed */
		if (r == TG_OK && !dg && al->u.b)
			r = TG_E_PARSE;
		if (r != TG_OK)
			tg_diag_set(d, "the admission record's images[%zu] is malformed", i);
	}
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, rec, n, h);
	/* RFC 8785: members in code-point order; strings re-emitted canonically */
	if (r == TG_OK)
		r = tg_buf_addf(entry, "{\"apiVersion\":\"0.0.1\",\"kind\":\"tollgate-admission-decision\","
				       "\"spec\":{\"allowed\":%s,\"images\":[",
				allowed->u.b ? "true" : "false");
	for (i = 0; r == TG_OK && i < images->u.a.len; i++) {
		const struct tg_json *im = images->u.a.items[i], *dg = tg_json_get(im, "digest");
		r = tg_buf_addf(entry, "%s{\"allow\":%s", i ? "," : "",
				tg_json_get(im, "allow")->u.b ? "true" : "false");
		if (r == TG_OK && dg)
			r = tg_buf_addf(entry, ",\"digest\":\"%.71s\"", dg->u.s.p);
		if (r == TG_OK)
			r = tg_buf_addc(entry, '}');
	}
	if (r == TG_OK)
		r = tg_buf_adds(entry, "],\"mode\":");
	if (r == TG_OK)
		r = add_canon(entry, mode);
	if (r == TG_OK && ns) {
		r = tg_buf_adds(entry, ",\"namespace\":");
		if (r == TG_OK)
			r = add_canon(entry, ns);
	}
	if (r == TG_OK)
		r = tg_buf_adds(entry, ",\"object\":{\"kind\":");
	if (r == TG_OK)
		r = add_canon(entry, kind);
	if (r == TG_OK && name) {
		r = tg_buf_adds(entry, ",\"name\":");
		if (r == TG_OK)
			r = add_canon(entry, name);
	}
	if (r == TG_OK)
		r = tg_buf_adds(entry, "},\"operation\":");
	if (r == TG_OK)
		r = add_canon(entry, op);
	if (r == TG_OK)
		r = tg_buf_adds(entry, ",\"record\":{\"algorithm\":\"SHA2_256\",\"digest\":\"");
	if (r == TG_OK)
		r = tg_b64_encode(entry, h, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_adds(entry, "\"},\"uid\":");
	if (r == TG_OK)
		r = add_canon(entry, uid);
	if (r == TG_OK)
		r = tg_buf_adds(entry, "}}");
	tg_buf_release(&canon);
	tg_arena_release(&a);
	return r;
}

/* Logs an AdmissionReview decision: the worker's record is checked and
 * the entry built from its validated fields (tg_server_admission_entry). */
static tg_err h_log_admission(struct sp *s, const struct tg_smsg *m, struct tg_server_answer *o,
			      struct tg_diag *d)
{
	struct tg_buf e = TG_BUF_INIT(TG_SMSG_MAX / 2);
	tg_err r = tg_server_admission_entry(m->f[0].p, m->f[0].len, &e, d);
	if (r == TG_OK)
		r = log_decision(s, &e, o, d);
	tg_buf_release(&e);
	return r;
}

/* The log as readers will see it: sequenced decisions integrated first. */
static tg_err h_log_info(struct sp *s, struct tg_server_answer *o, struct tg_diag *d)
{
	tg_err r = integrate(s, d);
	if (r == TG_OK)
		r = tg_tlog_checkpoint(s->log, &o->f[0]);
	if (r == TG_OK)
		r = tg_buf_addf(&o->f[1], "%llu", (unsigned long long)tg_tlog_size(s->log));
	o->n = 2;
	return r;
}

static tg_err dispatch(void *ctx, const struct tg_smsg *m, struct tg_server_answer *o,
		       struct tg_diag *d)
{
	struct sp *s = ctx;

	switch (m->type) {
	case TG_SMSG_SERVER_SVID: return h_server_svid(s, m, o, d);
	case TG_SMSG_BUNDLE: return h_bundle(s, o);
	case TG_SMSG_ATTEST: return h_attest(s, m, o, d);
	case TG_SMSG_JWT_SVID: return h_jwt_svid(s, m, o, d);
	case TG_SMSG_SIGNING_CERT: return h_signing_cert(s, m, o, d);
	case TG_SMSG_TIMESTAMP: return h_timestamp(s, m, o, d);
	case TG_SMSG_LOG_APPEND: return h_log_append(s, m, o, d);
	case TG_SMSG_LOG_INFO: return h_log_info(s, o, d);
	case TG_SMSG_LOG_DECISION: return h_log_decision(s, m, o, d);
	case TG_SMSG_LOG_ADMISSION: return h_log_admission(s, m, o, d);
	case TG_SMSG_AGENT_ENTRIES:
	case TG_SMSG_AGENT_X509:
	case TG_SMSG_AGENT_JWT:
	case TG_SMSG_AGENT_RENEW: return tg_server_signer_agent(s->ca, m, o, d);
	default: tg_diag_set(d, "unknown request"); return TG_E_PARSE;
	}
}

int tg_server_signer_main(const struct tg_server_config *c, int ctl, volatile int *stop)
{
	struct sp s;
	struct tg_server_handler h = {dispatch, idle, &s, {0}, true};
	struct tg_diag d;
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	r = sp_open(&s, c, &d);
	if (r != TG_OK) {
		fprintf(stderr, "tollgated: signer: %s\n", d.msg[0] ? d.msg : tg_strerror(r));
		sp_release(&s);
		return 3;
	}
	if (c->sandbox && (r = tg_server_sandbox("signer", &d)) != TG_OK) {
		fprintf(stderr, "tollgated: signer: %s\n", d.msg);
		sp_release(&s);
		return 3;
	}
	/* keys and tokens pass through the answers: wiped after sending */
	for (i = 0; i < TG_SMSG_FIELDS; i++)
		h.caps[i] = TG_SMSG_MAX / 2;
	tg_server_serve(ctl, &h, stop);
	/* what is sequenced is in the journal anyway; integrating now saves
	 * the next start the replay */
	if (integrate(&s, &d) != TG_OK)
		fprintf(stderr, "tollgated: signer: %s\n", d.msg);
	sp_release(&s);
	return 0;
}
