/*
 * config.h - zikao's configuration: an INI file plus ZIKAO_* environment
 * overrides, described once by a table of fields.
 *
 * Precedence: built-in default < file (config/zikao.conf or --config) <
 * environment variable ZIKAO_<SECTION>_<KEY> (upper case, e.g.
 * ZIKAO_DATABASE_POOL_SIZE=16). Every value is validated against its range at
 * load; an unknown key or an out-of-range value is an error that names the
 * file, line and key. Fields marked reloadable take effect on SIGHUP; the
 * others need a restart and a reload that changes them only warns.
 */
#ifndef ZK_CONFIG_H
#define ZK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_STR_MAX 512

struct zk_config {
    /* [server] */
    char listen[CONFIG_STR_MAX]; /* host:port */
    int workers;                 /* 0 = one per core ("auto") */
    int max_connections;         /* per process */
    char environment[32];        /* development | test | production */
    /* static files (web pages): a folder, "auto" or "" (none); what a process may hold */
    char www_dir[CONFIG_STR_MAX];
    int www_max_bytes;
    int www_max_files;
    char client_ip_header[64]; /* e.g. X-Real-IP, honoured from a loopback peer only */

    /* [limits] */
    int header_bytes; /* request line + headers */
    int max_headers;  /* number of header fields */
    int body_bytes;   /* default body limit for routes that do not set one */
    int header_timeout_ms;
    int body_timeout_ms; /* max time without body progress */
    int idle_timeout_ms; /* keep-alive idle */
    int write_timeout_ms;
    int shutdown_timeout_ms;
    int pipeline_depth; /* requests queued per connection before reading pauses */

    /* [database] */
    char db_conninfo[CONFIG_STR_MAX];
    char db_owner_conninfo[CONFIG_STR_MAX]; /* zikaoctl migrate: the owner role; "" = conninfo */
    char db_app_role[64];                   /* the role server and workers connect as */
    int db_pool_size;
    int db_queue_limit;
    int db_query_timeout_ms;
    int db_connect_timeout_ms;

    /* [redis] */
    char redis_host[CONFIG_STR_MAX];
    int redis_port;
    char redis_password[CONFIG_STR_MAX];
    int redis_db;
    int redis_connect_timeout_ms;
    int redis_command_timeout_ms;

    /* [jobs] (zikao-worker) */
    int jobs_concurrency;       /* handler threads per worker process */
    int jobs_max_attempts;      /* default per queue */
    int jobs_backoff_base_ms;   /* first retry delay */
    int jobs_backoff_max_ms;    /* cap of the exponential backoff */
    int jobs_visibility_ms;     /* claim lifetime; renewed while a handler runs */
    int jobs_sweep_interval_ms; /* outbox sweeper period */
    int jobs_publish_grace_ms;  /* unpublished this long -> the sweeper publishes */
    int jobs_retention_days;    /* done jobs purged after */
    int jobs_dead_retention_days;
    int jobs_unreferenced_file_hours; /* a replaced, unused photo is deleted after */

    /* [auth] */
    int auth_session_idle_minutes;  /* sliding expiry */
    int auth_session_max_hours;     /* absolute maximum */
    bool auth_cookie_secure;        /* Secure flag (behind TLS) */
    int auth_argon2_opslimit;       /* argon2id t */
    int auth_argon2_memlimit_kib;   /* argon2id m */
    int auth_hash_queue_limit;      /* password hashes waiting for a thread */
    int auth_captcha_queue_limit;   /* captcha drawings waiting for a thread */
    int auth_login_max_failures;    /* in lockout_minutes, then locked */
    int auth_lockout_seconds;       /* failure window and lock length */
    int auth_login_per_ip_minute;   /* login attempts per IP per minute */
    int auth_captcha_per_ip_minute; /* captchas issued per IP per minute */
    char auth_captcha_fixed[16];    /* test only: every captcha has this answer */
    int auth_sms_per_phone_day;
    int auth_sms_per_ip_hour;
    int auth_sms_resend_seconds;
    char auth_sms_provider[16]; /* where SMS messages go: outbox */
    int auth_identity_attempts_day;

