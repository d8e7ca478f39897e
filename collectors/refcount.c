/* collectors/refcount.c — deferred reference counting (Deutsch & Bobrow 1976)
 * with synchronous cycle collection by trial deletion (Bacon & Rajan,
 * "Concurrent Cycle Collection in Reference Counted Systems", ECOOP 2001,
 * section 3). Objects live behind an 8-byte prefix word in cells of the
 * collector's arena (a bump space), then of jemalloc (core/sysalloc.h), and
 * large ones in jemalloc blocks; mutators allocate inline from free lists
 * of cells that a refill links (GC_ALLOC_FREELIST). See
 * docs/collectors/refcount.md.
 *
 *   write barrier     (core has stored new) into an old holder:
 *                     Increment(new); Decrement(old); into a young one: nothing
 *   reclamation       flush the free lists; IncrementRoots; trace the young
 *                     objects; deferred decrements; the ZCT; release the
 *                     dead stack (within a budget at the allocation threshold)
 *                     (phases roots, young, release; gc_collect MINOR)
 * New objects are born dead (Shahriyar, Blackburn, Yang & McKinley, "Taking
 * Off the Gloves with Reference Counting Immix", OOPSLA 2013): stores into
 * an object allocated since the last reclamation (YOUNG) are not counted;
 * the reclamation traces the young objects from the ones that are counted
 * (by roots or by old objects), counts the references of each one it
 * reaches, which then is old, and frees the rest without looking inside.
 *   cycle collection  reclamation; MarkRoots (MarkGray); ScanRoots (Scan,
 *                     ScanBlack); CollectRoots (CollectWhite)
 *                     (phases MarkGray, Scan, CollectWhite; MAJOR, ANY)
 * Option "cycles" (on): off turns cycle collection off, to show the leak.
 *
 * Invariants (checked by rc_verify after every pause under --verify):
 *  - count(o) = references to o from fields of allocated, unreleased, old
 *    (not YOUNG) objects + entries for o in the root snapshot (root slots
 *    seen at the last reclamation), unless o is sticky (count == RC_STICKY:
 *    never changes). Fields of YOUNG objects are not counted.
 *  - YOUNG objects are exactly the entries of the young list and the cells
 *    the mutators have taken from their free lists since those were last
 *    flushed: black, not buffered, not in the ZCT. No object is YOUNG at
 *    the end of a reclamation (each one was reached, and is old, or was
 *    freed). A cell still on a free list is not an object (its first word
 *    is a link, never a valid header).
 *  - Every old allocated object with count 0 is in the ZCT (zct[idx-1] == o),
 *    is DEAD (on the dead stack: garbage whose release, the decrement of its
 *    children, waits for the next reclamation's budget), or is RELEASED (a
 *    buffered object whose children have been decremented, waiting in the
 *    root buffer for MarkRoots to free its memory). DEAD objects are
 *    exactly the dead stack's entries; outside a threshold reclamation's
 *    budget there are none (every other reclamation empties the stack).
 *  - PURPLE objects and RELEASED objects are BUFFERED; BUFFERED objects are
 *    exactly the root buffer's entries. Outside a cycle collection no object
 *    is GRAY or WHITE, and no object is ROOTED outside a reclamation.
 *  - Nothing is freed outside a reclamation or cycle collection (the barrier
 *    only moves objects into the ZCT or the root buffer), so an unrooted
 *    object stays valid until the next allocation or collection, as the
 *    rooting discipline of core/heap.h promises.
 *  - Every traversal (cascade, MarkGray, Scan, ScanBlack, CollectWhite, the
 *    audit) uses an explicit stack in system memory, never C recursion.
 *  - The footprint (old objects' bytes + cached blocks' room + the room of
 *    every cell handed out since the last reclamation + large young
 *    objects) never exceeds the heap limit: alloc_slow reclaims, then
 *    collects cycles, and fails rather than exceed it (core's verifier
 *    checks the footprint). heap_used = old objects' bytes + what core
 *    counted as allocated since the last reclamation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/prefetch.h"
#include "core/ptrset.h"
#include "core/sysalloc.h"
#include "bump_space.h"

/* Under AddressSanitizer, LeakSanitizer must see the arena's objects: their
 * fields are the only references to cells and large objects that come from
 * malloc, and it does not scan mappings of our own. */
#if defined(__SANITIZE_ADDRESS__)
#define RC_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RC_LSAN 1
#endif
#endif
#ifdef RC_LSAN
#include <sanitizer/lsan_interface.h>
#endif

/* ---- tuning constants (docs/collectors/refcount.md) ------------------------- */

/* A reclamation runs at the first slow-path allocation after the young
 * objects (young list and cells handed out) and the ZCT's entries number
 * this many together: about every 8K allocations. */
#define RC_ZCT_THRESHOLD 8192u
/* A reclamation at the ZCT threshold releases at most this many objects
 * (the freeing cascade's length); the rest wait on the dead stack for the
 * next reclamation. Any other reclamation releases everything. */
#define RC_RELEASE_BUDGET 16384u
/* A cycle collection runs at the first allocation after the root buffer
 * holds this many possible roots. */
#define RC_BUFFER_THRESHOLD 16384u

/* ---- the prefix word ------------------------------------------------------------
 *  bits 0..1   colour (Bacon-Rajan): BLACK 0, GRAY 1, WHITE 2, PURPLE 3;
 *              GREEN (acyclic) is a property of the type, not stored
 *  bit  2      BUFFERED: in the root buffer
 *  bit  3      ROOTED: referenced from a root slot (during a reclamation)
 *  bit  4      RELEASED: children decremented, memory not yet freed
 *  bit  5      YOUNG: allocated since the last reclamation; its fields
 *              are not counted
 *  bit  6      DEAD: garbage on the dead stack, children not yet decremented
 *  bit  7      FREE: a block in the cache (not an object; its header is 0)
 *  bits 8..23  reference count, sticky at RC_STICKY
 *  bits 24..63 ZCT index + 1 (0: not in the ZCT)
 */
typedef uint64_t rc_word;

#define RC_PREFIX ((size_t)sizeof(rc_word))
#define RC_COLOUR_MASK ((rc_word)3)
enum { RC_BLACK = 0, RC_GRAY = 1, RC_WHITE = 2, RC_PURPLE = 3 };
#define RC_BUFFERED ((rc_word)1 << 2)
#define RC_ROOTED ((rc_word)1 << 3)
#define RC_RELEASED ((rc_word)1 << 4)
#define RC_YOUNG ((rc_word)1 << 5)
#define RC_DEAD ((rc_word)1 << 6)
#define RC_FREE ((rc_word)1 << 7)
#define RC_COUNT_SHIFT 8
#define RC_COUNT_BITS 16
#define RC_STICKY ((rc_word)((1u << RC_COUNT_BITS) - 1))
#define RC_ONE ((rc_word)1 << RC_COUNT_SHIFT)
#define RC_ZCT_SHIFT 24

GC_INLINE rc_word *rc_pfx(const gc_object *o) { return (rc_word *)o - 1; }
GC_INLINE rc_word rc_count(rc_word w) { return (w >> RC_COUNT_SHIFT) & RC_STICKY; }
GC_INLINE unsigned rc_colour(rc_word w) { return (unsigned)(w & RC_COLOUR_MASK); }
GC_INLINE rc_word rc_with_colour(rc_word w, unsigned c) { return (w & ~RC_COLOUR_MASK) | c; }
GC_INLINE uint64_t rc_zct_index(rc_word w) { return w >> RC_ZCT_SHIFT; } /* index + 1 */
GC_INLINE void rc_set_colour(gc_object *o, unsigned c) { *rc_pfx(o) = rc_with_colour(*rc_pfx(o), c); }

const uint64_t gc_rc_sticky_count = RC_STICKY;

/* Debug accessor for tests: the object's reference count (heap references
 * plus root-snapshot entries; RC_STICKY once saturated). */
uint64_t gc_rc_count(const gc_object *obj) { return rc_count(*rc_pfx(obj)); }

/* ---- the object map: which addresses are allocated objects ---------------------------
 * One bit per 8-byte granule of jemalloc's address space, in 16 KiB leaves
 * covering 1 MiB each, found through a two-level table (bits 36..47, then
 * 20..35 of the address). Setting and clearing a bit touches memory next to
 * the bits of the objects jemalloc allocated beside it, where a hash set
 * (gc_ptrset) costs a cache miss per insert and per remove: with the hash set
 * those two calls took 48% of the run time of `trees` (perf). contains()
 * never dereferences the address, so the verifier may ask about anything.
 */
#define RC_LEAF_SHIFT 20
#define RC_L2_BITS 16
#define RC_L1_BITS 12
#define RC_LEAF_WORDS (((size_t)1 << RC_LEAF_SHIFT) / GC_GRANULE / 64)

typedef struct rc_leaf {
    uint64_t bits[RC_LEAF_WORDS];
    uintptr_t base;
    struct rc_leaf *next; /* every leaf, for enumeration */
} rc_leaf;

typedef struct rc_objmap {
    rc_leaf **l1[(size_t)1 << RC_L1_BITS];
    rc_leaf *leaves;
} rc_objmap;

GC_INLINE rc_leaf *rc_leaf_of(const rc_objmap *map, uintptr_t a)
{
    if (GC_UNLIKELY(a >> (RC_LEAF_SHIFT + RC_L2_BITS + RC_L1_BITS)))
        return NULL;
    rc_leaf **l2 = map->l1[a >> (RC_LEAF_SHIFT + RC_L2_BITS)];
    return l2 ? l2[(a >> RC_LEAF_SHIFT) & (((uintptr_t)1 << RC_L2_BITS) - 1)] : NULL;
}

GC_INLINE size_t rc_leaf_bit(uintptr_t a) { return (a & (((uintptr_t)1 << RC_LEAF_SHIFT) - 1)) / GC_GRANULE; }

