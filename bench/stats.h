/* bench/stats.h — exact run statistics from the pause log.
 *
 * Every pause is kept (core's log); nothing is sampled or binned. Durations
 * are copied into a malloc'd array and sorted, and percentiles use the
 * nearest-rank definition: the p-th percentile of n sorted values is the
 * value at 1-based rank ceil(p/100 * n), i.e. the smallest value v such that
 * at least p% of the values are <= v. With no values every statistic is 0.
 *
 * Percentiles are given in parts per million (GCB_PPM(99.9) == 999000) so
 * that rank arithmetic is exact integer arithmetic: adding p99.9, or the same
 * distribution per pause kind, is one more gcb_percentile call / one more
 * gcb_dist_of call over a filtered array.
 *
 * Nothing here allocates in the collected heap.
 */
#ifndef GCB_STATS_H
#define GCB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/heap.h"

#define GCB_PPM_ONE 1000000u
/* A percentile given as a decimal constant, e.g. GCB_PPM(99.9). */
#define GCB_PPM(pct) ((uint32_t)((pct) * 10000.0 + 0.5))

/* Nearest-rank percentile of n values sorted ascending; ppm in [0, 1e6].
 * ppm 0 gives the minimum. Returns 0 when n == 0. */
uint64_t gcb_percentile(const uint64_t *sorted, size_t n, uint32_t ppm);

/* Summary of one distribution of durations (nanoseconds). */
typedef struct gcb_dist {
    size_t count;
    uint64_t total;
    uint64_t min;
    uint64_t p50;
    uint64_t p90;
    uint64_t p99;
    uint64_t max;
} gcb_dist;

/* Of values already sorted ascending. */
gcb_dist gcb_dist_of_sorted(const uint64_t *sorted, size_t n);
/* Of values in any order (copies and sorts; the input is not changed).
 * Exits with GCB_EXIT_ERROR if the copy cannot be allocated. */
gcb_dist gcb_dist_of(const uint64_t *values, size_t n);

/* Sorts ascending in place. */
void gcb_sort_u64(uint64_t *v, size_t n);

/* Everything gcbench reports about one run. */
typedef struct gcb_run_stats {
    uint64_t wall_ns;      /* workload run + gc_heap_finish */
    uint64_t gc_ns;        /* sum of pause durations */
    uint64_t mutator_ns;   /* wall_ns - gc_ns - verify_ns (0 if they exceed wall) */
    uint64_t verify_ns;    /* heap verifier time (--verify), outside pauses */
    double gc_share;       /* gc_ns / wall_ns, 0..1 (0 when wall_ns == 0) */
    gcb_dist pauses;       /* over all pauses */
    uint64_t allocated_bytes;
    uint64_t allocated_objects;
    double alloc_bytes_per_s;   /* over wall time; 0 when wall_ns == 0 */
    double alloc_objects_per_s;
    uint64_t peak_heap_bytes;
    uint64_t heap_limit;
    uint64_t collections;
    uint64_t collections_by_kind[GC_PAUSE_KIND_COUNT];
} gcb_run_stats;

/* Computes the run statistics from core's heap statistics and the measured
 * wall time. */
void gcb_run_stats_compute(const gc_heap_stats *st, uint64_t wall_ns, gcb_run_stats *out);

#endif /* GCB_STATS_H */
