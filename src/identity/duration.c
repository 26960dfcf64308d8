/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duration.c - the durations of TTL flags: "90s", "5m", "1h30m", "2d";
 * positive, at most one year, units in decreasing order, no repeats.
 */
#include "identity/identity.h"

#include <string.h>

tg_err tg_duration_parse(const char *s, int64_t *seconds)
{
	static const char units[] = "dhms";
	static const int64_t mult[] = {86400, 3600, 60, 1};
	int64_t total = 0;
	int last = -1;
	size_t i = 0, n = strlen(s);

	if (n == 0)
		return TG_E_PARSE;
	while (i < n) {
		int64_t v = 0;
		size_t start = i;
		const char *u;
		int ui;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (v > 1000000000)
				return TG_E_RANGE;
			v = v * 10 + (s[i] - '0');
			i++;
		}
		if (i == start || i == n)
			return TG_E_PARSE; /* a number, then a unit */
		u = strchr(units, s[i]);
		if (!u || s[i] == '\0')
			return TG_E_PARSE;
		ui = (int)(u - units);
		if (ui <= last)
			return TG_E_PARSE; /* "5m1h", "1h1h" */
		last = ui;
		total += v * mult[ui];
		if (total > 366 * 86400)
			return TG_E_RANGE;
		i++;
	}
	if (total <= 0)
		return TG_E_RANGE;
	*seconds = total;
	return TG_OK;
}
