/* tests/test_core.c — unit tests of the core pieces: value tagging, header
 * packing, object sizes, size classes, the type table, the tracing routine,
 * the address set, the collector registry, heap creation errors, collector
 * options, the heap verifier's ability to catch corruption and its handler
 * hook, root filtering, the write-barrier contract, collection kinds and
 * declared phases.
 *
 * Core services are tested against "toy", a test-local collector (a
 * mark-sweep over system-allocated objects) created with
 * gc_heap_create_with, so these tests do not depend on which collectors are
 * registered; tests of registered collectors pick them by property. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "conformance.h"
#include "core/collector.h"
#include "core/ptrset.h"
#include "core/readfile.h"
#include "core/sysalloc.h"
#include "collectors/registry.h"

/* ---- values ------------------------------------------------------------------------ */

Test(core, value_tagging)
{
    const int64_t ints[] = {0, 1, -1, 2, -2, 42, -42, INT32_MAX, INT32_MIN, (int64_t)1 << 40,
                            -((int64_t)1 << 40), GC_INT_MAX, GC_INT_MIN, GC_INT_MAX - 1, GC_INT_MIN + 1};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        gc_value v = gc_int(ints[i]);
        cr_assert(gc_is_int(v), "gc_int(%" PRId64 ") is not an int", ints[i]);
        cr_assert(!gc_is_ref(v) && !gc_is_nil(v), "gc_int(%" PRId64 ") looks like a ref or nil", ints[i]);
        cr_assert_eq(gc_int_value(v), ints[i], "gc_int round trip of %" PRId64 " gave %" PRId64, ints[i],
                     gc_int_value(v));
    }
    cr_assert_eq(GC_INT_MAX, (int64_t)(((uint64_t)1 << 62) - 1));
    cr_assert_eq(GC_INT_MIN, -((int64_t)1 << 62));
    /* zero is an int, not nil */
    cr_assert_neq(gc_int(0), GC_NIL);
    cr_assert(gc_is_nil(GC_NIL) && !gc_is_int(GC_NIL) && !gc_is_ref(GC_NIL));
    static uint64_t obj[2] __attribute__((aligned(16)));
    gc_value r = gc_value_of((gc_object *)obj);
    cr_assert(gc_is_ref(r) && !gc_is_int(r) && !gc_is_nil(r));
    cr_assert_eq(gc_ref(r), (gc_object *)obj);
    cr_assert(gc_is_ref((gc_value)8) && gc_is_ref((gc_value)UINTPTR_MAX - 7));
}

/* ---- header words -------------------------------------------------------------------- */

Test(core, header_packing)
{
    const uint32_t types[] = {0, 1, 2, 3, 4, 255, 256, 4095, 0xffff};
    const uint64_t lens[] = {0, 1, 2, 255, 256, 65535, 1u << 20, (uint64_t)1 << 32, GC_MAX_LENGTH - 1,
                             GC_MAX_LENGTH};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            uint64_t h = gc_make_header(types[i], lens[j]);
            cr_assert(gc_header_valid(h), "header %#" PRIx64 " lacks the tag bit", h);
            cr_assert_eq(h & GC_HDR_TAG, GC_HDR_TAG);
            cr_assert_eq(h & GC_HDR_GC_MASK, 0, "fresh header has GC bits set");
            cr_assert_eq(gc_header_type(h), types[i], "type %u round trip gave %u", types[i],
                         gc_header_type(h));
            cr_assert_eq(gc_header_length(h), lens[j], "length %" PRIu64 " round trip gave %" PRIu64,
                         lens[j], gc_header_length(h));
            /* Collector bits do not disturb type or length. */
            for (int b = 0; b < 7; b++) {
                uint64_t hb = h | GC_HDR_BIT(b);
                cr_assert_neq(hb, h, "GC_HDR_BIT(%d) overlaps another field", b);
                cr_assert(gc_header_valid(hb));
                cr_assert_eq(gc_header_type(hb), types[i]);
                cr_assert_eq(gc_header_length(hb), lens[j]);
                cr_assert_eq(hb & GC_HDR_GC_MASK, GC_HDR_BIT(b));
            }
        }
    cr_assert_eq(GC_HDR_BIT(0), (uint64_t)2);
    cr_assert_eq(GC_HDR_BIT(6), (uint64_t)0x80);
    /* A forwarding address / free-list link (aligned pointer) is not a header. */
    cr_assert(!gc_header_valid((uint64_t)0x7fff12345670));
    cr_assert(!gc_header_valid(0));
}

/* ---- sizes ----------------------------------------------------------------------------- */

Test(core, size_for)
{
    cr_assert_eq(GC_MIN_OBJECT, 16);
    cr_assert_eq(GC_HEADER_BYTES, 8);
    /* Spot values. */
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 0), 16);
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 1), 16);
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 8), 16);
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 9), 24);
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 16), 24);
    cr_assert_eq(gc_size_for(GC_KIND_BYTES, 17), 32);
    cr_assert_eq(gc_size_for(GC_KIND_RECORD, 0), 16);
    cr_assert_eq(gc_size_for(GC_KIND_RECORD, 1), 16);
    cr_assert_eq(gc_size_for(GC_KIND_RECORD, 2), 24);
    cr_assert_eq(gc_size_for(GC_KIND_REF_ARRAY, 0), 16);
    cr_assert_eq(gc_size_for(GC_KIND_REF_ARRAY, 1000), 8008);
    cr_assert_eq(gc_size_for(GC_KIND_VALUE_ARRAY, 3), 32);
    const gc_kind kinds[] = {GC_KIND_RECORD, GC_KIND_REF_ARRAY, GC_KIND_BYTES, GC_KIND_VALUE_ARRAY};
    for (size_t k = 0; k < 4; k++)
        for (uint64_t len = 0; len <= 3000; len++) {
            size_t payload = kinds[k] == GC_KIND_BYTES ? (size_t)len : (size_t)len * 8;
            size_t n = gc_size_for(kinds[k], len);
            cr_assert(n % GC_GRANULE == 0, "kind %zu length %" PRIu64 ": %zu not granule aligned", k, len, n);
            cr_assert(n >= GC_MIN_OBJECT, "kind %zu length %" PRIu64 ": %zu below the minimum", k, len, n);
            cr_assert(n >= GC_HEADER_BYTES + payload, "kind %zu length %" PRIu64 ": %zu too small", k, len, n);
            cr_assert(n < GC_HEADER_BYTES + payload + GC_GRANULE || n == GC_MIN_OBJECT,
                      "kind %zu length %" PRIu64 ": %zu wastes a granule or more", k, len, n);
        }
    cr_assert_eq(gc_align_up(0, 8), 0);
    cr_assert_eq(gc_align_up(1, 8), 8);
    cr_assert_eq(gc_align_up(8, 8), 8);
    cr_assert_eq(gc_align_up(4097, 4096), 8192);
}

/* ---- size classes ------------------------------------------------------------------------ */

Test(core, size_classes)
{
    cr_assert_eq(gc_size_class_bytes[0], GC_MIN_OBJECT);
    cr_assert_eq(gc_size_class_bytes[GC_SIZE_CLASS_COUNT - 1], GC_SMALL_MAX);
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++) {
        cr_assert(gc_size_class_bytes[c] % GC_GRANULE == 0, "class %u (%u bytes) not granule aligned", c,
                  gc_size_class_bytes[c]);
        if (c > 0)
            cr_assert(gc_size_class_bytes[c] > gc_size_class_bytes[c - 1], "classes not increasing at %u", c);
        cr_assert_eq(gc_size_class_of(gc_size_class_bytes[c]), c, "a class's own size maps elsewhere");
    }
    /* Every request size maps to the smallest class that holds it. */
    for (size_t b = 1; b <= GC_SMALL_MAX; b++) {
        unsigned c = gc_size_class_of(b);
        cr_assert(c < GC_SIZE_CLASS_COUNT, "%zu bytes: class %u out of range", b, c);
        cr_assert(gc_size_class_bytes[c] >= b, "%zu bytes: class %u holds only %u", b, c,
                  gc_size_class_bytes[c]);
        cr_assert(c == 0 || gc_size_class_bytes[c - 1] < b,
                  "%zu bytes: class %u (%u) is not the smallest fit (class %u holds %u)", b, c,
                  gc_size_class_bytes[c], c - 1, gc_size_class_bytes[c - 1]);
    }
    /* Internal fragmentation, for object sizes (multiples of 8, >= 16): none
     * up to 64 bytes (8-byte steps), under 20% of the cell above. */
    for (size_t b = GC_MIN_OBJECT; b <= GC_SMALL_MAX; b += GC_GRANULE) {
        size_t cell = gc_size_class_bytes[gc_size_class_of(b)];
        if (b <= 64)
            cr_assert_eq(cell, b, "%zu bytes: a %zu-byte cell, want an exact fit", b, cell);
        cr_assert((cell - b) * 5 < cell, "%zu bytes in a %zu-byte cell wastes 20%% or more of it", b, cell);
    }
}

/* ---- the type table ------------------------------------------------------------------------ */

Test(core, builtin_types)
{
    cr_assert_null(gc_type_get(GC_TYPE_INVALID));
    cr_assert_null(gc_type_get(GC_MAX_TYPES));
    cr_assert_null(gc_type_get(UINT32_MAX));
    const struct {
        uint32_t id;
        gc_kind kind;
    } b[] = {{GC_TYPE_REF_ARRAY, GC_KIND_REF_ARRAY},
             {GC_TYPE_BYTES, GC_KIND_BYTES},
             {GC_TYPE_VALUE_ARRAY, GC_KIND_VALUE_ARRAY}};
    for (size_t i = 0; i < 3; i++) {
        const gc_type *t = gc_type_get(b[i].id);
        cr_assert_not_null(t, "built-in type %u missing", b[i].id);
        cr_assert_eq(t->id, b[i].id);
        cr_assert_eq(t->kind, b[i].kind);
        cr_assert(t->name && *t->name);
        cr_assert_eq(gc_type_find(t->name), t, "gc_type_find(\"%s\") does not find the built-in", t->name);
    }
}

Test(core, type_registration)
{
    uint32_t id = gc_type_register("CoreT", "rri");
    cr_assert(id >= GC_TYPE_FIRST_RECORD && id < GC_MAX_TYPES, "id %u", id);
    cr_assert_eq(gc_type_register("CoreT", "rri"), id, "same name, same layout: different id");
    bool is_ref[3] = {true, true, false};
    cr_assert_eq(gc_type_register_record("CoreT", 3, is_ref), id, "record form disagrees with layout form");
    const gc_type *t = gc_type_get(id);
    cr_assert_not_null(t);
    cr_assert_eq(gc_type_find("CoreT"), t);
    cr_assert_str_eq(t->name, "CoreT");
    cr_assert_eq(t->id, id);
    cr_assert_eq(t->kind, GC_KIND_RECORD);
    cr_assert_eq(t->nfields, 3);
    cr_assert_eq(t->ptrmap[0], 3, "ptrmap %#" PRIx64, t->ptrmap[0]);
    cr_assert(gc_type_field_is_ref(t, 0) && gc_type_field_is_ref(t, 1) && !gc_type_field_is_ref(t, 2));
    for (int w = 1; w < GC_MAX_FIELDS / 64; w++)
        cr_assert_eq(t->ptrmap[w], 0);

    /* A different layout under a used name fails and leaves the type alone. */
    cr_assert_eq(gc_type_register("CoreT", "rii"), GC_TYPE_INVALID);
    cr_assert_eq(gc_type_register("CoreT", "rr"), GC_TYPE_INVALID);
    cr_assert_eq(gc_type_register("CoreT", "rrii"), GC_TYPE_INVALID);
    cr_assert_eq(gc_type_get(id)->nfields, 3);
    cr_assert_eq(gc_type_get(id)->ptrmap[0], 3);

    /* Another name gets another id. */
    uint32_t id2 = gc_type_register("CoreT2", "rri");
    cr_assert(id2 != GC_TYPE_INVALID && id2 != id);
    uint32_t id3 = gc_type_register("CoreT3", "iii");
    cr_assert(id3 != GC_TYPE_INVALID);
    cr_assert_eq(gc_type_get(id3)->ptrmap[0], 0);

    /* The name is copied. */
    char name[16];
    strcpy(name, "CoreCopy");
    uint32_t idc = gc_type_register(name, "ir");
    cr_assert(idc != GC_TYPE_INVALID);
    strcpy(name, "Clobbered");
    cr_assert_str_eq(gc_type_get(idc)->name, "CoreCopy");
    cr_assert_eq(gc_type_register("CoreCopy", "ir"), idc);

    /* Layout strings use only 'r' and 'i'. */
    cr_assert_eq(gc_type_register("CoreBadLayout", "rxi"), GC_TYPE_INVALID);
}

