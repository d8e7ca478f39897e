/* tests/test_refcount.c — the reference-counting collector (collectors/refcount.c)
 * beyond the conformance suite: its phases and its option, the classic
 * cycle leak with cycles=off and its leak audit, gc_collect MINOR (a
 * reclamation) against MAJOR (with cycle collection), cycles kept alive by
 * external references, self-loops, exact counts after store sequences
 * (fixed and randomized against a recount), stores of immediates and nil,
 * a long list freed on a 256 KiB thread stack, rc-cascade pauses, and
 * sticky counts.
 *
 * Counts read through gc_rc_count() are deferred counts: references from
 * old heap objects plus one per root slot seen at the last reclamation
 * (every gc_collect, MINOR or MAJOR, is one). New objects are born dead:
 * the fields of an object allocated since the last reclamation are not
 * counted until it survives one, so most tests make their objects old
 * with a collection before they count. Randomized tests print their seed;
 * set GCBENCH_TEST_SEED to replay.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/collector.h"
#include "core/ptrset.h"
#include "collectors/registry.h"

/* Debug accessors defined in collectors/refcount.c. */
uint64_t gc_rc_count(const gc_object *obj);
extern const uint64_t gc_rc_sticky_count;

#define MIB ((size_t)1 << 20)

/* RcNode: A, B references, TAG raw word. 32 bytes. */
enum { A = 0, B = 1, TAG = 2 };

static uint32_t node_type(void)
{
    uint32_t t = gc_type_register("RcNode", "rri");
    cr_assert(t != GC_TYPE_INVALID);
    return t;
}
#define NODE_BYTES gc_size_for(GC_KIND_RECORD, 3)

typedef struct rc_t {
    gc_heap *h;
    gc_mutator *m;
} rc_t;

static rc_t open_rc(size_t limit, bool cycles_off)
{
    gc_config cfg = {.heap_limit = limit, .options = cycles_off ? "cycles=off" : NULL};
    char err[256] = "";
    rc_t r;
    r.h = gc_heap_create("refcount", &cfg, err, sizeof err);
    cr_assert_not_null(r.h, "gc_heap_create(refcount) failed: %s", err);
    r.m = gc_mutator_attach(r.h);
    cr_assert_not_null(r.m);
    return r;
}

static void close_rc(rc_t *r)
{
    gc_mutator_detach(r->m);
    gc_heap_destroy(r->h);
}

static uint64_t used(rc_t *r)
{
    gc_heap_stats st;
    gc_heap_get_stats(r->h, &st);
    return st.heap_used_bytes;
}

/* ops->stats figures by name. */
typedef struct rc_figures {
    uint64_t leaked_bytes, leaked_objects, audit_done, cycle_freed_objects, cycle_collections, reclamations;
    uint64_t arena_bytes, spare_cells;
    int seen;
} rc_figures;

static void take_figure(void *ctx, const char *name, uint64_t v)
{
    rc_figures *f = ctx;
    f->seen++;
    if (strcmp(name, "leaked_bytes") == 0)
        f->leaked_bytes = v;
    else if (strcmp(name, "rc_reclamations") == 0)
        f->reclamations = v;
    else if (strcmp(name, "leaked_objects") == 0)
        f->leaked_objects = v;
    else if (strcmp(name, "rc_leak_audit_done") == 0)
        f->audit_done = v;
    else if (strcmp(name, "rc_cycle_freed_objects") == 0)
        f->cycle_freed_objects = v;
    else if (strcmp(name, "rc_cycle_collections") == 0)
        f->cycle_collections = v;
    else if (strcmp(name, "rc_arena_bytes") == 0)
        f->arena_bytes = v;
    else if (strcmp(name, "rc_spare_cells") == 0)
        f->spare_cells = v;
}

static rc_figures figures(rc_t *r)
{
    rc_figures f = {0};
    gc_heap_collector_stats(r->h, take_figure, &f);
    cr_assert(f.seen > 0, "refcount emitted no statistics");
    return f;
}

static gc_object *new_node(rc_t *r, uint64_t tag)
{
    gc_object *o = gc_alloc_record(r->m, node_type());
    gc_set_word(o, TAG, tag);
    return o;
}

/* Some acyclic garbage and a live list around the pair, so the audit must
 * tell them apart: returns the live list's head in *live. */
static void surroundings(rc_t *r, gc_value *live)
{
    gc_value tmp = GC_NIL;
    size_t d = gc_roots_save(r->m);
    gc_root(r->m, &tmp);
    for (int i = 0; i < 100; i++) { /* a dropped acyclic chain */
        gc_object *n = new_node(r, 1000 + (uint64_t)i);
        gc_set_field(r->m, n, A, tmp);
        tmp = gc_value_of(n);
    }
    tmp = GC_NIL;
    for (int i = 0; i < 50; i++) { /* a live list */
        gc_object *n = new_node(r, 2000 + (uint64_t)i);
        gc_set_field(r->m, n, A, *live);
        *live = gc_value_of(n);
    }
    gc_roots_restore(r->m, d);
}

/* ---- the classic leak -------------------------------------------------------------- */

/* Two records pointing at each other, held by the root slots a and b.
 * Both are young: their fields are not counted yet. */
static void make_pair(rc_t *r, gc_value *a, gc_value *b)
{
    *a = gc_value_of(new_node(r, 1));
    *b = gc_value_of(new_node(r, 2));
    gc_set_field(r->m, gc_ref(*a), A, *b);
    gc_set_field(r->m, gc_ref(*b), A, *a);
    cr_assert_eq(gc_rc_count(gc_ref(*a)), 0, "a store into a young object was counted");
    cr_assert_eq(gc_rc_count(gc_ref(*b)), 0, "a store into a young object was counted");
}

/* make_pair, then a reclamation (MINOR, cycles on or off alike) with both
 * rooted: the pair is old, each counted once by the other and once by its
 * root slot. Also frees young garbage made before: returns what it freed. */
