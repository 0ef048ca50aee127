/*
 * openapi.c - serves the OpenAPI 3.1 description (server/openapi.yaml,
 * embedded into the binary at build time) at /api/v1/openapi.yaml.
 */
#include "api.h"

#include <stddef.h>

extern const unsigned char zikao_openapi_yaml[];
extern const size_t zikao_openapi_yaml_len;

static void openapi(struct http_request *req)
{
    http_response_header(req, "Cache-Control", "public, max-age=300");
    http_respond(req, 200, "application/yaml; charset=utf-8", zikao_openapi_yaml,
                 zikao_openapi_yaml_len);
}

static const struct route openapi_routes[] = {
    {"GET", "/api/v1/openapi.yaml", openapi, 0, NULL},
};

const struct api_module api_openapi_module = {.name = "openapi", API_ROUTES(openapi_routes)};
