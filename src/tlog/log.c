/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - the log directory: C2SP tlog-tiles layout, durable batched
 * appends under an exclusive lock, crash repair, entries and proof nodes.
 * The checkpoint file is the commit point: nothing beyond it is trusted.
 */
#include "tlog/tlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"

#define PRIV_DIR ".tollgate"
#define LEVELS 8 /* 256^8 = 2^64 leaves */
#define TILE_BYTES (TG_TLOG_TILE_WIDTH * 32)
#define BUNDLE_MAX ((size_t)TG_TLOG_TILE_WIDTH * (TG_TLOG_ENTRY_MAX + 2))
/* The journal of sequenced entries (tg_tlog_sequence): records of
 * index (u64 BE) | length (u32 BE) | entry | SHA-256 leaf hash of the
 * three before (a torn tail fails it and is dropped on replay). */
#define JOURNAL_NAME "journal"
#define REC_HEAD 12
#define REC_SUM 32
#define PEND_MAX 1024                  /* sequenced entries before an integration */
#define PEND_BYTES ((size_t)4 << 20)   /* journal bytes before an integration */
#define JOURNAL_MAX (PEND_BYTES + REC_HEAD + TG_TLOG_ENTRY_MAX + REC_SUM)

/* A tile read from disk with every level inside it computed: sub[0] holds
 * the tile's hashes, sub[k][i] the root of its hashes [i*2^k, (i+1)*2^k). */
#define CACHE_SLOTS 64
struct tile_cache {
	int level;                   /* -1: empty slot */
	uint64_t index;
	unsigned width;
	uint8_t sub0[TG_TLOG_TILE_WIDTH][32];
	uint8_t sub1[128][32], sub2[64][32], sub3[32][32];
	uint8_t sub4[16][32], sub5[8][32], sub6[4][32], sub7[2][32];
};

struct tg_tlog {
	char *dir;
	int lock_fd;
	bool append;
	struct tg_note_key key;      /* signer (append) or verifier (read) */
	uint64_t size;
	uint8_t root[32];
	struct tg_buf cp;            /* signed checkpoint note */
	/* right edge, kept in memory when appending */
	uint8_t (*edge[LEVELS])[32]; /* edge[L]: hashes of the rightmost tile of level L */
	unsigned edge_n[LEVELS];
	struct tg_buf bundle;        /* rightmost entry bundle (length-prefixed entries) */
	unsigned bundle_n;
	struct tile_cache *cache;    /* CACHE_SLOTS tiles read from disk */
	int journal_fd;              /* append: DIR/.tollgate/journal */
	struct tg_buf pend;          /* its records beyond size (the journal's tail) */
	size_t npend;
};

/* ---- paths ---- */

/* Appends the tlog-tiles encoding of a tile index: x001/x234/067. */
static tg_err tile_index_path(struct tg_buf *b, uint64_t n)
{
	char parts[8][5];
	int k = 0, i;
	tg_err r = TG_OK;
	do {
		(void)snprintf(parts[k], sizeof(parts[k]), "%03u", (unsigned)(n % 1000));
		n /= 1000;
		k++;
	} while (n > 0);
	for (i = k - 1; r == TG_OK && i >= 0; i--)
		r = tg_buf_addf(b, "%s%s%s", i == k - 1 ? "" : "/", i > 0 ? "x" : "", parts[i]);
	return r;
}

/* dir/tile/<level>/<index>[.p/<width>]; level < 0 means entries. */
static tg_err tile_path(const struct tg_tlog *log, int level, uint64_t index, unsigned width,
			struct tg_buf *b)
{
	tg_err r;
	tg_buf_reset(b);
	if (level < 0)
		r = tg_buf_addf(b, "%s/tile/entries/", log->dir);
	else
		r = tg_buf_addf(b, "%s/tile/%d/", log->dir, level);
	if (r == TG_OK)
		r = tile_index_path(b, index);
	if (r == TG_OK && width < TG_TLOG_TILE_WIDTH)
		r = tg_buf_addf(b, ".p/%u", width);
	return r;
}

static tg_err priv_path(const char *dir, const char *name, struct tg_buf *b)
{
	tg_buf_reset(b);
	return tg_buf_addf(b, "%s/" PRIV_DIR "/%s", dir, name);
}

/* The parent directory of a path held in b (copied to out). */
static void parent_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

/* Writes a file under the tile tree, creating its directories. */
static tg_err write_tile_file(const char *path, const void *p, size_t n, struct tg_diag *d)
{
	char parent[PATH_MAX];
	tg_err r;
	parent_of(path, parent, sizeof(parent));
	r = tg_fs_mkdir_p(parent, 0755, d);
	/* Not synced here: commit_checkpoint makes the whole batch durable
	 * with one syncfs before it publishes the checkpoint. */
	if (r == TG_OK)
		r = tg_fs_write_atomic(path, p, n, 0644, 0, d);
	return r;
}

/* ---- hashing helpers ---- */

/* Root of 2^h consecutive hashes. */
static void hash_up(uint8_t (*h)[32], unsigned count, uint8_t out[32])
{
	uint8_t tmp[TG_TLOG_TILE_WIDTH][32];
	unsigned n = count, i;
	memcpy(tmp, h, (size_t)count * 32);
	while (n > 1) {
		for (i = 0; i < n / 2; i++)
			tg_tlog_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
		n /= 2;
	}
	memcpy(out, tmp[0], 32);
}

/* ---- reading tiles ---- */

