/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checkpoint.c - C2SP tlog-checkpoint note texts and tlog-proof files:
 * parsing, formatting and verification against log and witness keys.
 */
#include "tlog/tlog.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"

/* Parses an ASCII decimal with no leading zeros (unless "0"). */
static bool parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Next line of [*off, n) without its newline; false at the end or when the
 * line has no terminating newline. */
static bool next_line(const char *s, size_t n, size_t *off, const char **line, size_t *len)
{
	const char *nl;
	if (*off >= n)
		return false;
	nl = memchr(s + *off, '\n', n - *off);
	if (!nl)
		return false;
	*line = s + *off;
	*len = (size_t)(nl - *line);
	*off += *len + 1;
	return true;
}

static bool decode_hash(const char *s, size_t n, uint8_t out[32])
{
	struct tg_buf b = TG_BUF_INIT(64);
	bool ok = tg_b64_decode(&b, s, n, TG_B64_STD, NULL) == TG_OK && b.len == 32;
	if (ok)
		memcpy(out, b.data, 32);
	tg_buf_release(&b);
	return ok;
}

tg_err tg_checkpoint_parse(const char *text, size_t n, struct tg_checkpoint *out,
			   struct tg_diag *d)
{
	const char *line;
	size_t len, off = 0;
	struct tg_checkpoint c;

	memset(&c, 0, sizeof(c));
	if (!next_line(text, n, &off, &line, &len) || len == 0 || len > TG_NOTE_NAME_MAX) {
		tg_diag_set(d, "checkpoint: missing or bad origin line");
		return TG_E_PARSE;
	}
	memcpy(c.origin, line, len);
	c.origin[len] = '\0';
	if (!next_line(text, n, &off, &line, &len) || !parse_dec(line, len, &c.size)) {
		tg_diag_set(d, "checkpoint: bad tree size line");
		return TG_E_PARSE;
	}
	if (!next_line(text, n, &off, &line, &len) || !decode_hash(line, len, c.root)) {
		tg_diag_set(d, "checkpoint: bad root hash line");
		return TG_E_PARSE;
	}
	/* Extension lines: opaque, but must be non-empty. */
	while (next_line(text, n, &off, &line, &len)) {
		if (len == 0) {
			tg_diag_set(d, "checkpoint: empty extension line");
			return TG_E_PARSE;
		}
	}
	if (off != n) {
		tg_diag_set(d, "checkpoint: text does not end with a newline");
		return TG_E_PARSE;
	}
	*out = c;
	return TG_OK;
}

