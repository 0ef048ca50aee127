/*
 * ctl_main.c - zikaoctl entry point: global options, configuration and the
 * table of subcommands.
 */
#include "build_info.h"
#include "ctl.h"
#include "log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctl_command {
    const char *name;
    int (*run)(struct ctl *ctl, int argc, char **argv);
    const char *help;
};

static const struct ctl_command ctl_commands[] = {
    {"migrate", ctl_migrate, "apply pending schema migrations (--status: list them)"},
    {"academic", ctl_academic, "import --kind KIND FILE [--dry-run] | audit --candidate ID ..."},
    {"windows", ctl_windows, "kinds | list | create KIND TERM START END | edit ID | delete ID"},
    {"candidates", ctl_candidates, "import FILE [--dry-run] | verify ID | set-password ID"},
    {"staff", ctl_staff, "create-admin USERNAME NAME | reset-admin USERNAME | list"},
    {"graduation", ctl_graduation, "papers-due WINDOW_ID [TIME | --default]: the papers deadline"},
    {"districts", ctl_districts, "import FILE [--dry-run] | list: the district offices' contacts"},
    {"exemption", ctl_exemption, "import --kind points|certificates|courses FILE | list"},
    {"jobs", ctl_jobs, "stats | list --state S | show ID | retry ID|--all-dead | enqueue Q"},
    {"status", ctl_status, "servers, workers and queues, PostgreSQL, Redis, open windows"},
    {"photo", ctl_photo, "check --kind KIND [--profile P] FILE...: photo rules as JSON lines"},
    {"face", ctl_face, "describe FILE... | compare A B: faces, landmarks, descriptors"},
    {"payments", ctl_payments, "reconcile | demo-order | show NO | alerts | fees | keygen --dir D"},
};

static void ctl_usage(FILE *out)
{
    fprintf(out, "usage: zikaoctl [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
        fprintf(out, "  %-10s %s\n", ctl_commands[i].name, ctl_commands[i].help);
    fprintf(out, "\nConfiguration: --config FILE, else $ZIKAO_CONFIG, else built-in defaults;\n"
                 "ZIKAO_<SECTION>_<KEY> environment variables override either.\n");
}

int ctl_connect(struct ctl *ctl)
{
    ctl->pg = PQconnectdb(ctl->cfg.db_conninfo);
    if (PQstatus(ctl->pg) != CONNECTION_OK) {
        fprintf(stderr, "zikaoctl: cannot connect to PostgreSQL: %s", PQerrorMessage(ctl->pg));
        PQfinish(ctl->pg);
        ctl->pg = NULL;
        return -1;
    }
    PQsetNoticeProcessor(ctl->pg, NULL, NULL);
    return 0;
}

PGresult *ctl_exec(struct ctl *ctl, const char *sql, int n, const char *const *values)
{
    PGresult *res = PQexecParams(ctl->pg, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fprintf(stderr, "zikaoctl: %s", PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

PGresult *ctl_try(struct ctl *ctl, const char *sql, int n, const char *const *values)
{
    return PQexecParams(ctl->pg, sql, n, NULL, values, NULL, NULL, 0);
}

const char *ctl_sqlstate(const PGresult *res)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state != NULL ? state : "";
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct ctl ctl = {0};
    ctl.config_path = getenv("ZIKAO_CONFIG");
    int ch;
    /* '+' stops at the first non-option: the subcommand parses the rest. */
    while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            ctl.config_path = optarg;
            break;
        case 'h':
            ctl_usage(stdout);
            return 0;
        case 'V':
            printf("zikaoctl %s (schema %d)\n", ZIKAO_VERSION, ZIKAO_SCHEMA_VERSION);
            return 0;
        default:
            ctl_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        ctl_usage(stderr);
        return 2;
    }
    if (ctl.config_path != NULL && ctl.config_path[0] == '\0')
        ctl.config_path = NULL;
    log_init("zikaoctl", LOG_LEVEL_WARNING);
    char err[512];
    if (config_load(&ctl.cfg, ctl.config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "zikaoctl: configuration: %s\n", err);
        return 78;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
        if (strcmp(name, ctl_commands[i].name) != 0)
            continue;
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        optind = 0; /* 0, not 1: glibc then forgets the '+' mode used above */
        int rc = ctl_commands[i].run(&ctl, sub_argc, sub_argv);
        if (ctl.pg != NULL)
            PQfinish(ctl.pg);
        return rc;
    }
    fprintf(stderr, "zikaoctl: unknown command '%s'\n\n", name);
    ctl_usage(stderr);
    return 2;
}
