/*
 * photo.h - the photo check engine: photo specifications as data, the safe
 * libvips decode gate, the rules, their verdicts, and the result as JSON and
 * as an annotated preview PNG.
 *
 * Owns: struct photo_specs (loaded once at start from an INI file, see
 * config/photo_specs.ini), struct photo_result (one verdict per rule that the
 * photo's specification enables). Does not own face detection: the face
 * engine (workers/face/) supplies landmarks through struct photo_face; the
 * rules that need them report PHOTO_PENDING when it is absent, never
 * PHOTO_PASSED.
 *
 * Thread safety: the specs are read-only after loading; photo_check_* keeps
 * all state in its arguments, so concurrent checks on different results are
 * safe once photo_init has returned.
 */
#ifndef ZK_PHOTO_H
#define ZK_PHOTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHOTO_NAME_MAX    32
#define PHOTO_TITLE_MAX   64
#define PHOTO_MAX_COLOURS 8
#define PHOTO_PALETTE_MAX 32
#define PHOTO_LANDMARKS   68
#define PHOTO_MESSAGE_MAX 1024

/* Image formats, by magic bytes. Only JPEG and PNG are ever decoded. */
enum photo_format {
    PHOTO_FMT_UNKNOWN = 0,
    PHOTO_FMT_JPEG,
    PHOTO_FMT_PNG,
    PHOTO_FMT_GIF,
    PHOTO_FMT_BMP,
    PHOTO_FMT_WEBP,
    PHOTO_FMT_TIFF,
    PHOTO_FMT_HEIF,
    PHOTO_FMT_PDF,
};

enum photo_verdict {
    PHOTO_PASSED = 0,
    PHOTO_FAILED,
    PHOTO_PENDING, /* needs the face engine's input, which was not supplied */
    PHOTO_SKIPPED, /* could not run: an earlier gate (format, decode) failed */
};

/* The rules, in the order they are reported. */
enum photo_rule {
    PHOTO_RULE_FORMAT = 0,
    PHOTO_RULE_FILE_SIZE,
    PHOTO_RULE_DECODE,
    PHOTO_RULE_ROTATION,
    PHOTO_RULE_DIMENSIONS,
    PHOTO_RULE_ORIENTATION,
    PHOTO_RULE_ASPECT,
    PHOTO_RULE_BACKGROUND_COLOUR,
    PHOTO_RULE_BACKGROUND_UNIFORM,
    PHOTO_RULE_SHARPNESS,
    PHOTO_RULE_EXPOSURE,
    PHOTO_RULE_CARD_OUTLINE,
    PHOTO_RULE_CARD_CORNERS,
    PHOTO_RULE_FACE_COUNT,
    PHOTO_RULE_HEAD_TOP,
    PHOTO_RULE_EYE_LINE,
    PHOTO_RULE_FACE_WIDTH,
    PHOTO_RULE_FACE_CENTRE,
    PHOTO_RULE_SYMMETRY,
    PHOTO_RULE_COUNT
};

/* An inclusive range; a missing bound is open. */
struct photo_range {
    double lo, hi;
    bool has_lo, has_hi;
};

struct photo_colour {
    char id[PHOTO_NAME_MAX];   /* light_blue */
    char name[PHOTO_NAME_MAX]; /* 浅蓝色 */
    uint8_t rgb[3];
    double lab[3]; /* CIE L*a*b* (D65), computed at load */
};

enum photo_orientation { PHOTO_ORIENT_ANY = 0, PHOTO_ORIENT_PORTRAIT, PHOTO_ORIENT_LANDSCAPE };

/* How far a background colour is from an allowed one. */
enum photo_colour_metric {
    PHOTO_METRIC_CIE76 = 0, /* Euclidean distance in L*a*b* */
    PHOTO_METRIC_CIEDE2000, /* CIEDE2000, lightness weighted by 1 / background_lightness_weight */
};

