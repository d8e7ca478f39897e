/* core/collector.h — the collector interface, the heap as collectors see it,
 * and the services core offers them.
 *
 * A collector is one `const gc_collector_ops` listed in collectors/registry.c.
 * Every slot must be set: a collector that does not need a method points it at
 * a shared default (gc_default_*: trivial no-ops, or gc_no_*: abort with a
 * message, MPS-style). gc_collector_check() rejects a descriptor with a NULL
 * slot; core runs it for every registered collector at heap creation.
 *
 * Core calls collectors only through the gc_heap/gc_mutator wrappers in
 * core/heap.c, which check the collector's results at the boundary in debug
 * builds (allocation results inside the heap and aligned, roots valid after a
 * collection).
 */
#ifndef GC_COLLECTOR_H
#define GC_COLLECTOR_H

#include <stdio.h>
#include <uv.h>

#include "heap.h"

typedef void (*gc_stat_emit_fn)(void *ctx, const char *name, uint64_t value);

struct gc_collector_ops {
    const char *name;
    const char *description;  /* one line, for --list */
    gc_alloc_mode alloc_mode; /* which inline fast path mutators use */
    gc_barrier_kind barrier;  /* which inline barrier fast path mutators use */
    bool alloc_zeroed;        /* memory from the inline fast path is already zero */
    bool moving;              /* may change object addresses */
    bool reclaims_cycles;     /* tracing collectors: garbage cycles are freed */

    /* Sets h->collector. Returns 0, or -1 with a message in h->error. */
    int (*init)(gc_heap *h);
    void (*destroy)(gc_heap *h);
    /* Sets up / tears down per-mutator state (m->collector_data, buffers). */
    void (*mutator_init)(gc_mutator *m);
    void (*mutator_fini)(gc_mutator *m);

    /* Returns `bytes` bytes (a multiple of GC_GRANULE, >= GC_MIN_OBJECT) of
     * memory for a new object, collecting if needed, or NULL when the request
     * cannot be met within the heap limit even after a full collection. May
     * refill the mutator's fast-path structures (bump buffer, free lists). Is
     * called even when the fast structure has room (stress mode). */
    void *(*alloc_slow)(gc_mutator *m, size_t bytes);

    /* Called for every reference store when barrier != GC_BARRIER_NONE, with
     * the holder object, the slot inside it, and the new value (the old value
     * is still in *slot). It must perform the store. */
    void (*write_barrier)(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value v);

    /* Full collection (all generations; for refcount: a cycle collection).
     * Records exactly one pause. */
    void (*collect)(gc_mutator *m, gc_reason reason);

    /* Called when another thread requests a stop (reserved for multi-mutator
     * stop-the-world; the default does nothing). */
    void (*safepoint)(gc_mutator *m);

    /* End of the workload: finish deferred work so statistics are final. */
    void (*finish)(gc_heap *h);

    /* Bytes occupied by objects (live or not yet reclaimed). */
    size_t (*heap_used)(gc_heap *h);
    /* Bytes counted against the heap limit (blocks, semispaces, large objects). */
    size_t (*footprint)(gc_heap *h);
    /* addr may be the start of object memory this collector handed out (a
     * cheap range check; for scattered large objects, a set lookup). */
    bool (*contains)(gc_heap *h, const void *addr);
    /* obj is the start of an allocated object whose size (from its header)
     * fits the memory allocated for it (used by the verifier). */
    bool (*is_object)(gc_heap *h, const gc_object *obj);
    /* Collector-specific invariants (e.g. nothing points into from-space).
     * Reports problems with gc_verify_fail; returns how many it found. */
    size_t (*verify)(gc_heap *h);
    /* Collector-specific figures for the summary (e.g. refcount's
     * leaked_bytes): calls emit(ctx, name, value) for each. Names are
     * snake_case and appear as top-level keys of summary.json. */
    void (*stats)(gc_heap *h, gc_stat_emit_fn emit, void *ctx);
};

/* ---- The heap, as collectors see it ----------------------------------------- */

typedef struct gc_root_scanner_entry {
    gc_root_scanner_fn fn;
    void *data;
} gc_root_scanner_entry;

