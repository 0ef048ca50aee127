/*
 * instances.h - the record each zikao-server process keeps in Redis so that
 * operators (`zikaoctl status`) see which server processes are alive.
 *
 * Every INSTANCES_HEARTBEAT_MS a process SETs INSTANCES_KEY_PREFIX
 * "HOST:PID" to a JSON object with INSTANCES_TTL_S expiry and ZADDs
 * "HOST:PID" to INSTANCES_INDEX_KEY with the wall-clock time in ms as score.
 * A process that stops cleanly removes both; one that dies expires. Readers
 * take the index members seen within the TTL and MGET their records.
 *
 * The record: {"host", "pid", "index" (0..processes-1), "processes",
 * "version", "schema", "started" (unix seconds), "state" ("starting",
 * "serving", "draining"), "connections", "requests" (answered since start),
 * "rps" (over the last heartbeat), "postgres" and "redis" ("up"/"down")}.
 */
#ifndef ZK_INSTANCES_H
#define ZK_INSTANCES_H

#include "redis_keys.h"

#define INSTANCES_INDEX_KEY    RK_SERVERS
#define INSTANCES_KEY_PREFIX   RK_SERVER_PREFIX
#define INSTANCES_TTL_S        10
#define INSTANCES_HEARTBEAT_MS 2000
/* Index members older than this are removed by the writers. */
#define INSTANCES_FORGET_MS 60000

#endif
