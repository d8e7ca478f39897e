/* collectors/generational.c — a two-generation collector in the style of
 * Appel (1989): a bump-allocated nursery (collectors/bump_space.h)
 * evacuated by copying into a non-moving mature space (collectors/space.h's
 * gc_nms: the free-list space mark-sweep uses, plus the large-object space).
 * See docs/collectors/generational.md.
 *
 *   minor = roots + remembered set -> promote (copy) survivors; scan them
 *   major = mark (roots, through nursery and mature) ; sweep mature ; minor
 *
 * Invariants (GEN-n; the spaces' own are BUMP-n, FLS-n, LOS-n):
 *  GEN-1 Every object outside the nursery that holds a reference into the
 *        nursery has GC_HDR_LOGGED set and is in `remembered` or in the
 *        `logged` buffer of a mutator (the write barrier's job: each
 *        mutator logs into its own buffer, without locks; every pause
 *        first drains the buffers into `remembered`; checked by gen_verify
 *        before every minor collection with --verify). So a minor
 *        collection never scans the mature space.
 *  GEN-2 Promotion on first survival: after an evacuation the nursery is
 *        empty and no reference points into it; `remembered` is empty and
 *        no object is logged (asserted at the end of evacuate).
 *  GEN-3 Budget: nursery capacity + mature blocks + large objects <= limit.
 *        A minor collection starts only if the mature space can take every
 *        nursery object in the worst case (all survive: a cheap bound, else
 *        a census of the nursery by size class, promotion_fits); otherwise a
 *        major collection runs first, and if even then its survivors might
 *        not fit the allocation fails cleanly (heap exhausted) with the heap
 *        intact. So promotion never runs out of blocks mid-evacuation.
 *  GEN-4 During a major mark, nursery objects are marked with
 *        GEN_NURSERY_MARK in their header; the evacuation that ends the
 *        major discards those bits (copies start with clear collector bits),
 *        and a major that cannot evacuate clears them (unmark_nursery_object).
 *  GEN-5 Nursery size: with the `nursery` option it is fixed; without it
 *        nursery_size starts at nursery_max (a third of the heap, the
 *        reservation) and after each evacuation of a nursery at least half
 *        full moves by survival between adapt_min and nursery_max
 *        (adapt_nursery). The barrier's filter and in_nursery use the
 *        whole reservation, so a resize never changes what is young.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/prefetch.h"
#include "core/sysalloc.h"
#include "space.h"

#define GEN_NURSERY_MARK GC_HDR_BIT(1)
#define GEN_NURSERY_MIN (2 * (size_t)GC_SMALL_MAX) /* 16 KiB: two of the largest small objects */
#define GEN_NURSERY_DEFAULT_DIVISOR 3
_Static_assert(GC_MIN_HEAP_LIMIT / GEN_NURSERY_DEFAULT_DIVISOR >= GEN_NURSERY_MIN,
               "the default nursery must fit the smallest heap");
#define GEN_STRESS_MAJOR_EVERY 8 /* stress mode: every 8th forced collection is major */

/* Phases: a minor uses roots, remembered, promote; a major uses roots, mark,
 * sweep, then the evacuation's roots, remembered, promote. */
enum { GEN_PHASE_ROOTS, GEN_PHASE_REMEMBERED, GEN_PHASE_PROMOTE, GEN_PHASE_MARK, GEN_PHASE_SWEEP };
static const char *const gen_phases[] = {"roots", "remembered", "promote", "mark", "sweep", NULL};

static const gc_option_desc gen_options[] = {
    {"nursery", GC_OPTION_SIZE, "0",
     "nursery size (K/M/G), fixed; 0 = adaptive by survival, from a third of the heap down to 1M"},
    {NULL, GC_OPTION_BOOL, NULL, NULL},
};

typedef struct gen_heap {
    gc_bump_space nursery;
    size_t nursery_size;          /* capacity counted against the limit */
    gc_nms old;                   /* the mature space: small objects and large ones */
    /* Promotion allocates mature cells per size class from a free list of
     * lazily swept cells, else by bumping through a fresh block. */
    void *promo_lists[GC_SIZE_CLASS_COUNT];
    char *promo_cur[GC_SIZE_CLASS_COUNT], *promo_end[GC_SIZE_CLASS_COUNT];
    gc_objstack remembered;       /* logged holders */
    gc_objstack work;             /* mark stack / promoted objects to scan */
    uint64_t old_bytes;           /* small mature objects: live at last major + promoted since */
    uint64_t stress_count;
    /* what the collector did, for the summary (ops->stats) */
    uint64_t promoted_bytes, promoted_objects, remembered_total;
    uint64_t last_promoted;       /* bytes promoted by the last evacuation */
    bool stuck;                   /* a major could not empty the nursery ... */
    uint64_t stuck_live;          /* ... whose live objects then took this many bytes */
    uint64_t prefaulted_bytes;    /* mature pages faulted in ahead, in mutator time */
    /* The adaptive nursery (GEN-5; no `nursery` option): nursery_size
     * moves between adapt_min and nursery_max (the reservation). */
    bool adaptive;
    size_t nursery_max;
    uint64_t nursery_grown, nursery_shrunk; /* resizes, for the summary */
    size_t nursery_smallest;
} gen_heap;

