/* collectors/los.h — the large-object space, shared by every collector that
 * has objects too big to copy or to fit a size class (> GC_SMALL_MAX).
 * It follows the space protocol of collectors/space.h (prepare, finish,
 * contains, mark, each, footprint, check, budgeted alloc).
 *
 * Each large object lives in its own system-allocator (jemalloc) block behind
 * a 32-byte entry that links it into a doubly-linked list and holds its mark
 * bit. Objects never move.
 *
 * Invariants (gc_los_check verifies them; GC_ASSERT at the entry points):
 *  LOS-1 every allocated large object is on the list and in `starts`, and
 *        `count` is the length of the list;
 *  LOS-2 `bytes` is the sum of the objects' allocation sizes (what counts
 *        against the heap limit is bytes + count * GC_LOS_OVERHEAD);
 *  LOS-3 marks are set only between gc_los_prepare and gc_los_finish
 *        (`marking`); outside a collection every mark bit is clear
 *        (gc_los_finish clears them).
 */
#ifndef GC_LOS_H
#define GC_LOS_H

#include "core/collector.h"
#include "core/ptrset.h"

typedef struct gc_los_entry {
    struct gc_los_entry *prev, *next;
    size_t bytes;   /* allocation size of the object that follows */
    uint64_t mark;
} gc_los_entry;

#define GC_LOS_OVERHEAD sizeof(gc_los_entry)

typedef struct gc_los {
    gc_los_entry head; /* list sentinel */
    size_t bytes;      /* allocated object bytes */
    size_t count;      /* objects */
    gc_ptrset starts;  /* object addresses, for is_object/contains */
    bool marking;      /* between gc_los_prepare and gc_los_finish */
} gc_los;

void gc_los_init(gc_los *los);
void gc_los_destroy(gc_los *los);

/* Budgeted allocation: memory for an object of `bytes` bytes
 * (zero-filled), or NULL when its footprint (bytes + GC_LOS_OVERHEAD)
 * exceeds `room`, the bytes the collector's heap budget still allows. */
void *gc_los_alloc(gc_los *los, size_t bytes, size_t room);

/* Bytes counted against the heap limit. */
GC_INLINE size_t gc_los_footprint(const gc_los *los) { return los->bytes + los->count * GC_LOS_OVERHEAD; }
/* Bytes of the objects themselves. */
GC_INLINE size_t gc_los_bytes(const gc_los *los) { return los->bytes; }

/* addr is the start of a large object of this space (a set lookup). */
bool gc_los_contains(const gc_los *los, const void *addr);
/* o is a large object whose size (from its header) fits its allocation. */
bool gc_los_is_object(const gc_los *los, const gc_object *o);

GC_INLINE gc_los_entry *gc_los_entry_of(const gc_object *o) { return (gc_los_entry *)o - 1; }

/* Before marking (LOS-3: every mark is clear). */
void gc_los_prepare(gc_los *los);
/* Sets o's mark bit; true when it was not yet marked. o must be a large
 * object of this space, between prepare and finish. */
GC_INLINE bool gc_los_mark(gc_los *los, gc_object *o)
{
    GC_ASSERT(los->marking);
    GC_ASSERT(gc_los_contains(los, o));
    (void)los;
    gc_los_entry *e = gc_los_entry_of(o);
    if (e->mark)
        return false;
    e->mark = 1;
    return true;
}
GC_INLINE bool gc_los_is_marked(const gc_los *los, const gc_object *o)
{
    GC_ASSERT(gc_los_contains(los, o));
    (void)los;
    return gc_los_entry_of(o)->mark != 0;
}
/* After marking: frees every unmarked object and clears the marks of the
 * rest; returns the bytes of the survivors. */
size_t gc_los_finish(gc_los *los);

/* Calls fn on every large object (in no particular order). fn must not
 * allocate or free large objects. */
void gc_los_each(gc_los *los, void (*fn)(gc_object *o, void *ctx), void *ctx);

/* For verifiers: checks LOS-1..3 (LOS-3 only outside a collection),
 * reporting each problem with gc_verify_fail(h, ...); returns how many. */
size_t gc_los_check(const gc_los *los, gc_heap *h);

#endif
