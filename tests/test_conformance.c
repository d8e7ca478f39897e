/* tests/test_conformance.c — the collector conformance suite.
 *
 * Every test is parameterized over every collector in gc_registered_collectors[]
 * and over two modes (see tests/conformance.h): NORMAL, and STRESS (a
 * collection every few allocations, heap verifier after every pause). A new
 * collector gets the whole suite by being registered.
 *
 * The tests follow the rooting discipline of core/heap.h strictly, so they are
 * valid for moving collectors: every value that must survive an allocation
 * or a collection lives in a root slot, and raw gc_object pointers are
 * re-read from root slots after anything that may collect.
 *
 * Besides survival, reclamation, cycles, exhaustion, identity, barriers,
 * pauses and roots, it checks the cases a new collector most often gets
 * wrong: a root slot registered (or scanned) twice (k), large objects whose
 * slots point at small objects that move (l), and the footprint staying
 * within the heap limit through an allocation-heavy run (m).
 *
 * Randomized tests print their seed; set GCBENCH_TEST_SEED to replay one.
 * GCBENCH_COLLECTOR=NAME[,NAME] runs the suite against those collectors only.
 */
#include <setjmp.h>
#include <sys/wait.h>
#include <uv.h>

#include "conformance.h"

/* ---- shared types and helpers --------------------------------------------------- */

/* ConfNode: field 0 and 1 references, field 2 a raw word. */
enum { NODE_A = 0, NODE_B = 1, NODE_TAG = 2 };
/* ConfList: field 0 next (reference), field 1 payload (raw word). */
enum { LIST_NEXT = 0, LIST_PAYLOAD = 1 };

static uint32_t node_type(void)
{
    uint32_t t = gc_type_register("ConfNode", "rri");
    cr_assert(t != GC_TYPE_INVALID, "cannot register ConfNode");
    return t;
}

static uint32_t list_type(void)
{
    uint32_t t = gc_type_register("ConfList", "ri");
    cr_assert(t != GC_TYPE_INVALID, "cannot register ConfList");
    return t;
}

static inline uint8_t pattern_byte(uint64_t id, uint64_t k)
{
    return (uint8_t)((id * 131u) ^ (k * 7u) ^ (k >> 8) ^ (id >> 5));
}

static void fill_bytes(gc_object *o, uint64_t id)
{
    uint64_t n = gc_object_length(o);
    uint8_t *b = gc_bytes(o);
    for (uint64_t k = 0; k < n; k++)
        b[k] = pattern_byte(id, k);
}

/* Index of the first wrong byte, or UINT64_MAX. */
static uint64_t bad_byte(gc_object *o, uint64_t id)
{
    uint64_t n = gc_object_length(o);
    const uint8_t *b = gc_bytes(o);
    for (uint64_t k = 0; k < n; k++)
        if (b[k] != pattern_byte(id, k))
            return k;
    return UINT64_MAX;
}

static inline double pattern_double(uint64_t id, uint64_t k) { return (double)id + (double)k * 0.25; }

static const char *kind_of(const gc_object *o)
{
    const gc_type *t = gc_type_get(gc_header_type(o->header));
    return t ? t->name : "(unregistered type)";
}

/* Allocates about `bytes` bytes of unreachable objects of every kind (records
 * in short chains, ref arrays pointing into the chain, byte strings, value
 * arrays); payloads up to max_payload bytes, mostly small. Returns the
 * bytes allocated (object sizes). */
static uint64_t make_garbage(conf_ctx *c, conf_rng *r, uint64_t bytes, size_t max_payload)
{
    uint32_t node = node_type();
    gc_value chain = GC_NIL;
    size_t depth = gc_roots_save(c->m);
    gc_root(c->m, &chain);
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t pick = conf_rng_next(r);
        size_t payload = (size_t)(conf_rng_next(r) % ((pick >> 8) % 4 == 0 ? max_payload + 1 : 129));
        gc_object *o;
        switch (pick % 8) {
        case 0:
        case 1:
        case 2:
            o = gc_alloc_record(c->m, node);
            gc_set_field(c->m, o, NODE_A, chain);
            gc_set_field(c->m, o, NODE_B, gc_int((int64_t)pick >> 2));
            gc_set_word(o, NODE_TAG, 0xdeadbeef);
            chain = (pick >> 20) % 16 == 0 ? GC_NIL : gc_value_of(o);
            break;
        case 3: {
            uint64_t n = payload / 8 + 1;
            o = gc_alloc_ref_array(c->m, n);
            gc_set_elem(c->m, o, 0, chain);
            if (n > 1)
                gc_set_elem(c->m, o, n - 1, gc_int(7));
            break;
        }
        case 4:
        case 5:
            o = gc_alloc_bytes(c->m, payload);
            memset(gc_bytes(o), 0xab, payload);
            break;
        default:
            o = gc_alloc_value_array(c->m, payload / 8);
            break;
        }
        done += gc_object_size(o);
    }
    gc_roots_restore(c->m, depth);
    return done;
}

/* ---- a. reachable objects survive with contents intact ---------------------------- */

/* keep[i] by i % 5:
 *   0  ConfNode {A = string "conf-<i>", B = int -i, TAG = i*1000+7}
 *   1  ref array of (i%7)+1: j%3==0 int i*10+j, j%3==1 nil, j%3==2 value array [(i+j)/2]
 *   2  byte string of (i*37)%300 pattern bytes
 *   3  value array of (i%20)+1 doubles pattern_double(i, k)
 *   4  ConfNode {A = keep[i-1] (shared), B = keep itself (cycle through the root), TAG = i} */
static void build_mix(conf_ctx *c, gc_value *keep, size_t n)
{
    uint32_t node = node_type();
    gc_mutator *m = c->m;
    gc_value tmp = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &tmp);
    gc_object *arr = gc_alloc_ref_array(m, n);
    *keep = gc_value_of(arr);
    for (size_t i = 0; i < n; i++) {
        switch (i % 5) {
        case 0: {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "conf-%zu", i);
            tmp = gc_value_of(gc_alloc_string(m, buf, (size_t)len));
            gc_object *r = gc_alloc_record(m, node);
            gc_set_field(m, r, NODE_A, tmp);
            gc_set_field(m, r, NODE_B, gc_int(-(int64_t)i));
            gc_set_word(r, NODE_TAG, i * 1000 + 7);
            gc_set_elem(m, gc_ref(*keep), i, gc_value_of(r));
            break;
        }
        case 1: {
            uint64_t len = i % 7 + 1;
            tmp = gc_value_of(gc_alloc_ref_array(m, len));
            gc_set_elem(m, gc_ref(*keep), i, tmp);
            for (uint64_t j = 0; j < len; j++) {
                if (j % 3 == 0) {
                    gc_set_elem(m, gc_ref(tmp), j, gc_int((int64_t)(i * 10 + j)));
                } else if (j % 3 == 2) {
                    gc_object *va = gc_alloc_value_array(m, 1);
                    gc_doubles(va)[0] = (double)(i + j) * 0.5;
                    gc_set_elem(m, gc_ref(tmp), j, gc_value_of(va));
                }
            }
            break;
        }
        case 2: {
            gc_object *s = gc_alloc_bytes(m, (i * 37) % 300);
            fill_bytes(s, i);
            gc_set_elem(m, gc_ref(*keep), i, gc_value_of(s));
            break;
        }
        case 3: {
            uint64_t len = i % 20 + 1;
            gc_object *va = gc_alloc_value_array(m, len);
            for (uint64_t k = 0; k < len; k++)
                gc_doubles(va)[k] = pattern_double(i, k);
            gc_set_elem(m, gc_ref(*keep), i, gc_value_of(va));
            break;
        }
        default: {
            gc_object *r = gc_alloc_record(m, node);
            gc_object *k = gc_ref(*keep);
            gc_set_field(m, r, NODE_A, gc_elem(k, i - 1));
            gc_set_field(m, r, NODE_B, *keep);
            gc_set_word(r, NODE_TAG, i);
            gc_set_elem(m, k, i, gc_value_of(r));
            break;
        }
        }
    }
    gc_roots_restore(m, depth);
}

static void check_mix(conf_ctx *c, gc_value keep, size_t n, const char *when)
{
    uint32_t node = node_type();
    CONF_ASSERT(c, gc_is_ref(keep), "%s: root lost", when);
    gc_object *k = gc_ref(keep);
    CONF_ASSERT(c, gc_header_type(k->header) == GC_TYPE_REF_ARRAY && gc_object_length(k) == n,
                "%s: root array has type %s length %llu", when, kind_of(k),
                (unsigned long long)gc_object_length(k));
    for (size_t i = 0; i < n; i++) {
        gc_value v = gc_elem(k, i);
        CONF_ASSERT(c, gc_is_ref(v), "%s: keep[%zu] is not a reference (%#lx)", when, i,
                    (unsigned long)v);
        gc_object *o = gc_ref(v);
        uint32_t ty = gc_header_type(o->header);
        switch (i % 5) {
        case 0: {
            CONF_ASSERT(c, ty == node, "%s: keep[%zu] has type %s, want ConfNode", when, i, kind_of(o));
            CONF_ASSERT(c, gc_words(o)[NODE_TAG] == i * 1000 + 7, "%s: keep[%zu].tag = %llu", when, i,
                        (unsigned long long)gc_words(o)[NODE_TAG]);
            gc_value b = gc_field(o, NODE_B);
            CONF_ASSERT(c, gc_is_int(b) && gc_int_value(b) == -(int64_t)i, "%s: keep[%zu].B = %#lx",
                        when, i, (unsigned long)b);
            gc_value a = gc_field(o, NODE_A);
            CONF_ASSERT(c, gc_is_ref(a), "%s: keep[%zu].A lost", when, i);
            gc_object *s = gc_ref(a);
            char buf[32];
            int len = snprintf(buf, sizeof buf, "conf-%zu", i);
            CONF_ASSERT(c, gc_header_type(s->header) == GC_TYPE_BYTES &&
                               gc_object_length(s) == (uint64_t)len &&
                               memcmp(gc_bytes(s), buf, (size_t)len) == 0,
                        "%s: keep[%zu].A is not the string \"%s\"", when, i, buf);
            break;
        }
        case 1: {
            uint64_t len = i % 7 + 1;
            CONF_ASSERT(c, ty == GC_TYPE_REF_ARRAY && gc_object_length(o) == len,
                        "%s: keep[%zu] has type %s length %llu, want RefArray of %llu", when, i,
                        kind_of(o), (unsigned long long)gc_object_length(o), (unsigned long long)len);
            for (uint64_t j = 0; j < len; j++) {
                gc_value e = gc_elem(o, j);
                if (j % 3 == 0) {
                    CONF_ASSERT(c, gc_is_int(e) && gc_int_value(e) == (int64_t)(i * 10 + j),
                                "%s: keep[%zu][%llu] = %#lx", when, i, (unsigned long long)j,
                                (unsigned long)e);
                } else if (j % 3 == 1) {
                    CONF_ASSERT(c, gc_is_nil(e), "%s: keep[%zu][%llu] not nil", when, i,
                                (unsigned long long)j);
                } else {
                    CONF_ASSERT(c, gc_is_ref(e), "%s: keep[%zu][%llu] lost", when, i,
                                (unsigned long long)j);
                    gc_object *va = gc_ref(e);
                    CONF_ASSERT(c, gc_header_type(va->header) == GC_TYPE_VALUE_ARRAY &&
                                       gc_object_length(va) == 1 &&
                                       gc_doubles(va)[0] == (double)(i + j) * 0.5,
                                "%s: keep[%zu][%llu] value array corrupt", when, i,
                                (unsigned long long)j);
                }
            }
            break;
        }
        case 2: {
            uint64_t len = (i * 37) % 300;
            CONF_ASSERT(c, ty == GC_TYPE_BYTES && gc_object_length(o) == len,
                        "%s: keep[%zu] has type %s length %llu", when, i, kind_of(o),
                        (unsigned long long)gc_object_length(o));
            uint64_t bad = bad_byte(o, i);
            CONF_ASSERT(c, bad == UINT64_MAX, "%s: keep[%zu] byte %llu corrupt", when, i,
                        (unsigned long long)bad);
            break;
        }
        case 3: {
            uint64_t len = i % 20 + 1;
            CONF_ASSERT(c, ty == GC_TYPE_VALUE_ARRAY && gc_object_length(o) == len,
                        "%s: keep[%zu] has type %s length %llu", when, i, kind_of(o),
                        (unsigned long long)gc_object_length(o));
            for (uint64_t q = 0; q < len; q++)
                CONF_ASSERT(c, gc_doubles(o)[q] == pattern_double(i, q), "%s: keep[%zu][%llu] = %g",
                            when, i, (unsigned long long)q, gc_doubles(o)[q]);
            break;
        }
        default:
            CONF_ASSERT(c, ty == node, "%s: keep[%zu] has type %s", when, i, kind_of(o));
            CONF_ASSERT(c, gc_words(o)[NODE_TAG] == i, "%s: keep[%zu].tag corrupt", when, i);
            CONF_ASSERT(c, gc_field(o, NODE_A) == gc_elem(k, i - 1),
                        "%s: keep[%zu].A is not the same object as keep[%zu]", when, i, i - 1);
            CONF_ASSERT(c, gc_field(o, NODE_B) == keep,
                        "%s: keep[%zu].B is not the root array itself", when, i);
            break;
        }
    }
}

