/* bench/peers/bdw_gcbench.c — Boehm's GCBench on the Boehm-Demers-Weiser
 * collector (libgc), as the production-collector reference for gcbench's
 * `trees` workload. Same parameters and phases as workloads/trees.c:
 * stretch tree, long-lived tree, long-lived array of doubles, then trees of
 * depth 4..max (step 2) built top-down and bottom-up, NumIters(d) =
 * 2 * TreeSize(stretch) / TreeSize(d). Nodes are 32-byte {left, right, i, j}
 * from GC_MALLOC, the array from GC_MALLOC_ATOMIC; libgc's own heap growth
 * policy decides the heap size (bdwgc has no hard limit by default).
 *
 *   bdw_gcbench [small|default|large]
 * Prints `wall_ns N` (the benchmark proper, like gcbench's wall_ns),
 * `gc_count N`, `heap_bytes N` and `verified 1|0`; exit 4 if the check fails.
 */
#include <gc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct Node {
    struct Node *left, *right;
    long i, j;
} Node;

static long tree_size(int d) { return (1L << (d + 1)) - 1; }

static Node *new_node(Node *l, Node *r)
{
    Node *n = GC_MALLOC(sizeof *n);
    n->left = l;
    n->right = r;
    return n;
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
        fprintf(stderr, "bdw_gcbench: size must be small, default or large\n");
        return 2;
    }
    GC_INIT();
    uint64_t t0 = now_ns();
    Node *tmp = make_tree(stretch);
    long stretch_nodes = count(tmp);
    tmp = NULL;
    Node *ll = new_node(NULL, NULL);
    populate(longlived, ll);
    double *array = GC_MALLOC_ATOMIC(sizeof(double) * (size_t)array_len);
    for (long k = 0; k < array_len; k++)
        array[k] = 1.0 / (double)(k + 1);
    for (int d = 4; d <= maxd; d += 2) {
        long iters = 2 * tree_size(stretch) / tree_size(d);
        for (long k = 0; k < iters; k++) {
            tmp = new_node(NULL, NULL);
            populate(d, tmp);
            tmp = NULL;
        }
        for (long k = 0; k < iters; k++)
            tmp = make_tree(d);
        tmp = NULL;
    }
    uint64_t wall = now_ns() - t0;
    int ok = stretch_nodes == tree_size(stretch) && count(ll) == tree_size(longlived);
    for (long k = 0; k < array_len; k++)
        ok &= array[k] == 1.0 / (double)(k + 1);
    printf("wall_ns %llu\ngc_count %lu\nheap_bytes %zu\nverified %d\n", (unsigned long long)wall,
           (unsigned long)GC_get_gc_no(), GC_get_heap_size(), ok);
    return ok ? 0 : 4;
}
