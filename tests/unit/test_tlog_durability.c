/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tlog_durability.c - the log under SIGKILL at random moments (200+
 * restarts of appends and journal sequencing: nothing acknowledged is lost,
 * every earlier checkpoint stays consistent) and several processes at once.
 */
#include "tg_test.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "tlog/tlog.h"

#define RESTARTS 220

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* The content of entry i: deterministic, of varying length. */
static size_t entry_of(uint64_t i, uint8_t *buf)
{
	size_t n = (size_t)snprintf((char *)buf, 64, "crash-entry %llu ", (unsigned long long)i);
	size_t extra = (size_t)(i * 7919 % 200), k;
	for (k = 0; k < extra; k++)
		buf[n + k] = (uint8_t)('a' + (i + k) % 26);
	return n + extra;
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

/* Child: append or sequence batches forever (at random: tg_tlog_append,
 * tg_tlog_sequence with and without TG_TLOG_SYNC, now and then an
 * integration), writing "first count\n" to fd after each batch returns. */
static void appender(const char *dir, int fd, uint64_t seed)
{
	struct tg_tlog *log = NULL;
	uint8_t *bufs[64];
	const uint8_t *e[64];
	size_t lens[64], k;

	rng_state ^= seed;
	if (tg_tlog_open(dir, TG_TLOG_APPEND, &log, NULL) != TG_OK)
		_exit(3);
	for (k = 0; k < 64; k++) {
		bufs[k] = tg_xmalloc(300);
		e[k] = bufs[k];
	}
	for (;;) {
		size_t n = 1 + (size_t)(rnd() % 64);
		uint64_t first, base = tg_tlog_size(log) + tg_tlog_pending(log), how = rnd() % 8;
		char line[64];
		int ll;
		tg_err r;
		for (k = 0; k < n; k++)
			lens[k] = entry_of(base + k, bufs[k]);
		if (how < 3)
			r = tg_tlog_append(log, e, lens, n, &first, NULL);
		else
			r = tg_tlog_sequence(log, e, lens, n, how < 6 ? TG_TLOG_SYNC : 0, &first, NULL);
		if (r != TG_OK || first != base)
			_exit(4);
		if (how == 7 && tg_tlog_integrate(log, NULL) != TG_OK)
			_exit(6);
		ll = snprintf(line, sizeof(line), "%llu %zu\n", (unsigned long long)first, n);
		if (write(fd, line, (size_t)ll) != ll)
			_exit(5);
	}
}

/* Reads acknowledgements; returns the highest acknowledged end index. */
static uint64_t read_acks(int fd, uint64_t acked)
{
	char buf[65536];
	static char pending[256];
	static size_t plen;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				unsigned long long first = 0;
				size_t cnt = 0, j = 0;
				pending[plen] = '\0';
				while (pending[j] >= '0' && pending[j] <= '9')
					first = first * 10 + (unsigned long long)(pending[j++] - '0');
				j++;
				while (pending[j] >= '0' && pending[j] <= '9')
					cnt = cnt * 10 + (size_t)(pending[j++] - '0');
				if (first + cnt > acked)
					acked = first + cnt;
				plen = 0;
			} else if (plen < sizeof(pending) - 1) {
				pending[plen++] = buf[i];
			}
		}
	}
	return acked;
}

