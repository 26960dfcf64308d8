/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.c - the SPIFFE Workload API server behind `tollgate agent`: gRPC
 * over HTTP/2 (nghttp2) on a Unix socket, one poll() loop. Each call is
 * attested from the socket's peer and answered with the SVIDs of the entries
 * its selectors match, from an upstream: the CA directory, or tollgated.
 */

/*
 * Design notes.
 *  - The socket file gets mode 0666: the Workload API is for any local
 *    process (SPIFFE Workload Endpoint 5: no direct client authentication);
 *    what a caller receives is decided by attestation alone, and a caller
 *    no entry matches gets PermissionDenied. Operators who want fewer
 *    callers put the socket in a directory with tighter permissions. A
 *    stale socket file is removed at start only when connecting to it is
 *    refused (nobody listens); a live one makes the start fail.
 *  - One thread, non-blocking sockets. Issuing an SVID (a P-256 key, one
 *    signature, one database row) takes about a millisecond, so calls are
 *    served inline; every input a client controls is capped (limits.h:
 *    TG_LIMIT_AGENT_*, workload_pb.h: TG_WLPB_*).
 *  - Server streams (FetchX509SVID, FetchX509Bundles, FetchJWTBundles)
 *    send a full snapshot at once (Workload API 4.3), then again when an
 *    SVID reaches its rotation time, the entries matching the caller change
 *    or the bundles change. Bundles and entries are re-read every
 *    AGENT_REFRESH_MS. A stream holds at most the message being sent and
 *    the newest one waiting, so a client that does not read costs two
 *    messages of memory. A caller that loses its last entry gets
 *    PermissionDenied, which ends the stream (Workload API 5.2.1).
 *  - Every call needs the metadata "workload.spiffe.io: true", else
 *    InvalidArgument (Workload Endpoint 3 and 6); every call, bundles and
 *    validation included, needs at least one matching entry.
 */
#include "identity/identity_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pem.h"
#include "core/secret.h"
#include "identity/workload_pb.h"

#define AGENT_REFRESH_MS 5000          /* re-read bundles and entries this often */
#define AGENT_POLL_MS 200              /* the longest poll(): how soon *stop is seen */
#define AGENT_READ_CHUNK 16384         /* bytes read from a socket at a time */
#define AGENT_ARENA_MAX (16 * TG_MIB)  /* cap of one call's arena (attestation, claims) */
#define AGENT_MAX_CLIENTS_DEFAULT 64
#define AGENT_SHUTDOWN_ROUNDS 20       /* 50 ms rounds to flush goodbyes at exit */

/* gRPC status codes (grpc/doc/statuscodes.md). */
enum grpc_code {
	GRPC_OK = 0,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
};

enum rpc {
	RPC_UNKNOWN = 0,
	RPC_X509_SVID,
	RPC_X509_BUNDLES,
	RPC_JWT_SVID,
	RPC_JWT_BUNDLES,
	RPC_VALIDATE,
};

/* The service has no proto package, so its full name is the bare one. */
static const struct {
	const char *path;
	enum rpc rpc;
} rpc_paths[] = {
	{"/SpiffeWorkloadAPI/FetchX509SVID", RPC_X509_SVID},
	{"/SpiffeWorkloadAPI/FetchX509Bundles", RPC_X509_BUNDLES},
	{"/SpiffeWorkloadAPI/FetchJWTSVID", RPC_JWT_SVID},
	{"/SpiffeWorkloadAPI/FetchJWTBundles", RPC_JWT_BUNDLES},
	{"/SpiffeWorkloadAPI/ValidateJWTSVID", RPC_VALIDATE},
};

/* The bundles every caller sees, rebuilt on each refresh. */
struct snap {
	struct tg_bundle_set set;          /* for ValidateJWTSVID */
	size_t n;                          /* bundles: own first, then by name */
	char **keys;                       /* "spiffe://td" */
	struct tg_buf *der;                /* X.509 authorities, DER concatenated */
	struct tg_buf *jwks;               /* JWT authorities as a JWKS */
	struct tg_wlpb_map_entry *x509_map, *fed_map, *jwt_map;
	size_t nx509, nfed, njwt;
	struct tg_buf x509_msg;            /* X509BundlesResponse */
	struct tg_buf jwt_msg;             /* JWTBundlesResponse */
};

/* One X509-SVID a FetchX509SVID stream holds. */
struct svid_item {
	char entry_id[37];
	struct tg_spiffe_id id;
	int64_t ttl;
	struct tg_buf chain;               /* DER, leaf first */
	struct tg_buf key;                 /* PKCS#8 DER: a secret, wiped */
	int64_t rotate_at;                 /* Unix seconds */
	bool same;                         /* the upstream handed out the previous one again */
};

enum stream_state {
	ST_READ = 0, /* reading the request */
	ST_OPEN,     /* answering: messages may follow */
	ST_DONE,     /* the end of the response is queued */
};

struct conn;

struct stream {
	int32_t id;
	struct conn *c;
	struct stream *prev, *next;
	enum stream_state state;
	enum rpc rpc;
	/* request headers */
	size_t hdr_bytes;
	bool post, grpc_ct, wl_ok, wl_bad, enc_other, timeout_bad, hdr_toobig;
	int64_t started;                   /* monotonic ms */
	int64_t deadline;                  /* monotonic ms, 0: none */
	struct tg_buf in;
	bool req_done;                     /* the client ended its side */
	/* response */
	bool headers_sent, finishing, deferred;
	int status;
	char message[TG_DIAG_MSG_MAX + 64];
	struct tg_buf out;                 /* framed bytes being sent */
	size_t out_off;
	struct tg_buf next_msg;            /* the newest snapshot waiting */
	/* the caller (streams keep it to re-match entries) */
	struct tg_arena arena;
	struct tg_attestation att;
	bool attested;
	struct svid_item *items;
	size_t nitems;
	uint64_t gen_sent;
	int64_t next_rotate;               /* Unix seconds, 0: none */
};

struct agent;

struct conn {
	int fd;
	unsigned long id;
	struct agent *ag;
	nghttp2_session *h2;
	struct stream *streams;
	size_t nstreams;
	bool ever_stream;
	bool blocked;                      /* the last send would block */
	bool dead;
	bool closing;                      /* GOAWAY queued: close once flushed */
	int64_t last_active;               /* monotonic ms */
	int64_t tok_ts;                    /* stream rate limit (token bucket) */
	int64_t tokens_milli;
};

struct agent {
	const struct tg_agent_upstream *up;
	int64_t rotate_before;
	unsigned max_clients;
	int lfd;
	struct conn **conns;
	size_t nconns;
	unsigned long next_id;
	struct snap snap;
	uint64_t gen_x509;                 /* bumped when the X.509 bundles change */
	uint64_t gen_jwt;                  /* bumped when the JWT bundles change */
	int64_t accept_pause_until;        /* monotonic ms: out of descriptors */
	int64_t next_refresh;              /* monotonic ms */
};

