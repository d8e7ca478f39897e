/* core/prefetch.h — a prefetching FIFO for the collectors' traces.
 *
 * A trace stalls on nearly every object it reaches: the objects of a large
 * heap are scattered over more memory than the caches hold, and the next
 * object to scan is only known once the last one has been read. The FIFO
 * puts a delay between learning an address and reading it: an entry is
 * queued with a prefetch of the memory it will read, and handed back
 * GC_PREFETCH_DEPTH entries later, by which time that memory has arrived.
 * (Cher, Hosking and Vijaykumar, "Software prefetching for mark-sweep
 * garbage collection: hardware analysis and software redesign", ASPLOS
 * 2004; Boehm's collector prefetches in the same place.)
 *
 * Entries are opaque pointers: a marker queues the objects it pops from
 * its mark stack, an evacuator the slots whose referents it must copy.
 * Whoever drains the FIFO must cope with an entry whose work was done in
 * the meantime (an object reached twice, a referent already forwarded).
 *
 * Invariant: 0 <= n <= GC_PREFETCH_DEPTH; the entries are v[head],
 * v[head + 1], ... (mod GC_PREFETCH_DEPTH), oldest first.
 */
#ifndef GC_PREFETCH_H
#define GC_PREFETCH_H

#include "objstack.h"

#define GC_PREFETCH_DEPTH 16 /* a power of two */

typedef struct gc_prefetch_fifo {
    void *v[GC_PREFETCH_DEPTH];
    unsigned head, n;
} gc_prefetch_fifo;

/* Prefetches `addr` (for writing: traces set mark bits and forwarding
 * words) and queues `entry`. Returns the oldest entry, now ready, when the
 * FIFO was full; NULL otherwise. */
GC_INLINE void *gc_prefetch_push(gc_prefetch_fifo *q, void *entry, const void *addr)
{
    __builtin_prefetch(addr, 1);
    if (GC_LIKELY(q->n == GC_PREFETCH_DEPTH)) {
        void *ready = q->v[q->head];
        q->v[q->head] = entry;
        q->head = (q->head + 1) & (GC_PREFETCH_DEPTH - 1);
        return ready;
    }
    q->v[(q->head + q->n++) & (GC_PREFETCH_DEPTH - 1)] = entry;
    return NULL;
}

/* The oldest entry, removed; NULL when the FIFO is empty. */
GC_INLINE void *gc_prefetch_pop(gc_prefetch_fifo *q)
{
    if (q->n == 0)
        return NULL;
    void *e = q->v[q->head];
    q->head = (q->head + 1) & (GC_PREFETCH_DEPTH - 1);
    q->n--;
    return e;
}

GC_INLINE bool gc_prefetch_empty(const gc_prefetch_fifo *q) { return q->n == 0; }

/* A mark loop's next object to scan: objects popped from `stack` pass
 * through the FIFO (prefetched as they enter it). NULL once both are empty:
 *     while ((o = gc_prefetch_next_object(&pf, &stack)))
 *         scan o (which may push more onto stack); */
GC_INLINE gc_object *gc_prefetch_next_object(gc_prefetch_fifo *q, gc_objstack *stack)
{
    while (!gc_objstack_empty(stack)) {
        gc_object *o = gc_objstack_pop(stack);
        gc_object *ready = gc_prefetch_push(q, o, o);
        if (ready)
            return ready;
    }
    return gc_prefetch_pop(q);
}

#endif /* GC_PREFETCH_H */
