/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_log.c - `tollgate log ...`: create a transparency log, append
 * entries durably, print checkpoints and proofs, verify them offline, and
 * act as a witness that cosigns only consistent checkpoints.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/limits.h"
#include "core/mem.h"
#include "server/server.h"
#include "tlog/tlog.h"

#define LOG_BATCH 4096           /* entries per durable batch of `log add` */
#define LOG_INPUT_MAX (1 * TG_GIB) /* bytes read by `log add --lines` */

const char tg_cli_log_init_usage[] =
	"usage: tollgate log init --dir D --origin ORIGIN [--key KEYFILE]\n"
	"\n"
	"Creates a transparency log in directory D (tlog-tiles layout: D/checkpoint\n"
	"and D/tile/ can be served by any static web server; D/.tollgate/ is private\n"
	"and must not be served). Prints the log's verifier key:\n"
	"\n"
	"  ORIGIN+<hex key id>+<base64 key>\n"
	"\n"
	"  --dir D        the log directory (created if missing; must not hold a log)\n"
	"  --origin NAME  the checkpoint origin, e.g. example.com/log (no spaces or '+')\n"
	"  --key FILE     sign with this Ed25519 key (PKCS#8 PEM, or a Go note signer\n"
	"                 key PRIVATE+KEY+ORIGIN+...); default: a new key\n";

const char tg_cli_log_add_usage[] =
	"usage: tollgate log add --dir D FILE...\n"
	"       tollgate log add --dir D --lines FILE|-\n"
	"\n"
	"Appends entries (each FILE is one entry; with --lines each line of FILE,\n"
	"without its newline, is one entry) and prints, once they are on disk with\n"
	"a signed checkpoint covering them, one line per entry in input order:\n"
	"\n"
	"  <index> sha256:<hex of the entry>\n"
	"\n"
	"Entries are at most 65535 bytes (the tlog-tiles entry bundle limit).\n"
	"Concurrent `log add` runs take turns on the log's lock.\n";

const char tg_cli_log_checkpoint_usage[] =
	"usage: tollgate log checkpoint --dir D\n"
	"       tollgate log checkpoint --server URL --ca-file PEM [--vkey VKEY]\n"
	"\n"
	"Prints the log's current signed checkpoint (c2sp.org/tlog-checkpoint).\n"
	"With --server, tollgated's (GET /v1/log/checkpoint; the server is\n"
	"authenticated by --ca-file as spiffe://TD/tollgated), which covers every\n"
	"decision it has answered; with --vkey its signature is checked first (exit\n"
	"1 when it does not verify).\n";

const char tg_cli_log_prove_usage[] =
	"usage: tollgate log prove --dir D --index N [--size M]\n"
	"       tollgate log prove --dir D --from OLD --to NEW\n"
	"       tollgate log prove --server URL --ca-file PEM (--index N | --from OLD --to NEW)\n"
	"\n"
	"With --index, prints a c2sp.org/tlog-proof@v1 proof that entry N is in the\n"
	"tree of size M (default: the current size), with the checkpoint the log\n"
	"signed at that size. With --from/--to, prints the RFC 9162 consistency\n"
	"proof between two tree sizes, one base64 hash per line.\n"
	"\n"
	"With --server (tollgated, authenticated by --ca-file as spiffe://TD/tollgated)\n"
	"the proof is built from the log's C2SP tiles over HTTPS, for the server's\n"
	"current checkpoint, after checking that the tiles hash to that checkpoint's\n"
	"root. `log verify --vkey` then checks the checkpoint's signature.\n";

const char tg_cli_log_verify_usage[] =
	"usage: tollgate log verify --vkey VKEY --proof FILE [--witness VKEY]...\n"
	"                           [--min-witnesses N] ENTRYFILE\n"
	"\n"
	"Exits 0 only if ENTRYFILE is included, at the proof's index, in a tree\n"
	"whose checkpoint is validly signed by VKEY (the text `log init` printed),\n"
	"and, with --min-witnesses N, cosigned by at least N of the --witness keys.\n"
	"Exits 1 with the reason otherwise.\n";

const char tg_cli_log_verify_consistency_usage[] =
	"usage: tollgate log verify-consistency --vkey VKEY --old CKPT --new CKPT\n"
	"                                       --proof FILE\n"
	"\n"
	"Exits 0 only if both checkpoints are signed by VKEY and FILE (one base64\n"
	"hash per line, as `log prove --from --to` prints) proves that the new tree\n"
	"extends the old one. Exits 1 with the reason otherwise.\n";

const char tg_cli_log_witness_usage[] =
	"usage: tollgate log witness --state DIR --key KEYFILE --log-vkey VKEY\n"
	"                            --checkpoint CKPT --proof FILE [--name NAME]\n"
	"\n"
	"Acts as a witness (c2sp.org/tlog-witness): verifies CKPT against VKEY, and\n"
	"cosigns it only if FILE proves it consistent with the last checkpoint this\n"
	"witness cosigned for the log (kept in DIR). Prints the cosignature line\n"
	"(c2sp.org/tlog-cosignature, Ed25519) to append to the checkpoint, or exits\n"
	"1 with the reason (inconsistent, split view, rollback, bad signature).\n"
	"\n"
	"  --proof FILE  consistency proof lines from the witnessed size; may start\n"
	"                with a line \"old N\" that must match the witnessed size\n"
	"  --key FILE    the witness key: Ed25519 PKCS#8 PEM (then --name is needed)\n"
	"                or a Go note signer key PRIVATE+KEY+NAME+...\n"
	"  --name NAME   the witness name\n";

