/* collectors/bdw.c — the Boehm-Demers-Weiser collector (libgc 8.2, Debian
 * libgc-dev) behind gcbench's collector interface, so the production
 * conservative collector runs the same workloads, VM programs and pause
 * recording as ours. See docs/collectors/bdw.md.
 *
 *   allocation = core's inline free-list fast path (GC_ALLOC_FREELIST) over
 *                per-mutator lists that alloc_slow refills with
 *                GC_generic_malloc_many, as libgc's gc_inline.h does;
 *                objects over BDW_LIST_MAX: GC_MALLOC / GC_MALLOC_ATOMIC
 *                (libgc collects inside either when its policy says so)
 *   collect    = GC_gcollect (every kind: a full collection)
 *   roots      = libgc's conservative roots (registered threads' stacks and
 *                registers, static data but jemalloc's) + the harness's
 *                precise root slots, pushed from GC_set_push_other_roots
 *   pauses     = libgc's collection events, timestamped in the callback and
 *                recorded with gc_pause_record after libgc returns
 *
 * Built only when CMake finds libgc (GCBENCH_HAVE_BDW; never in the
 * sanitizer builds: docs/collectors/bdw.md says why), and registered in
 * collectors/registry.c under the same condition.
 *
 * Invariants (BDW-n):
 *  BDW-1 libgc is global to the process: at most one bdw heap exists at a
 *        time (bdw_in_use), GC_INIT runs once per process, and the hooks
 *        (push-other-roots, start callback, collection events, warnings)
 *        are installed once, chaining whatever was installed before; they
 *        act only while a heap is published in bdw_active. bdw_verify
 *        checks the hooks are still ours.
 *  BDW-2 Nothing in a libgc callback calls core or malloc, except
 *        bdw_push_roots (gc_visit_roots, which takes the global-roots lock
 *        and runs the root scanners: no thread libgc has stopped can hold
 *        that lock or be inside a scanner's data, see BDW-4) and
 *        bdw_on_start (gc_stop_world, before libgc stops its world). The
 *        event callback only stores timestamps and libgc's own counters
 *        (GC_get_prof_stats_unsafe: the lock is already held) into
 *        bdw_ev; the pauses are recorded (gc_pause_record) after
 *        GC_MALLOC / GC_gcollect has returned, so a pause's record, the
 *        listener and the verifier run with libgc's lock free.
 *  BDW-3 Every libgc collection while a heap is active is recorded as one
 *        pause of kind full, exactly once: bdw_ev.nrec records wait between
 *        the end of a collection and the return of the libgc call that ran
 *        it, and every such call (bdw_gc_malloc, bdw_gc_full) commits them.
 *  BDW-4 libgc collects only inside GC_MALLOC / GC_gcollect, called by a
 *        mutator's alloc_slow or collect, i.e. by the holder of the heap
 *        lock in a multi-mutator heap. Before libgc stops its world,
 *        bdw_on_start stops ours (gc_stop_world): every other mutator is
 *        parked at a safepoint or INACTIVE, so none is resizing its root
 *        stack, running a root scanner's data structure or holding the
 *        global-roots lock when libgc suspends it with a signal and
 *        bdw_push_roots reads its roots. In a one-mutator heap the
 *        collecting thread is the only mutator.
 *  BDW-5 Every thread with an attached bdw mutator is registered with
 *        libgc (its stack is scanned, it is suspended during collections):
 *        the first mutator a thread attaches registers it (unless libgc
 *        knows it already: the thread that ran GC_INIT), the last it
 *        detaches unregisters it, both from that thread.
 *  BDW-6 footprint <= limit. Normally footprint = libgc's heap size
 *        (GC_heapsize, unmapped blocks included), which libgc keeps within
 *        GC_set_max_heap_size(limit). libgc's heap never shrinks, so a heap
 *        created after a larger one (in the same process) finds it over its
 *        limit: then (`inherited`) libgc may not grow at all, footprint =
 *        the bytes of blocks in use, and alloc_slow gives back (GC_FREE)
 *        any allocation that takes them over the limit. A heap whose blocks
 *        in use are over the limit from the start is refused.
 *  BDW-7 A mutator's free lists (m->free_lists, classes up to
 *        BDW_LIST_MAX) hold only cells of GC_generic_malloc_many (NORMAL kind),
 *        each cleared but for its first word (the link): so alloc_zeroed.
 *        They are a libgc root range from mutator_init to mutator_fini
 *        (GC_add_roots), so a collection keeps the cells and their links.
 *  BDW-8 Only a pointer to an object's first byte keeps it alive
 *        (GC_set_all_interior_pointers(0) before GC_INIT, as Guile runs
 *        libgc). Every object the harness keeps is held by a precise root
 *        slot or a field, and both hold the object's start (core's
 *        contract, which moving collectors rely on too). So libgc adds no
 *        byte to each object and scans every word of it: a 32-byte node
 *        takes a 32-byte cell, where with interior pointers it took 48
 *        (its 33 bytes rounded up to 16), and a 32-byte cell of exactly 32
 *        bytes would have gone without its last word scanned (libgc skips
 *        the word holding the extra byte).
 */
