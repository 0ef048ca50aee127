/*
 * review.c - the review queues' routes and the decision machinery (see
 * review.h for the contract).
 *
 *   GET  /api/v1/staff/queues                               the caller's queues, decisions,
 *                                                           counts per state (and office)
 *   GET  /api/v1/staff/queues/{queue}/items                 ?state= &office= &checks_passed=
 *                                                           &after= &limit=  (keyset pages)
 *   GET  /api/v1/staff/queues/{queue}/items/{id}            item + the flow's detail (in the trail)
 *   POST /api/v1/staff/queues/{queue}/items/{id}/claim      take it for [staff] claim_minutes
 *   POST /api/v1/staff/queues/{queue}/items/{id}/release    let it go
 *   POST /api/v1/staff/queues/{queue}/items/{id}/decision   {decision, reason, next_step}
 *   POST /api/v1/staff/queues/{queue}/bulk-approve          {items: [id, ...], reason}
 *
 * A decision's steps (decide_*, in order): begin; review_decide (lock,
 * scope, state, claim; records the decision and the trail row); the queue's
 * hook; review_notify (the SMS notice); its sms job; COMMIT. The outcome
 * goes to a callback, so that one decision answers the request and bulk
 * approval collects one outcome per item. Owns nothing beyond the request.
 */
#include "review.h"
#include "api_util.h"
#include "log.h"
#include "queue.h"
#include "server.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The queues, one line each. */
static const struct review_queue *const review_queues[] = {
    &review_identity_queue, &review_graduation_queue,   &review_exemption_queue,
    &review_transfer_queue, &review_transfer_out_queue,
};
#define REVIEW_NQUEUES (sizeof(review_queues) / sizeof(review_queues[0]))

#define LIST_LIMIT_MAX 100
#define BULK_MAX       50
#define TEXT_MAX       500 * 4 /* 500 characters of UTF-8 */

const struct review_queue *review_queue_find(const char *kind)
{
    for (size_t i = 0; kind != NULL && i < REVIEW_NQUEUES; i++)
        if (strcmp(review_queues[i]->kind, kind) == 0)
            return review_queues[i];
    return NULL;
}

static bool digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

/* The route's queue, or NULL after answering 404. */
static const struct review_queue *queue_of(struct http_request *req)
{
    const struct review_queue *q = review_queue_find(http_param(req, 0));
    if (q == NULL)
        http_respond_error(req, 404, "QUEUE_NOT_FOUND", "没有这个审核队列", "queue");
    return q;
}

/* The route's item id, or NULL after answering 404. */
static const char *item_of(struct http_request *req)
{
    const char *id = http_param(req, 1);
    if (!digits(id, 18)) {
        http_respond_error(req, 404, "ITEM_NOT_FOUND", "没有这一项", "id");
        return NULL;
    }
    return id;
}

/* ---- queues and lists ------------------------------------------------------------- */

