/* collectors/marksweep.c — non-moving mark-sweep (McCarthy 1960): the
 * non-moving space (collectors/space.h: free-list space for small objects,
 * with lazy sweeping, plus the large-object space) and this algorithm. See
 * docs/collectors/marksweep.md.
 *
 *   collect = mark_roots; trace; sweep
 *
 * Invariants (MS-n; the spaces' own are FLS-n and LOS-n in their headers):
 *  MS-1 Between collections every reachable small object is in a SWEPT
 *       block, or in an UNSWEPT block with its mark bit set; every
 *       reachable large object is on the LOS list. (gc_nms_check under
 *       --verify.)
 *  MS-2 During trace, an object is marked before it is pushed on the mark
 *       stack, so each object is pushed at most once; the mark stack is
 *       explicit (system memory), so heap shape never grows the C stack.
 *  MS-3 After a collection, heap_used = live bytes found by the trace plus
 *       bytes allocated since (gc_usage); the footprint (blocks in use +
 *       large objects) never exceeds the heap limit (every block and large
 *       object is allocated within gc_space_room; core's verifier checks).
 *  MS-4 Collection is triggered only by the limit: when a size class has no
 *       free cell, no unswept block to sweep and no block left within the
 *       limit (or a large object would not fit). If the retry after a full
 *       collection still fails, the heap is exhausted
 *       (gc_space_alloc_slow).
 */
#include <string.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/prefetch.h"
#include "core/sysalloc.h"
#include "space.h"

enum { MS_PHASE_ROOTS, MS_PHASE_MARK, MS_PHASE_SWEEP };
static const char *const ms_phases[] = {"roots", "mark", "sweep", NULL};

typedef struct ms_heap {
    gc_nms space;
    gc_objstack mark_stack;
    gc_usage usage;
} ms_heap;

static ms_heap *ms_of(gc_heap *h) { return gc_heap_collector(h); }

/* ---- mark ---------------------------------------------------------------------- */

/* Marks the referent of *slot; pushes it if it was white (MS-2). Inlined
 * into the trace loop (the mark phase's hot path). */
GC_INLINE void ms_mark_visit(gc_value *slot, void *arg)
{
    ms_heap *ms = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_nms_mark(&ms->space, o))
        gc_objstack_push(&ms->mark_stack, o);
}

/* Root visitor (out of line: roots are few). */
static void ms_mark_root(gc_value *slot, void *arg) { ms_mark_visit(slot, arg); }

static void mark_roots(gc_heap *h, ms_heap *ms) { gc_visit_roots(h, ms_mark_root, ms); }

/* Returns the live bytes found. */
static uint64_t trace(ms_heap *ms)
{
    uint64_t live = 0;
    /* Objects popped from the mark stack wait in a prefetching FIFO
     * (core/prefetch.h) until their header has arrived. */
    gc_prefetch_fifo pf = {0};
    gc_object *o;
    while ((o = gc_prefetch_next_object(&pf, &ms->mark_stack))) {
        GC_ASSERT(gc_header_valid(o->header) && gc_nms_is_marked(&ms->space, o));
        live += gc_object_size(o);
        gc_trace_object(o, ms_mark_visit, ms);
    }
    return live;
}

/* Empty blocks go back to the pool now; the rest are swept lazily by
 * allocation. Large objects are swept eagerly. */
static void sweep(ms_heap *ms) { gc_nms_finish(&ms->space); }

static void ms_full(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    ms_heap *ms = ms_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    /* Cells on mutators' free lists are unmarked, so sweeping reclaims them. */
    for (gc_mutator *mu = gc_heap_mutators(h); mu; mu = mu->next)
        memset(mu->free_lists, 0, sizeof mu->free_lists);
    gc_nms_prepare(&ms->space);
    gc_phase_start(h, MS_PHASE_ROOTS);
    mark_roots(h, ms);
    gc_phase_start(h, MS_PHASE_MARK);
    uint64_t live = trace(ms);
    gc_phase_start(h, MS_PHASE_SWEEP);
    sweep(ms);
    gc_usage_collected(&ms->usage, h, live);
    gc_pause_end(h);
}

/* One kind of collection: every kind asks for a full one. */
static void ms_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    ms_full(m, reason);
}

/* ---- allocation --------------------------------------------------------------------- */

static size_t ms_footprint(gc_heap *h) { return gc_nms_footprint(&ms_of(h)->space); }

/* A small object: refill the size class's free list within the budget (the
 * inline fast path found it empty) and pop a cell. */
static void *ms_alloc_small(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    ms_heap *ms = ms_of(h);
    unsigned cls = gc_size_class_of(bytes);
    GC_ASSERT(m->free_lists[cls] == NULL);
    void *cell = gc_nms_refill(&ms->space, h, cls, gc_nms_footprint(&ms->space));
    if (!cell)
        return NULL;
    m->free_lists[cls] = *(void **)cell;
    return cell;
}

static bool ms_collect_for_alloc(gc_mutator *m, bool large)
{
    (void)large;
    ms_full(m, GC_REASON_HEAP_LIMIT);
    return true;
}

static void *ms_alloc_slow(gc_mutator *m, size_t bytes)
{
    return gc_space_alloc_slow(m, bytes, &ms_of(m->heap)->space.los, ms_footprint, ms_alloc_small,
                               ms_collect_for_alloc);
}

/* ---- lifecycle and queries ------------------------------------------------------------ */

static int ms_init(gc_heap *h)
{
    ms_heap *ms = gc_sys_alloc_zeroed(sizeof *ms);
    if (gc_nms_init(&ms->space, gc_heap_limit(h)) != 0) {
        gc_heap_set_error(h, "cannot reserve %zu bytes of address space", gc_heap_limit(h));
        gc_sys_free(ms, sizeof *ms);
        return -1;
    }
    gc_heap_set_collector(h, ms);
    return 0;
}

static void ms_destroy(gc_heap *h)
{
    ms_heap *ms = ms_of(h);
    gc_nms_destroy(&ms->space);
    gc_objstack_free(&ms->mark_stack);
    gc_sys_free(ms, sizeof *ms);
}

static size_t ms_heap_used(gc_heap *h) { return gc_usage_bytes(&ms_of(h)->usage, h); }

static bool ms_contains(gc_heap *h, const void *p) { return gc_nms_contains(&ms_of(h)->space, p); }

static bool ms_is_object(gc_heap *h, const gc_object *o) { return gc_nms_is_object(&ms_of(h)->space, o); }

/* The spaces' invariants: FLS-1..5 and LOS-1..3 (which give MS-1's
 * structure). */
static void ms_verify(gc_heap *h) { gc_nms_check(&ms_of(h)->space, h); }

const gc_collector_ops gc_marksweep_ops = {
    .name = "marksweep",
    .description = "non-moving mark-sweep: size-class free lists, lazy sweeping, large-object space",
    .alloc_mode = GC_ALLOC_FREELIST,
    .barrier = GC_BARRIER_NONE,
    .moving = false,
    .reclaims_cycles = true,
    .phases = ms_phases,
    .options = gc_no_options,
    .init = ms_init,
    .destroy = ms_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = gc_default_mutator_fini,
    .alloc_slow = ms_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = ms_collect,
    .finish = gc_default_finish,
    .heap_used = ms_heap_used,
    .footprint = ms_footprint,
    .contains = ms_contains,
    .is_object = ms_is_object,
    .verify = ms_verify,
    .stats = gc_default_stats,
};