#ifdef GCBENCH_HAVE_BDW

#define GC_THREADS 1
#define GC_NO_THREAD_REDIRECTS 1 /* no pthread_create redirection: mutators register themselves */
#include <gc/gc.h>
#include <gc/gc_inline.h> /* GC_generic_malloc_many, GC_I_NORMAL */
#include <gc/gc_mark.h>
#undef GC_ASSERT /* gc_inline.h's (libgc's own debug checks): ours is core/object.h's */

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/collector.h"
#include "core/sysalloc.h"

/* ---- phases ------------------------------------------------------------------------- */

enum { BDW_PHASE_STOP, BDW_PHASE_ROOTS, BDW_PHASE_MARK, BDW_PHASE_START, BDW_PHASE_RECLAIM, BDW_NPHASES };
static const char *const bdw_phases[] = {
    [BDW_PHASE_STOP] = "stop-world",   /* GC_EVENT_PRE_STOP_WORLD .. POST_STOP_WORLD: suspending threads */
    [BDW_PHASE_ROOTS] = "roots",       /* inside mark: pushing the harness's precise root slots */
    [BDW_PHASE_MARK] = "mark",         /* GC_EVENT_MARK_START .. MARK_END, minus roots */
    [BDW_PHASE_START] = "start-world", /* GC_EVENT_PRE_START_WORLD .. POST_START_WORLD: resuming them */
    [BDW_PHASE_RECLAIM] = "reclaim",   /* GC_EVENT_RECLAIM_START .. RECLAIM_END: freeing empty blocks,
                                          queueing the others for lazy sweeping */
    NULL,
};

/* ---- state ------------------------------------------------------------------------------ */

typedef struct bdw_heap {
    gc_heap *h;
    size_t limit;
    bool inherited;          /* BDW-6: libgc's heap was already over the limit: bdw bounds the blocks in use */
    uint64_t gc_no_at_start; /* GC_get_gc_no() when the heap was created */
    uint64_t oom_retries;    /* GC_MALLOC returned NULL; collected and retried */
    uint64_t merged_records; /* collections folded into one pause record (more than BDW_MAX_RECORDS in one call) */
    uint64_t foreign_fini;   /* mutators detached by another thread (not unregistered; see bdw_mutator_fini) */
} bdw_heap;

/* Per mutator (m->collector_data): which thread attached it. */
typedef struct bdw_mutator {
    const void *thread; /* &bdw_thread_tag of the attaching thread */
} bdw_mutator;

/* A libgc collection as the event callback saw it (uv_hrtime values). */
typedef struct bdw_record {
    uint64_t start, end;
    uint64_t heap_before; /* bytes in blocks in use when it started */
    uint64_t phase_ns[GC_MAX_PHASES];
} bdw_record;

#define BDW_MAX_RECORDS 16

/* Written by libgc's callbacks on the collecting thread (with libgc's lock
 * held), read by the same thread once the libgc call has returned (BDW-3).
 * In a multi-mutator heap the heap lock orders one collecting thread after
 * the other. */
static struct {
    bdw_record rec[BDW_MAX_RECORDS];
    unsigned nrec;            /* finished collections not yet recorded */
    uint64_t merged;          /* collections folded into rec[BDW_MAX_RECORDS - 1] */
    bool open;                /* between GC_EVENT_START and GC_EVENT_END */
    bdw_record cur;           /* the collection in progress */
    uint64_t t_stop, t_mark, t_start, t_reclaim; /* when the open sub-interval began */
    uint64_t mark_ns, roots_ns;                  /* of cur, so far */
} bdw_ev;

