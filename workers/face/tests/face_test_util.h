/*
 * face_test_util.h - what the face tests share: locating the reference kit
 * (ZIKAO_KIT_DIR, default /work/shared) and the face-api models
 * (ZIKAO_MODELS_DIR), loading the engine once per group, reading reference
 * JSON. Header-only; each test includes it once.
 */
#ifndef ZK_FACE_TEST_UTIL_H
#define ZK_FACE_TEST_UTIL_H

#include "face.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define FACE_TEST_DEFAULT_KIT "/work/shared"
#define FACE_TEST_DEFAULT_MODELS                                                                   \
    "/work/main/models/face-api/node_modules/@vladmandic/face-api/model"

struct face_fixture {
    struct face_engine *eng;
    char faces[1024]; /* <kit>/testdata/faces */
};

static inline const char *face_test_env(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : def;
}

static inline int face_test_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Group setup: loads the engine. When the kit or the models are absent it
 * prints a clear SKIP line and leaves *state NULL, and every test skips.
 */
static inline int face_fixture_setup(void **state)
{
    *state = NULL;
    const char *kit = face_test_env("ZIKAO_KIT_DIR", FACE_TEST_DEFAULT_KIT);
    const char *models = face_test_env("ZIKAO_MODELS_DIR", FACE_TEST_DEFAULT_MODELS);
    static struct face_fixture fx;
    snprintf(fx.faces, sizeof(fx.faces), "%s/testdata/faces", kit);
    if (!face_test_is_dir(fx.faces)) {
        printf("SKIP: kit not found at %s (set ZIKAO_KIT_DIR)\n", fx.faces);
        return 0;
    }
    if (!face_test_is_dir(models)) {
        printf("SKIP: face models not found at %s (run workers/face/fetch-models.sh, or set "
               "ZIKAO_MODELS_DIR)\n",
               models);
        return 0;
    }
    char err[512];
    if (face_engine_load(models, &fx.eng, err, sizeof(err)) < 0) {
        printf("face_engine_load(%s) failed: %s\n", models, err);
        return -1;
    }
    *state = &fx;
    return 0;
}

static inline int face_fixture_teardown(void **state)
{
    struct face_fixture *fx = *state;
    if (fx != NULL)
        face_engine_free(fx->eng);
    return 0;
}

/* Loads <faces>/rel; fails the test when it cannot. */
static inline void face_test_image(const struct face_fixture *fx, const char *rel,
                                   struct face_image *img)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", fx->faces, rel);
    int rc = face_image_load(path, img);
    if (rc < 0)
        printf("cannot load %s: %d\n", path, rc);
    assert_int_equal(rc, 0);
}

static inline json_t *face_test_json(const struct face_fixture *fx, const char *rel)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", fx->faces, rel);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (j == NULL)
        printf("cannot read %s: %s\n", path, jerr.text);
    assert_non_null(j);
    return j;
}

#define FACE_SKIP_WITHOUT_KIT(state)                                                               \
    do {                                                                                           \
        if (*(state) == NULL)                                                                      \
            skip();                                                                                \
    } while (0)

#endif
