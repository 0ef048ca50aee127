/*
 * audit_import.c - CSV parsing and checking of the academic reference data,
 * and the builders from rows to audit input (see audit_import.h). Owns the
 * accepted rows of one struct audit_import and a small hash set used to find
 * duplicate keys and rows that disagree with an earlier row of the same plan.
 */
#include "audit_import.h"
#include "alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 16
#define MAX_TEXT   200 /* bytes in a name or note */

/* ---- duplicate detection --------------------------------------------- */

struct seen_entry {
    const char *key; /* NULL: empty slot */
    size_t value;    /* row index */
};

struct audit_import_seen {
    struct seen_entry *slots;
    size_t cap; /* power of two */
    size_t n;
};

static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct seen_entry *seen_slot(struct audit_import_seen *t, const char *key)
{
    size_t i = (size_t)hash_text(key) & (t->cap - 1);
    while (t->slots[i].key != NULL && strcmp(t->slots[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

/* Finds key; returns true and its value, or false. */
static bool seen_get(struct audit_import_seen *t, const char *key, size_t *value)
{
    struct seen_entry *e = seen_slot(t, key);
    if (e->key == NULL)
        return false;
    *value = e->value;
    return true;
}

/* Adds key (copied into a) with value; key must not be present. */
static void seen_put(struct audit_import_seen *t, struct arena *a, const char *key, size_t value)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct audit_import_seen bigger = {zk_calloc(t->cap * 2, sizeof(struct seen_entry)),
                                           t->cap * 2, 0};
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slots[i].key != NULL) {
                *seen_slot(&bigger, t->slots[i].key) = t->slots[i];
                bigger.n++;
            }
        }
        free(t->slots);
        *t = bigger;
    }
    struct seen_entry *e = seen_slot(t, key);
    e->key = arena_strdup(a, key);
    e->value = value;
    t->n++;
}

/* ---- names ----------------------------------------------------------- */

static const char *const kind_names[] = {"majors", "courses", "plans",
                                         "rules",  "scores",  "current"};
static const char *const headers[] = {
    "code,name,level,status,universities",
    "code,name,credits,kind",
    ("major_code,version,valid_from,min_total_credits,module_seq,module_name,module_min_credits,"
     "course_code,course_name,credits,required"), /* one header, split for length */
    "id,major_code,plan_version,kind,sources,targets,min_credits,sources_from,note",
    "candidate_id,exam_id,course_code,course_name,score,credits,passed_on,source",
    "candidate_id,exam_id,sitting,course_code,course_name,score",
};
static const size_t row_sizes[] = {
    sizeof(struct audit_major_row), sizeof(struct audit_course_row),
    sizeof(struct audit_plan_row),  sizeof(struct audit_rule_row),
    sizeof(struct audit_score_row), sizeof(struct audit_current_row),
};

int audit_import_kind_parse(const char *name, enum audit_import_kind *out)
{
    for (int i = 0; i < 6; i++) {
        if (name != NULL && strcmp(name, kind_names[i]) == 0) {
            *out = (enum audit_import_kind)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *audit_import_kind_name(enum audit_import_kind kind)
{
    return (unsigned)kind < 6 ? kind_names[kind] : "unknown";
}

const char *audit_import_header(enum audit_import_kind kind)
{
    return (unsigned)kind < 6 ? headers[kind] : "";
}

void audit_import_init(struct audit_import *im, enum audit_import_kind kind)
{
    memset(im, 0, sizeof(*im));
    im->kind = kind;
    arena_init(&im->arena, 64 * 1024);
    im->seen = zk_calloc(1, sizeof(*im->seen));
    im->seen->cap = 64;
    im->seen->slots = zk_calloc(im->seen->cap, sizeof(struct seen_entry));
}

void audit_import_free(struct audit_import *im)
{
    if (im->seen != NULL) {
        free(im->seen->slots);
        free(im->seen);
    }
    free(im->rows.any);
    arena_destroy(&im->arena);
    memset(im, 0, sizeof(*im));
}

/* ---- field checks ---------------------------------------------------- */

static int reject(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why != NULL && whylen > 0)
        vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool all_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool course_code_ok(const char *s)
{
    return all_digits(s, 5);
}

static bool major_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 6 || n > 8)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9', upper = s[i] >= 'A' && s[i] <= 'Z';
        if (i < 6 ? !digit : !upper)
            return false;
    }
    return true;
}

