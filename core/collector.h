/* core/collector.h — the collector interface: the one descriptor a collector
 * provides (gc_collector_ops), the services core offers it, and the shared
 * defaults for slots it does not need. docs/collector-interface.md states
 * each slot's contract once; this header repeats it in one line per slot.
 *
 * A collector is one `const gc_collector_ops` listed (one line) in
 * collectors/registry.c. Every slot must be set: a collector that does not
 * need a method points it at a shared default (gc_default_*: trivial
 * no-ops, or gc_no_*: abort with a message, MPS-style).
 * gc_collector_check() rejects a descriptor with a NULL slot, a bad phase
 * list or a bad option list; gc_heap_create_with runs it.
 *
 * Core calls collectors only through the wrappers in core/heap.c, which
 * check the collector's results at the boundary in debug builds (allocation
 * results inside the heap and aligned, roots valid after a collection).
 * The heap is opaque: collectors use the functions below, never its fields.
 */
#ifndef GC_COLLECTOR_H
#define GC_COLLECTOR_H

#include <stdio.h>

#include "heap.h"

typedef void (*gc_stat_emit_fn)(void *ctx, const char *name, uint64_t value);

/* ---- Collector options -------------------------------------------------------
 * A collector declares its options; users pass them as one string
 * "name=value,name=value" (gc_config.options, or "NAME:OPTIONS" as the
 * collector name). Core parses and checks the string against the
 * declarations when the heap is created (unknown names and malformed values
 * are a configuration error naming the collector and its options), fills in
 * defaults, and the collector reads the values with gc_heap_option_*. */
typedef enum gc_option_type {
    GC_OPTION_BOOL = 0, /* on/off, true/false, yes/no, 1/0 */
    GC_OPTION_SIZE,     /* bytes, with an optional K/M/G suffix (binary) */
    GC_OPTION_UINT      /* a non-negative integer */
} gc_option_type;

typedef struct gc_option_desc {
    const char *name;   /* [a-z0-9-]+; NULL ends the list */
    gc_option_type type;
    const char *def;    /* default value, in the same syntax as a user's */
    const char *help;   /* one line, for --list */
} gc_option_desc;

#define GC_MAX_OPTIONS 16

struct gc_collector_ops {
    const char *name;
    const char *description;  /* one line, for --list */
    gc_alloc_mode alloc_mode; /* which inline fast path mutators use */
    gc_barrier_kind barrier;  /* which stores the write barrier sees */
    bool alloc_zeroed;        /* memory from the inline fast path is already zero */
    bool moving;              /* may change object addresses */
    bool reclaims_cycles;     /* garbage cycles are freed (with default options) */
    bool conservative;        /* words that only look like references (C stacks, object
                                 words) may keep an unreachable object alive: a given
                                 dead object is not guaranteed to be freed */
    /* Names of the pause phases, NULL-terminated, at most GC_MAX_PHASES;
     * gc_phase_start(h, i) starts phase i. Names are [A-Za-z0-9_-]+. */
    const char *const *phases;
    /* Declared options, terminated by an entry with name NULL (gc_no_options
     * when there are none). */
    const gc_option_desc *options;

    /* Sets up the collector's state (gc_heap_set_collector). Returns 0, or
     * -1 after gc_heap_set_error(h, ...). */
    int (*init)(gc_heap *h);
    void (*destroy)(gc_heap *h);
    /* Sets up / tears down per-mutator state (m->collector_data, buffers). */
    void (*mutator_init)(gc_mutator *m);
    void (*mutator_fini)(gc_mutator *m);

    /* The inline fast path of alloc_mode failed (or alloc_mode is
     * GC_ALLOC_SLOW, or stress mode sent every allocation here and core has
     * already retried the fast path). Returns `bytes` bytes (a multiple of
     * GC_GRANULE, >= GC_MIN_OBJECT) for a new object, collecting as needed,
     * refilling the mutator's fast-path structures; NULL when the request
     * cannot be met within the heap limit even after a full collection. */
    void *(*alloc_slow)(gc_mutator *m, size_t bytes);

    /* Core has stored `v` into *slot (a reference slot of `holder`, whose
     * previous value was `old`); called for the stores the barrier kind
     * selects (see gc_barrier_kind). Must not store into *slot. */
    void (*write_barrier)(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v);

    /* A collection of `kind` (see gc_collection_kind) for `reason`.
     * Records at least one pause. */
    void (*collect)(gc_mutator *m, gc_collection_kind kind, gc_reason reason);

    /* End of the workload: finish deferred work so statistics are final. */
    void (*finish)(gc_heap *h);

    /* Bytes occupied by objects (live or not yet reclaimed). */
    size_t (*heap_used)(gc_heap *h);
    /* Bytes counted against the heap limit (blocks, semispaces, large
     * objects); never more than the limit (the verifier checks). */
    size_t (*footprint)(gc_heap *h);
    /* addr may be the start of object memory this collector handed out (a
     * cheap range check; for scattered large objects, a set lookup). */
    bool (*contains)(gc_heap *h, const void *addr);
    /* obj is the start of an allocated object whose size (from its header)
     * fits the memory allocated for it (used by the verifier). */
    bool (*is_object)(gc_heap *h, const gc_object *obj);
    /* Checks collector-specific invariants (its spaces' check functions,
     * e.g. nothing points into from-space), reporting each problem with
     * gc_verify_fail; core counts them. */
    void (*verify)(gc_heap *h);
    /* Collector-specific figures for the summary (e.g. refcount's
     * leaked_bytes): calls emit(ctx, name, value) for each. Names are
     * snake_case and appear as top-level keys of summary.json. */
    void (*stats)(gc_heap *h, gc_stat_emit_fn emit, void *ctx);
};

