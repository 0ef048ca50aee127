/*
 * rsa_sig.c - RSA key files and SHA256withRSA signatures (see rsa_sig.h).
 * Owns nothing beyond each call.
 */
#include "rsa_sig.h"
#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rsa_sig_key {
    EVP_PKEY *pkey;
    bool has_private;
    bool has_serial;
    char serial[41]; /* of the SPKI DER the key was read from */
};

/*
 * Key files are read without OpenSSL's decoders: in OpenSSL 3.0 a PEM public
 * key costs ~400 us to decode (provider lookups under locks), which made key
 * loading, not the signature, the cost of a callback. The DER is walked here
 * (SubjectPublicKeyInfo, PKCS#1 and unencrypted PKCS#8 RSA keys) and the key
 * built from its numbers (EVP_PKEY_fromdata, ~5 us). Anything else (an
 * encrypted key, another algorithm) falls back to the PEM reader.
 */
struct der {
    const unsigned char *p, *end;
};

/* Reads one TLV of the given tag; inner receives its content. */
static bool der_take(struct der *d, unsigned char tag, struct der *inner)
{
    if (d->end - d->p < 2 || d->p[0] != tag)
        return false;
    const unsigned char *p = d->p + 1;
    size_t len = *p++;
    if (len & 0x80) {
        int n = (int)(len & 0x7f);
        if (n < 1 || n > 3 || d->end - p < n)
            return false;
        len = 0;
        while (n-- > 0)
            len = (len << 8) | *p++;
    }
    if ((size_t)(d->end - p) < len)
        return false;
    inner->p = p;
    inner->end = p + len;
    d->p = p + len;
    return true;
}

static const unsigned char oid_rsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};

/* AlgorithmIdentifier must be rsaEncryption. */
static bool der_alg_is_rsa(struct der *d)
{
    struct der alg, oid;
    return der_take(d, 0x30, &alg) && der_take(&alg, 0x06, &oid) &&
           (size_t)(oid.end - oid.p) == sizeof(oid_rsa) &&
           memcmp(oid.p, oid_rsa, sizeof(oid_rsa)) == 0;
}

/* Pushes the next INTEGER of seq as the RSA parameter name. */
static bool der_push_int(struct der *seq, OSSL_PARAM_BLD *b, const char *name, BIGNUM **keep)
{
    struct der v;
    if (!der_take(seq, 0x02, &v) || v.p == v.end)
        return false;
    BIGNUM *bn = BN_bin2bn(v.p, (int)(v.end - v.p), NULL);
    if (bn == NULL)
        return false;
    *keep = bn;
    return OSSL_PARAM_BLD_push_BN(b, name, bn) == 1;
}

/* RSAPublicKey or RSAPrivateKey (PKCS#1) content to an EVP_PKEY. */
static EVP_PKEY *rsa_from_pkcs1(struct der *seq, bool priv)
{
    static const char *const pub_names[] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E};
    static const char *const priv_names[] = {
        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    const char *const *names = priv ? priv_names : pub_names;
    int n = priv ? 8 : 2;
    BIGNUM *bns[8] = {NULL};
    EVP_PKEY *pk = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    struct der version;
    if (b == NULL || (priv && !der_take(seq, 0x02, &version)))
        goto out;
    for (int i = 0; i < n; i++)
        if (!der_push_int(seq, b, names[i], &bns[i]))
            goto out;
    params = OSSL_PARAM_BLD_to_param(b);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    for (int i = 0; i < n; i++)
        BN_clear_free(bns[i]);
    return pk;
}

static void serial_of(const unsigned char *der, size_t len, char out[41])
{
    unsigned char h[32];
    crypto_hash_sha256(h, der, (unsigned long long)len);
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[40] = '\0';
}

