/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphql_parse.c - GraphQL lexer and parser (executable documents and the
 * schema definition language) with gqlparser v2.5.1's behaviour: the same
 * tokens, the same first error and the same line:column (columns count
 * runes), so that OPA's graphql.* messages come out identical.
 */
#include "rego/graphql.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "rego/rego_bi.h"

/* ---- shared helpers ---- */

void tg_gql_ctx_init(struct tg_gql_ctx *g)
{
	memset(g, 0, sizeof(*g));
	tg_arena_init(&g->a, TG_GQL_MAX_ARENA);
}

void tg_gql_ctx_release(struct tg_gql_ctx *g)
{
	if (g)
		tg_arena_release(&g->a);
}

void tg_gql_toobig(struct tg_gql_ctx *g, const char *what)
{
	if (g->err.msg[0])
		return;
	snprintf(g->err.msg, sizeof(g->err.msg), "%s", what);
	g->err.toobig = true;
}

void *tg_gql_new(struct tg_gql_ctx *g, size_t n)
{
	void *p = tg_arena_alloc(&g->a, n);
	if (!p) {
		tg_gql_toobig(g, "graphql document needs more than the memory limit");
		return NULL;
	}
	memset(p, 0, n);
	return p;
}

bool tg_gql_push(struct tg_gql_ctx *g, struct tg_gql_list *l, void *item)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4;
		void **nv = tg_arena_alloc_array(&g->a, nc, sizeof(void *));
		if (!nv) {
			tg_gql_toobig(g, "graphql document needs more than the memory limit");
			return false;
		}
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(void *));
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = item;
	return true;
}

bool tg_gql_eq(struct tg_gql_s a, const char *s)
{
	size_t n = strlen(s);
	return a.n == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

bool tg_gql_seq(struct tg_gql_s a, struct tg_gql_s b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

void tg_gql_fail(struct tg_gql_ctx *g, struct tg_gql_pos pos, const char *fmt, ...)
{
	va_list ap;
	if (g->err.msg[0])
		return;
	va_start(ap, fmt);
	vsnprintf(g->err.msg, sizeof(g->err.msg), fmt, ap);
	va_end(ap);
	if (!g->err.msg[0])
		snprintf(g->err.msg, sizeof(g->err.msg), "error");
	g->err.pos = pos;
}

const char *tg_gql_quote(struct tg_gql_s s, char *buf, size_t cap)
{
	struct tg_buf b;
	size_t n;
	tg_buf_init(&b, 64 * 1024);
	if (tg_rego_go_quote(&b, s.p ? s.p : "", s.n, false) != TG_OK) {
		tg_buf_release(&b);
		snprintf(buf, cap, "\"...\"");
		return buf;
	}
	n = b.len < cap - 1 ? b.len : cap - 1;
	memcpy(buf, b.data, n);
	buf[n] = '\0';
	tg_buf_release(&b);
	return buf;
}

/* ---- lexer (gqlparser lexer/lexer.go) ---- */

enum tk {
	T_INVALID,
	T_EOF,
	T_BANG,
	T_DOLLAR,
	T_AMP,
	T_PARENL,
	T_PARENR,
	T_SPREAD,
	T_COLON,
	T_EQUALS,
	T_AT,
	T_BRACKETL,
	T_BRACKETR,
	T_BRACEL,
	T_BRACER,
	T_PIPE,
	T_NAME,
	T_INT,
	T_FLOAT,
	T_STRING,
	T_BLOCK,
	T_COMMENT,
};

static const char *const tk_str[] = {
        "<Invalid>", "<EOF>", "!",     "$",      "&",           "(",       ")", "...",
        ":",         "=",     "@",     "[",      "]",           "{",       "}", "|",
        "Name",      "Int",   "Float", "String", "BlockString", "Comment",
};

struct tok {
	enum tk kind;
	struct tg_gql_s val;
	struct tg_gql_pos pos;
	const char *lexerr; /* the lexer's message for an Invalid token */
	struct tg_gql_pos errpos;
};

struct lexer {
	struct tg_gql_ctx *g;
	const char *in;
	size_t n;
	size_t start, end;       /* bytes */
	uint32_t start_r, end_r; /* runes */
	uint32_t line, line_start_r;
	size_t ntok;
	bool prelude;
};

static uint32_t decode_rune(const char *s, size_t n, size_t *w)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t r;
	if (n == 0) {
		*w = 0;
		return 0xFFFD;
	}
	if (u[0] < 0x80) {
		*w = 1;
		return u[0];
	}
	if (u[0] >= 0xC2 && u[0] <= 0xDF && n >= 2 && (u[1] & 0xC0) == 0x80) {
		*w = 2;
		return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
	}
	if (u[0] >= 0xE0 && u[0] <= 0xEF && n >= 3 && (u[1] & 0xC0) == 0x80 &&
	    (u[2] & 0xC0) == 0x80) {
		r = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) |
		    (u[2] & 0x3F);
		if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
			*w = 3;
			return r;
		}
	}
	if (u[0] >= 0xF0 && u[0] <= 0xF4 && n >= 4 && (u[1] & 0xC0) == 0x80 &&
	    (u[2] & 0xC0) == 0x80 && (u[3] & 0xC0) == 0x80) {
		r = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
		    ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
		if (r >= 0x10000 && r <= 0x10FFFF) {
			*w = 4;
			return r;
		}
	}
	*w = 1;
	return 0xFFFD;
}

