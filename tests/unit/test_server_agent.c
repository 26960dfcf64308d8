/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_agent.c - agents without the CA key: entries with a parent
 * (create, rules, list by parent, schema 1 -> 2 migration), the in-memory
 * matcher against the database's (tg_entry_match is the oracle), the
 * signer's answers to agents (tg_server_signer_agent) read back by the
 * agent's parser (tg_server_agent_view_parse), and hostile answers.
 */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"
#include "server/server.h"
#include "tg_test.h"

#define TD "example.org"
#define AG1 "spiffe://" TD "/agent/one"
#define AG2 "spiffe://" TD "/agent/two"

static char tmpdir[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct tg_ca *ca_new(const char *name, char *dir, size_t cap)
{
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	snprintf(dir, cap, "%s/%s", tmpdir, name);
	CHECK_OK(tg_ca_init(dir, TD, TG_KEY_EC_P256, tg_time_now(), &d));
	CHECK_OK(tg_ca_open(dir, &ca, &d));
	return ca;
}

/* Creates an entry; returns the error, its id in id (37 bytes). */
static tg_err add(struct tg_ca *ca, const char *path, const char *parent, const char *const *sels,
		  int64_t created, char *id)
{
	struct tg_arena a;
	struct tg_entry e;
	struct tg_selector s[8];
	struct tg_diag d;
	size_t n = 0;
	tg_err r;
	tg_arena_init(&a, 1 << 20);
	memset(&e, 0, sizeof(e));
	tg_diag_init(&d);
	r = tg_spiffe_id_parse(path, strlen(path), &e.spiffe_id, &d);
	if (r == TG_OK && parent)
		r = tg_spiffe_id_parse(parent, strlen(parent), &e.parent_id, &d);
	for (; r == TG_OK && sels[n]; n++)
		r = tg_selector_parse(sels[n], strlen(sels[n]), &a, &s[n], &d);
	e.selectors = s;
	e.nselectors = n;
	e.created.sec = created;
	if (r == TG_OK)
		r = tg_entry_create(ca, &e, &d);
	if (r == TG_OK && id)
		memcpy(id, e.id, 37);
	tg_arena_release(&a);
	return r;
}

TEST(parent_rules)
{
	char dir[300], id1[37], id2[37];
	struct tg_ca *ca = ca_new("rules", dir, sizeof(dir));
	struct tg_arena a;
	struct tg_entry *es = NULL;
	size_t n = 0;
	const char *const u1[] = {"unix:uid:1", NULL};

	tg_arena_init(&a, 1 << 20);
	CHECK_OK(add(ca, "spiffe://" TD "/w", AG1, u1, 100, id1));
	/* the same ID and selectors under another parent is another entry */
	CHECK_OK(add(ca, "spiffe://" TD "/w", AG2, u1, 101, id2));
	CHECK_ERR(add(ca, "spiffe://" TD "/w", AG1, u1, 102, NULL), TG_E_EXISTS);
	CHECK_OK(add(ca, "spiffe://" TD "/w", NULL, u1, 103, NULL));
	/* parents: another workload ID of the trust domain */
	CHECK_ERR(add(ca, "spiffe://" TD "/x", "spiffe://other.org/agent", u1, 104, NULL),
		  TG_E_INVAL);
	CHECK_ERR(add(ca, "spiffe://" TD "/x", "spiffe://" TD, u1, 104, NULL), TG_E_INVAL);
	CHECK_ERR(add(ca, "spiffe://" TD "/x", "spiffe://" TD "/x", u1, 104, NULL), TG_E_INVAL);
	CHECK_OK(tg_entry_list_parent(ca, AG1, &a, &es, &n, NULL));
	CHECK(n == 1 && strcmp(es[0].id, id1) == 0 && strcmp(es[0].parent_id.uri, AG1) == 0);
	CHECK_OK(tg_entry_list_parent(ca, AG2, &a, &es, &n, NULL));
	CHECK(n == 1 && strcmp(es[0].id, id2) == 0);
	CHECK_OK(tg_entry_list_parent(ca, "spiffe://" TD "/nobody", &a, &es, &n, NULL));
	CHECK(n == 0);
	CHECK_ERR(tg_entry_list_parent(ca, "", &a, &es, &n, NULL), TG_E_INVAL);
	CHECK_OK(tg_entry_list(ca, &a, &es, &n, NULL));
	CHECK(n == 3 && es[2].parent_id.uri[0] == '\0');
	tg_arena_release(&a);
	tg_ca_close(ca);
}

/* A database of schema 1 (no parent_id) opens as schema 2, entries kept. */
TEST(migration)
{
	char dir[300], path[400], id[37];
	struct tg_ca *ca = ca_new("mig", dir, sizeof(dir));
	struct tg_arena a;
	struct tg_entry *es = NULL;
	struct tg_diag d;
	sqlite3 *db = NULL;
	size_t n = 0;
	const char *const u1[] = {"unix:uid:1", NULL};

	tg_arena_init(&a, 1 << 20);
	tg_diag_init(&d);
	CHECK_OK(add(ca, "spiffe://" TD "/old", NULL, u1, 100, id));
	tg_ca_close(ca);
	snprintf(path, sizeof(path), "%s/identity.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "DROP INDEX entries_by_parent; ALTER TABLE entries DROP COLUMN "
			       "parent_id; PRAGMA user_version=1;",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	ca = NULL;
	CHECK_OK(tg_ca_open(dir, &ca, &d));
	if (d.msg[0])
		fprintf(stderr, "open: %s\n", d.msg);
	if (ca) {
		CHECK_OK(tg_entry_list(ca, &a, &es, &n, NULL));
		CHECK(n == 1 && strcmp(es[0].id, id) == 0 && es[0].parent_id.uri[0] == '\0');
		CHECK_OK(add(ca, "spiffe://" TD "/new", AG1, u1, 101, NULL));
		CHECK_OK(tg_entry_list_parent(ca, AG1, &a, &es, &n, NULL));
		CHECK(n == 1);
		tg_ca_close(ca);
	}
	/* and a later version is refused, as before */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version=3;", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	ca = NULL;
	CHECK_ERR(tg_ca_open(dir, &ca, NULL), TG_E_STATE);
	tg_ca_close(ca);
	tg_arena_release(&a);
}

/* tg_entry_match_list agrees with tg_entry_match (the database's) for
 * every subset of a pool of selectors. */
TEST(match_list_oracle)
{
	static const char *const pool[] = {"unix:uid:1", "unix:uid:2", "unix:gid:5",
					   "unix:path:/bin/a", "k8s:ns:ci", "k8s:sa:b"};
	static const char *const sets[][4] = {
		{"unix:uid:1", NULL},
		{"unix:uid:1", "unix:gid:5", NULL},
		{"unix:uid:2", "unix:path:/bin/a", NULL},
		{"k8s:ns:ci", "k8s:sa:b", NULL},
		{"unix:gid:5", NULL},
		{"unix:uid:1", "unix:gid:5", "unix:path:/bin/a", NULL},
	};
	char dir[300];
	struct tg_ca *ca = ca_new("oracle", dir, sizeof(dir));
	struct tg_arena a;
	struct tg_entry *all = NULL, *x = NULL, *y = NULL;
	size_t nall = 0, nx, ny, i, mask, k;
	char path[64];

	tg_arena_init(&a, 16 << 20);
	for (i = 0; i < TG_ARRAY_LEN(sets); i++) {
		snprintf(path, sizeof(path), "spiffe://" TD "/e%zu", i);
		CHECK_OK(add(ca, path, NULL, sets[i], 100 + (int64_t)i, NULL));
	}
	CHECK_OK(tg_entry_list(ca, &a, &all, &nall, NULL));
	CHECK(nall == TG_ARRAY_LEN(sets));
	for (mask = 0; mask < (1u << TG_ARRAY_LEN(pool)); mask++) {
		struct tg_selector att[TG_ARRAY_LEN(pool)];
		char want[256] = "", got[256] = "";
		size_t na = 0;
		for (k = 0; k < TG_ARRAY_LEN(pool); k++)
			if (mask & (1u << k))
				CHECK_OK(tg_selector_parse(pool[k], strlen(pool[k]), &a, &att[na++],
							   NULL));
		CHECK_OK(tg_entry_match(ca, att, na, &a, &x, &nx, NULL));
		CHECK_OK(tg_entry_match_list(all, nall, att, na, &a, &y, &ny, NULL));
		for (k = 0; k < nx; k++)
			strncat(want, x[k].spiffe_id.uri + sizeof("spiffe://" TD) - 1,
				sizeof(want) - strlen(want) - 1);
		for (k = 0; k < ny; k++)
			strncat(got, y[k].spiffe_id.uri + sizeof("spiffe://" TD) - 1,
				sizeof(got) - strlen(got) - 1);
		if (strcmp(want, got) != 0)
			fprintf(stderr, "mask %zx: database '%s', in memory '%s'\n", mask, want, got);
		CHECK_STR(got, want);
	}
	tg_arena_release(&a);
	tg_ca_close(ca);
}

/* The agent's credential: an X509-SVID chain of id, as PEM. */
static void agent_cred(struct tg_ca *ca, const char *id, struct tg_buf *pem)
{
	struct tg_spiffe_id sid;
	struct tg_key *k = NULL;
	struct tg_x509_list l = {NULL, 0};
	size_t i;
	CHECK_OK(tg_spiffe_id_parse(id, strlen(id), &sid, NULL));
	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &k));
	CHECK_OK(tg_ca_issue_x509(ca, &sid, k, 600, tg_time_now(), &l, NULL));
	for (i = 0; i < l.count; i++)
		CHECK_OK(tg_x509_to_pem(l.certs[i], pem));
	tg_x509_list_release(&l);
	tg_key_free(k);
}

