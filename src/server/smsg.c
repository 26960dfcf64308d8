/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smsg.c - the codec of the typed messages between the api worker and the
 * signer process: a type, a field count and length-prefixed fields, each
 * request type with a fixed schema of field counts and size caps.
 */
#include "server/server.h"

#include <string.h>

#include "core/fs.h"

struct schema {
	uint32_t type;
	size_t n;
	size_t cap[TG_SMSG_FIELDS];
};

#define KB 1024
static const struct schema schemas[] = {
	{TG_SMSG_SERVER_SVID, 1, {4 * KB}},
	{TG_SMSG_BUNDLE, 0, {0}},
	/* kind, token, spki, spiffe id, audiences */
	{TG_SMSG_ATTEST, 5, {8, 256 * KB, 4 * KB, 2048, 16 * KB}},
	/* client chain DER, audience */
	{TG_SMSG_JWT_SVID, 2, {64 * KB, 1024}},
	/* kind, credential, spki */
	{TG_SMSG_SIGNING_CERT, 3, {8, 256 * KB, 4 * KB}},
	{TG_SMSG_TIMESTAMP, 1, {16 * KB}},
	{TG_SMSG_LOG_APPEND, 1, {65535}},
	{TG_SMSG_LOG_INFO, 0, {0}},
	/* bundle, digests */
	{TG_SMSG_ATT_STORE, 2, {TG_ATT_BUNDLE_MAX, 32 * TG_ATT_DIGESTS}},
	{TG_SMSG_ATT_GET, 1, {32}},
	{TG_SMSG_LOG_DECISION, 1, {1024 * KB}},
	{TG_SMSG_LOG_ADMISSION, 1, {1024 * KB}},
	/* level, index, width (exact sizes checked by the store) */
	{TG_SMSG_TILE, 3, {1, 8, 2}},
	{TG_SMSG_CHECKPOINT, 0, {0}},
	/* agent chain PEM, then: entry id, spki | entry id, audiences | spki */
	{TG_SMSG_AGENT_ENTRIES, 1, {64 * KB}},
	{TG_SMSG_AGENT_X509, 3, {64 * KB, 36, 4 * KB}},
	{TG_SMSG_AGENT_JWT, 3, {64 * KB, 36, 16 * KB}},
	{TG_SMSG_AGENT_RENEW, 2, {64 * KB, 4 * KB}},
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

tg_err tg_smsg_encode(const struct tg_smsg *m, struct tg_buf *out)
{
	uint8_t h[8];
	size_t i, total = 8;
	tg_err r;

	if (m->n > TG_SMSG_FIELDS)
		return TG_E_INVAL;
	for (i = 0; i < m->n; i++) {
		if (m->f[i].len > TG_SMSG_MAX || total + 4 + m->f[i].len > TG_SMSG_MAX)
			return TG_E_TOOBIG;
		total += 4 + m->f[i].len;
	}
	put32(h, m->type);
	put32(h + 4, (uint32_t)m->n);
	r = tg_buf_add(out, h, 8);
	for (i = 0; r == TG_OK && i < m->n; i++) {
		put32(h, (uint32_t)m->f[i].len);
		r = tg_buf_add(out, h, 4);
		if (r == TG_OK && m->f[i].len)
			r = tg_buf_add(out, m->f[i].p, m->f[i].len);
	}
	return r;
}

tg_err tg_smsg_decode(const uint8_t *p, size_t n, struct tg_smsg *m, struct tg_diag *d)
{
	const struct schema *s = NULL;
	struct tg_smsg x;
	size_t i, off = 8, nf;

	memset(&x, 0, sizeof(x));
	if (n > TG_SMSG_MAX) {
		tg_diag_set(d, "signer message of %zu bytes exceeds %d", n, TG_SMSG_MAX);
		return TG_E_TOOBIG;
	}
	if (n < 8) {
		tg_diag_set(d, "signer message truncated in its header");
		return TG_E_PARSE;
	}
	x.type = get32(p);
	nf = get32(p + 4);
	if ((x.type & TG_SMSG_RESPONSE) == 0) {
		for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
			if (schemas[i].type == x.type)
				s = &schemas[i];
		if (!s) {
			tg_diag_set(d, "unknown signer request type %u", x.type);
			return TG_E_PARSE;
		}
		if (nf != s->n) {
			tg_diag_set(d, "signer request type %u has %zu fields, want %zu", x.type, nf,
				    s->n);
			return TG_E_PARSE;
		}
	} else if ((x.type & ~(uint32_t)0xff) != TG_SMSG_RESPONSE || nf > TG_SMSG_FIELDS) {
		tg_diag_set(d, "malformed signer response header");
		return TG_E_PARSE;
	}
	for (i = 0; i < nf; i++) {
		size_t len;
		if (4 > n - off) {
			tg_diag_set(d, "signer message truncated at field %zu", i);
			return TG_E_PARSE;
		}
		len = get32(p + off);
		off += 4;
		if (len > n - off) {
			tg_diag_set(d, "signer message field %zu overruns the message", i);
			return TG_E_PARSE;
		}
		if (s && len > s->cap[i]) {
			tg_diag_set(d, "signer request type %u field %zu of %zu bytes exceeds %zu",
				    x.type, i, len, s->cap[i]);
			return TG_E_TOOBIG;
		}
		x.f[i].p = p + off;
		x.f[i].len = len;
		off += len;
	}
	if (off != n) {
		tg_diag_set(d, "%zu trailing bytes after the signer message", n - off);
		return TG_E_PARSE;
	}
	x.n = nf;
	*m = x;
	return TG_OK;
}

tg_err tg_smsg_send(int fd, const struct tg_smsg *m)
{
	struct tg_buf b = TG_BUF_INIT(TG_SMSG_MAX + 4);
	uint8_t z[4] = {0, 0, 0, 0};
	tg_err r = tg_buf_add(&b, z, 4);
	if (r == TG_OK)
		r = tg_smsg_encode(m, &b);
	if (r == TG_OK) {
		put32(b.data, (uint32_t)(b.len - 4));
		r = tg_fs_write_all(fd, b.data, b.len);
	}
	tg_buf_release_wipe(&b);
	return r;
}

tg_err tg_smsg_recv(int fd, struct tg_buf *buf, struct tg_smsg *m, struct tg_diag *d)
{
	uint8_t h[4];
	uint8_t *p;
	size_t n;
	tg_err r;

	tg_buf_reset(buf);
	r = tg_fs_read_exact(fd, h, 4);
	if (r != TG_OK) {
		tg_diag_set(d, "signer channel closed");
		return r;
	}
	n = get32(h);
	if (n > TG_SMSG_MAX) {
		tg_diag_set(d, "signer message of %zu bytes exceeds %d", n, TG_SMSG_MAX);
		return TG_E_TOOBIG;
	}
	p = tg_buf_reserve(buf, n ? n : 1);
	if (!p)
		return TG_E_TOOBIG;
	r = tg_fs_read_exact(fd, p, n);
	if (r != TG_OK) {
		tg_diag_set(d, "signer channel closed mid-message");
		return r;
	}
	tg_buf_commit(buf, n);
	return tg_smsg_decode(buf->data, n, m, d);
}
