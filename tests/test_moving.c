/* tests/test_moving.c — tests that catch moving-collector bugs, run against
 * every registered collector whose ops->moving is set (copying,
 * generational), in the normal mode and in stress mode with the verifier
 * after every pause.
 *
 * In normal mode each test checks that objects really move (a collection
 * changes the address of a fresh small object), so a collector that silently
 * stopped moving could not pass vacuously. In stress mode collections happen
 * between any two allocations, so a generational collector may already have
 * promoted (moved, for the last time) an object before the test records its
 * address: there only contents, identity and the verifier are checked.
 */
#include "conformance.h"

static bool is_moving(const gc_collector_ops *ops) { return ops->moving; }

/* The "it moved" guard, meaningful in normal mode (see above). */
#define ASSERT_MOVED(c, moved, what) \
    CONF_ASSERT(c, (c)->stress || (moved), "%s did not move: the test would pass vacuously", what)

#define MOVING_PARAMS(name) \
    ParameterizedTestParameters(moving, name) { return conf_make_params_where(is_moving); }

/* Rec: {next: ref, other: ref, id: raw, tag: raw} */
static uint32_t rec_type(void) { return gc_type_register("MovRec", "rrii"); }

static gc_value new_rec(conf_ctx *c, uint64_t id)
{
    gc_object *o = gc_alloc_record(c->m, rec_type());
    gc_set_word(o, 2, id);
    gc_set_word(o, 3, id * 7 + 1);
    return gc_value_of(o);
}

static void check_rec(conf_ctx *c, gc_value v, uint64_t id, const char *what)
{
    CONF_ASSERT(c, gc_is_ref(v), "%s: not a reference", what);
    gc_object *o = gc_ref(v);
    CONF_ASSERT(c, gc_header_type(o->header) == rec_type(), "%s: wrong type", what);
    CONF_ASSERT(c, gc_words(o)[2] == id && gc_words(o)[3] == id * 7 + 1, "%s: payload %" PRIu64 " != %" PRIu64,
                what, gc_words(o)[2], id);
}

/* Allocates garbage so that normal mode collects by itself too. */
static void churn(conf_ctx *c, size_t bytes)
{
    for (size_t done = 0; done < bytes; done += 64)
        (void)gc_alloc_bytes(c->m, 48);
}

MOVING_PARAMS(root_only)
ParameterizedTest(conf_param *p, moving, root_only)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 3);
    gc_value r = GC_NIL;
    gc_root(c.m, &r);
    r = new_rec(&c, 42);
    uintptr_t before = (uintptr_t)r;
    gc_collect(c.m);
    ASSERT_MOVED(&c, (uintptr_t)r != before, "the root-only object");
    check_rec(&c, r, 42, "root-only object");
    for (int i = 0; i < 5; i++) {
        churn(&c, 1u << 20);
        gc_collect(c.m);
        check_rec(&c, r, 42, "root-only object after churn");
    }
    conf_verify(&c, "at the end");
    conf_close(&c);
}

MOVING_PARAMS(field_only)
ParameterizedTest(conf_param *p, moving, field_only)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 3);
    gc_value holder = GC_NIL, tmp = GC_NIL;
    gc_root(c.m, &holder);
    gc_root(c.m, &tmp);
    holder = new_rec(&c, 1);
    tmp = new_rec(&c, 2);
    gc_set_field(c.m, gc_ref(holder), 0, tmp);
    uintptr_t old_child = (uintptr_t)tmp;
    tmp = GC_NIL; /* now reachable only through holder.next */
    gc_collect(c.m);
    gc_value child = gc_field(gc_ref(holder), 0);
    ASSERT_MOVED(&c, (uintptr_t)child != old_child, "the child");
    check_rec(&c, child, 2, "field-only object");
    churn(&c, 2u << 20);
    gc_collect(c.m);
    check_rec(&c, gc_field(gc_ref(holder), 0), 2, "field-only object after churn");
    conf_verify(&c, "at the end");
    conf_close(&c);
}

