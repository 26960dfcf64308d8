/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity_internal.h - what the files of src/identity share: the layout
 * of struct tg_ca and the SQLite schema of D/identity.db. Nothing outside
 * src/identity includes it.
 */
#ifndef TG_IDENTITY_INTERNAL_H
#define TG_IDENTITY_INTERNAL_H

#include <sqlite3.h>

#include "identity/identity.h"

/*
 * The schema (created by tg_ca_init, checked by tg_ca_open; user_version
 * is TG_IDENTITY_SCHEMA). Times are Unix seconds. Journal mode WAL,
 * synchronous FULL, foreign keys on, busy timeout 5 s.
 *
 *   CREATE TABLE entries (
 *     id TEXT PRIMARY KEY,            -- UUID v4
 *     spiffe_id TEXT NOT NULL,
 *     x509_ttl INTEGER NOT NULL,      -- 0 = default
 *     jwt_ttl INTEGER NOT NULL,
 *     created INTEGER NOT NULL,
 *     parent_id TEXT NOT NULL DEFAULT '');  -- "" or the agent's SPIFFE ID
 *   CREATE INDEX entries_by_parent ON entries(parent_id);
 *   CREATE TABLE entry_selectors (
 *     entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
 *     selector TEXT NOT NULL,         -- "type:key:value"
 *     PRIMARY KEY (entry_id, selector));
 *   CREATE INDEX entry_selectors_by_selector ON entry_selectors(selector);
 *   CREATE TABLE join_tokens (
 *     hash TEXT PRIMARY KEY,          -- hex SHA-256 of the token text
 *     label TEXT,
 *     expires INTEGER NOT NULL,
 *     used INTEGER NOT NULL DEFAULT 0);
 *   CREATE TABLE replay (
 *     key TEXT PRIMARY KEY,           -- "iss|jti" or "sha256:<hex of token>"
 *     expires INTEGER NOT NULL);      -- rows past expiry are purged
 *   CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY, revoked INTEGER NOT NULL);
 *   CREATE TABLE revoked_jtis (jti TEXT PRIMARY KEY, expires INTEGER NOT NULL);
 *   CREATE TABLE issued (             -- audit of every SVID issued
 *     kind TEXT NOT NULL,             -- "x509" or "jwt"
 *     id TEXT NOT NULL,               -- serial (hex) or jti
 *     spiffe_id TEXT NOT NULL,
 *     issued INTEGER NOT NULL,
 *     expires INTEGER NOT NULL,
 *     PRIMARY KEY (kind, id));
 */
#define TG_IDENTITY_SCHEMA 2 /* 1 had no entries.parent_id: migrated on open */

struct tg_ca_signer {
	struct tg_x509 *cert;   /* intermediate certificate (NULL for JWT keys) */
	struct tg_key *key;     /* private key */
	char *kid;              /* JWT key id, or the intermediate's serial (hex) */
	struct tg_time not_after;
};

struct tg_ca {
	char *dir;
	char td[TG_SPIFFE_TD_MAX + 1];
	enum tg_key_type kt;
	struct tg_x509 *root;
	struct tg_ca_signer *inter;   /* intermediates, newest first; inter[0] signs */
	size_t ninter;
	struct tg_ca_signer *jwt;     /* JWT keys, newest first; jwt[0] signs */
	size_t njwt;
	sqlite3 *db;
	/* added by ca.c (core): */
	int64_t x509_ttl;             /* default X509-SVID TTL (ca.json), seconds */
	int64_t jwt_ttl;              /* default JWT-SVID TTL (ca.json), seconds */
	uint64_t bundle_seq;          /* spiffe_sequence of the own bundle */
};

/* Opens D/identity.db with the pragmas above and checks user_version;
 * with create, makes a new database (mode 0600, the file must not exist)
 * and its schema. TG_E_STATE for another schema version. */
tg_err tg_ca_db_open(const char *dir, bool create, sqlite3 **out,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Runs SQL without results; TG_E_IO with SQLite's message in d. */
tg_err tg_ca_db_exec(struct tg_ca *ca, const char *sql, struct tg_diag *d) TG_MUST_CHECK;
/* Prepares a statement; TG_E_IO with the message in d. */
tg_err tg_ca_db_prepare(struct tg_ca *ca, const char *sql, sqlite3_stmt **out,
			struct tg_diag *d) TG_MUST_CHECK;

/* ---- selectors (selector.c), shared by the attestors and entries ---- */

/* Offset of the first byte of v that may not appear in a selector value
 * (invalid UTF-8, a control character, a line separator), or n. */
size_t tg_selector_value_scan(const char *v, size_t n);
/* Validates type, key and the vn bytes of value as tg_selector_parse
 * would and copies them into a. TG_E_PARSE / TG_E_TOOBIG with d. */
tg_err tg_selector_make(struct tg_arena *a, const char *type, const char *key, const char *value,
			size_t vn, struct tg_selector *out, struct tg_diag *d) TG_MUST_CHECK;
/* Orders selectors by type, then key, then value (bytes). */
int tg_selector_cmp(const struct tg_selector *x, const struct tg_selector *y);

#endif