static atomic_bool bdw_in_use;           /* a bdw heap exists (BDW-1) */
static _Atomic(bdw_heap *) bdw_active;   /* the heap the hooks act for, once fully created */
static bool bdw_initialised;             /* GC_INIT ran and the hooks are installed */
static bool bdw_threads_allowed;         /* GC_allow_register_threads ran */
static GC_push_other_roots_proc bdw_prev_push;
static GC_start_callback_proc bdw_prev_start;
static GC_on_collection_event_proc bdw_prev_event;
static GC_warn_proc bdw_prev_warn;

/* BDW-5: per thread, its attached bdw mutators and whether we registered it. */
static _Thread_local char bdw_thread_tag;
static _Thread_local unsigned bdw_thread_mutators;
static _Thread_local bool bdw_thread_registered;

static bdw_heap *bdw_of(gc_heap *h) { return gc_heap_collector(h); }

/* ---- libgc's callbacks (BDW-2: no core, no malloc, except as stated) ---------------------------- */

/* Bytes in heap blocks in use (live objects, garbage not yet swept, and the
 * free cells of partly used blocks). Only with libgc's lock held. */
static uint64_t bdw_blocks_in_use_locked(void)
{
    struct GC_prof_stats_s s;
    memset(&s, 0, sizeof s);
    GC_get_prof_stats_unsafe(&s, sizeof s);
    return s.heapsize_full - s.free_bytes_full;
}

static void GC_CALLBACK bdw_on_event(GC_EventType e)
{
    if (bdw_prev_event)
        bdw_prev_event(e);
    if (!atomic_load_explicit(&bdw_active, memory_order_acquire))
        return;
    uint64_t now = uv_hrtime();
    bdw_record *c = &bdw_ev.cur;
    switch (e) {
    case GC_EVENT_START:
        memset(c, 0, sizeof *c);
        c->start = now;
        c->heap_before = bdw_blocks_in_use_locked();
        bdw_ev.mark_ns = bdw_ev.roots_ns = 0;
        bdw_ev.open = true;
        break;
    case GC_EVENT_PRE_STOP_WORLD:
        bdw_ev.t_stop = now;
        break;
    case GC_EVENT_POST_STOP_WORLD:
        if (bdw_ev.open)
            c->phase_ns[BDW_PHASE_STOP] += now - bdw_ev.t_stop;
        break;
    case GC_EVENT_MARK_START:
        bdw_ev.t_mark = now;
        break;
    case GC_EVENT_MARK_END:
        if (bdw_ev.open)
            bdw_ev.mark_ns += now - bdw_ev.t_mark;
        break;
    case GC_EVENT_PRE_START_WORLD:
        bdw_ev.t_start = now;
        break;
    case GC_EVENT_POST_START_WORLD:
        if (bdw_ev.open)
            c->phase_ns[BDW_PHASE_START] += now - bdw_ev.t_start;
        break;
    case GC_EVENT_RECLAIM_START:
        bdw_ev.t_reclaim = now;
        break;
    case GC_EVENT_RECLAIM_END:
        if (bdw_ev.open)
            c->phase_ns[BDW_PHASE_RECLAIM] += now - bdw_ev.t_reclaim;
        break;
    case GC_EVENT_END: {
        if (!bdw_ev.open)
            break;
        bdw_ev.open = false;
        c->end = now;
        /* The roots are pushed inside the mark: charge them there once. */
        uint64_t roots = bdw_ev.roots_ns < bdw_ev.mark_ns ? bdw_ev.roots_ns : bdw_ev.mark_ns;
        c->phase_ns[BDW_PHASE_ROOTS] = roots;
        c->phase_ns[BDW_PHASE_MARK] = bdw_ev.mark_ns - roots;
        if (bdw_ev.nrec < BDW_MAX_RECORDS) {
            bdw_ev.rec[bdw_ev.nrec++] = *c;
        } else {
            /* Folded into the last record, which then spans both (its
             * phases stay within its duration: they are disjoint). */
            bdw_record *last = &bdw_ev.rec[BDW_MAX_RECORDS - 1];
            last->end = c->end;
            for (unsigned p = 0; p < BDW_NPHASES; p++)
                last->phase_ns[p] += c->phase_ns[p];
            bdw_ev.merged++;
        }
        break;
    }
    default: /* thread suspend/resume events are not delivered here */
        break;
    }
}

static void bdw_push_slot(gc_value *slot, void *ctx)
{
    (void)ctx;
    GC_push_all_eager(slot, slot + 1); /* the slot's word, as a possible pointer */
}

