/*
 * ctl_staff.c - `zikaoctl staff`: the province administrator before anyone
 * can sign in, and the recovery of an administrator who lost password or
 * second factor. Everything else about staff accounts is done by province
 * administrators through the API (server/api/staff_accounts.c).
 *
 *   staff create-admin USERNAME NAME < password
 *       the first province administrator (refused while an enabled one
 *       exists); prints the second factor's secret once: base32, the
 *       otpauth:// URI and, when Debian's `qrencode` is installed, the QR
 *       code to scan from the terminal.
 *   staff reset-admin USERNAME < password
 *       a new password and a new second factor (printed once) for an
 *       administrator, enabled again; their sessions end.
 *   staff list
 *       every staff account: id, username, role, office, state.
 *
 * Both changes are in the audit trail, without a staff member (the
 * operator at the server).
 */
#include "ctl.h"
#include "totp.h"
#include "validate.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads and checks the password on standard input; hashes it into hash. */
static int read_password_hash(struct ctl *ctl, char hash[crypto_pwhash_STRBYTES])
{
    char pw[128];
    if (fgets(pw, sizeof(pw), stdin) == NULL) {
        fprintf(stderr, "zikaoctl: no password on standard input\n");
        return -1;
    }
    pw[strcspn(pw, "\r\n")] = '\0';
    const char *why = validate_password(pw);
    if (why != NULL) {
        fprintf(stderr, "zikaoctl: %s\n", why);
        return -1;
    }
    int rc =
        crypto_pwhash_str(hash, pw, strlen(pw), (unsigned long long)ctl->cfg.auth_argon2_opslimit,
                          (size_t)ctl->cfg.auth_argon2_memlimit_kib * 1024);
    sodium_memzero(pw, sizeof(pw));
    if (rc != 0) {
        fprintf(stderr, "zikaoctl: hashing failed (out of memory?)\n");
        return -1;
    }
    return 0;
}

/* The QR code of uri on the terminal, when `qrencode` is installed. */
static void print_qr(const char *uri)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"qrencode", "-t", "UTF8", "-m", "2", (char *)uri, NULL};
        execvp("qrencode", argv);
        _exit(127);
    }
    int status = 0;
    if (pid > 0)
        waitpid(pid, &status, 0);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("(install Debian's qrencode to see the QR code here; the URI above works too)\n");
}

/* A new secret: stored hex into hex, shown as base32, URI and QR. */
static void new_secret(struct ctl *ctl, const char *username, char hex[2 * TOTP_SECRET_BYTES + 1])
{
    unsigned char secret[TOTP_SECRET_BYTES];
    char b32[TOTP_B32_LEN + 2], uri[512];
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2hex(hex, 2 * TOTP_SECRET_BYTES + 1, secret, sizeof(secret));
    totp_b32_encode(b32, secret, sizeof(secret));
    sodium_memzero(secret, sizeof(secret));
    if (totp_uri(uri, sizeof(uri), ctl->cfg.staff_totp_issuer, username, b32) < 0)
        uri[0] = '\0';
    printf("second factor for %s (shown once; scan it now with an authenticator app):\n"
           "  secret  %s\n  uri     %s\n",
           username, b32, uri);
    print_qr(uri);
}

