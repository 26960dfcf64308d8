/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - `tollgate verify`: checks a Sigstore bundle for an
 * artifact (or its sha256 digest) against a trusted root and an expected
 * signer (certificate identity and issuer, or a managed public key).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/limits.h"
#include "sign/sign.h"

const char tg_cli_verify_usage[] =
	"usage: tollgate verify ARTIFACT|sha256:HEX --bundle B --trusted-root T\n"
	"                       (--identity ID | --identity-regex RE) --issuer ISS\n"
	"       tollgate verify ARTIFACT|sha256:HEX --bundle B --trusted-root T --key PUB\n"
	"\n"
	"Verifies a Sigstore bundle (v0.1-v0.3) offline, as the Sigstore client\n"
	"specification requires: verified times from the transparency log or RFC\n"
	"3161 timestamps, the signing certificate's chain at those times, SCTs,\n"
	"the signer's identity (certificate SAN) and OIDC issuer, the log entries\n"
	"bound to the bundle, and the signature over the artifact or the DSSE\n"
	"envelope (whose in-toto subjects must contain the artifact's digest).\n"
	"\n"
	"ARTIFACT is a file, or sha256:<64 hex digits> when that is not a file.\n"
	"Exit 0 with one line of what was verified, or 1 with the precise reason.\n"
	"\n"
	"  --bundle B          the bundle (JSON)\n"
	"  --trusted-root T    the trust root (Sigstore trusted_root.json)\n"
	"  --identity ID       the exact certificate identity (URI or email SAN)\n"
	"  --identity-regex RE the identity as an anchored POSIX extended regex\n"
	"  --issuer ISS        the exact OIDC issuer recorded by the CA\n"
	"  --key PUB           a PEM public key, for bundles signed with a managed key\n";

static bool is_digest_arg(const char *s, uint8_t out[32])
{
	struct stat st;
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64 || stat(s, &st) == 0)
		return false;
	return tg_hex_decode_to(out, 32, s + 7, 64) == TG_OK;
}

int tg_cli_verify(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"trusted-root", required_argument, NULL, 't'},
					     {"identity", required_argument, NULL, 'I'},
					     {"identity-regex", required_argument, NULL, 'R'},
					     {"issuer", required_argument, NULL, 'i'},
					     {"key", required_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *bundle = NULL, *root = NULL, *keyf = NULL;
	struct tg_sign_policy pol;
	struct tg_sign_artifact art;
	struct tg_sign_trustroot tr;
	struct tg_sign_bundle b;
	struct tg_sign_result res;
	struct tg_buf bb = TG_BUF_INIT(TG_SIGN_MAX_DOC), data = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	struct tg_key *key = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_OK;
	tg_err r;

	memset(&pol, 0, sizeof(pol));
	memset(&art, 0, sizeof(art));
	memset(&tr, 0, sizeof(tr));
	memset(&b, 0, sizeof(b));
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":b:t:I:R:i:k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 't':
			root = optarg;
			break;
		case 'I':
			pol.identity = optarg;
			break;
		case 'R':
			pol.identity_regex = optarg;
			break;
		case 'i':
			pol.issuer = optarg;
			break;
		case 'k':
			keyf = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!bundle || !root || optind + 1 != argc)
		return tg_cli_usage_error(cmd, "--bundle, --trusted-root and one ARTIFACT are required");
	if (keyf ? (pol.identity || pol.identity_regex || pol.issuer)
		 : (!(pol.identity || pol.identity_regex) || !pol.issuer ||
		    (pol.identity && pol.identity_regex)))
		return tg_cli_usage_error(
			cmd, "give --identity or --identity-regex with --issuer, or --key alone");
	pol.now = tg_time_now();

	r = tg_sign_trustroot_load(root, &tr, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		code = TG_EXIT_FAIL;
		goto out;
	}
	if (keyf) {
		r = tg_cli_load_key(keyf, &key);
		if (r != TG_OK) {
			code = tg_cli_exit_code(r);
			goto out;
		}
		pol.key = key;
	}
	r = tg_cli_read_file(bundle, TG_SIGN_MAX_DOC, false, &bb, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_sign_bundle_parse((const char *)bb.data, bb.len, &b, &d);
	if (r != TG_OK) {
		tg_cli_error("verification failed: cannot read bundle '%s': %s", tg_cli_name(bundle),
			     d.msg);
		code = TG_EXIT_FAIL;
		goto out;
	}
	if (is_digest_arg(argv[optind], art.digest)) {
		art.alg = TG_SHA256;
	} else {
		r = tg_cli_read_file(argv[optind], TG_LIMIT_JSON_DOC, false, &data, &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		art.data = data.data ? data.data : (const uint8_t *)"";
		art.len = data.len;
	}
	r = tg_sign_verify(&b, &art, &tr, &pol, &res, &d);
	if (r != TG_OK) {
		tg_cli_error("verification failed: %s", d.msg[0] ? d.msg : tg_strerror(r));
		code = TG_EXIT_FAIL;
		goto out;
	}
	{
		char when[TG_TIME_STR_MAX] = "";
		if (tg_time_format(res.signed_at, when, sizeof(when)) != TG_OK)
			when[0] = '\0';
		if (keyf)
			printf("verified: %s signed with the given key, logged at index %lld of %s%s%s\n",
			       argv[optind], (long long)res.log_index, res.log_url,
			       when[0] ? " at " : "", when);
		else
			printf("verified: %s signed by %s (issuer %s) at %s, log index %lld (%s)%s%s\n",
			       argv[optind], res.san, res.issuer, when, (long long)res.log_index,
			       res.log_url, res.predicate_type[0] ? ", predicate " : "",
			       res.predicate_type);
	}
out:
	tg_key_free(key);
	tg_sign_bundle_release(&b);
	tg_sign_trustroot_release(&tr);
	tg_buf_release(&bb);
	tg_buf_release(&data);
	return code;
}
