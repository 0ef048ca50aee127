/*
 * identity_attempt.c - an identity-verification attempt's rows: reading the
 * attempt and its photos' bytes (blocking libpq, worker threads only),
 * recording photo and face check results (first result wins), and settling
 * the attempt's state under its row lock in a job's done transaction.
 */
#include "identity.h"

#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for every failed rule of every photo plus every pair. */
#define IDENTITY_FINDINGS_MAX (IDENTITY_KINDS * (PHOTO_RULE_COUNT + 1) + IDENTITY_PAIRS_MAX)

static int db_error(PGconn *conn, PGresult *r, const char *what, char *err, size_t errsz)
{
    snprintf(err, errsz, "%s: %s", what,
             r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(conn));
    PQclear(r);
    return -EIO;
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* A positive id from a JSON integer or a string of digits; 0 otherwise. */
static int64_t json_id(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (int64_t)json_integer_value(v) : 0;
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0' || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return 0;
    return (int64_t)strtoll(s, NULL, 10);
}

int identity_attempt_read(PGconn *conn, int64_t id, bool lock, struct identity_attempt *a,
                          char *err, size_t errsz)
{
    char idtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, id);
    const char *v[] = {idtxt};
    PGresult *r = PQexecParams(conn,
                               lock ? "SELECT a.candidate_id, c.kind, a.state, a.photos::text "
                                      "FROM identity_attempts a JOIN candidates c ON c.id = "
                                      "a.candidate_id WHERE a.id = $1 FOR UPDATE OF a"
                                    : "SELECT a.candidate_id, c.kind, a.state, a.photos::text "
                                      "FROM identity_attempts a JOIN candidates c ON c.id = "
                                      "a.candidate_id WHERE a.id = $1",
                               1, NULL, v, NULL, NULL, 0);
    if (!result_ok(r))
        return db_error(conn, r, "reading the identity attempt", err, errsz);
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err, errsz, "identity attempt %" PRId64 " does not exist", id);
        return -ENOENT;
    }
    memset(a, 0, sizeof(*a));
    a->id = id;
    a->candidate_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    a->candidate_new = strcmp(PQgetvalue(r, 0, 1), "new") == 0;
    int st = identity_state_parse(PQgetvalue(r, 0, 2));
    a->state = st < 0 ? IDENTITY_PENDING : (enum identity_state)st;
    json_error_t jerr;
    json_t *photos = json_loads(PQgetvalue(r, 0, 3), 0, &jerr);
    PQclear(r);
    int rc = 0;
    if (!json_is_object(photos)) {
        snprintf(err, errsz, "identity attempt %" PRId64 ": photos is not a JSON object", id);
        rc = -EINVAL;
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(photos, key, val)
    {
        int k = identity_kind_parse(key);
        if (k < 0)
            continue; /* a kind this worker does not check */
        a->file[k] = json_id(val);
        if (a->file[k] == 0) {
            snprintf(err, errsz, "identity attempt %" PRId64 ": photos.%s is not a file id", id,
                     key);
            rc = -EINVAL;
            goto out;
        }
        a->has[k] = true;
    }
out:
    json_decref(photos);
    return rc;
}

int identity_file_read(PGconn *conn, int64_t file_id, uint8_t **data, size_t *len, char *err,
                       size_t errsz)
{
    char idtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, file_id);
    const char *v[] = {idtxt};
    /* Binary results: the bytes as stored, no hex round trip. */
    PGresult *r =
        PQexecParams(conn, "SELECT data FROM files WHERE id = $1", 1, NULL, v, NULL, NULL, 1);
    if (!result_ok(r))
        return db_error(conn, r, "reading the photo file", err, errsz);
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err, errsz, "file %" PRId64 " does not exist", file_id);
        return -ENOENT;
    }
    *len = (size_t)PQgetlength(r, 0, 0);
    *data = zk_malloc(*len > 0 ? *len : 1);
    memcpy(*data, PQgetvalue(r, 0, 0), *len);
    PQclear(r);
    return 0;
}

