/* tests/test_threads.c — the stop-the-world handshake with several mutator
 * threads (issue 14, docs/threads.md), against every registered collector.
 *
 * Each case runs a team of worker threads (tests/conformance.h: each
 * attaches its own mutator from its own thread) with fixed roles, and
 * checks one property of the handshake:
 *
 *   sleeper_does_not_stall     a mutator asleep in gc_mutator_sleep_ms is
 *                              INACTIVE: another thread's gc_collect ends
 *                              before the sleeper can have woken
 *   inactive_keeps_tts_small   the same through gc_inactive_begin/end, with
 *                              a polling third thread: no pause waits for
 *                              the sleep (time to safepoint stays small)
 *   lock_waiter_does_not_stall a mutator blocked in gc_mutator_lock on a
 *                              mutex the collecting thread holds
 *   join_and_cond_wait         mutators blocked in gc_mutator_join and
 *                              gc_mutator_cond_wait
 *   allocating_loop_stops      a mutator allocating in a tight loop reaches
 *                              a safepoint (another thread's gc_collect returns)
 *   polling_loop_stops         one that loops without allocating but calls
 *                              gc_safepoint reaches one, and sees its moved
 *                              root afterwards
 *   overlapping_requests       gc_collect called by one thread while
 *                              another's collection is pending: one
 *                              collection for the pair (deterministic:
 *                              the second requester waits for the stop flag)
 *   simultaneous_requests      two running threads request at once (a
 *                              uv_barrier, then a spin): never more than
 *                              two collections per pair, one for most pairs
 *                              (asserted for at least one of 16), the
 *                              heap intact
 *   attach_detach_churn        threads attach, allocate, register global
 *                              roots and detach again and again while
 *                              others collect (normal and stress+verify)
 *   tts_is_measured            a thread that parks 20 ms after the stop
 *                              request: the pause's tts_ns is at least that,
 *                              and part of other_ns and of its duration
 *   pause_log                  tts_ns <= other_ns and the mutators field
 *                              of every pause (normal and stress+verify)
 *
 * A worker never asserts with Criterion (tests/conformance.h, Threads); a
 * handshake that never completes is caught by the .timeout of each case.
 * Sleep lengths are long against a collection of these small heaps (a few
 * milliseconds even under ThreadSanitizer), so the timing checks hold on a
 * loaded machine; they only fail when a pause really waited for a sleeper.
 *
 * GCBENCH_COLLECTOR=NAME[,NAME] runs the suite against those collectors only.
 */
#include "conformance.h"

/* ---- objects and helpers ------------------------------------------------------------ */

/* ThrNode: next and other are references, tag a raw word. */
enum { TN_NEXT = 0, TN_OTHER = 1, TN_TAG = 2 };
static uint32_t thr_node_type; /* registered by the case's thread before any worker starts */

static inline uint64_t tag_of(uint64_t key, uint64_t i) { return key * 1000003u + i; }

#define SLEEP_MS 300u
#define NS_PER_MS 1000000ull

/* Heap, listener and the case's thread detached: the workers are the only
 * mutators. */
static void thr_open(conf_ctx *c, const conf_param *p, size_t heap, uint64_t stress, conf_pause_log *log)
{
    conf_open(c, p, heap, stress);
    thr_node_type = gc_type_register("ThrNode", "rri");
    CONF_ASSERT(c, thr_node_type != GC_TYPE_INVALID, "cannot register ThrNode");
    if (log)
        conf_pause_log_attach(log, c->h);
    conf_detach_main(c);
}

static void thr_open_normal(conf_ctx *c, size_t idx, size_t heap, conf_pause_log *log)
{
    (void)conf_collector_at(idx); /* fails on a bad GCBENCH_COLLECTOR */
    conf_param p = {(int)idx, CONF_NORMAL};
    thr_open(c, &p, heap, 0, log);
}

/* The heap after the team: verified and closed by the case's thread. */
static void thr_close(conf_ctx *c)
{
    conf_reattach(c);
    gc_collect(c->m, GC_COLLECT_MAJOR);
    conf_verify(c, "after the team");
    conf_close(c);
}

/* *slot (a root) := a list of n nodes, node i from the head tagged tag_of(key, i). */
static void build_list(gc_mutator *m, gc_value *slot, uint64_t n, uint64_t key)
{
    gc_value tmp = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &tmp);
    *slot = GC_NIL;
    for (uint64_t i = n; i-- > 0;) {
        tmp = gc_value_of(gc_alloc_record(m, thr_node_type));
        gc_set_field(m, gc_ref(tmp), TN_NEXT, *slot);
        gc_set_word(gc_ref(tmp), TN_TAG, tag_of(key, i));
        *slot = tmp;
    }
    gc_roots_restore(m, depth);
}

static bool check_list(conf_worker *w, gc_value v, uint64_t n, uint64_t key, const char *what)
{
    for (uint64_t i = 0; i < n; i++) {
        CONF_TCHECK(w, gc_is_ref(v), "%s: node %" PRIu64 " of %" PRIu64 " is missing", what, i, n);
        gc_object *o = gc_ref(v);
        CONF_TCHECK(w, gc_header_type(o->header) == thr_node_type, "%s: node %" PRIu64 " has type %u", what, i,
                    gc_header_type(o->header));
        CONF_TCHECK(w, gc_words(o)[TN_TAG] == tag_of(key, i), "%s: node %" PRIu64 " tag %" PRIu64 ", want %" PRIu64,
                    what, i, gc_words(o)[TN_TAG], tag_of(key, i));
        v = gc_field(o, TN_NEXT);
    }
    CONF_TCHECK(w, v == GC_NIL, "%s: longer than %" PRIu64 " nodes", what, n);
    return true;
}

