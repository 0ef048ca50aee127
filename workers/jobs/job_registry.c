/*
 * job_registry.c - the table of queues this zikao-worker can consume.
 * Adding a queue: name it in shared/queue.h (the one list of queue names),
 * define its struct job_queue in its folder and list it here.
 */
#include "job.h"
#include "queue.h"

#include <stdio.h>
#include <string.h>

extern const struct job_queue job_queue_noop;
extern const struct job_queue job_queue_payment;
extern const struct job_queue job_queue_photo, job_queue_face; /* workers/photo, workers/face */
extern const struct job_queue job_queue_pdf;                   /* workers/pdf */
extern const struct job_queue job_queue_archive;               /* workers/archive */

static const struct job_queue *const job_queues[] = {
    &job_queue_noop, &job_queue_payment, &job_queue_photo,
    &job_queue_face, &job_queue_pdf,     &job_queue_archive,
};

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