Test(core, type_field_limits)
{
    bool is_ref[GC_MAX_FIELDS + 1];
    for (int i = 0; i <= GC_MAX_FIELDS; i++)
        is_ref[i] = (i % 2) == 0;
    uint32_t id = gc_type_register_record("CoreWide", GC_MAX_FIELDS, is_ref);
    cr_assert(id != GC_TYPE_INVALID, "a record of GC_MAX_FIELDS fields is refused");
    const gc_type *t = gc_type_get(id);
    cr_assert_eq(t->nfields, GC_MAX_FIELDS);
    for (int w = 0; w < GC_MAX_FIELDS / 64; w++)
        cr_assert_eq(t->ptrmap[w], 0x5555555555555555ull, "ptrmap word %d = %#" PRIx64, w, t->ptrmap[w]);
    for (uint32_t i = 0; i < GC_MAX_FIELDS; i++)
        cr_assert_eq(gc_type_field_is_ref(t, i), i % 2 == 0, "field %u", i);

    cr_assert_eq(gc_type_register_record("CoreTooWide", GC_MAX_FIELDS + 1, is_ref), GC_TYPE_INVALID);
    char layout[GC_MAX_FIELDS + 2];
    memset(layout, 'r', GC_MAX_FIELDS + 1);
    layout[GC_MAX_FIELDS + 1] = 0;
    cr_assert_eq(gc_type_register("CoreTooWide2", layout), GC_TYPE_INVALID);
    layout[GC_MAX_FIELDS] = 0;
    cr_assert(gc_type_register("CoreWideLayout", layout) != GC_TYPE_INVALID);
}

Test(core, type_table_full)
{
    uint32_t first = gc_type_register("CoreFirst", "r");
    cr_assert(first != GC_TYPE_INVALID);
    uint32_t ok = 0, last = first;
    int i;
    for (i = 0; i < GC_MAX_TYPES + 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "CoreMany%d", i);
        uint32_t id = gc_type_register(name, "ri");
        if (id == GC_TYPE_INVALID)
            break;
        cr_assert(id > last && id < GC_MAX_TYPES, "id %u after %u", id, last);
        last = id;
        ok++;
    }
    cr_assert(i < GC_MAX_TYPES + 8, "registered %u types without running out", ok);
    cr_assert(last == GC_MAX_TYPES - 1, "the table filled up at id %u, want %d", last, GC_MAX_TYPES - 1);
    /* Existing names still resolve; new ones fail cleanly. */
    cr_assert_eq(gc_type_register("CoreFirst", "r"), first);
    cr_assert_eq(gc_type_register("CoreOneMore", "r"), GC_TYPE_INVALID);
    cr_assert_eq(gc_type_find("CoreOneMore"), NULL);
}

enum { REG_THREADS = 4, REG_NAMES = 64 };
static uint32_t reg_ids[REG_THREADS][REG_NAMES];

static void register_many(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int k = 0; k < REG_NAMES; k++) {
        int i = (k + t * 17) % REG_NAMES; /* different orders per thread */
        char name[32];
        snprintf(name, sizeof name, "CoreRace%d", i);
        reg_ids[t][i] = gc_type_register(name, i % 2 ? "ri" : "rr");
    }
}

Test(core, type_registration_threads)
{
    uv_thread_t th[REG_THREADS];
    for (int t = 0; t < REG_THREADS; t++)
        cr_assert_eq(uv_thread_create(&th[t], register_many, (void *)(intptr_t)t), 0);
    for (int t = 0; t < REG_THREADS; t++)
        uv_thread_join(&th[t]);
    for (int i = 0; i < REG_NAMES; i++) {
        cr_assert(reg_ids[0][i] != GC_TYPE_INVALID, "CoreRace%d not registered", i);
        for (int t = 1; t < REG_THREADS; t++)
            cr_assert_eq(reg_ids[t][i], reg_ids[0][i], "CoreRace%d: threads got ids %u and %u", i,
                         reg_ids[0][i], reg_ids[t][i]);
        for (int j = 0; j < i; j++)
            cr_assert_neq(reg_ids[0][i], reg_ids[0][j], "CoreRace%d and CoreRace%d share an id", i, j);
    }
}

/* ---- tracing ----------------------------------------------------------------------------- */

typedef struct trace_log {
    gc_value *slots[4096];
    size_t n;
    gc_value rewrite; /* if not nil, the visitor stores it into every slot */
} trace_log;

static void log_visit(gc_value *slot, void *ctx)
{
    trace_log *l = ctx;
    cr_assert(l->n < 4096, "too many visits");
    cr_assert(gc_is_ref(*slot), "visited slot %p holding a non-reference %#lx", (void *)slot,
              (unsigned long)*slot);
    l->slots[l->n++] = slot;
    if (l->rewrite != GC_NIL)
        *slot = l->rewrite;
}

static bool logged(const trace_log *l, const gc_value *slot)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->slots[i] == slot)
            return true;
    return false;
}

enum { TRACE_FIELDS = 70 };
static bool trace_field_is_ref(uint32_t i) { return i % 3 == 0 || i == TRACE_FIELDS - 1; }

static uint32_t trace_type(void)
{
    bool is_ref[TRACE_FIELDS];
    for (uint32_t i = 0; i < TRACE_FIELDS; i++)
        is_ref[i] = trace_field_is_ref(i);
    uint32_t id = gc_type_register_record("CoreTrace", TRACE_FIELDS, is_ref);
    cr_assert(id != GC_TYPE_INVALID);
    return id;
}

static uint64_t dummy_targets[4][2] __attribute__((aligned(16)));

/* Fills a CoreTrace record: reference fields cycle through ref, nil, int,
 * ref; raw fields hold words that look like references. Returns how many
 * fields hold references. */
static size_t fill_trace_record(gc_object *o)
{
    size_t refs = 0;
    for (uint32_t i = 0; i < TRACE_FIELDS; i++) {
        gc_value v;
        if (trace_field_is_ref(i)) {
            switch (i % 4) {
            case 0:
            case 3:
                v = gc_value_of((gc_object *)dummy_targets[i % 4]);
                refs++;
                break;
            case 1:
                v = GC_NIL;
                break;
            default:
                v = gc_int(i);
                break;
            }
        } else {
            v = (gc_value)dummy_targets[1]; /* raw word that looks like a pointer */
        }
        gc_slots(o)[i] = v;
    }
    return refs;
}

static void check_record_trace(gc_object *o, size_t refs)
{
    trace_log l = {.n = 0};
    gc_trace_object(o, log_visit, &l);
    cr_assert_eq(l.n, refs, "record: %zu visits, want %zu", l.n, refs);
    for (uint32_t i = 0; i < TRACE_FIELDS; i++) {
        bool want = trace_field_is_ref(i) && gc_is_ref(gc_slots(o)[i]);
        cr_assert_eq(logged(&l, &gc_slots(o)[i]), want, "record field %u: visited %d, want %d", i,
                     !want, want);
    }
    for (size_t i = 0; i < l.n; i++)
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(l.slots[i], l.slots[j], "a slot was visited twice");
}

static size_t fill_ref_array(gc_object *a, uint64_t n)
{
    size_t refs = 0;
    for (uint64_t i = 0; i < n; i++) {
        gc_value v = i % 3 == 0 ? GC_NIL : i % 3 == 1 ? gc_int((int64_t)i) : gc_value_of((gc_object *)dummy_targets[i % 4]);
        refs += gc_is_ref(v);
        gc_slots(a)[i] = v;
    }
    return refs;
}

static void check_array_trace(gc_object *a, uint64_t n, size_t refs)
{
    trace_log l = {.n = 0};
    gc_trace_object(a, log_visit, &l);
    cr_assert_eq(l.n, refs, "ref array: %zu visits, want %zu", l.n, refs);
    for (uint64_t i = 0; i < n; i++)
        cr_assert_eq(logged(&l, &gc_slots(a)[i]), gc_is_ref(gc_slots(a)[i]), "element %" PRIu64, i);
}

Test(core, trace_object_fake)
{
    uint32_t ty = trace_type();
    static uint64_t rec[1 + TRACE_FIELDS] __attribute__((aligned(16)));
    gc_object *o = (gc_object *)rec;
    o->header = gc_make_header(ty, TRACE_FIELDS) | GC_HDR_BIT(0) | GC_HDR_BIT(6);
    size_t refs = fill_trace_record(o);
    check_record_trace(o, refs);

    /* The visitor may rewrite slots (moving collectors). */
    trace_log l = {.n = 0, .rewrite = gc_value_of((gc_object *)dummy_targets[2])};
    gc_trace_object(o, log_visit, &l);
    cr_assert_eq(l.n, refs);
    for (uint32_t i = 0; i < TRACE_FIELDS; i++)
        if (logged(&l, &gc_slots(o)[i]))
            cr_assert_eq(gc_slots(o)[i], l.rewrite);

    static uint64_t arr[1 + 100] __attribute__((aligned(16)));
    gc_object *a = (gc_object *)arr;
    a->header = gc_make_header(GC_TYPE_REF_ARRAY, 100);
    check_array_trace(a, 100, fill_ref_array(a, 100));
    a->header = gc_make_header(GC_TYPE_REF_ARRAY, 0);
    check_array_trace(a, 0, 0);

    /* Byte strings and value arrays hold no references, whatever they contain. */
    static uint64_t raw[1 + 16] __attribute__((aligned(16)));
    gc_object *r = (gc_object *)raw;
    for (int i = 1; i <= 16; i++)
        raw[i] = (uint64_t)(uintptr_t)dummy_targets[0];
    r->header = gc_make_header(GC_TYPE_BYTES, 128);
    trace_log l2 = {.n = 0};
    gc_trace_object(r, log_visit, &l2);
    cr_assert_eq(l2.n, 0, "a byte string was traced");
    r->header = gc_make_header(GC_TYPE_VALUE_ARRAY, 16);
    gc_trace_object(r, log_visit, &l2);
    cr_assert_eq(l2.n, 0, "a value array was traced");
}

/* ---- "toy": a test-local collector ---------------------------------------------------------
 * A non-moving mark-sweep over objects allocated one by one with the system
 * allocator, known by an address set: just enough collector to test core's
 * services without the registry. What it sees is recorded in `toy`, and a
 * few switches make it misbehave on purpose. */

#define TOY_MARK GC_HDR_BIT(2)
#define TOY_LOG 64

static struct {
    /* what the collector saw */
    int collects;
    gc_collection_kind kinds[TOY_LOG];
    gc_reason reasons[TOY_LOG];
    int barriers;
    struct {
        gc_object *holder;
        gc_value *slot;
        gc_value old, v, stored; /* stored: *slot when the barrier ran */
    } bar[TOY_LOG];
    size_t root_visits, root_nonrefs;
    gc_value roots_seen[TOY_LOG];
    /* option values read in init */
    uint64_t opt_size, opt_count;
    bool opt_flag;
    /* misbehaviour */
    bool footprint_lies; /* footprint() reports more than the limit */
    bool verify_fails;   /* verify() reports a problem */
    /* GC_BARRIER_GENERATIONAL: the "young" range given to mutators */
    uintptr_t young_lo, young_size;
} toy;

typedef struct toy_obj {
    gc_object *o;
    size_t size;
} toy_obj;

typedef struct toy_heap {
    gc_ptrset starts;
    toy_obj *objs;
    size_t n, cap;
    size_t used;
    gc_object **stack;
    size_t sp, stack_cap;
} toy_heap;

static toy_heap *toy_of(gc_heap *h) { return gc_heap_collector(h); }