/* Valid UTF-8 text, 1..MAX_TEXT bytes, no control characters. */
static bool text_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_TEXT)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = *p < 0x80             ? 1
                     : (*p & 0xE0) == 0xC0 ? 2
                     : (*p & 0xF0) == 0xE0 ? 3
                     : (*p & 0xF8) == 0xF0 ? 4
                                           : 0;
        if (len == 0 || (len == 1 && *p < 0x20))
            return false;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += len;
    }
    return true;
}

/* Non-negative integer in [lo, hi]; -1 if not. */
static int int_in(const char *s, int lo, int hi)
{
    if (s[0] == '\0' || strlen(s) > 9)
        return -1;
    int v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

/* "YYYY-MM-DD" -> YYYYMMDD, or 0 when invalid. */
static int date_parse(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    char y[5] = {s[0], s[1], s[2], s[3], 0}, m[3] = {s[5], s[6], 0}, d[3] = {s[8], s[9], 0};
    int yy = int_in(y, 1950, 2200), mm = int_in(m, 1, 12), dd = int_in(d, 1, 31);
    if (yy < 0 || mm < 0 || dd < 0)
        return 0;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;
    if (dd > mdays[mm - 1] || (mm == 2 && dd == 29 && !leap))
        return 0;
    return yy * 10000 + mm * 100 + dd;
}

static long long id_parse(const char *s)
{
    if (s[0] == '\0' || s[0] == '0' || strlen(s) > 18)
        return -1;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v;
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

static const char *const pass_grades[] = {"优", "良", "中", "及格", "合格", "免考"};

/* A passing score: 60..100 or a pass grade. */
static bool pass_score_ok(const char *s)
{
    return int_in(s, 60, 100) >= 0 || one_of(s, pass_grades, 6);
}

/* Splits a ';' list in place into out; returns count or -1 when too many or
 * an element is empty. An empty field gives 0. */
static int list_split(char *s, const char **out, size_t max)
{
    if (s[0] == '\0')
        return 0;
    size_t n = 0;
    for (char *p = s;;) {
        char *end = strchr(p, ';');
        if (end != NULL)
            *end = '\0';
        if (p[0] == '\0' || n == max)
            return -1;
        out[n++] = p;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return (int)n;
}

/* ---- CSV ------------------------------------------------------------- */

/* Splits one record into fields copied into a. Returns the field count, or
 * -1 with why set (unterminated quote, junk after a quote, too many). */
static int csv_split(struct arena *a, const char *line, size_t len, char **fields, char *why,
                     size_t whylen)
{
    int n = 0;
    size_t i = 0;
    char *buf = arena_alloc(a, len + 1);
    for (;;) {
        if (n == MAX_FIELDS) {
            reject(why, whylen, "more than %d fields", MAX_FIELDS);
            return -1;
        }
        char *out = buf;
        fields[n++] = out;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    reject(why, whylen, "field %d: quote not closed", n);
                    return -1;
                }
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        *out++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *out++ = line[i++];
            }
            if (i < len && line[i] != ',') {
                reject(why, whylen, "field %d: text after the closing quote", n);
                return -1;
            }
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"') {
                    reject(why, whylen, "field %d: quote inside an unquoted field", n);
                    return -1;
                }
                *out++ = line[i++];
            }
        }
        *out++ = '\0';
        buf = out;
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

/* ---- rows ------------------------------------------------------------ */

static void *row_append(struct audit_import *im)
{
    size_t size = row_sizes[im->kind];
    if (im->nrows == im->cap) {
        im->cap = im->cap ? im->cap * 2 : 64;
        im->rows.any = zk_realloc(im->rows.any, im->cap * size);
    }
    void *row = (char *)im->rows.any + im->nrows * size;
    memset(row, 0, size);
    return row;
}

