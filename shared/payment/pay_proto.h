/*
 * pay_proto.h - the two provider protocols, as pure functions over text:
 *
 *   Alipay-style: form-encoded notifications and API calls signed with RSA2
 *   (SHA256withRSA) over the parameters except sign and sign_type, empty
 *   values skipped, sorted by key, joined "k=v&k=v"; API answers are JSON
 *   {"<method>_response": {...}, "sign": "..."} signed over the raw text of
 *   the response object.
 *
 *   WeChat-Pay-v3-style: JSON bodies; the platform signs
 *   "timestamp\nnonce\nbody\n" (headers Wechatpay-Signature, -Timestamp,
 *   -Nonce, -Serial); the merchant signs "METHOD\nURL\ntimestamp\nnonce\nbody\n"
 *   in its Authorization header; notification resources are encrypted with
 *   AEAD_AES_256_GCM under the API v3 key.
 *
 * Both sides use it: the server (callbacks; the simulator's gateway), the
 * payment worker (queries, closing trades; the simulator's notifications),
 * zikaoctl and the tests. Strings returned live in the caller's arena.
 * Thread-safe; no I/O except reading key files where a path is given.
 */
#ifndef ZK_PAY_PROTO_H
#define ZK_PAY_PROTO_H

#include "arena.h"
#include "config.h"
#include "pay_crypto.h"
#include "rsa_sig.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Key files in [payment] key_dir (zikaoctl payments keygen writes them). */
#define PAY_KEY_ALIPAY_PUBLIC      "alipay_public.pem"      /* provider's: verifies its messages */
#define PAY_KEY_ALIPAY_PRIVATE     "alipay_private.pem"     /* simulator only */
#define PAY_KEY_ALIPAY_APP_PRIVATE "alipay_app_private.pem" /* ours: signs our requests */
#define PAY_KEY_ALIPAY_APP_PUBLIC  "alipay_app_public.pem"  /* simulator: verifies them */
#define PAY_KEY_WECHAT_PUBLIC      "wechat_platform_public.pem"
#define PAY_KEY_WECHAT_PRIVATE     "wechat_platform_private.pem" /* simulator only */
#define PAY_KEY_WECHAT_MCH_PRIVATE "wechat_merchant_private.pem"
#define PAY_KEY_WECHAT_MCH_PUBLIC  "wechat_merchant_public.pem"
#define PAY_KEY_WECHAT_APIV3       "wechat_apiv3.key"

/* WeChat notifications older or newer than this are refused (replays). */
#define PAY_WECHAT_MAX_SKEW_S 300

struct pay_param {
    const char *key;
    const char *value;
};

/* A verified notification or query answer, normalised. */
struct pay_notice {
    const char *provider;        /* "alipay" | "wechat" */
    const char *order_no;        /* out_trade_no */
    const char *trade_no;        /* the provider's transaction id */
    const char *status;          /* "success" | "closed" | "pending" */
    const char *provider_status; /* as sent: TRADE_SUCCESS, SUCCESS, NOTPAY ... */
    long long amount_fen;        /* -1 when absent */
    const char *merchant;        /* "app_id/seller_id" or "appid/mchid" */
};

/* Order numbers: "ZK" + yyyymmdd (Beijing) + 16 random Crockford base32
 * characters (80 bits): printable, unguessable, fit both providers. */
#define PAY_ORDER_NO_LEN 26
void pay_order_no_new(char out[PAY_ORDER_NO_LEN + 1]);
bool pay_order_no_valid(const char *no);

/*
 * Writes every key file of the simulator and of test merchants into dir
 * (created 0700): RSA pairs for both providers and both merchant sides, and
 * the WeChat API v3 key. Existing files are kept. out (may be NULL) gets one
 * line per file. Returns 0 or negative errno.
 */
int pay_keygen(const char *dir, FILE *out);

/* "<key_dir>/<name>" into the arena. */
char *pay_key_path(struct arena *a, const struct zk_config *cfg, const char *name);

/* Gateways: configured, else the simulator under the public URL
 * (config_public_url). */
char *pay_alipay_gateway(struct arena *a, const struct zk_config *cfg);
char *pay_wechat_gateway(struct arena *a, const struct zk_config *cfg);

