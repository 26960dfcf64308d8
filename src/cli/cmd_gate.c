/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_gate.c - the deployment gate offline: `tollgate gate check` decides
 * on one artifact from its Sigstore bundles, `tollgate admission review`
 * answers a Kubernetes AdmissionReview v1 from a directory of evidence.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "gate/gate.h"
#include "server/server.h"

#define MAX_PATHS 64 /* --policy, --data, --namespace-* options */

const char tg_cli_gate_check_usage[] =
	"usage: tollgate gate check ARTIFACT|sha256:HEX --trusted-root T\n"
	"                           (--bundle B... | --evidence DIR) [--policy FILE|DIR]...\n"
	"                           [--data FILE]... [--package PKG] [--json | --input]\n"
	"\n"
	"Decides whether ARTIFACT may be deployed. Every piece of evidence (Sigstore\n"
	"bundles: signatures over the artifact, DSSE in-toto attestations such as\n"
	"SLSA provenance v1) is verified fully against the trusted root; what does\n"
	"not verify is reported with its reason and never reaches the policy. The\n"
	"Rego policy sees only verified facts (docs/gate.md) and answers deny (a set\n"
	"of reasons) and allow.\n"
	"\n"
	"ARTIFACT is a file, or sha256:<64 hex digits> when that is not a file.\n"
	"Exit 0 allowed, 1 denied (each reason printed), 2 usage or input error,\n"
	"3 internal error.\n"
	"\n"
	"  --trusted-root T   the trust root (Sigstore trusted_root.json)\n"
	"  --bundle B         a bundle for the artifact (repeatable)\n"
	"  --evidence DIR     a directory of bundles (*.json), indexed by the digests\n"
	"                     they cover; those for ARTIFACT are used\n"
	"  --policy PATH      Rego v1 modules and JSON data: a file or a directory of\n"
	"                     *.rego (not *_test.rego) and *.json (repeatable);\n"
	"                     default: the built-in policies/gate/default.rego\n"
	"  --data FILE        a JSON data document merged at the root of data, e.g.\n"
	"                     {\"tollgate\":{\"gate\":{\"config\":{...}}}} for the default\n"
	"                     policy (repeatable; replaces the built-in configuration)\n"
	"  --package PKG      the policy's package (default tollgate.gate): the gate\n"
	"                     queries data.PKG.deny and data.PKG.allow\n"
	"  --json             print the decision document (canonical JSON)\n"
	"  --input            print the policy input document instead of deciding\n"
	"  --server URL       ask tollgated instead (POST /v1/verify): it decides on\n"
	"                     the evidence stored with it under its own trusted root\n"
	"                     and policy; give --ca-file, not --trusted-root,\n"
	"                     --bundle, --evidence, --policy, --data, --package, --input\n"
	"  --ca-file PEM      with --server: the roots to trust for its certificate\n";

