/*
 * queue_publish.c - XADD committed jobs, then mark them published (see
 * queue_publish.h).
 *
 * Owns one heap-allocated publication per call, freed after the final
 * callback.
 */
#include "queue_publish.h"
#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "pg_pool.h"
#include "queue.h"
#include "redis_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct publication {
    struct pg_pool *pg;
    char key[QUEUE_KEY_MAX];
    int64_t *ids;
    bool *ok;
    int n, answered, published;
    queue_publish_cb cb;
    void *ud;
    struct arena arena; /* the UPDATE's parameter text */
    const char *param;
    struct pg_params params;
};

static void publication_finish(struct publication *p)
{
    if (p->cb != NULL)
        p->cb(p->ud, p->published, p->n - p->published);
    arena_destroy(&p->arena);
    free(p->ids);
    free(p->ok);
    free(p);
}

static void on_marked(void *ud, const struct pg_result *r)
{
    struct publication *p = ud;
    if (r->error != PG_OK)
        log_warn("jobs: could not mark %d job(s) published (the sweeper will publish them "
                 "again, harmlessly): %s",
                 p->published, r->message);
    publication_finish(p);
}

static void publication_mark(struct publication *p)
{
    if (p->published == 0) {
        publication_finish(p);
        return;
    }
    struct buf b;
    buf_init(&b, &p->arena, 16 * (size_t)p->published + 4);
    buf_puts(&b, "{");
    int k = 0;
    for (int i = 0; i < p->n; i++)
        if (p->ok[i])
            buf_printf(&b, "%s%" PRId64, k++ ? "," : "", p->ids[i]);
    buf_puts(&b, "}");
    p->param = b.data;
    p->params.n = 1;
    p->params.values = &p->param;
    if (pg_query(p->pg, "UPDATE jobs SET published_at = now() WHERE id = ANY($1::bigint[])",
                 &p->params, on_marked, p) < 0) {
        log_warn("jobs: database busy; %d published job(s) left unmarked", p->published);
        publication_finish(p);
    }
}

struct xadd_ctx {
    struct publication *p;
    int index;
};

static void on_xadd(void *ud, redisReply *reply, const char *err)
{
    struct xadd_ctx *x = ud;
    struct publication *p = x->p;
    if (err == NULL) {
        p->ok[x->index] = true;
        p->published++;
    }
    free(x);
    if (++p->answered == p->n)
        publication_mark(p);
}

void queue_publish(struct pg_pool *pg, struct redis_client *redis, const char *queue,
                   const int64_t *ids, int n, queue_publish_cb cb, void *ud)
{
    struct publication *p = zk_calloc(1, sizeof(*p));
    p->pg = pg;
    p->n = n;
    p->cb = cb;
    p->ud = ud;
    arena_init(&p->arena, 1024);
    if (n == 0 || queue_stream_key(p->key, sizeof(p->key), queue) < 0) {
        p->n = 0;
        publication_finish(p);
        return;
    }
    p->ids = zk_malloc(sizeof(*ids) * (size_t)n);
    memcpy(p->ids, ids, sizeof(*ids) * (size_t)n);
    p->ok = zk_calloc((size_t)n, sizeof(*p->ok));
    int refused = 0;
    for (int i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%" PRId64, ids[i]);
        const char *argv[] = {"XADD", p->key, "*", QUEUE_FIELD_JOB, id};
        struct xadd_ctx *x = zk_malloc(sizeof(*x));
        x->p = p;
        x->index = i;
        if (redis_command_argv(redis, on_xadd, x, 5, argv, NULL) < 0) {
            free(x);
            refused++;
        }
    }
    if (refused > 0) {
        log_warn("jobs: Redis unavailable; %d %s job(s) left for the sweeper", refused, queue);
        p->answered += refused;
        if (p->answered == p->n)
            publication_mark(p);
    }
}
