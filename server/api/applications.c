/*
 * applications.c - the application engine's routes (see applications.h).
 *
 * Owns nothing past a request. The engine's SQL functions raise SQLSTATEs
 * ZKA00-ZKA05 (schema/0020_applications.sql); application_refused() turns each into
 * the answer a candidate can act on.
 */
#include "applications.h"
#include "api_auth.h"
#include "api_util.h"
#include "log.h"
#include "pay_server.h"
#include "server.h"
#include "staff_auth.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_BODY_LIMIT (64 * 1024 + 1024) /* a draft's JSON: 64 KiB, and its envelope */

/* The flows that add checks of their own (one line each). */
static const struct app_flow *const app_flows[] = {
    &app_flow_graduation,
    &app_flow_exemption,
    &app_flow_transfer,
    &app_flow_transfer_out,
};

static const struct app_flow *app_flow_find(const char *kind)
{
    for (size_t i = 0; i < sizeof(app_flows) / sizeof(app_flows[0]); i++)
        if (strcmp(app_flows[i]->kind, kind) == 0)
            return app_flows[i];
    return NULL;
}

struct app_req {
    struct app_step step; /* first: a flow's prepare reads req->ctx as the step */
    const char *cand;     /* the candidate's id, as text */
    const char *id;       /* the application's id (path), as text */
    const char *kind;     /* POST: the kind asked for */
    const char *action;   /* POST .../{action} */
    const char *data, *version;
    bool prepared; /* a flow prepared this step: the version must still hold */
};

_Static_assert(offsetof(struct app_req, step) == 0, "a flow reads req->ctx as its step");

static struct app_req *app_of(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = arena_calloc(&req->arena, sizeof(*a));
    a->cand = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = a;
    return a;
}

bool application_refused(struct http_request *req, const struct pg_result *r)
{
    if (r->error != PG_ERR_QUERY || strncmp(r->sqlstate, "ZKA", 3) != 0) {
        if (r->error == PG_ERR_QUERY && strcmp(r->sqlstate, "P0002") == 0) { /* no such kind */
            api_reject(req, "APPLICATION_KIND_UNKNOWN", "没有这种申请", "kind");
            return true;
        }
        return false;
    }
    const char *detail = r->res ? PQresultErrorField(r->res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    detail = detail != NULL ? arena_strdup(&req->arena, detail) : "";
    switch (r->sqlstate[4]) {
    case '0':
        http_respond_error(req, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL);
        break;
    case '1':
        http_respond_error(req, 409, "APPLICATION_WRONG_STATE",
                           arena_printf(&req->arena,
                                        "申请目前的状态（%s）不能进行这项操作，请刷新页面查看",
                                        detail),
                           NULL);
        break;
    case '2':
        http_respond_error(req, 403, "ACTION_NOT_YOURS", "这项操作由审核人员完成，考生不能操作",
                           NULL);
        break;
    case '3': {
        json_t *w = json_loads(detail, 0, NULL);
        const char *name = json_string_value(json_object_get(w, "name"));
        const char *from = json_string_value(json_object_get(w, "starts_at"));
        const char *to = json_string_value(json_object_get(w, "ends_at"));
        const char *msg =
            name && from && to
                ? arena_printf(&req->arena, "不在申请时间内：%s的时间为 %.16s 至 %.16s（北京时间）",
                               name, from, to)
                : "不在申请时间内，目前没有安排下一次申请时间，请留意通知公告";
        http_response_header(req, "X-Window", detail);
        http_respond_error(req, 403, "WINDOW_CLOSED", msg, NULL);
        json_decref(w);
        break;
    }
    case '4':
        http_respond_error(
            req, 409, "APPLICATION_LIMIT",
            arena_printf(&req->arena, "本次申请期内此项最多可办理 %s 次，已达上限", detail), NULL);
        break;
    default: /* '5' */
        http_respond_error(req, 409, "APPLICATION_CHANGED",
                           "申请已在别处修改（例如另一个浏览器窗口），请刷新页面后再保存",
                           "version");
        break;
    }
    return true;
}

static void app_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (application_refused(req, r))
        return;
    if (!api_db_row(req, r, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL))
        return;
    api_db_json_text(req, r, 200);
}

/* ---- a flow's checks as one statement -------------------------------------------------- */

struct app_check {
    api_next_fn next;
};

static void app_checked(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct app_check *c = ((struct app_step *)req->ctx)->flow_state;
    if (staff_db_failed(req, r)) /* a zk_refuse of the flow's rules, or 500/503 */
        return;
    c->next(req);
}