static void queues_authed(struct http_request *req, const struct staff_ctx *st)
{
    /* The queues the caller's office handles (province staff and auditors:
     * all), as a JSON array literal of constants: [{"kind":..,"decisions":[..]}]. */
    unsigned mine = strcmp(st->role, "district") == 0             ? REVIEW_BY_DISTRICT
                    : strcmp(st->role, "confirmation_point") == 0 ? REVIEW_BY_POINT
                                                                  : ~0u;
    struct buf b;
    buf_init(&b, &req->arena, 256);
    buf_printf(&b, "[");
    for (size_t i = 0, n = 0; i < REVIEW_NQUEUES; i++)
        if (review_queues[i]->offices & mine)
            buf_printf(&b, "%s{\"kind\":\"%s\",\"decisions\":%s}", n++ ? "," : "",
                       review_queues[i]->kind, review_queues[i]->decisions);
    buf_printf(&b, "]");
    const char *values[] = {st->idtext, b.data};
    staff_json_query(
        req, 200,
        "SELECT json_build_object('queues', coalesce(json_agg(json_build_object('kind', k.kind, "
        "'title', k.title, 'decisions', q.v -> 'decisions', 'counts', (SELECT "
        "coalesce(json_object_agg(x.state, x.n), '{}') FROM "
        "(SELECT i.state, count(*) AS n FROM review_items i JOIN staff_scope sc ON sc.staff_id = "
        "$1::bigint AND (sc.all_offices OR i.office_district = sc.district OR i.office_point = "
        "sc.point_id) WHERE i.kind = k.kind GROUP BY i.state) x), "
        /* the same per handling office, for the console's chart */
        "'by_office', (SELECT coalesce(json_agg(json_build_object('office', o.office, 'name', "
        "o.name, 'counts', o.counts) ORDER BY o.office), '[]') FROM (SELECT z.office, z.name, "
        "json_object_agg(z.state, z.n) AS counts FROM (SELECT CASE WHEN i.office_district IS NOT "
        "NULL THEN 'district:' || i.office_district WHEN i.office_point IS NOT NULL THEN "
        "'point:' || i.office_point ELSE 'province' END AS office, coalesce((SELECT r.name FROM "
        "regions r WHERE r.code = i.office_district), (SELECT p.name FROM confirmation_points p "
        "WHERE p.id = i.office_point), '省级') AS name, i.state, count(*) AS n FROM review_items "
        "i JOIN staff_scope sc ON sc.staff_id = $1::bigint AND (sc.all_offices OR "
        "i.office_district = sc.district OR i.office_point = sc.point_id) WHERE i.kind = k.kind "
        "GROUP BY 1, 2, 3) z GROUP BY z.office, z.name) o)) ORDER BY q.ord), '[]'))::text "
        "FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS q(v, ord) "
        "JOIN review_kinds k ON k.kind = q.v ->> 'kind'",
        2, values);
}

static void queues_get(struct http_request *req)
{
    staff_require(req, STAFF_READ, queues_authed);
}

