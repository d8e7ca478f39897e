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
 * Every failure message starts with "<collector>/<mode>: ".
 */
#ifndef GC_TESTS_CONFORMANCE_H
#define GC_TESTS_CONFORMANCE_H

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/collector.h"

typedef enum conf_mode { CONF_NORMAL = 0, CONF_STRESS = 1, CONF_MODE_COUNT } conf_mode;

typedef struct conf_param {
    int collector; /* index into gc_registered_collectors[]; -1: none registered */
    int mode;      /* conf_mode */
} conf_param;

static inline size_t conf_ncollectors(void)
{
    size_t n = 0;
    while (gc_registered_collectors[n])
        n++;
    return n;
}

static inline void conf_params_free(struct criterion_test_params *p) { cr_free(p->params); }

/* One size_t parameter per registered collector: its registry index. */
static inline struct criterion_test_params conf_collector_index_params(void)
{
    size_t n = conf_ncollectors();
    size_t *idx = cr_malloc((n ? n : 1) * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, n, conf_params_free);
}

/* One parameter per (collector, mode) for the collectors `pred` accepts
 * (all when pred is NULL). With an empty registry a single parameter with
 * collector = -1 makes every test fail loudly; when the registry has
 * collectors but pred accepts none, collector = -2 lets the test skip. */
static inline struct criterion_test_params
conf_make_params_where(bool (*pred)(const gc_collector_ops *ops))
{
    size_t n = conf_ncollectors(), k = 0;
    for (size_t i = 0; i < n; i++)
        k += !pred || pred(gc_registered_collectors[i]);
    size_t len = k ? k * CONF_MODE_COUNT : 1;
    conf_param *ps = cr_malloc(len * sizeof *ps);
    if (k == 0) {
        ps[0] = (conf_param){n == 0 ? -1 : -2, CONF_NORMAL};
    } else {
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (!pred || pred(gc_registered_collectors[i]))
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
 * allocations and verifies the heap after every pause. */
static inline void conf_open(conf_ctx *c, const conf_param *p, size_t heap_limit,
                             uint64_t stress_interval)
{
    memset(c, 0, sizeof *c);
    c->name = "?";
    c->mode = p->mode == CONF_STRESS ? "stress" : "normal";
    if (p->collector == -2)
        cr_skip_test("no registered collector has the property this suite needs");
    cr_assert(p->collector >= 0, "no collector is registered in gc_registered_collectors[]");
    c->ops = gc_registered_collectors[p->collector];
    cr_assert(c->ops != NULL && c->ops->name != NULL, "registry entry %d is broken", p->collector);
    c->name = c->ops->name;
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

#endif /* GC_TESTS_CONFORMANCE_H */
