/* core/object.h — values, object headers, type descriptors, and the one
 * tracing routine every collector uses.
 *
 * Invariants (checked by the heap verifier, core/verify.c):
 *  - A gc_value is either GC_NIL (0), an immediate integer (bit 0 set), or a
 *    reference: the address of an object's header word, 8-byte aligned.
 *  - Every object starts with one header word whose bit 0 (GC_HDR_TAG) is set.
 *    A header-position word with bit 0 clear is not an object: it is a
 *    forwarding address left by a moving collector, or a free-cell link.
 *  - An object occupies gc_object_size(obj) bytes: a multiple of GC_GRANULE
 *    and at least GC_MIN_OBJECT bytes, computed from the header alone.
 *  - References live only in record fields named by the type's pointer map and
 *    in reference-array elements; byte strings and value arrays hold none.
 */
#ifndef GC_OBJECT_H
#define GC_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GC_LIKELY(x) __builtin_expect(!!(x), 1)
#define GC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GC_NOINLINE __attribute__((noinline))
#define GC_INLINE static inline __attribute__((always_inline))

/* ---- Executable invariants -------------------------------------------------
 * GC_ASSERT(cond) checks an invariant in debug builds (NDEBUG not defined):
 * on failure it prints the expression, file, line and function and aborts.
 * In release builds it compiles to nothing (cond is not evaluated). Spaces
 * and collectors use it at their entry points; the invariant blocks in the
 * comments say what each one checks. */
_Noreturn void gc_assert_fail(const char *expr, const char *file, int line, const char *func);
#ifndef NDEBUG
#define GC_ASSERT(cond) ((cond) ? (void)0 : gc_assert_fail(#cond, __FILE__, __LINE__, __func__))
#else
#define GC_ASSERT(cond) ((void)0)
#endif

/* ---- Values --------------------------------------------------------------- */

typedef uintptr_t gc_value;

#define GC_NIL ((gc_value)0)
#define GC_INT_MAX ((int64_t)(INT64_MAX >> 1))
#define GC_INT_MIN ((int64_t)(INT64_MIN >> 1))

typedef struct gc_object {
    uint64_t header; /* fields / elements / bytes follow */
} gc_object;

GC_INLINE bool gc_is_nil(gc_value v) { return v == GC_NIL; }
GC_INLINE bool gc_is_int(gc_value v) { return (v & 1u) != 0; }
GC_INLINE bool gc_is_ref(gc_value v) { return v != GC_NIL && (v & 1u) == 0; }
GC_INLINE gc_value gc_int(int64_t i) { return ((uintptr_t)i << 1) | 1u; }
GC_INLINE int64_t gc_int_value(gc_value v) { return (int64_t)v >> 1; }
GC_INLINE gc_object *gc_ref(gc_value v) { return (gc_object *)v; }
GC_INLINE gc_value gc_value_of(const gc_object *o) { return (gc_value)o; }

/* ---- Header word ------------------------------------------------------------
 *  bit  0      GC_HDR_TAG: always 1 in a valid header
 *  bits 1..7   collector-owned bits (mark, colour, age, ...)
 *  bits 8..23  type id
 *  bits 24..63 length: field count (records), element count (arrays),
 *              byte count (byte strings)
 */
#define GC_HDR_TAG ((uint64_t)1)
#define GC_HDR_GC_SHIFT 1
#define GC_HDR_GC_MASK ((uint64_t)0x7f << GC_HDR_GC_SHIFT)
#define GC_HDR_TYPE_SHIFT 8
#define GC_HDR_TYPE_MASK ((uint64_t)0xffff << GC_HDR_TYPE_SHIFT)
#define GC_HDR_LEN_SHIFT 24
#define GC_MAX_LENGTH (((uint64_t)1 << 40) - 1)

/* Collector-owned header bits, named once so collectors don't collide. */
#define GC_HDR_BIT(n) ((uint64_t)1 << (GC_HDR_GC_SHIFT + (n)))

GC_INLINE uint64_t gc_make_header(uint32_t type_id, uint64_t length)
{
    return GC_HDR_TAG | ((uint64_t)type_id << GC_HDR_TYPE_SHIFT) |
           (length << GC_HDR_LEN_SHIFT);
}
GC_INLINE uint32_t gc_header_type(uint64_t h)
{
    return (uint32_t)((h & GC_HDR_TYPE_MASK) >> GC_HDR_TYPE_SHIFT);
}
GC_INLINE uint64_t gc_header_length(uint64_t h) { return h >> GC_HDR_LEN_SHIFT; }
GC_INLINE bool gc_header_valid(uint64_t h) { return (h & GC_HDR_TAG) != 0; }