/* Unreachable byte strings: allocation (and safepoints) without live data. */
static void garbage(gc_mutator *m, size_t bytes)
{
    for (size_t done = 0; done < bytes; done += 64)
        (void)gc_alloc_bytes(m, 48);
}

/* Checks the pauses [from, to) of the log: each saw `mutators` mutators and
 * waited at most max_tts_ns for them to stop. */
static bool check_pauses(conf_worker *w, conf_pause_log *log, size_t from, size_t to, uint32_t mutators,
                         uint64_t max_tts_ns, const char *what)
{
    CONF_TCHECK(w, to > from, "%s: no pause recorded", what);
    for (size_t i = from; i < to && i < CONF_PAUSE_LOG; i++) {
        const gc_pause *p = &log->p[i];
        CONF_TCHECK(w, p->mutators == mutators, "%s: pause %" PRIu64 " counts %u mutators, want %u", what, p->seq,
                    p->mutators, mutators);
        CONF_TCHECK(w, p->tts_ns <= max_tts_ns,
                    "%s: pause %" PRIu64 " waited %.1f ms for the other mutators to stop (at most %.1f ms)", what,
                    p->seq, p->tts_ns / 1e6, max_tts_ns / 1e6);
    }
    return true;
}

/* ---- a sleeping mutator does not stall a collection ---------------------------------- */

enum { SLEEP_ROUNDS = 2 };

typedef struct sleep_state {
    conf_pause_log *log;
    atomic_int phase;         /* 2r+1: the sleeper is about to sleep; 2r+2: collection r done */
    _Atomic uint64_t sleep_t0; /* uv_hrtime() just before the sleep of the current round */
} sleep_state;

static bool sleeper_body(conf_worker *w)
{
    sleep_state *st = w->team->arg;
    gc_mutator *m = w->m;
    if (w->id == 1) { /* the sleeper */
        gc_value mine = GC_NIL;
        gc_root(m, &mine);
        garbage(m, 64u << 10);
        build_list(m, &mine, 200, 11);
        for (int r = 0; r < SLEEP_ROUNDS; r++) {
            atomic_store(&st->sleep_t0, uv_hrtime());
            atomic_store(&st->phase, 2 * r + 1);
            gc_mutator_sleep_ms(m, SLEEP_MS);
            /* A safepoint at once: were the sleep not inactive, the pending
             * collection would run now, after the sleep, and the collector
             * thread's timing check fails (rather than the case hanging). */
            gc_safepoint(m);
            if (!check_list(w, mine, 200, 11, "the sleeper's list after its sleep") ||
                !conf_wait_flag(w, &st->phase, 2 * r + 2))
                return false;
            garbage(m, 16u << 10);
        }
        return true;
    }
    for (int r = 0; r < SLEEP_ROUNDS; r++) { /* the collector */
        if (!conf_wait_flag(w, &st->phase, 2 * r + 1))
            return false;
        uint64_t t0 = atomic_load(&st->sleep_t0);
        size_t n0 = conf_pause_count(st->log);
        gc_collect(m, GC_COLLECT_MAJOR);
        uint64_t t1 = uv_hrtime();
        CONF_TCHECK(w, t1 < t0 + SLEEP_MS * NS_PER_MS,
                    "gc_collect returned %.1f ms after the other thread began a %u ms sleep in "
                    "gc_mutator_sleep_ms: the collection waited for the sleeper",
                    (t1 - t0) / 1e6, SLEEP_MS);
        if (!check_pauses(w, st->log, n0, conf_pause_count(st->log), 2, SLEEP_MS * NS_PER_MS / 4,
                          "collection during a sleep"))
            return false;
        atomic_store(&st->phase, 2 * r + 2);
    }
    return true;
}

static conf_pause_log sleep_log;

ParameterizedTestParameters(threads, sleeper_does_not_stall) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, sleeper_does_not_stall, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 8u << 20, &sleep_log);
    sleep_state st = {.log = &sleep_log};
    atomic_init(&st.phase, 0);
    atomic_init(&st.sleep_t0, 0);
    conf_team t;
    conf_team_run(&t, &c, 2, sleeper_body, &st, 1);
    thr_close(&c);
}

/* ---- gc_inactive_begin/end: a sleeper never delays a pause by its sleep ---------------- */

typedef struct inactive_state {
    conf_pause_log *log;
    atomic_int sleeping;      /* sleeps begun */
    atomic_int collections;   /* rounds collected */
    atomic_int stop;          /* the poller may stop */
    _Atomic uint64_t sleep_t0;
} inactive_state;

enum { INACTIVE_ROUNDS = 2, INACTIVE_COLLECTIONS = 3 };

