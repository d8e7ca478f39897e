/* core/heap.c — heap lifecycle, mutators, roots, and the out-of-line slow
 * paths that wrap every collector call.
 *
 * Boundary checks (debug builds): every block returned by ops->alloc_slow is
 * non-NULL, granule-aligned and inside the collector's memory
 * (ops->contains); after every pause each root slot holds nil, an immediate,
 * or an object the collector recognises (ops->is_object). With --verify the
 * full heap verifier runs after every pause as well.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <ctype.h>
#include <stdarg.h>

#include "heap_impl.h"
#include "sysalloc.h"

/* ---- descriptors ---------------------------------------------------------------- */

_Noreturn void gc_assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "gcbench: assertion failed: %s (%s:%d, in %s)\n", expr, file, line, func);
    fflush(stderr);
    abort();
}

static const char *check_phases(const gc_collector_ops *ops)
{
    size_t n = 0;
    for (; ops->phases[n]; n++) {
        if (n == GC_MAX_PHASES)
            return "phases: more than GC_MAX_PHASES names";
        const char *c = ops->phases[n];
        if (!*c)
            return "phases: an empty name";
        for (; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-'))
                return "phases: a name is not [A-Za-z0-9_-]+";
        if (strcmp(ops->phases[n], "other") == 0)
            return "phases: 'other' is reserved (time outside any phase)";
        for (size_t j = 0; j < n; j++)
            if (strcmp(ops->phases[j], ops->phases[n]) == 0)
                return "phases: a name is declared twice";
    }
    return NULL;
}

const char *gc_collector_check(const gc_collector_ops *ops)
{
    if (!ops)
        return "no descriptor";
#define CHECK_SLOT(s) \
    if (!ops->s)      \
        return "slot '" #s "' is unset";
    CHECK_SLOT(name)
    CHECK_SLOT(description)
    CHECK_SLOT(phases)
    CHECK_SLOT(options)
    CHECK_SLOT(init)
    CHECK_SLOT(destroy)
    CHECK_SLOT(mutator_init)
    CHECK_SLOT(mutator_fini)
    CHECK_SLOT(alloc_slow)
    CHECK_SLOT(write_barrier)
    CHECK_SLOT(collect)
    CHECK_SLOT(finish)
    CHECK_SLOT(heap_used)
    CHECK_SLOT(footprint)
    CHECK_SLOT(contains)
    CHECK_SLOT(is_object)
    CHECK_SLOT(verify)
    CHECK_SLOT(stats)
#undef CHECK_SLOT
    const char *bad = check_phases(ops);
    return bad ? bad : gc_options_check_decls(ops);
}

/* ---- defaults for unused slots -------------------------------------------------- */

void gc_default_destroy(gc_heap *h) { (void)h; }
void gc_default_mutator_init(gc_mutator *m) { (void)m; }
void gc_default_mutator_fini(gc_mutator *m) { (void)m; }
const gc_option_desc gc_no_options[] = {{NULL, GC_OPTION_BOOL, NULL, NULL}};
void gc_default_write_barrier(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v)
{
    (void)m;
    (void)holder;
    (void)slot;
    (void)old;
    (void)v;
}
void gc_default_finish(gc_heap *h) { (void)h; }
bool gc_default_contains(gc_heap *h, const void *addr)
{
    (void)h;
    return addr != NULL;
}
bool gc_default_is_object(gc_heap *h, const gc_object *obj)
{
    (void)h;
    return obj && gc_header_valid(obj->header) && gc_type_get(gc_header_type(obj->header));
}
void gc_default_stats(gc_heap *h, gc_stat_emit_fn emit, void *ctx)
{
    (void)h;
    (void)emit;
    (void)ctx;
}
void gc_default_verify(gc_heap *h) { (void)h; }
void *gc_no_alloc_slow(gc_mutator *m, size_t bytes)
{
    fprintf(stderr, "gcbench: collector %s has no alloc_slow (request %zu bytes)\n",
            m->heap->ops->name, bytes);
    abort();
}
void gc_no_collect(gc_mutator *m, gc_collection_kind kind, gc_reason reason)
{
    (void)kind;
    fprintf(stderr, "gcbench: collector %s cannot collect (reason %s)\n", m->heap->ops->name,
            gc_reason_name(reason));
    abort();
}

/* ---- heap lifecycle --------------------------------------------------------------- */

static void default_exhausted(gc_heap *h, size_t request, void *data)
{
    (void)data;
    fprintf(stderr,
            "heap exhausted: %zu bytes live after a full collection, limit %zu bytes, "
            "collector %s (could not allocate %zu bytes)\n",
            h->exhausted_used, h->limit, h->ops->name, request);
    fflush(stdout);
    exit(GC_EXIT_HEAP_EXHAUSTED);
}

static void default_corrupt(gc_heap *h, const char *when, size_t problems, void *data)
{
    (void)data;
    fprintf(stderr, "gcbench: heap verification failed %s (%s): %zu problem%s, the heap is corrupt\n", when,
            h->ops->name, problems, problems == 1 ? "" : "s");
    fflush(stdout);
    exit(GC_EXIT_HEAP_CORRUPT);
}

static void mutator_remove(gc_mutator *m);

/* The largest heap limit accepted: half of x86-64's 47-bit user address space. */
#define HEAP_MAX_LIMIT ((size_t)1 << 46)

/* Why this thread's last gc_heap_create_with failed (gc_heap_create_failure). */
static _Thread_local gc_create_failure_kind create_failure = GC_CREATE_INVALID;

gc_heap *gc_heap_create_with(const gc_collector_ops *ops, const gc_config *cfg, char *err, size_t errlen)
{
    create_failure = GC_CREATE_INVALID;
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    const char *bad = gc_collector_check(ops);
    if (bad) {
        snprintf(err, errlen, "collector '%s': %s", ops && ops->name ? ops->name : "(unnamed)", bad);
        return NULL;
    }
    gc_option_value values[GC_MAX_OPTIONS];
    if (gc_options_parse(ops, cfg ? cfg->options : NULL, values, err, errlen) != 0)
        return NULL;
    if (!cfg || cfg->heap_limit < GC_MIN_HEAP_LIMIT) {
        snprintf(err, errlen, "heap limit %zu bytes is below the minimum of %zu bytes",
                 cfg ? cfg->heap_limit : 0, GC_MIN_HEAP_LIMIT);
        return NULL;
    }
    /* A limit costs address space only (spaces reserve it and commit as they
     * grow), but no machine can reserve more than a 47-bit user address
     * space holds beside everything else: refused here, for every
     * collector alike, rather than by whichever reservation fails. */
    if (cfg->heap_limit > HEAP_MAX_LIMIT) {
        snprintf(err, errlen, "heap limit %zu bytes is above the maximum of %zu bytes (64 TiB)", cfg->heap_limit,
                 HEAP_MAX_LIMIT);
        return NULL;
    }
    gc_heap *h = gc_sys_alloc_zeroed(sizeof *h);
    h->ops = ops;
    h->cfg = *cfg;
    if (cfg->options) {
        size_t n = strlen(cfg->options) + 1;
        h->options_text = gc_sys_alloc(n);
        memcpy(h->options_text, cfg->options, n);
    }
    h->cfg.options = h->options_text;
    memcpy(h->options, values, sizeof values);
    while (ops->phases[h->nphases])
        h->nphases++;
    h->limit = cfg->heap_limit;
    uv_mutex_init(&h->lock);
    uv_mutex_init(&h->sp_lock);
    uv_mutex_init(&h->roots_lock);
    uv_cond_init(&h->parked_cv);
    uv_cond_init(&h->resume_cv);
    atomic_init(&h->stop_requested, 0);
    atomic_init(&h->multi, 0);
    atomic_init(&h->nrunning, 0);
    atomic_init(&h->pause_count, 0);
    atomic_init(&h->majors_requested, 0);
    h->exhausted = default_exhausted;
    h->corrupt = default_corrupt;
    h->current_phase = -1;
    h->epoch_ns = uv_hrtime();
    gc_sys_pretouch_reservations(cfg->pretouch);
    int init_rc = ops->init(h);
    gc_sys_pretouch_reservations(false);
    if (init_rc != 0) {
        snprintf(err, errlen, "collector '%s': %s", ops->name,
                 h->error[0] ? h->error : "initialisation failed");
        create_failure = h->error_too_small ? GC_CREATE_TOO_SMALL : GC_CREATE_INVALID;
        uv_mutex_destroy(&h->lock);
        uv_mutex_destroy(&h->sp_lock);
        uv_mutex_destroy(&h->roots_lock);
        uv_cond_destroy(&h->parked_cv);
        uv_cond_destroy(&h->resume_cv);
        if (h->options_text)
            gc_sys_free(h->options_text, strlen(h->options_text) + 1);
        gc_sys_free(h, sizeof *h);
        return NULL;
    }
    return h;
}

void gc_heap_destroy(gc_heap *h)
{
    if (!h)
        return;
    /* Every mutator thread has ended (or detached); what is left is
     * detached here, from this thread. */
    while (h->mutators)
        mutator_remove(h->mutators);
    h->ops->destroy(h);
    gc_sys_free(h->global_roots, h->global_roots_cap * sizeof *h->global_roots);
    gc_sys_free(h->pauses, h->pauses_cap * sizeof *h->pauses);
    if (h->options_text)
        gc_sys_free(h->options_text, strlen(h->options_text) + 1);
    uv_mutex_destroy(&h->lock);
    uv_mutex_destroy(&h->sp_lock);
    uv_mutex_destroy(&h->roots_lock);
    uv_cond_destroy(&h->parked_cv);
    uv_cond_destroy(&h->resume_cv);
    gc_sys_free(h, sizeof *h);
}

void gc_heap_finish(gc_heap *h)
{
    h->ops->finish(h);
    uint64_t used = h->ops->heap_used(h);
    if (used > h->peak_heap)
        h->peak_heap = used;
}

void gc_heap_set_exhausted_handler(gc_heap *h, gc_exhausted_fn fn, void *data)
{
    h->exhausted = fn ? fn : default_exhausted;
    h->exhausted_data = data;
}

void gc_heap_get_exhausted_handler(const gc_heap *h, gc_exhausted_fn *fn, void **data)
{
    *fn = h->exhausted;
    *data = h->exhausted_data;
}

void gc_heap_set_corrupt_handler(gc_heap *h, gc_corrupt_fn fn, void *data)
{
    h->corrupt = fn ? fn : default_corrupt;
    h->corrupt_data = data;
}

_Noreturn void gc_heap_exhausted(gc_heap *h, size_t request)
{
    h->exhausted(h, request, h->exhausted_data);
    fprintf(stderr, "gcbench: heap-exhausted handler returned\n");
    abort();
}

void gc_heap_collector_stats(gc_heap *h, void (*emit)(void *ctx, const char *name, uint64_t value),
                             void *ctx)
{
    h->ops->stats(h, emit, ctx);
}

uint64_t gc_heap_epoch(gc_heap *h) { return h->epoch_ns; }
const char *gc_heap_collector_name(const gc_heap *h) { return h->ops->name; }
size_t gc_heap_limit(const gc_heap *h) { return h->limit; }
void *gc_heap_collector(const gc_heap *h) { return h->collector; }
void gc_heap_set_collector(gc_heap *h, void *state) { h->collector = state; }
const gc_config *gc_heap_config(const gc_heap *h) { return &h->cfg; }
bool gc_heap_in_pause(const gc_heap *h) { return h->in_pause; }
gc_mutator *gc_heap_mutators(gc_heap *h) { return h->mutators; }
unsigned gc_heap_nphases(const gc_heap *h) { return h->nphases; }
const char *gc_heap_phase_name(const gc_heap *h, unsigned i) { return i < h->nphases ? h->ops->phases[i] : "other"; }

void gc_heap_set_error(gc_heap *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error, sizeof h->error, fmt, ap);
    va_end(ap);
}