/*
 * One photo kind of one province profile. A range with neither bound set
 * disables its rule; so do zero thresholds (sharpness_min, clipped_max,
 * ncolours, faces).
 */
struct photo_spec {
    char profile[PHOTO_NAME_MAX]; /* tianjin */
    char kind[PHOTO_NAME_MAX];    /* registration */
    char title[PHOTO_TITLE_MAX];  /* 报名照片 */
    unsigned formats;             /* bit (1u << enum photo_format) per format accepted */
    struct photo_range bytes;
    struct photo_range width, height, long_side, short_side;
    enum photo_orientation orientation;
    struct photo_range aspect; /* width / height */
    long long max_pixels;      /* decode refused above this (header check) */
    int analysis_pixels;       /* pixel rules run on an image shrunk to about this */
    int ncolours;
    struct photo_colour colours[PHOTO_MAX_COLOURS];
    double background_delta_e; /* max distance (background_metric) of the border colour */
    enum photo_colour_metric background_metric;
    double background_lightness_weight; /* kL of CIEDE2000: 2 halves lightness differences */
    double background_rms;              /* max RMS distance of border samples from their mean */
    bool background_shading;            /* uniformity measured once smooth lighting is taken away */
    double background_pattern;          /* max 95th percentile from the lit wall (0: none) */
    double sharpness_min;               /* min variance of the Laplacian (0..255 grey) */
    double clipped_max;                 /* max share of clipped subject pixels (0..1) */
    struct photo_range head_top;        /* px from the top edge */
    struct photo_range eye_line;        /* px from the top edge */
    struct photo_range face_width;      /* px, cheek to cheek */
    double centre_max;                  /* max |face centre - image centre| / width */
    double symmetry_max;                /* max asymmetry index (0 symmetric .. 1) */
    struct photo_range faces;           /* number of faces the face engine must find */
    bool card;                          /* ID card outline and corner rules */
    struct photo_range card_aspect;
    double card_min_area; /* min share of the frame the card covers */
    int card_margin;      /* min px between a corner and the frame edge */
};

struct photo_specs {
    char default_profile[PHOTO_NAME_MAX];
    int npalette;
    struct photo_colour palette[PHOTO_PALETTE_MAX];
    int nspecs;
    struct photo_spec *specs;
};

struct photo_point {
    double x, y;
};

/*
 * What the face engine found, in the photo's own pixel coordinates (after
 * decode, before any shrinking). has_landmarks: the 68 points (iBUG order:
 * 0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth) and the box of
 * the main face are valid. face_count: faces found, or -1 when the engine
 * has not run.
 */
struct photo_face {
    bool has_landmarks;
    struct photo_point pts[PHOTO_LANDMARKS];
    double box_x, box_y, box_w, box_h;
    int face_count;
};

struct photo_verdict_rec {
    enum photo_rule rule;
    enum photo_verdict verdict;
    bool has_value;
    double value;
    char value_text[PHOTO_NAME_MAX]; /* for rules whose value is a word (format) */
    struct photo_range range;
    char required[160]; /* the requirement as text, e.g. "JPG" or "20-40KB" */
    const char *unit;   /* static string: "px", "bytes", "ΔE", "" */
    char message[PHOTO_MESSAGE_MAX];
};

/* What the rules measured, kept for the preview; coordinates in photo px. */
struct photo_geometry {
    bool has_head_top, has_eye_line, has_face_width, has_card;
    double head_top, eye_line, face_left, face_right, centre_x;
    struct photo_point card[4]; /* TL, TR, BR, BL */
    uint8_t background_rgb[3];
    bool has_background;
};

struct photo_result {
    char profile[PHOTO_NAME_MAX];
    char kind[PHOTO_NAME_MAX];
    enum photo_format format;
    size_t bytes;
    int width, height; /* from the header; 0 when unknown */
    int exif_orientation;
    enum photo_verdict status; /* FAILED if any failed, else PENDING if any pending */
    int nverdicts;
    struct photo_verdict_rec verdicts[PHOTO_RULE_COUNT];
    struct photo_geometry geo;
};

