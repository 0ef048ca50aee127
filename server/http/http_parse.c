/*
 * http_parse.c - llhttp callbacks that assemble requests and enforce the
 * parse-time limits (see http_parse.h).
 *
 * Header bytes are counted from pointers into the chunk being parsed: `mark`
 * is where the uncounted part of the current message's head starts in this
 * chunk, so padding, whitespace and line ends count too, not just the
 * strings the callbacks deliver.
 */
#include "http_parse.h"

#include <string.h>
#include <strings.h>

static struct http_parse *parse_of(llhttp_t *h)
{
    return h->data;
}

static int parse_fail(struct http_parse *p, int status, const char *code, const char *message)
{
    if (p->error_status == 0) {
        p->error_status = status;
        p->error_code = code;
        p->error_message = message;
    }
    return -1;
}

/* What a 413 says: the route's sentence, else the generic one. */
static const char *body_too_large(const struct http_request *req)
{
    return req->body_limit_message != NULL ? req->body_limit_message : "请求内容超过允许的大小";
}

/* Checks the head size including bytes up to `end` in the current chunk. */
static int parse_check_head(struct http_parse *p, const char *end)
{
    if (p->mark == NULL)
        return 0;
    size_t n = p->header_bytes + (size_t)(end - p->mark);
    if (n > p->limits->header_bytes)
        return parse_fail(p, 431, "HEADERS_TOO_LARGE", "请求头过大");
    return 0;
}

static void scratch_append(struct http_request *req, const char *at, size_t len)
{
    if (req->scratch_len + len + 1 > req->scratch_cap) {
        size_t cap = req->scratch_cap ? req->scratch_cap * 2 : 128;
        while (cap < req->scratch_len + len + 1)
            cap *= 2;
        char *n = arena_alloc(&req->arena, cap);
        if (req->scratch_len)
            memcpy(n, req->scratch, req->scratch_len);
        req->scratch = n;
        req->scratch_cap = cap;
    }
    memcpy(req->scratch + req->scratch_len, at, len);
    req->scratch_len += len;
    req->scratch[req->scratch_len] = '\0';
}

static char *scratch_take(struct http_request *req)
{
    char *s = arena_strndup(&req->arena, req->scratch ? req->scratch : "", req->scratch_len);
    req->scratch_len = 0;
    return s;
}

static int on_message_begin(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    p->req = p->hooks->request_new(p->owner);
    p->in_headers = true;
    p->header_bytes = 0;
    p->mark = NULL;
    return 0;
}

static int on_method(llhttp_t *h, const char *at, size_t len)
{
    struct http_parse *p = parse_of(h);
    if (p->mark == NULL)
        p->mark = at;
    return parse_check_head(p, at + len);
}

static int on_url(llhttp_t *h, const char *at, size_t len)
{
    struct http_parse *p = parse_of(h);
    if (parse_check_head(p, at + len) < 0)
        return -1;
    scratch_append(p->req, at, len);
    return 0;
}

static int on_url_complete(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    p->req->target = scratch_take(p->req);
    return 0;
}

static int on_header_field(llhttp_t *h, const char *at, size_t len)
{
    struct http_parse *p = parse_of(h);
    if (parse_check_head(p, at + len) < 0)
        return -1;
    scratch_append(p->req, at, len);
    return 0;
}

static int on_header_field_complete(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    struct http_request *req = p->req;
    if (req->nheaders >= p->limits->max_headers)
        return parse_fail(p, 431, "HEADERS_TOO_LARGE", "请求头字段过多");
    if (req->nheaders == req->headers_cap) {
        int cap = req->headers_cap ? req->headers_cap * 2 : 16;
        struct http_header *n = arena_alloc(&req->arena, sizeof(*n) * (size_t)cap);
        if (req->nheaders)
            memcpy(n, req->headers, sizeof(*n) * (size_t)req->nheaders);
        req->headers = n;
        req->headers_cap = cap;
    }
    req->headers[req->nheaders].name = scratch_take(req);
    req->headers[req->nheaders].value = "";
    return 0;
}

static bool parse_is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* The last byte before `at` that is not SP or HTAB, looking back into
 * earlier chunks through prev_visible. */
static char parse_last_visible(const struct http_parse *p, const char *at)
{
    while (at > p->chunk && parse_is_ws(at[-1]))
        at--;
    return at > p->chunk ? at[-1] : p->prev_visible;
}

static int on_header_value(llhttp_t *h, const char *at, size_t len)
{
    struct http_parse *p = parse_of(h);
    if (parse_check_head(p, at + len) < 0)
        return -1;
    /* llhttp accepts obsolete line folding and hands the continuation line
     * over as one more fragment of the value (after an empty first line, as
     * the value itself); RFC 9112 5.2: reject it. A real fragment follows the
     * colon or value bytes, so the last byte before it that is not SP or HTAB
     * is never a line feed. An empty value (RFC 9110 5.5 allows it) arrives
     * as an empty fragment at the start of the next line: not a fold. */
    if (len > 0 && parse_last_visible(p, at) == '\n')
        return parse_fail(p, 400, "BAD_REQUEST", "请求头不能折行");
    scratch_append(p->req, at, len);
    return 0;
}

static int on_header_value_complete(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    struct http_request *req = p->req;
    req->headers[req->nheaders].value = scratch_take(req);
    req->nheaders++;
    return 0;
}

/*
 * Splits the target into path and query. Origin-form ("/p?q") and, as RFC
 * 9112 3.2.2 requires, absolute-form ("http://host/p?q") are accepted; the
 * authority and asterisk forms are not (no CONNECT, no OPTIONS *).
 */
