/*
 * pay_proto.c - Alipay-style and WeChat-Pay-v3-style messages: building,
 * signing, verifying, decrypting and normalising them (see pay_proto.h).
 * Owns nothing: results live in the caller's arena.
 */
#include "pay_proto.h"
#include "bjtime.h"
#include "alloc.h"
#include "buf.h"
#include "urlcode.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void pay_order_no_new(char out[PAY_ORDER_NO_LEN + 1])
{
    struct tm tm;
    bj_tm(time(NULL), &tm);
    strftime(out, 11, "ZK%Y%m%d", &tm);
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof(rnd));
    for (int i = 0; i < 16; i++)
        out[10 + i] = crockford[rnd[i] & 31];
    out[PAY_ORDER_NO_LEN] = '\0';
}

bool pay_order_no_valid(const char *no)
{
    if (no == NULL || strlen(no) != PAY_ORDER_NO_LEN || no[0] != 'Z' || no[1] != 'K')
        return false;
    for (int i = 2; i < 10; i++)
        if (no[i] < '0' || no[i] > '9')
            return false;
    for (int i = 10; i < PAY_ORDER_NO_LEN; i++)
        if (no[i] == '\0' || strchr(crockford, no[i]) == NULL)
            return false;
    return true;
}

int pay_keygen(const char *dir, FILE *out)
{
    static const char *const pairs[][2] = {
        {PAY_KEY_ALIPAY_PRIVATE, PAY_KEY_ALIPAY_PUBLIC},
        {PAY_KEY_ALIPAY_APP_PRIVATE, PAY_KEY_ALIPAY_APP_PUBLIC},
        {PAY_KEY_WECHAT_PRIVATE, PAY_KEY_WECHAT_PUBLIC},
        {PAY_KEY_WECHAT_MCH_PRIVATE, PAY_KEY_WECHAT_MCH_PUBLIC},
    };
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    char a[1024], b[1024];
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        snprintf(a, sizeof(a), "%s/%s", dir, pairs[i][0]);
        snprintf(b, sizeof(b), "%s/%s", dir, pairs[i][1]);
        int rc = rsa_sig_generate(a, b);
        if (rc < 0 && rc != -EEXIST)
            return rc;
        if (out != NULL)
            fprintf(out, "%s %s %s\n", rc == -EEXIST ? "kept" : "wrote", pairs[i][0], pairs[i][1]);
    }
    snprintf(a, sizeof(a), "%s/%s", dir, PAY_KEY_WECHAT_APIV3);
    FILE *fp = fopen(a, "wx");
    if (fp != NULL) {
        char key[33];
        pay_random_token(key, 32);
        fprintf(fp, "%s\n", key);
        fclose(fp);
        chmod(a, 0600);
    } else if (errno != EEXIST) {
        return -errno;
    }
    if (out != NULL)
        fprintf(out, "%s %s\n", fp != NULL ? "wrote" : "kept", PAY_KEY_WECHAT_APIV3);
    return 0;
}

char *pay_key_path(struct arena *a, const struct zk_config *cfg, const char *name)
{
    return arena_printf(a, "%s/%s", cfg->pay_key_dir[0] ? cfg->pay_key_dir : ".", name);
}

char *pay_alipay_gateway(struct arena *a, const struct zk_config *cfg)
{
    if (cfg->pay_alipay_gateway[0] != '\0')
        return arena_strdup(a, cfg->pay_alipay_gateway);
    return arena_printf(a, "%s/sim/alipay/gateway.do", config_public_url(a, cfg));
}

char *pay_wechat_gateway(struct arena *a, const struct zk_config *cfg)
{
    if (cfg->pay_wechat_gateway[0] != '\0')
        return arena_strdup(a, cfg->pay_wechat_gateway);
    return arena_printf(a, "%s/sim/wechat", config_public_url(a, cfg));
}

int pay_amount_parse(const char *s, long long *fen)
{
    if (s == NULL || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    long long yuan = 0;
    const char *p = s;
    int digits = 0;
    while (isdigit((unsigned char)*p)) {
        if (++digits > 9)
            return -EINVAL;
        yuan = yuan * 10 + (*p++ - '0');
    }
    long long cents = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)p[0]))
            return -EINVAL;
        cents = (p[0] - '0') * 10;
        p++;
        if (isdigit((unsigned char)*p))
            cents += *p++ - '0';
    }
    if (*p != '\0')
        return -EINVAL;
    *fen = yuan * 100 + cents;
    return 0;
}

