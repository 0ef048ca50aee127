/*
 * window_kinds.c - the list of business window kinds (see window_kinds.h).
 * The six kinds schema/0003_accounts.sql seeds.
 */
#include "window_kinds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct window_kind window_kinds[] = {
    {"theory_registration", "理论课程报名"},
    {"practical_registration", "实践课程报名"},
    {"transfer_in_province", "省内转考"},
    {"transfer_out", "转出省外"},
    {"exemption", "免考申请"},
    {"graduation", "毕业申请"},
};

const size_t window_kinds_count = sizeof(window_kinds) / sizeof(window_kinds[0]);

const struct window_kind *window_kind_find(const char *kind)
{
    for (size_t i = 0; kind != NULL && i < window_kinds_count; i++)
        if (strcmp(window_kinds[i].kind, kind) == 0)
            return &window_kinds[i];
    return NULL;
}

int window_kinds_join(char *out, size_t outsz, const char *sep)
{
    size_t used = 0;
    if (outsz == 0)
        return -ENOSPC;
    out[0] = '\0';
    for (size_t i = 0; i < window_kinds_count; i++) {
        int n = snprintf(out + used, outsz - used, "%s%s", i > 0 ? sep : "", window_kinds[i].kind);
        if (n < 0 || (size_t)n >= outsz - used)
            return -ENOSPC;
        used += (size_t)n;
    }
    return 0;
}