static int parse_major(struct audit_import *im, char **f, struct audit_major_row *r, char *why,
                       size_t wl)
{
    static const char *const levels[] = {"专科", "本科", "专升本"};
    static const char *const states[] = {"open", "stopping"};
    if (!major_code_ok(f[0]))
        return reject(why, wl, "code '%s' must be 6 digits and up to 2 capital letters", f[0]);
    if (!text_ok(f[1]))
        return reject(why, wl, "name must be 1..%d bytes of text", MAX_TEXT);
    if (!one_of(f[2], levels, 3))
        return reject(why, wl, "level '%s' must be 专科, 本科 or 专升本", f[2]);
    if (!one_of(f[3], states, 2))
        return reject(why, wl, "status '%s' must be open or stopping", f[3]);
    const char *items[AUDIT_IMPORT_MAX_UNIVERSITIES];
    int n = list_split(f[4], items, AUDIT_IMPORT_MAX_UNIVERSITIES);
    if (n < 0)
        return reject(why, wl, "universities: empty entry or more than %d",
                      AUDIT_IMPORT_MAX_UNIVERSITIES);
    for (int i = 0; i < n; i++) {
        char *colon = strchr(items[i], ':');
        if (colon == NULL)
            return reject(why, wl, "universities: '%s' must be code:name", items[i]);
        *colon = '\0';
        const char *code = items[i], *name = colon + 1;
        bool ok = code[0] != '\0' && strlen(code) <= 10;
        for (const char *p = code; *p; p++)
            ok = ok && ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'));
        if (!ok)
            return reject(why, wl, "university code '%s' must be 1..10 digits or capitals", code);
        if (!text_ok(name))
            return reject(why, wl, "university %s: name missing", code);
        for (int j = 0; j < i; j++)
            if (strcmp(r->university_codes[j], code) == 0)
                return reject(why, wl, "university %s listed twice", code);
        r->university_codes[i] = code;
        r->university_names[i] = name;
    }
    r->nuniversities = (size_t)n;
    size_t prev;
    if (seen_get(im->seen, f[0], &prev))
        return reject(why, wl, "major %s already defined on line %zu", f[0],
                      im->rows.majors[prev].line);
    r->code = f[0];
    r->name = f[1];
    r->level = f[2];
    r->status = f[3];
    seen_put(im->seen, &im->arena, f[0], im->nrows);
    return 0;
}

static int parse_course(struct audit_import *im, char **f, struct audit_course_row *r, char *why,
                        size_t wl)
{
    static const char *const kinds[] = {"theory", "practice", "thesis"};
    if (!course_code_ok(f[0]))
        return reject(why, wl, "code '%s' must be 5 digits", f[0]);
    if (!text_ok(f[1]))
        return reject(why, wl, "name must be 1..%d bytes of text", MAX_TEXT);
    if ((r->credits = int_in(f[2], 0, 99)) < 0)
        return reject(why, wl, "credits '%s' must be a whole number 0..99", f[2]);
    if (!one_of(f[3], kinds, 3))
        return reject(why, wl, "kind '%s' must be theory, practice or thesis", f[3]);
    size_t prev;
    if (seen_get(im->seen, f[0], &prev))
        return reject(why, wl, "course %s already defined on line %zu", f[0],
                      im->rows.courses[prev].line);
    r->code = f[0];
    r->name = f[1];
    r->kind = f[3];
    seen_put(im->seen, &im->arena, f[0], im->nrows);
    return 0;
}

