/*
 * job_http.h - blocking HTTP for job handlers, on libcurl: asking a
 * provider's API, a simulator delivering its notifications. Workers and
 * zikaoctl only, never an event loop.
 *
 * One client per worker thread (it holds a curl handle; create it in the
 * queue's thread_init, which runs on the main thread). What a call returns
 * lives in the caller's arena.
 */
#ifndef ZK_JOB_HTTP_H
#define ZK_JOB_HTTP_H

#include "arena.h"

#include <stddef.h>

#define JOB_HTTP_TIMEOUT_MS 10000     /* a whole request */
#define JOB_HTTP_MAX_BODY   (1 << 20) /* an answer longer than this fails the call */
#define JOB_HTTP_MAX_WANT   8         /* response headers one call can ask for */

struct job_http;

/* A client whose requests say user_agent. NULL when curl cannot start. */
struct job_http *job_http_new(const char *user_agent);
void job_http_free(struct job_http *h);

struct job_http_resp {
    long status;
    const char *body; /* NUL-terminated (the answer may hold NULs: use len) */
    size_t len;
    const char *values[JOB_HTTP_MAX_WANT]; /* the headers asked for, in order; NULL if absent */
};

/*
 * One request: method "GET" or "POST"; headers are whole lines ("Name:
 * value"), NULL-terminated (may be NULL); body is sent with POST (NULL:
 * empty); want names response headers to capture (NULL-terminated, may be
 * NULL). Returns 0 with r filled whatever the status, or -EIO with *why
 * (unreachable, timed out, an answer over JOB_HTTP_MAX_BODY).
 */
int job_http_request(struct job_http *h, struct arena *a, const char *method, const char *url,
                     const char *const *headers, const char *body, const char *const *want,
                     struct job_http_resp *r, const char **why);

#endif
