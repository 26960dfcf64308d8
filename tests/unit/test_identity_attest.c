/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_attest.c - the attestors: OIDC tokens of GitHub Actions,
 * GitLab CI, Kubernetes and generic issuers signed by test keys (and every
 * way to get one rejected), join tokens, and Unix peers over real sockets.
 */
#include "tg_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "crypto/crypto.h"
#include "identity/identity.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define TD "example.org"
#define AUD "https://tollgate.example"
#define GH_ISS "https://token.actions.githubusercontent.com"
#define GL_ISS "https://gitlab.example.com"
#define K8S_ISS "https://kubernetes.default.svc.cluster.local"

static struct tg_arena arena;
static struct tg_key *k_rsa, *k_ec, *k_rogue;
static struct tg_jwks jwks;

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

static const struct tg_json *json(const char *text)
{
	const struct tg_json *v = NULL;
	struct tg_diag d;
	tg_diag_init(&d);
	if (tg_json_parse(&arena, text, strlen(text), NULL, &v, NULL, &d) != TG_OK) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, d.msg);
		exit(2);
	}
	return v;
}

static struct tg_key *gen(enum tg_key_type t, unsigned bits, const char *kid)
{
	struct tg_key *k = NULL, *named = NULL;
	if (tg_key_generate(t, bits, &k) != TG_OK || tg_key_with_kid(k, kid, &named) != TG_OK)
		exit(2);
	tg_key_free(k);
	return named;
}

/* The JWKS an issuer would publish: the public halves of keys. */
static void jwks_of(struct tg_key *const *keys, size_t n, struct tg_jwks *out)
{
	struct tg_key *pub[4];
	const struct tg_json *set = NULL;
	size_t i;
	for (i = 0; i < n; i++)
		if (tg_key_public(keys[i], &pub[i]) != TG_OK)
			exit(2);
	if (tg_jwks_to_json((const struct tg_key *const *)pub, n, &arena, &set) != TG_OK ||
	    tg_jwks_parse(set, 0, false, out, NULL) != TG_OK)
		exit(2);
	for (i = 0; i < n; i++)
		tg_key_free(pub[i]);
}

/* A JWT of the claims text (printf-style), signed by k. */
static char *TG_PRINTF(3, 4) token(const struct tg_key *k, enum tg_sig_alg alg, const char *fmt,
				   ...)
{
	struct tg_buf text = TG_BUF_INIT(TG_LIMIT_JWS), out = TG_BUF_INIT(TG_LIMIT_JWS);
	va_list ap;
	uint8_t *p;
	size_t n;
	va_start(ap, fmt);
	if (tg_buf_vaddf(&text, fmt, ap) != TG_OK)
		exit(2);
	va_end(ap);
	if (tg_jwt_sign(k, alg, json(tg_buf_str(&text)), &out) != TG_OK) {
		fprintf(stderr, "cannot sign %s\n", tg_buf_str(&text));
		exit(2);
	}
	tg_buf_release(&text);
	tg_buf_detach(&out, &p, &n);
	return (char *)p;
}

static void b64(struct tg_buf *out, const void *p, size_t n)
{
	if (tg_b64_encode(out, p, n, TG_B64_URL) != TG_OK)
		exit(2);
}

static struct tg_oidc_config config(enum tg_oidc_profile p, const char *iss)
{
	struct tg_oidc_config c;
	memset(&c, 0, sizeof(c));
	c.issuer = iss;
	c.audience = AUD;
	c.profile = p;
	c.jwks = &jwks;
	c.now.sec = NOW;
	c.skew = 60;
	return c;
}

static tg_err attest(struct tg_ca *ca, const char *tok, const struct tg_oidc_config *c,
		     struct tg_attestation *att, char *msg)
{
	struct tg_attestation dummy;
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_attest_oidc(ca, tok, strlen(tok), c, &arena, att ? att : &dummy, &d);
	if (msg)
		snprintf(msg, TG_DIAG_MSG_MAX, "%s", d.msg);
	/* every rejection says why */
	CHECK(r == TG_OK || d.msg[0] != '\0');
	return r;
}

/* The attested selectors as "a b c" (they come sorted). */
static const char *sels_text(const struct tg_attestation *att)
{
	static char out[8192];
	struct tg_buf b = TG_BUF_INIT(8192);
	size_t i;
	for (i = 0; i < att->n; i++) {
		if ((i && tg_buf_addc(&b, ' ') != TG_OK) ||
		    tg_selector_format(&att->selectors[i], &b) != TG_OK)
			exit(2);
	}
	snprintf(out, sizeof(out), "%s", tg_buf_str(&b));
	tg_buf_release(&b);
	return out;
}

static bool contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", hay, needle);
		return false;
	}
	return true;
}

/* ---- GitHub Actions ---- */

/* The claims of a GitHub Actions token (docs.github.com, "OIDC token
 * claims"; ids are strings), with the ids, jti and times given. */
