/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_identity_agent.c - the SPIFFE Workload API agent, end to end: agents
 * run in threads on temporary sockets, and a small gRPC client written on
 * nghttp2 fetches and checks X509- and JWT-SVIDs, bundles and errors.
 */

/*
 * Expected behaviour comes from the SPIFFE Workload API and Workload
 * Endpoint specifications (status codes: InvalidArgument 3 without the
 * security header, PermissionDenied 7 without an identity, Unimplemented
 * 12 for unknown methods) and gRPC's PROTOCOL-HTTP2.md (HTTP 415 for a
 * request that is not gRPC). Credentials are checked with tollgate's
 * verifiers against the CA's bundles, read through a second CA handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "core/mem.h"
#include "identity/identity.h"
#include "identity/workload_pb.h"
#include "tg_test.h"

#define TD "example.org"
/* CHECK that also yields the condition, to guard what follows */
static bool check_true(bool ok, const char *what, int line)
{
	tg_test_checks++;
	if (!ok) {
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, line, what);
		tg_test_failures++;
	}
	return ok;
}
#define CHECK_TRUE(cond) check_true((cond), #cond, __LINE__)
#define WORKLOAD "spiffe://" TD "/workload"

static char tmpdir[256];

/* ------------------------------------------------------------------ */
/* Agents in threads                                                   */
/* ------------------------------------------------------------------ */

struct agent_run {
	char dir[300];
	char sock[300];
	struct tg_ca *ca;         /* the agent's own handle */
	struct tg_ca *view;       /* the test's handle (bundles, entries) */
	struct tg_agent_opts opts;
	volatile int stop;
	pthread_t th;
	tg_err result;
	struct tg_diag d;
	bool running;
};

