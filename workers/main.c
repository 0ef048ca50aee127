/*
 * main.c - zikao-worker entry point: `zikao-worker --queue NAME` consumes one
 * queue (see jobs/job_worker.h). Scale by starting more processes.
 */
#include "build_info.h"
#include "config.h"
#include "job.h"
#include "job_worker.h"
#include "log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    char queues[256];
    job_queue_list(queues, sizeof(queues));
    fprintf(out,
            "usage: zikao-worker [--config FILE] --queue NAME [--concurrency N] | --list-queues\n"
            "  --queue NAME       the queue to consume: %s\n"
            "  --concurrency N    handler threads (default [jobs] concurrency)\n"
            "Settings: --config FILE, else $ZIKAO_CONFIG, else defaults; ZIKAO_<SECTION>_<KEY>\n"
            "environment variables override them.\n",
            queues);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"queue", required_argument, NULL, 'q'},
        {"concurrency", required_argument, NULL, 'n'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"list-queues", no_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = getenv("ZIKAO_CONFIG");
    const char *queue = NULL;
    int concurrency = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:q:n:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'q':
            queue = optarg;
            break;
        case 'n':
            concurrency = atoi(optarg);
            break;
        case 'V':
            printf("zikao-worker %s (schema %d)\n", ZIKAO_VERSION, ZIKAO_SCHEMA_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case 'L': {
            char queues[256];
            job_queue_list(queues, sizeof(queues));
            for (char *p = queues; *p; p++)
                if (*p == ',')
                    *p = '\n';
            printf("%s\n", queues);
            return 0;
        }
        default:
            usage(stderr);
            return 2;
        }
    }
    if (config_path != NULL && config_path[0] == '\0')
        config_path = NULL;
    if (queue == NULL) {
        usage(stderr);
        return 2;
    }
    /* "face-2" (a second instance of a queue's unit) consumes queue "face". */
    char name[64];
    snprintf(name, sizeof(name), "%s", queue);
    char *dash = strrchr(name, '-');
    if (dash != NULL && dash[1] >= '0' && dash[1] <= '9' && job_queue_find(name) == NULL)
        *dash = '\0';
    const struct job_queue *q = job_queue_find(name);
    if (q == NULL) {
        fprintf(stderr, "zikao-worker: no queue named '%s'\n\n", queue);
        usage(stderr);
        return 2;
    }
    char component[80];
    snprintf(component, sizeof(component), "worker/%s", q->name);
    log_init(component, LOG_LEVEL_INFO);
    struct zk_config cfg;
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        log_err("configuration: %s", err);
        return 78;
    }
    log_set_level(log_level_parse(cfg.log_level));
    if (concurrency > 0)
        cfg.jobs_concurrency = concurrency;
    return job_worker_run(&cfg, q, config_path);
}
