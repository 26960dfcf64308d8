/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_server_store.c - the store interface's SQLite backend (put and get,
 * new and known, the limits checked before any write, durability across a
 * reopen, WAL mode, schema versions: a newer one and a foreign database
 * are refused with a message) and the tlog-tiles path parser (the spec's
 * example, canonical spellings only, ranges).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"
#include "server/store.h"
#include "tg_test.h"

static char dir[64];
static char db_path[128];

struct got {
	size_t n;
	uint8_t sha[4][32];
	char body[4][64];
};

static tg_err collect(void *ctx, const uint8_t sha256[32], const uint8_t *b, size_t len)
{
	struct got *g = ctx;
	if (g->n == 4 || len >= 64)
		return TG_E_TOOBIG;
	memcpy(g->sha[g->n], sha256, 32);
	memcpy(g->body[g->n], b, len);
	g->body[g->n][len] = '\0';
	g->n++;
	return TG_OK;
}

static void sha_of(uint8_t out[32], uint8_t b)
{
	memset(out, b, 32);
}

TEST(put_get)
{
	struct tg_store *s = NULL;
	struct tg_diag d;
	uint8_t dg[3][32], h1[32], h2[32], h3[32];
	struct got g;
	bool fresh = false;

	tg_diag_init(&d);
	sha_of(dg[0], 0xd0);
	sha_of(dg[1], 0xd1);
	sha_of(dg[2], 0xd2);
	sha_of(h1, 0x22); /* sorts after h2 */
	sha_of(h2, 0x11);
	sha_of(h3, 0x33);
	CHECK_OK(tg_store_sqlite_open(db_path, &s, &d));
	if (!s)
		return;
	CHECK_STR(s->ops->name, "sqlite");
	CHECK_OK(s->ops->att_put(s, h1, (const uint8_t *)"one", 3, (const uint8_t(*)[32])dg[0], 2, 2,
				 3, &fresh, &d));
	CHECK(fresh);
	CHECK_OK(s->ops->att_put(s, h1, (const uint8_t *)"one", 3, (const uint8_t(*)[32])dg[0], 2, 2,
				 3, &fresh, &d));
	CHECK(!fresh);
	CHECK_OK(s->ops->att_put(s, h2, (const uint8_t *)"two", 3, (const uint8_t(*)[32])dg[0], 1, 2,
				 3, &fresh, &d));
	CHECK(fresh);
	/* the per-digest limit (2 under dg[0]) fails before anything is
	 * written: dg[2] does not get h3 either */
	tg_diag_init(&d);
	CHECK_ERR(s->ops->att_put(s, h3, (const uint8_t *)"three", 5, (const uint8_t(*)[32])dg[0],
				  3, 2, 3, &fresh, &d),
		  TG_E_TOOBIG);
	CHECK(strstr(d.msg, "sha256:d0d0d0") && strstr(d.msg, "already has 2 attestations"));
	memset(&g, 0, sizeof(g));
	CHECK_OK(s->ops->att_get(s, dg[2], 24, collect, &g, &d));
	CHECK(g.n == 0);
	/* the total limit (3 bundles) */
	CHECK_OK(s->ops->att_put(s, h3, (const uint8_t *)"three", 5, (const uint8_t(*)[32])dg[2], 1,
				 2, 3, &fresh, &d));
	{
		uint8_t h4[32], d4[32];
		sha_of(h4, 0x44);
		sha_of(d4, 0xd4);
		tg_diag_init(&d);
		CHECK_ERR(s->ops->att_put(s, h4, (const uint8_t *)"four", 4,
					  (const uint8_t(*)[32])d4, 1, 2, 3, &fresh, &d),
			  TG_E_TOOBIG);
		CHECK(strstr(d.msg, "store is full (3 bundles)") != NULL);
	}
	tg_store_close(s);
	s = NULL;
	/* durable across a reopen; in SHA-256 order; max honoured */
	CHECK_OK(tg_store_sqlite_open(db_path, &s, &d));
	if (!s)
		return;
	memset(&g, 0, sizeof(g));
	CHECK_OK(s->ops->att_get(s, dg[0], 24, collect, &g, &d));
	CHECK(g.n == 2);
	CHECK_MEM(g.sha[0], h2, 32);
	CHECK_STR(g.body[0], "two");
	CHECK_MEM(g.sha[1], h1, 32);
	CHECK_STR(g.body[1], "one");
	memset(&g, 0, sizeof(g));
	CHECK_OK(s->ops->att_get(s, dg[0], 1, collect, &g, &d));
	CHECK(g.n == 1);
	memset(&g, 0, sizeof(g));
	CHECK_OK(s->ops->att_get(s, dg[1], 24, collect, &g, &d));
	CHECK(g.n == 1 && strcmp(g.body[0], "one") == 0);
	tg_store_close(s);
	tg_store_close(NULL);
}

