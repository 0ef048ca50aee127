/*
 * bench_audit.c - graduation audit throughput: audits per second and
 * nanoseconds per audit of the 030101K 法学 plans from schema/data/academic,
 * for three demo candidates (a complete new-plan record, an old-plan record
 * with English II substitution chosen, and an incomplete one with a refused
 * choice and hints). Each audit gets a fresh arena, as a request would.
 * Usage: bench_audit [ITERATIONS]
 */
#include "audit.h"
#include "audit_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int load(struct audit_import *im, enum audit_import_kind kind, const char *file)
{
    char path[512], line[4096], why[256];
    snprintf(path, sizeof(path), "%s/%s", AUDIT_DATA_DIR, file);
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    audit_import_init(im, kind);
    size_t n = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (audit_import_line(im, ++n, line, strcspn(line, "\n"), why, sizeof(why)) < 0) {
            fprintf(stderr, "%s:%zu: %s\n", path, n, why);
            fclose(fp);
            return -1;
        }
    }
    fclose(fp);
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    if (iterations <= 0)
        iterations = 200000;
    struct audit_import plans, rules, scores;
    if (load(&plans, AUDIT_IMPORT_PLANS, "plans.csv") < 0 ||
        load(&rules, AUDIT_IMPORT_RULES, "rules.csv") < 0 ||
        load(&scores, AUDIT_IMPORT_SCORES, "scores.csv") < 0)
        return 1;
    static const char *const pool[] = {"00144", "10791", "02628"};
    static const char *const thirteen[] = {"00144", "10791", "00018", "00019"};
    struct audit_choice e2 = {"E2", pool, 3, NULL}, e2_13 = {"E2", thirteen, 4, NULL};
    struct {
        const char *name, *version;
        long long candidate;
        const struct audit_choice *choice;
    } cases[] = {
        {"seed004 complete, new plan", "new", 9000001, NULL},
        {"old plan, English II chosen", "old", 9000004, &e2},
        {"old plan, refused + hints", "old", 9000005, &e2_13},
    };
    struct arena keep;
    arena_init(&keep, 16384);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct audit_plan plan;
        char err[256];
        if (audit_plan_from_rows(plans.rows.plans, plans.nrows, rules.rows.rules, rules.nrows,
                                 "030101K", "法学", cases[c].version, &keep, &plan, err,
                                 sizeof(err)) != 0) {
            fprintf(stderr, "plan: %s\n", err);
            return 1;
        }
        struct audit_pass *p;
        size_t np =
            audit_passes_from_rows(scores.rows.scores, scores.nrows, cases[c].candidate, &keep, &p);
        size_t ncourses = 0, nreasons = 0;
        bool complete = false;
        double t0 = now();
        for (long i = 0; i < iterations; i++) {
            struct arena a;
            arena_init(&a, 16384);
            struct audit_result res;
            if (audit_run(&plan, p, np, cases[c].choice, cases[c].choice ? 1 : 0, &a, &res) != 0)
                return 1;
            ncourses = res.ncourses;
            nreasons = res.nreasons;
            complete = res.complete;
            arena_destroy(&a);
        }
        double dt = now() - t0;
        printf("%-30s %2zu plan courses, %2zu passes, %2zu reasons, complete=%d: "
               "%ld audits in %.3f s = %.0f audits/s, %.0f ns/audit\n",
               cases[c].name, ncourses, np, nreasons, complete, iterations, dt,
               (double)iterations / dt, dt * 1e9 / (double)iterations);
    }
    arena_destroy(&keep);
    audit_import_free(&plans);
    audit_import_free(&rules);
    audit_import_free(&scores);
    return 0;
}
