/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtins_time.c - Rego's time.* built-ins: Go's time.Parse and Format
 * layouts, time.ParseDuration, calendar arithmetic, and IANA time zones
 * read from the system's TZif files (/usr/share/zoneinfo).
 */

/*
 * OPA's time built-ins are Go's time package. Instants are int64
 * nanoseconds since the Unix epoch; a zone is a list of transitions and
 * offsets read from a TZif file (version 2+ 64-bit data when present) plus
 * its POSIX TZ footer for instants after the last transition, looked up
 * exactly as Go's Location.lookup does. No tzset(), no TZ environment
 * variable and no global C library state is involved, except for the zone
 * called "Local" which, as in Go, is $TZ or /etc/localtime. Zones are
 * cached per process (TG_LIMIT_TZ_CACHE of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/mem.h"
#include "rego/rego_bi.h"
#include "rego/rego_builtin.h"

#define UNUSED_NARGS (void)nargs

#define SEC_PER_DAY 86400LL
#define ALPHA INT64_MIN
#define OMEGA INT64_MAX

static const char *const long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					"Thursday", "Friday", "Saturday"};
static const char *const short_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_months[] = {"January", "February", "March",     "April",
					  "May",     "June",     "July",      "August",
					  "September", "October", "November", "December"};
static const char *const short_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ------------------------------------------------------------------ */
/* civil calendar                                                      */
/* ------------------------------------------------------------------ */

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int m, int64_t y)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* days before month m (1-based) in a non-leap year */
static int days_before(int m)
{
	static const int d[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
	return d[m - 1];
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;
	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;
	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* A broken-down time in some zone. */
struct civil {
	int64_t year;
	int month, day, hour, min, sec, nsec, wday, yday; /* yday 1-based */
	int32_t off;
	const char *abbr;
};

/* ------------------------------------------------------------------ */
/* time zones                                                          */
/* ------------------------------------------------------------------ */

struct tz_zone {
	int32_t off;
	bool dst;
	char abbr[16];
};

struct tz_tx {
	int64_t when;
	uint8_t idx;
};

struct tg_tz {
	char name[96];
	bool utc;
	struct tz_zone *z;
	size_t nz;
	struct tz_tx *tx;
	size_t ntx;
	char ext[96]; /* POSIX TZ footer */
};

static struct tg_tz tz_utc = {"UTC", true, NULL, 0, NULL, 0, ""};

/* POSIX TZ strings: Go's tzset */
struct tz_rule {
	int kind; /* 0 Julian (Jn), 1 day of year (n), 2 month-week-day (Mm.w.d) */
	int day, week, mon;
	int time;
};

static bool tzset_name(const char **ps, char *out, size_t outlen)
{
	const char *s = *ps;
	size_t n = 0;
	if (!*s)
		return false;
	if (*s != '<') {
		while (s[n] && !(s[n] >= '0' && s[n] <= '9') && s[n] != ',' && s[n] != '-' &&
		       s[n] != '+')
			n++;
		if (n < 3)
			return false;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, s, n);
		out[n] = '\0';
		while (*s && !(*s >= '0' && *s <= '9') && *s != ',' && *s != '-' && *s != '+')
			s++;
		*ps = s;
		return true;
	}
	s++;
	while (s[n] && s[n] != '>')
		n++;
	if (s[n] != '>' || n >= outlen)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*ps = s + n + 1;
	return true;
}

static bool tz_num(const char **ps, int min, int max, int *out)
{
	const char *s = *ps;
	int v = 0, k = 0;
	while (*s >= '0' && *s <= '9' && k < 9) {
		v = v * 10 + (*s - '0');
		s++;
		k++;
	}
	if (k == 0 || v < min || v > max)
		return false;
	*out = v;
	*ps = s;
	return true;
}

/* [+-]hh[:mm[:ss]] in seconds */
static bool tzset_offset(const char **ps, int *off)
{
	const char *s = *ps;
	int neg = 0, h, m = 0, sec = 0;
	if (*s == '+')
		s++;
	else if (*s == '-') {
		neg = 1;
		s++;
	}
	if (!tz_num(&s, 0, 24 * 7, &h))
		return false;
	if (*s == ':') {
		s++;
		if (!tz_num(&s, 0, 59, &m))
			return false;
		if (*s == ':') {
			s++;
			if (!tz_num(&s, 0, 59, &sec))
				return false;
		}
	}
	*off = h * 3600 + m * 60 + sec;
	if (neg)
		*off = -*off;
	*ps = s;
	return true;
}

static bool tzset_rule(const char **ps, struct tz_rule *r)
{
	const char *s = *ps;
	memset(r, 0, sizeof(*r));
	if (*s == 'J') {
		s++;
		r->kind = 0;
		if (!tz_num(&s, 1, 365, &r->day))
			return false;
	} else if (*s == 'M') {
		s++;
		r->kind = 2;
		if (!tz_num(&s, 1, 12, &r->mon) || *s++ != '.' || !tz_num(&s, 1, 5, &r->week) ||
		    *s++ != '.' || !tz_num(&s, 0, 6, &r->day))
			return false;
	} else if (*s >= '0' && *s <= '9') {
		r->kind = 1;
		if (!tz_num(&s, 0, 365, &r->day))
			return false;
	} else {
		return false;
	}
	r->time = 2 * 3600;
	if (*s == '/') {
		s++;
		if (!tzset_offset(&s, &r->time))
			return false;
	}
	*ps = s;
	return true;
}

static int64_t tzrule_time(int64_t year, const struct tz_rule *r, int off)
{
	int64_t s = 0;
	switch (r->kind) {
	case 0:
		s = (int64_t)(r->day - 1) * SEC_PER_DAY;
		if (is_leap(year) && r->day >= 60)
			s += SEC_PER_DAY;
		break;
	case 1:
		s = (int64_t)r->day * SEC_PER_DAY;
		break;
	default: {
		int m1 = (r->mon + 9) % 12 + 1;
		int64_t yy0 = year, yy1, yy2, dow, d;
		if (r->mon <= 2)
			yy0--;
		yy1 = yy0 / 100;
		yy2 = yy0 % 100;
		dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
		if (dow < 0)
			dow += 7;
		d = r->day - dow;
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->week; i++) {
			if (d + 7 >= days_in(r->mon, year))
				break;
			d += 7;
		}
		d += days_before(r->mon);
		if (is_leap(year) && r->mon > 2)
			d++;
		s = d * SEC_PER_DAY;
	}
	}
	return s + r->time - off;
}

/* Go's tzset: the zone of sec under the TZ string s. */
static bool tzset_lookup(const char *s, int64_t last_tx, int64_t sec, int32_t *off, bool *dst,
			 char *abbr, size_t abbrlen, int64_t *start, int64_t *end)
{
	char stdn[32], dstn[32];
	int stdoff, dstoff;
	struct tz_rule r1, r2;
	int64_t year, days, ysec, abs, s1, s2;
	int m, d;
	bool std_dst = false, dst_dst = true;
	if (!tzset_name(&s, stdn, sizeof(stdn)) || !tzset_offset(&s, &stdoff))
		return false;
	stdoff = -stdoff;
	if (*s == '\0' || *s == ',') {
		snprintf(abbr, abbrlen, "%s", stdn);
		*off = stdoff;
		*dst = false;
		*start = last_tx;
		*end = OMEGA;
		return true;
	}
	if (!tzset_name(&s, dstn, sizeof(dstn)))
		return false;
	if (*s == '\0' || *s == ',') {
		dstoff = stdoff + 3600;
	} else {
		if (!tzset_offset(&s, &dstoff))
			return false;
		dstoff = -dstoff;
	}
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (*s != ',' && *s != ';')
		return false;
	s++;
	if (!tzset_rule(&s, &r1) || *s != ',')
		return false;
	s++;
	if (!tzset_rule(&s, &r2) || *s != '\0')
		return false;
	days = floordiv(sec, SEC_PER_DAY);
	civil_from_days(days, &year, &m, &d);
	ysec = (days - days_from_civil(year, 1, 1)) * SEC_PER_DAY + (sec - days * SEC_PER_DAY);
	abs = days_from_civil(year, 1, 1) * SEC_PER_DAY;
	s1 = tzrule_time(year, &r1, stdoff);
	s2 = tzrule_time(year, &r2, dstoff);
	if (s2 < s1) {
		int64_t t = s1;
		int to = stdoff;
		char tn[32];
		bool tb = std_dst;
		s1 = s2;
		s2 = t;
		memcpy(tn, stdn, sizeof(tn));
		memcpy(stdn, dstn, sizeof(tn));
		memcpy(dstn, tn, sizeof(tn));
		stdoff = dstoff;
		dstoff = to;
		std_dst = dst_dst;
		dst_dst = tb;
	}
	if (ysec < s1) {
		snprintf(abbr, abbrlen, "%s", stdn);
		*off = stdoff;
		*dst = std_dst;
		*start = abs;
		*end = s1 + abs;
	} else if (ysec >= s2) {
		snprintf(abbr, abbrlen, "%s", stdn);
		*off = stdoff;
		*dst = std_dst;
		*start = s2 + abs;
		*end = abs + 365 * SEC_PER_DAY;
	} else {
		snprintf(abbr, abbrlen, "%s", dstn);
		*off = dstoff;
		*dst = dst_dst;
		*start = s1 + abs;
		*end = s2 + abs;
	}
	return true;
}

