/*
 * realistic.c - renders the realistic photo set (realistic.h): scenes in
 * linear light, photographed the way a phone does it.
 *
 * A portrait is a wall (a paint, optionally a pattern, objects or a digital
 * border), lit by one exposure with a gradient across it (light from a
 * window), a soft shadow of the person on it, and the lens's vignetting;
 * in front of it a person: shoulders in clothes, a neck, hair, and a real
 * head cut from one of the kit's group pictures (testdata/faces/bbt*.jpg)
 * with a feathered ellipse. The camera adds a white-balance error (a warm or
 * cool drift and a green/magenta tint) to everything, sensor noise, a
 * slight lens softness, and saves a baseline 4:2:0 JPEG at quality 70-95
 * (Tianjin: 480x640 at the quality that lands the file in 24-38 KB, as the
 * candidate's tool would).
 *
 * The labels come from the scene, never from measuring the picture:
 *   Shanxi (handbook: light blue, white or light grey background, no border,
 *   text or pattern): compliant paints are white (L* 90-98, chroma <= 4),
 *   light grey (L* 72-89, chroma <= 4), light blue (L* 66-84, chroma 18-42,
 *   hue 245-280) and ID-photo blue (L* 52-62, chroma 40-50, hue 264-280),
 *   photographed with a white-balance drift of up to +-0.10 in log R/B gain,
 *   exposure 0.65-1.10, vignetting up to 35 %, a gradient up to 20 % and a
 *   shadow up to 35 % deep. Non-compliant: dark paints (L* <= 45) and
 *   strongly coloured ones (chroma >= 28, hue outside 215-300), plain; and
 *   allowed paints with stripes, tiles, dots, brick, shelves, a poster, a
 *   door frame or a digital border (contrast 12-40 ΔE) - uniformity must
 *   fail those. Mid greys (L* 46-71), pale tints and faint patterns are in
 *   neither class: the handbook gives no verdict we could test against.
 *   Tianjin (handbook: light blue, reference RGB 100,197,255): the wall as
 *   photographed (paint x exposure x white balance, before vignetting and
 *   shadow) within ΔE76 10 of the reference is compliant; 20-35 away, or
 *   white, grey, dark or coloured, is not (the exposure is raised when a
 *   dim one could not show such a blue from any paint).
 * Coverage scenes: a room in a wide picture (740x418 and other 16:9 sizes)
 * with a person whose face is 16-44 px wide; a mirror selfie (the person
 * mirrored, behind glass that hazes, tints and softens, with a highlight
 * and the phone in front of the chest); rooms and walls with no one.
 */
#include "realistic.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* ---- random numbers: splitmix64, the same on every platform ---- */

struct rl_rng {
    uint64_t s;
};

