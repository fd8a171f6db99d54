/* Store benchmark: 10,000 Freight and 30,000 Promotions through store_apply, a relist, updates
 * and deletes, timed in blocks of 1,000 so a quadratic cost would show as later blocks growing.
 * It prints figures and checks the store's contents; it asserts nothing about time.
 * Usage: bench_model_store [freight-count] (default 10000; promotions are three times that). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/derive.h"
#include "model/store.h"
#include "util/xalloc.h"

#define BLOCK 1000

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Bytes the allocator has handed out and not had back. */
static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static cJSON *freight(int i, int minute, const char *stage)
{
    char *s = xasprintf(
        "{\"metadata\":{\"name\":\"%040x\",\"namespace\":\"bench\",\"creationTimestamp\":"
        "\"2026-01-01T00:00:00Z\"},\"alias\":\"alias-%d\",\"origin\":{\"kind\":\"Warehouse\","
        "\"name\":\"w%d\"},\"discoveredAt\":\"%04d-01-01T%02d:%02d:00Z\",\"images\":[{\"repoURL\":"
        "\"quay.io/x/svc%d\",\"tag\":\"1.%d.0\",\"digest\":\"sha256:%064x\"}],\"status\":{%s%s%s}}",
        (unsigned)i * 2654435761u, i, i % 8, 2000 + minute / 1440, (minute / 60) % 24, minute % 60,
        i % 8, i, (unsigned)i, stage ? "\"verifiedIn\":{\"" : "", stage ? stage : "",
        stage ? "\":{}}" : "");
    cJSON *j = cJSON_Parse(s);
    free(s);
    return j;
}

static cJSON *promotion(int i, const char *phase)
{
    char *s = xasprintf("{\"metadata\":{\"name\":\"s%d.01k%08d.abcdef0\"},\"spec\":{\"stage\":"
                        "\"s%d\",\"freight\":\"f\",\"steps\":[{\"uses\":\"git-clone\"},{\"uses\":"
                        "\"argocd-update\"}]},\"status\":{\"phase\":\"%s\"}}",
                        i % 12, i, i % 12, phase);
    cJSON *j = cJSON_Parse(s);
    free(s);
    return j;
}

/* Applies objs[i] for i in order[], printing µs per event for each block of 1,000. */
static double run(struct store *st, enum kargo_kind kind, enum store_event ev, cJSON **objs,
                  const int *order, int n, const char *label)
{
    double start = now_ms(), block = start, first = 0, last = 0;
    printf("%-34s", label);
    for (int i = 0; i < n; i++) {
        if (store_apply(st, kind, ev, objs[order ? order[i] : i], NULL) != 0) {
            fprintf(stderr, "%s: apply %d failed\n", label, i);
            exit(1);
        }
        if ((i + 1) % BLOCK == 0) {
            double t = now_ms();
            double us = (t - block) * 1000.0 / BLOCK;
            if (i + 1 == BLOCK)
                first = us;
            last = us;
            if (n <= 10 * BLOCK || (i + 1) % (n / 10) == 0)
                printf(" %.1f", us);
            block = t;
        }
    }
    double total = now_ms() - start;
    printf("  µs/event; total %.0f ms, last/first block %.2f\n", total,
           first > 0 ? last / first : 0);
    return total;
}