/* Width of the rightmost tile of level L in a tree of size. */
static unsigned edge_width(uint64_t size, unsigned level)
{
	unsigned i;
	for (i = 0; i < level; i++)
		size /= TG_TLOG_TILE_WIDTH;
	return (unsigned)(size % TG_TLOG_TILE_WIDTH);
}

/* Index of the rightmost (possibly partial) tile of level L. */
static uint64_t edge_index(uint64_t size, unsigned level)
{
	unsigned i;
	for (i = 0; i <= level; i++)
		size /= TG_TLOG_TILE_WIDTH;
	return size;
}

static uint8_t (*cache_level(struct tile_cache *c, unsigned k))[32]
{
	switch (k) {
	case 0:
		return c->sub0;
	case 1:
		return c->sub1;
	case 2:
		return c->sub2;
	case 3:
		return c->sub3;
	case 4:
		return c->sub4;
	case 5:
		return c->sub5;
	case 6:
		return c->sub6;
	default:
		return c->sub7;
	}
}

/* Reads tile (level, index) with at least `need` hashes (the full tile,
 * or the partial tile of the committed width) into a cache slot and
 * computes its inner levels. */
static tg_err read_tile(struct tg_tlog *log, unsigned level, uint64_t index, unsigned need,
			struct tile_cache **slot, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_buf data = TG_BUF_INIT(TILE_BYTES);
	struct tile_cache *c;
	unsigned width = TG_TLOG_TILE_WIDTH, k, i, n;
	size_t s;
	tg_err r;

	if (!log->cache) {
		log->cache = tg_xcalloc(CACHE_SLOTS, sizeof(*log->cache));
		for (s = 0; s < CACHE_SLOTS; s++)
			log->cache[s].level = -1;
	}
	c = &log->cache[(index * 8 + level) % CACHE_SLOTS];
	if (c->level == (int)level && c->index == index && c->width >= need) {
		*slot = c;
		return TG_OK;
	}
	if (index == edge_index(log->size, level))
		width = edge_width(log->size, level);
	if (width < need) {
		tg_diag_set(d, "tile %u/%llu has %u hashes, %u needed", level,
			    (unsigned long long)index, width, need);
		return TG_E_RANGE;
	}
	r = tile_path(log, (int)level, index, width, &path);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), &data, d);
	if (r == TG_E_NOTFOUND && width < TG_TLOG_TILE_WIDTH) {
		/* the partial tile may have been removed once the tile filled */
		tg_buf_reset(&data);
		r = tile_path(log, (int)level, index, TG_TLOG_TILE_WIDTH, &path);
		if (r == TG_OK)
			r = tg_fs_read(tg_buf_str(&path), &data, d);
		if (r == TG_OK)
			width = TG_TLOG_TILE_WIDTH;
	}
	if (r == TG_OK && data.len != (size_t)width * 32) {
		tg_diag_set(d, "tile '%s' has %zu bytes, want %u", tg_buf_str(&path), data.len,
			    width * 32);
		r = TG_E_PARSE;
	}
	if (r == TG_OK) {
		c->level = (int)level;
		c->index = index;
		c->width = width;
		memcpy(c->sub0, data.data, data.len);
		for (k = 1, n = width / 2; k < 8; k++, n /= 2) {
			uint8_t(*lo)[32] = cache_level(c, k - 1), (*hi)[32] = cache_level(c, k);
			for (i = 0; i < n; i++)
				tg_tlog_node_hash(lo[2 * i], lo[2 * i + 1], hi[i]);
		}
		*slot = c;
	}
	tg_buf_release(&path);
	tg_buf_release(&data);
	return r;
}

/* Node source: perfect subtree (level, index) from the edge in memory or
 * tiles on disk. */
static tg_err log_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct tg_tlog *log = ctx;
	unsigned L = level / 8, h = level % 8, off, count = 1u << h;
	uint64_t first, tile;
	tg_err r;

	if (L >= LEVELS || index > (UINT64_MAX >> h))
		return TG_E_RANGE;
	first = index << h; /* position among level-8L hashes */
	tile = first / TG_TLOG_TILE_WIDTH;
	off = (unsigned)(first % TG_TLOG_TILE_WIDTH);
	if (log->append && tile == edge_index(log->size, L)) {
		if (off + count > log->edge_n[L])
			return TG_E_RANGE;
		hash_up(log->edge[L] + off, count, out);
		return TG_OK;
	}
	{
		struct tile_cache *c = NULL;
		r = read_tile(log, L, tile, off + count, &c, NULL);
		if (r != TG_OK)
			return r;
		memcpy(out, cache_level(c, h)[off >> h], 32);
	}
	return TG_OK;
}

struct tg_tlog_nodes tg_tlog_nodes(struct tg_tlog *log)
{
	struct tg_tlog_nodes n = {log_node, log};
	return n;
}

/* ---- opening ---- */

uint64_t tg_tlog_size(const struct tg_tlog *log)
{
	return log->size;
}

const struct tg_note_key *tg_tlog_key(const struct tg_tlog *log)
{
	return &log->key;
}

const char *tg_tlog_origin(const struct tg_tlog *log)
{
	return log->key.name;
}

tg_err tg_tlog_checkpoint(const struct tg_tlog *log, struct tg_buf *out)
{
	return tg_buf_add(out, log->cp.data, log->cp.len);
}

