/*
 * photo_rules.c - one function per photo rule, plus the measurements they
 * share (CIE Lab conversion, border sampling, variance of the Laplacian).
 * Each rule turns a measurement and the spec into a complete verdict: rule,
 * verdict, value, range, the requirement as text and a Chinese message that
 * tells the candidate what to change. Pure computation: no I/O, no libvips.
 */
#include "alloc.h"
#include "photo_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranges and verdict helpers ---- */

struct photo_range photo_range_make(double lo, double hi)
{
    struct photo_range r = {.lo = lo, .hi = hi, .has_lo = true, .has_hi = true};
    return r;
}

bool photo_range_set(const struct photo_range *r)
{
    return r->has_lo || r->has_hi;
}

bool photo_range_contains(const struct photo_range *r, double v)
{
    /* A small epsilon so that a value printed as the bound is inside. */
    const double eps = 1e-9;
    if (r->has_lo && v < r->lo - eps)
        return false;
    if (r->has_hi && v > r->hi + eps)
        return false;
    return true;
}

static void verdict_init(struct photo_verdict_rec *v, enum photo_rule rule, const char *unit)
{
    memset(v, 0, sizeof(*v));
    v->rule = rule;
    v->unit = unit;
}

static void verdict_value(struct photo_verdict_rec *v, double value, const struct photo_range *r)
{
    v->has_value = true;
    v->value = value;
    v->range = *r;
    v->verdict = photo_range_contains(r, value) ? PHOTO_PASSED : PHOTO_FAILED;
}

/* "50-110", "不低于 25", "不超过 8", "480" with the given decimals. */
static void range_text(const struct photo_range *r, int decimals, const char *unit, char *out,
                       size_t n)
{
    if (r->has_lo && r->has_hi && r->lo == r->hi)
        snprintf(out, n, "%.*f%s", decimals, r->lo, unit);
    else if (r->has_lo && r->has_hi)
        snprintf(out, n, "%.*f-%.*f%s", decimals, r->lo, decimals, r->hi, unit);
    else if (r->has_lo)
        snprintf(out, n, "不低于 %.*f%s", decimals, r->lo, unit);
    else if (r->has_hi)
        snprintf(out, n, "不超过 %.*f%s", decimals, r->hi, unit);
    else
        snprintf(out, n, "不限");
}

/* Byte counts for candidates: "35.2KB", "1.50MB". */
static void size_text(double bytes, char *out, size_t n)
{
    if (bytes >= 1024.0 * 1024.0)
        snprintf(out, n, "%.2fMB", bytes / (1024.0 * 1024.0));
    else
        snprintf(out, n, "%.1fKB", bytes / 1024.0);
}

static void size_range_text(const struct photo_range *r, char *out, size_t n)
{
    char lo[32], hi[32];
    size_text(r->lo, lo, sizeof(lo));
    size_text(r->hi, hi, sizeof(hi));
    /* Whole kilobytes read better: "20-40KB". */
    bool kb = (!r->has_lo || fmod(r->lo, 1024.0) == 0) &&
              (!r->has_hi || fmod(r->hi, 1024.0) == 0) && (!r->has_hi || r->hi < 1024.0 * 1024.0);
    if (kb && r->has_lo && r->has_hi)
        snprintf(out, n, "%.0f-%.0fKB", r->lo / 1024.0, r->hi / 1024.0);
    else if (r->has_lo && r->has_hi)
        snprintf(out, n, "%s-%s", lo, hi);
    else if (r->has_hi)
        snprintf(out, n, "不超过 %s", hi);
    else if (r->has_lo)
        snprintf(out, n, "不小于 %s", lo);
    else
        snprintf(out, n, "不限");
}

void photo_verdict_skipped(enum photo_rule rule, const char *why, struct photo_verdict_rec *v)
{
    verdict_init(v, rule, "");
    v->verdict = PHOTO_SKIPPED;
    snprintf(v->message, sizeof(v->message), "%s", why);
}

void photo_verdict_pending(enum photo_rule rule, struct photo_verdict_rec *v)
{
    verdict_init(v, rule, "px");
    v->verdict = PHOTO_PENDING;
    snprintf(v->message, sizeof(v->message), "等待人脸检测结果，暂未检查此项。");
}

bool photo_rule_enabled(const struct photo_spec *s, enum photo_rule rule)
{
    switch (rule) {
    case PHOTO_RULE_FORMAT:
    case PHOTO_RULE_DECODE:
    case PHOTO_RULE_ROTATION:
        return true;
    case PHOTO_RULE_FILE_SIZE:
        return photo_range_set(&s->bytes);
    case PHOTO_RULE_DIMENSIONS:
        return photo_range_set(&s->width) || photo_range_set(&s->height) ||
               photo_range_set(&s->long_side) || photo_range_set(&s->short_side);
    case PHOTO_RULE_ORIENTATION:
        return s->orientation != PHOTO_ORIENT_ANY;
    case PHOTO_RULE_ASPECT:
        return photo_range_set(&s->aspect);
    case PHOTO_RULE_BACKGROUND_COLOUR:
        return s->ncolours > 0;
    case PHOTO_RULE_BACKGROUND_UNIFORM:
        return s->ncolours > 0 && s->background_rms > 0;
    case PHOTO_RULE_SHARPNESS:
        return s->sharpness_min > 0;
    case PHOTO_RULE_EXPOSURE:
        return s->clipped_max > 0;
    case PHOTO_RULE_CARD_OUTLINE:
    case PHOTO_RULE_CARD_CORNERS:
        return s->card;
    case PHOTO_RULE_FACE_COUNT:
        return photo_range_set(&s->faces);
    case PHOTO_RULE_HEAD_TOP:
        return photo_range_set(&s->head_top);
    case PHOTO_RULE_EYE_LINE:
        return photo_range_set(&s->eye_line);
    case PHOTO_RULE_FACE_WIDTH:
        return photo_range_set(&s->face_width);
    case PHOTO_RULE_FACE_CENTRE:
        return s->centre_max > 0;
    case PHOTO_RULE_SYMMETRY:
        return s->symmetry_max > 0;
    case PHOTO_RULE_COUNT:
        break;
    }
    return false;
}

/* ---- colour ---- */

