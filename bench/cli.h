/* bench/cli.h — gcbench's command line: the parsed options and the parser.
 *
 * gcb_parse_args is pure with respect to the process: it reads argv, fills a
 * gcb_options, and on error returns GCB_EXIT_USAGE with a message in err; it
 * prints nothing and never exits, so tests call it directly. It checks syntax
 * (sizes, numbers, --size names, unknown options, stray arguments); whether
 * a collector or workload name exists, and whether the collector options are
 * ones the collector declares, is checked by the runner, against the
 * registries.
 *
 * Collector options: --collector=NAME:OPTIONS, --gc-options=OPTIONS and the
 * aliases --nursery=SIZE ("nursery=SIZE") and --rc-cycles=on|off
 * ("cycles=on|off") all feed one option string, gcb_options.gc_options: the
 * OPTIONS of the (last) --collector first, then --gc-options and the aliases
 * in command-line order, comma-separated. Core's parser lets the last
 * occurrence of a name win.
 */
#ifndef GCB_CLI_H
#define GCB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../workloads/workload.h"

typedef enum gcb_action {
    GCB_ACTION_RUN = 0, /* run one benchmark */
    GCB_ACTION_LIST,    /* --list */
    GCB_ACTION_HELP,    /* --help */
    GCB_ACTION_VERSION  /* --version */
} gcb_action;
/* `gcbench compare ...` is a subcommand with its own parser (bench/compare.h). */

#define GCB_DEFAULT_COLLECTOR "marksweep"
#define GCB_DEFAULT_WORKLOAD "trees"
#define GCB_DEFAULT_SEED 1
/* The heap limit for --size=large when --heap is not given: trees large
 * needs 64M under marksweep (32-byte nodes); 256M leaves room for copying. */
#define GCB_DEFAULT_LARGE_HEAP_LIMIT ((size_t)256 << 20)
/* The heap limit for --size=small when --heap is not given: small enough
 * that every workload collects under every collector at --size=small (at
 * 64M none did, so --verify checked nothing), large enough that all of them
 * complete (records under marksweep needs more than 2M). */
#define GCB_DEFAULT_SMALL_HEAP_LIMIT ((size_t)4 << 20)
/* The instruction limit of a --program run when --max-steps is not given:
 * about 3 s of the release VM (5 s debug), far above what the sample
 * programs execute, so `main: jmp main` ends with exit 5. */
#define GCB_DEFAULT_MAX_STEPS UINT64_C(1000000000)
/* The workload --program runs (registered by the bytecode VM). */
#define GCB_PROGRAM_WORKLOAD "program"
/* --threads: mutator threads, 1..GCB_MAX_THREADS (wl_config.threads). The
 * bound is a sanity limit (a typo such as --threads=1000000 would start a
 * million threads), the same as the mt-gcbench peer's. */
#define GCB_MAX_THREADS 256
/* Room for a collector name and for the whole collector option string. */
#define GCB_COLLECTOR_NAME_MAX 64
#define GCB_GC_OPTIONS_MAX 512

typedef struct gcb_options {
    gcb_action action;
    char collector[GCB_COLLECTOR_NAME_MAX]; /* the name, without ":OPTIONS" */
    char gc_options[GCB_GC_OPTIONS_MAX];    /* "name=value,...", "" for none (see above) */
    const char *workload;  /* GCB_PROGRAM_WORKLOAD with --program */
    size_t heap_limit;     /* bytes; without --heap GCB_DEFAULT_SMALL_HEAP_LIMIT for
                              --size=small, GCB_DEFAULT_LARGE_HEAP_LIMIT for --size=large */
    wl_size size;
    uint64_t seed;
    const char *out_dir;   /* NULL: no run directory */
    bool verify;
    bool pretouch;         /* gc_config.pretouch */
    uint64_t stress;       /* 0: off */
    bool quiet;
    bool log_gc;           /* --log-gc: one stderr line per pause */
    int debug_corrupt;     /* --debug-corrupt -> wl_config.debug_corrupt (tests only) */
    const char *program;   /* --program -> wl_config.program; NULL: none */
    uint64_t max_steps;    /* --max-steps -> wl_config.max_steps (> 0; default
                              GCB_DEFAULT_MAX_STEPS) */
    uint32_t threads;      /* --threads -> wl_config.threads: 1..GCB_MAX_THREADS
                              (default 1); a workload that cannot run more than
                              one refuses with WL_ERR_INPUT (exit 2) */
} gcb_options;

/* The defaults: marksweep, no collector options, trees, GC_DEFAULT_HEAP_LIMIT,
 * default size, seed 1, GCB_DEFAULT_MAX_STEPS, one thread, every switch off. */
void gcb_options_init(gcb_options *o);

/* Parses argv (argv[0] is the program name). Returns 0 and fills *out, or
 * GCB_EXIT_USAGE with a one-line message (no "gcbench: " prefix) in err.
 * Uses getopt_long and resets its state, so it can be called repeatedly;
 * like every GNU getopt user it may permute the order of argv's elements
 * (never their contents). Strings in *out point into argv (collector and
 * gc_options are copies).
 * Both --opt=value and --opt value are accepted. */
int gcb_parse_args(int argc, char *const argv[], gcb_options *out, char *err, size_t errlen);

/* Parses a byte size: decimal digits with an optional binary suffix K, M or
 * G (case-insensitive; powers of 1024), optionally followed by B or iB:
 * "64M", "512k", "1G", "64MB", "64MiB", "1048576", "1048576B". Rejects empty
 * strings, zero, signs, spaces, fractions, unknown suffixes and values that
 * overflow size_t. Returns 0 or -1. */
int gcb_parse_size(const char *s, size_t *out);

/* Parses an unsigned decimal integer (no sign, no spaces, no suffix) that
 * fits in uint64_t. Returns 0 or -1. */
int gcb_parse_u64(const char *s, uint64_t *out);

void gcb_print_usage(FILE *f);
void gcb_print_version(FILE *f);
/* Collectors then workloads, one line each with its description; under
 * each collector, its options (gc_collector_print_options), indented. */
void gcb_print_list(FILE *f);

#endif /* GCB_CLI_H */
