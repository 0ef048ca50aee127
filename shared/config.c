/*
 * config.c - table-driven INI + environment configuration (see config.h).
 *
 * Owns the field table: adding a setting means one line here and one member
 * in struct zk_config; parsing, validation, environment overrides and reload
 * all follow from the table.
 */
#include "config.h"
#include "arena.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum config_type { CF_INT, CF_SIZE, CF_STR, CF_WORKERS, CF_ENUM, CF_BOOL };

struct config_field {
    const char *section;
    const char *key;
    enum config_type type;
    size_t offset;
    size_t size; /* for strings */
    long min, max;
    const char *def;
    bool reloadable;
    const char *choices; /* CF_ENUM: '|'-separated */
};

#define F_INT(sec, key, member, lo, hi, def, rl)                                                   \
    {                                                                                              \
        sec, key, CF_INT, offsetof(struct zk_config, member), 0, lo, hi, def, rl, NULL             \
    }
#define F_SIZE(sec, key, member, lo, hi, def, rl)                                                  \
    {                                                                                              \
        sec, key, CF_SIZE, offsetof(struct zk_config, member), 0, lo, hi, def, rl, NULL            \
    }
#define F_BOOL(sec, key, member, def, rl)                                                          \
    {                                                                                              \
        sec, key, CF_BOOL, offsetof(struct zk_config, member), sizeof(bool), 0, 1, def, rl, NULL   \
    }
#define F_STR(sec, key, member, def, rl)                                                           \
    {                                                                                              \
        sec, key, CF_STR, offsetof(struct zk_config, member),                                      \
            sizeof(((struct zk_config *)0)->member), 0, 0, def, rl, NULL                           \
    }
#define F_ENUM(sec, key, member, choices, def, rl)                                                 \
    {                                                                                              \
        sec, key, CF_ENUM, offsetof(struct zk_config, member),                                     \
            sizeof(((struct zk_config *)0)->member), 0, 0, def, rl, choices                        \
    }

