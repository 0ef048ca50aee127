/*
 * audit.c - the graduation audit engine (see audit.h for the rules and the
 * contract). Owns nothing beyond one call: all working memory and the result
 * come from the caller's arena.
 *
 * Passes are grouped by course code into "units": a course passed twice (two
 * exam IDs, or a re-sit) is one course and can be used once. Codes are packed
 * into 64-bit keys so the many look-ups of an audit are integer compares.
 */
#include "audit.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* One course code among the candidate's passes. */
struct unit {
    uint64_t key;
    size_t first; /* first pass of this code; the rest chained by ctx.next */
    size_t best;  /* best pass: highest score rank, then earliest, then first */
    bool used;
    bool soft;       /* used by an elective after the choices: a choice could have taken it */
    size_t course;   /* plan course (flattened index) it meets, or NONE */
    const char *use; /* chosen substitution it serves; NULL: derived by unit_use */
};

struct ctx {
    const struct audit_plan *plan;
    const struct audit_pass *passes;
    size_t npasses;
    struct arena *a;
    struct audit_result *out;
    struct unit *units;
    size_t nunits;
    size_t *pass_unit;    /* pass index -> unit index */
    size_t *next;         /* pass index -> next pass of the same unit, or SIZE_MAX */
    uint64_t *course_key; /* plan course index (flattened) -> key */
    uint64_t **src_key;   /* rule index -> source keys */
    uint64_t **tgt_key;   /* rule index -> target keys */
    bool *rule_chosen;    /* rule index -> applied through a choice */
};

#define NONE SIZE_MAX

/* ---- small helpers --------------------------------------------------- */

/* Packs a code of 1..AUDIT_CODE_MAX ASCII letters or digits; -1 if invalid. */
static int code_key(const char *s, uint64_t *key)
{
    if (s == NULL)
        return -1;
    uint64_t k = 0;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!ok || n >= AUDIT_CODE_MAX)
            return -1;
        k |= (uint64_t)c << (8 * n);
    }
    if (n == 0)
        return -1;
    *key = k;
    return 0;
}

static bool date_valid(int d)
{
    int y = d / 10000, m = d / 100 % 100, day = d % 100;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1950 || y > 2200 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && day == 29 && !leap);
}

