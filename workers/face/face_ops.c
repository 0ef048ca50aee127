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

/* Rows of the im2col matrix built per sgemm call: bounds scratch to a few MB. */
#define IM2COL_MAX_FLOATS (1u << 20)

void face_conv2d(const struct face_fmap *in, const float *filt, const float *bias, int k, int cout,
                 int stride, enum face_pad pad, struct face_fmap *out)
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
        int rows_per = (int)(IM2COL_MAX_FLOATS / ((size_t)ow * kk));
        if (rows_per < 1)
            rows_per = 1;
        if (rows_per > oh)
            rows_per = oh;
        float *col = zk_malloc((size_t)rows_per * ow * kk * sizeof(float));
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
        free(col);
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

void face_depthwise(const struct face_fmap *in, const float *filt, int k, int stride,
                    enum face_pad pad, struct face_fmap *out)
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
            memset(o, 0, (size_t)c * sizeof(float));
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * stride + ky - pt;
                if (iy < 0 || iy >= in->h)
                    continue;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ox * stride + kx - pl;
                    if (ix < 0 || ix >= in->w)
                        continue;
                    const float *src = in->d + ((size_t)iy * in->w + ix) * c;
                    const float *f = filt + (size_t)(ky * k + kx) * c;
                    for (int ch = 0; ch < c; ch++)
                        o[ch] += src[ch] * f[ch];
                }
            }
        }
    }
}

void face_maxpool(const struct face_fmap *in, int k, int stride, enum face_pad pad,
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

void face_avgpool(const struct face_fmap *in, int k, int stride, struct face_fmap *out)
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

/* Pixel of the zero-padded square: the crop sits at (ox, oy) inside it. */
static inline float square_px(const struct face_image *img, int cx, int cy, int cw, int ch, int ox,
                              int oy, int x, int y, int c)
{
    x -= ox;
    y -= oy;
    if (x < 0 || y < 0 || x >= cw || y >= ch)
        return 0.0f;
    return img->rgb[((size_t)(cy + y) * img->width + (cx + x)) * 3 + c];
}

void face_make_input(const struct face_image *img, int cx, int cy, int cw, int ch, int size,
                     bool centred, const float mean[3], float divisor, float *out)
{
    int side = cw > ch ? cw : ch;
    int diff = abs(cw - ch);
    /* padToSquare: round(diff / 2) appended after, the remainder before. */
    int before = centred ? diff - (int)floor(diff * 0.5 + 0.5) : 0;
    int ox = cw < ch ? before : 0;
    int oy = ch < cw ? before : 0;
    if (side == size) {
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < 3; c++)
                    out[((size_t)y * size + x) * 3 + c] =
                        (square_px(img, cx, cy, cw, ch, ox, oy, x, y, c) - mean[c]) / divisor;
        return;
    }
    /* tf.image.resizeBilinear, align_corners = half_pixel_centers = false. */
    const float ratio = (float)side / (float)size;
    for (int y = 0; y < size; y++) {
        float sy = ratio * (float)y;
        int y0 = (int)floorf(sy);
        int y1 = (int)ceilf(sy);
        if (y1 > side - 1)
            y1 = side - 1;
        float fy = sy - (float)y0;
        for (int x = 0; x < size; x++) {
            float sx = ratio * (float)x;
            int x0 = (int)floorf(sx);
            int x1 = (int)ceilf(sx);
            if (x1 > side - 1)
                x1 = side - 1;
            float fx = sx - (float)x0;
            for (int c = 0; c < 3; c++) {
                float tl = square_px(img, cx, cy, cw, ch, ox, oy, x0, y0, c);
                float tr = square_px(img, cx, cy, cw, ch, ox, oy, x1, y0, c);
                float bl = square_px(img, cx, cy, cw, ch, ox, oy, x0, y1, c);
                float br = square_px(img, cx, cy, cw, ch, ox, oy, x1, y1, c);
                float top = tl + (tr - tl) * fx;
                float bot = bl + (br - bl) * fx;
                float v = top + (bot - top) * fy;
                out[((size_t)y * size + x) * 3 + c] = (v - mean[c]) / divisor;
            }
        }
    }
}
