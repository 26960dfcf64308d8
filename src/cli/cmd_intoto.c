/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_intoto.c - `tollgate intoto run` (in-toto-run: record a step into a
 * signed link) and `tollgate intoto verify` (in-toto-verify: final product
 * verification of a layout and its links), in legacy in-toto v0.9 form.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "core/limits.h"
#include "sign/intoto.h"

const char tg_cli_intoto_run_usage[] =
	"usage: tollgate intoto run --step NAME --key KEY [-m PATH]... [-p PATH]... -- CMD...\n"
	"\n"
	"Does what in-toto-run does: records the materials (-m: files, or directories\n"
	"walked recursively), runs CMD without a shell (its stdout, stderr and return\n"
	"value become the link's byproducts; its output is also shown), records the\n"
	"products (-p), and writes the link <NAME>.<keyid[:8]>.link in the current\n"
	"directory, signed over securesystemslib canonical JSON. Paths are recorded as\n"
	"in-toto records them (normalised, relative as given, with SHA-256 digests;\n"
	"files matching '*.link*', '.git', '*.pyc' or '*~' are left out).\n"
	"\n"
	"  -n, --step NAME       the step name (as in the layout)\n"
	"  -k, --key KEY         PEM private key (PKCS#8 or traditional): Ed25519\n"
	"                        (scheme ed25519), ECDSA P-256/P-384\n"
	"                        (ecdsa-sha2-nistp256/384) or RSA (rsassa-pss-sha256)\n"
	"  -m, --materials PATH  a material (repeatable)\n"
	"  -p, --products PATH   a product (repeatable)\n"
	"  -h, --help            show this help\n"
	"\n"
	"A command that fails is recorded (return-value), not fatal: the exit code is\n"
	"0 once the link is written; 2 for usage errors or a command that cannot be\n"
	"started.\n";

const char tg_cli_intoto_verify_usage[] =
	"usage: tollgate intoto verify --layout L --layout-key K [--layout-key K]...\n"
	"                              [--link-dir D]\n"
	"\n"
	"Does what in-toto-verify does: checks the layout's signature by every\n"
	"layout key and its expiry, loads <step>.<keyid[:8]>.link of each authorised\n"
	"functionary from D, checks their signatures and each step's threshold (links\n"
	"by distinct functionaries reporting the same artifacts), warns when a\n"
	"recorded command differs from the expected one, applies the artifact rules\n"
	"(MATCH, CREATE, DELETE, MODIFY, ALLOW, DISALLOW, REQUIRE), runs the\n"
	"inspections in the current directory and applies their rules. A link that\n"
	"is a layout signed by the functionary (a sublayout) is verified against the\n"
	"links in D/<step>.<keyid[:8]>/.\n"
	"\n"
	"  -l, --layout L        the signed layout (in-toto v0.9 JSON)\n"
	"  -k, --layout-key K    a PEM public key of the layout owner (repeatable;\n"
	"                        every key must have signed the layout)\n"
	"  -d, --link-dir D      where the links are (default: the current directory)\n"
	"  -h, --help            show this help\n"
	"\n"
	"Exit 0 with a one-line summary; 1 with the step, rule and artifact that failed;\n"
	"2 for usage or input errors.\n";

#define MAX_PATH_ARGS 4096 /* -m/-p arguments of one run */