static const char *date_text(struct arena *a, int d)
{
    return arena_printf(a, "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
}

int audit_score_rank(const char *score)
{
    if (score == NULL || score[0] == '\0')
        return 0;
    if (score[0] >= '0' && score[0] <= '9') {
        int v = 0;
        for (const char *p = score; *p >= '0' && *p <= '9' && v <= 1000; p++)
            v = v * 10 + (*p - '0');
        return v;
    }
    static const struct {
        const char *text;
        int rank;
    } grades[] = {{"优", 95}, {"良", 85}, {"中", 75}, {"及格", 60}, {"合格", 60}, {"免考", 60}};
    for (size_t i = 0; i < sizeof(grades) / sizeof(grades[0]); i++)
        if (strcmp(score, grades[i].text) == 0)
            return grades[i].rank;
    return 0;
}

/* True when pass a should be shown/used in preference to pass b. */
static bool pass_better(const struct audit_pass *p, size_t a, size_t b)
{
    int ra = audit_score_rank(p[a].score), rb = audit_score_rank(p[b].score);
    if (ra != rb)
        return ra > rb;
    if (p[a].passed_on != p[b].passed_on)
        return p[a].passed_on < p[b].passed_on;
    return a < b;
}

/* Concatenates n <= 8 strings (NULL counts as empty) into one arena string. */
static char *join(struct arena *a, const char *const *parts, size_t n)
{
    size_t len[8], total = 0;
    for (size_t i = 0; i < n; i++)
        total += len[i] = parts[i] != NULL ? strlen(parts[i]) : 0;
    char *s = arena_alloc(a, total + 1), *o = s;
    for (size_t i = 0; i < n; i++) {
        memcpy(o, parts[i] != NULL ? parts[i] : "", len[i]);
        o += len[i];
    }
    *o = '\0';
    return s;
}
#define JOIN(a, ...)                                                                               \
    join(a, (const char *const[]){__VA_ARGS__},                                                    \
         sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* "00015 英语(二)" */
static const char *course_label(struct arena *a, const struct audit_course *c)
{
    return JOIN(a, c->code, " ", c->name);
}

/* "03709_马克思主义基本原理概论(84)", as seed 004 shows a passed course. */
static const char *pass_label(struct arena *a, const struct audit_pass *p)
{
    return JOIN(a, p->code, "_", p->name, "(", p->score, ")");
}

static const char *kind_text(enum audit_rule_kind k)
{
    switch (k) {
    case AUDIT_RULE_ONE_TO_ONE:
        return "一对一顶替";
    case AUDIT_RULE_ONE_TO_MANY:
        return "一门顶多门";
    case AUDIT_RULE_CHOOSE_ONE:
        return "任选一门顶替";
    case AUDIT_RULE_CREDIT_POOL:
        return "学分顶替";
    }
    return "顶替";
}

/* ---- names ----------------------------------------------------------- */

const char *audit_refusal_name(enum audit_refusal_code code)
{
    switch (code) {
    case AUDIT_REFUSE_RULE_UNKNOWN:
        return "RULE_UNKNOWN";
    case AUDIT_REFUSE_RULE_AUTOMATIC:
        return "RULE_AUTOMATIC";
    case AUDIT_REFUSE_RULE_TWICE:
        return "RULE_TWICE";
    case AUDIT_REFUSE_NOT_IN_RULE:
        return "NOT_IN_RULE";
    case AUDIT_REFUSE_CHOICE_NEEDED:
        return "CHOICE_NEEDED";
    case AUDIT_REFUSE_NOT_PASSED:
        return "NOT_PASSED";
    case AUDIT_REFUSE_TOO_EARLY:
        return "TOO_EARLY";
    case AUDIT_REFUSE_ALREADY_USED:
        return "ALREADY_USED";
    case AUDIT_REFUSE_TARGET_NOT_IN_PLAN:
        return "TARGET_NOT_IN_PLAN";
    case AUDIT_REFUSE_TARGET_MET:
        return "TARGET_MET";
    case AUDIT_REFUSE_TOO_FEW_CREDITS:
        return "TOO_FEW_CREDITS";
    }
    return "UNKNOWN";
}

const char *audit_reason_name(enum audit_reason_code code)
{
    switch (code) {
    case AUDIT_REASON_COMPLETE:
        return "COMPLETE";
    case AUDIT_REASON_COURSE_MISSING:
        return "COURSE_MISSING";
    case AUDIT_REASON_MODULE_CREDITS:
        return "MODULE_CREDITS";
    case AUDIT_REASON_TOTAL_CREDITS:
        return "TOTAL_CREDITS";
    case AUDIT_REASON_CHOICE_REFUSED:
        return "CHOICE_REFUSED";
    case AUDIT_REASON_HINT:
        return "HINT";
    case AUDIT_REASON_OLD_CARD:
        return "OLD_CARD";
    }
    return "UNKNOWN";
}

static const char *const rule_kind_names[] = {"one_to_one", "one_to_many", "choose_one",
                                              "credit_pool"};
static const char *const source_names[] = {"exam", "exemption", "old_card", "transfer"};

const char *audit_rule_kind_name(enum audit_rule_kind kind)
{
    return (unsigned)kind < 4 ? rule_kind_names[kind] : "unknown";
}

const char *audit_source_name(enum audit_source source)
{
    return (unsigned)source < 4 ? source_names[source] : "unknown";
}

int audit_rule_kind_parse(const char *name, enum audit_rule_kind *out)
{
    for (int i = 0; i < 4; i++) {
        if (name != NULL && strcmp(name, rule_kind_names[i]) == 0) {
            *out = (enum audit_rule_kind)i;
            return 0;
        }
    }
    return -EINVAL;
}

int audit_source_parse(const char *name, enum audit_source *out)
{
    for (int i = 0; i < 4; i++) {
        if (name != NULL && strcmp(name, source_names[i]) == 0) {
            *out = (enum audit_source)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- plan check ------------------------------------------------------ */

static int fail(char *err, size_t errlen, int rc, const char *fmt, const char *a, const char *b)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, fmt, a != NULL ? a : "(null)", b != NULL ? b : "(null)");
    return rc;
}

static const struct audit_course *plan_find(const struct audit_plan *plan, const char *code)
{
    for (size_t m = 0; m < plan->nmodules; m++)
        for (size_t c = 0; c < plan->modules[m].ncourses; c++)
            if (strcmp(plan->modules[m].courses[c].code, code) == 0)
                return &plan->modules[m].courses[c];
    return NULL;
}

static int check_codes(const char *const *codes, size_t n, const char *id, char *err, size_t errlen)
{
    uint64_t k;
    if (n > AUDIT_MAX_RULE_COURSES)
        return fail(err, errlen, -E2BIG, "rule %s lists too many courses%s", id, "");
    if (n > 0 && codes == NULL)
        return fail(err, errlen, -EINVAL, "rule %s: course list missing%s", id, "");
    for (size_t i = 0; i < n; i++)
        if (code_key(codes[i], &k) < 0)
            return fail(err, errlen, -EINVAL, "rule %s: bad course code '%s'", id, codes[i]);
    return 0;
}

int audit_plan_check(const struct audit_plan *plan, char *err, size_t errlen)
{
    if (plan == NULL || plan->major_code == NULL || plan->major_name == NULL)
        return fail(err, errlen, -EINVAL, "plan without major code or name%s%s", "", "");
    if (plan->nmodules > AUDIT_MAX_MODULES)
        return fail(err, errlen, -E2BIG, "too many modules in plan %s%s", plan->major_code, "");
    if (plan->nrules > AUDIT_MAX_RULES)
        return fail(err, errlen, -E2BIG, "too many rules in plan %s%s", plan->major_code, "");
    if (plan->min_total_credits < 0 || (plan->nmodules > 0 && plan->modules == NULL) ||
        (plan->nrules > 0 && plan->rules == NULL))
        return fail(err, errlen, -EINVAL, "plan %s is malformed%s", plan->major_code, "");
    size_t total = 0;
    for (size_t m = 0; m < plan->nmodules; m++) {
        const struct audit_module *mod = &plan->modules[m];
        if (mod->name == NULL || mod->min_credits < 0 || (mod->ncourses > 0 && !mod->courses))
            return fail(err, errlen, -EINVAL, "module %s is malformed%s", mod->name, "");
        total += mod->ncourses;
        if (total > AUDIT_MAX_COURSES)
            return fail(err, errlen, -E2BIG, "too many courses in plan %s%s", plan->major_code, "");
        for (size_t c = 0; c < mod->ncourses; c++) {
            const struct audit_course *co = &mod->courses[c];
            uint64_t k;
            if (code_key(co->code, &k) < 0)
                return fail(err, errlen, -EINVAL, "module %s: bad course code '%s'", mod->name,
                            co->code);
            if (co->name == NULL || co->credits < 0 || co->credits > 99)
                return fail(err, errlen, -EINVAL, "course %s: missing name or bad credits%s",
                            co->code, "");
            if (plan_find(plan, co->code) != co)
                return fail(err, errlen, -EINVAL, "course %s appears twice in the plan%s", co->code,
                            "");
        }
    }
    for (size_t r = 0; r < plan->nrules; r++) {
        const struct audit_rule *ru = &plan->rules[r];
        if (ru->id == NULL || ru->id[0] == '\0')
            return fail(err, errlen, -EINVAL, "rule without id%s%s", "", "");
        for (size_t q = 0; q < r; q++)
            if (strcmp(plan->rules[q].id, ru->id) == 0)
                return fail(err, errlen, -EINVAL, "rule id %s appears twice%s", ru->id, "");
        int rc = check_codes(ru->sources, ru->nsources, ru->id, err, errlen);
        if (rc == 0)
            rc = check_codes(ru->targets, ru->ntargets, ru->id, err, errlen);
        if (rc < 0)
            return rc;
        bool shape;
        switch (ru->kind) {
        case AUDIT_RULE_ONE_TO_ONE:
            shape = ru->nsources == 1 && ru->ntargets == 1;
            break;
        case AUDIT_RULE_ONE_TO_MANY:
            shape = ru->nsources == 1 && ru->ntargets >= 2;
            break;
        case AUDIT_RULE_CHOOSE_ONE:
            shape = ru->nsources >= 1 && ru->ntargets >= 1 && ru->nsources + ru->ntargets >= 3;
            break;
        case AUDIT_RULE_CREDIT_POOL:
            shape = ru->nsources == 0 && ru->ntargets == 1 && ru->min_credits > 0;
            break;
        default:
            shape = false;
        }
        if (!shape)
            return fail(err, errlen, -EINVAL, "rule %s does not have the shape of a %s rule",
                        ru->id, audit_rule_kind_name(ru->kind));
        if (ru->sources_from != 0 && !date_valid(ru->sources_from))
            return fail(err, errlen, -EINVAL, "rule %s: bad sources_from date%s", ru->id, "");
        bool any = false;
        for (size_t t = 0; t < ru->ntargets; t++) {
            any = any || plan_find(plan, ru->targets[t]) != NULL;
            for (size_t s = 0; s < ru->nsources; s++)
                if (strcmp(ru->sources[s], ru->targets[t]) == 0)
                    return fail(err, errlen, -EINVAL, "rule %s: %s replaces itself", ru->id,
                                ru->targets[t]);
        }
        if (!any)
            return fail(err, errlen, -EINVAL, "rule %s replaces no course of plan %s", ru->id,
                        plan->major_code);
    }
    return 0;
}

/* ---- engine ---------------------------------------------------------- */

static struct unit *unit_find(struct ctx *x, uint64_t key)
{
    for (size_t i = 0; i < x->nunits; i++)
        if (x->units[i].key == key)
            return &x->units[i];
    return NULL;
}

/* Best pass of u dated on/after from (0: any); NONE when there is none. */
static size_t unit_pick(const struct ctx *x, const struct unit *u, int from)
{
    if (from == 0)
        return u->best;
    size_t best = NONE;
    for (size_t p = u->first; p != NONE; p = x->next[p])
        if (x->passes[p].passed_on >= from && (best == NONE || pass_better(x->passes, p, best)))
            best = p;
    return best;
}

/* Index (flattened) of the plan course with this key, or NONE. */
static size_t course_find(const struct ctx *x, uint64_t key)
{
    for (size_t i = 0; i < x->out->ncourses; i++)
        if (x->course_key[i] == key)
            return i;
    return NONE;
}

static size_t *one_index(struct arena *a, size_t v)
{
    size_t *p = arena_alloc(a, sizeof(*p));
    *p = v;
    return p;
}

static void use_unit(struct unit *u, const char *use, bool soft, size_t course)
{
    u->course = course;
    u->used = true;
    u->soft = soft;
    u->use = use;
}

/* What a used unit was used for, for refusals and hints ("本专业计划课程 00230 合同法"). */
static const char *unit_use(const struct ctx *x, const struct unit *u)
{
    if (u->use != NULL)
        return u->use;
    const struct audit_course_result *cr = &x->out->courses[u->course];
    return JOIN(x->a, cr->state == AUDIT_COURSE_PASSED ? "本专业计划课程 " : "顶替 ",
                cr->course->code, " ", cr->course->name);
}

static void meet(struct ctx *x, size_t ci, enum audit_course_state st,
                 const struct audit_rule *rule, const size_t *passes, size_t npasses)
{
    struct audit_course_result *cr = &x->out->courses[ci];
    cr->state = st;
    cr->rule = rule;
    cr->passes = passes;
    cr->npasses = npasses;
    cr->credits = cr->course->credits;
    if (npasses == 1) {
        cr->by = pass_label(x->a, &x->passes[passes[0]]);
    } else {
        char *s = "";
        for (size_t i = 0; i < npasses; i++)
            s = arena_printf(x->a, "%s%s%s", s, i ? "、" : "",
                             pass_label(x->a, &x->passes[passes[i]]));
        cr->by = s;
    }
}

static void add_substitution(struct ctx *x, const struct audit_rule *rule, bool automatic,
                             const size_t *passes, size_t npasses,
                             const struct audit_course *const *targets, size_t ntargets)
{
    struct audit_substitution *s = &x->out->substitutions[x->out->nsubstitutions++];
    s->rule = rule;
    s->automatic = automatic;
    s->passes = passes;
    s->npasses = npasses;
    s->targets = targets;
    s->ntargets = ntargets;
    char *src = "", *tgt = "";
    for (size_t i = 0; i < npasses; i++)
        src = arena_printf(x->a, "%s%s%s %s", src, i ? "、" : "", x->passes[passes[i]].code,
                           x->passes[passes[i]].name ? x->passes[passes[i]].name : "");
    for (size_t i = 0; i < ntargets; i++)
        tgt = arena_printf(x->a, "%s%s%s", tgt, i ? "、" : "", course_label(x->a, targets[i]));
    s->message =
        arena_printf(x->a, "%s %s顶替 %s（规则%s，%s）", src, automatic ? "自动" : "按考生选择",
                     tgt, rule->id, kind_text(rule->kind));
}

/* Meets course ci through an automatic one-to-one rule if one applies. */
static bool try_one_to_one(struct ctx *x, size_t ci, bool soft)
{
    const struct audit_plan *plan = x->plan;
    for (size_t r = 0; r < plan->nrules; r++) {
        const struct audit_rule *ru = &plan->rules[r];
        if (ru->kind != AUDIT_RULE_ONE_TO_ONE || x->tgt_key[r][0] != x->course_key[ci])
            continue;
        struct unit *u = unit_find(x, x->src_key[r][0]);
        if (u == NULL || u->used)
            continue;
        size_t p = unit_pick(x, u, ru->sources_from);
        if (p == NONE)
            continue;
        const struct audit_course *c = x->out->courses[ci].course;
        use_unit(u, NULL, soft, ci);
        size_t *pp = one_index(x->a, p);
        meet(x, ci, AUDIT_COURSE_SUBSTITUTED, ru, pp, 1);
        const struct audit_course **t = arena_alloc(x->a, sizeof(*t));
        t[0] = c;
        add_substitution(x, ru, true, pp, 1, t, 1);
        return true;
    }
    return false;
}

static void meet_direct(struct ctx *x, size_t ci, bool soft)
{
    struct unit *u = unit_find(x, x->course_key[ci]);
    if (u == NULL || u->used)
        return;
    use_unit(u, NULL, soft, ci);
    meet(x, ci, AUDIT_COURSE_PASSED, NULL, one_index(x->a, u->best), 1);
}

static void refuse(struct ctx *x, size_t choice, enum audit_refusal_code code, const char *course,
                   const char *message)
{
    struct audit_refusal *r = &x->out->refusals[x->out->nrefusals++];
    r->choice = choice;
    r->code = code;
    r->course = course;
    r->message = message;
}

static bool key_in(const uint64_t *keys, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i] == k)
            return true;
    return false;
}

/* Checks one chosen substitution and applies it, or records why not. */
static void apply_choice(struct ctx *x, size_t ci, const struct audit_choice *ch)
{
    const struct audit_plan *plan = x->plan;
    struct arena *a = x->a;
    size_t r = NONE;
    for (size_t i = 0; i < plan->nrules; i++)
        if (strcmp(plan->rules[i].id, ch->rule_id) == 0)
            r = i;
    if (r == NONE) {
        refuse(x, ci, AUDIT_REFUSE_RULE_UNKNOWN, NULL,
               arena_printf(a, "顶替规则「%s」不适用于专业 %s_%s 的本计划", ch->rule_id,
                            plan->major_code, plan->major_name));
        return;
    }
    const struct audit_rule *ru = &plan->rules[r];
    if (ru->kind == AUDIT_RULE_ONE_TO_ONE) {
        refuse(x, ci, AUDIT_REFUSE_RULE_AUTOMATIC, ru->targets[0],
               arena_printf(a, "规则%s 是一对一顶替，由系统自动完成，无需手动添加", ru->id));
        return;
    }
    if (x->rule_chosen[r]) {
        refuse(x, ci, AUDIT_REFUSE_RULE_TWICE, NULL,
               arena_printf(a, "顶替规则%s 已经选择过一次，不能重复使用", ru->id));
        return;
    }

    /* Sources and targets, as keys and code texts. */
    uint64_t skey[AUDIT_MAX_RULE_COURSES], tkey[AUDIT_MAX_RULE_COURSES];
    const char *scode[AUDIT_MAX_RULE_COURSES], *tcode[AUDIT_MAX_RULE_COURSES];
    size_t ns = 0, nt = 0;
    if (ch->nsources > AUDIT_MAX_RULE_COURSES || (ch->nsources > 0 && ch->sources == NULL)) {
        refuse(x, ci, AUDIT_REFUSE_NOT_IN_RULE, NULL,
               arena_printf(a, "顶替规则%s 所选课程过多或缺失", ru->id));
        return;
    }
    for (size_t i = 0; i < ch->nsources; i++) {
        uint64_t k;
        if (code_key(ch->sources[i], &k) < 0) {
            refuse(x, ci, AUDIT_REFUSE_NOT_PASSED, ch->sources[i],
                   arena_printf(a, "课程代码「%s」无效", ch->sources[i]));
            return;
        }
        if (ru->kind != AUDIT_RULE_CREDIT_POOL && !key_in(x->src_key[r], ru->nsources, k)) {
            refuse(x, ci, AUDIT_REFUSE_NOT_IN_RULE, ch->sources[i],
                   arena_printf(a, "课程 %s 不在顶替规则%s（%s）的新计划课程之列", ch->sources[i],
                                ru->id, kind_text(ru->kind)));
            return;
        }
        if (key_in(skey, ns, k)) {
            refuse(
                x, ci, AUDIT_REFUSE_ALREADY_USED, ch->sources[i],
                arena_printf(a, "课程 %s 被重复选择：同一门合格课程只能使用一次", ch->sources[i]));
            return;
        }
        skey[ns] = k;
        scode[ns++] = ch->sources[i];
    }
    if (ch->target != NULL) {
        uint64_t k;
        if (code_key(ch->target, &k) < 0 || !key_in(x->tgt_key[r], ru->ntargets, k)) {
            refuse(x, ci, AUDIT_REFUSE_NOT_IN_RULE, ch->target,
                   arena_printf(a, "课程 %s 不是顶替规则%s 可以顶替的课程", ch->target, ru->id));
            return;
        }
    }
    switch (ru->kind) {
    case AUDIT_RULE_ONE_TO_MANY:
        if (ns == 0) {
            skey[0] = x->src_key[r][0];
            scode[0] = ru->sources[0];
            ns = 1;
        }
        for (size_t t = 0; t < ru->ntargets; t++) {
            tkey[nt] = x->tgt_key[r][t];
            tcode[nt++] = ru->targets[t];
        }
        break;
    case AUDIT_RULE_CHOOSE_ONE:
        if (ns > 1) {
            refuse(x, ci, AUDIT_REFUSE_NOT_IN_RULE, scode[1],
                   arena_printf(a, "顶替规则%s 为任选一门顶替，只能选择一门新计划课程", ru->id));
            return;
        }
        if (ns == 0 && ru->nsources == 1) {
            skey[0] = x->src_key[r][0];
            scode[0] = ru->sources[0];
            ns = 1;
        }
        if (ns == 0 || (ch->target == NULL && ru->ntargets > 1)) {
            refuse(x, ci, AUDIT_REFUSE_CHOICE_NEEDED, NULL,
                   arena_printf(a, "顶替规则%s 为任选一门顶替，请选择%s", ru->id,
                                ns == 0 ? "用于顶替的新计划课程" : "要顶替的旧计划课程"));
            return;
        }
        tcode[0] = ch->target != NULL ? ch->target : ru->targets[0];
        code_key(tcode[0], &tkey[0]);
        nt = 1;
        break;
    case AUDIT_RULE_CREDIT_POOL:
        tkey[0] = x->tgt_key[r][0];
        tcode[0] = ru->targets[0];
        nt = 1;
        break;
    case AUDIT_RULE_ONE_TO_ONE:
        return; /* refused above */
    }

    /* Targets: in the plan and not met already. */
    size_t tci[AUDIT_MAX_RULE_COURSES];
    size_t ntci = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t c = course_find(x, tkey[t]);
        if (c == NONE) {
            if (nt == 1 || ru->kind == AUDIT_RULE_CHOOSE_ONE) {
                refuse(x, ci, AUDIT_REFUSE_TARGET_NOT_IN_PLAN, tcode[t],
                       arena_printf(a, "课程 %s 不在本专业计划中，无需顶替", tcode[t]));
                return;
            }
            continue; /* one-to-many: targets outside this plan are ignored */
        }
        const struct audit_course_result *cr = &x->out->courses[c];
        if (cr->state != AUDIT_COURSE_MISSING) {
            refuse(x, ci, AUDIT_REFUSE_TARGET_MET, tcode[t],
                   arena_printf(a, "%s 已由 %s 满足，无需再按规则%s 顶替",
                                course_label(a, cr->course), cr->by, ru->id));
            return;
        }
        tci[ntci++] = c;
    }
    if (ntci == 0) {
        refuse(x, ci, AUDIT_REFUSE_TARGET_NOT_IN_PLAN, NULL,
               arena_printf(a, "规则%s 顶替的课程都不在本专业计划中", ru->id));
        return;
    }

    /* Sources: passed, new enough, unused. */
    size_t pick[AUDIT_MAX_RULE_COURSES];
    struct unit *units[AUDIT_MAX_RULE_COURSES];
    int credits = 0;
    for (size_t s = 0; s < ns; s++) {
        struct unit *u = unit_find(x, skey[s]);
        if (u == NULL) {
            refuse(x, ci, AUDIT_REFUSE_NOT_PASSED, scode[s],
                   arena_printf(a, "课程 %s 不在您的合格成绩中，不能用于顶替", scode[s]));
            return;
        }
        if (key_in(tkey, nt, skey[s])) {
            refuse(x, ci, AUDIT_REFUSE_NOT_IN_RULE, scode[s],
                   arena_printf(a, "课程 %s 不能顶替它自己", scode[s]));
            return;
        }
        if (u->used) {
            refuse(x, ci, AUDIT_REFUSE_ALREADY_USED, scode[s],
                   arena_printf(a, "课程 %s 已用于%s，同一门合格课程只能使用一次", scode[s],
                                unit_use(x, u)));
            return;
        }
        size_t p = unit_pick(x, u, ru->sources_from);
        if (p == NONE) {
            refuse(x, ci, AUDIT_REFUSE_TOO_EARLY, scode[s],
                   arena_printf(a,
                                "课程 %s 于 %s 合格，早于 %s，不属于新计划合格课程，"
                                "不能按规则%s 顶替",
                                scode[s], date_text(a, x->passes[u->best].passed_on),
                                date_text(a, ru->sources_from), ru->id));
            return;
        }
        pick[s] = p;
        units[s] = u;
        credits += x->passes[p].credits;
    }
    if (ru->kind == AUDIT_RULE_CREDIT_POOL && credits < ru->min_credits) {
        const struct audit_course_result *cr = &x->out->courses[tci[0]];
        refuse(x, ci, AUDIT_REFUSE_TOO_FEW_CREDITS, tcode[0],
               arena_printf(a, "所选课程合计 %d 学分，顶替 %s 至少需要 %d 学分，还差 %d 学分",
                            credits, course_label(a, cr->course), ru->min_credits,
                            ru->min_credits - credits));
        return;
    }

    /* Apply. */
    size_t *pp = arena_alloc(a, sizeof(*pp) * ns);
    const struct audit_course **targets = arena_alloc(a, sizeof(*targets) * (ntci ? ntci : 1));
    char *tl = "";
    for (size_t t = 0; t < ntci; t++) {
        targets[t] = x->out->courses[tci[t]].course;
        tl = arena_printf(a, "%s%s%s", tl, t ? "、" : "", course_label(a, targets[t]));
    }
    const char *use = arena_printf(a, "顶替 %s（规则%s）", tl, ru->id);
    for (size_t s = 0; s < ns; s++) {
        pp[s] = pick[s];
        use_unit(units[s], use, false, NONE);
    }
    for (size_t t = 0; t < ntci; t++)
        meet(x, tci[t], AUDIT_COURSE_CHOSEN, ru, pp, ns);
    x->rule_chosen[r] = true;
    add_substitution(x, ru, false, pp, ns, targets, ntci);
}