static gen_heap *gen_of(gc_heap *h) { return gc_heap_collector(h); }

/* Per mutator (m->collector_data): the holders this mutator's barrier
 * logged since the last pause. The barrier runs concurrently in every
 * mutator thread, so it writes only here; pauses and detach move the
 * entries into the heap's remembered set (gen_drain). */
typedef struct gen_mutator {
    gc_objstack logged;
} gen_mutator;

static inline bool in_nursery(const gen_heap *g, const void *p) { return gc_bump_contains(&g->nursery, p); }

static size_t gen_footprint(gc_heap *h)
{
    gen_heap *g = gen_of(h);
    return g->nursery_size + gc_nms_footprint(&g->old);
}

/* Bytes of objects in the nursery (handed-out chunks minus their unused tails). */
static size_t nursery_used(gc_heap *h, const gen_heap *g)
{
    size_t used = gc_bump_footprint(&g->nursery);
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        if (in_nursery(g, (void *)m->bump_ptr))
            used -= m->bump_limit - m->bump_ptr;
    return used;
}

/* ---- write barrier slow path: remember the holder ------------------------------ */

/* Core has stored v and calls this for the stores the inline filter
 * selects (GC_BARRIER_GENERATIONAL): v's bits in the nursery's range, the
 * holder outside it and not logged. Remembering the holder keeps GEN-1.
 * The filter compares raw words, so an immediate integer whose bits fall in
 * the range gets here too: only a reference into the nursery counts. */
static void gen_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v)
{
    (void)slot;
    (void)old;
    /* The nursery's reservation, not its frontier: the frontier moves under
     * the heap lock while this runs unlocked in several threads (a reference
     * is never beyond the frontier anyway). */
    uintptr_t lo = m->young_lo, size = m->young_size;
    GC_ASSERT((uintptr_t)holder - lo >= size);
    if (!gc_is_ref(v) || v - lo >= size || (holder->header & GC_HDR_LOGGED))
        return;
    holder->header |= GC_HDR_LOGGED;
    gc_objstack_push(&((gen_mutator *)m->collector_data)->logged, holder);
}

/* Moves one mutator's logged holders into the remembered set (GEN-1 then
 * holds for the heap's set alone). */
static void gen_drain_one(gen_heap *g, gen_mutator *gm)
{
    g->remembered_total += gm->logged.n;
    gc_objstack_move_all(&g->remembered, &gm->logged);
}

/* At the start of every pause (the world is stopped). */
static void gen_drain(gc_heap *h, gen_heap *g)
{
    GC_ASSERT(gc_world_stopped(h));
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        gen_drain_one(g, m->collector_data);
}

/* ---- promotion (minor collection) --------------------------------------------------- */

/* Worst-case mature bytes needed to promote the whole nursery, cheaply (no
 * look at the nursery): size-class rounding and the cells a block cannot fit
 * add at most a third (the worst class, 7 KiB cells holding objects of 6152
 * bytes or more, four to a block, needs 1.332 block bytes per object byte),
 * and each class may start a new block. The per-class term (35 blocks, 1.1
 * MiB) dominates at small heaps, so when this bound fails promotion_census
 * decides. */
static size_t promotion_bound(size_t nursery_bytes)
{
    return nursery_bytes + nursery_bytes / 3 + GC_SIZE_CLASS_COUNT * GC_FLS_BLOCK;
}

typedef struct gen_census {
    uint64_t cells[GC_SIZE_CLASS_COUNT];
    uint64_t mark; /* 0: count every object; GEN_NURSERY_MARK: only marked ones */
} gen_census;

/* Counts the cell of a nursery object (every one, or the ones a major mark
 * found alive). */
static void count_cell(gc_object *o, void *arg)
{
    gen_census *c = arg;
    if ((o->header & c->mark) == c->mark)
        c->cells[gc_size_class_of(gc_object_size(o))]++;
}

