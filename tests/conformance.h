/* tests/conformance.h — helpers shared by the Criterion tests (tests only).
 *
 * The conformance suite is parameterized over every collector listed in
 * gc_registered_collectors[] and over a mode:
 *   CONF_NORMAL  the collector as a workload would run it;
 *   CONF_STRESS  cfg.stress = N (a collection every N allocations) and
 *                cfg.verify = true (the heap verifier after every pause).
 * A parameter stores an index into the registry, not a pointer, so the array
 * (allocated with cr_malloc, as Criterion requires for parameters it passes
 * to the sandboxed test process) holds no pointers.
 *
 * Every failure message starts with "<collector>/<mode>: "; a case that
 * crashes writes "conformance: crashed in <collector>/<mode>" to stderr.
 *
 * GCBENCH_COLLECTOR=NAME[,NAME...] (unset: all) restricts the parameter
 * generators below, and the suites' own loops over collectors, to those
 * collectors; an unknown name fails every case, naming it.
 *
 * Threaded cases (the Threads section at the end) add a thread count to
 * the parameter (conf_tparam: 1, 2 and 4 mutator threads), run a team of
 * worker threads each with its own mutator (conf_team_run), and can read
 * the pause log while the team runs (conf_pause_log).
 */
#ifndef GC_TESTS_CONFORMANCE_H
#define GC_TESTS_CONFORMANCE_H

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/collector.h"
#include "core/threads.h"
#include "collectors/registry.h"

typedef enum conf_mode { CONF_NORMAL = 0, CONF_STRESS = 1, CONF_MODE_COUNT } conf_mode;

/* conf_param.collector values that are not registry indices. */
enum {
    CONF_NO_COLLECTOR = -1,    /* the registry is empty: every case fails */
    CONF_NONE_QUALIFIES = -2,  /* no selected collector has the property: skip */
    CONF_BAD_FILTER = -3       /* GCBENCH_COLLECTOR names an unknown collector: fail */
};

typedef struct conf_param {
    int collector; /* index into gc_registered_collectors[], or one of the values above */
    int mode;      /* conf_mode */
} conf_param;

static inline size_t conf_ncollectors(void)
{
    size_t n = 0;
    while (gc_registered_collectors[n])
        n++;
    return n;
}

/* ---- The collector filter ----------------------------------------------------------
 * GCBENCH_COLLECTOR=NAME[,NAME...] restricts every parameterized suite (and
 * the loops over collectors in the other suites) to the collectors named;
 * unset or empty means all. A name that is not registered makes every case
 * that reads the filter fail, naming it. */
#define CONF_FILTER_ENV "GCBENCH_COLLECTOR"

/* Checks the filter: true if every name in it is registered; else writes
 * the first unknown name into bad (and false). */
