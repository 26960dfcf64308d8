/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proctab.c - tollgated's process table: forks the signer, the store, the
 * api workers and the JWKS fetcher, hands each worker its sockets, and
 * restarts the workers and the fetcher when they end.
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BURST 10               /* deaths of one child within WINDOW_MS that end the service */
#define WINDOW_MS 60000
#define SIGNER_RECV_TIMEOUT 10 /* seconds a worker may take to finish a request it began */

struct proc {
	pid_t pid;
	int64_t started;
	int64_t death[BURST];  /* the last BURST death times (ms), a ring */
	size_t ndeath;
};

struct table {
	const struct tg_server_config *c;
	volatile int *stop;
	int lfd, ctl_signer, ctl_store; /* the parent's ends */
	void *shm;
	size_t nworkers;
	struct proc signer, store, fetcher, worker[TG_API_WORKERS_MAX];
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In a new child: closes the parent's ends it must not keep. */
static void child_close(struct table *t, bool keep_lfd)
{
	if (!keep_lfd)
		close(t->lfd);
	close(t->ctl_signer);
	close(t->ctl_store);
}

/* A worker's request that stops half way must not hold the signer or
 * the store: their reads time out (the worker's socket is then dropped). */
static void recv_timeout(int fd)
{
	struct timeval tv = {SIGNER_RECV_TIMEOUT, 0};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static pid_t spawn_worker(struct table *t, size_t slot, int ready_fd)
{
	struct tg_server_worker w;
	int sv[2], st[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	recv_timeout(sv[0]);
	recv_timeout(st[0]);
	if (tg_server_pass_fd(t->ctl_signer, sv[0]) != TG_OK ||
	    tg_server_pass_fd(t->ctl_store, st[0]) != TG_OK)
		pid = -1;
	else
		pid = (fflush(NULL), fork());
	close(sv[0]);
	close(st[0]);
	if (pid == 0) {
		child_close(t, true);
		memset(&w, 0, sizeof(w));
		w.lfd = t->lfd;
		w.sfd = sv[1];
		w.stfd = st[1];
		w.ready_fd = ready_fd;
		w.shm = t->shm;
		w.slot = slot;
		w.nslots = t->nworkers;
		exit(tg_server_api_main(t->c, &w, t->stop));
	}
	close(sv[1]);
	close(st[1]);
	return pid;
}

static pid_t spawn_fetcher(struct table *t)
{
	pid_t pid = (fflush(NULL), fork());
	if (pid == 0) {
		struct tg_diag d;
		child_close(t, false);
		tg_diag_init(&d);
		if (t->c->sandbox && tg_server_sandbox("fetcher", &d) != TG_OK) {
			fprintf(stderr, "tollgated: fetcher: %s\n", d.msg);
			exit(3);
		}
		exit(tg_server_fetcher_main(t->c, t->stop));
	}
	return pid;
}

static void started(struct proc *p, pid_t pid)
{
	p->pid = pid;
	p->started = mono_ms();
}

/* Records the death of p; false when it died BURST times within
 * WINDOW_MS (a crash loop: better stopped, and visible to the supervisor,
 * than restarted forever). */
static bool may_restart(struct proc *p)
{
	int64_t now = mono_ms();
	int64_t oldest = p->death[p->ndeath % BURST];
	p->death[p->ndeath++ % BURST] = now;
	p->pid = 0;
	return p->ndeath < BURST || now - oldest > WINDOW_MS;
}

static void reap(pid_t *pid)
{
	int status;
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
		;
	*pid = 0;
}

static const char *how(int status, char *buf, size_t cap)
{
	if (WIFSIGNALED(status))
		(void)snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
	else
		(void)snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
	return buf;
}

int tg_server_run(const struct tg_server_config *c, int lfd, const char *shown, volatile int *stop)
{
	struct table t;
	int cs[2] = {-1, -1}, ct[2] = {-1, -1}, rp[2] = {-1, -1}, code = 0;
	size_t i, ready = 0;
	bool fetch = false;
	char rb[TG_API_WORKERS_MAX], hb[64];

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.stop = stop;
	t.lfd = lfd;
	t.nworkers = c->api_workers ? c->api_workers : 1;
	if (t.nworkers > TG_API_WORKERS_MAX)
		t.nworkers = TG_API_WORKERS_MAX;
	for (i = 0; i < c->noidc; i++)
		fetch = fetch || tg_server_oidc_fetched(&c->oidc[i]);
	/* the workers' rate limits and metrics (summed by whichever worker
	 * answers /metrics), kept across worker restarts */
	t.shm = mmap(NULL, tg_server_api_shm_size(t.nworkers), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t.shm == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cs) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ct) != 0 ||
	    pipe2(rp, O_CLOEXEC) != 0) {
		fprintf(stderr, "tollgated: cannot set up the processes: %s\n", strerror(errno));
		return 3;
	}
	t.ctl_signer = cs[1];
	t.ctl_store = ct[1];
	fflush(NULL);
	started(&t.signer, fork());
	if (t.signer.pid == 0) {
		child_close(&t, false);
		close(ct[0]);
		close(rp[0]);
		close(rp[1]);
		exit(tg_server_signer_main(c, cs[0], stop));
	}
	started(&t.store, t.signer.pid > 0 ? fork() : -1);
	if (t.store.pid == 0) {
		child_close(&t, false);
		close(cs[0]);
		close(rp[0]);
		close(rp[1]);
		exit(tg_server_store_main(c, ct[0], stop));
	}
	close(cs[0]);
	close(ct[0]);
	for (i = 0; i < t.nworkers && t.store.pid > 0; i++) {
		started(&t.worker[i], spawn_worker(&t, i, rp[1]));
		if (t.worker[i].pid < 0)
			break;
	}
	close(rp[1]);
	if (i < t.nworkers || t.signer.pid < 0 || t.store.pid < 0) {
		fprintf(stderr, "tollgated: fork: %s\n", strerror(errno));
		code = 3;
		goto stop;
	}
	if (fetch)
		started(&t.fetcher, spawn_fetcher(&t));
	/* ready once every worker says so; a worker that fails closes its end */
	while (ready < t.nworkers && !*stop) {
		ssize_t n = read(rp[0], rb, sizeof(rb));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ready += (size_t)n;
	}
	if (ready < t.nworkers && !*stop) {
		fprintf(stderr, "tollgated: an api worker failed to start\n");
		code = 3;
		goto stop;
	}
	if (!*stop) {
		printf("listening on https://%s\n", shown);
		fflush(stdout);
	}
	while (!*stop) {
		int status;
		pid_t p = wait(&status);
		struct proc *w = NULL;
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < t.nworkers; i++)
			if (t.worker[i].pid == p)
				w = &t.worker[i];
		if (w) {
			fprintf(stderr, "tollgated: api worker %zu ended (%s); ", (size_t)(w - t.worker),
				how(status, hb, sizeof(hb)));
			if (!may_restart(w)) {
				fprintf(stderr, "it ended %d times within %d s; stopping\n", BURST + 1,
					WINDOW_MS / 1000);
				code = 3;
				break;
			}
			fprintf(stderr, "restarting it\n");
			started(w, spawn_worker(&t, (size_t)(w - t.worker), -1));
			if (w->pid < 0) {
				code = 3;
				break;
			}
		} else if (p == t.fetcher.pid) {
			fprintf(stderr, "tollgated: the JWKS fetcher ended (%s); ",
				how(status, hb, sizeof(hb)));
			if (!may_restart(&t.fetcher)) {
				fprintf(stderr, "it ended %d times within %d s; stopping\n", BURST + 1,
					WINDOW_MS / 1000);
				code = 3;
				break;
			}
			fprintf(stderr, "restarting it\n");
			started(&t.fetcher, spawn_fetcher(&t));
		} else if (p == t.signer.pid || p == t.store.pid) {
			/* they hold the state: the service stops, and its
			 * supervisor starts it again (crash repair at open) */
			fprintf(stderr, "tollgated: the %s process ended (%s); stopping\n",
				p == t.signer.pid ? "signer" : "store", how(status, hb, sizeof(hb)));
			if (p == t.signer.pid)
				t.signer.pid = 0;
			else
				t.store.pid = 0;
			code = 3;
			break;
		}
	}
stop:
	reap(&t.fetcher.pid);
	for (i = 0; i < t.nworkers; i++)
		reap(&t.worker[i].pid);
	close(t.ctl_signer); /* the signer and the store end on EOF too */
	close(t.ctl_store);
	reap(&t.signer.pid);
	reap(&t.store.pid);
	close(rp[0]);
	munmap(t.shm, tg_server_api_shm_size(t.nworkers));
	return code;
}
