/* collectors/markcompact.c — Lisp-2 sliding mark-compact (Knuth's Lisp 2
 * collector; The Garbage Collection Handbook, 2nd ed., section 3.2): one
 * bump-allocated space (collectors/bump_space.h) that every collection
 * slides down to its start, and the shared large-object space
 * (collectors/los.h), which never moves. See docs/collectors/markcompact.md.
 *
 *   collect = mark (roots, trace)
 *           ; compute-locations (new address of every live object)
 *           ; update-references (roots and live large objects)
 *           ; relocate (slide every live object down, updating its slots;
 *                       sweep large objects)
 *
 * Lisp-2 keeps each object's new address in an extra header word. Ours have
 * none, so new addresses come from side tables, as in the Compressor
 * (Kermany and Petrank, PLDI 2006; the Handbook's section 3.4). Two bitmaps
 * have one bit per 8-byte word of the space: `starts` marks each live
 * object's first word, `live` every word of every live object. The live
 * objects slide down in address order without gaps, so an object's new
 * address is start + 8 x (live words before it): `base[w]` holds the live
 * words before bitmap word w, and the rest is one popcount. Two loads;
 * headers are never overwritten. Because the tables alone give any object's
 * new address, the slots of the space's objects are updated as each object
 * is moved, in the same pass (Lisp 2 needs a separate pass for them).
 *
 * Every pass after the mark visits live objects only, by the set bits of
 * `starts`: dead objects are never walked one by one. And the objects at
 * the bottom that do not move (the dense prefix: long-lived data, once
 * compacted) are not visited at all where the mark saw that none of their
 * slots refers to an object that moves: `reach`, per 4 KiB block, bounds
 * the referents of the block's objects.
 *
 * Invariants (MC-n; the spaces' own are BUMP-n and LOS-n):
 *  MC-1 Between collections [start, frontier) of the space parses (BUMP-1)
 *       and the bitmaps and `reach` are all clear (checked by mc_verify).
 *  MC-2 During the mark, an object's `starts` bit is set iff it was reached
 *       (set before it is pushed, so each object is pushed once); its words'
 *       `live` bits are set when it is scanned. After the mark, a `live` bit
 *       is set iff its word belongs to a live object. Fillers and dead
 *       objects have clear bits in both.
 *  MC-3 compute-locations gives the live objects, in address order, the
 *       addresses start, start + size0, ...: new(o) <= o, and new(o) + size
 *       <= new(next live object). So relocating in address order never
 *       overwrites a live object not yet moved (moves may overlap the
 *       object's own old copy: gc_move_object). Objects below dense_end
 *       (the first word whose `live` bit is clear) keep their addresses;
 *       every object above it moves.
 *  MC-4 new(o) depends on `live` and `base` only, which stay unchanged
 *       until relocate has moved the last object: so a slot may be updated
 *       before or after its referent moves. update-references and relocate
 *       together rewrite every slot (roots, live small objects, marked
 *       large objects) that refers to a live object of the space to its
 *       new address, each exactly once.
 *  MC-5 Budget: space footprint + large-object footprint <= heap limit.
 *       Compaction needs no copy reserve: the space ends as large as its
 *       live objects.
 *  MC-6 After the mark, for every block b of MC_BLOCK bytes of the space,
 *       reach[b] is more than the word position of every object of the
 *       space referred to by a slot of a live object starting in b (0: no
 *       such slot). A block below dense_end with reach[b] <= dense_end's
 *       position holds no slot to update (the referents do not move), so
 *       relocate skips it (checked in debug builds).
 */
#include <string.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/prefetch.h"
#include "core/ptrset.h"
#include "core/sysalloc.h"
#include "space.h"

enum { MC_PHASE_ROOTS, MC_PHASE_MARK, MC_PHASE_COMPUTE, MC_PHASE_UPDATE, MC_PHASE_RELOCATE };
static const char *const mc_phases[] = {"roots", "mark", "compute-locations", "update-references", "relocate",
                                        NULL};