/* Go's Location.lookup: zone in effect at sec (UTC seconds). */
struct tz_hit {
	int32_t off;
	bool dst;
	char abbr[32];
	int64_t start, end;
};

static size_t first_zone(const struct tg_tz *z)
{
	bool used = false;
	for (size_t i = 0; i < z->ntx; i++)
		if (z->tx[i].idx == 0)
			used = true;
	if (!used)
		return 0;
	if (z->ntx > 0 && z->z[z->tx[0].idx].dst)
		for (long zi = (long)z->tx[0].idx - 1; zi >= 0; zi--)
			if (!z->z[zi].dst)
				return (size_t)zi;
	for (size_t zi = 0; zi < z->nz; zi++)
		if (!z->z[zi].dst)
			return zi;
	return 0;
}

static void tz_lookup(const struct tg_tz *z, int64_t sec, struct tz_hit *h)
{
	size_t lo, hi;
	const struct tz_zone *zz;
	if (z->utc || z->nz == 0) {
		h->off = 0;
		h->dst = false;
		snprintf(h->abbr, sizeof(h->abbr), "UTC");
		h->start = ALPHA;
		h->end = OMEGA;
		return;
	}
	if (z->ntx == 0 || sec < z->tx[0].when) {
		zz = &z->z[first_zone(z)];
		h->off = zz->off;
		h->dst = zz->dst;
		snprintf(h->abbr, sizeof(h->abbr), "%s", zz->abbr);
		h->start = ALPHA;
		h->end = z->ntx ? z->tx[0].when : OMEGA;
		return;
	}
	h->end = OMEGA;
	lo = 0;
	hi = z->ntx;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (sec < z->tx[mid].when) {
			h->end = z->tx[mid].when;
			hi = mid;
		} else {
			lo = mid;
		}
	}
	zz = &z->z[z->tx[lo].idx];
	h->off = zz->off;
	h->dst = zz->dst;
	snprintf(h->abbr, sizeof(h->abbr), "%s", zz->abbr);
	h->start = z->tx[lo].when;
	if (lo == z->ntx - 1 && z->ext[0]) {
		struct tz_hit e;
		if (tzset_lookup(z->ext, h->start, sec, &e.off, &e.dst, e.abbr, sizeof(e.abbr), &e.start,
				 &e.end))
			*h = e;
	}
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses TZif data (RFC 8536) into z; false when malformed. */
static bool tzif_parse(const uint8_t *p, size_t n, struct tg_tz *z)
{
	size_t off = 0;
	uint32_t cnt[6];
	int version;
	bool v2;
	size_t tsize;
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	version = p[4];
	v2 = version >= '2';
	for (int pass = 0; pass < 2; pass++) {
		size_t need;
		if (n - off < 44 || memcmp(p + off, "TZif", 4) != 0)
			return false;
		for (int i = 0; i < 6; i++)
			cnt[i] = be32(p + off + 20 + 4 * i);
		off += 44;
		tsize = pass == 0 ? 4 : 8;
		/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
		if (cnt[3] > 100000 || cnt[4] > 256 || cnt[4] == 0 || cnt[5] > 4096 || cnt[2] > 10000)
			return false;
		need = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] + cnt[2] * (tsize + 4) + cnt[1] +
		       cnt[0];
		if (n - off < need)
			return false;
		if (pass == 0 && v2) {
			off += need; /* skip the 32-bit data */
			continue;
		}
		{
			const uint8_t *tt = p + off, *ti = tt + cnt[3] * tsize, *ty = ti + cnt[3],
				      *ch = ty + cnt[4] * 6;
			z->ntx = cnt[3];
			z->nz = cnt[4];
			z->tx = tg_xcalloc(z->ntx + 1, sizeof(*z->tx));
			z->z = tg_xcalloc(z->nz, sizeof(*z->z));
			for (size_t i = 0; i < z->ntx; i++) {
				z->tx[i].when = tsize == 8 ? (int64_t)be64(tt + 8 * i)
							   : (int64_t)(int32_t)be32(tt + 4 * i);
				z->tx[i].idx = ti[i];
				if (ti[i] >= z->nz)
					return false;
			}
			for (size_t i = 0; i < z->nz; i++) {
				const uint8_t *t = ty + 6 * i;
				size_t ai = t[5], k = 0;
				z->z[i].off = (int32_t)be32(t);
				z->z[i].dst = t[4] != 0;
				if (ai >= cnt[5])
					return false;
				while (ai + k < cnt[5] && ch[ai + k] && k + 1 < sizeof(z->z[i].abbr)) {
					z->z[i].abbr[k] = (char)ch[ai + k];
					k++;
				}
				z->z[i].abbr[k] = '\0';
			}
			off += need;
		}
		if (pass == 0)
			break;
	}
	/* the footer: \nTZ\n */
	z->ext[0] = '\0';
	if (v2 && off < n && p[off] == '\n') {
		size_t s = off + 1, e = s;
		while (e < n && p[e] != '\n')
			e++;
		if (e < n && e - s < sizeof(z->ext)) {
			memcpy(z->ext, p + s, e - s);
			z->ext[e - s] = '\0';
		}
	}
	return true;
}

static void tz_free(struct tg_tz *z)
{
	if (!z || z == &tz_utc)
		return;
	free(z->tx);
	free(z->z);
	free(z);
}

/* Reads a regular file of at most TG_LIMIT_TZ_FILE bytes. */
static uint8_t *read_small(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > TG_LIMIT_TZ_FILE) {
		close(fd);
		return NULL;
	}
	buf = tg_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*n = got;
	return buf;
}

#define ZONEINFO "/usr/share/zoneinfo/"

static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tg_tz *tz_cache[TG_LIMIT_TZ_CACHE];
static size_t tz_ncache, tz_next;

/* A zone name as Go's LoadLocation accepts it, restricted to the
 * characters zoneinfo names use. */
static bool tz_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 90 || s[0] == '/' || s[0] == '\\')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '/' || ch == '_' || ch == '-' || ch == '+'))
			return false;
		if (ch == '.' )
			return false;
	}
	return memmem(s, n, "..", 2) == NULL;
}