int tg_cli_intoto_run(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"step", required_argument, NULL, 'n'},
					     {"step-name", required_argument, NULL, 'n'},
					     {"key", required_argument, NULL, 'k'},
					     {"materials", required_argument, NULL, 'm'},
					     {"products", required_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *step = NULL, *keyf = NULL;
	const char **mats = NULL, **prods = NULL;
	size_t nm = 0, np = 0, i;
	struct tg_arena a;
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE + TG_LIMIT_INTOTO_FILE);
	struct tg_key *key = NULL;
	struct tg_intoto_link link;
	const struct tg_json *signed_obj, **words;
	char keyid[TG_INTOTO_KEYID_HEX + 1], fname[TG_LIMIT_INTOTO_PATH + 32];
	struct tg_diag d;
	int c, code = TG_EXIT_USAGE;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_INTOTO_ARENA);
	tg_diag_init(&d);
	mats = calloc((size_t)argc + 1, sizeof(*mats));
	prods = calloc((size_t)argc + 1, sizeof(*prods));
	if (!mats || !prods)
		abort();
	while ((c = getopt_long(argc, argv, "+:n:k:m:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			step = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 'm':
		case 'p':
			if (nm + np >= MAX_PATH_ARGS) {
				code = tg_cli_usage_error(cmd, "more than %d -m/-p paths",
							  MAX_PATH_ARGS);
				goto out;
			}
			if (c == 'm')
				mats[nm++] = optarg;
			else
				prods[np++] = optarg;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (!step || !keyf) {
		code = tg_cli_usage_error(cmd, "--step and --key are required");
		goto out;
	}
	if (!step[0] || strchr(step, '/') || strlen(step) > 255) {
		code = tg_cli_usage_error(cmd, "step name '%s' is empty, too long or holds '/'",
					  step);
		goto out;
	}
	if ((size_t)(argc - optind) > TG_LIMIT_INTOTO_ARGS) {
		code = tg_cli_usage_error(cmd, "more than %d command words", TG_LIMIT_INTOTO_ARGS);
		goto out;
	}
	r = tg_cli_load_key(keyf, &key);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (!tg_key_is_private(key)) {
		tg_cli_error("key '%s' is not a private key", keyf);
		goto out;
	}

	memset(&link, 0, sizeof(link));
	link.name = step;
	link.environment = &tg_json_empty_object_v;
	r = tg_intoto_record(&a, mats, nm, &link.materials, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot record materials");
		goto out;
	}
	words = tg_arena_alloc_array(&a, (size_t)(argc - optind) + 1, sizeof(*words));
	if (!words) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < (size_t)(argc - optind); i++) {
		r = tg_json_new_string(&a, argv[optind + (int)i], strlen(argv[optind + (int)i]),
				       &words[i]);
		if (r != TG_OK) {
			tg_cli_error("command word %zu is not UTF-8", i + 1);
			goto out;
		}
	}
	r = tg_json_new_array(&a, words, (size_t)(argc - optind), &link.command);
	if (r != TG_OK) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	if (argc > optind) {
		r = tg_intoto_exec(&a, argv + optind, (size_t)(argc - optind),
				   TG_INTOTO_EXEC_CAPTURE | TG_INTOTO_EXEC_ECHO,
				   TG_LIMIT_INTOTO_CMD_SEC, &link.byproducts, &d);
		if (r != TG_OK) {
			code = tg_cli_fail(r, &d, "step command failed to run");
			goto out;
		}
	} else {
		link.byproducts = &tg_json_empty_object_v; /* in-toto-run without a command */
	}
	r = tg_intoto_record(&a, prods, np, &link.products, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot record products");
		goto out;
	}
	r = tg_intoto_link_to_json(&a, &link, &signed_obj);
	if (r == TG_OK)
		r = tg_intoto_sign(&a, signed_obj, key, &out, keyid);
	if (r != TG_OK) {
		code = tg_cli_fail(r, NULL, "cannot sign the link");
		goto out;
	}
	snprintf(fname, sizeof(fname), "%s.%.8s.link", step, keyid);
	r = tg_fs_write_atomic(fname, out.data, out.len, 0644, TG_FS_SYNC, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot write the link");
		goto out;
	}
	{
		const struct tg_json *rv = tg_json_get(link.byproducts, "return-value");
		fprintf(stderr, "tollgate: recorded step '%s' (%zu materials, %zu products%s%s) into %s\n",
			step, link.materials->u.o.len, link.products->u.o.len,
			rv ? ", return value " : "", rv ? rv->u.s.p : "", fname);
	}
	code = TG_EXIT_OK;
out:
	free(mats);
	free(prods);
	tg_key_free(key);
	tg_buf_release(&out);
	tg_arena_release(&a);
	return code;
}

static void print_warning(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "tollgate: warning: %s\n", msg);
}

