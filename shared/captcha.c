/*
 * captcha.c - captcha answers and cairo-drawn images (see captcha.h).
 */
#include "captcha.h"
#include "alloc.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char captcha_alphabet[] = "ACDEFGHJKLMNPQRTUVWXY34679";

void captcha_answer(char out[CAPTCHA_MAX + 1])
{
    int n = 4 + (int)randombytes_uniform(2);
    for (int i = 0; i < n; i++)
        out[i] = captcha_alphabet[randombytes_uniform(sizeof(captcha_alphabet) - 1)];
    out[n] = '\0';
}

int captcha_normalise(const char *typed, char out[CAPTCHA_MAX + 1])
{
    size_t n = strlen(typed);
    if (n < 4 || n > CAPTCHA_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = (char)toupper((unsigned char)typed[i]);
        if (!isalnum((unsigned char)c))
            return -1;
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

/* A small deterministic generator for the drawing (xorshift32). */
static double captcha_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (double)(*s & 0xffffff) / (double)0x1000000;
}

struct png_sink {
    unsigned char *data;
    size_t len, cap;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
    struct png_sink *s = closure;
    if (s->len + length > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->len + length)
            cap *= 2;
        s->data = zk_realloc(s->data, cap);
        s->cap = cap;
    }
    memcpy(s->data + s->len, data, length);
    s->len += length;
    return CAIRO_STATUS_SUCCESS;
}

int captcha_render(const char *answer, uint32_t seed, unsigned char **png, size_t *len)
{
    const int w = 130, h = 44;
    uint32_t s = seed ? seed : 0x9e3779b9u;
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(surf);
    int rc = 0;
    /* Pale background with a gradient so that thresholding is not trivial. */
    cairo_pattern_t *bg = cairo_pattern_create_linear(0, 0, w, h);
    cairo_pattern_add_color_stop_rgb(bg, 0, 0.93 + 0.05 * captcha_rand(&s), 0.95, 0.90);
    cairo_pattern_add_color_stop_rgb(bg, 1, 0.88, 0.92 + 0.05 * captcha_rand(&s), 0.97);
    cairo_set_source(cr, bg);
    cairo_paint(cr);
    cairo_pattern_destroy(bg);
    /* Specks. */
    for (int i = 0; i < 120; i++) {
        cairo_set_source_rgb(cr, captcha_rand(&s), captcha_rand(&s), captcha_rand(&s));
        cairo_rectangle(cr, captcha_rand(&s) * w, captcha_rand(&s) * h, 1.2, 1.2);
        cairo_fill(cr);
    }
    /* Glyphs, each with its own size, angle, offset and dark colour. */
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    size_t n = strlen(answer);
    double step = (w - 16.0) / (double)n;
    for (size_t i = 0; i < n; i++) {
        char glyph[2] = {answer[i], '\0'};
        cairo_save(cr);
        cairo_set_font_size(cr, 22 + 6 * captcha_rand(&s));
        cairo_translate(cr, 9 + step * (double)i + 4 * captcha_rand(&s),
                        33 + 6 * (captcha_rand(&s) - 0.5));
        cairo_rotate(cr, (captcha_rand(&s) - 0.5) * 0.9);
        cairo_scale(cr, 0.8 + 0.4 * captcha_rand(&s), 1.0);
        cairo_set_source_rgb(cr, 0.45 * captcha_rand(&s), 0.1 + 0.3 * captcha_rand(&s),
                             0.2 + 0.4 * captcha_rand(&s));
        cairo_show_text(cr, glyph);
        cairo_restore(cr);
    }
    /* Curves across the text, in the text's own colours. */
    for (int i = 0; i < 3; i++) {
        cairo_set_source_rgb(cr, 0.5 * captcha_rand(&s), 0.3 * captcha_rand(&s),
                             0.5 * captcha_rand(&s));
        cairo_set_line_width(cr, 1.2 + captcha_rand(&s));
        cairo_move_to(cr, 0, h * captcha_rand(&s));
        cairo_curve_to(cr, w * 0.3, h * captcha_rand(&s), w * 0.7, h * captcha_rand(&s), w,
                       h * captcha_rand(&s));
        cairo_stroke(cr);
    }
    cairo_surface_flush(surf);
    struct png_sink sink = {0};
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_write_to_png_stream(surf, png_write, &sink) != CAIRO_STATUS_SUCCESS) {
        free(sink.data);
        rc = -EIO;
    } else {
        *png = sink.data;
        *len = sink.len;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return rc;
}

void captcha_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