static void *agent_thread(void *p)
{
	struct agent_run *ar = p;
	ar->result = tg_agent_serve(ar->ca, &ar->opts, &ar->stop, &ar->d);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds an entry "spiffe://TD<path>" with the given selectors. */
static void add_entry(struct tg_ca *ca, const char *path, const char *const *sels, size_t n,
		      int64_t x509_ttl)
{
	struct tg_arena a;
	struct tg_entry e;
	struct tg_selector s[4];
	struct tg_diag d;
	size_t i;
	tg_arena_init(&a, 1 << 20);
	memset(&e, 0, sizeof(e));
	tg_diag_init(&d);
	CHECK_OK(tg_spiffe_id_from(TD, path, &e.spiffe_id, &d));
	for (i = 0; i < n && i < 4; i++)
		CHECK_OK(tg_selector_parse(sels[i], strlen(sels[i]), &a, &s[i], &d));
	e.selectors = s;
	e.nselectors = n;
	e.x509_ttl = x509_ttl;
	CHECK_OK(tg_entry_create(ca, &e, &d));
	if (d.msg[0])
		fprintf(stderr, "entry: %s\n", d.msg);
	tg_arena_release(&a);
	/* entries are ordered by creation second: keep them apart */
	struct timespec ts = {1, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static void agent_prepare(struct agent_run *ar, const char *name)
{
	struct tg_diag d;
	memset(ar, 0, sizeof(*ar));
	tg_diag_init(&d);
	snprintf(ar->dir, sizeof(ar->dir), "%s/%s-ca", tmpdir, name);
	snprintf(ar->sock, sizeof(ar->sock), "%s/%s.sock", tmpdir, name);
	CHECK_OK(tg_ca_init(ar->dir, TD, TG_KEY_EC_P256, tg_time_now(), &d));
	if (d.msg[0])
		fprintf(stderr, "ca init: %s\n", d.msg);
	CHECK_OK(tg_ca_open(ar->dir, &ar->ca, &d));
	CHECK_OK(tg_ca_open(ar->dir, &ar->view, &d));
	ar->opts.socket_path = ar->sock;
}

/* Starts the agent and waits until its socket accepts connections. */
static bool agent_start(struct agent_run *ar)
{
	int64_t until = now_ms() + 10000;
	if (pthread_create(&ar->th, NULL, agent_thread, ar) != 0)
		return false;
	ar->running = true;
	while (now_ms() < until) {
		struct sockaddr_un sa;
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, ar->sock, strlen(ar->sock) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return true;
		}
		close(fd);
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static void agent_stop(struct agent_run *ar)
{
	if (ar->running) {
		ar->stop = 1;
		pthread_join(ar->th, NULL);
		CHECK_OK(ar->result);
		if (ar->result != TG_OK)
			fprintf(stderr, "agent: %s\n", ar->d.msg);
		ar->running = false;
	}
	tg_ca_close(ar->ca);
	tg_ca_close(ar->view);
	ar->ca = ar->view = NULL;
}

/* ------------------------------------------------------------------ */
/* A minimal gRPC client                                               */
/* ------------------------------------------------------------------ */

struct call {
	const char *path;
	bool no_header;            /* leave out workload.spiffe.io */
	const char *header_value;  /* its value when not "true" */
	const char *content_type;  /* default application/grpc */
	const char *timeout;       /* grpc-timeout */
	const char *big;           /* the value of an extra header "x-big" */
	struct tg_buf body;        /* the framed request */
	size_t body_off;
	int32_t id;
	int http_status;
	int grpc_status;           /* -1 until received */
	char grpc_message[600];
	struct tg_buf data;        /* framed response messages */
	bool closed;
	uint32_t close_error;
};

struct client {
	int fd;
	nghttp2_session *h2;
	bool eof;
};

static ssize_t cl_send(nghttp2_session *h2, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct client *c = ud;
	ssize_t n;
	(void)h2;
	(void)flags;
	n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
	return n;
}

static int cl_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct call *k = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
	char v[600];
	(void)flags;
	(void)ud;
	if (!k)
		return 0;
	if (valuelen >= sizeof(v))
		valuelen = sizeof(v) - 1;
	memcpy(v, value, valuelen);
	v[valuelen] = '\0';
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		k->http_status = (int)strtol(v, NULL, 10);
	else if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
		k->grpc_status = (int)strtol(v, NULL, 10);
	else if (namelen == 12 && memcmp(name, "grpc-message", 12) == 0)
		snprintf(k->grpc_message, sizeof(k->grpc_message), "%s", v);
	return 0;
}

static int cl_data(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
		   void *ud)
{
	struct call *k = nghttp2_session_get_stream_user_data(h2, id);
	(void)flags;
	(void)ud;
	if (k && tg_buf_add(&k->data, data, len) != TG_OK)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int cl_close(nghttp2_session *h2, int32_t id, uint32_t err, void *ud)
{
	struct call *k = nghttp2_session_get_stream_user_data(h2, id);
	(void)ud;
	if (k) {
		k->closed = true;
		k->close_error = err;
	}
	return 0;
}

static ssize_t cl_body(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
		       uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct call *k = src->ptr;
	size_t n = k->body.len - k->body_off;
	(void)h2;
	(void)id;
	(void)ud;
	if (n > length)
		n = length;
	if (n)
		memcpy(buf, k->body.data + k->body_off, n);
	k->body_off += n;
	if (k->body_off == k->body.len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static bool client_open(struct client *c, const char *path)
{
	struct sockaddr_un sa;
	nghttp2_session_callbacks *cb;
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(c->fd);
		return false;
	}
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, cl_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, cl_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cl_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, cl_close);
	nghttp2_session_client_new(&c->h2, cb, c);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, NULL, 0);
	return true;
}

static void client_close(struct client *c)
{
	nghttp2_session_del(c->h2);
	close(c->fd);
}

static void call_init(struct call *k, const char *path)
{
	memset(k, 0, sizeof(*k));
	k->path = path;
	k->grpc_status = -1;
	tg_buf_init(&k->body, 8 << 20);
	tg_buf_init(&k->data, 16 << 20);
}

static void call_release(struct call *k)
{
	tg_buf_release(&k->body);
	tg_buf_release(&k->data);
}

static void call_start(struct client *c, struct call *k)
{
	nghttp2_nv nv[10];
	size_t n = 0;
	nghttp2_data_provider prd;
#define NV(a, b) (nghttp2_nv){(uint8_t *)(a), (uint8_t *)(b), strlen(a), strlen(b), 0}
	nv[n++] = NV(":method", "POST");
	nv[n++] = NV(":scheme", "http");
	nv[n++] = NV(":authority", "localhost");
	nv[n++] = NV(":path", k->path);
	nv[n++] = NV("content-type", k->content_type ? k->content_type : "application/grpc");
	nv[n++] = NV("te", "trailers");
	if (!k->no_header)
		nv[n++] = NV("workload.spiffe.io", k->header_value ? k->header_value : "true");
	if (k->timeout)
		nv[n++] = NV("grpc-timeout", k->timeout);
	if (k->big)
		nv[n++] = NV("x-big", k->big);
#undef NV
	prd.source.ptr = k;
	prd.read_callback = cl_body;
	k->id = nghttp2_submit_request(c->h2, NULL, nv, n, &prd, k);
	CHECK(k->id > 0);
}

/* Runs the connection until done(k) or timeout_ms passes. */
static void client_run(struct client *c, struct call *k, bool (*done)(struct call *), int timeout_ms)
{
	int64_t until = now_ms() + timeout_ms;
	while (!done(k) && now_ms() < until && !c->eof) {
		struct pollfd p = {c->fd, POLLIN, 0};
		uint8_t buf[16384];
		if (nghttp2_session_send(c->h2) != 0)
			break;
		if (poll(&p, 1, 50) > 0) {
			ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
			if (r <= 0) {
				c->eof = true;
				break;
			}
			if (nghttp2_session_mem_recv(c->h2, buf, (size_t)r) < 0)
				break;
		}
	}
	(void)nghttp2_session_send(c->h2);
}

static bool is_closed(struct call *k)
{
	return k->closed;
}

/* The i-th complete message of the response, or false. */
static bool call_msg(const struct call *k, size_t i, const uint8_t **m, size_t *n)
{
	size_t off = 0, idx = 0;
	while (off < k->data.len) {
		const uint8_t *p;
		size_t len, used;
		bool comp;
		if (tg_grpc_frame_next(k->data.data + off, k->data.len - off, 16 << 20, &p, &len,
				       &comp, &used) != TG_OK)
			return false;
		if (idx == i) {
			*m = p;
			*n = len;
			return true;
		}
		off += used;
		idx++;
	}
	return false;
}

static bool has_one_msg(struct call *k)
{
	const uint8_t *m;
	size_t n;
	return k->closed || call_msg(k, 0, &m, &n);
}

static bool has_two_msgs(struct call *k)
{
	const uint8_t *m;
	size_t n;
	return k->closed || call_msg(k, 1, &m, &n);
}

static void frame_body(struct call *k, const struct tg_buf *msg)
{
	CHECK_OK(tg_grpc_frame_add(&k->body, msg ? msg->data : NULL, msg ? msg->len : 0));
}

/* A unary (or first-message-then-cancel) call with an empty request. */
static void simple_call(const char *sock, struct call *k)
{
	struct client c;
	CHECK(client_open(&c, sock));
	if (k->body.len == 0)
		frame_body(k, NULL);
	call_start(&c, k);
	client_run(&c, k, is_closed, 10000);
	client_close(&c);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

/* Splits concatenated DER certificates. */
static size_t der_split(const uint8_t *p, size_t n, struct tg_x509 **out, size_t max)
{
	size_t off = 0, k = 0;
	while (off < n && k < max) {
		size_t len, hdr = 2, i;
		if (n - off < 2 || p[off] != 0x30)
			return 0;
		len = p[off + 1];
		if (len & 0x80) {
			size_t nb = len & 0x7f;
			if (nb == 0 || nb > 4 || n - off < 2 + nb)
				return 0;
			len = 0;
			for (i = 0; i < nb; i++)
				len = len << 8 | p[off + 2 + i];
			hdr = 2 + nb;
		}
		if (len > n - off - hdr)
			return 0;
		if (tg_x509_from_der(p + off, hdr + len, &out[k], NULL) != TG_OK)
			return 0;
		k++;
		off += hdr + len;
	}
	return off == n ? k : 0;
}

static void check_x509_svid(struct tg_ca *view, const struct tg_wlpb_x509_svid *sv,
			    const char *want_id)
{
	struct tg_x509 *certs[8] = {NULL};
	struct tg_x509 *roots[8] = {NULL};
	struct tg_bundle_set set = {NULL, 0};
	struct tg_spiffe_id id;
	struct tg_key *key = NULL, *pub = NULL;
	struct tg_diag d;
	size_t n, nr, i;
	tg_diag_init(&d);
	CHECK(sv->spiffe_id.n == strlen(want_id) && memcmp(sv->spiffe_id.p, want_id, sv->spiffe_id.n) == 0);
	n = der_split(sv->x509_svid.p, sv->x509_svid.n, certs, 8);
	CHECK(n == 2); /* leaf and intermediate */
	nr = der_split(sv->bundle.p, sv->bundle.n, roots, 8);
	CHECK(nr >= 1);
	CHECK_OK(tg_ca_bundles(view, &set));
	if (n >= 1) {
		CHECK_OK(tg_x509_svid_verify(certs[0], (const struct tg_x509 *const *)certs + 1, n - 1,
					     &set, tg_time_now(), NULL, &id, &d));
		if (d.msg[0])
			fprintf(stderr, "verify: %s\n", d.msg);
		CHECK_STR(id.uri, want_id);
		/* the key is PKCS#8 DER, P-256, and certified by the leaf */
		CHECK_OK(tg_key_from_der(sv->x509_svid_key.p, sv->x509_svid_key.n, true, &key, &d));
		CHECK_OK(tg_x509_public_key(certs[0], &pub));
		if (key && pub) {
			CHECK(tg_key_type(key) == TG_KEY_EC_P256);
			CHECK(tg_key_equal_public(key, pub));
		}
	}
	/* the bundle field is the trust domain's roots, as DER */
	{
		const struct tg_bundle *b = tg_bundle_set_find(&set, TD);
		CHECK(b && b->x509.count == nr);
	}
	for (i = 0; i < 8; i++) {
		tg_x509_free(certs[i]);
		tg_x509_free(roots[i]);
	}
	tg_key_free(key);
	tg_key_free(pub);
	tg_bundle_set_release(&set);
}

static const char *uid_selector(char *buf, size_t n, long delta)
{
	snprintf(buf, n, "unix:uid:%ld", (long)getuid() + delta);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static struct agent_run A; /* CA with two entries for this process */

static void setup_a(void)
{
	char u[64], g[64];
	const char *s1[1], *s2[2];
	agent_prepare(&A, "a");
	s1[0] = uid_selector(u, sizeof(u), 0);
	add_entry(A.view, "/workload", s1, 1, 0);
	snprintf(g, sizeof(g), "unix:gid:%ld", (long)getgid());
	s2[0] = u;
	s2[1] = g;
	add_entry(A.view, "/second", s2, 2, 0);
	/* an entry this process does not match */
	snprintf(g, sizeof(g), "unix:uid:%ld", (long)getuid() + 7);
	s1[0] = g;
	add_entry(A.view, "/not-me", s1, 1, 0);
	CHECK(agent_start(&A));
}

TEST(test_socket_mode)
{
	struct stat st;
	CHECK(stat(A.sock, &st) == 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK((st.st_mode & 0777) == 0666);
}

TEST(test_fetch_x509_svid)
{
	struct call k;
	struct client c;
	struct tg_arena a;
	struct tg_wlpb_x509_svid_response m;
	const uint8_t *p;
	size_t n;
	tg_arena_init(&a, 16 << 20);
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509SVID");
	frame_body(&k, NULL);
	CHECK(client_open(&c, A.sock));
	call_start(&c, &k);
	client_run(&c, &k, has_one_msg, 10000);
	CHECK(k.http_status == 200);
	CHECK(!k.closed); /* a stream: it stays open */
	CHECK(call_msg(&k, 0, &p, &n));
	if (call_msg(&k, 0, &p, &n)) {
		CHECK_OK(tg_wlpb_x509_svid_response_decode(p, n, &a, &m, NULL));
		CHECK(m.nsvids == 2);
		if (m.nsvids == 2) {
			/* the oldest entry first: the default identity */
			check_x509_svid(A.view, &m.svids[0], "spiffe://" TD "/workload");
			check_x509_svid(A.view, &m.svids[1], "spiffe://" TD "/second");
			/* a fresh key for each SVID */
			CHECK(m.svids[0].x509_svid_key.n != m.svids[1].x509_svid_key.n ||
			      memcmp(m.svids[0].x509_svid_key.p, m.svids[1].x509_svid_key.p,
				     m.svids[0].x509_svid_key.n) != 0);
		}
		CHECK(m.nfederated_bundles == 0);
	}
	/* the client cancels; the connection serves another call */
	nghttp2_submit_rst_stream(c.h2, NGHTTP2_FLAG_NONE, k.id, NGHTTP2_CANCEL);
	client_run(&c, &k, is_closed, 2000);
	{
		struct call k2;
		call_init(&k2, "/SpiffeWorkloadAPI/FetchJWTBundles");
		frame_body(&k2, NULL);
		call_start(&c, &k2);
		client_run(&c, &k2, has_one_msg, 10000);
		CHECK(call_msg(&k2, 0, &p, &n));
		call_release(&k2);
	}
	client_close(&c); /* closes with a stream open */
	call_release(&k);
	tg_arena_release(&a);
}

TEST(test_fetch_jwt_svid_and_validate)
{
	struct call k;
	struct tg_arena a;
	struct tg_wlpb_jwt_svid_response m;
	struct tg_wlpb_bytes aud[2] = {{(const uint8_t *)"svc-a", 5}, {(const uint8_t *)"svc-b", 5}};
	struct tg_wlpb_jwt_svid_request req = {aud, 1, {NULL, 0}};
	struct tg_buf msg = TG_BUF_INIT(1 << 20);
	struct tg_bundle_set set = {NULL, 0};
	char token[8192] = "";
	const uint8_t *p;
	size_t n, i;
	tg_arena_init(&a, 16 << 20);
	CHECK_OK(tg_ca_bundles(A.view, &set));

	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	frame_body(&k, &msg);
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 0);
	CHECK(call_msg(&k, 0, &p, &n));
	if (call_msg(&k, 0, &p, &n) &&
	    tg_wlpb_jwt_svid_response_decode(p, n, &a, &m, NULL) == TG_OK) {
		CHECK(m.nsvids == 2);
		for (i = 0; i < m.nsvids; i++) {
			struct tg_spiffe_id id;
			const struct tg_json *claims = NULL;
			struct tg_diag d;
			tg_diag_init(&d);
			CHECK_OK(tg_jwt_svid_verify((const char *)m.svids[i].svid.p, m.svids[i].svid.n,
						    &set, "svc-a", tg_time_now(), NULL, &a, &id,
						    &claims, &d));
			CHECK(m.svids[i].spiffe_id.n == strlen(id.uri) &&
			      memcmp(m.svids[i].spiffe_id.p, id.uri, m.svids[i].spiffe_id.n) == 0);
			/* the audience must be the requested one */
			CHECK(tg_jwt_svid_verify((const char *)m.svids[i].svid.p, m.svids[i].svid.n,
						 &set, "svc-b", tg_time_now(), NULL, &a, &id, &claims,
						 NULL) != TG_OK);
		}
		if (m.nsvids && m.svids[0].svid.n < sizeof(token)) {
			memcpy(token, m.svids[0].svid.p, m.svids[0].svid.n);
			token[m.svids[0].svid.n] = '\0';
		}
		CHECK(m.nsvids && m.svids[0].spiffe_id.n == strlen(WORKLOAD) &&
		      memcmp(m.svids[0].spiffe_id.p, WORKLOAD, m.svids[0].spiffe_id.n) == 0);
	}
	call_release(&k);

	/* one SPIFFE ID requested, two audiences */
	tg_buf_reset(&msg);
	req.naudience = 2;
	req.spiffe_id.p = (const uint8_t *)"spiffe://" TD "/second";
	req.spiffe_id.n = strlen("spiffe://" TD "/second");
	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	frame_body(&k, &msg);
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 0);
	if (call_msg(&k, 0, &p, &n) &&
	    tg_wlpb_jwt_svid_response_decode(p, n, &a, &m, NULL) == TG_OK)
		CHECK(m.nsvids == 1 && m.svids[0].spiffe_id.n == req.spiffe_id.n);
	call_release(&k);

	/* an identity the caller is not entitled to: PermissionDenied */
	tg_buf_reset(&msg);
	req.naudience = 1;
	req.spiffe_id.p = (const uint8_t *)"spiffe://" TD "/not-me";
	req.spiffe_id.n = strlen("spiffe://" TD "/not-me");
	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	frame_body(&k, &msg);
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 7);
	call_release(&k);

	/* no audience: InvalidArgument (Workload API 6.2.1: required) */
	tg_buf_reset(&msg);
	req.naudience = 0;
	req.spiffe_id.n = 0;
	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	frame_body(&k, &msg);
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 3);
	CHECK(strstr(k.grpc_message, "audience") != NULL);
	call_release(&k);

	/* ValidateJWTSVID: good, wrong audience, garbage */
	{
		struct tg_wlpb_validate_request vr = {{(const uint8_t *)"svc-a", 5},
						      {(const uint8_t *)token, strlen(token)}};
		struct tg_wlpb_validate_response vm;
		tg_buf_reset(&msg);
		CHECK_OK(tg_wlpb_validate_request_encode(&vr, &msg));
		call_init(&k, "/SpiffeWorkloadAPI/ValidateJWTSVID");
		frame_body(&k, &msg);
		simple_call(A.sock, &k);
		CHECK(k.grpc_status == 0);
		if (call_msg(&k, 0, &p, &n)) {
			CHECK_OK(tg_wlpb_validate_response_decode(p, n, &a, &vm, NULL));
			CHECK(vm.spiffe_id.n == strlen(WORKLOAD) &&
			      memcmp(vm.spiffe_id.p, WORKLOAD, vm.spiffe_id.n) == 0);
			CHECK(vm.claims && tg_json_str_eq(tg_json_get(vm.claims, "sub"),
							  "spiffe://" TD "/workload"));
			CHECK(vm.claims && tg_json_str_eq(tg_json_get(vm.claims, "aud"), "svc-a"));
			CHECK(vm.claims && tg_json_get(vm.claims, "exp") &&
			      tg_json_get(vm.claims, "exp")->type == TG_JSON_NUMBER);
		}
		call_release(&k);

		vr.audience.p = (const uint8_t *)"svc-z";
		tg_buf_reset(&msg);
		CHECK_OK(tg_wlpb_validate_request_encode(&vr, &msg));
		call_init(&k, "/SpiffeWorkloadAPI/ValidateJWTSVID");
		frame_body(&k, &msg);
		simple_call(A.sock, &k);
		CHECK(k.grpc_status == 3);
		call_release(&k);

		vr.audience.p = (const uint8_t *)"svc-a";
		vr.svid.p = (const uint8_t *)"a.b.c";
		vr.svid.n = 5;
		tg_buf_reset(&msg);
		CHECK_OK(tg_wlpb_validate_request_encode(&vr, &msg));
		call_init(&k, "/SpiffeWorkloadAPI/ValidateJWTSVID");
		frame_body(&k, &msg);
		simple_call(A.sock, &k);
		CHECK(k.grpc_status == 3);
		call_release(&k);
	}
	tg_bundle_set_release(&set);
	tg_buf_release(&msg);
	tg_arena_release(&a);
}

TEST(test_fetch_bundles)
{
	struct call k;
	struct tg_arena a;
	struct tg_wlpb_x509_bundles_response xm;
	struct tg_wlpb_jwt_bundles_response jm;
	struct tg_x509 *roots[8] = {NULL};
	const uint8_t *p;
	size_t n, i;
	tg_arena_init(&a, 16 << 20);
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509Bundles");
	frame_body(&k, NULL);
	{
		struct client c;
		CHECK(client_open(&c, A.sock));
		call_start(&c, &k);
		client_run(&c, &k, has_one_msg, 10000);
		client_close(&c);
	}
	CHECK(call_msg(&k, 0, &p, &n));
	if (call_msg(&k, 0, &p, &n)) {
		CHECK_OK(tg_wlpb_x509_bundles_response_decode(p, n, &a, &xm, NULL));
		CHECK(xm.nbundles == 1);
		if (xm.nbundles == 1) {
			CHECK(xm.bundles[0].key.n == strlen("spiffe://" TD) &&
			      memcmp(xm.bundles[0].key.p, "spiffe://" TD, xm.bundles[0].key.n) == 0);
			CHECK(der_split(xm.bundles[0].value.p, xm.bundles[0].value.n, roots, 8) >= 1);
		}
	}
	call_release(&k);
	for (i = 0; i < 8; i++)
		tg_x509_free(roots[i]);

	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTBundles");
	frame_body(&k, NULL);
	{
		struct client c;
		CHECK(client_open(&c, A.sock));
		call_start(&c, &k);
		client_run(&c, &k, has_one_msg, 10000);
		client_close(&c);
	}
	if (call_msg(&k, 0, &p, &n)) {
		CHECK_OK(tg_wlpb_jwt_bundles_response_decode(p, n, &a, &jm, NULL));
		CHECK(jm.nbundles == 1);
		if (jm.nbundles == 1) {
			const struct tg_json *v = NULL;
			struct tg_jwks ks = {NULL, 0};
			CHECK_OK(tg_json_parse(&a, jm.bundles[0].value.p, jm.bundles[0].value.n, NULL,
					       &v, NULL, NULL));
			CHECK(v && tg_jwks_parse(v, 0, true, &ks, NULL) == TG_OK && ks.count >= 1);
			tg_jwks_release(&ks);
		}
	} else {
		CHECK(!"no JWT bundles message");
	}
	call_release(&k);
	tg_arena_release(&a);
}

TEST(test_request_errors)
{
	struct call k;
	/* SPIFFE Workload Endpoint 6: no security header -> InvalidArgument */
	static const char *const paths[] = {
		"/SpiffeWorkloadAPI/FetchX509SVID", "/SpiffeWorkloadAPI/FetchX509Bundles",
		"/SpiffeWorkloadAPI/FetchJWTSVID", "/SpiffeWorkloadAPI/FetchJWTBundles",
		"/SpiffeWorkloadAPI/ValidateJWTSVID",
	};
	size_t i;
	for (i = 0; i < TG_ARRAY_LEN(paths); i++) {
		call_init(&k, paths[i]);
		k.no_header = true;
		simple_call(A.sock, &k);
		CHECK(k.http_status == 200 && k.grpc_status == 3);
		CHECK(k.data.len == 0);
		call_release(&k);
	}
	/* the value is case sensitive */
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509SVID");
	k.header_value = "True";
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 3);
	call_release(&k);
	/* WIT-SVID profile and unknown methods: Unimplemented */
	call_init(&k, "/SpiffeWorkloadAPI/FetchWITSVID");
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 12);
	call_release(&k);
	/* not gRPC: HTTP 415 */
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509SVID");
	k.content_type = "application/json";
	simple_call(A.sock, &k);
	CHECK(k.http_status == 415);
	call_release(&k);
	/* a malformed request message: InvalidArgument */
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	CHECK_OK(tg_grpc_frame_add(&k.body, "\x0a\x05" "ab", 4));
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 3);
	call_release(&k);
	/* two request messages for a unary call */
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509Bundles");
	frame_body(&k, NULL);
	frame_body(&k, NULL);
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 13);
	call_release(&k);
	/* a message over the limit is refused from its header */
	call_init(&k, "/SpiffeWorkloadAPI/ValidateJWTSVID");
	{
		static const uint8_t hdr[5] = {0, 0, 0x40, 0, 0}; /* 4 MiB declared */
		CHECK_OK(tg_buf_add(&k.body, hdr, 5));
		CHECK_OK(tg_buf_add(&k.body, "\x0a\x01" "a", 3));
	}
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 8);
	call_release(&k);
	/* request headers over 16 KiB */
	{
		static char big[20000];
		memset(big, 'a', sizeof(big) - 1);
		call_init(&k, "/SpiffeWorkloadAPI/FetchX509Bundles");
		k.big = big;
		simple_call(A.sock, &k);
		CHECK(k.grpc_status == 8);
		call_release(&k);
	}
	/* a deadline already passed */
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509Bundles");
	k.timeout = "0n";
	simple_call(A.sock, &k);
	CHECK(k.grpc_status == 4);
	call_release(&k);
}