static int toy_init(gc_heap *h)
{
    toy_heap *t = gc_sys_alloc_zeroed(sizeof *t);
    gc_ptrset_init(&t->starts);
    gc_heap_set_collector(h, t);
    toy.opt_size = gc_heap_option_u64(h, "size");
    toy.opt_flag = gc_heap_option_bool(h, "flag");
    toy.opt_count = gc_heap_option_u64(h, "count");
    return 0;
}

static void toy_destroy(gc_heap *h)
{
    toy_heap *t = toy_of(h);
    for (size_t i = 0; i < t->n; i++)
        gc_sys_free(t->objs[i].o, t->objs[i].size);
    gc_sys_free(t->objs, t->cap * sizeof *t->objs);
    gc_sys_free(t->stack, t->stack_cap * sizeof *t->stack);
    gc_ptrset_free(&t->starts);
    gc_sys_free(t, sizeof *t);
}

static void toy_mutator_init(gc_mutator *m)
{
    m->young_lo = toy.young_lo;
    m->young_size = toy.young_size;
}

static void toy_push(toy_heap *t, gc_object *o)
{
    if (!gc_ptrset_contains(&t->starts, o) || (o->header & TOY_MARK))
        return; /* not ours (a planted bad reference), or marked */
    o->header |= TOY_MARK;
    if (t->sp == t->stack_cap) {
        size_t cap = t->stack_cap ? 2 * t->stack_cap : 256;
        t->stack = gc_sys_realloc(t->stack, t->stack_cap * sizeof *t->stack, cap * sizeof *t->stack);
        t->stack_cap = cap;
    }
    t->stack[t->sp++] = o;
}

static void toy_mark_root(gc_value *slot, void *ctx)
{
    toy.root_visits++;
    if (!gc_is_ref(*slot)) {
        toy.root_nonrefs++;
        return;
    }
    if (toy.root_visits <= TOY_LOG)
        toy.roots_seen[toy.root_visits - 1] = *slot;
    toy_push(ctx, gc_ref(*slot));
}

static void toy_mark_field(gc_value *slot, void *ctx) { toy_push(ctx, gc_ref(*slot)); }

static void toy_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    gc_heap *h = m->heap;
    toy_heap *t = toy_of(h);
    if (toy.collects < TOY_LOG) {
        toy.kinds[toy.collects] = kind;
        toy.reasons[toy.collects] = reason;
    }
    toy.collects++;
    gc_pause_begin(h, GC_PAUSE_FULL, reason);
    gc_phase_start(h, 0);
    gc_visit_roots(h, toy_mark_root, t);
    gc_phase_start(h, 1);
    while (t->sp > 0)
        gc_trace_object(t->stack[--t->sp], toy_mark_field, t);
    gc_phase_start(h, 2);
    size_t j = 0;
    for (size_t i = 0; i < t->n; i++) {
        gc_object *o = t->objs[i].o;
        if (o->header & TOY_MARK) {
            o->header &= ~TOY_MARK;
            t->objs[j++] = t->objs[i];
        } else {
            gc_ptrset_remove(&t->starts, o);
            t->used -= t->objs[i].size;
            gc_sys_free(o, t->objs[i].size);
        }
    }
    t->n = j;
    gc_pause_end(h);
}

static void *toy_alloc_slow(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    toy_heap *t = toy_of(h);
    if (t->used + bytes > gc_heap_limit(h)) {
        toy_collect(m, GC_COLLECT_ANY, GC_REASON_HEAP_LIMIT);
        if (t->used + bytes > gc_heap_limit(h))
            return NULL;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        t->objs = gc_sys_realloc(t->objs, t->cap * sizeof *t->objs, cap * sizeof *t->objs);
        t->cap = cap;
    }
    gc_object *o = gc_sys_alloc(bytes);
    t->objs[t->n++] = (toy_obj){o, bytes};
    gc_ptrset_add(&t->starts, o);
    t->used += bytes;
    return o;
}

static void toy_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v)
{
    (void)m;
    if (toy.barriers < TOY_LOG) {
        toy.bar[toy.barriers].holder = holder;
        toy.bar[toy.barriers].slot = slot;
        toy.bar[toy.barriers].old = old;
        toy.bar[toy.barriers].v = v;
        toy.bar[toy.barriers].stored = *slot;
    }
    toy.barriers++;
}

static size_t toy_heap_used(gc_heap *h) { return toy_of(h)->used; }

static size_t toy_footprint(gc_heap *h)
{
    return toy.footprint_lies ? gc_heap_limit(h) + 4096 : toy_of(h)->used;
}

static bool toy_contains(gc_heap *h, const void *addr) { return gc_ptrset_contains(&toy_of(h)->starts, addr); }

static bool toy_is_object(gc_heap *h, const gc_object *o)
{
    return toy_contains(h, o) && gc_header_valid(o->header);
}

static void toy_verify(gc_heap *h)
{
    if (toy.verify_fails)
        gc_verify_fail(h, "toy: a problem planted by the test");
}

static const char *const toy_phases[] = {"roots", "mark", "sweep", NULL};
static const gc_option_desc toy_options[] = {
    {"size", GC_OPTION_SIZE, "1M", "a size"},
    {"flag", GC_OPTION_BOOL, "on", "a switch"},
    {"count", GC_OPTION_UINT, "7", "a number"},
    {NULL, GC_OPTION_BOOL, NULL, NULL},
};

static const gc_collector_ops toy_ops = {
    .name = "toy",
    .description = "test-local mark-sweep over system-allocated objects",
    .alloc_mode = GC_ALLOC_SLOW,
    .barrier = GC_BARRIER_ALWAYS,
    .alloc_zeroed = false,
    .moving = false,
    .reclaims_cycles = true,
    .phases = toy_phases,
    .options = toy_options,
    .init = toy_init,
    .destroy = toy_destroy,
    .mutator_init = toy_mutator_init,
    .mutator_fini = gc_default_mutator_fini,
    .alloc_slow = toy_alloc_slow,
    .write_barrier = toy_write_barrier,
    .collect = toy_collect,
    .finish = gc_default_finish,
    .heap_used = toy_heap_used,
    .footprint = toy_footprint,
    .contains = toy_contains,
    .is_object = toy_is_object,
    .verify = toy_verify,
    .stats = gc_default_stats,
};

/* Creates a heap run by ops (toy_ops or a variant of it); asserts success. */
static gc_heap *open_with(const gc_collector_ops *ops, const gc_config *cfg, gc_mutator **m)
{
    char err[512] = "";
    gc_heap *h = gc_heap_create_with(ops, cfg, err, sizeof err);
    cr_assert_not_null(h, "gc_heap_create_with(%s): %s", ops->name, err);
    *m = gc_mutator_attach(h);
    cr_assert_not_null(*m);
    return h;
}

static gc_heap *open_toy(size_t limit, gc_mutator **m)
{
    gc_config cfg = {.heap_limit = limit};
    return open_with(&toy_ops, &cfg, m);
}

