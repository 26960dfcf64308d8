/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_policy.c - `tollgate policy eval|conformance|test|check|fmt|bench`:
 * the Rego engine from the command line, with OPA's output shapes (opa
 * eval --format json, opa test) and a runner for OPA's conformance suite.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego.h"

#define POLICY_MAX_FILES 100000   /* files loaded by one command */
#define POLICY_DIR_DEPTH 64       /* directory nesting walked for -d DIR */
#define POLICY_STACK (256 * TG_MIB) /* stack of the evaluation thread */
#define CASE_STEPS 10000000ULL    /* evaluation steps per conformance case */
#define CASE_TIMEOUT_MS 20000     /* wall-clock per conformance case */

const char tg_cli_policy_eval_usage[] =
	"usage: tollgate policy eval [--v0|--v1] [-d FILE|DIR]... [-i INPUT] [--strict-builtin-errors]\n"
	"                            [--limit-steps N] [--limit-memory BYTES] [--timeout MS]\n"
	"                            [--allow-net HOST[,HOST]...] QUERY\n"
	"\n"
	"Evaluates the Rego QUERY and prints the result in the shape of\n"
	"`opa eval --format json`: {\"result\":[{\"expressions\":[...],\"bindings\":{...}}]},\n"
	"or {} when the query is undefined.\n"
	"\n"
	"  -d, --data PATH            a .rego module, a .json/.yaml data document merged at\n"
	"                             the root of data, or a directory of them (data in a\n"
	"                             subdirectory a/b is merged at data.a.b); repeatable\n"
	"  -i, --input FILE           the input document (JSON, or YAML by extension; - for\n"
	"                             standard input)\n"
	"  --v0, --v1                 Rego syntax of the modules and query (default v1)\n"
	"  --strict-builtin-errors    built-in errors stop evaluation instead of being undefined\n"
	"  --limit-steps N            stop after N evaluation steps (default 100000000)\n"
	"  --limit-memory BYTES       stop when evaluation allocated BYTES (default 512 MiB)\n"
	"  --timeout MS               stop after MS milliseconds\n"
	"  --allow-net HOST[,HOST]    let http.send and net.lookup_ip_addr reach these hosts\n"
	"                             (names or IP addresses, no port; repeatable); without\n"
	"                             it a policy that reaches the network stops with an\n"
	"                             eval_builtin_error\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Errors (parse, compile, evaluation) exit 2 and print\n"
	"{\"errors\":[{\"code\",\"message\",\"location\":{\"file\",\"row\",\"col\"}}]} on standard output.\n"
	"print() output goes to standard error.\n";

const char tg_cli_policy_conformance_usage[] =
	"usage: tollgate policy conformance [--v0|--v1] [--ratchet FILE] [--write-ratchet FILE]\n"
	"                                   [--skip FILE] [-v] PATH...\n"
	"\n"
	"Runs OPA conformance case files (JSON or YAML: note, query, modules, data,\n"
	"input or input_term, want_result or want_error_code/want_error, strict_error)\n"
	"found in PATH (files or directories). Files under a v0/ directory parse as v0,\n"
	"others as v1, unless --v0 or --v1 is given. Prints one line per failing case,\n"
	"then 'N passed, N failed'; exits 1 when a case failed.\n"
	"\n"
	"  --ratchet FILE        cases (\"file<TAB>note\" per line) that must pass: exit 1\n"
	"                        when one of them does not (other failures are reported\n"
	"                        but do not change the exit status)\n"
	"  --write-ratchet FILE  write the passing cases to FILE, sorted\n"
	"  --skip FILE           cases to skip (\"file<TAB>note\"); OPA-v1.1.0-FAILS.tsv next\n"
	"                        to the suite's v0/ and v1/ is used when present\n"
	"  -v, --verbose         also print passing cases\n"
	"  -h, --help            show this help\n";

const char tg_cli_policy_test_usage[] =
	"usage: tollgate policy test [--v0|--v1] [-v] PATH...\n"
	"\n"
	"Loads the modules and data in PATH and evaluates every rule named test_*,\n"
	"like `opa test`: a test passes when it is true. Prints a line per failing\n"
	"test (every test with -v), then PASS: n/N and FAIL: n/N; exits 1 on failure.\n";

const char tg_cli_policy_check_usage[] =
	"usage: tollgate policy check [--v0|--v1] [--format text|json] PATH...\n"
	"\n"
	"Parses and compiles the modules in PATH and reports errors (as\n"
	"'file:row: code: message' lines, or OPA's JSON errors); exits 2 on errors.\n";

const char tg_cli_policy_fmt_usage[] =
	"usage: tollgate policy fmt [--v0|--v1] [-w] FILE...\n"
	"\n"
	"Prints each module formatted like `opa fmt` (Rego v1 syntax); with -w,\n"
	"rewrites the files that change instead.\n";

const char tg_cli_policy_bench_usage[] =
	"usage: tollgate policy bench [--v0|--v1] [-d FILE|DIR]... [-i INPUT] [--count N] QUERY\n"
	"\n"
	"Compiles and prepares QUERY once, evaluates it N times (default 1000) on the\n"
	"input and prints compile time, ns/op, p50 and p99 latency and bytes\n"
	"allocated per evaluation, like `opa bench`.\n";

/* ---- loading files ---- */

