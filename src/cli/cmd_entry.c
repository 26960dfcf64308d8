/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_entry.c - `tollgate entry create|list|delete`: registration entries,
 * which grant a SPIFFE ID to every workload whose attested selectors
 * include all of the entry's selectors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"
#include "identity/identity.h"

const char tg_cli_entry_create_usage[] =
	"usage: tollgate entry create --dir D --spiffe-id ID --selector TYPE:KEY:VALUE\n"
	"                             [--selector ...] [--x509-ttl DUR] [--jwt-ttl DUR]\n"
	"                             [--parent AGENT-ID]\n"
	"\n"
	"Registers the SPIFFE ID for every workload whose attestation yields all of\n"
	"the selectors (a logical AND; create several entries for an OR). Prints the\n"
	"new entry's id (a UUID). Selectors are TYPE:KEY:VALUE, e.g.\n"
	"\n"
	"  github:repository_id:123456789   github:ref:refs/heads/main\n"
	"  gitlab:project_id:42             k8s:ns:ci   k8s:sa:builder\n"
	"  join:label:build-host-7          unix:uid:1000\n"
	"  oidc:sub:repo:acme/app:ref:refs/heads/main   (the value may contain ':')\n"
	"\n"
	"  -d, --dir D           the CA directory\n"
	"  -i, --spiffe-id ID    spiffe://<the CA's trust domain>/<path>\n"
	"  -s, --selector SEL    a selector; repeat for more (at least one)\n"
	"  -x, --x509-ttl DUR    lifetime of X509-SVIDs (default 1h, at most 1d)\n"
	"  -j, --jwt-ttl DUR     lifetime of JWT-SVIDs (default 5m, at most 1d)\n"
	"  -p, --parent ID       the SPIFFE ID of the agent (`tollgate agent --server`)\n"
	"                        that attests the workloads: only that agent may ask\n"
	"                        tollgated for the entry's SVIDs, and `attest` at the\n"
	"                        server never matches it\n"
	"  -h, --help            show this help\n"
	"\n"
	"DUR is a duration such as 90s, 5m, 1h30m or 1d.\n";

const char tg_cli_entry_list_usage[] =
	"usage: tollgate entry list --dir D [--json]\n"
	"\n"
	"Prints the registration entries. As text, each entry is a line\n"
	"\n"
	"  <id> <spiffe id> x509-ttl=<DUR|default> jwt-ttl=<DUR|default>[ parent=<ID>]\n"
	"\n"
	"followed by one line per selector, indented by two spaces. With --json,\n"
	"one JSON document: {\"entries\":[{\"created\":RFC 3339,\"id\",\"jwt_ttl\":seconds,\n"
	"\"parent_id\" (when set),\"selectors\":[...],\"spiffe_id\",\"x509_ttl\":seconds}]},\n"
	"where a TTL of 0 means the CA's default (X509-SVID 1h, JWT-SVID 5m).\n"
	"\n"
	"  -d, --dir D   the CA directory\n"
	"  -j, --json    print JSON\n"
	"  -h, --help    show this help\n";

const char tg_cli_entry_delete_usage[] =
	"usage: tollgate entry delete --dir D ID\n"
	"\n"
	"Deletes the registration entry ID: no SVID is issued for it from now on\n"
	"(SVIDs already issued stay valid until they expire; see `svid revoke`).\n"
	"An unknown ID exits 2.\n"
	"\n"
	"  -d, --dir D   the CA directory\n"
	"  -h, --help    show this help\n";

