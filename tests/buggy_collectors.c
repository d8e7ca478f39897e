/* tests/buggy_collectors.c — see tests/buggy_collectors.h. Included by the
 * one test that uses it (tests are built one source file each).
 *
 * The copying collector below is collectors/copying.c (Cheney: flip,
 * forward the roots, scan to-space, sweep large objects) condensed, with a
 * bug switch read at each place a bug is planted; each descriptor differs
 * only in its name and init (which sets the switch). Without a bug it is a
 * correct collector: tests/test_torture.c runs it with BUG_NONE too, so a
 * mismatch is known to come from the bug, not from the condensing.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "buggy_collectors.h"
#include "collectors/space.h"
#include "core/objstack.h"
#include "core/sysalloc.h"

typedef enum bc_bug {
    BUG_NONE = 0,
    BUG_UNTRACED_FIELD,
    BUG_SKIPPED_ROOT,
    BUG_LARGE_UNSCANNED,
    BUG_FORWARD_TWICE,
    BUG_SHORT_COPY, /* copies value arrays and strings but their last word */
    BUG_CRASH, /* the first explicit collection dies of SIGSEGV */
    BUG_HANG   /* the first explicit collection never returns */
} bc_bug;

enum { BC_PHASE_ROOTS, BC_PHASE_EVACUATE, BC_PHASE_LOS_SWEEP };
static const char *const bc_phases[] = {"roots", "evacuate", "los-sweep", NULL};

typedef struct bc_heap {
    gc_bump_space space[2];
    gc_bump_space *from, *to;
    gc_los los;
    gc_objstack los_work;
    gc_usage usage;
    bc_bug bug;
} bc_heap;

static bc_heap *bc_of(gc_heap *h) { return gc_heap_collector(h); }

static void bc_forward(gc_value *slot, void *arg)
{
    bc_heap *bc = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_bump_contains(bc->from, o)) {
        if (gc_is_forwarded(o)) {
            gc_object *to = gc_forwarding_address(o);
            if (bc->bug == BUG_FORWARD_TWICE) {
                /* BUG: copies the copy again instead of using it. */
                size_t size = gc_object_size(to);
                gc_object *again = gc_bump_take(bc->to, size);
                again->header = to->header;
                gc_copy_body(again, to, size);
                to = again;
            }
            *slot = gc_value_of(to);
            return;
        }
        uint64_t hdr = o->header;
        size_t size = gc_header_size(hdr);
        gc_object *copy = gc_bump_take(bc->to, size);
        copy->header = hdr;
        gc_kind kind = gc_type_get(gc_header_type(hdr))->kind;
        if (bc->bug == BUG_SHORT_COPY && size > 16 && (kind == GC_KIND_VALUE_ARRAY || kind == GC_KIND_BYTES)) {
            gc_copy_body(copy, o, size - 8); /* BUG: the last word is left as it was in to-space */
            gc_slots(copy)[size / 8 - 2] = 0x5a5a5a5a5a5a5a5b; /* odd: an immediate, never traced */
        } else {
            gc_copy_body(copy, o, size);
        }
        gc_set_forwarding_address(o, copy);
        *slot = gc_value_of(copy);
    } else if (!gc_bump_contains(bc->to, o) && gc_los_mark(&bc->los, o)) {
        gc_objstack_push(&bc->los_work, o);
    }
}

/* gc_trace_object, except that with BUG_UNTRACED_FIELD the last reference
 * field of a record is skipped. */
static void bc_trace(bc_heap *bc, gc_object *o)
{
    const gc_type *t = gc_object_type(o);
    if (bc->bug != BUG_UNTRACED_FIELD || t->kind != GC_KIND_RECORD) {
        gc_trace_object(o, bc_forward, bc);
        return;
    }
    int last = -1;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (gc_type_field_is_ref(t, i))
            last = (int)i;
    for (uint32_t i = 0; i < t->nfields; i++)
        if (gc_type_field_is_ref(t, i) && (int)i != last && gc_is_ref(gc_slots(o)[i]))
            bc_forward(&gc_slots(o)[i], bc);
}

