/* collectors/copying.c — Cheney's semispace copying collector (Cheney 1970;
 * Fenichel & Yochelson 1969), with a non-moving large-object space. See
 * docs/collectors/copying.md.
 *
 *   collect = flip; forward roots; scan (Cheney); sweep large objects
 *
 * Invariants:
 *  - Between collections every small object is in to-space (`to`), which
 *    is parsable (bump_space.h); from-space holds nothing live.
 *  - During a collection, an object of from-space is either unvisited (a
 *    valid header) or forwarded: its header word is replaced by the address
 *    of its copy (bit 0 clear). Every from-space object is copied at most
 *    once, so identity (sharing) is preserved.
 *  - Cheney order: [to.start, scan) holds copies whose slots all point to
 *    to-space or to large objects; [scan, to.frontier) holds copies not yet
 *    scanned. The scan is a loop over to-space, not recursion, so heap shape
 *    never grows the C stack. Large objects are marked instead of copied and
 *    traced from an explicit stack.
 *  - Budget: 2 * (bytes used in the current semispace) + large-object
 *    footprint <= heap limit, so to-space can always hold every survivor of
 *    from-space: copying never overflows.
 */
#include <stdio.h>
#include <string.h>

#include "bump_space.h"
#include "core/collector.h"
#include "core/objstack.h"
#include "core/sysalloc.h"
#include "los.h"

typedef struct cp_heap {
    gc_bump_space space[2];
    gc_bump_space *from, *to;
    gc_los los;
    gc_objstack los_work;  /* marked large objects whose slots are not yet scanned */
    uint64_t live_bytes;   /* survivors of the last collection (copied + large) */
    uint64_t alloc_at_gc;  /* gc_heap_allocated_bytes() at the last collection */
} cp_heap;

static cp_heap *cp_of(gc_heap *h) { return h->collector; }

/* The semispace capacity the budget allows right now. */
static size_t semispace_cap(gc_heap *h, const cp_heap *cp)
{
    size_t los = gc_los_footprint(&cp->los);
    size_t cap = los < h->limit ? (h->limit - los) / 2 : 0;
    return cap < cp->to->reserved ? cap & ~(size_t)7 : cp->to->reserved;
}

/* ---- evacuation ------------------------------------------------------------------ */

/* Forwards the referent of *slot: copies it to to-space on first visit,
 * leaves the forwarding address behind, and rewrites the slot. */
static void forward(gc_value *slot, void *arg)
{
    cp_heap *cp = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(cp->from, o)) {
        uint64_t hdr = o->header;
        if (!gc_header_valid(hdr)) { /* already copied */
            *slot = (gc_value)hdr;
            return;
        }
        size_t size = gc_size_for(gc_type_table[gc_header_type(hdr)]->kind, gc_header_length(hdr));
        gc_object *copy = gc_bump_take(cp->to, size);
        copy->header = hdr;
        gc_copy_body(copy, o, size);
        o->header = (uint64_t)(uintptr_t)copy;
        *slot = gc_value_of(copy);
    } else if (!gc_bump_contains(cp->to, o) && gc_los_mark(o)) {
        /* A large object: never moves; scan its slots later. (A slot already
         * pointing into to-space was reached twice, e.g. a duplicated root.) */
        gc_objstack_push(&cp->los_work, o);
    }
}

static void forward_roots(gc_heap *h, cp_heap *cp) { gc_visit_roots(h, forward, cp); }

/* Cheney's scan: trace copies in to-space in order, and marked large objects,
 * until both are exhausted. */
static void scan(cp_heap *cp)
{
    char *s = cp->to->start;
    for (;;) {
        while (s < cp->to->frontier) {
            gc_object *o = (gc_object *)s;
            s += gc_object_size(o);
            gc_trace_object(o, forward, cp);
        }
        if (gc_objstack_empty(&cp->los_work))
            break;
        gc_trace_object(gc_objstack_pop(&cp->los_work), forward, cp);
    }
}

static void cp_collect(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    cp_heap *cp = cp_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    for (gc_mutator *mu = h->mutators; mu; mu = mu->next)
        mu->bump_ptr = mu->bump_limit = 0; /* from-space chunks are dropped whole */
    gc_bump_space *t = cp->from; /* flip */
    cp->from = cp->to;
    cp->to = t;
    gc_bump_reset(cp->to);
    gc_phase_start(h, GC_PHASE_ROOTS);
    forward_roots(h, cp);
    gc_phase_start(h, GC_PHASE_COPY);
    scan(cp);
    gc_phase_start(h, GC_PHASE_SWEEP);
    size_t los_live = gc_los_sweep(&cp->los);
#ifndef NDEBUG
    gc_bump_poison(cp->from); /* a stale reference now reads garbage, not a valid object */
#endif
    gc_bump_reset(cp->from);
    cp->live_bytes = gc_bump_used(cp->to) + los_live;
    cp->alloc_at_gc = gc_heap_allocated_bytes(h);
    gc_pause_end(h);
}

/* ---- allocation ---------------------------------------------------------------------- */

