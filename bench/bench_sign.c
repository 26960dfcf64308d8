/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_sign.c - warm in-process bundle verification rate: the trusted root
 * and the SAN regex made once, then per iteration the bundle parsed and
 * verified, as bench/sign.sh's @sigstore/verify loop does. Usage:
 * bench_sign ROOT BUNDLE ARTIFACT SAN_REGEX ISSUER [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sign/sign.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(p = malloc((size_t)len + 1)) || fread(p, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "bench_sign: cannot read '%s'\n", path);
		exit(1);
	}
	fclose(f);
	p[len] = '\0';
	*n = (size_t)len;
	return p;
}

/* One verification of the bundle's JSON text; exits on failure. */
static void verify_once(const struct tg_sign_trustroot *tr, const char *bundle, size_t bn,
			const struct tg_sign_artifact *art, const struct tg_sign_policy *pol)
{
	struct tg_sign_bundle b;
	struct tg_sign_result res;
	struct tg_diag d;
	tg_err r;

	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	r = tg_sign_bundle_parse(bundle, bn, &b, &d);
	if (r == TG_OK)
		r = tg_sign_verify(&b, art, tr, pol, &res, &d);
	tg_sign_bundle_release(&b);
	if (r != TG_OK) {
		fprintf(stderr, "bench_sign: verification failed: %s\n",
			d.msg[0] ? d.msg : tg_strerror(r));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct tg_sign_artifact art;
	struct tg_sign_policy pol;
	struct tg_sign_trustroot tr;
	struct tg_sign_regex *re = NULL;
	struct tg_diag d;
	size_t rn, bn, an;
	char *root, *bundle, *data;
	double secs, t0, t;
	unsigned long n = 0, iters = 0;
	/* exactly N iterations: a fixed amount of work, for instruction
	 * counts under callgrind */
	const char *env = getenv("BENCH_ITERATIONS");

	if (argc < 6) {
		fprintf(stderr,
			"usage: bench_sign ROOT.json BUNDLE.json ARTIFACT SAN_REGEX ISSUER [SECONDS]\n"
			"  BENCH_ITERATIONS=N runs exactly N iterations instead\n");
		return 2;
	}
	secs = argc > 6 ? strtod(argv[6], NULL) : 2.0;
	if (env && *env)
		iters = strtoul(env, NULL, 10);
	root = slurp(argv[1], &rn);
	bundle = slurp(argv[2], &bn);
	data = slurp(argv[3], &an);
	memset(&art, 0, sizeof(art));
	art.data = (const uint8_t *)data;
	art.len = an;
	memset(&pol, 0, sizeof(pol));
	pol.identity_regex = argv[4];
	pol.issuer = argv[5];
	pol.now = tg_time_now();

	memset(&tr, 0, sizeof(tr));
	tg_diag_init(&d);
	if (tg_sign_regex_compile(argv[4], &re, &d) != TG_OK) {
		fprintf(stderr, "bench_sign: %s\n", d.msg);
		return 2;
	}
	pol.identity_re = re;
	if (tg_sign_trustroot_parse(root, rn, &tr, &d) != TG_OK) {
		fprintf(stderr, "bench_sign: trusted root: %s\n", d.msg);
		tg_sign_regex_free(re);
		return 1;
	}
	verify_once(&tr, bundle, bn, &art, &pol); /* warm-up, and a check */
	t0 = now();
	do {
		verify_once(&tr, bundle, bn, &art, &pol);
		n++;
		t = now();
	} while (iters ? n < iters : t - t0 < secs);
	printf("verify n=%lu seconds=%.2f rate=%.1f\n", n, t - t0, (double)n / (t - t0));
	tg_sign_trustroot_release(&tr);
	tg_sign_regex_free(re);
	free(root);
	free(bundle);
	free(data);
	return 0;
}
