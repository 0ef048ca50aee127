/*
 * audit.h - the graduation audit engine (专业计划完成情况): decides whether a
 * candidate's passed courses complete a major's plan, course by course and
 * module by module, and says why in words the candidate can act on.
 *
 * Pure functions: no I/O, no database, no global state. The caller hands in
 * a plan (modules, courses, substitution rules), the candidate's passed
 * courses (合格成绩, across all exam IDs) and the substitutions the candidate
 * chose; every output is allocated from the caller's arena and lives as long
 * as it. Input strings are borrowed, never copied: they must outlive the
 * result. The same input always gives the same output.
 *
 * The rules applied, in this order (each passed course is used at most once;
 * several passes of one course code count as one course, the best of them
 * being shown):
 *  1. required plan courses are met by a pass of the same code;
 *  2. required plan courses still missing are met by automatic one-to-one
 *     substitution rules (新计划课程一对一顶替旧计划课程, e.g. 13000 英语(专升本)
 *     for 00015 英语(二)) whose source course is passed and unused;
 *  3. the candidate's chosen substitutions are checked and applied in the
 *     order given: one-to-many (一门顶多门), choose-one (任选一门) and credit
 *     pools (顶替英语二: unused courses worth >= 14 credits replace 00015). A
 *     choice that breaks a rule is refused with a reason and changes nothing;
 *  4. elective plan courses are met by every remaining pass of the same code
 *     (or by its automatic one-to-one source);
 *  5. a module is satisfied when all its required courses are met and the
 *     credits of its met courses reach its minimum; the plan is complete when
 *     every module is satisfied, the total reaches the plan's minimum and no
 *     choice was refused.
 * Substitution sources count only if passed on or after the rule's
 * sources_from date (new-plan courses are those passed from 2024 H1 on).
 */
#ifndef ZK_AUDIT_H
#define ZK_AUDIT_H

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

/* Bounds on one audit; larger input is refused with -E2BIG. */
#define AUDIT_MAX_MODULES      32
#define AUDIT_MAX_COURSES      256 /* plan courses, all modules together */
#define AUDIT_MAX_RULES        256
#define AUDIT_MAX_PASSES       512
#define AUDIT_MAX_CHOICES      32
#define AUDIT_MAX_RULE_COURSES 16 /* sources or targets of one rule or choice */
#define AUDIT_CODE_MAX         7  /* course codes: 1..7 letters or digits (5 digits in practice) */

enum audit_source {
    AUDIT_SOURCE_EXAM,      /* 考试合格 */
    AUDIT_SOURCE_EXEMPTION, /* 免考 */
    AUDIT_SOURCE_OLD_CARD, /* 旧计划合格证 (红卡/绿卡) or practical card, added with scans */
    AUDIT_SOURCE_TRANSFER, /* 转考 (transferred in) */
};

/* A course of a plan. Codes are unique within a plan. */
struct audit_course {
    const char *code;
    const char *name;
    int credits;
    bool elective; /* false: required (必考) */
};

/* A module (基础课程, 专业课程, 选修课程, 实践环节, 毕业论文 ...). The module is
 * satisfied when its required courses are all met and the met courses'
 * credits reach min_credits (0: required courses only). */
struct audit_module {
    const char *name;
    int min_credits;
    const struct audit_course *courses;
    size_t ncourses;
};

enum audit_rule_kind {
    /* sources[0] replaces targets[0]; applied automatically. */
    AUDIT_RULE_ONE_TO_ONE,
    /* sources[0] replaces every target together; the candidate chooses it. */
    AUDIT_RULE_ONE_TO_MANY,
    /* one source (any of sources) replaces one target (any of targets); the
     * candidate chooses which when either list has more than one. */
    AUDIT_RULE_CHOOSE_ONE,
    /* unused passed courses chosen by the candidate, worth >= min_credits,
     * replace targets[0] (顶替英语二: 14 credits replace 00015). No sources. */
    AUDIT_RULE_CREDIT_POOL,
};

