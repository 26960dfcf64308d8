/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time.h - RFC 3339 timestamps and the clock. Times are seconds since the
 * Unix epoch (UTC) plus nanoseconds; leap seconds are not representable and
 * "60" seconds is rejected.
 */
#ifndef TG_CORE_TIME_H
#define TG_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct tg_time {
	int64_t sec;  /* seconds since 1970-01-01T00:00:00Z */
	int32_t nsec; /* 0..999999999 */
};

/*
 * Parses an RFC 3339 date-time (section 5.6): "YYYY-MM-DDTHH:MM:SS",
 * optional fraction of up to 9 digits, then "Z" or "+HH:MM"/"-HH:MM".
 * 'T' and 'Z' may be lower case (RFC 3339 5.6 note). Years 0000-9999.
 * TG_E_PARSE with a message in d on any deviation.
 */
tg_err tg_time_parse(const char *s, size_t n, struct tg_time *out,
		     struct tg_diag *d) TG_MUST_CHECK;

/* Formats as "YYYY-MM-DDTHH:MM:SSZ" (with ".fffffffff" trimmed of trailing
 * zeros when nsec != 0) into dst (at least TG_TIME_STR_MAX bytes). */
#define TG_TIME_STR_MAX 40
tg_err tg_time_format(struct tg_time t, char *dst, size_t dstlen) TG_MUST_CHECK;

/* Current wall-clock time. */
struct tg_time tg_time_now(void);

/* Days since the epoch for a proleptic Gregorian date (no validation). */
int64_t tg_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
