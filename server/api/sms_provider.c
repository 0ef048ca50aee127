/*
 * sms_provider.c - the SMS providers (see sms_provider.h): today the
 * sms_outbox table. Owns nothing beyond the request's arena.
 */
#include "sms_provider.h"

#include <string.h>

/* The request's ctx belongs to the handler: the provider keeps it aside
 * while its statement runs and gives it back before anything else. */
struct outbox_send {
    api_next_fn done;
    void *handler_ctx;
};

static void outbox_written(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct outbox_send *os = req->ctx;
    req->ctx = os->handler_ctx;
    if (api_db_failed(req, r))
        return;
    os->done(req);
}

static void outbox_send(struct http_request *req, const struct sms_message *msg, api_next_fn done)
{
    struct outbox_send *os = arena_calloc(&req->arena, sizeof(*os));
    os->done = done;
    os->handler_ctx = req->ctx;
    req->ctx = os;
    const char *values[] = {msg->phone, msg->purpose, msg->body};
    if (api_query(req,
                  "INSERT INTO sms_outbox (phone, purpose, body, sent_at) VALUES ($1, $2, $3, "
                  "now())",
                  3, values, outbox_written) < 0)
        req->ctx = os->handler_ctx; /* answered 503 */
}

static const struct sms_provider sms_providers[] = {
    {"outbox", outbox_send},
};

const struct sms_provider *sms_provider_find(const char *name)
{
    for (size_t i = 0; i < sizeof(sms_providers) / sizeof(sms_providers[0]); i++)
        if (strcmp(sms_providers[i].name, name) == 0)
            return &sms_providers[i];
    return NULL;
}