static void add_reason(struct ctx *x, enum audit_reason_code code, const char *module,
                       const char *course, const char *message)
{
    struct audit_reason *r = &x->out->reasons[x->out->nreasons++];
    r->code = code;
    r->module = module;
    r->course = course;
    r->message = message;
}

/* True when the elective unit u meets could leave its module without the
 * module falling below its minimum credits. */
static bool module_can_spare(const struct ctx *x, const struct unit *u)
{
    if (u->course == NONE)
        return false;
    const struct audit_course_result *cr = &x->out->courses[u->course];
    const struct audit_module_result *mr = &x->out->modules[cr->module];
    return mr->credits - cr->credits >= mr->module->min_credits;
}

/* Hints for a missing required course: substitutions the candidate could use. */
static void hint_course(struct ctx *x, size_t ci, const char *module)
{
    const struct audit_plan *plan = x->plan;
    struct arena *a = x->a;
    const struct audit_course *c = x->out->courses[ci].course;
    const char *cl = course_label(a, c);
    for (size_t r = 0; r < plan->nrules; r++) {
        const struct audit_rule *ru = &plan->rules[r];
        if (!key_in(x->tgt_key[r], ru->ntargets, x->course_key[ci]))
            continue;
        if (ru->kind == AUDIT_RULE_CREDIT_POOL) {
            int free_credits = 0, soft_credits = 0;
            char *list = "", *soft = "";
            for (size_t u = 0; u < x->nunits; u++) {
                const struct audit_pass *p = &x->passes[x->units[u].best];
                if (x->units[u].used && (!x->units[u].soft || !module_can_spare(x, &x->units[u])))
                    continue;
                char **l = x->units[u].used ? &soft : &list;
                *(x->units[u].used ? &soft_credits : &free_credits) += p->credits;
                *l = arena_printf(a, "%s%s%s %s(%d学分)", *l, (*l)[0] ? "、" : "", p->code,
                                  p->name ? p->name : "", p->credits);
            }
            if (soft[0] != '\0')
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "已计入选修模块、但该模块学分有余的 %s（共 %d "
                                        "学分）也可选作顶替 %s",
                                        soft, soft_credits, cl));
            if (free_credits >= ru->min_credits)
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "可按规则%s 选择未使用的合格课程（合计不少于 %d "
                                        "学分）顶替 %s。您未使用的合格课程：%s，合计 %d 学分",
                                        ru->id, ru->min_credits, cl, list, free_credits));
            else
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "顶替 %s 需要未使用的合格课程合计不少于 %d 学分，"
                                        "您目前只有 %d 学分%s%s，还差 %d 学分",
                                        cl, ru->min_credits, free_credits, list[0] ? "：" : "",
                                        list, ru->min_credits - free_credits));
            continue;
        }
        for (size_t s = 0; s < ru->nsources; s++) {
            struct unit *u = unit_find(x, x->src_key[r][s]);
            if (u == NULL)
                continue;
            const struct audit_pass *bp = &x->passes[u->best];
            size_t p = unit_pick(x, u, ru->sources_from);
            if (p == NONE) {
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "%s %s 于 %s 合格，早于 %s，不属于新计划合格课程，"
                                        "不能按规则%s 顶替 %s",
                                        bp->code, bp->name ? bp->name : "",
                                        date_text(a, bp->passed_on), date_text(a, ru->sources_from),
                                        ru->id, cl));
            } else if (u->used && !u->soft) {
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a, "%s %s 可按规则%s 顶替 %s，但它已用于%s", bp->code,
                                        bp->name ? bp->name : "", ru->id, cl, unit_use(x, u)));
            } else if (u->used) {
                bool spare = module_can_spare(x, u);
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "您已合格的 %s %s 可按规则%s（%s）顶替 %s，请手动添加；"
                                        "添加后它不再计入模块「%s」%s",
                                        bp->code, bp->name ? bp->name : "", ru->id,
                                        kind_text(ru->kind), cl,
                                        x->plan->modules[x->out->courses[u->course].module].name,
                                        spare ? "（该模块学分仍然足够）" : "，该模块将缺少学分"));
            } else if (ru->kind != AUDIT_RULE_ONE_TO_ONE) {
                add_reason(x, AUDIT_REASON_HINT, module, c->code,
                           arena_printf(a,
                                        "您已合格的 %s %s 可按规则%s（%s）顶替 %s，"
                                        "请在“新计划顶替课程”中手动添加",
                                        bp->code, bp->name ? bp->name : "", ru->id,
                                        kind_text(ru->kind), cl));
            }
        }
    }
}