static int parse_plan(struct audit_import *im, char **f, struct audit_plan_row *r, char *why,
                      size_t wl)
{
    static const char *const versions[] = {"old", "new"};
    static const char *const req[] = {"required", "elective"};
    if (!major_code_ok(f[0]))
        return reject(why, wl, "major_code '%s' must be 6 digits and up to 2 capitals", f[0]);
    if (!one_of(f[1], versions, 2))
        return reject(why, wl, "version '%s' must be old or new", f[1]);
    if ((r->valid_from = date_parse(f[2])) == 0)
        return reject(why, wl, "valid_from '%s' must be a date YYYY-MM-DD", f[2]);
    if ((r->min_total_credits = int_in(f[3], 0, 999)) < 0)
        return reject(why, wl, "min_total_credits '%s' must be a whole number 0..999", f[3]);
    if ((r->module_seq = int_in(f[4], 1, AUDIT_MAX_MODULES)) < 0)
        return reject(why, wl, "module_seq '%s' must be 1..%d", f[4], AUDIT_MAX_MODULES);
    if (!text_ok(f[5]))
        return reject(why, wl, "module_name must be 1..%d bytes of text", MAX_TEXT);
    if ((r->module_min_credits = int_in(f[6], 0, 999)) < 0)
        return reject(why, wl, "module_min_credits '%s' must be a whole number 0..999", f[6]);
    if (!course_code_ok(f[7]))
        return reject(why, wl, "course_code '%s' must be 5 digits", f[7]);
    if (!text_ok(f[8]))
        return reject(why, wl, "course_name must be 1..%d bytes of text", MAX_TEXT);
    if ((r->credits = int_in(f[9], 0, 99)) < 0)
        return reject(why, wl, "credits '%s' must be a whole number 0..99", f[9]);
    if (!one_of(f[10], req, 2))
        return reject(why, wl, "required '%s' must be required or elective", f[10]);
    r->elective = strcmp(f[10], "elective") == 0;
    r->major_code = f[0];
    r->version = f[1];
    r->module_name = f[5];
    r->course_code = f[7];
    r->course_name = f[8];

    /* Agreement with earlier rows of the same plan and module. */
    const struct audit_plan_row *rows = im->rows.plans;
    char key[160];
    size_t prev;
    snprintf(key, sizeof(key), "%s|%s", f[0], f[1]);
    bool plan_known = seen_get(im->seen, key, &prev);
    if (plan_known && (rows[prev].valid_from != r->valid_from ||
                       rows[prev].min_total_credits != r->min_total_credits))
        return reject(why, wl, "valid_from or min_total_credits differ from line %zu of plan %s %s",
                      rows[prev].line, f[0], f[1]);
    snprintf(key, sizeof(key), "%s|%s|#%d", f[0], f[1], r->module_seq);
    bool module_known = seen_get(im->seen, key, &prev);
    if (module_known && (strcmp(rows[prev].module_name, r->module_name) != 0 ||
                         rows[prev].module_min_credits != r->module_min_credits))
        return reject(why, wl, "module %d has another name or minimum on line %zu", r->module_seq,
                      rows[prev].line);
    char name_key[300];
    snprintf(name_key, sizeof(name_key), "%s|%s|@%s", f[0], f[1], r->module_name);
    if (!module_known && seen_get(im->seen, name_key, &prev))
        return reject(why, wl, "module name '%s' already used by module %d (line %zu)",
                      r->module_name, rows[prev].module_seq, rows[prev].line);
    char course_key[160];
    snprintf(course_key, sizeof(course_key), "%s|%s|%s", f[0], f[1], f[7]);
    if (seen_get(im->seen, course_key, &prev))
        return reject(why, wl, "course %s is already in plan %s %s on line %zu", f[7], f[0], f[1],
                      rows[prev].line);
    if (!plan_known) {
        snprintf(key, sizeof(key), "%s|%s", f[0], f[1]);
        seen_put(im->seen, &im->arena, key, im->nrows);
    }
    if (!module_known) {
        snprintf(key, sizeof(key), "%s|%s|#%d", f[0], f[1], r->module_seq);
        seen_put(im->seen, &im->arena, key, im->nrows);
        seen_put(im->seen, &im->arena, name_key, im->nrows);
    }
    seen_put(im->seen, &im->arena, course_key, im->nrows);
    return 0;
}

