/* workloads/trees.c — "trees": Boehm's GCBench binary-trees benchmark.
 *
 * What it models
 *   GCBench (Hans Boehm, after John Ellis and Pete Kovac's Java benchmark;
 *   http://www.hboehm.info/gc/gc_bench.html; see docs/workloads.md): a
 *   program that allocates huge numbers of short-lived binary trees of
 *   varying sizes while a long-lived tree and a large pointer-free array stay
 *   live. It exercises allocation speed, tracing of pointer-rich structures,
 *   reclamation of young garbage, and (for generational collectors) the cost
 *   of old data the collector must not keep re-tracing. Trees are built both
 *   top-down (Populate: parent first, then children linked into it — old
 *   objects point at younger ones, the write-barrier-heavy case) and
 *   bottom-up (MakeTree: children first, then the parent pointing at them —
 *   young objects point at older ones).
 *
 * Phases (as in GCBench)
 *   1. Stretch: build a tree of depth `stretch` bottom-up and drop it.
 *   2. Build the long-lived tree of depth `longlived` top-down; every node
 *      gets distinct i/j contents (see below) and a checksum is taken.
 *   3. Allocate the long-lived value array of `array` doubles, element k set
 *      to 1.0/(k+1).
 *   4. For d = 4, 6, ..., max_depth: NumIters(d) = 2*TreeSize(stretch) /
 *      TreeSize(d) trees of depth d built top-down and dropped one by one,
 *      then as many built bottom-up. TreeSize(i) = 2^(i+1) - 1 nodes.
 *   5. Verify (below).
 *
 * Objects
 *   Node: record type "Node", layout "rri" = {left, right: references;
 *   ij: one raw 64-bit word, i in the low 32 bits and j in the high 32} =
 *   8-byte header + 3 * 8 = 32 bytes: GCBench's own node (two pointers and
 *   two ints) with our header word, so collectors and the peers allocate the
 *   same bytes per node. 32 bytes is a size class of core/sizeclass.h.
 *   The array: one value array, 8 + 8 * n bytes (a large object at default
 *   and large sizes).
 *
 * Parameters, allocation volume and live size (32-byte nodes)
 *
 *   size     stretch longlived  array      depths  temp trees  nodes total  bytes allocated
 *   small       12       10       5,000    4..10       1,392       140,942    4,550,152 (4.3 MiB)
 *   default     18       16     500,000    4..16      89,624    15,333,862  494,683,592 (472 MiB)
 *   large       20       18   2,000,000    4..18     358,524    69,724,802  2,247,193,672 (2.1 GiB)
 *
 *   Iterations per depth: small 528/128/32/8; default 33824/8256/2052/512/
 *   128/32/8; large 135300/33026/8208/2048/512/128/32/8 (each top-down and
 *   again bottom-up).
 *
 *   Maximum live size is the stretch tree (nothing else is live then):
 *     small 262,112 B (256 KiB), default 16,777,184 B (16.0 MiB),
 *     large 67,108,832 B (64.0 MiB).
 *   Steady-state maximum (long-lived tree + array + the largest temp tree):
 *     small 171,016 B (167 KiB), default 12,388,552 B (11.8 MiB),
 *     large 49,554,376 B (47.3 MiB).
 *   Measured minimum heaps for marksweep (scripts/min-heap, 64K
 *   resolution): small 256K, default 16M, large 64M (the default limit,
 *   with nothing to spare). A semispace copying collector needs about twice
 *   that, since its footprint counts both semispaces.
 *
 * Verification (what catches a collector that loses or corrupts objects)
 *   - Long-lived tree: node number k in preorder (root = 0) at level L holds
 *     i = low 32 bits of mix(seed, k) and j = k << 8 | L (below 2^32 at
 *     every size). At the end the tree is walked in
 *     preorder: every node must be a Node with exactly those contents, inner
 *     nodes must have two children and leaves none, the node count must be
 *     TreeSize(longlived), and the checksum over (i, j) in preorder must equal
 *     the one computed while building it.
 *   - Array: every element must equal 1.0/(k+1) exactly.
 *   - The stretch tree and the last tree built at every depth (top-down and
 *     bottom-up) are counted before they are dropped: TreeSize(d) Nodes, no
 *     node below depth d.
 *   The seed only changes the i values of the long-lived tree; the structure
 *   and the allocation sequence are fixed.
 *
 * Threads (wl_config.threads = N > 1; 0 or 1 = one thread, the path above)
 *   As in Whippet's mt-gcbench, the long-lived data is shared: phases 1-3
 *   run once on the calling thread, the long-lived tree and array are held
 *   in global root slots (gc_heap_add_root), and then each of N threads
 *   (the calling thread plus N-1 started by wl_run_threads, each attaching
 *   its own mutator) runs phase 4 on its own temporary trees, checking the
 *   last tree of each depth and direction as above, and glancing at the
 *   shared tree's root node and the array's ends after every depth. The
 *   calling thread waits for the others inactive (gc_mutator_join), then
 *   verifies the shared data as above. Allocation: the stretch tree,
 *   long-lived tree and array once (10,239 objects, 449,528 bytes at small)
 *   plus N times the temporary trees: per thread 130,704 / 14,678,504 /
 *   67,103,364 Nodes (5,228,160 / 587,140,160 / 2,684,134,560 bytes) at
 *   small / default / large. The live size grows by one temporary tree per
 *   extra thread.
 *
 * Rooting
 *   The collector may move objects and may collect at any allocation (stress
 *   mode). Every gc_value that must survive an allocation is in a root slot
 *   (gc_root) and is re-read through it; no gc_object* is held across an
 *   allocation or a safepoint. Recursion depth is at most the tree depth (two
 *   root slots per level).
 *
 * Debug hook
 *   wl_config.debug_corrupt (--debug-corrupt=N) makes the workload damage
 *   its own long-lived data just before verification, so tests can check
 *   that the verification really fails (see corrupt_for_test).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

/* Debug hook for tests (wl_config.debug_corrupt; not for benchmarking).
 * When nonzero, the workload corrupts its long-lived data after phase 4,
 * just before verification, through ordinary mutator operations:
 *   1  flip bits of the raw field i of one long-lived tree node (the last
 *      node in preorder) — must fail the contents and checksum checks;
 *   2  cut a link: store nil into the right child of the long-lived root's
 *      left child — must fail the shape and node-count checks;
 *   3  change one element of the long-lived array — must fail the array check;
 *   any other nonzero value behaves like 1.
 * A run with the hook set reports verified == false. */