CONF_PARAMS(survive)
ParameterizedTest(conf_param *p, conformance, survive)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 4u << 20, 3);
    conf_rng r = {0x5eed0001};
    size_t n = stress ? 200 : 1000;
    int rounds = stress ? 3 : 6;
    uint64_t garbage = stress ? (192u << 10) : (2u << 20);

    gc_value keep = GC_NIL;
    gc_root(c->m, &keep);
    build_mix(c, &keep, n);
    check_mix(c, keep, n, "after building");
    for (int round = 0; round < rounds; round++) {
        make_garbage(c, &r, garbage, 512);
        char when[64];
        snprintf(when, sizeof when, "round %d, after garbage", round);
        check_mix(c, keep, n, when);
        gc_collect(c->m, GC_COLLECT_MAJOR);
        snprintf(when, sizeof when, "round %d, after gc_collect", round);
        check_mix(c, keep, n, when);
        gc_collect(c->m, GC_COLLECT_MAJOR);
        snprintf(when, sizeof when, "round %d, after a second gc_collect", round);
        check_mix(c, keep, n, when);
    }
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- b. unreachable objects are reclaimed -------------------------------------------- */

/* A rooted ref array of `n` value arrays of `len` doubles each. */
static void build_table(conf_ctx *c, gc_value *root, size_t n, uint64_t len)
{
    *root = gc_value_of(gc_alloc_ref_array(c->m, n));
    for (size_t i = 0; i < n; i++) {
        gc_object *va = gc_alloc_value_array(c->m, len);
        for (uint64_t k = 0; k < len; k += 97)
            gc_doubles(va)[k] = pattern_double(i, k);
        gc_set_elem(c->m, gc_ref(*root), i, gc_value_of(va));
    }
}

static void check_table(conf_ctx *c, gc_value root, size_t n, uint64_t len)
{
    CONF_ASSERT(c, gc_is_ref(root), "table root lost");
    gc_object *t = gc_ref(root);
    CONF_ASSERT(c, gc_object_length(t) == n, "table length %llu", (unsigned long long)gc_object_length(t));
    for (size_t i = 0; i < n; i++) {
        gc_value v = gc_elem(t, i);
        CONF_ASSERT(c, gc_is_ref(v), "table[%zu] lost", i);
        gc_object *va = gc_ref(v);
        CONF_ASSERT(c, gc_header_type(va->header) == GC_TYPE_VALUE_ARRAY && gc_object_length(va) == len,
                    "table[%zu] has type %s", i, kind_of(va));
        for (uint64_t k = 0; k < len; k += 97)
            CONF_ASSERT(c, gc_doubles(va)[k] == pattern_double(i, k), "table[%zu][%llu] corrupt", i,
                        (unsigned long long)k);
    }
}

CONF_PARAMS(reclaim)
ParameterizedTest(conf_param *p, conformance, reclaim)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    const size_t limit = 4u << 20;
    conf_open(c, p, limit, 23);
    conf_rng r = {0x5eed0002};

    /* Some live data that must survive all of it. */
    gc_value keep = GC_NIL;
    gc_root(c->m, &keep);
    build_mix(c, &keep, 100);

    /* Many times the heap limit of garbage: must not exhaust. */
    uint64_t total = stress ? (16u << 20) : (64u << 20);
    uint64_t done = 0;
    while (done < total) {
        done += make_garbage(c, &r, 1u << 20, 2048);
        check_mix(c, keep, 100, "during garbage");
    }
    gc_heap_stats st;
    gc_heap_get_stats(c->h, &st);
    CONF_ASSERT(c, st.collections > 0, "allocated %llu bytes with a %zu-byte heap and never collected",
                (unsigned long long)done, limit);
    CONF_ASSERT(c, st.heap_used_bytes <= limit, "heap_used %llu exceeds the limit %zu",
                (unsigned long long)st.heap_used_bytes, limit);

    /* A big live structure, then dropped. */
    gc_value table = GC_NIL;
    gc_root(c->m, &table);
    const size_t n = 256;
    const uint64_t len = 500; /* 4008 bytes each: ~1 MiB in all */
    build_table(c, &table, n, len);
    gc_collect(c->m, GC_COLLECT_MAJOR);
    check_table(c, table, n, len);
    uint64_t with = conf_heap_used(c);
    CONF_ASSERT(c, with >= n * gc_size_for(GC_KIND_VALUE_ARRAY, len),
                "heap_used %llu after gc_collect is less than the %zu bytes known to be live",
                (unsigned long long)with, (size_t)(n * gc_size_for(GC_KIND_VALUE_ARRAY, len)));
    table = GC_NIL;
    gc_collect(c->m, GC_COLLECT_MAJOR);
    uint64_t without = conf_heap_used(c);
    CONF_ASSERT(c, without <= with / 4,
                "heap_used %llu -> %llu after dropping ~1 MiB and gc_collect: not reclaimed",
                (unsigned long long)with, (unsigned long long)without);
    check_mix(c, keep, 100, "at the end");
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- c. garbage cycles are reclaimed --------------------------------------------------- */

/* Builds a ring of k ConfNodes (A = next, B = a payload string of
 * `payload` bytes, TAG = position) rooted at *first. k = 1 is a self-loop. */
static void build_ring(conf_ctx *c, gc_value *first, size_t k, size_t payload)
{
    uint32_t node = node_type();
    gc_mutator *m = c->m;
    gc_value prev = GC_NIL, s = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &prev);
    gc_root(m, &s);
    for (size_t j = 0; j < k; j++) {
        s = gc_value_of(gc_alloc_bytes(m, payload));
        gc_object *n = gc_alloc_record(m, node);
        gc_set_field(m, n, NODE_B, s);
        gc_set_word(n, NODE_TAG, j);
        if (j == 0)
            *first = gc_value_of(n);
        else
            gc_set_field(m, gc_ref(prev), NODE_A, gc_value_of(n));
        prev = gc_value_of(n);
    }
    gc_set_field(m, gc_ref(prev), NODE_A, *first);
    gc_roots_restore(m, depth);
}

static void check_ring(conf_ctx *c, gc_value first, size_t k, size_t payload)
{
    gc_value v = first;
    for (size_t j = 0; j < k; j++) {
        CONF_ASSERT(c, gc_is_ref(v), "ring node %zu lost", j);
        gc_object *n = gc_ref(v);
        CONF_ASSERT(c, gc_words(n)[NODE_TAG] == j, "ring node %zu has tag %llu", j,
                    (unsigned long long)gc_words(n)[NODE_TAG]);
        gc_value s = gc_field(n, NODE_B);
        CONF_ASSERT(c, gc_is_ref(s) && gc_object_length(gc_ref(s)) == payload, "ring node %zu payload lost", j);
        v = gc_field(n, NODE_A);
    }
    CONF_ASSERT(c, v == first, "ring of %zu does not close on its first node", k);
}

CONF_PARAMS(cycles)
ParameterizedTest(conf_param *p, conformance, cycles)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    const size_t limit = 4u << 20;
    conf_open(c, p, limit, 11);
    if (!c->ops->reclaims_cycles) {
        conf_close(c);
        cr_skip_test("%s does not reclaim cycles (reclaims_cycles = false)", c->name);
    }
    uint64_t seed = conf_seed("conformance/cycles", c->name, c->mode);
    conf_rng r = {seed};

    gc_value ring = GC_NIL, pair = GC_NIL, tmp = GC_NIL;
    gc_root(c->m, &ring);
    gc_root(c->m, &pair);
    gc_root(c->m, &tmp);

    uint64_t total = stress ? (12u << 20) : (48u << 20);
    uint64_t start = gc_heap_allocated_bytes(c->h);
    uint32_t node = node_type();
    while (gc_heap_allocated_bytes(c->h) - start < total) {
        size_t k = (size_t)conf_rng_range(&r, 1, 20);
        size_t payload = (size_t)conf_rng_range(&r, 0, 400);
        build_ring(c, &ring, k, payload);
        check_ring(c, ring, k, payload);
        ring = GC_NIL; /* drop the ring */
        /* A pair pointing at each other, one through a ref array. */
        tmp = gc_value_of(gc_alloc_record(c->m, node));
        gc_object *arr = gc_alloc_ref_array(c->m, 3);
        gc_set_elem(c->m, arr, 1, tmp);
        gc_set_field(c->m, gc_ref(tmp), NODE_A, gc_value_of(arr));
        pair = gc_value_of(arr);
        tmp = GC_NIL;
        pair = GC_NIL;
    }

    /* A big rooted cycle: survives while rooted, goes when dropped. */
    const size_t k = 2000, payload = 400;
    build_ring(c, &ring, k, payload);
    gc_collect(c->m, GC_COLLECT_MAJOR);
    check_ring(c, ring, k, payload);
    uint64_t with = conf_heap_used(c);
    CONF_ASSERT(c, with >= k * gc_size_for(GC_KIND_BYTES, payload),
                "heap_used %llu is less than the live ring", (unsigned long long)with);
    ring = GC_NIL;
    gc_collect(c->m, GC_COLLECT_MAJOR);
    uint64_t without = conf_heap_used(c);
    /* A conservative collector may keep the ring through a stale word. */
    CONF_ASSERT(c, c->ops->conservative || without <= with / 4,
                "heap_used %llu -> %llu after dropping a %zu-node ring: cycle not reclaimed",
                (unsigned long long)with, (unsigned long long)without, k);
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- d. a long linked list survives ------------------------------------------------------ */

CONF_PARAMS(long_list)
ParameterizedTest(conf_param *p, conformance, long_list)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    /* STRESS: the verifier walks the whole list at every pause, so keep it
     * short and collect every 1000 allocations. */
    const uint64_t n = stress ? 20000 : 1000000;
    conf_open(c, p, stress ? (8u << 20) : (128u << 20), 1000);
    uint32_t lt = list_type();

    gc_value head = GC_NIL;
    gc_root(c->m, &head);
    for (uint64_t i = 0; i < n; i++) {
        gc_object *node = gc_alloc_record(c->m, lt);
        gc_set_field(c->m, node, LIST_NEXT, head);
        gc_set_word(node, LIST_PAYLOAD, i * 3 + 1);
        head = gc_value_of(node);
        if (i % 1024 == 0)
            gc_safepoint(c->m);
        if (!stress && i % 250000 == 249999)
            gc_collect(c->m, GC_COLLECT_MAJOR); /* deep structure under construction */
    }
    for (int round = 0; round < 3; round++) {
        gc_collect(c->m, GC_COLLECT_MAJOR);
        uint64_t count = 0;
        for (gc_value v = head; !gc_is_nil(v); v = gc_field(gc_ref(v), LIST_NEXT)) {
            CONF_ASSERT(c, gc_is_ref(v), "round %d: node %llu's link is not a reference", round,
                        (unsigned long long)count);
            CONF_ASSERT(c, count < n, "round %d: list longer than %llu", round, (unsigned long long)n);
            gc_object *node = gc_ref(v);
            uint64_t want = (n - 1 - count) * 3 + 1;
            CONF_ASSERT(c, gc_header_type(node->header) == lt && gc_words(node)[LIST_PAYLOAD] == want,
                        "round %d: node %llu has type %s payload %llu, want %llu", round,
                        (unsigned long long)count, kind_of(node),
                        (unsigned long long)gc_words(node)[LIST_PAYLOAD], (unsigned long long)want);
            count++;
        }
        CONF_ASSERT(c, count == n, "round %d: list has %llu nodes, want %llu", round,
                    (unsigned long long)count, (unsigned long long)n);
    }
    conf_close(c);
}

