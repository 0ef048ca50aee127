/*
 * chsi_sim.c - the built-in simulator of 学信网's prior-education
 * authorisation ([chsi] simulator = true, the default; refused in
 * production). It plays both the candidate's phone app and the provider,
 * so that scripts/run and the tests authorise end to end:
 *
 *   GET  /sim/chsi/authorise?app_id=&token=   the QR code's link: the app
 *        scanned it. Sends a signed `scanned` notification and shows what
 *        the provider would send, to confirm or change
 *   POST /sim/chsi/authorise                  the person confirms (form:
 *        token, the record's fields; replay=1 sends the notification twice,
 *        after_expiry=1 only once the token has expired)
 *   POST /sim/chsi/replay/{notify_id}         sends a notification again
 *
 * The record it offers is the candidate's own name, ID number and gender
 * (read from our tables by the token, which a real provider never does:
 * it stands in for the person's own 学信网 account) with a made-up school.
 * Like the payment simulator it never calls the server from the loop: it
 * writes its notification to its books (chsi_sim_notices) and queues `chsi`
 * jobs of kind sim_notify, whose worker signs it with the simulator's key
 * and delivers it with retries, as the provider does.
 */
#include "api_util.h"
#include "bjtime.h"
#include "chsi_proto.h"
#include "log.h"
#include "queue.h"
#include "queue_publish.h"
#include "server.h"
#include "sim_page.h"
#include "urlcode.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIM_NOTE "学信网学历验证授权模拟器（测试用，不是真实的学信网）"

#define SIM_MAX_JOBS 2 /* a notification and its replay */

struct chsi_sim {
    struct chsi_notice n;
    const char *body;
    int copies;
    bool after_expiry;
    int64_t jobs[SIM_MAX_JOBS];
    int njobs;
    const char *expires_at;
};

static bool sim_enabled(struct http_request *req)
{
    if (req->srv->cfg.chsi_simulator)
        return true;
    http_respond_error(req, 404, "NOT_FOUND", "没有这个页面", NULL);
    return false;
}

static void sim_page(struct http_request *req, int status, const char *title, const char *html)
{
    sim_page_respond(req, status, title, html, SIM_NOTE);
}

