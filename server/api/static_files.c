/*
 * static_files.c - the static-file handler and the per-process state behind
 * it: the set being served and its reload on the thread pool (see
 * static_files.h).
 *
 * Owns struct static_files (one per server process: the static module's state) and the
 * reference it holds on the current set; each answer that points into a set
 * holds another until its request is freed.
 */
#include "static_files.h"
#include "api.h"
#include "alloc.h"
#include "build_info.h"
#include "http_request.h"
#include "log.h"
#include "server.h"
#include "static_path.h"
#include "static_set.h"

#include <errno.h>
#include <limits.h>
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STATIC_IMMUTABLE "public, max-age=31536000, immutable"
#define STATIC_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

struct static_reload {
    uv_work_t work;
    struct static_files *sf;
    struct zk_config cfg;
    char dir[PATH_MAX];
    struct static_set *set;
    int rc;
    char err[1024];
};

struct static_files {
    uv_loop_t *loop;
    struct static_set *current; /* NULL: serving nothing */
    char dir[PATH_MAX];         /* where current came from */
    struct static_reload *running;
    bool again;                 /* a reload was asked for while one ran */
    struct zk_config again_cfg; /* with these settings */
};

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void static_files_dir(const struct zk_config *cfg, char *out, size_t outsz)
{
    const char *dir = cfg->www_dir;
    if (strcmp(dir, "auto") == 0) {
        if (!config_is_production(cfg) && dir_exists(ZIKAO_SOURCE_DIR "/server/www"))
            dir = ZIKAO_SOURCE_DIR "/server/www";
        else if (dir_exists(ZIKAO_INSTALL_WWW_DIR))
            dir = ZIKAO_INSTALL_WWW_DIR;
        else
            dir = "";
    }
    snprintf(out, outsz, "%s", dir);
}

/* Finds and loads cfg's folder: 0 with *set (NULL: no folder), or -errno
 * with err. Any thread. */
static int static_load(const struct zk_config *cfg, char *dir, size_t dirsz,
                       struct static_set **set, char *err, size_t errsz)
{
    *set = NULL;
    static_files_dir(cfg, dir, dirsz);
    if (dir[0] == '\0')
        return 0;
    struct static_set_limits lim = {(size_t)cfg->www_max_bytes, (size_t)cfg->www_max_files};
    char why[900];
    int rc = static_set_load(dir, &lim, set, why, sizeof(why));
    if (rc < 0)
        snprintf(err, errsz, "[server] www_dir: %s", why);
    return rc;
}

static void static_log_loaded(const struct static_files *sf, const struct zk_config *cfg)
{
    if (sf->current != NULL)
        log_notice("www: serving %zu files (%zu bytes) from %s", static_set_count(sf->current),
                   static_set_bytes(sf->current), sf->dir);
    else if (cfg->www_dir[0] == '\0')
        log_info("www: [server] www_dir is empty: no static files");
    else
        log_notice("www: no static files ([server] www_dir = auto found neither %s nor %s)",
                   ZIKAO_SOURCE_DIR "/server/www", ZIKAO_INSTALL_WWW_DIR);
}

int static_files_check(const struct zk_config *cfg, char *err, size_t errsz)
{
    char dir[PATH_MAX];
    struct static_set *set = NULL;
    int rc = static_load(cfg, dir, sizeof(dir), &set, err, errsz);
    static_set_unref(set);
    return rc;
}

int static_files_open(struct static_files **out, uv_loop_t *loop, const struct zk_config *cfg)
{
    struct static_files *sf = zk_calloc(1, sizeof(*sf));
    char err[1024];
    sf->loop = loop;
    int rc = static_load(cfg, sf->dir, sizeof(sf->dir), &sf->current, err, sizeof(err));
    if (rc < 0) {
        log_err("configuration: %s", err);
        free(sf);
        return rc;
    }
    static_log_loaded(sf, cfg);
    *out = sf;
    return 0;
}

/* ---- reload ----------------------------------------------------------------- */

static void static_reload_start(struct static_files *sf, const struct zk_config *cfg);

static void on_reload_work(uv_work_t *w)
{
    struct static_reload *r = w->data;
    r->rc = static_load(&r->cfg, r->dir, sizeof(r->dir), &r->set, r->err, sizeof(r->err));
}

static void on_reload_done(uv_work_t *w, int status)
{
    struct static_reload *r = w->data;
    struct static_files *sf = r->sf;
    sf->running = NULL;
    if (status < 0 || r->rc < 0) {
        log_err("www: reload failed, still serving the %zu files loaded before: %s",
                sf->current ? static_set_count(sf->current) : 0,
                status < 0 ? uv_strerror(status) : r->err);
    } else {
        static_set_unref(sf->current); /* answers in flight keep it until written */
        sf->current = r->set;
        memcpy(sf->dir, r->dir, sizeof(sf->dir));
        static_log_loaded(sf, &r->cfg);
    }
    free(r);
    if (sf->again) {
        sf->again = false;
        static_reload_start(sf, &sf->again_cfg);
    }
}

static void static_reload_start(struct static_files *sf, const struct zk_config *cfg)
{
    struct static_reload *r = zk_calloc(1, sizeof(*r));
    r->sf = sf;
    r->cfg = *cfg;
    r->work.data = r;
    int e = uv_queue_work(sf->loop, &r->work, on_reload_work, on_reload_done);
    if (e != 0) {
        log_err("www: reload failed: %s", uv_strerror(e));
        free(r);
        return;
    }
    sf->running = r;
}

