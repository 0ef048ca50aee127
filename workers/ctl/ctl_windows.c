/*
 * ctl_windows.c - `zikaoctl windows`: the business windows candidates see,
 * one row of `windows` per kind and term (schema/0011_window_instances.sql).
 *
 *   windows kinds
 *       the kinds (shared/window_kinds.c) and how each one's terms are written.
 *   windows list [--kind KIND] [--all]
 *       windows open now or to come, by start (--all: past ones too).
 *   windows create KIND TERM START END [--name NAME]
 *       TERM is the sitting (YYYY-MM) or half-year (YYYY-1, YYYY-2) the window
 *       belongs to, as the kind says; START and END are "YYYY-MM-DD[ HH:MM]"
 *       in Beijing time or ISO 8601 with an offset; the name is made from the
 *       term and the kind ("2026年下半年毕业申请") unless --name gives another.
 *   windows edit ID [--start START] [--end END] [--name NAME]
 *   windows delete ID
 *       removes a window that nothing refers to.
 *
 * Refusals are sentences: a kind not in the list (naming the kinds), a term
 * not written as the kind's, a window that would end before it starts or
 * overlap another of its kind (naming that one), a second window for one
 * kind and term, deleting a window rows refer to (naming their table).
 * Exit status: 0 done, 1 refused or failed, 2 wrong arguments (said why).
 */
#include "ctl.h"
#include "window_kinds.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define WINDOWS_USAGE                                                                              \
    "kinds | list [--kind KIND] [--all] | create KIND TERM START END [--name NAME] | "             \
    "edit ID [--start START] [--end END] [--name NAME] | delete ID"

/* The columns a window is printed with (windows_print). */
#define WINDOWS_COLUMNS "id, kind, term, name, zk_ts(starts_at), zk_ts(ends_at)"

/* A window being created (id NULL) or edited, as it would be written. */
struct windows_change {
    const char *id;
    const char *kind;
    const char *term;
    char starts[64], ends[64]; /* zk_ts() text, e.g. 2030-01-02T09:00:00+08:00 */
};

static void windows_say_kinds(void)
{
    fprintf(stderr, "the kinds are");
    for (size_t i = 0; i < window_kinds_count; i++)
        fprintf(stderr, "%s %s (%s)", i > 0 ? "," : "", window_kinds[i].kind, window_kinds[i].name);
    fprintf(stderr, "\n");
}

/* The listed kind named kind, or NULL having said which kinds there are. */
static const struct window_kind *windows_kind_arg(const char *kind)
{
    const struct window_kind *listed = window_kind_find(kind);
    if (listed == NULL) {
        fprintf(stderr, "zikaoctl: '%s' is not a window kind; ", kind);
        windows_say_kinds();
    }
    return listed;
}

/* Whether arg is a window id (digits); says so when it is not. */
static bool windows_id_arg(const char *arg)
{
    size_t n = strspn(arg, "0123456789");
    if (n > 0 && n < 19 && arg[n] == '\0')
        return true;
    fprintf(stderr, "zikaoctl: '%s' is not a window id (zikaoctl windows list --all shows them)\n",
            arg);
    return false;
}

/*
 * Reads the START or END argument as a time (the session is in Beijing time)
 * into out as zk_ts() text. Returns 0, -EINVAL when it is not a time (said
 * so) or -EIO (PostgreSQL's message printed).
 */
