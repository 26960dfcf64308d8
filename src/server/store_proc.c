/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_proc.c - the store process of tollgated: it owns the database
 * (<state_dir>/tollgate.db, behind the store interface of store.h) and
 * reads the signer's log directory read-only to serve the checkpoint and
 * the C2SP tlog-tiles resources. No key, no network; typed requests from
 * the api worker over its own socketpair. Also the tile path parser.
 */
#include "server/server.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/codec.h"
#include "crypto/crypto.h"
#include "server/store.h"
#include "tlog/tlog.h"

#define TILE_FULL TG_TLOG_TILE_WIDTH
#define TILE_ANSWER_MAX (TG_SMSG_MAX - 64) /* bytes of one tile answer (a field and headers) */

/* ---- tile paths (c2sp.org/tlog-tiles "Merkle Tree") ---- */

/* A decimal of at most maxd digits without leading zeros; *end past it. */
static bool dec(const char *p, size_t n, size_t *off, unsigned maxd, uint64_t *out)
{
	size_t i = *off, k = 0;
	uint64_t v = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9' && k <= maxd) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		i++;
		k++;
	}
	if (k == 0 || k > maxd || (k > 1 && p[*off] == '0'))
		return false;
	*off = i;
	*out = v;
	return true;
}

tg_err tg_server_tile_path_parse(const char *p, size_t n, struct tg_server_tile *out,
				 struct tg_diag *d)
{
	struct tg_server_tile t;
	size_t off = 0, groups = 0;
	uint64_t v = 0;

	memset(&t, 0, sizeof(t));
	if (n >= 8 && memcmp(p, "entries/", 8) == 0) {
		t.level = TG_TILE_ENTRIES;
		off = 8;
	} else {
		if (!dec(p, n, &off, 2, &v) || off >= n || p[off] != '/') {
			tg_diag_set(d, "the tile level must be a decimal 0-63 without leading zeros, "
				       "followed by '/'");
			return TG_E_PARSE;
		}
		if (v > 63) {
			tg_diag_set(d, "tile level %llu is above 63", (unsigned long long)v);
			return TG_E_RANGE;
		}
		t.level = (int)v;
		off++;
	}
	/* N: "x" ddd "/" ... ddd, every group exactly three digits */
	for (;;) {
		bool x = off < n && p[off] == 'x';
		unsigned g = 0, k;
		if (x)
			off++;
		for (k = 0; k < 3; k++) {
			if (off + k >= n || p[off + k] < '0' || p[off + k] > '9') {
				tg_diag_set(d, "tile index group %zu at byte %zu is not three digits",
					    groups + 1, off);
				return TG_E_PARSE;
			}
			g = g * 10 + (unsigned)(p[off + k] - '0');
		}
		off += 3;
		if (groups == 0 && x && g == 0) {
			tg_diag_set(d, "tile index has a leading 'x000' group (not canonical)");
			return TG_E_PARSE;
		}
		if (t.index > (UINT64_MAX - g) / 1000) {
			tg_diag_set(d, "tile index is above 2^64-1");
			return TG_E_RANGE;
		}
		t.index = t.index * 1000 + g;
		groups++;
		if (!x)
			break;
		if (off >= n || p[off] != '/') {
			tg_diag_set(d, "an 'x' group of the tile index must be followed by '/'");
			return TG_E_PARSE;
		}
		off++;
	}
	t.width = TILE_FULL;
	if (off < n) {
		if (n - off < 3 || memcmp(p + off, ".p/", 3) != 0) {
			tg_diag_set(d, "unexpected byte at %zu of the tile path (want '.p/<W>' or "
				       "the end)", off);
			return TG_E_PARSE;
		}
		off += 3;
		if (!dec(p, n, &off, 3, &v) || off != n) {
			tg_diag_set(d, "the partial tile width must be a decimal 1-255 without "
				       "leading zeros, ending the path");
			return TG_E_PARSE;
		}
		if (v == 0 || v >= TILE_FULL) {
			tg_diag_set(d, "partial tile width %llu is outside 1-255",
				    (unsigned long long)v);
			return TG_E_RANGE;
		}
		t.width = (unsigned)v;
	}
	*out = t;
	return TG_OK;
}

