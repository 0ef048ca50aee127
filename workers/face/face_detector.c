/*
 * face_detector.c - TinyFaceDetector: the tiny-YOLOv2 variant with
 * depthwise-separable convolutions that face-api.js ships.
 *
 * Input: the image padded to a square at the top-left, resized to the input
 * size, mean-subtracted and divided by face_detector_divisor. Network: 3x3
 * conv (valid) + leaky ReLU, then five separable convs with leaky ReLU 0.1,
 * each followed by a 2x2 max-pool (the last at stride 1), then a 1x1 conv to
 * 5 anchors x (x, y, w, h, score). Decoding: sigmoid offsets inside the
 * cell, exp sizes times the anchors, sigmoid score, threshold, NMS at IoU 0.4.
 */
#include "face_internal.h"

#include "alloc.h"

#include <cblas.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DET_ANCHORS 5
#define DET_IOU     0.4f

static const float det_anchor_w[DET_ANCHORS] = {1.603231f, 6.041143f, 2.882459f, 4.266906f,
                                                9.041765f};
static const float det_anchor_h[DET_ANCHORS] = {2.094468f, 7.080126f, 3.518061f, 5.178857f,
                                                10.66308f};
static const float det_mean[3] = {117.001f, 114.697f, 97.404f};
static const int det_channels[6] = {16, 32, 64, 128, 256, 512};

int face_detector_bind(const struct face_weights *w, struct face_detector *net, char *err,
                       size_t errsz)
{
    char name[64];
    if ((net->conv0_f =
             face_weights_get(w, "conv0/filters", (int[]){3, 3, 3, 16, 0}, err, errsz)) == NULL ||
        (net->conv0_b = face_weights_get(w, "conv0/bias", (int[]){16, 0}, err, errsz)) == NULL)
        return -EINVAL;
    for (int i = 0; i < 5; i++) {
        int cin = det_channels[i], cout = det_channels[i + 1];
        snprintf(name, sizeof(name), "conv%d/depthwise_filter", i + 1);
        net->dw[i] = face_weights_get(w, name, (int[]){3, 3, cin, 1, 0}, err, errsz);
        snprintf(name, sizeof(name), "conv%d/pointwise_filter", i + 1);
        net->pw[i] = face_weights_get(w, name, (int[]){1, 1, cin, cout, 0}, err, errsz);
        snprintf(name, sizeof(name), "conv%d/bias", i + 1);
        net->b[i] = face_weights_get(w, name, (int[]){cout, 0}, err, errsz);
        if (net->dw[i] == NULL || net->pw[i] == NULL || net->b[i] == NULL)
            return -EINVAL;
    }
    if ((net->conv8_f =
             face_weights_get(w, "conv8/filters", (int[]){1, 1, 512, 25, 0}, err, errsz)) == NULL ||
        (net->conv8_b = face_weights_get(w, "conv8/bias", (int[]){25, 0}, err, errsz)) == NULL)
        return -EINVAL;
    return 0;
}

/* Output side of conv0 (3x3 valid) and of the 2x2/2 'same' pool after it. */
static int det_side0(int s)
{
    return (s - 2 + 1) / 2;
}

/* Band of pointwise rows computed per sgemm before pooling. */
#define DET_BAND 16

/*
 * Floats of the pointwise band: DET_BAND rows of each stride-2 stage's
 * output, or the whole last map (pooled at stride 1), whichever is largest.
 */
static size_t det_band(int s)
{
    size_t side = (size_t)det_side0(s), m = 0;
    for (int i = 0; i < 5; i++) {
        size_t need = (i < 4 ? (size_t)DET_BAND : side) * side * (size_t)det_channels[i + 1];
        m = need > m ? need : m;
        if (i < 4)
            side = (side + 1) / 2;
    }
    return m;
}

size_t face_detector_work(int s)
{
    size_t p0 = (size_t)det_side0(s);
    size_t map = p0 * p0 * 16; /* the largest activation: stage 1's input */
    size_t cells = (size_t)(s / 32) * (s / 32);
    return (size_t)s * s * 3 + 3 * map + det_band(s) + cells * DET_ANCHORS * 5 + 6 * 16;
}

