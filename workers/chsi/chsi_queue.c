/*
 * chsi_queue.c - the `chsi` queue of zikao-worker: prior-education
 * authorisations through 学信网 (CHSI). Job kinds (payload "kind"):
 *
 *   notice      {"callback_id": N}: apply a stored, verified notification
 *               to its request (commit step: prior_education_apply, exactly
 *               once, in the done transaction): scanned; or the record
 *               compared with the candidate's name, ID number and gender,
 *               kept when they all agree, else a mismatch naming them.
 *   sim_notify  {"notify_id", "url", "body"}: the built-in simulator
 *               ([chsi] simulator) delivers one of its notifications, signed
 *               with its key, to our callback. A 200 ends it; a refusal
 *               (4xx: unknown or expired token, malformed) ends it too, as a
 *               provider gives up on one; anything else is retried with
 *               backoff. chsi_sim_notices records what the callback answered.
 *
 * With the simulator on (never in production), missing simulator keys are
 * written into [chsi] key_dir when the worker starts. Each thread owns an
 * HTTP client; HTTP happens in run, never inside a transaction.
 */
#include "alloc.h"
#include "chsi_proto.h"
#include "job.h"
#include "job_http.h"
#include "log.h"
#include "queue.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHSI_JOB_MAX_ATTEMPTS 12

struct chsi_thread {
    struct zk_config cfg;
    struct job_http *http;
};

static int chsi_thread_init(void **state, void *shared, const struct zk_config *cfg)
{
    (void)shared;
    if (sodium_init() < 0)
        return -EIO;
    /* Development and tests: the simulator's keys appear on first start. */
    if (cfg->chsi_simulator && !config_is_production(cfg) && cfg->chsi_key_dir[0] != '\0') {
        char probe[CONFIG_STR_MAX + 64];
        snprintf(probe, sizeof(probe), "%s/%s", cfg->chsi_key_dir, CHSI_KEY_PRIVATE);
        if (access(probe, F_OK) != 0) {
            int rc = chsi_keygen(cfg->chsi_key_dir, NULL);
            if (rc < 0)
                log_err("chsi: cannot write simulator keys in %s: %s", cfg->chsi_key_dir,
                        strerror(-rc));
            else
                log_notice("chsi: simulator keys written to %s", cfg->chsi_key_dir);
        }
    }
    struct chsi_thread *t = zk_calloc(1, sizeof(*t));
    t->cfg = *cfg;
    t->http = job_http_new("zikao-chsi-simulator/1");
    if (t->http == NULL) {
        free(t);
        return -ENOMEM;
    }
    *state = t;
    return 0;
}

static void chsi_thread_free(void *state)
{
    struct chsi_thread *t = state;
    if (t == NULL)
        return;
    job_http_free(t->http);
    free(t);
}

static const char *kind_of(const struct job *job)
{
    const char *k = json_string_value(json_object_get(job->payload, "kind"));
    return k ? k : "";
}

/* The simulator's delivery; job->data gets the status the callback answered. */
static int sim_deliver(struct job_ctx *ctx, struct job *job, struct chsi_thread *t)
{
    const char *url = json_string_value(json_object_get(job->payload, "url"));
    const char *body = json_string_value(json_object_get(job->payload, "body"));
    if (url == NULL || body == NULL)
        return job_fail(ctx, "sim_notify payload without url or body");
    struct rsa_sig_key *k =
        rsa_sig_key_load(chsi_key_path(job->arena, &t->cfg, CHSI_KEY_PRIVATE), true);
    char *sig = k ? chsi_notice_sign(job->arena, k, body, strlen(body)) : NULL;
    rsa_sig_key_free(k);
    if (sig == NULL)
        return job_fail(ctx, "simulator key %s missing in [chsi] key_dir", CHSI_KEY_PRIVATE);
    const char *headers[] = {"Content-Type: application/json; charset=utf-8",
                             arena_printf(job->arena, CHSI_SIGNATURE_HEADER ": %s", sig), NULL};
    struct job_http_resp r;
    const char *why = NULL;
    if (job_http_request(t->http, job->arena, "POST", url, headers, body, NULL, &r, &why) < 0)
        return job_fail(ctx, "delivering the notification: %s", why);
    if (r.status != 200 && (r.status < 400 || r.status >= 500))
        return job_fail(ctx, "the callback answered HTTP %ld '%.80s'", r.status, r.body);
    long *status = arena_alloc(job->arena, sizeof(*status));
    *status = r.status;
    job->data = status;
    if (r.status != 200)
        log_notice("chsi: simulator notification %s refused by the callback (HTTP %ld)",
                   json_string_value(json_object_get(job->payload, "notify_id")), r.status);
    return 0;
}

static int chsi_run(struct job_ctx *ctx, struct job *job)
{
    const char *kind = kind_of(job);
    if (strcmp(kind, "notice") == 0)
        return json_integer_value(json_object_get(job->payload, "callback_id")) > 0
                   ? 0
                   : job_fail(ctx, "notice job without callback_id");
    if (strcmp(kind, "sim_notify") == 0)
        return sim_deliver(ctx, job, job->thread_state);
    return job_fail(ctx, "unknown chsi job kind '%s'", kind);
}

/* Runs one statement with text parameters; its first value (or "") in out. */
static int exec1(struct job_ctx *ctx, PGconn *conn, const char *sql, int n,
                 const char *const *values, char *out, size_t outsz)
{
    PGresult *r = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        rc = job_fail(ctx, "%s", PQresultErrorMessage(r));
    else if (out != NULL)
        snprintf(out, outsz, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return rc;
}

static int chsi_commit(struct job_ctx *ctx, struct job *job, PGconn *conn)
{
    char a[24], b[24], outcome[32];
    if (strcmp(kind_of(job), "notice") == 0) {
        snprintf(a, sizeof(a), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(job->payload, "callback_id")));
        const char *v[] = {a};
        if (exec1(ctx, conn, "SELECT prior_education_apply($1::bigint)", 1, v, outcome,
                  sizeof(outcome)) < 0)
            return -1;
        job_set_result(ctx, json_pack("{s:s}", "outcome", outcome));
        return 0;
    }
    long status = *(const long *)job->data;
    snprintf(b, sizeof(b), "%ld", status);
    const char *v[] = {json_string_value(json_object_get(job->payload, "notify_id")), b};
    if (exec1(ctx, conn,
              "UPDATE chsi_sim_notices SET deliveries = deliveries + 1, last_status = $2::int, "
              "delivered_at = now() WHERE notify_id = $1",
              2, v, NULL, 0) < 0)
        return -1;
    job_set_result(ctx, json_pack("{s:i}", "status", (int)status));
    return 0;
}

const struct job_queue job_queue_chsi = {
    .name = QUEUE_CHSI,
    .run = chsi_run,
    .commit = chsi_commit,
    .max_attempts = CHSI_JOB_MAX_ATTEMPTS,
    .timeout_ms = 60000,
    .thread_init = chsi_thread_init,
    .thread_free = chsi_thread_free,
};