tg_err tg_checkpoint_text(const struct tg_checkpoint *c, struct tg_buf *out)
{
	size_t orig = out->len;
	tg_err r = tg_buf_addf(out, "%s\n%llu\n", c->origin, (unsigned long long)c->size);
	if (r == TG_OK)
		r = tg_b64_encode(out, c->root, 32, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}

tg_err tg_checkpoint_open(const char *s, size_t n, const struct tg_note_key *log_key,
			  const struct tg_note_key *witnesses, size_t nwitnesses,
			  size_t min_witnesses, struct tg_checkpoint *out, struct tg_diag *d)
{
	struct tg_note note = {NULL, 0, NULL, 0};
	struct tg_checkpoint c;
	size_t count = 0;
	tg_err r;

	r = tg_note_parse(s, n, &note, d);
	if (r != TG_OK)
		goto out;
	r = tg_note_verify(&note, log_key, 1, NULL, NULL, NULL, d);
	if (r == TG_E_NOTFOUND)
		r = TG_E_VERIFY;
	if (r != TG_OK) {
		tg_diag_prefix(d, "checkpoint not signed by the log key %s", log_key->name);
		goto out;
	}
	r = tg_checkpoint_parse(note.text, note.text_len, &c, d);
	if (r != TG_OK)
		goto out;
	if (strcmp(c.origin, log_key->name) != 0) {
		tg_diag_set(d, "checkpoint origin '%s' is not the log key's name '%s'", c.origin,
			    log_key->name);
		r = TG_E_VERIFY;
		goto out;
	}
	if (nwitnesses > 0) {
		r = tg_note_verify(&note, witnesses, nwitnesses, NULL, &count, NULL, d);
		if (r == TG_E_NOTFOUND)
			count = 0;
		else if (r != TG_OK)
			goto out; /* a known witness's bad cosignature rejects the note */
	}
	if (count < min_witnesses) {
		tg_diag_set(d, "%zu valid witness cosignature%s, %zu required", count,
			    count == 1 ? "" : "s", min_witnesses);
		r = TG_E_VERIFY;
		goto out;
	}
	*out = c;
	r = TG_OK;
out:
	tg_note_release(&note);
	return r;
}

/* ---- tlog-proof ---- */

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

void tg_tlog_proof_file_release(struct tg_tlog_proof_file *p)
{
	if (!p)
		return;
	free(p->extra);
	free(p->checkpoint);
	p->extra = NULL;
	p->checkpoint = NULL;
}

tg_err tg_tlog_proof_file_parse(const char *s, size_t n, struct tg_tlog_proof_file *out,
				struct tg_diag *d)
{
	struct tg_tlog_proof_file p;
	const char *line;
	size_t len, off = 0;
	struct tg_buf extra = TG_BUF_INIT(TG_NOTE_MAX);
	tg_err r = TG_E_PARSE;

	memset(&p, 0, sizeof(p));
	if (n > TG_NOTE_MAX * 2) {
		tg_diag_set(d, "proof file too large");
		return TG_E_TOOBIG;
	}
	if (!next_line(s, n, &off, &line, &len) || len != strlen(PROOF_HEADER) ||
	    memcmp(line, PROOF_HEADER, len) != 0) {
		tg_diag_set(d, "not a tlog proof (first line must be \"%s\")", PROOF_HEADER);
		goto out;
	}
	if (!next_line(s, n, &off, &line, &len)) {
		tg_diag_set(d, "tlog proof: missing index line");
		goto out;
	}
	if (len >= 6 && memcmp(line, "extra ", 6) == 0) {
		if (tg_b64_decode(&extra, line + 6, len - 6, TG_B64_STD, NULL) != TG_OK) {
			tg_diag_set(d, "tlog proof: bad base64 in extra line");
			goto out;
		}
		tg_buf_detach(&extra, &p.extra, &p.extra_len);
		if (!next_line(s, n, &off, &line, &len)) {
			tg_diag_set(d, "tlog proof: missing index line");
			goto out;
		}
	}
	if (len < 7 || memcmp(line, "index ", 6) != 0 || !parse_dec(line + 6, len - 6, &p.index)) {
		tg_diag_set(d, "tlog proof: bad index line");
		goto out;
	}
	for (;;) {
		if (!next_line(s, n, &off, &line, &len)) {
			tg_diag_set(d, "tlog proof: missing blank line before the checkpoint");
			goto out;
		}
		if (len == 0)
			break;
		if (p.proof.n == TG_TLOG_MAX_PROOF) {
			tg_diag_set(d, "tlog proof: more than %d proof hashes", TG_TLOG_MAX_PROOF);
			goto out;
		}
		if (!decode_hash(line, len, p.proof.h[p.proof.n])) {
			tg_diag_set(d, "tlog proof: bad hash on proof line %zu", p.proof.n + 1);
			goto out;
		}
		p.proof.n++;
	}
	if (off >= n) {
		tg_diag_set(d, "tlog proof: missing checkpoint");
		goto out;
	}
	p.checkpoint = tg_xstrndup(s + off, n - off);
	p.checkpoint_len = n - off;
	*out = p;
	memset(&p, 0, sizeof(p));
	r = TG_OK;
out:
	tg_tlog_proof_file_release(&p);
	tg_buf_release(&extra);
	return r;
}

tg_err tg_tlog_proof_file_format(const struct tg_tlog_proof_file *p, struct tg_buf *out)
{
	size_t orig = out->len, i;
	tg_err r = tg_buf_adds(out, PROOF_HEADER "\n");
	if (r == TG_OK && p->extra) {
		r = tg_buf_adds(out, "extra ");
		if (r == TG_OK)
			r = tg_b64_encode(out, p->extra, p->extra_len, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_addc(out, '\n');
	}
	if (r == TG_OK)
		r = tg_buf_addf(out, "index %llu\n", (unsigned long long)p->index);
	for (i = 0; r == TG_OK && i < p->proof.n; i++) {
		r = tg_b64_encode(out, p->proof.h[i], 32, TG_B64_STD);
		if (r == TG_OK)
			r = tg_buf_addc(out, '\n');
	}
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	if (r == TG_OK)
		r = tg_buf_add(out, p->checkpoint, p->checkpoint_len);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	return r;
}

tg_err tg_tlog_proof_file_verify(const struct tg_tlog_proof_file *p, const void *entry,
				 size_t entry_len, const struct tg_note_key *log_key,
				 const struct tg_note_key *witnesses, size_t nwitnesses,
				 size_t min_witnesses, struct tg_checkpoint *cp, struct tg_diag *d)
{
	struct tg_checkpoint c;
	uint8_t leaf[32];
	tg_err r;

	r = tg_checkpoint_open(p->checkpoint, p->checkpoint_len, log_key, witnesses, nwitnesses,
			       min_witnesses, &c, d);
	if (r != TG_OK)
		return r;
	tg_tlog_leaf_hash(entry, entry_len, leaf);
	if (tg_tlog_verify_inclusion(p->index, c.size, leaf, &p->proof, c.root) != TG_OK) {
		tg_diag_set(d, "entry is not included at index %llu of the tree of size %llu",
			    (unsigned long long)p->index, (unsigned long long)c.size);
		return TG_E_VERIFY;
	}
	if (cp)
		*cp = c;
	return TG_OK;
}