struct loader {
	struct tg_rego_builder *b;
	struct tg_rego_errors *errs;
	int version; /* -1: by directory (conformance), else TG_REGO_V0/V1 */
	size_t nfiles;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static tg_err load_file(struct loader *l, const char *path, const char *rel, bool in_dir)
{
	struct tg_buf in = TG_BUF_INIT(0);
	struct tg_diag d;
	tg_err rc;
	if (++l->nfiles > POLICY_MAX_FILES) {
		tg_rego_errors_add(l->errs, "rego_parse_error", NULL, "too many files");
		return TG_E_TOOBIG;
	}
	tg_diag_init(&d);
	/* JSON data is parsed from a mapping of the file, never read whole */
	rc = has_suffix(path, ".json") ? TG_OK : tg_cli_read_file(path, TG_LIMIT_JSON_DOC, false, &in, &d);
	if (rc != TG_OK) {
		tg_rego_errors_add(l->errs, "rego_parse_error", NULL, "%s", d.msg);
		goto out;
	}
	if (has_suffix(path, ".rego")) {
		int v = l->version;
		if (v < 0)
			v = strstr(path, "/v0/") || strncmp(path, "v0/", 3) == 0 ? TG_REGO_V0 : TG_REGO_V1;
		rc = tg_rego_builder_add_text(l->b, path, tg_buf_str(&in), in.len, v, l->errs);
	} else if (has_suffix(path, ".json") || has_suffix(path, ".yaml") || has_suffix(path, ".yml")) {
		/* parsed straight into the policy's data: never copied */
		char *dirs = in_dir ? tg_xstrdup(rel) : NULL, *p, *slash;
		const char *keys[POLICY_DIR_DEPTH];
		size_t nk = 0;
		for (p = dirs; p && (slash = strchr(p, '/')) && nk < POLICY_DIR_DEPTH; p = slash + 1) {
			*slash = 0;
			if (*p && strcmp(p, ".") != 0)
				keys[nk++] = p;
		}
		if (has_suffix(path, ".json"))
			rc = tg_rego_builder_add_data_file(l->b, path, keys, nk, l->errs);
		else
			rc = tg_rego_builder_add_data_at(l->b, path, tg_buf_str(&in), in.len, keys, nk,
							 l->errs);
		free(dirs);
	}
out:
	tg_buf_release(&in);
	return rc;
}

static tg_err load_path(struct loader *l, const char *path, const char *root, unsigned depth)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	tg_err rc = TG_OK;
	if (stat(path, &st) != 0) {
		tg_rego_errors_add(l->errs, "rego_parse_error", NULL, "cannot read '%s': %s", path,
				   strerror(errno));
		return TG_E_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(l, path, root ? path + strlen(root) + 1 : path, root != NULL);
	if (depth > POLICY_DIR_DEPTH) {
		tg_rego_errors_add(l->errs, "rego_parse_error", NULL, "'%s': directories nested too deep", path);
		return TG_E_DEPTH;
	}
	dir = opendir(path);
	if (!dir) {
		tg_rego_errors_add(l->errs, "rego_parse_error", NULL, "cannot read '%s': %s", path,
				   strerror(errno));
		return TG_E_IO;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = tg_xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = tg_xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == TG_OK; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *sub = tg_xmalloc(len);
		int k = snprintf(sub, len, "%s/%s", path, names[i]);
		if (k > 0 && (size_t)k < len)
			rc = load_path(l, sub, root ? root : path, depth + 1);
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void loader_init(struct loader *l, struct tg_rego_builder *b, struct tg_rego_errors *errs,
			int version)
{
	memset(l, 0, sizeof(*l));
	l->b = b;
	l->errs = errs;
	l->version = version;
}

/* ---- output ---- */

static int print_errors_json(const struct tg_rego_errors *errs)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	if (tg_rego_errors_json(errs, &b) != TG_OK || tg_buf_addc(&b, '\n') != TG_OK ||
	    tg_cli_write(b.data, b.len) != TG_OK) {
		tg_buf_release(&b);
		return TG_EXIT_INTERNAL;
	}
	tg_buf_release(&b);
	return TG_EXIT_USAGE;
}

static void print_hook(void *ctx, const char *file, uint32_t row, const char *msg)
{
	(void)ctx;
	(void)file;
	(void)row;
	fprintf(stderr, "%s\n", msg);
}

/* Evaluation runs on a thread with a large stack, so that deeply nested
 * policies reach the depth limit before the stack's end. */
struct eval_job {
	const struct tg_rego_query *q;
	const struct tg_json *input;
	const struct tg_rego_options *o;
	struct tg_arena *a;
	const struct tg_json *rows;
	struct tg_rego_errors *errs;
	struct tg_rego_stats stats;
	tg_err rc;
};

static void *eval_thread(void *arg)
{
	struct eval_job *j = arg;
	j->rc = tg_rego_query_eval(j->q, j->input, j->o, j->a, &j->rows, j->errs, &j->stats);
	return NULL;
}

static tg_err eval_big_stack(struct eval_job *j)
{
	pthread_attr_t at;
	pthread_t t;
	if (pthread_attr_init(&at) != 0 || pthread_attr_setstacksize(&at, POLICY_STACK) != 0 ||
	    pthread_create(&t, &at, eval_thread, j) != 0) {
		eval_thread(j);
		return j->rc;
	}
	pthread_attr_destroy(&at);
	pthread_join(t, NULL);
	return j->rc;
}

static void big_stack_limits(struct tg_rego_options *o)
{
	/* the thread's stack, less what sanitizers and built-ins may take */
	o->limits.stack = POLICY_STACK / 2;
	o->limits.depth = 100000;
}

static tg_err read_input(const char *path, struct tg_arena *a, const struct tg_json **out,
			 struct tg_rego_errors *errs)
{
	struct tg_buf in = TG_BUF_INIT(0);
	struct tg_diag d;
	struct tg_json_parse_opts po = {TG_JSON_DUP_LAST, 0, false};
	tg_err rc;
	tg_diag_init(&d);
	rc = tg_cli_read_file(path, TG_LIMIT_JSON_DOC, false, &in, &d);
	if (rc != TG_OK) {
		tg_rego_errors_add(errs, "rego_parse_error", NULL, "%s", d.msg);
		goto out;
	}
	if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
		rc = tg_rego_yaml_parse(a, tg_buf_str(&in), in.len, out, &d);
	else
		rc = tg_json_parse(a, tg_buf_str(&in), in.len, &po, out, NULL, &d);
	if (rc != TG_OK) {
		struct tg_rego_loc loc = {tg_cli_name(path), d.line, d.col};
		tg_rego_errors_add(errs, "rego_parse_error", d.line ? &loc : NULL, "input: %s",
				   d.msg[0] ? d.msg : tg_strerror(rc));
	}
out:
	tg_buf_release(&in);
	return rc;
}

/* ---- what the commands share: paths, compiling, options ---- */

struct paths {
	const char **v;
	size_t n;
};

static void paths_add(struct paths *p, const char *s)
{
	p->v = tg_xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = s;
}

/* Compiles the modules and data in paths; on errors prints them (JSON on
 * stdout when json, text on stderr otherwise) and returns the exit code. */
static int build_policy(struct paths *paths, int version, unsigned caps, bool json,
			struct tg_rego_policy **out, struct tg_rego_builder **bout)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_errors errs;
	struct loader l;
	size_t i;
	tg_err rc = TG_OK;
	int code = TG_EXIT_OK;
	tg_rego_errors_init(&errs);
	(void)tg_rego_builder_new(&b);
	loader_init(&l, b, &errs, version);
	for (i = 0; i < paths->n && rc == TG_OK; i++)
		rc = load_path(&l, paths->v[i], NULL, 0);
	if (rc == TG_OK && errs.n == 0)
		rc = tg_rego_builder_build(b, caps, out, &errs);
	if (rc != TG_OK || errs.n) {
		if (errs.n == 0)
			tg_rego_errors_add(&errs, "rego_compile_error", NULL, "%s", tg_strerror(rc));
		if (json) {
			code = print_errors_json(&errs);
		} else {
			struct tg_buf t = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
			if (tg_rego_errors_text(&errs, &t) == TG_OK)
				fputs(tg_buf_str(&t), stderr);
			tg_buf_release(&t);
			code = TG_EXIT_USAGE;
		}
		tg_rego_builder_free(b);
		b = NULL;
	}
	tg_rego_errors_release(&errs);
	if (bout)
		*bout = b;
	else
		tg_rego_builder_free(b);
	return code;
}

static int parse_u64(const struct tg_cli_cmd *cmd, const char *flag, const char *s, uint64_t *out)
{
	int64_t v;
	if (tg_cli_parse_i64(s, 1, INT64_MAX, &v) != TG_OK)
		return tg_cli_usage_error(cmd, "%s wants a positive number, not '%s'", flag, s);
	*out = (uint64_t)v;
	return TG_EXIT_OK;
}

/* --allow-net HOST[,HOST]: appends the hosts of s to hosts (their copy in
 * bufs, to free) */
static int add_hosts(const struct tg_cli_cmd *cmd, const char *s, struct paths *hosts,
		     struct paths *bufs)
{
	char *copy = tg_xstrdup(s), *p = copy;
	paths_add(bufs, copy);
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (!*p || strchr(p, '/') || strchr(p, ' '))
			return tg_cli_usage_error(cmd, "--allow-net wants host names or addresses "
						       "separated by commas, not '%s'", s);
		paths_add(hosts, p);
		if (!comma)
			return TG_EXIT_OK;
		p = comma + 1;
	}
}