const char tg_cli_admission_review_usage[] =
	"usage: tollgate admission review REVIEW.json --trusted-root T --evidence DIR\n"
	"                                 [--policy FILE|DIR]... [--data FILE]...\n"
	"                                 [--mode enforce|warn|audit]\n"
	"                                 [--namespace-mode NS=MODE]...\n"
	"                                 [--namespace-policy NS=PATH]...\n"
	"       tollgate admission review REVIEW.json --server URL --ca-file PEM\n"
	"                                 [--cert PEM --key PEM]\n"
	"\n"
	"Answers a Kubernetes AdmissionReview v1 request (\"-\": standard input) offline,\n"
	"as the admission webhook of tollgated does, and prints the AdmissionReview\n"
	"response. Every container image (containers, initContainers,\n"
	"ephemeralContainers) of a Pod or of a workload's pod template (Deployment,\n"
	"StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)\n"
	"must be pinned by digest (@sha256:<64 hex>) and allowed by the gate, with\n"
	"the bundles in DIR that cover its digest as evidence.\n"
	"\n"
	"Modes: enforce denies (status.code 403 with every reason); warn allows with\n"
	"a warning per reason; audit allows and records the reasons in\n"
	"auditAnnotations. Exit 0 allowed, 1 denied, 2 usage error or malformed\n"
	"review (the response then has status.code 400), 3 internal error.\n"
	"\n"
	"  --trusted-root T          the trust root (Sigstore trusted_root.json)\n"
	"  --evidence DIR            the bundles (*.json)\n"
	"  --policy PATH, --data FILE, --package PKG   as for `tollgate gate check`\n"
	"  --mode MODE               enforce (default), warn or audit\n"
	"  --namespace-mode NS=MODE  another mode for namespace NS (repeatable)\n"
	"  --namespace-policy NS=PATH  another policy for namespace NS, loaded with\n"
	"                            the --data files (repeatable)\n"
	"  --server URL              ask tollgated instead: POST the review to its\n"
	"                            /v1/admission (docs/api.md), as the Kubernetes\n"
	"                            API server does, and print its answer; it decides\n"
	"                            with its stored evidence, trusted root, policy and\n"
	"                            modes, and logs the decision (the answer's\n"
	"                            auditAnnotations.log_index). Same exit codes;\n"
	"                            1 also when the server refuses the caller (401,\n"
	"                            403), 3 when it cannot answer (5xx)\n"
	"  --ca-file PEM             with --server: the roots to trust for its\n"
	"                            certificate (the deployment's ca.pem)\n"
	"  --cert PEM, --key PEM     with --server: a client certificate chain and its\n"
	"                            key, for a server with admission_client_ca\n";

enum {
	OPT_SERVER = 256,
	OPT_PACKAGE,
	OPT_JSON,
	OPT_INPUT,
	OPT_MODE,
	OPT_NS_MODE,
	OPT_NS_POLICY,
	OPT_CA_FILE,
	OPT_CERT,
	OPT_KEY,
};

struct gate_opts {
	const char *root, *evidence, *package, *server, *ca_file, *cert, *key;
	const char *bundles[TG_LIMIT_GATE_EVIDENCE];
	size_t nbundles;
	const char *policies[MAX_PATHS], *data[MAX_PATHS];
	size_t npolicies, ndata;
	bool json, input;
	const char *mode;
	const char *ns_mode[MAX_PATHS], *ns_policy[MAX_PATHS];
	size_t nns_mode, nns_policy;
};

static int add_path(const struct tg_cli_cmd *cmd, const char **v, size_t *n, size_t max,
		    const char *flag, const char *s)
{
	if (*n == max)
		return tg_cli_usage_error(cmd, "at most %zu %s options", max, flag);
	v[(*n)++] = s;
	return TG_EXIT_OK;
}

/* Parses the options both commands share; returns -1 to go on, else an
 * exit code. */