struct gc_heap {
    const gc_collector_ops *ops;
    void *collector;            /* the collector's private state */
    gc_config cfg;
    size_t limit;               /* == cfg.heap_limit */
    char error[256];            /* init failure message */

    uv_mutex_t lock;            /* guards mutator list and roots registration */
    gc_mutator *mutators;
    unsigned nmutators;
    atomic_int stop_requested;  /* safepoint request flag */

    gc_value **global_roots;
    size_t nglobal_roots, global_roots_cap;

    /* statistics and events */
    uint64_t epoch_ns;
    uint64_t retired_bytes, retired_objects; /* from detached mutators */
    uint64_t peak_heap;
    uint64_t collections_by_kind[GC_PAUSE_KIND_COUNT];
    gc_pause *pauses;
    size_t npauses, pauses_cap;
    bool in_pause;
    gc_pause current;
    gc_phase current_phase;
    bool live_set;              /* gc_pause_set_live called in this pause */
    uint64_t phase_start_ns;
    gc_event_listener listener;

    gc_exhausted_fn exhausted;
    void *exhausted_data;
    bool verifying;             /* verifier is running (no allocation allowed) */
    size_t verify_errors;       /* problems reported by the current verification */
    uint64_t verify_ns;         /* total time spent verifying after pauses */
};

/* ---- Services for collectors ------------------------------------------------- */

/* Visits every root slot holding a reference: each mutator's root stack and
 * scanners, and the global roots. Visitors may rewrite the slot. */
void gc_visit_roots(gc_heap *h, gc_visit_fn visit, void *ctx);

/* Total bytes allocated by all mutators, ever (monotonic). A collector can
 * subtract a snapshot to know what was allocated since its last collection. */
uint64_t gc_heap_allocated_bytes(gc_heap *h);

/* The heap verifier (core/verify.c): walks everything reachable from the
 * roots and checks headers, types, lengths, and that every reference points
 * at an object of this heap (ops->is_object), then runs ops->verify. Returns
 * the number of problems found, each reported on stderr. */
size_t gc_verify_heap(gc_heap *h);
/* For ops->verify: report one problem (printf-style). */
void gc_verify_fail(gc_heap *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Called by core after every pause (from gc_pause_end): the debug-build
 * root check and, with cfg.verify, the full verifier; a corrupt heap ends the
 * process with GC_EXIT_HEAP_CORRUPT. */
void gc_after_pause(gc_heap *h);

/* Ends the process with GC_EXIT_HEAP_CORRUPT after a verification that
 * found problems (already reported); `when` says at which point. */
_Noreturn void gc_verify_abort(gc_heap *h, const char *when);

/* Called by a collector's alloc path before it gives up: runs the exhaustion
 * handler (does not return). */
_Noreturn void gc_heap_exhausted(gc_heap *h, size_t request);

/* ---- Defaults for unused slots ------------------------------------------------ */

void gc_default_destroy(gc_heap *h);
void gc_default_mutator_init(gc_mutator *m);
void gc_default_mutator_fini(gc_mutator *m);
void gc_default_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value v);
void gc_default_safepoint(gc_mutator *m);
void gc_default_finish(gc_heap *h);
bool gc_default_contains(gc_heap *h, const void *addr);   /* true */
bool gc_default_is_object(gc_heap *h, const gc_object *obj); /* header looks valid */
size_t gc_default_verify(gc_heap *h);                     /* 0 */
void gc_default_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx); /* none */
void *gc_no_alloc_slow(gc_mutator *m, size_t bytes);      /* aborts */
void gc_no_collect(gc_mutator *m, gc_reason reason);     /* aborts */

/* ---- Registry ------------------------------------------------------------------ */

/* NULL-terminated list, defined in collectors/registry.c. */
extern const gc_collector_ops *const gc_registered_collectors[];

const gc_collector_ops *gc_collector_find(const char *name);
/* Returns NULL when every slot is set, else the name of the first NULL slot. */
const char *gc_collector_check(const gc_collector_ops *ops);

#endif /* GC_COLLECTOR_H */