/* ---- Types ------------------------------------------------------------------ */

typedef enum gc_kind {
    GC_KIND_RECORD = 0,     /* fixed fields; pointer map says which are refs */
    GC_KIND_REF_ARRAY = 1,  /* elements are gc_values */
    GC_KIND_BYTES = 2,      /* byte string, no references */
    GC_KIND_VALUE_ARRAY = 3 /* 64-bit raw words (ints, doubles), no references */
} gc_kind;

/* Built-in type ids; record types are registered from GC_TYPE_FIRST_RECORD. */
enum {
    GC_TYPE_INVALID = 0,
    GC_TYPE_REF_ARRAY = 1,
    GC_TYPE_BYTES = 2,
    GC_TYPE_VALUE_ARRAY = 3,
    GC_TYPE_FIRST_RECORD = 4
};

#define GC_MAX_TYPES 4096
#define GC_MAX_FIELDS 256

typedef struct gc_type {
    const char *name;
    uint32_t id;
    gc_kind kind;
    uint32_t nfields;                     /* records only */
    uint32_t record_bytes;                /* records only: gc_size_for(GC_KIND_RECORD, nfields) */
    uint64_t record_header;               /* records only: gc_make_header(id, nfields), for the
                                             allocation fast path (one load, no arithmetic) */
    uint64_t ptrmap[GC_MAX_FIELDS / 64];  /* bit i set: field i holds a gc_value */
} gc_type;

/* Indexed by type id; entries are immutable once published. */
extern const gc_type *gc_type_table[GC_MAX_TYPES];

/* Registers a record type with nfields fields; is_ref[i] marks reference
 * fields. Registering the same name with the same layout returns the same id;
 * a different layout under a used name, too many fields or too many types
 * returns GC_TYPE_INVALID. Thread-safe. */
uint32_t gc_type_register_record(const char *name, uint32_t nfields, const bool *is_ref);
/* Same, from a layout string of 'r' (reference) and 'i' (raw word) chars. */
uint32_t gc_type_register(const char *name, const char *layout);
const gc_type *gc_type_find(const char *name);

GC_INLINE const gc_type *gc_type_get(uint32_t id)
{
    return id < GC_MAX_TYPES ? gc_type_table[id] : NULL;
}
GC_INLINE bool gc_type_field_is_ref(const gc_type *t, uint32_t i)
{
    return (t->ptrmap[i >> 6] >> (i & 63)) & 1u;
}

/* ---- Sizes ------------------------------------------------------------------ */

#define GC_GRANULE 8
#define GC_MIN_OBJECT 16
#define GC_HEADER_BYTES 8

GC_INLINE size_t gc_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Bytes an object of this kind and length occupies in the heap. */
GC_INLINE size_t gc_size_for(gc_kind kind, uint64_t length)
{
    size_t payload = kind == GC_KIND_BYTES ? (size_t)length : (size_t)length * 8u;
    size_t n = gc_align_up(GC_HEADER_BYTES + payload, GC_GRANULE);
    return n < GC_MIN_OBJECT ? GC_MIN_OBJECT : n;
}

GC_INLINE const gc_type *gc_object_type(const gc_object *o)
{
    return gc_type_table[gc_header_type(o->header)];
}
GC_INLINE gc_kind gc_object_kind(const gc_object *o) { return gc_object_type(o)->kind; }
GC_INLINE uint64_t gc_object_length(const gc_object *o) { return gc_header_length(o->header); }
/* Size in bytes of the object whose (valid) header word is h. */
GC_INLINE size_t gc_header_size(uint64_t h)
{
    return gc_size_for(gc_type_table[gc_header_type(h)]->kind, gc_header_length(h));
}
GC_INLINE size_t gc_object_size(const gc_object *o) { return gc_header_size(o->header); }

/* ---- Moving objects -----------------------------------------------------------
 * The forwarding-word protocol shared by every moving collector: when an
 * object is moved, its header word in the old copy is replaced by the new
 * address (8-byte aligned, so bit 0 is clear and the word can never be taken
 * for a header). Only the collector that moved it may read it, and only
 * while the old copy's memory is still there (before from-space is reset). */
GC_INLINE bool gc_is_forwarded(const gc_object *o) { return !gc_header_valid(o->header); }
GC_INLINE gc_object *gc_forwarding_address(const gc_object *o)
{
    GC_ASSERT(gc_is_forwarded(o));
    return (gc_object *)(uintptr_t)o->header;
}
GC_INLINE void gc_set_forwarding_address(gc_object *o, gc_object *to)
{
    GC_ASSERT(((uintptr_t)to & (GC_GRANULE - 1)) == 0);
    o->header = (uint64_t)(uintptr_t)to;
}

