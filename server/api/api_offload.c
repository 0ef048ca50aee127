/*
 * api_offload.c - bounded work on the libuv thread pool (see api_offload.h).
 *
 * Owns, per process, how many pieces of each kind are in flight (its module
 * state) and publishes them as gauges.
 */
#include "api_offload.h"
#include "alloc.h"
#include "log.h"
#include "server.h"

#include <stdlib.h>

extern const struct api_module api_offload_module;

static const char *const offload_names[API_OFFLOAD_KINDS] = {"password", "captcha", "payment",
                                                             "chsi"};

struct offload_state {
    int in_flight[API_OFFLOAD_KINDS];
};

struct offload {
    uv_work_t work;
    struct http_request *req;
    enum api_offload_kind kind;
    api_offload_work_fn fn;
    api_offload_after_fn after;
    void *data;
};

static int offload_limit(const struct zk_config *cfg, enum api_offload_kind kind)
{
    switch (kind) {
    case API_OFFLOAD_PASSWORD:
        return cfg->auth_hash_queue_limit;
    case API_OFFLOAD_CAPTCHA:
        return cfg->auth_captcha_queue_limit;
    case API_OFFLOAD_CHSI:
        return cfg->chsi_crypto_queue_limit;
    case API_OFFLOAD_PAYMENT:
    case API_OFFLOAD_KINDS:
        break;
    }
    return cfg->pay_crypto_queue_limit;
}

static void offload_publish(struct server *srv, struct offload_state *st,
                            enum api_offload_kind kind)
{
    api_metric_set(srv, &api_offload_module, (size_t)kind, st->in_flight[kind]);
}

static void offload_work(uv_work_t *w)
{
    struct offload *o = w->data;
    o->fn(o->data);
}

static void offload_after(uv_work_t *w, int status)
{
    struct offload *o = w->data;
    (void)status; /* never cancelled: uv_cancel is not used */
    struct server *srv = o->req->srv;
    struct offload_state *st = api_state(srv, &api_offload_module);
    st->in_flight[o->kind]--;
    offload_publish(srv, st, o->kind);
    o->after(o->req, o->data);
}

int api_offload(struct http_request *req, enum api_offload_kind kind, api_offload_work_fn work,
                api_offload_after_fn after, void *data)
{
    struct server *srv = req->srv;
    struct offload_state *st = api_state(srv, &api_offload_module);
    int limit = offload_limit(&srv->cfg, kind);
    if (st->in_flight[kind] >= limit) {
        log_msg(LOG_LEVEL_WARNING, req->id, "%d %s piece(s) of work waiting: refused (503)",
                st->in_flight[kind], offload_names[kind]);
        api_respond_busy(req);
        return -1;
    }
    struct offload *o = arena_calloc(&req->arena, sizeof(*o));
    o->req = req;
    o->kind = kind;
    o->fn = work;
    o->after = after;
    o->data = data;
    o->work.data = o;
    if (uv_queue_work(srv->loop, &o->work, offload_work, offload_after) != 0) {
        api_respond_busy(req);
        return -1;
    }
    st->in_flight[kind]++;
    offload_publish(srv, st, kind);
    return 0;
}

static int offload_init(struct server *srv, void **state)
{
    *state = zk_calloc(1, sizeof(struct offload_state));
    return 0;
}

static void offload_free(struct server *srv, void *state)
{
    free(state);
}

static const struct api_metric offload_metrics[API_OFFLOAD_KINDS] = {
    {"zikao_offload_in_flight", "kind=\"password\"",
     "Pieces of work waiting for or on the thread pool (beyond the kind's limit: 503).", false},
    {"zikao_offload_in_flight", "kind=\"captcha\"", "", false},
    {"zikao_offload_in_flight", "kind=\"payment\"", "", false},
    {"zikao_offload_in_flight", "kind=\"chsi\"", "", false},
};

const struct api_module api_offload_module = {
    .name = "offload",
    .init = offload_init,
    .free = offload_free,
    .metrics = offload_metrics,
    .nmetrics = API_OFFLOAD_KINDS,
};
