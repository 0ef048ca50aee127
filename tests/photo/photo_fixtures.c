/*
 * photo_fixtures.c - writes the photo engine's test fixtures into a build
 * directory (never committed): synthetic backgrounds of allowed and wrong
 * colours, a face from the kit (testdata/faces/reference/face1.png and
 * face2.png, with their reference landmarks) composited at chosen positions
 * and sizes, JPEG qualities searched to land inside or outside the byte
 * ranges, an EXIF-rotated copy, a truncated copy, stretched and cut-off ID
 * cards, decompression-bomb PNG and JPEG headers.
 *
 * Usage: photo_fixtures OUTDIR. The kit is found through ZIKAO_KIT_DIR
 * (default /work/shared); without it the face fixtures are not written, a
 * line "SKIP: kit not found at ..." is printed and OUTDIR/NO_KIT is created
 * so the tests that need faces skip. Each face fixture NAME.jpg comes with
 * NAME.landmarks.json (what the face engine would report). The expected
 * verdicts live in tests/unit/test_photo_fixtures.c.
 *
 * Everything is deterministic: a fixed-seed generator for noise.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

struct img {
    int w, h;
    uint8_t *p; /* RGB */
};

struct face_src {
    struct img grey; /* face crop, as RGB */
    double pts[68][2];
};

static const char *outdir;

static struct img img_new(int w, int h)
{
    struct img m = {w, h, calloc((size_t)w * h * 3, 1)};
    if (m.p == NULL)
        abort();
    return m;
}