static void close_heap(gc_heap *h, gc_mutator *m)
{
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

Test(core, trace_object_heap)
{
    uint32_t ty = trace_type();
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    gc_object *o = gc_alloc_record(m, ty);
    cr_assert_eq(gc_object_length(o), TRACE_FIELDS);
    for (uint32_t i = 0; i < TRACE_FIELDS; i++)
        cr_assert_eq(gc_slots(o)[i], GC_NIL, "fresh record field %u not nil", i);
    trace_log l = {.n = 0};
    gc_trace_object(o, log_visit, &l);
    cr_assert_eq(l.n, 0, "a fresh record has references");
    check_record_trace(o, fill_trace_record(o));
    memset(gc_slots(o), 0, TRACE_FIELDS * 8); /* its fields point outside the heap */
    /* Large and small ref arrays. */
    const uint64_t lens[] = {1, 100, 2000};
    for (int k = 0; k < 3; k++) {
        gc_object *a = gc_alloc_ref_array(m, lens[k]);
        cr_assert_eq(gc_object_kind(a), GC_KIND_REF_ARRAY);
        check_array_trace(a, lens[k], fill_ref_array(a, lens[k]));
        /* Clear them again: they point outside the heap. */
        memset(gc_slots(a), 0, lens[k] * 8);
    }
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* ---- the address set ------------------------------------------------------------------------ */

static const void *addr(uint64_t i) { return (const void *)(uintptr_t)(0x100000 + i * 8); }

Test(core, ptrset)
{
    gc_ptrset s;
    gc_ptrset_init(&s);
    cr_assert_eq(s.count, 0);
    cr_assert(!gc_ptrset_contains(&s, addr(1)));
    cr_assert(!gc_ptrset_remove(&s, addr(1)));
    cr_assert(!gc_ptrset_add(&s, NULL), "NULL was added");
    cr_assert(!gc_ptrset_contains(&s, NULL));

    const uint64_t n = 100000;
    for (uint64_t i = 0; i < n; i++)
        cr_assert(gc_ptrset_add(&s, addr(2 * i)), "add %" PRIu64 " failed", i);
    cr_assert_eq(s.count, n);
    cr_assert(s.cap >= n && (s.cap & (s.cap - 1)) == 0, "cap %zu", s.cap);
    for (uint64_t i = 0; i < n; i++) {
        cr_assert(!gc_ptrset_add(&s, addr(2 * i)), "duplicate add %" PRIu64 " succeeded", i);
        cr_assert(gc_ptrset_contains(&s, addr(2 * i)), "%" PRIu64 " missing", i);
        cr_assert(!gc_ptrset_contains(&s, addr(2 * i + 1)), "%" PRIu64 " present", 2 * i + 1);
    }
    cr_assert_eq(s.count, n);
    for (uint64_t i = 0; i < n; i += 2)
        cr_assert(gc_ptrset_remove(&s, addr(2 * i)), "remove %" PRIu64 " failed", i);
    for (uint64_t i = 0; i < n; i += 2)
        cr_assert(!gc_ptrset_remove(&s, addr(2 * i)), "second remove %" PRIu64 " succeeded", i);
    cr_assert_eq(s.count, n / 2);
    for (uint64_t i = 0; i < n; i++)
        cr_assert_eq(gc_ptrset_contains(&s, addr(2 * i)), i % 2 == 1, "%" PRIu64 " after removals", i);
    for (uint64_t i = 0; i < n; i += 2)
        cr_assert(gc_ptrset_add(&s, addr(2 * i)), "re-add %" PRIu64 " failed", i);
    cr_assert_eq(s.count, n);
    for (uint64_t i = 0; i < n; i++)
        cr_assert(gc_ptrset_contains(&s, addr(2 * i)));
    /* High addresses. */
    const void *hi = (const void *)(uintptr_t)0x7ffffffff000;
    cr_assert(gc_ptrset_add(&s, hi) && gc_ptrset_contains(&s, hi));
    gc_ptrset_free(&s);
}

Test(core, ptrset_churn)
{
    /* Many adds and removes with few live entries: deleted markers must be
     * reclaimed, not make the table grow without bound. */
    gc_ptrset s;
    gc_ptrset_init(&s);
    for (uint64_t i = 0; i < 200000; i++) {
        cr_assert(gc_ptrset_add(&s, addr(i)));
        if (i >= 8)
            cr_assert(gc_ptrset_remove(&s, addr(i - 8)));
    }
    cr_assert_eq(s.count, 8);
    cr_assert(s.cap <= 1024, "8 live entries after heavy churn, cap %zu", s.cap);
    for (uint64_t i = 0; i < 200000; i++)
        cr_assert_eq(gc_ptrset_contains(&s, addr(i)), i >= 200000 - 8, "%" PRIu64, i);
    gc_ptrset_free(&s);
}

/* ---- system allocator ------------------------------------------------------------------------ */

Test(core, sysalloc)
{
    cr_assert_not_null(gc_sys_allocator_name());
    unsigned char *z = gc_sys_alloc_zeroed(4096);
    for (int i = 0; i < 4096; i++)
        cr_assert_eq(z[i], 0);
    memset(z, 0x11, 4096);
    z = gc_sys_realloc(z, 4096, 1 << 20);
    for (int i = 0; i < 4096; i++)
        cr_assert_eq(z[i], 0x11, "realloc lost byte %d", i);
    gc_sys_free(z, 1 << 20);
    void *p = gc_sys_alloc(24);
    cr_assert_not_null(p);
    cr_assert_eq((uintptr_t)p % 8, 0);
    gc_sys_free(p, 24);
}

/* ---- events ----------------------------------------------------------------------------------- */

Test(core, event_names)
{
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++) {
        cr_assert(gc_pause_kind_name(k) && *gc_pause_kind_name(k));
        for (int j = 0; j < k; j++)
            cr_assert_str_neq(gc_pause_kind_name(k), gc_pause_kind_name(j));
    }
    for (int r = 0; r < GC_REASON_COUNT; r++) {
        cr_assert(gc_reason_name(r) && *gc_reason_name(r));
        for (int j = 0; j < r; j++)
            cr_assert_str_neq(gc_reason_name(r), gc_reason_name(j));
    }
    cr_assert_str_eq(gc_pause_kind_name(GC_PAUSE_FULL), "full");
    cr_assert_str_eq(gc_reason_name(GC_REASON_EXPLICIT), "explicit");
    cr_assert_not_null(gc_pause_kind_name(GC_PAUSE_KIND_COUNT), "out-of-range kind gives NULL");
}

/* ---- the registry ------------------------------------------------------------------------------ */

Test(core, registry)
{
    size_t n = 0;
    for (; gc_registered_collectors[n]; n++) {
        const gc_collector_ops *ops = gc_registered_collectors[n];
        cr_assert(ops->name && *ops->name, "collector %zu has no name", n);
        const char *bad = gc_collector_check(ops);
        cr_assert_null(bad, "collector %s: %s", ops->name, bad ? bad : "");
        cr_assert(ops->description && *ops->description, "%s has no description", ops->name);
        cr_assert_eq(gc_collector_find(ops->name), ops, "gc_collector_find(\"%s\") finds another", ops->name);
        cr_assert((unsigned)ops->alloc_mode <= GC_ALLOC_FREELIST, "%s: alloc_mode %d", ops->name,
                  (int)ops->alloc_mode);
        cr_assert((unsigned)ops->barrier <= GC_BARRIER_GENERATIONAL, "%s: barrier %d", ops->name, (int)ops->barrier);
        for (size_t j = 0; j < n; j++)
            cr_assert_str_neq(gc_registered_collectors[j]->name, ops->name, "two collectors named %s",
                              ops->name);
        /* Each registered collector can make a heap, which reports the
         * collector's name, limit and declared phases. */
        gc_config cfg = {.heap_limit = GC_DEFAULT_HEAP_LIMIT};
        char err[512] = "";
        gc_heap *h = gc_heap_create(ops->name, &cfg, err, sizeof err);
        cr_assert_not_null(h, "%s: gc_heap_create: %s", ops->name, err);
        gc_mutator *m = gc_mutator_attach(h);
        cr_assert_not_null(m, "%s: attach", ops->name);
        gc_heap_stats st;
        gc_heap_get_stats(h, &st);
        cr_assert_str_eq(st.collector, ops->name);
        cr_assert_str_eq(gc_heap_collector_name(h), ops->name);
        cr_assert_eq(gc_heap_limit(h), GC_DEFAULT_HEAP_LIMIT);
        cr_assert_eq(st.heap_limit, GC_DEFAULT_HEAP_LIMIT);
        cr_assert_eq(st.collections, 0);
        cr_assert_eq(st.allocated_bytes, 0);
        unsigned np = 0;
        while (ops->phases[np])
            np++;
        cr_assert_eq(gc_heap_nphases(h), np, "%s: %u phases, declared %u", ops->name, gc_heap_nphases(h), np);
        for (unsigned i = 0; i < np; i++)
            cr_assert_str_eq(gc_heap_phase_name(h, i), ops->phases[i]);
        gc_mutator_detach(m);
        gc_heap_destroy(h);
    }
    cr_assert(n >= 1, "no collector registered");
    cr_assert_null(gc_collector_find("nosuch"));
    cr_assert_null(gc_collector_find(""));
    char names[512] = "";
    gc_collector_names(names, sizeof names);
    for (size_t i = 0; i < n; i++)
        cr_assert(strstr(names, gc_registered_collectors[i]->name) != NULL, "gc_collector_names gave \"%s\"",
                  names);
}

Test(core, collector_check)
{
    cr_assert_null(gc_collector_check(&toy_ops), "the toy descriptor is rejected: %s",
                   gc_collector_check(&toy_ops));
#define CHECK_NULL_SLOT(s)                                                                        \
    do {                                                                                          \
        gc_collector_ops cp = toy_ops;                                                            \
        cp.s = NULL;                                                                              \
        const char *r = gc_collector_check(&cp);                                                  \
        cr_assert_not_null(r, "a descriptor with " #s " = NULL passes the check");                \
        cr_assert(strstr(r, #s) != NULL, "a descriptor with " #s " = NULL is reported as \"%s\"", r); \
    } while (0)
    CHECK_NULL_SLOT(name);
    CHECK_NULL_SLOT(phases);
    CHECK_NULL_SLOT(options);
    CHECK_NULL_SLOT(init);
    CHECK_NULL_SLOT(destroy);
    CHECK_NULL_SLOT(mutator_init);
    CHECK_NULL_SLOT(mutator_fini);
    CHECK_NULL_SLOT(alloc_slow);
    CHECK_NULL_SLOT(write_barrier);
    CHECK_NULL_SLOT(collect);
    CHECK_NULL_SLOT(finish);
    CHECK_NULL_SLOT(heap_used);
    CHECK_NULL_SLOT(footprint);
    CHECK_NULL_SLOT(contains);
    CHECK_NULL_SLOT(is_object);
    CHECK_NULL_SLOT(verify);
    CHECK_NULL_SLOT(stats);
#undef CHECK_NULL_SLOT

    /* Phase lists: at most GC_MAX_PHASES names of [A-Za-z0-9_-]. */
    static const char *const too_many[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", NULL};
    static const char *const max_phases[] = {"a", "b", "c", "d", "e", "f", "g", "h", NULL};
    static const char *const bad_name[] = {"roots", "mark and sweep", NULL};
    static const char *const empty_name[] = {"roots", "", NULL};
    static const char *const reserved[] = {"roots", "other", NULL};
    static const char *const dup_phase[] = {"mark", "mark", NULL};
    static const char *const no_phases[] = {NULL};
    static const char *const bacon_rajan[] = {"MarkGray", "Scan", "Collect_White-2", NULL};
    gc_collector_ops cp = toy_ops;
    cp.phases = too_many;
    cr_assert_not_null(gc_collector_check(&cp), "%d phases accepted (max %d)", GC_MAX_PHASES + 1, GC_MAX_PHASES);
    cp.phases = bad_name;
    cr_assert_not_null(gc_collector_check(&cp), "a phase name with spaces accepted");
    cp.phases = empty_name;
    cr_assert_not_null(gc_collector_check(&cp), "an empty phase name accepted");
    cp.phases = reserved;
    cr_assert_not_null(gc_collector_check(&cp), "a phase named 'other' (the time outside phases) accepted");
    cp.phases = dup_phase;
    cr_assert_not_null(gc_collector_check(&cp), "a phase declared twice accepted");
    cp.phases = max_phases;
    cr_assert_null(gc_collector_check(&cp), "GC_MAX_PHASES phases rejected");
    cp.phases = bacon_rajan;
    cr_assert_null(gc_collector_check(&cp), "mixed-case phase names rejected");
    cp.phases = no_phases;
    cr_assert_null(gc_collector_check(&cp), "an empty phase list rejected");

    /* Option lists: names [a-z0-9-], unique, defaults that parse. */
    static const gc_option_desc bad_default[] = {{"size", GC_OPTION_SIZE, "lots", "h"}, {NULL, 0, NULL, NULL}};
    static const gc_option_desc bad_bool[] = {{"flag", GC_OPTION_BOOL, "maybe", "h"}, {NULL, 0, NULL, NULL}};
    static const gc_option_desc bad_opt_name[] = {{"Size", GC_OPTION_SIZE, "1K", "h"}, {NULL, 0, NULL, NULL}};
    static const gc_option_desc twice[] = {{"size", GC_OPTION_SIZE, "1K", "h"},
                                           {"size", GC_OPTION_UINT, "1", "h"},
                                           {NULL, 0, NULL, NULL}};
    cp = toy_ops;
    cp.options = bad_default;
    cr_assert_not_null(gc_collector_check(&cp), "a size option defaulting to \"lots\" accepted");
    cp.options = bad_bool;
    cr_assert_not_null(gc_collector_check(&cp), "a bool option defaulting to \"maybe\" accepted");
    cp.options = bad_opt_name;
    cr_assert_not_null(gc_collector_check(&cp), "an option named \"Size\" accepted");
    cp.options = twice;
    cr_assert_not_null(gc_collector_check(&cp), "an option declared twice accepted");
    cp.options = gc_no_options;
    cr_assert_null(gc_collector_check(&cp), "gc_no_options rejected");

    /* gc_heap_create_with runs the check. */
    cp = toy_ops;
    cp.collect = NULL;
    gc_config cfg = {.heap_limit = 4u << 20};
    char err[512] = "";
    cr_assert_null(gc_heap_create_with(&cp, &cfg, err, sizeof err), "a descriptor without collect made a heap");
    cr_assert(strstr(err, "collect") != NULL, "message does not name the slot: \"%s\"", err);
}

Test(core, heap_create_errors)
{
    gc_config cfg = {.heap_limit = 4u << 20};
    char err[512] = "";
    cr_assert_null(gc_heap_create("nosuch", &cfg, err, sizeof err));
    cr_assert(strstr(err, "nosuch") != NULL, "message does not name the collector: \"%s\"", err);
    cr_assert_null(gc_heap_create("nosuch", &cfg, NULL, 0), "NULL err buffer");
    char tiny[4] = "xyz";
    cr_assert_null(gc_heap_create("nosuch-with-a-long-name", &cfg, tiny, sizeof tiny));
    cr_assert_eq(tiny[3], 0, "message not truncated to the buffer");

    gc_config zero = {.heap_limit = 0};
    err[0] = 0;
    cr_assert_null(gc_heap_create_with(&toy_ops, &zero, err, sizeof err), "heap_limit 0 accepted");
    cr_assert(err[0] != 0, "no message for heap_limit 0");
    gc_config small = {.heap_limit = GC_MIN_HEAP_LIMIT - 8};
    err[0] = 0;
    cr_assert_null(gc_heap_create_with(&toy_ops, &small, err, sizeof err), "a limit below the minimum accepted");
    cr_assert(err[0] != 0);
    err[0] = 0;
    cr_assert_null(gc_heap_create_with(&toy_ops, NULL, err, sizeof err), "NULL config accepted");
    cr_assert(err[0] != 0, "no message for a NULL config");
    for (size_t i = 0; gc_registered_collectors[i]; i++) {
        err[0] = 0;
        cr_assert_null(gc_heap_create(gc_registered_collectors[i]->name, &zero, err, sizeof err),
                       "%s accepts heap_limit 0", gc_registered_collectors[i]->name);
        cr_assert(err[0] != 0);
    }
}

/* ---- collector options ------------------------------------------------------------------------------ */

/* err must name the collector, the offending text and every valid option. */
static void expect_option_error(const char *options, const char *offending)
{
    char err[512] = "";
    cr_assert_eq(gc_collector_check_options(&toy_ops, options, err, sizeof err), -1,
                 "options \"%s\" accepted", options);
    cr_assert(strstr(err, "toy") != NULL, "\"%s\": the message does not name the collector: %s", options, err);
    cr_assert(strstr(err, offending) != NULL, "\"%s\": the message does not show \"%s\": %s", options,
              offending, err);
    for (size_t i = 0; toy_options[i].name; i++)
        cr_assert(strstr(err, toy_options[i].name) != NULL,
                  "\"%s\": the message does not list option %s: %s", options, toy_options[i].name, err);
    /* The same string refused by heap creation, with a message. */
    gc_config cfg = {.heap_limit = 4u << 20, .options = options};
    err[0] = 0;
    int collects = toy.collects;
    cr_assert_null(gc_heap_create_with(&toy_ops, &cfg, err, sizeof err), "a heap with options \"%s\"", options);
    cr_assert(strstr(err, offending) != NULL, "gc_heap_create_with(\"%s\"): %s", options, err);
    cr_assert_eq(toy.collects, collects);
}

Test(core, options_check)
{
    char err[512] = "";
    cr_assert_eq(gc_collector_check_options(&toy_ops, "", err, sizeof err), 0, "%s", err);
    cr_assert_eq(gc_collector_check_options(&toy_ops, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gc_collector_check_options(&toy_ops, "size=64K", err, sizeof err), 0, "%s", err);
    cr_assert_eq(gc_collector_check_options(&toy_ops, "size=2K,flag=off,count=3", err, sizeof err), 0, "%s", err);
    expect_option_error("nosuch=1", "nosuch");
    expect_option_error("size=1K,nosuch=1", "nosuch");
    expect_option_error("sizes=1K", "sizes");
    expect_option_error("size=12Q", "12Q");
    expect_option_error("size=K", "size");
    expect_option_error("size=-1", "-1");
    expect_option_error("size=", "size");
    expect_option_error("size=1.5M", "1.5M");
    expect_option_error("flag=maybe", "maybe");
    expect_option_error("flag=", "flag");
    expect_option_error("count=x", "count");
    expect_option_error("count=-3", "count");
    /* A collector without options says so. */
    gc_collector_ops none = toy_ops;
    none.name = "plain";
    none.options = gc_no_options;
    cr_assert_eq(gc_collector_check_options(&none, "", err, sizeof err), 0, "%s", err);
    cr_assert_eq(gc_collector_check_options(&none, "size=1K", err, sizeof err), -1);
    cr_assert(strstr(err, "plain") != NULL && strstr(err, "size") != NULL, "%s", err);
}

static void expect_options(const char *options, uint64_t size, bool flag, uint64_t count)
{
    gc_config cfg = {.heap_limit = 4u << 20, .options = options};
    char err[512] = "";
    memset(&toy, 0, sizeof toy);
    gc_heap *h = gc_heap_create_with(&toy_ops, &cfg, err, sizeof err);
    cr_assert_not_null(h, "options \"%s\": %s", options ? options : "(null)", err);
    cr_assert_eq(toy.opt_size, size, "\"%s\": size %" PRIu64 ", want %" PRIu64, options, toy.opt_size, size);
    cr_assert_eq(toy.opt_flag, flag, "\"%s\": flag %d, want %d", options, toy.opt_flag, flag);
    cr_assert_eq(toy.opt_count, count, "\"%s\": count %" PRIu64 ", want %" PRIu64, options, toy.opt_count, count);
    /* The same values after init, through the heap. */
    cr_assert_eq(gc_heap_option_u64(h, "size"), size);
    cr_assert_eq(gc_heap_option_bool(h, "flag"), flag);
    cr_assert_eq(gc_heap_option_u64(h, "count"), count);
    gc_heap_destroy(h);
}

Test(core, options_values)
{
    /* Defaults. */
    expect_options(NULL, 1u << 20, true, 7);
    expect_options("", 1u << 20, true, 7);
    /* Sizes: bytes, K, M, G (binary). */
    expect_options("size=4096", 4096, true, 7);
    expect_options("size=64K", 64u << 10, true, 7);
    expect_options("size=3M", 3u << 20, true, 7);
    expect_options("size=2G", (uint64_t)2 << 30, true, 7);
    expect_options("size=0", 0, true, 7);
    /* Every bool spelling. */
    static const char *const on[] = {"on", "true", "yes", "1"}, *const off[] = {"off", "false", "no", "0"};
    for (int i = 0; i < 4; i++) {
        char o[32];
        snprintf(o, sizeof o, "flag=%s", off[i]);
        expect_options(o, 1u << 20, false, 7);
        snprintf(o, sizeof o, "flag=%s", on[i]);
        expect_options(o, 1u << 20, true, 7);
    }
    /* Several at once; the others keep their defaults. */
    expect_options("count=42,flag=off", 1u << 20, false, 42);
    expect_options("size=2K,flag=no,count=3", 2048, false, 3);
}

Test(core, options_print)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    gc_collector_print_options(&toy_ops, f, "  ");
    fclose(f);
    for (size_t i = 0; toy_options[i].name; i++) {
        cr_assert(strstr(buf, toy_options[i].name) && strstr(buf, toy_options[i].help) &&
                      strstr(buf, toy_options[i].def),
                  "option %s missing from:\n%s", toy_options[i].name, buf);
    }
    size_t lines = 0;
    for (char *q = buf; *q; q++)
        lines += *q == '\n';
    cr_assert_eq(lines, 3, "want one line per option:\n%s", buf);
    free(buf);
    gc_collector_ops none = toy_ops;
    none.options = gc_no_options;
    buf = NULL;
    f = open_memstream(&buf, &len);
    gc_collector_print_options(&none, f, "  ");
    fclose(f);
    cr_assert_eq(len, 0, "a collector without options printed \"%s\"", buf);
    free(buf);
}

static bool has_options(const gc_collector_ops *ops) { return ops->options[0].name != NULL; }

/* "NAME:OPTIONS" specs, through the registry (whichever collectors it has). */
Test(core, collector_spec)
{
    char name[64];
    const char *o = gc_collector_spec_split("toy:size=1K,flag=off", name, sizeof name);
    cr_assert_str_eq(name, "toy");
    cr_assert_str_eq(o, "size=1K,flag=off");
    o = gc_collector_spec_split("toy", name, sizeof name);
    cr_assert_str_eq(name, "toy");
    cr_assert_str_eq(o, "");
    o = gc_collector_spec_split("toy:", name, sizeof name);
    cr_assert_str_eq(name, "toy");
    cr_assert_str_eq(o, "");

    const gc_collector_ops *any = gc_registered_collectors[0];
    cr_assert_not_null(any, "no collector registered");
    gc_config cfg = {.heap_limit = 8u << 20};
    char spec[256], err[512] = "";
    snprintf(spec, sizeof spec, "%s:nosuch-option=1", any->name);
    cr_assert_null(gc_heap_create(spec, &cfg, err, sizeof err), "\"%s\" made a heap", spec);
    cr_assert(strstr(err, any->name) && strstr(err, "nosuch-option"),
              "\"%s\": the message names neither the collector nor the option: %s", spec, err);
    /* The same through cfg.options. */
    gc_config cfg2 = {.heap_limit = 8u << 20, .options = "nosuch-option=1"};
    err[0] = 0;
    cr_assert_null(gc_heap_create(any->name, &cfg2, err, sizeof err));
    cr_assert(strstr(err, "nosuch-option"), "%s", err);
    /* An unknown collector in a spec is named without its options. */
    err[0] = 0;
    cr_assert_null(gc_heap_create("nosuch:size=1K", &cfg, err, sizeof err));
    cr_assert(strstr(err, "nosuch") != NULL, "%s", err);

    /* A registered collector with options accepts each at its default,
     * from the spec and from cfg.options together. */
    const gc_collector_ops *opt = NULL;
    for (size_t i = 0; gc_registered_collectors[i] && !opt; i++)
        if (has_options(gc_registered_collectors[i]))
            opt = gc_registered_collectors[i];
    if (!opt)
        cr_skip_test("no registered collector declares options");
    const gc_option_desc *d = &opt->options[0];
    snprintf(spec, sizeof spec, "%s:%s=%s", opt->name, d->name, d->def);
    gc_config cfg3 = {.heap_limit = 32u << 20};
    char both[128];
    snprintf(both, sizeof both, "%s=%s", d->name, d->def);
    cfg3.options = both;
    gc_heap *h = gc_heap_create(spec, &cfg3, err, sizeof err);
    cr_assert_not_null(h, "\"%s\" with options \"%s\": %s", spec, both, err);
    cr_assert_str_eq(gc_heap_collector_name(h), opt->name);
    gc_heap_destroy(h);
}

/* ---- the pause log: declared phases ------------------------------------------------------------------ */

Test(core, declared_phases)
{
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    cr_assert_eq(gc_heap_nphases(h), 3);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_str_eq(gc_heap_phase_name(h, i), toy_phases[i]);
    gc_value keep = GC_NIL;
    gc_root(m, &keep);
    keep = gc_value_of(gc_alloc_ref_array(m, 100));
    for (int i = 0; i < 100; i++)
        gc_set_elem(m, gc_ref(keep), (uint64_t)i, gc_value_of(gc_alloc_bytes(m, 100)));
    for (int k = 0; k < 3; k++)
        gc_collect(m, GC_COLLECT_MAJOR);
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    cr_assert_eq(st.npauses, 3);
    for (size_t i = 0; i < st.npauses; i++) {
        const gc_pause *pz = &st.pauses[i];
        uint64_t sum = pz->other_ns;
        for (unsigned q = 0; q < GC_MAX_PHASES; q++) {
            sum += pz->phase_ns[q];
            if (q >= 3)
                cr_assert_eq(pz->phase_ns[q], 0, "pause %zu: time in undeclared phase %u", i, q);
        }
        cr_assert_eq(sum, pz->duration_ns, "pause %zu: phases + other = %" PRIu64 ", duration %" PRIu64, i, sum,
                     pz->duration_ns);
        cr_assert_eq(pz->kind, GC_PAUSE_FULL);
        cr_assert_eq(pz->reason, GC_REASON_EXPLICIT);
    }
    close_heap(h, m);
}

/* ---- collections by kind ---------------------------------------------------------------------------- */

Test(core, collect_kinds_reach_the_collector)
{
    memset(&toy, 0, sizeof toy);
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    gc_collect(m, GC_COLLECT_MINOR);
    gc_collect(m, GC_COLLECT_ANY);
    gc_collect(m, GC_COLLECT_MAJOR);
    cr_assert_eq(toy.collects, 3);
    cr_assert(toy.kinds[0] == GC_COLLECT_MINOR && toy.kinds[1] == GC_COLLECT_ANY && toy.kinds[2] == GC_COLLECT_MAJOR,
              "kinds %d %d %d, want minor any major", toy.kinds[0], toy.kinds[1], toy.kinds[2]);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(toy.reasons[i], GC_REASON_EXPLICIT, "gc_collect %d: reason %s", i,
                     gc_reason_name(toy.reasons[i]));
    close_heap(h, m);

    /* Stress mode: (ANY, STRESS) every `stress` allocations. */
    memset(&toy, 0, sizeof toy);
    gc_config cfg = {.heap_limit = 4u << 20, .stress = 5};
    h = open_with(&toy_ops, &cfg, &m);
    for (int i = 0; i < 50; i++)
        gc_alloc_bytes(m, 16);
    cr_assert(toy.collects >= 9 && toy.collects <= 11, "%d stress collections for 50 allocations at stress=5",
              toy.collects);
    for (int i = 0; i < toy.collects; i++)
        cr_assert(toy.kinds[i] == GC_COLLECT_ANY && toy.reasons[i] == GC_REASON_STRESS,
                  "stress collection %d: kind %d reason %s", i, toy.kinds[i], gc_reason_name(toy.reasons[i]));
    close_heap(h, m);
}

/* ---- roots: nil and immediates never reach the collector ------------------------------------------------ */

typedef struct scan3 {
    gc_value slots[3];
} scan3;

static void scan3_fn(void *data, gc_visit_fn visit, void *vctx)
{
    scan3 *s = data;
    for (int i = 0; i < 3; i++)
        visit(&s->slots[i], vctx); /* nil and immediates too: core filters */
}

Test(core, roots_filter_non_references)
{
    memset(&toy, 0, sizeof toy);
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    gc_value a = GC_NIL, b = gc_int(11), c = GC_NIL;
    gc_root(m, &a);
    gc_root(m, &b);
    gc_root(m, &c);
    c = gc_value_of(gc_alloc_bytes(m, 10));
    static gc_value g_nil = GC_NIL, g_int = GC_NIL, g_ref = GC_NIL;
    g_int = gc_int(-4);
    g_ref = gc_value_of(gc_alloc_bytes(m, 20));
    gc_heap_add_root(h, &g_nil);
    gc_heap_add_root(h, &g_int);
    gc_heap_add_root(h, &g_ref);
    static scan3 sc;
    sc.slots[0] = GC_NIL;
    sc.slots[1] = gc_int(5);
    sc.slots[2] = gc_value_of(gc_alloc_bytes(m, 30));
    gc_mutator_add_root_scanner(m, scan3_fn, &sc);
    gc_value sc_obj = sc.slots[2];

    gc_collect(m, GC_COLLECT_MAJOR);
    cr_assert_eq(toy.root_nonrefs, 0, "the collector's root visitor saw %zu nil or immediate slots",
                 toy.root_nonrefs);
    cr_assert_eq(toy.root_visits, 3, "%zu root visits, want 3 (stack, global, scanner references)",
                 toy.root_visits);
    bool seen_c = false, seen_g = false, seen_s = false;
    for (size_t i = 0; i < toy.root_visits; i++) {
        seen_c |= toy.roots_seen[i] == c;
        seen_g |= toy.roots_seen[i] == g_ref;
        seen_s |= toy.roots_seen[i] == sc_obj;
    }
    cr_assert(seen_c && seen_g && seen_s, "a reference root was not visited (stack %d global %d scanner %d)",
              seen_c, seen_g, seen_s);
    cr_assert(toy_contains(h, gc_ref(sc_obj)), "the object held only by the scanner was freed");
    cr_assert(b == gc_int(11) && g_int == gc_int(-4) && sc.slots[1] == gc_int(5) && a == GC_NIL && g_nil == GC_NIL,
              "a non-reference root changed");
    /* The verifier walks the same filtered roots. */
    cr_assert_eq(gc_verify_heap(h), 0);
    gc_mutator_remove_root_scanner(m, scan3_fn, &sc);
    gc_heap_remove_root(h, &g_nil);
    gc_heap_remove_root(h, &g_int);
    gc_heap_remove_root(h, &g_ref);
    close_heap(h, m);
}

/* ---- the write-barrier contract ------------------------------------------------------------------------ */

static void expect_barrier(int i, gc_object *holder, gc_value *slot, gc_value old, gc_value v, const char *what)
{
    cr_assert(toy.barriers > i, "%s: the barrier was not called", what);
    cr_assert_eq(toy.bar[i].holder, holder, "%s: wrong holder", what);
    cr_assert_eq(toy.bar[i].slot, slot, "%s: wrong slot", what);
    cr_assert_eq(toy.bar[i].old, old, "%s: old %#lx, want %#lx", what, (unsigned long)toy.bar[i].old,
                 (unsigned long)old);
    cr_assert_eq(toy.bar[i].v, v, "%s: new %#lx, want %#lx", what, (unsigned long)toy.bar[i].v, (unsigned long)v);
    cr_assert_eq(toy.bar[i].stored, v, "%s: the slot held %#lx when the barrier ran: core must store first", what,
                 (unsigned long)toy.bar[i].stored);
}

Test(core, barrier_always)
{
    uint32_t ty = gc_type_register("CoreBarrier", "rri");
    memset(&toy, 0, sizeof toy);
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    gc_value rec = GC_NIL, arr = GC_NIL, s = GC_NIL;
    gc_root(m, &rec);
    gc_root(m, &arr);
    gc_root(m, &s);
    rec = gc_value_of(gc_alloc_record(m, ty));
    arr = gc_value_of(gc_alloc_ref_array(m, 4));
    s = gc_value_of(gc_alloc_string(m, "x", 1));
    cr_assert_eq(toy.barriers, 0, "allocation called the barrier");
    gc_object *r = gc_ref(rec), *a = gc_ref(arr);
    gc_set_field(m, r, 0, s);
    expect_barrier(0, r, &gc_slots(r)[0], GC_NIL, s, "nil -> reference");
    gc_set_field(m, r, 0, gc_int(3));
    expect_barrier(1, r, &gc_slots(r)[0], s, gc_int(3), "reference -> int");
    gc_set_field(m, r, 0, GC_NIL);
    expect_barrier(2, r, &gc_slots(r)[0], gc_int(3), GC_NIL, "int -> nil");
    gc_set_field(m, r, 1, GC_NIL);
    expect_barrier(3, r, &gc_slots(r)[1], GC_NIL, GC_NIL, "nil -> nil");
    gc_set_elem(m, a, 3, rec);
    expect_barrier(4, a, &gc_slots(a)[3], GC_NIL, rec, "array element nil -> reference");
    gc_set_elem(m, a, 3, s);
    expect_barrier(5, a, &gc_slots(a)[3], rec, s, "array element reference -> reference");
    gc_write(m, a, &gc_slots(a)[0], gc_int(-1));
    expect_barrier(6, a, &gc_slots(a)[0], GC_NIL, gc_int(-1), "gc_write of an int");
    cr_assert_eq(toy.barriers, 7);
    /* Raw words are not reference stores. */
    gc_set_word(r, 2, 12345);
    cr_assert_eq(toy.barriers, 7, "gc_set_word called the barrier");
    cr_assert_eq(gc_words(r)[2], 12345);
    close_heap(h, m);
}

static gc_collector_ops toy_variant;

Test(core, barrier_none_and_generational)
{
    uint32_t ty = gc_type_register("CoreBarrier", "rri");
    gc_config cfg = {.heap_limit = 4u << 20};
    gc_mutator *m;

    /* GC_BARRIER_NONE: core stores, the collector hears nothing. */
    memset(&toy, 0, sizeof toy);
    toy_variant = toy_ops;
    toy_variant.barrier = GC_BARRIER_NONE;
    gc_heap *h = open_with(&toy_variant, &cfg, &m);
    gc_value rec = GC_NIL, s = GC_NIL;
    gc_root(m, &rec);
    gc_root(m, &s);
    rec = gc_value_of(gc_alloc_record(m, ty));
    s = gc_value_of(gc_alloc_string(m, "y", 1));
    gc_set_field(m, gc_ref(rec), 0, s);
    gc_set_field(m, gc_ref(rec), 1, gc_int(2));
    cr_assert(gc_field(gc_ref(rec), 0) == s && gc_field(gc_ref(rec), 1) == gc_int(2), "stores lost");
    cr_assert_eq(toy.barriers, 0, "GC_BARRIER_NONE called the barrier %d times", toy.barriers);
    close_heap(h, m);

    /* GC_BARRIER_GENERATIONAL: only a store of a value in the young range
     * into an unlogged holder outside it, with old and new. */
    static uint64_t young[8] __attribute__((aligned(16)));
    memset(&toy, 0, sizeof toy);
    toy.young_lo = (uintptr_t)young;
    toy.young_size = sizeof young;
    toy_variant = toy_ops;
    toy_variant.barrier = GC_BARRIER_GENERATIONAL;
    h = open_with(&toy_variant, &cfg, &m);
    cr_assert_eq(m->young_lo, (uintptr_t)young);
    rec = s = GC_NIL;
    gc_root(m, &rec);
    gc_root(m, &s);
    rec = gc_value_of(gc_alloc_record(m, ty));
    s = gc_value_of(gc_alloc_string(m, "z", 1));
    gc_object *r = gc_ref(rec);
    gc_value yv = gc_value_of((gc_object *)&young[2]);
    gc_set_field(m, r, 0, s); /* old -> old */
    gc_set_field(m, r, 1, gc_int(9));
    cr_assert_eq(toy.barriers, 0, "the generational filter let through a store of an old value or an int");
    gc_set_field(m, r, 0, yv); /* old -> young */
    expect_barrier(0, r, &gc_slots(r)[0], s, yv, "generational: old -> young");
    gc_set_field(m, r, 0, GC_NIL);
    cr_assert_eq(toy.barriers, 1, "the generational filter let through a nil store");
    cr_assert_eq(gc_field(r, 0), GC_NIL);
    r->header |= GC_HDR_LOGGED;
    gc_set_field(m, r, 1, yv);
    cr_assert_eq(toy.barriers, 1, "the generational filter let through a store into a logged holder");
    cr_assert_eq(gc_field(r, 1), yv, "the store into a logged holder was lost");
    gc_set_field(m, r, 1, GC_NIL);
    r->header &= ~GC_HDR_LOGGED;
    close_heap(h, m);
}

/* ---- the heap verifier ---------------------------------------------------------------------------- */

static void expect_verify(gc_heap *h, bool bad, const char *what)
{
    size_t n = gc_verify_heap(h);
    if (bad)
        cr_assert(n > 0, "%s: the verifier missed: %s", gc_heap_collector_name(h), what);
    else
        cr_assert_eq(n, 0, "%s: the verifier reports %zu problems in a good heap (%s)", gc_heap_collector_name(h),
                     n, what);
}

/* Plants one corruption after another into a heap of a non-moving
 * collector and expects the verifier to catch each (and the collector's
 * verify, which walks its objects by header, to report a corrupt header
 * rather than crash). */
/* conservative: the collector may keep a dead object (ops->conservative). */
static void verifier_checks(gc_heap *h, gc_mutator *m, bool headers, bool conservative)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    cr_assert(ty != GC_TYPE_INVALID);
    gc_value rec = GC_NIL, small = GC_NIL, large = GC_NIL;
    gc_root(m, &rec);
    gc_root(m, &small);
    gc_root(m, &large);
    small = gc_value_of(gc_alloc_value_array(m, 8)); /* 72 bytes */
    large = gc_value_of(gc_alloc_value_array(m, 4000)); /* 32 KB: a large object */
    rec = gc_value_of(gc_alloc_record(m, ty));
    gc_object *s = gc_alloc_string(m, "target", 6);
    gc_set_field(m, gc_ref(rec), 0, gc_value_of(s));
    gc_set_field(m, gc_ref(rec), 1, gc_int(3));
    gc_collect(m, GC_COLLECT_MAJOR);
    expect_verify(h, false, "initial");

    gc_object *r = gc_ref(rec);
    gc_value saved = gc_field(r, 0);
    uint64_t hdr = r->header;

    if (headers) {
        /* 1. An unregistered type id. */
        r->header = gc_make_header(GC_MAX_TYPES - 2, 3);
        cr_assert_null(gc_type_get(GC_MAX_TYPES - 2));
        expect_verify(h, true, "a header with an unregistered type id");
        r->header = hdr;
        expect_verify(h, false, "after restoring the header");

        /* 2. A record whose length disagrees with its type. */
        r->header = gc_make_header(ty, 5);
        expect_verify(h, true, "a record of length 5 whose type has 3 fields");
        r->header = hdr;
    }

    /* 3. A misaligned reference. */
    gc_slots(r)[0] = saved + 4;
    expect_verify(h, true, "a misaligned reference");
    gc_slots(r)[0] = saved;

    /* 4. A reference outside the heap (to a well-formed object). */
    static uint64_t outside[2] __attribute__((aligned(16)));
    outside[0] = gc_make_header(GC_TYPE_BYTES, 8);
    gc_slots(r)[0] = gc_value_of((gc_object *)outside);
    expect_verify(h, true, "a reference to an object outside the heap");
    gc_slots(r)[0] = saved;

    /* 5. Interior pointers, where a word inside the object looks like a header. */
    gc_object *so = gc_ref(small);
    gc_words(so)[1] = gc_make_header(GC_TYPE_BYTES, 8);
    gc_slots(r)[0] = gc_value_of(so) + 16;
    expect_verify(h, true, "an interior pointer into a small object");
    gc_object *lo = gc_ref(large);
    gc_words(lo)[511] = gc_make_header(GC_TYPE_BYTES, 8);
    gc_slots(r)[0] = gc_value_of(lo) + 4096;
    expect_verify(h, true, "an interior pointer into a large object");
    gc_slots(r)[0] = saved;

    /* 6. A reference to a forwarded / free word (header tag clear). */
    gc_words(so)[1] = gc_make_header(GC_TYPE_BYTES, 8);
    gc_words(so)[2] = (uint64_t)(uintptr_t)outside; /* an aligned pointer: tag bit clear */
    gc_slots(r)[0] = gc_value_of(so) + 24;
    expect_verify(h, true, "a reference to a word whose tag bit is clear");
    gc_slots(r)[0] = saved;
    gc_words(so)[1] = gc_words(so)[2] = 0;

    /* 7. A reference to an object that was freed (a conservative collector
     * keeps it: `dead` below is a stack word pointing at it). */
    if (conservative) {
        expect_verify(h, false, "after restoring everything");
        return;
    }
    gc_value dead_slot = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &dead_slot);
    dead_slot = gc_value_of(gc_alloc_bytes(m, 200));
    gc_roots_restore(m, depth);
    gc_value dead = dead_slot;
    gc_collect(m, GC_COLLECT_MAJOR); /* non-moving: `dead` is the freed address */
    r = gc_ref(rec);
    gc_slots(r)[0] = dead;
    expect_verify(h, true, "a reference to a freed object");
    gc_slots(r)[0] = saved;

    expect_verify(h, false, "after restoring everything");
}

Test(core, verifier_catches_corruption)
{
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    verifier_checks(h, m, true, false);
    close_heap(h, m);
}

static bool not_moving(const gc_collector_ops *ops) { return !ops->moving; }

/* The same against every registered non-moving collector: its contains and
 * is_object must reject misaligned and interior pointers, words that are not
 * headers and freed objects. */
ParameterizedTestParameters(core, verifier_catches_corruption_in) { return conf_make_params_where(not_moving); }
ParameterizedTest(conf_param *p, core, verifier_catches_corruption_in)
{
    if (p->mode == CONF_STRESS)
        cr_skip_test("planting bad references is a normal-mode test");
    conf_ctx c;
    conf_open(&c, p, 4u << 20, 0);
    verifier_checks(c.h, c.m, true, c.ops->conservative);
    conf_close(&c);
}

/* The footprint check is core's, for every collector: a collector whose
 * footprint exceeds the limit fails verification. */
Test(core, verifier_checks_footprint)
{
    memset(&toy, 0, sizeof toy);
    gc_mutator *m;
    gc_heap *h = open_toy(4u << 20, &m);
    gc_value keep = GC_NIL;
    gc_root(m, &keep);
    keep = gc_value_of(gc_alloc_bytes(m, 1000));
    expect_verify(h, false, "an honest footprint");
    toy.footprint_lies = true;
    expect_verify(h, true, "a footprint over the limit");
    toy.footprint_lies = false;
    expect_verify(h, false, "an honest footprint again");
    toy.verify_fails = true;
    expect_verify(h, true, "a problem reported by ops->verify");
    toy.verify_fails = false;
    close_heap(h, m);
}

/* The corrupt handler: called with the point and the number of problems,
 * may longjmp out; the heap can then be destroyed. */
static struct {
    jmp_buf jb;
    int calls;
    char when[128];
    size_t problems;
    gc_heap *heap;
    void *data;
} corrupt_seen;

static void recording_corrupt(gc_heap *h, const char *when, size_t problems, void *data)
{
    corrupt_seen.calls++;
    snprintf(corrupt_seen.when, sizeof corrupt_seen.when, "%s", when ? when : "(null)");
    corrupt_seen.problems = problems;
    corrupt_seen.heap = h;
    corrupt_seen.data = data;
    longjmp(corrupt_seen.jb, 1);
}

static gc_value corrupt_rec = GC_NIL;

Test(core, corrupt_handler_after_pause)
{
    static int marker;
    static gc_heap *h;
    static gc_mutator *m;
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    memset(&toy, 0, sizeof toy);
    memset(&corrupt_seen, 0, sizeof corrupt_seen);
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    h = open_with(&toy_ops, &cfg, &m);
    gc_heap_set_corrupt_handler(h, recording_corrupt, &marker);
    corrupt_rec = GC_NIL;
    gc_root(m, &corrupt_rec);
    corrupt_rec = gc_value_of(gc_alloc_record(m, ty));
    gc_collect(m, GC_COLLECT_MAJOR); /* a clean heap: not called */
    cr_assert_eq(corrupt_seen.calls, 0, "the corrupt handler ran on a clean heap: %s", corrupt_seen.when);
    /* A bad reference: to an object outside the heap. */
    static uint64_t outside[2] __attribute__((aligned(16)));
    outside[0] = gc_make_header(GC_TYPE_BYTES, 8);
    gc_slots(gc_ref(corrupt_rec))[0] = gc_value_of((gc_object *)outside);
    if (setjmp(corrupt_seen.jb) == 0) {
        gc_collect(m, GC_COLLECT_MAJOR);
        cr_assert_fail("a corrupt heap passed verification after a pause");
    }
    cr_assert_eq(corrupt_seen.calls, 1);
    cr_assert(corrupt_seen.problems >= 1, "problems = %zu", corrupt_seen.problems);
    cr_assert(corrupt_seen.heap == h && corrupt_seen.data == &marker, "the handler got the wrong heap or data");
    cr_assert(strstr(corrupt_seen.when, "pause") != NULL, "when = \"%s\": does not say after which pause",
              corrupt_seen.when);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* gc_verify_collector: with cfg.verify, the collector's own check at a
 * point of its choosing, ending in the corrupt handler on a problem. */
Test(core, corrupt_handler_from_verify_collector)
{
    static gc_heap *h;
    static gc_mutator *m;
    memset(&toy, 0, sizeof toy);
    memset(&corrupt_seen, 0, sizeof corrupt_seen);
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    h = open_with(&toy_ops, &cfg, &m);
    gc_heap_set_corrupt_handler(h, recording_corrupt, NULL);
    gc_verify_collector(h, "before a test step");
    cr_assert_eq(corrupt_seen.calls, 0, "called on a clean heap");
    toy.verify_fails = true;
    if (setjmp(corrupt_seen.jb) == 0) {
        gc_verify_collector(h, "before a test step");
        cr_assert_fail("gc_verify_collector ignored a problem reported by ops->verify");
    }
    cr_assert_eq(corrupt_seen.calls, 1);
    cr_assert_str_eq(corrupt_seen.when, "before a test step");
    cr_assert_eq(corrupt_seen.problems, 1);
    toy.verify_fails = false;
    gc_mutator_detach(m);
    gc_heap_destroy(h);

    /* Without cfg.verify it checks nothing. */
    gc_config quiet = {.heap_limit = 4u << 20};
    h = open_with(&toy_ops, &quiet, &m);
    gc_heap_set_corrupt_handler(h, recording_corrupt, NULL);
    toy.verify_fails = true;
    gc_verify_collector(h, "unverified");
    cr_assert_eq(corrupt_seen.calls, 1, "gc_verify_collector ran without cfg.verify");
    toy.verify_fails = false;
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* A footprint over the limit after a pause reaches the handler too. */
Test(core, corrupt_handler_footprint)
{
    static gc_heap *h;
    static gc_mutator *m;
    memset(&toy, 0, sizeof toy);
    memset(&corrupt_seen, 0, sizeof corrupt_seen);
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    h = open_with(&toy_ops, &cfg, &m);
    gc_heap_set_corrupt_handler(h, recording_corrupt, NULL);
    toy.footprint_lies = true;
    if (setjmp(corrupt_seen.jb) == 0) {
        gc_collect(m, GC_COLLECT_MAJOR);
        cr_assert_fail("a footprint over the limit passed verification after a pause");
    }
    cr_assert_eq(corrupt_seen.calls, 1);
    toy.footprint_lies = false;
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* With cfg.verify and the default handler, a collection that leaves a
 * broken heap stops the run with GC_EXIT_HEAP_CORRUPT. */
Test(core, verify_after_pause_exits, .exit_code = GC_EXIT_HEAP_CORRUPT)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    gc_mutator *m;
    gc_heap *h = open_with(&toy_ops, &cfg, &m);
    gc_value rec = GC_NIL;
    gc_root(m, &rec);
    rec = gc_value_of(gc_alloc_record(m, ty));
    gc_collect(m, GC_COLLECT_MAJOR); /* fine */
    /* A length that disagrees with the type: harmless to the marker, caught
     * by the verifier after the pause. */
    gc_ref(rec)->header = gc_make_header(ty, 5);
    gc_collect(m, GC_COLLECT_MAJOR);
    cr_assert_fail("a corrupt heap passed verification");
    (void)h;
}

#ifndef NDEBUG
/* Debug builds: a reference store into a raw field aborts. */
Test(core, set_field_checks_ref_field, .signal = SIGABRT)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    gc_mutator *m;
    gc_heap *h = open_toy(1u << 20, &m);
    gc_object *o = gc_alloc_record(m, ty);
    gc_set_field(m, o, 2, gc_int(1));
    cr_assert_fail("storing a reference into raw field 2 did not abort");
    (void)h;
}
#endif

/* ---- moving object bodies ------------------------------------------------------------ */

/* gc_copy_body copies everything after the header for every size (the
 * unrolled small cases and the memcpy tail); gc_move_object is safe for
 * overlapping moves in both directions (sliding compaction). */
Test(core, copy_body_and_move_object)
{
    static uint64_t src[64], dst[64], buf[80];
    for (size_t size = 16; size <= sizeof src; size += 8) {
        for (size_t i = 0; i < 64; i++) {
            src[i] = 0x1000 + i;
            dst[i] = 0;
        }
        gc_copy_body((gc_object *)dst, (gc_object *)src, size);
        cr_assert_eq(dst[0], 0, "gc_copy_body wrote the header (size %zu)", size);
        for (size_t i = 1; i < size / 8; i++)
            cr_assert_eq(dst[i], src[i], "gc_copy_body: word %zu of a %zu-byte object", i, size);
        for (size_t i = size / 8; i < 64; i++)
            cr_assert_eq(dst[i], 0, "gc_copy_body wrote past a %zu-byte object (word %zu)", size, i);
    }
    for (int shift = -3; shift <= 3; shift++) {
        for (size_t size = 16; size <= 256; size += 8) {
            for (size_t i = 0; i < 80; i++)
                buf[i] = 0x2000 + i;
            size_t from = 8, to = (size_t)(8 + shift);
            gc_move_object((gc_object *)&buf[to], (gc_object *)&buf[from], size);
            for (size_t i = 0; i < size / 8; i++)
                cr_assert_eq(buf[to + i], 0x2000 + from + i, "gc_move_object by %d words, %zu bytes: word %zu",
                             shift, size, i);
        }
    }
}

#ifndef NDEBUG
/* gc_copy_body states memcpy semantics and checks them. */
Test(core, copy_body_rejects_overlap, .signal = SIGABRT)
{
    static uint64_t buf[16];
    gc_copy_body((gc_object *)&buf[1], (gc_object *)&buf[0], 64);
}
#endif

/* ---- heap limits cost address space, not memory (issue 13) ----------------------------------------------- */

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Resident bytes of process `pid` (0: this one), from /proc/PID/statm; 0 when unreadable. */
static size_t resident_bytes(pid_t pid)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/statm");
    FILE *f = fopen(path, "r");
    unsigned long size = 0, resident = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

typedef struct limit_growth {
    long long growth; /* resident bytes added by the heap's life; -1: the heap was refused */
    char err[256];
} limit_growth;

/* In a child process (so no earlier test's memory is reused): creates a
 * heap of `ops` with `limit`, allocates a little (small objects, some kept,
 * and a large one), collects twice, and reports how much the resident set
 * grew from before the heap was created. */
static limit_growth measure_limit_growth(const gc_collector_ops *ops, size_t limit)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        close(fd[0]);
        limit_growth r = {.growth = -1};
        size_t before = resident_bytes(0);
        gc_config cfg = {.heap_limit = limit};
        gc_heap *h = gc_heap_create_with(ops, &cfg, r.err, sizeof r.err);
        if (h) {
            gc_mutator *m = gc_mutator_attach(h);
            gc_value keep = GC_NIL;
            gc_root(m, &keep);
            keep = gc_value_of(gc_alloc_ref_array(m, 64));
            for (int i = 0; i < 20000; i++) {
                gc_value v = gc_value_of(gc_alloc_bytes(m, (uint64_t)(8 + i % 200)));
                if (i % 300 == 0)
                    gc_set_elem(m, gc_ref(keep), (uint64_t)(i / 300 % 64), v);
            }
            gc_set_elem(m, gc_ref(keep), 0, gc_value_of(gc_alloc_bytes(m, 64 << 10)));
            gc_collect(m, GC_COLLECT_MAJOR);
            gc_collect(m, GC_COLLECT_ANY);
            for (int i = 0; i < 2000; i++)
                gc_alloc_bytes(m, 24);
            size_t after = resident_bytes(0);
            r.growth = after > before ? (long long)(after - before) : 0;
            gc_mutator_detach(m);
            gc_heap_destroy(h);
        }
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    limit_growth r = {.growth = -2};
    ssize_t got = read(fd[0], &r, sizeof r);
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(got == (ssize_t)sizeof r && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "%s with a %zu-byte limit: the measuring process failed (status %#x)", ops->name, limit, st);
    return r;
}

/* The metadata a limit implies is reserved, not allocated: a 64 GiB limit
 * costs (nearly) the same memory as a 64 MiB one for the same small use.
 * Before the fix the free-list space's block metadata was allocated and
 * written for every block of the limit: +570 MiB under marksweep. */
Test(limit, memory_grows_with_use_not_with_the_limit)
{
    conf_require_valid_filter();
    const size_t small = (size_t)64 << 20, big = (size_t)64 << 30, slack = (size_t)32 << 20;
    size_t tested = 0;
    for (size_t i = 0; gc_registered_collectors[i]; i++) {
        const gc_collector_ops *ops = gc_registered_collectors[i];
        if (!conf_selected(ops))
            continue;
        limit_growth a = measure_limit_growth(ops, small), b = measure_limit_growth(ops, big);
        cr_assert(a.growth >= 0, "%s refuses a 64 MiB heap: %s", ops->name, a.err);
        cr_assert(b.growth >= 0, "%s refuses a 64 GiB heap limit: %s", ops->name, b.err);
        cr_log_info("%s: resident growth %lld KiB at a 64 MiB limit, %lld KiB at 64 GiB\n", ops->name,
                    a.growth >> 10, b.growth >> 10);
        cr_assert((size_t)b.growth <= (size_t)a.growth + slack,
                  "%s: a 64 GiB limit grew the resident set by %lld KiB, a 64 MiB limit by %lld KiB "
                  "(allowed: %zu KiB more)",
                  ops->name, b.growth >> 10, a.growth >> 10, slack >> 10);
        tested++;
    }
    cr_assert(tested > 0, "no collector selected");
}

/* Above 64 TiB no machine can reserve the heap: refused for every
 * collector with a message, before any reservation is tried. */
Test(limit, limits_above_the_maximum_are_refused)
{
    const size_t max = (size_t)1 << 46;
    const size_t bad[] = {max + 1, max + ((size_t)1 << 30), (size_t)1 << 47, (size_t)1 << 62, SIZE_MAX};
    char err[512];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        gc_config cfg = {.heap_limit = bad[k]};
        err[0] = 0;
        cr_assert_null(gc_heap_create_with(&toy_ops, &cfg, err, sizeof err), "a limit of %zu bytes accepted",
                       bad[k]);
        cr_assert(strstr(err, "maximum") != NULL, "limit %zu: message \"%s\"", bad[k], err);
        for (size_t i = 0; gc_registered_collectors[i]; i++) {
            err[0] = 0;
            cr_assert_null(gc_heap_create(gc_registered_collectors[i]->name, &cfg, err, sizeof err),
                           "%s accepts a limit of %zu bytes", gc_registered_collectors[i]->name, bad[k]);
            cr_assert(strstr(err, "maximum") != NULL, "%s, limit %zu: message \"%s\"",
                      gc_registered_collectors[i]->name, bad[k], err);
        }
    }
    /* The maximum itself costs nothing to accept (the toy collector reserves nothing). */
    gc_config cfg = {.heap_limit = max};
    gc_heap *h = gc_heap_create_with(&toy_ops, &cfg, err, sizeof err);
    cr_assert_not_null(h, "the maximum limit refused: %s", err);
    gc_heap_destroy(h);
}

/* Runs gcbench with argv under a watchdog that kills it once its resident
 * set passes max_rss (so a limit that costs memory up front fails this test
 * in a fraction of a second, long before the machine runs short: a memory
 * ulimit cannot do this, as it refuses the lazy reservation itself). Returns
 * the exit status, -1 when it died of a signal, -2 when the watchdog killed
 * it, -3 when it ran past timeout_s. err gets the start of its stderr. */
static int run_watched(char *const argv[], size_t max_rss, int timeout_s, size_t *peak, char *err, size_t errlen)
{
    char errpath[] = "/tmp/gcbench-limit-XXXXXX";
    int efd = mkstemp(errpath);
    cr_assert(efd >= 0);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(efd, 2);
        execv(GCBENCH_BIN, argv);
        _exit(127);
    }
    int result = -3, st = 0;
    *peak = 0;
    struct timespec t0, now, nap = {0, 2 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            result = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            break;
        }
        size_t rss = resident_bytes(pid);
        if (rss > *peak)
            *peak = rss;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (rss > max_rss || now.tv_sec - t0.tv_sec > timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            result = rss > max_rss ? -2 : -3;
            break;
        }
        nanosleep(&nap, NULL);
    }
    ssize_t n = pread(efd, err, errlen - 1, 0);
    err[n > 0 ? n : 0] = 0;
    close(efd);
    unlink(errpath);
    return result;
}

