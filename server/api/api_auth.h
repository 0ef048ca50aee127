/*
 * api_auth.h - candidate sessions: the cookie, the Redis record, CSRF.
 *
 * A session is a 256-bit random token in the cookie `zikao_session`
 * (HttpOnly; SameSite=Lax; Secure when [auth] cookie_secure). Redis keeps only
 * its SHA-256: key "zikao:sess:<hex>" -> {cand, created, csrf}, expiring after
 * [auth] session_idle_minutes without use (sliding) and never living past
 * session_max_hours. "zikao:cand:<id>:sess" lists a candidate's sessions so
 * that logout-everywhere and password changes can end them.
 *
 * State-changing requests (POST, PUT, PATCH, DELETE) made with the cookie must
 * carry the session's CSRF token in the X-CSRF-Token header (login returns
 * it; GET /api/v1/me repeats it). A cross-site form cannot read or send it.
 */
#ifndef ZK_API_AUTH_H
#define ZK_API_AUTH_H

#include "api.h"

#include <stdint.h>

struct api_session {
    int64_t candidate_id;
    const char *key;  /* "zikao:sess:<hex>" (request arena) */
    const char *csrf; /* the session's CSRF token */
};

typedef void (*api_auth_cb)(struct http_request *req, const struct api_session *s);

/*
 * Resolves the request's session and calls cb with it. Answers by itself and
 * never calls cb when there is no valid session (401 NOT_LOGGED_IN), the CSRF
 * token of a state-changing request is wrong (403 CSRF_CHECK_FAILED), or Redis
 * cannot be asked (503).
 */
void api_auth_require(struct http_request *req, api_auth_cb cb);

typedef void (*api_session_cb)(struct http_request *req, const struct api_session *s, int err);

/*
 * Creates a session for candidate_id and adds its Set-Cookie header to the
 * response being prepared. cb receives the session (err 0) or err < 0 when
 * Redis refused (the caller answers 503).
 */
void api_session_create(struct http_request *req, int64_t candidate_id, api_session_cb cb);

/* Ends one session (logout) and clears the cookie. Fire and forget. */
void api_session_end(struct http_request *req, const struct api_session *s);

/* Ends every session of a candidate except `keep` (may be NULL). Fire and forget. */
void api_session_end_all(struct http_request *req, int64_t candidate_id, const char *keep);

/* The cookie's value, or NULL. */
const char *api_cookie_get(struct http_request *req, const char *name);

#endif