#define MAX_LAYOUT_KEYS 64 /* --layout-key arguments */

int tg_cli_intoto_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"layout", required_argument, NULL, 'l'},
					     {"layout-key", required_argument, NULL, 'k'},
					     {"layout-keys", required_argument, NULL, 'k'},
					     {"link-dir", required_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *layoutf = NULL, *dir = ".", *keyfs[MAX_LAYOUT_KEYS];
	struct tg_key *keys[MAX_LAYOUT_KEYS];
	size_t nk = 0, i, loaded = 0;
	struct tg_arena a;
	struct tg_buf text = TG_BUF_INIT(TG_LIMIT_INTOTO_FILE);
	struct tg_intoto_meta m;
	struct tg_intoto_verify_opts vo;
	struct tg_intoto_verify_result res;
	struct tg_diag d;
	int c, code = TG_EXIT_USAGE;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_INTOTO_ARENA);
	tg_diag_init(&d);
	while ((c = getopt_long(argc, argv, ":l:k:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			layoutf = optarg;
			break;
		case 'k':
			if (nk >= MAX_LAYOUT_KEYS) {
				code = tg_cli_usage_error(cmd, "more than %d layout keys",
							  MAX_LAYOUT_KEYS);
				goto out;
			}
			keyfs[nk++] = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		code = tg_cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!layoutf || nk == 0) {
		code = tg_cli_usage_error(cmd, "--layout and at least one --layout-key are required");
		goto out;
	}
	for (loaded = 0; loaded < nk; loaded++) {
		r = tg_cli_load_key(keyfs[loaded], &keys[loaded]);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
	}
	r = tg_cli_read_file(layoutf, TG_LIMIT_INTOTO_FILE, false, &text, &d);
	if (r == TG_OK)
		r = tg_intoto_meta_parse(&a, text.data, text.len, &m, &d);
	if (r == TG_OK && m.type != TG_INTOTO_LAYOUT) {
		tg_diag_set(&d, "it holds a link, not a layout");
		r = TG_E_PARSE;
	}
	if (r != TG_OK) {
		if (d.line)
			tg_cli_error("cannot read layout '%s': %s at %u:%u", tg_cli_name(layoutf),
				     d.msg, d.line, d.col);
		else
			tg_cli_error("cannot read layout '%s': %s", tg_cli_name(layoutf), d.msg);
		code = TG_EXIT_USAGE;
		goto out;
	}
	memset(&vo, 0, sizeof(vo));
	vo.layout_keys = (const struct tg_key *const *)keys;
	vo.n_layout_keys = nk;
	vo.link_dir = dir;
	vo.now = tg_time_now();
	vo.warn = print_warning;
	tg_diag_init(&d);
	r = tg_intoto_verify(&a, &m, &vo, &res, &d);
	if (r != TG_OK) {
		const char *what = r == TG_E_VERIFY || r == TG_E_EXPIRED
					   ? "in-toto verification failed"
					   : "in-toto verification stopped";
		code = tg_cli_fail(r, &d, what);
		goto out;
	}
	printf("verified: layout %s (%zu step%s, %zu inspection%s, %zu link%s)\n",
	       tg_cli_name(layoutf), res.steps, res.steps == 1 ? "" : "s", res.inspections,
	       res.inspections == 1 ? "" : "s", res.links, res.links == 1 ? "" : "s");
	code = fflush(stdout) == 0 ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	for (i = 0; i < loaded; i++)
		tg_key_free(keys[i]);
	tg_buf_release(&text);
	tg_arena_release(&a);
	return code;
}