TEST(test_stream_deadline)
{
	struct call k;
	const uint8_t *p;
	size_t n;
	int64_t t0 = now_ms();
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509Bundles");
	k.timeout = "1S";
	simple_call(A.sock, &k);
	CHECK(call_msg(&k, 0, &p, &n)); /* the snapshot came at once */
	CHECK(k.grpc_status == 4);       /* then the deadline ended the stream */
	CHECK(now_ms() - t0 >= 900);
	call_release(&k);
}

TEST(test_no_matching_entry)
{
	struct agent_run b;
	struct call k;
	char u[64];
	const char *s1[1];
	static const char *const paths[] = {
		"/SpiffeWorkloadAPI/FetchX509SVID", "/SpiffeWorkloadAPI/FetchX509Bundles",
		"/SpiffeWorkloadAPI/FetchJWTBundles",
	};
	size_t i;
	agent_prepare(&b, "b");
	s1[0] = uid_selector(u, sizeof(u), 4242);
	add_entry(b.view, "/someone-else", s1, 1, 0);
	CHECK(agent_start(&b));
	for (i = 0; i < TG_ARRAY_LEN(paths); i++) {
		call_init(&k, paths[i]);
		simple_call(b.sock, &k);
		CHECK(k.grpc_status == 7);
		CHECK(strstr(k.grpc_message, "no identity issued") != NULL);
		call_release(&k);
	}
	{
		struct tg_wlpb_bytes aud = {(const uint8_t *)"x", 1};
		struct tg_wlpb_jwt_svid_request req = {&aud, 1, {NULL, 0}};
		struct tg_buf msg = TG_BUF_INIT(1024);
		CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
		call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
		frame_body(&k, &msg);
		simple_call(b.sock, &k);
		CHECK(k.grpc_status == 7);
		call_release(&k);
		tg_buf_release(&msg);
	}
	agent_stop(&b);
}

