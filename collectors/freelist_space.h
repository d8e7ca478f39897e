/* collectors/freelist_space.h — a non-moving space of fixed-size blocks, each
 * holding cells of one size class, with side mark bitmaps and lazy sweeping.
 * Mark-sweep uses it as its whole small-object heap; the generational
 * collector's mature space is the same space. It follows the space protocol
 * of collectors/space.h (prepare, finish, contains, mark, each, footprint,
 * check, budgeted allocation); with the large-object space it forms the
 * non-moving space (gc_nms) both collectors use.
 *
 * Layout: one contiguous virtual reservation of `nblocks` blocks of
 * GC_FLS_BLOCK bytes. Per block, side metadata: state, size class, a mark
 * bit per 16-byte granule, and a live-cell count. The metadata array is a
 * reservation too (zero-filled, committed page by page as it is written),
 * and blocks are taken in address order from a high-water mark, so a limit
 * costs address space only: memory grows with the blocks in use, and every
 * walk over the blocks stops at the high-water mark.
 *
 * Block states and invariants (gc_fls_check verifies FLS-1..5 under
 * --verify; GC_ASSERT checks the transitions at the entry points):
 *  FLS-1 FREE: below the high-water mark `high`, in the free-block pool
 *        (linked by `next`); from `high` on, never taken and on no list
 *        (implicitly free: state FREE from the zeroed metadata). Not counted
 *        in the footprint; blocks_in_use = the number of SWEPT + UNSWEPT
 *        blocks, all below `high`. The pool is taken from first, then the
 *        block at `high` (which raises it: it never falls).
 *        Transitions: FREE -> SWEPT (taken: gc_fls_refill,
 *        gc_fls_fresh_bump), SWEPT/UNSWEPT -> UNSWEPT or FREE (gc_fls_finish),
 *        UNSWEPT -> SWEPT (lazy sweep). Nothing else.
 *  FLS-2 A block in use has cell_size = gc_size_class_bytes[cls] and
 *        ncells = GC_FLS_BLOCK / cell_size.
 *  FLS-3 SWEPT: allocating; bump_cells <= ncells and every cell below
 *        bump_cells is either an object (header tag set, a registered type,
 *        size <= cell_size) or a free cell whose first word links the free
 *        list (tag clear: NULL or another cell of the same block). A block
 *        taken with gc_fls_fresh_bump is filled in address order by its
 *        owner's bump pointer: cells from bump_cells on were never handed
 *        out (their contents are stale) and bump_cells is brought up to date
 *        by gc_fls_bump_publish. Otherwise bump_cells = ncells.
 *  FLS-4 UNSWEPT: marked by the last collection, not yet swept, on the
 *        unswept list of its class; a cell holds a live object iff its mark
 *        bit is set, and live_cells (> 0) counts the marked cells. Nothing
 *        is allocated in it until a refill sweeps it (lazy sweeping, in
 *        mutator time).
 *  FLS-5 Mark bits are set only between gc_fls_prepare and gc_fls_finish
 *        (`marking`): prepare clears every in-use block's mark bits, then
 *        they are set for exactly the reachable cells. Blocks with no live
 *        cell after marking return to the pool at once, so any size class
 *        can reuse them.
 */
#ifndef GC_FREELIST_SPACE_H
#define GC_FREELIST_SPACE_H

#include "core/collector.h"
#include "core/sizeclass.h"

#define GC_FLS_BLOCK_SHIFT 15
#define GC_FLS_BLOCK ((size_t)1 << GC_FLS_BLOCK_SHIFT) /* 32 KiB */
#define GC_FLS_GRANULES (GC_FLS_BLOCK / 16)
#define GC_FLS_NONE UINT32_MAX
/* Fresh blocks are faulted in this many at a time (1 MiB), see take_block. */
#define GC_FLS_POPULATE_BLOCKS 32

enum { GC_FLS_FREE = 0, GC_FLS_SWEPT, GC_FLS_UNSWEPT };

typedef struct gc_fls_block {
    uint32_t next;      /* free pool / unswept list link */
    uint8_t state;
    uint8_t cls;
    uint16_t cell_size;
    uint32_t ncells;
    uint32_t live_cells;
    uint32_t bump_cells; /* SWEPT: cells [0, bump_cells) are objects or free-list cells */
    bool touched;        /* its pages have been faulted in (taken once, or prefaulted) */
    uint64_t marks[GC_FLS_GRANULES / 64];
} gc_fls_block;

