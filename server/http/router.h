/*
 * router.h - the route table: method + path pattern -> handler.
 *
 * Built once at start-up from the tables each api/ module exports; matched
 * per request without allocating. Patterns are absolute paths whose segments
 * are literals or parameters in braces ("/api/v1/orders/{no}"). A literal
 * segment wins over a parameter at the same place; matching backtracks, so
 * "/a/b/c" and "/a/{x}/d" can coexist. HEAD is served by GET routes.
 *
 * An optional fallback route takes, whatever their method, the requests whose
 * path lies outside every pattern's first segment: with patterns under
 * "/api", "/healthz" and "/sim", a request for "/index.html" or "/" reaches
 * the fallback, while "/api/v1/nothing" stays the table's (404, or 405 with
 * Allow). The fallback's handler answers 404 and 405 itself.
 */
#ifndef ZK_ROUTER_H
#define ZK_ROUTER_H

#include "http_request.h"

#include <stddef.h>

typedef void (*http_handler_fn)(struct http_request *req);

struct route {
    const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern; /* "/api/v1/regions/{code}" */
    http_handler_fn handler;
    size_t body_limit; /* bytes; 0 = [limits] body_bytes */
    /* Optional: the limit for this request (route parameters and settings
     * are known), decided before any body byte is read. 0 = body_limit. It
     * may set req->body_limit_message (static or in req->arena): what the
     * 413 says, e.g. the limit in words. */
    size_t (*body_limit_fn)(struct http_request *req);
};

struct router;

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

struct router_span {
    const char *p;
    size_t len;
};

struct router_match {
    const struct route *route;
    int index; /* position of the route in the table (metrics) */
    struct router_span params[HTTP_MAX_PARAMS];
    int nparams;
    char allow[64]; /* for 405: "GET, HEAD, POST" */
};

struct router *router_create(void);
void router_free(struct router *r);

/*
 * Adds a route (the struct must outlive the router). Returns 0, or -EINVAL
 * for a malformed pattern / unknown method, -EEXIST for a duplicate, with
 * the reason in err.
 */
int router_add(struct router *r, const struct route *route, char *err, size_t errsz);

/*
 * Sets the fallback route (see above; the struct must outlive the router).
 * Its pattern is only its name in metrics ("static"): it is matched by no
 * path of its own. It is not part of the table (router_count), and its
 * match index is router_count(r), the row after the table's.
 */
void router_set_fallback(struct router *r, const struct route *route);

/* The fallback route, or NULL. */
const struct route *router_fallback(const struct router *r);

enum router_result router_match(const struct router *r, const char *method, const char *path,
                                struct router_match *m);

int router_count(const struct router *r);
const struct route *router_get(const struct router *r, int index);

#endif