#define GH_CLAIMS                                                                            \
	"{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\","                                        \
	"\"sub\":\"repo:acme/app:environment:production\",\"jti\":\"%s\","                    \
	"\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,"                                             \
	"\"ref\":\"refs/heads/main\",\"sha\":\"c040cae0f0dc81641728557b80f09cfa23b83fe5\","    \
	"\"repository\":\"acme/app\",\"repository_owner\":\"acme\","                          \
	"\"repository_owner_id\":%s,\"repository_id\":%s,"                                    \
	"\"repository_visibility\":\"private\",\"run_id\":\"22259804324\","                   \
	"\"run_number\":\"42\",\"run_attempt\":\"1\",\"actor\":\"octocat\","                  \
	"\"actor_id\":\"1001\",\"workflow\":\"deploy\","                                      \
	"\"workflow_ref\":\"acme/app/.github/workflows/deploy.yml@refs/heads/main\","          \
	"\"workflow_sha\":\"c040cae0f0dc81641728557b80f09cfa23b83fe5\","                      \
	"\"head_ref\":\"\",\"base_ref\":\"\",\"event_name\":\"push\",\"ref_type\":\"branch\"," \
	"\"ref_protected\":\"true\",\"environment\":\"production\","                          \
	"\"job_workflow_ref\":\"acme/shared/.github/workflows/deploy.yml@refs/tags/v1\","      \
	"\"job_workflow_sha\":\"9f3c3b1e0e5a4ad0b2c1d8f7e6a5b4c3d2e1f0a9\","                  \
	"\"runner_environment\":\"github-hosted\"}"

static char *gh_token(const struct tg_key *k, enum tg_sig_alg alg, const char *jti, long long iat,
		      long long exp, const char *owner_id, const char *repo_id)
{
	return token(k, alg, GH_CLAIMS, jti, iat, iat, exp, owner_id, repo_id);
}

static const char gh_want[] =
	"github:actor:octocat github:actor_id:1001 github:environment:production "
	"github:event_name:push github:iss:https://token.actions.githubusercontent.com "
	"github:job_workflow_ref:acme/shared/.github/workflows/deploy.yml@refs/tags/v1 "
	"github:ref:refs/heads/main github:ref_protected:true github:ref_type:branch "
	"github:repository:acme/app github:repository_id:424242 github:repository_owner:acme "
	"github:repository_owner_id:2020 github:repository_visibility:private "
	"github:runner_environment:github-hosted "
	"github:sha:c040cae0f0dc81641728557b80f09cfa23b83fe5 "
	"github:workflow_ref:acme/app/.github/workflows/deploy.yml@refs/heads/main";

TEST(oidc_github)
{
	char *dir, msg[TG_DIAG_MSG_MAX];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_GITHUB, GH_ISS);
	struct tg_attestation att;
	char *t;

	t = gh_token(k_rsa, TG_SIG_RS256, "j-1", NOW - 10, NOW + 290, "\"2020\"", "\"424242\"");
	memset(&att, 0, sizeof(att));
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), gh_want);
	CHECK_STR(att.subject, "github repo acme/app (id 424242) ref refs/heads/main environment "
			       "production workflow acme/shared/.github/workflows/deploy.yml@refs/"
			       "tags/v1 run 22259804324/1");
	CHECK(att.expires.sec == NOW + 290);
	CHECK(att.flags == 0);
	/* presented again: the replay cache says no */
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_DENIED);
	CHECK(contains(msg, "replayed"));
	free(t);

	/* ids as JSON numbers: the same selectors */
	t = gh_token(k_rsa, TG_SIG_RS256, "j-2", NOW - 10, NOW + 290, "2020", "424242");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), gh_want);
	free(t);
	/* ES256 signed */
	t = gh_token(k_ec, TG_SIG_ES256, "j-3", NOW - 10, NOW + 290, "2020", "424242");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), gh_want);
	free(t);
	/* ids that are not canonical decimal */
	t = gh_token(k_rsa, TG_SIG_RS256, "j-4", NOW - 10, NOW + 290, "\"2020\"", "\"0424242\"");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "repository_id"));
	free(t);
	t = gh_token(k_rsa, TG_SIG_RS256, "j-5", NOW - 10, NOW + 290, "\"20x\"", "\"424242\"");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	free(t);
	t = gh_token(k_rsa, TG_SIG_RS256, "j-6", NOW - 10, NOW + 290, "-2020", "424242");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	free(t);
	/* a token without the repository id is not a GitHub Actions token */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"j-7\",\"iat\":%lld,"
		  "\"exp\":%lld,\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "repository_id"));
	free(t);
	/* a line break in a value rejects the token */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"j-8\",\"iat\":%lld,"
		  "\"exp\":%lld,\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\","
		  "\"repository_id\":\"1\",\"ref\":\"refs/heads/x\\ngithub:ref:refs/heads/main\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "'ref'"));
	free(t);
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"j-9\",\"iat\":%lld,"
		  "\"exp\":%lld,\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\","
		  "\"repository_id\":\"1\",\"environment\":\"prod\\u0000\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	free(t);
	ca_done(ca, dir);
}

