/* tests/test_workloads_threads.c — the workloads that run several mutator
 * threads (wl_config.threads: trees, alloc, shared, mt-gcbench) with 1, 2
 * and 4 threads under every collector (GCBENCH_COLLECTOR restricts them),
 * normal and with stress + verify, at size small in heaps small enough that
 * collections happen while the threads run; their debug_corrupt hooks must
 * still fail verification with threads; and the workloads that run on one
 * thread must refuse threads > 1 (WL_ERR_INPUT).
 *
 * Every workload's allocation volume is fixed whatever the interleaving, so
 * the tests check it exactly: that is how "each thread runs the whole
 * benchmark" (mt-gcbench), "each thread builds its own temporary trees"
 * (trees) and "the count is split among the threads" (alloc, shared) are
 * checked. Messages start with "<collector>/<mode>/<N>t" (conformance.h).
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

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/* ---- The workloads and what they allocate at size small ------------------------------ */

typedef struct wl_thr {
    const char *name;
    size_t heap;     /* small enough for collections with 4 threads, big enough for all */
    uint64_t stress; /* stress interval (x4 under ThreadSanitizer) */
    int nmodes;      /* debug_corrupt modes */
} wl_thr;

static const wl_thr wl_threaded[] = {
    {"trees", 2 * MIB, 500, 3},
    {"alloc", 1 * MIB, 300, 1},
    {"shared", 2 * MIB, 300, 4},
    {"mt-gcbench", 3 * MIB, 1000, 3},
};
#define NTHREADED (sizeof wl_threaded / sizeof wl_threaded[0])

/* Objects a run allocates at size small with n threads (see the workloads):
 *  trees       stretch tree 8,191 + long-lived tree 2,047 + array 1, once;
 *              temporary trees 130,704 Nodes per thread.
 *  alloc       1,000,000 in total, split among the threads.
 *  shared      100,000 insertions in total (an item and a payload each),
 *              64 buckets and their array.
 *  mt-gcbench  per thread: 132,751 Nodes, 85,103 holes, 1 array. */
static uint64_t expected_objects(const char *w, unsigned n)
{
    if (strcmp(w, "trees") == 0)
        return 8191 + 2047 + 1 + (uint64_t)n * 130704;
    if (strcmp(w, "alloc") == 0)
        return 1000000;
    if (strcmp(w, "shared") == 0)
        return 2 * 100000 + 64 + 1;
    return (uint64_t)n * (132751 + 85103 + 1);
}

/* ---- Running one ----------------------------------------------------------------------- */

typedef struct trun_out {
    int rc;
    wl_result res;
    uint64_t objects, collections;
    uint64_t multi_pauses; /* pauses with two or more mutators attached */
} trun_out;

/* Runs workload w with n threads (corrupt: its debug_corrupt) on the heap
 * of the case p (conf_topen: stress + verify in STRESS mode). */
static void trun(const conf_tparam *p, const wl_thr *w, unsigned n, int corrupt, trun_out *out)
{
    conf_ctx c;
    uint64_t stress = CONF_TSAN ? 4 * w->stress : w->stress;
    conf_topen(&c, p, w->heap, stress);
    const wl_workload *wl = wl_find(w->name);
    CONF_ASSERT(&c, wl != NULL, "workload %s is not registered", w->name);
    wl_config wc = {.size = WL_SIZE_SMALL, .seed = 11, .threads = n, .debug_corrupt = corrupt};
    memset(out, 0, sizeof *out);
    out->rc = wl->run(c.m, &wc, &out->res);
    gc_heap_finish(c.h);
    gc_heap_stats st;
    gc_heap_get_stats(c.h, &st);
    out->objects = st.allocated_objects;
    out->collections = st.collections;
    for (size_t i = 0; i < st.npauses; i++)
        out->multi_pauses += st.pauses[i].mutators >= 2;
    conf_close(&c);
}

#define TNAMES(p, w, n) conf_param_collector(&(conf_param){(p)->collector, (p)->mode})->name, \
                        conf_mode_name((p)->mode), (n), (w)->name

/* A verified run with n threads: result, exact volume, and (n > 1)
 * collections while several mutators were attached. */