char *pay_amount_format(struct arena *a, long long fen)
{
    return arena_printf(a, "%lld.%02lld", fen / 100, fen % 100);
}

char *pay_time_rfc3339(struct arena *a, time_t t)
{
    struct tm tm;
    bj_tm(t, &tm);
    char out[40];
    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    return arena_strdup(a, out);
}

char *pay_time_alipay(struct arena *a, time_t t)
{
    struct tm tm;
    bj_tm(t, &tm);
    char out[40];
    strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S", &tm);
    return arena_strdup(a, out);
}

/* ---- forms ---- */

int pay_form_parse(struct arena *a, const char *body, size_t len, int max, struct pay_param **out)
{
    struct pay_param *p = arena_alloc(a, sizeof(*p) * (size_t)(max > 0 ? max : 1));
    int n = 0;
    const char *s = body, *end = body + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *stop = amp ? amp : end;
        if (stop > s) {
            const char *eq = memchr(s, '=', (size_t)(stop - s));
            if (eq == NULL || eq == s || n >= max)
                return -EINVAL;
            p[n].key = url_decode(a, s, (size_t)(eq - s), true, NULL);
            p[n].value = url_decode(a, eq + 1, (size_t)(stop - eq - 1), true, NULL);
            n++;
        }
        s = stop + 1;
    }
    *out = p;
    return n;
}

const char *pay_param_get(const struct pay_param *p, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0)
            return p[i].value;
    return NULL;
}

static void url_encode_into(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        }
    }
}

char *pay_form_encode(struct arena *a, const struct pay_param *p, int n)
{
    struct buf b;
    buf_init(&b, a, 512);
    for (int i = 0; i < n; i++) {
        if (i)
            buf_puts(&b, "&");
        url_encode_into(&b, p[i].key);
        buf_puts(&b, "=");
        url_encode_into(&b, p[i].value);
    }
    return b.data;
}

static int param_cmp(const void *x, const void *y)
{
    return strcmp(((const struct pay_param *)x)->key, ((const struct pay_param *)y)->key);
}

char *pay_alipay_sign_content(struct arena *a, const struct pay_param *p, int n)
{
    struct pay_param *s = arena_alloc(a, sizeof(*s) * (size_t)(n > 0 ? n : 1));
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(p[i].key, "sign") == 0 || strcmp(p[i].key, "sign_type") == 0 ||
            p[i].value == NULL || p[i].value[0] == '\0')
            continue;
        s[k++] = p[i];
    }
    qsort(s, (size_t)k, sizeof(*s), param_cmp);
    struct buf b;
    buf_init(&b, a, 512);
    for (int i = 0; i < k; i++)
        buf_printf(&b, "%s%s=%s", i ? "&" : "", s[i].key, s[i].value);
    return b.data;
}

int pay_alipay_notice_fields(struct arena *a, const struct pay_param *p, int n,
                             struct pay_notice *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    out->provider = "alipay";
    out->order_no = pay_param_get(p, n, "out_trade_no");
    out->trade_no = pay_param_get(p, n, "trade_no");
    out->provider_status = pay_param_get(p, n, "trade_status");
    const char *app_id = pay_param_get(p, n, "app_id");
    const char *seller = pay_param_get(p, n, "seller_id");
    const char *amount = pay_param_get(p, n, "total_amount");
    if (out->order_no == NULL || out->order_no[0] == '\0' || strlen(out->order_no) > 64 ||
        out->trade_no == NULL || out->trade_no[0] == '\0' || strlen(out->trade_no) > 64 ||
        out->provider_status == NULL || app_id == NULL) {
        *why = "out_trade_no, trade_no, trade_status and app_id are required";
        return -EINVAL;
    }
    const char *st = out->provider_status;
    if (strcmp(st, "TRADE_SUCCESS") == 0 || strcmp(st, "TRADE_FINISHED") == 0)
        out->status = "success";
    else if (strcmp(st, "TRADE_CLOSED") == 0)
        out->status = "closed";
    else if (strcmp(st, "WAIT_BUYER_PAY") == 0)
        out->status = "pending";
    else {
        *why = "unknown trade_status";
        return -EINVAL;
    }
    out->amount_fen = -1;
    if (amount != NULL && pay_amount_parse(amount, &out->amount_fen) < 0) {
        *why = "total_amount is not an amount";
        return -EINVAL;
    }
    if (strcmp(out->status, "success") == 0 && out->amount_fen < 0) {
        *why = "total_amount is required for a paid trade";
        return -EINVAL;
    }
    out->merchant = arena_printf(a, "%s/%s", app_id, seller ? seller : "");
    return 0;
}