static int parse_rule(struct audit_import *im, char **f, struct audit_rule_row *r, char *why,
                      size_t wl)
{
    bool ok = f[0][0] != '\0' && strlen(f[0]) <= 32;
    for (const char *p = f[0]; *p; p++)
        ok = ok && ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_');
    if (!ok)
        return reject(why, wl, "id '%s' must be 1..32 letters, digits, '-' or '_'", f[0]);
    if (f[1][0] != '\0' && !major_code_ok(f[1]))
        return reject(why, wl, "major_code '%s' must be empty or a major code", f[1]);
    if (f[2][0] != '\0' && strcmp(f[2], "old") != 0 && strcmp(f[2], "new") != 0)
        return reject(why, wl, "plan_version '%s' must be empty, old or new", f[2]);
    if (audit_rule_kind_parse(f[3], &r->kind) < 0)
        return reject(why, wl,
                      "kind '%s' must be one_to_one, one_to_many, choose_one or "
                      "credit_pool",
                      f[3]);
    int ns = list_split(f[4], r->sources, AUDIT_MAX_RULE_COURSES);
    int nt = list_split(f[5], r->targets, AUDIT_MAX_RULE_COURSES);
    if (ns < 0 || nt < 0)
        return reject(why, wl, "%s: empty entry or more than %d courses",
                      ns < 0 ? "sources" : "targets", AUDIT_MAX_RULE_COURSES);
    for (int i = 0; i < ns + nt; i++) {
        const char *c = i < ns ? r->sources[i] : r->targets[i - ns];
        if (!course_code_ok(c))
            return reject(why, wl, "%s: course code '%s' must be 5 digits",
                          i < ns ? "sources" : "targets", c);
        for (int j = 0; j < i; j++) {
            const char *d = j < ns ? r->sources[j] : r->targets[j - ns];
            if (strcmp(c, d) == 0)
                return reject(why, wl, "course %s listed twice in the rule", c);
        }
    }
    r->nsources = (size_t)ns;
    r->ntargets = (size_t)nt;
    r->min_credits = 0;
    if (f[6][0] != '\0' && (r->min_credits = int_in(f[6], 0, 999)) < 0)
        return reject(why, wl, "min_credits '%s' must be empty or a whole number", f[6]);
    const char *shape = NULL;
    switch (r->kind) {
    case AUDIT_RULE_ONE_TO_ONE:
        if (ns != 1 || nt != 1)
            shape = "one_to_one needs exactly one source and one target";
        break;
    case AUDIT_RULE_ONE_TO_MANY:
        if (ns != 1 || nt < 2)
            shape = "one_to_many needs one source and two or more targets";
        break;
    case AUDIT_RULE_CHOOSE_ONE:
        if (ns < 1 || nt < 1 || ns + nt < 3)
            shape = "choose_one needs a choice: two or more sources or two or more targets";
        break;
    case AUDIT_RULE_CREDIT_POOL:
        if (ns != 0 || nt != 1 || r->min_credits <= 0)
            shape = "credit_pool needs no sources, one target and min_credits > 0";
        break;
    }
    if (shape != NULL)
        return reject(why, wl, "%s", shape);
    if (r->kind != AUDIT_RULE_CREDIT_POOL && r->min_credits != 0)
        return reject(why, wl, "min_credits is only for credit_pool rules");
    r->sources_from = 0;
    if (f[7][0] != '\0' && (r->sources_from = date_parse(f[7])) == 0)
        return reject(why, wl, "sources_from '%s' must be empty or a date YYYY-MM-DD", f[7]);
    if (f[8][0] != '\0' && !text_ok(f[8]))
        return reject(why, wl, "note must be at most %d bytes of text", MAX_TEXT);
    size_t prev;
    if (seen_get(im->seen, f[0], &prev))
        return reject(why, wl, "rule %s already defined on line %zu", f[0],
                      im->rows.rules[prev].line);
    r->id = f[0];
    r->major_code = f[1];
    r->plan_version = f[2];
    r->note = f[8];
    seen_put(im->seen, &im->arena, f[0], im->nrows);
    return 0;
}

static int parse_score(struct audit_import *im, char **f, struct audit_score_row *r, char *why,
                       size_t wl)
{
    if ((r->candidate_id = id_parse(f[0])) < 0)
        return reject(why, wl, "candidate_id '%s' must be a positive whole number", f[0]);
    if (!all_digits(f[1], 12))
        return reject(why, wl, "exam_id '%s' must be 12 digits", f[1]);
    if (!course_code_ok(f[2]))
        return reject(why, wl, "course_code '%s' must be 5 digits", f[2]);
    if (!text_ok(f[3]))
        return reject(why, wl, "course_name must be 1..%d bytes of text", MAX_TEXT);
    if (!pass_score_ok(f[4]))
        return reject(why, wl, "score '%s' is not a pass: 60..100 or 优, 良, 中, 及格, 合格, 免考",
                      f[4]);
    if ((r->credits = int_in(f[5], 0, 99)) < 0)
        return reject(why, wl, "credits '%s' must be a whole number 0..99", f[5]);
    if ((r->passed_on = date_parse(f[6])) == 0)
        return reject(why, wl, "passed_on '%s' must be a date YYYY-MM-DD", f[6]);
    if (audit_source_parse(f[7], &r->source) < 0)
        return reject(why, wl, "source '%s' must be exam, exemption, old_card or transfer", f[7]);
    char key[80];
    size_t prev;
    snprintf(key, sizeof(key), "%s|%s|%s", f[0], f[1], f[2]);
    if (seen_get(im->seen, key, &prev))
        return reject(why, wl, "course %s under exam ID %s of candidate %s already on line %zu",
                      f[2], f[1], f[0], im->rows.scores[prev].line);
    r->exam_id = f[1];
    r->course_code = f[2];
    r->course_name = f[3];
    r->score = f[4];
    seen_put(im->seen, &im->arena, key, im->nrows);
    return 0;
}

