/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_gate.c - the deployment gate: image digest pinning, image
 * collection for every workload kind, SLSA provenance facts (GitHub,
 * GitLab, tollgate shapes), decisions over real bundles from an in-process
 * signer (facts, decision JSON, cache hits, TTL, threads), and
 * AdmissionReview answers in every mode.
 */
#include "tg_test.h"

#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "gate/gate.h"

#define GH_ISS "https://token.actions.githubusercontent.com"
#define GH_SAN "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
#define DIGEST_A "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(image_digest_pinning)
{
	static const struct {
		const char *image;
		bool ok;
		const char *why; /* substring of the reason */
	} cases[] = {
		{"ghcr.io/acme/app@" DIGEST_A, true, NULL},
		{"localhost:5000/app@" DIGEST_A, true, NULL},
		{"ghcr.io/acme/app:1.2@" DIGEST_A, true, NULL},
		{"ghcr.io/acme/app:1.2", false, "not pinned by digest"},
		{"nginx", false, "not pinned by digest"},
		{"@" DIGEST_A, false, "no name"},
		{"app@sha256:0123", false, "has 4 characters"},
		{"app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false,
		 "not lower-case hex"},
		{"app@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false,
		 "algorithm 'sha512'"},
		{"app@latest", false, "malformed digest"},
		{"", false, "empty"},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		uint8_t dg[32];
		struct tg_diag d;
		tg_err r;
		tg_diag_init(&d);
		r = tg_gate_image_digest(cases[i].image, strlen(cases[i].image), dg, &d);
		CHECK_ERR(r, cases[i].ok ? TG_OK : TG_E_VERIFY);
		if (cases[i].ok) {
			CHECK(dg[0] == 0x01 && dg[31] == 0xef);
		} else if (!strstr(d.msg, cases[i].why)) {
			fprintf(stderr, "case %zu: reason '%s' lacks '%s'\n", i, d.msg, cases[i].why);
			CHECK(false);
		}
	}
}

static const struct tg_json *parse(struct tg_arena *a, const char *s)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_json_parse(a, s, strlen(s), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON: %s\n", d.msg);
		abort();
	}
	return v;
}

#define PODSPEC                                                                                 \
	"{\"initContainers\":[{\"name\":\"init\",\"image\":\"i@" DIGEST_A "\"}],"                   \
	"\"containers\":[{\"name\":\"app\",\"image\":\"a:1\"},{\"name\":\"side\",\"image\":\"s@" DIGEST_A "\"}]," \
	"\"ephemeralContainers\":[{\"name\":\"dbg\",\"image\":\"busybox\"}]}"

TEST(images_every_kind)
{
	static const struct {
		const char *kind;
		const char *object;
	} cases[] = {
		{"Pod", "{\"spec\":" PODSPEC "}"},
		{"Deployment", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"StatefulSet", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"DaemonSet", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"ReplicaSet", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"ReplicationController", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"Job", "{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}"},
		{"CronJob", "{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":" PODSPEC "}}}}}"},
		{"PodTemplate", "{\"template\":{\"spec\":" PODSPEC "}}"},
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(cases); i++) {
		struct tg_arena a;
		struct tg_gate_image *im = NULL;
		size_t n = 0;
		struct tg_diag d;
		tg_diag_init(&d);
		tg_arena_init(&a, 1 << 22);
		CHECK_OK(tg_gate_images(parse(&a, cases[i].object), cases[i].kind, &a, &im, &n, &d));
		CHECK(n == 4);
		if (n == 4) {
			/* containers, then initContainers, then ephemeralContainers */
			CHECK_STR(im[0].container, "app");
			CHECK_STR(im[0].field, "containers");
			CHECK(!im[0].pinned);
			CHECK_STR(im[1].container, "side");
			CHECK(im[1].pinned && im[1].digest[0] == 0x01);
			CHECK_STR(im[2].field, "initContainers");
			CHECK(im[2].pinned);
			CHECK_STR(im[3].field, "ephemeralContainers");
			CHECK_STR(im[3].image, "busybox");
		}
		tg_arena_release(&a);
	}
	/* a Deployment's pod spec is not at spec: nothing found there is an error */
	{
		struct tg_arena a;
		struct tg_gate_image *im = NULL;
		size_t n = 0;
		struct tg_diag d;
		tg_diag_init(&d);
		tg_arena_init(&a, 1 << 22);
		CHECK_ERR(tg_gate_images(parse(&a, "{\"spec\":" PODSPEC "}"), "Deployment", &a, &im, &n, &d),
			  TG_E_PARSE);
		CHECK(strstr(d.msg, "spec.template.spec") != NULL);
		CHECK_ERR(tg_gate_images(parse(&a, "{\"spec\":{}}"), "Service", &a, &im, &n, &d),
			  TG_E_NOTFOUND);
		CHECK_ERR(tg_gate_images(parse(&a, "{\"spec\":{\"containers\":{}}}"), "Pod", &a, &im, &n, &d),
			  TG_E_PARSE);
		CHECK(strstr(d.msg, "spec.containers is a object") != NULL);
		CHECK_ERR(tg_gate_images(parse(&a, "{\"spec\":{\"containers\":[{\"name\":\"x\"}]}}"), "Pod",
					 &a, &im, &n, &d),
			  TG_E_PARSE);
		CHECK(strstr(d.msg, "spec.containers[0] has no image") != NULL);
		CHECK_ERR(tg_gate_images(parse(&a, "{\"spec\":{\"containers\":[{\"image\":7}]}}"), "Pod", &a,
					 &im, &n, &d),
			  TG_E_PARSE);
		tg_arena_release(&a);
	}
	/* more containers than the cap */
	{
		struct tg_arena a;
		struct tg_buf t = TG_BUF_INIT(1 << 22);
		struct tg_gate_image *im = NULL;
		size_t n = 0, i2;
		tg_arena_init(&a, 1 << 24);
		CHECK_OK(tg_buf_adds(&t, "{\"spec\":{\"containers\":["));
		for (i2 = 0; i2 <= TG_LIMIT_GATE_IMAGES; i2++)
			CHECK_OK(tg_buf_addf(&t, "%s{\"image\":\"x\"}", i2 ? "," : ""));
		CHECK_OK(tg_buf_adds(&t, "]}}"));
		CHECK_ERR(tg_gate_images(parse(&a, tg_buf_str(&t)), "Pod", &a, &im, &n, NULL), TG_E_TOOBIG);
		tg_buf_release(&t);
		tg_arena_release(&a);
	}
}

