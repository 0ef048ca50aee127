/*
 * totp.h - the staff's second factor: time-based one-time passwords
 * (RFC 6238 over RFC 4226: HMAC-SHA1, 30-second steps, 6 digits), the
 * base32 form of a secret (RFC 4648, without padding) and the otpauth:// URI
 * an authenticator app scans. Pure functions over OpenSSL's HMAC; no I/O,
 * no clock (the caller passes the time).
 */
#ifndef ZK_TOTP_H
#define ZK_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_BYTES 20 /* 160 bits, as RFC 4226 recommends */
#define TOTP_B32_LEN      32 /* base32 characters of a 20-byte secret */
#define TOTP_PERIOD       30
#define TOTP_DIGITS       6

/* The step (counter) a Unix time falls in. */
uint64_t totp_step(time_t t);

/* The code of a step, 0..10^digits-1 (digits 6..8). -1 when HMAC fails. */
int totp_code(const unsigned char *key, size_t keylen, uint64_t step, unsigned digits);

/*
 * Checks a 6-digit code typed at time now against the steps now-1, now and
 * now+1 (a clock up to 30 s off either way). Returns the step it matched,
 * or 0 when it matches none or is not six digits. Steps at or below
 * last_used (the last step that signed this person in) are refused: a code
 * seen once is never accepted again.
 */
uint64_t totp_check(const unsigned char *key, size_t keylen, const char *code, time_t now,
                    uint64_t last_used);

/* Base32 (A-Z2-7, no padding) of n bytes into out (room for 8*n/5+2). */
void totp_b32_encode(char *out, const unsigned char *in, size_t n);

/* Decodes base32 (case-insensitive, spaces and '=' ignored); returns the
 * byte count, or -1 for a character outside the alphabet or too little room. */
int totp_b32_decode(unsigned char *out, size_t outsz, const char *in);

/*
 * otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30,
 * issuer and account percent-encoded (UTF-8 kept as bytes). Returns the
 * length written, or -1 when it does not fit outsz.
 */
int totp_uri(char *out, size_t outsz, const char *issuer, const char *account, const char *b32);

#endif