static int parse_current(struct audit_import *im, char **f, struct audit_current_row *r, char *why,
                         size_t wl)
{
    static const char *const other[] = {"缺考", "违纪", "不及格"};
    if ((r->candidate_id = id_parse(f[0])) < 0)
        return reject(why, wl, "candidate_id '%s' must be a positive whole number", f[0]);
    if (!all_digits(f[1], 12))
        return reject(why, wl, "exam_id '%s' must be 12 digits", f[1]);
    char ym[11];
    snprintf(ym, sizeof(ym), "%.7s-01", f[2]);
    int d = strlen(f[2]) == 7 ? date_parse(ym) : 0;
    if (d == 0)
        return reject(why, wl, "sitting '%s' must be YYYY-MM", f[2]);
    r->sitting = d / 100;
    if (!course_code_ok(f[3]))
        return reject(why, wl, "course_code '%s' must be 5 digits", f[3]);
    if (!text_ok(f[4]))
        return reject(why, wl, "course_name must be 1..%d bytes of text", MAX_TEXT);
    bool numeric = int_in(f[5], 0, 100) >= 0;
    if (!numeric && !one_of(f[5], pass_grades, 6) && !one_of(f[5], other, 3))
        return reject(why, wl, "score '%s' must be 0..100, a grade, 缺考 or 违纪", f[5]);
    r->passed = pass_score_ok(f[5]);
    char key[80];
    size_t prev;
    snprintf(key, sizeof(key), "%s|%s|%s|%s", f[0], f[1], f[2], f[3]);
    if (seen_get(im->seen, key, &prev))
        return reject(why, wl, "result of course %s in sitting %s already on line %zu", f[3], f[2],
                      im->rows.current[prev].line);
    r->exam_id = f[1];
    r->course_code = f[3];
    r->course_name = f[4];
    r->score = f[5];
    seen_put(im->seen, &im->arena, key, im->nrows);
    return 0;
}

int audit_import_line(struct audit_import *im, size_t lineno, const char *line, size_t len,
                      char *why, size_t whylen)
{
    if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3; /* UTF-8 byte order mark */
        len -= 3;
    }
    if (len > 0 && line[len - 1] == '\r')
        len--;
    size_t blank = 0;
    while (blank < len && (line[blank] == ' ' || line[blank] == '\t'))
        blank++;
    if (blank == len || line[0] == '#')
        return 0;
    if (memchr(line, '\0', len) != NULL)
        return reject(why, whylen, "NUL byte in line");
    char *f[MAX_FIELDS];
    int n = csv_split(&im->arena, line, len, f, why, whylen);
    if (n < 0)
        return -EINVAL;
    const char *header = headers[im->kind];
    if (!im->header_seen) {
        char *expect = arena_strdup(&im->arena, header);
        char *e[MAX_FIELDS];
        int ne = csv_split(&im->arena, expect, strlen(expect), e, NULL, 0);
        bool same = ne == n;
        for (int i = 0; same && i < n; i++)
            same = strcmp(e[i], f[i]) == 0;
        if (!same)
            return reject(why, whylen, "header must be: %s", header);
        im->header_seen = true;
        return 0;
    }
    int want = 1;
    for (const char *p = header; *p; p++)
        want += *p == ',';
    if (n != want)
        return reject(why, whylen, "%d fields, expected %d (%s)", n, want, header);
    void *row = row_append(im);
    int rc = -EINVAL;
    switch (im->kind) {
    case AUDIT_IMPORT_MAJORS:
        rc = parse_major(im, f, row, why, whylen);
        break;
    case AUDIT_IMPORT_COURSES:
        rc = parse_course(im, f, row, why, whylen);
        break;
    case AUDIT_IMPORT_PLANS:
        rc = parse_plan(im, f, row, why, whylen);
        break;
    case AUDIT_IMPORT_RULES:
        rc = parse_rule(im, f, row, why, whylen);
        break;
    case AUDIT_IMPORT_SCORES:
        rc = parse_score(im, f, row, why, whylen);
        break;
    case AUDIT_IMPORT_CURRENT:
        rc = parse_current(im, f, row, why, whylen);
        break;
    }
    if (rc < 0)
        return rc;
    *(size_t *)row = lineno; /* every row struct starts with its line */
    im->nrows++;
    return 1;
}

/* ---- builders -------------------------------------------------------- */