/* ---- e. strings and arrays of mixed sizes, large ones included -------------------------- */

enum { MIX_SLOTS = 64 };
typedef struct mix_expect {
    uint64_t id; /* 0: slot empty */
    int kind;    /* 0 bytes, 1 value array, 2 ref array */
    uint64_t len;
    size_t size;
} mix_expect;

static void check_sized(conf_ctx *c, gc_value slots, gc_value anchor, const mix_expect *ex,
                        const char *when)
{
    gc_object *arr = gc_ref(slots);
    for (size_t s = 0; s < MIX_SLOTS; s++) {
        gc_value v = gc_elem(arr, s);
        if (ex[s].id == 0) {
            CONF_ASSERT(c, gc_is_nil(v), "%s: slot %zu should be empty", when, s);
            continue;
        }
        CONF_ASSERT(c, gc_is_ref(v), "%s: slot %zu (object %llu) lost", when, s,
                    (unsigned long long)ex[s].id);
        gc_object *o = gc_ref(v);
        uint64_t id = ex[s].id, len = ex[s].len;
        static const uint32_t want_type[3] = {GC_TYPE_BYTES, GC_TYPE_VALUE_ARRAY, GC_TYPE_REF_ARRAY};
        CONF_ASSERT(c, gc_header_type(o->header) == want_type[ex[s].kind] && gc_object_length(o) == len,
                    "%s: slot %zu (object %llu) has type %s length %llu, want type %u length %llu", when,
                    s, (unsigned long long)id, kind_of(o), (unsigned long long)gc_object_length(o),
                    want_type[ex[s].kind], (unsigned long long)len);
        if (ex[s].kind == 0) {
            uint64_t bad = bad_byte(o, id);
            CONF_ASSERT(c, bad == UINT64_MAX, "%s: slot %zu (object %llu, %llu bytes): byte %llu corrupt",
                        when, s, (unsigned long long)id, (unsigned long long)len, (unsigned long long)bad);
        } else if (ex[s].kind == 1) {
            for (uint64_t k = 0; k < len; k++)
                CONF_ASSERT(c, gc_doubles(o)[k] == pattern_double(id, k),
                            "%s: slot %zu (object %llu, %llu doubles): element %llu corrupt", when, s,
                            (unsigned long long)id, (unsigned long long)len, (unsigned long long)k);
        } else {
            if (len > 0)
                CONF_ASSERT(c, gc_elem(o, 0) == anchor,
                            "%s: slot %zu (ref array %llu): element 0 is not the anchor string", when,
                            s, (unsigned long long)id);
            for (uint64_t k = 1; k < len; k++)
                CONF_ASSERT(c, gc_elem(o, k) == gc_int((int64_t)(id * 7 + k)),
                            "%s: slot %zu (ref array %llu of %llu): element %llu corrupt", when, s,
                            (unsigned long long)id, (unsigned long long)len, (unsigned long long)k);
        }
    }
    CONF_ASSERT(c, gc_is_ref(anchor) && gc_object_length(gc_ref(anchor)) == 6 &&
                       memcmp(gc_bytes(gc_ref(anchor)), "anchor", 6) == 0,
                "%s: anchor string corrupt", when);
}

CONF_PARAMS(mixed_sizes)
ParameterizedTest(conf_param *p, conformance, mixed_sizes)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 32u << 20, 5);
    uint64_t seed = conf_seed("conformance/mixed_sizes", c->name, c->mode);
    conf_rng r = {seed};
    const size_t budget = 6u << 20; /* live bytes kept at most */
    const int iterations = stress ? 600 : 4000;

    gc_value slots = GC_NIL, anchor = GC_NIL;
    gc_root(c->m, &slots);
    gc_root(c->m, &anchor);
    anchor = gc_value_of(gc_alloc_string(c->m, "anchor", 6));
    slots = gc_value_of(gc_alloc_ref_array(c->m, MIX_SLOTS));
    mix_expect ex[MIX_SLOTS];
    memset(ex, 0, sizeof ex);
    size_t live = 0;
    uint64_t next_id = 1;
    unsigned large = 0;

    for (int it = 0; it < iterations; it++) {
        size_t s = (size_t)(conf_rng_next(&r) % MIX_SLOTS);
        live -= ex[s].size;
        ex[s] = (mix_expect){0};
        gc_set_elem(c->m, gc_ref(slots), s, GC_NIL); /* drop the old one */
        if (conf_rng_next(&r) % 8 == 0)
            continue; /* leave the slot empty */
        uint64_t pick = conf_rng_next(&r) % 100;
        size_t payload = pick < 70   ? (size_t)conf_rng_range(&r, 0, 256)
                         : pick < 90 ? (size_t)conf_rng_range(&r, 257, GC_SMALL_MAX + 64)
                                     : (size_t)conf_rng_range(&r, GC_SMALL_MAX + 1, 1u << 20);
        int kind = (int)(conf_rng_next(&r) % 3);
        uint64_t len = kind == 0 ? payload : payload / 8;
        size_t size = gc_size_for(kind == 0 ? GC_KIND_BYTES : kind == 1 ? GC_KIND_VALUE_ARRAY
                                                                         : GC_KIND_REF_ARRAY,
                                  len);
        if (live + size > budget) {
            len = kind == 0 ? 100 : 12;
            size = gc_size_for(kind == 0 ? GC_KIND_BYTES : GC_KIND_VALUE_ARRAY, len);
        }
        if (size > GC_SMALL_MAX)
            large++;
        uint64_t id = next_id++;
        gc_object *o;
        if (kind == 0) {
            o = gc_alloc_bytes(c->m, len);
            fill_bytes(o, id);
        } else if (kind == 1) {
            o = gc_alloc_value_array(c->m, len);
            for (uint64_t k = 0; k < len; k++)
                gc_doubles(o)[k] = pattern_double(id, k);
        } else {
            o = gc_alloc_ref_array(c->m, len);
            if (len > 0)
                gc_set_elem(c->m, o, 0, anchor);
            for (uint64_t k = 1; k < len; k++)
                gc_set_elem(c->m, o, k, gc_int((int64_t)(id * 7 + k)));
        }
        gc_set_elem(c->m, gc_ref(slots), s, gc_value_of(o));
        ex[s] = (mix_expect){id, kind, len, size};
        live += size;
        /* Garbage of mixed sizes between the kept objects. */
        if (it % 4 == 0) {
            size_t g = (size_t)conf_rng_range(&r, 0, it % 16 == 0 ? (256u << 10) : 4096);
            gc_object *go = gc_alloc_bytes(c->m, g);
            memset(gc_bytes(go), 0x5a, g);
        }
        if (it % 100 == 99) {
            char when[64];
            snprintf(when, sizeof when, "iteration %d (seed %llu)", it, (unsigned long long)seed);
            check_sized(c, slots, anchor, ex, when);
            if (it % 300 == 299) {
                gc_collect(c->m, GC_COLLECT_MAJOR);
                snprintf(when, sizeof when, "iteration %d after gc_collect (seed %llu)", it,
                         (unsigned long long)seed);
                check_sized(c, slots, anchor, ex, when);
            }
        }
    }
    gc_collect(c->m, GC_COLLECT_MAJOR);
    check_sized(c, slots, anchor, ex, "at the end");
    CONF_ASSERT(c, large > 0, "no large object was allocated (seed %llu)", (unsigned long long)seed);
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- f. heap exhaustion ------------------------------------------------------------------- */

/* Keeps ~1 KiB nodes live in a rooted list until the heap runs out. */
static void exhaust(gc_mutator *m, gc_value *head, uint64_t max_nodes)
{
    uint32_t node = node_type();
    gc_value va = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &va);
    for (uint64_t i = 0; i < max_nodes; i++) {
        va = gc_value_of(gc_alloc_value_array(m, 126));
        gc_doubles(gc_ref(va))[0] = (double)i;
        gc_object *n = gc_alloc_record(m, node);
        gc_set_field(m, n, NODE_A, *head);
        gc_set_field(m, n, NODE_B, va);
        gc_set_word(n, NODE_TAG, i);
        *head = gc_value_of(n);
    }
    gc_roots_restore(m, depth);
}

CONF_PARAMS(exhaustion_exits)
ParameterizedTest(conf_param *p, conformance, exhaustion_exits, .exit_code = GC_EXIT_HEAP_EXHAUSTED)
{
    conf_ctx ctx_, *c = &ctx_;
    conf_open(c, p, 1u << 20, 50);
    conf_expect_exit();
    gc_value head = GC_NIL;
    gc_root(c->m, &head);
    exhaust(c->m, &head, 100000); /* 200 MB of live data: must exhaust a 1 MiB heap */
    CONF_ASSERT(c, false, "200 MB of live data fit in a 1 MiB heap");
}

/* The default handler's message, checked from a forked child whose stderr
 * goes to a pipe. */
CONF_PARAMS(exhaustion_message)
ParameterizedTest(conf_param *p, conformance, exhaustion_message)
{
    const gc_collector_ops *ops = conf_param_collector(p);
    const char *mode = conf_mode_name(p->mode);
    int fds[2];
    cr_assert(pipe(fds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        gc_config cfg = {.heap_limit = 1u << 20};
        if (p->mode == CONF_STRESS) {
            cfg.stress = 50;
            cfg.verify = true;
        }
        gc_heap *h = gc_heap_create(ops->name, &cfg, NULL, 0);
        if (!h)
            _exit(97);
        gc_mutator *m = gc_mutator_attach(h);
        if (!m)
            _exit(98);
        gc_value head = GC_NIL;
        gc_root(m, &head);
        exhaust(m, &head, 100000);
        _exit(99);
    }
    close(fds[1]);
    char buf[4096];
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fds[0], buf + got, sizeof buf - 1 - got);
        if (k <= 0)
            break;
        got += (size_t)k;
        if (got == sizeof buf - 1)
            break;
    }
    buf[got] = 0;
    close(fds[0]);
    int status = 0;
    cr_assert(waitpid(pid, &status, 0) == pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == GC_EXIT_HEAP_EXHAUSTED,
              "%s/%s: exhausting the heap ended with %s %d, want exit code %d; stderr: %s", ops->name,
              mode, WIFEXITED(status) ? "exit code" : "signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), GC_EXIT_HEAP_EXHAUSTED, buf);
    cr_assert(strstr(buf, "heap exhausted") != NULL, "%s/%s: no \"heap exhausted\" message; stderr: %s",
              ops->name, mode, buf);
    cr_assert(strstr(buf, ops->name) != NULL, "%s/%s: the message does not name the collector: %s",
              ops->name, mode, buf);
}

/* A handler that records its arguments and longjmps back. Static storage:
 * these survive the longjmp. */
static struct {
    jmp_buf jb;
    int calls;
    size_t request;
    gc_heap *heap;
    void *data;
} exh;
static gc_value exh_head = GC_NIL;
static volatile uint64_t exh_count;

static void recording_handler(gc_heap *h, size_t request, void *data)
{
    exh.calls++;
    exh.request = request;
    exh.heap = h;
    exh.data = data;
    longjmp(exh.jb, 1);
}