static uint64_t make_old_pair(rc_t *r, gc_value *a, gc_value *b)
{
    make_pair(r, a, b);
    uint64_t before = used(r);
    gc_collect(r->m, GC_COLLECT_MINOR);
    cr_assert_eq(gc_rc_count(gc_ref(*a)), 2, "count %" PRIu64 ", want 2 (b and a root slot)", gc_rc_count(gc_ref(*a)));
    cr_assert_eq(gc_rc_count(gc_ref(*b)), 2);
    return before - used(r);
}

Test(refcount, classic_leak_with_cycles_off)
{
    rc_t r = open_rc(4 * MIB, true);
    gc_value a = GC_NIL, b = GC_NIL, live = GC_NIL;
    gc_root(r.m, &a);
    gc_root(r.m, &b);
    gc_root(r.m, &live);
    surroundings(&r, &live);
    make_pair(&r, &a, &b);
    gc_collect(r.m, GC_COLLECT_MAJOR); /* the pair is rooted here: counted in the snapshot */
    a = b = GC_NIL;
    gc_collect(r.m, GC_COLLECT_MAJOR);
    gc_collect(r.m, GC_COLLECT_MAJOR);
    /* Live list + the leaked pair; the acyclic chain is gone. */
    cr_assert_eq(used(&r), 52 * NODE_BYTES, "heap_used %" PRIu64 ", want %zu", used(&r), 52 * NODE_BYTES);
    gc_heap_finish(r.h);
    rc_figures f = figures(&r);
    cr_assert_eq(f.audit_done, 1);
    cr_assert_eq(f.leaked_objects, 2, "leaked_objects %" PRIu64 ", want 2", f.leaked_objects);
    cr_assert_eq(f.leaked_bytes, 2 * NODE_BYTES, "leaked_bytes %" PRIu64 ", want %zu", f.leaked_bytes,
                 2 * NODE_BYTES);
    cr_assert_eq(f.cycle_freed_objects, 0);
    close_rc(&r);
}

/* rooted=0: never rooted at a reclamation, built and dropped between two
 * of them: young garbage, freed by the reclamation's trace of the young
 * objects without a cycle collection. rooted=1: old when dropped, freed by
 * the cycle collection. */
Test(refcount, classic_leak_freed_with_cycles_on)
{
    for (int rooted = 0; rooted < 2; rooted++) {
        rc_t r = open_rc(4 * MIB, false);
        gc_value a = GC_NIL, b = GC_NIL, live = GC_NIL;
        gc_root(r.m, &a);
        gc_root(r.m, &b);
        gc_root(r.m, &live);
        surroundings(&r, &live);
        make_pair(&r, &a, &b);
        if (rooted)
            gc_collect(r.m, GC_COLLECT_MAJOR);
        a = b = GC_NIL;
        gc_collect(r.m, GC_COLLECT_MAJOR);
        cr_assert_eq(used(&r), 50 * NODE_BYTES, "rooted=%d: heap_used %" PRIu64 ", want %zu", rooted,
                     used(&r), 50 * NODE_BYTES);
        cr_assert_eq(gc_verify_heap(r.h), 0);
        gc_heap_finish(r.h);
        rc_figures f = figures(&r);
        cr_assert_eq(f.audit_done, 1);
        cr_assert_eq(f.leaked_objects, 0, "rooted=%d: %" PRIu64 " leaked", rooted, f.leaked_objects);
        cr_assert_eq(f.leaked_bytes, 0);
        if (rooted)
            cr_assert_eq(f.cycle_freed_objects, 2, "%" PRIu64 " freed by cycle collection", f.cycle_freed_objects);
        else
            cr_assert_eq(f.cycle_freed_objects, 0, "young garbage went to the cycle collector");
        close_rc(&r);
    }
}

/* ---- phases, the option, MINOR and MAJOR ---------------------------------------------- */

static const char *const want_phases[] = {"roots", "young", "release", "MarkGray", "Scan", "CollectWhite"};
#define FIRST_CYCLE_PHASE 3 /* MarkGray */
#define NPHASES (sizeof want_phases / sizeof *want_phases)

Test(refcount, phases_and_the_cycles_option)
{
    rc_t r = open_rc(4 * MIB, false);
    cr_assert_eq(gc_heap_nphases(r.h), NPHASES, "%u phases", gc_heap_nphases(r.h));
    for (unsigned i = 0; i < NPHASES; i++)
        cr_assert_str_eq(gc_heap_phase_name(r.h, i), want_phases[i]);
    close_rc(&r);

    /* "refcount:cycles=off" is the same heap as cfg.options = "cycles=off". */
    gc_config cfg = {.heap_limit = 4 * MIB};
    char err[512] = "";
    r.h = gc_heap_create("refcount:cycles=off", &cfg, err, sizeof err);
    cr_assert_not_null(r.h, "refcount:cycles=off: %s", err);
    r.m = gc_mutator_attach(r.h);
    gc_value a = GC_NIL, b = GC_NIL;
    gc_root(r.m, &a);
    gc_root(r.m, &b);
    make_old_pair(&r, &a, &b);
    a = b = GC_NIL;
    gc_collect(r.m, GC_COLLECT_MAJOR);
    cr_assert_eq(used(&r), 2 * NODE_BYTES, "cycles=off collected a cycle");
    close_rc(&r);

    static const char *const bad[] = {"refcount:cycles=maybe", "refcount:nursery=1M", "refcount:cycles"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        cr_assert_null(gc_heap_create(bad[i], &cfg, err, sizeof err), "%s was accepted", bad[i]);
        cr_assert(strstr(err, "refcount") && strstr(err, "cycles"), "%s: message '%s'", bad[i], err);
    }
}

static unsigned phase_index(rc_t *r, const char *name)
{
    for (unsigned i = 0; i < gc_heap_nphases(r->h); i++)
        if (strcmp(gc_heap_phase_name(r->h, i), name) == 0)
            return i;
    cr_assert_fail("no phase %s", name);
    return 0;
}

/* The pauses recorded since there were `from`: asserts there is exactly one,
 * of `kind` for an explicit request, whose phases add up, and returns it. */