/* Mature cells of class cls that promotion can take without a new block:
 * the rest of the current bump block, the current free list, and the free
 * cells of the class's unswept blocks (ncells - live_cells, FLS-4), which
 * the lazy sweep hands to promo_refill before it takes a fresh block. */
static uint64_t promotion_free_cells(const gen_heap *g, unsigned cls)
{
    const gc_fls *s = &g->old.fls;
    uint64_t n = ((uintptr_t)g->promo_end[cls] - (uintptr_t)g->promo_cur[cls]) / gc_size_class_bytes[cls];
    for (void *cell = g->promo_lists[cls]; cell; cell = *(void **)cell)
        n++;
    for (uint32_t i = s->unswept[cls]; i != GC_FLS_NONE; i = s->meta[i].next)
        n += s->meta[i].ncells - s->meta[i].live_cells;
    return n;
}

/* The exact need, by a walk of the nursery: new blocks for one cell per
 * nursery object that may be promoted (every object before a minor, the
 * marked ones after a major's mark), class by class, less the free cells
 * promotion takes first (promotion_free_cells). SIZE_MAX if the nursery
 * does not parse. */
static size_t promotion_census(gc_heap *h, gen_heap *g, bool marked_only)
{
    gen_census c = {.mark = marked_only ? GEN_NURSERY_MARK : 0};
    if (!gc_bump_each(&g->nursery, h, count_cell, &c))
        return SIZE_MAX;
    size_t blocks = 0;
    for (unsigned k = 0; k < GC_SIZE_CLASS_COUNT; k++) {
        if (c.cells[k] == 0)
            continue;
        uint64_t free_cells = promotion_free_cells(g, k);
        uint64_t need = c.cells[k] > free_cells ? c.cells[k] - free_cells : 0;
        size_t per_block = GC_FLS_BLOCK / gc_size_class_bytes[k];
        blocks += (need + per_block - 1) / per_block;
    }
    return blocks > SIZE_MAX / GC_FLS_BLOCK ? SIZE_MAX : blocks * GC_FLS_BLOCK;
}

/* Can the mature space take the nursery's survivors within the limit? The
 * cheap bound (as if everything survived) decides when it can; otherwise a
 * census of the nursery (all of it before a minor; after a major's mark and
 * sweep (after_major), only the survivors it found), so neither a small
 * heap loses its minor collections to the bound's fixed per-class term nor
 * a tight heap is declared exhausted on the bound's pessimism. A minor the
 * census refuses escalates to a major.
 *
 * Before a minor, the census walks only nurseries of up to
 * GEN_CENSUS_MAX_NURSERY bytes: there the bound's fixed 1.1 MiB is what
 * refuses minors; a larger nursery keeps the bound alone, so its minor
 * pauses never include a walk of dead objects (the default heap's minors
 * are as before the census). */
#define GEN_CENSUS_MAX_NURSERY ((size_t)4 << 20)

static bool promotion_fits(gc_heap *h, gen_heap *g, bool after_major)
{
    size_t room = gc_space_room(h, gen_footprint(h));
    size_t used = nursery_used(h, g);
    if (room >= promotion_bound(used))
        return true;
    if (!after_major && used > GEN_CENSUS_MAX_NURSERY)
        return false;
    return room >= promotion_census(h, g, after_major);
}

/* Evacuation state. The nursery range is fixed while it is emptied (the
 * mutators hold no chunk), so it is kept here rather than reloaded through
 * gen_heap after every copy. */
typedef struct gen_evac {
    gc_heap *h;
    gen_heap *g;
    uintptr_t lo, span;           /* the nursery's used range [lo, lo + span) */
    uint64_t bytes, objects;      /* promoted by this evacuation */
    gc_prefetch_fifo pf;          /* slots whose nursery referent is prefetched (promote_later) */
} gen_evac;

/* Out of line: a cell of class cls when the current free list and bump
 * block are used up: lazily swept mature cells first, else a fresh block
 * filled by bumping. The budget was checked before the evacuation began
 * (GEN-3), so this cannot fail. */
static GC_NOINLINE void *promo_refill(gen_evac *e, unsigned cls)
{
    gen_heap *g = e->g;
    void *cell = gc_fls_sweep_for(&g->old.fls, cls);
    if (cell) {
        g->promo_lists[cls] = *(void **)cell;
        return cell;
    }
    if (g->promo_cur[cls])
        gc_fls_bump_publish(&g->old.fls, g->promo_cur[cls]);
    cell = gc_fls_fresh_bump(&g->old.fls, cls, gc_space_room(e->h, gen_footprint(e->h)), &g->promo_end[cls]);
    if (!cell) {
        fprintf(stderr, "gcbench: generational: promotion failed despite the reserve check\n");
        abort();
    }
    g->promo_cur[cls] = (char *)cell + gc_size_class_bytes[cls];
    return cell;
}

