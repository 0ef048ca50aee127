/*
 * staff_auth.h - who is asking, on the staff side: the staff session, the
 * caller's role and office, and what each kind of staff request requires.
 *
 * A staff session is a session of its own realm (api_auth.h): the cookie
 * `zikao_staff` (Path=/api/v1/staff, SameSite=Strict, HttpOnly), Redis key
 * RK_STAFF_SESSION, [staff] session_idle_minutes without use and at most
 * session_max_hours; state-changing requests carry X-CSRF-Token. Every
 * request also reads the staff row from PostgreSQL (one primary-key look-up):
 * a disabled account, or one whose password or second factor was reset
 * since the session began (cred_version), ends there (401 SESSION_ENDED),
 * and the role and office are always the current ones.
 *
 * Roles: province (all offices; administrators among them manage staff),
 * district (one district), confirmation_point (one point), auditor (reads
 * what the province reads, decides nothing). What a request needs:
 *   STAFF_READ    any signed-in staff member (scope then limits the rows)
 *   STAFF_ACT     not an auditor (403 ROLE_FORBIDDEN)
 *   STAFF_ADMIN   a province administrator (403 ROLE_FORBIDDEN)
 *   STAFF_PROVINCE  province staff or auditors (the trail) (403 ROLE_FORBIDDEN)
 *   STAFF_DISTRICT  not a confirmation point: candidates' records and
 *                   photos belong to district offices (and the province,
 *                   auditors reading) (403 ROLE_FORBIDDEN)
 * Until a staff member has replaced a temporary password (new account, or
 * reset), everything but GET /staff/me and POST /staff/me/password answers
 * 403 PASSWORD_CHANGE_REQUIRED (STAFF_BEFORE_PASSWORD lets a route through).
 */
#ifndef ZK_STAFF_AUTH_H
#define ZK_STAFF_AUTH_H

#include "api.h"
#include "api_auth.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    STAFF_READ = 0,
    STAFF_ACT = 1 << 0,
    STAFF_ADMIN = 1 << 1,
    STAFF_PROVINCE = 1 << 2,
    STAFF_DISTRICT = 1 << 3,
    STAFF_BEFORE_PASSWORD = 1 << 4,
};

struct staff_ctx {
    int64_t id;
    const char *idtext; /* id as text, for statements */
    const char *username;
    const char *name;
    const char *role;   /* province, district, confirmation_point, auditor */
    const char *office; /* province, district:NNNNNN, point:N */
    bool admin;
    bool must_change_password;
    int cred;
    const char *key;  /* the session's Redis key */
    const char *csrf; /* its CSRF token */
};

typedef void (*staff_cb)(struct http_request *req, const struct staff_ctx *st);

/* Resolves the caller (see above) and calls cb, or answers 401/403/503. */
void staff_require(struct http_request *req, unsigned need, staff_cb cb);

extern const struct api_realm staff_realm;

/* A refusal of the staff SQL functions (see below), parsed into the arena. */
struct staff_refusal {
    int status;
    const char *code, *field, *message;
};
bool staff_refusal(struct arena *a, const struct pg_result *r, struct staff_refusal *out);

/*
 * Answers a failed statement: the refusals of the staff SQL functions
 * (SQLSTATE ZKnnn, message "CODE|field|message": status nnn with that
 * error), else as api_db_failed. Returns true when r failed.
 */
bool staff_db_failed(struct http_request *req, const struct pg_result *r);

/* Runs one statement whose first column of its one row is JSON text and
 * answers it with status (no row or NULL: 404 code/message). */
void staff_json_query(struct http_request *req, int status, const char *sql, int n,
                      const char *const *values);

/* The request id as the trail records it. */
const char *staff_request_id(struct http_request *req);

/* A fresh temporary password (12 characters, letters and digits) in the arena. */
char *staff_temp_password(struct http_request *req);

#endif
