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

/* Room along the edges kept free of glyph ink, in CSS pixels. */
#define CAPTCHA_MARGIN 3.0

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

/* One glyph as placed in the picture: where and how its text is drawn. */
struct captcha_glyph {
    char text[2];
    double size;      /* font size, in CSS pixels */
    cairo_matrix_t m; /* from the glyph's own space to the picture's */
    double r, g, b;
};

/* Selects the captcha's font on cr, unhinted, so that ink extents are exact. */
static void captcha_font(cairo_t *cr)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

/*
 * Places each glyph of answer in its own slot, with its own size, angle,
 * width, offset and dark colour drawn from *s, and so that its ink (the box
 * round its outline, turned and stretched) stays CAPTCHA_MARGIN inside the
 * picture: a glyph that would not fit is drawn smaller. Returns the count.
 */
static size_t captcha_layout(cairo_t *cr, const char *answer, uint32_t *s,
                             struct captcha_glyph g[CAPTCHA_MAX])
{
    const double w = CAPTCHA_CSS_WIDTH, h = CAPTCHA_CSS_HEIGHT, m = CAPTCHA_MARGIN;
    size_t n = strnlen(answer, CAPTCHA_MAX);
    double step = (w - 2 * m) / (double)n;
    for (size_t i = 0; i < n; i++) {
        g[i].text[0] = answer[i];
        g[i].text[1] = '\0';
        g[i].size = 22 + 6 * captcha_rand(s);
        double angle = (captcha_rand(s) - 0.5) * 0.9;
        double stretch = 0.8 + 0.4 * captcha_rand(s);
        double jx = captcha_rand(s), jy = captcha_rand(s);
        g[i].r = 0.45 * captcha_rand(s);
        g[i].g = 0.1 + 0.3 * captcha_rand(s);
        g[i].b = 0.2 + 0.4 * captcha_rand(s);
        cairo_text_extents_t e;
        cairo_set_font_size(cr, g[i].size);
        cairo_text_extents(cr, g[i].text, &e);
        /* The ink box turned by angle: its width and height in the picture. */
        double c = fabs(cos(angle)), sn = fabs(sin(angle));
        double bw = stretch * e.width * c + e.height * sn;
        double bh = stretch * e.width * sn + e.height * c;
        /* Fits the height and its slot, so that neighbours barely overlap. */
        double k = fmin(1.0, fmin((h - 2 * m) / bh, step / bw));
        bw *= k;
        bh *= k;
        double cx = m + step * ((double)i + 0.5) + (jx - 0.5) * 0.2 * step;
        cx = fmax(m + bw / 2, fmin(w - m - bw / 2, cx));
        double cy = h / 2 + (2 * jy - 1) * fmin(5.0, (h - 2 * m - bh) / 2);
        /* Centre of the ink on (cx, cy), turned, stretched and shrunk by k. */
        cairo_matrix_init_translate(&g[i].m, cx, cy);
        cairo_matrix_rotate(&g[i].m, angle);
        cairo_matrix_scale(&g[i].m, stretch * k, k);
        cairo_matrix_translate(&g[i].m, -(e.x_bearing + e.width / 2),
                               -(e.y_bearing + e.height / 2));
    }
    return n;
}

/* Draws one placed glyph on cr. */
static void captcha_draw_glyph(cairo_t *cr, const struct captcha_glyph *g)
{
    cairo_save(cr);
    cairo_transform(cr, &g->m);
    cairo_set_font_size(cr, g->size);
    cairo_set_source_rgb(cr, g->r, g->g, g->b);
    cairo_move_to(cr, 0, 0);
    cairo_show_text(cr, g->text);
    cairo_restore(cr);
}

/* A context drawing in CSS pixels on surf, with the captcha's font. */
static cairo_t *captcha_context(cairo_surface_t *surf)
{
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, CAPTCHA_SCALE, CAPTCHA_SCALE);
    captcha_font(cr);
    return cr;
}

int captcha_render(const char *answer, uint32_t seed, unsigned char **png, size_t *len)
{
    const double w = CAPTCHA_CSS_WIDTH, h = CAPTCHA_CSS_HEIGHT;
    uint32_t s = seed ? seed : 0x9e3779b9u;
    cairo_surface_t *surf =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
    cairo_t *cr = captcha_context(surf);
    int rc = 0;
    struct captcha_glyph g[CAPTCHA_MAX];
    size_t n = captcha_layout(cr, answer, &s, g);
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
    for (size_t i = 0; i < n; i++)
        captcha_draw_glyph(cr, &g[i]);
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

int captcha_glyph_ink(const char *answer, uint32_t seed, size_t index, unsigned char *ink)
{
    uint32_t s = seed ? seed : 0x9e3779b9u;
    if (index >= strnlen(answer, CAPTCHA_MAX))
        return -EINVAL;
    cairo_surface_t *surf =
        cairo_image_surface_create(CAIRO_FORMAT_A8, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
    cairo_t *cr = captcha_context(surf);
    int rc = 0;
    struct captcha_glyph g[CAPTCHA_MAX];
    captcha_layout(cr, answer, &s, g);
    captcha_draw_glyph(cr, &g[index]);
    cairo_surface_flush(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = -EIO;
        goto out;
    }
    const unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int y = 0; y < CAPTCHA_HEIGHT; y++)
        memcpy(ink + (size_t)y * CAPTCHA_WIDTH, data + (size_t)y * (size_t)stride, CAPTCHA_WIDTH);
out:
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return rc;
}

void captcha_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