static uint32_t rng_state = 12345;
static double rnd_gauss(void)
{
    /* xorshift + Box-Muller: deterministic noise */
    double u[2];
    for (int i = 0; i < 2; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        u[i] = (rng_state % 1000000 + 1) / 1000001.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static uint8_t clamp8(double v)
{
    return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lround(v);
}

/* Background: colour with a slight vertical gradient and sensor noise. */
static struct img background(int w, int h, const double rgb[3], double noise)
{
    struct img m = img_new(w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double g = 3.0 * ((double)y / h - 0.5);
            for (int k = 0; k < 3; k++)
                m.p[((size_t)y * w + x) * 3 + k] = clamp8(rgb[k] - g + noise * rnd_gauss());
        }
    return m;
}

/* Blends a feathered ellipse of colour rgb (with texture noise). */
static void ellipse(struct img *m, double cx, double cy, double ax, double ay, const double rgb[3],
                    double texture)
{
    for (int y = (int)(cy - ay - 2); y <= (int)(cy + ay + 2); y++)
        for (int x = (int)(cx - ax - 2); x <= (int)(cx + ax + 2); x++) {
            if (x < 0 || y < 0 || x >= m->w || y >= m->h)
                continue;
            double d = hypot((x - cx) / ax, (y - cy) / ay);
            double a = d <= 1 ? 1 : d >= 1 + 2 / fmin(ax, ay) ? 0 : 1 - (d - 1) * fmin(ax, ay) / 2;
            if (a <= 0)
                continue;
            uint8_t *p = m->p + ((size_t)y * m->w + x) * 3;
            double t = texture * rnd_gauss();
            for (int k = 0; k < 3; k++)
                p[k] = clamp8(p[k] * (1 - a) + (rgb[k] + t) * a);
        }
}

/* Pastes the face crop scaled by s with its top-left at (ox, oy), inside
 * an elliptical mask; writes the transformed landmarks to pts. */
static void paste_face(struct img *m, const struct face_src *f, double s, double ox, double oy,
                       double pts[68][2])
{
    int fw = f->grey.w, fh = f->grey.h;
    double cx = fw / 2.0, cy = fh / 2.0, ax = fw * 0.46, ay = fh * 0.5;
    for (int y = 0; y < (int)(fh * s); y++)
        for (int x = 0; x < (int)(fw * s); x++) {
            int X = (int)ox + x, Y = (int)oy + y;
            if (X < 0 || Y < 0 || X >= m->w || Y >= m->h)
                continue;
            double sx = x / s, sy = y / s;
            double d = hypot((sx - cx) / ax, (sy - cy) / ay);
            double a = d <= 0.96 ? 1 : d >= 1 ? 0 : (1 - d) / 0.04;
            if (a <= 0)
                continue;
            /* bilinear sample */
            int x0 = (int)sx, y0 = (int)sy;
            int x1 = x0 + 1 < fw ? x0 + 1 : x0, y1 = y0 + 1 < fh ? y0 + 1 : y0;
            double fx = sx - x0, fy = sy - y0;
            uint8_t *p = m->p + ((size_t)Y * m->w + X) * 3;
            for (int k = 0; k < 3; k++) {
                const uint8_t *g = f->grey.p;
                double v = (1 - fx) * (1 - fy) * g[((size_t)y0 * fw + x0) * 3 + k] +
                           fx * (1 - fy) * g[((size_t)y0 * fw + x1) * 3 + k] +
                           (1 - fx) * fy * g[((size_t)y1 * fw + x0) * 3 + k] +
                           fx * fy * g[((size_t)y1 * fw + x1) * 3 + k];
                p[k] = clamp8(p[k] * (1 - a) + v * a);
            }
        }
    for (int i = 0; i < 68; i++) {
        pts[i][0] = ox + f->pts[i][0] * s;
        pts[i][1] = oy + f->pts[i][1] * s;
    }
}

/* Box blur of radius r over a region (for the "blurred" fixtures). */
static void blur(struct img *m, int r, int x0, int y0, int x1, int y1)
{
    struct img c = img_new(m->w, m->h);
    memcpy(c.p, m->p, (size_t)m->w * m->h * 3);
    for (int pass = 0; pass < 2; pass++)
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                for (int k = 0; k < 3; k++) {
                    int sum = 0, n = 0;
                    for (int d = -r; d <= r; d++) {
                        int X = pass == 0 ? x + d : x, Y = pass == 0 ? y : y + d;
                        if (X < 0 || Y < 0 || X >= m->w || Y >= m->h)
                            continue;
                        sum += (pass == 0 ? c.p : m->p)[((size_t)Y * m->w + X) * 3 + k];
                        n++;
                    }
                    (pass == 0 ? m->p : c.p)[((size_t)y * m->w + x) * 3 + k] = (uint8_t)(sum / n);
                }
    memcpy(m->p, c.p, (size_t)m->w * m->h * 3);
    free(c.p);
}

static void brighten(struct img *m, double gain, int x0, int y0, int x1, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            for (int k = 0; k < 3; k++) {
                uint8_t *p = m->p + ((size_t)y * m->w + x) * 3 + k;
                *p = clamp8(*p * gain);
            }
}

static VipsImage *to_vips(const struct img *m)
{
    return vips_image_new_from_memory(m->p, (size_t)m->w * m->h * 3, m->w, m->h, 3,
                                      VIPS_FORMAT_UCHAR);
}

static int write_bytes(const char *name, const void *buf, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len) {
        fprintf(stderr, "photo_fixtures: %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    printf("  %-28s %8zu bytes\n", name, len);
    return 0;
}

/* Encodes as JPEG at quality q; orientation > 1 writes that EXIF tag. */
static int jpeg_buffer(const struct img *m, int q, bool progressive, int orientation, void **buf,
                       size_t *len)
{
    VipsImage *v = to_vips(m);
    if (orientation > 1)
        vips_image_set_int(v, VIPS_META_ORIENTATION, orientation);
    int rc = vips_jpegsave_buffer(v, buf, len, "Q", q, "interlace", progressive, "strip",
                                  orientation <= 1, NULL);
    g_object_unref(v);
    return rc;
}

/* Writes the JPEG at the highest quality whose size is <= target. */
static int save_jpeg_near(const char *name, const struct img *m, size_t target, bool progressive,
                          int orientation, size_t *out_len)
{
    int lo = 5, hi = 100, best = 5;
    while (lo <= hi) {
        int q = (lo + hi) / 2;
        void *buf;
        size_t len;
        if (jpeg_buffer(m, q, progressive, orientation, &buf, &len) != 0)
            return -1;
        g_free(buf);
        if (len <= target) {
            best = q;
            lo = q + 1;
        } else {
            hi = q - 1;
        }
    }
    void *buf;
    size_t len;
    if (jpeg_buffer(m, best, progressive, orientation, &buf, &len) != 0)
        return -1;
    int rc = write_bytes(name, buf, len);
    if (out_len)
        *out_len = len;
    g_free(buf);
    return rc;
}

static int save_png(const char *name, const struct img *m, bool palette)
{
    VipsImage *v = to_vips(m);
    void *buf;
    size_t len;
    int rc = palette ? vips_pngsave_buffer(v, &buf, &len, "palette", TRUE, "bitdepth", 4, "dither",
                                           0.0, NULL)
                     : vips_pngsave_buffer(v, &buf, &len, NULL);
    g_object_unref(v);
    if (rc != 0)
        return -1;
    rc = write_bytes(name, buf, len);
    g_free(buf);
    return rc;
}

static int save_landmarks(const char *name, double pts[68][2], int faces)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.landmarks.json", outdir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    fprintf(f, "{\"faces\":%d,\"points\":[", faces);
    for (int i = 0; i < 68; i++) {
        fprintf(f, "%s[%.2f,%.2f]", i ? "," : "", pts[i][0], pts[i][1]);
        x0 = fmin(x0, pts[i][0]);
        y0 = fmin(y0, pts[i][1]);
        x1 = fmax(x1, pts[i][0]);
        y1 = fmax(y1, pts[i][1]);
    }
    fprintf(f, "],\"box\":[%.2f,%.2f,%.2f,%.2f]}\n", x0, y0, x1 - x0, y1 - y0);
    fclose(f);
    return 0;
}

/* Loads a kit face as RGB tinted towards skin, with its landmarks. */
static int load_face(const char *kit, const char *png, const char *json, struct face_src *f)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/testdata/faces/reference/%s", kit, png);
    VipsImage *v = vips_image_new_from_file(path, NULL);
    if (v == NULL)
        return -1;
    size_t size;
    uint8_t *g = vips_image_write_to_memory(v, &size);
    f->grey = img_new(v->Xsize, v->Ysize);
    int bands = v->Bands;
    for (int i = 0; i < v->Xsize * v->Ysize; i++) {
        double l = g[(size_t)i * bands];
        f->grey.p[i * 3 + 0] = clamp8(l * 0.95 + 25);
        f->grey.p[i * 3 + 1] = clamp8(l * 0.80 + 12);
        f->grey.p[i * 3 + 2] = clamp8(l * 0.68 + 5);
    }
    g_free(g);
    g_object_unref(v);
    snprintf(path, sizeof(path), "%s/testdata/faces/reference/%s", kit, json);
    FILE *jf = fopen(path, "r");
    if (jf == NULL)
        return -1;
    /* [{"x":..,"y":..}, ...] */
    int n = 0;
    while (n < 68 && fscanf(jf, "%*[^x]x\":%lf,\"y\":%lf", &f->pts[n][0], &f->pts[n][1]) == 2)
        n++;
    fclose(jf);
    return n == 68 ? 0 : -1;
}

static const double LIGHT_BLUE[3] = {100, 197, 255};
static const double WHITE[3] = {246, 246, 246};
static const double GREY_BG[3] = {128, 128, 128};
static const double HAIR[3] = {35, 28, 24};
static const double SHIRT[3] = {40, 45, 70};

struct portrait {
    const double *bg;
    double face_width; /* px, cheek to cheek */
    double centre_x;   /* face centre */
    double eye_y;
    double hair_top; /* top of the hair ellipse */
    int face;        /* 0: face1 (frontal), 1: face2 (turned) */
};

/* A 480x640 registration photo; pts receives the landmarks. */
static struct img portrait(const struct portrait *p, const struct face_src *faces,
                           double pts[68][2])
{
    struct img m = background(480, 640, p->bg, 1.5);
    const struct face_src *f = &faces[p->face];
    double fw = f->pts[16][0] - f->pts[0][0];
    double s = p->face_width / fw;
    double fcx = (f->pts[0][0] + f->pts[16][0]) / 2, eye = 0;
    for (int i = 36; i < 48; i++)
        eye += f->pts[i][1] / 12;
    double ox = p->centre_x - fcx * s, oy = p->eye_y - eye * s;
    /* Shoulders, then hair behind the face, then the face. */
    ellipse(&m, p->centre_x, 640 + 60, 250, 190, SHIRT, 4);
    double hair_bottom = oy + f->grey.h * s * 0.75;
    double hx = f->grey.w * s * 0.52;
    ellipse(&m, p->centre_x, (p->hair_top + hair_bottom) / 2, hx, (hair_bottom - p->hair_top) / 2,
            HAIR, 6);
    paste_face(&m, f, s, ox, oy, pts);
    return m;
}

/* An ID card (portrait side) on a dark textured table. */
static struct img id_card(int W, int H, double cx, double cy, double cw, double ch,
                          const struct face_src *faces)
{
    const double TABLE[3] = {70, 55, 45}, CARD[3] = {232, 230, 222}, INK[3] = {60, 60, 70};
    struct img m = background(W, H, TABLE, 7);
    double x0 = cx - cw / 2, y0 = cy - ch / 2, r = ch * 0.06;
    for (int y = (int)y0; y < (int)(y0 + ch); y++)
        for (int x = (int)x0; x < (int)(x0 + cw); x++) {
            if (x < 0 || y < 0 || x >= W || y >= H)
                continue;
            /* rounded corners */
            double dx = x < x0 + r ? x0 + r - x : x > x0 + cw - r ? x - (x0 + cw - r) : 0;
            double dy = y < y0 + r ? y0 + r - y : y > y0 + ch - r ? y - (y0 + ch - r) : 0;
            if (hypot(dx, dy) > r)
                continue;
            uint8_t *p = m.p + ((size_t)y * W + x) * 3;
            double t = 3 * rnd_gauss();
            for (int k = 0; k < 3; k++)
                p[k] = clamp8(CARD[k] + t);
        }
    /* text lines on the left, the portrait on the right */
    for (int line = 0; line < 5; line++)
        for (int y = (int)(y0 + ch * (0.15 + line * 0.14));
             y < (int)(y0 + ch * (0.2 + line * 0.14)); y++)
            for (int x = (int)(x0 + cw * 0.08); x < (int)(x0 + cw * (0.35 + 0.05 * (line % 3)));
                 x++)
                if (x >= 0 && y >= 0 && x < W && y < H && (x / 3) % 4 != 0) {
                    uint8_t *p = m.p + ((size_t)y * W + x) * 3;
                    for (int k = 0; k < 3; k++)
                        p[k] = clamp8(INK[k]);
                }
    double pts[68][2];
    if (faces != NULL)
        paste_face(&m, &faces[0], ch * 0.55 / faces[0].grey.h, x0 + cw * 0.62, y0 + ch * 0.15, pts);
    return m;
}

/* A JPEG header that claims w x h (progressive: SOF2) with no real data. */
static int save_jpeg_header(const char *name, int w, int h, bool progressive)
{
    uint8_t b[64];
    size_t n = 0;
    const uint8_t soi[] = {0xFF, 0xD8};
    memcpy(b + n, soi, 2);
    n += 2;
    const uint8_t sof[] = {0xFF,       progressive ? 0xC2 : 0xC0,
                           0x00,       0x11,
                           0x08,       (uint8_t)(h >> 8),
                           (uint8_t)h, (uint8_t)(w >> 8),
                           (uint8_t)w, 0x03,
                           0x01,       0x22,
                           0x00,       0x02,
                           0x11,       0x01,
                           0x03,       0x11,
                           0x01};
    memcpy(b + n, sof, sizeof(sof));
    n += sizeof(sof);
    const uint8_t sos[] = {0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11,
                           0x03, 0x11, 0x00, 0x3F, 0x00, 0x12, 0x34, 0xFF, 0xD9};
    memcpy(b + n, sos, sizeof(sos));
    n += sizeof(sos);
    return write_bytes(name, b, n);
}

static int copy_truncated(const char *src, const char *dst, double keep)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, src);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return write_bytes(dst, buf, (size_t)(len * keep));
}

