/* bench/peers/peer_mt_gcbench.c — Whippet's multi-threaded GCBench on the
 * Boehm-Demers-Weiser collector with N mutator threads in one shared heap,
 * the reference for gcbench's future `mt-gcbench` workload (issue 14).
 *
 * Parameters are those of benchmarks/mt-gcbench.c in wingo/whippet (with its
 * object layouts from benchmarks/mt-gcbench-types.h and its libgc settings
 * from src/bdw.c), read at commit 675d8d649a05 (mt-gcbench.c); this file is
 * written from that description, not copied:
 *  - long-lived tree depth 16, long-lived array of 500,000 doubles of which
 *    only the first half is filled (values[k] = 1.0/k, k = 0 gives +inf),
 *    temporary trees of depth 4, 6, ..., 16, each depth NumIters(d) =
 *    2 * TreeSize(16 + 2) / TreeSize(d) times top-down (populate) and as many
 *    bottom-up (make_tree): the iteration counts of classic GCBench with
 *    stretch depth 18 (33824, 8256, 2052, 512, 128, 32, 8), but NO stretch
 *    tree is built;
 *  - 32-byte nodes {header word, left, right, int i, int j}; a node's i
 *    stays 0 and j is its depth (0 at the leaves);
 *  - a "hole" before nodes: a pointer-bearing garbage object {header,
 *    length, length words}, length drawn from a fixed 256-entry power-law
 *    table (values 0..36; 0 means no hole), a per-thread counter walking the
 *    table cyclically from 0. Top-down, a hole precedes each child node
 *    (not the tree's root); bottom-up, one precedes each inner node (not the
 *    leaves). The long-lived tree is built top-down, so it gets holes too.
 *    The table is the same as Whippet's (it is data: the benchmark is not
 *    the same benchmark with other numbers);
 *  - THREADS threads (1..256) each run the WHOLE benchmark (their own
 *    long-lived tree and array, their own temporary trees), so the work and
 *    the live data scale with the thread count; thread 0 is the main thread,
 *    the others are started with GC_pthread_create and joined with
 *    GC_pthread_join;
 *  - libgc as Whippet's bdw backend configures it: all-interior-pointers off
 *    (a 32-byte node takes a 32-byte granule, not 48), thread-local
 *    allocation (GC_THREADS), the double array atomic and zeroed, holes and
 *    nodes pointer-bearing and zeroed.
 *
 * Differences, documented:
 *  - Heap size: Whippet's mt-gcbench always runs a fixed heap of MULTIPLIER
 *    * THREADS * max-live (max-live = 2 * TreeSize(16) * 32 + 16 + 8 * 500000
 *    = 12,388,560 bytes; holes not counted). Here the heap grows by
 *    libgc's own policy, like bdw_gcbench, unless MULTIPLIER is given: then
 *    the heap is fixed the same way (GC_set_max_heap_size plus GC_expand_hp
 *    up front), and running out exits 3.
 *  - Verification: Whippet validates every temporary tree only in debug
 *    builds (its optimised builds define NDEBUG) and checks array[1000] at
 *    the end. Here, always: every thread's long-lived tree fully at the end
 *    (i, j, shape), its whole array (first half 1.0/k, second half 0), and
 *    the last tree of every phase (top-down and bottom-up at each depth).
 *  - Whippet allocates through its own per-thread free lists filled by
 *    GC_generic_malloc_many; here GC_MALLOC / GC_MALLOC_ATOMIC (libgc's
 *    thread-local free lists). Whippet sets GC_MARKERS to its parallelism
 *    option; here libgc's default marker count.
 *  - No per-phase progress lines; the output is gcbench's peer format.
 *  - `small` is not Whippet's (it has no sizes): long-lived and maximum
 *    depth 10, NumIters(d) = 2 * TreeSize(12) / TreeSize(d), array of 5,000
 *    doubles (half filled); the same scaling as bdw_gcbench small. For tests.
 *
 *   bdw_mt_gcbench [THREADS] [small|default] [MULTIPLIER]
 * THREADS defaults to 1, the size to default. Prints `threads N`, `wall_ns N`
 * (thread start to last join), `gc_count N`, `heap_bytes N` and
 * `verified 1|0`; exit 4 if any thread's check fails, 2 on bad arguments,
 * 3 if a fixed heap is exhausted.
 */
#define GC_THREADS 1
#include <gc.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 256

/* Header words, standing in for Whippet's tag word (written on allocation). */
enum { TAG_NODE = 1, TAG_ARRAY = 2, TAG_HOLE = 3 };

typedef struct Node {
    uintptr_t tag;
    struct Node *left, *right;
    int i, j;
} Node;

typedef struct {
    uintptr_t tag;
    size_t length;
    double values[];
} DoubleArray;

