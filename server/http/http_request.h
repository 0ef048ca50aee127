/*
 * http_request.h - one HTTP request and its response, owned by one arena.
 *
 * A request is created when its first byte is parsed and destroyed after its
 * response has been written (or at once, if the client went away and the
 * handler has answered). Everything hanging off it - header strings, the
 * body, route parameters, the response - lives in req->arena, so handlers
 * never free what the request owns.
 *
 * Handlers are called with a complete request and must answer exactly once,
 * with http_respond* (possibly later, from a database callback). If the
 * client disconnects first, req->conn becomes NULL and the answer only frees
 * the request.
 */
#ifndef ZK_HTTP_REQUEST_H
#define ZK_HTTP_REQUEST_H

#include "arena.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_PARAMS       8
#define HTTP_MAX_RESP_HEADERS 12
#define HTTP_REQUEST_ID_LEN   16

struct server;
struct http_server;
struct http_conn;
struct route;

struct http_header {
    const char *name;
    const char *value;
};

struct http_request {
    struct arena arena;
    struct http_server *hs;    /* the HTTP layer it came through (opaque here) */
    struct server *srv;        /* the application's per-process context (opaque here) */
    struct http_conn *conn;    /* NULL once the client is gone */
    struct http_request *next; /* the connection's queue, in arrival order */
    /* Set by the connection that parsed it: called once the answer is
     * complete (to write it), and the header trusted for the client's
     * address from a loopback proxy ("" none). */
    void (*on_answer)(struct http_request *req);
    const char *client_ip_header;

    /* What the client sent. */
    int method;              /* llhttp_method_t */
    const char *method_name; /* "GET", ... */
    char *target;            /* request-target as sent */
    char *path;              /* target up to '?' (not decoded) */
    char *query;             /* after '?', or "" */
    struct http_header *headers;
    int nheaders;
    int headers_cap;
    char *body; /* NUL-terminated for convenience; may hold NULs */
    size_t body_len;
    size_t body_cap;
    size_t body_limit;
    const char *body_limit_message; /* the 413's sentence (NULL: the generic one) */
    bool keep_alive;
    bool expect_continue;

    /* Routing. */
    const struct route *route;
    const char *params[HTTP_MAX_PARAMS]; /* decoded, NUL-terminated */
    int nparams;
    int route_index; /* metrics slot; -1 for unrouted */

    char id[HTTP_REQUEST_ID_LEN + 1];
    char peer_ip[46]; /* the TCP peer, from the connection */
    uint64_t start_ns;

    /* The answer. */
    bool responded;
    bool close_after;
    int status;
    const char *resp_content_type;
    const char *resp_body;
    size_t resp_body_len;
    struct http_header resp_headers[HTTP_MAX_RESP_HEADERS];
    int resp_nheaders;
    char *resp_head; /* serialised status line + headers */
    size_t resp_head_len;

    /* Parser scratch (header name/value being assembled). */
    char *scratch;
    size_t scratch_len, scratch_cap;
    bool scratch_is_value;

    /* Free for the handler (state across asynchronous steps). */
    void *ctx;
};

/* Creates an empty request (the connection fills in where it came from and
 * its id). Never NULL. */
struct http_request *http_request_new(void);
/* Frees the request and everything in its arena. */
void http_request_free(struct http_request *req);

/*
 * The client's address: the TCP peer, or - when the peer is a loopback proxy
 * and [server] client_ip_header is set - that header's value.
 */
const char *http_client_ip(const struct http_request *req);

/* Case-insensitive header lookup; NULL if absent. */
const char *http_header_get(const struct http_request *req, const char *name);

/*
 * Route parameter i, percent-decoded (NULL if out of range). Query
 * parameters: http_query_get decodes ?a=b&c=d; NULL if absent.
 */
const char *http_param(const struct http_request *req, int i);
const char *http_query_get(struct http_request *req, const char *name);

/* Adds a response header (copied into the arena). Ignored past the limit. */
void http_response_header(struct http_request *req, const char *name, const char *value);

/* True when a response header of this name (any case) has been added. */
bool http_response_has_header(const struct http_request *req, const char *name);

/*
 * Answers the request. body must stay valid until the request ends (static
 * or from req->arena). Calling twice is a bug and the second call is ignored.
 */
void http_respond(struct http_request *req, int status, const char *content_type, const void *body,
                  size_t len);

/* Serialises obj (reference stolen) as UTF-8 JSON. */
void http_respond_json(struct http_request *req, int status, json_t *obj);

/*
 * The error envelope of ARCHITECTURE.md:
 *   {"error":{"code":CODE,"message":MESSAGE[,"field":FIELD]}}
 * field may be NULL. 429 and 503 also get Retry-After: 1 unless the caller
 * added its own (the true wait) before.
 */
void http_respond_error(struct http_request *req, int status, const char *code, const char *message,
                        const char *field);

/* Reason phrase for a status code ("OK", "Not Found", ...). */
const char *http_status_reason(int status);

#endif