tg_err tg_tlog_checkpoint_at(const struct tg_tlog *log, uint64_t size, struct tg_buf *out)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	char name[40];
	tg_err r;
	if (size == log->size)
		return tg_tlog_checkpoint(log, out);
	if (size > log->size)
		return TG_E_NOTFOUND;
	(void)snprintf(name, sizeof(name), "checkpoints/%llu", (unsigned long long)size);
	r = priv_path(log->dir, name, &path);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), out, NULL);
	tg_buf_release(&path);
	return r;
}

void tg_tlog_close(struct tg_tlog *log)
{
	unsigned L;
	if (!log)
		return;
	if (log->journal_fd >= 0)
		close(log->journal_fd);
	if (log->lock_fd >= 0)
		close(log->lock_fd); /* releases the flock */
	tg_buf_release(&log->pend);
	tg_note_key_release(&log->key);
	tg_buf_release(&log->cp);
	for (L = 0; L < LEVELS; L++)
		free(log->edge[L]);
	tg_buf_release(&log->bundle);
	free(log->cache);
	free(log->dir);
	free(log);
}

/* Reads the private config: "origin <name>" line. */
static tg_err read_origin(const char *dir, char *origin, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), b = TG_BUF_INIT(4096);
	size_t n;
	tg_err r = priv_path(dir, "origin", &path);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), &b, d);
	if (r == TG_E_NOTFOUND)
		tg_diag_set(d, "'%s' is not a tollgate log (no " PRIV_DIR "/origin)", dir);
	if (r == TG_OK) {
		n = b.len;
		while (n && b.data[n - 1] == '\n')
			n--;
		if (n == 0 || n > TG_NOTE_NAME_MAX) {
			tg_diag_set(d, "bad origin file in '%s'", dir);
			r = TG_E_PARSE;
		} else {
			memcpy(origin, b.data, n);
			origin[n] = '\0';
		}
	}
	tg_buf_release(&path);
	tg_buf_release(&b);
	return r;
}

/* Loads the key: the signer for appending, else the public vkey. */
static tg_err load_key(struct tg_tlog *log, const char *origin, bool signer, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), b = TG_BUF_INIT(4096);
	tg_err r;
	if (signer) {
		r = priv_path(log->dir, "key", &path);
		if (r == TG_OK)
			r = tg_note_key_load(tg_buf_str(&path), origin, TG_NOTE_ED25519, &log->key,
					     d);
	} else {
		tg_buf_reset(&path);
		r = tg_buf_addf(&path, "%s/log.vkey", log->dir);
		if (r == TG_OK)
			r = tg_fs_read(tg_buf_str(&path), &b, d);
		while (r == TG_OK && b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
			b.len--;
		if (r == TG_OK)
			r = tg_note_vkey_parse((const char *)b.data, b.len, &log->key, d);
	}
	tg_buf_release(&path);
	tg_buf_release(&b);
	return r;
}

/* Reads and verifies the current checkpoint. */
static tg_err load_checkpoint(struct tg_tlog *log, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_checkpoint c;
	tg_err r;

	tg_buf_reset(&log->cp);
	r = tg_buf_addf(&path, "%s/checkpoint", log->dir);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), &log->cp, d);
	if (r == TG_OK)
		r = tg_checkpoint_open((const char *)log->cp.data, log->cp.len, &log->key, NULL, 0, 0,
				       &c, d);
	if (r != TG_OK)
		tg_diag_prefix(d, "bad checkpoint in '%s'", log->dir);
	if (r == TG_OK) {
		log->size = c.size;
		memcpy(log->root, c.root, 32);
	}
	tg_buf_release(&path);
	return r;
}

/* Loads the right edge (partial tiles and bundle) for appending, and
 * checks that it reproduces the checkpoint's root. */
static tg_err load_edge(struct tg_tlog *log, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	struct tg_buf data = TG_BUF_INIT(BUNDLE_MAX);
	uint8_t root[32];
	unsigned L;
	tg_err r = TG_OK;

	for (L = 0; L < LEVELS; L++)
		log->edge[L] = tg_xcalloc(TG_TLOG_TILE_WIDTH, 32);
	for (L = 0; r == TG_OK && L < LEVELS; L++) {
		unsigned w = edge_width(log->size, L);
		if (w == 0)
			continue;
		tg_buf_reset(&data);
		r = tile_path(log, (int)L, edge_index(log->size, L), w, &path);
		if (r == TG_OK)
			r = tg_fs_read(tg_buf_str(&path), &data, d);
		if (r == TG_OK && data.len != (size_t)w * 32) {
			tg_diag_set(d, "tile '%s' is truncated", tg_buf_str(&path));
			r = TG_E_PARSE;
		}
		if (r == TG_OK) {
			memcpy(log->edge[L], data.data, data.len);
			log->edge_n[L] = w;
		}
	}
	if (r == TG_OK && edge_width(log->size, 0) > 0) {
		unsigned w = edge_width(log->size, 0), k = 0;
		size_t off = 0;
		tg_buf_reset(&data);
		r = tile_path(log, -1, edge_index(log->size, 0), w, &path);
		if (r == TG_OK)
			r = tg_fs_read(tg_buf_str(&path), &data, d);
		/* The bundle must hold exactly w entries whose hashes are the tile's. */
		while (r == TG_OK && off < data.len) {
			size_t len;
			uint8_t h[32];
			if (data.len - off < 2 || k == w) {
				r = TG_E_PARSE;
				break;
			}
			len = (size_t)data.data[off] << 8 | data.data[off + 1];
			if (len > data.len - off - 2) {
				r = TG_E_PARSE;
				break;
			}
			tg_tlog_leaf_hash(data.data + off + 2, len, h);
			if (memcmp(h, log->edge[0][k], 32) != 0) {
				r = TG_E_PARSE;
				break;
			}
			off += 2 + len;
			k++;
		}
		if (r == TG_OK && k != w)
			r = TG_E_PARSE;
		if (r == TG_E_PARSE)
			tg_diag_set(d, "entry bundle '%s' does not match its tile", tg_buf_str(&path));
		if (r == TG_OK) {
			r = tg_buf_add(&log->bundle, data.data, data.len);
			log->bundle_n = w;
		}
	}
	if (r == TG_OK) {
		struct tg_tlog_nodes src = tg_tlog_nodes(log);
		r = tg_tlog_root(&src, log->size, root);
		if (r == TG_OK && memcmp(root, log->root, 32) != 0) {
			tg_diag_set(d, "the tiles of '%s' do not reproduce the checkpoint root",
				    log->dir);
			r = TG_E_STATE;
		}
	}
	tg_buf_release(&path);
	tg_buf_release(&data);
	return r;
}

