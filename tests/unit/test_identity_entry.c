/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_entry.c - selectors (the grammar, round trips, every
 * rejection) and registration entries in a real CA database: creation
 * rules, UUID v4 ids, listing, deletion, and all-selectors matching.
 */
#include "tg_test.h"

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define TD "example.org"

static struct tg_arena arena;

/* ---- helpers ---- */

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/tg-identity-XXXXXX";
	char *p = mkdtemp(tmpl);
	return p ? tg_xstrdup(p) : NULL;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d) {
		(void)unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

/* A fresh CA in its own directory (*dir is malloc'd). */
static struct tg_ca *ca_new(char **dir)
{
	struct tg_time now = {NOW, 0};
	struct tg_diag d;
	struct tg_ca *ca = NULL;
	char sub[4096];

	*dir = tmpdir();
	if (!*dir)
		exit(2);
	snprintf(sub, sizeof(sub), "%s/ca", *dir);
	tg_diag_init(&d);
	if (tg_ca_init(sub, TD, TG_KEY_EC_P256, now, &d) != TG_OK ||
	    tg_ca_open(sub, &ca, &d) != TG_OK) {
		fprintf(stderr, "cannot make a test CA: %s\n", d.msg);
		exit(2);
	}
	return ca;
}

static void ca_done(struct tg_ca *ca, char *dir)
{
	tg_ca_close(ca);
	rm_rf(dir);
	free(dir);
}

static struct tg_selector sel(const char *text)
{
	struct tg_selector s;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_selector_parse(text, strlen(text), &arena, &s, &d) != TG_OK) {
		fprintf(stderr, "bad test selector '%s': %s\n", text, d.msg);
		exit(2);
	}
	return s;
}

/* An entry for spiffe://example.org/<path> with the selectors of a
 * NULL-terminated list (in the test arena). */
static struct tg_entry entry(const char *path, const char *const *sels)
{
	struct tg_entry e;
	size_t n = 0, i;
	memset(&e, 0, sizeof(e));
	if (tg_spiffe_id_from(TD, path, &e.spiffe_id, NULL) != TG_OK)
		exit(2);
	while (sels[n])
		n++;
	e.selectors = tg_arena_alloc_array(&arena, n ? n : 1, sizeof(*e.selectors));
	for (i = 0; i < n; i++)
		e.selectors[i] = sel(sels[i]);
	e.nselectors = n;
	return e;
}

static tg_err create(struct tg_ca *ca, const char *path, const char *const *sels, char id[37])
{
	struct tg_entry e = entry(path, sels);
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_entry_create(ca, &e, &d);
	if (r == TG_OK && id)
		memcpy(id, e.id, 37);
	/* every refusal says why */
	CHECK(r == TG_OK || d.msg[0] != '\0');
	return r;
}

static int path_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The SPIFFE ID paths of the entries matching a NULL-terminated selector
 * list, sorted, joined by spaces. */
