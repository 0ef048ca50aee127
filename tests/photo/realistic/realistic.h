/*
 * realistic.h - the realistic photo set: photographs rendered the way a
 * phone photographs a candidate, from the kit's real faces, each with what
 * it truly shows (the labels a reviewer would give), so the photo rules and
 * the face finding can be measured on them.
 *
 * An item is (family, seed): the family says what kind of scene it is, the
 * seed draws every parameter of it (wall paint, white-balance drift,
 * exposure, vignetting, gradient, head shadow, pattern, framing, JPEG
 * quality...). tests/photo/realistic/manifest.tsv lists the items once, each
 * in the tuning or the held-out half; rendering an item is deterministic.
 *
 * Owns: struct rl_sources (the kit's pictures the faces come from), and the
 * encoded photo of struct rl_photo (free with rl_photo_free).
 */
#ifndef ZK_REALISTIC_H
#define ZK_REALISTIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a scene is. Photo families are candidates' uploads for a province's
 * registration photo; coverage families only measure face finding. */
enum rl_family {
    RL_SX_WHITE = 0, /* Shanxi: white or off-white wall (compliant) */
    RL_SX_GREY,      /* light grey wall (compliant) */
    RL_SX_LIGHTBLUE, /* light-blue backdrop or wall (compliant) */
    RL_SX_BLUE,      /* ID-photo blue backdrop (compliant) */
    RL_SX_DARK,      /* dark wall: background colour must fail */
    RL_SX_COLOURED,  /* strongly coloured wall: background colour must fail */
    RL_SX_PATTERN, /* an allowed colour with a pattern, objects or a border: uniformity must fail */
    RL_TJ_LIGHTBLUE, /* Tianjin 480x640: light-blue backdrop near the reference */
    RL_TJ_OFFBLUE,   /* light blue clearly off the reference (colour must fail) */
    RL_TJ_OTHER,     /* white, grey, dark or coloured (colour must fail) */
    RL_TJ_PATTERN,   /* reference light blue with a pattern (uniformity must fail) */
    RL_COV_WIDE,     /* a small face in a wide picture */
    RL_COV_MIRROR,   /* a face seen in a mirror */
    RL_COV_NONE,     /* no face at all */
    RL_FAMILIES
};

/* "sx_white", ...; rl_family_parse returns -1 for an unknown name. */
const char *rl_family_name(enum rl_family f);
int rl_family_parse(const char *name);
/* "shanxi", "tianjin", or NULL for coverage families. */
const char *rl_family_province(enum rl_family f);

/* The kit's pictures the faces are cut from. */
struct rl_sources;
/* Loads them from KIT/testdata/faces; returns NULL (with a reason in err) when missing. */
struct rl_sources *rl_sources_load(const char *kit, char *err, size_t errsz);
void rl_sources_free(struct rl_sources *s);

/* A rendered photo and the truth about it. */
struct rl_photo {
    void *data; /* encoded JPEG (g_malloc'ed) */
    size_t len;
    int width, height;
    int quality;
    bool has_face;                         /* a face is in the picture */
    double face_x, face_y, face_w, face_h; /* its box (brows to chin, jaw to jaw), px */
    /* Labels: -1 not judged (coverage families), 1 compliant, 0 not. */
    int colour_ok, uniform_ok;
    char what[160]; /* one line: the scene's parameters, for the report */
};

/* Renders item (family, seed). Returns 0, or -EINVAL for a bad family, -EIO
 * when libvips fails to encode. */
int rl_render(const struct rl_sources *src, enum rl_family family, uint32_t seed,
              struct rl_photo *out);
void rl_photo_free(struct rl_photo *p);

#endif
