/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tlog.h - the transparency log: RFC 9162 Merkle trees and proofs, C2SP
 * signed notes and checkpoints, tlog-tiles storage with durable batched
 * appends, tlog-proof files, and witness cosignatures (tlog-cosignature).
 */
#ifndef TG_TLOG_TLOG_H
#define TG_TLOG_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "crypto/crypto.h"

#define TG_TLOG_HASH 32          /* SHA-256 */
#define TG_TLOG_MAX_PROOF 64     /* hashes in an inclusion or consistency proof */
#define TG_TLOG_TILE_WIDTH 256   /* hashes (or entries) in a full tile */
#define TG_TLOG_ENTRY_MAX 65535  /* tlog-tiles entry bundles use uint16 lengths */

/* ------------------------------------------------------------------ */
/* Merkle trees (RFC 9162 2.1)                                         */
/* ------------------------------------------------------------------ */

/* HASH(0x00 || entry): the leaf hash of an entry. */
void tg_tlog_leaf_hash(const void *entry, size_t n, uint8_t out[32]);
/* HASH(0x01 || left || right). */
void tg_tlog_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);
/* HASH() of the empty string: the root of the empty tree. */
void tg_tlog_empty_root(uint8_t out[32]);

/* A proof: up to TG_TLOG_MAX_PROOF hashes. */
struct tg_tlog_proof {
	uint8_t h[TG_TLOG_MAX_PROOF][32];
	size_t n;
};

/* RFC 9162 2.1.3.2: TG_OK when proof shows leaf_hash at index in the tree of
 * size with root; TG_E_VERIFY otherwise (also for index >= size). */
tg_err tg_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[32],
				const struct tg_tlog_proof *proof,
				const uint8_t root[32]) TG_MUST_CHECK;

/* RFC 9162 2.1.4.2: TG_OK when proof shows that the tree (size2, root2)
 * extends (size1, root1). size1 == size2 needs an empty proof and equal
 * roots. size1 == 0 is TG_E_VERIFY: the empty tree is a prefix of every
 * tree, so there is nothing to prove and callers treat it separately. */
tg_err tg_tlog_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t root1[32],
				  const uint8_t root2[32],
				  const struct tg_tlog_proof *proof) TG_MUST_CHECK;

/* Subtrees [start, end) as defined by draft-ietf-plants-merkle-tree-certs
 * section 4.1: start is a multiple of the smallest power of two >= end-start. */
bool tg_tlog_subtree_valid(uint64_t start, uint64_t end);
tg_err tg_tlog_verify_subtree_inclusion(uint64_t index, uint64_t start, uint64_t end,
					const uint8_t leaf_hash[32],
					const struct tg_tlog_proof *proof,
					const uint8_t root[32]) TG_MUST_CHECK;
tg_err tg_tlog_verify_subtree_consistency(uint64_t start, uint64_t end, uint64_t size,
					  const uint8_t sub_root[32],
					  const uint8_t root[32],
					  const struct tg_tlog_proof *proof) TG_MUST_CHECK;

/*
 * A source of hashes of perfect subtrees: node(ctx, level, index) writes
 * the root of the 2^level leaves starting at index * 2^level. Proof
 * generation asks only for nodes inside the tree it is proving for.
 */
struct tg_tlog_nodes {
	tg_err (*node)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);
	void *ctx;
};

/* The root of the first size leaves (MTH(D[0:size])). */
tg_err tg_tlog_root(const struct tg_tlog_nodes *src, uint64_t size,
		    uint8_t out[32]) TG_MUST_CHECK;
/* RFC 9162 2.1.3.1 PATH(index, D[0:size]). */
tg_err tg_tlog_prove_inclusion(const struct tg_tlog_nodes *src, uint64_t index, uint64_t size,
			       struct tg_tlog_proof *out) TG_MUST_CHECK;
/* RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]); 0 < size1 <= size2. */
tg_err tg_tlog_prove_consistency(const struct tg_tlog_nodes *src, uint64_t size1,
				 uint64_t size2, struct tg_tlog_proof *out) TG_MUST_CHECK;

/* An in-memory tree of leaf hashes with every level cached; for tests,
 * tools and small logs. */
struct tg_tlog_memtree {
	uint8_t (*levels[64])[32]; /* levels[l][i]: perfect subtree roots */
	uint64_t count[64];
	uint64_t cap[64];
	uint64_t size;
};
void tg_tlog_memtree_init(struct tg_tlog_memtree *t);
void tg_tlog_memtree_release(struct tg_tlog_memtree *t);
void tg_tlog_memtree_append(struct tg_tlog_memtree *t, const uint8_t leaf_hash[32]);
/* A node source over the tree (valid while t lives). */
struct tg_tlog_nodes tg_tlog_memtree_nodes(struct tg_tlog_memtree *t);

