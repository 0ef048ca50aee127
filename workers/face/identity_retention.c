/*
 * identity_retention.c - a keeper task (job.h): ID-card and holding photos
 * are deleted [identity] photo_retention_days after the person's
 * verification succeeded (identity_photo_retention() in
 * schema/0015_staff.sql: the photo rows, the files, one trail row per
 * person; the registration photo stays). Runs in every worker; the function
 * takes its people with SKIP LOCKED.
 */
#include "job.h"
#include "job_sync.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static void identity_photos_expire(struct sync_conns *conns, const struct zk_config *cfg)
{
    char days[16];
    snprintf(days, sizeof(days), "%d", cfg->identity_photo_retention_days);
    const char *v[] = {days};
    PGresult *r = sync_exec(conns, "SELECT identity_photo_retention($1::int, 500)", 1, v);
    if (r == NULL)
        return;
    if (atoi(PQgetvalue(r, 0, 0)) > 0)
        log_notice("retention: deleted the ID-card and holding photos of %s verified person(s)",
                   PQgetvalue(r, 0, 0));
    PQclear(r);
}

const struct job_keeper_task job_keeper_identity_photos = {"identity-photos",
                                                           identity_photos_expire};