static void answer_release(struct tg_server_answer *o)
{
	size_t i;
	for (i = 0; i < TG_SMSG_FIELDS; i++)
		tg_buf_release(&o->f[i]);
}

static void answer_init(struct tg_server_answer *o)
{
	size_t i;
	for (i = 0; i < TG_SMSG_FIELDS; i++)
		tg_buf_init(&o->f[i], TG_SMSG_MAX);
	o->n = 0;
}

static tg_err ask(struct tg_ca *ca, uint32_t type, const struct tg_buf *cred, const char *f1,
		  const struct tg_buf *f2, struct tg_server_answer *o, struct tg_diag *d)
{
	struct tg_smsg m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.n = 1;
	m.f[0].p = cred->data;
	m.f[0].len = cred->len;
	if (f1) {
		m.f[m.n].p = (const uint8_t *)f1;
		m.f[m.n++].len = strlen(f1);
	}
	if (f2) {
		m.f[m.n].p = f2->data;
		m.f[m.n++].len = f2->len;
	}
	answer_init(o);
	tg_diag_init(d);
	return tg_server_signer_agent(ca, &m, o, d);
}

TEST(signer_answers)
{
	char dir[300], id1[37], id2[37], other[37];
	struct tg_ca *ca = ca_new("signer", dir, sizeof(dir));
	struct tg_buf c1 = TG_BUF_INIT(1 << 16), c2 = TG_BUF_INIT(1 << 16), spki = TG_BUF_INIT(4096),
		      auds = TG_BUF_INIT(64);
	struct tg_server_answer o;
	struct tg_server_agent_view v;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_arena a;
	struct tg_diag d;
	struct tg_key *k = NULL;
	struct tg_x509_list l = {NULL, 0};
	const char *const u1[] = {"unix:uid:1", NULL};
	const char *const u2[] = {"unix:uid:2", "unix:gid:3", NULL};
	const char *const j1[] = {"join:token:00112233445566778899aabbccddeeff", NULL};
	char rev1[65];

	tg_arena_init(&a, 16 << 20);
	CHECK_OK(add(ca, "spiffe://" TD "/w1", AG1, u1, 100, id1));
	CHECK_OK(add(ca, "spiffe://" TD "/w2", AG1, u2, 101, id2));
	CHECK_OK(add(ca, "spiffe://" TD "/w3", AG2, u1, 102, other));
	/* the agent itself: attested at the server, 5-minute SVIDs */
	CHECK_OK(add(ca, AG1, NULL, j1, 99, NULL));
	agent_cred(ca, AG1, &c1);
	agent_cred(ca, AG2, &c2);

	/* entries: AG1's two, with the bundle, read back by the agent's parser */
	CHECK_OK(ask(ca, TG_SMSG_AGENT_ENTRIES, &c1, NULL, NULL, &o, &d));
	CHECK(o.n == 1);
	memset(&v, 0, sizeof(v));
	CHECK_OK(tg_server_agent_view_parse(o.f[0].data, o.f[0].len, &a, &v, &bs, &d));
	if (d.msg[0])
		fprintf(stderr, "view: %s\n", d.msg);
	CHECK_STR(v.spiffe_id, AG1);
	CHECK(v.nentries == 2);
	if (v.nentries == 2) {
		CHECK_STR(v.entries[0].id, id1);
		CHECK_STR(v.entries[1].id, id2);
		CHECK_STR(v.entries[1].spiffe_id.uri, "spiffe://" TD "/w2");
		CHECK(v.entries[1].nselectors == 2 && v.entries[1].created.sec == 101);
	}
	CHECK(bs.n == 1 && tg_bundle_set_find(&bs, TD) && tg_bundle_set_find(&bs, TD)->jwt.count);
	memcpy(rev1, v.revision, sizeof(rev1));
	tg_bundle_set_release(&bs);
	answer_release(&o);
	/* the same state, the same revision; an entry more, another */
	CHECK_OK(ask(ca, TG_SMSG_AGENT_ENTRIES, &c1, NULL, NULL, &o, &d));
	CHECK_OK(tg_server_agent_view_parse(o.f[0].data, o.f[0].len, &a, &v, &bs, &d));
	CHECK_STR(v.revision, rev1);
	tg_bundle_set_release(&bs);
	answer_release(&o);
	CHECK_OK(add(ca, "spiffe://" TD "/w4", AG1, u2, 103, NULL));
	CHECK_OK(ask(ca, TG_SMSG_AGENT_ENTRIES, &c1, NULL, NULL, &o, &d));
	CHECK_OK(tg_server_agent_view_parse(o.f[0].data, o.f[0].len, &a, &v, &bs, &d));
	CHECK(v.nentries == 3 && strcmp(v.revision, rev1) != 0);
	tg_bundle_set_release(&bs);
	answer_release(&o);

	/* X509-SVIDs: the entry's, for AG1 only */
	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &k));
	CHECK_OK(tg_key_to_spki_der(k, &spki));
	CHECK_OK(ask(ca, TG_SMSG_AGENT_X509, &c1, id2, &spki, &o, &d));
	CHECK(o.n == 2);
	CHECK_STR(tg_buf_str(&o.f[1]), "spiffe://" TD "/w2");
	CHECK_OK(tg_x509_list_from_pem((const char *)o.f[0].data, o.f[0].len, &l, NULL));
	CHECK(l.count == 2);
	tg_x509_list_release(&l);
	answer_release(&o);
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_X509, &c2, id2, &spki, &o, &d), TG_E_DENIED);
	answer_release(&o);
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_X509, &c1, other, &spki, &o, &d), TG_E_DENIED);
	answer_release(&o);
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_X509, &c1, "00000000-0000-4000-8000-000000000000", &spki,
		      &o, &d),
		  TG_E_DENIED);
	answer_release(&o);
	/* JWT-SVIDs: the same rule; audiences checked */
	CHECK_OK(tg_buf_adds(&auds, "db\nvault"));
	CHECK_OK(ask(ca, TG_SMSG_AGENT_JWT, &c1, id1, &auds, &o, &d));
	CHECK(o.n == 2);
	{
		struct tg_spiffe_id sub;
		struct tg_bundle_set own = {NULL, 0};
		CHECK_OK(tg_ca_bundles(ca, &own));
		CHECK_OK(tg_jwt_svid_verify((const char *)o.f[1].data, o.f[1].len, &own, "vault",
					    tg_time_now(), NULL, &a, &sub, NULL, NULL));
		CHECK_STR(sub.uri, "spiffe://" TD "/w1");
		tg_bundle_set_release(&own);
	}
	answer_release(&o);
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_JWT, &c2, id1, &auds, &o, &d), TG_E_DENIED);
	answer_release(&o);
	tg_buf_reset(&auds);
	CHECK_OK(tg_buf_adds(&auds, "db\n\nx"));
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_JWT, &c1, id1, &auds, &o, &d), TG_E_INVAL);
	answer_release(&o);
	/* renewal: AG1 has an entry without a parent; AG2 has none */
	CHECK_OK(ask(ca, TG_SMSG_AGENT_RENEW, &c1, NULL, &spki, &o, &d));
	CHECK_STR(tg_buf_str(&o.f[1]), AG1);
	CHECK_OK(tg_x509_list_from_pem((const char *)o.f[0].data, o.f[0].len, &l, NULL));
	if (l.count) {
		struct tg_time nb, na;
		CHECK_OK(tg_x509_validity(l.certs[0], &nb, &na));
		CHECK(na.sec - nb.sec == TG_SVID_X509_TTL_DEFAULT + 60);
	}
	tg_x509_list_release(&l);
	answer_release(&o);
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_RENEW, &c2, NULL, &spki, &o, &d), TG_E_DENIED);
	answer_release(&o);
	/* a workload attested at the server (an entry without a parent, but
	 * the parent of none) attests again: its SVID is not renewed */
	{
		const char *const jw[] = {"join:token:ffeeddccbbaa99887766554433221100", NULL};
		struct tg_buf c3 = TG_BUF_INIT(1 << 16);
		CHECK_OK(add(ca, "spiffe://" TD "/job", NULL, jw, 104, NULL));
		agent_cred(ca, "spiffe://" TD "/job", &c3);
		CHECK_ERR(ask(ca, TG_SMSG_AGENT_RENEW, &c3, NULL, &spki, &o, &d), TG_E_DENIED);
		CHECK(strstr(d.msg, "is no agent") != NULL);
		answer_release(&o);
		tg_buf_release(&c3);
	}
	/* a bearer token or garbage is no agent */
	tg_buf_reset(&c2);
	CHECK_OK(tg_buf_adds(&c2, "eyJhbGciOiJFUzI1NiJ9.e30.x"));
	CHECK_ERR(ask(ca, TG_SMSG_AGENT_ENTRIES, &c2, NULL, NULL, &o, &d), TG_E_DENIED);
	answer_release(&o);

	tg_key_free(k);
	tg_buf_release(&c1);
	tg_buf_release(&c2);
	tg_buf_release(&spki);
	tg_buf_release(&auds);
	tg_arena_release(&a);
	tg_ca_close(ca);
}

