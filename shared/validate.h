/*
 * validate.h - rules for what candidates type: names, phone numbers,
 * passwords, e-mail addresses, SMS codes. Each returns NULL when the value is
 * acceptable, else a Chinese message saying what to change.
 */
#ifndef ZK_VALIDATE_H
#define ZK_VALIDATE_H

#include <stddef.h>

/* Name as on the ID card: 1-20 characters, Chinese or Latin letters, middle
 * dots (·) and spaces between Latin words; no digits or other symbols. */
const char *validate_name(const char *s);
/* Mainland mobile number: 11 digits starting with 13-19. */
const char *validate_phone(const char *s);
/* 8-32 printable ASCII characters with at least one letter and one digit. */
const char *validate_password(const char *s);
/* A plausible e-mail address, at most 254 characters. */
const char *validate_email(const char *s);
/* Six digits. */
const char *validate_sms_code(const char *s);
/* A document registered at the district (schema/0015_staff.sql repeats
 * these): passport (5-17 capital letters and digits), hk_macao_permit
 * (港澳居民来往内地通行证: H or M and 8 or 10 digits), taiwan_permit
 * (台湾居民来往大陆通行证: 8 or 10 digits). id_card is GB 11643 (idcard.h)
 * and not accepted here. */
const char *validate_document(const char *id_type, const char *number);
/* Number of UTF-8 characters, or -1 for invalid UTF-8. */
long validate_utf8_length(const char *s);

#endif