static bool buf_eq(const struct tg_buf *a, const struct tg_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool bytes_is(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n == k && memcmp(p, s, n) == 0;
}

/* ------------------------------------------------------------------ */
/* Bundles                                                             */
/* ------------------------------------------------------------------ */

static void snap_release(struct snap *s)
{
	size_t i;
	for (i = 0; i < s->n; i++) {
		free(s->keys[i]);
		tg_buf_release(&s->der[i]);
		tg_buf_release(&s->jwks[i]);
	}
	free(s->keys);
	free(s->der);
	free(s->jwks);
	free(s->x509_map);
	free(s->fed_map);
	free(s->jwt_map);
	tg_buf_release(&s->x509_msg);
	tg_buf_release(&s->jwt_msg);
	tg_bundle_set_release(&s->set);
	memset(s, 0, sizeof(*s));
}

/* Own trust domain first, then by name: the same bundles always encode to
 * the same bytes, which is how a change is seen. */
static int snap_cmp(const void *x, const void *y, void *ctx)
{
	const struct snap *s = ctx;
	const struct tg_bundle *a = &s->set.b[*(const size_t *)x];
	const struct tg_bundle *b = &s->set.b[*(const size_t *)y];
	const char *own = s->keys[0];
	int ao = strcmp(a->td, own) == 0, bo = strcmp(b->td, own) == 0;
	if (ao != bo)
		return bo - ao;
	return strcmp(a->td, b->td);
}

static tg_err snap_build(const struct tg_agent_upstream *up, struct snap *out, struct tg_diag *d)
{
	struct snap s;
	const char *own = up->trust_domain(up->ctx);
	size_t *order = NULL, i, k;
	tg_err r = TG_E_INTERNAL;

	memset(&s, 0, sizeof(s));
	tg_buf_init(&s.x509_msg, TG_WLPB_MAX_MESSAGE);
	tg_buf_init(&s.jwt_msg, TG_WLPB_MAX_MESSAGE);
	r = up->bundles(up->ctx, &s.set, d);
	if (r != TG_OK)
		goto out;
	if (!tg_bundle_set_find(&s.set, own)) {
		tg_diag_set(d, "no bundle for the trust domain '%s'", own);
		r = TG_E_NOTFOUND;
		goto out;
	}
	order = tg_xcalloc(s.set.n, sizeof(*order));
	for (i = 0; i < s.set.n; i++)
		order[i] = i;
	s.keys = tg_xcalloc(s.set.n, sizeof(*s.keys));
	s.keys[0] = (char *)own; /* the comparison's context, replaced below */
	qsort_r(order, s.set.n, sizeof(*order), snap_cmp, &s);
	s.keys[0] = NULL;
	s.der = tg_xcalloc(s.set.n, sizeof(*s.der));
	s.jwks = tg_xcalloc(s.set.n, sizeof(*s.jwks));
	s.x509_map = tg_xcalloc(s.set.n, sizeof(*s.x509_map));
	s.fed_map = tg_xcalloc(s.set.n, sizeof(*s.fed_map));
	s.jwt_map = tg_xcalloc(s.set.n, sizeof(*s.jwt_map));
	for (k = 0; k < s.set.n; k++) {
		const struct tg_bundle *b = &s.set.b[order[k]];
		struct tg_buf key = TG_BUF_INIT(TG_SPIFFE_TD_MAX + 16);
		uint8_t *kp;
		size_t kn;
		struct tg_wlpb_map_entry ent;
		tg_buf_init(&s.der[k], TG_WLPB_MAX_MESSAGE);
		tg_buf_init(&s.jwks[k], TG_WLPB_MAX_MESSAGE);
		s.n = k + 1;
		r = tg_buf_addf(&key, "spiffe://%s", b->td);
		if (r != TG_OK) {
			tg_buf_release(&key);
			goto out;
		}
		tg_buf_detach(&key, &kp, &kn);
		s.keys[k] = (char *)kp;
		for (i = 0; i < b->x509.count; i++) {
			r = tg_x509_to_der(b->x509.certs[i], &s.der[k]);
			if (r != TG_OK)
				goto out;
		}
		r = tg_bundle_to_jwks(b, &s.jwks[k]);
		if (r != TG_OK)
			goto out;
		ent.key.p = kp;
		ent.key.n = kn;
		ent.value.p = s.der[k].data;
		ent.value.n = s.der[k].len;
		if (k == 0 || b->x509.count)
			s.x509_map[s.nx509++] = ent;
		if (k > 0 && b->x509.count)
			s.fed_map[s.nfed++] = ent;
		ent.value.p = s.jwks[k].data;
		ent.value.n = s.jwks[k].len;
		if (k == 0 || b->jwt.count)
			s.jwt_map[s.njwt++] = ent;
	}
	{
		struct tg_wlpb_x509_bundles_response xm = {NULL, 0, s.x509_map, s.nx509};
		struct tg_wlpb_jwt_bundles_response jm = {s.jwt_map, s.njwt};
		r = tg_wlpb_x509_bundles_response_encode(&xm, &s.x509_msg);
		if (r == TG_OK)
			r = tg_wlpb_jwt_bundles_response_encode(&jm, &s.jwt_msg);
		if (r != TG_OK) {
			tg_diag_set(d, "cannot encode the bundles: %s", tg_strerror(r));
			goto out;
		}
	}
	*out = s;
	memset(&s, 0, sizeof(s));
	r = TG_OK;
out:
	free(order);
	snap_release(&s);
	return r;
}

/* ------------------------------------------------------------------ */
/* Streams: responses                                                  */
/* ------------------------------------------------------------------ */

static void items_release(struct svid_item *it, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		tg_buf_release(&it[i].chain);
		tg_buf_release_wipe(&it[i].key);
	}
	free(it);
}

static void stream_free(struct stream *s)
{
	struct conn *c = s->c;
	if (s->prev)
		s->prev->next = s->next;
	else
		c->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->nstreams--;
	tg_buf_release_wipe(&s->in);
	tg_buf_release_wipe(&s->out);
	tg_buf_release_wipe(&s->next_msg);
	items_release(s->items, s->nitems);
	tg_arena_release(&s->arena);
	free(s);
}

static ssize_t cb_data_read(nghttp2_session *h2, int32_t stream_id, uint8_t *buf, size_t length,
			    uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	struct stream *s = source->ptr;
	(void)user_data;
	if (s->out_off == s->out.len && s->next_msg.len) {
		struct tg_buf t = s->out;
		if (s->out.data)
			tg_wipe(s->out.data, s->out.len);
		tg_buf_reset(&t);
		s->out = s->next_msg;
		s->next_msg = t;
		s->out_off = 0;
	}
	if (s->out_off < s->out.len) {
		size_t n = s->out.len - s->out_off;
		if (n > length)
			n = length;
		memcpy(buf, s->out.data + s->out_off, n);
		s->out_off += n;
		return (ssize_t)n;
	}
	if (s->finishing) {
		char st[16];
		struct tg_buf m = TG_BUF_INIT(sizeof(s->message) * 3);
		nghttp2_nv tr[2];
		size_t ntr = 1;
		int n = snprintf(st, sizeof(st), "%d", s->status);
		tr[0] = (nghttp2_nv){(uint8_t *)"grpc-status", (uint8_t *)st, 11, (size_t)n,
				     NGHTTP2_NV_FLAG_NONE};
		if (s->message[0] && tg_grpc_message_encode(&m, s->message, strlen(s->message)) == TG_OK)
			tr[ntr++] = (nghttp2_nv){(uint8_t *)"grpc-message", m.data, 12, m.len,
						 NGHTTP2_NV_FLAG_NONE};
		*data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		if (nghttp2_submit_trailer(h2, stream_id, tr, ntr) != 0)
			*data_flags &= ~(uint32_t)NGHTTP2_DATA_FLAG_NO_END_STREAM;
		tg_buf_release(&m);
		s->state = ST_DONE;
		return 0;
	}
	s->deferred = true;
	return NGHTTP2_ERR_DEFERRED;
}

