/* core/heap.h — the mutator's view of the heap: create a heap with a
 * collector, attach a mutator, allocate, store through the write barrier,
 * keep roots, reach safepoints, request collections. (To pick a collector
 * by name, "NAME[:OPTIONS]", use gc_heap_create in collectors/registry.h.)
 *
 * The heap itself (struct gc_heap) is opaque: clients and collectors use
 * the functions below and in core/collector.h. A mutator (struct
 * gc_mutator) is open because the inline fast paths read it.
 *
 * Rooting discipline (the rule every workload follows):
 *  - Any gc_value that must survive an allocation, a safepoint or gc_collect()
 *    lives in a root slot: a gc_value variable registered with gc_root(),
 *    initialised before registration. Collectors may rewrite root slots (moving
 *    collectors do), so re-read a slot after anything that may collect; never
 *    keep a raw gc_object* across such a call.
 *  - Root slots form a stack per mutator; gc_roots_save/gc_roots_restore pop
 *    back to a saved depth (do it before the slots go out of scope).
 *  - Every store into a reference slot of an object goes through gc_write /
 *    gc_set_field / gc_set_elem, whatever the value: a reference, an
 *    immediate integer or nil (a reference counter must see the old
 *    referent go). Core performs the store and the collector's barrier sees
 *    holder, slot, old and new value. Raw (non-reference) words — value
 *    arrays, non-reference record fields — are stored with gc_set_word.
 *  - A slot may be registered as a root more than once (gc_root twice, or
 *    a global root that is also on a root stack); collectors then visit it
 *    more than once and must cope (see docs/collector-interface.md, Roots).
 */
#ifndef GC_HEAP_H
#define GC_HEAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "events.h"
#include "object.h"
#include "sizeclass.h"

typedef struct gc_heap gc_heap;
typedef struct gc_mutator gc_mutator;
typedef struct gc_collector_ops gc_collector_ops;

/* How the inline allocation fast path works for the chosen collector. */
typedef enum gc_alloc_mode {
    GC_ALLOC_SLOW = 0,  /* every allocation calls the collector (stress mode) */
    GC_ALLOC_BUMP,      /* bump pointer in [bump_ptr, bump_limit) */
    GC_ALLOC_FREELIST   /* per-size-class free lists of cells (first word = next) */
} gc_alloc_mode;

/* Which stores the collector's write barrier sees. In every case core
 * performs the store first; then, for the stores the kind selects, it calls
 * ops->write_barrier(m, holder, slot, old, new). */
typedef enum gc_barrier_kind {
    GC_BARRIER_NONE = 0,     /* no store is reported */
    GC_BARRIER_ALWAYS,       /* every store into a reference slot is reported */
    GC_BARRIER_GENERATIONAL  /* only stores of a value inside
                                [young_lo, young_lo + young_size) into a holder
                                outside that range whose header lacks
                                GC_HDR_LOGGED (the inline filter; the value may
                                be an immediate whose bits fall in the range) */
} gc_barrier_kind;

/* What a mutator asks gc_collect for. */
typedef enum gc_collection_kind {
    GC_COLLECT_ANY = 0, /* the collector's own choice, as if allocation had triggered it */
    GC_COLLECT_MINOR,   /* its cheapest collection: a nursery collection (generational),
                           a reclamation without cycle collection (refcount); a collector
                           with one kind of collection runs that */
    GC_COLLECT_MAJOR    /* everything it can reclaim: whole heap, cycles included */
} gc_collection_kind;

/* Header bit of an object recorded in a generational remembered set: the
 * inline barrier filter skips logged holders. */
#define GC_HDR_LOGGED GC_HDR_BIT(0)

/* Extra root sources (bytecode VM registers and frames, ...). The scanner
 * calls visit on every slot it owns; core passes collectors only the slots
 * that hold a reference, so a scanner may pass nil and immediates too. */
typedef void (*gc_root_scanner_fn)(void *data, gc_visit_fn visit, void *vctx);