static struct tg_tz *tz_load_path(const char *name, const char *path)
{
	size_t n;
	uint8_t *data = read_small(path, &n);
	struct tg_tz *z;
	if (!data)
		return NULL;
	z = tg_xcalloc(1, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	if (!tzif_parse(data, n, z)) {
		free(data);
		tz_free(z);
		return NULL;
	}
	free(data);
	return z;
}

/* The zone for the OPA name (NULL with a message when unknown). Cached
 * zones are never freed while the process runs, so the pointer stays
 * valid. */
static const struct tg_tz *tz_get(struct tg_rego_bctx *c, const char *name, size_t n, tg_err *err)
{
	char key[96], path[160];
	struct tg_tz *z = NULL;
	if (n == 0 || (n == 3 && memcmp(name, "UTC", 3) == 0))
		return &tz_utc;
	if (n == 5 && memcmp(name, "Local", 5) == 0) {
		const char *tzenv = getenv("TZ");
		snprintf(key, sizeof(key), "\x01Local");
		if (tzenv && *tzenv == ':')
			tzenv++;
		if (tzenv && *tzenv == '\0')
			return &tz_utc;
	} else {
		if (memmem(name, n, "..", 2) || name[0] == '/' || name[0] == '\\') {
			*err = tg_rego_bi_fail(c, "time: invalid location name");
			return NULL;
		}
		if (!tz_name_ok(name, n)) {
			*err = tg_rego_bi_fail(c, "unknown time zone %.*s", (int)(n > 80 ? 80 : n), name);
			return NULL;
		}
		memcpy(key, name, n);
		key[n] = '\0';
	}
	pthread_mutex_lock(&tz_mu);
	for (size_t i = 0; i < tz_ncache; i++)
		if (strcmp(tz_cache[i]->name, key) == 0) {
			z = tz_cache[i];
			break;
		}
	pthread_mutex_unlock(&tz_mu);
	if (z)
		return z;
	if (key[0] == '\x01') {
		const char *tzenv = getenv("TZ");
		if (tzenv && *tzenv == ':')
			tzenv++;
		if (tzenv && tz_name_ok(tzenv, strlen(tzenv))) {
			snprintf(path, sizeof(path), ZONEINFO "%s", tzenv);
			z = tz_load_path(key, path);
		} else if (!tzenv) {
			z = tz_load_path(key, "/etc/localtime");
		}
		if (!z)
			return &tz_utc; /* Go falls back to UTC */
	} else {
		snprintf(path, sizeof(path), ZONEINFO "%s", key);
		z = tz_load_path(key, path);
		if (!z) {
			*err = tg_rego_bi_fail(c, "unknown time zone %s", key);
			return NULL;
		}
	}
	pthread_mutex_lock(&tz_mu);
	/* keep the cache bounded: a full cache replaces its oldest-added
	 * entry, which is kept alive (leaked) in case a caller still uses it */
	for (size_t i = 0; i < tz_ncache; i++)
		if (strcmp(tz_cache[i]->name, key) == 0) {
			tz_free(z);
			z = tz_cache[i];
			pthread_mutex_unlock(&tz_mu);
			return z;
		}
	if (tz_ncache < TG_LIMIT_TZ_CACHE) {
		tz_cache[tz_ncache++] = z;
	} else {
		tz_cache[tz_next] = z;
		tz_next = (tz_next + 1) % TG_LIMIT_TZ_CACHE;
	}
	pthread_mutex_unlock(&tz_mu);
	return z;
}

/* Broken-down time of the instant (sec, nsec) in zone z. */
static void to_civil(const struct tg_tz *z, int64_t sec, int nsec, struct civil *cv)
{
	struct tz_hit h;
	int64_t local, days, sod;
	tz_lookup(z, sec, &h);
	local = sec + h.off;
	days = floordiv(local, SEC_PER_DAY);
	sod = local - days * SEC_PER_DAY;
	civil_from_days(days, &cv->year, &cv->month, &cv->day);
	cv->hour = (int)(sod / 3600);
	cv->min = (int)(sod / 60 % 60);
	cv->sec = (int)(sod % 60);
	cv->nsec = nsec;
	cv->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	cv->yday = (int)(days - days_from_civil(cv->year, 1, 1)) + 1;
	cv->off = h.off;
	cv->abbr = NULL;
}

/* Go's Date(): the instant of a (normalised) civil time in zone z.
 * Returns false on arithmetic overflow. */
static bool from_civil(const struct tg_tz *z, int64_t year, int64_t month, int64_t day,
		       int64_t hour, int64_t min, int64_t sec, int64_t nsec, int64_t *osec,
		       int *onsec)
{
	__int128 m = (__int128)month - 1, s, total;
	int64_t days;
	struct tz_hit h;
	/* normalise month into year, then everything into seconds */
	__int128 y = (__int128)year + (m >= 0 ? m / 12 : -((-m + 11) / 12));
	m = m - (y - year) * 12;
	if (y > (__int128)1e12 || y < -(__int128)1e12)
		return false;
	nsec += 0;
	s = (__int128)sec + floordiv(nsec, 1000000000);
	nsec = nsec - floordiv(nsec, 1000000000) * 1000000000;
	days = days_from_civil((int64_t)y, (int64_t)m + 1, 1);
	total = (__int128)days * SEC_PER_DAY + (__int128)(day - 1) * SEC_PER_DAY +
		(__int128)hour * 3600 + (__int128)min * 60 + s;
	if (total > (__int128)INT64_MAX / 2 || total < (__int128)INT64_MIN / 2)
		return false;
	{
		int64_t unix = (int64_t)total;
		tz_lookup(z, unix, &h);
		if (h.off != 0) {
			int64_t utc = unix - h.off;
			if (utc < h.start || utc >= h.end) {
				struct tz_hit h2;
				tz_lookup(z, utc, &h2);
				h.off = h2.off;
			}
			unix -= h.off;
		}
		*osec = unix;
	}
	*onsec = (int)nsec;
	return true;
}

/* The int64 nanoseconds of an instant, false when outside that range. */
static bool to_ns(int64_t sec, int nsec, int64_t *out)
{
	__int128 v = (__int128)sec * 1000000000 + nsec;
	if (v > INT64_MAX || v < INT64_MIN)
		return false;
	*out = (int64_t)v;
	return true;
}

static void from_ns(int64_t ns, int64_t *sec, int *nsec)
{
	int64_t r = ns % 1000000000;
	*sec = ns / 1000000000;
	if (r < 0) {
		r += 1000000000;
		(*sec)--;
	}
	*nsec = (int)r;
}

/* ------------------------------------------------------------------ */
/* quoting (Go's time package quote)                                   */
/* ------------------------------------------------------------------ */

static tg_err tquote(struct tg_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	tg_err r = tg_buf_addc(b, '"');
	for (size_t i = 0; i < n && r == TG_OK; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80 || ch < ' ') {
			char t[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
			r = tg_buf_add(b, t, 4);
		} else {
			if (ch == '"' || ch == '\\')
				r = tg_buf_addc(b, '\\');
			if (r == TG_OK)
				r = tg_buf_addc(b, ch);
		}
	}
	if (r == TG_OK)
		r = tg_buf_addc(b, '"');
	return r;
}

/* ------------------------------------------------------------------ */
/* layouts                                                             */
/* ------------------------------------------------------------------ */

enum std {
	STD_NONE = 0,
	STD_LONG_MONTH,
	STD_MONTH,
	STD_NUM_MONTH,
	STD_ZERO_MONTH,
	STD_LONG_WEEKDAY,
	STD_WEEKDAY,
	STD_DAY,
	STD_UNDER_DAY,
	STD_ZERO_DAY,
	STD_UNDER_YEARDAY,
	STD_ZERO_YEARDAY,
	STD_HOUR,
	STD_HOUR12,
	STD_ZERO_HOUR12,
	STD_MINUTE,
	STD_ZERO_MINUTE,
	STD_SECOND,
	STD_ZERO_SECOND,
	STD_LONG_YEAR,
	STD_YEAR,
	STD_PM,
	STD_pm,
	STD_TZ,
	STD_ISO8601_TZ,
	STD_ISO8601_SECONDS_TZ,
	STD_ISO8601_SHORT_TZ,
	STD_ISO8601_COLON_TZ,
	STD_ISO8601_COLON_SECONDS_TZ,
	STD_NUM_TZ,
	STD_NUM_SECONDS_TZ,
	STD_NUM_SHORT_TZ,
	STD_NUM_COLON_TZ,
	STD_NUM_COLON_SECONDS_TZ,
	STD_FRAC0,
	STD_FRAC9,
};

struct chunk {
	size_t prefix;   /* bytes of literal text before the element */
	enum std std;
	size_t len;      /* bytes of the element in the layout */
	int digits;      /* STD_FRAC*: number of digits */
	char sep;        /* STD_FRAC*: '.' or ',' */
};

static bool starts_lower(const char *s, size_t n)
{
	return n > 0 && s[0] >= 'a' && s[0] <= 'z';
}

static bool at(const char *s, size_t n, size_t i, const char *lit)
{
	size_t l = strlen(lit);
	return n - i >= l && memcmp(s + i, lit, l) == 0;
}

/* Records the element found at the current position; true for `return`. */
static bool set(struct chunk *ck, enum std std, size_t len)
{
	ck->std = std;
	ck->len = len;
	return true;
}

/* The numeric and ISO 8601 zone elements, longest first as Go tries them;
 * `lit + 1` is the same list after a leading '-' or 'Z'. */
static const struct {
	const char *lit;
	enum std num, iso;
} zone_elems[] = {
	{"070000", STD_NUM_SECONDS_TZ, STD_ISO8601_SECONDS_TZ},
	{"07:00:00", STD_NUM_COLON_SECONDS_TZ, STD_ISO8601_COLON_SECONDS_TZ},
	{"0700", STD_NUM_TZ, STD_ISO8601_TZ},
	{"07:00", STD_NUM_COLON_TZ, STD_ISO8601_COLON_TZ},
	{"07", STD_NUM_SHORT_TZ, STD_ISO8601_SHORT_TZ},
};

/* One step of Go's nextStdChunk: is there a layout element at l[i]? */
static bool chunk_at(const char *l, size_t n, size_t i, struct chunk *ck)
{
	static const enum std std0x[] = {STD_ZERO_MONTH,  STD_ZERO_DAY,	 STD_ZERO_HOUR12,
					 STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};
	switch (l[i]) {
	case 'J':
		if (at(l, n, i, "January"))
			return set(ck, STD_LONG_MONTH, 7);
		if (at(l, n, i, "Jan") && !starts_lower(l + i + 3, n - i - 3))
			return set(ck, STD_MONTH, 3);
		return false;
	case 'M':
		if (at(l, n, i, "Monday"))
			return set(ck, STD_LONG_WEEKDAY, 6);
		if (at(l, n, i, "Mon") && !starts_lower(l + i + 3, n - i - 3))
			return set(ck, STD_WEEKDAY, 3);
		if (at(l, n, i, "MST"))
			return set(ck, STD_TZ, 3);
		return false;
	case '0':
		if (n - i >= 2 && l[i + 1] >= '1' && l[i + 1] <= '6')
			return set(ck, std0x[l[i + 1] - '1'], 2);
		if (at(l, n, i, "002"))
			return set(ck, STD_ZERO_YEARDAY, 3);
		return false;
	case '1':
		if (n - i >= 2 && l[i + 1] == '5')
			return set(ck, STD_HOUR, 2);
		return set(ck, STD_NUM_MONTH, 1);
	case '2':
		if (at(l, n, i, "2006"))
			return set(ck, STD_LONG_YEAR, 4);
		return set(ck, STD_DAY, 1);
	case '_':
		if (n - i >= 2 && l[i + 1] == '2') {
			if (at(l, n, i + 1, "2006")) {
				ck->prefix = i + 1;
				return set(ck, STD_LONG_YEAR, 4);
			}
			return set(ck, STD_UNDER_DAY, 2);
		}
		if (at(l, n, i, "__2"))
			return set(ck, STD_UNDER_YEARDAY, 3);
		return false;
	case '3':
		return set(ck, STD_HOUR12, 1);
	case '4':
		return set(ck, STD_MINUTE, 1);
	case '5':
		return set(ck, STD_SECOND, 1);
	case 'P':
		return n - i >= 2 && l[i + 1] == 'M' && set(ck, STD_PM, 2);
	case 'p':
		return n - i >= 2 && l[i + 1] == 'm' && set(ck, STD_pm, 2);
	case '-':
	case 'Z':
		for (size_t k = 0; k < sizeof(zone_elems) / sizeof(zone_elems[0]); k++)
			if (at(l, n, i + 1, zone_elems[k].lit))
				return set(ck, l[i] == '-' ? zone_elems[k].num : zone_elems[k].iso,
					   1 + strlen(zone_elems[k].lit));
		return false;
	case '.':
	case ',':
		if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
			char ch = l[i + 1];
			size_t j = i + 1;
			while (j < n && l[j] == ch)
				j++;
			if (!(j < n && l[j] >= '0' && l[j] <= '9')) {
				ck->digits = (int)(j - (i + 1));
				ck->sep = l[i];
				return set(ck, ch == '0' ? STD_FRAC0 : STD_FRAC9, j - i);
			}
		}
		return false;
	default:
		return false;
	}
}