static const struct config_field config_fields[] = {
    F_STR("server", "listen", listen, "127.0.0.1:8080", false),
    {"server", "workers", CF_WORKERS, offsetof(struct zk_config, workers), 0, 0, 256, "1", false,
     NULL},
    F_INT("server", "max_connections", max_connections, 1, 1000000, "20000", true),
    F_ENUM("server", "environment", environment, "development|test|production", "development",
           false),
    F_STR("server", "www_dir", www_dir, "auto", false),
    F_SIZE("server", "www_max_bytes", www_max_bytes, 0, 1 << 30, "64m", true),
    F_INT("server", "www_max_files", www_max_files, 0, 1000000, "4096", true),
    F_STR("server", "client_ip_header", client_ip_header, "", true),

    F_SIZE("limits", "header_bytes", header_bytes, 1024, 1 << 20, "16k", true),
    F_INT("limits", "max_headers", max_headers, 8, 1000, "100", true),
    F_SIZE("limits", "body_bytes", body_bytes, 0, 64 << 20, "64k", true),
    F_INT("limits", "header_timeout_ms", header_timeout_ms, 10, 3600000, "10000", true),
    F_INT("limits", "body_timeout_ms", body_timeout_ms, 10, 3600000, "15000", true),
    F_INT("limits", "idle_timeout_ms", idle_timeout_ms, 10, 3600000, "60000", true),
    F_INT("limits", "write_timeout_ms", write_timeout_ms, 10, 3600000, "30000", true),
    F_INT("limits", "shutdown_timeout_ms", shutdown_timeout_ms, 0, 3600000, "10000", true),
    F_INT("limits", "pipeline_depth", pipeline_depth, 1, 1024, "32", true),

    F_STR("database", "conninfo", db_conninfo, "host=127.0.0.1 port=5432 dbname=zikao user=zikao",
          false),
    F_STR("database", "owner_conninfo", db_owner_conninfo, "", false),
    F_STR("database", "app_role", db_app_role, "zikao", false),
    F_INT("database", "pool_size", db_pool_size, 1, 256, "8", false),
    F_INT("database", "queue_limit", db_queue_limit, 0, 100000, "1024", true),
    F_INT("database", "query_timeout_ms", db_query_timeout_ms, 10, 3600000, "5000", true),
    F_INT("database", "connect_timeout_ms", db_connect_timeout_ms, 10, 600000, "3000", true),

    F_STR("redis", "host", redis_host, "127.0.0.1", false),
    F_INT("redis", "port", redis_port, 1, 65535, "6379", false),
    F_STR("redis", "password", redis_password, "", false),
    F_INT("redis", "db", redis_db, 0, 1023, "0", false),
    F_INT("redis", "connect_timeout_ms", redis_connect_timeout_ms, 10, 600000, "1000", true),
    F_INT("redis", "command_timeout_ms", redis_command_timeout_ms, 10, 600000, "2000", true),

    F_INT("jobs", "concurrency", jobs_concurrency, 1, 256, "1", false),
    F_INT("jobs", "max_attempts", jobs_max_attempts, 1, 1000, "5", true),
    F_INT("jobs", "backoff_base_ms", jobs_backoff_base_ms, 1, 3600000, "1000", true),
    F_INT("jobs", "backoff_max_ms", jobs_backoff_max_ms, 1, 86400000, "600000", true),
    F_INT("jobs", "visibility_ms", jobs_visibility_ms, 100, 86400000, "60000", false),
    F_INT("jobs", "sweep_interval_ms", jobs_sweep_interval_ms, 10, 3600000, "1000", true),
    F_INT("jobs", "publish_grace_ms", jobs_publish_grace_ms, 0, 3600000, "5000", true),
    F_INT("jobs", "retention_days", jobs_retention_days, 1, 3650, "14", true),
    F_INT("jobs", "dead_retention_days", jobs_dead_retention_days, 1, 3650, "90", true),
    F_INT("jobs", "unreferenced_file_hours", jobs_unreferenced_file_hours, 1, 87600, "24", true),

    F_INT("auth", "session_idle_minutes", auth_session_idle_minutes, 1, 1440, "30", true),
    F_INT("auth", "session_max_hours", auth_session_max_hours, 1, 720, "12", true),
    F_BOOL("auth", "cookie_secure", auth_cookie_secure, "false", true),
    F_INT("auth", "argon2_opslimit", auth_argon2_opslimit, 1, 20, "2", true),
    F_INT("auth", "argon2_memlimit_kib", auth_argon2_memlimit_kib, 8, 4194304, "19456", true),
    F_INT("auth", "hash_queue_limit", auth_hash_queue_limit, 1, 100000, "256", true),
    F_INT("auth", "captcha_queue_limit", auth_captcha_queue_limit, 1, 100000, "256", true),
    F_INT("auth", "login_max_failures", auth_login_max_failures, 1, 100, "5", true),
    F_INT("auth", "lockout_seconds", auth_lockout_seconds, 1, 86400, "900", true),
    F_INT("auth", "login_per_ip_minute", auth_login_per_ip_minute, 1, 100000, "60", true),
    F_INT("auth", "captcha_per_ip_minute", auth_captcha_per_ip_minute, 1, 100000, "60", true),
    F_STR("auth", "captcha_fixed_answer", auth_captcha_fixed, "", false),
    F_INT("auth", "sms_per_phone_day", auth_sms_per_phone_day, 1, 1000, "10", true),
    F_INT("auth", "sms_per_ip_hour", auth_sms_per_ip_hour, 1, 100000, "30", true),
    F_INT("auth", "sms_resend_seconds", auth_sms_resend_seconds, 1, 3600, "60", true),
    F_ENUM("auth", "sms_provider", auth_sms_provider, "outbox", "outbox", false),
    F_INT("auth", "identity_attempts_day", auth_identity_attempts_day, 1, 100, "3", true),

    F_SIZE("identity", "max_bytes_registration", identity_max_registration, 1024, 16 << 20, "2m",
           true),
    F_SIZE("identity", "max_bytes_idcard", identity_max_idcard, 1024, 16 << 20, "2m", true),
    F_SIZE("identity", "max_bytes_holding", identity_max_holding, 1024, 16 << 20, "2m", true),
    F_INT("identity", "photo_retention_days", identity_photo_retention_days, 1, 3650, "30", true),

    F_INT("staff", "session_idle_minutes", staff_session_idle_minutes, 1, 240, "15", true),
    F_INT("staff", "session_max_hours", staff_session_max_hours, 1, 24, "10", true),
    F_INT("staff", "claim_minutes", staff_claim_minutes, 1, 480, "30", true),
    F_INT("staff", "decision_sms_per_day", staff_decision_sms_per_day, 0, 100, "5", true),
    F_STR("staff", "totp_issuer", staff_totp_issuer, "zikao", true),

    F_ENUM("profile", "province", province, "shanxi|tianjin", "shanxi", false),

    F_ENUM("log", "level", log_level, "err|warning|notice|info|debug", "info", true),

    F_STR("paths", "schema_dir", schema_dir, "", false),
    F_STR("paths", "kit_dir", kit_dir, "", false),
    F_STR("paths", "models_dir", models_dir, "", false),
    F_STR("paths", "photo_specs", photo_specs, "", false),
    F_INT("face", "pass_threshold_milli", face_pass_milli, 1, 2000, "500", true),
    F_INT("face", "review_threshold_milli", face_review_milli, 1, 2000, "700", true),

    F_ENUM("payment", "provider", pay_provider, "alipay|wechat", "alipay", true),
    F_BOOL("payment", "simulator", pay_simulator, "true", false),
    F_STR("payment", "key_dir", pay_key_dir, "", false),
    F_STR("payment", "public_url", pay_public_url, "", false),
    F_STR("payment", "alipay_app_id", pay_alipay_app_id, "2021000000000001", false),
    F_STR("payment", "alipay_seller_id", pay_alipay_seller_id, "2088000000000001", false),
    F_STR("payment", "alipay_gateway", pay_alipay_gateway, "", false),
    F_STR("payment", "wechat_mchid", pay_wechat_mchid, "1900000001", false),
    F_STR("payment", "wechat_appid", pay_wechat_appid, "wx0000000000000001", false),
    F_STR("payment", "wechat_gateway", pay_wechat_gateway, "", false),
    F_INT("payment", "order_expiry_minutes", pay_order_expiry_minutes, 1, 10080, "30", true),
    F_INT("payment", "reconcile_after_minutes", pay_reconcile_after_minutes, 0, 1440, "5", true),
    F_INT("payment", "reconcile_interval_seconds", pay_reconcile_interval_s, 1, 86400, "60", true),
    F_INT("payment", "crypto_queue_limit", pay_crypto_queue_limit, 1, 65536, "512", true),
    F_BOOL("chsi", "simulator", chsi_simulator, "true", false),
    F_STR("chsi", "app_id", chsi_app_id, "zikao-dev", false),
    F_STR("chsi", "auth_url", chsi_auth_url, "", false),
    F_STR("chsi", "key_dir", chsi_key_dir, "", false),
    F_INT("chsi", "token_minutes", chsi_token_minutes, 1, 60, "10", true),
    F_INT("chsi", "per_hour", chsi_per_hour, 1, 1000, "10", true),
    F_INT("chsi", "crypto_queue_limit", chsi_crypto_queue_limit, 1, 65536, "128", true),
    F_STR("documents", "office_name", doc_office_name, "", true),
    F_STR("documents", "font_family", doc_font_family, "", true),
};