MOVING_PARAMS(identity)
ParameterizedTest(conf_param *p, moving, identity)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 2);
    gc_value a = GC_NIL, b = GC_NIL, holder = GC_NIL;
    gc_root(c.m, &a);
    gc_root(c.m, &b);
    gc_root(c.m, &b); /* the same slot twice: must not be forwarded twice */
    gc_root(c.m, &holder);
    a = new_rec(&c, 9);
    b = a;
    holder = new_rec(&c, 10);
    gc_set_field(c.m, gc_ref(holder), 0, a);
    gc_set_field(c.m, gc_ref(holder), 1, a);
    uintptr_t before = (uintptr_t)a;
    for (int i = 0; i < 4; i++) {
        churn(&c, 512u << 10);
        gc_collect(c.m);
        CONF_ASSERT(&c, a == b, "two roots to one object now differ: %p vs %p", (void *)a, (void *)b);
        CONF_ASSERT(&c, gc_field(gc_ref(holder), 0) == a && gc_field(gc_ref(holder), 1) == a,
                    "fields and roots to one object differ after the move");
        /* Semispaces alternate, so only the first flip must change the address. */
        if (i == 0)
            ASSERT_MOVED(&c, (uintptr_t)a != before, "the shared object");
    }
    /* A store through one path is seen through the others: one object. */
    gc_set_word(gc_ref(a), 3, 12345);
    CONF_ASSERT(&c, gc_words(gc_ref(gc_field(gc_ref(holder), 1)))[3] == 12345, "copies diverged");
    conf_verify(&c, "at the end");
    conf_close(&c);
}

MOVING_PARAMS(cycle)
ParameterizedTest(conf_param *p, moving, cycle)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 2);
    enum { N = 5 };
    gc_value head = GC_NIL, cur = GC_NIL, tmp = GC_NIL;
    gc_root(c.m, &head);
    gc_root(c.m, &cur);
    gc_root(c.m, &tmp);
    head = new_rec(&c, 0);
    cur = head;
    for (uint64_t i = 1; i < N; i++) {
        tmp = new_rec(&c, i);
        gc_set_field(c.m, gc_ref(cur), 0, tmp);
        gc_set_field(c.m, gc_ref(tmp), 1, cur); /* back edge */
        cur = tmp;
    }
    gc_set_field(c.m, gc_ref(cur), 0, head); /* close the ring */
    gc_set_field(c.m, gc_ref(head), 1, cur);
    cur = tmp = GC_NIL;
    uintptr_t before = (uintptr_t)head;
    gc_collect(c.m);
    ASSERT_MOVED(&c, (uintptr_t)head != before, "the ring");
    for (int round = 0; round < 3; round++) {
        churn(&c, 1u << 20);
        gc_collect(c.m);
        gc_value v = head;
        for (uint64_t i = 0; i < N; i++) {
            check_rec(&c, v, i, "ring node");
            gc_value next = gc_field(gc_ref(v), 0);
            CONF_ASSERT(&c, gc_field(gc_ref(next), 1) == v, "ring node %" PRIu64 ": back edge broken", i);
            v = next;
        }
        CONF_ASSERT(&c, v == head, "the ring does not close on its (moved) head");
    }
    conf_verify(&c, "at the end");
    conf_close(&c);
}

/* A 1e5-element reference array (a large, non-moving object) whose elements
 * are small objects that move: every element slot must be updated. */
MOVING_PARAMS(big_ref_array)
ParameterizedTest(conf_param *p, moving, big_ref_array)
{
    conf_ctx c;
    enum { N = 100000 };
    conf_open(&c, p, 32u << 20, 20000);
    gc_value arr = GC_NIL, tmp = GC_NIL;
    gc_root(c.m, &arr);
    gc_root(c.m, &tmp);
    arr = gc_value_of(gc_alloc_ref_array(c.m, N));
    for (uint64_t i = 0; i < N; i++) {
        if (i % 3 == 2) { /* some elements share an object with their neighbour */
            gc_set_elem(c.m, gc_ref(arr), i, gc_elem(gc_ref(arr), i - 1));
            continue;
        }
        tmp = new_rec(&c, i);
        gc_set_elem(c.m, gc_ref(arr), i, tmp);
    }
    tmp = GC_NIL;
    uintptr_t arr_before = (uintptr_t)arr, elem0_before = (uintptr_t)gc_elem(gc_ref(arr), 0);
    gc_collect(c.m);
    CONF_ASSERT(&c, (uintptr_t)arr == arr_before, "a large object moved (it lives in the large-object space)");
    ASSERT_MOVED(&c, (uintptr_t)gc_elem(gc_ref(arr), 0) != elem0_before, "the elements");
    for (uint64_t i = 0; i < N; i++) {
        uint64_t id = i % 3 == 2 ? i - 1 : i;
        gc_value e = gc_elem(gc_ref(arr), i);
        if (i % 3 == 2)
            CONF_ASSERT(&c, e == gc_elem(gc_ref(arr), i - 1), "element %" PRIu64 ": sharing lost", i);
        if (!gc_is_ref(e) || gc_words(gc_ref(e))[2] != id)
            check_rec(&c, e, id, "array element");
    }
    conf_verify(&c, "at the end");
    conf_close(&c);
}