/* Called by libgc while it marks, its world stopped (BDW-4): the harness's
 * precise roots live in memory libgc does not scan (root stacks, VM frames
 * and global-root arrays are system memory). */
static void GC_CALLBACK bdw_push_roots(void)
{
    if (bdw_prev_push)
        bdw_prev_push();
    bdw_heap *b = atomic_load_explicit(&bdw_active, memory_order_acquire);
    if (!b)
        return;
    uint64_t t0 = uv_hrtime();
    gc_visit_roots(b->h, bdw_push_slot, NULL);
    bdw_ev.roots_ns += uv_hrtime() - t0;
}

/* Called by libgc at the start of every collection, its lock held and its
 * world still running: stop ours first (BDW-4). A no-op in a one-mutator
 * heap, and when no mutator holds the heap lock (finish, destroy). */
static void GC_CALLBACK bdw_on_start(void)
{
    if (bdw_prev_start)
        bdw_prev_start();
    bdw_heap *b = atomic_load_explicit(&bdw_active, memory_order_acquire);
    if (b)
        gc_stop_world(b->h);
}

/* libgc warns "Out of Memory! ... Returning NULL!" when GC_MALLOC fails
 * within the limit; bdw_gc_malloc then collects and retries, and core
 * reports a real exhaustion itself ("heap exhausted", exit 3), so it is
 * not printed (bdw_oom_retries counts the NULLs); every other warning goes
 * where it went before. */
static void GC_CALLBACK bdw_warn(char *msg, GC_word arg)
{
    if (msg && strstr(msg, "Out of Memory") && atomic_load_explicit(&bdw_active, memory_order_relaxed))
        return;
    bdw_prev_warn(msg, arg);
}

/* ---- recording pauses ------------------------------------------------------------------------ */

/* Records the collections libgc finished during the call that just
 * returned (BDW-3): the first with `first`, any later ones (libgc retried
 * within one call) with `rest`. The records are copied out before the
 * first gc_pause_record, whose listener and verifier may run anything. */
static void bdw_commit(bdw_heap *b, gc_reason first, gc_reason rest)
{
    unsigned n = bdw_ev.nrec;
    if (n == 0)
        return;
    bdw_record rec[BDW_MAX_RECORDS];
    memcpy(rec, bdw_ev.rec, n * sizeof *rec);
    bdw_ev.nrec = 0;
    b->merged_records += bdw_ev.merged;
    bdw_ev.merged = 0;
    for (unsigned i = 0; i < n; i++)
        gc_pause_record(b->h, GC_PAUSE_FULL, i == 0 ? first : rest, rec[i].start, rec[i].end, rec[i].heap_before,
                        rec[i].phase_ns);
}

/* A full collection, recorded as one pause of `reason`. */
static void bdw_gc_full(bdw_heap *b, gc_reason reason)
{
    GC_gcollect();
    if (bdw_ev.nrec == 0) {
        /* BDW-3: init refused GC_DONT_GC, so GC_gcollect always collects. */
        fprintf(stderr, "gcbench: bdw: GC_gcollect ran no collection (is collection disabled?)\n");
        abort();
    }
    bdw_commit(b, reason, reason);
}

/* ---- allocation ------------------------------------------------------------------------------- */

/* Objects up to this size come from the mutator's free lists (BDW-7), all
 * NORMAL kind: the inline fast path knows the size only, not the type, so
 * a small pointer-free object (a short string) is scanned conservatively
 * where GC_MALLOC_ATOMIC would not scan it. Larger ones are allocated one
 * by one, atomic when pointer-free. */
#define BDW_LIST_MAX 256

/* Whether the object alloc_slow is asked for holds no references (byte
 * strings, value arrays, records without reference fields): those are
 * GC_MALLOC_ATOMIC, never scanned, as the peer allocates GCBench's array.
 * Core passes the object's header in m->slow_header. */
static bool bdw_pointer_free(const gc_mutator *m, size_t bytes)
{
    (void)bytes;
    const gc_type *t = gc_type_get(gc_header_type(m->slow_header));
    GC_ASSERT(t != NULL);
    if (t->kind == GC_KIND_BYTES || t->kind == GC_KIND_VALUE_ARRAY)
        return true;
    if (t->kind == GC_KIND_REF_ARRAY)
        return false;
    for (uint32_t w = 0; w < (t->nfields + 63) / 64; w++)
        if (t->ptrmap[w])
            return false;
    return true; /* a record without reference fields */
}

static size_t bdw_blocks_in_use(void);

