/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rego_bi.h - what the built-in files of strings, regex, glob, time,
 * crypto and net share: operand checks with OPA's messages, result
 * builders, and Go-compatible formatting (fmt, strconv, base64, terms).
 */

/*
 * OPA's built-ins are written in Go and their outputs carry Go's
 * conventions: fmt.Sprintf verbs, strconv.Quote, shortest float digits,
 * base64 decoders that skip CR/LF and name the offending byte, and OPA's
 * own String() of a term. These helpers reproduce them so that results
 * and messages match OPA byte for byte where it matters to policies.
 * Internal to src/rego.
 */
#ifndef TG_REGO_BI_H
#define TG_REGO_BI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/json.h"
#include "rego/rego_builtin.h"

/* ---- operands (messages as OPA's topdown/builtins prints them) ---- */

/* The string operand i (1-based) of args; TG_E_TYPE otherwise. */
tg_err tg_rego_bi_str(struct tg_rego_bctx *c, const struct tg_json *v, size_t i, const char **s,
		      size_t *n) TG_MUST_CHECK;

/*
 * An integer operand, as OPA's IntOperand: a number whose literal is a
 * plain integer that fits in 64 bits. "operand i must be number but got
 * X" (TG_E_TYPE) or "operand i must be integer number but got
 * floating-point number" (TG_E_TYPE).
 */
tg_err tg_rego_bi_int(struct tg_rego_bctx *c, const struct tg_json *v, size_t i,
		      int64_t *out) TG_MUST_CHECK;

/* "operand i must be one of {a, b} but got X" (TG_E_TYPE); wants is a
 * NULL-terminated list. */
tg_err tg_rego_bi_type_error_any(struct tg_rego_bctx *c, size_t i, const char *const *wants,
				 const struct tg_json *got);

/* "operand i must be array of strings but got array containing number"
 * (TG_E_TYPE): an element of a collection has the wrong type. */
tg_err tg_rego_bi_elem_error(struct tg_rego_bctx *c, size_t i, const struct tg_json *coll,
			     const struct tg_json *elem, const char *want);

/* An eval_builtin_error with the message (TG_E_INVAL). */
tg_err tg_rego_bi_fail(struct tg_rego_bctx *c, const char *fmt, ...) TG_PRINTF(2, 3);

/* Subtracts n steps from the evaluation budget; TG_E_TOOBIG (with a
 * message) when it runs out. */
tg_err tg_rego_bi_charge(struct tg_rego_bctx *c, uint64_t n) TG_MUST_CHECK;

/* ---- results (in the evaluation's arena) ---- */

/* A string result from n bytes (which must be valid UTF-8). */
tg_err tg_rego_bi_new_str(struct tg_rego_bctx *c, const char *s, size_t n,
			  const struct tg_json **out) TG_MUST_CHECK;
/* A string result from a buffer's contents. */
tg_err tg_rego_bi_buf_str(struct tg_rego_bctx *c, const struct tg_buf *b,
			  const struct tg_json **out) TG_MUST_CHECK;

/* A growing list of values that becomes an array or a set. */
struct tg_rego_bi_list {
	const struct tg_json **items;
	size_t len, cap;
	struct tg_arena *a;
};
void tg_rego_bi_list_init(struct tg_rego_bi_list *l, struct tg_arena *a);
tg_err tg_rego_bi_list_add(struct tg_rego_bi_list *l, const struct tg_json *v) TG_MUST_CHECK;
tg_err tg_rego_bi_list_array(struct tg_rego_bi_list *l, const struct tg_json **out) TG_MUST_CHECK;
tg_err tg_rego_bi_list_set(struct tg_rego_bi_list *l, const struct tg_json **out) TG_MUST_CHECK;

/* ---- UTF-8 ---- */

/* Decodes the rune at s[0..n) (valid UTF-8 assumed; invalid bytes give
 * U+FFFD with width 1); returns its width, 0 at the end. */
size_t tg_rego_bi_rune(const char *s, size_t n, uint32_t *r);
/* Number of runes in valid UTF-8. */
size_t tg_rego_bi_runes(const char *s, size_t n);
/* Appends the UTF-8 form of r (U+FFFD for an invalid rune). */
tg_err tg_rego_bi_put_rune(struct tg_buf *b, uint32_t r) TG_MUST_CHECK;

/* ---- Go formatting ---- */

/* strconv.Quote (ascii: QuoteToASCII). */
tg_err tg_rego_go_quote(struct tg_buf *b, const char *s, size_t n, bool ascii) TG_MUST_CHECK;
/* strconv.FormatFloat(x, 'g', -1, 64): shortest digits that round-trip. */
tg_err tg_rego_go_float(struct tg_buf *b, double x) TG_MUST_CHECK;
/* OPA's term String(): strings quoted, "set()" for the empty set,
 * elements joined by ", ", objects as {k: v}. */
tg_err tg_rego_go_term(struct tg_buf *b, const struct tg_json *v) TG_MUST_CHECK;
/* OPA's sprintf: Go's fmt.Sprintf over the elements of args (an array)
 * converted as OPA converts them (int, *big.Int, float64 or string). */
tg_err tg_rego_go_sprintf(struct tg_buf *b, const char *fmt, size_t n,
			  const struct tg_json *args) TG_MUST_CHECK;

/*
 * Go's base64 decoding: url selects the URL alphabet; CR and LF are
 * skipped; padding is required when pad, refused when !pad... as Go's
 * StdEncoding/URLEncoding (pad) and Raw*Encoding (!pad). On a bad byte
 * returns TG_E_ENCODING with *bad set to its offset (Go's "illegal base64
 * data at input byte N"). Appends to out.
 */
