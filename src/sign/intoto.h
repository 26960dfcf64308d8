/* SPDX-License-Identifier: Apache-2.0 */
/*
 * intoto.h - legacy in-toto metadata (spec v0.9, as in-toto 1.3 and
 * securesystemslib 0.26 write and read it): links and layouts signed over
 * OLPC canonical JSON, securesystemslib key ids, artifact recording, the
 * artifact rules and final-product verification (in-toto-verify).
 */
#ifndef TG_SIGN_INTOTO_H
#define TG_SIGN_INTOTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/time.h"
#include "crypto/crypto.h"

/* Caps on in-toto input (kept here until they move to core/limits.h). */
#define TG_LIMIT_INTOTO_FILE (16 * TG_MIB)     /* bytes of one link or layout file */
#define TG_LIMIT_INTOTO_ARENA (512 * TG_MIB)   /* bytes one run or verification may allocate */
#define TG_LIMIT_INTOTO_ARTIFACTS 100000       /* artifacts one run records or one link lists */
#define TG_LIMIT_INTOTO_PATH 4096              /* bytes of one artifact path */
#define TG_LIMIT_INTOTO_WALK_DEPTH 64          /* directory levels followed when recording */
#define TG_LIMIT_INTOTO_STREAM (16 * TG_MIB)   /* bytes of stdout or stderr recorded as byproduct */
#define TG_LIMIT_INTOTO_CMD_SEC 3600           /* seconds a step or inspection command may run */
#define TG_LIMIT_INTOTO_ITEMS 1024             /* steps plus inspections of one layout */
#define TG_LIMIT_INTOTO_RULES 4096             /* artifact rules of one step or inspection */
#define TG_LIMIT_INTOTO_KEYS 1024              /* keys of a layout, functionaries of a step */
#define TG_LIMIT_INTOTO_SIGS 256               /* signatures on one metadata file */
#define TG_LIMIT_INTOTO_ARGS 4096              /* words of a recorded or expected command */
#define TG_LIMIT_INTOTO_SUBLAYOUTS 8           /* nesting of sublayouts */

#define TG_INTOTO_KEYID_HEX 64 /* a securesystemslib key id: hex SHA-256 */

/* ---- canonical JSON and keys ---- */

/*
 * Appends the OLPC canonical JSON form securesystemslib signs: members
 * sorted by key, no whitespace, strings as UTF-8 with only '"' and '\'
 * escaped, integers only (a fraction or exponent is TG_E_TYPE, as Python
 * reads those as floats). On error out is restored to its previous length.
 */
tg_err tg_intoto_canon(struct tg_buf *out, const struct tg_json *v) TG_MUST_CHECK;

/*
 * Describes a key as securesystemslib does: the public key dict
 * {"keyid_hash_algorithms":["sha256","sha512"],"keytype","keyval":{"public"},
 * "scheme"} (in a), its key id (hex SHA-256 of that dict's canonical form,
 * NUL-terminated) and the signature algorithm of its scheme: ed25519
 * (public: hex), ecdsa with ecdsa-sha2-nistp256/384 and rsa with
 * rsassa-pss-sha256 (public: SPKI PEM without the final newline).
 */
tg_err tg_intoto_key_describe(const struct tg_key *k, struct tg_arena *a,
			      const struct tg_json **dict, char keyid[TG_INTOTO_KEYID_HEX + 1],
			      enum tg_sig_alg *alg) TG_MUST_CHECK;

/*
 * Reads a securesystemslib public key dict (as in a layout's "keys"):
 * the key (a new reference in *out, public only), the algorithm its
 * scheme names, and the key id computed from keytype, scheme and
 * keyval.public exactly as securesystemslib does. TG_E_UNSUPPORTED for
 * other key types and schemes (GPG, sphincs), TG_E_KEY when the key does
 * not fit its scheme; d says why.
 */
tg_err tg_intoto_key_from_dict(const struct tg_json *dict, struct tg_key **out,
			       enum tg_sig_alg *alg, char keyid[TG_INTOTO_KEYID_HEX + 1],
			       struct tg_diag *d) TG_MUST_CHECK;

/* ---- metadata ---- */

enum tg_intoto_type {
	TG_INTOTO_LINK = 1,
	TG_INTOTO_LAYOUT = 2,
};

struct tg_intoto_sig {
	const char *keyid; /* as written (hex) */
	const char *sig;   /* hex */
	size_t sig_len;
};