static int parse_target(struct http_request *req)
{
    char *t = req->target;
    if (t == NULL)
        return -1;
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        char *slash = strchr(strstr(t, "//") + 2, '/');
        t = slash != NULL ? slash : "/";
    }
    if (t[0] != '/')
        return -1;
    char *q = strchr(t, '?');
    if (q != NULL) {
        req->path = arena_strndup(&req->arena, t, (size_t)(q - t));
        req->query = q + 1;
    } else {
        req->path = t;
        req->query = "";
    }
    char *hash = strchr(req->query, '#');
    if (hash != NULL)
        *hash = '\0';
    return 0;
}

static int on_headers_complete(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    struct http_request *req = p->req;
    p->in_headers = false;
    p->mark = NULL;
    req->method = h->method;
    req->method_name = llhttp_method_name((llhttp_method_t)h->method);
    req->keep_alive = llhttp_should_keep_alive(h);
    if (parse_target(req) < 0)
        return parse_fail(p, 400, "BAD_REQUEST", "请求地址格式错误");
    const char *expect = http_header_get(req, "Expect");
    if (expect != NULL) {
        if (strcasecmp(expect, "100-continue") != 0)
            return parse_fail(p, 417, "EXPECTATION_FAILED", "不支持的 Expect 请求头");
        req->expect_continue = true;
    }
    p->hooks->headers_done(p->owner, req);
    bool has_length = (h->flags & F_CONTENT_LENGTH) != 0;
    if (has_length && h->content_length > req->body_limit)
        return parse_fail(p, 413, "PAYLOAD_TOO_LARGE", body_too_large(req));
    if (has_length && h->content_length > 0) {
        req->body_cap = (size_t)h->content_length + 1;
        req->body = arena_alloc(&req->arena, req->body_cap);
    }
    return 0;
}

static int on_body(llhttp_t *h, const char *at, size_t len)
{
    struct http_parse *p = parse_of(h);
    struct http_request *req = p->req;
    if (req->body_len + len > req->body_limit)
        return parse_fail(p, 413, "PAYLOAD_TOO_LARGE", body_too_large(req));
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap * 2 : 4096;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        char *n = arena_alloc(&req->arena, cap);
        if (req->body_len)
            memcpy(n, req->body, req->body_len);
        req->body = n;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, at, len);
    req->body_len += len;
    return 0;
}

static int on_message_complete(llhttp_t *h)
{
    struct http_parse *p = parse_of(h);
    struct http_request *req = p->req;
    if (req->body == NULL)
        req->body = "";
    else
        req->body[req->body_len] = '\0';
    p->req = NULL;
    if (p->hooks->request_done(p->owner, req))
        return HPE_PAUSED;
    return 0;
}

static const llhttp_settings_t parse_settings = {
    .on_message_begin = on_message_begin,
    .on_method = on_method,
    .on_url = on_url,
    .on_url_complete = on_url_complete,
    .on_header_field = on_header_field,
    .on_header_field_complete = on_header_field_complete,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_parse_init(struct http_parse *p, const struct http_parse_hooks *hooks, void *owner,
                     const struct http_parse_limits *limits)
{
    memset(p, 0, sizeof(*p));
    llhttp_init(&p->parser, HTTP_REQUEST, &parse_settings);
    p->parser.data = p;
    p->hooks = hooks;
    p->owner = owner;
    p->limits = limits;
}

enum http_parse_status http_parse_feed(struct http_parse *p, const char *data, size_t len,
                                       size_t *consumed)
{
    size_t off = 0;
    *consumed = 0;
    if (p->error_status != 0)
        return HTTP_PARSE_ERROR;
    while (off < len) {
        const char *chunk = data + off;
        size_t n = len - off;
        p->mark = p->in_headers ? chunk : NULL;
        p->chunk = chunk;
        llhttp_errno_t rc = llhttp_execute(&p->parser, chunk, n);
        const char *stop = rc == HPE_OK ? chunk + n : llhttp_get_error_pos(&p->parser);
        if (stop != NULL)
            p->prev_visible = parse_last_visible(p, stop);
        if (rc == HPE_OK) {
            if (p->in_headers && p->mark != NULL) {
                p->header_bytes += (size_t)(chunk + n - p->mark);
                p->mark = NULL;
            }
            off = len;
            break;
        }
        if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE) {
            const char *pos = llhttp_get_error_pos(&p->parser);
            size_t used = pos ? (size_t)(pos - chunk) : n;
            off += used;
            if (rc == HPE_PAUSED_UPGRADE) {
                /* Upgrades are not offered: keep speaking HTTP/1.1. */
                llhttp_resume_after_upgrade(&p->parser);
                continue;
            }
            *consumed = off;
            return HTTP_PARSE_PAUSED;
        }
        if (p->error_status == 0) {
            p->error_status = 400;
            p->error_code = "BAD_REQUEST";
            p->error_message = "请求格式错误";
            p->error_detail = llhttp_get_error_reason(&p->parser);
        }
        *consumed = off;
        return HTTP_PARSE_ERROR;
    }
    *consumed = off;
    return HTTP_PARSE_OK;
}

void http_parse_resume(struct http_parse *p)
{
    llhttp_resume(&p->parser);
}

bool http_parse_in_message(const struct http_parse *p)
{
    return p->req != NULL;
}

bool http_parse_in_headers(const struct http_parse *p)
{
    return p->req != NULL && p->in_headers;
}

struct http_request *http_parse_take_request(struct http_parse *p)
{
    struct http_request *req = p->req;
    p->req = NULL;
    return req;
}
