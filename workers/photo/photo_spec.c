/*
 * photo_spec.c - loads photo specifications (per province profile and photo
 * kind) from INI text, see config/photo_specs.ini for the format. Owns the
 * parsing and validation of every key; the specs it builds are read-only
 * afterwards.
 *
 * Sections: [specs] (default_profile), [palette] (id = 名称 R,G,B: the
 * colours a background can be named by), [defaults] (keys every spec starts
 * from) and [PROFILE.KIND] (one spec; "inherit = PROFILE.KIND" as its first
 * key copies an earlier spec). Ranges are "LO..HI", "LO..", "..HI", "V"
 * (exact), "V +- TOL" or "none"; sizes accept K and M (1024-based).
 */
#include "alloc.h"
#include "photo_internal.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct spec_ctx {
    struct photo_specs *specs;
    struct photo_spec defaults;
    char section[2 * PHOTO_NAME_MAX + 2];
    struct photo_spec *cur; /* spec being filled, or NULL */
    int keys_in_section;
    char err[256];
};

static void spec_init_builtin(struct photo_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->formats = 1u << PHOTO_FMT_JPEG | 1u << PHOTO_FMT_PNG;
    s->max_pixels = 40000000;
    s->analysis_pixels = 1200000;
    s->card_margin = 2;
    s->card_min_area = 0.2;
    s->background_metric = PHOTO_METRIC_CIE76;
    s->background_lightness_weight = 1;
}

