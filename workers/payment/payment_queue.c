/*
 * payment_queue.c - the `payment` queue of zikao-worker. Job kinds (payload
 * "kind"):
 *
 *   event       {"event_id": N}: apply a stored notification to its order
 *               (commit step: exactly once, in the done transaction).
 *   reconcile   ask the providers about orders left `paying`, close expired
 *               ones; the scheduled one (payment_schedule) queues its
 *               successor [payment] reconcile_interval_seconds later in its
 *               done transaction, so exactly one chain runs.
 *   close       {"order_no": ...}: an order cancelled while paying: close the
 *               trade at the provider, or settle it if it was paid meanwhile.
 *   prepay      {"order_no", "description", "amount_fen", "expires_at",
 *               "notify_url"}: WeChat Native prepay; the QR payload (code_url)
 *               goes into the order's pay_info.
 *   sim_notify  the simulator delivers a signed notification to the server;
 *               failing (the server did not acknowledge) retries with backoff,
 *               as a real provider does.
 *
 * Each thread owns its PostgreSQL connection (for reads in run) and its
 * provider client (job_http.h). HTTP happens in run, never inside a
 * transaction.
 */
#include "alloc.h"
#include "queue.h"
#include "job.h"
#include "job_sync.h"
#include "log.h"
#include "pay_worker.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAY_JOB_MAX_ATTEMPTS 12

struct pay_thread {
    struct zk_config cfg;
    struct sync_conns conns;
    struct pay_client *pc;
};

struct pay_run {
    struct pay_settle *items;
    int n;
};

/* Makes sure the reconcile chain exists (a worker start repairs a broken one). */
static void ensure_chain(struct pay_thread *t)
{
    PGresult *r = sync_exec(
        &t->conns,
        "WITH s AS (SELECT job_id FROM payment_schedule WHERE name = 'reconcile' FOR UPDATE), "
        "ins AS (INSERT INTO jobs (queue, payload) SELECT 'payment', "
        "'{\"kind\":\"reconcile\",\"scheduled\":true}' WHERE NOT EXISTS (SELECT 1 FROM jobs j, s "
        "WHERE j.id = s.job_id AND j.state IN ('queued', 'running')) RETURNING id) UPDATE "
        "payment_schedule SET job_id = ins.id FROM ins WHERE name = 'reconcile'",
        0, NULL);
    if (r != NULL)
        PQclear(r);
}

static int pay_thread_init(void **state, void *shared, const struct zk_config *cfg)
{
    (void)shared;
    /* Idempotent (curl's global set-up is pay_client_new's); thread_init
     * runs on the main thread, one thread after the other, before any
     * consumer starts. */
    if (sodium_init() < 0)
        return -EIO;
    /* Development and tests: the simulator's keys appear on first start
     * (never in production, where the simulator is refused). */
    if (cfg->pay_simulator && !config_is_production(cfg) && cfg->pay_key_dir[0] != '\0') {
        char probe[CONFIG_STR_MAX + 64];
        snprintf(probe, sizeof(probe), "%s/%s", cfg->pay_key_dir, PAY_KEY_ALIPAY_PRIVATE);
        if (access(probe, F_OK) != 0) {
            int rc = pay_keygen(cfg->pay_key_dir, NULL);
            if (rc < 0)
                log_err("payment: cannot write simulator keys in %s: %s", cfg->pay_key_dir,
                        strerror(-rc));
            else
                log_notice("payment: simulator keys written to %s", cfg->pay_key_dir);
        }
    }
    struct pay_thread *t = zk_calloc(1, sizeof(*t));
    t->cfg = *cfg;
    t->conns.cfg = &t->cfg;
    t->conns.application_name = "zikao-worker/payment";
    t->pc = pay_client_new(&t->cfg);
    if (t->pc == NULL) {
        free(t);
        return -ENOMEM;
    }
    ensure_chain(t);
    *state = t;
    return 0;
}

static void pay_thread_free(void *state)
{
    struct pay_thread *t = state;
    if (t == NULL)
        return;
    pay_client_free(t->pc);
    sync_close(&t->conns);
    free(t);
}

