/* bench/report.h — what gcbench writes: the stdout summary and the run
 * directory (pauses.csv, summary.json). The formats are documented in
 * docs/output-formats.md; change both together.
 */
#ifndef GCB_REPORT_H
#define GCB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "stats.h"

/* One finished run, as the writers see it. */
typedef struct gcb_report {
    const gcb_options *opt;
    gcb_run_stats stats;
    const gc_pause *pauses; /* every pause, in order */
    size_t npauses;
    bool verified;          /* the workload's own check passed */
    const char *detail;     /* the workload's detail message */
    int exit_code;          /* the exit code gcbench will return for this run */
} gcb_report;

/* ---- unit formatting (into buf; returns buf) ---- */

/* ns, us, ms or s with 1-3 significant decimals: "850 ns", "12.3 us",
 * "1.50 ms", "2.35 s". */
const char *gcb_fmt_duration(char *buf, size_t n, uint64_t ns);
/* B, KiB, MiB, GiB (binary): "512 B", "64.0 MiB", "1.23 GiB". */
const char *gcb_fmt_bytes(char *buf, size_t n, uint64_t bytes);
/* A rate with a decimal SI prefix and the given unit: "950 MB/s", "20.3 Mobj/s". */
const char *gcb_fmt_rate(char *buf, size_t n, double per_s, const char *unit);

/* ---- writers ---- */

/* The human-readable summary (stdout unless --quiet). */
void gcb_write_summary(FILE *f, const gcb_report *r);
/* pauses.csv / summary.json content, to any stream. */
void gcb_write_pauses_csv(FILE *f, const gc_pause *pauses, size_t npauses);
/* Returns 0, or -1 if the JSON writer detected misuse or a stream error. */
int gcb_write_summary_json(FILE *f, const gcb_report *r);

/* The CSV header row (without newline). */
const char *gcb_pauses_csv_header(void);

/* ---- files ---- */

/* mkdir -p: creates dir and missing parents. Returns 0, or -1 with errno
 * set (ENOTDIR when a component exists and is not a directory). */
int gcb_mkdir_p(const char *dir);

/* Writes dir/name atomically: content goes to a temporary file in dir,
 * which is flushed, fsync'd and renamed over dir/name only if every write
 * succeeded. writer returns 0 on success. Returns 0, or -1 with a message in
 * err (the temporary file is removed). */
typedef int (*gcb_writer_fn)(FILE *f, const void *data);
int gcb_write_file_atomic(const char *dir, const char *name, gcb_writer_fn writer,
                          const void *data, char *err, size_t errlen);

/* Creates r->opt->out_dir and writes pauses.csv then summary.json (so a
 * summary.json marks a complete run directory). Returns 0, or -1 with a
 * message in err. */
int gcb_write_run_dir(const gcb_report *r, char *err, size_t errlen);

#endif /* GCB_REPORT_H */