/* ---- Parameters ----------------------------------------------------------- */

enum { TREES_MIN_DEPTH = 4, TREES_DEPTH_STEP = 2 };

typedef struct trees_params {
    int stretch_depth;
    int longlived_depth;
    uint64_t array_len;
    int max_depth;
} trees_params;

static const trees_params trees_sizes[] = {
    [WL_SIZE_SMALL] = {12, 10, 5000, 10},
    [WL_SIZE_DEFAULT] = {18, 16, 500000, 16},
    [WL_SIZE_LARGE] = {20, 18, 2000000, 18},
};

/* Node fields. */
/* Node fields: GCBench's {left, right, int i, int j}, i in the low half of
 * the raw word NODE_IJ and j in the high half. */
enum { NODE_LEFT = 0, NODE_RIGHT = 1, NODE_IJ = 2, NODE_FIELDS = 3 };

static uint64_t tree_size(int depth) { return ((uint64_t)1 << (depth + 1)) - 1; }

static uint64_t num_iters(const trees_params *p, int depth)
{
    return 2 * tree_size(p->stretch_depth) / tree_size(depth);
}

/* ---- Long-lived tree labels and checksum ------------------------------------ */

/* GCBench's i and j are ints: 32-bit labels, both in one raw word. j fits:
 * k < 2^19 and level < 2^8 at every size. */
static uint32_t label_i(uint64_t seed, uint64_t k) { return (uint32_t)wl_mix64(seed ^ wl_mix64(k)); }
static uint32_t label_j(uint64_t k, unsigned level) { return (uint32_t)(k << 8 | level); }
static uint64_t node_ij(uint32_t i, uint32_t j) { return (uint64_t)i | (uint64_t)j << 32; }
static uint32_t node_i(gc_object *n) { return (uint32_t)gc_words(n)[NODE_IJ]; }
static uint32_t node_j(gc_object *n) { return (uint32_t)(gc_words(n)[NODE_IJ] >> 32); }