struct audit_rule {
    const char *id; /* unique within the plan, e.g. "R1"; named in refusals */
    enum audit_rule_kind kind;
    const char *const *sources; /* new-plan course codes */
    size_t nsources;
    const char *const *targets; /* plan course codes replaced */
    size_t ntargets;
    int min_credits;  /* AUDIT_RULE_CREDIT_POOL only */
    int sources_from; /* YYYYMMDD; a source counts only if passed on/after it; 0: any date */
};

struct audit_plan {
    const char *major_code; /* 030101K */
    const char *major_name; /* 法学 */
    const char *version;    /* "old" / "new" */
    int min_total_credits;  /* 毕业总学分; 0: no total beyond the modules */
    const struct audit_module *modules;
    size_t nmodules;
    const struct audit_rule *rules; /* rules that apply to this plan */
    size_t nrules;
};

/* One passed course (合格成绩). score is the text shown ("61", "中", "免考"). */
struct audit_pass {
    const char *exam_id; /* 准考证号 the pass was recorded under */
    const char *code;
    const char *name;
    const char *score;
    int credits;
    int passed_on; /* YYYYMMDD */
    enum audit_source source;
};

/* A substitution the candidate chose. For AUDIT_RULE_CREDIT_POOL, sources
 * are the courses offered (their credits must reach the rule's minimum); for
 * AUDIT_RULE_CHOOSE_ONE, sources[0] and target pick among the rule's lists
 * (either may be omitted when its list has one entry); for
 * AUDIT_RULE_ONE_TO_MANY both may be omitted. */
struct audit_choice {
    const char *rule_id;
    const char *const *sources;
    size_t nsources;
    const char *target;
};

enum audit_course_state {
    AUDIT_COURSE_MISSING,
    AUDIT_COURSE_PASSED,      /* a pass of the same code */
    AUDIT_COURSE_SUBSTITUTED, /* an automatic one-to-one rule */
    AUDIT_COURSE_CHOSEN,      /* a substitution the candidate chose */
};

struct audit_course_result {
    const struct audit_course *course;
    size_t module; /* index in plan->modules */
    enum audit_course_state state;
    const struct audit_rule *rule; /* substitution used, else NULL */
    const size_t *passes;          /* indices into the caller's passes (credit pool: several) */
    size_t npasses;
    int credits;    /* counted: the course's plan credits when met, else 0 */
    const char *by; /* "03709_马克思主义基本原理概论(84)", NULL when missing */
};

struct audit_module_result {
    const struct audit_module *module;
    bool satisfied;
    int credits;         /* credits of met courses */
    int missing_credits; /* min_credits - credits when positive, else 0 */
    size_t missing_required;
    size_t first_course; /* this module's courses: result->courses[first_course ...] */
    size_t ncourses;
};

enum audit_use {
    AUDIT_USE_NONE,       /* not used (是否使用: 否) */
    AUDIT_USE_DIRECT,     /* meets the plan course of the same code */
    AUDIT_USE_SUBSTITUTE, /* source of an automatic or chosen substitution */
    AUDIT_USE_DUPLICATE,  /* another pass of the same course code was used */
};

/* Per passed course, in the caller's order: the 是否使用 column. */
struct audit_pass_result {
    enum audit_use use;
    const struct audit_course *course; /* plan course it meets (first target), or NULL */
    const struct audit_rule *rule;     /* for AUDIT_USE_SUBSTITUTE */
};

struct audit_substitution {
    const struct audit_rule *rule;
    bool automatic;
    const size_t *passes; /* sources used, indices into the caller's passes */
    size_t npasses;
    const struct audit_course *const *targets; /* plan courses met */
    size_t ntargets;
    const char *message; /* "13000 英语(专升本) 自动顶替 00015 英语(二)" */
};

