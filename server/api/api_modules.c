/*
 * api_modules.c - the list of api modules, and what is done with it: the
 * router, the configuration checks, each module's per-process state and
 * metrics (see api.h). Adding a capability = one line in api_modules[].
 */
#include "api.h"
#include "alloc.h"
#include "log.h"
#include "metrics.h"
#include "server.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct api_module api_offload_module;           /* api_offload.c */
extern const struct api_module api_orders_module;            /* orders.c */
extern const struct api_module api_orders_test_module;       /* orders.c (environment = test) */
extern const struct api_module api_payments_callback_module; /* payments_callback.c */
extern const struct api_module api_pay_sim_module;           /* pay_sim.c */
extern const struct api_module api_documents_module;         /* documents.c */
extern const struct api_module api_static_module;            /* static_files.c: web pages */
extern const struct api_module api_applications_module;      /* applications.c */
extern const struct api_module api_prior_education_module;   /* prior_education.c */
extern const struct api_module api_chsi_sim_module;          /* chsi_sim.c */
extern const struct api_module api_graduation_module;        /* graduation.c */
extern const struct api_module api_graduation_review_module; /* graduation_review.c */
extern const struct api_module api_graduate_form_module;     /* graduate_form.c */
extern const struct api_module api_staff_accounts_module;    /* staff_accounts.c */
extern const struct api_module api_review_module;            /* review.c: the review queues */
extern const struct api_module api_staff_candidates_module;  /* staff_candidates.c */
extern const struct api_module api_staff_audit_module;       /* staff_audit.c: the trail */
extern const struct api_module api_districts_module;         /* districts.c */
extern const struct api_module api_staff_site_module;        /* staff_site.c: site content */
extern const struct api_module api_application_files_module; /* application_files.c */
extern const struct api_module api_exemption_module;         /* exemption.c */
extern const struct api_module api_transfer_module;          /* transfer.c */

static const struct api_module *const api_modules[] = {
    &api_offload_module,
    &api_health_module,
    &api_openapi_module,
    &api_regions_module,
    &api_districts_module,
    &api_verify_module,
    &api_accounts_module,
    &api_me_module,
    &api_identity_module,
    &api_academic_module,
    &api_orders_module,
    &api_orders_test_module,
    &api_payments_callback_module,
    &api_pay_sim_module,
    &api_documents_module,
    &api_testing_module,
    &api_applications_module,
    &api_graduation_module,
    &api_graduation_review_module,
    &api_graduate_form_module,
    &api_staff_accounts_module,
    &api_review_module,
    &api_staff_candidates_module,
    &api_staff_audit_module,
    &api_staff_site_module,
    &api_prior_education_module,
    &api_chsi_sim_module,
    &api_application_files_module,
    &api_exemption_module,
    &api_transfer_module,
    &api_static_module,
};
#define API_NMODULES (sizeof(api_modules) / sizeof(api_modules[0]))

static bool module_in(const struct api_module *m, const struct zk_config *cfg)
{
    return !m->test_only || strcmp(cfg->environment, "test") == 0;
}

struct router *api_build_router(const struct zk_config *cfg, char *err, size_t errsz)
{
    struct router *r = router_create();
    size_t values = 0;
    for (size_t m = 0; m < API_NMODULES; m++) {
        const struct api_module *mod = api_modules[m];
        values += mod->nmetrics;
        if (!module_in(mod, cfg))
            continue;
        for (size_t i = 0; i < mod->count; i++) {
            if (router_add(r, &mod->routes[i], err, errsz) < 0) {
                router_free(r);
                return NULL;
            }
        }
        if (mod->fallback != NULL)
            router_set_fallback(r, mod->fallback);
    }
    if (values > METRICS_VALUES_MAX) {
        snprintf(err, errsz, "the api modules publish %zu metric values; at most %d fit", values,
                 METRICS_VALUES_MAX);
        router_free(r);
        return NULL;
    }
    return r;
}

int api_check_config(const struct zk_config *cfg, char *err, size_t errsz)
{
    for (size_t m = 0; m < API_NMODULES; m++)
        if (api_modules[m]->check_config != NULL &&
            api_modules[m]->check_config(cfg, err, errsz) < 0)
            return -EINVAL;
    return 0;
}