static void expect_threaded_run(const conf_tparam *p, const wl_thr *w)
{
    unsigned n = (unsigned)p->threads;
    /* Under a sanitizer (5-15x slower) the one-thread cases are left to
     * tests/test_workloads.c, which runs every workload on one thread under
     * every collector in every build: here they would add nothing to find. */
    if (n == 1 && (CONF_TSAN || CONF_ASAN))
        return;
    trun_out o;
    trun(p, w, n, 0, &o);
    cr_assert_eq(o.rc, WL_OK, "%s/%s/%ut %s: returned %d: %s", TNAMES(p, w, n), o.rc, o.res.detail);
    cr_assert(o.res.verified, "%s/%s/%ut %s: not verified: %s", TNAMES(p, w, n), o.res.detail);
    cr_assert(strstr(o.res.detail, "FAILED") == NULL, "%s/%s/%ut %s: verified but says %s",
              TNAMES(p, w, n), o.res.detail);
    cr_assert_eq(o.objects, expected_objects(w->name, n),
                 "%s/%s/%ut %s: %" PRIu64 " objects allocated, expected %" PRIu64, TNAMES(p, w, n),
                 o.objects, expected_objects(w->name, n));
    cr_assert_gt(o.collections, 0, "%s/%s/%ut %s: no collection", TNAMES(p, w, n));
    if (n > 1) {
        cr_assert_gt(o.multi_pauses, 0,
                     "%s/%s/%ut %s: %" PRIu64 " collections, none while the threads ran",
                     TNAMES(p, w, n), o.collections);
        char threads[32];
        snprintf(threads, sizeof threads, "%u threads", n);
        cr_assert(strstr(o.res.detail, threads) != NULL, "%s/%s/%ut %s: detail does not say %s: %s",
                  TNAMES(p, w, n), threads, o.res.detail);
    } else {
        cr_assert_eq(o.multi_pauses, 0, "%s/%s/1t %s: a pause with several mutators",
                     conf_param_collector(&(conf_param){p->collector, p->mode})->name,
                     conf_mode_name(p->mode), w->name);
    }
}

/* ---- Tests ---------------------------------------------------------------------------------- */

#define THREADED_TEST(ident, index)                                                        \
    ParameterizedTestParameters(workloads_threads, ident) { return conf_make_thread_params_where(NULL); } \
    ParameterizedTest(conf_tparam *p, workloads_threads, ident, .timeout = 300)           \
    {                                                                                      \
        expect_threaded_run(p, &wl_threaded[index]);                                       \
    }

THREADED_TEST(trees, 0)
THREADED_TEST(alloc, 1)
THREADED_TEST(shared, 2)
THREADED_TEST(mt_gcbench, 3)

/* Every corruption mode of every threaded workload, with 2 and 4 threads
 * (2 only under ThreadSanitizer), must fail verification; mt-gcbench, where
 * every thread damages and checks its own data, must say so for each. */
ParameterizedTestParameters(workloads_threads, detects_corruption) { return conf_collector_index_params(); }
ParameterizedTest(size_t *ci, workloads_threads, detects_corruption, .timeout = 300)
{
    conf_tparam p = {(int)*ci, CONF_NORMAL, 2};
    const char *coll = conf_collector_at(*ci)->name;
    for (unsigned n = 2; n <= (CONF_TSAN ? 2u : 4u); n += 2) {
        p.threads = (int)n;
        for (size_t k = 0; k < NTHREADED; k++) {
            const wl_thr *w = &wl_threaded[k];
            for (int mode = 1; mode <= w->nmodes; mode++) {
                trun_out o;
                trun(&p, w, n, mode, &o);
                cr_assert_eq(o.rc, WL_OK, "%s/%ut %s corrupt %d: returned %d: %s", coll, n, w->name,
                             mode, o.rc, o.res.detail);
                cr_assert(!o.res.verified, "%s/%ut %s: corrupt mode %d not detected: %s", coll, n,
                          w->name, mode, o.res.detail);
                cr_assert(strstr(o.res.detail, "FAILED") != NULL,
                          "%s/%ut %s corrupt %d: detail does not say FAILED: %s", coll, n, w->name,
                          mode, o.res.detail);
                if (strcmp(w->name, "mt-gcbench") == 0) {
                    char all[32];
                    snprintf(all, sizeof all, "FAILED in %u/%u threads", n, n);
                    cr_assert(strstr(o.res.detail, all) != NULL,
                              "%s/%ut mt-gcbench corrupt %d: not every thread caught it: %s", coll,
                              n, mode, o.res.detail);
                }
            }
        }
    }
}