/* Hostile answers: each is refused with a message, nothing half-filled. */
TEST(view_hostile)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\"00\",\"entries\":[],"
		"\"bundles\":{}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\"" 
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[],\"bundles\":{}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"000000000000000000000000000000000000000000000000000000000000000G\","
		"\"entries\":[],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[{\"id\":\"x\"}],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[{\"id\":\"00000000-0000-4000-8000-000000000000\","
		"\"spiffe_id\":\"spiffe://example.org/w\",\"parent_id\":\"spiffe://example.org/b\","
		"\"x509_ttl\":0,\"jwt_ttl\":0,\"created\":\"2026-01-01T00:00:00Z\","
		"\"selectors\":[\"unix:uid:1\"]}],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[{\"id\":\"00000000-0000-4000-8000-000000000000\","
		"\"spiffe_id\":\"spiffe://other.org/w\",\"parent_id\":\"spiffe://example.org/a\","
		"\"x509_ttl\":0,\"jwt_ttl\":0,\"created\":\"2026-01-01T00:00:00Z\","
		"\"selectors\":[\"unix:uid:1\"]}],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[{\"id\":\"00000000-0000-4000-8000-000000000000\","
		"\"spiffe_id\":\"spiffe://example.org/w\",\"parent_id\":\"spiffe://example.org/a\","
		"\"x509_ttl\":-1,\"jwt_ttl\":0,\"created\":\"2026-01-01T00:00:00Z\","
		"\"selectors\":[\"unix:uid:1\"]}],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[{\"id\":\"00000000-0000-4000-8000-000000000000\","
		"\"spiffe_id\":\"spiffe://example.org/w\",\"parent_id\":\"spiffe://example.org/a\","
		"\"x509_ttl\":0,\"jwt_ttl\":0,\"created\":\"2026-01-01T00:00:00Z\","
		"\"selectors\":[]}],\"bundles\":{\"example.org\":{\"keys\":[]}}}",
		"{\"spiffe_id\":\"spiffe://example.org/a\",\"revision\":\""
		"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"entries\":[],\"bundles\":{\"other.org\":{\"keys\":[]}}}",
	};
	struct tg_arena a;
	size_t i;
	tg_arena_init(&a, 1 << 20);
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		struct tg_server_agent_view v;
		struct tg_bundle_set bs = {NULL, 0};
		struct tg_diag d;
		tg_err r;
		tg_diag_init(&d);
		memset(&v, 0, sizeof(v));
		r = tg_server_agent_view_parse((const uint8_t *)bad[i], strlen(bad[i]), &a, &v, &bs,
					       &d);
		CHECK(r != TG_OK);
		CHECK(d.msg[0] != '\0');
		CHECK(bs.n == 0 && bs.b == NULL && v.nentries == 0);
		tg_bundle_set_release(&bs);
	}
	tg_arena_release(&a);
}