const char tg_cli_log_vkey_usage[] =
	"usage: tollgate log vkey --key KEYFILE [--name NAME] [--cosignature]\n"
	"\n"
	"Prints the verifier key of an Ed25519 key: for signing checkpoints, or with\n"
	"--cosignature for witness cosignatures (signature type 0x04), as\n"
	"`log verify --witness` expects.\n";

/* Prints a failure with its diagnostic and returns the exit code. */
static int fail(tg_err r, const struct tg_diag *d, const char *what)
{
	if (d->msg[0])
		tg_cli_error("%s: %s", what, d->msg);
	else
		tg_cli_error("%s: %s", what, tg_strerror(r));
	return tg_cli_exit_code(r);
}

/* Parses an unsigned decimal option value. */
static bool parse_u64(const char *s, uint64_t *out)
{
	int64_t v;
	if (tg_cli_parse_i64(s, 0, INT64_MAX, &v) != TG_OK)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Parses a vkey given as text; strips a trailing newline. */
static tg_err parse_vkey(const char *s, struct tg_note_key *out, struct tg_diag *d)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return tg_note_vkey_parse(s, n, out, d);
}

int tg_cli_log_init(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"origin", required_argument, NULL, 'o'},
					     {"key", required_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL, *origin = NULL, *keyfile = NULL;
	struct tg_note_key key;
	struct tg_buf vkey = TG_BUF_INIT(4096);
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&key, 0, sizeof(key));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:o:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!dir || !origin || optind != argc)
		return tg_cli_usage_error(cmd, "--dir and --origin are required, and nothing else");
	if (keyfile) {
		r = tg_note_key_load(keyfile, origin, TG_NOTE_ED25519, &key, &d);
		if (r != TG_OK)
			return fail(r, &d, "cannot use the key");
	}
	r = tg_tlog_create(dir, origin, keyfile ? &key : NULL, &vkey, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot create the log");
	} else if (tg_buf_addc(&vkey, '\n') != TG_OK || tg_cli_write(vkey.data, vkey.len) != TG_OK) {
		code = TG_EXIT_INTERNAL;
	}
	tg_note_key_release(&key);
	tg_buf_release(&vkey);
	return code;
}

/* Collects entries (pointers into one buffer per source). */
struct entries {
	struct tg_buf *bufs; /* owned data of each file / the lines file */
	size_t nbufs;
	const uint8_t **p;
	size_t *len;
	size_t n, cap;
};

static void entries_add(struct entries *e, const uint8_t *p, size_t len)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->p = tg_xreallocarray(e->p, e->cap, sizeof(*e->p));
		e->len = tg_xreallocarray(e->len, e->cap, sizeof(*e->len));
	}
	e->p[e->n] = p;
	e->len[e->n] = len;
	e->n++;
}

static struct tg_buf *entries_buf(struct entries *e, size_t max)
{
	e->bufs = tg_xreallocarray(e->bufs, e->nbufs + 1, sizeof(*e->bufs));
	tg_buf_init(&e->bufs[e->nbufs], max);
	return &e->bufs[e->nbufs++];
}

static void entries_release(struct entries *e)
{
	size_t i;
	for (i = 0; i < e->nbufs; i++)
		tg_buf_release(&e->bufs[i]);
	free(e->bufs);
	free(e->p);
	free(e->len);
}

