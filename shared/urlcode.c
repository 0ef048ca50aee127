/*
 * urlcode.c - percent-decoding (see urlcode.h).
 */
#include "urlcode.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *url_decode(struct arena *a, const char *s, size_t len, bool plus_is_space, size_t *outlen)
{
    char *out = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out[o++] = (plus_is_space && s[i] == '+') ? ' ' : s[i];
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

const char *url_form_get(struct arena *a, const char *form, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && form[end] != '&')
            end++;
        size_t eq = i;
        while (eq < end && form[eq] != '=')
            eq++;
        size_t klen = 0;
        char *key = url_decode(a, form + i, eq - i, true, &klen);
        if (klen == nlen && memcmp(key, name, nlen) == 0) {
            if (eq >= end)
                return "";
            return url_decode(a, form + eq + 1, end - eq - 1, true, NULL);
        }
        i = end + 1;
    }
    return NULL;
}
