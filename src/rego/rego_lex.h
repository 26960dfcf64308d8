/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_lex.h - the Rego scanner's tokens and the declarations that the
 * parser's files (rego_lex.c, rego_parse.c, rego_annot.c, rego_fmt.c) share.
 * Internal to src/rego; nothing outside the parser includes it.
 */
#ifndef TG_REGO_LEX_H
#define TG_REGO_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"
#include "rego/rego_ast.h"

/*
 * Token kinds. Identifiers that spell a keyword are scanned as TK_IDENT
 * with kw set: the parser decides whether a future keyword (in, every,
 * contains, if) is one, since that depends on imports. A run of
 * whitespace and comments between two tokens is one TK_WS token (OPA
 * scans one rune at a time, but every caller skips the whole run once it
 * has seen that there is one).
 */
enum tg_rego_tok {
	TK_ILLEGAL = 0,
	TK_EOF,
	TK_WS,
	TK_IDENT,
	TK_NUMBER,
	TK_STRING,   /* "..." or `...` (flag TF_RAW) */
	TK_TPL_PART, /* template string text up to an opening '{' */
	TK_TPL_END,  /* template string text up to the closing quote */
	TK_LBRACK,
	TK_RBRACK,
	TK_LBRACE,
	TK_RBRACE,
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_COLON,
	TK_ADD,
	TK_SUB,
	TK_MUL,
	TK_QUO,
	TK_REM,
	TK_AND,
	TK_OR,
	TK_UNIFY,
	TK_EQUAL,
	TK_ASSIGN,
	TK_NEQ,
	TK_GT,
	TK_LT,
	TK_GTE,
	TK_LTE,
	TK_DOT,
	TK_SEMI,
	/* keywords: the parser turns TK_IDENT with kw into these */
	TK_PACKAGE,
	TK_IMPORT,
	TK_AS,
	TK_DEFAULT,
	TK_ELSE,
	TK_NOT,
	TK_SOME,
	TK_WITH,
	TK_NULL,
	TK_TRUE,
	TK_FALSE,
	TK_IN,
	TK_EVERY,
	TK_CONTAINS,
	TK_IF,
	TK_COUNT_
};

#define TF_NL 0x01       /* TK_WS: the run holds a newline */
#define TF_RAW 0x02      /* TK_STRING, TK_TPL_*: raw (backquoted) */
#define TF_ESC 0x04      /* TK_STRING, TK_TPL_*: holds a backslash */
#define TF_TPL_CONT 0x08 /* TK_TPL_*: text that continues after a '}' */

/* 20 bytes: a 16 MiB source may hold millions of tokens. */
struct tg_rego_token {
	uint8_t kind;  /* enum tg_rego_tok */
	uint8_t kw;    /* TK_IDENT: the keyword it spells, or 0 */
	uint8_t flags; /* TF_* */
	uint8_t msg;   /* TK_ILLEGAL: the scanner's message (tg_rego_tok_msg), or 0 */
	uint32_t off;  /* byte offset of the token */
	uint32_t len;  /* bytes of the token */
	uint32_t row;  /* 1-based */
	uint32_t col;  /* 1-based, bytes */
};

struct tg_rego_comment {
	uint32_t off, len; /* text after '#', without a trailing '\r' */
	uint32_t row, col; /* of the '#' */
};

struct tg_rego_lexed {
	struct tg_rego_token *toks; /* malloc'd; ends with TK_EOF */
	size_t ntoks;
	struct tg_rego_comment *comments; /* malloc'd */
	size_t ncomments;
};

/*
 * Scans n bytes of Rego source into tokens. Scanner errors become
 * TK_ILLEGAL tokens carrying a message; they are reported only when the
 * parser reaches them, as OPA's lazy scanner does. Returns TG_E_TOOBIG
 * past TG_LIMIT_REGO_TOKENS. Release with tg_rego_lexed_release.
 */
tg_err tg_rego_lex(const char *text, size_t n, struct tg_rego_lexed *out) TG_MUST_CHECK;
void tg_rego_lexed_release(struct tg_rego_lexed *lx);

/* The scanner's message on an illegal token ("non-terminated string"), or
 * NULL. */
const char *tg_rego_tok_msg(const struct tg_rego_token *t);

/* The spelling of a token kind as OPA prints it in messages ("identifier",
 * "plus", "[", "if", ...). */
const char *tg_rego_tok_name(int kind);

/* True when s (n bytes) is a keyword in Rego v1 (for rule names and
 * import aliases). */
bool tg_rego_is_keyword_v1(const char *s, size_t n);

/* ---- shared by the parser files ---- */

/*
 * Parses the METADATA comment blocks of a module and attaches them to the
 * package and rules (rego_annot.c). stmt_rows lists the first row of each
 * statement in order (package, imports, rules), stmt_kind says which
 * (0 package, 1 import, 2 rule) and stmt_rule the rule for kind 2.
 */
struct tg_rego_stmt_ref {
	uint32_t row;
	int kind;
	struct tg_rego_rule *rule;
};
tg_err tg_rego_annotations_attach(struct tg_arena *a, struct tg_rego_module *m, const char *text,
                                  size_t n, const struct tg_rego_lexed *lx,
                                  const struct tg_rego_stmt_ref *stmts, size_t nstmts,
                                  struct tg_rego_error *err) TG_MUST_CHECK;

/* OPA's name for a term's value type in messages: "var", "ref", "call",
 * "string", "arraycomprehension", ... */
const char *tg_rego_value_name(const struct tg_rego_term *t);

#endif
