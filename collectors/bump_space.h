/* collectors/bump_space.h — a contiguous region allocated by bumping a
 * pointer, shared by every bump-allocating space: the copying collector's
 * semispaces and the generational nursery.
 *
 * Mutators allocate through the core's inline bump fast path
 * (gc_alloc_fast, GC_ALLOC_BUMP) inside a chunk [bump_ptr, bump_limit) that
 * the space hands out; collectors copy into the space with gc_bump_take.
 *
 * Invariants:
 *  - [start, frontier) is parsable: a sequence of objects and fillers, except
 *    that each mutator's current chunk is parsable only up to its bump_ptr
 *    (its tail [bump_ptr, bump_limit) is unused).
 *  - A filler is a header word with the tag set, type GC_TYPE_INVALID and
 *    length = its size in words; it is never referenced (the verifier rejects
 *    type 0), so it can cover any gap, even a single word.
 *  - frontier - start <= cap <= reserved.
 */
#ifndef GC_BUMP_SPACE_H
#define GC_BUMP_SPACE_H

#include "core/collector.h"

typedef struct gc_bump_space {
    char *start;
    char *frontier;   /* end of handed-out memory */
    size_t reserved;  /* bytes of address space reserved */
} gc_bump_space;

#define GC_BUMP_CHUNK ((size_t)256 << 10) /* mutator chunk (TLAB) size */

int gc_bump_init(gc_bump_space *s, size_t reserve);
void gc_bump_destroy(gc_bump_space *s);

static inline bool gc_bump_contains(const gc_bump_space *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->start < (uintptr_t)(s->frontier - s->start);
}
static inline bool gc_bump_in_reservation(const gc_bump_space *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->start < s->reserved;
}
static inline size_t gc_bump_used(const gc_bump_space *s) { return (size_t)(s->frontier - s->start); }

/* Takes `bytes` contiguous bytes at the frontier (no capacity check: the
 * caller guarantees room, e.g. a to-space as large as from-space). */
static inline void *gc_bump_take(gc_bump_space *s, size_t bytes)
{
    void *p = s->frontier;
    s->frontier += bytes;
    return p;
}

/* Closes the mutator's chunk: its unused tail becomes a filler. */
void gc_bump_retire(gc_bump_space *s, gc_mutator *m);
/* Gives m a new, zeroed chunk of at least `bytes` (normally GC_BUMP_CHUNK)
 * as long as the frontier stays within `cap` bytes of start, and allocates
 * `bytes` from it. Returns NULL, leaving m without a chunk, when there is no room. */
void *gc_bump_refill(gc_bump_space *s, gc_mutator *m, size_t bytes, size_t cap);
/* Forgets every object (after evacuation); mutators must hold no chunk. */
void gc_bump_reset(gc_bump_space *s);
/* Fills the whole used region with a poison pattern (debug builds). */
void gc_bump_poison(gc_bump_space *s);

typedef void (*gc_bump_object_fn)(gc_object *o, void *ctx);
/* Calls fn on every object of the space in address order, skipping fillers
 * and the unused tails of the heap's mutators' chunks. Returns false (and
 * stops) if it meets a word that is neither an object nor a filler. */
bool gc_bump_walk(gc_bump_space *s, gc_heap *h, gc_bump_object_fn fn, void *ctx);

/* Cheap structural test: o lies in [start, frontier), has a valid header of
 * a registered type, and ends within the frontier. (Exact object-start
 * checking is done by collectors' verify walking the space.) */
bool gc_bump_is_object(const gc_bump_space *s, const gc_object *o);

#endif