static const char *str_at(const struct tg_json *v, const char *k1, const char *k2)
{
	const struct tg_json *x = tg_json_get(v, k1);
	if (k2)
		x = tg_json_get(x, k2);
	return x && x->type == TG_JSON_STRING ? x->u.s.p : NULL;
}

TEST(provenance_shapes)
{
	/* GitHub's actions/attest-build-provenance predicate (buildtypes/workflow/v1) */
	static const char github[] =
		"{\"buildDefinition\":{\"buildType\":\"https://actions.github.io/buildtypes/workflow/v1\","
		"\"externalParameters\":{\"workflow\":{\"ref\":\"refs/tags/v1.2.0\",\"repository\":"
		"\"https://github.com/acme/app\",\"path\":\".github/workflows/release.yml\"}},"
		"\"internalParameters\":{\"github\":{\"event_name\":\"push\"}},"
		"\"resolvedDependencies\":[{\"uri\":\"git+https://github.com/acme/app@refs/tags/v1.2.0\","
		"\"digest\":{\"gitCommit\":\"89abcdef0123456789abcdef0123456789abcdef\"}}]},"
		"\"runDetails\":{\"builder\":{\"id\":\"https://github.com/acme/app/.github/workflows/"
		"release.yml@refs/tags/v1.2.0\"},\"metadata\":{\"invocationId\":"
		"\"https://github.com/acme/app/actions/runs/1/attempts/1\"}}}";
	/* GitLab's SLSA v1 provenance: the project URL in externalParameters.source */
	static const char gitlab[] =
		"{\"buildDefinition\":{\"buildType\":\"https://gitlab.com/gitlab-org/gitlab-runner/-/blob/"
		"v17.0.0/PROVENANCE.md\",\"externalParameters\":{\"source\":\"https://gitlab.com/grp/app\","
		"\"entryPoint\":\"build\"},\"resolvedDependencies\":[{\"uri\":\"https://gitlab.com/grp/"
		"app\",\"digest\":{\"sha256\":\"aa\",\"sha1\":\"89abcdef\"}}]},\"runDetails\":{\"builder\":"
		"{\"id\":\"https://gitlab.com/grp/app/-/runners/12\"}}}";
	struct tg_arena a;
	const struct tg_json *f = NULL;
	struct tg_sign_identity id;

	tg_arena_init(&a, 1 << 22);
	CHECK_OK(tg_gate_provenance_facts(parse(&a, github), &a, &f));
	CHECK_STR(str_at(f, "builder_id", NULL),
		  "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0");
	CHECK_STR(str_at(f, "build_type", NULL), "https://actions.github.io/buildtypes/workflow/v1");
	CHECK_STR(str_at(f, "source", "repository"), "https://github.com/acme/app");
	CHECK_STR(str_at(f, "source", "ref"), "refs/tags/v1.2.0");
	CHECK_STR(str_at(f, "source", "uri"), "git+https://github.com/acme/app@refs/tags/v1.2.0");
	CHECK_STR(str_at(tg_json_get(f, "source"), "digest", "gitCommit"),
		  "89abcdef0123456789abcdef0123456789abcdef");
	CHECK_STR(str_at(f, "invocation_id", NULL), "https://github.com/acme/app/actions/runs/1/attempts/1");

	CHECK_OK(tg_gate_provenance_facts(parse(&a, gitlab), &a, &f));
	CHECK_STR(str_at(f, "builder_id", NULL), "https://gitlab.com/grp/app/-/runners/12");
	CHECK_STR(str_at(f, "source", "repository"), "https://gitlab.com/grp/app");
	CHECK_STR(str_at(tg_json_get(f, "source"), "digest", "sha1"), "89abcdef");
	CHECK(tg_json_get(tg_json_get(f, "source"), "ref") == NULL);

	/* tollgate's own (tollgate sign --provenance) */
	memset(&id, 0, sizeof(id));
	snprintf(id.san, sizeof(id.san), "%s", GH_SAN);
	snprintf(id.issuer, sizeof(id.issuer), "%s", GH_ISS);
	snprintf(id.repo_uri, sizeof(id.repo_uri), "https://github.com/acme/app");
	snprintf(id.repo_digest, sizeof(id.repo_digest), "0123456789abcdef0123456789abcdef01234567");
	snprintf(id.ref, sizeof(id.ref), "refs/heads/main");
	snprintf(id.builder_id, sizeof(id.builder_id), "%s", GH_SAN);
	{
		const struct tg_json *pred = NULL;
		CHECK_OK(tg_slsa_provenance(&id, &a, &pred));
		CHECK_OK(tg_gate_provenance_facts(pred, &a, &f));
		CHECK_STR(str_at(f, "builder_id", NULL), GH_SAN);
		CHECK_STR(str_at(f, "source", "repository"), "https://github.com/acme/app");
		CHECK_STR(str_at(f, "source", "ref"), "refs/heads/main");
	}
	/* no dependencies, no hints: no source */
	CHECK_OK(tg_gate_provenance_facts(parse(&a, "{\"runDetails\":{\"builder\":{\"id\":\"b\"}}}"), &a, &f));
	CHECK(tg_json_get(f, "source") == NULL);
	CHECK_STR(str_at(f, "builder_id", NULL), "b");
	/* user@host URIs keep their user; .git is dropped */
	CHECK_OK(tg_gate_provenance_facts(
		parse(&a, "{\"buildDefinition\":{\"resolvedDependencies\":[{\"uri\":"
			  "\"git+ssh://git@example.com/o/r.git@v1\"}]}}"),
		&a, &f));
	CHECK_STR(str_at(f, "source", "repository"), "ssh://git@example.com/o/r");
	CHECK_STR(str_at(f, "source", "ref"), "v1");
	tg_arena_release(&a);
}