/* Every flag of the policy commands has one meaning, whichever command
 * takes it. Each command's own table lists the flags it accepts: getopt
 * refuses the others and expands abbreviations among these only. */
enum {
	OPT_V0 = 256,
	OPT_V1,
	OPT_STRICT,
	OPT_RATCHET,
	OPT_WRITE_RATCHET,
	OPT_SKIP,
	OPT_STEPS,
	OPT_MEMORY,
	OPT_TIMEOUT,
	OPT_COUNT,
	OPT_FORMAT,
	OPT_ALLOW_NET,
};

/* table entries several commands share */
#define OPTS_DATA_INPUT {"data", required_argument, NULL, 'd'}, {"input", required_argument, NULL, 'i'}
#define OPTS_VERSION {"v0", no_argument, NULL, OPT_V0}, {"v1", no_argument, NULL, OPT_V1}
#define OPTS_HELP_END {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}

/* What the flags set; a command reads the fields of the flags it takes. */
struct policy_opts {
	struct paths paths;           /* -d/--data, repeatable */
	const char *input;            /* -i/--input */
	int version;                  /* --v0/--v1, else the command's default */
	bool verbose;                 /* -v/--verbose */
	bool json;                    /* --format json */
	bool write;                   /* -w/--write */
	struct tg_rego_options o;     /* --strict-builtin-errors, --limit-*, --timeout, --allow-net */
	struct paths hosts, hostbufs; /* --allow-net: the hosts; their copies, to free */
	uint64_t count;               /* --count */
	const char *ratchet, *write_ratchet, *skip;
};

static void policy_opts_init(struct policy_opts *po, int version)
{
	memset(po, 0, sizeof(*po));
	po->version = version;
	po->count = 1000;
}

static void policy_opts_release(struct policy_opts *po)
{
	for (size_t k = 0; k < po->hostbufs.n; k++)
		free((char *)po->hostbufs.v[k]);
	free(po->hostbufs.v);
	free(po->hosts.v);
	free(po->paths.v);
	memset(po, 0, sizeof(*po));
}

/*
 * Parses the options of argv (getopt_long with shortopts and the command's
 * table opts) into po, then checks the operands: exactly one when one, else
 * at least one, called operand in the message. Returns true to go on with
 * the operands at optind; false with *code the exit code, after printing
 * the help or a usage error.
 */
static bool policy_getopt(const struct tg_cli_cmd *cmd, int argc, char **argv,
			  const char *shortopts, const struct option *opts, bool one,
			  const char *operand, struct policy_opts *po, int *code)
{
	uint64_t u = 0;
	int c;

	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			paths_add(&po->paths, optarg);
			break;
		case 'i':
			po->input = optarg;
			break;
		case 'v':
			po->verbose = true;
			break;
		case 'w':
			po->write = true;
			break;
		case OPT_V0:
			po->version = TG_REGO_V0;
			break;
		case OPT_V1:
			po->version = TG_REGO_V1;
			break;
		case OPT_STRICT:
			po->o.strict_builtin_errors = true;
			break;
		case OPT_STEPS:
			if ((*code = parse_u64(cmd, "--limit-steps", optarg, &u)) != TG_EXIT_OK)
				return false;
			po->o.limits.steps = u;
			break;
		case OPT_MEMORY:
			if ((*code = parse_u64(cmd, "--limit-memory", optarg, &u)) != TG_EXIT_OK)
				return false;
			po->o.limits.memory = (size_t)u;
			break;
		case OPT_TIMEOUT:
			if ((*code = parse_u64(cmd, "--timeout", optarg, &u)) != TG_EXIT_OK)
				return false;
			po->o.limits.timeout_ms = u;
			break;
		case OPT_ALLOW_NET:
			if ((*code = add_hosts(cmd, optarg, &po->hosts, &po->hostbufs)) != TG_EXIT_OK)
				return false;
			po->o.caps |= TG_REGO_CAP_NET;
			break;
		case OPT_COUNT:
			if ((*code = parse_u64(cmd, "--count", optarg, &po->count)) != TG_EXIT_OK)
				return false;
			if (po->count > 100000000) {
				*code = tg_cli_usage_error(cmd, "--count is at most 100000000");
				return false;
			}
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0) {
				po->json = true;
			} else if (strcmp(optarg, "text") != 0) {
				*code = tg_cli_usage_error(cmd, "--format is text or json");
				return false;
			}
			break;
		case OPT_RATCHET:
			po->ratchet = optarg;
			break;
		case OPT_WRITE_RATCHET:
			po->write_ratchet = optarg;
			break;
		case OPT_SKIP:
			po->skip = optarg;
			break;
		case 'h':
			*code = tg_cli_help(cmd);
			return false;
		default:
			*code = tg_cli_bad_option(cmd, c, argv);
			return false;
		}
	}
	if (one ? argc - optind != 1 : optind >= argc) {
		*code = tg_cli_usage_error(cmd, one ? "one %s is required" : "at least one %s is required",
					   operand);
		return false;
	}
	return true;
}

/* ---- policy eval ---- */

