/*
 * face_engine.c - the face engine's public API (face.h): loading the
 * models (three required, the tiny landmark net and the SSD detector when
 * present), the crops face-api.js feeds each network, the detect -> landmarks
 * pipeline, distances and decisions.
 *
 * Owns struct face_engine: the decoded weights and the network parameter
 * views into them, immutable after load, plus a locked pool of scratch
 * blocks that calls borrow and return.
 */
#include "face_internal.h"

#include "alloc.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Input divisors (after mean subtraction). The original face-api.js divided
 * by 256, @vladmandic/face-api 1.7.15 - whose weights we load - by 255. We
 * use 255: the parity tests then match face-api 1.7.15 to within 1e-5, and
 * the kit's boxes (made by the original) are within tolerance either way.
 */
const float face_detector_divisor = 255.0f;
const float face_landmark_divisor = 255.0f;
const float face_recognition_divisor = 255.0f;

#define FACE_DETECT_SIZE      416
#define FACE_DETECT_THRESHOLD 0.5f

/* A reusable scratch block; blocks live on the pool's free list between calls. */
struct face_block {
    struct face_block *next;
    float *d;
    size_t cap; /* floats */
};

/* The only mutable part of an engine, behind its own lock. */
struct face_pool {
    pthread_mutex_t lock;
    struct face_block *free;
};

struct face_engine {
    struct face_weights det_w, lm_w, fr_w, lmt_w, ssd_w;
    struct face_detector det;
    struct face_landmarker lm, lmt;
    bool has_tiny; /* face_landmark_68_tiny_model was present */
    struct face_ssd ssd;
    bool has_ssd; /* ssd_mobilenetv1_model was present */
    struct face_recogniser fr;
    struct face_pool *pool;
    char version[96];
};

/*
 * Under AddressSanitizer every region is preceded by a poisoned red zone, so
 * a network that writes past what it took is caught (tests run with ASan).
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define WORK_REDZONE        16 /* floats */
#define WORK_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n) * sizeof(float))
#define WORK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n) * sizeof(float))
#else
#define WORK_REDZONE        0
#define WORK_POISON(p, n)   ((void)(p), (void)(n))
#define WORK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
/* Room for the red zones of the most regions one call takes. */
#define WORK_SLACK ((size_t)WORK_REDZONE * 32)

float *face_work_take(struct face_work *w, size_t n)
{
    size_t at = (w->used + WORK_REDZONE + 15) & ~(size_t)15;
    if (at + n > w->cap) {
        fprintf(stderr, "face: workspace overrun (%zu + %zu > %zu floats)\n", at, n, w->cap);
        abort();
    }
    WORK_POISON(w->d + w->used, at - w->used);
    w->used = at + n;
    return w->d + at;
}

/* Takes a block of at least n floats from the pool (or makes one). */
static struct face_block *block_get(const struct face_engine *eng, size_t n, struct face_work *w)
{
    pthread_mutex_lock(&eng->pool->lock);
    struct face_block *b = eng->pool->free;
    if (b != NULL)
        eng->pool->free = b->next;
    pthread_mutex_unlock(&eng->pool->lock);
    if (b == NULL)
        b = zk_calloc(1, sizeof(*b));
    n += WORK_SLACK;
    if (b->cap < n) {
        free(b->d);
        b->d = zk_malloc(n * sizeof(float));
        b->cap = n;
    }
    WORK_UNPOISON(b->d, b->cap);
    w->d = b->d;
    w->cap = b->cap;
    w->used = 0;
    return b;
}

static void block_put(const struct face_engine *eng, struct face_block *b)
{
    pthread_mutex_lock(&eng->pool->lock);
    b->next = eng->pool->free;
    eng->pool->free = b;
    pthread_mutex_unlock(&eng->pool->lock);
}

static void engine_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void engine_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err == NULL || errsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

/* The npm package's version from dir/../package.json, or "unknown". */
static void package_version(const char *dir, char *out, size_t outsz)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/../package.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    const char *v = json_string_value(json_object_get(root, "version"));
    snprintf(out, outsz, "%s", v != NULL ? v : "unknown");
    json_decref(root);
}

