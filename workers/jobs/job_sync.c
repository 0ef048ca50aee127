/*
 * job_sync.c - blocking connections with reconnect (see job_sync.h).
 */
#include "job_sync.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

PGconn *sync_pg(struct sync_conns *c)
{
    if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_OK)
        return c->pg;
    if (c->pg != NULL) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    const char *keys[] = {"dbname", "application_name", "connect_timeout", "options", NULL};
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", (c->cfg->db_connect_timeout_ms + 999) / 1000);
    const char *vals[] = {c->cfg->db_conninfo, c->application_name, timeout, c->options, NULL};
    if (c->options == NULL)
        keys[3] = NULL;
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        log_warn("postgres: %s", PQerrorMessage(c->pg));
        PQfinish(c->pg);
        c->pg = NULL;
        return NULL;
    }
    PQsetNoticeProcessor(c->pg, NULL, NULL);
    return c->pg;
}

PGresult *sync_exec(struct sync_conns *c, const char *sql, int n, const char *const *values)
{
    PGconn *pg = sync_pg(c);
    if (pg == NULL)
        return NULL;
    /* Without parameters the simple protocol runs "A; B" in one round trip. */
    PGresult *r = n == 0 ? PQexec(pg, sql) : PQexecParams(pg, sql, n, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    log_warn("postgres: %s", PQresultErrorMessage(r));
    PQclear(r);
    if (PQstatus(pg) != CONNECTION_OK) {
        PQfinish(pg);
        c->pg = NULL;
    }
    return NULL;
}

static struct timeval ms_to_tv(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

redisContext *sync_redis(struct sync_conns *c)
{
    if (c->redis != NULL && c->redis->err == 0)
        return c->redis;
    if (c->redis != NULL) {
        redisFree(c->redis);
        c->redis = NULL;
    }
    const struct zk_config *cfg = c->cfg;
    struct timeval tv = ms_to_tv(cfg->redis_connect_timeout_ms);
    redisContext *r = cfg->redis_host[0] == '/'
                          ? redisConnectUnixWithTimeout(cfg->redis_host, tv)
                          : redisConnectWithTimeout(cfg->redis_host, cfg->redis_port, tv);
    if (r == NULL || r->err) {
        log_warn("redis: cannot connect to %s:%d: %s", cfg->redis_host, cfg->redis_port,
                 r ? r->errstr : "out of memory");
        if (r)
            redisFree(r);
        return NULL;
    }
    redisSetTimeout(r, ms_to_tv(cfg->redis_command_timeout_ms));
    c->redis = r;
    if (cfg->redis_password[0] || cfg->redis_db != 0) {
        redisReply *rep = NULL;
        if (cfg->redis_password[0])
            rep = redisCommand(r, "AUTH %s", cfg->redis_password);
        if (rep == NULL || rep->type != REDIS_REPLY_ERROR) {
            if (rep)
                freeReplyObject(rep);
            rep = cfg->redis_db != 0 ? redisCommand(r, "SELECT %d", cfg->redis_db) : NULL;
        }
        if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
            log_err("redis: connection setup refused: %s", rep->str);
            freeReplyObject(rep);
            redisFree(r);
            c->redis = NULL;
            return NULL;
        }
        if (rep)
            freeReplyObject(rep);
    }
    return r;
}

redisReply *sync_redis_argv(struct sync_conns *c, int extra_timeout_ms, int argc, const char **argv)
{
    redisContext *r = sync_redis(c);
    if (r == NULL)
        return NULL;
    if (extra_timeout_ms > 0)
        redisSetTimeout(r, ms_to_tv(c->cfg->redis_command_timeout_ms + extra_timeout_ms));
    redisReply *rep = redisCommandArgv(r, argc, argv, NULL);
    if (extra_timeout_ms > 0 && rep != NULL)
        redisSetTimeout(r, ms_to_tv(c->cfg->redis_command_timeout_ms));
    if (rep == NULL) {
        log_warn("redis: %s", r->errstr[0] ? r->errstr : "connection lost");
        redisFree(r);
        c->redis = NULL;
    }
    return rep;
}

void sync_close(struct sync_conns *c)
{
    if (c->pg != NULL)
        PQfinish(c->pg);
    if (c->redis != NULL)
        redisFree(c->redis);
    c->pg = NULL;
    c->redis = NULL;
}
