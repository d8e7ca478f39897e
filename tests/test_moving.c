/* tests/test_moving.c — tests that catch moving-collector bugs, run against
 * every registered collector whose ops->moving is set, in the normal mode
 * and in stress mode with the verifier after every pause.
 *
 * They hold for any correct moving collector: a semispace copier, a
 * generational collector, a sliding compactor that keeps the first objects
 * of its space in place. Every object under test is allocated after some
 * garbage (garbage_first), so each of those must move it at a full
 * collection: the copier copies everything live, the generational collector
 * promotes it out of the nursery, the compactor slides it down over the
 * garbage. Only there, and only in normal mode, does a test assert that
 * the object moved (so a collector that silently stopped moving could not
 * pass vacuously). In stress mode collections happen between any two
 * allocations, so an object may already have moved before the test records
 * its address: there only contents, identity and the verifier are checked.
 */
#include <setjmp.h>

#include "conformance.h"

static bool is_moving(const gc_collector_ops *ops) { return ops->moving; }

/* The "it moved" guard, for objects allocated after garbage_first, at a
 * full collection, in normal mode (see above). */
#define ASSERT_MOVED(c, moved, what)                                                              \
    CONF_ASSERT(c, (c)->stress || (moved),                                                        \
                "%s did not move at a full collection although garbage was allocated before it " \
                "(the test would pass vacuously)", what)

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

/* Garbage allocated before the objects under test, so that any moving
 * collector has to move them at the next full collection (a compactor
 * slides them down over it). */
static void garbage_first(conf_ctx *c) { churn(c, 64u << 10); }

MOVING_PARAMS(root_only)
ParameterizedTest(conf_param *p, moving, root_only)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 3);
    gc_value r = GC_NIL;
    gc_root(c.m, &r);
    garbage_first(&c);
    r = new_rec(&c, 42);
    uintptr_t before = (uintptr_t)r;
    gc_collect(c.m, GC_COLLECT_MAJOR);
    ASSERT_MOVED(&c, (uintptr_t)r != before, "the root-only object");
    check_rec(&c, r, 42, "root-only object");
    for (int i = 0; i < 5; i++) {
        churn(&c, 1u << 20);
        gc_collect(c.m, GC_COLLECT_MAJOR);
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
    garbage_first(&c);
    holder = new_rec(&c, 1);
    tmp = new_rec(&c, 2);
    gc_set_field(c.m, gc_ref(holder), 0, tmp);
    uintptr_t old_child = (uintptr_t)tmp;
    tmp = GC_NIL; /* now reachable only through holder.next */
    gc_collect(c.m, GC_COLLECT_MAJOR);
    gc_value child = gc_field(gc_ref(holder), 0);
    ASSERT_MOVED(&c, (uintptr_t)child != old_child, "the child");
    check_rec(&c, child, 2, "field-only object");
    churn(&c, 2u << 20);
    gc_collect(c.m, GC_COLLECT_MAJOR);
    check_rec(&c, gc_field(gc_ref(holder), 0), 2, "field-only object after churn");
    conf_verify(&c, "at the end");
    conf_close(&c);
}

/* Objects that stay where they are (a compactor's dense prefix of
 * long-lived data; a generational collector's mature objects) refer to a
 * young object that moves and that a root reached first, so the young
 * object is already marked when the old ones are scanned. Every old slot
 * must still be updated. (Mark-compact skips blocks of the dense prefix by
 * a per-block bound of the referents its mark records: recording it only
 * for newly marked referents passed every other suite and torture.) */
