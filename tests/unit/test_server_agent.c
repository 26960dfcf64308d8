/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_agent.c - agents without the CA key: entries with a parent,
 * the in-memory matcher (tg_entry_match the oracle), the signer's answers
 * read back by the agent's parser (hostile ones too) with the deny list,
 * the client's timeouts (silent and trickling servers), and the recovery
 * of the agent's own key and SVID files after a renewal cut short.
 */
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/fs.h"
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

/* The deny list reaches the agent's view: sorted, unique, in the revision. */
TEST(signer_revoked)
{
	char dir[300], id1[37];
	struct tg_ca *ca = ca_new("revoked", dir, sizeof(dir));
	struct tg_buf c1 = TG_BUF_INIT(1 << 16);
	struct tg_server_answer o;
	struct tg_server_agent_view v;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_arena a;
	struct tg_diag d;
	struct tg_time soon = tg_time_now();
	const char *const u1[] = {"unix:uid:1", NULL};
	char rev0[65], rev1[65];

	soon.sec += 600;
	tg_arena_init(&a, 16 << 20);
	CHECK_OK(add(ca, "spiffe://" TD "/w1", AG1, u1, 100, id1));
	agent_cred(ca, AG1, &c1);
	CHECK_OK(ask(ca, TG_SMSG_AGENT_ENTRIES, &c1, NULL, NULL, &o, &d));
	memset(&v, 0, sizeof(v));
	CHECK_OK(tg_server_agent_view_parse(o.f[0].data, o.f[0].len, &a, &v, &bs, &d));
	CHECK(v.nrevoked_serials == 0 && v.nrevoked_jtis == 0);
	CHECK(strstr((const char *)o.f[0].data, "\"revoked\":{\"jtis\":[],\"serials\":[]}") != NULL);
	memcpy(rev0, v.revision, sizeof(rev0));
	tg_bundle_set_release(&bs);
	answer_release(&o);

	CHECK_OK(tg_ca_revoke_jti(ca, "zz-last", soon, NULL));
	CHECK_OK(tg_ca_revoke_jti(ca, "aa-first", soon, NULL));
	CHECK_OK(tg_ca_revoke_serial(ca, "0A1B", NULL));
	CHECK_OK(tg_ca_revoke_serial(ca, "FF", NULL));
	/* a JWT ID whose token expired (beyond the skew) is not sent */
	{
		struct tg_time past = tg_time_now();
		past.sec -= 3600;
		CHECK_OK(tg_ca_revoke_jti(ca, "mm-expired", past, NULL));
	}
	CHECK_OK(ask(ca, TG_SMSG_AGENT_ENTRIES, &c1, NULL, NULL, &o, &d));
	memset(&v, 0, sizeof(v));
	CHECK_OK(tg_server_agent_view_parse(o.f[0].data, o.f[0].len, &a, &v, &bs, &d));
	if (d.msg[0])
		fprintf(stderr, "view: %s\n", d.msg);
	CHECK(v.nrevoked_jtis == 2);
	if (v.nrevoked_jtis == 2) {
		CHECK_STR(v.revoked_jtis[0], "aa-first");
		CHECK_STR(v.revoked_jtis[1], "zz-last");
	}
	CHECK(v.nrevoked_serials == 2);
	if (v.nrevoked_serials == 2) {
		CHECK_STR(v.revoked_serials[0], "0a1b");
		CHECK_STR(v.revoked_serials[1], "ff");
	}
	memcpy(rev1, v.revision, sizeof(rev1));
	CHECK(strcmp(rev0, rev1) != 0);
	CHECK(v.nentries == 1);
	tg_bundle_set_release(&bs);
	answer_release(&o);
	tg_buf_release(&c1);
	tg_arena_release(&a);
	tg_ca_close(ca);
}

#define VIEW_HEAD                                                                          \
	"{\"bundles\":{\"example.org\":{\"keys\":[]}},\"entries\":[],\"revision\":\""        \
	"0000000000000000000000000000000000000000000000000000000000000000\""