static const char *match(struct tg_ca *ca, const char *const *sels)
{
	static char out[4096];
	const char *paths[64];
	struct tg_selector att[64];
	struct tg_entry *m = NULL;
	size_t n = 0, nm = 0, i, o = 0;
	struct tg_diag d;
	tg_diag_init(&d);
	while (sels[n]) {
		att[n] = sel(sels[n]);
		n++;
	}
	if (tg_entry_match(ca, att, n, &arena, &m, &nm, &d) != TG_OK) {
		fprintf(stderr, "tg_entry_match: %s\n", d.msg);
		return "(error)";
	}
	out[0] = '\0';
	if (nm > 64)
		return "(too many)";
	for (i = 0; i < nm; i++)
		paths[i] = m[i].spiffe_id.uri + m[i].spiffe_id.path_off;
	qsort(paths, nm, sizeof(paths[0]), path_cmp);
	for (i = 0; i < nm; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", paths[i]);
	return out;
}

/* ---- selectors ---- */

TEST(selector_parse_ok)
{
	struct tg_selector s;
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	static const char *const good[] = {
		"github:repository_id:424242",
		"github:job_workflow_ref:acme/shared/.github/workflows/d.yml@refs/tags/v1",
		"k8s:sa-uid:a709ef71-30e2-489a-bd19-ade97031b9db",
		"unix:path:/usr/bin/x",
		"github:iss:https://token.actions.githubusercontent.com", /* ':' in the value */
		"oidc:kubernetes.io/namespace:default",                   /* '.' and '/' in keys */
		"oidc:repositoryUuid:{abc}",                              /* camelCase keys */
		"oidc:x:\xc3\xa9t\xc3\xa9",                               /* UTF-8 value */
		"a:b:c",
	};
	size_t i;

	CHECK_OK(tg_selector_parse("github:ref:refs/heads/main", 26, &arena, &s, NULL));
	CHECK_STR(s.type, "github");
	CHECK_STR(s.key, "ref");
	CHECK_STR(s.value, "refs/heads/main");
	CHECK_OK(tg_selector_parse("a:b:c:d::", 9, &arena, &s, NULL));
	CHECK_STR(s.value, "c:d::");
	/* round trips */
	for (i = 0; i < TG_ARRAY_LEN(good); i++) {
		tg_buf_reset(&b);
		CHECK_OK(tg_selector_parse(good[i], strlen(good[i]), &arena, &s, NULL));
		CHECK_OK(tg_selector_format(&s, &b));
		CHECK_STR(tg_buf_str(&b), good[i]);
	}
	tg_buf_release(&b);
}

TEST(selector_parse_bad)
{
	static const struct {
		const char *s;
		size_t n;
		tg_err want;
	} bad[] = {
		{"", 0, TG_E_PARSE},
		{"github", 6, TG_E_PARSE},
		{"github:ref", 10, TG_E_PARSE},
		{"github:ref:", 11, TG_E_PARSE},       /* empty value */
		{":ref:x", 6, TG_E_PARSE},             /* empty type */
		{"github::x", 9, TG_E_PARSE},          /* empty key */
		{"GitHub:ref:x", 12, TG_E_PARSE},      /* upper case type */
		{"git hub:ref:x", 13, TG_E_PARSE},
		{"github:r f:x", 12, TG_E_PARSE},
		{"github:ref:a\nb", 14, TG_E_PARSE},   /* a line break */
		{"github:ref:a\rb", 14, TG_E_PARSE},
		{"github:ref:a\0b", 14, TG_E_PARSE},   /* NUL */
		{"github:ref:a\x7f", 13, TG_E_PARSE},  /* DEL */
		{"github:ref:\xc2\x85", 13, TG_E_PARSE}, /* NEL */
		{"github:ref:\xe2\x80\xa8", 14, TG_E_PARSE}, /* U+2028 */
		{"github:ref:\xff", 12, TG_E_PARSE},   /* not UTF-8 */
		{"github:ref:\xc0\xaf", 13, TG_E_PARSE}, /* overlong */
		{"github:ref:\t", 12, TG_E_PARSE},
	};
	struct tg_selector s = {NULL, NULL, NULL};
	struct tg_diag d;
	size_t i;
	char big[TG_SELECTOR_MAX + 2];

	for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
		tg_diag_init(&d);
		CHECK_ERR(tg_selector_parse(bad[i].s, bad[i].n, &arena, &s, &d), bad[i].want);
		CHECK(d.msg[0] != '\0');
		CHECK(s.type == NULL); /* outputs only on success */
	}
	/* exactly TG_SELECTOR_MAX bytes parse, one more does not */
	memset(big, 'v', sizeof(big));
	memcpy(big, "a:b:", 4);
	CHECK_OK(tg_selector_parse(big, TG_SELECTOR_MAX, &arena, &s, NULL));
	CHECK_ERR(tg_selector_parse(big, TG_SELECTOR_MAX + 1, &arena, &s, NULL), TG_E_TOOBIG);
}

TEST(selector_format_checks)
{
	struct tg_buf b = TG_BUF_INIT(TG_SELECTOR_MAX);
	struct tg_selector s = {"git:hub", "ref", "x"}, t = {"github", "ref", "a\nb"},
			   u = {"github", "ref", NULL};
	CHECK_ERR(tg_selector_format(&s, &b), TG_E_INVAL); /* would parse differently */
	CHECK_ERR(tg_selector_format(&t, &b), TG_E_INVAL);
	CHECK_ERR(tg_selector_format(&u, &b), TG_E_INVAL);
	CHECK(b.len == 0);
	tg_buf_release(&b);
}

/* ---- entries ---- */

