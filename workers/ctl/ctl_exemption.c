/*
 * ctl_exemption.c - `zikaoctl exemption`: the exemption catalogues
 * (schema/0028_exemption.sql) that candidates choose from.
 *
 *   exemption import --kind KIND FILE [--dry-run]
 *       CSV (UTF-8, a header line, # comments, RFC 4180 quotes) of one kind:
 *         points        name,district,address,phone,hours,note
 *                       免考确认点; a point on record (by name) is updated
 *         certificates  code,title,seq,source
 *                       certificate types; source: where the rule comes from
 *                       (a published document, or 示例数据)
 *         courses       certificate,major,course
 *                       which course a certificate type exempts in which major
 *                       (major empty: every major); the file's rows replace
 *                       every row of the certificates it names
 *       Every line is checked; a rejected line is reported with its number
 *       and reason, and then nothing is written.
 *   exemption list
 *       the points, the certificate types and what each exempts.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct ex_kind {
    const char *name;
    struct ctl_csv_import im; /* header, fields, the row's check and write */
};

/* A statement of one row: NULL, or the database's reason in why (nothing:
 * when it returned no row). */
static const char *ex_write(struct ctl *ctl, const char *sql, int n, const char *const *v,
                            const char *nothing, char *why, size_t whysz)
{
    PGresult *r = ctl_try(ctl, sql, n, v);
    const char *bad = NULL;
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        snprintf(why, whysz, "refused by the database: %s", m ? m : "out of memory");
        bad = why;
    } else if (PQntuples(r) == 0) {
        snprintf(why, whysz, "%s", nothing);
        bad = why;
    }
    PQclear(r);
    return bad;
}

static const char *point_row(struct ctl *ctl, char *f[], int line, void *ud, char *why,
                             size_t whysz)
{
    (void)line;
    (void)ud;
    const char *bad;
    if ((bad = ctl_check_text("name", f[0], 2, 80, why, whysz)) != NULL)
        return bad;
    if (strlen(f[1]) != 6 || strspn(f[1], "0123456789") != 6) {
        snprintf(why, whysz, "district must be a 6-digit region code");
        return why;
    }
    if ((bad = ctl_check_text("address", f[2], 4, 200, why, whysz)) != NULL ||
        (bad = ctl_check_phone(f[3], why, whysz)) != NULL ||
        (bad = ctl_check_text("hours", f[4], 2, 100, why, whysz)) != NULL ||
        (f[5][0] != '\0' && (bad = ctl_check_text("note", f[5], 1, 300, why, whysz)) != NULL))
        return bad;
    const char *v[] = {f[0], f[1], f[2], f[3], f[4], f[5][0] ? f[5] : NULL};
    return ex_write(ctl,
                    "WITH d AS (SELECT code FROM regions WHERE code = $2 AND level = 'district') "
                    "INSERT INTO confirmation_points (name, district, address, phone, hours, note) "
                    "SELECT $1, code, $3, $4, $5, $6 FROM d ON CONFLICT (name) DO UPDATE SET "
                    "district = EXCLUDED.district, address = EXCLUDED.address, phone = "
                    "EXCLUDED.phone, hours = EXCLUDED.hours, note = EXCLUDED.note, updated_at = "
                    "now() RETURNING id",
                    6, v, "district is not a district (区县) code in the reference data", why,
                    whysz);
}