#define CONFIG_NFIELDS (sizeof(config_fields) / sizeof(config_fields[0]))

static const struct config_field *config_find(const char *section, const char *key)
{
    for (size_t i = 0; i < CONFIG_NFIELDS; i++)
        if (strcasecmp(config_fields[i].section, section) == 0 &&
            strcasecmp(config_fields[i].key, key) == 0)
            return &config_fields[i];
    return NULL;
}

/* Parses an integer with an optional k/m/g suffix (CF_SIZE only). */
static int config_parse_long(const char *s, bool allow_suffix, long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s)
        return -EINVAL;
    if (allow_suffix && *end) {
        long long mul = 1;
        switch (tolower((unsigned char)*end)) {
        case 'k':
            mul = 1024;
            break;
        case 'm':
            mul = 1024 * 1024;
            break;
        case 'g':
            mul = 1024LL * 1024 * 1024;
            break;
        default:
            return -EINVAL;
        }
        end++;
        if (tolower((unsigned char)*end) == 'b')
            end++;
        if (v > LLONG_MAX / mul)
            return -ERANGE;
        v *= mul;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -EINVAL;
    if (v > LONG_MAX || v < LONG_MIN)
        return -ERANGE;
    *out = (long)v;
    return 0;
}

static bool config_enum_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p += len + (bar ? 1 : 0);
    }
    return false;
}

