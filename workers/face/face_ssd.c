/*
 * face_ssd.c - SSD MobileNet v1, the face detector face-api.js ships beside
 * the tiny one: slower, but it finds faces the tiny detector misses (small
 * faces in wide pictures, faces seen in a mirror).
 *
 * Input: the image padded to a square at the bottom/right, resized to
 * 512x512, scaled to -1..1 (v / 127.5 - 1). Body: MobileNet v1 - a 3x3
 * stride-2 convolution, then 13 depthwise (batch norm, ReLU6) + pointwise
 * (offset, ReLU6) pairs, stride 2 at pairs 2, 4, 6 and 12 - and four extra
 * stages (1x1 conv, then 3x3 stride-2 conv, ReLU6 each). Six box predictors
 * (1x1 convs) read pair 11 (32x32, 3 anchors per cell), pair 13 (16x16) and
 * the extra stages (8x8, 4x4, 2x2, 1x1; 6 anchors per cell): 5118 anchors,
 * whose boxes ship with the weights. Decoding is the TF object-detection
 * one (centre offsets / 10, log sizes / 5), scores are the sigmoid of the
 * face class, then face-api.js's greedy non-maximum suppression at IoU 0.5.
 *
 * Memory: activations live in one block used from both ends (a layer reads
 * from one end and writes to the other), and each depthwise layer runs band
 * by band straight into its pointwise product, so the 256x256x64 map is the
 * largest that ever exists: about 29 MB per call.
 */
#include "face_internal.h"

#include "alloc.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSD_IOU        0.5f
#define SSD_MAX_OUT    100
#define SSD_BN_EPSILON 0.0010000000474974513f
/* Floats of one depthwise band before its pointwise product. */
#define SSD_BAND ((size_t)1 << 16)

/* Channels after conv0 and after each pair; strides of the pairs. */
static const int ssd_ch[14] = {32,  64,  128, 128, 256, 256,  512,
                               512, 512, 512, 512, 512, 1024, 1024};
static const int ssd_stride[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
/* The extra stages: output channels and kernel sizes (3x3 ones have stride 2). */
static const int ssd_extra_ch[8] = {256, 512, 128, 256, 128, 256, 64, 128};
/* Box predictor inputs: channels, and anchors per cell (maps of 32, 16, 8, 4, 2, 1 cells a side).
 */
static const int ssd_pred_cin[6] = {512, 1024, 512, 256, 256, 128};
static const int ssd_pred_anchors[6] = {3, 6, 6, 6, 6, 6};
/* Activation side after conv0 and after each pair. */
#define SSD_SIDE0 (FACE_SSD_SIZE / 2)

static int bind_conv(const struct face_weights *w, const char *prefix, int k, int cin, int cout,
                     const char *bias_name, struct face_ssd_conv *c, char *err, size_t errsz)
{
    char name[256];
    snprintf(name, sizeof(name), "%s/weights", prefix);
    c->f = face_weights_get(w, name, (int[]){k, k, cin, cout, 0}, err, errsz);
    snprintf(name, sizeof(name), "%s/%s", prefix, bias_name);
    c->b = face_weights_get(w, name, (int[]){cout, 0}, err, errsz);
    return c->f != NULL && c->b != NULL ? 0 : -EINVAL;
}

int face_ssd_bind(const struct face_weights *w, struct face_ssd *net, char *err, size_t errsz)
{
    char name[96];
    int rc = -EINVAL;
    memset(net, 0, sizeof(*net));
    size_t nbn = 0;
    for (int i = 0; i < 13; i++)
        nbn += (size_t)ssd_ch[i];
    net->bn = zk_malloc(nbn * sizeof(float));
    if (bind_conv(w, "MobilenetV1/Conv2d_0_pointwise", 3, 3, 32, "convolution_bn_offset",
                  &net->conv0, err, errsz) < 0)
        goto fail;
    float *inv = net->bn;
    for (int i = 0; i < 13; i++) {
        int cin = ssd_ch[i], cout = ssd_ch[i + 1];
        const float *gamma, *var;
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights", i + 1);
        net->dw[i] = face_weights_get(w, name, (int[]){3, 3, cin, 1, 0}, err, errsz);
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/gamma", i + 1);
        gamma = face_weights_get(w, name, (int[]){cin, 0}, err, errsz);
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/beta", i + 1);
        net->bn_beta[i] = face_weights_get(w, name, (int[]){cin, 0}, err, errsz);
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/moving_mean",
                 i + 1);
        net->bn_mean[i] = face_weights_get(w, name, (int[]){cin, 0}, err, errsz);
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/moving_variance",
                 i + 1);
        var = face_weights_get(w, name, (int[]){cin, 0}, err, errsz);
        if (net->dw[i] == NULL || gamma == NULL || net->bn_beta[i] == NULL ||
            net->bn_mean[i] == NULL || var == NULL)
            goto fail;
        net->bn_inv[i] = inv;
        for (int c = 0; c < cin; c++)
            inv[c] = gamma[c] / sqrtf(var[c] + SSD_BN_EPSILON);
        inv += cin;
        snprintf(name, sizeof(name), "MobilenetV1/Conv2d_%d_pointwise", i + 1);
        if (bind_conv(w, name, 1, cin, cout, "convolution_bn_offset", &net->pw[i], err, errsz) < 0)
            goto fail;
    }
    int cin = 1024;
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "Prediction/Conv2d_%d_pointwise", i);
        if (bind_conv(w, name, i % 2 ? 3 : 1, cin, ssd_extra_ch[i], "convolution_bn_offset",
                      &net->extra[i], err, errsz) < 0)
            goto fail;
        cin = ssd_extra_ch[i];
    }
    for (int i = 0; i < 6; i++) {
        int a = ssd_pred_anchors[i];
        snprintf(name, sizeof(name), "Prediction/BoxPredictor_%d/BoxEncodingPredictor", i);
        if (bind_conv(w, name, 1, ssd_pred_cin[i], a * 4, "biases", &net->box[i], err, errsz) < 0)
            goto fail;
        snprintf(name, sizeof(name), "Prediction/BoxPredictor_%d/ClassPredictor", i);
        if (bind_conv(w, name, 1, ssd_pred_cin[i], a * 3, "biases", &net->cls[i], err, errsz) < 0)
            goto fail;
    }
    net->anchors =
        face_weights_get(w, "Output/extra_dim", (int[]){1, FACE_SSD_ANCHORS, 4, 0}, err, errsz);
    if (net->anchors == NULL)
        goto fail;
    return 0;
