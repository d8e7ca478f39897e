/* tests/test_core.c — unit tests of the core pieces: value tagging, header
 * packing, object sizes, size classes, the type table, the tracing routine,
 * the address set, the collector registry, heap creation errors, and the
 * heap verifier's ability to catch corruption. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/collector.h"
#include "core/ptrset.h"
#include "core/sysalloc.h"

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

static gc_heap *open_marksweep(size_t limit, gc_mutator **m)
{
    cr_assert_not_null(gc_collector_find("marksweep"), "marksweep is not registered");
    gc_config cfg = {.heap_limit = limit};
    char err[256] = "";
    gc_heap *h = gc_heap_create("marksweep", &cfg, err, sizeof err);
    cr_assert_not_null(h, "gc_heap_create(marksweep): %s", err);
    *m = gc_mutator_attach(h);
    cr_assert_not_null(*m);
    return h;
}

Test(core, trace_object_heap)
{
    uint32_t ty = trace_type();
    gc_mutator *m;
    gc_heap *h = open_marksweep(4u << 20, &m);
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
    for (int p = 0; p < GC_PHASE_COUNT; p++) {
        cr_assert(gc_phase_name(p) && *gc_phase_name(p));
        for (int j = 0; j < p; j++)
            cr_assert_str_neq(gc_phase_name(p), gc_phase_name(j));
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
        const char *missing = gc_collector_check(ops);
        cr_assert_null(missing, "collector %s leaves slot %s unset", ops->name, missing ? missing : "");
        cr_assert(ops->description && *ops->description, "%s has no description", ops->name);
        cr_assert_eq(gc_collector_find(ops->name), ops, "gc_collector_find(\"%s\") finds another", ops->name);
        cr_assert((unsigned)ops->alloc_mode <= GC_ALLOC_FREELIST, "%s: alloc_mode %d", ops->name,
                  (int)ops->alloc_mode);
        cr_assert((unsigned)ops->barrier <= GC_BARRIER_GENERATIONAL, "%s: barrier %d", ops->name, (int)ops->barrier);
        for (size_t j = 0; j < n; j++)
            cr_assert_str_neq(gc_registered_collectors[j]->name, ops->name, "two collectors named %s",
                              ops->name);
        /* Each registered collector can make a heap. */
        gc_config cfg = {.heap_limit = GC_DEFAULT_HEAP_LIMIT};
        char err[256] = "";
        gc_heap *h = gc_heap_create(ops->name, &cfg, err, sizeof err);
        cr_assert_not_null(h, "%s: gc_heap_create: %s", ops->name, err);
        gc_mutator *m = gc_mutator_attach(h);
        cr_assert_not_null(m, "%s: attach", ops->name);
        gc_heap_stats st;
        gc_heap_get_stats(h, &st);
        cr_assert_str_eq(st.collector, ops->name);
        cr_assert_eq(st.heap_limit, GC_DEFAULT_HEAP_LIMIT);
        cr_assert_eq(st.collections, 0);
        cr_assert_eq(st.allocated_bytes, 0);
        gc_mutator_detach(m);
        gc_heap_destroy(h);
    }
    cr_assert(n >= 1, "no collector registered");
    cr_assert_not_null(gc_collector_find("marksweep"), "marksweep is not registered");
    cr_assert_null(gc_collector_find("nosuch"));
    cr_assert_null(gc_collector_find(""));
}