/* Records where each bump block stands, so the mature space is walkable. */
static void promo_publish(gen_heap *g)
{
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        if (g->promo_cur[c])
            gc_fls_bump_publish(&g->old.fls, g->promo_cur[c]);
}

/* Prefetches a nursery referent's header (promote_slot, for the copy's
 * slots: they are promoted when the copy is scanned, a little later). */
GC_INLINE void prefetch_nursery_referent(gc_value *slot, void *arg)
{
    gen_evac *e = arg;
    gc_object *o = gc_ref(*slot);
    if ((uintptr_t)o - e->lo < e->span)
        __builtin_prefetch(o, 1);
}

/* Copies *slot's referent into the mature space if it is a nursery object
 * not yet promoted, and rewrites the slot; a promoted copy is queued for
 * scanning. Inlined into the scan loop (the minor collection's hot path). */
GC_INLINE void promote_slot(gc_value *slot, void *arg)
{
    gen_evac *e = arg;
    gc_object *o = gc_ref(*slot);
    if ((uintptr_t)o - e->lo >= e->span)
        return;
    if (gc_is_forwarded(o)) { /* already promoted */
        *slot = gc_value_of(gc_forwarding_address(o));
        return;
    }
    uint64_t hdr = o->header;
    size_t size = gc_header_size(hdr);
    unsigned cls = gc_size_class_of(size);
    gen_heap *g = e->g;
    void *cell = g->promo_lists[cls];
    if (cell) {
        g->promo_lists[cls] = *(void **)cell;
    } else {
        /* Integer room test: cur and end are both NULL before the class's
         * first bump block (no pointer arithmetic on NULL). */
        char *cur = g->promo_cur[cls];
        size_t cell_bytes = gc_size_class_bytes[cls];
        if (GC_LIKELY((uintptr_t)g->promo_end[cls] - (uintptr_t)cur >= cell_bytes)) {
            cell = cur;
            g->promo_cur[cls] = cur + cell_bytes;
        } else {
            cell = promo_refill(e, cls);
        }
    }
    gc_object *copy = cell;
    copy->header = hdr & ~GC_HDR_GC_MASK;
    gc_copy_body(copy, o, size);
    gc_set_forwarding_address(o, copy);
    *slot = gc_value_of(copy);
    e->bytes += size;
    e->objects++;
    gc_trace_object(copy, prefetch_nursery_referent, e);
    gc_objstack_push(&g->work, copy);
}

/* The scan's slot visitor: promotes at once (see evacuate). */
static void promote_scanned(gc_value *slot, void *arg) { promote_slot(slot, arg); }

/* Root visitor (out of line: roots are few). */
static void promote_root(gc_value *slot, void *arg) { promote_slot(slot, arg); }

/* The slot visitor of the scan: a slot whose referent is in the nursery is
 * queued in the prefetching FIFO (core/prefetch.h) with its referent's
 * header prefetched, and the slot that falls out of the FIFO is promoted.
 * Without it the scan stalls on nearly every nursery header it reads: they
 * are scattered over a nursery larger than the cache. Slots are in
 * promoted copies or remembered holders, which do not move, and
 * promote_slot handles a referent promoted while its slot waited. */
GC_INLINE void promote_later(gc_value *slot, void *arg)
{
    gen_evac *e = arg;
    gc_object *o = gc_ref(*slot);
    if ((uintptr_t)o - e->lo >= e->span)
        return;
    gc_value *ready = gc_prefetch_push(&e->pf, slot, o);
    if (ready)
        promote_slot(ready, e);
}

/* The adaptive nursery (GEN-5; the default, when no `nursery` option is
 * given): after each evacuation of a full nursery, its survival (bytes
 * promoted / bytes it held) decides the next nursery's size. Above
 * 1/GEN_GROW_SURVIVAL_DIV the nursery doubles, up to nursery_max: the survivors
 * were young objects not yet given time to die, and promoting a byte costs
 * several times allocating one (0.35 ms per MiB copied against 0.24 ms per
 * MiB allocated by `trees`' mutator, 1.2 ms per MiB more when it lands on
 * fresh pages), so 2% survival is roughly a tenth of the mutator's time.
 * Below 1/GEN_SHRINK_SURVIVAL_DIV it halves, down to adapt_min: minors cost
 * next to nothing then, and a smaller nursery keeps allocation in the
 * cache and touches fewer fresh pages (measured in
 * docs/collectors/generational.md). It starts at nursery_max, so the first
 * nursery gives a program's first structures time to die. Decided from
 * bytes, not times: a run's collections repeat exactly. */
