/* collectors/marksweep.c — non-moving mark-sweep (McCarthy 1960), composed of
 * the free-list space (small objects, lazy sweeping) and the large-object
 * space. See docs/collectors/marksweep.md.
 *
 *   collect = mark_roots; trace; sweep
 *
 * Invariants:
 *  - Between collections every reachable small object is in a SWEPT block,
 *    or in an UNSWEPT block with its mark bit set; every reachable large
 *    object is on the LOS list.
 *  - During trace, an object is marked before it is pushed on the mark
 *    stack, so each object is pushed at most once; the mark stack is explicit
 *    (system memory), so heap shape never grows the C stack.
 *  - After a collection, heap_used = live bytes found by the trace plus
 *    bytes allocated since; the footprint (blocks in use + large objects)
 *    never exceeds the heap limit.
 *  - Collection is triggered only by the limit: when a size class has no
 *    free cell, no unswept block to sweep and no block left within the limit
 *    (or a large object would not fit). If the retry after a full collection
 *    still fails, the heap is exhausted.
 */
#include <stdio.h>
#include <string.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/sysalloc.h"
#include "freelist_space.h"
#include "los.h"

typedef struct ms_heap {
    gc_fls fls;
    gc_los los;
    gc_objstack mark_stack;
    uint64_t live_bytes;    /* found by the last trace */
    uint64_t alloc_at_gc;   /* gc_heap_allocated_bytes() at the last collection */
} ms_heap;

static ms_heap *ms_of(gc_heap *h) { return h->collector; }

/* ---- mark ---------------------------------------------------------------------- */

/* Marks the referent of *slot; pushes it if it was white. */
static void ms_mark_visit(gc_value *slot, void *arg)
{
    ms_heap *ms = arg;
    gc_object *o = gc_ref(*slot);
    bool fresh = gc_fls_contains(&ms->fls, o) ? gc_fls_mark(&ms->fls, o) : gc_los_mark(o);
    if (fresh)
        gc_objstack_push(&ms->mark_stack, o);
}

static void mark_roots(gc_heap *h, ms_heap *ms) { gc_visit_roots(h, ms_mark_visit, ms); }

static void trace(ms_heap *ms)
{
    while (!gc_objstack_empty(&ms->mark_stack)) {
        gc_object *o = gc_objstack_pop(&ms->mark_stack);
        ms->live_bytes += gc_object_size(o);
        gc_trace_object(o, ms_mark_visit, ms);
    }
}

/* Empty blocks go back to the pool now; the rest are swept lazily by
 * allocation. Large objects are swept eagerly. */
static void sweep(ms_heap *ms)
{
    gc_fls_after_mark(&ms->fls);
    gc_los_sweep(&ms->los);
}

static void ms_collect(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    ms_heap *ms = ms_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    /* Cells on mutators' free lists are unmarked, so sweeping reclaims them. */
    for (gc_mutator *mu = h->mutators; mu; mu = mu->next)
        memset(mu->free_lists, 0, sizeof mu->free_lists);
    gc_fls_prepare_mark(&ms->fls);
    ms->live_bytes = 0;
    gc_phase_start(h, GC_PHASE_ROOTS);
    mark_roots(h, ms);
    gc_phase_start(h, GC_PHASE_MARK);
    trace(ms);
    gc_phase_start(h, GC_PHASE_SWEEP);
    sweep(ms);
    ms->alloc_at_gc = gc_heap_allocated_bytes(h);
    gc_pause_end(h);
}

/* ---- allocation --------------------------------------------------------------------- */

static size_t ms_footprint(gc_heap *h)
{
    ms_heap *ms = ms_of(h);
    return gc_fls_footprint(&ms->fls) + gc_los_footprint(&ms->los);
}