int pay_alipay_notice_verify(struct arena *a, const struct pay_param *p, int n,
                             const struct rsa_sig_key *provider_pub, struct pay_notice *out,
                             const char **why)
{
    const char *sign = pay_param_get(p, n, "sign");
    const char *sign_type = pay_param_get(p, n, "sign_type");
    if (sign == NULL || sign_type == NULL || strcmp(sign_type, "RSA2") != 0) {
        *why = "sign and sign_type=RSA2 are required";
        return -EPERM;
    }
    char *content = pay_alipay_sign_content(a, p, n);
    if (!rsa_sig_verify(provider_pub, content, strlen(content), sign)) {
        *why = "signature does not verify";
        return -EPERM;
    }
    return pay_alipay_notice_fields(a, p, n, out, why);
}

char *pay_alipay_sign_form(struct arena *a, const struct rsa_sig_key *key, struct pay_param *p,
                           int n)
{
    p[n].key = "sign_type";
    p[n].value = "RSA2";
    char *content = pay_alipay_sign_content(a, p, n + 1);
    char *sig = arena_alloc(a, 1024);
    if (rsa_sig_sign(key, content, strlen(content), sig, 1024) < 0)
        return NULL;
    p[n + 1].key = "sign";
    p[n + 1].value = sig;
    return pay_form_encode(a, p, n + 2);
}

char *pay_alipay_response_build(struct arena *a, const struct rsa_sig_key *key, const char *name,
                                json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    char sig[1024];
    char *out = NULL;
    if (text != NULL && rsa_sig_sign(key, text, strlen(text), sig, sizeof(sig)) == 0)
        out = arena_printf(a, "{\"%s\":%s,\"sign\":\"%s\"}", name, text, sig);
    free(text);
    return out;
}

/* Finds the raw text of the object value of "name" at the top level of a
 * JSON object text. Returns its start and sets *len; NULL if absent. */