TEST(crash_restarts)
{
	char tmpl[] = "/tmp/tg-crash-XXXXXX";
	char *base = mkdtemp(tmpl), dir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096);
	struct tg_tlog *log = NULL;
	struct tg_note_key vk;
	uint64_t acked = 0, i;
	int round, killed_mid = 0;

	CHECK(base != NULL);
	snprintf(dir, sizeof(dir), "%s/log", base);
	CHECK_OK(tg_tlog_create(dir, "tollgate.test/crash", NULL, &vkey, NULL));
	CHECK_OK(tg_note_vkey_parse((const char *)vkey.data, vkey.len, &vk, NULL));
	for (round = 0; round < RESTARTS; round++) {
		int fds[2];
		pid_t pid;
		struct timespec ts;
		int status;
		CHECK(pipe(fds) == 0);
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			appender(dir, fds[1], (uint64_t)round + 1);
		}
		close(fds[1]);
		/* kill at a random moment: 0 .. 80 ms (appends take a few ms each) */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rnd() % 80000000);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status))
			killed_mid++;
		else
			fprintf(stderr, "  appender exited with %d\n",
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		acked = read_acks(fds[0], acked);
		close(fds[0]);
	}
	fprintf(stderr, "  %d restarts (%d killed), %llu entries acknowledged\n", RESTARTS,
		killed_mid, (unsigned long long)acked);
	CHECK(killed_mid == RESTARTS);
	CHECK(acked > 0);

	/* Reopen (repairs) and check every acknowledged entry, exactly. */
	CHECK_OK(tg_tlog_open(dir, TG_TLOG_APPEND, &log, NULL));
	CHECK(tg_tlog_size(log) >= acked);
	{
		struct tg_buf got = TG_BUF_INIT(1024);
		uint8_t want[300];
		uint64_t bad = 0;
		for (i = 0; i < acked; i++) {
			size_t wl = entry_of(i, want);
			tg_buf_reset(&got);
			if (tg_tlog_entry(log, i, &got, NULL) != TG_OK || got.len != wl ||
			    memcmp(got.data, want, wl) != 0)
				bad++;
		}
		CHECK(bad == 0);
		tg_buf_release(&got);
	}
	/* Every published checkpoint is consistent with the final one. */
	{
		struct tg_buf cp = TG_BUF_INIT(8192), old = TG_BUF_INIT(8192);
		struct tg_checkpoint now, then;
		struct tg_tlog_nodes src = tg_tlog_nodes(log);
		char hist[4200];
		DIR *dh;
		struct dirent *e;
		int checked = 0, bad = 0;
		CHECK_OK(tg_tlog_checkpoint(log, &cp));
		CHECK_OK(tg_checkpoint_open((const char *)cp.data, cp.len, &vk, NULL, 0, 0, &now, NULL));
		snprintf(hist, sizeof(hist), "%s/.tollgate/checkpoints", dir);
		dh = opendir(hist);
		CHECK(dh != NULL);
		while (dh && (e = readdir(dh)) != NULL) {
			uint64_t size = 0;
			const char *p = e->d_name;
			struct tg_tlog_proof proof;
			if (*p < '0' || *p > '9')
				continue;
			while (*p >= '0' && *p <= '9')
				size = size * 10 + (uint64_t)(*p++ - '0');
			if (*p != '\0' || size == 0 || size > now.size)
				continue; /* temp files of a killed writer, or uncommitted */
			tg_buf_reset(&old);
			if (tg_tlog_checkpoint_at(log, size, &old) != TG_OK ||
			    tg_checkpoint_open((const char *)old.data, old.len, &vk, NULL, 0, 0, &then,
					       NULL) != TG_OK ||
			    tg_tlog_prove_consistency(&src, then.size, now.size, &proof) != TG_OK ||
			    tg_tlog_verify_consistency(then.size, now.size, then.root, now.root,
						       &proof) != TG_OK)
				bad++;
			checked++;
		}
		if (dh)
			closedir(dh);
		fprintf(stderr, "  %d earlier checkpoints consistent with size %llu\n", checked - bad,
			(unsigned long long)now.size);
		CHECK(bad == 0 && checked > 0);
		tg_buf_release(&cp);
		tg_buf_release(&old);
	}
	tg_tlog_close(log);
	tg_note_key_release(&vk);
	tg_buf_release(&vkey);
	rm_rf(base);
}