static void list_authed(struct http_request *req, const struct staff_ctx *st)
{
    const struct review_queue *q = queue_of(req);
    if (q == NULL)
        return;
    const char *state = http_query_get(req, "state");
    const char *office = http_query_get(req, "office");
    const char *checks = http_query_get(req, "checks_passed");
    const char *after = http_query_get(req, "after");
    const char *limit = http_query_get(req, "limit");
    static const char *const states[] = {"open",    "approved",  "returned",
                                         "refused", "withdrawn", "superseded"};
    bool state_ok = state == NULL;
    for (size_t i = 0; !state_ok && i < sizeof(states) / sizeof(states[0]); i++)
        state_ok = strcmp(state, states[i]) == 0;
    if (!state_ok) {
        http_respond_error(req, 400, "FIELD_INVALID",
                           "state 应为 open、approved、returned、refused、withdrawn 或 superseded",
                           "state");
        return;
    }
    /* office: a district's code, or an item's office as the lists name it
     * (district:NNNNNN, point:N, province). */
    const char *district = NULL, *point = NULL, *province = "false";
    if (office != NULL) {
        if (strncmp(office, "district:", 9) == 0)
            district = office + 9;
        else if (strncmp(office, "point:", 6) == 0)
            point = office + 6;
        else if (strcmp(office, "province") == 0)
            province = "true";
        else
            district = office;
        if ((district != NULL && (!digits(district, 6) || strlen(district) != 6)) ||
            (point != NULL && !digits(point, 18))) {
            http_respond_error(req, 400, "FIELD_INVALID",
                               "office 应为区县的 6 位行政区划代码、point:确认点编号或 province",
                               "office");
            return;
        }
    }
    if (checks != NULL && strcmp(checks, "true") != 0 && strcmp(checks, "false") != 0) {
        http_respond_error(req, 400, "FIELD_INVALID", "checks_passed 应为 true 或 false",
                           "checks_passed");
        return;
    }
    /* The cursor is "MICROSECONDS.ID" of the last item of the page before. */
    const char *after_us = NULL, *after_id = NULL;
    if (after != NULL) {
        const char *dot = strchr(after, '.');
        after_us = dot ? arena_strndup(&req->arena, after, (size_t)(dot - after)) : NULL;
        after_id = dot ? dot + 1 : NULL;
        if (!digits(after_us, 18) || !digits(after_id, 18)) {
            http_respond_error(req, 400, "CURSOR_INVALID", "after 应为上一页给出的 next", "after");
            return;
        }
    }
    long n = limit ? strtol(limit, NULL, 10) : 20;
    if (limit != NULL && (!digits(limit, 3) || n < 1 || n > LIST_LIMIT_MAX)) {
        http_respond_error(req, 400, "FIELD_INVALID", "limit 应为 1 到 100", "limit");
        return;
    }
    const char *values[] = {st->idtext,
                            q->kind,
                            state ? state : "open",
                            district,
                            checks,
                            after_us,
                            after_id,
                            arena_printf(&req->arena, "%ld", n),
                            point,
                            province};
    /* One index range per queue and list order (review_items_<queue>_list,
     * _district_list); the scope join keeps other offices' items out. */
    staff_json_query(
        req, 200,
        "WITH page AS (SELECT i.* FROM review_items i JOIN staff_scope sc ON sc.staff_id = "
        "$1::bigint AND (sc.all_offices OR i.office_district = sc.district OR i.office_point = "
        "sc.point_id) WHERE i.kind = $2 AND i.state = $3 AND ($4::char(6) IS NULL OR "
        "i.office_district = $4) AND ($9::bigint IS NULL OR i.office_point = $9::bigint) AND "
        "(NOT $10::boolean OR (i.office_district IS NULL AND i.office_point IS NULL)) AND "
        "($5::boolean IS NULL OR i.checks_passed = $5) AND "
        "($6::bigint IS NULL OR (i.created_at, i.id) > (timestamptz 'epoch' + $6::bigint * "
        "interval '1 microsecond', $7::bigint)) ORDER BY i.created_at, i.id LIMIT $8::int + 1), "
        "shown AS (SELECT * FROM page ORDER BY created_at, id LIMIT $8::int) "
        "SELECT json_build_object('items', coalesce((SELECT json_agg(review_item_json(s) ORDER "
        "BY s.created_at, s.id) FROM shown s), '[]'), 'next', CASE WHEN (SELECT count(*) FROM "
        "page) > $8::int THEN (SELECT (extract(epoch FROM s.created_at) * 1000000)::bigint || "
        "'.' || s.id FROM shown s ORDER BY s.created_at DESC, s.id DESC LIMIT 1) END)::text",
        10, values);
}

static void list_get(struct http_request *req)
{
    staff_require(req, STAFF_READ, list_authed);
}

static void item_authed(struct http_request *req, const struct staff_ctx *st)
{
    const struct review_queue *q = queue_of(req);
    const char *item = q ? item_of(req) : NULL;
    if (item == NULL)
        return;
    const char *values[] = {st->idtext, item, q->kind, staff_request_id(req)};
    /* Viewing an item shows personal data: the view is in the trail. */
    staff_json_query(
        req, 200,
        arena_printf(&req->arena,
                     "SELECT json_build_object('item', review_item_json(i), 'detail', %s(i.id), "
                     "'logged', staff_audit_add($1::bigint, 'view.item', i.kind, i.id::text, "
                     "NULL, NULL, $4))::text FROM review_items i JOIN staff_scope sc ON "
                     "sc.staff_id = $1::bigint AND (sc.all_offices OR i.office_district = "
                     "sc.district OR i.office_point = sc.point_id) WHERE i.id = $2::bigint AND "
                     "i.kind = $3",
                     q->detail_fn),
        4, values);
}

static void item_get(struct http_request *req)
{
    staff_require(req, STAFF_READ, item_authed);
}

