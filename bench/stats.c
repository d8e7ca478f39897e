/* bench/stats.c — exact pause statistics (see bench/stats.h). */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcbench.h"

uint64_t gcb_percentile(const uint64_t *sorted, size_t n, uint32_t ppm)
{
    if (n == 0)
        return 0;
    if (ppm > GCB_PPM_ONE)
        ppm = GCB_PPM_ONE;
    /* rank = ceil(ppm * n / 1e6), at least 1; exact in 64 bits for any n
     * below 2^44 pauses. */
    uint64_t rank = ((uint64_t)ppm * n + GCB_PPM_ONE - 1) / GCB_PPM_ONE;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

static int gcb_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void gcb_sort_u64(uint64_t *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, gcb_cmp_u64);
}

gcb_dist gcb_dist_of_sorted(const uint64_t *sorted, size_t n)
{
    gcb_dist d;
    memset(&d, 0, sizeof d);
    d.count = n;
    if (n == 0)
        return d;
    for (size_t i = 0; i < n; i++)
        d.total += sorted[i];
    d.min = sorted[0];
    d.max = sorted[n - 1];
    d.p50 = gcb_percentile(sorted, n, GCB_PPM(50));
    d.p90 = gcb_percentile(sorted, n, GCB_PPM(90));
    d.p99 = gcb_percentile(sorted, n, GCB_PPM(99));
    d.p999 = gcb_percentile(sorted, n, GCB_PPM(99.9));
    return d;
}

/* malloc that ends gcbench on failure (statistics cannot be skipped). */
static void *gcb_xmalloc(size_t n, const char *what)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "gcbench: out of memory for %s\n", what);
        exit(GCB_EXIT_ERROR);
    }
    return p;
}

gcb_dist gcb_dist_of(const uint64_t *values, size_t n)
{
    if (n == 0)
        return gcb_dist_of_sorted(NULL, 0);
    uint64_t *copy = gcb_xmalloc(n * sizeof *copy, "sorting pause durations");
    memcpy(copy, values, n * sizeof *copy);
    gcb_sort_u64(copy, n);
    gcb_dist d = gcb_dist_of_sorted(copy, n);
    free(copy);
    return d;
}

gc_pause *gcb_pauses_rebase(const gc_pause *pauses, size_t n, uint64_t origin_ns)
{
    if (n == 0)
        return NULL;
    gc_pause *copy = gcb_xmalloc(n * sizeof *copy, "the pause log");
    memcpy(copy, pauses, n * sizeof *copy);
    for (size_t i = 0; i < n; i++)
        copy[i].start_ns = copy[i].start_ns > origin_ns ? copy[i].start_ns - origin_ns : 0;
    return copy;
}

int gcb_kinds_occurred(const gcb_run_stats *s)
{
    int k = 0;
    for (int i = 0; i < GC_PAUSE_KIND_COUNT; i++)
        k += s->pauses_by_kind[i].count > 0;
    return k;
}

/* The pause distributions: overall and per kind. `buf` holds n values. */
static void gcb_pause_dists(const gc_pause *p, size_t n, uint64_t *buf, gcb_run_stats *out)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = p[i].duration_ns;
    gcb_sort_u64(buf, n);
    out->pauses = gcb_dist_of_sorted(buf, n);
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i].kind == (gc_pause_kind)k)
                buf[m++] = p[i].duration_ns;
        gcb_sort_u64(buf, m);
        out->pauses_by_kind[k] = gcb_dist_of_sorted(buf, m);
    }
}

void gcb_tts_stats_compute(const gc_pause *pauses, size_t n, gcb_tts_stats *out)
{
    memset(out, 0, sizeof *out);
    uint64_t *buf = gcb_xmalloc(n * sizeof *buf, "time-to-safepoint figures");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (pauses[i].mutators > 1)
            buf[m++] = pauses[i].tts_ns;
    out->waited = m;
    if (m > 0) { /* else every figure stays 0 (absent: no pause waited) */
        gcb_sort_u64(buf, m);
        out->dist = gcb_dist_of_sorted(buf, m);
        out->mean = out->dist.total / m;
    }
    free(buf);
}

/* MMU curve with the pauses as GC intervals inside [0, wall_ns]. */
static void gcb_pause_mmu(const gc_pause *p, size_t n, uint64_t wall_ns, gcb_run_stats *out)
{
    gcb_interval *iv = gcb_xmalloc(n * sizeof *iv, "the MMU intervals");
    for (size_t i = 0; i < n; i++) {
        iv[i].start = p[i].start_ns;
        iv[i].end = p[i].start_ns + p[i].duration_ns;
    }
    gcb_mmu m;
    if (gcb_mmu_init(&m, iv, n, wall_ns) != 0) {
        fprintf(stderr, "gcbench: out of memory for the MMU\n");
        exit(GCB_EXIT_ERROR);
    }
    out->nmmu = gcb_mmu_curve(&m, out->mmu);
    gcb_mmu_fini(&m);
    free(iv);
}

void gcb_run_stats_compute(const gc_heap_stats *st, uint64_t wall_ns, gcb_run_stats *out)
{
    memset(out, 0, sizeof *out);

    uint64_t *buf = gcb_xmalloc(st->npauses * sizeof *buf, "pause durations");
    gcb_pause_dists(st->pauses, st->npauses, buf, out);
    free(buf);
    gcb_pause_mmu(st->pauses, st->npauses, wall_ns, out);

    out->wall_ns = wall_ns;
    out->gc_ns = out->pauses.total;
    out->verify_ns = st->verify_ns;
    out->mutator_ns = wall_ns > out->gc_ns + out->verify_ns ? wall_ns - out->gc_ns - out->verify_ns : 0;
    out->gc_share = wall_ns > 0 ? (double)out->gc_ns / (double)wall_ns : 0.0;
    if (out->gc_share > 1.0)
        out->gc_share = 1.0;

    out->allocated_bytes = st->allocated_bytes;
    out->allocated_objects = st->allocated_objects;
    if (wall_ns > 0) {
        double secs = (double)wall_ns / 1e9;
        out->alloc_bytes_per_s = (double)st->allocated_bytes / secs;
        out->alloc_objects_per_s = (double)st->allocated_objects / secs;
    }
    out->ns_per_alloc =
        st->allocated_objects > 0 ? (double)wall_ns / (double)st->allocated_objects : 0.0;
    out->peak_heap_bytes = st->peak_heap_bytes;
    out->heap_limit = st->heap_limit;
    out->collections = st->collections;
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++)
        out->collections_by_kind[k] = st->collections_by_kind[k];
    for (size_t i = 0; i < st->npauses; i++) {
        for (unsigned ph = 0; ph < GC_MAX_PHASES; ph++)
            out->phase_total_ns[ph] += st->pauses[i].phase_ns[ph];
        out->other_total_ns += st->pauses[i].other_ns;
    }
    gcb_tts_stats_compute(st->pauses, st->npauses, &out->tts);
}

void gcb_phases_of_heap(const gc_heap *h, gcb_phases *out)
{
    memset(out, 0, sizeof *out);
    unsigned n = gc_heap_nphases(h);
    if (n > GC_MAX_PHASES)
        n = GC_MAX_PHASES;
    for (unsigned i = 0; i < n; i++)
        out->names[i] = gc_heap_phase_name(h, i);
    out->n = n;
}