int tg_cli_log_add(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"lines", required_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL, *lines = NULL;
	struct entries e;
	struct tg_tlog *log = NULL;
	struct tg_buf out = TG_BUF_INIT(64 * TG_MIB);
	struct tg_diag d;
	size_t i, done;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&e, 0, sizeof(e));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			lines = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!dir)
		return tg_cli_usage_error(cmd, "--dir is required");
	if (lines ? optind != argc : optind == argc)
		return tg_cli_usage_error(cmd, "give either FILE... or --lines FILE");

	/* Read everything first: nothing is appended if any input is bad. */
	if (lines) {
		struct tg_buf *b = entries_buf(&e, LOG_INPUT_MAX);
		size_t start = 0;
		r = tg_cli_read_file(lines, LOG_INPUT_MAX, false, b, &d);
		if (r != TG_OK) {
			code = fail(r, &d, "cannot read the entries");
			goto out;
		}
		for (i = 0; i <= b->len; i++) {
			if (i == b->len ? i > start : b->data[i] == '\n') {
				if (i - start > TG_TLOG_ENTRY_MAX) {
					tg_cli_error("line %zu of '%s' has %zu bytes; the limit is %d",
						     e.n + 1, tg_cli_name(lines), i - start,
						     TG_TLOG_ENTRY_MAX);
					code = TG_EXIT_USAGE;
					goto out;
				}
				entries_add(&e, b->data + start, i - start);
				start = i + 1;
			}
		}
	} else {
		for (i = (size_t)optind; i < (size_t)argc; i++) {
			struct tg_buf *b = entries_buf(&e, TG_TLOG_ENTRY_MAX);
			r = tg_cli_read_file(argv[i], TG_TLOG_ENTRY_MAX, false, b, &d);
			if (r == TG_E_TOOBIG)
				tg_diag_set(&d, "'%s' is larger than an entry may be (%d bytes)",
					    tg_cli_name(argv[i]), TG_TLOG_ENTRY_MAX);
			if (r != TG_OK) {
				code = fail(r, &d, "cannot read the entries");
				goto out;
			}
			entries_add(&e, b->data ? b->data : (const uint8_t *)"", b->len);
		}
	}

	r = tg_tlog_open(dir, TG_TLOG_APPEND, &log, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot open the log");
		goto out;
	}
	for (done = 0; done < e.n;) {
		size_t n = e.n - done < LOG_BATCH ? e.n - done : LOG_BATCH;
		uint64_t first;
		r = tg_tlog_append(log, e.p + done, e.len + done, n, &first, &d);
		if (r != TG_OK) {
			code = fail(r, &d, "cannot append");
			goto out;
		}
		/* durable now: report this batch */
		tg_buf_reset(&out);
		for (i = 0; i < n && r == TG_OK; i++) {
			uint8_t md[32];
			r = tg_hash(TG_SHA256, e.p[done + i], e.len[done + i], md);
			if (r == TG_OK)
				r = tg_buf_addf(&out, "%llu sha256:", (unsigned long long)(first + i));
			if (r == TG_OK)
				r = tg_hex_encode(&out, md, 32);
			if (r == TG_OK)
				r = tg_buf_addc(&out, '\n');
		}
		if (r != TG_OK || tg_cli_write(out.data, out.len) != TG_OK) {
			code = TG_EXIT_INTERNAL;
			goto out;
		}
		done += n;
	}
out:
	tg_tlog_close(log);
	entries_release(&e);
	tg_buf_release(&out);
	return code;
}

/* log checkpoint --server: fetched, parsed, and with a vkey verified. */
static int checkpoint_remote(const char *server, const char *ca_file, const char *vkey)
{
	struct tg_client c;
	struct tg_buf cp = TG_BUF_INIT(TG_NOTE_MAX);
	struct tg_note_key lk;
	struct tg_checkpoint ck;
	struct tg_diag d;
	int status = 0, code = TG_EXIT_OK;
	tg_err r;

	memset(&lk, 0, sizeof(lk));
	memset(&c, 0, sizeof(c));
	tg_diag_init(&d);
	if (tg_client_url(server, &c, &d) != TG_OK) {
		tg_cli_error("%s", d.msg);
		return TG_EXIT_USAGE;
	}
	c.ca_file = ca_file;
	if (vkey && (r = parse_vkey(vkey, &lk, &d)) != TG_OK) {
		code = fail(r, &d, "bad --vkey");
		goto out;
	}
	r = tg_client_request(&c, "GET", "/v1/log/checkpoint", NULL, NULL, 0, &status, &cp, &d);
	if (r != TG_OK) {
		code = fail(TG_E_AGAIN, &d, server);
		goto out;
	}
	if (status != 200) {
		tg_cli_error("%s answered %d: %.*s", server, status, (int)(cp.len > 200 ? 200 : cp.len),
			     (const char *)cp.data);
		code = status >= 500 ? TG_EXIT_INTERNAL : TG_EXIT_USAGE;
		goto out;
	}
	r = vkey ? tg_checkpoint_open((const char *)cp.data, cp.len, &lk, NULL, 0, 0, &ck, &d)
		 : TG_OK;
	if (r != TG_OK) {
		code = fail(TG_E_VERIFY, &d, "the server's checkpoint");
		goto out;
	}
	if (tg_cli_write(cp.data, cp.len) != TG_OK)
		code = TG_EXIT_INTERNAL;
out:
	tg_note_key_release(&lk);
	tg_buf_release(&cp);
	return code;
}

int tg_cli_log_checkpoint(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"server", required_argument, NULL, 's'},
					     {"ca-file", required_argument, NULL, 'c'},
					     {"vkey", required_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL, *server = NULL, *ca_file = NULL, *vkey = NULL;
	struct tg_tlog *log = NULL;
	struct tg_buf cp = TG_BUF_INIT(TG_NOTE_MAX);
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:c:v:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': server = optarg; break;
		case 'c': ca_file = optarg; break;
		case 'v': vkey = optarg; break;
		case 'h': return tg_cli_help(cmd);
		default: return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (optind != argc || !dir == !server || (dir && (ca_file || vkey)) ||
	    (server && !ca_file))
		return tg_cli_usage_error(cmd, "give --dir D, or --server URL with --ca-file PEM "
					       "(and optionally --vkey)");
	if (server)
		return checkpoint_remote(server, ca_file, vkey);
	tg_diag_init(&d);
	r = tg_tlog_open(dir, TG_TLOG_READ, &log, &d);
	if (r == TG_OK)
		r = tg_tlog_checkpoint(log, &cp);
	if (r != TG_OK)
		code = fail(r, &d, "cannot read the log");
	else if (tg_cli_write(cp.data, cp.len) != TG_OK)
		code = TG_EXIT_INTERNAL;
	tg_tlog_close(log);
	tg_buf_release(&cp);
	return code;
}

