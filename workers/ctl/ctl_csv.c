/*
 * ctl_csv.c - what zikaoctl's CSV imports share (see ctl.h): the import of
 * one file all or nothing, splitting a line in place as RFC 4180 quotes it,
 * trimming a field, and the checks of the texts and phone numbers
 * candidates read (district offices, confirmation points). Owns nothing.
 */
#include "ctl.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CTL_CSV_LINE 4096

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

/* One line of the file: NULL (imported, or nothing to import), or the reason. */
static const char *csv_line(struct ctl *ctl, const struct ctl_csv_import *im, char *start,
                            int lineno, bool *header_seen, char *why, size_t whysz)
{
    if (start[0] == '\0' || start[0] == '#')
        return NULL;
    size_t first = strcspn(im->header, ",");
    if (!*header_seen && strncmp(start, im->header, first + 1) == 0) {
        *header_seen = true; /* the header: the first line that is not a comment */
        return NULL;
    }
    *header_seen = true;
    char *f[CTL_CSV_MAX_FIELDS];
    const char *bad = NULL;
    int n = ctl_csv_fields(start, f, CTL_CSV_MAX_FIELDS, &bad);
    if (bad != NULL)
        return bad;
    if (n != im->nfields) {
        snprintf(why, whysz, "expected %d fields: %s", im->nfields, im->header);
        return why;
    }
    for (int i = 0; i < n; i++)
        f[i] = ctl_trim(f[i]);
    PQclear(ctl_exec(ctl, "SAVEPOINT row", 0, NULL));
    bad = im->row(ctl, f, lineno, im->ud, why, whysz);
    PQclear(ctl_exec(ctl, bad ? "ROLLBACK TO SAVEPOINT row" : "RELEASE SAVEPOINT row", 0, NULL));
    return bad;
}

int ctl_csv_import(struct ctl *ctl, const char *path, const struct ctl_csv_import *im, bool dry)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "zikaoctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    PGresult *r = ctl_exec(ctl, "BEGIN", 0, NULL);
    if (r == NULL) {
        fclose(fp);
        return -1;
    }
    PQclear(r);
    char line[CTL_CSV_LINE];
    int lineno = 0, rejected = 0;
    bool header_seen = false;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        char why[256];
        const char *bad = NULL;
        size_t len = strcspn(line, "\r\n");
        if (line[len] == '\0' && !feof(fp)) {
            /* Longer than the buffer: skip the rest of it. */
            int c;
            while ((c = fgetc(fp)) != EOF && c != '\n')
                ;
            bad = "line too long";
        }
        line[len] = '\0';
        char *start = line;
        if (lineno == 1 && strncmp(start, "\xef\xbb\xbf", 3) == 0)
            start += 3; /* a byte-order mark from a spreadsheet */
        if (bad == NULL)
            bad = csv_line(ctl, im, start, lineno, &header_seen, why, sizeof(why));
        if (bad != NULL) {
            fprintf(stderr, "%s:%d: rejected: %s\n", path, lineno, bad);
            rejected++;
        }
    }
    fclose(fp);
    r = ctl_exec(ctl, !dry && rejected == 0 ? "COMMIT" : "ROLLBACK", 0, NULL);
    if (r == NULL)
        return -1;
    PQclear(r);
    return rejected;
}