static gc_pause one_pause_since(rc_t *r, size_t from, gc_pause_kind kind, const char *what)
{
    gc_heap_stats st;
    gc_heap_get_stats(r->h, &st);
    cr_assert_eq(st.npauses, from + 1, "%s recorded %zu pauses, want 1", what, st.npauses - from);
    gc_pause p = st.pauses[from];
    cr_assert_eq(p.kind, kind, "%s: a pause of kind %s, want %s", what, gc_pause_kind_name(p.kind),
                 gc_pause_kind_name(kind));
    cr_assert_eq(p.reason, GC_REASON_EXPLICIT);
    uint64_t sum = p.other_ns;
    for (unsigned q = 0; q < gc_heap_nphases(r->h); q++)
        sum += p.phase_ns[q];
    cr_assert_eq(sum, p.duration_ns, "%s: phases do not add up to the duration", what);
    return p;
}

static size_t npauses(rc_t *r)
{
    gc_heap_stats st;
    gc_heap_get_stats(r->h, &st);
    return st.npauses;
}

/* gc_collect(MINOR) is one reclamation: exactly one rc-cascade pause that
 * frees acyclic garbage but runs no cycle collection, however often it is
 * asked; MAJOR then frees the garbage cycle in one cycle pause. */
Test(refcount, minor_reclaims_and_major_collects_cycles)
{
    rc_t r = open_rc(4 * MIB, false);
    gc_value a = GC_NIL, b = GC_NIL, live = GC_NIL;
    gc_root(r.m, &a);
    gc_root(r.m, &b);
    gc_root(r.m, &live);
    surroundings(&r, &live); /* 100 dropped acyclic nodes, 50 live */
    cr_assert_eq(npauses(&r), 0);
    /* The first MINOR (the pair rooted) frees the young acyclic garbage. */
    cr_assert_eq(make_old_pair(&r, &a, &b), 100 * NODE_BYTES);
    a = b = GC_NIL;
    for (int i = 0; i < 2; i++) {
        size_t p0 = npauses(&r);
        gc_collect(r.m, GC_COLLECT_MINOR);
        gc_pause p = one_pause_since(&r, p0, GC_PAUSE_RC_CASCADE, "gc_collect(MINOR)");
        cr_assert_eq(p.heap_before - p.heap_after, 0, "MINOR #%d freed %" PRIu64 " bytes of a garbage cycle", i + 1,
                     p.heap_before - p.heap_after);
        cr_assert_eq(used(&r), 52 * NODE_BYTES, "MINOR #%d: heap_used %" PRIu64 ", want %zu (live list + the pair)",
                     i + 1, used(&r), 52 * NODE_BYTES);
        for (unsigned q = FIRST_CYCLE_PHASE; q < NPHASES; q++)
            cr_assert_eq(p.phase_ns[phase_index(&r, want_phases[q])], 0, "MINOR spent time in %s", want_phases[q]);
        cr_assert_eq(figures(&r).cycle_collections, 0, "MINOR ran a cycle collection");
        cr_assert_eq(gc_verify_heap(r.h), 0);
    }
    size_t p0 = npauses(&r);
    gc_collect(r.m, GC_COLLECT_MAJOR);
    gc_pause p = one_pause_since(&r, p0, GC_PAUSE_CYCLE, "gc_collect(MAJOR)");
    cr_assert_eq(p.heap_before - p.heap_after, 2 * NODE_BYTES);
    cr_assert_eq(used(&r), 50 * NODE_BYTES, "MAJOR: heap_used %" PRIu64 ", want %zu", used(&r), 50 * NODE_BYTES);
    rc_figures f = figures(&r);
    cr_assert_eq(f.cycle_collections, 1);
    cr_assert_eq(f.cycle_freed_objects, 2);
    cr_assert_eq(gc_verify_heap(r.h), 0);
    /* ANY is the collector's own choice: a full collection, like MAJOR. */
    p0 = npauses(&r);
    gc_collect(r.m, GC_COLLECT_ANY);
    one_pause_since(&r, p0, GC_PAUSE_CYCLE, "gc_collect(ANY)");
    close_rc(&r);
}

/* With cycles=off every kind of request is one reclamation (rc-cascade). */
Test(refcount, every_kind_is_a_reclamation_with_cycles_off)
{
    rc_t r = open_rc(4 * MIB, true);
    static const gc_collection_kind kinds[] = {GC_COLLECT_MINOR, GC_COLLECT_MAJOR, GC_COLLECT_ANY};
    for (size_t i = 0; i < 3; i++) {
        size_t p0 = npauses(&r);
        gc_collect(r.m, kinds[i]);
        one_pause_since(&r, p0, GC_PAUSE_RC_CASCADE, "gc_collect with cycles=off");
    }
    cr_assert_eq(figures(&r).cycle_collections, 0);
    close_rc(&r);
}

/* ---- external references, self-loops ------------------------------------------------- */

Test(refcount, cycle_with_external_reference_survives_then_goes)
{
    rc_t r = open_rc(4 * MIB, false);
    gc_value a = GC_NIL, b = GC_NIL, c = GC_NIL;
    gc_root(r.m, &a);
    gc_root(r.m, &b);
    gc_root(r.m, &c);
    make_pair(&r, &a, &b);
    c = gc_value_of(new_node(&r, 3));
    gc_set_field(r.m, gc_ref(c), B, a); /* the external reference */
    gc_collect(r.m, GC_COLLECT_MAJOR);
    a = b = GC_NIL;
    for (int i = 0; i < 3; i++) {
        gc_collect(r.m, GC_COLLECT_MAJOR);
        gc_object *x = gc_ref(gc_field(gc_ref(c), B));
        cr_assert_eq(gc_words(x)[TAG], 1, "the cycle's first node is corrupt");
        gc_object *y = gc_ref(gc_field(x, A));
        cr_assert_eq(gc_words(y)[TAG], 2, "the cycle's second node is corrupt");
        cr_assert_eq(gc_field(y, A), gc_value_of(x));
        cr_assert_eq(gc_rc_count(x), 2, "count %" PRIu64 ", want 2 (from y and c)", gc_rc_count(x));
        cr_assert_eq(gc_rc_count(y), 1);
        cr_assert_eq(gc_rc_count(gc_ref(c)), 1, "c: one root slot");
        cr_assert_eq(used(&r), 3 * NODE_BYTES);
        cr_assert_eq(gc_verify_heap(r.h), 0);
    }
    gc_set_field(r.m, gc_ref(c), B, GC_NIL); /* drop the only external reference */
    gc_collect(r.m, GC_COLLECT_MAJOR);
    cr_assert_eq(used(&r), NODE_BYTES, "heap_used %" PRIu64 ": the cycle was not freed", used(&r));
    cr_assert_eq(gc_verify_heap(r.h), 0);
    close_rc(&r);
}

