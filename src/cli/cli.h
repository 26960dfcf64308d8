/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the files of the `tollgate` command share: the command
 * table entry, one handler and usage text per command (cmd_<noun>.c), and
 * helpers for reading inputs, printing errors and mapping codes to exits.
 */
#ifndef TG_CLI_CLI_H
#define TG_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Exit codes (docs/cli.md); stable, other tools depend on them. */
#define TG_EXIT_OK 0
#define TG_EXIT_FAIL 1     /* verification failed or denied */
#define TG_EXIT_USAGE 2    /* usage or input error */
#define TG_EXIT_INTERNAL 3 /* internal error */

struct tg_cli_cmd;

/* A handler gets its own argv: argv[0] is the last word of the command
 * ("canon", "digest"), options and operands follow. Returns an exit code. */
typedef int (*tg_cli_fn)(const struct tg_cli_cmd *cmd, int argc, char **argv);

struct tg_cli_cmd {
	const char *name;    /* "digest" or "json canon" */
	tg_cli_fn run;
	const char *summary; /* one line for `tollgate --help` */
	const char *usage;   /* the full text of `tollgate <command> --help` */
};

/* ---- the commands (one file per noun) ---- */

int tg_cli_json_canon(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_json_canon_usage[];

int tg_cli_digest(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_digest_usage[];

int tg_cli_key_generate(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_key_generate_usage[];
int tg_cli_key_public(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_key_public_usage[];

struct tg_key;
/* A new reference to k whose kid is its RFC 7638 thumbprint (base64url),
 * or to k itself when it has a kid: the kid `key public --format jwk`
 * prints and `jwt sign` puts in the header. */
tg_err tg_cli_key_with_thumbprint(struct tg_key *k, struct tg_key **out) TG_MUST_CHECK;

int tg_cli_jwt_sign(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_jwt_sign_usage[];
int tg_cli_jwt_verify(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_jwt_verify_usage[];

int tg_cli_log_init(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_init_usage[];
int tg_cli_log_add(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_add_usage[];
int tg_cli_log_checkpoint(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_checkpoint_usage[];
int tg_cli_log_prove(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_prove_usage[];
int tg_cli_log_verify(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_verify_usage[];
int tg_cli_log_verify_consistency(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_verify_consistency_usage[];
int tg_cli_log_witness(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_witness_usage[];
int tg_cli_log_vkey(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_log_vkey_usage[];

/* identity (cmd_ca.c, cmd_bundle.c, cmd_entry.c, cmd_attest.c, cmd_svid.c,
 * cmd_agent.c, cmd_jointoken.c) */
int tg_cli_ca_init(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_ca_init_usage[];
int tg_cli_ca_rotate(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_ca_rotate_usage[];
int tg_cli_bundle_export(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_bundle_export_usage[];
int tg_cli_bundle_import(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_bundle_import_usage[];
int tg_cli_entry_create(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_entry_create_usage[];
int tg_cli_entry_list(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_entry_list_usage[];
int tg_cli_entry_delete(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_entry_delete_usage[];
int tg_cli_attest(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_attest_usage[];
int tg_cli_jointoken_create(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_jointoken_create_usage[];
int tg_cli_svid_verify(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_svid_verify_usage[];
int tg_cli_svid_revoke(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_svid_revoke_usage[];
int tg_cli_agent(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_agent_usage[];

struct tg_ca;
/* Opens the trust domain CA in dir; prints "tollgate: cannot open the CA
 * in 'D': ..." itself on failure (cmd_ca.c). */
tg_err tg_cli_ca_open(const char *dir, struct tg_ca **out) TG_MUST_CHECK;
/* Prints "tollgate: <what>: <reason>" (the diagnostic, else the code's
 * message) and returns the exit code of r (cmd_ca.c). */
int tg_cli_fail(tg_err r, const struct tg_diag *d, const char *what);
/* Parses a TTL flag ("90s", "5m", "1h30m") of at most max seconds into
 * *out; prints a usage error naming flag otherwise (cmd_ca.c). */
int tg_cli_parse_ttl(const struct tg_cli_cmd *cmd, const char *flag, const char *s,
		     int64_t max, int64_t *out);
/* Formats seconds as the shortest duration ("1h30m", "5m", "45s") into
 * out (at least 32 bytes) (cmd_ca.c). */
void tg_cli_format_duration(int64_t seconds, char *out, size_t n);

int tg_cli_verify(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_verify_usage[];

/* signing (cmd_sign.c) */
int tg_cli_signer_init(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_signer_init_usage[];
int tg_cli_sign(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_sign_usage[];
int tg_cli_trust_root_export(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_trust_root_export_usage[];
/* the --server paths of attest and sign (cmd_remote.c): the same outputs
 * as the local commands, from tollgated; return exit codes */
int tg_cli_attest_remote(const char *server, const char *ca_file, const char *oidc_path,
			 const char *join, const char *spiffe_id, const char *x509_out,
			 const char *const *aud, size_t naud);
/* statement: an in-toto statement already checked to name the artifact;
 * prov_sha256: build SLSA provenance for (basename of artifact, it) from
 * the certified identity; both NULL: a message signature over artifact */
int tg_cli_sign_remote(const char *server, const char *ca_file, const char *artifact,
		       const char *bundle, const char *oidc_path, const char *svid,
		       const char *svid_key, bool store, const uint8_t *statement, size_t st_len,
		       const uint8_t *prov_sha256);
/* `tollgate gate check --server URL --ca-file PEM ARTIFACT|sha256:HEX`:
 * POST /v1/verify; exit 0 allowed, 1 denied, 2 usage and errors. */
int tg_cli_gate_check_remote(const char *server, const char *ca_file, const uint8_t digest[32],
			     const char *shown, bool json);

/* legacy in-toto links and layouts (cmd_intoto.c) */
int tg_cli_intoto_run(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_intoto_run_usage[];
int tg_cli_intoto_verify(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_intoto_verify_usage[];

struct tg_arena;
struct tg_jwks;
/* Loads a JWK set, or a single JWK, as candidate verification keys;
 * prints "tollgate: cannot load JWK set 'x': ..." itself (cmd_jwt.c). */
tg_err tg_cli_load_jwks(const char *path, struct tg_arena *a, struct tg_jwks *out) TG_MUST_CHECK;

/* policy (cmd_policy.c): the Rego engine */
int tg_cli_policy_eval(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_eval_usage[];
int tg_cli_policy_conformance(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_conformance_usage[];
int tg_cli_policy_test(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_test_usage[];
int tg_cli_policy_check(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_check_usage[];
int tg_cli_policy_fmt(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_fmt_usage[];
int tg_cli_policy_bench(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_policy_bench_usage[];

/* deployment gate (cmd_gate.c) */
int tg_cli_gate_check(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_gate_check_usage[];
int tg_cli_admission_review(const struct tg_cli_cmd *cmd, int argc, char **argv);
extern const char tg_cli_admission_review_usage[];

/* ---- helpers (util.c) ---- */

/* The one mapping from an error code to an exit code: 1 for failed
 * verification or denial, 3 for internal and crypto failures, 2 for
 * everything the user can fix (input, usage, files). */
int tg_cli_exit_code(tg_err e);

/* Prints "tollgate: <message>" and a newline on stderr. */
void tg_cli_error(const char *fmt, ...) TG_PRINTF(1, 2);

/* Prints "tollgate <command>: <message>", then a hint to run --help, on
 * stderr; returns TG_EXIT_USAGE. */
int tg_cli_usage_error(const struct tg_cli_cmd *cmd, const char *fmt, ...) TG_PRINTF(2, 3);

/* Prints the usage text of cmd on stdout; returns TG_EXIT_OK. */
int tg_cli_help(const struct tg_cli_cmd *cmd);

/*
 * Reports a getopt_long failure (the return value c, '?' or ':', for
 * argv as parsed) as a usage error; returns TG_EXIT_USAGE. The option
 * string must start with ':' so that a missing value is told apart.
 */
int tg_cli_bad_option(const struct tg_cli_cmd *cmd, int c, char **argv);

/* True when path names standard input ("-"). */
bool tg_cli_is_stdin(const char *path);

/* How a path is named in messages: the path itself, "-" for stdin. */
const char *tg_cli_name(const char *path);

/*
 * Reads all of path ("-": standard input) into out, which must be empty.
 * A regular file is sized with fstat and read in one go; a pipe grows as
 * bytes arrive. More than max bytes is TG_E_TOOBIG. d gets a message
 * naming the file ("cannot read 'x': ..."). With wipe, every copy of the
 * bytes that is dropped on the way is wiped (key files).
 */
tg_err tg_cli_read_file(const char *path, size_t max, bool wipe, struct tg_buf *out,
			struct tg_diag *d) TG_MUST_CHECK;

/* Loads the PEM key at path ("-": standard input), wiping the bytes read;
 * *out is the caller's to tg_key_free. Prints "tollgate: cannot load key
 * 'x': ..." itself on failure. */
tg_err tg_cli_load_key(const char *path, struct tg_key **out) TG_MUST_CHECK;

/* Writes n bytes to stdout and flushes; TG_E_IO with a message printed
 * when it fails (closed pipe, full disk). */
tg_err tg_cli_write(const void *p, size_t n) TG_MUST_CHECK;

/* Parses a decimal integer in [min, max] (the whole string, no sign
 * games beyond a leading '-'). TG_E_INVAL otherwise. */
tg_err tg_cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) TG_MUST_CHECK;

#endif