static void bc_forward_roots(gc_heap *h, bc_heap *bc)
{
    if (bc->bug != BUG_SKIPPED_ROOT) {
        gc_visit_roots(h, bc_forward, bc);
        return;
    }
    /* BUG: the mutators' root stacks only; no global roots, no scanners. */
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        for (size_t i = 0; i < m->nroots; i++)
            if (gc_is_ref(*m->roots[i]))
                bc_forward(m->roots[i], bc);
}

static void bc_scan(bc_heap *bc)
{
    char *s = bc->to->start;
    for (;;) {
        while (s < bc->to->frontier) {
            gc_object *o = (gc_object *)s;
            s += gc_object_size(o);
            bc_trace(bc, o);
        }
        if (gc_objstack_empty(&bc->los_work))
            break;
        gc_object *large = gc_objstack_pop(&bc->los_work);
        if (bc->bug != BUG_LARGE_UNSCANNED) /* BUG: marked, kept, never traced */
            bc_trace(bc, large);
    }
}

static void bc_full(gc_mutator *m, gc_reason reason)
{
    gc_heap *h = m->heap;
    bc_heap *bc = bc_of(h);
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    gc_bump_prepare(bc->to, h);
    gc_bump_space *t = bc->from;
    bc->from = bc->to;
    bc->to = t;
    gc_los_prepare(&bc->los);
    gc_phase_start(h, BC_PHASE_ROOTS);
    bc_forward_roots(h, bc);
    gc_phase_start(h, BC_PHASE_EVACUATE);
    bc_scan(bc);
    gc_phase_start(h, BC_PHASE_LOS_SWEEP);
    size_t los_live = gc_los_finish(&bc->los);
    gc_bump_finish(bc->from);
    gc_usage_collected(&bc->usage, h, gc_bump_footprint(bc->to) + los_live);
    gc_pause_end(h);
}

static void bc_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    bc_heap *bc = bc_of(m->heap);
    if (bc->bug == BUG_CRASH)
        raise(SIGSEGV);
    if (bc->bug == BUG_HANG)
        for (;;)
            pause();
    bc_full(m, reason);
}

static size_t bc_footprint(gc_heap *h)
{
    bc_heap *bc = bc_of(h);
    return 2 * gc_bump_footprint(bc->to) + gc_los_footprint(&bc->los);
}

static void *bc_alloc_small(gc_mutator *m, size_t bytes)
{
    bc_heap *bc = bc_of(m->heap);
    size_t cap = gc_space_room(m->heap, gc_los_footprint(&bc->los)) / 2;
    cap = cap < bc->to->reserved ? cap & ~(size_t)7 : bc->to->reserved;
    /* A forward-twice collector may copy more than it evacuated: keep half
     * of the semispace in reserve for it, so it fails by a mismatch, not by
     * overrunning to-space. */
    if (bc->bug == BUG_FORWARD_TWICE)
        cap = (cap / 2) & ~(size_t)7;
    return gc_bump_refill(bc->to, m, bytes, cap);
}

static bool bc_collect_for_alloc(gc_mutator *m, bool large)
{
    (void)large;
    bc_full(m, GC_REASON_HEAP_LIMIT);
    return true;
}

static void *bc_alloc_slow(gc_mutator *m, size_t bytes)
{
    return gc_space_alloc_slow(m, bytes, &bc_of(m->heap)->los, bc_footprint, bc_alloc_small, bc_collect_for_alloc);
}

static int bc_init_with(gc_heap *h, bc_bug bug)
{
    bc_heap *bc = gc_sys_alloc_zeroed(sizeof *bc);
    size_t half = gc_heap_limit(h) / 2;
    if (gc_bump_init(&bc->space[0], half) != 0 || gc_bump_init(&bc->space[1], half) != 0) {
        gc_heap_set_error(h, "cannot reserve two semispaces of %zu bytes", half);
        gc_bump_destroy(&bc->space[0]);
        gc_sys_free(bc, sizeof *bc);
        return -1;
    }
    bc->to = &bc->space[0];
    bc->from = &bc->space[1];
    bc->bug = bug;
    gc_los_init(&bc->los);
    gc_heap_set_collector(h, bc);
    return 0;
}

static void bc_destroy(gc_heap *h)
{
    bc_heap *bc = bc_of(h);
    gc_bump_destroy(&bc->space[0]);
    gc_bump_destroy(&bc->space[1]);
    gc_los_destroy(&bc->los);
    gc_objstack_free(&bc->los_work);
    gc_sys_free(bc, sizeof *bc);
}

