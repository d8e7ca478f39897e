/* tests/test_mmu.c — minimum mutator utilization (bench/mmu.c) against
 * hand-computed answers, a brute-force sliding window on random pause
 * sequences (seed printed; set GCBENCH_TEST_SEED to replay), and the curve
 * gcb_run_stats_compute derives from a pause log. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/mmu.h"
#include "bench/stats.h"

#define MS 1000000u

/* MMU of the given intervals (in ms) over a run of span_ms, at w_ns. */
static double mmu_ms(const gcb_interval *iv_ms, size_t n, uint64_t span_ms, uint64_t w_ns)
{
    gcb_interval iv[16];
    cr_assert_leq(n, 16);
    for (size_t i = 0; i < n; i++) {
        iv[i].start = iv_ms[i].start * MS;
        iv[i].end = iv_ms[i].end * MS;
    }
    gcb_mmu m;
    cr_assert_eq(gcb_mmu_init(&m, iv, n, span_ms * MS), 0);
    double u = gcb_mmu_at(&m, w_ns);
    gcb_mmu_fini(&m);
    return u;
}

#define EXPECT_MMU(iv, span, w_ns, expect)                                                    \
    do {                                                                                      \
        double got_ = mmu_ms(iv, sizeof iv / sizeof iv[0], span, w_ns);                       \
        cr_assert_float_eq(got_, (double)(expect), 1e-12, "MMU(%.3f ms) = %.12f, expected %.12f", \
                           (double)(w_ns) / MS, got_, (double)(expect));                      \
    } while (0)

Test(mmu, one_pause_in_the_middle)
{
    /* 10 ms run, one 2 ms pause at [4, 6). */
    gcb_interval iv[] = {{4, 6}};
    EXPECT_MMU(iv, 10, 1 * MS, 0.0);
    EXPECT_MMU(iv, 10, 2 * MS, 0.0);       /* the x-intercept is the max pause */
    EXPECT_MMU(iv, 10, 3 * MS, 1.0 / 3);   /* [3.5, 6.5): 2 ms GC of 3 */
    EXPECT_MMU(iv, 10, 5 * MS, 0.6);
    EXPECT_MMU(iv, 10, 8 * MS, 0.75);
    EXPECT_MMU(iv, 10, 10 * MS, 0.8);      /* overall utilization */
    EXPECT_MMU(iv, 10, 20 * MS, 0.8);      /* windows longer than the run are clamped */
    EXPECT_MMU(iv, 10, 2 * MS + 1, 1.0 / (2 * MS + 1));
}

Test(mmu, two_pauses_close_together)
{
    /* 1 ms pauses at [2, 3) and [4, 5) with a 1 ms gap. */
    gcb_interval iv[] = {{2, 3}, {4, 5}};
    EXPECT_MMU(iv, 10, 1 * MS, 0.0);
    EXPECT_MMU(iv, 10, 2 * MS, 0.5);     /* no 2 ms window holds more than 1 ms of GC */
    EXPECT_MMU(iv, 10, 3 * MS, 1.0 / 3); /* [2, 5): both pauses */
    EXPECT_MMU(iv, 10, 4 * MS, 0.5);
    EXPECT_MMU(iv, 10, 5 * MS, 0.6);
    EXPECT_MMU(iv, 10, 10 * MS, 0.8);
}

Test(mmu, pauses_at_the_ends_of_the_run)
{
    /* [0, 1) and [9, 10): windows cannot reach outside the run. */
    gcb_interval iv[] = {{0, 1}, {9, 10}};
    EXPECT_MMU(iv, 10, 1 * MS, 0.0);
    EXPECT_MMU(iv, 10, 2 * MS, 0.5);
    EXPECT_MMU(iv, 10, 5 * MS, 0.8);
    EXPECT_MMU(iv, 10, 9 * MS, 8.0 / 9); /* not monotonic: MMU(9) > MMU(10) */
    EXPECT_MMU(iv, 10, 10 * MS, 0.8);
}

