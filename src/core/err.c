/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.c - messages and names of the error codes, and diagnostics
 * (what failed and where) that travel up with them.
 */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tg_strerror(tg_err e)
{
	switch (e) {
#define TG_ERR_MSG_(name, num, msg)                                         \
	case TG_E_##name:                                                   \
		return msg;
		TG_ERRORS(TG_ERR_MSG_)
#undef TG_ERR_MSG_
	}
	return "unknown error";
}

const char *tg_errname(tg_err e)
{
	switch (e) {
#define TG_ERR_NAME_(name, num, msg)                                        \
	case TG_E_##name:                                                   \
		return "TG_E_" #name;
		TG_ERRORS(TG_ERR_NAME_)
#undef TG_ERR_NAME_
	}
	return "TG_E_UNKNOWN";
}

void tg_diag_init(struct tg_diag *d)
{
	if (!d)
		return;
	d->line = 0;
	d->col = 0;
	d->offset = 0;
	d->msg[0] = '\0';
}

TG_PRINTF(2, 0) static void diag_vset(struct tg_diag *d, const char *fmt, va_list ap)
{
	int n = vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	if (n < 0)
		d->msg[0] = '\0';
}

void tg_diag_set(struct tg_diag *d, const char *fmt, ...)
{
	va_list ap;
	if (!d)
		return;
	va_start(ap, fmt);
	diag_vset(d, fmt, ap);
	va_end(ap);
}

void tg_diag_at(struct tg_diag *d, uint32_t line, uint32_t col, size_t offset,
		const char *fmt, ...)
{
	va_list ap;
	if (!d)
		return;
	d->line = line;
	d->col = col;
	d->offset = offset;
	va_start(ap, fmt);
	diag_vset(d, fmt, ap);
	va_end(ap);
}

void tg_diag_prefix(struct tg_diag *d, const char *fmt, ...)
{
	char old[TG_DIAG_MSG_MAX];
	size_t used;
	va_list ap;
	int n;

	if (!d)
		return;
	memcpy(old, d->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		memcpy(d->msg, old, sizeof(old));
		return;
	}
	used = strlen(d->msg);
	if (old[0] && used + 2 < sizeof(d->msg)) {
		/* "prefix: old", truncated to the buffer */
		size_t room = sizeof(d->msg) - used - 2, ol = strlen(old);
		d->msg[used] = ':';
		d->msg[used + 1] = ' ';
		if (ol > room - 1)
			ol = room - 1;
		memcpy(d->msg + used + 2, old, ol);
		d->msg[used + 2 + ol] = '\0';
	}
}

tg_err tg_diag_fill(struct tg_diag *d, tg_err e)
{
	if (d && e != TG_OK && d->msg[0] == '\0')
		tg_diag_set(d, "%s", tg_strerror(e));
	return e;
}
