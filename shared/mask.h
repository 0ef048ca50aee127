/*
 * mask.h - masking of personal data before it reaches a log line.
 *
 * ID numbers keep their first 4 and last 4 characters
 * ("1401**********123X"), phones their first 3 and last 4 ("138****5678"),
 * names their first character ("张**"). Each writes into out (NUL-terminated,
 * truncated to outsz) and returns out, so it can be used inside a printf.
 */
#ifndef ZK_MASK_H
#define ZK_MASK_H

#include <stddef.h>

char *mask_id_number(char *out, size_t outsz, const char *id);
char *mask_phone(char *out, size_t outsz, const char *phone);
char *mask_name(char *out, size_t outsz, const char *name);
/* In place: every run of 11 or more digits (optionally ending in X/x) keeps
 * its first 4 and last 4 characters, the rest become '*'. */
void mask_digit_runs(char *s);

#endif