static double srgb_linear(uint8_t c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double lab_f(double t)
{
    return t > 216.0 / 24389.0 ? cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

/* Lab from linearised channel values (see srgb_linear). */
static void linear_to_lab(double r, double g, double b, double lab[3])
{
    double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
    double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
    double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    lab[0] = 116.0 * fy - 16.0;
    lab[1] = 500.0 * (fx - fy);
    lab[2] = 200.0 * (fy - fz);
}

void photo_srgb_to_lab(const uint8_t rgb[3], double lab[3])
{
    linear_to_lab(srgb_linear(rgb[0]), srgb_linear(rgb[1]), srgb_linear(rgb[2]), lab);
}

double photo_delta_e(const double a[3], const double b[3])
{
    double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return sqrt(d0 * d0 + d1 * d1 + d2 * d2);
}

static double deg(double r)
{
    return r * (180.0 / M_PI);
}

static double rad(double d)
{
    return d * (M_PI / 180.0);
}

/* CIEDE2000 (Sharma, Wu and Dalal's formulation), kC = kH = 1. */
double photo_delta_e2000(const double a[3], const double b[3], double kl)
{
    double c1 = hypot(a[1], a[2]), c2 = hypot(b[1], b[2]), cm = (c1 + c2) / 2;
    double cm7 = pow(cm, 7);
    double g = 0.5 * (1 - sqrt(cm7 / (cm7 + 6103515625.0))); /* 25^7 */
    double a1 = (1 + g) * a[1], a2 = (1 + g) * b[1];
    double c1p = hypot(a1, a[2]), c2p = hypot(a2, b[2]);
    double h1 = c1p == 0 ? 0 : fmod(deg(atan2(a[2], a1)) + 360, 360);
    double h2 = c2p == 0 ? 0 : fmod(deg(atan2(b[2], a2)) + 360, 360);
    double dl = b[0] - a[0], dc = c2p - c1p, dh = 0;
    if (c1p * c2p != 0) {
        dh = h2 - h1;
        dh = dh > 180 ? dh - 360 : dh < -180 ? dh + 360 : dh;
    }
    double dhh = 2 * sqrt(c1p * c2p) * sin(rad(dh / 2));
    double lm = (a[0] + b[0]) / 2, cmp = (c1p + c2p) / 2, hm = h1 + h2;
    if (c1p * c2p != 0)
        hm = fabs(h1 - h2) <= 180 ? (h1 + h2) / 2
                                  : (h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2);
    double t = 1 - 0.17 * cos(rad(hm - 30)) + 0.24 * cos(rad(2 * hm)) +
               0.32 * cos(rad(3 * hm + 6)) - 0.20 * cos(rad(4 * hm - 63));
    double dtheta = 30 * exp(-pow((hm - 275) / 25, 2));
    double cmp7 = pow(cmp, 7);
    double rc = 2 * sqrt(cmp7 / (cmp7 + 6103515625.0));
    double sl = 1 + 0.015 * (lm - 50) * (lm - 50) / sqrt(20 + (lm - 50) * (lm - 50));
    double sc = 1 + 0.045 * cmp, sh = 1 + 0.015 * cmp * t;
    double rt = -sin(rad(2 * dtheta)) * rc;
    double x = dl / (kl * sl), y = dc / sc, z = dhh / sh;
    return sqrt(x * x + y * y + z * z + rt * y * z);
}

const struct photo_colour *photo_palette_nearest(const struct photo_specs *specs,
                                                 const double lab[3])
{
    const struct photo_colour *best = NULL;
    double bd = 0;
    for (int i = 0; specs != NULL && i < specs->npalette; i++) {
        double d = photo_delta_e(lab, specs->palette[i].lab);
        if (best == NULL || d < bd) {
            best = &specs->palette[i];
            bd = d;
        }
    }
    return best;
}

/* ---- measurements ---- */

/* Terms of the smooth surface fitted to the border: a polynomial of degree
 * two in the normalised position, enough for a vignette, a gradient and
 * light falling off across a wall, too stiff to follow a pattern. */
#define SHADE_TERMS 6

static void shade_basis(double u, double v, double t[SHADE_TERMS])
{
    t[0] = 1;
    t[1] = u;
    t[2] = v;
    t[3] = u * u;
    t[4] = u * v;
    t[5] = v * v;
}

/* Solves a x = y for a small symmetric positive system (Gaussian elimination
 * with partial pivoting; a and y are overwritten). False when singular. */
static bool solve_small(double a[SHADE_TERMS][SHADE_TERMS], double y[SHADE_TERMS],
                        double x[SHADE_TERMS])
{
    const int n = SHADE_TERMS;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c]))
                piv = r;
        if (fabs(a[piv][c]) < 1e-12)
            return false;
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                double t = a[c][k];
                a[c][k] = a[piv][k];
                a[piv][k] = t;
            }
            double t = y[c];
            y[c] = y[piv];
            y[piv] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = a[r][c] / a[c][c];
            for (int k = c; k < n; k++)
                a[r][k] -= f * a[c][k];
            y[r] -= f * y[c];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double acc = y[r];
        for (int k = r + 1; k < n; k++)
            acc -= a[r][k] * x[k];
        x[r] = acc / a[r][r];
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/*
 * RMS CIE76 distance of the samples from a smooth surface fitted to them
 * (per Lab channel, SHADE_TERMS terms, robustly: Tukey's biweight over six
 * reweighted least-squares rounds, so a frame, a poster or a stripe does
 * not bend the surface towards itself and shows in full in the residual),
 * and in *q95 the 95th percentile of those distances: what the worst
 * twentieth of the border shows, where sparse dots, tiles or a brick joint
 * stand out though the RMS over the whole border stays low.
 * Returns -1 when the samples cannot pin a surface down.
 */
static double shading_residual(const double (*lab)[3], const double (*uv)[2], size_t n, double *q95)
{
    if (n < 4 * SHADE_TERMS)
        return -1;
    double *w = zk_malloc(n * sizeof(double)), *r = zk_malloc(n * sizeof(double));
    double *sorted = zk_malloc(n * sizeof(double));
    double coef[3][SHADE_TERMS] = {{0}};
    double out = -1;
    for (size_t i = 0; i < n; i++)
        w[i] = 1;
    for (int round = 0; round < 6; round++) {
        double a[SHADE_TERMS][SHADE_TERMS] = {{0}}, y[3][SHADE_TERMS] = {{0}};
        for (size_t i = 0; i < n; i++) {
            double t[SHADE_TERMS];
            shade_basis(uv[i][0], uv[i][1], t);
            for (int j = 0; j < SHADE_TERMS; j++) {
                for (int k = 0; k < SHADE_TERMS; k++)
                    a[j][k] += w[i] * t[j] * t[k];
                for (int c = 0; c < 3; c++)
                    y[c][j] += w[i] * t[j] * lab[i][c];
            }
        }
        /* A whisper of ridge keeps a band-only geometry (collinear terms) solvable. */
        for (int j = 0; j < SHADE_TERMS; j++)
            a[j][j] += 1e-6 * (a[0][0] + 1);
        for (int c = 0; c < 3; c++) {
            double m[SHADE_TERMS][SHADE_TERMS];
            memcpy(m, a, sizeof(m));
            if (!solve_small(m, y[c], coef[c]))
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
            double t[SHADE_TERMS], d2 = 0;
            shade_basis(uv[i][0], uv[i][1], t);
            for (int c = 0; c < 3; c++) {
                double f = 0;
                for (int j = 0; j < SHADE_TERMS; j++)
                    f += coef[c][j] * t[j];
                d2 += (lab[i][c] - f) * (lab[i][c] - f);
            }
            r[i] = sqrt(d2);
            sorted[i] = r[i];
        }
        qsort(sorted, n, sizeof(double), cmp_double);
        double scale = 1.4826 * sorted[n / 2];
        double cut = 4.685 * (scale > 0.5 ? scale : 0.5);
        for (size_t i = 0; i < n; i++) {
            double q = r[i] / cut;
            w[i] = q < 1 ? (1 - q * q) * (1 - q * q) : 0;
        }
    }
    double sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        sumsq += r[i] * r[i];
        sorted[i] = r[i];
    }
    out = sqrt(sumsq / (double)n);
    qsort(sorted, n, sizeof(double), cmp_double);
    *q95 = sorted[n * 95 / 100];
out:
    free(sorted);
    free(r);
    free(w);
    return out;
}

