/*
 * face_image.c - decodes PNG (libpng) and JPEG (libjpeg-turbo) into the
 * packed RGB buffers the face engine reads. Kept apart from the networks so
 * callers holding decoded pixels never need it.
 *
 * Owns the pixel buffer of each struct face_image it fills.
 */
#include "face.h"

#include "alloc.h"

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE */

#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

/* Larger images are refused: 40 megapixels is far beyond any ID photo. */
#define FACE_IMAGE_MAX_PIXELS (40u * 1000u * 1000u)

struct png_src {
    const uint8_t *p;
    size_t len, off;
};

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    struct png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->off)
        png_error(png, "truncated");
    memcpy(out, s->p + s->off, n);
    s->off += n;
}

/* Errors unwind to decode_png's setjmp without printing. */
static void png_fail_quiet(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_warn_quiet(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static int decode_png(const uint8_t *data, size_t len, struct face_image *img)
{
    struct png_src src = {data, len, 0};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail_quiet, png_warn_quiet);
    if (png == NULL)
        return -ENOMEM;
    png_infop info = png_create_info_struct(png);
    /* volatile: modified between setjmp and a possible longjmp. */
    uint8_t *volatile rgb = NULL;
    png_bytep *volatile rows = NULL;
    volatile int rc = -EINVAL;
    if (info == NULL || setjmp(png_jmpbuf(png)))
        goto out;
    png_set_read_fn(png, &src, png_read_mem);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (w == 0 || h == 0 || (size_t)w * h > FACE_IMAGE_MAX_PIXELS)
        goto out;
    int type = png_get_color_type(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3)
        goto out;
    rgb = zk_malloc((size_t)w * h * 3);
    rows = zk_malloc(h * sizeof(png_bytep));
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = rgb + (size_t)y * w * 3;
    png_read_image(png, rows);
    img->width = (int)w;
    img->height = (int)h;
    img->rgb = rgb;
    rgb = NULL;
    rc = 0;
out:
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(rows);
    free(rgb);
    return rc;
}

/* Reads a 16/32-bit TIFF integer in the file's byte order. */
static unsigned tiff_u16(const uint8_t *p, int big)
{
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t tiff_u32(const uint8_t *p, int big)
{
    return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* EXIF orientation (1..8) from an APP1 payload, or 1 when absent or malformed. */
static int exif_orientation(const uint8_t *d, size_t len)
{
    if (len < 14 || memcmp(d, "Exif\0\0", 6) != 0)
        return 1;
    const uint8_t *t = d + 6;
    size_t tl = len - 6;
    int big;
    if (memcmp(t, "MM\0\x2a", 4) == 0)
        big = 1;
    else if (memcmp(t, "II\x2a\0", 4) == 0)
        big = 0;
    else
        return 1;
    uint32_t ifd = tiff_u32(t + 4, big);
    if (ifd > tl || tl - ifd < 2)
        return 1;
    unsigned n = tiff_u16(t + ifd, big);
    for (unsigned i = 0; i < n; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (e + 12 > tl)
            return 1;
        if (tiff_u16(t + e, big) == 0x0112 && tiff_u16(t + e + 2, big) == 3) {
            unsigned v = tiff_u16(t + e + 8, big);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

/* Turns img upright per EXIF orientation o (2..8 mirror and/or rotate). */
static void apply_orientation(struct face_image *img, int o)
{
    if (o <= 1)
        return;
    const int w = img->width, h = img->height;
    const bool swap = o >= 5;
    const int ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *out = zk_malloc((size_t)w * h * 3);
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx, sy;
            switch (o) {
            case 2:
                sx = w - 1 - x;
                sy = y;
                break;
            case 3:
                sx = w - 1 - x;
                sy = h - 1 - y;
                break;
            case 4:
                sx = x;
                sy = h - 1 - y;
                break;
            case 5:
                sx = y;
                sy = x;
                break;
            case 6:
                sx = y;
                sy = h - 1 - x;
                break;
            case 7:
                sx = w - 1 - y;
                sy = h - 1 - x;
                break;
            default:
                sx = w - 1 - y;
                sy = x;
                break; /* 8 */
            }
            memcpy(out + ((size_t)y * ow + x) * 3, img->rgb + ((size_t)sy * w + sx) * 3, 3);
        }
    free(img->rgb);
    img->rgb = out;
    img->width = ow;
    img->height = oh;
}

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
};

static void jpeg_fail_exit(j_common_ptr cinfo)
{
    struct jpeg_fail *f = (struct jpeg_fail *)cinfo->err;
    longjmp(f->jmp, 1);
}

static void jpeg_quiet(j_common_ptr cinfo, int level)
{
    (void)cinfo;
    (void)level;
}

static int decode_jpeg(const uint8_t *data, size_t len, struct face_image *img)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail fail;
    uint8_t *volatile rgb = NULL;
    volatile int rc = -EINVAL;
    cinfo.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_fail_exit;
    fail.mgr.emit_message = jpeg_quiet;
    jpeg_create_decompress(&cinfo);
    if (setjmp(fail.jmp))
        goto out;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    int orientation = 1;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != NULL; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && orientation == 1)
            orientation = exif_orientation(m->data, m->data_length);
    cinfo.out_color_space = JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    if (cinfo.image_width == 0 || cinfo.image_height == 0 ||
        (size_t)cinfo.image_width * cinfo.image_height > FACE_IMAGE_MAX_PIXELS)
        goto out;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != 3)
        goto out;
    size_t stride = (size_t)cinfo.output_width * 3;
    rgb = zk_malloc(stride * cinfo.output_height);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = rgb + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    img->width = (int)cinfo.output_width;
    img->height = (int)cinfo.output_height;
    img->rgb = rgb;
    rgb = NULL;
    apply_orientation(img, orientation);
    rc = 0;
out:
    jpeg_destroy_decompress(&cinfo);
    free(rgb);
    return rc;
}

int face_image_decode(const void *data, size_t len, struct face_image *img)
{
    const uint8_t *p = data;
    if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        return decode_png(p, len, img);
    if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return decode_jpeg(p, len, img);
    return -ENOTSUP;
}

int face_image_load(const char *path, struct face_image *img)
{
    int rc;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = -errno;
        goto out;
    }
    long size = ftell(f);
    if (size <= 0 || size > (256L << 20) || fseek(f, 0, SEEK_SET) != 0) {
        rc = size == 0 ? -EINVAL : -EFBIG;
        goto out;
    }
    buf = zk_malloc((size_t)size);
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        rc = -EIO;
        goto out;
    }
    rc = face_image_decode(buf, (size_t)size, img);
out:
    free(buf);
    fclose(f);
    return rc;
}

void face_image_free(struct face_image *img)
{
    free(img->rgb);
    img->rgb = NULL;
    img->width = img->height = 0;
}