/* ------------------------------------------------------------------ */
/* Signed notes (c2sp.org/signed-note) and checkpoints                 */
/* ------------------------------------------------------------------ */

#define TG_NOTE_MAX (1024 * 1024)    /* bytes of a note we parse */
#define TG_NOTE_MAX_SIGS 100         /* signatures per note (the spec: >= 16) */
#define TG_NOTE_NAME_MAX 255

enum tg_note_alg {
	TG_NOTE_ED25519 = 0x01,      /* note signature */
	TG_NOTE_ECDSA = 0x02,        /* transparency-dev/witness ECDSA (verify only) */
	TG_NOTE_COSIG_V1 = 0x04,     /* tlog-cosignature Ed25519, timestamped */
};

/* A verifier (public) or signer (private) note key. */
struct tg_note_key {
	char name[TG_NOTE_NAME_MAX + 1];
	uint32_t id;                 /* key ID */
	enum tg_note_alg alg;
	struct tg_key *key;          /* owned reference */
};

void tg_note_key_release(struct tg_note_key *k);

/* Parses a vkey "name+hex8+base64(type||key)"; checks that the key ID is
 * the one the spec derives (signed-note "Verifier keys"). */
tg_err tg_note_vkey_parse(const char *s, size_t n, struct tg_note_key *out,
			  struct tg_diag *d) TG_MUST_CHECK;
/* Makes a note key from a crypto key (Ed25519 for ED25519 and COSIG_V1,
 * ECDSA for ECDSA) and a name; computes the key ID. Takes a reference. */
tg_err tg_note_key_from(const char *name, enum tg_note_alg alg, struct tg_key *key,
			struct tg_note_key *out, struct tg_diag *d) TG_MUST_CHECK;
/* Appends the vkey text of k (public half). */
tg_err tg_note_vkey_format(const struct tg_note_key *k, struct tg_buf *out) TG_MUST_CHECK;
/* Parses the Go "PRIVATE+KEY+name+hex8+base64(0x01||seed)" signer key
 * format of golang.org/x/mod/sumdb/note. */
tg_err tg_note_skey_parse(const char *s, size_t n, struct tg_note_key *out,
			  struct tg_diag *d) TG_MUST_CHECK;
/* Appends the Go signer key text of an Ed25519 note key (a secret: the
 * caller wipes the buffer). */
tg_err tg_note_skey_format(const struct tg_note_key *k, struct tg_buf *out) TG_MUST_CHECK;
/* Loads a signer key from a file holding either a PEM Ed25519 private key
 * (then name is required) or a Go note skey (name must be NULL or match). */
tg_err tg_note_key_load(const char *path, const char *name, enum tg_note_alg alg,
			struct tg_note_key *out, struct tg_diag *d) TG_MUST_CHECK;

