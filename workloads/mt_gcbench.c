/* workloads/mt_gcbench.c — "mt-gcbench": Whippet's multi-threaded GCBench.
 *
 * What it models
 *   benchmarks/mt-gcbench.c of Whippet (wingo/whippet, read at commit
 *   675d8d649a05, with its object layouts from benchmarks/mt-gcbench-types.h):
 *   GCBench (see workloads/trees.c) as Whippet runs it on several mutator
 *   threads in one shared heap, with garbage "holes" between the nodes. The
 *   same work as gcbench's libgc peer bench/peers/peer_mt_gcbench.c, so
 *   gcbench's collectors, Whippet's and libgc can be set side by side. Only
 *   the work is taken from Whippet; this file is written from its
 *   description, not copied.
 *
 * Phases (every thread runs all of them: run_one_test)
 *   1. The long-lived tree: a Node, then populate(longlived) top-down.
 *   2. The long-lived array: `array` doubles, only the first half filled,
 *      value k = 1.0/k (k = 0 gives +inf, as in Whippet).
 *   3. For d = 4, 6, ..., max_depth: NumIters(d) = 2 * TreeSize(iters) /
 *      TreeSize(d) trees of depth d top-down (a Node, then populate), then
 *      as many bottom-up (make_tree); iters = max_depth + 2. NO stretch tree.
 *   4. Verify (below).
 *   Top-down, populate(depth, n) allocates a hole, the left child, a hole,
 *   the right child, links both into n, sets n.j = depth, and recurses: a
 *   hole precedes every node but the root. Bottom-up, make_tree builds both
 *   subtrees, then a hole, then the inner node: leaves get no hole.
 *
 * Objects (sizes equal to Whippet's 64-bit ones, header word included)
 *   Node: record "MtNode", layout "rri" = {left, right, (i, j)}: 8-byte
 *     header + 3 words = 32 bytes. Whippet's {header; left; right; int i, j}
 *     packs i and j into one word; here the raw word holds i in its low 32
 *     bits and j in its high 32 bits (the little-endian struct layout).
 *     i stays 0; j is the node's depth (0 at the leaves).
 *   Hole: Whippet's {header; length; length words}, pointer-bearing and
 *     zeroed, 16 + 8 * len bytes, dropped at once. Here a reference array of
 *     len + 1 elements, all nil: 8 + 8 * (len + 1) bytes, the same. (Its
 *     length is in our header; the extra element stands for Whippet's
 *     length word.) len comes from a fixed 256-entry power-law table (0..36,
 *     mean 5.7; 0 = no hole) walked cyclically by a per-thread counter from 0.
 *   Array: Whippet's {header; length; doubles}, 16 + 8 * n bytes; here a
 *     value array of n + 1 words whose word 0 holds n: the same size.
 *
 * Parameters (per thread)
 *   size     longlived  max_depth  iters  array       (NumIters at depths 4, 6, ...)
 *   small        10        10        12      5,000     528, 128, 32, 8
 *   default      16        16        18    500,000     33824, 8256, 2052, 512, 128, 32, 8
 *   large        18        18        20  2,000,000     135300, 33026, 8208, 2048, 512, 128, 32, 8
 *   default is Whippet's; small is the peer's (for tests); large is
 *   gcbench's own, the same scaling one step up (neither Whippet nor the
 *   peer has it). Allocation per thread (objects checked exactly by
 *   tests/test_workloads_threads.c):
 *     size     nodes        holes        objects (+1 array)  bytes
 *     small       132,751      85,103       217,855           10,143,208 (9.7 MiB)
 *     default  14,809,575   9,515,626    24,325,202        1,132,581,592 (1.05 GiB)
 *     large    67,627,651  43,469,690   111,097,342        5,170,799,832 (4.8 GiB)
 *   Holes are most of the bytes (58%). With N threads, N times that: each
 *   thread runs the whole benchmark.
 *   Maximum live per thread: the long-lived tree, the array and one
 *   temporary tree of max_depth (Whippet's heap_max_live:
 *   2 * TreeSize(16) * 32 + 16 + 8 * 500,000 = 12,388,560 bytes at
 *   default), plus the holes of the tree being built.
 *
 * Threads (wl_config.threads = N, 0 or 1 = one)
 *   N threads each run phases 1-4 on their own mutator: thread 0 on the
 *   calling thread, the others started by wl_run_threads (uv_thread_create,
 *   each attaching its own mutator). Nothing is shared but the heap.
 *   Whippet fixes its heap at MULTIPLIER * N * heap_max_live; here the heap
 *   is --heap as for every workload (docs/workloads.md says how to match).
 *
 * Verification (Whippet checks every temporary tree only in debug builds and
 *   array[1000] at the end; here, as the peer, always): each thread checks its
 *   long-lived tree fully at the end (every node a Node with i = 0 and
 *   j = its depth, two children above the leaves, none at them), its whole
 *   array (length word, first half 1.0/k, second half 0), and the last tree
 *   of every phase (top-down and bottom-up at every depth).
 *   --seed has no effect: the benchmark has no random choices.
 *
 * Rooting: every value that must survive an allocation is in a root slot of
 *   the thread's own mutator and is re-read through it.
 *
 * Debug hook (wl_config.debug_corrupt, modes wrap around 1..3): every
 *   thread damages its own long-lived data just before checking it:
 *   1 set i of the long-lived tree's rightmost leaf, 2 cut the right link of
 *   the root's left child, 3 change one element of the array. The detail
 *   then says how many threads FAILED.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

/* ---- Parameters ----------------------------------------------------------- */

