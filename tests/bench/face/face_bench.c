/*
 * face_bench.c - times the face engine's full pipeline per image (decode
 * excluded): detect at 416, 68 landmarks for every face, and the descriptor
 * of the largest face, as a worker computes them. Also dumps the decoded
 * pixels so the Node reference runs on exactly the same RGB values.
 * --detect-only times the detector alone: the tiny one at 416, or with
 * --ssd SSD MobileNet v1 (minConfidence 0.5), so the two can be compared.
 *
 * usage: face_bench [--repeat N] [--dump DIR] [--print] [--detect-only [--ssd]] MODELS_DIR IMAGE...
 * Prints one line per image (wall-clock mean and best, and the CPU time of
 * the calling thread, which the machine's other load does not inflate) and
 * a summary line "mean_ms=... per_image".
 */
#include "face.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* Writes DIR/<name>.rgb as "w h\n" followed by packed RGB. */
static int dump(const char *dir, const char *path, const struct face_image *img)
{
    char out[4096];
    snprintf(out, sizeof(out), "%s/%s.rgb", dir, base_name(path));
    FILE *f = fopen(out, "wb");
    if (f == NULL)
        return -errno;
    fprintf(f, "%d %d\n", img->width, img->height);
    fwrite(img->rgb, 3, (size_t)img->width * img->height, f);
    return fclose(f) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
    int repeat = 5, print = 0, detect_only = 0, ssd = 0, i = 1;
    const char *dump_dir = NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
            dump_dir = argv[++i];
        else if (strcmp(argv[i], "--print") == 0)
            print = 1;
        else if (strcmp(argv[i], "--detect-only") == 0)
            detect_only = 1;
        else if (strcmp(argv[i], "--ssd") == 0)
            ssd = 1;
        else
            break;
    }
    if (argc - i < 2 || repeat < 1) {
        fprintf(stderr, "usage: face_bench [--repeat N] [--dump DIR] [--print] [--detect-only "
                        "[--ssd]] MODELS IMAGE...\n");
        return 2;
    }
    char err[512];
    struct face_engine *eng;
    double t_load = now_ms();
    if (face_engine_load(argv[i], &eng, err, sizeof(err)) < 0) {
        fprintf(stderr, "face_bench: %s\n", err);
        return 1;
    }
    t_load = now_ms() - t_load;
    printf("engine %s loaded in %.1f ms\n", face_engine_version(eng), t_load);
    double total = 0, total_cpu = 0;
    int runs = 0;
    for (int k = i + 1; k < argc; k++) {
        struct face_image img;
        int rc = face_image_load(argv[k], &img);
        if (rc < 0) {
            fprintf(stderr, "face_bench: %s: %s\n", argv[k], strerror(-rc));
            return 1;
        }
        if (dump_dir != NULL && dump(dump_dir, argv[k], &img) < 0) {
            fprintf(stderr, "face_bench: cannot dump %s\n", argv[k]);
            return 1;
        }
        struct face_info faces[32];
        struct face_detection dets[32];
        float desc[FACE_DESCRIPTOR];
        int n = 0;
        double best = 1e9, sum = 0, cpu = 0;
        /* One untimed warm-up run, then `repeat` timed ones. */
        for (int r = -1; r < repeat; r++) {
            double t0 = now_ms(), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            if (detect_only) {
                n = ssd ? face_detect_ssd(eng, &img, 0.5f, dets, 32)
                        : face_detect(eng, &img, dets, 32);
                if (n < 0) {
                    fprintf(stderr, "face_bench: %s: detector error %d\n", argv[k], n);
                    return 1;
                }
                for (int d = 0; d < n && d < 32; d++)
                    faces[d].det = dets[d];
            } else {
                n = face_analyze(eng, &img, faces, 32);
            }
            if (n > 0 && !detect_only) {
                struct face_box box = face_aligned_box(faces[0].landmarks, img.width, img.height);
                face_descriptor(eng, &img, &box, desc);
            }
            double dt = now_ms() - t0;
            if (r >= 0) {
                cpu += clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
                sum += dt;
                best = dt < best ? dt : best;
            }
        }
        printf("%-24s %4dx%-4d faces=%d mean_ms=%.2f best_ms=%.2f cpu_ms=%.2f\n",
               base_name(argv[k]), img.width, img.height, n, sum / repeat, best, cpu / repeat);
        if (print && n > 0 && detect_only) {
            for (int d = 0; d < n && d < 32; d++)
                printf("  box %.3f %.3f %.3f %.3f score %.5f\n", faces[d].det.box.x,
                       faces[d].det.box.y, faces[d].det.box.width, faces[d].det.box.height,
                       faces[d].det.score);
        } else if (print && n > 0) {
            printf("  box %.2f %.2f %.2f %.2f score %.4f desc[0..3] %.5f %.5f %.5f %.5f\n",
                   faces[0].det.box.x, faces[0].det.box.y, faces[0].det.box.width,
                   faces[0].det.box.height, faces[0].det.score, desc[0], desc[1], desc[2], desc[3]);
        }
        total += sum;
        total_cpu += cpu;
        runs += repeat;
        face_image_free(&img);
    }
    printf("summary images=%d runs=%d mean_ms=%.2f cpu_ms=%.2f per_image\n", argc - i - 1, runs,
           total / runs, total_cpu / runs);
    face_engine_free(eng);
    return 0;
}
