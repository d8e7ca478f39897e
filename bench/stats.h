/* bench/stats.h — exact run statistics from the pause log.
 *
 * Every pause is kept (core's log); nothing is sampled or binned. Durations
 * are copied into a malloc'd array and sorted, and percentiles use the
 * nearest-rank definition: the p-th percentile of n sorted values is the
 * value at 1-based rank ceil(p/100 * n), i.e. the smallest value v such that
 * at least p% of the values are <= v. With no values every statistic is 0.
 *
 * Percentiles are given in parts per million (GCB_PPM(99.9) == 999000) so
 * that rank arithmetic is exact integer arithmetic. The per-kind
 * distributions are the same gcb_dist over each kind's pauses; the minimum
 * mutator utilization curve comes from bench/mmu.c.
 *
 * Phase times are summed by index (gc_pause.phase_ns[i] is the collector's
 * phase i): this module knows no phase names and no fixed set of phases;
 * gcb_phases carries a collector's names to the writers.
 *
 * Everything is computed after the run from core's pause log; nothing here
 * allocates in the collected heap.
 */
#ifndef GCB_STATS_H
#define GCB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/heap.h"
#include "mmu.h"

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
    uint64_t p999; /* p99.9 */
    uint64_t max;
} gcb_dist;

/* Of values already sorted ascending. */
gcb_dist gcb_dist_of_sorted(const uint64_t *sorted, size_t n);
/* Of values in any order (copies and sorts; the input is not changed).
 * Exits with GCB_EXIT_ERROR if the copy cannot be allocated. */
gcb_dist gcb_dist_of(const uint64_t *values, size_t n);

/* Sorts ascending in place. */
void gcb_sort_u64(uint64_t *v, size_t n);

/* The pause phases a collector declares: names[i] names gc_pause.phase_ns[i]
 * (the strings are the collector's, static). */
typedef struct gcb_phases {
    unsigned n;
    const char *names[GC_MAX_PHASES];
} gcb_phases;

/* The phases of h's collector (gc_heap_nphases, gc_heap_phase_name). */
void gcb_phases_of_heap(const gc_heap *h, gcb_phases *out);

/* Time to safepoint (gc_pause.tts_ns: from the stop request until the last
 * other mutator parked) over the pauses that had another mutator to stop,
 * i.e. gc_pause.mutators > 1. A pause with one mutator has nothing to wait
 * for (its tts_ns is 0 by definition), so counting those would only dilute
 * the percentiles with zeros: a run with one thread has no time-to-safepoint
 * distribution at all (waited == 0, every figure 0 here, null in
 * summary.json), not one of zeros. */
typedef struct gcb_tts_stats {
    size_t waited;  /* pauses with mutators > 1 */
    gcb_dist dist;  /* of their tts_ns (count == waited) */
    uint64_t mean;  /* dist.total / waited, rounded down; 0 when waited == 0 */
} gcb_tts_stats;

/* Of n pauses in any order. Exits with GCB_EXIT_ERROR if scratch memory
 * cannot be allocated. */
void gcb_tts_stats_compute(const gc_pause *pauses, size_t n, gcb_tts_stats *out);

/* Everything gcbench reports about one run. */
typedef struct gcb_run_stats {
    uint64_t wall_ns;      /* workload run + gc_heap_finish */
    uint64_t gc_ns;        /* sum of pause durations */
    uint64_t mutator_ns;   /* wall_ns - gc_ns - verify_ns (0 if they exceed wall) */
    uint64_t verify_ns;    /* heap verifier time (--verify), outside pauses */
    uint64_t check_ns;     /* the workload's final self-check, left out of wall_ns
                              (set by the runner; 0 when it stayed in) */
    double gc_share;       /* gc_ns / wall_ns, 0..1 (0 when wall_ns == 0) */
    gcb_dist pauses;       /* over all pauses */
    gcb_dist pauses_by_kind[GC_PAUSE_KIND_COUNT]; /* count 0: the kind never occurred */
    uint64_t allocated_bytes;
    uint64_t allocated_objects;
    double alloc_bytes_per_s;   /* over wall time; 0 when wall_ns == 0 */
    double alloc_objects_per_s;
    double ns_per_alloc;        /* wall_ns / allocated_objects; 0 when no objects */
    uint64_t peak_heap_bytes;
    /* From getrusage(RUSAGE_SELF), set by the runner: page faults (minor +
     * major) taken by the whole process during the timed region, and the
     * process's peak resident set at the end of the run. */
    uint64_t page_faults;
    uint64_t max_rss_bytes;
    uint64_t heap_limit;
    uint64_t collections;
    uint64_t collections_by_kind[GC_PAUSE_KIND_COUNT];
    /* Time per phase index over all pauses, and outside declared phases. */
    uint64_t phase_total_ns[GC_MAX_PHASES];
    uint64_t other_total_ns;
    gcb_tts_stats tts;     /* time to safepoint (part of other_total_ns) */
    /* Minimum mutator utilization at the windows of gcb_mmu_windows(wall_ns)
     * (bench/mmu.h), pauses as GC intervals: 1-2-5 ms steps, then wall. */
    gcb_mmu_point mmu[GCB_MMU_MAX_POINTS];
    size_t nmmu;
} gcb_run_stats;

/* Number of distinct pause kinds that occurred. */
int gcb_kinds_occurred(const gcb_run_stats *s);

/* Computes the run statistics from core's heap statistics and the measured
 * wall time. st->pauses[i].start_ns must be relative to the workload's start
 * (see gcb_pauses_rebase) so the pauses lie inside [0, wall_ns] for the MMU.
 * Exits with GCB_EXIT_ERROR if scratch memory cannot be allocated. */
void gcb_run_stats_compute(const gc_heap_stats *st, uint64_t wall_ns, gcb_run_stats *out);

/* A malloc'd copy of pauses with start_ns made relative to a later origin:
 * start_ns - origin_ns, clamped at 0 (core's times count from the heap's
 * epoch; gcbench reports them from the workload's start). NULL when n is 0;
 * exits with GCB_EXIT_ERROR when out of memory. */
gc_pause *gcb_pauses_rebase(const gc_pause *pauses, size_t n, uint64_t origin_ns);

#endif /* GCB_STATS_H */