void gc_heap_set_error_too_small(gc_heap *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error, sizeof h->error, fmt, ap);
    va_end(ap);
    h->error_too_small = true;
}

gc_create_failure_kind gc_heap_create_failure(void) { return create_failure; }

void gc_heap_set_listener(gc_heap *h, const gc_event_listener *l)
{
    h->listener = l ? *l : (gc_event_listener){0};
}

/* ---- mutators ------------------------------------------------------------------- */

/* A mutator's thread states and the stop-the-world handshake are described
 * in docs/threads.md; the invariants, all under sp_lock:
 *  T1 nrunning == the number of attached mutators in state RUNNING.
 *  T2 stop_requested is set only by the thread holding `lock`, and is clear
 *     whenever `lock` is free.
 *  T3 while stop_requested, a mutator leaves RUNNING only (PARKED or
 *     INACTIVE), never enters it, except the holder, which stays RUNNING.
 *  T4 the world is stopped (h->stopped) only when nrunning counts no
 *     mutator but the holder; a stop ends before `lock` is released.
 * A mutator holding `lock` (holds_heap_lock) never parks or goes inactive. */

/* sp_lock is held only for a few instructions at a time, so a thread that
 * finds it taken spins on trylock before it sleeps: sleeping would cost a
 * futex wake-up (20-80 us on the test machines), straight into the time to
 * safepoint. */