static inline bool conf_filter_valid(char *bad, size_t badlen)
{
    const char *env = getenv(CONF_FILTER_ENV);
    if (!env || !*env)
        return true;
    const char *p = env;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            if (!gc_collector_find(name)) {
                snprintf(bad, badlen, "%s", name);
                return false;
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return true;
}

/* Is this collector selected by the filter? */
static inline bool conf_selected(const gc_collector_ops *ops)
{
    const char *env = getenv(CONF_FILTER_ENV);
    if (!env || !*env)
        return true;
    size_t n = strlen(ops->name);
    for (const char *p = env; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, ops->name, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/* Fails the current test loudly when the filter names an unknown collector. */
static inline void conf_require_valid_filter(void)
{
    char bad[128] = "";
    if (!conf_filter_valid(bad, sizeof bad)) {
        char names[512] = "";
        gc_collector_names(names, sizeof names);
        cr_assert_fail(CONF_FILTER_ENV "=%s names an unknown collector '%s' (registered: %s)",
                       getenv(CONF_FILTER_ENV), bad, names);
    }
}

/* Parameter generators run in the runner process: say it there too. */
static inline bool conf_filter_check_loudly(void)
{
    char bad[128] = "";
    if (conf_filter_valid(bad, sizeof bad))
        return true;
    fprintf(stderr, "conformance: " CONF_FILTER_ENV "=%s names an unknown collector '%s'\n",
            getenv(CONF_FILTER_ENV), bad);
    return false;
}

/* The name of a collector the filter selects and that `pred` accepts (NULL:
 * any), the first in registry order; NULL when there is none. For tests
 * that need "some collector" rather than every one. */
static inline const gc_collector_ops *conf_pick(bool (*pred)(const gc_collector_ops *ops))
{
    for (size_t i = 0; gc_registered_collectors[i]; i++)
        if (conf_selected(gc_registered_collectors[i]) && (!pred || pred(gc_registered_collectors[i])))
            return gc_registered_collectors[i];
    return NULL;
}

static inline void conf_params_free(struct criterion_test_params *p) { cr_free(p->params); }

/* One size_t parameter per selected collector: its registry index. With a
 * bad filter, one parameter SIZE_MAX, which conf_collector_at reports. */
static inline struct criterion_test_params conf_collector_index_params(void)
{
    size_t n = conf_ncollectors(), k = 0;
    bool ok = conf_filter_check_loudly();
    size_t *idx = cr_malloc((n ? n : 1) * sizeof *idx);
    if (!ok) {
        idx[0] = SIZE_MAX;
        return cr_make_param_array(size_t, idx, 1, conf_params_free);
    }
    for (size_t i = 0; i < n; i++)
        if (conf_selected(gc_registered_collectors[i]))
            idx[k++] = i;
    return cr_make_param_array(size_t, idx, k, conf_params_free);
}

/* The collector of a conf_collector_index_params parameter. */
static inline const gc_collector_ops *conf_collector_at(size_t i)
{
    conf_require_valid_filter();
    cr_assert(i < conf_ncollectors(), "collector index %zu out of range", i);
    return gc_registered_collectors[i];
}

/* One parameter per (collector, mode) for the selected collectors `pred`
 * accepts (all when pred is NULL). With an empty registry a single
 * parameter CONF_NO_COLLECTOR makes every test fail loudly; when the
 * registry has collectors but none selected qualifies, CONF_NONE_QUALIFIES
 * lets the test skip; a bad filter gives CONF_BAD_FILTER (fails). */
static inline struct criterion_test_params
conf_make_params_where(bool (*pred)(const gc_collector_ops *ops))
{
    size_t n = conf_ncollectors(), k = 0;
    bool ok = conf_filter_check_loudly();
    for (size_t i = 0; ok && i < n; i++)
        k += conf_selected(gc_registered_collectors[i]) && (!pred || pred(gc_registered_collectors[i]));
    size_t len = k ? k * CONF_MODE_COUNT : 1;
    conf_param *ps = cr_malloc(len * sizeof *ps);
    if (k == 0) {
        ps[0] = (conf_param){!ok ? CONF_BAD_FILTER : n == 0 ? CONF_NO_COLLECTOR : CONF_NONE_QUALIFIES,
                             CONF_NORMAL};
    } else {
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (conf_selected(gc_registered_collectors[i]) && (!pred || pred(gc_registered_collectors[i])))
                for (int mo = 0; mo < CONF_MODE_COUNT; mo++)
                    ps[j++] = (conf_param){(int)i, mo};
    }
    return cr_make_param_array(conf_param, ps, len, conf_params_free);
}

static inline struct criterion_test_params conf_make_params(void)
{
    return conf_make_params_where(NULL);
}

/* Defines the parameter generator of conformance/<name>. */
#define CONF_PARAMS(name) \
    ParameterizedTestParameters(conformance, name) { return conf_make_params(); }

/* The collector of a conf_param; fails (or skips) for the special values. */
static inline const gc_collector_ops *conf_param_collector(const conf_param *p)
{
    if (p->collector == CONF_BAD_FILTER)
        conf_require_valid_filter();
    if (p->collector == CONF_NONE_QUALIFIES)
        cr_skip_test("no selected collector has the property this suite needs");
    cr_assert(p->collector >= 0, "no collector is registered in gc_registered_collectors[]");
    const gc_collector_ops *ops = gc_registered_collectors[p->collector];
    cr_assert(ops != NULL && ops->name != NULL, "registry entry %d is broken", p->collector);
    return ops;
}

static inline const char *conf_mode_name(int mode) { return mode == CONF_STRESS ? "stress" : "normal"; }

/* ---- Naming a crashing case ----------------------------------------------------------
 * Criterion reports a case killed by a signal as "CRASH!" without its
 * parameter. conf_name_crashes installs handlers for SIGSEGV, SIGBUS,
 * SIGABRT, SIGFPE and SIGILL that write "conformance: crashed in
 * <collector>/<mode> (signal N)" to stderr (with write(2), from text built
 * beforehand) and then hand the signal to whatever handled it before
 * (sanitizers included). A case that calls exit() before conf_close (heap
 * exhausted or corrupt, a failed assertion) is named the same way:
 * "conformance: exited in <collector>/<mode> before the end of the case". */

static char conf_case_name[160]; /* "<collector>/<mode>" */
static size_t conf_case_len;
static bool conf_case_open;
static bool conf_atexit_set;
static const int conf_crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
#define CONF_NCRASH_SIGNALS (sizeof conf_crash_signals / sizeof conf_crash_signals[0])
static struct sigaction conf_crash_old[CONF_NCRASH_SIGNALS];
static bool conf_crash_installed;
static char conf_crash_stack[64 * 1024] __attribute__((aligned(16)));

static inline void conf_write_str(const char *s, size_t n)
{
    ssize_t w = write(2, s, n);
    (void)w;
}

static inline void conf_crash_handler(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    char num[16];
    size_t d = sizeof num;
    num[--d] = '\n';
    num[--d] = ')';
    int v = sig;
    do {
        num[--d] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && d > 0);
    conf_write_str("conformance: crashed in ", 24);
    conf_write_str(conf_case_name, conf_case_len);
    conf_write_str(" (signal ", 9);
    conf_write_str(num + d, sizeof num - d);
    conf_case_open = false;
    for (size_t i = 0; i < CONF_NCRASH_SIGNALS; i++)
        if (conf_crash_signals[i] == sig)
            sigaction(sig, &conf_crash_old[i], NULL);
    /* A fault returns and faults again, now into the previous handler (or
     * the default action) with the real fault address; a sent signal
     * (abort, raise, kill) is sent again. */
    if (info == NULL || info->si_code <= 0)
        raise(sig);
}

static inline void conf_at_exit(void)
{
    if (!conf_case_open)
        return;
    conf_write_str("conformance: exited in ", 23);
    conf_write_str(conf_case_name, conf_case_len);
    conf_write_str(" before the end of the case\n", 28);
}

static inline void conf_name_crashes(const char *collector, const char *mode)
{
    int n = snprintf(conf_case_name, sizeof conf_case_name, "%s/%s", collector, mode);
    conf_case_len = n < 0 ? 0 : (size_t)n >= sizeof conf_case_name ? sizeof conf_case_name - 1 : (size_t)n;
    conf_case_open = true;
    if (!conf_atexit_set) {
        atexit(conf_at_exit);
        conf_atexit_set = true;
    }
    if (conf_crash_installed)
        return;
    stack_t ss = {.ss_sp = conf_crash_stack, .ss_size = sizeof conf_crash_stack, .ss_flags = 0};
    sigaltstack(&ss, NULL); /* so a stack overflow is named too */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = conf_crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < CONF_NCRASH_SIGNALS; i++)
        sigaction(conf_crash_signals[i], &sa, &conf_crash_old[i]);
    conf_crash_installed = true;
}

/* For a case that ends in exit() on purpose (.exit_code): no message then. */
static inline void conf_expect_exit(void) { conf_case_open = false; }

static inline void conf_unname_crashes(void)
{
    conf_case_open = false;
    if (!conf_crash_installed)
        return;
    for (size_t i = 0; i < CONF_NCRASH_SIGNALS; i++)
        sigaction(conf_crash_signals[i], &conf_crash_old[i], NULL);
    conf_crash_installed = false;
}

/* A heap + mutator for one test run. */
typedef struct conf_ctx {
    const gc_collector_ops *ops;
    const char *name;
    const char *mode;
    bool stress;
    gc_config cfg;
    gc_heap *h;
    gc_mutator *m;
} conf_ctx;

/* Fails with the collector and mode in front of the message. Cheap when the
 * condition holds, so it may sit in loops over every object. */
#define CONF_ASSERT(c, cond, fmt, ...)                                                       \
    do {                                                                                     \
        if (!(cond))                                                                         \
            cr_assert_fail("%s/%s: " fmt " [failed: %s]", (c)->name, (c)->mode, ##__VA_ARGS__, \
                           #cond);                                                           \
    } while (0)

/* Creates the heap. In STRESS mode collects every `stress_interval`
 * allocations and verifies the heap after every pause. Names the case in
 * the log and in the message of a crash. */
static inline void conf_open(conf_ctx *c, const conf_param *p, size_t heap_limit,
                             uint64_t stress_interval)
{
    memset(c, 0, sizeof *c);
    c->name = "?";
    c->mode = conf_mode_name(p->mode);
    c->ops = conf_param_collector(p);
    c->name = c->ops->name;
    conf_name_crashes(c->name, c->mode);
    cr_log_info("conformance: %s/%s", c->name, c->mode);
    c->stress = p->mode == CONF_STRESS;
    c->cfg.heap_limit = heap_limit;
    if (c->stress) {
        c->cfg.stress = stress_interval ? stress_interval : 1;
        c->cfg.verify = true;
    }
    char err[256] = "";
    c->h = gc_heap_create(c->name, &c->cfg, err, sizeof err);
    CONF_ASSERT(c, c->h != NULL, "gc_heap_create failed: %s", err);
    c->m = gc_mutator_attach(c->h);
    CONF_ASSERT(c, c->m != NULL, "gc_mutator_attach failed");
}

static inline void conf_close(conf_ctx *c)
{
    if (c->m)
        gc_mutator_detach(c->m);
    if (c->h)
        gc_heap_destroy(c->h);
    c->m = NULL;
    c->h = NULL;
    conf_unname_crashes();
}

/* Runs the verifier explicitly (NORMAL mode does not verify after pauses). */
static inline void conf_verify(conf_ctx *c, const char *where)
{
    size_t bad = gc_verify_heap(c->h);
    CONF_ASSERT(c, bad == 0, "heap verifier found %zu problems %s", bad, where);
}

static inline uint64_t conf_heap_used(conf_ctx *c)
{
    gc_heap_stats st;
    gc_heap_get_stats(c->h, &st);
    return st.heap_used_bytes;
}

/* ---- deterministic PRNG (splitmix64) ---------------------------------------- */

typedef struct conf_rng {
    uint64_t s;
} conf_rng;

static inline uint64_t conf_rng_next(conf_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* Uniform in [lo, hi]. */
static inline uint64_t conf_rng_range(conf_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + conf_rng_next(r) % (hi - lo + 1);
}

/* The seed of a randomized test: $GCBENCH_TEST_SEED if set, else fresh.
 * Always printed so a failure can be replayed. */
static inline uint64_t conf_seed(const char *test, const char *collector, const char *mode)
{
    const char *env = getenv("GCBENCH_TEST_SEED");
    uint64_t seed;
    if (env && *env) {
        seed = strtoull(env, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000007ull) ^ (uint64_t)ts.tv_nsec ^
               ((uint64_t)getpid() << 32);
    }
    fprintf(stderr, "%s %s/%s: seed %" PRIu64 " (replay with GCBENCH_TEST_SEED=%" PRIu64 ")\n",
            test, collector, mode, seed, seed);
    cr_log_info("%s %s/%s: seed %" PRIu64, test, collector, mode, seed);
    return seed;
}

/* ---- Threads: several mutators on one heap (issue 14, docs/threads.md) -----------
 *
 * A threaded case runs a *team* of worker threads on one heap. Each worker
 * attaches its own mutator from its own thread (uv_thread_create), runs the
 * test's body, and detaches. The case's own thread (the Criterion test) is
 * not a mutator while the team runs, unless the test attached one (c->m):
 * then it joins the workers INACTIVE (gc_mutator_join).
 *
 * Criterion's assertions abort the test from the test's thread only, so a
 * worker never calls cr_assert: it reports with CONF_TCHECK / conf_tfail,
 * which record the first failure (printed at once on stderr, so that a
 * later hang still shows it), break the team's barrier so no worker waits
 * for one that gave up, and return false from the body. conf_team_run then
 * fails the case with that message. Every threaded test also has a
 * Criterion .timeout, so a handshake that never completes fails the case
 * instead of hanging the run.
 *
 * Blocking in a worker follows core/threads.h: every wait (barrier, flag,
 * lock) is INACTIVE, so it never stalls another thread's collection. */

/* CONF_TSAN: 1 in a ThreadSanitizer build (5-15x slower; a suite may do
 * less work there: interleavings, not volume, find races). */
#if defined(__SANITIZE_THREAD__)
#define CONF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONF_TSAN 1
#endif
#endif
#ifndef CONF_TSAN
#define CONF_TSAN 0
#endif
/* CONF_ASAN: 1 in the AddressSanitizer build (about 3x slower). */
#if defined(__SANITIZE_ADDRESS__)
#define CONF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONF_ASAN 1
#endif
#endif
#ifndef CONF_ASAN
#define CONF_ASAN 0
#endif


/* Mutator thread counts every threaded case runs with. */
#define CONF_NTHREAD_COUNTS 3
static const int conf_thread_counts[CONF_NTHREAD_COUNTS] = {1, 2, 4};
#define CONF_MAX_WORKERS 8

typedef struct conf_tparam {
    int collector; /* as conf_param.collector */
    int mode;      /* conf_mode */
    int threads;   /* mutator threads: 1, 2 or 4 */
} conf_tparam;

/* One parameter per (collector, mode, thread count) for the selected
 * collectors `pred` accepts (all when NULL); the special collector values
 * of conf_make_params_where when there is none. */
static inline struct criterion_test_params
conf_make_thread_params_where(bool (*pred)(const gc_collector_ops *ops))
{
    size_t n = conf_ncollectors(), k = 0;
    bool ok = conf_filter_check_loudly();
    for (size_t i = 0; ok && i < n; i++)
        k += conf_selected(gc_registered_collectors[i]) && (!pred || pred(gc_registered_collectors[i]));
    size_t len = k ? k * CONF_MODE_COUNT * CONF_NTHREAD_COUNTS : 1;
    conf_tparam *ps = cr_malloc(len * sizeof *ps);
    if (k == 0) {
        ps[0] = (conf_tparam){!ok ? CONF_BAD_FILTER : n == 0 ? CONF_NO_COLLECTOR : CONF_NONE_QUALIFIES,
                              CONF_NORMAL, 1};
    } else {
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (conf_selected(gc_registered_collectors[i]) && (!pred || pred(gc_registered_collectors[i])))
                for (int mo = 0; mo < CONF_MODE_COUNT; mo++)
                    for (int t = 0; t < CONF_NTHREAD_COUNTS; t++)
                        ps[j++] = (conf_tparam){(int)i, mo, conf_thread_counts[t]};
    }
    return cr_make_param_array(conf_tparam, ps, len, conf_params_free);
}

static char conf_tmode_name[32]; /* "normal/4t": conf_ctx.mode of a threaded case */

/* conf_open for a threaded case: c->mode reads "<mode>/<threads>t" in
 * messages and in the name of a crash. */
static inline void conf_topen(conf_ctx *c, const conf_tparam *p, size_t heap_limit, uint64_t stress_interval)
{
    conf_param cp = {p->collector, p->mode};
    conf_open(c, &cp, heap_limit, stress_interval);
    snprintf(conf_tmode_name, sizeof conf_tmode_name, "%s/%dt", conf_mode_name(p->mode), p->threads);
    c->mode = conf_tmode_name;
    conf_name_crashes(c->name, c->mode);
}

/* The case's thread gives up its mutator (the workers are then the only
 * mutators); conf_reattach takes one again, e.g. to check the heap after
 * the team is done. */
static inline void conf_detach_main(conf_ctx *c)
{
    if (c->m)
        gc_mutator_detach(c->m);
    c->m = NULL;
}
static inline void conf_reattach(conf_ctx *c)
{
    if (!c->m)
        c->m = gc_mutator_attach(c->h);
    CONF_ASSERT(c, c->m != NULL, "gc_mutator_attach failed");
}

typedef struct conf_team conf_team;

typedef struct conf_worker {
    conf_team *team;
    int id;          /* 0 .. team->n - 1 */
    gc_mutator *m;   /* attached by the worker's own thread; a body may swap it */
    conf_rng rng;    /* seeded from the case's seed and id */
    uv_thread_t thread;
} conf_worker;

/* A worker's body: false after a failure (already recorded). */
typedef bool (*conf_worker_fn)(conf_worker *w);

struct conf_team {
    conf_ctx *c;
    int n;
    conf_worker_fn fn;
    void *arg;                  /* the test's shared state */
    conf_worker w[CONF_MAX_WORKERS];
    uv_mutex_t fail_mu;         /* guards failure */
    atomic_bool failed;
    char failure[1024];
    /* A reusable barrier of n workers, broken by a failure. */
    uv_mutex_t bar_mu;
    uv_cond_t bar_cv;
    int bar_waiting;
    unsigned bar_gen;
    bool bar_broken;
};

/* Locks mu from a worker: inactive while it waits if the worker has a
 * mutator (core/threads.h), plainly otherwise. */
static inline void conf_tlock(conf_worker *w, uv_mutex_t *mu)
{
    if (w->m)
        gc_mutator_lock(w->m, mu);
    else
        uv_mutex_lock(mu);
}

static inline void conf_tfail_v(conf_worker *w, const char *fmt, va_list ap)
{
    conf_team *t = w->team;
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    conf_tlock(w, &t->fail_mu);
    if (!atomic_load(&t->failed)) {
        snprintf(t->failure, sizeof t->failure, "%s/%s, thread %d of %d: %s", t->c->name, t->c->mode, w->id,
                 t->n, msg);
        fprintf(stderr, "threads: FAILED %s\n", t->failure);
        atomic_store(&t->failed, true);
    }
    uv_mutex_unlock(&t->fail_mu);
    conf_tlock(w, &t->bar_mu);
    t->bar_broken = true;
    uv_cond_broadcast(&t->bar_cv);
    uv_mutex_unlock(&t->bar_mu);
}

/* Records a failure of worker w (the first one wins). */
static inline void conf_tfail(conf_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void conf_tfail(conf_worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_tfail_v(w, fmt, ap);
    va_end(ap);
}

static inline bool conf_tfailed(const conf_team *t) { return atomic_load(&t->failed); }

/* In a worker body: fails the case and returns false from the body. Cheap
 * when cond holds. */
#define CONF_TCHECK(w, cond, fmt, ...)                                   \
    do {                                                                 \
        if (!(cond)) {                                                   \
            conf_tfail((w), fmt " [failed: %s]", ##__VA_ARGS__, #cond); \
            return false;                                                \
        }                                                                \
    } while (0)

/* Waits until all n workers arrive (inactive while waiting). False when the
 * barrier is broken by a failure: the body should return false. */
static inline bool conf_team_wait(conf_worker *w)
{
    conf_team *t = w->team;
    conf_tlock(w, &t->bar_mu);
    if (t->bar_broken) {
        uv_mutex_unlock(&t->bar_mu);
        return false;
    }
    unsigned gen = t->bar_gen;
    if (++t->bar_waiting == t->n) {
        t->bar_waiting = 0;
        t->bar_gen++;
        uv_cond_broadcast(&t->bar_cv);
        uv_mutex_unlock(&t->bar_mu);
        return true;
    }
    while (gen == t->bar_gen && !t->bar_broken) {
        if (w->m)
            gc_mutator_cond_wait(w->m, &t->bar_cv, &t->bar_mu);
        else
            uv_cond_wait(&t->bar_cv, &t->bar_mu);
    }
    bool ok = gen != t->bar_gen;
    uv_mutex_unlock(&t->bar_mu);
    return ok;
}

/* Waits (inactive, polling every millisecond) until *flag >= value. False
 * if the team failed meanwhile. */
static inline bool conf_wait_flag(conf_worker *w, atomic_int *flag, int value)
{
    while (atomic_load(flag) < value) {
        if (conf_tfailed(w->team))
            return false;
        if (w->m)
            gc_mutator_sleep_ms(w->m, 1);
        else
            uv_sleep(1);
    }
    return true;
}

static inline void conf_worker_main(void *arg)
{
    conf_worker *w = arg;
    conf_team *t = w->team;
    w->m = gc_mutator_attach(t->c->h);
    if (!w->m) {
        conf_tfail(w, "gc_mutator_attach returned NULL from a new thread");
        return;
    }
    size_t depth = gc_roots_save(w->m);
    t->fn(w);
    if (w->m) {
        gc_roots_restore(w->m, depth);
        gc_mutator_detach(w->m);
        w->m = NULL;
    }
}

/* Runs fn on n worker threads (each with its own mutator) and waits for
 * them; fails the case with the first failure a worker recorded. `seed`
 * seeds the workers' generators (worker i: seed + i * golden ratio). */
static inline void conf_team_run(conf_team *t, conf_ctx *c, int n, conf_worker_fn fn, void *arg, uint64_t seed)
{
    CONF_ASSERT(c, n >= 1 && n <= CONF_MAX_WORKERS, "team of %d threads", n);
    memset(t, 0, sizeof *t);
    t->c = c;
    t->n = n;
    t->fn = fn;
    t->arg = arg;
    atomic_init(&t->failed, false);
    CONF_ASSERT(c, uv_mutex_init(&t->fail_mu) == 0 && uv_mutex_init(&t->bar_mu) == 0 &&
                       uv_cond_init(&t->bar_cv) == 0,
                "cannot create the team's locks");
    int started = 0;
    for (int i = 0; i < n; i++) {
        t->w[i] = (conf_worker){.team = t, .id = i, .rng = {seed + (uint64_t)i * 0x9e3779b97f4a7c15ull}};
        if (uv_thread_create(&t->w[i].thread, conf_worker_main, &t->w[i]) != 0) {
            conf_tfail(&t->w[i], "uv_thread_create failed");
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        if (c->m)
            gc_mutator_join(c->m, &t->w[i].thread);
        else
            uv_thread_join(&t->w[i].thread);
    }
    uv_mutex_destroy(&t->fail_mu);
    uv_mutex_destroy(&t->bar_mu);
    uv_cond_destroy(&t->bar_cv);
    cr_assert(!atomic_load(&t->failed), "%s", t->failure);
}

/* ---- A pause log readable while the team runs ------------------------------------
 * The heap's own log (gc_heap_get_stats) may only be read when no other
 * mutator can collect. This listener copies every pause into a fixed array
 * as it ends: the listener runs inside the pause, with the world stopped,
 * so pauses (and their records) never overlap; entry i is written before
 * the count is published (release), and never again. */
#define CONF_PAUSE_LOG 8192

typedef struct conf_pause_log {
    gc_pause p[CONF_PAUSE_LOG];
    atomic_size_t n;       /* pauses ended; entries [0, min(n, CONF_PAUSE_LOG)) are set */
    atomic_size_t explicit_n; /* of which reason explicit */
} conf_pause_log;

static inline void conf_pause_log_listener(void *data, const gc_pause *p)
{
    conf_pause_log *log = data;
    size_t i = atomic_load_explicit(&log->n, memory_order_relaxed);
    if (i < CONF_PAUSE_LOG)
        log->p[i] = *p;
    if (p->reason == GC_REASON_EXPLICIT)
        atomic_store_explicit(&log->explicit_n, atomic_load_explicit(&log->explicit_n, memory_order_relaxed) + 1,
                              memory_order_release);
    atomic_store_explicit(&log->n, i + 1, memory_order_release);
}

/* Installs the listener (before the team starts). */
static inline void conf_pause_log_attach(conf_pause_log *log, gc_heap *h)
{
    atomic_init(&log->n, 0);
    atomic_init(&log->explicit_n, 0);
    gc_event_listener l = {conf_pause_log_listener, log};
    gc_heap_set_listener(h, &l);
}

static inline size_t conf_pause_count(conf_pause_log *log) { return atomic_load_explicit(&log->n, memory_order_acquire); }
static inline size_t conf_explicit_count(conf_pause_log *log)
{
    return atomic_load_explicit(&log->explicit_n, memory_order_acquire);
}

#endif /* GC_TESTS_CONFORMANCE_H */