static const char *kind_of(const struct job *job)
{
    const char *k = json_string_value(json_object_get(job->payload, "kind"));
    return k ? k : "";
}

static int pay_run(struct job_ctx *ctx, struct job *job)
{
    struct pay_thread *t = job->thread_state;
    const char *kind = kind_of(job);
    if (strcmp(kind, "event") == 0)
        return json_integer_value(json_object_get(job->payload, "event_id")) > 0
                   ? 0
                   : job_fail(ctx, "event job without event_id");
    if (strcmp(kind, "prepay") == 0) {
        const char *no = json_string_value(json_object_get(job->payload, "order_no"));
        const char *desc = json_string_value(json_object_get(job->payload, "description"));
        const char *notify = json_string_value(json_object_get(job->payload, "notify_url"));
        json_int_t amount = json_integer_value(json_object_get(job->payload, "amount_fen"));
        json_int_t expires = json_integer_value(json_object_get(job->payload, "expires_at"));
        if (no == NULL || desc == NULL || notify == NULL || amount <= 0)
            return job_fail(ctx, "prepay payload incomplete");
        const char *code_url = NULL, *why = NULL;
        if (pay_client_wechat_prepay(t->pc, job->arena, no, desc, amount, (time_t)expires, notify,
                                     &code_url, &why) < 0)
            return job_fail(ctx, "prepay of %s: %s", no, why ? why : "?");
        json_t *info = json_pack("{s:s, s:s, s:s}", "provider", "wechat", "kind", "qr",
                                 "qr_payload", code_url);
        const char *pr = strstr(code_url, "pr=");
        if (t->cfg.pay_simulator && t->cfg.pay_wechat_gateway[0] == '\0' && pr != NULL)
            /* The simulator's stand-in for scanning the code: its pay page. */
            json_object_set_new(
                info, "url",
                json_string(arena_printf(job->arena, "%s/pay/%s",
                                         pay_wechat_gateway(job->arena, &t->cfg), pr + 3)));
        char *text = json_dumps(info, JSON_COMPACT);
        json_decref(info);
        job->data = arena_strdup(job->arena, text);
        free(text);
        return 0;
    }
    if (strcmp(kind, "sim_notify") == 0) {
        const char *why = NULL;
        if (pay_client_sim_notify(t->pc, job->arena, job->payload, &why) < 0)
            return job_fail(ctx, "simulator notification not acknowledged: %s", why ? why : "?");
        return 0;
    }
    if (strcmp(kind, "reconcile") == 0 || strcmp(kind, "close") == 0) {
        PGconn *c = sync_pg(&t->conns);
        if (c == NULL)
            return job_fail(ctx, "PostgreSQL unreachable");
        struct pay_run *pr = arena_calloc(job->arena, sizeof(*pr));
        const char *order_no = NULL;
        int older = t->cfg.pay_reconcile_after_minutes;
        if (strcmp(kind, "close") == 0) {
            order_no = json_string_value(json_object_get(job->payload, "order_no"));
            if (order_no == NULL)
                return job_fail(ctx, "close job without order_no");
        } else if (json_is_integer(json_object_get(job->payload, "older_than_minutes"))) {
            older = (int)json_integer_value(json_object_get(job->payload, "older_than_minutes"));
        }
        pr->n = pay_reconcile_collect(c, &t->cfg, t->pc, job->arena, older, order_no, &pr->items);
        if (pr->n < 0)
            return job_fail(ctx, "reconcile: reading the orders failed");
        if (order_no != NULL) {
            /* A cancelled order: close it there unless it was paid. */
            for (int i = 0; i < pr->n; i++) {
                struct pay_settle *s = &pr->items[i];
                if (s->action != PAY_SETTLE_NONE || s->failed || s->provider == NULL)
                    continue;
                const char *why = NULL;
                int cr = pay_client_close(t->pc, job->arena, s->provider, s->order_no, &why);
                if (cr == -EALREADY)
                    return job_fail(ctx, "order %s was paid while closing; retrying to settle it",
                                    order_no);
                if (cr < 0)
                    return job_fail(ctx, "closing %s at %s failed: %s", order_no, s->provider,
                                    why ? why : "?");
            }
            for (int i = 0; i < pr->n; i++)
                if (pr->items[i].failed)
                    return job_fail(ctx, "order %s: %s", order_no, pr->items[i].note);
        }
        job->data = pr;
        return 0;
    }
    return job_fail(ctx, "unknown payment job kind '%s'", kind);
}