enum { EXH_NODE_LEN = 1000 }; /* ref array of 1000: 8008 bytes */

CONF_PARAMS(exhaustion_handler)
ParameterizedTest(conf_param *p, conformance, exhaustion_handler)
{
    static conf_ctx ctx_; /* static: used after longjmp */
    conf_ctx *const c = &ctx_;
    static int marker;
    const size_t limit = 1u << 20;
    conf_open(c, p, limit, 50);
    gc_heap_set_exhausted_handler(c->h, recording_handler, &marker);
    gc_root(c->m, &exh_head);

    /* 1. A single request larger than the whole heap. */
    const uint64_t big = 4u << 20;
    if (setjmp(exh.jb) == 0) {
        gc_alloc_bytes(c->m, big);
        CONF_ASSERT(c, false, "a %llu-byte allocation succeeded in a %zu-byte heap",
                    (unsigned long long)big, limit);
    }
    CONF_ASSERT(c, exh.calls == 1, "handler called %d times", exh.calls);
    CONF_ASSERT(c, exh.request == gc_size_for(GC_KIND_BYTES, big),
                "handler got request %zu, want %zu (the object size)", exh.request,
                gc_size_for(GC_KIND_BYTES, big));
    CONF_ASSERT(c, exh.heap == c->h && exh.data == &marker, "handler got the wrong heap or data");

    /* 2. Live data filling the heap, 8008 bytes at a time. */
    exh_count = 0;
    if (setjmp(exh.jb) == 0) {
        for (;;) {
            gc_object *n = gc_alloc_ref_array(c->m, EXH_NODE_LEN);
            gc_set_elem(c->m, n, 0, exh_head);
            gc_set_elem(c->m, n, 1, gc_int((int64_t)exh_count));
            exh_head = gc_value_of(n);
            exh_count++;
            CONF_ASSERT(c, exh_count < 10000, "80 MB of live data fit in a %zu-byte heap", limit);
        }
    }
    const size_t node_bytes = gc_size_for(GC_KIND_REF_ARRAY, EXH_NODE_LEN);
    CONF_ASSERT(c, exh.calls == 2, "handler called %d times", exh.calls);
    CONF_ASSERT(c, exh.request == node_bytes, "handler got request %zu, want %zu", exh.request,
                node_bytes);
    CONF_ASSERT(c, exh_count * node_bytes >= limit / 4,
                "exhausted with only %llu bytes live in a %zu-byte heap",
                (unsigned long long)(exh_count * node_bytes), limit);

    /* 3. The heap is still consistent: the list is intact, and after dropping
     * it the heap is usable again. */
    conf_verify(c, "after exhaustion");
    uint64_t count = 0;
    for (gc_value v = exh_head; !gc_is_nil(v); v = gc_elem(gc_ref(v), 0)) {
        CONF_ASSERT(c, gc_elem(gc_ref(v), 1) == gc_int((int64_t)(exh_count - 1 - count)),
                    "list node %llu corrupt after exhaustion", (unsigned long long)count);
        count++;
    }
    CONF_ASSERT(c, count == exh_count, "list has %llu nodes after exhaustion, want %llu",
                (unsigned long long)count, (unsigned long long)exh_count);
    exh_head = GC_NIL;
    gc_collect(c->m, GC_COLLECT_MAJOR);
    if (c->ops->conservative) { /* the dropped list may be kept by a stale word */
        conf_close(c);
        return;
    }
    for (int i = 0; i < 50; i++) {
        gc_object *n = gc_alloc_ref_array(c->m, EXH_NODE_LEN);
        gc_set_elem(c->m, n, 0, exh_head);
        exh_head = gc_value_of(n);
    }
    CONF_ASSERT(c, exh.calls == 2, "handler called again after the heap was freed");
    conf_close(c);
}

/* ---- g. identity is preserved ------------------------------------------------------------- */

CONF_PARAMS(identity)
ParameterizedTest(conf_param *p, conformance, identity)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 4u << 20, 1);
    conf_rng r = {0x5eed0007};
    uint32_t node = node_type();

    gc_value r1 = GC_NIL, r2 = GC_NIL, holder = GC_NIL, arr = GC_NIL;
    gc_root(c->m, &r1);
    gc_root(c->m, &r2);
    gc_root(c->m, &holder);
    gc_root(c->m, &arr);
    r1 = gc_value_of(gc_alloc_record(c->m, node));
    gc_set_word(gc_ref(r1), NODE_TAG, 0x1d);
    gc_set_field(c->m, gc_ref(r1), NODE_A, r1); /* self-loop */
    r2 = r1;
    holder = gc_value_of(gc_alloc_record(c->m, node));
    gc_set_field(c->m, gc_ref(holder), NODE_B, r1);
    arr = gc_value_of(gc_alloc_ref_array(c->m, 4));
    gc_set_elem(c->m, gc_ref(arr), 0, r2);
    gc_set_elem(c->m, gc_ref(arr), 3, r1);
    gc_set_elem(c->m, gc_ref(arr), 2, holder);

    for (int round = 0; round < 6; round++) {
        make_garbage(c, &r, stress ? (64u << 10) : (1u << 20), 256);
        if (round % 2 == 0)
            gc_collect(c->m, GC_COLLECT_MAJOR);
        gc_object *x = gc_ref(r1);
        CONF_ASSERT(c, r1 == r2, "round %d: the two roots disagree (%p vs %p)", round, (void *)r1,
                    (void *)r2);
        CONF_ASSERT(c, gc_field(gc_ref(holder), NODE_B) == r1,
                    "round %d: the holder's field does not point at the rooted object", round);
        CONF_ASSERT(c, gc_elem(gc_ref(arr), 0) == r1 && gc_elem(gc_ref(arr), 3) == r1,
                    "round %d: the array's elements do not point at the rooted object", round);
        CONF_ASSERT(c, gc_elem(gc_ref(arr), 2) == holder, "round %d: array[2] is not the holder", round);
        CONF_ASSERT(c, gc_field(x, NODE_A) == r1, "round %d: the self-loop does not point at itself",
                    round);
        CONF_ASSERT(c, gc_words(x)[NODE_TAG] == 0x1d, "round %d: tag corrupt", round);
    }
    conf_close(c);
}

/* ---- h. stores through the write barrier after collections ------------------------------ */

CONF_PARAMS(write_barrier)
ParameterizedTest(conf_param *p, conformance, write_barrier)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 8u << 20, 5);
    uint32_t node = node_type();
    enum { N = 512 };

    gc_value arr = GC_NIL, rec = GC_NIL, tmp = GC_NIL;
    gc_root(c->m, &arr);
    gc_root(c->m, &rec);
    gc_root(c->m, &tmp);
    arr = gc_value_of(gc_alloc_ref_array(c->m, N));
    rec = gc_value_of(gc_alloc_record(c->m, node));
    /* Make the holders old. */
    gc_collect(c->m, GC_COLLECT_MAJOR);
    gc_collect(c->m, GC_COLLECT_MAJOR);

    const int rounds = 4;
    for (int round = 0; round < rounds; round++) {
        for (uint64_t i = 0; i < N; i++) {
            /* A young object reachable only from the old array. */
            gc_object *va = gc_alloc_value_array(c->m, 2);
            gc_doubles(va)[0] = round;
            gc_doubles(va)[1] = (double)i;
            if (i % 7 == 3) {
                gc_set_elem(c->m, gc_ref(arr), i, GC_NIL);
            } else {
                gc_set_elem(c->m, gc_ref(arr), i, gc_value_of(va));
            }
            if (i % 64 == 0) {
                /* Old record -> young record -> younger string. */
                tmp = gc_value_of(gc_alloc_record(c->m, node));
                gc_set_word(gc_ref(tmp), NODE_TAG, (uint64_t)round * 1000 + i);
                gc_set_field(c->m, gc_ref(rec), NODE_A, tmp);
                gc_object *s = gc_alloc_bytes(c->m, 40);
                fill_bytes(s, (uint64_t)round * 1000 + i);
                gc_set_field(c->m, gc_ref(tmp), NODE_B, gc_value_of(s));
                gc_set_field(c->m, gc_ref(rec), NODE_B, arr); /* old -> old */
                tmp = GC_NIL;
            }
            /* Allocation pressure so that allocation-triggered (minor)
             * collections happen between the stores. */
            gc_object *g = gc_alloc_bytes(c->m, stress ? 512 : 4000);
            gc_bytes(g)[0] = 1;
        }
        if (round % 2 == 1)
            gc_collect(c->m, GC_COLLECT_MAJOR);
        make_garbage(c, &(conf_rng){0x5eed0008u + (unsigned)round}, stress ? (64u << 10) : (2u << 20),
                     1024);
        gc_object *a = gc_ref(arr);
        for (uint64_t i = 0; i < N; i++) {
            gc_value v = gc_elem(a, i);
            if (i % 7 == 3) {
                CONF_ASSERT(c, gc_is_nil(v), "round %d: arr[%llu] should be nil", round,
                            (unsigned long long)i);
                continue;
            }
            CONF_ASSERT(c, gc_is_ref(v), "round %d: arr[%llu] lost", round, (unsigned long long)i);
            gc_object *va = gc_ref(v);
            CONF_ASSERT(c, gc_header_type(va->header) == GC_TYPE_VALUE_ARRAY &&
                                gc_doubles(va)[0] == round && gc_doubles(va)[1] == (double)i,
                        "round %d: arr[%llu] holds a %s with wrong contents: the store was lost",
                        round, (unsigned long long)i, kind_of(va));
        }
        gc_object *rr = gc_ref(rec);
        uint64_t last = (uint64_t)round * 1000 + (N - 1) / 64 * 64;
        CONF_ASSERT(c, gc_field(rr, NODE_B) == arr, "round %d: rec.B is not the array", round);
        gc_value y = gc_field(rr, NODE_A);
        CONF_ASSERT(c, gc_is_ref(y) && gc_words(gc_ref(y))[NODE_TAG] == last,
                    "round %d: rec.A lost its young record", round);
        gc_value s = gc_field(gc_ref(y), NODE_B);
        CONF_ASSERT(c, gc_is_ref(s) && gc_object_length(gc_ref(s)) == 40 &&
                            bad_byte(gc_ref(s), last) == UINT64_MAX,
                    "round %d: the young record's string was lost", round);
    }
    gc_heap_stats st;
    gc_heap_get_stats(c->h, &st);
    CONF_ASSERT(c, st.collections >= 4, "only %llu collections", (unsigned long long)st.collections);
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- i. explicit collections and the pause log ------------------------------------------- */

static struct {
    uint64_t calls;
    uint64_t last_seq;
    bool out_of_order;
} pause_listen;

static void count_pause(void *data, const gc_pause *pz)
{
    (void)data;
    pause_listen.calls++;
    if (pz->seq != pause_listen.last_seq + 1)
        pause_listen.out_of_order = true;
    pause_listen.last_seq = pz->seq;
}

static bool tracing_full(gc_pause_kind k) { return k == GC_PAUSE_FULL || k == GC_PAUSE_MAJOR; }

