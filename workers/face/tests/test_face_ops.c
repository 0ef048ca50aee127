/*
 * test_face_ops.c - the building blocks behave as TensorFlow's: 'same'
 * padding pads the bottom/right at stride 2, convolutions and depthwise
 * convolutions equal a direct evaluation, 'same' max-pooling ignores the
 * padding, the input resize is tf.image.resizeBilinear; and the small public
 * helpers (decisions, dlib alignment box, PNG decoding) follow their rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_face_same_padding_at_stride_2_pads_bottom_right(void **state)
{
    int out, before;
    face_pad_calc(112, 3, 2, FACE_PAD_SAME, &out, &before);
    assert_int_equal(out, 56);
    assert_int_equal(before, 0); /* total 1: all of it after */
    face_pad_calc(7, 3, 2, FACE_PAD_SAME, &out, &before);
    assert_int_equal(out, 4);
    assert_int_equal(before, 1); /* total 2: one each side */
    face_pad_calc(207, 2, 2, FACE_PAD_SAME, &out, &before);
    assert_int_equal(out, 104);
    assert_int_equal(before, 0);
    face_pad_calc(13, 2, 1, FACE_PAD_SAME, &out, &before);
    assert_int_equal(out, 13);
    assert_int_equal(before, 0);
    face_pad_calc(150, 7, 2, FACE_PAD_VALID, &out, &before);
    assert_int_equal(out, 72);
    face_pad_calc(4, 3, 2, FACE_PAD_VALID, &out, &before);
    assert_int_equal(out, 1);
}

static float frand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* Direct TF-semantics convolution, the specification face_conv2d must meet. */
static float direct_conv(const struct face_fmap *in, const float *f, int k, int cout, int stride,
                         enum face_pad pad, int oy, int ox, int co)
{
    int oh, ow, pt, pl;
    face_pad_calc(in->h, k, stride, pad, &oh, &pt);
    face_pad_calc(in->w, k, stride, pad, &ow, &pl);
    float acc = 0;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int iy = oy * stride + ky - pt, ix = ox * stride + kx - pl;
            if (iy < 0 || ix < 0 || iy >= in->h || ix >= in->w)
                continue;
            for (int ci = 0; ci < in->c; ci++)
                acc += in->d[(iy * in->w + ix) * in->c + ci] *
                       f[((ky * k + kx) * in->c + ci) * cout + co];
        }
    return acc;
}

static void check_conv(int h, int w, int cin, int k, int cout, int stride, enum face_pad pad)
{
    unsigned seed = 7;
    struct face_fmap in = {h, w, cin, malloc(sizeof(float) * h * w * cin)};
    float *f = malloc(sizeof(float) * k * k * cin * cout);
    float *bias = malloc(sizeof(float) * cout);
    for (int i = 0; i < h * w * cin; i++)
        in.d[i] = frand(&seed);
    for (int i = 0; i < k * k * cin * cout; i++)
        f[i] = frand(&seed);
    for (int i = 0; i < cout; i++)
        bias[i] = frand(&seed);
    struct face_fmap out = {0, 0, 0, malloc(sizeof(float) * h * w * cout)};
    float *col = malloc(sizeof(float) * FACE_IM2COL_FLOATS);
    face_conv2d(&in, f, bias, k, cout, stride, pad, col, &out);
    int oh, ow, p;
    face_pad_calc(h, k, stride, pad, &oh, &p);
    face_pad_calc(w, k, stride, pad, &ow, &p);
    assert_int_equal(out.h, oh);
    assert_int_equal(out.w, ow);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int c = 0; c < cout; c++)
                assert_float_equal(out.d[(y * ow + x) * cout + c],
                                   direct_conv(&in, f, k, cout, stride, pad, y, x, c) + bias[c],
                                   1e-4);
    free(in.d);
    free(f);
    free(bias);
    free(out.d);
    free(col);
}

