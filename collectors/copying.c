/* collectors/copying.c — Cheney's semispace copying collector (Cheney 1970;
 * Fenichel & Yochelson 1969): two bump spaces (collectors/bump_space.h) and
 * the non-moving large-object space (collectors/los.h), composed with this
 * algorithm. See docs/collectors/copying.md.
 *
 *   collect = flip; forward roots; scan (Cheney); sweep large objects
 *
 * Invariants (CP-n; the spaces' own are BUMP-n and LOS-n in their headers):
 *  CP-1 Between collections every small object is in to-space (`to`),
 *       which parses (BUMP-1); from-space holds nothing, and nothing points
 *       into it (gc_bump_check_evacuated under --verify).
 *  CP-2 During a collection, an object of from-space is either unvisited (a
 *       valid header) or forwarded (core/object.h's forwarding-word
 *       protocol: its header word is the address of its copy). Every
 *       from-space object is copied at most once, so identity (sharing) is
 *       preserved.
 *  CP-3 Cheney order: [to.start, scan) holds copies whose slots all point
 *       to to-space or to large objects; [scan, to.frontier) holds copies
 *       not yet scanned. The scan is a loop over to-space, not recursion,
 *       so heap shape never grows the C stack. Large objects are marked
 *       instead of copied and traced from an explicit stack.
 *  CP-4 Budget: 2 * (bytes used in the current semispace) + large-object
 *       footprint <= heap limit, so to-space can always hold every survivor
 *       of from-space: copying never overflows (asserted after each
 *       collection: to-space ends no fuller than from-space was).
 */
#include <string.h>

#include "core/collector.h"
#include "core/objstack.h"
#include "core/prefetch.h"
#include "core/sysalloc.h"
#include "space.h"

enum { CP_PHASE_ROOTS, CP_PHASE_EVACUATE, CP_PHASE_LOS_SWEEP };
static const char *const cp_phases[] = {"roots", "evacuate", "los-sweep", NULL};

typedef struct cp_heap {
    gc_bump_space space[2];
    gc_bump_space *from, *to;
    gc_los los;
    gc_objstack los_work;  /* marked large objects whose slots are not yet scanned */
    gc_usage usage;        /* survivors of the last collection (copied + large) */
    size_t survived;       /* bytes copied by the last collection */
    uint64_t collections;
    uint64_t prefaulted_bytes;
} cp_heap;

static cp_heap *cp_of(gc_heap *h) { return gc_heap_collector(h); }

/* The semispace capacity the budget (CP-4) allows right now. */
static size_t semispace_cap(gc_heap *h, const cp_heap *cp)
{
    size_t cap = gc_space_room(h, gc_los_footprint(&cp->los)) / 2;
    return cap < cp->to->reserved ? cap & ~(size_t)7 : cp->to->reserved;
}

/* ---- evacuation ------------------------------------------------------------------ */

/* Forwards the referent of *slot: copies it to to-space on first visit,
 * leaves the forwarding address behind, and rewrites the slot (CP-2). */
static void forward(gc_value *slot, void *arg)
{
    cp_heap *cp = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(cp->from, o)) {
        if (gc_is_forwarded(o)) { /* already copied */
            *slot = gc_value_of(gc_forwarding_address(o));
            return;
        }
        uint64_t hdr = o->header;
        size_t size = gc_header_size(hdr);
        gc_object *copy = gc_bump_take(cp->to, size);
        copy->header = hdr;
        gc_copy_body(copy, o, size);
        gc_set_forwarding_address(o, copy);
        *slot = gc_value_of(copy);
    } else if (!gc_bump_contains(cp->to, o) && gc_los_mark(&cp->los, o)) {
        /* A large object: never moves; scan its slots later. (A slot already
         * pointing into to-space was reached twice, e.g. a duplicated root.) */
        gc_objstack_push(&cp->los_work, o);
    }
}

static void forward_roots(gc_heap *h, cp_heap *cp) { gc_visit_roots(h, forward, cp); }

/* The scan's slot visitor: a slot whose referent is in from-space waits in
 * a prefetching FIFO (core/prefetch.h) with the referent's header
 * prefetched, and the slot that falls out of it is forwarded; without it
 * the scan stalls on nearly every from-space header it reads. Slots are in
 * to-space copies or large objects, which do not move while they wait, and
 * forward handles a referent copied in the meantime. */
