/* SPDX-License-Identifier: Apache-2.0 */
/*
 * time.c - RFC 3339 parsing and formatting without the C library's
 * locale- and TZ-dependent functions.
 */
#include "core/time.h"

#include <stdio.h>
#include <time.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t tg_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

static int digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	int v = 0;
	size_t i;
	if (at > n || count > n - at)
		return 0;
	for (i = 0; i < count; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 1;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

tg_err tg_time_parse(const char *s, size_t n, struct tg_time *out, struct tg_diag *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	int32_t nsec = 0;
	size_t i = 19;

	if (!digits(s, n, 0, 4, &Y) || n < 20 || s[4] != '-' || !digits(s, n, 5, 2, &M) ||
	    s[7] != '-' || !digits(s, n, 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &m) ||
	    s[16] != ':' || !digits(s, n, 17, 2, &sec)) {
		tg_diag_set(d, "not an RFC 3339 date-time (want YYYY-MM-DDTHH:MM:SSZ)");
		return TG_E_PARSE;
	}
	if (M < 1 || M > 12 || D < 1 ||
	    D > mdays[M - 1] + (M == 2 && is_leap(Y)) || h > 23 || m > 59 || sec > 59) {
		tg_diag_set(d, "date or time field out of range");
		return TG_E_PARSE;
	}
	if (i < n && s[i] == '.') {
		size_t nd = 0;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (nd == 9) {
				tg_diag_set(d, "more than 9 fractional digits");
				return TG_E_PARSE;
			}
			nsec = nsec * 10 + (s[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0) {
			tg_diag_set(d, "empty fraction of a second");
			return TG_E_PARSE;
		}
		for (; nd < 9; nd++)
			nsec *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (!digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
		    !digits(s, n, i + 4, 2, &om) || oh > 23 || om > 59) {
			tg_diag_set(d, "bad UTC offset (want Z or +HH:MM)");
			return TG_E_PARSE;
		}
		i += 6;
	} else {
		tg_diag_set(d, "missing time zone (want Z or +HH:MM)");
		return TG_E_PARSE;
	}
	if (i != n) {
		tg_diag_set(d, "trailing characters after date-time");
		return TG_E_PARSE;
	}
	out->sec = tg_days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 +
		   sec - sign * (oh * 3600 + om * 60);
	out->nsec = nsec;
	return TG_OK;
}

tg_err tg_time_format(struct tg_time t, char *dst, size_t dstlen)
{
	int64_t days = t.sec / 86400, rem = t.sec % 86400, y;
	unsigned mo, da;
	int n;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &da);
	if (y < 0 || y > 9999 || t.nsec < 0 || t.nsec > 999999999)
		return TG_E_RANGE;
	n = snprintf(dst, dstlen, "%04d-%02u-%02uT%02d:%02d:%02d", (int)y, mo, da,
		     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (n < 0 || (size_t)n >= dstlen)
		return TG_E_TOOBIG;
	if (t.nsec) {
		char frac[11];
		int k = 9;
		int32_t v = t.nsec;
		frac[0] = '.';
		frac[10] = '\0';
		for (k = 9; k >= 1; k--) {
			frac[k] = (char)('0' + v % 10);
			v /= 10;
		}
		for (k = 9; k > 1 && frac[k] == '0'; k--)
			frac[k] = '\0';
		if ((size_t)n + (size_t)k + 2 > dstlen)
			return TG_E_TOOBIG;
		n += snprintf(dst + n, dstlen - (size_t)n, "%s", frac);
	}
	if ((size_t)n + 2 > dstlen)
		return TG_E_TOOBIG;
	dst[n] = 'Z';
	dst[n + 1] = '\0';
	return TG_OK;
}

struct tg_time tg_time_now(void)
{
	struct timespec ts;
	struct tg_time t;
	clock_gettime(CLOCK_REALTIME, &ts);
	t.sec = ts.tv_sec;
	t.nsec = (int32_t)ts.tv_nsec;
	return t;
}
