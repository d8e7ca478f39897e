/* bench/peers/peer_gcbench.c — Boehm's GCBench outside gcbench, as the
 * reference for gcbench's `trees` workload. Same parameters and phases as
 * workloads/trees.c: stretch tree, long-lived tree, long-lived array of
 * doubles, then trees of depth 4..max (step 2) built top-down and bottom-up,
 * NumIters(d) = 2 * TreeSize(stretch) / TreeSize(d). Nodes have GCBench's
 * original layout, {left, right, int i, int j}: 24 bytes on LP64 (gcbench's
 * have a header word and 64-bit fields: 40 bytes). The layout matters for a
 * fair baseline: libgc adds a byte to every object for interior pointers, so
 * a 32-byte node (long i, j) occupies a 48-byte granule, and that peer ran
 * 1.39x slower than GCBench as written.
 *
 * One source, four programs (chosen when compiling):
 *  - PEER_BDW:      bdw_gcbench, on the Boehm-Demers-Weiser collector
 *    (GC_MALLOC nodes, GC_MALLOC_ATOMIC array, libgc's own heap growth policy;
 *    no frees), as GCBench is written.
 *  - PEER_BDW with PEER_BDW_INLINE: bdw_inline_gcbench, the same with libgc's
 *    inline allocation (gc_inline.h: GC_MALLOC_WORDS over the program's own
 *    free lists, refilled by GC_generic_malloc_many), libgc at its fastest
 *    for a one-thread client: no call and no thread-local lookup per node.
 *    The gcbench plug-in `bdw` allocates the same way (collectors/bdw.c).
 *  - PEER_MIMALLOC: mimalloc_gcbench, explicit memory management with
 *    mimalloc: every temporary tree (and the stretch tree) is freed node by
 *    node as soon as GCBench drops it, like the explicit-free build of
 *    Boehm's original GCBench.c. What a program with perfect frees pays.
 *  - otherwise:     jemalloc_gcbench, the same with jemalloc (sized frees).
 *
 *   *_gcbench [small|default|large]
 * Prints `wall_ns N` (the benchmark proper, like gcbench's wall_ns),
 * `gc_count N` (0 without a collector), `heap_bytes N` (collector heap;
 * 0 without one), `page_faults N` (getrusage minor + major faults during
 * the benchmark proper, like gcbench's page_faults) and `verified 1|0`;
 * exit 4 if the check fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#if defined(PEER_BDW) && defined(PEER_BDW_INLINE)
#include <gc.h>
#include <gc/gc_inline.h>
/* The free lists live in static data, which libgc scans: their cells stay
 * allocated across collections. */
static void *tiny_fl[GC_TINY_FREELISTS];
static void *inline_alloc(size_t bytes)
{
    void *p;
    GC_MALLOC_WORDS(p, (bytes + sizeof(void *) - 1) / sizeof(void *), tiny_fl);
    return p;
}
#define NODE_ALLOC(n) inline_alloc(n)
#define ATOMIC_ALLOC(n) GC_MALLOC_ATOMIC(n)
#define PEER_FREE(p, n) ((void)(p), (void)(n)) /* the collector reclaims */
#define PEER_EXPLICIT 0
#elif defined(PEER_BDW)
#include <gc.h>
#define NODE_ALLOC(n) GC_MALLOC(n)
#define ATOMIC_ALLOC(n) GC_MALLOC_ATOMIC(n)
#define PEER_FREE(p, n) ((void)(p), (void)(n)) /* the collector reclaims */
#define PEER_EXPLICIT 0
#elif defined(PEER_MIMALLOC)
#include <mimalloc.h>
#define NODE_ALLOC(n) mi_malloc(n)
#define ATOMIC_ALLOC(n) mi_malloc(n)
#define PEER_FREE(p, n) ((void)(n), mi_free(p))
#define PEER_EXPLICIT 1
#else
#include <jemalloc/jemalloc.h>
#define NODE_ALLOC(n) mallocx((n), 0)
#define ATOMIC_ALLOC(n) mallocx((n), 0)
#define PEER_FREE(p, n) sdallocx((p), (n), 0)
#define PEER_EXPLICIT 1
#endif

