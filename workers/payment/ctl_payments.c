/*
 * ctl_payments.c - `zikaoctl payments`: operator commands for orders and
 * payments.
 *
 *   keygen --dir DIR              key files for the simulator (and test
 *                                 merchant keys); existing files are kept
 *   reconcile [--older-than MIN] [--order NO]
 *                                 ask the providers now; prints a JSON report
 *   demo-order --candidate ID [--subject S]
 *                                 an order for a demo subject, through the
 *                                 order service (scripts/run, tests)
 *   show NO                       an order with its events
 *   alerts [--all]                payment alerts (open ones by default)
 *   fees                          the fee catalogue
 */
#include "ctl.h"
#include "pay_worker.h"

#include <errno.h>
#include <sodium.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int print_rows(PGresult *r)
{
    if (r == NULL)
        return 1;
    for (int i = 0; i < PQntuples(r); i++) {
        for (int k = 0; k < PQnfields(r); k++)
            printf("%s%s", k ? "\t" : "", PQgetisnull(r, i, k) ? "-" : PQgetvalue(r, i, k));
        printf("\n");
    }
    PQclear(r);
    return 0;
}

static int keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "d:", opts, NULL)) != -1)
        if (ch == 'd')
            dir = optarg;
        else
            return 2;
    if (dir == NULL) {
        fprintf(stderr, "usage: zikaoctl payments keygen --dir DIR\n");
        return 2;
    }
    int rc = pay_keygen(dir, stdout);
    if (rc < 0) {
        fprintf(stderr, "zikaoctl: cannot write keys in %s: %s\n", dir, strerror(-rc));
        return 1;
    }
    return 0;
}

static int reconcile(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"older-than", required_argument, NULL, 'o'},
                                         {"order", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    int older = ctl->cfg.pay_reconcile_after_minutes;
    const char *order = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:n:", opts, NULL)) != -1) {
        if (ch == 'o')
            older = atoi(optarg);
        else if (ch == 'n')
            order = optarg;
        else
            return 2;
    }
    if (ctl_connect(ctl) < 0)
        return 1;
    struct pay_client *pc = pay_client_new(&ctl->cfg);
    struct arena a;
    arena_init(&a, 16384);
    struct pay_settle *items = NULL;
    int rc = 1;
    int n = pay_reconcile_collect(ctl->pg, &ctl->cfg, pc, &a, older, order, &items);
    if (n < 0)
        goto out;
    struct pay_reconcile_report rep = {0};
    char err[512];
    PGresult *r = ctl_exec(ctl, "BEGIN", 0, NULL);
    if (r == NULL)
        goto out;
    PQclear(r);
    if (pay_reconcile_apply(ctl->pg, &ctl->cfg, items, n, &rep, err, sizeof(err)) < 0) {
        fprintf(stderr, "zikaoctl: reconcile: %s", err);
        PQclear(ctl_exec(ctl, "ROLLBACK", 0, NULL));
        goto out;
    }
    r = ctl_exec(ctl, "COMMIT", 0, NULL);
    if (r == NULL)
        goto out;
    PQclear(r);
    for (int i = 0; i < n; i++)
        fprintf(stderr, "%s\t%s\t%s\n", items[i].order_no,
                items[i].action == PAY_SETTLE_EVENT   ? "settle"
                : items[i].action == PAY_SETTLE_CLOSE ? "close"
                                                      : "unchanged",
                items[i].note ? items[i].note : "");
    printf("{\"checked\":%d,\"paid\":%d,\"closed\":%d,\"errors\":%d,\"unchanged\":%d}\n",
           rep.checked, rep.paid, rep.closed, rep.errors, rep.unchanged);
    rc = rep.errors > 0 ? 3 : 0;
out:
    arena_destroy(&a);
    pay_client_free(pc);
    return rc;
}

static int demo_order(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"candidate", required_argument, NULL, 'c'},
                                         {"subject", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *cand = NULL, *subject = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:s:", opts, NULL)) != -1) {
        if (ch == 'c')
            cand = optarg;
        else if (ch == 's')
            subject = optarg;
        else
            return 2;
    }
    if (cand == NULL) {
        fprintf(stderr, "usage: zikaoctl payments demo-order --candidate ID [--subject S]\n");
        return 2;
    }
    char subj[80];
    snprintf(subj, sizeof(subj), "%s", subject ? subject : "");
    if (subject == NULL)
        snprintf(subj, sizeof(subj), "demo-%s", cand);
    if (ctl_connect(ctl) < 0)
        return 1;
    char no[PAY_ORDER_NO_LEN + 1], mins[16];
    pay_order_no_new(no);
    snprintf(mins, sizeof(mins), "%d", ctl->cfg.pay_order_expiry_minutes);
    const char *v1[] = {subj, cand};
    PGresult *r = ctl_exec(ctl,
                           "INSERT INTO payment_demo_subjects (subject, candidate_id) VALUES ($1, "
                           "$2::bigint) ON CONFLICT (subject) DO NOTHING",
                           2, v1);
    if (r == NULL)
        return 1;
    PQclear(r);
    const char *v[] = {no, cand, "demo", subj, ctl->cfg.province, mins};
    r = ctl_exec(ctl,
                 "SELECT order_no, state, amount_fen, subject FROM pay_order_open($1, $2::bigint, "
                 "$3, $4, $5, $6::int)",
                 6, v);
    return print_rows(r);
}

int ctl_payments(struct ctl *ctl, int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "keygen") == 0)
        return keygen(argc - 1, argv + 1);
    if (strcmp(sub, "reconcile") == 0)
        return reconcile(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "demo-order") == 0)
        return demo_order(ctl, argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0 && argc > 2) {
        if (ctl_connect(ctl) < 0)
            return 1;
        const char *v[] = {argv[2]};
        int rc = print_rows(ctl_exec(ctl,
                                     "SELECT order_no, state, closed_reason, provider, amount_fen, "
                                     "provider_trade_no, purpose, subject, created_at, paid_at "
                                     "FROM orders WHERE order_no = $1",
                                     1, v));
        if (rc == 0)
            rc = print_rows(ctl_exec(ctl,
                                     "SELECT id, source, provider_status, amount_fen, outcome, "
                                     "outcome_detail, received_at FROM payment_events WHERE "
                                     "order_no = $1 ORDER BY id",
                                     1, v));
        return rc;
    }
    if (strcmp(sub, "alerts") == 0) {
        if (ctl_connect(ctl) < 0)
            return 1;
        bool all = argc > 2 && strcmp(argv[2], "--all") == 0;
        const char *v[] = {all ? "t" : "f"};
        return print_rows(ctl_exec(ctl,
                                   "SELECT id, created_at, kind, order_no, event_id, detail FROM "
                                   "payment_alerts WHERE $1::boolean OR resolved_at IS NULL "
                                   "ORDER BY id",
                                   1, v));
    }
    if (strcmp(sub, "fees") == 0) {
        if (ctl_connect(ctl) < 0)
            return 1;
        return print_rows(ctl_exec(ctl,
                                   "SELECT province, fee_type, name, amount_fen, refundable FROM "
                                   "fee_catalogue ORDER BY province, fee_type",
                                   0, NULL));
    }
    fprintf(stderr, "usage: zikaoctl payments keygen --dir DIR | reconcile [--older-than MIN] "
                    "[--order NO] | demo-order --candidate ID [--subject S] | show NO | alerts "
                    "[--all] | fees\n");
    return 2;
}