void photo_border_sample(const struct photo_image *img, bool full_ring, struct photo_border *b)
{
    memset(b, 0, sizeof(*b));
    int band_y = img->h * 3 / 100 > 2 ? img->h * 3 / 100 : 2;
    int band_x = img->w * 3 / 100 > 2 ? img->w * 3 / 100 : 2;
    int side_end = full_ring ? img->h : img->h / 2;
    /* Sample on a grid: at most about 4000 points whatever the size. */
    long area = (long)band_y * img->w * (full_ring ? 2 : 1) + 2L * band_x * side_end;
    int step = (int)ceil(sqrt((double)area / 4000.0));
    if (step < 1)
        step = 1;
    size_t cap = (size_t)(area / ((long)step * step)) + (size_t)(img->w + img->h) * 4 + 16;
    uint8_t *rgb = zk_malloc(cap * 3);
    double(*uv)[2] = zk_malloc(cap * sizeof(*uv));
    double(*labs)[3] = NULL;
    size_t n = 0;
    unsigned hist[3][256] = {{0}};
    for (int y = 0; y < img->h; y += step) {
        bool full_row = y < band_y || (full_ring && y >= img->h - band_y);
        if (!full_row && y >= side_end)
            continue;
        for (int x = 0; x < img->w && n < cap; x += step) {
            /* Outside the top/bottom bands only the side bands count. */
            if (!full_row && x >= band_x && x < img->w - band_x) {
                /* Jump to the first grid column of the right band. */
                x = (img->w - band_x + step - 1) / step * step - step;
                continue;
            }
            const uint8_t *p = img->rgb + ((size_t)y * img->w + x) * 3;
            memcpy(rgb + n * 3, p, 3);
            uv[n][0] = 2.0 * (x + 0.5) / img->w - 1.0;
            uv[n][1] = 2.0 * (y + 0.5) / img->h - 1.0;
            for (int k = 0; k < 3; k++)
                hist[k][p[k]]++;
            n++;
        }
    }
    if (n == 0)
        goto out;
    /* The colour is the per-channel median, so a thin frame, a stray hair
     * or a logo cannot pull it; the spread is the RMS distance of all
     * samples from it, so they do show there. */
    for (int k = 0; k < 3; k++) {
        size_t acc = 0;
        int v = 0;
        while (v < 255 && (acc += hist[k][v]) <= n / 2)
            v++;
        b->rgb[k] = (uint8_t)v;
    }
    double lin[256]; /* sRGB decoding table: pow() once per level, not per sample */
    for (int i = 0; i < 256; i++)
        lin[i] = srgb_linear((uint8_t)i);
    linear_to_lab(lin[b->rgb[0]], lin[b->rgb[1]], lin[b->rgb[2]], b->lab);
    labs = zk_malloc(n * sizeof(*labs));
    double sumsq = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + i * 3;
        linear_to_lab(lin[p[0]], lin[p[1]], lin[p[2]], labs[i]);
        double d = photo_delta_e(labs[i], b->lab);
        sumsq += d * d;
    }
    b->n = (int)n;
    b->rms = sqrt(sumsq / n);
    double q95 = 0;
    double res = shading_residual((const double(*)[3])labs, (const double(*)[2])uv, n, &q95);
    b->residual = res >= 0 ? res : b->rms;
    b->pattern = res >= 0 ? q95 : b->rms;
out:
    free(labs);
    free(uv);
    free(rgb);
}

static inline int luma(const uint8_t *p)
{
    return (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
}

double photo_laplacian_variance(const struct photo_image *img, const struct photo_box *box)
{
    int x0 = box->x0 < 1 ? 1 : box->x0, y0 = box->y0 < 1 ? 1 : box->y0;
    int x1 = box->x1 > img->w - 1 ? img->w - 1 : box->x1;
    int y1 = box->y1 > img->h - 1 ? img->h - 1 : box->y1;
    if (x1 <= x0 || y1 <= y0)
        return 0;
    double sum = 0, sumsq = 0;
    long n = 0;
    size_t stride = (size_t)img->w * 3;
    for (int y = y0; y < y1; y++) {
        const uint8_t *row = img->rgb + (size_t)y * stride;
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = row + (size_t)x * 3;
            int lap = luma(p - 3) + luma(p + 3) + luma(p - stride) + luma(p + stride) - 4 * luma(p);
            sum += lap;
            sumsq += (double)lap * lap;
            n++;
        }
    }
    double mean = sum / n;
    return sumsq / n - mean * mean;
}

/* ---- rules from the bytes and the header ---- */

static void formats_text(unsigned formats, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s", formats & (1u << PHOTO_FMT_JPEG) ? "JPG" : "",
             (formats & (1u << PHOTO_FMT_JPEG)) && (formats & (1u << PHOTO_FMT_PNG)) ? "/" : "",
             formats & (1u << PHOTO_FMT_PNG) ? "PNG" : "");
}

static const char *format_display(enum photo_format f)
{
    static const char *const names[] = {"无法识别", "JPG",  "PNG",  "GIF", "BMP",
                                        "WEBP",     "TIFF", "HEIC", "PDF"};
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : names[0];
}

void photo_rule_format(const struct photo_spec *spec, enum photo_format f,
                       struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_FORMAT, "");
    snprintf(v->value_text, sizeof(v->value_text), "%s", photo_format_name(f));
    formats_text(spec->formats, v->required, sizeof(v->required));
    bool ok = f != PHOTO_FMT_UNKNOWN && (spec->formats & (1u << f)) != 0;
    v->verdict = ok ? PHOTO_PASSED : PHOTO_FAILED;
    if (ok)
        snprintf(v->message, sizeof(v->message), "照片格式符合要求（%s）。", format_display(f));
    else if (f == PHOTO_FMT_UNKNOWN)
        snprintf(v->message, sizeof(v->message),
                 "照片格式不符合要求：无法识别文件内容为图片，要求%s格式。请用相机或修图软件另存为"
                 "%s后上传（仅修改文件扩展名无效）。",
                 v->required, v->required);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片格式不符合要求：检测到的文件为%s格式，要求%s格式。请用修图软件另存为%s后上传"
                 "（仅修改文件扩展名无效）。",
                 format_display(f), v->required, v->required);
}

void photo_rule_file_size(const struct photo_spec *spec, size_t bytes, struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_FILE_SIZE, "bytes");
    verdict_value(v, (double)bytes, &spec->bytes);
    size_range_text(&spec->bytes, v->required, sizeof(v->required));
    char now[32];
    size_text((double)bytes, now, sizeof(now));
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "文件大小符合要求（%s）。", now);
    else if (spec->bytes.has_hi && (double)bytes > spec->bytes.hi)
        snprintf(v->message, sizeof(v->message),
                 "照片文件太大：当前为 %s，要求 %s。请降低保存质量（压缩率）或缩小尺寸后重新保存。",
                 now, v->required);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片文件太小：当前为 %s，要求 %s。请提高保存质量后重新保存，不要过度压缩。", now,
                 v->required);
}

