/* collectors/space.h — the space protocol, and the pieces collectors built
 * from spaces share, written once.
 *
 * A collector is a composition of spaces plus its algorithm. Every space
 * (los.h: large objects; freelist_space.h: size-class blocks; bump_space.h:
 * bump-allocated regions) offers the same small protocol, under its own
 * prefix (gc_los_, gc_fls_, gc_bump_):
 *
 *   init / destroy          set up and release the space
 *   prepare                 before a collection traces (marking spaces:
 *                           clear marks; the bump space: close the
 *                           mutators' chunks before evacuation)
 *   mark, is_marked         set / test an object's mark (marking spaces;
 *                           inline, for mark loops)
 *   finish                  after the trace: sweep / release (LOS: free the
 *                           unmarked; free-list space: free empty blocks,
 *                           queue the rest for lazy sweeping; bump space:
 *                           forget every object after evacuation)
 *   contains, is_object     membership (inline range checks where possible)
 *   each(space, fn, ctx)    iterate the space's objects
 *   footprint               bytes counted against the heap limit
 *   check(space, h)         the space's invariants, for a collector's
 *                           ops->verify: reports with gc_verify_fail and
 *                           returns the number of problems
 *   budgeted allocation     allocation that grows the footprint takes the
 *                           room the heap budget still allows and returns
 *                           NULL beyond it: gc_los_alloc(los, bytes, room),
 *                           gc_fls_refill / gc_fls_fresh_bump(.., room, ..),
 *                           gc_bump_refill(.., cap)
 *
 * Each space states its invariants in its header (LOS-n, FLS-n, BUMP-n),
 * checks them with GC_ASSERT at its entry points (debug builds) and with
 * its check function under --verify.
 *
 * This header adds what several collectors share:
 *  - gc_nms, the non-moving space: the free-list space for small objects
 *    plus the LOS for large ones, behind one set of operations (mark-sweep's
 *    whole heap; the generational mature space);
 *  - gc_space_alloc_slow, the allocation slow path with its large-object
 *    budget branch and one collection before giving up;
 *  - gc_usage, "live at the last collection plus allocated since";
 *  - gc_space_room, what the heap budget still allows.
 */
#ifndef GC_SPACE_H
#define GC_SPACE_H

#include "bump_space.h"
#include "core/collector.h"
#include "freelist_space.h"
#include "los.h"

/* What each(space, fn, ctx) calls for every object. */
typedef void (*gc_space_object_fn)(gc_object *o, void *ctx);

/* Bytes the heap limit still allows beyond `footprint`. */
GC_INLINE size_t gc_space_room(const gc_heap *h, size_t footprint)
{
    size_t limit = gc_heap_limit(h);
    return limit > footprint ? limit - footprint : 0;
}

/* ---- "live at the last collection plus allocated since" ------------------------ */

typedef struct gc_usage {
    uint64_t live;        /* live bytes established by the last collection */
    uint64_t alloc_at_gc; /* gc_heap_allocated_bytes() then */
} gc_usage;

/* At the end of a collection that found `live` bytes alive. */
GC_INLINE void gc_usage_collected(gc_usage *u, gc_heap *h, uint64_t live)
{
    u->live = live;
    u->alloc_at_gc = gc_heap_allocated_bytes(h);
}
/* For ops->heap_used. */
GC_INLINE size_t gc_usage_bytes(const gc_usage *u, gc_heap *h)
{
    return (size_t)(u->live + (gc_heap_allocated_bytes(h) - u->alloc_at_gc));
}

/* ---- the non-moving space: free-list space + LOS ---------------------------------
 * Small objects (<= GC_SMALL_MAX) live in `fls`, larger ones in `los`; an
 * address is in at most one of them. The operations dispatch on
 * gc_fls_contains (a range check), so they inline into mark loops. */
typedef struct gc_nms {
    gc_fls fls;
    gc_los los;
} gc_nms;

