/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve.c - the request loop of the signer and the store processes: one
 * socketpair per api worker, served one request at a time, with the
 * sockets of new (or restarted) workers passed in by the parent.
 */
#include "server/server.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/mem.h"

tg_err tg_server_pass_fd(int ctl, int fd)
{
	char byte = 'w';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(ctl, &mh, MSG_NOSIGNAL);
		if (n == 1)
			return TG_OK;
		if (n < 0 && errno == EINTR)
			continue;
		return TG_E_IO;
	}
}

/* One worker socket from the parent: its fd, -1 when ctl closed, -2 for
 * a message without one (ignored). */
static int take_fd(int ctl)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int fd = -2;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	do
		n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* One request from a worker's socket; TG_E_IO when the worker is gone. */
static tg_err serve_one(const struct tg_server_handler *h, int fd, struct tg_buf *in)
{
	struct tg_server_answer o;
	struct tg_smsg m, out;
	struct tg_diag d;
	size_t i;
	tg_err r;

	tg_diag_init(&d);
	r = tg_smsg_recv(fd, in, &m, &d);
	if (r == TG_E_IO)
		return r;
	for (i = 0; i < TG_SMSG_FIELDS; i++)
		tg_buf_init(&o.f[i], h->caps[i]);
	o.n = 0;
	if (r == TG_OK)
		r = h->dispatch(h->ctx, &m, &o, &d);
	memset(&out, 0, sizeof(out));
	out.type = TG_SMSG_RESPONSE | (uint32_t)r;
	if (r == TG_OK) {
		out.n = o.n;
		for (i = 0; i < o.n; i++) {
			out.f[i].p = o.f[i].data;
			out.f[i].len = o.f[i].len;
		}
	} else {
		out.n = 1;
		out.f[0].p = (const uint8_t *)(d.msg[0] ? d.msg : tg_strerror(r));
		out.f[0].len = strlen((const char *)out.f[0].p);
	}
	r = tg_smsg_send(fd, &out);
	for (i = 0; i < TG_SMSG_FIELDS; i++) {
		if (h->wipe)
			tg_buf_release_wipe(&o.f[i]);
		else
			tg_buf_release(&o.f[i]);
	}
	return r == TG_OK ? TG_OK : TG_E_IO;
}

void tg_server_serve(int ctl, const struct tg_server_handler *h, volatile int *stop)
{
	struct tg_buf in = TG_BUF_INIT(TG_SMSG_MAX);
	struct pollfd p[1 + TG_API_WORKERS_MAX];
	size_t n = 0, i, start = 0;

	while (!*stop) {
		int k, wait = 1000;
		if (h->idle) {
			int w = h->idle(h->ctx);
			if (w >= 0 && w < wait)
				wait = w;
		}
		p[0].fd = ctl;
		p[0].events = POLLIN;
		for (i = 0; i <= n; i++)
			p[i].revents = 0;
		k = poll(p, 1 + n, wait);
		if (k < 0 && errno != EINTR)
			break;
		if (k <= 0)
			continue;
		if (p[0].revents) {
			int fd = take_fd(ctl);
			if (fd == -1)
				break; /* the parent is gone */
			if (fd >= 0 && n < TG_API_WORKERS_MAX) {
				p[1 + n].fd = fd;
				p[1 + n].events = POLLIN;
				p[1 + n].revents = 0;
				n++;
			} else if (fd >= 0) {
				close(fd);
			}
		}
		/* one request per ready worker, starting after the last one
		 * served, so that no worker waits behind a busy one */
		for (i = 0; i < n && !*stop; i++) {
			size_t j = 1 + (start + i) % n;
			if (!p[j].revents)
				continue;
			if (!(p[j].revents & POLLIN) || serve_one(h, p[j].fd, &in) == TG_E_IO) {
				close(p[j].fd);
				p[j].fd = -1;
			}
		}
		start = n ? (start + 1) % n : 0;
		/* drop the closed sockets */
		for (i = 1; i <= n;) {
			if (p[i].fd < 0) {
				p[i] = p[n];
				n--;
			} else {
				i++;
			}
		}
	}
	for (i = 1; i <= n; i++)
		close(p[i].fd);
	tg_buf_release(&in);
}