typedef struct gc_config {
    size_t heap_limit;    /* hard limit on the collected heap, bytes (required) */
    uint64_t stress;      /* collect every `stress` allocations; 0 = off */
    bool verify;          /* run the heap verifier after every collection */
    const char *options;  /* collector options "name=value,name=value" (NULL or ""
                             for none), checked against the options the collector
                             declares; see docs/collector-interface.md */
    bool pretouch;        /* fault in and touch every page the collector reserves
                             while the heap is created (gc_sys_reserve), as the
                             JVM's -XX:+AlwaysPreTouch: first touches then cost
                             nothing inside the run */
} gc_config;

#define GC_DEFAULT_HEAP_LIMIT ((size_t)64 << 20)
/* Smaller limits are a configuration error, not a heap exhaustion. */
#define GC_MIN_HEAP_LIMIT ((size_t)64 << 10)

struct gc_mutator {
    /* -- fast-path state: touched by the inline allocator and barrier -- */
    uintptr_t bump_ptr;
    uintptr_t bump_limit;
    gc_alloc_mode alloc_mode;
    gc_barrier_kind barrier;
    bool alloc_zeroed;          /* fast-path memory is already zero (bump chunks) */
    bool slow_zeroed;           /* the block the last alloc_slow returned is already zero
                                   (cleared by core before each call; set by the collector) */
    uint64_t slow_header;       /* header of the object alloc_slow is asked for (set by
                                   gc_alloc_object before gc_alloc_slow): its type and kind,
                                   for a collector that allocates by kind (bdw) */
    uint64_t allocated_bytes;   /* this mutator's lifetime totals */
    uint64_t allocated_objects;
    void *free_lists[GC_SIZE_CLASS_COUNT];
    uintptr_t young_lo;         /* generational barrier filter: the nursery */
    uintptr_t young_size;
    /* -- roots -- */
    gc_value **roots;
    size_t nroots;
    size_t roots_cap;
    struct gc_root_scanner_entry *scanners;
    size_t nscanners, scanners_cap;
    /* -- slow-path state -- */
    gc_heap *heap;
    const atomic_int *stop_flag; /* heap's safepoint request flag */
    bool multi;                  /* the heap is in multi-mutator mode (gc_mutator_heap_is_multi);
                                    set while this mutator is parked or not yet running */
    uint64_t stress_countdown;
    void *zero_start;            /* gc_mutator_zero_later: zeroed by core after */
    size_t zero_bytes;           /*   the slow path, outside the heap lock */
    void *collector_data;        /* owned by the collector */
    gc_mutator *next;            /* heap's mutator list */
    /* -- threads (core/heap.c; state and inactive_depth under the heap's
     *    safepoint lock) -- */
    int state;                   /* GC_MUTATOR_RUNNING / _INACTIVE / _PARKED */
    unsigned inactive_depth;     /* nesting of gc_inactive_begin */
    bool holds_heap_lock;        /* inside a core slow path of a multi-mutator heap */
    const void *thread;          /* identifies the attaching thread (a thread-local's address) */
    void *mem;                   /* the padded block holding this struct (no cache line
                                    shared with another thread's data) */
};

/* Mutator states (docs/threads.md). */
enum { GC_MUTATOR_RUNNING = 0, GC_MUTATOR_INACTIVE, GC_MUTATOR_PARKED };

/* ---- Heap lifecycle ------------------------------------------------------- */

/* Creates a heap run by the collector `ops`. Returns NULL and writes a
 * message into err (if given) for a bad collector descriptor, a bad config
 * or a bad option, or a heap limit too small for the collector's options
 * (gc_heap_create_failure tells which). */
gc_heap *gc_heap_create_with(const gc_collector_ops *ops, const gc_config *cfg, char *err,
                             size_t errlen);
/* Why this thread's last gc_heap_create_with returned NULL: the
 * configuration is wrong (a usage error), or it is valid but does not fit
 * the heap limit (e.g. a nursery larger than half the heap: a bigger heap
 * would run it; gcbench reports it like a heap exhaustion, exit 3). */
typedef enum { GC_CREATE_INVALID = 1, GC_CREATE_TOO_SMALL } gc_create_failure_kind;
gc_create_failure_kind gc_heap_create_failure(void);
void gc_heap_destroy(gc_heap *h);

gc_mutator *gc_mutator_attach(gc_heap *h);
void gc_mutator_detach(gc_mutator *m);

