/*
 * identity.c - identity verification (身份认证): the candidate uploads the
 * photos the province profile asks for, then starts an attempt; the photo
 * and face workers decide it.
 *
 *   PUT  /api/v1/me/identity/photos/{kind}   raw image body (image/jpeg or image/png)
 *   GET  /api/v1/me/identity/photos/{kind}   the uploaded image
 *   POST /api/v1/me/identity/attempts        check the uploaded photos now
 *   GET  /api/v1/me/identity                 required photos, state, recent attempts, and
 *                                            district staff's decision (review, or null)
 *   GET  /api/v1/me/identity/attempts/{id}   one attempt with every check
 *
 * Photos required: Shanxi new candidate: registration (ID photo), idcard
 * (card portrait side), holding (holding the card); Shanxi enrolled: idcard,
 * holding; Tianjin: registration and idcard. An attempt stays `pending` until
 * the workers have written every result; it is never `passed` before.
 */
#include "api.h"
#include "queue.h"
#include "api_auth.h"
#include "api_txn.h"
#include "api_util.h"
#include "log.h"
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct photo_kind {
    const char *kind;
    const char *label;
};

static const struct photo_kind photo_kinds[] = {
    {"registration", "报名照片（近期免冠证件照）"},
    {"idcard", "本人身份证照片（人像面）"},
    {"holding", "手持身份证半身照"},
};

static const char *kind_label(const char *kind)
{
    for (size_t i = 0; i < sizeof(photo_kinds) / sizeof(photo_kinds[0]); i++)
        if (strcmp(photo_kinds[i].kind, kind) == 0)
            return photo_kinds[i].label;
    return NULL;
}

/* Kinds the profile requires of a candidate kind ("new"/"enrolled"). */
static int identity_required(const struct zk_config *cfg, const char *cand_kind, const char *out[3])
{
    if (strcmp(cfg->province, "tianjin") == 0) {
        out[0] = "registration";
        out[1] = "idcard";
        return 2;
    }
    if (strcmp(cand_kind, "enrolled") == 0) {
        out[0] = "idcard";
        out[1] = "holding";
        return 2;
    }
    out[0] = "registration";
    out[1] = "idcard";
    out[2] = "holding";
    return 3;
}

/* {"registration","idcard"} as a PostgreSQL text[] literal. */
static char *required_array(struct http_request *req, const char *cand_kind)
{
    const char *kinds[3];
    int n = identity_required(&req->srv->cfg, cand_kind, kinds);
    return n == 2 ? arena_printf(&req->arena, "{%s,%s}", kinds[0], kinds[1])
                  : arena_printf(&req->arena, "{%s,%s,%s}", kinds[0], kinds[1], kinds[2]);
}

struct ident {
    int64_t id;
    const char *idtext;
    const char *kind;
    const char *content_type;
    int64_t attempt_id;
    const char *photos; /* JSON {"kind": file_id} of the attempt */
    const char *required;
};

static struct ident *ident_of(struct http_request *req, const struct api_session *s)
{
    struct ident *d = arena_calloc(&req->arena, sizeof(*d));
    d->id = s->candidate_id;
    d->idtext = arena_printf(&req->arena, "%" PRId64, s->candidate_id);
    req->ctx = d;
    return d;
}

/* ---- upload ---------------------------------------------------------------------- */

static size_t photo_body_limit(const struct http_request *req)
{
    const struct zk_config *cfg = &req->srv->cfg;
    const char *kind = http_param(req, 0);
    if (kind == NULL)
        return 0;
    if (strcmp(kind, "registration") == 0)
        return (size_t)cfg->identity_max_registration;
    if (strcmp(kind, "idcard") == 0)
        return (size_t)cfg->identity_max_idcard;
    if (strcmp(kind, "holding") == 0)
        return (size_t)cfg->identity_max_holding;
    return 0;
}

