/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_yaml.c - YAML data documents (`policy eval -d data.yaml`) read with
 * libyaml into the JSON value model: YAML 1.2 core schema for plain
 * scalars, anchors shared (never expanded), depth bounded.
 */
#include <string.h>
#include <yaml.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego.h"

struct yanchor {
	const char *name;
	const struct tg_json *v;
};

struct yload {
	struct tg_arena *a;
	yaml_parser_t p;
	struct tg_diag *d;
	struct yanchor *anchors;
	size_t nanchors, capanchors;
};

static tg_err y_error(struct yload *y, const yaml_mark_t *m, const char *msg)
{
	tg_diag_at(y->d, (uint32_t)m->line + 1, (uint32_t)m->column + 1, m->index, "yaml: %s", msg);
	return TG_E_PARSE;
}

static void y_anchor(struct yload *y, const unsigned char *name, const struct tg_json *v)
{
	char *c;
	if (!name)
		return;
	if (y->nanchors == y->capanchors) {
		y->capanchors = y->capanchors ? y->capanchors * 2 : 8;
		y->anchors = tg_xreallocarray(y->anchors, y->capanchors, sizeof(*y->anchors));
	}
	c = tg_arena_strndup(y->a, (const char *)name, strlen((const char *)name));
	if (!c)
		return;
	y->anchors[y->nanchors].name = c;
	y->anchors[y->nanchors++].v = v;
}

static bool is_num(const char *s, size_t n)
{
	return n > 0 && tg_json_numlit_valid(s, n);
}

/* A plain scalar under the YAML 1.2 core schema. */
static tg_err y_plain(struct yload *y, const char *s, size_t n, const struct tg_json **out)
{
	if (n == 0 || (n == 1 && s[0] == '~') || (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
							       !memcmp(s, "NULL", 4)))) {
		*out = &tg_json_null_v;
		return TG_OK;
	}
	if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4)))) {
		*out = &tg_json_true_v;
		return TG_OK;
	}
	if ((n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))) {
		*out = &tg_json_false_v;
		return TG_OK;
	}
	if (is_num(s, n))
		return tg_json_new_number(y->a, s, n, out);
	if (n > 1 && s[0] == '+' && is_num(s + 1, n - 1))
		return tg_json_new_number(y->a, s + 1, n - 1, out);
	return tg_json_new_string(y->a, s, n, out);
}

static tg_err y_node(struct yload *y, yaml_event_t *ev, const struct tg_json **out, unsigned depth);

static tg_err y_next(struct yload *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		tg_diag_at(y->d, (uint32_t)y->p.problem_mark.line + 1, (uint32_t)y->p.problem_mark.column + 1,
			   y->p.problem_mark.index, "yaml: %s", y->p.problem ? y->p.problem : "syntax error");
		return TG_E_PARSE;
	}
	return TG_OK;
}

static tg_err y_seq(struct yload *y, const struct tg_json **out, unsigned depth)
{
	const struct tg_json **items = NULL;
	size_t n = 0, cap = 0;
	yaml_event_t ev;
	tg_err rc;
	for (;;) {
		if ((rc = y_next(y, &ev)) != TG_OK)
			goto out;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			const struct tg_json **ni = tg_arena_alloc_array(y->a, ncap, sizeof(*ni));
			if (!ni) {
				yaml_event_delete(&ev);
				rc = TG_E_TOOBIG;
				goto out;
			}
			if (n)
				memcpy(ni, items, n * sizeof(*ni));
			items = ni;
			cap = ncap;
		}
		rc = y_node(y, &ev, &items[n], depth + 1);
		yaml_event_delete(&ev);
		if (rc != TG_OK)
			goto out;
		n++;
	}
	rc = tg_json_new_array(y->a, items, n, out);
out:
	return rc;
}