static void bc_mutator_fini(gc_mutator *m) { gc_bump_retire(bc_of(m->heap)->to, m); }
static size_t bc_heap_used(gc_heap *h) { return gc_usage_bytes(&bc_of(h)->usage, h); }
static bool bc_contains(gc_heap *h, const void *p)
{
    bc_heap *bc = bc_of(h);
    return gc_bump_contains(bc->to, p) || gc_los_contains(&bc->los, p);
}
static bool bc_is_object(gc_heap *h, const gc_object *o)
{
    bc_heap *bc = bc_of(h);
    return gc_bump_contains(bc->to, o) ? gc_bump_is_object(bc->to, o) : gc_los_is_object(&bc->los, o);
}

static int bc_init_none(gc_heap *h) { return bc_init_with(h, BUG_NONE); }
static int bc_init_untraced(gc_heap *h) { return bc_init_with(h, BUG_UNTRACED_FIELD); }
static int bc_init_skipped_root(gc_heap *h) { return bc_init_with(h, BUG_SKIPPED_ROOT); }
static int bc_init_large_unscanned(gc_heap *h) { return bc_init_with(h, BUG_LARGE_UNSCANNED); }
static int bc_init_forward_twice(gc_heap *h) { return bc_init_with(h, BUG_FORWARD_TWICE); }
static int bc_init_short_copy(gc_heap *h) { return bc_init_with(h, BUG_SHORT_COPY); }
static int bc_init_crash(gc_heap *h) { return bc_init_with(h, BUG_CRASH); }
static int bc_init_hang(gc_heap *h) { return bc_init_with(h, BUG_HANG); }

#define BC_OPS(var, nm, init_fn)                                                                       \
    const gc_collector_ops var = {                                                                     \
        .name = nm,                                                                                    \
        .description = "tests only: a condensed copying collector with a planted bug",                 \
        .alloc_mode = GC_ALLOC_BUMP,                                                                   \
        .alloc_zeroed = true,                                                                          \
        .barrier = GC_BARRIER_NONE,                                                                    \
        .moving = true,                                                                                \
        .reclaims_cycles = true,                                                                       \
        .phases = bc_phases,                                                                           \
        .options = gc_no_options,                                                                      \
        .init = init_fn,                                                                               \
        .destroy = bc_destroy,                                                                         \
        .mutator_init = gc_default_mutator_init,                                                       \
        .mutator_fini = bc_mutator_fini,                                                               \
        .alloc_slow = bc_alloc_slow,                                                                   \
        .write_barrier = gc_default_write_barrier,                                                     \
        .collect = bc_collect,                                                                         \
        .finish = gc_default_finish,                                                                   \
        .heap_used = bc_heap_used,                                                                     \
        .footprint = bc_footprint,                                                                     \
        .contains = bc_contains,                                                                       \
        .is_object = bc_is_object,                                                                     \
        .verify = gc_default_verify,                                                                   \
        .stats = gc_default_stats,                                                                     \
    }

/* The same collector without a bug (the control). */
BC_OPS(buggy_control_ops, "buggy-control", bc_init_none);
BC_OPS(buggy_untraced_field_ops, "buggy-untraced-field", bc_init_untraced);
BC_OPS(buggy_skipped_root_ops, "buggy-skipped-root", bc_init_skipped_root);
BC_OPS(buggy_large_unscanned_ops, "buggy-large-unscanned", bc_init_large_unscanned);
BC_OPS(buggy_forward_twice_ops, "buggy-forward-twice", bc_init_forward_twice);
BC_OPS(buggy_short_copy_ops, "buggy-short-copy", bc_init_short_copy);
BC_OPS(buggy_crash_ops, "buggy-crash", bc_init_crash);
BC_OPS(buggy_hang_ops, "buggy-hang", bc_init_hang);

extern const gc_collector_ops gc_generational_ops;

const gc_collector_ops *buggy_no_barrier_ops(void)
{
    static gc_collector_ops ops;
    ops = gc_generational_ops;
    ops.name = "buggy-no-barrier";
    ops.description = "tests only: generational with a write barrier that does nothing";
    ops.write_barrier = gc_default_write_barrier; /* BUG: old-to-young stores are not remembered */
    return &ops;
}