static void stream_send_headers(struct stream *s)
{
	nghttp2_data_provider prd;
	nghttp2_nv hdr[] = {
		{(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16,
		 NGHTTP2_NV_FLAG_NONE},
	};
	prd.source.ptr = s;
	prd.read_callback = cb_data_read;
	if (nghttp2_submit_response(s->c->h2, s->id, hdr, TG_ARRAY_LEN(hdr), &prd) != 0) {
		nghttp2_submit_rst_stream(s->c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
		s->state = ST_DONE;
		return;
	}
	s->headers_sent = true;
}

static void stream_kick(struct stream *s)
{
	if (!s->headers_sent) {
		stream_send_headers(s);
	} else if (s->deferred) {
		s->deferred = false;
		nghttp2_session_resume_data(s->c->h2, s->id);
	}
}

/* Queues one response message: sent next, or, when a message is still
 * going out, kept as the newest (replacing an older waiting one). */
static tg_err stream_queue(struct stream *s, const struct tg_buf *msg)
{
	struct tg_buf f = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE + TG_GRPC_FRAME_HDR);
	tg_err e = tg_grpc_frame_add(&f, msg->data, msg->len);
	if (e != TG_OK) {
		tg_buf_release(&f);
		return e;
	}
	if (s->out_off == s->out.len) {
		/* nothing is going out: the new message supersedes any waiting */
		tg_buf_release_wipe(&s->out);
		tg_buf_release_wipe(&s->next_msg);
		s->out = f;
		s->out_off = 0;
	} else {
		tg_buf_release_wipe(&s->next_msg);
		s->next_msg = f;
	}
	stream_kick(s);
	return TG_OK;
}

/* Ends the response with a gRPC status: in trailers after the messages,
 * or as a Trailers-Only response when nothing was sent. */
static void stream_finish(struct stream *s, int status, const char *fmt, ...) TG_PRINTF(3, 4);

static void stream_finish(struct stream *s, int status, const char *fmt, ...)
{
	va_list ap;
	if (s->state == ST_DONE || s->finishing)
		return;
	s->status = status;
	s->message[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(s->message, sizeof(s->message), fmt, ap);
		va_end(ap);
	}
	if (status != GRPC_OK)
		tg_log_debug("agent: connection %lu stream %d: status %d: %s", s->c->id, s->id,
			     status, s->message);
	if (!s->headers_sent) {
		char st[16];
		struct tg_buf m = TG_BUF_INIT(sizeof(s->message) * 3);
		nghttp2_nv hdr[4] = {
			{(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
			{(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16,
			 NGHTTP2_NV_FLAG_NONE},
		};
		size_t nh = 2;
		int n = snprintf(st, sizeof(st), "%d", status);
		hdr[nh++] = (nghttp2_nv){(uint8_t *)"grpc-status", (uint8_t *)st, 11, (size_t)n,
					 NGHTTP2_NV_FLAG_NONE};
		if (s->message[0] && tg_grpc_message_encode(&m, s->message, strlen(s->message)) == TG_OK)
			hdr[nh++] = (nghttp2_nv){(uint8_t *)"grpc-message", m.data, 12, m.len,
						 NGHTTP2_NV_FLAG_NONE};
		if (nghttp2_submit_response(s->c->h2, s->id, hdr, nh, NULL) != 0)
			nghttp2_submit_rst_stream(s->c->h2, NGHTTP2_FLAG_NONE, s->id,
						  NGHTTP2_INTERNAL_ERROR);
		tg_buf_release(&m);
		s->headers_sent = true;
		s->state = ST_DONE;
		return;
	}
	s->finishing = true;
	stream_kick(s);
}

/* A plain HTTP error for requests that are not gRPC at all. */
static void stream_http_error(struct stream *s, const char *status)
{
	nghttp2_nv hdr[] = {
		{(uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE},
	};
	if (nghttp2_submit_response(s->c->h2, s->id, hdr, 1, NULL) != 0)
		nghttp2_submit_rst_stream(s->c->h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
	s->headers_sent = true;
	s->state = ST_DONE;
}

/* ------------------------------------------------------------------ */
/* Identities                                                          */
/* ------------------------------------------------------------------ */

static int entry_cmp(const void *x, const void *y)
{
	const struct tg_entry *a = x, *b = y;
	if (a->created.sec != b->created.sec)
		return a->created.sec < b->created.sec ? -1 : 1;
	return strcmp(a->id, b->id);
}

/*
 * The entries of the caller in a stable order (oldest first: the first is
 * the default identity, Workload API 5.3), one per SPIFFE ID. *n = 0 when
 * nothing matches. On error the stream has been finished.
 */
static bool caller_entries(struct agent *ag, struct stream *s, struct tg_arena *a,
			   struct tg_entry **out, size_t *n)
{
	struct tg_diag d;
	struct tg_entry *e = NULL;
	size_t ne = 0, i, j, k = 0;
	tg_err r;
	tg_diag_init(&d);
	r = ag->up->match(ag->up->ctx, s->att.selectors, s->att.n, a, &e, &ne, &d);
	if (r != TG_OK) {
		tg_log_warn("agent: cannot match registration entries: %s", d.msg[0] ? d.msg : tg_strerror(r));
		stream_finish(s, GRPC_UNAVAILABLE, "cannot read registration entries");
		return false;
	}
	if (ne > 1)
		qsort(e, ne, sizeof(*e), entry_cmp);
	for (i = 0; i < ne; i++) {
		for (j = 0; j < k; j++)
			if (strcmp(e[j].spiffe_id.uri, e[i].spiffe_id.uri) == 0)
				break;
		if (j == k)
			e[k++] = e[i];
	}
	*out = e;
	*n = k;
	return true;
}

/* Gets an X509-SVID for entry en from the upstream (the local CA signs a
 * fresh P-256 key); out->same when it is old's again. */
static tg_err issue_x509(struct agent *ag, const struct tg_entry *en, const char *subject,
			 struct tg_time now, const struct svid_item *old, struct svid_item *out,
			 struct tg_diag *d)
{
	struct tg_key *key = NULL;
	struct tg_x509_list chain = {NULL, 0};
	struct tg_buf pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf der = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	struct tg_buf kder = TG_BUF_INIT(TG_LIMIT_DER);
	struct tg_buf serial = TG_BUF_INIT(128);
	struct tg_pem_list pl = {NULL, 0};
	struct tg_time nb, na;
	int64_t life, rb;
	size_t i;
	tg_err r;

	r = ag->up->issue_x509(ag->up->ctx, en, now, &key, &chain, d);
	if (r != TG_OK)
		goto out;
	r = TG_E_INTERNAL;
	if (chain.count == 0)
		goto out;
	for (i = 0; i < chain.count; i++)
		if ((r = tg_x509_to_der(chain.certs[i], &der)) != TG_OK)
			goto out;
	/* PKCS#8 DER: the body of the PEM "PRIVATE KEY" block */
	if ((r = tg_key_to_pem(key, true, &pem)) != TG_OK)
		goto out;
	if ((r = tg_pem_decode((const char *)pem.data, pem.len, &pl, d)) != TG_OK)
		goto out;
	r = TG_E_INTERNAL;
	if (pl.count != 1 || strcmp(pl.blocks[0].label, "PRIVATE KEY") != 0)
		goto out;
	if ((r = tg_buf_add(&kder, pl.blocks[0].der, pl.blocks[0].len)) != TG_OK)
		goto out;
	if ((r = tg_x509_validity(chain.certs[0], &nb, &na)) != TG_OK)
		goto out;
	(void)nb;
	life = na.sec - now.sec; /* the TTL, or less near the intermediate's expiry */
	rb = ag->rotate_before;
	if (rb <= 0 || rb >= life)
		rb = life / 2;
	memset(out, 0, sizeof(*out));
	memcpy(out->entry_id, en->id, sizeof(out->entry_id));
	out->entry_id[sizeof(out->entry_id) - 1] = '\0';
	out->id = en->spiffe_id;
	out->ttl = en->x509_ttl;
	out->rotate_at = na.sec - rb;
	if (out->rotate_at <= now.sec)
		out->rotate_at = now.sec + 1;
	out->chain = der;
	out->key = kder;
	tg_buf_init(&der, 0);
	tg_buf_init(&kder, 0);
	out->same = old && buf_eq(&old->chain, &out->chain);
	if (out->same) {
		/* the upstream keeps a cached SVID longer than we would (or
		 * cannot reach its server): ask again at the next refresh */
		if (out->rotate_at <= now.sec + 1)
			out->rotate_at = now.sec + AGENT_REFRESH_MS / 1000;
		r = TG_OK;
		goto out;
	}
	if (tg_x509_serial_hex(chain.certs[0], &serial) != TG_OK)
		tg_buf_reset(&serial);
	tg_log_info("agent: issued X509-SVID %s serial %s to %s", en->spiffe_id.uri,
		    tg_buf_str(&serial), subject ? subject : "a workload");
	r = TG_OK;
out:
	for (i = 0; i < pl.count; i++)
		tg_wipe(pl.blocks[i].der, pl.blocks[i].len);
	tg_pem_list_release(&pl);
	tg_buf_release_wipe(&pem);
	tg_buf_release_wipe(&kder);
	tg_buf_release(&der);
	tg_buf_release(&serial);
	tg_x509_list_release(&chain);
	tg_key_free(key);
	return r;
}

/*
 * Brings a FetchX509SVID stream up to date: re-matches the caller's
 * entries, keeps the SVIDs that are neither due for rotation nor of a
 * changed entry, issues the others, and sends a snapshot when anything
 * changed (or the bundles did, or force).
 */
static void x509_update(struct agent *ag, struct stream *s, bool force)
{
	struct tg_arena a;
	struct tg_entry *e = NULL;
	struct svid_item *items = NULL;
	struct tg_wlpb_x509_svid *pv = NULL;
	struct tg_buf msg = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	struct tg_time now = tg_time_now();
	size_t n = 0, i, j;
	bool changed = force || s->gen_sent != ag->gen_x509;
	int64_t next = 0;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA_MAX);
	if (!caller_entries(ag, s, &a, &e, &n))
		goto out;
	if (n == 0) {
		stream_finish(s, GRPC_PERMISSION_DENIED, "no identity issued");
		goto out;
	}
	if (n != s->nitems)
		changed = true;
	items = tg_xcalloc(n, sizeof(*items));
	for (i = 0; i < n; i++) {
		struct tg_diag d;
		for (j = 0; j < s->nitems; j++) {
			struct svid_item *o = &s->items[j];
			if (o->chain.len && strcmp(o->entry_id, e[i].id) == 0 &&
			    strcmp(o->id.uri, e[i].spiffe_id.uri) == 0 && o->ttl == e[i].x509_ttl &&
			    now.sec < o->rotate_at)
				break;
		}
		if (j < s->nitems) {
			items[i] = s->items[j];
			memset(&s->items[j], 0, sizeof(s->items[j]));
			if (i != j)
				changed = true;
		} else {
			const struct svid_item *old = NULL;
			for (j = 0; j < s->nitems; j++)
				if (strcmp(s->items[j].entry_id, e[i].id) == 0)
					old = &s->items[j];
			tg_diag_init(&d);
			r = issue_x509(ag, &e[i], s->att.subject, now, old, &items[i], &d);
			if (r != TG_OK) {
				tg_log_error("agent: cannot issue an X509-SVID for %s: %s",
					     e[i].spiffe_id.uri, d.msg[0] ? d.msg : tg_strerror(r));
				stream_finish(s, GRPC_UNAVAILABLE, "cannot issue an X509-SVID");
				items_release(items, i);
				items = NULL;
				goto out;
			}
			if (!items[i].same || i != (size_t)(old - s->items))
				changed = true;
		}
		if (next == 0 || items[i].rotate_at < next)
			next = items[i].rotate_at;
	}
	items_release(s->items, s->nitems);
	s->items = items;
	s->nitems = n;
	items = NULL;
	s->next_rotate = next;
	if (!changed)
		goto out;
	pv = tg_xcalloc(n, sizeof(*pv));
	for (i = 0; i < n; i++) {
		pv[i].spiffe_id.p = (const uint8_t *)s->items[i].id.uri;
		pv[i].spiffe_id.n = strlen(s->items[i].id.uri);
		pv[i].x509_svid.p = s->items[i].chain.data;
		pv[i].x509_svid.n = s->items[i].chain.len;
		pv[i].x509_svid_key.p = s->items[i].key.data;
		pv[i].x509_svid_key.n = s->items[i].key.len;
		pv[i].bundle.p = ag->snap.der[0].data;
		pv[i].bundle.n = ag->snap.der[0].len;
	}
	{
		struct tg_wlpb_x509_svid_response m = {pv, n, NULL, 0, ag->snap.fed_map,
						       ag->snap.nfed};
		r = tg_wlpb_x509_svid_response_encode(&m, &msg);
	}
	if (r == TG_OK)
		r = stream_queue(s, &msg);
	if (r != TG_OK) {
		stream_finish(s, GRPC_INTERNAL, "cannot encode the response: %s", tg_strerror(r));
		goto out;
	}
	s->gen_sent = ag->gen_x509;
out:
	free(pv);
	tg_buf_release_wipe(&msg);
	tg_arena_release(&a);
}

/* Brings a bundles stream up to date (entitlement, then the bundles). */
static void bundles_update(struct agent *ag, struct stream *s, bool force)
{
	struct tg_arena a;
	struct tg_entry *e = NULL;
	uint64_t gen = s->rpc == RPC_X509_BUNDLES ? ag->gen_x509 : ag->gen_jwt;
	size_t n = 0;
	tg_arena_init(&a, AGENT_ARENA_MAX);
	if (!caller_entries(ag, s, &a, &e, &n))
		goto out;
	if (n == 0) {
		stream_finish(s, GRPC_PERMISSION_DENIED, "no identity issued");
		goto out;
	}
	if (force || s->gen_sent != gen) {
		const struct tg_buf *m = s->rpc == RPC_X509_BUNDLES ? &ag->snap.x509_msg
								    : &ag->snap.jwt_msg;
		tg_err r = stream_queue(s, m);
		if (r != TG_OK) {
			stream_finish(s, GRPC_INTERNAL, "cannot queue the response: %s",
				      tg_strerror(r));
			goto out;
		}
		s->gen_sent = gen;
	}
out:
	tg_arena_release(&a);
}

static void rpc_jwt_svid(struct agent *ag, struct stream *s, const struct tg_wlpb_jwt_svid_request *req,
			 const struct tg_spiffe_id *want)
{
	struct tg_arena a;
	struct tg_entry *e = NULL;
	const char **aud = NULL;
	struct tg_buf *tok = NULL;
	struct tg_wlpb_jwt_svid *sv = NULL;
	struct tg_buf msg = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	struct tg_time now = tg_time_now();
	size_t n = 0, i, k = 0;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA_MAX);
	if (!caller_entries(ag, s, &a, &e, &n))
		goto out;
	if (want) {
		for (i = 0; i < n; i++)
			if (strcmp(e[i].spiffe_id.uri, want->uri) == 0)
				break;
		if (i == n) {
			stream_finish(s, GRPC_PERMISSION_DENIED, "no identity issued for '%s'",
				      want->uri);
			goto out;
		}
		e = &e[i];
		n = 1;
	}
	if (n == 0) {
		stream_finish(s, GRPC_PERMISSION_DENIED, "no identity issued");
		goto out;
	}
	aud = tg_arena_alloc_array(&a, req->naudience, sizeof(*aud));
	if (!aud) {
		stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "too many audiences");
		goto out;
	}
	for (i = 0; i < req->naudience; i++) {
		aud[i] = tg_arena_strndup(&a, (const char *)req->audience[i].p, req->audience[i].n);
		if (!aud[i]) {
			stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "audiences too long");
			goto out;
		}
	}
	tok = tg_xcalloc(n, sizeof(*tok));
	sv = tg_xcalloc(n, sizeof(*sv));
	for (k = 0; k < n; k++) {
		struct tg_diag d;
		tg_buf_init(&tok[k], TG_LIMIT_JWS);
		tg_diag_init(&d);
		r = ag->up->issue_jwt(ag->up->ctx, &e[k], aud, req->naudience, now, &tok[k], &d);
		if (r == TG_E_INVAL) { /* the request's audiences (count, form) */
			stream_finish(s, GRPC_INVALID_ARGUMENT, "%s", d.msg);
			k++;
			goto out;
		}
		if (r != TG_OK) {
			tg_log_error("agent: cannot issue a JWT-SVID for %s: %s", e[k].spiffe_id.uri,
				     d.msg[0] ? d.msg : tg_strerror(r));
			stream_finish(s, GRPC_UNAVAILABLE, "cannot issue a JWT-SVID");
			k++;
			goto out;
		}
		tg_log_info("agent: issued JWT-SVID %s for audience %s%s to %s", e[k].spiffe_id.uri,
			    aud[0], req->naudience > 1 ? " (and more)" : "",
			    s->att.subject ? s->att.subject : "a workload");
		sv[k].spiffe_id.p = (const uint8_t *)e[k].spiffe_id.uri;
		sv[k].spiffe_id.n = strlen(e[k].spiffe_id.uri);
		sv[k].svid.p = tok[k].data;
		sv[k].svid.n = tok[k].len;
	}
	{
		struct tg_wlpb_jwt_svid_response m = {sv, n};
		r = tg_wlpb_jwt_svid_response_encode(&m, &msg);
	}
	if (r == TG_OK)
		r = stream_queue(s, &msg);
	if (r != TG_OK) {
		stream_finish(s, GRPC_INTERNAL, "cannot encode the response: %s", tg_strerror(r));
		goto out;
	}
	stream_finish(s, GRPC_OK, NULL);
out:
	for (i = 0; tok && i < k; i++)
		tg_buf_release_wipe(&tok[i]);
	free(tok);
	free(sv);
	tg_buf_release_wipe(&msg);
	tg_arena_release(&a);
}

static void rpc_validate(struct agent *ag, struct stream *s, const struct tg_wlpb_validate_request *req)
{
	struct tg_arena a;
	struct tg_entry *e = NULL;
	struct tg_revocations rev = ag->up->revocations(ag->up->ctx);
	struct tg_spiffe_id id;
	const struct tg_json *claims = NULL;
	struct tg_buf msg = TG_BUF_INIT(TG_WLPB_MAX_MESSAGE);
	struct tg_diag d;
	const char *aud;
	size_t n = 0;
	tg_err r;

	tg_arena_init(&a, AGENT_ARENA_MAX);
	tg_diag_init(&d);
	if (!caller_entries(ag, s, &a, &e, &n))
		goto out;
	if (n == 0) {
		stream_finish(s, GRPC_PERMISSION_DENIED, "no identity issued");
		goto out;
	}
	aud = tg_arena_strndup(&a, (const char *)req->audience.p, req->audience.n);
	if (!aud) {
		stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "audience too long");
		goto out;
	}
	r = tg_jwt_svid_verify((const char *)req->svid.p, req->svid.n, &ag->snap.set, aud,
			       tg_time_now(),
			       rev.is_revoked_serial || rev.is_revoked_jti ? &rev : NULL, &a, &id,
			       &claims, &d);
	if (r != TG_OK) {
		stream_finish(s, GRPC_INVALID_ARGUMENT, "invalid JWT-SVID: %s",
			      d.msg[0] ? d.msg : tg_strerror(r));
		goto out;
	}
	{
		struct tg_wlpb_validate_response m;
		m.spiffe_id.p = (const uint8_t *)id.uri;
		m.spiffe_id.n = strlen(id.uri);
		m.claims = claims;
		r = tg_wlpb_validate_response_encode(&m, &msg);
	}
	if (r == TG_OK)
		r = stream_queue(s, &msg);
	if (r != TG_OK) {
		stream_finish(s, GRPC_INTERNAL, "cannot encode the claims: %s", tg_strerror(r));
		goto out;
	}
	stream_finish(s, GRPC_OK, NULL);
out:
	tg_buf_release(&msg);
	tg_arena_release(&a);
}

/* ------------------------------------------------------------------ */
/* Streams: requests                                                   */
/* ------------------------------------------------------------------ */

/* Checks the request headers as soon as they are complete, so that a bad
 * request is refused before its body arrives. */
static void stream_headers_done(struct stream *s)
{
	if (s->hdr_toobig) { /* first: what came after the cap is unknown */
		stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "request headers exceed %zu bytes",
			      (size_t)TG_LIMIT_AGENT_HEADERS);
		return;
	}
	if (!s->post) {
		stream_http_error(s, "405");
		return;
	}
	if (!s->grpc_ct) {
		stream_http_error(s, "415"); /* gRPC over HTTP/2: not a gRPC request */
		return;
	}
	/* SPIFFE Workload Endpoint 3: the SSRF guard comes before anything */
	if (!s->wl_ok || s->wl_bad) {
		stream_finish(s, GRPC_INVALID_ARGUMENT,
			      "security header missing from request: workload.spiffe.io: true");
		return;
	}
	if (s->rpc == RPC_UNKNOWN) {
		stream_finish(s, GRPC_UNIMPLEMENTED, "unknown method");
		return;
	}
	if (s->timeout_bad)
		stream_finish(s, GRPC_INVALID_ARGUMENT, "malformed grpc-timeout");
}

