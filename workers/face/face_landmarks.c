/*
 * face_landmarks.c - FaceLandmark68Net: four dense blocks of separable
 * convolutions (32, 64, 128, 256 channels, each halving the resolution of a
 * 112x112 centred-padded input), a 7x7 average pool and a fully connected
 * layer 256 -> 136 giving 68 (x, y) pairs relative to the padded square.
 * FaceLandmark68TinyNet is the same with three blocks of three convolutions
 * (32, 64, 128), a 14x14 pool and 128 -> 136.
 */
#include "face_internal.h"

#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LM_SIZE 112

static const float lm_mean[3] = {122.782f, 117.001f, 104.298f};
int face_landmarker_bind(const struct face_weights *w, bool tiny, struct face_landmarker *net,
                         char *err, size_t errsz)
{
    static const int full[5] = {3, 32, 64, 128, 256};
    char name[64];
    memset(net, 0, sizeof(*net));
    net->nblocks = tiny ? 3 : 4;
    net->nconv = tiny ? 3 : 4;
    memcpy(net->channels, full, sizeof(full));
    for (int b = 0; b < net->nblocks; b++) {
        struct face_dense_block *blk = &net->blk[b];
        int cin = net->channels[b], c = net->channels[b + 1];
        if (b == 0) {
            blk->conv0_f =
                face_weights_get(w, "dense0/conv0/filters", (int[]){3, 3, 3, 32, 0}, err, errsz);
            blk->conv0_b = face_weights_get(w, "dense0/conv0/bias", (int[]){32, 0}, err, errsz);
            if (blk->conv0_f == NULL || blk->conv0_b == NULL)
                return -EINVAL;
        }
        for (int i = b == 0 ? 1 : 0; i < net->nconv; i++) {
            int ci = i == 0 ? cin : c;
            snprintf(name, sizeof(name), "dense%d/conv%d/depthwise_filter", b, i);
            blk->dw[i] = face_weights_get(w, name, (int[]){3, 3, ci, 1, 0}, err, errsz);
            snprintf(name, sizeof(name), "dense%d/conv%d/pointwise_filter", b, i);
            blk->pw[i] = face_weights_get(w, name, (int[]){1, 1, ci, c, 0}, err, errsz);
            snprintf(name, sizeof(name), "dense%d/conv%d/bias", b, i);
            blk->b[i] = face_weights_get(w, name, (int[]){c, 0}, err, errsz);
            if (blk->dw[i] == NULL || blk->pw[i] == NULL || blk->b[i] == NULL)
                return -EINVAL;
        }
    }
    int fc_in = net->channels[net->nblocks];
    net->fc_w = face_weights_get(w, "fc/weights", (int[]){fc_in, 136, 0}, err, errsz);
    net->fc_b = face_weights_get(w, "fc/bias", (int[]){136, 0}, err, errsz);
    return net->fc_w != NULL && net->fc_b != NULL ? 0 : -EINVAL;
}

static void relu_into(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
}

struct lm_scratch {
    float *out1, *sum, *in, *tmp, *o, *col;
};

#define LM_BIG ((size_t)(LM_SIZE / 2) * (LM_SIZE / 2) * 32)

size_t face_landmarker_work(void)
{
    return (size_t)LM_SIZE * LM_SIZE * 3 + 7 * LM_BIG + FACE_IM2COL_FLOATS + 9 * 16;
}

/* Depthwise 3x3 then pointwise 1x1 plus bias ('same' padding), no activation. */
static void sep_conv(const struct face_fmap *x, const float *dw, const float *pw, const float *b,
                     int cout, int stride, float *tmp, struct face_fmap *out)
{
    struct face_fmap t = {0, 0, 0, tmp};
    face_depthwise(x, dw, 3, stride, FACE_PAD_SAME, &t);
    face_conv2d(&t, pw, b, 1, cout, 1, FACE_PAD_SAME, NULL, out);
}

