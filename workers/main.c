/*
 * main.c - zikao-worker entry point.
 *
 * The job framework (queues on Redis streams under a PostgreSQL outbox) is
 * built in workers/jobs/; until a queue is registered this binary only
 * validates its configuration and refuses to start.
 */
#include "build_info.h"
#include "config.h"
#include "log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"queue", required_argument, NULL, 'q'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = getenv("ZIKAO_CONFIG");
    const char *queue = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:q:", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config_path = optarg;
            break;
        case 'q':
            queue = optarg;
            break;
        case 'V':
            printf("zikao-worker %s\n", ZIKAO_VERSION);
            return 0;
        default:
            fprintf(stderr, "usage: zikao-worker [--config FILE] --queue NAME\n");
            return 2;
        }
    }
    log_init("worker", LOG_LEVEL_INFO);
    struct zk_config cfg;
    char err[512];
    if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        log_err("configuration: %s", err);
        return 78;
    }
    log_err("no job queue named '%s' is registered", queue ? queue : "(none)");
    return 2;
}