static void *cp_alloc_slow(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    cp_heap *cp = cp_of(h);
    for (int attempt = 0;; attempt++) {
        if (bytes > GC_SMALL_MAX) {
            if (2 * gc_bump_used(cp->to) + gc_los_footprint(&cp->los) + bytes + GC_LOS_OVERHEAD <= h->limit)
                return gc_los_alloc(&cp->los, bytes);
        } else {
            void *p = gc_alloc_fast(m, GC_ALLOC_BUMP, bytes); /* stress mode comes here first */
            if (!p)
                p = gc_bump_refill(cp->to, m, bytes, semispace_cap(h, cp));
            if (p)
                return p;
        }
        if (attempt > 0)
            return NULL;
        cp_collect(m, GC_REASON_HEAP_LIMIT);
    }
}

/* ---- lifecycle and queries --------------------------------------------------------------- */

static int cp_init(gc_heap *h)
{
    cp_heap *cp = gc_sys_alloc_zeroed(sizeof *cp);
    size_t half = h->limit / 2;
    if (gc_bump_init(&cp->space[0], half) != 0 || gc_bump_init(&cp->space[1], half) != 0) {
        snprintf(h->error, sizeof h->error, "cannot reserve two semispaces of %zu bytes", half);
        gc_bump_destroy(&cp->space[0]);
        gc_sys_free(cp, sizeof *cp);
        return -1;
    }
    cp->to = &cp->space[0];
    cp->from = &cp->space[1];
    gc_los_init(&cp->los);
    h->collector = cp;
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

static void cp_mutator_fini(gc_mutator *m)
{
    gc_bump_retire(cp_of(m->heap)->to, m);
}

static size_t cp_heap_used(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    return cp->live_bytes + (gc_heap_allocated_bytes(h) - cp->alloc_at_gc);
}

static size_t cp_footprint(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    return 2 * gc_bump_used(cp->to) + gc_los_footprint(&cp->los);
}

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

/* ---- verification: to-space parses, and no slot of any object in it (or of a
 * large object) points into from-space or between objects. ---------------------- */

typedef struct cp_verify {
    gc_heap *h;
    cp_heap *cp;
    gc_ptrset starts; /* object starts in to-space */
    const gc_object *holder;
    size_t errors;
} cp_verify;

static void collect_start(gc_object *o, void *arg) { gc_ptrset_add(&((cp_verify *)arg)->starts, o); }

static void check_slot(gc_value *slot, void *arg)
{
    cp_verify *v = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_in_reservation(v->cp->from, o)) {
        gc_verify_fail(v->h, "object %p holds %p, a reference into from-space", (void *)v->holder, (void *)o);
        v->errors++;
    } else if (gc_bump_in_reservation(v->cp->to, o) && !gc_ptrset_contains(&v->starts, o)) {
        gc_verify_fail(v->h, "object %p holds %p, which is not an object start in to-space",
                       (void *)v->holder, (void *)o);
        v->errors++;
    }
}

static void check_object(gc_object *o, void *arg)
{
    cp_verify *v = arg;
    v->holder = o;
    gc_trace_object(o, check_slot, v);
}

static void check_root(gc_value *slot, void *arg)
{
    cp_verify *v = arg;
    v->holder = NULL;
    check_slot(slot, v);
}

static size_t cp_verify_heap(gc_heap *h)
{
    cp_heap *cp = cp_of(h);
    cp_verify v = {.h = h, .cp = cp};
    gc_ptrset_init(&v.starts);
    if (!gc_bump_walk(cp->to, h, collect_start, &v)) {
        gc_verify_fail(h, "to-space does not parse: a word that is neither object nor filler");
        v.errors++;
    } else {
        gc_bump_walk(cp->to, h, check_object, &v);
        for (gc_los_entry *e = cp->los.head.next; e != &cp->los.head; e = e->next) {
            check_object((gc_object *)(e + 1), &v);
            if (e->mark) {
                gc_verify_fail(h, "large object %p still marked outside a collection", (void *)(e + 1));
                v.errors++;
            }
        }
        gc_visit_roots(h, check_root, &v);
    }
    if (cp_footprint(h) > h->limit) {
        gc_verify_fail(h, "footprint %zu exceeds the limit %zu", cp_footprint(h), h->limit);
        v.errors++;
    }
    gc_ptrset_free(&v.starts);
    return v.errors;
}

const gc_collector_ops gc_copying_ops = {
    .name = "copying",
    .description = "Cheney semispace copying: bump allocation, breadth-first evacuation, large-object space",
    .alloc_mode = GC_ALLOC_BUMP,
    .alloc_zeroed = true,
    .barrier = GC_BARRIER_NONE,
    .moving = true,
    .reclaims_cycles = true,
    .init = cp_init,
    .destroy = cp_destroy,
    .mutator_init = gc_default_mutator_init,
    .mutator_fini = cp_mutator_fini,
    .alloc_slow = cp_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = cp_collect,
    .safepoint = gc_default_safepoint,
    .finish = gc_default_finish,
    .heap_used = cp_heap_used,
    .footprint = cp_footprint,
    .contains = cp_contains,
    .is_object = cp_is_object,
    .verify = cp_verify_heap,
    .stats = gc_default_stats,
};