int face_engine_load(const char *dir, struct face_engine **out, char *err, size_t errsz)
{
    if (dir == NULL || dir[0] == '\0') {
        engine_err(err, errsz, "no models directory configured ([paths] models_dir)");
        return -EINVAL;
    }
    if (sodium_init() < 0) {
        engine_err(err, errsz, "libsodium failed to initialise");
        return -EINVAL;
    }
    struct face_engine *eng = zk_calloc(1, sizeof(*eng));
    eng->pool = zk_calloc(1, sizeof(*eng->pool));
    pthread_mutex_init(&eng->pool->lock, NULL);
    crypto_generichash_state hash;
    crypto_generichash_init(&hash, NULL, 0, 8);
    char why[512] = "";
    int rc;
    if ((rc = face_weights_load(dir, "tiny_face_detector_model", &eng->det_w, &hash, why,
                                sizeof(why))) < 0 ||
        (rc = face_weights_load(dir, "face_landmark_68_model", &eng->lm_w, &hash, why,
                                sizeof(why))) < 0 ||
        (rc = face_weights_load(dir, "face_recognition_model", &eng->fr_w, &hash, why,
                                sizeof(why))) < 0) {
        engine_err(err, errsz, "%s", why);
        goto fail;
    }
    /* The tiny landmark model is optional: absent, face_landmarks_tiny says -ENOTSUP. */
    rc =
        face_weights_load(dir, "face_landmark_68_tiny_model", &eng->lmt_w, &hash, why, sizeof(why));
    if (rc < 0 && rc != -ENOENT) {
        engine_err(err, errsz, "%s", why);
        goto fail;
    }
    eng->has_tiny = rc == 0;
    if (eng->has_tiny &&
        (rc = face_landmarker_bind(&eng->lmt_w, true, &eng->lmt, why, sizeof(why))) < 0) {
        engine_err(err, errsz, "face_landmark_68_tiny_model: %s", why);
        goto fail;
    }
    /* So is SSD MobileNet v1: absent, face_detect_ssd says -ENOTSUP. */
    rc = face_weights_load(dir, "ssd_mobilenetv1_model", &eng->ssd_w, &hash, why, sizeof(why));
    if (rc < 0 && rc != -ENOENT) {
        engine_err(err, errsz, "%s", why);
        goto fail;
    }
    if (rc == 0) {
        if ((rc = face_ssd_bind(&eng->ssd_w, &eng->ssd, why, sizeof(why))) < 0) {
            engine_err(err, errsz, "ssd_mobilenetv1_model: %s", why);
            goto fail;
        }
        eng->has_ssd = true;
    }
    if ((rc = face_detector_bind(&eng->det_w, &eng->det, why, sizeof(why))) < 0) {
        engine_err(err, errsz, "tiny_face_detector_model: %s", why);
        goto fail;
    }
    if ((rc = face_landmarker_bind(&eng->lm_w, false, &eng->lm, why, sizeof(why))) < 0) {
        engine_err(err, errsz, "face_landmark_68_model: %s", why);
        goto fail;
    }
    if ((rc = face_recogniser_bind(&eng->fr_w, &eng->fr, why, sizeof(why))) < 0) {
        engine_err(err, errsz, "face_recognition_model: %s", why);
        goto fail;
    }
    unsigned char digest[8];
    crypto_generichash_final(&hash, digest, sizeof(digest));
    char hex[17], ver[48];
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    package_version(dir, ver, sizeof(ver));
    snprintf(eng->version, sizeof(eng->version), "face-api %s %s", ver, hex);
    *out = eng;
    return 0;
fail:
    face_engine_free(eng);
    return rc;
}

void face_engine_free(struct face_engine *eng)
{
    if (eng == NULL)
        return;
    face_weights_free(&eng->det_w);
    face_weights_free(&eng->lm_w);
    face_weights_free(&eng->fr_w);
    face_weights_free(&eng->lmt_w);
    face_weights_free(&eng->ssd_w);
    face_ssd_unbind(&eng->ssd);
    while (eng->pool->free != NULL) {
        struct face_block *b = eng->pool->free;
        eng->pool->free = b->next;
        WORK_UNPOISON(b->d, b->cap);
        free(b->d);
        free(b);
    }
    pthread_mutex_destroy(&eng->pool->lock);
    free(eng->pool);
    free(eng);
}

const char *face_engine_version(const struct face_engine *eng)
{
    return eng->version;
}

static bool image_ok(const struct face_image *img)
{
    return img != NULL && img->rgb != NULL && img->width > 0 && img->height > 0;
}

/* face-api.js crop: floor the box, then clip it to the image. */
static int crop_of(const struct face_image *img, const struct face_box *box, int *cx, int *cy,
                   int *cw, int *ch)
{
    if (box == NULL) {
        *cx = *cy = 0;
        *cw = img->width;
        *ch = img->height;
        return 0;
    }
    if (!isfinite(box->x) || !isfinite(box->y) || !isfinite(box->width) || !isfinite(box->height) ||
        fabsf(box->x) > 1e7f || fabsf(box->y) > 1e7f || fabsf(box->width) > 1e7f ||
        fabsf(box->height) > 1e7f)
        return -EINVAL;
    int x = (int)floorf(box->x), y = (int)floorf(box->y);
    int w = (int)floorf(box->width), h = (int)floorf(box->height);
    int x0 = x > 0 ? x : 0, y0 = y > 0 ? y : 0;
    int w1 = x + w - x0, h1 = y + h - y0;
    if (w1 > img->width - x0)
        w1 = img->width - x0;
    if (h1 > img->height - y0)
        h1 = img->height - y0;
    if (w1 <= 0 || h1 <= 0)
        return -EINVAL;
    *cx = x0;
    *cy = y0;
    *cw = w1;
    *ch = h1;
    return 0;
}

