/*
 * http_parse.h - llhttp glue: bytes in, complete requests (or one error) out.
 *
 * Knows nothing of sockets, so it is unit-tested by feeding it bytes. It
 * enforces the limits that must be checked while parsing:
 *   - request line + headers over header_bytes, or more than max_headers
 *     fields                                              -> 431
 *   - a declared Content-Length over the route's limit, decided when the
 *     headers are complete and before any body byte is read -> 413
 *   - a chunked body growing past the limit                -> 413
 *   - anything llhttp (strict mode) refuses: bad request line, Content-Length
 *     with Transfer-Encoding, duplicate Content-Length, obsolete line
 *     folding, bad chunk sizes ...                          -> 400
 * After an error the stream is unusable: the owner answers and closes.
 */
#ifndef ZK_HTTP_PARSE_H
#define ZK_HTTP_PARSE_H

#include "http_request.h"

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>

struct http_parse_hooks {
    /* Returns a new request object for the message that begins. */
    struct http_request *(*request_new)(void *owner);
    /* Headers complete: route the request and set req->body_limit. */
    void (*headers_done)(void *owner, struct http_request *req);
    /* A whole request. Returns true to pause parsing (queue full). */
    bool (*request_done)(void *owner, struct http_request *req);
};

struct http_parse_limits {
    size_t header_bytes;
    int max_headers;
};

enum http_parse_status {
    HTTP_PARSE_OK,     /* all bytes consumed */
    HTTP_PARSE_PAUSED, /* stopped after a request; *consumed tells where */
    HTTP_PARSE_ERROR,  /* see error_status/error_code/error_message */
};

struct http_parse {
    llhttp_t parser;
    const struct http_parse_hooks *hooks;
    void *owner;
    const struct http_parse_limits *limits;
    struct http_request *req; /* message being parsed, or NULL */
    size_t header_bytes;      /* counted so far for req */
    const char *mark;         /* start of uncounted header bytes in this chunk */
    const char *chunk;        /* the chunk being parsed */
    char prev_visible;        /* last byte before this chunk that is not SP or HTAB */
    bool in_headers;
    int error_status;
    const char *error_code;
    const char *error_message; /* for the client, in Chinese */
    const char *error_detail;  /* llhttp's reason, for the log */
};

void http_parse_init(struct http_parse *p, const struct http_parse_hooks *hooks, void *owner,
                     const struct http_parse_limits *limits);

/* Feeds bytes; *consumed is how many were used (all of them unless paused). */
enum http_parse_status http_parse_feed(struct http_parse *p, const char *data, size_t len,
                                       size_t *consumed);

/* Resumes after HTTP_PARSE_PAUSED. */
void http_parse_resume(struct http_parse *p);

/* True while a message has started but not finished. */
bool http_parse_in_message(const struct http_parse *p);
/* True while that message is still in its headers. */
bool http_parse_in_headers(const struct http_parse *p);

/*
 * Takes the partially parsed request (for answering an error or timeout on
 * it); the parser forgets it. May return NULL.
 */
struct http_request *http_parse_take_request(struct http_parse *p);

#endif
