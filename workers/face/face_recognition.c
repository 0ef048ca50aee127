/*
 * face_recognition.c - FaceRecognitionNet, the dlib face-recognition ResNet
 * as face-api.js runs it: 150x150 centred-padded input, a 7x7/2 conv with a
 * per-channel scale layer, 3x3/2 max-pool, 14 residual blocks (four of them
 * strided "down" blocks whose shortcut is a 2x2 average pool, zero-padded in
 * channels and, where the sizes differ, the main path zero-padded by one
 * row and column), a mean over space and a 256 -> 128 matrix.
 */
#include "face_internal.h"

#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FR_SIZE 150

static const float fr_mean[3] = {122.782f, 117.001f, 104.298f};

struct fr_block {
    const char *name;
    int cin, cout;
    bool down;
};

static const struct fr_block fr_blocks[14] = {
    {"conv32_1", 32, 32, false},      {"conv32_2", 32, 32, false},
    {"conv32_3", 32, 32, false},      {"conv64_down", 32, 64, true},
    {"conv64_1", 64, 64, false},      {"conv64_2", 64, 64, false},
    {"conv64_3", 64, 64, false},      {"conv128_down", 64, 128, true},
    {"conv128_1", 128, 128, false},   {"conv128_2", 128, 128, false},
    {"conv256_down", 128, 256, true}, {"conv256_1", 256, 256, false},
    {"conv256_2", 256, 256, false},   {"conv256_down_out", 256, 256, true},
};

static int bind_conv_scale(const struct face_weights *w, const char *prefix, int k, int cin,
                           int cout, struct face_conv_scale *cs, char *err, size_t errsz)
{
    char name[96];
    snprintf(name, sizeof(name), "%s/conv/filters", prefix);
    cs->f = face_weights_get(w, name, (int[]){k, k, cin, cout, 0}, err, errsz);
    snprintf(name, sizeof(name), "%s/conv/bias", prefix);
    cs->b = face_weights_get(w, name, (int[]){cout, 0}, err, errsz);
    snprintf(name, sizeof(name), "%s/scale/weights", prefix);
    cs->sw = face_weights_get(w, name, (int[]){cout, 0}, err, errsz);
    snprintf(name, sizeof(name), "%s/scale/biases", prefix);
    cs->sb = face_weights_get(w, name, (int[]){cout, 0}, err, errsz);
    return cs->f && cs->b && cs->sw && cs->sb ? 0 : -EINVAL;
}

int face_recogniser_bind(const struct face_weights *w, struct face_recogniser *net, char *err,
                         size_t errsz)
{
    if (bind_conv_scale(w, "conv32_down", 7, 3, 32, &net->conv32_down, err, errsz) < 0)
        return -EINVAL;
    for (int i = 0; i < 14; i++) {
        const struct fr_block *b = &fr_blocks[i];
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s/conv1", b->name);
        if (bind_conv_scale(w, prefix, 3, b->cin, b->cout, &net->res[i][0], err, errsz) < 0)
            return -EINVAL;
        snprintf(prefix, sizeof(prefix), "%s/conv2", b->name);
        if (bind_conv_scale(w, prefix, 3, b->cout, b->cout, &net->res[i][1], err, errsz) < 0)
            return -EINVAL;
    }
    net->fc = face_weights_get(w, "fc", (int[]){256, 128, 0}, err, errsz);
    return net->fc != NULL ? 0 : -EINVAL;
}

#define FR_BIG ((size_t)72 * 72 * 32)

size_t face_recogniser_work(void)
{
    return (size_t)FR_SIZE * FR_SIZE * 3 + 4 * FR_BIG + FACE_IM2COL_FLOATS + 6 * 16;
}

/* (conv(x) + bias) * scale_w + scale_b, optionally ReLU. */
FACE_HOT static void conv_scale(const struct face_fmap *x, const struct face_conv_scale *cs, int k,
                                int cout, int stride, enum face_pad pad, bool relu, float *col,
                                struct face_fmap *out)
{
    face_conv2d(x, cs->f, cs->b, k, cout, stride, pad, col, out);
    size_t n = (size_t)out->h * out->w;
    for (size_t p = 0; p < n; p++) {
        float *o = out->d + p * cout;
        for (int c = 0; c < cout; c++) {
            float v = o[c] * cs->sw[c] + cs->sb[c];
            o[c] = relu && v < 0.0f ? 0.0f : v;
        }
    }
}

