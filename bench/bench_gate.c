/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_gate.c - deployment gate figures: decision latency (p50, p99)
 * cold (full verification of a signature and a provenance bundle) and
 * warm (cached), the bare tg_sign_verify of the same two bundles as the
 * floor, and AdmissionReviews per second for a 3-container Deployment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/mem.h"
#include "gate/gate.h"

#define GH_ISS "https://token.actions.githubusercontent.com"
#define GH_SAN "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
#define NART 3

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, tg_err r, const struct tg_diag *d)
{
	fprintf(stderr, "bench_gate: %s: %s\n", what, d && d->msg[0] ? d->msg : tg_strerror(r));
	exit(1);
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *v, size_t n)
{
	double sum = 0;
	size_t i;
	qsort(v, n, sizeof(*v), dcmp);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("%s n=%zu p50_us=%.1f p99_us=%.1f mean_us=%.1f\n", name, n, v[n / 2] * 1e6,
	       v[(n * 99) / 100] * 1e6, sum / (double)n * 1e6);
	fflush(stdout);
}

struct art {
	uint8_t digest[32];
	struct tg_buf sig, prov;
};

static void sign_all(struct tg_signer *s, struct art *arts)
{
	struct tg_sign_identity id;
	struct tg_diag d;
	size_t i;
	tg_err r;

	memset(&id, 0, sizeof(id));
	snprintf(id.san, sizeof(id.san), "%s", GH_SAN);
	snprintf(id.issuer, sizeof(id.issuer), "%s", GH_ISS);
	snprintf(id.repo_uri, sizeof(id.repo_uri), "https://github.com/acme/app");
	snprintf(id.repo_digest, sizeof(id.repo_digest), "0123456789abcdef0123456789abcdef01234567");
	snprintf(id.ref, sizeof(id.ref), "refs/heads/main");
	snprintf(id.builder_id, sizeof(id.builder_id), "%s", GH_SAN);
	tg_diag_init(&d);
	for (i = 0; i < NART; i++) {
		char body[64];
		struct tg_sign_input in;
		struct tg_arena a;
		const struct tg_json *pred = NULL;
		struct tg_buf st = TG_BUF_INIT(1 << 20);
		int n = snprintf(body, sizeof(body), "artifact %zu\n", i);
		tg_buf_init(&arts[i].sig, 1 << 20);
		tg_buf_init(&arts[i].prov, 1 << 20);
		if ((r = tg_hash(TG_SHA256, body, (size_t)n, arts[i].digest)) != TG_OK)
			die("hash", r, NULL);
		memset(&in, 0, sizeof(in));
		in.artifact = (const uint8_t *)body;
		in.artifact_len = (size_t)n;
		if ((r = tg_signer_sign(s, &id, &in, tg_time_now(), &arts[i].sig, &d)) != TG_OK)
			die("sign", r, &d);
		tg_arena_init(&a, 1 << 22);
		if ((r = tg_slsa_provenance(&id, &a, &pred)) != TG_OK ||
		    (r = tg_intoto_statement("app", arts[i].digest, TG_GATE_SLSA_V1, pred, &st)) != TG_OK)
			die("provenance", r, NULL);
		memset(&in, 0, sizeof(in));
		in.payload_type = "application/vnd.in-toto+json";
		in.payload = st.data;
		in.payload_len = st.len;
		if ((r = tg_signer_sign(s, &id, &in, tg_time_now(), &arts[i].prov, &d)) != TG_OK)
			die("sign provenance", r, &d);
		tg_buf_release(&st);
		tg_arena_release(&a);
	}
}

static struct tg_gate *gate_new(const struct tg_buf *root, int64_t ttl)
{
	struct tg_sign_trustroot tr;
	struct tg_gate_options o;
	struct tg_gate *g = NULL;
	struct tg_diag d;
	tg_err r;
	memset(&o, 0, sizeof(o));
	o.cache_ttl = ttl;
	tg_diag_init(&d);
	if ((r = tg_sign_trustroot_parse((const char *)root->data, root->len, &tr, &d)) != TG_OK)
		die("trusted root", r, &d);
	if ((r = tg_gate_new(&tr, &o, &g)) != TG_OK)
		die("gate", r, NULL);
	return g;
}

