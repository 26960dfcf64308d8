/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_json.c - `tollgate json canon`: one JSON document in, its RFC 8785
 * canonical form out. Errors point at the line and column that broke.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdint.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/cursor.h"
#include "core/json.h"
#include "core/limits.h"
#include "core/mem.h"

/* Parsed values take at most ~17 bytes of arena per input byte ("[1,1,..."),
 * canonical text at most ~5.25 per input byte ("[1e20,..." expands to 21
 * digits); the caps leave room above both and still bound the run. */
#define CANON_ARENA_PER_BYTE 32
#define CANON_OUT_PER_BYTE 8
#define CANON_SLACK (64 * TG_KIB)
#define NUMBER_SHOWN 40 /* characters of a rejected number quoted in a message */

const char tg_cli_json_canon_usage[] =
	"usage: tollgate json canon [--strict] [FILE|-]\n"
	"\n"
	"Parses one JSON document (RFC 8259) from FILE, or from standard input when\n"
	"FILE is '-' or absent, and prints its RFC 8785 (JCS) canonical form followed\n"
	"by one newline: members sorted by the UTF-16 code units of their keys,\n"
	"numbers in ECMAScript shortest form, minimal string escapes, no whitespace.\n"
	"The output without its final newline is exactly the bytes to hash or sign.\n"
	"\n"
	"  --strict    reject repeated object keys; by default the last one wins,\n"
	"              as in ECMAScript JSON.parse\n"
	"  -h, --help  show this help\n"
	"\n"
	"Invalid input exits 2 with 'FILE:LINE:COLUMN: message' on stderr (FILE is\n"
	"'-' for standard input; LINE and COLUMN are 1-based, COLUMN counts bytes).\n"
	"A number outside the IEEE 754 double range has no canonical form (exit 2).\n"
	"Documents larger than 1 GiB are rejected.\n";

/* size * per + slack, saturating. */
static size_t cap_for(size_t size, size_t per)
{
	size_t v;
	if (!tg_size_mul(size, per, &v) || !tg_size_add(v, CANON_SLACK, &v))
		return SIZE_MAX;
	return v;
}

/* The first number (document order) that has no double, or NULL. The
 * parser bounded the depth, so the recursion is bounded too. */
static const struct tg_json *find_huge_number(const struct tg_json *v)
{
	const struct tg_json *hit = NULL;
	double x;
	size_t i;

	switch (v->type) {
	case TG_JSON_NUMBER:
		return tg_json_num_double(v, &x) == TG_E_RANGE ? v : NULL;
	case TG_JSON_ARRAY:
		for (i = 0; i < v->u.a.len && !hit; i++)
			hit = find_huge_number(v->u.a.items[i]);
		return hit;
	case TG_JSON_OBJECT:
		/* Members are sorted by key; report the one that comes first in
		 * the text. */
		for (i = 0; i < v->u.o.len; i++) {
			const struct tg_json *h = find_huge_number(v->u.o.items[i].val);
			if (h && (!hit || h->pos < hit->pos))
				hit = h;
		}
		return hit;
	default:
		return NULL;
	}
}

static void report_range(const char *name, const struct tg_buf *in, const struct tg_json *v)
{
	const struct tg_json *num = find_huge_number(v);
	uint32_t line, col;
	if (!num) {
		tg_cli_error("cannot canonicalise '%s': a number is outside the IEEE 754 double "
			     "range",
			     name);
		return;
	}
	tg_text_linecol(in->data, in->len, num->pos, &line, &col);
	fprintf(stderr,
		"%s:%u:%u: number %.*s%s is outside the IEEE 754 double range and has no "
		"RFC 8785 form\n",
		name, line, col, (int)(num->u.s.len > NUMBER_SHOWN ? NUMBER_SHOWN : num->u.s.len),
		num->u.s.p, num->u.s.len > NUMBER_SHOWN ? "..." : "");
}

int tg_cli_json_canon(const struct tg_cli_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"strict", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tg_json_parse_opts po = {.dup = TG_JSON_DUP_LAST};
	struct tg_buf in = TG_BUF_INIT(0), out = TG_BUF_INIT(0);
	struct tg_arena a;
	const struct tg_json *v = NULL;
	const char *path = "-", *name;
	struct tg_diag d;
	int c, code = TG_EXIT_INTERNAL;
	tg_err r;

	tg_arena_init(&a, 0);
	tg_diag_init(&d);
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			po.dup = TG_JSON_DUP_REJECT;
			break;
		case 'h':
			code = tg_cli_help(cmd);
			goto out;
		default:
			code = tg_cli_bad_option(cmd, c, argv);
			goto out;
		}
	}
	if (argc - optind > 1) {
		code = tg_cli_usage_error(cmd, "too many arguments: one FILE at most");
		goto out;
	}
	if (argc - optind == 1)
		path = argv[optind];
	name = tg_cli_name(path);

	r = tg_cli_read_file(path, TG_LIMIT_JSON_DOC, false, &in, &d);
	if (r != TG_OK) {
		tg_cli_error("%s", d.msg);
		code = tg_cli_exit_code(r);
		goto out;
	}
	tg_arena_init(&a, cap_for(in.len, CANON_ARENA_PER_BYTE));
	r = tg_json_parse(&a, tg_buf_str(&in), in.len, &po, &v, NULL, &d);
	if (r != TG_OK) {
		if (d.line)
			fprintf(stderr, "%s:%u:%u: %s\n", name, d.line, d.col, d.msg);
		else
			tg_cli_error("cannot parse '%s': %s", name,
				     d.msg[0] ? d.msg : tg_strerror(r));
		code = tg_cli_exit_code(r);
		goto out;
	}
	tg_buf_init(&out, cap_for(in.len, CANON_OUT_PER_BYTE));
	r = tg_json_canon(&out, v);
	if (r == TG_OK)
		r = tg_buf_addc(&out, '\n');
	if (r == TG_E_RANGE) {
		report_range(name, &in, v);
		code = tg_cli_exit_code(r);
		goto out;
	}
	if (r != TG_OK) {
		tg_cli_error("cannot canonicalise '%s': %s", name, tg_strerror(r));
		code = TG_EXIT_INTERNAL;
		goto out;
	}
	r = tg_cli_write(out.data, out.len);
	code = r == TG_OK ? TG_EXIT_OK : TG_EXIT_INTERNAL;
out:
	tg_buf_release(&out);
	tg_arena_release(&a);
	tg_buf_release(&in);
	return code;
}