typedef struct cp_scan {
    cp_heap *cp;
    gc_prefetch_fifo pf;
} cp_scan;

GC_INLINE void forward_later(gc_value *slot, void *arg)
{
    cp_scan *sc = arg;
    gc_object *o = gc_ref(*slot);
    if (!gc_bump_contains(sc->cp->from, o)) {
        forward(slot, sc->cp);
        return;
    }
    gc_value *ready = gc_prefetch_push(&sc->pf, slot, o);
    if (ready)
        forward(ready, sc->cp);
}

/* Cheney's scan (CP-3): trace copies in to-space in order, and marked large
 * objects, until both are exhausted (and no slot waits in the FIFO). */
static void scan(cp_heap *cp)
{
    cp_scan sc = {.cp = cp};
    char *s = cp->to->start;
    for (;;) {
        while (s < cp->to->frontier) {
            gc_object *o = (gc_object *)s;
            GC_ASSERT(gc_header_valid(o->header));
            s += gc_trace_object(o, forward_later, &sc); /* o's size, read before its slots */
        }
        gc_value *slot = gc_prefetch_pop(&sc.pf);
        if (slot) {
            forward(slot, cp);
            continue;
        }
        if (gc_objstack_empty(&cp->los_work))
            break;
        gc_trace_object(gc_objstack_pop(&cp->los_work), forward_later, &sc);
    }
}

static void cp_full(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    cp_heap *cp = cp_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    gc_bump_prepare(cp->to, h); /* mutators' chunks are closed before the flip */
    gc_bump_space *t = cp->from; /* flip */
    cp->from = cp->to;
    cp->to = t;
    GC_ASSERT(gc_bump_footprint(cp->to) == 0);
    gc_los_prepare(&cp->los);
    gc_phase_start(h, CP_PHASE_ROOTS);
    forward_roots(h, cp);
    gc_phase_start(h, CP_PHASE_EVACUATE);
    scan(cp);
    gc_phase_start(h, CP_PHASE_LOS_SWEEP);
    size_t los_live = gc_los_finish(&cp->los);
    GC_ASSERT(gc_bump_footprint(cp->to) <= gc_bump_footprint(cp->from)); /* CP-4 */
    gc_bump_finish(cp->from);
    cp->survived = gc_bump_footprint(cp->to);
    cp->collections++;
    gc_usage_collected(&cp->usage, h, gc_bump_footprint(cp->to) + los_live);
    gc_pause_end(h);
}

/* One kind of collection: every kind asks for a full one. */
static void cp_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    cp_full(m, reason);
}

/* ---- allocation ---------------------------------------------------------------------- */

static size_t cp_footprint(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    return 2 * gc_bump_footprint(cp->to) + gc_los_footprint(&cp->los);
}

#define CP_PREFAULT_MIN ((size_t)256 << 10)

/* In mutator time, before the semispace fills: fault in the start of the
 * other semispace, where the next collection will copy the survivors, so
 * that the first collections do not take first-touch page faults (about
 * 1.3 us per 4 KiB page on a VM) inside the pause. How much: what the last
 * collection copied plus 256 KiB, and before the first collection (nothing
 * known yet) half of what this semispace has handed out, so a heap whose
 * survivors are up to half its allocation is covered. Those pages would
 * be touched anyway, by the allocation that follows the collection.
 * Between collections from-space holds nothing (CP-1), so faulting it in
 * loses no data. It goes through from-space's populated mark (BUMP-4), so
 * no page is faulted in twice and the bump space's own populating (a step
 * ahead of its frontier) finds these pages done. */
static void prefault_to_space(cp_heap *cp)
{
    size_t want = cp->survived + CP_PREFAULT_MIN;
    if (cp->collections == 0 && gc_bump_footprint(cp->to) / 2 > want)
        want = gc_bump_footprint(cp->to) / 2;
    if (want > cp->from->reserved)
        want = cp->from->reserved;
    char *before = cp->from->populated; /* BUMP-4: [start, populated) is in */
    if (cp->from->start + want <= before)
        return;
    gc_bump_populate(cp->from, cp->from->start + want);
    cp->prefaulted_bytes += (size_t)(cp->from->populated - before);
}

