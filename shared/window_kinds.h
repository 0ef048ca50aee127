/*
 * window_kinds.h - the one list of business window kinds (报名, 准考证打印,
 * 转考, 免考, 毕业申请 ...) and the terms their windows belong to.
 *
 * A window is an instance (the `windows` table, schema/0011): a kind, a term,
 * a name and its dates, edited with `zikaoctl windows`. Which kinds exist is
 * code: the flows that check a window name its kind, so zikaoctl refuses a
 * kind not listed here and the API shows candidates exactly these, in this
 * order. The database keeps the same list in the CHECK windows_kind_term
 * (schema/0011_window_instances.sql); a test proves the two agree, so a new
 * kind is one more entry in window_kinds.c and a migration that widens that
 * CHECK.
 *
 * A term says which exam sitting or half-year a window belongs to, as the
 * office's notices name them ("2027年4月…报名", "2026年下半年…免考申请"):
 *   WINDOW_TERM_SITTING    "YYYY-MM", the month of the sitting: 2027-04
 *   WINDOW_TERM_HALF_YEAR  "YYYY-1" (上半年) or "YYYY-2" (下半年): 2026-2
 * A kind has one window per term.
 */
#ifndef ZK_WINDOW_KINDS_H
#define ZK_WINDOW_KINDS_H

#include <stdbool.h>
#include <stddef.h>

enum window_term {
    WINDOW_TERM_SITTING,   /* "YYYY-MM": the exam sitting the window serves */
    WINDOW_TERM_HALF_YEAR, /* "YYYY-1" / "YYYY-2": the half-year it belongs to */
};

struct window_kind {
    const char *kind;      /* stable identifier, the `windows.kind` column */
    const char *name;      /* the Chinese name of the kind (the portal's entry) */
    enum window_term term; /* what its windows' `term` names */
};

extern const struct window_kind window_kinds[];
extern const size_t window_kinds_count;

/* The listed kind of this identifier, or NULL. */
const struct window_kind *window_kind_find(const char *kind);

/*
 * Whether term is written as this kind's terms are: "2027-04" for a sitting
 * (year 2000-2099, month 01-12), "2026-1" or "2026-2" for a half-year.
 */
bool window_term_valid(const struct window_kind *k, const char *term);

/* How a term of this style is written, for messages: "YYYY-MM, the month of
 * the exam sitting, e.g. 2027-04". A static string. */
const char *window_term_format(enum window_term term);

/*
 * Writes the name a window of kind k for term gets unless the operator gives
 * another: "2027年4月理论课程报名", "2026年下半年毕业申请". Returns 0,
 * -EINVAL when the term is not valid for the kind (out is then ""), or
 * -ENOSPC (out then holds what fitted).
 */
int window_default_name(const struct window_kind *k, const char *term, char *out, size_t outsz);

enum window_kinds_field {
    WINDOW_KINDS_KIND, /* the identifiers */
    WINDOW_KINDS_NAME, /* the Chinese names */
};

/*
 * Writes one field of every listed kind, in list order, as a PostgreSQL array
 * literal into out (NUL-terminated), each element quoted:
 * {"theory_registration","practical_registration",...}. Returns 0, or
 * -ENOSPC (out is then "{}").
 */
int window_kinds_pg_array(char *out, size_t outsz, enum window_kinds_field field);

#endif