CONF_PARAMS(pauses)
ParameterizedTest(conf_param *p, conformance, pauses)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 8u << 20, 7);
    gc_event_listener l = {count_pause, NULL};
    gc_heap_set_listener(c->h, &l);
    conf_rng r = {0x5eed0009};
    uint64_t expect_bytes = 0, expect_objects = 0;

    gc_value keep = GC_NIL;
    gc_root(c->m, &keep);
    uint64_t before_objects = c->m->allocated_objects;
    build_mix(c, &keep, 300);
    expect_objects += c->m->allocated_objects - before_objects;
    expect_bytes = c->m->allocated_bytes; /* cross-checked below via make_garbage's own count */
    uint64_t g = make_garbage(c, &r, stress ? (256u << 10) : (3u << 20), 512);
    expect_bytes += g;

    size_t explicit_want = 0;
    for (int k = 0; k < 6; k++) {
        gc_heap_stats s0, s1;
        gc_heap_get_stats(c->h, &s0);
        gc_collect(c->m, GC_COLLECT_MAJOR);
        gc_heap_get_stats(c->h, &s1);
        /* "Records at least one pause" (a refcount major may record a
         * reclamation and a cycle collection). */
        CONF_ASSERT(c, s1.npauses > s0.npauses && s1.collections == s0.collections + (s1.npauses - s0.npauses),
                    "collection %d: npauses %zu -> %zu, collections %llu -> %llu (want at least +1, "
                    "the same for both)", k, s0.npauses, s1.npauses, (unsigned long long)s0.collections,
                    (unsigned long long)s1.collections);
        explicit_want += s1.npauses - s0.npauses;
        for (size_t q = s0.npauses; q < s1.npauses; q++) {
            const gc_pause *pz = &s1.pauses[q];
            CONF_ASSERT(c, pz->seq == q + 1, "collection %d: seq %llu, want %zu", k,
                        (unsigned long long)pz->seq, q + 1);
            CONF_ASSERT(c, pz->reason == GC_REASON_EXPLICIT, "collection %d: reason %s, want explicit", k,
                        gc_reason_name(pz->reason));
            CONF_ASSERT(c, pz->duration_ns > 0, "collection %d: zero duration", k);
            if (tracing_full(pz->kind))
                CONF_ASSERT(c, pz->heap_after <= pz->heap_before,
                            "collection %d (%s): heap grew from %llu to %llu", k,
                            gc_pause_kind_name(pz->kind), (unsigned long long)pz->heap_before,
                            (unsigned long long)pz->heap_after);
        }
        if (k > 0)
            CONF_ASSERT(c, s1.heap_used_bytes <= s0.heap_used_bytes,
                        "collection %d with no allocation since the last: heap_used %llu -> %llu", k,
                        (unsigned long long)s0.heap_used_bytes, (unsigned long long)s1.heap_used_bytes);
        check_mix(c, keep, 300, "between explicit collections");
    }

    gc_heap_finish(c->h);
    gc_heap_stats st;
    gc_heap_get_stats(c->h, &st);
    uint64_t now = uv_hrtime() - gc_heap_epoch(c->h);
    CONF_ASSERT(c, st.allocated_objects >= expect_objects && st.allocated_bytes == expect_bytes,
                "allocated_bytes %llu, want %llu (objects %llu, want >= %llu)",
                (unsigned long long)st.allocated_bytes, (unsigned long long)expect_bytes,
                (unsigned long long)st.allocated_objects, (unsigned long long)expect_objects);
    CONF_ASSERT(c, st.allocated_bytes == c->m->allocated_bytes, "stats and mutator disagree");
    CONF_ASSERT(c, st.collections == st.npauses, "collections %llu != npauses %zu",
                (unsigned long long)st.collections, st.npauses);
    uint64_t by_kind = 0;
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++)
        by_kind += st.collections_by_kind[k];
    CONF_ASSERT(c, by_kind == st.collections, "collections_by_kind sums to %llu, want %llu",
                (unsigned long long)by_kind, (unsigned long long)st.collections);
    CONF_ASSERT(c, pause_listen.calls == st.npauses && !pause_listen.out_of_order,
                "listener saw %llu pauses (in order: %s), log has %zu", (unsigned long long)pause_listen.calls,
                pause_listen.out_of_order ? "no" : "yes", st.npauses);
    CONF_ASSERT(c, st.peak_heap_bytes >= st.heap_used_bytes, "peak below current");
    unsigned nphases = gc_heap_nphases(c->h);
    CONF_ASSERT(c, nphases <= GC_MAX_PHASES, "%u phases declared, at most %d", nphases, GC_MAX_PHASES);
    for (unsigned q = 0; q < nphases; q++) {
        const char *pn = gc_heap_phase_name(c->h, q);
        CONF_ASSERT(c, pn != NULL && *pn, "phase %u has no name", q);
        for (unsigned q2 = 0; q2 < q; q2++)
            CONF_ASSERT(c, strcmp(pn, gc_heap_phase_name(c->h, q2)) != 0, "phases %u and %u are both %s",
                        q2, q, pn);
    }
    size_t explicit_n = 0, stress_n = 0;
    for (size_t i = 0; i < st.npauses; i++) {
        const gc_pause *pz = &st.pauses[i];
        CONF_ASSERT(c, pz->seq == i + 1, "pause %zu has seq %llu", i, (unsigned long long)pz->seq);
        CONF_ASSERT(c, (unsigned)pz->kind < GC_PAUSE_KIND_COUNT && (unsigned)pz->reason < GC_REASON_COUNT,
                    "pause %zu: kind %d reason %d out of range", i, (int)pz->kind, (int)pz->reason);
        CONF_ASSERT(c, pz->duration_ns > 0, "pause %zu: zero duration", i);
        uint64_t phases = pz->other_ns;
        for (unsigned q = 0; q < GC_MAX_PHASES; q++) {
            phases += pz->phase_ns[q];
            CONF_ASSERT(c, q < nphases || pz->phase_ns[q] == 0,
                        "pause %zu: %llu ns in phase %u, but the collector declares %u phases", i,
                        (unsigned long long)pz->phase_ns[q], q, nphases);
        }
        CONF_ASSERT(c, phases == pz->duration_ns,
                    "pause %zu: phases and other_ns sum to %llu ns, duration %llu ns", i,
                    (unsigned long long)phases, (unsigned long long)pz->duration_ns);
        if (i > 0) {
            const gc_pause *pv = &st.pauses[i - 1];
            CONF_ASSERT(c, pz->start_ns >= pv->start_ns + pv->duration_ns,
                        "pause %zu starts at %llu ns, before pause %zu ended (%llu + %llu)", i,
                        (unsigned long long)pz->start_ns, i - 1, (unsigned long long)pv->start_ns,
                        (unsigned long long)pv->duration_ns);
        }
        CONF_ASSERT(c, pz->start_ns + pz->duration_ns <= now, "pause %zu ends in the future", i);
        CONF_ASSERT(c, st.peak_heap_bytes >= pz->heap_before,
                    "peak %llu below pause %zu's heap_before %llu", (unsigned long long)st.peak_heap_bytes,
                    i, (unsigned long long)pz->heap_before);
        explicit_n += pz->reason == GC_REASON_EXPLICIT;
        stress_n += pz->reason == GC_REASON_STRESS;
    }
    CONF_ASSERT(c, explicit_n == explicit_want, "%zu explicit pauses, want %zu (from 6 gc_collect calls)",
                explicit_n, explicit_want);
    if (stress)
        CONF_ASSERT(c, stress_n > 0, "stress mode (every %llu allocations) recorded no stress pause",
                    (unsigned long long)c->cfg.stress);
    conf_close(c);
}

/* ---- fresh objects: header and zeroed payload, also in reused memory -------------------- */

static void check_fresh(conf_ctx *c, gc_object *o, uint32_t type, uint64_t len, const char *what)
{
    CONF_ASSERT(c, gc_header_valid(o->header) && gc_header_type(o->header) == type &&
                       gc_object_length(o) == len,
                "fresh %s: header %#llx (type %u length %llu), want type %u length %llu", what,
                (unsigned long long)o->header, gc_header_type(o->header),
                (unsigned long long)gc_object_length(o), type, (unsigned long long)len);
    CONF_ASSERT(c, ((uintptr_t)o & (GC_GRANULE - 1)) == 0, "fresh %s at misaligned %p", what, (void *)o);
    size_t words = (gc_object_size(o) - GC_HEADER_BYTES) / 8;
    for (size_t i = 0; i < words; i++)
        CONF_ASSERT(c, gc_words(o)[i] == 0, "fresh %s of length %llu: word %zu is %#llx, not zero", what,
                    (unsigned long long)len, i, (unsigned long long)gc_words(o)[i]);
}

CONF_PARAMS(fresh_objects)
ParameterizedTest(conf_param *p, conformance, fresh_objects)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 4u << 20, 3);
    conf_rng r = {0x5eed000b};
    uint32_t node = node_type();
    for (int round = 0; round < (stress ? 2 : 4); round++) {
        /* Garbage filled with non-zero words, reclaimed, then reused; large
         * objects too (the large-object space hands out memory it says is
         * zero, m->slow_zeroed, so core does not zero it). */
        make_garbage(c, &r, 2u << 20, 4096);
        for (int k = 0; k < 4; k++) {
            gc_object *big = gc_alloc_value_array(c->m, 20000 + 5000 * (uint64_t)k);
            for (uint64_t w = 0; w < gc_object_length(big); w++)
                gc_set_word(big, w, UINT64_C(0xdeadbeefdeadbeef));
        }
        gc_collect(c->m, GC_COLLECT_MAJOR);
        for (uint64_t len = 0; len < 300; len++) {
            check_fresh(c, gc_alloc_bytes(c->m, len * 3), GC_TYPE_BYTES, len * 3, "byte string");
            check_fresh(c, gc_alloc_value_array(c->m, len), GC_TYPE_VALUE_ARRAY, len, "value array");
            check_fresh(c, gc_alloc_ref_array(c->m, len), GC_TYPE_REF_ARRAY, len, "ref array");
            check_fresh(c, gc_alloc_record(c->m, node), node, 3, "record");
        }
        for (int k = 0; k < 4; k++)
            check_fresh(c, gc_alloc_ref_array(c->m, 20000 + 5000 * (uint64_t)k), GC_TYPE_REF_ARRAY,
                        20000 + 5000 * (uint64_t)k, "large ref array");
        check_fresh(c, gc_alloc_bytes(c->m, 100000), GC_TYPE_BYTES, 100000, "large byte string");
        gc_object *s = gc_alloc_string(c->m, "hello, gc", 9);
        CONF_ASSERT(c, gc_object_length(s) == 9 && memcmp(gc_bytes(s), "hello, gc", 9) == 0,
                    "gc_alloc_string did not copy its argument");
    }
    conf_close(c);
}

/* ---- j. global roots, root scanners, root stack depth ------------------------------------ */

typedef struct scan_roots {
    gc_value slots[3];
    int calls;
} scan_roots;

static void scan_fn(void *data, gc_visit_fn visit, void *vctx)
{
    scan_roots *s = data;
    s->calls++;
    for (int i = 0; i < 3; i++)
        if (gc_is_ref(s->slots[i]))
            visit(&s->slots[i], vctx);
}

