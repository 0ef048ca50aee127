/*
 * mask.c - personal-data masking for logs (see mask.h).
 */
#include "mask.h"

#include <string.h>

static char *mask_keep(char *out, size_t outsz, const char *s, size_t head, size_t tail)
{
    size_t n = strlen(s);
    size_t i = 0;
    if (outsz == 0)
        return out;
    for (size_t k = 0; k < n && i + 1 < outsz; k++) {
        int keep = (n <= head + tail) ? (k < n / 2) : (k < head || k >= n - tail);
        out[i++] = keep ? s[k] : '*';
    }
    out[i] = '\0';
    return out;
}

char *mask_id_number(char *out, size_t outsz, const char *id)
{
    return mask_keep(out, outsz, id ? id : "", 4, 4);
}

char *mask_phone(char *out, size_t outsz, const char *phone)
{
    return mask_keep(out, outsz, phone ? phone : "", 3, 4);
}

/* Length of the UTF-8 sequence starting with byte c (1 for invalid bytes). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0)
        return c < 0xf0 ? 3 : 1;
    if (c >= 0xc0)
        return 2;
    return 1;
}

char *mask_name(char *out, size_t outsz, const char *name)
{
    size_t i = 0;
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    if (outsz == 0)
        return out;
    if (*p) {
        size_t first = utf8_len(*p);
        for (size_t k = 0; k < first && p[k] && i + 1 < outsz; k++)
            out[i++] = (char)p[k];
        p += first;
        while (*p && i + 1 < outsz) {
            out[i++] = '*';
            size_t l = utf8_len(*p);
            for (size_t k = 0; k < l && *p; k++)
                p++;
        }
    }
    out[i] = '\0';
    return out;
}

void mask_digit_runs(char *s)
{
    size_t i = 0;
    while (s[i]) {
        if (s[i] < '0' || s[i] > '9') {
            i++;
            continue;
        }
        size_t start = i;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        if (s[i] == 'X' || s[i] == 'x')
            i++;
        if (i - start >= 11) {
            for (size_t k = start + 4; k < i - 4; k++)
                s[k] = '*';
        }
    }
}