enum { MT_MIN_DEPTH = 4, MT_DEPTH_STEP = 2 };

typedef struct mt_params {
    int longlived_depth;
    int max_depth;
    int iters_depth; /* NumIters(d) = 2 * TreeSize(iters_depth) / TreeSize(d) */
    uint64_t array_len;
} mt_params;

static const mt_params mt_sizes[] = {
    [WL_SIZE_SMALL] = {10, 10, 12, 5000},
    [WL_SIZE_DEFAULT] = {16, 16, 18, 500000},
    [WL_SIZE_LARGE] = {18, 18, 20, 2000000},
};

/* Node fields: two references and one raw word holding i (low half) and j
 * (high half). */
enum { MT_LEFT = 0, MT_RIGHT = 1, MT_IJ = 2, MT_NODE_FIELDS = 3 };

/* Whippet's power_law_distribution: entry k counts the failed draws of a
 * p = 0.15 Bernoulli trial before a success. Data, kept as it is. */
static const uint8_t mt_hole_words[256] = {
    1,  15, 3,  12, 2,  8,  4,  0,  18, 7,  9,  8,  15, 2,  36, 5,  1,  9,  6,  11, 9,  19,
    2,  0,  0,  3,  9,  6,  3,  2,  1,  1,  6,  1,  8,  4,  2,  0,  5,  3,  7,  0,  0,  3,
    0,  4,  1,  7,  1,  8,  2,  2,  2,  14, 0,  7,  8,  0,  2,  1,  4,  12, 7,  5,  0,  3,
    4,  13, 10, 2,  3,  7,  0,  8,  0,  23, 0,  16, 1,  1,  6,  28, 1,  18, 0,  3,  6,  5,
    8,  6,  14, 5,  2,  5,  0,  11, 0,  18, 4,  16, 1,  4,  3,  13, 3,  23, 7,  4,  10, 5,
    3,  13, 0,  14, 5,  5,  2,  5,  0,  16, 2,  0,  1,  1,  0,  0,  4,  2,  7,  7,  0,  5,
    7,  2,  1,  24, 27, 3,  7,  1,  0,  8,  1,  4,  0,  3,  0,  7,  7,  3,  9,  2,  9,  2,
    5,  10, 1,  1,  12, 6,  2,  9,  5,  0,  4,  6,  0,  7,  2,  1,  5,  4,  1,  0,  1,  15,
    4,  0,  15, 4,  0,  0,  32, 18, 2,  2,  1,  7,  8,  3,  11, 1,  2,  7,  11, 1,  9,  1,
    2,  6,  11, 17, 1,  2,  5,  1,  14, 3,  6,  1,  1,  15, 3,  1,  0,  6,  10, 8,  1,  3,
    2,  7,  0,  1,  0,  11, 3,  3,  5,  8,  2,  0,  0,  7,  12, 2,  5,  20, 3,  7,  4,  4,
    5,  22, 1,  5,  2,  7,  15, 2,  4,  6,  11, 8,  12, 1};

static uint64_t mt_tree_size(int depth) { return ((uint64_t)1 << (depth + 1)) - 1; }

static uint64_t mt_num_iters(const mt_params *p, int depth)
{
    return 2 * mt_tree_size(p->iters_depth) / mt_tree_size(depth);
}