int main(int argc, char **argv)
{
    int nf = argc > 1 ? atoi(argv[1]) : 10000;
    if (nf < BLOCK)
        nf = BLOCK;
    int np = 3 * nf;
    size_t heap0 = heap_in_use();
    struct store *st = store_new("bench");
    cJSON **fr = xcalloc((size_t)nf, sizeof *fr);
    cJSON **fr2 = xcalloc((size_t)nf, sizeof *fr2);
    int *shuffled = xcalloc((size_t)nf, sizeof *shuffled);
    for (int i = 0; i < nf; i++) {
        fr[i] = freight(i, i, NULL);
        fr2[i] = freight(i, i, "dev"); /* the same Freight, verified in dev */
        shuffled[i] = i;
    }
    size_t input_f = heap_in_use() - heap0;
    srand(42);
    for (int i = nf - 1; i > 0; i--) {
        int j = rand() % (i + 1), t = shuffled[i];
        shuffled[i] = shuffled[j];
        shuffled[j] = t;
    }
    printf("store benchmark: %d Freight over 8 warehouses, %d Promotions over 12 Stages\n", nf, np);
    printf("(figures: µs per event in successive blocks; a flat row means no quadratic cost)\n");

    run(st, KARGO_FREIGHT, STORE_ADDED, fr, NULL, nf, "Freight ADDED, in time order");
    run(st, KARGO_FREIGHT, STORE_MODIFIED, fr2, shuffled, nf, "Freight MODIFIED, random");
    run(st, KARGO_FREIGHT, STORE_DELETED, fr, shuffled, nf, "Freight DELETED, random");
    run(st, KARGO_FREIGHT, STORE_ADDED, fr, shuffled, nf, "Freight ADDED, random order");

    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < nf; i++)
        cJSON_AddItemReferenceToArray(list, fr2[i]);
    double t0 = now_ms();
    store_replace(st, KARGO_FREIGHT, list, NULL);
    printf("%-34s total %.0f ms\n", "Freight relist (store_replace)", now_ms() - t0);
    cJSON_Delete(list);
    size_t heap_f = heap_in_use();

    cJSON **pr = xcalloc((size_t)np, sizeof *pr);
    for (int i = 0; i < np; i++)
        pr[i] = promotion(i, "Succeeded");
    size_t heap_p0 = heap_in_use();
    run(st, KARGO_PROMOTION, STORE_ADDED, pr, NULL, np, "Promotion ADDED, in ULID order");
    size_t heap_p = heap_in_use();

    cJSON *stage_json = cJSON_Parse(
        "{\"metadata\":{\"name\":\"s1\"},\"spec\":{\"requestedFreight\":[{\"origin\":{\"name\":"
        "\"w1\"},\"sources\":{\"stages\":[\"dev\"]}}]}}");
    store_apply(st, KARGO_STAGE, STORE_ADDED, stage_json, NULL);
    cJSON_Delete(stage_json);

    store_read_lock(st);
    const struct kargo_freight *const *v;
    size_t per_origin = store_freight_of_origin(st, "Warehouse/w1", &v);
    int ok = store_freight_count(st) == (size_t)nf && store_promotion_count(st) == (size_t)np &&
             per_origin == (size_t)(nf / 8 + (nf % 8 > 1));
    for (size_t i = 0; ok && i + 1 < per_origin; i++)
        ok = v[i]->discovered <= v[i + 1]->discovered;
    const struct kargo_promotion *const *pv;
    ok = ok && store_stage_promotions(st, "s1", &pv) == (size_t)(np / 12);
    t0 = now_ms();
    const struct kargo_stage *s1 = store_stage(st, "s1");
    const struct kargo_freight *cand = derive_auto_candidate(st, s1, "Warehouse/w1", 0);
    const struct kargo_promotion *active = derive_active_promotion(st, s1);
    double derive_ms = now_ms() - t0;
    ok = ok && cand != NULL && cand == v[per_origin - 1] && active == NULL;
    const struct kargo_freight *page[50];
    t0 = now_ms();
    size_t got = derive_freight_page(st, NULL, 0, false, 0, 50, page);
    double first_page_ms = now_ms() - t0;
    t0 = now_ms();
    size_t got_mid = derive_freight_page(st, NULL, 0, false, (size_t)nf / 2, 50, page);
    double mid_page_ms = now_ms() - t0;
    ok = ok && got == 50 && got_mid == 50;
    store_read_unlock(st);
    printf("%-34s %.3f ms (candidate of %zu Freight, active of %zu Promotions)\n",
           "derive candidate + active", derive_ms, per_origin, (size_t)(np / 12));
    printf("%-34s %.3f ms first page, %.3f ms at offset %d (50 per page, 8 origins)\n",
           "freight timeline page", first_page_ms, mid_page_ms, nf / 2);

    /* the input cJSON trees are alive throughout and are not the store's: subtract them */
    printf("%-34s %.0f bytes per Freight, %.0f bytes per Promotion (heap in use)\n", "store memory",
           (double)(heap_f - heap0 - input_f) / nf, (double)(heap_p - heap_p0) / np);
    for (int i = 0; i < nf; i++) {
        cJSON_Delete(fr[i]);
        cJSON_Delete(fr2[i]);
    }
    for (int i = 0; i < np; i++)
        cJSON_Delete(pr[i]);
    free(fr);
    free(fr2);
    free(pr);
    free(shuffled);
    store_free(st);
    printf("contents check: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
