/*
 * totp.c - RFC 6238 codes, base32 and otpauth URIs (see totp.h). Owns no
 * state; HMAC-SHA1 is OpenSSL's one-shot HMAC().
 */
#include "totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

uint64_t totp_step(time_t t)
{
    return t < 0 ? 0 : (uint64_t)t / TOTP_PERIOD;
}

int totp_code(const unsigned char *key, size_t keylen, uint64_t step, unsigned digits)
{
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(step & 0xff);
        step >>= 8;
    }
    if (digits < 6 || digits > 8 ||
        HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) == NULL || maclen < 20)
        return -1;
    unsigned off = mac[maclen - 1] & 0x0f; /* dynamic truncation (RFC 4226 5.3) */
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    uint32_t mod = 1;
    for (unsigned i = 0; i < digits; i++)
        mod *= 10;
    return (int)(bin % mod);
}

uint64_t totp_check(const unsigned char *key, size_t keylen, const char *code, time_t now,
                    uint64_t last_used)
{
    if (code == NULL || strlen(code) != TOTP_DIGITS || strspn(code, "0123456789") != TOTP_DIGITS)
        return 0;
    int want = 0;
    for (int i = 0; i < TOTP_DIGITS; i++)
        want = want * 10 + (code[i] - '0');
    uint64_t s = totp_step(now);
    /* Every candidate step is computed, so the time taken does not say which matched. */
    uint64_t found = 0;
    for (int d = -1; d <= 1; d++) {
        uint64_t step = s + (uint64_t)(int64_t)d;
        if (d < 0 && s == 0)
            continue;
        if (totp_code(key, keylen, step, TOTP_DIGITS) == want && step > last_used && found == 0)
            found = step;
    }
    return found;
}

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void totp_b32_encode(char *out, const unsigned char *in, size_t n)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

int totp_b32_decode(unsigned char *out, size_t outsz, const char *in)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '=' || c == '-')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        const char *at = strchr(b32_alphabet, c);
        if (at == NULL || c == '\0')
            return -1;
        buf = (buf << 5) | (uint32_t)(at - b32_alphabet);
        bits += 5;
        if (bits >= 8) {
            if (o >= outsz)
                return -1;
            out[o++] = (unsigned char)((buf >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return (int)o;
}

/* Percent-encodes s (RFC 3986 unreserved kept) into out; returns the length or -1. */
static int pct(char *out, size_t outsz, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
        if (o + (keep ? 1 : 3) >= outsz)
            return -1;
        if (keep)
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, outsz - o, "%%%02X", *p);
    }
    out[o] = '\0';
    return (int)o;
}

int totp_uri(char *out, size_t outsz, const char *issuer, const char *account, const char *b32)
{
    char is[256], ac[256];
    if (pct(is, sizeof(is), issuer) < 0 || pct(ac, sizeof(ac), account) < 0)
        return -1;
    int n = snprintf(out, outsz,
                     "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
                     is, ac, b32, is, TOTP_DIGITS, TOTP_PERIOD);
    return n < 0 || (size_t)n >= outsz ? -1 : n;
}