#define MC_BLOCK 4096                 /* bytes per `reach` entry */
#define MC_BLOCK_BITS (MC_BLOCK / 8)  /* bitmap positions per block */
#define MC_BLOCK_WORDS (MC_BLOCK / 512) /* bitmap words per block */

typedef struct mc_heap {
    gc_bump_space space;
    uint64_t *bits;         /* the two bitmaps, one bit per 8-byte word of the reservation, interleaved
                               (STARTS(mc, k), LIVE(mc, k)) so that the scan's `live` update finds the
                               cache line its discovery's `starts` update brought in (MC-2) */
    size_t *base;           /* per bitmap word: live words before it (valid during a collection) */
    size_t *reach;          /* per block: bound of the referents of its objects' slots (MC-6) */
    size_t nwords;          /* bitmap words covering the reservation */
    size_t prefaulted;      /* bytes of the space whose side-table entries are faulted in */
    size_t dense_end;       /* bitmap position: objects below it do not move (valid during a collection) */
    gc_los los;
    gc_objstack mark_stack;
    gc_usage usage;
    uint64_t moved_bytes, compactions;
} mc_heap;

static mc_heap *mc_of(gc_heap *h) { return gc_heap_collector(h); }

/* Bitmap position of a word of the space. */
GC_INLINE size_t word_of(const mc_heap *mc, const void *p) { return ((uintptr_t)p - (uintptr_t)mc->space.start) >> 3; }

/* Word k of the `starts` and of the `live` bitmap (MC-2). */
#define STARTS(mc, k) ((mc)->bits[2 * (k)])
#define LIVE(mc, k) ((mc)->bits[2 * (k) + 1])

/* Bitmap words covering the space's objects, [start, frontier). */
GC_INLINE size_t used_words(const mc_heap *mc) { return (gc_bump_footprint(&mc->space) / 8 + 63) / 64; }
GC_INLINE size_t used_blocks(const mc_heap *mc) { return (gc_bump_footprint(&mc->space) + MC_BLOCK - 1) / MC_BLOCK; }

/* Set bits of a 64-bit word. Without -mpopcnt (x86-64's baseline has no
 * POPCNT), __builtin_popcountll is a call into libgcc, which cost 6% of a
 * whole trees run here; the SWAR sum below is ten inline operations. */
GC_INLINE size_t popcount64(uint64_t x)
{
#ifdef __POPCNT__
    return (size_t)__builtin_popcountll(x);
#else
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (size_t)((x * 0x0101010101010101u) >> 56);
#endif
}

/* ---- mark ---------------------------------------------------------------------- */

/* What the mark's visitor needs: the heap, and the bound of the scanned
 * object's referents (a local, so the compiler can keep it in a register:
 * a field of mc_heap could alias the bitmap's words, and was reloaded and
 * stored at every slot). */
typedef struct mark_ctx {
    mc_heap *mc;
    size_t reach;
} mark_ctx;

/* Marks the referent of *slot (its `starts` bit); pushes it if it was white
 * (MC-2). Raises the bound of the scanned object's referents (MC-6). */
GC_INLINE void mark_visit(gc_value *slot, void *arg)
{
    mark_ctx *cx = arg;
    mc_heap *mc = cx->mc;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(&mc->space, o)) {
        size_t w = word_of(mc, o);
        if (w >= cx->reach)
            cx->reach = w + 1;
        uint64_t bit = (uint64_t)1 << (w & 63);
        if (STARTS(mc, w >> 6) & bit)
            return;
        STARTS(mc, w >> 6) |= bit;
    } else if (!gc_los_mark(&mc->los, o)) {
        return;
    }
    gc_objstack_push(&mc->mark_stack, o);
}

static void mark_root(gc_value *slot, void *arg)
{
    mark_ctx cx = {.mc = arg};
    mark_visit(slot, &cx);
}

