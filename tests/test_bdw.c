/* tests/test_bdw.c — the bdw collector (collectors/bdw.c: libgc behind the
 * collector interface; docs/collectors/bdw.md).
 *
 * bdw is registered only when the build found libgc, never in the
 * sanitizer builds: there every case here skips, saying why. The shared
 * suites (conformance, moving, workloads, vm) run bdw too, since it is
 * registered; these cases check what is particular to it:
 *  - the harness's precise roots (root stacks, global roots, root scanners)
 *    keep objects alive although they live in memory libgc does not scan;
 *  - several mutator threads whose root arrays are rewritten between
 *    safepoints while other threads collect (bdw stops our world before
 *    libgc stops its own);
 *  - every libgc collection is one recorded pause, with bdw's phases;
 *  - one bdw heap at a time; a later, smaller heap after a larger one;
 *  - workloads verify, VM programs run, exhaustion is exit code 3, all
 *    through the gcbench binary, and a one-mutator run configures libgc as
 *    the peer program bdw_gcbench does (no parallel markers).
 * Each libgc-global check runs in its own process (Criterion forks per test).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <uv.h>

#include "collectors/registry.h"
#include "core/collector.h"
#include "core/threads.h"
#include "tmpdir.h"

extern char **environ;

TestSuite(bdw, .fini = remove_tmpdirs);

#define MIB ((size_t)1 << 20)

/* The bdw descriptor, or a skip when this build has none. */
static const gc_collector_ops *bdw_or_skip(void)
{
    const gc_collector_ops *ops = gc_collector_find("bdw");
    if (!ops)
        cr_skip_test("bdw is not registered in this build (libgc not found at configure time, or a "
                     "sanitizer build, which never links libgc)");
    return ops;
}

static gc_heap *open_bdw(size_t limit, gc_mutator **m)
{
    bdw_or_skip();
    gc_config cfg = {.heap_limit = limit};
    char err[256] = "";
    gc_heap *h = gc_heap_create("bdw", &cfg, err, sizeof err);
    cr_assert_not_null(h, "gc_heap_create(bdw): %s", err);
    if (m) {
        *m = gc_mutator_attach(h);
        cr_assert_not_null(*m);
    }
    return h;
}

/* A collector figure from ops->stats, by name (UINT64_MAX when absent). */
typedef struct stat_find {
    const char *name;
    uint64_t value;
} stat_find;

static void stat_emit(void *ctx, const char *name, uint64_t value)
{
    stat_find *f = ctx;
    if (strcmp(name, f->name) == 0)
        f->value = value;
}

static uint64_t bdw_stat(gc_heap *h, const char *name)
{
    stat_find f = {name, UINT64_MAX};
    gc_heap_collector_stats(h, stat_emit, &f);
    cr_assert_neq(f.value, UINT64_MAX, "bdw reports no figure '%s'", name);
    return f.value;
}

/* Rec: {next: ref, other: ref, tag: raw} */
static uint32_t rec_type(void) { return gc_type_register("BdwRec", "rri"); }

static uint64_t tag_of(unsigned who, uint64_t i) { return ((uint64_t)who << 40) ^ (i * 0x9e3779b97f4a7c15ull) ^ 0x5a5a; }

/* Garbage: records nothing refers to. */
static void churn(gc_mutator *m, size_t bytes)
{
    uint32_t ty = rec_type();
    size_t each = gc_size_for(GC_KIND_RECORD, 3);
    for (size_t done = 0; done < bytes; done += each)
        gc_set_word(gc_alloc_record(m, ty), 2, 1);
}

/* ---- descriptor --------------------------------------------------------------------------- */

