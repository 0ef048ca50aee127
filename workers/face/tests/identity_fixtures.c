/*
 * identity_fixtures.c - writes the photos the identity-verification worker
 * tests upload (tests/e2e/test_identity_workers.py): registration photos,
 * ID card portrait sides and holding-the-card photos built from the kit's
 * pre-cropped faces (testdata/faces/identities/<name>/<name>N.png), so that
 * "same person" and "another person" are real faces the engine compares.
 *
 * Usage: identity_fixtures MODELS_DIR KIT_DIR OUTDIR
 * The engine places each face: its 68 landmarks on the 150x150 crop give
 * the scale and offset that put the face width, eye line and centre where
 * a scene asks. Prints one line per file; exits 0, 1 on any error, 77 when
 * the kit or the models are absent (after printing "SKIP: ...").
 *
 * Deterministic: a fixed-seed generator for the sensor noise. Test tooling
 * only; never linked into a product binary.
 */
#include "face.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

#define EXIT_SKIP 77

struct canvas {
    int w, h;
    uint8_t *p; /* RGB */
    uint32_t rng;
};

/* A kit face: the crop tinted towards skin, and its landmarks on the crop. */
struct face_src {
    struct face_image img;
    struct face_point pts[FACE_LANDMARKS];
};

struct gen {
    struct face_engine *eng;
    const char *kit;
    const char *out;
};

static const double LIGHT_BLUE[3] = {100, 197, 255};
static const double DARK_GREY[3] = {80, 80, 80};
static const double WALL[3] = {222, 214, 196};
static const double HAIR[3] = {35, 28, 24};
static const double SHIRT[3] = {40, 45, 70};
static const double TABLE[3] = {70, 55, 45};
static const double CARD[3] = {232, 230, 222};
static const double INK[3] = {60, 60, 70};

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lround(v);
}

static double gauss(struct canvas *c)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        c->rng ^= c->rng << 13;
        c->rng ^= c->rng >> 17;
        c->rng ^= c->rng << 5;
        u[i] = (c->rng % 1000000 + 1) / 1000001.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static struct canvas canvas_new(int w, int h, const double rgb[3])
{
    struct canvas c = {w, h, malloc((size_t)w * h * 3), 2463534242u};
    if (c.p == NULL)
        abort();
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double g = 3.0 * ((double)y / h - 0.5); /* a slight gradient */
            for (int k = 0; k < 3; k++)
                c.p[((size_t)y * w + x) * 3 + k] = clamp8(rgb[k] - g);
        }
    return c;
}

/* Sensor noise over everything: real photos are never flat. */
static void add_noise(struct canvas *c, double sigma)
{
    for (size_t i = 0; i < (size_t)c->w * c->h * 3; i++)
        c->p[i] = clamp8(c->p[i] + sigma * gauss(c));
}

static void ellipse(struct canvas *c, double cx, double cy, double ax, double ay,
                    const double rgb[3])
{
    for (int y = (int)(cy - ay - 2); y <= (int)(cy + ay + 2); y++)
        for (int x = (int)(cx - ax - 2); x <= (int)(cx + ax + 2); x++) {
            if (x < 0 || y < 0 || x >= c->w || y >= c->h)
                continue;
            double d = hypot((x - cx) / ax, (y - cy) / ay);
            double a = d <= 1 ? 1 : d >= 1 + 2 / fmin(ax, ay) ? 0 : 1 - (d - 1) * fmin(ax, ay) / 2;
            if (a <= 0)
                continue;
            uint8_t *p = c->p + ((size_t)y * c->w + x) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = clamp8(p[k] * (1 - a) + rgb[k] * a);
        }
}

static void rect(struct canvas *c, double x0, double y0, double x1, double y1, double radius,
                 const double rgb[3])
{
    for (int y = (int)y0; y < (int)y1; y++)
        for (int x = (int)x0; x < (int)x1; x++) {
            if (x < 0 || y < 0 || x >= c->w || y >= c->h)
                continue;
            double dx = x < x0 + radius ? x0 + radius - x : x > x1 - radius ? x - (x1 - radius) : 0;
            double dy = y < y0 + radius ? y0 + radius - y : y > y1 - radius ? y - (y1 - radius) : 0;
            if (hypot(dx, dy) > radius)
                continue;
            uint8_t *p = c->p + ((size_t)y * c->w + x) * 3;
            for (int k = 0; k < 3; k++)
                p[k] = clamp8(rgb[k]);
        }
}