static uint64_t rng_next(struct rl_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double u01(struct rl_rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static double urange(struct rl_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * u01(r);
}

static int upick(struct rl_rng *r, int n)
{
    return (int)(u01(r) * n) % n;
}

static double gauss(struct rl_rng *r)
{
    double u = u01(r), v = u01(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

/* ---- colour ---- */

static double srgb_to_lin(double v) /* 0..255 -> 0..1 */
{
    v /= 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double lin_to_srgb_exact(double v) /* 0..1 -> 0..255, unclamped above */
{
    v = v < 0 ? 0 : v;
    return 255.0 * (v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1.0 / 2.4) - 0.055);
}

/* Tables: sRGB levels to linear, and linear (0..2 in 8192 steps, interpolated) to sRGB. */
#define LIN_STEPS 8192
static double lut_lin[256], lut_srgb[LIN_STEPS + 2];

static void luts_init(void)
{
    if (lut_srgb[LIN_STEPS] != 0)
        return;
    for (int i = 0; i < 256; i++)
        lut_lin[i] = srgb_to_lin(i);
    for (int i = 0; i <= LIN_STEPS + 1; i++)
        lut_srgb[i] = lin_to_srgb_exact(2.0 * i / LIN_STEPS);
}

static double lin_to_srgb(double v)
{
    if (v <= 0)
        return 0;
    if (v >= 2.0)
        return lin_to_srgb_exact(v);
    double t = v * (LIN_STEPS / 2.0);
    int i = (int)t;
    return lut_srgb[i] + (lut_srgb[i + 1] - lut_srgb[i]) * (t - i);
}

static double lab_f(double t)
{
    return t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

static void lin_to_lab(const double c[3], double lab[3])
{
    double x = (0.4124564 * c[0] + 0.3575761 * c[1] + 0.1804375 * c[2]) / 0.95047;
    double y = 0.2126729 * c[0] + 0.7151522 * c[1] + 0.0721750 * c[2];
    double z = (0.0193339 * c[0] + 0.1191920 * c[1] + 0.9503041 * c[2]) / 1.08883;
    double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    lab[0] = 116.0 * fy - 16.0;
    lab[1] = 500.0 * (fx - fy);
    lab[2] = 200.0 * (fy - fz);
}

static double lab_finv(double t)
{
    return t * t * t > 216.0 / 24389.0 ? t * t * t : (116.0 * t - 16.0) * 27.0 / 24389.0;
}

/* Lab (D65) to linear sRGB; false when outside the gamut (c is then clamped). */
static bool lab_to_lin(const double lab[3], double c[3])
{
    double fy = (lab[0] + 16.0) / 116.0, fx = fy + lab[1] / 500.0, fz = fy - lab[2] / 200.0;
    double x = 0.95047 * lab_finv(fx), y = lab_finv(fy), z = 1.08883 * lab_finv(fz);
    c[0] = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
    c[1] = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
    c[2] = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
    bool in = true;
    for (int k = 0; k < 3; k++) {
        if (c[k] < 0.0 || c[k] > 1.0)
            in = false;
        c[k] = c[k] < 0 ? 0 : c[k] > 1 ? 1 : c[k];
    }
    return in;
}

static void lch_to_lin(double L, double C, double hdeg, double c[3], bool *in_gamut)
{
    double lab[3] = {L, C * cos(hdeg * M_PI / 180.0), C * sin(hdeg * M_PI / 180.0)};
    *in_gamut = lab_to_lin(lab, c);
}

static void srgb8_to_lin(const double s[3], double c[3])
{
    for (int k = 0; k < 3; k++)
        c[k] = srgb_to_lin(s[k]);
}

static double de76(const double a[3], const double b[3])
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                (a[2] - b[2]) * (a[2] - b[2]));
}

/* ---- float images, linear RGB ---- */

struct fimg {
    int w, h;
    float *p;
};

static struct fimg fimg_new(int w, int h)
{
    struct fimg m = {w, h, calloc((size_t)w * h * 3, sizeof(float))};
    if (m.p == NULL)
        abort();
    return m;
}

/* One-channel mask. */
struct fmask {
    int w, h;
    float *p;
};

static struct fmask fmask_new(int w, int h)
{
    struct fmask m = {w, h, calloc((size_t)w * h, sizeof(float))};
    if (m.p == NULL)
        abort();
    return m;
}

/* Three box blurs of radius r approximate a Gaussian of sigma ~ r. */
static void fmask_blur(struct fmask *m, int r)
{
    if (r < 1)
        return;
    float *t = malloc(sizeof(float) * (size_t)(m->w > m->h ? m->w : m->h));
    for (int pass = 0; pass < 3; pass++) {
        for (int y = 0; y < m->h; y++) {
            float *row = m->p + (size_t)y * m->w;
            double acc = 0;
            int n = 0;
            for (int x = -r; x < m->w + r; x++) {
                int add = x + r, sub = x - r - 1;
                if (add < m->w) {
                    acc += row[add < 0 ? 0 : add];
                    n++;
                }
                if (sub >= 0) {
                    acc -= row[sub];
                    n--;
                }
                if (x >= 0 && x < m->w)
                    t[x] = (float)(acc / (n > 0 ? n : 1));
            }
            memcpy(row, t, sizeof(float) * (size_t)m->w);
        }
        for (int x = 0; x < m->w; x++) {
            double acc = 0;
            int n = 0;
            for (int y = -r; y < m->h + r; y++) {
                int add = y + r, sub = y - r - 1;
                if (add < m->h) {
                    acc += m->p[(size_t)add * m->w + x];
                    n++;
                }
                if (sub >= 0) {
                    acc -= m->p[(size_t)sub * m->w + x];
                    n--;
                }
                if (y >= 0 && y < m->h)
                    t[y] = (float)(acc / (n > 0 ? n : 1));
            }
            for (int y = 0; y < m->h; y++)
                m->p[(size_t)y * m->w + x] = t[y];
        }
    }
    free(t);
}

static float fmask_at(const struct fmask *m, double x, double y) /* bilinear, 0 outside */
{
    if (x < 0 || y < 0 || x > m->w - 1 || y > m->h - 1)
        return 0;
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < m->w ? x0 + 1 : x0,
        y1 = y0 + 1 < m->h ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const float *p = m->p;
    return (float)((1 - fx) * (1 - fy) * p[(size_t)y0 * m->w + x0] +
                   fx * (1 - fy) * p[(size_t)y0 * m->w + x1] +
                   (1 - fx) * fy * p[(size_t)y1 * m->w + x0] + fx * fy * p[(size_t)y1 * m->w + x1]);
}

/* ---- the kit's pictures ---- */

struct rl_picture {
    int w, h;
    uint8_t *rgb;
};

/* A head in a kit picture: jaw ends (landmarks 0 and 16), the top of the
 * brows and the chin, in its pixels; frontal heads serve portraits. */
struct rl_head {
    int pic; /* index into rl_pictures */
    double jaw_l, jaw_r, brow, chin;
    bool frontal;
};

static const char *const rl_pictures[] = {"bbt1.jpg", "bbt3.jpg", "bbt4.jpg", "bbt5.jpg"};
#define RL_NPICTURES 4

static const struct rl_head rl_heads[] = {
    {0, 997, 1099, 113, 208, true}, {0, 211, 308, 159, 254, true},  {0, 729, 820, 159, 250, true},
    {1, 30, 98, 46, 98, false},     {1, 153, 204, 105, 157, false}, {1, 257, 303, 119, 160, false},
    {1, 365, 420, 124, 177, false}, {1, 484, 552, 113, 172, false}, {2, 81, 167, 47, 140, true},
    {2, 232, 323, 68, 161, true},   {2, 575, 664, 95, 174, true},   {2, 53, 152, 283, 383, true},
    {2, 250, 345, 260, 344, true},  {2, 459, 565, 208, 300, true},  {3, 434, 532, 184, 265, true},
    {3, 213, 296, 56, 134, true},   {3, 571, 660, 71, 149, true},   {3, 705, 801, 117, 219, true},
    {3, 104, 199, 176, 273, false},
};
#define RL_NHEADS ((int)(sizeof(rl_heads) / sizeof(rl_heads[0])))

struct rl_sources {
    struct rl_picture pic[RL_NPICTURES];
};

struct rl_sources *rl_sources_load(const char *kit, char *err, size_t errsz)
{
    luts_init();
    struct rl_sources *s = calloc(1, sizeof(*s));
    for (int i = 0; i < RL_NPICTURES; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/testdata/faces/%s", kit, rl_pictures[i]);
        VipsImage *v = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        size_t size = 0;
        uint8_t *px = v != NULL && v->Bands == 3 ? vips_image_write_to_memory(v, &size) : NULL;
        if (px == NULL || size != (size_t)v->Xsize * v->Ysize * 3) {
            snprintf(err, errsz, "cannot read %s", path);
            g_free(px);
            if (v != NULL)
                g_object_unref(v);
            vips_error_clear();
            rl_sources_free(s);
            return NULL;
        }
        s->pic[i] = (struct rl_picture){v->Xsize, v->Ysize, px};
        g_object_unref(v);
    }
    return s;
}

void rl_sources_free(struct rl_sources *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < RL_NPICTURES; i++)
        g_free(s->pic[i].rgb);
    free(s);
}

/* Linear RGB of a picture at (x, y), bilinear, clamped to the edge. */
static void pic_at(const struct rl_picture *p, double x, double y, double c[3])
{
    x = x < 0 ? 0 : x > p->w - 1 ? p->w - 1 : x;
    y = y < 0 ? 0 : y > p->h - 1 ? p->h - 1 : y;
    int x0 = (int)x, y0 = (int)y, x1 = x0 + 1 < p->w ? x0 + 1 : x0,
        y1 = y0 + 1 < p->h ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    for (int k = 0; k < 3; k++) {
        double a = lut_lin[p->rgb[((size_t)y0 * p->w + x0) * 3 + k]];
        double b = lut_lin[p->rgb[((size_t)y0 * p->w + x1) * 3 + k]];
        double d = lut_lin[p->rgb[((size_t)y1 * p->w + x0) * 3 + k]];
        double e = lut_lin[p->rgb[((size_t)y1 * p->w + x1) * 3 + k]];
        c[k] = (1 - fx) * (1 - fy) * a + fx * (1 - fy) * b + (1 - fx) * fy * d + fx * fy * e;
    }
}

/* Mean linear colour of a picture's box. */
static void pic_mean(const struct rl_picture *p, double x0, double y0, double x1, double y1,
                     double c[3])
{
    double acc[3] = {0, 0, 0};
    int n = 0;
    for (int y = (int)y0; y < (int)y1; y++)
        for (int x = (int)x0; x < (int)x1; x++) {
            if (x < 0 || y < 0 || x >= p->w || y >= p->h)
                continue;
            for (int k = 0; k < 3; k++)
                acc[k] += srgb_to_lin(p->rgb[((size_t)y * p->w + x) * 3 + k]);
            n++;
        }
    for (int k = 0; k < 3; k++)
        c[k] = n ? acc[k] / n : 0.05;
}

/* ---- the scene ---- */

static double vnoise(uint32_t seed, double x, double y);

/* Where a person stands: a head of rl_heads scaled by s, the jaw's centre at
 * (cx, ...), the top of the hair at top; mirrored when flip. */
struct person {
    int head;
    double s, cx, top;
    bool flip;
    double shirt[3]; /* linear */
    double hair[3], skin[3];
    /* derived, output pixels */
    double fw, fh, brow_y, chin_y, head_cx, head_cy, head_rx, head_ry;
};

static void person_layout(struct person *p)
{
    const struct rl_head *h = &rl_heads[p->head];
    p->fw = (h->jaw_r - h->jaw_l) * p->s;
    p->fh = (h->chin - h->brow) * p->s;
    p->brow_y = p->top + 0.62 * p->fh;
    p->chin_y = p->brow_y + p->fh;
    p->head_cx = p->cx;
    p->head_rx = 0.58 * p->fw;
    p->head_ry = (p->chin_y + 0.04 * p->fh - p->top) / 2;
    p->head_cy = p->top + p->head_ry;
}

/* The person's parts, back to front. */
enum part { PART_TORSO, PART_NECK, PART_HAIR, PART_HEAD, PART_COUNT };

/* How much of part covers (x, y): 0..1, anti-aliased. */
static double person_part(const struct person *p, enum part part, double x, double y)
{
    switch (part) {
    case PART_HEAD: { /* the real pixels inside a feathered egg, narrower at the chin */
        double t = (y - p->head_cy) / p->head_ry;
        double rx = p->head_rx * (t > 0 ? 1.0 - 0.22 * t * t : 1.0);
        double d = hypot((x - p->head_cx) / rx, t);
        double feather = 3.0 / fmin(p->head_rx, p->head_ry) + 0.04;
        return d >= 1.0 ? 0.0 : d < 1.0 - feather ? 1.0 : (1.0 - d) / feather;
    }
    case PART_HAIR: { /* a mass behind the top and sides of the head, down to the ears */
        double d = hypot((x - p->head_cx) / (p->head_rx * 1.12),
                         (y - p->head_cy + 0.06 * p->fh) / (p->head_ry * 1.04));
        double e = 1.5 / fmin(p->head_rx, p->head_ry);
        double a = d >= 1.0 ? 0.0 : d < 1.0 - e ? 1.0 : (1.0 - d) / e;
        double fade = (y - (p->brow_y + 0.30 * p->fh)) / (0.15 * p->fh);
        return fade <= 0 ? a : fade >= 1 ? 0.0 : a * (1 - fade);
    }
    case PART_NECK: { /* tapering from the jaw to the collar */
        double top = p->chin_y - 0.2 * p->fh, bot = p->chin_y + 0.6 * p->fh;
        if (y < top || y > bot)
            return 0.0;
        double half = p->fw * (0.24 + 0.08 * (y - top) / (bot - top));
        return fmin(1.0, fmax(0.0, half - fabs(x - p->cx)));
    }
    case PART_TORSO: { /* a rounded trapezoid from the shoulders down */
        double sh = p->chin_y + 0.45 * p->fh;
        if (y < sh - 0.3 * p->fh)
            return 0.0;
        double t = (y - sh) / (2.5 * p->fh);
        double half = p->fw * (1.05 + 0.55 * fmin(fmax(t, 0.0), 1.0));
        double round = y < sh ? sqrt(fmax(0.0, 1.0 - pow((sh - y) / (0.3 * p->fh), 2))) : 1.0;
        return fmin(1.0, fmax(0.0, half * round - fabs(x - p->cx)));
    }
    case PART_COUNT:
        break;
    }
    return 0.0;
}

/* How much of the whole person covers (x, y). */
static double person_cover(const struct person *p, double x, double y)
{
    double a = 0;
    for (int k = 0; k < PART_COUNT; k++)
        a = fmax(a, person_part(p, (enum part)k, x, y));
    return a;
}

/* The person's linear colour at (x, y) for its part. */
static void person_colour(const struct rl_sources *src, const struct person *p, enum part part,
                          double x, double y, double c[3])
{
    const struct rl_head *h = &rl_heads[p->head];
    if (part == PART_HEAD) {
        double u = (x - p->cx) / p->s, v = (y - p->brow_y) / p->s;
        if (p->flip)
            u = -u;
        pic_at(&src->pic[h->pic], (h->jaw_l + h->jaw_r) / 2 + u, h->brow + v, c);
        return;
    }
    const double *base = part == PART_HAIR ? p->hair : part == PART_NECK ? p->skin : p->shirt;
    /* Clothes and the neck are darker at their edges (they turn away from the
     * light); hair has strands. */
    double d = fabs(x - p->cx) / (p->fw * (part == PART_NECK ? 0.3 : 1.6));
    double k = part == PART_HAIR
                   ? 1.0 + 0.35 * vnoise(7u, x / (0.02 * p->fw + 1), y / (0.08 * p->fw + 1))
                   : 1.0 - 0.35 * d * d;
    for (int i = 0; i < 3; i++)
        c[i] = base[i] * (k < 0.4 ? 0.4 : k);
}

static void person_pick(const struct rl_sources *src, struct rl_rng *r, bool frontal,
                        struct person *p)
{
    do
        p->head = upick(r, RL_NHEADS);
    while (frontal && !rl_heads[p->head].frontal);
    const struct rl_head *h = &rl_heads[p->head];
    const struct rl_picture *pic = &src->pic[h->pic];
    double fw = h->jaw_r - h->jaw_l, fh = h->chin - h->brow, cx = (h->jaw_l + h->jaw_r) / 2;
    pic_mean(pic, cx - 0.15 * fw, h->brow - 0.62 * fh, cx + 0.15 * fw, h->brow - 0.42 * fh,
             p->hair);
    pic_mean(pic, cx - 0.30 * fw, h->brow + 0.45 * fh, cx - 0.15 * fw, h->brow + 0.6 * fh, p->skin);
    for (int k = 0; k < 3; k++)
        p->skin[k] *= 0.85; /* the neck is in the chin's shade */
    static const double shirts[][3] = {{40, 44, 58},    {25, 25, 28},    {230, 230, 226},
                                       {70, 90, 130},   {150, 40, 45},   {60, 110, 70},
                                       {120, 120, 125}, {200, 180, 150}, {30, 50, 90}};
    srgb8_to_lin(shirts[upick(r, (int)(sizeof(shirts) / sizeof(shirts[0])))], p->shirt);
    p->flip = false;
}

/* How the picture is lit and taken. */
struct capture {
    double exposure;
    double wb[3];                   /* white-balance gains (linear) */
    double vig, vcx, vcy, vr;       /* vignetting: depth at radius vr around (vcx, vcy) */
    double grad, gdir;              /* gradient: +-grad across the frame, direction */
    double shadow, sdx, sdy, sblur; /* the person's shadow on the wall */
    double noise;                   /* sensor noise, sRGB levels */
    double soft;                    /* lens softness: blur radius in px (0: none) */
    int quality;
};

static void capture_pick(struct rl_rng *r, int W, int H, struct capture *c)
{
    c->exposure = urange(r, 0.65, 1.10);
    double t = urange(r, -0.10, 0.10), tint = urange(r, -0.03, 0.03);
    c->wb[0] = exp(t);
    c->wb[1] = exp(tint);
    c->wb[2] = exp(-t);
    c->vig = urange(r, 0.0, 0.35);
    c->vcx = W / 2.0 + urange(r, -0.1, 0.1) * W;
    c->vcy = H / 2.0 + urange(r, -0.1, 0.1) * H;
    c->vr = hypot(W, H) / 2.0 * urange(r, 1.0, 1.6);
    c->grad = urange(r, 0.0, 0.20);
    c->gdir = urange(r, 0, 2 * M_PI);
    c->shadow = urange(r, 0.0, 0.35);
    c->sdx = urange(r, -0.08, 0.08) * W;
    c->sdy = urange(r, 0.0, 0.05) * H;
    c->sblur = urange(r, 0.03, 0.08) * W;
    c->noise = urange(r, 0.8, 2.5);
    c->soft = urange(r, 0.0, 0.8);
    c->quality = 70 + upick(r, 26);
}

/* Illumination of the wall at (x, y) before the shadow. */
static double light_at(const struct capture *c, int W, int H, double x, double y)
{
    double rr = hypot(x - c->vcx, y - c->vcy) / c->vr;
    double v = 1.0 - c->vig * rr * rr;
    double g =
        1.0 + c->grad * ((2.0 * x / W - 1.0) * cos(c->gdir) + (2.0 * y / H - 1.0) * sin(c->gdir));
    return c->exposure * v * g;
}

/* ---- walls ---- */

enum pattern {
    PAT_NONE = 0,
    PAT_STRIPES,
    PAT_TILES,
    PAT_DOTS,
    PAT_BRICK,
    PAT_SHELVES,
    PAT_POSTER,
    PAT_DOOR,
    PAT_BORDER,
    PAT_COUNT
};

static const char *const pattern_names[PAT_COUNT] = {
    "plain", "stripes", "tiles", "dots", "brick", "shelves", "poster", "door", "border"};

struct wall {
    double paint[3];  /* linear albedo */
    double paint2[3]; /* the pattern's second colour */
    enum pattern pat;
    double period, angle, width; /* pattern geometry, px */
    int side;                    /* which side objects stand on: 0 left, 1 right, 2 both */
    uint32_t seed;               /* objects' own colours */
    double plaster;              /* fine texture amplitude */
};

/* The second colour of a pattern: the paint ΔE 12-40 away, lighter or darker, sometimes another
 * hue. */
static void pattern_colour(struct rl_rng *r, const double paint[3], double out[3])
{
    double lab[3];
    lin_to_lab(paint, lab);
    for (int tries = 0; tries < 50; tries++) {
        double want = urange(r, 12, 40), ang = urange(r, 0, 2 * M_PI);
        double d[3];
        if (u01(r) < 0.6) { /* mostly a lighter/darker shade */
            d[0] = (lab[0] > 55 ? -1 : 1) * want * 0.9;
            d[1] = 0.3 * want * cos(ang);
            d[2] = 0.3 * want * sin(ang);
        } else {
            d[0] = urange(r, -0.5, 0.3) * want;
            double rest = sqrt(fmax(0.0, want * want - d[0] * d[0]));
            d[1] = rest * cos(ang);
            d[2] = rest * sin(ang);
        }
        double l2[3] = {lab[0] + d[0], lab[1] + d[1], lab[2] + d[2]};
        if (lab_to_lin(l2, out)) {
            double back[3];
            lin_to_lab(out, back);
            if (de76(back, lab) >= 12)
                return;
        }
    }
    for (int k = 0; k < 3; k++)
        out[k] = paint[k] * 0.45; /* a dark shade always exists */
}

/* A smooth value noise in [-1, 1] (plaster, fabric). */
static double vnoise(uint32_t seed, double x, double y)
{
    int xi = (int)floor(x), yi = (int)floor(y);
    double fx = x - xi, fy = y - yi;
    double v[4];
    for (int k = 0; k < 4; k++) {
        uint32_t h =
            seed ^ (uint32_t)(xi + (k & 1)) * 73856093u ^ (uint32_t)(yi + (k >> 1)) * 19349663u;
        h ^= h >> 13;
        h *= 0x5bd1e995u;
        h ^= h >> 15;
        v[k] = (h & 0xffff) / 32767.5 - 1.0;
    }
    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    return (v[0] * (1 - fx) + v[1] * fx) * (1 - fy) + (v[2] * (1 - fx) + v[3] * fx) * fy;
}

static double smoothstep_edge(double d, double aa) /* 1 inside (d < 0), 0 outside */
{
    return d <= -aa ? 1.0 : d >= aa ? 0.0 : 0.5 - d / (2 * aa);
}

/* The wall's albedo at (x, y). */
static void wall_at(const struct wall *w, int W, int H, double x, double y, double c[3])
{
    double p = 0; /* share of paint2 */
    double u, v;
    const double *second = w->paint2;
    double obj[3];
    switch (w->pat) {
    case PAT_NONE:
    case PAT_COUNT:
        break;
    case PAT_STRIPES:
        u = (x * cos(w->angle) + y * sin(w->angle)) / w->period;
        p = smoothstep_edge(fabs(u - floor(u) - 0.5) - 0.25, 0.5 / w->period);
        break;
    case PAT_TILES:
        u = fmod(x + 1000 * w->period, w->period);
        v = fmod(y + 1000 * w->period, w->period);
        p = fmax(smoothstep_edge(fmin(u, w->period - u) - w->width, 0.7),
                 smoothstep_edge(fmin(v, w->period - v) - w->width, 0.7));
        break;
    case PAT_DOTS: {
        double row = floor(y / w->period);
        double xs = x + (fmod(row, 2.0) != 0 ? w->period / 2 : 0);
        u = fmod(xs, w->period) - w->period / 2;
        v = fmod(y, w->period) - w->period / 2;
        p = smoothstep_edge(hypot(u, v) - w->width, 0.7);
        break;
    }
    case PAT_BRICK: {
        double bh = w->period, bl = 2.1 * w->period;
        double row = floor(y / bh);
        double xs = x + (fmod(row, 2.0) != 0 ? bl / 2 : 0);
        u = fmod(xs, bl);
        v = fmod(y, bh);
        p = fmax(smoothstep_edge(fmin(u, bl - u) - w->width, 0.7),
                 smoothstep_edge(fmin(v, bh - v) - w->width, 0.7));
        break;
    }
    case PAT_SHELVES: {
        /* Books on shelves beside the person, in the upper part of the wall. */
        double x0 = w->side == 1 ? W * 0.72 : 0, x1 = w->side == 0 ? W * 0.28 : W;
        bool in_side = w->side == 2 ? (x < W * 0.28 || x > W * 0.72) : (x >= x0 && x < x1);
        if (!in_side || y > H * 0.6)
            break;
        double shelf = w->period * 1.8;
        v = fmod(y, shelf);
        if (v < w->width) { /* the board */
            p = 1;
            break;
        }
        int book = (int)floor(x / (w->period * 0.28));
        uint32_t hsh = w->seed ^ (uint32_t)book * 2654435761u ^ (uint32_t)floor(y / shelf) * 40503u;
        double top = shelf * (0.25 + 0.5 * ((hsh >> 8) & 255) / 255.0);
        if (v < top)
            break;
        static const double books[][3] = {{180, 40, 40},  {40, 60, 140}, {230, 200, 60},
                                          {30, 120, 70},  {90, 60, 40},  {220, 220, 210},
                                          {150, 80, 150}, {20, 20, 25}};
        srgb8_to_lin(books[hsh % 8], obj);
        second = obj;
        p = 1;
        break;
    }
    case PAT_POSTER: {
        double px0 = w->side == 0 ? -0.02 * W : W * 0.70, px1 = px0 + W * 0.32;
        double py0 = H * 0.04, py1 = H * 0.46;
        if (x < px0 || x > px1 || y < py0 || y > py1)
            break;
        p = 1; /* the poster's paper (paint2) with dark lines of text */
        double line = w->period * 0.35;
        v = fmod(y - py0, line);
        uint32_t hsh = w->seed ^ (uint32_t)floor((y - py0) / line) * 2654435761u ^
                       (uint32_t)floor((x - px0) / (line * 0.8)) * 40503u;
        if (v > line * 0.3 && v < line * 0.7 && (hsh & 3) != 0) {
            srgb8_to_lin((const double[3]){30, 30, 35}, obj);
            second = obj;
        }
        break;
    }
    case PAT_DOOR: {
        /* A door frame standing at one side: two mouldings and the door's panel. */
        double fx = w->side == 0 ? W * 0.10 : W * 0.90;
        double d = fabs(x - fx);
        if (d < w->width)
            p = 1;
        else if ((w->side == 0 && x < fx) || (w->side != 0 && x > fx)) {
            srgb8_to_lin((const double[3]){150, 110, 75}, obj);
            second = obj;
            p = 1;
        }
        break;
    }
    case PAT_BORDER:
        break; /* drawn over the finished picture */
    }
    for (int k = 0; k < 3; k++)
        c[k] = w->paint[k] * (1 - p) + second[k] * p;
}

/* ---- rendering ---- */

struct scene {
    int W, H;
    struct wall wall;
    struct capture cap;
    int nperson;
    struct person person[2];
    /* mirror selfie */
    bool mirror;
    double mx0, my0, mx1, my1; /* the glass */
    double haze, mtint[3], msoft;
    struct wall room; /* the room seen in the mirror */
    double frame_rgb[3], frame_w;
    /* wide room scene: floor and furniture */
    bool room_scene;
    double floor_y, floor_rgb[3];
    double sofa_x0, sofa_x1, sofa_y, sofa_rgb[3];
    double window_x0, window_x1, window_y0, window_y1;
    /* digital border, added last */
    double border_t, border_rgb[3];
};

/* Colour (linear, before the camera) of the scene at pixel (x, y). */
static void scene_at(const struct rl_sources *src, const struct scene *s, const struct fmask *sh,
                     double x, double y, double c[3])
{
    const struct wall *wall = &s->wall;
    double base[3];
    wall_at(wall, s->W, s->H, x, y, base);
    double plaster = 1.0 + wall->plaster * vnoise(wall->seed, x / 9.0, y / 9.0);
    double light = light_at(&s->cap, s->W, s->H, x, y) * plaster;
    if (s->room_scene) {
        if (y > s->floor_y) {
            memcpy(base, s->floor_rgb, sizeof(base));
            light *= 0.9;
        } else if (x > s->window_x0 && x < s->window_x1 && y > s->window_y0 && y < s->window_y1) {
            base[0] = base[1] = base[2] = 1.0;
            light = 1.6;
        }
        if (x > s->sofa_x0 && x < s->sofa_x1 && y > s->sofa_y && y < s->floor_y + 0.05 * s->H)
            memcpy(base, s->sofa_rgb, sizeof(base));
    }
    if (sh != NULL)
        light *= 1.0 - s->cap.shadow * fmask_at(sh, (x - s->cap.sdx) / 4.0, (y - s->cap.sdy) / 4.0);
    for (int k = 0; k < 3; k++)
        c[k] = base[k] * light;
    bool in_mirror = s->mirror && x > s->mx0 && x < s->mx1 && y > s->my0 && y < s->my1;
    if (s->mirror && !in_mirror && x > s->mx0 - s->frame_w && x < s->mx1 + s->frame_w &&
        y > s->my0 - s->frame_w && y < s->my1 + s->frame_w) {
        for (int k = 0; k < 3; k++)
            c[k] = s->frame_rgb[k] * light;
        return;
    }
    if (in_mirror) {
        double r[3];
        wall_at(&s->room, s->W, s->H, x, y, r);
        for (int k = 0; k < 3; k++)
            c[k] = r[k] * light * 0.8;
    }
    for (int i = 0; i < s->nperson && (!s->mirror || in_mirror); i++) {
        const struct person *p = &s->person[i];
        double rr = hypot(x - s->cap.vcx, y - s->cap.vcy) / s->cap.vr;
        double pl = s->cap.exposure * (1.0 - s->cap.vig * rr * rr);
        for (int part = 0; part < PART_COUNT; part++) {
            double a = person_part(p, (enum part)part, x, y);
            if (a <= 0)
                continue;
            double pc[3];
            person_colour(src, p, (enum part)part, x, y, pc);
            for (int k = 0; k < 3; k++)
                c[k] = c[k] * (1 - a) + pc[k] * pl * a;
        }
    }
    if (in_mirror) {
        /* Glass: a grey haze, a tint and a diagonal highlight. */
        double hl = 0.08 * exp(-pow(((x - s->mx0) - 0.6 * (y - s->my0)) / (0.08 * s->W), 2));
        for (int k = 0; k < 3; k++)
            c[k] = (c[k] * s->mtint[k]) * (1 - s->haze) + (s->haze + hl) * 0.45;
    }
    for (int k = 0; k < 3; k++)
        c[k] *= s->cap.wb[k];
}

/* The person's silhouette at a quarter of the size, blurred: the shadow on the wall. */
static struct fmask shadow_mask(const struct scene *s)
{
    struct fmask m = fmask_new(s->W / 4 + 1, s->H / 4 + 1);
    for (int y = 0; y < m.h; y++)
        for (int x = 0; x < m.w; x++) {
            double a = 0;
            for (int i = 0; i < s->nperson; i++)
                a = fmax(a, person_cover(&s->person[i], x * 4.0, y * 4.0));
            m.p[(size_t)y * m.w + x] = (float)a;
        }
    fmask_blur(&m, (int)(s->cap.sblur / 4.0 + 0.5));
    return m;
}

/* Renders, adds noise and softness, encodes to sRGB 8-bit. */
static uint8_t *scene_render(const struct rl_sources *src, const struct scene *s, struct rl_rng *r)
{
    struct fmask sh = {0, 0, NULL};
    if (s->cap.shadow > 0 && s->nperson > 0)
        sh = shadow_mask(s);
    struct fimg img = fimg_new(s->W, s->H);
    /* One sample per pixel: shapes and patterns are anti-aliased where they are drawn. */
    for (int y = 0; y < s->H; y++)
        for (int x = 0; x < s->W; x++) {
            double c[3];
            scene_at(src, s, sh.p ? &sh : NULL, x + 0.5, y + 0.5, c);
            float *o = img.p + ((size_t)y * s->W + x) * 3;
            for (int j = 0; j < 3; j++)
                o[j] = (float)c[j];
        }
    free(sh.p);
    /* lens softness: one blur of radius 1 mixed in by cap.soft */
    if (s->cap.soft > 0 || s->msoft > 0) {
        struct fimg b = fimg_new(s->W, s->H);
        for (int y = 0; y < s->H; y++)
            for (int x = 0; x < s->W; x++)
                for (int k = 0; k < 3; k++) {
                    double acc = 0;
                    int n = 0;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            int X = x + dx, Y = y + dy;
                            if (X < 0 || Y < 0 || X >= s->W || Y >= s->H)
                                continue;
                            acc += img.p[((size_t)Y * s->W + X) * 3 + k];
                            n++;
                        }
                    double soft = s->cap.soft;
                    if (s->mirror && x > s->mx0 && x < s->mx1 && y > s->my0 && y < s->my1)
                        soft = fmin(1.0, soft + s->msoft);
                    float *o = b.p + ((size_t)y * s->W + x) * 3 + k;
                    *o = (float)(img.p[((size_t)y * s->W + x) * 3 + k] * (1 - soft) +
                                 acc / n * soft);
                }
        free(img.p);
        img = b;
    }
    uint8_t *out = malloc((size_t)s->W * s->H * 3);
    for (size_t i = 0; i < (size_t)s->W * s->H; i++)
        for (int k = 0; k < 3; k++) {
            double v = lin_to_srgb(img.p[i * 3 + k]) + s->cap.noise * gauss(r);
            out[i * 3 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    free(img.p);
    if (s->border_t > 0) {
        int t = (int)ceil(s->border_t);
        uint8_t b[3];
        for (int k = 0; k < 3; k++)
            b[k] = (uint8_t)lround(fmin(255, lin_to_srgb(s->border_rgb[k])));
        for (int y = 0; y < s->H; y++)
            for (int x = 0; x < s->W; x++)
                if (x < t || y < t || x >= s->W - t || y >= s->H - t)
                    memcpy(out + ((size_t)y * s->W + x) * 3, b, 3);
    }
    return out;
}

static int encode_jpeg(const uint8_t *rgb, int W, int H, int q, void **buf, size_t *len)
{
    VipsImage *v = vips_image_new_from_memory(rgb, (size_t)W * H * 3, W, H, 3, VIPS_FORMAT_UCHAR);
    if (v == NULL)
        return -EIO;
    int rc = vips_jpegsave_buffer(v, buf, len, "Q", q, "strip", TRUE, "subsample_mode",
                                  VIPS_FOREIGN_SUBSAMPLE_ON, NULL);
    g_object_unref(v);
    if (rc != 0) {
        vips_error_clear();
        return -EIO;
    }
    return 0;
}

/* ---- families ---- */

static const char *const family_names[RL_FAMILIES] = {
    "sx_white",    "sx_grey",    "sx_lightblue", "sx_blue",    "sx_dark",
    "sx_coloured", "sx_pattern", "tj_lightblue", "tj_offblue", "tj_other",
    "tj_pattern",  "cov_wide",   "cov_mirror",   "cov_none",
};

const char *rl_family_name(enum rl_family f)
{
    return (unsigned)f < RL_FAMILIES ? family_names[f] : "unknown";
}

int rl_family_parse(const char *name)
{
    for (int i = 0; i < RL_FAMILIES; i++)
        if (strcmp(name, family_names[i]) == 0)
            return i;
    return -1;
}

const char *rl_family_province(enum rl_family f)
{
    if (f <= RL_SX_PATTERN)
        return "shanxi";
    if (f <= RL_TJ_PATTERN)
        return "tianjin";
    return NULL;
}

/* Paints by class, drawn in LCh so every class is what its name says. */
enum paint_class {
    PAINT_WHITE,
    PAINT_GREY,
    PAINT_LIGHTBLUE,
    PAINT_BLUE,
    PAINT_DARK,
    PAINT_COLOURED
};

static const char *const paint_names[] = {"white", "grey", "lightblue", "blue", "dark", "coloured"};

static void paint_pick(struct rl_rng *r, enum paint_class pc, double c[3])
{
    for (;;) {
        double L, C, h = urange(r, 0, 360);
        switch (pc) {
        case PAINT_WHITE:
            L = urange(r, 90, 98), C = urange(r, 0, 4);
            break;
        case PAINT_GREY:
            L = urange(r, 72, 89), C = urange(r, 0, 4);
            break;
        case PAINT_LIGHTBLUE:
            L = urange(r, 66, 84), C = urange(r, 18, 42), h = urange(r, 245, 280);
            break;
        case PAINT_BLUE:
            L = urange(r, 52, 62), C = urange(r, 40, 50), h = urange(r, 264, 280);
            break;
        case PAINT_DARK:
            L = urange(r, 15, 45), C = urange(r, 0, 25);
            break;
        default:
            L = urange(r, 40, 88), C = urange(r, 28, 70);
            h = urange(r, 300, 575);
            h = fmod(h, 360.0); /* outside 215..300 */
            break;
        }
        bool in;
        lch_to_lin(L, C, h, c, &in);
        if (in)
            return;
    }
}

static void photo_what(struct rl_photo *o, const char *paint, const struct scene *s,
                       const char *extra)
{
    double lab[3], shown[3];
    for (int k = 0; k < 3; k++)
        shown[k] = s->wall.paint[k] * s->cap.exposure * s->cap.wb[k];
    lin_to_lab(shown, lab);
    snprintf(o->what, sizeof(o->what),
             "%s %s L%.0f a%.0f b%.0f wb%+.2f exp%.2f vig%.2f grad%.2f shadow%.2f q%d %dx%d%s",
             paint, pattern_names[s->wall.pat], lab[0], lab[1], lab[2], log(s->cap.wb[0]),
             s->cap.exposure, s->cap.vig, s->cap.grad, s->cap.shadow, s->cap.quality, s->W, s->H,
             extra);
}

/* A portrait for a province: W x H, the person centred. */
static void portrait_layout(const struct rl_sources *src, struct rl_rng *r, bool tianjin,
                            struct scene *s)
{
    struct person *p = &s->person[0];
    s->nperson = 1;
    person_pick(src, r, true, p);
    const struct rl_head *h = &rl_heads[p->head];
    double fw_src = h->jaw_r - h->jaw_l;
    if (tianjin) {
        s->W = 480;
        s->H = 640;
        double fw = urange(r, 195, 235);
        p->s = fw / fw_src;
        p->cx = s->W / 2.0 + urange(r, -8, 8);
        person_layout(p);
        /* hair top 60-100 px, eyes (about brows + 0.2 face) at most 285 */
        double top_max = fmin(100, 285 - (0.62 + 0.2) * p->fh);
        p->top = urange(r, 60, fmax(60, top_max));
    } else {
        static const double aspects[] = {0.75, 0.714, 0.8, 0.75};
        s->W = 480 + 8 * upick(r, 61); /* 480..960 */
        s->H = (int)lround(s->W / aspects[upick(r, 4)]);
        double fw = urange(r, 0.36, 0.50) * s->W;
        p->s = fw / fw_src;
        p->cx = s->W / 2.0 + urange(r, -0.03, 0.03) * s->W;
        p->top = urange(r, 0.05, 0.14) * s->H;
    }
    person_layout(p);
}

static void wall_plain(struct rl_rng *r, struct wall *w)
{
    w->pat = PAT_NONE;
    w->plaster = urange(r, 0.0, 0.012);
    w->seed = (uint32_t)rng_next(r);
}

static void wall_pattern(struct rl_rng *r, int W, int H, struct wall *w, struct scene *s)
{
    wall_plain(r, w);
    w->pat = (enum pattern)(1 + upick(r, PAT_COUNT - 1));
    w->period = urange(r, 0.04, 0.14) * W;
    w->angle = upick(r, 3) * M_PI / 4;
    w->width = urange(r, 0.05, 0.12) * w->period;
    w->side = upick(r, 3);
    if (w->pat == PAT_DOTS)
        w->width = urange(r, 0.15, 0.3) * w->period;
    if (w->pat == PAT_DOOR)
        w->width = urange(r, 0.012, 0.03) * W, w->side = upick(r, 2);
    if (w->pat == PAT_POSTER)
        w->side = upick(r, 2);
    pattern_colour(r, w->paint, w->paint2);
    if (w->pat == PAT_BORDER) {
        s->border_t = urange(r, 0.008, 0.025) * W;
        memcpy(s->border_rgb, w->paint2, sizeof(s->border_rgb));
    }
    (void)H;
}

/* Tianjin: the wall colour as photographed, drawn near or off the reference. */
static void tianjin_paint(struct rl_rng *r, bool near, struct scene *s)
{
    static const double ref8[3] = {100, 197, 255};
    double ref[3], ref_lab[3];
    srgb8_to_lin(ref8, ref);
    lin_to_lab(ref, ref_lab);
    for (;;) {
        double d = near ? urange(r, 0, 10) : urange(r, 20, 35);
        double a = urange(r, 0, 2 * M_PI), b = urange(r, -M_PI / 2, M_PI / 2);
        double lab[3] = {ref_lab[0] + d * sin(b), ref_lab[1] + d * cos(b) * cos(a),
                         ref_lab[2] + d * cos(b) * sin(a)};
        double shown[3];
        if (!lab_to_lin(lab, shown))
            continue;
        double hue = fmod(atan2(lab[2], lab[1]) * 180 / M_PI + 360, 360);
        if (!near && (hue < 240 || hue > 285 || hypot(lab[1], lab[2]) < 15))
            continue; /* still light blue, only off the reference */
        /* The reference is at the edge of sRGB (blue 255): a dim exposure
         * cannot show it from any paint, so the light is raised until the
         * paint that shows it reflects at most 98 %. */
        double need = 0;
        for (int k = 0; k < 3; k++)
            need = fmax(need, shown[k] / s->cap.wb[k]);
        if (need > 0.98 * s->cap.exposure)
            s->cap.exposure = need / 0.98;
        for (int k = 0; k < 3; k++)
            s->wall.paint[k] = shown[k] / (s->cap.exposure * s->cap.wb[k]);
        return;
    }
}

static int render_portrait(const struct rl_sources *src, enum rl_family f, struct rl_rng *r,
                           struct scene *s, struct rl_photo *o)
{
    bool tianjin = f >= RL_TJ_LIGHTBLUE;
    portrait_layout(src, r, tianjin, s);
    capture_pick(r, s->W, s->H, &s->cap);
    wall_plain(r, &s->wall);
    enum paint_class pc = PAINT_WHITE;
    o->colour_ok = 1;
    o->uniform_ok = 1;
    const char *paint = "";
    switch (f) {
    case RL_SX_WHITE:
        pc = PAINT_WHITE;
        break;
    case RL_SX_GREY:
        pc = PAINT_GREY;
        break;
    case RL_SX_LIGHTBLUE:
        pc = PAINT_LIGHTBLUE;
        break;
    case RL_SX_BLUE:
        pc = PAINT_BLUE;
        break;
    case RL_SX_DARK:
        pc = PAINT_DARK;
        o->colour_ok = 0;
        break;
    case RL_SX_COLOURED:
        pc = PAINT_COLOURED;
        o->colour_ok = 0;
        break;
    case RL_SX_PATTERN:
        pc = (enum paint_class)upick(r, 3);
        o->colour_ok = -1;
        o->uniform_ok = 0;
        break;
    case RL_TJ_OTHER:
        pc = (enum paint_class)(upick(r, 4) == 0 ? PAINT_WHITE : 1 + upick(r, 5));
        if (pc == PAINT_LIGHTBLUE || pc == PAINT_BLUE)
            pc = PAINT_COLOURED;
        o->colour_ok = 0;
        break;
    default:
        break;
    }
    if (f == RL_TJ_LIGHTBLUE || f == RL_TJ_OFFBLUE || f == RL_TJ_PATTERN) {
        tianjin_paint(r, f != RL_TJ_OFFBLUE, s);
        paint = f == RL_TJ_OFFBLUE ? "offblue" : "refblue";
        if (f == RL_TJ_OFFBLUE)
            o->colour_ok = 0;
        if (f == RL_TJ_PATTERN) {
            o->colour_ok = -1;
            o->uniform_ok = 0;
        }
    } else {
        paint_pick(r, pc, s->wall.paint);
        paint = paint_names[pc];
    }
    if (o->uniform_ok == 0)
        wall_pattern(r, s->W, s->H, &s->wall, s);
    if (tianjin)
        s->cap.quality = 0; /* chosen by size below */
    photo_what(o, paint, s, "");
    return 0;
}

/* A room seen wide: a wall, a window, a sofa, a floor, one small person. */
static void render_wide(const struct rl_sources *src, struct rl_rng *r, struct scene *s,
                        struct rl_photo *o)
{
    static const int sizes[][2] = {{740, 418}, {800, 450}, {960, 540}, {1280, 720}, {740, 418}};
    int k = upick(r, 5);
    s->W = sizes[k][0];
    s->H = sizes[k][1];
    capture_pick(r, s->W, s->H, &s->cap);
    s->cap.shadow = 0;
    wall_plain(r, &s->wall);
    paint_pick(r, (enum paint_class)upick(r, 6), s->wall.paint);
    if (u01(r) < 0.3)
        wall_pattern(r, s->W, s->H, &s->wall, s), s->border_t = 0;
    s->room_scene = true;
    s->floor_y = urange(r, 0.62, 0.8) * s->H;
    paint_pick(r, PAINT_DARK, s->floor_rgb);
    s->sofa_x0 = urange(r, 0.0, 0.4) * s->W;
    s->sofa_x1 = s->sofa_x0 + urange(r, 0.3, 0.6) * s->W;
    s->sofa_y = s->floor_y - urange(r, 0.12, 0.2) * s->H;
    paint_pick(r, (enum paint_class)(4 + upick(r, 2)), s->sofa_rgb);
    s->window_x0 = urange(r, 0.0, 0.8) * s->W;
    s->window_x1 = s->window_x0 + urange(r, 0.1, 0.2) * s->W;
    s->window_y0 = urange(r, 0.05, 0.15) * s->H;
    s->window_y1 = s->window_y0 + urange(r, 0.2, 0.35) * s->H;
    if (u01(r) < 0.5)
        s->window_x1 = s->window_x0; /* no window */
    struct person *p = &s->person[0];
    s->nperson = 1;
    person_pick(src, r, false, p);
    const struct rl_head *h = &rl_heads[p->head];
    double fw = urange(r, 16, 44);
    p->s = fw / (h->jaw_r - h->jaw_l);
    p->cx = urange(r, 0.15, 0.85) * s->W;
    p->flip = u01(r) < 0.5;
    person_layout(p);
    p->top = s->sofa_y - urange(r, 1.5, 3.0) * p->fh;
    person_layout(p);
    s->cap.quality = 75 + upick(r, 18);
    o->colour_ok = o->uniform_ok = -1;
    photo_what(o, "room", s, " wide");
    char add[48];
    snprintf(add, sizeof(add), " face%.0fpx", p->fw);
    strncat(o->what, add, sizeof(o->what) - strlen(o->what) - 1);
}

/* A mirror selfie: a bathroom or bedroom wall, a framed mirror, the person in it. */
static void render_mirror(const struct rl_sources *src, struct rl_rng *r, struct scene *s,
                          struct rl_photo *o)
{
    bool portrait = u01(r) < 0.7;
    s->W = portrait ? 600 + 8 * upick(r, 31) : 800 + 8 * upick(r, 41);
    s->H = portrait ? (int)lround(s->W * 4.0 / 3.0) : (int)lround(s->W * 9.0 / 16.0);
    capture_pick(r, s->W, s->H, &s->cap);
    s->cap.shadow = 0;
    wall_plain(r, &s->wall);
    paint_pick(r, (enum paint_class)upick(r, 6), s->wall.paint);
    if (u01(r) < 0.5) /* bathroom tiles */
        wall_pattern(r, s->W, s->H, &s->wall, s), s->wall.pat = PAT_TILES, s->border_t = 0;
    s->mirror = true;
    double mw = urange(r, 0.55, 0.85) * s->W, mh = urange(r, 0.55, 0.85) * s->H;
    s->mx0 = urange(r, 0.02, 0.98) * (s->W - mw);
    s->my0 = urange(r, 0.02, 0.5) * (s->H - mh);
    s->mx1 = s->mx0 + mw;
    s->my1 = s->my0 + mh;
    s->frame_w = urange(r, 0.0, 0.04) * s->W;
    paint_pick(r, (enum paint_class)upick(r, 6), s->frame_rgb);
    s->haze = urange(r, 0.05, 0.25);
    s->mtint[0] = 1.0;
    s->mtint[1] = urange(r, 1.0, 1.06);
    s->mtint[2] = urange(r, 1.0, 1.05);
    s->msoft = urange(r, 0.3, 0.9);
    wall_plain(r, &s->room);
    paint_pick(r, (enum paint_class)upick(r, 6), s->room.paint);
    struct person *p = &s->person[0];
    s->nperson = 1;
    person_pick(src, r, false, p);
    const struct rl_head *h = &rl_heads[p->head];
    double fw = urange(r, 40, 120) * s->W / 800.0;
    p->s = fw / (h->jaw_r - h->jaw_l);
    p->cx = s->mx0 + urange(r, 0.3, 0.7) * mw;
    p->flip = true;
    person_layout(p);
    p->top = s->my0 + urange(r, 0.05, 0.3) * mh;
    person_layout(p);
    s->cap.quality = 75 + upick(r, 18);
    o->colour_ok = o->uniform_ok = -1;
    photo_what(o, "room", s, " mirror");
    char add[48];
    snprintf(add, sizeof(add), " face%.0fpx haze%.2f", p->fw, s->haze);
    strncat(o->what, add, sizeof(o->what) - strlen(o->what) - 1);
}

/* Draws the phone held in front of the chest (mirror selfies) into rgb. */
static void draw_phone(const struct scene *s, uint8_t *rgb)
{
    const struct person *p = &s->person[0];
    double pw = 0.55 * p->fw, ph = 1.1 * p->fw;
    double x0 = p->cx + 0.2 * p->fw, y0 = p->chin_y + 0.5 * p->fh;
    for (int y = (int)y0; y < (int)(y0 + ph) && y < s->H; y++)
        for (int x = (int)x0; x < (int)(x0 + pw) && x < s->W; x++)
            if (x >= 0 && y >= 0) {
                uint8_t *o = rgb + ((size_t)y * s->W + x) * 3;
                o[0] = 22, o[1] = 22, o[2] = 26;
            }
}

int rl_render(const struct rl_sources *src, enum rl_family family, uint32_t seed,
              struct rl_photo *out)
{
    if ((unsigned)family >= RL_FAMILIES)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    struct rl_rng r = {((uint64_t)seed << 8) ^ (uint64_t)family * 0x1234567ULL};
    struct scene s;
    memset(&s, 0, sizeof(s));
    switch (family) {
    case RL_COV_WIDE:
        render_wide(src, &r, &s, out);
        break;
    case RL_COV_MIRROR:
        render_mirror(src, &r, &s, out);
        break;
    case RL_COV_NONE:
        if (u01(&r) < 0.5) {
            render_wide(src, &r, &s, out);
        } else {
            render_portrait(src, (enum rl_family)upick(&r, 7), &r, &s, out);
            s.cap.quality = 75 + upick(&r, 18);
        }
        s.nperson = 0;
        snprintf(out->what + strlen(out->what), sizeof(out->what) - strlen(out->what), " no-one");
        break;
    default:
        render_portrait(src, family, &r, &s, out);
        break;
    }
    uint8_t *rgb = scene_render(src, &s, &r);
    if (s.mirror)
        draw_phone(&s, rgb);
    int rc;
    if (s.cap.quality > 0) {
        rc = encode_jpeg(rgb, s.W, s.H, s.cap.quality, &out->data, &out->len);
        out->quality = s.cap.quality;
    } else {
        /* Tianjin: the highest quality whose file is at most the target (24-38 KB). */
        size_t target = (size_t)(urange(&r, 24, 38) * 1024);
        int lo = 20, hi = 98, best = 20;
        while (lo <= hi) {
            int q = (lo + hi) / 2;
            void *b = NULL;
            size_t n = 0;
            if ((rc = encode_jpeg(rgb, s.W, s.H, q, &b, &n)) < 0)
                break;
            g_free(b);
            if (n <= target)
                best = q, lo = q + 1;
            else
                hi = q - 1;
        }
        rc = encode_jpeg(rgb, s.W, s.H, best, &out->data, &out->len);
        out->quality = best;
        char add[24];
        snprintf(add, sizeof(add), " q%d", best);
        strncat(out->what, add, sizeof(out->what) - strlen(out->what) - 1);
    }
    free(rgb);
    out->width = s.W;
    out->height = s.H;
    if (s.nperson > 0) {
        const struct person *p = &s.person[0];
        out->has_face = true;
        out->face_x = p->cx - p->fw / 2;
        out->face_y = p->brow_y - 0.1 * p->fh;
        out->face_w = p->fw;
        out->face_h = 1.1 * p->fh;
    }
    return rc;
}

void rl_photo_free(struct rl_photo *p)
{
    g_free(p->data);
    p->data = NULL;
}
