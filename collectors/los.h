/* collectors/los.h — the large-object space, shared by every collector that
 * has objects too big to copy or to fit a size class (> GC_SMALL_MAX).
 *
 * Each large object lives in its own system-allocator (jemalloc) block behind
 * a 32-byte entry that links it into a doubly-linked list and holds its mark
 * bit. Objects never move. Invariants:
 *  - every allocated large object is on the list and in `starts`;
 *  - `bytes` is the sum of the objects' allocation sizes (what counts against
 *    the heap limit is bytes + count * GC_LOS_OVERHEAD);
 *  - outside a collection every mark bit is clear (gc_los_sweep clears them).
 */
#ifndef GC_LOS_H
#define GC_LOS_H

#include "core/object.h"
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
} gc_los;

void gc_los_init(gc_los *los);
void gc_los_destroy(gc_los *los);
/* Memory for an object of `bytes` bytes (uninitialised). The caller checks
 * the heap budget first. */
void *gc_los_alloc(gc_los *los, size_t bytes);
/* Bytes counted against the heap limit. */
static inline size_t gc_los_footprint(const gc_los *los)
{
    return los->bytes + los->count * GC_LOS_OVERHEAD;
}
static inline gc_los_entry *gc_los_entry_of(const gc_object *o)
{
    return (gc_los_entry *)o - 1;
}
/* Sets the mark bit; true when the object was not yet marked. */
static inline bool gc_los_mark(gc_object *o)
{
    gc_los_entry *e = gc_los_entry_of(o);
    if (e->mark)
        return false;
    e->mark = 1;
    return true;
}
static inline bool gc_los_is_marked(const gc_object *o) { return gc_los_entry_of(o)->mark != 0; }
/* Frees every unmarked object and clears the marks of the rest; returns the
 * bytes of the survivors. */
size_t gc_los_sweep(gc_los *los);
bool gc_los_contains(const gc_los *los, const void *addr);
bool gc_los_is_object(const gc_los *los, const gc_object *o);

#endif