int tg_cli_entry_create(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"spiffe-id", required_argument, NULL, 'i'},
		{"selector", required_argument, NULL, 's'},
		{"x509-ttl", required_argument, NULL, 'x'},
		{"jwt-ttl", required_argument, NULL, 'j'},
		{"parent", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *id = NULL, *parent = NULL, **sels;
	size_t nsels = 0, i;
	struct tg_entry e;
	struct tg_ca *ca = NULL;
	struct tg_arena a;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	memset(&e, 0, sizeof(e));
	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	tg_diag_init(&d);
	sels = tg_xcalloc((size_t)argc + 1, sizeof(*sels));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:i:s:x:j:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			id = optarg;
			break;
		case 'p':
			parent = optarg;
			break;
		case 's':
			sels[nsels++] = optarg;
			break;
		case 'x':
			code = tg_cli_parse_ttl(cmd, "--x509-ttl", optarg, TG_SVID_TTL_MAX,
						&e.x509_ttl);
			if (code != TG_EXIT_OK)
				goto out;
			break;
		case 'j':
			code = tg_cli_parse_ttl(cmd, "--jwt-ttl", optarg, TG_SVID_TTL_MAX,
						&e.jwt_ttl);
			if (code != TG_EXIT_OK)
				goto out;
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
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	if (!id) {
		code = tg_cli_usage_error(cmd, "missing --spiffe-id ID");
		goto out;
	}
	if (nsels == 0) {
		code = tg_cli_usage_error(cmd, "missing --selector TYPE:KEY:VALUE (at least one)");
		goto out;
	}
	if (tg_spiffe_id_parse(id, strlen(id), &e.spiffe_id, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid SPIFFE ID '%s': %s", id,
					  d.msg[0] ? d.msg : "malformed");
		goto out;
	}
	if (parent && tg_spiffe_id_parse(parent, strlen(parent), &e.parent_id, &d) != TG_OK) {
		code = tg_cli_usage_error(cmd, "invalid parent ID '%s': %s", parent,
					  d.msg[0] ? d.msg : "malformed");
		goto out;
	}
	e.selectors = tg_arena_alloc_array(&a, nsels, sizeof(*e.selectors));
	if (!e.selectors) {
		code = tg_cli_usage_error(cmd, "too many selectors");
		goto out;
	}
	for (i = 0; i < nsels; i++) {
		tg_diag_init(&d);
		if (tg_selector_parse(sels[i], strlen(sels[i]), &a, &e.selectors[i], &d) != TG_OK) {
			code = tg_cli_usage_error(cmd, "invalid selector '%s': %s", sels[i],
						  d.msg[0] ? d.msg : "not TYPE:KEY:VALUE");
			goto out;
		}
	}
	e.nselectors = nsels;
	e.created = tg_time_now();
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (!tg_spiffe_id_in_td(&e.spiffe_id, tg_ca_trust_domain(ca))) {
		tg_cli_error("cannot register '%s': it is not in the trust domain '%s' of the CA",
			     e.spiffe_id.uri, tg_ca_trust_domain(ca));
		code = TG_EXIT_USAGE;
		goto out;
	}
	tg_diag_init(&d);
	r = tg_entry_create(ca, &e, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot create the entry");
		if (code == TG_EXIT_FAIL)
			code = TG_EXIT_USAGE;
		goto out;
	}
	printf("%s\n", e.id);
	code = TG_EXIT_OK;
out:
	tg_ca_close(ca);
	tg_arena_release(&a);
	free(sels);
	return code;
}

/* A TTL for text: the duration, or "default" (the CA's, ca.json). */
static void ttl_text(int64_t ttl, char *out, size_t n)
{
	if (ttl > 0)
		tg_cli_format_duration(ttl, out, n);
	else
		snprintf(out, n, "default");
}

static tg_err add_text(struct tg_buf *out, const struct tg_entry *e)
{
	char x[32], j[32];
	size_t i;
	tg_err r;

	ttl_text(e->x509_ttl, x, sizeof(x));
	ttl_text(e->jwt_ttl, j, sizeof(j));
	r = tg_buf_addf(out, "%s %s x509-ttl=%s jwt-ttl=%s%s%s\n", e->id, e->spiffe_id.uri, x, j,
			e->parent_id.uri[0] ? " parent=" : "", e->parent_id.uri);
	for (i = 0; r == TG_OK && i < e->nselectors; i++) {
		r = tg_buf_adds(out, "  ");
		if (r == TG_OK)
			r = tg_selector_format(&e->selectors[i], out);
		if (r == TG_OK)
			r = tg_buf_addc(out, '\n');
	}
	return r;
}

static tg_err str_value(struct tg_arena *a, const char *s, size_t n, const struct tg_json **out)
{
	return tg_json_new_string(a, s, n, out);
}