static int parse(const struct tg_cli_cmd *cmd, int argc, char **argv, struct gate_opts *o)
{
	static const struct option opts[] = {{"trusted-root", required_argument, NULL, 't'},
					     {"bundle", required_argument, NULL, 'b'},
					     {"evidence", required_argument, NULL, 'e'},
					     {"policy", required_argument, NULL, 'p'},
					     {"data", required_argument, NULL, 'd'},
					     {"package", required_argument, NULL, OPT_PACKAGE},
					     {"json", no_argument, NULL, OPT_JSON},
					     {"input", no_argument, NULL, OPT_INPUT},
					     {"mode", required_argument, NULL, OPT_MODE},
					     {"namespace-mode", required_argument, NULL, OPT_NS_MODE},
					     {"namespace-policy", required_argument, NULL, OPT_NS_POLICY},
					     {"server", required_argument, NULL, OPT_SERVER},
					     {"ca-file", required_argument, NULL, OPT_CA_FILE},
					     {"cert", required_argument, NULL, OPT_CERT},
					     {"key", required_argument, NULL, OPT_KEY},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c, code = TG_EXIT_OK;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:b:e:p:d:h", opts, NULL)) != -1 && code == TG_EXIT_OK) {
		switch (c) {
		case 't':
			o->root = optarg;
			break;
		case 'b':
			code = add_path(cmd, o->bundles, &o->nbundles, TG_LIMIT_GATE_EVIDENCE, "--bundle",
					optarg);
			break;
		case 'e':
			o->evidence = optarg;
			break;
		case 'p':
			code = add_path(cmd, o->policies, &o->npolicies, MAX_PATHS, "--policy", optarg);
			break;
		case 'd':
			code = add_path(cmd, o->data, &o->ndata, MAX_PATHS, "--data", optarg);
			break;
		case OPT_PACKAGE:
			o->package = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_INPUT:
			o->input = true;
			break;
		case OPT_MODE:
			o->mode = optarg;
			break;
		case OPT_NS_MODE:
			code = add_path(cmd, o->ns_mode, &o->nns_mode, MAX_PATHS, "--namespace-mode", optarg);
			break;
		case OPT_NS_POLICY:
			code = add_path(cmd, o->ns_policy, &o->nns_policy, MAX_PATHS, "--namespace-policy",
					optarg);
			break;
		case OPT_SERVER:
			o->server = optarg;
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_CERT:
			o->cert = optarg;
			break;
		case OPT_KEY:
			o->key = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (code != TG_EXIT_OK)
		return code;
	if (!o->server != !o->ca_file)
		return tg_cli_usage_error(cmd, "--server and --ca-file go together");
	if (!o->cert != !o->key || (o->cert && !o->server))
		return tg_cli_usage_error(cmd, "--cert and --key go together, with --server");
	return -1;
}

/* The trusted root, then a gate over it. */
static int open_gate(const char *root, struct tg_gate **g)
{
	struct tg_sign_trustroot tr;
	struct tg_diag d;
	tg_err r;
	memset(&tr, 0, sizeof(tr));
	tg_diag_init(&d);
	r = tg_sign_trustroot_load(root, &tr, &d);
	if (r != TG_OK) {
		tg_cli_error("cannot load the trusted root '%s': %s", root, d.msg[0] ? d.msg : tg_strerror(r));
		return TG_EXIT_USAGE;
	}
	r = tg_gate_new(&tr, NULL, g);
	tg_sign_trustroot_release(&tr);
	return r == TG_OK ? TG_EXIT_OK : tg_cli_fail(r, NULL, "cannot start the gate");
}

static int load_policy(const struct gate_opts *o, const char *const *paths, size_t npaths,
		       struct tg_gate_policy **p)
{
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	r = tg_gate_policy_load(paths, npaths, o->data, o->ndata, o->package, p, &d);
	if (r != TG_OK) {
		tg_cli_error("cannot load the gate policy: %s", d.msg[0] ? d.msg : tg_strerror(r));
		return r == TG_E_INTERNAL || r == TG_E_CRYPTO ? TG_EXIT_INTERNAL : TG_EXIT_USAGE;
	}
	return TG_EXIT_OK;
}

static int load_index(const char *dir, struct tg_gate_index **ix)
{
	struct tg_diag d;
	tg_err r;
	tg_diag_init(&d);
	if (tg_gate_index_new(ix) != TG_OK)
		return TG_EXIT_INTERNAL;
	r = tg_gate_index_add_dir(*ix, dir, false, NULL, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		return tg_cli_exit_code(r);
	}
	return TG_EXIT_OK;
}

/* sha256:<hex> that is not a file, else the file's digest. */
static int artifact_digest(const char *arg, uint8_t out[32])
{
	struct stat st;
	struct tg_diag d;
	tg_err r;
	if (strncmp(arg, "sha256:", 7) == 0 && stat(arg, &st) != 0) {
		if (strlen(arg) != 7 + 64 || tg_hex_decode_to(out, 32, arg + 7, 64) != TG_OK) {
			tg_cli_error("'%s' is neither a file nor sha256:<64 hex digits>", arg);
			return TG_EXIT_USAGE;
		}
		return TG_EXIT_OK;
	}
	tg_diag_init(&d);
	r = tg_hash_file(TG_SHA256, arg, out, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		return tg_cli_exit_code(r);
	}
	return TG_EXIT_OK;
}

static void print_decision(const char *artifact, const struct tg_gate_decision *dec)
{
	struct tg_arena a;
	const struct tg_json *doc = NULL, *ev, *rej;
	size_t i;

	tg_arena_init(&a, 64 * TG_MIB);
	if (tg_json_parse(&a, dec->json, dec->json_len, NULL, &doc, NULL, NULL) != TG_OK)
		doc = NULL;
	if (dec->allow)
		printf("allowed: %s\n", artifact);
	else
		printf("denied: %s\n", artifact);
	for (i = 0; i < dec->ndeny; i++)
		printf("  - %s\n", dec->deny[i]);
	ev = tg_json_get(doc, "evidence");
	for (i = 0; ev && ev->type == TG_JSON_ARRAY && i < ev->u.a.len; i++) {
		const struct tg_json *e = ev->u.a.items[i], *nm = tg_json_get(e, "name");
		const struct tg_json *pt = tg_json_get(e, "predicate_type"), *li = tg_json_get(e, "log_index");
		printf("  verified %s %s: %s (issuer %s), log index %s%s%s\n",
		       tg_json_get(e, "kind")->u.s.p, nm ? nm->u.s.p : tg_json_get(e, "bundle")->u.s.p,
		       tg_json_get(e, "identity")->u.s.p, tg_json_get(e, "issuer")->u.s.p,
		       li ? li->u.s.p : "?", pt ? ", predicate " : "", pt ? pt->u.s.p : "");
	}
	rej = tg_json_get(doc, "rejected");
	for (i = 0; rej && rej->type == TG_JSON_ARRAY && i < rej->u.a.len; i++) {
		const struct tg_json *e = rej->u.a.items[i], *nm = tg_json_get(e, "name");
		printf("  rejected %s: %s\n", nm ? nm->u.s.p : tg_json_get(e, "bundle")->u.s.p,
		       tg_json_get(e, "reason")->u.s.p);
	}
	tg_arena_release(&a);
}

int tg_cli_gate_check(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	struct gate_opts o;
	struct tg_gate *g = NULL;
	struct tg_gate_policy *p = NULL;
	struct tg_gate_index *ix = NULL;
	struct tg_gate_evidence ev[TG_LIMIT_GATE_EVIDENCE];
	struct tg_buf bufs[TG_LIMIT_GATE_EVIDENCE];
	struct tg_gate_decision dec;
	struct tg_diag d;
	uint8_t digest[32];
	size_t nev = 0, i;
	int code = parse(cmd, argc, argv, &o);
	tg_err r;

	if (code >= 0)
		return code;
	if (o.server) {
		if (o.root || o.nbundles || o.evidence || o.npolicies || o.ndata || o.package ||
		    o.input || o.mode || o.nns_mode || o.nns_policy || o.cert || optind + 1 != argc)
			return tg_cli_usage_error(cmd, "--server takes --ca-file, --json and one ARTIFACT "
						       "(the server has the evidence, root and policy)");
		if ((code = artifact_digest(argv[optind], digest)) != TG_EXIT_OK)
			return code;
		return tg_cli_gate_check_remote(o.server, o.ca_file, digest, argv[optind], o.json);
	}
	if (!o.root || optind + 1 != argc || (o.nbundles == 0 && !o.evidence))
		return tg_cli_usage_error(cmd, "--trusted-root, --bundle or --evidence, and one ARTIFACT "
					       "are required");
	if (o.mode || o.nns_mode || o.nns_policy)
		return tg_cli_usage_error(cmd, "--mode and --namespace-* are options of admission review");
	if (o.json && o.input)
		return tg_cli_usage_error(cmd, "give --json or --input, not both");
	memset(&dec, 0, sizeof(dec));
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < TG_ARRAY_LEN(bufs); i++)
		tg_buf_init(&bufs[i], TG_SIGN_MAX_DOC);
	tg_diag_init(&d);
	if ((code = artifact_digest(argv[optind], digest)) != TG_EXIT_OK)
		goto out;
	for (i = 0; i < o.nbundles; i++) {
		r = tg_cli_read_file(o.bundles[i], TG_SIGN_MAX_DOC, false, &bufs[i], &d);
		if (r != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(r);
			goto out;
		}
		ev[nev].name = o.bundles[i];
		ev[nev].data = bufs[i].data ? bufs[i].data : (const uint8_t *)"";
		ev[nev].len = bufs[i].len;
		nev++;
	}
	if (o.evidence) {
		const struct tg_gate_evidence *found;
		size_t nfound;
		if ((code = load_index(o.evidence, &ix)) != TG_EXIT_OK)
			goto out;
		tg_gate_index_find(ix, digest, &found, &nfound);
		for (i = 0; i < nfound; i++) {
			if (nev == TG_LIMIT_GATE_EVIDENCE) {
				tg_cli_error("more than %d bundles for the artifact", TG_LIMIT_GATE_EVIDENCE);
				code = TG_EXIT_USAGE;
				goto out;
			}
			ev[nev++] = found[i];
		}
	}
	if (!o.input && (code = load_policy(&o, o.policies, o.npolicies, &p)) != TG_EXIT_OK)
		goto out;
	if ((code = open_gate(o.root, &g)) != TG_EXIT_OK)
		goto out;
	if (o.input) {
		struct tg_buf in = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
		r = tg_gate_input(g, digest, ev, nev, NULL, tg_time_now(), &in, &d);
		if (r == TG_OK)
			r = tg_buf_addc(&in, '\n');
		if (r == TG_OK)
			r = tg_cli_write(in.data, in.len);
		tg_buf_release(&in);
		code = r == TG_OK ? TG_EXIT_OK : tg_cli_fail(r, &d, "cannot build the policy input");
		goto out;
	}
	r = tg_gate_decide(g, p, digest, ev, nev, NULL, tg_time_now(), &dec, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot decide");
		goto out;
	}
	if (o.json) {
		if (tg_cli_write(dec.json, dec.json_len) != TG_OK || tg_cli_write("\n", 1) != TG_OK) {
			code = TG_EXIT_INTERNAL;
			goto out;
		}
	} else {
		print_decision(argv[optind], &dec);
	}
	code = dec.allow ? TG_EXIT_OK : TG_EXIT_FAIL;
out:
	tg_gate_decision_release(&dec);
	tg_gate_policy_free(p);
	tg_gate_free(g);
	tg_gate_index_free(ix);
	for (i = 0; i < TG_ARRAY_LEN(bufs); i++)
		tg_buf_release(&bufs[i]);
	return code;
}

/* "NS=VALUE" -> ns (a copy) and value. */
static int split_ns(const struct tg_cli_cmd *cmd, const char *flag, const char *s, char **ns,
		    const char **value)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || !eq[1])
		return tg_cli_usage_error(cmd, "%s wants NS=VALUE, not '%s'", flag, s);
	*ns = tg_xstrndup(s, (size_t)(eq - s));
	*value = eq + 1;
	return TG_EXIT_OK;
}