/*
 * Pastes f scaled so that its jaw width (landmarks 0-16) is face_width px,
 * its jaw centre at x = cx and its eye line at y = eye_y, inside an
 * elliptical mask. Returns the scale.
 */
static double paste_face(struct canvas *c, const struct face_src *f, double face_width, double cx,
                         double eye_y)
{
    double fw = f->pts[16].x - f->pts[0].x, eye = 0;
    for (int i = 36; i < 48; i++)
        eye += f->pts[i].y / 12;
    double s = face_width / fw;
    double ox = cx - (f->pts[0].x + f->pts[16].x) / 2 * s, oy = eye_y - eye * s;
    int w = f->img.width, h = f->img.height;
    double mx = w / 2.0, my = h / 2.0, ax = w * 0.46, ay = h * 0.5;
    for (int y = 0; y < (int)(h * s); y++)
        for (int x = 0; x < (int)(w * s); x++) {
            int X = (int)ox + x, Y = (int)oy + y;
            if (X < 0 || Y < 0 || X >= c->w || Y >= c->h)
                continue;
            double sx = x / s, sy = y / s;
            double d = hypot((sx - mx) / ax, (sy - my) / ay);
            double a = d <= 0.96 ? 1 : d >= 1 ? 0 : (1 - d) / 0.04;
            if (a <= 0)
                continue;
            int x0 = (int)sx, y0 = (int)sy;
            int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
            double fx = sx - x0, fy = sy - y0;
            uint8_t *p = c->p + ((size_t)Y * c->w + X) * 3;
            const uint8_t *g = f->img.rgb;
            for (int k = 0; k < 3; k++) {
                double v = (1 - fx) * (1 - fy) * g[((size_t)y0 * w + x0) * 3 + k] +
                           fx * (1 - fy) * g[((size_t)y0 * w + x1) * 3 + k] +
                           (1 - fx) * fy * g[((size_t)y1 * w + x0) * 3 + k] +
                           fx * fy * g[((size_t)y1 * w + x1) * 3 + k];
                p[k] = clamp8(p[k] * (1 - a) + v * a);
            }
        }
    return s;
}

/* Head and shoulders: shirt, neck, hair, the head, then the face. */
static void person(struct canvas *c, const struct face_src *f, double face_width, double cx,
                   double eye_y, double hair_top)
{
    static const double SKIN[3] = {196, 160, 128};
    double fw = face_width;
    ellipse(c, cx, eye_y + fw * 1.55 + 190, fw * 1.25, 200, SHIRT);
    ellipse(c, cx, eye_y + fw * 1.0, fw * 0.26, fw * 0.5, SKIN);
    double hair_bottom = eye_y + fw * 0.15;
    ellipse(c, cx, (hair_top + hair_bottom) / 2, fw * 0.62, (hair_bottom - hair_top) / 2, HAIR);
    ellipse(c, cx, eye_y + fw * 0.22, fw * 0.55, fw * 0.68, SKIN);
    paste_face(c, f, fw, cx, eye_y);
}

/* An ID card's portrait side, card box (x0, y0)-(x0+cw, y0+ch); the
 * portrait on the right as on a Chinese resident ID card. f may be NULL. */
static void id_card(struct canvas *c, double x0, double y0, double cw, double ch,
                    const struct face_src *f)
{
    rect(c, x0, y0, x0 + cw, y0 + ch, ch * 0.06, CARD);
    for (int line = 0; line < 5; line++)
        rect(c, x0 + cw * 0.08, y0 + ch * (0.15 + line * 0.14),
             x0 + cw * (0.35 + 0.05 * (line % 3)), y0 + ch * (0.2 + line * 0.14), 0, INK);
    if (f != NULL)
        paste_face(c, f, ch * 0.36, x0 + cw * 0.78, y0 + ch * 0.40);
}

