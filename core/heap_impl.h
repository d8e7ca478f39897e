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
    unsigned nphases;           /* declared by the collector */

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

/* core/verify.c: after every pause (from the pause log's commit). */
void gc_after_pause(gc_heap *h);
/* core/options.c */
int gc_options_parse(const gc_collector_ops *ops, const char *text, gc_option_value *out, char *err,
                     size_t errlen);
const char *gc_options_check_decls(const gc_collector_ops *ops);

#endif /* GC_HEAP_IMPL_H */