static void photo_stored(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct ident *d = req->ctx;
    if (api_db_failed(req, r))
        return;
    const PGresult *res = r->res;
    if (PQntuples(res) == 0) {
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "unverified") != 0) {
        http_respond_error(req, 409, "ALREADY_VERIFIED", "身份认证已通过，无需再上传照片", NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
        http_respond_error(req, 409, "ATTEMPT_PENDING",
                           "上一次认证正在进行中，请等结果出来后再更换照片", NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 2), "f") == 0) {
        http_respond_error(req, 404, "PHOTO_KIND_NOT_REQUIRED", "您的身份认证不需要这种照片",
                           "kind");
        return;
    }
    log_msg(LOG_LEVEL_INFO, req->id, "candidate %" PRId64 " uploaded %s (%zu bytes)", d->id,
            d->kind, req->body_len);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "kind", d->kind, "label",
                                kind_label(d->kind), "file_id",
                                (json_int_t)strtoll(PQgetvalue(res, 0, 3), NULL, 10), "size",
                                (json_int_t)req->body_len, "content_type", d->content_type,
                                "uploaded_at", PQgetvalue(res, 0, 4)));
}

static void photo_put_authed(struct http_request *req, const struct api_session *s)
{
    struct ident *d = ident_of(req, s);
    d->kind = http_param(req, 0);
    if (kind_label(d->kind) == NULL) {
        http_respond_error(req, 404, "PHOTO_KIND_UNKNOWN",
                           "照片种类应为 registration、idcard 或 holding", "kind");
        return;
    }
    const char *actual = api_image_body(req, "photo");
    if (actual == NULL)
        return;
    d->content_type = actual;
    /* The bytes go in binary; PostgreSQL computes the SHA-256 (not the loop). */
    const char **values = arena_alloc(&req->arena, sizeof(*values) * 7);
    int *lengths = arena_calloc(&req->arena, sizeof(*lengths) * 7);
    int *formats = arena_calloc(&req->arena, sizeof(*formats) * 7);
    values[0] = d->idtext;
    values[1] = d->kind;
    values[2] = actual;
    values[3] = arena_printf(&req->arena, "%zu", req->body_len);
    values[4] = req->body;
    lengths[4] = (int)req->body_len;
    formats[4] = 1;
    struct pg_params *p = arena_calloc(&req->arena, sizeof(*p));
    p->n = 7;
    p->values = values;
    p->lengths = lengths;
    p->formats = formats;
    values[5] = required_array(req, "new");
    values[6] = required_array(req, "enrolled");
    /* One statement: the state checks and the insert cannot interleave with
     * an attempt starting. A photo it replaces is recorded in
     * files_unreferenced, for the workers' retention to delete. */
    api_query_params(
        req,
        "WITH c AS (SELECT id, identity, $2 = ANY (CASE kind WHEN 'new' THEN $6::text[] ELSE "
        "$7::text[] END) AS needed FROM candidates WHERE id = $1::bigint), "
        "p AS (SELECT EXISTS (SELECT 1 FROM identity_attempts WHERE candidate_id = $1::bigint AND "
        "state = 'pending') AS pending), "
        "o AS (SELECT file_id FROM identity_photos WHERE candidate_id = $1::bigint AND kind = $2), "
        "f AS (INSERT INTO files (candidate_id, content_type, size, sha256, data) "
        "SELECT $1::bigint, $3, $4::int, encode(sha256($5::bytea), 'hex'), $5::bytea FROM c, p "
        "WHERE c.identity = 'unverified' AND NOT p.pending AND c.needed RETURNING id), "
        "u AS (INSERT INTO identity_photos (candidate_id, kind, file_id) SELECT $1::bigint, $2, id "
        "FROM f ON CONFLICT (candidate_id, kind) DO UPDATE SET file_id = EXCLUDED.file_id, "
        "uploaded_at = now() RETURNING file_id, uploaded_at), "
        "g AS (INSERT INTO files_unreferenced (file_id) SELECT o.file_id FROM o, f "
        "ON CONFLICT (file_id) DO NOTHING) "
        "SELECT c.identity, p.pending, c.needed, u.file_id, zk_ts(u.uploaded_at) "
        "FROM c CROSS JOIN p LEFT JOIN u ON true",
        p, photo_stored);
}

static void photo_put(struct http_request *req)
{
    api_auth_require(req, photo_put_authed);
}

/* ---- download -------------------------------------------------------------------- */