/* Order-sensitive (wl_hash_word), so the preorder walk also checks shape. */
static uint64_t checksum_step(uint64_t h, uint64_t i, uint64_t j)
{
    return wl_hash_word(wl_hash_word(h, i), j);
}

/* ---- Construction ------------------------------------------------------------ */

typedef struct trees_ctx {
    gc_mutator *m;
    uint32_t node_type;
    /* labelling of the long-lived tree (populate with label = true) */
    bool label;
    uint64_t seed;
    uint64_t next_index;
    uint64_t checksum;
    bool poll_checks; /* threaded runs: checks poll safepoints (wl_walk_tree) */
} trees_ctx;

/* Returns a fresh, unrooted Node: store it in a root slot before the next
 * allocation. */
static inline gc_object *alloc_node(trees_ctx *c)
{
    /* The layout is fixed ("rri"), so the size folds to a constant. */
    return gc_alloc_object(c->m, c->node_type, GC_KIND_RECORD, NODE_FIELDS);
}
static inline gc_value new_node(trees_ctx *c) { return gc_value_of(alloc_node(c)); }

/* GCBench Populate: *node (a root slot) is an allocated Node; give it two
 * children, then populate them, down to depth 0. Parents are allocated
 * before their children. With c->label set, each node gets its preorder
 * label when it is visited. */
static void populate(trees_ctx *c, int depth, gc_value *node, unsigned level)
{
    gc_mutator *m = c->m;
    if (c->label) {
        uint64_t k = c->next_index++;
        uint32_t i = label_i(c->seed, k), j = label_j(k, level);
        gc_set_word(gc_ref(*node), NODE_IJ, node_ij(i, j));
        c->checksum = checksum_step(c->checksum, i, j);
    }
    if (depth <= 0)
        return;

    size_t saved = gc_roots_save(m);
    gc_value left = GC_NIL, right = GC_NIL;
    gc_root(m, &left);
    gc_root(m, &right);

    gc_safepoint(m); /* with threads: a stop waits at most one node for us */
    left = new_node(c);
    gc_set_field(m, gc_ref(*node), NODE_LEFT, left);
    right = new_node(c);
    gc_set_field(m, gc_ref(*node), NODE_RIGHT, right);
    populate(c, depth - 1, &left, level + 1);
    populate(c, depth - 1, &right, level + 1);

    gc_roots_restore(m, saved);
}

/* GCBench MakeTree: children first, then the parent pointing at them.
 * Returns an unrooted value: the caller stores it in a root slot at once. */
static gc_value make_tree(trees_ctx *c, int depth)
{
    if (depth <= 0)
        return new_node(c);

    gc_mutator *m = c->m;
    size_t saved = gc_roots_save(m);
    gc_value left = GC_NIL, right = GC_NIL;
    gc_root(m, &left);
    gc_root(m, &right);

    left = make_tree(c, depth - 1);
    right = make_tree(c, depth - 1);
    gc_safepoint(m); /* with threads: a stop waits at most one node for us */
    gc_object *n = alloc_node(c); /* may move left/right */
    gc_set_field(m, n, NODE_LEFT, left);
    gc_set_field(m, n, NODE_RIGHT, right);

    gc_roots_restore(m, saved);
    return gc_value_of(n);
}

/* ---- Checking (no allocation: raw pointers are safe here) --------------------- */

static bool is_node(const trees_ctx *c, gc_value v)
{
    return gc_is_ref(v) && gc_header_type(gc_ref(v)->header) == c->node_type;
}

/* Counts the Nodes of a tree that should have depth `depth`; sets *bad when
 * something other than a Node is reachable or a node sits below depth 0
 * (the bound also keeps a corrupted, cyclic structure from looping). */