static GC_NOINLINE rc_leaf *rc_leaf_create(rc_objmap *map, uintptr_t a)
{
    if (a >> (RC_LEAF_SHIFT + RC_L2_BITS + RC_L1_BITS)) {
        fprintf(stderr, "gcbench: refcount: address %p outside the 48-bit object map\n", (void *)a);
        abort();
    }
    rc_leaf ***l2 = &map->l1[a >> (RC_LEAF_SHIFT + RC_L2_BITS)];
    if (!*l2)
        *l2 = gc_sys_alloc_zeroed(sizeof(rc_leaf *) << RC_L2_BITS);
    rc_leaf *leaf = gc_sys_alloc_zeroed(sizeof *leaf);
    leaf->base = a & ~(((uintptr_t)1 << RC_LEAF_SHIFT) - 1);
    leaf->next = map->leaves;
    map->leaves = leaf;
    (*l2)[(a >> RC_LEAF_SHIFT) & (((uintptr_t)1 << RC_L2_BITS) - 1)] = leaf;
    return leaf;
}

GC_INLINE void rc_map_add(rc_objmap *map, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    rc_leaf *leaf = rc_leaf_of(map, a);
    if (GC_UNLIKELY(!leaf))
        leaf = rc_leaf_create(map, a);
    size_t b = rc_leaf_bit(a);
    leaf->bits[b / 64] |= (uint64_t)1 << (b % 64);
}

/* Clears p's bit, if its leaf exists. */
GC_INLINE void rc_map_clear(rc_objmap *map, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    rc_leaf *leaf = rc_leaf_of(map, a);
    size_t b = rc_leaf_bit(a);
    if (leaf)
        leaf->bits[b / 64] &= ~((uint64_t)1 << (b % 64));
}

static bool rc_map_contains(const rc_objmap *map, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    if (a & (GC_GRANULE - 1))
        return false;
    rc_leaf *leaf = rc_leaf_of(map, a);
    size_t b = rc_leaf_bit(a);
    return leaf && ((leaf->bits[b / 64] >> (b % 64)) & 1);
}

/* Calls fn(o, ctx) for every object in the map (any order; fn may not
 * change the map). */
static void rc_map_each(const rc_objmap *map, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    for (rc_leaf *leaf = map->leaves; leaf; leaf = leaf->next)
        for (size_t w = 0; w < RC_LEAF_WORDS; w++)
            for (uint64_t bits = leaf->bits[w]; bits; bits &= bits - 1)
                fn((gc_object *)(leaf->base + (w * 64 + (size_t)__builtin_ctzll(bits)) * GC_GRANULE), ctx);
}

static void rc_map_free(rc_objmap *map)
{
    for (rc_leaf *leaf = map->leaves, *next; leaf; leaf = next) {
        next = leaf->next;
        gc_sys_free(leaf, sizeof *leaf);
    }
    for (size_t i = 0; i < ((size_t)1 << RC_L1_BITS); i++)
        gc_sys_free(map->l1[i], sizeof(rc_leaf *) << RC_L2_BITS);
}

/* ---- phases and options ---------------------------------------------------------- */

/* Indices into rc_phases (the pause phases this collector declares). */
enum { RC_PHASE_ROOTS, RC_PHASE_YOUNG, RC_PHASE_RELEASE, RC_PHASE_MARK_GRAY, RC_PHASE_SCAN, RC_PHASE_COLLECT_WHITE };

static const char *const rc_phases[] = {
    [RC_PHASE_ROOTS] = "roots",                /* IncrementRoots */
    [RC_PHASE_YOUNG] = "young",                /* trace the young objects, free the rest */
    [RC_PHASE_RELEASE] = "release",            /* deferred decrements, ZCT, cascades */
    [RC_PHASE_MARK_GRAY] = "MarkGray",         /* MarkRoots */
    [RC_PHASE_SCAN] = "Scan",                  /* ScanRoots (Scan, ScanBlack) */
    [RC_PHASE_COLLECT_WHITE] = "CollectWhite", /* CollectRoots */
    NULL,
};

static const gc_option_desc rc_options[] = {
    {"cycles", GC_OPTION_BOOL, "on", "Bacon-Rajan cycle collection (off shows the leak, reported as leaked_bytes)"},
    {NULL, 0, NULL, NULL},
};

/* ---- state ------------------------------------------------------------------------ */

typedef struct rc_heap {
    gc_heap *h;
    bool cycles;               /* cycle collection on (option "cycles") */
    size_t limit;              /* gc_heap_limit(h): heap_used never exceeds it */
    rc_objmap objects;         /* every old allocated object not yet freed (incl. RELEASED);
                                  young objects are the young list */
    uint64_t used_bytes, used_objects; /* the old objects (young ones: alloc_at below) */
    uint64_t alloc_at;         /* gc_heap_allocated_bytes() when the last reclamation had
                                  dealt with every young object: heap_used = used_bytes
                                  + what was allocated since (nothing is freed between) */
    uint64_t large_young_bytes; /* young objects not in cells (rc_alloc_large) */
    /* Per size class of objects: the block of its cells (0: no cells, the
     * object gets a block of its own) and the cache stack of that block. */
    uint16_t cell_block[GC_SIZE_CLASS_COUNT];
    uint8_t cell_stack[GC_SIZE_CLASS_COUNT];
    /* Freed small objects' blocks (prefix + object), kept per block size
     * for reuse instead of going back to jemalloc (rc_free_block, rc_refill,
     * rc_flush_cache). Stack c holds blocks of gc_size_class_bytes[c] bytes
     * (cell_stack maps an object's size class to it), marked FREE. Each is
     * a stack of pointers in system memory, not a list linked through the
     * blocks: a refill takes 32 off it without reading them (cached blocks
     * are cold). cached_bytes = the room of the cached blocks (block bytes
     * - prefix), counted in the footprint like the objects themselves. */
    gc_objstack cached[GC_SIZE_CLASS_COUNT];
    uint64_t cached_bytes;
    /* Where new cells come from (rc_new_cell): the arena, a reservation of
     * the collector's own faulted in 1 MiB at a time (BUMP-4; jemalloc
     * faults its fresh pages in one by one, and the cells were most of
     * refcount's page faults), then jemalloc once the arena is used up.
     * An arena cell is never given to jemalloc: where a jemalloc block
     * would go back to it (rc_free_block over the limit, rc_flush_cache),
     * an arena cell goes on spare[cell_stack], marked FREE, out of the
     * footprint like memory jemalloc keeps, and a refill takes spare cells
     * before new memory. The arena (heap limit x 5/4, at most
     * RC_ARENA_MAX) bounds what the spare cells hold. */
    gc_bump_space arena;
    gc_objstack spare[GC_SIZE_CLASS_COUNT];
    /* Per cache stack: the cells of its size that exist (not given back
     * to jemalloc). rc_new_cell keeps cached[c].cap >= cells[c], so that
     * caching a freed cell never grows its stack inside a pause (growing a
     * 2 MiB stack to 4 MiB there took 8 ms of first-touch faults). */
    uint64_t cells[GC_SIZE_CLASS_COUNT];
    size_t lsan_chunks; /* RC_LSAN: MiB of the arena registered as root regions */
    /* Cells handed to the mutators since the last reclamation (rc_refill):
     * handed_room = their room, counted in the footprint whether the
     * mutator has taken them or not, until the reclamation deals with them
     * (frees them, or counts their objects in used_bytes); handed_cells =
     * how many are on lists now. batch_epoch counts refills and flushes
     * (for rc_contains' sorted copy); last_cell = the cell the last refill
     * returned. */
    uint64_t handed_room, handed_cells, batch_epoch;
    gc_object *last_cell;
    gc_objstack young;            /* objects allocated since the last reclamation (YOUNG) */
    gc_objstack young_sorted;     /* a sorted copy of `young` for rc_contains, built on demand */
    uint64_t young_sorted_at;     /* reclamations + 1 when young_sorted was built (0: never) */
    uint64_t young_sorted_n, young_sorted_epoch; /* young.n and batch_epoch then */
    gc_objstack zct;              /* zero-count table of old objects; NULL holes where
                                     entries left early */
    gc_objstack dead;             /* garbage not yet released (DEAD): the cascade's work */
    gc_objstack buffer;           /* Bacon-Rajan's Roots: possible roots of garbage cycles */
    gc_objstack snap, snap_next;  /* root snapshot: one counted entry per root slot */
    gc_objstack work, black;      /* explicit stacks for the traversals */
    gc_prefetch_fifo pf;          /* children waiting for their count word (rc_release,
                                     rc_mark_gray); empty between traversals */
    gc_objstack orphan_incs, orphan_decs; /* logs of detached mutators, not yet applied */
    uint64_t released;         /* objects released by reference counting, ever */
    uint64_t young_survived, young_freed; /* young objects reached / freed by reclamations */
    /* statistics */
    uint64_t reclamations, reclaim_ns, cascade_pauses;
    uint64_t cycle_collections, cycle_freed_objects, cycle_freed_bytes;
    uint64_t sticky_objects;
    uint64_t finish_ns;
    bool audited;
    uint64_t leaked_bytes, leaked_objects;
} rc_heap;

/* Per mutator (m->collector_data). In a multi-mutator heap the barrier
 * runs in every mutator thread at once and may not touch counts: it logs
 * the increment and the decrement in its own mutator's buffers, and every
 * reclamation, with the world stopped, applies all logs — every increment
 * first, then every decrement, so no count goes through zero spuriously
 * (buffered reference counting in the style of Levanoni & Petrank,
 * "An On-the-Fly Reference-Counting Garbage Collector for Java", 2001, with
 * stop-the-world epochs). A one-mutator heap keeps the immediate barrier. */
/* The cells of one size class on a mutator's free list, in list order:
 * v[0..n) were linked v[0] -> v[1] -> ... by rc_refill, and the mutator's
 * inline allocator pops them in that order, so the cells it has taken are
 * a prefix of v (the rest are still on m->free_lists[c]). */
typedef struct rc_batch {
    gc_object **v; /* RC_BATCH entries, allocated at the class's first refill */
    uint32_t n;
} rc_batch;

