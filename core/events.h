/* core/events.h — pause events: what every stop-the-world pause records.
 *
 * Collectors bracket each pause with gc_pause_begin / gc_pause_end and mark
 * phase boundaries with gc_phase_start; core timestamps with uv_hrtime() and keeps
 * every pause in a log allocated with the system allocator (never in the
 * collected heap). bench/ reads the log and may install a listener; it never
 * looks at collector internals.
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
    GC_PAUSE_RC_CASCADE, /* a long reference-count freeing cascade */
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

typedef enum gc_phase {
    GC_PHASE_ROOTS = 0, /* scanning roots */
    GC_PHASE_MARK,      /* mark / trace / MarkGray+Scan */
    GC_PHASE_SWEEP,     /* sweep / free / CollectWhite */
    GC_PHASE_COPY,      /* evacuation (Cheney scan) */
    GC_PHASE_OTHER,     /* anything outside a named phase */
    GC_PHASE_COUNT
} gc_phase;

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
    uint64_t phase_ns[GC_PHASE_COUNT];
} gc_pause;

typedef struct gc_event_listener {
    void (*pause_end)(void *data, const gc_pause *p); /* may be NULL */
    void *data;
} gc_event_listener;

const char *gc_pause_kind_name(gc_pause_kind k);
const char *gc_reason_name(gc_reason r);
const char *gc_phase_name(gc_phase p);

struct gc_heap;
/* For collectors. A pause may not nest inside another. */
void gc_pause_begin(struct gc_heap *h, gc_pause_kind kind, gc_reason reason);
void gc_phase_start(struct gc_heap *h, gc_phase phase); /* ends the current phase, starts `phase` */
void gc_pause_end(struct gc_heap *h);
/* Records a pause that is already over — for collectors that learn only
 * afterwards whether some work deserved to be a pause (reference counting's
 * cascades). Times are uv_hrtime() values; phase_ns must add up to
 * end - start (anything missing is charged to GC_PHASE_OTHER). */
void gc_pause_record(struct gc_heap *h, gc_pause_kind kind, gc_reason reason, uint64_t start_hrtime,
                     uint64_t end_hrtime, uint64_t heap_before, const uint64_t phase_ns[GC_PHASE_COUNT]);
/* Inside a pause: the collection turned out to be of another kind (e.g. a
 * minor collection that had to become a major one). */
void gc_pause_set_kind(struct gc_heap *h, gc_pause_kind kind);
/* Inside a pause: the live bytes the collector established (e.g. a minor
 * collection knows only the survivors it copied, not the old generation). */
void gc_pause_set_live(struct gc_heap *h, uint64_t live_bytes);

#endif /* GC_EVENTS_H */