static uint64_t count_nodes(const trees_ctx *c, gc_value v, int depth, bool *bad)
{
    if (gc_is_nil(v))
        return 0;
    if (depth < 0 || !is_node(c, v)) {
        *bad = true;
        return 0;
    }
    gc_object *n = gc_ref(v);
    return 1 + count_nodes(c, gc_field(n, NODE_LEFT), depth - 1, bad) +
           count_nodes(c, gc_field(n, NODE_RIGHT), depth - 1, bad);
}

/* count_nodes as a wl_walk_tree visitor (threaded runs): the same count
 * and the same idea of bad. */
typedef struct count_walk {
    const trees_ctx *c;
    int depth;
    uint64_t count;
    bool bad;
} count_walk;

static bool count_visit(gc_value v, unsigned level, void *arg)
{
    count_walk *w = arg;
    if (gc_is_nil(v))
        return false;
    if ((int)level > w->depth || !is_node(w->c, v)) {
        w->bad = true;
        return false;
    }
    w->count++;
    return true;
}

/* The temporary trees' check: with threads it polls safepoints, so a deep
 * tree's check never holds up another thread's collection. */
static uint64_t count_tree(const trees_ctx *c, const gc_value *slot, int depth, bool *bad)
{
    if (!c->poll_checks)
        return count_nodes(c, *slot, depth, bad);
    count_walk w = {.c = c, .depth = depth};
    wl_walk_tree(c->m, *slot, (unsigned)depth, NODE_LEFT, NODE_RIGHT, count_visit, &w);
    *bad |= w.bad;
    return w.count;
}

typedef struct ll_check {
    uint64_t seed;
    uint32_t node_type;
    uint64_t count;     /* nodes visited, = next expected preorder index */
    uint64_t checksum;
    uint64_t bad_nodes; /* nodes whose i/j differ from their label */
    uint64_t bad_shape; /* missing/extra children, non-Node referents */
    char first[96];     /* first problem, for the result detail */
} ll_check;

static void ll_walk(ll_check *lc, gc_value v, unsigned level, unsigned depth)
{
    if (!gc_is_ref(v) || gc_header_type(gc_ref(v)->header) != lc->node_type) {
        lc->bad_shape++;
        wl_note(lc->first, sizeof lc->first, "non-Node at level %u after preorder node %" PRIu64,
                level, lc->count);
        return;
    }
    gc_object *n = gc_ref(v);
    uint64_t k = lc->count++;
    uint32_t i = node_i(n), j = node_j(n);
    lc->checksum = checksum_step(lc->checksum, i, j);
    if (i != label_i(lc->seed, k) || j != label_j(k, level)) {
        lc->bad_nodes++;
        wl_note(lc->first, sizeof lc->first,
                "node %" PRIu64 " (level %u): %s differs from its label", k, level,
                i != label_i(lc->seed, k) ? (j != label_j(k, level) ? "i and j" : "i") : "j");
    }
    gc_value l = gc_field(n, NODE_LEFT), r = gc_field(n, NODE_RIGHT);
    if (level == depth) {
        if (!gc_is_nil(l) || !gc_is_nil(r)) {
            lc->bad_shape++;
            wl_note(lc->first, sizeof lc->first, "leaf node %" PRIu64 " has children", k);
        }
        return;
    }
    if (gc_is_nil(l) || gc_is_nil(r)) {
        lc->bad_shape++;
        wl_note(lc->first, sizeof lc->first, "inner node %" PRIu64 " at level %u lacks a child", k,
                level);
    }
    if (!gc_is_nil(l))
        ll_walk(lc, l, level + 1, depth);
    if (!gc_is_nil(r))
        ll_walk(lc, r, level + 1, depth);
}

/* ---- The workload ----------------------------------------------------------------- */

/* Damages the long-lived data (see wl_config.debug_corrupt). `ll` and `arr`
 * are root slots; nothing here allocates. */
