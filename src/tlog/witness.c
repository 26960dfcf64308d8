/* SPDX-License-Identifier: Apache-2.0 */
/*
 * witness.c - a local witness (c2sp.org/tlog-witness semantics): keeps the
 * last checkpoint it cosigned per log, and cosigns a new one only when a
 * consistency proof links them; it never signs a rollback or a split view.
 */
#include "tlog/tlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"

/* state_dir/<hex sha256(origin)>: the last cosigned checkpoint note. */
static tg_err state_path(const char *dir, const char *origin, struct tg_buf *out)
{
	uint8_t h[32];
	char hex[65];
	tg_err r = tg_hash(TG_SHA256, origin, strlen(origin), h);
	if (r != TG_OK)
		return r;
	tg_hex_encode_to(hex, h, 32);
	return tg_buf_addf(out, "%s/%s.checkpoint", dir, hex);
}

tg_err tg_tlog_witness_cosign(const char *state_dir, const struct tg_note_key *witness,
			      const struct tg_note_key *log_key, const char *checkpoint,
			      size_t cp_len, uint64_t old_size, const struct tg_tlog_proof *proof,
			      uint64_t *stored, struct tg_buf *out, struct tg_diag *d)
{
	struct tg_buf path = TG_BUF_INIT(PATH_MAX), prev = TG_BUF_INIT(TG_NOTE_MAX);
	struct tg_checkpoint cur, old;
	struct tg_note note = {NULL, 0, NULL, 0};
	int lock = -1;
	tg_err r;

	if (witness->alg != TG_NOTE_COSIG_V1) {
		tg_diag_set(d, "the witness key must be a cosignature (type 0x04) key");
		return TG_E_KEY;
	}
	r = tg_checkpoint_open(checkpoint, cp_len, log_key, NULL, 0, 0, &cur, d);
	if (r != TG_OK)
		return r;
	r = tg_note_parse(checkpoint, cp_len, &note, d);
	if (r != TG_OK)
		goto out;

	r = tg_fs_mkdir_p(state_dir, 0700, d);
	if (r != TG_OK)
		goto out;
	r = tg_buf_addf(&path, "%s/lock", state_dir);
	if (r != TG_OK)
		goto out;
	lock = open(tg_buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0) {
		tg_diag_set(d, "cannot open '%s': %s", tg_buf_str(&path), strerror(errno));
		r = TG_E_IO;
		goto out;
	}
	/* Check and update atomically: two concurrent requests must not roll
	 * the stored size back (tlog-witness "add-checkpoint"). */
	while (flock(lock, LOCK_EX) != 0) {
		if (errno != EINTR) {
			tg_diag_set(d, "cannot lock the witness state: %s", strerror(errno));
			r = TG_E_IO;
			goto out;
		}
	}
	tg_buf_reset(&path);
	r = state_path(state_dir, cur.origin, &path);
	if (r != TG_OK)
		goto out;
	memset(&old, 0, sizeof(old));
	r = tg_fs_read(tg_buf_str(&path), &prev, NULL);
	if (r == TG_E_NOTFOUND) {
		old.size = 0;
		tg_tlog_empty_root(old.root);
		r = TG_OK;
	} else if (r == TG_OK) {
		r = tg_checkpoint_open((const char *)prev.data, prev.len, log_key, NULL, 0, 0, &old, d);
		if (r != TG_OK) {
			tg_diag_prefix(d, "stored checkpoint for '%s' is unreadable", cur.origin);
			r = TG_E_STATE;
		}
	}
	if (r != TG_OK)
		goto out;
	if (stored)
		*stored = old.size;
	if (old_size != UINT64_MAX && old_size != old.size) {
		tg_diag_set(d, "old size %llu does not match the witnessed size %llu",
			    (unsigned long long)old_size, (unsigned long long)old.size);
		r = TG_E_CONFLICT;
		goto out;
	}
	if (cur.size < old.size) {
		tg_diag_set(d, "checkpoint of size %llu is older than the witnessed size %llu",
			    (unsigned long long)cur.size, (unsigned long long)old.size);
		r = TG_E_VERIFY;
		goto out;
	}
	if (cur.size == old.size && memcmp(cur.root, old.root, 32) != 0) {
		tg_diag_set(d, "split view: size %llu has two different roots",
			    (unsigned long long)cur.size);
		r = TG_E_VERIFY;
		goto out;
	}
	if (old.size == 0 ? proof->n != 0
			  : tg_tlog_verify_consistency(old.size, cur.size, old.root, cur.root,
						       proof) != TG_OK) {
		tg_diag_set(d, "no valid consistency proof from size %llu to %llu",
			    (unsigned long long)old.size, (unsigned long long)cur.size);
		r = TG_E_VERIFY;
		goto out;
	}
	r = tg_fs_write_atomic(tg_buf_str(&path), checkpoint, cp_len, 0600, TG_FS_SYNC, d);
	if (r == TG_OK)
		r = tg_note_sign_line(witness, note.text, note.text_len, (uint64_t)time(NULL), out);
out:
	if (lock >= 0)
		close(lock);
	tg_note_release(&note);
	tg_buf_release(&path);
	tg_buf_release(&prev);
	return r;
}