/* ---- real evidence from an in-process signer ---- */

struct fixture {
	char dir[64];
	struct tg_signer *s;
	struct tg_buf root;
	struct tg_buf sig, prov, prov_bad_builder, sig_other_id;
	uint8_t digest[32], other[32];
	struct tg_gate_policy *policy;
};

static void identity(struct tg_sign_identity *id, const char *san, const char *builder)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->san, sizeof(id->san), "%s", san);
	snprintf(id->issuer, sizeof(id->issuer), "%s", GH_ISS);
	snprintf(id->repo_uri, sizeof(id->repo_uri), "https://github.com/acme/app");
	snprintf(id->repo_digest, sizeof(id->repo_digest), "0123456789abcdef0123456789abcdef01234567");
	snprintf(id->ref, sizeof(id->ref), "refs/heads/main");
	snprintf(id->builder_id, sizeof(id->builder_id), "%s", builder);
}

static void sign_provenance(struct fixture *f, const struct tg_sign_identity *id, struct tg_buf *out)
{
	struct tg_arena a;
	const struct tg_json *pred = NULL;
	struct tg_buf st = TG_BUF_INIT(1 << 20);
	struct tg_sign_input in = {NULL, 0, "application/vnd.in-toto+json", NULL, 0};
	struct tg_diag d;
	tg_diag_init(&d);
	tg_arena_init(&a, 1 << 22);
	CHECK_OK(tg_slsa_provenance(id, &a, &pred));
	CHECK_OK(tg_intoto_statement("app.tar", f->digest, TG_GATE_SLSA_V1, pred, &st));
	in.payload = st.data;
	in.payload_len = st.len;
	CHECK_OK(tg_signer_sign(f->s, id, &in, tg_time_now(), out, &d));
	tg_buf_release(&st);
	tg_arena_release(&a);
}

static const char config[] =
	"{\"tollgate\":{\"gate\":{\"config\":{"
	"\"signers\":[{\"identity\":\"" GH_SAN "\",\"issuer\":\"" GH_ISS "\"}],"
	"\"builders\":[{\"id_regex\":\"https://github\\\\.com/acme/app/\\\\.github/workflows/.*\"}],"
	"\"sources\":[{\"repository\":\"https://github.com/acme/app\"}],"
	"\"max_age_seconds\":3600}}}}";