static tg_err add_hash_lines(struct tg_buf *out, const struct tg_tlog_proof *p)
{
	size_t i;
	tg_err r = TG_OK;
	for (i = 0; r == TG_OK && i < p->n; i++) {
		r = tg_b64_encode(out, p->h[i], 32, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_addc(out, '\n');
	}
	return r;
}

/* ---- proofs from a server's tiles (log prove --server) ---- */

#define REMOTE_TILES 64 /* tiles kept by one `log prove --server` */

struct remote {
	struct tg_client c;
	uint64_t size;                  /* of the checkpoint the proof is for */
	struct {
		unsigned level;
		uint64_t index;
		unsigned width;
		uint8_t h[TG_TLOG_TILE_WIDTH][32];
	} *tiles;
	size_t ntiles;
	struct tg_diag *d;
};

/* tlog-tiles' encoding of a tile index: 3-digit groups, all but the last
 * prefixed with 'x' (1234067 -> x001/x234/067). */
static void tile_index_path(uint64_t n, char *out, size_t cap)
{
	char groups[8][4];
	size_t k = 0, len = 0;
	do {
		(void)snprintf(groups[k++], sizeof(groups[0]), "%03u", (unsigned)(n % 1000));
		n /= 1000;
	} while (n && k < TG_ARRAY_LEN(groups));
	out[0] = '\0';
	while (k-- > 0 && len < cap)
		len += (size_t)snprintf(out + len, cap - len, "%s%s%s", k ? "x" : "", groups[k],
					k ? "/" : "");
}

/* The level-8L hashes of tile (L, index), fetched once. */
static tg_err remote_tile(struct remote *rm, unsigned L, uint64_t index, unsigned *width,
			  uint8_t (**h)[32])
{
	struct tg_buf body = TG_BUF_INIT(TG_TLOG_TILE_WIDTH * 32 + 1);
	uint64_t n = L * 8 >= 64 ? 0 : rm->size >> (L * 8); /* hashes at level 8L */
	unsigned w;
	char path[160], ip[64];
	int status = 0;
	size_t i;
	tg_err r;

	if (index >= (n + TG_TLOG_TILE_WIDTH - 1) / TG_TLOG_TILE_WIDTH)
		return TG_E_RANGE;
	w = index < n / TG_TLOG_TILE_WIDTH ? TG_TLOG_TILE_WIDTH : (unsigned)(n % TG_TLOG_TILE_WIDTH);
	for (i = 0; i < rm->ntiles; i++)
		if (rm->tiles[i].level == L && rm->tiles[i].index == index) {
			*width = rm->tiles[i].width;
			*h = rm->tiles[i].h;
			return TG_OK;
		}
	if (rm->ntiles == REMOTE_TILES) {
		tg_diag_set(rm->d, "the proof needs more than %d tiles", REMOTE_TILES);
		return TG_E_TOOBIG;
	}
	tile_index_path(index, ip, sizeof(ip));
	if (w == TG_TLOG_TILE_WIDTH)
		(void)snprintf(path, sizeof(path), "/v1/log/tile/%u/%s", L, ip);
	else
		(void)snprintf(path, sizeof(path), "/v1/log/tile/%u/%s.p/%u", L, ip, w);
	r = tg_client_request(&rm->c, "GET", path, NULL, NULL, 0, &status, &body, rm->d);
	if (r == TG_OK && (status != 200 || body.len != (size_t)w * 32)) {
		tg_diag_set(rm->d, "GET %s: the server answered %d with %zu bytes, want %u", path,
			    status, body.len, w * 32);
		r = TG_E_VERIFY;
	}
	if (r == TG_OK) {
		i = rm->ntiles++;
		rm->tiles[i].level = L;
		rm->tiles[i].index = index;
		rm->tiles[i].width = w;
		memcpy(rm->tiles[i].h, body.data, body.len);
		*width = w;
		*h = rm->tiles[i].h;
	}
	tg_buf_release(&body);
	return r;
}

/* tg_tlog_nodes over the server's tiles: a node at level L*8+k is the
 * root of 2^k consecutive hashes of a level-8L tile. */
static tg_err remote_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct remote *rm = ctx;
	unsigned L = level / 8, k = level % 8, count = 1u << k, width = 0, off, i, j;
	uint8_t(*h)[32] = NULL, tmp[TG_TLOG_TILE_WIDTH][32];
	uint64_t first;
	tg_err r;

	if (index > (UINT64_MAX >> k))
		return TG_E_RANGE;
	first = index << k;
	off = (unsigned)(first % TG_TLOG_TILE_WIDTH);
	r = remote_tile(rm, L, first / TG_TLOG_TILE_WIDTH, &width, &h);
	if (r != TG_OK)
		return r;
	if (off + count > width)
		return TG_E_RANGE;
	memcpy(tmp, h + off, (size_t)count * 32);
	for (i = count; i > 1; i /= 2)
		for (j = 0; j < i / 2; j++)
			tg_tlog_node_hash(tmp[2 * j], tmp[2 * j + 1], tmp[j]);
	memcpy(out, tmp[0], 32);
	return TG_OK;
}

