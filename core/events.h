/* core/events.h — pause events: what every stop-the-world pause records.
 *
 * Collectors bracket each pause with gc_pause_begin / gc_pause_end and mark
 * phase boundaries with gc_phase_start, using the phase names they declare
 * in their ops (gc_collector_ops.phases); core timestamps with uv_hrtime()
 * and keeps every pause in a log allocated with the system allocator (never
 * in the collected heap). bench/ reads the log and may install a listener;
 * it never looks at collector internals.
 */
#ifndef GC_EVENTS_H
#define GC_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef enum gc_pause_kind {
    GC_PAUSE_FULL = 0,   /* whole-heap tracing collection */
    GC_PAUSE_MINOR,      /* nursery-only collection */
    GC_PAUSE_MAJOR,      /* whole-heap collection of a generational collector */
    GC_PAUSE_CYCLE,      /* cycle collection (reference counting) */
    GC_PAUSE_RC_CASCADE, /* a reference-counting reclamation (its freeing cascade) */
    GC_PAUSE_KIND_COUNT
} gc_pause_kind;

typedef enum gc_reason {
    GC_REASON_HEAP_LIMIT = 0, /* allocation could not be satisfied within --heap */
    GC_REASON_EXPLICIT,       /* gc_collect() called by the mutator */
    GC_REASON_STRESS,         /* --stress=N countdown reached zero */
    GC_REASON_NURSERY_FULL,   /* nursery exhausted */
    GC_REASON_THRESHOLD,      /* a collector's own trigger (growth policy, buffer full) */
    GC_REASON_COUNT
} gc_reason;

/* A collector declares up to GC_MAX_PHASES phase names (its ops' `phases`);
 * a pause records the time of each, indexed as declared, and the time spent
 * outside any declared phase as other_ns. */
#define GC_MAX_PHASES 8

typedef struct gc_pause {
    uint64_t seq;           /* 1-based, in order */
    uint64_t start_ns;      /* since the heap's epoch (gc_heap_epoch) */
    uint64_t duration_ns;
    gc_pause_kind kind;
    gc_reason reason;
    uint64_t heap_before;   /* bytes occupied by objects when the pause began */
    uint64_t heap_after;    /* bytes occupied by objects when it ended */
    uint64_t live_after;    /* live bytes known after the pause (a full trace finds them);
                               defaults to heap_after unless the collector sets it */
    uint64_t phase_ns[GC_MAX_PHASES]; /* index i: the collector's phase i */
    uint64_t other_ns;      /* time outside any declared phase; the phases and
                               other_ns add up to duration_ns */
    uint64_t tts_ns;        /* time to safepoint: from the stop request until the
                               last other mutator parked (0 with one mutator). It
                               is part of other_ns (and so of duration_ns). */
    uint32_t mutators;      /* mutators attached during the pause */
} gc_pause;

typedef struct gc_event_listener {
    void (*pause_end)(void *data, const gc_pause *p); /* may be NULL */
    void *data;
} gc_event_listener;

const char *gc_pause_kind_name(gc_pause_kind k);
const char *gc_reason_name(gc_reason r);

struct gc_heap;
/* Phase names of the heap's collector: gc_heap_nphases(h) of them, index i
 * naming gc_pause.phase_ns[i]. */
unsigned gc_heap_nphases(const struct gc_heap *h);
const char *gc_heap_phase_name(const struct gc_heap *h, unsigned i);

/* For collectors. A pause may not nest inside another. */
void gc_pause_begin(struct gc_heap *h, gc_pause_kind kind, gc_reason reason);
/* Ends the current phase (or the time outside phases) and starts phase
 * `phase`, an index into the collector's declared phases. */
void gc_phase_start(struct gc_heap *h, unsigned phase);
void gc_pause_end(struct gc_heap *h);
/* Records a pause that is already over — for collectors that learn only
 * afterwards whether some work deserved to be a pause. Times are uv_hrtime()
 * values; phase_ns (may be NULL) is indexed like the declared phases, and
 * whatever it does not account for of end - start is other_ns. */
void gc_pause_record(struct gc_heap *h, gc_pause_kind kind, gc_reason reason, uint64_t start_hrtime,
                     uint64_t end_hrtime, uint64_t heap_before, const uint64_t phase_ns[GC_MAX_PHASES]);
/* Inside a pause: the collection turned out to be of another kind (e.g. a
 * minor collection that had to become a major one). */
void gc_pause_set_kind(struct gc_heap *h, gc_pause_kind kind);
/* Inside a pause: the live bytes the collector established (e.g. a minor
 * collection knows only the survivors it copied, not the old generation). */
void gc_pause_set_live(struct gc_heap *h, uint64_t live_bytes);

#endif /* GC_EVENTS_H */