/* Every way to present a token that must not attest. */
TEST(oidc_rejections)
{
	char *dir, msg[TG_DIAG_MSG_MAX];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_GITHUB, GH_ISS), c2;
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JWS), pem = TG_BUF_INIT(8192);
	struct tg_jwks with_hmac;
	uint8_t mac[32];
	char *t;
	const char *payload;
	size_t dot;

	/* wrong issuer: a token from a GitLab instance offered as GitHub's */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GL_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"r-1\",\"iat\":%lld,"
		  "\"exp\":%lld,\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\","
		  "\"repository_id\":\"1\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "issuer"));
	free(t);
	/* wrong audience: minted for another relying party */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"https://sts.amazonaws.com\",\"jti\":\"r-2\","
		  "\"iat\":%lld,\"exp\":%lld,\"repository\":\"acme/app\","
		  "\"repository_owner_id\":\"2020\",\"repository_id\":\"1\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "audience"));
	free(t);
	/* expired: exp + 60 s of skew is in the past */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-3", NOW - 400, NOW - 61, "2020", "1");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_EXPIRED);
	free(t);
	/* ... but within the skew it is still good */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-3b", NOW - 400, NOW - 59, "2020", "1");
	CHECK_OK(attest(ca, t, &c, NULL, msg));
	free(t);
	/* not yet valid: nbf beyond the skew */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"r-4\",\"iat\":%lld,"
		  "\"nbf\":%lld,\"exp\":%lld,\"repository\":\"acme/app\","
		  "\"repository_owner_id\":\"2020\",\"repository_id\":\"1\"}",
		  (long long)NOW, (long long)NOW + 120, (long long)NOW + 400);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_NOTYET);
	free(t);
	/* too old: issued more than max_age (default 3600 s) ago */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-5", NOW - 3600 - 61, NOW + 600, "2020", "1");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "older"));
	free(t);
	t = gh_token(k_rsa, TG_SIG_RS256, "r-5b", NOW - 700, NOW + 600, "2020", "1");
	c2 = c;
	c2.max_age = 600;
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "older"));
	free(t);
	/* no iat: the age cannot be checked */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"r-6\",\"exp\":%lld,"
		  "\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\","
		  "\"repository_id\":\"1\"}",
		  (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	free(t);

	/* alg none */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-7", NOW, NOW + 60, "2020", "1");
	payload = strchr(t, '.') + 1;
	dot = (size_t)(strchr(payload, '.') - payload);
	b64(&b, "{\"alg\":\"none\",\"typ\":\"JWT\"}", 26);
	CHECK_OK(tg_buf_addc(&b, '.'));
	CHECK_OK(tg_buf_add(&b, payload, dot));
	CHECK_OK(tg_buf_addc(&b, '.'));
	CHECK_ERR(attest(ca, tg_buf_str(&b), &c, NULL, msg), TG_E_ALG);
	/* HS256 "signed" with the RSA public key as the HMAC secret: the
	 * classic algorithm confusion */
	CHECK_OK(tg_key_to_pem(k_rsa, false, &pem));
	tg_buf_reset(&b);
	b64(&b, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}", 41);
	CHECK_OK(tg_buf_addc(&b, '.'));
	CHECK_OK(tg_buf_add(&b, payload, dot));
	CHECK_OK(tg_hmac(TG_SHA256, pem.data, pem.len, b.data, b.len, mac));
	CHECK_OK(tg_buf_addc(&b, '.'));
	b64(&b, mac, sizeof(mac));
	CHECK_ERR(attest(ca, tg_buf_str(&b), &c, NULL, msg), TG_E_ALG);
	/* ... and without a kid */
	tg_buf_reset(&b);
	b64(&b, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
	CHECK_OK(tg_buf_addc(&b, '.'));
	CHECK_OK(tg_buf_add(&b, payload, dot));
	CHECK_OK(tg_hmac(TG_SHA256, pem.data, pem.len, b.data, b.len, mac));
	CHECK_OK(tg_buf_addc(&b, '.'));
	b64(&b, mac, sizeof(mac));
	CHECK(attest(ca, tg_buf_str(&b), &c, NULL, msg) != TG_OK);
	free(t);
	/* the other key of the JWKS still works */
	t = gh_token(k_ec, TG_SIG_ES256, "r-8", NOW, NOW + 60, "2020", "1");
	CHECK_OK(attest(ca, t, &c, NULL, msg));
	free(t);

	/* unknown kid */
	{
		struct tg_key *stranger = gen(TG_KEY_RSA, 2048, "kid-nobody-knows");
		t = gh_token(stranger, TG_SIG_RS256, "r-9", NOW, NOW + 60, "2020", "1");
		CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_VERIFY);
		free(t);
		tg_key_free(stranger);
	}
	/* a key that is not in the JWKS, posing under a kid that is */
	t = gh_token(k_rogue, TG_SIG_RS256, "r-10", NOW, NOW + 60, "2020", "1");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_VERIFY);
	free(t);
	/* a flipped signature byte */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-11", NOW, NOW + 60, "2020", "1");
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_VERIFY);
	free(t);

	/* configurations that are refused outright */
	t = gh_token(k_rsa, TG_SIG_RS256, "r-12", NOW, NOW + 60, "2020", "1");
	c2 = c;
	c2.skew = 61;
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_INVAL);
	c2 = c;
	c2.max_age = -1;
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_INVAL);
	c2 = c;
	c2.issuer = "https://a|b";
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_INVAL);
	c2 = c;
	c2.audience = NULL;
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_INVAL);
	c2 = c;
	c2.profile = (enum tg_oidc_profile)42;
	CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_INVAL);
	/* a JWKS with a symmetric key is a published secret */
	{
		static const char set[] =
			"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"mac\",\"k\":"
			"\"cnZpyNYvqAtnLogxMLYWmpAuRGO8356LqO-X36HTLFMiFjYSSDCxE3gs9BjdhJJZU4U964Du"
			"FTfxvG8DdXt9nQ\"}]}";
		CHECK_OK(tg_jwks_parse(json(set), TG_JWK_ALLOW_HMAC, false, &with_hmac, NULL));
		c2 = c;
		c2.jwks = &with_hmac;
		CHECK_ERR(attest(ca, t, &c2, NULL, msg), TG_E_KEY);
		tg_jwks_release(&with_hmac);
	}
	/* none of the refusals above consumed the token */
	CHECK_OK(attest(ca, t, &c, NULL, msg));
	free(t);
	tg_buf_release(&b);
	tg_buf_release(&pem);
	ca_done(ca, dir);
}

/* A token of another repository attests, but matches no entry of ours;
 * an entry whose selectors the token does not all carry does not match. */