void photo_rule_rotation(int exif_orientation, struct photo_verdict_rec *v)
{
    static const char *const what[9] = {
        "",
        "正常",
        "水平镜像",
        "旋转180°",
        "垂直镜像",
        "镜像并旋转90°",
        "顺时针旋转90°",
        "镜像并逆时针旋转90°",
        "逆时针旋转90°",
    };
    verdict_init(v, PHOTO_RULE_ROTATION, "");
    int o = exif_orientation >= 1 && exif_orientation <= 8 ? exif_orientation : 1;
    struct photo_range r = photo_range_make(1, 1);
    verdict_value(v, o, &r);
    snprintf(v->required, sizeof(v->required), "EXIF 方向为正常（1）或无方向标记");
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "照片未旋转或镜像。");
    else
        snprintf(v->message, sizeof(v->message),
                 "照片带有旋转/镜像标记（EXIF 方向 %d：%s），要求不得旋转或镜像。请在修图软件中把照"
                 "片转正后另存（清除方向标记），或直接按正确方向重新拍摄。",
                 o, what[o]);
}

void photo_rule_dimensions(const struct photo_spec *spec, int w, int h, struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_DIMENSIONS, "px");
    snprintf(v->value_text, sizeof(v->value_text), "%dx%d", w, h);
    int ls = w > h ? w : h, ss = w > h ? h : w;
    bool ok = photo_range_contains(&spec->width, w) && photo_range_contains(&spec->height, h) &&
              photo_range_contains(&spec->long_side, ls) &&
              photo_range_contains(&spec->short_side, ss);
    v->verdict = ok ? PHOTO_PASSED : PHOTO_FAILED;
    char a[48] = "", b[48] = "";
    if (photo_range_set(&spec->width) || photo_range_set(&spec->height)) {
        range_text(&spec->width, 0, "", a, sizeof(a));
        range_text(&spec->height, 0, "", b, sizeof(b));
        snprintf(v->required, sizeof(v->required), "宽 %s 像素，高 %s 像素", a, b);
        v->range = spec->width;
    } else {
        /* "long side > 800, short side > 600" reads as "above 800x600". */
        snprintf(v->required, sizeof(v->required), "大于 %.0fx%.0f 像素",
                 spec->long_side.has_lo ? spec->long_side.lo - 1 : 0,
                 spec->short_side.has_lo ? spec->short_side.lo - 1 : 0);
        v->range = spec->long_side;
    }
    if (ok)
        snprintf(v->message, sizeof(v->message), "照片尺寸符合要求（%dx%d 像素）。", w, h);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片尺寸不符合要求：当前为宽 %d 像素、高 %d 像素，要求%s。请用修图软件按要求裁剪"
                 "或调整尺寸（保持比例，不要拉伸）。",
                 w, h, v->required);
}

void photo_rule_orientation(const struct photo_spec *spec, int w, int h,
                            struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_ORIENTATION, "");
    bool landscape = h<w, portrait = h> w;
    snprintf(v->value_text, sizeof(v->value_text), "%s",
             landscape  ? "landscape"
             : portrait ? "portrait"
                        : "square");
    bool want_landscape = spec->orientation == PHOTO_ORIENT_LANDSCAPE;
    bool ok = want_landscape ? landscape : portrait;
    v->verdict = ok ? PHOTO_PASSED : PHOTO_FAILED;
    snprintf(v->required, sizeof(v->required), "%s",
             want_landscape ? "横向（高度小于宽度）" : "竖向（高度大于宽度）");
    if (ok)
        snprintf(v->message, sizeof(v->message), "照片方向符合要求（%s）。",
                 want_landscape ? "横向" : "竖向");
    else
        snprintf(v->message, sizeof(v->message),
                 "照片方向不符合要求：当前宽 %d 像素、高 %d 像素，要求%s。请%s拍摄或裁剪。", w, h,
                 v->required, want_landscape ? "横向" : "竖向");
}

void photo_rule_aspect(const struct photo_spec *spec, int w, int h, struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_ASPECT, "");
    double a = h > 0 ? (double)w / h : 0;
    verdict_value(v, round(a * 1000) / 1000, &spec->aspect);
    range_text(&spec->aspect, 3, "", v->required, sizeof(v->required));
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "照片宽高比符合要求（%.3f）。", a);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片宽高比不符合要求：当前宽/高为 %.3f，要求 %s（身份证 85.6×54 毫米约为 "
                 "1.585）。图片可能被拉伸或变形，请按原比例裁剪，不要拉伸。",
                 a, v->required);
}

/* ---- rules on pixels ---- */

static void colours_text(const struct photo_spec *spec, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < spec->ncolours && used < n; i++) {
        const struct photo_colour *c = &spec->colours[i];
        int k = snprintf(out + used, n - used, "%s%s（参考 RGB %d,%d,%d）", i ? "、" : "", c->name,
                         c->rgb[0], c->rgb[1], c->rgb[2]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* The distance the spec measures background colours by. */
static double background_distance(const struct photo_spec *spec, const double a[3],
                                  const double b[3])
{
    if (spec->background_metric == PHOTO_METRIC_CIEDE2000)
        return photo_delta_e2000(a, b, spec->background_lightness_weight);
    return photo_delta_e(a, b);
}

void photo_rule_background_colour(const struct photo_spec *spec, const struct photo_specs *specs,
                                  const struct photo_border *b, struct photo_verdict_rec *v)
{
    bool de2000 = spec->background_metric == PHOTO_METRIC_CIEDE2000;
    verdict_init(v, PHOTO_RULE_BACKGROUND_COLOUR, de2000 ? "ΔE00" : "ΔE");
    const struct photo_colour *best = NULL;
    double bd = 0;
    for (int i = 0; i < spec->ncolours; i++) {
        double d = background_distance(spec, b->lab, spec->colours[i].lab);
        if (best == NULL || d < bd) {
            best = &spec->colours[i];
            bd = d;
        }
    }
    struct photo_range r = {.hi = spec->background_delta_e, .has_hi = true};
    verdict_value(v, round(bd * 10) / 10, &r);
    char want[256];
    colours_text(spec, want, sizeof(want));
    snprintf(v->required, sizeof(v->required), "%s不超过 %.0f",
             de2000 ? "色差（CIEDE2000）" : "色差", spec->background_delta_e);
    const struct photo_colour *seen = photo_palette_nearest(specs, b->lab);
    if (v->verdict == PHOTO_PASSED) {
        snprintf(v->message, sizeof(v->message), "背景颜色符合要求（%s，色差 %.1f）。",
                 best ? best->name : "", bd);
        return;
    }
    /* When the nearest name is itself allowed, the shade is just off. */
    bool same_name = false;
    for (int i = 0; seen != NULL && i < spec->ncolours; i++)
        same_name |= strcmp(spec->colours[i].id, seen->id) == 0;
    snprintf(v->message, sizeof(v->message),
             "照片背景颜色不符合要求：检测到的背景为%s%s（RGB %d,%d,%d，与最接近的%s色差 %.1f，"
             "允许不超过 %.0f），要求%s。请在%s背景前重新拍摄，不要用修图软件涂抹背景。",
             same_name ? "偏色的" : "", seen ? seen->name : "未知颜色", b->rgb[0], b->rgb[1],
             b->rgb[2], best ? best->name : "", bd, spec->background_delta_e, want,
             spec->ncolours == 1 ? spec->colours[0].name : "符合要求的纯色");
}

void photo_rule_background_uniform(const struct photo_spec *spec, const struct photo_border *b,
                                   struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_BACKGROUND_UNIFORM, "ΔE");
    /* With background_shading, light falling unevenly on a plain wall
     * (vignetting, a gradient, a soft shadow) is taken away first: what is
     * left is what the handbook forbids - borders, text, patterns, objects. */
    double spread = spec->background_shading ? b->residual : b->rms;
    const char *after = spec->background_shading ? "除去光照明暗变化后" : "";
    /* With background_pattern, the worst twentieth of the border is held
     * too (always with the light taken away): sparse dots, tiles or a
     * brick joint over part of the border, which the spread of the whole
     * border averages away. The finding shows the measure that decides. */
    bool pattern_on = spec->background_pattern > 0;
    bool pattern_over = pattern_on && b->pattern > spec->background_pattern;
    bool spread_over = spread > spec->background_rms;
    if (pattern_over && !spread_over) {
        struct photo_range r = {.hi = spec->background_pattern, .has_hi = true};
        verdict_value(v, round(b->pattern * 10) / 10, &r);
        snprintf(v->required, sizeof(v->required),
                 "%s边缘色差不超过 %.0f，且最不均匀的 5%% 处不超过 %.0f", after,
                 spec->background_rms, spec->background_pattern);
        snprintf(
            v->message, sizeof(v->message),
            "照片背景不均匀：除去光照明暗变化后，背景边缘最不均匀的 5%% 处与墙面的色差为 %.1f，"
            "要求不超过 %.0f。背景上可能有花纹、瓷砖或砖缝、圆点、条纹、门框或其他物品，请在"
            "没有图案的纯色墙面或背景布前重新拍摄。",
            b->pattern, spec->background_pattern);
        return;
    }
    struct photo_range r = {.hi = spec->background_rms, .has_hi = true};
    verdict_value(v, round(spread * 10) / 10, &r);
    if (pattern_on)
        snprintf(v->required, sizeof(v->required),
                 "%s边缘色差不超过 %.0f，且最不均匀的 5%% 处不超过 %.0f", after,
                 spec->background_rms, spec->background_pattern);
    else
        snprintf(v->required, sizeof(v->required), "%s边缘色差不超过 %.0f", after,
                 spec->background_rms);
    if (v->verdict == PHOTO_PASSED && pattern_on)
        snprintf(v->message, sizeof(v->message),
                 "背景均匀（%s色差 %.1f，最不均匀的 5%% 处 %.1f）。", after, spread, b->pattern);
    else if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "背景均匀（%s色差 %.1f）。", after, spread);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片背景不均匀：%s背景边缘色差为 %.1f，要求不超过 %.0f。背景上可能有边框、文字、"
                 "图案、杂物或明显阴影，请在纯色背景前重新拍摄，不要添加边框或文字。",
                 after, spread, spec->background_rms);
}