typedef struct gc_fls {
    char *base;
    size_t nblocks;
    gc_fls_block *meta;                        /* nblocks entries, a reservation */
    size_t high;                               /* blocks [high, nblocks) never taken (FLS-1) */
    uint32_t free_blocks;                      /* pool of free blocks below high, linked by next */
    uint32_t unswept[GC_SIZE_CLASS_COUNT];     /* per class, linked by next */
    size_t blocks_in_use;                      /* SWEPT + UNSWEPT */
    bool marking;                              /* between prepare and finish */
} gc_fls;

/* Reserves address space for max_bytes (rounded up to whole blocks) and
 * for its metadata; commits neither. -1 when the reservation fails. */
int gc_fls_init(gc_fls *s, size_t max_bytes);
void gc_fls_destroy(gc_fls *s);

GC_INLINE bool gc_fls_contains(const gc_fls *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->base < s->nblocks * GC_FLS_BLOCK;
}
/* Bytes counted against the heap limit: the blocks in use. */
GC_INLINE size_t gc_fls_footprint(const gc_fls *s) { return s->blocks_in_use * GC_FLS_BLOCK; }

/* Sets the mark bit of the cell starting at o (an allocated cell of this
 * space, between prepare and finish); true when newly marked. */
GC_INLINE bool gc_fls_mark(gc_fls *s, const gc_object *o)
{
    size_t off = (uintptr_t)o - (uintptr_t)s->base;
    gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    GC_ASSERT(s->marking);
    GC_ASSERT(gc_fls_contains(s, o));
    GC_ASSERT(b->state != GC_FLS_FREE && (off & (GC_FLS_BLOCK - 1)) % b->cell_size == 0);
    size_t g = (off & (GC_FLS_BLOCK - 1)) >> 4;
    uint64_t bit = (uint64_t)1 << (g & 63);
    if (b->marks[g >> 6] & bit)
        return false;
    b->marks[g >> 6] |= bit;
    b->live_cells++;
    return true;
}
GC_INLINE bool gc_fls_is_marked(const gc_fls *s, const gc_object *o)
{
    GC_ASSERT(gc_fls_contains(s, o));
    size_t off = (uintptr_t)o - (uintptr_t)s->base;
    const gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    size_t g = (off & (GC_FLS_BLOCK - 1)) >> 4;
    return (b->marks[g >> 6] >> (g & 63)) & 1u;
}

/* ---- allocation (budgeted: `room` is what the heap budget still allows) ---- */

/* A free list of class cls: lazily swept cells of an unswept block, else a
 * block from the pool formatted as a free list if a block fits in `room`.
 * NULL when neither. */
void *gc_fls_refill(gc_fls *s, unsigned cls, size_t room);
/* Lazily sweeps unswept blocks of class cls until one yields free cells;
 * returns that free list (NULL when no unswept block of cls has room). */
void *gc_fls_sweep_for(gc_fls *s, unsigned cls);
/* Takes a block from the pool for class cls, to be filled by bumping a
 * pointer through [start, *end) (no free list is threaded through it);
 * NULL when no block fits in `room` or the reservation has none left. The
 * caller calls gc_fls_bump_publish(s, cursor) before anything walks the
 * space. */
char *gc_fls_fresh_bump(gc_fls *s, unsigned cls, size_t room, char **end);
/* Records that the bump-filled block containing cursor - 1 is used up to
 * cursor (a cell boundary after at least one cell). */
void gc_fls_bump_publish(gc_fls *s, const char *cursor);
/* Faults in the never-touched blocks among the first `bytes` of the free
 * pool, then of the blocks from the high-water mark on (the blocks the
 * next allocations will take), so that cost is paid
 * now rather than inside a later pause (fresh blocks in runs of up to
 * GC_FLS_POPULATE_BLOCKS, so up to that many more). Returns the number of
 * blocks faulted in. */
size_t gc_fls_prefault(gc_fls *s, size_t bytes);

/* ---- collection --------------------------------------------------------------- */

/* Before marking: clears mark bits and live counts of all in-use blocks. */
void gc_fls_prepare(gc_fls *s);
/* After marking: releases empty blocks to the pool, queues the rest for
 * lazy sweeping. */
void gc_fls_finish(gc_fls *s);
/* Sweeps every unswept block now (eager completion). */
void gc_fls_sweep_all(gc_fls *s);

/* ---- queries ------------------------------------------------------------------ */

bool gc_fls_is_object(const gc_fls *s, const gc_object *o);
/* Calls fn on every allocated object: in swept blocks every cell below the
 * bump mark with a valid header, in unswept blocks every marked cell. */
void gc_fls_each(gc_fls *s, void (*fn)(gc_object *o, void *ctx), void *ctx);
/* For verifiers: checks FLS-1..5 (block metadata, pool and unswept lists,
 * the cells of swept blocks), reporting each problem with
 * gc_verify_fail(h, ...); returns how many. */
size_t gc_fls_check(const gc_fls *s, gc_heap *h);

#endif
