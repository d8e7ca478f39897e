/* core/events.c — pause recording. Invariants: at most one pause is open
 * (h->in_pause); its declared phases and other_ns partition its duration
 * (time outside any declared phase is other_ns); phase indices are below the
 * collector's declared count. The log grows with the system allocator,
 * never in the collected heap. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "heap_impl.h"
#include "sysalloc.h"

static const char *const kind_names[GC_PAUSE_KIND_COUNT] = {
    "full", "minor", "major", "cycle", "rc-cascade"};
static const char *const reason_names[GC_REASON_COUNT] = {
    "heap-limit", "explicit", "stress", "nursery-full", "threshold"};

const char *gc_pause_kind_name(gc_pause_kind k)
{
    return (unsigned)k < GC_PAUSE_KIND_COUNT ? kind_names[k] : "?";
}
const char *gc_reason_name(gc_reason r)
{
    return (unsigned)r < GC_REASON_COUNT ? reason_names[r] : "?";
}

void gc_pause_begin(gc_heap *h, gc_pause_kind kind, gc_reason reason)
{
    if (h->in_pause) {
        fprintf(stderr, "gcbench: collector %s began a pause inside a pause\n", h->ops->name);
        abort();
    }
    gc_stop_world(h); /* multi-mutator heaps: every other mutator parks first */
    uint64_t now = uv_hrtime();
    h->in_pause = true;
    h->current = (gc_pause){0};
    if (h->tts_pending) {
        /* The first pause of a stop starts at the request: its duration
         * includes the time to safepoint (charged to other_ns). */
        now = h->stop_t0;
        h->current.tts_ns = h->pending_tts;
        h->tts_pending = false;
    }
    h->current.seq = h->npauses + 1;
    h->current.start_ns = now - h->epoch_ns;
    h->current.kind = kind;
    h->current.reason = reason;
    h->current.heap_before = h->ops->heap_used(h);
    if (h->current.heap_before > h->peak_heap)
        h->peak_heap = h->current.heap_before;
    h->current_phase = -1;
    h->phase_start_ns = now;
}

/* Charges the time since the last boundary to the running phase. */
static void phase_close(gc_heap *h, uint64_t now)
{
    if (h->current_phase < 0)
        h->current.other_ns += now - h->phase_start_ns;
    else
        h->current.phase_ns[h->current_phase] += now - h->phase_start_ns;
    h->phase_start_ns = now;
}

void gc_phase_start(gc_heap *h, unsigned phase)
{
    GC_ASSERT(h->in_pause);
    if (phase >= h->nphases) {
        fprintf(stderr, "gcbench: collector %s started phase %u but declares %u phases\n", h->ops->name,
                phase, h->nphases);
        abort();
    }
    phase_close(h, uv_hrtime());
    h->current_phase = (int)phase;
}

void gc_pause_set_kind(gc_heap *h, gc_pause_kind kind)
{
    assert(h->in_pause);
    h->current.kind = kind;
}

void gc_pause_set_live(gc_heap *h, uint64_t live_bytes)
{
    assert(h->in_pause);
    h->current.live_after = live_bytes;
    h->live_set = true;
}

/* Appends the finished current pause to the log and runs the after-pause
 * hooks (listener, verifier). */
static void pause_commit(gc_heap *h)
{
    h->current.heap_after = h->ops->heap_used(h);
    if (!h->live_set)
        h->current.live_after = h->current.heap_after;
    h->live_set = false;
    if (h->npauses == h->pauses_cap) {
        size_t ncap = h->pauses_cap ? h->pauses_cap * 2 : 256;
        h->pauses = gc_sys_realloc(h->pauses, h->pauses_cap * sizeof *h->pauses,
                                   ncap * sizeof *h->pauses);
        h->pauses_cap = ncap;
    }
    h->current.mutators = h->nmutators;
    h->pauses[h->npauses++] = h->current;
    atomic_store_explicit(&h->pause_count, h->npauses, memory_order_relaxed);
    h->collections_by_kind[h->current.kind]++;
    h->in_pause = false;
    if (h->listener.pause_end)
        h->listener.pause_end(h->listener.data, &h->pauses[h->npauses - 1]);
    gc_after_pause(h);
}

void gc_pause_end(gc_heap *h)
{
    assert(h->in_pause);
    uint64_t now = uv_hrtime();
    phase_close(h, now);
    h->current_phase = -1;
    h->current.duration_ns = now - h->epoch_ns - h->current.start_ns;
    pause_commit(h);
}

void gc_pause_record(gc_heap *h, gc_pause_kind kind, gc_reason reason, uint64_t start_hrtime,
                     uint64_t end_hrtime, uint64_t heap_before, const uint64_t phase_ns[GC_MAX_PHASES])
{
    assert(!h->in_pause && end_hrtime >= start_hrtime);
    h->in_pause = true;
    h->current = (gc_pause){0};
    if (h->tts_pending) {
        /* The world was stopped for this work (gc_stop_world): the pause
         * starts at the stop request. */
        if (h->stop_t0 < start_hrtime)
            start_hrtime = h->stop_t0;
        h->current.tts_ns = h->pending_tts;
        h->tts_pending = false;
    }
    h->current.seq = h->npauses + 1;
    h->current.start_ns = start_hrtime - h->epoch_ns;
    h->current.duration_ns = end_hrtime - start_hrtime;
    h->current.kind = kind;
    h->current.reason = reason;
    h->current.heap_before = heap_before;
    if (heap_before > h->peak_heap)
        h->peak_heap = heap_before;
    uint64_t sum = 0;
    for (unsigned p = 0; phase_ns && p < h->nphases; p++) {
        h->current.phase_ns[p] = phase_ns[p];
        sum += phase_ns[p];
    }
    GC_ASSERT(sum <= h->current.duration_ns);
    if (sum < h->current.duration_ns)
        h->current.other_ns = h->current.duration_ns - sum;
    pause_commit(h);
}
