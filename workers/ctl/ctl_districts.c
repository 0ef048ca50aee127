/*
 * ctl_districts.c - `zikaoctl districts`: the district offices' contact
 * details (schema/0013_district_offices.sql), which candidates read when
 * they must go in person (GET /api/v1/districts/{code}/office).
 *
 *   districts import FILE [--dry-run]
 *       CSV with a header line: district,name,address,phone,hours,note
 *       (lines starting with # are comments)
 *       (UTF-8; a field holding a comma or a quote is quoted as in RFC 4180,
 *       "" for a quote; note may be empty). Every line is checked (a
 *       district-level region code, each text's length, a phone that holds
 *       a number, no district twice); every rejected line is reported with
 *       its number and reason, and then nothing is written. A district
 *       already on record is updated; districts the file does not name are
 *       left as they are.
 *   districts list
 *       every office on record, then the districts of [profile] province
 *       that have none.
 */
#include "ctl.h"
#include "district_office.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFICE_FIELDS 6

static const char *const office_header = "district,name,address,phone,hours,note";

/* Checks one row's fields with the rules of shared/district_office.c; NULL
 * or the reason (in why). */
static const char *office_check(char *f[], char *why, size_t whysz)
{
    if (strlen(f[0]) != 6 || strspn(f[0], "0123456789") != 6) {
        snprintf(why, whysz, "district must be a 6-digit region code");
        return why;
    }
    struct district_office_fault bad;
    if (district_office_check(f[1], f[2], f[3], f[4], f[5], &bad) == 0)
        return NULL;
    switch (bad.problem) {
    case DISTRICT_OFFICE_UTF8:
        snprintf(why, whysz, "%s is not valid UTF-8", bad.field);
        break;
    case DISTRICT_OFFICE_CONTROL:
        snprintf(why, whysz, "%s holds a control character", bad.field);
        break;
    case DISTRICT_OFFICE_LENGTH:
        snprintf(why, whysz, "%s must be %ld to %ld characters (it has %ld)", bad.field, bad.min,
                 bad.max, bad.got);
        break;
    case DISTRICT_OFFICE_PHONE_CHARS:
        snprintf(why, whysz,
                 "phone may hold digits, spaces, - ( ) + / and 、，（）转 between numbers only");
        break;
    case DISTRICT_OFFICE_PHONE_DIGITS:
        snprintf(why, whysz, "phone must hold a number of at least 7 digits");
        break;
    }
    return why;
}

/* What the import remembers across rows: the districts seen (no district
 * twice in a file) and the counts. */
struct office_seen {
    char district[7];
    int line;
};

struct office_import {
    struct office_seen *seen;
    size_t nseen, capseen;
    int added, updated;
};

static const char *office_row(struct ctl *ctl, char *f[], int line, void *ud, char *why,
                              size_t whysz)
{
    struct office_import *oi = ud;
    const char *bad = office_check(f, why, whysz);
    if (bad != NULL)
        return bad;
    for (size_t i = 0; i < oi->nseen; i++) {
        if (strcmp(oi->seen[i].district, f[0]) == 0) {
            snprintf(why, whysz, "district %s is already on line %d", f[0], oi->seen[i].line);
            return why;
        }
    }
    const char *v[] = {f[0], f[1], f[2], f[3], f[4], f[5][0] ? f[5] : NULL};
    PGresult *r = ctl_try(ctl,
                          "WITH d AS (SELECT code FROM regions WHERE code = $1 AND level = "
                          "'district') "
                          "INSERT INTO district_offices (district, name, address, phone, hours, "
                          "note) SELECT code, $2, $3, $4, $5, $6 FROM d ON CONFLICT (district) DO "
                          "UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, phone = "
                          "EXCLUDED.phone, hours = EXCLUDED.hours, note = EXCLUDED.note, "
                          "updated_at = now() RETURNING (xmax = 0)",
                          6, v);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        snprintf(why, whysz, "refused by the database: %s", m ? m : "out of memory");
        bad = why;
    } else if (PQntuples(r) == 0) {
        snprintf(why, whysz, "%s is not a district (区县) code in the reference data", f[0]);
        bad = why;
    } else if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
        oi->added++;
    } else {
        oi->updated++;
    }
    PQclear(r);
    if (bad == NULL) {
        if (oi->nseen == oi->capseen) {
            size_t cap = oi->capseen ? oi->capseen * 2 : 64;
            struct office_seen *more = realloc(oi->seen, cap * sizeof(*more));
            if (more == NULL)
                return "out of memory";
            oi->seen = more;
            oi->capseen = cap;
        }
        snprintf(oi->seen[oi->nseen].district, sizeof(oi->seen[0].district), "%s", f[0]);
        oi->seen[oi->nseen++].line = line;
    }
    return bad;
}