/* A link: the evidence of one step (all values are tg_json in the arena). */
struct tg_intoto_link {
	const char *name;
	const struct tg_json *materials;   /* object: path -> {alg: hex} */
	const struct tg_json *products;    /* object: path -> {alg: hex} */
	const struct tg_json *byproducts;  /* object */
	const struct tg_json *command;     /* array */
	const struct tg_json *environment; /* object */
};

enum tg_intoto_rule_type {
	TG_INTOTO_RULE_MATCH = 1,
	TG_INTOTO_RULE_CREATE,
	TG_INTOTO_RULE_DELETE,
	TG_INTOTO_RULE_MODIFY,
	TG_INTOTO_RULE_ALLOW,
	TG_INTOTO_RULE_DISALLOW,
	TG_INTOTO_RULE_REQUIRE,
};

/* One artifact rule (in-toto rulelib.unpack_rule). */
struct tg_intoto_rule {
	enum tg_intoto_rule_type type;
	const char *pattern;
	const char *src_prefix;    /* MATCH: "" when absent */
	const char *dst_prefix;    /* MATCH: "" when absent */
	bool dst_products;         /* MATCH: WITH PRODUCTS (else MATERIALS) */
	const char *dst_name;      /* MATCH: FROM step */
	const struct tg_json *src; /* the rule as written, for messages */
};

/* A step or an inspection of a layout. */
struct tg_intoto_item {
	const char *name;
	bool inspection;
	struct tg_intoto_rule *mat, *prod;
	size_t n_mat, n_prod;
	const struct tg_json *command; /* step: expected_command; inspection: run */
	const struct tg_json *pubkeys; /* step: array of key ids */
	int64_t threshold;             /* step */
};

struct tg_intoto_layout {
	const char *expires; /* "YYYY-MM-DDTHH:MM:SSZ" */
	struct tg_time expiry;
	const struct tg_json *keys; /* object: keyid -> key dict */
	struct tg_intoto_item *steps, *inspect;
	size_t n_steps, n_inspect;
};

/* A parsed metadata file ("Metablock"). */
struct tg_intoto_meta {
	enum tg_intoto_type type;
	const struct tg_json *signed_obj; /* rebuilt from the validated fields */
	const uint8_t *canon;             /* its canonical bytes (what is signed) */
	size_t canon_len;
	struct tg_intoto_sig *sigs;
	size_t n_sigs;
	struct tg_intoto_link link;     /* when type is TG_INTOTO_LINK */
	struct tg_intoto_layout layout; /* when type is TG_INTOTO_LAYOUT */
};

/*
 * Parses a link or layout file of n bytes into *out (everything in a).
 * Strict: duplicate JSON members, unknown members of the signed object,
 * steps and inspections, wrong types, malformed rules, key ids that are
 * not hex, and more than the TG_LIMIT_INTOTO_* caps are errors with a
 * message naming the field in d. The signed object is rebuilt from the
 * validated fields (with in-toto's defaults for absent ones) and its
 * canonical bytes are what signatures are checked against.
 */
tg_err tg_intoto_meta_parse(struct tg_arena *a, const void *text, size_t n,
			    struct tg_intoto_meta *out, struct tg_diag *d) TG_MUST_CHECK;

/*
 * Verifies the first signature of m whose key id is keyid with key k and
 * algorithm alg, as in-toto's Metablock.verify_signature. TG_E_NOTFOUND
 * when no signature has that key id, TG_E_VERIFY when it does not verify.
 */
tg_err tg_intoto_meta_verify(const struct tg_intoto_meta *m, const char *keyid,
			     const struct tg_key *k, enum tg_sig_alg alg,
			     struct tg_diag *d) TG_MUST_CHECK;

/* Builds the signed object of a link {"_type":"link",...} in a. */
tg_err tg_intoto_link_to_json(struct tg_arena *a, const struct tg_intoto_link *l,
			      const struct tg_json **out) TG_MUST_CHECK;

/*
 * Signs a signed object (a link or layout) with private key k and appends
 * the metadata file {"signatures":[{"keyid","sig"}],"signed":...} to out.
 * keyid receives the signing key's id (for the file name).
 */
tg_err tg_intoto_sign(struct tg_arena *a, const struct tg_json *signed_obj,
		      const struct tg_key *k, struct tg_buf *out,
		      char keyid[TG_INTOTO_KEYID_HEX + 1]) TG_MUST_CHECK;

/* ---- rules (intoto_rules.c) ---- */

/* Python fnmatch.fnmatchcase on POSIX: '*' matches any run (also '/'),
 * '?' one character, '[seq]' and '[!seq]' sets with ranges; characters
 * are UTF-8 code points. */
