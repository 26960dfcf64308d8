/* SPDX-License-Identifier: Apache-2.0 */
/*
 * join.c - join tokens: one-time, short-lived bootstrap secrets for hosts
 * with no other credential. Only the SHA-256 of a token is stored, and it
 * is consumed by one atomic UPDATE, so two callers cannot both use it.
 */
#include "identity/identity_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/secret.h"

#define JOIN_RAW_LEN 32       /* random bytes of a token */
#define JOIN_TEXT_LEN 43      /* base64url characters of 32 bytes, no padding */
#define JOIN_LABEL_MAX 256    /* bytes of a label */
/* Rows are purged this long after they expire (a caller whose clock runs
 * behind still finds, and refuses, an expired token). */
#define JOIN_PURGE_MARGIN 300

/*
 * Hashing the token text before the lookup is what makes the comparison
 * constant-time with respect to the secret: the database compares hashes,
 * and learning a prefix of a hash teaches nothing about another token.
 */
static tg_err token_hash(const char *token, size_t n, char hex[65], struct tg_diag *d)
{
	struct tg_buf raw = TG_BUF_INIT(JOIN_RAW_LEN);
	uint8_t digest[32];
	tg_err r;

	/* reject, don't repair: exactly the encoding tg_join_token_create
	 * writes (strict base64url, so each token has one text) */
	if (n != JOIN_TEXT_LEN || tg_b64_decode(&raw, token, n, TG_B64_URL, NULL) != TG_OK ||
	    raw.len != JOIN_RAW_LEN) {
		tg_buf_release_wipe(&raw);
		tg_diag_set(d, "a join token is %d base64url characters", JOIN_TEXT_LEN);
		return TG_E_PARSE;
	}
	tg_buf_release_wipe(&raw);
	r = tg_hash(TG_SHA256, token, n, digest);
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(hex, digest, sizeof(digest));
	return TG_OK;
}

tg_err tg_join_token_id(const char *token, size_t n, char out[TG_JOIN_ID_LEN + 1])
{
	char hex[65];
	tg_err r;

	if (!token || !out)
		return TG_E_INVAL;
	r = token_hash(token, n, hex, NULL);
	if (r != TG_OK)
		return r;
	memcpy(out, hex, TG_JOIN_ID_LEN);
	out[TG_JOIN_ID_LEN] = '\0';
	return TG_OK;
}

static void rollback(struct tg_ca *ca)
{
	if (tg_ca_db_exec(ca, "ROLLBACK", NULL) != TG_OK) {
		/* SQLite rolls back when the handle closes */
	}
}

static tg_err step_done(sqlite3_stmt *st, const char *what, struct tg_diag *d)
{
	if (sqlite3_step(st) == SQLITE_DONE)
		return TG_OK;
	tg_diag_set(d, "cannot %s: %s", what, sqlite3_errmsg(sqlite3_db_handle(st)));
	return TG_E_IO;
}

tg_err tg_join_token_create(struct tg_ca *ca, int64_t ttl, const char *label, struct tg_time now,
			    struct tg_buf *out, struct tg_diag *d)
{
	uint8_t raw[JOIN_RAW_LEN];
	struct tg_buf text = TG_BUF_INIT(JOIN_TEXT_LEN);
	sqlite3_stmt *del = NULL, *ins = NULL;
	char hex[65];
	bool in_tx = false;
	size_t ln = 0;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !out)
		return TG_E_INVAL;
	if (ttl <= 0 || ttl > TG_JOIN_TOKEN_TTL_MAX) {
		tg_diag_set(d, "join token lifetime of %" PRId64 "s is outside 1..%ds", ttl,
			    TG_JOIN_TOKEN_TTL_MAX);
		return TG_E_RANGE;
	}
	if (label) {
		ln = strlen(label);
		if (ln == 0 || ln > JOIN_LABEL_MAX || tg_selector_value_scan(label, ln) != ln) {
			tg_diag_set(d, "a join token label is 1..%d bytes of UTF-8 without control "
				       "characters",
				    JOIN_LABEL_MAX);
			return TG_E_INVAL;
		}
	}
	/* room in out first, so that a stored token is always returned */
	if (!tg_buf_reserve(out, JOIN_TEXT_LEN))
		return TG_E_TOOBIG;

	r = tg_rand_bytes(raw, sizeof(raw));
	if (r == TG_OK)
		r = tg_b64_encode(&text, raw, sizeof(raw), TG_B64_URL);
	if (r == TG_OK)
		r = token_hash((const char *)text.data, text.len, hex, d);
	if (r != TG_OK)
		goto out;

	r = tg_ca_db_exec(ca, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	r = tg_ca_db_prepare(ca, "DELETE FROM join_tokens WHERE expires < ?1", &del, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_int64(del, 1, now.sec - JOIN_PURGE_MARGIN) != SQLITE_OK) {
		r = TG_E_IO;
		goto out;
	}
	r = step_done(del, "purge expired join tokens", d);
	if (r != TG_OK)
		goto out;
	r = tg_ca_db_prepare(ca,
			     "INSERT INTO join_tokens (hash, label, expires, used) "
			     "VALUES (?1, ?2, ?3, 0)",
			     &ins, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(ins, 1, hex, 64, SQLITE_TRANSIENT) != SQLITE_OK ||
	    (label ? sqlite3_bind_text(ins, 2, label, (int)ln, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(ins, 2)) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 3, now.sec + ttl) != SQLITE_OK) {
		r = TG_E_IO;
		goto out;
	}
	r = step_done(ins, "store the join token", d);
	if (r != TG_OK)
		goto out;
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	del = ins = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r != TG_OK)
		goto out;
	in_tx = false;
	r = tg_buf_add(out, text.data, text.len); /* reserved above: cannot fail */
