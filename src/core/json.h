/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the one value model of tollgate: JSON (RFC 8259) plus the set
 * type that Rego adds. Values are immutable once built, live in an arena,
 * and may be shared between threads. Numbers keep their literal text, so
 * they print as written and compare exactly at any size.
 */

/*
 * Objects and sets are kept sorted by the total order of tg_json_cmp (keys
 * of objects, elements of sets) and hold no duplicates; lookups are binary
 * searches. The total order is OPA's: null < boolean < number < string <
 * array < object < set.
 */
#ifndef TG_CORE_JSON_H
#define TG_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

enum tg_json_type {
	TG_JSON_NULL = 0,
	TG_JSON_BOOL = 1,
	TG_JSON_NUMBER = 2,
	TG_JSON_STRING = 3,
	TG_JSON_ARRAY = 4,
	TG_JSON_OBJECT = 5,
	TG_JSON_SET = 6,
};

struct tg_json;

struct tg_json_member {
	const struct tg_json *key; /* a string for JSON; any value in Rego */
	const struct tg_json *val;
};

struct tg_json {
	uint8_t type;  /* enum tg_json_type */
	uint8_t flags; /* TG_JSON_F_* */
	uint32_t pos;  /* byte offset in the parsed text where this value (or
			* key) began, for diagnostics; 0 when built */
	union {
		bool b;
		/* STRING: UTF-8 bytes, NUL-terminated, may contain NUL.
		 * NUMBER: the literal, RFC 8259 6 grammar, NUL-terminated. */
		struct {
			const char *p;
			size_t len;
		} s;
		/* ARRAY in order; SET sorted and unique. */
		struct {
			const struct tg_json *const *items;
			size_t len;
		} a;
		/* OBJECT sorted by key and unique. */
		struct {
			const struct tg_json_member *items;
			size_t len;
		} o;
	} u;
};

/* NUMBER flag: the literal has no fraction and no exponent. */
#define TG_JSON_F_INTLIT 0x01

/* Shared immutable singletons. */
extern const struct tg_json tg_json_null_v;
extern const struct tg_json tg_json_true_v;
extern const struct tg_json tg_json_false_v;
extern const struct tg_json tg_json_empty_array_v;
extern const struct tg_json tg_json_empty_object_v;

/* ---- parsing ---- */

enum tg_json_dup {
	TG_JSON_DUP_REJECT = 0, /* strict: a repeated key is an error (default) */
	TG_JSON_DUP_LAST = 1,   /* ECMAScript JSON.parse: the last one wins */
};

struct tg_json_parse_opts {
	enum tg_json_dup dup;     /* what to do with repeated object keys */
	unsigned max_depth;       /* 0: TG_LIMIT_JSON_DEPTH */
	bool allow_trailing;      /* leave *consumed at the end of the value and
				   * do not require only whitespace after it */
};

/*
 * Parses one JSON text of len bytes into values allocated in arena a.
 * opts may be NULL (strict: duplicate keys rejected, default depth).
 * Errors: TG_E_PARSE (syntax, invalid UTF-8, lone surrogate), TG_E_DUPKEY,
 * TG_E_DEPTH, TG_E_TOOBIG (arena cap or a limit in limits.h); d gets the
 * line, column (1-based, bytes) and a message. On error *out is untouched;
 * the arena may hold partial allocations until it is released.
 * consumed (may be NULL) receives the bytes used when allow_trailing.
 */
tg_err tg_json_parse(struct tg_arena *a, const void *text, size_t len,
		     const struct tg_json_parse_opts *opts, const struct tg_json **out,
		     size_t *consumed, struct tg_diag *d) TG_MUST_CHECK;

/*
 * Like tg_json_parse (no trailing data allowed) for data documents that are
 * loaded once and read many times: equal keys, strings and numbers of up
 * to 64 bytes, and arrays and objects of up to 8 items are built once and
 * shared within the document (values are immutable, so this is invisible
 * to readers except through pos, which for a shared value is where it
 * first appeared). Costs a transient cache of up to 3 MiB.
 */
tg_err tg_json_parse_data(struct tg_arena *a, const void *text, size_t len,
			  const struct tg_json_parse_opts *opts, const struct tg_json **out,
			  struct tg_diag *d) TG_MUST_CHECK;

/*
 * tg_json_parse_data for the file open on fd, of at most max bytes
 * (TG_E_TOOBIG beyond). A regular file is read through a private
 * read-only mapping whose pages are given back as the parser moves past
 * them, so the text never sits in memory whole; other files (pipes) are
 * read to their end first. TG_E_IO when the file cannot be read; d gets a
 * message without the file's name. The file must not shrink while it is
 * parsed (the mapping would fault). fd stays open.
 */
tg_err tg_json_parse_fd(struct tg_arena *a, int fd, size_t max,
			const struct tg_json_parse_opts *opts, const struct tg_json **out,
			struct tg_diag *d) TG_MUST_CHECK;

/* ---- emitting ---- */

#define TG_JSON_EMIT_PRETTY 0x01 /* two-space indentation, one member per line */
#define TG_JSON_EMIT_ASCII 0x02  /* escape every non-ASCII character as \uXXXX */

/* Appends v as JSON text. Numbers are written as their literal; sets as
 * arrays; objects with non-string keys yield TG_E_TYPE. On error out is
 * restored to its previous length. */