/* GC_MALLOC, recording the collections it ran. An inherited heap (BDW-6)
 * gives back an allocation that takes the blocks in use over the limit. */
static void *bdw_gc_malloc(bdw_heap *b, size_t bytes, bool atomic, gc_reason reason)
{
    void *p = atomic ? GC_MALLOC_ATOMIC(bytes) : GC_MALLOC(bytes);
    bdw_commit(b, reason, GC_REASON_HEAP_LIMIT);
    if (GC_UNLIKELY(b->inherited) && p && bdw_blocks_in_use() > b->limit) {
        GC_FREE(p);
        p = NULL;
    }
    return p;
}

/* Class C's cells as libgc allocates them: its size rounded up to libgc's
 * granule (no extra byte: BDW-8). */
static size_t bdw_cell_bytes(unsigned c)
{
    return (gc_size_class_bytes[c] + GC_GRANULE_BYTES - 1) / GC_GRANULE_BYTES * GC_GRANULE_BYTES;
}

/* A list of class C's cells (NORMAL kind, cleared after the link in their
 * first word), recording the collections libgc ran for it; NULL when libgc
 * has no room. An inherited heap (BDW-6) gives back a list that takes the
 * blocks in use over the limit. */
static void *bdw_gc_malloc_many(bdw_heap *b, unsigned c, gc_reason reason)
{
    void *list = NULL;
    GC_generic_malloc_many(bdw_cell_bytes(c), GC_I_NORMAL, &list);
    bdw_commit(b, reason, GC_REASON_HEAP_LIMIT);
    if (GC_UNLIKELY(b->inherited) && list && bdw_blocks_in_use() > b->limit) {
        while (list) {
            void *next = GC_NEXT(list);
            GC_FREE(list);
            list = next;
        }
    }
#ifndef NDEBUG
    /* BDW-7: every cell is clear after its link. */
    for (void *cell = list; cell; cell = GC_NEXT(cell))
        for (size_t w = 1; w < bdw_cell_bytes(c) / sizeof(void *); w++)
            GC_ASSERT(((void **)cell)[w] == NULL);
#endif
    return list;
}

/* A small object: its class's list is empty (core's fast path failed), so
 * refill it and take its first cell. A NULL list means libgc could not
 * grow its heap within the limit, possibly without having collected (it
 * gives up at once when its policy did not ask for a collection): collect
 * once, retry, and only then report exhaustion. */
static void *bdw_alloc_cell(gc_mutator *m, bdw_heap *b, size_t bytes)
{
    unsigned c = gc_size_class_of(bytes);
    void *cell = m->free_lists[c];
    if (cell == NULL) {
        cell = bdw_gc_malloc_many(b, c, GC_REASON_THRESHOLD);
        if (GC_UNLIKELY(cell == NULL)) {
            b->oom_retries++;
            bdw_gc_full(b, GC_REASON_HEAP_LIMIT);
            cell = bdw_gc_malloc_many(b, c, GC_REASON_HEAP_LIMIT);
            if (cell == NULL)
                return NULL;
        }
    }
    m->free_lists[c] = GC_NEXT(cell);
    /* Cleared but for the link, which core's header store overwrites. */
    m->slow_zeroed = true;
    return cell;
}

/* Core's fast path failed: a small object's list is empty, or the object
 * is larger than BDW_LIST_MAX. libgc collects inside GC_MALLOC when its
 * growth policy says so (reason threshold); a NULL is handled as in
 * bdw_alloc_cell. */
static void *bdw_alloc_slow(gc_mutator *m, size_t bytes)
{
    bdw_heap *b = bdw_of(m->heap);
    if (bytes <= BDW_LIST_MAX)
        return bdw_alloc_cell(m, b, bytes);
    bool atomic = bdw_pointer_free(m, bytes);
    void *p = bdw_gc_malloc(b, bytes, atomic, GC_REASON_THRESHOLD);
    if (GC_UNLIKELY(p == NULL)) {
        b->oom_retries++;
        bdw_gc_full(b, GC_REASON_HEAP_LIMIT);
        p = bdw_gc_malloc(b, bytes, atomic, GC_REASON_HEAP_LIMIT);
        if (p == NULL)
            return NULL;
    }
    GC_ASSERT(((uintptr_t)p & (GC_GRANULE - 1)) == 0);
    /* GC_MALLOC hands out cleared memory; GC_MALLOC_ATOMIC does not. */
    m->slow_zeroed = !atomic;
    return p;
}