fail:
    face_ssd_unbind(net);
    return rc;
}

void face_ssd_unbind(struct face_ssd *net)
{
    free(net->bn);
    net->bn = NULL;
}

/* Floats of the largest layer input plus its output (pair 1, and pair 2). */
static size_t ssd_both_ends(void)
{
    size_t m = (size_t)FACE_SSD_SIZE * FACE_SSD_SIZE * 3 + (size_t)SSD_SIDE0 * SSD_SIDE0 * 32;
    int side = SSD_SIDE0;
    for (int i = 0; i < 13; i++) {
        size_t in = (size_t)side * side * ssd_ch[i];
        side = (side + ssd_stride[i] - 1) / ssd_stride[i];
        size_t out = (size_t)side * side * ssd_ch[i + 1];
        m = in + out > m ? in + out : m;
    }
    return m;
}

/* The extra stages' outputs, back to back. */
static size_t ssd_extra_floats(void)
{
    size_t n = 0;
    int side = 16;
    for (int i = 0; i < 8; i++) {
        if (i % 2)
            side = (side + 1) / 2;
        n += (size_t)side * side * ssd_extra_ch[i] + 16;
    }
    return n;
}

size_t face_ssd_work(void)
{
    return ssd_both_ends() + FACE_IM2COL_FLOATS + SSD_BAND + ssd_extra_floats() +
           (size_t)FACE_SSD_ANCHORS * 7 + 8 * 16;
}

static void relu6(float *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = d[i] < 0.0f ? 0.0f : d[i] > 6.0f ? 6.0f : d[i];
}

/* d[p][c] = relu6(d[p][c] + b[c]). */
static void bias_relu6(float *restrict d, const float *restrict b, size_t npix, int c)
{
    for (size_t p = 0; p < npix; p++, d += c)
        for (int k = 0; k < c; k++) {
            float v = d[k] + b[k];
            d[k] = v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
        }
}

/*
 * One separable pair: depthwise 3x3 'same' at stride, batch norm, ReLU6,
 * then pointwise 1x1 + offset, ReLU6 - computed in bands of depthwise rows
 * so the depthwise map never exists whole.
 */