/* --heap=65536G (the maximum) runs lazily or is refused with exit 2 and a
 * message; never a kill. Before the fix marksweep wrote ~600 GB of block
 * metadata up front and was killed by the kernel's OOM killer. */
Test(limit, gcbench_with_a_64_TiB_limit_runs_lazily)
{
    conf_require_valid_filter();
    const size_t max_rss = (size_t)256 << 20;
    char err[1024];
    for (size_t i = 0; gc_registered_collectors[i]; i++) {
        const gc_collector_ops *ops = gc_registered_collectors[i];
        if (!conf_selected(ops))
            continue;
        char collector[160];
        snprintf(collector, sizeof collector, "--collector=%s", ops->name);
        char *argv[] = {"gcbench", collector, "--workload=trees", "--size=small", "--heap=65536G", "--stress=500",
                        "--verify", "--quiet", NULL};
        size_t peak;
        int rc = run_watched(argv, max_rss, 60, &peak, err, sizeof err);
        cr_log_info("%s --heap=65536G: exit %d, peak resident %zu KiB\n", ops->name, rc, peak >> 10);
        cr_assert_neq(rc, -2, "%s --heap=65536G: resident set passed %zu MiB (killed by the test)", ops->name,
                      max_rss >> 20);
        cr_assert(rc == 0 || rc == 2, "%s --heap=65536G: exit %d (-1 signal, -3 timeout); stderr: %s", ops->name,
                  rc, err);
        if (rc == 2)
            cr_assert(strstr(err, "gcbench:") != NULL, "%s --heap=65536G: exit 2 without a message", ops->name);
    }
    /* One byte more than the maximum: refused, exit 2, naming the maximum. */
    char *argv[] = {"gcbench", "--workload=trees", "--size=small", "--heap=70368744177665", "--quiet", NULL};
    size_t peak;
    int rc = run_watched(argv, max_rss, 60, &peak, err, sizeof err);
    cr_assert_eq(rc, 2, "--heap=2^46+1: exit %d; stderr: %s", rc, err);
    cr_assert(strstr(err, "maximum") != NULL, "--heap=2^46+1: stderr: %s", err);
}

