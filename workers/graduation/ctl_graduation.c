/*
 * ctl_graduation.c - `zikaoctl graduation`: the papers deadline of a
 * graduation window (schema/0025_graduation_review.sql). Paid Shanxi
 * applications whose 毕业生登记表 and card originals the district has not
 * recorded by then lapse.
 *
 *   zikaoctl graduation papers-due WINDOW_ID [TIME | --default]
 *       without TIME: shows the deadline (set, or the window's end + 30
 *       days); TIME (Beijing time, or ISO 8601 with an offset) sets it;
 *       --default goes back to the window's end + 30 days.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

static int graduation_papers_due(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 1 || argc > 2 || strspn(argv[0], "0123456789") != strlen(argv[0]) ||
        argv[0][0] == '\0') {
        fprintf(stderr, "usage: zikaoctl graduation papers-due WINDOW_ID [TIME | --default]\n");
        return 2;
    }
    const char *window = argv[0];
    const char *v1[] = {window};
    PGresult *r = ctl_exec(ctl, "SELECT kind FROM windows WHERE id = $1::bigint", 1, v1);
    if (r == NULL)
        return 1;
    int found = PQntuples(r) == 1,
        graduation = found && strcmp(PQgetvalue(r, 0, 0), "graduation") == 0;
    PQclear(r);
    if (!graduation) {
        fprintf(stderr, "zikaoctl: %s\n",
                found ? "that window is not a graduation window (zikaoctl windows list)"
                      : "no such window (zikaoctl windows list)");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--default") == 0) {
        r = ctl_exec(ctl, "DELETE FROM graduation_papers_deadlines WHERE window_id = $1::bigint", 1,
                     v1);
    } else if (argc == 2) {
        const char *v2[] = {window, argv[1]};
        r = ctl_try(ctl,
                    "INSERT INTO graduation_papers_deadlines (window_id, due_at) "
                    "SELECT $1::bigint, t FROM (SELECT $2::timestamptz AS t) x WHERE isfinite(t) "
                    "ON CONFLICT (window_id) DO UPDATE SET due_at = EXCLUDED.due_at",
                    2, v2);
        if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(r), "1") != 0) {
            fprintf(stderr,
                    "zikaoctl: '%s' is not a time: write YYYY-MM-DD HH:MM (Beijing time) or ISO "
                    "8601 with an offset, e.g. 2030-01-02T17:00+08:00\n",
                    argv[1]);
            PQclear(r);
            return 2;
        }
    }
    if (argc == 2) {
        if (r == NULL)
            return 1;
        PQclear(r);
    }
    r = ctl_exec(ctl,
                 "SELECT zk_ts(graduation_papers_due($1::bigint)), EXISTS (SELECT 1 FROM "
                 "graduation_papers_deadlines WHERE window_id = $1::bigint)",
                 1, v1);
    if (r == NULL)
        return 1;
    printf("window %s: papers due %s (%s)\n", window, PQgetvalue(r, 0, 0),
           strcmp(PQgetvalue(r, 0, 1), "t") == 0 ? "set" : "default: the window's end + 30 days");
    PQclear(r);
    return 0;
}

int ctl_graduation(struct ctl *ctl, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "papers-due") == 0)
        return graduation_papers_due(ctl, argc - 1, argv + 1);
    fprintf(stderr, "usage: zikaoctl graduation papers-due WINDOW_ID [TIME | --default]\n");
    return 2;
}