/* Several processes append at once, each opening the log per batch. */
TEST(concurrent_processes)
{
	enum { PROCS = 4, BATCHES = 25, PER = 8 };
	char tmpl[] = "/tmp/tg-conc-XXXXXX";
	char *base = mkdtemp(tmpl), dir[4096];
	struct tg_buf vkey = TG_BUF_INIT(4096);
	pid_t pids[PROCS];
	int fds[PROCS][2], c, status;
	uint64_t *owner;
	uint64_t total = (uint64_t)PROCS * BATCHES * PER;

	CHECK(base != NULL);
	snprintf(dir, sizeof(dir), "%s/log", base);
	CHECK_OK(tg_tlog_create(dir, "tollgate.test/concurrent", NULL, &vkey, NULL));
	for (c = 0; c < PROCS; c++) {
		CHECK(pipe(fds[c]) == 0);
		pids[c] = fork();
		if (pids[c] == 0) {
			int b;
			close(fds[c][0]);
			for (b = 0; b < BATCHES; b++) {
				struct tg_tlog *log = NULL;
				uint8_t bufs[PER][64];
				const uint8_t *e[PER];
				size_t lens[PER], k;
				uint64_t first;
				char line[64];
				int ll;
				if (tg_tlog_open(dir, TG_TLOG_APPEND, &log, NULL) != TG_OK)
					_exit(3);
				for (k = 0; k < PER; k++) {
					lens[k] = (size_t)snprintf((char *)bufs[k], 64, "proc %d batch %d item %zu",
								   c, b, k);
					e[k] = bufs[k];
				}
				if (tg_tlog_append(log, e, lens, PER, &first, NULL) != TG_OK)
					_exit(4);
				tg_tlog_close(log);
				ll = snprintf(line, sizeof(line), "%llu %d\n", (unsigned long long)first, b);
				if (write(fds[c][1], line, (size_t)ll) != ll)
					_exit(5);
			}
			_exit(0);
		}
		close(fds[c][1]);
	}
	owner = tg_xcalloc(total, sizeof(*owner));
	for (c = 0; c < PROCS; c++) {
		FILE *f = fdopen(fds[c][0], "r");
		char line[128];
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long first = 0;
			int b = 0, j = 0;
			size_t k;
			while (line[j] >= '0' && line[j] <= '9')
				first = first * 10 + (unsigned long long)(line[j++] - '0');
			j++;
			while (line[j] >= '0' && line[j] <= '9')
				b = b * 10 + (line[j++] - '0');
			for (k = 0; k < PER; k++) {
				if (first + k < total) {
					/* encode (proc, batch, item) + 1 to detect double claims */
					if (owner[first + k] != 0)
						owner[first + k] = UINT64_MAX;
					else
						owner[first + k] =
							1 + ((uint64_t)c << 32 | (uint64_t)b << 8 | k);
				}
			}
		}
		if (f)
			fclose(f);
		waitpid(pids[c], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	{
		struct tg_tlog *log = NULL;
		struct tg_buf got = TG_BUF_INIT(1024);
		uint64_t i, bad = 0;
		CHECK_OK(tg_tlog_open(dir, TG_TLOG_APPEND, &log, NULL)); /* re-checks the root */
		CHECK(log && tg_tlog_size(log) == total);
		for (i = 0; log && i < total; i++) {
			char want[64];
			uint64_t o = owner[i];
			if (o == 0 || o == UINT64_MAX) {
				bad++;
				continue;
			}
			o--;
			snprintf(want, sizeof(want), "proc %d batch %d item %d", (int)(o >> 32),
				 (int)((o >> 8) & 0xffffff), (int)(o & 0xff));
			tg_buf_reset(&got);
			if (tg_tlog_entry(log, i, &got, NULL) != TG_OK || strcmp(tg_buf_str(&got), want))
				bad++;
		}
		CHECK(bad == 0);
		tg_buf_release(&got);
		tg_tlog_close(log);
	}
	free(owner);
	tg_buf_release(&vkey);
	rm_rf(base);
}

int main(void)
{
	RUN(crash_restarts);
	RUN(concurrent_processes);
	return tg_test_done();
}