/* Go's nextStdChunk: the literal prefix and the next layout element. */
static void next_chunk(const char *l, size_t n, struct chunk *ck)
{
	memset(ck, 0, sizeof(*ck));
	for (size_t i = 0; i < n; i++) {
		ck->prefix = i;
		if (chunk_at(l, n, i, ck))
			return;
	}
	ck->prefix = n;
	ck->std = STD_NONE;
	ck->len = 0;
}

static const struct {
	const char *name, *layout;
} named_layouts[] = {
	{"ANSIC", "Mon Jan _2 15:04:05 2006"},
	{"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
	{"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
	{"RFC822", "02 Jan 06 15:04 MST"},
	{"RFC822Z", "02 Jan 06 15:04 -0700"},
	{"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
	{"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
	{"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
	{"RFC3339", "2006-01-02T15:04:05Z07:00"},
	{"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
	{NULL, NULL},
};

static void resolve_layout(const char **l, size_t *n)
{
	for (size_t i = 0; named_layouts[i].name; i++)
		if (strlen(named_layouts[i].name) == *n && memcmp(named_layouts[i].name, *l, *n) == 0) {
			*l = named_layouts[i].layout;
			*n = strlen(*l);
			return;
		}
}

/* ------------------------------------------------------------------ */
/* time.Parse                                                          */
/* ------------------------------------------------------------------ */

static bool isdig(const char *s, size_t n, size_t i)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

/* getnum: one or two digits (exactly two when fixed) */
static bool getnum(const char **v, size_t *vn, bool fixed, int *out)
{
	const char *s = *v;
	if (!isdig(s, *vn, 0))
		return false;
	if (!isdig(s, *vn, 1)) {
		if (fixed)
			return false;
		*out = s[0] - '0';
		*v += 1;
		*vn -= 1;
		return true;
	}
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	*v += 2;
	*vn -= 2;
	return true;
}

static bool getnum3(const char **v, size_t *vn, bool fixed, int *out)
{
	int n = 0;
	size_t i;
	for (i = 0; i < 3 && isdig(*v, *vn, i); i++)
		n = n * 10 + ((*v)[i] - '0');
	if (i == 0 || (fixed && i != 3))
		return false;
	*out = n;
	*v += i;
	*vn -= i;
	return true;
}

static bool lookup_name(const char *const *tab, size_t ntab, const char **v, size_t *vn, int *out)
{
	for (size_t i = 0; i < ntab; i++) {
		size_t l = strlen(tab[i]);
		if (*vn >= l && strncasecmp(*v, tab[i], l) == 0) {
			*out = (int)i;
			*v += l;
			*vn -= l;
			return true;
		}
	}
	return false;
}

static bool leading_int(const char **s, size_t *n, uint64_t *x)
{
	size_t i = 0;
	*x = 0;
	for (; i < *n && (*s)[i] >= '0' && (*s)[i] <= '9'; i++) {
		if (*x > (1ull << 63) / 10)
			return false;
		*x = *x * 10 + (uint64_t)((*s)[i] - '0');
		if (*x > (1ull << 63))
			return false;
	}
	*s += i;
	*n -= i;
	return true;
}

static size_t parse_signed_offset(const char *v, size_t n)
{
	const char *s;
	size_t sn;
	uint64_t x;
	if (n == 0 || (v[0] != '-' && v[0] != '+'))
		return 0;
	s = v + 1;
	sn = n - 1;
	if (!leading_int(&s, &sn, &x) || sn == n - 1 || x > 23)
		return 0;
	return n - sn;
}

/* Go's parseTimeZone; 0 when it does not look like a zone. */
static size_t parse_tz_name(const char *v, size_t n)
{
	size_t up;
	if (n < 3)
		return 0;
	if (n >= 4 && (memcmp(v, "ChST", 4) == 0 || memcmp(v, "MeST", 4) == 0))
		return 4;
	if (memcmp(v, "GMT", 3) == 0)
		return 3 + (n > 3 ? parse_signed_offset(v + 3, n - 3) : 0);
	if (v[0] == '+' || v[0] == '-')
		return parse_signed_offset(v, n);
	for (up = 0; up < 6 && up < n && v[up] >= 'A' && v[up] <= 'Z'; up++)
		;
	switch (up) {
	case 5:
		return v[4] == 'T' ? 5 : 0;
	case 4:
		return v[3] == 'T' || memcmp(v, "WITA", 4) == 0 ? 4 : 0;
	case 3:
		return 3;
	default:
		return 0;
	}
}

/* parseNanoseconds: value[0] is the separator, nbytes includes it */
static bool parse_nanos(const char *v, size_t nbytes, int *ns)
{
	int x = 0;
	if (nbytes > 10)
		nbytes = 10;
	if (v[0] != '.' && v[0] != ',')
		return false;
	for (size_t i = 1; i < nbytes; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (v[i] - '0');
	}
	for (size_t i = nbytes; i < 10; i++)
		x *= 10;
	*ns = x;
	return true;
}

static tg_err parse_error(struct tg_rego_bctx *c, const char *layout, size_t ln, const char *value,
			  size_t vn, const char *velem, size_t ven, const char *lelem, size_t len,
			  const char *msg)
{
	struct tg_buf b = TG_BUF_INIT(4096);
	tg_err r = tg_buf_adds(&b, "parsing time ");
	if (r == TG_OK)
		r = tquote(&b, value, vn > 200 ? 200 : vn);
	if (msg) {
		if (r == TG_OK)
			r = tg_buf_adds(&b, msg);
	} else {
		if (r == TG_OK)
			r = tg_buf_adds(&b, " as ");
		if (r == TG_OK)
			r = tquote(&b, layout, ln > 200 ? 200 : ln);
		if (r == TG_OK)
			r = tg_buf_adds(&b, ": cannot parse ");
		if (r == TG_OK)
			r = tquote(&b, velem, ven > 200 ? 200 : ven);
		if (r == TG_OK)
			r = tg_buf_adds(&b, " as ");
		if (r == TG_OK)
			r = tquote(&b, lelem, len > 200 ? 200 : len);
	}
	tg_rego_bi_fail(c, "%s", r == TG_OK ? tg_buf_str(&b) : "parsing time failed");
	tg_buf_release(&b);
	return TG_E_PARSE;
}

/* The hours of a "GMT+7" zone abbreviation, in seconds. */
static int gmt_offset(const char *s)
{
	int sign = s[0] == '-' ? -1 : 1, v = 0;
	for (size_t i = 1; s[i] >= '0' && s[i] <= '9' && v < 100; i++)
		v = v * 10 + (s[i] - '0');
	return sign * v * 3600;
}

/*
 * Go's time.Parse(layout, value) with Local = UTC: returns the instant in
 * osec and onsec, or fails with Go's ParseError message.
 */
static tg_err go_parse(struct tg_rego_bctx *c, const char *layout, size_t ln, const char *value,
		       size_t vn, int64_t *osec, int *onsec)
{
	const char *l = layout, *v = value;
	size_t lr = ln, vr = vn;
	int64_t year = 0;
	int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
	bool am = false, pm = false, utc = false;
	int zone_off = -1;
	bool zone_off_set = false;
	char zname[16] = "";
	size_t zlen = 0;
	for (;;) {
		struct chunk ck;
		const char *stdstr, *hold;
		size_t stdlen, holdn;
		const char *range_err = NULL;
		bool bad = false;
		next_chunk(l, lr, &ck);
		/* skip the literal prefix */
		{
			const char *p = l;
			size_t pn = ck.prefix;
			while (pn > 0) {
				if (p[0] == ' ') {
					if (vr > 0 && v[0] != ' ')
						return parse_error(c, layout, ln, value, vn, v, vr, l,
								   ck.prefix, NULL);
					while (pn > 0 && p[0] == ' ') {
						p++;
						pn--;
					}
					while (vr > 0 && v[0] == ' ') {
						v++;
						vr--;
					}
					continue;
				}
				if (vr == 0 || v[0] != p[0])
					return parse_error(c, layout, ln, value, vn, v, vr, l, ck.prefix,
							   NULL);
				p++;
				pn--;
				v++;
				vr--;
			}
		}
		if (ck.std == STD_NONE) {
			if (vr != 0) {
				struct tg_buf m = TG_BUF_INIT(1024);
				tg_err r = tg_buf_adds(&m, ": extra text: ");
				if (r == TG_OK)
					r = tquote(&m, v, vr > 200 ? 200 : vr);
				r = parse_error(c, layout, ln, value, vn, v, vr, "", 0,
						r == TG_OK ? tg_buf_str(&m) : ": extra text");
				tg_buf_release(&m);
				return r;
			}
			break;
		}
		stdstr = l + ck.prefix;
		stdlen = ck.len;
		l = stdstr + stdlen;
		lr = ln - (size_t)(l - layout);
		hold = v;
		holdn = vr;
		switch (ck.std) {
		case STD_YEAR: {
			int y;
			if (vr < 2 || !isdig(v, vr, 0) || !isdig(v, vr, 1)) {
				bad = true;
				break;
			}
			y = (v[0] - '0') * 10 + (v[1] - '0');
			v += 2;
			vr -= 2;
			year = y >= 69 ? y + 1900 : y + 2000;
			break;
		}
		case STD_LONG_YEAR:
			if (vr < 4 || !isdig(v, vr, 0)) {
				bad = true;
				break;
			}
			year = 0;
			for (int i = 0; i < 4; i++) {
				if (!isdig(v, vr, (size_t)i)) {
					bad = true;
					break;
				}
				year = year * 10 + (v[i] - '0');
			}
			if (!bad) {
				v += 4;
				vr -= 4;
			}
			break;
		case STD_MONTH:
			bad = !lookup_name(short_months, 12, &v, &vr, &month);
			month++;
			break;
		case STD_LONG_MONTH:
			bad = !lookup_name(long_months, 12, &v, &vr, &month);
			month++;
			break;
		case STD_NUM_MONTH:
		case STD_ZERO_MONTH:
			bad = !getnum(&v, &vr, ck.std == STD_ZERO_MONTH, &month);
			if (!bad && (month <= 0 || month > 12))
				range_err = "month";
			break;
		case STD_WEEKDAY: {
			int wd;
			bad = !lookup_name(short_days, 7, &v, &vr, &wd);
			break;
		}
		case STD_LONG_WEEKDAY: {
			int wd;
			bad = !lookup_name(long_days, 7, &v, &vr, &wd);
			break;
		}
		case STD_DAY:
		case STD_UNDER_DAY:
		case STD_ZERO_DAY:
			if (ck.std == STD_UNDER_DAY && vr > 0 && v[0] == ' ') {
				v++;
				vr--;
			}
			bad = !getnum(&v, &vr, ck.std == STD_ZERO_DAY, &day);
			break;
		case STD_UNDER_YEARDAY:
		case STD_ZERO_YEARDAY:
			for (int i = 0; i < 2; i++)
				if (ck.std == STD_UNDER_YEARDAY && vr > 0 && v[0] == ' ') {
					v++;
					vr--;
				}
			bad = !getnum3(&v, &vr, ck.std == STD_ZERO_YEARDAY, &yday);
			break;
		case STD_HOUR:
			bad = !getnum(&v, &vr, false, &hour);
			if (hour < 0 || hour >= 24)
				range_err = "hour";
			break;
		case STD_HOUR12:
		case STD_ZERO_HOUR12:
			bad = !getnum(&v, &vr, ck.std == STD_ZERO_HOUR12, &hour);
			if (hour < 0 || hour > 12)
				range_err = "hour";
			break;
		case STD_MINUTE:
		case STD_ZERO_MINUTE:
			bad = !getnum(&v, &vr, ck.std == STD_ZERO_MINUTE, &min);
			if (min < 0 || min >= 60)
				range_err = "minute";
			break;
		case STD_SECOND:
		case STD_ZERO_SECOND:
			bad = !getnum(&v, &vr, ck.std == STD_ZERO_SECOND, &sec);
			if (bad)
				break;
			if (sec < 0 || sec >= 60) {
				range_err = "second";
				break;
			}
			/* a fraction in the value but none in the layout */
			if (vr >= 2 && (v[0] == '.' || v[0] == ',') && isdig(v, vr, 1)) {
				struct chunk nx;
				size_t n = 2;
				next_chunk(l, lr, &nx);
				if (nx.std == STD_FRAC0 || nx.std == STD_FRAC9)
					break;
				while (n < vr && isdig(v, vr, n))
					n++;
				bad = !parse_nanos(v, n, &nsec);
				v += n;
				vr -= n;
			}
			break;
		case STD_PM:
		case STD_pm:
			if (vr < 2) {
				bad = true;
				break;
			}
			if (memcmp(v, ck.std == STD_PM ? "PM" : "pm", 2) == 0)
				pm = true;
			else if (memcmp(v, ck.std == STD_PM ? "AM" : "am", 2) == 0)
				am = true;
			else
				bad = true;
			v += 2;
			vr -= 2;
			break;
		case STD_ISO8601_TZ:
		case STD_ISO8601_SHORT_TZ:
		case STD_ISO8601_COLON_TZ:
		case STD_ISO8601_SECONDS_TZ:
		case STD_ISO8601_COLON_SECONDS_TZ:
			if (vr >= 1 && v[0] == 'Z') {
				v++;
				vr--;
				utc = true;
				break;
			}
			__attribute__((fallthrough));
		case STD_NUM_TZ:
		case STD_NUM_SHORT_TZ:
		case STD_NUM_COLON_TZ:
		case STD_NUM_SECONDS_TZ:
		case STD_NUM_COLON_SECONDS_TZ: {
			char sign;
			const char *hh, *mm = "00", *ss = "00";
			int hr, mi, se;
			size_t used;
			if (ck.std == STD_ISO8601_COLON_TZ || ck.std == STD_NUM_COLON_TZ) {
				if (vr < 6 || v[3] != ':') {
					bad = true;
					break;
				}
				hh = v + 1;
				mm = v + 4;
				used = 6;
			} else if (ck.std == STD_NUM_SHORT_TZ || ck.std == STD_ISO8601_SHORT_TZ) {
				if (vr < 3) {
					bad = true;
					break;
				}
				hh = v + 1;
				used = 3;
			} else if (ck.std == STD_ISO8601_COLON_SECONDS_TZ ||
				   ck.std == STD_NUM_COLON_SECONDS_TZ) {
				if (vr < 9 || v[3] != ':' || v[6] != ':') {
					bad = true;
					break;
				}
				hh = v + 1;
				mm = v + 4;
				ss = v + 7;
				used = 9;
			} else if (ck.std == STD_ISO8601_SECONDS_TZ || ck.std == STD_NUM_SECONDS_TZ) {
				if (vr < 7) {
					bad = true;
					break;
				}
				hh = v + 1;
				mm = v + 3;
				ss = v + 5;
				used = 7;
			} else {
				if (vr < 5) {
					bad = true;
					break;
				}
				hh = v + 1;
				mm = v + 3;
				used = 5;
			}
			sign = v[0];
			{
				const char *p;
				size_t pn;
				p = hh;
				pn = 2;
				if (!getnum(&p, &pn, true, &hr)) {
					bad = true;
					break;
				}
				p = mm;
				pn = 2;
				if (!getnum(&p, &pn, true, &mi)) {
					bad = true;
					break;
				}
				p = ss;
				pn = 2;
				if (!getnum(&p, &pn, true, &se)) {
					bad = true;
					break;
				}
			}
			v += used;
			vr -= used;
			if (hr > 24)
				range_err = "time zone offset hour";
			if (mi > 60)
				range_err = "time zone offset minute";
			if (se > 60)
				range_err = "time zone offset second";
			zone_off = (hr * 60 + mi) * 60 + se;
			zone_off_set = true;
			if (sign == '-')
				zone_off = -zone_off;
			else if (sign != '+')
				bad = true;
			break;
		}
		case STD_TZ: {
			size_t zn;
			if (vr >= 3 && memcmp(v, "UTC", 3) == 0) {
				utc = true;
				v += 3;
				vr -= 3;
				break;
			}
			zn = parse_tz_name(v, vr);
			if (zn == 0) {
				bad = true;
				break;
			}
			zlen = zn < sizeof(zname) ? zn : sizeof(zname) - 1;
			memcpy(zname, v, zlen);
			zname[zlen] = '\0';
			v += zn;
			vr -= zn;
			break;
		}
		case STD_FRAC0: {
			size_t nd = 1 + (size_t)ck.digits;
			if (vr < nd) {
				bad = true;
				break;
			}
			bad = !parse_nanos(v, nd, &nsec);
			v += nd;
			vr -= nd;
			break;
		}
		case STD_FRAC9: {
			size_t i = 0;
			if (vr < 2 || (v[0] != '.' && v[0] != ',') || v[1] < '0' || v[1] > '9')
				break;
			while (i + 1 < vr && v[i + 1] >= '0' && v[i + 1] <= '9')
				i++;
			bad = !parse_nanos(v, 1 + i, &nsec);
			v += 1 + i;
			vr -= 1 + i;
			break;
		}
		default:
			break;
		}
		if (range_err) {
			char m[64];
			snprintf(m, sizeof(m), ": %s out of range", range_err);
			return parse_error(c, layout, ln, value, vn, v, vr, stdstr, stdlen, m);
		}
		if (bad)
			return parse_error(c, layout, ln, value, vn, hold, holdn, stdstr, stdlen, NULL);
	}
	if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (yday >= 0) {
		int d = 0, m = 0;
		if (is_leap(year)) {
			if (yday == 31 + 29) {
				m = 2;
				d = 29;
			} else if (yday > 31 + 29) {
				yday--;
			}
		}
		if (yday < 1 || yday > 365)
			return parse_error(c, layout, ln, value, vn, v, vr, "", 0,
					   ": day-of-year out of range");
		if (m == 0) {
			m = (yday - 1) / 31 + 1;
			if (days_before(m + 1) < yday)
				m++;
			d = yday - days_before(m);
		}
		if (month >= 0 && month != m)
			return parse_error(c, layout, ln, value, vn, v, vr, "", 0,
					   ": day-of-year does not match month");
		month = m;
		if (day >= 0 && day != d)
			return parse_error(c, layout, ln, value, vn, v, vr, "", 0,
					   ": day-of-year does not match day");
		day = d;
	} else {
		if (month < 0)
			month = 1;
		if (day < 0)
			day = 1;
	}
	if (day < 1 || day > days_in(month, year))
		return parse_error(c, layout, ln, value, vn, v, vr, "", 0, ": day out of range");
	{
		int64_t s;
		int ns;
		int off = 0;
		if (!utc) {
			if (zone_off_set)
				off = zone_off;
			else if (zlen > 3 && memcmp(zname, "GMT", 3) == 0)
				off = gmt_offset(zname + 3);
		}
		if (!from_civil(&tz_utc, year, month, day, hour, min, sec, nsec, &s, &ns))
			return tg_rego_bi_fail(c, "time outside of valid range");
		*osec = s - off;
		*onsec = ns;
	}
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* time.Format                                                         */
/* ------------------------------------------------------------------ */

static tg_err append_int(struct tg_buf *b, int64_t x, int width)
{
	char t[32];
	int n;
	if (x < 0) {
		if (tg_buf_addc(b, '-') != TG_OK)
			return TG_E_TOOBIG;
		n = snprintf(t, sizeof(t), "%0*llu", width, (unsigned long long)(0 - (uint64_t)x));
	} else {
		n = snprintf(t, sizeof(t), "%0*lld", width, (long long)x);
	}
	if (n < 0 || (size_t)n >= sizeof(t))
		return TG_E_INTERNAL;
	return tg_buf_add(b, t, (size_t)n);
}

static tg_err go_format(struct tg_buf *b, const char *layout, size_t ln, const struct tg_tz *z,
			int64_t sec, int nsec)
{
	struct civil cv;
	struct tz_hit h;
	const char *l = layout;
	size_t lr = ln;
	tg_err r = TG_OK;
	to_civil(z, sec, nsec, &cv);
	tz_lookup(z, sec, &h);
	while (lr > 0 && r == TG_OK) {
		struct chunk ck;
		next_chunk(l, lr, &ck);
		if (ck.prefix)
			r = tg_buf_add(b, l, ck.prefix);
		if (r != TG_OK || ck.std == STD_NONE)
			break;
		switch (ck.std) {
		case STD_YEAR: {
			int64_t y = cv.year;
			if (y < 0)
				y = -y;
			r = append_int(b, y % 100, 2);
			break;
		}
		case STD_LONG_YEAR:
			r = append_int(b, cv.year, 4);
			break;
		case STD_MONTH:
			r = tg_buf_adds(b, short_months[cv.month - 1]);
			break;
		case STD_LONG_MONTH:
			r = tg_buf_adds(b, long_months[cv.month - 1]);
			break;
		case STD_NUM_MONTH:
			r = append_int(b, cv.month, 0);
			break;
		case STD_ZERO_MONTH:
			r = append_int(b, cv.month, 2);
			break;
		case STD_WEEKDAY:
			r = tg_buf_adds(b, short_days[cv.wday]);
			break;
		case STD_LONG_WEEKDAY:
			r = tg_buf_adds(b, long_days[cv.wday]);
			break;
		case STD_DAY:
			r = append_int(b, cv.day, 0);
			break;
		case STD_UNDER_DAY:
			if (cv.day < 10)
				r = tg_buf_addc(b, ' ');
			if (r == TG_OK)
				r = append_int(b, cv.day, 0);
			break;
		case STD_ZERO_DAY:
			r = append_int(b, cv.day, 2);
			break;
		case STD_UNDER_YEARDAY:
			if (cv.yday < 100) {
				r = tg_buf_addc(b, ' ');
				if (r == TG_OK && cv.yday < 10)
					r = tg_buf_addc(b, ' ');
			}
			if (r == TG_OK)
				r = append_int(b, cv.yday, 0);
			break;
		case STD_ZERO_YEARDAY:
			r = append_int(b, cv.yday, 3);
			break;
		case STD_HOUR:
			r = append_int(b, cv.hour, 2);
			break;
		case STD_HOUR12:
		case STD_ZERO_HOUR12: {
			int hr = cv.hour % 12;
			if (hr == 0)
				hr = 12;
			r = append_int(b, hr, ck.std == STD_ZERO_HOUR12 ? 2 : 0);
			break;
		}
		case STD_MINUTE:
			r = append_int(b, cv.min, 0);
			break;
		case STD_ZERO_MINUTE:
			r = append_int(b, cv.min, 2);
			break;
		case STD_SECOND:
			r = append_int(b, cv.sec, 0);
			break;
		case STD_ZERO_SECOND:
			r = append_int(b, cv.sec, 2);
			break;
		case STD_PM:
			r = tg_buf_adds(b, cv.hour >= 12 ? "PM" : "AM");
			break;
		case STD_pm:
			r = tg_buf_adds(b, cv.hour >= 12 ? "pm" : "am");
			break;
		case STD_ISO8601_TZ:
		case STD_ISO8601_COLON_TZ:
		case STD_ISO8601_SECONDS_TZ:
		case STD_ISO8601_SHORT_TZ:
		case STD_ISO8601_COLON_SECONDS_TZ:
		case STD_NUM_TZ:
		case STD_NUM_COLON_TZ:
		case STD_NUM_SECONDS_TZ:
		case STD_NUM_SHORT_TZ:
		case STD_NUM_COLON_SECONDS_TZ: {
			bool iso = ck.std == STD_ISO8601_TZ || ck.std == STD_ISO8601_COLON_TZ ||
				   ck.std == STD_ISO8601_SECONDS_TZ || ck.std == STD_ISO8601_SHORT_TZ ||
				   ck.std == STD_ISO8601_COLON_SECONDS_TZ;
			int zone = h.off / 60, absoff = h.off;
			if (h.off == 0 && iso) {
				r = tg_buf_addc(b, 'Z');
				break;
			}
			if (zone < 0) {
				r = tg_buf_addc(b, '-');
				zone = -zone;
				absoff = -absoff;
			} else {
				r = tg_buf_addc(b, '+');
			}
			if (r == TG_OK)
				r = append_int(b, zone / 60, 2);
			if (r == TG_OK &&
			    (ck.std == STD_ISO8601_COLON_TZ || ck.std == STD_NUM_COLON_TZ ||
			     ck.std == STD_ISO8601_COLON_SECONDS_TZ || ck.std == STD_NUM_COLON_SECONDS_TZ))
				r = tg_buf_addc(b, ':');
			if (r == TG_OK && ck.std != STD_NUM_SHORT_TZ && ck.std != STD_ISO8601_SHORT_TZ)
				r = append_int(b, zone % 60, 2);
			if (r == TG_OK &&
			    (ck.std == STD_ISO8601_SECONDS_TZ || ck.std == STD_NUM_SECONDS_TZ ||
			     ck.std == STD_NUM_COLON_SECONDS_TZ || ck.std == STD_ISO8601_COLON_SECONDS_TZ)) {
				if (ck.std == STD_NUM_COLON_SECONDS_TZ ||
				    ck.std == STD_ISO8601_COLON_SECONDS_TZ)
					r = tg_buf_addc(b, ':');
				if (r == TG_OK)
					r = append_int(b, absoff % 60, 2);
			}
			break;
		}
		case STD_TZ:
			if (h.abbr[0]) {
				r = tg_buf_adds(b, h.abbr);
			} else {
				int zone = h.off / 60;
				r = tg_buf_addc(b, zone < 0 ? '-' : '+');
				if (zone < 0)
					zone = -zone;
				if (r == TG_OK)
					r = append_int(b, zone / 60, 2);
				if (r == TG_OK)
					r = append_int(b, zone % 60, 2);
			}
			break;
		case STD_FRAC0:
		case STD_FRAC9: {
			char t[16];
			int n = ck.digits;
			bool trim = ck.std == STD_FRAC9;
			size_t k;
			if (trim && (n == 0 || nsec == 0))
				break;
			snprintf(t, sizeof(t), "%09d", nsec);
			k = n < 9 ? (size_t)n : 9;
			if (trim)
				while (k > 0 && t[k - 1] == '0')
					k--;
			if (trim && k == 0)
				break;
			r = tg_buf_addc(b, (uint8_t)ck.sep);
			if (r == TG_OK)
				r = tg_buf_add(b, t, k);
			/* more than 9 digits: Go pads with nothing beyond 9 */
			break;
		}
		default:
			break;
		}
		l += ck.prefix + ck.len;
		lr -= ck.prefix + ck.len;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* time.ParseDuration                                                  */
/* ------------------------------------------------------------------ */

static tg_err duration_error(struct tg_rego_bctx *c, const char *what, const char *s, size_t n,
			     const char *unit, size_t un)
{
	struct tg_buf b = TG_BUF_INIT(2048);
	tg_err r = tg_buf_adds(&b, "time: ");
	if (r == TG_OK)
		r = tg_buf_adds(&b, what);
	if (unit) {
		if (r == TG_OK)
			r = tquote(&b, unit, un > 100 ? 100 : un);
		if (r == TG_OK)
			r = tg_buf_adds(&b, " in duration ");
	}
	if (r == TG_OK)
		r = tquote(&b, s, n > 200 ? 200 : n);
	tg_rego_bi_fail(c, "%s", r == TG_OK ? tg_buf_str(&b) : "time: invalid duration");
	tg_buf_release(&b);
	return TG_E_PARSE;
}

static tg_err go_parse_duration(struct tg_rego_bctx *c, const char *orig, size_t on, int64_t *out)
{
	const char *s = orig;
	size_t n = on;
	uint64_t d = 0;
	bool neg = false;
	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if (n == 1 && s[0] == '0') {
		*out = 0;
		return TG_OK;
	}
	if (n == 0)
		return duration_error(c, "invalid duration ", orig, on, NULL, 0);
	while (n > 0) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		size_t pl, i;
		bool pre, post = false;
		if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
			return duration_error(c, "invalid duration ", orig, on, NULL, 0);
		pl = n;
		if (!leading_int(&s, &n, &v))
			return duration_error(c, "invalid duration ", orig, on, NULL, 0);
		pre = pl != n;
		if (n > 0 && s[0] == '.') {
			bool overflow = false;
			s++;
			n--;
			pl = n;
			for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
				uint64_t y;
				if (overflow)
					continue;
				if (f > (((uint64_t)1 << 63) - 1) / 10) {
					overflow = true;
					continue;
				}
				y = f * 10 + (uint64_t)(s[i] - '0');
				if (y > (uint64_t)1 << 63) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
			s += i;
			n -= i;
			post = pl != n;
		}
		if (!pre && !post)
			return duration_error(c, "invalid duration ", orig, on, NULL, 0);
		for (i = 0; i < n && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'); i++)
			;
		if (i == 0)
			return duration_error(c, "missing unit in duration ", orig, on, NULL, 0);
		if (i == 2 && memcmp(s, "ns", 2) == 0)
			unit = 1;
		else if (i == 2 && memcmp(s, "us", 2) == 0)
			unit = 1000;
		else if (i == 3 && (memcmp(s, "\xc2\xb5s", 3) == 0 || memcmp(s, "\xce\xbcs", 3) == 0))
			unit = 1000;
		else if (i == 2 && memcmp(s, "ms", 2) == 0)
			unit = 1000000;
		else if (i == 1 && s[0] == 's')
			unit = 1000000000ull;
		else if (i == 1 && s[0] == 'm')
			unit = 60000000000ull;
		else if (i == 1 && s[0] == 'h')
			unit = 3600000000000ull;
		else
			return duration_error(c, "unknown unit ", orig, on, s, i);
		s += i;
		n -= i;
		if (v > ((uint64_t)1 << 63) / unit)
			return duration_error(c, "invalid duration ", orig, on, NULL, 0);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > (uint64_t)1 << 63)
				return duration_error(c, "invalid duration ", orig, on, NULL, 0);
		}
		d += v;
		if (d > (uint64_t)1 << 63)
			return duration_error(c, "invalid duration ", orig, on, NULL, 0);
	}
	if (neg) {
		*out = (int64_t)(0 - d);
		return TG_OK;
	}
	if (d > (uint64_t)INT64_MAX)
		return duration_error(c, "invalid duration ", orig, on, NULL, 0);
	*out = (int64_t)d;
	return TG_OK;
}

/* ------------------------------------------------------------------ */
/* the built-ins                                                       */
/* ------------------------------------------------------------------ */

static tg_err ns_result(struct tg_rego_bctx *c, int64_t sec, int nsec, const struct tg_json **out)
{
	int64_t ns;
	if (!to_ns(sec, nsec, &ns))
		return tg_rego_bi_fail(c, "time outside of valid range");
	return tg_json_new_int(c->a, ns, out);
}

static tg_err bi_now_ns(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json **out)
{
	(void)args;
	UNUSED_NARGS;
	return tg_json_new_int(c->a, c->now_ns, out);
}

static tg_err bi_parse_ns(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	const char *l, *v;
	size_t ln, vn;
	int64_t sec;
	int nsec;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &l, &ln)) != TG_OK ||
	    (r = tg_rego_bi_str(c, args[1], 2, &v, &vn)) != TG_OK)
		return r;
	resolve_layout(&l, &ln);
	if ((r = go_parse(c, l, ln, v, vn, &sec, &nsec)) != TG_OK)
		return r;
	return ns_result(c, sec, nsec, out);
}

static tg_err bi_parse_rfc3339_ns(struct tg_rego_bctx *c, const struct tg_json *const *args,
				  size_t nargs, const struct tg_json **out)
{
	const char *v, *l = "2006-01-02T15:04:05Z07:00";
	size_t vn;
	int64_t sec;
	int nsec;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &v, &vn)) != TG_OK)
		return r;
	if ((r = go_parse(c, l, strlen(l), v, vn, &sec, &nsec)) != TG_OK)
		return r;
	return ns_result(c, sec, nsec, out);
}

static tg_err bi_parse_duration_ns(struct tg_rego_bctx *c, const struct tg_json *const *args,
				   size_t nargs, const struct tg_json **out)
{
	const char *s;
	size_t n;
	int64_t d = 0;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tg_rego_bi_str(c, args[0], 1, &s, &n)) != TG_OK)
		return r;
	if ((r = go_parse_duration(c, s, n, &d)) != TG_OK)
		return r;
	return tg_json_new_int(c->a, d, out);
}

