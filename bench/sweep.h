/* bench/sweep.h — `gcbench sweep`: collectors compared across heap sizes the
 * way the field does it (issue 15). The command reference, the sweep
 * directory and the exit codes are in docs/sweep.md; the aggregation
 * (sweep.csv, sweep.json) is bench/sweepagg.h.
 *
 *   validate every spec, workload and option
 *   -> DIR/params.json
 *   -> minimum heap per (collector spec, workload, size): bisection over
 *      fresh gcbench processes, cached in DIR/minheap.tsv
 *   -> the plan: every (spec, workload, multiple) point and every baseline
 *      peer, times --invocations, invocation-major, points shuffled within
 *      each round (seeded) -> DIR/plan.tsv, DIR/jobs.txt, DIR/sweep.sbatch
 *   -> (unless --plan-only) every incomplete invocation as a fresh process
 *      (uv_spawn, at most --jobs at once), each writing DIR/runs/<point>/<inv>/
 *      and, last and atomically, its `exit` file
 *   -> gcb_sweep_aggregate -> DIR/sweep.csv, DIR/sweep.json
 *
 * Invariants:
 *  - an invocation is complete iff its run directory holds `exit`; the
 *    driver writes `exit` only after the child ended by itself (an exit
 *    status, or a signal the driver did not cause), so an interrupted sweep
 *    never counts a half-written run;
 *  - DIR/plan.tsv exists only for the parameters in DIR/params.json (a new
 *    sweep removes the old plan before it writes its params.json), so
 *    --resume reuses the plan as it is and a complete invocation keeps the
 *    heap it ran with.
 */
#ifndef GCB_SWEEP_H
#define GCB_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bisection's search range: the smallest heap every collector accepts
 * and the largest probed (16G, or less on a machine with less memory). */
#define GCB_SWEEP_FLOOR ((size_t)128 << 10)
#define GCB_SWEEP_CEILING ((size_t)16 << 30)
/* Heaps are multiples of a page. */
#define GCB_SWEEP_HEAP_ALIGN ((size_t)4096)
/* Sanity bounds on the command line. */
#define GCB_SWEEP_MAX_MULTIPLE 1000.0
#define GCB_SWEEP_MAX_INVOCATIONS 100000u
#define GCB_SWEEP_MAX_JOBS 1024u
#define GCB_SWEEP_DEFAULT_MULTIPLES "1.25,1.5,2,3,4,6"
#define GCB_SWEEP_DEFAULT_OUT "sweep-out"

/* A growable vector of malloc'd strings. */
typedef struct gcb_strv {
    char **v;
    size_t n, cap;
} gcb_strv;

/* Appends a copy of s; returns 0, or -1 when out of memory. */
int gcb_strv_push(gcb_strv *s, const char *str);
/* True when s holds a string equal to str. */
bool gcb_strv_has(const gcb_strv *s, const char *str);
void gcb_strv_free(gcb_strv *s);

/* Splits a --collectors value into collector specs, appended to out
 * (exact duplicates are dropped). Entries are separated by commas; an entry
 * that contains '=' and no ':' continues the options of the spec before it
 * ("generational:nursery=1M,foo=2,marksweep" is two specs); "all" stands for
 * every registered collector, in registry order. A trailing ':' with no
 * options is dropped ("marksweep:" is "marksweep"). Names and options are
 * not checked here. Returns 0, or -1 with a message in err (an empty entry,
 * options with no spec before them). */
int gcb_sweep_split_collectors(const char *list, gcb_strv *out, char *err, size_t errlen);

/* Parses a --multiples value: comma-separated positive decimal numbers
 * (e.g. "1.25,1.5,2"), each at most GCB_SWEEP_MAX_MULTIPLE and with at most
 * six significant digits (so "%g" prints it exactly); duplicates are dropped,
 * the order is kept. Returns 0 with a malloc'd array in *out (count in *n),
 * or -1 with a message in err (empty list or entry, not a number, zero,
 * negative, too large, too precise). */
int gcb_sweep_parse_multiples(const char *list, double **out, size_t *n, char *err,
                              size_t errlen);

/* The heap of a point: multiple x base rounded up to GCB_SWEEP_HEAP_ALIGN
 * (a product within 1e-9 of a page boundary counts as on it, so 1.5 x 1M is
 * exactly 1.5M). At least one page. */
size_t gcb_sweep_heap_bytes(double multiple, size_t base);

/* The filesystem-safe id of a point (before the plan makes it unique):
 * "<spec>.<workload>.<size>.x<mult>" with ':' -> '_', '=' -> '-', ',' ->
 * '+' and any character outside [A-Za-z0-9._+-] -> '_' in the spec; a peer
 * (mult NULL, spec "peer:NAME") is "peer-NAME.<workload>.<size>". */
void gcb_sweep_point_id(char *buf, size_t n, const char *spec, const char *workload,
                        const char *size, const char *mult);

/* s quoted for a POSIX shell: in single quotes, each ' written as '\''.
 * Returns a malloc'd string (NULL when out of memory). */
char *gcb_sweep_shell_quote(const char *s);

/* The subcommand: argv[0] is "sweep". Returns the exit code (docs/sweep.md):
 * 0 every invocation completed (gaps allowed), 1 some failed or could not be
 * run, 2 bad input, 128+S interrupted by signal S (SIGINT, SIGTERM). */
int gcb_sweep_main(int argc, char *argv[]);

#endif /* GCB_SWEEP_H */
