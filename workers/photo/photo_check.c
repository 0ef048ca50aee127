/*
 * photo_check.c - the decode gate and the rule pipeline: libvips locked down
 * to the JPEG and PNG loaders, the header probe and pixel limit enforced
 * before any pixel is decoded, truncated files refused, then every rule the
 * photo's spec enables run in a fixed order into one struct photo_result,
 * which this file also serialises as JSON.
 *
 * Memory: a photo is decoded once, shrunk on load (JPEG) or while streaming
 * (access=sequential) to about spec->analysis_pixels, so a legal photo costs
 * about 3 bytes per analysis pixel. Progressive JPEGs are the exception
 * libjpeg imposes (it buffers every DCT coefficient of the frame): they are
 * refused above PHOTO_PROGRESSIVE_BUDGET bytes of coefficients.
 */
#include "log.h"
#include "photo_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

/* Upper bound of libjpeg's coefficient buffer for a progressive JPEG:
 * width * height * components * sizeof(JCOEF). */
#define PHOTO_PROGRESSIVE_BUDGET (96LL * 1024 * 1024)

/* libvips reports damaged input as GLib warnings: the verdict already says
 * so, keep them for debugging only. */
static void photo_vips_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                           gpointer user)
{
    (void)domain;
    (void)level;
    (void)user;
    log_debug("vips: %s", message);
}

int photo_init(const char *argv0)
{
    if (VIPS_INIT(argv0 != NULL ? argv0 : "zikao-photo") != 0)
        return -EIO;
    vips_block_untrusted_set(TRUE);
    /* Only the JPEG and PNG loaders are reachable; everything else that
     * could parse bytes (GIF, TIFF, SVG, PDF, HEIF, ...) is blocked even
     * if something asked for it by name. */
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO,
                      photo_vips_log, NULL);
    vips_cache_set_max(0);
    vips_concurrency_set(1);
    return 0;
}

const char *photo_rule_name(enum photo_rule rule)
{
    static const char *const names[PHOTO_RULE_COUNT] = {
        "format",       "file_size",         "decode",
        "rotation",     "dimensions",        "orientation",
        "aspect",       "background_colour", "background_uniform",
        "sharpness",    "exposure",          "card_outline",
        "card_corners", "face_count",        "head_top",
        "eye_line",     "face_width",        "face_centre",
        "symmetry",
    };
    return (unsigned)rule < PHOTO_RULE_COUNT ? names[rule] : "unknown";
}

const char *photo_verdict_name(enum photo_verdict v)
{
    switch (v) {
    case PHOTO_PASSED:
        return "passed";
    case PHOTO_FAILED:
        return "failed";
    case PHOTO_PENDING:
        return "pending";
    case PHOTO_SKIPPED:
        return "skipped";
    }
    return "unknown";
}