void application_check_sql(struct http_request *req, struct app_step *s, api_next_fn next,
                           const char *sql)
{
    struct app_check *c = arena_calloc(&req->arena, sizeof(*c));
    c->next = next;
    s->flow_state = c;
    const char *values[] = {arena_printf(&req->arena, "%" PRId64, s->application_id), s->action};
    api_query(req, sql, 2, values, app_checked);
}

/* ---- GET /me/applications --------------------------------------------------------- */

static void apps_list_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    const char *values[] = {a->cand, http_query_get(req, "kind")};
    api_query(req,
              "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
              "'id', a.id, 'kind', a.kind, 'title', k.title, 'seq', a.seq, 'state', a.state, "
              "'state_title', s.title, 'open', a.open, 'next_step', s.next, 'window', w.name, "
              "'created_at', zk_ts(a.created_at), 'submitted_at', zk_ts(a.submitted_at)) "
              "ORDER BY a.created_at DESC, a.id DESC), '[]'))::text "
              "FROM applications a JOIN application_kinds k ON k.kind = a.kind "
              "JOIN windows w ON w.id = a.window_id "
              "CROSS JOIN LATERAL application_state_row(a.kind, a.province, a.state) s "
              "WHERE a.candidate_id = $1::bigint AND ($2::text IS NULL OR a.kind = $2)",
              2, values, app_loaded);
}

static void apps_list(struct http_request *req)
{
    api_auth_require_verified(req, apps_list_authed);
}

/* ---- POST /me/applications ---------------------------------------------------------- */

static void app_opened(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (application_refused(req, r) || api_db_failed(req, r))
        return;
    api_db_json_text(req, r, strcmp(PQgetvalue(r->res, 0, 1), "t") == 0 ? 201 : 200);
}

static void app_open_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    a->kind = api_field_str(req, body, "kind", 32);
    json_decref(body);
    if (a->kind == NULL)
        return;
    const char *values[] = {a->cand, a->kind, req->srv->cfg.province};
    api_query(req,
              "SELECT application_json(a.id)::text, a.created_at = now() "
              "FROM application_open($1::bigint, $2, $3) a",
              3, values, app_opened);
}

static void app_open(struct http_request *req)
{
    api_auth_require_verified(req, app_open_authed);
}

/* ---- GET /me/applications/{id} ------------------------------------------------------ */

bool application_id_ok(struct http_request *req)
{
    return api_id_param(req, 0, "APPLICATION_NOT_FOUND", "没有这份申请", NULL) != NULL;
}

static void app_get_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    const char *values[] = {http_param(req, 0), a->cand};
    api_query(req,
              "SELECT application_json(id)::text FROM applications WHERE id = $1::bigint AND "
              "candidate_id = $2::bigint",
              2, values, app_loaded);
}

static void app_get(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, app_get_authed);
}

/* ---- PUT /me/applications/{id}/draft ------------------------------------------------ */

static void app_draft_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    json_t *body = api_json_body(req);
    if (body == NULL)
        return;
    json_t *data = json_object_get(body, "data");
    json_t *version = json_object_get(body, "version");
    if (!json_is_object(data)) {
        json_decref(body);
        api_reject(req, "FIELD_INVALID", "data 应为对象（草稿的内容）", "data");
        return;
    }
    if (version != NULL && !json_is_integer(version)) {
        json_decref(body);
        api_reject(req, "FIELD_INVALID", "version 应为整数（上次读到的版本）", "version");
        return;
    }
    char *text = json_dumps(data, JSON_COMPACT);
    a->data = text ? arena_strdup(&req->arena, text) : "{}";
    free(text);
    a->version =
        version ? arena_printf(&req->arena, "%lld", (long long)json_integer_value(version)) : NULL;
    json_decref(body);
    const char *values[] = {http_param(req, 0), a->cand, a->version, a->data};
    api_query(req,
              "SELECT application_json(a.id)::text FROM application_save_draft($1::bigint, "
              "$2::bigint, $3::int, $4::jsonb) a",
              4, values, app_loaded);
}

static void app_draft(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, app_draft_authed);
}

/* ---- POST /me/applications/{id}/{action} ---------------------------------------------
 *
 * app_action_authed   read the application (the candidate's)
 * app_action_read     the kind's flow prepares the step (the audit at submit ...)
 * app_action_prepared the transaction: lock, the application unchanged since it was read
 * app_action_locked   the transition (idempotent) with the flow's detail
 * app_action_moved    the flow's own statement, if any
 * app_action_then     the flow's system step (an automatic approval), if any
 * app_action_stepped  the order the province's rules make due now (application_order_due)
 * app_action_ordered  COMMIT
 * app_action_done     answer the application as it now is
 */