static void photo_get_authed(struct http_request *req, const struct api_session *s)
{
    struct ident *d = ident_of(req, s);
    const char *values[] = {d->idtext, http_param(req, 0)};
    api_respond_file(req,
                     "SELECT f.content_type, f.data FROM identity_photos ip JOIN files f ON f.id = "
                     "ip.file_id WHERE ip.candidate_id = $1::bigint AND ip.kind = $2",
                     2, values, "PHOTO_NOT_FOUND", "尚未上传这种照片", "kind");
}

static void photo_get(struct http_request *req)
{
    api_auth_require(req, photo_get_authed);
}

/* ---- start an attempt -------------------------------------------------------------- */

static void attempt_committed(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct ident *d = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    log_msg(LOG_LEVEL_INFO, req->id, "candidate %" PRId64 " started identity attempt %" PRId64,
            d->id, d->attempt_id);
    json_error_t e;
    json_t *photos = json_loads(d->photos, 0, &e);
    http_respond_json(req, 202,
                      json_pack("{s:I, s:s, s:o}", "attempt_id", (json_int_t)d->attempt_id, "state",
                                "pending", "photos", photos ? photos : json_object()));
}

static void attempt_jobs_added(struct api_txn *tx, const struct pg_result *r);

/* Adds the photo jobs one by one, then the face job, then commits. */
static void attempt_next_job(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct ident *d = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    json_error_t e;
    json_t *photos = json_loads(d->photos, 0, &e);
    const int64_t *ids;
    int added = api_txn_jobs(tx, &ids);
    size_t i = 0;
    const char *kind;
    json_t *file;
    char *payload = NULL;
    json_object_foreach(photos, kind, file)
    {
        if ((int)i++ == added) {
            payload = arena_printf(
                &req->arena, "{\"attempt_id\":%" PRId64 ",\"kind\":\"%s\",\"file_id\":%" PRId64 "}",
                d->attempt_id, kind, (int64_t)json_integer_value(file));
            break;
        }
    }
    size_t total = json_object_size(photos);
    json_decref(photos);
    if (payload != NULL) {
        api_txn_add_job(tx, QUEUE_PHOTO, payload, attempt_next_job);
        return;
    }
    if ((size_t)added == total) {
        char *face = arena_printf(&req->arena, "{\"attempt_id\":%" PRId64 "}", d->attempt_id);
        api_txn_add_job(tx, QUEUE_FACE, face, attempt_jobs_added);
        return;
    }
    attempt_jobs_added(tx, r);
}

static void attempt_jobs_added(struct api_txn *tx, const struct pg_result *r)
{
    if (api_txn_fail(tx, r))
        return;
    api_txn_commit(tx, attempt_committed);
}

static void attempt_checks_added(struct api_txn *tx, const struct pg_result *r)
{
    attempt_next_job(tx, r);
}

static void attempt_inserted(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct ident *d = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    d->attempt_id = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    const char *values[] = {arena_printf(&req->arena, "%" PRId64, d->attempt_id), d->photos};
    api_txn_query(tx,
                  "INSERT INTO identity_photo_checks (attempt_id, kind, file_id) SELECT $1, key, "
                  "value::bigint FROM jsonb_each_text($2::jsonb)",
                  2, values, attempt_checks_added);
}