/* Removes the partial files of tile (level, index) whose width is above
 * keep, by listing its ".p" directory. */
static void remove_partials_above(struct tg_tlog *log, int level, uint64_t index, unsigned keep)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	char pdir[PATH_MAX];
	DIR *dh;
	struct dirent *e;

	if (tile_path(log, level, index, 1, &path) != TG_OK)
		goto out;
	parent_of(tg_buf_str(&path), pdir, sizeof(pdir));
	dh = opendir(pdir);
	if (!dh)
		goto out;
	while ((e = readdir(dh)) != NULL) {
		unsigned w = 0;
		const char *p = e->d_name;
		if (*p < '0' || *p > '9') {
			/* temporary files left by a killed writer */
			if (strstr(p, ".tmp-"))
				(void)unlinkat(dirfd(dh), p, 0);
			continue;
		}
		while (*p >= '0' && *p <= '9' && w < 1000)
			w = w * 10 + (unsigned)(*p++ - '0');
		if (*p == '\0' && w > keep)
			(void)unlinkat(dirfd(dh), e->d_name, 0);
	}
	closedir(dh);
out:
	tg_buf_release(&path);
}

/* Removes what a crash may have left beyond the checkpoint: partial tiles
 * wider than the committed edge and full tiles at the edge position. */
static void repair(struct tg_tlog *log)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	int L;
	for (L = -1; L < LEVELS; L++) {
		unsigned lev = L < 0 ? 0 : (unsigned)L;
		uint64_t idx = edge_index(log->size, lev);
		if (tile_path(log, L, idx, TG_TLOG_TILE_WIDTH, &path) == TG_OK)
			(void)unlink(tg_buf_str(&path));
		remove_partials_above(log, L, idx, edge_width(log->size, lev));
	}
	tg_buf_release(&path);
}

static tg_err journal_replay(struct tg_tlog *log, struct tg_diag *d);

tg_err tg_tlog_open(const char *dir, unsigned flags, struct tg_tlog **out, struct tg_diag *d)
{
	struct tg_tlog *log = tg_xcalloc(1, sizeof(*log));
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	char origin[TG_NOTE_NAME_MAX + 1];
	tg_err r;

	log->dir = tg_xstrdup(dir);
	log->lock_fd = -1;
	log->journal_fd = -1;
	log->append = flags & TG_TLOG_APPEND;
	tg_buf_init(&log->cp, TG_NOTE_MAX);
	tg_buf_init(&log->bundle, BUNDLE_MAX);
	tg_buf_init(&log->pend, JOURNAL_MAX);
	r = read_origin(dir, origin, d);
	if (r != TG_OK)
		goto out;
	if (log->append) {
		r = priv_path(dir, "lock", &path);
		if (r != TG_OK)
			goto out;
		log->lock_fd = open(tg_buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (log->lock_fd < 0) {
			tg_diag_set(d, "cannot open lock '%s': %s", tg_buf_str(&path), strerror(errno));
			r = TG_E_IO;
			goto out;
		}
		while (flock(log->lock_fd, LOCK_EX | ((flags & TG_TLOG_NONBLOCK) ? LOCK_NB : 0)) != 0) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK) {
				tg_diag_set(d, "another sequencer holds the log '%s'", dir);
				r = TG_E_AGAIN;
			} else {
				tg_diag_set(d, "cannot lock '%s': %s", dir, strerror(errno));
				r = TG_E_IO;
			}
			goto out;
		}
	}
	r = load_key(log, origin, log->append, d);
	if (r != TG_OK)
		goto out;
	r = load_checkpoint(log, d);
	if (r != TG_OK)
		goto out;
	if (log->append) {
		repair(log);
		r = load_edge(log, d);
		if (r == TG_OK)
			r = journal_replay(log, d);
		if (r != TG_OK)
			goto out;
	}
	*out = log;
	log = NULL;
out:
	tg_buf_release(&path);
	tg_tlog_close(log);
	return r;
}

/* ---- appending ---- */