TEST(test_rotation)
{
	struct agent_run r;
	struct call k;
	struct client c;
	struct tg_arena a;
	char u[64];
	const char *s1[1];
	const uint8_t *p0, *p1;
	size_t n0, n1;
	int64_t t0;
	agent_prepare(&r, "rot");
	s1[0] = uid_selector(u, sizeof(u), 0);
	add_entry(r.view, "/short", s1, 1, 4); /* 4-second SVIDs: rotated after 2 */
	CHECK(agent_start(&r));
	tg_arena_init(&a, 16 << 20);
	call_init(&k, "/SpiffeWorkloadAPI/FetchX509SVID");
	frame_body(&k, NULL);
	CHECK(client_open(&c, r.sock));
	t0 = now_ms();
	call_start(&c, &k);
	client_run(&c, &k, has_two_msgs, 8000);
	CHECK(call_msg(&k, 0, &p0, &n0));
	CHECK(call_msg(&k, 1, &p1, &n1));
	CHECK(now_ms() - t0 >= 1000);
	if (call_msg(&k, 0, &p0, &n0) && call_msg(&k, 1, &p1, &n1)) {
		struct tg_wlpb_x509_svid_response m0, m1;
		CHECK_OK(tg_wlpb_x509_svid_response_decode(p0, n0, &a, &m0, NULL));
		CHECK_OK(tg_wlpb_x509_svid_response_decode(p1, n1, &a, &m1, NULL));
		CHECK(m0.nsvids == 1 && m1.nsvids == 1);
		if (m0.nsvids == 1 && m1.nsvids == 1) {
			/* a new certificate over a new key */
			CHECK(m0.svids[0].x509_svid.n != m1.svids[0].x509_svid.n ||
			      memcmp(m0.svids[0].x509_svid.p, m1.svids[0].x509_svid.p,
				     m0.svids[0].x509_svid.n) != 0);
			CHECK(memcmp(m0.svids[0].x509_svid_key.p, m1.svids[0].x509_svid_key.p,
				     m0.svids[0].x509_svid_key.n) != 0);
			check_x509_svid(r.view, &m1.svids[0], "spiffe://" TD "/short");
		}
	}
	CHECK(!k.closed);
	/* the agent stops with the stream open: it ends it with Unavailable */
	r.stop = 1;
	client_run(&c, &k, is_closed, 5000);
	CHECK(k.grpc_status == 14);
	client_close(&c);
	call_release(&k);
	tg_arena_release(&a);
	agent_stop(&r);
}