typedef struct rc_mutator {
    struct rc_heap *rc;
    gc_objstack incs, decs; /* logged, not yet applied (multi-mutator heaps only) */
    rc_batch batch[GC_SIZE_CLASS_COUNT];
} rc_mutator;

/* Cells a refill links onto a mutator's free list of one size class. */
#define RC_BATCH 32u

/* Logged entries before a mutator's allocation forces a reclamation. */
#define RC_LOG_THRESHOLD 65536u

static rc_heap *rc_of(gc_heap *h) { return gc_heap_collector(h); }
static size_t rc_heap_used(gc_heap *h);
/* The barrier and alloc_slow run on every store and every allocation: they
 * find the state through the mutator (rc_mutator_init) without a call. */
GC_INLINE rc_heap *rc_of_mutator(gc_mutator *m) { return ((rc_mutator *)m->collector_data)->rc; }

/* ---- memory ---------------------------------------------------------------------- */

/* A small object lives in a block that can hold the prefix and any object
 * of the object's size class (so a free list of that class can use any
 * block of the size); a larger one in a block of its exact size. */
#define RC_CACHED_MAX GC_SMALL_MAX

/* The arena's reservation: room for the heap limit's worth of cells with
 * their prefixes (a 32-byte object's cell is 48 bytes, 40 of them room),
 * within reason for address space; cells beyond it come from jemalloc. */
#define RC_ARENA_MAX ((size_t)16 << 30)

GC_INLINE bool rc_in_arena(const rc_heap *rc, const gc_object *o)
{
    return gc_bump_in_reservation(&rc->arena, o);
}

/* RC_LSAN: the arena's populated part is registered as LeakSanitizer root
 * regions, 1 MiB chunks at a time as it grows (rc_lsan_cover), and
 * unregistered chunk by chunk at destroy (rc_lsan_forget). Chunk i: */
#ifdef RC_LSAN
#define RC_LSAN_CHUNK ((size_t)1 << 20)
static size_t rc_lsan_len(const rc_heap *rc, size_t i)
{
    size_t off = i * RC_LSAN_CHUNK;
    return rc->arena.reserved - off < RC_LSAN_CHUNK ? rc->arena.reserved - off : RC_LSAN_CHUNK;
}
#endif

static void rc_lsan_cover(rc_heap *rc)
{
#ifdef RC_LSAN
    for (; rc->lsan_chunks * RC_LSAN_CHUNK < (size_t)(rc->arena.populated - rc->arena.start); rc->lsan_chunks++)
        __lsan_register_root_region(rc->arena.start + rc->lsan_chunks * RC_LSAN_CHUNK, rc_lsan_len(rc, rc->lsan_chunks));
#else
    (void)rc;
#endif
}

static void rc_lsan_forget(rc_heap *rc)
{
#ifdef RC_LSAN
    for (size_t i = 0; i < rc->lsan_chunks; i++)
        __lsan_unregister_root_region(rc->arena.start + i * RC_LSAN_CHUNK, rc_lsan_len(rc, i));
    rc->lsan_chunks = 0;
#else
    (void)rc;
#endif
}

/* A block for a new cell of `block` bytes (stack cs): a spare arena cell,
 * else new arena memory, else jemalloc. Returns the object address (after
 * the prefix). */
static gc_object *rc_new_cell(rc_heap *rc, unsigned cs, size_t block)
{
    if (!gc_objstack_empty(&rc->spare[cs]))
        return gc_objstack_pop(&rc->spare[cs]);
    if (++rc->cells[cs] > rc->cached[cs].cap)
        gc_objstack_grow(&rc->cached[cs]); /* in mutator time (rc_refill) */
    if (block <= rc->arena.reserved - gc_bump_footprint(&rc->arena)) {
        gc_object *o = (gc_object *)((char *)gc_bump_take(&rc->arena, block) + RC_PREFIX);
        rc_lsan_cover(rc);
        return o;
    }
    return (gc_object *)((char *)gc_sys_alloc(block) + RC_PREFIX);
}

/* Fills rc->cell_block and cell_stack (rc_init). */
static void rc_init_cells(rc_heap *rc)
{
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
        size_t b = (size_t)gc_size_class_bytes[c] + RC_PREFIX;
        rc->cell_block[c] = b <= RC_CACHED_MAX ? gc_size_class_bytes[gc_size_class_of(b)] : 0;
        rc->cell_stack[c] = b <= RC_CACHED_MAX ? (uint8_t)gc_size_class_of(b) : 0;
    }
}

/* The cell block for an object of `bytes`, 0 if it gets a block of its own. */
GC_INLINE size_t rc_cell_bytes(const rc_heap *rc, size_t bytes)
{
    return bytes <= GC_SMALL_MAX ? rc->cell_block[gc_size_class_of(bytes)] : 0;
}

GC_INLINE size_t rc_block_bytes(const rc_heap *rc, size_t bytes)
{
    size_t cell = rc_cell_bytes(rc, bytes);
    return cell ? cell : bytes + RC_PREFIX;
}

GC_INLINE uint64_t rc_footprint_of(const rc_heap *rc)
{
    return rc->used_bytes + rc->cached_bytes + rc->handed_room + rc->large_young_bytes;
}

/* Frees the block of an object of `size` (already out of the accounts):
 * a cell's block goes on its cache stack, unless that would take the
 * footprint over the limit (a block's room can exceed the object that used
 * it); any other block back to jemalloc. */
GC_INLINE void rc_free_block(rc_heap *rc, gc_object *o, size_t size)
{
    o->header = 0; /* a dangling reference now fails the verifier's tag check */
    unsigned c = size <= GC_SMALL_MAX ? gc_size_class_of(size) : 0;
    size_t cell = size <= GC_SMALL_MAX ? rc->cell_block[c] : 0;
    if (cell && rc_footprint_of(rc) + (cell - RC_PREFIX) <= rc->limit) {
        *rc_pfx(o) = RC_FREE; /* its map bit, if any, stays (rc_map_each skips it) */
        GC_ASSERT(rc->cached[rc->cell_stack[c]].n < rc->cached[rc->cell_stack[c]].cap); /* never grows here */
        gc_objstack_push(&rc->cached[rc->cell_stack[c]], o);
        rc->cached_bytes += cell - RC_PREFIX;
        return;
    }
    if (cell && rc_in_arena(rc, o)) { /* never to jemalloc: spare, out of the footprint */
        *rc_pfx(o) = RC_FREE;
        gc_objstack_push(&rc->spare[rc->cell_stack[c]], o);
        return;
    }
    rc_map_clear(&rc->objects, o); /* memory jemalloc may give to anything */
    if (cell)
        rc->cells[rc->cell_stack[c]]--;
    gc_sys_free((char *)o - RC_PREFIX, cell ? cell : size + RC_PREFIX);
}

/* Frees an old object's memory: out of the accounts. Its bit in the object
 * map is not cleared (a cache miss per object when a large structure is
 * freed): a block that stays in the collector's hands keeps it, marked
 * FREE, or YOUNG once reused, and the enumeration skips both; a block
 * going back to jemalloc is cleared (rc_free_block, rc_flush_cache). */
GC_INLINE void rc_free_memory(rc_heap *rc, gc_object *o)
{
    size_t size = gc_object_size(o);
    rc->used_bytes -= size;
    rc->used_objects--;
    rc_free_block(rc, o, size);
}

/* Gives every cached block back to jemalloc (an arena cell to its spare
 * stack: out of the footprint all the same). */
static void rc_flush_cache(rc_heap *rc)
{
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
        gc_objstack *st = &rc->cached[c];
        while (!gc_objstack_empty(st)) {
            gc_object *o = gc_objstack_pop(st);
            if (rc_in_arena(rc, o)) {
                gc_objstack_push(&rc->spare[c], o);
                continue;
            }
            rc_map_clear(&rc->objects, o);
            rc->cells[c]--;
            gc_sys_free((char *)o - RC_PREFIX, gc_size_class_bytes[c]);
        }
    }
    rc->cached_bytes = 0;
}

/* ---- the mutators' free lists ------------------------------------------------------------
 * alloc_mode is GC_ALLOC_FREELIST: core pops m->free_lists[c] inline. A
 * refill links up to RC_BATCH blocks (cached ones first) into a list of
 * cells for objects of size class c, each with its prefix word already
 * YOUNG; a cell the mutator takes is a young object without any call into
 * the collector. A reclamation (and anything that must see every object)
 * flushes the lists: the cells taken join the young list and heap_used,
 * the others go back to the block cache. */


/* How many cells of batch b the mutator has taken: all but those still on
 * its list. */
static uint32_t rc_batch_taken(const gc_mutator *m, unsigned c, const rc_batch *b)
{
    uint32_t left = 0;
    for (void *cell = m->free_lists[c]; cell; cell = *(void **)cell)
        left++;
    GC_ASSERT(left <= b->n);
    return b->n - left;
}

/* Empties m's list of class c: the cells taken join the young list (their
 * room stays in handed_room until the reclamation deals with them), the
 * rest go back to the cache in their list order. */
static void rc_batch_flush(rc_heap *rc, gc_mutator *m, unsigned c)
{
    rc_batch *b = &((rc_mutator *)m->collector_data)->batch[c];
    size_t room = rc->cell_block[c] - RC_PREFIX;
    uint32_t taken = rc_batch_taken(m, c, b);
    if (b->v[0] == rc->last_cell)
        rc->last_cell = NULL; /* on the young list now, or back in the cache */
    while (rc->young.cap - rc->young.n < taken)
        gc_objstack_grow(&rc->young);
    memcpy(rc->young.v + rc->young.n, b->v, taken * sizeof *b->v);
    rc->young.n += taken;
    gc_objstack *st = &rc->cached[rc->cell_stack[c]];
    for (uint32_t i = b->n; i-- > taken;)
        gc_objstack_push(st, b->v[i]);
    rc->cached_bytes += (uint64_t)(b->n - taken) * room;
    rc->handed_room -= (uint64_t)(b->n - taken) * room;
    rc->handed_cells -= b->n;
    b->n = 0;
    m->free_lists[c] = NULL;
    rc->batch_epoch++;
}

