/*
 * ctl_candidates.c - `zikaoctl candidates`: enrolled candidates from the
 * records, and manual identity verification by district staff.
 *
 *   candidates import FILE [--dry-run]
 *       CSV with a header line: id_number,name,district,phone,exam_ids
 *       (exam_ids separated by '|'; phone may be empty). Every line is
 *       checked (GB 11643, name, district, phone, 12-digit exam IDs, no
 *       exam ID claimed by another person); every rejected line is reported
 *       with its number and reason, and then nothing is written. Existing
 *       candidates are updated (name, district, phone) and their exam IDs
 *       added; passwords are never touched.
 *   candidates verify ID_NUMBER [--phone PHONE]
 *       marks a candidate verified by hand at the district office (identity
 *       'manual') and issues an exam ID to a new candidate who has none.
 *       When several registrations or activations of the ID number wait
 *       (schema/0010_account_claims.sql), --phone names the one of the person
 *       at the counter; the others lose, as when a verification passes.
 *   candidates set-password ID_NUMBER
 *       sets the password read from standard input (demo data, and staff
 *       helping a candidate at the counter); ends nothing in Redis - the
 *       candidate's sessions end at their expiry.
 */
#include "ctl.h"
#include "bjtime.h"
#include "idcard.h"
#include "mask.h"
#include "validate.h"

#include <errno.h>
#include <sodium.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CSV_FIELDS 5

/* Splits a line at commas (no quoting: none of the fields has a comma). */
static int csv_split(char *line, char *fields[], int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return strchr(p, ',') ? -1 : n;
}

/* Checks one row; returns NULL or the reason. norm receives the ID number. */
static const char *candidates_check(char *f[], char norm[19])
{
    enum idcard_error e = idcard_check(f[0], bj_date(time(NULL)), norm);
    if (e != IDCARD_OK)
        return idcard_error_message(e);
    const char *why = validate_name(f[1]);
    if (why != NULL)
        return why;
    if (strlen(f[2]) != 6 || strspn(f[2], "0123456789") != 6)
        return "district must be a 6-digit region code";
    if (f[3][0] != '\0' && (why = validate_phone(f[3])) != NULL)
        return why;
    char *ids = f[4];
    if (ids[0] == '\0')
        return "at least one exam ID is needed";
    for (char *id = ids; *id;) {
        size_t len = strcspn(id, "|");
        if (len != 12 || strspn(id, "0123456789") < 12)
            return "exam IDs are 12 digits, separated by '|'";
        id += len + (id[len] == '|');
    }
    return NULL;
}