/* OPA's tzTime: a number of ns, or [ns, zone] / [ns, zone, layout]. */
static tg_err tz_time(struct tg_rego_bctx *c, const struct tg_json *a, const struct tg_tz **z,
		      int64_t *sec, int *nsec, const char **layout, size_t *ln)
{
	const struct tg_json *nv;
	int64_t ns;
	tg_err r = TG_OK;
	*z = &tz_utc;
	if (layout) {
		*layout = NULL;
		*ln = 0;
	}
	if (a->type == TG_JSON_ARRAY) {
		if (a->u.a.len == 0)
			goto type;
		nv = a->u.a.items[0];
		if (nv->type != TG_JSON_NUMBER)
			return tg_rego_type_error(c, 1, "number", nv);
		if (a->u.a.len > 1) {
			const struct tg_json *tzv = a->u.a.items[1];
			if (tzv->type != TG_JSON_STRING)
				return tg_rego_type_error(c, 1, "string", tzv);
			*z = tz_get(c, tzv->u.s.p, tzv->u.s.len, &r);
			if (!*z)
				return r;
		}
		if (a->u.a.len > 2) {
			const struct tg_json *lv = a->u.a.items[2];
			if (lv->type != TG_JSON_STRING)
				return tg_rego_type_error(c, 1, "string", lv);
			if (layout) {
				*layout = lv->u.s.p;
				*ln = lv->u.s.len;
			}
		}
	} else if (a->type == TG_JSON_NUMBER) {
		nv = a;
	} else {
		goto type;
	}
	if (tg_json_num_i64(nv, &ns) != TG_OK)
		return tg_rego_bi_fail(c, "timestamp too big");
	from_ns(ns, sec, nsec);
	return TG_OK;
type:
	tg_diag_set(c->d, "operand 1 must be either number (ns) or [number (ns), string (tz)] but got %s",
		    tg_json_type_name((enum tg_json_type)a->type));
	return TG_E_TYPE;
}

