/*
 * login_guard.h - how many passwords may be tried for one person, and from
 * where: the login lockout, raced by nobody and usable as a weapon by nobody.
 *
 * Rule (README "Login lockout"): per person and lockout period ([auth]
 * lockout_seconds from the first failure), at most [auth] login_max_failures
 * passwords are checked, counted in Redis *before* the hash is computed, so a
 * burst of parallel attempts cannot get more checks through than a sequence.
 * The count is kept per person *and client*: browsers this person has logged
 * in from before (a `zikao_device` cookie, remembered 180 days) each have a
 * budget of their own; every other client shares one. Someone who holds a
 * list of ID numbers can therefore lock strangers' accounts only for browsers
 * those people never used; the owner keeps logging in from their own, and a
 * password recovery by SMS lifts the lock. An identifier that names nobody is
 * counted the same way (under the identifier), so that the answers for known
 * and unknown accounts cannot be told apart.
 */
#ifndef ZK_LOGIN_GUARD_H
#define ZK_LOGIN_GUARD_H

#include "api.h"
#include "api_util.h"

struct login_guard {
    const char *person;  /* hex digest naming the person (or the identifier typed) */
    const char *device;  /* hex digest of this browser's device cookie, or "" */
    const char *counter; /* the Redis key this attempt was counted under */
    long long checks;    /* checks counted in this period, this one included */
    long long locked_ms; /* > 0: locked this much longer, nothing counted */
    long long left_ms;   /* time left of the period */
};

typedef void (*login_guard_cb)(struct http_request *req, struct login_guard *g);

/*
 * Counts one password check for person_id (the person's ID number when the
 * login names an account, else the identifier as typed, upper-cased) from
 * this request's client. cb runs with the outcome (g->locked_ms > 0: do not
 * check); answers 503 itself when Redis cannot be asked.
 */
void login_guard_reserve(struct http_request *req, const char *person_id, login_guard_cb cb);

/* The password was right: this client's count starts again and the browser
 * is remembered for the person (a device cookie is set when it had none). */
void login_guard_succeeded(struct http_request *req, const struct login_guard *g);

/* The person proved ownership another way (SMS recovery): lifts the lock for
 * unknown clients and for this browser. Fire and forget. */
void login_guard_clear(struct http_request *req, const char *person_id);

/* District staff checked the person: lifts the lock for every client
 * (remembered browsers too). done runs once Redis has done it; answers 503
 * itself when Redis cannot be asked. */
void login_guard_clear_all(struct http_request *req, const char *person_id, api_next_fn done);

#endif