/* A collection of the given kind requested by the mutator (reason:
 * explicit). Records at least one pause. */
void gc_collect(gc_mutator *m, gc_collection_kind kind);

/* Called when a workload ends: lets the collector finish deferred work
 * (lazy sweeping, audits) before statistics are read. */
void gc_heap_finish(gc_heap *h);

/* Global root slots (outlive any mutator frame). A root scanner calls
 * visit for each slot it owns (it may pass nil and immediates: core
 * filters them, so collectors only see slots holding references). */
void gc_heap_add_root(gc_heap *h, gc_value *slot);
void gc_heap_remove_root(gc_heap *h, gc_value *slot);
void gc_mutator_add_root_scanner(gc_mutator *m, gc_root_scanner_fn fn, void *data);
void gc_mutator_remove_root_scanner(gc_mutator *m, gc_root_scanner_fn fn, void *data);

/* ---- Statistics ----------------------------------------------------------- */

typedef struct gc_heap_stats {
    const char *collector;
    uint64_t heap_limit;
    uint64_t allocated_bytes;
    uint64_t allocated_objects;
    uint64_t collections;                        /* all pauses */
    uint64_t collections_by_kind[GC_PAUSE_KIND_COUNT];
    uint64_t peak_heap_bytes;  /* max bytes occupied by objects seen at any pause or at finish */
    uint64_t heap_used_bytes;  /* now */
    uint64_t footprint_bytes;  /* bytes now counted against the limit */
    uint64_t verify_ns;        /* time spent in the heap verifier (outside pauses) */
    unsigned peak_mutators;    /* most mutators attached at once */
    const gc_pause *pauses;    /* every pause, in order; valid until destroy */
    size_t npauses;
} gc_heap_stats;

void gc_heap_get_stats(gc_heap *h, gc_heap_stats *out);
/* Collector-specific figures (ops->stats): emit(ctx, name, value) each. */
void gc_heap_collector_stats(gc_heap *h, void (*emit)(void *ctx, const char *name, uint64_t value),
                             void *ctx);
uint64_t gc_heap_epoch(gc_heap *h); /* uv_hrtime() at creation; pause times are relative to it */
void gc_heap_set_listener(gc_heap *h, const gc_event_listener *l);
const char *gc_heap_collector_name(const gc_heap *h);
size_t gc_heap_limit(const gc_heap *h);

/* What happens when the heap cannot satisfy an allocation even after a full
 * collection. The default prints "heap exhausted: ..." to stderr and exits
 * with GC_EXIT_HEAP_EXHAUSTED; embedders may override. The handler must not
 * return; it may longjmp out, and the heap stays consistent and usable (the
 * failed allocation simply did not happen). */
#define GC_EXIT_HEAP_EXHAUSTED 3
#define GC_EXIT_HEAP_CORRUPT 6
typedef void (*gc_exhausted_fn)(gc_heap *h, size_t request, void *data);
void gc_heap_set_exhausted_handler(gc_heap *h, gc_exhausted_fn fn, void *data);
/* The handler now installed (to restore it after a temporary one). */
void gc_heap_get_exhausted_handler(const gc_heap *h, gc_exhausted_fn *fn, void **data);

/* What happens when the heap verifier (cfg.verify, or a collector's own
 * check before a collection) finds problems. They are already reported on
 * stderr; `when` says at which point ("after pause 12"), `problems` how many
 * there were. The default prints "heap verification failed ..." and exits
 * with GC_EXIT_HEAP_CORRUPT; embedders and test harnesses may override. The
 * handler must not return (it may longjmp out; the heap is corrupt and may
 * only be destroyed). */
typedef void (*gc_corrupt_fn)(gc_heap *h, const char *when, size_t problems, void *data);
void gc_heap_set_corrupt_handler(gc_heap *h, gc_corrupt_fn fn, void *data);

/* ---- Roots (inline) ------------------------------------------------------- */

void gc_roots_grow(gc_mutator *m);