/* Parses a number with an optional K/M suffix; 0 or -EINVAL. */
static int parse_number(const char *s, const char *end, double *out)
{
    char buf[64];
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *e;
    double v = strtod(buf, &e);
    if (e == buf || !isfinite(v))
        return -EINVAL;
    if (*e == 'K' || *e == 'k') {
        v *= 1024;
        e++;
    } else if (*e == 'M' || *e == 'm') {
        v *= 1024 * 1024;
        e++;
    }
    if (*e == 'B' || *e == 'b')
        e++;
    if (*e != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_range(const char *v, struct photo_range *r)
{
    memset(r, 0, sizeof(*r));
    if (strcasecmp(v, "none") == 0)
        return 0;
    const char *dots = strstr(v, "..");
    const char *pm = strstr(v, "+-");
    const char *end = v + strlen(v);
    if (dots != NULL) {
        if (dots > v && strspn(v, " \t") < (size_t)(dots - v)) {
            if (parse_number(v, dots, &r->lo) < 0)
                return -EINVAL;
            r->has_lo = true;
        }
        if (dots + 2 < end && strspn(dots + 2, " \t") < strlen(dots + 2)) {
            if (parse_number(dots + 2, end, &r->hi) < 0)
                return -EINVAL;
            r->has_hi = true;
        }
        if (!r->has_lo && !r->has_hi)
            return -EINVAL;
    } else if (pm != NULL) {
        double c, t;
        if (parse_number(v, pm, &c) < 0 || parse_number(pm + 2, end, &t) < 0 || t < 0)
            return -EINVAL;
        *r = photo_range_make(c - t, c + t);
    } else {
        double c;
        if (parse_number(v, end, &c) < 0)
            return -EINVAL;
        *r = photo_range_make(c, c);
    }
    if (r->has_lo && r->has_hi && r->lo > r->hi)
        return -EINVAL;
    return 0;
}

static int parse_double(const char *v, double lo, double hi, double *out)
{
    double d;
    if (parse_number(v, v + strlen(v), &d) < 0 || d < lo || d > hi)
        return -EINVAL;
    *out = d;
    return 0;
}

static bool parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

static int parse_formats(const char *v, unsigned *out)
{
    unsigned f = 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", v);
    for (char *save, *tok = strtok_r(buf, " ,\t", &save); tok;
         tok = strtok_r(NULL, " ,\t", &save)) {
        if (strcasecmp(tok, "jpeg") == 0 || strcasecmp(tok, "jpg") == 0)
            f |= 1u << PHOTO_FMT_JPEG;
        else if (strcasecmp(tok, "png") == 0)
            f |= 1u << PHOTO_FMT_PNG;
        else
            return -EINVAL; /* only JPEG and PNG can ever be decoded */
    }
    if (f == 0)
        return -EINVAL;
    *out = f;
    return 0;
}

static int parse_palette_entry(struct spec_ctx *c, const char *id, const char *v)
{
    struct photo_specs *sp = c->specs;
    if (sp->npalette >= PHOTO_PALETTE_MAX) {
        snprintf(c->err, sizeof(c->err), "too many palette colours (max %d)", PHOTO_PALETTE_MAX);
        return -EINVAL;
    }
    struct photo_colour *col = &sp->palette[sp->npalette];
    memset(col, 0, sizeof(*col));
    int r, g, b, used = 0;
    char name[PHOTO_NAME_MAX];
    if (strlen(id) >= sizeof(col->id) ||
        sscanf(v, "%31s %d , %d , %d %n", name, &r, &g, &b, &used) != 4 || v[used] != '\0' ||
        r < 0 || r > 255 || g < 0 || g > 255 || b < 0 || b > 255) {
        snprintf(c->err, sizeof(c->err), "palette %s: expected 'NAME R,G,B'", id);
        return -EINVAL;
    }
    snprintf(col->id, sizeof(col->id), "%s", id);
    snprintf(col->name, sizeof(col->name), "%s", name);
    col->rgb[0] = (uint8_t)r;
    col->rgb[1] = (uint8_t)g;
    col->rgb[2] = (uint8_t)b;
    photo_srgb_to_lab(col->rgb, col->lab);
    sp->npalette++;
    return 0;
}

static int parse_colours(struct spec_ctx *c, const char *v, struct photo_spec *s)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", v);
    s->ncolours = 0;
    if (strcasecmp(v, "none") == 0)
        return 0;
    for (char *save, *tok = strtok_r(buf, " ,\t", &save); tok;
         tok = strtok_r(NULL, " ,\t", &save)) {
        const struct photo_colour *found = NULL;
        for (int i = 0; i < c->specs->npalette; i++)
            if (strcmp(c->specs->palette[i].id, tok) == 0)
                found = &c->specs->palette[i];
        if (found == NULL) {
            snprintf(c->err, sizeof(c->err), "background: '%s' is not in [palette]", tok);
            return -EINVAL;
        }
        if (s->ncolours >= PHOTO_MAX_COLOURS) {
            snprintf(c->err, sizeof(c->err), "background: at most %d colours", PHOTO_MAX_COLOURS);
            return -EINVAL;
        }
        s->colours[s->ncolours++] = *found;
    }
    return 0;
}

static struct photo_spec *spec_lookup(struct photo_specs *sp, const char *profile, const char *kind)
{
    for (int i = 0; i < sp->nspecs; i++)
        if (strcmp(sp->specs[i].profile, profile) == 0 && strcmp(sp->specs[i].kind, kind) == 0)
            return &sp->specs[i];
    return NULL;
}

/* Starts the spec of section "PROFILE.KIND" from the defaults. */
static int spec_begin(struct spec_ctx *c, const char *section)
{
    const char *dot = strchr(section, '.');
    if (dot == NULL || dot == section || dot[1] == '\0' || strchr(dot + 1, '.') != NULL ||
        (size_t)(dot - section) >= PHOTO_NAME_MAX || strlen(dot + 1) >= PHOTO_NAME_MAX) {
        snprintf(c->err, sizeof(c->err), "section [%s]: expected [PROFILE.KIND]", section);
        return -EINVAL;
    }
    char profile[PHOTO_NAME_MAX], kind[PHOTO_NAME_MAX];
    snprintf(profile, sizeof(profile), "%.*s", (int)(dot - section), section);
    snprintf(kind, sizeof(kind), "%s", dot + 1);
    if (spec_lookup(c->specs, profile, kind) != NULL) {
        snprintf(c->err, sizeof(c->err), "section [%s] defined twice", section);
        return -EINVAL;
    }
    struct photo_specs *sp = c->specs;
    sp->specs = zk_realloc(sp->specs, (size_t)(sp->nspecs + 1) * sizeof(*sp->specs));
    c->cur = &sp->specs[sp->nspecs++];
    *c->cur = c->defaults;
    snprintf(c->cur->profile, sizeof(c->cur->profile), "%s", profile);
    snprintf(c->cur->kind, sizeof(c->cur->kind), "%s", kind);
    return 0;
}

/* Sets one key of a spec (or of the defaults). */
static int spec_set(struct spec_ctx *c, struct photo_spec *s, const char *key, const char *v)
{
    struct {
        const char *key;
        struct photo_range *r;
    } ranges[] = {
        {"bytes", &s->bytes},
        {"width", &s->width},
        {"height", &s->height},
        {"long_side", &s->long_side},
        {"short_side", &s->short_side},
        {"aspect", &s->aspect},
        {"head_top", &s->head_top},
        {"eye_line", &s->eye_line},
        {"face_width", &s->face_width},
        {"faces", &s->faces},
        {"card_aspect", &s->card_aspect},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (strcmp(key, ranges[i].key) != 0)
            continue;
        if (parse_range(v, ranges[i].r) < 0) {
            snprintf(c->err, sizeof(c->err), "%s: '%s' is not a range (LO..HI, V, V +- T, none)",
                     key, v);
            return -EINVAL;
        }
        return 0;
    }
    struct {
        const char *key;
        double *d;
        double lo, hi;
    } numbers[] = {
        {"background_delta_e", &s->background_delta_e, 0, 200},
        {"background_rms", &s->background_rms, 0, 200},
        {"background_pattern", &s->background_pattern, 0, 200},
        {"background_lightness_weight", &s->background_lightness_weight, 0.5, 4},
        {"sharpness_min", &s->sharpness_min, 0, 1e6},
        {"clipped_max", &s->clipped_max, 0, 1},
        {"centre_max", &s->centre_max, 0, 1},
        {"symmetry_max", &s->symmetry_max, 0, 1},
        {"card_min_area", &s->card_min_area, 0, 1},
    };
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        if (strcmp(key, numbers[i].key) != 0)
            continue;
        if (parse_double(v, numbers[i].lo, numbers[i].hi, numbers[i].d) < 0) {
            snprintf(c->err, sizeof(c->err), "%s: '%s' is not a number in %g..%g", key, v,
                     numbers[i].lo, numbers[i].hi);
            return -EINVAL;
        }
        return 0;
    }
    double d;
    if (strcmp(key, "title") == 0) {
        if (strlen(v) >= sizeof(s->title)) {
            snprintf(c->err, sizeof(c->err), "title too long");
            return -EINVAL;
        }
        snprintf(s->title, sizeof(s->title), "%s", v);
    } else if (strcmp(key, "formats") == 0) {
        if (parse_formats(v, &s->formats) < 0) {
            snprintf(c->err, sizeof(c->err), "formats: '%s': only jpeg and png can be accepted", v);
            return -EINVAL;
        }
    } else if (strcmp(key, "orientation") == 0) {
        if (strcmp(v, "portrait") == 0)
            s->orientation = PHOTO_ORIENT_PORTRAIT;
        else if (strcmp(v, "landscape") == 0)
            s->orientation = PHOTO_ORIENT_LANDSCAPE;
        else if (strcmp(v, "any") == 0)
            s->orientation = PHOTO_ORIENT_ANY;
        else {
            snprintf(c->err, sizeof(c->err), "orientation: portrait, landscape or any");
            return -EINVAL;
        }
    } else if (strcmp(key, "background") == 0) {
        return parse_colours(c, v, s);
    } else if (strcmp(key, "max_pixels") == 0) {
        if (parse_double(v, 1, 1e9, &d) < 0) {
            snprintf(c->err, sizeof(c->err), "max_pixels: 1..1000000000");
            return -EINVAL;
        }
        s->max_pixels = (long long)d;
    } else if (strcmp(key, "analysis_pixels") == 0) {
        if (parse_double(v, 10000, 1e8, &d) < 0) {
            snprintf(c->err, sizeof(c->err), "analysis_pixels: 10000..100000000");
            return -EINVAL;
        }
        s->analysis_pixels = (int)d;
    } else if (strcmp(key, "card_margin") == 0) {
        if (parse_double(v, 0, 10000, &d) < 0) {
            snprintf(c->err, sizeof(c->err), "card_margin: 0..10000 px");
            return -EINVAL;
        }
        s->card_margin = (int)d;
    } else if (strcmp(key, "card") == 0) {
        if (!parse_bool(v, &s->card)) {
            snprintf(c->err, sizeof(c->err), "card: yes or no");
            return -EINVAL;
        }
    } else if (strcmp(key, "background_shading") == 0) {
        if (!parse_bool(v, &s->background_shading)) {
            snprintf(c->err, sizeof(c->err), "background_shading: yes or no");
            return -EINVAL;
        }
    } else if (strcmp(key, "background_metric") == 0) {
        if (strcmp(v, "cie76") == 0)
            s->background_metric = PHOTO_METRIC_CIE76;
        else if (strcmp(v, "ciede2000") == 0)
            s->background_metric = PHOTO_METRIC_CIEDE2000;
        else {
            snprintf(c->err, sizeof(c->err), "background_metric: cie76 or ciede2000");
            return -EINVAL;
        }
    } else {
        snprintf(c->err, sizeof(c->err), "unknown key '%s'", key);
        return -EINVAL;
    }
    return 0;
}