static void explain(struct ctx *x)
{
    const struct audit_plan *plan = x->plan;
    struct audit_result *out = x->out;
    struct arena *a = x->a;

    for (size_t i = 0; i < out->nrefusals; i++)
        add_reason(x, AUDIT_REASON_CHOICE_REFUSED, NULL, out->refusals[i].course,
                   arena_printf(a, "顶替申请未被接受：%s", out->refusals[i].message));
    int explained = 0; /* credits the reasons above already ask for */
    for (size_t m = 0; m < out->nmodules; m++) {
        const struct audit_module_result *mr = &out->modules[m];
        int missing_required_credits = 0;
        for (size_t c = mr->first_course; c < mr->first_course + mr->ncourses; c++) {
            const struct audit_course_result *cr = &out->courses[c];
            if (cr->state != AUDIT_COURSE_MISSING || cr->course->elective)
                continue;
            missing_required_credits += cr->course->credits;
            add_reason(x, AUDIT_REASON_COURSE_MISSING, mr->module->name, cr->course->code,
                       arena_printf(a, "模块「%s」缺少必考课程 %s（%d学分），尚未合格",
                                    mr->module->name, course_label(a, cr->course),
                                    cr->course->credits));
        }
        explained += missing_required_credits;
        if (mr->credits + missing_required_credits < mr->module->min_credits) {
            explained += mr->module->min_credits - mr->credits - missing_required_credits;
            char *list = "";
            for (size_t c = mr->first_course; c < mr->first_course + mr->ncourses; c++) {
                const struct audit_course_result *cr = &out->courses[c];
                if (cr->state == AUDIT_COURSE_MISSING && cr->course->elective)
                    list = arena_printf(a, "%s%s%s(%d学分)", list, list[0] ? "、" : "",
                                        course_label(a, cr->course), cr->course->credits);
            }
            add_reason(x, AUDIT_REASON_MODULE_CREDITS, mr->module->name, NULL,
                       arena_printf(a,
                                    "模块「%s」至少需要 %d 学分，已获得 %d 学分，还差 %d 学分%s%s",
                                    mr->module->name, mr->module->min_credits, mr->credits,
                                    mr->module->min_credits - mr->credits,
                                    list[0] ? "；可选考课程：" : "", list));
        }
    }
    /* The total is reported only when the missing courses and module credits
     * above do not already account for its shortfall. */
    if (out->total_credits + explained < plan->min_total_credits)
        add_reason(x, AUDIT_REASON_TOTAL_CREDITS, NULL, NULL,
                   arena_printf(a, "毕业总学分至少需要 %d 学分，已获得 %d 学分，还差 %d 学分",
                                plan->min_total_credits, out->total_credits,
                                plan->min_total_credits - out->total_credits));
    size_t nfail = out->nreasons;
    if (nfail == 0) {
        out->complete = true;
        out->verdict = arena_printf(a, "专业：%s_%s 已完成毕业所需课程，可以申请毕业！",
                                    plan->major_code, plan->major_name);
        add_reason(x, AUDIT_REASON_COMPLETE, NULL, NULL, out->verdict);
    } else {
        out->verdict = arena_printf(a,
                                    "专业：%s_%s 尚未完成毕业所需课程（%zu 项未满足），"
                                    "请查看未完成原因",
                                    plan->major_code, plan->major_name, nfail);
    }
    for (size_t m = 0; m < out->nmodules; m++) {
        const struct audit_module_result *mr = &out->modules[m];
        for (size_t c = mr->first_course; c < mr->first_course + mr->ncourses; c++)
            if (out->courses[c].state == AUDIT_COURSE_MISSING && !out->courses[c].course->elective)
                hint_course(x, c, mr->module->name);
    }
    for (size_t i = 0; i < out->npasses; i++) {
        const struct audit_pass *p = &x->passes[i];
        bool counted =
            out->passes[i].use == AUDIT_USE_DIRECT || out->passes[i].use == AUDIT_USE_SUBSTITUTE;
        if (counted && p->source == AUDIT_SOURCE_OLD_CARD)
            add_reason(x, AUDIT_REASON_OLD_CARD, NULL, p->code,
                       arena_printf(a,
                                    "%s %s 为旧计划合格证（红卡/绿卡）成绩：请上传扫描件压缩包，"
                                    "并在规定时间内将原件与《毕业生登记表》一并交回县（市、区）"
                                    "自考部门",
                                    p->code, p->name ? p->name : ""));
    }
}

