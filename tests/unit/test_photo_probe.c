/*
 * test_photo_probe.c - the format is decided by magic bytes, never by the
 * file name, and the header probe reads dimensions and the EXIF orientation
 * from JPEG and PNG headers without decoding and without reading past a
 * truncated buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "photo_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_photo_sniff_magic_bytes(void **state)
{
    struct {
        const char *bytes;
        size_t len;
        enum photo_format f;
    } cases[] = {
        {"\xFF\xD8\xFF\xE0", 4, PHOTO_FMT_JPEG},
        {"\x89PNG\r\n\x1a\n", 8, PHOTO_FMT_PNG},
        {"GIF89a", 6, PHOTO_FMT_GIF},
        {"BM\x00\x00", 4, PHOTO_FMT_BMP},
        {"RIFF\x10\x00\x00\x00WEBPVP8 ", 16, PHOTO_FMT_WEBP},
        {"II*\0", 4, PHOTO_FMT_TIFF},
        {"\x00\x00\x00\x18"
         "ftypheic",
         12, PHOTO_FMT_HEIF},
        {"%PDF-1.4", 8, PHOTO_FMT_PDF},
        {"\xFF\xD8", 2, PHOTO_FMT_UNKNOWN}, /* too short to be a JPEG */
        {"<svg>", 5, PHOTO_FMT_UNKNOWN},
        {"", 0, PHOTO_FMT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(photo_sniff((const uint8_t *)cases[i].bytes, cases[i].len), cases[i].f);
}

/* SOI, APP1 Exif (big-endian TIFF, IFD0 with Orientation), SOF, SOS. */
static size_t build_jpeg(uint8_t *b, int w, int h, int orientation, bool progressive)
{
    size_t n = 0;
    b[n++] = 0xFF;
    b[n++] = 0xD8;
    if (orientation > 0) {
        const uint8_t app1[] = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                                'M',  'M',  0,    '*',  0,   0,   0,   8,   0, 1,
                                0x01, 0x12, 0,    3,    0,   0,   0,   1,   0, (uint8_t)orientation,
                                0,    0,    0,    0,    0,   0};
        memcpy(b + n, app1, sizeof(app1));
        n += sizeof(app1);
    }
    const uint8_t sof[] = {
        0xFF,       progressive ? 0xC2 : 0xC0, 0,          11, 8, (uint8_t)(h >> 8),
        (uint8_t)h, (uint8_t)(w >> 8),         (uint8_t)w, 1,  1, 0x11,
        0};
    memcpy(b + n, sof, sizeof(sof));
    n += sizeof(sof);
    const uint8_t sos[] = {0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x55, 0xFF, 0xD9};
    memcpy(b + n, sos, sizeof(sos));
    n += sizeof(sos);
    return n;
}

static void test_photo_probe_jpeg_dimensions_and_orientation(void **state)
{
    uint8_t b[128];
    struct photo_probe p;
    size_t n = build_jpeg(b, 480, 640, 6, false);
    assert_int_equal(photo_probe(b, n, &p), 0);
    assert_int_equal(p.format, PHOTO_FMT_JPEG);
    assert_int_equal(p.width, 480);
    assert_int_equal(p.height, 640);
    assert_int_equal(p.components, 1);
    assert_int_equal(p.exif_orientation, 6);
    assert_false(p.progressive);
    n = build_jpeg(b, 60000, 60000, 0, true);
    assert_int_equal(photo_probe(b, n, &p), 0);
    assert_int_equal(p.width, 60000);
    assert_int_equal(p.exif_orientation, 0);
    assert_true(p.progressive);
}

static void test_photo_probe_refuses_truncated_headers_at_every_length(void **state)
{
    uint8_t b[128];
    size_t n = build_jpeg(b, 480, 640, 3, false);
    /* Every prefix that cuts the frame header is refused; the copy is
     * exactly as long as the prefix so ASan would catch an over-read. */
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b, len);
        struct photo_probe p;
        int rc = photo_probe(copy, len, &p);
        if (len < n - 13) /* before the end of SOF */
            assert_int_equal(rc, -EINVAL);
        free(copy);
    }
}

static void test_photo_probe_png_header(void **state)
{
    uint8_t b[64] = {0x89, 'P',  'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0, 0,
                     13,   'I',  'H', 'D', 'R',  0,    0,    0x23, 0x28, 0, 0,
                     0x2B, 0xC0, 8,   2,   0,    0,    0,    0,    0,    0, 0};
    struct photo_probe p;
    assert_int_equal(photo_probe(b, 33, &p), 0);
    assert_int_equal(p.format, PHOTO_FMT_PNG);
    assert_int_equal(p.width, 9000);
    assert_int_equal(p.height, 11200);
    assert_int_equal(p.components, 3);
    b[25] = 5; /* no such colour type */
    assert_int_equal(photo_probe(b, 33, &p), -EINVAL);
    b[25] = 2;
    b[18] = 0; /* width 0 */
    b[19] = 0;
    assert_int_equal(photo_probe(b, 33, &p), -EINVAL);
    assert_int_equal(photo_probe(b, 20, &p), -EINVAL);
}

static void test_photo_probe_refuses_other_formats(void **state)
{
    struct photo_probe p;
    assert_int_equal(photo_probe((const uint8_t *)"GIF89a\x01\x00\x01\x00", 10, &p), -EINVAL);
    assert_int_equal(p.format, PHOTO_FMT_GIF);
    assert_int_equal(p.width, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_sniff_magic_bytes),
        cmocka_unit_test(test_photo_probe_jpeg_dimensions_and_orientation),
        cmocka_unit_test(test_photo_probe_refuses_truncated_headers_at_every_length),
        cmocka_unit_test(test_photo_probe_png_header),
        cmocka_unit_test(test_photo_probe_refuses_other_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
