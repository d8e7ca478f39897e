/* tests/layering/arena.h — a minimal collector written outside the
 * collectors library: one bump region of the heap limit, never freed
 * (collections record a pause and reclaim nothing). The layering checks
 * run core (and the VM) on it, linked without gcbench_collectors, which
 * proves core and the VM need nothing from the collectors library, and
 * that a collector can be written against the public headers alone. */
#ifndef GCBENCH_LAYERING_ARENA_H
#define GCBENCH_LAYERING_ARENA_H

#include <stdint.h>
#include <stdlib.h>

#include "core/collector.h"

typedef struct arena {
    char *base, *top, *end;
} arena;

static int arena_init(gc_heap *h)
{
    arena *a = malloc(sizeof *a);
    size_t n = gc_heap_limit(h);
    if (!a || !(a->base = malloc(n))) {
        free(a);
        gc_heap_set_error(h, "arena: out of memory");
        return -1;
    }
    a->top = a->base;
    a->end = a->base + n;
    gc_heap_set_collector(h, a);
    return 0;
}

static void arena_destroy(gc_heap *h)
{
    arena *a = gc_heap_collector(h);
    free(a->base);
    free(a);
}

static void *arena_alloc_slow(gc_mutator *m, size_t bytes)
{
    arena *a = gc_heap_collector(m->heap);
    if ((size_t)(a->end - a->top) < bytes)
        return NULL; /* core runs the exhaustion handler */
    void *p = a->top;
    a->top += bytes;
    return p;
}

static void arena_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    gc_pause_begin(m->heap, GC_PAUSE_FULL, reason);
    gc_phase_start(m->heap, 0);
    gc_pause_end(m->heap);
}

static size_t arena_used(gc_heap *h)
{
    arena *a = gc_heap_collector(h);
    return (size_t)(a->top - a->base);
}

static bool arena_contains(gc_heap *h, const void *p)
{
    arena *a = gc_heap_collector(h);
    return (const char *)p >= a->base && (const char *)p < a->top;
}

static const char *const arena_phases[] = {"nothing", NULL};

static const gc_collector_ops arena_ops = {
    .name = "arena",
    .description = "bump allocation in one region, never reclaims (layering check)",
    .alloc_mode = GC_ALLOC_SLOW,
    .barrier = GC_BARRIER_NONE,
    .alloc_zeroed = false,
    .moving = false,
    .reclaims_cycles = false,
    .phases = arena_phases,
    .options = gc_no_options,
    .init = arena_init,
    .destroy = arena_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = gc_default_mutator_fini,
    .alloc_slow = arena_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = arena_collect,
    .finish = gc_default_finish,
    .heap_used = arena_used,
    .footprint = arena_used,
    .contains = arena_contains,
    .is_object = gc_default_is_object,
    .verify = gc_default_verify,
    .stats = gc_default_stats,
};

#endif