/* The face's box in image pixels (from the landmarks or the box). */
static bool face_box(const struct photo_image *img, const struct photo_face *face,
                     struct photo_box *box)
{
    if (face == NULL || !face->has_landmarks)
        return false;
    double x0 = face->box_x, y0 = face->box_y, x1 = face->box_x + face->box_w,
           y1 = face->box_y + face->box_h;
    if (face->box_w <= 0 || face->box_h <= 0) {
        x0 = y0 = 1e18;
        x1 = y1 = -1e18;
        for (int i = 0; i < PHOTO_LANDMARKS; i++) {
            x0 = fmin(x0, face->pts[i].x);
            y0 = fmin(y0, face->pts[i].y);
            x1 = fmax(x1, face->pts[i].x);
            y1 = fmax(y1, face->pts[i].y);
        }
    }
    box->x0 = (int)fmax(0, x0 / img->scale);
    box->y0 = (int)fmax(0, y0 / img->scale);
    box->x1 = (int)fmin(img->w, x1 / img->scale);
    box->y1 = (int)fmin(img->h, y1 / img->scale);
    return box->x1 - box->x0 >= 8 && box->y1 - box->y0 >= 8;
}

void photo_rule_sharpness(const struct photo_spec *spec, const struct photo_image *img,
                          const struct photo_face *face, struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_SHARPNESS, "");
    struct photo_box box;
    bool on_face = face_box(img, face, &box);
    if (!on_face) {
        box.x0 = img->w / 4;
        box.x1 = img->w * 3 / 4;
        box.y0 = img->h / 5;
        box.y1 = img->h * 7 / 10;
    }
    double var = photo_laplacian_variance(img, &box);
    struct photo_range r = {.lo = spec->sharpness_min, .has_lo = true};
    verdict_value(v, round(var * 10) / 10, &r);
    snprintf(v->required, sizeof(v->required), "清晰度不低于 %.0f", spec->sharpness_min);
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "照片清晰（清晰度 %.1f）。", var);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片不够清晰：%s清晰度为 %.1f，要求不低于 %.0f。请对焦准确、保持相机稳定后重新拍"
                 "摄，不要把小照片放大使用。",
                 on_face ? "人脸区域" : "画面中部", var, spec->sharpness_min);
}

void photo_rule_exposure(const struct photo_spec *spec, const struct photo_image *img,
                         const struct photo_border *b, struct photo_verdict_rec *v)
{
    verdict_init(v, PHOTO_RULE_EXPOSURE, "");
    int x0 = img->w * 15 / 100, x1 = img->w * 85 / 100;
    int y0 = img->h * 15 / 100, y1 = img->h * 95 / 100;
    long n = 0, over = 0, under = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = img->rgb + ((size_t)y * img->w + x0) * 3;
        for (int x = x0; x < x1; x++, p += 3) {
            if (b != NULL) {
                /* Background pixels are not the subject: a white
                 * background is allowed to be white. */
                int d0 = p[0] - b->rgb[0], d1 = p[1] - b->rgb[1], d2 = p[2] - b->rgb[2];
                if (d0 * d0 + d1 * d1 + d2 * d2 < 30 * 30)
                    continue;
            }
            n++;
            if (p[0] >= 250 && p[1] >= 250 && p[2] >= 250)
                over++;
            else if (p[0] <= 5 && p[1] <= 5 && p[2] <= 5)
                under++;
        }
    }
    double share = n > 0 ? (double)(over + under) / n : 0;
    struct photo_range r = {.hi = spec->clipped_max, .has_hi = true};
    verdict_value(v, round(share * 10000) / 10000, &r);
    snprintf(v->required, sizeof(v->required), "过亮或过暗像素不超过 %.0f%%",
             spec->clipped_max * 100);
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "曝光正常（过亮/过暗像素 %.1f%%）。", share * 100);
    else
        snprintf(v->message, sizeof(v->message),
                 "照片曝光不当：人像区域有 %.1f%% 的像素%s（要求不超过 %.0f%%）。请在光线均匀、"
                 "不太亮也不太暗的地方重新拍摄，避免强光直射或逆光。",
                 share * 100, over >= under ? "过亮（一片白）" : "过暗（一片黑）",
                 spec->clipped_max * 100);
}

/* ---- ID card outline ---- */

static double dist(struct photo_point a, struct photo_point b)
{
    return hypot(a.x - b.x, a.y - b.y);
}

/*
 * A scan cropped to the card itself: the frame's edge is the card (light
 * and uniform), the frame has the card's proportions, and each corner tip
 * shows whether the rounded corner is complete (the surface behind it shows
 * through) or was cut off. Fills both verdicts and returns true in that
 * case; returns false (verdicts untouched) otherwise.
 */