/* Every kind is a full collection: libgc is not generational here. */
static void bdw_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    bdw_gc_full(bdw_of(m->heap), reason);
}

/* ---- threads (BDW-5) ---------------------------------------------------------------------------- */

static void bdw_mutator_init(gc_mutator *m)
{
    bdw_mutator *bm = gc_sys_alloc_zeroed(sizeof *bm);
    bm->thread = &bdw_thread_tag;
    m->collector_data = bm;
    /* BDW-7: the lists' cells are live to libgc while the mutator is. */
    memset(m->free_lists, 0, sizeof m->free_lists);
    GC_add_roots(&m->free_lists[0], &m->free_lists[GC_SIZE_CLASS_COUNT]);
    if (bdw_thread_mutators++ > 0 || GC_thread_is_registered())
        return;
    /* A thread libgc does not know: allow explicit registration once (it
     * also starts libgc's parallel markers, as a multi-threaded libgc
     * program gets them), then register it with its stack. */
    if (!bdw_threads_allowed) {
        GC_allow_register_threads();
        bdw_threads_allowed = true;
    }
    struct GC_stack_base sb;
    if (GC_get_stack_base(&sb) != GC_SUCCESS) {
        fprintf(stderr, "gcbench: bdw: cannot find the stack of a new mutator thread for libgc\n");
        abort();
    }
    bdw_thread_registered = GC_register_my_thread(&sb) == GC_SUCCESS;
}

static void bdw_mutator_fini(gc_mutator *m)
{
    bdw_mutator *bm = m->collector_data;
    /* BDW-7: the cells left in the lists become garbage. */
    GC_remove_roots(&m->free_lists[0], &m->free_lists[GC_SIZE_CLASS_COUNT]);
    memset(m->free_lists, 0, sizeof m->free_lists);
    if (bm->thread == &bdw_thread_tag) {
        GC_ASSERT(bdw_thread_mutators > 0);
        if (--bdw_thread_mutators == 0 && bdw_thread_registered) {
            GC_unregister_my_thread();
            bdw_thread_registered = false;
        }
    } else {
        /* gc_heap_destroy detaching a mutator its thread left attached:
         * only that thread could unregister itself. */
        bdw_of(m->heap)->foreign_fini++;
    }
    gc_sys_free(bm, sizeof *bm);
    m->collector_data = NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------------------ */

/* The system allocator's writable segments (.data, .bss) in the module
 * named e->name, taken out of libgc's static roots. */
typedef struct bdw_exclusion {
    const char *name;
    uint64_t bytes;
} bdw_exclusion;

static int bdw_exclude_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    bdw_exclusion *e = data;
    if (!info->dlpi_name || strcmp(info->dlpi_name, e->name) != 0)
        return 0;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        char *lo = (char *)(info->dlpi_addr + ph->p_vaddr);
        GC_exclude_static_roots(lo, lo + ph->p_memsz);
        e->bytes += ph->p_memsz;
    }
    return 1;
}

/* jemalloc (core's allocator, which replaces malloc process-wide) has
 * 2.2 MB of static data, all its own metadata: it never holds a reference
 * to a libgc object (nothing of libgc's heap is malloc'd), yet libgc would
 * scan it conservatively at every collection. The peer program bdw_gcbench
 * has no jemalloc, so scanning it would charge bdw for the harness's
 * allocator. Returns the bytes excluded (0 when malloc is not jemalloc's). */
static uint64_t bdw_exclude_allocator_data(void)
{
    Dl_info di;
    if (!dladdr((void *)&malloc, &di) || !di.dli_fname || !strstr(di.dli_fname, "jemalloc"))
        return 0;
    bdw_exclusion e = {di.dli_fname, 0};
    dl_iterate_phdr(bdw_exclude_module, &e);
    return e.bytes;
}

static uint64_t bdw_excluded_bytes;

/* Once per process (BDW-1): GC_INIT on the thread creating the first bdw
 * heap, with the limit set first so the initial heap fits it; libgc's
 * defaults otherwise (the peer program bdw_gcbench calls GC_INIT only). */
static void bdw_init_libgc(size_t limit)
{
    if (bdw_initialised)
        return;
    GC_set_max_heap_size(limit);
    GC_set_all_interior_pointers(0); /* BDW-8 */
    GC_INIT();
    bdw_prev_push = GC_get_push_other_roots();
    GC_set_push_other_roots(bdw_push_roots);
    bdw_prev_start = GC_get_start_callback();
    GC_set_start_callback(bdw_on_start);
    bdw_prev_event = GC_get_on_collection_event();
    GC_set_on_collection_event(bdw_on_event);
    bdw_prev_warn = GC_get_warn_proc();
    GC_set_warn_proc(bdw_warn);
    bdw_excluded_bytes = bdw_exclude_allocator_data();
    bdw_initialised = true;
}