/* The protected header (first part) of the first JWT-SVID for audience
 * "x", verified against the CA's bundles; "" on failure. */
static void jwt_header(struct agent_run *ar, char *out, size_t max)
{
	struct tg_wlpb_bytes aud = {(const uint8_t *)"x", 1};
	struct tg_wlpb_jwt_svid_request req = {&aud, 1, {NULL, 0}};
	struct tg_wlpb_jwt_svid_response m;
	struct tg_buf msg = TG_BUF_INIT(1024);
	struct tg_bundle_set set = {NULL, 0};
	struct tg_arena a;
	struct call k;
	const uint8_t *p;
	size_t n;
	out[0] = '\0';
	tg_arena_init(&a, 1 << 20);
	CHECK_OK(tg_wlpb_jwt_svid_request_encode(&req, &msg));
	call_init(&k, "/SpiffeWorkloadAPI/FetchJWTSVID");
	frame_body(&k, &msg);
	simple_call(ar->sock, &k);
	CHECK_OK(tg_ca_bundles(ar->view, &set));
	if (CHECK_TRUE(call_msg(&k, 0, &p, &n)) &&
	    tg_wlpb_jwt_svid_response_decode(p, n, &a, &m, NULL) == TG_OK && m.nsvids == 1) {
		struct tg_spiffe_id id;
		const uint8_t *dot = memchr(m.svids[0].svid.p, '.', m.svids[0].svid.n);
		CHECK_OK(tg_jwt_svid_verify((const char *)m.svids[0].svid.p, m.svids[0].svid.n, &set,
					    "x", tg_time_now(), NULL, &a, &id, NULL, NULL));
		if (dot && (size_t)(dot - m.svids[0].svid.p) < max) {
			memcpy(out, m.svids[0].svid.p, (size_t)(dot - m.svids[0].svid.p));
			out[dot - m.svids[0].svid.p] = '\0';
		}
	}
	tg_bundle_set_release(&set);
	call_release(&k);
	tg_buf_release(&msg);
	tg_arena_release(&a);
}