static bool is_threaded(const char *name)
{
    for (size_t k = 0; k < NTHREADED; k++)
        if (strcmp(wl_threaded[k].name, name) == 0)
            return true;
    return false;
}

/* Runs w with `threads` on a fresh heap of the first selected collector. */
static int run_plain(const wl_workload *w, uint32_t threads, wl_result *res)
{
    const gc_collector_ops *ops = conf_pick(NULL);
    cr_assert_not_null(ops, "no collector selected");
    char err[256] = "";
    gc_config cfg = {.heap_limit = 16 * MIB};
    gc_heap *h = gc_heap_create(ops->name, &cfg, err, sizeof err);
    cr_assert_not_null(h, "%s: gc_heap_create failed: %s", ops->name, err);
    gc_mutator *m = gc_mutator_attach(h);
    cr_assert_not_null(m);
    wl_config wc = {.size = WL_SIZE_SMALL, .seed = 1, .threads = threads};
    memset(res, 0, sizeof *res);
    int rc = w->run(m, &wc, res);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    return rc;
}

/* A workload that runs on one thread refuses threads > 1 with
 * WL_ERR_INPUT and says so ("program" needs a file: tests/test_vm.c). */
Test(workloads_threads, one_thread_workloads_refuse)
{
    conf_require_valid_filter();
    size_t refused = 0;
    for (size_t i = 0; wl_registered_workloads[i] != NULL; i++) {
        const wl_workload *w = wl_registered_workloads[i];
        if (is_threaded(w->name) || strcmp(w->name, "program") == 0)
            continue;
        for (uint32_t threads = 2; threads <= 300; threads += 298) {
            wl_result res;
            int rc = run_plain(w, threads, &res);
            cr_assert_eq(rc, WL_ERR_INPUT, "%s with threads=%u: returned %d, expected WL_ERR_INPUT (%d): %s",
                         w->name, threads, rc, WL_ERR_INPUT, res.detail);
            cr_assert(!res.verified, "%s with threads=%u: refused but verified", w->name, threads);
            char want[64];
            snprintf(want, sizeof want, "workload %s runs on one thread", w->name);
            cr_assert(strstr(res.detail, want) != NULL, "%s with threads=%u: detail lacks \"%s\": %s",
                      w->name, threads, want, res.detail);
        }
        refused++;
    }
    cr_assert_geq(refused, 3, "only %zu one-thread workloads found (cycles, strings, records expected)",
                  refused);
}

/* Threaded workloads accept 0 and 1 as one thread and refuse more than
 * the maximum with WL_ERR_INPUT. */
Test(workloads_threads, thread_count_bounds)
{
    conf_require_valid_filter();
    for (size_t k = 0; k < NTHREADED; k++) {
        const wl_workload *w = wl_find(wl_threaded[k].name);
        cr_assert_not_null(w, "%s is not registered", wl_threaded[k].name);
        wl_result res;
        int rc = run_plain(w, 257, &res);
        cr_assert_eq(rc, WL_ERR_INPUT, "%s with threads=257: returned %d: %s", w->name, rc, res.detail);
        cr_assert(strstr(res.detail, "at most 256") != NULL, "%s with threads=257: %s", w->name,
                  res.detail);
        char first[256];
        for (uint32_t threads = 0; threads <= 1; threads++) {
            rc = run_plain(w, threads, &res);
            cr_assert_eq(rc, WL_OK, "%s with threads=%u: returned %d: %s", w->name, threads, rc,
                         res.detail);
            cr_assert(res.verified, "%s with threads=%u: %s", w->name, threads, res.detail);
            if (threads == 0)
                snprintf(first, sizeof first, "%s", res.detail);
            else
                cr_assert_str_eq(res.detail, first, "%s: threads=0 and threads=1 differ", w->name);
        }
    }
}
