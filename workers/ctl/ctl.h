/*
 * ctl.h - zikaoctl, the operator's command line: shared context and the
 * subcommands.
 *
 * zikaoctl is a short-lived tool, so unlike the server it talks to
 * PostgreSQL synchronously (it lives beside the workers, where blocking
 * calls are allowed). Each subcommand returns a process exit status.
 */
#ifndef ZK_CTL_H
#define ZK_CTL_H

#include "config.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct ctl {
    struct zk_config cfg;
    const char *config_path;
    PGconn *pg;
};

/* Connects to the configured database; prints the reason and returns -1. */
int ctl_connect(struct ctl *ctl);

/* Runs sql with text parameters; prints errors. Caller PQclears. NULL on error. */
PGresult *ctl_exec(struct ctl *ctl, const char *sql, int n, const char *const *values);

/*
 * As ctl_exec, but prints nothing and returns a failed statement's result
 * too, so the caller can turn its SQLSTATE (ctl_sqlstate) into a sentence.
 * Caller PQclears. NULL only when libpq is out of memory.
 */
PGresult *ctl_try(struct ctl *ctl, const char *sql, int n, const char *const *values);

/* The SQLSTATE of a failed result ("23503" ...); "" if it succeeded. */
const char *ctl_sqlstate(const PGresult *res);

/*
 * Per queue (photo, face, payment, pdf, chsi, noop), one row: queue, queued
 * (never run), retrying, running, dead, done in the last hour, age in seconds
 * of the oldest unfinished job. NULL on error (printed). Caller PQclears. Shared by
 * `jobs stats` and `status` (ctl_jobs.c).
 */
PGresult *ctl_jobs_queue_stats(struct ctl *ctl);

/* ---- CSV imports (ctl_csv.c) ---- */

/*
 * Splits one CSV line in place into at most max fields: plain fields end at
 * a comma; a field that starts with a quote ends at the next lone quote
 * ("" inside is one quote). Returns the number of fields, or -1 with *why
 * for a quote left open or text after a closing quote.
 */
int ctl_csv_fields(char *line, char *fields[], int max, const char **why);
/* Trims ASCII blanks around s in place; returns s's first non-blank. */
char *ctl_trim(char *s);
/* NULL when s is UTF-8 of lo..hi characters without control characters;
 * else the reason, written into why (what names the field). */
const char *ctl_check_text(const char *what, const char *s, long lo, long hi, char *why,
                           size_t whysz);
/* NULL when s is a phone field (digits with - ( ) + / spaces, and 、，（）转；
 * between numbers, at least 7 digits); else the reason in why. */
const char *ctl_check_phone(const char *s, char *why, size_t whysz);

/*
 * One CSV file of rows, all or nothing (the imports of district offices and
 * exemption catalogues): in one transaction, every data line (after `#`
 * comments, blank lines and a header line starting "<first field>,") is
 * split into exactly nfields trimmed fields and handed to row() with its
 * line number inside a savepoint (row returns NULL, or the reason in why; a
 * refusal rolls its savepoint back). Every rejected line is printed as FILE:LINE: rejected:
 * REASON. Then COMMIT when nothing was rejected and not dry, else ROLLBACK.
 * Returns the number of rejected lines, or -1 (the file cannot be read, or
 * the database failed; printed).
 */
struct ctl_csv_import {
    const char *header; /* "district,name,..." */
    int nfields;        /* at most CTL_CSV_MAX_FIELDS */
    const char *(*row)(struct ctl *ctl, char *f[], int line, void *ud, char *why, size_t whysz);
    void *ud;
};
#define CTL_CSV_MAX_FIELDS 8
int ctl_csv_import(struct ctl *ctl, const char *path, const struct ctl_csv_import *im, bool dry);

int ctl_migrate(struct ctl *ctl, int argc, char **argv);
int ctl_academic(struct ctl *ctl, int argc, char **argv);
int ctl_jobs(struct ctl *ctl, int argc, char **argv);
int ctl_status(struct ctl *ctl, int argc, char **argv);
int ctl_windows(struct ctl *ctl, int argc, char **argv);
int ctl_candidates(struct ctl *ctl, int argc, char **argv);
int ctl_districts(struct ctl *ctl, int argc, char **argv);
int ctl_exemption(struct ctl *ctl, int argc, char **argv);
int ctl_photo(struct ctl *ctl, int argc, char **argv);
int ctl_face(struct ctl *ctl, int argc, char **argv);
int ctl_payments(struct ctl *ctl, int argc, char **argv);
int ctl_staff(struct ctl *ctl, int argc, char **argv);
int ctl_graduation(struct ctl *ctl, int argc, char **argv);

#endif