Test(refcount, self_loops)
{
    for (int off = 0; off < 2; off++) {
        rc_t r = open_rc(4 * MIB, off);
        gc_value s = GC_NIL;
        gc_root(r.m, &s);
        for (int i = 0; i < 10; i++) {
            s = gc_value_of(new_node(&r, (uint64_t)i));
            gc_set_field(r.m, gc_ref(s), A, s);
            gc_set_field(r.m, gc_ref(s), B, s);
            cr_assert_eq(gc_rc_count(gc_ref(s)), 0, "young: its own fields are not counted yet");
            /* Rooted at a reclamation: old, counted by both fields and the
             * root slot; the one before lost its root (a garbage cycle). */
            gc_collect(r.m, i % 2 ? GC_COLLECT_MAJOR : GC_COLLECT_MINOR);
            cr_assert_eq(gc_rc_count(gc_ref(s)), 3);
        }
        s = GC_NIL;
        gc_collect(r.m, GC_COLLECT_MAJOR);
        gc_heap_finish(r.h);
        rc_figures f = figures(&r);
        if (off) {
            cr_assert_eq(used(&r), 10 * NODE_BYTES);
            cr_assert_eq(f.leaked_objects, 10, "cycles off: %" PRIu64 " leaked, want 10", f.leaked_objects);
            cr_assert_eq(f.leaked_bytes, 10 * NODE_BYTES);
        } else {
            cr_assert_eq(used(&r), 0, "cycles on: %" PRIu64 " bytes left", used(&r));
            cr_assert_eq(f.leaked_objects, 0);
        }
        close_rc(&r);
    }
}

/* ---- exact counts ----------------------------------------------------------------------- */

Test(refcount, counts_after_stores)
{
    rc_t r = open_rc(4 * MIB, false);
    gc_value x = GC_NIL, y = GC_NIL, z = GC_NIL, arr = GC_NIL;
    gc_root(r.m, &x);
    gc_root(r.m, &y);
    gc_root(r.m, &z);
    gc_root(r.m, &arr);
    x = gc_value_of(new_node(&r, 1));
    y = gc_value_of(new_node(&r, 2));
    z = gc_value_of(new_node(&r, 3));
    arr = gc_value_of(gc_alloc_ref_array(r.m, 8));
    gc_object *X = gc_ref(x), *Y = gc_ref(y), *Z = gc_ref(z), *R = gc_ref(arr);
    cr_assert_eq(gc_rc_count(X), 0, "a new object's count is 0 (roots are deferred)");
    /* A reclamation makes the four old: each counted by its root slot. */
    gc_collect(r.m, GC_COLLECT_MINOR);
    cr_assert_eq(gc_rc_count(X), 1);
    cr_assert_eq(gc_rc_count(R), 1);
    gc_set_field(r.m, X, A, z);
    gc_set_field(r.m, Y, A, z);
    gc_set_field(r.m, Y, B, z);
    for (int i = 0; i < 8; i++)
        gc_set_elem(r.m, R, (uint64_t)i, i % 2 ? y : z);
    cr_assert_eq(gc_rc_count(Z), 8);
    cr_assert_eq(gc_rc_count(Y), 5);
    gc_set_field(r.m, Y, B, z); /* same value: no change */
    gc_set_field(r.m, Y, B, x); /* z -> x */
    gc_set_elem(r.m, R, 0, gc_int(5)); /* z -> immediate */
    gc_set_elem(r.m, R, 1, GC_NIL);    /* y -> nil */
    gc_set_field(r.m, X, B, x);        /* self reference */
    cr_assert_eq(gc_rc_count(Z), 6, "count %" PRIu64 ", want 6", gc_rc_count(Z));
    cr_assert_eq(gc_rc_count(Y), 4);
    cr_assert_eq(gc_rc_count(X), 3);
    cr_assert_eq(gc_rc_count(R), 1);
    /* A collection counts each root slot once, until the next one. */
    z = x;
    gc_collect(r.m, GC_COLLECT_MAJOR);
    cr_assert_eq(gc_rc_count(X), 4, "x: 2 heap + 2 root slots, got %" PRIu64, gc_rc_count(X));
    cr_assert_eq(gc_rc_count(Y), 4);
    cr_assert_eq(gc_rc_count(Z), 5, "z lost its root but keeps 5 heap references");
    cr_assert_eq(gc_rc_count(R), 1);
    cr_assert_eq(gc_verify_heap(r.h), 0);
    close_rc(&r);
}

/* A store of an immediate or nil over a reference goes through the barrier
 * (core/heap.h) and decrements the old referent at once; the barrier frees
 * nothing, and the next reclamation, MINOR or MAJOR, frees it. (The first
 * collection is a MAJOR one so that no possible cycle root is left in the
 * root buffer: a buffered object released by a reclamation waits there,
 * RELEASED, for the next cycle collection to free its memory.) */