    /* [identity] upload limits per photo kind, checked before the body is read */
    int identity_max_registration;
    int identity_max_idcard;
    int identity_max_holding;
    int identity_photo_retention_days; /* ID-card and holding photos kept after verification */

    /* [staff] sessions, review claims, decision SMS, the second factor's issuer */
    int staff_session_idle_minutes;
    int staff_session_max_hours;
    int staff_claim_minutes;
    int staff_decision_sms_per_day;
    char staff_totp_issuer[64];

    /* [profile] */
    char province[16]; /* shanxi | tianjin: photo kinds, specs, fees */

    /* [log] */
    char log_level[16];

    /* [paths] */
    char schema_dir[CONFIG_STR_MAX];
    char kit_dir[CONFIG_STR_MAX];     /* reference kit (../shared) for tests and tools */
    char models_dir[CONFIG_STR_MAX];  /* face-api weights (npm @vladmandic/face-api) */
    char photo_specs[CONFIG_STR_MAX]; /* photo specifications file; "" = built-in copy */

    /* [face] descriptor distance x 1000: <= pass passes, <= review goes to staff */
    int face_pass_milli;
    int face_review_milli;

    /* [payment] providers, keys, simulator, order lifetime, reconciliation */
    char pay_provider[16];               /* default method: alipay | wechat */
    bool pay_simulator;                  /* built-in provider simulator (not in production) */
    char pay_key_dir[CONFIG_STR_MAX];    /* key files (zikaoctl payments keygen) */
    char pay_public_url[CONFIG_STR_MAX]; /* base URL providers call back; "" = http://listen */
    char pay_alipay_app_id[32];
    char pay_alipay_seller_id[32];
    char pay_alipay_gateway[CONFIG_STR_MAX]; /* "" = the simulator */
    char pay_wechat_mchid[32];
    char pay_wechat_appid[32];
    char pay_wechat_gateway[CONFIG_STR_MAX]; /* "" = the simulator */
    int pay_order_expiry_minutes;
    int pay_reconcile_after_minutes;
    int pay_reconcile_interval_s;
    int pay_crypto_queue_limit; /* signatures waiting for or on the thread pool, per process */
    /* [chsi] prior-education authorisation through 学信网: simulator, keys, QR codes */
    bool chsi_simulator;                /* built-in provider simulator (not in production) */
    char chsi_app_id[64];               /* ours at the provider: QR codes and callbacks name it */
    char chsi_auth_url[CONFIG_STR_MAX]; /* where QR codes lead; "" = the simulator */
    char chsi_key_dir[CONFIG_STR_MAX];  /* chsi_public.pem (+ the simulator's chsi_private.pem) */
    int chsi_token_minutes;             /* a QR code's lifetime */
    int chsi_per_hour;                  /* QR codes a candidate may ask for per hour */
    int chsi_crypto_queue_limit;        /* signature checks waiting for a thread, per process */
    /* [documents] PDFs: "" = the province profile's office name, the PDF layer's font */
    char doc_office_name[CONFIG_STR_MAX];
    char doc_font_family[128];
};

/* Fills cfg with the built-in defaults. Cannot fail. */
void config_defaults(struct zk_config *cfg);

/*
 * Loads defaults, then path (NULL: none), then the environment. On error
 * returns a negative value and writes a one-line explanation to err.
 */
int config_load(struct zk_config *cfg, const char *path, char *err, size_t errsz);

/*
 * Copies the reloadable fields of fresh into live and reports in changed
 * (if not NULL) how many non-reloadable fields differ (they are not copied).
 */
void config_apply_reload(struct zk_config *live, const struct zk_config *fresh, int *changed);

/* Splits cfg->listen into host and port; returns 0 or -EINVAL. */
int config_listen_split(const struct zk_config *cfg, char *host, size_t hostsz, int *port);

bool config_is_production(const struct zk_config *cfg);

/* The region code of the [profile] province ("140000", "120000"); its
 * districts' codes start with the same two digits. */
const char *config_province_region(const struct zk_config *cfg);

/* The base URL providers call back and browsers return to:
 * [payment] public_url without trailing slashes, else http://<[server]
 * listen> (127.0.0.1 for a wildcard host). In the arena. */
struct arena;
char *config_public_url(struct arena *a, const struct zk_config *cfg);

#endif