TEST(oidc_entries)
{
	char *dir, msg[TG_DIAG_MSG_MAX];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_GITHUB, GH_ISS);
	struct tg_attestation att;
	struct tg_entry e, *m = NULL;
	struct tg_selector s[3];
	size_t nm = 0;
	char *t;

	memset(&e, 0, sizeof(e));
	CHECK_OK(tg_spiffe_id_from(TD, "/deploy/prod", &e.spiffe_id, NULL));
	CHECK_OK(tg_selector_parse("github:repository_id:424242", 27, &arena, &s[0], NULL));
	CHECK_OK(tg_selector_parse("github:environment:production", 29, &arena, &s[1], NULL));
	CHECK_OK(tg_selector_parse("github:ref:refs/heads/main", 26, &arena, &s[2], NULL));
	e.selectors = s;
	e.nselectors = 3;
	CHECK_OK(tg_entry_create(ca, &e, NULL));

	t = gh_token(k_rsa, TG_SIG_RS256, "e-1", NOW, NOW + 60, "2020", "424242");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_OK(tg_entry_match(ca, att.selectors, att.n, &arena, &m, &nm, NULL));
	CHECK(nm == 1);
	if (nm == 1)
		CHECK_STR(m[0].spiffe_id.uri, "spiffe://example.org/deploy/prod");
	free(t);
	/* the same workflow in a fork (another repository id, same name) */
	t = gh_token(k_rsa, TG_SIG_RS256, "e-2", NOW, NOW + 60, "2020", "777");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_OK(tg_entry_match(ca, att.selectors, att.n, &arena, &m, &nm, NULL));
	CHECK(nm == 0);
	free(t);
	/* the right repository, but another environment */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"iss\":\"" GH_ISS "\",\"aud\":\"" AUD "\",\"jti\":\"e-3\",\"iat\":%lld,"
		  "\"exp\":%lld,\"repository\":\"acme/app\",\"repository_owner_id\":\"2020\","
		  "\"repository_id\":\"424242\",\"ref\":\"refs/heads/main\","
		  "\"environment\":\"staging\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_OK(tg_entry_match(ca, att.selectors, att.n, &arena, &m, &nm, NULL));
	CHECK(nm == 0);
	free(t);
	ca_done(ca, dir);
}

/* The number of rows of table in the CA's database (a second handle). */
static long long rows(const char *dir, const char *table)
{
	char path[4096], sql[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	snprintf(path, sizeof(path), "%s/ca/identity.db", dir);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Replay rows live until the token expires (plus the skew and a margin
 * for lagging clocks), then the next attestation purges them. */
TEST(oidc_replay_purge)
{
	char *dir, msg[TG_DIAG_MSG_MAX];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_GITHUB, GH_ISS);
	char *t1, *t2, *t3;

	t1 = gh_token(k_rsa, TG_SIG_RS256, "p-1", NOW, NOW + 60, "2020", "1");
	t2 = gh_token(k_rsa, TG_SIG_RS256, "p-2", NOW + 100, NOW + 400, "2020", "1");
	t3 = gh_token(k_rsa, TG_SIG_RS256, "p-3", NOW + 1000, NOW + 1300, "2020", "1");
	CHECK_OK(attest(ca, t1, &c, NULL, msg));
	CHECK(rows(dir, "replay") == 1);
	/* 2 minutes later: t1 is expired, but its row stays (margin) */
	c.now.sec = NOW + 121;
	CHECK_OK(attest(ca, t2, &c, NULL, msg));
	CHECK(rows(dir, "replay") == 2);
	CHECK_ERR(attest(ca, t2, &c, NULL, msg), TG_E_DENIED);
	/* much later: t1's row goes, t2's (exp NOW + 400 + 61) too */
	c.now.sec = NOW + 1100;
	CHECK_OK(attest(ca, t3, &c, NULL, msg));
	CHECK(rows(dir, "replay") == 1);
	CHECK_ERR(attest(ca, t3, &c, NULL, msg), TG_E_DENIED);
	free(t1);
	free(t2);
	free(t3);
	ca_done(ca, dir);
}

/* Children racing to use one credential, each through its own database
 * handle: exactly one wins. use() returns the tg_err of one attempt. */
static int race(const char *cadir, tg_err (*use)(struct tg_ca *, const void *), const void *arg)
{
	enum { N = 6 };
	pid_t pids[N];
	int go[2], i, st, won = 0, lost = 0;
	char c;

	if (pipe(go) != 0)
		return -1;
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct tg_ca *ca = NULL;
			tg_err r;
			close(go[1]);
			if (tg_ca_open(cadir, &ca, NULL) != TG_OK)
				_exit(3);
			while (read(go[0], &c, 1) > 0) /* all start together */
				;
			r = use(ca, arg);
			tg_ca_close(ca);
			_exit(r == TG_OK ? 0 : r == TG_E_DENIED ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < N; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st))
			return -1;
		if (WEXITSTATUS(st) == 0)
			won++;
		else if (WEXITSTATUS(st) == 1)
			lost++;
		else
			fprintf(stderr, "  racer exit %d\n", WEXITSTATUS(st));
	}
	return won == 1 && lost == N - 1 ? 1 : -won - 100 * lost;
}

static tg_err race_oidc(struct tg_ca *ca, const void *tok)
{
	struct tg_oidc_config c = config(TG_OIDC_GITHUB, GH_ISS);
	struct tg_attestation att;
	return tg_attest_oidc(ca, tok, strlen(tok), &c, &arena, &att, NULL);
}

static tg_err race_join(struct tg_ca *ca, const void *tok)
{
	struct tg_time now = {NOW, 0};
	struct tg_attestation att;
	return tg_attest_join(ca, tok, strlen(tok), now, &arena, &att, NULL);
}