static bool inactive_body(conf_worker *w)
{
    inactive_state *st = w->team->arg;
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    build_list(m, &mine, 100, 20 + (uint64_t)w->id);
    if (!conf_team_wait(w)) /* all three attached before the first collection */
        return false;
    if (w->id == 1) { /* sleeps inactive, by hand */
        for (int r = 0; r < INACTIVE_ROUNDS; r++) {
            atomic_store(&st->sleep_t0, uv_hrtime());
            gc_inactive_begin(m);
            atomic_store(&st->sleeping, r + 1); /* inactive now: no heap access until the end */
            uv_sleep(SLEEP_MS);
            gc_inactive_end(m);
            gc_safepoint(m);
            if (!check_list(w, mine, 100, 21, "the sleeper's list") ||
                !conf_wait_flag(w, &st->collections, r + 1))
                return false;
        }
        return true;
    }
    if (w->id == 2) { /* runs, polling: the handshake must wait for it (briefly) */
        uint64_t spins = 0;
        while (!atomic_load(&st->stop)) {
            gc_safepoint(m);
            CONF_TCHECK(w, gc_words(gc_ref(mine))[TN_TAG] == tag_of(22, 0), "the poller's list head changed");
            if (++spins % 4096 == 0 && conf_tfailed(w->team))
                return false;
        }
        return check_list(w, mine, 100, 22, "the poller's list");
    }
    for (int r = 0; r < INACTIVE_ROUNDS; r++) {
        if (!conf_wait_flag(w, &st->sleeping, r + 1))
            return false;
        uint64_t t0 = atomic_load(&st->sleep_t0);
        for (int k = 0; k < INACTIVE_COLLECTIONS; k++) {
            size_t n0 = conf_pause_count(st->log);
            gc_collect(m, k % 2 ? GC_COLLECT_MAJOR : GC_COLLECT_ANY);
            if (!check_pauses(w, st->log, n0, conf_pause_count(st->log), 3, SLEEP_MS * NS_PER_MS / 4,
                              "collection while a thread sleeps inactive"))
                return false;
            garbage(m, 32u << 10);
        }
        uint64_t t1 = uv_hrtime();
        CONF_TCHECK(w, t1 < t0 + SLEEP_MS * NS_PER_MS,
                    "%d collections ended %.1f ms after the other thread went inactive for %u ms: "
                    "they waited for it", INACTIVE_COLLECTIONS, (t1 - t0) / 1e6, SLEEP_MS);
        atomic_store(&st->collections, r + 1);
    }
    atomic_store(&st->stop, 1);
    return true;
}

static conf_pause_log inactive_log;

ParameterizedTestParameters(threads, inactive_keeps_tts_small) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, inactive_keeps_tts_small, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 8u << 20, &inactive_log);
    inactive_state st = {.log = &inactive_log};
    atomic_init(&st.sleeping, 0);
    atomic_init(&st.collections, 0);
    atomic_init(&st.stop, 0);
    atomic_init(&st.sleep_t0, 0);
    conf_team t;
    conf_team_run(&t, &c, 3, inactive_body, &st, 2);
    thr_close(&c);
}

/* ---- a mutator waiting for a lock does not stall a collection ------------------------ */

typedef struct lock_state {
    conf_pause_log *log;
    uv_mutex_t mu;
    atomic_int phase; /* 1: the collector holds mu; 2: the waiter is about to lock it */
    atomic_int released;
} lock_state;

static bool lock_body(conf_worker *w)
{
    lock_state *st = w->team->arg;
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    garbage(m, 64u << 10);
    build_list(m, &mine, 150, 30 + (uint64_t)w->id);
    if (w->id == 1) { /* the waiter */
        if (!conf_wait_flag(w, &st->phase, 1))
            return false;
        atomic_store(&st->phase, 2);
        gc_mutator_lock(m, &st->mu); /* blocks until the collector has collected */
        bool released = atomic_load(&st->released);
        uv_mutex_unlock(&st->mu);
        CONF_TCHECK(w, released, "got the lock before the collector released it");
        return check_list(w, mine, 150, 31, "the waiter's list after the lock");
    }
    gc_mutator_lock(m, &st->mu); /* held across the collection: allowed for gc_mutator_lock */
    atomic_store(&st->phase, 1);
    if (!conf_wait_flag(w, &st->phase, 2)) {
        uv_mutex_unlock(&st->mu);
        return false;
    }
    gc_mutator_sleep_ms(m, 50); /* lets the waiter block in the lock (not needed for correctness) */
    size_t n0 = conf_pause_count(st->log);
    gc_collect(m, GC_COLLECT_MAJOR); /* a collection while the other thread waits for mu */
    size_t n1 = conf_pause_count(st->log);
    atomic_store(&st->released, 1);
    uv_mutex_unlock(&st->mu);
    return check_pauses(w, st->log, n0, n1, 2, SLEEP_MS * NS_PER_MS / 4, "collection while a thread waits for a lock") &&
           check_list(w, mine, 150, 30, "the collector's list");
}

static conf_pause_log lock_log;

ParameterizedTestParameters(threads, lock_waiter_does_not_stall) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, lock_waiter_does_not_stall, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 8u << 20, &lock_log);
    lock_state st = {.log = &lock_log};
    cr_assert(uv_mutex_init(&st.mu) == 0);
    atomic_init(&st.phase, 0);
    atomic_init(&st.released, 0);
    conf_team t;
    conf_team_run(&t, &c, 2, lock_body, &st, 3);
    uv_mutex_destroy(&st.mu);
    thr_close(&c);
}

/* ---- mutators blocked in gc_mutator_join and gc_mutator_cond_wait -------------------- */

typedef struct join_state {
    conf_pause_log *log;
    atomic_int ready;          /* blocked threads about to block */
    _Atomic uint64_t join_t0;  /* when the joined thread began its sleep */
    uv_mutex_t mu;             /* guards signalled */
    uv_cond_t cv;
    bool signalled;
} join_state;

static void sleepy_thread(void *arg)
{
    join_state *st = arg;
    atomic_store(&st->join_t0, uv_hrtime());
    atomic_fetch_add(&st->ready, 1);
    uv_sleep(SLEEP_MS);
}

