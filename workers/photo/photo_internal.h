/*
 * photo_internal.h - the parts of the photo engine below photo.h: the header
 * probe, the decoded analysis image, colour conversion and one function per
 * rule. Exposed so the unit tests can prove each rule on its own; product
 * code outside workers/photo/ uses photo.h only.
 *
 * Every rule function fills one struct photo_verdict_rec completely (rule,
 * verdict, value, range, required text, unit and a Chinese message a
 * candidate can act on) and cannot fail.
 */
#ifndef ZK_PHOTO_INTERNAL_H
#define ZK_PHOTO_INTERNAL_H

#include "photo.h"

/* What the header says, read without decoding any pixel. */
struct photo_probe {
    enum photo_format format;
    int width, height; /* 0 when not found */
    int components;
    int exif_orientation; /* 1..8 from EXIF; 0 when absent */
    bool progressive;     /* JPEG SOF2 */
    bool complete;        /* JPEG ends with EOI / PNG has IEND */
};

/* Identifies the format from the first bytes. Cannot fail. */
enum photo_format photo_sniff(const uint8_t *data, size_t len);

/* Reads format, dimensions and (JPEG) EXIF orientation from the header.
 * Returns 0, or -EINVAL when the header is malformed or dimensions are
 * missing (p->format is still set). Never reads past len. */
int photo_probe(const uint8_t *data, size_t len, struct photo_probe *p);

/* A decoded image: 8-bit sRGB, 3 bytes per pixel, rows packed. scale is the
 * size of one image pixel in photo pixels (>= 1 when shrunk for analysis). */
struct photo_image {
    int w, h;
    uint8_t *rgb;
    double scale;
};

/* An axis-aligned box in image pixels, half-open. */
struct photo_box {
    int x0, y0, x1, y1;
};

/* CIE L*a*b* (D65) of an 8-bit sRGB colour. */
void photo_srgb_to_lab(const uint8_t rgb[3], double lab[3]);
double photo_delta_e(const double a[3], const double b[3]);
/* CIEDE2000 between two Lab colours, lightness differences divided by kl
 * (1: the standard; 2: lightness counts half, as in acceptability tolerances). */
double photo_delta_e2000(const double a[3], const double b[3], double kl);
/* The palette entry nearest to lab, or NULL when the palette is empty. */
const struct photo_colour *photo_palette_nearest(const struct photo_specs *specs,
                                                 const double lab[3]);

/* Border statistics over bands 3% of the size deep: the top band and the
 * side bands of the upper half (where a portrait has background; shoulders
 * fill the bottom), or with full_ring the whole frame edge (card photos).
 * The colour is the per-channel median sRGB of the samples; rms their RMS
 * CIE76 distance from it; residual their RMS CIE76 distance from a smooth
 * surface robustly fitted to them (a degree-2 polynomial of the position
 * per Lab channel): what is left once uneven light - vignetting, a
 * gradient, light falling off - is taken away, i.e. patterns, objects,
 * frames and text. */
struct photo_border {
    int n;
    double lab[3];   /* Lab of rgb */
    double rms;      /* RMS CIE76 distance of the samples from lab */
    double residual; /* RMS CIE76 distance from the fitted lighting surface */
    double pattern;  /* 95th percentile of the distances from that surface */
    uint8_t rgb[3];  /* per-channel median sRGB */
};
void photo_border_sample(const struct photo_image *img, bool full_ring, struct photo_border *b);

/* Variance of the 4-neighbour Laplacian of the grey image over box. */
double photo_laplacian_variance(const struct photo_image *img, const struct photo_box *box);

/* Sets range to [lo, hi]. */
struct photo_range photo_range_make(double lo, double hi);
bool photo_range_set(const struct photo_range *r);
bool photo_range_contains(const struct photo_range *r, double v);

/* Rules. spec is never NULL; the verdict is written to v. */
void photo_rule_format(const struct photo_spec *spec, enum photo_format f,
                       struct photo_verdict_rec *v);
void photo_rule_file_size(const struct photo_spec *spec, size_t bytes, struct photo_verdict_rec *v);
void photo_rule_rotation(int exif_orientation, struct photo_verdict_rec *v);
void photo_rule_dimensions(const struct photo_spec *spec, int w, int h,
                           struct photo_verdict_rec *v);
void photo_rule_orientation(const struct photo_spec *spec, int w, int h,
                            struct photo_verdict_rec *v);
void photo_rule_aspect(const struct photo_spec *spec, int w, int h, struct photo_verdict_rec *v);
void photo_rule_background_colour(const struct photo_spec *spec, const struct photo_specs *specs,
                                  const struct photo_border *b, struct photo_verdict_rec *v);
void photo_rule_background_uniform(const struct photo_spec *spec, const struct photo_border *b,
                                   struct photo_verdict_rec *v);
/* face may be NULL or without landmarks: the centre of the image is used. */
void photo_rule_sharpness(const struct photo_spec *spec, const struct photo_image *img,
                          const struct photo_face *face, struct photo_verdict_rec *v);
void photo_rule_exposure(const struct photo_spec *spec, const struct photo_image *img,
                         const struct photo_border *b, struct photo_verdict_rec *v);
void photo_rule_card(const struct photo_spec *spec, const struct photo_image *img,
                     struct photo_verdict_rec *outline, struct photo_verdict_rec *corners,
                     struct photo_geometry *geo);
void photo_rule_face_count(const struct photo_spec *spec, const struct photo_face *face,
                           struct photo_verdict_rec *v);
/* img and b may be NULL (photo not decoded): the verdict is then SKIPPED. */
void photo_rule_head_top(const struct photo_spec *spec, const struct photo_image *img,
                         const struct photo_border *b, const struct photo_face *face,
                         struct photo_verdict_rec *v, struct photo_geometry *geo);
void photo_rule_eye_line(const struct photo_spec *spec, const struct photo_face *face,
                         struct photo_verdict_rec *v, struct photo_geometry *geo);
void photo_rule_face_width(const struct photo_spec *spec, const struct photo_face *face,
                           struct photo_verdict_rec *v, struct photo_geometry *geo);
void photo_rule_face_centre(const struct photo_spec *spec, int width, const struct photo_face *face,
                            struct photo_verdict_rec *v, struct photo_geometry *geo);
void photo_rule_symmetry(const struct photo_spec *spec, const struct photo_face *face,
                         struct photo_verdict_rec *v);

/* Fills v as SKIPPED / PENDING with an explanation. */
void photo_verdict_skipped(enum photo_rule rule, const char *why, struct photo_verdict_rec *v);
void photo_verdict_pending(enum photo_rule rule, struct photo_verdict_rec *v);

/* True when the spec enables the rule. */
bool photo_rule_enabled(const struct photo_spec *spec, enum photo_rule rule);

/*
 * Decodes data through the locked-down libvips loaders into an analysis
 * image no larger than about spec->analysis_pixels (JPEG shrink-on-load,
 * then box shrink), refusing truncated files. Returns 0 or -EINVAL with a
 * Chinese reason in why. img->rgb is g_malloc'ed: release with
 * photo_image_free.
 */
int photo_decode(const struct photo_spec *spec, const uint8_t *data, size_t len,
                 const struct photo_probe *probe, struct photo_image *img, char *why, size_t whysz);
void photo_image_free(struct photo_image *img);

#endif