static void claim_authed(struct http_request *req, const struct staff_ctx *st)
{
    const struct review_queue *q = queue_of(req);
    const char *item = q ? item_of(req) : NULL;
    if (item == NULL)
        return;
    bool release = strcmp(strrchr(req->path, '/'), "/release") == 0;
    const char *values[] = {
        item, q->kind, st->idtext,
        release ? "0" : arena_printf(&req->arena, "%d", req->srv->cfg.staff_claim_minutes),
        staff_request_id(req)};
    staff_json_query(req, 200,
                     "SELECT json_build_object('item', review_claim($1::bigint, $2, $3::bigint, "
                     "$4::int, $5))::text",
                     5, values);
}

static void claim_post(struct http_request *req)
{
    staff_require(req, STAFF_ACT, claim_authed);
}

/* ---- decisions ---------------------------------------------------------------------- */

struct decide_run;
typedef void (*decide_done_fn)(struct http_request *req, struct decide_run *dr);

struct decide_run {
    struct http_request *req;
    const struct review_queue *q;
    struct review_decision d;
    const char *reason, *next;
    bool bulk;
    decide_done_fn done;
    void *owner; /* the bulk approval it belongs to, or NULL */
    /* The outcome: 200 with item and effect, or an error. */
    int status;
    const char *code, *message, *field;
    const char *item_json, *effect_json;
};

static void decide_end(struct decide_run *dr, int status, const char *code, const char *message,
                       const char *field)
{
    dr->status = status;
    dr->code = code;
    dr->message = message;
    dr->field = field;
    dr->done(dr->req, dr);
}

/* If r failed: rolls back and ends with its outcome (the SQL's refusal, or
 * 500/503); true then. */
static bool decide_failed(struct api_txn *tx, struct decide_run *dr, const struct pg_result *r)
{
    if (r->error == PG_OK)
        return false;
    api_txn_rollback(tx);
    struct http_request *req = dr->req;
    struct staff_refusal no;
    if (staff_refusal(&req->arena, r, &no)) {
        decide_end(dr, no.status, no.code, no.message, no.field);
        return true;
    }
    if (r->error == PG_ERR_QUERY) {
        log_msg(LOG_LEVEL_ERR, req->id, "review decision failed %s: %s", r->sqlstate, r->message);
        decide_end(dr, 500, "INTERNAL", "系统内部错误，请稍后再试", NULL);
    } else {
        decide_end(dr, 503, "DATABASE_UNAVAILABLE", "系统暂时无法访问数据库，请稍后再试", NULL);
    }
    return true;
}

static struct decide_run *run_of(struct api_txn *tx)
{
    return api_txn_request(tx)->ctx;
}

static void decide_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    if (decide_failed(tx, dr, r))
        return;
    log_msg(LOG_LEVEL_INFO, dr->req->id, "staff %" PRId64 " %s %s item %s", dr->d.st->id,
            dr->d.decision, dr->q->kind, dr->d.item);
    decide_end(dr, 200, NULL, NULL, NULL);
}

static void decide_job_added(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    if (decide_failed(tx, dr, r))
        return;
    api_txn_commit(tx, decide_committed);
}

static void decide_notified(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    struct http_request *req = dr->req;
    if (decide_failed(tx, dr, r))
        return;
    dr->item_json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
    if (PQgetisnull(r->res, 0, 0)) { /* nothing to send (no phone, over the quota) */
        api_txn_commit(tx, decide_committed);
        return;
    }
    char *payload = arena_printf(&req->arena, "{\"notice_id\":%s}", PQgetvalue(r->res, 0, 0));
    api_txn_add_job(tx, QUEUE_SMS, payload, decide_job_added);
}