static bool fixture_init(struct fixture *f)
{
	static const uint8_t art[] = "release artifact\n";
	struct tg_sign_identity id;
	struct tg_sign_input in = {art, sizeof(art) - 1, NULL, NULL, 0};
	struct tg_diag d;

	memset(f, 0, sizeof(*f));
	tg_diag_init(&d);
	tg_buf_init(&f->root, 1 << 20);
	tg_buf_init(&f->sig, 1 << 20);
	tg_buf_init(&f->prov, 1 << 20);
	tg_buf_init(&f->prov_bad_builder, 1 << 20);
	tg_buf_init(&f->sig_other_id, 1 << 20);
	snprintf(f->dir, sizeof(f->dir), "/tmp/tg-gate-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return false;
	rmdir(f->dir); /* signer init wants to create it */
	if (tg_signer_init(f->dir, "sign.example.test", tg_time_now(), &d) != TG_OK ||
	    tg_signer_open(f->dir, &f->s, &d) != TG_OK || tg_signer_trust_root(f->s, &f->root) != TG_OK) {
		fprintf(stderr, "signer: %s\n", d.msg);
		return false;
	}
	CHECK_OK(tg_hash(TG_SHA256, art, sizeof(art) - 1, f->digest));
	memset(f->other, 0x5a, 32);
	identity(&id, GH_SAN, GH_SAN);
	CHECK_OK(tg_signer_sign(f->s, &id, &in, tg_time_now(), &f->sig, &d));
	sign_provenance(f, &id, &f->prov);
	identity(&id, GH_SAN, "https://ci.evil.example/builder");
	sign_provenance(f, &id, &f->prov_bad_builder);
	identity(&id, "https://github.com/acme/app/.github/workflows/other.yml@refs/heads/dev", GH_SAN);
	CHECK_OK(tg_signer_sign(f->s, &id, &in, tg_time_now(), &f->sig_other_id, &d));
	CHECK_OK(tg_gate_policy_default(config, strlen(config), &f->policy, &d));
	return f->policy != NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fixture_release(struct fixture *f)
{
	tg_signer_close(f->s);
	tg_buf_release(&f->root);
	tg_buf_release(&f->sig);
	tg_buf_release(&f->prov);
	tg_buf_release(&f->prov_bad_builder);
	tg_buf_release(&f->sig_other_id);
	tg_gate_policy_free(f->policy);
	if (strncmp(f->dir, "/tmp/tg-gate-test.", 18) == 0)
		(void)nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct tg_gate *new_gate(struct fixture *f, int64_t ttl)
{
	struct tg_sign_trustroot tr;
	struct tg_gate_options o;
	struct tg_gate *g = NULL;
	struct tg_diag d;
	memset(&o, 0, sizeof(o));
	o.cache_ttl = ttl;
	tg_diag_init(&d);
	CHECK_OK(tg_sign_trustroot_parse((const char *)f->root.data, f->root.len, &tr, &d));
	CHECK_OK(tg_gate_new(&tr, &o, &g));
	return g;
}

static struct tg_gate_evidence ev_of(const struct tg_buf *b, const char *name)
{
	struct tg_gate_evidence e;
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.data = b->data;
	e.len = b->len;
	return e;
}

static bool has_reason(const struct tg_gate_decision *dec, const char *sub)
{
	size_t i;
	for (i = 0; i < dec->ndeny; i++)
		if (strstr(dec->deny[i], sub))
			return true;
	fprintf(stderr, "no reason contains '%s'; reasons:\n", sub);
	for (i = 0; i < dec->ndeny; i++)
		fprintf(stderr, "  %s\n", dec->deny[i]);
	return false;
}

static struct fixture fx;
static bool fx_ok;

TEST(decisions)
{
	struct tg_gate *g;
	struct tg_gate_evidence ev[3];
	struct tg_gate_decision dec;
	struct tg_gate_stats st;
	struct tg_diag d;
	struct tg_arena a;
	const struct tg_json *doc, *used;
	struct tg_buf canon = TG_BUF_INIT(1 << 20);

	if (!fx_ok)
		return;
	g = new_gate(&fx, 0);
	tg_diag_init(&d);
	tg_arena_init(&a, 1 << 22);
	memset(&dec, 0, sizeof(dec));
	ev[0] = ev_of(&fx.sig, "app.sig.json");
	ev[1] = ev_of(&fx.prov, "app.prov.json");

	/* allowed: a signature and provenance, both verified and acceptable */
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 2, NULL, tg_time_now(), &dec, &d));
	CHECK(dec.allow);
	CHECK(dec.ndeny == 0 && dec.nverified == 2 && dec.nrejected == 0 && !dec.cached);
	/* the decision document: canonical (re-canonicalising changes nothing) */
	doc = parse(&a, dec.json);
	CHECK_OK(tg_json_canon(&canon, doc));
	CHECK(canon.len == dec.json_len && memcmp(canon.data, dec.json, canon.len) == 0);
	CHECK(tg_json_get(doc, "allow") == NULL || tg_json_get(doc, "allow")->type == TG_JSON_BOOL);
	CHECK(tg_json_get(doc, "allow")->u.b);
	CHECK_STR(str_at(doc, "policy", NULL), "default");
	used = tg_json_get(doc, "evidence");
	CHECK(used && used->type == TG_JSON_ARRAY && used->u.a.len == 2);
	if (used && used->u.a.len == 2) {
		size_t i, nsig = 0, natt = 0;
		for (i = 0; i < 2; i++) {
			const struct tg_json *e = used->u.a.items[i];
			int64_t li = -1;
			CHECK_OK(tg_json_get_i64(e, "log_index", &li));
			CHECK(li >= 0 && li <= 3);
			CHECK(strncmp(str_at(e, "bundle", NULL), "sha256:", 7) == 0);
			CHECK_STR(str_at(e, "identity", NULL), GH_SAN);
			nsig += tg_json_str_eq(tg_json_get(e, "kind"), "signature");
			natt += tg_json_str_eq(tg_json_get(e, "kind"), "attestation") &&
				tg_json_str_eq(tg_json_get(e, "predicate_type"), TG_GATE_SLSA_V1);
		}
		CHECK(nsig == 1 && natt == 1);
	}
	tg_gate_decision_release(&dec);

	/* warm: the same evidence set (in another order) comes from the cache */
	ev[0] = ev_of(&fx.prov, "app.prov.json");
	ev[1] = ev_of(&fx.sig, "app.sig.json");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 2, NULL, tg_time_now(), &dec, &d));
	CHECK(dec.allow && dec.cached);
	tg_gate_stats_get(g, &st);
	CHECK(st.hits == 1 && st.misses == 1 && st.entries == 1);
	tg_gate_decision_release(&dec);

	/* signature only: provenance is required */
	ev[0] = ev_of(&fx.sig, "app.sig.json");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.allow && !dec.cached);
	CHECK(has_reason(&dec, "no verified SLSA provenance v1 attestation"));
	tg_gate_decision_release(&dec);

	/* untrusted builder */
	ev[1] = ev_of(&fx.prov_bad_builder, "bad.prov.json");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 2, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.allow);
	CHECK(has_reason(&dec, "provenance bad.prov.json: builder https://ci.evil.example/builder is not a trusted builder"));
	tg_gate_decision_release(&dec);

	/* a signer that is not allowed */
	ev[0] = ev_of(&fx.sig_other_id, "other.sig.json");
	ev[1] = ev_of(&fx.prov, "app.prov.json");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 2, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.allow);
	CHECK(has_reason(&dec, "signature other.sig.json: signer https://github.com/acme/app/.github/workflows/other.yml@refs/heads/dev"));
	tg_gate_decision_release(&dec);

	/* another artifact: nothing verifies; every bundle is rejected with its reason */
	ev[0] = ev_of(&fx.sig, "app.sig.json");
	ev[1] = ev_of(&fx.prov, "app.prov.json");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.other, ev, 2, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.allow && dec.nverified == 0 && dec.nrejected == 2);
	CHECK(has_reason(&dec, "no verified signature over the artifact"));
	doc = parse(&a, dec.json);
	{
		const struct tg_json *rej = tg_json_get(doc, "rejected");
		size_t i;
		CHECK(rej && rej->u.a.len == 2);
		for (i = 0; rej && i < rej->u.a.len; i++) {
			const char *why = str_at(rej->u.a.items[i], "reason", NULL);
			CHECK(why && (strstr(why, "digest") || strstr(why, "subject")));
		}
	}
	tg_gate_decision_release(&dec);

	/* not a bundle at all */
	{
		struct tg_buf junk = TG_BUF_INIT(64);
		CHECK_OK(tg_buf_adds(&junk, "{\"not\":\"a bundle\"}"));
		ev[0] = ev_of(&junk, "junk.json");
		CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
		CHECK(!dec.allow && dec.nrejected == 1);
		CHECK(strstr(dec.json, "cannot read the bundle") != NULL);
		tg_gate_decision_release(&dec);
		tg_buf_release(&junk);
	}

	/* too old for max_age_seconds (3600): decide an hour and a bit later */
	{
		struct tg_time later = tg_time_now();
		later.sec += 3700;
		ev[0] = ev_of(&fx.sig, "app.sig.json");
		ev[1] = ev_of(&fx.prov, "app.prov.json");
		CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 2, NULL, later, &dec, &d));
		CHECK(!dec.allow);
		CHECK(has_reason(&dec, "more than 3600 seconds ago"));
		tg_gate_decision_release(&dec);
	}

	/* too much evidence */
	{
		struct tg_gate_evidence many[TG_LIMIT_GATE_EVIDENCE + 1];
		size_t i;
		for (i = 0; i < TG_ARRAY_LEN(many); i++)
			many[i] = ev_of(&fx.sig, NULL);
		CHECK_ERR(tg_gate_decide(g, fx.policy, fx.digest, many, TG_ARRAY_LEN(many), NULL,
					 tg_time_now(), &dec, &d),
			  TG_E_TOOBIG);
	}
	tg_buf_release(&canon);
	tg_arena_release(&a);
	tg_gate_free(g);
}