int audit_run(const struct audit_plan *plan, const struct audit_pass *passes, size_t npasses,
              const struct audit_choice *choices, size_t nchoices, struct arena *arena,
              struct audit_result *out)
{
    int rc = audit_plan_check(plan, NULL, 0);
    if (rc < 0)
        return rc;
    if (npasses > AUDIT_MAX_PASSES || nchoices > AUDIT_MAX_CHOICES)
        return -E2BIG;
    if ((npasses > 0 && passes == NULL) || (nchoices > 0 && choices == NULL) || arena == NULL ||
        out == NULL)
        return -EINVAL;
    for (size_t i = 0; i < nchoices; i++)
        if (choices[i].rule_id == NULL)
            return -EINVAL;

    struct ctx x = {.plan = plan, .passes = passes, .npasses = npasses, .a = arena, .out = out};
    memset(out, 0, sizeof(*out));

    /* Units: passes grouped by course code. */
    x.units = arena_alloc(arena, sizeof(*x.units) * (npasses ? npasses : 1));
    x.pass_unit = arena_alloc(arena, sizeof(size_t) * (npasses ? npasses : 1));
    x.next = arena_alloc(arena, sizeof(size_t) * (npasses ? npasses : 1));
    size_t *last = arena_alloc(arena, sizeof(size_t) * (npasses ? npasses : 1));
    for (size_t i = 0; i < npasses; i++) {
        uint64_t k;
        const struct audit_pass *p = &passes[i];
        if (code_key(p->code, &k) < 0 || !date_valid(p->passed_on) || p->credits < 0 ||
            p->credits > 99 || (unsigned)p->source > AUDIT_SOURCE_TRANSFER)
            return -EINVAL;
        x.next[i] = NONE;
        struct unit *u = unit_find(&x, k);
        if (u == NULL) {
            u = &x.units[x.nunits];
            last[x.nunits++] = i;
            *u = (struct unit){.key = k, .first = i, .best = i, .course = NONE};
        } else {
            size_t ui = (size_t)(u - x.units);
            x.next[last[ui]] = i;
            last[ui] = i;
            if (pass_better(passes, i, u->best))
                u->best = i;
        }
        x.pass_unit[i] = (size_t)(u - x.units);
    }

