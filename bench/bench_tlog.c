/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_tlog.c - transparency log figures: durable append throughput
 * (batches and concurrent submitters), proof generation and verification
 * latency, checkpoint signing rate. bench/tlog.sh prints them next to peers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "tlog/tlog.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct worker {
	struct tg_tlog_seq *seq;
	double until;
	uint64_t done;
	size_t size;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t e[1024];
	uint64_t idx;
	memset(e, 'x', sizeof(e));
	while (now() < w->until) {
		memcpy(e, &w->done, sizeof(w->done));
		if (tg_tlog_seq_submit(w->seq, e, w->size, &idx) != TG_OK)
			break;
		w->done++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	size_t esize = 256, batch = 4096, i;
	unsigned threads = 64;
	struct tg_buf vkey = TG_BUF_INIT(4096);
	struct tg_tlog *log = NULL;
	struct tg_diag d;
	uint8_t **entries;
	size_t *lens;
	double t0, t1, secs;
	uint64_t total = 0, first;

	if (!dir) {
		fprintf(stderr, "usage: bench_tlog DIR\n");
		return 2;
	}
	tg_diag_init(&d);
	if (tg_tlog_create(dir, "bench.tollgate/log", NULL, &vkey, &d) != TG_OK ||
	    tg_tlog_open(dir, TG_TLOG_APPEND, &log, &d) != TG_OK) {
		fprintf(stderr, "bench_tlog: %s\n", d.msg);
		return 1;
	}

	/* 1. one writer, batches of 4096 entries of 256 bytes */
	entries = tg_xcalloc(batch, sizeof(*entries));
	lens = tg_xcalloc(batch, sizeof(*lens));
	for (i = 0; i < batch; i++) {
		entries[i] = tg_xmalloc(esize);
		memset(entries[i], 'a' + (int)(i % 26), esize);
		lens[i] = esize;
	}
	t0 = now();
	do {
		for (i = 0; i < batch; i++)
			memcpy(entries[i], &total, sizeof(total));
		if (tg_tlog_append(log, (const uint8_t *const *)entries, lens, batch, &first, &d) !=
		    TG_OK) {
			fprintf(stderr, "bench_tlog: %s\n", d.msg);
			return 1;
		}
		total += batch;
		t1 = now();
	} while (t1 - t0 < 5.0);
	secs = t1 - t0;
	printf("append_batch entries=%llu seconds=%.2f rate=%.0f batch=%zu size=%zu\n",
	       (unsigned long long)total, secs, (double)total / secs, batch, esize);

	/* 2. concurrent submitters through the sequencer */
	{
		struct tg_tlog_seq *seq = NULL;
		struct worker *w = tg_xcalloc(threads, sizeof(*w));
		pthread_t *th = tg_xcalloc(threads, sizeof(*th));
		uint64_t sum = 0, batches = 0, ents = 0;
		if (tg_tlog_seq_start(log, 8192, &seq) != TG_OK)
			return 1;
		t0 = now();
		for (i = 0; i < threads; i++) {
			w[i].seq = seq;
			w[i].until = t0 + 5.0;
			w[i].size = esize;
			pthread_create(&th[i], NULL, worker_main, &w[i]);
		}
		for (i = 0; i < threads; i++) {
			pthread_join(th[i], NULL);
			sum += w[i].done;
		}
		secs = now() - t0;
		tg_tlog_seq_stats(seq, &batches, &ents);
		tg_tlog_seq_stop(seq);
		printf("append_concurrent submitters=%u entries=%llu seconds=%.2f rate=%.0f "
		       "batches=%llu latency_ms=%.2f\n",
		       threads, (unsigned long long)sum, secs, (double)sum / secs,
		       (unsigned long long)batches, batches ? secs * 1000.0 / (double)batches : 0.0);
		free(w);
		free(th);
	}

	/* 3. proofs from the tiles on disk (read-only open, as `log prove`) */
	{
		struct tg_tlog *rd = NULL;
		struct tg_tlog_nodes src;
		uint64_t size;
		uint8_t root[32], leaf[32];
		double *gen, *ver;
		const int N = 2000;
		struct tg_buf e = TG_BUF_INIT(2048);
		tg_tlog_close(log);
		log = NULL;
		if (tg_tlog_open(dir, TG_TLOG_READ, &rd, &d) != TG_OK)
			return 1;
		src = tg_tlog_nodes(rd);
		size = tg_tlog_size(rd);
		if (tg_tlog_root(&src, size, root) != TG_OK)
			return 1;
		gen = tg_xcalloc((size_t)N, sizeof(double));
		ver = tg_xcalloc((size_t)N, sizeof(double));
		uint64_t rs = 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < (size_t)N; i++) {
			struct tg_tlog_proof p;
			uint64_t idx;
			rs ^= rs >> 12; /* xorshift64*: an even spread of indices */
			rs ^= rs << 25;
			rs ^= rs >> 27;
			idx = rs * 0x2545f4914f6cdd1dULL % size;
			tg_buf_reset(&e);
			if (tg_tlog_entry(rd, idx, &e, NULL) != TG_OK)
				return 1;
			tg_tlog_leaf_hash(e.data, e.len, leaf);
			t0 = now();
			if (tg_tlog_prove_inclusion(&src, idx, size, &p) != TG_OK)
				return 1;
			t1 = now();
			if (tg_tlog_verify_inclusion(idx, size, leaf, &p, root) != TG_OK)
				return 1;
			gen[i] = (t1 - t0) * 1e6;
			ver[i] = (now() - t1) * 1e6;
		}
		qsort(gen, (size_t)N, sizeof(double), cmp_double);
		qsort(ver, (size_t)N, sizeof(double), cmp_double);
		printf("proof_inclusion tree=%llu gen_p50_us=%.1f gen_p99_us=%.1f verify_p50_us=%.1f "
		       "verify_p99_us=%.1f\n",
		       (unsigned long long)size, gen[N / 2], gen[N * 99 / 100], ver[N / 2],
		       ver[N * 99 / 100]);
		free(gen);
		free(ver);
		tg_buf_release(&e);

		/* 4. checkpoint signing rate */
		{
			struct tg_checkpoint c;
			struct tg_buf text = TG_BUF_INIT(4096), line = TG_BUF_INIT(4096);
			struct tg_key *k = NULL;
			struct tg_note_key nk;
			int count = 0;
			memset(&c, 0, sizeof(c));
			snprintf(c.origin, sizeof(c.origin), "bench.tollgate/log");
			c.size = size;
			memcpy(c.root, root, 32);
			if (tg_checkpoint_text(&c, &text) != TG_OK ||
			    tg_key_generate(TG_KEY_ED25519, 0, &k) != TG_OK ||
			    tg_note_key_from(c.origin, TG_NOTE_ED25519, k, &nk, NULL) != TG_OK)
				return 1;
			t0 = now();
			do {
				tg_buf_reset(&line);
				if (tg_note_sign_line(&nk, (const char *)text.data, text.len, 0, &line) !=
				    TG_OK)
					return 1;
				count++;
			} while ((t1 = now()) - t0 < 2.0);
			printf("checkpoint_sign rate=%.0f\n", count / (t1 - t0));
			tg_note_key_release(&nk);
			tg_key_free(k);
			tg_buf_release(&text);
			tg_buf_release(&line);
		}
		tg_tlog_close(rd);
	}
	for (i = 0; i < batch; i++)
		free(entries[i]);
	free(entries);
	free(lens);
	tg_buf_release(&vkey);
	return 0;
}
