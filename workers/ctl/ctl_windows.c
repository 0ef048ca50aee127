/*
 * ctl_windows.c - `zikaoctl windows`: the business windows candidates see.
 *
 *   windows list
 *   windows set KIND START END [--name NAME]
 *       START and END as "YYYY-MM-DD HH:MM" (Beijing time) or ISO 8601 with
 *       an offset. A new KIND needs --name.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-24s %-14s %-25s %-25s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    return 0;
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
    const char *v[] = {argv[optind], argv[optind + 1], argv[optind + 2], name};
    /* Times without an offset are Beijing time. */
    PGresult *r = ctl_exec(
        ctl,
        "INSERT INTO windows AS w (kind, name, starts_at, ends_at) VALUES ($1, coalesce($4, $1), "
        "CASE WHEN $2 ~ '([+-][0-9:]+|Z)$' THEN $2::timestamptz ELSE ($2::timestamp AT TIME ZONE "
        "'Asia/Shanghai') END, CASE WHEN $3 ~ '([+-][0-9:]+|Z)$' THEN $3::timestamptz ELSE "
        "($3::timestamp AT TIME ZONE 'Asia/Shanghai') END) "
        "ON CONFLICT (kind) DO UPDATE SET name = coalesce($4, w.name), starts_at = "
        "EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, updated_at = now() "
        "RETURNING kind, name, zk_ts(starts_at), zk_ts(ends_at)",
        4, v);
    if (r == NULL)
        return 1;
    printf("%s (%s): %s .. %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
           PQgetvalue(r, 0, 3));
    PQclear(r);
    return 0;
}

int ctl_windows(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl windows list | set KIND START END [--name NAME]\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    optind = 0;
    if (strcmp(argv[1], "list") == 0)
        return windows_list(ctl);
    if (strcmp(argv[1], "set") == 0)
        return windows_set(ctl, argc - 1, argv + 1);
    fprintf(stderr, "zikaoctl: unknown windows command '%s'\n", argv[1]);
    return 2;
}
