/*
 * regions.c - administrative regions (provinces, cities, districts) with
 * their codes: GET /api/v1/regions (the provinces), GET /api/v1/regions/{code}
 * and its children. Reference data
 * for registration (management district) and ID-number checks. Also
 * GET /api/v1/province: the province this service is for ([profile]
 * province), so that pages know whose districts to offer and whose office
 * to name.
 */
#include "api.h"
#include "documents.h"
#include "server.h"

#include <string.h>

static bool region_code_valid(const char *code)
{
    if (strlen(code) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

static void region_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "REGION_NOT_FOUND", "没有这个行政区划代码", "code"))
        return;
    const PGresult *res = r->res;
    json_t *obj = json_pack("{s:s, s:s, s:s, s:o}", "code", PQgetvalue(res, 0, 0), "name",
                            PQgetvalue(res, 0, 1), "level", PQgetvalue(res, 0, 2), "parent",
                            pg_value(res, 0, 3) ? json_string(PQgetvalue(res, 0, 3)) : json_null());
    http_respond_json(req, 200, obj);
}

static void region_get(struct http_request *req)
{
    const char *code = http_param(req, 0);
    if (!region_code_valid(code)) {
        http_respond_error(req, 422, "REGION_CODE_INVALID", "行政区划代码应为 6 位数字", "code");
        return;
    }
    const char *values[] = {code};
    api_query(req, "SELECT code, name, level, parent FROM regions WHERE code = $1", 1, values,
              region_row);
}

static void region_children_rows(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (api_db_failed(req, r))
        return;
    const PGresult *res = r->res;
    int n = PQntuples(res);
    if (n == 0 || strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
        http_respond_error(req, 404, "REGION_NOT_FOUND", "没有这个行政区划代码", "code");
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        if (pg_value(res, i, 1) == NULL)
            continue; /* the parent exists but has no children */
        json_array_append_new(items,
                              json_pack("{s:s, s:s, s:s}", "code", PQgetvalue(res, i, 1), "name",
                                        PQgetvalue(res, i, 2), "level", PQgetvalue(res, i, 3)));
    }
    http_respond_json(req, 200, json_pack("{s:o}", "items", items));
}

static void region_children(struct http_request *req)
{
    const char *code = http_param(req, 0);
    if (!region_code_valid(code)) {
        http_respond_error(req, 422, "REGION_CODE_INVALID", "行政区划代码应为 6 位数字", "code");
        return;
    }
    const char *values[] = {code};
    api_query(req,
              "SELECT (SELECT count(*) FROM regions WHERE code = $1), c.code, c.name, c.level "
              "FROM (SELECT 1) one LEFT JOIN regions c ON c.parent = $1 ORDER BY c.code",
              1, values, region_children_rows);
}

/* The provinces (the 省际转出 page's destinations). */
static void provinces_get(struct http_request *req)
{
    api_query(req,
              "SELECT 1, code, name, level FROM regions WHERE level = 'province' ORDER BY code", 0,
              NULL, region_children_rows);
}

static void province_get(struct http_request *req)
{
    const struct zk_config *cfg = &req->srv->cfg;
    const char *code = config_province_region(cfg);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:s}", "profile", cfg->province, "code", code,
                                "name", doc_province_name(cfg), "office_name",
                                doc_office_name(cfg)));
}

static const struct route regions_routes[] = {
    {"GET", "/api/v1/province", province_get, 0, NULL},
    {"GET", "/api/v1/regions", provinces_get, 0, NULL},
    {"GET", "/api/v1/regions/{code}", region_get, 0, NULL},
    {"GET", "/api/v1/regions/{code}/children", region_children, 0, NULL},
};

const struct api_module api_regions_module = {.name = "regions", API_ROUTES(regions_routes)};
