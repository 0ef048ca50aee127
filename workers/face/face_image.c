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
    jpeg_read_header(&cinfo, TRUE);
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