#define GEN_GROW_SURVIVAL_DIV 50    /* grow above 1/50 = 2% */
#define GEN_SHRINK_SURVIVAL_DIV 200 /* shrink below 1/200 = 0.5% */
#define GEN_ADAPT_MIN ((size_t)1 << 20)

/* The smallest adaptive nursery now: GEN_ADAPT_MIN, and two chunks per
 * mutator (so threads do not stop the world for every chunk), at most
 * nursery_max. */
static size_t adapt_min(gc_heap *h, const gen_heap *g)
{
    size_t min = GEN_ADAPT_MIN, mutators = 0;
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        mutators++;
    if (mutators * 2 * GC_BUMP_CHUNK > min)
        min = mutators * 2 * GC_BUMP_CHUNK;
    return min < g->nursery_max ? min : g->nursery_max;
}

/* Sizes the next nursery from this evacuation's survival (GEN-5). Only a
 * nursery at least half full counts (an explicit or forced collection of a
 * nearly empty one says little). Growth stays within the limit (GEN-3). */
static void adapt_nursery(gc_heap *h, gen_heap *g, uint64_t promoted, size_t used)
{
    if (!g->adaptive || used < g->nursery_size / 2)
        return;
    size_t n = g->nursery_size;
    if (promoted * GEN_GROW_SURVIVAL_DIV > used && n < g->nursery_max) {
        size_t want = n > g->nursery_max / 2 ? g->nursery_max : n * 2;
        size_t old = gc_nms_footprint(&g->old), limit = gc_heap_limit(h);
        if (want > limit - old) /* old + nursery_max <= limit for the FLS, not for large objects */
            want = limit - old;
        if (want > n) {
            g->nursery_size = want & ~(size_t)7;
            g->nursery_grown++;
        }
    } else if (promoted * GEN_SHRINK_SURVIVAL_DIV < used) {
        size_t min = adapt_min(h, g);
        if (n > min) {
            g->nursery_size = (n / 2 > min ? n / 2 : min) & ~(size_t)7;
            g->nursery_shrunk++;
        }
    }
    if (g->nursery_size < g->nursery_smallest)
        g->nursery_smallest = g->nursery_size;
    GC_ASSERT(g->nursery_size <= g->nursery_max && gen_footprint(h) <= gc_heap_limit(h)); /* GEN-3, GEN-5 */
}

/* Empties the nursery: roots and remembered holders, then every promoted
 * object's slots, transitively.
 *
 * Order, for the mutator's locality: scanning an object promotes all its
 * nursery children at once, so siblings land side by side, and pushes
 * them so that the first slot's child is scanned first: the promoted data
 * comes out close to a preorder, first-slot-first layout, the order in
 * which programs walk trees (a 16-entry prefetching FIFO of slots, as the
 * mark loops use, scatters it: `trees`' walk of its promoted long-lived
 * tree took 8.0 ms instead of 1.4). Latency: each copy's nursery referents
 * are prefetched when it is made, and popped copies wait in a 2-entry
 * queue before their scan, which gives those prefetches time to arrive
 * (GC time and minor pauses as with the FIFO: docs/collectors/generational.md). */
static void evacuate(gc_heap *h, gen_heap *g)
{
    gen_evac e = {.h = h, .g = g, .lo = (uintptr_t)g->nursery.start, .span = gc_bump_footprint(&g->nursery)};
    gc_phase_start(h, GEN_PHASE_ROOTS);
    gc_visit_roots(h, promote_root, &e);
    gc_phase_start(h, GEN_PHASE_REMEMBERED);
    for (size_t i = 0; i < g->remembered.n; i++) {
        gc_object *holder = g->remembered.v[i];
        holder->header &= ~GC_HDR_LOGGED;
        gc_trace_object(holder, promote_later, &e);
    }
    g->remembered.n = 0;
    gc_phase_start(h, GEN_PHASE_PROMOTE);
    for (;;) {
        gc_object *queue[2];
        unsigned queued = 0;
        while (!gc_objstack_empty(&g->work) || queued) {
            if (!gc_objstack_empty(&g->work) && queued < 2) {
                queue[queued++] = gc_objstack_pop(&g->work);
                continue;
            }
            gc_object *x = queue[0];
            queue[0] = queue[1];
            queued--;
            size_t first = g->work.n;
            gc_trace_object(x, promote_scanned, &e);
            /* x's children were pushed in slot order: reverse them, so the
             * first slot's child is popped first. */
            for (size_t i = first, j = g->work.n; i + 1 < j; i++, j--) {
                gc_object *t = g->work.v[i];
                g->work.v[i] = g->work.v[j - 1];
                g->work.v[j - 1] = t;
            }
        }
        gc_value *slot = gc_prefetch_pop(&e.pf);
        if (!slot)
            break;
        promote_slot(slot, &e);
    }
    promo_publish(g);
    g->stuck = false;
    g->last_promoted = e.bytes;
    g->old_bytes += e.bytes;
    g->promoted_bytes += e.bytes;
    g->promoted_objects += e.objects;
    gc_bump_finish(&g->nursery);
    GC_ASSERT(g->remembered.n == 0 && gc_bump_footprint(&g->nursery) == 0); /* GEN-2 */
    adapt_nursery(h, g, e.bytes, e.span);
}