/* Sets the `live` bits of bitmap positions [from, from + n) (MC-2). */
GC_INLINE void set_live(mc_heap *mc, size_t from, size_t n)
{
    size_t b0 = from & 63;
    if (b0 + n < 64) { /* the common case: within one bitmap word */
        LIVE(mc, from >> 6) |= (((uint64_t)1 << n) - 1) << b0;
        return;
    }
    while (n) {
        size_t b = from & 63, k = 64 - b < n ? 64 - b : n;
        LIVE(mc, from >> 6) |= (k == 64 ? ~(uint64_t)0 : (((uint64_t)1 << k) - 1)) << b;
        from += k;
        n -= k;
    }
}

static void mark(mc_heap *mc)
{
    /* Popped objects wait in a prefetching FIFO (core/prefetch.h) until
     * their header has arrived; then their words' `live` bits are set and,
     * as they are scanned, their block's `reach` raised (MC-6). */
    gc_prefetch_fifo pf = {0};
    gc_object *o;
    while ((o = gc_prefetch_next_object(&pf, &mc->mark_stack))) {
        GC_ASSERT(gc_header_valid(o->header));
        mark_ctx cx = {.mc = mc};
        if (gc_bump_contains(&mc->space, o)) {
            size_t w = word_of(mc, o);
            set_live(mc, w, gc_trace_object(o, mark_visit, &cx) / 8);
            size_t *r = &mc->reach[w / MC_BLOCK_BITS];
            if (cx.reach > *r)
                *r = cx.reach;
        } else {
            gc_trace_object(o, mark_visit, &cx);
        }
    }
}

/* ---- compute-locations ------------------------------------------------------------- */

/* Fills `base` (MC-4), a prefix sum of the popcounts of `live`, and finds
 * the dense prefix (MC-3). Reads no object. Returns the bytes of the live
 * small objects. */
static size_t compute_locations(mc_heap *mc)
{
    size_t nw = used_words(mc), live = 0, w = 0;
    for (; w < nw && LIVE(mc, w) == ~(uint64_t)0; w++) {
        mc->base[w] = live;
        live += 64;
    }
    mc->dense_end = w * 64 + (w < nw ? (size_t)__builtin_ctzll(~LIVE(mc, w)) : 0);
    for (; w < nw; w++) {
        mc->base[w] = live;
        live += popcount64(LIVE(mc, w));
    }
    return live * 8;
}

/* New address of a live object of the space (MC-4). */
GC_INLINE gc_object *new_address(const mc_heap *mc, const gc_object *o)
{
    size_t w = word_of(mc, o);
    uint64_t word = LIVE(mc, w >> 6);
    GC_ASSERT(STARTS(mc, w >> 6) & ((uint64_t)1 << (w & 63)));
    size_t below = popcount64(word & (((uint64_t)1 << (w & 63)) - 1));
    return (gc_object *)(mc->space.start + (mc->base[w >> 6] + below) * 8);
}

/* ---- update-references ------------------------------------------------------------------ */

GC_INLINE void update_visit(gc_value *slot, void *arg)
{
    mc_heap *mc = arg;
    gc_object *o = gc_ref(*slot);
    /* Objects of the space at or above dense_end move (MC-3); a slot that
     * refers below it, or outside the space, is not written. (Unsigned:
     * below start wraps around.) */
    char *moving = mc->space.start + mc->dense_end * 8;
    if ((uintptr_t)o - (uintptr_t)moving < (uintptr_t)(mc->space.frontier - moving))
        *slot = gc_value_of(new_address(mc, o));
}

/* A root slot may be visited twice (the same slot registered twice; see
 * docs/collector-interface.md), and an updated slot cannot be told from an
 * old one by its value (new addresses lie in the same space), so each root
 * slot is updated once: the set remembers the ones done. */
typedef struct root_update {
    mc_heap *mc;
    gc_ptrset done;
} root_update;

static void update_root(gc_value *slot, void *arg)
{
    root_update *ru = arg;
    if (gc_ptrset_add(&ru->done, slot))
        update_visit(slot, ru->mc);
}