static void rc_flush_mutator(rc_heap *rc, gc_mutator *m)
{
    rc_mutator *rm = m->collector_data;
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        if (rm->batch[c].n > 0)
            rc_batch_flush(rc, m, c);
}

/* Every mutator's lists (the world stopped, or the only mutator). */
static void rc_flush_batches(rc_heap *rc)
{
    for (gc_mutator *m = gc_heap_mutators(rc->h); m; m = m->next)
        rc_flush_mutator(rc, m);
}

/* Links up to RC_BATCH cells for objects of class c onto m's empty list and
 * returns the first, for the allocation at hand; NULL when there is no
 * cached block of the size and no room for a new one. The batch before,
 * all taken, joins the young list first. */
static gc_object *rc_refill(gc_mutator *m, rc_heap *rc, unsigned c)
{
    GC_ASSERT(m->free_lists[c] == NULL);
    rc_batch *b = &((rc_mutator *)m->collector_data)->batch[c];
    if (b->n > 0)
        rc_batch_flush(rc, m, c);
    if (!b->v)
        b->v = gc_sys_alloc(RC_BATCH * sizeof *b->v);
    size_t block = rc->cell_block[c], room = block - RC_PREFIX;
    GC_ASSERT(block != 0);
    gc_objstack *st = &rc->cached[rc->cell_stack[c]];
    uint32_t n = 0;
    while (n < RC_BATCH && !gc_objstack_empty(st))
        b->v[n++] = gc_objstack_pop(st);
    rc->cached_bytes -= (uint64_t)n * room;
    uint64_t footprint = rc_footprint_of(rc) + (uint64_t)n * room;
    for (; n < RC_BATCH && footprint + room <= rc->limit; footprint += room)
        b->v[n++] = rc_new_cell(rc, rc->cell_stack[c], block);
    if (n == 0)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        *rc_pfx(b->v[i]) = RC_YOUNG; /* count 0, black, born dead */
        *(void **)b->v[i] = i + 1 < n ? (void *)b->v[i + 1] : NULL;
    }
    b->n = n;
    rc->handed_room += (uint64_t)n * room;
    rc->handed_cells += n;
    rc->batch_epoch++;
    m->free_lists[c] = *(void **)b->v[0];
    rc->last_cell = b->v[0];
    return b->v[0];
}

/* An object too large for a cell: its own block, young at once. */
static gc_object *rc_alloc_large(rc_heap *rc, size_t bytes)
{
    if (rc_footprint_of(rc) + bytes > rc->limit)
        return NULL;
    gc_object *o = (gc_object *)((char *)gc_sys_alloc(bytes + RC_PREFIX) + RC_PREFIX);
    *rc_pfx(o) = RC_YOUNG;
    rc->large_young_bytes += bytes;
    gc_objstack_push(&rc->young, o);
    return o;
}

/* The cells taken and not yet flushed (young objects not on the young list). */
static uint64_t rc_taken(const rc_heap *rc)
{
    uint64_t objects = 0;
    for (gc_mutator *m = gc_heap_mutators(rc->h); m; m = m->next) {
        const rc_mutator *rm = m->collector_data;
        if (!rm)
            continue;
        for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
            const rc_batch *b = &rm->batch[c];
            if (b->n == 0)
                continue;
            objects += rc_batch_taken(m, c, b);
        }
    }
    return objects;
}

/* ---- the ZCT ---------------------------------------------------------------------- */

GC_INLINE void rc_zct_add(rc_heap *rc, gc_object *o)
{
    gc_objstack_push(&rc->zct, o);
    *rc_pfx(o) = (*rc_pfx(o) & (((rc_word)1 << RC_ZCT_SHIFT) - 1)) |
                 ((rc_word)rc->zct.n << RC_ZCT_SHIFT);
}

/* Leaves the ZCT early (its entry becomes a hole). */
GC_INLINE void rc_zct_remove(rc_heap *rc, gc_object *o)
{
    uint64_t i = rc_zct_index(*rc_pfx(o));
    rc->zct.v[i - 1] = NULL;
    *rc_pfx(o) &= ((rc_word)1 << RC_ZCT_SHIFT) - 1;
}

/* ---- counts ------------------------------------------------------------------------ */

/* GREEN: an object with no reference slots cannot be on a cycle. */
static bool rc_acyclic(const gc_object *o)
{
    const gc_type *t = gc_object_type(o);
    if (t->kind == GC_KIND_REF_ARRAY)
        return false;
    if (t->kind != GC_KIND_RECORD)
        return true;
    for (uint32_t w = 0; w < (t->nfields + 63) / 64; w++)
        if (t->ptrmap[w])
            return false;
    return true;
}

/* PossibleRoot(S): colour it purple and buffer it once. */
static void rc_possible_root(rc_heap *rc, gc_object *o)
{
    rc_word w = *rc_pfx(o);
    if (rc_colour(w) == RC_PURPLE || rc_acyclic(o))
        return;
    w = rc_with_colour(w, RC_PURPLE);
    if (!(w & RC_BUFFERED)) {
        w |= RC_BUFFERED;
        gc_objstack_push(&rc->buffer, o);
    }
    *rc_pfx(o) = w;
}

/* Increment(S): count + 1 (unless sticky), colour black. */
GC_INLINE void rc_increment(rc_heap *rc, gc_object *o)
{
    rc_word w = *rc_pfx(o);
    if (GC_LIKELY(rc_count(w) < RC_STICKY)) {
        w += RC_ONE;
        if (GC_UNLIKELY(rc_count(w) == RC_STICKY))
            rc->sticky_objects++;
    }
    *rc_pfx(o) = rc_with_colour(w, RC_BLACK);
}

/* Decrements a non-sticky count; returns the new count. */
GC_INLINE rc_word rc_decrement_count(gc_object *o)
{
    rc_word w = *rc_pfx(o);
    rc_word c = rc_count(w);
    if (GC_UNLIKELY(c == RC_STICKY))
        return RC_STICKY;
    GC_ASSERT(c > 0);
    *rc_pfx(o) = w - RC_ONE;
    return c - 1;
}

/* Decrement(S) in the mutator: at zero the object may still be rooted, so
 * it waits in the ZCT for the next reclamation. */
GC_INLINE void rc_decrement(rc_heap *rc, gc_object *o)
{
    rc_word c = rc_decrement_count(o);
    if (*rc_pfx(o) & RC_YOUNG)
        return; /* the reclamation decides: reached or freed, never buffered */
    if (c == 0) {
        if (rc_zct_index(*rc_pfx(o)) == 0)
            rc_zct_add(rc, o);
    } else if (c != RC_STICKY && rc->cycles) {
        rc_possible_root(rc, o);
    }
}

/* Core has stored v into *slot (GC_BARRIER_ALWAYS: every store, immediates
 * and nil included) and reports the value it replaced, old. A store into a
 * YOUNG holder is not counted (the reclamation counts the fields of the
 * young objects it reaches). Otherwise Increment before Decrement, as in
 * the classic barrier (the other order would drop an object stored over
 * itself to 0); a store of the same value changes nothing and is skipped
 * outright. The barrier never frees: Decrement only moves objects into the
 * ZCT or the root buffer. */
static GC_NOINLINE void rc_log(rc_mutator *rm, gc_value old, gc_value v)
{
    if (gc_is_ref(v))
        gc_objstack_push(&rm->incs, gc_ref(v));
    if (gc_is_ref(old))
        gc_objstack_push(&rm->decs, gc_ref(old));
}

static void rc_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v)
{
    (void)slot;
    if (v == old || (*rc_pfx(holder) & RC_YOUNG))
        return;
    if (GC_UNLIKELY(gc_mutator_heap_is_multi(m))) {
        rc_log(m->collector_data, old, v);
        return;
    }
    rc_heap *rc = rc_of_mutator(m);
    if (gc_is_ref(v))
        rc_increment(rc, gc_ref(v));
    if (gc_is_ref(old))
        rc_decrement(rc, gc_ref(old));
}

/* Applies one log (increments or decrements) and empties it. */
static void rc_apply_log(rc_heap *rc, gc_objstack *log, bool increments)
{
    for (size_t i = 0; i < log->n; i++) {
        if (increments)
            rc_increment(rc, log->v[i]);
        else
            rc_decrement(rc, log->v[i]);
    }
    log->n = 0;
}

/* Applies every logged increment, then every logged decrement (world
 * stopped, or no other mutator). After it, the counts are those of the
 * immediate barrier. */
static void rc_apply_logs(gc_heap *h, rc_heap *rc)
{
    GC_ASSERT(gc_world_stopped(h));
    for (int pass = 0; pass < 2; pass++) {
        bool incs = pass == 0;
        for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next) {
            rc_mutator *rm = m->collector_data;
            rc_apply_log(rc, incs ? &rm->incs : &rm->decs, incs);
        }
        rc_apply_log(rc, incs ? &rc->orphan_incs : &rc->orphan_decs, incs);
    }
}

/* ---- release: the freeing cascade ---------------------------------------------------- */

/* S is garbage (count 0 during a reclamation, roots counted, not in the
 * ZCT): onto the dead stack, to be released within this reclamation's
 * budget or the next one's. */
GC_INLINE void rc_kill(rc_heap *rc, gc_object *s)
{
    GC_ASSERT(rc_count(*rc_pfx(s)) == 0 && rc_zct_index(*rc_pfx(s)) == 0 &&
              !(*rc_pfx(s) & (RC_RELEASED | RC_DEAD | RC_YOUNG)));
    *rc_pfx(s) |= RC_DEAD;
    gc_objstack_push(&rc->dead, s);
}

/* Decrement(T) inside a cascade: no root references T (roots were counted),
 * so at zero T is garbage. */