/* The review posted to tollgated's /v1/admission; the answer printed as
 * it came (an AdmissionReview), the exit code from it as offline. */
static int admission_remote(const struct gate_opts *o, const char *path)
{
	struct tg_client c;
	struct tg_buf in = TG_BUF_INIT(TG_LIMIT_GATE_REVIEW + 1), resp = TG_BUF_INIT(64 * TG_MIB);
	struct tg_arena a;
	const struct tg_json *doc = NULL, *rs, *allowed, *code;
	struct tg_diag d;
	int status = 0, ret = TG_EXIT_INTERNAL;
	tg_err r;

	tg_diag_init(&d);
	tg_arena_init(&a, 16 * (size_t)TG_LIMIT_GATE_REVIEW);
	memset(&c, 0, sizeof(c));
	if (tg_client_url(o->server, &c, &d) != TG_OK) {
		tg_cli_error("%s", d.msg);
		ret = TG_EXIT_USAGE;
		goto out;
	}
	c.ca_file = o->ca_file;
	c.cert_file = o->cert;
	c.key_file = o->key;
	r = tg_cli_read_file(path, TG_LIMIT_GATE_REVIEW, false, &in, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		ret = r == TG_E_TOOBIG ? TG_EXIT_USAGE : tg_cli_exit_code(r);
		goto out;
	}
	r = tg_client_request(&c, "POST", "/v1/admission", "application/json",
			      in.data ? in.data : (const uint8_t *)"", in.len, &status, &resp, &d);
	if (r != TG_OK) {
		tg_cli_error("admission review via %s: %s", o->server, d.msg[0] ? d.msg : tg_strerror(r));
		ret = r == TG_E_VERIFY || r == TG_E_KEY ? TG_EXIT_USAGE : TG_EXIT_INTERNAL;
		goto out;
	}
	if (status != 200 && status != 400) {
		const struct tg_json *m;
		if (tg_json_parse(&a, resp.data, resp.len, NULL, &doc, NULL, NULL) == TG_OK &&
		    (m = tg_json_get(tg_json_get(doc, "error"), "message")) && m->type == TG_JSON_STRING)
			tg_cli_error("admission review via %s: the server answered %d: %.*s", o->server,
				     status, (int)m->u.s.len, m->u.s.p);
		else
			tg_cli_error("admission review via %s: the server answered %d", o->server, status);
		ret = status == 401 || status == 403 ? TG_EXIT_FAIL
		      : status >= 500		     ? TG_EXIT_INTERNAL
						     : TG_EXIT_USAGE;
		goto out;
	}
	r = tg_json_parse(&a, resp.data, resp.len, NULL, &doc, NULL, &d);
	rs = r == TG_OK ? tg_json_get(doc, "response") : NULL;
	allowed = tg_json_get(rs, "allowed");
	code = tg_json_get(tg_json_get(rs, "status"), "code");
	if (r != TG_OK || !allowed || allowed->type != TG_JSON_BOOL) {
		tg_cli_error("admission review via %s: the answer is not an AdmissionReview response",
			     o->server);
		goto out;
	}
	if (tg_cli_write(resp.data, resp.len) != TG_OK || tg_cli_write("\n", 1) != TG_OK)
		goto out;
	if (status == 400) {
		tg_cli_error("the server refused the review as malformed (status.code 400)");
		ret = TG_EXIT_USAGE;
	} else if (code && code->type == TG_JSON_NUMBER && code->u.s.len == 3 &&
		   memcmp(code->u.s.p, "500", 3) == 0) {
		tg_cli_error("the server could not decide");
		ret = TG_EXIT_INTERNAL;
	} else {
		ret = allowed->u.b ? TG_EXIT_OK : TG_EXIT_FAIL;
	}
out:
	tg_buf_release(&in);
	tg_buf_release(&resp);
	tg_arena_release(&a);
	return ret;
}

