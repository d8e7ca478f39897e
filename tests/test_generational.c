/* tests/test_generational.c — the generational collector's own contract:
 * the write barrier and remembered set keep old-to-young references alive
 * across minor collections, minor and major pauses are distinct kinds, and
 * the verifier catches a store that bypassed the barrier.
 *
 * Heaps use a 64 KiB nursery (option nursery=64K). A test that needs a
 * minor collection asks for one (gc_collect(m, GC_COLLECT_MINOR));
 * fill_nursery is kept for the tests about what allocation triggers.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "core/collector.h"
#include "collectors/registry.h"

#define NURSERY ((size_t)64 << 10)

typedef struct gen_t {
    gc_heap *h;
    gc_mutator *m;
    uint32_t rec; /* {a: ref, b: ref, id: raw} */
} gen_t;

static void gen_open(gen_t *t, size_t limit, bool verify)
{
    gc_config cfg = {.heap_limit = limit, .verify = verify, .options = "nursery=64K"};
    char err[256] = "";
    t->h = gc_heap_create("generational", &cfg, err, sizeof err);
    cr_assert_not_null(t->h, "gc_heap_create(generational): %s", err);
    t->m = gc_mutator_attach(t->h);
    t->rec = gc_type_register("GenRec", "rri");
}

static void gen_close(gen_t *t)
{
    gc_mutator_detach(t->m);
    gc_heap_destroy(t->h);
}

static gc_value new_rec(gen_t *t, uint64_t id)
{
    gc_object *o = gc_alloc_record(t->m, t->rec);
    gc_set_word(o, 2, id);
    return gc_value_of(o);
}

static uint64_t pauses_of(gen_t *t, gc_pause_kind k)
{
    gc_heap_stats st;
    gc_heap_get_stats(t->h, &st);
    return st.collections_by_kind[k];
}

/* Allocates garbage until at least one more collection happened (allocation
 * triggers minors: a full nursery). */
static void fill_nursery(gen_t *t)
{
    uint64_t before = pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR);
    for (size_t i = 0; i < 4 * NURSERY / 48 && pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR) == before; i++)
        (void)gc_alloc_bytes(t->m, 32);
    cr_assert_gt(pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR), before, "no collection happened");
}

/* Asks for one minor collection and checks that exactly one minor pause
 * (not a major: the heaps here have room) was recorded. */
static void minor(gen_t *t)
{
    uint64_t minors = pauses_of(t, GC_PAUSE_MINOR), majors = pauses_of(t, GC_PAUSE_MAJOR);
    gc_collect(t->m, GC_COLLECT_MINOR);
    cr_assert_eq(pauses_of(t, GC_PAUSE_MINOR), minors + 1, "gc_collect(MINOR) did not record one minor pause");
    cr_assert_eq(pauses_of(t, GC_PAUSE_MAJOR), majors, "gc_collect(MINOR) ran a major collection");
}

typedef struct stat_find {
    const char *name;
    uint64_t value;
    bool found;
} stat_find;

static void find_stat(void *ctx, const char *name, uint64_t value)
{
    stat_find *f = ctx;
    if (strcmp(name, f->name) == 0) {
        f->value = value;
        f->found = true;
    }
}

static uint64_t collector_stat(gen_t *t, const char *name)
{
    stat_find f = {.name = name};
    gc_heap_collector_stats(t->h, find_stat, &f);
    cr_assert(f.found, "the generational collector reports no %s", name);
    return f.value;
}

static bool young(gen_t *t, gc_value v)
{
    return (uintptr_t)v - t->m->young_lo < t->m->young_size;
}

Test(generational, young_object_only_referenced_from_old_survives_minor)
{
    gen_t t;
    gen_open(&t, 8u << 20, true);
    gc_value old = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &old);
    gc_root(t.m, &tmp);
    old = new_rec(&t, 1);
    minor(&t); /* promotes `old` */
    cr_assert(!young(&t, old), "the holder was not promoted");
    tmp = new_rec(&t, 2);
    cr_assert(young(&t, tmp), "a fresh object is not in the nursery");
    gc_set_field(t.m, gc_ref(old), 0, tmp); /* old -> young, after promotion */
    tmp = GC_NIL;                           /* only the old object holds it */
    minor(&t);
    gc_value child = gc_field(gc_ref(old), 0);
    cr_assert(gc_is_ref(child) && !young(&t, child), "the young object was not promoted through the remembered set");
    cr_assert_eq(gc_words(gc_ref(child))[2], 2, "the young object's contents were lost");
    cr_assert_eq(gc_verify_heap(t.h), 0);
    gen_close(&t);
}

