/* bench/report.h — what gcbench writes: the stdout summary, the --log-gc
 * line, and the run directory (pauses.csv, heap.csv, mmu.csv, summary.json).
 * The formats are documented in docs/output-formats.md; change both
 * together.
 *
 * Times in everything written here count from the workload's start: the
 * runner rebases core's pause log (gcb_pauses_rebase) before reporting.
 */
#ifndef GCB_REPORT_H
#define GCB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "stats.h"

/* ---- collector-specific figures (gc_heap_collector_stats) ---- */

#define GCB_MAX_COLLECTOR_STATS 32
#define GCB_STAT_NAME_MAX 64

typedef struct gcb_collector_stat {
    char name[GCB_STAT_NAME_MAX];
    uint64_t value;
} gcb_collector_stat;

typedef struct gcb_collector_stats {
    gcb_collector_stat s[GCB_MAX_COLLECTOR_STATS];
    size_t n;
} gcb_collector_stats;

/* True if summary.json has a key of this name regardless of the collector. */
bool gcb_summary_key_reserved(const char *name);
/* Keeps (name, value) for the summary unless the name is not snake_case
 * ([a-z][a-z0-9_]*, shorter than GCB_STAT_NAME_MAX), clashes with a gcbench
 * key or an earlier figure, or the table is full: then it prints
 * "gcbench: warning: ..." to warn (if not NULL) and returns -1. */
int gcb_collector_stats_add(gcb_collector_stats *cs, const char *name, uint64_t value,
                            FILE *warn);

#define GCB_MAX_WARNINGS 4

/* One finished run, as the writers see it. */
typedef struct gcb_report {
    const gcb_options *opt;
    gcb_phases phases;          /* the collector's phase names */
    gcb_run_stats stats;
    gcb_collector_stats cstats; /* extra top-level summary keys */
    const gc_pause *pauses; /* every pause, in order; start_ns since the workload's start */
    size_t npauses;
    bool verified;          /* the workload's own check passed */
    const char *detail;     /* the workload's detail message */
    int exit_code;          /* the exit code gcbench will return for this run */
    /* Warnings about the run (also printed to stderr as "gcbench: warning:
     * ..."), e.g. that --verify checked nothing; summary.json "warnings". */
    const char *warnings[GCB_MAX_WARNINGS];
    size_t nwarnings;
} gcb_report;

/* ---- unit formatting (into buf; returns buf) ---- */

/* ns, us, ms or s with 1-3 significant decimals: "850 ns", "12.3 us",
 * "1.50 ms", "2.35 s". */
const char *gcb_fmt_duration(char *buf, size_t n, uint64_t ns);
/* B, KiB, MiB, GiB (binary): "512 B", "64.0 MiB", "1.23 GiB". */
const char *gcb_fmt_bytes(char *buf, size_t n, uint64_t bytes);
/* A rate with a decimal SI prefix and the given unit: "950 MB/s", "20.3 Mobj/s". */
const char *gcb_fmt_rate(char *buf, size_t n, double per_s, const char *unit);

/* Milliseconds with about 3 significant digits and no unit: "412", "41.2",
 * "4.31", "0.190", "0.0375", "0.000440" (at most 6 decimals). */
const char *gcb_fmt_ms(char *buf, size_t n, uint64_t ns);

/* ---- writers ---- */

/* The --log-gc line for one pause, with a newline (see docs/output-formats.md):
 *   gc 12 @1.234s full (heap-limit) 4.31ms: 60.1M->13.2M (64.0M) roots 0.020ms ...
 * naming each of the collector's phases (and "other") that took any time.
 * p->start_ns must already count from the workload's start. Formats into
 * buf only (no allocation), so a pause listener can call it. */
const char *gcb_fmt_gc_log(char *buf, size_t n, const gc_pause *p, const gcb_phases *phases,
                           uint64_t limit);