/* ---- the process ---- */

struct st {
	const struct tg_server_config *c;
	struct tg_store *db;
	char log_dir[PATH_MAX];
};


static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ATT_STORE: the worker verified the bundle against the trusted root and
 * extracted its subject digests; the store bounds and writes. */
static tg_err h_att_store(struct st *s, const struct tg_smsg *m, struct tg_server_answer *o,
			  struct tg_diag *d)
{
	uint8_t h[32];
	char hex[65];
	size_t nd = m->f[1].len / 32;
	bool fresh = false;
	tg_err r;

	if (m->f[0].len == 0 || nd == 0 || m->f[1].len % 32 != 0) {
		tg_diag_set(d, "an attestation needs a bundle and whole 32-byte digests");
		return TG_E_PARSE;
	}
	r = tg_hash(TG_SHA256, m->f[0].p, m->f[0].len, h);
	if (r == TG_OK)
		r = s->db->ops->att_put(s->db, h, m->f[0].p, m->f[0].len,
					(const uint8_t(*)[32])m->f[1].p, nd, TG_ATT_PER_DIGEST,
					TG_ATT_TOTAL, &fresh, d);
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(hex, h, 32);
	r = tg_buf_add(&o->f[0], hex, 64);
	if (r == TG_OK)
		r = tg_buf_adds(&o->f[1], fresh ? "new" : "known");
	o->n = 2;
	return r;
}

/* One stored bundle into the ATT_GET answer, after checking that it is
 * still the bundle its key names. */
static tg_err att_one(void *ctx, const uint8_t sha256[32], const uint8_t *b, size_t len)
{
	struct tg_buf *f = ctx;
	uint8_t h[32], l[4];
	tg_err r = tg_hash(TG_SHA256, b, len, h);
	if (r != TG_OK)
		return r;
	if (memcmp(h, sha256, 32) != 0 || len > TG_ATT_BUNDLE_MAX)
		return TG_E_STATE;
	put32(l, (uint32_t)len);
	r = tg_buf_add(f, l, 4);
	return r == TG_OK ? tg_buf_add(f, b, len) : r;
}

static tg_err h_att_get(struct st *s, const struct tg_smsg *m, struct tg_server_answer *o, struct tg_diag *d)
{
	tg_err r;
	if (m->f[0].len != 32) {
		tg_diag_set(d, "an attestation digest has 32 bytes");
		return TG_E_PARSE;
	}
	r = s->db->ops->att_get(s->db, m->f[0].p, TG_ATT_PER_DIGEST, att_one, &o->f[0], d);
	if (r == TG_E_STATE && !d->msg[0])
		tg_diag_set(d, "a stored bundle does not match its SHA-256");
	o->n = 1;
	return r;
}