/* A fresh notify id (32 hex digits) and the provider's clock, into n. */
static void sim_notice_init(struct http_request *req, struct chsi_notice *n, const char *event,
                            const char *token)
{
    unsigned char raw[16];
    char hex[33], when[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    struct tm tm;
    bj_tm(time(NULL), &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    n->notify_id = arena_strdup(&req->arena, hex);
    n->app_id = req->srv->cfg.chsi_app_id;
    n->event = event;
    n->token = token;
    n->sent_at = arena_strdup(&req->arena, when);
    n->authorised = strcmp(event, "authorised") == 0;
}

/*
 * Puts the notification in the books with its delivery jobs (copies, due
 * now or once the token has expired) in one statement (req->ctx is the
 * caller's when next runs); then publishes the
 * ones due now (a job published before it is due would be skipped and left
 * for the sweeper, which publishes it when due anyway).
 */
static void sim_queue(struct http_request *req, struct chsi_sim *s, pg_result_cb next)
{
    s->body = chsi_notice_build(&req->arena, &s->n);
    const char *v[] = {s->n.notify_id,
                       s->n.event,
                       s->body,
                       chsi_notify_url(&req->arena, &req->srv->cfg),
                       s->n.token,
                       s->after_expiry ? "t" : "f",
                       arena_printf(&req->arena, "%d", s->copies)};
    api_query(req,
              "WITH n AS (INSERT INTO chsi_sim_notices (notify_id, event, body, notify_url) "
              "VALUES ($1, $2, $3, $4)), q AS (SELECT expires_at FROM prior_education_requests "
              "WHERE token_hash = sha256(convert_to($5, 'UTF8'))) "
              "INSERT INTO jobs (queue, payload, not_before) SELECT 'chsi', jsonb_build_object("
              "'kind', 'sim_notify', 'notify_id', $1::text, 'url', $4::text, 'body', $3::text), "
              "CASE WHEN $6::boolean THEN greatest(now(), coalesce((SELECT expires_at FROM q), "
              "now()) + interval '1 second') ELSE now() END "
              "FROM generate_series(1, $7::int) RETURNING id",
              7, v, next);
}

/* The statement of sim_queue answered: publish what is due. False after
 * answering a failure. */
static bool sim_queued(struct http_request *req, struct chsi_sim *s, const struct pg_result *r)
{
    if (api_db_failed(req, r))
        return false;
    s->njobs = 0;
    for (int i = 0; i < PQntuples(r->res) && i < SIM_MAX_JOBS; i++)
        s->jobs[s->njobs++] = strtoll(PQgetvalue(r->res, i, 0), NULL, 10);
    if (!s->after_expiry && s->njobs > 0 && req->srv->redis != NULL)
        queue_publish(req->srv->redis, QUEUE_CHSI, s->jobs, s->njobs, NULL, NULL);
    return true;
}

/* ---- GET /sim/chsi/authorise: the app scanned the QR code ---------------------- */

struct sim_scan {
    struct chsi_sim s;
    const char *name, *id_number, *gender, *expires_at;
    bool expired;
};

static const char *sim_input(struct http_request *req, const char *label, const char *name,
                             const char *value)
{
    return arena_printf(&req->arena, "<p><label>%s <input name=\"%s\" value=\"%s\"></label></p>",
                        label, name, sim_html_escape(&req->arena, value));
}

static void sim_scan_queued(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct sim_scan *sc = req->ctx;
    if (!sim_queued(req, &sc->s, r))
        return;
    bool male = strcmp(sc->gender, "男") == 0;
    char *html = arena_printf(
        &req->arena,
        "<p>已扫码。请核对将授权发送给%s的前置学历信息（二维码有效期至 %s%s）。"
        "可修改姓名、身份证号或性别，以模拟学信网学历信息与报考信息不一致。</p>"
        "<form method=\"post\" action=\"/sim/chsi/authorise\">"
        "<input type=\"hidden\" name=\"token\" value=\"%s\">%s%s"
        "<p><label>性别 <select name=\"gender\"><option%s>男</option><option%s>女</option>"
        "</select></label></p>%s%s%s%s%s"
        "<p><label><input type=\"checkbox\" name=\"replay\" value=\"1\"> "
        "同一通知发送两次（重放）</label></p>"
        "<p><label><input type=\"checkbox\" name=\"after_expiry\" value=\"1\"> "
        "二维码过期后再发送</label></p>"
        "<button type=\"submit\">确认授权</button></form>",
        sim_html_escape(&req->arena, req->srv->cfg.chsi_app_id), sc->expires_at,
        sc->expired ? "，已过期" : "", sc->s.n.token, sim_input(req, "姓名", "name", sc->name),
        sim_input(req, "身份证号", "id_number", sc->id_number), male ? " selected" : "",
        male ? "" : " selected", sim_input(req, "院校", "school", "山西大学"),
        sim_input(req, "层次", "level", "专科"), sim_input(req, "专业", "major", "法学"),
        sim_input(req, "毕业日期", "graduated_on", "2015-07-01"),
        sim_input(req, "证书编号", "certificate_no", "101081201505001234"));
    sim_page(req, 200, "学信网（模拟）学历验证授权", html);
}

static void sim_scan_found(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        sim_page(req, 404, "二维码无效",
                 "<p>该二维码不是招考系统签发的，或已被新的二维码取代。</p>");
        return;
    }
    struct sim_scan *sc = req->ctx;
    const PGresult *res = r->res;
    sc->name = arena_strdup(&req->arena, PQgetvalue(res, 0, 0));
    sc->id_number = arena_strdup(&req->arena, PQgetvalue(res, 0, 1));
    sc->gender = arena_strdup(&req->arena, PQgetvalue(res, 0, 2));
    sc->expires_at = arena_strdup(&req->arena, PQgetvalue(res, 0, 3));
    sc->expired = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
    sim_queue(req, &sc->s, sim_scan_queued);
}

static void sim_scan(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    const char *app_id = http_query_get(req, "app_id");
    const char *token = http_query_get(req, "token");
    if (app_id == NULL || strcmp(app_id, req->srv->cfg.chsi_app_id) != 0 ||
        !chsi_token_valid(token)) {
        sim_page(req, 400, "二维码无效", "<p>二维码内容不是招考系统的学历验证授权。</p>");
        return;
    }
    struct sim_scan *sc = arena_calloc(&req->arena, sizeof(*sc));
    sc->s.copies = 1;
    sim_notice_init(req, &sc->s.n, "scanned", arena_strdup(&req->arena, token));
    req->ctx = sc;
    const char *v[] = {sc->s.n.token};
    api_query(req,
              "SELECT c.name, c.id_number, prior_education_candidate_gender(c.gender, "
              "c.id_number), zk_ts(q.expires_at), q.expires_at <= now() "
              "FROM prior_education_requests q JOIN candidates c ON c.id = q.candidate_id "
              "WHERE q.token_hash = sha256(convert_to($1, 'UTF8'))",
              1, v, sim_scan_found);
}

/* ---- POST /sim/chsi/authorise: the person confirms ------------------------------ */

static const char *sim_replay_form(struct http_request *req, const char *notify_id)
{
    return arena_printf(&req->arena,
                        "<form method=\"post\" action=\"/sim/chsi/replay/%s\"><button "
                        "type=\"submit\">重放回调（再次发送同一通知）</button></form>",
                        notify_id);
}

static void sim_authorise_queued(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    struct chsi_sim *s = req->ctx;
    if (!sim_queued(req, s, r))
        return;
    char *html =
        arena_printf(&req->arena,
                     "<p>已授权：学信网%s将前置学历信息发送给招考系统（通知编号 %s%s）。"
                     "请返回招考系统，点击“刷新获取授权信息”。</p>%s",
                     s->after_expiry ? "将在二维码过期后" : "正在", s->n.notify_id,
                     s->copies > 1 ? "，发送两次" : "", sim_replay_form(req, s->n.notify_id));
    sim_page(req, 200, "已确认授权（模拟）", html);
}

static void sim_authorise(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    const char *form = req->body ? req->body : "";
    struct chsi_sim *s = arena_calloc(&req->arena, sizeof(*s));
    const char *token = url_form_get(&req->arena, form, req->body_len, "token");
    if (!chsi_token_valid(token)) {
        sim_page(req, 400, "二维码无效", "<p>缺少招考系统签发的令牌。</p>");
        return;
    }
    sim_notice_init(req, &s->n, "authorised", token);
    struct chsi_record *rec = &s->n.record;
    const char *names[] = {"name",  "id_number", "gender",       "school",
                           "level", "major",     "graduated_on", "certificate_no"};
    const char **fields[] = {&rec->name,         &rec->id_number,     &rec->gender,
                             &rec->school,       &rec->level,         &rec->major,
                             &rec->graduated_on, &rec->certificate_no};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = url_form_get(&req->arena, form, req->body_len, names[i]);
        *fields[i] = v ? v : "";
    }
    const char *replay = url_form_get(&req->arena, form, req->body_len, "replay");
    const char *late = url_form_get(&req->arena, form, req->body_len, "after_expiry");
    s->copies = replay != NULL && strcmp(replay, "1") == 0 ? 2 : 1;
    s->after_expiry = late != NULL && strcmp(late, "1") == 0;
    /* The provider sends only well-formed notifications: check what we would send. */
    const char *body = chsi_notice_build(&req->arena, &s->n);
    struct chsi_notice parsed;
    const char *field = NULL, *why = NULL;
    if (body == NULL || chsi_notice_parse(&req->arena, body, strlen(body), s->n.app_id, &parsed,
                                          &field, &why) < 0) {
        sim_page(req, 400, "学历信息有误",
                 arena_printf(&req->arena, "<p>%s：%s</p>",
                              sim_html_escape(&req->arena, field ? field : "?"),
                              why ? why : "格式错误"));
        return;
    }
    req->ctx = s;
    sim_queue(req, s, sim_authorise_queued);
}