static void stream_serve(struct agent *ag, struct stream *s);

/* Serves a complete request, then drops its bytes (up to
 * TG_LIMIT_AGENT_REQUEST, a JWT-SVID maybe) for the rest of the stream. */
static void stream_dispatch(struct agent *ag, struct stream *s)
{
	stream_serve(ag, s);
	tg_buf_release_wipe(&s->in);
}

static void stream_serve(struct agent *ag, struct stream *s)
{
	const uint8_t *msg = NULL;
	size_t mlen = 0, used = 0, i;
	bool comp = false, have_want = false;
	struct tg_wlpb_jwt_svid_request jreq;
	struct tg_wlpb_validate_request vreq;
	struct tg_spiffe_id want;
	struct tg_diag d;
	tg_err r;

	if (s->state != ST_READ)
		return;
	memset(&jreq, 0, sizeof(jreq));
	memset(&vreq, 0, sizeof(vreq));
	tg_diag_init(&d);
	r = tg_grpc_frame_next(s->in.data, s->in.len, TG_LIMIT_AGENT_REQUEST, &msg, &mlen, &comp,
			       &used);
	if (r == TG_E_TOOBIG) {
		stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "request message exceeds %zu bytes",
			      (size_t)TG_LIMIT_AGENT_REQUEST);
		return;
	}
	if (r != TG_OK) {
		stream_finish(s, GRPC_INTERNAL, "request is not one complete gRPC message");
		return;
	}
	if (used != s->in.len) {
		stream_finish(s, GRPC_INTERNAL, "more than one request message");
		return;
	}
	if (comp) {
		if (s->enc_other)
			stream_finish(s, GRPC_UNIMPLEMENTED, "compressed requests are not supported");
		else
			stream_finish(s, GRPC_INTERNAL, "compressed flag set without grpc-encoding");
		return;
	}
	if (s->deadline && mono_ms() >= s->deadline) {
		stream_finish(s, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
		return;
	}

	/* the request itself, before anything is asked of the caller */
	switch (s->rpc) {
	case RPC_JWT_SVID:
		r = tg_wlpb_jwt_svid_request_decode(msg, mlen, &s->arena, &jreq, &d);
		if (r != TG_OK)
			break;
		if (jreq.naudience == 0) {
			stream_finish(s, GRPC_INVALID_ARGUMENT, "audience must be specified");
			return;
		}
		for (i = 0; i < jreq.naudience; i++) {
			if (jreq.audience[i].n == 0 ||
			    memchr(jreq.audience[i].p, '\0', jreq.audience[i].n)) {
				stream_finish(s, GRPC_INVALID_ARGUMENT,
					      "audience must be non-empty text");
				return;
			}
		}
		if (jreq.spiffe_id.n) {
			struct tg_diag d2;
			tg_diag_init(&d2);
			if (tg_spiffe_id_parse((const char *)jreq.spiffe_id.p, jreq.spiffe_id.n,
					       &want, &d2) != TG_OK) {
				stream_finish(s, GRPC_INVALID_ARGUMENT, "invalid spiffe_id: %s",
					      d2.msg);
				return;
			}
			have_want = true;
		}
		break;
	case RPC_VALIDATE:
		r = tg_wlpb_validate_request_decode(msg, mlen, &vreq, &d);
		if (r != TG_OK)
			break;
		if (vreq.audience.n == 0 || memchr(vreq.audience.p, '\0', vreq.audience.n)) {
			stream_finish(s, GRPC_INVALID_ARGUMENT, "audience must be specified");
			return;
		}
		if (vreq.svid.n == 0) {
			stream_finish(s, GRPC_INVALID_ARGUMENT, "svid must be specified");
			return;
		}
		break;
	default:
		r = tg_wlpb_empty_decode(msg, mlen, &d);
	}
	if (r != TG_OK) {
		stream_finish(s, GRPC_INVALID_ARGUMENT, "malformed request message: %s",
			      d.msg[0] ? d.msg : tg_strerror(r));
		return;
	}

	/* the caller: the peer of this connection, attested now (the process
	 * behind a connection can exec another program between calls) */
	tg_diag_init(&d);
	r = tg_attest_unix(s->c->fd, &s->arena, &s->att, &d);
	if (r != TG_OK) {
		tg_log_warn("agent: connection %lu: cannot attest the caller: %s", s->c->id,
			    d.msg[0] ? d.msg : tg_strerror(r));
		stream_finish(s, GRPC_PERMISSION_DENIED, "cannot attest the caller");
		return;
	}
	s->attested = true;
	tg_log_debug("agent: connection %lu stream %d: %s from %s", s->c->id, s->id,
		     rpc_paths[s->rpc - 1].path, s->att.subject ? s->att.subject : "?");
	switch (s->rpc) {
	case RPC_X509_SVID:
		s->state = ST_OPEN;
		x509_update(ag, s, true);
		break;
	case RPC_X509_BUNDLES:
	case RPC_JWT_BUNDLES:
		s->state = ST_OPEN;
		bundles_update(ag, s, true);
		break;
	case RPC_JWT_SVID:
		s->state = ST_OPEN;
		rpc_jwt_svid(ag, s, &jreq, have_want ? &want : NULL);
		break;
	case RPC_VALIDATE:
		s->state = ST_OPEN;
		rpc_validate(ag, s, &vreq);
		break;
	default:
		stream_finish(s, GRPC_UNIMPLEMENTED, "unknown method");
	}
}

