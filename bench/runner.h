/* bench/runner.h — one gcbench invocation: parse, run, report, exit code.
 *
 *   parse -> check names -> gc_heap_create -> gc_mutator_attach
 *   -> time (uv_hrtime) wl->run + gc_heap_finish -> gc_heap_get_stats
 *   -> rebase pause times to the workload's start -> statistics (incl. MMU)
 *   -> collector figures -> stdout summary -> run directory -> detach, destroy
 *
 * wl->run's result maps to the exit code: WL_OK -> 0 or 4 (verification),
 * WL_ERR_INPUT -> 2 (no summary), WL_ERR_RUNTIME -> 5, anything else -> 1.
 * Output that could not be written (stdout, --quiet or not, e.g. a
 * --program's output; stderr, e.g. --log-gc lines) turns a 0 into 1 before
 * the run directory is written, so summary.json's exit_code says so too.
 * A --verify or --stress run that made no collection gets a warning.
 *
 * Heap exhaustion (exit 3) and heap corruption found by the verifier (exit 6)
 * end the process inside core; the runner never sees them.
 */
#ifndef GCB_RUNNER_H
#define GCB_RUNNER_H

#include "cli.h"

/* Runs one benchmark as described by o; returns the process exit code
 * (a gcb_exit value). Messages go to stderr, the summary to stdout. */
int gcb_run(const gcb_options *o);

/* The same with the workload already resolved (o->workload is only used as
 * its name in reports); for tests that run workloads of their own. */
int gcb_run_workload(const gcb_options *o, const wl_workload *wl);

/* The whole program: parses argv and dispatches (`gcbench compare ...` to
 * gcb_compare_main, `gcbench sweep ...` to gcb_sweep_main); returns the exit
 * code. */
int gcb_main(int argc, char *argv[]);

#endif /* GCB_RUNNER_H */
