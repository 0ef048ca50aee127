/*
 * log.h - one line per event on stderr, with a syslog priority prefix.
 *
 * Lines look like "<6>server: req=1f3a... GET /healthz 200 0.12ms" so that
 * journald keeps levels. The level threshold is part of the per-process
 * context (set at start and on SIGHUP). Personal data never goes out whole:
 * callers pass ID numbers, phones and names through the mask_* helpers, and
 * log_msg itself masks any run of 11 or more digits as a last line of defence.
 */
#ifndef ZK_LOG_H
#define ZK_LOG_H

#include <stddef.h>

enum log_level {
    LOG_LEVEL_ERR = 3,
    LOG_LEVEL_WARNING = 4,
    LOG_LEVEL_NOTICE = 5,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* Names this process in every line ("server", "worker/photo", ...). */
void log_init(const char *component, int level);
void log_set_level(int level);
int log_get_level(void);
/* Parses "err|warning|notice|info|debug"; returns the level or -1. */
int log_level_parse(const char *name);

/* Writes one line; req_id may be NULL. Lines longer than 2 KiB are cut. */
void log_msg(int level, const char *req_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(...)    log_msg(LOG_LEVEL_ERR, NULL, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LEVEL_WARNING, NULL, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LEVEL_INFO, NULL, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LEVEL_DEBUG, NULL, __VA_ARGS__)

#endif
