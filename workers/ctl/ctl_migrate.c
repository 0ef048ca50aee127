/*
 * ctl_migrate.c - `zikaoctl migrate`: applies schema/NNNN_name.sql files in
 * order, each in its own transaction together with its row in
 * schema_migrations (version, name, sha256, applied_at). A session advisory
 * lock keeps two migrations from running at once. A file whose content
 * changed after it was applied is reported, never re-run.
 *
 * Migrations run as the owner of the tables ([database] owner_conninfo, or
 * conninfo when empty); they read the application role ([database]
 * app_role), which they grant what the server and workers need, from the
 * session setting zikao.app_role.
 */
#include "alloc.h"
#include "build_info.h"
#include "ctl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIGRATE_LOCK_KEY "727174001" /* arbitrary, constant advisory lock id */

struct migration {
    int version;
    char name[256];
    char path[1024];
};

static int migration_cmp(const void *a, const void *b)
{
    return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The schema directory: option, configuration, source tree, install tree. */
static const char *migrate_schema_dir(const struct ctl *ctl, const char *opt)
{
    if (opt != NULL)
        return opt;
    if (ctl->cfg.schema_dir[0])
        return ctl->cfg.schema_dir;
    if (dir_exists(ZIKAO_SOURCE_DIR "/schema"))
        return ZIKAO_SOURCE_DIR "/schema";
    return ZIKAO_INSTALL_SCHEMA_DIR;
}

/* Lists NNNN_*.sql files sorted by number. Returns count or -1. */
static int migrate_list(const char *dir, struct migration **out)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "zikaoctl: schema directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct migration *list = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        size_t len = strlen(f);
        if (len < 10 || !isdigit((unsigned char)f[0]) || !isdigit((unsigned char)f[1]) ||
            !isdigit((unsigned char)f[2]) || !isdigit((unsigned char)f[3]) || f[4] != '_' ||
            strcmp(f + len - 4, ".sql") != 0)
            continue;
        list = zk_realloc(list, sizeof(*list) * (size_t)(n + 1));
        list[n].version = atoi(f);
        snprintf(list[n].name, sizeof(list[n].name), "%.*s", (int)(len - 4), f);
        snprintf(list[n].path, sizeof(list[n].path), "%s/%s", dir, f);
        n++;
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof(*list), migration_cmp);
    for (int i = 1; i < n; i++) {
        if (list[i].version == list[i - 1].version) {
            fprintf(stderr, "zikaoctl: two migrations numbered %04d\n", list[i].version);
            free(list);
            return -1;
        }
    }
    *out = list;
    return n;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *data = zk_malloc((size_t)size + 1);
    size_t got = fread(data, 1, (size_t)size, fp);
    fclose(fp);
    data[got] = '\0';
    *len = got;
    return data;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)data, len);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static bool exec_ok(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "zikaoctl: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static int migrate_apply(struct ctl *ctl, const struct migration *m, const char *sql,
                         const char *sum)
{
    if (!exec_ok(ctl->pg, "BEGIN"))
        return -1;
    PGresult *r = PQexec(ctl->pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "zikaoctl: %s failed: %s", m->name, PQresultErrorMessage(r));
        PQclear(r);
        exec_ok(ctl->pg, "ROLLBACK");
        return -1;
    }
    PQclear(r);
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    const char *values[] = {version, m->name, sum};
    r = ctl_exec(ctl, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                 3, values);
    if (r == NULL) {
        exec_ok(ctl->pg, "ROLLBACK");
        return -1;
    }
    PQclear(r);
    return exec_ok(ctl->pg, "COMMIT") ? 0 : -1;
}

int ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", no_argument, NULL, 's'},
        {"schema-dir", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    bool status_only = false;
    const char *dir_opt = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "sd:", opts, NULL)) != -1) {
        if (ch == 's')
            status_only = true;
        else if (ch == 'd')
            dir_opt = optarg;
        else
            return 2;
    }
    if (sodium_init() < 0)
        return 1;
    const char *dir = migrate_schema_dir(ctl, dir_opt);
    struct migration *list = NULL;
    int n = migrate_list(dir, &list);
    if (n < 0)
        return 1;
    int rc = 1;
    if (ctl->cfg.db_owner_conninfo[0] != '\0')
        memcpy(ctl->cfg.db_conninfo, ctl->cfg.db_owner_conninfo, sizeof(ctl->cfg.db_conninfo));
    if (ctl_connect(ctl) < 0)
        goto out;
    if (!exec_ok(ctl->pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")"))
        goto out;
    const char *role[] = {ctl->cfg.db_app_role};
    PGresult *set = ctl_exec(ctl, "SELECT set_config('zikao.app_role', $1, false)", 1, role);
    if (set == NULL)
        goto out;
    PQclear(set);
    if (!exec_ok(ctl->pg, "SET client_min_messages = warning") ||
        !exec_ok(ctl->pg, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          " version integer PRIMARY KEY,"
                          " name text NOT NULL,"
                          " checksum text NOT NULL,"
                          " applied_at timestamptz NOT NULL DEFAULT now())"))
        goto out;
    int applied = 0, pending = 0;
    for (int i = 0; i < n; i++) {
        size_t len;
        char *sql = read_file(list[i].path, &len);
        if (sql == NULL) {
            fprintf(stderr, "zikaoctl: cannot read %s: %s\n", list[i].path, strerror(errno));
            goto out;
        }
        char sum[65], version[16];
        sha256_hex(sql, len, sum);
        snprintf(version, sizeof(version), "%d", list[i].version);
        const char *values[] = {version};
        PGresult *r =
            ctl_exec(ctl, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, values);
        if (r == NULL) {
            free(sql);
            goto out;
        }
        bool done = PQntuples(r) > 0;
        if (done && strcmp(PQgetvalue(r, 0, 0), sum) != 0)
            fprintf(stderr, "zikaoctl: warning: %s changed after it was applied (not re-run)\n",
                    list[i].name);
        PQclear(r);
        if (status_only) {
            printf("%s %s\n", done ? "applied" : "pending", list[i].name);
            pending += !done;
        } else if (!done) {
            if (migrate_apply(ctl, &list[i], sql, sum) < 0) {
                free(sql);
                goto out;
            }
            printf("applied %s\n", list[i].name);
            applied++;
        }
        free(sql);
    }
    if (status_only)
        printf("%d pending; this build needs schema version %d\n", pending, ZIKAO_SCHEMA_VERSION);
    else
        printf("schema up to date (%d applied now)\n", applied);
    rc = 0;
out:
    free(list);
    return rc;
}