Test(refcount, immediate_or_nil_store_drops_the_old_referent)
{
    static const gc_collection_kind kinds[] = {GC_COLLECT_MINOR, GC_COLLECT_MAJOR};
    for (size_t k = 0; k < 4; k++) {
        rc_t r = open_rc(4 * MIB, k >= 2);
        gc_value holder = GC_NIL;
        gc_root(r.m, &holder);
        holder = gc_value_of(new_node(&r, 0));
        gc_object *x = new_node(&r, 1);
        gc_set_field(r.m, gc_ref(holder), A, gc_value_of(x));
        gc_object *y = new_node(&r, 2);
        gc_set_field(r.m, gc_ref(holder), B, gc_value_of(y));
        gc_collect(r.m, GC_COLLECT_MAJOR);
        cr_assert_eq(used(&r), 3 * NODE_BYTES);
        cr_assert_eq(gc_rc_count(x), 1);
        cr_assert_eq(gc_rc_count(y), 1);

        gc_set_field(r.m, gc_ref(holder), A, gc_int(42));
        cr_assert_eq(gc_field(gc_ref(holder), A), gc_int(42), "core did not store the immediate");
        cr_assert_eq(gc_rc_count(x), 0, "an immediate stored over x: count %" PRIu64 ", want 0", gc_rc_count(x));
        gc_set_field(r.m, gc_ref(holder), B, GC_NIL);
        cr_assert_eq(gc_field(gc_ref(holder), B), GC_NIL, "core did not store nil");
        cr_assert_eq(gc_rc_count(y), 0, "nil stored over y: count %" PRIu64 ", want 0", gc_rc_count(y));
        cr_assert_eq(used(&r), 3 * NODE_BYTES, "the barrier freed an object");
        cr_assert_eq(gc_words(x)[TAG], 1);
        cr_assert_eq(gc_words(y)[TAG], 2);
        cr_assert_eq(gc_verify_heap(r.h), 0);

        gc_collect(r.m, kinds[k % 2]);
        cr_assert_eq(used(&r), NODE_BYTES, "%s, cycles %s: heap_used %" PRIu64 ": the old referents were not freed",
                     k % 2 ? "MAJOR" : "MINOR", k >= 2 ? "off" : "on", used(&r));
        /* Immediates over immediates and nil over nil change nothing. */
        gc_set_field(r.m, gc_ref(holder), A, gc_int(7));
        gc_set_field(r.m, gc_ref(holder), B, GC_NIL);
        cr_assert_eq(gc_rc_count(gc_ref(holder)), 1, "the holder: one root slot");
        cr_assert_eq(gc_verify_heap(r.h), 0);
        close_rc(&r);
    }
}

/* Random stores among objects held in a rooted table; after every
 * gc_collect every allocated object must be reachable (all garbage, cyclic
 * or not, is freed) and its count must equal its in-degree recounted from
 * the heap (+1 for the table, the one root). */
typedef struct recount {
    gc_ptrset seen;
    gc_object **stack, **edges;
    size_t n, cap, nedges, ecap;
    uint64_t bytes;
} recount;

static void rec_visit(gc_value *slot, void *arg)
{
    recount *c = arg;
    gc_object *o = gc_ref(*slot);
    if (c->nedges == c->ecap) {
        c->ecap = c->ecap ? 2 * c->ecap : 1024;
        c->edges = realloc(c->edges, c->ecap * sizeof *c->edges);
    }
    c->edges[c->nedges++] = o;
    if (!gc_ptrset_add(&c->seen, o))
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->stack = realloc(c->stack, c->cap * sizeof *c->stack);
    }
    c->stack[c->n++] = o;
}

static void check_recount(rc_t *r, gc_value *table, uint64_t seed, int step)
{
    recount c = {0};
    gc_ptrset_init(&c.seen);
    rec_visit(table, &c);
    gc_object **all = NULL;
    size_t nall = 0;
    while (c.n > 0) {
        gc_object *o = c.stack[--c.n];
        all = realloc(all, (nall + 1) * sizeof *all);
        all[nall++] = o;
        c.bytes += gc_object_size(o);
        gc_trace_object(o, rec_visit, &c);
    }
    cr_assert_eq(used(r), c.bytes,
                 "seed %" PRIu64 " step %d: heap_used %" PRIu64 " but %" PRIu64 " bytes reachable: garbage left",
                 seed, step, used(r), c.bytes);
    for (size_t i = 0; i < nall; i++) {
        size_t indeg = 0;
        for (size_t k = 0; k < c.nedges; k++) /* edges[0] is the root slot itself */
            indeg += c.edges[k] == all[i];
        cr_assert_eq(gc_rc_count(all[i]), indeg, "seed %" PRIu64 " step %d: object %p count %" PRIu64 ", recount %zu",
                     seed, step, (void *)all[i], gc_rc_count(all[i]), indeg);
    }
    free(all);
    free(c.stack);
    free(c.edges);
    gc_ptrset_free(&c.seen);
}