    /* Plan courses, flattened in plan order. */
    size_t ncourses = 0;
    for (size_t m = 0; m < plan->nmodules; m++)
        ncourses += plan->modules[m].ncourses;
    out->nmodules = plan->nmodules;
    out->modules =
        arena_calloc(arena, sizeof(*out->modules) * (plan->nmodules ? plan->nmodules : 1));
    out->ncourses = ncourses;
    out->courses = arena_calloc(arena, sizeof(*out->courses) * (ncourses ? ncourses : 1));
    x.course_key = arena_alloc(arena, sizeof(uint64_t) * (ncourses ? ncourses : 1));
    for (size_t m = 0, ci = 0; m < plan->nmodules; m++) {
        out->modules[m].module = &plan->modules[m];
        out->modules[m].first_course = ci;
        out->modules[m].ncourses = plan->modules[m].ncourses;
        for (size_t c = 0; c < plan->modules[m].ncourses; c++, ci++) {
            out->courses[ci].course = &plan->modules[m].courses[c];
            out->courses[ci].module = m;
            code_key(plan->modules[m].courses[c].code, &x.course_key[ci]);
        }
    }
    size_t nr = plan->nrules ? plan->nrules : 1;
    x.src_key = arena_alloc(arena, sizeof(*x.src_key) * nr);
    x.tgt_key = arena_alloc(arena, sizeof(*x.tgt_key) * nr);
    x.rule_chosen = arena_calloc(arena, sizeof(bool) * nr);
    for (size_t r = 0; r < plan->nrules; r++) {
        const struct audit_rule *ru = &plan->rules[r];
        x.src_key[r] = arena_alloc(arena, sizeof(uint64_t) * (ru->nsources + 1));
        x.tgt_key[r] = arena_alloc(arena, sizeof(uint64_t) * (ru->ntargets + 1));
        for (size_t s = 0; s < ru->nsources; s++)
            code_key(ru->sources[s], &x.src_key[r][s]);
        for (size_t t = 0; t < ru->ntargets; t++)
            code_key(ru->targets[t], &x.tgt_key[r][t]);
    }
    /* Each substitution meets at least one course; refusals at most one per choice. */
    out->substitutions = arena_alloc(arena, sizeof(*out->substitutions) * (ncourses + 1));
    out->refusals = arena_alloc(arena, sizeof(*out->refusals) * (nchoices + 1));