/* Sets one field from text; on error writes the reason (without location). */
static int config_set(struct zk_config *cfg, const struct config_field *f, const char *value,
                      char *err, size_t errsz)
{
    char *dst = (char *)cfg + f->offset;
    long v;
    switch (f->type) {
    case CF_STR:
    case CF_ENUM:
        if (strlen(value) >= f->size) {
            snprintf(err, errsz, "[%s] %s: value longer than %zu characters", f->section, f->key,
                     f->size - 1);
            return -EINVAL;
        }
        if (f->type == CF_ENUM && !config_enum_ok(f->choices, value)) {
            snprintf(err, errsz, "[%s] %s: '%s' is not one of %s", f->section, f->key, value,
                     f->choices);
            return -EINVAL;
        }
        memcpy(dst, value, strlen(value) + 1);
        return 0;
    case CF_BOOL:
        if (strcasecmp(value, "true") == 0 || strcasecmp(value, "yes") == 0 ||
            strcasecmp(value, "on") == 0 || strcmp(value, "1") == 0) {
            *(bool *)dst = true;
            return 0;
        }
        if (strcasecmp(value, "false") == 0 || strcasecmp(value, "no") == 0 ||
            strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0) {
            *(bool *)dst = false;
            return 0;
        }
        snprintf(err, errsz, "[%s] %s: '%s' is not true or false", f->section, f->key, value);
        return -EINVAL;
    case CF_WORKERS:
        if (strcasecmp(value, "auto") == 0) {
            *(int *)dst = 0;
            return 0;
        }
        /* fall through */
    case CF_INT:
    case CF_SIZE:
        if (config_parse_long(value, f->type == CF_SIZE, &v) < 0) {
            snprintf(err, errsz, "[%s] %s: '%s' is not a %s", f->section, f->key, value,
                     f->type == CF_SIZE ? "size (e.g. 16384 or 16k)" : "whole number");
            return -EINVAL;
        }
        if (v < f->min || v > f->max || (f->type == CF_WORKERS && v < 1)) {
            snprintf(err, errsz, "[%s] %s: %ld is outside %ld..%ld", f->section, f->key, v,
                     f->type == CF_WORKERS ? 1L : f->min, f->max);
            return -ERANGE;
        }
        *(int *)dst = (int)v;
        return 0;
    }
    return -EINVAL;
}

void config_defaults(struct zk_config *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CONFIG_NFIELDS; i++) {
        int rc = config_set(cfg, &config_fields[i], config_fields[i].def, err, sizeof(err));
        (void)rc; /* the defaults are checked by the unit tests */
    }
}

struct config_parse_state {
    struct zk_config *cfg;
    const char *path;
    char *err;
    size_t errsz;
    int failed;
};

/* inih (as Debian builds it) gives no line number to the handler; it returns
 * the first failing line from ini_parse_file, which config_load adds. */
static int config_ini_handler(void *user, const char *section, const char *key, const char *value)
{
    struct config_parse_state *st = user;
    char why[384];
    if (st->failed)
        return 0;
    const struct config_field *f = config_find(section, key);
    if (f == NULL) {
        snprintf(st->err, st->errsz, "unknown setting [%s] %s", section, key);
        st->failed = 1;
        return 0;
    }
    if (config_set(st->cfg, f, value, why, sizeof(why)) < 0) {
        snprintf(st->err, st->errsz, "%s", why);
        st->failed = 1;
        return 0;
    }
    return 1;
}