static void corrupt_for_test(gc_mutator *m, int mode, gc_value *ll, gc_value *arr, uint64_t array_len)
{
    if (mode == 2) {
        gc_object *left = gc_ref(gc_field(gc_ref(*ll), NODE_LEFT));
        gc_set_field(m, left, NODE_RIGHT, GC_NIL);
    } else if (mode == 3) {
        gc_doubles(gc_ref(*arr))[array_len / 2] += 1.0;
    } else {
        gc_object *n = gc_ref(*ll); /* last node in preorder: rightmost leaf */
        while (!gc_is_nil(gc_field(n, NODE_RIGHT)))
            n = gc_ref(gc_field(n, NODE_RIGHT));
        gc_set_word(n, NODE_IJ, gc_words(n)[NODE_IJ] ^ UINT64_C(0x10)); /* a bit of i */
    }
}

/* What one thread's temporary trees (phase 4) came to. */
typedef struct trees_temp {
    unsigned checked, bad; /* trees counted, and how many were wrong */
    char first[64];        /* the first wrong one */
    /* threaded runs: glances at the shared long-lived data between depths */
    unsigned shared_seen, shared_bad;
    char shared_first[64];
} trees_temp;

/* Phase 4 at one depth: num_iters(depth) trees built top-down and dropped
 * one by one, then as many bottom-up, each in the root slot *temp; the last
 * tree of each direction is counted before it is dropped. */
static void temp_trees_at(trees_ctx *c, const trees_params *p, int depth, gc_value *temp,
                          trees_temp *t)
{
    gc_mutator *m = c->m;
    uint64_t iters = num_iters(p, depth);
    for (int bottom_up = 0; bottom_up <= 1; bottom_up++) {
        for (uint64_t it = 0; it < iters; it++) {
            if (bottom_up) {
                *temp = make_tree(c, depth);
            } else {
                *temp = new_node(c);
                populate(c, depth, temp, 0);
            }
            if (it + 1 == iters) {
                bool bad = false;
                uint64_t n = count_tree(c, temp, depth, &bad);
                t->checked++;
                if (bad || n != tree_size(depth)) {
                    if (t->bad++ == 0)
                        snprintf(t->first, sizeof t->first, "%s depth %d: %" PRIu64 " nodes%s",
                                 bottom_up ? "bottom-up" : "top-down", depth, n,
                                 bad ? ", bad shape" : "");
                }
            }
            *temp = GC_NIL;
            gc_safepoint(m);
        }
    }
}

/* ---- Several threads (wl_config.threads > 1) ------------------------------------------
 * Phases 1-3 run once on the calling thread; the long-lived tree and array
 * are then in GLOBAL root slots (gc_heap_add_root), shared by every thread.
 * Phase 4 runs on each of the N threads (trees_thread), each building its
 * own temporary trees in its own root slot: N times the temporary trees of
 * a one-thread run. Between depths each thread glances at the shared data
 * (no allocation between reading a global slot and using what it holds);
 * the full check of the shared data runs once, after the join. */

typedef struct trees_shared {
    const trees_params *p;
    uint32_t node_type;
    uint64_t seed;
    const gc_value *long_lived, *array; /* global root slots, written before the threads start */
    trees_temp *temps;                  /* one per thread, written only by that thread */
} trees_shared;

/* The shared data as one thread sees it now: the long-lived root node
 * still holds preorder label 0 and the array its first and last element. */
static void shared_glance(const trees_shared *s, trees_temp *t)
{
    gc_value ll = *s->long_lived, arr = *s->array;
    t->shared_seen++;
    if (!wl_is_type(ll, s->node_type) || node_i(gc_ref(ll)) != label_i(s->seed, 0) ||
        node_j(gc_ref(ll)) != label_j(0, 0)) {
        if (t->shared_bad++ == 0)
            snprintf(t->shared_first, sizeof t->shared_first, "long-lived root node changed");
    } else if (!wl_is_type(arr, GC_TYPE_VALUE_ARRAY) || gc_object_length(gc_ref(arr)) != s->p->array_len ||
               gc_doubles(gc_ref(arr))[0] != 1.0 ||
               gc_doubles(gc_ref(arr))[s->p->array_len - 1] != 1.0 / (double)s->p->array_len) {
        if (t->shared_bad++ == 0)
            snprintf(t->shared_first, sizeof t->shared_first, "long-lived array changed");
    }
}

