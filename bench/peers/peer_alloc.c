/* bench/peers/peer_alloc.c — the allocation microbenchmark of gcbench's
 * `alloc` workload on reference allocators: N objects of SIZE bytes, none
 * kept live, one word written into each.
 *   built with -DPEER_BDW:   GC_MALLOC (libgc reclaims them)
 *   otherwise:               malloc + free (jemalloc when linked with it)
 *   peer_alloc N SIZE  ->  prints `wall_ns`, `objects`, `ns_per_alloc`
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef PEER_BDW
#include <gc.h>
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000ull;
    size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 32;
    if (n == 0 || size < sizeof(long)) {
        fprintf(stderr, "usage: peer_alloc N SIZE (SIZE >= %zu)\n", sizeof(long));
        return 2;
    }
#ifdef PEER_BDW
    GC_INIT();
#endif
    uint64_t t0 = now_ns();
    for (unsigned long long i = 0; i < n; i++) {
#ifdef PEER_BDW
        long *p = GC_MALLOC(size);
#else
        long *p = malloc(size);
#endif
        p[0] = (long)i;
        __asm__ volatile("" : : "r"(p) : "memory"); /* keep the allocation */
#ifndef PEER_BDW
        free(p);
#endif
    }
    uint64_t wall = now_ns() - t0;
    printf("wall_ns %llu\nobjects %llu\nns_per_alloc %.3f\n", (unsigned long long)wall, n,
           (double)wall / (double)n);
    return 0;
}
