/*
 * ctl_academic.c - `zikaoctl academic import --kind KIND FILE [--dry-run]`:
 * loads majors, courses, plans, substitution rules, passed courses (scores)
 * or current-sitting results from CSV into the tables of
 * schema/0005_academic.sql.
 *
 * Every line is checked by audit_import (shared/audit) and then against the
 * database (a plan's major and courses must exist, names must match the
 * catalogue) inside one transaction, each row under its own savepoint, so
 * that every rejected line is reported with its number and reason. The
 * import is all or nothing: if any line is rejected, or with --dry-run,
 * the transaction is rolled back and nothing is written. Re-importing is
 * safe: rows are upserted, and a plan or rule in the file replaces its
 * modules and courses as a whole.
 *
 * `zikaoctl academic audit --candidate ID --major CODE [--version V]
 * [--choose RULE[:SRC;SRC...][>TARGET]]...` audits a candidate's stored
 * passed courses against a stored plan and prints the result as JSON (the
 * queries here are the ones the API needs, in blocking form).
 */
#include "alloc.h"
#include "audit_import.h"
#include "audit_pg.h"
#include "audit_json.h"
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct academic_run {
    struct ctl *ctl;
    const char *path;
    size_t rejected;
    /* plans: ids of the plans and modules created by this run; entries are
     * allocated one by one so pointers to them stay valid */
    struct academic_id **ids;
    size_t nids;
};

struct academic_id {
    char key[64];
    char id[24];
};

static void academic_reject(struct academic_run *run, size_t line, const char *why)
{
    fprintf(stderr, "%s:%zu: rejected: %s\n", run->path, line, why);
    run->rejected++;
}

/* The id stored under key, or NULL; valid until academic_ids_free. */
static const char *academic_id_get(const struct academic_run *run, const char *key)
{
    for (size_t i = 0; i < run->nids; i++)
        if (strcmp(run->ids[i]->key, key) == 0)
            return run->ids[i]->id;
    return NULL;
}

static void academic_id_put(struct academic_run *run, const char *key, const char *id)
{
    struct academic_id *e = zk_malloc(sizeof(*e));
    snprintf(e->key, sizeof(e->key), "%s", key);
    snprintf(e->id, sizeof(e->id), "%s", id);
    run->ids = zk_realloc(run->ids, sizeof(*run->ids) * (run->nids + 1));
    run->ids[run->nids++] = e;
}

static void academic_ids_free(struct academic_run *run)
{
    for (size_t i = 0; i < run->nids; i++)
        free(run->ids[i]);
    free(run->ids);
    run->ids = NULL;
    run->nids = 0;
}

#define DATE_TEXT 16