static void decide_applied(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    struct http_request *req = dr->req;
    if (decide_failed(tx, dr, r))
        return;
    if (r->res != NULL && PQntuples(r->res) > 0 && PQnfields(r->res) > 0 &&
        !PQgetisnull(r->res, 0, 0))
        dr->effect_json = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    int which = strcmp(dr->d.decision, "approve") == 0  ? 0
                : strcmp(dr->d.decision, "return") == 0 ? 1
                                                        : 2;
    const char *values[] = {
        dr->d.item, dr->q->title, dr->q->next_step[which],
        arena_printf(&req->arena, "%d", req->srv->cfg.staff_decision_sms_per_day)};
    api_txn_query(tx,
                  "SELECT review_notify($1::bigint, $2, $3, $4::int), review_item_json(i)::text "
                  "FROM review_items i WHERE i.id = $1::bigint",
                  4, values, decide_notified);
}

static void decide_recorded(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    if (decide_failed(tx, dr, r))
        return;
    dr->q->decide(tx, &dr->d, decide_applied);
}

static void decide_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct decide_run *dr = run_of(tx);
    if (decide_failed(tx, dr, r))
        return;
    const char *values[] = {dr->d.item,
                            dr->q->kind,
                            dr->d.st->idtext,
                            dr->d.decision,
                            dr->reason,
                            dr->next,
                            dr->bulk ? "true" : "false",
                            staff_request_id(dr->req)};
    api_txn_query(tx,
                  "SELECT (review_decide($1::bigint, $2, $3::bigint, $4, $5, $6, $7::boolean, "
                  "$8)).id",
                  8, values, decide_recorded);
}

/* Returns -1 when the pool refused at once (the request is answered 503). */
static int decide_start(struct decide_run *dr)
{
    dr->req->ctx = dr;
    return api_txn_begin(dr->req, decide_begun);
}

/* ---- one decision -------------------------------------------------------------------- */

static void decision_answer(struct http_request *req, struct decide_run *dr)
{
    if (dr->status != 200) {
        http_respond_error(req, dr->status, dr->code, dr->message, dr->field);
        return;
    }
    char *body = arena_printf(&req->arena, "{\"item\":%s,\"effect\":%s}", dr->item_json,
                              dr->effect_json ? dr->effect_json : "null");
    api_respond_json_text(req, 200, body, strlen(body));
}

/* Reads decision, reason and next_step; NULL after answering 422. */
static struct decide_run *decision_read(struct http_request *req, json_t *body, bool need_decision)
{
    struct decide_run *dr = arena_calloc(&req->arena, sizeof(*dr));
    dr->req = req;
    dr->d.decision = need_decision ? api_field_str(req, body, "decision", 16) : "approve";
    dr->reason = dr->d.decision ? api_field_opt(req, body, "reason", TEXT_MAX) : NULL;
    dr->next = dr->reason ? api_field_opt(req, body, "next_step", TEXT_MAX) : NULL;
    if (dr->next == NULL)
        return NULL;
    if (strcmp(dr->d.decision, "approve") != 0 && strcmp(dr->d.decision, "return") != 0 &&
        strcmp(dr->d.decision, "refuse") != 0)
        return api_reject(req, "DECISION_INVALID",
                          "处理结果应为 approve（通过）、return（退回）或 refuse（不通过）",
                          "decision");
    if (validate_utf8_length(dr->reason) > 500 || validate_utf8_length(dr->next) > 500)
        return api_reject(req, "FIELD_TOO_LONG", "原因和下一步各不超过 500 字",
                          validate_utf8_length(dr->reason) > 500 ? "reason" : "next_step");
    if (strcmp(dr->d.decision, "approve") != 0 && dr->reason[0] == '\0')
        return api_reject(req, "FIELD_REQUIRED", "退回或不通过须写明原因（考生会看到）", "reason");
    return dr;
}

static void decision_authed(struct http_request *req, const struct staff_ctx *st)
{
    const struct review_queue *q = queue_of(req);
    const char *item = q ? item_of(req) : NULL;
    if (item == NULL)
        return;
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    struct decide_run *dr = decision_read(req, body, true);
    json_decref(body);
    if (dr == NULL)
        return;
    dr->q = q;
    dr->d.item = item;
    dr->d.st = st;
    dr->done = decision_answer;
    decide_start(dr);
}

static void decision_post(struct http_request *req)
{
    staff_require(req, STAFF_ACT, decision_authed);
}