static bool join_body(conf_worker *w)
{
    join_state *st = w->team->arg;
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    build_list(m, &mine, 120, 40 + (uint64_t)w->id);
    if (w->id == 1) { /* joins a thread that sleeps (not a mutator) */
        uv_thread_t t;
        CONF_TCHECK(w, uv_thread_create(&t, sleepy_thread, st) == 0, "uv_thread_create failed");
        CONF_TCHECK(w, gc_mutator_join(m, &t) == 0, "gc_mutator_join failed");
        gc_safepoint(m);
        return check_list(w, mine, 120, 41, "the joiner's list");
    }
    if (w->id == 2) { /* waits on a condition variable the collector signals */
        gc_mutator_lock(m, &st->mu);
        atomic_fetch_add(&st->ready, 1);
        while (!st->signalled)
            gc_mutator_cond_wait(m, &st->cv, &st->mu);
        uv_mutex_unlock(&st->mu);
        gc_safepoint(m);
        return check_list(w, mine, 120, 42, "the waiter's list");
    }
    if (!conf_wait_flag(w, &st->ready, 2))
        return false;
    uint64_t t0 = atomic_load(&st->join_t0);
    size_t n0 = conf_pause_count(st->log);
    gc_collect(m, GC_COLLECT_MAJOR);
    uint64_t t1 = uv_hrtime();
    size_t n1 = conf_pause_count(st->log);
    gc_mutator_lock(m, &st->mu);
    st->signalled = true;
    uv_cond_broadcast(&st->cv);
    uv_mutex_unlock(&st->mu);
    CONF_TCHECK(w, t1 < t0 + SLEEP_MS * NS_PER_MS,
                "gc_collect returned %.1f ms after a %u ms join began: it waited for the joiner", (t1 - t0) / 1e6,
                SLEEP_MS);
    return check_pauses(w, st->log, n0, n1, 3, SLEEP_MS * NS_PER_MS / 4, "collection during a join and a wait") &&
           check_list(w, mine, 120, 40, "the collector's list");
}

static conf_pause_log join_log;

ParameterizedTestParameters(threads, join_and_cond_wait) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, join_and_cond_wait, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 8u << 20, &join_log);
    join_state st = {.log = &join_log};
    atomic_init(&st.ready, 0);
    atomic_init(&st.join_t0, 0);
    cr_assert(uv_mutex_init(&st.mu) == 0 && uv_cond_init(&st.cv) == 0);
    conf_team t;
    conf_team_run(&t, &c, 3, join_body, &st, 4);
    uv_mutex_destroy(&st.mu);
    uv_cond_destroy(&st.cv);
    thr_close(&c);
}

/* ---- loops reach safepoints ------------------------------------------------------------ */

typedef struct loop_state {
    conf_pause_log *log;
    atomic_int started;
    atomic_int stop;
    atomic_ullong iterations;
} loop_state;

enum { LOOP_COLLECTIONS = 3 };

/* Worker 0 collects LOOP_COLLECTIONS times while worker 1 runs `loop`. */
static bool loop_collector(conf_worker *w, loop_state *st)
{
    gc_mutator *m = w->m;
    if (!conf_wait_flag(w, &st->started, 1))
        return false;
    for (int k = 0; k < LOOP_COLLECTIONS; k++) {
        unsigned long long before = atomic_load(&st->iterations);
        size_t n0 = conf_pause_count(st->log);
        gc_collect(m, GC_COLLECT_MAJOR); /* returns only once the looping thread has parked */
        if (!check_pauses(w, st->log, n0, conf_pause_count(st->log), 2, UINT64_MAX, "collection during a loop"))
            return false;
        /* The loop runs on between collections (it was parked, not stopped for good). */
        while (atomic_load(&st->iterations) == before) {
            if (conf_tfailed(w->team))
                return false;
            gc_mutator_sleep_ms(m, 1);
        }
    }
    atomic_store(&st->stop, 1);
    return true;
}

static bool alloc_loop_body(conf_worker *w)
{
    loop_state *st = w->team->arg;
    if (w->id == 0)
        return loop_collector(w, st);
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    build_list(m, &mine, 100, 50);
    atomic_store(&st->started, 1);
    while (!atomic_load(&st->stop)) {
        for (int i = 0; i < 64; i++) /* a tight allocation loop: its only safepoints are slow paths */
            (void)gc_alloc_record(m, thr_node_type);
        atomic_fetch_add(&st->iterations, 1);
        if (conf_tfailed(w->team))
            return false;
    }
    return check_list(w, mine, 100, 50, "the allocating thread's list");
}

static bool poll_loop_body(conf_worker *w)
{
    loop_state *st = w->team->arg;
    if (w->id == 0)
        return loop_collector(w, st);
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    garbage(m, 64u << 10); /* so that a moving collector moves the list */
    build_list(m, &mine, 100, 51);
    uintptr_t first = (uintptr_t)mine;
    bool moved = false;
    atomic_store(&st->started, 1);
    while (!atomic_load(&st->stop)) {
        /* No allocation: only the explicit poll. The root is re-read after
         * it (a moving collector rewrites it while this thread is parked). */
        gc_safepoint(m);
        gc_object *head = gc_ref(mine);
        CONF_TCHECK(w, gc_words(head)[TN_TAG] == tag_of(51, 0), "the polling thread's list head reads %" PRIu64,
                    gc_words(head)[TN_TAG]);
        moved |= (uintptr_t)mine != first;
        atomic_fetch_add(&st->iterations, 1);
        if (conf_tfailed(w->team))
            return false;
    }
    CONF_TCHECK(w, moved || !w->team->c->ops->moving,
                "a moving collector collected %d times but never moved the polling thread's root", LOOP_COLLECTIONS);
    return check_list(w, mine, 100, 51, "the polling thread's list");
}