static tg_err y_map(struct yload *y, const struct tg_json **out, unsigned depth)
{
	struct tg_json_member *m = NULL;
	size_t n = 0, cap = 0;
	yaml_event_t ev;
	tg_err rc;
	for (;;) {
		if ((rc = y_next(y, &ev)) != TG_OK)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct tg_json_member *nm = tg_arena_alloc_array(y->a, ncap, sizeof(*nm));
			if (!nm) {
				yaml_event_delete(&ev);
				return TG_E_TOOBIG;
			}
			if (n)
				memcpy(nm, m, n * sizeof(*nm));
			m = nm;
			cap = ncap;
		}
		rc = y_node(y, &ev, &m[n].key, depth + 1);
		yaml_event_delete(&ev);
		if (rc != TG_OK)
			return rc;
		if (m[n].key->type != TG_JSON_STRING) {
			/* JSON keys are strings: numbers and booleans keep their text */
			struct tg_buf b = TG_BUF_INIT(4096);
			rc = tg_json_emit(&b, m[n].key, 0);
			if (rc == TG_OK)
				rc = tg_json_new_string(y->a, tg_buf_str(&b), b.len, &m[n].key);
			tg_buf_release(&b);
			if (rc != TG_OK)
				return rc;
		}
		if ((rc = y_next(y, &ev)) != TG_OK)
			return rc;
		rc = y_node(y, &ev, &m[n].val, depth + 1);
		yaml_event_delete(&ev);
		if (rc != TG_OK)
			return rc;
		n++;
	}
	return tg_json_new_object(y->a, m, n, TG_JSON_DUP_LAST, out);
}

static tg_err y_node(struct yload *y, yaml_event_t *ev, const struct tg_json **out, unsigned depth)
{
	tg_err rc;
	size_t i;
	if (depth > TG_LIMIT_REGO_YAML_DEPTH)
		return y_error(y, &ev->start_mark, "document nested too deep");
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t n = ev->data.scalar.length;
		if (ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			rc = y_plain(y, s, n, out);
		else
			rc = tg_json_new_string(y->a, s, n, out);
		if (rc == TG_E_ENCODING)
			return y_error(y, &ev->start_mark, "invalid UTF-8");
		if (rc == TG_OK)
			y_anchor(y, ev->data.scalar.anchor, *out);
		return rc;
	}
	case YAML_SEQUENCE_START_EVENT: {
		unsigned char *anchor = ev->data.sequence_start.anchor;
		rc = y_seq(y, out, depth);
		if (rc == TG_OK)
			y_anchor(y, anchor, *out);
		return rc;
	}
	case YAML_MAPPING_START_EVENT: {
		unsigned char *anchor = ev->data.mapping_start.anchor;
		rc = y_map(y, out, depth);
		if (rc == TG_OK)
			y_anchor(y, anchor, *out);
		return rc;
	}
	case YAML_ALIAS_EVENT:
		for (i = y->nanchors; i-- > 0;)
			if (strcmp(y->anchors[i].name, (const char *)ev->data.alias.anchor) == 0) {
				*out = y->anchors[i].v;
				return TG_OK;
			}
		return y_error(y, &ev->start_mark, "unknown anchor");
	default:
		return y_error(y, &ev->start_mark, "unexpected event");
	}
}

tg_err tg_rego_yaml_parse(struct tg_arena *a, const char *text, size_t n, const struct tg_json **out,
			  struct tg_diag *d)
{
	struct yload y;
	yaml_event_t ev;
	const struct tg_json *v = &tg_json_null_v;
	bool have = false;
	tg_err rc = TG_OK;
	memset(&y, 0, sizeof(y));
	y.a = a;
	y.d = d;
	if (!yaml_parser_initialize(&y.p))
		return TG_E_INTERNAL;
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, n);
	for (;;) {
		if ((rc = y_next(&y, &ev)) != TG_OK)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (have) {
			rc = y_error(&y, &ev.start_mark, "more than one document");
			yaml_event_delete(&ev);
			break;
		}
		rc = y_node(&y, &ev, &v, 0);
		yaml_event_delete(&ev);
		if (rc != TG_OK)
			break;
		have = true;
	}
	yaml_parser_delete(&y.p);
	free(y.anchors);
	if (rc == TG_OK)
		*out = v;
	return rc;
}