GC_INLINE void gc_root(gc_mutator *m, gc_value *slot)
{
    if (GC_UNLIKELY(m->nroots == m->roots_cap))
        gc_roots_grow(m);
    m->roots[m->nroots++] = slot;
}
GC_INLINE size_t gc_roots_save(gc_mutator *m) { return m->nroots; }
GC_INLINE void gc_roots_restore(gc_mutator *m, size_t depth) { m->nroots = depth; }

/* ---- Allocation (inline fast path, out-of-line slow path) ------------------ */

/* Out of line: stress countdown, collector slow path, boundary checks, and
 * heap exhaustion. Returns uninitialised memory of `bytes` bytes. */
GC_NOINLINE void *gc_alloc_slow(gc_mutator *m, size_t bytes);

/* Tries the fast structure of `mode` only; NULL when it is empty. Objects
 * larger than GC_SMALL_MAX always take the slow path, so collectors can put
 * them in a large-object space (for constant sizes the test folds away). */
GC_INLINE void *gc_alloc_fast(gc_mutator *m, gc_alloc_mode mode, size_t bytes)
{
    if (GC_UNLIKELY(bytes > GC_SMALL_MAX))
        return NULL;
    if (mode == GC_ALLOC_BUMP) {
        uintptr_t p = m->bump_ptr, np = p + bytes;
        if (GC_LIKELY(np <= m->bump_limit)) {
            m->bump_ptr = np;
            return (void *)p;
        }
    } else if (mode == GC_ALLOC_FREELIST) {
        unsigned c = gc_size_class_of(bytes);
        void *cell = m->free_lists[c];
        if (GC_LIKELY(cell != NULL)) {
            m->free_lists[c] = *(void **)cell;
            return cell;
        }
    }
    return NULL;
}

/* Allocates an object of `bytes` bytes (gc_size_for of its kind and
 * length) whose header word is `header` (gc_make_header of its type and
 * length); every word after the header is zero (nil). Never returns NULL. */
GC_INLINE gc_object *gc_alloc_sized(gc_mutator *m, uint64_t header, size_t bytes)
{
    void *p = gc_alloc_fast(m, m->alloc_mode, bytes);
    bool zero = !m->alloc_zeroed;
    if (GC_UNLIKELY(p == NULL)) {
        m->slow_header = header;
        p = gc_alloc_slow(m, bytes);
        /* Slow-path memory (free cells, refcount's malloc) may hold garbage,
         * unless the collector says it is zero (large objects: fresh pages
         * need no memset, and touching 4 MiB of them cost milliseconds). */
        zero = !m->slow_zeroed;
    }
    gc_object *o = (gc_object *)p;
    o->header = header;
    if (zero)
        memset(o + 1, 0, bytes - GC_HEADER_BYTES);
    m->allocated_bytes += bytes;
    m->allocated_objects++;
    return o;
}

/* Allocates an object of `type` with `length` (fields/elements/bytes); every
 * word after the header is zero (nil). Never returns NULL. */
GC_INLINE gc_object *gc_alloc_object(gc_mutator *m, uint32_t type, gc_kind kind, uint64_t length)
{
    return gc_alloc_sized(m, gc_make_header(type, length), gc_size_for(kind, length));
}

/* A record: its size and header come precomputed with its type. */
GC_INLINE gc_object *gc_alloc_record(gc_mutator *m, uint32_t type)
{
    const gc_type *t = gc_type_table[type];
    return gc_alloc_sized(m, t->record_header, t->record_bytes);
}
GC_INLINE gc_object *gc_alloc_ref_array(gc_mutator *m, uint64_t n)
{
    return gc_alloc_object(m, GC_TYPE_REF_ARRAY, GC_KIND_REF_ARRAY, n);
}
GC_INLINE gc_object *gc_alloc_value_array(gc_mutator *m, uint64_t n)
{
    return gc_alloc_object(m, GC_TYPE_VALUE_ARRAY, GC_KIND_VALUE_ARRAY, n);
}
GC_INLINE gc_object *gc_alloc_bytes(gc_mutator *m, uint64_t nbytes)
{
    return gc_alloc_object(m, GC_TYPE_BYTES, GC_KIND_BYTES, nbytes);
}
/* A byte string holding a copy of s[0..n). */
gc_object *gc_alloc_string(gc_mutator *m, const char *s, size_t n);