static conf_pause_log loop_log;

static void run_loop_case(size_t idx, conf_worker_fn body, uint64_t seed)
{
    conf_ctx c;
    /* Large: the allocating loop itself seldom needs a collection. */
    thr_open_normal(&c, idx, 32u << 20, &loop_log);
    loop_state st = {.log = &loop_log};
    atomic_init(&st.started, 0);
    atomic_init(&st.stop, 0);
    atomic_init(&st.iterations, 0);
    conf_team t;
    conf_team_run(&t, &c, 2, body, &st, seed);
    thr_close(&c);
}

ParameterizedTestParameters(threads, allocating_loop_stops) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, allocating_loop_stops, .timeout = 60) { run_loop_case(*idx, alloc_loop_body, 5); }

ParameterizedTestParameters(threads, polling_loop_stops) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, polling_loop_stops, .timeout = 60) { run_loop_case(*idx, poll_loop_body, 6); }

/* ---- time to safepoint is measured and is part of the pause -------------------------------- */

/* Worker 1 runs without safepoints and parks only PARK_DELAY_MS after it
 * sees the stop flag: the stop cannot complete sooner, so the pause's
 * tts_ns is at least that, and it is counted in other_ns and duration_ns. */
enum { PARK_DELAY_MS = 20, TTS_COLLECTIONS = 3 };

typedef struct tts_state {
    conf_pause_log *log;
    atomic_int ready;
    atomic_int stop;
} tts_state;

static bool tts_body(conf_worker *w)
{
    tts_state *st = w->team->arg;
    gc_mutator *m = w->m;
    if (!conf_team_wait(w)) /* both attached: no stop for an attach any more */
        return false;
    if (w->id == 1) {
        /* ready counts the times this thread runs again: a resumed
         * thread may stay PARKED for a while after a stop ends (until it
         * is scheduled), and a stop requested meanwhile waits for nobody. */
        atomic_store(&st->ready, 1);
        uint64_t spins = 0;
        while (!atomic_load(&st->stop)) {
            if (atomic_load_explicit(m->stop_flag, memory_order_acquire)) {
                uint64_t t = uv_hrtime();
                while (uv_hrtime() - t < PARK_DELAY_MS * NS_PER_MS) {
                } /* still running: the collector waits */
                gc_safepoint(m);
                atomic_fetch_add(&st->ready, 1);
            }
            if (++spins % 4096 == 0 && conf_tfailed(w->team))
                return false;
        }
        return true;
    }
    for (int k = 0; k < TTS_COLLECTIONS; k++) {
        if (!conf_wait_flag(w, &st->ready, k + 1)) /* worker 1 runs (not still parked) */
            return false;
        size_t n0 = conf_pause_count(st->log);
        uint64_t t0 = uv_hrtime();
        gc_collect(w->m, GC_COLLECT_MAJOR);
        uint64_t t1 = uv_hrtime();
        size_t n1 = conf_pause_count(st->log);
        CONF_TCHECK(w, n1 > n0 && n0 < CONF_PAUSE_LOG, "collection %d recorded no pause", k);
        const gc_pause *p = &st->log->p[n0]; /* the first pause of the stop carries its tts */
        CONF_TCHECK(w, p->mutators == 2, "pause %" PRIu64 " counts %u mutators, want 2", p->seq, p->mutators);
        if (p->tts_ns < PARK_DELAY_MS * NS_PER_MS) {
            char all[512] = "";
            for (size_t q = n0, len = 0; q < n1 && q < CONF_PAUSE_LOG && len < sizeof all - 64; q++)
                len += (size_t)snprintf(all + len, sizeof all - len, " [%s, %s, tts %.2f ms]",
                                        gc_pause_kind_name(st->log->p[q].kind),
                                        gc_reason_name(st->log->p[q].reason), st->log->p[q].tts_ns / 1e6);
            conf_tfail(w,
                       "collection %d: tts_ns %.2f ms, but the other thread parked at least %d ms after the "
                       "stop request (pauses of the collection:%s)",
                       k, p->tts_ns / 1e6, PARK_DELAY_MS, all);
            return false;
        }
        CONF_TCHECK(w, p->tts_ns <= p->other_ns && p->other_ns <= p->duration_ns,
                    "pause %" PRIu64 ": tts_ns %" PRIu64 ", other_ns %" PRIu64 ", duration %" PRIu64
                    " (the time to safepoint is part of other_ns and of the pause)",
                    p->seq, p->tts_ns, p->other_ns, p->duration_ns);
        CONF_TCHECK(w, t1 - t0 >= p->duration_ns, "pause %" PRIu64 " lasted %.2f ms, longer than the gc_collect "
                    "call (%.2f ms)", p->seq, p->duration_ns / 1e6, (t1 - t0) / 1e6);
    }
    atomic_store(&st->stop, 1);
    return true;
}

static conf_pause_log tts_log;

ParameterizedTestParameters(threads, tts_is_measured) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, tts_is_measured, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 8u << 20, &tts_log);
    tts_state st = {.log = &tts_log};
    atomic_init(&st.ready, 0);
    atomic_init(&st.stop, 0);
    conf_team t;
    conf_team_run(&t, &c, 2, tts_body, &st, 11);
    thr_close(&c);
}

