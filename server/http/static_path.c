/*
 * static_path.c - decoding a static file's request path and reading the
 * headers that choose its representation (see static_path.h).
 */
#include "static_path.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int static_path_decode(const char *raw, char *out, size_t outsz)
{
    if (raw[0] != '/' || outsz < 2)
        return -ENOENT;
    /* Malformed escapes anywhere are a bad request, whatever else is wrong. */
    for (const char *p = raw; *p; p++)
        if (*p == '%' && (hex_digit(p[1]) < 0 || hex_digit(p[2]) < 0))
            return -EINVAL;
    size_t o = 0;
    const char *s = raw;
    while (*s == '/') {
        const char *seg = s + 1;
        const char *end = strchr(seg, '/');
        if (end == NULL)
            end = seg + strlen(seg);
        if (end == seg && *end == '/')
            return -ENOENT; /* "//" */
        if (o + 1 >= outsz)
            return -ENAMETOOLONG;
        out[o++] = '/';
        size_t start = o;
        for (const char *p = seg; p < end; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '%') {
                c = (unsigned char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
                p += 2;
            }
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
                return -ENOENT;
            if (o + 1 >= outsz)
                return -ENAMETOOLONG;
            out[o++] = (char)c;
        }
        size_t len = o - start;
        if ((len == 1 && out[start] == '.') ||
            (len == 2 && out[start] == '.' && out[start + 1] == '.'))
            return -ENOENT;
        s = end;
    }
    out[o] = '\0';
    return 0;
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parses an RFC 9110 qvalue at p (up to ',', ';' or the end, trailing
 * whitespace allowed) into thousandths; -1 if malformed. */
static int parse_qvalue(const char *p)
{
    int q;
    if (*p == '0')
        q = 0;
    else if (*p == '1')
        q = 1000;
    else
        return -1;
    p++;
    if (*p == '.') {
        p++;
        int scale = 100;
        for (int i = 0; i < 3 && *p >= '0' && *p <= '9'; i++, p++, scale /= 10)
            q += (*p - '0') * scale;
        if (q > 1000)
            return -1;
    }
    p = skip_ows(p);
    return (*p == '\0' || *p == ',' || *p == ';') ? q : -1;
}

bool static_accepts_gzip(const char *ae)
{
    if (ae == NULL)
        return false;
    int gzip_q = -1, star_q = -1;
    const char *p = ae;
    while (*p) {
        p = skip_ows(p);
        const char *name = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t nlen = (size_t)(p - name);
        int q = 1000;
        p = skip_ows(p);
        while (*p == ';') { /* parameters: only q matters */
            p = skip_ows(p + 1);
            if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                q = parse_qvalue(p + 2);
            }
            while (*p && *p != ',' && *p != ';')
                p++;
        }
        if (*p != '\0' && *p != ',')
            q = -1; /* junk after the coding */
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
        if (q < 0 || nlen == 0)
            continue;
        if ((nlen == 4 && strncasecmp(name, "gzip", 4) == 0) ||
            (nlen == 6 && strncasecmp(name, "x-gzip", 6) == 0))
            gzip_q = q > gzip_q ? q : gzip_q;
        else if (nlen == 1 && name[0] == '*')
            star_q = q;
    }
    if (gzip_q >= 0)
        return gzip_q > 0;
    return star_q > 0;
}

bool static_etag_matches(const char *inm, const char *etag)
{
    if (inm == NULL)
        return false;
    const char *p = skip_ows(inm);
    if (p[0] == '*')
        return *skip_ows(p + 1) == '\0';
    size_t elen = strlen(etag);
    while (*p) {
        p = skip_ows(p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            break;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return false;
        const char *close = strchr(p + 1, '"');
        if (close == NULL)
            return false;
        size_t len = (size_t)(close - p) + 1;
        if (len == elen && memcmp(p, etag, len) == 0)
            return true;
        p = skip_ows(close + 1);
        if (*p != ',' && *p != '\0')
            return false;
    }
    return false;
}
