/*
 * test_face_weights.c - the tfjs manifest loader: uint8 tensors decode as
 * q * scale + min, float32 tensors are read as stored, shards concatenate,
 * and any disagreement between manifest and weight files fails loudly.
 * Builds its own small models in a temporary directory; the last test also
 * truncates a copy of the real face-api weights when they are installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tmpdir {
    char path[256];
};

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

static int tmp_setup(void **state)
{
    struct tmpdir *t = calloc(1, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "/tmp/zikao-face-weights-XXXXXX");
    if (mkdtemp(t->path) == NULL)
        return -1;
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmpdir *t = *state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
    int rc = system(cmd);
    free(t);
    return rc == 0 ? 0 : -1;
}

static void test_face_weights_decode_uint8_as_q_times_scale_plus_min(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "m-weights_manifest.json",
               "[{\"paths\":[\"m.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[2,2],"
               "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,"
               "\"min\":-1}}]}]");
    const uint8_t q[4] = {0, 1, 2, 255};
    write_file(t->path, "m.bin", q, sizeof(q));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "m", &w, NULL, err, sizeof(err)), 0);
    const float *v = face_weights_get(&w, "w", (int[]){2, 2, 0}, err, sizeof(err));
    assert_non_null(v);
    assert_float_equal(v[0], -1.0, 1e-6);
    assert_float_equal(v[1], -0.5, 1e-6);
    assert_float_equal(v[2], 0.0, 1e-6);
    assert_float_equal(v[3], 126.5, 1e-6);
    face_weights_free(&w);
}

static void test_face_weights_read_float32_and_concatenate_shards(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "f-weights_manifest.json",
               "[{\"paths\":[\"f1.bin\",\"f2.bin\"],\"weights\":["
               "{\"name\":\"a\",\"shape\":[3],\"dtype\":\"float32\"},"
               "{\"name\":\"b\",\"shape\":[1],\"dtype\":\"float32\","
               "\"quantization\":{\"dtype\":\"uint8\",\"scale\":2,\"min\":1}}]}]");
    /* 1.5, -2, 0.25 as little-endian float32, split across the two shards. */
    const uint8_t f1[8] = {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    const uint8_t f2[5] = {0x00, 0x00, 0x80, 0x3e, 3};
    write_file(t->path, "f1.bin", f1, sizeof(f1));
    write_file(t->path, "f2.bin", f2, sizeof(f2));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "f", &w, NULL, err, sizeof(err)), 0);
    const float *a = face_weights_get(&w, "a", (int[]){3, 0}, err, sizeof(err));
    const float *b = face_weights_get(&w, "b", (int[]){1, 0}, err, sizeof(err));
    assert_non_null(a);
    assert_non_null(b);
    assert_float_equal(a[0], 1.5, 0);
    assert_float_equal(a[1], -2.0, 0);
    assert_float_equal(a[2], 0.25, 0);
    assert_float_equal(b[0], 7.0, 1e-6);
    face_weights_free(&w);
}

/* The SSD manifest carries int32 shape constants between its float tensors. */
static void test_face_weights_read_int32_plain_and_quantised_as_whole_numbers(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "i-weights_manifest.json",
               "[{\"paths\":[\"i.bin\"],\"weights\":["
               "{\"name\":\"n\",\"shape\":[],\"dtype\":\"int32\","
               "\"quantization\":{\"dtype\":\"uint8\",\"scale\":1,\"min\":5118}},"
               "{\"name\":\"r\",\"shape\":[2],\"dtype\":\"int32\","
               "\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.4,\"min\":0}},"
               "{\"name\":\"p\",\"shape\":[1],\"dtype\":\"int32\"},"
               "{\"name\":\"f\",\"shape\":[1],\"dtype\":\"float32\"}]}]");
    /* n: q 0; r: q 1, 4 (0.4 and 1.6 round to 0 and 2); p: -3; f: 0.25. */
    const uint8_t b[11] = {0, 1, 4, 0xfd, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80, 0x3e};
    write_file(t->path, "i.bin", b, sizeof(b));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "i", &w, NULL, err, sizeof(err)), 0);
    const float *n = face_weights_get(&w, "n", (int[]){0}, err, sizeof(err));
    const float *r = face_weights_get(&w, "r", (int[]){2, 0}, err, sizeof(err));
    const float *p = face_weights_get(&w, "p", (int[]){1, 0}, err, sizeof(err));
    const float *f = face_weights_get(&w, "f", (int[]){1, 0}, err, sizeof(err));
    assert_non_null(n);
    assert_non_null(r);
    assert_non_null(p);
    assert_non_null(f);
    assert_float_equal(n[0], 5118.0, 0);
    assert_float_equal(r[0], 0.0, 0);
    assert_float_equal(r[1], 2.0, 0);
    assert_float_equal(p[0], -3.0, 0);
    assert_float_equal(f[0], 0.25, 0);
    face_weights_free(&w);
}

static void test_face_weights_reject_a_short_weight_file(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "s-weights_manifest.json",
               "[{\"paths\":[\"s.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[4],"
               "\"dtype\":\"float32\"}]}]");
    const uint8_t data[15] = {0};
    write_file(t->path, "s.bin", data, sizeof(data));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "s", &w, NULL, err, sizeof(err)), -EINVAL);
    printf("error: %s\n", err);
    assert_non_null(strstr(err, "15 bytes"));
    assert_non_null(strstr(err, "16"));
}