/* The deny list is parsed strictly: the server's order, its forms. */
TEST(view_revoked)
{
	static const char good[] = VIEW_HEAD
		",\"revoked\":{\"jtis\":[\"a\",\"ab\",\"b\"],\"serials\":[\"00\",\"0a1b\",\"ff\"]},"
		"\"spiffe_id\":\"spiffe://example.org/a\"}";
	static const char *const bad[] = {
		VIEW_HEAD ",\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":[],\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[]},\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[\"b\",\"a\"],\"serials\":[]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[\"a\",\"a\"],\"serials\":[]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[\"\"],\"serials\":[]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[\"a\\u0000b\"],\"serials\":[]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[1],\"serials\":[]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[],\"serials\":[\"0A1B\"]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[],\"serials\":[\"a1b\"]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[],\"serials\":[\"ff\",\"0a\"]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
		VIEW_HEAD ",\"revoked\":{\"jtis\":[],\"serials\":[\"zz\"]},"
			  "\"spiffe_id\":\"spiffe://example.org/a\"}",
	};
	struct tg_arena a;
	struct tg_server_agent_view v;
	struct tg_bundle_set bs = {NULL, 0};
	struct tg_diag d;
	size_t i;

	tg_arena_init(&a, 1 << 20);
	tg_diag_init(&d);
	memset(&v, 0, sizeof(v));
	CHECK_OK(tg_server_agent_view_parse((const uint8_t *)good, strlen(good), &a, &v, &bs, &d));
	if (d.msg[0])
		fprintf(stderr, "good: %s\n", d.msg);
	CHECK(v.nrevoked_jtis == 3 && v.nrevoked_serials == 3);
	tg_bundle_set_release(&bs);
	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		tg_err r;
		tg_diag_init(&d);
		memset(&v, 0, sizeof(v));
		r = tg_server_agent_view_parse((const uint8_t *)bad[i], strlen(bad[i]), &a, &v, &bs,
					       &d);
		if (r == TG_OK)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(r == TG_E_PARSE);
		CHECK(strstr(d.msg, "revoked") != NULL);
		CHECK(bs.n == 0 && bs.b == NULL);
		tg_bundle_set_release(&bs);
	}
	tg_arena_release(&a);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1; its port in port (8 bytes). */
static int listener(char *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(fd, 8) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(port, 8, "%u", (unsigned)ntohs(sa.sin_port));
	return fd;
}

/* A server that accepts (the kernel does, from the backlog) and never
 * answers, and one that trickles a byte every 100 ms: the exchange ends
 * at timeout_ms, not at the 60 s of a single wait. */