/* Signs and commits a checkpoint for the current size and root. */
static tg_err commit_checkpoint(struct tg_tlog *log, struct tg_diag *d)
{
	struct tg_checkpoint c;
	struct tg_buf note = TG_BUF_INIT(TG_NOTE_MAX), path = TG_BUF_INIT(PATH_MAX);
	struct tg_buf tmp = TG_BUF_INIT(PATH_MAX);
	char name[40];
	size_t text_len;
	tg_err r;

	memset(&c, 0, sizeof(c));
	memcpy(c.origin, log->key.name, strlen(log->key.name) + 1);
	c.size = log->size;
	memcpy(c.root, log->root, 32);
	r = tg_checkpoint_text(&c, &note);
	text_len = note.len;
	if (r == TG_OK)
		r = tg_buf_addc(&note, '\n');
	if (r == TG_OK)
		r = tg_note_sign_line(&log->key, (const char *)note.data, text_len, 0, &note);
	/* History first, so that every published size can be proven later. */
	(void)snprintf(name, sizeof(name), "checkpoints/%llu", (unsigned long long)c.size);
	if (r == TG_OK)
		r = priv_path(log->dir, name, &path);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), note.data, note.len, 0644, 0, d);
	if (r == TG_OK) {
		tg_buf_reset(&path);
		r = tg_buf_addf(&path, "%s/checkpoint", log->dir);
	}
	if (r == TG_OK)
		r = tg_fs_stage(tg_buf_str(&path), note.data, note.len, 0644, &tmp, d);
	/* One flush makes entries, tiles, history and the staged checkpoint
	 * durable; only then does the checkpoint become visible. */
	if (r == TG_OK && tg_fs_syncfs(log->dir) != TG_OK) {
		tg_diag_set(d, "cannot flush the log '%s' to disk", log->dir);
		(void)unlink(tg_buf_str(&tmp));
		r = TG_E_IO;
	}
	if (r == TG_OK)
		r = tg_fs_publish(tg_buf_str(&tmp), tg_buf_str(&path), true, d);
	if (r == TG_OK) {
		tg_buf_reset(&log->cp);
		r = tg_buf_add(&log->cp, note.data, note.len);
	}
	tg_buf_release(&note);
	tg_buf_release(&path);
	tg_buf_release(&tmp);
	return r;
}

/* Completes full tiles upward from level L after edge[L] filled up. */
static tg_err flush_full(struct tg_tlog *log, unsigned L, uint64_t new_size, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	tg_err r = TG_OK;
	while (r == TG_OK && L < LEVELS && log->edge_n[L] == TG_TLOG_TILE_WIDTH) {
		uint8_t up[32];
		/* the tile index: the edge tile of level L just before it filled */
		uint64_t idx = edge_index(new_size, L) - 1;
		r = tile_path(log, (int)L, idx, TG_TLOG_TILE_WIDTH, &path);
		if (r == TG_OK)
			r = write_tile_file(tg_buf_str(&path), log->edge[L], TILE_BYTES, d);
		if (r != TG_OK)
			break;
		hash_up(log->edge[L], TG_TLOG_TILE_WIDTH, up);
		log->edge_n[L] = 0;
		if (L + 1 < LEVELS)
			memcpy(log->edge[L + 1][log->edge_n[L + 1]++], up, 32);
		L++;
	}
	tg_buf_release(&path);
	return r;
}

/* Removes the partial files of a tile that is now full (allowed by
 * tlog-tiles once the full tile is available). */
static void drop_partials(struct tg_tlog *log, int level, uint64_t index)
{
	remove_partials_above(log, level, index, 0);
}

/* Adds n entries (checked by the caller) to the tree and commits. */
static tg_err tree_append(struct tg_tlog *log, const uint8_t *const *entries, const size_t *lens,
			  size_t n, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX);
	uint64_t old_size = log->size, size = log->size;
	size_t i;
	unsigned L;
	tg_err r = TG_OK;

	if (size > UINT64_MAX - n)
		return TG_E_RANGE;

	for (i = 0; r == TG_OK && i < n; i++) {
		uint8_t len2[2] = {(uint8_t)(lens[i] >> 8), (uint8_t)lens[i]};
		tg_tlog_leaf_hash(entries[i], lens[i], log->edge[0][log->edge_n[0]++]);
		r = tg_buf_add(&log->bundle, len2, 2);
		if (r == TG_OK)
			r = tg_buf_add(&log->bundle, entries[i], lens[i]);
		log->bundle_n++;
		size++;
		if (r == TG_OK && log->bundle_n == TG_TLOG_TILE_WIDTH) {
			r = tile_path(log, -1, edge_index(size, 0) - 1, TG_TLOG_TILE_WIDTH, &path);
			if (r == TG_OK)
				r = write_tile_file(tg_buf_str(&path), log->bundle.data,
						    log->bundle.len, d);
			tg_buf_reset(&log->bundle);
			log->bundle_n = 0;
		}
		if (r == TG_OK && log->edge_n[0] == TG_TLOG_TILE_WIDTH)
			r = flush_full(log, 0, size, d);
	}
	/* Partial tiles of the new edge. */
	for (L = 0; r == TG_OK && L < LEVELS; L++) {
		if (log->edge_n[L] == 0)
			continue;
		r = tile_path(log, (int)L, edge_index(size, L), log->edge_n[L], &path);
		if (r == TG_OK)
			r = write_tile_file(tg_buf_str(&path), log->edge[L], (size_t)log->edge_n[L] * 32,
					    d);
	}
	if (r == TG_OK && log->bundle_n > 0) {
		r = tile_path(log, -1, edge_index(size, 0), log->bundle_n, &path);
		if (r == TG_OK)
			r = write_tile_file(tg_buf_str(&path), log->bundle.data, log->bundle.len, d);
	}
	if (r == TG_OK) {
		struct tg_tlog_nodes src = tg_tlog_nodes(log);
		log->size = size;
		r = tg_tlog_root(&src, size, log->root);
		if (r == TG_OK)
			r = commit_checkpoint(log, d);
	}
	if (r != TG_OK) {
		/* The in-memory edge is no longer trustworthy: reload from the
		 * last commit before anything else is appended. */
		struct tg_diag rd;
		log->size = old_size;
		for (L = 0; L < LEVELS; L++) {
			free(log->edge[L]);
			log->edge[L] = NULL;
			log->edge_n[L] = 0;
		}
		tg_buf_reset(&log->bundle);
		log->bundle_n = 0;
		tg_diag_init(&rd);
		if (load_checkpoint(log, &rd) != TG_OK || (repair(log), load_edge(log, &rd)) != TG_OK)
			log->append = false; /* refuse further appends */
		goto out;
	}
	/* Tiles that became full during this batch: drop their partials. */
	for (L = 0; L < LEVELS; L++) {
		uint64_t a = edge_index(old_size, L), b = edge_index(size, L), t;
		for (t = a; t < b; t++)
			drop_partials(log, (int)L, t);
		if (L == 0)
			for (t = a; t < b; t++)
				drop_partials(log, -1, t);
	}
