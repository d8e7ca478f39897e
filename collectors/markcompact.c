/* collectors/markcompact.c — Lisp-2 sliding mark-compact (Knuth's Lisp 2
 * collector; The Garbage Collection Handbook, 2nd ed., section 3.2): one
 * bump-allocated space (collectors/bump_space.h) that every collection
 * slides down to its start, and the shared large-object space
 * (collectors/los.h), which never moves. See docs/collectors/markcompact.md.
 *
 *   collect = mark (roots, trace)
 *           ; compute-locations (new address of every live object)
 *           ; update-references (roots, live objects, live large objects)
 *           ; relocate (slide every live object down; sweep large objects)
 *
 * Lisp-2 keeps each object's new address in an extra header word. Ours have
 * none, so the new addresses live in a side table instead: the mark bitmap
 * has one bit per 8-byte word of the space, set at the start of each live
 * object; `rank` (the number of live objects before a word of the bitmap)
 * and `fwd` (the new address of the i-th live object in address order) give
 * an object's new address from its old one with three loads and a
 * popcount, and headers are never overwritten. Every pass after the mark
 * visits live objects only, by the set bits of the bitmap: dead objects are
 * never walked one by one.
 *
 * Invariants (MC-n; the spaces' own are BUMP-n and LOS-n):
 *  MC-1 Between collections [start, frontier) of the space parses (BUMP-1)
 *       and the mark bitmap is all clear (checked by mc_verify).
 *  MC-2 During a collection, a bit is set iff an object starting at that
 *       word was reached (marked before it is pushed, so each object is
 *       pushed once); fillers and dead objects have clear bits.
 *  MC-3 compute-locations gives the live objects, in address order, the
 *       addresses start, start + size0, ...: new(o) <= o, and new(o) + size
 *       <= new(next live object). So relocating in address order never
 *       overwrites a live object not yet moved (moves may overlap the
 *       object's own old copy: gc_move_object).
 *  MC-4 update-references runs before any object moves and rewrites every
 *       slot (roots, live small objects, marked large objects) that refers
 *       to a live object of the space to its new address.
 *  MC-5 Budget: space footprint + large-object footprint <= heap limit.
 *       Compaction needs no copy reserve: the space ends as large as its
 *       live objects.
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

typedef struct mc_heap {
    gc_bump_space space;
    uint64_t *marks;        /* one bit per 8-byte word of the space's reservation */
    uint32_t *rank;         /* per bitmap word: live objects before it (valid during a collection) */
    size_t nwords;          /* bitmap words covering the reservation */
    gc_object **fwd;        /* new address of the i-th live object, in address order: a
                               reservation for one entry per GC_MIN_OBJECT bytes of the
                               space, so it never grows inside a pause */
    size_t fwd_cap;
    gc_los los;
    gc_objstack mark_stack;
    gc_usage usage;
    uint64_t moved_bytes, compactions;
} mc_heap;

static mc_heap *mc_of(gc_heap *h) { return gc_heap_collector(h); }

/* Bitmap position of an object of the space. */
GC_INLINE size_t word_of(const mc_heap *mc, const void *p) { return ((uintptr_t)p - (uintptr_t)mc->space.start) >> 3; }

/* ---- mark ---------------------------------------------------------------------- */

/* Marks the referent of *slot; pushes it if it was white (MC-2). */
GC_INLINE void mark_visit(gc_value *slot, void *arg)
{
    mc_heap *mc = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(&mc->space, o)) {
        size_t w = word_of(mc, o);
        uint64_t bit = (uint64_t)1 << (w & 63);
        if (mc->marks[w >> 6] & bit)
            return;
        mc->marks[w >> 6] |= bit;
    } else if (!gc_los_mark(&mc->los, o)) {
        return;
    }
    gc_objstack_push(&mc->mark_stack, o);
}

static void mark_root(gc_value *slot, void *arg) { mark_visit(slot, arg); }

static void mark(mc_heap *mc)
{
    /* Popped objects wait in a prefetching FIFO (core/prefetch.h) until
     * their header has arrived. */
    gc_prefetch_fifo pf = {0};
    gc_object *o;
    while ((o = gc_prefetch_next_object(&pf, &mc->mark_stack))) {
        GC_ASSERT(gc_header_valid(o->header));
        gc_trace_object(o, mark_visit, mc);
    }
}

/* ---- compute-locations ------------------------------------------------------------- */

/* The object whose start is bit b of bitmap word w. */
GC_INLINE gc_object *object_at(const mc_heap *mc, size_t w, uint64_t bits)
{
    return (gc_object *)(mc->space.start + ((w * 64 + (size_t)__builtin_ctzll(bits)) << 3));
}