static void date_text(char out[DATE_TEXT], int yyyymmdd)
{
    unsigned d = (unsigned)yyyymmdd;
    snprintf(out, DATE_TEXT, "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
}

/* Runs one statement; on error stores PostgreSQL's primary message in why
 * and returns NULL. Caller PQclears the result. */
static PGresult *academic_exec(struct academic_run *run, const char *sql, int n,
                               const char *const *values, char *why, size_t whylen)
{
    PGresult *r = PQexecParams(run->ctl->pg, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    snprintf(why, whylen, "database: %s", msg != NULL ? msg : PQerrorMessage(run->ctl->pg));
    PQclear(r);
    return NULL;
}

static bool academic_simple(struct academic_run *run, const char *sql)
{
    char why[256];
    PGresult *r = academic_exec(run, sql, 0, NULL, why, sizeof(why));
    if (r == NULL) {
        fprintf(stderr, "zikaoctl: %s\n", why);
        return false;
    }
    PQclear(r);
    return true;
}

/* Checks that course code exists in the catalogue (with that name when name
 * is not NULL). Returns 0 or -1 with why set. */
static int academic_course_known(struct academic_run *run, const char *code, const char *name,
                                 char *why, size_t whylen)
{
    const char *v[] = {code};
    PGresult *r = academic_exec(run, "SELECT name FROM courses WHERE code = $1", 1, v, why, whylen);
    if (r == NULL)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 0) {
        snprintf(why, whylen, "course %s is not in the course catalogue (import courses first)",
                 code);
        rc = -1;
    } else if (name != NULL && strcmp(PQgetvalue(r, 0, 0), name) != 0) {
        snprintf(why, whylen, "course_name '%s' differs from the catalogue's '%s' for %s", name,
                 PQgetvalue(r, 0, 0), code);
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static int academic_major(struct academic_run *run, const struct audit_major_row *m, char *why,
                          size_t wl)
{
    const char *v[] = {m->code, m->name, m->level, m->status};
    PGresult *r = academic_exec(run,
                                "INSERT INTO majors (code, name, level, status) VALUES ($1, $2, "
                                "$3, $4) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
                                "level = EXCLUDED.level, status = EXCLUDED.status, updated_at = "
                                "now()",
                                4, v, why, wl);
    if (r == NULL)
        return -1;
    PQclear(r);
    if ((r = academic_exec(run, "DELETE FROM major_universities WHERE major_code = $1", 1, v, why,
                           wl)) == NULL)
        return -1;
    PQclear(r);
    for (size_t i = 0; i < m->nuniversities; i++) {
        char seq[24];
        snprintf(seq, sizeof(seq), "%zu", i + 1);
        const char *u[] = {m->university_codes[i], m->university_names[i]};
        if ((r = academic_exec(run,
                               "INSERT INTO universities (code, name) VALUES ($1, $2) ON "
                               "CONFLICT (code) DO UPDATE SET name = EXCLUDED.name",
                               2, u, why, wl)) == NULL)
            return -1;
        PQclear(r);
        const char *mu[] = {m->code, m->university_codes[i], seq};
        if ((r = academic_exec(run,
                               "INSERT INTO major_universities (major_code, university_code, seq) "
                               "VALUES ($1, $2, $3)",
                               3, mu, why, wl)) == NULL)
            return -1;
        PQclear(r);
    }
    return 0;
}

static int academic_course(struct academic_run *run, const struct audit_course_row *c, char *why,
                           size_t wl)
{
    char credits[16];
    snprintf(credits, sizeof(credits), "%d", c->credits);
    const char *v[] = {c->code, c->name, credits, c->kind};
    PGresult *r = academic_exec(run,
                                "INSERT INTO courses (code, name, credits, kind) VALUES ($1, $2, "
                                "$3, $4) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
                                "credits = EXCLUDED.credits, kind = EXCLUDED.kind",
                                4, v, why, wl);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static int academic_plan(struct academic_run *run, const struct audit_plan_row *p, size_t seq,
                         char *why, size_t wl)
{
    char key[64], mkey[64], num[3][24], from[DATE_TEXT];
    snprintf(key, sizeof(key), "%s|%s", p->major_code, p->version);
    snprintf(mkey, sizeof(mkey), "%s|%s|%d", p->major_code, p->version, p->module_seq);
    if (academic_course_known(run, p->course_code, p->course_name, why, wl) < 0)
        return -1;
    PGresult *r;
    const char *plan_id = academic_id_get(run, key);
    if (plan_id == NULL) {
        const char *mv[] = {p->major_code};
        if ((r = academic_exec(run, "SELECT 1 FROM majors WHERE code = $1", 1, mv, why, wl)) ==
            NULL)
            return -1;
        bool known = PQntuples(r) > 0;
        PQclear(r);
        if (!known) {
            snprintf(why, wl, "major %s is not defined (import majors first)", p->major_code);
            return -1;
        }
        date_text(from, p->valid_from);
        snprintf(num[0], sizeof(num[0]), "%d", p->min_total_credits);
        const char *v[] = {p->major_code, p->version, from, num[0]};
        if ((r = academic_exec(run,
                               "INSERT INTO plans (major_code, version, valid_from, "
                               "min_total_credits) VALUES ($1, $2, $3, $4) ON CONFLICT "
                               "(major_code, version) DO UPDATE SET valid_from = "
                               "EXCLUDED.valid_from, min_total_credits = "
                               "EXCLUDED.min_total_credits, updated_at = now() RETURNING id",
                               4, v, why, wl)) == NULL)
            return -1;
        academic_id_put(run, key, PQgetvalue(r, 0, 0));
        PQclear(r);
        plan_id = academic_id_get(run, key);
        const char *d[] = {plan_id};
        /* The file's plan replaces the stored one as a whole. */
        if ((r = academic_exec(run, "DELETE FROM plan_modules WHERE plan_id = $1", 1, d, why,
                               wl)) == NULL)
            return -1;
        PQclear(r);
    }
    const char *module_id = academic_id_get(run, mkey);
    if (module_id == NULL) {
        snprintf(num[0], sizeof(num[0]), "%d", p->module_seq);
        snprintf(num[1], sizeof(num[1]), "%d", p->module_min_credits);
        const char *v[] = {plan_id, num[0], p->module_name, num[1]};
        if ((r = academic_exec(run,
                               "INSERT INTO plan_modules (plan_id, seq, name, min_credits) "
                               "VALUES ($1, $2, $3, $4) RETURNING id",
                               4, v, why, wl)) == NULL)
            return -1;
        academic_id_put(run, mkey, PQgetvalue(r, 0, 0));
        PQclear(r);
        module_id = academic_id_get(run, mkey);
    }
    snprintf(num[0], sizeof(num[0]), "%zu", seq);
    snprintf(num[1], sizeof(num[1]), "%d", p->credits);
    const char *v[] = {plan_id,        module_id, num[0],
                       p->course_code, num[1],    p->elective ? "false" : "true"};
    if ((r = academic_exec(run,
                           "INSERT INTO plan_courses (plan_id, module_id, seq, course_code, "
                           "credits, required) VALUES ($1, $2, $3, $4, $5, $6)",
                           6, v, why, wl)) == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static int academic_rule(struct academic_run *run, const struct audit_rule_row *ru, char *why,
                         size_t wl)
{
    for (size_t i = 0; i < ru->nsources + ru->ntargets; i++) {
        const char *code = i < ru->nsources ? ru->sources[i] : ru->targets[i - ru->nsources];
        if (academic_course_known(run, code, NULL, why, wl) < 0)
            return -1;
    }
    char min[16] = "", from[DATE_TEXT] = "";
    if (ru->kind == AUDIT_RULE_CREDIT_POOL)
        snprintf(min, sizeof(min), "%d", ru->min_credits);
    if (ru->sources_from != 0)
        date_text(from, ru->sources_from);
    const char *v[] = {ru->id, ru->major_code, ru->plan_version, audit_rule_kind_name(ru->kind),
                       min,    from,           ru->note};
    PGresult *r = academic_exec(
        run,
        "INSERT INTO substitution_rules (id, major_code, plan_version, kind, min_credits, "
        "sources_from, note) VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), $4, "
        "NULLIF($5, '')::smallint, NULLIF($6, '')::date, NULLIF($7, '')) ON CONFLICT (id) DO "
        "UPDATE SET major_code = EXCLUDED.major_code, plan_version = EXCLUDED.plan_version, kind "
        "= EXCLUDED.kind, min_credits = EXCLUDED.min_credits, sources_from = "
        "EXCLUDED.sources_from, note = EXCLUDED.note",
        7, v, why, wl);
    if (r == NULL)
        return -1;
    PQclear(r);
    if ((r = academic_exec(run, "DELETE FROM substitution_rule_courses WHERE rule_id = $1", 1, v,
                           why, wl)) == NULL)
        return -1;
    PQclear(r);
    for (size_t i = 0; i < ru->nsources + ru->ntargets; i++) {
        bool src = i < ru->nsources;
        char seq[24];
        snprintf(seq, sizeof(seq), "%zu", src ? i + 1 : i - ru->nsources + 1);
        const char *c[] = {ru->id, src ? "source" : "target", seq,
                           src ? ru->sources[i] : ru->targets[i - ru->nsources]};
        if ((r = academic_exec(run,
                               "INSERT INTO substitution_rule_courses (rule_id, side, seq, "
                               "course_code) VALUES ($1, $2, $3, $4)",
                               4, c, why, wl)) == NULL)
            return -1;
        PQclear(r);
    }
    return 0;
}

static int academic_score(struct academic_run *run, const struct audit_score_row *s, char *why,
                          size_t wl)
{
    char cand[24], credits[16], date[DATE_TEXT];
    snprintf(cand, sizeof(cand), "%lld", s->candidate_id);
    snprintf(credits, sizeof(credits), "%d", s->credits);
    date_text(date, s->passed_on);
    const char *v[] = {cand,     s->exam_id, s->course_code, s->course_name,
                       s->score, credits,    date,           audit_source_name(s->source)};
    PGresult *r = academic_exec(
        run,
        "INSERT INTO passed_courses (candidate_id, exam_id, course_code, course_name, score, "
        "credits, passed_on, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
        "(candidate_id, exam_id, course_code) DO UPDATE SET course_name = EXCLUDED.course_name, "
        "score = EXCLUDED.score, credits = EXCLUDED.credits, passed_on = EXCLUDED.passed_on, "
        "source = EXCLUDED.source, imported_at = now()",
        8, v, why, wl);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

static int academic_current(struct academic_run *run, const struct audit_current_row *c, char *why,
                            size_t wl)
{
    char cand[24], sitting[16];
    unsigned ym = (unsigned)c->sitting;
    snprintf(cand, sizeof(cand), "%lld", c->candidate_id);
    snprintf(sitting, sizeof(sitting), "%04u-%02u", ym / 100 % 10000, ym % 100);
    const char *v[] = {cand,
                       c->exam_id,
                       sitting,
                       c->course_code,
                       c->course_name,
                       c->score,
                       c->passed ? "true" : "false"};
    PGresult *r = academic_exec(
        run,
        "INSERT INTO current_results (candidate_id, exam_id, sitting, course_code, course_name, "
        "score, passed) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (candidate_id, exam_id, "
        "sitting, course_code) DO UPDATE SET course_name = EXCLUDED.course_name, score = "
        "EXCLUDED.score, passed = EXCLUDED.passed, imported_at = now()",
        7, v, why, wl);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

/* Writes accepted row i under a savepoint; a failure rejects its line. */
static void academic_write_row(struct academic_run *run, const struct audit_import *im, size_t i,
                               size_t *plan_seq)
{
    char why[512] = "";
    size_t line = 0;
    int rc = -1;
    if (!academic_simple(run, "SAVEPOINT academic_row")) {
        run->rejected++;
        return;
    }
    switch (im->kind) {
    case AUDIT_IMPORT_MAJORS:
        line = im->rows.majors[i].line;
        rc = academic_major(run, &im->rows.majors[i], why, sizeof(why));
        break;
    case AUDIT_IMPORT_COURSES:
        line = im->rows.courses[i].line;
        rc = academic_course(run, &im->rows.courses[i], why, sizeof(why));
        break;
    case AUDIT_IMPORT_PLANS:
        line = im->rows.plans[i].line;
        rc = academic_plan(run, &im->rows.plans[i], ++*plan_seq, why, sizeof(why));
        break;
    case AUDIT_IMPORT_RULES:
        line = im->rows.rules[i].line;
        rc = academic_rule(run, &im->rows.rules[i], why, sizeof(why));
        break;
    case AUDIT_IMPORT_SCORES:
        line = im->rows.scores[i].line;
        rc = academic_score(run, &im->rows.scores[i], why, sizeof(why));
        break;
    case AUDIT_IMPORT_CURRENT:
        line = im->rows.current[i].line;
        rc = academic_current(run, &im->rows.current[i], why, sizeof(why));
        break;
    }
    if (rc < 0) {
        academic_reject(run, line, why);
        academic_simple(run, "ROLLBACK TO SAVEPOINT academic_row");
    }
    academic_simple(run, "RELEASE SAVEPOINT academic_row");
}

static void academic_usage(FILE *out)
{
    fprintf(out, "usage: zikaoctl academic import --kind "
                 "majors|courses|plans|rules|scores|current FILE [--dry-run]\n"
                 "  Checks every line and reports each rejected one as FILE:LINE: reason.\n"
                 "  All or nothing: with any rejected line, or --dry-run, nothing is written.\n"
                 "  Order: majors, courses, plans, rules, then scores and current.\n"
                 "       zikaoctl academic audit --candidate ID --major CODE [--version new|old]\n"
                 "                [--choose RULE[:SOURCE;SOURCE...][>TARGET]]...\n"
                 "  Audits the candidate's passed courses against the plan; prints JSON.\n"
                 "  Exit status 0: complete, 3: not complete, 1: error.\n");
}

static int academic_import(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kind_name = NULL;
    bool dry_run = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "k:nh", opts, NULL)) != -1) {
        if (ch == 'k') {
            kind_name = optarg;
        } else if (ch == 'n') {
            dry_run = true;
        } else if (ch == 'h') {
            academic_usage(stdout);
            return 0;
        } else {
            academic_usage(stderr);
            return 2;
        }
    }
    enum audit_import_kind kind;
    if (kind_name == NULL || audit_import_kind_parse(kind_name, &kind) < 0 || optind != argc - 1) {
        academic_usage(stderr);
        return 2;
    }
    struct academic_run run = {.ctl = ctl, .path = argv[optind]};
    FILE *fp = fopen(run.path, "r");
    if (fp == NULL) {
        fprintf(stderr, "zikaoctl: %s: %s\n", run.path, strerror(errno));
        return 1;
    }
    struct audit_import im;
    audit_import_init(&im, kind);
    char *line = NULL, why[512];
    size_t cap = 0, lineno = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (audit_import_line(&im, lineno, line, (size_t)len, why, sizeof(why)) < 0)
            academic_reject(&run, lineno, why);
    }
    free(line);
    fclose(fp);
    int rc = 1;
    if (!im.header_seen) {
        fprintf(stderr, "%s: no header line (expected: %s)\n", run.path, audit_import_header(kind));
        goto out;
    }
    if (ctl_connect(ctl) < 0) {
        fprintf(stderr, "%s: database not reachable: file checks only, %zu line(s) rejected%s\n",
                run.path, run.rejected, dry_run ? "" : "; nothing written");
        if (dry_run && run.rejected == 0)
            rc = 0;
        goto out;
    }
    size_t file_rejected = run.rejected;
    if (!academic_simple(&run, "BEGIN"))
        goto out;
    size_t plan_seq = 0;
    for (size_t i = 0; i < im.nrows; i++)
        academic_write_row(&run, &im, i, &plan_seq);
    bool commit = !dry_run && run.rejected == 0;
    if (!academic_simple(&run, commit ? "COMMIT" : "ROLLBACK"))
        goto out;
    printf("%s: %s, %zu line(s) read, %zu row(s) %s, %zu line(s) rejected%s\n", run.path,
           audit_import_kind_name(kind), lineno, im.nrows - (run.rejected - file_rejected),
           commit ? "imported" : "passed every check", run.rejected,
           commit ? "" : (dry_run ? " (dry run: nothing written)" : "; nothing written"));
    rc = run.rejected == 0 ? 0 : 1;
out:
    academic_ids_free(&run);
    audit_import_free(&im);
    return rc;
}

/* Runs one of audit_pg.h's queries; prints the reason and returns NULL on failure. */
static PGresult *academic_query(struct academic_run *run, const char *sql, int n,
                                const char *const *v)
{
    char why[256];
    PGresult *r = academic_exec(run, sql, n, v, why, sizeof(why));
    if (r == NULL)
        fprintf(stderr, "zikaoctl: %s\n", why);
    return r;
}

/* Loads the plan, its rules and the candidate's passes (audit_pg.h). */
static int academic_load(struct academic_run *run, const char *major, const char *version,
                         const char *candidate, struct arena *a, struct audit_plan_row **prow,
                         size_t *np, struct audit_rule_row **rrow, size_t *nr,
                         struct audit_pass **passes, size_t *npass)
{
    const char *mv[] = {major, version}, *cv[] = {candidate};
    char why[256];
    int rc = -1;
    PGresult *plan = academic_query(run, AUDIT_PG_PLAN_SQL, 2, mv);
    PGresult *rules = plan ? academic_query(run, AUDIT_PG_RULES_SQL, 2, mv) : NULL;
    PGresult *pass = rules ? academic_query(run, AUDIT_PG_PASSES_SQL, 1, cv) : NULL;
    if (pass == NULL)
        goto out;
    audit_pg_plan_rows(plan, major, version, a, prow, np);
    if (audit_pg_rule_rows(rules, a, rrow, nr, why, sizeof(why)) < 0 ||
        audit_pg_passes(pass, a, passes, npass, why, sizeof(why)) < 0) {
        fprintf(stderr, "zikaoctl: candidate %s: %s\n", candidate, why);
        goto out;
    }
    rc = 0;
out:
    if (plan)
        PQclear(plan);
    if (rules)
        PQclear(rules);
    if (pass)
        PQclear(pass);
    return rc;
}

/* Splits a ';' list copied into a; returns the count (at most max). */
static size_t academic_split(struct arena *a, const char *list, const char **out, size_t max)
{
    size_t n = 0;
    char *s = arena_strdup(a, list);
    for (char *tok = strtok(s, ";"); tok != NULL && n < max; tok = strtok(NULL, ";"))
        out[n++] = tok;
    return n;
}

/* "RULE[:SRC;SRC...][>TARGET]" -> choice, strings in a. */
static void academic_parse_choice(struct arena *a, const char *text, struct audit_choice *c)
{
    char *s = arena_strdup(a, text), *gt = strchr(s, '>'), *colon;
    memset(c, 0, sizeof(*c));
    if (gt != NULL) {
        *gt = '\0';
        c->target = gt + 1;
    }
    if ((colon = strchr(s, ':')) != NULL) {
        *colon = '\0';
        const char **src = arena_alloc(a, sizeof(*src) * AUDIT_MAX_RULE_COURSES);
        c->nsources = academic_split(a, colon + 1, src, AUDIT_MAX_RULE_COURSES);
        c->sources = src;
    }
    c->rule_id = s;
}

static int academic_audit(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"candidate", required_argument, NULL, 'c'},
        {"major", required_argument, NULL, 'm'},
        {"version", required_argument, NULL, 'v'},
        {"choose", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *candidate = NULL, *major = NULL, *version = "new";
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct audit_choice choices[AUDIT_MAX_CHOICES];
    size_t nchoices = 0;
    int ch, rc = 1;
    while ((ch = getopt_long(argc, argv, "c:m:v:s:", opts, NULL)) != -1) {
        if (ch == 'c') {
            candidate = optarg;
        } else if (ch == 'm') {
            major = optarg;
        } else if (ch == 'v') {
            version = optarg;
        } else if (ch == 's' && nchoices < AUDIT_MAX_CHOICES) {
            academic_parse_choice(&a, optarg, &choices[nchoices++]);
        } else {
            academic_usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (candidate == NULL || major == NULL || optind != argc) {
        academic_usage(stderr);
        rc = 2;
        goto out;
    }
    struct academic_run run = {.ctl = ctl, .path = "audit"};
    if (ctl_connect(ctl) < 0)
        goto out;
    char why[256];
    const char *mv[] = {major};
    PGresult *r =
        academic_exec(&run, "SELECT name FROM majors WHERE code = $1", 1, mv, why, sizeof(why));
    if (r == NULL || PQntuples(r) == 0) {
        fprintf(stderr, "zikaoctl: %s\n", r == NULL ? why : "unknown major");
        if (r != NULL)
            PQclear(r);
        goto out;
    }
    const char *major_name = arena_strdup(&a, PQgetvalue(r, 0, 0));
    PQclear(r);
    struct audit_plan_row *prow;
    struct audit_rule_row *rrow;
    struct audit_pass *passes;
    size_t np, nr, npass;
    if (academic_load(&run, major, version, candidate, &a, &prow, &np, &rrow, &nr, &passes,
                      &npass) < 0)
        goto out;
    struct audit_plan plan;
    if (audit_plan_from_rows(prow, np, rrow, nr, major, major_name, version, &a, &plan, why,
                             sizeof(why)) != 0) {
        fprintf(stderr, "zikaoctl: plan %s %s: %s\n", major, version, why);
        goto out;
    }
    struct audit_result res;
    int err = audit_run(&plan, passes, npass, choices, nchoices, &a, &res);
    if (err != 0) {
        fprintf(stderr, "zikaoctl: audit failed: %s\n", strerror(-err));
        goto out;
    }
    json_t *j = audit_result_json(&plan, passes, npass, &res);
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(j);
    rc = res.complete ? 0 : 3;
out:
    arena_destroy(&a);
    return rc;
}

int ctl_academic(struct ctl *ctl, int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (strcmp(sub, "import") == 0)
        return academic_import(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "audit") == 0)
        return academic_audit(ctl, argc - 1, argv + 1);
    bool help = strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0;
    academic_usage(help ? stdout : stderr);
    return help ? 0 : 2;
}