tg_err tg_json_emit(struct tg_buf *out, const struct tg_json *v, unsigned flags) TG_MUST_CHECK;
/* Appends the n bytes at s as one JSON string (quoted, escaped as
 * tg_json_emit does); TG_E_ENCODING, and out unchanged, unless they are
 * UTF-8. */
tg_err tg_json_add_string(struct tg_buf *out, const char *s, size_t n) TG_MUST_CHECK;

/*
 * Appends the RFC 8785 (JCS) canonical form of v: members sorted by the
 * UTF-16 code units of their keys, numbers in ECMAScript shortest form of
 * their IEEE 754 double, minimal string escapes, no whitespace.
 * TG_E_RANGE for a number outside the double range; TG_E_TYPE for a set
 * or a non-string key. On error out is restored to its previous length.
 */
tg_err tg_json_canon(struct tg_buf *out, const struct tg_json *v) TG_MUST_CHECK;

/* Appends the ECMAScript Number::toString form of a finite double. */
tg_err tg_json_format_double(struct tg_buf *out, double x) TG_MUST_CHECK;

/* ---- building (all allocate in a; NULL / TG_E_TOOBIG past its cap) ---- */

/* A string value; the bytes must be valid UTF-8 (TG_E_ENCODING if not). */
tg_err tg_json_new_string(struct tg_arena *a, const char *s, size_t n,
			  const struct tg_json **out) TG_MUST_CHECK;
/* A number from its literal; TG_E_PARSE unless it follows RFC 8259 6. */
tg_err tg_json_new_number(struct tg_arena *a, const char *lit, size_t n,
			  const struct tg_json **out) TG_MUST_CHECK;
tg_err tg_json_new_int(struct tg_arena *a, int64_t v, const struct tg_json **out) TG_MUST_CHECK;
/* An array holding the n item pointers (the pointer array is copied). */
tg_err tg_json_new_array(struct tg_arena *a, const struct tg_json *const *items, size_t n,
			 const struct tg_json **out) TG_MUST_CHECK;
/* An object from n members in any order; sorts them and applies dup
 * (TG_E_DUPKEY under TG_JSON_DUP_REJECT). The member array is copied. */
tg_err tg_json_new_object(struct tg_arena *a, const struct tg_json_member *m, size_t n,
			  enum tg_json_dup dup, const struct tg_json **out) TG_MUST_CHECK;
/* A set from n elements in any order; duplicates collapse. */
tg_err tg_json_new_set(struct tg_arena *a, const struct tg_json *const *items, size_t n,
		       const struct tg_json **out) TG_MUST_CHECK;

/* ---- reading ---- */

static inline const struct tg_json *tg_json_bool(bool b)
{
	return b ? &tg_json_true_v : &tg_json_false_v;
}

/* Returns the member value for a string key, or NULL (also when obj is not
 * an object). */
const struct tg_json *tg_json_get(const struct tg_json *obj, const char *key);
const struct tg_json *tg_json_getn(const struct tg_json *obj, const char *key, size_t n);

/* Returns the member value for any key value, or NULL. */
const struct tg_json *tg_json_get_value(const struct tg_json *obj, const struct tg_json *key);

/* True when set contains elem. */
bool tg_json_set_has(const struct tg_json *set, const struct tg_json *elem);

/* Typed getters: TG_E_NOTFOUND when absent, TG_E_TYPE when of another
 * type. Strings point into the value (valid as long as it lives). */
tg_err tg_json_get_string(const struct tg_json *obj, const char *key, const char **s,
			  size_t *n) TG_MUST_CHECK;
tg_err tg_json_get_i64(const struct tg_json *obj, const char *key, int64_t *v) TG_MUST_CHECK;
tg_err tg_json_get_bool(const struct tg_json *obj, const char *key, bool *v) TG_MUST_CHECK;

/* True when the string value equals the NUL-terminated s. */
bool tg_json_str_eq(const struct tg_json *v, const char *s);

/* The exact integer value of a number, when it is integral and fits:
 * "1e3" and "10.0" are 1000 and 10; "1.5" is TG_E_TYPE, 1e30 TG_E_RANGE. */
tg_err tg_json_num_i64(const struct tg_json *v, int64_t *out) TG_MUST_CHECK;

/* The nearest double; TG_E_RANGE when the literal overflows a double. */
tg_err tg_json_num_double(const struct tg_json *v, double *out) TG_MUST_CHECK;

/* ---- order ---- */

/* Total order over all values (OPA's): <0, 0, >0. Numbers compare by exact
 * decimal value (1 == 1.0 == 1e0), strings byte-wise, arrays element-wise
 * then by length, objects by sorted (key, value) pairs then size, sets by
 * sorted elements then size. */
int tg_json_cmp(const struct tg_json *a, const struct tg_json *b);

static inline bool tg_json_eq(const struct tg_json *a, const struct tg_json *b)
{
	return tg_json_cmp(a, b) == 0;
}

/* Exact comparison of two number literals (RFC 8259 6 grammar). */
int tg_json_numlit_cmp(const char *a, size_t an, const char *b, size_t bn);

/* True when the n bytes are a valid RFC 8259 number literal. */
bool tg_json_numlit_valid(const char *s, size_t n);

/* Returns the type's name as OPA spells it ("null", "boolean", "number",
 * "string", "array", "object", "set"). */
const char *tg_json_type_name(enum tg_json_type t);

#endif