static void test_face_conv2d_equals_direct_convolution(void **state)
{
    check_conv(7, 9, 3, 3, 5, 2, FACE_PAD_SAME);
    check_conv(8, 8, 4, 3, 6, 1, FACE_PAD_SAME);
    check_conv(11, 10, 3, 7, 4, 2, FACE_PAD_VALID);
    check_conv(5, 6, 8, 1, 3, 1, FACE_PAD_SAME);
}

static void check_depthwise(int h, int w, int c, int stride)
{
    unsigned seed = 11;
    struct face_fmap in = {h, w, c, malloc(sizeof(float) * h * w * c)};
    float f[3 * 3 * 16];
    for (int i = 0; i < h * w * c; i++)
        in.d[i] = frand(&seed);
    for (int i = 0; i < 9 * c; i++)
        f[i] = frand(&seed);
    struct face_fmap out = {0, 0, 0, malloc(sizeof(float) * h * w * c)};
    face_depthwise(&in, f, 3, stride, FACE_PAD_SAME, &out);
    int oh, ow, pt, pl;
    face_pad_calc(h, 3, stride, FACE_PAD_SAME, &oh, &pt);
    face_pad_calc(w, 3, stride, FACE_PAD_SAME, &ow, &pl);
    assert_int_equal(out.h, oh);
    assert_int_equal(out.w, ow);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
            for (int ch = 0; ch < c; ch++) {
                float acc = 0;
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = y * stride + ky - pt, ix = x * stride + kx - pl;
                        if (iy >= 0 && ix >= 0 && iy < h && ix < w)
                            acc += in.d[(iy * w + ix) * c + ch] * f[(ky * 3 + kx) * c + ch];
                    }
                assert_float_equal(out.d[(y * ow + x) * c + ch], acc, 1e-5);
            }
    free(in.d);
    free(out.d);
}

static void test_face_depthwise_equals_direct_convolution(void **state)
{
    check_depthwise(6, 5, 4, 1);
    check_depthwise(7, 8, 16, 2);
    check_depthwise(1, 2, 3, 1);
}

static void test_face_same_maxpool_ignores_padding(void **state)
{
    /* All negative: a zero-padded pool would report 0 in the last column/row. */
    float d[9] = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
    float o[4];
    struct face_fmap in = {3, 3, 1, d}, out = {0, 0, 0, o};
    face_maxpool(&in, 2, 2, FACE_PAD_SAME, &out);
    assert_int_equal(out.h, 2);
    assert_int_equal(out.w, 2);
    assert_float_equal(o[0], -5, 0);
    assert_float_equal(o[1], -4, 0);
    assert_float_equal(o[2], -2, 0);
    assert_float_equal(o[3], -1, 0);
}

static void test_face_input_resize_is_tf_resize_bilinear(void **state)
{
    /* 2x2 grey image -> 4x4: tf samples at dst * 0.5 and clamps the far neighbour. */
    uint8_t rgb[2 * 2 * 3];
    const uint8_t v[4] = {0, 100, 200, 40};
    for (int i = 0; i < 4; i++)
        rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = v[i];
    struct face_image img = {2, 2, rgb};
    const float mean[3] = {0, 0, 0};
    float out[4 * 4 * 3];
    face_make_input(&img, 0, 0, 2, 2, 4, false, mean, 1.0f, out);
    const float want[16] = {0, 50, 100, 100, 100, 85, 70, 70, 200, 120, 40, 40, 200, 120, 40, 40};
    for (int i = 0; i < 16; i++)
        assert_float_equal(out[i * 3], want[i], 1e-4);
}