/* ------------------------------------------------------------------ */
/* nghttp2 callbacks                                                   */
/* ------------------------------------------------------------------ */

static ssize_t cb_send(nghttp2_session *h2, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct conn *c = ud;
	(void)h2;
	(void)flags;
	for (;;) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
			c->blocked = true;
			return NGHTTP2_ERR_WOULDBLOCK;
		}
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
}

static int cb_begin_headers(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
	struct conn *c = ud;
	struct stream *s;
	int64_t now = mono_ms(), cap = 2 * TG_LIMIT_AGENT_STREAM_RATE * 1000;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	/* token bucket: TG_LIMIT_AGENT_STREAM_RATE streams a second */
	c->tokens_milli += (now - c->tok_ts) * TG_LIMIT_AGENT_STREAM_RATE;
	if (c->tokens_milli > cap)
		c->tokens_milli = cap;
	c->tok_ts = now;
	if (c->tokens_milli < 1000) {
		tg_log_warn("agent: connection %lu opens streams too fast; closing it", c->id);
		nghttp2_session_terminate_session(h2, NGHTTP2_ENHANCE_YOUR_CALM);
		c->closing = true;
		return 0;
	}
	c->tokens_milli -= 1000;
	if (c->nstreams >= TG_LIMIT_AGENT_STREAMS) {
		nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
					  NGHTTP2_REFUSED_STREAM);
		return 0;
	}
	s = tg_xcalloc(1, sizeof(*s));
	s->id = frame->hd.stream_id;
	s->c = c;
	s->started = now;
	tg_buf_init(&s->in, TG_LIMIT_AGENT_REQUEST + 2 * TG_GRPC_FRAME_HDR);
	tg_buf_init(&s->out, 0);
	tg_buf_init(&s->next_msg, 0);
	tg_arena_init(&s->arena, AGENT_ARENA_MAX);
	s->next = c->streams;
	if (c->streams)
		c->streams->prev = s;
	c->streams = s;
	c->nstreams++;
	c->ever_stream = true;
	nghttp2_session_set_stream_user_data(h2, s->id, s);
	return 0;
}