static int candidates_import(struct ctl *ctl, int argc, char **argv)
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
        fprintf(stderr, "usage: zikaoctl candidates import FILE [--dry-run]\n");
        return 2;
    }
    const char *path = argv[optind];
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "zikaoctl: %s: %s\n", path, strerror(errno));
        return 1;
    }
    PGresult *r = ctl_exec(ctl, "BEGIN", 0, NULL);
    if (r == NULL) {
        fclose(fp);
        return 1;
    }
    PQclear(r);
    char line[1024];
    int lineno = 0, rejected = 0, imported = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#' ||
            (lineno == 1 && strncmp(line, "id_number", 9) == 0))
            continue;
        char *f[CSV_FIELDS];
        char norm[19];
        const char *why = NULL;
        if (csv_split(line, f, CSV_FIELDS) != CSV_FIELDS)
            why = "expected 5 fields: id_number,name,district,phone,exam_ids";
        else
            why = candidates_check(f, norm);
        if (why == NULL) {
            /* Per row in a savepoint: a database refusal rejects the line only. */
            PQclear(ctl_exec(ctl, "SAVEPOINT row", 0, NULL));
            const char *v[] = {norm, f[1], f[2], f[3][0] ? f[3] : NULL, f[4]};
            r = PQexecParams(
                ctl->pg,
                "WITH d AS (SELECT 1 FROM regions WHERE code = $3 AND level = 'district'), "
                "c AS (INSERT INTO candidates (id_number, name, district, phone, kind, gender, "
                "birth_date) SELECT $1, $2, $3, $4, 'enrolled', CASE WHEN substr($1, 17, 1)::int % "
                "2 = 1 THEN '男' ELSE '女' END, to_date(substr($1, 7, 8), 'YYYYMMDD') FROM d "
                "ON CONFLICT (id_number) WHERE kind = 'enrolled' AND claim_of IS NULL DO UPDATE "
                "SET name = EXCLUDED.name, district = "
                "EXCLUDED.district, phone = coalesce(EXCLUDED.phone, candidates.phone), updated_at "
                "= now() RETURNING id), "
                "e AS (INSERT INTO exam_ids (exam_id, candidate_id, source) SELECT x, c.id, "
                "'imported' FROM c, unnest(string_to_array($5, '|')) x ON CONFLICT (exam_id) DO "
                "UPDATE SET exam_id = EXCLUDED.exam_id WHERE exam_ids.candidate_id = "
                "EXCLUDED.candidate_id RETURNING exam_id) "
                "SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM e), "
                "array_length(string_to_array($5, '|'), 1)",
                5, NULL, v, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_TUPLES_OK) {
                why = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
                why = why ? why : "refused by the database";
                fprintf(stderr, "%s:%d: rejected: %s\n", path, lineno, why);
                rejected++;
                PQclear(r);
                PQclear(ctl_exec(ctl, "ROLLBACK TO SAVEPOINT row", 0, NULL));
                continue;
            }
            if (strcmp(PQgetvalue(r, 0, 0), "0") == 0)
                why = "district is not a district code in the reference data";
            else if (strcmp(PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)) != 0)
                why = "an exam ID belongs to another candidate";
            PQclear(r);
            if (why != NULL)
                PQclear(ctl_exec(ctl, "ROLLBACK TO SAVEPOINT row", 0, NULL));
            else
                imported++;
        }
        if (why != NULL) {
            char masked[32];
            fprintf(stderr, "%s:%d: rejected (%s): %s\n", path, lineno,
                    mask_id_number(masked, sizeof(masked), f[0]), why);
            rejected++;
        }
    }
    fclose(fp);
    bool commit = !dry && rejected == 0;
    PQclear(ctl_exec(ctl, commit ? "COMMIT" : "ROLLBACK", 0, NULL));
    printf("%d candidate(s) %s, %d line(s) rejected%s\n", imported,
           commit ? "imported" : "would be imported", rejected,
           dry        ? " (dry run: nothing written)"
           : rejected ? " (nothing written: fix them and import again)"
                      : "");
    return rejected ? 1 : 0;
}

/*
 * The row of idn that staff verify: with --phone, the live claim (or record)
 * with that phone, i.e. the person at the counter; without, the only live
 * row that may log in, or the enrolled record when nobody has claimed it.
 * Several claims and no --phone: refused, listing their masked phones.
 */