CONF_PARAMS(roots)
ParameterizedTest(conf_param *p, conformance, roots)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 8u << 20, 5);
    conf_rng r = {0x5eed000a};
    const uint64_t big = 1u << 20;

    /* A global root outlives the root stack. */
    static gc_value global = GC_NIL;
    global = gc_value_of(gc_alloc_bytes(c->m, big));
    fill_bytes(gc_ref(global), 77);
    gc_heap_add_root(c->h, &global);

    /* A root scanner (like the VM's registers). */
    static scan_roots sr;
    memset(&sr, 0, sizeof sr);
    gc_mutator_add_root_scanner(c->m, scan_fn, &sr);
    for (int i = 0; i < 3; i++) {
        gc_object *o = gc_alloc_value_array(c->m, 3);
        gc_doubles(o)[0] = 1000.0 + i;
        sr.slots[i] = gc_value_of(o);
    }
    sr.slots[1] = gc_int(5); /* an immediate the scanner must skip */

    /* Slots above a saved depth are popped by gc_roots_restore. */
    size_t depth = gc_roots_save(c->m);
    gc_value popped = GC_NIL;
    gc_root(c->m, &popped);
    popped = gc_value_of(gc_alloc_bytes(c->m, big));
    gc_roots_restore(c->m, depth);
    CONF_ASSERT(c, gc_roots_save(c->m) == depth, "roots_restore did not restore the depth");
    popped = GC_NIL; /* the object is unreachable now */

    for (int round = 0; round < 3; round++) {
        make_garbage(c, &r, stress ? (128u << 10) : (2u << 20), 1024);
        gc_collect(c->m, GC_COLLECT_MAJOR);
        CONF_ASSERT(c, gc_is_ref(global) && gc_object_length(gc_ref(global)) == big &&
                            bad_byte(gc_ref(global), 77) == UINT64_MAX,
                    "round %d: object held by a global root lost or corrupt", round);
        CONF_ASSERT(c, sr.calls > 0, "the root scanner was never called");
        CONF_ASSERT(c, sr.slots[1] == gc_int(5), "the scanner's immediate changed");
        for (int i = 0; i < 3; i += 2) {
            CONF_ASSERT(c, gc_is_ref(sr.slots[i]), "round %d: scanner slot %d lost", round, i);
            gc_object *o = gc_ref(sr.slots[i]);
            CONF_ASSERT(c, gc_header_type(o->header) == GC_TYPE_VALUE_ARRAY &&
                                gc_doubles(o)[0] == 1000.0 + i,
                        "round %d: object held by scanner slot %d corrupt", round, i);
        }
    }
    /* Only the 1 MiB global object is big now; dropping the global root
     * must free it. */
    uint64_t with = conf_heap_used(c);
    CONF_ASSERT(c, with >= big, "heap_used %llu below the live 1 MiB object", (unsigned long long)with);
    CONF_ASSERT(c, c->ops->conservative || with < 2 * big,
                "heap_used %llu: the popped 1 MiB object was not reclaimed", (unsigned long long)with);
    gc_heap_remove_root(c->h, &global);
    global = GC_NIL;
    gc_mutator_remove_root_scanner(c->m, scan_fn, &sr);
    memset(&sr, 0, sizeof sr);
    gc_collect(c->m, GC_COLLECT_MAJOR);
    uint64_t without = conf_heap_used(c);
    CONF_ASSERT(c, c->ops->conservative || without + big / 2 <= with,
                "heap_used %llu -> %llu after removing the global root of a 1 MiB object",
                (unsigned long long)with, (unsigned long long)without);
    CONF_ASSERT(c, sr.calls == 0, "a removed root scanner was called");
    conf_close(c);
}

/* ---- k. a root slot registered more than once ------------------------------------------ */

/* A scanner that visits its one slot twice per scan. */
static void scan_twice(void *data, gc_visit_fn visit, void *vctx)
{
    gc_value *slot = data;
    visit(slot, vctx);
    visit(slot, vctx);
}

/* A ConfNode {A = a string "dup-<id>", B = int id, TAG = id}. */
static gc_value dup_node(conf_ctx *c, gc_value *tmp, uint64_t id)
{
    uint32_t node = node_type();
    char buf[32];
    int len = snprintf(buf, sizeof buf, "dup-%llu", (unsigned long long)id);
    *tmp = gc_value_of(gc_alloc_string(c->m, buf, (size_t)len));
    gc_object *o = gc_alloc_record(c->m, node);
    gc_set_field(c->m, o, NODE_A, *tmp);
    gc_set_field(c->m, o, NODE_B, gc_int((int64_t)id));
    gc_set_word(o, NODE_TAG, id);
    *tmp = GC_NIL;
    return gc_value_of(o);
}

static void check_dup_node(conf_ctx *c, gc_value v, uint64_t id, const char *what, int round)
{
    CONF_ASSERT(c, gc_is_ref(v), "round %d: %s lost (%#lx)", round, what, (unsigned long)v);
    gc_object *o = gc_ref(v);
    CONF_ASSERT(c, gc_header_valid(o->header) && gc_header_type(o->header) == node_type(),
                "round %d: %s %p is not a ConfNode (header %#llx): a root visited twice was "
                "forwarded twice?", round, what, (void *)o, (unsigned long long)o->header);
    CONF_ASSERT(c, gc_words(o)[NODE_TAG] == id && gc_field(o, NODE_B) == gc_int((int64_t)id),
                "round %d: %s has tag %llu, want %llu", round, what,
                (unsigned long long)gc_words(o)[NODE_TAG], (unsigned long long)id);
    char buf[32];
    int len = snprintf(buf, sizeof buf, "dup-%llu", (unsigned long long)id);
    gc_value s = gc_field(o, NODE_A);
    CONF_ASSERT(c, gc_is_ref(s) && gc_header_type(gc_ref(s)->header) == GC_TYPE_BYTES &&
                       gc_object_length(gc_ref(s)) == (uint64_t)len &&
                       memcmp(gc_bytes(gc_ref(s)), buf, (size_t)len) == 0,
                "round %d: %s's string is not \"%s\"", round, what, buf);
}

/* The same slot registered twice on the root stack, a global root that is
 * also on the root stack, and a scanner that visits its slot twice: after
 * every collection each slot holds its object (the one the other paths to
 * it see), intact. A moving collector that forwards such a slot twice
 * (taking the to-space address for a from-space one) fails here. */
CONF_PARAMS(duplicate_root)
ParameterizedTest(conf_param *p, conformance, duplicate_root)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 4u << 20, 2);
    conf_rng r = {0x5eed000c};
    static gc_value both = GC_NIL; /* global root and root-stack slot */
    static gc_value scanned = GC_NIL;
    gc_value twice = GC_NIL, holder = GC_NIL, tmp = GC_NIL;
    gc_root(c->m, &holder);
    gc_root(c->m, &tmp);
    /* Garbage first, so that a compacting collector has to move what follows. */
    make_garbage(c, &r, stress ? (32u << 10) : (256u << 10), 256);
    holder = gc_value_of(gc_alloc_ref_array(c->m, 6));
    gc_root(c->m, &twice);
    gc_root(c->m, &twice);
    twice = dup_node(c, &tmp, 1);
    gc_set_elem(c->m, gc_ref(holder), 0, twice);
    gc_set_elem(c->m, gc_ref(holder), 1, twice);
    make_garbage(c, &r, 4096, 64);
    both = dup_node(c, &tmp, 2);
    gc_root(c->m, &both);
    gc_heap_add_root(c->h, &both);
    gc_set_elem(c->m, gc_ref(holder), 2, both);
    make_garbage(c, &r, 4096, 64);
    scanned = dup_node(c, &tmp, 3);
    gc_mutator_add_root_scanner(c->m, scan_twice, &scanned);
    gc_set_elem(c->m, gc_ref(holder), 3, scanned);
    /* The three also reachable from each other, so that a collector may
     * reach them through a field before or after the roots. */
    gc_set_field(c->m, gc_ref(both), NODE_A, twice); /* drops both's string */
    tmp = gc_value_of(gc_alloc_string(c->m, "dup-2", 5));
    gc_set_elem(c->m, gc_ref(holder), 4, tmp);
    tmp = GC_NIL;
    gc_set_field(c->m, gc_ref(both), NODE_A, gc_elem(gc_ref(holder), 4));

    static const gc_collection_kind kinds[] = {GC_COLLECT_MAJOR, GC_COLLECT_ANY, GC_COLLECT_MINOR};
    for (int round = 0; round < 6; round++) {
        make_garbage(c, &r, stress ? (64u << 10) : (1u << 20), 256);
        gc_collect(c->m, kinds[round % 3]);
        check_dup_node(c, twice, 1, "the object in a slot rooted twice", round);
        check_dup_node(c, both, 2, "the object in a slot that is a global and a stack root", round);
        check_dup_node(c, scanned, 3, "the object in a slot a scanner visits twice", round);
        gc_object *hd = gc_ref(holder);
        CONF_ASSERT(c, gc_elem(hd, 0) == twice && gc_elem(hd, 1) == twice,
                    "round %d: the slot rooted twice holds %p, fields of another object %p and %p",
                    round, (void *)twice, (void *)gc_elem(hd, 0), (void *)gc_elem(hd, 1));
        CONF_ASSERT(c, gc_elem(hd, 2) == both,
                    "round %d: the global+stack root holds %p, a field %p", round, (void *)both,
                    (void *)gc_elem(hd, 2));
        CONF_ASSERT(c, gc_elem(hd, 3) == scanned,
                    "round %d: the slot scanned twice holds %p, a field %p", round, (void *)scanned,
                    (void *)gc_elem(hd, 3));
        CONF_ASSERT(c, gc_field(gc_ref(both), NODE_A) == gc_elem(hd, 4),
                    "round %d: both.A and holder[4] differ", round);
        /* Keep mutating through the twice-rooted slot. */
        twice = dup_node(c, &tmp, 1);
        gc_set_elem(c->m, gc_ref(holder), 0, twice);
        gc_set_elem(c->m, gc_ref(holder), 1, twice);
    }
    conf_verify(c, "at the end");
    gc_mutator_remove_root_scanner(c->m, scan_twice, &scanned);
    gc_heap_remove_root(c->h, &both);
    both = scanned = GC_NIL;
    conf_close(c);
}

/* ---- l. large objects whose slots point at small objects that move ------------------------ */

enum { LREF_N = 3000 }; /* a ref array of 24,008 bytes: larger than GC_SMALL_MAX */

/* What element i of the large array holds in generation g:
 *   i % 11 == 10  nil;   i % 11 == 9  the int i*3+g;
 *   i % 11 == 8   the same object as element i-1;
 *   else          a ConfNode {A = string of 8+(i%40) pattern bytes (id), B = int id, TAG = id}
 * with id = g*100000 + i. */
static uint64_t lref_id(int g, uint64_t i) { return (uint64_t)g * 100000u + i; }

static void lref_set(conf_ctx *c, gc_value *big, gc_value *tmp, int g, uint64_t i)
{
    uint32_t node = node_type();
    if (i % 11 == 10) {
        gc_set_elem(c->m, gc_ref(*big), i, GC_NIL);
    } else if (i % 11 == 9) {
        gc_set_elem(c->m, gc_ref(*big), i, gc_int((int64_t)(i * 3 + (uint64_t)g)));
    } else if (i % 11 == 8) {
        gc_set_elem(c->m, gc_ref(*big), i, gc_elem(gc_ref(*big), i - 1));
    } else {
        uint64_t id = lref_id(g, i);
        gc_object *s = gc_alloc_bytes(c->m, 8 + i % 40);
        fill_bytes(s, id);
        *tmp = gc_value_of(s);
        gc_object *o = gc_alloc_record(c->m, node);
        gc_set_field(c->m, o, NODE_A, *tmp);
        gc_set_field(c->m, o, NODE_B, gc_int((int64_t)id));
        gc_set_word(o, NODE_TAG, id);
        gc_set_elem(c->m, gc_ref(*big), i, gc_value_of(o));
        *tmp = GC_NIL;
    }
}

/* Checks elements [0, n); gen[i]: the generation element i was last written in. */
static void lref_check(conf_ctx *c, gc_value big, const int *gen, uint64_t n, const char *when)
{
    uint32_t node = node_type();
    CONF_ASSERT(c, gc_is_ref(big), "%s: the large array is lost", when);
    gc_object *a = gc_ref(big);
    CONF_ASSERT(c, gc_header_type(a->header) == GC_TYPE_REF_ARRAY && gc_object_length(a) == LREF_N,
                "%s: the large array has type %s length %llu", when, kind_of(a),
                (unsigned long long)gc_object_length(a));
    for (uint64_t i = 0; i < n; i++) {
        gc_value v = gc_elem(a, i);
        int g = gen[i];
        if (i % 11 == 10) {
            CONF_ASSERT(c, gc_is_nil(v), "%s: element %llu should be nil", when, (unsigned long long)i);
        } else if (i % 11 == 9) {
            CONF_ASSERT(c, v == gc_int((int64_t)(i * 3 + (uint64_t)g)), "%s: element %llu = %#lx, want int %llu",
                        when, (unsigned long long)i, (unsigned long)v, (unsigned long long)(i * 3 + (uint64_t)g));
        } else if (i % 11 == 8) {
            CONF_ASSERT(c, v == gc_elem(a, i - 1), "%s: element %llu is no longer the same object as %llu",
                        when, (unsigned long long)i, (unsigned long long)(i - 1));
        } else {
            uint64_t id = lref_id(g, i);
            CONF_ASSERT(c, gc_is_ref(v), "%s: element %llu (object %llu) lost", when, (unsigned long long)i,
                        (unsigned long long)id);
            gc_object *o = gc_ref(v);
            CONF_ASSERT(c, gc_header_valid(o->header) && gc_header_type(o->header) == node &&
                               gc_words(o)[NODE_TAG] == id && gc_field(o, NODE_B) == gc_int((int64_t)id),
                        "%s: element %llu points at %p, not object %llu (header %#llx): a slot of the "
                        "large object was not updated", when, (unsigned long long)i, (void *)o,
                        (unsigned long long)id, (unsigned long long)o->header);
            gc_value s = gc_field(o, NODE_A);
            CONF_ASSERT(c, gc_is_ref(s) && gc_header_type(gc_ref(s)->header) == GC_TYPE_BYTES &&
                               gc_object_length(gc_ref(s)) == 8 + i % 40 && bad_byte(gc_ref(s), id) == UINT64_MAX,
                        "%s: element %llu's string corrupt", when, (unsigned long long)i);
        }
    }
}

