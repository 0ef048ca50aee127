/*
 * pay_client.h - the worker's side of the providers: asking about a trade
 * (query API), closing it, and - for the built-in simulator - delivering its
 * signed notifications to the server. Blocking HTTP (libcurl): workers and
 * zikaoctl only, never the server loop.
 *
 * One client per thread (it holds a curl handle). Answers are verified with
 * the provider's public key before they are believed.
 */
#ifndef ZK_PAY_CLIENT_H
#define ZK_PAY_CLIENT_H

#include "arena.h"
#include "config.h"
#include "pay_proto.h"

#include <jansson.h>
#include <time.h>

struct pay_client;

struct pay_client *pay_client_new(const struct zk_config *cfg);
void pay_client_free(struct pay_client *pc);

enum pay_query_result {
    PAY_QUERY_FOUND,     /* *n describes the trade */
    PAY_QUERY_NOT_FOUND, /* the provider has no such trade */
    PAY_QUERY_ERROR,     /* unreachable, unsigned or unexpected answer: *why */
};

/*
 * Asks the provider about our order. On FOUND, *n (strings in a) is the
 * normalised trade and *raw the verified answer body.
 */
enum pay_query_result pay_client_query(struct pay_client *pc, struct arena *a, const char *provider,
                                       const char *order_no, struct pay_notice *n, const char **raw,
                                       const char **why);

/*
 * Closes the trade at the provider so it can no longer be paid. Returns 0
 * (closed, or the provider never had it), -EALREADY (it is paid: query it),
 * or -EIO with *why.
 */
int pay_client_close(struct pay_client *pc, struct arena *a, const char *provider,
                     const char *order_no, const char **why);

/*
 * WeChat Pay Native prepay: asks the provider for the QR payload (code_url)
 * of our order. Returns 0 with *code_url (in a), or -EIO with *why.
 */
int pay_client_wechat_prepay(struct pay_client *pc, struct arena *a, const char *order_no,
                             const char *description, long long amount_fen, time_t expires,
                             const char *notify_url, const char **code_url, const char **why);

/*
 * Simulator: signs the notification of a paid simulated trade (payload of
 * a sim_notify job) and POSTs it to its notify_url. Returns 0 when the
 * server acknowledged it ("success" / 2xx), else -EIO with *why (the job is
 * retried, as the real provider retries).
 */
int pay_client_sim_notify(struct pay_client *pc, struct arena *a, const json_t *payload,
                          const char **why);

#endif
