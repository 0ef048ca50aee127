/*
 * queue_publish.c - XADD + SADD of committed jobs (see queue_publish.h).
 *
 * Owns one heap-allocated publication per call, freed after the last reply.
 */
#include "queue_publish.h"
#include "alloc.h"
#include "log.h"
#include "queue.h"
#include "redis_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct publication {
    char queue[40];
    int n, answered, published;
    queue_publish_cb cb;
    void *ud;
};

static void publication_answer(struct publication *p, bool ok)
{
    p->published += ok;
    if (++p->answered < p->n)
        return;
    if (p->published < p->n)
        log_warn("jobs: %d of %d %s job(s) not published now; the sweeper will publish them",
                 p->n - p->published, p->n, p->queue);
    if (p->cb != NULL)
        p->cb(p->ud, p->published, p->n - p->published);
    free(p);
}

static void on_exec(void *ud, redisReply *reply, const char *err)
{
    /* EXEC answers an array of the two replies, or nil/error when aborted. */
    bool ok = err == NULL && reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
              reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING;
    publication_answer(ud, ok);
}

static void on_queued(void *ud, redisReply *reply, const char *err)
{
    /* MULTI / QUEUED acknowledgements; EXEC's reply decides. */
}

void queue_publish(struct redis_client *redis, const char *queue, const int64_t *ids, int n,
                   queue_publish_cb cb, void *ud)
{
    struct publication *p = zk_calloc(1, sizeof(*p));
    char stream[QUEUE_KEY_MAX], set[QUEUE_KEY_MAX];
    p->n = n;
    p->cb = cb;
    p->ud = ud;
    snprintf(p->queue, sizeof(p->queue), "%s", queue);
    if (n <= 0 || queue_stream_key(stream, sizeof(stream), queue) < 0 ||
        queue_published_key(set, sizeof(set), queue) < 0) {
        p->n = 0;
        p->answered = -1;
        publication_answer(p, false);
        return;
    }
    for (int i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%" PRId64, ids[i]);
        /* Atomic: a consumer never sees the entry before the set knows it,
         * and the set never claims an entry the stream does not have. */
        const char *multi[] = {"MULTI"};
        const char *sadd[] = {"SADD", set, id};
        const char *xadd[] = {"XADD", stream, "*", QUEUE_FIELD_JOB, id};
        const char *exec[] = {"EXEC"};
        if (redis_command_argv(redis, on_queued, NULL, 1, multi, NULL) < 0 ||
            redis_command_argv(redis, on_queued, NULL, 3, sadd, NULL) < 0 ||
            redis_command_argv(redis, on_queued, NULL, 5, xadd, NULL) < 0 ||
            redis_command_argv(redis, on_exec, p, 1, exec, NULL) < 0)
            publication_answer(p, false);
    }
}
