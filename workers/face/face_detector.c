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

#include <errno.h>
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

static void leaky(struct face_fmap *m)
{
    size_t n = (size_t)m->h * m->w * m->c;
    for (size_t i = 0; i < n; i++)
        m->d[i] = m->d[i] > 0.0f ? m->d[i] : 0.1f * m->d[i];
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
                      float score_threshold, struct face_detection *out, size_t cap)
{
    const int s = input_size;
    size_t big = (size_t)(s - 2) * (s - 2) * 16;
    float *input = zk_malloc((size_t)s * s * 3 * sizeof(float));
    float *buf[3] = {zk_malloc(big * sizeof(float)), zk_malloc(big * sizeof(float)),
                     zk_malloc(big * sizeof(float))};
    face_make_input(img, 0, 0, img->width, img->height, s, false, det_mean, face_detector_divisor,
                    input);

    struct face_fmap x = {s, s, 3, input};
    struct face_fmap a = {0, 0, 0, buf[0]}, b = {0, 0, 0, buf[1]}, t = {0, 0, 0, buf[2]};
    face_conv2d(&x, net->conv0_f, net->conv0_b, 3, 16, 1, FACE_PAD_VALID, &a);
    leaky(&a);
    face_maxpool(&a, 2, 2, FACE_PAD_SAME, &b);
    for (int i = 0; i < 5; i++) {
        face_depthwise(&b, net->dw[i], 3, 1, FACE_PAD_SAME, &t);
        face_conv2d(&t, net->pw[i], net->b[i], 1, det_channels[i + 1], 1, FACE_PAD_SAME, &a);
        leaky(&a);
        face_maxpool(&a, 2, i < 4 ? 2 : 1, FACE_PAD_SAME, &b);
    }
    face_conv2d(&b, net->conv8_f, net->conv8_b, 1, DET_ANCHORS * 5, 1, FACE_PAD_VALID, &a);

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
    free(input);
    for (int i = 0; i < 3; i++)
        free(buf[i]);
    return found;
}