static tg_err open_log(struct st *s, struct tg_tlog **log, struct tg_diag *d)
{
	/* opened afresh for each read: the checkpoint file is the signer's
	 * commit point, so what it names is durable and final */
	tg_err r = tg_tlog_open(s->log_dir, TG_TLOG_READ, log, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot read the log");
	return r;
}

static tg_err h_checkpoint(struct st *s, struct tg_server_answer *o, struct tg_diag *d)
{
	struct tg_tlog *log = NULL;
	tg_err r = open_log(s, &log, d);
	if (r == TG_OK)
		r = tg_tlog_checkpoint(log, &o->f[0]);
	if (r == TG_OK)
		r = tg_buf_addf(&o->f[1], "%llu", (unsigned long long)tg_tlog_size(log));
	o->n = 2;
	tg_tlog_close(log);
	return r;
}

/* <dir>/tile/<L or entries>/<N groups>[.p/<W>] */
static tg_err tile_file(const struct st *s, int level, uint64_t index, unsigned width,
			char *out, size_t cap)
{
	char groups[40];
	unsigned part[8];
	size_t k = 0, len = 0;
	int w;
	do {
		part[k++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	while (k > 0) {
		k--;
		w = snprintf(groups + len, sizeof(groups) - len, k ? "x%03u/" : "%03u", part[k]);
		if (w < 0 || (size_t)w >= sizeof(groups) - len)
			return TG_E_TOOBIG;
		len += (size_t)w;
	}
	if (level == TG_TILE_ENTRIES)
		w = snprintf(out, cap, "%s/tile/entries/%s", s->log_dir, groups);
	else
		w = snprintf(out, cap, "%s/tile/%d/%s", s->log_dir, level, groups);
	if (w >= 0 && (size_t)w < cap && width < TILE_FULL)
		w += snprintf(out + w, cap - (size_t)w, ".p/%u", width);
	return w < 0 || (size_t)w >= cap ? TG_E_TOOBIG : TG_OK;
}

/* The first `want` items of a tile file that holds `have` of them: hashes
 * are 32 bytes each; entry bundles are uint16-length-prefixed entries and
 * are checked to hold exactly `have`. Appends them to out. */
static tg_err tile_cut(const struct tg_buf *b, const char *path, bool entries, unsigned have,
		       unsigned want, struct tg_buf *out, struct tg_diag *d)
{
	size_t off = 0, cut = 0;
	unsigned k = 0;
	if (!entries) {
		if (b->len != (size_t)have * 32) {
			tg_diag_set(d, "tile '%s' has %zu bytes, want %u", path, b->len, have * 32);
			return TG_E_STATE;
		}
		return tg_buf_add(out, b->data, (size_t)want * 32);
	}
	while (off < b->len && k < have) {
		size_t len;
		if (b->len - off < 2)
			break;
		len = (size_t)b->data[off] << 8 | b->data[off + 1];
		if (len > b->len - off - 2)
			break;
		off += 2 + len;
		if (++k == want)
			cut = off;
	}
	if (k != have || off != b->len) {
		tg_diag_set(d, "entry bundle '%s' does not hold %u entries", path, have);
		return TG_E_STATE;
	}
	return tg_buf_add(out, b->data, cut);
}

/*
 * TILE: the tile as of the published checkpoint. A full tile must lie
 * within it; a partial tile of width W is the first W items of its tile,
 * which must be the checkpoint's rightmost one (or full by now): they are
 * cut from the rightmost partial file, or from the full file once the log
 * has filled the tile and dropped its partials (tlog-tiles allows that).
 */
static tg_err h_tile(struct st *s, const struct tg_smsg *m, struct tg_server_answer *o, struct tg_diag *d)
{
	struct tg_tlog *log = NULL;
	struct tg_buf b = TG_BUF_INIT(TILE_ANSWER_MAX);
	char path[PATH_MAX];
	const uint8_t *f1 = m->f[1].p;
	uint64_t index = 0, count, full;
	unsigned width, edge, i;
	int level;
	tg_err r;

	if (m->f[0].len != 1 || m->f[1].len != 8 || m->f[2].len != 2) {
		tg_diag_set(d, "a tile request has a 1-byte level, 8-byte index, 2-byte width");
		return TG_E_PARSE;
	}
	level = m->f[0].p[0] == 255 ? TG_TILE_ENTRIES : m->f[0].p[0];
	for (i = 0; i < 8; i++)
		index = index << 8 | f1[i];
	width = (unsigned)m->f[2].p[0] << 8 | m->f[2].p[1];
	if (level > 63 || width == 0 || width > TILE_FULL) {
		tg_diag_set(d, "tile level or width out of range");
		return TG_E_RANGE;
	}
	r = open_log(s, &log, d);
	if (r != TG_OK)
		goto out;
	/* hashes at this level: size / 256^L (entries: level 0) */
	count = tg_tlog_size(log);
	for (i = 0; i < (unsigned)(level < 0 ? 0 : level) && count; i++)
		count /= TILE_FULL;
	full = count / TILE_FULL;
	edge = (unsigned)(count % TILE_FULL);
	if (index < full) {
		r = tile_file(s, level, index, TILE_FULL, path, sizeof(path));
		if (r == TG_OK)
			r = tg_fs_read(path, &b, d);
		if (r == TG_OK)
			r = tile_cut(&b, path, level < 0, TILE_FULL, width, &o->f[0], d);
	} else if (index == full && width < TILE_FULL && width <= edge) {
		r = tile_file(s, level, index, edge, path, sizeof(path));
		if (r == TG_OK)
			r = tg_fs_read(path, &b, d);
		if (r == TG_OK) {
			r = tile_cut(&b, path, level < 0, edge, width, &o->f[0], d);
		} else if (r == TG_E_NOTFOUND) {
			/* filled (and its partials dropped) since the checkpoint was read */
			tg_buf_reset(&b);
			r = tile_file(s, level, index, TILE_FULL, path, sizeof(path));
			if (r == TG_OK)
				r = tg_fs_read(path, &b, d);
			if (r == TG_OK)
				r = tile_cut(&b, path, level < 0, TILE_FULL, width, &o->f[0], d);
		}
	} else {
		tg_diag_set(d, "the tile is beyond the log's checkpoint (size %llu)",
			    (unsigned long long)tg_tlog_size(log));
		r = TG_E_NOTFOUND;
		goto out;
	}
	if (r == TG_E_NOTFOUND) {
		/* inside the checkpoint, so it must exist: the log is damaged */
		tg_diag_set(d, "the log is missing a committed tile");
		r = TG_E_STATE;
	} else if (r == TG_E_TOOBIG) {
		tg_diag_set(d, "the entry bundle exceeds %d bytes, more than one answer holds",
			    TILE_ANSWER_MAX);
	}
	o->n = 1;
out:
	tg_buf_release(&b);
	tg_tlog_close(log);
	return r;
}

static tg_err dispatch(void *ctx, const struct tg_smsg *m, struct tg_server_answer *o,
		       struct tg_diag *d)
{
	struct st *s = ctx;

	switch (m->type) {
	case TG_SMSG_ATT_STORE: return h_att_store(s, m, o, d);
	case TG_SMSG_ATT_GET: return h_att_get(s, m, o, d);
	case TG_SMSG_TILE: return h_tile(s, m, o, d);
	case TG_SMSG_CHECKPOINT: return h_checkpoint(s, o, d);
	default: tg_diag_set(d, "not a store request"); return TG_E_PARSE;
	}
}

int tg_server_store_main(const struct tg_server_config *c, int ctl, volatile int *stop)
{
	struct st s;
	struct tg_server_handler h = {dispatch, NULL, &s, {TILE_ANSWER_MAX, 64}, false};
	struct tg_diag d;
	char db[PATH_MAX];
	tg_err r;

	memset(&s, 0, sizeof(s));
	s.c = c;
	tg_diag_init(&d);
	if ((size_t)snprintf(db, sizeof(db), "%s/tollgate.db", c->state_dir) >= sizeof(db) ||
	    (size_t)snprintf(s.log_dir, sizeof(s.log_dir), "%s/log", c->signer_dir) >=
		    sizeof(s.log_dir)) {
		fprintf(stderr, "tollgated: store: the state or signer directory path is too long\n");
		return 3;
	}
	r = tg_store_sqlite_open(db, &s.db, &d);
	if (r == TG_OK && c->sandbox)
		r = tg_server_sandbox("store", &d);
	if (r != TG_OK) {
		fprintf(stderr, "tollgated: store: %s\n", d.msg[0] ? d.msg : tg_strerror(r));
		tg_store_close(s.db);
		return 3;
	}
	tg_server_serve(ctl, &h, stop);
	tg_store_close(s.db);
	return 0;
}
