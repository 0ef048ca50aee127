/*
 * pdf_docno.c - document numbers with an ISO 7064 MOD 11-2 check character
 * (format and rationale in pdf.h), the documents' names, and the text
 * formats documents share:
 * Beijing time, yuan from fen, amounts in Chinese capitals.
 */
#include "pdf.h"
#include "bjtime.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const docno_prefix[] = {
    [PDF_DOC_GRADUATE_FORM] = "DJ", [PDF_DOC_EXEMPTION] = "MK",    [PDF_DOC_TRANSFER] = "ZK",
    [PDF_DOC_RECEIPT] = "JF",       [PDF_DOC_TRANSFER_OUT] = "ZC",
};
#define DOCNO_TYPES (sizeof(docno_prefix) / sizeof(docno_prefix[0]))

static const char *const doc_type_name[] = {
    [PDF_DOC_GRADUATE_FORM] = "毕业生登记表",    [PDF_DOC_EXEMPTION] = "免考申请信息详情",
    [PDF_DOC_TRANSFER] = "省内转考申请信息详情", [PDF_DOC_RECEIPT] = "缴费凭证",
    [PDF_DOC_TRANSFER_OUT] = "省际转出证明",
};

const char *pdf_doc_type_name(enum pdf_doc_type type)
{
    return (unsigned)type < DOCNO_TYPES ? doc_type_name[type] : NULL;
}

char pdf_iso7064_mod11_2(const char *digits)
{
    unsigned p = 0;
    if (digits == NULL || *digits == '\0')
        return 0;
    for (const char *c = digits; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        p = ((p + (unsigned)(*c - '0')) * 2) % 11;
    }
    unsigned check = (12 - p) % 11;
    return check == 10 ? 'X' : (char)('0' + check);
}

/* The check character of prefix + 16 digits: letters become two digits
 * (A=10 ... Z=35) ahead of the digits. */
static char docno_check(const char prefix[2], const char digits16[16])
{
    char s[4 + 16 + 1];
    for (int i = 0; i < 2; i++) {
        int v = prefix[i] - 'A' + 10;
        s[2 * i] = (char)('0' + v / 10);
        s[2 * i + 1] = (char)('0' + v % 10);
    }
    memcpy(s + 4, digits16, 16);
    s[20] = '\0';
    return pdf_iso7064_mod11_2(s);
}

static int beijing_tm(int64_t t, struct tm *tm)
{
    bj_tm((time_t)t, tm);
    return 0;
}

int pdf_docno_make(char out[PDF_DOCNO_LEN + 1], enum pdf_doc_type type, int64_t generated_at,
                   uint32_t serial)
{
    struct tm tm;
    char digits[48];
    if ((unsigned)type >= DOCNO_TYPES || generated_at <= 0 || serial > PDF_SERIAL_MAX)
        return -EINVAL;
    if (beijing_tm(generated_at, &tm) < 0 || tm.tm_year + 1900 > 9999)
        return -EINVAL;
    if (snprintf(digits, sizeof(digits), "%04d%02d%02d%08u", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, (unsigned)serial) != 16)
        return -EINVAL;
    const char *pp = docno_prefix[type];
    snprintf(out, PDF_DOCNO_LEN + 1, "%s-%.8s-%.8s-%c", pp, digits, digits + 8,
             docno_check(pp, digits));
    return 0;
}

int pdf_docno_verify(const char *s)
{
    char prefix[2], digits[17], check;
    size_t nd = 0;
    if (s == NULL)
        return -EINVAL;
    for (int i = 0; i < 2; i++, s++) {
        if (*s < 'A' || *s > 'Z')
            return -EINVAL;
        prefix[i] = *s;
    }
    /* Hyphens are optional, but only where the format puts them. */
    if (*s == '-')
        s++;
    for (; nd < 16; s++) {
        if (nd == 8 && *s == '-')
            continue;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        digits[nd++] = *s;
    }
    digits[16] = '\0';
    if (*s == '-')
        s++;
    check = *s == 'x' ? 'X' : *s;
    if (check == '\0' || s[1] != '\0')
        return -EINVAL;
    int known = 0;
    for (size_t t = 0; t < DOCNO_TYPES; t++)
        known |= memcmp(docno_prefix[t], prefix, 2) == 0;
    if (!known)
        return -EINVAL;
    return docno_check(prefix, digits) == check ? 0 : -EINVAL;
}