out:
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	if (in_tx)
		rollback(ca);
	tg_wipe(raw, sizeof(raw));
	tg_buf_release_wipe(&text);
	return r;
}

/* Why a token could not be consumed: unknown, used, or expired. */
static tg_err explain(struct tg_ca *ca, const char *hex, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	char when[TG_TIME_STR_MAX];
	struct tg_time exp = {0, 0};
	int rc;
	tg_err r;

	r = tg_ca_db_prepare(ca, "SELECT used, expires FROM join_tokens WHERE hash = ?1", &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT) != SQLITE_OK) {
		r = TG_E_IO;
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		tg_diag_set(d, "unknown join token");
		r = TG_E_DENIED;
	} else if (rc != SQLITE_ROW) {
		tg_diag_set(d, "cannot read join tokens: %s",
			    sqlite3_errmsg(sqlite3_db_handle(st)));
		r = TG_E_IO;
	} else if (sqlite3_column_int64(st, 0) != 0) {
		tg_diag_set(d, "join token already used");
		r = TG_E_DENIED;
	} else {
		exp.sec = sqlite3_column_int64(st, 1);
		if (tg_time_format(exp, when, sizeof(when)) != TG_OK)
			snprintf(when, sizeof(when), "%" PRId64, exp.sec);
		tg_diag_set(d, "join token expired at %s", when);
		r = TG_E_EXPIRED;
	}
out:
	sqlite3_finalize(st);
	return r;
}

tg_err tg_attest_join(struct tg_ca *ca, const char *token, size_t n, struct tg_time now,
		      struct tg_arena *a, struct tg_attestation *out, struct tg_diag *d)
{
	struct tg_buf subj = TG_BUF_INIT(JOIN_LABEL_MAX + 128);
	sqlite3_stmt *st = NULL;
	struct tg_attestation att;
	struct tg_selector *sel = NULL;
	const unsigned char *lt;
	char hex[65];
	size_t ln = 0;
	bool in_tx = false, has_label = false;
	int rc;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !token || !a || !out)
		return TG_E_INVAL;
	memset(&att, 0, sizeof(att));
	r = token_hash(token, n, hex, d);
	if (r != TG_OK)
		goto out;
	sel = tg_arena_alloc_array(a, 2, sizeof(*sel));
	if (!sel) {
		r = TG_E_TOOBIG;
		goto out;
	}
	/* One statement consumes the token: of two concurrent callers only
	 * one sees used = 0 (changes() == 1). The transaction only makes the
	 * consumption undone when this function fails later on. */
	r = tg_ca_db_exec(ca, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	r = tg_ca_db_prepare(ca,
			     "UPDATE join_tokens SET used = 1 "
			     "WHERE hash = ?1 AND used = 0 AND expires > ?2 "
			     "RETURNING label, expires",
			     &st, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(st, 1, hex, 64, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now.sec) != SQLITE_OK) {
		r = TG_E_IO;
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = explain(ca, hex, d);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		tg_diag_set(d, "cannot consume the join token: %s",
			    sqlite3_errmsg(sqlite3_db_handle(st)));
		r = TG_E_IO;
		goto out;
	}
	att.expires.sec = sqlite3_column_int64(st, 1);
	hex[TG_JOIN_ID_LEN] = '\0';
	r = tg_selector_make(a, "join", "token", hex, TG_JOIN_ID_LEN, &sel[0], d);
	if (r == TG_OK && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		lt = sqlite3_column_text(st, 0);
		ln = (size_t)sqlite3_column_bytes(st, 0);
		has_label = true;
		r = lt ? tg_selector_make(a, "join", "label", (const char *)lt, ln, &sel[1], d)
		       : TG_E_STATE;
		if (r != TG_OK) {
			tg_diag_set(d, "the label of join token %s in the database is not a valid "
				       "selector value",
				    hex);
			r = TG_E_STATE;
		}
	}
	if (r != TG_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE || sqlite3_changes(sqlite3_db_handle(st)) != 1) {
		tg_diag_set(d, "cannot consume the join token: %s",
			    sqlite3_errmsg(sqlite3_db_handle(st)));
		r = TG_E_IO;
		goto out;
	}
	r = tg_buf_addf(&subj, "join token %s", hex);
	if (r == TG_OK && has_label)
		r = tg_buf_addf(&subj, " label %s", sel[1].value);
	if (r != TG_OK)
		goto out;
	att.subject = tg_arena_strndup(a, tg_buf_str(&subj), subj.len);
	if (!att.subject) {
		r = TG_E_TOOBIG;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r != TG_OK)
		goto out;
	in_tx = false;
	att.selectors = sel;
	att.n = has_label ? 2 : 1;
	*out = att;
out:
	sqlite3_finalize(st);
	if (in_tx)
		rollback(ca);
	tg_buf_release(&subj);
	if (r != TG_OK) {
		tg_diag_fill(d, r);
		tg_diag_prefix(d, "join token rejected");
	}
	return r;
}
