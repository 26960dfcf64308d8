/* SPDX-License-Identifier: Apache-2.0 */
/*
 * revoked.c - the CA's deny list as lists (tg_ca_revoked_list), for what
 * cannot ask the database: agents without the CA key get it from
 * tollgated with their entries (GET /v1/agent/entries).
 */
#include "identity/identity_internal.h"

#include <string.h>

#include "core/limits.h"

/* The first column of every row of st, in order, copied into a. */
static tg_err rows(struct tg_ca *ca, sqlite3_stmt *st, size_t max, struct tg_arena *a,
		   const char ***out, size_t *n, const char *what, struct tg_diag *d)
{
	const char **v = NULL;
	size_t k = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		if (!s || len <= 0)
			continue;
		if (k == max) {
			tg_diag_set(d, "more than %zu revoked %s: too many to send to agents", max,
				    what);
			return TG_E_TOOBIG;
		}
		if (k == cap) {
			const char **nv;
			cap = cap ? cap * 2 : 64;
			nv = tg_arena_alloc_array(a, cap, sizeof(*nv));
			if (!nv)
				return TG_E_TOOBIG;
			if (k)
				memcpy(nv, v, k * sizeof(*v));
			v = nv;
		}
		v[k] = tg_arena_strndup(a, s, (size_t)len);
		if (!v[k])
			return TG_E_TOOBIG;
		k++;
	}
	if (rc != SQLITE_DONE) {
		tg_diag_set(d, "cannot list the revoked %s: %s", what, sqlite3_errmsg(ca->db));
		return TG_E_IO;
	}
	*out = v;
	*n = k;
	return TG_OK;
}

tg_err tg_ca_revoked_list(struct tg_ca *ca, struct tg_time now, size_t max, struct tg_arena *a,
			  struct tg_revoked_list *out, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct tg_revoked_list l;
	tg_err r;

	memset(&l, 0, sizeof(l));
	/* serials of leaves the CA knows to have expired are left out: they
	 * fail validation anyway (intermediates are not in "issued": kept) */
	r = tg_ca_db_prepare(ca,
			     "SELECT serial FROM revoked_serials r WHERE NOT EXISTS (SELECT 1 FROM "
			     "issued i WHERE i.kind = 'x509' AND i.id = r.serial AND i.expires < ?1) "
			     "ORDER BY serial",
			     &st, d);
	if (r == TG_OK && sqlite3_bind_int64(st, 1, now.sec) != SQLITE_OK)
		r = TG_E_IO;
	if (r == TG_OK)
		r = rows(ca, st, max, a, &l.serials, &l.nserials, "serials", d);
	sqlite3_finalize(st);
	st = NULL;
	if (r != TG_OK)
		return r;
	/* JWT IDs until their token's exp has passed by the largest skew a
	 * verifier allows (the rule tg_ca_revoke_jti purges by) */
	r = tg_ca_db_prepare(ca, "SELECT jti FROM revoked_jtis WHERE expires >= ?1 ORDER BY jti",
			     &st, d);
	if (r == TG_OK && sqlite3_bind_int64(st, 1, now.sec - TG_LIMIT_JWT_SKEW_MAX) != SQLITE_OK)
		r = TG_E_IO;
	if (r == TG_OK)
		r = rows(ca, st, max, a, &l.jtis, &l.njtis, "JWT IDs", d);
	sqlite3_finalize(st);
	if (r != TG_OK)
		return r;
	*out = l;
	return TG_OK;
}