/* The human-readable summary (stdout unless --quiet). */
void gcb_write_summary(FILE *f, const gcb_report *r);
/* pauses.csv / summary.json content, to any stream. pauses.csv has the
 * fixed columns GCB_PAUSES_CSV_FIXED, then phase_NAME_ns for each of the
 * collector's phases in declaration order, then other_ns, then
 * GCB_PAUSES_CSV_THREADS (appended last so older columns keep their
 * positions). */
void gcb_write_pauses_csv(FILE *f, const gcb_phases *phases, const gc_pause *pauses,
                          size_t npauses);
/* Its header row, without newline. */
void gcb_write_pauses_csv_header(FILE *f, const gcb_phases *phases);
/* Returns 0, or -1 if the JSON writer detected misuse or a stream error. */
int gcb_write_summary_json(FILE *f, const gcb_report *r);

/* heap.csv: one row per pause with the heap occupancy around it. */
void gcb_write_heap_csv(FILE *f, const gc_pause *pauses, size_t npauses, uint64_t limit);
/* mmu.csv: the MMU curve. */
void gcb_write_mmu_csv(FILE *f, const gcb_mmu_point *mmu, size_t n);

/* Writes one CSV field, quoted only if it needs to be (RFC 4180). */
void gcb_csv_field(FILE *f, const char *s);

/* The CSV header rows (without newline). */
#define GCB_PAUSES_CSV_FIXED \
    "seq,start_ns,duration_ns,kind,reason,heap_before_bytes,heap_after_bytes"
/* The columns after other_ns: gc_pause.tts_ns (part of other_ns) and
 * gc_pause.mutators. */
#define GCB_PAUSES_CSV_THREADS "tts_ns,mutators"
#define GCB_HEAP_CSV_HEADER \
    "seq,time_ns,kind,heap_before_bytes,heap_after_bytes,live_after_bytes,limit_bytes"
#define GCB_MMU_CSV_HEADER "window_ns,utilization"

/* ---- files ---- */

/* mkdir -p: creates dir and missing parents. Returns 0, or -1 with errno
 * set (ENOTDIR when a component exists and is not a directory). */
int gcb_mkdir_p(const char *dir);

/* Writes dir/name atomically: content goes to a temporary file in dir,
 * which is flushed, closed and renamed over dir/name only if every write
 * succeeded (no fsync). writer returns 0 on success. Returns 0, or -1 with a message in
 * err (the temporary file is removed). */
typedef int (*gcb_writer_fn)(FILE *f, const void *data);
int gcb_write_file_atomic(const char *dir, const char *name, gcb_writer_fn writer,
                          const void *data, char *err, size_t errlen);

/* Creates r->opt->out_dir and writes pauses.csv, heap.csv, mmu.csv, then
 * summary.json (so a summary.json marks a complete run directory). Returns
 * 0, or -1 with a message in err. */
int gcb_write_run_dir(const gcb_report *r, char *err, size_t errlen);

/* A run killed while writing (SIGKILL, a crash, a power cut) leaves its
 * temporary file (.NAME.XXXXXX) behind. gcb_write_run_dir removes such
 * temporaries of the run directory's own four files that are older than
 * GCB_STALE_TEMP_AGE_S (a run writing into the same directory right now
 * keeps its own, which are seconds old at most); nothing else in dir is
 * touched, and neither are files of another user. */
#define GCB_STALE_TEMP_AGE_S 60u
/* True for ".pauses.csv.Ab12Cd" and the same for heap.csv, mmu.csv and
 * summary.json: a dot, the name, a dot and mkstemp's six [A-Za-z0-9]. */
bool gcb_is_run_temp_name(const char *name);
/* Removes those temporaries in dir whose mtime is at least min_age_s before
 * now; returns how many it removed (0 when dir cannot be read). */
int gcb_remove_stale_temps(const char *dir, time_t now, unsigned min_age_s);

#endif /* GCB_REPORT_H */
