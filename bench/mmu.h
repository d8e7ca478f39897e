/* bench/mmu.h — minimum mutator utilization (Cheng & Blelloch 2001, "A
 * parallel, real-time garbage collector", PLDI).
 *
 * For a run of length `span` with GC intervals (pauses) inside it,
 *
 *   MMU(w) = min over windows [t, t+w] with 0 <= t <= span - w of
 *            (w - GC time inside the window) / w
 *
 * i.e. the worst share of any w-long stretch of the run left to the mutator.
 * MMU(w) is 0 for every w <= the longest pause, and MMU(span) is the
 * overall mutator utilization (span - gc) / span. It is not monotonic in w
 * in general.
 *
 * Exactness: GC(t) = G(t+w) - G(t), where G(x) is the GC time in [0, x), is
 * piecewise linear in t with slope g(t+w) - g(t) (g = 1 inside a pause).
 * Where it stops rising and starts falling, either g(t) jumps 0 -> 1 (the
 * window starts at a pause start) or the maximum is a plateau whose right
 * end is such a start or the domain end, since on a flat stretch with
 * g(t) = 0 also g(t+w) = 0, and only g(t) can then turn the slope negative.
 * (Symmetrically, windows ending at pause ends would do as well.) So the
 * maximum is attained at t = 0, t = span - w, or t = a pause start clamped
 * to span - w; gcb_mmu_at evaluates exactly those with integer nanosecond
 * arithmetic in one sweep with monotone cursors: O(n) per window after an
 * O(n log n) sort. tests/test_mmu.c cross-checks it against brute force.
 *
 * Nothing here touches the collected heap; it runs after the workload.
 */
#ifndef GCB_MMU_H
#define GCB_MMU_H

#include <stddef.h>
#include <stdint.h>

/* A half-open GC interval [start, end) in nanoseconds. */
typedef struct gcb_interval {
    uint64_t start;
    uint64_t end;
} gcb_interval;

/* Prepared intervals: sorted, clipped to [0, span], overlaps merged, empty
 * ones dropped; prefix[i] = total length of the first i intervals. */
typedef struct gcb_mmu {
    gcb_interval *iv;
    uint64_t *prefix; /* n + 1 entries */
    size_t n;
    uint64_t span;
} gcb_mmu;

/* Copies and prepares n intervals in any order (they may overlap or reach
 * outside [0, span]). Returns 0, or -1 when out of memory (m is then empty
 * and gcb_mmu_fini is still safe). */
int gcb_mmu_init(gcb_mmu *m, const gcb_interval *iv, size_t n, uint64_t span);
void gcb_mmu_fini(gcb_mmu *m);

/* Total GC time of the prepared intervals. */
uint64_t gcb_mmu_gc_total(const gcb_mmu *m);

/* MMU for window length w (clamped to span), in [0, 1]. A zero window (or
 * a zero span) holds no GC time: 1.0. */
double gcb_mmu_at(const gcb_mmu *m, uint64_t w);

/* The reported windows for a run of length span, ascending: 1, 2, 5 ms per
 * decade (1 ms, 2 ms, 5 ms, 10 ms, ...) while shorter than span, then span
 * itself; just span when span < 1 ms; none when span is 0. Returns the
 * count (at most GCB_MMU_MAX_POINTS). */
#define GCB_MMU_MIN_WINDOW_NS 1000000u
#define GCB_MMU_MAX_POINTS 64
size_t gcb_mmu_windows(uint64_t span, uint64_t out[GCB_MMU_MAX_POINTS]);

/* One point of the curve. */
typedef struct gcb_mmu_point {
    uint64_t window_ns;
    double utilization;
} gcb_mmu_point;

/* The whole reported curve: gcb_mmu_windows(m->span) evaluated. Returns the
 * number of points written to out. */
size_t gcb_mmu_curve(const gcb_mmu *m, gcb_mmu_point out[GCB_MMU_MAX_POINTS]);

#endif /* GCB_MMU_H */
