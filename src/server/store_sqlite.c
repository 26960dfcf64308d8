/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite.c - the SQLite backend of the store interface (store.h):
 * <state_dir>/tollgate.db in WAL mode with synchronous=FULL, a schema
 * version table, prepared statements only. Attestation bundles are kept
 * once, keyed by their SHA-256, and indexed by subject digest.
 */
#include "server/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

#define BUSY_MS 5000
#define STR_(x) #x
#define STR(x) STR_(x)

static const char schema_sql[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE att_bundles ("
	" sha256 BLOB PRIMARY KEY CHECK (length(sha256) = 32),"
	" body BLOB NOT NULL,"
	" stored INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE att_subjects ("
	" digest BLOB NOT NULL CHECK (length(digest) = 32),"
	" bundle BLOB NOT NULL REFERENCES att_bundles(sha256),"
	" PRIMARY KEY (digest, bundle)) WITHOUT ROWID;"
	"INSERT INTO schema_version (version) VALUES (" STR(TG_STORE_SCHEMA) ");";

enum {
	Q_LINKED,       /* is (digest, bundle) stored */
	Q_PER_DIGEST,   /* bundles under a digest */
	Q_HAVE_BUNDLE,  /* is a bundle stored */
	Q_TOTAL,        /* bundles in the store */
	Q_PUT_BUNDLE,
	Q_PUT_LINK,
	Q_GET,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	NQ
};

static const char *const queries[NQ] = {
	"SELECT 1 FROM att_subjects WHERE digest = ?1 AND bundle = ?2",
	"SELECT count(*) FROM att_subjects WHERE digest = ?1",
	"SELECT 1 FROM att_bundles WHERE sha256 = ?1",
	"SELECT count(*) FROM att_bundles",
	"INSERT OR IGNORE INTO att_bundles (sha256, body, stored) VALUES (?1, ?2, ?3)",
	"INSERT OR IGNORE INTO att_subjects (digest, bundle) VALUES (?1, ?2)",
	("SELECT b.sha256, b.body FROM att_subjects s JOIN att_bundles b ON b.sha256 = s.bundle"
	 " WHERE s.digest = ?1 ORDER BY s.bundle LIMIT ?2"),
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
};

struct sq {
	struct tg_store base;            /* first: the interface */
	sqlite3 *db;
	sqlite3_stmt *q[NQ];
	char path[1024];
};

static tg_err db_fail(struct sq *s, const char *what, struct tg_diag *d)
{
	tg_diag_set(d, "%s in database '%s': %s", what, s->path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return TG_E_IO;
}

/* Runs a statement that yields no row (or whose rows are dropped). */
static tg_err run(struct sq *s, sqlite3_stmt *st, const char *what, struct tg_diag *d)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? TG_OK : db_fail(s, what, d);
}

/* Runs a statement that yields one integer. */
static tg_err one_int(struct sq *s, sqlite3_stmt *st, int64_t *out, bool *row,
		      struct tg_diag *d)
{
	int rc = sqlite3_step(st);
	tg_err r = TG_OK;
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		*row = true;
	} else if (rc == SQLITE_DONE) {
		*row = false;
	} else {
		r = db_fail(s, "cannot read", d);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static tg_err exec(struct sq *s, const char *sql, struct tg_diag *d)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return TG_OK;
	tg_diag_set(d, "database '%s': %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return TG_E_IO;
}

static tg_err pragma_is(struct sq *s, const char *sql, const char *want, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *txt;
	tg_err r = TG_OK;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_fail(s, "cannot configure", d);
	} else {
		txt = sqlite3_column_text(st, 0);
		if (!txt || strcmp((const char *)txt, want) != 0) {
			tg_diag_set(d, "database '%s': '%s' answered '%s', not '%s'", s->path, sql,
				    txt ? (const char *)txt : "", want);
			r = TG_E_IO;
		}
	}
	sqlite3_finalize(st);
	return r;
}

/* Creates the schema in an empty database, or checks the version of an
 * existing one; in one transaction, so that two openers cannot both
 * create it. */
static tg_err schema(struct sq *s, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	int64_t tables = 0, ver = -1;
	bool has_ver = false;
	tg_err r = exec(s, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		return r;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT count(*), sum(name = 'schema_version') FROM sqlite_schema"
			       " WHERE type = 'table'",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_fail(s, "cannot read the schema", d);
		goto out;
	}
	tables = sqlite3_column_int64(st, 0);
	has_ver = sqlite3_column_int64(st, 1) == 1;
	sqlite3_finalize(st);
	st = NULL;
	if (tables == 0) {
		r = exec(s, schema_sql, d);
		goto out;
	}
	if (!has_ver) {
		tg_diag_set(d, "'%s' is not a tollgate store (no schema_version table)", s->path);
		r = TG_E_STATE;
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT max(version), count(*) FROM schema_version", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_fail(s, "cannot read the schema version", d);
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_INTEGER && sqlite3_column_int64(st, 1) == 1)
		ver = sqlite3_column_int64(st, 0);
	if (ver > TG_STORE_SCHEMA) {
		tg_diag_set(d,
			    "database '%s' has schema version %lld, newer than this tollgated's %d: "
			    "run a newer tollgated",
			    s->path, (long long)ver, TG_STORE_SCHEMA);
		r = TG_E_STATE;
	} else if (ver != TG_STORE_SCHEMA) {
		/* version 1 is the first: there is nothing older to migrate */
		tg_diag_set(d, "database '%s' has an unknown schema version", s->path);
		r = TG_E_STATE;
	}
out:
	sqlite3_finalize(st);
	if (r == TG_OK)
		r = exec(s, "COMMIT", d);
	else
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static void sq_close(struct tg_store *base)
{
	struct sq *s = (struct sq *)base;
	size_t i;
	if (!s)
		return;
	for (i = 0; i < NQ; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s);
}

static tg_err sq_att_put(struct tg_store *base, const uint8_t sha256[32], const uint8_t *bundle,
			 size_t len, const uint8_t (*digests)[32], size_t nd, size_t per_digest,
			 size_t total, bool *fresh, struct tg_diag *d)
{
	struct sq *s = (struct sq *)base;
	size_t i, links = 0;
	int64_t n = 0;
	bool row = false, have_bundle;
	tg_err r;

	if (len > INT32_MAX || nd == 0)
		return TG_E_INVAL;
	r = run(s, s->q[Q_BEGIN], "cannot begin a transaction", d);
	if (r != TG_OK)
		return r;
	/* every bound before the first write: no partial store */
	sqlite3_bind_blob(s->q[Q_HAVE_BUNDLE], 1, sha256, 32, SQLITE_STATIC);
	r = one_int(s, s->q[Q_HAVE_BUNDLE], &n, &have_bundle, d);
	for (i = 0; r == TG_OK && i < nd; i++) {
		sqlite3_bind_blob(s->q[Q_LINKED], 1, digests[i], 32, SQLITE_STATIC);
		sqlite3_bind_blob(s->q[Q_LINKED], 2, sha256, 32, SQLITE_STATIC);
		r = one_int(s, s->q[Q_LINKED], &n, &row, d);
		if (r != TG_OK || row)
			continue;
		sqlite3_bind_blob(s->q[Q_PER_DIGEST], 1, digests[i], 32, SQLITE_STATIC);
		r = one_int(s, s->q[Q_PER_DIGEST], &n, &row, d);
		if (r == TG_OK && n >= 0 && (size_t)n >= per_digest) {
			char hex[65];
			size_t k;
			for (k = 0; k < 32; k++)
				(void)snprintf(hex + 2 * k, 3, "%02x", digests[i][k]);
			tg_diag_set(d, "digest sha256:%s already has %zu attestations", hex,
				    per_digest);
			r = TG_E_TOOBIG;
		}
		links++;
	}
	if (r == TG_OK && !have_bundle) {
		r = one_int(s, s->q[Q_TOTAL], &n, &row, d);
		if (r == TG_OK && n >= 0 && (size_t)n + 1 > total) {
			tg_diag_set(d, "the attestation store is full (%zu bundles)", total);
			r = TG_E_TOOBIG;
		}
	}
	if (r == TG_OK && !have_bundle) {
		sqlite3_bind_blob(s->q[Q_PUT_BUNDLE], 1, sha256, 32, SQLITE_STATIC);
		sqlite3_bind_blob(s->q[Q_PUT_BUNDLE], 2, bundle, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(s->q[Q_PUT_BUNDLE], 3, (sqlite3_int64)time(NULL));
		r = run(s, s->q[Q_PUT_BUNDLE], "cannot store the bundle", d);
	}
	for (i = 0; r == TG_OK && links && i < nd; i++) {
		sqlite3_bind_blob(s->q[Q_PUT_LINK], 1, digests[i], 32, SQLITE_STATIC);
		sqlite3_bind_blob(s->q[Q_PUT_LINK], 2, sha256, 32, SQLITE_STATIC);
		r = run(s, s->q[Q_PUT_LINK], "cannot index the bundle", d);
	}
	/* synchronous=FULL in WAL mode: COMMIT returns once the WAL is fsync'd */
	if (r == TG_OK)
		r = run(s, s->q[Q_COMMIT], "cannot commit", d);
	if (r != TG_OK) {
		struct tg_diag ignored;
		tg_diag_init(&ignored);
		if (!sqlite3_get_autocommit(s->db))
			(void)run(s, s->q[Q_ROLLBACK], "cannot roll back", &ignored);
		return r;
	}
	*fresh = links > 0 || !have_bundle;
	return TG_OK;
}

static tg_err sq_att_get(struct tg_store *base, const uint8_t digest[32], size_t max,
			 tg_store_att_fn fn, void *ctx, struct tg_diag *d)
{
	struct sq *s = (struct sq *)base;
	sqlite3_stmt *st = s->q[Q_GET];
	tg_err r = TG_OK;
	int rc;

	sqlite3_bind_blob(st, 1, digest, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(max > INT32_MAX ? INT32_MAX : max));
	while (r == TG_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(st, 0);
		int hl = sqlite3_column_bytes(st, 0);
		const void *b = sqlite3_column_blob(st, 1);
		int bl = sqlite3_column_bytes(st, 1);
		if (!h || hl != 32 || bl < 0 || (!b && bl > 0)) {
			tg_diag_set(d, "database '%s': a malformed attestation row", s->path);
			r = TG_E_STATE;
			break;
		}
		r = fn(ctx, h, b ? b : (const void *)"", (size_t)bl);
	}
	if (r == TG_OK && rc != SQLITE_DONE)
		r = db_fail(s, "cannot read attestations", d);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static const struct tg_store_ops sq_ops = {"sqlite", sq_att_put, sq_att_get, sq_close};

tg_err tg_store_sqlite_open(const char *path, struct tg_store **out, struct tg_diag *d)
{
	struct sq *s = tg_xcalloc(1, sizeof(*s));
	int fd, i;
	tg_err r = TG_E_IO;

	s->base.ops = &sq_ops;
	if (strlen(path) >= sizeof(s->path)) {
		tg_diag_set(d, "database path '%.200s...' is too long", path);
		r = TG_E_TOOBIG;
		goto out;
	}
	memcpy(s->path, path, strlen(path) + 1);
	/* made here so that it (and the -wal and -shm files SQLite derives
	 * from its mode) is 0600 whatever the umask */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		tg_diag_set(d, "cannot open database '%s': %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK) {
		r = db_fail(s, "cannot open", d);
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* the file is ours, but SQL found in a schema is not something to run */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_busy_timeout(s->db, BUSY_MS) != SQLITE_OK) {
		r = db_fail(s, "cannot configure", d);
		goto out;
	}
	r = pragma_is(s, "PRAGMA journal_mode=WAL", "wal", d);
	if (r == TG_OK)
		r = exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", d);
	if (r == TG_OK)
		r = pragma_is(s, "PRAGMA synchronous", "2", d);
	if (r == TG_OK)
		r = schema(s, d);
	for (i = 0; r == TG_OK && i < NQ; i++)
		if (sqlite3_prepare_v3(s->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
				       NULL) != SQLITE_OK)
			r = db_fail(s, "cannot prepare a statement", d);
	if (r != TG_OK)
		goto out;
	*out = &s->base;
	s = NULL;
out:
	sq_close(s ? &s->base : NULL);
	return r;
}

void tg_store_close(struct tg_store *s)
{
	if (s)
		s->ops->close(s);
}