/* The newest JWTBundlesResponse has the federated trust domain and two JWT
 * keys of its own (after a rotation). */
static bool jwt_bundles_updated(struct call *k)
{
	struct tg_arena a;
	struct tg_wlpb_jwt_bundles_response m;
	const uint8_t *p = NULL, *q;
	size_t n = 0, qn, i;
	bool ok = false;
	for (i = 0; call_msg(k, i, &q, &qn); i++) {
		p = q;
		n = qn;
	}
	if (k->closed)
		return true;
	if (!p)
		return false;
	tg_arena_init(&a, 1 << 20);
	if (tg_wlpb_jwt_bundles_response_decode(p, n, &a, &m, NULL) == TG_OK && m.nbundles == 2) {
		const struct tg_json *v = NULL, *keys;
		if (tg_json_parse(&a, m.bundles[0].value.p, m.bundles[0].value.n, NULL, &v, NULL,
				  NULL) == TG_OK &&
		    (keys = tg_json_get(v, "keys")) && keys->type == TG_JSON_ARRAY)
			ok = keys->u.a.len == 2;
	}
	tg_arena_release(&a);
	return ok;
}

/* A federated bundle imported and a CA rotated (by another handle, as
 * another process would) while streams are open reach all three streams in
 * new complete messages; the X509-SVID itself is unchanged; JWT-SVIDs are
 * then signed by the new key. */