/* Bitmap words covering the space's objects, [start, frontier). */
GC_INLINE size_t used_words(const mc_heap *mc) { return (gc_bump_footprint(&mc->space) / 8 + 63) / 64; }

/* Gives every live object its new address (MC-3); fills rank and fwd.
 * Returns the bytes of the live small objects. */
static size_t compute_locations(mc_heap *mc)
{
    size_t nw = used_words(mc), n = 0;
    char *to = mc->space.start;
    for (size_t w = 0; w < nw; w++) {
        mc->rank[w] = (uint32_t)n;
        for (uint64_t bits = mc->marks[w]; bits; bits &= bits - 1) {
            gc_object *o = object_at(mc, w, bits);
            GC_ASSERT(n < mc->fwd_cap);
            mc->fwd[n++] = (gc_object *)to;
            to += gc_object_size(o);
        }
    }
    return (size_t)(to - mc->space.start);
}

/* New address of a marked object of the space. */
GC_INLINE gc_object *new_address(const mc_heap *mc, const gc_object *o)
{
    size_t w = word_of(mc, o);
    uint64_t word = mc->marks[w >> 6];
    GC_ASSERT(word & ((uint64_t)1 << (w & 63)));
    size_t below = (size_t)__builtin_popcountll(word & (((uint64_t)1 << (w & 63)) - 1));
    return mc->fwd[mc->rank[w >> 6] + below];
}

/* ---- update-references ------------------------------------------------------------------ */

GC_INLINE void update_visit(gc_value *slot, void *arg)
{
    mc_heap *mc = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(&mc->space, o))
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

/* MC-4: every reference into the space now holds its referent's new address. */
static void update_references(gc_heap *h, mc_heap *mc)
{
    root_update ru = {.mc = mc};
    gc_ptrset_init(&ru.done);
    gc_visit_roots(h, update_root, &ru);
    gc_ptrset_free(&ru.done);
    size_t nw = used_words(mc);
    for (size_t w = 0; w < nw; w++)
        for (uint64_t bits = mc->marks[w]; bits; bits &= bits - 1)
            gc_trace_object(object_at(mc, w, bits), update_visit, mc);
    gc_los_each(&mc->los, update_large, mc);
}

/* ---- relocate ---------------------------------------------------------------------------- */

/* Slides every live object to its new address in address order (MC-3) and
 * clears the bitmap behind it (MC-1). */
static void relocate(mc_heap *mc, size_t live)
{
    size_t i = 0, nw = used_words(mc);
    uint64_t moved = 0;
    for (size_t w = 0; w < nw; w++) {
        for (uint64_t bits = mc->marks[w]; bits; bits &= bits - 1) {
            gc_object *o = object_at(mc, w, bits);
            gc_object *to = mc->fwd[i++];
            if (to != o) {
                size_t size = gc_object_size(o);
                gc_move_object(to, o, size);
                moved += size;
            }
        }
        mc->marks[w] = 0;
    }
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

/* A small object: a new chunk of the space within the budget (MC-5). */
static void *mc_alloc_small(gc_mutator *m, size_t bytes)
{
    mc_heap *mc = mc_of(m->heap);
    size_t cap = gc_space_room(m->heap, gc_los_footprint(&mc->los));
    if (cap > mc->space.reserved)
        cap = mc->space.reserved;
    return gc_bump_refill(&mc->space, m, bytes, cap & ~(size_t)7);
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
    mc->marks = gc_sys_reserve(mc->nwords * sizeof *mc->marks);
    mc->rank = gc_sys_reserve(mc->nwords * sizeof *mc->rank);
    mc->fwd_cap = mc->space.reserved / GC_MIN_OBJECT;
    mc->fwd = gc_sys_reserve(mc->fwd_cap * sizeof *mc->fwd);
    if (!mc->marks || !mc->rank || !mc->fwd) {
        gc_heap_set_error(h, "cannot reserve the side tables (mark bitmap, ranks, forwarding) of a %zu-byte space", limit);
        if (mc->marks)
            gc_sys_unreserve(mc->marks, mc->nwords * sizeof *mc->marks);
        if (mc->rank)
            gc_sys_unreserve(mc->rank, mc->nwords * sizeof *mc->rank);
        if (mc->fwd)
            gc_sys_unreserve(mc->fwd, mc->fwd_cap * sizeof *mc->fwd);
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
    gc_sys_unreserve(mc->marks, mc->nwords * sizeof *mc->marks);
    gc_sys_unreserve(mc->rank, mc->nwords * sizeof *mc->rank);
    gc_sys_unreserve(mc->fwd, mc->fwd_cap * sizeof *mc->fwd);
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
    size_t nw = used_words(mc);
    for (size_t w = 0; w < nw; w++)
        if (mc->marks[w]) {
            gc_verify_fail(h, "mark bit left set between collections (bitmap word %zu of the space at %p)", w,
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