static void attempt_state_loaded(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct ident *d = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    const PGresult *res = r->res;
    if (PQntuples(res) == 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 401, "NOT_LOGGED_IN", "请先登录", NULL);
        return;
    }
    const char *identity = PQgetvalue(res, 0, 0);
    if (strcmp(identity, "unverified") != 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 409, "ALREADY_VERIFIED", "身份认证已通过，无需再次认证", NULL);
        return;
    }
    if (strcmp(PQgetvalue(res, 0, 1), "0") != 0) {
        api_txn_rollback(tx);
        http_respond_error(req, 409, "ATTEMPT_PENDING", "上一次认证正在进行中，请等待结果", NULL);
        return;
    }
    if (atoi(PQgetvalue(res, 0, 2)) >= req->srv->cfg.auth_identity_attempts_day) {
        api_txn_rollback(tx);
        /* The count starts again at the next Beijing midnight (column 5). */
        http_response_header(req, "Retry-After", PQgetvalue(res, 0, 5));
        http_respond_error(
            req, 429, "IDENTITY_ATTEMPTS_EXHAUSTED",
            arena_printf(&req->arena,
                         "今天的身份认证次数（%d 次）已用完，请明天再试；多次未通过的考生可到"
                         "考籍管理区县办理人工认证",
                         req->srv->cfg.auth_identity_attempts_day),
            NULL);
        return;
    }
    const char *missing = PQgetvalue(res, 0, 3);
    if (missing[0] != '\0') {
        api_txn_rollback(tx);
        api_reject(req, "PHOTOS_MISSING", arena_printf(&req->arena, "请先上传：%s", missing),
                   "photos");
        return;
    }
    if (!PQgetisnull(res, 0, 6)) {
        /* Checking the same photos again would only spend an attempt. */
        const char *finding = PQgetvalue(res, 0, 6);
        size_t n = strlen(finding);
        bool stop = n >= 3 && strcmp(finding + n - 3, "。") == 0;
        api_txn_rollback(tx);
        api_reject(req, "PHOTOS_UNCHANGED",
                   arena_printf(&req->arena,
                                "照片没有更换，再次认证仍会因同样的原因不通过：%s%s请上传改正后"
                                "的照片再提交认证（本次未计入今天的认证次数）。",
                                finding, stop ? "" : "。"),
                   "photos");
        return;
    }
    d->photos = arena_strdup(&req->arena, PQgetvalue(res, 0, 4));
    const char *values[] = {d->idtext, d->photos};
    api_txn_query(tx,
                  "INSERT INTO identity_attempts (candidate_id, photos) VALUES ($1, $2::jsonb) "
                  "RETURNING id",
                  2, values, attempt_inserted);
}

/*
 * The finding that will recur if the uploaded photos ($2: the kinds asked
 * for) are checked again, or NULL: the most recent decided failure of this
 * candidate (c) that depends only on photos that have not changed since
 * (same SHA-256), the only failures that are deterministic:
 *   - a photo check that failed a rule: the same photo of that kind fails
 *     it again, whatever the other photos are;
 *   - a face pair that did not match ("fail"): both photos are the same.
 * A worker error leaves its checks without a result (the attempt fails
 * saying the system could not finish), and `review` is for staff: neither
 * counts. The text is the finding as the attempt's reasons state it (the
 * photo worker writes "PHOTO（RULE）：MESSAGE"); $3 labels the kinds should
 * the reasons not hold it.
 */
#define UNCHANGED_FINDING_SQL                                                                      \
    "SELECT u.finding FROM ("                                                                      \
    " SELECT a.id, 0 AS ord, coalesce((SELECT x FROM jsonb_array_elements_text(a.reasons) x "      \
    "WHERE right(x, length(s.suffix)) = s.suffix LIMIT 1), ($3::jsonb ->> pc.kind) || s.suffix) "  \
    "AS finding FROM identity_photos p JOIN files nf ON nf.id = p.file_id "                        \
    "JOIN identity_attempts a ON a.candidate_id = c.id AND a.state = 'failed' "                    \
    "JOIN identity_photo_checks pc ON pc.attempt_id = a.id AND pc.kind = p.kind AND pc.state = "   \
    "'failed' JOIN files pf ON pf.id = pc.file_id AND pf.sha256 = nf.sha256 "                      \
    "CROSS JOIN LATERAL (SELECT '（' || coalesce(r ->> 'title', r ->> 'rule') || '）：' || "    \
    "coalesce(nullif(r ->> 'message', ''), '不符合要求。') AS suffix FROM "                  \
    "jsonb_array_elements(pc.rules) r WHERE r ->> 'verdict' = 'failed' LIMIT 1) s "                \
    "WHERE p.candidate_id = c.id AND p.kind = ANY ($2::text[]) "                                   \
    "UNION ALL "                                                                                   \
    " SELECT a.id, 1, fc.reason FROM identity_attempts a JOIN identity_face_checks fc ON "         \
    "fc.attempt_id = a.id AND fc.decision = 'fail' AND fc.reason IS NOT NULL "                     \
    "WHERE a.candidate_id = c.id AND a.state = 'failed' AND NOT EXISTS (SELECT 1 FROM "            \
    "unnest(ARRAY[split_part(split_part(fc.pair, '~', 1), '_', 1), "                               \
    "split_part(split_part(fc.pair, '~', 2), '_', 1)]) k WHERE NOT EXISTS (SELECT 1 FROM "         \
    "identity_photos p JOIN files nf ON nf.id = p.file_id JOIN files pf ON pf.id = "               \
    "(a.photos ->> k)::bigint WHERE p.candidate_id = c.id AND p.kind = k AND p.kind = ANY "        \
    "($2::text[]) AND pf.sha256 = nf.sha256))"                                                     \
    ") u ORDER BY u.id DESC, u.ord LIMIT 1"