/* A reservation the address space cannot hold is NULL, never a pointer to
 * less than was asked for (a size that overflows once rounded up used to
 * wrap around to a 2 MiB mapping). */
Test(limit, sys_reserve_refuses_what_it_cannot_map)
{
    cr_assert_null(gc_sys_reserve(SIZE_MAX - 100), "a reservation of SIZE_MAX - 100 bytes succeeded");
    cr_assert_null(gc_sys_reserve(SIZE_MAX), "a reservation of SIZE_MAX bytes succeeded");
    cr_assert_null(gc_sys_reserve((size_t)1 << 62), "a reservation of 2^62 bytes succeeded");
    /* Not a multiple of the page size: rounded up, usable to the last byte asked for. */
    char *p = gc_sys_reserve(3 * 4096 + 5);
    cr_assert_not_null(p);
    p[3 * 4096 + 4] = 1;
    gc_sys_unreserve(p, 3 * 4096 + 5);
}

#if defined(__SANITIZE_ADDRESS__)
#define LIMIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIMIT_ASAN 1
#endif
#endif

#ifndef LIMIT_ASAN
#include <sys/resource.h>

/* In a child whose address space allows `spare` bytes more than it maps
 * now: creates a heap of every selected collector with `limit`; each must
 * come back NULL with a message, or (a collector that reserves nothing up
 * front) as a working heap. Exit 0 when all did, 1 otherwise (the message
 * on stderr); a collector that exits the process instead fails the test. */