static int spec_handler(void *user, const char *section, const char *key, const char *value)
{
    struct spec_ctx *c = user;
    if (c->err[0] != '\0')
        return 0; /* report the first error only */
    if (strcmp(c->section, section) != 0) {
        snprintf(c->section, sizeof(c->section), "%s", section);
        c->cur = NULL;
        c->keys_in_section = 0;
    }
    c->keys_in_section++;
    int rc = 0;
    if (strcmp(section, "specs") == 0) {
        if (strcmp(key, "default_profile") == 0 && strlen(value) < PHOTO_NAME_MAX)
            snprintf(c->specs->default_profile, PHOTO_NAME_MAX, "%s", value);
        else {
            snprintf(c->err, sizeof(c->err), "[specs] knows only default_profile");
            rc = -EINVAL;
        }
    } else if (strcmp(section, "palette") == 0) {
        rc = parse_palette_entry(c, key, value);
    } else if (strcmp(section, "defaults") == 0) {
        rc = spec_set(c, &c->defaults, key, value);
    } else {
        if (c->cur == NULL && (rc = spec_begin(c, section)) < 0)
            return 0;
        if (strcmp(key, "inherit") == 0) {
            const char *dot = strchr(value, '.');
            struct photo_spec *base = NULL;
            if (dot != NULL && (size_t)(dot - value) < PHOTO_NAME_MAX) {
                char profile[PHOTO_NAME_MAX];
                snprintf(profile, sizeof(profile), "%.*s", (int)(dot - value), value);
                base = spec_lookup(c->specs, profile, dot + 1);
            }
            if (base == NULL || c->keys_in_section != 1) {
                snprintf(c->err, sizeof(c->err),
                         "inherit: '%s' must name an earlier [PROFILE.KIND] and come first", value);
                return 0;
            }
            struct photo_spec copy = *base;
            memcpy(copy.profile, c->cur->profile, sizeof(copy.profile));
            memcpy(copy.kind, c->cur->kind, sizeof(copy.kind));
            *c->cur = copy;
        } else {
            rc = spec_set(c, c->cur, key, value);
        }
    }
    if (rc < 0 && c->err[0] == '\0')
        snprintf(c->err, sizeof(c->err), "%s: invalid value", key);
    return rc < 0 ? 0 : 1;
}