Test(bdw, descriptor)
{
    const gc_collector_ops *ops = bdw_or_skip();
    cr_assert_null(gc_collector_check(ops), "bdw's descriptor: %s", gc_collector_check(ops));
    cr_assert_eq(ops->alloc_mode, GC_ALLOC_FREELIST, "small objects come from free lists of libgc's cells");
    cr_assert(ops->alloc_zeroed, "libgc's NORMAL cells are cleared but for the link, which the header overwrites");
    cr_assert(!ops->moving, "libgc never moves objects");
    const char *want[] = {"stop-world", "roots", "mark", "start-world", "reclaim", NULL};
    for (size_t i = 0; want[i] || ops->phases[i]; i++)
        cr_assert(want[i] && ops->phases[i] && strcmp(want[i], ops->phases[i]) == 0,
                  "phase %zu is '%s', docs/collectors/bdw.md says '%s'", i, ops->phases[i] ? ops->phases[i] : "(end)",
                  want[i] ? want[i] : "(end)");
}

/* ---- one heap at a time ---------------------------------------------------------------------- */

Test(bdw, second_heap_refused)
{
    gc_mutator *m;
    gc_heap *h = open_bdw(4 * MIB, &m);
    gc_config cfg = {.heap_limit = 4 * MIB};
    char err[256] = "";
    gc_heap *h2 = gc_heap_create("bdw", &cfg, err, sizeof err);
    cr_assert_null(h2, "a second bdw heap was created while the first exists");
    cr_assert(strstr(err, "bdw heap already exists") != NULL, "unclear error for a second bdw heap: %s", err);
    /* The first one is untouched. */
    gc_value keep = GC_NIL;
    gc_root(m, &keep);
    keep = gc_value_of(gc_alloc_record(m, rec_type()));
    gc_set_word(gc_ref(keep), 2, 42);
    gc_collect(m, GC_COLLECT_MAJOR);
    cr_assert_eq(gc_words(gc_ref(keep))[2], 42);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    /* After destroy, a new one may be created. */
    h = open_bdw(4 * MIB, &m);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* ---- precise roots in memory libgc does not scan ------------------------------------------------ */

typedef struct vec {
    gc_value *v;
    size_t n, cap;
} vec;

static void scan_vec(void *data, gc_visit_fn visit, void *vctx)
{
    vec *x = data;
    for (size_t i = 0; i < x->cap; i++)
        visit(&x->v[i], vctx); /* nil beyond n: core filters it */
}

/* A chain of `len` records tagged from `who`/`base`, its head in *slot. */
static void make_chain(gc_mutator *m, gc_value *slot, unsigned who, uint64_t base, size_t len)
{
    uint32_t ty = rec_type();
    *slot = GC_NIL;
    for (size_t i = 0; i < len; i++) {
        gc_object *o = gc_alloc_record(m, ty);
        gc_set_field(m, o, 0, *slot);
        gc_set_word(o, 2, tag_of(who, base + i));
        *slot = gc_value_of(o);
    }
}

/* The chain is intact: every record has its type and tag. */
static bool chain_ok(gc_value v, unsigned who, uint64_t base, size_t len, char *why, size_t whylen)
{
    uint32_t ty = rec_type();
    for (size_t i = len; i-- > 0;) {
        if (!gc_is_ref(v)) {
            snprintf(why, whylen, "record %zu of chain %u/%" PRIu64 " missing", i, who, base);
            return false;
        }
        gc_object *o = gc_ref(v);
        if (!gc_header_valid(o->header) || gc_header_type(o->header) != ty || gc_words(o)[2] != tag_of(who, base + i)) {
            snprintf(why, whylen, "record %zu of chain %u/%" PRIu64 " at %p overwritten (header %#" PRIx64 ")", i,
                     who, base, (void *)o, o->header);
            return false;
        }
        v = gc_field(o, 0);
    }
    if (!gc_is_nil(v)) {
        snprintf(why, whylen, "chain %u/%" PRIu64 " does not end after %zu records", who, base, len);
        return false;
    }
    return true;
}

/* Objects reachable only from root slots in malloc'd memory (a root stack
 * slot, global roots, a root scanner's array) survive collections that
 * libgc starts itself and explicit ones, with their contents: libgc sees
 * them only through bdw's push-other-roots hook. Many chains, so that
 * losing them would show even if a stray word on the C stack kept one. */
Test(bdw, precise_roots_in_unscanned_memory)
{
    gc_mutator *m;
    gc_heap *h = open_bdw(8 * MIB, &m);
    enum { NCHAINS = 96, LEN = 20 };
    gc_value *stack_slots = malloc(NCHAINS * sizeof *stack_slots);
    gc_value *global_slots = malloc(NCHAINS * sizeof *global_slots);
    vec *scanned = malloc(sizeof *scanned);
    cr_assert(stack_slots && global_slots && scanned);
    scanned->v = malloc(NCHAINS * sizeof *scanned->v);
    scanned->cap = NCHAINS;
    scanned->n = 0;
    cr_assert_not_null(scanned->v);
    for (unsigned k = 0; k < NCHAINS; k++)
        scanned->v[k] = GC_NIL;
    gc_mutator_add_root_scanner(m, scan_vec, scanned);
    for (unsigned k = 0; k < NCHAINS; k++) {
        stack_slots[k] = global_slots[k] = GC_NIL;
        gc_root(m, &stack_slots[k]);
        gc_heap_add_root(h, &global_slots[k]);
        scanned->n = k + 1;
        make_chain(m, &stack_slots[k], 0, k * 1000, LEN);
        make_chain(m, &global_slots[k], 1, k * 1000, LEN);
        make_chain(m, &scanned->v[k], 2, k * 1000, LEN);
    }
    char why[256];
    size_t pauses_before = 0;
    for (int round = 0; round < 4; round++) {
        churn(m, 24 * MIB); /* libgc collects on its own (threshold) */
        if (round % 2)
            gc_collect(m, GC_COLLECT_MAJOR);
        for (unsigned k = 0; k < NCHAINS; k++) {
            cr_assert(chain_ok(stack_slots[k], 0, k * 1000, LEN, why, sizeof why), "root stack, round %d: %s",
                      round, why);
            cr_assert(chain_ok(global_slots[k], 1, k * 1000, LEN, why, sizeof why), "global root, round %d: %s",
                      round, why);
            cr_assert(chain_ok(scanned->v[k], 2, k * 1000, LEN, why, sizeof why), "root scanner, round %d: %s",
                      round, why);
        }
        gc_heap_stats st;
        gc_heap_get_stats(h, &st);
        cr_assert_gt(st.npauses, pauses_before, "round %d ran no collection", round);
        pauses_before = st.npauses;
    }
    cr_assert_eq(gc_verify_heap(h), 0, "the heap verifier found problems");
    gc_mutator_remove_root_scanner(m, scan_vec, scanned);
    for (unsigned k = 0; k < NCHAINS; k++)
        gc_heap_remove_root(h, &global_slots[k]);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    free(scanned->v);
    free(scanned);
    free(stack_slots);
    free(global_slots);
}

/* ---- free-list cells (BDW-7, BDW-8) ------------------------------------------------------------ */

/* Small objects come from free lists of libgc cells of their own size (a
 * 32-byte record in a 32-byte cell, not the 48 GC_MALLOC's extra byte
 * would make it), and libgc scans every word of such a cell: here the
 * only reference to each payload is the last word of its 32-byte holder.
 * Garbage and full collections in between must not free a payload. */
Test(bdw, small_objects_in_exact_cells_scanned_to_the_last_word)
{
    gc_mutator *m;
    gc_heap *h = open_bdw(64 * MIB, &m);
    uint32_t holder_ty = gc_type_register("BdwHolder", "iir"), payload_ty = gc_type_register("BdwPayload", "iii");
    cr_assert_eq(gc_size_for(GC_KIND_RECORD, 3), 32);
    enum { N = 100000 };
    gc_value holders = GC_NIL;
    gc_root(m, &holders);
    holders = gc_value_of(gc_alloc_ref_array(m, N));
    gc_collect(m, GC_COLLECT_MAJOR);
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    uint64_t used_before = st.heap_used_bytes;
    for (uint64_t i = 0; i < N; i++) {
        gc_object *hd = gc_alloc_record(m, holder_ty);
        gc_set_elem(m, gc_ref(holders), i, gc_value_of(hd));
        gc_set_word(hd, 0, i);
        gc_object *pl = gc_alloc_record(m, payload_ty); /* no allocation until it is stored */
        for (uint32_t w = 0; w < 3; w++)
            gc_set_word(pl, w, tag_of(7, i * 3 + w));
        gc_set_field(m, gc_ref(gc_elem(gc_ref(holders), i)), 2, gc_value_of(pl));
    }
    gc_collect(m, GC_COLLECT_MAJOR);
    gc_heap_get_stats(h, &st);
    uint64_t used = st.heap_used_bytes - used_before;
    /* 2N objects of 32 bytes: 6.4 MB in 32-byte cells, 9.6 MB in 48-byte ones. */
    cr_assert_lt(used, (uint64_t)N * 2 * 40,
                 "2 x %d 32-byte objects take %" PRIu64 " bytes of blocks (48-byte cells?)", N, used);
    for (int round = 0; round < 3; round++) {
        churn(m, 16 * MIB);
        gc_collect(m, GC_COLLECT_MAJOR);
        for (uint64_t i = 0; i < N; i++) {
            gc_object *hd = gc_ref(gc_elem(gc_ref(holders), i));
            cr_assert_eq(gc_words(hd)[0], i, "round %d: holder %" PRIu64 " changed", round, i);
            gc_value pv = gc_field(hd, 2);
            cr_assert(gc_is_ref(pv) && gc_header_type(gc_ref(pv)->header) == payload_ty,
                      "round %d: holder %" PRIu64 "'s last word no longer refers to a payload", round, i);
            for (uint32_t w = 0; w < 3; w++)
                cr_assert_eq(gc_words(gc_ref(pv))[w], tag_of(7, i * 3 + w),
                             "round %d: payload %" PRIu64 " word %u overwritten: freed and reused while referenced "
                             "from the last word of its holder",
                             round, i, w);
        }
    }
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* ---- pauses ------------------------------------------------------------------------------------- */

/* Every libgc collection is one pause (bdw_gc_count counts libgc's own),
 * of kind full, with bdw's phases partitioning its duration; collections
 * libgc starts are `threshold`, requested ones `explicit` whatever the
 * kind asked for. */
Test(bdw, pauses_recorded_with_phases)
{
    gc_mutator *m;
    gc_heap *h = open_bdw(8 * MIB, &m);
    cr_assert_eq(gc_heap_nphases(h), 5);
    churn(m, 32 * MIB);
    gc_collect(m, GC_COLLECT_MINOR);
    gc_collect(m, GC_COLLECT_ANY);
    gc_collect(m, GC_COLLECT_MAJOR);
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    uint64_t libgc = bdw_stat(h, "bdw_gc_count");
    cr_assert_eq(st.npauses, libgc, "%zu pauses recorded for %" PRIu64 " libgc collections", st.npauses, libgc);
    cr_assert_geq(st.npauses, 5, "32 MiB of garbage in an 8 MiB heap: only %zu collections", st.npauses);
    cr_assert_eq(st.collections_by_kind[GC_PAUSE_FULL], st.npauses);
    unsigned mark = 0, roots = 0, stop = 0;
    for (unsigned i = 0; i < gc_heap_nphases(h); i++) {
        const char *n = gc_heap_phase_name(h, i);
        mark = strcmp(n, "mark") == 0 ? i : mark;
        roots = strcmp(n, "roots") == 0 ? i : roots;
        stop = strcmp(n, "stop-world") == 0 ? i : stop;
    }
    uint64_t roots_total = 0;
    for (size_t i = 0; i < st.npauses; i++) {
        const gc_pause *p = &st.pauses[i];
        cr_assert_eq(p->kind, GC_PAUSE_FULL, "pause %zu has kind %s", i, gc_pause_kind_name(p->kind));
        gc_reason want = i + 3 >= st.npauses ? GC_REASON_EXPLICIT : GC_REASON_THRESHOLD;
        cr_assert_eq(p->reason, want, "pause %zu of %zu: reason %s, want %s", i, st.npauses,
                     gc_reason_name(p->reason), gc_reason_name(want));
        uint64_t sum = p->other_ns;
        for (unsigned k = 0; k < GC_MAX_PHASES; k++)
            sum += p->phase_ns[k];
        cr_assert_eq(sum, p->duration_ns, "pause %zu: phases + other = %" PRIu64 " ns, duration %" PRIu64 " ns", i,
                     sum, p->duration_ns);
        cr_assert_gt(p->phase_ns[mark], 0, "pause %zu: no time in mark", i);
        cr_assert_gt(p->phase_ns[stop], 0, "pause %zu: no time stopping the world", i);
        cr_assert_gt(p->heap_before, 0, "pause %zu: heap_before 0", i);
        cr_assert(i == 0 || p->start_ns >= st.pauses[i - 1].start_ns + st.pauses[i - 1].duration_ns,
                  "pause %zu overlaps the one before", i);
        roots_total += p->phase_ns[roots];
    }
    cr_assert_gt(roots_total, 0, "no pause spent any time pushing the harness's roots");
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* ---- a later, smaller heap ------------------------------------------------------------------------ */

static jmp_buf exh_jb;
static int exh_calls;
static void exh_handler(gc_heap *h, size_t request, void *data)
{
    (void)h;
    (void)request;
    (void)data;
    exh_calls++;
    longjmp(exh_jb, 1);
}

/* libgc's heap never shrinks: a 1 MiB heap created after a 16 MiB one
 * finds libgc's heap over its limit, bounds the blocks in use instead
 * (BDW-6), and is exhausted within its limit, its footprint never over
 * it. The 16 MiB of live data are separate objects in a malloc'd root
 * array, so a stray word on the stack cannot keep much of it. */
Test(bdw, smaller_heap_after_larger)
{
    gc_mutator *m;
    gc_heap *h = open_bdw(16 * MIB, &m);
    enum { NBIG = 1400 };
    gc_value *slots = calloc(NBIG, sizeof *slots);
    cr_assert_not_null(slots);
    for (size_t i = 0; i < NBIG; i++) {
        gc_heap_add_root(h, &slots[i]);
        slots[i] = gc_value_of(gc_alloc_value_array(m, 1000)); /* 8 KiB each: 11 MiB live */
    }
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    cr_assert_gt(st.footprint_bytes, 8 * MIB, "the first heap did not grow: %" PRIu64, st.footprint_bytes);
    cr_assert_eq(bdw_stat(h, "bdw_inherited_heap"), 0);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    free(slots);

    static gc_heap *h2;
    static gc_mutator *m2;
    static gc_value head;
    const size_t limit = 1 * MIB;
    h2 = open_bdw(limit, &m2);
    cr_assert_eq(bdw_stat(h2, "bdw_inherited_heap"), 1);
    gc_heap_get_stats(h2, &st);
    cr_assert_leq(st.footprint_bytes, limit, "footprint %" PRIu64 " over the limit at creation", st.footprint_bytes);
    gc_heap_set_exhausted_handler(h2, exh_handler, NULL);
    head = GC_NIL;
    gc_root(m2, &head);
    exh_calls = 0;
    static size_t n;
    n = 0;
    if (setjmp(exh_jb) == 0) {
        for (;;) {
            gc_object *a = gc_alloc_ref_array(m2, 500);
            gc_set_elem(m2, a, 0, head);
            head = gc_value_of(a);
            n++;
            cr_assert_lt(n, 10000, "40 MB live in a 1 MiB heap");
            if (n % 16 == 0) {
                gc_heap_get_stats(h2, &st);
                cr_assert_leq(st.footprint_bytes, limit, "footprint %" PRIu64 " over the limit after %zu arrays",
                              st.footprint_bytes, n);
            }
        }
    }
    cr_assert_eq(exh_calls, 1);
    cr_assert_gt(n * gc_size_for(GC_KIND_REF_ARRAY, 500), limit / 4, "exhausted after only %zu arrays", n);
    gc_heap_get_stats(h2, &st);
    cr_assert_leq(st.footprint_bytes, limit, "footprint %" PRIu64 " over the limit at exhaustion", st.footprint_bytes);
    cr_assert_eq(gc_verify_heap(h2), 0, "the heap verifier found problems after exhaustion");
    gc_mutator_detach(m2);
    gc_heap_destroy(h2);
}

/* ---- threads ---------------------------------------------------------------------------------------- */

/* VEC_CAP: the slots a worker moves after each allocation (64 KiB), so
 * that it spends most of its time between safepoints moving them. */
enum { NWORKERS = 4, PER_WORKER = 3000, VEC_CAP = 8192 };

typedef struct team {
    gc_heap *h;
    atomic_int attached; /* workers start once all are attached */
    atomic_bool failed;
    uv_mutex_t mu;
    char failure[512];
} team;

typedef struct worker {
    team *t;
    unsigned id;
    uv_thread_t thread;
} worker;

static void worker_fail(team *t, const char *msg)
{
    uv_mutex_lock(&t->mu);
    if (!atomic_load(&t->failed))
        snprintf(t->failure, sizeof t->failure, "%s", msg);
    atomic_store(&t->failed, true);
    uv_mutex_unlock(&t->mu);
}

static bool vec_ok(const vec *x, unsigned who, char *why, size_t whylen)
{
    uint32_t ty = rec_type();
    for (size_t i = 0; i < x->n; i++) {
        if (!gc_is_ref(x->v[i])) {
            snprintf(why, whylen, "thread %u: slot %zu lost its reference", who, i);
            return false;
        }
        gc_object *o = gc_ref(x->v[i]);
        if (!gc_header_valid(o->header) || gc_header_type(o->header) != ty || gc_words(o)[2] != tag_of(who, i)) {
            snprintf(why, whylen, "thread %u: record %zu at %p overwritten (header %#" PRIx64 ")", who, i,
                     (void *)o, o->header);
            return false;
        }
    }
    return true;
}

/* Each worker keeps its records in a root scanner's array that it moves to
 * a new malloc'd block after every allocation (the old one poisoned, then
 * freed): a collection started by another thread that read the array
 * mid-move would miss records or read freed memory. The moves happen
 * between safepoints, so with bdw stopping our world before libgc's, no
 * collection ever sees one. */
static void worker_main(void *arg)
{
    worker *w = arg;
    team *t = w->t;
    gc_mutator *m = gc_mutator_attach(t->h);
    if (!m) {
        worker_fail(t, "gc_mutator_attach failed");
        atomic_fetch_add(&t->attached, 1);
        return;
    }
    atomic_fetch_add(&t->attached, 1);
    while (atomic_load(&t->attached) < NWORKERS && !atomic_load(&t->failed))
        gc_mutator_sleep_ms(m, 1); /* inactive: never holds up a collection */
    vec x = {calloc(VEC_CAP, sizeof(gc_value)), 0, VEC_CAP}; /* nil beyond n */
    gc_mutator_add_root_scanner(m, scan_vec, &x);
    uint32_t ty = rec_type();
    char why[256];
    for (size_t i = 0; i < PER_WORKER && !atomic_load(&t->failed); i++) {
        gc_object *o = gc_alloc_record(m, ty); /* a safepoint */
        gc_set_word(o, 2, tag_of(w->id, i));
        gc_value *nv = malloc(VEC_CAP * sizeof *nv);
        if (!nv)
            abort();
        memcpy(nv, x.v, VEC_CAP * sizeof *nv);
        memset(x.v, 0xff, VEC_CAP * sizeof *x.v); /* a reader of the old block sees immediates */
        free(x.v);
        x.v = nv;
        x.v[x.n++] = gc_value_of(o);
        (void)gc_alloc_value_array(m, 128); /* garbage, so libgc collects often */
        if (i % 500 == 499) {
            gc_collect(m, GC_COLLECT_ANY);
            if (!vec_ok(&x, w->id, why, sizeof why)) {
                worker_fail(t, why);
                break;
            }
        }
    }
    if (!atomic_load(&t->failed) && !vec_ok(&x, w->id, why, sizeof why))
        worker_fail(t, why);
    gc_mutator_remove_root_scanner(m, scan_vec, &x);
    gc_mutator_detach(m);
    free(x.v);
}

Test(bdw, threads_rewriting_root_arrays, .timeout = 120)
{
    bdw_or_skip();
    static team t;
    memset(&t, 0, sizeof t);
    atomic_init(&t.failed, false);
    atomic_init(&t.attached, 0);
    cr_assert_eq(uv_mutex_init(&t.mu), 0);
    t.h = open_bdw(8 * MIB, NULL);
    /* Three teams in turn: each round's threads register with libgc and
     * unregister again. */
    for (int round = 0; round < 3; round++) {
        atomic_store(&t.attached, 0);
        static worker ws[NWORKERS];
        for (unsigned i = 0; i < NWORKERS; i++) {
            ws[i] = (worker){.t = &t, .id = i};
            cr_assert_eq(uv_thread_create(&ws[i].thread, worker_main, &ws[i]), 0);
        }
        for (unsigned i = 0; i < NWORKERS; i++)
            uv_thread_join(&ws[i].thread);
        cr_assert(!atomic_load(&t.failed), "round %d: %s", round, t.failure);
    }
    gc_heap_stats st;
    gc_heap_get_stats(t.h, &st);
    cr_assert_eq(st.peak_mutators, NWORKERS);
    size_t shared = 0;
    for (size_t i = 0; i < st.npauses; i++)
        shared += st.pauses[i].mutators > 1;
    cr_assert_gt(shared, 0, "no collection ran while several mutators were attached (%zu pauses)", st.npauses);
    cr_assert_eq(bdw_stat(t.h, "bdw_foreign_detaches"), 0);
    gc_heap_destroy(t.h);
    uv_mutex_destroy(&t.mu);
}

/* ---- the gcbench binary ---------------------------------------------------------------------------------- */

typedef struct run_result {
    int status; /* exit code, or 128 + signal */
    char *out, *err, *summary;
} run_result;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (size_t k; s && (k = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    return s;
}

/* Runs GCBENCH_BIN with the NULL-terminated arguments in a new directory
 * (its --out is DIR/run), stdout and stderr captured. */
static run_result run_gcbench(const char *first, ...)
{
    const char *dir = make_tmpdir();
    char outp[4096], errp[4096], rundir[4096], outopt[4200], sump[4200];
    snprintf(outp, sizeof outp, "%s/stdout.txt", dir);
    snprintf(errp, sizeof errp, "%s/stderr.txt", dir);
    snprintf(rundir, sizeof rundir, "%s/run", dir);
    snprintf(outopt, sizeof outopt, "--out=%s", rundir);
    snprintf(sump, sizeof sump, "%s/summary.json", rundir);
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)GCBENCH_BIN;
    argv[argc++] = outopt;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, GCBENCH_BIN, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", GCBENCH_BIN, strerror(rc));
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    run_result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws), slurp(outp), slurp(errp), slurp(sump)};
    cr_assert(r.out && r.err, "cannot read the output of gcbench");
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
    free(r->summary);
}

/* The integer after "KEY": in summary.json (-1 when absent). */
static long long summary_int(const char *summary, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = summary ? strstr(summary, pat) : NULL;
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* Each workload verifies its data on bdw, with the heap verifier after
 * every pause (bdw's contains / is_object / verify on every reachable
 * object), and libgc collected during each. */
Test(bdw, workloads_verify, .timeout = 300)
{
    bdw_or_skip();
    const char *wls[] = {"trees", "strings", "records", "cycles", "alloc"};
    for (size_t i = 0; i < sizeof wls / sizeof *wls; i++) {
        char wl[64];
        snprintf(wl, sizeof wl, "--workload=%s", wls[i]);
        run_result r = run_gcbench("--collector=bdw", wl, "--size=small", "--heap=16M", "--verify", "--quiet", NULL);
        cr_assert_eq(r.status, 0, "bdw/%s: exit %d; stderr: %s", wls[i], r.status, r.err);
        cr_assert_not_null(r.summary, "bdw/%s: no summary.json", wls[i]);
        cr_assert(strstr(r.summary, "\"collector\": \"bdw\"") && strstr(r.summary, "\"verified\": true"),
                  "bdw/%s: not verified: %s", wls[i], r.summary);
        cr_assert_gt(summary_int(r.summary, "collections"), 0, "bdw/%s: no collection", wls[i]);
        cr_assert_eq(summary_int(r.summary, "collections"), summary_int(r.summary, "bdw_gc_count"),
                     "bdw/%s: pauses and libgc's collections differ", wls[i]);
        run_free(&r);
    }
}

/* A one-mutator run leaves libgc as bdw_gcbench has it: GC_INIT only, no
 * parallel marker threads (libgc starts them once a second thread
 * registers). */
Test(bdw, one_mutator_configured_as_the_peer)
{
    bdw_or_skip();
    run_result r = run_gcbench("--collector=bdw", "--workload=trees", "--size=small", "--quiet", NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    cr_assert_eq(summary_int(r.summary, "bdw_markers"), 0, "a one-mutator bdw run has parallel markers: %s",
                 r.summary);
    cr_assert_eq(summary_int(r.summary, "bdw_inherited_heap"), 0);
    run_free(&r);
}

/* The comparison with the peer in docs/collectors/bdw.md: `trees` at its
 * default size in a 256M heap never reaches the limit (the peer has none),
 * and verifies. */
Test(bdw, trees_default_limit_does_not_bind, .timeout = 120)
{
    bdw_or_skip();
    run_result r = run_gcbench("--collector=bdw", "--workload=trees", "--heap=256M", "--quiet", NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr: %s", r.status, r.err);
    cr_assert(strstr(r.summary, "\"verified\": true"), "not verified: %s", r.summary);
    cr_assert_eq(summary_int(r.summary, "bdw_oom_retries"), 0, "the 256M limit was reached: %s", r.summary);
    long long heap = summary_int(r.summary, "bdw_heap_bytes");
    cr_assert(heap > 0 && heap < 128ll << 20, "libgc's heap %lld bytes: not well under the 256M limit", heap);
    run_free(&r);
}

/* VM programs: one thread, and four threads each with a mutator. */
Test(bdw, vm_programs, .timeout = 120)
{
    bdw_or_skip();
    run_result r = run_gcbench("--collector=bdw", "--program=" GCBENCH_SOURCE_DIR "/workloads/programs/cycles.gca",
                               "--heap=1M", "--verify", "--quiet", NULL);
    cr_assert_eq(r.status, 0, "cycles.gca on bdw: exit %d; stderr: %s", r.status, r.err);
    cr_assert_gt(summary_int(r.summary, "collections"), 0, "cycles.gca ran no collection");
    run_free(&r);
    r = run_gcbench("--collector=bdw", "--program=" GCBENCH_SOURCE_DIR "/workloads/programs/producer-consumer.gca",
                    "--threads=4", "--heap=2M", "--quiet", NULL);
    cr_assert_eq(r.status, 0, "producer-consumer.gca --threads=4 on bdw: exit %d; stderr: %s", r.status, r.err);
    cr_assert_gt(summary_int(r.summary, "collections"), 0, "producer-consumer.gca ran no collection");
    run_free(&r);
}

/* A heap too small for the live data: exit code 3 with core's message, and
 * none of libgc's "Out of Memory" warnings (bdw collects and retries
 * first; core reports the exhaustion). */
Test(bdw, exhaustion_exit_code)
{
    bdw_or_skip();
    run_result r = run_gcbench("--collector=bdw", "--workload=trees", "--heap=1M", "--quiet", NULL);
    cr_assert_eq(r.status, GC_EXIT_HEAP_EXHAUSTED, "trees in a 1 MiB heap: exit %d, want %d; stderr: %s", r.status,
                 GC_EXIT_HEAP_EXHAUSTED, r.err);
    cr_assert(strstr(r.err, "heap exhausted") && strstr(r.err, "bdw"), "no exhaustion message naming bdw: %s", r.err);
    cr_assert_null(strstr(r.err, "GC Warning"), "libgc's warning leaked to stderr: %s", r.err);
    run_free(&r);
}
