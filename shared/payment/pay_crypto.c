/*
 * pay_crypto.c - AES-GCM (WeChat Pay v3 resources), the API v3 key file and
 * random tokens for the payment adapters (see pay_crypto.h; RSA signatures
 * are shared/crypto/rsa_sig.c). Owns nothing beyond each call.
 */
#include "pay_crypto.h"
#include "alloc.h"

#include <errno.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pay_aesgcm_decrypt(const unsigned char key[32], const char *nonce, const char *aad,
                         const char *ciphertext_b64, size_t *outlen)
{
    size_t b64len = strlen(ciphertext_b64);
    if (b64len > 1 << 20 || strlen(nonce) != 12)
        return NULL;
    size_t cap = b64len / 4 * 3 + 3;
    unsigned char *ct = zk_malloc(cap);
    char *plain = NULL;
    size_t ctlen = 0;
    int len = 0, fin = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    if (sodium_base642bin(ct, cap, ciphertext_b64, b64len, NULL, &ctlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        ctlen < 16)
        goto fail;
    size_t n = ctlen - 16;
    plain = zk_malloc(n + 1);
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, (const unsigned char *)nonce) != 1)
        goto fail;
    if (aad != NULL && aad[0] != '\0' &&
        EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1)
        goto fail;
    if (EVP_DecryptUpdate(ctx, (unsigned char *)plain, &len, ct, (int)n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, ct + n) != 1 ||
        EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + len, &fin) != 1)
        goto fail;
    plain[len + fin] = '\0';
    *outlen = (size_t)(len + fin);
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    return plain;
fail:
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    free(plain);
    return NULL;
}

char *pay_aesgcm_encrypt(const unsigned char key[32], const char *nonce, const char *aad,
                         const char *plain, size_t n)
{
    if (strlen(nonce) != 12 || n > 1 << 20)
        return NULL;
    unsigned char *ct = zk_malloc(n + 16);
    char *out = NULL;
    int len = 0, fin = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, key, (const unsigned char *)nonce) != 1)
        goto out;
    if (aad != NULL && aad[0] != '\0' &&
        EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1)
        goto out;
    if (EVP_EncryptUpdate(ctx, ct, &len, (const unsigned char *)plain, (int)n) != 1 ||
        EVP_EncryptFinal_ex(ctx, ct + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, ct + len + fin) != 1)
        goto out;
    size_t total = (size_t)(len + fin) + 16;
    size_t outsz = sodium_base64_ENCODED_LEN(total, sodium_base64_VARIANT_ORIGINAL);
    out = zk_malloc(outsz);
    sodium_bin2base64(out, outsz, ct, total, sodium_base64_VARIANT_ORIGINAL);
out:
    EVP_CIPHER_CTX_free(ctx);
    free(ct);
    return out;
}

int pay_apiv3_key_load(const char *path, unsigned char key[32])
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return -errno;
    char buf[128];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *p = buf;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    size_t len = strlen(p);
    while (len > 0 &&
           (p[len - 1] == ' ' || p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == '\t'))
        len--;
    if (len != 32)
        return -EINVAL;
    memcpy(key, p, 32);
    sodium_memzero(buf, sizeof(buf));
    return 0;
}

void pay_random_token(char *out, size_t n)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[n] = '\0';
}
