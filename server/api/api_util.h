/*
 * api_util.h - what account-style handlers need again and again: fields of a
 * JSON body (answering 422 naming the field), Redis rate limits (answering
 * 429 with Retry-After), and password hashing on the thread pool.
 *
 * Unknown fields in a request body are ignored.
 */
#ifndef ZK_API_UTIL_H
#define ZK_API_UTIL_H

#include "api.h"

#include <stdbool.h>

/*
 * A required string field, copied into the request arena. Answers 422
 * FIELD_REQUIRED (missing, empty or not a string) or FIELD_TOO_LONG (more than
 * max bytes) naming the field, and returns NULL.
 */
const char *api_field_str(struct http_request *req, json_t *body, const char *name, size_t max);

/* An optional string field ("" when absent); NULL after answering 422 when
 * present but not a string or too long. */
const char *api_field_opt(struct http_request *req, json_t *body, const char *name, size_t max);

/* Answers 422 with code, Chinese message and field; returns NULL (for
 * `return api_reject(...)` in field readers). */
void *api_reject(struct http_request *req, const char *code, const char *message,
                 const char *field);

typedef void (*api_next_fn)(struct http_request *req);

/*
 * The request body as a photo: its type by magic bytes ("image/jpeg" or
 * "image/png"), which must be the declared Content-Type. Otherwise answers
 * 415 PHOTO_TYPE_UNSUPPORTED / PHOTO_TYPE_MISMATCH or 422 PHOTO_EMPTY
 * naming field, and returns NULL.
 */
const char *api_image_body(struct http_request *req, const char *field);

/*
 * Answers a stored file: sql selects (content_type, data) of at most one row
 * from the values; the bytes come binary. No row: 404 with code, message
 * and field. Private, never cached. Takes req->ctx.
 */
void api_respond_file(struct http_request *req, const char *sql, int n, const char *const *values,
                      const char *code, const char *message, const char *field);

/*
 * payload drawn as a QR code (level M, a 4-module quiet zone) in SVG text,
 * into out (in the arena a): microseconds of work, fine on the loop. Returns
 * 0, or a negative errno when libqrencode refuses (out untouched).
 */
struct buf;
int api_qr_svg(struct arena *a, const char *payload, struct buf *out);

/* Hex of the first `bytes` (at most 32) bytes of sha256(parts joined by "|"),
 * into the arena: how secrets (codes, answers, device cookies) are kept. */
char *api_digest(struct arena *a, size_t bytes, const char *const *parts, size_t n);

/*
 * Counts one event against key (e.g. "rl:login:ip:1.2.3.4") in a window of
 * window_s seconds. Over limit: answers 429 RATE_LIMITED with Retry-After and
 * message, and does not call next. Redis down: answers 503.
 */
void api_rate_limit(struct http_request *req, const char *key, int limit, int window_s,
                    const char *message, api_next_fn next);

/*
 * argon2id on the libuv thread pool (never the loop), bounded by [auth]
 * hash_queue_limit: when full, answers 503 and the callback is not called.
 * api_password_verify with hash NULL does the same work as a real check (one
 * argon2id of the password at the configured cost) and reports ok = false:
 * an unknown account must cost what a known one costs.
 */
typedef void (*api_hash_cb)(struct http_request *req, const char *hash);
typedef void (*api_verify_cb)(struct http_request *req, bool ok, bool needs_rehash);
void api_password_hash(struct http_request *req, const char *password, api_hash_cb cb);
void api_password_verify(struct http_request *req, const char *hash, const char *password,
                         api_verify_cb cb);

/*
 * Path parameter i as a database id (1-18 digits), or NULL after answering
 * 404 with code, message and field: a malformed id is as unknown as a
 * missing one.
 */
const char *api_id_param(struct http_request *req, int i, const char *code, const char *message,
                         const char *field);

#endif