static int pay_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    struct pay_thread *t = job->thread_state;
    const char *kind = kind_of(job);
    char err[512] = "";
    if (strcmp(kind, "event") == 0) {
        char id[24];
        snprintf(id, sizeof(id), "%lld",
                 (long long)json_integer_value(json_object_get(job->payload, "event_id")));
        const char *outcome = NULL;
        if (pay_event_apply(conn, &t->cfg, id, &outcome, err, sizeof(err)) < 0)
            return job_fail(ctx, "applying event %s: %s", id, err);
        job_set_result(ctx, json_pack("{s:s}", "outcome", outcome));
        return 0;
    }
    if (strcmp(kind, "prepay") == 0) {
        /* Only while it is still paying through WeChat (not cancelled meanwhile). */
        const char *v[] = {json_string_value(json_object_get(job->payload, "order_no")), job->data};
        PGresult *r = PQexecParams(conn,
                                   "UPDATE orders SET pay_info = $2::jsonb, updated_at = now() "
                                   "WHERE order_no = $1 AND state = 'paying' AND provider = "
                                   "'wechat'",
                                   2, NULL, v, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
        PQclear(r);
        return ok ? 0 : job_fail(ctx, "prepay: %s", err);
    }
    if (strcmp(kind, "sim_notify") == 0) {
        const char *v[] = {json_string_value(json_object_get(job->payload, "provider")),
                           json_string_value(json_object_get(job->payload, "trade_no"))};
        PGresult *r = PQexecParams(conn,
                                   "UPDATE payment_sim_trades SET notified_at = now() WHERE "
                                   "provider = $1 AND trade_no = $2",
                                   2, NULL, v, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
        PQclear(r);
        return ok ? 0 : job_fail(ctx, "sim_notify: %s", err);
    }
    struct pay_run *pr = job->data;
    struct pay_reconcile_report rep = {0};
    if (pr != NULL &&
        pay_reconcile_apply(conn, &t->cfg, pr->items, pr->n, &rep, err, sizeof(err)) < 0)
        return job_fail(ctx, "%s: %s", kind, err);
    if (strcmp(kind, "reconcile") == 0 &&
        json_is_true(json_object_get(job->payload, "scheduled"))) {
        /* The chain: the next run, only if this job is the scheduled one. */
        char id[24], secs[16];
        snprintf(id, sizeof(id), "%lld", (long long)job->id);
        snprintf(secs, sizeof(secs), "%d", t->cfg.pay_reconcile_interval_s);
        const char *v[] = {id, secs};
        PGresult *r = PQexecParams(
            conn,
            "WITH ins AS (INSERT INTO jobs (queue, payload, not_before) SELECT 'payment', "
            "'{\"kind\":\"reconcile\",\"scheduled\":true}', now() + make_interval(secs => "
            "$2::int) WHERE EXISTS (SELECT 1 FROM payment_schedule WHERE name = 'reconcile' AND "
            "job_id = $1::bigint) RETURNING id) UPDATE payment_schedule SET job_id = ins.id FROM "
            "ins WHERE name = 'reconcile'",
            2, NULL, v, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(err, sizeof(err), "%s", PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return job_fail(ctx, "scheduling the next reconciliation: %s", err);
    }
    job_set_result(ctx, json_pack("{s:i, s:i, s:i, s:i, s:i}", "checked", rep.checked, "paid",
                                  rep.paid, "closed", rep.closed, "errors", rep.errors, "unchanged",
                                  rep.unchanged));
    return 0;
}

const struct job_queue job_queue_payment = {
    .name = QUEUE_PAYMENT,
    .run = pay_run,
    .commit = pay_commit,
    .max_attempts = PAY_JOB_MAX_ATTEMPTS,
    .timeout_ms = 120000,
    .thread_init = pay_thread_init,
    .thread_free = pay_thread_free,
};