const char *photo_format_name(enum photo_format f)
{
    static const char *const names[] = {"unknown", "jpeg", "png",  "gif", "bmp",
                                        "webp",    "tiff", "heif", "pdf"};
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

void photo_image_free(struct photo_image *img)
{
    g_free(img->rgb);
    img->rgb = NULL;
}

void photo_free_buffer(void *buf)
{
    g_free(buf);
}

int photo_decode(const struct photo_spec *spec, const uint8_t *data, size_t len,
                 const struct photo_probe *probe, struct photo_image *img, char *why, size_t whysz)
{
    memset(img, 0, sizeof(*img));
    VipsObject *ctx = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(ctx, 6);
    int rc = -EINVAL;
    double target = spec->analysis_pixels > 0 ? spec->analysis_pixels : 1200000;
    double pixels = (double)probe->width * probe->height;
    int shrink = 1;
    VipsImage *cur;

    if (probe->format == PHOTO_FMT_JPEG) {
        while (shrink < 8 && pixels / ((double)shrink * shrink) > target * 4)
            shrink *= 2;
        if (vips_jpegload_buffer((void *)data, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL,
                                 "fail_on", VIPS_FAIL_ON_ERROR, "shrink", shrink, "autorotate",
                                 FALSE, NULL) != 0)
            goto fail;
        if (t[0]->Xsize != (probe->width + shrink - 1) / shrink ||
            t[0]->Ysize != (probe->height + shrink - 1) / shrink)
            goto fail;
    } else {
        if (vips_pngload_buffer((void *)data, len, &t[0], "access", VIPS_ACCESS_SEQUENTIAL,
                                "fail_on", VIPS_FAIL_ON_ERROR, NULL) != 0)
            goto fail;
        if (t[0]->Xsize != probe->width || t[0]->Ysize != probe->height)
            goto fail;
    }
    cur = t[0];
    if (vips_image_get_interpretation(cur) != VIPS_INTERPRETATION_sRGB ||
        cur->BandFmt != VIPS_FORMAT_UCHAR) {
        if (vips_colourspace(cur, &t[1], VIPS_INTERPRETATION_sRGB, NULL) != 0)
            goto fail;
        cur = t[1];
    }
    if (cur->Bands == 4 || cur->Bands == 2) {
        double white[1] = {255};
        VipsArrayDouble *bg = vips_array_double_new(white, 1);
        int frc = vips_flatten(cur, &t[2], "background", bg, NULL);
        vips_area_unref(VIPS_AREA(bg));
        if (frc != 0)
            goto fail;
        cur = t[2];
    }
    if (cur->BandFmt != VIPS_FORMAT_UCHAR) {
        if (vips_cast_uchar(cur, &t[3], NULL) != 0)
            goto fail;
        cur = t[3];
    }
    double now = (double)cur->Xsize * cur->Ysize;
    if (now > target * 1.5) {
        double f = sqrt(now / target);
        if (vips_shrink(cur, &t[4], f, f, NULL) != 0)
            goto fail;
        cur = t[4];
    }
    if (cur->Bands != 3)
        goto fail;
    size_t size;
    img->rgb = vips_image_write_to_memory(cur, &size);
    if (img->rgb == NULL || size != (size_t)cur->Xsize * cur->Ysize * 3) {
        photo_image_free(img);
        goto fail;
    }
    img->w = cur->Xsize;
    img->h = cur->Ysize;
    img->scale = (double)probe->width / img->w;
    rc = 0;
    goto out;
fail:
    snprintf(why, whysz,
             "照片文件不完整或已损坏，无法读取（可能上传中断或文件被截断）。请重新导出保存"
             "后再上传。");
    vips_error_clear();
out:
    g_object_unref(ctx);
    return rc;
}

static bool decode_gate(const struct photo_spec *spec, const struct photo_probe *p, int probe_rc,
                        struct photo_verdict_rec *v);

int photo_decode_rgb(const struct photo_spec *spec, const void *data, size_t len, int max_pixels,
                     uint8_t **rgb, int *width, int *height, double *scale)
{
    *rgb = NULL;
    struct photo_probe probe;
    struct photo_verdict_rec gate;
    if (photo_probe(data, len, &probe) < 0 || !decode_gate(spec, &probe, 0, &gate))
        return -EINVAL;
    struct photo_spec s = *spec;
    if (max_pixels > 0)
        s.analysis_pixels = max_pixels;
    struct photo_image img;
    char why[PHOTO_MESSAGE_MAX];
    if (photo_decode(&s, data, len, &probe, &img, why, sizeof(why)) < 0)
        return -EINVAL;
    *rgb = img.rgb;
    *width = img.w;
    *height = img.h;
    *scale = img.scale;
    return 0;
}

static struct photo_verdict_rec *add(struct photo_result *res)
{
    return &res->verdicts[res->nverdicts++];
}

/* The header part of the decode verdict: refuse what cannot be bounded. */
static bool decode_gate(const struct photo_spec *spec, const struct photo_probe *p, int probe_rc,
                        struct photo_verdict_rec *v)
{
    memset(v, 0, sizeof(*v));
    v->rule = PHOTO_RULE_DECODE;
    v->unit = "px";
    double pixels = (double)p->width * p->height;
    v->range.has_hi = true;
    v->range.hi = (double)spec->max_pixels;
    snprintf(v->required, sizeof(v->required), "完整的图片，不超过 %.0f 万像素",
             spec->max_pixels / 10000.0);
    if (probe_rc < 0) {
        v->verdict = PHOTO_FAILED;
        snprintf(v->message, sizeof(v->message),
                 "照片文件头已损坏，无法读取图片尺寸。请重新导出保存后再上传。");
        return false;
    }
    v->has_value = true;
    v->value = pixels;
    if (pixels > (double)spec->max_pixels) {
        v->verdict = PHOTO_FAILED;
        snprintf(
            v->message, sizeof(v->message),
            "照片像素过多（%dx%d，约 %.0f 万像素），最多允许 %.0f 万像素，已拒绝读取。请缩小图片"
            "尺寸后再上传。",
            p->width, p->height, pixels / 10000.0, spec->max_pixels / 10000.0);
        return false;
    }
    if (p->format == PHOTO_FMT_JPEG && p->progressive &&
        pixels * (p->components > 0 ? p->components : 3) * 2 > (double)PHOTO_PROGRESSIVE_BUDGET) {
        v->verdict = PHOTO_FAILED;
        snprintf(
            v->message, sizeof(v->message),
            "照片为渐进式 JPG 且像素过多（%dx%d），读取所需内存超出上限。请缩小图片尺寸或另存为"
            "普通（基线）JPG 后再上传。",
            p->width, p->height);
        return false;
    }
    return true;
}

int photo_check_buffer(const struct photo_spec *spec, const struct photo_specs *specs,
                       const void *data, size_t len, const struct photo_face *face,
                       struct photo_result *res)
{
    memset(res, 0, sizeof(*res));
    snprintf(res->profile, sizeof(res->profile), "%s", spec->profile);
    snprintf(res->kind, sizeof(res->kind), "%s", spec->kind);
    res->bytes = len;
    struct photo_probe probe;
    int probe_rc = photo_probe(data, len, &probe);
    res->format = probe.format;
    bool decodable = probe.format == PHOTO_FMT_JPEG || probe.format == PHOTO_FMT_PNG;
    bool header = decodable && probe_rc == 0;
    if (header) {
        res->width = probe.width;
        res->height = probe.height;
        res->exif_orientation = probe.exif_orientation;
    }

    photo_rule_format(spec, probe.format, add(res));
    if (photo_rule_enabled(spec, PHOTO_RULE_FILE_SIZE))
        photo_rule_file_size(spec, len, add(res));

    struct photo_image img = {0};
    bool decoded = false;
    struct photo_verdict_rec *dv = add(res);
    if (!decodable) {
        photo_verdict_skipped(PHOTO_RULE_DECODE, "文件格式不是 JPG 或 PNG，未读取图片内容。", dv);
    } else if (decode_gate(spec, &probe, probe_rc, dv)) {
        char why[PHOTO_MESSAGE_MAX];
        if (photo_decode(spec, data, len, &probe, &img, why, sizeof(why)) == 0) {
            decoded = true;
            dv->verdict = PHOTO_PASSED;
            snprintf(dv->message, sizeof(dv->message), "照片完整，可以读取（%dx%d）。", probe.width,
                     probe.height);
        } else {
            dv->verdict = PHOTO_FAILED;
            snprintf(dv->message, sizeof(dv->message), "%s", why);
        }
    }

    static const char no_header[] = "无法读取照片文件头，未检查此项。";
    static const char no_pixels[] = "照片无法读取，未检查此项。";
    if (header)
        photo_rule_rotation(probe.exif_orientation, add(res));
    else
        photo_verdict_skipped(PHOTO_RULE_ROTATION, no_header, add(res));
    if (photo_rule_enabled(spec, PHOTO_RULE_DIMENSIONS)) {
        if (header)
            photo_rule_dimensions(spec, probe.width, probe.height, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_DIMENSIONS, no_header, add(res));
    }
    if (photo_rule_enabled(spec, PHOTO_RULE_ORIENTATION)) {
        if (header)
            photo_rule_orientation(spec, probe.width, probe.height, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_ORIENTATION, no_header, add(res));
    }
    if (photo_rule_enabled(spec, PHOTO_RULE_ASPECT)) {
        if (header)
            photo_rule_aspect(spec, probe.width, probe.height, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_ASPECT, no_header, add(res));
    }

    struct photo_border border;
    if (decoded) {
        photo_border_sample(&img, spec->card, &border);
        res->geo.has_background = true;
        memcpy(res->geo.background_rgb, border.rgb, 3);
    }
    if (photo_rule_enabled(spec, PHOTO_RULE_BACKGROUND_COLOUR)) {
        if (decoded)
            photo_rule_background_colour(spec, specs, &border, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_BACKGROUND_COLOUR, no_pixels, add(res));
    }
    if (photo_rule_enabled(spec, PHOTO_RULE_BACKGROUND_UNIFORM)) {
        if (decoded)
            photo_rule_background_uniform(spec, &border, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_BACKGROUND_UNIFORM, no_pixels, add(res));
    }
    /* The face box is in photo pixels; the image may be shrunk. */
    if (photo_rule_enabled(spec, PHOTO_RULE_SHARPNESS)) {
        if (decoded)
            photo_rule_sharpness(spec, &img, face, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_SHARPNESS, no_pixels, add(res));
    }
    if (photo_rule_enabled(spec, PHOTO_RULE_EXPOSURE)) {
        if (decoded)
            photo_rule_exposure(spec, &img, spec->ncolours > 0 ? &border : NULL, add(res));
        else
            photo_verdict_skipped(PHOTO_RULE_EXPOSURE, no_pixels, add(res));
    }
    if (spec->card) {
        struct photo_verdict_rec *o = add(res), *c = add(res);
        if (decoded) {
            photo_rule_card(spec, &img, o, c, &res->geo);
        } else {
            photo_verdict_skipped(PHOTO_RULE_CARD_OUTLINE, no_pixels, o);
            photo_verdict_skipped(PHOTO_RULE_CARD_CORNERS, no_pixels, c);
        }
    }

    /* Face rules: pending without the face engine's input; skipped when
     * the photo itself could not be read. */
    const enum photo_rule face_rules[] = {PHOTO_RULE_FACE_COUNT,  PHOTO_RULE_HEAD_TOP,
                                          PHOTO_RULE_EYE_LINE,    PHOTO_RULE_FACE_WIDTH,
                                          PHOTO_RULE_FACE_CENTRE, PHOTO_RULE_SYMMETRY};
    for (size_t i = 0; i < sizeof(face_rules) / sizeof(face_rules[0]); i++) {
        enum photo_rule r = face_rules[i];
        if (!photo_rule_enabled(spec, r))
            continue;
        struct photo_verdict_rec *v = add(res);
        if (!decoded) {
            photo_verdict_skipped(r, no_pixels, v);
            continue;
        }
        switch (r) {
        case PHOTO_RULE_FACE_COUNT:
            photo_rule_face_count(spec, face, v);
            break;
        case PHOTO_RULE_HEAD_TOP:
            photo_rule_head_top(spec, &img, &border, face, v, &res->geo);
            break;
        case PHOTO_RULE_EYE_LINE:
            photo_rule_eye_line(spec, face, v, &res->geo);
            break;
        case PHOTO_RULE_FACE_WIDTH:
            photo_rule_face_width(spec, face, v, &res->geo);
            break;
        case PHOTO_RULE_FACE_CENTRE:
            photo_rule_face_centre(spec, probe.width, face, v, &res->geo);
            break;
        default:
            photo_rule_symmetry(spec, face, v);
            break;
        }
    }
    photo_image_free(&img);

    res->status = PHOTO_PASSED;
    for (int i = 0; i < res->nverdicts; i++) {
        enum photo_verdict v = res->verdicts[i].verdict;
        if (v == PHOTO_FAILED)
            res->status = PHOTO_FAILED;
        else if (v == PHOTO_PENDING && res->status == PHOTO_PASSED)
            res->status = PHOTO_PENDING;
    }
    return 0;
}

static json_t *json_number_or_int(double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *photo_result_json(const struct photo_result *res)
{
    json_t *o = json_object();
    json_object_set_new(o, "profile", json_string(res->profile));
    json_object_set_new(o, "kind", json_string(res->kind));
    json_object_set_new(o, "status", json_string(photo_verdict_name(res->status)));
    json_object_set_new(o, "format", json_string(photo_format_name(res->format)));
    json_object_set_new(o, "bytes", json_integer((json_int_t)res->bytes));
    json_object_set_new(o, "width", json_integer(res->width));
    json_object_set_new(o, "height", json_integer(res->height));
    json_t *rules = json_array();
    for (int i = 0; i < res->nverdicts; i++) {
        const struct photo_verdict_rec *v = &res->verdicts[i];
        json_t *r = json_object();
        json_object_set_new(r, "rule", json_string(photo_rule_name(v->rule)));
        json_object_set_new(r, "verdict", json_string(photo_verdict_name(v->verdict)));
        if (v->value_text[0] != '\0')
            json_object_set_new(r, "value", json_string(v->value_text));
        else if (v->has_value)
            json_object_set_new(r, "value", json_number_or_int(v->value));
        else
            json_object_set_new(r, "value", json_null());
        if (v->range.has_lo)
            json_object_set_new(r, "min", json_number_or_int(v->range.lo));
        if (v->range.has_hi)
            json_object_set_new(r, "max", json_number_or_int(v->range.hi));
        if (v->unit != NULL && v->unit[0] != '\0')
            json_object_set_new(r, "unit", json_string(v->unit));
        json_object_set_new(r, "required", json_string(v->required));
        json_object_set_new(r, "message", json_string(v->message));
        json_array_append_new(rules, r);
    }
    json_object_set_new(o, "rules", rules);
    return o;
}

static int point_from_json(const json_t *p, struct photo_point *out)
{
    const json_t *x, *y;
    if (json_is_array(p) && json_array_size(p) == 2) {
        x = json_array_get(p, 0);
        y = json_array_get(p, 1);
    } else if (json_is_object(p)) {
        x = json_object_get(p, "x");
        y = json_object_get(p, "y");
    } else {
        return -EINVAL;
    }
    if (!json_is_number(x) || !json_is_number(y))
        return -EINVAL;
    out->x = json_number_value(x);
    out->y = json_number_value(y);
    return isfinite(out->x) && isfinite(out->y) ? 0 : -EINVAL;
}

int photo_face_from_json(const json_t *obj, struct photo_face *face)
{
    memset(face, 0, sizeof(*face));
    face->face_count = -1;
    const json_t *pts = json_is_array(obj) ? obj : json_object_get(obj, "points");
    if (pts != NULL) {
        if (!json_is_array(pts) || json_array_size(pts) != PHOTO_LANDMARKS)
            return -EINVAL;
        for (size_t i = 0; i < PHOTO_LANDMARKS; i++)
            if (point_from_json(json_array_get(pts, i), &face->pts[i]) < 0)
                return -EINVAL;
        face->has_landmarks = true;
        face->face_count = 1;
    }
    if (!json_is_object(obj))
        return face->has_landmarks ? 0 : -EINVAL;
    const json_t *box = json_object_get(obj, "box");
    if (box != NULL) {
        double b[4];
        if (!json_is_array(box) || json_array_size(box) != 4)
            return -EINVAL;
        for (size_t i = 0; i < 4; i++) {
            const json_t *n = json_array_get(box, i);
            if (!json_is_number(n))
                return -EINVAL;
            b[i] = json_number_value(n);
        }
        face->box_x = b[0];
        face->box_y = b[1];
        face->box_w = b[2];
        face->box_h = b[3];
    }
    const json_t *faces = json_object_get(obj, "faces");
    if (faces != NULL) {
        if (!json_is_integer(faces) || json_integer_value(faces) < 0 ||
            json_integer_value(faces) > 1000)
            return -EINVAL;
        face->face_count = (int)json_integer_value(faces);
    }
    return 0;
}