FACE_HOT static void ssd_pair(const struct face_ssd *net, int i, const struct face_fmap *in,
                              float *band, struct face_fmap *out)
{
    const int stride = ssd_stride[i], cin = in->c, cout = ssd_ch[i + 1];
    int oh, ow, pad;
    face_pad_calc(in->h, 3, stride, FACE_PAD_SAME, &oh, &pad);
    face_pad_calc(in->w, 3, stride, FACE_PAD_SAME, &ow, &pad);
    out->h = oh;
    out->w = ow;
    out->c = cout;
    int rows = (int)(SSD_BAND / ((size_t)ow * cin));
    rows = rows < 1 ? 1 : rows > oh ? oh : rows;
    const float *mean = net->bn_mean[i], *inv = net->bn_inv[i], *beta = net->bn_beta[i];
    for (int y0 = 0; y0 < oh; y0 += rows) {
        int n = oh - y0 < rows ? oh - y0 : rows;
        face_depthwise_rows(in, net->dw[i], 3, stride, FACE_PAD_SAME, y0, y0 + n, band);
        float *d = band;
        for (size_t p = 0; p < (size_t)n * ow; p++, d += cin)
            for (int c = 0; c < cin; c++) {
                float v = (d[c] - mean[c]) * inv[c] + beta[c];
                d[c] = v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
            }
        float *o = out->d + (size_t)y0 * ow * cout;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n * ow, cout, cin, 1.0f, band, cin,
                    net->pw[i].f, cout, 0.0f, o, cout);
        bias_relu6(o, net->pw[i].b, (size_t)n * ow, cout);
    }
}

/* Writes predictor p's box encodings and class logits for map x into the anchor arrays. */
static void ssd_predict(const struct face_ssd *net, int p, const struct face_fmap *x, int first,
                        float *enc, float *cls)
{
    struct face_fmap o = {0, 0, 0, enc + (size_t)first * 4};
    face_conv2d(x, net->box[p].f, net->box[p].b, 1, ssd_pred_anchors[p] * 4, 1, FACE_PAD_VALID,
                NULL, &o);
    o.d = cls + (size_t)first * 3;
    face_conv2d(x, net->cls[p].f, net->cls[p].b, 1, ssd_pred_anchors[p] * 3, 1, FACE_PAD_VALID,
                NULL, &o);
}

struct ssd_cand {
    float y0, x0, y1, x1; /* relative to the padded square's content, as decoded */
    float score;
    int index;
};

/* Best score first; equal scores keep anchor order (JavaScript's sort is stable). */
static int ssd_cand_cmp(const void *a, const void *b)
{
    const struct ssd_cand *p = a, *q = b;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    return p->index - q->index;
}

/* face-api.js's IOU: corners ordered first; a degenerate box overlaps nothing. */
static float ssd_iou(const struct ssd_cand *a, const struct ssd_cand *b)
{
    float ay0 = fminf(a->y0, a->y1), ax0 = fminf(a->x0, a->x1);
    float ay1 = fmaxf(a->y0, a->y1), ax1 = fmaxf(a->x0, a->x1);
    float by0 = fminf(b->y0, b->y1), bx0 = fminf(b->x0, b->x1);
    float by1 = fmaxf(b->y0, b->y1), bx1 = fmaxf(b->x0, b->x1);
    float area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0.0f || area_b <= 0.0f)
        return 0.0f;
    float ih = fmaxf(fminf(ay1, by1) - fmaxf(ay0, by0), 0.0f);
    float iw = fmaxf(fminf(ax1, bx1) - fmaxf(ax0, bx0), 0.0f);
    float inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

int face_ssd_run(const struct face_ssd *net, const struct face_image *img, float min_confidence,
                 struct face_work *work, struct face_detection *out, size_t cap)
{
    static const float mean[3] = {127.5f, 127.5f, 127.5f};
    const size_t ends = ssd_both_ends();
    float *buf = face_work_take(work, ends);
    float *col = face_work_take(work, FACE_IM2COL_FLOATS);
    float *band = face_work_take(work, SSD_BAND);
    float *extra = face_work_take(work, ssd_extra_floats());
    float *enc = face_work_take(work, (size_t)FACE_SSD_ANCHORS * 4);
    float *cls = face_work_take(work, (size_t)FACE_SSD_ANCHORS * 3);

