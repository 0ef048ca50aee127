/*
 * window_kinds.h - the one list of business window kinds (报名, 转考, 免考,
 * 毕业申请 ...). A window's dates are data (the `windows` table, edited with
 * `zikaoctl windows`); which kinds exist is code: the flows that check a
 * window name it, so `zikaoctl windows set` refuses a kind not listed here and
 * the API shows candidates only listed kinds. A new kind is one more entry in
 * window_kinds.c (and, to be open by default, a row in a migration).
 */
#ifndef ZK_WINDOW_KINDS_H
#define ZK_WINDOW_KINDS_H

#include <stddef.h>

struct window_kind {
    const char *kind; /* stable identifier, the `windows.kind` column */
    const char *name; /* the Chinese name candidates see unless the operator set another */
};

extern const struct window_kind window_kinds[];
extern const size_t window_kinds_count;

/* The listed kind of this identifier, or NULL. */
const struct window_kind *window_kind_find(const char *kind);

/*
 * Writes the identifiers separated by sep into out (NUL-terminated), e.g.
 * "theory_registration,practical_registration,..." with sep ",". Returns 0,
 * or -ENOSPC (out then holds what fitted).
 */
int window_kinds_join(char *out, size_t outsz, const char *sep);

#endif