static void rc_release_decrement(rc_heap *rc, gc_object *t)
{
    rc_word c = rc_decrement_count(t);
    if (c == 0) {
        if (rc_zct_index(*rc_pfx(t)) != 0)
            rc_zct_remove(rc, t);
        rc_kill(rc, t);
    } else if (c != RC_STICKY && rc->cycles && !(*rc_pfx(t) & RC_ROOTED)) {
        rc_possible_root(rc, t);
    }
}

/* Defines a visitor for gc_trace_object whose step for a child (STEP(rc,
 * child)) waits in the prefetching FIFO (core/prefetch.h) until the
 * child's count word has arrived. The child, not the slot, is queued: a
 * released parent is freed before the FIFO drains. Whoever drains the FIFO
 * (gc_prefetch_pop) applies the same step to what is left. */
#define RC_FIFO_VISITOR(name, step)                                      \
    static void name(gc_value *slot, void *arg)                          \
    {                                                                    \
        rc_heap *rc_ = arg;                                              \
        gc_object *t_ = gc_ref(*slot);                                   \
        gc_object *ready_ = gc_prefetch_push(&rc_->pf, t_, rc_pfx(t_));  \
        if (ready_)                                                      \
            step(rc_, ready_);                                           \
    }

/* A child of a released object: its Decrement. */
RC_FIFO_VISITOR(rc_release_visit, rc_release_decrement)

/* Release(S) for up to `budget` objects of the dead stack: decrement each
 * one's children (the cascade: children that reach 0 join the stack), then
 * free it, or leave a buffered one RELEASED for MarkRoots to free. Ends
 * with the FIFO of pending decrements empty, and the dead stack empty
 * unless the budget ran out. */
static void rc_release(rc_heap *rc, size_t budget)
{
    for (;;) {
        if (rc->dead.n == 0 || budget == 0) {
            gc_object *t = gc_prefetch_pop(&rc->pf);
            if (!t)
                break;
            rc_release_decrement(rc, t);
            continue;
        }
        budget--;
        gc_object *o = rc->dead.v[--rc->dead.n];
        gc_trace_object(o, rc_release_visit, rc);
        rc->released++;
        rc_word w = *rc_pfx(o) & ~RC_DEAD;
        if (w & RC_BUFFERED) {
            *rc_pfx(o) = rc_with_colour(w, RC_BLACK) | RC_RELEASED;
        } else {
            *rc_pfx(o) = w;
            rc_free_memory(rc, o);
        }
    }
}

/* ---- reclamation (deferred reference counting) ------------------------------------------ */

static void rc_root_visit(gc_value *slot, void *arg)
{
    rc_heap *rc = arg;
    gc_object *o = gc_ref(*slot);
    rc_increment(rc, o);
    *rc_pfx(o) |= RC_ROOTED;
    gc_objstack_push(&rc->snap_next, o);
}

/* IncrementRoots: count every root slot, building the next snapshot. */
static void rc_increment_roots(gc_heap *h, rc_heap *rc)
{
    rc->snap_next.n = 0;
    gc_visit_roots(h, rc_root_visit, rc);
}

/* ---- young objects: born dead ------------------------------------------------------------ */

#define RC_YOUNG_AHEAD 16

/* A field of a young object the trace reached: count the reference (the
 * field was never counted), and reach the referent if it is young. */
static void rc_young_child(rc_heap *rc, gc_object *t)
{
    rc_word w = *rc_pfx(t);
    GC_ASSERT(!(w & (RC_DEAD | RC_RELEASED))); /* garbage is never reached again */
    if (GC_LIKELY(rc_count(w) < RC_STICKY)) {
        w += RC_ONE;
        if (GC_UNLIKELY(rc_count(w) == RC_STICKY))
            rc->sticky_objects++;
    }
    w = rc_with_colour(w, RC_BLACK);
    if (w & RC_YOUNG) {
        w &= ~RC_YOUNG;
        gc_objstack_push(&rc->work, t);
    }
    *rc_pfx(t) = w;
}

RC_FIFO_VISITOR(rc_young_visit, rc_young_child)

/* A young object leaves the young accounts (its cell's room, or its
 * bytes as a large young object). */
GC_INLINE void rc_young_unaccount(rc_heap *rc, size_t size)
{
    size_t cell = rc_cell_bytes(rc, size);
    if (cell)
        rc->handed_room -= cell - RC_PREFIX;
    else
        rc->large_young_bytes -= size;
}

/* A young object the trace reached is old from now on: it enters the
 * object map and used_bytes, and its fields are counted. */
static void rc_young_reached(rc_heap *rc, gc_object *o)
{
    rc->young_survived++;
    rc_map_add(&rc->objects, o);
    size_t size = gc_trace_object(o, rc_young_visit, rc);
    rc->used_bytes += size;
    rc->used_objects++;
    rc_young_unaccount(rc, size);
}

/* After IncrementRoots: a young object counted by a root slot or an old
 * object's field is live; so is every young object it reaches. Each one
 * reached becomes old and its fields are counted; the young objects left
 * were referenced by nothing but young garbage, whose fields were never
 * counted: they are freed without a look inside. Leaves the young list
 * empty. (An old object released later in this reclamation may have been
 * the only holder of a young one reached here: its cascade decrements that
 * one like any other old object.) */
static void rc_trace_young(rc_heap *rc)
{
    /* Both passes read each entry's word, all over the heap: fetch it
     * RC_YOUNG_AHEAD entries ahead. */
    for (size_t i = 0; i < rc->young.n; i++) {
        if (i + RC_YOUNG_AHEAD < rc->young.n)
            __builtin_prefetch(rc_pfx(rc->young.v[i + RC_YOUNG_AHEAD]), 1);
        gc_object *o = rc->young.v[i];
        rc_word w = *rc_pfx(o);
        if (!(w & RC_YOUNG) || rc_count(w) == 0)
            continue;
        *rc_pfx(o) = w & ~RC_YOUNG;
        gc_objstack_push(&rc->work, o);
        for (;;) {
            if (rc->work.n > 0) {
                rc_young_reached(rc, rc->work.v[--rc->work.n]);
                continue;
            }
            gc_object *t = gc_prefetch_pop(&rc->pf);
            if (!t)
                break;
            rc_young_child(rc, t);
        }
    }
    for (size_t i = 0; i < rc->young.n; i++) {
        if (i + RC_YOUNG_AHEAD < rc->young.n)
            __builtin_prefetch(rc_pfx(rc->young.v[i + RC_YOUNG_AHEAD]), 1);
        gc_object *o = rc->young.v[i];
        if (*rc_pfx(o) & RC_YOUNG) {
            GC_ASSERT(rc_count(*rc_pfx(o)) == 0);
            rc->young_freed++;
            size_t size = gc_object_size(o);
            rc_young_unaccount(rc, size);
            rc_free_block(rc, o, size); /* its block may keep an old map bit (FREE) */
        }
    }
    rc->young.n = 0;
    /* Every cell handed out was flushed first: none is on a list. */
    GC_ASSERT(rc->handed_room == 0 && rc->handed_cells == 0 && rc->large_young_bytes == 0);
    rc->alloc_at = gc_heap_allocated_bytes(rc->h);
}

/* The deferred decrements of the previous snapshot, then the ZCT: every
 * zero-count entry is garbage (roots are counted now); an entry whose count
 * rose above zero gained heap references without ever being decremented,
 * so, unless rooted, it is a possible root of a garbage cycle. Leaves the
 * ZCT empty and no object ROOTED. */
static void rc_release_garbage(rc_heap *rc, size_t budget)
{
    for (size_t i = 0; i < rc->snap.n; i++) {
        gc_object *o = rc->snap.v[i];
        rc_word c = rc_decrement_count(o);
        if (c == 0) {
            if (rc_zct_index(*rc_pfx(o)) != 0)
                rc_zct_remove(rc, o);
            rc_kill(rc, o);
        } else if (c != RC_STICKY && rc->cycles && !(*rc_pfx(o) & RC_ROOTED)) {
            rc_possible_root(rc, o);
        }
    }
    rc->snap.n = 0;
    /* Cascades only punch holes in the ZCT, never append to it. */
    for (size_t i = 0; i < rc->zct.n; i++) {
        gc_object *o = rc->zct.v[i];
        if (o && rc_count(*rc_pfx(o)) == 0) {
            rc_zct_remove(rc, o);
            rc_kill(rc, o);
        }
    }
    rc_release(rc, budget);
    for (size_t i = 0; i < rc->zct.n; i++) {
        gc_object *o = rc->zct.v[i];
        if (!o)
            continue;
        *rc_pfx(o) &= ((rc_word)1 << RC_ZCT_SHIFT) - 1;
        if (rc->cycles && !(*rc_pfx(o) & RC_ROOTED))
            rc_possible_root(rc, o);
    }
    rc->zct.n = 0;
    for (size_t i = 0; i < rc->snap_next.n; i++)
        *rc_pfx(rc->snap_next.v[i]) &= ~RC_ROOTED;
    gc_objstack t = rc->snap;
    rc->snap = rc->snap_next;
    rc->snap_next = t;
    rc->reclamations++;
}

/* Records the reclamation that ran from t0 to now as a pause after the
 * fact: [t0, t1) counting roots, [t1, t2) the young objects, [t2, now) the
 * freeing cascade. */
static void rc_record_cascade(gc_heap *h, gc_reason reason, uint64_t t0, uint64_t t1, uint64_t t2,
                              uint64_t before)
{
    uint64_t t3 = uv_hrtime();
    uint64_t phases[GC_MAX_PHASES] = {
        [RC_PHASE_ROOTS] = t1 - t0, [RC_PHASE_YOUNG] = t2 - t1, [RC_PHASE_RELEASE] = t3 - t2};
    gc_pause_record(h, GC_PAUSE_RC_CASCADE, reason, t0, t3, before, phases);
}

/* A reclamation point outside gc_collect: the mutator is stopped while it
 * runs, so every one is recorded as an rc-cascade pause, however little it
 * frees (the pause log, `collections` and the plots count all of them). */