    /* The input at the low end, conv0's output at the high end, then alternate. */
    struct face_fmap x = {FACE_SSD_SIZE, FACE_SSD_SIZE, 3, buf};
    face_make_input(img, 0, 0, img->width, img->height, FACE_SSD_SIZE, false, mean, 127.5f, x.d);
    struct face_fmap a = {0, 0, 0, buf + ends - (size_t)SSD_SIDE0 * SSD_SIDE0 * 32};
    face_conv2d(&x, net->conv0.f, net->conv0.b, 3, 32, 2, FACE_PAD_SAME, col, &a);
    relu6(a.d, (size_t)a.h * a.w * a.c);
    bool at_low = false;
    int first = 0; /* anchors written so far */
    for (int i = 0; i < 13; i++) {
        int side = (a.h + ssd_stride[i] - 1) / ssd_stride[i];
        size_t need = (size_t)side * side * ssd_ch[i + 1];
        struct face_fmap b = {0, 0, 0, at_low ? buf + ends - need : buf};
        ssd_pair(net, i, &a, band, &b);
        a = b;
        at_low = !at_low;
        if (i == 10) { /* pair 11 feeds the first predictor */
            ssd_predict(net, 0, &a, first, enc, cls);
            first += a.h * a.w * ssd_pred_anchors[0];
        }
    }
    ssd_predict(net, 1, &a, first, enc, cls);
    first += a.h * a.w * ssd_pred_anchors[1];
    float *e = extra;
    for (int i = 0; i < 8; i++) {
        int k = i % 2 ? 3 : 1, stride = i % 2 ? 2 : 1;
        struct face_fmap b = {0, 0, 0, e};
        face_conv2d(&a, net->extra[i].f, net->extra[i].b, k, ssd_extra_ch[i], stride, FACE_PAD_SAME,
                    col, &b);
        relu6(b.d, (size_t)b.h * b.w * b.c);
        e += (size_t)b.h * b.w * b.c + 16;
        a = b;
        if (i % 2) {
            int p = 2 + i / 2;
            ssd_predict(net, p, &a, first, enc, cls);
            first += a.h * a.w * ssd_pred_anchors[p];
        }
    }

    /* Decode the anchors scoring above the threshold. */
    struct ssd_cand *cand = zk_malloc((size_t)FACE_SSD_ANCHORS * sizeof(*cand));
    int n = 0;
    for (int i = 0; i < FACE_SSD_ANCHORS; i++) {
        float score = 1.0f / (1.0f + expf(-cls[(size_t)i * 3 + 1]));
        if (!(score > min_confidence))
            continue;
        const float *an = net->anchors + (size_t)i * 4, *t = enc + (size_t)i * 4;
        float ah = an[2] - an[0], aw = an[3] - an[1];
        float acy = an[0] + ah / 2, acx = an[1] + aw / 2;
        float hh = expf(t[2] / 5) * ah / 2, hw = expf(t[3] / 5) * aw / 2;
        float cy = t[0] / 10 * ah + acy, cx = t[1] / 10 * aw + acx;
        cand[n] = (struct ssd_cand){cy - hh, cx - hw, cy + hh, cx + hw, score, i};
        n++;
    }
    qsort(cand, (size_t)n, sizeof(*cand), ssd_cand_cmp);

    /* Greedy suppression; boxes are clipped to the square and mapped to the image. */
    float scale =
        (float)FACE_SSD_SIZE / (float)(img->width > img->height ? img->width : img->height);
    float pad_x = (float)FACE_SSD_SIZE / roundf((float)img->width * scale);
    float pad_y = (float)FACE_SSD_SIZE / roundf((float)img->height * scale);
    int *kept = zk_malloc(SSD_MAX_OUT * sizeof(int));
    int found = 0;
    for (int i = 0; i < n && found < SSD_MAX_OUT; i++) {
        bool keep = true;
        for (int j = found - 1; j >= 0 && keep; j--)
            keep = !(ssd_iou(&cand[i], &cand[kept[j]]) > SSD_IOU);
        if (!keep)
            continue;
        kept[found] = i;
        if ((size_t)found < cap) {
            const struct ssd_cand *c = &cand[i];
            float top = fmaxf(0.0f, c->y0) * pad_y, bottom = fminf(1.0f, c->y1) * pad_y;
            float left = fmaxf(0.0f, c->x0) * pad_x, right = fminf(1.0f, c->x1) * pad_x;
            struct face_detection *d = &out[found];
            d->score = c->score;
            d->box.x = left * (float)img->width;
            d->box.y = top * (float)img->height;
            d->box.width = (right - left) * (float)img->width;
            d->box.height = (bottom - top) * (float)img->height;
        }
        found++;
    }
    free(kept);
    free(cand);
    return found;
}