static void trees_thread(gc_mutator *m, unsigned index, void *arg)
{
    trees_shared *s = arg;
    trees_temp *t = &s->temps[index];
    trees_ctx c = {.m = m, .node_type = s->node_type, .seed = s->seed, .checksum = WL_HASH_INIT,
                   .poll_checks = true};
    size_t saved = gc_roots_save(m);
    gc_value temp = GC_NIL;
    gc_root(m, &temp);
    for (int depth = TREES_MIN_DEPTH; depth <= s->p->max_depth; depth += TREES_DEPTH_STEP) {
        temp_trees_at(&c, s->p, depth, &temp, t);
        shared_glance(s, t);
    }
    gc_roots_restore(m, saved);
}

static int trees_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    wl_detail d;
    wl_detail_init(&d, res);

    if ((unsigned)cfg->size >= sizeof trees_sizes / sizeof trees_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    unsigned nthreads;
    if (!wl_thread_count(cfg, "trees", res, &nthreads))
        return WL_ERR_INPUT;
    const trees_params *p = &trees_sizes[cfg->size];
    uint32_t node_type = wl_register_type(&d, "Node", "rri");
    if (node_type == GC_TYPE_INVALID)
        return -1;

    trees_ctx c = {.m = m, .node_type = node_type, .seed = cfg->seed,
                   .checksum = WL_HASH_INIT};
    bool ok = true;
    trees_temp tt = {0};

    size_t saved = gc_roots_save(m);
    gc_value long_lived = GC_NIL, array = GC_NIL, temp = GC_NIL;
    if (nthreads > 1) {
        /* Shared by every thread: global roots, not this thread's stack. */
        gc_heap_add_root(m->heap, &long_lived);
        gc_heap_add_root(m->heap, &array);
    } else {
        gc_root(m, &long_lived);
        gc_root(m, &array);
    }
    gc_root(m, &temp);

    /* 1. Stretch the heap with a tree that dies at once. */
    temp = make_tree(&c, p->stretch_depth);
    bool stretch_bad = false;
    uint64_t stretch_nodes = count_nodes(&c, temp, p->stretch_depth, &stretch_bad);
    bool stretch_ok = !stretch_bad && stretch_nodes == tree_size(p->stretch_depth);
    temp = GC_NIL;
    gc_safepoint(m);

    /* 2. The long-lived tree, labelled in preorder. */
    long_lived = new_node(&c);
    c.label = true;
    populate(&c, p->longlived_depth, &long_lived, 0);
    c.label = false;
    uint64_t built_checksum = c.checksum;
    gc_safepoint(m);

    /* 3. The long-lived array. */
    array = gc_value_of(gc_alloc_value_array(m, p->array_len));
    {
        double *a = gc_doubles(gc_ref(array));
        for (uint64_t k = 0; k < p->array_len; k++)
            a[k] = 1.0 / (double)(k + 1);
    }
    gc_safepoint(m);

    /* 4. Short-lived trees, top-down then bottom-up, at each depth: here,
     * or on every thread. */
    if (nthreads <= 1) {
        for (int depth = TREES_MIN_DEPTH; depth <= p->max_depth; depth += TREES_DEPTH_STEP)
            temp_trees_at(&c, p, depth, &temp, &tt);
    } else {
        trees_temp *temps = calloc(nthreads, sizeof *temps);
        trees_shared sh = {.p = p, .node_type = node_type, .seed = cfg->seed,
                           .long_lived = &long_lived, .array = &array, .temps = temps};
        int rc = temps ? wl_run_threads(m, nthreads, trees_thread, &sh, &d) : -1;
        if (temps == NULL)
            wl_detail_add(&d, "out of memory for %u threads", nthreads);
        for (unsigned i = 0; rc == 0 && i < nthreads; i++) {
            tt.checked += temps[i].checked;
            tt.bad += temps[i].bad;
            tt.shared_seen += temps[i].shared_seen;
            tt.shared_bad += temps[i].shared_bad;
            if (temps[i].bad)
                wl_note(tt.first, sizeof tt.first, "thread %u %s", i, temps[i].first);
            if (temps[i].shared_bad)
                wl_note(tt.shared_first, sizeof tt.shared_first, "thread %u: %s", i,
                        temps[i].shared_first);
        }
        free(temps);
        if (rc != 0) {
            gc_heap_remove_root(m->heap, &long_lived);
            gc_heap_remove_root(m->heap, &array);
            gc_roots_restore(m, saved);
            return 1;
        }
    }

    /* The benchmark ends here; GCBench's own program stops its clock here too
     * and checks the long-lived tree and the array after. */
    wl_end_timed_region(cfg);

    if (cfg->debug_corrupt != 0)
        corrupt_for_test(m, cfg->debug_corrupt, &long_lived, &array, p->array_len);

    /* 5. Verify. Nothing below allocates. */
    if (stretch_ok) {
        wl_detail_add(&d, "stretch tree %" PRIu64 " nodes ok", stretch_nodes);
    } else {
        ok = false;
        wl_detail_add(&d, "stretch tree FAILED: %" PRIu64 " nodes (expected %" PRIu64 ")%s",
                   stretch_nodes, tree_size(p->stretch_depth), stretch_bad ? ", bad shape" : "");
    }

    ll_check lc = {.seed = cfg->seed, .node_type = node_type, .checksum = WL_HASH_INIT};
    ll_walk(&lc, long_lived, 0, (unsigned)p->longlived_depth);
    uint64_t ll_expected = tree_size(p->longlived_depth);
    if (lc.count == ll_expected && lc.bad_nodes == 0 && lc.bad_shape == 0 &&
        lc.checksum == built_checksum) {
        wl_detail_add(&d, "long-lived tree %" PRIu64 " nodes ok", lc.count);
    } else {
        ok = false;
        wl_detail_add(&d, "long-lived tree FAILED: %" PRIu64 "/%" PRIu64 " nodes, %" PRIu64
                   " bad, checksum %s%s%s", lc.count, ll_expected, lc.bad_nodes,
                   lc.checksum == built_checksum ? "ok" : "mismatch",
                   lc.first[0] ? "; " : "", lc.first);
    }

    {
        gc_object *a = gc_ref(array);
        uint64_t bad = 0, first_bad = 0;
        if (!gc_is_ref(array) || gc_header_type(a->header) != GC_TYPE_VALUE_ARRAY ||
            gc_object_length(a) != p->array_len) {
            bad = 1;
            ok = false;
            wl_detail_add(&d, "array FAILED: not a value array of %" PRIu64, p->array_len);
        } else {
            const double *v = gc_doubles(a);
            for (uint64_t k = 0; k < p->array_len; k++) {
                if (v[k] != 1.0 / (double)(k + 1)) {
                    if (bad++ == 0)
                        first_bad = k;
                }
            }
            if (bad == 0) {
                wl_detail_add(&d, "array of %" PRIu64 " ok", p->array_len);
            } else {
                ok = false;
                wl_detail_add(&d, "array FAILED: %" PRIu64 " bad elements, first at %" PRIu64, bad,
                           first_bad);
            }
        }
    }

    if (tt.bad == 0) {
        if (nthreads > 1)
            wl_detail_add(&d, "%u temp trees ok (%u threads)", tt.checked, nthreads);
        else
            wl_detail_add(&d, "%u temp trees ok", tt.checked);
    } else {
        ok = false;
        wl_detail_add(&d, "%u/%u temp trees FAILED, first %s", tt.bad, tt.checked, tt.first);
    }
    if (nthreads > 1) {
        if (tt.shared_bad == 0) {
            wl_detail_add(&d, "shared tree and array seen ok %u times", tt.shared_seen);
        } else {
            ok = false;
            wl_detail_add(&d, "shared data FAILED %u/%u times, first %s", tt.shared_bad,
                          tt.shared_seen, tt.shared_first);
        }
        gc_heap_remove_root(m->heap, &long_lived);
        gc_heap_remove_root(m->heap, &array);
    }

    gc_roots_restore(m, saved);
    res->verified = ok;
    return 0;
}

const wl_workload wl_trees = {
    .name = "trees",
    .description = "GCBench binary trees (Boehm/Ellis/Kovac): short-lived trees "
                   "top-down and bottom-up beside a long-lived tree and array",
    .run = trees_run,
};