static const char *json_raw_member(const char *s, size_t n, const char *name, size_t *len)
{
    char key[96];
    int kl = snprintf(key, sizeof(key), "\"%s\"", name);
    if (kl < 0 || (size_t)kl >= sizeof(key))
        return NULL;
    const char *end = s + n;
    int depth = 0;
    for (const char *p = s; p < end; p++) {
        if (*p == '"') {
            if (depth == 1 && (size_t)(end - p) >= (size_t)kl && memcmp(p, key, (size_t)kl) == 0) {
                const char *q = p + kl;
                while (q < end && isspace((unsigned char)*q))
                    q++;
                if (q < end && *q == ':') {
                    q++;
                    while (q < end && isspace((unsigned char)*q))
                        q++;
                    if (q >= end || *q != '{')
                        return NULL;
                    const char *start = q;
                    int d = 0;
                    bool in_str = false;
                    for (; q < end; q++) {
                        if (in_str) {
                            if (*q == '\\')
                                q++;
                            else if (*q == '"')
                                in_str = false;
                        } else if (*q == '"') {
                            in_str = true;
                        } else if (*q == '{') {
                            d++;
                        } else if (*q == '}' && --d == 0) {
                            *len = (size_t)(q - start + 1);
                            return start;
                        }
                    }
                    return NULL;
                }
            }
            /* skip the string */
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
    }
    return NULL;
}

json_t *pay_alipay_response_verify(const char *body, size_t len, const char *name,
                                   const struct rsa_sig_key *provider_pub, json_t **root)
{
    *root = json_loadb(body, len, 0, NULL);
    if (*root == NULL || !json_is_object(*root))
        return NULL;
    size_t rl = 0;
    const char *raw = json_raw_member(body, len, name, &rl);
    const char *sign = json_string_value(json_object_get(*root, "sign"));
    json_t *obj = json_object_get(*root, name);
    if (raw == NULL || sign == NULL || !json_is_object(obj) ||
        !rsa_sig_verify(provider_pub, raw, rl, sign))
        return NULL;
    return obj;
}

/* ---- WeChat ---- */

static char *wechat_message(struct arena *a, const char *ts, const char *nonce, const char *body,
                            size_t len, size_t *outlen)
{
    struct buf b;
    buf_init(&b, a, len + 64);
    buf_printf(&b, "%s\n%s\n", ts, nonce);
    buf_append(&b, body, len);
    buf_puts(&b, "\n");
    *outlen = b.len;
    return b.data;
}

int pay_wechat_sign(struct arena *a, const struct rsa_sig_key *key, const char *ts,
                    const char *nonce, const char *body, size_t len, char **sig)
{
    size_t ml;
    char *msg = wechat_message(a, ts, nonce, body, len, &ml);
    *sig = arena_alloc(a, 1024);
    return rsa_sig_sign(key, msg, ml, *sig, 1024);
}

bool pay_wechat_verify(const struct rsa_sig_key *pub, const char *ts, const char *nonce,
                       const char *body, size_t len, const char *sig)
{
    struct arena a;
    arena_init(&a, len + 256);
    size_t ml;
    char *msg = wechat_message(&a, ts, nonce, body, len, &ml);
    bool ok = rsa_sig_verify(pub, msg, ml, sig);
    arena_destroy(&a);
    return ok;
}

int pay_wechat_transaction(struct arena *a, const json_t *tx, struct pay_notice *out,
                           const char **why)
{
    memset(out, 0, sizeof(*out));
    out->provider = "wechat";
    const char *no = json_string_value(json_object_get(tx, "out_trade_no"));
    const char *tid = json_string_value(json_object_get(tx, "transaction_id"));
    const char *st = json_string_value(json_object_get(tx, "trade_state"));
    const char *mchid = json_string_value(json_object_get(tx, "mchid"));
    const char *appid = json_string_value(json_object_get(tx, "appid"));
    if (no == NULL || no[0] == '\0' || strlen(no) > 64 || st == NULL || mchid == NULL) {
        *why = "out_trade_no, trade_state and mchid are required";
        return -EINVAL;
    }
    if (strcmp(st, "SUCCESS") == 0 || strcmp(st, "REFUND") == 0)
        out->status = "success";
    else if (strcmp(st, "CLOSED") == 0 || strcmp(st, "REVOKED") == 0 || strcmp(st, "PAYERROR") == 0)
        out->status = "closed";
    else if (strcmp(st, "NOTPAY") == 0 || strcmp(st, "USERPAYING") == 0)
        out->status = "pending";
    else {
        *why = "unknown trade_state";
        return -EINVAL;
    }
    if (strcmp(out->status, "success") == 0 && (tid == NULL || tid[0] == '\0')) {
        *why = "transaction_id is required for a paid trade";
        return -EINVAL;
    }
    out->order_no = arena_strdup(a, no);
    out->trade_no = arena_strdup(a, tid && tid[0] ? tid : no);
    out->provider_status = arena_strdup(a, st);
    out->amount_fen = -1;
    json_t *amount = json_object_get(json_object_get(tx, "amount"), "total");
    if (amount != NULL) {
        if (!json_is_integer(amount) || json_integer_value(amount) < 0) {
            *why = "amount.total is not a whole number of fen";
            return -EINVAL;
        }
        out->amount_fen = json_integer_value(amount);
    }
    if (strcmp(out->status, "success") == 0 && out->amount_fen < 0) {
        *why = "amount.total is required for a paid trade";
        return -EINVAL;
    }
    out->merchant = arena_printf(a, "%s/%s", appid ? appid : "", mchid);
    return 0;
}

int pay_wechat_notice_open(struct arena *a, const char *body, size_t len,
                           const unsigned char apiv3[32], struct pay_notice *out,
                           const char **resource, const char **why)
{
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    int rc = -EINVAL;
    json_t *tx = NULL;
    char *plain = NULL;
    json_t *res = json_object_get(root, "resource");
    const char *alg = json_string_value(json_object_get(res, "algorithm"));
    const char *ct = json_string_value(json_object_get(res, "ciphertext"));
    const char *nonce = json_string_value(json_object_get(res, "nonce"));
    const char *aad = json_string_value(json_object_get(res, "associated_data"));
    if (!json_is_object(root) || alg == NULL || ct == NULL || nonce == NULL) {
        *why = "resource with algorithm, ciphertext and nonce is required";
        goto out;
    }
    if (strcmp(alg, "AEAD_AES_256_GCM") != 0) {
        *why = "resource algorithm must be AEAD_AES_256_GCM";
        goto out;
    }
    size_t plen = 0;
    plain = pay_aesgcm_decrypt(apiv3, nonce, aad ? aad : "", ct, &plen);
    if (plain == NULL) {
        *why = "resource does not decrypt under the API v3 key";
        rc = -EPERM;
        goto out;
    }
    *resource = arena_strndup(a, plain, plen);
    tx = json_loadb(plain, plen, 0, NULL);
    if (!json_is_object(tx)) {
        *why = "resource is not a JSON object";
        goto out;
    }
    rc = pay_wechat_transaction(a, tx, out, why);
out:
    free(plain);
    json_decref(tx);
    json_decref(root);
    return rc;
}

char *pay_wechat_notice_build(struct arena *a, const unsigned char apiv3[32], const char *tx)
{
    char nonce[13], id[37];
    pay_random_token(nonce, 12);
    pay_random_token(id, 36);
    char *ct = pay_aesgcm_encrypt(apiv3, nonce, "transaction", tx, strlen(tx));
    if (ct == NULL)
        return NULL;
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "id", id, "create_time",
                  pay_time_rfc3339(a, time(NULL)), "resource_type", "encrypt-resource",
                  "event_type", "TRANSACTION.SUCCESS", "summary", "支付成功", "resource",
                  "original_type", "transaction", "algorithm", "AEAD_AES_256_GCM", "ciphertext", ct,
                  "associated_data", "transaction", "nonce", nonce);
    free(ct);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    char *out = arena_strdup(a, text);
    free(text);
    return out;
}

