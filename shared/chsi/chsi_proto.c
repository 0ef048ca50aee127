/*
 * chsi_proto.c - the CHSI prior-education authorisation protocol (see
 * chsi_proto.h). Owns nothing beyond each call.
 */
#include "chsi_proto.h"
#include "validate.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHSI_SIG_MAX 1400 /* base64 of a 4096-bit signature, with room */

bool chsi_token_valid(const char *token)
{
    if (token == NULL || strlen(token) != CHSI_TOKEN_LEN)
        return false;
    return strspn(token, "0123456789abcdef") == CHSI_TOKEN_LEN;
}

/* A string of 1..max characters of valid UTF-8 without control characters. */
static bool text_ok(const char *s, long max)
{
    long n = validate_utf8_length(s);
    if (n < 1 || n > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool charset_ok(const char *s, size_t lo, size_t hi, const char *set)
{
    size_t n = strlen(s);
    return n >= lo && n <= hi && strspn(s, set) == n;
}

static bool id_number_ok(const char *s)
{
    return strlen(s) == 18 && strspn(s, "0123456789") >= 17 &&
           (s[17] == 'X' || (s[17] >= '0' && s[17] <= '9'));
}

/* YYYY-MM-DD, a real date between 1950 and 2099. */
static bool date_ok(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1950 || y > 2099 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

#define ALNUM     "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define NOTIFY_ID ALNUM "_-"

enum field_kind { F_TEXT, F_NOTIFY_ID, F_APP_ID, F_EVENT, F_TOKEN, F_ID, F_GENDER, F_DATE, F_CERT };

struct field_rule {
    const char *name;
    enum field_kind kind;
    long max;         /* F_TEXT: characters */
    const char *what; /* the Chinese sentence when it is wrong */
};

static bool field_ok(const struct field_rule *f, const char *v, const char *app_id)
{
    switch (f->kind) {
    case F_TEXT:
        return text_ok(v, f->max);
    case F_NOTIFY_ID:
        return charset_ok(v, 8, 64, NOTIFY_ID);
    case F_APP_ID:
        return strcmp(v, app_id) == 0;
    case F_EVENT:
        return strcmp(v, "scanned") == 0 || strcmp(v, "authorised") == 0;
    case F_TOKEN:
        return chsi_token_valid(v);
    case F_ID:
        return id_number_ok(v);
    case F_GENDER:
        return strcmp(v, "男") == 0 || strcmp(v, "女") == 0;
    case F_DATE:
        return date_ok(v);
    case F_CERT:
        return charset_ok(v, 1, 40, ALNUM "-");
    }
    return false;
}

/* Reads the string obj[f->name] into *out; false with *why on failure. */
static bool field_get(struct arena *a, json_t *obj, const struct field_rule *f, const char *app_id,
                      const char **out, const char **why)
{
    json_t *v = json_object_get(obj, f->name);
    if (v == NULL) {
        *why = "缺少此字段";
        return false;
    }
    if (!json_is_string(v) || !field_ok(f, json_string_value(v), app_id)) {
        *why = f->what;
        return false;
    }
    *out = arena_strdup(a, json_string_value(v));
    return true;
}

static const struct field_rule notice_fields[] = {
    {"notify_id", F_NOTIFY_ID, 0, "须为 8 至 64 位字母、数字、下划线或连字符"},
    {"app_id", F_APP_ID, 0, "不是本系统在学信网的应用编号"},
    {"event", F_EVENT, 0, "须为 scanned 或 authorised"},
    {"token", F_TOKEN, 0, "须为本系统签发的 64 位十六进制令牌"},
    {"sent_at", F_TEXT, 40, "须为 1 至 40 个字符的时间"},
};

static const struct field_rule record_fields[] = {
    {"name", F_TEXT, 40, "须为 1 至 40 个字符"},
    {"id_number", F_ID, 0, "须为 18 位身份证号（17 位数字加数字或 X）"},
    {"gender", F_GENDER, 0, "须为“男”或“女”"},
    {"school", F_TEXT, 100, "须为 1 至 100 个字符"},
    {"level", F_TEXT, 20, "须为 1 至 20 个字符"},
    {"major", F_TEXT, 100, "须为 1 至 100 个字符"},
    {"graduated_on", F_DATE, 0, "须为 YYYY-MM-DD 格式的日期"},
    {"certificate_no", F_CERT, 0, "须为 1 至 40 位字母、数字或连字符"},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

int chsi_notice_parse(struct arena *a, const char *body, size_t len, const char *app_id,
                      struct chsi_notice *out, const char **field, const char **why)
{
    memset(out, 0, sizeof(*out));
    *field = NULL;
    *why = NULL;
    int rc = -EINVAL;
    json_t *root = NULL;
    if (len > CHSI_NOTICE_MAX) {
        *why = "通知超过 8192 字节";
        goto out;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(root)) {
        *why = "通知须为 UTF-8 编码的 JSON 对象（键不重复）";
        goto out;
    }
    const char **nv[] = {&out->notify_id, &out->app_id, &out->event, &out->token, &out->sent_at};
    for (size_t i = 0; i < NFIELDS(notice_fields); i++) {
        if (!field_get(a, root, &notice_fields[i], app_id, nv[i], why)) {
            *field = notice_fields[i].name;
            goto out;
        }
    }
    out->authorised = strcmp(out->event, "authorised") == 0;
    if (out->authorised) {
        json_t *rec = json_object_get(root, "record");
        if (!json_is_object(rec)) {
            *field = "record";
            *why = "authorised 通知须带学历信息对象";
            goto out;
        }
        struct chsi_record *r = &out->record;
        const char **rv[] = {&r->name,  &r->id_number, &r->gender,       &r->school,
                             &r->level, &r->major,     &r->graduated_on, &r->certificate_no};
        for (size_t i = 0; i < NFIELDS(record_fields); i++) {
            if (!field_get(a, rec, &record_fields[i], app_id, rv[i], why)) {
                *field = arena_printf(a, "record.%s", record_fields[i].name);
                goto out;
            }
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static char *json_text(struct arena *a, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    char *s = text ? arena_strdup(a, text) : NULL;
    free(text);
    return s;
}

static json_t *record_object(const struct chsi_record *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", r->name, "id_number",
                     r->id_number, "gender", r->gender, "school", r->school, "level", r->level,
                     "major", r->major, "graduated_on", r->graduated_on, "certificate_no",
                     r->certificate_no);
}

char *chsi_notice_build(struct arena *a, const struct chsi_notice *n)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "notify_id", n->notify_id, "app_id",
                          n->app_id, "event", n->event, "token", n->token, "sent_at", n->sent_at);
    if (j != NULL && n->authorised)
        json_object_set_new(j, "record", record_object(&n->record));
    return json_text(a, j);
}

char *chsi_record_json(struct arena *a, const struct chsi_record *r)
{
    return json_text(a, record_object(r));
}

char *chsi_notice_sign(struct arena *a, const struct rsa_sig_key *key, const char *body, size_t len)
{
    char sig[CHSI_SIG_MAX];
    if (rsa_sig_sign(key, body, len, sig, sizeof(sig)) < 0)
        return NULL;
    return arena_strdup(a, sig);
}

bool chsi_notice_verify(const struct rsa_sig_key *key, const char *body, size_t len,
                        const char *sig)
{
    return sig != NULL && strlen(sig) <= CHSI_SIG_MAX && rsa_sig_verify(key, body, len, sig);
}

char *chsi_qr_text(struct arena *a, const char *auth_url, const char *app_id, const char *token)
{
    return arena_printf(a, "%s%capp_id=%s&token=%s", auth_url,
                        strchr(auth_url, '?') != NULL ? '&' : '?', app_id, token);
}

char *chsi_auth_url(struct arena *a, const struct zk_config *cfg)
{
    if (cfg->chsi_auth_url[0] != '\0')
        return arena_strdup(a, cfg->chsi_auth_url);
    return arena_printf(a, "%s/sim/chsi/authorise", config_public_url(a, cfg));
}

char *chsi_notify_url(struct arena *a, const struct zk_config *cfg)
{
    return arena_printf(a, "%s/api/v1/prior-education/chsi/notify", config_public_url(a, cfg));
}

char *chsi_key_path(struct arena *a, const struct zk_config *cfg, const char *name)
{
    return arena_printf(a, "%s/%s", cfg->chsi_key_dir[0] ? cfg->chsi_key_dir : ".", name);
}

int chsi_keygen(const char *dir, FILE *out)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    char priv[1024], pub[1024];
    snprintf(priv, sizeof(priv), "%s/%s", dir, CHSI_KEY_PRIVATE);
    snprintf(pub, sizeof(pub), "%s/%s", dir, CHSI_KEY_PUBLIC);
    int rc = rsa_sig_generate(priv, pub);
    if (rc < 0 && rc != -EEXIST)
        return rc;
    if (out != NULL)
        fprintf(out, "%s %s %s\n", rc == -EEXIST ? "kept" : "wrote", CHSI_KEY_PRIVATE,
                CHSI_KEY_PUBLIC);
    return 0;
}