/* ---- concurrent collection requests ---------------------------------------------------- */

/* Worker 0 requests `first`; worker 1 waits (running, without a safepoint)
 * until the heap's stop flag shows that request pending, then requests
 * `second`: it is made while the first collection is pending, so it parks
 * and then returns without collecting when the first was of at least its
 * kind. This ordering is forced, so the count of collections is exact. */
typedef struct request_state {
    conf_pause_log *log;
    size_t base[3];           /* explicit pauses of one request, by gc_collection_kind */
    gc_pause_kind kind[3];    /* the kind of its last pause */
    atomic_int second_running; /* overlapping_requests: worker 1 runs in round n-1 */
    atomic_int running;        /* simultaneous_requests: arrivals at the spin */
    uv_barrier_t barrier;     /* simultaneous_requests */
    int deduped;              /* rounds with one collection (simultaneous_requests) */
} request_state;

static const char *request_name(gc_collection_kind k)
{
    return k == GC_COLLECT_MAJOR ? "major" : k == GC_COLLECT_MINOR ? "minor" : "any";
}

/* Baselines: the explicit pauses one gc_collect of each kind records alone. */
static bool request_baselines(conf_worker *w, request_state *st)
{
    if (w->id == 0) {
        for (int k = GC_COLLECT_MINOR; k <= GC_COLLECT_MAJOR; k++) {
            size_t e0 = conf_explicit_count(st->log);
            gc_collect(w->m, (gc_collection_kind)k);
            size_t n = conf_pause_count(st->log);
            st->base[k] = conf_explicit_count(st->log) - e0;
            st->kind[k] = st->log->p[n - 1].kind;
            CONF_TCHECK(w, st->base[k] > 0, "a %s collection recorded no explicit pause", request_name(k));
        }
    }
    return conf_team_wait(w); /* publishes base[] and kind[] to worker 1 too */
}

static bool overlapping_body(conf_worker *w)
{
    request_state *st = w->team->arg;
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    build_list(m, &mine, 100, 60 + (uint64_t)w->id);
    if (!request_baselines(w, st))
        return false;
    static const gc_collection_kind pairs[][2] = {{GC_COLLECT_MAJOR, GC_COLLECT_MAJOR},
                                                  {GC_COLLECT_MAJOR, GC_COLLECT_MINOR},
                                                  {GC_COLLECT_MINOR, GC_COLLECT_MINOR},
                                                  {GC_COLLECT_MINOR, GC_COLLECT_MAJOR},
                                                  {GC_COLLECT_MAJOR, GC_COLLECT_MAJOR}};
    for (size_t r = 0; r < sizeof pairs / sizeof pairs[0]; r++) {
        gc_collection_kind first = pairs[r][0], second = pairs[r][1];
        size_t e0 = conf_explicit_count(st->log), n0 = conf_pause_count(st->log);
        if (!conf_team_wait(w))
            return false;
        if (w->id == 0) {
            /* Worker 1 may still be waking from the barrier (inactive): a
             * stop would not wait for it. Request once it runs. */
            if (!conf_wait_flag(w, &st->second_running, (int)r + 1))
                return false;
            gc_collect(m, first);
        } else {
            /* Running, no safepoint: the first request cannot complete
             * before this one is made. */
            atomic_store(&st->second_running, (int)r + 1);
            uint64_t spins = 0;
            while (!atomic_load_explicit(m->stop_flag, memory_order_acquire)) {
                if (++spins % 4096 == 0 && conf_tfailed(w->team))
                    return false;
            }
            gc_collect(m, second);
        }
        if (!conf_team_wait(w))
            return false;
        size_t got = conf_explicit_count(st->log) - e0, n1 = conf_pause_count(st->log);
        if (w->id == 0) {
            if (first == second || first == GC_COLLECT_MAJOR) {
                /* The second request waited while a collection of at least its kind ran. */
                CONF_TCHECK(w, got == st->base[first],
                            "round %zu: a %s request made while another thread's %s collection was pending: "
                            "%zu explicit pauses, want %zu (one collection; the second request must return "
                            "without collecting)",
                            r, request_name(second), request_name(first), got, st->base[first]);
            } else {
                /* A major request is not satisfied by a minor collection
                 * (unless the collector's minor is its major). */
                CONF_TCHECK(w, got >= st->base[first] && got <= st->base[first] + st->base[second],
                            "round %zu: %zu explicit pauses for a minor and a pending major request", r, got);
                if (st->kind[GC_COLLECT_MINOR] != st->kind[GC_COLLECT_MAJOR])
                    CONF_TCHECK(w, got == st->base[first] + st->base[second] && n1 > n0 &&
                                       st->log->p[n1 - 1].kind == st->kind[GC_COLLECT_MAJOR],
                                "round %zu: a major request made while a minor collection was pending was not "
                                "collected (%zu explicit pauses, the last %s)",
                                r, got, gc_pause_kind_name(st->log->p[n1 - 1].kind));
            }
        }
        if (!check_list(w, mine, 100, 60 + (uint64_t)w->id, "list after the requests"))
            return false;
    }
    return true;
}

enum { SIMULTANEOUS_ROUNDS = 16, SIMULTANEOUS_LIVE = 20000 };