static void test_face_input_centres_the_crop_with_the_extra_column_after(void **state)
{
    /* A 1x2 crop (w 1, h 2) in a 2x2 square: round(1/2) = 1 column after, none before. */
    uint8_t rgb[2 * 2 * 3];
    memset(rgb, 90, sizeof(rgb));
    struct face_image img = {2, 2, rgb};
    const float mean[3] = {10, 20, 30};
    float out[2 * 2 * 3];
    face_make_input(&img, 1, 0, 1, 2, 2, true, mean, 2.0f, out);
    assert_float_equal(out[0], (90 - 10) / 2.0, 1e-6); /* (0,0) image */
    assert_float_equal(out[3], (0 - 10) / 2.0, 1e-6);  /* (1,0) padding */
    assert_float_equal(out[3 + 2], (0 - 30) / 2.0, 1e-6);
    assert_float_equal(out[6 + 1], (90 - 20) / 2.0, 1e-6); /* (0,1) image */
}

static void test_face_decide_applies_pass_and_review_thresholds(void **state)
{
    assert_int_equal(face_decide(0.30f, 0.5f, 0.7f), FACE_PASS);
    assert_int_equal(face_decide(0.50f, 0.5f, 0.7f), FACE_PASS);
    assert_int_equal(face_decide(0.55f, 0.5f, 0.7f), FACE_REVIEW);
    assert_int_equal(face_decide(0.70f, 0.5f, 0.7f), FACE_REVIEW);
    assert_int_equal(face_decide(0.71f, 0.5f, 0.7f), FACE_FAIL);
    assert_int_equal(face_decide(NAN, 0.5f, 0.7f), FACE_FAIL);
    assert_string_equal(face_decision_name(FACE_REVIEW), "review");
    float a[FACE_DESCRIPTOR] = {0}, b[FACE_DESCRIPTOR] = {0};
    a[0] = 3;
    b[5] = 4;
    assert_float_equal(face_distance(a, b), 5.0, 1e-6);
}

static void test_face_aligned_box_is_the_dlib_square_around_eyes_and_mouth(void **state)
{
    struct face_point pts[FACE_LANDMARKS];
    for (int i = 0; i < FACE_LANDMARKS; i++)
        pts[i] = (struct face_point){0, 0};
    for (int i = 36; i < 42; i++)
        pts[i] = (struct face_point){40, 50};
    for (int i = 42; i < 48; i++)
        pts[i] = (struct face_point){80, 50};
    for (int i = 48; i < 68; i++)
        pts[i] = (struct face_point){60, 90};
    /* eye-mouth distance sqrt(20^2 + 40^2) = 44.72 -> side floor(44.72 / 0.45) = 99. */
    struct face_box b = face_aligned_box(pts, 200, 200);
    assert_float_equal(b.width, 99, 0);
    assert_float_equal(b.height, 99, 0);
    assert_float_equal(b.x, 10, 0); /* floor(60 - 49.5) */
    assert_float_equal(b.y, 20, 0); /* floor(63.33 - 42.57) */
    b = face_aligned_box(pts, 100, 90);
    assert_float_equal(b.width, 90, 0); /* clipped to the image */
    assert_float_equal(b.height, 70, 0);
}

static void test_face_geometry_measures_eye_line_and_face_width(void **state)
{
    struct face_point pts[FACE_LANDMARKS];
    for (int i = 0; i < FACE_LANDMARKS; i++)
        pts[i] = (struct face_point){50, 50};
    for (int i = 36; i < 42; i++)
        pts[i] = (struct face_point){40, 40};
    for (int i = 42; i < 48; i++)
        pts[i] = (struct face_point){80, 50}; /* right eye 10 px lower: tilted clockwise */
    for (int i = 48; i < 68; i++)
        pts[i] = (struct face_point){60, 90};
    pts[0] = (struct face_point){20, 45};
    pts[16] = (struct face_point){100, 45};
    pts[8] = (struct face_point){60, 120};
    struct face_geometry g;
    face_geometry_of(pts, &g);
    assert_float_equal(g.eye_left.x, 40, 1e-5);
    assert_float_equal(g.eye_right.y, 50, 1e-5);
    assert_float_equal(g.eye_distance, sqrt(40 * 40 + 10 * 10), 1e-4);
    assert_float_equal(g.eye_angle_deg, atan2(10, 40) * 180 / M_PI, 1e-3);
    assert_true(g.eye_angle_deg > 0);
    assert_float_equal(g.face_width, 80, 1e-5);
    assert_float_equal(g.centre.x, 60, 1e-5);
    assert_float_equal(g.centre.y, 60, 1e-5);
    assert_float_equal(g.chin_y, 120, 0);
}

