/*
 * json_util.c - jansson helpers (see json_util.h).
 */
#include "json_util.h"
#include "buf.h"

static int json_buf_cb(const char *data, size_t size, void *ud)
{
    buf_append(ud, data, size);
    return 0;
}

char *json_to_arena(const json_t *obj, struct arena *a, size_t *len)
{
    struct buf b;
    buf_init(&b, a, 256);
    json_dump_callback(obj, json_buf_cb, &b, JSON_COMPACT | JSON_PRESERVE_ORDER);
    *len = b.len;
    return b.data;
}
