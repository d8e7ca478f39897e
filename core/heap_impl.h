/* core/heap_impl.h — the heap's representation: private to the core .c files (not
 * installed). Collectors, the VM, workloads and bench use the functions of
 * core/heap.h and core/collector.h instead. */
#ifndef GC_HEAP_IMPL_H
#define GC_HEAP_IMPL_H

#include <uv.h>

#include "collector.h"

typedef struct gc_root_scanner_entry {
    gc_root_scanner_fn fn;
    void *data;
} gc_root_scanner_entry;

/* A parsed option value, by the index of its declaration. */
typedef struct gc_option_value {
    uint64_t u; /* SIZE, UINT; BOOL as 0/1 */
} gc_option_value;

struct gc_heap {
    const gc_collector_ops *ops;
    void *collector;            /* the collector's private state */
    gc_config cfg;              /* cfg.options points at options_text */
    char *options_text;         /* copy of the option string (system memory) */
    gc_option_value options[GC_MAX_OPTIONS];
    size_t limit;               /* == cfg.heap_limit */
    char error[256];            /* init failure message */
    bool error_too_small;       /* ... given with gc_heap_set_error_too_small */
    unsigned nphases;           /* declared by the collector */

    /* -- threads (docs/threads.md) --
     * lock: the heap lock. In a multi-mutator heap every core slow path
     *   (allocation refill, gc_collect, attach, detach) runs holding it, so
     *   collector state is touched by one thread at a time; a mutator waits
     *   for it INACTIVE. Whoever holds it may stop the world. A one-mutator
     *   heap never takes it in its slow paths (multi == 0).
     * sp_lock: guards every mutator's state/inactive_depth, nrunning and
     *   the stop flag's transitions; never held while waiting for anything
     *   but parked_cv / resume_cv.
     * roots_lock: guards the global roots array; held only briefly, never
     *   across a safepoint. */
    uv_mutex_t lock;
    uv_mutex_t sp_lock;
    uv_cond_t parked_cv;        /* a mutator left RUNNING while a stop was requested */
    uv_cond_t resume_cv;        /* the stop ended */
    uv_mutex_t roots_lock;
    gc_mutator *mutators;       /* changed under lock (and sp_lock for states) */
    unsigned nmutators, peak_mutators;
    /* Read by every mutator at every safepoint poll: alone on its cache
     * lines with the (as rarely written) mode flag. */
    _Alignas(128) atomic_int stop_requested; /* safepoint request flag (polled by gc_safepoint) */
    atomic_int multi;           /* a second mutator was attached: slow paths lock */
    char stop_pad[128 - 2 * sizeof(atomic_int)];
    atomic_uint nrunning;       /* mutators in GC_MUTATOR_RUNNING (written under sp_lock) */
    gc_mutator *holder;         /* the mutator holding lock (NULL: none, or attach) */
    bool stopped;               /* the world is stopped (by the lock's holder) */
    uint64_t stop_t0;           /* uv_hrtime() of the stop request */
    uint64_t pending_tts;       /* time to safepoint of this stop, for its first pause */
    bool tts_pending;
    atomic_uint_fast64_t pause_count;     /* == npauses, readable without the lock */
    atomic_uint_fast64_t majors_requested; /* explicit MAJOR collections completed */
    size_t exhausted_used;      /* heap_used at the failed allocation, for the handler */

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
    int current_phase;          /* index of the running phase; -1: outside any */
    bool live_set;              /* gc_pause_set_live called in this pause */
    uint64_t phase_start_ns;
    gc_event_listener listener;

    gc_exhausted_fn exhausted;
    void *exhausted_data;
    gc_corrupt_fn corrupt;
    void *corrupt_data;
    bool verifying;             /* verifier is running (no allocation allowed) */
    size_t verify_errors;       /* problems reported by the current verification */
    uint64_t verify_ns;         /* total time spent verifying after pauses */
};

/* core/heap.c: before a handler that may longjmp (corrupt heap): restart
 * the world and release the heap lock if this thread holds it. */
void gc_heap_release_for_handler(gc_heap *h);
/* core/verify.c: after every pause (from the pause log's commit). */
void gc_after_pause(gc_heap *h);
/* core/options.c */
int gc_options_parse(const gc_collector_ops *ops, const char *text, gc_option_value *out, char *err,
                     size_t errlen);
const char *gc_options_check_decls(const gc_collector_ops *ops);

#endif /* GC_HEAP_IMPL_H */
