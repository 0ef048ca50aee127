/*
 * idcard.h - resident identity card numbers (GB 11643-1999): 17 digits and a
 * check character (0-9 or X, ISO 7064 MOD 11-2).
 *
 * Structure: 6-digit administrative code of the place of first registration,
 * 8-digit birth date YYYYMMDD, 3-digit sequence (odd for men, even for
 * women), check character.
 */
#ifndef ZK_IDCARD_H
#define ZK_IDCARD_H

#include <stdbool.h>
#include <stddef.h>

enum idcard_error {
    IDCARD_OK = 0,
    IDCARD_LENGTH,     /* not 18 characters */
    IDCARD_CHARACTERS, /* not 17 digits and a digit or X */
    IDCARD_REGION,     /* the first two digits name no province */
    IDCARD_BIRTH_DATE, /* no such date, before 1900, or in the future */
    IDCARD_CHECK_DIGIT,
};

/*
 * Checks id (which may end in a lower-case x) and writes the normalised form
 * (upper-case X) into out (19 bytes) when out is not NULL. today is YYYYMMDD
 * (e.g. 20261123) for the "not in the future" test.
 */
enum idcard_error idcard_check(const char *id, int today, char out[19]);

/* The check character the first 17 digits call for. */
char idcard_check_char(const char *first17);

/* A message a candidate can act on, in Chinese. */
const char *idcard_error_message(enum idcard_error e);

/* "男" or "女" from the sequence digit; birth date as "YYYY-MM-DD" (11 bytes). */
const char *idcard_gender(const char *id);
void idcard_birth_date(const char *id, char out[11]);

#endif
