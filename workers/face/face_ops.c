/*
 * face_ops.c - the tensor operations the face networks are made of, with
 * TensorFlow's semantics: 'same'/'valid' padding arithmetic, convolution
 * (im2col + OpenBLAS sgemm), depthwise convolution, pooling, and the
 * pad-to-square + bilinear resize + normalisation that builds an input.
 *
 * Owns nothing: callers provide every output buffer.
 */
#include "face_internal.h"

#include "alloc.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void face_pad_calc(int in, int k, int stride, enum face_pad pad, int *out, int *pad_before)
{
    if (pad == FACE_PAD_VALID) {
        *out = (in - k) / stride + 1;
        *pad_before = 0;
        return;
    }
    *out = (in + stride - 1) / stride;
    int total = (*out - 1) * stride + k - in;
    if (total < 0)
        total = 0;
    *pad_before = total / 2;
}

FACE_HOT void face_conv2d(const struct face_fmap *in, const float *filt, const float *bias, int k,
                          int cout, int stride, enum face_pad pad, float *col,
                          struct face_fmap *out)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, pad, &oh, &pt);
    face_pad_calc(in->w, k, stride, pad, &ow, &pl);
    out->h = oh;
    out->w = ow;
    out->c = cout;
    const int cin = in->c;
    const int kk = k * k * cin;
    if (k == 1 && stride == 1) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, oh * ow, cout, cin, 1.0f, in->d, cin,
                    filt, cout, 0.0f, out->d, cout);
    } else {
        int rows_per = (int)(FACE_IM2COL_FLOATS / ((size_t)ow * kk));
        if (rows_per < 1)
            rows_per = 1;
        if (rows_per > oh)
            rows_per = oh;
        for (int y0 = 0; y0 < oh; y0 += rows_per) {
            int nrows = oh - y0 < rows_per ? oh - y0 : rows_per;
            float *dst = col;
            for (int oy = y0; oy < y0 + nrows; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * stride + ky - pt;
                        if (iy < 0 || iy >= in->h) {
                            memset(dst, 0, (size_t)k * cin * sizeof(float));
                            dst += k * cin;
                            continue;
                        }
                        int ix0 = ox * stride - pl;
                        if (ix0 >= 0 && ix0 + k <= in->w) {
                            memcpy(dst, in->d + ((size_t)iy * in->w + ix0) * cin,
                                   (size_t)k * cin * sizeof(float));
                            dst += k * cin;
                            continue;
                        }
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ix0 + kx;
                            if (ix < 0 || ix >= in->w)
                                memset(dst, 0, (size_t)cin * sizeof(float));
                            else
                                memcpy(dst, in->d + ((size_t)iy * in->w + ix) * cin,
                                       (size_t)cin * sizeof(float));
                            dst += cin;
                        }
                    }
                }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nrows * ow, cout, kk, 1.0f, col,
                        kk, filt, cout, 0.0f, out->d + (size_t)y0 * ow * cout, cout);
        }
    }
    if (bias != NULL) {
        size_t n = (size_t)oh * ow;
        for (size_t p = 0; p < n; p++) {
            float *o = out->d + p * cout;
            for (int c = 0; c < cout; c++)
                o[c] += bias[c];
        }
    }
}

FACE_HOT void face_depthwise_rows(const struct face_fmap *in, const float *filt, int k, int stride,
                                  enum face_pad pad, int oy0, int oy1, float *rows)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, pad, &oh, &pt);
    face_pad_calc(in->w, k, stride, pad, &ow, &pl);
    (void)oh;
    const int c = in->c;
    /* Row by row: each tap adds a whole output row at once (vectorises over x and c). */
    for (int oy = oy0; oy < oy1; oy++) {
        float *orow = rows + (size_t)(oy - oy0) * ow * c;
        memset(orow, 0, (size_t)ow * c * sizeof(float));
        for (int ky = 0; ky < k; ky++) {
            int iy = oy * stride + ky - pt;
            if (iy < 0 || iy >= in->h)
                continue;
            const float *irow = in->d + (size_t)iy * in->w * c;
            for (int kx = 0; kx < k; kx++) {
                const float *f = filt + (size_t)(ky * k + kx) * c;
                /* Output columns whose input column ox*stride+kx-pl lies inside the row. */
                int lo = pl - kx > 0 ? (pl - kx + stride - 1) / stride : 0;
                if (in->w - 1 + pl - kx < 0)
                    continue;
                int hi = (in->w - 1 + pl - kx) / stride;
                if (hi > ow - 1)
                    hi = ow - 1;
                for (int ox = lo; ox <= hi; ox++) {
                    const float *src = irow + (size_t)(ox * stride + kx - pl) * c;
                    float *o = orow + (size_t)ox * c;
                    for (int ch = 0; ch < c; ch++)
                        o[ch] += src[ch] * f[ch];
                }
            }
        }
    }
}

void face_depthwise(const struct face_fmap *in, const float *filt, int k, int stride,
                    enum face_pad pad, struct face_fmap *out)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, pad, &oh, &pt);
    face_pad_calc(in->w, k, stride, pad, &ow, &pl);
    out->h = oh;
    out->w = ow;
    out->c = in->c;
    face_depthwise_rows(in, filt, k, stride, pad, 0, oh, out->d);
}

