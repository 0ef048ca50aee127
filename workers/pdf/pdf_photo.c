/*
 * pdf_photo.c - the candidate's photo: strict decoding of JPEG (libjpeg)
 * and PNG (cairo/libpng), and what goes into the PDF.
 *
 * A photo that is missing, truncated or corrupt is an error with a
 * sentence saying so, never a blank or half-grey box on an archived form.
 * A JPEG of a sensible size is embedded as it came (DCTDecode, no
 * recompression); anything larger than PHOTO_MAX_W x PHOTO_MAX_H or
 * PHOTO_MAX_BYTES, and every PNG, is scaled to fit those bounds and
 * re-encoded as a JPEG (quality PHOTO_QUALITY) so a 2 MB upload does not
 * become a 2 MB form. libjpeg's encoder is deterministic, so the output
 * stays byte-identical for identical input.
 */
#include "pdf_internal.h"

#include "alloc.h"

#include <errno.h>
#include <jerror.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHOTO_MAX_W      600
#define PHOTO_MAX_H      800
#define PHOTO_MAX_BYTES  (160 * 1024)
#define PHOTO_QUALITY    88
#define PHOTO_MAX_PIXELS (64u * 1024 * 1024) /* refuse decompression bombs */

/* libjpeg reports fatal errors through error_exit (we longjmp out) and
 * damaged data through warnings (it would go on and fill grey): both fail. */
struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
    int damaged;
};

static void jpeg_err_exit(j_common_ptr c)
{
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jmp, 1);
}

static void jpeg_err_emit(j_common_ptr c, int level)
{
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    if (level >= 0 || e->damaged)
        return; /* trace messages; keep the first warning */
    switch (c->err->msg_code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_EXTRANEOUS_DATA:
        c->err->format_message(c, e->msg);
        e->damaged = 1;
        break;
    default:
        break;
    }
}

static void photo_error(char *err, size_t errsz, const char *fmt, const char *detail)
{
    snprintf(err, errsz, fmt, detail);
}

/* Decodes a whole JPEG (every coefficient is entropy-decoded, so truncation
 * and corruption show) into a new RGB24 surface *out, shrunk by libjpeg by a
 * power of two up to 1/8 while it stays at least min_w x min_h. *w and *h
 * get the image's full size. */
static int jpeg_decode(const unsigned char *bytes, size_t len, cairo_surface_t **out, int min_w,
                       int min_h, int *w, int *h, char *err, size_t errsz)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err jerr;
    /* volatile: assigned between setjmp and a possible longjmp */
    cairo_surface_t *volatile surface = NULL;
    volatile int rc = 0;

    memset(&jerr, 0, sizeof(jerr));
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_err_exit;
    jerr.mgr.emit_message = jpeg_err_emit;
    if (setjmp(jerr.jmp)) {
        photo_error(err, errsz, "photo cannot be decoded as JPEG (%s)", jerr.msg);
        rc = -EBADMSG;
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        photo_error(err, errsz, "photo is a %s JPEG; upload an RGB (colour) photo", "CMYK");
        rc = -ENOTSUP;
        goto done;
    }
    if ((size_t)cinfo.image_width * cinfo.image_height > PHOTO_MAX_PIXELS) {
        photo_error(err, errsz, "photo has too many pixels%s", "");
        rc = -EBADMSG;
        goto done;
    }
    *w = (int)cinfo.image_width;
    *h = (int)cinfo.image_height;
    cinfo.out_color_space = JCS_EXT_BGRX; /* cairo RGB24 byte order, little-endian */
    cinfo.scale_num = 1;
    cinfo.scale_denom = 8;
    while (cinfo.scale_denom > 1 && ((int)cinfo.image_width / (int)cinfo.scale_denom < min_w ||
                                     (int)cinfo.image_height / (int)cinfo.scale_denom < min_h))
        cinfo.scale_denom /= 2;
    jpeg_start_decompress(&cinfo);
    surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)cinfo.output_width,
                                         (int)cinfo.output_height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        photo_error(err, errsz, "photo too large to decode (%s)",
                    cairo_status_to_string(cairo_surface_status(surface)));
        rc = -EBADMSG;
        goto done;
    }
    cairo_surface_flush(surface);
    unsigned char *px = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = px + (size_t)cinfo.output_scanline * (size_t)stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    cairo_surface_mark_dirty(surface);
    if (jerr.damaged) {
        photo_error(err, errsz, "photo is a damaged or truncated JPEG (%s)", jerr.msg);
        rc = -EBADMSG;
    }
done:
    jpeg_destroy_decompress(&cinfo);
    if (rc < 0 && surface) {
        cairo_surface_destroy(surface);
        surface = NULL;
    }
    *out = surface;
    return rc;
}

/* Encodes an RGB24 surface as a baseline JPEG; *jpeg is malloc'd. */
static int jpeg_encode(cairo_surface_t *s, unsigned char **jpeg, size_t *len, char *err,
                       size_t errsz)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_err jerr;
    unsigned char *volatile mem = NULL;
    unsigned long mem_len = 0;
    volatile int rc = 0;

    memset(&jerr, 0, sizeof(jerr));
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_err_exit;
    if (setjmp(jerr.jmp)) {
        photo_error(err, errsz, "photo could not be re-encoded (%s)", jerr.msg);
        rc = -EBADMSG;
        goto done;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&mem, &mem_len);
    cinfo.image_width = (JDIMENSION)cairo_image_surface_get_width(s);
    cinfo.image_height = (JDIMENSION)cairo_image_surface_get_height(s);
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_EXT_BGRX;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, PHOTO_QUALITY, TRUE);
    cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&cinfo, TRUE);
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = px + (size_t)cinfo.next_scanline * (size_t)stride;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
done:
    jpeg_destroy_compress(&cinfo);
    if (rc < 0) {
        free(mem);
        mem = NULL;
        mem_len = 0;
    }
    *jpeg = mem;
    *len = mem_len;
    return rc;
}

