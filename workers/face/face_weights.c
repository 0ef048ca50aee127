/*
 * face_weights.c - reads tfjs weights manifests and their binary shards.
 *
 * A manifest is a JSON array of groups {paths: [...], weights: [...]}; the
 * group's files, concatenated, hold its tensors back to back in the order
 * listed. Owns the decoded float tensors of one model (struct face_weights).
 * float32 and int32 tensors are read, plain or uint8-quantised; int32 ones
 * (shape constants some graphs carry, such as the SSD's) are stored as
 * floats, rounded after dequantisation as tfjs does.
 */
#include "face_internal.h"

#include "alloc.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void weights_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void weights_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err == NULL || errsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* Reads a whole file; returns 0 or -errno. */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
    int rc = 0;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = -errno;
        goto out;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = -EIO;
        goto out;
    }
    buf = zk_malloc((size_t)size + 1);
    if (size > 0 && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        rc = -EIO;
        goto out;
    }
    buf[size] = 0;
    *data = buf;
    *len = (size_t)size;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

static uint32_t le_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float le_float(const uint8_t *p)
{
    uint32_t u = le_u32(p);
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* How one tensor's bytes become floats. */
struct entry_enc {
    bool is_int; /* dtype int32 */
    bool quant;  /* uint8 q, value q * scale + min (rounded for int32) */
    double scale, min;
};

/* Parses one weight entry's name, shape and encoding; returns bytes it occupies or -EINVAL. */
static long entry_parse(json_t *e, struct face_tensor *t, struct entry_enc *enc, char *err,
                        size_t errsz)
{
    const char *name = json_string_value(json_object_get(e, "name"));
    const char *dtype = json_string_value(json_object_get(e, "dtype"));
    json_t *shape = json_object_get(e, "shape");
    if (name == NULL || dtype == NULL || !json_is_array(shape)) {
        weights_err(err, errsz, "weight entry without name, dtype or shape");
        return -EINVAL;
    }
    memset(enc, 0, sizeof(*enc));
    if (strcmp(dtype, "int32") == 0) {
        enc->is_int = true;
    } else if (strcmp(dtype, "float32") != 0) {
        weights_err(err, errsz, "%s: dtype %s not supported", name, dtype);
        return -EINVAL;
    }
    if (json_array_size(shape) > 4) {
        weights_err(err, errsz, "%s: more than 4 dimensions", name);
        return -EINVAL;
    }
    t->name = zk_strdup(name);
    t->ndim = (int)json_array_size(shape);
    t->count = 1;
    for (int i = 0; i < t->ndim; i++) {
        json_t *d = json_array_get(shape, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) <= 0 ||
            json_integer_value(d) > (1 << 24)) {
            weights_err(err, errsz, "%s: bad dimension %d", name, i);
            return -EINVAL;
        }
        t->shape[i] = (int)json_integer_value(d);
        t->count *= (size_t)t->shape[i];
    }
    if (t->count > (1u << 26)) {
        weights_err(err, errsz, "%s: %zu elements is implausibly large", name, t->count);
        return -EINVAL;
    }
    json_t *q = json_object_get(e, "quantization");
    if (q == NULL)
        return (long)(t->count * 4);
    const char *qtype = json_string_value(json_object_get(q, "dtype"));
    json_t *js = json_object_get(q, "scale"), *jm = json_object_get(q, "min");
    if (qtype == NULL || strcmp(qtype, "uint8") != 0 || !json_is_number(js) ||
        !json_is_number(jm)) {
        weights_err(err, errsz, "%s: quantization %s not supported (only uint8 with scale/min)",
                    name, qtype ? qtype : "(none)");
        return -EINVAL;
    }
    enc->quant = true;
    enc->scale = json_number_value(js);
    enc->min = json_number_value(jm);
    return (long)t->count;
}