/* ---- major collection ------------------------------------------------------------------ */

static void major_mark_visit(gc_value *slot, void *arg)
{
    gen_heap *g = arg;
    gc_object *o = gc_ref(*slot);
    bool fresh;
    if (in_nursery(g, o)) {
        fresh = !(o->header & GEN_NURSERY_MARK);
        o->header |= GEN_NURSERY_MARK;
    } else {
        fresh = gc_nms_mark(&g->old, o);
    }
    if (fresh)
        gc_objstack_push(&g->work, o);
}

/* Clears the major mark of a nursery object; sums the marked ones' bytes. */
static void unmark_nursery_object(gc_object *o, void *ctx)
{
    if (o->header & GEN_NURSERY_MARK) {
        *(uint64_t *)ctx += gc_object_size(o);
        o->header &= ~GEN_NURSERY_MARK;
    }
}

/* The work of a major collection, inside an open pause. Returns false when
 * the nursery could not be emptied (its survivors might not fit). */
static bool major_body(gc_heap *h, gen_heap *g)
{
    gc_bump_prepare(&g->nursery, h);
    /* The mark and sweep below re-derive every block's free cells; bump
     * blocks were published when the last evacuation ended. */
    memset(g->promo_lists, 0, sizeof g->promo_lists);
    memset(g->promo_cur, 0, sizeof g->promo_cur);
    memset(g->promo_end, 0, sizeof g->promo_end);
    gc_nms_prepare(&g->old);
    gc_phase_start(h, GEN_PHASE_ROOTS);
    gc_visit_roots(h, major_mark_visit, g);
    gc_phase_start(h, GEN_PHASE_MARK);
    uint64_t old_live = 0; /* marked objects outside the nursery, large ones included */
    gc_prefetch_fifo pf = {0}; /* popped objects wait for their header (core/prefetch.h) */
    gc_object *o;
    while ((o = gc_prefetch_next_object(&pf, &g->work))) {
        if (!in_nursery(g, o))
            old_live += gc_object_size(o);
        gc_trace_object(o, major_mark_visit, g);
    }
    gc_phase_start(h, GEN_PHASE_SWEEP);
    /* Forget dead holders before their cells can be reused. */
    size_t keep = 0;
    for (size_t i = 0; i < g->remembered.n; i++) {
        gc_object *o = g->remembered.v[i];
        if (gc_nms_is_marked(&g->old, o))
            g->remembered.v[keep++] = o;
    }
    g->remembered.n = keep;
    size_t los_live = gc_nms_finish(&g->old);
    GC_ASSERT(old_live >= los_live);
    g->old_bytes = old_live - los_live; /* small ones: large objects count in the LOS */
    if (promotion_fits(h, g, true)) {
        evacuate(h, g); /* nursery-mark bits vanish with the nursery */
        return true;
    }
    g->stuck_live = 0;
    gc_bump_each(&g->nursery, h, unmark_nursery_object, &g->stuck_live);
    g->stuck = true;
    return false;
}

static bool gen_major(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    gc_pause_begin(h, GC_PAUSE_MAJOR, reason);
    gen_drain(h, gen_of(h));
    bool ok = major_body(h, gen_of(h));
    gc_pause_end(h);
    return ok;
}

/* A minor collection; it becomes a major one (same pause) when the mature
 * space might not take the survivors. Returns false when the nursery could
 * not be emptied. All of the deciding happens inside the pause. */
static bool gen_minor(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    gen_heap *g = gen_of(h);
    gc_verify_collector(h, "before a minor collection"); /* GEN-1, with --verify */
    gc_pause_begin(h, GC_PAUSE_MINOR, reason);
    gen_drain(h, g);
    gc_bump_prepare(&g->nursery, h);
    bool ok = true;
    if (promotion_fits(h, g, false)) {
        evacuate(h, g);
    } else {
        gc_pause_set_kind(h, GC_PAUSE_MAJOR);
        ok = major_body(h, g);
    }
    gc_pause_end(h);
    return ok;
}