/* A small object: a new chunk of to-space within the semispace budget (the
 * inline fast path found the current one full), prefaulting the other
 * semispace first. */
static void *cp_alloc_small(gc_mutator *m, size_t bytes)
{
    cp_heap *cp = cp_of(m->heap);
    prefault_to_space(cp);
    return gc_bump_refill(cp->to, m, bytes, semispace_cap(m->heap, cp));
}

static bool cp_collect_for_alloc(gc_mutator *m, bool large)
{
    (void)large;
    cp_full(m, GC_REASON_HEAP_LIMIT);
    return true;
}

static void *cp_alloc_slow(gc_mutator *m, size_t bytes)
{
    return gc_space_alloc_slow(m, bytes, &cp_of(m->heap)->los, cp_footprint, cp_alloc_small,
                               cp_collect_for_alloc);
}

/* ---- lifecycle and queries --------------------------------------------------------------- */

static int cp_init(gc_heap *h)
{
    cp_heap *cp = gc_sys_alloc_zeroed(sizeof *cp);
    size_t half = gc_heap_limit(h) / 2;
    if (gc_bump_init(&cp->space[0], half) != 0 || gc_bump_init(&cp->space[1], half) != 0) {
        gc_heap_set_error(h, "cannot reserve two semispaces of %zu bytes", half);
        gc_bump_destroy(&cp->space[0]);
        gc_sys_free(cp, sizeof *cp);
        return -1;
    }
    cp->to = &cp->space[0];
    cp->from = &cp->space[1];
    gc_los_init(&cp->los);
    gc_heap_set_collector(h, cp);
    return 0;
}

static void cp_destroy(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    gc_bump_destroy(&cp->space[0]);
    gc_bump_destroy(&cp->space[1]);
    gc_los_destroy(&cp->los);
    gc_objstack_free(&cp->los_work);
    gc_sys_free(cp, sizeof *cp);
}

static void cp_mutator_fini(gc_mutator *m) { gc_bump_retire(cp_of(m->heap)->to, m); }

static size_t cp_heap_used(gc_heap *h) { return gc_usage_bytes(&cp_of(h)->usage, h); }

static bool cp_contains(gc_heap *h, const void *p)
{
    cp_heap *cp = cp_of(h);
    return gc_bump_contains(cp->to, p) || gc_los_contains(&cp->los, p);
}

static bool cp_is_object(gc_heap *h, const gc_object *o)
{
    cp_heap *cp = cp_of(h);
    return gc_bump_contains(cp->to, o) ? gc_bump_is_object(cp->to, o) : gc_los_is_object(&cp->los, o);
}

/* ---- verification: CP-1 (the moving-space verifier of bump_space.h, with
 * the large objects' slots) and the LOS's own invariants. ------------------------- */

static void cp_each_large(gc_heap *h, gc_space_object_fn fn, void *ctx) { gc_los_each(&cp_of(h)->los, fn, ctx); }

static void cp_verify(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    gc_bump_check_evacuated(cp->to, cp->from, h, cp_each_large);
    gc_los_check(&cp->los, h);
}

static void cp_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    emit(ctx, "prefaulted_bytes", cp_of(h)->prefaulted_bytes);
}

const gc_collector_ops gc_copying_ops = {
    .name = "copying",
    .description = "Cheney semispace copying: bump allocation, breadth-first evacuation, large-object space",
    .alloc_mode = GC_ALLOC_BUMP,
    .alloc_zeroed = true,
    .barrier = GC_BARRIER_NONE,
    .moving = true,
    .reclaims_cycles = true,
    .phases = cp_phases,
    .options = gc_no_options,
    .init = cp_init,
    .destroy = cp_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = cp_mutator_fini,
    .alloc_slow = cp_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = cp_collect,
    .finish = gc_default_finish,
    .heap_used = cp_heap_used,
    .footprint = cp_footprint,
    .contains = cp_contains,
    .is_object = cp_is_object,
    .verify = cp_verify,
    .stats = cp_stats,
};