static tg_err bi_format(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			const struct tg_json **out)
{
	const struct tg_tz *z;
	int64_t sec = 0;
	int nsec = 0;
	const char *l;
	size_t ln;
	struct tg_buf b = TG_BUF_INIT(1 << 20);
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z, &sec, &nsec, &l, &ln)) != TG_OK)
		return r;
	if (!l || ln == 0) {
		l = "2006-01-02T15:04:05.999999999Z07:00";
		ln = strlen(l);
	} else {
		resolve_layout(&l, &ln);
	}
	r = go_format(&b, l, ln, z, sec, nsec);
	if (r == TG_OK)
		r = tg_rego_bi_buf_str(c, &b, out);
	else
		tg_diag_set(c->d, "formatted time too large");
	tg_buf_release(&b);
	return r;
}

static tg_err int_array(struct tg_rego_bctx *c, const int64_t *v, size_t n,
			const struct tg_json **out)
{
	const struct tg_json *items[6];
	tg_err r;
	for (size_t i = 0; i < n; i++)
		if ((r = tg_json_new_int(c->a, v[i], &items[i])) != TG_OK)
			return r;
	return tg_json_new_array(c->a, items, n, out);
}

static tg_err bi_date(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	const struct tg_tz *z;
	int64_t sec, v[3];
	int nsec;
	struct civil cv;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z, &sec, &nsec, NULL, NULL)) != TG_OK)
		return r;
	to_civil(z, sec, nsec, &cv);
	v[0] = cv.year;
	v[1] = cv.month;
	v[2] = cv.day;
	return int_array(c, v, 3, out);
}