enum audit_refusal_code {
    AUDIT_REFUSE_RULE_UNKNOWN = 1, /* no such rule for this plan */
    AUDIT_REFUSE_RULE_AUTOMATIC,   /* one-to-one rules are applied by the system */
    AUDIT_REFUSE_RULE_TWICE,       /* the same rule chosen again */
    AUDIT_REFUSE_NOT_IN_RULE,      /* a source or target the rule does not list */
    AUDIT_REFUSE_CHOICE_NEEDED,    /* choose-one without naming source or target */
    AUDIT_REFUSE_NOT_PASSED,       /* source course not among the passed courses */
    AUDIT_REFUSE_TOO_EARLY,        /* source passed before the rule's sources_from */
    AUDIT_REFUSE_ALREADY_USED,     /* source already used for another course */
    AUDIT_REFUSE_TARGET_NOT_IN_PLAN,
    AUDIT_REFUSE_TARGET_MET, /* the course replaced is already met */
    AUDIT_REFUSE_TOO_FEW_CREDITS,
};

/* A chosen substitution that was refused; it changed nothing. */
struct audit_refusal {
    size_t choice; /* index into the caller's choices */
    enum audit_refusal_code code;
    const char *course;  /* course code concerned, or NULL */
    const char *message; /* Chinese, names the rule and the course */
};

enum audit_reason_code {
    AUDIT_REASON_COMPLETE = 1,   /* all met */
    AUDIT_REASON_COURSE_MISSING, /* a required course is not met */
    AUDIT_REASON_MODULE_CREDITS, /* a module lacks credits */
    AUDIT_REASON_TOTAL_CREDITS,  /* the plan total lacks credits */
    AUDIT_REASON_CHOICE_REFUSED, /* a chosen substitution was refused */
    AUDIT_REASON_HINT,           /* what the candidate can do about a missing course */
    AUDIT_REASON_OLD_CARD,       /* notice: old-plan card passes need originals handed in */
};

struct audit_reason {
    enum audit_reason_code code;
    const char *module;  /* module name, or NULL */
    const char *course;  /* course code, or NULL */
    const char *message; /* Chinese, actionable */
};

struct audit_result {
    bool complete;
    const char *verdict; /* "专业：030101K_法学 已完成毕业所需课程，可以申请毕业！" */
    int total_credits;
    struct audit_module_result *modules; /* plan order */
    size_t nmodules;
    struct audit_course_result *courses; /* plan order, modules after one another */
    size_t ncourses;
    struct audit_pass_result *passes; /* the caller's order */
    size_t npasses;
    struct audit_substitution *substitutions; /* order applied */
    size_t nsubstitutions;
    struct audit_refusal *refusals;
    size_t nrefusals;
    struct audit_reason *reasons; /* failures first, then hints and notices */
    size_t nreasons;
};

/*
 * Checks that a plan is well formed: codes 1..AUDIT_CODE_MAX letters or
 * digits and unique in the plan, credits >= 0, rule ids unique and each rule
 * shaped as its kind requires, targets of rules in the plan, bounds. Returns
 * 0, or -EINVAL / -E2BIG with a message in err.
 */
int audit_plan_check(const struct audit_plan *plan, char *err, size_t errlen);

/*
 * Audits passes against plan with the candidate's choices (see the rules
 * above). Fills *out from arena. Returns 0; -EINVAL when the plan fails
 * audit_plan_check or a pass is malformed (bad code, date or credits) or a
 * choice has no rule id; -E2BIG when a bound is exceeded. Refused choices are
 * not errors: they are reported in out->refusals and make the plan
 * incomplete.
 */
int audit_run(const struct audit_plan *plan, const struct audit_pass *passes, size_t npasses,
              const struct audit_choice *choices, size_t nchoices, struct arena *arena,
              struct audit_result *out);

/* Stable upper-snake names for programs ("ALREADY_USED", "COURSE_MISSING"). */
const char *audit_refusal_name(enum audit_refusal_code code);
const char *audit_reason_name(enum audit_reason_code code);
const char *audit_rule_kind_name(enum audit_rule_kind kind); /* "one_to_one" ... */
const char *audit_source_name(enum audit_source source);     /* "exam" ... */
/* Parses the names above; returns 0 or -EINVAL. */
int audit_rule_kind_parse(const char *name, enum audit_rule_kind *out);
int audit_source_parse(const char *name, enum audit_source *out);

/* Ranks a score text for choosing among passes of one course: the number
 * itself, 优 95, 良 85, 中 75, 及格/合格/免考 60, anything else 0. */
int audit_score_rank(const char *score);

#endif
