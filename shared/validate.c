/*
 * validate.c - input rules with actionable messages (see validate.h).
 */
#include "validate.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 code point; returns its length or 0 when invalid. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t n = (p[0] & 0xe0) == 0xc0   ? 2
               : (p[0] & 0xf0) == 0xe0 ? 3
               : (p[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    if (n == 0)
        return 0;
    uint32_t v = p[0] & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0; /* overlong, out of range, surrogate */
    *cp = v;
    return n;
}

long validate_utf8_length(const char *s)
{
    long count = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        if (n == 0)
            return -1;
        p += n;
        count++;
    }
    return count;
}

static bool is_cjk(uint32_t c)
{
    return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x20000 && c <= 0x2ebef) || (c >= 0xf900 && c <= 0xfaff);
}

const char *validate_name(const char *s)
{
    long len = validate_utf8_length(s);
    if (len <= 0)
        return "请填写姓名";
    if (len > 20)
        return "姓名最长 20 个字";
    const unsigned char *p = (const unsigned char *)s;
    uint32_t prev = 0;
    while (*p) {
        uint32_t cp;
        p += utf8_next(p, &cp);
        bool latin = (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
        bool dot = cp == 0x00b7 || cp == 0x2022 || cp == 0x30fb; /* · • ・ */
        bool space = cp == ' ' && prev != 0 && prev != ' ';
        if (!is_cjk(cp) && !latin && !dot && !space)
            return "姓名只能包含汉字、字母和间隔号（·），请按身份证上的姓名填写";
        prev = cp;
    }
    if (prev == ' ')
        return "姓名末尾不能有空格";
    return NULL;
}

const char *validate_phone(const char *s)
{
    if (strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
        return "请填写 11 位手机号码";
    for (int i = 0; i < 11; i++)
        if (s[i] < '0' || s[i] > '9')
            return "请填写 11 位手机号码";
    return NULL;
}

const char *validate_password(const char *s)
{
    size_t n = strlen(s);
    bool letter = false, digit = false;
    if (n < 8 || n > 32)
        return "密码长度应为 8 至 32 位";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c < 0x21 || c > 0x7e)
            return "密码只能使用字母、数字和英文符号，不能包含空格或汉字";
        letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        digit |= c >= '0' && c <= '9';
    }
    if (!letter || !digit)
        return "密码须同时包含字母和数字";
    return NULL;
}

const char *validate_email(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n > 254 || at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return "请填写有效的电子邮箱地址";
    const char *dot = strrchr(at, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return "请填写有效的电子邮箱地址";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"')
            return "请填写有效的电子邮箱地址";
    return NULL;
}

const char *validate_sms_code(const char *s)
{
    if (strlen(s) != 6)
        return "短信验证码为 6 位数字";
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return "短信验证码为 6 位数字";
    return NULL;
}

/* n characters of set, exactly. */
static bool all_of(const char *s, size_t n, const char *set)
{
    return strlen(s) == n && strspn(s, set) == n;
}

const char *validate_document(const char *id_type, const char *number)
{
    static const char upper_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const char digit_set[] = "0123456789";
    size_t n = strlen(number);
    if (strcmp(id_type, "passport") == 0)
        return n >= 5 && n <= 17 && strspn(number, upper_digits) == n
                   ? NULL
                   : "护照号码应为 5-17 位大写字母或数字";
    if (strcmp(id_type, "hk_macao_permit") == 0)
        return (number[0] == 'H' || number[0] == 'M') &&
                       (all_of(number + 1, 8, digit_set) || all_of(number + 1, 10, digit_set))
                   ? NULL
                   : "港澳居民来往内地通行证号码应为 H 或 M 加 8 位（或 10 位）数字";
    if (strcmp(id_type, "taiwan_permit") == 0)
        return all_of(number, 8, digit_set) || all_of(number, 10, digit_set)
                   ? NULL
                   : "台湾居民来往大陆通行证号码应为 8 位（或 10 位）数字";
    return "证件类型应为 passport（护照）、hk_macao_permit（港澳居民来往内地通行证）或 "
           "taiwan_permit（台湾居民来往大陆通行证）；居民身份证请考生在网上注册";
}
