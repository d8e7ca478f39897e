/* collectors/bump_space.h — a contiguous region allocated by bumping a
 * pointer, shared by every bump-allocating space: the copying collector's
 * semispaces and the generational nursery. It follows the space protocol of
 * collectors/space.h; its objects are evacuated, not marked, so its
 * prepare/finish bracket an evacuation (prepare closes the mutators'
 * chunks, finish forgets every object).
 *
 * Mutators allocate through the core's inline bump fast path
 * (gc_alloc_fast, GC_ALLOC_BUMP) inside a chunk [bump_ptr, bump_limit) that
 * the space hands out; collectors copy into the space with gc_bump_take.
 *
 * Invariants (gc_bump_check verifies BUMP-1, BUMP-3 and BUMP-4's marks; GC_ASSERT at the
 * entry points):
 *  BUMP-1 [start, frontier) is parsable: a sequence of objects and fillers,
 *         except that each mutator's current chunk is parsable only up to
 *         its bump_ptr (its tail [bump_ptr, bump_limit) is unused).
 *  BUMP-2 A filler is a header word with the tag set, type GC_TYPE_INVALID
 *         and length = its size in words; it is never referenced (the
 *         verifier rejects type 0), so it can cover any gap, even one word.
 *  BUMP-3 frontier - start <= cap <= reserved: the frontier never passes
 *         the capacity the collector gives gc_bump_refill, nor the
 *         reservation.
 *  BUMP-4 start <= frontier <= populated <= start + reserved, and every
 *         page of [start, populated) has been faulted in: memory is never
 *         handed out (to a mutator's chunk or to gc_bump_take) before
 *         gc_bump_populate has faulted it in, in steps of at least
 *         GC_BUMP_POPULATE_STEP with one system call (gc_sys_prefault).
 *         A first write to a page costs a fault each (1.3-13 us per 4 KiB
 *         page on the machines we measured); faulting a step in at once
 *         costs 0.3-1.7 us per page, and no fault lands in the fast path
 *         or, for the pages a step covers, in a pause.
 */
#ifndef GC_BUMP_SPACE_H
#define GC_BUMP_SPACE_H

#include "core/collector.h"
#include "core/ptrset.h"

typedef struct gc_bump_space {
    char *start;
    char *frontier;   /* end of handed-out memory */
    char *populated;  /* [start, populated) is faulted in (BUMP-4) */
    size_t reserved;  /* bytes of address space reserved */
} gc_bump_space;

#define GC_BUMP_CHUNK ((size_t)256 << 10) /* mutator chunk (TLAB) size */
/* How far past the frontier gc_bump_populate faults pages in at once. */
#define GC_BUMP_POPULATE_STEP ((size_t)1 << 20)

int gc_bump_init(gc_bump_space *s, size_t reserve);
void gc_bump_destroy(gc_bump_space *s);

/* p lies in the handed-out part [start, frontier). */
GC_INLINE bool gc_bump_contains(const gc_bump_space *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->start < (uintptr_t)(s->frontier - s->start);
}
GC_INLINE bool gc_bump_in_reservation(const gc_bump_space *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->start < s->reserved;
}
/* Bytes handed out, [start, frontier): what the space itself occupies (a
 * collector adds its own reserve, e.g. copying's equal to-space). */
GC_INLINE size_t gc_bump_footprint(const gc_bump_space *s) { return (size_t)(s->frontier - s->start); }

/* Faults in the pages from `populated` up to at least `upto` (and
 * GC_BUMP_POPULATE_STEP further, within the reservation): BUMP-4's slow
 * path. */
void gc_bump_populate(gc_bump_space *s, const char *upto);

/* Takes `bytes` contiguous bytes at the frontier (no capacity check: the
 * caller guarantees room, e.g. a to-space as large as from-space; BUMP-3 is
 * asserted against the reservation). */
GC_INLINE void *gc_bump_take(gc_bump_space *s, size_t bytes)
{
    GC_ASSERT(bytes <= s->reserved - gc_bump_footprint(s));
    void *p = s->frontier;
    s->frontier += bytes;
    if (GC_UNLIKELY(s->frontier > s->populated))
        gc_bump_populate(s, s->frontier);
    return p;
}

/* ---- mutator chunks (budgeted allocation) ------------------------------------ */

/* Closes the mutator's chunk: its unused tail becomes a filler. */
void gc_bump_retire(gc_bump_space *s, gc_mutator *m);
/* Gives m a new chunk of at least `bytes` (normally GC_BUMP_CHUNK), zeroed
 * by core as the slow path returns (gc_mutator_zero_later; so call it only
 * from alloc_slow),
 * as long as the frontier stays within `cap` bytes of start (cap <=
 * reserved), and allocates `bytes` from it. Returns NULL, leaving m without
 * a chunk, when there is no room. */
void *gc_bump_refill(gc_bump_space *s, gc_mutator *m, size_t bytes, size_t cap);

/* ---- evacuation ---------------------------------------------------------------- */

/* Before the space is evacuated: closes every mutator's chunk in it (fillers
 * keep it parsable). */
void gc_bump_prepare(gc_bump_space *s, gc_heap *h);
/* After evacuation: forgets every object (poisoning the memory first in
 * debug builds, so a stale reference reads garbage, not an object).
 * Mutators must hold no chunk in it. */
void gc_bump_finish(gc_bump_space *s);

/* ---- queries ------------------------------------------------------------------- */

/* Calls fn on every object of the space in address order, skipping fillers
 * and the unused tails of the heap's mutators' chunks. Returns false (and
 * stops) if it meets a word that is neither an object nor a filler. */
bool gc_bump_each(gc_bump_space *s, gc_heap *h, void (*fn)(gc_object *o, void *ctx), void *ctx);

/* Cheap structural test: o lies in [start, frontier), has a valid header of
 * a registered type, and ends within the frontier. (Exact object-start
 * checking is done by verifiers walking the space.) */
bool gc_bump_is_object(const gc_bump_space *s, const gc_object *o);

/* For verifiers: BUMP-1 (the space parses) and BUMP-3 (the frontier within
 * the reservation), reported with gc_verify_fail(h, ...); returns how many
 * problems. */
size_t gc_bump_check(gc_bump_space *s, gc_heap *h);

/* The moving-space verifier, for any collector that evacuates into a bump
 * space `to`, after the evacuation: `to` parses (BUMP-1), and no reference
 * (in a root, in an object of `to`, or in an object of the collector's
 * other spaces, which `each_other` (may be NULL) passes to its `fn`, e.g.
 * with gc_los_each) points into the reservation of `from` (the evacuated
 * space; may be NULL) or into `to` anywhere but at an object start.
 * Reports with gc_verify_fail(h, ...); returns how many problems. */
size_t gc_bump_check_evacuated(gc_bump_space *to, const gc_bump_space *from, gc_heap *h,
                               void (*each_other)(gc_heap *h, void (*fn)(gc_object *o, void *ctx),
                                                  void *ctx));

#endif
