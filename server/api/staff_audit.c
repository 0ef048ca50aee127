/*
 * staff_audit.c - reading the audit trail (schema/0015_staff.sql,
 * staff_audit): province staff and auditors only.
 *
 *   GET /api/v1/staff/audit?staff= &office= &action= &item_kind= &item_id=
 *                          &from= &to= &before= &limit=
 *
 * Newest first, keyset-paged on the row id (`next` is the `before` of the
 * following page). action matches whole names or a prefix ending in '.'
 * (review. = every decision). from/to are ISO 8601 times (Beijing time
 * unless an offset is given). The exports (CSV, xlsx) come as jobs later.
 */
#include "api.h"
#include "server.h"
#include "staff_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

/* A time the way people type it: 2026-12-03, 2026-12-03T09:00, ...+08:00. */
static bool time_like(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 10 && n <= 32 && strspn(s, "0123456789-:T +.Z") == n && s[4] == '-';
}

static void audit_authed(struct http_request *req, const struct staff_ctx *st)
{
    (void)st;
    const char *staff = http_query_get(req, "staff");
    const char *office = http_query_get(req, "office");
    const char *action = http_query_get(req, "action");
    const char *kind = http_query_get(req, "item_kind");
    const char *item = http_query_get(req, "item_id");
    const char *from = http_query_get(req, "from");
    const char *to = http_query_get(req, "to");
    const char *before = http_query_get(req, "before");
    const char *limit = http_query_get(req, "limit");
    const char *bad = staff && !digits(staff, 18)     ? "staff"
                      : office && strlen(office) > 32 ? "office"
                      : action && strlen(action) > 48 ? "action"
                      : kind && strlen(kind) > 32     ? "item_kind"
                      : item && strlen(item) > 32     ? "item_id"
                      : from && !time_like(from)      ? "from"
                      : to && !time_like(to)          ? "to"
                      : before && !digits(before, 18) ? "before"
                      : limit && (!digits(limit, 3) || atoi(limit) < 1 || atoi(limit) > 200)
                          ? "limit"
                          : NULL;
    if (bad != NULL) {
        http_respond_error(req, 400, "FIELD_INVALID",
                           arena_printf(&req->arena, "查询条件 %s 不正确", bad), bad);
        return;
    }
    const char *values[] = {
        staff, office, action, kind, item, from, to, before, limit ? limit : "50"};
    staff_json_query(
        req, 200,
        "WITH page AS (SELECT a.* FROM staff_audit a WHERE ($1::bigint IS NULL OR a.staff_id = "
        "$1::bigint) AND ($2::text IS NULL OR a.office = $2) AND ($3::text IS NULL OR a.action "
        "= $3 OR (right($3, 1) = '.' AND left(a.action, length($3)) = $3)) AND ($4::text IS "
        "NULL OR a.item_kind = $4) AND ($5::text IS NULL OR a.item_id = $5) AND ($6::text IS "
        "NULL OR a.at >= ($6::timestamp AT TIME ZONE 'Asia/Shanghai')) AND ($7::text IS NULL OR "
        "a.at < ($7::timestamp AT TIME ZONE 'Asia/Shanghai')) AND ($8::bigint IS NULL OR a.id < "
        "$8::bigint) ORDER BY a.id DESC LIMIT $9::int + 1), "
        "shown AS (SELECT * FROM page ORDER BY id DESC LIMIT $9::int) "
        "SELECT json_build_object('entries', coalesce((SELECT json_agg(json_build_object('id', "
        "s.id, 'at', zk_ts(s.at), 'staff_id', s.staff_id, 'username', s.username, 'role', "
        "s.role, 'office', s.office, 'action', s.action, 'item_kind', s.item_kind, 'item_id', "
        "s.item_id, 'before', s.before, 'after', s.after, 'request_id', s.request_id) ORDER BY "
        "s.id DESC) FROM shown s), '[]'), 'next', CASE WHEN (SELECT count(*) FROM page) > "
        "$9::int THEN (SELECT min(id) FROM shown)::text END)::text",
        9, values);
}

static void audit_get(struct http_request *req)
{
    staff_require(req, STAFF_PROVINCE, audit_authed);
}

static const struct route staff_audit_routes[] = {
    {"GET", "/api/v1/staff/audit", audit_get, 0, NULL},
};

const struct api_module api_staff_audit_module = {.name = "staff-audit",
                                                  API_ROUTES(staff_audit_routes)};
