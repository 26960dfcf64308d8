/* SPDX-License-Identifier: Apache-2.0 */
/*
 * db.c - D/identity.db: creating it with the schema of identity_internal.h,
 * opening it with WAL, synchronous FULL, foreign keys and a busy timeout,
 * and the two helpers every file of the module runs SQL through.
 */
#include "identity/identity_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"

#define DB_NAME "identity.db"
#define DB_BUSY_MS 5000
#define STR_(x) #x
#define STR(x) STR_(x)

static const char schema_sql[] =
	"CREATE TABLE entries ("
	" id TEXT PRIMARY KEY,"
	" spiffe_id TEXT NOT NULL,"
	" x509_ttl INTEGER NOT NULL,"
	" jwt_ttl INTEGER NOT NULL,"
	" created INTEGER NOT NULL,"
	" parent_id TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX entries_by_parent ON entries(parent_id);"
	"CREATE TABLE entry_selectors ("
	" entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,"
	" selector TEXT NOT NULL,"
	" PRIMARY KEY (entry_id, selector));"
	"CREATE INDEX entry_selectors_by_selector ON entry_selectors(selector);"
	"CREATE TABLE join_tokens ("
	" hash TEXT PRIMARY KEY,"
	" label TEXT,"
	" expires INTEGER NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE replay ("
	" key TEXT PRIMARY KEY,"
	" expires INTEGER NOT NULL);"
	"CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY, revoked INTEGER NOT NULL);"
	"CREATE TABLE revoked_jtis (jti TEXT PRIMARY KEY, expires INTEGER NOT NULL);"
	"CREATE TABLE issued ("
	" kind TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" spiffe_id TEXT NOT NULL,"
	" issued INTEGER NOT NULL,"
	" expires INTEGER NOT NULL,"
	" PRIMARY KEY (kind, id));";

/* From schema version 1 to 2. */
static const char schema_v2_sql[] =
	"ALTER TABLE entries ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX entries_by_parent ON entries(parent_id);";

static tg_err db_fail(sqlite3 *db, const char *what, const char *path, struct tg_diag *d)
{
	tg_diag_set(d, "%s '%s': %s", what, path, db ? sqlite3_errmsg(db) : "out of memory");
	return TG_E_IO;
}

static tg_err exec(sqlite3 *db, const char *sql, const char *path, struct tg_diag *d)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return TG_OK;
	tg_diag_set(d, "database '%s': %s", path, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return TG_E_IO;
}

/* Runs a pragma that answers one row and returns its first column as an
 * integer or compares it with want (text). */
static tg_err pragma_row(sqlite3 *db, const char *sql, const char *want, int64_t *num,
			 const char *path, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *txt;
	tg_err r = TG_E_IO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = db_fail(db, "cannot configure database", path, d);
		goto out;
	}
	if (num)
		*num = sqlite3_column_int64(st, 0);
	if (want) {
		txt = sqlite3_column_text(st, 0);
		if (!txt || strcmp((const char *)txt, want) != 0) {
			tg_diag_set(d, "database '%s': '%s' answered '%s', not '%s'", path, sql,
				    txt ? (const char *)txt : "", want);
			goto out;
		}
	}
	r = TG_OK;
out:
	sqlite3_finalize(st);
	return r;
}