tg_err tg_rego_go_b64_decode(const char *s, size_t n, bool url, bool pad, struct tg_buf *out,
			     size_t *bad) TG_MUST_CHECK;
/* Appends base64 (url: RFC 4648 5 alphabet; pad: with '='). */
tg_err tg_rego_go_b64_encode(const void *p, size_t n, bool url, bool pad,
			     struct tg_buf *out) TG_MUST_CHECK;

/* The OPA base64url.decode built-in's lenient form: padding added when
 * missing; errors as Go prints them in msg. */
tg_err tg_rego_go_b64url_lenient(const char *s, size_t n, struct tg_buf *out, char *msg,
				 size_t msglen) TG_MUST_CHECK;

/* Appends the non-negative decimal integer dec[0..n) in base 2, 8 or 16
 * (lower-case digits unless upper). */
tg_err tg_rego_go_big_base(struct tg_buf *b, const char *dec, size_t n, unsigned base,
			   bool upper) TG_MUST_CHECK;

/*
 * Go's pem.Decode: finds the first well-formed block in data (text before
 * it is skipped; malformed blocks are passed over). On success fills the
 * block's type (NUL-terminated, truncated to typelen), appends its bytes to
 * der and sets *rest to the offset just after the block's END line;
 * returns false when there is no block.
 */
bool tg_rego_go_pem_decode(const char *data, size_t n, char *type, size_t typelen,
			   struct tg_buf *der, size_t *rest);

/* Go's json.Marshal of a value: compact, object keys sorted, <, >, &,
 * U+2028 and U+2029 escaped as \u003c ...; sets become arrays.
 * TG_E_TYPE for a non-string object key. */
tg_err tg_rego_go_json(struct tg_buf *b, const struct tg_json *v) TG_MUST_CHECK;

/* ---- decimal arithmetic on number literals ---- */

/*
 * An exact decimal: sign, digits (most significant first, no leading
 * zeros except the single "0") and a power-of-ten exponent, value =
 * digits * 10^exp. Digits live in the arena.
 */
struct tg_rego_dec {
	bool neg;
	char *d;
	size_t n;
	int64_t exp;
};
/* Parses a decimal literal (an optional sign, digits, '.', an exponent);
 * TG_E_PARSE if malformed, TG_E_TOOBIG beyond TG_LIMIT_JSON_NUMBER digits. */
tg_err tg_rego_dec_parse(struct tg_arena *a, const char *s, size_t n,
			 struct tg_rego_dec *out) TG_MUST_CHECK;
/* out = x * y, exactly. */
tg_err tg_rego_dec_mul(struct tg_arena *a, const struct tg_rego_dec *x, const struct tg_rego_dec *y,
		       struct tg_rego_dec *out) TG_MUST_CHECK;
/* Appends the integer part (truncated toward zero) in decimal. */
tg_err tg_rego_dec_trunc(const struct tg_rego_dec *x, struct tg_buf *b) TG_MUST_CHECK;
/* True when x has no fractional part. */
bool tg_rego_dec_is_int(const struct tg_rego_dec *x);
/* Appends x with exactly prec digits after the point, rounded half away
 * from zero (Go's big.Rat FloatString). */
tg_err tg_rego_dec_fixed(const struct tg_rego_dec *x, int prec, struct tg_buf *b) TG_MUST_CHECK;

/* ---- X.509 and keys as Go's encoding/json shows them (builtins_x509.c) ---- */

/* One certificate's object (x509.Certificate), with OPA's URIStrings when
 * uri_strings. TG_E_PARSE with "x509: ..." in msg. */
tg_err tg_rego_x509_json(struct tg_rego_bctx *c, const uint8_t *der, size_t n, bool uri_strings,
			 const struct tg_json **out) TG_MUST_CHECK;

/* the crypto.x509.* and crypto.parse_private_keys built-ins */
tg_err tg_rego_bi_x509_parse_certificates(struct tg_rego_bctx *c,
					  const struct tg_json *const *args, size_t nargs,
					  const struct tg_json **out);
tg_err tg_rego_bi_x509_parse_and_verify(struct tg_rego_bctx *c, const struct tg_json *const *args,
					size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_x509_parse_and_verify_opts(struct tg_rego_bctx *c,
					     const struct tg_json *const *args, size_t nargs,
					     const struct tg_json **out);
tg_err tg_rego_bi_x509_parse_csr(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_x509_parse_rsa_private_key(struct tg_rego_bctx *c,
					     const struct tg_json *const *args, size_t nargs,
					     const struct tg_json **out);
tg_err tg_rego_bi_x509_parse_keypair(struct tg_rego_bctx *c, const struct tg_json *const *args,
				     size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_parse_private_keys(struct tg_rego_bctx *c, const struct tg_json *const *args,
				     size_t nargs, const struct tg_json **out);

/* ---- regex and glob built-ins (builtins_regex.c) and
 * strings.render_template (builtins_template.c), listed by the strings
 * table ---- */
tg_err tg_rego_bi_regex_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_is_valid(struct tg_rego_bctx *c, const struct tg_json *const *args,
				 size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_split(struct tg_rego_bctx *c, const struct tg_json *const *args,
			      size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_find_n(struct tg_rego_bctx *c, const struct tg_json *const *args,
			       size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_find_all_submatch(struct tg_rego_bctx *c,
					  const struct tg_json *const *args, size_t nargs,
					  const struct tg_json **out);
tg_err tg_rego_bi_regex_replace(struct tg_rego_bctx *c, const struct tg_json *const *args,
				size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_template_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
				       size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_regex_globs_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
				    size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_glob_match(struct tg_rego_bctx *c, const struct tg_json *const *args,
			     size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_render_template(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out);
tg_err tg_rego_bi_glob_quote_meta(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out);

#endif