static void update_large(gc_object *o, void *arg)
{
    mc_heap *mc = arg;
    if (gc_los_is_marked(&mc->los, o))
        gc_trace_object(o, update_visit, mc);
}

/* MC-4, outside the space: roots and marked large objects now hold their
 * referents' new addresses. (The space's own objects are updated by
 * relocate, as they move.) */
static void update_references(gc_heap *h, mc_heap *mc)
{
    root_update ru = {.mc = mc};
    gc_ptrset_init(&ru.done);
    gc_visit_roots(h, update_root, &ru);
    gc_ptrset_free(&ru.done);
    gc_los_each(&mc->los, update_large, mc);
}

/* ---- relocate ---------------------------------------------------------------------------- */

#ifndef NDEBUG
static void assert_not_moving(gc_value *slot, void *arg)
{
    mc_heap *mc = arg;
    gc_object *o = gc_ref(*slot);
    GC_ASSERT(!gc_bump_contains(&mc->space, o) || word_of(mc, o) < mc->dense_end);
}
#endif

/* Moves the run of adjacent objects [from, end) down to `to` (the copy may
 * overlap the run: gc_move_object, or memmove for a long run). Returns the
 * bytes moved. */
static size_t move_run(char *to, char *from, char *end)
{
    size_t n = (size_t)(end - from);
    if (n)
        gc_move_object((gc_object *)to, (gc_object *)from, n);
    return n;
}

/* Slides every live object to its new address in address order (MC-3), a
 * run of adjacent objects at a time, after rewriting their slots (MC-4),
 * skipping the blocks of the dense prefix whose slots need nothing (MC-6);
 * then clears the bitmaps and `reach` (MC-1). */
static void relocate(mc_heap *mc, size_t live)
{
    size_t nw = used_words(mc), dense_end = mc->dense_end;
    char *to = mc->space.start + dense_end * 8;
    char *run_from = NULL, *run_to = NULL, *run_end = NULL; /* adjacent objects not yet moved */
    uint64_t moved = 0;
    for (size_t w = 0; w < nw; w++) {
        if (w % MC_BLOCK_WORDS == 0) {
            size_t b = w / MC_BLOCK_WORDS;
            if ((b + 1) * MC_BLOCK_BITS <= dense_end && mc->reach[b] <= dense_end) {
#ifndef NDEBUG
                for (size_t v = w; v < w + MC_BLOCK_WORDS; v++)
                    for (uint64_t bits = STARTS(mc, v); bits; bits &= bits - 1)
                        gc_trace_object((gc_object *)(mc->space.start + (v * 64 + (size_t)__builtin_ctzll(bits)) * 8),
                                        assert_not_moving, mc);
#endif
                w += MC_BLOCK_WORDS - 1;
                continue;
            }
        }
        for (uint64_t bits = STARTS(mc, w); bits; bits &= bits - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
            gc_object *o = (gc_object *)(mc->space.start + i * 8);
            /* Its slots are updated where it is now (MC-4: the tables do
             * not change), so that a run of adjacent objects, which all
             * move by the same distance, moves in one copy. */
            size_t size = gc_trace_object(o, update_visit, mc);
            if (i < dense_end) /* stays */
                continue;
            GC_ASSERT((gc_object *)to == new_address(mc, o) && (char *)o > to);
            if ((char *)o != run_end) {
                moved += move_run(run_to, run_from, run_end);
                run_from = (char *)o;
                run_to = to;
            }
            run_end = (char *)o + size;
            to += size;
        }
    }
    moved += move_run(run_to, run_from, run_end);
    GC_ASSERT((size_t)(to - mc->space.start) == live);
    memset(mc->bits, 0, 2 * nw * sizeof *mc->bits);
    memset(mc->reach, 0, used_blocks(mc) * sizeof *mc->reach);
    mc->space.frontier = mc->space.start + live;
    mc->moved_bytes += moved;
}

