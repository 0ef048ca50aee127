/*
 * bjtime.c - Beijing time (see bjtime.h).
 */
#include "bjtime.h"

void bj_tm(time_t t, struct tm *out)
{
    time_t bj = t + BJ_UTC_OFFSET_S;
    gmtime_r(&bj, out);
}

int bj_date(time_t t)
{
    struct tm tm;
    bj_tm(t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

long bj_seconds_to_midnight(time_t t)
{
    long into_day = (long)((t + BJ_UTC_OFFSET_S) % 86400);
    if (into_day < 0)
        into_day += 86400;
    return 86400 - into_day;
}