/* A large reference array (and a second one reachable only from the first)
 * whose elements are small objects that a moving collector moves: after
 * every kind of collection, and after stores of young objects into the
 * (by then old) large arrays, every element is the right object, intact. */
CONF_PARAMS(large_refs)
ParameterizedTest(conf_param *p, conformance, large_refs)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    conf_open(c, p, 8u << 20, 97);
    conf_rng r = {0x5eed000d};
    static int gen[LREF_N], gen2[LREF_N];
    memset(gen, 0, sizeof gen);
    memset(gen2, 0, sizeof gen2);
    gc_value big = GC_NIL, big2 = GC_NIL, tmp = GC_NIL;
    gc_root(c->m, &big);
    gc_root(c->m, &big2);
    gc_root(c->m, &tmp);

    make_garbage(c, &r, stress ? (32u << 10) : (512u << 10), 256);
    big = gc_value_of(gc_alloc_ref_array(c->m, LREF_N));
    big2 = gc_value_of(gc_alloc_ref_array(c->m, LREF_N));
    CONF_ASSERT(c, gc_object_size(gc_ref(big)) > GC_SMALL_MAX, "the array is not a large object");
    for (uint64_t i = 0; i < LREF_N; i++) {
        (void)gc_alloc_bytes(c->m, 24); /* garbage between the elements */
        lref_set(c, &big, &tmp, 0, i);
        lref_set(c, &big2, &tmp, 0, i);
    }
    /* big2 is reachable only from big from now on. */
    gc_set_elem(c->m, gc_ref(big), LREF_N - 1, big2);
    big2 = GC_NIL;
    lref_check(c, big, gen, LREF_N - 1, "after building");

    static const gc_collection_kind kinds[] = {GC_COLLECT_MINOR, GC_COLLECT_MAJOR, GC_COLLECT_ANY};
    const int rounds = stress ? 3 : 6;
    for (int round = 1; round <= rounds; round++) {
        make_garbage(c, &r, stress ? (64u << 10) : (1u << 20), 512);
        gc_collect(c->m, kinds[round % 3]);
        char when[96];
        snprintf(when, sizeof when, "round %d after a %s collection", round,
                 kinds[round % 3] == GC_COLLECT_MINOR ? "minor" : kinds[round % 3] == GC_COLLECT_MAJOR ? "major" : "any");
        lref_check(c, big, gen, LREF_N - 1, when);
        big2 = gc_elem(gc_ref(big), LREF_N - 1);
        lref_check(c, big2, gen2, LREF_N, when);
        /* Young objects into the old large arrays: a third of the slots. */
        for (uint64_t i = (uint64_t)round % 3; i < LREF_N - 1; i += 3) {
            lref_set(c, &big, &tmp, round, i);
            gen[i] = round;
            if (i % 11 == 7 && i + 1 < LREF_N - 1) { /* keep the "same as i-1" slot consistent */
                lref_set(c, &big, &tmp, round, i + 1);
                gen[i + 1] = round;
            }
            lref_set(c, &big2, &tmp, round, i);
            gen2[i] = round;
            if (i % 11 == 7 && i + 1 < LREF_N - 1) {
                lref_set(c, &big2, &tmp, round, i + 1);
                gen2[i + 1] = round;
            }
        }
        big2 = GC_NIL;
        snprintf(when, sizeof when, "round %d after the stores", round);
        lref_check(c, big, gen, LREF_N - 1, when);
        lref_check(c, gc_elem(gc_ref(big), LREF_N - 1), gen2, LREF_N, when);
    }
    gc_collect(c->m, GC_COLLECT_MAJOR);
    lref_check(c, big, gen, LREF_N - 1, "at the end");
    lref_check(c, gc_elem(gc_ref(big), LREF_N - 1), gen2, LREF_N, "at the end (the second array)");
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- m. the footprint never exceeds the heap limit ------------------------------------------ */

static struct {
    gc_heap *h;
    size_t limit;
    uint64_t pauses, worst, worst_seq;
} fp_watch;

static void fp_listener(void *data, const gc_pause *pz)
{
    (void)data;
    gc_heap_stats st;
    gc_heap_get_stats(fp_watch.h, &st);
    fp_watch.pauses++;
    if (st.footprint_bytes > fp_watch.worst) {
        fp_watch.worst = st.footprint_bytes;
        fp_watch.worst_seq = pz->seq;
    }
}

/* An allocation-heavy run with a churning live set of mixed sizes (large
 * objects included) at a fifth of the limit: footprint_bytes stays within
 * the limit after every pause (a listener checks), during the run and at the
 * end. */
CONF_PARAMS(footprint_limit)
ParameterizedTest(conf_param *p, conformance, footprint_limit)
{
    conf_ctx ctx_, *c = &ctx_;
    bool stress = p->mode == CONF_STRESS;
    const size_t limit = 4u << 20;
    conf_open(c, p, limit, 31);
    uint64_t seed = conf_seed("conformance/footprint_limit", c->name, c->mode);
    conf_rng r = {seed};
    memset(&fp_watch, 0, sizeof fp_watch);
    fp_watch.h = c->h;
    fp_watch.limit = limit;
    gc_event_listener l = {fp_listener, NULL};
    gc_heap_set_listener(c->h, &l);

    enum { SLOTS = 64 };
    gc_value slots = GC_NIL;
    gc_root(c->m, &slots);
    slots = gc_value_of(gc_alloc_ref_array(c->m, SLOTS));
    size_t sizes[SLOTS] = {0}, live = 0;
    const size_t budget = limit / 5;
    const uint64_t total = stress ? (8u << 20) : (48u << 20);
    uint64_t start = gc_heap_allocated_bytes(c->h), n = 0, most = 0;
    while (gc_heap_allocated_bytes(c->h) - start < total) {
        size_t s = (size_t)(conf_rng_next(&r) % SLOTS);
        uint64_t pick = conf_rng_next(&r) % 100;
        size_t payload = pick < 80   ? (size_t)conf_rng_range(&r, 0, 512)
                         : pick < 95 ? (size_t)conf_rng_range(&r, 513, GC_SMALL_MAX)
                                     : (size_t)conf_rng_range(&r, GC_SMALL_MAX + 1, limit / 32);
        size_t size = gc_size_for(GC_KIND_BYTES, payload);
        gc_object *o = gc_alloc_bytes(c->m, payload);
        if (payload > 0)
            gc_bytes(o)[0] = (uint8_t)n;
        if (live - sizes[s] + size <= budget) { /* keep it (else it is garbage at once) */
            gc_set_elem(c->m, gc_ref(slots), s, gc_value_of(o));
            live = live - sizes[s] + size;
            sizes[s] = size;
        }
        n++;
        gc_heap_stats st;
        gc_heap_get_stats(c->h, &st);
        CONF_ASSERT(c, st.footprint_bytes <= limit,
                    "after %llu allocations (seed %llu): footprint %llu over the limit %zu",
                    (unsigned long long)n, (unsigned long long)seed,
                    (unsigned long long)st.footprint_bytes, limit);
        if (st.footprint_bytes > most)
            most = st.footprint_bytes;
    }
    gc_collect(c->m, GC_COLLECT_MAJOR);
    gc_heap_finish(c->h);
    gc_heap_stats st;
    gc_heap_get_stats(c->h, &st);
    CONF_ASSERT(c, fp_watch.pauses > 0 && st.collections > 0,
                "%llu bytes allocated in a %zu-byte heap without a collection",
                (unsigned long long)total, limit);
    cr_log_info("%s/%s: %llu pauses; largest footprint %llu bytes after a pause, %llu between pauses, "
                "limit %zu", c->name, c->mode, (unsigned long long)fp_watch.pauses,
                (unsigned long long)fp_watch.worst, (unsigned long long)most, limit);
    CONF_ASSERT(c, fp_watch.worst <= limit,
                "footprint %llu over the limit %zu after pause %llu (seed %llu)",
                (unsigned long long)fp_watch.worst, limit, (unsigned long long)fp_watch.worst_seq,
                (unsigned long long)seed);
    CONF_ASSERT(c, st.footprint_bytes <= limit, "footprint %llu over the limit %zu at the end",
                (unsigned long long)st.footprint_bytes, limit);
    gc_heap_set_listener(c->h, NULL);
    conf_verify(c, "at the end");
    conf_close(c);
}

/* ---- threads: 1, 2 and 4 mutator threads on one heap ------------------------------------
 *
 * conformance/threads runs every collector with 1, 2 and 4 mutator threads
 * (tests/conformance.h, Threads), each attached from its own thread, in
 * both modes (stress: a collection every few allocations of each mutator
 * and the heap verifier after every pause). Each thread, round after round:
 *   - builds its own list (ConfList) and tree (ConfNode), with garbage and
 *     now and then a large object in between, and drops them again;
 *   - under a lock taken with gc_mutator_lock, replaces a random "package"
 *     of a shared array held in a global root (allocating while it holds
 *     the lock, so other threads collect while it is held), after checking
 *     the one it replaces, and keeps that old package in its own root
 *     ("borrowed": a reference from this thread's roots to an object
 *     another thread built) and in a field of its own holder object (a
 *     cross-thread store through the barrier: old-to-young for a
 *     generational collector, a count change for reference counting that
 *     races with the owner's);
 *   - now and then requests a collection of a random kind;
 *   - checks everything it holds.
 * A package is immutable once published: {A: a ConfList of k nodes, B: the
 * int owner * 2^20 + sequence, TAG: k << 32 | sum of the payloads mod 2^32}.
 * At the end the case's thread checks every package, collects, verifies. */

enum { TH_SLOTS = 16 };

typedef struct th_state {
    gc_value shared;  /* global root: ref array of TH_SLOTS packages (nil or a package) */
    uv_mutex_t mu;    /* guards the contents of the shared array */
    uint32_t node, list;
    int rounds;
    atomic_ullong published;
} th_state;

static uint64_t th_payload(uint64_t owner, uint64_t round, uint64_t i)
{
    return (owner * 0x9e3779b97f4a7c15ull) ^ (round << 20) ^ (i * 2654435761u);
}

/* Builds a package of k list nodes with random payloads into *slot (a root). */
static void th_build_package(conf_worker *w, th_state *st, gc_value *slot, uint64_t k, uint64_t id)
{
    gc_mutator *m = w->m;
    gc_value head = GC_NIL, tmp = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &head);
    gc_root(m, &tmp);
    uint32_t sum = 0;
    for (uint64_t i = 0; i < k; i++) {
        uint64_t v = conf_rng_next(&w->rng);
        tmp = gc_value_of(gc_alloc_record(m, st->list));
        gc_set_field(m, gc_ref(tmp), LIST_NEXT, head);
        gc_set_word(gc_ref(tmp), LIST_PAYLOAD, v);
        head = tmp;
        sum += (uint32_t)v;
    }
    gc_object *p = gc_alloc_record(m, st->node);
    gc_set_field(m, p, NODE_A, head);
    gc_set_field(m, p, NODE_B, gc_int((int64_t)id));
    gc_set_word(p, NODE_TAG, k << 32 | sum);
    *slot = gc_value_of(p);
    gc_roots_restore(m, depth);
}