MOVING_PARAMS(old_objects_to_shared_young)
ParameterizedTest(conf_param *p, moving, old_objects_to_shared_young)
{
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 2);
    enum { N = 600 }; /* 600 x 40 bytes: several 4 KiB blocks */
    gc_value young = GC_NIL, list = GC_NIL;
    gc_root(c.m, &young);
    gc_root(c.m, &list);
    garbage_first(&c);
    for (uint64_t i = 0; i < N; i++) {
        gc_value n = new_rec(&c, 1000 + i);
        gc_set_field(c.m, gc_ref(n), 0, list);
        list = n;
    }
    gc_collect(c.m, GC_COLLECT_MAJOR); /* the list settles: compacted to the bottom, or promoted */
    garbage_first(&c);
    young = new_rec(&c, 7);
    uintptr_t before = (uintptr_t)young;
    for (gc_value n = list; !gc_is_nil(n); n = gc_field(gc_ref(n), 0))
        gc_set_field(c.m, gc_ref(n), 1, young);
    gc_collect(c.m, GC_COLLECT_MAJOR);
    ASSERT_MOVED(&c, (uintptr_t)young != before, "the young object");
    check_rec(&c, young, 7, "the young object");
    uint64_t k = N;
    for (gc_value n = list; !gc_is_nil(n); n = gc_field(gc_ref(n), 0)) {
        k--;
        check_rec(&c, n, 1000 + k, "an old list node");
        CONF_ASSERT(&c, gc_field(gc_ref(n), 1) == young,
                    "old node %" PRIu64 " refers to %p, the young object is now at %p (a slot not updated)", k,
                    (void *)gc_field(gc_ref(n), 1), (void *)young);
    }
    CONF_ASSERT(&c, k == 0, "the list lost %" PRIu64 " nodes", k);
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
    garbage_first(&c);
    a = new_rec(&c, 9);
    b = a;
    holder = new_rec(&c, 10);
    gc_set_field(c.m, gc_ref(holder), 0, a);
    gc_set_field(c.m, gc_ref(holder), 1, a);
    uintptr_t before = (uintptr_t)a;
    for (int i = 0; i < 4; i++) {
        churn(&c, 512u << 10);
        gc_collect(c.m, GC_COLLECT_MAJOR);
        CONF_ASSERT(&c, a == b, "two roots to one object now differ: %p vs %p", (void *)a, (void *)b);
        CONF_ASSERT(&c, gc_field(gc_ref(holder), 0) == a && gc_field(gc_ref(holder), 1) == a,
                    "fields and roots to one object differ after the move");
        /* Only the first collection must change the address (semispaces
         * alternate; a compactor has nothing left to slide over). */
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
    garbage_first(&c);
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
    gc_collect(c.m, GC_COLLECT_MAJOR);
    ASSERT_MOVED(&c, (uintptr_t)head != before, "the ring");
    for (int round = 0; round < 3; round++) {
        churn(&c, 1u << 20);
        gc_collect(c.m, GC_COLLECT_MAJOR);
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

/* A 1e5-element reference array (a large object) whose elements are small
 * objects that move: every element slot must be updated. Each element is
 * allocated after a little garbage, so any moving collector moves it. (The
 * array itself may or may not move: either is correct.) */
MOVING_PARAMS(big_ref_array)
ParameterizedTest(conf_param *p, moving, big_ref_array)
{
    conf_ctx c;
    enum { N = 100000 };
    conf_open(&c, p, 32u << 20, 20000);
    gc_value arr = GC_NIL, tmp = GC_NIL;
    gc_root(c.m, &arr);
    gc_root(c.m, &tmp);
    garbage_first(&c);
    arr = gc_value_of(gc_alloc_ref_array(c.m, N));
    for (uint64_t i = 0; i < N; i++) {
        if (i % 3 == 2) { /* some elements share an object with their neighbour */
            gc_set_elem(c.m, gc_ref(arr), i, gc_elem(gc_ref(arr), i - 1));
            continue;
        }
        (void)gc_alloc_bytes(c.m, 24); /* garbage before each element */
        tmp = new_rec(&c, i);
        gc_set_elem(c.m, gc_ref(arr), i, tmp);
    }
    tmp = GC_NIL;
    uintptr_t elem0_before = (uintptr_t)gc_elem(gc_ref(arr), 0);
    uintptr_t elem_last_before = (uintptr_t)gc_elem(gc_ref(arr), N - 2);
    gc_collect(c.m, GC_COLLECT_MAJOR);
    CONF_ASSERT(&c, gc_is_ref(arr) && gc_header_type(gc_ref(arr)->header) == GC_TYPE_REF_ARRAY &&
                        gc_object_length(gc_ref(arr)) == N,
                "the large array is lost or corrupt");
    ASSERT_MOVED(&c, (uintptr_t)gc_elem(gc_ref(arr), 0) != elem0_before, "the first element");
    ASSERT_MOVED(&c, (uintptr_t)gc_elem(gc_ref(arr), N - 2) != elem_last_before, "the last element");
    for (int round = 0; round < 2; round++) {
        for (uint64_t i = 0; i < N; i++) {
            uint64_t id = i % 3 == 2 ? i - 1 : i;
            gc_value e = gc_elem(gc_ref(arr), i);
            if (i % 3 == 2)
                CONF_ASSERT(&c, e == gc_elem(gc_ref(arr), i - 1), "element %" PRIu64 ": sharing lost", i);
            if (!gc_is_ref(e) || gc_words(gc_ref(e))[2] != id)
                check_rec(&c, e, id, "array element");
        }
        churn(&c, 1u << 20);
        gc_collect(c.m, GC_COLLECT_MAJOR);
    }
    conf_verify(&c, "at the end");
    conf_close(&c);
}

/* The verifier must catch a reference to where a moved object used to be:
 * plant the old address of a moved object into a live field. The two live
 * objects follow 64 KiB of garbage, so after the collection nothing live
 * starts at the old address under any moving collector (a compactor slid
 * both down below it; a copier or a nursery left it in evacuated space). */
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
    garbage_first(&c);
    holder = new_rec(&c, 1);
    victim = new_rec(&c, 2);
    gc_value stale = victim;
    gc_collect(c.m, GC_COLLECT_MAJOR);
    ASSERT_MOVED(&c, victim != stale, "the victim");
    CONF_ASSERT(&c, stale != holder, "the holder moved to the victim's old address");
    CONF_ASSERT(&c, gc_verify_heap(c.h) == 0, "verifier fails on a clean heap");
    gc_set_field(c.m, gc_ref(holder), 0, stale); /* a reference to the old copy */
    CONF_ASSERT(&c, gc_verify_heap(c.h) > 0, "verifier missed a reference to a moved object's old address");
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
    gc_collect(c.m, GC_COLLECT_MAJOR);
    for (gc_value v = list; gc_is_ref(v); v = gc_field(gc_ref(v), 0))
        check_rec(&c, v, --n, "list node");
    CONF_ASSERT(&c, n == 0, "list lost %" PRIu64 " nodes", n);
    conf_close(&c);
}

/* Live small objects added until the heap is exhausted: a moving collector
 * must stop with a clean exhaustion (the handler, not a crash while
 * copying into a full space), after keeping at least a third of the limit
 * live, with the heap consistent and usable afterwards. */
static struct {
    jmp_buf jb;
    int calls;
    size_t request;
} mv_exh;

static void mv_exhausted(gc_heap *h, size_t request, void *data)
{
    (void)h;
    (void)data;
    mv_exh.calls++;
    mv_exh.request = request;
    longjmp(mv_exh.jb, 1);
}

static gc_value mv_list = GC_NIL, mv_tmp = GC_NIL;
static volatile uint64_t mv_count;

MOVING_PARAMS(exhausts_cleanly)
ParameterizedTest(conf_param *p, moving, exhausts_cleanly)
{
    static conf_ctx c; /* static: used after longjmp */
    const size_t limit = 4u << 20;
    conf_open(&c, p, limit, 4999);
    memset(&mv_exh, 0, sizeof mv_exh);
    gc_heap_set_exhausted_handler(c.h, mv_exhausted, NULL);
    mv_list = mv_tmp = GC_NIL;
    gc_root(c.m, &mv_list);
    gc_root(c.m, &mv_tmp);
    mv_count = 0;
    const size_t rec_bytes = gc_size_for(GC_KIND_RECORD, 4);
    if (setjmp(mv_exh.jb) == 0) {
        for (;;) {
            mv_tmp = new_rec(&c, mv_count);
            gc_set_field(c.m, gc_ref(mv_tmp), 0, mv_list);
            mv_list = mv_tmp;
            mv_tmp = GC_NIL;
            mv_count++;
            CONF_ASSERT(&c, mv_count * rec_bytes <= limit, "%" PRIu64 " bytes of live data fit a %zu-byte heap",
                        (uint64_t)(mv_count * rec_bytes), limit);
        }
    }
    CONF_ASSERT(&c, mv_exh.calls == 1 && mv_exh.request == rec_bytes,
                "exhaustion handler called %d times, request %zu (want once, %zu)", mv_exh.calls,
                mv_exh.request, rec_bytes);
    CONF_ASSERT(&c, mv_count * rec_bytes >= limit / 3,
                "exhausted with only %" PRIu64 " bytes live in a %zu-byte heap",
                (uint64_t)(mv_count * rec_bytes), limit);
    conf_verify(&c, "after exhaustion");
    uint64_t n = mv_count;
    for (gc_value v = mv_list; gc_is_ref(v); v = gc_field(gc_ref(v), 0))
        check_rec(&c, v, --n, "list node after exhaustion");
    CONF_ASSERT(&c, n == 0, "the list lost %" PRIu64 " nodes", n);
    mv_list = GC_NIL;
    gc_collect(c.m, GC_COLLECT_MAJOR);
    for (int i = 0; i < 1000; i++) {
        mv_tmp = new_rec(&c, (uint64_t)i);
        gc_set_field(c.m, gc_ref(mv_tmp), 0, mv_list);
        mv_list = mv_tmp;
    }
    CONF_ASSERT(&c, mv_exh.calls == 1, "exhausted again after the heap was emptied");
    conf_close(&c);
}

/* ---- threads: moving with 1, 2 and 4 mutator threads ---------------------------------------
 *
 * moving/threads: each worker (its own mutator, tests/conformance.h) owns an
 * object per round, allocated after garbage so that the next full
 * collection must move it, and publishes it in a shared array held by a
 * global root and in a global root slot of its own; it takes the object of
 * the next worker (its "neighbour") from the array into its own root and
 * into a field of its own holder. Then worker 0 collects (major) while the
 * others wait parked at gc_safepoint in a polling loop, and every worker
 * checks that its root, the array element, its global root slot, the
 * neighbour's root and the holder's fields all name the same, moved,
 * intact objects: a moving collector rewrote the roots of every thread and
 * the global roots, not only the collecting thread's. A churn phase
 * follows in which allocation triggers collections from any thread, and
 * the checks are repeated. In normal mode each round starts with a major
 * collection and allocates too little to trigger another before worker 0's,
 * so that one is the only pause since the object was allocated and the
 * object must have moved (checked every round, counted so the check cannot
 * pass vacuously). */

typedef struct mv_tstate {
    gc_value pub;                          /* global root: ref array, element i = worker i's object */
    gc_value own[CONF_MAX_WORKERS];        /* global root slot of worker i (registered by worker i) */
    uv_mutex_t mu;                         /* guards pub's contents and own[] */
    conf_pause_log *log;
    atomic_int collected;                  /* rounds whose major collection is done */
    atomic_int moves_checked;
    int rounds;
} mv_tstate;

static gc_value mv_new_rec(gc_mutator *m, uint32_t type, uint64_t id)
{
    gc_object *o = gc_alloc_record(m, type);
    gc_set_word(o, 2, id);
    gc_set_word(o, 3, id * 7 + 1);
    return gc_value_of(o);
}

static bool mv_check_rec(conf_worker *w, uint32_t type, gc_value v, uint64_t id, const char *what)
{
    CONF_TCHECK(w, gc_is_ref(v), "%s: not a reference", what);
    gc_object *o = gc_ref(v);
    CONF_TCHECK(w, gc_header_type(o->header) == type, "%s: wrong type", what);
    CONF_TCHECK(w, gc_words(o)[2] == id && gc_words(o)[3] == id * 7 + 1, "%s: payload %" PRIu64 ", want %" PRIu64,
                what, gc_words(o)[2], id);
    return true;
}

static inline uint64_t mv_id(int worker, int round) { return (uint64_t)worker * 1000 + (uint64_t)round + 1; }

/* Everything worker w holds in round r, all naming the same objects. */
static bool mv_check_all(conf_worker *w, mv_tstate *st, uint32_t type, int r, gc_value mine, gc_value theirs,
                         gc_value holder, const char *when)
{
    int n = w->team->n, next = (w->id + 1) % n;
    char what[96];
    snprintf(what, sizeof what, "round %d, %s: own object", r, when);
    if (!mv_check_rec(w, type, mine, mv_id(w->id, r), what))
        return false;
    snprintf(what, sizeof what, "round %d, %s: the neighbour's object", r, when);
    if (!mv_check_rec(w, type, theirs, mv_id(next, r), what))
        return false;
    gc_mutator_lock(w->m, &st->mu);
    gc_object *pub = gc_ref(st->pub);
    bool same = gc_elem(pub, (uint64_t)w->id) == mine && st->own[w->id] == mine &&
                gc_elem(pub, (uint64_t)next) == theirs;
    uv_mutex_unlock(&st->mu);
    CONF_TCHECK(w, same,
                "round %d, %s: this thread's roots and the global roots (array element, own slot) name "
                "different copies of the same objects", r, when);
    gc_object *ho = gc_ref(holder);
    CONF_TCHECK(w, gc_field(ho, 0) == theirs && gc_field(ho, 1) == mine,
                "round %d, %s: the holder's fields and the roots name different copies", r, when);
    return true;
}

static bool mv_body(conf_worker *w)
{
    mv_tstate *st = w->team->arg;
    conf_ctx *c = w->team->c;
    gc_mutator *m = w->m;
    uint32_t type = rec_type();
    int n = w->team->n, next = (w->id + 1) % n;
    gc_value mine = GC_NIL, theirs = GC_NIL, holder = GC_NIL;
    gc_root(m, &mine);
    gc_root(m, &theirs);
    gc_root(m, &holder);
    gc_mutator_lock(m, &st->mu);
    st->own[w->id] = GC_NIL;
    gc_heap_add_root(c->h, &st->own[w->id]);
    uv_mutex_unlock(&st->mu);
    bool ok = false;
    for (int r = 0; r < st->rounds; r++) {
        /* A clean start: after this collection nothing collects before
         * worker 0's major below in normal mode (the allocations until
         * then fit the nursery and the semispace), so the move is checked
         * every round. */
        if (w->id == 0)
            gc_collect(m, GC_COLLECT_MAJOR);
        if (!conf_team_wait(w))
            goto out;
        /* Garbage first, then the object: a full collection must move it. */
        for (size_t done = 0; done < (64u << 10); done += 64)
            (void)gc_alloc_bytes(m, 48);
        mine = mv_new_rec(m, type, mv_id(w->id, r));
        uintptr_t before = (uintptr_t)mine;
        size_t pauses_before = conf_pause_count(st->log);
        gc_mutator_lock(m, &st->mu);
        gc_set_elem(m, gc_ref(st->pub), (uint64_t)w->id, mine);
        st->own[w->id] = mine;
        uv_mutex_unlock(&st->mu);
        if (!conf_team_wait(w)) /* every object published */
            goto out;
        gc_mutator_lock(m, &st->mu);
        theirs = gc_elem(gc_ref(st->pub), (uint64_t)next);
        uv_mutex_unlock(&st->mu);
        holder = mv_new_rec(m, type, 0);
        gc_set_field(m, gc_ref(holder), 0, theirs);
        gc_set_field(m, gc_ref(holder), 1, mine);
        if (!conf_team_wait(w)) /* everyone holds its neighbour's object */
            goto out;
        if (w->id == 0) {
            gc_collect(m, GC_COLLECT_MAJOR);
            atomic_store(&st->collected, r + 1);
        } else {
            /* Parked here (not inactive) while worker 0 collects. */
            while (atomic_load(&st->collected) < r + 1) {
                gc_safepoint(m);
                if (conf_tfailed(w->team))
                    goto out;
            }
        }
        if (!mv_check_all(w, st, type, r, mine, theirs, holder, "after a major collection"))
            goto out;
        if (!c->stress && conf_pause_count(st->log) == pauses_before + 1) {
            CONF_TCHECK(w, (uintptr_t)mine != before,
                        "round %d: the object did not move at a full collection although garbage was "
                        "allocated before it (the test would pass vacuously)", r);
            atomic_fetch_add(&st->moves_checked, 1);
        }
        /* Collections triggered by any thread's allocation (once every
         * thread has counted the pauses above). */
        if (!conf_team_wait(w))
            goto out;
        for (size_t done = 0; done < (c->stress ? 16u << 10 : 1536u << 10); done += 64)
            (void)gc_alloc_bytes(m, 48);
        if (!mv_check_all(w, st, type, r, mine, theirs, holder, "after churn") || !conf_team_wait(w))
            goto out;
    }
    ok = true;
out:
    gc_mutator_lock(m, &st->mu);
    gc_heap_remove_root(c->h, &st->own[w->id]);
    uv_mutex_unlock(&st->mu);
    return ok;
}

static conf_pause_log mv_log;

ParameterizedTestParameters(moving, threads) { return conf_make_thread_params_where(is_moving); }
ParameterizedTest(conf_tparam *p, moving, threads, .timeout = 120)
{
    conf_ctx c;
    /* Normal mode: room for every thread's garbage and object between a
     * round's two major collections; the churn phases collect as well. */
    conf_topen(&c, p, p->mode == CONF_STRESS ? 2u << 20 : 8u << 20, 7);
    static mv_tstate st;
    memset(&st, 0, sizeof st);
    st.log = &mv_log;
    st.rounds = c.stress ? 2 : 4;
    atomic_init(&st.collected, 0);
    atomic_init(&st.moves_checked, 0);
    cr_assert(uv_mutex_init(&st.mu) == 0);
    (void)rec_type();
    conf_pause_log_attach(&mv_log, c.h);
    st.pub = gc_value_of(gc_alloc_ref_array(c.m, (uint64_t)p->threads));
    gc_heap_add_root(c.h, &st.pub);
    conf_detach_main(&c);
    conf_team t;
    conf_team_run(&t, &c, p->threads, mv_body, &st, 0);
    conf_reattach(&c);
    for (int i = 0; i < p->threads; i++)
        check_rec(&c, gc_elem(gc_ref(st.pub), (uint64_t)i), mv_id(i, st.rounds - 1), "a published object at the end");
    gc_collect(c.m, GC_COLLECT_MAJOR);
    for (int i = 0; i < p->threads; i++)
        check_rec(&c, gc_elem(gc_ref(st.pub), (uint64_t)i), mv_id(i, st.rounds - 1), "a published object after the last collection");
    if (!c.stress)
        CONF_ASSERT(&c, atomic_load(&st.moves_checked) == st.rounds * p->threads,
                    "the move was checked %d times, want %d (each round's major collection is its only "
                    "pause in normal mode)", atomic_load(&st.moves_checked), st.rounds * p->threads);
    cr_log_info("%s/%s: %zu pauses, the move checked %d times", c.name, c.mode, conf_pause_count(&mv_log),
                atomic_load(&st.moves_checked));
    gc_heap_remove_root(c.h, &st.pub);
    uv_mutex_destroy(&st.mu);
    conf_verify(&c, "at the end");
    conf_close(&c);
}