static void attempt_begun(struct api_txn *tx, const struct pg_result *r)
{
    struct http_request *req = api_txn_request(tx);
    struct ident *d = req->ctx;
    if (api_txn_fail(tx, r))
        return;
    /* The candidate row is locked: two starts cannot both pass the checks. */
    const char *values[] = {d->idtext, d->required,
                            "{\"registration\":\"报名照片（近期免冠证件照）\","
                            "\"idcard\":\"本人身份证照片（人像面）\","
                            "\"holding\":\"手持身份证半身照\"}"};
    api_txn_query(
        tx,
        "SELECT c.identity,"
        " (SELECT count(*) FROM identity_attempts a WHERE a.candidate_id = c.id AND a.state = "
        "'pending'),"
        " (SELECT count(*) FROM identity_attempts a WHERE a.candidate_id = c.id AND a.created_at "
        ">= (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai')),"
        " coalesce((SELECT string_agg($3::jsonb ->> k, '、' ORDER BY k) FROM unnest($2::text[]) "
        "k WHERE NOT EXISTS (SELECT 1 FROM identity_photos p WHERE p.candidate_id = c.id AND "
        "p.kind = k)), ''),"
        " coalesce((SELECT jsonb_object_agg(p.kind, p.file_id) FROM identity_photos p WHERE "
        "p.candidate_id = c.id AND p.kind = ANY ($2::text[])), '{}')::text,"
        " ceil(extract(epoch FROM (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') + "
        "interval '1 day') AT TIME ZONE 'Asia/Shanghai' - now()))::int,"
        " (" UNCHANGED_FINDING_SQL ") "
        "FROM candidates c WHERE c.id = $1 FOR UPDATE",
        3, values, attempt_state_loaded);
}

static void attempt_kind_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct ident *d = req->ctx;
    if (!api_db_row(req, r, 401, "NOT_LOGGED_IN", "请先登录", NULL))
        return;
    d->required = required_array(req, PQgetvalue(r->res, 0, 0));
    api_txn_begin(req, attempt_begun);
}

static void attempt_post_authed(struct http_request *req, const struct api_session *s)
{
    struct ident *d = ident_of(req, s);
    const char *values[] = {d->idtext};
    api_query(req, "SELECT kind FROM candidates WHERE id = $1", 1, values, attempt_kind_loaded);
}

static void attempt_post(struct http_request *req)
{
    api_auth_require(req, attempt_post_authed);
}

/* ---- state --------------------------------------------------------------------------- */

#define ATTEMPT_JSON_SQL                                                                           \
    "json_build_object('attempt_id', a.id, 'state', a.state, 'created_at', zk_ts(a.created_at), "  \
    "'decided_at', zk_ts(a.decided_at), 'reasons', a.reasons, "                                    \
    "'photos', coalesce((SELECT json_agg(json_build_object('kind', pc.kind, 'state', pc.state, "   \
    "'rules', pc.rules, 'checked_at', zk_ts(pc.checked_at)) ORDER BY pc.kind) FROM "               \
    "identity_photo_checks pc WHERE pc.attempt_id = a.id), '[]'), "                                \
    "'faces', coalesce((SELECT json_agg(json_build_object('pair', fc.pair, 'decision', "           \
    "fc.decision, 'distance', fc.distance, 'reason', fc.reason) ORDER BY fc.pair) FROM "           \
    "identity_face_checks fc WHERE fc.attempt_id = a.id), '[]'))"

static void json_text_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0 || pg_value(r->res, 0, 0) == NULL) {
        http_respond_error(req, 404, "ATTEMPT_NOT_FOUND", "没有这次认证记录", NULL);
        return;
    }
    api_db_json_text(req, r, 200);
}

