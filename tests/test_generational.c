/* tests/test_generational.c — the generational collector's own contract:
 * the write barrier and remembered set keep old-to-young references alive
 * across minor collections, minor and major pauses are distinct kinds, and
 * the verifier catches a store that bypassed the barrier.
 *
 * Heaps use a 64 KiB nursery so that a little garbage forces a minor
 * collection (fill_nursery), and a minor is observed in the pause log.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "core/collector.h"

#define NURSERY ((size_t)64 << 10)

typedef struct gen_t {
    gc_heap *h;
    gc_mutator *m;
    uint32_t rec; /* {a: ref, b: ref, id: raw} */
} gen_t;

static void gen_open(gen_t *t, size_t limit, bool verify)
{
    gc_config cfg = {.heap_limit = limit, .nursery_size = NURSERY, .verify = verify};
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

/* Allocates garbage until at least one more minor collection happened. */
static void fill_nursery(gen_t *t)
{
    uint64_t before = pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR);
    for (size_t i = 0; i < 4 * NURSERY / 48 && pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR) == before; i++)
        (void)gc_alloc_bytes(t->m, 32);
    cr_assert_gt(pauses_of(t, GC_PAUSE_MINOR) + pauses_of(t, GC_PAUSE_MAJOR), before, "no collection happened");
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
    fill_nursery(&t); /* promotes `old` */
    cr_assert(!young(&t, old), "the holder was not promoted");
    tmp = new_rec(&t, 2);
    cr_assert(young(&t, tmp), "a fresh object is not in the nursery");
    gc_set_field(t.m, gc_ref(old), 0, tmp); /* old -> young, after promotion */
    tmp = GC_NIL;                           /* only the old object holds it */
    uint64_t minors = pauses_of(&t, GC_PAUSE_MINOR);
    fill_nursery(&t);
    cr_assert_gt(pauses_of(&t, GC_PAUSE_MINOR), minors, "no minor collection happened");
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
        fill_nursery(&t);
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
    fill_nursery(&t);
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
    fill_nursery(&t);
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
    fill_nursery(&t);
    uint64_t now = collector_stat(&t, "promoted_objects");
    cr_assert_lt(now - promoted, 5, "%" PRIu64 " objects promoted through a stale remembered entry", now - promoted);
    gen_close(&t);
}

Test(generational, minor_and_major_are_distinct_pause_kinds)
{
    gen_t t;
    gen_open(&t, 8u << 20, false);
    fill_nursery(&t);
    cr_assert_gt(pauses_of(&t, GC_PAUSE_MINOR), 0, "no minor pause recorded");
    uint64_t majors = pauses_of(&t, GC_PAUSE_MAJOR);
    gc_collect(t.m);
    cr_assert_eq(pauses_of(&t, GC_PAUSE_MAJOR), majors + 1, "gc_collect did not record one major pause");
    cr_assert_eq(pauses_of(&t, GC_PAUSE_FULL), 0, "generational recorded a 'full' pause");
    gen_close(&t);
}

Test(generational, bad_nursery_size_is_rejected)
{
    char err[256] = "";
    gc_config cfg = {.heap_limit = 8u << 20, .nursery_size = 6u << 20};
    cr_assert_null(gc_heap_create("generational", &cfg, err, sizeof err), "a nursery of 3/4 of the heap was accepted");
    cr_assert(strstr(err, "nursery") != NULL, "message does not name the nursery: %s", err);
    cfg.nursery_size = 1024;
    cr_assert_null(gc_heap_create("generational", &cfg, err, sizeof err), "a 1 KiB nursery was accepted");
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
    fill_nursery(&t);
    tmp = new_rec(&t, 2);
    gc_slots(gc_ref(old))[0] = tmp; /* no barrier: the bug under test */
    tmp = GC_NIL;
    fill_nursery(&t); /* the verifier runs before this minor and exits 6 */
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
    fill_nursery(&t);
    tmp = new_rec(&t, 2);
    gc_slots(gc_ref(old))[0] = tmp;
    tmp = GC_NIL;
    fill_nursery(&t);
    gc_value dangling = gc_field(gc_ref(old), 0);
    cr_assert(young(&t, dangling), "the unremembered young object was promoted anyway");
    gc_slots(gc_ref(old))[0] = GC_NIL; /* repair before teardown */
    gen_close(&t);
}

/* ---- the free-list space's bump-filled blocks (promotion target) ------------------ */

#include "collectors/freelist_space.h"

static void count_walked(gc_object *o, void *ctx)
{
    (void)o;
    (*(size_t *)ctx)++;
}

/* A block taken for bump allocation may hold stale objects from an earlier
 * life: only the cells below the published bump pointer are objects, and a
 * later sweep turns every unmarked cell (bumped or not) into a free cell. */
Test(fls_bump, only_published_cells_are_objects)
{
    gc_fls s;
    cr_assert_eq(gc_fls_init(&s, 4 * GC_FLS_BLOCK), 0);
    unsigned cls = gc_size_class_of(32);
    size_t cell = gc_size_class_bytes[cls];
    cr_assert_eq(cell, 32);
    char *end = NULL, *p = gc_fls_fresh_bump(&s, cls, &end);
    cr_assert_not_null(p);
    size_t ncells = (size_t)(end - p) / cell;
    cr_assert_eq(ncells, GC_FLS_BLOCK / cell);
    for (char *q = p; q < end; q += cell) /* stale, valid-looking objects everywhere */
        ((gc_object *)q)->header = gc_make_header(GC_TYPE_VALUE_ARRAY, 3);
    gc_fls_bump_publish(&s, p + 3 * cell);

    size_t n = 0;
    gc_fls_walk(&s, count_walked, &n);
    cr_assert_eq(n, 3, "walk saw %zu objects, want the 3 bumped ones", n);
    cr_assert(gc_fls_is_object(&s, (gc_object *)(p + 2 * cell)));
    cr_assert_not(gc_fls_is_object(&s, (gc_object *)(p + 3 * cell)));

    gc_fls_bump_publish(&s, end); /* a full block */
    n = 0;
    gc_fls_walk(&s, count_walked, &n);
    cr_assert_eq(n, ncells);

    /* Mark one cell; the sweep frees all the others. */
    gc_fls_prepare_mark(&s);
    cr_assert(gc_fls_mark(&s, (gc_object *)(p + cell)));
    gc_fls_after_mark(&s);
    size_t free_cells = 0;
    for (void *c = gc_fls_sweep_for(&s, cls); c; c = *(void **)c)
        free_cells++;
    cr_assert_eq(free_cells, ncells - 1);
    n = 0;
    gc_fls_walk(&s, count_walked, &n);
    cr_assert_eq(n, 1, "after the sweep only the marked cell is an object (saw %zu)", n);
    gc_fls_destroy(&s);
}