static int cb_header(nghttp2_session *h2, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
	struct conn *c = ud;
	struct stream *s;
	size_t i;
	(void)flags;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
	if (!s)
		return 0;
	/* RFC 9113 6.5.2: a field costs its name, its value and 32 bytes */
	s->hdr_bytes += namelen + valuelen + 32;
	if (s->hdr_bytes > 4 * TG_LIMIT_AGENT_HEADERS && !c->closing) {
		/* far past what we announced: a header flood, not a mistake */
		tg_log_warn("agent: connection %lu sends oversized headers; closing it", c->id);
		nghttp2_session_terminate_session(h2, NGHTTP2_ENHANCE_YOUR_CALM);
		c->closing = true;
	}
	if (s->hdr_bytes > TG_LIMIT_AGENT_HEADERS)
		s->hdr_toobig = true;
	if (s->hdr_toobig)
		return 0;
	if (bytes_is(name, namelen, ":method")) {
		s->post = bytes_is(value, valuelen, "POST");
	} else if (bytes_is(name, namelen, ":path")) {
		s->rpc = RPC_UNKNOWN;
		for (i = 0; i < TG_ARRAY_LEN(rpc_paths); i++)
			if (bytes_is(value, valuelen, rpc_paths[i].path))
				s->rpc = rpc_paths[i].rpc;
	} else if (bytes_is(name, namelen, "content-type")) {
		/* "application/grpc", optionally "+proto" or ";params" */
		s->grpc_ct = valuelen >= 16 && memcmp(value, "application/grpc", 16) == 0 &&
			     (valuelen == 16 || value[16] == '+' || value[16] == ';');
	} else if (bytes_is(name, namelen, "workload.spiffe.io")) {
		if (bytes_is(value, valuelen, "true"))
			s->wl_ok = true;
		else
			s->wl_bad = true; /* the value is case sensitive */
	} else if (bytes_is(name, namelen, "grpc-timeout")) {
		int64_t ms;
		if (tg_grpc_timeout_parse((const char *)value, valuelen, &ms) != TG_OK)
			s->timeout_bad = true;
		else
			s->deadline = s->started + ms; /* started > 0: 0 stays "none" */
	} else if (bytes_is(name, namelen, "grpc-encoding")) {
		s->enc_other = !bytes_is(value, valuelen, "identity");
	}
	return 0;
}

static int cb_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t stream_id, const uint8_t *data,
			 size_t len, void *ud)
{
	struct stream *s = nghttp2_session_get_stream_user_data(h2, stream_id);
	(void)flags;
	(void)ud;
	if (!s || s->state != ST_READ)
		return 0; /* after the response: dropped */
	if (tg_buf_add(&s->in, data, len) != TG_OK) {
		stream_finish(s, GRPC_RESOURCE_EXHAUSTED, "request message exceeds %zu bytes",
			      (size_t)TG_LIMIT_AGENT_REQUEST);
		return 0;
	}
	/* refuse an oversized message from its header, not after its body */
	if (s->in.len >= TG_GRPC_FRAME_HDR) {
		uint32_t n = (uint32_t)s->in.data[1] << 24 | (uint32_t)s->in.data[2] << 16 |
			     (uint32_t)s->in.data[3] << 8 | s->in.data[4];
		if (n > TG_LIMIT_AGENT_REQUEST)
			stream_finish(s, GRPC_RESOURCE_EXHAUSTED,
				      "request message exceeds %zu bytes",
				      (size_t)TG_LIMIT_AGENT_REQUEST);
	}
	return 0;
}

static int cb_frame_recv(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
	struct conn *c = ud;
	struct stream *s;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	s = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
	if (!s)
		return 0;
	if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
		stream_headers_done(s);
	if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
		s->req_done = true;
		stream_dispatch(c->ag, s);
	}
	return 0;
}

static int cb_frame_send(nghttp2_session *h2, const nghttp2_frame *frame, void *ud)
{
	struct stream *s;
	(void)ud;
	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	s = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
	/* answered before the client finished sending: stop its upload
	 * (RFC 9113 8.1), after the response so that it is not lost */
	if (s && !s->req_done)
		nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
	return 0;
}

static int cb_stream_close(nghttp2_session *h2, int32_t stream_id, uint32_t error_code, void *ud)
{
	struct conn *c = ud;
	struct stream *s = nghttp2_session_get_stream_user_data(h2, stream_id);
	if (!s)
		return 0;
	if (s->state != ST_DONE)
		tg_log_debug("agent: connection %lu stream %d closed by the client (error %u)",
			     c->id, stream_id, error_code);
	nghttp2_session_set_stream_user_data(h2, stream_id, NULL);
	stream_free(s);
	if (c->nstreams == 0)
		c->last_active = mono_ms();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void conn_free(struct conn *c)
{
	if (c->h2)
		nghttp2_session_del(c->h2); /* calls no stream-close callbacks */
	while (c->streams)
		stream_free(c->streams);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static tg_err conn_new(struct agent *ag, int fd, struct conn **out)
{
	nghttp2_session_callbacks *cbs = NULL;
	nghttp2_option *opt = NULL;
	struct conn *c = tg_xcalloc(1, sizeof(*c));
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, TG_LIMIT_AGENT_STREAMS},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, TG_LIMIT_AGENT_HEADERS},
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
	};
	tg_err r = TG_E_INTERNAL;

	c->fd = fd;
	c->ag = ag;
	c->id = ++ag->next_id;
	c->last_active = mono_ms();
	c->tok_ts = c->last_active;
	c->tokens_milli = 2 * TG_LIMIT_AGENT_STREAM_RATE * 1000;
	if (nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0)
		goto out;
	nghttp2_session_callbacks_set_send_callback(cbs, cb_send);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
	/* at most 32 parameters in one SETTINGS frame (a settings flood) */
	nghttp2_option_set_max_settings(opt, 32);
	if (nghttp2_session_server_new2(&c->h2, cbs, c, opt) != 0)
		goto out;
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, TG_ARRAY_LEN(iv)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = TG_OK;
out:
	if (c) {
		c->fd = -1; /* the caller closes fd */
		conn_free(c);
	}
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cbs);
	return r;
}

static void conn_flush(struct conn *c)
{
	if (c->dead)
		return;
	c->blocked = false;
	if (nghttp2_session_send(c->h2) != 0)
		c->dead = true;
}

static void conn_read(struct conn *c)
{
	uint8_t buf[AGENT_READ_CHUNK];
	int rounds;
	for (rounds = 0; rounds < 8 && !c->dead; rounds++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			c->dead = true; /* the client went away */
			break;
		}
		c->last_active = mono_ms();
		if (nghttp2_session_mem_recv(c->h2, buf, (size_t)n) < 0) {
			/* a protocol error: nghttp2 queued a GOAWAY; send it, then close */
			tg_log_debug("agent: connection %lu: HTTP/2 protocol error", c->id);
			conn_flush(c);
			c->dead = true;
		}
	}
}