int face_detect_ex(const struct face_engine *eng, const struct face_image *img, int input_size,
                   float score_threshold, struct face_detection *out, size_t cap)
{
    if (eng == NULL || !image_ok(img) || input_size < 32 || input_size > 1024 ||
        input_size % 32 != 0 || !(score_threshold > 0.0f && score_threshold < 1.0f) ||
        (out == NULL && cap > 0))
        return -EINVAL;
    struct face_work w;
    struct face_block *b = block_get(eng, face_detector_work(input_size), &w);
    int n = face_detector_run(&eng->det, img, input_size, score_threshold, &w, out, cap);
    block_put(eng, b);
    return n;
}

int face_detect(const struct face_engine *eng, const struct face_image *img,
                struct face_detection *out, size_t cap)
{
    return face_detect_ex(eng, img, FACE_DETECT_SIZE, FACE_DETECT_THRESHOLD, out, cap);
}

bool face_engine_has_ssd(const struct face_engine *eng)
{
    return eng != NULL && eng->has_ssd;
}

int face_detect_ssd(const struct face_engine *eng, const struct face_image *img,
                    float min_confidence, struct face_detection *out, size_t cap)
{
    if (eng == NULL || !image_ok(img) || !(min_confidence > 0.0f && min_confidence < 1.0f) ||
        (out == NULL && cap > 0))
        return -EINVAL;
    if (!eng->has_ssd)
        return -ENOTSUP;
    struct face_work w;
    struct face_block *b = block_get(eng, face_ssd_work(), &w);
    int n = face_ssd_run(&eng->ssd, img, min_confidence, &w, out, cap);
    block_put(eng, b);
    return n;
}

static int landmarks_with(const struct face_engine *eng, const struct face_landmarker *net,
                          const struct face_image *img, const struct face_box *box,
                          struct face_point pts[FACE_LANDMARKS])
{
    int cx, cy, cw, ch;
    if (eng == NULL || !image_ok(img) || pts == NULL || crop_of(img, box, &cx, &cy, &cw, &ch) < 0)
        return -EINVAL;
    struct face_work w;
    struct face_block *b = block_get(eng, face_landmarker_work(), &w);
    face_landmarker_run(net, img, cx, cy, cw, ch, &w, pts);
    block_put(eng, b);
    /*
     * face-api.js places the points relative to the unfloored box origin, not
     * the floored crop; descriptor parity depends on the same sub-pixel shift.
     */
    if (box != NULL) {
        float sx = box->x > (float)cx ? box->x - (float)cx : 0.0f;
        float sy = box->y > (float)cy ? box->y - (float)cy : 0.0f;
        for (int i = 0; i < FACE_LANDMARKS; i++) {
            pts[i].x += sx;
            pts[i].y += sy;
        }
    }
    return 0;
}

int face_landmarks(const struct face_engine *eng, const struct face_image *img,
                   const struct face_box *box, struct face_point pts[FACE_LANDMARKS])
{
    return eng == NULL ? -EINVAL : landmarks_with(eng, &eng->lm, img, box, pts);
}

int face_landmarks_tiny(const struct face_engine *eng, const struct face_image *img,
                        const struct face_box *box, struct face_point pts[FACE_LANDMARKS])
{
    if (eng == NULL)
        return -EINVAL;
    if (!eng->has_tiny)
        return -ENOTSUP;
    return landmarks_with(eng, &eng->lmt, img, box, pts);
}

static struct face_point centre(const struct face_point *p, int n)
{
    struct face_point c = {0, 0};
    for (int i = 0; i < n; i++) {
        c.x += p[i].x;
        c.y += p[i].y;
    }
    c.x /= (float)n;
    c.y /= (float)n;
    return c;
}

