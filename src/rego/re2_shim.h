/* SPDX-License-Identifier: Apache-2.0 */
/*
 * re2_shim.h - a small C API over RE2 (Debian's libre2) with the syntax and
 * match semantics of Go's regexp package, which OPA's regex built-ins use:
 * leftmost-first matching, Perl classes, UTF-8, Go's error messages.
 */

/*
 * Compiled expressions are cached per process (at most
 * TG_LIMIT_REGEX_CACHE patterns; an arbitrary entry is evicted when full)
 * and reference counted, so they may be shared between threads. The only
 * C++ in tollgate lives behind this header (re2_shim.cc); no exception
 * crosses it: allocation failure inside RE2 is reported as TG_E_INTERNAL.
 */
#ifndef TG_REGO_RE2_SHIM_H
#define TG_REGO_RE2_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* tollgate's C headers carry no extern "C" of their own */
#include "core/buf.h"
#include "core/err.h"

struct tg_rego_re;

/* Longest message tg_rego_re_compile writes, with its NUL. */
#define TG_REGO_RE_ERR_MAX 256

/*
 * Compiles pattern (n bytes of UTF-8) with Go's regexp.Compile syntax, or
 * takes it from the cache; *out holds a reference the caller releases.
 * TG_E_PARSE with Go's message in err ("error parsing regexp: missing
 * closing ]: `[`"), TG_E_TOOBIG for a pattern over TG_LIMIT_REGEX_PATTERN
 * bytes or one whose program exceeds RE2's memory budget.
 */
tg_err tg_rego_re_compile(const char *pattern, size_t n, struct tg_rego_re **out, char *err,
			  size_t errlen) TG_MUST_CHECK;

/* Drops a reference (NULL ok). */
void tg_rego_re_release(struct tg_rego_re *re);

/* Number of capturing groups (the whole match not counted). */
int tg_rego_re_ngroups(const struct tg_rego_re *re);

/*
 * Searches text (len bytes) for the leftmost-first match starting at or
 * after pos, with the whole text as context for ^, $ and \b. On a match
 * returns 1 and writes up to nofs offsets: ofs[2i], ofs[2i+1] are the start
 * and end of group i (group 0 is the match), -1 for a group that did not
 * participate. Returns 0 when there is no match, -1 on internal failure.
 */
int tg_rego_re_search(const struct tg_rego_re *re, const char *text, size_t len, size_t pos,
		      long *ofs, int nofs);

/*
 * Go's FindAll*SubmatchIndex: successive non-overlapping matches, at most
 * max of them (max < 0: all), an empty match right after a previous match
 * skipped. cb receives the offsets of each match (2 * (ngroups + 1) values,
 * -1 for unmatched groups) and returns TG_OK to continue; any other code
 * stops the walk and is returned.
 */
typedef tg_err (*tg_rego_re_match_fn)(void *ctx, const long *ofs, int nofs);
tg_err tg_rego_re_find_all(const struct tg_rego_re *re, const char *text, size_t len, long max,
			   tg_rego_re_match_fn cb, void *ctx) TG_MUST_CHECK;

/*
 * Go's ReplaceAllString: every match of re in text is replaced by repl with
 * $1, ${1}, $name, ${name} expanded (names are the longest run of letters,
 * digits and '_'; an unknown group expands to nothing; $$ is a '$').
 * Appends the result to out (its cap bounds the output: TG_E_TOOBIG).
 */
tg_err tg_rego_re_replace_all(const struct tg_rego_re *re, const char *text, size_t len,
			      const char *repl, size_t rlen, struct tg_buf *out) TG_MUST_CHECK;

/* Number of patterns in the process cache (for tests). */
size_t tg_rego_re_cache_size(void);

#ifdef __cplusplus
}
#endif

#endif
