/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - the database behind tollgated's store process: a small table
 * of operations that a backend implements (SQLite in WAL mode today,
 * store_sqlite.c; PostgreSQL next), so that the store process never
 * speaks SQL of one engine. Every write is durable before it returns.
 */
#ifndef TG_SERVER_STORE_H
#define TG_SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TG_STORE_SCHEMA 1 /* the schema version this tollgate writes and reads */

struct tg_store;

/* Called once per stored bundle by att_get: its SHA-256 (the key) and
 * bytes, valid during the call only. A non-OK return stops the walk and
 * is returned by att_get. */
typedef tg_err (*tg_store_att_fn)(void *ctx, const uint8_t sha256[32], const uint8_t *bundle,
				  size_t len);

struct tg_store_ops {
	const char *name; /* "sqlite" */
	/*
	 * Stores bundle (len bytes, its SHA-256 in sha256) under each of the
	 * nd subject digests, all or nothing, in one durable transaction.
	 * *fresh is true when anything was added (false: the bundle was
	 * already stored under every digest). Limits, all checked before
	 * anything is written: at most per_digest bundles under one digest
	 * (TG_E_TOOBIG naming the digest), at most total bundles in the
	 * store (TG_E_TOOBIG).
	 */
	tg_err (*att_put)(struct tg_store *s, const uint8_t sha256[32], const uint8_t *bundle,
			  size_t len, const uint8_t (*digests)[32], size_t nd, size_t per_digest,
			  size_t total, bool *fresh, struct tg_diag *d);
	/* Calls fn for at most max bundles stored under digest, in the order
	 * of their SHA-256 (bytewise). None stored: no call, TG_OK. */
	tg_err (*att_get)(struct tg_store *s, const uint8_t digest[32], size_t max,
			  tg_store_att_fn fn, void *ctx, struct tg_diag *d);
	/* Closes the database and frees s. */
	void (*close)(struct tg_store *s);
};

/* A backend's handle starts with this member. */
struct tg_store {
	const struct tg_store_ops *ops;
};

/*
 * Opens (creating when absent, mode 0600) the SQLite database at path in
 * WAL mode with synchronous=FULL, checks its schema version (TG_E_STATE
 * with a message for a database of a newer or unknown schema), and
 * prepares its statements. *out is closed with tg_store_close.
 */
tg_err tg_store_sqlite_open(const char *path, struct tg_store **out,
			    struct tg_diag *d) TG_MUST_CHECK;

/* Closes any backend; NULL is a no-op. */
void tg_store_close(struct tg_store *s);

#endif