static bool card_fills_frame(const struct photo_spec *spec, const struct photo_image *img,
                             const struct photo_border *ring, struct photo_verdict_rec *outline,
                             struct photo_verdict_rec *corners, struct photo_geometry *geo)
{
    double aspect = (double)img->w / img->h;
    if (ring->rms > 12 || ring->lab[0] < 55 || !photo_range_contains(&spec->card_aspect, aspect))
        return false;
    /* Corner tips: the triangle x + y < r at each corner, r = 3% of the
     * height (the ID-1 corner radius is 3.18 mm of 54 mm, about 6%). */
    int r = img->h * 3 / 100 > 2 ? img->h * 3 / 100 : 2, complete = 0;
    for (int c = 0; c < 4; c++) {
        long sum[3] = {0, 0, 0}, n = 0;
        for (int dy = 0; dy < r; dy++)
            for (int dx = 0; dx + dy < r; dx++) {
                int x = c == 1 || c == 2 ? img->w - 1 - dx : dx;
                int y = c >= 2 ? img->h - 1 - dy : dy;
                const uint8_t *p = img->rgb + ((size_t)y * img->w + x) * 3;
                for (int k = 0; k < 3; k++)
                    sum[k] += p[k];
                n++;
            }
        int d0 = (int)(sum[0] / n) - ring->rgb[0], d1 = (int)(sum[1] / n) - ring->rgb[1],
            d2 = (int)(sum[2] / n) - ring->rgb[2];
        complete += d0 * d0 + d1 * d1 + d2 * d2 > 45 * 45;
    }
    double W = img->w * img->scale, H = img->h * img->scale;
    struct photo_point q[4] = {{0, 0}, {W - 1, 0}, {W - 1, H - 1}, {0, H - 1}};
    memcpy(geo->card, q, sizeof(q));
    geo->has_card = true;
    verdict_value(outline, round(aspect * 1000) / 1000, &spec->card_aspect);
    snprintf(outline->message, sizeof(outline->message),
             "身份证充满画面，轮廓宽高比 %.3f，符合要求。", aspect);
    struct photo_range four = photo_range_make(4, 4);
    verdict_value(corners, complete, &four);
    if (corners->verdict == PHOTO_PASSED)
        snprintf(corners->message, sizeof(corners->message), "身份证四个圆角完整。");
    else
        snprintf(corners->message, sizeof(corners->message),
                 "身份证四个圆角不完整：只有 %d 个圆角完整可见，要求 4 个。请不要裁掉证件的圆角，"
                 "裁剪时在证件四周留出少量空隙。",
                 complete);
    return true;
}

void photo_rule_card(const struct photo_spec *spec, const struct photo_image *img,
                     struct photo_verdict_rec *outline, struct photo_verdict_rec *corners,
                     struct photo_geometry *geo)
{
    verdict_init(outline, PHOTO_RULE_CARD_OUTLINE, "");
    verdict_init(corners, PHOTO_RULE_CARD_CORNERS, "");
    snprintf(outline->required, sizeof(outline->required), "能识别出身份证四边形轮廓，宽高比 ");
    range_text(&spec->card_aspect, 3, "", outline->required + strlen(outline->required),
               sizeof(outline->required) - strlen(outline->required));
    snprintf(corners->required, sizeof(corners->required), "4 个角都在画面内，距边缘至少 %d 像素",
             spec->card_margin);
    struct photo_range four = photo_range_make(4, 4);