int identity_photo_check_write(PGconn *conn, int64_t attempt_id, enum identity_kind k,
                               int64_t file_id, bool passed, const char *rules_json, char *err,
                               size_t errsz)
{
    char at[24], ft[24];
    snprintf(at, sizeof(at), "%" PRId64, attempt_id);
    snprintf(ft, sizeof(ft), "%" PRId64, file_id);
    const char *v[] = {at, identity_kind_name(k), ft, passed ? "passed" : "failed", rules_json};
    PGresult *r = PQexecParams(
        conn,
        "INSERT INTO identity_photo_checks (attempt_id, kind, file_id, state, rules, checked_at) "
        "VALUES ($1, $2, $3, $4, $5::jsonb, now()) ON CONFLICT (attempt_id, kind) DO UPDATE SET "
        "file_id = EXCLUDED.file_id, state = EXCLUDED.state, rules = EXCLUDED.rules, "
        "checked_at = EXCLUDED.checked_at WHERE identity_photo_checks.state = 'pending'",
        5, NULL, v, NULL, NULL, 0);
    if (!result_ok(r))
        return db_error(conn, r, "writing the photo check", err, errsz);
    if (strcmp(PQcmdTuples(r), "0") == 0)
        log_notice("identity attempt %" PRId64 ": the %s photo check already had a result; kept",
                   attempt_id, identity_kind_name(k));
    PQclear(r);
    return 0;
}

int identity_face_check_write(PGconn *conn, int64_t attempt_id, const char *pair, double distance,
                              enum face_decision decision, const char *reason, const char *model,
                              char *err, size_t errsz)
{
    char at[24], dist[32];
    snprintf(at, sizeof(at), "%" PRId64, attempt_id);
    snprintf(dist, sizeof(dist), "%.4f", distance);
    const char *v[] = {at,     pair, distance >= 0 ? dist : NULL, face_decision_name(decision),
                       reason, model};
    PGresult *r = PQexecParams(
        conn,
        "INSERT INTO identity_face_checks (attempt_id, pair, distance, decision, reason, "
        "model_version, checked_at) VALUES ($1, $2, $3::real, $4, $5, $6, now()) "
        "ON CONFLICT (attempt_id, pair) DO UPDATE SET distance = EXCLUDED.distance, "
        "decision = EXCLUDED.decision, reason = EXCLUDED.reason, model_version = "
        "EXCLUDED.model_version, checked_at = EXCLUDED.checked_at "
        "WHERE identity_face_checks.decision IS NULL",
        6, NULL, v, NULL, NULL, 0);
    if (!result_ok(r))
        return db_error(conn, r, "writing the face check", err, errsz);
    if (strcmp(PQcmdTuples(r), "0") == 0)
        log_notice("identity attempt %" PRId64 ": face pair %s already had a result; kept",
                   attempt_id, pair);
    PQclear(r);
    return 0;
}

static enum identity_outcome face_outcome(const char *decision)
{
    if (decision == NULL)
        return IDENTITY_OUT_PENDING;
    if (strcmp(decision, "pass") == 0)
        return IDENTITY_OUT_PASSED;
    if (strcmp(decision, "review") == 0)
        return IDENTITY_OUT_REVIEW;
    return IDENTITY_OUT_FAILED;
}

/* Collects the findings of attempt a from its check rows into f. */
static int gather(PGconn *conn, const struct identity_attempt *a, const struct photo_specs *specs,
                  const char *province, struct arena *arena, struct identity_finding *f, size_t *n,
                  char *err, size_t errsz)
{
    char at[24];
    snprintf(at, sizeof(at), "%" PRId64, a->id);
    const char *v[] = {at};
    PGresult *pr = PQexecParams(
        conn, "SELECT kind, state, rules::text FROM identity_photo_checks WHERE attempt_id = $1", 1,
        NULL, v, NULL, NULL, 0);
    if (!result_ok(pr))
        return db_error(conn, pr, "reading the photo checks", err, errsz);
    PGresult *fr = PQexecParams(conn,
                                "SELECT pair, decision, reason FROM identity_face_checks WHERE "
                                "attempt_id = $1",
                                1, NULL, v, NULL, NULL, 0);
    if (!result_ok(fr)) {
        PQclear(pr);
        return db_error(conn, fr, "reading the face checks", err, errsz);
    }
    *n = 0;
    for (int k = 0; k < IDENTITY_KINDS; k++) {
        if (!a->has[k])
            continue;
        const char *state = NULL;
        json_t *rules = NULL;
        for (int i = 0; i < PQntuples(pr); i++)
            if (strcmp(PQgetvalue(pr, i, 0), identity_kind_name((enum identity_kind)k)) == 0) {
                state = arena_strdup(arena, PQgetvalue(pr, i, 1));
                rules = json_loads(PQgetvalue(pr, i, 2), 0, NULL);
            }
        *n += identity_photo_findings(identity_kind_title(specs, province, (enum identity_kind)k),
                                      state, rules, arena, f + *n,
                                      IDENTITY_FINDINGS_MAX - IDENTITY_PAIRS_MAX - *n);
        json_decref(rules);
    }
    struct identity_pair pairs[IDENTITY_PAIRS_MAX];
    int np = identity_pairs(a->has, pairs);
    for (int p = 0; p < np; p++) {
        struct identity_finding *x = &f[(*n)++];
        *x = (struct identity_finding){true, IDENTITY_OUT_PENDING, NULL};
        for (int i = 0; i < PQntuples(fr); i++)
            if (strcmp(PQgetvalue(fr, i, 0), pairs[p].name) == 0) {
                x->outcome = face_outcome(PQgetisnull(fr, i, 1) ? NULL : PQgetvalue(fr, i, 1));
                x->reason =
                    PQgetisnull(fr, i, 2) ? NULL : arena_strdup(arena, PQgetvalue(fr, i, 2));
            }
    }
    PQclear(pr);
    PQclear(fr);
    return 0;
}