static int windows_time(struct ctl *ctl, const char *what, const char *arg, char *out, size_t outsz)
{
    const char *v[] = {arg};
    int rc = 0;
    PGresult *r =
        ctl_try(ctl, "SELECT zk_ts(t), isfinite(t) FROM (SELECT $1::timestamptz AS t) x", 1, v);
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

/* Prints row i of a result whose columns are WINDOWS_COLUMNS, after what. */
static void windows_print(const char *what, const PGresult *r, int i)
{
    printf("%s window %s: %s %s (%s) %s .. %s\n", what, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
           PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
}

/*
 * Says in a sentence why PostgreSQL refused to write the window c (r: the
 * failed INSERT or UPDATE) and returns the exit status: 2 when the arguments
 * themselves are wrong, 1 when other windows stand in the way.
 */
static int windows_refused(struct ctl *ctl, const PGresult *r, const struct windows_change *c)
{
    const char *state = ctl_sqlstate(r);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    if (constraint == NULL)
        constraint = "";
    if (strcmp(state, "23514") == 0 && strcmp(constraint, "windows_ends_after_start") == 0) {
        fprintf(stderr,
                "zikaoctl: a window must end after it starts: START %s is not before END %s\n",
                c->starts, c->ends);
        return 2;
    }
    if (strcmp(state, "23P01") == 0) { /* windows_no_overlap */
        const char *v[] = {c->kind, c->starts, c->ends, c->id};
        PGresult *o = ctl_exec(ctl,
                               "SELECT " WINDOWS_COLUMNS " FROM windows WHERE kind = $1 AND "
                               "tstzrange(starts_at, ends_at) && tstzrange($2, $3) AND id IS "
                               "DISTINCT FROM $4::bigint ORDER BY starts_at LIMIT 1",
                               4, v);
        if (o != NULL && PQntuples(o) == 1)
            fprintf(stderr,
                    "zikaoctl: two %s windows cannot be open at the same time: %s .. %s overlaps "
                    "window %s, %s %s (%s) %s .. %s; one may start when the other ends\n",
                    c->kind, c->starts, c->ends, PQgetvalue(o, 0, 0), PQgetvalue(o, 0, 1),
                    PQgetvalue(o, 0, 2), PQgetvalue(o, 0, 3), PQgetvalue(o, 0, 4),
                    PQgetvalue(o, 0, 5));
        else
            fprintf(stderr,
                    "zikaoctl: two %s windows cannot be open at the same time: %s .. %s "
                    "overlaps another (zikaoctl windows list --kind %s --all)\n",
                    c->kind, c->starts, c->ends, c->kind);
        PQclear(o);
        return 1;
    }
    if (strcmp(state, "23505") == 0) { /* windows_kind_term_key */
        const char *v[] = {c->kind, c->term};
        PGresult *o = ctl_exec(ctl, "SELECT id FROM windows WHERE kind = $1 AND term = $2", 2, v);
        fprintf(stderr,
                "zikaoctl: %s %s already has its window %s; change that one with zikaoctl "
                "windows edit %s\n",
                c->kind, c->term, o != NULL && PQntuples(o) == 1 ? PQgetvalue(o, 0, 0) : "",
                o != NULL && PQntuples(o) == 1 ? PQgetvalue(o, 0, 0) : "ID");
        PQclear(o);
        return 1;
    }
    if (strcmp(state, "23514") == 0) { /* windows_kind_term: this zikaoctl checked the list */
        fprintf(stderr,
                "zikaoctl: the database does not take %s %s: its list of window kinds differs "
                "from this zikaoctl's (run zikaoctl migrate)\n",
                c->kind, c->term);
        return 1;
    }
    fprintf(stderr, "zikaoctl: %s", PQresultErrorMessage(r));
    return 1;
}

static int windows_kinds(void)
{
    printf("%-23s %-10s %s\n", "KIND", "TERM", "NAME");
    for (size_t i = 0; i < window_kinds_count; i++)
        printf("%-23s %-10s %s\n", window_kinds[i].kind,
               window_kinds[i].term == WINDOW_TERM_SITTING ? "sitting" : "half-year",
               window_kinds[i].name);
    printf("\nterms: sitting = %s\n       half-year = %s\n",
           window_term_format(WINDOW_TERM_SITTING), window_term_format(WINDOW_TERM_HALF_YEAR));
    return 0;
}

static int windows_list(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"kind", required_argument, NULL, 'k'},
                                         {"all", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    const char *kind = NULL;
    bool all = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "k:a", opts, NULL)) != -1) {
        if (ch == 'k')
            kind = optarg;
        else if (ch == 'a')
            all = true;
        else
            return 2;
    }
    if (argc != optind) {
        fprintf(stderr, "usage: zikaoctl windows list [--kind KIND] [--all]\n");
        return 2;
    }
    if (kind != NULL && windows_kind_arg(kind) == NULL)
        return 2;
    const char *v[] = {kind, all ? "t" : "f"};
    PGresult *r = ctl_exec(ctl,
                           "SELECT " WINDOWS_COLUMNS ", CASE WHEN now() < starts_at THEN "
                           "'upcoming' WHEN now() < ends_at THEN 'open' ELSE 'closed' END "
                           "FROM windows WHERE ($1::text IS NULL OR kind = $1) AND "
                           "($2::bool OR ends_at > now()) ORDER BY starts_at, kind",
                           2, v);
    if (r == NULL)
        return 1;
    printf("%-5s %-23s %-8s %-26s %-26s %-9s %s\n", "ID", "KIND", "TERM", "STARTS", "ENDS", "STATE",
           "NAME");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-5s %-23s %-8s %-26s %-26s %-9s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
               PQgetvalue(r, i, 3));
    if (PQntuples(r) == 0 && !all)
        printf("(no window open now or to come; --all shows past ones too)\n");
    PQclear(r);
    return 0;
}

