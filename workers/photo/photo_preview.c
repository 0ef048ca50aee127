/*
 * photo_preview.c - the annotated preview: the photo (as the rules saw it)
 * with the measured hair line, eye line, face-width lines, face centre and
 * ID card outline drawn over it, green where the rule passed and red where
 * it failed, and the allowed positions as thin dashed yellow lines, so a
 * candidate sees at a glance what to move. Encoded as PNG by libvips.
 */
#include "photo_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <vips/vips.h>

static const uint8_t GREEN[3] = {0, 200, 60};
static const uint8_t RED[3] = {230, 20, 20};
static const uint8_t YELLOW[3] = {255, 210, 0};

struct canvas {
    uint8_t *rgb;
    int w, h;
    double scale; /* photo px per canvas px */
};

static void plot(struct canvas *c, int x, int y, const uint8_t col[3])
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    memcpy(c->rgb + ((size_t)y * c->w + x) * 3, col, 3);
}

/* A line between two points in photo pixels; dashed lines skip every
 * other 6-pixel run. */
static void line(struct canvas *c, double px0, double py0, double px1, double py1,
                 const uint8_t col[3], int thick, bool dashed)
{
    double x0 = px0 / c->scale, y0 = py0 / c->scale, x1 = px1 / c->scale, y1 = py1 / c->scale;
    double len = hypot(x1 - x0, y1 - y0);
    int n = (int)ceil(len) + 1;
    if (n > 100000)
        return;
    for (int i = 0; i <= n; i++) {
        if (dashed && (i / 6) % 2 == 1)
            continue;
        double t = n > 0 ? (double)i / n : 0;
        int x = (int)lround(x0 + t * (x1 - x0)), y = (int)lround(y0 + t * (y1 - y0));
        for (int dy = 0; dy < thick; dy++)
            for (int dx = 0; dx < thick; dx++)
                plot(c, x + dx - thick / 2, y + dy - thick / 2, col);
    }
}

static const struct photo_verdict_rec *find(const struct photo_result *res, enum photo_rule r)
{
    for (int i = 0; i < res->nverdicts; i++)
        if (res->verdicts[i].rule == r)
            return &res->verdicts[i];
    return NULL;
}

static const uint8_t *colour_of(const struct photo_result *res, enum photo_rule r)
{
    const struct photo_verdict_rec *v = find(res, r);
    return v != NULL && v->verdict == PHOTO_PASSED ? GREEN : RED;
}

static void band_h(struct canvas *c, const struct photo_range *r, double W)
{
    if (r->has_lo)
        line(c, 0, r->lo, W - 1, r->lo, YELLOW, 1, true);
    if (r->has_hi)
        line(c, 0, r->hi, W - 1, r->hi, YELLOW, 1, true);
}

static void annotate(struct canvas *c, const struct photo_spec *spec,
                     const struct photo_result *res)
{
    const struct photo_geometry *g = &res->geo;
    double W = c->w * c->scale, H = c->h * c->scale;
    int thick = c->w >= 600 ? 3 : 2;
    double fl = g->has_face_width ? g->face_left : W * 0.25;
    double fr = g->has_face_width ? g->face_right : W * 0.75;
    if (g->has_head_top) {
        band_h(c, &spec->head_top, W);
        line(c, fl, g->head_top, fr, g->head_top, colour_of(res, PHOTO_RULE_HEAD_TOP), thick,
             false);
    }
    if (g->has_eye_line) {
        band_h(c, &spec->eye_line, W);
        line(c, fl, g->eye_line, fr, g->eye_line, colour_of(res, PHOTO_RULE_EYE_LINE), thick,
             false);
    }
    if (g->has_face_width) {
        double y0 = g->has_eye_line ? g->eye_line - (fr - fl) * 0.4 : H * 0.25;
        double y1 = g->has_eye_line ? g->eye_line + (fr - fl) * 0.7 : H * 0.75;
        const uint8_t *col = colour_of(res, PHOTO_RULE_FACE_WIDTH);
        line(c, fl, y0, fl, y1, col, thick, false);
        line(c, fr, y0, fr, y1, col, thick, false);
        double mid = (fl + fr) / 2, ty = y1 + 4 * c->scale;
        if (spec->face_width.has_lo)
            line(c, mid - spec->face_width.lo / 2, ty, mid + spec->face_width.lo / 2, ty, YELLOW, 1,
                 true);
        if (spec->face_width.has_hi)
            line(c, mid - spec->face_width.hi / 2, ty + 3 * c->scale, mid + spec->face_width.hi / 2,
                 ty + 3 * c->scale, YELLOW, 1, true);
        /* Face centre against the frame's centre line. */
        if (find(res, PHOTO_RULE_FACE_CENTRE) != NULL) {
            line(c, W / 2, 0, W / 2, H - 1, YELLOW, 1, true);
            line(c, mid, y0, mid, y1, colour_of(res, PHOTO_RULE_FACE_CENTRE), 1, false);
        }
    }
    if (g->has_card) {
        const struct photo_verdict_rec *o = find(res, PHOTO_RULE_CARD_OUTLINE);
        const struct photo_verdict_rec *k = find(res, PHOTO_RULE_CARD_CORNERS);
        bool ok =
            o != NULL && o->verdict == PHOTO_PASSED && k != NULL && k->verdict == PHOTO_PASSED;
        for (int i = 0; i < 4; i++) {
            struct photo_point a = g->card[i], b = g->card[(i + 1) % 4];
            line(c, a.x, a.y, b.x, b.y, ok ? GREEN : RED, thick, false);
        }
    }
}

int photo_preview_png(const struct photo_spec *spec, const void *data, size_t len,
                      const struct photo_result *res, void **png, size_t *pnglen)
{
    *png = NULL;
    *pnglen = 0;
    struct photo_probe probe;
    if (photo_probe(data, len, &probe) < 0 ||
        (double)probe.width * probe.height > (double)spec->max_pixels)
        return -EINVAL;
    struct photo_image img;
    char why[PHOTO_MESSAGE_MAX];
    if (photo_decode(spec, data, len, &probe, &img, why, sizeof(why)) < 0)
        return -EINVAL;
    struct canvas c = {img.rgb, img.w, img.h, img.scale};
    annotate(&c, spec, res);
    int rc = -EINVAL;
    VipsImage *v = vips_image_new_from_memory(img.rgb, (size_t)img.w * img.h * 3, img.w, img.h, 3,
                                              VIPS_FORMAT_UCHAR);
    if (v != NULL) {
        if (vips_pngsave_buffer(v, png, pnglen, "compression", 6, NULL) == 0)
            rc = 0;
        g_object_unref(v);
    }
    if (rc < 0)
        vips_error_clear();
    photo_image_free(&img);
    return rc;
}
