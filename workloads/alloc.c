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
 * Maximum live size: one object. Verification: every 4096th object is
 * checked right after allocation (zeroed payload, header type and length),
 * and the mutator's allocation counter must have grown by exactly N.
 * Debug hook (wl_config.debug_corrupt != 0): one sampled object gets a
 * word written before it is checked, so the check must fail.
 */
#include <stdio.h>

#include "workload.h"

static const uint64_t alloc_counts[] = {
    [WL_SIZE_SMALL] = 1000000ull,
    [WL_SIZE_DEFAULT] = 100000000ull,
    [WL_SIZE_LARGE] = 1000000000ull,
};

#define ALLOC_DEFAULT_BYTES 32u
#define ALLOC_CHECK_EVERY 4096u

static int alloc_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
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

    uint64_t n = alloc_counts[cfg->size], bad = 0, before = m->allocated_objects;
    uint64_t header = gc_make_header(type, nfields);
    for (uint64_t i = 0; i < n; i++) {
        gc_object *o = gc_alloc_record(m, type);
        if (GC_UNLIKELY(i % ALLOC_CHECK_EVERY == 0)) {
            if (cfg->debug_corrupt && i == ALLOC_CHECK_EVERY && nfields > 0)
                gc_set_word(o, nfields - 1, 0xbad);
            if ((o->header & ~GC_HDR_GC_MASK) != header)
                bad++;
            for (uint32_t f = 0; f < nfields; f++)
                bad += gc_words(o)[f] != 0;
            gc_safepoint(m);
        }
        if (nfields > 0)
            gc_set_word(o, 0, i);
    }
    uint64_t made = m->allocated_objects - before; /* as the heap counted them */
    res->verified = bad == 0 && made == n;
    snprintf(res->detail, sizeof res->detail, "%llu objects of %u bytes%s",
             (unsigned long long)made, bytes, bad ? ": check FAILED, some objects not zeroed or with a bad header" : ", checked ok");
    return WL_OK;
}

const wl_workload wl_alloc = {
    .name = "alloc",
    .description = "allocation microbenchmark: N objects of one size (default 32 B), none kept live",
    .run = alloc_run,
};