static int load_face(const struct gen *g, const char *name, struct face_src *f)
{
    char path[4096], who[64];
    snprintf(who, sizeof(who), "%s", name);
    who[strcspn(who, "0123456789")] = '\0';
    snprintf(path, sizeof(path), "%s/testdata/faces/identities/%s/%s.png", g->kit, who, name);
    int rc = face_image_load(path, &f->img);
    if (rc < 0) {
        fprintf(stderr, "identity_fixtures: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    rc = face_landmarks(g->eng, &f->img, NULL, f->pts);
    if (rc < 0) {
        fprintf(stderr, "identity_fixtures: landmarks of %s failed\n", path);
        return rc;
    }
    /* Grey crops tinted towards skin. */
    for (size_t i = 0; i < (size_t)f->img.width * f->img.height; i++) {
        double l = f->img.rgb[i * 3];
        f->img.rgb[i * 3 + 0] = clamp8(l * 0.95 + 25);
        f->img.rgb[i * 3 + 1] = clamp8(l * 0.80 + 12);
        f->img.rgb[i * 3 + 2] = clamp8(l * 0.68 + 5);
    }
    return 0;
}

static int encode(const struct canvas *c, int q, void **buf, size_t *len)
{
    VipsImage *v =
        vips_image_new_from_memory(c->p, (size_t)c->w * c->h * 3, c->w, c->h, 3, VIPS_FORMAT_UCHAR);
    int rc = vips_jpegsave_buffer(v, buf, len, "Q", q, "strip", TRUE, NULL);
    g_object_unref(v);
    return rc;
}

/* Writes OUTDIR/name as a JPEG: at quality 92, or with target > 0 at the
 * highest quality whose size is <= target bytes. */
static int save(const struct gen *g, const char *name, const struct canvas *c, size_t target)
{
    int q = 92;
    if (target > 0) {
        int lo = 5, hi = 98;
        q = 5;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            void *buf;
            size_t len;
            if (encode(c, mid, &buf, &len) != 0)
                return -1;
            g_free(buf);
            if (len <= target) {
                q = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
    }
    void *buf;
    size_t len;
    if (encode(c, q, &buf, &len) != 0)
        return -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", g->out, name);
    FILE *f = fopen(path, "wb");
    int rc = f != NULL && fwrite(buf, 1, len, f) == len ? 0 : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    g_free(buf);
    if (rc < 0)
        fprintf(stderr, "identity_fixtures: %s: %s\n", path, strerror(errno));
    else
        printf("  %-34s %4dx%-4d %7zu bytes (Q %d)\n", name, c->w, c->h, len, q);
    return rc;
}

/* A 480x640 registration photo. face2 (may be NULL) stands beside face. */
static int registration(const struct gen *g, const char *name, const double bg[3],
                        const struct face_src *face, const struct face_src *face2, double eye_y,
                        size_t target)
{
    struct canvas c = canvas_new(480, 640, bg);
    if (face2 != NULL) {
        person(&c, face, 150, 125, eye_y, eye_y - 120);
        person(&c, face2, 150, 355, eye_y, eye_y - 120);
    } else if (face != NULL) {
        person(&c, face, 200, 240, eye_y, eye_y - 165);
    } else { /* the back of a head: hair and shoulders, no face */
        ellipse(&c, 240, 470 + 190, 250, 190, SHIRT);
        ellipse(&c, 240, 260, 145, 170, HAIR);
    }
    add_noise(&c, 2.0);
    int rc = save(g, name, &c, target);
    free(c.p);
    return rc;
}

/* The portrait side of an ID card on a table, 500x316 (ID-1 aspect). */
static int idcard(const struct gen *g, const char *name, const struct face_src *face, size_t target)
{
    struct canvas c = canvas_new(500, 316, TABLE);
    id_card(&c, 30, 19.5, 440, 277, face);
    add_noise(&c, 2.5);
    int rc = save(g, name, &c, target);
    free(c.p);
    return rc;
}

/* Half-length photo of face holding a card whose portrait is card (NULL:
 * no card in the picture), 720x960 times zoom; with a larger zoom the card
 * is held further from the camera, so its portrait is small. */
static int holding(const struct gen *g, const char *name, const struct face_src *face,
                   const struct face_src *card, int zoom)
{
    struct canvas c = canvas_new(720 * zoom, 960 * zoom, WALL);
    double z = zoom;
    person(&c, face, 190 * z, 360 * z, 300 * z, 140 * z);
    if (card != NULL)
        id_card(&c, 360 * z - 160, 600 * z, 320, 202, card);
    add_noise(&c, 2.5);
    int rc = save(g, name, &c, 0);
    free(c.p);
    return rc;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: identity_fixtures MODELS_DIR KIT_DIR OUTDIR\n");
        return 2;
    }
    struct gen g = {NULL, argv[2], argv[3]};
    char path[4096];
    snprintf(path, sizeof(path), "%s/testdata/faces/identities", g.kit);
    if (!is_dir(path)) {
        printf("SKIP: kit not found at %s (set ZIKAO_KIT_DIR)\n", g.kit);
        return EXIT_SKIP;
    }
    if (!is_dir(argv[1])) {
        printf("SKIP: face models not found at %s (run workers/face/fetch-models.sh, or set "
               "ZIKAO_MODELS_DIR)\n",
               argv[1]);
        return EXIT_SKIP;
    }
    char err[512];
    if (face_engine_load(argv[1], &g.eng, err, sizeof(err)) < 0) {
        fprintf(stderr, "identity_fixtures: %s\n", err);
        return 1;
    }
    if (VIPS_INIT(argv[0]) != 0)
        return 1;
    mkdir(g.out, 0755);

    enum { SHELDON1, SHELDON2, SHELDON3, LEONARD1, LEONARD2, STUART1, STUART5, NFACES };
    static const char *const names[NFACES] = {"sheldon1", "sheldon2", "sheldon3", "leonard1",
                                              "leonard2", "stuart1",  "stuart5"};
    struct face_src f[NFACES];
    memset(f, 0, sizeof(f));
    int rc = 0;
    for (int i = 0; i < NFACES && rc == 0; i++)
        rc = load_face(&g, names[i], &f[i]);
    if (rc == 0) {
        printf("identity fixtures in %s\n", g.out);
        /* Shanxi: colour ID photo (blue / white / light grey), ID card,
         * holding photo; no byte or geometry ranges beyond < 2 MB. */
        rc |= registration(&g, "sx_reg_sheldon.jpg", LIGHT_BLUE, &f[SHELDON1], NULL, 250, 0);
        rc |= idcard(&g, "sx_id_sheldon.jpg", &f[SHELDON2], 0);
        rc |= holding(&g, "sx_hold_sheldon.jpg", &f[SHELDON3], &f[SHELDON2], 1);
        rc |= idcard(&g, "sx_id_leonard.jpg", &f[LEONARD1], 0);
        rc |= holding(&g, "sx_hold_leonard.jpg", &f[LEONARD2], &f[LEONARD1], 1);
        rc |= holding(&g, "sx_hold_nocard.jpg", &f[SHELDON3], NULL, 1);
        rc |= holding(&g, "sx_hold_far_card.jpg", &f[SHELDON3], &f[SHELDON2], 2);
        rc |= registration(&g, "sx_reg_noface.jpg", LIGHT_BLUE, NULL, NULL, 250, 0);
        rc |= registration(&g, "sx_reg_two.jpg", LIGHT_BLUE, &f[SHELDON1], &f[LEONARD1], 260, 0);
        rc |= registration(&g, "sx_reg_darkgrey.jpg", DARK_GREY, &f[SHELDON1], NULL, 250, 0);
        /* Tianjin: 480x640 JPEG of 20-40 KB with the geometry ranges; ID
         * card 20-80 KB. */
        rc |= registration(&g, "tj_reg_sheldon.jpg", LIGHT_BLUE, &f[SHELDON1], NULL, 250, 32768);
        rc |= registration(&g, "tj_reg_low.jpg", LIGHT_BLUE, &f[SHELDON1], NULL, 330, 32768);
        rc |= idcard(&g, "tj_id_sheldon.jpg", &f[SHELDON2], 61440);
        rc |= registration(&g, "tj_reg_stuart.jpg", LIGHT_BLUE, &f[STUART1], NULL, 250, 32768);
        rc |= idcard(&g, "tj_id_stuart.jpg", &f[STUART5], 61440);
    }
    for (int i = 0; i < NFACES; i++)
        face_image_free(&f[i].img);
    face_engine_free(g.eng);
    vips_shutdown();
    return rc == 0 ? 0 : 1;
}
