/*
 * pay_crypto.h - the payment providers' cryptography beyond signatures:
 * AEAD_AES_256_GCM (WeChat Pay v3 resources), the API v3 key file, random
 * tokens. SHA256withRSA signatures and key files are shared/crypto/rsa_sig.h.
 *
 * Every function is pure or touches only its arguments: safe from any
 * thread (the server calls them on the libuv thread pool, never on the
 * loop).
 */
#ifndef ZK_PAY_CRYPTO_H
#define ZK_PAY_CRYPTO_H

#include <stddef.h>

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

#endif