static int bdw_init(gc_heap *h)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&bdw_in_use, &expected, true)) {
        gc_heap_set_error(h, "libgc is global to the process and a bdw heap already exists: destroy it before "
                             "creating another");
        return -1;
    }
    size_t limit = gc_heap_limit(h);
    bdw_init_libgc(limit);
    /* libgc reads its environment in GC_INIT: modes this collector cannot
     * record pauses for are refused rather than half supported. */
    const char *refuse = NULL;
    if (GC_is_incremental_mode())
        refuse = "libgc is in incremental mode (GC_ENABLE_INCREMENTAL is set): bdw runs libgc's "
                 "stop-the-world collections only";
    else if (GC_is_disabled())
        refuse = "libgc's collection is disabled (GC_DONT_GC is set)";
    if (refuse) {
        gc_heap_set_error(h, "%s", refuse);
        atomic_store(&bdw_in_use, false);
        return -1;
    }
    /* BDW-6: libgc never gives its heap back (it can only unmap free
     * blocks, which still count), so an earlier, larger heap stays. */
    GC_word heap = 0, free_bytes = 0, unmapped = 0, since = 0, total = 0;
    GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since, &total);
    bool inherited = heap + unmapped > limit;
    if (inherited && heap - free_bytes > limit) {
        gc_heap_set_error(h, "libgc's heap (kept from an earlier bdw heap of this process) has %zu bytes of "
                             "blocks in use, over the limit of %zu bytes",
                          (size_t)(heap - free_bytes), limit);
        atomic_store(&bdw_in_use, false);
        return -1;
    }
    GC_set_max_heap_size(inherited ? heap + unmapped : limit); /* inherited: no growth at all */
    bdw_heap *b = gc_sys_alloc_zeroed(sizeof *b);
    b->h = h;
    b->limit = limit;
    b->inherited = inherited;
    b->gc_no_at_start = GC_get_gc_no();
    memset(&bdw_ev, 0, sizeof bdw_ev);
    gc_heap_set_collector(h, b);
    atomic_store_explicit(&bdw_active, b, memory_order_release);
    return 0;
}

/* The harness's roots are dropped (the hooks stop acting), then a full
 * collection frees what nothing else references; the memory stays in
 * libgc's heap (BDW-6), and objects found by conservative scanning stay
 * allocated. Not recorded: the pause log is going away with the heap. */
static void bdw_destroy(gc_heap *h)
{
    bdw_heap *b = bdw_of(h);
    atomic_store_explicit(&bdw_active, NULL, memory_order_release);
    if (GC_thread_is_registered()) /* libgc aborts on a collection from an unknown thread */
        GC_gcollect();
    memset(&bdw_ev, 0, sizeof bdw_ev);
    gc_sys_free(b, sizeof *b);
    atomic_store(&bdw_in_use, false);
}

/* ---- queries ---------------------------------------------------------------------------------------- */

/* Bytes in heap blocks in use: live objects, garbage not yet swept
 * (libgc sweeps lazily, as it allocates), and the free cells of partly
 * used blocks. Blocks left completely empty by a collection are freed at
 * once, so this falls after every collection that freed them. */
static size_t bdw_blocks_in_use(void)
{
    GC_word heap = 0, free_bytes = 0, unmapped = 0, since = 0, total = 0;
    GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since, &total);
    return (size_t)(heap - free_bytes);
}

static size_t bdw_heap_used(gc_heap *h)
{
    (void)h;
    return bdw_blocks_in_use();
}

/* BDW-6: libgc's whole heap, what GC_set_max_heap_size bounds; in an
 * inherited heap, the blocks in use, which alloc_slow bounds. */
static size_t bdw_footprint(gc_heap *h)
{
    if (bdw_of(h)->inherited)
        return bdw_blocks_in_use();
    GC_word heap = 0, free_bytes = 0, unmapped = 0, since = 0, total = 0;
    GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since, &total);
    return (size_t)(heap + unmapped);
}

/* The start of an object libgc handed out (possibly a free one: libgc
 * sweeps lazily). GC_base reads libgc's block headers, never addr, and
 * takes no lock. */