static void mc_full(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    mc_heap *mc = mc_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    gc_bump_prepare(&mc->space, h); /* mutators' chunks end in fillers (never marked) */
    gc_los_prepare(&mc->los);
    gc_phase_start(h, MC_PHASE_ROOTS);
    gc_visit_roots(h, mark_root, mc);
    gc_phase_start(h, MC_PHASE_MARK);
    mark(mc);
    gc_phase_start(h, MC_PHASE_COMPUTE);
    size_t live = compute_locations(mc);
    gc_phase_start(h, MC_PHASE_UPDATE);
    update_references(h, mc);
    gc_phase_start(h, MC_PHASE_RELOCATE);
    size_t los_live = gc_los_finish(&mc->los);
    relocate(mc, live);
    mc->compactions++;
    gc_usage_collected(&mc->usage, h, live + los_live);
    gc_pause_end(h);
}

/* One kind of collection: every kind asks for a full one. */
static void mc_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    mc_full(m, reason);
}

/* ---- allocation ------------------------------------------------------------------------ */

static size_t mc_footprint(gc_heap *h)
{
    mc_heap *mc = mc_of(h);
    return gc_bump_footprint(&mc->space) + gc_los_footprint(&mc->los);
}

/* The side tables: each entry covers `span` bytes of the space. */
typedef struct mc_table {
    void **p;
    size_t entry, span;
} mc_table;

static size_t mc_tables(mc_heap *mc, mc_table t[3])
{
    t[0] = (mc_table){(void **)&mc->bits, 2 * sizeof *mc->bits, 512};
    t[1] = (mc_table){(void **)&mc->base, sizeof *mc->base, 512};
    t[2] = (mc_table){(void **)&mc->reach, sizeof *mc->reach, MC_BLOCK};
    return 3;
}

GC_INLINE size_t mc_table_bytes(const mc_heap *mc, const mc_table *t)
{
    return (mc->space.reserved + t->span - 1) / t->span * t->entry;
}

/* In mutator time, as the space grows: faults in the pages of the side
 * tables that cover it, so that the first collection over new memory does
 * not take those faults inside its pause. The tables grow with the space's
 * use, never with the limit. */
static void prefault_side_tables(mc_heap *mc)
{
    size_t want = gc_bump_footprint(&mc->space);
    if (want <= mc->prefaulted)
        return;
    want = (want + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1); /* 2 MiB of the space at a time */
    if (want > mc->space.reserved)
        want = mc->space.reserved;
    mc_table t[3];
    for (size_t i = 0, n = mc_tables(mc, t); i < n; i++) {
        size_t from = mc->prefaulted / t[i].span * t[i].entry, to = (want + t[i].span - 1) / t[i].span * t[i].entry;
        if (to > from)
            gc_sys_prefault((char *)*t[i].p + from, to - from);
    }
    mc->prefaulted = want;
}

/* A small object: a new chunk of the space within the budget (MC-5). */
static void *mc_alloc_small(gc_mutator *m, size_t bytes)
{
    mc_heap *mc = mc_of(m->heap);
    size_t cap = gc_space_room(m->heap, gc_los_footprint(&mc->los));
    if (cap > mc->space.reserved)
        cap = mc->space.reserved;
    void *p = gc_bump_refill(&mc->space, m, bytes, cap & ~(size_t)7);
    if (p)
        prefault_side_tables(mc);
    return p;
}

static bool mc_collect_for_alloc(gc_mutator *m, bool large)
{
    (void)large;
    mc_full(m, GC_REASON_HEAP_LIMIT);
    return true;
}

static void *mc_alloc_slow(gc_mutator *m, size_t bytes)
{
    return gc_space_alloc_slow(m, bytes, &mc_of(m->heap)->los, mc_footprint, mc_alloc_small, mc_collect_for_alloc);
}

/* ---- lifecycle and queries ------------------------------------------------------------------ */

