/* workloads/wl_util.c — helpers shared by the native workloads; see
 * wl_util.h. */
#include "wl_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "../core/threads.h"

/* ---- Hashing ------------------------------------------------------------------ */

uint64_t wl_mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

#define WL_FNV_PRIME UINT64_C(0x100000001b3)

uint64_t wl_hash_word(uint64_t h, uint64_t w) { return (h ^ w) * WL_FNV_PRIME; }

uint64_t wl_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * WL_FNV_PRIME;
    return h;
}

/* ---- PRNG ---------------------------------------------------------------------- */

void wl_rng_seed(wl_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        r->s[i] = wl_mix64(x);
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t wl_rng_next(wl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t wl_rng_below(wl_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift: bias below 2^-64 * n, irrelevant here. */
    return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}

uint64_t wl_rng_range(wl_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + wl_rng_below(r, hi - lo + 1);
}

uint64_t wl_rng_log_range(wl_rng *r, uint64_t lo, uint64_t hi)
{
    /* Pick a power-of-two band uniformly, then a value inside it. */
    unsigned blo = 63 - (unsigned)__builtin_clzll(lo), bhi = 63 - (unsigned)__builtin_clzll(hi);
    unsigned b = (unsigned)wl_rng_range(r, blo, bhi);
    uint64_t a = (uint64_t)1 << b, z = b == 63 ? UINT64_MAX : ((uint64_t)1 << (b + 1)) - 1;
    if (a < lo)
        a = lo;
    if (z > hi)
        z = hi;
    return wl_rng_range(r, a, z);
}

bool wl_rng_chance(wl_rng *r, unsigned percent) { return wl_rng_below(r, 100) < percent; }

/* ---- Roots and checks ------------------------------------------------------------ */

void wl_root_slots(gc_mutator *m, gc_value *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        slots[i] = GC_NIL;
        gc_root(m, &slots[i]);
    }
}

bool wl_is_type(gc_value v, uint32_t type)
{
    return gc_is_ref(v) && gc_header_type(gc_ref(v)->header) == type;
}

void wl_note(char *buf, size_t cap, const char *fmt, ...)
{
    if (cap == 0 || buf[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* ---- Detail ------------------------------------------------------------------------- */

void wl_detail_init(wl_detail *d, wl_result *res)
{
    res->verified = false;
    res->detail[0] = '\0';
    d->buf = res->detail;
    d->cap = sizeof res->detail;
    d->len = 0;
}

static void detail_advance(wl_detail *d, int n)
{
    d->len = n < 0 ? d->cap - 1 : d->len + (size_t)n;
    if (d->len >= d->cap)
        d->len = d->cap - 1;
}

void wl_detail_add(wl_detail *d, const char *fmt, ...)
{
    if (d->len + 1 >= d->cap)
        return;
    if (d->len > 0)
        detail_advance(d, snprintf(d->buf + d->len, d->cap - d->len, ", "));
    va_list ap;
    va_start(ap, fmt);
    detail_advance(d, vsnprintf(d->buf + d->len, d->cap - d->len, fmt, ap));
    va_end(ap);
}

uint32_t wl_register_type(wl_detail *d, const char *name, const char *layout)
{
    uint32_t t = gc_type_register(name, layout);
    if (t == GC_TYPE_INVALID)
        wl_detail_add(d, "cannot register record type %s (%s)", name, layout);
    return t;
}

int wl_corrupt_mode(int debug_corrupt, int nmodes)
{
    if (debug_corrupt == 0)
        return 0;
    unsigned u = debug_corrupt > 0 ? (unsigned)debug_corrupt - 1 : (unsigned)-(debug_corrupt + 1);
    return (int)(u % (unsigned)nmodes) + 1;
}

/* ---- Mutator threads ------------------------------------------------------------------ */

bool wl_one_thread(const wl_config *cfg, const char *name, wl_result *res)
{
    if (cfg->threads <= 1)
        return true;
    res->verified = false;
    snprintf(res->detail, sizeof res->detail, "workload %s runs on one thread (threads=%u asked)",
             name, cfg->threads);
    return false;
}

bool wl_thread_count(const wl_config *cfg, const char *name, wl_result *res, unsigned *n)
{
    if (cfg->threads > WL_MAX_THREADS) {
        res->verified = false;
        snprintf(res->detail, sizeof res->detail,
                 "workload %s: threads=%u, at most %u", name, cfg->threads, WL_MAX_THREADS);
        return false;
    }
    *n = cfg->threads > 1 ? cfg->threads : 1;
    return true;
}

uint64_t wl_thread_share(uint64_t total, unsigned n, unsigned index)
{
    return total / n + (index < total % n ? 1 : 0);
}

/* The start gate of wl_run_threads. Invariants (under mu): reported counts
 * the started threads that have tried to attach, failed those that got no
 * mutator; go stays 0 until reported == the number started, then becomes 1
 * (every thread runs fn) or -1 (none does) and never changes again. */
typedef struct wl_team {
    gc_heap *heap;
    wl_thread_fn fn;
    void *arg;
    uv_mutex_t mu;
    uv_cond_t cv;
    unsigned reported, failed;
    int go;
} wl_team;

typedef struct wl_member {
    wl_team *team;
    unsigned index;
    uv_thread_t tid;
} wl_member;

static void wl_member_main(void *p)
{
    wl_member *me = p;
    wl_team *t = me->team;
    gc_mutator *m = gc_mutator_attach(t->heap);
    if (m == NULL) {
        /* No mutator: a plain lock, held across no safepoint. */
        uv_mutex_lock(&t->mu);
        t->reported++;
        t->failed++;
        uv_cond_broadcast(&t->cv);
        uv_mutex_unlock(&t->mu);
        return;
    }
    /* Attached: wait for the others INACTIVE, so a collection one of them
     * starts meanwhile does not wait for this thread. */
    gc_mutator_lock(m, &t->mu);
    t->reported++;
    uv_cond_broadcast(&t->cv);
    while (t->go == 0)
        gc_mutator_cond_wait(m, &t->cv, &t->mu);
    int go = t->go;
    uv_mutex_unlock(&t->mu);
    if (go > 0) {
        size_t depth = gc_roots_save(m);
        t->fn(m, me->index, t->arg);
        GC_ASSERT(gc_roots_save(m) == depth);
        (void)depth;
    }
    gc_mutator_detach(m);
}

int wl_run_threads(gc_mutator *m, unsigned n, wl_thread_fn fn, void *arg, wl_detail *d)
{
    if (n <= 1) {
        fn(m, 0, arg);
        return 0;
    }
    wl_member *members = calloc(n, sizeof *members);
    if (members == NULL) {
        wl_detail_add(d, "cannot start %u threads: out of memory", n);
        return -1;
    }
    wl_team team = {.heap = m->heap, .fn = fn, .arg = arg};
    if (uv_mutex_init(&team.mu) != 0 || uv_cond_init(&team.cv) != 0) {
        wl_detail_add(d, "cannot start %u threads: no mutex or condition variable", n);
        free(members);
        return -1;
    }

    unsigned started = 0; /* threads 1..started are running */
    int err = 0;
    for (unsigned i = 1; i < n; i++) {
        members[i] = (wl_member){.team = &team, .index = i};
        err = uv_thread_create(&members[i].tid, wl_member_main, &members[i]);
        if (err != 0)
            break;
        started++;
    }

    gc_mutator_lock(m, &team.mu);
    while (team.reported < started)
        gc_mutator_cond_wait(m, &team.cv, &team.mu);
    unsigned failed = team.failed;
    team.go = err == 0 && failed == 0 ? 1 : -1;
    uv_cond_broadcast(&team.cv);
    uv_mutex_unlock(&team.mu);

    if (team.go > 0)
        fn(m, 0, arg);
    for (unsigned i = 1; i <= started; i++)
        gc_mutator_join(m, &members[i].tid);

    uv_cond_destroy(&team.cv);
    uv_mutex_destroy(&team.mu);
    free(members);
    if (err != 0) {
        wl_detail_add(d, "cannot start thread %u of %u: %s", started + 1, n, uv_strerror(err));
        return -1;
    }
    if (failed != 0) {
        wl_detail_add(d, "%u of %u threads could not attach a mutator to the heap", failed, n - 1);
        return -1;
    }
    return 0;
}

/* ---- Walking a binary tree at safepoints ------------------------------------------ */

/* Invariant: path[0..lvl] are the nodes from the root to the current one,
 * each in a root slot; next[k] is the field of path[k] to visit next (0:
 * left, 1: right, 2: done). Nothing raw survives a poll. */
void wl_walk_tree(gc_mutator *m, gc_value root, unsigned max_level, uint32_t left, uint32_t right,
                  wl_tree_visit_fn visit, void *ctx)
{
    GC_ASSERT(max_level <= WL_TREE_MAX_LEVEL);
    gc_value path[WL_TREE_MAX_LEVEL + 1];
    unsigned char next[WL_TREE_MAX_LEVEL + 1];
    size_t saved = gc_roots_save(m);
    for (unsigned k = 0; k <= max_level; k++) {
        path[k] = GC_NIL;
        gc_root(m, &path[k]);
    }
    if (visit(root, 0, ctx)) {
        path[0] = root;
        next[0] = 0;
        int lvl = 0;
        unsigned since_poll = 0;
        while (lvl >= 0) {
            if (next[lvl] == 2) {
                path[lvl--] = GC_NIL;
                continue;
            }
            uint32_t f = next[lvl]++ == 0 ? left : right;
            gc_value child = gc_field(gc_ref(path[lvl]), f);
            if (visit(child, (unsigned)lvl + 1, ctx) && (unsigned)lvl < max_level) {
                path[++lvl] = child;
                next[lvl] = 0;
                if (++since_poll == WL_TREE_POLL_EVERY) {
                    since_poll = 0;
                    gc_safepoint(m); /* path[] may be rewritten here */
                }
            }
        }
    }
    gc_roots_restore(m, saved);
}