static uint64_t test_seed(const char *name)
{
    const char *env = getenv("GCBENCH_TEST_SEED");
    uint64_t seed;
    if (env && *env) {
        seed = strtoull(env, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    }
    fprintf(stderr, "%s: seed %" PRIu64 " (replay with GCBENCH_TEST_SEED=%" PRIu64 ")\n", name, seed, seed);
    return seed;
}

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

Test(refcount, random_stores_recount)
{
    uint64_t seed = test_seed("refcount/random_stores_recount"), s = seed;
    rc_t r = open_rc(16 * MIB, false);
    enum { K = 64, STEPS = 20000 };
    gc_value table = GC_NIL;
    gc_root(r.m, &table);
    table = gc_value_of(gc_alloc_ref_array(r.m, K));
    const uint32_t nt = node_type();
    for (int step = 0; step < STEPS; step++) {
        uint64_t op = rng(&s) % 16;
        uint64_t i = rng(&s) % K, j = rng(&s) % K;
        gc_object *t = gc_ref(table);
        gc_value vi = gc_elem(t, i), vj = gc_elem(t, j);
        if (op < 3) { /* new node into the table */
            gc_object *n = new_node(&r, (uint64_t)step);
            gc_set_elem(r.m, gc_ref(table), i, gc_value_of(n));
        } else if (op < 4) {
            gc_set_elem(r.m, t, i, GC_NIL);
        } else if (op < 12 && gc_is_ref(vi) && gc_header_type(gc_ref(vi)->header) == nt) {
            /* a field of node i points at node j, at what j points at, or nowhere */
            gc_value v = op < 8 ? vj : op < 10 && gc_is_ref(vj) && gc_ref(vj) != t ? gc_field(gc_ref(vj), (uint32_t)(op % 2)) : GC_NIL;
            gc_set_field(r.m, gc_ref(vi), (uint32_t)(op % 2), v);
        } else if (op < 14 && gc_is_ref(vi)) {
            gc_set_elem(r.m, t, j, vi); /* share */
        } else if (op == 14) {
            gc_set_elem(r.m, t, i, table); /* the table inside itself: a cycle through the root */
        }
        if (step % 500 == 499) {
            gc_collect(r.m, GC_COLLECT_MAJOR);
            check_recount(&r, &table, seed, step);
        }
    }
    cr_assert_eq(gc_verify_heap(r.h), 0);
    close_rc(&r);
}

/* ---- a long list dropped on a small stack --------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define LONG_N 1000000u
#else
#define LONG_N 3000000u
#endif

typedef struct list_job {
    rc_t r;
    uint64_t n, before, after, max_freed_by_one_pause;
} list_job;

static void *drop_long_list(void *arg)
{
    list_job *j = arg;
    uint32_t lt = gc_type_register("RcList", "ri");
    gc_value head = GC_NIL;
    gc_root(j->r.m, &head);
    for (uint64_t i = 0; i < j->n; i++) {
        gc_object *n = gc_alloc_record(j->r.m, lt);
        gc_set_field(j->r.m, n, 0, head);
        head = gc_value_of(n);
    }
    gc_collect(j->r.m, GC_COLLECT_MAJOR);
    j->before = used(&j->r);
    head = GC_NIL; /* drop the head: one cascade (a reclamation) frees every node */
    gc_collect(j->r.m, GC_COLLECT_MINOR);
    j->after = used(&j->r);
    gc_heap_stats st;
    gc_heap_get_stats(j->r.h, &st);
    for (size_t i = 0; i < st.npauses; i++) {
        uint64_t f = st.pauses[i].heap_before - st.pauses[i].heap_after;
        if (st.pauses[i].heap_before > st.pauses[i].heap_after && f > j->max_freed_by_one_pause)
            j->max_freed_by_one_pause = f;
    }
    return NULL;
}

Test(refcount, long_list_freed_on_a_small_stack, .timeout = 120)
{
    list_job j = {.r = open_rc(512 * MIB, false), .n = LONG_N};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    cr_assert_eq(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, &attr, drop_long_list, &j), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    uint64_t bytes = j.n * gc_size_for(GC_KIND_RECORD, 2);
    cr_assert_eq(j.before, bytes, "list of %" PRIu64 ": heap_used %" PRIu64 ", want %" PRIu64, j.n, j.before, bytes);
    cr_assert_eq(j.after, 0, "heap_used %" PRIu64 " after dropping the list", j.after);
    cr_assert_eq(j.max_freed_by_one_pause, bytes, "one pause should free the whole list");
    close_rc(&j.r);
}

/* ---- cascade pauses -------------------------------------------------------------------- */

Test(refcount, cascade_pauses_in_the_log)
{
    rc_t r = open_rc(64 * MIB, false);
    uint32_t lt = gc_type_register("RcList", "ri");
    gc_value head = GC_NIL, keep = GC_NIL;
    gc_root(r.m, &head);
    gc_root(r.m, &keep);
    const uint64_t n = 100000;
    for (uint64_t i = 0; i < n; i++) {
        gc_object *o = gc_alloc_record(r.m, lt);
        gc_set_field(r.m, o, 0, head);
        head = gc_value_of(o);
    }
    gc_heap_stats s0;
    gc_heap_get_stats(r.h, &s0);
    size_t p0 = s0.npauses;
    head = GC_NIL;
    /* Small live allocations until the ZCT threshold brings a reclamation. */
    keep = gc_value_of(gc_alloc_ref_array(r.m, 1));
    for (int i = 0; i < 100000; i++) {
        gc_object *o = gc_alloc_bytes(r.m, 8);
        (void)o;
    }
    gc_heap_stats st;
    gc_heap_get_stats(r.h, &st);
    size_t cascades = 0;
    uint64_t freed = 0;
    for (size_t i = p0; i < st.npauses; i++) {
        const gc_pause *p = &st.pauses[i];
        cr_assert_eq(p->kind, GC_PAUSE_RC_CASCADE, "pause %zu has kind %s", i, gc_pause_kind_name(p->kind));
        cr_assert_eq(p->reason, GC_REASON_THRESHOLD);
        cr_assert_str_eq(gc_pause_kind_name(p->kind), "rc-cascade");
        uint64_t ph = p->other_ns;
        for (unsigned q = 0; q < gc_heap_nphases(r.h); q++)
            ph += p->phase_ns[q];
        cr_assert_eq(ph, p->duration_ns, "phases do not add up to the duration");
        cr_assert_gt(p->phase_ns[phase_index(&r, "release")], 0, "no time in the release phase");
        cr_assert_gt(p->duration_ns, 0);
        cascades++;
        freed += p->heap_before - p->heap_after;
    }
    cr_assert_geq(cascades, 1, "no rc-cascade pause after dropping a %" PRIu64 "-node list", n);
    /* All but at most one node: a node that a reclamation made a cycle
     * candidate and a later cascade released waits in the root buffer
     * (RELEASED) until the next cycle collection frees its memory. */
    cr_assert_geq(freed, (n - 1) * gc_size_for(GC_KIND_RECORD, 2), "cascade pauses freed only %" PRIu64 " bytes",
                  freed);
    /* 100000 garbage byte strings freed ~8K at a time: >= 2 more cascades. */
    cr_assert_geq(cascades, 3, "only %zu cascades", cascades);
    close_rc(&r);
}

/* Every reclamation is a pause, even one that frees nothing: the pause
 * log accounts for every stop of the mutator (issue 13). */
