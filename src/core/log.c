/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - one line per event on stderr; JSON mode for collectors.
 * Control characters are escaped so an event can never forge another.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum tg_log_level log_level = TG_LOG_WARN;
static int log_json;
static const char *log_prog = "tollgate";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void tg_log_set_level(enum tg_log_level level)
{
	log_level = level;
}

enum tg_log_level tg_log_get_level(void)
{
	return log_level;
}

void tg_log_set_json(int on)
{
	log_json = on;
}

void tg_log_set_prog(const char *prog)
{
	log_prog = prog;
}

/* Writes msg with control characters escaped (JSON-style in JSON mode). */
static void put_escaped(FILE *f, const char *msg, int json)
{
	const unsigned char *p;
	for (p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, json ? "\\u%04x" : "\\x%02x", *p);
		else if (json && (*p == '"' || *p == '\\'))
			fprintf(f, "\\%c", *p);
		else
			fputc(*p, f);
	}
}

void tg_log(enum tg_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;

	flockfile(stderr);
	if (log_json) {
		struct timespec ts;
		struct tm tm;
		char when[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"",
			when, ts.tv_nsec / 1000000, level_names[level]);
		put_escaped(stderr, msg, 1);
		fputs("\"}\n", stderr);
	} else {
		fprintf(stderr, "%s: ", log_prog);
		if (level != TG_LOG_ERROR)
			fprintf(stderr, "%s: ", level_names[level]);
		put_escaped(stderr, msg, 0);
		fputc('\n', stderr);
	}
	funlockfile(stderr);
}