/* Eight floats in a vector register (GCC/clang vector extension); unaligned loads via memcpy. */
typedef float det_v8 __attribute__((vector_size(32)));

#define V8_LOAD(v, p) memcpy(&(v), (p), sizeof(det_v8))

/* conv0 of one row: out[x][0..15] = bias + sum over the 3x3x3 window, then leaky ReLU. */
static inline __attribute__((always_inline)) void
conv0_row(const struct face_detector *net, const struct face_fmap *x, int y, int cw, float *orow)
{
    det_v8 b0, b1;
    V8_LOAD(b0, net->conv0_b);
    V8_LOAD(b1, net->conv0_b + 8);
    int xx = 0;
    /* Four pixels at a time share each filter load. */
    for (; xx + 4 <= cw; xx += 4) {
        det_v8 a0[4], a1[4];
        for (int p = 0; p < 4; p++) {
            a0[p] = b0;
            a1[p] = b1;
        }
        for (int ky = 0; ky < 3; ky++) {
            const float *src = x->d + ((size_t)(y + ky) * x->w + xx) * 3;
            const float *f = net->conv0_f + (size_t)ky * 9 * 16;
            for (int t = 0; t < 9; t++) { /* kx and input channel, contiguous */
                det_v8 f0, f1;
                V8_LOAD(f0, f + t * 16);
                V8_LOAD(f1, f + t * 16 + 8);
                for (int p = 0; p < 4; p++) {
                    float v = src[p * 3 + t];
                    a0[p] += v * f0;
                    a1[p] += v * f1;
                }
            }
        }
        for (int p = 0; p < 4; p++) {
            float *o = orow + (size_t)(xx + p) * 16;
            memcpy(o, &a0[p], sizeof(det_v8));
            memcpy(o + 8, &a1[p], sizeof(det_v8));
        }
    }
    for (; xx < cw; xx++) {
        det_v8 a0 = b0, a1 = b1;
        for (int ky = 0; ky < 3; ky++) {
            const float *src = x->d + ((size_t)(y + ky) * x->w + xx) * 3;
            const float *f = net->conv0_f + (size_t)ky * 9 * 16;
            for (int t = 0; t < 9; t++) {
                det_v8 f0, f1;
                V8_LOAD(f0, f + t * 16);
                V8_LOAD(f1, f + t * 16 + 8);
                a0 += src[t] * f0;
                a1 += src[t] * f1;
            }
        }
        memcpy(orow + (size_t)xx * 16, &a0, sizeof(det_v8));
        memcpy(orow + (size_t)xx * 16 + 8, &a1, sizeof(det_v8));
    }
    for (int i = 0; i < cw * 16; i++) {
        float lv = 0.1f * orow[i];
        orow[i] = orow[i] > lv ? orow[i] : lv;
    }
}

/*
 * conv0 (3x3 'valid', 3 -> 16) + bias + leaky ReLU + 2x2/2 'same' max-pool,
 * two conv rows per pooled row, so the 414x414x16 map never exists.
 */
FACE_HOT static void stage0(const struct face_detector *net, const struct face_fmap *x, float *rows,
                            struct face_fmap *out)
{
    const int cw = x->w - 2, ch = x->h - 2;
    const int pw = (cw + 1) / 2, ph = (ch + 1) / 2;
    out->h = ph;
    out->w = pw;
    out->c = 16;
    for (int py = 0; py < ph; py++) {
        int nrows = 2 * py + 1 < ch ? 2 : 1;
        for (int r = 0; r < nrows; r++)
            conv0_row(net, x, 2 * py + r, cw, rows + (size_t)r * cw * 16);
        float *o = out->d + (size_t)py * pw * 16;
        for (int px = 0; px < pw; px++) {
            int ncols = 2 * px + 1 < cw ? 2 : 1;
            for (int co = 0; co < 16; co++) {
                float m = -FLT_MAX;
                for (int r = 0; r < nrows; r++)
                    for (int cc = 0; cc < ncols; cc++) {
                        float v = rows[((size_t)r * cw + 2 * px + cc) * 16 + co];
                        m = v > m ? v : m;
                    }
                o[(size_t)px * 16 + co] = m;
            }
        }
    }
}