/* Initialises libvips once and locks it down: untrusted operations blocked,
 * every loader blocked except JPEG and PNG, no operation cache, one thread
 * per pipeline. Returns 0 or -EIO. */
int photo_init(const char *argv0);

/* Loads specifications from an INI file or text. On error returns -EINVAL
 * (or -errno for the file) and writes "file:line: reason" to err. The
 * specs own their memory; release with photo_specs_free. */
int photo_specs_load_file(struct photo_specs *specs, const char *path, char *err, size_t errsz);
int photo_specs_load_string(struct photo_specs *specs, const char *text, char *err, size_t errsz);
void photo_specs_free(struct photo_specs *specs);

/* Loads the built-in copy of config/photo_specs.ini (embedded at build
 * time). Fails only if that file is broken. */
int photo_specs_load_builtin(struct photo_specs *specs, char *err, size_t errsz);

/* Finds the spec of kind in profile (NULL: the default profile); NULL when
 * there is none. */
const struct photo_spec *photo_spec_find(const struct photo_specs *specs, const char *profile,
                                         const char *kind);

/*
 * Runs every rule the spec enables on the encoded photo in data[0..len).
 * face may be NULL (face rules then report PHOTO_PENDING). Always fills res
 * completely: a photo that cannot be decoded gets a failed "decode" verdict
 * and its pixel rules PHOTO_SKIPPED. Returns 0 (damaged, hostile or huge
 * input is a verdict, never an error). Peak memory is bounded by the spec:
 * max_pixels refuses before decoding, analysis_pixels bounds the decoded
 * copy, progressive JPEGs need at most 96 MiB of coefficients.
 */
int photo_check_buffer(const struct photo_spec *spec, const struct photo_specs *specs,
                       const void *data, size_t len, const struct photo_face *face,
                       struct photo_result *res);

/*
 * Decodes a photo through the same locked-down gate as photo_check_buffer
 * (JPEG/PNG by magic bytes, spec->max_pixels checked on the header,
 * truncation refused) into packed 8-bit sRGB, shrunk to about max_pixels
 * pixels (0: spec->analysis_pixels): the pixels the face engine should get,
 * so that no second decoder ever parses untrusted bytes. *scale receives
 * photo pixels per returned pixel (multiply landmarks by it before filling
 * struct photo_face). *rgb is g_malloc'ed: release with photo_free_buffer.
 * Returns 0 or -EINVAL.
 */
int photo_decode_rgb(const struct photo_spec *spec, const void *data, size_t len, int max_pixels,
                     uint8_t **rgb, int *width, int *height, double *scale);

/* The result as a JSON object (new reference). */
json_t *photo_result_json(const struct photo_result *res);

/*
 * Draws what the geometry rules measured over the photo (hair line, eye line,
 * face-width lines, card outline; green inside the range, red outside; the
 * allowed bands as thin yellow lines) and encodes it as PNG into a
 * g_malloc'ed buffer the caller releases with photo_free_buffer. Returns 0,
 * or -EINVAL when the photo cannot be decoded.
 */
int photo_preview_png(const struct photo_spec *spec, const void *data, size_t len,
                      const struct photo_result *res, void **png, size_t *pnglen);
void photo_free_buffer(void *buf);

const char *photo_rule_name(enum photo_rule rule);
const char *photo_verdict_name(enum photo_verdict v);
const char *photo_format_name(enum photo_format f);

/* Parses a landmarks JSON ({"points":[[x,y]*68] or [{"x":..,"y":..}*68],
 * "box":[x,y,w,h], "faces":N}) into face. Returns 0 or -EINVAL. */
int photo_face_from_json(const json_t *obj, struct photo_face *face);

#endif