int tg_cli_admission_review(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	struct gate_opts o;
	struct tg_gate *g = NULL;
	struct tg_gate_policy *p = NULL, *nsp[MAX_PATHS];
	struct tg_gate_index *ix = NULL;
	struct tg_gate_ns_rule rules[2 * MAX_PATHS];
	char *names[2 * MAX_PATHS];
	struct tg_gate_admission cfg;
	struct tg_gate_review rv;
	struct tg_buf in = TG_BUF_INIT(TG_LIMIT_GATE_REVIEW + 1);
	struct tg_diag d;
	enum tg_gate_mode mode = TG_GATE_ENFORCE;
	size_t nrules = 0, nnames = 0, nnsp = 0, i, j;
	int code = parse(cmd, argc, argv, &o);
	tg_err r;

	if (code >= 0)
		return code;
	if (o.server) {
		if (o.root || o.evidence || o.npolicies || o.ndata || o.package || o.mode ||
		    o.nns_mode || o.nns_policy || o.nbundles || o.json || o.input ||
		    optind + 1 != argc)
			return tg_cli_usage_error(cmd, "--server takes --ca-file, --cert, --key and one "
						       "REVIEW (the server has the evidence, root, "
						       "policy and modes)");
		return admission_remote(&o, argv[optind]);
	}
	if (!o.root || !o.evidence || optind + 1 != argc)
		return tg_cli_usage_error(cmd, "--trusted-root, --evidence and one REVIEW are required");
	if (o.nbundles || o.json || o.input)
		return tg_cli_usage_error(cmd, "--bundle, --json and --input are options of gate check");
	if (o.mode && tg_gate_mode_parse(o.mode, &mode) != TG_OK)
		return tg_cli_usage_error(cmd, "--mode is enforce, warn or audit, not '%s'", o.mode);
	memset(&cfg, 0, sizeof(cfg));
	memset(&rv, 0, sizeof(rv));
	tg_diag_init(&d);
	/* namespace rules: a mode, a policy, or both */
	for (i = 0; i < o.nns_mode; i++) {
		const char *v = NULL;
		enum tg_gate_mode m;
		if ((code = split_ns(cmd, "--namespace-mode", o.ns_mode[i], &names[nnames], &v)) !=
		    TG_EXIT_OK)
			goto out;
		nnames++;
		if (tg_gate_mode_parse(v, &m) != TG_OK) {
			code = tg_cli_usage_error(cmd, "--namespace-mode: '%s' is not enforce, warn or audit", v);
			goto out;
		}
		rules[nrules++] = (struct tg_gate_ns_rule){names[nnames - 1], NULL, (int)m};
	}
	if ((code = load_policy(&o, o.policies, o.npolicies, &p)) != TG_EXIT_OK)
		goto out;
	for (i = 0; i < o.nns_policy; i++) {
		const char *v = NULL;
		struct tg_gate_ns_rule *rule = NULL;
		if ((code = split_ns(cmd, "--namespace-policy", o.ns_policy[i], &names[nnames], &v)) !=
		    TG_EXIT_OK)
			goto out;
		nnames++;
		if ((code = load_policy(&o, &v, 1, &nsp[nnsp])) != TG_EXIT_OK)
			goto out;
		nnsp++;
		for (j = 0; j < nrules && !rule; j++)
			if (strcmp(rules[j].namespace_, names[nnames - 1]) == 0)
				rule = &rules[j];
		if (!rule) {
			rule = &rules[nrules++];
			*rule = (struct tg_gate_ns_rule){names[nnames - 1], NULL, -1};
		}
		rule->policy = nsp[nnsp - 1];
	}
	if ((code = load_index(o.evidence, &ix)) != TG_EXIT_OK)
		goto out;
	if ((code = open_gate(o.root, &g)) != TG_EXIT_OK)
		goto out;
	r = tg_cli_read_file(argv[optind], TG_LIMIT_GATE_REVIEW + 1, false, &in, &d);
	if (r != TG_OK && r != TG_E_TOOBIG) {
		tg_cli_error("%s", d.msg);
		code = tg_cli_exit_code(r);
		goto out;
	}
	cfg.gate = g;
	cfg.policy = p;
	cfg.mode = mode;
	cfg.ns = rules;
	cfg.nns = nrules;
	cfg.lookup = tg_gate_index_lookup;
	cfg.lookup_ctx = ix;
	tg_diag_init(&d);
	/* too big to read whole: still a review to refuse with 400 */
	r = tg_gate_admission_review(&cfg, (const char *)(in.data ? in.data : (const uint8_t *)""),
				     r == TG_E_TOOBIG ? TG_LIMIT_GATE_REVIEW + 1 : in.len, tg_time_now(),
				     &rv, &d);
	if (tg_cli_write(rv.json, rv.json_len) != TG_OK || tg_cli_write("\n", 1) != TG_OK) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg[0] ? d.msg : tg_strerror(r));
		code = tg_cli_exit_code(r);
	} else {
		code = rv.allowed ? TG_EXIT_OK : TG_EXIT_FAIL;
	}
out:
	tg_gate_review_release(&rv);
	tg_buf_release(&in);
	tg_gate_free(g);
	tg_gate_index_free(ix);
	tg_gate_policy_free(p);
	for (i = 0; i < nnsp; i++)
		tg_gate_policy_free(nsp[i]);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	return code;
}