TEST(input_document)
{
	struct tg_gate *g;
	struct tg_gate_evidence ev[2];
	struct tg_buf out = TG_BUF_INIT(1 << 22);
	struct tg_gate_context ctx = {"ghcr.io/acme/app@" DIGEST_A, "prod", "Deployment", "web"};
	struct tg_arena a;
	const struct tg_json *in, *evs, *prov = NULL;
	struct tg_diag d;
	size_t i;

	if (!fx_ok)
		return;
	g = new_gate(&fx, -1);
	tg_diag_init(&d);
	tg_arena_init(&a, 1 << 22);
	ev[0] = ev_of(&fx.sig, "app.sig.json");
	ev[1] = ev_of(&fx.prov, "app.prov.json");
	CHECK_OK(tg_gate_input(g, fx.digest, ev, 2, &ctx, (struct tg_time){1800000000, 0}, &out, &d));
	in = parse(&a, tg_buf_str(&out));
	CHECK_STR(str_at(tg_json_get(in, "context"), "time", NULL), "2027-01-15T08:00:00Z");
	CHECK_STR(str_at(in, "context", "namespace"), "prod");
	CHECK_STR(str_at(in, "context", "image"), "ghcr.io/acme/app@" DIGEST_A);
	evs = tg_json_get(in, "evidence");
	CHECK(evs && evs->u.a.len == 2);
	for (i = 0; evs && i < evs->u.a.len; i++) {
		const struct tg_json *e = evs->u.a.items[i];
		int64_t at = 0;
		CHECK_STR(str_at(e, "signer", "identity"), GH_SAN);
		CHECK_STR(str_at(e, "signer", "issuer"), GH_ISS);
		CHECK_STR(str_at(e, "log", "url"), "https://sign.example.test");
		CHECK_OK(tg_json_get_i64(e, "signed_at_unix", &at));
		CHECK(at > 1700000000 && at <= tg_time_now().sec);
		if (tg_json_get(e, "provenance"))
			prov = tg_json_get(e, "provenance");
	}
	CHECK(prov != NULL);
	CHECK_STR(str_at(prov, "builder_id", NULL), GH_SAN);
	CHECK_STR(str_at(prov, "source", "repository"), "https://github.com/acme/app");
	CHECK_STR(str_at(tg_json_get(prov, "source"), "digest", "gitCommit"),
		  "0123456789abcdef0123456789abcdef01234567");
	{
		char hex[65], want[80];
		tg_hex_encode_to(hex, fx.digest, 32);
		snprintf(want, sizeof(want), "sha256:%s", hex);
		CHECK_STR(str_at(in, "artifact", "digest"), want);
	}
	tg_buf_release(&out);
	tg_arena_release(&a);
	tg_gate_free(g);
}

