/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry.c - registration entries: a SPIFFE ID granted to whatever proves
 * ALL of a set of selectors. Stored in the CA's database (entries and
 * entry_selectors); matching uses the selector index.
 */
#include "identity/identity_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"

#define ENTRY_SELECTORS_MAX 64 /* selectors of one entry */
#define UUID_LEN 36

/* The selector types some attestor proves; an entry naming another could
 * never match, which is always a typo. */
static const char *const known_types[] = {"github", "gitlab", "k8s", "unix", "join", "oidc"};

static void rollback(struct tg_ca *ca)
{
	if (tg_ca_db_exec(ca, "ROLLBACK", NULL) != TG_OK) {
		/* SQLite rolls back when the handle closes */
	}
}

/* ---- ids ---- */

/* RFC 9562 5.4: 122 random bits, version 4, variant 10. */
static tg_err uuid_v4(char out[UUID_LEN + 1])
{
	uint8_t b[16];
	char hex[33];
	tg_err r = tg_rand_bytes(b, sizeof(b));

	if (r != TG_OK)
		return r;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	tg_hex_encode_to(hex, b, sizeof(b));
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
	return TG_OK;
}

/* The canonical text form: 8-4-4-4-12 lower-case hex digits. */
static bool uuid_valid(const char *s, size_t n)
{
	size_t i;
	if (n != UUID_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* ---- small vectors of strings (malloc'd) ---- */

struct strvec {
	char **v;
	size_t n, cap;
};

static void strvec_add(struct strvec *sv, const char *s, size_t n)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		sv->v = tg_xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = tg_xstrndup(s, n);
}

static void strvec_release(struct strvec *sv)
{
	size_t i;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorts and drops repeats; returns the first repeated string or NULL. */
static const char *strvec_sort_unique(struct strvec *sv)
{
	const char *dup = NULL;
	size_t i, j;

	if (sv->n == 0)
		return NULL;
	qsort(sv->v, sv->n, sizeof(*sv->v), str_cmp);
	for (i = 1, j = 1; i < sv->n; i++) {
		if (strcmp(sv->v[j - 1], sv->v[i]) == 0) {
			if (!dup)
				dup = sv->v[j - 1];
			free(sv->v[i]);
			continue;
		}
		sv->v[j++] = sv->v[i];
	}
	sv->n = j;
	return dup;
}

static bool strvec_has(const struct strvec *sv, const char *s)
{
	return sv->n && bsearch(&s, sv->v, sv->n, sizeof(*sv->v), str_cmp) != NULL;
}

/* ---- database reads ---- */

static tg_err db_fail(sqlite3_stmt *st, const char *what, struct tg_diag *d)
{
	tg_diag_set(d, "cannot %s: %s", what, sqlite3_errmsg(sqlite3_db_handle(st)));
	return TG_E_IO;
}

/* Appends the column-0 strings of every row of st (bound already). */
static tg_err collect(sqlite3_stmt *st, struct strvec *sv, const char *what, struct tg_diag *d)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		if (!t)
			return db_fail(st, what, d);
		strvec_add(sv, (const char *)t, (size_t)sqlite3_column_bytes(st, 0));
	}
	return rc == SQLITE_DONE ? TG_OK : db_fail(st, what, d);
}

/* The selectors (as text, sorted) of entry id. */
static tg_err entry_selector_texts(struct tg_ca *ca, const char *id, struct strvec *sv,
				   struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	tg_err r = tg_ca_db_prepare(ca,
				    "SELECT selector FROM entry_selectors WHERE entry_id = ?1 "
				    "ORDER BY selector",
				    &st, d);
	if (r != TG_OK)
		return r;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		r = db_fail(st, "bind an entry id", d);
	else
		r = collect(st, sv, "read entry selectors", d);
	sqlite3_finalize(st);
	return r;
}

/* Loads entry id into e (strings and selectors in a). What the database
 * holds is checked as if it came from outside: a row that does not parse
 * is TG_E_STATE, never a half-filled entry. */
static tg_err entry_load(struct tg_ca *ca, const char *id, struct tg_arena *a, struct tg_entry *e,
			 struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct strvec sels = {0};
	struct tg_entry ent;
	const unsigned char *t;
	size_t i;
	int rc;
	tg_err r;

	memset(&ent, 0, sizeof(ent));
	if (!uuid_valid(id, strlen(id))) {
		tg_diag_set(d, "an entry in the database has an invalid id");
		return TG_E_STATE;
	}
	r = tg_ca_db_prepare(ca,
			     "SELECT spiffe_id, x509_ttl, jwt_ttl, created, parent_id FROM entries "
			     "WHERE id = ?1",
			     &st, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		r = db_fail(st, "bind an entry id", d);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		tg_diag_set(d, "no entry '%s'", id);
		r = TG_E_NOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = db_fail(st, "read an entry", d);
		goto out;
	}
	t = sqlite3_column_text(st, 0);
	if (!t || tg_spiffe_id_parse((const char *)t, (size_t)sqlite3_column_bytes(st, 0),
				     &ent.spiffe_id, NULL) != TG_OK) {
		tg_diag_set(d, "entry '%s' in the database has an invalid SPIFFE ID", id);
		r = TG_E_STATE;
		goto out;
	}
	memcpy(ent.id, id, UUID_LEN + 1);
	ent.x509_ttl = sqlite3_column_int64(st, 1);
	ent.jwt_ttl = sqlite3_column_int64(st, 2);
	ent.created.sec = sqlite3_column_int64(st, 3);
	t = sqlite3_column_text(st, 4);
	if (!t || (t[0] && tg_spiffe_id_parse((const char *)t, (size_t)sqlite3_column_bytes(st, 4),
					      &ent.parent_id, NULL) != TG_OK)) {
		tg_diag_set(d, "entry '%s' in the database has an invalid parent ID", id);
		r = TG_E_STATE;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	r = entry_selector_texts(ca, id, &sels, d);
	if (r != TG_OK)
		goto out;
	if (sels.n == 0 || sels.n > ENTRY_SELECTORS_MAX) {
		tg_diag_set(d, "entry '%s' in the database has %zu selectors", id, sels.n);
		r = TG_E_STATE;
		goto out;
	}
	ent.selectors = tg_arena_alloc_array(a, sels.n, sizeof(*ent.selectors));
	if (!ent.selectors) {
		r = TG_E_TOOBIG;
		goto out;
	}
	for (i = 0; i < sels.n; i++) {
		r = tg_selector_parse(sels.v[i], strlen(sels.v[i]), a, &ent.selectors[i], NULL);
		if (r == TG_E_PARSE) {
			tg_diag_set(d, "entry '%s' in the database has an invalid selector", id);
			r = TG_E_STATE;
		}
		if (r != TG_OK)
			goto out;
	}
	ent.nselectors = sels.n;
	*e = ent;
	r = TG_OK;
out:
	sqlite3_finalize(st);
	strvec_release(&sels);
	return r;
}

/* Loads the entries named by ids into an array in a. */
static tg_err entries_load(struct tg_ca *ca, const struct strvec *ids, struct tg_arena *a,
			   struct tg_entry **out, size_t *n, struct tg_diag *d)
{
	struct tg_entry *v = NULL;
	size_t i;
	tg_err r;

	if (ids->n) {
		v = tg_arena_alloc_array(a, ids->n, sizeof(*v));
		if (!v)
			return TG_E_TOOBIG;
	}
	for (i = 0; i < ids->n; i++) {
		r = entry_load(ca, ids->v[i], a, &v[i], d);
		if (r != TG_OK)
			return r;
	}
	*out = v;
	*n = ids->n;
	return TG_OK;
}

static int entry_order(const void *x, const void *y)
{
	const struct tg_entry *p = x, *q = y;
	if (p->created.sec != q->created.sec)
		return p->created.sec < q->created.sec ? -1 : 1;
	return strcmp(p->id, q->id);
}

/* ---- create and delete ---- */

/* Entries for the multi-tenant CI issuers must pin an immutable
 * repository/project or owner id: github:ref:refs/heads/main alone would
 * match every repository on github.com. */
static tg_err check_anchored(const struct tg_entry *e, struct tg_diag *d)
{
	bool gh = false, gh_id = false, gl = false, gl_id = false;
	size_t i;

	for (i = 0; i < e->nselectors; i++) {
		const struct tg_selector *s = &e->selectors[i];
		if (strcmp(s->type, "github") == 0) {
			gh = true;
			gh_id |= !strcmp(s->key, "repository_id") ||
				 !strcmp(s->key, "repository_owner_id");
		} else if (strcmp(s->type, "gitlab") == 0) {
			gl = true;
			gl_id |= !strcmp(s->key, "project_id") || !strcmp(s->key, "namespace_id");
		}
	}
	if (gh && !gh_id) {
		tg_diag_set(d, "an entry with github selectors must pin github:repository_id or "
			       "github:repository_owner_id (names can be re-registered by others)");
		return TG_E_INVAL;
	}
	if (gl && !gl_id) {
		tg_diag_set(d, "an entry with gitlab selectors must pin gitlab:project_id or "
			       "gitlab:namespace_id (paths can be re-registered by others)");
		return TG_E_INVAL;
	}
	return TG_OK;
}

/* Validates e and returns its selectors as sorted text. */
static tg_err entry_check(const struct tg_ca *ca, const struct tg_entry *e, struct strvec *sels,
			  struct tg_diag *d)
{
	struct tg_spiffe_id id;
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	const char *dup;
	size_t i, k;
	tg_err r;

	if (tg_spiffe_id_parse(e->spiffe_id.uri, strnlen(e->spiffe_id.uri, TG_SPIFFE_ID_MAX + 1),
			       &id, d) != TG_OK)
		return TG_E_INVAL;
	if (!tg_spiffe_id_in_td(&id, ca->td)) {
		tg_diag_set(d, "SPIFFE ID '%s' is not in trust domain '%s'", id.uri, ca->td);
		return TG_E_INVAL;
	}
	if (id.uri[id.path_off] == '\0') {
		tg_diag_set(d, "an entry needs a workload path, not the trust domain's own ID '%s'",
			    id.uri);
		return TG_E_INVAL;
	}
	if (e->parent_id.uri[0]) {
		struct tg_spiffe_id p;
		if (tg_spiffe_id_parse(e->parent_id.uri,
				       strnlen(e->parent_id.uri, TG_SPIFFE_ID_MAX + 1), &p, d) != TG_OK) {
			tg_diag_prefix(d, "invalid parent ID");
			return TG_E_INVAL;
		}
		if (!tg_spiffe_id_in_td(&p, ca->td) || p.uri[p.path_off] == '\0' ||
		    strcmp(p.uri, id.uri) == 0) {
			tg_diag_set(d, "parent ID '%s' must be another workload path in trust domain "
				       "'%s'", p.uri, ca->td);
			return TG_E_INVAL;
		}
	}
	if (e->x509_ttl < 0 || e->x509_ttl > TG_SVID_TTL_MAX || e->jwt_ttl < 0 ||
	    e->jwt_ttl > TG_SVID_TTL_MAX) {
		tg_diag_set(d, "SVID lifetimes must be 0 (default) or up to %ds", TG_SVID_TTL_MAX);
		return TG_E_RANGE;
	}
	/* no selector would match every attestation */
	if (e->nselectors == 0 || !e->selectors) {
		tg_diag_set(d, "an entry needs at least one selector");
		return TG_E_INVAL;
	}
	if (e->nselectors > ENTRY_SELECTORS_MAX) {
		tg_diag_set(d, "an entry has at most %d selectors", ENTRY_SELECTORS_MAX);
		return TG_E_TOOBIG;
	}
	for (i = 0; i < e->nselectors; i++) {
		tg_buf_reset(&b);
		r = tg_selector_format(&e->selectors[i], &b);
		if (r != TG_OK) {
			tg_buf_release(&b);
			tg_diag_set(d, "selector %zu is invalid", i + 1);
			return TG_E_INVAL;
		}
		for (k = 0; k < TG_ARRAY_LEN(known_types); k++)
			if (strcmp(e->selectors[i].type, known_types[k]) == 0)
				break;
		if (k == TG_ARRAY_LEN(known_types)) {
			tg_diag_set(d, "selector '%s' has an unknown type "
				       "(github, gitlab, k8s, unix, join or oidc)",
				    tg_buf_str(&b));
			tg_buf_release(&b);
			return TG_E_INVAL;
		}
		strvec_add(sels, (const char *)b.data, b.len);
	}
	tg_buf_release(&b);
	dup = strvec_sort_unique(sels);
	if (dup) {
		tg_diag_set(d, "selector '%s' is given twice", dup);
		return TG_E_DUPKEY;
	}
	return check_anchored(e, d);
}

/* TG_E_EXISTS when an entry with the same SPIFFE ID and selectors is
 * already there (inside the caller's transaction). */
static tg_err check_unique(struct tg_ca *ca, const char *spiffe_id, const char *parent,
			   const struct strvec *sels, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct strvec ids = {0}, other = {0};
	size_t i, k;
	tg_err r;

	r = tg_ca_db_prepare(ca, "SELECT id FROM entries WHERE spiffe_id = ?1 AND parent_id = ?2",
			     &st, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(st, 1, spiffe_id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, parent, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		r = db_fail(st, "bind a SPIFFE ID", d);
		goto out;
	}
	r = collect(st, &ids, "read entries", d);
	for (i = 0; r == TG_OK && i < ids.n; i++) {
		strvec_release(&other);
		r = entry_selector_texts(ca, ids.v[i], &other, d);
		if (r != TG_OK || other.n != sels->n)
			continue;
		for (k = 0; k < other.n && strcmp(other.v[k], sels->v[k]) == 0; k++)
			;
		if (k == other.n) {
			tg_diag_set(d, "entry '%s' already grants '%s' to the same selectors",
				    ids.v[i], spiffe_id);
			r = TG_E_EXISTS;
		}
	}
out:
	sqlite3_finalize(st);
	strvec_release(&ids);
	strvec_release(&other);
	return r;
}

tg_err tg_entry_create(struct tg_ca *ca, struct tg_entry *e, struct tg_diag *d)
{
	sqlite3_stmt *ins = NULL, *sel = NULL;
	struct strvec sels = {0};
	char id[UUID_LEN + 1];
	struct tg_time created;
	bool in_tx = false;
	size_t i;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !e)
		return TG_E_INVAL;
	r = entry_check(ca, e, &sels, d);
	if (r != TG_OK)
		goto out;
	r = uuid_v4(id);
	if (r != TG_OK)
		goto out;
	created = e->created.sec ? e->created : tg_time_now();
	created.nsec = 0;

	r = tg_ca_db_exec(ca, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	r = check_unique(ca, e->spiffe_id.uri, e->parent_id.uri, &sels, d);
	if (r != TG_OK)
		goto out;
	r = tg_ca_db_prepare(ca,
			     "INSERT INTO entries (id, spiffe_id, x509_ttl, jwt_ttl, created, parent_id) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			     &ins, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(ins, 1, id, UUID_LEN, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 2, e->spiffe_id.uri, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 3, e->x509_ttl) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 4, e->jwt_ttl) != SQLITE_OK ||
	    sqlite3_bind_int64(ins, 5, created.sec) != SQLITE_OK ||
	    sqlite3_bind_text(ins, 6, e->parent_id.uri, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(ins) != SQLITE_DONE) {
		r = db_fail(ins, "store the entry", d);
		goto out;
	}
	r = tg_ca_db_prepare(ca, "INSERT INTO entry_selectors (entry_id, selector) VALUES (?1, ?2)",
			     &sel, d);
	if (r != TG_OK)
		goto out;
	for (i = 0; i < sels.n; i++) {
		if (sqlite3_reset(sel) != SQLITE_OK ||
		    sqlite3_bind_text(sel, 1, id, UUID_LEN, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_text(sel, 2, sels.v[i], -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(sel) != SQLITE_DONE) {
			r = db_fail(sel, "store the entry's selectors", d);
			goto out;
		}
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	ins = sel = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r != TG_OK)
		goto out;
	in_tx = false;
	memcpy(e->id, id, sizeof(id));
	e->created = created;
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	if (in_tx)
		rollback(ca);
	strvec_release(&sels);
	return r;
}

tg_err tg_entry_delete(struct tg_ca *ca, const char *id, struct tg_diag *d)
{
	sqlite3_stmt *ds = NULL, *de = NULL;
	bool in_tx = false;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !id)
		return TG_E_INVAL;
	if (!uuid_valid(id, strlen(id))) {
		tg_diag_set(d, "an entry id is a UUID (8-4-4-4-12 lower-case hex digits)");
		return TG_E_INVAL;
	}
	r = tg_ca_db_exec(ca, "BEGIN IMMEDIATE", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	/* explicit, so the selectors go even where foreign keys are off */
	r = tg_ca_db_prepare(ca, "DELETE FROM entry_selectors WHERE entry_id = ?1", &ds, d);
	if (r == TG_OK)
		r = tg_ca_db_prepare(ca, "DELETE FROM entries WHERE id = ?1", &de, d);
	if (r != TG_OK)
		goto out;
	if (sqlite3_bind_text(ds, 1, id, UUID_LEN, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(ds) != SQLITE_DONE) {
		r = db_fail(ds, "delete the entry's selectors", d);
		goto out;
	}
	if (sqlite3_bind_text(de, 1, id, UUID_LEN, SQLITE_TRANSIENT) != SQLITE_OK ||
	    sqlite3_step(de) != SQLITE_DONE) {
		r = db_fail(de, "delete the entry", d);
		goto out;
	}
	if (sqlite3_changes(sqlite3_db_handle(de)) != 1) {
		tg_diag_set(d, "no entry '%s'", id);
		r = TG_E_NOTFOUND;
		goto out;
	}
	sqlite3_finalize(ds);
	sqlite3_finalize(de);
	ds = de = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r == TG_OK)
		in_tx = false;
out:
	sqlite3_finalize(ds);
	sqlite3_finalize(de);
	if (in_tx)
		rollback(ca);
	return r;
}

/* ---- list and match ---- */

/* Every entry, or those whose parent is parent. */
static tg_err entry_list(struct tg_ca *ca, const char *parent, struct tg_arena *a,
			 struct tg_entry **out, size_t *n, struct tg_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct strvec ids = {0};
	struct tg_entry *v = NULL;
	size_t nv = 0;
	bool in_tx = false;
	tg_err r = TG_E_INTERNAL;

	if (!ca || !a || !out || !n)
		return TG_E_INVAL;
	/* one read transaction: a consistent snapshot across the queries */
	r = tg_ca_db_exec(ca, "BEGIN", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	r = tg_ca_db_prepare(ca,
			     parent ? "SELECT id FROM entries WHERE parent_id = ?1 ORDER BY created, id"
				    : "SELECT id FROM entries ORDER BY created, id",
			     &st, d);
	if (r != TG_OK)
		goto out;
	if (parent && sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		r = db_fail(st, "bind a parent ID", d);
	if (r == TG_OK)
		r = collect(st, &ids, "list entries", d);
	if (r == TG_OK)
		r = entries_load(ca, &ids, a, &v, &nv, d);
	if (r != TG_OK)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r != TG_OK)
		goto out;
	in_tx = false;
	*out = v;
	*n = nv;
out:
	sqlite3_finalize(st);
	if (in_tx)
		rollback(ca);
	strvec_release(&ids);
	return r;
}

tg_err tg_entry_list(struct tg_ca *ca, struct tg_arena *a, struct tg_entry **out, size_t *n,
		     struct tg_diag *d)
{
	return entry_list(ca, NULL, a, out, n, d);
}

tg_err tg_entry_list_parent(struct tg_ca *ca, const char *parent, struct tg_arena *a,
			    struct tg_entry **out, size_t *n, struct tg_diag *d)
{
	if (!parent || !parent[0])
		return TG_E_INVAL;
	return entry_list(ca, parent, a, out, n, d);
}

/* The attested selectors as sorted, unique text. */
static tg_err att_texts(const struct tg_selector *att, size_t n, struct strvec *sv,
			struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	size_t i;
	for (i = 0; i < n; i++) {
		tg_buf_reset(&b);
		if (tg_selector_format(&att[i], &b) != TG_OK) {
			tg_buf_release(&b);
			tg_diag_set(d, "attested selector %zu is invalid", i + 1);
			return TG_E_INVAL;
		}
		strvec_add(sv, (const char *)b.data, b.len);
	}
	tg_buf_release(&b);
	(void)strvec_sort_unique(sv);
	return TG_OK;
}

tg_err tg_entry_match_list(const struct tg_entry *es, size_t n, const struct tg_selector *att,
			   size_t natt, struct tg_arena *a, struct tg_entry **out, size_t *nout,
			   struct tg_diag *d)
{
	struct strvec sv = {0};
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	struct tg_entry *v = NULL;
	size_t i, k, nv = 0;
	tg_err r;

	if ((n && !es) || (natt && !att) || !a || !out || !nout)
		return TG_E_INVAL;
	r = att_texts(att, natt, &sv, d);
	if (r != TG_OK)
		goto out;
	if (n) {
		v = tg_arena_alloc_array(a, n, sizeof(*v));
		if (!v) {
			r = TG_E_TOOBIG;
			goto out;
		}
	}
	/* an entry matches when every one of its selectors was attested */
	for (i = 0; i < n; i++) {
		for (k = 0; k < es[i].nselectors; k++) {
			tg_buf_reset(&b);
			if (tg_selector_format(&es[i].selectors[k], &b) != TG_OK ||
			    !strvec_has(&sv, tg_buf_str(&b)))
				break;
		}
		if (es[i].nselectors && k == es[i].nselectors)
			v[nv++] = es[i];
	}
	*out = v;
	*nout = nv;
	r = TG_OK;
out:
	tg_buf_release(&b);
	strvec_release(&sv);
	return r;
}

tg_err tg_entry_match(struct tg_ca *ca, const struct tg_selector *attested, size_t n,
		      struct tg_arena *a, struct tg_entry **out, size_t *nout, struct tg_diag *d)
{
	sqlite3_stmt *by_sel = NULL;
	struct strvec att = {0}, cand = {0}, theirs = {0}, hits = {0};
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	struct tg_entry *v = NULL;
	size_t i, k, nv = 0;
	bool in_tx = false;
	tg_err r = TG_E_INTERNAL;

	if (!ca || (n && !attested) || !a || !out || !nout)
		return TG_E_INVAL;
	for (i = 0; i < n; i++) {
		tg_buf_reset(&b);
		r = tg_selector_format(&attested[i], &b);
		if (r != TG_OK) {
			tg_diag_set(d, "attested selector %zu is invalid", i + 1);
			r = TG_E_INVAL;
			goto out;
		}
		strvec_add(&att, (const char *)b.data, b.len);
	}
	(void)strvec_sort_unique(&att);

	r = tg_ca_db_exec(ca, "BEGIN", d);
	if (r != TG_OK)
		goto out;
	in_tx = true;
	/* candidates: entries with at least one attested selector (index) */
	r = tg_ca_db_prepare(ca, "SELECT entry_id FROM entry_selectors WHERE selector = ?1",
			     &by_sel, d);
	for (i = 0; r == TG_OK && i < att.n; i++) {
		if (sqlite3_reset(by_sel) != SQLITE_OK ||
		    sqlite3_bind_text(by_sel, 1, att.v[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
			r = db_fail(by_sel, "look up a selector", d);
		else
			r = collect(by_sel, &cand, "look up a selector", d);
	}
	if (r != TG_OK)
		goto out;
	(void)strvec_sort_unique(&cand);
	/* an entry matches when every one of its selectors was attested */
	for (i = 0; i < cand.n; i++) {
		strvec_release(&theirs);
		r = entry_selector_texts(ca, cand.v[i], &theirs, d);
		if (r != TG_OK)
			goto out;
		for (k = 0; k < theirs.n && strvec_has(&att, theirs.v[k]); k++)
			;
		if (theirs.n && k == theirs.n)
			strvec_add(&hits, cand.v[i], strlen(cand.v[i]));
	}
	r = entries_load(ca, &hits, a, &v, &nv, d);
	if (r != TG_OK)
		goto out;
	sqlite3_finalize(by_sel);
	by_sel = NULL;
	r = tg_ca_db_exec(ca, "COMMIT", d);
	if (r != TG_OK)
		goto out;
	in_tx = false;
	if (nv > 1)
		qsort(v, nv, sizeof(*v), entry_order);
	*out = v;
	*nout = nv;
out:
	sqlite3_finalize(by_sel);
	if (in_tx)
		rollback(ca);
	tg_buf_release(&b);
	strvec_release(&att);
	strvec_release(&cand);
	strvec_release(&theirs);
	strvec_release(&hits);
	return r;
}