/* A 3x2 8-bit greyscale PNG: rows {0, 128, 255} and {10, 20, 30}. */
static const uint8_t grey_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x00, 0x00, 0x00, 0xb8,
    0x1f, 0x39, 0xc6, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
    0x68, 0xf8, 0xcf, 0xc0, 0x25, 0x22, 0x07, 0x00, 0x08, 0x67, 0x01, 0xbc, 0x9c, 0x67, 0x35,
    0xa0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static void test_face_image_decodes_grey_png_to_rgb(void **state)
{
    struct face_image img = {0};
    assert_int_equal(face_image_decode(grey_png, sizeof(grey_png), &img), 0);
    assert_int_equal(img.width, 3);
    assert_int_equal(img.height, 2);
    const uint8_t want[6] = {0, 128, 255, 10, 20, 30};
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(img.rgb[i * 3 + c], want[i]);
    face_image_free(&img);
    assert_null(img.rgb);
}

static void test_face_image_refuses_other_formats_and_truncated_files(void **state)
{
    struct face_image img = {0};
    assert_int_equal(face_image_decode("GIF89a......", 12, &img), -ENOTSUP);
    assert_int_equal(face_image_decode(grey_png, 40, &img), -EINVAL);
    const uint8_t jpeg_head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
    assert_int_equal(face_image_decode(jpeg_head, sizeof(jpeg_head), &img), -EINVAL);
    assert_null(img.rgb);
    assert_int_equal(face_image_load("/nonexistent/face.png", &img), -ENOENT);
}

/* A 16x8 JPEG (quality 100): left half dark (20), right half light (230). */
static const uint8_t split_jpeg[] = {
    0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff, 0xc0, 0x00, 0x11,
    0x08, 0x00, 0x08, 0x00, 0x10, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff,
    0xc4, 0x00, 0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0xff, 0xc4, 0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04,
    0x04, 0x00, 0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41,
    0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1,
    0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
    0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84,
    0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2,
    0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9,
    0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
    0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xc4, 0x00, 0x1f, 0x01, 0x00, 0x03, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xff, 0xc4, 0x00, 0xb5, 0x11, 0x00, 0x02, 0x01,
    0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00, 0x01, 0x02,
    0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32,
    0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72,
    0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53,
    0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73,
    0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
    0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
    0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
    0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4,
    0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff,
    0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0xfe, 0x27, 0xe8,
    0x03, 0xfd, 0xa4, 0x28, 0x03, 0xff, 0xd9,
};

/* The JPEG with an EXIF APP1 segment carrying orientation o spliced in after SOI. */
static uint8_t *with_orientation(int o, size_t *len)
{
    static const uint8_t app1_head[] = {0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                                        'M',  'M',  0,    0x2a, 0,   0,   0,   8,   0, 1,
                                        0x01, 0x12, 0,    3,    0,   0,   0,   1};
    size_t n = sizeof(app1_head) + 8;
    uint8_t *out = malloc(sizeof(split_jpeg) + n);
    memcpy(out, split_jpeg, 2);
    memcpy(out + 2, app1_head, sizeof(app1_head));
    const uint8_t tail[8] = {0, (uint8_t)o, 0, 0, 0, 0, 0, 0};
    memcpy(out + 2 + sizeof(app1_head), tail, sizeof(tail));
    memcpy(out + 2 + n, split_jpeg + 2, sizeof(split_jpeg) - 2);
    *len = sizeof(split_jpeg) + n;
    return out;
}

static int px(const struct face_image *img, int x, int y)
{
    return img->rgb[((size_t)y * img->width + x) * 3];
}