static uint64_t mt_ij(uint32_t i, uint32_t j) { return (uint64_t)i | (uint64_t)j << 32; }

/* ---- One thread's benchmark ------------------------------------------------- */

/* What one thread found. */
typedef struct mt_result {
    bool ran;               /* the thread ran the benchmark */
    bool ll_ok, array_ok;
    unsigned temp_checked, temp_bad;
    char first[80]; /* the first problem */
} mt_result;

typedef struct mt_thread {
    gc_mutator *m;
    uint32_t node_type;
    const mt_params *p;
    size_t hole_counter; /* walks mt_hole_words cyclically, from 0 */
    int corrupt;         /* wl_corrupt_mode(debug_corrupt, 3) */
    bool poll;           /* several threads: checks and the array fill poll safepoints */
} mt_thread;

static inline gc_value mt_new_node(mt_thread *t)
{
    return gc_value_of(gc_alloc_object(t->m, t->node_type, GC_KIND_RECORD, MT_NODE_FIELDS));
}

/* Whippet's allocate_garbage: a hole of the next length in the table, or
 * none for a 0 entry; unrooted, garbage at once. */
static inline void mt_hole(mt_thread *t)
{
    size_t words = mt_hole_words[t->hole_counter++ & 0xff];
    if (words != 0)
        (void)gc_alloc_ref_array(t->m, words + 1);
}

/* Top-down: *node (a root slot) gets two fresh children, each after a
 * hole; then j = depth, and the children are populated. */
static void mt_populate(mt_thread *t, int depth, gc_value *node)
{
    if (depth <= 0)
        return;
    gc_mutator *m = t->m;
    size_t saved = gc_roots_save(m);
    gc_value l = GC_NIL, r = GC_NIL;
    gc_root(m, &l);
    gc_root(m, &r);
    gc_safepoint(m); /* a stop waits at most one node for this thread */
    mt_hole(t);
    l = mt_new_node(t);
    mt_hole(t);
    r = mt_new_node(t);
    gc_set_field(m, gc_ref(*node), MT_LEFT, l);
    gc_set_field(m, gc_ref(*node), MT_RIGHT, r);
    gc_set_word(gc_ref(*node), MT_IJ, mt_ij(0, (uint32_t)depth)); /* i stays 0 */
    mt_populate(t, depth - 1, &l);
    mt_populate(t, depth - 1, &r);
    gc_roots_restore(m, saved);
}

/* Bottom-up: both subtrees, then a hole, then the inner node. Returns an
 * unrooted value: the caller roots it at once. */
static gc_value mt_make_tree(mt_thread *t, int depth)
{
    if (depth <= 0)
        return mt_new_node(t);
    gc_mutator *m = t->m;
    size_t saved = gc_roots_save(m);
    gc_value l = GC_NIL, r = GC_NIL;
    gc_root(m, &l);
    gc_root(m, &r);
    l = mt_make_tree(t, depth - 1);
    r = mt_make_tree(t, depth - 1);
    gc_safepoint(m); /* a stop waits at most one node for this thread */
    mt_hole(t);
    gc_object *n = gc_ref(mt_new_node(t)); /* may move l and r */
    gc_set_field(m, n, MT_LEFT, l);
    gc_set_field(m, n, MT_RIGHT, r);
    gc_set_word(n, MT_IJ, mt_ij(0, (uint32_t)depth));
    gc_roots_restore(m, saved);
    return gc_value_of(n);
}

/* ---- Checks (no allocation) ---------------------------------------------------- */

/* A well-formed tree of this depth: every node a Node with i = 0 and j = its
 * depth, two children above the leaves, none at them. Recursion is bounded
 * by depth, so a corrupted (cyclic) structure cannot make it loop. */
static bool mt_check_tree(uint32_t node_type, gc_value v, int depth)
{
    if (!wl_is_type(v, node_type))
        return false;
    gc_object *n = gc_ref(v);
    if (gc_words(n)[MT_IJ] != mt_ij(0, (uint32_t)depth))
        return false;
    gc_value l = gc_field(n, MT_LEFT), r = gc_field(n, MT_RIGHT);
    if (depth == 0)
        return gc_is_nil(l) && gc_is_nil(r);
    return mt_check_tree(node_type, l, depth - 1) && mt_check_tree(node_type, r, depth - 1);
}

static double mt_array_value(uint64_t k, uint64_t len)
{
    return k < len / 2 ? 1.0 / (double)k : 0.0;
}