/* d[p][c] = leaky(d[p][c] + bias[c]); leaky(v) = max(v, 0.1 v) for every finite v. */
static inline __attribute__((always_inline)) void
bias_leaky(float *restrict d, const float *restrict bias, size_t npix, int c)
{
    for (size_t p = 0; p < npix; p++, d += c)
        for (int k = 0; k < c; k++) {
            float v = d[k] + bias[k], lv = 0.1f * v;
            d[k] = v > lv ? v : lv;
        }
}

/*
 * One separable stage: depthwise 3x3 'same', pointwise + bias + leaky ReLU,
 * then a 2x2 'same' max-pool at stride 2 (banded, rows pooled as they are
 * produced) or stride 1 (on the whole map, only at the 13x13 end).
 */
FACE_HOT static void stage(const struct face_fmap *in, const float *dw, const float *pw,
                           const float *bias, int cout, int pool_stride, float *dwbuf, float *band,
                           struct face_fmap *out)
{
    struct face_fmap t = {0, 0, 0, dwbuf};
    face_depthwise(in, dw, 3, 1, FACE_PAD_SAME, &t);
    const int h = t.h, w = t.w, cin = t.c;
    if (pool_stride == 1) {
        struct face_fmap full = {h, w, cout, band};
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, h * w, cout, cin, 1.0f, t.d, cin, pw,
                    cout, 0.0f, band, cout);
        bias_leaky(band, bias, (size_t)h * w, cout);
        face_maxpool(&full, 2, 1, FACE_PAD_SAME, out);
        return;
    }
    const int oh = (h + 1) / 2, ow = (w + 1) / 2;
    out->h = oh;
    out->w = ow;
    out->c = cout;
    for (int y0 = 0; y0 < h; y0 += DET_BAND) {
        int nrows = h - y0 < DET_BAND ? h - y0 : DET_BAND;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nrows * w, cout, cin, 1.0f,
                    t.d + (size_t)y0 * w * cin, cin, pw, cout, 0.0f, band, cout);
        bias_leaky(band, bias, (size_t)nrows * w, cout);
        for (int r = 0; r < nrows; r += 2) {
            int rr = r + 1 < nrows ? 2 : 1;
            float *o = out->d + (size_t)((y0 + r) / 2) * ow * cout;
            for (int px = 0; px < ow; px++) {
                int ncols = 2 * px + 1 < w ? 2 : 1;
                float *op = o + (size_t)px * cout;
                const float *a = band + ((size_t)r * w + 2 * px) * cout;
                for (int c = 0; c < cout; c++)
                    op[c] = a[c];
                for (int dy = 0; dy < rr; dy++)
                    for (int dx = 0; dx < ncols; dx++) {
                        const float *v = band + ((size_t)(r + dy) * w + 2 * px + dx) * cout;
                        for (int c = 0; c < cout; c++)
                            op[c] = v[c] > op[c] ? v[c] : op[c];
                    }
            }
        }
    }
}

static float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

struct det_cand {
    float x0, y0, x1, y1; /* relative to the image, 0..1 */
    float score;
    int index;
};

/* Best score first; among equal scores the later candidate first, as face-api.js pops them. */
static int cand_cmp(const void *a, const void *b)
{
    const struct det_cand *p = a, *q = b;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    return q->index - p->index;
}

static float cand_iou(const struct det_cand *a, const struct det_cand *b)
{
    float w = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
    float h = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
    if (w <= 0.0f || h <= 0.0f)
        return 0.0f;
    float inter = w * h;
    float area_a = (a->x1 - a->x0) * (a->y1 - a->y0);
    float area_b = (b->x1 - b->x0) * (b->y1 - b->y0);
    return inter / (area_a + area_b - inter);
}