TEST(entry_create_list_delete)
{
	char *dir, id1[37], id2[37];
	struct tg_ca *ca = ca_new(&dir);
	static const char *const s1[] = {"github:repository_id:424242",
					 "github:ref:refs/heads/main", NULL};
	static const char *const s2[] = {"k8s:ns:payments", "k8s:sa:api", NULL};
	struct tg_entry *list = NULL, e;
	size_t n = 99, i;
	struct tg_diag d;

	CHECK_OK(create(ca, "/ci/deploy", s1, id1));
	CHECK_OK(create(ca, "/payments/api", s2, id2));
	CHECK(strcmp(id1, id2) != 0);
	/* RFC 9562 5.4: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower case */
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			CHECK(id1[i] == '-');
		else
			CHECK(strchr("0123456789abcdef", id1[i]) != NULL);
	}
	CHECK(id1[14] == '4');
	CHECK(strchr("89ab", id1[19]) != NULL);

	CHECK_OK(tg_entry_list(ca, &arena, &list, &n, NULL));
	CHECK(n == 2);
	if (n == 2) {
		/* the same creation second: ordered by id then */
		const struct tg_entry *a1 = strcmp(list[0].id, id1) == 0 ? &list[0] : &list[1];
		const struct tg_entry *a2 = a1 == &list[0] ? &list[1] : &list[0];
		CHECK_STR(a1->id, id1);
		CHECK_STR(a1->spiffe_id.uri, "spiffe://example.org/ci/deploy");
		CHECK(a1->nselectors == 2);
		/* stored sorted */
		CHECK_STR(a1->selectors[0].key, "ref");
		CHECK_STR(a1->selectors[1].value, "424242");
		CHECK_STR(a2->spiffe_id.uri, "spiffe://example.org/payments/api");
		CHECK(a2->nselectors == 2);
		CHECK(a1->x509_ttl == 0 && a1->jwt_ttl == 0);
		CHECK(a1->created.sec > 0);
	}

	/* ttls and an explicit creation time are kept */
	e = entry("/ttl", (const char *const[]){"unix:uid:1000", NULL});
	e.x509_ttl = 600;
	e.jwt_ttl = 120;
	e.created.sec = NOW;
	CHECK_OK(tg_entry_create(ca, &e, NULL));
	CHECK(e.created.sec == NOW);
	CHECK_OK(tg_entry_list(ca, &arena, &list, &n, NULL));
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(list[0].spiffe_id.uri, "spiffe://example.org/ttl"); /* oldest first */
		CHECK(list[0].x509_ttl == 600 && list[0].jwt_ttl == 120);
		CHECK(list[0].created.sec == NOW);
	}

	tg_diag_init(&d);
	CHECK_OK(tg_entry_delete(ca, id1, &d));
	CHECK_ERR(tg_entry_delete(ca, id1, &d), TG_E_NOTFOUND);
	CHECK_ERR(tg_entry_delete(ca, "not-a-uuid", &d), TG_E_INVAL);
	CHECK_ERR(tg_entry_delete(ca, "0B0E0F1A-0000-4000-8000-000000000000", &d), TG_E_INVAL);
	CHECK_OK(tg_entry_list(ca, &arena, &list, &n, NULL));
	CHECK(n == 2);
	/* a deleted entry's selectors match nothing any more */
	CHECK_STR(match(ca, s1), "");
	ca_done(ca, dir);
}

TEST(entry_create_rules)
{
	char *dir;
	struct tg_ca *ca = ca_new(&dir);
	struct tg_entry e;
	struct tg_diag d;
	static const char *const ok[] = {"github:repository_owner_id:2020", NULL};

	/* an entry with no selector would match every attestation */
	CHECK_ERR(create(ca, "/x", (const char *const[]){NULL}, NULL), TG_E_INVAL);
	/* github/gitlab entries must pin an immutable id */
	CHECK_ERR(create(ca, "/x", (const char *const[]){"github:ref:refs/heads/main", NULL}, NULL),
		  TG_E_INVAL);
	CHECK_ERR(create(ca, "/x", (const char *const[]){"github:repository:acme/app", NULL}, NULL),
		  TG_E_INVAL);
	CHECK_ERR(create(ca, "/x", (const char *const[]){"gitlab:project_path:g/p", NULL}, NULL),
		  TG_E_INVAL);
	CHECK_OK(create(ca, "/x", (const char *const[]){"gitlab:project_id:28",
							 "gitlab:ref_protected:true", NULL},
			NULL));
	CHECK_OK(create(ca, "/org", ok, NULL));
	/* the same grant twice */
	CHECK_ERR(create(ca, "/org", ok, NULL), TG_E_EXISTS);
	/* the same selectors for another ID are a second grant */
	CHECK_OK(create(ca, "/org2", ok, NULL));
	/* a selector twice */
	CHECK_ERR(create(ca, "/y", (const char *const[]){"unix:uid:1", "unix:uid:1", NULL}, NULL),
		  TG_E_DUPKEY);
	/* unknown types never match: a typo */
	CHECK_ERR(create(ca, "/y", (const char *const[]){"githb:repository_id:1", NULL}, NULL),
		  TG_E_INVAL);
	/* another trust domain, the trust domain itself */
	e = entry("/y", (const char *const[]){"unix:uid:1", NULL});
	CHECK_OK(tg_spiffe_id_from("other.org", "/y", &e.spiffe_id, NULL));
	tg_diag_init(&d);
	CHECK_ERR(tg_entry_create(ca, &e, &d), TG_E_INVAL);
	CHECK(strstr(d.msg, "other.org") != NULL);
	CHECK_OK(tg_spiffe_id_from(TD, "", &e.spiffe_id, NULL));
	CHECK_ERR(tg_entry_create(ca, &e, NULL), TG_E_INVAL);
	/* lifetimes */
	e = entry("/y", (const char *const[]){"unix:uid:1", NULL});
	e.x509_ttl = TG_SVID_TTL_MAX + 1;
	CHECK_ERR(tg_entry_create(ca, &e, NULL), TG_E_RANGE);
	e.x509_ttl = -1;
	CHECK_ERR(tg_entry_create(ca, &e, NULL), TG_E_RANGE);
	/* an invalid selector handed in directly */
	e = entry("/y", (const char *const[]){"unix:uid:1", NULL});
	e.selectors[0].value = "1\n2";
	CHECK_ERR(tg_entry_create(ca, &e, NULL), TG_E_INVAL);
	CHECK(e.id[0] == '\0'); /* outputs only on success */
	ca_done(ca, dir);
}