/* mt_check_tree as a wl_walk_tree visitor (threaded runs: the walk polls
 * safepoints, so checking a deep tree never holds up another thread's
 * collection). The same verdict: a node of the right depth at every level
 * down to `depth`, nil below. */
typedef struct mt_walk {
    uint32_t node_type;
    int depth;
    bool ok;
} mt_walk;

static bool mt_check_visit(gc_value v, unsigned level, void *arg)
{
    mt_walk *w = arg;
    if ((int)level > w->depth) {
        w->ok &= gc_is_nil(v);
        return false;
    }
    if (!wl_is_type(v, w->node_type) || gc_words(gc_ref(v))[MT_IJ] != mt_ij(0, (uint32_t)(w->depth - (int)level))) {
        w->ok = false;
        return false;
    }
    return true;
}

static bool mt_check_tree_at(const mt_thread *t, gc_value v, int depth)
{
    if (!t->poll)
        return mt_check_tree(t->node_type, v, depth);
    mt_walk w = {.node_type = t->node_type, .depth = depth, .ok = true};
    wl_walk_tree(t->m, v, (unsigned)depth, MT_LEFT, MT_RIGHT, mt_check_visit, &w);
    return w.ok;
}

/* Polls every MT_POLL_WORDS words of the array in threaded runs (the
 * array is re-read from its root slot after each poll). */
#define MT_POLL_WORDS 4096

static bool mt_check_array(const mt_thread *t, const gc_value *slot, uint64_t len)
{
    gc_value v = *slot;
    if (!wl_is_type(v, GC_TYPE_VALUE_ARRAY) || gc_object_length(gc_ref(v)) != len + 1 ||
        gc_words(gc_ref(v))[0] != len)
        return false;
    bool ok = true;
    for (uint64_t k = 0; k < len; k++) {
        if (t->poll && k % MT_POLL_WORDS == 0)
            gc_safepoint(t->m);
        ok &= gc_doubles(gc_ref(*slot))[1 + k] == mt_array_value(k, len);
    }
    return ok;
}

/* Damages this thread's long-lived data (see the debug hook above). */
static void mt_corrupt(mt_thread *t, gc_value *ll, gc_value *arr)
{
    gc_mutator *m = t->m;
    if (t->corrupt == 2) {
        gc_object *left = gc_ref(gc_field(gc_ref(*ll), MT_LEFT));
        gc_set_field(m, left, MT_RIGHT, GC_NIL);
    } else if (t->corrupt == 3) {
        gc_doubles(gc_ref(*arr))[1 + t->p->array_len / 4] += 1.0;
    } else {
        gc_object *n = gc_ref(*ll);
        while (!gc_is_nil(gc_field(n, MT_RIGHT)))
            n = gc_ref(gc_field(n, MT_RIGHT));
        gc_set_word(n, MT_IJ, gc_words(n)[MT_IJ] | 1u); /* i = 1 */
    }
}

/* ---- The workload ---------------------------------------------------------------------- */

typedef struct mt_job {
    const mt_params *p;
    uint32_t node_type;
    int corrupt;
    bool poll;          /* several threads: long loops poll safepoints */
    mt_result *results; /* one per thread, written only by that thread */
} mt_job;