/* The --name argument: NULL (none given) or a name; false when it is empty (said so). */
static bool windows_name_arg(const char *name)
{
    if (name != NULL && name[strspn(name, " \t")] == '\0') {
        fprintf(stderr, "zikaoctl: a window's name cannot be empty\n");
        return false;
    }
    return true;
}

static int windows_create(struct ctl *ctl, int argc, char **argv)
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
    if (argc - optind != 4) {
        fprintf(stderr, "usage: zikaoctl windows create KIND TERM START END [--name NAME]\n");
        return 2;
    }
    struct windows_change c = {.kind = argv[optind], .term = argv[optind + 1]};
    const struct window_kind *listed = windows_kind_arg(c.kind);
    if (listed == NULL)
        return 2;
    char made[256];
    if (window_default_name(listed, c.term, made, sizeof(made)) < 0) {
        fprintf(stderr, "zikaoctl: '%s' is not a term of %s: write %s\n", c.term, c.kind,
                window_term_format(listed->term));
        return 2;
    }
    if (!windows_name_arg(name))
        return 2;
    int rc = windows_time(ctl, "START", argv[optind + 2], c.starts, sizeof(c.starts));
    if (rc == 0)
        rc = windows_time(ctl, "END", argv[optind + 3], c.ends, sizeof(c.ends));
    if (rc < 0)
        return rc == -EINVAL ? 2 : 1;
    const char *v[] = {c.kind, c.term, name != NULL ? name : made, c.starts, c.ends};
    PGresult *r = ctl_try(ctl,
                          "INSERT INTO windows (kind, term, name, starts_at, ends_at) VALUES ($1, "
                          "$2, $3, $4, $5) RETURNING " WINDOWS_COLUMNS,
                          5, v);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        windows_print("created", r, 0);
        rc = 0;
    } else {
        rc = windows_refused(ctl, r, &c);
    }
    PQclear(r);
    return rc;
}

