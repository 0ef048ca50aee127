/*
 * doc_bench.c - in-process cost of the `pdf` queue's render step for a
 * payment receipt: the input JSON (as document_input() gives it) through
 * the receipt's loader and zikao_pdf, N times in one thread. Prints the
 * cold first render, then wall and thread-CPU milliseconds per render
 * (median, p90) and renders per second; writes the last PDF to -o FILE.
 *
 * usage: doc_bench [-n N] [-o FILE]       (run pinned: taskset -c 0 doc_bench)
 */
#include "doc_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = 200;
    const char *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else {
            fprintf(stderr, "usage: %s [-n N] [-o FILE]\n", argv[0]);
            return 2;
        }
    }
    if (n < 1)
        n = 1;
    json_t *in = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s, s:I, s:I, s:I, "
                           "s:{s:i, s:s, s:s, s:n}}",
                           "order_no", "ZK20261123AGR3BNRFH0VWN3BK", "candidate_id", (json_int_t)7,
                           "purpose", "毕业申请费", "payer_name", "欧阳明华", "id_number",
                           "140105199003071016", "exam_id", "010518000777", "amount_fen",
                           (json_int_t)5000, "refundable", 0, "provider", "wechat",
                           "provider_trade_no", "4200002026112312345678901234", "created_at",
                           (json_int_t)1795400715, "paid_at", (json_int_t)1795401015, "serial",
                           (json_int_t)42, "meta", "version", DOC_TEMPLATE_VERSION, "office_name",
                           "山西省招生考试管理中心", "province", "山西省", "font");
    struct pdf_output out;
    double t0 = now_ms(CLOCK_MONOTONIC);
    if (doc_render(DOC_RECEIPT, in, &out) < 0) {
        fprintf(stderr, "render failed: %s\n", out.error);
        return 1;
    }
    double cold = now_ms(CLOCK_MONOTONIC) - t0;
    size_t bytes = out.len;
    pdf_output_free(&out);

    double *wall = calloc((size_t)n, sizeof(double)), *cpu = calloc((size_t)n, sizeof(double));
    double start = now_ms(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        if (doc_render(DOC_RECEIPT, in, &out) < 0) {
            fprintf(stderr, "render failed: %s\n", out.error);
            return 1;
        }
        cpu[i] = now_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
        wall[i] = now_ms(CLOCK_MONOTONIC) - w0;
        if (i == n - 1 && out_path != NULL) {
            FILE *f = fopen(out_path, "wb");
            if (f != NULL) {
                fwrite(out.data, 1, out.len, f);
                fclose(f);
            }
        }
        pdf_output_free(&out);
    }
    double total = now_ms(CLOCK_MONOTONIC) - start;
    qsort(wall, (size_t)n, sizeof(double), cmp_double);
    qsort(cpu, (size_t)n, sizeof(double), cmp_double);
    int p90 = (int)(0.9 * (n - 1) + 0.5);
    printf("receipt: %zu bytes, cold_ms=%.1f\n", bytes, cold);
    printf("wall ms: median=%.2f p90=%.2f\n", wall[n / 2], wall[p90]);
    printf("cpu  ms: median=%.2f p90=%.2f\n", cpu[n / 2], cpu[p90]);
    printf("renders/s (one thread): %.0f over %d renders\n", n / (total / 1e3), n);
    free(wall);
    free(cpu);
    json_decref(in);
    return 0;
}