static bool simultaneous_body(conf_worker *w)
{
    request_state *st = w->team->arg;
    gc_mutator *m = w->m;
    gc_value mine = GC_NIL;
    gc_root(m, &mine);
    /* Enough live data that a collection outlasts a thread's wake-up from
     * the barrier: the requests really overlap (most rounds dedup). */
    build_list(m, &mine, SIMULTANEOUS_LIVE, 70 + (uint64_t)w->id);
    if (!request_baselines(w, st))
        return false;
    for (int r = 0; r < SIMULTANEOUS_ROUNDS; r++) {
        size_t e0 = conf_explicit_count(st->log);
        gc_inactive_begin(m);
        uv_barrier_wait(&st->barrier);
        gc_inactive_end(m);
        /* Both RUNNING before either requests (a thread still waking from
         * the barrier is inactive, and would request only after the other
         * thread's collection): spin, without a safepoint, until both are
         * here; nobody can collect meanwhile. */
        atomic_fetch_add(&st->running, 1);
        while (atomic_load(&st->running) < 2 * (r + 1)) {
        }
        gc_collect(m, GC_COLLECT_MAJOR);
        if (!conf_team_wait(w))
            return false;
        size_t got = conf_explicit_count(st->log) - e0;
        if (w->id == 0) {
            CONF_TCHECK(w, got == st->base[GC_COLLECT_MAJOR] || got == 2 * st->base[GC_COLLECT_MAJOR],
                        "round %d: two simultaneous major requests recorded %zu explicit pauses (one "
                        "collection is %zu)", r, got, st->base[GC_COLLECT_MAJOR]);
            st->deduped += got == st->base[GC_COLLECT_MAJOR];
        }
        if (!check_list(w, mine, SIMULTANEOUS_LIVE, 70 + (uint64_t)w->id, "list after simultaneous requests") ||
            !conf_team_wait(w))
            return false;
    }
    return true;
}

static conf_pause_log request_log;

ParameterizedTestParameters(threads, overlapping_requests) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, overlapping_requests, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 16u << 20, &request_log);
    request_state st = {.log = &request_log};
    atomic_init(&st.second_running, 0);
    conf_team t;
    conf_team_run(&t, &c, 2, overlapping_body, &st, 7);
    thr_close(&c);
}

ParameterizedTestParameters(threads, simultaneous_requests) { return conf_collector_index_params(); }
ParameterizedTest(size_t *idx, threads, simultaneous_requests, .timeout = 60)
{
    conf_ctx c;
    thr_open_normal(&c, *idx, 16u << 20, &request_log);
    request_state st = {.log = &request_log};
    atomic_init(&st.second_running, 0);
    atomic_init(&st.running, 0);
    cr_assert(uv_barrier_init(&st.barrier, 2) == 0);
    conf_team t;
    conf_team_run(&t, &c, 2, simultaneous_body, &st, 8);
    uv_barrier_destroy(&st.barrier);
    cr_log_info("%s: %d of %d simultaneous request pairs made one collection", c.name, st.deduped,
                SIMULTANEOUS_ROUNDS);
    /* Released together, both running, each collection far longer than
     * the gap between the two calls: most pairs overlap. None means the
     * test did not test what it claims (or requests never dedup). */
    CONF_ASSERT(&c, st.deduped > 0, "none of %d simultaneous request pairs made a single collection",
                SIMULTANEOUS_ROUNDS);
    thr_close(&c);
}

/* ---- attach and detach while others collect ---------------------------------------------- */

enum { CHURN_STEADY = 2, CHURN_THREADS = 4 };

/* Attach-allocate-detach cycles of each churning thread. */
static int churn_cycles(const conf_ctx *c) { return c->stress ? 12 : 40; }

typedef struct churn_state {
    atomic_int churners_done;
    atomic_int attaches;
} churn_state;

static bool churn_body(conf_worker *w)
{
    churn_state *st = w->team->arg;
    conf_ctx *c = w->team->c;
    if (w->id < CHURN_STEADY) { /* steady mutators: lists, explicit collections */
        gc_value mine = GC_NIL;
        gc_root(w->m, &mine);
        for (uint64_t r = 0; atomic_load(&st->churners_done) < CHURN_THREADS - CHURN_STEADY || r < 4; r++) {
            uint64_t key = 100 + (uint64_t)w->id * 1000 + r;
            build_list(w->m, &mine, 60, key);
            garbage(w->m, 8u << 10);
            if (r % 3 == (uint64_t)w->id)
                gc_collect(w->m, r % 2 ? GC_COLLECT_MAJOR : GC_COLLECT_ANY);
            if (!check_list(w, mine, 60, key, "a steady thread's list"))
                return false;
            if (conf_tfailed(w->team))
                return false;
        }
        return true;
    }
    int cycles = churn_cycles(c);
    for (int k = 0; k < cycles; k++) {
        /* Detach, and attach a fresh mutator from this thread. */
        gc_mutator_detach(w->m);
        w->m = gc_mutator_attach(c->h);
        CONF_TCHECK(w, w->m != NULL, "gc_mutator_attach returned NULL on cycle %d", k);
        atomic_fetch_add(&st->attaches, 1);
        gc_value mine = GC_NIL, global = GC_NIL;
        size_t depth = gc_roots_save(w->m);
        gc_root(w->m, &mine);
        uint64_t key = 5000 + (uint64_t)w->id * 1000 + (uint64_t)k;
        build_list(w->m, &mine, 40, key);
        global = mine;
        gc_heap_add_root(c->h, &global); /* a global root of a short-lived thread */
        mine = GC_NIL;
        garbage(w->m, 4u << 10);
        if (k % 5 == 0)
            gc_collect(w->m, GC_COLLECT_ANY);
        bool ok = check_list(w, global, 40, key, "a churning thread's list (global root)");
        gc_heap_remove_root(c->h, &global);
        gc_roots_restore(w->m, depth); /* before mine goes out of scope */
        if (!ok)
            return false;
    }
    atomic_fetch_add(&st->churners_done, 1);
    return true;
}