TEST(cache_ttl)
{
	struct tg_gate *g;
	struct tg_gate_evidence ev[1];
	struct tg_gate_decision dec;
	struct tg_gate_stats st;
	struct tg_diag d;
	if (!fx_ok)
		return;
	g = new_gate(&fx, 1);
	tg_diag_init(&d);
	ev[0] = ev_of(&fx.sig, "s");
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.cached);
	tg_gate_decision_release(&dec);
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	CHECK(dec.cached);
	tg_gate_decision_release(&dec);
	sleep(2); /* past the TTL */
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.cached);
	tg_gate_decision_release(&dec);
	tg_gate_stats_get(g, &st);
	CHECK(st.hits == 1 && st.misses == 2 && st.entries == 1);
	tg_gate_free(g);

	/* no cache at all */
	g = new_gate(&fx, -1);
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	tg_gate_decision_release(&dec);
	CHECK_OK(tg_gate_decide(g, fx.policy, fx.digest, ev, 1, NULL, tg_time_now(), &dec, &d));
	CHECK(!dec.cached);
	tg_gate_decision_release(&dec);
	tg_gate_free(g);
}

struct worker {
	struct tg_gate *g;
	int allowed, errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct tg_gate_evidence ev[2];
	int i;
	ev[0] = ev_of(&fx.sig, "s");
	ev[1] = ev_of(&fx.prov, "p");
	for (i = 0; i < 50; i++) {
		struct tg_gate_decision dec;
		struct tg_diag d;
		tg_diag_init(&d);
		/* alternate between two evidence sets so threads insert and hit */
		if (tg_gate_decide(w->g, fx.policy, fx.digest, ev, (size_t)(i % 2 ? 2 : 1), NULL,
				   tg_time_now(), &dec, &d) != TG_OK) {
			w->errors++;
			continue;
		}
		w->allowed += dec.allow;
		tg_gate_decision_release(&dec);
	}
	return NULL;
}

TEST(threads_share_gate_and_policy)
{
	struct worker w[4];
	pthread_t t[4];
	struct tg_gate *g;
	int i;
	if (!fx_ok)
		return;
	g = new_gate(&fx, 0);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){g, 0, 0};
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].errors == 0);
		CHECK(w[i].allowed == 25); /* the 2-piece sets */
	}
	tg_gate_free(g);
}

/* ---- admission ---- */

static tg_err lookup(void *ctx, const uint8_t digest[32], const struct tg_gate_evidence **out, size_t *n)
{
	return tg_gate_index_lookup(ctx, digest, out, n);
}

static void review(const struct tg_gate_admission *cfg, const char *text, tg_err want,
		   struct tg_gate_review *rv, struct tg_arena *a, const struct tg_json **resp)
{
	struct tg_diag d;
	tg_diag_init(&d);
	CHECK_ERR(tg_gate_admission_review(cfg, text, strlen(text), tg_time_now(), rv, &d), want);
	CHECK(rv->json != NULL);
	*resp = rv->json ? tg_json_get(parse(a, rv->json), "response") : NULL;
	if (rv->json) {
		const struct tg_json *doc = parse(a, rv->json);
		CHECK_STR(str_at(doc, "apiVersion", NULL), "admission.k8s.io/v1");
		CHECK_STR(str_at(doc, "kind", NULL), "AdmissionReview");
	}
}