static void test_face_image_turns_jpeg_upright_by_exif_orientation(void **state)
{
    struct face_image img = {0};
    assert_int_equal(face_image_decode(split_jpeg, sizeof(split_jpeg), &img), 0);
    assert_int_equal(img.width, 16);
    assert_int_equal(img.height, 8);
    assert_true(px(&img, 0, 0) < 60 && px(&img, 15, 0) > 190);
    face_image_free(&img);

    size_t len;
    uint8_t *rot = with_orientation(6, &len); /* stored turned: rotate 90 clockwise */
    assert_int_equal(face_image_decode(rot, len, &img), 0);
    assert_int_equal(img.width, 8);
    assert_int_equal(img.height, 16);
    assert_true(px(&img, 0, 0) < 60 && px(&img, 7, 15) > 190); /* dark top, light bottom */
    face_image_free(&img);
    free(rot);

    rot = with_orientation(8, &len); /* rotate 90 counter-clockwise */
    assert_int_equal(face_image_decode(rot, len, &img), 0);
    assert_int_equal(img.width, 8);
    assert_true(px(&img, 0, 0) > 190 && px(&img, 7, 15) < 60); /* light top */
    face_image_free(&img);
    free(rot);

    rot = with_orientation(2, &len); /* mirrored */
    assert_int_equal(face_image_decode(rot, len, &img), 0);
    assert_int_equal(img.width, 16);
    assert_true(px(&img, 0, 0) > 190 && px(&img, 15, 7) < 60);
    face_image_free(&img);
    free(rot);
}

/* Untrusted bytes: every corruption either decodes or fails cleanly (ASan watches). */
static void test_face_image_survives_corrupted_files(void **state)
{
    unsigned seed = 1;
    const struct {
        const uint8_t *data;
        size_t len;
    } files[2] = {{grey_png, sizeof(grey_png)}, {split_jpeg, sizeof(split_jpeg)}};
    uint8_t buf[sizeof(split_jpeg)];
    int decoded = 0, refused = 0;
    for (int f = 0; f < 2; f++)
        for (int round = 0; round < 300; round++) {
            memcpy(buf, files[f].data, files[f].len);
            size_t len = files[f].len;
            for (int k = 0; k < 1 + round % 4; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = 2 + (seed >> 8) % (len - 2); /* keep the magic bytes */
                buf[at] = (uint8_t)(seed >> 20);
            }
            if (round % 5 == 0)
                len = 3 + (seed >> 4) % (len - 3);
            struct face_image img = {0};
            int rc = face_image_decode(buf, len, &img);
            if (rc == 0) {
                assert_true(img.width > 0 && img.height > 0);
                assert_non_null(img.rgb);
                decoded++;
            } else {
                assert_true(rc == -EINVAL || rc == -ENOTSUP);
                assert_null(img.rgb);
                refused++;
            }
            face_image_free(&img);
        }
    printf("corrupted inputs: %d decoded, %d refused\n", decoded, refused);
    assert_true(refused > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_face_same_padding_at_stride_2_pads_bottom_right),
        cmocka_unit_test(test_face_conv2d_equals_direct_convolution),
        cmocka_unit_test(test_face_depthwise_equals_direct_convolution),
        cmocka_unit_test(test_face_same_maxpool_ignores_padding),
        cmocka_unit_test(test_face_input_resize_is_tf_resize_bilinear),
        cmocka_unit_test(test_face_input_centres_the_crop_with_the_extra_column_after),
        cmocka_unit_test(test_face_decide_applies_pass_and_review_thresholds),
        cmocka_unit_test(test_face_aligned_box_is_the_dlib_square_around_eyes_and_mouth),
        cmocka_unit_test(test_face_geometry_measures_eye_line_and_face_width),
        cmocka_unit_test(test_face_image_decodes_grey_png_to_rgb),
        cmocka_unit_test(test_face_image_refuses_other_formats_and_truncated_files),
        cmocka_unit_test(test_face_image_turns_jpeg_upright_by_exif_orientation),
        cmocka_unit_test(test_face_image_survives_corrupted_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