tg_err tg_ca_db_open(const char *dir, bool create, sqlite3 **out, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(4096);
	sqlite3 *db = NULL;
	const char *p;
	int64_t ver = -1;
	int fd, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW;
	tg_err r;

	r = tg_buf_addf(&path, "%s/%s", dir, DB_NAME);
	if (r != TG_OK) {
		tg_diag_set(d, "database path under '%.200s' is too long", dir);
		goto out;
	}
	p = tg_buf_str(&path);
	if (create) {
		/* made here so that it (and the -wal and -shm files SQLite
		 * derives from it) has mode 0600 whatever the umask */
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = errno == EEXIST ? TG_E_EXISTS : TG_E_IO;
			tg_diag_set(d, "cannot create '%s': %s", p, strerror(errno));
			goto out;
		}
		if (fchmod(fd, 0600) != 0 || close(fd) != 0) {
			tg_diag_set(d, "cannot create '%s': %s", p, strerror(errno));
			r = TG_E_IO;
			goto out;
		}
	} else if (!tg_fs_exists(p)) {
		tg_diag_set(d, "'%s' does not exist", p);
		r = TG_E_NOTFOUND;
		goto out;
	}
	if (sqlite3_open_v2(p, &db, flags, NULL) != SQLITE_OK) {
		r = db_fail(db, "cannot open database", p, d);
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	/* the file is ours, but SQL in a schema is not something to run */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_busy_timeout(db, DB_BUSY_MS) != SQLITE_OK) {
		r = db_fail(db, "cannot configure database", p, d);
		goto out;
	}
	r = pragma_row(db, "PRAGMA journal_mode=WAL", "wal", NULL, p, d);
	if (r == TG_OK)
		r = exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", p, d);
	if (r != TG_OK)
		goto out;
	if (create) {
		r = exec(db, "BEGIN IMMEDIATE", p, d);
		if (r == TG_OK)
			r = exec(db, schema_sql, p, d);
		if (r == TG_OK)
			r = exec(db, "PRAGMA user_version=" STR(TG_IDENTITY_SCHEMA), p, d);
		if (r == TG_OK)
			r = exec(db, "COMMIT", p, d);
		if (r != TG_OK) {
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	r = pragma_row(db, "PRAGMA user_version", NULL, &ver, p, d);
	if (r != TG_OK)
		goto out;
	if (ver == 1) {
		/* version 1 had no parent IDs: every entry is attested at the
		 * server, which is what the column's default says */
		r = exec(db, "BEGIN IMMEDIATE", p, d);
		if (r == TG_OK)
			r = exec(db, schema_v2_sql, p, d);
		if (r == TG_OK)
			r = exec(db, "PRAGMA user_version=2", p, d);
		if (r == TG_OK)
			r = exec(db, "COMMIT", p, d);
		if (r != TG_OK) {
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
		ver = 2;
	}
	if (ver != TG_IDENTITY_SCHEMA) {
		tg_diag_set(d, "database '%s' has schema version %lld, this tollgate knows %d", p,
			    (long long)ver, TG_IDENTITY_SCHEMA);
		r = TG_E_STATE;
		goto out;
	}
	/* foreign keys are a no-op if this SQLite was built without them */
	r = pragma_row(db, "PRAGMA foreign_keys", NULL, &ver, p, d);
	if (r == TG_OK && ver != 1) {
		tg_diag_set(d, "database '%s': foreign keys cannot be enabled", p);
		r = TG_E_STATE;
	}
	if (r != TG_OK)
		goto out;
	*out = db;
	db = NULL;
	r = TG_OK;
out:
	sqlite3_close(db);
	tg_buf_release(&path);
	return r;
}

tg_err tg_ca_db_exec(struct tg_ca *ca, const char *sql, struct tg_diag *d)
{
	char *msg = NULL;
	if (!ca || !ca->db || !sql)
		return TG_E_INVAL;
	if (sqlite3_exec(ca->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return TG_OK;
	tg_diag_set(d, "database: %s", msg ? msg : sqlite3_errmsg(ca->db));
	sqlite3_free(msg);
	return TG_E_IO;
}

tg_err tg_ca_db_prepare(struct tg_ca *ca, const char *sql, sqlite3_stmt **out, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	if (!ca || !ca->db || !sql || !out)
		return TG_E_INVAL;
	if (sqlite3_prepare_v2(ca->db, sql, -1, &st, NULL) != SQLITE_OK) {
		tg_diag_set(d, "database: %s", sqlite3_errmsg(ca->db));
		sqlite3_finalize(st);
		return TG_E_IO;
	}
	*out = st;
	return TG_OK;
}