static void rc_reclaim(gc_heap *h, rc_heap *rc, gc_reason reason)
{
    gc_stop_world(h); /* the pause recorded below starts at this request */
    uint64_t t0 = uv_hrtime();
    rc_flush_batches(rc);
    uint64_t before = rc_heap_used(h), survived = rc->young_survived;
    rc_apply_logs(h, rc);
    rc_increment_roots(h, rc);
    uint64_t t1 = uv_hrtime();
    rc_trace_young(rc);
    survived = rc->young_survived - survived;
    uint64_t t2 = uv_hrtime();
    /* Only the allocation threshold's reclamations are budgeted: at the
     * heap limit (and at the mutator logs' limit) everything is released.
     * The budget grows with the objects that just became old: every object
     * released was once one of them, so the dead stack cannot grow without
     * bound. */
    rc_release_garbage(rc, reason == GC_REASON_THRESHOLD ? RC_RELEASE_BUDGET + survived : SIZE_MAX);
    rc->cascade_pauses++;
    rc_record_cascade(h, reason, t0, t1, t2, before);
    rc->reclaim_ns += uv_hrtime() - t0;
}

/* ---- cycle collection (Bacon & Rajan, synchronous) -------------------------------------- */

/* Phases are marked only inside a recorded pause (finish's collection is
 * not one). */
static void rc_phase(gc_heap *h, unsigned p)
{
    if (gc_heap_in_pause(h))
        gc_phase_start(h, p);
}

/* MarkGray's step for a child T: trial-delete the reference, colour T gray
 * and push it the first time. */
static void rc_mark_gray_child(rc_heap *rc, gc_object *t)
{
    rc_word w = *rc_pfx(t);
    if (rc_count(w) != RC_STICKY)
        w -= RC_ONE;
    if (rc_colour(w) != RC_GRAY) {
        w = rc_with_colour(w, RC_GRAY);
        gc_objstack_push(&rc->work, t);
    }
    *rc_pfx(t) = w;
}

RC_FIFO_VISITOR(rc_mark_gray_visit, rc_mark_gray_child)

/* MarkGray(S): trial-delete every internal reference of the subgraph
 * reachable from S, colouring it gray. Ends with the FIFO empty. */
static void rc_mark_gray(rc_heap *rc, gc_object *s)
{
    if (rc_colour(*rc_pfx(s)) == RC_GRAY)
        return;
    rc_set_colour(s, RC_GRAY);
    gc_objstack_push(&rc->work, s);
    for (;;) {
        if (rc->work.n > 0) {
            gc_trace_object(rc->work.v[--rc->work.n], rc_mark_gray_visit, rc);
            continue;
        }
        gc_object *t = gc_prefetch_pop(&rc->pf);
        if (!t)
            break;
        rc_mark_gray_child(rc, t);
    }
}

static void rc_scan_black_visit(gc_value *slot, void *arg)
{
    rc_heap *rc = arg;
    gc_object *t = gc_ref(*slot);
    rc_word w = *rc_pfx(t);
    if (rc_count(w) != RC_STICKY)
        w += RC_ONE;
    if (rc_colour(w) != RC_BLACK) {
        w = rc_with_colour(w, RC_BLACK);
        gc_objstack_push(&rc->black, t);
    }
    *rc_pfx(t) = w;
}

/* ScanBlack(S): S is externally referenced; restore the counts of
 * everything it reaches. */
static void rc_scan_black(rc_heap *rc, gc_object *s)
{
    rc_set_colour(s, RC_BLACK);
    gc_objstack_push(&rc->black, s);
    while (rc->black.n > 0)
        gc_trace_object(rc->black.v[--rc->black.n], rc_scan_black_visit, rc);
}

static void rc_push_visit(gc_value *slot, void *arg) { gc_objstack_push(&((rc_heap *)arg)->work, gc_ref(*slot)); }

/* Scan(S): a gray object still counted after trial deletion is reachable
 * from outside the subgraph (a heap reference or a root slot, both counted)
 * and goes black with everything it reaches; the rest go white. */
static void rc_scan(rc_heap *rc, gc_object *s)
{
    gc_objstack_push(&rc->work, s);
    while (rc->work.n > 0) {
        gc_object *o = rc->work.v[--rc->work.n];
        rc_word w = *rc_pfx(o);
        if (rc_colour(w) != RC_GRAY)
            continue;
        if (rc_count(w) > 0) {
            rc_scan_black(rc, o);
        } else {
            *rc_pfx(o) = rc_with_colour(w, RC_WHITE);
            gc_trace_object(o, rc_push_visit, rc);
        }
    }
}

static void rc_collect_white_visit(gc_value *slot, void *arg)
{
    rc_heap *rc = arg;
    gc_object *t = gc_ref(*slot);
    rc_word w = *rc_pfx(t);
    if (rc_colour(w) == RC_WHITE && !(w & RC_BUFFERED)) {
        *rc_pfx(t) = rc_with_colour(w, RC_BLACK);
        gc_objstack_push(&rc->work, t);
    }
}

/* CollectWhite(S): gather the white (garbage) subgraph reachable from S on
 * the `black` stack (free until CollectRoots ends) for rc_free_white.
 * References from white objects were already subtracted by MarkGray, so
 * nothing is decremented; buffered whites are left for their own turn.
 * Freeing waits because white objects point at each other and later
 * CollectWhite calls still read the colours of what they reach. */
static void rc_collect_white(rc_heap *rc, gc_object *s)
{
    rc_word w = *rc_pfx(s);
    if (rc_colour(w) != RC_WHITE || (w & RC_BUFFERED))
        return;
    *rc_pfx(s) = rc_with_colour(w, RC_BLACK);
    gc_objstack_push(&rc->work, s);
    while (rc->work.n > 0) {
        gc_object *o = rc->work.v[--rc->work.n];
        gc_trace_object(o, rc_collect_white_visit, rc);
        gc_objstack_push(&rc->black, o);
    }
}

static void rc_free_white(rc_heap *rc)
{
    for (size_t i = 0; i < rc->black.n; i++) {
        gc_object *o = rc->black.v[i];
        rc->cycle_freed_objects++;
        rc->cycle_freed_bytes += gc_object_size(o);
        rc_free_memory(rc, o);
    }
    rc->black.n = 0;
}

/* MarkRoots: MarkGray from every purple candidate still counted; drop the
 * others, freeing RELEASED ones. Kept candidates are compacted in place. */
static void rc_mark_roots(rc_heap *rc)
{
    size_t keep = 0;
    for (size_t i = 0; i < rc->buffer.n; i++) {
        gc_object *o = rc->buffer.v[i];
        rc_word w = *rc_pfx(o);
        if (w & RC_RELEASED) {
            rc_free_memory(rc, o);
        } else if (rc_colour(w) == RC_PURPLE && rc_count(w) > 0) {
            rc_mark_gray(rc, o);
            rc->buffer.v[keep++] = o;
        } else {
            *rc_pfx(o) = w & ~RC_BUFFERED;
        }
    }
    rc->buffer.n = keep;
}

static void rc_scan_roots(rc_heap *rc)
{
    for (size_t i = 0; i < rc->buffer.n; i++)
        rc_scan(rc, rc->buffer.v[i]);
}

static void rc_collect_roots(rc_heap *rc)
{
    for (size_t i = 0; i < rc->buffer.n; i++) {
        gc_object *o = rc->buffer.v[i];
        *rc_pfx(o) &= ~RC_BUFFERED;
        rc_collect_white(rc, o);
    }
    rc->buffer.n = 0;
    rc_free_white(rc);
}

/* A reclamation followed, when `cycles` (and the option is on), by a cycle
 * collection; one pause of kind cycle (rc-cascade without the cycle
 * collection) when `record`. Counting the roots first makes every
 * root-referenced object externally counted, so trial deletion treats it
 * as live. */
static void rc_collect_all(gc_heap *h, rc_heap *rc, gc_reason reason, bool cycles, bool record)
{
    GC_ASSERT(!gc_heap_in_pause(h) && rc->work.n == 0 && rc->black.n == 0 && gc_prefetch_empty(&rc->pf));
    cycles = cycles && rc->cycles;
    uint64_t t0 = uv_hrtime();
    if (record)
        gc_pause_begin(h, cycles ? GC_PAUSE_CYCLE : GC_PAUSE_RC_CASCADE, reason);
    rc_phase(h, RC_PHASE_ROOTS);
    rc_flush_batches(rc);
    rc_apply_logs(h, rc);
    rc_increment_roots(h, rc);
    rc_phase(h, RC_PHASE_YOUNG);
    rc_trace_young(rc);
    rc_phase(h, RC_PHASE_RELEASE);
    rc_release_garbage(rc, SIZE_MAX);
    GC_ASSERT(rc->dead.n == 0);
    rc->reclaim_ns += uv_hrtime() - t0;
    if (cycles) {
        rc_phase(h, RC_PHASE_MARK_GRAY);
        rc_mark_roots(rc);
        rc_phase(h, RC_PHASE_SCAN);
        rc_scan_roots(rc);
        rc_phase(h, RC_PHASE_COLLECT_WHITE);
        rc_collect_roots(rc);
        rc->cycle_collections++;
    }
    if (record)
        gc_pause_end(h);
}

/* MINOR: a reclamation alone, always one rc-cascade pause (garbage cycles
 * wait in the root buffer). MAJOR and ANY (stress): reclamation and cycle
 * collection, one cycle pause (rc-cascade with cycles=off). */
static void rc_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    rc_collect_all(m->heap, rc_of_mutator(m), reason, kind != GC_COLLECT_MINOR, true);
}

/* ---- allocation ---------------------------------------------------------------------- */

/* One try at the memory for an object of `bytes`; NULL when there is no room. */
static gc_object *rc_alloc_try(gc_mutator *m, rc_heap *rc, size_t bytes)
{
    return rc_cell_bytes(rc, bytes) ? rc_refill(m, rc, gc_size_class_of(bytes)) : rc_alloc_large(rc, bytes);
}

