/*
 * pay_store.c - stores verified payment notifications, several per COMMIT.
 *
 * A notification that passed verification is handed here. Whenever fewer
 * than pay_store_max_batches() statements are running, everything waiting
 * (up to PAY_STORE_MAX_ROWS) goes to PostgreSQL as ONE statement: the raw
 * notifications - once per provider transaction and status - and, for each
 * new one, its `payment` job (the outbox row). Under light load a batch is a
 * single notification and nothing waits; in a burst one COMMIT acknowledges
 * many. Each provider is answered only after the statement holding its
 * notification has committed (the caller's done function runs then), and the
 * new jobs are published after that COMMIT (the sweeper covers a failed
 * XADD). A batch of several that the database rejects is retried one
 * notification at a time, so one bad row cannot refuse the others.
 *
 * Owns: the waiting list (struct pay_store: the payments-callback module's
 * per-process state) and each batch's memory (freed when its statement has
 * answered). Items live in their requests' arenas; a
 * request whose client went away stays alive until done has answered it.
 */
#include "alloc.h"
#include "log.h"
#include "pay_server.h"
#include "queue.h"
#include "queue_publish.h"
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAY_STORE_MAX_ROWS    64   /* notifications per statement */
#define PAY_STORE_MAX_WAITING 4096 /* beyond this a provider is told to retry */
#define PAY_STORE_SQL_HEAD                                                                         \
    "WITH v (provider, notify_key, order_no, trade_no, status, provider_status, amount_fen, "      \
    "merchant, raw, detail) AS (VALUES "
#define PAY_STORE_SQL_TAIL                                                                         \
    "), ev AS (INSERT INTO payment_events (provider, source, notify_key, order_no, trade_no, "     \
    "status, provider_status, amount_fen, merchant, raw, detail) SELECT provider, 'notify', "      \
    "notify_key, order_no, trade_no, status, provider_status, amount_fen::bigint, merchant, raw, " \
    "detail::jsonb FROM v ON CONFLICT (provider, notify_key) DO NOTHING RETURNING id, provider, "  \
    "notify_key), job AS (INSERT INTO jobs (queue, payload) SELECT 'payment', "                    \
    "jsonb_build_object('kind', 'event', 'event_id', id) FROM ev RETURNING id, "                   \
    "(payload->>'event_id')::bigint AS event_id) SELECT ev.provider, ev.notify_key, job.id FROM "  \
    "ev JOIN job ON job.event_id = ev.id"

struct pay_store {
    struct pay_store_item *head, *tail; /* waiting, in arrival order */
    int waiting, running;               /* waiting; statements running */
    uint64_t batches, rows;             /* statements sent; notifications in them */
};

enum { PAY_STORE_M_WAITING, PAY_STORE_M_BATCHES, PAY_STORE_M_ROWS };

const struct api_metric pay_store_metrics[PAY_STORE_NMETRICS] = {
    {"zikao_payment_notifications_waiting", "",
     "Verified payment notifications waiting to be stored.", false},
    {"zikao_payment_store_batches_total", "",
     "Statements that stored payment notifications (one COMMIT each).", true},
    {"zikao_payment_store_notifications_total", "",
     "Payment notifications sent to PostgreSQL in those statements.", true},
};

static struct pay_store *store_of(struct server *srv)
{
    return api_state(srv, &api_payments_callback_module);
}

static void pay_store_publish(struct server *srv, const struct pay_store *st)
{
    const struct api_module *m = &api_payments_callback_module;
    api_metric_set(srv, m, PAY_STORE_M_WAITING, st->waiting);
    api_metric_set(srv, m, PAY_STORE_M_BATCHES, (int64_t)st->batches);
    api_metric_set(srv, m, PAY_STORE_M_ROWS, (int64_t)st->rows);
}

struct pay_store_batch {
    struct server *srv;
    int n;
    struct pay_store_item *items[PAY_STORE_MAX_ROWS];
    const char *values[PAY_STORE_MAX_ROWS * PAY_STORE_NCOLS];
    struct pg_params params;
    char sql[];
};

/*
 * Statements in flight per process: one (two from 16 connections on). Fewer,
 * larger COMMITs cost less: one batch in flight stored 7 492 notifications/s
 * on two cores where two stored 5 420 and four 4 269 (BENCHMARKS.md), and
 * the rest of the API keeps the other connections.
 */
static int pay_store_max_batches(const struct server *srv)
{
    return 1 + srv->cfg.db_pool_size / 16;
}

static void pay_store_kick(struct server *srv);
static void pay_store_run(struct server *srv, struct pay_store_item **items, int n);

/* Answers every item of the batch (and frees it). */
static void pay_store_finish(struct pay_store_batch *b, int rc)
{
    for (int i = 0; i < b->n; i++) {
        struct pay_store_item *it = b->items[i];
        it->done(it->req, it, rc < 0 ? rc : it->stored_now ? 1 : 0);
    }
    free(b);
}

