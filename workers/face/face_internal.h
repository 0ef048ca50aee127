/*
 * face_internal.h - the face engine's internals shared between its files:
 * weight tensors read from tfjs manifests, the tensor operations the three
 * networks are built from, and the per-network parameter sets.
 *
 * Activations are single images in HWC layout (channel fastest), as in
 * TensorFlow's NHWC with N = 1. Convolution filters keep the tfjs layout
 * [kh][kw][cin][cout], which is exactly the matrix an im2col row multiplies.
 */
#ifndef ZK_FACE_INTERNAL_H
#define ZK_FACE_INTERNAL_H

#include "face.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Hot loops are compiled twice, for AVX2+FMA and for the baseline, and the
 * CPU picks at load time (GCC/clang function multi-versioning): fast on
 * today's servers without making the binary depend on them.
 */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define FACE_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef FACE_HOT
#define FACE_HOT
#endif

/* ---- weights (face_weights.c) ---- */

struct face_tensor {
    char *name;
    int ndim;
    int shape[4];
    size_t count; /* number of elements */
    float *data;
};

/* All tensors of one tfjs model, in manifest order. */
struct face_weights {
    struct face_tensor *t;
    size_t n;
};

/*
 * Parses dir/<model>-weights_manifest.json and the weight files it names,
 * decoding uint8-quantised tensors as q * scale + min and reading the rest as
 * little-endian float32. Fails with -EINVAL and a reason in err when the
 * manifest is malformed, a dtype is unsupported, or the weight files do not
 * hold exactly the bytes the manifest declares. hash (may be NULL) is updated
 * with the manifest and weight bytes.
 */
struct crypto_generichash_blake2b_state;
int face_weights_load(const char *dir, const char *model, struct face_weights *w,
                      struct crypto_generichash_blake2b_state *hash, char *err, size_t errsz);
void face_weights_free(struct face_weights *w);

/*
 * Finds tensor name and checks its shape (dims terminated by 0). Returns NULL
 * and writes the reason to err when it is missing or shaped differently.
 */
const float *face_weights_get(const struct face_weights *w, const char *name, const int *dims,
                              char *err, size_t errsz);

/* ---- per-call workspace (face_engine.c) ---- */

/*
 * Scratch floats for one inference call, carved in order by face_work_take.
 * Blocks come from the engine's pool and return to it after the call, so
 * steady-state inference allocates nothing and touches no fresh pages.
 */
struct face_work {
    float *d;
    size_t cap, used; /* in floats */
};

/* Next n floats (offsets rounded to 16 floats); aborts if the caller under-sized the block. */
float *face_work_take(struct face_work *w, size_t n);

/* Floats face_conv2d needs for its im2col matrix. */
#define FACE_IM2COL_FLOATS ((size_t)1 << 18)

/* ---- operations (face_ops.c) ---- */

struct face_fmap {
    int h, w, c;
    float *d; /* h*w*c floats, HWC */
};

enum face_pad { FACE_PAD_VALID, FACE_PAD_SAME };

/*
 * TensorFlow's output size and leading padding for one axis: 'same' gives
 * ceil(in/stride) outputs and pads max((out-1)*stride + k - in, 0) in total,
 * the smaller half before (so stride 2 pads bottom/right); 'valid' gives
 * floor((in-k)/stride)+1 and no padding.
 */
void face_pad_calc(int in, int k, int stride, enum face_pad pad, int *out, int *pad_before);

/*
 * out = conv2d(in, filt) + bias with filt [k][k][in->c][cout] (bias may be
 * NULL). im2col (into col, FACE_IM2COL_FLOATS floats) + sgemm; 1x1 stride-1
 * convolutions multiply directly and do not touch col. out->d must hold the
 * output size; out->h/w/c are set.
 */
void face_conv2d(const struct face_fmap *in, const float *filt, const float *bias, int k, int cout,
                 int stride, enum face_pad pad, float *col, struct face_fmap *out);

/* Depthwise convolution with filt [k][k][c] (channel multiplier 1), no bias. */
void face_depthwise(const struct face_fmap *in, const float *filt, int k, int stride,
                    enum face_pad pad, struct face_fmap *out);

/*
 * The same for output rows oy0 <= y < oy1 only, written packed into rows
 * ((oy1 - oy0) * out_w * c floats): lets a network run a depthwise layer
 * band by band.
 */
void face_depthwise_rows(const struct face_fmap *in, const float *filt, int k, int stride,
                         enum face_pad pad, int oy0, int oy1, float *rows);

/* Max pooling; 'same' padding never wins the max (it is -inf in TF). */
void face_maxpool(const struct face_fmap *in, int k, int stride, enum face_pad pad,
                  struct face_fmap *out);

/* Average pooling, 'valid' only. */
void face_avgpool(const struct face_fmap *in, int k, int stride, struct face_fmap *out);

