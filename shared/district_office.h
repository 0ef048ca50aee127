/*
 * district_office.h - the rules a district office's contact details
 * (schema/0013_district_offices.sql) must meet, one copy for every writer:
 * `zikaoctl districts import` (a CSV line) and the staff API (PUT
 * /api/v1/staff/districts/{code}/office). Each writer says the fault in
 * its own words (zikaoctl in English, the API in Chinese).
 */
#ifndef ZK_DISTRICT_OFFICE_H
#define ZK_DISTRICT_OFFICE_H

#include <stddef.h>

enum district_office_problem {
    DISTRICT_OFFICE_UTF8,         /* not valid UTF-8 */
    DISTRICT_OFFICE_CONTROL,      /* a control character */
    DISTRICT_OFFICE_LENGTH,       /* fewer than min or more than max characters (got) */
    DISTRICT_OFFICE_PHONE_CHARS,  /* phone: a character that is no part of a number */
    DISTRICT_OFFICE_PHONE_DIGITS, /* phone: fewer than 7 digits */
};

struct district_office_fault {
    const char *field; /* name, address, phone, hours or note */
    enum district_office_problem problem;
    long min, max, got; /* DISTRICT_OFFICE_LENGTH */
};

/*
 * Checks an office's texts: name 2-100 characters, address 4-200, phone
 * 7-60 holding a number of at least 7 digits (digits, spaces, - ( ) + / , ;
 * and 、，（）转； between numbers), hours 2-100, note "" (none) or 1-300;
 * UTF-8 without control characters. Returns 0, or -EINVAL with *fault
 * describing the first fault in that order. Pure.
 */
int district_office_check(const char *name, const char *address, const char *phone,
                          const char *hours, const char *note, struct district_office_fault *fault);

#endif