static void pay_store_answered(void *ud, const struct pg_result *r)
{
    struct pay_store_batch *b = ud;
    struct server *srv = b->srv;
    store_of(srv)->running--;
    if (r->error == PG_ERR_QUERY && b->n > 1) {
        /* One row may be what the database refuses: each on its own. */
        log_msg(LOG_LEVEL_WARNING, NULL,
                "payment: a batch of %d notifications was refused (%s %s); storing each alone",
                b->n, r->sqlstate, r->message);
        for (int i = 0; i < b->n; i++)
            pay_store_run(srv, &b->items[i], 1);
        free(b);
        pay_store_kick(srv);
        return;
    }
    if (r->error != PG_OK) {
        log_msg(LOG_LEVEL_ERR, b->n == 1 ? b->items[0]->req->id : NULL,
                "payment: storing %d notification(s) failed: %s %s", b->n, r->sqlstate, r->message);
        pay_store_finish(b, r->error == PG_ERR_QUERY ? -EIO : -EAGAIN);
        pay_store_kick(srv);
        return;
    }
    int rows = PQntuples(r->res);
    int64_t jobs[PAY_STORE_MAX_ROWS];
    int njobs = 0;
    for (int k = 0; k < rows && njobs < PAY_STORE_MAX_ROWS; k++) {
        const char *provider = PQgetvalue(r->res, k, 0);
        const char *key = PQgetvalue(r->res, k, 1);
        jobs[njobs++] = strtoll(PQgetvalue(r->res, k, 2), NULL, 10);
        for (int i = 0; i < b->n; i++) {
            struct pay_store_item *it = b->items[i];
            if (strcmp(it->v[0], provider) == 0 && strcmp(it->v[1], key) == 0) {
                it->stored_now = true;
                break; /* a copy in the same batch was not the one stored */
            }
        }
    }
    if (njobs > 0 && srv->redis != NULL)
        queue_publish(srv->redis, QUEUE_PAYMENT, jobs, njobs, NULL, NULL);
    pay_store_finish(b, 0);
    pay_store_kick(srv);
}

/* Sends items[0..n) as one statement; answers them at once if it cannot. */
static void pay_store_run(struct server *srv, struct pay_store_item **items, int n)
{
    size_t sqlsz = sizeof(PAY_STORE_SQL_HEAD) + sizeof(PAY_STORE_SQL_TAIL) +
                   (size_t)n * PAY_STORE_NCOLS * 8 + (size_t)n * 4;
    struct pay_store_batch *b = calloc(1, sizeof(*b) + sqlsz);
    if (b == NULL) {
        for (int i = 0; i < n; i++)
            items[i]->done(items[i]->req, items[i], -EAGAIN);
        return;
    }
    b->srv = srv;
    b->n = n;
    size_t len = (size_t)snprintf(b->sql, sqlsz, "%s", PAY_STORE_SQL_HEAD);
    for (int i = 0; i < n; i++) {
        b->items[i] = items[i];
        items[i]->stored_now = false;
        len += (size_t)snprintf(b->sql + len, sqlsz - len, "%s(", i ? ", " : "");
        for (int c = 0; c < PAY_STORE_NCOLS; c++) {
            int p = i * PAY_STORE_NCOLS + c;
            b->values[p] = items[i]->v[c];
            len += (size_t)snprintf(b->sql + len, sqlsz - len, "%s$%d", c ? ", " : "", p + 1);
        }
        len += (size_t)snprintf(b->sql + len, sqlsz - len, ")");
    }
    snprintf(b->sql + len, sqlsz - len, "%s", PAY_STORE_SQL_TAIL);
    b->params.n = n * PAY_STORE_NCOLS;
    b->params.values = b->values;
    int rc = srv->pg ? pg_query(srv->pg, b->sql, &b->params, pay_store_answered, b) : -ENOTCONN;
    if (rc < 0) {
        pay_store_finish(b, -EAGAIN);
        return;
    }
    struct pay_store *st = store_of(srv);
    st->running++;
    st->batches++;
    st->rows += (uint64_t)n;
    pay_store_publish(srv, st);
}

/* Starts batches while there is room and something waits. */
static void pay_store_kick(struct server *srv)
{
    struct pay_store *st = store_of(srv);
    while (st->waiting > 0 && st->running < pay_store_max_batches(srv)) {
        struct pay_store_item *items[PAY_STORE_MAX_ROWS];
        int n = 0;
        while (st->head != NULL && n < PAY_STORE_MAX_ROWS) {
            struct pay_store_item *it = st->head;
            st->head = it->next;
            it->next = NULL;
            items[n++] = it;
        }
        if (st->head == NULL)
            st->tail = NULL;
        st->waiting -= n;
        pay_store_run(srv, items, n);
    }
    pay_store_publish(srv, st);
}

void pay_store_submit(struct server *srv, struct pay_store_item *it)
{
    struct pay_store *st = store_of(srv);
    if (st->waiting >= PAY_STORE_MAX_WAITING) {
        it->done(it->req, it, -EAGAIN);
        return;
    }
    it->next = NULL;
    if (st->tail != NULL)
        st->tail->next = it;
    else
        st->head = it;
    st->tail = it;
    st->waiting++;
    pay_store_kick(srv);
}

int pay_store_init(struct server *srv, void **state)
{
    *state = zk_calloc(1, sizeof(struct pay_store));
    return 0;
}

void pay_store_free(struct server *srv, void *state)
{
    free(state); /* nothing waits: every request was answered before the loop ended */
}