/* log prove --server: the current checkpoint, tiles checked against its
 * root, then the proof as with --dir. */
static int prove_remote(const char *server, const char *ca_file, bool has_index, uint64_t index,
			uint64_t from, uint64_t to)
{
	struct remote rm;
	struct tg_buf cp = TG_BUF_INIT(TG_NOTE_MAX), out = TG_BUF_INIT(TG_NOTE_MAX * 2);
	struct tg_checkpoint ck;
	struct tg_tlog_nodes src = {remote_node, &rm};
	struct tg_diag d;
	const char *end;
	uint8_t root[32], leaf[32], old_root[32];
	int status = 0, code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	memset(&rm, 0, sizeof(rm));
	rm.d = &d;
	if (tg_client_url(server, &rm.c, &d) != TG_OK) {
		tg_cli_error("%s", d.msg);
		return TG_EXIT_USAGE;
	}
	rm.c.ca_file = ca_file;
	rm.tiles = tg_xcalloc(REMOTE_TILES, sizeof(*rm.tiles));
	r = tg_client_request(&rm.c, "GET", "/v1/log/checkpoint", NULL, NULL, 0, &status, &cp, &d);
	if (r != TG_OK) {
		code = fail(TG_E_AGAIN, &d, server);
		goto out;
	}
	end = status == 200 && cp.len ? memmem(cp.data, cp.len, "\n\n", 2) : NULL;
	if (!end || tg_checkpoint_parse((const char *)cp.data, (size_t)(end - (const char *)cp.data) + 1,
					&ck, &d) != TG_OK) {
		code = fail(TG_E_VERIFY, &d, "the server's checkpoint");
		goto out;
	}
	rm.size = ck.size;
	if (has_index ? index >= ck.size : (from > to || to > ck.size)) {
		tg_cli_error("the server's log has %llu entries", (unsigned long long)ck.size);
		code = TG_EXIT_USAGE;
		goto out;
	}
	r = tg_tlog_root(&src, ck.size, root);
	if (r == TG_OK && memcmp(root, ck.root, 32) != 0) {
		tg_diag_set(&d, "the server's tiles do not hash to its checkpoint's root");
		r = TG_E_VERIFY;
	}
	if (r == TG_OK && has_index) {
		struct tg_tlog_proof_file pf;
		memset(&pf, 0, sizeof(pf));
		pf.index = index;
		pf.checkpoint = (char *)cp.data;
		pf.checkpoint_len = cp.len;
		r = tg_tlog_prove_inclusion(&src, index, ck.size, &pf.proof);
		/* the path must lead from the tiles' leaf hash to the signed root:
		 * tiles that disagree with each other fail here */
		if (r == TG_OK)
			r = remote_node(&rm, 0, index, leaf);
		if (r == TG_OK &&
		    tg_tlog_verify_inclusion(index, ck.size, leaf, &pf.proof, ck.root) != TG_OK) {
			tg_diag_set(&d, "the server's tiles do not hash to its checkpoint's root");
			r = TG_E_VERIFY;
		}
		if (r == TG_OK)
			r = tg_tlog_proof_file_format(&pf, &out);
	} else if (r == TG_OK) {
		struct tg_tlog_proof p;
		r = tg_tlog_prove_consistency(&src, from, to, &p);
		if (r == TG_OK && from > 0 && from < to)
			r = tg_tlog_root(&src, from, old_root);
		if (r == TG_OK && to < ck.size)
			r = tg_tlog_root(&src, to, root); /* else the signed root */
		if (r == TG_OK && from > 0 && from < to &&
		    tg_tlog_verify_consistency(from, to, old_root, to < ck.size ? root : ck.root,
					       &p) != TG_OK) {
			tg_diag_set(&d, "the server's tiles do not hash to its checkpoint's root");
			r = TG_E_VERIFY;
		}
		if (r == TG_OK)
			r = add_hash_lines(&out, &p);
	}
	if (r != TG_OK)
		code = fail(r == TG_E_VERIFY ? r : TG_E_AGAIN, &d, "cannot build the proof from the server's tiles");
	else if (tg_cli_write(out.data, out.len) != TG_OK)
		code = TG_EXIT_INTERNAL;
out:
	free(rm.tiles);
	tg_buf_release(&cp);
	tg_buf_release(&out);
	return code;
}