    /* 1-2: required courses, by the same code, then automatic one-to-one. */
    for (size_t ci = 0; ci < ncourses; ci++)
        if (!out->courses[ci].course->elective)
            meet_direct(&x, ci, false);
    for (size_t ci = 0; ci < ncourses; ci++)
        if (!out->courses[ci].course->elective && out->courses[ci].state == AUDIT_COURSE_MISSING)
            try_one_to_one(&x, ci, false);
    /* 3: the candidate's choices, in order. */
    for (size_t i = 0; i < nchoices; i++)
        apply_choice(&x, i, &choices[i]);
    /* 4: electives take what is left. */
    for (size_t ci = 0; ci < ncourses; ci++) {
        if (!out->courses[ci].course->elective || out->courses[ci].state != AUDIT_COURSE_MISSING)
            continue;
        meet_direct(&x, ci, true);
        if (out->courses[ci].state == AUDIT_COURSE_MISSING)
            try_one_to_one(&x, ci, true);
    }
    /* 5: modules and total. */
    for (size_t m = 0; m < out->nmodules; m++) {
        struct audit_module_result *mr = &out->modules[m];
        for (size_t c = mr->first_course; c < mr->first_course + mr->ncourses; c++) {
            mr->credits += out->courses[c].credits;
            if (out->courses[c].state == AUDIT_COURSE_MISSING && !out->courses[c].course->elective)
                mr->missing_required++;
        }
        mr->missing_credits =
            mr->credits < mr->module->min_credits ? mr->module->min_credits - mr->credits : 0;
        mr->satisfied = mr->missing_required == 0 && mr->missing_credits == 0;
        out->total_credits += mr->credits;
    }
    /* Pass usage, the 是否使用 column. */
    out->npasses = npasses;
    out->passes = arena_calloc(arena, sizeof(*out->passes) * (npasses ? npasses : 1));
    for (size_t ci = 0; ci < ncourses; ci++) {
        const struct audit_course_result *cr = &out->courses[ci];
        for (size_t k = 0; k < cr->npasses; k++) {
            struct audit_pass_result *pr = &out->passes[cr->passes[k]];
            if (pr->use != AUDIT_USE_NONE)
                continue;
            pr->use = cr->state == AUDIT_COURSE_PASSED ? AUDIT_USE_DIRECT : AUDIT_USE_SUBSTITUTE;
            pr->course = cr->course;
            pr->rule = cr->rule;
        }
    }
    for (size_t i = 0; i < npasses; i++)
        if (out->passes[i].use == AUDIT_USE_NONE && x.units[x.pass_unit[i]].used)
            out->passes[i].use = AUDIT_USE_DUPLICATE;

    /* Reasons, at most: one per refusal, missing course, module, pass (old
     * card notice), the total and the verdict, and per rule target up to
     * nsources + 2 hints. */
    size_t cap = nchoices + ncourses + out->nmodules + npasses + 2;
    for (size_t r = 0; r < plan->nrules; r++)
        cap += plan->rules[r].ntargets * (plan->rules[r].nsources + 2);
    out->reasons = arena_alloc(arena, sizeof(*out->reasons) * cap);
    explain(&x);
    return 0;
}
