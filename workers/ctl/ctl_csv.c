/*
 * ctl_csv.c - what zikaoctl's CSV imports share (see ctl.h): splitting a
 * line in place as RFC 4180 quotes it, trimming a field, and the checks of
 * the texts and phone numbers candidates read (district offices,
 * confirmation points). Owns nothing.
 */
#include "ctl.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

/*
 * Splits one CSV line in place into at most max fields: plain fields end at
 * a comma; a field that starts with a quote ends at the next lone quote
 * ("" inside is one quote). Returns the number of fields, or -1 with *why
 * for a quote left open or text after a closing quote.
 */
int ctl_csv_fields(char *line, char *fields[], int max, const char **why)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) {
            *why = "too many fields";
            return -1;
        }
        if (*p == '"') {
            char *out = ++p;
            fields[n++] = out;
            for (;;) {
                if (*p == '\0') {
                    *why = "a quoted field is not closed on its line";
                    return -1;
                }
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            char *end = out;
            if (*p != ',' && *p != '\0') {
                *why = "text after a closing quote";
                return -1;
            }
            bool more = *p == ',';
            *end = '\0';
            if (!more)
                return n;
            p++;
        } else {
            fields[n++] = p;
            char *comma = strchr(p, ',');
            if (comma == NULL)
                return n;
            *comma = '\0';
            p = comma + 1;
        }
    }
}

/* Trims ASCII blanks around s in place. */
char *ctl_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* NULL when s is UTF-8 of lo..hi characters without control characters. */
const char *ctl_check_text(const char *what, const char *s, long lo, long hi, char *why,
                           size_t whysz)
{
    long n = validate_utf8_length(s);
    if (n < 0) {
        snprintf(why, whysz, "%s is not valid UTF-8", what);
        return why;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(why, whysz, "%s holds a control character", what);
            return why;
        }
    }
    if (n < lo || n > hi) {
        snprintf(why, whysz, "%s must be %ld to %ld characters (it has %ld)", what, lo, hi, n);
        return why;
    }
    return NULL;
}

/* A phone field: digits with - ( ) + / spaces, and 、，（）转 between numbers. */
const char *ctl_check_phone(const char *s, char *why, size_t whysz)
{
    static const char *const allowed_cjk[] = {"、", "，", "（", "）", "转", "；"};
    int digits = 0;
    for (const char *p = s; *p;) {
        if (*p >= '0' && *p <= '9') {
            digits++;
            p++;
            continue;
        }
        if (strchr("-()+/ ,;", *p) != NULL) {
            p++;
            continue;
        }
        bool ok = false;
        for (size_t i = 0; i < sizeof(allowed_cjk) / sizeof(allowed_cjk[0]); i++) {
            size_t len = strlen(allowed_cjk[i]);
            if (strncmp(p, allowed_cjk[i], len) == 0) {
                p += len;
                ok = true;
                break;
            }
        }
        if (!ok) {
            snprintf(
                why, whysz,
                "phone may hold digits, spaces, - ( ) + / and 、，（）转 between numbers only");
            return why;
        }
    }
    if (digits < 7) {
        snprintf(why, whysz, "phone must hold a number of at least 7 digits");
        return why;
    }
    return ctl_check_text("phone", s, 7, 60, why, whysz);
}
