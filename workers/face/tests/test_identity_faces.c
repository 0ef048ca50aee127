/*
 * test_identity_faces.c - the worker's face finding (identity_find_faces)
 * on the kit's hard cases: a person of the kit's group pictures seen small
 * in a wide 740x418 picture, as in a photo taken from across a room, where
 * the tiny face detector finds nothing at any input size. The worker must
 * still find the face (with SSD MobileNet v1), and must not pay for SSD on
 * the pictures the tiny detector handles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_test_util.h"
#include "identity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A wide picture: a grey room 740x418 with the head around (jaw_l..jaw_r,
 * brow) of a kit picture shrunk so the face is face_px wide, its top-left
 * crop corner at (ox, oy), optionally mirrored. *fx0, *fy0, *fx1, *fy1
 * receive the face's box in the new picture. */
struct kit_head {
    const char *pic;
    double jaw_l, jaw_r, brow;
};

static void small_face(const struct face_image *src, const struct kit_head *h, double face_px,
                       bool mirrored, struct face_image *out, double box[4])
{
    const int W = 740, H = 418, ox = 500, oy = 150;
    double fw = h->jaw_r - h->jaw_l, s = face_px / fw;
    double cx0 = h->jaw_l - fw, cy0 = h->brow - fw; /* crop: 3 face widths by 3.5 */
    int cw = (int)(3 * fw * s), ch = (int)(3.5 * fw * s);
    out->width = W;
    out->height = H;
    out->rgb = malloc((size_t)W * H * 3);
    assert_non_null(out->rgb);
    memset(out->rgb, 200, (size_t)W * H * 3);
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            /* box filter over the source pixels this pixel covers */
            int x0 = (int)(cx0 + x / s), x1 = (int)(cx0 + (x + 1) / s);
            int y0 = (int)(cy0 + y / s), y1 = (int)(cy0 + (y + 1) / s);
            for (int c = 0; c < 3; c++) {
                long acc = 0, n = 0;
                for (int yy = y0; yy < y1 && yy < src->height; yy++)
                    for (int xx = x0; xx < x1 && xx < src->width; xx++) {
                        acc += src->rgb[((size_t)yy * src->width + xx) * 3 + c];
                        n++;
                    }
                int X = mirrored ? ox + cw - 1 - x : ox + x;
                out->rgb[((size_t)(oy + y) * W + X) * 3 + c] = (uint8_t)(n ? acc / n : 200);
            }
        }
    box[0] = ox + fw * s;
    box[1] = oy + fw * s;
    box[2] = box[0] + face_px;
    box[3] = box[1] + face_px;
}

static int tiny_at_every_size(const struct face_engine *eng, const struct face_image *img)
{
    static const int sizes[] = {416, 608, 832};
    struct face_detection det[8];
    int most = 0;
    for (int k = 0; k < 3; k++) {
        int n = face_detect_ex(eng, img, sizes[k], 0.5f, det, 8);
        assert_true(n >= 0);
        most = n > most ? n : most;
    }
    return most;
}

static void
test_identity_finds_a_small_face_in_a_wide_picture_that_the_tiny_detector_misses(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    assert_true(face_engine_has_ssd(fx->eng));
    /* Two people of bbt1.jpg, 20 and 24 px wide, as taken and mirrored. */
    static const struct kit_head heads[] = {{"bbt1.jpg", 211, 308, 159},
                                            {"bbt1.jpg", 729, 820, 159}};
    static const double sizes[] = {24, 20};
    struct face_image pic;
    face_test_image(fx, "bbt1.jpg", &pic);
    for (size_t i = 0; i < 2; i++)
        for (int m = 0; m < 2; m++) {
            struct face_image img;
            double box[4];
            small_face(&pic, &heads[i], sizes[i], m == 1, &img, box);
            /* the hard case: the tiny detector alone finds nobody */
            assert_int_equal(tiny_at_every_size(fx->eng, &img), 0);
            struct identity_faces f;
            assert_int_equal(identity_find_faces(fx->eng, &img, 1, &f), 0);
            printf("head %zu%s: %d face(s) by %s\n", i, m ? " mirrored" : "", f.count,
                   identity_detector_name(f.detector));
            assert_int_equal(f.count, 1);
            assert_int_equal(f.detector, IDENTITY_DETECTOR_SSD);
            const struct face_box *b = &f.face[0].det.box;
            double cx = b->x + b->width / 2, cy = b->y + b->height / 2;
            assert_true(cx > box[0] && cx < box[2] && cy > box[1] - 4 && cy < box[3] + 4);
            free(img.rgb);
        }
    face_image_free(&pic);
}

static void test_identity_keeps_the_tiny_detector_when_it_finds_every_face(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    struct face_image img;
    face_test_image(fx, "reference/faces.jpg", &img);
    struct identity_faces f;
    assert_int_equal(identity_find_faces(fx->eng, &img, 6, &f), 0);
    assert_int_equal(f.count, 6);
    assert_int_equal(f.detector, IDENTITY_DETECTOR_TINY);
    assert_int_equal(f.input_size, 416);
    face_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_identity_finds_a_small_face_in_a_wide_picture_that_the_tiny_detector_misses),
        cmocka_unit_test(test_identity_keeps_the_tiny_detector_when_it_finds_every_face),
    };
    return cmocka_run_group_tests(tests, face_fixture_setup, face_fixture_teardown);
}
