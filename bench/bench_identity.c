/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_identity.c - workload identity figures: JWT-SVID issue and verify
 * rates, X509-SVID issue rate (with a given key, and with a fresh P-256 key
 * as attest does) and verify rate, and the disk's fdatasync rate (issuing
 * commits an audit row). bench/identity.sh sets them against OpenSSL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "identity/identity.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, tg_err r, const struct tg_diag *d)
{
	fprintf(stderr, "bench_identity: %s: %s\n", what, d->msg[0] ? d->msg : tg_strerror(r));
	exit(1);
}

static void report(const char *name, const char *kt, unsigned long n, double secs)
{
	printf("%s kt=%s n=%lu seconds=%.2f rate=%.0f\n", name, kt, n, secs, (double)n / secs);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[1] : NULL, *ktn = argc > 2 ? argv[2] : NULL;
	double secs = argc > 3 ? strtod(argv[3], NULL) : 2.0, t0, t;
	const char *aud[] = {"bench.example.org"};
	enum tg_key_type kt;
	struct tg_bundle_set set = {NULL, 0};
	struct tg_x509_list chain = {NULL, 0};
	struct tg_buf tok = TG_BUF_INIT(1 << 16);
	struct tg_spiffe_id id, got;
	struct tg_key *key = NULL, *k2 = NULL;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	unsigned long n;
	tg_err r;

	if (!dir || !ktn || secs <= 0) {
		fprintf(stderr, "usage: bench_identity DIR ecdsa-p256|ecdsa-p384 [SECONDS]\n");
		return 2;
	}
	kt = strcmp(ktn, "ecdsa-p384") == 0 ? TG_KEY_EC_P384 : TG_KEY_EC_P256;
	tg_diag_init(&d);
	r = tg_ca_init(dir, "bench.example.org", kt, tg_time_now(), &d);
	if (r != TG_OK)
		die("ca init", r, &d);
	r = tg_ca_open(dir, &ca, &d);
	if (r != TG_OK)
		die("ca open", r, &d);
	r = tg_spiffe_id_from("bench.example.org", "/ns/ci/sa/builder", &id, &d);
	if (r != TG_OK)
		die("spiffe id", r, &d);
	r = tg_ca_bundles(ca, &set);
	if (r != TG_OK)
		die("bundles", r, &d);

	/* JWT-SVID issue: one signature plus the audit row of its jti */
	for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
		tg_buf_reset(&tok);
		r = tg_ca_issue_jwt(ca, &id, aud, 1, 0, tg_time_now(), TG_SIG_NONE, &tok, &d);
		if (r != TG_OK)
			die("issue jwt", r, &d);
	}
	report("jwt_issue", ktn, n, t - t0);

	/* JWT-SVID verify: what a relying party pays per request */
	for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
		struct tg_arena a;
		tg_arena_init(&a, 1 << 20);
		r = tg_jwt_svid_verify(tg_buf_str(&tok), tok.len, &set, aud[0], tg_time_now(), NULL,
				       &a, &got, NULL, &d);
		tg_arena_release(&a);
		if (r != TG_OK)
			die("verify jwt", r, &d);
	}
	report("jwt_verify", ktn, n, t - t0);

	/* X509-SVID issue over a given key (the Workload API's rotation with
	 * a key made ahead), then with a fresh P-256 key each (attest) */
	r = tg_key_generate(TG_KEY_EC_P256, 0, &key);
	if (r != TG_OK)
		die("key", r, &d);
	for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
		tg_x509_list_release(&chain);
		r = tg_ca_issue_x509(ca, &id, key, 0, tg_time_now(), &chain, &d);
		if (r != TG_OK)
			die("issue x509", r, &d);
	}
	report("x509_issue", ktn, n, t - t0);
	for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
		tg_x509_list_release(&chain);
		tg_key_free(k2);
		k2 = NULL;
		r = tg_key_generate(TG_KEY_EC_P256, 0, &k2);
		if (r == TG_OK)
			r = tg_ca_issue_x509(ca, &id, k2, 0, tg_time_now(), &chain, &d);
		if (r != TG_OK)
			die("issue x509 with a new key", r, &d);
	}
	report("x509_issue_keygen", ktn, n, t - t0);

	/* X509-SVID verify: leaf rules and the chain to the root */
	for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
		r = tg_x509_svid_verify(chain.certs[0], (const struct tg_x509 *const *)chain.certs + 1,
					chain.count - 1, &set, tg_time_now(), NULL, &got, &d);
		if (r != TG_OK)
			die("verify x509", r, &d);
	}
	report("x509_verify", ktn, n, t - t0);

	/* The durable-write ceiling of this disk: issuing records each SVID
	 * in the CA's database, one synchronous commit per SVID. */
	{
		char path[4096];
		char rec[64];
		int fd;
		memset(rec, 'x', sizeof(rec));
		if (snprintf(path, sizeof(path), "%s/fsync.bench", dir) >= (int)sizeof(path))
			return 1;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return 1;
		for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++)
			if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || fdatasync(fd) != 0)
				break;
		close(fd);
		unlink(path);
		report("fdatasync", ktn, n, t - t0);
	}

	tg_x509_list_release(&chain);
	tg_key_free(key);
	tg_key_free(k2);
	tg_bundle_set_release(&set);
	tg_buf_release(&tok);
	tg_ca_close(ca);
	return 0;
}
