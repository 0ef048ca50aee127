/*
 * api_auth.h - candidate sessions: the cookie, the Redis record, CSRF, and
 * whether the person behind a session may do business.
 *
 * A session is a 256-bit random token in the cookie `zikao_session`
 * (HttpOnly; SameSite=Lax; Secure when [auth] cookie_secure). Redis keeps only
 * its SHA-256: key "zikao:sess:<hex>" -> {cand, created, csrf, cred, ok},
 * expiring after [auth] session_idle_minutes without use (sliding) and never
 * living past session_max_hours. "zikao:cand:<id>:sess" lists a candidate's
 * sessions so that logout-everywhere and password changes can end them.
 *
 * `ok` is 1 once the account behind the session is verified (its photos
 * passed, or district staff verified the person). Until then every request
 * asks PostgreSQL about the row (schema/0010_account_claims.sql): a claim
 * that lost to another person's verified claim, or whose credentials changed
 * (`cred` no longer its cred_version), ends there (401); an activation claim
 * that won follows its account (the record) and the session is marked ok.
 * Verified sessions cost Redis alone.
 *
 * State-changing requests (POST, PUT, PATCH, DELETE) made with the cookie must
 * carry the session's CSRF token in the X-CSRF-Token header (login returns
 * it; GET /api/v1/me repeats it). A cross-site form cannot read or send it.
 */
#ifndef ZK_API_AUTH_H
#define ZK_API_AUTH_H

#include "api.h"

#include <stdbool.h>
#include <stdint.h>

struct api_session {
    int64_t candidate_id;
    const char *key;  /* "zikao:sess:<hex>" (request arena) */
    const char *csrf; /* the session's CSRF token */
    bool verified;    /* the account may do business */
};

typedef void (*api_auth_cb)(struct http_request *req, const struct api_session *s);

/*
 * Resolves the request's session and calls cb with it. Answers by itself and
 * never calls cb when there is no valid session (401 NOT_LOGGED_IN, or
 * SESSION_ENDED when the claim behind it lost or its password changed), the
 * CSRF token of a state-changing request is wrong (403 CSRF_CHECK_FAILED), or
 * Redis or PostgreSQL cannot be asked (503).
 */
void api_auth_require(struct http_request *req, api_auth_cb cb);

/*
 * The same for business (results, orders, applications, documents): also
 * answers 403 IDENTITY_REQUIRED, telling the person to finish identity
 * verification first, when the account is not verified.
 */
void api_auth_require_verified(struct http_request *req, api_auth_cb cb);

typedef void (*api_session_cb)(struct http_request *req, const struct api_session *s, int err);

/*
 * Creates a session for candidate_id, made with the credentials of
 * cred_version (candidates.cred_version) and already verified or not, and
 * adds its Set-Cookie header to the response being prepared. cb receives the
 * session (err 0) or err < 0 when Redis refused (the caller answers 503).
 */
void api_session_create(struct http_request *req, int64_t candidate_id, int cred_version,
                        bool verified, api_session_cb cb);

/* Ends one session (logout) and clears the cookie. Fire and forget. */
void api_session_end(struct http_request *req, const struct api_session *s);

/*
 * Ends every session of a candidate except `keep` (a session key, or NULL),
 * atomically in Redis. done (may be NULL: fire and forget) runs once Redis
 * has deleted them, with err < 0 if it could not be asked: answer only then,
 * so that no request sent after the answer can still use an ended session.
 */
typedef void (*api_done_cb)(struct http_request *req, int err);
void api_session_end_all(struct http_request *req, int64_t candidate_id, const char *keep,
                         api_done_cb done);

/* Records in the session `key` that it was made with cred_version (after the
 * owner changed the password through it). Fire and forget. */
void api_session_set_cred(struct http_request *req, const char *key, int cred_version);

/* The cookie's value, or NULL. */
const char *api_cookie_get(struct http_request *req, const char *name);

/* ---- session realms -------------------------------------------------------------
 *
 * Candidates and staff keep sessions the same way, each in a realm of its
 * own: its cookie, its Redis keys and its lifetimes. A session is a 256-bit
 * token in the realm's cookie (HttpOnly, Secure when [auth] cookie_secure);
 * Redis keeps only its SHA-256 (key_fmt) -> {<owner_field>, created, csrf,
 * cred, ok}, expiring after the realm's idle time without use (sliding) and
 * never living past its maximum; owner_set_fmt lists an owner's sessions so
 * that they can all be ended. State-changing requests must carry the
 * session's CSRF token in X-CSRF-Token. The candidate functions above are
 * this with the candidate realm; server/api/staff_auth.c has the staff's.
 */
struct api_realm {
    const char *cookie;        /* cookie name */
    const char *cookie_path;   /* its Path */
    const char *same_site;     /* Lax, Strict */
    const char *key_fmt;       /* Redis key of a session, "%s" = hex digest */
    const char *owner_set_fmt; /* Redis set of an owner's sessions, "%lld" = owner id */
    const char *owner_field;   /* the owner's id field in the session hash */
    int (*idle_seconds)(const struct zk_config *cfg);
    int (*max_seconds)(const struct zk_config *cfg);
};

struct api_realm_session {
    int64_t owner;
    const char *key;  /* Redis key (request arena) */
    const char *csrf; /* the session's CSRF token */
    int cred;         /* the credentials version it was made with; -1 unknown */
    bool ok;          /* the session's `ok` mark */
};

typedef void (*api_realm_cb)(struct http_request *req, void *ud,
                             const struct api_realm_session *rs);

/*
 * Looks the request's session of realm up (cookie, Redis, maximum age, CSRF
 * for state-changing methods, sliding expiry) and calls cb with it. Answers
 * by itself and never calls cb when there is no valid session (401
 * NOT_LOGGED_IN / SESSION_EXPIRED), the CSRF token is wrong (403
 * CSRF_CHECK_FAILED) or Redis cannot be asked (503).
 */
void api_realm_lookup(struct http_request *req, const struct api_realm *realm, api_realm_cb cb,
                      void *ud);

typedef void (*api_realm_created_cb)(struct http_request *req, void *ud,
                                     const struct api_realm_session *rs, int err);

/* Creates a session of realm for owner (cred, ok as recorded) and adds its
 * Set-Cookie header; cb receives it, or err < 0 when Redis refused. */
void api_realm_create(struct http_request *req, const struct api_realm *realm, int64_t owner,
                      int cred, bool ok, api_realm_created_cb cb, void *ud);

/* Ends one session and clears the cookie. Fire and forget. */
void api_realm_end(struct http_request *req, const struct api_realm *realm, const char *key,
                   int64_t owner);

/* Ends every session of owner except keep (NULL: all); done as for
 * api_session_end_all (may be NULL). */
void api_realm_end_all(struct http_request *req, const struct api_realm *realm, int64_t owner,
                       const char *keep, api_done_cb done);

/* Deletes one session key (it was found no longer valid). Fire and forget. */
void api_realm_drop(struct http_request *req, const char *key);

#endif