int tg_cli_log_prove(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"index", required_argument, NULL, 'i'},
					     {"size", required_argument, NULL, 's'},
					     {"from", required_argument, NULL, 'f'},
					     {"to", required_argument, NULL, 't'},
					     {"server", required_argument, NULL, 'S'},
					     {"ca-file", required_argument, NULL, 'C'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *dir = NULL, *server = NULL, *ca_file = NULL;
	uint64_t index = 0, size = 0, from = 0, to = 0;
	bool has_index = false, has_size = false, has_from = false, has_to = false;
	struct tg_tlog *log = NULL;
	struct tg_buf out = TG_BUF_INIT(TG_NOTE_MAX * 2), cp = TG_BUF_INIT(TG_NOTE_MAX);
	struct tg_tlog_nodes src;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:i:s:f:t:S:C:h", opts, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'S':
			server = optarg;
			break;
		case 'C':
			ca_file = optarg;
			break;
		case 'i':
			ok = parse_u64(optarg, &index);
			has_index = true;
			break;
		case 's':
			ok = parse_u64(optarg, &size);
			has_size = true;
			break;
		case 'f':
			ok = parse_u64(optarg, &from);
			has_from = true;
			break;
		case 't':
			ok = parse_u64(optarg, &to);
			has_to = true;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
		if (!ok)
			return tg_cli_usage_error(cmd, "'%s' is not a non-negative integer", optarg);
	}
	if (!dir == !server || !server != !ca_file || optind != argc)
		return tg_cli_usage_error(cmd, "give --dir D, or --server URL with --ca-file PEM");
	if (has_index == (has_from || has_to) || has_from != has_to || (has_size && !has_index))
		return tg_cli_usage_error(cmd, "give --index [--size] or --from and --to");
	if (server && has_size)
		return tg_cli_usage_error(cmd, "--size is for --dir: a server proves for its "
					       "current checkpoint");
	if (server)
		return prove_remote(server, ca_file, has_index, index, from, to);

	r = tg_tlog_open(dir, TG_TLOG_READ, &log, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the log");
		goto out;
	}
	src = tg_tlog_nodes(log);
	if (has_index) {
		struct tg_tlog_proof_file pf;
		if (!has_size)
			size = tg_tlog_size(log);
		if (size > tg_tlog_size(log) || index >= size) {
			tg_cli_error("no entry %llu in a tree of size %llu (the log has %llu)",
				     (unsigned long long)index, (unsigned long long)size,
				     (unsigned long long)tg_tlog_size(log));
			code = TG_EXIT_USAGE;
			goto out;
		}
		r = tg_tlog_checkpoint_at(log, size, &cp);
		if (r == TG_E_NOTFOUND) {
			tg_cli_error("the log never published a checkpoint of size %llu",
				     (unsigned long long)size);
			code = TG_EXIT_USAGE;
			goto out;
		}
		memset(&pf, 0, sizeof(pf));
		pf.index = index;
		pf.checkpoint = (char *)cp.data;
		pf.checkpoint_len = cp.len;
		if (r == TG_OK)
			r = tg_tlog_prove_inclusion(&src, index, size, &pf.proof);
		if (r == TG_OK)
			r = tg_tlog_proof_file_format(&pf, &out);
	} else {
		struct tg_tlog_proof p;
		if (from > to || to > tg_tlog_size(log)) {
			tg_cli_error("cannot prove from size %llu to %llu (the log has %llu)",
				     (unsigned long long)from, (unsigned long long)to,
				     (unsigned long long)tg_tlog_size(log));
			code = TG_EXIT_USAGE;
			goto out;
		}
		r = tg_tlog_prove_consistency(&src, from, to, &p);
		if (r == TG_OK)
			r = add_hash_lines(&out, &p);
	}
	if (r != TG_OK)
		code = fail(r, &d, "cannot build the proof");
	else if (tg_cli_write(out.data, out.len) != TG_OK)
		code = TG_EXIT_INTERNAL;
out:
	tg_tlog_close(log);
	tg_buf_release(&out);
	tg_buf_release(&cp);
	return code;
}

/* Reads proof hash lines (optionally after "old N"); *old = UINT64_MAX
 * when there is no old line. */
static tg_err read_hash_lines(const char *path, struct tg_tlog_proof *p, uint64_t *old,
			      struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_NOTE_MAX);
	size_t off = 0;
	tg_err r = tg_cli_read_file(path, TG_NOTE_MAX, false, &b, d);

	p->n = 0;
	if (old)
		*old = UINT64_MAX;
	while (r == TG_OK && off < b.len) {
		const char *line = (const char *)b.data + off;
		const char *nl = memchr(line, '\n', b.len - off);
		size_t len = nl ? (size_t)(nl - line) : b.len - off;
		struct tg_buf h = TG_BUF_INIT(64);
		off += len + (nl ? 1 : 0);
		if (len && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if (old && off == len + (nl ? 1 : 0) && len > 4 && memcmp(line, "old ", 4) == 0) {
			char num[32];
			if (len - 4 >= sizeof(num)) {
				r = TG_E_PARSE;
				break;
			}
			memcpy(num, line + 4, len - 4);
			num[len - 4] = '\0';
			if (!parse_u64(num, old))
				r = TG_E_PARSE;
			continue;
		}
		if (p->n == TG_TLOG_MAX_PROOF ||
		    tg_b64_decode(&h, line, len, TG_B64_STD, NULL) != TG_OK || h.len != 32) {
			tg_diag_set(d, "'%s': line %zu is not a base64 SHA-256 hash",
				    tg_cli_name(path), p->n + 1);
			r = TG_E_PARSE;
		} else {
			memcpy(p->h[p->n++], h.data, 32);
		}
		tg_buf_release(&h);
	}
	if (r == TG_E_PARSE && !d->msg[0])
		tg_diag_set(d, "'%s' is not a proof", tg_cli_name(path));
	tg_buf_release(&b);
	return r;
}