/* Whippet's run_one_test, on this thread's own mutator. */
static void mt_run_one(gc_mutator *m, unsigned index, void *arg)
{
    mt_job *job = arg;
    const mt_params *p = job->p;
    mt_result *res = &job->results[index];
    mt_thread t = {.m = m, .node_type = job->node_type, .p = p, .corrupt = job->corrupt, .poll = job->poll};
    res->ran = true;

    size_t saved = gc_roots_save(m);
    gc_value ll = GC_NIL, temp = GC_NIL, array = GC_NIL;
    gc_root(m, &ll);
    gc_root(m, &temp);
    gc_root(m, &array);

    /* 1. The long-lived tree. */
    ll = mt_new_node(&t);
    mt_populate(&t, p->longlived_depth, &ll);

    /* 2. The long-lived array, half filled. */
    array = gc_value_of(gc_alloc_value_array(m, p->array_len + 1));
    gc_set_word(gc_ref(array), 0, p->array_len);
    for (uint64_t k = 0; k < p->array_len / 2; k++) {
        if (t.poll && k % MT_POLL_WORDS == 0)
            gc_safepoint(m); /* the array may move: re-read below */
        gc_doubles(gc_ref(array))[1 + k] = 1.0 / (double)k;
    }
    gc_safepoint(m);

    /* 3. Temporary trees; the last of each phase is checked. */
    for (int d = MT_MIN_DEPTH; d <= p->max_depth; d += MT_DEPTH_STEP) {
        uint64_t iters = mt_num_iters(p, d);
        for (int bottom_up = 0; bottom_up <= 1; bottom_up++) {
            for (uint64_t k = 0; k < iters; k++) {
                if (bottom_up) {
                    temp = mt_make_tree(&t, d);
                } else {
                    temp = mt_new_node(&t);
                    mt_populate(&t, d, &temp);
                }
                if (k + 1 == iters) {
                    res->temp_checked++;
                    if (!mt_check_tree_at(&t, temp, d) && res->temp_bad++ == 0)
                        wl_note(res->first, sizeof res->first, "%s tree of depth %d bad",
                                bottom_up ? "bottom-up" : "top-down", d);
                }
                temp = GC_NIL;
                gc_safepoint(m);
            }
        }
    }

    /* 4. Verify this thread's long-lived data. Nothing here allocates. */
    if (t.corrupt)
        mt_corrupt(&t, &ll, &array);
    res->ll_ok = mt_check_tree_at(&t, ll, p->longlived_depth);
    if (!res->ll_ok)
        wl_note(res->first, sizeof res->first, "long-lived tree of depth %d bad", p->longlived_depth);
    res->array_ok = mt_check_array(&t, &array, p->array_len);
    if (!res->array_ok)
        wl_note(res->first, sizeof res->first, "long-lived array bad");

    gc_roots_restore(m, saved);
}

static int mt_gcbench_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    wl_detail d;
    wl_detail_init(&d, res);
    if ((unsigned)cfg->size >= sizeof mt_sizes / sizeof mt_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    unsigned n;
    if (!wl_thread_count(cfg, "mt-gcbench", res, &n))
        return WL_ERR_INPUT;
    uint32_t node_type = wl_register_type(&d, "MtNode", "rri");
    if (node_type == GC_TYPE_INVALID)
        return -1;
    mt_result *results = calloc(n, sizeof *results);
    if (results == NULL) {
        wl_detail_add(&d, "out of memory for %u threads", n);
        return 1;
    }
    const mt_params *p = &mt_sizes[cfg->size];
    mt_job job = {.p = p, .node_type = node_type, .corrupt = wl_corrupt_mode(cfg->debug_corrupt, 3),
                  .poll = n > 1, .results = results};
    if (wl_run_threads(m, n, mt_run_one, &job, &d) != 0) {
        free(results);
        return 1;
    }

    unsigned ll_bad = 0, array_bad = 0, temp_checked = 0, temp_bad = 0, first_bad = n;
    for (unsigned i = 0; i < n; i++) {
        ll_bad += !results[i].ll_ok;
        array_bad += !results[i].array_ok;
        temp_checked += results[i].temp_checked;
        temp_bad += results[i].temp_bad;
        if (first_bad == n && (!results[i].ll_ok || !results[i].array_ok || results[i].temp_bad))
            first_bad = i;
    }
    wl_detail_add(&d, "%u thread%s", n, n == 1 ? "" : "s");
    if (ll_bad == 0)
        wl_detail_add(&d, "long-lived trees (%" PRIu64 " nodes each) ok",
                      mt_tree_size(p->longlived_depth));
    else
        wl_detail_add(&d, "long-lived tree FAILED in %u/%u threads", ll_bad, n);
    if (array_bad == 0)
        wl_detail_add(&d, "arrays of %" PRIu64 " ok", p->array_len);
    else
        wl_detail_add(&d, "array FAILED in %u/%u threads", array_bad, n);
    if (temp_bad == 0)
        wl_detail_add(&d, "%u temp trees ok", temp_checked);
    else
        wl_detail_add(&d, "%u/%u temp trees FAILED", temp_bad, temp_checked);
    if (first_bad < n)
        wl_detail_add(&d, "first: thread %u %s", first_bad,
                      results[first_bad].ran ? results[first_bad].first : "did not run");
    res->verified = ll_bad == 0 && array_bad == 0 && temp_bad == 0;
    free(results);
    return WL_OK;
}

const wl_workload wl_mt_gcbench = {
    .name = "mt-gcbench",
    .description = "Whippet's multi-threaded GCBench: 32-byte nodes, power-law garbage holes, "
                   "no stretch tree; each of --threads runs the whole benchmark",
    .run = mt_gcbench_run,
};