static int districts_import(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    bool dry = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
        if (ch == 'n')
            dry = true;
        else
            return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: zikaoctl districts import FILE [--dry-run]\n");
        return 2;
    }
    struct office_import oi = {0};
    const struct ctl_csv_import im = {office_header, OFFICE_FIELDS, office_row, &oi};
    int rejected = ctl_csv_import(ctl, argv[optind], &im, dry);
    free(oi.seen);
    if (rejected < 0)
        return 1;
    bool commit = !dry && rejected == 0;
    printf("%d office(s) %s (%d new, %d updated), %d line(s) rejected%s\n", oi.added + oi.updated,
           commit ? "imported" : "would be imported", oi.added, oi.updated, rejected,
           dry        ? " (dry run: nothing written)"
           : rejected ? " (nothing written: fix them and import again)"
                      : "");
    return rejected ? 1 : 0;
}

static const char *province_code(const struct zk_config *cfg)
{
    return strcmp(cfg->province, "tianjin") == 0 ? "120000" : "140000";
}

static int districts_list(struct ctl *ctl)
{
    PGresult *r = ctl_exec(ctl,
                           "SELECT o.district, coalesce(c.name, '') || d.name, o.name, o.phone, "
                           "o.hours, o.address, coalesce(o.note, '') FROM district_offices o JOIN "
                           "regions d ON d.code = o.district LEFT JOIN regions c ON c.code = "
                           "d.parent ORDER BY o.district",
                           0, NULL);
    if (r == NULL)
        return 1;
    for (int i = 0; i < PQntuples(r); i++) {
        printf("%s %s: %s\n       电话 %s; 时间 %s\n       地址 %s\n", PQgetvalue(r, i, 0),
               PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
               PQgetvalue(r, i, 5));
        if (PQgetvalue(r, i, 6)[0] != '\0')
            printf("       备注 %s\n", PQgetvalue(r, i, 6));
    }
    int offices = PQntuples(r);
    PQclear(r);
    const char *v[] = {province_code(&ctl->cfg)};
    r = ctl_exec(ctl,
                 "SELECT d.code, c.name || d.name FROM regions d JOIN regions c ON c.code = "
                 "d.parent WHERE d.level = 'district' AND c.parent = $1 AND NOT EXISTS (SELECT 1 "
                 "FROM district_offices o WHERE o.district = d.code) ORDER BY d.code",
                 1, v);
    if (r == NULL)
        return 1;
    printf("%d office(s) on record", offices);
    if (PQntuples(r) == 0) {
        printf("; every district of the province (%s) has one\n", ctl->cfg.province);
    } else {
        printf("; %d district(s) of the province (%s) have none:\n", PQntuples(r),
               ctl->cfg.province);
        for (int i = 0; i < PQntuples(r); i++)
            printf("  %s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return 0;
}

int ctl_districts(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl districts import FILE [--dry-run] | list\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    optind = 0;
    if (strcmp(argv[1], "import") == 0)
        return districts_import(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return districts_list(ctl);
    fprintf(stderr, "zikaoctl: unknown districts command '%s'\n", argv[1]);
    return 2;
}
