/*
 * http_request.c - request objects and the ways a handler answers
 * (see http_request.h).
 */
#include "http_request.h"
#include "json_util.h"
#include "urlcode.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define REQUEST_ARENA_CHUNK 4096

struct http_request *http_request_new(void)
{
    struct arena a;
    arena_init(&a, REQUEST_ARENA_CHUNK);
    struct http_request *req = arena_calloc(&a, sizeof(*req));
    req->arena = a; /* the request lives in its own arena */
    req->route_index = -1;
    req->query = "";
    req->client_ip_header = "";
    req->start_ns = uv_hrtime();
    return req;
}

void http_request_free(struct http_request *req)
{
    struct arena a = req->arena;
    arena_destroy(&a);
}

const char *http_client_ip(const struct http_request *req)
{
    const char *hdr = req->client_ip_header;
    bool loopback = strcmp(req->peer_ip, "127.0.0.1") == 0 || strcmp(req->peer_ip, "::1") == 0;
    if (hdr != NULL && hdr[0] != '\0' && loopback) {
        const char *v = http_header_get(req, hdr);
        if (v != NULL && v[0] != '\0' && strlen(v) < 46)
            return v;
    }
    return req->peer_ip[0] ? req->peer_ip : "unknown";
}

const char *http_header_get(const struct http_request *req, const char *name)
{
    for (int i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *http_param(const struct http_request *req, int i)
{
    return i >= 0 && i < req->nparams ? req->params[i] : NULL;
}

const char *http_query_get(struct http_request *req, const char *name)
{
    return url_form_get(&req->arena, req->query, strlen(req->query), name);
}

void http_response_header(struct http_request *req, const char *name, const char *value)
{
    if (req->resp_nheaders >= HTTP_MAX_RESP_HEADERS)
        return;
    req->resp_headers[req->resp_nheaders].name = arena_strdup(&req->arena, name);
    req->resp_headers[req->resp_nheaders].value = arena_strdup(&req->arena, value);
    req->resp_nheaders++;
}

bool http_response_has_header(const struct http_request *req, const char *name)
{
    for (int i = 0; i < req->resp_nheaders; i++)
        if (strcasecmp(req->resp_headers[i].name, name) == 0)
            return true;
    return false;
}

void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
                  size_t len)
{
    if (req->responded)
        return;
    req->responded = true;
    req->status = status;
    req->resp_content_type = content_type;
    req->resp_body = body;
    req->resp_body_len = body ? len : 0;
    if (req->on_answer != NULL)
        req->on_answer(req);
}

void http_respond_json(struct http_request *req, int status, json_t *obj)
{
    size_t len = 0;
    char *body = json_to_arena(obj, &req->arena, &len);
    json_decref(obj);
    http_response_header(req, "Cache-Control", "no-store");
    http_respond(req, status, "application/json; charset=utf-8", body, len);
}

void http_respond_error(struct http_request *req, int status, const char *code, const char *message,
                        const char *field)
{
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field != NULL)
        json_object_set_new(err, "field", json_string(field));
    if ((status == 503 || status == 429) && !http_response_has_header(req, "Retry-After"))
        http_response_header(req, "Retry-After", "1");
    http_respond_json(req, status, json_pack("{s:o}", "error", err));
}

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}