/* MINOR: a minor collection (a major when the survivors might not fit);
 * MAJOR: a major one; ANY: as if allocation had triggered it (a minor),
 * except that stress mode makes every GEN_STRESS_MAJOR_EVERY-th a major. */
static void gen_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    gen_heap *g = gen_of(m->heap);
    if (kind == GC_COLLECT_ANY && reason == GC_REASON_STRESS)
        kind = ++g->stress_count % GEN_STRESS_MAJOR_EVERY != 0 ? GC_COLLECT_MINOR : GC_COLLECT_MAJOR;
    if (kind == GC_COLLECT_MAJOR)
        gen_major(m, reason);
    else
        gen_minor(m, reason);
}

/* ---- allocation --------------------------------------------------------------------------- */

#define GEN_PREFAULT_MIN ((size_t)256 << 10)

/* In mutator time, before the nursery fills: fault in the mature blocks the
 * next evacuation is likely to take (what the last one promoted plus 256
 * KiB), so first touches of fresh pages (about 1.3 us per 4 KiB page on a
 * VM) are not paid inside the minor pause. */
static void prefault_mature(gen_heap *g)
{
    size_t want = g->last_promoted + GEN_PREFAULT_MIN;
    size_t bound = promotion_bound(g->nursery_size);
    if (want > bound)
        want = bound;
    g->prefaulted_bytes += gc_fls_prefault(&g->old.fls, want) * GC_FLS_BLOCK;
}

/* A small object: a new nursery chunk (the inline fast path found the
 * current one full), prefaulting mature pages first. */
static void *gen_alloc_small(gc_mutator *m, size_t bytes)
{
    gen_heap *g = gen_of(m->heap);
    prefault_mature(g);
    return gc_bump_refill(&g->nursery, m, bytes, g->nursery_size);
}

/* A large object that does not fit needs a major collection; a full
 * nursery a minor one, which fails when the nursery could not be emptied
 * (its survivors do not fit). */
static bool gen_collect_for_alloc(gc_mutator *m, bool large)
{
    if (large) {
        gen_major(m, GC_REASON_HEAP_LIMIT);
        return true;
    }
    return gen_minor(m, GC_REASON_NURSERY_FULL);
}

static void *gen_alloc_slow(gc_mutator *m, size_t bytes)
{
    return gc_space_alloc_slow(m, bytes, &gen_of(m->heap)->old.los, gen_footprint, gen_alloc_small,
                               gen_collect_for_alloc);
}

/* ---- lifecycle and queries ------------------------------------------------------------------ */

static int gen_init(gc_heap *h)
{
    size_t limit = gc_heap_limit(h);
    uint64_t opt = gc_heap_option_u64(h, "nursery");
    size_t n = opt > SIZE_MAX ? SIZE_MAX : (size_t)opt;
    bool adaptive = n == 0;
    if (n == 0) {
        /* Adaptive (GEN-5), at most a third of the heap, as HotSpot's
         * default NewRatio=2. A default must fit every heap from
         * GC_MIN_HEAP_LIMIT up (a third of it is above GEN_NURSERY_MIN),
         * and leave the mature space room to promote a full nursery (so a
         * small heap still runs minors). */
        n = limit / GEN_NURSERY_DEFAULT_DIVISOR;
        GC_ASSERT(n >= GEN_NURSERY_MIN);
    }
    if (n < GEN_NURSERY_MIN) {
        gc_heap_set_error(h, "nursery of %zu bytes (option nursery): must be at least %zu bytes", n,
                          GEN_NURSERY_MIN);
        return -1;
    }
    if (n > limit / 2) { /* a valid nursery, but this heap is too small for it */
        gc_heap_set_error_too_small(h,
                                    "nursery of %zu bytes (option nursery): must be at most half the heap (%zu "
                                    "bytes): the heap is too small for it",
                                    n, limit / 2);
        return -1;
    }
    n &= ~(size_t)7;
    gen_heap *g = gc_sys_alloc_zeroed(sizeof *g);
    g->nursery_size = g->nursery_max = g->nursery_smallest = n;
    g->adaptive = adaptive;
    if (gc_bump_init(&g->nursery, n) != 0 || gc_nms_init(&g->old, limit - n) != 0) {
        gc_heap_set_error(h, "cannot reserve the nursery and mature space");
        gc_bump_destroy(&g->nursery);
        gc_sys_free(g, sizeof *g);
        return -1;
    }
    gc_heap_set_collector(h, g);
    return 0;
}