int identity_attempt_settle(PGconn *conn, const struct identity_attempt *a,
                            const struct photo_specs *specs, const char *province,
                            enum identity_state *state, char *err, size_t errsz)
{
    struct arena arena;
    arena_init(&arena, 4096);
    struct identity_finding f[IDENTITY_FINDINGS_MAX];
    size_t n = 0;
    json_t *reasons = json_array();
    char *reasons_txt = NULL;
    PGresult *r = NULL;
    enum identity_state now = a->state;
    int rc = gather(conn, a, specs, province, &arena, f, &n, err, errsz);
    if (rc < 0)
        goto out;
    enum identity_state decided = identity_decide(f, n, reasons);
    if (a->state != IDENTITY_PENDING) {
        if (decided != a->state)
            log_notice("identity attempt %" PRId64 " stays %s (decided before; its checks now "
                       "say %s)",
                       a->id, identity_state_name(a->state), identity_state_name(decided));
        goto out;
    }
    if (decided == IDENTITY_PENDING)
        goto out;

    char at[24], cand[24];
    snprintf(at, sizeof(at), "%" PRId64, a->id);
    snprintf(cand, sizeof(cand), "%" PRId64, a->candidate_id);
    reasons_txt = json_dumps(reasons, JSON_COMPACT);
    const char *v[] = {at, identity_state_name(decided), reasons_txt};
    r = PQexecParams(conn,
                     "UPDATE identity_attempts SET state = $2, reasons = $3::jsonb, decided_at = "
                     "now() WHERE id = $1 AND state = 'pending'",
                     3, NULL, v, NULL, NULL, 0);
    if (!result_ok(r)) {
        rc = db_error(conn, r, "settling the identity attempt", err, errsz);
        r = NULL;
        goto out;
    }
    PQclear(r);
    r = NULL;
    now = decided;
    if (decided == IDENTITY_PASSED) {
        /* The account is verified, the other claims on its ID number lose,
         * and a new candidate gets an exam ID (schema/0010_account_claims.sql). */
        const char *c[] = {cand};
        r = PQexecParams(conn, "SELECT account_verify($1, 'verified')", 1, NULL, c, NULL, NULL, 0);
        if (!result_ok(r)) {
            rc = db_error(conn, r, "marking the candidate verified", err, errsz);
            r = NULL;
            goto out;
        }
        if (PQgetisnull(r, 0, 0))
            log_notice("identity attempt %" PRId64 " passed, but another claim on the same ID "
                       "number was verified first; this one is superseded",
                       a->id);
    }
    log_info("identity attempt %" PRId64 " %s", a->id, identity_state_name(decided));
out:
    PQclear(r);
    free(reasons_txt);
    json_decref(reasons);
    arena_destroy(&arena);
    if (state != NULL)
        *state = now;
    return rc;
}

int identity_attempt_abandon(PGconn *conn, int64_t attempt_id, const char *what, char *err,
                             size_t errsz)
{
    char id[24], reason[256];
    snprintf(id, sizeof(id), "%" PRId64, attempt_id);
    snprintf(reason, sizeof(reason), "系统未能完成本次认证的%s，请稍后重新提交认证", what);
    const char *v[] = {id, reason};
    PGresult *r = PQexecParams(conn,
                               "UPDATE identity_attempts SET state = 'failed', decided_at = now(), "
                               "reasons = reasons || jsonb_build_array($2::text) WHERE id = "
                               "$1::bigint AND state = 'pending'",
                               2, NULL, v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errsz, "%s", PQresultErrorMessage(r));
        rc = -EIO;
    }
    PQclear(r);
    return rc;
}
