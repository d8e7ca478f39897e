/* collectors/freelist_space.h — a non-moving space of fixed-size blocks, each
 * holding cells of one size class, with side mark bitmaps and lazy sweeping.
 * Mark-sweep uses it as its whole small-object heap; the generational
 * collector's mature space is the same space.
 *
 * Layout: one contiguous virtual reservation of `nblocks` blocks of
 * GC_FLS_BLOCK bytes. Per block, side metadata: state, size class, a mark
 * bit per 16-byte granule, and a live-cell count.
 *
 * Block states and invariants:
 *  - FREE: in the free-block pool, not counted in the footprint.
 *  - SWEPT: allocating; every cell below bump_cells is either an object
 *    (header tag set) or a free cell whose first word links the free list
 *    (tag clear). A block taken with gc_fls_fresh_bump is filled in address
 *    order by its owner's bump pointer: cells from bump_cells on were never
 *    handed out (their contents are stale) and bump_cells is brought up to
 *    date by gc_fls_bump_publish. Otherwise bump_cells = ncells.
 *  - UNSWEPT: marked by the last collection, not yet swept; a cell holds a
 *    live object iff its mark bit is set. Nothing is allocated in it until a
 *    mutator's refill sweeps it (lazy sweeping, in mutator time).
 *  - Between gc_fls_prepare_mark and gc_fls_after_mark every in-use block's
 *    mark bits start clear and are set for exactly the reachable cells.
 *  - Blocks with no live cell after marking return to the pool at once, so
 *    any size class can reuse them.
 */
#ifndef GC_FREELIST_SPACE_H
#define GC_FREELIST_SPACE_H

#include "core/object.h"
#include "core/sizeclass.h"

#define GC_FLS_BLOCK_SHIFT 15
#define GC_FLS_BLOCK ((size_t)1 << GC_FLS_BLOCK_SHIFT) /* 32 KiB */
#define GC_FLS_GRANULES (GC_FLS_BLOCK / 16)
#define GC_FLS_NONE UINT32_MAX

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
    gc_fls_block *meta;
    uint32_t free_blocks;                      /* pool, linked by next */
    uint32_t unswept[GC_SIZE_CLASS_COUNT];     /* per class, linked by next */
    size_t blocks_in_use;                      /* SWEPT + UNSWEPT */
} gc_fls;

/* Reserves address space for max_bytes (rounded up to whole blocks). */
int gc_fls_init(gc_fls *s, size_t max_bytes);
void gc_fls_destroy(gc_fls *s);

static inline bool gc_fls_contains(const gc_fls *s, const void *p)
{
    return (uintptr_t)p - (uintptr_t)s->base < s->nblocks * GC_FLS_BLOCK;
}
static inline size_t gc_fls_footprint(const gc_fls *s) { return s->blocks_in_use * GC_FLS_BLOCK; }

/* Sets the mark bit of the cell starting at o; true when newly marked. */
static inline bool gc_fls_mark(gc_fls *s, const gc_object *o)
{
    size_t off = (uintptr_t)o - (uintptr_t)s->base;
    gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    size_t g = (off & (GC_FLS_BLOCK - 1)) >> 4;
    uint64_t bit = (uint64_t)1 << (g & 63);
    if (b->marks[g >> 6] & bit)
        return false;
    b->marks[g >> 6] |= bit;
    b->live_cells++;
    return true;
}
static inline bool gc_fls_is_marked(const gc_fls *s, const gc_object *o)
{
    size_t off = (uintptr_t)o - (uintptr_t)s->base;
    const gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    size_t g = (off & (GC_FLS_BLOCK - 1)) >> 4;
    return (b->marks[g >> 6] >> (g & 63)) & 1u;
}

/* Lazily sweeps unswept blocks of class cls until one yields free cells;
 * returns that free list (NULL when no unswept block of cls has room). */
void *gc_fls_sweep_for(gc_fls *s, unsigned cls);
/* Formats a block from the pool as a free list of class cls; NULL when the
 * reservation has no free block. The caller checks the heap budget. */
void *gc_fls_fresh_block(gc_fls *s, unsigned cls);
/* Takes a block from the pool for class cls, to be filled by bumping a
 * pointer through [start, *end) (no free list is threaded through it); NULL
 * when the reservation has no free block. The caller checks the budget and
 * calls gc_fls_bump_publish(s, cursor) before anything walks the space. */
char *gc_fls_fresh_bump(gc_fls *s, unsigned cls, char **end);
/* Records that the bump-filled block containing cursor - 1 is used up to
 * cursor (a cell boundary after at least one cell). */
void gc_fls_bump_publish(gc_fls *s, const char *cursor);
/* Faults in the never-touched blocks among the first `bytes` of the free
 * pool (the blocks the next allocations will take), so that cost is paid
 * now rather than inside a later pause. Returns the number of blocks
 * faulted in. */
size_t gc_fls_prefault(gc_fls *s, size_t bytes);
/* Before marking: clears mark bits and live counts of all in-use blocks. */
void gc_fls_prepare_mark(gc_fls *s);
/* After marking: releases empty blocks to the pool, queues the rest for lazy
 * sweeping. */
void gc_fls_after_mark(gc_fls *s);
/* Sweeps every unswept block now (eager completion). */
void gc_fls_sweep_all(gc_fls *s);
bool gc_fls_is_object(const gc_fls *s, const gc_object *o);
/* Calls fn on every allocated object: in swept blocks every cell with a
 * valid header, in unswept blocks every marked cell. */
void gc_fls_walk(gc_fls *s, void (*fn)(gc_object *o, void *ctx), void *ctx);

#endif