out:
	tg_buf_release(&path);
	return r;
}

/* ---- the journal: sequencing ahead of integration ---- */

static tg_err check_entries(const size_t *lens, size_t n, struct tg_diag *d)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (lens[i] > TG_TLOG_ENTRY_MAX) {
			tg_diag_set(d, "entry %zu has %zu bytes; the limit is %d", i, lens[i],
				    TG_TLOG_ENTRY_MAX);
			return TG_E_TOOBIG;
		}
	}
	return TG_OK;
}

/* Appends one journal record for entry p[0..n) at index to b. */
static tg_err record_add(struct tg_buf *b, uint64_t index, const uint8_t *p, size_t n)
{
	size_t start = b->len;
	uint8_t head[REC_HEAD], sum[32];
	int i;
	tg_err r;
	for (i = 0; i < 8; i++)
		head[i] = (uint8_t)(index >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		head[8 + i] = (uint8_t)(n >> (24 - 8 * i));
	r = tg_buf_add(b, head, REC_HEAD);
	if (r == TG_OK)
		r = tg_buf_add(b, p, n);
	if (r == TG_OK) {
		tg_tlog_leaf_hash(b->data + start, REC_HEAD + n, sum);
		r = tg_buf_add(b, sum, REC_SUM);
	}
	if (r != TG_OK)
		b->len = start;
	return r;
}

/* The record at b[off..): its index, entry and total length; false when
 * it is incomplete or, with check, its checksum fails (a torn tail). The
 * records kept in memory were written by record_add: no check. */
static bool record_next(const uint8_t *b, size_t len, size_t off, bool check, uint64_t *index,
			const uint8_t **entry, size_t *elen, size_t *rlen)
{
	uint8_t sum[32];
	uint64_t ix = 0;
	size_t n = 0;
	int i;
	if (len - off < REC_HEAD)
		return false;
	for (i = 0; i < 8; i++)
		ix = ix << 8 | b[off + (size_t)i];
	for (i = 0; i < 4; i++)
		n = n << 8 | b[off + 8 + (size_t)i];
	if (n > TG_TLOG_ENTRY_MAX || len - off - REC_HEAD < n + REC_SUM)
		return false;
	if (check) {
		tg_tlog_leaf_hash(b + off, REC_HEAD + n, sum);
		if (memcmp(sum, b + off + REC_HEAD + n, REC_SUM) != 0)
			return false;
	}
	*index = ix;
	*entry = b + off + REC_HEAD;
	*elen = n;
	*rlen = REC_HEAD + n + REC_SUM;
	return true;
}

/* Empties the journal once its records are integrated. */
static void journal_clear(struct tg_tlog *log)
{
	tg_buf_reset(&log->pend);
	log->npend = 0;
	/* a failed truncation is harmless: its records are below size */
	if (log->journal_fd >= 0 && ftruncate(log->journal_fd, 0) != 0)
		return;
}

/* Integrates the pending entries and then n more, as one batch. */
static tg_err integrate_with(struct tg_tlog *log, const uint8_t *const *entries,
			     const size_t *lens, size_t n, struct tg_diag *d)
{
	size_t total = log->npend + n, k = 0, off = 0, i;
	const uint8_t **ep;
	size_t *lp;
	tg_err r = TG_OK;

	if (total == 0)
		return TG_OK;
	ep = tg_xcalloc(total, sizeof(*ep));
	lp = tg_xcalloc(total, sizeof(*lp));
	while (k < log->npend) {
		uint64_t ix;
		size_t rl;
		if (!record_next(log->pend.data, log->pend.len, off, false, &ix, &ep[k], &lp[k], &rl) ||
		    ix != log->size + k) {
			tg_diag_set(d, "the journal of '%s' lost its records in memory", log->dir);
			r = TG_E_INTERNAL;
			break;
		}
		off += rl;
		k++;
	}
	for (i = 0; i < n; i++) {
		ep[k + i] = entries[i];
		lp[k + i] = lens[i];
	}
	if (r == TG_OK)
		r = tree_append(log, ep, lp, total, d);
	if (r == TG_OK)
		journal_clear(log);
	free(ep);
	free(lp);
	return r;
}

tg_err tg_tlog_append(struct tg_tlog *log, const uint8_t *const *entries, const size_t *lens,
		      size_t n, uint64_t *first, struct tg_diag *d)
{
	uint64_t at;
	tg_err r;

	if (!log->append)
		return TG_E_STATE;
	r = check_entries(lens, n, d);
	if (r != TG_OK)
		return r;
	at = log->size + log->npend;
	r = integrate_with(log, entries, lens, n, d);
	if (r == TG_OK)
		*first = at;
	return r;
}

tg_err tg_tlog_integrate(struct tg_tlog *log, struct tg_diag *d)
{
	if (!log->append)
		return log->npend ? TG_E_STATE : TG_OK;
	return integrate_with(log, NULL, NULL, 0, d);
}

size_t tg_tlog_pending(const struct tg_tlog *log)
{
	return log->npend;
}

tg_err tg_tlog_sequence(struct tg_tlog *log, const uint8_t *const *entries, const size_t *lens,
			size_t n, unsigned flags, uint64_t *first, struct tg_diag *d)
{
	struct tg_buf rec = TG_BUF_INIT(JOURNAL_MAX);
	size_t i, bytes = 0;
	uint64_t at;
	tg_err r;

	if (!log->append || log->journal_fd < 0)
		return TG_E_STATE;
	r = check_entries(lens, n, d);
	if (r != TG_OK || n == 0) {
		*first = log->size + log->npend;
		return r;
	}
	for (i = 0; i < n; i++)
		bytes += REC_HEAD + lens[i] + REC_SUM;
	if (n > PEND_MAX || bytes > PEND_BYTES) {
		/* too big for the journal: integrate it at once */
		return tg_tlog_append(log, entries, lens, n, first, d);
	}
	if (log->npend + n > PEND_MAX || log->pend.len + bytes > PEND_BYTES) {
		r = tg_tlog_integrate(log, d);
		if (r != TG_OK)
			return r;
	}
	at = log->size + log->npend;
	if (at > UINT64_MAX - n)
		return TG_E_RANGE;
	for (i = 0; r == TG_OK && i < n; i++)
		r = record_add(&rec, at + i, entries[i], lens[i]);
	if (r == TG_OK) {
		off_t end = lseek(log->journal_fd, 0, SEEK_END);
		if (end < 0 || tg_fs_write_all(log->journal_fd, rec.data, rec.len) != TG_OK ||
		    ((flags & TG_TLOG_SYNC) && fdatasync(log->journal_fd) != 0)) {
			tg_diag_set(d, "cannot write the journal of '%s': %s", log->dir,
				    strerror(errno));
			/* what reached the file is unknown: no further appends
			 * until the log is reopened and the journal replayed */
			if (end >= 0 && ftruncate(log->journal_fd, end) != 0)
				end = -1;
			log->append = false;
			r = TG_E_IO;
		}
	}
	if (r == TG_OK)
		r = tg_buf_add(&log->pend, rec.data, rec.len);
	if (r == TG_OK) {
		log->npend += n;
		*first = at;
	}
	tg_buf_release(&rec);
	return r;
}

/* Opens the journal for appending and integrates what a killed process
 * sequenced beyond the checkpoint. Records below size were integrated
 * before the journal was emptied; a torn last record was never
 * acknowledged and is dropped. */
static tg_err journal_replay(struct tg_tlog *log, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), data = TG_BUF_INIT(JOURNAL_MAX);
	size_t off = 0;
	tg_err r = priv_path(log->dir, JOURNAL_NAME, &path);

	if (r == TG_OK) {
		log->journal_fd = open(tg_buf_str(&path),
				       O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (log->journal_fd < 0) {
			tg_diag_set(d, "cannot open the journal '%s': %s", tg_buf_str(&path),
				    strerror(errno));
			r = TG_E_IO;
		}
	}
	/* its directory entry must survive a power loss as its records do */
	if (r == TG_OK) {
		char parent[PATH_MAX];
		parent_of(tg_buf_str(&path), parent, sizeof(parent));
		if (tg_fs_sync_dir(parent) != TG_OK) {
			tg_diag_set(d, "cannot flush the directory '%s'", parent);
			r = TG_E_IO;
		}
	}
	if (r == TG_OK) {
		r = tg_fs_read(tg_buf_str(&path), &data, d);
		if (r == TG_E_TOOBIG)
			tg_diag_set(d, "the journal '%s' is larger than %zu bytes", tg_buf_str(&path),
				    (size_t)JOURNAL_MAX);
	}
	while (r == TG_OK && off < data.len) {
		const uint8_t *e;
		uint64_t ix;
		size_t el, rl;
		if (!record_next(data.data, data.len, off, true, &ix, &e, &el, &rl))
			break;
		if (ix >= log->size && ix != log->size + log->npend) {
			tg_diag_set(d, "the journal '%s' skips from index %llu to %llu at byte %zu",
				    tg_buf_str(&path),
				    (unsigned long long)(log->size + log->npend),
				    (unsigned long long)ix, off);
			r = TG_E_STATE;
			break;
		}
		if (ix >= log->size) {
			r = tg_buf_add(&log->pend, data.data + off, rl);
			log->npend++;
		}
		off += rl;
	}
	if (r == TG_OK && log->npend > 0)
		r = tg_tlog_integrate(log, d);
	else if (r == TG_OK && data.len > 0)
		journal_clear(log);
	if (r != TG_OK)
		tg_diag_prefix(d, "cannot replay the journal of '%s'", log->dir);
	tg_buf_release(&path);
	tg_buf_release(&data);
	return r;
}

/* ---- reading entries ---- */

tg_err tg_tlog_entry(const struct tg_tlog *log, uint64_t index, struct tg_buf *out,
		     struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), data = TG_BUF_INIT(BUNDLE_MAX);
	uint64_t t = index / TG_TLOG_TILE_WIDTH;
	unsigned want = (unsigned)(index % TG_TLOG_TILE_WIDTH), width = TG_TLOG_TILE_WIDTH, k = 0;
	size_t off = 0;
	tg_err r;

	if (index >= log->size) {
		tg_diag_set(d, "no entry %llu in a log of size %llu", (unsigned long long)index,
			    (unsigned long long)log->size);
		return TG_E_NOTFOUND;
	}
	if (t == edge_index(log->size, 0))
		width = edge_width(log->size, 0);
	r = tile_path(log, -1, t, width, &path);
	if (r == TG_OK)
		r = tg_fs_read(tg_buf_str(&path), &data, d);
	if (r == TG_E_NOTFOUND && width < TG_TLOG_TILE_WIDTH) {
		tg_buf_reset(&data);
		r = tile_path(log, -1, t, TG_TLOG_TILE_WIDTH, &path);
		if (r == TG_OK)
			r = tg_fs_read(tg_buf_str(&path), &data, d);
	}
	while (r == TG_OK) {
		size_t len;
		if (data.len - off < 2) {
			r = TG_E_PARSE;
			break;
		}
		len = (size_t)data.data[off] << 8 | data.data[off + 1];
		if (len > data.len - off - 2) {
			r = TG_E_PARSE;
			break;
		}
		if (k == want) {
			r = tg_buf_add(out, data.data + off + 2, len);
			break;
		}
		off += 2 + len;
		k++;
	}
	if (r == TG_E_PARSE)
		tg_diag_set(d, "entry bundle '%s' is malformed", tg_buf_str(&path));
	tg_buf_release(&path);
	tg_buf_release(&data);
	return r;
}