static bool bdw_contains(gc_heap *h, const void *addr)
{
    (void)h;
    return addr != NULL && GC_is_heap_ptr(addr) && GC_base((void *)addr) == addr;
}

/* An object start with a valid header of a registered type whose size
 * fits the memory libgc gave it. A free cell fails the header test: its
 * first word is libgc's free-list link (bit 0 clear). */
static bool bdw_is_object(gc_heap *h, const gc_object *o)
{
    if (!bdw_contains(h, o) || !gc_header_valid(o->header) || !gc_type_get(gc_header_type(o->header)))
        return false;
    return gc_object_size(o) <= GC_size((void *)o);
}

/* BDW-1: the hooks that make the harness's roots visible and record the
 * pauses are still installed; BDW-3: nothing waits to be recorded outside
 * bdw_commit; BDW-6 (footprint within the limit) is core's check. */
static void bdw_verify(gc_heap *h)
{
    bdw_heap *b = bdw_of(h);
    if (atomic_load(&bdw_active) != b)
        gc_verify_fail(h, "bdw: the heap is not the one libgc's hooks act for");
    if (GC_get_push_other_roots() != bdw_push_roots)
        gc_verify_fail(h, "bdw: libgc's push-other-roots hook was replaced: the harness's roots are not traced");
    if (GC_get_start_callback() != bdw_on_start)
        gc_verify_fail(h, "bdw: libgc's start callback was replaced: other mutators are not stopped");
    if (GC_get_on_collection_event() != bdw_on_event)
        gc_verify_fail(h, "bdw: libgc's collection-event hook was replaced: pauses are not recorded");
    if (bdw_ev.open)
        gc_verify_fail(h, "bdw: a libgc collection is open outside GC_MALLOC / GC_gcollect");
    if (bdw_heap_used(h) > bdw_footprint(h))
        gc_verify_fail(h, "bdw: %zu bytes of blocks in use, more than the %zu-byte heap", bdw_heap_used(h),
                       bdw_footprint(h));
}

static void bdw_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    bdw_heap *b = bdw_of(h);
    GC_word heap = 0, free_bytes = 0, unmapped = 0, since = 0, total = 0;
    GC_get_heap_usage_safe(&heap, &free_bytes, &unmapped, &since, &total);
    emit(ctx, "bdw_gc_count", (uint64_t)(GC_get_gc_no() - b->gc_no_at_start));
    emit(ctx, "bdw_heap_bytes", heap);         /* what bdw_gcbench prints as heap_bytes */
    emit(ctx, "bdw_free_bytes", free_bytes);
    emit(ctx, "bdw_unmapped_bytes", unmapped);
    emit(ctx, "bdw_markers", (uint64_t)GC_get_parallel()); /* parallel marker threads besides the collecting one */
    emit(ctx, "bdw_oom_retries", b->oom_retries);
    emit(ctx, "bdw_inherited_heap", b->inherited);
    emit(ctx, "bdw_excluded_root_bytes", bdw_excluded_bytes);
    emit(ctx, "bdw_merged_records", b->merged_records);
    emit(ctx, "bdw_foreign_detaches", b->foreign_fini);
}

const gc_collector_ops gc_bdw_ops = {
    .name = "bdw",
    .description = "the Boehm-Demers-Weiser conservative mark-sweep collector (libgc), with the harness's "
                   "roots pushed precisely",
    .alloc_mode = GC_ALLOC_FREELIST,
    .barrier = GC_BARRIER_NONE,
    .alloc_zeroed = true, /* BDW-7 */
    .moving = false,
    .reclaims_cycles = true, /* unless a conservative reference keeps the cycle */
    .conservative = true,
    .phases = bdw_phases,
    .options = gc_no_options,
    .init = bdw_init,
    .destroy = bdw_destroy,
    .mutator_init = bdw_mutator_init,
    .mutator_fini = bdw_mutator_fini,
    .alloc_slow = bdw_alloc_slow,
    .write_barrier = gc_default_write_barrier,
    .collect = bdw_collect,
    .finish = gc_default_finish,
    .heap_used = bdw_heap_used,
    .footprint = bdw_footprint,
    .contains = bdw_contains,
    .is_object = bdw_is_object,
    .verify = bdw_verify,
    .stats = bdw_stats,
};

#else /* !GCBENCH_HAVE_BDW */

/* No libgc in this build (or a sanitizer build): bdw is not registered. */
typedef int gc_bdw_unavailable;

#endif