static void gen_destroy(gc_heap *h)
{
    gen_heap *g = gen_of(h);
    gc_bump_destroy(&g->nursery);
    gc_nms_destroy(&g->old);
    gc_objstack_free(&g->remembered);
    gc_objstack_free(&g->work);
    gc_sys_free(g, sizeof *g);
}

static void gen_mutator_init(gc_mutator *m)
{
    gen_heap *g = gen_of(m->heap);
    m->young_lo = (uintptr_t)g->nursery.start;
    m->young_size = g->nursery_size;
    m->collector_data = gc_sys_alloc_zeroed(sizeof(gen_mutator));
}

/* Detach runs holding the heap lock: the mutator's logged holders join the
 * remembered set (no pause can run meanwhile). */
static void gen_mutator_fini(gc_mutator *m)
{
    gen_heap *g = gen_of(m->heap);
    gen_mutator *gm = m->collector_data;
    gc_bump_retire(&g->nursery, m);
    gen_drain_one(g, gm);
    gc_objstack_free(&gm->logged);
    gc_sys_free(gm, sizeof *gm);
    m->collector_data = NULL;
}

static size_t gen_heap_used(gc_heap *h)
{
    gen_heap *g = gen_of(h);
    /* After a major that could not empty the nursery (the heap is exhausted),
     * count only its live objects: the rest is garbage it could not free. */
    return g->old_bytes + gc_los_bytes(&g->old.los) + (g->stuck ? g->stuck_live : nursery_used(h, g));
}

static bool gen_contains(gc_heap *h, const void *p)
{
    gen_heap *g = gen_of(h);
    return in_nursery(g, p) || gc_nms_contains(&g->old, p);
}

static bool gen_is_object(gc_heap *h, const gc_object *o)
{
    gen_heap *g = gen_of(h);
    if (in_nursery(g, o))
        return gc_bump_is_object(&g->nursery, o);
    return gc_nms_is_object(&g->old, o);
}

/* ---- verification: the remembered-set invariant (GEN-1) and the spaces ---------------- */

typedef struct gen_check {
    gc_heap *h;
    gen_heap *g;
    const gc_object *holder;
} gen_check;

static void check_old_slot(gc_value *slot, void *arg)
{
    gen_check *c = arg;
    if (in_nursery(c->g, gc_ref(*slot)) && !(c->holder->header & GC_HDR_LOGGED))
        gc_verify_fail(c->h, "old object %p points into the nursery (%p) but is not in the remembered set",
                       (void *)c->holder, (void *)gc_ref(*slot));
}

static void check_old_object(gc_object *o, void *arg)
{
    gen_check *c = arg;
    c->holder = o;
    gc_trace_object(o, check_old_slot, c);
}

static void gen_verify(gc_heap *h)
{
    gen_heap *g = gen_of(h);
    gen_check c = {.h = h, .g = g};
    gc_nms_each(&g->old, check_old_object, &c);
    gc_nms_check(&g->old, h);
    gc_bump_check(&g->nursery, h);
}

static void gen_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    gen_heap *g = gen_of(h);
    emit(ctx, "nursery_bytes", g->nursery_max);
    emit(ctx, "nursery_adaptive", g->adaptive);
    emit(ctx, "promoted_bytes", g->promoted_bytes);
    emit(ctx, "promoted_objects", g->promoted_objects);
    emit(ctx, "remembered_objects", g->remembered_total);
    emit(ctx, "prefaulted_bytes", g->prefaulted_bytes);
    emit(ctx, "nursery_smallest_bytes", g->nursery_smallest);
    emit(ctx, "nursery_final_bytes", g->nursery_size);
    emit(ctx, "nursery_grown", g->nursery_grown);
    emit(ctx, "nursery_shrunk", g->nursery_shrunk);
}

const gc_collector_ops gc_generational_ops = {
    .name = "generational",
    .description = "Appel-style generational: copying nursery, mark-sweep mature space, remembered set",
    .alloc_mode = GC_ALLOC_BUMP,
    .alloc_zeroed = true,
    .barrier = GC_BARRIER_GENERATIONAL,
    .moving = true,
    .reclaims_cycles = true,
    .phases = gen_phases,
    .options = gen_options,
    .init = gen_init,
    .destroy = gen_destroy,
    .mutator_init = gen_mutator_init,
    .mutator_fini = gen_mutator_fini,
    .alloc_slow = gen_alloc_slow,
    .write_barrier = gen_write_barrier,
    .collect = gen_collect,
    .finish = gc_default_finish,
    .heap_used = gen_heap_used,
    .footprint = gen_footprint,
    .contains = gen_contains,
    .is_object = gen_is_object,
    .verify = gen_verify,
    .stats = gen_stats,
};
