/* tests/test_trees.c — the "trees" workload (GCBench) under every registered
 * collector, at size small: plain runs, runs in a heap small enough to force
 * collections, runs with the heap verifier and stress collections, and
 * checks that the workload's own verification really fails when its
 * long-lived data is damaged (the wl_config.debug_corrupt hook in
 * workloads/trees.c). Also covers the workload registry and size names.
 *
 * Parameterized tests take an index into gc_registered_collectors[]; every
 * assertion message starts with the collector's name.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conformance.h"
#include "core/collector.h"
#include "collectors/registry.h"
#include "workloads/workload.h"

extern const wl_workload wl_trees;
/* Debug hook defined in workloads/trees.c: 0 off; 1 flip a raw field of a
 * long-lived tree node; 2 cut a link of the long-lived tree; 3 change an
 * element of the long-lived array. Applied just before verification. */
static int debug_corrupt_mode; /* passed to the workload as wl_config.debug_corrupt */
static uint32_t threads_count;  /* passed as wl_config.threads (0 = one thread) */

#define MIB ((size_t)1 << 20)

/* Size "small", from the table in workloads/trees.c: 140,942 Nodes of 32
 * bytes plus one value array of 5,000 doubles (40,008 bytes). */
#define SMALL_OBJECTS UINT64_C(140943)
#define SMALL_BYTES UINT64_C(4550152)
/* Of which the temporary trees (phase 4), which every thread builds once
 * with wl_config.threads > 1: 130,704 Nodes. The rest (stretch tree,
 * long-lived tree, array) is built once. */
#define SMALL_TEMP_OBJECTS UINT64_C(130704)
#define SMALL_TEMP_BYTES (SMALL_TEMP_OBJECTS * 32)

/* ---- Parameters: one per registered collector ---------------------------------- */


static const char *collector_name(size_t i) { return conf_collector_at(i)->name; }

/* ---- Running the workload ---------------------------------------------------------- */

typedef struct run_out {
    int rc;
    wl_result res;
    gc_heap_stats stats; /* copied before the heap is destroyed; pauses not kept */
} run_out;

static void run_trees(const char *collector, size_t heap_limit, bool verify, uint64_t stress,
                      uint64_t seed, run_out *out)
{
    char err[256] = "";
    gc_config cfg = {.heap_limit = heap_limit, .stress = stress, .verify = verify};
    gc_heap *h = gc_heap_create(collector, &cfg, err, sizeof err);
    cr_assert_not_null(h, "%s: gc_heap_create failed: %s", collector, err);
    gc_mutator *m = gc_mutator_attach(h);
    cr_assert_not_null(m, "%s: gc_mutator_attach failed", collector);

    wl_config wc = {.size = WL_SIZE_SMALL, .seed = seed, .debug_corrupt = debug_corrupt_mode,
                    .threads = threads_count};
    memset(&out->res, 0, sizeof out->res);
    out->rc = wl_trees.run(m, &wc, &out->res);
    gc_heap_finish(h);
    gc_heap_get_stats(h, &out->stats);
    out->stats.pauses = NULL;
    out->stats.npauses = 0;

    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

static void expect_verified(const char *collector, const run_out *o)
{
    cr_assert_eq(o->rc, 0, "%s: trees returned %d: %s", collector, o->rc, o->res.detail);
    cr_assert(o->res.verified, "%s: trees not verified: %s", collector, o->res.detail);
    cr_assert(strstr(o->res.detail, "long-lived tree 2047 nodes ok") != NULL,
              "%s: unexpected detail: %s", collector, o->res.detail);
    cr_assert(strstr(o->res.detail, "8 temp trees ok") != NULL, "%s: unexpected detail: %s",
              collector, o->res.detail);
}

/* ---- Tests ----------------------------------------------------------------------------- */

ParameterizedTestParameters(trees, small) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, small)
{
    const char *name = collector_name(*ci);
    run_out o;
    run_trees(name, 16 * MIB, false, 0, 0, &o);
    expect_verified(name, &o);
    /* The allocation sequence is fixed: it matches the documented volume. */
    cr_expect_eq(o.stats.allocated_objects, SMALL_OBJECTS,
                 "%s: allocated %" PRIu64 " objects, expected %" PRIu64, name,
                 o.stats.allocated_objects, SMALL_OBJECTS);
    cr_expect_eq(o.stats.allocated_bytes, SMALL_BYTES,
                 "%s: allocated %" PRIu64 " bytes, expected %" PRIu64, name,
                 o.stats.allocated_bytes, SMALL_BYTES);
}

ParameterizedTestParameters(trees, small_heap_collects) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, small_heap_collects)
{
    const char *name = collector_name(*ci);
    run_out o;
    run_trees(name, 4 * MIB, false, 0, 0, &o);
    expect_verified(name, &o);
    cr_assert_gt(o.stats.allocated_bytes, 4 * MIB,
                 "%s: only %" PRIu64 " bytes allocated, the test needs more than the limit",
                 name, o.stats.allocated_bytes);
    cr_assert_gt(o.stats.collections, 0,
                 "%s: %" PRIu64 " bytes allocated in a 4 MiB heap without a collection", name,
                 o.stats.allocated_bytes);
    cr_assert_leq(o.stats.peak_heap_bytes, 4 * MIB, "%s: peak heap %" PRIu64 " over the limit",
                  name, o.stats.peak_heap_bytes);
}