TEST(test_bundle_change)
{
	struct agent_run f;
	struct client c;
	struct call kx, kb, kj;
	struct tg_arena a;
	struct tg_ca *other = NULL;
	struct tg_bundle ob;
	struct tg_diag d;
	char u[64], odir[320], hdr1[512], hdr2[512];
	const char *s1[1];
	const uint8_t *p0, *p1;
	size_t n0, n1;
	agent_prepare(&f, "fed");
	s1[0] = uid_selector(u, sizeof(u), 0);
	add_entry(f.view, "/fed", s1, 1, 0);
	CHECK(agent_start(&f));
	tg_arena_init(&a, 16 << 20);
	tg_diag_init(&d);
	call_init(&kx, "/SpiffeWorkloadAPI/FetchX509SVID");
	call_init(&kb, "/SpiffeWorkloadAPI/FetchX509Bundles");
	call_init(&kj, "/SpiffeWorkloadAPI/FetchJWTBundles");
	frame_body(&kx, NULL);
	frame_body(&kb, NULL);
	frame_body(&kj, NULL);
	CHECK(client_open(&c, f.sock));
	call_start(&c, &kx);
	call_start(&c, &kb);
	call_start(&c, &kj);
	client_run(&c, &kx, has_one_msg, 10000);
	client_run(&c, &kb, has_one_msg, 10000);
	client_run(&c, &kj, has_one_msg, 10000);
	CHECK(call_msg(&kx, 0, &p0, &n0) && call_msg(&kb, 0, &p0, &n0) &&
	      call_msg(&kj, 0, &p0, &n0));
	jwt_header(&f, hdr1, sizeof(hdr1));
	CHECK(hdr1[0] != '\0');

	snprintf(odir, sizeof(odir), "%s/other-ca", tmpdir);
	CHECK_OK(tg_ca_init(odir, "other.org", TG_KEY_EC_P256, tg_time_now(), &d));
	CHECK_OK(tg_ca_open(odir, &other, &d));
	memset(&ob, 0, sizeof(ob));
	CHECK_OK(tg_ca_bundle(other, &ob));
	CHECK_OK(tg_ca_import_bundle(f.view, &ob, &d));
	if (d.msg[0])
		fprintf(stderr, "import: %s\n", d.msg);

	CHECK_OK(tg_ca_rotate(f.view, tg_time_now(), &d));
	client_run(&c, &kj, jwt_bundles_updated, 15000);
	CHECK(jwt_bundles_updated(&kj) && !kj.closed);
	client_run(&c, &kb, has_two_msgs, 5000);
	client_run(&c, &kx, has_two_msgs, 5000);
	jwt_header(&f, hdr2, sizeof(hdr2));
	CHECK(hdr2[0] != '\0' && strcmp(hdr1, hdr2) != 0); /* another kid */
	if (CHECK_TRUE(call_msg(&kb, 1, &p1, &n1))) {
		struct tg_wlpb_x509_bundles_response m;
		CHECK_OK(tg_wlpb_x509_bundles_response_decode(p1, n1, &a, &m, NULL));
		CHECK(m.nbundles == 2);
		if (m.nbundles == 2)
			CHECK(m.bundles[1].key.n == strlen("spiffe://other.org") &&
			      memcmp(m.bundles[1].key.p, "spiffe://other.org", m.bundles[1].key.n) == 0);
	}
	if (CHECK_TRUE(call_msg(&kx, 1, &p1, &n1)) && call_msg(&kx, 0, &p0, &n0)) {
		struct tg_wlpb_x509_svid_response m0, m1;
		CHECK_OK(tg_wlpb_x509_svid_response_decode(p0, n0, &a, &m0, NULL));
		CHECK_OK(tg_wlpb_x509_svid_response_decode(p1, n1, &a, &m1, NULL));
		CHECK(m0.nfederated_bundles == 0 && m1.nfederated_bundles == 1);
		if (m0.nsvids == 1 && m1.nsvids == 1)
			CHECK(m0.svids[0].x509_svid.n == m1.svids[0].x509_svid.n &&
			      memcmp(m0.svids[0].x509_svid.p, m1.svids[0].x509_svid.p,
				     m0.svids[0].x509_svid.n) == 0);
	}
	client_close(&c);
	call_release(&kx);
	call_release(&kb);
	call_release(&kj);
	tg_bundle_release(&ob);
	tg_ca_close(other);
	tg_arena_release(&a);
	agent_stop(&f);
}

