/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - tollgate's one list of error codes and parser diagnostics.
 * The X-macro below feeds both the enum and tg_strerror(); a code keeps
 * its number and meaning forever (they reach logs, the API and exit paths).
 */
#ifndef TG_CORE_ERR_H
#define TG_CORE_ERR_H

#include <stddef.h>
#include <stdint.h>

#define TG_MUST_CHECK __attribute__((warn_unused_result))
#define TG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* X(NAME, number, "message") - append only, never renumber. */
#define TG_ERRORS(X)                                                        \
	X(OK, 0, "success")                                                 \
	X(INTERNAL, 1, "internal error")                                    \
	X(INVAL, 2, "invalid argument")                                     \
	X(TOOBIG, 3, "limit exceeded")                                      \
	X(PARSE, 4, "malformed input")                                      \
	X(IO, 5, "input/output error")                                      \
	X(NOTFOUND, 6, "not found")                                         \
	X(EXISTS, 7, "already exists")                                      \
	X(VERIFY, 8, "verification failed")                                 \
	X(UNSUPPORTED, 9, "unsupported")                                    \
	X(CRYPTO, 10, "cryptographic operation failed")                     \
	X(EXPIRED, 11, "expired")                                           \
	X(NOTYET, 12, "not yet valid")                                      \
	X(DEPTH, 13, "nesting too deep")                                    \
	X(DUPKEY, 14, "duplicate key")                                      \
	X(RANGE, 15, "value out of range")                                  \
	X(PERM, 16, "permission denied")                                    \
	X(DENIED, 17, "denied")                                             \
	X(TIMEOUT, 18, "timed out")                                         \
	X(AGAIN, 19, "try again")                                           \
	X(CONFLICT, 20, "conflict")                                         \
	X(STATE, 21, "invalid state")                                       \
	X(TYPE, 22, "wrong type")                                           \
	X(ENCODING, 23, "invalid encoding")                                 \
	X(KEY, 24, "unusable key")                                          \
	X(ALG, 25, "algorithm not allowed")                                 \
	X(CLAIM, 26, "claim check failed")                                  \
	X(USAGE, 27, "usage error")

typedef enum tg_err {
#define TG_ERR_ENUM_(name, num, msg) TG_E_##name = (num),
	TG_ERRORS(TG_ERR_ENUM_)
#undef TG_ERR_ENUM_
} tg_err;

#define TG_OK TG_E_OK

/* Returns a static, lower-case message for a code; never NULL. */
const char *tg_strerror(tg_err e);

/* Returns the code's symbolic name ("TG_E_PARSE"); never NULL. */
const char *tg_errname(tg_err e);

/*
 * A diagnostic says what failed and where. Parsers fill line and column
 * (1-based; 0 means unknown) and the byte offset; other layers fill only msg.
 * Callers pass NULL when they do not want one.
 */
#define TG_DIAG_MSG_MAX 256
struct tg_diag {
	uint32_t line;
	uint32_t col;
	size_t offset;
	char msg[TG_DIAG_MSG_MAX];
};

/* Clears a diagnostic to "no message, unknown position". */
void tg_diag_init(struct tg_diag *d);

/* Sets the message (printf-style) and leaves the position untouched.
 * Does nothing when d is NULL. Long messages are truncated. */
void tg_diag_set(struct tg_diag *d, const char *fmt, ...) TG_PRINTF(2, 3);

/* Sets the message and the position. Does nothing when d is NULL. */
void tg_diag_at(struct tg_diag *d, uint32_t line, uint32_t col, size_t offset,
		const char *fmt, ...) TG_PRINTF(5, 6);

/* Prepends "prefix: " to an existing message (adds context on the way up). */
void tg_diag_prefix(struct tg_diag *d, const char *fmt, ...) TG_PRINTF(2, 3);

/* Sets the message from a code when the diagnostic has none yet; returns e,
 * so that `return tg_diag_fill(d, e);` reads naturally. */
tg_err tg_diag_fill(struct tg_diag *d, tg_err e);

#endif