/* The mutator's list of the size class is empty (or the object is large). */
static void *rc_alloc_slow(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    rc_heap *rc = rc_of_mutator(m);
    if (GC_UNLIKELY(gc_mutator_heap_is_multi(m))) {
        rc_mutator *rm = m->collector_data;
        if (rm->incs.n + rm->decs.n >= RC_LOG_THRESHOLD)
            rc_reclaim(h, rc, GC_REASON_THRESHOLD);
    }
    if (rc->cycles && rc->buffer.n >= RC_BUFFER_THRESHOLD)
        rc_collect_all(h, rc, GC_REASON_THRESHOLD, true, true);
    else if (rc->young.n + rc->handed_cells + rc->zct.n >= RC_ZCT_THRESHOLD)
        rc_reclaim(h, rc, GC_REASON_THRESHOLD);
    gc_object *o = rc_alloc_try(m, rc, bytes);
    if (o)
        return o;
    /* No room: give the cached blocks back, then reclaim (which caches what
     * it frees, and the cells on every list), then collect cycles. */
    rc_flush_cache(rc);
    if ((o = rc_alloc_try(m, rc, bytes)))
        return o;
    rc_reclaim(h, rc, GC_REASON_HEAP_LIMIT);
    if ((o = rc_alloc_try(m, rc, bytes)))
        return o;
    if (rc->cycles) {
        rc_flush_cache(rc);
        rc_collect_all(h, rc, GC_REASON_HEAP_LIMIT, true, true);
        if ((o = rc_alloc_try(m, rc, bytes)))
            return o;
    }
    rc_flush_cache(rc);
    return rc_alloc_try(m, rc, bytes);
}

/* ---- end of run: final collection and the leak audit ----------------------------------------- */

typedef struct rc_audit {
    gc_ptrset seen;
    gc_objstack stack;
    uint64_t bytes, objects;
} rc_audit;

static void rc_audit_visit(gc_value *slot, void *arg)
{
    rc_audit *a = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_ptrset_add(&a->seen, o))
        gc_objstack_push(&a->stack, o);
}

/* Everything allocated, not freed and unreachable from the roots is leaked. */
static void rc_leak_audit(gc_heap *h, rc_heap *rc)
{
    rc_audit a = {0};
    gc_ptrset_init(&a.seen);
    gc_visit_roots(h, rc_audit_visit, &a);
    while (a.stack.n > 0) {
        gc_object *o = a.stack.v[--a.stack.n];
        a.objects++;
        a.bytes += gc_object_size(o);
        gc_trace_object(o, rc_audit_visit, &a);
    }
    rc->leaked_objects = rc->used_objects - a.objects;
    rc->leaked_bytes = rc->used_bytes - a.bytes;
    rc->audited = true;
    gc_objstack_free(&a.stack);
    gc_ptrset_free(&a.seen);
}

/* A final reclamation (and cycle collection when on), not recorded as a
 * pause, then the audit: with cycles off it finds the garbage cycles (and
 * sticky garbage); with cycles on only sticky garbage can remain. */
static void rc_finish(gc_heap *h)
{
    rc_heap *rc = rc_of(h);
    uint64_t t0 = uv_hrtime();
    rc_collect_all(h, rc, GC_REASON_EXPLICIT, true, false);
    rc_leak_audit(h, rc);
    rc->finish_ns += uv_hrtime() - t0;
}

static void rc_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    rc_heap *rc = rc_of(h);
    emit(ctx, "leaked_bytes", rc->leaked_bytes);
    emit(ctx, "leaked_objects", rc->leaked_objects);
    emit(ctx, "rc_leak_audit_done", rc->audited);
    emit(ctx, "rc_reclamations", rc->reclamations);
    emit(ctx, "rc_reclaim_ns", rc->reclaim_ns);
    emit(ctx, "rc_cascade_pauses", rc->cascade_pauses);
    emit(ctx, "rc_released_objects", rc->released);
    emit(ctx, "rc_young_survived_objects", rc->young_survived);
    emit(ctx, "rc_young_freed_objects", rc->young_freed);
    emit(ctx, "rc_cycle_collections", rc->cycle_collections);
    emit(ctx, "rc_cycle_freed_objects", rc->cycle_freed_objects);
    emit(ctx, "rc_cycle_freed_bytes", rc->cycle_freed_bytes);
    emit(ctx, "rc_sticky_objects", rc->sticky_objects);
    emit(ctx, "rc_arena_bytes", gc_bump_footprint(&rc->arena));
    uint64_t spare = 0;
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        spare += rc->spare[c].n;
    emit(ctx, "rc_spare_cells", spare);
    emit(ctx, "rc_finish_ns", rc->finish_ns);
}

/* ---- lifecycle and queries ------------------------------------------------------------- */

static int rc_init(gc_heap *h)
{
    rc_heap *rc = gc_sys_alloc_zeroed(sizeof *rc);
    rc->h = h;
    rc->cycles = gc_heap_option_bool(h, "cycles");
    rc->limit = gc_heap_limit(h);
    rc_init_cells(rc);
    size_t arena = rc->limit + rc->limit / 4;
    if (arena > RC_ARENA_MAX || arena < rc->limit)
        arena = RC_ARENA_MAX;
    if (gc_bump_init(&rc->arena, arena) != 0)
        memset(&rc->arena, 0, sizeof rc->arena); /* no arena: every cell from jemalloc */
    gc_heap_set_collector(h, rc);
    return 0;
}

static void rc_mutator_init(gc_mutator *m)
{
    rc_mutator *rm = gc_sys_alloc_zeroed(sizeof *rm);
    rm->rc = rc_of(m->heap);
    m->collector_data = rm;
}

/* Detach (heap lock held): unapplied log entries wait in the heap's orphan
 * logs for the next reclamation. */
static void rc_mutator_fini(gc_mutator *m)
{
    rc_mutator *rm = m->collector_data;
    rc_flush_mutator(rm->rc, m);
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        if (rm->batch[c].v)
            gc_sys_free(rm->batch[c].v, RC_BATCH * sizeof *rm->batch[c].v);
    gc_objstack_move_all(&rm->rc->orphan_incs, &rm->incs);
    gc_objstack_move_all(&rm->rc->orphan_decs, &rm->decs);
    gc_objstack_free(&rm->incs);
    gc_objstack_free(&rm->decs);
    gc_sys_free(rm, sizeof *rm);
    m->collector_data = NULL;
}

typedef struct rc_each_ctx {
    void (*fn)(gc_object *o, void *ctx);
    void *ctx;
} rc_each_ctx;

/* A block whose map bit is set: an old object, or a block the collector
 * kept after freeing its old object (FREE in the cache, YOUNG once reused:
 * a cell on a list, or a young object enumerated with the young ones). */
static void rc_each_old(gc_object *o, void *arg)
{
    const rc_each_ctx *e = arg;
    if (!(*rc_pfx(o) & (RC_FREE | RC_YOUNG)))
        e->fn(o, e->ctx);
}

/* Calls fn(o, ctx) for every allocated object: the old ones in the object
 * map, then the young list, then the cells taken from the mutators' lists
 * since the last flush. */
static void rc_each_object(rc_heap *rc, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    rc_map_each(&rc->objects, rc_each_old, &(rc_each_ctx){fn, ctx});
    for (size_t i = 0; i < rc->young.n; i++)
        fn(rc->young.v[i], ctx);
    for (gc_mutator *m = gc_heap_mutators(rc->h); m; m = m->next) {
        rc_mutator *rm = m->collector_data;
        if (!rm)
            continue;
        for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
            uint32_t t = rm->batch[c].n > 0 ? rc_batch_taken(m, c, &rm->batch[c]) : 0;
            for (uint32_t i = 0; i < t; i++)
                fn(rm->batch[c].v[i], ctx);
        }
    }
}

static void rc_free_at_destroy(gc_object *o, void *ctx)
{
    if (rc_in_arena(ctx, o))
        return; /* the arena goes at once */
    gc_sys_free((char *)o - RC_PREFIX, rc_block_bytes(ctx, gc_object_size(o)));
}

static void rc_destroy(gc_heap *h)
{
    rc_heap *rc = rc_of(h);
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        if (m->collector_data)
            rc_flush_mutator(rc, m);
    rc_each_object(rc, rc_free_at_destroy, rc);
    rc_flush_cache(rc); /* clears bits in the map: before it goes */
    rc_map_free(&rc->objects);
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
        gc_objstack_free(&rc->cached[c]);
        gc_objstack_free(&rc->spare[c]);
    }
    rc_lsan_forget(rc);
    gc_bump_destroy(&rc->arena);
    gc_objstack *stacks[] = {&rc->young, &rc->young_sorted, &rc->zct,  &rc->dead, &rc->buffer,
                             &rc->snap,  &rc->snap_next,    &rc->work,        &rc->black,
                             &rc->orphan_incs, &rc->orphan_decs};
    for (size_t i = 0; i < sizeof stacks / sizeof *stacks; i++)
        gc_objstack_free(stacks[i]);
    gc_sys_free(rc, sizeof *rc);
}

/* Exact at any time: nothing is freed between reclamations, so the young
 * objects are what was allocated since the last one. */
static size_t rc_heap_used(gc_heap *h)
{
    rc_heap *rc = rc_of(h);
    return rc->used_bytes + (gc_heap_allocated_bytes(h) - rc->alloc_at);
}

/* What the limit bounds: the objects' bytes and the room of the cached
 * blocks (prefix words and size-class rounding of live objects are not
 * counted; see docs/collectors/refcount.md). */
static size_t rc_footprint(gc_heap *h) { return rc_footprint_of(rc_of(h)); }

static int rc_cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

/* Compares addresses with bit 0 (which marks a list cell in young_sorted)
 * cleared. */
static int rc_cmp_cell(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a & ~(uintptr_t)1, y = *(const uintptr_t *)b & ~(uintptr_t)1;
    return x < y ? -1 : x > y;
}

/* Whether addr is a young object: on the young list, or a cell of a
 * mutator's list that the mutator has taken (its header written, where a
 * cell still on the list holds a link, never a valid header). Only the
 * verifier, the torture tester and debug checks ask: the answer comes
 * from a sorted copy of the young list and of every list's cells (bit 0
 * set), rebuilt when either has changed; the cell the last refill
 * returned, which debug builds check before core writes its header, is
 * answered without it. */
