/* bench/mmu.c — exact minimum mutator utilization (see bench/mmu.h). */
#include "mmu.h"

#include <stdlib.h>
#include <string.h>

static int gcb_interval_cmp(const void *a, const void *b)
{
    const gcb_interval *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->end > y->end) - (x->end < y->end);
}

int gcb_mmu_init(gcb_mmu *m, const gcb_interval *iv, size_t n, uint64_t span)
{
    memset(m, 0, sizeof *m);
    m->span = span;
    m->prefix = malloc((n + 1) * sizeof *m->prefix);
    m->iv = malloc((n ? n : 1) * sizeof *m->iv);
    if (m->prefix == NULL || m->iv == NULL) {
        gcb_mmu_fini(m);
        m->span = span;
        return -1;
    }
    if (n > 0)
        memcpy(m->iv, iv, n * sizeof *iv);
    qsort(m->iv, n, sizeof *m->iv, gcb_interval_cmp);

    /* Clip to [0, span], drop empty intervals, merge overlapping or
     * touching ones. Invariant after the loop: iv[0..k) sorted, disjoint,
     * non-empty, inside [0, span]. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = m->iv[i].start, e = m->iv[i].end;
        if (e > span)
            e = span;
        if (s >= e)
            continue;
        if (k > 0 && s <= m->iv[k - 1].end) {
            if (e > m->iv[k - 1].end)
                m->iv[k - 1].end = e;
            continue;
        }
        m->iv[k].start = s;
        m->iv[k].end = e;
        k++;
    }
    m->n = k;
    m->prefix[0] = 0;
    for (size_t i = 0; i < k; i++)
        m->prefix[i + 1] = m->prefix[i] + (m->iv[i].end - m->iv[i].start);
    return 0;
}

void gcb_mmu_fini(gcb_mmu *m)
{
    free(m->iv);
    free(m->prefix);
    memset(m, 0, sizeof *m);
}

uint64_t gcb_mmu_gc_total(const gcb_mmu *m)
{
    return m->prefix != NULL ? m->prefix[m->n] : 0;
}

/* G(x), the GC time in [0, x), for non-decreasing x: `k` only moves
 * forward, so a sweep over sorted queries costs O(n) in total.
 * Invariant: every interval before k ends at or before the last query. */
typedef struct gcb_gc_cursor {
    const gcb_mmu *m;
    size_t k;
} gcb_gc_cursor;

static uint64_t gcb_gc_before(gcb_gc_cursor *c, uint64_t x)
{
    const gcb_mmu *m = c->m;
    while (c->k < m->n && m->iv[c->k].end <= x)
        c->k++;
    uint64_t g = m->prefix[c->k];
    if (c->k < m->n && m->iv[c->k].start < x)
        g += x - m->iv[c->k].start;
    return g;
}

/* GC time in the window [t, t+w). */
static uint64_t gcb_gc_in(gcb_gc_cursor *lo, gcb_gc_cursor *hi, uint64_t t, uint64_t w)
{
    return gcb_gc_before(hi, t + w) - gcb_gc_before(lo, t);
}

double gcb_mmu_at(const gcb_mmu *m, uint64_t w)
{
    if (w > m->span)
        w = m->span;
    if (w == 0)
        return 1.0;
    const uint64_t last = m->span - w; /* the latest window start */

    /* Candidates (see bench/mmu.h): t = 0, every pause start (clamped to
     * last), and t = last, in non-decreasing order for the cursors. */
    gcb_gc_cursor lo = {m, 0}, hi = {m, 0};
    uint64_t worst = gcb_gc_in(&lo, &hi, 0, w);
    for (size_t i = 0; i < m->n && worst < w; i++) {
        uint64_t t = m->iv[i].start < last ? m->iv[i].start : last;
        uint64_t g = gcb_gc_in(&lo, &hi, t, w);
        if (g > worst)
            worst = g;
    }
    uint64_t g = gcb_gc_in(&lo, &hi, last, w);
    if (g > worst)
        worst = g;
    return (double)(w - worst) / (double)w;
}

size_t gcb_mmu_windows(uint64_t span, uint64_t out[GCB_MMU_MAX_POINTS])
{
    static const unsigned steps[] = {1, 2, 5};
    size_t n = 0;
    if (span == 0)
        return 0;
    /* 1-2-5 steps from 1 ms while below span; every value fits in 64 bits
     * below 2^64 ns, which bounds the count at 3 * 13 + 1 points. */
    for (uint64_t decade = GCB_MMU_MIN_WINDOW_NS;; decade *= 10) {
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            if (decade > UINT64_MAX / steps[i] || decade * steps[i] >= span)
                goto done;
            out[n++] = decade * steps[i];
        }
        if (decade > UINT64_MAX / 10)
            break;
    }
done:
    out[n++] = span;
    return n;
}

size_t gcb_mmu_curve(const gcb_mmu *m, gcb_mmu_point out[GCB_MMU_MAX_POINTS])
{
    uint64_t w[GCB_MMU_MAX_POINTS];
    size_t n = gcb_mmu_windows(m->span, w);
    for (size_t i = 0; i < n; i++) {
        out[i].window_ns = w[i];
        out[i].utilization = gcb_mmu_at(m, w[i]);
    }
    return n;
}
