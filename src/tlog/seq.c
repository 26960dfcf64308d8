/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seq.c - the sequencer: concurrent submitters queue entries, one thread
 * appends them in batches and wakes each submitter once its entry is durable.
 */
#include "tlog/tlog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct req {
	const void *entry;
	size_t len;
	uint64_t index;
	tg_err err;
	bool done;
};

struct tg_tlog_seq {
	struct tg_tlog *log;
	size_t max_batch;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;     /* the sequencer: work arrived or stop */
	pthread_cond_t done;     /* submitters: a batch finished */
	struct req **queue;
	size_t qlen, qcap;
	bool stop;
	uint64_t batches, entries;
};

static void *seq_main(void *arg)
{
	struct tg_tlog_seq *s = arg;
	struct req **batch = tg_xcalloc(s->max_batch, sizeof(*batch));
	const uint8_t **ep = tg_xcalloc(s->max_batch, sizeof(*ep));
	size_t *lp = tg_xcalloc(s->max_batch, sizeof(*lp));

	pthread_mutex_lock(&s->mu);
	for (;;) {
		size_t n, i;
		uint64_t first = 0;
		tg_err r;
		while (s->qlen == 0 && !s->stop)
			pthread_cond_wait(&s->wake, &s->mu);
		if (s->qlen == 0 && s->stop)
			break;
		/* Take what is queued now; later arrivals form the next batch. */
		n = s->qlen < s->max_batch ? s->qlen : s->max_batch;
		memcpy(batch, s->queue, n * sizeof(*batch));
		memmove(s->queue, s->queue + n, (s->qlen - n) * sizeof(*s->queue));
		s->qlen -= n;
		pthread_mutex_unlock(&s->mu);

		for (i = 0; i < n; i++) {
			ep[i] = batch[i]->entry;
			lp[i] = batch[i]->len;
		}
		r = tg_tlog_append(s->log, ep, lp, n, &first, NULL);

		pthread_mutex_lock(&s->mu);
		for (i = 0; i < n; i++) {
			batch[i]->err = r;
			batch[i]->index = first + i;
			batch[i]->done = true;
		}
		if (r == TG_OK) {
			s->batches++;
			s->entries += n;
		}
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->mu);
	free(batch);
	free(ep);
	free(lp);
	return NULL;
}

tg_err tg_tlog_seq_start(struct tg_tlog *log, size_t max_batch, struct tg_tlog_seq **out)
{
	struct tg_tlog_seq *s = tg_xcalloc(1, sizeof(*s));
	s->log = log;
	s->max_batch = max_batch ? max_batch : 4096;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	if (pthread_create(&s->thread, NULL, seq_main, s) != 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->done);
		free(s);
		return TG_E_INTERNAL;
	}
	*out = s;
	return TG_OK;
}

tg_err tg_tlog_seq_submit(struct tg_tlog_seq *s, const void *entry, size_t len, uint64_t *index)
{
	struct req rq = {entry, len, 0, TG_OK, false};
	if (len > TG_TLOG_ENTRY_MAX)
		return TG_E_TOOBIG;
	pthread_mutex_lock(&s->mu);
	if (s->stop) {
		pthread_mutex_unlock(&s->mu);
		return TG_E_STATE;
	}
	if (s->qlen == s->qcap) {
		s->qcap = s->qcap ? s->qcap * 2 : 256;
		s->queue = tg_xreallocarray(s->queue, s->qcap, sizeof(*s->queue));
	}
	s->queue[s->qlen++] = &rq;
	pthread_cond_signal(&s->wake);
	while (!rq.done)
		pthread_cond_wait(&s->done, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (rq.err == TG_OK)
		*index = rq.index;
	return rq.err;
}

void tg_tlog_seq_stop(struct tg_tlog_seq *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	free(s->queue);
	free(s);
}

void tg_tlog_seq_stats(struct tg_tlog_seq *s, uint64_t *batches, uint64_t *entries)
{
	pthread_mutex_lock(&s->mu);
	*batches = s->batches;
	*entries = s->entries;
	pthread_mutex_unlock(&s->mu);
}