static void expect_clean_reservation_failures(size_t spare, size_t limit, size_t *refused)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long vm = 0;
        if (!f || fscanf(f, "%lu", &vm) != 1)
            _exit(3);
        fclose(f);
        struct rlimit rl;
        getrlimit(RLIMIT_AS, &rl);
        rl.rlim_cur = vm * (size_t)sysconf(_SC_PAGESIZE) + spare;
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(3);
        size_t n = 0;
        for (size_t i = 0; gc_registered_collectors[i]; i++) {
            const gc_collector_ops *ops = gc_registered_collectors[i];
            if (!conf_selected(ops))
                continue;
            char err[512] = "";
            gc_config cfg = {.heap_limit = limit};
            gc_heap *h = gc_heap_create_with(ops, &cfg, err, sizeof err);
            if (h) {
                gc_mutator *m = gc_mutator_attach(h);
                gc_alloc_bytes(m, 100);
                gc_collect(m, GC_COLLECT_MAJOR);
                gc_mutator_detach(m);
                gc_heap_destroy(h);
            } else if (!strstr(err, ops->name)) {
                fprintf(stderr, "%s refused the heap with the message \"%s\"\n", ops->name, err);
                _exit(1);
            } else {
                n++;
            }
        }
        ssize_t w = write(fd[1], &n, sizeof n);
        _exit(w == (ssize_t)sizeof n ? 0 : 1);
    }
    close(fd[1]);
    *refused = 0;
    ssize_t got = read(fd[0], refused, sizeof *refused);
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == (ssize_t)sizeof *refused,
              "with %zu MiB of address space to spare, a %zu-byte heap: the process ended with status %#x "
              "(a collector exited or crashed instead of refusing the heap)",
              spare >> 20, limit, st);
}

