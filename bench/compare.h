/* bench/compare.h — `gcbench compare [--format=text|csv|html] RUN_DIR...`:
 * reads each run directory's summary.json (bench/jsonread.h) and prints the
 * runs side by side, every figure with its ratio against the first run.
 * Formats: docs/output-formats.md, "gcbench compare".
 *
 * All inputs are read and checked before anything is printed: a missing
 * directory, a directory without summary.json, malformed JSON or a figure of
 * the wrong type is a clear message on stderr and GCB_EXIT_USAGE, never a
 * partial table.
 */
#ifndef GCB_COMPARE_H
#define GCB_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "jsonread.h"

typedef enum gcb_compare_format {
    GCB_COMPARE_TEXT = 0, /* aligned table, one column per run */
    GCB_COMPARE_CSV,      /* one row per run, raw values then ratio columns */
    GCB_COMPARE_HTML      /* a <table> fragment, one column per run */
} gcb_compare_format;

/* A loaded run: its directory name as given and its summary.json. */
typedef struct gcb_compare_run {
    const char *dir;
    gcb_jv *summary;
} gcb_compare_run;

/* Reads dir/summary.json into run (run->summary owned by the caller: free
 * with gcb_jv_free). Returns 0, or -1 with a message in err. */
int gcb_compare_load(const char *dir, gcb_compare_run *run, char *err, size_t errlen);

/* Checks every compared figure of the loaded runs and writes the table.
 * Returns 0; -1 with a message in err when a figure has the wrong type
 * (nothing is written then). Stream errors show through ferror(out). */
int gcb_compare_write(FILE *out, gcb_compare_format fmt, const gcb_compare_run *runs, size_t n,
                      char *err, size_t errlen);

/* The subcommand: argv[0] is "compare". Returns the exit code. */
int gcb_compare_main(int argc, char *argv[]);

#endif /* GCB_COMPARE_H */