    /* Work on a grid of at most about 250k cells. */
    int step = (int)ceil(sqrt((double)img->w * img->h / 250000.0));
    if (step < 1)
        step = 1;
    int gw = img->w / step, gh = img->h / step;
    struct photo_border bg;
    photo_border_sample(img, true, &bg);
    uint8_t *mask = zk_calloc((size_t)gw * gh, 1);
    int *queue = zk_malloc((size_t)gw * gh * sizeof(int));
    for (int gy = 0; gy < gh; gy++)
        for (int gx = 0; gx < gw; gx++) {
            const uint8_t *p = img->rgb + ((size_t)(gy * step) * img->w + (size_t)gx * step) * 3;
            int d0 = p[0] - bg.rgb[0], d1 = p[1] - bg.rgb[1], d2 = p[2] - bg.rgb[2];
            mask[gy * gw + gx] = d0 * d0 + d1 * d1 + d2 * d2 > 45 * 45;
        }
    /* Largest 4-connected component; mask becomes 2 for visited cells. */
    long best_n = 0;
    int best_seed = -1;
    for (int i = 0; i < gw * gh; i++) {
        if (mask[i] != 1)
            continue;
        long n = 0;
        int head = 0, tail = 0;
        queue[tail++] = i;
        mask[i] = 2;
        while (head < tail) {
            int c = queue[head++], cx = c % gw, cy = c / gw;
            n++;
            int nb[4] = {cx > 0 ? c - 1 : -1, cx < gw - 1 ? c + 1 : -1, cy > 0 ? c - gw : -1,
                         cy < gh - 1 ? c + gw : -1};
            for (int k = 0; k < 4; k++)
                if (nb[k] >= 0 && mask[nb[k]] == 1) {
                    mask[nb[k]] = 2;
                    queue[tail++] = nb[k];
                }
        }
        if (n > best_n) {
            best_n = n;
            best_seed = i;
        }
    }
    double share = gw * gh > 0 ? (double)best_n / ((double)gw * gh) : 0;
    if ((best_seed < 0 || share < spec->card_min_area) &&
        card_fills_frame(spec, img, &bg, outline, corners, geo))
        goto out;
    if (best_seed < 0 || share < spec->card_min_area) {
        outline->verdict = PHOTO_FAILED;
        snprintf(
            outline->message, sizeof(outline->message),
            "未能识别出身份证轮廓（证件约占画面 %.0f%%，要求不少于 %.0f%%）。请把身份证平放在与"
            "证件颜色反差明显的深色桌面上，正对证件拍摄，让证件占满画面的大部分。",
            share * 100, spec->card_min_area * 100);
        photo_verdict_skipped(PHOTO_RULE_CARD_CORNERS, "未识别出身份证轮廓，无法检查四个角。",
                              corners);
        snprintf(corners->required, sizeof(corners->required), "4 个角都在画面内");
        goto out;
    }
    /* Re-walk the winning component (mark 3) for its extreme points. */
    int head = 0, tail = 0;
    queue[tail++] = best_seed;
    mask[best_seed] = 3;
    bool touches = false;
    double ext[4] = {1e18, -1e18, -1e18, 1e18}; /* min x+y, max x-y, max x+y, min x-y */
    struct photo_point q[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    while (head < tail) {
        int c = queue[head++], cx = c % gw, cy = c / gw;
        touches |= cx == 0 || cy == 0 || cx == gw - 1 || cy == gh - 1;
        double s = cx + cy, d = cx - cy;
        struct photo_point pt = {cx, cy};
        if (s < ext[0]) {
            ext[0] = s;
            q[0] = pt;
        }
        if (d > ext[1]) {
            ext[1] = d;
            q[1] = pt;
        }
        if (s > ext[2]) {
            ext[2] = s;
            q[2] = pt;
        }
        if (d < ext[3]) {
            ext[3] = d;
            q[3] = pt;
        }
        int nb[4] = {cx > 0 ? c - 1 : -1, cx < gw - 1 ? c + 1 : -1, cy > 0 ? c - gw : -1,
                     cy < gh - 1 ? c + gw : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && mask[nb[k]] == 2) {
                mask[nb[k]] = 3;
                queue[tail++] = nb[k];
            }
    }
    /* Grid cells to photo pixels (cell centres; edge cells to the edge). */
    double f = step * img->scale;
    for (int k = 0; k < 4; k++) {
        q[k].x = q[k].x == 0 ? 0 : q[k].x == gw - 1 ? gw * f - 1 : (q[k].x + 0.5) * f;
        q[k].y = q[k].y == 0 ? 0 : q[k].y == gh - 1 ? gh * f - 1 : (q[k].y + 0.5) * f;
        geo->card[k] = q[k];
    }
    geo->has_card = true;
    double top = dist(q[0], q[1]), right = dist(q[1], q[2]), bottom = dist(q[2], q[3]),
           left = dist(q[3], q[0]);
    double aspect = left + right > 0 ? (top + bottom) / (left + right) : 0;
    double quad_area =
        0.5 * fabs((q[0].x * q[1].y - q[1].x * q[0].y) + (q[1].x * q[2].y - q[2].x * q[1].y) +
                   (q[2].x * q[3].y - q[3].x * q[2].y) + (q[3].x * q[0].y - q[0].x * q[3].y));
    double fill = quad_area > 0 ? best_n * f * f / quad_area : 0;

    int inside = 0;
    double W = gw * f, H = gh * f, m = spec->card_margin;
    for (int k = 0; k < 4; k++)
        inside += q[k].x >= m && q[k].y >= m && q[k].x <= W - 1 - m && q[k].y <= H - 1 - m;
    if (touches && inside == 4)
        inside = 3; /* cut along an edge between two corners */
    verdict_value(corners, inside, &four);
    if (corners->verdict == PHOTO_PASSED)
        snprintf(corners->message, sizeof(corners->message), "身份证四个角都在画面内。");
    else
        snprintf(corners->message, sizeof(corners->message),
                 "身份证没有完整拍入画面：只有 %d 个角在画面内，要求 4 个圆角完整。请把整张身份证放"
                 "入画面，四周留出少量空隙后重新拍摄。",
                 inside);

    if (touches) {
        photo_verdict_skipped(PHOTO_RULE_CARD_OUTLINE,
                              "身份证被画面边缘截断，无法测量轮廓比例（见“四个角”一项）。",
                              outline);
        range_text(&spec->card_aspect, 3, "", outline->required, sizeof(outline->required));
        goto out;
    }
    verdict_value(outline, round(aspect * 1000) / 1000, &spec->card_aspect);
    if (fill < 0.85 || fill > 1.15) {
        outline->verdict = PHOTO_FAILED;
        snprintf(outline->message, sizeof(outline->message),
                 "未能识别出完整的身份证四边形轮廓（填充度 %.2f）。请把身份证平放在纯色深色桌面上，"
                 "正对证件拍摄，不要用手遮挡。",
                 fill);
    } else if (outline->verdict == PHOTO_PASSED) {
        snprintf(outline->message, sizeof(outline->message), "识别到身份证轮廓（宽高比 %.3f）。",
                 aspect);
    } else {
        snprintf(outline->message, sizeof(outline->message),
                 "身份证轮廓宽高比为 %.3f，要求 %.3f-%.3f（85.6×54 毫米）。图片可能被拉伸变形或倾斜"
                 "拍摄，请正对证件拍摄，不要拉伸图片。",
                 aspect, spec->card_aspect.lo, spec->card_aspect.hi);
    }
out:
    free(queue);
    free(mask);
}

/* ---- rules on the face engine's landmarks ---- */

void photo_rule_face_count(const struct photo_spec *spec, const struct photo_face *face,
                           struct photo_verdict_rec *v)
{
    if (face == NULL || face->face_count < 0) {
        photo_verdict_pending(PHOTO_RULE_FACE_COUNT, v);
        v->unit = "";
        v->range = spec->faces;
        range_text(&spec->faces, 0, " 张人脸", v->required, sizeof(v->required));
        return;
    }
    verdict_init(v, PHOTO_RULE_FACE_COUNT, "");
    verdict_value(v, face->face_count, &spec->faces);
    range_text(&spec->faces, 0, " 张人脸", v->required, sizeof(v->required));
    bool two = spec->faces.has_lo && spec->faces.lo >= 2;
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "检测到 %d 张人脸，符合要求。", face->face_count);
    else
        snprintf(v->message, sizeof(v->message), "检测到 %d 张人脸，要求 %s%s。", face->face_count,
                 v->required,
                 two ? "（本人和身份证上的人像）：请手持身份证放在胸前，人脸和证件人像都要清晰露出"
                     : "：请确保画面中只有本人一张正面人脸且清晰可见");
}

static double mean_y(const struct photo_face *f, int from, int to)
{
    double s = 0;
    for (int i = from; i <= to; i++)
        s += f->pts[i].y;
    return s / (to - from + 1);
}

static double mean_x(const struct photo_face *f, int from, int to)
{
    double s = 0;
    for (int i = from; i <= to; i++)
        s += f->pts[i].x;
    return s / (to - from + 1);
}

static bool pending_without_landmarks(enum photo_rule rule, const struct photo_spec *spec,
                                      const struct photo_range *r, const struct photo_face *face,
                                      struct photo_verdict_rec *v)
{
    if (face != NULL && face->has_landmarks)
        return false;
    photo_verdict_pending(rule, v);
    if (r != NULL) {
        v->range = *r;
        range_text(r, 0, " 像素", v->required, sizeof(v->required));
    }
    (void)spec;
    return true;
}

