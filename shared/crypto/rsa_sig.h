/*
 * rsa_sig.h - RSA keys and SHA256withRSA (PKCS#1 v1.5) signatures, on
 * OpenSSL: what every provider adapter signs and checks messages with (the
 * payment providers' RSA2 and WeChat Pay v3, the CHSI prior-education
 * notifications).
 *
 * Every function is pure or touches only its arguments: safe from any
 * thread (the server calls them on the libuv thread pool, never on the
 * loop). Keys are loaded from PEM files per use so that a rotated key file
 * takes effect without a restart; the caller frees them (rsa_sig_key_free).
 */
#ifndef ZK_RSA_SIG_H
#define ZK_RSA_SIG_H

#include <stdbool.h>
#include <stddef.h>

struct rsa_sig_key; /* an RSA key (public, or private with its public half) */

/* Loads a PEM key file: private when want_private, else a public key (a
 * private key file also yields its public half). NULL on any failure. */
struct rsa_sig_key *rsa_sig_key_load(const char *path, bool want_private);
void rsa_sig_key_free(struct rsa_sig_key *k);

/*
 * SHA256withRSA over msg. rsa_sig_sign writes the base64 signature into out
 * (NUL-terminated; outsz >= 700 for keys up to 4096 bits) and returns 0, or
 * -EINVAL / -ENOSPC. rsa_sig_verify returns true only for a valid base64
 * signature by k.
 */
int rsa_sig_sign(const struct rsa_sig_key *k, const char *msg, size_t len, char *out, size_t outsz);
bool rsa_sig_verify(const struct rsa_sig_key *k, const char *msg, size_t len, const char *sig_b64);

/* A key's fingerprint: upper-case hex of the first 20 bytes of SHA-256 of
 * its public key (DER), as WeChat's Wechatpay-Serial. Returns 0 or -EINVAL. */
int rsa_sig_key_serial(const struct rsa_sig_key *k, char out[41]);

/*
 * Generates a 2048-bit RSA key pair as PEM files (private mode 0600,
 * public 0644). Refuses to overwrite (-EEXIST). Returns 0 or negative errno.
 */
int rsa_sig_generate(const char *private_path, const char *public_path);

#endif