static const char *certificate_row(struct ctl *ctl, char *f[], int line, void *ud, char *why,
                                   size_t whysz)
{
    (void)line;
    (void)ud;
    const char *bad;
    size_t n = strlen(f[0]);
    if (n == 0 || n > 32 || f[0][0] < 'a' || f[0][0] > 'z' ||
        strspn(f[0], "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
        snprintf(why, whysz, "code must be 1-32 of a-z 0-9 _, starting with a letter");
        return why;
    }
    if ((bad = ctl_check_text("title", f[1], 2, 200, why, whysz)) != NULL)
        return bad;
    n = strlen(f[2]);
    if (n == 0 || n > 4 || strspn(f[2], "0123456789") != n) {
        snprintf(why, whysz, "seq must be a number (the display order)");
        return why;
    }
    if ((bad = ctl_check_text("source", f[3], 2, 200, why, whysz)) != NULL)
        return bad;
    const char *v[] = {f[0], f[1], f[2], f[3]};
    return ex_write(ctl,
                    "INSERT INTO exemption_certificates (code, title, seq, source) VALUES ($1, $2, "
                    "$3::int, $4) ON CONFLICT (code) DO UPDATE SET title = EXCLUDED.title, seq = "
                    "EXCLUDED.seq, source = EXCLUDED.source, updated_at = now() RETURNING code",
                    4, v, "not written", why, whysz);
}

static const char *course_row(struct ctl *ctl, char *f[], int line, void *ud, char *why,
                              size_t whysz)
{
    (void)line;
    (void)ud;
    if (strlen(f[2]) != 5 || strspn(f[2], "0123456789") != 5) {
        snprintf(why, whysz, "course must be a 5-digit course code");
        return why;
    }
    const char *v[] = {f[0], f[1][0] ? f[1] : NULL, f[2]};
    /* The first row of a certificate in this import drops its earlier rows. */
    const char *bad = ex_write(ctl,
                               "WITH s AS (INSERT INTO pg_temp.ex_seen SELECT code FROM "
                               "exemption_certificates WHERE code = $1 ON CONFLICT DO NOTHING "
                               "RETURNING certificate), d AS (DELETE FROM "
                               "exemption_certificate_courses x WHERE x.certificate IN (SELECT "
                               "certificate FROM s) RETURNING 1) SELECT count(*) FROM d",
                               1, v, "not written", why, whysz);
    if (bad != NULL)
        return bad;
    return ex_write(ctl,
                    "INSERT INTO exemption_certificate_courses (certificate, major_code, "
                    "course_code) SELECT c.code, $2, k.code FROM exemption_certificates c, "
                    "courses k WHERE c.code = $1 AND k.code = $3 AND ($2::text IS NULL OR EXISTS "
                    "(SELECT 1 FROM majors m WHERE m.code = $2)) ON CONFLICT DO NOTHING "
                    "RETURNING 1",
                    3, v,
                    "the certificate, major or course is not on record (import certificates "
                    "first; majors and courses with zikaoctl academic import), or the row is "
                    "there twice",
                    why, whysz);
}

static const struct ex_kind ex_kinds[] = {
    {"points", {"name,district,address,phone,hours,note", 6, point_row, NULL}},
    {"certificates", {"code,title,seq,source", 4, certificate_row, NULL}},
    {"courses", {"certificate,major,course", 3, course_row, NULL}},
};

static int ex_import(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                         {"kind", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    bool dry = false;
    const struct ex_kind *kind = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "nk:", opts, NULL)) != -1) {
        if (ch == 'n') {
            dry = true;
        } else if (ch == 'k') {
            for (size_t i = 0; i < sizeof(ex_kinds) / sizeof(ex_kinds[0]); i++)
                if (strcmp(optarg, ex_kinds[i].name) == 0)
                    kind = &ex_kinds[i];
        } else {
            return 2;
        }
    }
    if (kind == NULL || optind >= argc) {
        fprintf(stderr, "usage: zikaoctl exemption import --kind points|certificates|courses "
                        "FILE [--dry-run]\n");
        return 2;
    }
    /* The courses' rows replace a certificate's earlier ones: ex_seen names the
     * certificates the file has reached (a temporary table of this session). */
    PGresult *r =
        ctl_exec(ctl, "CREATE TEMP TABLE ex_seen (certificate text PRIMARY KEY)", 0, NULL);
    if (r == NULL)
        return 1;
    PQclear(r);
    int rejected = ctl_csv_import(ctl, argv[optind], &kind->im, dry);
    if (rejected < 0)
        return 1;
    printf("%s: %d line(s) rejected; %s\n", kind->name, rejected,
           dry        ? "dry run: nothing written"
           : rejected ? "nothing written: fix them and import again"
                      : "imported");
    return rejected ? 1 : 0;
}

static int ex_list(struct ctl *ctl)
{
    PGresult *r = ctl_exec(ctl,
                           "SELECT p.id, p.name, p.district, coalesce(p.address, '(no address: "
                           "not offered)'), coalesce(p.phone, ''), coalesce(p.hours, '') FROM "
                           "confirmation_points p ORDER BY p.district, p.name",
                           0, NULL);
    if (r == NULL)
        return 1;
    printf("confirmation points (%d):\n", PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++)
        printf("  %s %s [%s] %s; 电话 %s; 时间 %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    PQclear(r);
    r = ctl_exec(ctl,
                 "SELECT x.code, x.title, x.source, coalesce(string_agg(coalesce(c.major_code, "
                 "'*') || ':' || c.course_code, ' ' ORDER BY c.major_code NULLS FIRST, "
                 "c.course_code), '(exempts nothing)') FROM exemption_certificates x LEFT JOIN "
                 "exemption_certificate_courses c ON c.certificate = x.code GROUP BY x.code "
                 "ORDER BY min(x.seq), x.code",
                 0, NULL);
    if (r == NULL)
        return 1;
    printf("certificate types (%d; major:course, * = every major):\n", PQntuples(r));
    for (int i = 0; i < PQntuples(r); i++)
        printf("  %s %s (%s)\n    %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
    PQclear(r);
    return 0;
}

int ctl_exemption(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl exemption import --kind KIND FILE [--dry-run] | list\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    optind = 0;
    if (strcmp(argv[1], "import") == 0)
        return ex_import(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return ex_list(ctl);
    fprintf(stderr, "zikaoctl: unknown exemption command '%s'\n", argv[1]);
    return 2;
}