struct png_src {
    const unsigned char *p;
    size_t left;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int len)
{
    struct png_src *s = closure;
    if (len > s->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, s->p, len);
    s->p += len;
    s->left -= len;
    return CAIRO_STATUS_SUCCESS;
}

/* Draws src onto white in a new RGB24 surface no larger than the bounds
 * (transparency becomes white, as on paper). */
static cairo_surface_t *flatten_fit(cairo_surface_t *src)
{
    int w = cairo_image_surface_get_width(src), h = cairo_image_surface_get_height(src);
    double k = 1.0;
    if (w > PHOTO_MAX_W)
        k = (double)PHOTO_MAX_W / w;
    if (h * k > PHOTO_MAX_H)
        k = (double)PHOTO_MAX_H / h;
    int ow = (int)(w * k + 0.5), oh = (int)(h * k + 0.5);
    if (ow < 1)
        ow = 1;
    if (oh < 1)
        oh = 1;
    cairo_surface_t *dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ow, oh);
    cairo_t *cr = cairo_create(dst);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, (double)ow / w, (double)oh / h);
    cairo_set_source_surface(cr, src, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_destroy(cr);
    return dst;
}

int pdf_image_load(const unsigned char *bytes, size_t len, struct pdf_image *img, char *err,
                   size_t errsz)
{
    static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    cairo_surface_t *decoded = NULL;
    int rc = 0, w = 0, h = 0;

    memset(img, 0, sizeof(*img));
    if (bytes == NULL || len == 0) {
        photo_error(err, errsz, "photo is missing: the %s needs the candidate's photo", "document");
        return -ENODATA;
    }
    if (len >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) {
        /* A 1/8-scale decode validates the whole file cheaply and gives the
         * surface that carries the JPEG: cairo's PDF backend embeds the
         * attached JPEG (its own pixel size) and maps it onto the surface's
         * extents, never reading these pixels. A full-size carrier would
         * cost a 1.2 MB copy when cairo detaches its snapshot. */
        if ((rc = jpeg_decode(bytes, len, &decoded, 0, 0, &w, &h, err, errsz)) < 0)
            return rc;
        if (w <= PHOTO_MAX_W && h <= PHOTO_MAX_H && len <= PHOTO_MAX_BYTES) {
            /* As it came. The caller's bytes outlive the render: no copy. */
            img->surface = decoded;
            cairo_surface_set_mime_data(img->surface, CAIRO_MIME_TYPE_JPEG, bytes, len, NULL, NULL);
            img->width = w;
            img->height = h;
            return 0;
        }
        cairo_surface_destroy(decoded);
        if ((rc = jpeg_decode(bytes, len, &decoded, PHOTO_MAX_W, PHOTO_MAX_H, &w, &h, err, errsz)) <
            0)
            return rc;
    } else if (len >= 8 && memcmp(bytes, png_magic, 8) == 0) {
        struct png_src src = {bytes, len};
        decoded = cairo_image_surface_create_from_png_stream(png_read, &src);
        if (cairo_surface_status(decoded) != CAIRO_STATUS_SUCCESS) {
            photo_error(err, errsz, "photo cannot be decoded as PNG (%s)",
                        cairo_status_to_string(cairo_surface_status(decoded)));
            cairo_surface_destroy(decoded);
            return -EBADMSG;
        }
    } else {
        photo_error(err, errsz, "photo is neither a JPEG nor a PNG file%s", "");
        return -EBADMSG;
    }

    /* Too large, or PNG: scale into bounds and re-encode. */
    size_t jlen = 0;
    img->surface = flatten_fit(decoded);
    cairo_surface_destroy(decoded);
    if ((rc = jpeg_encode(img->surface, &img->jpeg, &jlen, err, errsz)) < 0) {
        pdf_image_free(img);
        return rc;
    }
    cairo_surface_set_mime_data(img->surface, CAIRO_MIME_TYPE_JPEG, img->jpeg, jlen, NULL, NULL);
    img->width = cairo_image_surface_get_width(img->surface);
    img->height = cairo_image_surface_get_height(img->surface);
    return 0;
}

void pdf_image_free(struct pdf_image *img)
{
    if (img->surface)
        cairo_surface_destroy(img->surface);
    free(img->jpeg);
    memset(img, 0, sizeof(*img));
}

void pdf_image_draw(struct pdf_doc *d, const struct pdf_image *img, double x, double y, double w,
                    double h)
{
    if (d->cr == NULL)
        return;
    double k = w / img->width;
    if (img->height * k > h)
        k = h / img->height;
    double dw = img->width * k, dh = img->height * k;
    /* The carrier surface may be smaller than the image (see above). */
    int cw = cairo_image_surface_get_width(img->surface);
    int ch = cairo_image_surface_get_height(img->surface);
    cairo_save(d->cr);
    cairo_translate(d->cr, x + (w - dw) / 2, y + (h - dh) / 2);
    cairo_scale(d->cr, dw / cw, dh / ch);
    cairo_set_source_surface(d->cr, img->surface, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(d->cr), CAIRO_FILTER_GOOD);
    cairo_paint(d->cr);
    cairo_restore(d->cr);
}