static int staff_create_admin(struct ctl *ctl, const char *username, const char *name)
{
    char hash[crypto_pwhash_STRBYTES], hex[2 * TOTP_SECRET_BYTES + 1];
    PGresult *r =
        ctl_exec(ctl, "SELECT count(*) FROM staff WHERE is_admin AND disabled_at IS NULL", 0, NULL);
    if (r == NULL)
        return 1;
    bool exists = strcmp(PQgetvalue(r, 0, 0), "0") != 0;
    PQclear(r);
    if (exists) {
        fprintf(stderr, "zikaoctl: a province administrator exists: they create staff accounts "
                        "(or use `zikaoctl staff reset-admin`)\n");
        return 1;
    }
    if (read_password_hash(ctl, hash) < 0)
        return 2;
    if (validate_name(name) != NULL) {
        fprintf(stderr, "zikaoctl: %s\n", validate_name(name));
        return 2;
    }
    r = ctl_exec(ctl, "BEGIN", 0, NULL);
    if (r == NULL)
        return 1;
    PQclear(r);
    const char *v[] = {username, name, hash};
    r = ctl_exec(ctl,
                 "SELECT (staff_create(NULL, lower($1), $2, 'province', NULL, NULL, true, $3, "
                 "NULL) ->> 'id')",
                 3, v);
    if (r == NULL) {
        PQclear(ctl_exec(ctl, "ROLLBACK", 0, NULL));
        return 1;
    }
    char id[24];
    snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    new_secret(ctl, username, hex);
    const char *w[] = {id, hex};
    r = ctl_exec(ctl,
                 "UPDATE staff SET totp_secret = decode($2, 'hex'), password_must_change = false "
                 "WHERE id = $1::bigint",
                 2, w);
    if (r == NULL) {
        PQclear(ctl_exec(ctl, "ROLLBACK", 0, NULL));
        return 1;
    }
    PQclear(r);
    PQclear(ctl_exec(ctl, "COMMIT", 0, NULL));
    printf("province administrator %s created (id %s)\n", username, id);
    return 0;
}

static int staff_reset_admin(struct ctl *ctl, const char *username)
{
    char hash[crypto_pwhash_STRBYTES], hex[2 * TOTP_SECRET_BYTES + 1];
    const char *v0[] = {username};
    PGresult *r =
        ctl_exec(ctl, "SELECT id FROM staff WHERE username = lower($1) AND is_admin", 1, v0);
    if (r == NULL)
        return 1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        fprintf(stderr, "zikaoctl: no administrator named %s\n", username);
        return 1;
    }
    PQclear(r);
    if (read_password_hash(ctl, hash) < 0)
        return 2;
    new_secret(ctl, username, hex);
    const char *v[] = {username, hash, hex};
    r = ctl_exec(ctl,
                 "WITH u AS (UPDATE staff s SET password_hash = $2, password_must_change = false, "
                 "totp_secret = decode($3, 'hex'), totp_last_step = 0, disabled_at = NULL, "
                 "cred_version = s.cred_version + 1, updated_at = now() WHERE s.username = "
                 "lower($1) AND s.is_admin RETURNING s.id) "
                 "SELECT staff_audit_add(NULL, 'staff.reset_admin', 'staff', u.id::text, NULL, "
                 "NULL, NULL) FROM u",
                 3, v);
    if (r == NULL)
        return 1;
    PQclear(r);
    printf("administrator %s: new password and second factor set, account enabled\n", username);
    return 0;
}

static int staff_list(struct ctl *ctl)
{
    PGresult *r = ctl_exec(ctl,
                           "SELECT id, username, role, staff_office(role, district, point_id), "
                           "CASE WHEN disabled_at IS NOT NULL THEN 'disabled' WHEN totp_secret IS "
                           "NULL THEN 'to enrol' ELSE 'active' END, CASE WHEN is_admin THEN "
                           "'admin' ELSE '' END, name FROM staff ORDER BY id",
                           0, NULL);
    if (r == NULL)
        return 1;
    printf("%-6s %-20s %-18s %-16s %-9s %-5s %s\n", "ID", "USERNAME", "ROLE", "OFFICE", "STATE", "",
           "NAME");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-6s %-20s %-18s %-16s %-9s %-5s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
               PQgetvalue(r, i, 6));
    PQclear(r);
    return 0;
}

int ctl_staff(struct ctl *ctl, int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    for (char *p = argc >= 3 ? argv[2] : NULL; p != NULL && *p; p++) /* usernames are lower case */
        *p = (char)tolower((unsigned char)*p);
    if (argc >= 2 && ctl_connect(ctl) < 0)
        return 1;
    if (argc == 4 && strcmp(argv[1], "create-admin") == 0)
        return staff_create_admin(ctl, argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "reset-admin") == 0)
        return staff_reset_admin(ctl, argv[2]);
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return staff_list(ctl);
    fprintf(stderr, "usage: zikaoctl staff create-admin USERNAME NAME < password | reset-admin "
                    "USERNAME < password | list\n");
    return 2;
}