static void app_action_done(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const char *values[] = {a->id, a->cand};
    api_query(req,
              "SELECT application_json(id)::text FROM applications WHERE id = $1::bigint AND "
              "candidate_id = $2::bigint",
              2, values, app_loaded);
}

/* ---- the order a transition makes due ------------------------------------------------ */

struct app_due {
    void *caller_ctx;
    api_txn_step_fn next;
    const char *app_id;
};

static void app_due_done(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_due *d = req->ctx;
    req->ctx = d->caller_ctx;
    d->next(tx, r);
}

static void app_due_checked(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_due *d = req->ctx;
    if (r->error != PG_OK || PQntuples(r->res) != 1 || strcmp(PQgetvalue(r->res, 0, 2), "t") != 0) {
        app_due_done(tx, r);
        return;
    }
    order_open(tx, strtoll(PQgetvalue(r->res, 0, 0), NULL, 10),
               arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1)), d->app_id, app_due_done);
}

void application_order_due(struct api_txn *tx, const char *app_id, api_txn_step_fn next)
{
    struct http_request *req = api_txn_request(tx);
    struct app_due *d = arena_calloc(&req->arena, sizeof(*d));
    d->caller_ctx = req->ctx;
    d->next = next;
    d->app_id = app_id;
    req->ctx = d;
    const char *values[] = {app_id};
    api_txn_query(tx,
                  "SELECT a.candidate_id, a.kind, EXISTS (SELECT 1 FROM application_transitions t "
                  "WHERE t.kind = a.kind AND t.province IN (a.province, '*') AND t.from_state = "
                  "a.state AND t.name = 'pay' AND t.actor = 'provider') FROM applications a "
                  "WHERE a.id = $1::bigint",
                  1, values, app_due_checked);
}

/* ---- POST /me/applications/{id}/{action} (continued) ---------------------------------- */

static void app_action_ordered(struct api_txn *tx, const struct pg_result *r)
{
    if (order_open_failed(tx, r))
        return;
    api_txn_commit(tx, app_action_done);
}

static void app_action_stepped(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (r->error != PG_OK && application_refused(req, r)) {
        api_txn_rollback(tx);
        return;
    }
    if (api_txn_fail(tx, r))
        return;
    application_order_due(tx, a->id, app_action_ordered);
}

/* The flow's system step (an automatic approval), if any. */
static void app_action_then(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    if (a->step.auto_step == NULL) {
        app_action_stepped(tx, r);
        return;
    }
    const char *values[] = {a->id, a->step.auto_step, a->step.reason};
    api_txn_query(tx,
                  "SELECT id FROM application_transition($1::bigint, $2, 'system', NULL, $3, NULL)",
                  3, values, app_action_stepped);
}

/* The flow's own statement, if any. */
static void app_action_moved(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (r->error != PG_OK && application_refused(req, r)) {
        api_txn_rollback(tx);
        return;
    }
    if (api_txn_fail(tx, r))
        return;
    if (a->step.then_sql == NULL) {
        app_action_then(tx, r);
        return;
    }
    const char *values[] = {a->id};
    api_txn_query(tx, a->step.then_sql, 1, values, app_action_then);
}

static void app_action_locked(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    if (PQntuples(r->res) == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL);
        return;
    }
    if (a->prepared && atoi(PQgetvalue(r->res, 0, 0)) != a->step.version) {
        api_txn_rollback(tx);
        http_respond_error(req, 409, "APPLICATION_CHANGED",
                           "申请已在别处修改（例如另一个浏览器窗口），请刷新页面核对后再操作",
                           "version");
        return;
    }
    const char *values[] = {a->id, a->action, a->cand, a->step.detail};
    api_txn_query(tx,
                  "SELECT id FROM application_transition($1::bigint, $2, 'candidate', $3::bigint, "
                  "NULL, $4::jsonb)",
                  4, values, app_action_moved);
}

static void app_action_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const char *values[] = {a->id, a->cand};
    api_txn_query(tx,
                  "SELECT version FROM applications WHERE id = $1::bigint AND candidate_id = "
                  "$2::bigint FOR UPDATE",
                  2, values, app_action_locked);
}

static void app_action_prepared(struct http_request *req)
{
    api_txn_begin(req, app_action_begun);
}