static void sp_lock(gc_heap *h)
{
    for (unsigned i = 0; i < 1000; i++)
        if (uv_mutex_trylock(&h->sp_lock) == 0)
            return;
    uv_mutex_lock(&h->sp_lock);
}

static void set_state_locked(gc_heap *h, gc_mutator *m, int state)
{
    if (m->state == GC_MUTATOR_RUNNING && state != GC_MUTATOR_RUNNING) {
        atomic_store_explicit(&h->nrunning, atomic_load_explicit(&h->nrunning, memory_order_relaxed) - 1,
                              memory_order_release);
        if (atomic_load_explicit(&h->stop_requested, memory_order_relaxed))
            uv_cond_signal(&h->parked_cv);
    } else if (m->state != GC_MUTATOR_RUNNING && state == GC_MUTATOR_RUNNING) {
        GC_ASSERT(!atomic_load_explicit(&h->stop_requested, memory_order_relaxed)); /* T3 */
        atomic_store_explicit(&h->nrunning, atomic_load_explicit(&h->nrunning, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    m->state = state;
}

/* Called with sp_lock held: waits until no stop is requested. */
static void wait_for_resume_locked(gc_heap *h)
{
    while (atomic_load_explicit(&h->stop_requested, memory_order_relaxed))
        uv_cond_wait(&h->resume_cv, &h->sp_lock);
}

void gc_inactive_begin(gc_mutator *m)
{
    gc_heap *h = m->heap;
    GC_ASSERT(!m->holds_heap_lock);
    sp_lock(h);
    if (m->inactive_depth++ == 0)
        set_state_locked(h, m, GC_MUTATOR_INACTIVE);
    uv_mutex_unlock(&h->sp_lock);
}

void gc_inactive_end(gc_mutator *m)
{
    gc_heap *h = m->heap;
    sp_lock(h);
    GC_ASSERT(m->inactive_depth > 0 && m->state == GC_MUTATOR_INACTIVE);
    if (--m->inactive_depth == 0) {
        wait_for_resume_locked(h);
        set_state_locked(h, m, GC_MUTATOR_RUNNING);
    }
    uv_mutex_unlock(&h->sp_lock);
}

void gc_safepoint_slow(gc_mutator *m)
{
    gc_heap *h = m->heap;
    if (m->holds_heap_lock)
        return; /* the collector's own thread */
    sp_lock(h);
    if (atomic_load_explicit(&h->stop_requested, memory_order_relaxed) && m->state == GC_MUTATOR_RUNNING) {
        set_state_locked(h, m, GC_MUTATOR_PARKED);
        wait_for_resume_locked(h);
        set_state_locked(h, m, GC_MUTATOR_RUNNING);
    }
    uv_mutex_unlock(&h->sp_lock);
}

/* How long the requester spins before it sleeps on parked_cv: parking
 * usually takes a few microseconds, a futex wake-up tens. */
#define STOP_SPIN_NS 50000u

/* Stops every mutator but the caller (the holder of `lock`, or an
 * attaching thread with no mutator yet): sets the flag and waits until each
 * is PARKED or INACTIVE. Records the time to safepoint for the next pause. */
static void world_stop(gc_heap *h, unsigned keep_running)
{
    uint64_t t0 = uv_hrtime();
    sp_lock(h);
    atomic_store_explicit(&h->stop_requested, 1, memory_order_relaxed);
    uv_mutex_unlock(&h->sp_lock);
    /* Spin a little, then sleep. A mutator's release store of nrunning,
     * made as it parks, pairs with this acquire load: seeing the count
     * down is enough (it cannot rise again while the flag is set, T3), so
     * the spinner does not take sp_lock, which the parker still holds for a
     * moment (blocking on it cost a futex wake-up, 20-80 us here). */
    while (atomic_load_explicit(&h->nrunning, memory_order_acquire) > keep_running) {
        if (uv_hrtime() - t0 >= STOP_SPIN_NS) {
            sp_lock(h);
            while (atomic_load_explicit(&h->nrunning, memory_order_relaxed) > keep_running)
                uv_cond_wait(&h->parked_cv, &h->sp_lock);
            uv_mutex_unlock(&h->sp_lock);
            break;
        }
    }
    h->stopped = true;
    h->stop_t0 = t0;
    h->pending_tts = uv_hrtime() - t0;
    h->tts_pending = true;
}

static void world_resume(gc_heap *h)
{
    GC_ASSERT(h->stopped);
    h->stopped = false;
    h->tts_pending = false;
    sp_lock(h);
    atomic_store_explicit(&h->stop_requested, 0, memory_order_relaxed);
    uv_cond_broadcast(&h->resume_cv);
    uv_mutex_unlock(&h->sp_lock);
}

void gc_stop_world(gc_heap *h)
{
    /* No holder: called outside any mutator's slow path (gc_heap_finish,
     * destroy), where by contract no mutator runs. */
    if (h->stopped || !atomic_load_explicit(&h->multi, memory_order_relaxed) || !h->holder)
        return;
    if (h->nmutators <= 1)
        return; /* the holder alone: nobody to stop (nmutators changes under the lock) */
    GC_ASSERT(h->holder->holds_heap_lock);
    world_stop(h, 1);
}

bool gc_world_stopped(const gc_heap *h)
{
    return h->stopped || !atomic_load_explicit(&h->multi, memory_order_relaxed) || !h->holder ||
           h->nmutators <= 1;
}

/* A spin-wait hint: lets the sibling hyperthread run and eases the
 * cache-line traffic of a contended lock. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Slow paths hold the heap lock briefly (a refill of a bump chunk or of
 * free lists), so a contended lock is usually free again within a microsecond
 * or two: spin on trylock a while before sleeping INACTIVE, which costs a
 * futex wake-up. A stop request ends the spin at once (the requester holds
 * the lock and waits for this thread). Returns true with the lock held. */
static bool heap_lock_spin(gc_heap *h, gc_mutator *m)
{
    for (unsigned i = 0; i < 2000; i++) {
        if (atomic_load_explicit(m->stop_flag, memory_order_relaxed))
            return false;
        if (uv_mutex_trylock(&h->lock) == 0)
            return true;
        cpu_relax();
    }
    return false;
}

/* Takes the heap lock for m's slow path (multi-mutator heaps only): at
 * once if it is free, else INACTIVE while waiting, so a collection in
 * progress never waits for m. */
static void heap_enter(gc_mutator *m)
{
    gc_heap *h = m->heap;
    if (!m->multi)
        return;
    GC_ASSERT(!m->holds_heap_lock);
    /* Where every allocation takes the lock (GC_ALLOC_SLOW:
     * stress mode) spinning makes the lock ping-pong between threads on
     * every object; a waiter that sleeps lets the holder run on. */
    if (uv_mutex_trylock(&h->lock) != 0 && (m->alloc_mode == GC_ALLOC_SLOW || !heap_lock_spin(h, m))) {
        gc_inactive_begin(m);
        uv_mutex_lock(&h->lock);
        gc_inactive_end(m); /* no stop can be pending: we hold the lock (T2) */
    }
    m->holds_heap_lock = true;
    h->holder = m;
}

/* Ends m's slow path: restarts the world if it was stopped, releases the lock. */
static void heap_leave(gc_mutator *m)
{
    if (!m->holds_heap_lock)
        return;
    gc_heap *h = m->heap;
    if (h->stopped)
        world_resume(h);
    m->holds_heap_lock = false;
    h->holder = NULL;
    uv_mutex_unlock(&h->lock);
}

/* Before a handler that may longjmp out (heap exhausted, heap corrupt):
 * restart the world and give up the heap lock, so other threads and the
 * handler's own cleanup can proceed. */
void gc_heap_release_for_handler(gc_heap *h)
{
    if (h->holder)
        heap_leave(h->holder);
}

#define MUTATOR_PAD 128 /* two cache lines: adjacent-line prefetch pairs them */
#define MUTATOR_BLOCK (gc_align_up(sizeof(gc_mutator), MUTATOR_PAD) + 2 * MUTATOR_PAD)

/* Its address identifies the calling thread. */
static _Thread_local char thread_tag;

/* A second RUNNING mutator of one thread would deadlock the first stop
 * (the thread cannot park one while it runs the other). */
static bool thread_has_running_mutator(gc_heap *h)
{
    bool found = false;
    sp_lock(h);
    for (gc_mutator *o = h->mutators; o; o = o->next)
        found |= o->thread == &thread_tag && o->state == GC_MUTATOR_RUNNING;
    uv_mutex_unlock(&h->sp_lock);
    return found;
}

gc_mutator *gc_mutator_attach(gc_heap *h)
{
    if (thread_has_running_mutator(h)) {
        fprintf(stderr, "gcbench: this thread already has a running mutator on this heap (attach one mutator "
                        "per thread, or make the first inactive with gc_inactive_begin)\n");
        return NULL;
    }
    /* Every allocation writes the fast-path fields: keep them off any cache
     * line another thread writes (false sharing costs each allocation a
     * coherence miss). */
    void *mem = gc_sys_alloc_zeroed(MUTATOR_BLOCK);
    gc_mutator *m = (gc_mutator *)(((uintptr_t)mem + MUTATOR_PAD) & ~(uintptr_t)(MUTATOR_PAD - 1));
    m->mem = mem;
    m->thread = &thread_tag;
    m->heap = h;
    m->stop_flag = &h->stop_requested;
    m->alloc_mode = h->ops->alloc_mode;
    m->barrier = h->ops->barrier;
    m->alloc_zeroed = h->ops->alloc_zeroed;
    if (h->cfg.stress) {
        /* Every allocation takes the slow path, which counts down. */
        m->alloc_mode = GC_ALLOC_SLOW;
        m->stress_countdown = h->cfg.stress;
    }
    m->roots_cap = 256;
    m->roots = gc_sys_alloc(m->roots_cap * sizeof *m->roots);
    m->state = GC_MUTATOR_RUNNING;
    /* The attaching thread has no mutator yet, so it cannot stall anyone
     * by waiting for the lock. */
    uv_mutex_lock(&h->lock);
    bool stopped_here = false;
    if (h->nmutators > 0 && !atomic_load_explicit(&h->multi, memory_order_relaxed)) {
        /* The second mutator: wait until the first is at a safepoint (it
         * takes no lock while alone), then switch the heap to locking. */
        world_stop(h, 0);
        stopped_here = true;
        atomic_store_explicit(&h->multi, 1, memory_order_release);
        for (gc_mutator *o = h->mutators; o; o = o->next)
            o->multi = true; /* each is parked or inactive: it sees this when it resumes */
    }
    sp_lock(h);
    m->multi = atomic_load_explicit(&h->multi, memory_order_relaxed) != 0;
    m->next = h->mutators;
    h->mutators = m;
    h->nmutators++;
    if (h->nmutators > h->peak_mutators)
        h->peak_mutators = h->nmutators;
    atomic_store_explicit(&h->nrunning, atomic_load_explicit(&h->nrunning, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    uv_mutex_unlock(&h->sp_lock);
    h->ops->mutator_init(m);
    if (stopped_here)
        world_resume(h);
    uv_mutex_unlock(&h->lock);
    return m;
}

/* Unlinks m (heap lock held or the heap single-threaded) and frees it. */
static void mutator_remove(gc_mutator *m)
{
    gc_heap *h = m->heap;
    h->ops->mutator_fini(m);
    sp_lock(h);
    for (gc_mutator **p = &h->mutators; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            break;
        }
    h->nmutators--;
    if (m->state == GC_MUTATOR_RUNNING)
        atomic_store_explicit(&h->nrunning, atomic_load_explicit(&h->nrunning, memory_order_relaxed) - 1,
                              memory_order_relaxed);
    h->retired_bytes += m->allocated_bytes;
    h->retired_objects += m->allocated_objects;
    uv_mutex_unlock(&h->sp_lock);
    gc_sys_free(m->roots, m->roots_cap * sizeof *m->roots);
    gc_sys_free(m->scanners, m->scanners_cap * sizeof *m->scanners); /* the size allocated */
    gc_sys_free(m->mem, MUTATOR_BLOCK);
}

void gc_mutator_detach(gc_mutator *m)
{
    gc_heap *h = m->heap;
    GC_ASSERT(m->inactive_depth == 0 && !m->holds_heap_lock);
    /* Always through the lock (even alone): an attaching thread may hold
     * it, waiting for this mutator to park. */
    if (uv_mutex_trylock(&h->lock) != 0) {
        gc_inactive_begin(m);
        uv_mutex_lock(&h->lock);
        gc_inactive_end(m);
    }
    mutator_remove(m);
    uv_mutex_unlock(&h->lock);
}

/* ---- roots ------------------------------------------------------------------------ */

void gc_roots_grow(gc_mutator *m)
{
    size_t ncap = m->roots_cap * 2;
    m->roots = gc_sys_realloc(m->roots, m->roots_cap * sizeof *m->roots, ncap * sizeof *m->roots);
    m->roots_cap = ncap;
}

void gc_heap_add_root(gc_heap *h, gc_value *slot)
{
    uv_mutex_lock(&h->roots_lock);
    if (h->nglobal_roots == h->global_roots_cap) {
        size_t ncap = h->global_roots_cap ? h->global_roots_cap * 2 : 16;
        h->global_roots = gc_sys_realloc(h->global_roots, h->global_roots_cap * sizeof(gc_value *),
                                         ncap * sizeof(gc_value *));
        h->global_roots_cap = ncap;
    }
    h->global_roots[h->nglobal_roots++] = slot;
    uv_mutex_unlock(&h->roots_lock);
}

void gc_heap_remove_root(gc_heap *h, gc_value *slot)
{
    uv_mutex_lock(&h->roots_lock);
    for (size_t i = h->nglobal_roots; i-- > 0;)
        if (h->global_roots[i] == slot) {
            h->global_roots[i] = h->global_roots[--h->nglobal_roots];
            break;
        }
    uv_mutex_unlock(&h->roots_lock);
}

void gc_mutator_add_root_scanner(gc_mutator *m, gc_root_scanner_fn fn, void *data)
{
    if (m->nscanners == m->scanners_cap) {
        size_t ncap = m->scanners_cap ? 2 * m->scanners_cap : 4;
        m->scanners = gc_sys_realloc(m->scanners, m->scanners_cap * sizeof *m->scanners, ncap * sizeof *m->scanners);
        m->scanners_cap = ncap;
    }
    m->scanners[m->nscanners++] = (gc_root_scanner_entry){fn, data};
}

void gc_mutator_remove_root_scanner(gc_mutator *m, gc_root_scanner_fn fn, void *data)
{
    for (size_t i = 0; i < m->nscanners; i++)
        if (m->scanners[i].fn == fn && m->scanners[i].data == data) {
            m->scanners[i] = m->scanners[--m->nscanners];
            return;
        }
}

/* A root scanner may pass any slot; collectors see only references. */
typedef struct ref_filter {
    gc_visit_fn visit;
    void *ctx;
} ref_filter;

static void visit_if_ref(gc_value *slot, void *arg)
{
    ref_filter *f = arg;
    if (gc_is_ref(*slot))
        f->visit(slot, f->ctx);
}

void gc_visit_roots(gc_heap *h, gc_visit_fn visit, void *ctx)
{
    ref_filter f = {visit, ctx};
    for (gc_mutator *m = h->mutators; m; m = m->next) {
        for (size_t i = 0; i < m->nroots; i++)
            if (gc_is_ref(*m->roots[i]))
                visit(m->roots[i], ctx);
        for (size_t i = 0; i < m->nscanners; i++)
            m->scanners[i].fn(m->scanners[i].data, visit_if_ref, &f);
    }
    uv_mutex_lock(&h->roots_lock);
    for (size_t i = 0; i < h->nglobal_roots; i++)
        if (gc_is_ref(*h->global_roots[i]))
            visit(h->global_roots[i], ctx);
    uv_mutex_unlock(&h->roots_lock);
}

/* ---- slow paths --------------------------------------------------------------------- */

/* In debug builds: what alloc_slow returned is aligned and inside the heap. */
static void check_alloc_result(gc_heap *h, const void *p, size_t bytes)
{
#ifndef NDEBUG
    if (((uintptr_t)p & (GC_GRANULE - 1)) != 0 || !h->ops->contains(h, p)) {
        fprintf(stderr, "gcbench: collector %s returned bad memory %p for %zu bytes\n", h->ops->name, p,
                bytes);
        abort();
    }
#else
    (void)h;
    (void)p;
    (void)bytes;
#endif
}

/* The rest of an allocation after alloc_slow: heap exhaustion, the heap
 * lock, deferred zeroing (gc_mutator_zero_later: m owns the range, and no
 * collection can run before m's next safepoint). */
static GC_NOINLINE void *alloc_slow_finish(gc_mutator *m, size_t bytes, void *p)
{
    gc_heap *h = m->heap;
    if (GC_UNLIKELY(p == NULL)) {
        h->exhausted_used = h->ops->heap_used(h);
        heap_leave(m);
        gc_heap_exhausted(h, bytes);
    }
    check_alloc_result(h, p, bytes);
    heap_leave(m);
    if (m->zero_bytes) {
        memset(m->zero_start, 0, m->zero_bytes);
        m->zero_bytes = 0;
    }
    return p;
}

/* Several mutators, stress mode, or a stop requested. */
static GC_NOINLINE void *alloc_slow_general(gc_mutator *m, size_t bytes)
{
    gc_heap *h = m->heap;
    m->slow_zeroed = false; /* also for the stress path's fast-path retry */
    gc_safepoint(m); /* a one-mutator heap's only poll for an attaching thread */
    heap_enter(m);
    assert(!h->verifying && !h->in_pause);
    if (h->cfg.stress) {
        if (--m->stress_countdown == 0) {
            m->stress_countdown = h->cfg.stress;
            h->ops->collect(m, GC_COLLECT_ANY, GC_REASON_STRESS);
        }
        void *p = gc_alloc_fast(m, h->ops->alloc_mode, bytes);
        if (p) {
            heap_leave(m);
            return p;
        }
    }
    return alloc_slow_finish(m, bytes, h->ops->alloc_slow(m, bytes));
}

/* The common case kept short (a refill of the fast path's structures): one
 * mutator, no stress, no stop requested. */
void *gc_alloc_slow(gc_mutator *m, size_t bytes)
{
    if (GC_UNLIKELY(m->multi || m->stress_countdown != 0 ||
                    atomic_load_explicit(m->stop_flag, memory_order_relaxed)))
        return alloc_slow_general(m, bytes);
    gc_heap *h = m->heap;
    assert(!h->verifying && !h->in_pause);
    m->slow_zeroed = false;
    void *p = h->ops->alloc_slow(m, bytes);
    if (GC_UNLIKELY(p == NULL || m->zero_bytes != 0))
        return alloc_slow_finish(m, bytes, p);
    check_alloc_result(h, p, bytes);
    return p;
}

void gc_write_slow(gc_mutator *m, gc_object *holder, gc_value *slot, gc_value old, gc_value v)
{
    GC_ASSERT(*slot == v); /* core stored first */
    m->heap->ops->write_barrier(m, holder, slot, old, v);
}

/* A request that waited for the heap lock while another thread's
 * collection ran is satisfied by it: by any pause for ANY and MINOR, by an
 * explicit MAJOR for MAJOR. So simultaneous requests make one collection. */
void gc_collect(gc_mutator *m, gc_collection_kind kind)
{
    gc_heap *h = m->heap;
    GC_ASSERT(kind == GC_COLLECT_ANY || kind == GC_COLLECT_MINOR || kind == GC_COLLECT_MAJOR);
    uint64_t pauses_seen = atomic_load_explicit(&h->pause_count, memory_order_relaxed);
    uint64_t majors_seen = atomic_load_explicit(&h->majors_requested, memory_order_relaxed);
    gc_safepoint(m);
    heap_enter(m);
    GC_ASSERT(!h->in_pause && !h->verifying);
    bool done = kind == GC_COLLECT_MAJOR
                    ? atomic_load_explicit(&h->majors_requested, memory_order_relaxed) != majors_seen
                    : atomic_load_explicit(&h->pause_count, memory_order_relaxed) != pauses_seen;
    if (done && m->holds_heap_lock) {
        heap_leave(m);
        return;
    }
    size_t before = h->npauses;
    h->ops->collect(m, kind, GC_REASON_EXPLICIT);
    if (h->npauses == before) {
        fprintf(stderr, "gcbench: collector %s recorded no pause for a requested collection\n", h->ops->name);
        abort();
    }
    if (kind == GC_COLLECT_MAJOR)
        atomic_fetch_add_explicit(&h->majors_requested, 1, memory_order_relaxed);
    heap_leave(m);
}

void gc_check_ref_field(const gc_object *o, uint32_t i)
{
    const gc_type *t = gc_object_type(o);
    if (t->kind != GC_KIND_RECORD || i >= t->nfields || !gc_type_field_is_ref(t, i)) {
        fprintf(stderr, "gcbench: reference store into field %u of a %s, which is not a reference field\n",
                i, t->name);
        abort();
    }
}

gc_object *gc_alloc_string(gc_mutator *m, const char *s, size_t n)
{
    gc_object *o = gc_alloc_bytes(m, n);
    memcpy(gc_bytes(o), s, n);
    return o;
}

/* ---- statistics ------------------------------------------------------------------------ */

uint64_t gc_heap_allocated_bytes(gc_heap *h)
{
    uint64_t b = h->retired_bytes;
    for (gc_mutator *m = h->mutators; m; m = m->next)
        b += m->allocated_bytes;
    return b;
}

void gc_heap_get_stats(gc_heap *h, gc_heap_stats *out)
{
    memset(out, 0, sizeof *out);
    out->collector = h->ops->name;
    out->heap_limit = h->limit;
    out->allocated_bytes = h->retired_bytes;
    out->allocated_objects = h->retired_objects;
    for (gc_mutator *m = h->mutators; m; m = m->next) {
        out->allocated_bytes += m->allocated_bytes;
        out->allocated_objects += m->allocated_objects;
    }
    out->collections = h->npauses;
    memcpy(out->collections_by_kind, h->collections_by_kind, sizeof out->collections_by_kind);
    out->heap_used_bytes = h->ops->heap_used(h);
    out->footprint_bytes = h->ops->footprint(h);
    out->peak_heap_bytes = h->peak_heap > out->heap_used_bytes ? h->peak_heap : out->heap_used_bytes;
    out->verify_ns = h->verify_ns;
    out->peak_mutators = h->peak_mutators;
    out->pauses = h->pauses;
    out->npauses = h->npauses;
}
