/*
 * fuzz_http_parse.c - libFuzzer harness for the HTTP parser glue
 * (server/http/http_parse.c): arbitrary bytes, split into chunks at places
 * the input chooses, with pausing and resuming, under ASan and UBSan.
 * Build: cmake -DCMAKE_C_COMPILER=clang -DZIKAO_FUZZ=ON -DZIKAO_TESTS=OFF;
 * run: build-fuzz/server/fuzz_http_parse -max_len=20000 CORPUS
 */
#include "http_parse.h"

#include <stdint.h>
#include <string.h>

struct owner {
    struct http_request *done[64];
    int n;
    struct http_parse_limits limits;
};

static struct http_request *f_new(void *ud)
{
    struct arena a;
    arena_init(&a, 1024);
    struct http_request *r = arena_calloc(&a, sizeof(*r));
    r->arena = a;
    r->query = "";
    return r;
}

static void f_headers(void *ud, struct http_request *req)
{
    req->body_limit = 4096;
    (void)http_header_get(req, "Content-Type");
}

static bool f_done(void *ud, struct http_request *req)
{
    struct owner *o = ud;
    if (o->n < 64)
        o->done[o->n++] = req;
    else
        http_request_free(req);
    return (o->n % 3) == 0; /* pause now and then */
}

static const struct http_parse_hooks f_hooks = {f_new, f_headers, f_done};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct owner o = {.limits = {.header_bytes = 2048, .max_headers = 20}};
    struct http_parse p;
    http_parse_init(&p, &f_hooks, &o, &o.limits);
    /* The first byte chooses the chunk size, so splits land everywhere. */
    size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
    size_t off = size ? 1 : 0;
    while (off < size) {
        size_t n = size - off < step ? size - off : step, used = 0;
        enum http_parse_status st = http_parse_feed(&p, (const char *)data + off, n, &used);
        if (st == HTTP_PARSE_ERROR)
            break;
        if (st == HTTP_PARSE_PAUSED)
            http_parse_resume(&p);
        off += st == HTTP_PARSE_PAUSED ? used : n;
        if (st == HTTP_PARSE_PAUSED && used == 0)
            off += 1; /* never spin */
    }
    struct http_request *partial = http_parse_take_request(&p);
    if (partial != NULL)
        http_request_free(partial);
    for (int i = 0; i < o.n; i++)
        http_request_free(o.done[i]);
    return 0;
}
