/*
 * bjtime.h - Beijing time (Asia/Shanghai: UTC+8, no daylight saving), the
 * clock every candidate, window, order and document speaks. The one place
 * the offset is written; SQL uses AT TIME ZONE 'Asia/Shanghai' (zk_ts()).
 */
#ifndef ZK_BJTIME_H
#define ZK_BJTIME_H

#include <time.h>

#define BJ_UTC_OFFSET_S (8 * 3600)

/* The broken-down Beijing time of t. */
void bj_tm(time_t t, struct tm *out);

/* The Beijing date of t as YYYYMMDD (e.g. 20261203). */
int bj_date(time_t t);

/* Seconds from t to the next Beijing midnight (1..86400). */
long bj_seconds_to_midnight(time_t t);

#endif