TEST(races)
{
	char *dir, cadir[4096];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_buf jt = TG_BUF_INIT(64);
	struct tg_time now = {NOW, 0};
	char *t;

	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	t = gh_token(k_rsa, TG_SIG_RS256, "race-1", NOW, NOW + 60, "2020", "1");
	CHECK(race(cadir, race_oidc, t) == 1);
	free(t);
	CHECK_OK(tg_join_token_create(ca, 60, NULL, now, &jt, NULL));
	CHECK(race(cadir, race_join, tg_buf_str(&jt)) == 1);
	tg_buf_release_wipe(&jt);
	ca_done(ca, dir);
}

/* ---- GitLab CI ---- */

TEST(oidc_gitlab)
{
	char *dir, msg[TG_DIAG_MSG_MAX];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_GITLAB, GL_ISS);
	struct tg_attestation att;
	char *t;

	/* claims as GitLab documents them ("ID token authentication"): ids
	 * and booleans are strings, runner_id a number */
	t = token(k_ec, TG_SIG_ES256,
		  "{\"namespace_id\":\"72\",\"namespace_path\":\"acme\",\"project_id\":\"28\","
		  "\"project_path\":\"acme/app\",\"user_id\":\"1\",\"user_login\":\"root\","
		  "\"user_email\":\"admin@example.com\",\"user_access_level\":\"owner\","
		  "\"pipeline_id\":\"455\",\"pipeline_source\":\"push\",\"job_id\":\"1123\","
		  "\"ref\":\"main\",\"ref_type\":\"branch\",\"ref_path\":\"refs/heads/main\","
		  "\"ref_protected\":\"true\",\"environment\":\"production\","
		  "\"environment_protected\":\"true\",\"deployment_tier\":\"production\","
		  "\"runner_id\":1,\"runner_environment\":\"self-hosted\","
		  "\"sha\":\"714a629c0b401fdce83e847fc9589983fc6f46bc\","
		  "\"ci_config_ref_uri\":"
		  "\"gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main\","
		  "\"project_visibility\":\"private\",\"groups_direct\":[\"acme\"],"
		  "\"jti\":\"63ab75f4-2606-4f0e-a500-86f90ab13a85\",\"iss\":\"" GL_ISS "\","
		  "\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,"
		  "\"sub\":\"project_path:acme/app:ref_type:branch:ref:main\",\"aud\":\"" AUD "\"}",
		  (long long)NOW - 5, (long long)NOW - 10, (long long)NOW + 3595);
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att),
		  "gitlab:ci_config_ref_uri:gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/"
		  "main gitlab:deployment_tier:production gitlab:environment:production "
		  "gitlab:environment_protected:true gitlab:iss:https://gitlab.example.com "
		  "gitlab:namespace_id:72 gitlab:namespace_path:acme gitlab:pipeline_source:push "
		  "gitlab:project_id:28 gitlab:project_path:acme/app gitlab:ref:main "
		  "gitlab:ref_path:refs/heads/main gitlab:ref_protected:true "
		  "gitlab:ref_type:branch "
		  "gitlab:runner_environment:self-hosted "
		  "gitlab:sha:714a629c0b401fdce83e847fc9589983fc6f46bc");
	CHECK_STR(att.subject, "gitlab project acme/app (id 28) ref main environment production "
			       "pipeline 455 job 1123");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_DENIED);
	free(t);
	/* booleans as JSON booleans, ids as numbers; no environment */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"project_id\":28,\"project_path\":\"acme/app\",\"ref\":\"v1\","
		  "\"ref_type\":\"tag\",\"ref_protected\":false,\"jti\":\"g-2\","
		  "\"iss\":\"" GL_ISS "\",\"iat\":%lld,\"exp\":%lld,\"aud\":[\"x\",\"" AUD "\"]}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att),
		  "gitlab:iss:https://gitlab.example.com gitlab:project_id:28 "
		  "gitlab:project_path:acme/app gitlab:ref:v1 gitlab:ref_protected:false "
		  "gitlab:ref_type:tag");
	free(t);
	/* ref_protected that is neither */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"project_id\":\"28\",\"project_path\":\"acme/app\",\"ref_protected\":\"yes\","
		  "\"jti\":\"g-3\",\"iss\":\"" GL_ISS "\",\"iat\":%lld,\"exp\":%lld,"
		  "\"aud\":\"" AUD "\"}",
		  (long long)NOW, (long long)NOW + 60);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	free(t);
	ca_done(ca, dir);
}

/* ---- Kubernetes ---- */

#define K8S_CLAIMS                                                                       \
	"{\"aud\":[\"" AUD "\"],\"exp\":%lld,\"iat\":%lld,\"nbf\":%lld,"                  \
	"\"iss\":\"" K8S_ISS "\",%s"                                                      \
	"\"kubernetes.io\":{\"namespace\":\"payments\","                                  \
	"\"node\":{\"name\":\"node-1\",\"uid\":\"4e5f0b4c-1a3d-4c7e-9b1f-2a6d8e0c5f11\"},"  \
	"\"pod\":{\"name\":\"api-7d9f8\",\"uid\":\"900f80ed-bafe-49f0-9ae2-c5f0a3ac2cbe\"}," \
	"\"serviceaccount\":{\"name\":\"api\","                                           \
	"\"uid\":\"a709ef71-30e2-489a-bd19-ade97031b9db\"}%s},"                              \
	"\"sub\":\"system:serviceaccount:payments:%s\"}"