ParameterizedTestParameters(trees, verify_and_stress) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, verify_and_stress)
{
    const char *name = collector_name(*ci);
    run_out o;
    run_trees(name, 16 * MIB, true, 500, 0, &o);
    expect_verified(name, &o);
    /* ~282 stress collections expected; be lenient about how core counts. */
    cr_assert_geq(o.stats.collections, o.stats.allocated_objects / 1000,
                  "%s: only %" PRIu64 " collections for %" PRIu64 " allocations at stress=500",
                  name, o.stats.collections, o.stats.allocated_objects);
}

ParameterizedTestParameters(trees, seeds) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, seeds)
{
    const char *name = collector_name(*ci);
    const uint64_t seeds[] = {1, 12345, UINT64_C(0xdeadbeefcafef00d)};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        run_out o;
        run_trees(name, 16 * MIB, false, 0, seeds[s], &o);
        cr_assert(o.res.verified, "%s: seed %" PRIu64 ": %s", name, seeds[s], o.res.detail);
    }
}

ParameterizedTestParameters(trees, detects_corruption) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, detects_corruption)
{
    const char *name = collector_name(*ci);
    static const struct {
        int mode;
        const char *expect; /* in the failure detail */
    } cases[] = {
        {1, "long-lived tree FAILED"}, /* flipped raw field */
        {2, "long-lived tree FAILED"}, /* cut link */
        {3, "array FAILED"},           /* changed array element */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        run_out o;
        debug_corrupt_mode = cases[k].mode;
        run_trees(name, 16 * MIB, false, 0, 7, &o);
        debug_corrupt_mode = 0;
        cr_assert_eq(o.rc, 0, "%s: corrupt mode %d: trees returned %d: %s", name,
                     cases[k].mode, o.rc, o.res.detail);
        cr_assert(!o.res.verified, "%s: corrupt mode %d not detected: %s", name, cases[k].mode,
                  o.res.detail);
        cr_assert(strstr(o.res.detail, cases[k].expect) != NULL,
                  "%s: corrupt mode %d: detail lacks \"%s\": %s", name, cases[k].mode,
                  cases[k].expect, o.res.detail);
    }
    /* And with the hook off again, the same run passes. */
    run_out o;
    run_trees(name, 16 * MIB, false, 0, 7, &o);
    expect_verified(name, &o);
}

/* With N threads the long-lived data is built once and every thread builds
 * the temporary trees: N times phase 4's volume, exactly; each thread's
 * last trees are checked (8 per thread) and each glances at the shared
 * tree and array after each of the 4 depths. */
ParameterizedTestParameters(trees, threads_volume) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, trees, threads_volume, .timeout = 120)
{
    const char *name = collector_name(*ci);
    for (uint32_t n = 2; n <= 3; n++) {
        run_out o;
        threads_count = n;
        run_trees(name, 16 * MIB, false, 0, 3, &o);
        threads_count = 0;
        cr_assert_eq(o.rc, 0, "%s/%ut: trees returned %d: %s", name, n, o.rc, o.res.detail);
        cr_assert(o.res.verified, "%s/%ut: trees not verified: %s", name, n, o.res.detail);
        char want[192];
        snprintf(want, sizeof want, "long-lived tree 2047 nodes ok, array of 5000 ok, %u temp trees ok (%u threads), "
                 "shared tree and array seen ok %u times", 8 * n, n, 4 * n);
        cr_assert(strstr(o.res.detail, want) != NULL, "%s/%ut: detail lacks \"%s\": %s", name, n, want,
                  o.res.detail);
        uint64_t objects = SMALL_OBJECTS + (n - 1) * SMALL_TEMP_OBJECTS;
        uint64_t bytes = SMALL_BYTES + (n - 1) * SMALL_TEMP_BYTES;
        cr_expect_eq(o.stats.allocated_objects, objects, "%s/%ut: allocated %" PRIu64 " objects, expected %" PRIu64,
                     name, n, o.stats.allocated_objects, objects);
        cr_expect_eq(o.stats.allocated_bytes, bytes, "%s/%ut: allocated %" PRIu64 " bytes, expected %" PRIu64,
                     name, n, o.stats.allocated_bytes, bytes);
    }
}

Test(trees, registry)
{
    size_t n = 0;
    bool found = false;
    for (; wl_registered_workloads[n] != NULL; n++) {
        cr_assert_not_null(wl_registered_workloads[n]->name);
        cr_assert_not_null(wl_registered_workloads[n]->run);
        found |= wl_registered_workloads[n] == &wl_trees;
    }
    cr_assert(found, "trees is not in wl_registered_workloads");
    cr_assert_eq(wl_find("trees"), &wl_trees);
    cr_assert_null(wl_find("no-such-workload"));
    cr_assert_null(wl_find(""));
    cr_assert_null(wl_find(NULL));
}

Test(trees, size_names)
{
    const wl_size sizes[] = {WL_SIZE_SMALL, WL_SIZE_DEFAULT, WL_SIZE_LARGE};
    const char *names[] = {"small", "default", "large"};
    for (size_t i = 0; i < 3; i++) {
        wl_size s = (wl_size)-1;
        cr_assert_str_eq(wl_size_name(sizes[i]), names[i]);
        cr_assert_eq(wl_size_parse(names[i], &s), 0, "parse %s", names[i]);
        cr_assert_eq(s, sizes[i], "parse %s", names[i]);
    }
    wl_size s = WL_SIZE_LARGE;
    cr_assert_eq(wl_size_parse("medium", &s), -1);
    cr_assert_eq(wl_size_parse("", &s), -1);
    cr_assert_eq(wl_size_parse("Small", &s), -1);
    cr_assert_eq(wl_size_parse(NULL, &s), -1);
    cr_assert_eq(s, WL_SIZE_LARGE, "a failed parse must not write *out");
    cr_assert_str_eq(wl_size_name((wl_size)42), "unknown");
}
