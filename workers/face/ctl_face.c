/*
 * ctl_face.c - `zikaoctl face describe FILE...` and `zikaoctl face compare
 * A B`: the face engine for operators, who use it when a candidate disputes
 * a verdict. Output is one JSON object per line on stdout.
 *
 * The models come from --models DIR, else [paths] models_dir. Thresholds come
 * from [face] pass_threshold_milli / review_threshold_milli.
 */
#include "ctl.h"
#include "face.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_FACE_MAX 32

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void face_usage(FILE *out)
{
    fprintf(out, "usage: zikaoctl face [--models DIR] describe [--cropped] FILE...\n"
                 "       zikaoctl face [--models DIR] compare [--cropped] A B\n"
                 "--cropped treats each whole image as one pre-cropped face (no detection).\n");
}

/* Result of looking at one image: its faces and the largest face's descriptor. */
struct face_look {
    struct face_image img;
    struct face_info faces[CTL_FACE_MAX];
    int nfaces; /* found, may exceed CTL_FACE_MAX */
    float desc[FACE_DESCRIPTOR];
    int has_desc;
    double ms;
};

static int look(const struct face_engine *eng, const char *file, int cropped, struct face_look *lk)
{
    memset(lk, 0, sizeof(*lk));
    int rc = face_image_load(file, &lk->img);
    if (rc < 0)
        return rc;
    double t0 = now_ms();
    if (cropped) {
        lk->nfaces = 1;
        struct face_info *f = &lk->faces[0];
        f->det.box = (struct face_box){0, 0, (float)lk->img.width, (float)lk->img.height};
        f->det.score = 1.0f;
        if ((rc = face_landmarks(eng, &lk->img, NULL, f->landmarks)) < 0 ||
            (rc = face_descriptor(eng, &lk->img, NULL, lk->desc)) < 0)
            return rc;
        lk->has_desc = 1;
    } else {
        lk->nfaces = face_analyze(eng, &lk->img, lk->faces, CTL_FACE_MAX);
        if (lk->nfaces < 0)
            return lk->nfaces;
        if (lk->nfaces > 0) {
            /* face_analyze sorts the largest face first. */
            if (face_descriptor_aligned(eng, &lk->img, lk->faces[0].landmarks, lk->desc) == 0)
                lk->has_desc = 1;
        }
    }
    lk->ms = now_ms() - t0;
    return 0;
}

static json_t *real_r(double v)
{
    /* Four decimals keep lines short; the engine's precision is well below that. */
    return json_real((double)(long long)(v * 10000.0 + (v < 0 ? -0.5 : 0.5)) / 10000.0);
}

static json_t *describe_json(const char *file, const struct face_look *lk)
{
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(file));
    json_object_set_new(o, "width", json_integer(lk->img.width));
    json_object_set_new(o, "height", json_integer(lk->img.height));
    json_t *faces = json_array();
    int shown = lk->nfaces < CTL_FACE_MAX ? lk->nfaces : CTL_FACE_MAX;
    for (int i = 0; i < shown; i++) {
        const struct face_info *f = &lk->faces[i];
        json_t *jf = json_object();
        json_t *box = json_object();
        json_object_set_new(box, "x", real_r(f->det.box.x));
        json_object_set_new(box, "y", real_r(f->det.box.y));
        json_object_set_new(box, "width", real_r(f->det.box.width));
        json_object_set_new(box, "height", real_r(f->det.box.height));
        json_object_set_new(jf, "box", box);
        json_object_set_new(jf, "score", real_r(f->det.score));
        json_t *pts = json_array();
        for (int k = 0; k < FACE_LANDMARKS; k++)
            json_array_append_new(
                pts, json_pack("[oo]", real_r(f->landmarks[k].x), real_r(f->landmarks[k].y)));
        json_object_set_new(jf, "landmarks", pts);
        json_array_append_new(faces, jf);
    }
    json_object_set_new(o, "faces", faces);
    json_object_set_new(o, "face_count", json_integer(lk->nfaces));
    if (lk->has_desc) {
        json_t *d = json_array();
        for (int k = 0; k < FACE_DESCRIPTOR; k++)
            json_array_append_new(d, json_real(lk->desc[k]));
        json_object_set_new(o, "descriptor", d);
    } else {
        json_object_set_new(o, "descriptor", json_null());
    }
    json_object_set_new(o, "ms", real_r(lk->ms));
    return o;
}

