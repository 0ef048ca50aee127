/*
 * district_office.c - the rules of a district office's contact details
 * (district_office.h).
 */
#include "district_office.h"

#include "validate.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int fault(struct district_office_fault *f, const char *field, enum district_office_problem p)
{
    f->field = field;
    f->problem = p;
    return -EINVAL;
}

/* UTF-8 of min..max characters without control characters. */
static int check_text(const char *field, const char *s, long min, long max,
                      struct district_office_fault *f)
{
    long n = validate_utf8_length(s);
    if (n < 0)
        return fault(f, field, DISTRICT_OFFICE_UTF8);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return fault(f, field, DISTRICT_OFFICE_CONTROL);
    if (n < min || n > max) {
        f->min = min;
        f->max = max;
        f->got = n;
        return fault(f, field, DISTRICT_OFFICE_LENGTH);
    }
    return 0;
}

static int check_phone(const char *s, struct district_office_fault *f)
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
        if (!ok)
            return fault(f, "phone", DISTRICT_OFFICE_PHONE_CHARS);
    }
    if (digits < 7)
        return fault(f, "phone", DISTRICT_OFFICE_PHONE_DIGITS);
    return check_text("phone", s, 7, 60, f);
}

int district_office_check(const char *name, const char *address, const char *phone,
                          const char *hours, const char *note, struct district_office_fault *f)
{
    int rc = check_text("name", name, 2, 100, f);
    if (rc == 0)
        rc = check_text("address", address, 4, 200, f);
    if (rc == 0)
        rc = check_phone(phone, f);
    if (rc == 0)
        rc = check_text("hours", hours, 2, 100, f);
    if (rc == 0 && note[0] != '\0')
        rc = check_text("note", note, 1, 300, f);
    return rc;
}
