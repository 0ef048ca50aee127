/*
 * audit_import.h - the academic reference data as CSV: parses and checks
 * the files `zikaoctl academic import` loads (majors, courses, plans, rules,
 * scores, current-sitting results), one line at a time, and turns plan, rule
 * and score rows into the audit engine's input (audit.h).
 *
 * Pure: the caller reads the files and feeds lines; nothing here does I/O.
 * A struct audit_import owns the rows it accepted and every string in them
 * until audit_import_free.
 *
 * File format: UTF-8, comma separated, RFC 4180 quoting ("a,b", "say ""x""")
 * without line breaks inside fields. Lines starting with '#' and blank lines
 * are ignored (data decisions are documented in such comments). The first
 * other line is the header and must name exactly the kind's columns in
 * order (audit_import_header). Lists inside a field are ';' separated.
 */
#ifndef ZK_AUDIT_IMPORT_H
#define ZK_AUDIT_IMPORT_H

#include "arena.h"
#include "audit.h"

#include <stdbool.h>
#include <stddef.h>

enum audit_import_kind {
    AUDIT_IMPORT_MAJORS,
    AUDIT_IMPORT_COURSES,
    AUDIT_IMPORT_PLANS,
    AUDIT_IMPORT_RULES,
    AUDIT_IMPORT_SCORES,
    AUDIT_IMPORT_CURRENT,
};

#define AUDIT_IMPORT_MAX_UNIVERSITIES 8

/* majors.csv: code,name,level,status,universities
 * universities: "10108:山西大学;10125:山西财经大学" (主考院校, may be empty). */
struct audit_major_row {
    size_t line;
    const char *code; /* 030101K: six digits and up to two capital letters */
    const char *name;
    const char *level;  /* 专科 | 本科 | 专升本 */
    const char *status; /* open | stopping (停考: existing candidates only) */
    size_t nuniversities;
    const char *university_codes[AUDIT_IMPORT_MAX_UNIVERSITIES];
    const char *university_names[AUDIT_IMPORT_MAX_UNIVERSITIES];
};

/* courses.csv: code,name,credits,kind */
struct audit_course_row {
    size_t line;
    const char *code; /* five digits */
    const char *name;
    int credits;
    const char *kind; /* theory | practice | thesis */
};

/* plans.csv, one row per plan course:
 * major_code,version,valid_from,min_total_credits,module_seq,module_name,
 * module_min_credits,course_code,course_name,credits,required
 * Rows of one plan agree on valid_from and min_total_credits; rows of one
 * module (same seq) on its name and minimum. Course order = file order. */
struct audit_plan_row {
    size_t line;
    const char *major_code;
    const char *version; /* old | new */
    int valid_from;      /* YYYYMMDD */
    int min_total_credits;
    int module_seq;
    const char *module_name;
    int module_min_credits;
    const char *course_code;
    const char *course_name;
    int credits;
    bool elective; /* column "required": required | elective */
};

/* rules.csv: id,major_code,plan_version,kind,sources,targets,min_credits,
 * sources_from,note. Empty major_code: every major; empty plan_version:
 * every version. kind as audit_rule_kind_name. */
struct audit_rule_row {
    size_t line;
    const char *id;
    const char *major_code;
    const char *plan_version;
    enum audit_rule_kind kind;
    const char *sources[AUDIT_MAX_RULE_COURSES];
    size_t nsources;
    const char *targets[AUDIT_MAX_RULE_COURSES];
    size_t ntargets;
    int min_credits;
    int sources_from; /* YYYYMMDD or 0 */
    const char *note;
};

/* scores.csv (合格成绩):
 * candidate_id,exam_id,course_code,course_name,score,credits,passed_on,source
 * score: 60..100 or 优 良 中 及格 合格 免考; source as audit_source_name. */
struct audit_score_row {
    size_t line;
    long long candidate_id;
    const char *exam_id; /* 12 digits */
    const char *course_code;
    const char *course_name;
    const char *score;
    int credits;
    int passed_on;
    enum audit_source source;
};

/* current.csv (当次成绩): candidate_id,exam_id,sitting,course_code,
 * course_name,score. sitting YYYY-MM; score 0..100, a grade, 缺考 or 违纪. */
struct audit_current_row {
    size_t line;
    long long candidate_id;
    const char *exam_id;
    int sitting; /* YYYYMM */
    const char *course_code;
    const char *course_name;
    const char *score;
    bool passed; /* numeric >= 60 or a pass grade */
};

struct audit_import_seen; /* duplicate detection, private */

struct audit_import {
    enum audit_import_kind kind;
    struct arena arena;
    bool header_seen;
    struct audit_import_seen *seen;
    size_t nrows;
    size_t cap;
    union {
        struct audit_major_row *majors;
        struct audit_course_row *courses;
        struct audit_plan_row *plans;
        struct audit_rule_row *rules;
        struct audit_score_row *scores;
        struct audit_current_row *current;
        void *any;
    } rows;
};

/* "majors" ... "current" <-> kind. Parse returns 0 or -EINVAL. */
int audit_import_kind_parse(const char *name, enum audit_import_kind *out);
const char *audit_import_kind_name(enum audit_import_kind kind);
/* The header line the kind's files must start with. */
const char *audit_import_header(enum audit_import_kind kind);

void audit_import_init(struct audit_import *im, enum audit_import_kind kind);
void audit_import_free(struct audit_import *im);

/*
 * Feeds one line (without its line break; a trailing '\r' is ignored) with
 * its 1-based number. Returns 1 when a row was accepted, 0 when the line was
 * a comment, blank or the header, and -EINVAL when it was rejected: then why
 * holds the reason (English, names the column and the value). A rejected
 * line leaves the accepted rows unchanged.
 */
int audit_import_line(struct audit_import *im, size_t lineno, const char *line, size_t len,
                      char *why, size_t whylen);

/*
 * Builds the plan of (major_code, version) from plan rows, with the rule rows
 * that apply to it (same or empty major, same or empty version, and
 * replacing at least one course of the plan). Strings are borrowed from the
 * rows; arrays come from a. Returns 0, -ENOENT when no row has that plan, or
 * the error of audit_plan_check with its message in err.
 */
int audit_plan_from_rows(const struct audit_plan_row *rows, size_t nrows,
                         const struct audit_rule_row *rules, size_t nrules, const char *major_code,
                         const char *major_name, const char *version, struct arena *a,
                         struct audit_plan *out, char *err, size_t errlen);

/* The passes of one candidate, in row order; returns their count (0: none). */
size_t audit_passes_from_rows(const struct audit_score_row *rows, size_t nrows,
                              long long candidate_id, struct arena *a, struct audit_pass **out);

#endif