static int face_fixtures(const struct face_src *faces)
{
    double pts[68][2];
    int rc = 0;
    struct portrait ok = {LIGHT_BLUE, 230, 240, 250, 80, 0};
    struct img m;

#define PORTRAIT(NAME, P, TARGET)                                                                  \
    do {                                                                                           \
        m = portrait(&(P), faces, pts);                                                            \
        rc |= save_jpeg_near(NAME ".jpg", &m, TARGET, false, 1, NULL);                             \
        rc |= save_landmarks(NAME ".jpg", pts, 1);                                                 \
        free(m.p);                                                                                 \
    } while (0)

    /* Compliant Tianjin registration photo, about 32 KB. */
    PORTRAIT("tj_ok", ok, 32 * 1024);
    /* Byte size outside 20-40 KB, everything else compliant. */
    PORTRAIT("tj_too_big", ok, 200 * 1024);
    PORTRAIT("tj_too_small", ok, 15 * 1024);
    /* Wrong backgrounds. */
    struct portrait p = ok;
    p.bg = WHITE;
    PORTRAIT("tj_white_bg", p, 32 * 1024);
    p.bg = GREY_BG;
    PORTRAIT("tj_grey_bg", p, 32 * 1024);
    /* Geometry faults. */
    p = ok;
    p.hair_top = 25; /* tall hair: head top 25 px from the edge */
    PORTRAIT("tj_head_high", p, 32 * 1024);
    p = ok;
    p.face_width = 160; /* small face; eye line kept, hair scaled with it */
    p.eye_y = 230;
    p.hair_top = 105;
    PORTRAIT("tj_face_small", p, 32 * 1024);
    p = ok;
    p.centre_x = 300; /* 60 px right of centre */
    PORTRAIT("tj_off_centre", p, 32 * 1024);
    p = ok;
    p.eye_y = 320; /* whole head low: eyes and hair line both out of range */
    p.hair_top = 150;
    PORTRAIT("tj_low", p, 32 * 1024);
    p = ok;
    p.face = 1; /* turned face */
    PORTRAIT("tj_turned", p, 32 * 1024);

    /* Blurred (out of focus): the whole photo, quality kept in range. */
    m = portrait(&ok, faces, pts);
    blur(&m, 4, 0, 0, m.w, m.h);
    rc |= save_jpeg_near("tj_blurred.jpg", &m, 32 * 1024, false, 1, NULL);
    rc |= save_landmarks("tj_blurred.jpg", pts, 1);
    free(m.p);
    /* Over-exposed face. */
    m = portrait(&ok, faces, pts);
    brighten(&m, 2.6, 120, 130, 360, 620);
    rc |= save_jpeg_near("tj_overexposed.jpg", &m, 32 * 1024, false, 1, NULL);
    rc |= save_landmarks("tj_overexposed.jpg", pts, 1);
    free(m.p);
    /* Thin border frame: background not uniform, mean colour still right. */
    m = portrait(&ok, faces, pts);
    for (int y = 0; y < m.h; y++)
        for (int x = 0; x < m.w; x++)
            if ((x >= 3 && x < 7) || (y >= 3 && y < 7) || (x >= m.w - 7 && x < m.w - 3))
                memset(m.p + ((size_t)y * m.w + x) * 3, 20, 3);
    rc |= save_jpeg_near("tj_border.jpg", &m, 32 * 1024, false, 1, NULL);
    rc |= save_landmarks("tj_border.jpg", pts, 1);
    free(m.p);
    /* EXIF orientation 6 (rotated 90 degrees clockwise). */
    m = portrait(&ok, faces, pts);
    rc |= save_jpeg_near("tj_rotated.jpg", &m, 32 * 1024, false, 6, NULL);
    rc |= save_landmarks("tj_rotated.jpg", pts, 1);
    /* Cropped to 480x600: wrong dimensions only. */
    struct img c = {480, 600, m.p};
    rc |= save_jpeg_near("tj_480x600.jpg", &c, 32 * 1024, false, 1, NULL);
    rc |= save_landmarks("tj_480x600.jpg", pts, 1);
    /* PNG content (whatever the name says). */
    rc |= save_png("tj_png.jpg", &m, true);
    rc |= save_landmarks("tj_png.jpg", pts, 1);
    /* Progressive JPEG, compliant. */
    rc |= save_jpeg_near("tj_progressive.jpg", &m, 32 * 1024, true, 1, NULL);
    rc |= save_landmarks("tj_progressive.jpg", pts, 1);
    /* Truncated: a 38 KB JPEG cut to 75%. */
    rc |= save_jpeg_near("tj_full38k.jpg", &m, 38 * 1024, false, 1, NULL);
    rc |= copy_truncated("tj_full38k.jpg", "tj_truncated.jpg", 0.75);
    free(m.p);

    /* Shanxi: white background is allowed there. */
    p = ok;
    p.bg = WHITE;
    PORTRAIT("sx_white_bg", p, 120 * 1024);

    /* ID cards: 500x316 frame (1.582), card 440x277. */
    m = id_card(500, 316, 250, 158, 440, 277, faces);
    rc |= save_jpeg_near("id_ok.jpg", &m, 60 * 1024, false, 1, NULL);
    free(m.p);
    m = id_card(500, 316, 250, 158, 500, 316, faces); /* a scan cropped to the card */
    rc |= save_jpeg_near("id_tight.jpg", &m, 60 * 1024, false, 1, NULL);
    free(m.p);
    m = id_card(500, 316, 330, 158, 440, 277, faces); /* right side cut off */
    rc |= save_jpeg_near("id_cut.jpg", &m, 60 * 1024, false, 1, NULL);
    free(m.p);
    /* Stretched to 4:3 (the frame and the card in it). */
    m = id_card(500, 375, 250, 187, 440, 329, faces);
    rc |= save_jpeg_near("id_stretched.jpg", &m, 60 * 1024, false, 1, NULL);
    free(m.p);
#undef PORTRAIT
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: photo_fixtures OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    mkdir(outdir, 0755);
    if (VIPS_INIT(argv[0]) != 0)
        return 1;
    const char *kit = getenv("ZIKAO_KIT_DIR");
    if (kit == NULL || kit[0] == '\0')
        kit = "/work/shared";
    int rc = 0;
    printf("photo fixtures in %s\n", outdir);

    /* Fixtures that need no face. */
    struct img m = background(480, 640, LIGHT_BLUE, 1.5);
    rc |= write_bytes("fake_gif.jpg",
                      "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                      "!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01"
                      "\x00\x00\x02\x02D\x01\x00;",
                      43);
    free(m.p);
    /* Certificates: 1024x768 passes, 800x600 is not "above 800x600". */
    const double PAPER[3] = {225, 215, 190};
    m = background(1024, 768, PAPER, 6);
    rc |= save_jpeg_near("cert_ok.jpg", &m, 400 * 1024, false, 1, NULL);
    free(m.p);
    m = background(800, 600, PAPER, 6);
    rc |= save_jpeg_near("cert_800x600.jpg", &m, 300 * 1024, false, 1, NULL);
    free(m.p);
    /* Decompression bombs: a real 100-megapixel PNG (compresses to little),
     * a JPEG header claiming 60000x60000, and a progressive JPEG header
     * whose coefficient buffer would exceed the memory budget. */
    VipsImage *black;
    if (vips_black(&black, 9000, 11200, "bands", 3, NULL) == 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/bomb_100mp.png", outdir);
        if (vips_pngsave(black, path, "compression", 9, NULL) != 0)
            rc = 1;
        else
            printf("  %-28s 9000x11200\n", "bomb_100mp.png");
        g_object_unref(black);
    }
    /* A legitimate 24-megapixel greyscale JPEG (a gradient: small file),
     * decoded through shrink-on-load within the memory bound. */
    VipsImage *xyz, *x, *g;
    if (vips_xyz(&xyz, 6000, 4000, NULL) == 0 && vips_extract_band(xyz, &x, 0, NULL) == 0 &&
        vips_linear1(x, &g, 255.0 / 6000, 0, "uchar", TRUE, NULL) == 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/big_24mp.jpg", outdir);
        if (vips_jpegsave(g, path, "Q", 85, NULL) != 0)
            rc = 1;
        else
            printf("  %-28s 6000x4000\n", "big_24mp.jpg");
        g_object_unref(g);
        g_object_unref(x);
        g_object_unref(xyz);
    } else {
        rc = 1;
    }
    rc |= save_jpeg_header("bomb_60000.jpg", 60000, 60000, false);
    rc |= save_jpeg_header("bomb_progressive.jpg", 6000, 5000, true);

    struct face_src faces[2] = {0};
    struct stat st;
    char probe[4096];
    snprintf(probe, sizeof(probe), "%s/testdata/faces/reference/face1.png", kit);
    if (stat(probe, &st) != 0) {
        printf("SKIP: kit not found at %s: face fixtures not written\n", kit);
        FILE *f = fopen((snprintf(probe, sizeof(probe), "%s/NO_KIT", outdir), probe), "w");
        if (f)
            fclose(f);
    } else if (load_face(kit, "face1.png", "faceLandmarkPositions1.json", &faces[0]) < 0 ||
               load_face(kit, "face2.png", "faceLandmarkPositions2.json", &faces[1]) < 0) {
        fprintf(stderr, "photo_fixtures: cannot read the kit's faces\n");
        rc = 1;
    } else {
        snprintf(probe, sizeof(probe), "%s/NO_KIT", outdir);
        remove(probe);
        rc |= face_fixtures(faces);
    }
    free(faces[0].grey.p);
    free(faces[1].grey.p);
    vips_shutdown();
    return rc ? 1 : 0;
}