/* Under RLIMIT_AS a reservation fails: gc_heap_create returns NULL with a
 * message (gcbench: exit 2), whichever reservation it was. With room for a
 * 64 GiB free-list reservation but not for its block metadata, marksweep
 * used to exit the process ("out of system memory") from gc_sys_alloc. */
Test(limit, failed_reservations_are_clean_errors)
{
    conf_require_valid_filter();
    size_t refused;
    expect_clean_reservation_failures((size_t)64 << 20, (size_t)64 << 30, &refused);
    cr_log_info("64 MiB spare: %zu collectors refused a 64 GiB heap\n", refused);
    expect_clean_reservation_failures(((size_t)64 << 30) + ((size_t)128 << 20), (size_t)64 << 30, &refused);
    cr_log_info("64 GiB + 128 MiB spare: %zu collectors refused a 64 GiB heap\n", refused);
}
#endif

/* ---- gc_read_file ------------------------------------------------------------------------ */

Test(core, read_file_whole_and_errors)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    for (int i = 0; i < 10000; i++) /* more than one buffer doubling */
        fputc('a' + i % 26, f);
    rewind(f);
    size_t len = 0;
    int err = 0;
    char *buf = gc_read_file(f, &len, &err);
    fclose(f);
    cr_assert_not_null(buf, "read failed: %s", strerror(err));
    cr_assert_eq(len, 10000);
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(buf[i], 'a' + i % 26, "byte %d", i);
    cr_assert_eq(buf[len], '\0');
    free(buf);
    /* A directory opens but cannot be read: an error, not an empty file. */
    f = fopen("/", "rb");
    cr_assert_not_null(f);
    err = 0;
    buf = gc_read_file(f, &len, &err);
    fclose(f);
    cr_assert_null(buf, "reading a directory returned %zu bytes", len);
    cr_assert_eq(err, EISDIR, "err = %d (%s)", err, strerror(err));
}