/* Strict yuan text ("12", "12.3", "12.30") to fen; 0 or -EINVAL. */
int pay_amount_parse(const char *yuan, long long *fen);
/* fen as "12.30". */
char *pay_amount_format(struct arena *a, long long fen);
/* RFC 3339 with +08:00 ("2026-11-23T09:41:00+08:00"), and Alipay's
 * "2026-11-23 09:41:00" (Beijing time). */
char *pay_time_rfc3339(struct arena *a, time_t t);
char *pay_time_alipay(struct arena *a, time_t t);

/* ---- Alipay-style ---- */

/* Splits a form body into decoded parameters. Returns the count, or -EINVAL
 * for more than max parameters or a key without '='. */
int pay_form_parse(struct arena *a, const char *body, size_t len, int max, struct pay_param **out);
const char *pay_param_get(const struct pay_param *p, int n, const char *key);
/* Encodes parameters as a form body (values percent-encoded). */
char *pay_form_encode(struct arena *a, const struct pay_param *p, int n);

/* The string RSA2 signs: sorted "k=v&..." without sign, sign_type, empty values. */
char *pay_alipay_sign_content(struct arena *a, const struct pay_param *p, int n);

/*
 * Verifies a notification's signature with the provider's public key and
 * normalises it. Returns 0, -EPERM (signature), or -EINVAL (a field missing
 * or malformed); *why says which.
 */
int pay_alipay_notice_verify(struct arena *a, const struct pay_param *p, int n,
                             const struct rsa_sig_key *provider_pub, struct pay_notice *out,
                             const char **why);

/* Normalises trade fields (from a notification's parameters). */
int pay_alipay_notice_fields(struct arena *a, const struct pay_param *p, int n,
                             struct pay_notice *out, const char **why);

/*
 * Signs params (adding sign_type=RSA2 and sign) with key and returns the
 * form body. params must have room for n + 2 entries.
 */
char *pay_alipay_sign_form(struct arena *a, const struct rsa_sig_key *key, struct pay_param *p,
                           int n);

/*
 * An API response: {"<name>": <object>, "sign": "..."}; the signature covers
 * the object's raw text. Build signs with the provider's key; verify checks
 * with its public key and returns the object (borrowed from *root, which
 * the caller json_decrefs) or NULL.
 */
char *pay_alipay_response_build(struct arena *a, const struct rsa_sig_key *key, const char *name,
                                json_t *obj);
json_t *pay_alipay_response_verify(const char *body, size_t len, const char *name,
                                   const struct rsa_sig_key *provider_pub, json_t **root);

/* ---- WeChat-Pay-v3-style ---- */

/* "timestamp\nnonce\nbody\n" signed / verified. */
int pay_wechat_sign(struct arena *a, const struct rsa_sig_key *key, const char *ts,
                    const char *nonce, const char *body, size_t len, char **sig);
bool pay_wechat_verify(const struct rsa_sig_key *pub, const char *ts, const char *nonce,
                       const char *body, size_t len, const char *sig);

/*
 * Decrypts a notification body's resource with the API v3 key and normalises
 * the transaction. Returns 0, -EPERM (decryption failed), -EINVAL
 * (malformed). *resource receives the decrypted text.
 */
int pay_wechat_notice_open(struct arena *a, const char *body, size_t len,
                           const unsigned char apiv3[32], struct pay_notice *out,
                           const char **resource, const char **why);

/* Normalises a transaction object (decrypted resource or query answer). */
int pay_wechat_transaction(struct arena *a, const json_t *tx, struct pay_notice *out,
                           const char **why);

/* A notification body with tx (a transaction JSON text) encrypted. */
char *pay_wechat_notice_build(struct arena *a, const unsigned char apiv3[32], const char *tx);

/* The merchant's Authorization header for METHOD url_path body. */
char *pay_wechat_authorization(struct arena *a, const struct rsa_sig_key *mch_key,
                               const char *mchid, const char *serial, const char *method,
                               const char *url_path, const char *body);
/* Checks such a header (simulator). Returns true when valid for mchid. */
bool pay_wechat_authorization_verify(struct arena *a, const struct rsa_sig_key *mch_pub,
                                     const char *header, const char *mchid, const char *method,
                                     const char *url_path, const char *body, size_t len);

#endif