static int spec_finish(struct photo_specs *sp, int line, struct spec_ctx *c, const char *name,
                       char *err, size_t errsz)
{
    if (line != 0 || c->err[0] != '\0') {
        if (line > 0)
            snprintf(err, errsz, "%s:%d: %s", name, line, c->err[0] ? c->err : "syntax error");
        else
            snprintf(err, errsz, "%s: %s", name, c->err[0] ? c->err : "cannot read");
        photo_specs_free(sp);
        return -EINVAL;
    }
    if (sp->nspecs == 0) {
        snprintf(err, errsz, "%s: no [PROFILE.KIND] sections", name);
        photo_specs_free(sp);
        return -EINVAL;
    }
    if (sp->default_profile[0] == '\0')
        snprintf(sp->default_profile, sizeof(sp->default_profile), "%s", sp->specs[0].profile);
    return 0;
}

int photo_specs_load_string(struct photo_specs *specs, const char *text, char *err, size_t errsz)
{
    memset(specs, 0, sizeof(*specs));
    struct spec_ctx c = {.specs = specs};
    spec_init_builtin(&c.defaults);
    int line = ini_parse_string(text, spec_handler, &c);
    return spec_finish(specs, line, &c, "photo specs", err, errsz);
}

int photo_specs_load_file(struct photo_specs *specs, const char *path, char *err, size_t errsz)
{
    memset(specs, 0, sizeof(*specs));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errsz, "%s: %s", path, strerror(e));
        return -e;
    }
    struct spec_ctx c = {.specs = specs};
    spec_init_builtin(&c.defaults);
    int line = ini_parse_file(f, spec_handler, &c);
    fclose(f);
    return spec_finish(specs, line, &c, path, err, errsz);
}

extern const unsigned char zikao_photo_specs_ini[];

int photo_specs_load_builtin(struct photo_specs *specs, char *err, size_t errsz)
{
    return photo_specs_load_string(specs, (const char *)zikao_photo_specs_ini, err, errsz);
}

void photo_specs_free(struct photo_specs *specs)
{
    free(specs->specs);
    memset(specs, 0, sizeof(*specs));
}

const struct photo_spec *photo_spec_find(const struct photo_specs *specs, const char *profile,
                                         const char *kind)
{
    if (profile == NULL || profile[0] == '\0')
        profile = specs->default_profile;
    for (int i = 0; i < specs->nspecs; i++)
        if (strcmp(specs->specs[i].profile, profile) == 0 &&
            strcmp(specs->specs[i].kind, kind) == 0)
            return &specs->specs[i];
    return NULL;
}