/* One dense block: out1 = relu(conv0(x)), then out_k = sep(relu(sum of previous)). */
FACE_HOT static void dense_block(const struct face_dense_block *blk, bool first, int nconv,
                                 int cout, const struct face_fmap *x, struct lm_scratch *s,
                                 struct face_fmap *res)
{
    struct face_fmap out1 = {0, 0, 0, s->out1};
    if (first)
        face_conv2d(x, blk->conv0_f, blk->conv0_b, 3, cout, 2, FACE_PAD_SAME, s->col, &out1);
    else
        sep_conv(x, blk->dw[0], blk->pw[0], blk->b[0], cout, 2, s->tmp, &out1);
    size_t n = (size_t)out1.h * out1.w * out1.c;
    relu_into(out1.d, out1.d, n);
    memcpy(s->sum, out1.d, n * sizeof(float));
    struct face_fmap in = {out1.h, out1.w, out1.c, s->in};
    for (int i = 1; i < nconv; i++) {
        const struct face_fmap *src = i == 1 ? &out1 : &in;
        struct face_fmap o = {0, 0, 0, s->o};
        sep_conv(src, blk->dw[i], blk->pw[i], blk->b[i], cout, 1, s->tmp, &o);
        for (size_t k = 0; k < n; k++)
            s->sum[k] += o.d[k];
        relu_into(i < nconv - 1 ? in.d : res->d, s->sum, n);
    }
    res->h = out1.h;
    res->w = out1.w;
    res->c = out1.c;
}

FACE_HOT void face_landmarker_run(const struct face_landmarker *net, const struct face_image *img,
                                  int cx, int cy, int cw, int ch, struct face_work *work,
                                  struct face_point pts[FACE_LANDMARKS])
{
    float *input = face_work_take(work, (size_t)LM_SIZE * LM_SIZE * 3);
    struct lm_scratch s;
    s.out1 = face_work_take(work, LM_BIG);
    s.sum = face_work_take(work, LM_BIG);
    s.in = face_work_take(work, LM_BIG);
    s.tmp = face_work_take(work, LM_BIG);
    s.o = face_work_take(work, LM_BIG);
    s.col = face_work_take(work, FACE_IM2COL_FLOATS);
    float *res_a = face_work_take(work, LM_BIG), *res_b = face_work_take(work, LM_BIG);
    face_make_input(img, cx, cy, cw, ch, LM_SIZE, true, lm_mean, face_landmark_divisor, input);

    struct face_fmap x = {LM_SIZE, LM_SIZE, 3, input};
    struct face_fmap r = {0, 0, 0, res_a};
    for (int b = 0; b < net->nblocks; b++) {
        dense_block(&net->blk[b], b == 0, net->nconv, net->channels[b + 1], &x, &s, &r);
        x = r;
        r.d = r.d == res_a ? res_b : res_a;
    }
    /* avgPool over the whole final map (7x7, or 14x14 tiny), stride 2 'valid': channel means. */
    struct face_fmap pooled = {0, 0, 0, s.tmp};
    face_avgpool(&x, x.h, 2, &pooled);
    const int fc_in = x.c;
    float outv[136];
    for (int j = 0; j < 136; j++) {
        float acc = net->fc_b[j];
        for (int i = 0; i < fc_in; i++)
            acc += pooled.d[i] * net->fc_w[i * 136 + j];
        outv[j] = acc;
    }
    /* face-api.js post-processing: undo the centred padding in the scaled frame. */
    float scale = (float)LM_SIZE / (float)(cw > ch ? cw : ch);
    float w = (float)cw * scale, h = (float)ch * scale;
    float padx = w < h ? (h - w) / 2 : 0.0f, pady = h < w ? (w - h) / 2 : 0.0f;
    for (int i = 0; i < FACE_LANDMARKS; i++) {
        float rx = (outv[2 * i] * LM_SIZE - padx) / w;
        float ry = (outv[2 * i + 1] * LM_SIZE - pady) / h;
        pts[i].x = rx * (float)cw + (float)cx;
        pts[i].y = ry * (float)ch + (float)cy;
    }
}
