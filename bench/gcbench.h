/* bench/gcbench.h — what every part of the gcbench executable shares: the
 * process exit codes (documented in docs/output-formats.md) and the version.
 *
 * Exit codes are part of gcbench's interface: scripts and sweeps classify a
 * run by them, so each has a name here and a row in the docs table, and the
 * values never change once published.
 */
#ifndef GCB_GCBENCH_H
#define GCB_GCBENCH_H

#include "../core/heap.h"

#ifndef GCBENCH_VERSION
#define GCBENCH_VERSION "unknown"
#endif

typedef enum gcb_exit {
    GCB_EXIT_OK = 0,              /* the run completed and verified */
    GCB_EXIT_ERROR = 1,           /* other errors: --out not creatable, write failed, ... */
    GCB_EXIT_USAGE = 2,           /* bad command line or input: unknown option/collector, bad
                                     program (WL_ERR_INPUT), unreadable compare input, ... */
    GCB_EXIT_HEAP_EXHAUSTED = 3,  /* live data did not fit in --heap (core exits itself) */
    GCB_EXIT_VERIFY_FAILED = 4,   /* the workload's own result check failed */
    GCB_EXIT_VM_ERROR = 5,        /* a workload's run-time error (WL_ERR_RUNTIME), e.g. a VM program's */
    GCB_EXIT_HEAP_CORRUPT = 6     /* the heap verifier found corruption (core exits itself) */
} gcb_exit;

_Static_assert(GCB_EXIT_HEAP_EXHAUSTED == GC_EXIT_HEAP_EXHAUSTED,
               "gcbench and core disagree on the heap-exhausted exit code");
_Static_assert(GCB_EXIT_HEAP_CORRUPT == GC_EXIT_HEAP_CORRUPT,
               "gcbench and core disagree on the heap-corrupt exit code");

#endif /* GCB_GCBENCH_H */
