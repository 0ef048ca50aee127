/*
 * window_kinds.c - the list of business window kinds and the writing of
 * their terms (see window_kinds.h). The database's copy of the list is the
 * CHECK windows_kind_term of schema/0011_window_instances.sql.
 */
#include "window_kinds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct window_kind window_kinds[] = {
    {"theory_registration", "理论课程报名", WINDOW_TERM_SITTING},
    {"practical_registration", "实践课程报名", WINDOW_TERM_SITTING},
    {"ticket_printing", "准考证打印", WINDOW_TERM_SITTING},
    {"results_publication", "当次成绩查询", WINDOW_TERM_SITTING},
    {"transfer_in_province", "省内转考", WINDOW_TERM_HALF_YEAR},
    {"transfer_out", "转出省外", WINDOW_TERM_HALF_YEAR},
    {"exemption", "免考申请", WINDOW_TERM_HALF_YEAR},
    {"graduation", "毕业申请", WINDOW_TERM_HALF_YEAR},
};

const size_t window_kinds_count = sizeof(window_kinds) / sizeof(window_kinds[0]);

const struct window_kind *window_kind_find(const char *kind)
{
    for (size_t i = 0; kind != NULL && i < window_kinds_count; i++)
        if (strcmp(window_kinds[i].kind, kind) == 0)
            return &window_kinds[i];
    return NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "20YY-": the year of a term, 2000-2099. */
static bool term_year_valid(const char *term)
{
    return term[0] == '2' && term[1] == '0' && is_digit(term[2]) && is_digit(term[3]) &&
           term[4] == '-';
}

bool window_term_valid(const struct window_kind *k, const char *term)
{
    if (k == NULL || term == NULL)
        return false;
    size_t len = strlen(term);
    if (k->term == WINDOW_TERM_SITTING)
        return len == 7 && term_year_valid(term) &&
               ((term[5] == '0' && term[6] >= '1' && term[6] <= '9') ||
                (term[5] == '1' && term[6] >= '0' && term[6] <= '2'));
    return len == 6 && term_year_valid(term) && (term[5] == '1' || term[5] == '2');
}

const char *window_term_format(enum window_term term)
{
    return term == WINDOW_TERM_SITTING
               ? "YYYY-MM, the month of the exam sitting, e.g. 2027-04"
               : "YYYY-1 or YYYY-2, the first or second half-year (上半年, 下半年), e.g. 2026-2";
}

int window_default_name(const struct window_kind *k, const char *term, char *out, size_t outsz)
{
    if (outsz == 0)
        return -ENOSPC;
    out[0] = '\0';
    if (!window_term_valid(k, term))
        return -EINVAL;
    int n;
    if (k->term == WINDOW_TERM_SITTING)
        n = snprintf(out, outsz, "%.4s年%d月%s", term, (term[5] - '0') * 10 + (term[6] - '0'),
                     k->name);
    else
        n = snprintf(out, outsz, "%.4s年%s半年%s", term, term[5] == '1' ? "上" : "下", k->name);
    return n < 0 || (size_t)n >= outsz ? -ENOSPC : 0;
}

int window_kinds_pg_array(char *out, size_t outsz, enum window_kinds_field field)
{
    size_t used = 0;
    if (outsz < 3)
        return -ENOSPC;
    out[used++] = '{';
    for (size_t i = 0; i < window_kinds_count; i++) {
        const char *s = field == WINDOW_KINDS_KIND ? window_kinds[i].kind : window_kinds[i].name;
        /* Each element in double quotes, with '"' and '\' escaped: ",{} " need nothing more. */
        size_t need = (i > 0) + 2 + 1; /* separator, quotes, closing brace */
        for (const char *p = s; *p != '\0'; p++)
            need += (*p == '"' || *p == '\\') ? 2 : 1;
        if (used + need >= outsz) {
            snprintf(out, outsz, "{}");
            return -ENOSPC;
        }
        if (i > 0)
            out[used++] = ',';
        out[used++] = '"';
        for (const char *p = s; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                out[used++] = '\\';
            out[used++] = *p;
        }
        out[used++] = '"';
    }
    out[used++] = '}';
    out[used] = '\0';
    return 0;
}
