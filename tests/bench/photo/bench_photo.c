/*
 * bench_photo.c - per-photo latency of the photo engine's non-face rules
 * (format, size, decode, rotation, dimensions, orientation, background
 * colour and uniformity, sharpness, exposure; the face rules only report
 * "pending") on one file, and for comparison the cost of decoding that
 * JPEG alone with libvips. Prints min / median / p95 / mean in ms.
 *
 * Usage: bench_photo FILE [ITERATIONS] [PROFILE KIND]
 */
#include "photo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n, double cpu)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += t[i];
    qsort(t, (size_t)n, sizeof(double), cmp);
    printf("%-34s min %6.3f  median %6.3f  p95 %6.3f  mean %6.3f ms wall, %6.3f ms CPU  (n=%d)\n",
           what, t[0], t[n / 2], t[n * 95 / 100], sum / n, cpu / n, n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_photo FILE [ITERATIONS] [PROFILE KIND]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 500;
    const char *profile = argc > 4 ? argv[3] : "tianjin",
               *kind = argc > 4 ? argv[4] : "registration";
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL || n < 1) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)len);
    if (fread(data, 1, (size_t)len, f) != (size_t)len)
        return 2;
    fclose(f);
    struct photo_specs specs;
    char err[256];
    if (photo_init(argv[0]) < 0 || photo_specs_load_builtin(&specs, err, sizeof(err)) < 0)
        return 1;
    const struct photo_spec *spec = photo_spec_find(&specs, profile, kind);
    if (spec == NULL)
        return 2;
    double *t = malloc(sizeof(double) * (size_t)n);
    struct photo_result *res = malloc(sizeof(*res));
    for (int i = 0; i < 20; i++) /* warm up */
        photo_check_buffer(spec, &specs, data, (size_t)len, NULL, res);
    double c0 = cpu_ms();
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        photo_check_buffer(spec, &specs, data, (size_t)len, NULL, res);
        t[i] = now_ms() - t0;
    }
    double cpu = cpu_ms() - c0;
    printf("%s (%ld bytes, %dx%d), %s.%s: status %s\n", argv[1], len, res->width, res->height,
           profile, kind, photo_verdict_name(res->status));
    report("zikao: all non-face rules", t, n, cpu);
    /* The decode alone, as the floor. */
    struct photo_probe probe;
    photo_probe(data, (size_t)len, &probe);
    c0 = cpu_ms();
    for (int i = 0; i < n; i++) {
        struct photo_image img;
        char why[256];
        double t0 = now_ms();
        if (photo_decode(spec, data, (size_t)len, &probe, &img, why, sizeof(why)) == 0)
            photo_image_free(&img);
        t[i] = now_ms() - t0;
    }
    report("libvips: JPEG decode only", t, n, cpu_ms() - c0);
    free(t);
    free(res);
    free(data);
    photo_specs_free(&specs);
    return 0;
}