/* Copies the words after the header of an object of `size` bytes (a
 * multiple of 8) from src to dst, for evacuating collectors: small objects
 * word by word without a call (a memcpy call dominated promotion's cost).
 * The caller writes dst's header. memcpy semantics: the two objects must not
 * overlap (asserted in debug builds); a sliding compactor, whose moves may
 * overlap, uses gc_move_object. */
GC_INLINE void gc_copy_body(gc_object *dst, const gc_object *src, size_t size)
{
    GC_ASSERT((const char *)dst + size <= (const char *)src || (const char *)src + size <= (const char *)dst);
    uint64_t *d = (uint64_t *)dst;
    const uint64_t *s = (const uint64_t *)src;
    switch (size / 8) {
    case 8: d[7] = s[7]; /* fall through */
    case 7: d[6] = s[6]; /* fall through */
    case 6: d[5] = s[5]; /* fall through */
    case 5: d[4] = s[4]; /* fall through */
    case 4: d[3] = s[3]; /* fall through */
    case 3: d[2] = s[2]; /* fall through */
    case 2: d[1] = s[1]; /* fall through */
    case 1: break;
    default: memcpy(d + 1, s + 1, size - 8);
    }
}

/* Moves a whole object of `size` bytes (header included) from src to dst;
 * the ranges may overlap in either direction (memmove semantics), as in
 * sliding compaction. A small object moving down is copied word by word
 * in ascending order without a call (correct for any overlap when dst <
 * src); a memmove call per object dominated a compaction's relocate. */
GC_INLINE void gc_move_object(gc_object *dst, const gc_object *src, size_t size)
{
    if ((const char *)dst < (const char *)src && size <= 64) {
        uint64_t *d = (uint64_t *)dst;
        const uint64_t *s = (const uint64_t *)src;
        for (size_t i = 0; i < size / 8; i++)
            d[i] = s[i];
        return;
    }
    memmove(dst, src, size);
}

/* ---- Field access (reads; stores to reference slots go through gc_write) ---- */

GC_INLINE gc_value *gc_slots(gc_object *o) { return (gc_value *)(o + 1); }
GC_INLINE uint64_t *gc_words(gc_object *o) { return (uint64_t *)(o + 1); }
GC_INLINE uint8_t *gc_bytes(gc_object *o) { return (uint8_t *)(o + 1); }
GC_INLINE double *gc_doubles(gc_object *o) { return (double *)(o + 1); }

GC_INLINE gc_value gc_field(gc_object *o, uint32_t i) { return gc_slots(o)[i]; }
GC_INLINE gc_value gc_elem(gc_object *o, uint64_t i) { return gc_slots(o)[i]; }

/* ---- Tracing ------------------------------------------------------------------
 * The one tracing routine. It calls visit(slot, ctx) for every slot of `o`
 * that currently holds a reference (never for nil or immediates). The visitor
 * may rewrite *slot (moving collectors). Returns o's size in bytes, read
 * from the header before any visit (free for callers that need it: the
 * type is looked up once; callers that do not, ignore it). Inline so a
 * collector passing a static visitor gets it inlined into its own loop. */
typedef void (*gc_visit_fn)(gc_value *slot, void *ctx);

GC_INLINE size_t gc_trace_object(gc_object *o, gc_visit_fn visit, void *ctx)
{
    uint64_t h = o->header;
    const gc_type *t = gc_type_table[gc_header_type(h)];
    size_t size = gc_size_for(t->kind, gc_header_length(h));
    gc_value *s = gc_slots(o);
    switch (t->kind) {
    case GC_KIND_RECORD: {
        uint32_t words = (t->nfields + 63) / 64;
        for (uint32_t w = 0; w < words; w++) {
            uint64_t bits = t->ptrmap[w];
            while (bits) {
                uint32_t i = (uint32_t)__builtin_ctzll(bits);
                bits &= bits - 1;
                gc_value *slot = &s[w * 64 + i];
                if (gc_is_ref(*slot))
                    visit(slot, ctx);
            }
        }
        break;
    }
    case GC_KIND_REF_ARRAY: {
        uint64_t n = gc_header_length(h);
        for (uint64_t i = 0; i < n; i++)
            if (gc_is_ref(s[i]))
                visit(&s[i], ctx);
        break;
    }
    case GC_KIND_BYTES:
    case GC_KIND_VALUE_ARRAY:
        break;
    }
    return size;
}

#endif /* GC_OBJECT_H */