static int windows_edit(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"start", required_argument, NULL, 's'},
                                         {"end", required_argument, NULL, 'e'},
                                         {"name", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *start = NULL, *end = NULL, *name = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:e:n:", opts, NULL)) != -1) {
        if (ch == 's')
            start = optarg;
        else if (ch == 'e')
            end = optarg;
        else if (ch == 'n')
            name = optarg;
        else
            return 2;
    }
    if (argc - optind != 1 || (start == NULL && end == NULL && name == NULL)) {
        fprintf(stderr, "usage: zikaoctl windows edit ID [--start START] [--end END] [--name NAME] "
                        "(at least one)\n");
        return 2;
    }
    struct windows_change c = {.id = argv[optind]};
    if (!windows_id_arg(c.id) || !windows_name_arg(name))
        return 2;
    int rc = 0;
    if (start != NULL)
        rc = windows_time(ctl, "START", start, c.starts, sizeof(c.starts));
    if (rc == 0 && end != NULL)
        rc = windows_time(ctl, "END", end, c.ends, sizeof(c.ends));
    if (rc < 0)
        return rc == -EINVAL ? 2 : 1;

    const char *id[] = {c.id};
    PGresult *old = ctl_exec(ctl, "SELECT " WINDOWS_COLUMNS " FROM windows WHERE id = $1", 1, id);
    if (old == NULL)
        return 1;
    if (PQntuples(old) == 0) {
        fprintf(stderr,
                "zikaoctl: there is no window %s (zikaoctl windows list --all shows them)\n", c.id);
        PQclear(old);
        return 1;
    }
    /* What the window would become: the times not given stay as they are. */
    char kind[64], term[16];
    snprintf(kind, sizeof(kind), "%s", PQgetvalue(old, 0, 1));
    snprintf(term, sizeof(term), "%s", PQgetvalue(old, 0, 2));
    c.kind = kind;
    c.term = term;
    if (start == NULL)
        snprintf(c.starts, sizeof(c.starts), "%s", PQgetvalue(old, 0, 4));
    if (end == NULL)
        snprintf(c.ends, sizeof(c.ends), "%s", PQgetvalue(old, 0, 5));
    PQclear(old);

    /* A time not given is left exactly as it is (c's copy is for messages). */
    const char *v[] = {c.id, start != NULL ? c.starts : NULL, end != NULL ? c.ends : NULL, name};
    PGresult *r = ctl_try(ctl,
                          "UPDATE windows SET starts_at = coalesce($2::timestamptz, starts_at), "
                          "ends_at = coalesce($3::timestamptz, ends_at), name = coalesce($4, "
                          "name), updated_at = now() WHERE id = $1 RETURNING " WINDOWS_COLUMNS,
                          4, v);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        windows_print("edited", r, 0);
    } else if (PQresultStatus(r) == PGRES_TUPLES_OK) { /* deleted meanwhile */
        fprintf(stderr,
                "zikaoctl: there is no window %s (zikaoctl windows list --all shows them)\n", c.id);
        rc = 1;
    } else {
        rc = windows_refused(ctl, r, &c);
    }
    PQclear(r);
    return rc;
}

static int windows_delete(struct ctl *ctl, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: zikaoctl windows delete ID\n");
        return 2;
    }
    const char *id = argv[1];
    if (!windows_id_arg(id))
        return 2;
    const char *v[] = {id};
    int rc = 1;
    PGresult *r =
        ctl_try(ctl, "DELETE FROM windows WHERE id = $1 RETURNING " WINDOWS_COLUMNS, 1, v);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        windows_print("deleted", r, 0);
        rc = 0;
    } else if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        fprintf(stderr,
                "zikaoctl: there is no window %s (zikaoctl windows list --all shows them)\n", id);
    } else if (strcmp(ctl_sqlstate(r), "23503") == 0) {
        /* A foreign key to windows: the referring table is the error's table. */
        const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
        PGresult *w = ctl_exec(ctl,
                               "SELECT kind || ' ' || term || ' (' || name || ')' FROM windows "
                               "WHERE id = $1",
                               1, v);
        fprintf(stderr,
                "zikaoctl: window %s%s%s cannot be deleted: rows of %s refer to it; change its "
                "dates with zikaoctl windows edit %s instead\n",
                id, w != NULL && PQntuples(w) == 1 ? ", " : "",
                w != NULL && PQntuples(w) == 1 ? PQgetvalue(w, 0, 0) : "",
                table != NULL ? table : "another table", id);
        PQclear(w);
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
    optind = 0;
    if (strcmp(argv[1], "kinds") == 0)
        return windows_kinds();
    if (strcmp(argv[1], "set") == 0) {
        fprintf(stderr, "zikaoctl: windows set is gone: a kind now has one window per term; "
                        "create one with zikaoctl windows create KIND TERM START END, change one "
                        "with zikaoctl windows edit ID (zikaoctl windows list shows them)\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    /* A START or END without an offset is Beijing time. */
    PGresult *tz = ctl_exec(ctl, "SET TIME ZONE 'Asia/Shanghai'", 0, NULL);
    if (tz == NULL)
        return 1;
    PQclear(tz);
    if (strcmp(argv[1], "list") == 0)
        return windows_list(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "create") == 0)
        return windows_create(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "edit") == 0)
        return windows_edit(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "delete") == 0)
        return windows_delete(ctl, argc - 1, argv + 1);
    fprintf(stderr, "zikaoctl: unknown windows command '%s' (%s)\n", argv[1], WINDOWS_USAGE);
    return 2;
}