int tg_cli_log_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"vkey", required_argument, NULL, 'v'},
					     {"proof", required_argument, NULL, 'p'},
					     {"witness", required_argument, NULL, 'w'},
					     {"min-witnesses", required_argument, NULL, 'm'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *vkey = NULL, *proof = NULL;
	const char **wargs = NULL;
	size_t nw = 0, i;
	uint64_t minw = 0;
	struct tg_note_key lk, *wk = NULL;
	struct tg_buf pb = TG_BUF_INIT(TG_NOTE_MAX * 2), entry = TG_BUF_INIT(TG_TLOG_ENTRY_MAX);
	struct tg_tlog_proof_file pf;
	struct tg_checkpoint cp;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&lk, 0, sizeof(lk));
	memset(&pf, 0, sizeof(pf));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":v:p:w:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			vkey = optarg;
			break;
		case 'p':
			proof = optarg;
			break;
		case 'w':
			wargs = tg_xreallocarray(wargs, nw + 1, sizeof(*wargs));
			wargs[nw++] = optarg;
			break;
		case 'm':
			if (!parse_u64(optarg, &minw)) {
				free(wargs);
				return tg_cli_usage_error(cmd, "bad --min-witnesses '%s'", optarg);
			}
			break;
		case 'h':
			free(wargs);
			return tg_cli_help(cmd);
		default:
			free(wargs);
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!vkey || !proof || optind + 1 != argc) {
		free(wargs);
		return tg_cli_usage_error(cmd, "--vkey, --proof and one ENTRYFILE are required");
	}
	if (minw > nw) {
		free(wargs);
		return tg_cli_usage_error(cmd, "--min-witnesses %llu but only %zu --witness keys",
					  (unsigned long long)minw, nw);
	}
	wk = tg_xcalloc(nw ? nw : 1, sizeof(*wk));
	r = parse_vkey(vkey, &lk, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "bad --vkey");
		goto out;
	}
	for (i = 0; i < nw; i++) {
		r = parse_vkey(wargs[i], &wk[i], &d);
		if (r != TG_OK) {
			code = fail(r, &d, "bad --witness");
			goto out;
		}
	}
	r = tg_cli_read_file(proof, TG_NOTE_MAX * 2, false, &pb, &d);
	if (r == TG_OK)
		r = tg_tlog_proof_file_parse((const char *)pb.data, pb.len, &pf, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the proof");
		goto out;
	}
	r = tg_cli_read_file(argv[optind], TG_TLOG_ENTRY_MAX, false, &entry, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the entry");
		goto out;
	}
	r = tg_tlog_proof_file_verify(&pf, entry.data ? entry.data : (const uint8_t *)"", entry.len,
				      &lk, wk, nw, (size_t)minw, &cp, &d);
	if (r != TG_OK) {
		code = fail(r == TG_E_NOTFOUND ? TG_E_VERIFY : r, &d, "verification failed");
		if (code == TG_EXIT_USAGE || code == TG_EXIT_INTERNAL)
			code = TG_EXIT_FAIL;
		goto out;
	}
	printf("verified: entry %llu in %s at size %llu\n", (unsigned long long)pf.index, cp.origin,
	       (unsigned long long)cp.size);
out:
	tg_note_key_release(&lk);
	for (i = 0; i < nw; i++)
		tg_note_key_release(&wk[i]);
	free(wk);
	free(wargs);
	tg_tlog_proof_file_release(&pf);
	tg_buf_release(&pb);
	tg_buf_release(&entry);
	return code;
}