void static_files_reload(struct static_files *sf, const struct zk_config *cfg)
{
    if (sf == NULL)
        return;
    if (sf->running != NULL) {
        sf->again = true;
        sf->again_cfg = *cfg;
        return;
    }
    static_reload_start(sf, cfg);
}

void static_files_close(struct static_files *sf)
{
    if (sf == NULL)
        return;
    static_set_unref(sf->current);
    free(sf);
}

/* ---- serving ------------------------------------------------------------------ */

static void static_release(void *set)
{
    static_set_unref(set);
}

/* Answers with file f of set (status 200, or 404 for the 404 page). */
static void static_send(struct http_request *req, struct static_set *set,
                        const struct static_file *f, int status)
{
    bool gz = f->gz != NULL && static_accepts_gzip(http_header_get(req, "Accept-Encoding"));
    const char *etag = gz ? f->gz_etag : f->etag;
    http_response_header(req, "X-Content-Type-Options", "nosniff");
    if (f->gz != NULL)
        http_response_header(req, "Vary", "Accept-Encoding");
    if (status == 200) {
        http_response_header(req, "ETag", etag);
        http_response_header(req, "Cache-Control", f->versioned ? STATIC_IMMUTABLE : "no-cache");
        if (static_etag_matches(http_header_get(req, "If-None-Match"), etag)) {
            http_respond(req, 304, NULL, NULL, 0);
            return;
        }
    } else {
        http_response_header(req, "Cache-Control", "no-store");
    }
    if (gz)
        http_response_header(req, "Content-Encoding", "gzip");
    if (f->document) {
        http_response_header(req, "Content-Security-Policy", STATIC_CSP);
        http_response_header(req, "Referrer-Policy", "no-referrer");
        http_response_header(req, "X-Frame-Options", "DENY");
    }
    static_set_ref(set);
    arena_defer(&req->arena, static_release, set);
    http_respond(req, status, f->type, gz ? f->gz : f->body, gz ? f->gz_len : f->len);
}

static void static_not_found(struct http_request *req, struct static_set *set)
{
    req->route_index = -1; /* a path that names no file counts as unmatched */
    const struct static_file *page = set != NULL ? static_set_find(set, "/404.html") : NULL;
    if (page != NULL) {
        static_send(req, set, page, 404);
        return;
    }
    http_response_header(req, "X-Content-Type-Options", "nosniff");
    http_respond_error(req, 404, "NOT_FOUND", "请求的地址不存在", NULL);
}

static void static_serve(struct http_request *req)
{
    struct static_files *sf = api_state(req->srv, &api_static_module);
    struct static_set *set = sf != NULL ? sf->current : NULL;
    char path[PATH_MAX];
    const size_t room = sizeof(path) - sizeof("/index.html");
    int rc = static_path_decode(req->path, path, room);
    if (rc == -EINVAL) {
        http_response_header(req, "X-Content-Type-Options", "nosniff");
        http_respond_error(req, 400, "BAD_PATH", "请求地址中的百分号编码不正确", NULL);
        return;
    }
    const struct static_file *f = NULL;
    bool to_folder = false; /* "/dir" whose "/dir/index.html" exists */
    if (rc == 0 && set != NULL) {
        size_t len = strlen(path);
        if (path[len - 1] == '/') {
            memcpy(path + len, "index.html", sizeof("index.html"));
            f = static_set_find(set, path);
        } else if ((f = static_set_find(set, path)) == NULL) {
            memcpy(path + len, "/index.html", sizeof("/index.html"));
            to_folder = static_set_find(set, path) != NULL;
        }
    }
    if (f == NULL && !to_folder) {
        static_not_found(req, set);
        return;
    }
    if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
        http_response_header(req, "Allow", "GET, HEAD");
        http_response_header(req, "X-Content-Type-Options", "nosniff");
        if (req->method == HTTP_OPTIONS)
            http_respond(req, 204, NULL, NULL, 0);
        else
            http_respond_error(req, 405, "METHOD_NOT_ALLOWED", "该地址不支持此请求方法", NULL);
        return;
    }
    if (to_folder) {
        const char *q = req->query[0] != '\0' ? "?" : "";
        http_response_header(req, "Location",
                             arena_printf(&req->arena, "%s/%s%s", req->path, q, req->query));
        http_response_header(req, "Cache-Control", "no-cache");
        http_response_header(req, "X-Content-Type-Options", "nosniff");
        http_respond(req, 301, NULL, NULL, 0);
        return;
    }
    static_send(req, set, f, 200);
}

const struct route static_files_route = {"GET", "static", static_serve, 0, NULL};

/* ---- the module: one set of files per server process ----------------------------- */

static int static_init(struct server *srv, void **state)
{
    struct static_files *sf = NULL;
    int rc = static_files_open(&sf, srv->loop, &srv->cfg);
    *state = sf;
    return rc;
}

static void static_free(struct server *srv, void *state)
{
    static_files_close(state);
}

static void static_reload(struct server *srv, void *state)
{
    static_files_reload(state, &srv->cfg);
}

const struct api_module api_static_module = {
    .name = "static",
    .check_config = static_files_check,
    .init = static_init,
    .free = static_free,
    .reload = static_reload,
    .fallback = &static_files_route,
};