static int mc_init(gc_heap *h)
{
    mc_heap *mc = gc_sys_alloc_zeroed(sizeof *mc);
    size_t limit = gc_heap_limit(h);
    if (gc_bump_init(&mc->space, limit) != 0) {
        gc_heap_set_error(h, "cannot reserve a space of %zu bytes", limit);
        gc_sys_free(mc, sizeof *mc);
        return -1;
    }
    mc->nwords = (mc->space.reserved / 8 + 63) / 64;
    mc_table t[3];
    size_t n = mc_tables(mc, t);
    for (size_t i = 0; i < n; i++)
        if (!(*t[i].p = gc_sys_reserve(mc_table_bytes(mc, &t[i])))) {
            gc_heap_set_error(h,
                              "cannot reserve the side tables (bitmaps, live-word counts, reach) of a %zu-byte "
                              "space",
                              limit);
            while (i--)
                gc_sys_unreserve(*t[i].p, mc_table_bytes(mc, &t[i]));
            gc_bump_destroy(&mc->space);
            gc_sys_free(mc, sizeof *mc);
            return -1;
        }
    gc_los_init(&mc->los);
    gc_heap_set_collector(h, mc);
    return 0;
}

static void mc_destroy(gc_heap *h)
{
    mc_heap *mc = mc_of(h);
    mc_table t[3];
    for (size_t i = 0, n = mc_tables(mc, t); i < n; i++)
        gc_sys_unreserve(*t[i].p, mc_table_bytes(mc, &t[i]));
    gc_bump_destroy(&mc->space);
    gc_los_destroy(&mc->los);
    gc_objstack_free(&mc->mark_stack);
    gc_sys_free(mc, sizeof *mc);
}

static void mc_mutator_fini(gc_mutator *m) { gc_bump_retire(&mc_of(m->heap)->space, m); }

static size_t mc_heap_used(gc_heap *h) { return gc_usage_bytes(&mc_of(h)->usage, h); }

static bool mc_contains(gc_heap *h, const void *p)
{
    mc_heap *mc = mc_of(h);
    return gc_bump_contains(&mc->space, p) || gc_los_contains(&mc->los, p);
}

static bool mc_is_object(gc_heap *h, const gc_object *o)
{
    mc_heap *mc = mc_of(h);
    return gc_bump_contains(&mc->space, o) ? gc_bump_is_object(&mc->space, o) : gc_los_is_object(&mc->los, o);
}

/* MC-1 (the space parses; no mark bit left set) and the LOS's invariants. */
static void mc_verify(gc_heap *h)
{
    mc_heap *mc = mc_of(h);
    gc_bump_check(&mc->space, h);
    size_t nw = used_words(mc), nb = used_blocks(mc);
    for (size_t w = 0; w < nw; w++)
        if (STARTS(mc, w) || LIVE(mc, w)) {
            gc_verify_fail(h, "mark bit left set between collections (bitmap word %zu of the space at %p)", w,
                           (void *)mc->space.start);
            break;
        }
    for (size_t b = 0; b < nb; b++)
        if (mc->reach[b]) {
            gc_verify_fail(h, "reach of block %zu left set between collections (space at %p)", b,
                           (void *)mc->space.start);
            break;
        }
    gc_los_check(&mc->los, h);
}

static void mc_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    mc_heap *mc = mc_of(h);
    emit(ctx, "compactions", mc->compactions);
    emit(ctx, "moved_bytes", mc->moved_bytes);
}

const gc_collector_ops gc_markcompact_ops = {
    .name = "markcompact",
    .description = "Lisp-2 sliding mark-compact: bump allocation, side mark bitmap and forwarding table, "
                   "large-object space",
    .alloc_mode = GC_ALLOC_BUMP,
    .alloc_zeroed = true,
    .barrier = GC_BARRIER_NONE,
    .moving = true,
    .reclaims_cycles = true,
    .phases = mc_phases,
    .options = gc_no_options,
    .init = mc_init,
    .destroy = mc_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = mc_mutator_fini,
    .alloc_slow = mc_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = mc_collect,
    .finish = gc_default_finish,
    .heap_used = mc_heap_used,
    .footprint = mc_footprint,
    .contains = mc_contains,
    .is_object = mc_is_object,
    .verify = mc_verify,
    .stats = mc_stats,
};