static void *refill(gc_heap *h, ms_heap *ms, gc_mutator *m, unsigned cls)
{
    void *list = gc_fls_sweep_for(&ms->fls, cls);
    if (!list && ms_footprint(h) + GC_FLS_BLOCK <= h->limit)
        list = gc_fls_fresh_block(&ms->fls, cls);
    m->free_lists[cls] = list;
    return list;
}

static void *ms_alloc_slow(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    ms_heap *ms = ms_of(h);
    for (int attempt = 0;; attempt++) {
        if (bytes > GC_SMALL_MAX) {
            if (ms_footprint(h) + bytes + GC_LOS_OVERHEAD <= h->limit)
                return gc_los_alloc(&ms->los, bytes);
        } else {
            unsigned cls = gc_size_class_of(bytes);
            void *cell = m->free_lists[cls];
            if (!cell)
                cell = refill(h, ms, m, cls);
            if (cell) {
                m->free_lists[cls] = *(void **)cell;
                return cell;
            }
        }
        if (attempt > 0)
            return NULL;
        ms_collect(m, GC_REASON_HEAP_LIMIT);
    }
}

/* ---- lifecycle and queries ------------------------------------------------------------ */

static int ms_init(gc_heap *h)
{
    ms_heap *ms = gc_sys_alloc_zeroed(sizeof *ms);
    if (gc_fls_init(&ms->fls, h->limit) != 0) {
        snprintf(h->error, sizeof h->error, "cannot reserve %zu bytes of address space", h->limit);
        gc_sys_free(ms, sizeof *ms);
        return -1;
    }
    gc_los_init(&ms->los);
    h->collector = ms;
    return 0;
}

static void ms_destroy(gc_heap *h)
{
    ms_heap *ms = ms_of(h);
    gc_fls_destroy(&ms->fls);
    gc_los_destroy(&ms->los);
    gc_objstack_free(&ms->mark_stack);
    gc_sys_free(ms, sizeof *ms);
}

static size_t ms_heap_used(gc_heap *h)
{
    ms_heap *ms = ms_of(h);
    return ms->live_bytes + (gc_heap_allocated_bytes(h) - ms->alloc_at_gc);
}

static bool ms_contains(gc_heap *h, const void *p)
{
    ms_heap *ms = ms_of(h);
    return gc_fls_contains(&ms->fls, p) || gc_los_contains(&ms->los, p);
}

static bool ms_is_object(gc_heap *h, const gc_object *o)
{
    ms_heap *ms = ms_of(h);
    return gc_fls_contains(&ms->fls, o) ? gc_fls_is_object(&ms->fls, o) : gc_los_is_object(&ms->los, o);
}

/* Between collections no large object may carry a mark, and the footprint
 * stays within the limit. */
static size_t ms_verify(gc_heap *h)
{
    ms_heap *ms = ms_of(h);
    size_t errors = 0;
    for (gc_los_entry *e = ms->los.head.next; e != &ms->los.head; e = e->next)
        if (e->mark) {
            gc_verify_fail(h, "large object %p still marked outside a collection", (void *)(e + 1));
            errors++;
        }
    if (ms_footprint(h) > h->limit) {
        gc_verify_fail(h, "footprint %zu exceeds the limit %zu", ms_footprint(h), h->limit);
        errors++;
    }
    return errors;
}

const gc_collector_ops gc_marksweep_ops = {
    .name = "marksweep",
    .description = "non-moving mark-sweep: size-class free lists, lazy sweeping, large-object space",
    .alloc_mode = GC_ALLOC_FREELIST,
    .barrier = GC_BARRIER_NONE,
    .moving = false,
    .reclaims_cycles = true,
    .init = ms_init,
    .destroy = ms_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = gc_default_mutator_fini,
    .alloc_slow = ms_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = ms_collect,
    .safepoint = gc_default_safepoint,
    .finish = gc_default_finish,
    .heap_used = ms_heap_used,
    .footprint = ms_footprint,
    .contains = ms_contains,
    .is_object = ms_is_object,
    .verify = ms_verify,
    .stats = gc_default_stats,
};
