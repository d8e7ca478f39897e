/* bench/sweepagg.h — aggregation of a sweep directory (`gcbench sweep`,
 * issue 15) into DIR/sweep.csv and DIR/sweep.json.
 *
 * The sweep directory is described in docs/sweep.md; what is computed and
 * every column of the two outputs in docs/methodology.md. In short: every
 * line of DIR/plan.tsv is one invocation of one point (collector spec,
 * workload, size, heap multiple; a baseline peer is a point without a
 * multiple). An invocation is
 *   - missing  when its run directory has no `exit` file (it never ran, or
 *              it was interrupted: `exit` is written last);
 *   - ok       when `exit` says 0 and its result is readable (summary.json
 *              for a gcbench run, `wall_ns N` in `stdout` for a peer);
 *   - a gap    when `exit` says 3 (heap exhausted: the configuration does
 *              not fit, a gap in the time-space curve, not a failure);
 *   - failed   otherwise: any other status, an `exit` file that is not a
 *              number, or status 0 with an unreadable result (counted as
 *              failed, and the note says why).
 * planned = ok + gaps + failed + missing, always.
 *
 * Per point and metric (wall_ns, gc_ns, mutator_ns, pause_max_ns,
 * pause_p99_ns, mmu_1ms, mmu_10ms, mmu_100ms; peers: wall_ns only) over
 * the ok invocations: n, median, mean, sample standard deviation, the 95%
 * Student-t confidence interval of the mean (none when n < 2), min, max, and
 * the median normalised to the baseline collector's median at the same
 * workload, size and multiple.
 *
 * Reading is strict and never trusts the files: a malformed params.json or
 * plan.tsv is an error (-1, "FILE:LINE: what is wrong"); a malformed run
 * directory is one failed invocation, never a crash and never a number.
 * The outputs are deterministic functions of the directory's contents and
 * are written atomically (NAME.tmp, then rename), so a reader sees the old
 * file or the new one.
 */
#ifndef GCB_SWEEPAGG_H
#define GCB_SWEEPAGG_H

#include <stddef.h>
#include <stdio.h>

/* Reads DIR/params.json, DIR/plan.tsv and every run directory; writes DIR/sweep.csv and
 * DIR/sweep.json (atomically). Writes to `note` (may be NULL) one line per problem: each failed
 * invocation (its exit status and the first line of its stderr) and a count of the missing ones,
 * listing up to 20 as "missing: <run_dir>". Returns 0 on success (even with failures or missing
 * invocations: they are in the files), -1 with a message in err when DIR cannot be read or the
 * outputs cannot be written. Counts are returned in *counts when counts is non-NULL. */
typedef struct gcb_sweep_counts { size_t planned, ok, gaps, failed, missing; } gcb_sweep_counts;
int gcb_sweep_aggregate(const char *dir, FILE *note, gcb_sweep_counts *counts, char *err, size_t errlen);

/* Details of the contract above, fixed here so the driver can rely on them:
 * - note lines start with "gcbench: " and end with "\n":
 *     gcbench: failed: <run_dir> (exit N): <first line of its stderr>
 *     gcbench: failed: <run_dir> (exit 0): <why the result is unreadable>
 *     gcbench: missing: K of N invocations (no exit file)
 *     gcbench: missing: <run_dir>            (at most 20 such lines)
 *     gcbench: missing: ... and M more
 *   (quoted text is escaped: control characters and invalid UTF-8 as \xNN);
 * - err gets no "gcbench: " prefix (the caller adds it) and no newline;
 * - *counts is written once params.json, plan.tsv and the run directories
 *   were read (also when writing the outputs then fails), and left
 *   untouched when DIR could not be read: a caller can preset a sentinel
 *   (planned = SIZE_MAX) to tell "unreadable" from "unwritable". */

#endif /* GCB_SWEEPAGG_H */