/* ---- POST /sim/chsi/replay/{notify_id} ----------------------------------------- */

static void sim_replayed(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    if (PQntuples(r->res) == 0) {
        sim_page(req, 404, "没有这条通知", "");
        return;
    }
    int64_t job = strtoll(PQgetvalue(r->res, 0, 0), NULL, 10);
    if (req->srv->redis != NULL)
        queue_publish(req->srv->redis, QUEUE_CHSI, &job, 1, NULL, NULL);
    const char *id = http_param(req, 0);
    sim_page(
        req, 200, "已重放通知",
        arena_printf(&req->arena, "<p>通知 %s 正在再次发送。</p>%s", id, sim_replay_form(req, id)));
}

static void sim_replay(struct http_request *req)
{
    if (!sim_enabled(req))
        return;
    const char *id = http_param(req, 0);
    size_t n = strlen(id);
    if (n < 8 || n > 64 || strspn(id, "0123456789abcdef") != n) {
        sim_page(req, 404, "没有这条通知", "");
        return;
    }
    const char *v[] = {id};
    api_query(req,
              "INSERT INTO jobs (queue, payload) SELECT 'chsi', jsonb_build_object('kind', "
              "'sim_notify', 'notify_id', notify_id, 'url', notify_url, 'body', body) "
              "FROM chsi_sim_notices WHERE notify_id = $1 RETURNING id",
              1, v, sim_replayed);
}

static const struct route sim_routes[] = {
    {"GET", "/sim/chsi/authorise", sim_scan, 0, NULL},
    {"POST", "/sim/chsi/authorise", sim_authorise, 4096, NULL},
    {"POST", "/sim/chsi/replay/{notify_id}", sim_replay, 1024, NULL},
};

static int sim_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    if (config_is_production(cfg) && cfg->chsi_simulator) {
        snprintf(err, errsz,
                 "[chsi] simulator is for development and tests and is refused "
                 "when [server] environment = production");
        return -EINVAL;
    }
    return 0;
}

const struct api_module api_chsi_sim_module = {
    .name = "chsi-sim",
    API_ROUTES(sim_routes),
    .check_config = sim_check_config,
};
