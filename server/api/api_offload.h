/*
 * api_offload.h - CPU work a request needs answered inline (argon2id, the
 * captcha's drawing, payment signatures), run on the libuv thread pool and
 * never on the loop, bounded per process and kind.
 *
 * Every kind has a limit of pieces waiting for or on a thread ([auth]
 * hash_queue_limit, [auth] captcha_queue_limit, [payment]
 * crypto_queue_limit, [chsi] crypto_queue_limit); beyond it the request is answered 503 SERVER_BUSY
 * with Retry-After, so a burst cannot queue without bound. /metrics shows
 * what is in flight per kind (zikao_offload_in_flight).
 */
#ifndef ZK_API_OFFLOAD_H
#define ZK_API_OFFLOAD_H

#include "api.h"

enum api_offload_kind {
    API_OFFLOAD_PASSWORD, /* argon2id hashes and checks */
    API_OFFLOAD_CAPTCHA,  /* picture captchas */
    API_OFFLOAD_PAYMENT,  /* provider signatures: made, checked */
    API_OFFLOAD_CHSI,     /* CHSI (学信网) notifications: signatures checked */
    API_OFFLOAD_KINDS
};

/* Runs on a pool thread: must not touch the request (give it memory of its
 * own, or read-only copies); then `after` runs on the loop. */
typedef void (*api_offload_work_fn)(void *data);
typedef void (*api_offload_after_fn)(struct http_request *req, void *data);

/*
 * Queues work(data), then after(req, data). Returns 0; or answers 503
 * SERVER_BUSY and returns -1 (nothing runs: the caller still owns data).
 */
int api_offload(struct http_request *req, enum api_offload_kind kind, api_offload_work_fn work,
                api_offload_after_fn after, void *data);

#endif
