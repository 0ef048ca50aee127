/*
 * idcard.c - GB 11643 identity numbers (see idcard.h).
 */
#include "idcard.h"

#include <stdio.h>
#include <string.h>

/* Province-level codes (first two digits) in use. */
static bool idcard_province_known(int p)
{
    static const int codes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                                43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == p)
            return true;
    return false;
}

char idcard_check_char(const char *first17)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * weights[i];
    return map[sum % 11];
}

static bool idcard_date_valid(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int max = days[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

enum idcard_error idcard_check(const char *id, int today, char out[19])
{
    char n[19];
    if (strlen(id) != 18)
        return IDCARD_LENGTH;
    for (int i = 0; i < 18; i++) {
        char c = id[i];
        if (i == 17 && (c == 'x' || c == 'X'))
            c = 'X';
        else if (c < '0' || c > '9')
            return IDCARD_CHARACTERS;
        n[i] = c;
    }
    n[18] = '\0';
    if (!idcard_province_known((n[0] - '0') * 10 + (n[1] - '0')))
        return IDCARD_REGION;
    int y = 0, m = 0, d = 0;
    for (int i = 6; i < 10; i++)
        y = y * 10 + (n[i] - '0');
    m = (n[10] - '0') * 10 + (n[11] - '0');
    d = (n[12] - '0') * 10 + (n[13] - '0');
    if (y < 1900 || !idcard_date_valid(y, m, d) || y * 10000 + m * 100 + d > today)
        return IDCARD_BIRTH_DATE;
    if (idcard_check_char(n) != n[17])
        return IDCARD_CHECK_DIGIT;
    if (out != NULL)
        memcpy(out, n, 19);
    return IDCARD_OK;
}

const char *idcard_error_message(enum idcard_error e)
{
    switch (e) {
    case IDCARD_OK:
        return "";
    case IDCARD_LENGTH:
        return "身份证号应为 18 位";
    case IDCARD_CHARACTERS:
        return "身份证号应为 17 位数字加 1 位数字或字母 X";
    case IDCARD_REGION:
        return "身份证号前两位不是有效的省级行政区划代码，请核对";
    case IDCARD_BIRTH_DATE:
        return "身份证号中的出生日期（第 7 至 14 位）不是有效日期，请核对";
    case IDCARD_CHECK_DIGIT:
        return "身份证号校验位不正确，请核对是否输错";
    }
    return "身份证号不正确";
}

const char *idcard_gender(const char *id)
{
    return ((id[16] - '0') % 2) ? "男" : "女";
}

void idcard_birth_date(const char *id, char out[11])
{
    snprintf(out, 11, "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
}