int tg_cli_log_verify_consistency(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"vkey", required_argument, NULL, 'v'},
					     {"old", required_argument, NULL, 'o'},
					     {"new", required_argument, NULL, 'n'},
					     {"proof", required_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *vkey = NULL, *oldf = NULL, *newf = NULL, *proof = NULL;
	struct tg_note_key lk;
	struct tg_buf ob = TG_BUF_INIT(TG_NOTE_MAX), nb = TG_BUF_INIT(TG_NOTE_MAX);
	struct tg_checkpoint oc, nc;
	struct tg_tlog_proof p;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&lk, 0, sizeof(lk));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":v:o:n:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			vkey = optarg;
			break;
		case 'o':
			oldf = optarg;
			break;
		case 'n':
			newf = optarg;
			break;
		case 'p':
			proof = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!vkey || !oldf || !newf || !proof || optind != argc)
		return tg_cli_usage_error(cmd, "--vkey, --old, --new and --proof are required");
	r = parse_vkey(vkey, &lk, &d);
	if (r != TG_OK)
		return fail(r, &d, "bad --vkey");
	r = tg_cli_read_file(oldf, TG_NOTE_MAX, false, &ob, &d);
	if (r == TG_OK)
		r = tg_cli_read_file(newf, TG_NOTE_MAX, false, &nb, &d);
	if (r == TG_OK)
		r = read_hash_lines(proof, &p, NULL, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the input");
		goto out;
	}
	r = tg_checkpoint_open((const char *)ob.data, ob.len, &lk, NULL, 0, 0, &oc, &d);
	if (r == TG_OK)
		r = tg_checkpoint_open((const char *)nb.data, nb.len, &lk, NULL, 0, 0, &nc, &d);
	if (r == TG_OK) {
		bool same = oc.size == nc.size && memcmp(oc.root, nc.root, 32) == 0 && p.n == 0;
		if (!same && tg_tlog_verify_consistency(oc.size, nc.size, oc.root, nc.root, &p) != TG_OK) {
			tg_diag_set(&d, "the proof does not show that size %llu extends size %llu",
				    (unsigned long long)nc.size, (unsigned long long)oc.size);
			r = TG_E_VERIFY;
		}
	}
	if (r != TG_OK) {
		code = fail(r, &d, "verification failed");
		if (code != TG_EXIT_FAIL)
			code = TG_EXIT_FAIL;
		goto out;
	}
	printf("consistent: %s size %llu extends size %llu\n", nc.origin,
	       (unsigned long long)nc.size, (unsigned long long)oc.size);
out:
	tg_note_key_release(&lk);
	tg_buf_release(&ob);
	tg_buf_release(&nb);
	return code;
}

int tg_cli_log_witness(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"state", required_argument, NULL, 's'},
					     {"key", required_argument, NULL, 'k'},
					     {"log-vkey", required_argument, NULL, 'v'},
					     {"checkpoint", required_argument, NULL, 'c'},
					     {"proof", required_argument, NULL, 'p'},
					     {"name", required_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *state = NULL, *keyf = NULL, *vkey = NULL, *cpf = NULL, *proof = NULL;
	const char *name = NULL;
	struct tg_note_key lk, wk;
	struct tg_buf cp = TG_BUF_INIT(TG_NOTE_MAX), line = TG_BUF_INIT(4096);
	struct tg_tlog_proof p;
	uint64_t old = UINT64_MAX, stored = 0;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&lk, 0, sizeof(lk));
	memset(&wk, 0, sizeof(wk));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:k:v:c:p:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			state = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 'v':
			vkey = optarg;
			break;
		case 'c':
			cpf = optarg;
			break;
		case 'p':
			proof = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!state || !keyf || !vkey || !cpf || !proof || optind != argc)
		return tg_cli_usage_error(
			cmd, "--state, --key, --log-vkey, --checkpoint and --proof are required");
	r = parse_vkey(vkey, &lk, &d);
	if (r != TG_OK)
		return fail(r, &d, "bad --log-vkey");
	r = tg_note_key_load(keyf, name, TG_NOTE_COSIG_V1, &wk, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot use the witness key");
		goto out;
	}
	r = tg_cli_read_file(cpf, TG_NOTE_MAX, false, &cp, &d);
	if (r == TG_OK)
		r = read_hash_lines(proof, &p, &old, &d);
	if (r != TG_OK) {
		code = fail(r, &d, "cannot read the input");
		goto out;
	}
	r = tg_tlog_witness_cosign(state, &wk, &lk, (const char *)cp.data, cp.len, old, &p, &stored,
				   &line, &d);
	if (r == TG_E_CONFLICT) {
		tg_cli_error("refused: %s", d.msg);
		code = TG_EXIT_FAIL;
	} else if (r == TG_E_VERIFY) {
		tg_cli_error("refused: %s", d.msg);
		code = TG_EXIT_FAIL;
	} else if (r != TG_OK) {
		code = fail(r, &d, "cannot cosign");
	} else if (tg_cli_write(line.data, line.len) != TG_OK) {
		code = TG_EXIT_INTERNAL;
	}
out:
	tg_note_key_release(&lk);
	tg_note_key_release(&wk);
	tg_buf_release(&cp);
	tg_buf_release(&line);
	return code;
}

int tg_cli_log_vkey(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
					     {"name", required_argument, NULL, 'n'},
					     {"cosignature", no_argument, NULL, 'c'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *keyf = NULL, *name = NULL;
	bool cosig = false;
	struct tg_note_key k;
	struct tg_buf out = TG_BUF_INIT(4096);
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&k, 0, sizeof(k));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":k:n:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyf = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'c':
			cosig = true;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!keyf || optind != argc)
		return tg_cli_usage_error(cmd, "--key is required");
	r = tg_note_key_load(keyf, name, cosig ? TG_NOTE_COSIG_V1 : TG_NOTE_ED25519, &k, &d);
	if (r == TG_OK)
		r = tg_note_vkey_format(&k, &out);
	if (r == TG_OK)
		r = tg_buf_addc(&out, '\n');
	if (r != TG_OK)
		code = fail(r, &d, "cannot make the verifier key");
	else if (tg_cli_write(out.data, out.len) != TG_OK)
		code = TG_EXIT_INTERNAL;
	tg_note_key_release(&k);
	tg_buf_release(&out);
	return code;
}