Test(refcount, every_reclamation_is_a_pause)
{
    rc_t r = open_rc(64 * MIB, true);
    gc_value arr = GC_NIL;
    gc_root(r.m, &arr);
    arr = gc_value_of(gc_alloc_ref_array(r.m, 200000));
    for (uint64_t i = 0; i < 200000; i++)
        gc_set_elem(r.m, gc_ref(arr), i, gc_value_of(gc_alloc_bytes(r.m, 16)));
    gc_heap_stats st;
    gc_heap_get_stats(r.h, &st);
    rc_figures f = figures(&r);
    /* 200001 allocations, a reclamation every 8K new objects: 24 of them. */
    cr_assert_geq(f.reclamations, 24, "only %" PRIu64 " reclamations", f.reclamations);
    cr_assert_eq(st.npauses, f.reclamations, "%zu pauses for %" PRIu64 " reclamations", st.npauses,
                 f.reclamations);
    for (size_t i = 0; i < st.npauses; i++) {
        cr_assert_eq(st.pauses[i].kind, GC_PAUSE_RC_CASCADE);
        cr_assert_eq(st.pauses[i].heap_before, st.pauses[i].heap_after, "a reclamation freed live data");
    }
    cr_assert_eq(used(&r), gc_size_for(GC_KIND_REF_ARRAY, 200000) + 200000 * gc_size_for(GC_KIND_BYTES, 16));
    close_rc(&r);
}

/* A reclamation at the allocation threshold releases a bounded number of
 * objects; what it leaves waits on the dead stack (a state the verifier
 * accepts) for the next reclamations, and any explicit collection
 * releases everything. */
Test(refcount, threshold_reclamations_release_a_bounded_number)
{
    rc_t r = open_rc(64 * MIB, false);
    uint32_t lt = gc_type_register("RcList", "ri");
    gc_value head = GC_NIL;
    gc_root(r.m, &head);
    const uint64_t n = 200000, node = gc_size_for(GC_KIND_RECORD, 2);
    for (uint64_t i = 0; i < n; i++) {
        gc_object *o = gc_alloc_record(r.m, lt);
        gc_set_field(r.m, o, 0, head);
        head = gc_value_of(o);
    }
    gc_collect(r.m, GC_COLLECT_MINOR); /* the whole list old */
    cr_assert_eq(used(&r), n * node);
    head = GC_NIL;
    /* Garbage byte strings until two threshold reclamations have run. */
    size_t p0 = npauses(&r);
    while (npauses(&r) < p0 + 2)
        (void)gc_alloc_bytes(r.m, 8);
    gc_heap_stats st;
    gc_heap_get_stats(r.h, &st);
    uint64_t first = st.pauses[p0].heap_before - st.pauses[p0].heap_after;
    cr_assert_eq(st.pauses[p0].reason, GC_REASON_THRESHOLD);
    cr_assert_gt(first, 0, "the first reclamation after the drop released nothing");
    cr_assert_lt(first, n * node / 2, "one threshold reclamation freed %" PRIu64 " of %" PRIu64 " bytes", first,
                 n * node);
    cr_assert_gt(used(&r), n * node / 2, "two reclamations freed most of the list");
    cr_assert_eq(gc_verify_heap(r.h), 0, "the heap with garbage on the dead stack does not verify");
    gc_collect(r.m, GC_COLLECT_MINOR);
    cr_assert_lt(used(&r), 1 * MIB, "an explicit MINOR left %" PRIu64 " bytes", used(&r));
    cr_assert_eq(gc_verify_heap(r.h), 0);
    close_rc(&r);
}

/* ---- the arena ----------------------------------------------------------------------------- */

/* Cells come from the collector's own arena; an arena cell is never given
 * to jemalloc: where a jemalloc block would go back (here: the cache is
 * given back to make room for another size), it becomes a spare cell, out
 * of the footprint, and refills of its size take it before new memory.
 * The heap limit holds throughout. */
Test(refcount, cells_come_from_the_arena_and_stay_in_it)
{
    const size_t limit = 2 * MIB;
    rc_t r = open_rc(limit, false);
    gc_value head = GC_NIL;
    gc_root(r.m, &head);
    const uint64_t n = 20000; /* 20000 nodes: 640 KB of objects, 960 KB of cells */
    for (uint64_t i = 0; i < n; i++) {
        gc_object *o = new_node(&r, i);
        gc_set_field(r.m, o, A, head);
        head = gc_value_of(o);
    }
    gc_collect(r.m, GC_COLLECT_MINOR);
    rc_figures f = figures(&r);
    cr_assert_geq(f.arena_bytes, n * (NODE_BYTES + 8), "%" PRIu64 " bytes of arena for %" PRIu64 " nodes",
                  f.arena_bytes, n);
    cr_assert_eq(f.spare_cells, 0);
    uint64_t arena_after_nodes = f.arena_bytes;

    /* Drop the list: its cells are cached (in the footprint). Byte strings
     * of another size need that room: the cache is given back, the node
     * cells become spare. */
    head = GC_NIL;
    gc_collect(r.m, GC_COLLECT_MAJOR);
    cr_assert_eq(used(&r), 0);
    gc_value keep = GC_NIL;
    gc_root(r.m, &keep);
    gc_value strings = GC_NIL;
    gc_root(r.m, &strings);
    strings = gc_value_of(gc_alloc_ref_array(r.m, 4500)); /* 4500 x 320-byte cells: 1.4 MB */
    for (uint64_t i = 0; i < 4500; i++) {
        gc_object *b = gc_alloc_bytes(r.m, 300);
        gc_set_elem(r.m, gc_ref(strings), i, gc_value_of(b));
    }
    f = figures(&r);
    cr_assert_gt(f.spare_cells, n / 2, "%" PRIu64 " spare cells after the cache was given back", f.spare_cells);
    gc_heap_stats st;
    gc_heap_get_stats(r.h, &st);
    cr_assert_leq(st.footprint_bytes, limit, "footprint %zu over the limit", (size_t)st.footprint_bytes);
    cr_assert_eq(gc_verify_heap(r.h), 0, "the heap with spare cells does not verify");

    /* Nodes again: the spare cells first, no new arena for them. */
    uint64_t spare = f.spare_cells, arena_after_strings = f.arena_bytes;
    cr_assert_geq(arena_after_strings, arena_after_nodes);
    for (uint64_t i = 0; i < 1000; i++) {
        gc_object *o = new_node(&r, i);
        gc_set_field(r.m, o, A, keep);
        keep = gc_value_of(o);
    }
    gc_collect(r.m, GC_COLLECT_MINOR);
    f = figures(&r);
    cr_assert_lt(f.spare_cells, spare, "the spare cells were not reused");
    cr_assert_eq(gc_verify_heap(r.h), 0);
    cr_assert_eq(f.arena_bytes, arena_after_strings, "nodes took new arena memory with spare cells left");
    close_rc(&r);
}

