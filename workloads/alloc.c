/* workloads/alloc.c — "alloc": the allocation microbenchmark.
 *
 * Allocates N objects of one size and keeps none of them live, so the run
 * measures the allocation path itself — the inline fast path, the slow-path
 * refills and the collections that reclaim the garbage — and nothing else.
 * Allocation cost per object is gcbench's `ns_per_alloc` (wall / objects).
 *
 * Objects are records of object_size/8 - 1 raw words (default 32 bytes: a
 * header and three words), so no collector has anything to trace; each
 * object gets one word written, as a real initialisation would.
 *
 *   size     objects       bytes (32-byte objects)
 *   small    1,000,000     32 MB
 *   default  100,000,000   3.2 GB
 *   large    1,000,000,000 32 GB
 *
 * Maximum live size: one object (per thread). Verification: every 4096th
 * object is checked right after allocation (zeroed payload, header type
 * and length), and the mutator's allocation counter must have grown by
 * exactly N. An object is not touched after the safepoint that follows
 * its check: with several threads, another thread's collection may reuse
 * its memory there.
 *
 * Threads (wl_config.threads = T > 1): the count N is the TOTAL, split
 * evenly: each of T threads (wl_run_threads: the calling one and T-1
 * started, each attaching its own mutator) allocates N/T objects (the
 * first N mod T one more), checks its own samples, and reads its own
 * mutator's allocated_objects before and after (on its thread, before it
 * detaches); the counter check is on the sum. The volume is the same for
 * every T, so runs with different T compare directly.
 *
 * Debug hook (wl_config.debug_corrupt != 0): one sampled object (per
 * thread) gets a word written before it is checked, so the check must fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

static const uint64_t alloc_counts[] = {
    [WL_SIZE_SMALL] = 1000000ull,
    [WL_SIZE_DEFAULT] = 100000000ull,
    [WL_SIZE_LARGE] = 1000000000ull,
};

#define ALLOC_DEFAULT_BYTES 32u
#define ALLOC_CHECK_EVERY 4096u

/* Allocates n objects of `type` on m, checking every ALLOC_CHECK_EVERY-th
 * (the first included); returns the number of problems found. With
 * `corrupt`, the second sampled object gets a word written before its
 * check. One thread's whole share of the work. */
static inline uint64_t alloc_loop(gc_mutator *m, uint32_t type, uint32_t nfields, uint64_t n,
                                  bool corrupt)
{
    uint64_t bad = 0;
    uint64_t header = gc_make_header(type, nfields);
    for (uint64_t i = 0; i < n; i++) {
        gc_object *o = gc_alloc_record(m, type);
        bool sampled = i % ALLOC_CHECK_EVERY == 0;
        if (GC_UNLIKELY(sampled)) {
            if (corrupt && i == ALLOC_CHECK_EVERY && nfields > 0)
                gc_set_word(o, nfields - 1, 0xbad);
            if ((o->header & ~GC_HDR_GC_MASK) != header)
                bad++;
            for (uint32_t f = 0; f < nfields; f++)
                bad += gc_words(o)[f] != 0;
        }
        if (nfields > 0)
            gc_set_word(o, 0, i);
        /* o is garbage from here: after the safepoint (where another
         * thread's collection may have reused its memory) it is not
         * touched again. */
        if (GC_UNLIKELY(sampled))
            gc_safepoint(m);
    }
    return bad;
}

/* Several threads: each allocates its share of the count on its own
 * mutator and reads that mutator's counter before it detaches. */
typedef struct alloc_share {
    uint64_t count; /* objects this thread allocates */
    uint64_t made;  /* its mutator's allocated_objects grew by this much */
    uint64_t bad;
} alloc_share;

typedef struct alloc_job {
    uint32_t type, nfields;
    bool corrupt;
    alloc_share *shares; /* one per thread, written only by that thread */
} alloc_job;

static void alloc_thread(gc_mutator *m, unsigned index, void *arg)
{
    alloc_job *job = arg;
    alloc_share *s = &job->shares[index];
    uint64_t before = m->allocated_objects;
    s->bad = alloc_loop(m, job->type, job->nfields, s->count, job->corrupt);
    s->made = m->allocated_objects - before;
}

static int alloc_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    unsigned nthreads;
    if (!wl_thread_count(cfg, "alloc", res, &nthreads))
        return WL_ERR_INPUT;
    uint32_t bytes = cfg->object_size ? cfg->object_size : ALLOC_DEFAULT_BYTES;
    if (bytes < GC_MIN_OBJECT || bytes % 8 != 0 || bytes > 8 * (GC_MAX_FIELDS + 1)) {
        snprintf(res->detail, sizeof res->detail,
                 "object size %u: must be a multiple of 8 from %d to %d bytes", bytes, GC_MIN_OBJECT,
                 8 * (GC_MAX_FIELDS + 1));
        return WL_ERR_INPUT;
    }
    uint32_t nfields = bytes / 8 - 1;
    char layout[GC_MAX_FIELDS + 1];
    char name[32];
    for (uint32_t i = 0; i < nfields; i++)
        layout[i] = 'i';
    layout[nfields] = '\0';
    snprintf(name, sizeof name, "Alloc%u", bytes);
    uint32_t type = gc_type_register(name, layout);
    if (type == GC_TYPE_INVALID) {
        snprintf(res->detail, sizeof res->detail, "cannot register type %s", name);
        return 1;
    }

    uint64_t n = alloc_counts[cfg->size], bad = 0, made = 0;
    if (nthreads <= 1) {
        uint64_t before = m->allocated_objects;
        bad = alloc_loop(m, type, nfields, n, cfg->debug_corrupt != 0);
        made = m->allocated_objects - before; /* as the heap counted them */
    } else {
        alloc_share *shares = calloc(nthreads, sizeof *shares);
        if (shares == NULL) {
            snprintf(res->detail, sizeof res->detail, "out of memory for %u threads", nthreads);
            return 1;
        }
        for (unsigned i = 0; i < nthreads; i++)
            shares[i].count = wl_thread_share(n, nthreads, i);
        alloc_job job = {.type = type, .nfields = nfields, .corrupt = cfg->debug_corrupt != 0,
                         .shares = shares};
        wl_detail d;
        wl_detail_init(&d, res);
        if (wl_run_threads(m, nthreads, alloc_thread, &job, &d) != 0) {
            free(shares);
            return 1;
        }
        for (unsigned i = 0; i < nthreads; i++) {
            bad += shares[i].bad;
            made += shares[i].made;
        }
        free(shares);
    }
    res->verified = bad == 0 && made == n;
    if (nthreads <= 1)
        snprintf(res->detail, sizeof res->detail, "%llu objects of %u bytes%s",
                 (unsigned long long)made, bytes,
                 bad ? ": check FAILED, some objects not zeroed or with a bad header" : ", checked ok");
    else
        snprintf(res->detail, sizeof res->detail, "%llu objects of %u bytes on %u threads%s",
                 (unsigned long long)made, bytes, nthreads,
                 bad ? ": check FAILED, some objects not zeroed or with a bad header" : ", checked ok");
    if (made != n && !bad)
        snprintf(res->detail + strlen(res->detail), sizeof res->detail - strlen(res->detail),
                 "; counter FAILED: %llu objects counted, %llu expected", (unsigned long long)made,
                 (unsigned long long)n);
    return WL_OK;
}

const wl_workload wl_alloc = {
    .name = "alloc",
    .description = "allocation microbenchmark: N objects of one size (default 32 B), none kept live",
    .run = alloc_run,
};