Test(generational, chain_survives_minors)
{
    gen_t t;
    gen_open(&t, 8u << 20, true);
    gc_value first = GC_NIL, tail = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &first);
    gc_root(t.m, &tail);
    gc_root(t.m, &tmp);
    enum { N = 20 };
    for (uint64_t i = 0; i < N; i++) {
        tmp = new_rec(&t, i);
        if (gc_is_ref(tail))
            gc_set_field(t.m, gc_ref(tail), 1, tmp); /* tail is old by now */
        else
            first = tmp;
        tail = tmp;
        tmp = GC_NIL;
        minor(&t);
        cr_assert(!young(&t, tail), "link %" PRIu64 " not promoted", i);
    }
    uint64_t i = 0;
    for (gc_value v = first; gc_is_ref(v); v = gc_field(gc_ref(v), 1), i++)
        cr_assert_eq(gc_words(gc_ref(v))[2], i, "link %" PRIu64 " corrupt", i);
    cr_assert_eq(i, N, "the chain has %" PRIu64 " links, not %d", i, N);
    gen_close(&t);
}

Test(generational, large_object_points_at_young_ones)
{
    gen_t t;
    gen_open(&t, 16u << 20, true);
    enum { N = 4000 }; /* 32 KB of slots: a large object, born old */
    gc_value arr = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &arr);
    gc_root(t.m, &tmp);
    arr = gc_value_of(gc_alloc_ref_array(t.m, N));
    cr_assert(!young(&t, arr), "a large object was allocated in the nursery");
    for (uint64_t i = 0; i < N; i++) {
        tmp = new_rec(&t, i);
        gc_set_elem(t.m, gc_ref(arr), i, tmp);
        tmp = GC_NIL;
    }
    minor(&t);
    for (uint64_t i = 0; i < N; i++) {
        gc_value e = gc_elem(gc_ref(arr), i);
        cr_assert(gc_is_ref(e) && !young(&t, e), "element %" PRIu64 " not promoted", i);
        cr_assert_eq(gc_words(gc_ref(e))[2], i, "element %" PRIu64 " corrupt", i);
    }
    gen_close(&t);
}

Test(generational, overwritten_old_to_young_reference_lets_young_die)
{
    gen_t t;
    gen_open(&t, 8u << 20, true);
    gc_value old = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &old);
    gc_root(t.m, &tmp);
    old = new_rec(&t, 1);
    minor(&t);
    enum { N = 200 };
    /* Store N young objects into the old one, each overwriting the last:
     * only the final one is reachable at the next minor collection. */
    for (uint64_t i = 0; i < N; i++) {
        tmp = new_rec(&t, 100 + i);
        gc_set_field(t.m, gc_ref(old), 0, tmp);
    }
    gc_set_field(t.m, gc_ref(old), 0, GC_NIL); /* and then none */
    tmp = GC_NIL;
    uint64_t promoted = collector_stat(&t, "promoted_objects");
    minor(&t);
    uint64_t now = collector_stat(&t, "promoted_objects");
    cr_assert_lt(now - promoted, 5, "%" PRIu64 " objects promoted through a stale remembered entry", now - promoted);
    gen_close(&t);
}

Test(generational, minor_and_major_are_distinct_pause_kinds)
{
    gen_t t;
    gen_open(&t, 8u << 20, false);
    fill_nursery(&t); /* allocation triggers a minor */
    cr_assert_gt(pauses_of(&t, GC_PAUSE_MINOR), 0, "no minor pause recorded");
    minor(&t);
    uint64_t majors = pauses_of(&t, GC_PAUSE_MAJOR);
    gc_collect(t.m, GC_COLLECT_MAJOR);
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MAJOR), majors + 1, "gc_collect did not record one major pause");
    cr_assert_eq(pauses_of(&t, GC_PAUSE_FULL), 0, "generational recorded a 'full' pause");
    gen_close(&t);
}