int tg_cli_policy_eval(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_DATA_INPUT,
		OPTS_VERSION,
		{"strict-builtin-errors", no_argument, NULL, OPT_STRICT},
		{"limit-steps", required_argument, NULL, OPT_STEPS},
		{"limit-memory", required_argument, NULL, OPT_MEMORY},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"allow-net", required_argument, NULL, OPT_ALLOW_NET},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	const char *query;
	int code = TG_EXIT_INTERNAL;
	struct tg_rego_policy *p = NULL;
	struct tg_rego_query *q = NULL;
	struct tg_rego_errors errs;
	struct tg_arena a;
	struct eval_job job;
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
	tg_err rc;

	policy_opts_init(&po, TG_REGO_V1);
	tg_rego_errors_init(&errs);
	tg_arena_init(&a, TG_LIMIT_REGO_MEMORY);
	if (!policy_getopt(cmd, argc, argv, ":d:i:h", opts, true, "QUERY", &po, &code))
		goto out;
	query = argv[optind];
	if (po.hosts.n) {
		paths_add(&po.hosts, NULL);
		po.o.allow_net = po.hosts.v;
	}
	if (po.o.limits.memory) {
		tg_arena_release(&a);
		tg_arena_init(&a, po.o.limits.memory);
	}
	po.o.print = print_hook;
	big_stack_limits(&po.o);
	code = build_policy(&po.paths, po.version, 0, true, &p, NULL);
	if (code != TG_EXIT_OK)
		goto out;
	rc = tg_rego_query_prepare(p, query, strlen(query), po.version, &q, &errs);
	if (rc != TG_OK) {
		code = print_errors_json(&errs);
		goto out;
	}
	memset(&job, 0, sizeof(job));
	if (po.input && read_input(po.input, &a, &job.input, &errs) != TG_OK) {
		code = print_errors_json(&errs);
		goto out;
	}
	job.q = q;
	job.o = &po.o;
	job.a = &a;
	job.errs = &errs;
	rc = eval_big_stack(&job);
	if (rc != TG_OK) {
		code = print_errors_json(&errs);
		goto out;
	}
	rc = tg_rego_result_json(job.rows, &out);
	if (rc == TG_OK)
		rc = tg_buf_addc(&out, '\n');
	if (rc == TG_OK)
		rc = tg_cli_write(out.data, out.len);
	code = rc == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_buf_release(&out);
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
	tg_rego_errors_release(&errs);
	tg_arena_release(&a);
	policy_opts_release(&po);
	return code;
}

/* ---- policy conformance ---- */

struct caseset {
	char **v; /* "file\tnote" */
	size_t n, cap;
};

