/*
 * fuzz_photo.c - libFuzzer harness over the photo rule pipeline: arbitrary
 * bytes go through the header probe, the decode gate (libvips, JPEG/PNG
 * only) and every rule of one of three specifications, with or without
 * landmarks, then through the JSON serialiser; the first byte 'S' instead
 * feeds the rest to the specification parser. Built with ZIKAO_FUZZ=ON
 * (clang, ASan + UBSan): any crash, leak or undefined behaviour is a bug.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DZIKAO_FUZZ=ON
 *   make -C build-fuzz fuzz_photo && build-fuzz/workers/photo/fuzz_photo CORPUS
 */
#include "photo_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct photo_specs fuzz_specs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    if (photo_init((*argv)[0]) < 0 || photo_specs_load_builtin(&fuzz_specs, err, sizeof(err)) < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'S') {
        char *text = malloc(size);
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        struct photo_specs s;
        char err[256];
        if (photo_specs_load_string(&s, text, err, sizeof(err)) == 0)
            photo_specs_free(&s);
        free(text);
        return 0;
    }
    static const char *const kinds[][2] = {
        {"tianjin", "registration"}, {"shanxi", "graduation"}, {"tianjin", "idcard"}};
    /* Landmarks derived from the input's own bytes, so geometry rules see
     * arbitrary (also absurd) coordinates. */
    struct photo_face face = {.has_landmarks = true, .face_count = (int)(size % 4)};
    for (int i = 0; i < PHOTO_LANDMARKS; i++) {
        uint8_t a = size ? data[(size_t)i * 7 % size] : 0,
                b = size ? data[(size_t)i * 13 % size] : 0;
        face.pts[i].x = a * 3.0 - 100;
        face.pts[i].y = b * 4.0 - 100;
    }
    /* One specification per input (chosen by its length) keeps the rate
     * up; the corpus reaches all three. */
    struct photo_result *res = malloc(sizeof(*res));
    size_t k = size % (sizeof(kinds) / sizeof(kinds[0]));
    const struct photo_spec *spec = photo_spec_find(&fuzz_specs, kinds[k][0], kinds[k][1]);
    photo_check_buffer(spec, &fuzz_specs, data, size, (size / 3) % 2 ? &face : NULL, res);
    json_t *j = photo_result_json(res);
    char *line = json_dumps(j, JSON_COMPACT);
    free(line);
    json_decref(j);
    free(res);
    return 0;
}
