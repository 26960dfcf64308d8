/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signer_agent.c - the signer process's answers to agents (`tollgate agent
 * --server`): the registration entries whose parent is the agent, the
 * trust bundles, and SVIDs for those entries and for the agent itself.
 * The agent is the client X509-SVID chain, verified here again.
 */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/codec.h"
#include "core/jb.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"

#define AGENT_ARENA (16 * 1024 * 1024) /* one answer's entries and JSON */
#define AGENT_AUDS 16                   /* audiences of one JWT-SVID */
#define AGENT_AUD_MAX 1024              /* bytes of one audience */

/* The agent: its X509-SVID chain (PEM, leaf first) must verify against
 * the trust domain's bundle and revocations, as the api worker's TLS
 * check did; a bearer JWT-SVID is not enough for these requests. */
static tg_err agent_id(struct tg_ca *ca, const struct tg_smsg *m, struct tg_spiffe_id *id,
		       struct tg_diag *d)
{
	struct tg_x509_list l = {NULL, 0};
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_revocations rev = tg_ca_revocations(ca);
	tg_err r;

	if (m->f[0].len < 10 || memcmp(m->f[0].p, "-----BEGIN", 10) != 0) {
		tg_diag_set(d, "agent requests need the agent's X509-SVID (mTLS)");
		return TG_E_DENIED;
	}
	r = tg_x509_list_from_pem((const char *)m->f[0].p, m->f[0].len, &l, d);
	if (r == TG_OK && (l.count == 0 || l.count > TG_LIMIT_CHAIN)) {
		tg_diag_set(d, "no client certificate");
		r = TG_E_VERIFY;
	}
	if (r == TG_OK)
		r = tg_ca_bundles(ca, &bs);
	if (r == TG_OK)
		r = tg_x509_svid_verify(l.certs[0], (const struct tg_x509 *const *)l.certs + 1,
					l.count - 1, &bs, tg_time_now(), &rev, id, d);
	if (r == TG_OK && !tg_spiffe_id_in_td(id, tg_ca_trust_domain(ca))) {
		tg_diag_set(d, "the client SVID is from another trust domain");
		r = TG_E_DENIED;
	}
	tg_bundle_set_release(&bs);
	tg_x509_list_release(&l);
	return r;
}

/* The entry named by the n bytes at p, when its parent is the agent:
 * any other entry, existing or not, is the same refusal. */
static tg_err agent_entry(struct tg_ca *ca, const struct tg_spiffe_id *agent, const uint8_t *p,
			  size_t n, struct tg_arena *a, struct tg_entry **out, struct tg_diag *d)
{
	struct tg_entry *es = NULL;
	size_t ne = 0, i;
	tg_err r = tg_entry_list_parent(ca, agent->uri, a, &es, &ne, d);
	if (r != TG_OK)
		return r;
	for (i = 0; i < ne; i++) {
		if (n == strlen(es[i].id) && memcmp(es[i].id, p, n) == 0) {
			*out = &es[i];
			return TG_OK;
		}
	}
	tg_diag_set(d, "entry '%.*s' is not one whose parent is '%s'", (int)(n > 64 ? 64 : n),
		    (const char *)p, agent->uri);
	return TG_E_DENIED;
}

static const struct tg_json *entry_json(struct tg_jb *b, const struct tg_entry *e)
{
	const struct tg_json **sel;
	struct tg_buf s = TG_BUF_INIT(TG_SELECTOR_MAX);
	char when[TG_TIME_STR_MAX];
	size_t i;

	if (b->r != TG_OK)
		return NULL;
	sel = tg_arena_alloc_array(b->a, e->nselectors ? e->nselectors : 1, sizeof(*sel));
	if (!sel) {
		b->r = TG_E_TOOBIG;
		return NULL;
	}
	if (tg_time_format(e->created, when, sizeof(when)) != TG_OK) {
		b->r = TG_E_INTERNAL;
		return NULL;
	}
	for (i = 0; i < e->nselectors; i++) {
		tg_buf_reset(&s);
		if (tg_selector_format(&e->selectors[i], &s) != TG_OK) {
			b->r = TG_E_INTERNAL;
			break;
		}
		sel[i] = tg_jb_strn(b, (const char *)s.data, s.len);
	}
	tg_buf_release(&s);
	return tg_jb_obj(b, "created", tg_jb_str(b, when), "id", tg_jb_str(b, e->id), "jwt_ttl",
			 tg_jb_int(b, e->jwt_ttl), "parent_id", tg_jb_str(b, e->parent_id.uri),
			 "selectors", tg_jb_arr(b, sel, e->nselectors), "spiffe_id",
			 tg_jb_str(b, e->spiffe_id.uri), "x509_ttl", tg_jb_int(b, e->x509_ttl), NULL);
}

/* {"jtis":[...],"serials":[...]}: the deny list, sorted (the database's
 * byte order), so the same list is the same canonical JSON. */
static const struct tg_json *revoked_json(struct tg_jb *b, const struct tg_revoked_list *rl)
{
	const struct tg_json **s, **j;
	size_t i;
	if (b->r != TG_OK)
		return NULL;
	s = tg_arena_alloc_array(b->a, rl->nserials ? rl->nserials : 1, sizeof(*s));
	j = tg_arena_alloc_array(b->a, rl->njtis ? rl->njtis : 1, sizeof(*j));
	if (!s || !j) {
		b->r = TG_E_TOOBIG;
		return NULL;
	}
	for (i = 0; i < rl->nserials; i++)
		s[i] = tg_jb_str(b, rl->serials[i]);
	for (i = 0; i < rl->njtis; i++)
		j[i] = tg_jb_str(b, rl->jtis[i]);
	return tg_jb_obj(b, "jtis", tg_jb_arr(b, j, rl->njtis), "serials",
			 tg_jb_arr(b, s, rl->nserials), NULL);
}

/* {"bundles":{"<td>":<SPIFFE bundle>,...},"entries":[...],"revision",
 * "revoked":{"jtis","serials"},"spiffe_id"}: the revision is the SHA-256
 * (hex) of the document without it, so an agent sees a change (of
 * entries, bundles or the deny list) by comparing one string. */
static tg_err h_entries(struct tg_ca *ca, const struct tg_smsg *m, struct tg_server_answer *o,
			struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_jb b;
	struct tg_spiffe_id id;
	struct tg_entry *es = NULL;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_buf text = TG_BUF_INIT(TG_SMSG_MAX / 2);
	struct tg_json_member *bm = NULL;
	const struct tg_json **items = NULL, *bundles = NULL, *revoked = NULL, *doc;
	struct tg_revoked_list rl;
	uint8_t h[32];
	char hex[65];
	size_t ne = 0, i;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA);
	b.a = &a;
	b.r = TG_OK;
	r = agent_id(ca, m, &id, d);
	if (r == TG_OK)
		r = tg_entry_list_parent(ca, id.uri, &a, &es, &ne, d);
	if (r == TG_OK)
		r = tg_ca_bundles(ca, &bs);
	if (r == TG_OK)
		r = tg_ca_revoked_list(ca, tg_time_now(), TG_SERVER_AGENT_REVOKED_MAX, &a, &rl, d);
	if (r != TG_OK)
		goto out;
	revoked = revoked_json(&b, &rl);
	items = tg_arena_alloc_array(&a, ne ? ne : 1, sizeof(*items));
	bm = tg_arena_alloc_array(&a, bs.n ? bs.n : 1, sizeof(*bm));
	if (!items || !bm) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < ne; i++)
		items[i] = entry_json(&b, &es[i]);
	for (i = 0; b.r == TG_OK && i < bs.n; i++) {
		tg_buf_reset(&text);
		r = tg_bundle_to_spiffe(&bs.b[i], &text);
		if (r == TG_OK)
			r = tg_json_parse(&a, text.data, text.len, NULL, &bm[i].val, NULL, d);
		if (r != TG_OK)
			goto out;
		bm[i].key = tg_jb_str(&b, bs.b[i].td);
	}
	if (b.r == TG_OK)
		b.r = tg_json_new_object(&a, bm, bs.n, TG_JSON_DUP_REJECT, &bundles);
	doc = tg_jb_obj(&b, "bundles", bundles, "entries", tg_jb_arr(&b, items, ne), "revoked",
			revoked, "spiffe_id", tg_jb_str(&b, id.uri), NULL);
	r = b.r;
	tg_buf_reset(&text);
	if (r == TG_OK)
		r = tg_json_canon(&text, doc);
	if (r == TG_OK)
		r = tg_hash(TG_SHA256, text.data, text.len, h);
	if (r != TG_OK)
		goto out;
	tg_hex_encode_to(hex, h, sizeof(h));
	doc = tg_jb_obj(&b, "bundles", bundles, "entries", tg_jb_arr(&b, items, ne), "revision",
			tg_jb_strn(&b, hex, 64), "revoked", revoked, "spiffe_id",
			tg_jb_str(&b, id.uri), NULL);
	r = b.r;
	if (r == TG_OK)
		r = tg_json_canon(&o->f[0], doc);
	o->n = 1;
out:
	if (r != TG_OK && r != TG_E_DENIED && r != TG_E_VERIFY && !d->msg[0])
		tg_diag_set(d, "cannot list the agent's entries: %s", tg_strerror(r));
	tg_buf_release(&text);
	tg_bundle_set_release(&bs);
	tg_arena_release(&a);
	return r;
}

/* entry id, spki -> chain PEM, SPIFFE ID: the entry's own TTL. */
static tg_err h_x509(struct tg_ca *ca, const struct tg_smsg *m, struct tg_server_answer *o,
		     struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_spiffe_id id;
	struct tg_entry *e = NULL;
	struct tg_key *k = NULL;
	struct tg_x509_list chain = {NULL, 0};
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA);
	r = agent_id(ca, m, &id, d);
	if (r == TG_OK)
		r = agent_entry(ca, &id, m->f[1].p, m->f[1].len, &a, &e, d);
	if (r == TG_OK)
		r = tg_server_spki_key(m, 2, &k, d);
	if (r == TG_OK)
		r = tg_ca_issue_x509(ca, &e->spiffe_id, k, e->x509_ttl, tg_time_now(), &chain, d);
	if (r == TG_OK)
		r = tg_server_chain_pem(&chain, &o->f[0]);
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[1], e->spiffe_id.uri);
	o->n = 2;
	tg_x509_list_release(&chain);
	tg_key_free(k);
	tg_arena_release(&a);
	return r;
}

/* entry id, audiences ('\n'-separated) -> SPIFFE ID, token. */
static tg_err h_jwt(struct tg_ca *ca, const struct tg_smsg *m, struct tg_server_answer *o,
		    struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_spiffe_id id;
	struct tg_entry *e = NULL;
	const char *auds[AGENT_AUDS];
	const char *p = (const char *)m->f[2].p, *end = p + m->f[2].len;
	size_t naud = 0;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA);
	r = agent_id(ca, m, &id, d);
	if (r == TG_OK)
		r = agent_entry(ca, &id, m->f[1].p, m->f[1].len, &a, &e, d);
	while (r == TG_OK && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l == 0 || l > AGENT_AUD_MAX || naud == AGENT_AUDS || memchr(p, '\0', l)) {
			tg_diag_set(d, "malformed audience list");
			r = TG_E_INVAL;
			break;
		}
		auds[naud] = tg_arena_strndup(&a, p, l);
		if (!auds[naud]) {
			r = TG_E_TOOBIG;
			break;
		}
		naud++;
		p += l + (nl ? 1 : 0);
	}
	if (r == TG_OK && naud == 0) {
		tg_diag_set(d, "at least one audience is needed");
		r = TG_E_INVAL;
	}
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[0], e->spiffe_id.uri);
	if (r == TG_OK)
		r = tg_ca_issue_jwt(ca, &e->spiffe_id, auds, naud, e->jwt_ttl, tg_time_now(),
				    TG_SIG_NONE, &o->f[1], d);
	o->n = 2;
	tg_arena_release(&a);
	return r;
}

/* spki -> chain PEM, SPIFFE ID: a new X509-SVID for the agent itself,
 * while an entry without a parent (what attested it at the server) still
 * grants its SPIFFE ID and the ID is an agent's, the parent of some entry
 * (a workload's SVID is not renewed: it attests again); the shortest TTL
 * of those entries. */
static tg_err h_renew(struct tg_ca *ca, const struct tg_smsg *m, struct tg_server_answer *o,
		      struct tg_diag *d)
{
	struct tg_arena a;
	struct tg_spiffe_id id;
	struct tg_entry *es = NULL;
	struct tg_key *k = NULL;
	struct tg_x509_list chain = {NULL, 0};
	size_t ne = 0, i;
	int64_t ttl = 0, best = 0;
	bool found = false;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA);
	r = agent_id(ca, m, &id, d);
	if (r == TG_OK)
		r = tg_entry_list(ca, &a, &es, &ne, d);
	for (i = 0; r == TG_OK && i < ne; i++) {
		int64_t x = es[i].x509_ttl > 0 ? es[i].x509_ttl : TG_SVID_X509_TTL_DEFAULT;
		if (es[i].parent_id.uri[0] || strcmp(es[i].spiffe_id.uri, id.uri) != 0)
			continue;
		found = true;
		if (!best || x < best) {
			best = x;
			ttl = es[i].x509_ttl;
		}
	}
	if (r == TG_OK && !found) {
		tg_diag_set(d, "no registration entry grants '%s' any more", id.uri);
		r = TG_E_DENIED;
	}
	if (r == TG_OK) {
		struct tg_entry *kids = NULL;
		size_t nkids = 0;
		r = tg_entry_list_parent(ca, id.uri, &a, &kids, &nkids, d);
		if (r == TG_OK && nkids == 0) {
			tg_diag_set(d, "'%s' is no agent: no registration entry has it as its parent",
				    id.uri);
			r = TG_E_DENIED;
		}
	}
	if (r == TG_OK)
		r = tg_server_spki_key(m, 1, &k, d);
	if (r == TG_OK)
		r = tg_ca_issue_x509(ca, &id, k, ttl, tg_time_now(), &chain, d);
	if (r == TG_OK)
		r = tg_server_chain_pem(&chain, &o->f[0]);
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[1], id.uri);
	o->n = 2;
	tg_x509_list_release(&chain);
	tg_key_free(k);
	tg_arena_release(&a);
	return r;
}

tg_err tg_server_signer_agent(struct tg_ca *ca, const struct tg_smsg *m,
			      struct tg_server_answer *o, struct tg_diag *d)
{
	switch (m->type) {
	case TG_SMSG_AGENT_ENTRIES: return h_entries(ca, m, o, d);
	case TG_SMSG_AGENT_X509: return h_x509(ca, m, o, d);
	case TG_SMSG_AGENT_JWT: return h_jwt(ca, m, o, d);
	case TG_SMSG_AGENT_RENEW: return h_renew(ca, m, o, d);
	default: tg_diag_set(d, "unknown request"); return TG_E_PARSE;
	}
}