static void caseset_add(struct caseset *s, const char *file, const char *note)
{
	size_t len = strlen(file) + strlen(note) + 2;
	char *x = tg_xmalloc(len);
	int k = snprintf(x, len, "%s\t%s", file, note);
	(void)k;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = tg_xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static bool caseset_has(const struct caseset *s, const char *file, const char *note)
{
	size_t i, fl = strlen(file);
	for (i = 0; i < s->n; i++)
		if (strncmp(s->v[i], file, fl) == 0 && s->v[i][fl] == '\t' && strcmp(s->v[i] + fl + 1, note) == 0)
			return true;
	return false;
}

static void caseset_release(struct caseset *s)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static tg_err caseset_load(struct caseset *s, const char *path)
{
	struct tg_buf in = TG_BUF_INIT(0);
	struct tg_diag d;
	size_t i, start = 0;
	tg_err rc;
	tg_diag_init(&d);
	rc = tg_cli_read_file(path, TG_LIMIT_SMALL_FILE, false, &in, &d);
	if (rc != TG_OK) {
		tg_cli_error("%s", d.msg);
		return rc;
	}
	for (i = 0; i <= in.len; i++) {
		if (i < in.len && in.data[i] != '\n')
			continue;
		if (i > start) {
			char *line = tg_xstrndup((const char *)in.data + start, i - start);
			char *tab = strchr(line, '\t');
			size_t ll = strlen(line);
			if (ll && line[ll - 1] == '\r')
				line[--ll] = 0;
			if (tab && line[0] != '#') {
				*tab = 0;
				caseset_add(s, line, tab + 1);
			}
			free(line);
		}
		start = i + 1;
	}
	tg_buf_release(&in);
	return TG_OK;
}

struct suite {
	struct caseset skip, ratchet, passed;
	size_t npass, nfail, nskip;
	bool verbose;
	int version;
};

/* The case file's name as the skip list and ratchet spell it: from the
 * v0/ or v1/ directory on. */
static const char *case_key(const char *path)
{
	const char *best = NULL, *p;
	for (p = path; (p = strstr(p, "v")); p++)
		if ((p[1] == '0' || p[1] == '1') && p[2] == '/' && (p == path || p[-1] == '/'))
			best = p;
	return best ? best : path;
}

/* Sets become sorted arrays and non-string keys strings (as in the
 * expected JSON); sort_top sorts arrays at the top of each binding. */
static const struct tg_json *normalize(struct tg_arena *a, const struct tg_json *v, unsigned depth)
{
	size_t i;
	if (depth > 1024)
		return v;
	switch (v->type) {
	case TG_JSON_ARRAY:
	case TG_JSON_SET: {
		const struct tg_json **items = tg_arena_alloc_array(a, v->u.a.len + 1, sizeof(*items));
		const struct tg_json *out = NULL;
		if (!items)
			return v;
		for (i = 0; i < v->u.a.len; i++)
			items[i] = normalize(a, v->u.a.items[i], depth + 1);
		if (tg_json_new_array(a, items, v->u.a.len, &out) != TG_OK)
			return v;
		return out;
	}
	case TG_JSON_OBJECT: {
		struct tg_json_member *m = tg_arena_alloc_array(a, v->u.o.len + 1, sizeof(*m));
		const struct tg_json *out = NULL;
		if (!m)
			return v;
		for (i = 0; i < v->u.o.len; i++) {
			const struct tg_json *k = v->u.o.items[i].key;
			if (k->type != TG_JSON_STRING) {
				struct tg_buf b = TG_BUF_INIT(1 << 20);
				const struct tg_json *s = NULL;
				if (tg_json_emit(&b, normalize(a, k, depth + 1), 0) == TG_OK &&
				    tg_json_new_string(a, tg_buf_str(&b), b.len, &s) == TG_OK)
					k = s;
				tg_buf_release(&b);
			}
			m[i].key = k;
			m[i].val = normalize(a, v->u.o.items[i].val, depth + 1);
		}
		if (tg_json_new_object(a, m, v->u.o.len, TG_JSON_DUP_LAST, &out) != TG_OK)
			return v;
		return out;
	}
	default:
		return v;
	}
}

static int json_ptr_cmp(const void *a, const void *b)
{
	return tg_json_cmp(*(const struct tg_json *const *)a, *(const struct tg_json *const *)b);
}

static const struct tg_json *sort_bindings(struct tg_arena *a, const struct tg_json *row)
{
	struct tg_json_member *m;
	const struct tg_json *out = NULL;
	size_t i;
	if (!row || row->type != TG_JSON_OBJECT)
		return row;
	m = tg_arena_alloc_array(a, row->u.o.len + 1, sizeof(*m));
	if (!m)
		return row;
	for (i = 0; i < row->u.o.len; i++) {
		const struct tg_json *v = row->u.o.items[i].val;
		m[i].key = row->u.o.items[i].key;
		if (v->type == TG_JSON_ARRAY) {
			const struct tg_json **items = tg_arena_alloc_array(a, v->u.a.len + 1, sizeof(*items));
			if (items && v->u.a.len) {
				memcpy(items, v->u.a.items, v->u.a.len * sizeof(*items));
				qsort(items, v->u.a.len, sizeof(*items), json_ptr_cmp);
				if (tg_json_new_array(a, items, v->u.a.len, &v) != TG_OK)
					v = row->u.o.items[i].val;
			}
		}
		m[i].val = v;
	}
	if (tg_json_new_object(a, m, row->u.o.len, TG_JSON_DUP_LAST, &out) != TG_OK)
		return row;
	return out;
}

static bool row_in(const struct tg_json *row, const struct tg_json *const *rows, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (tg_json_eq(row, rows[i]))
			return true;
	return false;
}

/* Runs one case; returns true when it passed, else writes why. */
static bool run_case(const struct tg_json *tc, int version, char *why, size_t whylen)
{
	struct tg_rego_builder *b = NULL;
	struct tg_rego_policy *p = NULL;
	struct tg_rego_query *q = NULL;
	struct tg_rego_errors errs;
	struct tg_rego_options o;
	struct tg_arena a;
	struct eval_job job;
	const struct tg_json *mods = tg_json_get(tc, "modules"), *data = tg_json_get(tc, "data");
	const struct tg_json *query = tg_json_get(tc, "query"), *want = tg_json_get(tc, "want_result");
	const struct tg_json *wcode = tg_json_get(tc, "want_error_code"), *werr = tg_json_get(tc, "want_error");
	const struct tg_json *strict = tg_json_get(tc, "strict_error"), *sortb = tg_json_get(tc, "sort_bindings");
	const struct tg_json *input = tg_json_get(tc, "input"), *iterm = tg_json_get(tc, "input_term");
	bool ok = false, wants_error = wcode || werr;
	size_t i;
	tg_err rc;

	tg_rego_errors_init(&errs);
	tg_arena_init(&a, TG_LIMIT_REGO_MEMORY);
	memset(&o, 0, sizeof(o));
	memset(&job, 0, sizeof(job));
	why[0] = 0;
	(void)tg_rego_builder_new(&b);
	if (!query || query->type != TG_JSON_STRING) {
		(void)snprintf(why, whylen, "case has no query");
		goto out;
	}
	for (i = 0; mods && mods->type == TG_JSON_ARRAY && i < mods->u.a.len; i++) {
		char name[32];
		const struct tg_json *m = mods->u.a.items[i];
		(void)snprintf(name, sizeof(name), "test-%zu.rego", i);
		if (m->type != TG_JSON_STRING)
			continue;
		if (tg_rego_builder_add_text(b, name, m->u.s.p, m->u.s.len, version, &errs) != TG_OK)
			break;
	}
	if (errs.n == 0 && data && data->type == TG_JSON_OBJECT &&
	    tg_rego_builder_add_value(b, data, "data") != TG_OK)
		tg_rego_errors_add(&errs, "rego_parse_error", NULL, "cannot load data");
	if (errs.n == 0 && tg_rego_builder_build(b, 0, &p, &errs) != TG_OK && errs.n == 0)
		tg_rego_errors_add(&errs, "rego_compile_error", NULL, "cannot compile");
	if (errs.n == 0 &&
	    tg_rego_query_prepare(p, query->u.s.p, query->u.s.len, version, &q, &errs) != TG_OK &&
	    errs.n == 0)
		tg_rego_errors_add(&errs, "rego_compile_error", NULL, "cannot prepare query");
	if (errs.n == 0) {
		if (iterm && iterm->type == TG_JSON_STRING) {
			struct tg_rego_term *t = NULL;
			struct tg_rego_error perr;
			memset(&perr, 0, sizeof(perr));
			if (tg_rego_parse_term(&a, iterm->u.s.p, iterm->u.s.len, version, &t, &perr) != TG_OK ||
			    tg_rego_term_value(&a, t, &job.input) != TG_OK) {
				(void)snprintf(why, whylen, "cannot read input_term: %s", perr.msg);
				goto out;
			}
		} else if (input) {
			job.input = input;
		}
		o.strict_builtin_errors = strict && strict->type == TG_JSON_BOOL && strict->u.b;
		o.limits.steps = CASE_STEPS;
		o.limits.timeout_ms = CASE_TIMEOUT_MS;
		o.now_ns = 0;
		big_stack_limits(&o);
		job.q = q;
		job.o = &o;
		job.a = &a;
		job.errs = &errs;
		rc = eval_big_stack(&job);
		if (rc != TG_OK && errs.n == 0)
			tg_rego_errors_add(&errs, "eval_internal_error", NULL, "%s", tg_strerror(rc));
	}
	if (errs.n) {
		struct tg_buf t = TG_BUF_INIT(64 * TG_KIB);
		const struct tg_rego_error *x = &errs.v[0];
		tg_err wr = TG_OK;
		if (x->loc.row && x->loc.file && x->loc.file[0])
			wr = tg_buf_addf(&t, "%s:%u: ", x->loc.file, x->loc.row);
		if (wr == TG_OK)
			wr = tg_buf_addf(&t, "%s: %s", x->code, x->msg);
		(void)wr;
		if (!wants_error) {
			(void)snprintf(why, whylen, "unexpected error: %s", tg_buf_str(&t));
		} else if (wcode && wcode->type == TG_JSON_STRING && !tg_json_str_eq(wcode, x->code)) {
			(void)snprintf(why, whylen, "want error code %.*s, got: %s", (int)wcode->u.s.len,
				       wcode->u.s.p, tg_buf_str(&t));
		} else if (werr && werr->type == TG_JSON_STRING && werr->u.s.len &&
			   !memmem(t.data, t.len, werr->u.s.p, werr->u.s.len)) {
			(void)snprintf(why, whylen, "want error containing \"%.*s\", got: %s",
				       (int)werr->u.s.len, werr->u.s.p, tg_buf_str(&t));
		} else
			ok = true;
		tg_buf_release(&t);
		goto out;
	}
	if (wants_error) {
		(void)snprintf(why, whylen, "want an error, got a result");
		goto out;
	}
	if (want && want->type == TG_JSON_ARRAY) {
		const struct tg_json **got = tg_arena_alloc_array(&a, job.rows->u.a.len + 1, sizeof(*got));
		const struct tg_json **exp = tg_arena_alloc_array(&a, want->u.a.len + 1, sizeof(*exp));
		bool sb = sortb && sortb->type == TG_JSON_BOOL && sortb->u.b;
		if (!got || !exp)
			goto out;
		for (i = 0; i < job.rows->u.a.len; i++) {
			const struct tg_json *bnd = tg_json_get(job.rows->u.a.items[i], "bindings");
			got[i] = normalize(&a, bnd ? bnd : &tg_json_empty_object_v, 0);
			if (sb)
				got[i] = sort_bindings(&a, got[i]);
		}
		for (i = 0; i < want->u.a.len; i++) {
			exp[i] = normalize(&a, want->u.a.items[i], 0);
			if (sb)
				exp[i] = sort_bindings(&a, exp[i]);
		}
		for (i = 0; i < want->u.a.len; i++)
			if (!row_in(exp[i], got, job.rows->u.a.len))
				break;
		if (i == want->u.a.len)
			for (i = 0; i < job.rows->u.a.len; i++)
				if (!row_in(got[i], exp, want->u.a.len))
					break;
		if (i == want->u.a.len || (want->u.a.len == 0 && job.rows->u.a.len == 0) ||
		    (i == job.rows->u.a.len && want->u.a.len)) {
			/* both directions held */
			size_t j;
			ok = true;
			for (j = 0; j < want->u.a.len && ok; j++)
				ok = row_in(exp[j], got, job.rows->u.a.len);
			for (j = 0; j < job.rows->u.a.len && ok; j++)
				ok = row_in(got[j], exp, want->u.a.len);
		}
		if (!ok) {
			struct tg_buf g = TG_BUF_INIT(2048), w = TG_BUF_INIT(2048);
			const struct tg_json *ga = NULL, *wa = NULL;
			if (tg_json_new_array(&a, got, job.rows->u.a.len, &ga) == TG_OK &&
			    tg_json_new_array(&a, exp, want->u.a.len, &wa) == TG_OK &&
			    (tg_json_emit(&g, ga, 0) != TG_OK || tg_json_emit(&w, wa, 0) != TG_OK))
				tg_buf_reset(&g);
			(void)snprintf(why, whylen, "want %s, got %s", tg_buf_str(&w), tg_buf_str(&g));
			tg_buf_release(&g);
			tg_buf_release(&w);
		}
	} else
		ok = true;
out:
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
	tg_rego_builder_free(b);
	tg_rego_errors_release(&errs);
	tg_arena_release(&a);
	return ok;
}

static tg_err run_file(struct suite *s, const char *path)
{
	struct tg_buf in = TG_BUF_INIT(0);
	struct tg_arena a;
	struct tg_diag d;
	const struct tg_json *doc = NULL, *cases;
	const char *key = case_key(path);
	int version = s->version;
	size_t i;
	tg_err rc;
	tg_diag_init(&d);
	tg_arena_init(&a, TG_LIMIT_REGO_DATA);
	rc = tg_cli_read_file(path, TG_LIMIT_JSON_DOC, false, &in, &d);
	if (rc == TG_OK) {
		struct tg_json_parse_opts po = {TG_JSON_DUP_LAST, 0, false};
		if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
			rc = tg_rego_yaml_parse(&a, tg_buf_str(&in), in.len, &doc, &d);
		else
			rc = tg_json_parse(&a, tg_buf_str(&in), in.len, &po, &doc, NULL, &d);
	}
	if (rc != TG_OK) {
		printf("%s: cannot read: %s\n", path, d.msg[0] ? d.msg : tg_strerror(rc));
		s->nfail++;
		goto out;
	}
	if (version < 0)
		version = strstr(path, "/v0/") || strncmp(path, "v0/", 3) == 0 ? TG_REGO_V0 : TG_REGO_V1;
	cases = tg_json_get(doc, "cases");
	for (i = 0; cases && cases->type == TG_JSON_ARRAY && i < cases->u.a.len; i++) {
		const struct tg_json *tc = cases->u.a.items[i], *jn = tg_json_get(tc, "note");
		char note[1024], why[2048];
		if (jn && jn->type == TG_JSON_STRING)
			(void)snprintf(note, sizeof(note), "%.*s", (int)jn->u.s.len, jn->u.s.p);
		else
			(void)snprintf(note, sizeof(note), "#%zu", i);
		if (caseset_has(&s->skip, key, note)) {
			s->nskip++;
			continue;
		}
		if (run_case(tc, version, why, sizeof(why))) {
			s->npass++;
			caseset_add(&s->passed, key, note);
			if (s->verbose)
				printf("PASS %s\t%s\n", key, note);
		} else {
			s->nfail++;
			printf("FAIL %s\t%s: %s\n", key, note, why);
		}
		fflush(stdout);
	}
out:
	tg_buf_release(&in);
	tg_arena_release(&a);
	return TG_OK;
}

static tg_err run_path(struct suite *s, const char *path, unsigned depth)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	if (stat(path, &st) != 0) {
		tg_cli_error("cannot read '%s': %s", path, strerror(errno));
		return TG_E_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(s, path);
	if (depth > POLICY_DIR_DEPTH)
		return TG_E_DEPTH;
	dir = opendir(path);
	if (!dir) {
		tg_cli_error("cannot read '%s': %s", path, strerror(errno));
		return TG_E_IO;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = tg_xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = tg_xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *sub = tg_xmalloc(len);
		(void)snprintf(sub, len, "%s/%s", path, names[i]);
		if (stat(sub, &st) == 0 &&
		    (S_ISDIR(st.st_mode) || has_suffix(sub, ".json") || has_suffix(sub, ".yaml") ||
		     has_suffix(sub, ".yml")))
			(void)run_path(s, sub, depth + 1);
		free(sub);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return TG_OK;
}

/* Finds OPA-v1.1.0-FAILS.tsv in path or above it (up to 4 levels). */
static void find_skip_list(struct suite *s, const char *path)
{
	char buf[4096];
	int i;
	struct stat st;
	char *real = realpath(path, NULL);
	(void)snprintf(buf, sizeof(buf), "%s", real ? real : path);
	free(real);
	for (i = 0; i < 5; i++) {
		char cand[4200];
		char *slash;
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
			(void)snprintf(cand, sizeof(cand), "%s/OPA-v1.1.0-FAILS.tsv", buf);
			if (stat(cand, &st) == 0) {
				(void)caseset_load(&s->skip, cand);
				return;
			}
		}
		slash = strrchr(buf, '/');
		if (!slash)
			return;
		*slash = 0;
	}
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tg_cli_policy_conformance(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_VERSION,
		{"ratchet", required_argument, NULL, OPT_RATCHET},
		{"write-ratchet", required_argument, NULL, OPT_WRITE_RATCHET},
		{"skip", required_argument, NULL, OPT_SKIP},
		{"verbose", no_argument, NULL, 'v'},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	struct suite s;
	const char *ratchet, *wratchet, *skip;
	int code = TG_EXIT_INTERNAL, i;
	size_t k, lost = 0;

	memset(&s, 0, sizeof(s));
	policy_opts_init(&po, -1); /* -1: by directory */
	if (!policy_getopt(cmd, argc, argv, ":vh", opts, false, "PATH", &po, &code))
		goto out;
	s.version = po.version;
	s.verbose = po.verbose;
	ratchet = po.ratchet;
	wratchet = po.write_ratchet;
	skip = po.skip;
	if (skip && caseset_load(&s.skip, skip) != TG_OK) {
		code = TG_EXIT_USAGE;
		goto out;
	}
	if (ratchet && caseset_load(&s.ratchet, ratchet) != TG_OK) {
		code = TG_EXIT_USAGE;
		goto out;
	}
	if (!skip)
		find_skip_list(&s, argv[optind]);
	for (i = optind; i < argc; i++)
		if (run_path(&s, argv[i], 0) != TG_OK)
			s.nfail++;
	for (k = 0; k < s.ratchet.n; k++) {
		char *tab = strchr(s.ratchet.v[k], '\t');
		bool found;
		if (!tab)
			continue;
		*tab = 0;
		found = caseset_has(&s.passed, s.ratchet.v[k], tab + 1);
		if (!found) {
			printf("ratchet: no longer passes: %s\t%s\n", s.ratchet.v[k], tab + 1);
			lost++;
		}
		*tab = '\t';
	}
	if (wratchet) {
		FILE *f = fopen(wratchet, "w");
		if (!f) {
			tg_cli_error("cannot write '%s': %s", wratchet, strerror(errno));
		} else {
			qsort(s.passed.v, s.passed.n, sizeof(*s.passed.v), str_ptr_cmp);
			for (k = 0; k < s.passed.n; k++)
				fprintf(f, "%s\n", s.passed.v[k]);
			if (fclose(f) != 0)
				tg_cli_error("cannot write '%s'", wratchet);
		}
	}
	if (s.nskip)
		fprintf(stderr, "%zu skipped (listed as failing in OPA v1.1.0)\n", s.nskip);
	printf("%zu passed, %zu failed\n", s.npass, s.nfail);
	if (lost)
		printf("%zu ratchet cases no longer pass\n", lost);
	/* with a ratchet, the cases it lists decide; without, every case */
	if (ratchet)
		code = lost ? TG_EXIT_FAIL : TG_EXIT_OK;
	else
		code = s.nfail ? TG_EXIT_FAIL : TG_EXIT_OK;
out:
	caseset_release(&s.skip);
	caseset_release(&s.ratchet);
	caseset_release(&s.passed);
	policy_opts_release(&po);
	return code;
}

/* ---- policy test ---- */

int tg_cli_policy_test(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_VERSION,
		{"verbose", no_argument, NULL, 'v'},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	struct tg_rego_policy *p = NULL;
	struct tg_arena a;
	const struct tg_json *tests = NULL;
	int version, code = TG_EXIT_INTERNAL;
	bool verbose;
	size_t i, pass = 0, fail = 0, errors = 0;

	tg_arena_init(&a, TG_LIMIT_REGO_MEMORY);
	policy_opts_init(&po, TG_REGO_V1);
	if (!policy_getopt(cmd, argc, argv, ":vh", opts, false, "PATH", &po, &code))
		goto out;
	version = po.version;
	verbose = po.verbose;
	for (int k = optind; k < argc; k++)
		paths_add(&po.paths, argv[k]);
	code = build_policy(&po.paths, version, 0, false, &p, NULL);
	if (code != TG_EXIT_OK)
		goto out;
	if (tg_rego_policy_tests(p, &a, &tests) != TG_OK) {
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < tests->u.a.len; i++) {
		const struct tg_json *name = tests->u.a.items[i];
		struct tg_rego_query *q = NULL;
		struct tg_rego_errors errs;
		struct tg_rego_options o;
		struct eval_job job;
		struct tg_arena ea;
		struct timespec t0, t1;
		const char *verdict = "FAIL";
		long long us;
		tg_rego_errors_init(&errs);
		tg_arena_init(&ea, TG_LIMIT_REGO_MEMORY);
		memset(&o, 0, sizeof(o));
		memset(&job, 0, sizeof(job));
		o.print = print_hook;
		big_stack_limits(&o);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (tg_rego_query_prepare(p, name->u.s.p, name->u.s.len, version, &q, &errs) == TG_OK) {
			job.q = q;
			job.o = &o;
			job.a = &ea;
			job.errs = &errs;
			if (eval_big_stack(&job) == TG_OK) {
				const struct tg_json *ex = job.rows->u.a.len == 1
								   ? tg_json_get(job.rows->u.a.items[0], "expressions")
								   : NULL;
				const struct tg_json *v = ex && ex->u.a.len ? tg_json_get(ex->u.a.items[0], "value")
									    : NULL;
				if (v && !(v->type == TG_JSON_BOOL && !v->u.b))
					verdict = "PASS";
			} else
				verdict = "ERROR";
		} else
			verdict = "ERROR";
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
		if (verdict[0] == 'P')
			pass++;
		else if (verdict[0] == 'F')
			fail++;
		else
			errors++;
		if (verbose || verdict[0] != 'P') {
			printf("%.*s: %s (%lldus)\n", (int)name->u.s.len, name->u.s.p, verdict, us);
			if (verdict[0] == 'E' && errs.n) {
				struct tg_buf t = TG_BUF_INIT(64 * TG_KIB);
				if (tg_rego_errors_text(&errs, &t) == TG_OK)
					printf("  %s", tg_buf_str(&t));
				tg_buf_release(&t);
			}
		}
		tg_rego_query_free(q);
		tg_rego_errors_release(&errs);
		tg_arena_release(&ea);
	}
	if (fail || errors || verbose)
		printf("%s\n", "--------------------------------------------------------------------------------");
	if (pass)
		printf("PASS: %zu/%zu\n", pass, tests->u.a.len);
	if (fail)
		printf("FAIL: %zu/%zu\n", fail, tests->u.a.len);
	if (errors)
		printf("ERROR: %zu/%zu\n", errors, tests->u.a.len);
	if (tests->u.a.len == 0)
		printf("no tests found\n");
	code = fail || errors ? TG_EXIT_FAIL : TG_EXIT_OK;
out:
	tg_rego_policy_free(p);
	tg_arena_release(&a);
	policy_opts_release(&po);
	return code;
}

/* ---- policy check ---- */

int tg_cli_policy_check(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_VERSION,
		{"format", required_argument, NULL, OPT_FORMAT},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	struct tg_rego_policy *p = NULL;
	int code = TG_EXIT_INTERNAL;

	policy_opts_init(&po, TG_REGO_V1);
	if (!policy_getopt(cmd, argc, argv, ":h", opts, false, "PATH", &po, &code))
		goto out;
	for (int k = optind; k < argc; k++)
		paths_add(&po.paths, argv[k]);
	code = build_policy(&po.paths, po.version, 0, po.json, &p, NULL);
out:
	tg_rego_policy_free(p);
	policy_opts_release(&po);
	return code;
}

/* ---- policy fmt ---- */

int tg_cli_policy_fmt(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_VERSION,
		{"write", no_argument, NULL, 'w'},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	int version, c, code = TG_EXIT_INTERNAL;
	bool write, ok;

	policy_opts_init(&po, TG_REGO_V1);
	ok = policy_getopt(cmd, argc, argv, ":wh", opts, false, "FILE", &po, &code);
	version = po.version;
	write = po.write;
	policy_opts_release(&po); /* what fmt keeps is copied out */
	if (!ok)
		return code;
	code = TG_EXIT_OK;
	for (c = optind; c < argc; c++) {
		const char *path = argv[c];
		struct tg_buf in = TG_BUF_INIT(0), out = TG_BUF_INIT(TG_LIMIT_JSON_DOC);
		struct tg_arena a;
		struct tg_rego_module *m = NULL;
		struct tg_rego_error err;
		struct tg_diag d;
		tg_err rc;
		tg_diag_init(&d);
		tg_arena_init(&a, TG_LIMIT_REGO_POLICY);
		memset(&err, 0, sizeof(err));
		rc = tg_cli_read_file(path, TG_LIMIT_JSON_DOC, false, &in, &d);
		if (rc != TG_OK) {
			tg_cli_error("%s", d.msg);
			code = tg_cli_exit_code(rc);
		} else if ((rc = tg_rego_parse_module(&a, tg_cli_name(path), tg_buf_str(&in), in.len, version,
						      &m, &err)) != TG_OK) {
			fprintf(stderr, "%s:%u: %s: %s\n", tg_cli_name(path), err.loc.row,
				err.code ? err.code : "rego_parse_error", err.msg);
			code = TG_EXIT_USAGE;
		} else if ((rc = tg_rego_format_module(m, &out)) != TG_OK) {
			tg_cli_error("cannot format '%s': %s", tg_cli_name(path), tg_strerror(rc));
			code = tg_cli_exit_code(rc);
		} else if (write && !tg_cli_is_stdin(path)) {
			if (out.len != in.len || memcmp(out.data, in.data, in.len) != 0) {
				FILE *f = fopen(path, "w");
				if (!f || fwrite(out.data, 1, out.len, f) != out.len) {
					tg_cli_error("cannot write '%s': %s", path, strerror(errno));
					code = TG_EXIT_USAGE;
				}
				if (f && fclose(f) != 0)
					code = TG_EXIT_USAGE;
			}
		} else if (tg_cli_write(out.data, out.len) != TG_OK) {
			code = TG_EXIT_INTERNAL;
		}
		tg_buf_release(&in);
		tg_buf_release(&out);
		tg_arena_release(&a);
	}
	return code;
}

/* ---- policy bench ---- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct bench_job {
	const struct tg_rego_query *q;
	const struct tg_json *input;
	struct tg_rego_options o;
	uint64_t count;
	uint64_t *lat;
	size_t bytes;
	uint64_t steps;
	size_t results;
	struct tg_rego_errors errs;
	tg_err rc;
};

static void *bench_thread(void *arg)
{
	struct bench_job *j = arg;
	uint64_t i;
	struct tg_arena a;
	tg_arena_init(&a, j->o.limits.memory ? j->o.limits.memory : TG_LIMIT_REGO_MEMORY);
	for (i = 0; i < j->count; i++) {
		const struct tg_json *rows = NULL;
		struct tg_rego_stats st;
		uint64_t t0 = now_ns();
		j->rc = tg_rego_query_eval(j->q, j->input, &j->o, &a, &rows, &j->errs, &st);
		j->lat[i] = now_ns() - t0;
		if (j->rc != TG_OK)
			break;
		j->bytes += st.bytes;
		j->steps += st.steps;
		j->results = rows->u.a.len;
		tg_arena_release(&a);
	}
	tg_arena_release(&a);
	return NULL;
}

int tg_cli_policy_bench(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		OPTS_DATA_INPUT,
		OPTS_VERSION,
		{"count", required_argument, NULL, OPT_COUNT},
		OPTS_HELP_END,
	};
	struct policy_opts po;
	const char *query;
	int code = TG_EXIT_INTERNAL;
	struct tg_rego_policy *p = NULL;
	struct tg_rego_query *q = NULL;
	struct tg_rego_errors errs;
	struct tg_arena a;
	struct bench_job job;
	uint64_t count, t0, tcompile, sum = 0, i;
	pthread_attr_t at;
	pthread_t th;

	memset(&job, 0, sizeof(job));
	tg_rego_errors_init(&errs);
	tg_rego_errors_init(&job.errs);
	tg_arena_init(&a, TG_LIMIT_REGO_DATA);
	policy_opts_init(&po, TG_REGO_V1);
	if (!policy_getopt(cmd, argc, argv, ":d:i:h", opts, true, "QUERY", &po, &code))
		goto out;
	query = argv[optind];
	count = po.count;
	t0 = now_ns();
	code = build_policy(&po.paths, po.version, 0, true, &p, NULL);
	if (code != TG_EXIT_OK)
		goto out;
	if (tg_rego_query_prepare(p, query, strlen(query), po.version, &q, &errs) != TG_OK) {
		code = print_errors_json(&errs);
		goto out;
	}
	tcompile = now_ns() - t0;
	if (po.input && read_input(po.input, &a, &job.input, &errs) != TG_OK) {
		code = print_errors_json(&errs);
		goto out;
	}
	job.q = q;
	job.count = count;
	job.lat = tg_xcalloc(count, sizeof(*job.lat));
	big_stack_limits(&job.o);
	if (pthread_attr_init(&at) != 0 || pthread_attr_setstacksize(&at, POLICY_STACK) != 0 ||
	    pthread_create(&th, &at, bench_thread, &job) != 0) {
		bench_thread(&job);
	} else {
		pthread_attr_destroy(&at);
		pthread_join(th, NULL);
	}
	if (job.rc != TG_OK) {
		code = print_errors_json(&job.errs);
		free(job.lat);
		goto out;
	}
	for (i = 0; i < count; i++)
		sum += job.lat[i];
	qsort(job.lat, count, sizeof(*job.lat), u64_cmp);
	printf("%-22s %llu\n", "samples", (unsigned long long)count);
	printf("%-22s %.3f\n", "compile+prepare (ms)", (double)tcompile / 1e6);
	printf("%-22s %llu\n", "ns/op", (unsigned long long)(sum / count));
	printf("%-22s %llu\n", "p50 (ns)", (unsigned long long)job.lat[(count - 1) / 2]);
	printf("%-22s %llu\n", "p99 (ns)", (unsigned long long)job.lat[(count * 99) / 100 >= count ? count - 1 : (count * 99) / 100]);
	printf("%-22s %llu\n", "B/op", (unsigned long long)(job.bytes / count));
	printf("%-22s %llu\n", "steps/op", (unsigned long long)(job.steps / count));
	printf("%-22s %zu\n", "results", job.results);
	free(job.lat);
	code = TG_EXIT_OK;
out:
	tg_rego_query_free(q);
	tg_rego_policy_free(p);
	tg_rego_errors_release(&errs);
	tg_rego_errors_release(&job.errs);
	tg_arena_release(&a);
	policy_opts_release(&po);
	return code;
}