/* x <- relu(shortcut(x) + main(x)); tmp and pool are scratch, result lands in out. */
FACE_HOT static void residual(const struct face_conv_scale cs[2], const struct fr_block *b,
                              const struct face_fmap *x, float *tmp, float *pool, float *col,
                              struct face_fmap *out)
{
    struct face_fmap a = {0, 0, 0, tmp};
    if (!b->down) {
        conv_scale(x, &cs[0], 3, b->cout, 1, FACE_PAD_SAME, true, col, &a);
        conv_scale(&a, &cs[1], 3, b->cout, 1, FACE_PAD_SAME, false, col, out);
        size_t n = (size_t)out->h * out->w * out->c;
        for (size_t i = 0; i < n; i++) {
            float v = out->d[i] + x->d[i];
            out->d[i] = v > 0.0f ? v : 0.0f;
        }
        return;
    }
    conv_scale(x, &cs[0], 3, b->cout, 2, FACE_PAD_VALID, true, col, &a);
    struct face_fmap m = {0, 0, 0, out->d};
    conv_scale(&a, &cs[1], 3, b->cout, 1, FACE_PAD_SAME, false, col, &m);
    struct face_fmap p = {0, 0, 0, pool};
    face_avgpool(x, 2, 2, &p);
    /* The main path may be one smaller: it is padded with a zero row and column. */
    int oh = p.h, ow = p.w, c = b->cout;
    for (int y = oh - 1; y >= 0; y--) {
        for (int xx = ow - 1; xx >= 0; xx--) {
            float *o = out->d + ((size_t)y * ow + xx) * c;
            const float *pm = p.d + ((size_t)y * ow + xx) * p.c;
            bool inside = y < m.h && xx < m.w;
            const float *mm = m.d + ((size_t)y * m.w + xx) * c;
            for (int ch = c - 1; ch >= 0; ch--) {
                float v = (inside ? mm[ch] : 0.0f) + (ch < p.c ? pm[ch] : 0.0f);
                o[ch] = v > 0.0f ? v : 0.0f;
            }
        }
    }
    out->h = oh;
    out->w = ow;
    out->c = c;
}

void face_recogniser_run(const struct face_recogniser *net, const struct face_image *img, int cx,
                         int cy, int cw, int ch, struct face_work *work,
                         float desc[FACE_DESCRIPTOR])
{
    float *input = face_work_take(work, (size_t)FR_SIZE * FR_SIZE * 3);
    float *buf[4];
    for (int i = 0; i < 4; i++)
        buf[i] = face_work_take(work, FR_BIG);
    float *col = face_work_take(work, FACE_IM2COL_FLOATS);
    face_make_input(img, cx, cy, cw, ch, FR_SIZE, true, fr_mean, face_recognition_divisor, input);

    struct face_fmap x = {FR_SIZE, FR_SIZE, 3, input};
    struct face_fmap a = {0, 0, 0, buf[0]}, cur = {0, 0, 0, buf[1]};
    conv_scale(&x, &net->conv32_down, 7, 32, 2, FACE_PAD_VALID, true, col, &a);
    face_maxpool(&a, 3, 2, FACE_PAD_VALID, &cur);
    float *spare = buf[0];
    for (int i = 0; i < 14; i++) {
        struct face_fmap next = {0, 0, 0, spare};
        residual(net->res[i], &fr_blocks[i], &cur, buf[2], buf[3], col, &next);
        spare = cur.d;
        cur = next;
    }
    float mean[256];
    size_t n = (size_t)cur.h * cur.w;
    for (int c = 0; c < 256; c++) {
        float acc = 0.0f;
        for (size_t p = 0; p < n; p++)
            acc += cur.d[p * 256 + c];
        mean[c] = acc / (float)n;
    }
    for (int j = 0; j < FACE_DESCRIPTOR; j++) {
        float acc = 0.0f;
        for (int c = 0; c < 256; c++)
            acc += mean[c] * net->fc[c * FACE_DESCRIPTOR + j];
        desc[j] = acc;
    }
}