/* ---- creating ---- */

tg_err tg_tlog_create(const char *dir, const char *origin, const struct tg_note_key *key,
		      struct tg_buf *vkey, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), pem = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf vk = TG_BUF_INIT(4096);
	struct tg_note_key gen;
	struct tg_key *k = NULL;
	struct tg_tlog *log = NULL;
	const struct tg_note_key *use = key;
	tg_err r;

	memset(&gen, 0, sizeof(gen));
	if (key && strcmp(key->name, origin) != 0) {
		tg_diag_set(d, "the key is named '%s' but the origin is '%s'", key->name, origin);
		return TG_E_INVAL;
	}
	r = tg_buf_addf(&path, "%s/checkpoint", dir);
	if (r == TG_OK && tg_fs_exists(tg_buf_str(&path))) {
		tg_diag_set(d, "'%s' already holds a log", dir);
		r = TG_E_EXISTS;
	}
	/* The log directory is servable; the private directory is not. */
	if (r == TG_OK)
		r = tg_fs_mkdir_p(dir, 0755, d);
	if (r == TG_OK)
		r = priv_path(dir, "checkpoints", &path);
	if (r == TG_OK)
		r = tg_fs_mkdir_p(tg_buf_str(&path), 0700, d);
	if (r != TG_OK)
		goto out;
	if (!use) {
		r = tg_key_generate(TG_KEY_ED25519, 0, &k);
		if (r == TG_OK)
			r = tg_note_key_from(origin, TG_NOTE_ED25519, k, &gen, d);
		if (r != TG_OK)
			goto out;
		use = &gen;
	}
	/* The private key, inside the private directory, never overwritten,
	 * in the Go note signer format (fast to load: no ASN.1 decoder). */
	r = tg_note_skey_format(use, &pem);
	if (r == TG_OK)
		r = tg_buf_addc(&pem, '\n');
	if (r == TG_OK)
		r = priv_path(dir, "key", &path);
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0600,
				       TG_FS_SYNC | TG_FS_EXCL, d);
	if (r == TG_OK)
		r = priv_path(dir, "origin", &path);
	if (r == TG_OK) {
		tg_buf_reset(&pem);
		r = tg_buf_addf(&pem, "%s\n", origin);
	}
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), pem.data, pem.len, 0600, TG_FS_SYNC, d);
	if (r == TG_OK)
		r = tg_note_vkey_format(use, &vk);
	if (r == TG_OK) {
		tg_buf_reset(&path);
		r = tg_buf_addf(&path, "%s/log.vkey", dir);
	}
	if (r == TG_OK)
		r = tg_buf_addc(&vk, '\n');
	if (r == TG_OK)
		r = tg_fs_write_atomic(tg_buf_str(&path), vk.data, vk.len, 0644, TG_FS_SYNC, d);
	if (r != TG_OK)
		goto out;
	/* The empty tree's checkpoint makes the directory a log. */
	log = tg_xcalloc(1, sizeof(*log));
	log->dir = tg_xstrdup(dir);
	log->lock_fd = -1;
	log->journal_fd = -1;
	tg_buf_init(&log->cp, TG_NOTE_MAX);
	tg_buf_init(&log->bundle, BUNDLE_MAX);
	memcpy(&log->key, use, sizeof(log->key));
	log->key.key = tg_key_ref(use->key);
	tg_tlog_empty_root(log->root);
	r = commit_checkpoint(log, d);
	if (r == TG_OK)
		r = tg_buf_add(vkey, vk.data, vk.len - 1);
out:
	tg_tlog_close(log);
	tg_note_key_release(&gen);
	tg_key_free(k);
	tg_buf_release(&path);
	tg_buf_release_wipe(&pem);
	tg_buf_release(&vk);
	return r;
}