static size_t module_index(const struct api_module *m)
{
    for (size_t i = 0; i < API_NMODULES; i++)
        if (api_modules[i] == m)
            return i;
    return API_NMODULES;
}

void *api_state(struct server *srv, const struct api_module *m)
{
    size_t i = module_index(m);
    return i < API_NMODULES && srv->modules != NULL ? srv->modules[i] : NULL;
}

/* The module's first value in the metrics slot: its place in module order. */
static int metric_base(const struct api_module *m)
{
    size_t base = 0;
    for (size_t i = 0; i < API_NMODULES && api_modules[i] != m; i++)
        base += api_modules[i]->nmetrics;
    return (int)base;
}

static _Atomic int64_t *metric_value(struct server *srv, const struct api_module *m, size_t i)
{
    if (srv->metrics == NULL || i >= m->nmetrics)
        return NULL;
    return &srv->metrics->slots[srv->metrics_slot].values[metric_base(m) + (int)i];
}

void api_metric_set(struct server *srv, const struct api_module *m, size_t i, int64_t value)
{
    _Atomic int64_t *v = metric_value(srv, m, i);
    if (v != NULL)
        atomic_store_explicit(v, value, memory_order_relaxed);
}

void api_metric_add(struct server *srv, const struct api_module *m, size_t i, int64_t delta)
{
    _Atomic int64_t *v = metric_value(srv, m, i);
    if (v != NULL)
        atomic_fetch_add_explicit(v, delta, memory_order_relaxed);
}

void api_metrics_render(struct server *srv, struct buf *out)
{
    int base = 0;
    for (size_t m = 0; m < API_NMODULES; m++) {
        const struct api_module *mod = api_modules[m];
        for (size_t i = 0; i < mod->nmetrics; i++) {
            const struct api_metric *mt = &mod->metrics[i];
            if (i == 0 || strcmp(mod->metrics[i - 1].name, mt->name) != 0)
                buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", mt->name, mt->help, mt->name,
                           mt->counter ? "counter" : "gauge");
            buf_printf(out, "%s%s%s%s %lld\n", mt->name, mt->labels[0] ? "{" : "", mt->labels,
                       mt->labels[0] ? "}" : "",
                       (long long)metrics_value_sum(srv->metrics, base + (int)i));
        }
        base += (int)mod->nmetrics;
    }
}

const struct api_scrape **api_metrics_scrapes(struct server *srv, struct arena *a)
{
    const struct api_scrape **list = arena_calloc(a, sizeof(*list) * (API_NMODULES + 1));
    size_t n = 0;
    for (size_t m = 0; m < API_NMODULES; m++)
        if (api_modules[m]->scrape != NULL && module_in(api_modules[m], &srv->cfg))
            list[n++] = api_modules[m]->scrape;
    return list;
}

/* ---- per-process state ---------------------------------------------------------- */

static int api_start(struct server *srv)
{
    srv->modules = zk_calloc(API_NMODULES, sizeof(*srv->modules));
    for (size_t m = 0; m < API_NMODULES; m++) {
        const struct api_module *mod = api_modules[m];
        if (mod->init == NULL || !module_in(mod, &srv->cfg))
            continue;
        int rc = mod->init(srv, &srv->modules[m]);
        if (rc < 0) {
            log_err("module %s could not start: %s", mod->name, strerror(-rc));
            return rc;
        }
    }
    return 0;
}

static void api_tick(struct server *srv)
{
    for (size_t m = 0; m < API_NMODULES; m++)
        if (api_modules[m]->tick != NULL && module_in(api_modules[m], &srv->cfg))
            api_modules[m]->tick(srv, srv->modules[m]);
}

static void api_reload(struct server *srv)
{
    for (size_t m = 0; m < API_NMODULES; m++)
        if (api_modules[m]->reload != NULL && module_in(api_modules[m], &srv->cfg))
            api_modules[m]->reload(srv, srv->modules[m]);
}

static void api_stop(struct server *srv)
{
    if (srv->modules == NULL)
        return;
    for (size_t m = API_NMODULES; m-- > 0;)
        if (api_modules[m]->free != NULL && module_in(api_modules[m], &srv->cfg))
            api_modules[m]->free(srv, srv->modules[m]);
    free(srv->modules);
    srv->modules = NULL;
}

const struct server_app api_server_app = {api_build_router, api_start, api_tick, api_reload,
                                          api_stop};
