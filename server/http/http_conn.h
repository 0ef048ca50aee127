/*
 * http_conn.h - one client connection: reading, pipelining, writing, timeouts.
 *
 * A connection owns its socket handle, its parser and the queue of its
 * requests in arrival order. Requests are dispatched as soon as they are
 * complete (pipelined requests run concurrently) but answers are written
 * strictly in request order. Reading pauses when pipeline_depth requests are
 * queued and resumes as answers drain.
 *
 * Idle connections hold no buffers: reads land in the layer's one read
 * buffer (http_server.h) and the parser copies what a request needs into its
 * arena.
 */
#ifndef ZK_HTTP_CONN_H
#define ZK_HTTP_CONN_H

#include "http_parse.h"
#include "timeout_queue.h"

#include <stdbool.h>
#include <uv.h>

struct http_server;

/* Accepts a pending connection from hs->listener (or refuses it cheaply). */
void http_conn_accept(struct http_server *hs);

/* Expires connections whose header/body/idle/write deadline has passed. */
void http_conn_sweep(struct http_server *hs, uint64_t now);

/*
 * Begins a graceful drain: idle connections close now, busy ones after their
 * queued requests are answered (with Connection: close).
 */
void http_conn_drain_all(struct http_server *hs);

/* Closes every connection at once (drain deadline passed, or the process
 * stops) and the layer's idle handle: the loop can end. */
void http_conn_close_all(struct http_server *hs);

#endif