void pdf_format_time(char *out, size_t outsz, int64_t unix_seconds)
{
    struct tm tm;
    if (beijing_tm(unix_seconds, &tm) < 0) {
        snprintf(out, outsz, "-");
        return;
    }
    snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int pdf_format_yuan(char *out, size_t outsz, int64_t fen)
{
    if (fen < 0)
        return -EINVAL;
    int n = snprintf(out, outsz, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100));
    return n < 0 || (size_t)n >= outsz ? -E2BIG : 0;
}

/* Appends s to out[*len]; -E2BIG when it does not fit. */
static int cap_append(char *out, size_t outsz, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > outsz)
        return -E2BIG;
    memcpy(out + *len, s, n + 1);
    *len += n;
    return 0;
}

int pdf_format_yuan_capitals(char *out, size_t outsz, int64_t fen)
{
    static const char *const digit[] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
    static const char *const unit[] = {"仟", "佰", "拾", ""};
    static const char *const group_unit[] = {"", "万", "亿", "万亿"};
    size_t len = 0;
    int rc = 0;
    if (fen < 0)
        return -EINVAL;
    if (outsz == 0)
        return -E2BIG;
    out[0] = '\0';
    int64_t yuan = fen / 100;
    int jiao = (int)(fen / 10 % 10), cents = (int)(fen % 10);
    if (yuan >= 10000000000000000LL) /* beyond 万亿 groups */
        return -EINVAL;
    if (fen == 0)
        return cap_append(out, outsz, &len, "零元整");

    /* Integer part, four-digit groups from the highest. A zero is written
     * once for any run of zeros between two written digits. */
    int started = 0, zero_pending = 0;
    for (int g = 3; g >= 0; g--) {
        int64_t p = 1;
        for (int k = 0; k < g; k++)
            p *= 10000;
        int group = (int)(yuan / p % 10000);
        if (group == 0) {
            zero_pending = started;
            continue;
        }
        for (int i = 0; i < 4; i++) {
            int d = group / (i == 0 ? 1000 : i == 1 ? 100 : i == 2 ? 10 : 1) % 10;
            if (d == 0) {
                zero_pending = started;
                continue;
            }
            if (zero_pending && (rc = cap_append(out, outsz, &len, digit[0])) < 0)
                return rc;
            if ((rc = cap_append(out, outsz, &len, digit[d])) < 0 ||
                (rc = cap_append(out, outsz, &len, unit[i])) < 0)
                return rc;
            started = 1;
            zero_pending = 0;
        }
        if ((rc = cap_append(out, outsz, &len, group_unit[g])) < 0)
            return rc;
    }
    if (started && (rc = cap_append(out, outsz, &len, "元")) < 0)
        return rc;

    if (jiao == 0 && cents == 0)
        return cap_append(out, outsz, &len, "整");
    if (jiao > 0) {
        if ((rc = cap_append(out, outsz, &len, digit[jiao])) < 0 ||
            (rc = cap_append(out, outsz, &len, "角")) < 0)
            return rc;
    } else if (started && (rc = cap_append(out, outsz, &len, digit[0])) < 0) {
        return rc;
    }
    if (cents == 0)
        return cap_append(out, outsz, &len, "整");
    if ((rc = cap_append(out, outsz, &len, digit[cents])) < 0)
        return rc;
    return cap_append(out, outsz, &len, "分");
}
