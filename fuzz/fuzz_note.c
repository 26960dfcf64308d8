/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_note.c - the transparency log's text parsers: signed notes, vkeys,
 * Go signer keys, checkpoints and tlog-proof files. Never crash; a parsed
 * proof file must format back to text that parses to the same proof.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct tg_note note;
	struct tg_note_key k;
	struct tg_checkpoint c;
	struct tg_tlog_proof_file pf, back;

	if (tg_note_parse(s, size, &note, NULL) == TG_OK) {
		size_t i;
		for (i = 0; i < note.nsigs; i++)
			if (note.sigs[i].line < s || note.sigs[i].line + note.sigs[i].line_len > s + size)
				abort();
		(void)tg_checkpoint_parse(note.text, note.text_len, &c, NULL);
		tg_note_release(&note);
	}
	if (tg_note_vkey_parse(s, size, &k, NULL) == TG_OK) {
		struct tg_buf out = TG_BUF_INIT(4096);
		/* a parsed vkey formats back to the same text */
		if (tg_note_vkey_format(&k, &out) != TG_OK || out.len != size ||
		    memcmp(out.data, data, size) != 0)
			abort();
		tg_buf_release(&out);
		tg_note_key_release(&k);
	}
	if (tg_note_skey_parse(s, size, &k, NULL) == TG_OK)
		tg_note_key_release(&k);
	(void)tg_checkpoint_parse(s, size, &c, NULL);
	if (tg_tlog_proof_file_parse(s, size, &pf, NULL) == TG_OK) {
		struct tg_buf out = TG_BUF_INIT(4 * 1024 * 1024);
		if (tg_tlog_proof_file_format(&pf, &out) != TG_OK ||
		    tg_tlog_proof_file_parse((const char *)out.data, out.len, &back, NULL) != TG_OK)
			abort();
		if (back.index != pf.index || back.proof.n != pf.proof.n ||
		    memcmp(back.proof.h, pf.proof.h, pf.proof.n * 32) != 0 ||
		    back.checkpoint_len != pf.checkpoint_len ||
		    memcmp(back.checkpoint, pf.checkpoint, pf.checkpoint_len) != 0 ||
		    back.extra_len != pf.extra_len ||
		    (pf.extra_len && memcmp(back.extra, pf.extra, pf.extra_len) != 0))
			abort();
		tg_tlog_proof_file_release(&back);
		tg_tlog_proof_file_release(&pf);
		tg_buf_release(&out);
	}
	return 0;
}
