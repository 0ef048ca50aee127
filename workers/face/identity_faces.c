/*
 * identity_faces.c - what the `photo` and `face` queues share around the
 * face engine: the face-finding policy (detector input sizes tried, faces
 * kept, landmarks), the hand-over of landmarks to the photo rules, and the
 * per-thread worker state (engine, specs, connection) both queues use.
 */
#include "identity.h"

#include "alloc.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Detector input sizes, tried in order while fewer faces than expected are
 * found. 416 is the size the networks were tuned at; 832 finds faces of
 * about 30 px in a 2000 px photo. */
static const int identity_detect_sizes[] = {416, 608, 832};
#define IDENTITY_DETECT_CAP 32
/* SSD MobileNet v1's confidence threshold: face-api's default. */
#define IDENTITY_SSD_CONFIDENCE 0.5f

const char *identity_detector_name(enum identity_detector d)
{
    return d == IDENTITY_DETECTOR_SSD ? "ssd_mobilenetv1" : "tiny_face_detector";
}

static int by_area_desc(const void *a, const void *b)
{
    const struct face_detection *x = a, *y = b;
    float ax = x->box.width * x->box.height, ay = y->box.width * y->box.height;
    return ax < ay ? 1 : ax > ay ? -1 : 0;
}

int identity_find_faces(const struct face_engine *eng, const struct face_image *img, int expected,
                        struct identity_faces *out)
{
    struct face_detection dets[IDENTITY_DETECT_CAP], best[IDENTITY_DETECT_CAP];
    memset(out, 0, sizeof(*out));
    out->count = -1;
    for (size_t i = 0; i < sizeof(identity_detect_sizes) / sizeof(identity_detect_sizes[0]); i++) {
        int n = face_detect_ex(eng, img, identity_detect_sizes[i], 0.5f, dets, IDENTITY_DETECT_CAP);
        if (n < 0)
            return n;
        if (n > out->count) {
            out->count = n;
            out->input_size = identity_detect_sizes[i];
            memcpy(best, dets,
                   sizeof(dets[0]) * (size_t)(n < IDENTITY_DETECT_CAP ? n : IDENTITY_DETECT_CAP));
        }
        if (n >= expected)
            break;
    }
    /* Still short: SSD MobileNet v1 finds small faces in wide pictures and
     * faces seen in a mirror that the tiny detector misses at any size. */
    out->detector = IDENTITY_DETECTOR_TINY;
    if (out->count < expected && face_engine_has_ssd(eng)) {
        int n = face_detect_ssd(eng, img, IDENTITY_SSD_CONFIDENCE, dets, IDENTITY_DETECT_CAP);
        if (n < 0)
            return n;
        if (n > out->count) {
            out->count = n;
            out->input_size = 512;
            out->detector = IDENTITY_DETECTOR_SSD;
            memcpy(best, dets,
                   sizeof(dets[0]) * (size_t)(n < IDENTITY_DETECT_CAP ? n : IDENTITY_DETECT_CAP));
        }
    }
    int kept = out->count < IDENTITY_DETECT_CAP ? out->count : IDENTITY_DETECT_CAP;
    qsort(best, (size_t)kept, sizeof(best[0]), by_area_desc);
    out->n = kept < IDENTITY_FACES_MAX ? kept : IDENTITY_FACES_MAX;
    for (int i = 0; i < out->n; i++) {
        out->face[i].det = best[i];
        int rc = face_landmarks(eng, img, &best[i].box, out->face[i].landmarks);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void identity_photo_face(const struct identity_faces *f, double scale, struct photo_face *out)
{
    memset(out, 0, sizeof(*out));
    out->face_count = f->count;
    if (f->n < 1)
        return;
    const struct face_info *m = &f->face[0];
    out->has_landmarks = true;
    for (int i = 0; i < FACE_LANDMARKS && i < PHOTO_LANDMARKS; i++) {
        out->pts[i].x = m->landmarks[i].x * scale;
        out->pts[i].y = m->landmarks[i].y * scale;
    }
    out->box_x = m->det.box.x * scale;
    out->box_y = m->det.box.y * scale;
    out->box_w = m->det.box.width * scale;
    out->box_h = m->det.box.height * scale;
}

/* True when some rule of spec needs the face engine's input. */
static bool spec_needs_faces(const struct photo_spec *s)
{
    return s->faces.has_lo || s->faces.has_hi || s->head_top.has_lo || s->head_top.has_hi ||
           s->eye_line.has_lo || s->eye_line.has_hi || s->face_width.has_lo ||
           s->face_width.has_hi || s->centre_max > 0 || s->symmetry_max > 0;
}

/* After the face engine has run nothing may stay pending: a rule that had
 * no landmarks to measure is skipped (face_count says why). */
static void resolve_pending(struct photo_result *res)
{
    for (int i = 0; i < res->nverdicts; i++) {
        struct photo_verdict_rec *v = &res->verdicts[i];
        if (v->verdict != PHOTO_PENDING)
            continue;
        v->verdict = PHOTO_SKIPPED;
        snprintf(v->message, sizeof(v->message), "%s",
                 "照片中未检测到清晰的正面人脸，未能检查此项。");
    }
}

int identity_check_photo(const struct face_engine *eng, const struct photo_specs *specs,
                         const struct photo_spec *spec, enum identity_kind kind,
                         const uint8_t *data, size_t len, struct photo_result *res,
                         struct identity_faces *faces)
{
    struct identity_faces local;
    struct identity_faces *f = faces != NULL ? faces : &local;
    memset(f, 0, sizeof(*f));
    f->count = -1;
    struct photo_face pf;
    bool found = false;
    uint8_t *rgb = NULL;
    int width = 0, height = 0, rc = 0;
    double scale = 1;
    if (spec_needs_faces(spec) && photo_decode_rgb(spec, data, len, IDENTITY_FACE_PIXELS, &rgb,
                                                   &width, &height, &scale) == 0) {
        struct face_image img = {width, height, rgb};
        int expected = spec->faces.has_lo ? (int)spec->faces.lo : identity_kind_faces(kind);
        rc = identity_find_faces(eng, &img, expected, f);
        photo_free_buffer(rgb);
        if (rc < 0)
            return rc;
        identity_photo_face(f, scale, &pf);
        found = true;
    }
    photo_check_buffer(spec, specs, data, len, found ? &pf : NULL, res);
    if (found)
        resolve_pending(res);
    return 0;
}

int identity_process_init(void **shared, const struct zk_config *cfg)
{
    struct identity_shared *sh = zk_calloc(1, sizeof(*sh));
    char err[512];
    int rc = -ENOENT;
    if (photo_init("zikao-worker") < 0) {
        log_err("identity: libvips could not be initialised");
        rc = -EIO;
        goto fail;
    }
    /* [paths] photo_specs lets operators change the rules without a
     * rebuild; the built-in copy is config/photo_specs.ini as shipped. */
    if ((cfg->photo_specs[0] != '\0'
             ? photo_specs_load_file(&sh->specs, cfg->photo_specs, err, sizeof(err))
             : photo_specs_load_builtin(&sh->specs, err, sizeof(err))) < 0) {
        log_err("identity: photo specifications %s: %s",
                cfg->photo_specs[0] ? cfg->photo_specs : "(built in)", err);
        rc = -EINVAL;
        goto fail;
    }
    if (cfg->models_dir[0] == '\0') {
        log_err("identity: [paths] models_dir is not set: run workers/face/fetch-models.sh and "
                "set it (or ZIKAO_PATHS_MODELS_DIR) to the face-api model folder it prints");
        goto fail;
    }
    rc = face_engine_load(cfg->models_dir, &sh->eng, err, sizeof(err));
    if (rc < 0) {
        log_err("identity: face models in %s: %s", cfg->models_dir, err);
        goto fail;
    }
    sh->pass_threshold = (float)cfg->face_pass_milli / 1000.0f;
    sh->review_threshold = (float)cfg->face_review_milli / 1000.0f;
    if (sh->review_threshold < sh->pass_threshold) {
        log_warn("identity: [face] review_threshold_milli %d is below pass_threshold_milli %d: "
                 "no review band",
                 cfg->face_review_milli, cfg->face_pass_milli);
        sh->review_threshold = sh->pass_threshold;
    }
    log_info("identity: face models %s (one engine for every thread); pass <= %.3f, "
             "review <= %.3f",
             face_engine_version(sh->eng), (double)sh->pass_threshold,
             (double)sh->review_threshold);
    *shared = sh;
    return 0;
fail:
    identity_process_free(sh);
    return rc;
}

void identity_process_free(void *shared)
{
    struct identity_shared *sh = shared;
    if (sh == NULL)
        return;
    face_engine_free(sh->eng);
    photo_specs_free(&sh->specs);
    free(sh);
}

int identity_worker_init(void **state, void *shared, const struct zk_config *cfg)
{
    const struct identity_shared *sh = shared;
    struct identity_worker *w = zk_calloc(1, sizeof(*w));
    w->cfg = cfg;
    w->conns.cfg = cfg;
    w->conns.application_name = "zikao-worker identity";
    w->eng = sh->eng;
    w->specs = &sh->specs;
    w->pass_threshold = sh->pass_threshold;
    w->review_threshold = sh->review_threshold;
    *state = w;
    return 0;
}

void identity_worker_free(void *state)
{
    struct identity_worker *w = state;
    if (w == NULL)
        return;
    sync_close(&w->conns);
    free(w);
}