static size_t put_rune(char *o, uint32_t r)
{
	if (r >= 0xD800 && r <= 0xDFFF)
		r = 0xFFFD;
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

/* Go's string(rune(b)) for a byte, as gqlparser's messages print it. */
static const char *byte_str(unsigned char b, char *o)
{
	size_t k = put_rune(o, b);
	o[k] = '\0';
	return o;
}

static struct tok mk(struct lexer *s, enum tk kind, const char *v, size_t vn)
{
	struct tok t;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	t.val.p = v;
	t.val.n = vn;
	t.pos.line = s->line;
	t.pos.col = s->start_r - s->line_start_r + 1;
	t.pos.prelude = s->prelude;
	return t;
}

static struct tok mk_err(struct lexer *s, const char *fmt, ...) TG_PRINTF(2, 3);
static struct tok mk_err(struct lexer *s, const char *fmt, ...)
{
	struct tok t;
	char msg[512];
	va_list ap;
	memset(&t, 0, sizeof(t));
	t.kind = T_INVALID;
	t.pos.line = s->line;
	t.pos.col = s->end_r - s->line_start_r + 1;
	t.pos.prelude = s->prelude;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t.lexerr = tg_arena_strndup(&s->g->a, msg, strlen(msg));
	if (!t.lexerr)
		t.lexerr = "graphql document needs more than the memory limit";
	t.errpos = t.pos;
	return t;
}

static void ws(struct lexer *s)
{
	while (s->end < s->n) {
		unsigned char c = (unsigned char)s->in[s->end];
		if (c == '\t' || c == ' ' || c == ',') {
			s->end++;
			s->end_r++;
		} else if (c == '\n') {
			s->end++;
			s->end_r++;
			s->line++;
			s->line_start_r = s->end_r;
		} else if (c == '\r') {
			s->end++;
			s->end_r++;
			s->line++;
			s->line_start_r = s->end_r;
			if (s->end < s->n && s->in[s->end] == '\n') {
				s->end++;
				s->end_r++;
			}
		} else if (c == 0xEF) {
			if (s->end + 2 < s->n && (unsigned char)s->in[s->end + 1] == 0xBB &&
			    (unsigned char)s->in[s->end + 2] == 0xBF) {
				s->end += 3;
				s->end_r++;
			} else {
				return;
			}
		} else {
			return;
		}
	}
}

static bool accept(struct lexer *s, char a, char b)
{
	if (s->end >= s->n)
		return false;
	if (s->in[s->end] == a || (b && s->in[s->end] == b)) {
		s->end++;
		s->end_r++;
		return true;
	}
	return false;
}

static size_t digits(struct lexer *s)
{
	size_t k = 0;
	while (s->end < s->n && s->in[s->end] >= '0' && s->in[s->end] <= '9') {
		s->end++;
		s->end_r++;
		k++;
	}
	return k;
}

static const char *describe_next(struct lexer *s, char *o)
{
	char b[8];
	if (s->end < s->n) {
		snprintf(o, 12, "\"%s\"", byte_str((unsigned char)s->in[s->end], b));
		return o;
	}
	return "<EOF>";
}

static struct tok read_number(struct lexer *s)
{
	bool isfloat = false;
	char d[12];
	size_t k;
	s->end--;
	s->end_r--;
	accept(s, '-', 0);
	if (accept(s, '0', 0)) {
		if ((k = digits(s)) != 0) {
			s->end -= k;
			s->end_r -= (uint32_t)k;
			return mk_err(s, "Invalid number, unexpected digit after 0: %s.",
			              describe_next(s, d));
		}
	} else if (digits(s) == 0) {
		return mk_err(s, "Invalid number, expected digit but got: %s.",
		              describe_next(s, d));
	}
	if (accept(s, '.', 0)) {
		isfloat = true;
		if (digits(s) == 0)
			return mk_err(s, "Invalid number, expected digit but got: %s.",
			              describe_next(s, d));
	}
	if (accept(s, 'e', 'E')) {
		isfloat = true;
		accept(s, '-', '+');
		if (digits(s) == 0)
			return mk_err(s, "Invalid number, expected digit but got: %s.",
			              describe_next(s, d));
	}
	return mk(s, isfloat ? T_FLOAT : T_INT, s->in + s->start, s->end - s->start);
}

static int unhex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

/* The rune at s->end, whose first byte is r, consumed (bad UTF-8 is
 * one byte of U+FFFD). */
static uint32_t take_rune(struct lexer *s, unsigned char r)
{
	size_t w = 1;
	uint32_t ch = r;
	if (r >= 127)
		ch = decode_rune(s->in + s->end, s->n - s->end, &w);
	s->end += w;
	s->end_r++;
	return ch;
}

static struct tok read_string(struct lexer *s)
{
	char *buf = NULL; /* created at the first escape */
	size_t bl = 0;
	s->start++;
	s->start_r++;
	while (s->end < s->n) {
		unsigned char r = (unsigned char)s->in[s->end];
		if (r == '\n' || r == '\r')
			break;
		if (r < 0x20 && r != '\t')
			return mk_err(s, "Invalid character within String: \"\\u%04d\".", r);
		if (r == '"') {
			struct tok t = buf ? mk(s, T_STRING, buf, bl)
			                   : mk(s, T_STRING, s->in + s->start, s->end - s->start);
			s->end++;
			s->end_r++;
			return t;
		}
		if (r == '\\') {
			unsigned char e;
			if (s->end + 1 >= s->n) {
				s->end++;
				s->end_r++;
				return mk_err(s, "Invalid character escape sequence.");
			}
			if (!buf) {
				/* every input byte up to the closing quote (or the end
				 * of the line) becomes at most 3 output bytes */
				size_t j = s->end, cap;
				while (j < s->n && s->in[j] != '"' && s->in[j] != '\n' &&
				       s->in[j] != '\r')
					j += s->in[j] == '\\' ? 2 : 1;
				if (j > s->n)
					j = s->n;
				cap = (j - s->start) * 3 + 8;
				buf = tg_arena_alloc_bytes(&s->g->a, cap);
				if (!buf) {
					tg_gql_toobig(s->g, "graphql document needs more than the "
					                    "memory limit");
					return mk_err(s, "out of memory");
				}
				bl = s->end - s->start;
				memcpy(buf, s->in + s->start, bl);
			}
			e = (unsigned char)s->in[s->end + 1];
			if (e == 'u') {
				uint32_t v;
				if (s->end + 6 >= s->n) {
					s->end++;
					s->end_r++;
					return mk_err(s,
					              "Invalid character escape sequence: \\%.*s.",
					              (int)(s->n - s->end), s->in + s->end);
				}
				if (!unhex4(s->in + s->end + 2, &v)) {
					s->end++;
					s->end_r++;
					return mk_err(s,
					              "Invalid character escape sequence: \\%.*s.",
					              5, s->in + s->end);
				}
				bl += put_rune(buf + bl, v);
				s->end += 6;
				s->end_r += 6;
			} else {
				char c;
				char b[8];
				switch (e) {
				case '"':
				case '/':
				case '\\':
					c = (char)e;
					break;
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				default:
					s->end++;
					s->end_r++;
					return mk_err(s, "Invalid character escape sequence: \\%s.",
					              byte_str(e, b));
				}
				buf[bl++] = c;
				s->end += 2;
				s->end_r += 2;
			}
			continue;
		}
		{
			uint32_t ch = take_rune(s, r);
			if (buf)
				bl += put_rune(buf + bl, ch);
		}
	}
	return mk_err(s, "Unterminated string.");
}

static size_t lead_ws(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return i;
	return SIZE_MAX; /* all whitespace: does not count */
}

/* The spec's BlockStringValue() as gqlparser computes it (indent of every
 * line, the first included, sets the common indent). */
static struct tg_gql_s block_value(struct tg_gql_ctx *g, char *raw, size_t n)
{
	struct tg_gql_s out = {raw, 0};
	size_t common = SIZE_MAX, i, ls, nl = 1, k = 0;
	size_t *st, *ln;
	size_t first, last;
	char *o;
	for (i = 0; i < n; i++)
		if (raw[i] == '\n')
			nl++;
	st = tg_arena_alloc_array(&g->a, nl, sizeof(size_t));
	ln = tg_arena_alloc_array(&g->a, nl, sizeof(size_t));
	o = tg_arena_alloc_bytes(&g->a, n + 1);
	if (!st || !ln || !o) {
		tg_gql_toobig(g, "graphql document needs more than the memory limit");
		return out;
	}
	for (i = 0, ls = 0; i <= n; i++)
		if (i == n || raw[i] == '\n') {
			st[k] = ls;
			ln[k++] = i - ls;
			ls = i + 1;
		}
	for (i = 0; i < nl; i++) {
		size_t ind = lead_ws(raw + st[i], ln[i]);
		if (ind < ln[i] && ind < common) {
			common = ind;
			if (common == 0)
				break;
		}
	}
	if (common != SIZE_MAX)
		for (i = 1; i < nl; i++) {
			if (ln[i] < common) {
				ln[i] = 0;
			} else {
				st[i] += common;
				ln[i] -= common;
			}
		}
	first = 0;
	last = nl;
	while (first < last && lead_ws(raw + st[first], ln[first]) == SIZE_MAX)
		first++;
	while (first < last && lead_ws(raw + st[last - 1], ln[last - 1]) == SIZE_MAX)
		last--;
	k = 0;
	for (i = first; i < last; i++) {
		if (i > first)
			o[k++] = '\n';
		memcpy(o + k, raw + st[i], ln[i]);
		k += ln[i];
	}
	out.p = o;
	out.n = k;
	return out;
}

static struct tok read_block(struct lexer *s)
{
	char *buf;
	size_t bl = 0, j = s->start + 3;
	/* the raw text runs to the closing quotes; every byte of it becomes
	 * at most 3 output bytes */
	while (j < s->n) {
		if (s->in[j] == '\\' && j + 4 <= s->n && memcmp(s->in + j, "\\\"\"\"", 4) == 0)
			j += 4;
		else if (s->in[j] == '"' && j + 3 <= s->n && memcmp(s->in + j, "\"\"\"", 3) == 0)
			break;
		else
			j++;
	}
	buf = tg_arena_alloc_bytes(&s->g->a, (j - s->start) * 3 + 8);
	if (!buf) {
		tg_gql_toobig(s->g, "graphql document needs more than the memory limit");
		return mk_err(s, "out of memory");
	}
	s->start += 3;
	s->start_r += 3;
	s->end += 2;
	s->end_r += 2;
	while (s->end < s->n) {
		unsigned char r = (unsigned char)s->in[s->end];
		if (r == '"' && s->end + 3 <= s->n && memcmp(s->in + s->end, "\"\"\"", 3) == 0) {
			struct tg_gql_s v = block_value(s->g, buf, bl);
			struct tok t = mk(s, T_BLOCK, v.p, v.n);
			s->end += 3;
			s->end_r += 3;
			return t;
		}
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r')
			return mk_err(s, "Invalid character within String: \"\\u%04d\".", r);
		if (r == '\\' && s->end + 4 <= s->n && memcmp(s->in + s->end, "\\\"\"\"", 4) == 0) {
			memcpy(buf + bl, "\"\"\"", 3);
			bl += 3;
			s->end += 4;
			s->end_r += 4;
		} else if (r == '\r') {
			if (s->end + 1 < s->n && s->in[s->end + 1] == '\n') {
				s->end++;
				s->end_r++;
			}
			buf[bl++] = '\n';
			s->end++;
			s->end_r++;
			s->line++;
			s->line_start_r = s->end_r;
		} else {
			bl += put_rune(buf + bl, take_rune(s, r));
			if (r == '\n') {
				s->line++;
				s->line_start_r = s->end_r;
			}
		}
	}
	return mk_err(s, "Unterminated string.");
}

static bool name_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct tok read_token(struct lexer *s)
{
	for (;;) {
		unsigned char r;
		char b[8];
		if (++s->ntok > TG_GQL_MAX_TOKENS) {
			tg_gql_toobig(s->g, "graphql document has more tokens than the limit");
			return mk_err(s, "too many tokens");
		}
		ws(s);
		s->start = s->end;
		s->start_r = s->end_r;
		if (s->end >= s->n)
			return mk(s, T_EOF, s->in + s->start, 0);
		r = (unsigned char)s->in[s->start];
		s->end++;
		s->end_r++;
		switch (r) {
		case '!':
			return mk(s, T_BANG, NULL, 0);
		case '$':
			return mk(s, T_DOLLAR, NULL, 0);
		case '&':
			return mk(s, T_AMP, NULL, 0);
		case '(':
			return mk(s, T_PARENL, NULL, 0);
		case ')':
			return mk(s, T_PARENR, NULL, 0);
		case ':':
			return mk(s, T_COLON, NULL, 0);
		case '=':
			return mk(s, T_EQUALS, NULL, 0);
		case '@':
			return mk(s, T_AT, NULL, 0);
		case '[':
			return mk(s, T_BRACKETL, NULL, 0);
		case ']':
			return mk(s, T_BRACKETR, NULL, 0);
		case '{':
			return mk(s, T_BRACEL, NULL, 0);
		case '}':
			return mk(s, T_BRACER, NULL, 0);
		case '|':
			return mk(s, T_PIPE, NULL, 0);
		case '.':
			if (s->n > s->start + 2 && memcmp(s->in + s->start, "...", 3) == 0) {
				s->end += 2;
				s->end_r += 2;
				return mk(s, T_SPREAD, NULL, 0);
			}
			break;
		case '#':
			while (s->end < s->n) {
				size_t w;
				uint32_t c = decode_rune(s->in + s->end, s->n - s->end, &w);
				if (c > 0x1f || c == '\t') {
					s->end += w;
					s->end_r++;
				} else {
					break;
				}
			}
			continue;
		case '"':
			if (s->n > s->start + 2 && memcmp(s->in + s->start, "\"\"\"", 3) == 0)
				return read_block(s);
			return read_string(s);
		default:
			if (name_start(r)) {
				while (s->end < s->n) {
					unsigned char c = (unsigned char)s->in[s->end];
					if (!(name_start(c) || (c >= '0' && c <= '9')))
						break;
					s->end++;
					s->end_r++;
				}
				return mk(s, T_NAME, s->in + s->start, s->end - s->start);
			}
			if (r == '-' || (r >= '0' && r <= '9'))
				return read_number(s);
			break;
		}
		s->end--;
		s->end_r--;
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r')
			return mk_err(s, "Cannot contain the invalid character \"\\u%04d\"", r);
		if (r == '\'')
			return mk_err(s, "Unexpected single quote character ('), did you mean to "
			                 "use a double quote (\")?");
		return mk_err(s, "Cannot parse the unexpected character \"%s\".", byte_str(r, b));
	}
}

/* ---- parser (gqlparser parser/parser.go, query.go, schema.go) ---- */

struct parser {
	struct tg_gql_ctx *g;
	struct lexer lx;
	bool err;
	bool peeked;
	struct tok peek_tok;
	struct tok prev;
	unsigned depth;
};

static struct tok peek(struct parser *p)
{
	if (p->err)
		return p->prev;
	if (!p->peeked) {
		p->peek_tok = read_token(&p->lx);
		p->peeked = true;
	}
	return p->peek_tok;
}

static enum tk peekk(struct parser *p)
{
	return peek(p).kind;
}

static struct tg_gql_pos peek_pos(struct parser *p)
{
	struct tg_gql_pos z = {0, 0, false};
	if (p->err)
		return z;
	return peek(p).pos;
}

static void perror_at(struct parser *p, struct tg_gql_pos pos, const char *fmt, ...)
        TG_PRINTF(3, 4);
static void perror_at(struct parser *p, struct tg_gql_pos pos, const char *fmt, ...)
{
	va_list ap;
	char msg[640];
	if (p->err)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_gql_fail(p->g, pos, "%s", msg);
	p->err = true;
}

static struct tok next(struct parser *p)
{
	if (p->err)
		return p->prev;
	if (p->peeked) {
		p->peeked = false;
		p->prev = p->peek_tok;
	} else {
		p->prev = read_token(&p->lx);
	}
	if (p->prev.lexerr) {
		tg_gql_fail(p->g, p->prev.errpos, "%s", p->prev.lexerr);
		p->err = true;
	}
	return p->prev;
}

/* Token.String(): kind, and the quoted value when there is one. */
static const char *tok_str(struct tok t, char *buf, size_t cap)
{
	char q[512];
	if (t.val.n)
		snprintf(buf, cap, "%s %s", tk_str[t.kind], tg_gql_quote(t.val, q, sizeof(q)));
	else
		snprintf(buf, cap, "%s", tk_str[t.kind]);
	return buf;
}

static struct tok expect_kw(struct parser *p, const char *kw)
{
	struct tok t = peek(p);
	char b[600];
	if (t.kind == T_NAME && tg_gql_eq(t.val, kw))
		return next(p);
	perror_at(p, t.pos, "Expected \"%s\", found %s", kw, tok_str(t, b, sizeof(b)));
	return t;
}

static struct tok expect(struct parser *p, enum tk kind)
{
	struct tok t = peek(p);
	if (t.kind == kind)
		return next(p);
	perror_at(p, t.pos, "Expected %s, found %s", tk_str[kind], tk_str[t.kind]);
	return t;
}

static bool skip(struct parser *p, enum tk kind)
{
	if (p->err)
		return false;
	if (peekk(p) != kind)
		return false;
	next(p);
	return true;
}

static void unexpected_tok(struct parser *p, struct tok t)
{
	char b[600];
	perror_at(p, t.pos, "Unexpected %s", tok_str(t, b, sizeof(b)));
}

static void unexpected(struct parser *p)
{
	unexpected_tok(p, peek(p));
}

static bool enter(struct parser *p)
{
	if (p->depth >= TG_GQL_MAX_DEPTH) {
		if (!p->err) {
			tg_gql_toobig(p->g, "graphql document nesting exceeds the depth limit");
			p->g->err.pos = peek(p).pos;
			p->err = true;
		}
		return false;
	}
	p->depth++;
	return true;
}

static struct tg_gql_s parse_name(struct parser *p)
{
	return expect(p, T_NAME).val;
}

/* A zeroed node in the arena; on failure, NULL with the parse stopped. */
static void *pnew(struct parser *p, size_t n)
{
	void *x = tg_gql_new(p->g, n);
	if (!x)
		p->err = true;
	return x;
}

#define NEWP(T) ((struct T *)pnew(p, sizeof(struct T)))
#define PUSH(l, x)                                                                                 \
	do {                                                                                       \
		if (!tg_gql_push(p->g, (l), (x)))                                                  \
			p->err = true;                                                             \
	} while (0)

/* many: start, items until end, end. some: the same with at least one. */
typedef void (*item_fn)(struct parser *p, void *ctx);

static void many(struct parser *p, enum tk start, enum tk end, item_fn cb, void *ctx)
{
	if (!skip(p, start))
		return;
	while (peekk(p) != end && !p->err)
		cb(p, ctx);
	next(p);
}

static void some(struct parser *p, enum tk start, enum tk end, item_fn cb, void *ctx)
{
	bool called = false;
	if (!skip(p, start))
		return;
	while (peekk(p) != end && !p->err) {
		called = true;
		cb(p, ctx);
	}
	if (!called) {
		perror_at(p, peek(p).pos, "expected at least one definition, found %s",
		          tk_str[peekk(p)]);
		return;
	}
	next(p);
}

static struct tg_gql_value *parse_value(struct parser *p, bool isconst);
static struct tg_gql_list parse_dirs(struct parser *p, bool isconst);
static struct tg_gql_list parse_selset_opt(struct parser *p);

static struct tg_gql_s parse_variable(struct parser *p)
{
	expect(p, T_DOLLAR);
	return parse_name(p);
}

static struct tg_gql_type *parse_typeref(struct parser *p)
{
	struct tg_gql_type *t = NEWP(tg_gql_type);
	if (!t)
		return NULL;
	if (!enter(p))
		return t;
	if (skip(p, T_BRACKETL)) {
		t->pos = peek_pos(p);
		t->elem = parse_typeref(p);
		expect(p, T_BRACKETR);
	} else {
		t->pos = peek_pos(p);
		t->named = parse_name(p);
	}
	if (skip(p, T_BANG))
		t->nonnull = true;
	p->depth--;
	return t;
}

/* The list that list, object and argument items go to. */
struct vctx {
	struct tg_gql_list *l;
	bool isconst;
};

static void list_item2(struct parser *p, void *ctx)
{
	struct vctx *vc = ctx;
	struct tg_gql_child *c = NEWP(tg_gql_child);
	if (!c)
		return;
	c->value = parse_value(p, vc->isconst);
	PUSH(vc->l, c);
}

static void obj_item(struct parser *p, void *ctx)
{
	struct vctx *vc = ctx;
	struct tg_gql_child *c = NEWP(tg_gql_child);
	if (!c)
		return;
	c->pos = peek_pos(p);
	c->name = parse_name(p);
	expect(p, T_COLON);
	c->value = parse_value(p, vc->isconst);
	PUSH(vc->l, c);
}

static struct tg_gql_value *parse_value(struct parser *p, bool isconst)
{
	struct tok t = peek(p);
	struct tg_gql_value *v = NEWP(tg_gql_value);
	struct vctx vc;
	if (!v)
		return NULL;
	vc.l = &v->children;
	vc.isconst = isconst;
	switch (t.kind) {
	case T_BRACKETL:
	case T_BRACEL:
		if (!enter(p))
			return NULL;
		v->pos = peek_pos(p);
		if (t.kind == T_BRACKETL) {
			v->kind = TG_GQL_LIST;
			many(p, T_BRACKETL, T_BRACKETR, list_item2, &vc);
		} else {
			v->kind = TG_GQL_OBJECT;
			many(p, T_BRACEL, T_BRACER, obj_item, &vc);
		}
		p->depth--;
		return v;
	case T_DOLLAR:
		if (isconst) {
			unexpected(p);
			return NULL;
		}
		v->pos = t.pos;
		v->kind = TG_GQL_VARIABLE;
		v->raw = parse_variable(p);
		return v;
	case T_INT:
		v->kind = TG_GQL_INT;
		break;
	case T_FLOAT:
		v->kind = TG_GQL_FLOAT;
		break;
	case T_STRING:
		v->kind = TG_GQL_STRING;
		break;
	case T_BLOCK:
		v->kind = TG_GQL_BLOCK;
		break;
	case T_NAME:
		if (tg_gql_eq(t.val, "true") || tg_gql_eq(t.val, "false"))
			v->kind = TG_GQL_BOOLEAN;
		else if (tg_gql_eq(t.val, "null"))
			v->kind = TG_GQL_NULL;
		else
			v->kind = TG_GQL_ENUM;
		break;
	default:
		unexpected(p);
		return NULL;
	}
	next(p);
	v->pos = t.pos;
	v->raw = t.val;
	return v;
}

static void arg_item2(struct parser *p, void *ctx)
{
	struct vctx *ac = ctx;
	struct tg_gql_arg *a = NEWP(tg_gql_arg);
	if (!a)
		return;
	a->pos = peek_pos(p);
	a->name = parse_name(p);
	expect(p, T_COLON);
	a->value = parse_value(p, ac->isconst);
	PUSH(ac->l, a);
}

static struct tg_gql_list parse_args(struct parser *p, bool isconst)
{
	struct tg_gql_list l = {0};
	struct vctx ac = {&l, isconst};
	many(p, T_PARENL, T_PARENR, arg_item2, &ac);
	return l;
}

static struct tg_gql_list parse_dirs(struct parser *p, bool isconst)
{
	struct tg_gql_list l = {0};
	while (peekk(p) == T_AT) {
		struct tg_gql_dir *d;
		if (p->err)
			break;
		d = NEWP(tg_gql_dir);
		if (!d)
			break;
		expect(p, T_AT);
		d->pos = peek_pos(p);
		d->name = parse_name(p);
		d->args = parse_args(p, isconst);
		d->location = "";
		PUSH(&l, d);
	}
	return l;
}

static void vardef_item(struct parser *p, void *ctx)
{
	struct tg_gql_list *l = ctx;
	struct tg_gql_vardef *d = NEWP(tg_gql_vardef);
	if (!d)
		return;
	d->pos = peek_pos(p);
	d->variable = parse_variable(p);
	expect(p, T_COLON);
	d->type = parse_typeref(p);
	if (skip(p, T_EQUALS))
		d->defval = parse_value(p, true);
	d->dirs = parse_dirs(p, false);
	PUSH(l, d);
}

static struct tg_gql_list parse_vardefs(struct parser *p)
{
	struct tg_gql_list l = {0};
	many(p, T_PARENL, T_PARENR, vardef_item, &l);
	return l;
}

static struct tg_gql_sel *parse_selection(struct parser *p);

static void sel_item(struct parser *p, void *ctx)
{
	struct tg_gql_list *l = ctx;
	struct tg_gql_sel *s = parse_selection(p);
	if (s)
		PUSH(l, s);
}

static struct tg_gql_list parse_selset_opt(struct parser *p)
{
	struct tg_gql_list l = {0};
	if (!enter(p))
		return l;
	some(p, T_BRACEL, T_BRACER, sel_item, &l);
	p->depth--;
	return l;
}

static struct tg_gql_list parse_selset_req(struct parser *p)
{
	struct tg_gql_list l = {0};
	if (peekk(p) != T_BRACEL) {
		perror_at(p, peek(p).pos, "Expected %s, found %s", tk_str[T_BRACEL],
		          tk_str[peekk(p)]);
		return l;
	}
	return parse_selset_opt(p);
}

static struct tg_gql_s parse_fragment_name(struct parser *p)
{
	struct tg_gql_s z = {"", 0};
	if (tg_gql_eq(peek(p).val, "on")) {
		unexpected(p);
		return z;
	}
	return parse_name(p);
}

static struct tg_gql_sel *parse_selection(struct parser *p)
{
	struct tg_gql_sel *s = NEWP(tg_gql_sel);
	if (!s)
		return NULL;
	if (peekk(p) == T_SPREAD) {
		struct tok t;
		expect(p, T_SPREAD);
		t = peek(p);
		if (t.kind == T_NAME && !tg_gql_eq(t.val, "on")) {
			s->kind = TG_GQL_SPREAD;
			s->pos = peek_pos(p);
			s->name = parse_fragment_name(p);
			s->dirs = parse_dirs(p, false);
			return s;
		}
		s->kind = TG_GQL_INLINE;
		s->pos = peek_pos(p);
		if (tg_gql_eq(peek(p).val, "on")) {
			next(p);
			s->type_cond = parse_name(p);
		}
		s->dirs = parse_dirs(p, false);
		s->selset = parse_selset_req(p);
		return s;
	}
	s->kind = TG_GQL_FIELD;
	s->pos = peek_pos(p);
	s->alias = parse_name(p);
	if (skip(p, T_COLON))
		s->name = parse_name(p);
	else
		s->name = s->alias;
	s->args = parse_args(p, false);
	s->dirs = parse_dirs(p, false);
	if (peekk(p) == T_BRACEL)
		s->selset = parse_selset_opt(p);
	return s;
}

static bool is_opkw(struct tg_gql_s v)
{
	return tg_gql_eq(v, "query") || tg_gql_eq(v, "mutation") || tg_gql_eq(v, "subscription");
}

static struct tg_gql_s op_type(struct parser *p)
{
	struct tok t = next(p);
	struct tg_gql_s z = {"", 0};
	if (is_opkw(t.val))
		return t.val;
	unexpected_tok(p, t);
	return z;
}

static struct tg_gql_op *parse_operation(struct parser *p)
{
	struct tg_gql_op *o = NEWP(tg_gql_op);
	if (!o)
		return NULL;
	if (peekk(p) == T_BRACEL) {
		o->pos = peek_pos(p);
		o->operation.p = "query";
		o->operation.n = 5;
		o->selset = parse_selset_req(p);
		return o;
	}
	o->pos = peek_pos(p);
	o->operation = op_type(p);
	if (peekk(p) == T_NAME)
		o->name = next(p).val;
	o->vardefs = parse_vardefs(p);
	o->dirs = parse_dirs(p, false);
	o->selset = parse_selset_req(p);
	return o;
}

static struct tg_gql_frag *parse_fragment_def(struct parser *p)
{
	struct tg_gql_frag *f = NEWP(tg_gql_frag);
	if (!f)
		return NULL;
	f->pos = peek_pos(p);
	expect_kw(p, "fragment");
	f->name = parse_fragment_name(p);
	f->vardefs = parse_vardefs(p);
	expect_kw(p, "on");
	f->type_cond = parse_name(p);
	f->dirs = parse_dirs(p, false);
	f->selset = parse_selset_req(p);
	return f;
}

static void parser_init(struct parser *p, struct tg_gql_ctx *g, const char *src, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->g = g;
	p->lx.g = g;
	p->lx.in = src;
	p->lx.n = n;
	p->lx.line = 1;
}

bool tg_gql_parse_query(struct tg_gql_ctx *g, const char *src, size_t n, struct tg_gql_qdoc **out)
{
	struct parser p;
	struct tg_gql_qdoc *d;
	parser_init(&p, g, src, n);
	d = tg_gql_new(g, sizeof(*d));
	if (!d)
		return false;
	while (peekk(&p) != T_EOF) {
		struct tok t;
		if (p.err)
			break;
		t = peek(&p);
		if (t.kind == T_BRACEL || (t.kind == T_NAME && is_opkw(t.val))) {
			struct tg_gql_op *o = parse_operation(&p);
			if (o && !tg_gql_push(g, &d->ops, o))
				p.err = true;
		} else if (t.kind == T_NAME && tg_gql_eq(t.val, "fragment")) {
			struct tg_gql_frag *f = parse_fragment_def(&p);
			if (f && !tg_gql_push(g, &d->frags, f))
				p.err = true;
		} else {
			unexpected(&p);
		}
	}
	if (p.err || g->err.msg[0])
		return false;
	*out = d;
	return true;
}

/* ---- schema ---- */

static struct tg_gql_s parse_description(struct parser *p)
{
	struct tok t = peek(p);
	struct tg_gql_s z = {"", 0};
	if (t.kind != T_BLOCK && t.kind != T_STRING)
		return z;
	return next(p).val;
}

static void optype_item(struct parser *p, void *ctx)
{
	struct tg_gql_schemadef *s = ctx;
	struct tg_gql_optype *o = NEWP(tg_gql_optype);
	if (!o)
		return;
	o->pos = peek_pos(p);
	o->operation = op_type(p);
	expect(p, T_COLON);
	o->type = parse_name(p);
	PUSH(&s->optypes, o);
}

/* Names separated by sep, which may also lead: "& A & B", "| A | B". */
static struct tg_gql_list parse_names(struct parser *p, enum tk sep)
{
	struct tg_gql_list l = {0};
	struct tg_gql_s *s;
	skip(p, sep);
	do {
		s = NEWP(tg_gql_s);
		if (!s)
			break;
		*s = parse_name(p);
		PUSH(&l, s);
	} while (skip(p, sep) && !p->err);
	return l;
}

static struct tg_gql_list parse_implements(struct parser *p)
{
	struct tg_gql_list l = {0};
	if (tg_gql_eq(peek(p).val, "implements")) {
		next(p);
		l = parse_names(p, T_AMP);
	}
	return l;
}

/* The head of InputValueDefinition, FieldDefinition and
 * EnumValueDefinition: description and name. */
static struct tg_gql_fdef *parse_fdef_head(struct parser *p)
{
	struct tg_gql_fdef *f = NEWP(tg_gql_fdef);
	if (!f)
		return NULL;
	f->pos = peek_pos(p);
	f->desc = parse_description(p);
	f->name = parse_name(p);
	return f;
}

static void input_value_item(struct parser *p, void *ctx)
{
	struct tg_gql_list *l = ctx;
	struct tg_gql_fdef *f = parse_fdef_head(p);
	if (!f)
		return;
	expect(p, T_COLON);
	f->type = parse_typeref(p);
	if (skip(p, T_EQUALS))
		f->defval = parse_value(p, true);
	f->dirs = parse_dirs(p, true);
	PUSH(l, f);
}

static struct tg_gql_list parse_argdefs(struct parser *p)
{
	struct tg_gql_list l = {0};
	some(p, T_PARENL, T_PARENR, input_value_item, &l);
	return l;
}

static void field_item(struct parser *p, void *ctx)
{
	struct tg_gql_list *l = ctx;
	struct tg_gql_fdef *f = parse_fdef_head(p);
	if (!f)
		return;
	f->args = parse_argdefs(p);
	expect(p, T_COLON);
	f->type = parse_typeref(p);
	f->dirs = parse_dirs(p, true);
	PUSH(l, f);
}

static void enum_item(struct parser *p, void *ctx)
{
	struct tg_gql_list *l = ctx;
	struct tg_gql_fdef *f = parse_fdef_head(p);
	if (!f)
		return;
	f->dirs = parse_dirs(p, true);
	PUSH(l, f);
}

static struct tg_gql_list parse_union_members(struct parser *p)
{
	struct tg_gql_list l = {0};
	if (skip(p, T_EQUALS))
		l = parse_names(p, T_PIPE);
	return l;
}

static void set_kind(struct tg_gql_def *d, const char *k)
{
	d->kind.p = k;
	d->kind.n = strlen(k);
}

/* One type definition or extension after its keyword (kw) has been seen. */
static struct tg_gql_def *parse_typedef(struct parser *p, const char *kw, struct tg_gql_s desc,
                                        bool ext)
{
	struct tg_gql_def *d = NEWP(tg_gql_def);
	if (!d)
		return NULL;
	expect_kw(p, kw);
	d->pos = peek_pos(p);
	d->desc = desc;
	d->name = parse_name(p);
	if (strcmp(kw, "scalar") == 0) {
		set_kind(d, "SCALAR");
		d->dirs = parse_dirs(p, true);
		if (ext && d->dirs.n == 0)
			unexpected(p);
	} else if (strcmp(kw, "type") == 0 || strcmp(kw, "interface") == 0) {
		bool obj = strcmp(kw, "type") == 0;
		set_kind(d, obj ? "OBJECT" : "INTERFACE");
		if (obj || !ext)
			d->ifaces = parse_implements(p);
		d->dirs = parse_dirs(p, true);
		some(p, T_BRACEL, T_BRACER, field_item, &d->fields);
		if (ext && d->ifaces.n == 0 && d->dirs.n == 0 && d->fields.n == 0)
			unexpected(p);
	} else if (strcmp(kw, "union") == 0) {
		set_kind(d, "UNION");
		d->dirs = parse_dirs(p, true);
		d->types = parse_union_members(p);
		if (ext && d->dirs.n == 0 && d->types.n == 0)
			unexpected(p);
	} else if (strcmp(kw, "enum") == 0) {
		set_kind(d, "ENUM");
		d->dirs = parse_dirs(p, true);
		some(p, T_BRACEL, T_BRACER, enum_item, &d->evals);
		if (ext && d->dirs.n == 0 && d->evals.n == 0)
			unexpected(p);
	} else {
		set_kind(d, "INPUT_OBJECT");
		d->dirs = parse_dirs(p, !ext);
		some(p, T_BRACEL, T_BRACER, input_value_item, &d->fields);
		if (ext && d->dirs.n == 0 && d->fields.n == 0)
			unexpected(p);
	}
	return d;
}

static const char *const dir_locations[] = {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
        "SCHEMA",
        "SCALAR",
        "OBJECT",
        "FIELD_DEFINITION",
        "ARGUMENT_DEFINITION",
        "INTERFACE",
        "UNION",
        "ENUM",
        "ENUM_VALUE",
        "INPUT_OBJECT",
        "INPUT_FIELD_DEFINITION",
        NULL,
};

static void parse_dir_location(struct parser *p, struct tg_gql_dirdef *d)
{
	struct tok t = expect(p, T_NAME);
	struct tg_gql_s *s;
	for (size_t i = 0; dir_locations[i]; i++)
		if (tg_gql_eq(t.val, dir_locations[i])) {
			s = NEWP(tg_gql_s);
			if (!s)
				return;
			s->p = dir_locations[i];
			s->n = strlen(dir_locations[i]);
			PUSH(&d->locs, s);
			return;
		}
	unexpected_tok(p, t);
	s = NEWP(tg_gql_s);
	if (s) {
		s->p = "";
		PUSH(&d->locs, s);
	}
}

static struct tg_gql_dirdef *parse_dirdef(struct parser *p, struct tg_gql_s desc)
{
	struct tg_gql_dirdef *d = NEWP(tg_gql_dirdef);
	struct tok t;
	if (!d)
		return NULL;
	expect_kw(p, "directive");
	expect(p, T_AT);
	d->pos = peek_pos(p);
	d->desc = desc;
	d->name = parse_name(p);
	d->args = parse_argdefs(p);
	t = peek(p);
	if (t.kind == T_NAME && tg_gql_eq(t.val, "repeatable")) {
		d->repeatable = true;
		skip(p, T_NAME);
	}
	expect_kw(p, "on");
	skip(p, T_PIPE);
	parse_dir_location(p, d);
	while (skip(p, T_PIPE) && !p->err)
		parse_dir_location(p, d);
	return d;
}

static struct tg_gql_schemadef *parse_schemadef(struct parser *p, struct tg_gql_s desc, bool ext)
{
	struct tg_gql_schemadef *s = NEWP(tg_gql_schemadef);
	if (!s)
		return NULL;
	expect_kw(p, "schema");
	s->pos = peek_pos(p);
	s->desc = desc;
	s->dirs = parse_dirs(p, true);
	some(p, T_BRACEL, T_BRACER, optype_item, s);
	if (ext && s->dirs.n == 0 && s->optypes.n == 0)
		unexpected(p);
	return s;
}

static bool is_typekw(struct tg_gql_s v)
{
	return tg_gql_eq(v, "scalar") || tg_gql_eq(v, "type") || tg_gql_eq(v, "interface") ||
	       tg_gql_eq(v, "union") || tg_gql_eq(v, "enum") || tg_gql_eq(v, "input");
}

static char *kw_of(struct tg_gql_s v, char *buf)
{
	size_t n = v.n < 15 ? v.n : 15;
	memcpy(buf, v.p, n);
	buf[n] = '\0';
	return buf;
}

bool tg_gql_parse_schema(struct tg_gql_ctx *g, const char *src, size_t n, bool builtin,
                         struct tg_gql_sdoc **out)
{
	struct parser p;
	struct tg_gql_sdoc *d;
	char kw[16];
	parser_init(&p, g, src, n);
	p.lx.prelude = builtin;
	d = tg_gql_new(g, sizeof(*d));
	if (!d)
		return false;
	peek_pos(&p);
	while (peekk(&p) != T_EOF) {
		struct tg_gql_s desc = {"", 0};
		struct tok t;
		if (p.err)
			break;
		if (peekk(&p) == T_BLOCK || peekk(&p) == T_STRING)
			desc = parse_description(&p);
		t = peek(&p);
		if (t.kind != T_NAME) {
			unexpected(&p);
			break;
		}
		if (is_typekw(t.val)) {
			struct tg_gql_def *df = parse_typedef(&p, kw_of(t.val, kw), desc, false);
			if (df && !tg_gql_push(g, &d->defs, df))
				p.err = true;
		} else if (tg_gql_eq(t.val, "schema")) {
			struct tg_gql_schemadef *s = parse_schemadef(&p, desc, false);
			if (s && !tg_gql_push(g, &d->schema, s))
				p.err = true;
		} else if (tg_gql_eq(t.val, "directive")) {
			struct tg_gql_dirdef *dd = parse_dirdef(&p, desc);
			if (dd && !tg_gql_push(g, &d->directives, dd))
				p.err = true;
		} else if (tg_gql_eq(t.val, "extend")) {
			struct tg_gql_s none = {"", 0};
			struct tok k;
			if (desc.n)
				unexpected_tok(&p, p.prev);
			expect_kw(&p, "extend");
			k = peek(&p);
			if (tg_gql_eq(k.val, "schema")) {
				struct tg_gql_schemadef *s = parse_schemadef(&p, none, true);
				if (s && !tg_gql_push(g, &d->schema_ext, s))
					p.err = true;
			} else if (is_typekw(k.val)) {
				struct tg_gql_def *df =
				        parse_typedef(&p, kw_of(k.val, kw), none, true);
				if (df && !tg_gql_push(g, &d->exts, df))
					p.err = true;
			} else {
				unexpected(&p);
			}
		} else {
			unexpected(&p);
			break;
		}
	}
	if (p.err || g->err.msg[0])
		return false;
	for (size_t i = 0; i < d->defs.n; i++)
		((struct tg_gql_def *)d->defs.v[i])->builtin = builtin;
	for (size_t i = 0; i < d->exts.n; i++)
		((struct tg_gql_def *)d->exts.v[i])->builtin = builtin;
	*out = d;
	return true;
}
