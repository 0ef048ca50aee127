/*
 * districts.c - the district offices (县区招办 / 考籍管理区县) candidates go
 * to in person: GET /api/v1/districts/{code}/office, public. The contact
 * details are data (schema/0013_district_offices.sql), loaded by
 * `zikaoctl districts import`; the identity page shows them when a
 * verification goes to a person or keeps failing.
 */
#include "api.h"

#include <string.h>

static void office_row(void *ud, const struct pg_result *r)
{
    struct http_request *req = ud;
    if (!api_db_row(req, r, 404, "REGION_NOT_FOUND", "没有这个行政区划代码", "code"))
        return;
    const PGresult *res = r->res;
    if (strcmp(PQgetvalue(res, 0, 2), "district") != 0) {
        http_respond_error(req, 404, "REGION_NOT_DISTRICT",
                           "这个代码不是区县；请用考籍管理区县的行政区划代码查询", "code");
        return;
    }
    if (pg_value(res, 0, 4) == NULL) {
        http_respond_error(req, 404, "DISTRICT_OFFICE_NOT_FOUND",
                           "暂未登记这个考籍管理区县招办的联系方式，请咨询所在市的招生考试机构",
                           "code");
        return;
    }
    json_t *district =
        json_pack("{s:s, s:s, s:o}", "code", PQgetvalue(res, 0, 0), "name", PQgetvalue(res, 0, 1),
                  "city", pg_value(res, 0, 3) ? json_string(PQgetvalue(res, 0, 3)) : json_null());
    json_t *obj = json_pack("{s:o, s:s, s:s, s:s, s:s, s:o, s:s}", "district", district, "name",
                            PQgetvalue(res, 0, 4), "address", PQgetvalue(res, 0, 5), "phone",
                            PQgetvalue(res, 0, 6), "hours", PQgetvalue(res, 0, 7), "note",
                            pg_value(res, 0, 8) ? json_string(PQgetvalue(res, 0, 8)) : json_null(),
                            "updated_at", PQgetvalue(res, 0, 9));
    http_respond_json(req, 200, obj);
}

static void office_get(struct http_request *req)
{
    const char *code = http_param(req, 0);
    if (strlen(code) != 6 || strspn(code, "0123456789") != 6) {
        http_respond_error(req, 422, "REGION_CODE_INVALID", "行政区划代码应为 6 位数字", "code");
        return;
    }
    const char *values[] = {code};
    api_query(req,
              "SELECT d.code, d.name, d.level, c.name, o.name, o.address, o.phone, o.hours, "
              "o.note, zk_ts(o.updated_at) FROM regions d LEFT JOIN regions c ON c.code = "
              "d.parent AND c.level = 'city' LEFT JOIN district_offices o ON o.district = d.code "
              "WHERE d.code = $1",
              1, values, office_row);
}

static const struct route districts_routes[] = {
    {"GET", "/api/v1/districts/{code}/office", office_get, 0, NULL},
};

const struct api_module api_districts_module = {.name = "districts", API_ROUTES(districts_routes)};