static void accept_clients(struct agent *ag)
{
	int i;
	for (i = 0; i < 16; i++) {
		struct conn *c = NULL;
		int fd = accept4(ag->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* the pending client stays queued; poll() would
				 * report it at once again, so wait a little */
				tg_log_warn("agent: cannot accept a client: %s", strerror(errno));
				ag->accept_pause_until = mono_ms() + 1000;
			}
			return; /* EAGAIN, or an error about this one client */
		}
		if (ag->nconns >= ag->max_clients) {
			tg_log_warn("agent: %u clients connected; refusing another", ag->max_clients);
			close(fd);
			continue;
		}
		if (conn_new(ag, fd, &c) != TG_OK) {
			close(fd);
			continue;
		}
		ag->conns[ag->nconns++] = c;
		tg_log_debug("agent: connection %lu opened", c->id);
		conn_flush(c);
	}
}

/* Deadlines of calls, request timeouts and idle connections. */
static void agent_timers(struct agent *ag, int64_t now)
{
	size_t i;
	for (i = 0; i < ag->nconns; i++) {
		struct conn *c = ag->conns[i];
		struct stream *s;
		int64_t limit = (c->ever_stream ? TG_LIMIT_AGENT_IDLE_SEC : TG_LIMIT_AGENT_REQUEST_SEC) *
				(int64_t)1000;
		if (c->dead || c->closing)
			continue;
		if (c->nstreams == 0 && now - c->last_active > limit) {
			tg_log_debug("agent: connection %lu idle; closing it", c->id);
			nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
			c->closing = true;
			continue;
		}
		for (s = c->streams; s; s = s->next) {
			if (s->state == ST_READ &&
			    now - s->started > TG_LIMIT_AGENT_REQUEST_SEC * (int64_t)1000) {
				nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id,
							  NGHTTP2_CANCEL);
				s->state = ST_DONE;
			} else if (s->state == ST_OPEN && s->deadline && now >= s->deadline) {
				stream_finish(s, GRPC_DEADLINE_EXCEEDED, "deadline exceeded");
			}
		}
	}
}

/* Re-reads the bundles (full) and brings every open stream up to date:
 * all of them on a full refresh, those with an SVID due otherwise. */
static void agent_refresh(struct agent *ag, bool full)
{
	int64_t now_sec = tg_time_now().sec;
	size_t i;
	if (full) {
		struct snap ns;
		struct tg_diag d;
		ag->up->refresh(ag->up->ctx);
		tg_diag_init(&d);
		if (snap_build(ag->up, &ns, &d) != TG_OK) {
			tg_log_warn("agent: keeping the previous bundles: %s", d.msg);
		} else {
			bool xc = !buf_eq(&ns.x509_msg, &ag->snap.x509_msg);
			bool jc = !buf_eq(&ns.jwt_msg, &ag->snap.jwt_msg);
			if (xc || jc) {
				snap_release(&ag->snap);
				ag->snap = ns;
				ag->gen_x509 += xc;
				ag->gen_jwt += jc;
				tg_log_info("agent: %s bundles changed; updating %zu connection(s)",
					    xc && jc ? "X.509 and JWT" : xc ? "X.509" : "JWT",
					    ag->nconns);
			} else {
				snap_release(&ns);
			}
		}
	}
	for (i = 0; i < ag->nconns; i++) {
		struct stream *s;
		if (ag->conns[i]->dead || ag->conns[i]->closing)
			continue;
		for (s = ag->conns[i]->streams; s; s = s->next) {
			if (s->state != ST_OPEN || s->finishing)
				continue;
			if (s->rpc == RPC_X509_SVID &&
			    (full || (s->next_rotate && now_sec >= s->next_rotate)))
				x509_update(ag, s, false);
			else if (full && (s->rpc == RPC_X509_BUNDLES || s->rpc == RPC_JWT_BUNDLES))
				bundles_update(ag, s, false);
		}
	}
}

static void agent_reap(struct agent *ag)
{
	size_t i = 0;
	while (i < ag->nconns) {
		struct conn *c = ag->conns[i];
		bool done = c->dead || (!nghttp2_session_want_read(c->h2) &&
					!nghttp2_session_want_write(c->h2)) ||
			    (c->closing && !nghttp2_session_want_write(c->h2));
		if (done) {
			tg_log_debug("agent: connection %lu closed", c->id);
			conn_free(c);
			ag->conns[i] = ag->conns[--ag->nconns];
		} else {
			i++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The socket                                                          */
/* ------------------------------------------------------------------ */

static tg_err listen_unix(const char *path, int *fd_out, struct stat *st_out, struct tg_diag *d)
{
	struct sockaddr_un sa;
	struct stat st;
	size_t n = strlen(path);
	int fd = -1;
	tg_err r = TG_E_INTERNAL;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa.sun_path)) {
		tg_diag_set(d, "socket path '%s' is empty or longer than %zu bytes", path,
			    sizeof(sa.sun_path) - 1);
		return TG_E_INVAL;
	}
	memcpy(sa.sun_path, path, n + 1);
	if (lstat(path, &st) == 0) {
		int p;
		if (!S_ISSOCK(st.st_mode)) {
			tg_diag_set(d, "'%s' exists and is not a socket", path);
			return TG_E_EXISTS;
		}
		p = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (p < 0) {
			tg_diag_set(d, "cannot create a socket: %s", strerror(errno));
			return TG_E_IO;
		}
		if (connect(p, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN ||
		    errno == EINPROGRESS) {
			close(p);
			tg_diag_set(d, "another server listens on '%s'", path);
			return TG_E_EXISTS;
		}
		if (errno != ECONNREFUSED && errno != ENOENT) {
			tg_diag_set(d, "cannot probe '%s': %s", path, strerror(errno));
			close(p);
			return TG_E_IO;
		}
		close(p);
		/* nobody listens: a stale file of an agent that died */
		if (unlink(path) != 0 && errno != ENOENT) {
			tg_diag_set(d, "cannot remove the stale socket '%s': %s", path,
				    strerror(errno));
			return TG_E_IO;
		}
		tg_log_info("agent: removed the stale socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		tg_diag_set(d, "cannot create a socket: %s", strerror(errno));
		return TG_E_IO;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = errno == EADDRINUSE ? TG_E_EXISTS : TG_E_IO;
		tg_diag_set(d, "cannot bind '%s': %s", path, strerror(errno));
		goto out;
	}
	/* any local process may call; attestation decides what it gets */
	if (chmod(path, 0666) != 0 || listen(fd, 128) != 0 || stat(path, &st) != 0) {
		tg_diag_set(d, "cannot listen on '%s': %s", path, strerror(errno));
		r = TG_E_IO;
		unlink(path);
		goto out;
	}
	*fd_out = fd;
	*st_out = st;
	fd = -1;
	r = TG_OK;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* Sends what is queued (goodbyes) for a bounded time before closing. */
static void agent_drain(struct agent *ag)
{
	int round;
	for (round = 0; round < AGENT_SHUTDOWN_ROUNDS; round++) {
		struct pollfd pfd[64];
		size_t i, np = 0;
		for (i = 0; i < ag->nconns; i++) {
			struct conn *c = ag->conns[i];
			conn_flush(c);
			if (!c->dead && nghttp2_session_want_write(c->h2) && np < TG_ARRAY_LEN(pfd)) {
				pfd[np].fd = c->fd;
				pfd[np].events = POLLOUT;
				pfd[np].revents = 0;
				np++;
			}
		}
		if (np == 0)
			return;
		(void)poll(pfd, np, 50);
	}
}

tg_err tg_agent_serve_upstream(const struct tg_agent_upstream *up, const struct tg_agent_opts *o,
			       volatile int *stop, struct tg_diag *d)
{
	struct agent ag;
	struct pollfd *pfd = NULL;
	struct conn **pconn = NULL;
	struct stat st;
	bool listening = false;
	size_t i;
	tg_err r = TG_E_INTERNAL;

	memset(&ag, 0, sizeof(ag));
	ag.lfd = -1;
	if (!up || !o || !o->socket_path || !stop) {
		tg_diag_set(d, "agent: missing upstream, options, socket path or stop flag");
		return TG_E_INVAL;
	}
	if (o->rotate_before < 0 || o->rotate_before > TG_SVID_TTL_MAX) {
		tg_diag_set(d, "rotate-before must be between 0 and %d seconds", TG_SVID_TTL_MAX);
		return TG_E_RANGE;
	}
	if (o->max_clients > TG_LIMIT_AGENT_CLIENTS) {
		tg_diag_set(d, "max-clients must be at most %d", TG_LIMIT_AGENT_CLIENTS);
		return TG_E_RANGE;
	}
	ag.up = up;
	ag.rotate_before = o->rotate_before;
	ag.max_clients = o->max_clients ? o->max_clients : AGENT_MAX_CLIENTS_DEFAULT;
	r = snap_build(up, &ag.snap, d);
	if (r != TG_OK)
		goto out;
	ag.gen_x509 = ag.gen_jwt = 1;
	r = listen_unix(o->socket_path, &ag.lfd, &st, d);
	if (r != TG_OK)
		goto out;
	listening = true;
	ag.conns = tg_xcalloc(ag.max_clients, sizeof(*ag.conns));
	pfd = tg_xcalloc(ag.max_clients + 1, sizeof(*pfd));
	pconn = tg_xcalloc(ag.max_clients + 1, sizeof(*pconn));
	ag.next_refresh = mono_ms() + AGENT_REFRESH_MS;
	tg_log_info("agent: serving the SPIFFE Workload API of %s on %s",
		    up->trust_domain(up->ctx), o->socket_path);

	while (!*stop) {
		int64_t now = mono_ms();
		size_t np = 0;
		int rc;
		if (now >= ag.next_refresh) {
			agent_refresh(&ag, true);
			ag.next_refresh = now + AGENT_REFRESH_MS;
		} else {
			agent_refresh(&ag, false);
		}
		agent_timers(&ag, now);
		for (i = 0; i < ag.nconns; i++)
			conn_flush(ag.conns[i]);
		agent_reap(&ag);

		pfd[np].fd = now < ag.accept_pause_until ? -1 : ag.lfd;
		pfd[np].events = POLLIN;
		pfd[np].revents = 0;
		pconn[np++] = NULL;
		for (i = 0; i < ag.nconns; i++) {
			struct conn *c = ag.conns[i];
			pfd[np].fd = c->fd;
			pfd[np].events = POLLIN;
			if (c->blocked)
				pfd[np].events |= POLLOUT;
			pfd[np].revents = 0;
			pconn[np++] = c;
		}
		rc = poll(pfd, np, AGENT_POLL_MS);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			tg_diag_set(d, "poll: %s", strerror(errno));
			r = TG_E_IO;
			goto out;
		}
		for (i = 1; i < np && rc > 0; i++) {
			struct conn *c = pconn[i];
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(c);
			if (pfd[i].revents & POLLOUT)
				c->blocked = false;
			conn_flush(c);
		}
		if (pfd[0].revents & POLLIN)
			accept_clients(&ag);
		agent_reap(&ag);
	}

	/* goodbye: open calls end with UNAVAILABLE (clients reconnect), then
	 * GOAWAY */
	for (i = 0; i < ag.nconns; i++) {
		struct conn *c = ag.conns[i];
		struct stream *s;
		for (s = c->streams; s; s = s->next) {
			if (s->state == ST_OPEN)
				stream_finish(s, GRPC_UNAVAILABLE, "agent is shutting down");
			else if (s->state == ST_READ)
				nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id,
							  NGHTTP2_REFUSED_STREAM);
		}
		nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
				      nghttp2_session_get_last_proc_stream_id(c->h2),
				      NGHTTP2_NO_ERROR, NULL, 0);
	}
	agent_drain(&ag);
	tg_log_info("agent: stopped");
	r = TG_OK;
out:
	for (i = 0; i < ag.nconns; i++)
		conn_free(ag.conns[i]);
	free(ag.conns);
	free(pfd);
	free(pconn);
	if (ag.lfd >= 0)
		close(ag.lfd);
	if (listening) {
		struct stat now_st;
		/* remove the socket file only while it is still ours */
		if (stat(o->socket_path, &now_st) == 0 && now_st.st_dev == st.st_dev &&
		    now_st.st_ino == st.st_ino)
			unlink(o->socket_path);
	}
	snap_release(&ag.snap);
	return r;
}

/* ------------------------------------------------------------------ */
/* The local upstream: the CA directory                                */
/* ------------------------------------------------------------------ */

struct local_up {
	struct tg_ca *ca;                  /* in use: the caller's, or reopened */
	struct tg_ca *reopened;            /* ours, after the CA changed on disk */
	struct timespec stamp[2];          /* mtimes of D/intermediates and D/jwt */
};

/* The modification times of the directories a CA rotation writes to. */
static bool ca_stamp(const struct tg_ca *ca, struct timespec out[2])
{
	static const char *const sub[2] = {"intermediates", "jwt"};
	char path[PATH_MAX];
	struct stat st;
	int i;
	for (i = 0; i < 2; i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", ca->dir, sub[i]);
		if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0)
			return false;
		out[i] = st.st_mtim;
	}
	return true;
}

