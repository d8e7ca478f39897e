/* bench/compare.h — `gcbench compare [--format=text|csv|html] [--no-group]
 * RUN_DIR...`: reads each run directory's summary.json (with jansson,
 * through bench/jsonread.h) and prints them side by side.
 *
 * By default runs are grouped by configuration (the summary keys in
 * gcb_compare_config_keys: collector, its options, workload, size, heap,
 * threads, seed, ...): one column per configuration, in the order of their
 * first run on the command line, with each figure's median over the
 * configuration's runs, its range [min..max] and the ratio of medians
 * against the first configuration. --no-group gives one column per run
 * with ratios against the first run (the format before issue 15).
 * Formats: docs/output-formats.md, "gcbench compare".
 *
 * All inputs are read and checked before anything is printed: a missing
 * directory, a directory without summary.json, malformed JSON or a figure of
 * the wrong type is a clear message on stderr and GCB_EXIT_USAGE, never a
 * partial table.
 */
#ifndef GCB_COMPARE_H
#define GCB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "jsonread.h"

typedef enum gcb_compare_format {
    GCB_COMPARE_TEXT = 0, /* aligned table, one column per configuration (run) */
    GCB_COMPARE_CSV,      /* one row per configuration (run), values then ratio columns */
    GCB_COMPARE_HTML      /* a <table> fragment, one column per configuration (run) */
} gcb_compare_format;

/* A loaded run: its directory name as given and its summary.json
 * (doc.root is a JSON object). */
typedef struct gcb_compare_run {
    const char *dir;
    gcb_jdoc doc;
} gcb_compare_run;

/* The summary.json keys whose values identify a configuration: two runs
 * belong to one configuration iff each of these keys is absent from both or
 * has equal values in both (gcb_jdoc_equal). NULL-terminated. */
extern const char *const gcb_compare_config_keys[];

/* Reads dir/summary.json into run (free with gcb_compare_run_free).
 * Returns 0, or -1 with a message in err. */
int gcb_compare_load(const char *dir, gcb_compare_run *run, char *err, size_t errlen);
/* The same from text already read; `name` is the file named in messages. */
int gcb_compare_parse(const char *dir, const char *name, const char *text, size_t len,
                      gcb_compare_run *run, char *err, size_t errlen);
void gcb_compare_run_free(gcb_compare_run *run);

/* Checks every compared figure of the loaded runs and writes the table,
 * grouped by configuration or (group false) one column per run.
 * Returns 0; -1 with a message in err when a figure has the wrong type or
 * is out of range (nothing is written then). Stream errors show through
 * ferror(out). */
int gcb_compare_write(FILE *out, gcb_compare_format fmt, bool group, const gcb_compare_run *runs,
                      size_t n, char *err, size_t errlen);

/* The subcommand: argv[0] is "compare". Returns the exit code. */
int gcb_compare_main(int argc, char *argv[]);

#endif /* GCB_COMPARE_H */