static void test_face_weights_reject_trailing_bytes(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "l-weights_manifest.json",
               "[{\"paths\":[\"l.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[2],"
               "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":1,"
               "\"min\":0}}]}]");
    const uint8_t data[3] = {1, 2, 3};
    write_file(t->path, "l.bin", data, sizeof(data));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "l", &w, NULL, err, sizeof(err)), -EINVAL);
    printf("error: %s\n", err);
    assert_non_null(strstr(err, "3 bytes"));
}

static void test_face_weights_reject_unsupported_quantization(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "h-weights_manifest.json",
               "[{\"paths\":[\"h.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[1],"
               "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"float16\"}}]}]");
    const uint8_t data[2] = {0, 0};
    write_file(t->path, "h.bin", data, sizeof(data));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "h", &w, NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "float16"));
}

static void test_face_weights_get_refuses_a_wrong_shape(void **state)
{
    struct tmpdir *t = *state;
    write_text(t->path, "g-weights_manifest.json",
               "[{\"paths\":[\"g.bin\"],\"weights\":[{\"name\":\"w\",\"shape\":[2,3],"
               "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"uint8\",\"scale\":1,"
               "\"min\":0}}]}]");
    const uint8_t data[6] = {0};
    write_file(t->path, "g.bin", data, sizeof(data));
    struct face_weights w;
    char err[256] = "";
    assert_int_equal(face_weights_load(t->path, "g", &w, NULL, err, sizeof(err)), 0);
    assert_null(face_weights_get(&w, "w", (int[]){3, 2, 0}, err, sizeof(err)));
    assert_non_null(strstr(err, "shape"));
    assert_null(face_weights_get(&w, "missing", (int[]){1, 0}, err, sizeof(err)));
    assert_non_null(strstr(err, "missing"));
    face_weights_free(&w);
}

static void test_face_engine_load_names_the_missing_manifest(void **state)
{
    struct tmpdir *t = *state;
    struct face_engine *eng = NULL;
    char err[512] = "";
    assert_int_equal(face_engine_load(t->path, &eng, err, sizeof(err)), -ENOENT);
    assert_null(eng);
    printf("error: %s\n", err);
    assert_non_null(strstr(err, "tiny_face_detector_model-weights_manifest.json"));
    assert_int_equal(face_engine_load("", &eng, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "models_dir"));
}

/* A copy of the real models with one byte cut from the recognition weights. */
static void test_face_engine_load_rejects_truncated_real_weights(void **state)
{
    struct tmpdir *t = *state;
    const char *models = getenv("ZIKAO_MODELS_DIR");
    if (models == NULL || models[0] == '\0')
        models = "/work/main/models/face-api/node_modules/@vladmandic/face-api/model";
    struct stat st;
    if (stat(models, &st) != 0) {
        printf("SKIP: face models not found at %s\n", models);
        skip();
    }
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cp '%s'/tiny_face_detector_model* '%s'/face_landmark_68_model* "
             "'%s'/face_recognition_model* '%s'/ && truncate -s -1 '%s'/face_recognition_model.bin",
             models, models, models, t->path, t->path);
    assert_int_equal(system(cmd), 0);
    struct face_engine *eng = NULL;
    char err[512] = "";
    assert_int_equal(face_engine_load(t->path, &eng, err, sizeof(err)), -EINVAL);
    assert_null(eng);
    printf("error: %s\n", err);
    assert_non_null(strstr(err, "face_recognition_model"));
    assert_non_null(strstr(err, "bytes"));
}

/* The SSD model is optional: without it the engine loads and face_detect_ssd says so. */
static void test_face_engine_without_ssd_model_loads_and_refuses_ssd(void **state)
{
    struct tmpdir *t = *state;
    const char *models = getenv("ZIKAO_MODELS_DIR");
    if (models == NULL || models[0] == '\0')
        models = "/work/main/models/face-api/node_modules/@vladmandic/face-api/model";
    struct stat st;
    if (stat(models, &st) != 0) {
        printf("SKIP: face models not found at %s\n", models);
        skip();
    }
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cp '%s'/tiny_face_detector_model* '%s'/face_landmark_68_model* "
             "'%s'/face_recognition_model* '%s'/",
             models, models, models, t->path);
    assert_int_equal(system(cmd), 0);
    struct face_engine *eng = NULL;
    char err[512] = "";
    assert_int_equal(face_engine_load(t->path, &eng, err, sizeof(err)), 0);
    assert_false(face_engine_has_ssd(eng));
    uint8_t px[3 * 4] = {0};
    struct face_image img = {2, 2, px};
    struct face_detection det[1];
    assert_int_equal(face_detect_ssd(eng, &img, 0.5f, det, 1), -ENOTSUP);
    face_engine_free(eng);
    /* A damaged SSD model is refused, not ignored. */
    snprintf(
        cmd, sizeof(cmd),
        "cp '%s'/ssd_mobilenetv1_model* '%s'/ && truncate -s -1 '%s'/ssd_mobilenetv1_model.bin",
        models, t->path, t->path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(face_engine_load(t->path, &eng, err, sizeof(err)), -EINVAL);
    printf("error: %s\n", err);
    assert_non_null(strstr(err, "ssd_mobilenetv1_model"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_face_weights_decode_uint8_as_q_times_scale_plus_min,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_weights_read_float32_and_concatenate_shards,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(
            test_face_weights_read_int32_plain_and_quantised_as_whole_numbers, tmp_setup,
            tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_weights_reject_a_short_weight_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_weights_reject_trailing_bytes, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_weights_reject_unsupported_quantization,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_weights_get_refuses_a_wrong_shape, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_engine_load_names_the_missing_manifest, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_engine_without_ssd_model_loads_and_refuses_ssd,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_face_engine_load_rejects_truncated_real_weights,
                                        tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