/* The agent requests' schemas: field counts and caps hold. */
TEST(smsg_schemas)
{
	static const char id37[] = "00000000-0000-4000-8000-0000000000000";
	struct tg_buf b = TG_BUF_INIT(TG_SMSG_MAX);
	struct tg_smsg m, out;
	memset(&m, 0, sizeof(m));
	m.type = TG_SMSG_AGENT_X509;
	m.n = 3;
	m.f[0].p = (const uint8_t *)"-----BEGIN";
	m.f[0].len = 10;
	m.f[1].p = (const uint8_t *)id37;
	m.f[1].len = 36;
	m.f[2].p = (const uint8_t *)"k";
	m.f[2].len = 1;
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_OK(tg_smsg_decode(b.data, b.len, &out, NULL));
	CHECK(out.type == TG_SMSG_AGENT_X509 && out.n == 3 && out.f[1].len == 36);
	/* an entry id longer than a UUID */
	tg_buf_reset(&b);
	m.f[1].len = 37;
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &out, NULL), TG_E_TOOBIG);
	/* the wrong number of fields */
	tg_buf_reset(&b);
	m.type = TG_SMSG_AGENT_ENTRIES;
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &out, NULL), TG_E_PARSE);
	tg_buf_reset(&b);
	m.type = TG_SMSG_AGENT_RENEW;
	m.n = 2;
	m.f[1].len = 4097;
	m.f[1].p = (const uint8_t *)calloc(1, 4097);
	CHECK_OK(tg_smsg_encode(&m, &b));
	CHECK_ERR(tg_smsg_decode(b.data, b.len, &out, NULL), TG_E_TOOBIG);
	free((void *)m.f[1].p);
	tg_buf_release(&b);
}

int main(void)
{
	char t[] = "/tmp/tg-agentup-XXXXXX";
	if (!mkdtemp(t)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", t);
	RUN(parent_rules);
	RUN(migration);
	RUN(match_list_oracle);
	RUN(signer_answers);
	RUN(view_hostile);
	RUN(smsg_schemas);
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tg_test_done();
}