ParameterizedTestParameters(threads, attach_detach_churn) { return conf_make_params(); }
ParameterizedTest(conf_param *p, threads, attach_detach_churn, .timeout = 120)
{
    conf_ctx c;
    thr_open(&c, p, 2u << 20, 17, NULL);
    churn_state st;
    atomic_init(&st.churners_done, 0);
    atomic_init(&st.attaches, 0);
    conf_team t;
    conf_team_run(&t, &c, CHURN_THREADS, churn_body, &st, 9);
    int want = (CHURN_THREADS - CHURN_STEADY) * churn_cycles(&c);
    CONF_ASSERT(&c, atomic_load(&st.attaches) == want, "%d attaches, want %d", atomic_load(&st.attaches), want);
    gc_heap_stats s;
    gc_heap_get_stats(c.h, &s);
    CONF_ASSERT(&c, s.npauses > 0, "no collection during the churn");
    for (size_t i = 0; i < s.npauses; i++)
        CONF_ASSERT(&c, s.pauses[i].mutators >= 1 && s.pauses[i].mutators <= CHURN_THREADS,
                    "pause %zu counts %u mutators (between 1 and %d attached)", i, s.pauses[i].mutators,
                    CHURN_THREADS);
    thr_close(&c);
}

/* ---- the pause log with several mutators ------------------------------------------------- */

enum { LOG_THREADS = 3 };

typedef struct log_state {
    _Atomic uint64_t all_attached; /* max over workers of uv_hrtime() after attaching */
    _Atomic uint64_t first_leaving; /* min over workers of uv_hrtime() before detaching */
} log_state;

static bool log_body(conf_worker *w)
{
    log_state *st = w->team->arg;
    uint64_t now = uv_hrtime(), seen = atomic_load(&st->all_attached);
    while (seen < now && !atomic_compare_exchange_weak(&st->all_attached, &seen, now)) {
    }
    if (!conf_team_wait(w))
        return false;
    gc_value mine = GC_NIL;
    gc_root(w->m, &mine);
    for (int r = 0; r < 3; r++) {
        uint64_t key = 200 + (uint64_t)w->id * 10 + (uint64_t)r;
        build_list(w->m, &mine, 80, key);
        garbage(w->m, w->team->c->stress ? 16u << 10 : 256u << 10);
        gc_collect(w->m, r == 1 ? GC_COLLECT_MAJOR : GC_COLLECT_ANY);
        if (!check_list(w, mine, 80, key, "list between collections"))
            return false;
    }
    if (!conf_team_wait(w))
        return false;
    now = uv_hrtime();
    seen = atomic_load(&st->first_leaving);
    while (seen > now && !atomic_compare_exchange_weak(&st->first_leaving, &seen, now)) {
    }
    return true;
}

ParameterizedTestParameters(threads, pause_log) { return conf_make_params(); }
ParameterizedTest(conf_param *p, threads, pause_log, .timeout = 60)
{
    conf_ctx c;
    thr_open(&c, p, 2u << 20, 29, NULL);
    log_state st;
    atomic_init(&st.all_attached, 0);
    atomic_init(&st.first_leaving, UINT64_MAX);
    conf_team t;
    conf_team_run(&t, &c, LOG_THREADS, log_body, &st, 10);
    /* Every worker has detached: the log is quiet. */
    gc_heap_stats s;
    gc_heap_get_stats(c.h, &s);
    uint64_t epoch = gc_heap_epoch(c.h), lo = atomic_load(&st.all_attached), hi = atomic_load(&st.first_leaving);
    size_t full_team = 0;
    for (size_t i = 0; i < s.npauses; i++) {
        const gc_pause *q = &s.pauses[i];
        CONF_ASSERT(&c, q->mutators >= 1 && q->mutators <= LOG_THREADS, "pause %zu counts %u mutators (at most %d)", i,
                    q->mutators, LOG_THREADS);
        if (q->mutators == 1)
            CONF_ASSERT(&c, q->tts_ns == 0, "pause %zu with one mutator has tts_ns %" PRIu64 " (want 0)", i, q->tts_ns);
        else
            CONF_ASSERT(&c, q->tts_ns <= q->other_ns && q->other_ns <= q->duration_ns,
                        "pause %zu (%u mutators): tts_ns %" PRIu64 ", other_ns %" PRIu64 ", duration %" PRIu64
                        " (time to safepoint is part of other_ns)",
                        i, q->mutators, q->tts_ns, q->other_ns, q->duration_ns);
        /* Inside the window where every worker is attached, the pause counts them all. */
        if (q->start_ns + epoch >= lo && q->start_ns + q->duration_ns + epoch <= hi) {
            CONF_ASSERT(&c, q->mutators == LOG_THREADS,
                        "pause %zu ran while all %d workers were attached but counts %u mutators", i, LOG_THREADS,
                        q->mutators);
            full_team++;
        }
    }
    CONF_ASSERT(&c, full_team >= LOG_THREADS,
                "only %zu pauses fell inside the window where all %d workers were attached (each of them "
                "called gc_collect three times there)", full_team, LOG_THREADS);
    thr_close(&c);
}