TEST(test_socket_file)
{
	struct agent_run s;
	struct sockaddr_un sa;
	struct tg_diag d;
	volatile int stop = 0;
	struct tg_agent_opts o;
	char path[300];
	int fd;
	/* a second agent on a live socket: refused, the first one untouched */
	tg_diag_init(&d);
	memset(&o, 0, sizeof(o));
	o.socket_path = A.sock;
	CHECK_ERR(tg_agent_serve(A.ca, &o, &stop, &d), TG_E_EXISTS);
	CHECK(access(A.sock, F_OK) == 0);
	/* a regular file is never removed */
	snprintf(path, sizeof(path), "%s/plain", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	o.socket_path = path;
	CHECK_ERR(tg_agent_serve(A.ca, &o, &stop, &d), TG_E_EXISTS);
	CHECK(access(path, F_OK) == 0);
	/* a stale socket (bound, nobody listening) is replaced */
	agent_prepare(&s, "stale");
	add_entry(s.view, "/x", (const char *const[]){"unix:uid:0"}, 1, 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, s.sock, strlen(s.sock) + 1);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK(agent_start(&s));
	agent_stop(&s);
	/* the agent removes its socket when it stops */
	CHECK(access(s.sock, F_OK) != 0);
}

int main(void)
{
	struct tg_diag d;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tg-agent-test-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	tg_diag_init(&d);
	setup_a();
	RUN(test_socket_mode);
	RUN(test_fetch_x509_svid);
	RUN(test_fetch_jwt_svid_and_validate);
	RUN(test_fetch_bundles);
	RUN(test_request_errors);
	RUN(test_stream_deadline);
	RUN(test_no_matching_entry);
	RUN(test_rotation);
	RUN(test_bundle_change);
	RUN(test_socket_file);
	agent_stop(&A);
	{
		/* remove the temporary tree */
		char *argv[] = {"rm", "-rf", tmpdir, NULL};
		pid_t pid = fork();
		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return tg_test_done();
}