static void identity_kind_loaded(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct ident *d = req->ctx;
    if (!api_db_row(req, r, 401, "NOT_LOGGED_IN", "请先登录", NULL))
        return;
    d->required = required_array(req, PQgetvalue(r->res, 0, 0));
    const char *values[] = {
        d->idtext, d->required,
        arena_printf(&req->arena, "%d", req->srv->cfg.auth_identity_attempts_day)};
    api_query(
        req,
        "SELECT json_build_object("
        " 'state', CASE WHEN c.identity <> 'unverified' THEN c.identity ELSE coalesce((SELECT "
        "a.state FROM identity_attempts a WHERE a.candidate_id = c.id ORDER BY a.created_at DESC, "
        "a.id DESC LIMIT 1), 'not_started') END,"
        " 'verified_at', zk_ts(c.verified_at),"
        " 'required', (SELECT json_agg(json_build_object('kind', k, 'uploaded', p.file_id IS NOT "
        "NULL, 'uploaded_at', zk_ts(p.uploaded_at), 'size', f.size, 'content_type', "
        "f.content_type) ORDER BY ord) FROM unnest($2::text[]) WITH ORDINALITY AS u(k, ord) LEFT "
        "JOIN identity_photos p ON p.candidate_id = c.id AND p.kind = u.k LEFT JOIN files f ON "
        "f.id = p.file_id),"
        " 'attempts_left_today', greatest(0, $3::int - (SELECT count(*) FROM identity_attempts a "
        "WHERE a.candidate_id = c.id AND a.created_at >= (date_trunc('day', now() AT TIME ZONE "
        "'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'))),"
        " 'review', (SELECT json_build_object('state', i.state, 'reason', i.reason, "
        "'next_step', i.next_step, 'decided_at', zk_ts(i.decided_at), 'created_at', "
        "zk_ts(i.created_at)) FROM review_items i WHERE i.kind = 'identity' AND (i.candidate_id = "
        "c.id OR i.candidate_id IN (SELECT m.id FROM candidates m WHERE m.merged_into = c.id)) "
        "ORDER BY i.id DESC LIMIT 1),"
        " 'attempts', coalesce((SELECT json_agg(x.j ORDER BY x.id DESC) FROM (SELECT "
        "a.id, " ATTEMPT_JSON_SQL
        " AS j FROM identity_attempts a WHERE a.candidate_id = c.id ORDER BY a.id DESC LIMIT 5) "
        "x), '[]'))::text FROM candidates c WHERE c.id = $1",
        3, values, json_text_loaded);
}

static void identity_get_authed(struct http_request *req, const struct api_session *s)
{
    struct ident *d = ident_of(req, s);
    const char *values[] = {d->idtext};
    api_query(req, "SELECT kind FROM candidates WHERE id = $1", 1, values, identity_kind_loaded);
}

static void identity_get(struct http_request *req)
{
    api_auth_require(req, identity_get_authed);
}

static void attempt_get_authed(struct http_request *req, const struct api_session *s)
{
    struct ident *d = ident_of(req, s);
    const char *id = http_param(req, 0);
    if (strspn(id, "0123456789") != strlen(id) || strlen(id) > 18 || id[0] == '\0') {
        http_respond_error(req, 404, "ATTEMPT_NOT_FOUND", "没有这次认证记录", NULL);
        return;
    }
    const char *values[] = {id, d->idtext};
    /* Another candidate's attempt is simply not found. */
    api_query(req,
              "SELECT " ATTEMPT_JSON_SQL "::text FROM identity_attempts a WHERE a.id = $1::bigint "
              "AND a.candidate_id = $2",
              2, values, json_text_loaded);
}

static void attempt_get(struct http_request *req)
{
    api_auth_require(req, attempt_get_authed);
}

static const struct route identity_routes[] = {
    {"PUT", "/api/v1/me/identity/photos/{kind}", photo_put, 2 << 20, photo_body_limit},
    {"GET", "/api/v1/me/identity/photos/{kind}", photo_get, 0, NULL},
    {"POST", "/api/v1/me/identity/attempts", attempt_post, 1024, NULL},
    {"GET", "/api/v1/me/identity/attempts/{id}", attempt_get, 0, NULL},
    {"GET", "/api/v1/me/identity", identity_get, 0, NULL},
};

const struct api_module api_identity_module = {.name = "identity", API_ROUTES(identity_routes)};
