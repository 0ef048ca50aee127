/*
 * queue.c - queue naming and retry backoff (see queue.h).
 */
#include "queue.h"
#include "redis_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const queue_names[] = {QUEUE_PHOTO, QUEUE_FACE, QUEUE_PAYMENT, QUEUE_PDF,
                                   QUEUE_SMS,   QUEUE_CHSI, QUEUE_NOOP};
const size_t queue_count = sizeof(queue_names) / sizeof(queue_names[0]);

int queue_known(const char *name)
{
    for (size_t i = 0; name != NULL && i < queue_count; i++)
        if (strcmp(queue_names[i], name) == 0)
            return 1;
    return 0;
}

const unsigned queue_duration_bounds_ms[QUEUE_DURATION_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000};

int queue_name_valid(const char *q)
{
    size_t n = strlen(q);
    if (n == 0 || n > 32 || q[0] < 'a' || q[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = q[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int queue_key(char *out, size_t outsz, const char *queue, const char *suffix)
{
    if (!queue_name_valid(queue))
        return -EINVAL;
    int n = snprintf(out, outsz, RK_QUEUE_PREFIX "%s%s", queue, suffix);
    return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

int queue_stream_key(char *out, size_t outsz, const char *queue)
{
    return queue_key(out, outsz, queue, "");
}

int queue_published_key(char *out, size_t outsz, const char *queue)
{
    return queue_key(out, outsz, queue, ":published");
}

int queue_stats_key(char *out, size_t outsz, const char *queue)
{
    return queue_key(out, outsz, queue, ":stats");
}

int queue_workers_key(char *out, size_t outsz, const char *queue)
{
    return queue_key(out, outsz, queue, ":workers");
}

int queue_workers_info_key(char *out, size_t outsz, const char *queue)
{
    return queue_key(out, outsz, queue, ":workers:info");
}

uint64_t queue_backoff_ms(int attempts, uint64_t base_ms, uint64_t max_ms, uint32_t rnd)
{
    if (attempts < 1)
        attempts = 1;
    uint64_t d = base_ms;
    for (int i = 1; i < attempts && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    uint64_t half = d / 2;
    return half + (half > 0 ? (uint64_t)rnd % (half + 1) : 0);
}