static tg_err bi_clock(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		       const struct tg_json **out)
{
	const struct tg_tz *z;
	int64_t sec, v[3];
	int nsec;
	struct civil cv;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z, &sec, &nsec, NULL, NULL)) != TG_OK)
		return r;
	to_civil(z, sec, nsec, &cv);
	v[0] = cv.hour;
	v[1] = cv.min;
	v[2] = cv.sec;
	return int_array(c, v, 3, out);
}

static tg_err bi_weekday(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			 const struct tg_json **out)
{
	const struct tg_tz *z;
	int64_t sec = 0;
	int nsec = 0;
	struct civil cv;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z, &sec, &nsec, NULL, NULL)) != TG_OK)
		return r;
	to_civil(z, sec, nsec, &cv);
	return tg_rego_bi_new_str(c, long_days[cv.wday], strlen(long_days[cv.wday]), out);
}

static tg_err bi_add_date(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
			  const struct tg_json **out)
{
	const struct tg_tz *z;
	int64_t sec = 0, y, m, d, s2;
	int nsec = 0, ns2;
	struct civil cv;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z, &sec, &nsec, NULL, NULL)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[1], 2, &y)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[2], 3, &m)) != TG_OK ||
	    (r = tg_rego_bi_int(c, args[3], 4, &d)) != TG_OK)
		return r;
	if (y > 100000000 || y < -100000000 || m > 1200000000LL || m < -1200000000LL ||
	    d > 40000000000LL || d < -40000000000LL)
		return tg_rego_bi_fail(c, "time outside of valid range");
	to_civil(z, sec, nsec, &cv);
	if (!from_civil(z, cv.year + y, cv.month + m, cv.day + d, cv.hour, cv.min, cv.sec, nsec,
			&s2, &ns2))
		return tg_rego_bi_fail(c, "time outside of valid range");
	return ns_result(c, s2, ns2, out);
}