typedef struct {
    uintptr_t tag;
    size_t length;
    uintptr_t words[];
} Hole;

_Static_assert(sizeof(Node) == 32, "mt-gcbench's node is 32 bytes");

/* Power-law hole lengths in words (Whippet's table: each entry counts the
 * failed draws of p = 0.15 before a success). */
static const uint8_t hole_words[256] = {
    1,  15, 3,  12, 2,  8,  4,  0,  18, 7,  9,  8,  15, 2,  36, 5,  1,  9,  6,  11, 9,  19, 2,  0,  0,  3,
    9,  6,  3,  2,  1,  1,  6,  1,  8,  4,  2,  0,  5,  3,  7,  0,  0,  3,  0,  4,  1,  7,  1,  8,  2,  2,
    2,  14, 0,  7,  8,  0,  2,  1,  4,  12, 7,  5,  0,  3,  4,  13, 10, 2,  3,  7,  0,  8,  0,  23, 0,  16,
    1,  1,  6,  28, 1,  18, 0,  3,  6,  5,  8,  6,  14, 5,  2,  5,  0,  11, 0,  18, 4,  16, 1,  4,  3,  13,
    3,  23, 7,  4,  10, 5,  3,  13, 0,  14, 5,  5,  2,  5,  0,  16, 2,  0,  1,  1,  0,  0,  4,  2,  7,  7,
    0,  5,  7,  2,  1,  24, 27, 3,  7,  1,  0,  8,  1,  4,  0,  3,  0,  7,  7,  3,  9,  2,  9,  2,  5,  10,
    1,  1,  12, 6,  2,  9,  5,  0,  4,  6,  0,  7,  2,  1,  5,  4,  1,  0,  1,  15, 4,  0,  15, 4,  0,  0,
    32, 18, 2,  2,  1,  7,  8,  3,  11, 1,  2,  7,  11, 1,  9,  1,  2,  6,  11, 17, 1,  2,  5,  1,  14, 3,
    6,  1,  1,  15, 3,  1,  0,  6,  10, 8,  1,  3,  2,  7,  0,  1,  0,  11, 3,  3,  5,  8,  2,  0,  0,  7,
    12, 2,  5,  20, 3,  7,  4,  4,  5,  22, 1,  5,  2,  7,  15, 2,  4,  6,  11, 8,  12, 1};

/* The benchmark's sizes (set once in main, read by every thread). */
static int longlived_depth = 16, max_depth = 16, iters_depth = 18;
static long array_len = 500000;

/* Per-thread state. In static storage, which libgc scans: the long-lived
 * tree and array stay reachable through it while the thread runs. */
struct mt_thread {
    pthread_t tid;
    unsigned hole_counter;
    Node *long_lived;
    DoubleArray *array;
    int ok;
};
static struct mt_thread threads[MAX_THREADS];

static void out_of_memory(void)
{
    fprintf(stderr, "peer_mt_gcbench: heap exhausted (%zu bytes)\n", GC_get_heap_size());
    exit(3);
}

static long tree_size(int d) { return (1L << (d + 1)) - 1; }

static Node *new_node(void)
{
    Node *n = GC_MALLOC(sizeof *n); /* zeroed: left = right = NULL, i = j = 0 */
    if (!n)
        out_of_memory();
    n->tag = TAG_NODE;
    return n;
}

static void allocate_hole(struct mt_thread *t)
{
    size_t words = hole_words[t->hole_counter++ & 0xff];
    if (words == 0)
        return;
    Hole *h = GC_MALLOC(sizeof *h + words * sizeof(uintptr_t));
    if (!h)
        out_of_memory();
    h->tag = TAG_HOLE;
    h->length = words;
}

/* Top-down: n's children are allocated (each after a hole) and linked, then
 * filled in recursively. */
static void populate(struct mt_thread *t, int depth, Node *n)
{
    if (depth <= 0)
        return;
    allocate_hole(t);
    n->left = new_node();
    allocate_hole(t);
    n->right = new_node();
    n->j = depth;
    populate(t, depth - 1, n->left);
    populate(t, depth - 1, n->right);
}

/* Bottom-up: both subtrees first, then a hole and the inner node. */
static Node *make_tree(struct mt_thread *t, int depth)
{
    if (depth <= 0)
        return new_node();
    Node *l = make_tree(t, depth - 1);
    Node *r = make_tree(t, depth - 1);
    allocate_hole(t);
    Node *n = new_node();
    n->left = l;
    n->right = r;
    n->j = depth;
    return n;
}

/* A well-formed tree of this depth: every node a Node with i = 0 and j = its
 * depth, two children above the leaves and none at them. */