/* A CA handle holds its signing keys in memory: when another process
 * (`tollgate ca rotate`) changed the directory, open it again, so that the
 * new keys sign and the bundles carry them. */
static void local_refresh(void *ctx)
{
	struct local_up *l = ctx;
	struct timespec st[2];
	struct tg_ca *fresh = NULL;
	struct tg_diag d;
	if (!ca_stamp(l->ca, st) || memcmp(st, l->stamp, sizeof(st)) == 0)
		return;
	tg_diag_init(&d);
	if (tg_ca_open(l->ca->dir, &fresh, &d) != TG_OK) {
		/* maybe half-written: try again at the next refresh */
		tg_log_warn("agent: the CA in %s changed but cannot be opened: %s", l->ca->dir,
			    d.msg);
		return;
	}
	tg_log_info("agent: the CA in %s changed; reloaded it", l->ca->dir);
	tg_ca_close(l->reopened);
	l->reopened = fresh;
	l->ca = fresh;
	memcpy(l->stamp, st, sizeof(st));
}

static const char *local_td(void *ctx)
{
	return tg_ca_trust_domain(((struct local_up *)ctx)->ca);
}

static tg_err local_bundles(void *ctx, struct tg_bundle_set *out, struct tg_diag *d)
{
	tg_err r = tg_ca_bundles(((struct local_up *)ctx)->ca, out);
	if (r != TG_OK)
		tg_diag_set(d, "cannot read the trust bundles: %s", tg_strerror(r));
	return r;
}

static tg_err local_match(void *ctx, const struct tg_selector *att, size_t n, struct tg_arena *a,
			  struct tg_entry **out, size_t *nout, struct tg_diag *d)
{
	return tg_entry_match(((struct local_up *)ctx)->ca, att, n, a, out, nout, d);
}

static tg_err local_x509(void *ctx, const struct tg_entry *e, struct tg_time now,
			 struct tg_key **key, struct tg_x509_list *chain, struct tg_diag *d)
{
	struct tg_key *k = NULL;
	tg_err r = tg_key_generate(TG_KEY_EC_P256, 0, &k);
	/* a TTL of 0 is the CA's default */
	if (r == TG_OK)
		r = tg_ca_issue_x509(((struct local_up *)ctx)->ca, &e->spiffe_id, k, e->x509_ttl,
				     now, chain, d);
	if (r != TG_OK) {
		tg_key_free(k);
		return r;
	}
	*key = k;
	return TG_OK;
}

static tg_err local_jwt(void *ctx, const struct tg_entry *e, const char *const *aud, size_t naud,
			struct tg_time now, struct tg_buf *token, struct tg_diag *d)
{
	return tg_ca_issue_jwt(((struct local_up *)ctx)->ca, &e->spiffe_id, aud, naud, e->jwt_ttl,
			       now, TG_SIG_NONE, token, d);
}

static struct tg_revocations local_rev(void *ctx)
{
	return tg_ca_revocations(((struct local_up *)ctx)->ca);
}

tg_err tg_agent_serve(struct tg_ca *ca, const struct tg_agent_opts *o, volatile int *stop,
		      struct tg_diag *d)
{
	struct local_up l;
	struct tg_agent_upstream up;
	tg_err r;

	if (!ca) {
		tg_diag_set(d, "agent: missing CA");
		return TG_E_INVAL;
	}
	memset(&l, 0, sizeof(l));
	l.ca = ca;
	if (!ca_stamp(ca, l.stamp))
		memset(l.stamp, 0, sizeof(l.stamp));
	up.ctx = &l;
	up.trust_domain = local_td;
	up.refresh = local_refresh;
	up.bundles = local_bundles;
	up.match = local_match;
	up.issue_x509 = local_x509;
	up.issue_jwt = local_jwt;
	up.revocations = local_rev;
	r = tg_agent_serve_upstream(&up, o, stop, d);
	tg_ca_close(l.reopened);
	return r;
}