/* Subset semantics: an entry matches when ALL its selectors were attested;
 * extra attested selectors do not matter; several entries may match. */
TEST(entry_match_subset)
{
	char *dir;
	struct tg_ca *ca = ca_new(&dir);
	static const char *const attested[] = {
		"github:repository_id:424242",     "github:repository_owner_id:2020",
		"github:repository:acme/app",      "github:ref:refs/heads/main",
		"github:environment:production",   "github:event_name:push",
		"github:iss:https://token.actions.githubusercontent.com", NULL};
	struct tg_entry *m = NULL;
	size_t nm = 9;

	CHECK_OK(create(ca, "/a-repo-main",
			(const char *const[]){"github:repository_id:424242",
					      "github:ref:refs/heads/main", NULL},
			NULL));
	CHECK_OK(create(ca, "/b-repo", (const char *const[]){"github:repository_id:424242", NULL},
			NULL));
	CHECK_OK(create(ca, "/c-staging",
			(const char *const[]){"github:repository_id:424242",
					      "github:environment:staging", NULL},
			NULL));
	CHECK_OK(create(ca, "/d-other-repo",
			(const char *const[]){"github:repository_id:999",
					      "github:ref:refs/heads/main", NULL},
			NULL));
	CHECK_OK(create(ca, "/e-org-prod",
			(const char *const[]){"github:repository_owner_id:2020",
					      "github:environment:production",
					      "github:event_name:push", NULL},
			NULL));
	CHECK_OK(create(ca, "/f-unix", (const char *const[]){"unix:uid:0", NULL}, NULL));

	CHECK_STR(match(ca, attested), "/a-repo-main /b-repo /e-org-prod");
	/* one selector short: the entry needing it drops out */
	CHECK_STR(match(ca, (const char *const[]){"github:repository_id:424242",
						   "github:ref:refs/heads/main", NULL}),
		  "/a-repo-main /b-repo");
	CHECK_STR(match(ca, (const char *const[]){"github:ref:refs/heads/main", NULL}), "");
	/* a token of another repository id matches nothing of 424242 */
	CHECK_STR(match(ca, (const char *const[]){"github:repository_id:4242420",
						   "github:repository_owner_id:2020",
						   "github:ref:refs/heads/main", NULL}),
		  "");
	/* values compare exactly */
	CHECK_STR(match(ca, (const char *const[]){"github:repository_id:424242 ", NULL}), "");
	CHECK_STR(match(ca, (const char *const[]){"unix:uid:0", "unix:gid:0", NULL}), "/f-unix");
	/* nothing attested, nothing matched */
	CHECK_OK(tg_entry_match(ca, NULL, 0, &arena, &m, &nm, NULL));
	CHECK(nm == 0);
	ca_done(ca, dir);
}

int main(void)
{
	tg_arena_init(&arena, TG_LIMIT_ARENA_DEFAULT);
	RUN(selector_parse_ok);
	RUN(selector_parse_bad);
	RUN(selector_format_checks);
	RUN(entry_create_list_delete);
	RUN(entry_create_rules);
	RUN(entry_match_subset);
	tg_arena_release(&arena);
	return tg_test_done();
}