struct face_box face_aligned_box(const struct face_point pts[FACE_LANDMARKS], int img_width,
                                 int img_height)
{
    struct face_point eye_l = centre(pts + 36, 6), eye_r = centre(pts + 42, 6);
    struct face_point mouth = centre(pts + 48, 20);
    float dl = hypotf(mouth.x - eye_l.x, mouth.y - eye_l.y);
    float dr = hypotf(mouth.x - eye_r.x, mouth.y - eye_r.y);
    float size = floorf((dl + dr) / 2 / 0.45f);
    float rx = (eye_l.x + eye_r.x + mouth.x) / 3, ry = (eye_l.y + eye_r.y + mouth.y) / 3;
    float x = floorf(fmaxf(0.0f, rx - 0.5f * size));
    float y = floorf(fmaxf(0.0f, ry - 0.43f * size));
    struct face_box b = {x, y, fminf(size, (float)img_width - x),
                         fminf(size, (float)img_height - y)};
    if (b.width < 0)
        b.width = 0;
    if (b.height < 0)
        b.height = 0;
    return b;
}

int face_descriptor(const struct face_engine *eng, const struct face_image *img,
                    const struct face_box *box, float desc[FACE_DESCRIPTOR])
{
    int cx, cy, cw, ch;
    if (eng == NULL || !image_ok(img) || desc == NULL || crop_of(img, box, &cx, &cy, &cw, &ch) < 0)
        return -EINVAL;
    struct face_work w;
    struct face_block *b = block_get(eng, face_recogniser_work(), &w);
    face_recogniser_run(&eng->fr, img, cx, cy, cw, ch, &w, desc);
    block_put(eng, b);
    return 0;
}

int face_descriptor_aligned(const struct face_engine *eng, const struct face_image *img,
                            const struct face_point pts[FACE_LANDMARKS],
                            float desc[FACE_DESCRIPTOR])
{
    if (!image_ok(img) || pts == NULL)
        return -EINVAL;
    struct face_box box = face_aligned_box(pts, img->width, img->height);
    return face_descriptor(eng, img, &box, desc);
}

static int by_area_desc(const void *a, const void *b)
{
    const struct face_detection *p = a, *q = b;
    float ap = p->box.width * p->box.height, aq = q->box.width * q->box.height;
    if (ap != aq)
        return ap < aq ? 1 : -1;
    return p->score < q->score ? 1 : (p->score > q->score ? -1 : 0);
}

int face_analyze(const struct face_engine *eng, const struct face_image *img, struct face_info *out,
                 size_t cap)
{
    if (eng == NULL || !image_ok(img) || (out == NULL && cap > 0))
        return -EINVAL;
    size_t max = (size_t)(FACE_DETECT_SIZE / 32) * (FACE_DETECT_SIZE / 32) * 5;
    struct face_detection *dets = zk_malloc(max * sizeof(*dets));
    int n = face_detect(eng, img, dets, max);
    if (n < 0)
        goto out;
    qsort(dets, (size_t)n, sizeof(*dets), by_area_desc);
    for (int i = 0; i < n && (size_t)i < cap; i++) {
        out[i].det = dets[i];
        if (face_landmarks(eng, img, &dets[i].box, out[i].landmarks) < 0)
            memset(out[i].landmarks, 0, sizeof(out[i].landmarks));
    }
out:
    free(dets);
    return n;
}

void face_geometry_of(const struct face_point pts[FACE_LANDMARKS], struct face_geometry *g)
{
    g->eye_left = centre(pts + 36, 6);
    g->eye_right = centre(pts + 42, 6);
    g->mouth = centre(pts + 48, 20);
    g->centre.x = (g->eye_left.x + g->eye_right.x + g->mouth.x) / 3;
    g->centre.y = (g->eye_left.y + g->eye_right.y + g->mouth.y) / 3;
    float dx = g->eye_right.x - g->eye_left.x, dy = g->eye_right.y - g->eye_left.y;
    g->eye_distance = hypotf(dx, dy);
    g->eye_angle_deg = atan2f(dy, dx) * (180.0f / (float)M_PI);
    g->face_width = hypotf(pts[16].x - pts[0].x, pts[16].y - pts[0].y);
    g->chin_y = pts[8].y;
}

float face_distance(const float a[FACE_DESCRIPTOR], const float b[FACE_DESCRIPTOR])
{
    float acc = 0.0f;
    for (int i = 0; i < FACE_DESCRIPTOR; i++) {
        float d = a[i] - b[i];
        acc += d * d;
    }
    return sqrtf(acc);
}

enum face_decision face_decide(float distance, float pass_threshold, float review_threshold)
{
    if (!(distance == distance))
        return FACE_FAIL;
    if (distance <= pass_threshold)
        return FACE_PASS;
    if (distance <= review_threshold)
        return FACE_REVIEW;
    return FACE_FAIL;
}

const char *face_decision_name(enum face_decision d)
{
    switch (d) {
    case FACE_PASS:
        return "pass";
    case FACE_REVIEW:
        return "review";
    case FACE_FAIL:
        return "fail";
    }
    return "fail";
}