TEST(oidc_kubernetes)
{
	char *dir, msg[TG_DIAG_MSG_MAX], wa[64];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_oidc_config c = config(TG_OIDC_KUBERNETES, K8S_ISS);
	struct tg_attestation att;
	char *t;
	static const char want[] =
		"k8s:iss:https://kubernetes.default.svc.cluster.local k8s:node-name:node-1 "
		"k8s:node-uid:4e5f0b4c-1a3d-4c7e-9b1f-2a6d8e0c5f11 k8s:ns:payments "
		"k8s:pod-name:api-7d9f8 k8s:pod-uid:900f80ed-bafe-49f0-9ae2-c5f0a3ac2cbe "
		"k8s:sa:api k8s:sa-uid:a709ef71-30e2-489a-bd19-ade97031b9db";

	/* a projected token (1 h, ES256) with a jti */
	t = token(k_ec, TG_SIG_ES256, K8S_CLAIMS, (long long)NOW + 3590, (long long)NOW - 10,
		  (long long)NOW - 10, "\"jti\":\"c6a4b9a2-8f1e-4b7a-9d3c-1e2f3a4b5c6d\",", "",
		  "api");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), want);
	CHECK_STR(att.subject, "k8s sa payments/api pod api-7d9f8");
	CHECK(att.flags == 0);
	free(t);
	/* no jti (older clusters): replays are caught by the token's hash */
	t = token(k_rsa, TG_SIG_RS256, K8S_CLAIMS, (long long)NOW + 3590, (long long)NOW - 10,
		  (long long)NOW - 10, "", "", "api");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), want);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_DENIED);
	free(t);
	/* the extended one-year legacy token, past its warnafter: still
	 * valid, but the attestation says so */
	snprintf(wa, sizeof(wa), ",\"warnafter\":%lld", (long long)NOW - 5);
	t = token(k_rsa, TG_SIG_RS256, K8S_CLAIMS, (long long)NOW + 365 * 86400,
		  (long long)NOW - 3000, (long long)NOW - 3000, "\"jti\":\"w-1\",", wa, "api");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK_STR(sels_text(&att), want);
	CHECK(att.flags == TG_ATTEST_F_PAST_WARNAFTER);
	CHECK(contains(att.subject, "past warnafter 2025-12-31T23:59:55Z"));
	free(t);
	/* ... and before its warnafter no flag */
	snprintf(wa, sizeof(wa), ",\"warnafter\":%lld", (long long)NOW + 600);
	t = token(k_rsa, TG_SIG_RS256, K8S_CLAIMS, (long long)NOW + 365 * 86400,
		  (long long)NOW - 3000, (long long)NOW - 3000, "\"jti\":\"w-2\",", wa, "api");
	CHECK_OK(attest(ca, t, &c, &att, msg));
	CHECK(att.flags == 0);
	free(t);
	/* sub naming another service account than the private claims */
	t = token(k_rsa, TG_SIG_RS256, K8S_CLAIMS, (long long)NOW + 600, (long long)NOW,
		  (long long)NOW, "\"jti\":\"w-3\",", "", "admin");
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "sub"));
	free(t);
	/* not a service account token at all */
	t = token(k_rsa, TG_SIG_RS256,
		  "{\"aud\":\"" AUD "\",\"exp\":%lld,\"iat\":%lld,\"iss\":\"" K8S_ISS "\","
		  "\"sub\":\"system:serviceaccount:payments:api\"}",
		  (long long)NOW + 600, (long long)NOW);
	CHECK_ERR(attest(ca, t, &c, NULL, msg), TG_E_CLAIM);
	CHECK(contains(msg, "kubernetes.io"));
	free(t);
	ca_done(ca, dir);
}

/* ---- the generic profile (mapping only, no signature needed) ---- */

TEST(oidc_generic)
{
	struct tg_attestation att;
	struct tg_time now = {NOW, 0};
	struct tg_diag d;

	CHECK_OK(tg_oidc_claims_selectors(
		TG_OIDC_GENERIC,
		json("{\"iss\":\"https://idp.example\",\"sub\":\"svc-42\",\"aud\":[\"a\",\"b\"],"
		     "\"exp\":1767229200,\"iat\":1767225600,\"nbf\":1767225600,\"jti\":\"x\","
		     "\"email_verified\":true,\"n\":1e3,\"f\":1.5,\"none\":null,\"empty\":\"\","
		     "\"groups\":[\"dev\",\"ops\",\"dev\",7,[\"nested\"],{\"o\":1}],"
		     "\"repositoryUuid\":\"{b}\","
		     "\"kubernetes.io\":{\"namespace\":\"ns1\",\"pod\":{\"name\":\"p\"}},"
		     "\"a\":{\"b\":{\"c\":{\"d\":\"deep\",\"e\":{\"f\":\"too deep\"}}}},"
		     "\"bad key\":\"skipped\",\"colon:key\":\"skipped\"}"),
		now, &arena, &att, NULL));
	CHECK_STR(sels_text(&att),
		  "oidc:a.b.c.d:deep oidc:aud:a oidc:aud:b oidc:email_verified:true oidc:f:1.5 "
		  "oidc:groups:7 oidc:groups:dev oidc:groups:ops oidc:iss:https://idp.example "
		  "oidc:kubernetes.io.namespace:ns1 oidc:kubernetes.io.pod.name:p oidc:n:1000 "
		  "oidc:repositoryUuid:{b} oidc:sub:svc-42");
	CHECK_STR(att.subject, "oidc https://idp.example sub svc-42");
	CHECK(att.expires.sec == 1767229200);
	/* a value with a line break anywhere rejects the token */
	tg_diag_init(&d);
	CHECK_ERR(tg_oidc_claims_selectors(TG_OIDC_GENERIC,
					   json("{\"iss\":\"https://idp.example\","
						"\"x\":{\"y\":[\"ok\",\"a\\u2028b\"]}}"),
					   now, &arena, &att, &d),
		  TG_E_CLAIM);
	CHECK(contains(d.msg, "x.y"));
	/* no iss: nothing to scope the claims by */
	CHECK_ERR(tg_oidc_claims_selectors(TG_OIDC_GENERIC, json("{\"sub\":\"a\"}"), now, &arena,
					   &att, NULL),
		  TG_E_CLAIM);
	CHECK_ERR(tg_oidc_claims_selectors(TG_OIDC_GENERIC, json("[1]"), now, &arena, &att, NULL),
		  TG_E_CLAIM);
}