/* ---- Write barrier (inline fast path) -------------------------------------- */

GC_NOINLINE void gc_write_slow(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old,
                               gc_value v);

/* Stores v (a reference, an immediate or nil) into a reference slot of
 * holder, then reports the store to the collector if its barrier kind
 * selects it (see gc_barrier_kind). */
GC_INLINE void gc_write(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value v)
{
    if (GC_LIKELY(m->barrier == GC_BARRIER_NONE)) {
        *slot = v;
        return;
    }
    gc_value old = *slot;
    *slot = v;
    if (m->barrier == GC_BARRIER_GENERATIONAL) {
        /* Old-to-young store into a holder not yet logged? (Nil is never
         * in the nursery range; an immediate whose bits happen to fall in
         * it passes this filter, so the collector's barrier checks
         * gc_is_ref.) */
        if (GC_UNLIKELY(v - m->young_lo < m->young_size) &&
            (uintptr_t)holder - m->young_lo >= m->young_size && !(holder->header & GC_HDR_LOGGED))
            gc_write_slow(m, holder, slot, old, v);
        return;
    }
    gc_write_slow(m, holder, slot, old, v);
}
/* Field i of a record must be a reference field (checked in debug builds). */
void gc_check_ref_field(const gc_object *o, uint32_t i);
GC_INLINE void gc_set_field(gc_mutator *m, gc_object *rec, uint32_t i, gc_value v)
{
#ifndef NDEBUG
    gc_check_ref_field(rec, i);
#endif
    gc_write(m, rec, &gc_slots(rec)[i], v);
}
GC_INLINE void gc_set_elem(gc_mutator *m, gc_object *arr, uint64_t i, gc_value v)
{
    gc_write(m, arr, &gc_slots(arr)[i], v);
}
/* Raw words (non-reference record fields, value arrays): no barrier. */
GC_INLINE void gc_set_word(gc_object *o, uint64_t i, uint64_t w) { gc_words(o)[i] = w; }

/* ---- Threads and safepoints (docs/threads.md) ---------------------------------
 *
 * Any number of mutators may be attached to a heap, each from the thread
 * that uses it and used only by that thread. A collection stops the world:
 * the thread that needs it requests a stop, and every other mutator either
 * reaches a safepoint and parks there until the collection ends, or is
 * INACTIVE (between gc_inactive_begin and gc_inactive_end: blocked outside
 * the heap), which the collector does not wait for.
 *
 * Safepoints: every allocation slow path, gc_collect, attach/detach, and
 * gc_safepoint(m), which a mutator that runs long without allocating must
 * call (the VM polls at back-edges and calls). The inline fast paths
 * (allocation, barrier, gc_safepoint's test) take no lock and no atomic
 * read-modify-write.
 *
 * While a heap has had only one mutator, no lock is ever taken; attaching a
 * second switches the heap, for good, to its multi-mutator mode (once the
 * first has parked at a safepoint). */

GC_NOINLINE void gc_safepoint_slow(gc_mutator *m);
/* Parks m here if a collection is waiting for it. */
GC_INLINE void gc_safepoint(gc_mutator *m)
{
    if (GC_UNLIKELY(atomic_load_explicit(m->stop_flag, memory_order_relaxed)))
        gc_safepoint_slow(m);
}

/* The heap has had more than one mutator attached (for good): its slow
 * paths take the heap lock, and collector code that runs without it (the
 * write barrier) must touch only the storing mutator's own state. It cannot
 * change while m runs (the switch happens with every mutator parked). */
GC_INLINE bool gc_mutator_heap_is_multi(const gc_mutator *m)
{
    return m->multi;
}

/* m is about to block outside the heap (sleep, join, wait for a program's
 * lock or for I/O). Until gc_inactive_end, m's thread must not touch the
 * heap at all: no allocation, no object access, no root changes, no raw
 * object pointer kept (a moving collector may rewrite m's root slots).
 * Nests: only the outermost pair changes the state. */
void gc_inactive_begin(gc_mutator *m);
/* Back to RUNNING; waits while a collection is in progress. */
void gc_inactive_end(gc_mutator *m);

#endif /* GC_HEAP_H */