Test(generational, bad_nursery_size_is_rejected)
{
    char err[256] = "";
    gc_config cfg = {.heap_limit = 8u << 20, .options = "nursery=6M"};
    cr_assert_null(gc_heap_create("generational", &cfg, err, sizeof err), "a nursery of 3/4 of the heap was accepted");
    cr_assert(strstr(err, "nursery") != NULL, "message does not name the nursery: %s", err);
    cr_assert(strstr(err, "option nursery") != NULL, "message does not name the option: %s", err);
    cfg.options = "nursery=1024";
    cr_assert_null(gc_heap_create("generational", &cfg, err, sizeof err), "a 1 KiB nursery was accepted");
    cfg.options = NULL; /* the same through the collector spec */
    cr_assert_null(gc_heap_create("generational:nursery=1K", &cfg, err, sizeof err), "a 1 KiB nursery was accepted");
    cfg.options = "nursery=1M"; /* and a good one is taken */
    gc_heap *h = gc_heap_create("generational", &cfg, err, sizeof err);
    cr_assert_not_null(h, "nursery=1M rejected: %s", err);
    gc_mutator *m = gc_mutator_attach(h);
    cr_assert_eq(m->young_size, (size_t)1 << 20, "the nursery is %zu bytes, not 1 MiB", (size_t)m->young_size);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* ANY is what allocation would trigger: a minor; stress-mode collections
 * (ANY, reason stress) alternate seven minors and one major. */
Test(generational, collect_kinds)
{
    gen_t t;
    gen_open(&t, 8u << 20, true);
    uint64_t minors = pauses_of(&t, GC_PAUSE_MINOR), majors = pauses_of(&t, GC_PAUSE_MAJOR);
    gc_collect(t.m, GC_COLLECT_ANY);
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MINOR), minors + 1, "gc_collect(ANY) was not a minor collection");
    gc_collect(t.m, GC_COLLECT_MAJOR);
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MAJOR), majors + 1, "gc_collect(MAJOR) was not a major collection");
    gen_close(&t);

    gc_config cfg = {.heap_limit = 8u << 20, .stress = 1, .verify = true, .options = "nursery=64K"};
    char err[256] = "";
    t.h = gc_heap_create("generational", &cfg, err, sizeof err);
    cr_assert_not_null(t.h, "%s", err);
    t.m = gc_mutator_attach(t.h);
    for (int i = 0; i < 16; i++)
        (void)gc_alloc_bytes(t.m, 16);
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MAJOR), 2, "16 stress collections ran %" PRIu64 " majors, not 2",
                 pauses_of(&t, GC_PAUSE_MAJOR));
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MINOR), 14, "16 stress collections ran %" PRIu64 " minors, not 14",
                 pauses_of(&t, GC_PAUSE_MINOR));
    gen_close(&t);
}

/* A reference store that bypasses the write barrier leaves an old-to-young
 * pointer unremembered: the verifier must stop the run before the minor
 * collection that would lose the young object. */
Test(generational, verifier_catches_bypassed_barrier, .exit_code = GC_EXIT_HEAP_CORRUPT)
{
    gen_t t;
    gen_open(&t, 8u << 20, true);
    gc_value old = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &old);
    gc_root(t.m, &tmp);
    old = new_rec(&t, 1);
    minor(&t);
    tmp = new_rec(&t, 2);
    gc_slots(gc_ref(old))[0] = tmp; /* no barrier: the bug under test */
    tmp = GC_NIL;
    gc_collect(t.m, GC_COLLECT_MINOR); /* the verifier runs before this minor and exits 6 */
    cr_assert_fail("the bypassed barrier went unnoticed");
}

/* Same without --verify: shows what the verifier prevents (the young object
 * is lost: its slot is left pointing at the emptied nursery). */
Test(generational, bypassed_barrier_without_verifier_loses_the_object)
{
    gen_t t;
    gen_open(&t, 8u << 20, false);
    gc_value old = GC_NIL, tmp = GC_NIL;
    gc_root(t.m, &old);
    gc_root(t.m, &tmp);
    old = new_rec(&t, 1);
    minor(&t);
    tmp = new_rec(&t, 2);
    gc_slots(gc_ref(old))[0] = tmp;
    tmp = GC_NIL;
    minor(&t);
    gc_value dangling = gc_field(gc_ref(old), 0);
    cr_assert(young(&t, dangling), "the unremembered young object was promoted anyway");
    gc_slots(gc_ref(old))[0] = GC_NIL; /* repair before teardown */
    gen_close(&t);
}