char *pay_wechat_authorization(struct arena *a, const struct rsa_sig_key *mch_key,
                               const char *mchid, const char *serial, const char *method,
                               const char *url_path, const char *body)
{
    char nonce[33], ts[24];
    pay_random_token(nonce, 32);
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    char *msg = arena_printf(a, "%s\n%s\n%s\n%s\n%s\n", method, url_path, ts, nonce, body);
    char sig[1024];
    if (rsa_sig_sign(mch_key, msg, strlen(msg), sig, sizeof(sig)) < 0)
        return NULL;
    return arena_printf(a,
                        "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
                        "signature=\"%s\",timestamp=\"%s\",serial_no=\"%s\"",
                        mchid, nonce, sig, ts, serial);
}

/* Value of name="..." in an Authorization header, into the arena. */
static const char *auth_field(struct arena *a, const char *h, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = h; (p = strstr(p, name)) != NULL; p += nl) {
        if ((p == h || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=' && p[nl + 1] == '"') {
            const char *v = p + nl + 2, *e = strchr(v, '"');
            return e ? arena_strndup(a, v, (size_t)(e - v)) : NULL;
        }
    }
    return NULL;
}

bool pay_wechat_authorization_verify(struct arena *a, const struct rsa_sig_key *mch_pub,
                                     const char *header, const char *mchid, const char *method,
                                     const char *url_path, const char *body, size_t len)
{
    static const char scheme[] = "WECHATPAY2-SHA256-RSA2048 ";
    if (header == NULL || strncmp(header, scheme, sizeof(scheme) - 1) != 0)
        return false;
    const char *m = auth_field(a, header, "mchid");
    const char *nonce = auth_field(a, header, "nonce_str");
    const char *sig = auth_field(a, header, "signature");
    const char *ts = auth_field(a, header, "timestamp");
    if (m == NULL || nonce == NULL || sig == NULL || ts == NULL || strcmp(m, mchid) != 0)
        return false;
    long long t = atoll(ts);
    long long now = (long long)time(NULL);
    if (t < now - PAY_WECHAT_MAX_SKEW_S || t > now + PAY_WECHAT_MAX_SKEW_S)
        return false;
    struct buf b;
    buf_init(&b, a, len + 256);
    buf_printf(&b, "%s\n%s\n%s\n%s\n", method, url_path, ts, nonce);
    buf_append(&b, body, len);
    buf_puts(&b, "\n");
    return rsa_sig_verify(mch_pub, b.data, b.len, sig);
}