/* Runs SQL on the database file with SQLite directly (not the backend). */
static void sql(const char *path, const char *q)
{
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

TEST(wal_and_schema)
{
	struct tg_store *s = NULL;
	struct tg_diag d;
	char other[160];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	tg_diag_init(&d);
	CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	sql(db_path, "UPDATE schema_version SET version = 7");
	CHECK_ERR(tg_store_sqlite_open(db_path, &s, &d), TG_E_STATE);
	CHECK(s == NULL);
	CHECK(strstr(d.msg, "schema version 7, newer than this tollgated's 1") != NULL);
	snprintf(other, sizeof(other), "%s/other.db", dir);
	sql(other, "CREATE TABLE t (x)");
	tg_diag_init(&d);
	CHECK_ERR(tg_store_sqlite_open(other, &s, &d), TG_E_STATE);
	CHECK(strstr(d.msg, "is not a tollgate store") != NULL);
	unlink(other);
	snprintf(other, sizeof(other), "%s/none/x.db", dir);
	tg_diag_init(&d);
	CHECK_ERR(tg_store_sqlite_open(other, &s, &d), TG_E_IO);
	CHECK(strstr(d.msg, "cannot open database") != NULL);
}

TEST(tile_paths)
{
	static const struct {
		const char *p;
		int level;
		uint64_t index;
		unsigned width;
	} good[] = {
		{"0/000", 0, 0, 256},
		{"0/x001/x234/067", 0, 1234067, 256}, /* the spec's example */
		{"1/000.p/2", 1, 0, 2},
		{"63/999.p/255", 63, 999, 255},
		{"entries/x001/000.p/1", TG_TILE_ENTRIES, 1000, 1},
		{"2/x018/x446/x744/x073/x709/x551/615", 2, UINT64_MAX, 256},
	};
	static const struct {
		const char *p;
		tg_err e;
	} bad[] = {
		{"", TG_E_PARSE},           {"0", TG_E_PARSE},          {"0/", TG_E_PARSE},
		{"00/000", TG_E_PARSE},     {"01/000", TG_E_PARSE},     {"64/000", TG_E_RANGE},
		{"100/000", TG_E_PARSE},    {"0/1", TG_E_PARSE},        {"0/01", TG_E_PARSE},
		{"0/0001", TG_E_PARSE},     {"0/x000/001", TG_E_PARSE}, {"0/x001", TG_E_PARSE},
		{"0/x001/", TG_E_PARSE},    {"0/001/002", TG_E_PARSE},  {"0/000.p/", TG_E_PARSE},
		{"0/000.p/0", TG_E_RANGE},  {"0/000.p/256", TG_E_RANGE}, {"0/000.p/01", TG_E_PARSE},
		{"0/000.p/1/", TG_E_PARSE}, {"0/000.q/1", TG_E_PARSE},  {"data/000", TG_E_PARSE},
		{"entries/", TG_E_PARSE},   {"entries/00a", TG_E_PARSE}, {"-1/000", TG_E_PARSE},
		{"0/x018/x446/x744/x073/x709/x551/616", TG_E_RANGE},
		{"0/x999/x999/x999/x999/x999/x999/x999/999", TG_E_RANGE},
	};
	struct tg_server_tile t;
	struct tg_diag d;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&t, 0, sizeof(t));
		tg_diag_init(&d);
		CHECK_OK(tg_server_tile_path_parse(good[i].p, strlen(good[i].p), &t, &d));
		CHECK(t.level == good[i].level && t.index == good[i].index &&
		      t.width == good[i].width);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tg_diag_init(&d);
		CHECK_ERR(tg_server_tile_path_parse(bad[i].p, strlen(bad[i].p), &t, &d), bad[i].e);
		CHECK(d.msg[0] != '\0');
	}
	/* lengths are honoured: no reading past n */
	CHECK_OK(tg_server_tile_path_parse("0/000.p/2XYZ", 9, &t, NULL));
	CHECK(t.width == 2);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-store-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(db_path, sizeof(db_path), "%s/tollgate.db", dir);
	RUN(put_get);
	RUN(wal_and_schema);
	RUN(tile_paths);
	unlink(db_path);
	{
		char p[160];
		snprintf(p, sizeof(p), "%s-wal", db_path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", db_path);
		unlink(p);
	}
	rmdir(dir);
	return tg_test_done();
}