static bool rule_applies(const struct audit_rule_row *r, const char *major, const char *version)
{
    return (r->major_code[0] == '\0' || strcmp(r->major_code, major) == 0) &&
           (r->plan_version[0] == '\0' || strcmp(r->plan_version, version) == 0);
}

int audit_plan_from_rows(const struct audit_plan_row *rows, size_t nrows,
                         const struct audit_rule_row *rules, size_t nrules, const char *major_code,
                         const char *major_name, const char *version, struct arena *a,
                         struct audit_plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int seq_of[AUDIT_MAX_MODULES + 1] = {0}; /* module_seq -> number of courses */
    const struct audit_plan_row *first = NULL;
    for (size_t i = 0; i < nrows; i++) {
        const struct audit_plan_row *r = &rows[i];
        if (strcmp(r->major_code, major_code) != 0 || strcmp(r->version, version) != 0)
            continue;
        if (r->module_seq < 1 || r->module_seq > AUDIT_MAX_MODULES) {
            snprintf(err, errlen, "line %zu: module_seq out of range", r->line);
            return -EINVAL;
        }
        if (first == NULL)
            first = r;
        seq_of[r->module_seq]++;
    }
    if (first == NULL) {
        snprintf(err, errlen, "no plan %s %s", major_code, version);
        return -ENOENT;
    }
    size_t nmodules = 0;
    for (int s = 1; s <= AUDIT_MAX_MODULES; s++)
        nmodules += seq_of[s] > 0;
    struct audit_module *mods = arena_calloc(a, sizeof(*mods) * nmodules);
    size_t m = 0;
    for (int s = 1; s <= AUDIT_MAX_MODULES; s++) {
        if (seq_of[s] == 0)
            continue;
        struct audit_course *cs = arena_calloc(a, sizeof(*cs) * (size_t)seq_of[s]);
        size_t n = 0;
        for (size_t i = 0; i < nrows; i++) {
            const struct audit_plan_row *r = &rows[i];
            if (r->module_seq != s || strcmp(r->major_code, major_code) != 0 ||
                strcmp(r->version, version) != 0)
                continue;
            mods[m].name = r->module_name;
            mods[m].min_credits = r->module_min_credits;
            cs[n++] =
                (struct audit_course){r->course_code, r->course_name, r->credits, r->elective};
        }
        mods[m].courses = cs;
        mods[m].ncourses = n;
        m++;
    }
    out->major_code = major_code;
    out->major_name = major_name;
    out->version = version;
    out->min_total_credits = first->min_total_credits;
    out->modules = mods;
    out->nmodules = nmodules;

    struct audit_rule *ru = arena_calloc(a, sizeof(*ru) * (nrules ? nrules : 1));
    size_t nr = 0;
    for (size_t i = 0; i < nrules; i++) {
        const struct audit_rule_row *r = &rules[i];
        if (!rule_applies(r, major_code, version))
            continue;
        bool replaces = false;
        for (size_t t = 0; t < r->ntargets && !replaces; t++)
            for (size_t k = 0; k < nmodules && !replaces; k++)
                for (size_t c = 0; c < mods[k].ncourses && !replaces; c++)
                    replaces = strcmp(mods[k].courses[c].code, r->targets[t]) == 0;
        if (!replaces)
            continue;
        ru[nr++] = (struct audit_rule){.id = r->id,
                                       .kind = r->kind,
                                       .sources = r->sources,
                                       .nsources = r->nsources,
                                       .targets = r->targets,
                                       .ntargets = r->ntargets,
                                       .min_credits = r->min_credits,
                                       .sources_from = r->sources_from};
    }
    out->rules = ru;
    out->nrules = nr;
    return audit_plan_check(out, err, errlen);
}

size_t audit_passes_from_rows(const struct audit_score_row *rows, size_t nrows,
                              long long candidate_id, struct arena *a, struct audit_pass **out)
{
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++)
        n += rows[i].candidate_id == candidate_id;
    struct audit_pass *p = arena_calloc(a, sizeof(*p) * (n ? n : 1));
    size_t k = 0;
    for (size_t i = 0; i < nrows; i++) {
        const struct audit_score_row *r = &rows[i];
        if (r->candidate_id != candidate_id)
            continue;
        p[k++] = (struct audit_pass){r->exam_id, r->course_code, r->course_name, r->score,
                                     r->credits, r->passed_on,   r->source};
    }
    *out = p;
    return n;
}
