/*
 * documents.c - the document kinds, the configuration part of a document's
 * input and the download's Content-Disposition (see documents.h).
 */
#include "documents.h"

#include "validate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct doc_kind_info doc_kinds[DOC_KIND_COUNT] = {
    [DOC_RECEIPT] = {"receipt", "order", "缴费凭证", "receipt.pdf"},
    [DOC_GRADUATE_FORM] = {"graduate_form", "graduation", "毕业生登记表", "graduate-form.pdf"},
    [DOC_EXEMPTION_DETAIL] = {"exemption_detail", "exemption", "免考申请信息详情",
                              "exemption-detail.pdf"},
    [DOC_TRANSFER_DETAIL] = {"transfer_detail", "transfer", "省内转考申请信息详情",
                             "transfer-detail.pdf"},
    [DOC_TRANSFER_CERTIFICATE] = {"transfer_certificate", "transfer_out", "省际转出证明",
                                  "transfer-certificate.pdf"},
};

const struct doc_kind_info *doc_kind_info(enum doc_kind kind)
{
    return (unsigned)kind < DOC_KIND_COUNT ? &doc_kinds[kind] : NULL;
}

int doc_kind_parse(const char *name)
{
    for (int k = 0; name != NULL && k < DOC_KIND_COUNT; k++)
        if (strcmp(doc_kinds[k].name, name) == 0)
            return k;
    return -1;
}

/* Per province profile ([profile] province). */
static const struct {
    const char *province;
    const char *name;
    const char *office;
} doc_profiles[] = {
    {"shanxi", "山西省", "山西省招生考试管理中心"},
    {"tianjin", "天津市", "天津市教育招生考试院"},
};

static int profile_index(const struct zk_config *cfg)
{
    for (size_t i = 0; i < sizeof(doc_profiles) / sizeof(doc_profiles[0]); i++)
        if (strcmp(doc_profiles[i].province, cfg->province) == 0)
            return (int)i;
    return 0; /* the configuration only admits the profiles above */
}

const char *doc_office_name(const struct zk_config *cfg)
{
    return cfg->doc_office_name[0] ? cfg->doc_office_name : doc_profiles[profile_index(cfg)].office;
}

const char *doc_province_name(const struct zk_config *cfg)
{
    return doc_profiles[profile_index(cfg)].name;
}

json_t *doc_meta_json(const struct zk_config *cfg)
{
    return json_pack("{s:i, s:s, s:s, s:o}", "version", DOC_TEMPLATE_VERSION, "office_name",
                     doc_office_name(cfg), "province", doc_province_name(cfg), "font",
                     cfg->doc_font_family[0] ? json_string(cfg->doc_font_family) : json_null());
}

/* RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
 * "^" / "_" / "`" / "|" / "~". */
static bool attr_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

int doc_content_disposition(char *out, size_t outsz, const char *ascii_fallback,
                            const char *utf8_name)
{
    static const char hex[] = "0123456789ABCDEF";
    if (ascii_fallback == NULL || *ascii_fallback == '\0' || utf8_name == NULL ||
        *utf8_name == '\0' || validate_utf8_length(utf8_name) < 0)
        return -EINVAL;
    for (const char *p = ascii_fallback; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            return -EINVAL;
    int n = snprintf(out, outsz, "attachment; filename=\"%s\"; filename*=UTF-8''", ascii_fallback);
    if (n < 0 || (size_t)n >= outsz)
        return -E2BIG;
    size_t len = (size_t)n;
    for (const unsigned char *p = (const unsigned char *)utf8_name; *p; p++) {
        size_t need = attr_char(*p) ? 1 : 3;
        if (len + need >= outsz)
            return -E2BIG;
        if (need == 1) {
            out[len++] = (char)*p;
        } else {
            out[len++] = '%';
            out[len++] = hex[*p >> 4];
            out[len++] = hex[*p & 15];
        }
    }
    out[len] = '\0';
    return (int)len;
}