int face_detector_run(const struct face_detector *net, const struct face_image *img, int input_size,
                      float score_threshold, struct face_work *work, struct face_detection *out,
                      size_t cap)
{
    const int s = input_size;
    size_t p0 = (size_t)det_side0(s);
    float *input = face_work_take(work, (size_t)s * s * 3);
    float *buf[3];
    for (int i = 0; i < 3; i++)
        buf[i] = face_work_take(work, p0 * p0 * 16);
    float *band = face_work_take(work, det_band(s));
    float *rows = buf[2]; /* stage 0's two conv rows; buf[2] is free until stage 1 */
    face_make_input(img, 0, 0, img->width, img->height, s, false, det_mean, face_detector_divisor,
                    input);

    struct face_fmap x = {s, s, 3, input};
    struct face_fmap a = {0, 0, 0, buf[0]}, b = {0, 0, 0, buf[1]};
    stage0(net, &x, rows, &a);
    for (int i = 0; i < 5; i++) {
        stage(&a, net->dw[i], net->pw[i], net->b[i], det_channels[i + 1], i < 4 ? 2 : 1, buf[2],
              band, &b);
        struct face_fmap tmp = a;
        a = b;
        b = tmp;
    }
    float *head = face_work_take(work, (size_t)a.h * a.w * DET_ANCHORS * 5);
    struct face_fmap o = {0, 0, 0, head};
    face_conv2d(&a, net->conv8_f, net->conv8_b, 1, DET_ANCHORS * 5, 1, FACE_PAD_VALID, NULL, &o);
    a = o;

    /* Boxes are decoded relative to the resized image inside the padded square. */
    const int cells = a.h;
    float scale = (float)s / (float)(img->width > img->height ? img->width : img->height);
    float rw = roundf((float)img->width * scale), rh = roundf((float)img->height * scale);
    float cfx = (float)s / rw, cfy = (float)s / rh;
    struct det_cand *cand = zk_malloc((size_t)cells * cells * DET_ANCHORS * sizeof(*cand));
    int n = 0;
    for (int row = 0; row < cells; row++)
        for (int col = 0; col < cells; col++)
            for (int an = 0; an < DET_ANCHORS; an++) {
                const float *v = a.d + ((size_t)(row * cells + col) * DET_ANCHORS + an) * 5;
                float score = sigmoid(v[4]);
                if (!(score > score_threshold))
                    continue;
                float ctx = ((float)col + sigmoid(v[0])) / (float)cells * cfx;
                float cty = ((float)row + sigmoid(v[1])) / (float)cells * cfy;
                float w = expf(v[2]) * det_anchor_w[an] / (float)cells * cfx;
                float h = expf(v[3]) * det_anchor_h[an] / (float)cells * cfy;
                struct det_cand *c = &cand[n];
                c->x0 = ctx - w / 2;
                c->y0 = cty - h / 2;
                c->x1 = c->x0 + w;
                c->y1 = c->y0 + h;
                c->score = score;
                c->index = n;
                n++;
            }
    qsort(cand, (size_t)n, sizeof(*cand), cand_cmp);
    int found = 0;
    bool *gone = zk_calloc((size_t)n + 1, sizeof(bool));
    for (int i = 0; i < n; i++) {
        if (gone[i])
            continue;
        for (int j = i + 1; j < n; j++)
            if (!gone[j] && cand_iou(&cand[i], &cand[j]) > DET_IOU)
                gone[j] = true;
        if ((size_t)found < cap) {
            struct face_detection *d = &out[found];
            d->score = cand[i].score;
            d->box.x = cand[i].x0 * (float)img->width;
            d->box.y = cand[i].y0 * (float)img->height;
            d->box.width = (cand[i].x1 - cand[i].x0) * (float)img->width;
            d->box.height = (cand[i].y1 - cand[i].y0) * (float)img->height;
        }
        found++;
    }
    free(gone);
    free(cand);
    return found;
}