Test(core, collector_check_rejects_null_slots)
{
    cr_assert_not_null(gc_registered_collectors[0], "no collector registered");
    const gc_collector_ops *ops = gc_registered_collectors[0];
#define CHECK_NULL_SLOT(s)                                                                        \
    do {                                                                                          \
        gc_collector_ops cp = *ops;                                                               \
        cp.s = NULL;                                                                              \
        const char *r = gc_collector_check(&cp);                                                  \
        cr_assert_not_null(r, "a descriptor with " #s " = NULL passes the check");                \
        cr_assert(strstr(r, #s) != NULL, "a descriptor with " #s " = NULL is reported as \"%s\"", r); \
    } while (0)
    CHECK_NULL_SLOT(init);
    CHECK_NULL_SLOT(destroy);
    CHECK_NULL_SLOT(mutator_init);
    CHECK_NULL_SLOT(mutator_fini);
    CHECK_NULL_SLOT(alloc_slow);
    CHECK_NULL_SLOT(write_barrier);
    CHECK_NULL_SLOT(collect);
    CHECK_NULL_SLOT(safepoint);
    CHECK_NULL_SLOT(finish);
    CHECK_NULL_SLOT(heap_used);
    CHECK_NULL_SLOT(footprint);
    CHECK_NULL_SLOT(contains);
    CHECK_NULL_SLOT(is_object);
    CHECK_NULL_SLOT(verify);
    CHECK_NULL_SLOT(stats);
#undef CHECK_NULL_SLOT
    gc_collector_ops cp = *ops;
    cr_assert_null(gc_collector_check(&cp), "an intact copy is rejected");
}

Test(core, heap_create_errors)
{
    gc_config cfg = {.heap_limit = 4u << 20};
    char err[256] = "";
    cr_assert_null(gc_heap_create("nosuch", &cfg, err, sizeof err));
    cr_assert(strstr(err, "nosuch") != NULL, "message does not name the collector: \"%s\"", err);
    cr_assert_null(gc_heap_create("nosuch", &cfg, NULL, 0), "NULL err buffer");
    char tiny[4] = "xyz";
    cr_assert_null(gc_heap_create("nosuch-with-a-long-name", &cfg, tiny, sizeof tiny));
    cr_assert_eq(tiny[3], 0, "message not truncated to the buffer");

    gc_config zero = {.heap_limit = 0};
    err[0] = 0;
    cr_assert_null(gc_heap_create("marksweep", &zero, err, sizeof err), "heap_limit 0 accepted");
    cr_assert(err[0] != 0, "no message for heap_limit 0");
    err[0] = 0;
    cr_assert_null(gc_heap_create("marksweep", NULL, err, sizeof err), "NULL config accepted");
    cr_assert(err[0] != 0, "no message for a NULL config");
    for (size_t i = 0; gc_registered_collectors[i]; i++) {
        err[0] = 0;
        cr_assert_null(gc_heap_create(gc_registered_collectors[i]->name, &zero, err, sizeof err),
                       "%s accepts heap_limit 0", gc_registered_collectors[i]->name);
        cr_assert(err[0] != 0);
    }
}

/* ---- the heap verifier ---------------------------------------------------------------------------- */

static void expect_verify(gc_heap *h, bool bad, const char *what)
{
    size_t n = gc_verify_heap(h);
    if (bad)
        cr_assert(n > 0, "the verifier missed: %s", what);
    else
        cr_assert_eq(n, 0, "the verifier reports %zu problems in a good heap (%s)", n, what);
}

Test(core, verifier_catches_corruption)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    cr_assert(ty != GC_TYPE_INVALID);
    gc_mutator *m;
    gc_heap *h = open_marksweep(4u << 20, &m);
    gc_value rec = GC_NIL, small = GC_NIL, large = GC_NIL;
    gc_root(m, &rec);
    gc_root(m, &small);
    gc_root(m, &large);
    small = gc_value_of(gc_alloc_value_array(m, 8)); /* 72 bytes */
    large = gc_value_of(gc_alloc_value_array(m, 4000)); /* 32 KB: large-object space */
    rec = gc_value_of(gc_alloc_record(m, ty));
    gc_object *s = gc_alloc_string(m, "target", 6);
    gc_set_field(m, gc_ref(rec), 0, gc_value_of(s));
    gc_set_field(m, gc_ref(rec), 1, gc_int(3));
    gc_collect(m);
    expect_verify(h, false, "initial");

    gc_object *r = gc_ref(rec);
    gc_value saved = gc_field(r, 0);
    uint64_t hdr = r->header;

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

    /* 7. A reference to an object that was freed. */
    gc_value dead_slot = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &dead_slot);
    dead_slot = gc_value_of(gc_alloc_bytes(m, 200));
    gc_roots_restore(m, depth);
    gc_value dead = dead_slot;
    gc_collect(m); /* marksweep does not move: `dead` is the freed address */
    r = gc_ref(rec);
    gc_slots(r)[0] = dead;
    expect_verify(h, true, "a reference to a freed object");
    gc_slots(r)[0] = saved;

    expect_verify(h, false, "after restoring everything");
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* With cfg.verify, a collection that leaves a broken heap stops the run
 * with GC_EXIT_HEAP_CORRUPT. */
Test(core, verify_after_pause_exits, .exit_code = GC_EXIT_HEAP_CORRUPT)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    char err[256] = "";
    gc_heap *h = gc_heap_create("marksweep", &cfg, err, sizeof err);
    cr_assert_not_null(h, "%s", err);
    gc_mutator *m = gc_mutator_attach(h);
    gc_value rec = GC_NIL;
    gc_root(m, &rec);
    rec = gc_value_of(gc_alloc_record(m, ty));
    gc_collect(m); /* fine */
    /* A length that disagrees with the type: harmless to the marker, caught
     * by the verifier after the pause. */
    gc_ref(rec)->header = gc_make_header(ty, 5);
    gc_collect(m);
    cr_assert_fail("a corrupt heap passed verification");
}

#ifndef NDEBUG
/* Debug builds: a reference store into a raw field aborts. */
Test(core, set_field_checks_ref_field, .signal = SIGABRT)
{
    uint32_t ty = gc_type_register("CoreVerify", "rri");
    gc_mutator *m;
    gc_heap *h = open_marksweep(1u << 20, &m);
    gc_object *o = gc_alloc_record(m, ty);
    gc_set_field(m, o, 2, gc_int(1));
    cr_assert_fail("storing a reference into raw field 2 did not abort");
    (void)h;
}
#endif