/* ---- born dead ----------------------------------------------------------------------------- */

/* Stores into an object allocated since the last reclamation are not
 * counted; the reclamation counts the fields of every young object it
 * reaches from a counted one and frees the rest without a cycle
 * collection, cycles or not, even with cycles=off. Stores into an old
 * object are counted at once. */
Test(refcount, young_objects_are_born_dead)
{
    for (int off = 0; off < 2; off++) {
        rc_t r = open_rc(4 * MIB, off);
        gc_value h = GC_NIL;
        gc_root(r.m, &h);
        h = gc_value_of(new_node(&r, 1));
        gc_object *x = new_node(&r, 2);
        gc_set_field(r.m, gc_ref(h), A, gc_value_of(x));
        gc_set_field(r.m, x, A, h); /* a young cycle through the root */
        cr_assert_eq(gc_rc_count(x), 0, "a store into a young holder was counted");
        cr_assert_eq(gc_rc_count(gc_ref(h)), 0);
        gc_object *p = new_node(&r, 3), *q = new_node(&r, 4); /* a young garbage cycle */
        gc_set_field(r.m, p, A, gc_value_of(q));
        gc_set_field(r.m, q, A, gc_value_of(p));
        gc_set_field(r.m, p, B, h); /* young garbage holding an object that lives */
        p = q = NULL;
        cr_assert_eq(gc_verify_heap(r.h), 0, "young objects between reclamations do not verify");
        size_t p0 = npauses(&r);
        gc_collect(r.m, GC_COLLECT_MINOR);
        gc_pause pz = one_pause_since(&r, p0, GC_PAUSE_RC_CASCADE, "gc_collect(MINOR)");
        cr_assert_eq(pz.heap_before - pz.heap_after, 2 * NODE_BYTES, "cycles %s: the young garbage cycle was not freed",
                     off ? "off" : "on");
        cr_assert_eq(used(&r), 2 * NODE_BYTES);
        cr_assert_eq(gc_rc_count(gc_ref(h)), 2, "h: x's field and its root slot (the garbage's field is not counted)");
        cr_assert_eq(gc_rc_count(x), 1, "x: h's field, counted when h survived");
        cr_assert_eq(figures(&r).cycle_freed_objects, 0);
        cr_assert_eq(gc_verify_heap(r.h), 0);
        /* h is old now: a store into it counts at once, and so does its
         * overwrite. */
        gc_object *y = new_node(&r, 5);
        gc_set_field(r.m, gc_ref(h), B, gc_value_of(y));
        cr_assert_eq(gc_rc_count(y), 1, "a store into an old holder was not counted");
        gc_set_field(r.m, gc_ref(h), B, GC_NIL);
        cr_assert_eq(gc_rc_count(y), 0);
        cr_assert_eq(gc_verify_heap(r.h), 0);
        gc_collect(r.m, GC_COLLECT_MINOR);
        cr_assert_eq(used(&r), 2 * NODE_BYTES, "y was not freed");
        close_rc(&r);
    }
}

/* ---- sticky counts ----------------------------------------------------------------------- */

Test(refcount, sticky_counts)
{
    for (int off = 0; off < 2; off++) {
        rc_t r = open_rc(16 * MIB, off);
        const uint64_t n = gc_rc_sticky_count + 10;
        gc_value x = GC_NIL, arr = GC_NIL;
        gc_root(r.m, &x);
        gc_root(r.m, &arr);
        x = gc_value_of(new_node(&r, 7));
        arr = gc_value_of(gc_alloc_ref_array(r.m, n));
        gc_collect(r.m, GC_COLLECT_MINOR); /* old: stores into arr are counted; x has its root slot */
        for (uint64_t i = 0; i < n; i++) {
            gc_set_elem(r.m, gc_ref(arr), i, x);
            uint64_t want = i + 2 < gc_rc_sticky_count ? i + 2 : gc_rc_sticky_count;
            if (gc_rc_count(gc_ref(x)) != want)
                cr_assert_fail("after %" PRIu64 " stores the count is %" PRIu64 ", want %" PRIu64 " (stores + root slot)", i + 1,
                               gc_rc_count(gc_ref(x)), want);
        }
        for (uint64_t i = 0; i < n; i++)
            gc_set_elem(r.m, gc_ref(arr), i, GC_NIL);
        cr_assert_eq(gc_rc_count(gc_ref(x)), gc_rc_sticky_count, "a sticky count was decremented");
        gc_collect(r.m, GC_COLLECT_MAJOR);
        cr_assert_eq(gc_rc_count(gc_ref(x)), gc_rc_sticky_count);
        cr_assert_eq(gc_words(gc_ref(x))[TAG], 7);
        x = arr = GC_NIL;
        gc_collect(r.m, GC_COLLECT_MAJOR);
        /* The array is freed; the sticky object never is (documented). */
        cr_assert_eq(used(&r), NODE_BYTES, "heap_used %" PRIu64 ", want the sticky object only", used(&r));
        gc_heap_finish(r.h);
        rc_figures f = figures(&r);
        cr_assert_eq(f.leaked_objects, 1, "the audit must report the sticky garbage");
        cr_assert_eq(f.leaked_bytes, NODE_BYTES);
        close_rc(&r);
    }
}