/* ---- The heap, as collectors see it ------------------------------------------- */

void *gc_heap_collector(const gc_heap *h);          /* the collector's state */
void gc_heap_set_collector(gc_heap *h, void *state);
/* From init: the message gc_heap_create reports when init returns -1. */
void gc_heap_set_error(gc_heap *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same when the configuration is valid but the heap limit is too small
 * for it (gc_heap_create_failure then says GC_CREATE_TOO_SMALL). */
void gc_heap_set_error_too_small(gc_heap *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const gc_config *gc_heap_config(const gc_heap *h); /* options as given; stress, verify */
bool gc_heap_in_pause(const gc_heap *h);
/* The attached mutators: for (m = gc_heap_mutators(h); m; m = m->next). */
gc_mutator *gc_heap_mutators(gc_heap *h);

/* Values of the collector's declared options (defaults filled in). Asking
 * for an option the collector did not declare, or with the wrong type,
 * aborts (a collector bug). */
bool gc_heap_option_bool(const gc_heap *h, const char *name);
uint64_t gc_heap_option_u64(const gc_heap *h, const char *name); /* SIZE and UINT */

/* Visits every root slot holding a reference: each mutator's root stack and
 * scanners, and the global roots. Visitors may rewrite the slot. A slot
 * registered twice is visited twice. */
void gc_visit_roots(gc_heap *h, gc_visit_fn visit, void *ctx);

/* Total bytes allocated by all mutators, ever (monotonic). A collector can
 * subtract a snapshot to know what was allocated since its last collection. */
uint64_t gc_heap_allocated_bytes(gc_heap *h);

/* The heap verifier (core/verify.c): walks everything reachable from the
 * roots and checks headers, types, lengths, that every reference points at
 * an object of this heap (ops->is_object), that the footprint is within
 * the limit, then runs ops->verify. Returns the number of problems found,
 * each reported on stderr. */
size_t gc_verify_heap(gc_heap *h);
/* For ops->verify and the spaces' check functions: report one problem
 * (printf-style); core counts it. */
void gc_verify_fail(gc_heap *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For a collector that must check its own invariants at a point of its
 * choosing (the generational remembered set before a minor collection):
 * with cfg.verify, runs ops->verify (timed as verifier time) and, if it
 * reports problems, the heap's corrupt handler with `when`. */
void gc_verify_collector(gc_heap *h, const char *when);

/* Multi-mutator heaps (docs/threads.md). Collector code runs holding the
 * heap lock (one thread at a time), except write_barrier, which runs in
 * the storing mutator's thread concurrently with other mutators and must
 * touch only that mutator's own state (e.g. a per-mutator buffer that the
 * collector drains in a pause). gc_pause_begin stops the world itself;
 * gc_stop_world does it earlier, for work that must see every mutator
 * stopped outside a recorded pause (refcount's reclamation, recorded
 * afterwards with gc_pause_record, which then starts at the stop request).
 * The world stays stopped until the collector returns to core. Both are
 * no-ops in a one-mutator heap. gc_world_stopped: no other mutator can
 * run now (stopped, or the heap has only ever had one mutator). */
void gc_stop_world(gc_heap *h);
bool gc_world_stopped(const gc_heap *h);

/* From alloc_slow: [p, p + n) (memory now owned by m alone, such as its new
 * bump chunk, including the block alloc_slow returns) is zeroed by core
 * before the allocation returns, after the heap lock is released, so other
 * mutators do not wait for the memset. At most one range per call. */
GC_INLINE void gc_mutator_zero_later(gc_mutator *m, void *p, size_t n)
{
    GC_ASSERT(m->zero_bytes == 0);
    m->zero_start = p;
    m->zero_bytes = n;
}

/* Called by a collector's alloc path before it gives up: runs the exhaustion
 * handler (does not return). */
_Noreturn void gc_heap_exhausted(gc_heap *h, size_t request);

/* ---- Defaults for unused slots ------------------------------------------------ */

extern const gc_option_desc gc_no_options[]; /* an empty option list */
void gc_default_destroy(gc_heap *h);
void gc_default_mutator_init(gc_mutator *m);
void gc_default_mutator_fini(gc_mutator *m);
void gc_default_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old,
                              gc_value v);                /* nothing */
void gc_default_finish(gc_heap *h);
bool gc_default_contains(gc_heap *h, const void *addr);   /* true */
bool gc_default_is_object(gc_heap *h, const gc_object *obj); /* header looks valid */
void gc_default_verify(gc_heap *h);                       /* nothing to check */
void gc_default_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx); /* none */
void *gc_no_alloc_slow(gc_mutator *m, size_t bytes);      /* aborts */
void gc_no_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason); /* aborts */

/* ---- Checking descriptors and options ---------------------------------------------- */

/* Returns NULL when the descriptor is complete (every slot set, phases and
 * options well formed, defaults parse), else what is wrong with it. */
const char *gc_collector_check(const gc_collector_ops *ops);
/* Checks an option string against ops's declarations without creating a
 * heap: 0, or -1 with a message naming the collector and its options. */
int gc_collector_check_options(const gc_collector_ops *ops, const char *options, char *err,
                               size_t errlen);
/* Writes one line per declared option ("  name=TYPE  help (default: d)")
 * to f; nothing when there are none. */
void gc_collector_print_options(const gc_collector_ops *ops, FILE *f, const char *indent);

#endif /* GC_COLLECTOR_H */
