/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - entry point of `tollgate`: the command table (after WireGuard's
 * wg.c), global --help/--version, `help <command>`, and dispatch of
 * "noun" or "noun verb" to the handler in cmd_<noun>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "core/secret.h"

#define SECURE_HEAP_SIZE (256 * 1024) /* private keys of one CLI run (power of 2) */

static const struct tg_cli_cmd commands[] = {
	{"json canon", tg_cli_json_canon, "print the RFC 8785 canonical form of a JSON document",
	 tg_cli_json_canon_usage},
	{"digest", tg_cli_digest, "print SHA-2 digests of files", tg_cli_digest_usage},
	{"key generate", tg_cli_key_generate, "generate a private key into a new file (PKCS#8 PEM)",
	 tg_cli_key_generate_usage},
	{"key public", tg_cli_key_public, "print the public half of a key as PEM or JWK",
	 tg_cli_key_public_usage},
	{"jwt sign", tg_cli_jwt_sign, "sign a claims object as a compact JWT",
	 tg_cli_jwt_sign_usage},
	{"jwt verify", tg_cli_jwt_verify, "verify a JWT against a JWK set and print its claims",
	 tg_cli_jwt_verify_usage},
	{"log init", tg_cli_log_init, "create a transparency log (C2SP tlog-tiles layout)",
	 tg_cli_log_init_usage},
	{"log add", tg_cli_log_add, "append entries durably and print their indices",
	 tg_cli_log_add_usage},
	{"log checkpoint", tg_cli_log_checkpoint, "print the log's signed checkpoint",
	 tg_cli_log_checkpoint_usage},
	{"log prove", tg_cli_log_prove, "print an inclusion (tlog-proof) or consistency proof",
	 tg_cli_log_prove_usage},
	{"log verify", tg_cli_log_verify, "verify that an entry is in a signed, witnessed log",
	 tg_cli_log_verify_usage},
	{"log verify-consistency", tg_cli_log_verify_consistency,
	 "verify that a checkpoint extends an older one", tg_cli_log_verify_consistency_usage},
	{"log witness", tg_cli_log_witness, "cosign a checkpoint consistent with what was witnessed",
	 tg_cli_log_witness_usage},
	{"verify", tg_cli_verify, "verify a Sigstore bundle for an artifact (offline)",
	 tg_cli_verify_usage},
	{"signer init", tg_cli_signer_init,
	 "create a signing CA, timestamp authority and log for keyless signing",
	 tg_cli_signer_init_usage},
	{"sign", tg_cli_sign, "sign an artifact or attestation into a Sigstore bundle",
	 tg_cli_sign_usage},
	{"trust-root export", tg_cli_trust_root_export,
	 "print the signer's Sigstore trusted_root.json", tg_cli_trust_root_export_usage},
	{"intoto run", tg_cli_intoto_run, "run a step and record it in a signed in-toto link",
	 tg_cli_intoto_run_usage},
	{"intoto verify", tg_cli_intoto_verify,
	 "verify an in-toto layout and its links (in-toto-verify)", tg_cli_intoto_verify_usage},
	{"log vkey", tg_cli_log_vkey, "print the note verifier key of an Ed25519 key",
	 tg_cli_log_vkey_usage},
	{"ca init", tg_cli_ca_init, "create a SPIFFE trust domain CA (root, intermediate, JWT key)",
	 tg_cli_ca_init_usage},
	{"ca rotate", tg_cli_ca_rotate, "add a new intermediate and JWT signing key",
	 tg_cli_ca_rotate_usage},
	{"bundle export", tg_cli_bundle_export, "print the trust bundle (SPIFFE JSON, PEM or JWKS)",
	 tg_cli_bundle_export_usage},
	{"bundle import", tg_cli_bundle_import, "trust a federated trust domain's bundle",
	 tg_cli_bundle_import_usage},
	{"entry create", tg_cli_entry_create, "register a SPIFFE ID for workloads with selectors",
	 tg_cli_entry_create_usage},
	{"entry list", tg_cli_entry_list, "list the registration entries", tg_cli_entry_list_usage},
	{"entry delete", tg_cli_entry_delete, "delete a registration entry",
	 tg_cli_entry_delete_usage},
	{"jointoken create", tg_cli_jointoken_create, "create a one-time join token",
	 tg_cli_jointoken_create_usage},
	{"attest", tg_cli_attest, "attest a CI token or join token and issue SVIDs",
	 tg_cli_attest_usage},
	{"svid verify", tg_cli_svid_verify, "verify an X509-SVID or JWT-SVID against a bundle",
	 tg_cli_svid_verify_usage},
	{"svid revoke", tg_cli_svid_revoke, "deny an SVID by certificate serial or JWT ID",
	 tg_cli_svid_revoke_usage},
	{"agent", tg_cli_agent, "serve the SPIFFE Workload API on a Unix socket",
	 tg_cli_agent_usage},
	{"policy eval", tg_cli_policy_eval, "evaluate a Rego query (opa eval --format json shape)",
	 tg_cli_policy_eval_usage},
	{"policy test", tg_cli_policy_test, "run the test_* rules of Rego modules",
	 tg_cli_policy_test_usage},
	{"policy check", tg_cli_policy_check, "parse and compile Rego modules, report errors",
	 tg_cli_policy_check_usage},
	{"policy fmt", tg_cli_policy_fmt, "format Rego modules like opa fmt", tg_cli_policy_fmt_usage},
	{"policy bench", tg_cli_policy_bench, "benchmark a prepared Rego query",
	 tg_cli_policy_bench_usage},
	{"policy conformance", tg_cli_policy_conformance, "run OPA conformance case files",
	 tg_cli_policy_conformance_usage},
	{"gate check", tg_cli_gate_check, "decide on an artifact from its verified evidence and policy",
	 tg_cli_gate_check_usage},
	{"admission review", tg_cli_admission_review,
	 "answer a Kubernetes AdmissionReview with the deployment gate", tg_cli_admission_review_usage},
};