static int check_tree(const Node *n, int depth)
{
    if (!n || n->tag != TAG_NODE || n->i != 0 || n->j != depth)
        return 0;
    if (depth == 0)
        return !n->left && !n->right;
    return check_tree(n->left, depth - 1) && check_tree(n->right, depth - 1);
}

static int check_array(const DoubleArray *a)
{
    if (!a || a->tag != TAG_ARRAY || a->length != (size_t)array_len)
        return 0;
    int ok = 1;
    for (long k = 0; k < array_len; k++)
        ok &= a->values[k] == (k < array_len / 2 ? 1.0 / (double)k : 0.0);
    return ok;
}

static void *run_benchmark(void *arg)
{
    struct mt_thread *t = arg;
    int ok = 1;
    t->long_lived = new_node();
    populate(t, longlived_depth, t->long_lived);

    size_t bytes = sizeof(DoubleArray) + sizeof(double) * (size_t)array_len;
    DoubleArray *a = GC_MALLOC_ATOMIC(bytes);
    if (!a)
        out_of_memory();
    memset(a, 0, bytes); /* atomic memory is not cleared; Whippet's bdw clears it */
    a->tag = TAG_ARRAY;
    a->length = (size_t)array_len;
    t->array = a;
    for (long k = 0; k < array_len / 2; k++)
        a->values[k] = 1.0 / (double)k;
    a = NULL;

    for (int d = 4; d <= max_depth; d += 2) {
        long iters = 2 * tree_size(iters_depth) / tree_size(d);
        Node *tmp = NULL;
        for (long k = 0; k < iters; k++) {
            tmp = new_node();
            populate(t, d, tmp);
        }
        ok &= check_tree(tmp, d);
        for (long k = 0; k < iters; k++)
            tmp = make_tree(t, d);
        ok &= check_tree(tmp, d);
    }
    ok &= check_tree(t->long_lived, longlived_depth);
    ok &= check_array(t->array);
    t->ok = ok;
    return NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: bdw_mt_gcbench [THREADS (1..%d)] [small|default] [MULTIPLIER (0.1..100)]\n",
            MAX_THREADS);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 4)
        return usage();
    long nthreads = 1;
    if (argc > 1) {
        char *end;
        errno = 0;
        nthreads = strtol(argv[1], &end, 10);
        if (errno || end == argv[1] || *end || nthreads < 1 || nthreads > MAX_THREADS)
            return usage();
    }
    const char *size = argc > 2 ? argv[2] : "default";
    if (strcmp(size, "small") == 0) {
        longlived_depth = max_depth = 10, iters_depth = 12, array_len = 5000;
    } else if (strcmp(size, "default") != 0) {
        fprintf(stderr, "peer_mt_gcbench: size must be small or default\n");
        return 2;
    }
    double multiplier = 0;
    if (argc > 3) {
        char *end;
        multiplier = strtod(argv[3], &end);
        if (end == argv[3] || *end || !(multiplier > 0.1 && multiplier < 100))
            return usage();
    }

    GC_set_all_interior_pointers(0); /* before GC_INIT, as Whippet's bdw.c */
    GC_INIT();
    if (multiplier > 0) {
        size_t max_live = (size_t)(tree_size(longlived_depth) + tree_size(max_depth)) * sizeof(Node) +
                          sizeof(DoubleArray) +
                          sizeof(double) * (size_t)array_len;
        size_t heap = (size_t)((double)max_live * multiplier * (double)nthreads);
        GC_set_max_heap_size(heap);
        size_t cur = GC_get_heap_size();
        if (heap > cur)
            GC_expand_hp(heap - cur);
    }

    uint64_t t0 = now_ns();
    for (long k = 1; k < nthreads; k++) {
        int err = GC_pthread_create(&threads[k].tid, NULL, run_benchmark, &threads[k]);
        if (err) {
            fprintf(stderr, "peer_mt_gcbench: cannot start thread %ld: %s\n", k, strerror(err));
            return 1;
        }
    }
    run_benchmark(&threads[0]);
    for (long k = 1; k < nthreads; k++) {
        int err = GC_pthread_join(threads[k].tid, NULL);
        if (err) {
            fprintf(stderr, "peer_mt_gcbench: cannot join thread %ld: %s\n", k, strerror(err));
            return 1;
        }
    }
    uint64_t wall = now_ns() - t0;

    int ok = 1;
    for (long k = 0; k < nthreads; k++)
        ok &= threads[k].ok;
    printf("threads %ld\nwall_ns %llu\ngc_count %lu\nheap_bytes %zu\nverified %d\n", nthreads,
           (unsigned long long)wall, (unsigned long)GC_get_gc_no(), GC_get_heap_size(), ok);
    return ok ? 0 : 4;
}