/* Builds the JSON object of one entry in a. */
static tg_err entry_json(struct tg_arena *a, const struct tg_entry *e, const struct tg_json **out)
{
	struct tg_json_member m[7];
	const struct tg_json **sel;
	struct tg_buf s = TG_BUF_INIT(TG_SELECTOR_MAX + 16);
	char when[TG_TIME_STR_MAX];
	size_t i, k;
	tg_err r;

	sel = tg_arena_alloc_array(a, e->nselectors ? e->nselectors : 1, sizeof(*sel));
	if (!sel)
		return TG_E_TOOBIG;
	r = tg_time_format(e->created, when, sizeof(when));
	for (i = 0; r == TG_OK && i < e->nselectors; i++) {
		tg_buf_reset(&s);
		r = tg_selector_format(&e->selectors[i], &s);
		if (r == TG_OK)
			r = str_value(a, tg_buf_str(&s), s.len, &sel[i]);
	}
	tg_buf_release(&s);
	if (r == TG_OK)
		r = str_value(a, "created", 7, &m[0].key);
	if (r == TG_OK)
		r = str_value(a, when, strlen(when), &m[0].val);
	if (r == TG_OK)
		r = str_value(a, "id", 2, &m[1].key);
	if (r == TG_OK)
		r = str_value(a, e->id, strlen(e->id), &m[1].val);
	if (r == TG_OK)
		r = str_value(a, "jwt_ttl", 7, &m[2].key);
	if (r == TG_OK)
		r = tg_json_new_int(a, e->jwt_ttl, &m[2].val);
	k = 3;
	if (r == TG_OK && e->parent_id.uri[0]) {
		r = str_value(a, "parent_id", 9, &m[k].key);
		if (r == TG_OK)
			r = str_value(a, e->parent_id.uri, strlen(e->parent_id.uri), &m[k].val);
		k++;
	}
	if (r == TG_OK)
		r = str_value(a, "selectors", 9, &m[k].key);
	if (r == TG_OK)
		r = tg_json_new_array(a, sel, e->nselectors, &m[k].val);
	k++;
	if (r == TG_OK)
		r = str_value(a, "spiffe_id", 9, &m[k].key);
	if (r == TG_OK)
		r = str_value(a, e->spiffe_id.uri, strlen(e->spiffe_id.uri), &m[k].val);
	k++;
	if (r == TG_OK)
		r = str_value(a, "x509_ttl", 8, &m[k].key);
	if (r == TG_OK)
		r = tg_json_new_int(a, e->x509_ttl, &m[k].val);
	k++;
	if (r == TG_OK)
		r = tg_json_new_object(a, m, k, TG_JSON_DUP_REJECT, out);
	return r;
}

static tg_err add_json(struct tg_buf *out, struct tg_arena *a, const struct tg_entry *e, size_t n)
{
	const struct tg_json **items, *arr = NULL, *doc = NULL;
	struct tg_json_member m;
	size_t i;
	tg_err r = TG_OK;

	items = tg_arena_alloc_array(a, n ? n : 1, sizeof(*items));
	if (!items)
		return TG_E_TOOBIG;
	for (i = 0; r == TG_OK && i < n; i++)
		r = entry_json(a, &e[i], &items[i]);
	if (r == TG_OK)
		r = tg_json_new_array(a, items, n, &arr);
	if (r == TG_OK)
		r = str_value(a, "entries", 7, &m.key);
	m.val = arr;
	if (r == TG_OK)
		r = tg_json_new_object(a, &m, 1, TG_JSON_DUP_REJECT, &doc);
	if (r == TG_OK)
		r = tg_json_emit(out, doc, 0);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	return r;
}

int tg_cli_entry_list(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_buf out = TG_BUF_INIT(TG_LIMIT_ARENA_DEFAULT);
	struct tg_entry *entries = NULL;
	const char *dir = NULL;
	struct tg_ca *ca = NULL;
	bool json = false;
	struct tg_arena a;
	struct tg_diag d;
	size_t n = 0, i;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_arena_init(&a, TG_LIMIT_ARENA_DEFAULT);
	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = true;
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
	if (!dir || !dir[0]) {
		code = tg_cli_usage_error(cmd, "missing --dir D");
		goto out;
	}
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK) {
		code = tg_cli_exit_code(r);
		goto out;
	}
	r = tg_entry_list(ca, &a, &entries, &n, &d);
	if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot list the entries");
		goto out;
	}
	if (json) {
		r = add_json(&out, &a, entries, n);
	} else {
		for (i = 0; r == TG_OK && i < n; i++)
			r = add_text(&out, &entries[i]);
	}
	if (r != TG_OK) {
		code = tg_cli_fail(r, NULL, "cannot print the entries");
		goto out;
	}
	code = tg_cli_write(out.data, out.len) == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_ca_close(ca);
	tg_arena_release(&a);
	tg_buf_release(&out);
	return code;
}

int tg_cli_entry_delete(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *id;
	struct tg_ca *ca = NULL;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_diag_init(&d);
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			return tg_cli_help(cmd);
		default:
			return tg_cli_bad_option(cmd, c, argv);
		}
	}
	if (!dir || !dir[0])
		return tg_cli_usage_error(cmd, "missing --dir D");
	if (optind >= argc)
		return tg_cli_usage_error(cmd, "missing the entry ID");
	if (argc - optind > 1)
		return tg_cli_usage_error(cmd, "too many arguments: one ID");
	id = argv[optind];
	r = tg_cli_ca_open(dir, &ca);
	if (r != TG_OK)
		return tg_cli_exit_code(r);
	r = tg_entry_delete(ca, id, &d);
	if (r == TG_E_NOTFOUND) {
		tg_cli_error("cannot delete entry '%s': no such entry", id);
		code = TG_EXIT_USAGE;
	} else if (r != TG_OK) {
		code = tg_cli_fail(r, &d, "cannot delete the entry");
	} else {
		code = TG_EXIT_OK;
	}
	tg_ca_close(ca);
	return code;
}
