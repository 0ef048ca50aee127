/*
 * graduation_lapse.c - a keeper task (job.h): a paid Shanxi graduation
 * application whose 毕业生登记表 and card originals were not recorded as
 * received by its window's papers deadline lapses ("未按时提交纸质原件者，
 * 毕业申请无效", handbook 001): graduation_lapse() in
 * schema/0025_graduation_review.sql makes the system's `lapse` transition
 * with the reason the candidate reads. Runs in every worker; the function
 * takes its applications with SKIP LOCKED.
 */
#include "job.h"
#include "job_sync.h"
#include "log.h"

#include <stdlib.h>

static void graduation_lapse_run(struct sync_conns *conns, const struct zk_config *cfg)
{
    (void)cfg;
    PGresult *r = sync_exec(conns, "SELECT graduation_lapse(500)", 0, NULL);
    if (r == NULL)
        return;
    if (atoi(PQgetvalue(r, 0, 0)) > 0)
        log_notice("graduation: %s application(s) lapsed: papers not received by the deadline",
                   PQgetvalue(r, 0, 0));
    PQclear(r);
}

const struct job_keeper_task job_keeper_graduation_lapse = {"graduation-lapse",
                                                            graduation_lapse_run};