TEST(client_timeouts)
{
	char dir[300], ca_pem[400], port[8];
	struct tg_ca *ca = ca_new("timeouts", dir, sizeof(dir));
	struct tg_client cl;
	struct tg_buf resp = TG_BUF_INIT(1 << 20);
	struct tg_diag d;
	int64_t t0, el;
	int lfd, status = 0;
	pid_t pid;

	tg_ca_close(ca);
	snprintf(ca_pem, sizeof(ca_pem), "%s/root.pem", dir);
	lfd = listener(port);
	memset(&cl, 0, sizeof(cl));
	CHECK_OK(tg_client_url("https://127.0.0.1", &cl, NULL));
	memcpy(cl.port, port, sizeof(cl.port));
	cl.ca_file = ca_pem;
	cl.connect_timeout_ms = 500;
	cl.timeout_ms = 1000;
	tg_diag_init(&d);
	t0 = mono_ms();
	CHECK_ERR(tg_client_request(&cl, "GET", "/v1/agent/entries", NULL, NULL, 0, &status, &resp,
				    &d),
		  TG_E_TIMEOUT);
	el = mono_ms() - t0;
	CHECK(el >= 900 && el < 3000);
	CHECK(strstr(d.msg, "timed out") != NULL && strstr(d.msg, port) != NULL);
	close(lfd);

	lfd = listener(port);
	memcpy(cl.port, port, sizeof(cl.port));
	pid = fork();
	if (pid == 0) {
		/* a TLS record header, then one byte of its body at a time */
		static const unsigned char hdr[] = {0x16, 0x03, 0x03, 0x40, 0x00};
		int c = accept(lfd, NULL, NULL);
		size_t i;
		if (c < 0)
			_exit(1);
		if (write(c, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
			_exit(1);
		for (i = 0; i < 200; i++) {
			struct timespec ts = {0, 100 * 1000 * 1000};
			if (write(c, "\x02", 1) != 1)
				_exit(0);
			nanosleep(&ts, NULL);
		}
		_exit(0);
	}
	CHECK(pid > 0);
	tg_diag_init(&d);
	t0 = mono_ms();
	CHECK_ERR(tg_client_request(&cl, "GET", "/v1/agent/entries", NULL, NULL, 0, &status, &resp,
				    &d),
		  TG_E_TIMEOUT);
	el = mono_ms() - t0;
	CHECK(el >= 900 && el < 3000);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(lfd);
	tg_buf_release(&resp);
}

/* Writes the PEM of a fresh X509-SVID of AG1 and its key. */
static void svid_files(struct tg_ca *ca, const char *cert, const char *key)
{
	struct tg_spiffe_id sid;
	struct tg_key *k = NULL;
	struct tg_x509_list l = {NULL, 0};
	struct tg_buf c = TG_BUF_INIT(1 << 16), kp = TG_BUF_INIT(1 << 16);
	size_t i;
	CHECK_OK(tg_spiffe_id_parse(AG1, strlen(AG1), &sid, NULL));
	CHECK_OK(tg_key_generate(TG_KEY_EC_P256, 0, &k));
	CHECK_OK(tg_ca_issue_x509(ca, &sid, k, 600, tg_time_now(), &l, NULL));
	for (i = 0; i < l.count; i++)
		CHECK_OK(tg_x509_to_pem(l.certs[i], &c));
	CHECK_OK(tg_key_to_pem(k, true, &kp));
	CHECK_OK(tg_fs_write_atomic(cert, c.data, c.len, 0644, 0, NULL));
	CHECK_OK(tg_fs_write_atomic(key, kp.data, kp.len, 0600, 0, NULL));
	tg_x509_list_release(&l);
	tg_key_free(k);
	tg_buf_release(&c);
	tg_buf_release_wipe(&kp);
}

static bool same_file(const char *a, const char *b)
{
	struct tg_buf x = TG_BUF_INIT(1 << 16), y = TG_BUF_INIT(1 << 16);
	bool eq = tg_fs_read(a, &x, NULL) == TG_OK && tg_fs_read(b, &y, NULL) == TG_OK &&
		  x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	tg_buf_release(&x);
	tg_buf_release(&y);
	return eq;
}

static void cp_file(const char *from, const char *to)
{
	struct tg_buf x = TG_BUF_INIT(1 << 16);
	struct stat st;
	CHECK_OK(tg_fs_read(from, &x, NULL));
	CHECK(stat(from, &st) == 0);
	CHECK_OK(tg_fs_write_atomic(to, x.data, x.len, st.st_mode & 0777, 0, NULL));
	tg_buf_release(&x);
}

/* The renewal writes KEY.pending and CERT.pending, then renames key
 * first: every state a crash can leave is finished or refused clearly. */
TEST(own_files)
{
	char dir[300], c[400], k[400], cp[420], kp[420], c2[400], k2[400];
	struct tg_ca *ca = ca_new("files", dir, sizeof(dir));
	struct tg_diag d;

	snprintf(c, sizeof(c), "%s/svid.pem", dir);
	snprintf(k, sizeof(k), "%s/svid.key", dir);
	snprintf(cp, sizeof(cp), "%s.pending", c);
	snprintf(kp, sizeof(kp), "%s.pending", k);
	snprintf(c2, sizeof(c2), "%s/new.pem", dir);
	snprintf(k2, sizeof(k2), "%s/new.key", dir);
	svid_files(ca, c, k);
	svid_files(ca, c2, k2);

	/* a matching pair: fine */
	tg_diag_init(&d);
	CHECK_OK(tg_server_upstream_files_check(c, k, &d));
	/* cut short between the renames: the key renamed, the SVID pending */
	cp_file(k2, k);
	cp_file(c2, cp);
	tg_diag_init(&d);
	CHECK_OK(tg_server_upstream_files_check(c, k, &d));
	if (d.msg[0])
		fprintf(stderr, "files: %s\n", d.msg);
	CHECK(same_file(c, c2) && same_file(k, k2) && !tg_fs_exists(cp) && !tg_fs_exists(kp));
	/* both pending, the old pair in place: the old pair stays, the
	 * pending files go */
	svid_files(ca, c2, k2);
	cp_file(c2, cp);
	cp_file(k2, kp);
	CHECK_OK(tg_server_upstream_files_check(c, k, &d));
	CHECK(!same_file(c, c2) && !tg_fs_exists(cp) && !tg_fs_exists(kp));
	/* a mismatched pair and nothing pending: refused, naming both */
	cp_file(k2, k);
	tg_diag_init(&d);
	CHECK_ERR(tg_server_upstream_files_check(c, k, &d), TG_E_KEY);
	CHECK(strstr(d.msg, c) != NULL && strstr(d.msg, k) != NULL && strstr(d.msg, "not for") != NULL);
	/* ... and a pending SVID that does not finish the pair either */
	svid_files(ca, c2, k2);
	cp_file(c2, cp);
	tg_diag_init(&d);
	CHECK_ERR(tg_server_upstream_files_check(c, k, &d), TG_E_KEY);
	CHECK(strstr(d.msg, "pending") != NULL);
	CHECK(tg_fs_exists(cp)); /* nothing removed that might be needed */
	/* a pending key (the SVID renamed first by hand) finishes too */
	unlink(cp);
	svid_files(ca, c2, k2);
	cp_file(c2, c);
	cp_file(k2, kp);
	tg_diag_init(&d);
	CHECK_OK(tg_server_upstream_files_check(c, k, &d));
	CHECK(same_file(k, k2) && !tg_fs_exists(kp));
	/* an unreadable SVID file is its own error */
	unlink(c);
	tg_diag_init(&d);
	CHECK(tg_server_upstream_files_check(c, k, &d) != TG_OK);
	CHECK(strstr(d.msg, c) != NULL);
	tg_ca_close(ca);
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
	RUN(signer_revoked);
	RUN(view_revoked);
	RUN(client_timeouts);
	RUN(own_files);
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tg_test_done();
}