FACE_HOT void face_maxpool(const struct face_fmap *in, int k, int stride, enum face_pad pad,
                           struct face_fmap *out)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, pad, &oh, &pt);
    face_pad_calc(in->w, k, stride, pad, &ow, &pl);
    const int c = in->c;
    out->h = oh;
    out->w = ow;
    out->c = c;
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *o = out->d + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c; ch++)
                o[ch] = -FLT_MAX;
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * stride + ky - pt;
                if (iy < 0 || iy >= in->h)
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ox * stride + kx - pl;
                    if (ix < 0 || ix >= in->w)
                        continue;
                    const float *src = in->d + ((size_t)iy * in->w + ix) * c;
                    for (int ch = 0; ch < c; ch++)
                        o[ch] = src[ch] > o[ch] ? src[ch] : o[ch];
                }
            }
        }
    }
}

FACE_HOT void face_avgpool(const struct face_fmap *in, int k, int stride, struct face_fmap *out)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, FACE_PAD_VALID, &oh, &pt);
    face_pad_calc(in->w, k, stride, FACE_PAD_VALID, &ow, &pl);
    const int c = in->c;
    out->h = oh;
    out->w = ow;
    out->c = c;
    const float inv = 1.0f / (float)(k * k);
    for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *o = out->d + ((size_t)oy * ow + ox) * c;
            memset(o, 0, (size_t)c * sizeof(float));
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    const float *src =
                        in->d + ((size_t)(oy * stride + ky) * in->w + ox * stride + kx) * c;
                    for (int ch = 0; ch < c; ch++)
                        o[ch] += src[ch];
                }
            for (int ch = 0; ch < c; ch++)
                o[ch] *= inv;
        }
    }
}

/* Source index and weight along one axis of tf.image.resizeBilinear (no corner alignment). */
struct axis_tap {
    int i0, i1; /* crop coordinates, or -1 outside the crop (a zero of the padding) */
    float f;
};

static void axis_taps(int side, int size, int offset, int extent, struct axis_tap *t)
{
    const float ratio = (float)side / (float)size;
    for (int o = 0; o < size; o++) {
        float src = side == size ? (float)o : ratio * (float)o;
        int a = (int)floorf(src), b = (int)ceilf(src);
        if (b > side - 1)
            b = side - 1;
        t[o].f = src - (float)a;
        a -= offset;
        b -= offset;
        t[o].i0 = a >= 0 && a < extent ? a : -1;
        t[o].i1 = b >= 0 && b < extent ? b : -1;
    }
}

FACE_HOT void face_make_input(const struct face_image *img, int cx, int cy, int cw, int ch,
                              int size, bool centred, const float mean[3], float divisor,
                              float *out)
{
    int side = cw > ch ? cw : ch;
    int diff = abs(cw - ch);
    /* padToSquare: round(diff / 2) appended after, the remainder before. */
    int before = centred ? diff - (int)floor(diff * 0.5 + 0.5) : 0;
    int ox = cw < ch ? before : 0;
    int oy = ch < cw ? before : 0;
    struct axis_tap *tx = zk_malloc((size_t)size * 2 * sizeof(*tx)), *ty = tx + size;
    /* Same size: tf skips the resize, and taps with weight 0 reproduce the copy. */
    axis_taps(side, size, ox, cw, tx);
    axis_taps(side, size, oy, ch, ty);
    const float zero[3] = {0, 0, 0};
    for (int y = 0; y < size; y++) {
        const uint8_t *r0 =
            ty[y].i0 >= 0 ? img->rgb + ((size_t)(cy + ty[y].i0) * img->width + cx) * 3 : NULL;
        const uint8_t *r1 =
            ty[y].i1 >= 0 ? img->rgb + ((size_t)(cy + ty[y].i1) * img->width + cx) * 3 : NULL;
        float fy = ty[y].f;
        float *o = out + (size_t)y * size * 3;
        for (int x = 0; x < size; x++, o += 3) {
            float tl[3], tr[3], bl[3], br[3];
            for (int c = 0; c < 3; c++) {
                tl[c] = r0 && tx[x].i0 >= 0 ? r0[tx[x].i0 * 3 + c] : zero[c];
                tr[c] = r0 && tx[x].i1 >= 0 ? r0[tx[x].i1 * 3 + c] : zero[c];
                bl[c] = r1 && tx[x].i0 >= 0 ? r1[tx[x].i0 * 3 + c] : zero[c];
                br[c] = r1 && tx[x].i1 >= 0 ? r1[tx[x].i1 * 3 + c] : zero[c];
            }
            float fx = tx[x].f;
            for (int c = 0; c < 3; c++) {
                float top = tl[c] + (tr[c] - tl[c]) * fx;
                float bot = bl[c] + (br[c] - bl[c]) * fx;
                o[c] = (top + (bot - top) * fy - mean[c]) / divisor;
            }
        }
    }
    free(tx);
}