/* PEM text to a key by walking its DER; NULL if not one of the known forms. */
static struct rsa_sig_key *key_from_pem(const char *pem, bool want_private)
{
    static const struct {
        const char *label;
        int form; /* 0 SPKI, 1 PKCS#1 public, 2 PKCS#8, 3 PKCS#1 private */
    } forms[] = {
        {"PUBLIC KEY", 0}, {"RSA PUBLIC KEY", 1}, {"PRIVATE KEY", 2}, {"RSA PRIVATE KEY", 3}};
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        char begin[64], end[64];
        snprintf(begin, sizeof(begin), "-----BEGIN %s-----", forms[f].label);
        snprintf(end, sizeof(end), "-----END %s-----", forms[f].label);
        const char *b = strstr(pem, begin);
        const char *e = b ? strstr(b, end) : NULL;
        if (b == NULL || e == NULL)
            continue;
        b += strlen(begin);
        bool priv = forms[f].form >= 2;
        if (want_private && !priv)
            return NULL;
        unsigned char der[8192];
        size_t dl = 0;
        if (sodium_base642bin(der, sizeof(der), b, (size_t)(e - b), " \r\n\t", &dl, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
            return NULL;
        struct der d = {der, der + dl}, seq, bits, inner, octets, version;
        EVP_PKEY *pk = NULL;
        switch (forms[f].form) {
        case 0:
            if (der_take(&d, 0x30, &seq) && der_alg_is_rsa(&seq) && der_take(&seq, 0x03, &bits) &&
                bits.p < bits.end && *bits.p == 0) {
                bits.p++;
                if (der_take(&bits, 0x30, &inner))
                    pk = rsa_from_pkcs1(&inner, false);
            }
            break;
        case 1:
            if (der_take(&d, 0x30, &seq))
                pk = rsa_from_pkcs1(&seq, false);
            break;
        case 2:
            if (der_take(&d, 0x30, &seq) && der_take(&seq, 0x02, &version) &&
                der_alg_is_rsa(&seq) && der_take(&seq, 0x04, &octets) &&
                der_take(&octets, 0x30, &inner))
                pk = rsa_from_pkcs1(&inner, true);
            break;
        default:
            if (der_take(&d, 0x30, &seq))
                pk = rsa_from_pkcs1(&seq, true);
            break;
        }
        struct rsa_sig_key *k = NULL;
        if (pk != NULL) {
            k = zk_calloc(1, sizeof(*k));
            k->pkey = pk;
            k->has_private = priv;
            if (forms[f].form == 0) {
                /* The serial is over this very DER: no encoder needed later. */
                serial_of(der, dl, k->serial);
                k->has_serial = true;
            }
        }
        sodium_memzero(der, sizeof(der));
        return k;
    }
    return NULL;
}

struct rsa_sig_key *rsa_sig_key_load(const char *path, bool want_private)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    char text[16384];
    size_t got = fread(text, 1, sizeof(text) - 1, fp);
    text[got] = '\0';
    struct rsa_sig_key *k = NULL;
    if (!ferror(fp) && got < sizeof(text) - 1)
        k = key_from_pem(text, want_private);
    if (k != NULL) {
        fclose(fp);
        sodium_memzero(text, sizeof(text));
        return k;
    }
    sodium_memzero(text, sizeof(text));
    /* Fallback: whatever OpenSSL's PEM reader understands. */
    rewind(fp);
    EVP_PKEY *pk = NULL;
    bool priv = false;
    char head[64] = "";
    got = fread(head, 1, sizeof(head) - 1, fp);
    head[got] = '\0';
    rewind(fp);
    if (strstr(head, "PRIVATE KEY") != NULL) {
        pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
        priv = pk != NULL;
    } else if (!want_private) {
        pk = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
    }
    fclose(fp);
    if (pk == NULL || (want_private && !priv) || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    k = zk_calloc(1, sizeof(*k));
    k->pkey = pk;
    k->has_private = priv;
    return k;
}

void rsa_sig_key_free(struct rsa_sig_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

int rsa_sig_sign(const struct rsa_sig_key *k, const char *msg, size_t len, char *out, size_t outsz)
{
    if (k == NULL || !k->has_private)
        return -EINVAL;
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    int rc = -EINVAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, len) != 1)
        goto out;
    if (sodium_base64_ENCODED_LEN(siglen, sodium_base64_VARIANT_ORIGINAL) > outsz) {
        rc = -ENOSPC;
        goto out;
    }
    sodium_bin2base64(out, outsz, sig, siglen, sodium_base64_VARIANT_ORIGINAL);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Decodes standard base64 (padding required, no white space). -1 on error. */
static int b64_decode(const char *in, unsigned char *out, size_t outsz, size_t *outlen)
{
    if (sodium_base642bin(out, outsz, in, strlen(in), NULL, outlen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return 0;
}

bool rsa_sig_verify(const struct rsa_sig_key *k, const char *msg, size_t len, const char *sig_b64)
{
    if (k == NULL || sig_b64 == NULL || strlen(sig_b64) > 1400)
        return false;
    unsigned char sig[1024];
    size_t siglen = 0;
    if (b64_decode(sig_b64, sig, sizeof(sig), &siglen) < 0)
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int rsa_sig_key_serial(const struct rsa_sig_key *k, char out[41])
{
    if (k->has_serial) {
        memcpy(out, k->serial, 41);
        return 0;
    }
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(k->pkey, &der);
    if (len <= 0)
        return -EINVAL;
    unsigned char h[32];
    crypto_hash_sha256(h, der, (unsigned long long)len);
    OPENSSL_free(der);
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[40] = '\0';
    return 0;
}

static int write_pem(const char *path, EVP_PKEY *pk, bool priv)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, priv ? 0600 : 0644);
    if (fd < 0)
        return -errno;
    FILE *fp = fdopen(fd, "w");
    if (fp == NULL) {
        close(fd);
        return -EIO;
    }
    int ok =
        priv ? PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(fp, pk);
    if (fclose(fp) != 0)
        ok = 0;
    return ok ? 0 : -EIO;
}

int rsa_sig_generate(const char *private_path, const char *public_path)
{
    if (access(private_path, F_OK) == 0 || access(public_path, F_OK) == 0)
        return -EEXIST;
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    if (pk == NULL)
        return -EIO;
    int rc = write_pem(private_path, pk, true);
    if (rc == 0)
        rc = write_pem(public_path, pk, false);
    EVP_PKEY_free(pk);
    return rc;
}
