/* workloads/workload.h — the workload interface.
 *
 * A workload is a mutator program: it allocates through a gc_mutator, keeps
 * its data reachable through root slots, and at the end checks its own result
 * so a collector that loses or corrupts an object fails the run. Workloads
 * never know which collector runs.
 */
#ifndef WL_WORKLOAD_H
#define WL_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/heap.h"

typedef enum wl_size { WL_SIZE_SMALL = 0, WL_SIZE_DEFAULT, WL_SIZE_LARGE } wl_size;

typedef struct wl_config {
    wl_size size;
    uint64_t seed;
    /* Debug hook (--debug-corrupt=N, tests only): when nonzero the workload
     * damages its own surviving data in way N just before verifying it, so a
     * test can see verification fail. 0 = off. */
    int debug_corrupt;
    const char *program;  /* the "program" workload: path of a .gca file */
    uint32_t object_size; /* the "alloc" workload: bytes per object (0 = its default, 32) */
    uint32_t threads;     /* mutator threads (--threads): 0 or 1 = the calling thread
                             only; workloads that support more start threads-1
                             others, each attaching its own mutator to m's heap */
    uint64_t max_steps;   /* the "program" workload: instructions before a run-time
                             error (--max-steps); 0 = the workload's default limit */
    /* Where the benchmark's work ends and the workload's final self-check
     * begins, as in GCBench's own program, whose timed region ends before
     * its check: the workload calls wl_end_timed_region(cfg) there, at most
     * once, on the calling thread, with nothing left to allocate. gcbench
     * leaves the check out of wall_ns (summary.json check_ns); NULL
     * (tests) = no one is timing. */
    void (*end_timed)(void *ctx);
    void *end_timed_ctx;
} wl_config;

static inline void wl_end_timed_region(const wl_config *cfg)
{
    if (cfg->end_timed)
        cfg->end_timed(cfg->end_timed_ctx);
}

/* What run() returns; gcbench turns it into its exit code. */
enum {
    WL_OK = 0,            /* ran to completion (res->verified tells the check) */
    WL_ERR_INPUT = 2,     /* bad input, e.g. a program that does not assemble (exit 2) */
    WL_ERR_RUNTIME = 5    /* a program's run-time error (exit 5) */
    /* any other nonzero value: did not complete (exit 1) */
};

typedef struct wl_result {
    bool verified;        /* the workload's own check passed */
    char detail[256];     /* what was checked, or what went wrong */
} wl_result;

typedef struct wl_workload {
    const char *name;
    const char *description; /* one line, for --list */
    /* Runs on mutator m; fills res. Returns WL_OK when it ran to completion
     * (res->verified says whether its check passed), else a WL_ERR_* code
     * with res->detail saying what went wrong. */
    int (*run)(gc_mutator *m, const wl_config *cfg, wl_result *res);
} wl_workload;

/* NULL-terminated, defined in workloads/registry.c. */
extern const wl_workload *const wl_registered_workloads[];
const wl_workload *wl_find(const char *name);
const char *wl_size_name(wl_size s);
int wl_size_parse(const char *s, wl_size *out); /* 0 ok, -1 unknown */

#endif /* WL_WORKLOAD_H */