Test(mmu, periodic_pauses_overlapping_windows)
{
    /* 1 ms every 3 ms: [0,1) [3,4) [6,7) [9,10). */
    gcb_interval iv[] = {{0, 1}, {3, 4}, {6, 7}, {9, 10}};
    EXPECT_MMU(iv, 10, 1 * MS, 0.0);
    EXPECT_MMU(iv, 10, 2 * MS, 0.5);
    EXPECT_MMU(iv, 10, 3 * MS, 2.0 / 3);
    EXPECT_MMU(iv, 10, 4 * MS, 0.5);     /* [0, 4) or [3, 7): two pauses */
    EXPECT_MMU(iv, 10, 7 * MS, 4.0 / 7); /* [0, 7): three */
    EXPECT_MMU(iv, 10, 10 * MS, 0.6);
}

Test(mmu, no_pauses_and_degenerate_input)
{
    gcb_mmu m;
    cr_assert_eq(gcb_mmu_init(&m, NULL, 0, 10 * MS), 0);
    cr_assert_float_eq(gcb_mmu_at(&m, 1 * MS), 1.0, 0.0);
    cr_assert_float_eq(gcb_mmu_at(&m, 10 * MS), 1.0, 0.0);
    cr_assert_float_eq(gcb_mmu_at(&m, 0), 1.0, 0.0);
    gcb_mmu_fini(&m);

    /* Unsorted, overlapping, empty and out-of-range intervals. */
    gcb_interval iv[] = {{5, 7}, {4, 6}, {3, 3}, {9, 12}, {20, 30}};
    cr_assert_eq(gcb_mmu_init(&m, iv, 5, 10), 0);
    cr_assert_eq(m.n, 2, "merged to [4,7) and [9,10)");
    cr_assert_eq(gcb_mmu_gc_total(&m), 4);
    cr_assert_float_eq(gcb_mmu_at(&m, 3), 0.0, 0.0);
    cr_assert_float_eq(gcb_mmu_at(&m, 10), 0.6, 1e-12);
    gcb_mmu_fini(&m);

    /* Zero span: no windows at all. */
    cr_assert_eq(gcb_mmu_init(&m, iv, 5, 0), 0);
    cr_assert_eq(m.n, 0);
    cr_assert_float_eq(gcb_mmu_at(&m, 5), 1.0, 0.0);
    gcb_mmu_fini(&m);
}

Test(mmu, windows)
{
    uint64_t w[GCB_MMU_MAX_POINTS];
    size_t n = gcb_mmu_windows(10 * MS, w);
    uint64_t e10[] = {1 * MS, 2 * MS, 5 * MS, 10 * MS};
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(w[i], e10[i], "window %zu", i);

    n = gcb_mmu_windows(1234 * MS, w);
    uint64_t e[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1234};
    cr_assert_eq(n, sizeof e / sizeof e[0]);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(w[i], e[i] * MS, "window %zu", i);

    n = gcb_mmu_windows(MS / 2, w); /* shorter than 1 ms: just the run */
    cr_assert_eq(n, 1);
    cr_assert_eq(w[0], MS / 2);
    n = gcb_mmu_windows(MS, w);
    cr_assert_eq(n, 1);
    cr_assert_eq(w[0], MS);
    cr_assert_eq(gcb_mmu_windows(0, w), 0);

    n = gcb_mmu_windows(UINT64_MAX, w); /* no overflow, ascending, bounded */
    cr_assert_leq(n, GCB_MMU_MAX_POINTS);
    cr_assert_eq(w[n - 1], UINT64_MAX);
    for (size_t i = 1; i < n; i++)
        cr_assert_lt(w[i - 1], w[i]);
}