static bool th_check_package(conf_worker *w, th_state *st, gc_value v, const char *what)
{
    CONF_TCHECK(w, gc_is_ref(v), "%s: not a reference (%#lx)", what, (unsigned long)v);
    gc_object *p = gc_ref(v);
    CONF_TCHECK(w, gc_header_type(p->header) == st->node, "%s: type %s, want ConfNode", what, kind_of(p));
    CONF_TCHECK(w, gc_is_int(gc_field(p, NODE_B)), "%s: id lost", what);
    uint64_t tag = gc_words(p)[NODE_TAG], k = tag >> 32, n = 0;
    uint32_t sum = 0;
    for (gc_value e = gc_field(p, NODE_A); !gc_is_nil(e); e = gc_field(gc_ref(e), LIST_NEXT), n++) {
        CONF_TCHECK(w, gc_is_ref(e) && gc_header_type(gc_ref(e)->header) == st->list && n < k,
                    "%s (package %" PRId64 "): node %" PRIu64 " of %" PRIu64 " is corrupt", what,
                    gc_int_value(gc_field(p, NODE_B)), n, k);
        sum += (uint32_t)gc_words(gc_ref(e))[LIST_PAYLOAD];
    }
    CONF_TCHECK(w, n == k && sum == (uint32_t)tag,
                "%s (package %" PRId64 "): %" PRIu64 " nodes with sum %u, want %" PRIu64 " with sum %u", what,
                gc_int_value(gc_field(p, NODE_B)), n, sum, k, (uint32_t)tag);
    return true;
}

/* *slot := a complete tree of the given depth: every node's TAG is
 * salt ^ its heap-order index (root 1). */
static void th_build_tree(gc_mutator *m, th_state *st, gc_value *slot, int depth, uint64_t salt, uint64_t index)
{
    gc_value node = GC_NIL, child = GC_NIL;
    size_t d = gc_roots_save(m);
    gc_root(m, &node);
    gc_root(m, &child);
    node = gc_value_of(gc_alloc_record(m, st->node));
    gc_set_word(gc_ref(node), NODE_TAG, salt ^ index);
    if (depth > 1) {
        th_build_tree(m, st, &child, depth - 1, salt, 2 * index);
        gc_set_field(m, gc_ref(node), NODE_A, child);
        th_build_tree(m, st, &child, depth - 1, salt, 2 * index + 1);
        gc_set_field(m, gc_ref(node), NODE_B, child);
    }
    *slot = node;
    gc_roots_restore(m, d);
}

static bool th_check_tree(conf_worker *w, th_state *st, gc_value v, int depth, uint64_t salt, uint64_t index)
{
    CONF_TCHECK(w, gc_is_ref(v) && gc_header_type(gc_ref(v)->header) == st->node,
                "tree node %" PRIu64 " lost or of the wrong type", index);
    gc_object *o = gc_ref(v);
    CONF_TCHECK(w, gc_words(o)[NODE_TAG] == (salt ^ index), "tree node %" PRIu64 ": tag %#" PRIx64 ", want %#" PRIx64,
                index, gc_words(o)[NODE_TAG], salt ^ index);
    if (depth == 1) {
        CONF_TCHECK(w, gc_is_nil(gc_field(o, NODE_A)) && gc_is_nil(gc_field(o, NODE_B)),
                    "tree leaf %" PRIu64 " has children", index);
        return true;
    }
    return th_check_tree(w, st, gc_field(o, NODE_A), depth - 1, salt, 2 * index) &&
           th_check_tree(w, st, gc_field(o, NODE_B), depth - 1, salt, 2 * index + 1);
}

static bool th_check_list(conf_worker *w, th_state *st, gc_value v, uint64_t n, uint64_t round)
{
    for (uint64_t i = n; i-- > 0;) { /* built by pushing: the head is node n-1 */
        CONF_TCHECK(w, gc_is_ref(v) && gc_header_type(gc_ref(v)->header) == st->list,
                    "round %" PRIu64 ": own list node %" PRIu64 " lost", round, i);
        CONF_TCHECK(w, gc_words(gc_ref(v))[LIST_PAYLOAD] == th_payload((uint64_t)w->id, round, i),
                    "round %" PRIu64 ": own list node %" PRIu64 " payload %#" PRIx64, round, i,
                    gc_words(gc_ref(v))[LIST_PAYLOAD]);
        v = gc_field(gc_ref(v), LIST_NEXT);
    }
    CONF_TCHECK(w, gc_is_nil(v), "round %" PRIu64 ": own list longer than %" PRIu64, round, n);
    return true;
}

static bool th_body(conf_worker *w)
{
    th_state *st = w->team->arg;
    conf_ctx *c = w->team->c;
    gc_mutator *m = w->m;
    const bool stress = c->stress;
    const uint64_t list_len = stress ? 40 : 120;
    const int tree_depth = stress ? 5 : 7;
    gc_value mylist = GC_NIL, mytree = GC_NIL, borrowed = GC_NIL, holder = GC_NIL, pkg = GC_NIL, tmp = GC_NIL;
    gc_root(m, &mylist);
    gc_root(m, &mytree);
    gc_root(m, &borrowed);
    gc_root(m, &holder);
    gc_root(m, &pkg);
    gc_root(m, &tmp);
    uint64_t tree_salt = 0;
    for (int r = 0; r < st->rounds; r++) {
        const uint64_t round = (uint64_t)r;
        holder = gc_value_of(gc_alloc_record(m, st->node));
        /* Own data, with garbage in between. */
        mylist = GC_NIL;
        for (uint64_t i = 0; i < list_len; i++) {
            tmp = gc_value_of(gc_alloc_record(m, st->list));
            gc_set_field(m, gc_ref(tmp), LIST_NEXT, mylist);
            gc_set_word(gc_ref(tmp), LIST_PAYLOAD, th_payload((uint64_t)w->id, round, i));
            mylist = tmp;
            if (conf_rng_next(&w->rng) % 4 == 0)
                (void)gc_alloc_bytes(m, (size_t)conf_rng_range(&w->rng, 0, 200));
        }
        tmp = GC_NIL;
        if (gc_is_nil(mytree) || r % 4 == 0) {
            tree_salt = conf_rng_next(&w->rng);
            th_build_tree(m, st, &mytree, tree_depth, tree_salt, 1);
        }
        if (!stress && r % 8 == 3) /* a large object now and then (its own space in most collectors) */
            (void)gc_alloc_bytes(m, GC_SMALL_MAX + (size_t)conf_rng_range(&w->rng, 1, 16384));
        /* The shared array, under the lock (held across the allocations). */
        gc_mutator_lock(m, &st->mu);
        size_t j = (size_t)(conf_rng_next(&w->rng) % TH_SLOTS);
        gc_value old = gc_elem(gc_ref(st->shared), j);
        if (!gc_is_nil(old) && !th_check_package(w, st, old, "a shared package before replacing it")) {
            uv_mutex_unlock(&st->mu);
            return false;
        }
        borrowed = old;
        uint64_t id = (uint64_t)w->id << 20 | round;
        th_build_package(w, st, &pkg, conf_rng_range(&w->rng, 1, stress ? 12 : 40), id);
        /* Re-read the global root: the allocations above may have moved the array. */
        gc_set_elem(m, gc_ref(st->shared), j, pkg);
        atomic_fetch_add(&st->published, 1);
        uv_mutex_unlock(&st->mu);
        pkg = GC_NIL;
        /* A store of another thread's object into this thread's holder. */
        gc_set_field(m, gc_ref(holder), NODE_A, borrowed);
        gc_set_field(m, gc_ref(holder), NODE_B, mylist);
        gc_set_word(gc_ref(holder), NODE_TAG, round);
        if (conf_rng_next(&w->rng) % 5 == 0) {
            static const gc_collection_kind kinds[] = {GC_COLLECT_ANY, GC_COLLECT_MINOR, GC_COLLECT_MAJOR};
            gc_collect(m, kinds[conf_rng_next(&w->rng) % 3]);
        }
        for (size_t g = 0; g < (stress ? 20u : 200u); g++)
            (void)gc_alloc_bytes(m, (size_t)conf_rng_range(&w->rng, 0, 300));
        /* Everything this thread holds. */
        if (!th_check_list(w, st, mylist, list_len, round) ||
            (!gc_is_nil(mytree) && !th_check_tree(w, st, mytree, tree_depth, tree_salt, 1)) ||
            (!gc_is_nil(borrowed) && !th_check_package(w, st, borrowed, "a borrowed package")))
            return false;
        gc_object *ho = gc_ref(holder);
        CONF_TCHECK(w, gc_field(ho, NODE_A) == borrowed && gc_field(ho, NODE_B) == mylist &&
                           gc_words(ho)[NODE_TAG] == round,
                    "round %d: the holder's fields and the roots to the same objects differ", r);
        if (r % 3 == 2)
            mytree = GC_NIL; /* garbage now; rebuilt next round */
        if (conf_tfailed(w->team))
            return false;
    }
    return true;
}

/* Every package of the shared array (the case's thread, after the team). */
static void th_check_shared(conf_ctx *c, th_state *st, const char *when)
{
    gc_object *a = gc_ref(st->shared);
    for (size_t j = 0; j < TH_SLOTS; j++) {
        gc_value v = gc_elem(a, j);
        if (gc_is_nil(v))
            continue;
        gc_object *p = gc_ref(v);
        CONF_ASSERT(c, gc_header_type(p->header) == st->node, "%s: shared[%zu] has type %s", when, j, kind_of(p));
        uint64_t tag = gc_words(p)[NODE_TAG], n = 0;
        uint32_t sum = 0;
        for (gc_value e = gc_field(p, NODE_A); !gc_is_nil(e); e = gc_field(gc_ref(e), LIST_NEXT), n++) {
            CONF_ASSERT(c, gc_is_ref(e) && n < tag >> 32, "%s: shared[%zu] node %" PRIu64 " corrupt", when, j, n);
            sum += (uint32_t)gc_words(gc_ref(e))[LIST_PAYLOAD];
        }
        CONF_ASSERT(c, n == tag >> 32 && sum == (uint32_t)tag, "%s: shared[%zu]: %" PRIu64 " nodes, sum %u", when,
                    j, n, sum);
    }
}

ParameterizedTestParameters(conformance, threads) { return conf_make_thread_params_where(NULL); }
ParameterizedTest(conf_tparam *p, conformance, threads, .timeout = 120)
{
    conf_ctx ctx_, *c = &ctx_;
    conf_topen(c, p, 1u << 20, 13);
    static th_state st;
    memset(&st, 0, sizeof st);
    st.node = node_type();
    st.list = list_type();
    st.rounds = c->stress ? 12 : 60;
    atomic_init(&st.published, 0);
    cr_assert(uv_mutex_init(&st.mu) == 0);
    st.shared = gc_value_of(gc_alloc_ref_array(c->m, TH_SLOTS));
    gc_heap_add_root(c->h, &st.shared);
    uint64_t seed = conf_seed("conformance/threads", c->name, c->mode);
    conf_detach_main(c); /* the workers are the only mutators */
    conf_team t;
    conf_team_run(&t, c, p->threads, th_body, &st, seed);
    conf_reattach(c);
    th_check_shared(c, &st, "after the threads");
    gc_collect(c->m, GC_COLLECT_MAJOR);
    th_check_shared(c, &st, "after a last collection");
    conf_verify(c, "after the threads");
    gc_heap_stats s;
    gc_heap_get_stats(c->h, &s);
    /* Several megabytes through a 1 MiB heap: collections during the run
     * (about a dozen for one thread; reference counting reclaims more by
     * itself and pauses less, fewer still with libc malloc under ASan). */
    CONF_ASSERT(c, s.npauses >= 4, "only %zu collections in a %zu-byte heap", s.npauses, c->cfg.heap_limit);
    cr_log_info("%s/%s: %zu pauses, %llu packages published", c->name, c->mode, s.npauses,
                (unsigned long long)atomic_load(&st.published));
    gc_heap_remove_root(c->h, &st.shared);
    uv_mutex_destroy(&st.mu);
    conf_close(c);
}