/* ---- join tokens ---- */

/* True when the n bytes of needle occur in the file at path. */
static bool file_has(const char *path, const char *needle, size_t n)
{
	size_t len = 0;
	char *p;
	bool found;
	if (access(path, R_OK) != 0)
		return false;
	p = tg_test_read_file(path, &len);
	found = memmem(p, len, needle, n) != NULL;
	free(p);
	return found;
}

TEST(join_tokens)
{
	char *dir, path[4096], wal[4096], id[TG_JOIN_ID_LEN + 1], hex[65];
	struct tg_ca *ca = ca_new(&dir);
	struct tg_buf tok = TG_BUF_INIT(64), tok2 = TG_BUF_INIT(64), small = TG_BUF_INIT(8);
	struct tg_time now = {NOW, 0}, later = {NOW + 61, 0};
	struct tg_attestation att;
	struct tg_diag d;
	uint8_t digest[32];
	char bogus[44];

	CHECK_OK(tg_join_token_create(ca, 600, "node-7", now, &tok, NULL));
	CHECK(tok.len == 43); /* base64url of 32 bytes */
	CHECK(strspn(tg_buf_str(&tok), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_") == 43);
	/* the selector value: the first 32 hex digits of SHA-256(token text) */
	CHECK_OK(tg_hash(TG_SHA256, tok.data, tok.len, digest));
	tg_hex_encode_to(hex, digest, 32);
	CHECK_OK(tg_join_token_id(tg_buf_str(&tok), tok.len, id));
	CHECK(strlen(id) == TG_JOIN_ID_LEN && memcmp(id, hex, TG_JOIN_ID_LEN) == 0);

	/* only the hash is stored: the text is nowhere in the database files */
	snprintf(path, sizeof(path), "%s/ca/identity.db", dir);
	snprintf(wal, sizeof(wal), "%s/ca/identity.db-wal", dir);
	CHECK(!file_has(path, tg_buf_str(&tok), tok.len));
	CHECK(!file_has(wal, tg_buf_str(&tok), tok.len));
	CHECK(file_has(path, hex, 64) || file_has(wal, hex, 64));

	/* the first use attests, the second is refused */
	memset(&att, 0, sizeof(att));
	CHECK_OK(tg_attest_join(ca, tg_buf_str(&tok), tok.len, now, &arena, &att, NULL));
	CHECK(att.n == 2);
	if (att.n == 2) {
		CHECK_STR(att.selectors[0].type, "join");
		CHECK_STR(att.selectors[0].key, "token");
		CHECK_STR(att.selectors[0].value, id);
		CHECK_STR(att.selectors[1].key, "label");
		CHECK_STR(att.selectors[1].value, "node-7");
	}
	CHECK(att.expires.sec == NOW + 600);
	CHECK(contains(att.subject, id));
	tg_diag_init(&d);
	CHECK_ERR(tg_attest_join(ca, tg_buf_str(&tok), tok.len, now, &arena, &att, &d),
		  TG_E_DENIED);
	CHECK(contains(d.msg, "already used"));

	/* expiry: valid until now + ttl, not at it */
	CHECK_OK(tg_join_token_create(ca, 60, NULL, now, &tok2, NULL));
	tg_diag_init(&d);
	CHECK_ERR(tg_attest_join(ca, tg_buf_str(&tok2), tok2.len, later, &arena, &att, &d),
		  TG_E_EXPIRED);
	CHECK(contains(d.msg, "expired"));
	later.sec = NOW + 60;
	CHECK_ERR(tg_attest_join(ca, tg_buf_str(&tok2), tok2.len, later, &arena, &att, NULL),
		  TG_E_EXPIRED);
	later.sec = NOW + 59;
	memset(&att, 0, sizeof(att));
	CHECK_OK(tg_attest_join(ca, tg_buf_str(&tok2), tok2.len, later, &arena, &att, NULL));
	CHECK(att.n == 1); /* no label */

	/* a wrong token of the right shape, and malformed ones */
	memcpy(bogus, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44);
	tg_diag_init(&d);
	CHECK_ERR(tg_attest_join(ca, bogus, 43, now, &arena, &att, &d), TG_E_DENIED);
	CHECK(contains(d.msg, "unknown"));
	CHECK_ERR(tg_attest_join(ca, bogus, 42, now, &arena, &att, NULL), TG_E_PARSE);
	bogus[42] = 'B'; /* non-zero unused bits: not the canonical encoding */
	CHECK_ERR(tg_attest_join(ca, bogus, 43, now, &arena, &att, NULL), TG_E_PARSE);
	bogus[42] = '=';
	CHECK_ERR(tg_attest_join(ca, bogus, 43, now, &arena, &att, NULL), TG_E_PARSE);

	/* creation limits */
	CHECK_ERR(tg_join_token_create(ca, 0, NULL, now, &tok2, NULL), TG_E_RANGE);
	CHECK_ERR(tg_join_token_create(ca, TG_JOIN_TOKEN_TTL_MAX + 1, NULL, now, &tok2, NULL),
		  TG_E_RANGE);
	CHECK_ERR(tg_join_token_create(ca, 60, "a\nb", now, &tok2, NULL), TG_E_INVAL);
	CHECK_ERR(tg_join_token_create(ca, 60, "", now, &tok2, NULL), TG_E_INVAL);
	CHECK_ERR(tg_join_token_create(ca, 60, NULL, now, &small, NULL), TG_E_TOOBIG);
	CHECK(small.len == 0);

	tg_buf_release_wipe(&tok);
	tg_buf_release_wipe(&tok2);
	tg_buf_release(&small);
	ca_done(ca, dir);
}

/* ---- Unix peers ---- */

static const char *self_exe(void)
{
	static char p[PATH_MAX + 1];
	ssize_t n = readlink("/proc/self/exe", p, PATH_MAX);
	if (n <= 0)
		exit(2);
	p[n] = '\0';
	return p;
}

/* unix:gid, unix:path, unix:sha256, unix:uid of this very process, with
 * the hash computed independently from the path. */
static void check_self(const struct tg_attestation *att)
{
	uint8_t digest[32];
	char hex[65], want[PATH_MAX + 256];
	CHECK_OK(tg_hash_file(TG_SHA256, self_exe(), digest, NULL));
	tg_hex_encode_to(hex, digest, 32);
	snprintf(want, sizeof(want), "unix:gid:%lu unix:path:%s unix:sha256:%s unix:uid:%lu",
		 (unsigned long)getgid(), self_exe(), hex, (unsigned long)getuid());
	{
		/* the attestation's order is its own; compare sorted */
		struct tg_attestation s = *att;
		struct tg_selector v[8];
		size_t i, j;
		CHECK(s.n == 4);
		if (s.n != 4)
			return;
		memcpy(v, s.selectors, 4 * sizeof(v[0]));
		for (i = 0; i < 4; i++)
			for (j = i + 1; j < 4; j++)
				if (strcmp(v[j].key, v[i].key) < 0) {
					struct tg_selector x = v[i];
					v[i] = v[j];
					v[j] = x;
				}
		s.selectors = v;
		CHECK_STR(sels_text(&s), want);
	}
}

TEST(unix_self)
{
	int sv[2], p[2];
	struct tg_attestation att;
	struct tg_diag d;
	char want[64];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(&att, 0, sizeof(att));
	tg_diag_init(&d);
	CHECK_OK(tg_attest_unix(sv[0], &arena, &att, &d));
	if (d.msg[0])
		fprintf(stderr, "  %s\n", d.msg);
	check_self(&att);
	snprintf(want, sizeof(want), "unix pid %ld uid ", (long)getpid());
	CHECK(contains(att.subject, want));
	CHECK(att.expires.sec == 0);
	close(sv[0]);
	close(sv[1]);

	/* not a Unix socket */
	CHECK(pipe(p) == 0);
	CHECK_ERR(tg_attest_unix(p[0], &arena, &att, NULL), TG_E_INVAL);
	close(p[0]);
	close(p[1]);
	CHECK_ERR(tg_attest_unix(-1, &arena, &att, NULL), TG_E_INVAL);
}

/* A child connects to a listening socket: attested while it lives, and
 * refused once it has exited and been reaped. */
TEST(unix_child)
{
	char *dir = tmpdir(), sock[4096];
	struct sockaddr_un sa;
	struct tg_attestation att;
	struct tg_diag d;
	int ls, cs, go[2], st = 0;
	char c = 0, want[64];
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sock, sizeof(sock), "%s/s", dir);
	CHECK(strlen(sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(ls, 4) == 0);
	CHECK(pipe(go) == 0);
	pid = fork();
	if (pid == 0) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(1);
		close(go[1]);
		/* wait until the parent says go (it closes its end) */
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	cs = accept(ls, NULL, NULL);
	CHECK(cs >= 0);
	memset(&att, 0, sizeof(att));
	tg_diag_init(&d);
	CHECK_OK(tg_attest_unix(cs, &arena, &att, &d));
	if (d.msg[0])
		fprintf(stderr, "  %s\n", d.msg);
	check_self(&att); /* the child runs the same executable */
	snprintf(want, sizeof(want), "unix pid %ld uid ", (long)pid);
	CHECK(contains(att.subject, want));

	close(go[1]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tg_diag_init(&d);
	CHECK_ERR(tg_attest_unix(cs, &arena, &att, &d), TG_E_DENIED);
	fprintf(stderr, "  after exit: %s\n", d.msg);
	close(cs);
	close(ls);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	tg_arena_init(&arena, TG_LIMIT_ARENA_DEFAULT);
	k_rsa = gen(TG_KEY_RSA, 2048, "rsa-1");
	k_ec = gen(TG_KEY_EC_P256, 0, "ec-1");
	k_rogue = gen(TG_KEY_RSA, 2048, "rsa-1");
	jwks_of((struct tg_key *const[]){k_rsa, k_ec}, 2, &jwks);

	RUN(oidc_github);
	RUN(oidc_rejections);
	RUN(oidc_entries);
	RUN(oidc_replay_purge);
	RUN(races);
	RUN(oidc_gitlab);
	RUN(oidc_kubernetes);
	RUN(oidc_generic);
	RUN(join_tokens);
	RUN(unix_self);
	RUN(unix_child);

	tg_jwks_release(&jwks);
	tg_key_free(k_rsa);
	tg_key_free(k_ec);
	tg_key_free(k_rogue);
	tg_arena_release(&arena);
	return tg_test_done();
}