/*
 * Builds a network input of size x size x 3: the crop (cx, cy, cw, ch) of img
 * (already inside the image) padded with zeros to a square - at the
 * bottom/right, or centred as face-api.js does (round(diff/2) after, the rest
 * before) - then resized like tf.image.resizeBilinear (align_corners and
 * half_pixel_centers false; skipped when the square already has that size),
 * then (v - mean[c]) / divisor.
 */
void face_make_input(const struct face_image *img, int cx, int cy, int cw, int ch, int size,
                     bool centred, const float mean[3], float divisor, float *out);

/* ---- networks ---- */

struct face_detector {
    const float *conv0_f, *conv0_b;
    const float *dw[5], *pw[5], *b[5];
    const float *conv8_f, *conv8_b;
};

struct face_dense_block {
    const float *conv0_f, *conv0_b; /* first block: plain conv */
    const float *dw[4], *pw[4], *b[4];
};

struct face_landmarker {
    int nblocks; /* 4 (FaceLandmark68Net) or 3 (the tiny variant) */
    int nconv;   /* convolutions per dense block: 4, or 3 in the tiny variant */
    int channels[5];
    struct face_dense_block blk[4];
    const float *fc_w, *fc_b;
};

struct face_conv_scale {
    const float *f, *b, *sw, *sb;
};

struct face_recogniser {
    struct face_conv_scale conv32_down;
    struct face_conv_scale res[14][2]; /* residual blocks, network order */
    const float *fc;
};

/*
 * SSD MobileNet v1 (face-api.js's ssdMobilenetv1): a MobileNet v1 body at
 * 512x512, four extra stride-2 stages, six box predictors over 5118 anchors.
 * The depthwise layers' batch norms are applied as (x - mean) * inv + beta
 * with inv = gamma / sqrt(variance + eps) computed at bind time into bn,
 * which the struct owns (face_ssd_unbind frees it).
 */
#define FACE_SSD_SIZE    512
#define FACE_SSD_ANCHORS 5118

struct face_ssd_conv {
    const float *f, *b; /* filter [k][k][cin][cout] and bias / batch-norm offset */
};

struct face_ssd {
    struct face_ssd_conv conv0; /* 3x3/2, 3 -> 32 */
    const float *dw[13];        /* depthwise 3x3 filters of the 13 separable pairs */
    const float *bn_mean[13], *bn_beta[13];
    float *bn_inv[13];                   /* gamma / sqrt(variance + eps), inside bn */
    struct face_ssd_conv pw[13];         /* pointwise 1x1 + offset */
    struct face_ssd_conv extra[8];       /* the prediction layer's 1x1 / 3x3-stride-2 convs */
    struct face_ssd_conv box[6], cls[6]; /* box encodings (4 per anchor), classes (3) */
    const float *anchors;                /* [5118][4]: ymin, xmin, ymax, xmax, relative */
    float *bn;
};

int face_detector_bind(const struct face_weights *w, struct face_detector *net, char *err,
                       size_t errsz);
/* tiny: bind the FaceLandmark68TinyNet layout instead of FaceLandmark68Net. */
int face_landmarker_bind(const struct face_weights *w, bool tiny, struct face_landmarker *net,
                         char *err, size_t errsz);
int face_recogniser_bind(const struct face_weights *w, struct face_recogniser *net, char *err,
                         size_t errsz);
int face_ssd_bind(const struct face_weights *w, struct face_ssd *net, char *err, size_t errsz);
void face_ssd_unbind(struct face_ssd *net);

/* Workspace floats each network needs per call. */
size_t face_detector_work(int input_size);
size_t face_landmarker_work(void);
size_t face_recogniser_work(void);
size_t face_ssd_work(void);

/*
 * Raw detector pass: writes at most cap detections (in image pixels) best
 * first and returns how many were found.
 */
int face_detector_run(const struct face_detector *net, const struct face_image *img, int input_size,
                      float score_threshold, struct face_work *work, struct face_detection *out,
                      size_t cap);

/*
 * Raw SSD pass: detections scoring above min_confidence after face-api.js's
 * non-maximum suppression (IoU 0.5, at most 100), best first, in image
 * pixels; writes at most cap and returns how many were found.
 */
int face_ssd_run(const struct face_ssd *net, const struct face_image *img, float min_confidence,
                 struct face_work *work, struct face_detection *out, size_t cap);

/* Landmarks of the crop (cx, cy, cw, ch), in image coordinates. */
void face_landmarker_run(const struct face_landmarker *net, const struct face_image *img, int cx,
                         int cy, int cw, int ch, struct face_work *work,
                         struct face_point pts[FACE_LANDMARKS]);

/* Descriptor of the crop (cx, cy, cw, ch). */
void face_recogniser_run(const struct face_recogniser *net, const struct face_image *img, int cx,
                         int cy, int cw, int ch, struct face_work *work,
                         float desc[FACE_DESCRIPTOR]);

/* Input divisors: the reference data was produced with these (see face_engine.c). */
extern const float face_detector_divisor;
extern const float face_landmark_divisor;
extern const float face_recognition_divisor;

#endif