static const char config[] =
	"{\"tollgate\":{\"gate\":{\"config\":{"
	"\"signers\":[{\"identity\":\"" GH_SAN "\",\"issuer\":\"" GH_ISS "\"}],"
	"\"builders\":[{\"id\":\"" GH_SAN "\"}],"
	"\"sources\":[{\"repository\":\"https://github.com/acme/app\"}],"
	"\"max_age_seconds\":86400}}}}";

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 2.0, t0, t;
	struct art arts[NART];
	struct tg_signer *s = NULL;
	struct tg_buf root = TG_BUF_INIT(1 << 20), review = TG_BUF_INIT(1 << 20);
	struct tg_gate_policy *p = NULL;
	struct tg_gate_index *ix = NULL;
	struct tg_gate_evidence ev[2];
	struct tg_diag d;
	double *lat;
	size_t n, i, cap = 1 << 20;
	tg_err r;

	if (!dir || secs <= 0) {
		fprintf(stderr, "usage: bench_gate DIR [SECONDS]\n");
		return 2;
	}
	tg_diag_init(&d);
	if ((r = tg_signer_init(dir, "sign.example.test", tg_time_now(), &d)) != TG_OK ||
	    (r = tg_signer_open(dir, &s, &d)) != TG_OK || (r = tg_signer_trust_root(s, &root)) != TG_OK)
		die("signer", r, &d);
	sign_all(s, arts);
	if ((r = tg_gate_policy_default(config, strlen(config), &p, &d)) != TG_OK)
		die("policy", r, &d);
	lat = tg_xcalloc(cap, sizeof(*lat));
	memset(ev, 0, sizeof(ev));
	ev[0].name = "sig";
	ev[0].data = arts[0].sig.data;
	ev[0].len = arts[0].sig.len;
	ev[1].name = "prov";
	ev[1].data = arts[0].prov.data;
	ev[1].len = arts[0].prov.len;

	/* floor: parse and verify the two bundles, nothing else */
	{
		struct tg_sign_trustroot tr;
		if ((r = tg_sign_trustroot_parse((const char *)root.data, root.len, &tr, &d)) != TG_OK)
			die("trusted root", r, &d);
		for (n = 0, t0 = now_s(); (t = now_s()) - t0 < secs && n < cap; n++) {
			double a = now_s();
			for (i = 0; i < 2; i++) {
				struct tg_sign_bundle b;
				struct tg_sign_artifact art;
				struct tg_sign_policy pol;
				struct tg_sign_result res;
				memset(&art, 0, sizeof(art));
				memset(&pol, 0, sizeof(pol));
				art.alg = TG_SHA256;
				memcpy(art.digest, arts[0].digest, 32);
				if ((r = tg_sign_bundle_parse((const char *)ev[i].data, ev[i].len, &b, &d)) != TG_OK ||
				    (r = tg_sign_verify(&b, &art, &tr, &pol, &res, &d)) != TG_OK)
					die("verify", r, &d);
				tg_sign_bundle_release(&b);
			}
			lat[n] = now_s() - a;
		}
		report("verify_only", lat, n);
		tg_sign_trustroot_release(&tr);
	}

	/* cold: no cache, every decision verifies both bundles */
	{
		struct tg_gate *g = gate_new(&root, -1);
		for (n = 0, t0 = now_s(); (t = now_s()) - t0 < secs && n < cap; n++) {
			struct tg_gate_decision dec;
			double a = now_s();
			if ((r = tg_gate_decide(g, p, arts[0].digest, ev, 2, NULL, tg_time_now(), &dec, &d)) != TG_OK)
				die("decide", r, &d);
			lat[n] = now_s() - a;
			if (!dec.allow)
				die("decide", TG_E_DENIED, NULL);
			tg_gate_decision_release(&dec);
		}
		report("decide_cold", lat, n);
		tg_gate_free(g);
	}

	/* warm: the verification results come from the cache */
	{
		struct tg_gate *g = gate_new(&root, 0);
		for (n = 0, t0 = now_s(); (t = now_s()) - t0 < secs && n < cap; n++) {
			struct tg_gate_decision dec;
			double a = now_s();
			if ((r = tg_gate_decide(g, p, arts[0].digest, ev, 2, NULL, tg_time_now(), &dec, &d)) != TG_OK)
				die("decide", r, &d);
			lat[n] = now_s() - a;
			if (!dec.allow || (n > 0 && !dec.cached))
				die("warm decide", TG_E_STATE, NULL);
			tg_gate_decision_release(&dec);
		}
		report("decide_warm", lat + 1, n - 1);
		tg_gate_free(g);
	}

	/* admission: a Deployment with three containers, three artifacts */
	{
		char hex[NART][65];
		struct tg_gate_admission cfg;
		int pass;
		if (tg_gate_index_new(&ix) != TG_OK)
			die("index", TG_E_INTERNAL, NULL);
		for (i = 0; i < NART; i++) {
			tg_hex_encode_to(hex[i], arts[i].digest, 32);
			if ((r = tg_gate_index_add(ix, "sig", arts[i].sig.data, arts[i].sig.len, &d)) != TG_OK ||
			    (r = tg_gate_index_add(ix, "prov", arts[i].prov.data, arts[i].prov.len, &d)) != TG_OK)
				die("index add", r, &d);
		}
		if ((r = tg_buf_addf(&review,
				     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
				     "\"request\":{\"uid\":\"705ab4f5-6393-11e8-b7cc-42010a800002\",\"kind\":"
				     "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
				     "\"name\":\"web\",\"namespace\":\"prod\",\"operation\":\"CREATE\","
				     "\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
				     "\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":3,\"template\":"
				     "{\"spec\":{\"containers\":["
				     "{\"name\":\"web\",\"image\":\"ghcr.io/acme/web@sha256:%s\"},"
				     "{\"name\":\"api\",\"image\":\"ghcr.io/acme/api@sha256:%s\"},"
				     "{\"name\":\"proxy\",\"image\":\"ghcr.io/acme/proxy@sha256:%s\"}]}}}}}}",
				     hex[0], hex[1], hex[2])) != TG_OK)
			die("review", r, NULL);
		for (pass = 0; pass < 2; pass++) {
			struct tg_gate *g = gate_new(&root, pass == 0 ? -1 : 0);
			memset(&cfg, 0, sizeof(cfg));
			cfg.gate = g;
			cfg.policy = p;
			cfg.mode = TG_GATE_ENFORCE;
			cfg.lookup = tg_gate_index_lookup;
			cfg.lookup_ctx = ix;
			for (n = 0, t0 = now_s(); (t = now_s()) - t0 < secs && n < cap; n++) {
				struct tg_gate_review rv;
				double a = now_s();
				if ((r = tg_gate_admission_review(&cfg, (const char *)review.data, review.len,
								  tg_time_now(), &rv, &d)) != TG_OK)
					die("review", r, &d);
				lat[n] = now_s() - a;
				if (!rv.allowed || rv.nimages != 3)
					die("review denied", TG_E_DENIED, NULL);
				tg_gate_review_release(&rv);
			}
			printf("admission_%s n=%zu seconds=%.2f rate=%.0f\n", pass ? "warm" : "cold", n,
			       t - t0, (double)n / (t - t0));
			report(pass ? "admission_warm_latency" : "admission_cold_latency", lat, n);
			tg_gate_free(g);
		}
	}
	tg_gate_index_free(ix);
	tg_gate_policy_free(p);
	for (i = 0; i < NART; i++) {
		tg_buf_release(&arts[i].sig);
		tg_buf_release(&arts[i].prov);
	}
	tg_buf_release(&root);
	tg_buf_release(&review);
	tg_signer_close(s);
	free(lat);
	return 0;
}