/* Reserves max_bytes for small objects; 0, or -1 when it cannot. */
int gc_nms_init(gc_nms *s, size_t max_bytes);
void gc_nms_destroy(gc_nms *s);

GC_INLINE size_t gc_nms_footprint(const gc_nms *s) { return gc_fls_footprint(&s->fls) + gc_los_footprint(&s->los); }
GC_INLINE bool gc_nms_contains(const gc_nms *s, const void *p)
{
    return gc_fls_contains(&s->fls, p) || gc_los_contains(&s->los, p);
}
GC_INLINE bool gc_nms_is_object(const gc_nms *s, const gc_object *o)
{
    return gc_fls_contains(&s->fls, o) ? gc_fls_is_object(&s->fls, o) : gc_los_is_object(&s->los, o);
}
/* o is an object of the space (asserted by the space marking it). */
GC_INLINE bool gc_nms_mark(gc_nms *s, gc_object *o)
{
    return gc_fls_contains(&s->fls, o) ? gc_fls_mark(&s->fls, o) : gc_los_mark(&s->los, o);
}
GC_INLINE bool gc_nms_is_marked(const gc_nms *s, const gc_object *o)
{
    return gc_fls_contains(&s->fls, o) ? gc_fls_is_marked(&s->fls, o) : gc_los_is_marked(&s->los, o);
}
/* Before marking. */
void gc_nms_prepare(gc_nms *s);
/* After marking: empty blocks back to the pool, the rest queued for lazy
 * sweeping; unmarked large objects freed. Returns the large objects' live
 * bytes. */
size_t gc_nms_finish(gc_nms *s);
/* Every object: small ones (gc_fls_each), then large ones (gc_los_each). */
void gc_nms_each(gc_nms *s, gc_space_object_fn fn, void *ctx);
/* Both spaces' check functions; returns the number of problems. */
size_t gc_nms_check(const gc_nms *s, gc_heap *h);

/* A free list of class cls within the budget: lazily swept cells, else a
 * fresh block if the heap limit allows one more beyond `footprint`. */
GC_INLINE void *gc_nms_refill(gc_nms *s, gc_heap *h, unsigned cls, size_t footprint)
{
    return gc_fls_refill(&s->fls, cls, gc_space_room(h, footprint));
}

/* ---- the allocation slow path, written once ---------------------------------------
 * For a collector's ops->alloc_slow. A large object (> GC_SMALL_MAX) goes to
 * `los` if it fits the budget (limit - footprint(h)); a small one to the
 * collector's own `small` path (refill a free list or a bump chunk, within
 * its budget; NULL when there is no room). When that fails, `collect(m,
 * large)` runs one collection and returns false when collecting cannot make
 * room (e.g. a nursery that could not be emptied); then the allocation is
 * tried once more. NULL: the heap is exhausted (core reports it).
 *
 * Core has already tried the mutator's inline fast path (also in stress
 * mode), so the first try goes straight to the refill. Inline, so the
 * constant function arguments of each collector are inlined too. */
GC_INLINE void *gc_space_alloc_slow(gc_mutator *m, size_t bytes, gc_los *los, size_t (*footprint)(gc_heap *h),
                                    void *(*small)(gc_mutator *m, size_t bytes),
                                    bool (*collect)(gc_mutator *m, bool large))
{
    gc_heap *h = m->heap;
    GC_ASSERT(!gc_heap_in_pause(h)); /* never allocates inside a pause */
    GC_ASSERT(bytes % GC_GRANULE == 0 && bytes >= GC_MIN_OBJECT);
    bool large = bytes > GC_SMALL_MAX;
    for (int attempt = 0;; attempt++) {
        void *p = large ? gc_los_alloc(los, bytes, gc_space_room(h, footprint(h))) : small(m, bytes);
        if (p) {
            m->slow_zeroed = large; /* the large-object space returns zeroed memory */
            return p;
        }
        if (attempt > 0 || !collect(m, large))
            return NULL;
    }
}

#endif /* GC_SPACE_H */