/* Loads one manifest group: concatenates its files and decodes its tensors into w. */
static int group_load(const char *dir, json_t *group, struct face_weights *w,
                      crypto_generichash_state *hash, char *err, size_t errsz)
{
    int rc = 0;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    json_t *paths = json_object_get(group, "paths");
    json_t *weights = json_object_get(group, "weights");
    if (!json_is_array(paths) || !json_is_array(weights)) {
        weights_err(err, errsz, "manifest group without paths or weights");
        return -EINVAL;
    }
    size_t i;
    json_t *p;
    json_array_foreach(paths, i, p)
    {
        const char *rel = json_string_value(p);
        if (rel == NULL || strstr(rel, "..") != NULL || rel[0] == '/') {
            weights_err(err, errsz, "bad weight file name in manifest");
            rc = -EINVAL;
            goto out;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        uint8_t *data;
        size_t len;
        rc = read_file(path, &data, &len);
        if (rc < 0) {
            weights_err(err, errsz, "%s: %s", path, strerror(-rc));
            goto out;
        }
        if (hash != NULL)
            crypto_generichash_update(hash, data, len);
        blob = zk_realloc(blob, blob_len + len + 1);
        memcpy(blob + blob_len, data, len);
        blob_len += len;
        free(data);
    }
    size_t off = 0;
    json_t *e;
    json_array_foreach(weights, i, e)
    {
        w->t = zk_realloc(w->t, (w->n + 1) * sizeof(*w->t));
        struct face_tensor *t = &w->t[w->n++];
        memset(t, 0, sizeof(*t));
        struct entry_enc enc;
        long bytes = entry_parse(e, t, &enc, err, errsz);
        if (bytes < 0) {
            rc = -EINVAL;
            goto out;
        }
        if (off + (size_t)bytes > blob_len) {
            weights_err(err, errsz,
                        "%s: weight files hold %zu bytes but the manifest needs at least %zu",
                        t->name, blob_len, off + (size_t)bytes);
            rc = -EINVAL;
            goto out;
        }
        t->data = zk_malloc(t->count * sizeof(float));
        const uint8_t *src = blob + off;
        for (size_t k = 0; k < t->count; k++) {
            if (enc.quant && enc.is_int)
                t->data[k] = (float)round(src[k] * enc.scale + enc.min);
            else if (enc.quant)
                t->data[k] = (float)(src[k] * enc.scale + enc.min);
            else if (enc.is_int)
                t->data[k] = (float)(int32_t)le_u32(src + 4 * k);
            else
                t->data[k] = le_float(src + 4 * k);
        }
        off += (size_t)bytes;
    }
    if (off != blob_len) {
        weights_err(err, errsz, "weight files hold %zu bytes but the manifest declares %zu",
                    blob_len, off);
        rc = -EINVAL;
    }
out:
    free(blob);
    return rc;
}

int face_weights_load(const char *dir, const char *model, struct face_weights *w,
                      crypto_generichash_state *hash, char *err, size_t errsz)
{
    int rc;
    uint8_t *text = NULL;
    size_t len;
    json_t *root = NULL;
    char path[4096];
    memset(w, 0, sizeof(*w));
    snprintf(path, sizeof(path), "%s/%s-weights_manifest.json", dir, model);
    rc = read_file(path, &text, &len);
    if (rc < 0) {
        weights_err(err, errsz, "%s: %s", path, strerror(-rc));
        goto out;
    }
    if (hash != NULL)
        crypto_generichash_update(hash, text, len);
    json_error_t jerr;
    root = json_loadb((const char *)text, len, 0, &jerr);
    if (!json_is_array(root) || json_array_size(root) == 0) {
        weights_err(err, errsz, "%s: not a tfjs weights manifest (%s)", path,
                    root ? "expected a non-empty array" : jerr.text);
        rc = -EINVAL;
        goto out;
    }
    size_t i;
    json_t *group;
    json_array_foreach(root, i, group)
    {
        char gerr[512] = "";
        rc = group_load(dir, group, w, hash, gerr, sizeof(gerr));
        if (rc < 0) {
            weights_err(err, errsz, "%s: %s", path, gerr);
            goto out;
        }
    }
out:
    if (rc < 0)
        face_weights_free(w);
    json_decref(root);
    free(text);
    return rc;
}

void face_weights_free(struct face_weights *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    w->t = NULL;
    w->n = 0;
}

const float *face_weights_get(const struct face_weights *w, const char *name, const int *dims,
                              char *err, size_t errsz)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct face_tensor *t = &w->t[i];
        if (strcmp(t->name, name) != 0)
            continue;
        int nd = 0;
        while (nd < 4 && dims[nd] != 0)
            nd++;
        bool ok = nd == t->ndim;
        for (int k = 0; ok && k < nd; k++)
            ok = dims[k] == t->shape[k];
        if (!ok) {
            weights_err(err, errsz, "tensor %s has an unexpected shape", name);
            return NULL;
        }
        return t->data;
    }
    weights_err(err, errsz, "tensor %s missing", name);
    return NULL;
}
