/*
 * ctl_photo.c - "zikaoctl photo check": runs the photo rules outside the
 * queue, for operators and tests, and prints one JSON line per file (every
 * rule's verdict, value, range and message). Optionally reads the face
 * engine's landmarks from a JSON file and writes the annotated preview PNG.
 *
 * Exit status: 0 when no photo failed a rule (pending rules allowed), 1
 * when one did, 2 on usage or I/O errors.
 */
#include "alloc.h"
#include "ctl.h"
#include "photo.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CTL_PHOTO_MAX_FILE (64L * 1024 * 1024)

static void ctl_photo_usage(FILE *out)
{
    fprintf(out, "usage: zikaoctl photo check --kind KIND [--profile PROVINCE] [--specs FILE]\n"
                 "                            [--landmarks JSON] [--faces N] [--preview OUT.png]\n"
                 "                            FILE...\n"
                 "       zikaoctl photo kinds [--specs FILE]\n");
}

/* Reads a whole file of at most CTL_PHOTO_MAX_FILE bytes; 0 or -errno. */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    struct stat st;
    int rc = 0;
    *data = NULL;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto out;
    }
    if (st.st_size > CTL_PHOTO_MAX_FILE) {
        rc = -EFBIG;
        goto out;
    }
    *len = (size_t)st.st_size;
    *data = zk_malloc(*len > 0 ? *len : 1);
    if (fread(*data, 1, *len, f) != *len) {
        free(*data);
        *data = NULL;
        rc = -EIO;
    }
out:
    fclose(f);
    return rc;
}

static int load_specs(struct photo_specs *specs, const char *path)
{
    char err[512];
    int rc = path != NULL ? photo_specs_load_file(specs, path, err, sizeof(err))
                          : photo_specs_load_builtin(specs, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "zikaoctl photo: %s\n", err);
    return rc;
}

static int load_face(const char *path, int faces, struct photo_face *face)
{
    memset(face, 0, sizeof(*face));
    face->face_count = -1;
    if (path != NULL) {
        json_error_t jerr;
        json_t *j = json_load_file(path, 0, &jerr);
        if (j == NULL) {
            fprintf(stderr, "zikaoctl photo: %s:%d: %s\n", path, jerr.line, jerr.text);
            return -EINVAL;
        }
        int rc = photo_face_from_json(j, face);
        json_decref(j);
        if (rc < 0) {
            fprintf(stderr,
                    "zikaoctl photo: %s: expected {\"points\":[68 x [x,y]], \"box\":[x,y,w,h]}\n",
                    path);
            return rc;
        }
    }
    if (faces >= 0)
        face->face_count = faces;
    return 0;
}

static int photo_kinds(const char *specs_path)
{
    struct photo_specs specs;
    if (load_specs(&specs, specs_path) < 0)
        return 2;
    printf("default profile: %s\n", specs.default_profile);
    for (int i = 0; i < specs.nspecs; i++)
        printf("%-10s %-14s %s\n", specs.specs[i].profile, specs.specs[i].kind,
               specs.specs[i].title);
    photo_specs_free(&specs);
    return 0;
}

int ctl_photo(struct ctl *ctl, int argc, char **argv)
{
    (void)ctl;
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},  {"profile", required_argument, NULL, 'p'},
        {"specs", required_argument, NULL, 's'}, {"landmarks", required_argument, NULL, 'l'},
        {"faces", required_argument, NULL, 'f'}, {"preview", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    if (argc < 2) {
        ctl_photo_usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    const char *kind = NULL, *profile = NULL, *specs_path = NULL, *landmarks = NULL,
               *preview = NULL;
    int faces = -1, ch;
    optind = 2;
    while ((ch = getopt_long(argc, argv, "k:p:s:l:f:o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k':
            kind = optarg;
            break;
        case 'p':
            profile = optarg;
            break;
        case 's':
            specs_path = optarg;
            break;
        case 'l':
            landmarks = optarg;
            break;
        case 'f':
            faces = atoi(optarg);
            break;
        case 'o':
            preview = optarg;
            break;
        case 'h':
            ctl_photo_usage(stdout);
            return 0;
        default:
            ctl_photo_usage(stderr);
            return 2;
        }
    }
    if (strcmp(sub, "kinds") == 0)
        return photo_kinds(specs_path);
    if (strcmp(sub, "check") != 0 || kind == NULL || optind >= argc ||
        (preview != NULL && argc - optind != 1)) {
        ctl_photo_usage(stderr);
        return 2;
    }
    if (photo_init(argv[0]) < 0) {
        fprintf(stderr, "zikaoctl photo: libvips failed to start\n");
        return 2;
    }
    struct photo_specs specs;
    if (load_specs(&specs, specs_path) < 0)
        return 2;
    int status = 0;
    const struct photo_spec *spec = photo_spec_find(&specs, profile, kind);
    if (spec == NULL) {
        fprintf(stderr,
                "zikaoctl photo: no specification for kind '%s' in profile '%s' "
                "(see: zikaoctl photo kinds)\n",
                kind, profile ? profile : specs.default_profile);
        status = 2;
        goto out;
    }
    struct photo_face face;
    if (load_face(landmarks, faces, &face) < 0) {
        status = 2;
        goto out;
    }
    bool have_face = landmarks != NULL || faces >= 0;
    for (int i = optind; i < argc; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = read_file(argv[i], &data, &len);
        if (rc < 0) {
            json_t *e = json_pack("{s:s, s:s}", "file", argv[i], "error", strerror(-rc));
            char *line = json_dumps(e, JSON_COMPACT);
            printf("%s\n", line);
            free(line);
            json_decref(e);
            status = 2;
            continue;
        }
        struct photo_result *res = zk_malloc(sizeof(*res));
        photo_check_buffer(spec, &specs, data, len, have_face ? &face : NULL, res);
        json_t *j = photo_result_json(res);
        json_object_set_new(j, "file", json_string(argv[i]));
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", line);
        fflush(stdout);
        free(line);
        json_decref(j);
        if (res->status == PHOTO_FAILED && status == 0)
            status = 1;
        if (preview != NULL) {
            void *png;
            size_t pnglen;
            FILE *f = NULL;
            if (photo_preview_png(spec, data, len, res, &png, &pnglen) < 0) {
                fprintf(stderr, "zikaoctl photo: %s: cannot draw a preview (photo unreadable)\n",
                        argv[i]);
                status = 2;
            } else {
                f = fopen(preview, "wb");
                if (f == NULL || fwrite(png, 1, pnglen, f) != pnglen) {
                    fprintf(stderr, "zikaoctl photo: %s: %s\n", preview, strerror(errno));
                    status = 2;
                }
                if (f != NULL)
                    fclose(f);
                photo_free_buffer(png);
            }
        }
        free(res);
        free(data);
    }
out:
    photo_specs_free(&specs);
    return status;
}