static char *deployment(const char *ns, const char *img1, const char *img2, const char *img3)
{
	struct tg_buf t = TG_BUF_INIT(1 << 20);
	uint8_t *p;
	size_t n;
	CHECK_OK(tg_buf_addf(
		&t,
		"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
		"\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"kind\":{\"group\":\"apps\","
		"\"version\":\"v1\",\"kind\":\"Deployment\"},\"resource\":{\"group\":\"apps\","
		"\"version\":\"v1\",\"resource\":\"deployments\"},\"name\":\"web\",\"namespace\":\"%s\","
		"\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"admin\"},\"object\":{\"apiVersion\":"
		"\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"namespace\":\"%s\"},"
		"\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"%s\"},{\"name\":\"proxy\","
		"\"image\":\"%s\"}],\"initContainers\":[{\"name\":\"migrate\",\"image\":\"%s\"}]}}}},"
		"\"oldObject\":null,\"dryRun\":false}}",
		ns, ns, img1, img2, img3));
	tg_buf_detach(&t, &p, &n);
	return (char *)p;
}

TEST(admission_modes)
{
	struct tg_gate_index *ix = NULL;
	struct tg_gate *g;
	struct tg_gate_admission cfg;
	struct tg_gate_review rv;
	struct tg_gate_ns_rule rules[2];
	struct tg_arena a;
	const struct tg_json *resp;
	struct tg_diag d;
	char hex[65], good[200], *text;
	int64_t code = 0;

	if (!fx_ok)
		return;
	tg_diag_init(&d);
	tg_arena_init(&a, 1 << 24);
	CHECK_OK(tg_gate_index_new(&ix));
	CHECK_OK(tg_gate_index_add(ix, "sig.json", fx.sig.data, fx.sig.len, &d));
	CHECK_OK(tg_gate_index_add(ix, "prov.json", fx.prov.data, fx.prov.len, &d));
	CHECK_ERR(tg_gate_index_add(ix, "junk.json", (const uint8_t *)"{}", 2, &d), TG_E_PARSE);
	CHECK(tg_gate_index_count(ix) == 2);
	{
		const struct tg_gate_evidence *e;
		size_t n;
		tg_gate_index_find(ix, fx.digest, &e, &n);
		CHECK(n == 2);
		tg_gate_index_find(ix, fx.other, &e, &n);
		CHECK(n == 0);
	}
	g = new_gate(&fx, 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.gate = g;
	cfg.policy = fx.policy;
	cfg.mode = TG_GATE_ENFORCE;
	cfg.lookup = lookup;
	cfg.lookup_ctx = ix;
	tg_hex_encode_to(hex, fx.digest, 32);
	snprintf(good, sizeof(good), "ghcr.io/acme/app@sha256:%s", hex);

	/* three pinned, allowed images (one digest: decided once) */
	text = deployment("prod", good, good, good);
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed && rv.code == 200 && rv.nimages == 3 && rv.ndenied == 0);
	CHECK(tg_json_get(resp, "allowed")->u.b);
	CHECK_STR(str_at(resp, "uid", NULL), "705ab4f5-6393-11e8-b7cc-42010a800002");
	CHECK_STR(str_at(resp, "auditAnnotations", "decision"), "allow");
	tg_gate_review_release(&rv);
	free(text);

	/* a tag and an unknown digest: denied with both reasons */
	text = deployment("prod", good, "ghcr.io/acme/proxy:1.25", "ghcr.io/acme/migrate@" DIGEST_A);
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(!rv.allowed && rv.code == 403 && rv.ndenied == 2);
	CHECK(!tg_json_get(resp, "allowed")->u.b);
	CHECK_OK(tg_json_get_i64(tg_json_get(resp, "status"), "code", &code));
	CHECK(code == 403);
	CHECK(strstr(str_at(resp, "status", "message"),
		     "container 'proxy' image 'ghcr.io/acme/proxy:1.25': not pinned by digest") != NULL);
	CHECK(strstr(str_at(resp, "status", "message"),
		     "container 'migrate' image 'ghcr.io/acme/migrate@" DIGEST_A
		     "': no verified signature over the artifact") != NULL);
	CHECK(tg_json_get(resp, "warnings") == NULL);
	tg_gate_review_release(&rv);

	/* warn: allowed, a warning per reason */
	cfg.mode = TG_GATE_WARN;
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed && rv.code == 200 && rv.mode == TG_GATE_WARN);
	CHECK(tg_json_get(resp, "warnings") && tg_json_get(resp, "warnings")->u.a.len >= 2);
	tg_gate_review_release(&rv);

	/* audit: allowed, reasons in auditAnnotations, no warnings */
	cfg.mode = TG_GATE_AUDIT;
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed && tg_json_get(resp, "warnings") == NULL);
	CHECK_STR(str_at(resp, "auditAnnotations", "decision"), "deny");
	CHECK_STR(str_at(resp, "auditAnnotations", "mode"), "audit");
	CHECK(strstr(str_at(resp, "auditAnnotations", "reasons"), "not pinned by digest") != NULL);
	tg_gate_review_release(&rv);
	free(text);

	/* namespace overrides: enforce by default, audit in "sandbox" */
	cfg.mode = TG_GATE_ENFORCE;
	rules[0] = (struct tg_gate_ns_rule){"sandbox", NULL, TG_GATE_AUDIT};
	rules[1] = (struct tg_gate_ns_rule){"other", NULL, -1};
	cfg.ns = rules;
	cfg.nns = 2;
	text = deployment("sandbox", "nginx:latest", good, good);
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed && rv.mode == TG_GATE_AUDIT);
	tg_gate_review_release(&rv);
	free(text);
	text = deployment("prod", "nginx:latest", good, good);
	review(&cfg, text, TG_OK, &rv, &a, &resp);
	CHECK(!rv.allowed && rv.mode == TG_GATE_ENFORCE);
	tg_gate_review_release(&rv);
	free(text);

	/* malformed reviews: 400, never allowed, the uid echoed when there is one */
	{
		static const struct {
			const char *text;
			const char *uid;
			const char *why;
		} bad[] = {
			{"", "", "not valid JSON"},
			{"[]", "", "not an object"},
			{"{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\","
			 "\"request\":{\"uid\":\"u1\"}}",
			 "u1", "apiVersion 'admission.k8s.io/v1beta1'"},
			{"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "",
			 "request is missing"},
			{"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
			 "{\"uid\":7}}",
			 "", "request.uid is not a string"},
			{"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
			 "{\"uid\":\"u2\",\"operation\":\"CREATE\",\"kind\":{\"kind\":\"Pod\"}}}",
			 "u2", "request.object is missing"},
			{"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
			 "{\"uid\":\"u3\",\"operation\":\"CREATE\",\"kind\":{\"kind\":\"Pod\"},\"object\":"
			 "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}}}",
			 "u3", "spec.containers[0] has no image"},
			{"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
			 "{\"uid\":\"u4\",\"uid\":\"u5\"}}",
			 "", "duplicate"},
		};
		size_t i;
		for (i = 0; i < TG_ARRAY_LEN(bad); i++) {
			struct tg_diag bd;
			tg_err r;
			tg_diag_init(&bd);
			r = tg_gate_admission_review(&cfg, bad[i].text, strlen(bad[i].text), tg_time_now(), &rv, &bd);
			CHECK(r == TG_E_PARSE || r == TG_E_DUPKEY);
			CHECK(!rv.allowed && rv.code == 400);
			resp = tg_json_get(parse(&a, rv.json), "response");
			CHECK_STR(str_at(resp, "uid", NULL), bad[i].uid);
			if (!strstr(str_at(resp, "status", "message"), bad[i].why)) {
				fprintf(stderr, "bad[%zu]: '%s' lacks '%s'\n", i, str_at(resp, "status", "message"),
					bad[i].why);
				CHECK(false);
			}
			tg_gate_review_release(&rv);
		}
	}
	/* too large, too deep: refused before anything else */
	{
		size_t big = TG_LIMIT_GATE_REVIEW + 1, i;
		char *t = tg_xmalloc(big);
		struct tg_diag bd;
		memset(t, ' ', big);
		tg_diag_init(&bd);
		CHECK_ERR(tg_gate_admission_review(&cfg, t, big, tg_time_now(), &rv, &bd), TG_E_TOOBIG);
		CHECK(!rv.allowed && rv.code == 400 && strstr(rv.json, "more than") != NULL);
		tg_gate_review_release(&rv);
		for (i = 0; i < 200; i++)
			t[i] = '[';
		CHECK_ERR(tg_gate_admission_review(&cfg, t, 200, tg_time_now(), &rv, &bd), TG_E_PARSE);
		CHECK(!rv.allowed && rv.code == 400);
		tg_gate_review_release(&rv);
		free(t);
	}
	/* DELETE and kinds without pods are allowed without checks */
	review(&cfg,
	       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
	       "\"uid\":\"d1\",\"operation\":\"DELETE\",\"kind\":{\"kind\":\"Pod\"},\"object\":null}}",
	       TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed);
	tg_gate_review_release(&rv);
	review(&cfg,
	       "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
	       "\"uid\":\"s1\",\"operation\":\"CREATE\",\"kind\":{\"kind\":\"Service\"},\"object\":{}}}",
	       TG_OK, &rv, &a, &resp);
	CHECK(rv.allowed);
	tg_gate_review_release(&rv);

	tg_gate_free(g);
	tg_gate_index_free(ix);
	tg_arena_release(&a);
}

int main(void)
{
	RUN(image_digest_pinning);
	RUN(images_every_kind);
	RUN(provenance_shapes);
	fx_ok = fixture_init(&fx);
	CHECK(fx_ok);
	RUN(decisions);
	RUN(input_document);
	RUN(cache_ttl);
	RUN(threads_share_gate_and_policy);
	RUN(admission_modes);
	fixture_release(&fx);
	return tg_test_done();
}
