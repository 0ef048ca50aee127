/*
 * ctl_windows.c - `zikaoctl windows`: the business windows candidates see.
 *
 *   windows list
 *   windows set KIND START END [--name NAME]
 *       KIND is one of the list in shared/window_kinds.c; START and END are
 *       "YYYY-MM-DD[ HH:MM]" in Beijing time or ISO 8601 with an offset; the
 *       name is the list's unless --name gives another.
 *   windows delete KIND
 *       removes a window that nothing refers to.
 *
 * Exit status: 0 done, 1 refused or failed, 2 wrong arguments (said why).
 */
#include "ctl.h"
#include "window_kinds.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define WINDOWS_USAGE "list | set KIND START END [--name NAME] | delete KIND"

static int windows_list(struct ctl *ctl)
{
    PGresult *r =
        ctl_exec(ctl,
                 "SELECT kind, name, zk_ts(starts_at), zk_ts(ends_at), CASE WHEN now() >= "
                 "starts_at AND now() < ends_at THEN 'open' ELSE '' END FROM windows "
                 "ORDER BY starts_at, kind",
                 0, NULL);
    if (r == NULL)
        return 1;
    printf("%-24s %-14s %-25s %-25s %s\n", "KIND", "NAME", "STARTS", "ENDS", "");
    for (int i = 0; i < PQntuples(r); i++) {
        const char *kind = PQgetvalue(r, i, 0);
        printf("%-24s %-14s %-25s %-25s %s%s\n", kind, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
               window_kind_find(kind) != NULL
                   ? ""
                   : " ! not a window kind: candidates do not see it (zikaoctl windows delete)");
    }
    PQclear(r);
    return 0;
}

static void windows_say_kinds(void)
{
    fprintf(stderr, "the kinds are");
    for (size_t i = 0; i < window_kinds_count; i++)
        fprintf(stderr, "%s %s (%s)", i > 0 ? "," : "", window_kinds[i].kind, window_kinds[i].name);
    fprintf(stderr, "\n");
}

/*
 * Reads the START or END argument as a time (the session is in Beijing time)
 * into out as PostgreSQL's text. Returns 0, -EINVAL when it is not a time
 * (said so) or -EIO (PostgreSQL's message printed).
 */
static int windows_time(struct ctl *ctl, const char *what, const char *arg, char *out, size_t outsz)
{
    const char *v[] = {arg};
    int rc = 0;
    PGresult *r =
        ctl_try(ctl, "SELECT t::text, isfinite(t) FROM (SELECT $1::timestamptz AS t) x", 1, v);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
        snprintf(out, outsz, "%s", PQgetvalue(r, 0, 0));
    } else if (PQresultStatus(r) == PGRES_TUPLES_OK || strncmp(ctl_sqlstate(r), "22", 2) == 0) {
        fprintf(stderr,
                "zikaoctl: %s '%s' is not a time: write YYYY-MM-DD HH:MM (Beijing time) or "
                "ISO 8601 with an offset, e.g. 2030-01-02T09:00+08:00\n",
                what, arg);
        rc = -EINVAL;
    } else {
        fprintf(stderr, "zikaoctl: %s", PQresultErrorMessage(r));
        rc = -EIO;
    }
    PQclear(r);
    return rc;
}

static int windows_set(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
        if (ch == 'n')
            name = optarg;
        else
            return 2;
    }
    if (argc - optind != 3) {
        fprintf(stderr, "usage: zikaoctl windows set KIND START END [--name NAME]\n");
        return 2;
    }
    const char *kind = argv[optind];
    const struct window_kind *listed = window_kind_find(kind);
    if (listed == NULL) {
        fprintf(stderr, "zikaoctl: '%s' is not a window kind; ", kind);
        windows_say_kinds();
        return 2;
    }
    char starts[64], ends[64];
    int rc = windows_time(ctl, "START", argv[optind + 1], starts, sizeof(starts));
    if (rc == 0)
        rc = windows_time(ctl, "END", argv[optind + 2], ends, sizeof(ends));
    if (rc < 0)
        return rc == -EINVAL ? 2 : 1;
    const char *v[] = {kind, starts, ends, name, listed->name};
    /* Nothing is written unless the window ends after it starts. */
    PGresult *r =
        ctl_exec(ctl,
                 "WITH w AS (INSERT INTO windows AS w (kind, name, starts_at, ends_at) SELECT $1, "
                 "coalesce($4, $5), $2::timestamptz, $3::timestamptz WHERE $3::timestamptz > "
                 "$2::timestamptz ON CONFLICT (kind) DO UPDATE SET name = coalesce($4, w.name), "
                 "starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = now() "
                 "RETURNING kind, name, zk_ts(starts_at) AS s, zk_ts(ends_at) AS e) "
                 "SELECT zk_ts($2::timestamptz), zk_ts($3::timestamptz), w.kind, w.name, w.s, w.e "
                 "FROM (SELECT 1) one LEFT JOIN w ON true",
                 5, v);
    if (r == NULL)
        return 1;
    if (PQgetisnull(r, 0, 2)) {
        fprintf(stderr,
                "zikaoctl: a window must end after it starts: START %s is not before END %s\n",
                PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
        rc = 2;
    } else {
        printf("%s (%s): %s .. %s\n", PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4),
               PQgetvalue(r, 0, 5));
    }
    PQclear(r);
    return rc;
}

static int windows_delete(struct ctl *ctl, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: zikaoctl windows delete KIND\n");
        return 2;
    }
    const char *kind = argv[1];
    const char *v[] = {kind};
    int rc = 1;
    PGresult *r = ctl_try(ctl, "DELETE FROM windows WHERE kind = $1 RETURNING name", 1, v);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        printf("deleted window %s (%s)\n", kind, PQgetvalue(r, 0, 0));
        rc = 0;
    } else if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        fprintf(stderr, "zikaoctl: there is no window %s (zikaoctl windows list shows them)\n",
                kind);
    } else if (strcmp(ctl_sqlstate(r), "23503") == 0) {
        /* A foreign key to windows: the referring table is the error's table. */
        const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
        fprintf(stderr,
                "zikaoctl: window %s cannot be deleted: rows of %s refer to it; change its dates "
                "with zikaoctl windows set instead\n",
                kind, table != NULL ? table : "another table");
    } else {
        fprintf(stderr, "zikaoctl: %s", PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

int ctl_windows(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl windows " WINDOWS_USAGE "\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    /* A START or END without an offset is Beijing time. */
    PGresult *tz = ctl_exec(ctl, "SET TIME ZONE 'Asia/Shanghai'", 0, NULL);
    if (tz == NULL)
        return 1;
    PQclear(tz);
    optind = 0;
    if (strcmp(argv[1], "list") == 0)
        return windows_list(ctl);
    if (strcmp(argv[1], "set") == 0)
        return windows_set(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "delete") == 0)
        return windows_delete(ctl, argc - 1, argv + 1);
    fprintf(stderr, "zikaoctl: unknown windows command '%s' (%s)\n", argv[1], WINDOWS_USAGE);
    return 2;
}