bool tg_intoto_fnmatch(const char *pat, size_t plen, const char *s, size_t slen);

/* Parses one rule (an array of strings, keywords case-insensitive). */
tg_err tg_intoto_rule_parse(struct tg_arena *a, const struct tg_json *rule,
			    struct tg_intoto_rule *out, struct tg_diag *d) TG_MUST_CHECK;

/* The links rules may refer to by name (MATCH ... FROM name). */
struct tg_intoto_linkset {
	const char *const *names;
	const struct tg_intoto_link *const *links;
	size_t n;
};

/*
 * Applies the material (products false) or product rules of item to the
 * artifacts of its link src, in order, as in-toto's verify_item_rules:
 * each rule consumes artifacts from a queue; DISALLOW fails when it
 * matches any artifact left, REQUIRE when its file is not left.
 * TG_E_VERIFY with the rule, its number and the artifacts in d.
 */
tg_err tg_intoto_rules_verify(struct tg_arena *a, const struct tg_intoto_item *item,
			      bool products, const struct tg_intoto_link *src,
			      const struct tg_intoto_linkset *links,
			      struct tg_diag *d) TG_MUST_CHECK;

/* ---- running a step (intoto_run.c) ---- */

/* Python's posixpath.normpath of n bytes, in a ("" becomes "."). */
tg_err tg_intoto_normpath(struct tg_arena *a, const char *p, size_t n,
			  const char **out) TG_MUST_CHECK;

/*
 * Records the artifacts at paths (files, or directories walked
 * recursively following symlinks, as in-toto-run records them: paths
 * normalised, files matching in-toto's default exclude patterns "*.link*",
 * ".git", "*.pyc", "*~" left out, missing paths skipped) as an object
 * path -> {"sha256": hex} in a.
 */
tg_err tg_intoto_record(struct tg_arena *a, const char *const *paths, size_t n,
			const struct tg_json **out, struct tg_diag *d) TG_MUST_CHECK;

#define TG_INTOTO_EXEC_CAPTURE 0x01 /* record stdout and stderr */
#define TG_INTOTO_EXEC_ECHO 0x02    /* and also copy them to ours */

/*
 * Runs argv (no shell; argv[0] looked up in PATH) with at most
 * timeout_sec seconds, and builds the byproducts object
 * {"return-value": n, "stderr": s, "stdout": s} (empty strings without
 * TG_INTOTO_EXEC_CAPTURE; output that is not UTF-8 is recorded with
 * U+FFFD in place of each bad byte). A command killed by signal N returns
 * -N, as Python's subprocess reports it. TG_E_NOTFOUND when the command
 * cannot be started, TG_E_TIMEOUT, TG_E_TOOBIG past
 * TG_LIMIT_INTOTO_STREAM bytes of output.
 */
tg_err tg_intoto_exec(struct tg_arena *a, char *const *argv, size_t argc, unsigned flags,
		      int64_t timeout_sec, const struct tg_json **byproducts,
		      struct tg_diag *d) TG_MUST_CHECK;

/* ---- final product verification (intoto_verify.c) ---- */

struct tg_intoto_verify_opts {
	const struct tg_key *const *layout_keys; /* public keys; every one must sign */
	size_t n_layout_keys;
	const char *link_dir; /* where <step>.<keyid[:8]>.link files are */
	struct tg_time now;   /* for the expiry check */
	/* called with each warning (command alignment); may be NULL */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct tg_intoto_verify_result {
	size_t steps, inspections, links; /* what was verified */
};

/*
 * Verifies a layout and the links of its steps as in-toto-verify does
 * (in-toto 1.3 verifylib.in_toto_verify): layout signatures by every
 * layout key, expiry, links of authorised functionaries with valid
 * signatures up to each step's threshold, equal artifacts across a step's
 * links, command alignment (a warning), the step rules, the inspections
 * (run in the current directory, recording "." before and after) and
 * their rules. A step's link that is a layout signed by the functionary
 * (a sublayout) is verified the same way with that key against the links
 * in <link_dir>/<step>.<keyid[:8]>, at most TG_LIMIT_INTOTO_SUBLAYOUTS
 * deep, and then stands for a link with the materials of its first step
 * and the products of its last.
 * TG_E_VERIFY / TG_E_EXPIRED with the step, rule and artifact in d.
 */
tg_err tg_intoto_verify(struct tg_arena *a, const struct tg_intoto_meta *layout,
			const struct tg_intoto_verify_opts *o,
			struct tg_intoto_verify_result *res, struct tg_diag *d) TG_MUST_CHECK;

#endif