void photo_rule_head_top(const struct photo_spec *spec, const struct photo_image *img,
                         const struct photo_border *b, const struct photo_face *face,
                         struct photo_verdict_rec *v, struct photo_geometry *geo)
{
    if (pending_without_landmarks(PHOTO_RULE_HEAD_TOP, spec, &spec->head_top, face, v))
        return;
    if (img == NULL || b == NULL) {
        photo_verdict_skipped(PHOTO_RULE_HEAD_TOP, "照片无法读取，未检查头顶位置。", v);
        return;
    }
    verdict_init(v, PHOTO_RULE_HEAD_TOP, "px");
    /* Columns: the middle 60% between the jaw ends; rows: from the top
     * edge down to the brows. */
    double jl = fmin(face->pts[0].x, face->pts[16].x), jr = fmax(face->pts[0].x, face->pts[16].x);
    int x0 = (int)((jl + 0.2 * (jr - jl)) / img->scale),
        x1 = (int)((jr - 0.2 * (jr - jl)) / img->scale);
    double brow = face->pts[17].y;
    for (int i = 17; i <= 26; i++)
        brow = fmin(brow, face->pts[i].y);
    int ybrow = (int)(brow / img->scale);
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 > img->w ? img->w : x1;
    ybrow = ybrow > img->h ? img->h : ybrow;
    int cols = x1 - x0, need = cols / 20 > 2 ? cols / 20 : 2;
    int top = ybrow, prev_hit = -2;
    for (int y = 0; y < ybrow && cols > 0; y++) {
        const uint8_t *p = img->rgb + (size_t)y * img->w * 3;
        int hits = 0, row_hits = 0;
        for (int x = 0; x < img->w; x++, p += 3) {
            int d0 = p[0] - b->rgb[0], d1 = p[1] - b->rgb[1], d2 = p[2] - b->rgb[2];
            bool hit = d0 * d0 + d1 * d1 + d2 * d2 > 40 * 40;
            row_hits += hit;
            hits += hit && x >= x0 && x < x1;
        }
        /* A line across nearly the whole width is a frame, not hair. */
        if (hits >= need && row_hits < img->w * 9 / 10) {
            if (prev_hit == y - 1) { /* two rows in a row: not noise */
                top = y - 1;
                break;
            }
            prev_hit = y;
        }
    }
    double value = top * img->scale;
    verdict_value(v, round(value), &spec->head_top);
    range_text(&spec->head_top, 0, " 像素", v->required, sizeof(v->required));
    geo->has_head_top = true;
    geo->head_top = value;
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "头顶距上边沿 %.0f 像素，符合要求。", value);
    else if (spec->head_top.has_lo && value < spec->head_top.lo)
        snprintf(v->message, sizeof(v->message),
                 "头顶距上边沿 %.0f 像素，要求 %s：人像太靠上%s。请裁剪时在头顶上方多留一些背景。",
                 value, v->required, value < 1 ? "（头顶被裁掉）" : "");
    else
        snprintf(v->message, sizeof(v->message),
                 "头顶距上边沿 %.0f 像素，要求 %s：人像太靠下，头顶上方背景过多。请裁剪掉部分上方背"
                 "景或把人像上移。",
                 value, v->required);
}

void photo_rule_eye_line(const struct photo_spec *spec, const struct photo_face *face,
                         struct photo_verdict_rec *v, struct photo_geometry *geo)
{
    if (pending_without_landmarks(PHOTO_RULE_EYE_LINE, spec, &spec->eye_line, face, v))
        return;
    verdict_init(v, PHOTO_RULE_EYE_LINE, "px");
    double y = mean_y(face, 36, 47);
    verdict_value(v, round(y), &spec->eye_line);
    range_text(&spec->eye_line, 0, " 像素", v->required, sizeof(v->required));
    geo->has_eye_line = true;
    geo->eye_line = y;
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "眼睛距上边沿 %.0f 像素，符合要求。", y);
    else
        snprintf(v->message, sizeof(v->message),
                 "眼睛距上边沿 %.0f 像素，要求 %s：人像%s。请重新裁剪，让眼睛位于要求的高度。", y,
                 v->required, spec->eye_line.has_lo && y < spec->eye_line.lo ? "太靠上" : "太靠下");
}

void photo_rule_face_width(const struct photo_spec *spec, const struct photo_face *face,
                           struct photo_verdict_rec *v, struct photo_geometry *geo)
{
    if (pending_without_landmarks(PHOTO_RULE_FACE_WIDTH, spec, &spec->face_width, face, v))
        return;
    verdict_init(v, PHOTO_RULE_FACE_WIDTH, "px");
    double l = fmin(face->pts[0].x, face->pts[16].x), r = fmax(face->pts[0].x, face->pts[16].x);
    double w = r - l;
    verdict_value(v, round(w), &spec->face_width);
    range_text(&spec->face_width, 0, " 像素", v->required, sizeof(v->required));
    geo->has_face_width = true;
    geo->face_left = l;
    geo->face_right = r;
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "脸部宽度 %.0f 像素，符合要求。", w);
    else if (spec->face_width.has_lo && w < spec->face_width.lo)
        snprintf(v->message, sizeof(v->message),
                 "脸部宽度（两脸颊之间）%.0f 像素，要求 %s：人像太小。请靠近镜头拍摄，或裁剪时减"
                 "少人像周围的背景。",
                 w, v->required);
    else
        snprintf(v->message, sizeof(v->message),
                 "脸部宽度（两脸颊之间）%.0f 像素，要求 %s：人像太大。请离镜头远一些拍摄，或裁剪时"
                 "保留更多背景。",
                 w, v->required);
}

void photo_rule_face_centre(const struct photo_spec *spec, int width, const struct photo_face *face,
                            struct photo_verdict_rec *v, struct photo_geometry *geo)
{
    double tol = spec->centre_max * width;
    struct photo_range r = photo_range_make(-round(tol), round(tol));
    if (pending_without_landmarks(PHOTO_RULE_FACE_CENTRE, spec, &r, face, v))
        return;
    verdict_init(v, PHOTO_RULE_FACE_CENTRE, "px");
    double cx = (face->pts[0].x + face->pts[16].x) / 2;
    double off = cx - width / 2.0;
    verdict_value(v, round(off), &r);
    snprintf(v->required, sizeof(v->required), "脸部中心偏离画面中线不超过 %.0f 像素", tol);
    geo->centre_x = cx;
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "人像水平居中（偏离 %.0f 像素）。", fabs(off));
    else
        snprintf(v->message, sizeof(v->message),
                 "人像未水平居中：脸部中心偏%s %.0f 像素，允许偏离不超过 %.0f 像素。请重新裁剪，使"
                 "人像位于画面正中。",
                 off < 0 ? "左" : "右", fabs(off), tol);
}

void photo_rule_symmetry(const struct photo_spec *spec, const struct photo_face *face,
                         struct photo_verdict_rec *v)
{
    struct photo_range r = {.hi = spec->symmetry_max, .has_hi = true};
    if (pending_without_landmarks(PHOTO_RULE_SYMMETRY, spec, NULL, face, v)) {
        v->unit = "";
        v->range = r;
        snprintf(v->required, sizeof(v->required), "不对称度不超过 %.2f", spec->symmetry_max);
        return;
    }
    verdict_init(v, PHOTO_RULE_SYMMETRY, "");
    /* Left/right distances from the nose bridge of mirrored landmark
     * pairs: jaw, brow ends, eye corners, mouth corners. */
    static const int pairs[][2] = {{0, 16},  {1, 15},  {2, 14}, {3, 13},  {4, 12},
                                   {5, 11},  {6, 10},  {7, 9},  {17, 26}, {21, 22},
                                   {36, 45}, {39, 42}, {48, 54}};
    double nose = mean_x(face, 27, 30), sum = 0;
    int n = 0;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        double dl = nose - face->pts[pairs[i][0]].x, dr = face->pts[pairs[i][1]].x - nose;
        if (dl + dr <= 1)
            continue;
        sum += fabs(dl - dr) / (fabs(dl) + fabs(dr));
        n++;
    }
    double asym = n > 0 ? sum / n : 1;
    verdict_value(v, round(asym * 1000) / 1000, &r);
    snprintf(v->required, sizeof(v->required), "不对称度不超过 %.2f", spec->symmetry_max);
    if (v->verdict == PHOTO_PASSED)
        snprintf(v->message, sizeof(v->message), "人像左右对称（不对称度 %.3f）。", asym);
    else
        snprintf(v->message, sizeof(v->message),
                 "人像左右不对称（不对称度 %.3f，要求不超过 %.2f）：请正对镜头、头部端正，不要侧脸"
                 "或歪头，也不要对照片做镜像或变形处理。",
                 asym, spec->symmetry_max);
}
