/* bench/torture.h — `gcbench torture`: random mutator operations checked
 * against a shadow graph (docs/torture.md).
 *
 * A run draws a sequence of operations from a seeded PRNG (or reads one back
 * with --replay), performs them on a fresh heap run by one collector, and
 * mirrors every one in a shadow graph kept in system memory. After every
 * collection (from the heap's pause listener, before core's own checks) and
 * at the end, the graph reachable from the roots is walked together with the
 * shadow graph and compared: shape, identities (sharing kept, no two objects
 * merged), kinds, lengths and payloads. Every operation is interpreted
 * against the current state, so any subsequence of a sequence is a valid
 * sequence: that is what lets --shrink reduce a failing sequence by delta
 * debugging.
 *
 * Exit codes (the gcb_exit values): 0 clean; 2 bad input; 3 the heap was
 * exhausted (the operation mix outgrew the heap: not a collector bug); 4 a
 * mismatch, or the run crashed or timed out (a collector bug); 6 the heap
 * verifier (--verify) found corruption; 1 other errors (a --save file that
 * cannot be written, fork failing).
 */
#ifndef GCB_TORTURE_H
#define GCB_TORTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/collector.h"

#define GCB_TORTURE_DEFAULT_OPS 20000
#define GCB_TORTURE_MAX_OPS 10000000 /* the sequence is kept in memory: 16 bytes each */
#define GCB_TORTURE_DEFAULT_HEAP ((size_t)2 << 20)
/* Seconds one run (each shrinking attempt too) may take before it counts
 * as hung (a collector that never returns); 0: no limit. */
#define GCB_TORTURE_DEFAULT_TIMEOUT 300
/* Runs --shrink may spend (delta debugging typically needs a few hundred). */
#define GCB_TORTURE_DEFAULT_SHRINK_RUNS 3000

typedef struct gcb_torture_cfg {
    uint64_t seed;          /* the PRNG seed (printed; labels a --replay) */
    uint64_t ops;           /* operations to draw (ignored with replay) */
    size_t heap_limit;      /* gc_config.heap_limit */
    uint64_t stress;        /* gc_config.stress: collect every N allocations; 0 off */
    bool verify;            /* gc_config.verify: core's heap verifier after every pause */
    bool shrink;            /* on a failure, reduce the sequence and print it */
    bool quiet;             /* print only the result lines */
    bool no_fork;           /* run in this process (for a debugger): a crash is not caught,
                               --shrink is refused */
    unsigned timeout;       /* seconds per run, 0: none (ignored with no_fork) */
    uint64_t shrink_runs;   /* most runs --shrink may spend */
    const char *replay;     /* run the operations in this file instead of drawing them */
    const char *save;       /* write the sequence (the shrunk one after --shrink) here */
} gcb_torture_cfg;

/* The defaults: seed 1, GCB_TORTURE_DEFAULT_OPS operations, a 2 MiB heap,
 * GCB_TORTURE_DEFAULT_TIMEOUT, GCB_TORTURE_DEFAULT_SHRINK_RUNS, every switch
 * off. */
void gcb_torture_cfg_init(gcb_torture_cfg *cfg);

/* Tortures the collector `ops` (registered or not: tests pass deliberately
 * broken ones) with collector options `options` (NULL or "" for none).
 * Results go to `out` ("torture: ..." lines, the shrunk sequence), error
 * messages to stderr prefixed "gcbench: ". Each run happens in a child
 * process (unless cfg->no_fork), so a collector that crashes or hangs is
 * reported like a mismatch, with the operation it was at. Returns the exit
 * code (see above). */
int gcb_torture_run(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg, FILE *out);

/* `gcbench torture ARGS...`: argv[0] is "torture". Returns the exit code. */
int gcb_torture_main(int argc, char *argv[]);

/* The help text of `gcbench torture --help`. */
void gcb_torture_usage(FILE *f);

#endif /* GCB_TORTURE_H */
