/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - leveled logging to stderr, one line per event, text or JSON.
 * Nothing secret ever reaches a log: secrets have their own type with
 * no formatter (see secret.h).
 */
#ifndef TG_CORE_LOG_H
#define TG_CORE_LOG_H

#include "core/err.h"

enum tg_log_level {
	TG_LOG_ERROR = 0,
	TG_LOG_WARN = 1,
	TG_LOG_INFO = 2,
	TG_LOG_DEBUG = 3,
};

/* Sets the most verbose level that is printed (default TG_LOG_WARN). */
void tg_log_set_level(enum tg_log_level level);
enum tg_log_level tg_log_get_level(void);

/* Prints JSON lines ({"ts":..,"level":..,"msg":..}) instead of text. */
void tg_log_set_json(int on);

/* Sets the program name shown in text lines (default "tollgate"). The
 * string must outlive all logging. */
void tg_log_set_prog(const char *prog);

/* Logs one line at level when it is enabled. Newlines in the message are
 * escaped so one event is always one line. */
void tg_log(enum tg_log_level level, const char *fmt, ...) TG_PRINTF(2, 3);

#define tg_log_error(...) tg_log(TG_LOG_ERROR, __VA_ARGS__)
#define tg_log_warn(...) tg_log(TG_LOG_WARN, __VA_ARGS__)
#define tg_log_info(...) tg_log(TG_LOG_INFO, __VA_ARGS__)
#define tg_log_debug(...) tg_log(TG_LOG_DEBUG, __VA_ARGS__)

#endif