/* One signature line of a note. */
struct tg_note_sig {
	char name[TG_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t *sig;                /* decoded bytes after the key ID (owned) */
	size_t len;
	const char *line;            /* the whole line in the note text (borrowed) */
	size_t line_len;
};

/* A parsed note: text (including its final newline) and signatures. */
struct tg_note {
	const char *text;            /* borrowed from the input */
	size_t text_len;
	struct tg_note_sig *sigs;
	size_t nsigs;
};

/* Splits a signed note (strict: UTF-8, no control characters but newline,
 * well-formed signature lines, at most TG_NOTE_MAX_SIGS). */
tg_err tg_note_parse(const char *s, size_t n, struct tg_note *out,
		     struct tg_diag *d) TG_MUST_CHECK;
void tg_note_release(struct tg_note *note);

/*
 * Verifies the signatures of note by the known keys: signatures from
 * unknown (name, id) pairs are ignored; a known key's signature that fails
 * rejects the note (TG_E_VERIFY). verified[i] (may be NULL) tells which
 * keys verified; *nverified counts them (a key counts once). TG_E_NOTFOUND
 * when no known key signed (the note must then be rejected too).
 * For COSIG_V1 keys, *cosig_time (per key, may be NULL) gets the timestamp.
 */
tg_err tg_note_verify(const struct tg_note *note, const struct tg_note_key *keys, size_t nkeys,
		      bool *verified, size_t *nverified, uint64_t *cosig_time,
		      struct tg_diag *d) TG_MUST_CHECK;

/* Appends the signature line "— name base64(id||sig)\n" by signer over text.
 * For COSIG_V1 the signed message is "cosignature/v1\ntime T\n" || text. */
tg_err tg_note_sign_line(const struct tg_note_key *signer, const char *text, size_t text_len,
			 uint64_t timestamp, struct tg_buf *out) TG_MUST_CHECK;

/* A checkpoint (c2sp.org/tlog-checkpoint). */
struct tg_checkpoint {
	char origin[TG_NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/* Parses the note text of a checkpoint (extension lines are allowed and
 * ignored, the size has no leading zeros, the root is 32 bytes). */
tg_err tg_checkpoint_parse(const char *text, size_t n, struct tg_checkpoint *out,
			   struct tg_diag *d) TG_MUST_CHECK;
/* Appends the note text "origin\nsize\nbase64(root)\n". */
tg_err tg_checkpoint_text(const struct tg_checkpoint *c, struct tg_buf *out) TG_MUST_CHECK;

/*
 * Opens a signed checkpoint: parses the note, verifies it against the log
 * key (whose name must equal the origin), and counts valid cosignatures of
 * witness keys. TG_E_VERIFY when the log signature is missing or bad, or
 * fewer than min_witnesses cosignatures verify.
 */
tg_err tg_checkpoint_open(const char *s, size_t n, const struct tg_note_key *log_key,
			  const struct tg_note_key *witnesses, size_t nwitnesses,
			  size_t min_witnesses, struct tg_checkpoint *out,
			  struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* tlog-proof (c2sp.org/tlog-proof@v1)                                 */
/* ------------------------------------------------------------------ */

struct tg_tlog_proof_file {
	uint64_t index;
	struct tg_tlog_proof proof;
	uint8_t *extra;              /* owned, may be NULL */
	size_t extra_len;
	char *checkpoint;            /* the signed checkpoint, owned, NUL-terminated */
	size_t checkpoint_len;
};

tg_err tg_tlog_proof_file_parse(const char *s, size_t n, struct tg_tlog_proof_file *out,
				struct tg_diag *d) TG_MUST_CHECK;
void tg_tlog_proof_file_release(struct tg_tlog_proof_file *p);
tg_err tg_tlog_proof_file_format(const struct tg_tlog_proof_file *p,
				 struct tg_buf *out) TG_MUST_CHECK;

/* Verifies entry against a proof file: log signature by log_key, at least
 * min_witnesses cosignatures by witnesses, inclusion of the entry's leaf
 * hash under the checkpoint root. */
tg_err tg_tlog_proof_file_verify(const struct tg_tlog_proof_file *p, const void *entry,
				 size_t entry_len, const struct tg_note_key *log_key,
				 const struct tg_note_key *witnesses, size_t nwitnesses,
				 size_t min_witnesses, struct tg_checkpoint *cp,
				 struct tg_diag *d) TG_MUST_CHECK;

/* ------------------------------------------------------------------ */
/* The log directory (tlog-tiles layout, durable batched appends)     */
/* ------------------------------------------------------------------ */

struct tg_tlog;

/* Creates a log in dir (which must not hold one): writes the signing key
 * (or uses key when not NULL), the empty checkpoint, and returns the vkey
 * text in vkey. */
tg_err tg_tlog_create(const char *dir, const char *origin, const struct tg_note_key *key,
		      struct tg_buf *vkey, struct tg_diag *d) TG_MUST_CHECK;

/* Opens a log for reading (no lock) or for appending (exclusive lock; the
 * call waits for another sequencer unless nonblock, then TG_E_AGAIN).
 * Opening for append repairs what a crash left beyond the checkpoint. */
#define TG_TLOG_READ 0
#define TG_TLOG_APPEND 1
#define TG_TLOG_NONBLOCK 2
tg_err tg_tlog_open(const char *dir, unsigned flags, struct tg_tlog **out,
		    struct tg_diag *d) TG_MUST_CHECK;
void tg_tlog_close(struct tg_tlog *log);

/* The current (durable) checkpoint: size, root, signed note text. */
uint64_t tg_tlog_size(const struct tg_tlog *log);
tg_err tg_tlog_checkpoint(const struct tg_tlog *log, struct tg_buf *signed_note) TG_MUST_CHECK;
/* The signed checkpoint published at exactly size (TG_E_NOTFOUND if none). */
tg_err tg_tlog_checkpoint_at(const struct tg_tlog *log, uint64_t size,
			     struct tg_buf *signed_note) TG_MUST_CHECK;
const struct tg_note_key *tg_tlog_key(const struct tg_tlog *log);
const char *tg_tlog_origin(const struct tg_tlog *log);

/*
 * Appends n entries as one batch and returns only when the entries, the
 * tiles and the new signed checkpoint are durable (fsync). *first gets the
 * index of entries[0]; the others follow in order. Entries longer than
 * TG_TLOG_ENTRY_MAX are rejected before anything is written. Sequenced
 * entries (tg_tlog_sequence) are integrated first, in the same batch.
 */
tg_err tg_tlog_append(struct tg_tlog *log, const uint8_t *const *entries, const size_t *lens,
		      size_t n, uint64_t *first, struct tg_diag *d) TG_MUST_CHECK;

/*
 * Sequencing ahead of integration (a write-ahead journal): assigns the
 * next indices to n entries and appends them to the log's journal
 * (DIR/.tollgate/journal) before it returns; *first gets entries[0]'s
 * index. With TG_TLOG_SYNC the journal is on disk (fdatasync) when it
 * returns; without, the kernel holds it: it survives the process being
 * killed but not a power loss before the next integration. The entries
 * join the tree, the tiles and a signed checkpoint at tg_tlog_integrate,
 * at the next tg_tlog_append (which integrates them first, in the same
 * batch), or when the log is next opened for appending. Readers see only
 * integrated entries. Integrates first when the journal is full. After a
 * journal write fails, the log refuses appends (reopen it to recover).
 */
#define TG_TLOG_SYNC 1
tg_err tg_tlog_sequence(struct tg_tlog *log, const uint8_t *const *entries, const size_t *lens,
			size_t n, unsigned flags, uint64_t *first, struct tg_diag *d) TG_MUST_CHECK;
/* Integrates the sequenced entries (tiles, checkpoint, fsync) and empties
 * the journal; TG_OK when nothing is pending. */
tg_err tg_tlog_integrate(struct tg_tlog *log, struct tg_diag *d) TG_MUST_CHECK;
/* Entries sequenced and not yet integrated. */
size_t tg_tlog_pending(const struct tg_tlog *log);

/* Reads entry index (< size) into out. */
tg_err tg_tlog_entry(const struct tg_tlog *log, uint64_t index, struct tg_buf *out,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Proofs from the stored tiles. */
struct tg_tlog_nodes tg_tlog_nodes(struct tg_tlog *log);

/*
 * A sequencer: a thread that owns a log opened for appending and turns
 * concurrent submissions into batches. tg_tlog_seq_submit blocks until
 * the entry is durable (or the batch failed) and returns its index.
 * A batch closes when it reaches max_batch entries or when the previous
 * batch has finished, so latency stays at about one commit under load.
 */
struct tg_tlog_seq;
tg_err tg_tlog_seq_start(struct tg_tlog *log, size_t max_batch, struct tg_tlog_seq **out) TG_MUST_CHECK;
tg_err tg_tlog_seq_submit(struct tg_tlog_seq *s, const void *entry, size_t len,
			  uint64_t *index) TG_MUST_CHECK;
/* Stops the thread after the pending batch; does not close the log. */
void tg_tlog_seq_stop(struct tg_tlog_seq *s);
/* Batches committed and entries appended so far. */
void tg_tlog_seq_stats(struct tg_tlog_seq *s, uint64_t *batches, uint64_t *entries);

/* ------------------------------------------------------------------ */
/* Witness (c2sp.org/tlog-witness semantics, local state)              */
/* ------------------------------------------------------------------ */

/*
 * Cosigns checkpoint (a signed note) for the log whose key is log_vkey if
 * the proof shows it consistent with the last checkpoint this witness
 * cosigned for that origin (kept in state_dir, updated atomically under a
 * lock). old_size, when not UINT64_MAX, must equal the stored size
 * (TG_E_CONFLICT otherwise, with the stored size in *stored). Appends the
 * cosignature line to out. TG_E_VERIFY for a bad signature or proof, and
 * for a split view (same size, different root).
 */
tg_err tg_tlog_witness_cosign(const char *state_dir, const struct tg_note_key *witness,
			      const struct tg_note_key *log_key, const char *checkpoint,
			      size_t cp_len, uint64_t old_size, const struct tg_tlog_proof *proof,
			      uint64_t *stored, struct tg_buf *out,
			      struct tg_diag *d) TG_MUST_CHECK;

#endif
