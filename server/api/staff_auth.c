/*
 * staff_auth.c - the staff realm and the caller of a staff request (see
 * staff_auth.h); the small helpers every staff module answers with.
 *
 * Owns nothing beyond each request's arena.
 */
#include "staff_auth.h"
#include "redis_keys.h"
#include "log.h"
#include "server.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int staff_idle(const struct zk_config *cfg)
{
    return cfg->staff_session_idle_minutes * 60;
}

static int staff_max(const struct zk_config *cfg)
{
    return cfg->staff_session_max_hours * 3600;
}

const struct api_realm staff_realm = {
    .cookie = "zikao_staff",
    .cookie_path = "/api/v1/staff",
    .same_site = "Strict",
    .key_fmt = RK_STAFF_SESSION,
    .owner_set_fmt = RK_STAFF_SESSIONS,
    .owner_field = "staff",
    .idle_seconds = staff_idle,
    .max_seconds = staff_max,
};

const char *staff_request_id(struct http_request *req)
{
    return req->id;
}

char *staff_temp_password(struct http_request *req)
{
    /* No 0/O, 1/l/I: read aloud or copied from paper without doubt. */
    static const char letters[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    static const char digits[] = "23456789";
    char *pw = arena_alloc(&req->arena, 13);
    for (int i = 0; i < 12; i++) {
        bool digit = i % 4 == 3; /* three digits at least */
        const char *set = digit ? digits : letters;
        size_t n = digit ? sizeof(digits) - 1 : sizeof(letters) - 1;
        pw[i] = set[randombytes_uniform((uint32_t)n)];
    }
    pw[12] = '\0';
    return pw;
}

bool staff_refusal(struct arena *a, const struct pg_result *r, struct staff_refusal *out)
{
    if (r->error != PG_ERR_QUERY || strncmp(r->sqlstate, "ZK", 2) != 0 || r->message == NULL)
        return false;
    /* "CODE|field|message" */
    const char *bar1 = strchr(r->message, '|');
    const char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    int status = atoi(r->sqlstate + 2);
    if (bar2 == NULL || status < 400 || status > 499)
        return false;
    out->status = status;
    out->code = arena_strndup(a, r->message, (size_t)(bar1 - r->message));
    out->field = bar2 > bar1 + 1 ? arena_strndup(a, bar1 + 1, (size_t)(bar2 - bar1 - 1)) : NULL;
    out->message = arena_strdup(a, bar2 + 1);
    return true;
}

bool staff_db_failed(struct http_request *req, const struct pg_result *r)
{
    struct staff_refusal no;
    if (staff_refusal(&req->arena, r, &no)) {
        http_respond_error(req, no.status, no.code, no.message, no.field);
        return true;
    }
    return api_db_failed(req, r);
}

struct json_query {
    struct http_request *req;
    int status;
};

static void on_json(void *ud, const struct pg_result *r)
{
    struct json_query *jq = ud;
    struct http_request *req = jq->req;
    if (staff_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        http_respond_error(req, 404, "NOT_FOUND", "没有找到", NULL);
        return;
    }
    size_t len = (size_t)PQgetlength(r->res, 0, 0);
    api_respond_json_text(req, jq->status,
                          arena_strndup(&req->arena, PQgetvalue(r->res, 0, 0), len), len);
}

void staff_json_query(struct http_request *req, int status, const char *sql, int n,
                      const char *const *values)
{
    struct json_query *jq = arena_calloc(&req->arena, sizeof(*jq));
    jq->req = req;
    jq->status = status;
    (void)api_query_for(req, jq, sql, n, values, on_json);
}

/* ---- the caller ------------------------------------------------------------------- */

struct staff_lookup {
    struct http_request *req;
    unsigned need;
    staff_cb cb;
    struct staff_ctx st;
};

static bool role_is(const struct staff_ctx *st, const char *role)
{
    return strcmp(st->role, role) == 0;
}

static void forbidden(struct http_request *req, const char *message)
{
    http_respond_error(req, 403, "ROLE_FORBIDDEN", message, NULL);
}

static void on_staff_row(void *ud, const struct pg_result *r)
{
    struct staff_lookup *lk = ud;
    struct http_request *req = lk->req;
    struct staff_ctx *st = &lk->st;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || atoi(PQgetvalue(r->res, 0, 5)) != st->cred) {
        /* Disabled, or the credentials the session was made with were reset. */
        api_realm_drop(req, st->key);
        http_respond_error(req, 401, "SESSION_ENDED", "登录已失效，请重新登录", NULL);
        return;
    }
    st->username = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 0));
    st->name = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 1));
    st->role = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 2));
    st->office = arena_strdup(&req->arena, PQgetvalue(r->res, 0, 3));
    st->admin = strcmp(PQgetvalue(r->res, 0, 4), "t") == 0;
    st->must_change_password = strcmp(PQgetvalue(r->res, 0, 6), "t") == 0;
    if (st->must_change_password && !(lk->need & STAFF_BEFORE_PASSWORD)) {
        http_respond_error(req, 403, "PASSWORD_CHANGE_REQUIRED",
                           "请先修改临时密码（POST /api/v1/staff/me/password）", NULL);
        return;
    }
    if ((lk->need & STAFF_ACT) && role_is(st, "auditor")) {
        forbidden(req, "审计人员只能查看，不能办理");
        return;
    }
    if ((lk->need & STAFF_ADMIN) && !(st->admin && role_is(st, "province"))) {
        forbidden(req, "只有省级管理员可以管理工作人员账号");
        return;
    }
    if ((lk->need & STAFF_PROVINCE) && !role_is(st, "province") && !role_is(st, "auditor")) {
        forbidden(req, "只有省级工作人员和审计人员可以查看");
        return;
    }
    if ((lk->need & STAFF_DISTRICT) && role_is(st, "confirmation_point")) {
        forbidden(req, "考生档案由考籍管理区县招办和省级工作人员办理");
        return;
    }
    lk->cb(req, st);
}

static void on_staff_session(struct http_request *req, void *ud, const struct api_realm_session *rs)
{
    struct staff_lookup *lk = ud;
    lk->st.id = rs->owner;
    lk->st.idtext = arena_printf(&req->arena, "%" PRId64, rs->owner);
    lk->st.key = rs->key;
    lk->st.csrf = rs->csrf;
    lk->st.cred = rs->cred;
    const char *values[] = {lk->st.idtext};
    (void)api_query_for(req, lk,
                        "SELECT username, name, role, staff_office(role, district, point_id), "
                        "is_admin, cred_version, password_must_change FROM staff "
                        "WHERE id = $1 AND disabled_at IS NULL",
                        1, values, on_staff_row);
}

void staff_require(struct http_request *req, unsigned need, staff_cb cb)
{
    struct staff_lookup *lk = arena_calloc(&req->arena, sizeof(*lk));
    lk->req = req;
    lk->need = need;
    lk->cb = cb;
    api_realm_lookup(req, &staff_realm, on_staff_session, lk);
}