/* ---- bulk approval -------------------------------------------------------------------- */

struct bulk {
    struct decide_run *template;
    json_t *ids; /* the item ids asked for (owned; freed with the answer) */
    size_t next;
    json_t *results;
};

static void bulk_step(struct http_request *req, struct bulk *b);

static void bulk_one_done(struct http_request *req, struct decide_run *dr)
{
    struct bulk *b = dr->owner;
    json_t *one = json_pack("{s:s, s:i}", "id", dr->d.item, "status", dr->status);
    if (dr->status == 200)
        json_object_set_new(one, "state", json_string("approved"));
    else
        json_object_set_new(one, "error",
                            json_pack("{s:s, s:s}", "code", dr->code, "message", dr->message));
    json_array_append_new(b->results, one);
    bulk_step(req, b);
}

static void bulk_step(struct http_request *req, struct bulk *b)
{
    if (b->next >= json_array_size(b->ids)) {
        size_t ok = 0, i;
        json_t *r;
        json_array_foreach(b->results, i, r)
        {
            ok += json_integer_value(json_object_get(r, "status")) == 200;
        }
        json_t *answer =
            json_pack("{s:O, s:I, s:I}", "results", b->results, "approved", (json_int_t)ok,
                      "refused", (json_int_t)(json_array_size(b->results) - ok));
        json_decref(b->results);
        json_decref(b->ids);
        http_respond_json(req, 200, answer);
        return;
    }
    struct decide_run *dr = arena_calloc(&req->arena, sizeof(*dr));
    *dr = *b->template;
    dr->d.item = arena_printf(&req->arena, "%" JSON_INTEGER_FORMAT,
                              json_integer_value(json_array_get(b->ids, b->next++)));
    dr->owner = b;
    dr->done = bulk_one_done;
    if (decide_start(dr) < 0) { /* answered 503: the batch ends here */
        json_decref(b->results);
        json_decref(b->ids);
    }
}

static void bulk_authed(struct http_request *req, const struct staff_ctx *st)
{
    const struct review_queue *q = queue_of(req);
    if (q == NULL)
        return;
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    json_t *ids = json_object_get(body, "items");
    bool ok = json_is_array(ids) && json_array_size(ids) > 0 && json_array_size(ids) <= BULK_MAX;
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) ok = ok && json_is_integer(v) && json_integer_value(v) > 0;
    if (!ok) {
        json_decref(body);
        api_reject(req, "FIELD_INVALID", "items 应为 1 到 50 个事项编号", "items");
        return;
    }
    struct decide_run *dr = decision_read(req, body, false);
    if (dr == NULL) {
        json_decref(body);
        return;
    }
    struct bulk *b = arena_calloc(&req->arena, sizeof(*b));
    dr->q = q;
    dr->d.st = st;
    dr->bulk = true;
    b->template = dr;
    b->ids = json_incref(ids);
    b->results = json_array();
    json_decref(body);
    bulk_step(req, b);
}

static void bulk_post(struct http_request *req)
{
    staff_require(req, STAFF_ACT, bulk_authed);
}

static const struct route review_routes[] = {
    {"GET", "/api/v1/staff/queues", queues_get, 0, NULL},
    {"GET", "/api/v1/staff/queues/{queue}/items", list_get, 0, NULL},
    {"GET", "/api/v1/staff/queues/{queue}/items/{id}", item_get, 0, NULL},
    {"POST", "/api/v1/staff/queues/{queue}/items/{id}/claim", claim_post, 1024, NULL},
    {"POST", "/api/v1/staff/queues/{queue}/items/{id}/release", claim_post, 1024, NULL},
    {"POST", "/api/v1/staff/queues/{queue}/items/{id}/decision", decision_post, 8192, NULL},
    {"POST", "/api/v1/staff/queues/{queue}/bulk-approve", bulk_post, 8192, NULL},
};

const struct api_module api_review_module = {.name = "review", API_ROUTES(review_routes)};
