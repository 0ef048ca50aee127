/*
 * job_registry.c - the table of queues this zikao-worker can consume.
 * Adding a queue: name it in shared/queue.h (the one list of queue names),
 * define its struct job_queue in its folder and list it here. Upkeep every
 * worker runs (job.h: struct job_keeper_task) is listed here too.
 */
#include "job.h"
#include "queue.h"

#include <stdio.h>
#include <string.h>

extern const struct job_queue job_queue_noop;
extern const struct job_queue job_queue_payment;
extern const struct job_queue job_queue_photo, job_queue_face; /* workers/photo, workers/face */
extern const struct job_queue job_queue_pdf;                   /* workers/pdf */
extern const struct job_queue job_queue_sms;                   /* workers/sms */
extern const struct job_queue job_queue_chsi;                  /* workers/chsi */

static const struct job_queue *const job_queues[] = {
    &job_queue_noop, &job_queue_payment, &job_queue_photo, &job_queue_face,
    &job_queue_pdf,  &job_queue_sms,     &job_queue_chsi,
};

extern const struct job_keeper_task job_keeper_identity_photos; /* workers/face */

static const struct job_keeper_task *const keeper_tasks[] = {
    &job_keeper_identity_photos,
};

const struct job_keeper_task *const *job_keeper_tasks(size_t *n)
{
    *n = sizeof(keeper_tasks) / sizeof(keeper_tasks[0]);
    return keeper_tasks;
}

const struct job_queue *job_queue_find(const char *name)
{
    for (size_t i = 0; i < sizeof(job_queues) / sizeof(job_queues[0]); i++)
        if (strcmp(job_queues[i]->name, name) == 0 && queue_known(name))
            return job_queues[i];
    return NULL;
}

void job_queue_list(char *out, size_t outsz)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(job_queues) / sizeof(job_queues[0]); i++) {
        int n = snprintf(out + off, outsz - off, "%s%s", i ? ", " : "", job_queues[i]->name);
        if (n < 0 || (size_t)n >= outsz - off)
            break;
        off += (size_t)n;
    }
}