static void app_action_read(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct app_req *a = req->ctx;
    if (!api_db_row(req, r, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL))
        return;
    struct app_step *st = &a->step;
    st->application_id = strtoll(a->id, NULL, 10);
    st->candidate_id = strtoll(a->cand, NULL, 10);
    st->kind = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    st->data = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
    st->state = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 2));
    st->version = atoi(PQgetvalue(r->res, 0, 3));
    st->province = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 4));
    st->action = a->action;
    const struct app_flow *flow = app_flow_find(st->kind);
    if (flow != NULL && flow->prepare != NULL) {
        a->prepared = true;
        flow->prepare(req, st, app_action_prepared);
        return;
    }
    app_action_prepared(req);
}

static void app_action_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    a->id = http_param(req, 0);
    a->action = http_param(req, 1);
    size_t n = strlen(a->action);
    if (n == 0 || n > 32 || strspn(a->action, "abcdefghijklmnopqrstuvwxyz_") != n) {
        http_respond_error(req, 404, "ACTION_UNKNOWN", "没有这项操作", NULL);
        return;
    }
    const char *values[] = {a->id, a->cand};
    api_query(req,
              "SELECT kind, data::text, state, version, province FROM applications WHERE id = "
              "$1::bigint AND candidate_id = $2::bigint",
              2, values, app_action_read);
}

static void app_action(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, app_action_authed);
}

/* ---- POST /me/applications/{id}/order ------------------------------------------------
 *
 * The order of an application whose state is paid for (Shanxi: approved;
 * Tianjin: awaiting payment): opened now, or the one already open. The
 * candidate then pays it through /me/orders/{no}/pay.
 */

static void app_order_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    json_t *order = req->ctx;
    if (api_txn_fail(tx, r)) {
        json_decref(order);
        return;
    }
    http_respond_json(req, 200, order);
}

static void app_order_opened(struct api_txn *tx, const struct pg_result *r)
{
    if (order_open_failed(tx, r))
        return;
    struct http_request *req = api_txn_request(tx);
    req->ctx = order_json(r->res, 0);
    api_txn_commit(tx, app_order_committed);
}

static void app_order_locked(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    if (PQntuples(r->res) == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 404, "APPLICATION_NOT_FOUND", "没有这份申请", NULL);
        return;
    }
    if (strcmp(PQgetvalue(r->res, 0, 0), "t") != 0) {
        const char *msg = arena_printf(&req->arena, "这份申请目前（%s）不能缴费：%s",
                                       PQgetvalue(r->res, 0, 1), PQgetvalue(r->res, 0, 2));
        api_txn_rollback(tx);
        http_respond_error(req, 409, "PAYMENT_NOT_DUE", msg, NULL);
        return;
    }
    application_order_due(tx, a->id, app_order_opened);
}

static void app_order_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct app_req *a = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const char *values[] = {a->id, a->cand};
    api_txn_query(tx,
                  "SELECT EXISTS (SELECT 1 FROM application_transitions t WHERE t.kind = a.kind "
                  "AND t.province IN (a.province, '*') AND t.from_state = a.state AND t.name = "
                  "'pay' AND t.actor = 'provider'), s.title, s.next FROM applications a CROSS "
                  "JOIN LATERAL application_state_row(a.kind, a.province, a.state) s WHERE a.id "
                  "= $1::bigint AND a.candidate_id = $2::bigint FOR UPDATE OF a",
                  2, values, app_order_locked);
}

static void app_order_authed(struct http_request *req, const struct api_session *s)
{
    struct app_req *a = app_of(req, s);
    a->id = http_param(req, 0);
    api_txn_begin(req, app_order_begun);
}

static void app_order(struct http_request *req)
{
    if (application_id_ok(req))
        api_auth_require_verified(req, app_order_authed);
}

static const struct route applications_routes[] = {
    {"GET", "/api/v1/me/applications", apps_list, 0, NULL},
    {"POST", "/api/v1/me/applications", app_open, 1024, NULL},
    {"GET", "/api/v1/me/applications/{id}", app_get, 0, NULL},
    {"PUT", "/api/v1/me/applications/{id}/draft", app_draft, APP_BODY_LIMIT, NULL},
    {"POST", "/api/v1/me/applications/{id}/order", app_order, 1024, NULL},
    {"POST", "/api/v1/me/applications/{id}/{action}", app_action, 1024, NULL},
};

const struct api_module api_applications_module = {.name = "applications",
                                                   API_ROUTES(applications_routes)};