typedef struct Node {
    struct Node *left, *right;
    int i, j; /* as in GCBench.c (Boehm, Ellis, Kovac) */
} Node;

_Static_assert(sizeof(Node) == 24, "GCBench's node is two pointers and two ints");

static long tree_size(int d) { return (1L << (d + 1)) - 1; }

static Node *new_node(Node *l, Node *r)
{
    Node *n = NODE_ALLOC(sizeof *n);
    if (!n) {
        fprintf(stderr, "peer_gcbench: out of memory\n");
        exit(1);
    }
    n->left = l;
    n->right = r;
    n->i = n->j = 0;
    return n;
}

/* Frees a tree node by node (explicit builds; nothing with a collector). */
static void free_tree(Node *n)
{
#if PEER_EXPLICIT
    while (n) {
        free_tree(n->left);
        Node *r = n->right;
        PEER_FREE(n, sizeof *n);
        n = r;
    }
#else
    (void)n;
#endif
}

static void populate(int depth, Node *n)
{
    if (depth-- <= 0)
        return;
    n->left = new_node(NULL, NULL);
    n->right = new_node(NULL, NULL);
    populate(depth, n->left);
    populate(depth, n->right);
}

static Node *make_tree(int depth)
{
    if (depth <= 0)
        return new_node(NULL, NULL);
    Node *l = make_tree(depth - 1);
    Node *r = make_tree(depth - 1);
    return new_node(l, r);
}

static long count(const Node *n) { return n ? 1 + count(n->left) + count(n->right) : 0; }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int stretch = 18, longlived = 16, maxd = 16;
    long array_len = 500000;
    const char *size = argc > 1 ? argv[1] : "default";
    if (strcmp(size, "small") == 0) {
        stretch = 12, longlived = 10, maxd = 10, array_len = 5000;
    } else if (strcmp(size, "large") == 0) {
        stretch = 20, longlived = 18, maxd = 18, array_len = 2000000;
    } else if (strcmp(size, "default") != 0) {
        fprintf(stderr, "peer_gcbench: size must be small, default or large\n");
        return 2;
    }
#ifdef PEER_BDW
    GC_INIT();
#endif
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = now_ns();
    Node *tmp = make_tree(stretch);
    long stretch_nodes = count(tmp);
    free_tree(tmp);
    tmp = NULL;
    Node *ll = new_node(NULL, NULL);
    populate(longlived, ll);
    double *array = ATOMIC_ALLOC(sizeof(double) * (size_t)array_len);
    for (long k = 0; k < array_len; k++)
        array[k] = 1.0 / (double)(k + 1);
    for (int d = 4; d <= maxd; d += 2) {
        long iters = 2 * tree_size(stretch) / tree_size(d);
        for (long k = 0; k < iters; k++) {
            tmp = new_node(NULL, NULL);
            populate(d, tmp);
            free_tree(tmp);
            tmp = NULL;
        }
        for (long k = 0; k < iters; k++) {
            tmp = make_tree(d);
            free_tree(tmp);
        }
        tmp = NULL;
    }
    uint64_t wall = now_ns() - t0;
    struct rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    int ok = stretch_nodes == tree_size(stretch) && count(ll) == tree_size(longlived);
    for (long k = 0; k < array_len; k++)
        ok &= array[k] == 1.0 / (double)(k + 1);
#ifdef PEER_BDW
    unsigned long gcs = (unsigned long)GC_get_gc_no();
    size_t heap = GC_get_heap_size();
#else
    unsigned long gcs = 0;
    size_t heap = 0;
#endif
    printf("wall_ns %llu\ngc_count %lu\nheap_bytes %zu\npage_faults %ld\nverified %d\n", (unsigned long long)wall,
           gcs, heap, (ru1.ru_minflt - ru0.ru_minflt) + (ru1.ru_majflt - ru0.ru_majflt), ok);
    return ok ? 0 : 4;
}
