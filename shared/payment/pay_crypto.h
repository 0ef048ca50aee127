/*
 * pay_crypto.h - the cryptography of the payment providers, on OpenSSL:
 * SHA256withRSA signatures (Alipay "RSA2", WeChat Pay v3), AEAD_AES_256_GCM
 * (WeChat Pay v3 resources), base64, key files, random tokens.
 *
 * Every function is pure or touches only its arguments: safe from any
 * thread (the server calls them on the libuv thread pool, never on the
 * loop). Keys are loaded from PEM files per use so that a rotated key file
 * takes effect without a restart; the caller frees them (pay_key_free).
 */
#ifndef ZK_PAY_CRYPTO_H
#define ZK_PAY_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

struct pay_key; /* an RSA key (public, or private with its public half) */

/* Loads a PEM key file: private when want_private, else a public key (a
 * private key file also yields its public half). NULL on any failure. */
struct pay_key *pay_key_load(const char *path, bool want_private);
void pay_key_free(struct pay_key *k);

/*
 * SHA256withRSA (PKCS#1 v1.5) over msg. pay_rsa_sign writes the base64
 * signature into out (NUL-terminated; outsz >= 700 for keys up to 4096 bits)
 * and returns 0, or -EINVAL / -ENOSPC. pay_rsa_verify returns true only for
 * a valid base64 signature by k.
 */
int pay_rsa_sign(const struct pay_key *k, const char *msg, size_t len, char *out, size_t outsz);
bool pay_rsa_verify(const struct pay_key *k, const char *msg, size_t len, const char *sig_b64);

/*
 * AEAD_AES_256_GCM with a 32-byte key, a 12-byte nonce (text, as WeChat sends
 * it) and associated data. The ciphertext is base64 of (ciphertext || 16-byte
 * tag). Decrypt returns the plaintext (malloc'd, NUL-terminated, *outlen its
 * length) or NULL when the tag does not verify. Encrypt returns base64
 * (malloc'd). Callers free.
 */
char *pay_aesgcm_decrypt(const unsigned char key[32], const char *nonce, const char *aad,
                         const char *ciphertext_b64, size_t *outlen);
char *pay_aesgcm_encrypt(const unsigned char key[32], const char *nonce, const char *aad,
                         const char *plain, size_t len);

/* Reads a WeChat API v3 key file (32 printable bytes, surrounding white space
 * ignored) into key. Returns 0 or -errno / -EINVAL. */
int pay_apiv3_key_load(const char *path, unsigned char key[32]);

/* Random text from [0-9A-Za-z] of n characters (NUL-terminated in out[n]). */
void pay_random_token(char *out, size_t n);

/* A key's serial as WeChat's Wechatpay-Serial: upper-case hex of the first
 * 20 bytes of SHA-256 of its public key (DER). Returns 0 or -EINVAL. */
int pay_key_serial(const struct pay_key *k, char out[41]);

/*
 * Generates a 2048-bit RSA key pair as PEM files (private mode 0600,
 * public 0644). Refuses to overwrite (-EEXIST). Returns 0 or negative errno.
 */
int pay_rsa_generate(const char *private_path, const char *public_path);

#endif