static void config_env_name(const struct config_field *f, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "ZIKAO_%s_%s", f->section, f->key);
    for (int i = 0; i < n && (size_t)i < outsz; i++)
        out[i] = (char)toupper((unsigned char)out[i]);
}

int config_load(struct zk_config *cfg, const char *path, char *err, size_t errsz)
{
    config_defaults(cfg);
    if (path != NULL) {
        FILE *fp = fopen(path, "r");
        if (fp == NULL) {
            snprintf(err, errsz, "%s: cannot open configuration: %s", path, strerror(errno));
            return -ENOENT;
        }
        char why[400] = "";
        struct config_parse_state st = {cfg, path, why, sizeof(why), 0};
        int rc = ini_parse_file(fp, config_ini_handler, &st);
        fclose(fp);
        if (st.failed) {
            snprintf(err, errsz, "%s:%d: %s", path, rc, why);
            return -EINVAL;
        }
        if (rc != 0) {
            snprintf(err, errsz, "%s:%d: not valid INI syntax", path, rc);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < CONFIG_NFIELDS; i++) {
        char name[128], why[384];
        config_env_name(&config_fields[i], name, sizeof(name));
        const char *v = getenv(name);
        if (v == NULL)
            continue;
        if (config_set(cfg, &config_fields[i], v, why, sizeof(why)) < 0) {
            snprintf(err, errsz, "environment %s: %s", name, why);
            return -EINVAL;
        }
    }
    char host[256];
    int port;
    if (config_listen_split(cfg, host, sizeof(host), &port) < 0) {
        snprintf(err, errsz, "[server] listen: '%s' is not host:port", cfg->listen);
        return -EINVAL;
    }
    return 0;
}

void config_apply_reload(struct zk_config *live, const struct zk_config *fresh, int *changed)
{
    int fixed = 0;
    for (size_t i = 0; i < CONFIG_NFIELDS; i++) {
        const struct config_field *f = &config_fields[i];
        size_t sz =
            (f->type == CF_STR || f->type == CF_ENUM || f->type == CF_BOOL) ? f->size : sizeof(int);
        char *dst = (char *)live + f->offset;
        const char *src = (const char *)fresh + f->offset;
        if (memcmp(dst, src, sz) == 0)
            continue;
        if (f->reloadable)
            memcpy(dst, src, sz);
        else
            fixed++;
    }
    if (changed != NULL)
        *changed = fixed;
}

int config_listen_split(const struct zk_config *cfg, char *host, size_t hostsz, int *port)
{
    const char *colon = strrchr(cfg->listen, ':');
    if (colon == NULL || colon == cfg->listen)
        return -EINVAL;
    size_t hl = (size_t)(colon - cfg->listen);
    const char *h = cfg->listen;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') { /* [::1]:8080 */
        h++;
        hl -= 2;
    }
    if (hl >= hostsz)
        return -EINVAL;
    long p;
    if (config_parse_long(colon + 1, false, &p) < 0 || p < 0 || p > 65535)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

bool config_is_production(const struct zk_config *cfg)
{
    return strcmp(cfg->environment, "production") == 0;
}

const char *config_province_region(const struct zk_config *cfg)
{
    return strcmp(cfg->province, "tianjin") == 0 ? "120000"
                                                 : "140000"; /* the enum admits no other */
}

char *config_public_url(struct arena *a, const struct zk_config *cfg)
{
    if (cfg->pay_public_url[0] != '\0') {
        size_t n = strlen(cfg->pay_public_url);
        while (n > 0 && cfg->pay_public_url[n - 1] == '/')
            n--;
        return arena_strndup(a, cfg->pay_public_url, n);
    }
    char host[256];
    int port = 0;
    if (config_listen_split(cfg, host, sizeof(host), &port) < 0 || host[0] == '\0' ||
        strcmp(host, "0.0.0.0") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    return arena_printf(a, "http://%s:%d", host, port);
}