static const char main_usage_head[] =
	"usage: tollgate [--version] [--help] <command> [<args>]\n"
	"\n"
	"tollgate is a zero-trust control plane for CI/CD pipelines.\n"
	"\n"
	"commands:\n";

static const char main_usage_tail[] =
	"  help [<command>]  show this list, or the usage of one command\n"
	"\n"
	"Run 'tollgate <command> --help' for the usage of one command.\n"
	"Exit codes: 0 ok, 1 verification failed or denied, 2 usage or input error,\n"
	"3 internal error.\n";

static void print_list(FILE *f)
{
	size_t i;
	fputs(main_usage_head, f);
	for (i = 0; i < TG_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-16s  %s\n", commands[i].name, commands[i].summary);
	fputs(main_usage_tail, f);
}

/* Finds "noun verb" (when verb is not NULL) or "noun". */
static const struct tg_cli_cmd *find(const char *noun, const char *verb)
{
	size_t i, nl = strlen(noun);
	for (i = 0; i < TG_ARRAY_LEN(commands); i++) {
		const char *name = commands[i].name;
		if (strncmp(name, noun, nl) != 0)
			continue;
		if (!verb && name[nl] == '\0')
			return &commands[i];
		if (verb && name[nl] == ' ' && strcmp(name + nl + 1, verb) == 0)
			return &commands[i];
	}
	return NULL;
}

/* True when noun is the first word of commands with verbs. */
static bool has_verbs(const char *noun)
{
	size_t i, nl = strlen(noun);
	for (i = 0; i < TG_ARRAY_LEN(commands); i++)
		if (strncmp(commands[i].name, noun, nl) == 0 && commands[i].name[nl] == ' ')
			return true;
	return false;
}

/* Prints the usage of every verb of noun, separated by blank lines. */
static void print_noun(FILE *f, const char *noun)
{
	size_t i, nl = strlen(noun);
	bool first = true;
	for (i = 0; i < TG_ARRAY_LEN(commands); i++) {
		if (strncmp(commands[i].name, noun, nl) != 0 || commands[i].name[nl] != ' ')
			continue;
		if (!first)
			fputc('\n', f);
		fputs(commands[i].usage, f);
		first = false;
	}
}

/* Prints the verbs of noun as "a, b". */
static void print_verbs(FILE *f, const char *noun)
{
	size_t i, nl = strlen(noun);
	const char *sep = "";
	for (i = 0; i < TG_ARRAY_LEN(commands); i++) {
		if (strncmp(commands[i].name, noun, nl) != 0 || commands[i].name[nl] != ' ')
			continue;
		fprintf(f, "%s%s", sep, commands[i].name + nl + 1);
		sep = ", ";
	}
}

static bool is_help_flag(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

static int unknown(const char *noun, const char *verb)
{
	if (verb)
		fprintf(stderr, "tollgate: unknown command '%s %s'\n", noun, verb);
	else
		fprintf(stderr, "tollgate: unknown command '%s'\n", noun);
	fputs("run 'tollgate --help' for a list of commands\n", stderr);
	return TG_EXIT_USAGE;
}

static int finish(int code)
{
	if (fflush(stdout) != 0 && code == TG_EXIT_OK) {
		perror("tollgate: cannot write to standard output");
		return TG_EXIT_INTERNAL;
	}
	return code;
}

/* `tollgate help [noun [verb]]` */
static int help(int argc, char **argv)
{
	const struct tg_cli_cmd *c;
	if (argc < 2 || (argc == 2 && strcmp(argv[1], "help") == 0)) {
		print_list(stdout);
		return TG_EXIT_OK;
	}
	if (argc > 3) {
		fputs("tollgate help: too many arguments\n"
		      "run 'tollgate --help' for a list of commands\n",
		      stderr);
		return TG_EXIT_USAGE;
	}
	if (argc == 3) {
		c = find(argv[1], argv[2]);
		if (!c)
			return unknown(argv[1], argv[2]);
		return tg_cli_help(c);
	}
	c = find(argv[1], NULL);
	if (c)
		return tg_cli_help(c);
	if (has_verbs(argv[1])) {
		print_noun(stdout, argv[1]);
		return TG_EXIT_OK;
	}
	return unknown(argv[1], NULL);
}

static int dispatch(int argc, char **argv)
{
	const struct tg_cli_cmd *c;
	const char *noun;

	if (argc < 2) {
		print_list(stderr);
		return TG_EXIT_USAGE;
	}
	noun = argv[1];
	if (is_help_flag(noun) || strcmp(noun, "help") == 0)
		return help(argc - 1, argv + 1);
	if (strcmp(noun, "--version") == 0 || strcmp(noun, "-V") == 0) {
		puts("tollgate " TG_VERSION);
		return TG_EXIT_OK;
	}
	if (noun[0] == '-') {
		fprintf(stderr, "tollgate: unknown option '%s'\n"
				"run 'tollgate --help' for usage\n",
			noun);
		return TG_EXIT_USAGE;
	}
	c = find(noun, NULL);
	if (c)
		return c->run(c, argc - 1, argv + 1);
	if (!has_verbs(noun))
		return unknown(noun, NULL);
	if (argc < 3) {
		fprintf(stderr, "tollgate %s: missing command (", noun);
		print_verbs(stderr, noun);
		fprintf(stderr, ")\nrun 'tollgate %s --help' for usage\n", noun);
		return TG_EXIT_USAGE;
	}
	if (is_help_flag(argv[2])) {
		print_noun(stdout, noun);
		return TG_EXIT_OK;
	}
	c = find(noun, argv[2]);
	if (!c)
		return unknown(noun, argv[2]);
	return c->run(c, argc - 2, argv + 2);
}

int main(int argc, char **argv)
{
	int code;
	tg_secure_heap_init(SECURE_HEAP_SIZE);
	code = dispatch(argc, argv);
	return finish(code);
}