static void print_line(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(o);
}

static json_t *error_json(const char *file, const char *reason)
{
    return json_pack("{s:s,s:s}", "file", file, "error", reason);
}

static int describe(const struct face_engine *eng, int argc, char **argv, int cropped)
{
    int status = 0;
    for (int i = 0; i < argc; i++) {
        struct face_look lk;
        int rc = look(eng, argv[i], cropped, &lk);
        if (rc < 0) {
            print_line(
                error_json(argv[i], rc == -ENOTSUP ? "not a PNG or JPEG image" : strerror(-rc)));
            status = 1;
        } else {
            print_line(describe_json(argv[i], &lk));
        }
        face_image_free(&lk.img);
    }
    return status;
}

static int compare(const struct ctl *ctl, const struct face_engine *eng, char **files, int cropped)
{
    struct face_look a, b;
    int status = 1;
    int ra = look(eng, files[0], cropped, &a);
    int rb = look(eng, files[1], cropped, &b);
    if (ra < 0 || rb < 0) {
        print_line(error_json(ra < 0 ? files[0] : files[1], strerror(-(ra < 0 ? ra : rb))));
        goto out;
    }
    if (!a.has_desc || !b.has_desc) {
        print_line(error_json(!a.has_desc ? files[0] : files[1], "no face found"));
        goto out;
    }
    float pass = (float)ctl->cfg.face_pass_milli / 1000.0f;
    float review = (float)ctl->cfg.face_review_milli / 1000.0f;
    float d = face_distance(a.desc, b.desc);
    enum face_decision dec = face_decide(d, pass, review);
    json_t *o = json_object();
    json_object_set_new(o, "a", json_string(files[0]));
    json_object_set_new(o, "b", json_string(files[1]));
    json_object_set_new(o, "faces_a", json_integer(a.nfaces));
    json_object_set_new(o, "faces_b", json_integer(b.nfaces));
    json_object_set_new(o, "distance", real_r(d));
    json_object_set_new(o, "decision", json_string(face_decision_name(dec)));
    json_object_set_new(o, "pass_threshold", real_r(pass));
    json_object_set_new(o, "review_threshold", real_r(review));
    json_object_set_new(o, "model", json_string(face_engine_version(eng)));
    print_line(o);
    status = 0;
out:
    face_image_free(&a.img);
    face_image_free(&b.img);
    return status;
}

int ctl_face(struct ctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"models", required_argument, NULL, 'm'},
        {"cropped", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *models = ctl->cfg.models_dir;
    int cropped = 0, ch;
    /* Options may stand before or after the subcommand word. */
    while ((ch = getopt_long(argc, argv, "m:Ch", opts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            models = optarg;
            break;
        case 'C':
            cropped = 1;
            break;
        case 'h':
            face_usage(stdout);
            return 0;
        default:
            face_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        face_usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    int nfiles = argc - optind - 1;
    char **files = argv + optind + 1;
    bool is_describe = strcmp(cmd, "describe") == 0, is_compare = strcmp(cmd, "compare") == 0;
    if ((!is_describe && !is_compare) || (is_describe && nfiles < 1) ||
        (is_compare && nfiles != 2)) {
        face_usage(stderr);
        return 2;
    }
    if (ctl->cfg.face_pass_milli > ctl->cfg.face_review_milli) {
        fprintf(stderr, "zikaoctl: [face] pass_threshold_milli exceeds review_threshold_milli\n");
        return 78;
    }
    struct face_engine *eng;
    char err[512];
    if (face_engine_load(models, &eng, err, sizeof(err)) < 0) {
        fprintf(stderr, "zikaoctl: face models: %s\n", err);
        return 1;
    }
    int rc =
        is_describe ? describe(eng, nfiles, files, cropped) : compare(ctl, eng, files, cropped);
    face_engine_free(eng);
    return rc;
}