/* ---- brute force ---------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t gc_in_window(const gcb_interval *iv, size_t n, uint64_t t, uint64_t w)
{
    uint64_t g = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = iv[i].start > t ? iv[i].start : t;
        uint64_t e = iv[i].end < t + w ? iv[i].end : t + w;
        if (e > s)
            g += e - s;
    }
    return g;
}

Test(mmu, brute_force_random)
{
    const char *env = getenv("GCBENCH_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    fprintf(stderr, "test_mmu brute_force_random: seed %" PRIu64 " (GCBENCH_TEST_SEED)\n", seed);
    rng_state = seed;
    for (int round = 0; round < 150; round++) {
        /* Integer endpoints and windows: the worst window then starts at an
         * integer, so sliding t over every integer is exact. */
        uint64_t span = 20 + rng() % 400;
        size_t n = (size_t)(rng() % 12);
        gcb_interval iv[12];
        uint64_t t = rng() % 10, maxpause = 0;
        size_t k = 0;
        for (; k < n && t < span; k++) {
            uint64_t len = 1 + rng() % 25;
            if (t + len > span)
                len = span - t;
            iv[k].start = t;
            iv[k].end = t + len;
            if (len > maxpause)
                maxpause = len;
            t += len + rng() % 40; /* gaps may be 0: touching pauses */
        }
        n = k;
        gcb_mmu m;
        cr_assert_eq(gcb_mmu_init(&m, iv, n, span), 0);
        for (int j = 0; j < 20; j++) {
            uint64_t w = j == 0 ? span : 1 + rng() % span;
            uint64_t worst = 0;
            for (uint64_t s = 0; s + w <= span; s++) {
                uint64_t g = gc_in_window(iv, n, s, w);
                if (g > worst)
                    worst = g;
            }
            double expect = (double)(w - worst) / (double)w;
            double got = gcb_mmu_at(&m, w);
            cr_assert_float_eq(got, expect, 1e-12,
                               "seed %" PRIu64 " round %d: span %" PRIu64 " w %" PRIu64
                               ": MMU %.12f, brute force %.12f",
                               seed, round, span, w, got, expect);
            if (w <= maxpause)
                cr_assert_float_eq(got, 0.0, 0.0, "seed %" PRIu64 ": MMU below max pause", seed);
        }
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += iv[i].end - iv[i].start;
        cr_assert_float_eq(gcb_mmu_at(&m, span), (double)(span - total) / (double)span, 1e-12);
        gcb_mmu_fini(&m);
    }
}

Test(mmu, many_periodic_pauses)
{
    /* 200000 pauses [10i, 10i+1) in a run of 10 * 200000: a window of 10m
     * holds at most m ms of GC, one of 10m + 1 at most m + 1. Also shows the
     * sweep is fast enough for huge pause logs. */
    const size_t n = 200000;
    gcb_interval *iv = malloc(n * sizeof *iv);
    cr_assert_not_null(iv);
    for (size_t i = 0; i < n; i++) {
        iv[n - 1 - i].start = 10 * i; /* reversed: init must sort */
        iv[n - 1 - i].end = 10 * i + 1;
    }
    gcb_mmu m;
    cr_assert_eq(gcb_mmu_init(&m, iv, n, 10 * n), 0);
    free(iv);
    for (uint64_t mult = 1; mult <= 100000; mult *= 10) {
        cr_assert_float_eq(gcb_mmu_at(&m, 10 * mult), 0.9, 1e-12, "w = %" PRIu64, 10 * mult);
        cr_assert_float_eq(gcb_mmu_at(&m, 10 * mult + 1),
                           (double)(9 * mult) / (double)(10 * mult + 1), 1e-12);
    }
    cr_assert_float_eq(gcb_mmu_at(&m, 1), 0.0, 0.0);
    gcb_mmu_fini(&m);
}

/* ---- from a pause log --------------------------------------------------------------- */

Test(mmu, run_stats_curve)
{
    /* One 2 ms pause at 4 ms in a 10 ms run, from core's pause records. */
    gc_pause p;
    memset(&p, 0, sizeof p);
    p.seq = 1;
    p.start_ns = 4 * MS;
    p.duration_ns = 2 * MS;
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.pauses = &p;
    st.npauses = 1;
    st.collections = 1;
    gcb_run_stats s;
    gcb_run_stats_compute(&st, 10 * MS, &s);
    cr_assert_eq(s.nmmu, 4);
    double expect[] = {0.0, 0.0, 0.6, 0.8};
    for (size_t i = 0; i < s.nmmu; i++)
        cr_assert_float_eq(s.mmu[i].utilization, expect[i], 1e-12, "point %zu", i);
    cr_assert_eq(s.mmu[3].window_ns, 10 * MS);
    cr_assert_float_eq(s.mmu[3].utilization, 1.0 - s.gc_share, 1e-12);

    /* Rebasing to the workload's start moves the pause, not its length. */
    p.start_ns = 7 * MS;
    gc_pause *q = gcb_pauses_rebase(&p, 1, 3 * MS);
    cr_assert_eq(q[0].start_ns, 4 * MS);
    cr_assert_eq(q[0].duration_ns, 2 * MS);
    free(q);
    q = gcb_pauses_rebase(&p, 1, 8 * MS); /* clamped at 0 */
    cr_assert_eq(q[0].start_ns, 0);
    free(q);
    cr_assert_null(gcb_pauses_rebase(&p, 0, 0));
}