/* The verifier must catch a reference into from-space: plant the old
 * address of a moved object into a live field. */
MOVING_PARAMS(verifier_catches_from_space)
ParameterizedTest(conf_param *p, moving, verifier_catches_from_space)
{
    if (p->mode == CONF_STRESS)
        cr_skip_test("planting a bad reference is a normal-mode test");
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 0);
    gc_value holder = GC_NIL, victim = GC_NIL;
    gc_root(c.m, &holder);
    gc_root(c.m, &victim);
    holder = new_rec(&c, 1);
    victim = new_rec(&c, 2);
    gc_value stale = victim;
    gc_collect(c.m);
    ASSERT_MOVED(&c, victim != stale, "the victim");
    CONF_ASSERT(&c, gc_verify_heap(c.h) == 0, "verifier fails on a clean heap");
    gc_set_field(c.m, gc_ref(holder), 0, stale); /* a reference into from-space */
    CONF_ASSERT(&c, gc_verify_heap(c.h) > 0, "verifier missed a reference into from-space");
    gc_set_field(c.m, gc_ref(holder), 0, GC_NIL);
    CONF_ASSERT(&c, gc_verify_heap(c.h) == 0, "verifier still fails after the repair");
    conf_close(&c);
}

/* A semispace collector needs twice the live data: live data of 40% of the
 * limit fits, and the footprint never exceeds the limit. */
MOVING_PARAMS(footprint_within_limit)
ParameterizedTest(conf_param *p, moving, footprint_within_limit)
{
    conf_ctx c;
    size_t limit = p->mode == CONF_STRESS ? 2u << 20 : 8u << 20; /* stress verifies every pause */
    conf_open(&c, p, limit, 4999);
    gc_value list = GC_NIL, tmp = GC_NIL;
    gc_root(c.m, &list);
    gc_root(c.m, &tmp);
    uint64_t n = 0;
    for (size_t live = 0; live < limit * 2 / 5; live += 40, n++) {
        tmp = new_rec(&c, n);
        gc_set_field(c.m, gc_ref(tmp), 0, list);
        list = tmp;
        if (n % 4 == 0)
            churn(&c, 256);
        gc_heap_stats st;
        gc_heap_get_stats(c.h, &st);
        CONF_ASSERT(&c, st.footprint_bytes <= limit, "footprint %" PRIu64 " over the limit", st.footprint_bytes);
    }
    gc_collect(c.m);
    for (gc_value v = list; gc_is_ref(v); v = gc_field(gc_ref(v), 0))
        check_rec(&c, v, --n, "list node");
    CONF_ASSERT(&c, n == 0, "list lost %" PRIu64 " nodes", n);
    conf_close(&c);
}

/* Live data beyond half the limit cannot be copied: clean exhaustion. */
Test(moving, exhausts_past_half, .exit_code = GC_EXIT_HEAP_EXHAUSTED)
{
    const gc_collector_ops *ops = gc_collector_find("copying");
    if (!ops)
        cr_skip_test("copying is not registered");
    gc_config cfg = {.heap_limit = 4u << 20};
    gc_heap *h = gc_heap_create("copying", &cfg, NULL, 0);
    cr_assert_not_null(h);
    gc_mutator *m = gc_mutator_attach(h);
    gc_value list = GC_NIL, tmp = GC_NIL;
    gc_root(m, &list);
    gc_root(m, &tmp);
    for (size_t live = 0; live < (3u << 20); live += 40) { /* 75% of the limit */
        tmp = gc_value_of(gc_alloc_record(m, rec_type()));
        gc_set_field(m, gc_ref(tmp), 0, list);
        list = tmp;
    }
    cr_assert_fail("3 MiB of live data fit a 4 MiB semispace heap");
}