static int candidates_verify(struct ctl *ctl, const char *idn, const char *phone)
{
    const char *v[] = {idn, phone};
    PGresult *r = ctl_exec(ctl,
                           "SELECT id, kind, phone, identity, claim_of IS NOT NULL, password_hash "
                           "IS NOT NULL FROM candidates WHERE id_number = upper($1) AND "
                           "superseded_at IS NULL AND ($2::text IS NULL OR phone = $2) ORDER BY id",
                           2, v);
    if (r == NULL)
        return 1;
    int rc = 1, pick = -1, claims = 0, record = -1;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 3), "unverified") != 0) {
            fprintf(stderr, "zikaoctl: that candidate is already verified\n");
            goto out;
        }
        if (strcmp(PQgetvalue(r, i, 5), "t") == 0) {
            claims++;
            pick = i;
        } else if (strcmp(PQgetvalue(r, i, 1), "enrolled") == 0 &&
                   strcmp(PQgetvalue(r, i, 4), "f") == 0) {
            record = i;
        }
    }
    if (claims == 0)
        pick = phone == NULL ? record : -1;
    if (pick < 0) {
        fprintf(stderr, phone ? "zikaoctl: no unverified candidate with that ID number and phone\n"
                              : "zikaoctl: no unverified candidate with that ID number\n");
        goto out;
    }
    if (claims > 1) {
        fprintf(stderr,
                "zikaoctl: %d registrations wait for this ID number; say whose with "
                "--phone (the phone of the person at the counter):",
                claims);
        for (int i = 0; i < PQntuples(r); i++) {
            char m[16];
            if (strcmp(PQgetvalue(r, i, 5), "t") == 0)
                fprintf(stderr, " %s", mask_phone(m, sizeof(m), PQgetvalue(r, i, 2)));
        }
        fprintf(stderr, "\n");
        goto out;
    }
    const char *id[] = {PQgetvalue(r, pick, 0)};
    PGresult *w = ctl_exec(ctl,
                           "SELECT a, c.kind, (SELECT exam_id FROM exam_ids e WHERE "
                           "e.candidate_id = a AND e.source = 'issued' LIMIT 1) FROM "
                           "account_verify($1::bigint, 'manual') a LEFT JOIN candidates c ON c.id "
                           "= a",
                           1, id);
    if (w == NULL)
        goto out;
    if (PQgetisnull(w, 0, 0)) {
        fprintf(stderr, "zikaoctl: another registration of this ID number was verified first\n");
    } else {
        rc = 0;
        if (strcmp(PQgetvalue(w, 0, 1), "new") == 0 && !PQgetisnull(w, 0, 2))
            printf("verified by hand; exam ID %s issued\n", PQgetvalue(w, 0, 2));
        else
            printf("verified by hand\n");
    }
    PQclear(w);
out:
    PQclear(r);
    return rc;
}

static int candidates_set_password(struct ctl *ctl, const char *idn)
{
    char pw[128];
    if (fgets(pw, sizeof(pw), stdin) == NULL) {
        fprintf(stderr, "zikaoctl: no password on standard input\n");
        return 2;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    const char *why = validate_password(pw);
    if (why != NULL) {
        fprintf(stderr, "zikaoctl: %s\n", why);
        return 2;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0 ||
        crypto_pwhash_str(hash, pw, strlen(pw), (unsigned long long)ctl->cfg.auth_argon2_opslimit,
                          (size_t)ctl->cfg.auth_argon2_memlimit_kib * 1024) != 0) {
        fprintf(stderr, "zikaoctl: hashing failed (out of memory?)\n");
        return 1;
    }
    sodium_memzero(pw, sizeof(pw));
    const char *v[] = {idn, hash};
    /* The person's account: the verified row, else the enrolled record. */
    PGresult *r = ctl_exec(ctl,
                           "UPDATE candidates SET password_hash = $2, password_changed_at = now(), "
                           "activated_at = coalesce(activated_at, now()), cred_version = "
                           "cred_version + 1, updated_at = now() WHERE id = (SELECT id FROM "
                           "candidates WHERE id_number = upper($1) AND superseded_at IS NULL AND "
                           "(identity <> 'unverified' OR (kind = 'enrolled' AND claim_of IS NULL)) "
                           "ORDER BY identity <> 'unverified' DESC, id LIMIT 1) RETURNING id",
                           2, v);
    if (r == NULL)
        return 1;
    int rc = PQntuples(r) == 1 ? 0 : 1;
    printf(rc == 0 ? "password set\n" : "no candidate with that ID number\n");
    PQclear(r);
    return rc;
}

int ctl_candidates(struct ctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zikaoctl candidates import FILE [--dry-run] | verify ID_NUMBER "
                        "[--phone PHONE] | set-password ID_NUMBER < password\n");
        return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    optind = 0;
    if (strcmp(argv[1], "import") == 0)
        return candidates_import(ctl, argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0 && argc == 3)
        return candidates_verify(ctl, argv[2], NULL);
    if (strcmp(argv[1], "verify") == 0 && argc == 5 && strcmp(argv[3], "--phone") == 0)
        return candidates_verify(ctl, argv[2], argv[4]);
    if (strcmp(argv[1], "set-password") == 0 && argc == 3)
        return candidates_set_password(ctl, argv[2]);
    fprintf(stderr, "zikaoctl: unknown candidates command '%s'\n", argv[1]);
    return 2;
}