static bool rc_young_contains(rc_heap *rc, const void *addr)
{
    if ((addr != NULL && addr == rc->last_cell) || (rc->young.n > 0 && rc->young.v[rc->young.n - 1] == addr))
        return true;
    gc_objstack *s = &rc->young_sorted;
    if (rc->young_sorted_at != rc->reclamations + 1 || rc->young_sorted_n != rc->young.n ||
        rc->young_sorted_epoch != rc->batch_epoch) {
        s->n = 0;
        for (size_t i = 0; i < rc->young.n; i++)
            gc_objstack_push(s, rc->young.v[i]);
        for (gc_mutator *m = gc_heap_mutators(rc->h); m; m = m->next) {
            rc_mutator *rm = m->collector_data;
            for (unsigned c = 0; rm && c < GC_SIZE_CLASS_COUNT; c++)
                for (uint32_t i = 0; i < rm->batch[c].n; i++)
                    gc_objstack_push(s, (gc_object *)((uintptr_t)rm->batch[c].v[i] | 1));
        }
        if (s->n > 0)
            qsort(s->v, s->n, sizeof *s->v, rc_cmp_cell);
        rc->young_sorted_at = rc->reclamations + 1;
        rc->young_sorted_n = rc->young.n;
        rc->young_sorted_epoch = rc->batch_epoch;
    }
    if (s->n == 0)
        return false;
    gc_object **e = bsearch(&addr, s->v, s->n, sizeof *s->v, rc_cmp_cell);
    if (!e)
        return false;
    return ((uintptr_t)*e & 1) == 0 || gc_header_valid(((const gc_object *)addr)->header);
}

static bool rc_contains(gc_heap *h, const void *addr)
{
    rc_heap *rc = rc_of(h);
    return rc_map_contains(&rc->objects, addr) || rc_young_contains(rc, addr);
}

static bool rc_is_object(gc_heap *h, const gc_object *o)
{
    return rc_contains(h, o) && !(*rc_pfx(o) & RC_RELEASED) && gc_header_valid(o->header);
}

/* ---- verify: the invariants at the top of this file ---------------------------------------- */

static void rc_edge_visit(gc_value *slot, void *arg) { gc_objstack_push(arg, gc_ref(*slot)); }

/* Occurrences of o in the sorted array v[0..n). */
static size_t rc_occurrences(gc_object **v, size_t n, const gc_object *o)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)v[mid] < (uintptr_t)o)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = 0;
    while (lo + k < n && v[lo + k] == o)
        k++;
    return k;
}

typedef struct rc_check {
    gc_heap *h;
    rc_heap *rc;
    gc_objstack edges; /* sorted: one entry per counted reference */
    uint64_t bytes, objects, buffered, young, dead;
} rc_check;

#define RC_FAIL(k, ...) gc_verify_fail((k)->h, __VA_ARGS__)

/* An object whose header is not a valid header of a registered type
 * cannot be sized or traced: reported once, then left out of the recount
 * (the verifier reports, it does not crash on what it checks). */
static bool rc_header_ok(const gc_object *o)
{
    return gc_header_valid(o->header) && gc_type_get(gc_header_type(o->header)) != NULL;
}

static void rc_check_edges(gc_object *o, void *arg)
{
    rc_check *k = arg;
    if (!rc_header_ok(o)) {
        RC_FAIL(k, "object %p has a corrupt header %#llx", (void *)o, (unsigned long long)o->header);
        return;
    }
    k->objects++;
    k->bytes += gc_object_size(o);
    if (!(*rc_pfx(o) & (RC_RELEASED | RC_YOUNG))) /* a young object's fields are not counted */
        gc_trace_object(o, rc_edge_visit, &k->edges);
}

static void rc_check_object(gc_object *o, void *arg)
{
    rc_check *k = arg;
    rc_heap *rc = k->rc;
    if (!rc_header_ok(o))
        return; /* reported by rc_check_edges */
    rc_word w = *rc_pfx(o);
    uint64_t c = rc_count(w), zi = rc_zct_index(w);
    size_t refs = rc_occurrences(k->edges.v, k->edges.n, o);
    k->buffered += (w & RC_BUFFERED) != 0;
    k->young += (w & RC_YOUNG) != 0;
    if ((w & RC_YOUNG) && (w & (RC_RELEASED | RC_BUFFERED | RC_ROOTED | RC_COLOUR_MASK) || zi != 0))
        RC_FAIL(k, "young object %p: word %#llx (want black, not buffered, not in the ZCT)", (void *)o,
                (unsigned long long)w);
    if (w & RC_RELEASED) {
        if (!(w & RC_BUFFERED) || c != 0 || zi != 0)
            RC_FAIL(k, "released object %p: word %#llx (want buffered, count 0, not in the ZCT)", (void *)o,
                    (unsigned long long)w);
        if (refs != 0)
            RC_FAIL(k, "released object %p is still referenced %zu times", (void *)o, refs);
        return;
    }
    if (c != RC_STICKY && c != refs)
        RC_FAIL(k, "object %p (%s): count %llu, but %zu references", (void *)o, gc_object_type(o)->name,
                (unsigned long long)c, refs);
    k->dead += (w & RC_DEAD) != 0;
    if ((w & RC_DEAD) && (c != 0 || zi != 0 || (w & RC_YOUNG)))
        RC_FAIL(k, "dead object %p: word %#llx (want count 0, old, not in the ZCT)", (void *)o,
                (unsigned long long)w);
    if (c == 0 && zi == 0 && !(w & (RC_YOUNG | RC_DEAD)))
        RC_FAIL(k, "old object %p has count 0 but is neither in the ZCT nor dead", (void *)o);
    if (zi != 0 && (zi > rc->zct.n || rc->zct.v[zi - 1] != o))
        RC_FAIL(k, "object %p: ZCT index %llu does not lead back to it", (void *)o, (unsigned long long)zi);
    if (rc_colour(w) == RC_GRAY || rc_colour(w) == RC_WHITE || (w & RC_ROOTED))
        RC_FAIL(k, "object %p: word %#llx (gray, white or rooted outside a collection)", (void *)o,
                (unsigned long long)w);
    if (rc_colour(w) == RC_PURPLE && !(w & RC_BUFFERED))
        RC_FAIL(k, "purple object %p is not in the root buffer", (void *)o);
}

/* Recounts every reference (fields of unreleased objects, snapshot
 * entries) and checks each object's word against it: the invariants at the
 * top of this file. (Core checks footprint <= limit.) */
static void rc_verify(gc_heap *h)
{
    rc_heap *rc = rc_of(h);
    rc_check k = {.h = h, .rc = rc};
    rc_each_object(rc, rc_check_edges, &k);
    for (size_t i = 0; i < rc->snap.n; i++)
        gc_objstack_push(&k.edges, rc->snap.v[i]);
    if (k.edges.n > 0)
        qsort(k.edges.v, k.edges.n, sizeof *k.edges.v, rc_cmp_ptr);
    rc_each_object(rc, rc_check_object, &k);
    gc_objstack_free(&k.edges);
    for (size_t i = 0; i < rc->buffer.n; i++)
        if (!(*rc_pfx(rc->buffer.v[i]) & RC_BUFFERED))
            RC_FAIL(&k, "root buffer entry %p is not marked buffered", (void *)rc->buffer.v[i]);
    for (size_t i = 0; i < rc->young.n; i++)
        if (!(*rc_pfx(rc->young.v[i]) & RC_YOUNG))
            RC_FAIL(&k, "young list entry %p is not marked young", (void *)rc->young.v[i]);
    for (size_t i = 0; i < rc->dead.n; i++)
        if (!(*rc_pfx(rc->dead.v[i]) & RC_DEAD))
            RC_FAIL(&k, "dead stack entry %p is not marked dead", (void *)rc->dead.v[i]);
    if (k.dead != rc->dead.n)
        RC_FAIL(&k, "%llu objects marked dead, dead stack holds %zu", (unsigned long long)k.dead, rc->dead.n);
    uint64_t taken_objects = rc_taken(rc);
    if (k.young != rc->young.n + taken_objects)
        RC_FAIL(&k, "%llu objects marked young, young list holds %zu and the free lists' taken cells %llu",
                (unsigned long long)k.young, rc->young.n, (unsigned long long)taken_objects);
    if (k.buffered != rc->buffer.n)
        RC_FAIL(&k, "%llu objects marked buffered, root buffer holds %zu", (unsigned long long)k.buffered,
                rc->buffer.n);
    uint64_t want_objects = rc->used_objects + rc->young.n + taken_objects, want_bytes = rc_heap_used(h);
    if (k.objects != want_objects || k.bytes != want_bytes)
        RC_FAIL(&k, "object map and young objects hold %llu objects / %llu bytes, counters say %llu / %llu",
                (unsigned long long)k.objects, (unsigned long long)k.bytes, (unsigned long long)want_objects,
                (unsigned long long)want_bytes);
}
#undef RC_FAIL

const gc_collector_ops gc_refcount_ops = {
    .name = "refcount",
    .description = "deferred reference counting (ZCT) with Bacon-Rajan cycle collection, on jemalloc",
    .alloc_mode = GC_ALLOC_FREELIST,
    .barrier = GC_BARRIER_ALWAYS,
    .moving = false,
    .reclaims_cycles = true, /* unless cycles=off */
    .phases = rc_phases,
    .options = rc_options,
    .init = rc_init,
    .destroy = rc_destroy,
    .mutator_init = rc_mutator_init,
    .mutator_fini = rc_mutator_fini,
    .alloc_slow = rc_alloc_slow,
    .write_barrier = rc_write_barrier,
    .collect = rc_collect,
    .finish = rc_finish,
    .heap_used = rc_heap_used,
    .footprint = rc_footprint,
    .contains = rc_contains,
    .is_object = rc_is_object,
    .verify = rc_verify,
    .stats = rc_stats,
};
