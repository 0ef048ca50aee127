/*
 * static_files.h - the static-file handler: GET and HEAD of the paths the API
 * does not own, answered from the files of [server] www_dir held in memory.
 *
 * The route is the router's fallback (router.h), so "/api/...", "/healthz",
 * "/metrics", "/sim/..." never reach it. "/" and "/dir/" serve the folder's
 * index.html; "/dir" is redirected (301) to "/dir/" when that has one. An
 * answer carries an ETag (If-None-Match gives 304), Cache-Control
 * (revalidate, or a year for names that carry their content hash: see
 * static_set.h), the .gz sibling when Accept-Encoding takes gzip (with Vary),
 * X-Content-Type-Options: nosniff, and on HTML and SVG the document security
 * headers (CSP, Referrer-Policy, X-Frame-Options). A path that names no file
 * is 404 with www_dir's 404.html as body, or the JSON error when there is
 * none, and is counted in metrics as unmatched; other methods on a file are
 * 405 with Allow: GET, HEAD. Malformed percent-encoding is 400.
 *
 * No file is read on the loop while it serves: the folder is loaded whole
 * before the loop starts, and on SIGHUP on the thread pool; the new set
 * replaces the old only when it loaded completely, and the old one lives on
 * while answers still point into it (static_set.h).
 */
#ifndef ZK_STATIC_FILES_H
#define ZK_STATIC_FILES_H

#include "api.h"
#include "config.h"
#include "http/router.h"

#include <stddef.h>
#include <uv.h>

struct static_files;

/* The fallback route (router_set_fallback); serves the static module's files. */
extern const struct route static_files_route;
extern const struct api_module api_static_module;

/*
 * The folder [server] www_dir names, into out: "" (empty setting) for none;
 * "auto": the checkout's server/www unless environment = production, else
 * the installed share/zikao/www, each only if it exists ("" if neither).
 * Looks at the file system: not for the loop while it serves.
 */
void static_files_dir(const struct zk_config *cfg, char *out, size_t outsz);

/*
 * Loads the folder before the loop serves. Returns 0 and *out (serving
 * nothing when there is no folder), or a negative errno after logging the
 * reason (a configuration error: the folder named cannot be read, a limit is
 * exceeded).
 */
int static_files_open(struct static_files **out, uv_loop_t *loop, const struct zk_config *cfg);

/*
 * SIGHUP: loads the folder again on the thread pool with cfg's limits, then
 * serves the new set; a load that fails is logged and the old set kept. A
 * reload asked for while one runs follows it.
 */
void static_files_reload(struct static_files *sf, const struct zk_config *cfg);

/* Frees sf and its set (NULL is ignored). The loop must have ended. */
void static_files_close(struct static_files *sf);

/* Loads and drops the folder (--check-config, start): 0, or -errno with err. */
int static_files_check(const struct zk_config *cfg, char *err, size_t errsz);

#endif