static tg_err bi_diff(struct tg_rego_bctx *c, const struct tg_json *const *args, size_t nargs,
		      const struct tg_json **out)
{
	const struct tg_tz *z1, *z2;
	int64_t s1, s2, v[6];
	int n1, n2;
	struct civil a, b;
	tg_err r;
	UNUSED_NARGS;
	if ((r = tz_time(c, args[0], &z1, &s1, &n1, NULL, NULL)) != TG_OK ||
	    (r = tz_time(c, args[1], &z2, &s2, &n2, NULL, NULL)) != TG_OK)
		return r;
	/* both in the first one's zone, earlier first */
	if (s1 > s2 || (s1 == s2 && n1 > n2)) {
		int64_t ts = s1;
		int tn = n1;
		s1 = s2;
		n1 = n2;
		s2 = ts;
		n2 = tn;
	}
	to_civil(z1, s1, n1, &a);
	to_civil(z1, s2, n2, &b);
	v[0] = b.year - a.year;
	v[1] = b.month - a.month;
	v[2] = b.day - a.day;
	v[3] = b.hour - a.hour;
	v[4] = b.min - a.min;
	v[5] = b.sec - a.sec;
	if (v[5] < 0) {
		v[5] += 60;
		v[4]--;
	}
	if (v[4] < 0) {
		v[4] += 60;
		v[3]--;
	}
	if (v[3] < 0) {
		v[3] += 24;
		v[2]--;
	}
	if (v[2] < 0) {
		v[2] += days_in(a.month, a.year);
		v[1]--;
	}
	if (v[1] < 0) {
		v[1] += 12;
		v[0]--;
	}
	return int_array(c, v, 6, out);
}

#define NS_TZ "any<array<number, string>, number>"

const struct tg_rego_builtin tg_rego_builtins_time[] = {
	{"time.now_ns", NULL, 0, "() => number", bi_now_ns, TG_RB_NONDET},
	{"time.parse_ns", NULL, 2, "(string, string) => number", bi_parse_ns, 0},
	{"time.parse_rfc3339_ns", NULL, 1, "(string) => number", bi_parse_rfc3339_ns, 0},
	{"time.parse_duration_ns", NULL, 1, "(string) => number", bi_parse_duration_ns, 0},
	{"time.format", NULL, 1,
	 "(any<array<number, string, string>, array<number, string>, number>) => string", bi_format,
	 0},
	{"time.date", NULL, 1, "(" NS_TZ ") => array<number, number, number>", bi_date, 0},
	{"time.clock", NULL, 1, "(" NS_TZ ") => array<number, number, number>", bi_clock, 0},
	{"time.weekday", NULL, 1, "(" NS_TZ ") => string", bi_weekday, 0},
	{"time.add_date", NULL, 4, "(number, number, number, number) => number", bi_add_date, 0},
	{"time.diff", NULL, 2,
	 "(" NS_TZ ", " NS_TZ ") => array<number, number, number, number, number, number>", bi_diff,
	 0},
	{NULL, NULL, 0, NULL, NULL, 0},
};
