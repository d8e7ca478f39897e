/* bench/cli.c — command-line parsing, --help, --version and --list.
 * See bench/cli.h for the contract. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "../collectors/registry.h"
#include "../core/collector.h"
#include "gcbench.h"

/* Long-only options get values outside the char range. */
enum {
    GCB_OPT_COLLECTOR = 256,
    GCB_OPT_GC_OPTIONS,
    GCB_OPT_WORKLOAD,
    GCB_OPT_HEAP,
    GCB_OPT_SIZE,
    GCB_OPT_OUT,
    GCB_OPT_SEED,
    GCB_OPT_VERIFY,
    GCB_OPT_STRESS,
    GCB_OPT_LIST,
    GCB_OPT_LOG_GC,
    GCB_OPT_RC_CYCLES,
    GCB_OPT_NURSERY,
    GCB_OPT_DEBUG_CORRUPT,
    GCB_OPT_PROGRAM,
    GCB_OPT_MAX_STEPS,
    GCB_OPT_THREADS,
    GCB_OPT_PRETOUCH
};

static const struct option gcb_long_options[] = {
    {"collector", required_argument, NULL, GCB_OPT_COLLECTOR},
    {"gc-options", required_argument, NULL, GCB_OPT_GC_OPTIONS},
    {"workload", required_argument, NULL, GCB_OPT_WORKLOAD},
    {"heap", required_argument, NULL, GCB_OPT_HEAP},
    {"size", required_argument, NULL, GCB_OPT_SIZE},
    {"out", required_argument, NULL, GCB_OPT_OUT},
    {"seed", required_argument, NULL, GCB_OPT_SEED},
    {"verify", no_argument, NULL, GCB_OPT_VERIFY},
    {"stress", required_argument, NULL, GCB_OPT_STRESS},
    {"log-gc", no_argument, NULL, GCB_OPT_LOG_GC},
    {"rc-cycles", required_argument, NULL, GCB_OPT_RC_CYCLES},
    {"nursery", required_argument, NULL, GCB_OPT_NURSERY},
    {"debug-corrupt", required_argument, NULL, GCB_OPT_DEBUG_CORRUPT},
    {"program", required_argument, NULL, GCB_OPT_PROGRAM},
    {"max-steps", required_argument, NULL, GCB_OPT_MAX_STEPS},
    {"threads", required_argument, NULL, GCB_OPT_THREADS},
    {"pretouch", no_argument, NULL, GCB_OPT_PRETOUCH},
    {"quiet", no_argument, NULL, 'q'},
    {"list", no_argument, NULL, GCB_OPT_LIST},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

/* Leading ':' : report a missing argument as ':' rather than '?'. */
static const char gcb_short_options[] = ":qhV";

void gcb_options_init(gcb_options *o)
{
    memset(o, 0, sizeof *o);
    o->action = GCB_ACTION_RUN;
    snprintf(o->collector, sizeof o->collector, "%s", GCB_DEFAULT_COLLECTOR);
    o->gc_options[0] = '\0';
    o->workload = GCB_DEFAULT_WORKLOAD;
    o->heap_limit = GC_DEFAULT_HEAP_LIMIT;
    o->size = WL_SIZE_DEFAULT;
    o->seed = GCB_DEFAULT_SEED;
    o->out_dir = NULL;
    o->verify = false;
    o->pretouch = false;
    o->stress = 0;
    o->quiet = false;
    o->log_gc = false;
    o->debug_corrupt = 0;
    o->program = NULL;
    o->max_steps = GCB_DEFAULT_MAX_STEPS;
    o->threads = 1;
}

int gcb_parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*s != '\0')
        return -1;
    *out = v;
    return 0;
}

int gcb_parse_size(const char *s, size_t *out)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    uint64_t v = 0;
    const char *p = s;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    unsigned shift = 0;
    switch (tolower((unsigned char)*p)) {
    case 'k': shift = 10; p++; break;
    case 'm': shift = 20; p++; break;
    case 'g': shift = 30; p++; break;
    default: break;
    }
    if (shift != 0 && tolower((unsigned char)*p) == 'i' && tolower((unsigned char)p[1]) == 'b')
        p += 2; /* KiB, MiB, GiB */
    else if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*p != '\0' || v == 0)
        return -1;
    if (v > (uint64_t)SIZE_MAX >> shift)
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static int gcb_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int gcb_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return GCB_EXIT_USAGE;
}

/* The option name as the user wrote it, without any "=value". */
static void gcb_option_text(const char *arg, char *buf, size_t n)
{
    size_t len = strcspn(arg, "=");
    if (len >= n)
        len = n - 1;
    memcpy(buf, arg, len);
    buf[len] = '\0';
}

static const char *gcb_long_name_of(int val)
{
    for (const struct option *o = gcb_long_options; o->name != NULL; o++)
        if (o->val == val)
            return o->name;
    return "?";
}

/* Appends `text` to the comma-separated option list buf (size n); -1 when
 * it does not fit. An empty text adds nothing. */
static int gcb_options_append(char *buf, size_t n, const char *text)
{
    size_t len = strlen(buf), add = strlen(text);
    if (add == 0)
        return 0;
    if (len + (len > 0) + add + 1 > n)
        return -1;
    if (len > 0)
        buf[len++] = ',';
    memcpy(buf + len, text, add + 1);
    return 0;
}

/* A byte count in core's option syntax, as short as exact: "4M", "1536K",
 * "1000". */
static void gcb_fmt_option_size(char *buf, size_t n, size_t v)
{
    static const char suffix[] = {'G', 'M', 'K'};
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if (v % ((size_t)1 << shift) == 0) {
            snprintf(buf, n, "%zu%c", v >> shift, suffix[i]);
            return;
        }
    }
    snprintf(buf, n, "%zu", v);
}

int gcb_parse_args(int argc, char *const argv[], gcb_options *out, char *err, size_t errlen)
{
    gcb_options o;
    gcb_options_init(&o);
    if (err != NULL && errlen > 0)
        err[0] = '\0';

    /* optind = 0 makes glibc re-initialise getopt completely (it keeps
     * state between calls otherwise); opterr = 0: we report errors. */
    optind = 0;
    opterr = 0;
    bool want_list = false, want_help = false, want_version = false;
    bool heap_given = false, workload_given = false;
    uint64_t u;
    size_t sz;
    /* The collector options: those of --collector=NAME:OPTIONS (the last
     * --collector's), then the others in command-line order. */
    char spec_opts[GCB_GC_OPTIONS_MAX] = "", more_opts[GCB_GC_OPTIONS_MAX] = "", item[64];
    for (;;) {
        int c = getopt_long(argc, argv, gcb_short_options, gcb_long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case GCB_OPT_COLLECTOR: {
            const char *opts = gc_collector_spec_split(optarg, o.collector, sizeof o.collector);
            size_t nlen = strcspn(optarg, ":");
            if (nlen == 0)
                return gcb_fail(err, errlen, "--collector needs a name (NAME or NAME:OPTIONS)");
            if (nlen >= sizeof o.collector)
                return gcb_fail(err, errlen, "collector name '%.*s...' is too long", 20, optarg);
            if (strlen(opts) >= sizeof spec_opts)
                return gcb_fail(err, errlen, "collector options '%.20s...' are too long", opts);
            snprintf(spec_opts, sizeof spec_opts, "%s", opts);
            break;
        }
        case GCB_OPT_GC_OPTIONS:
            if (gcb_options_append(more_opts, sizeof more_opts, optarg) != 0)
                return gcb_fail(err, errlen, "collector options too long (at most %d characters)",
                                GCB_GC_OPTIONS_MAX - 1);
            break;
        case GCB_OPT_WORKLOAD:
            if (*optarg == '\0')
                return gcb_fail(err, errlen, "--workload needs a name");
            o.workload = optarg;
            workload_given = true;
            break;
        case GCB_OPT_HEAP:
            heap_given = true;
            if (gcb_parse_size(optarg, &o.heap_limit) != 0)
                return gcb_fail(err, errlen,
                                "invalid heap size '%s' (expected a positive number of bytes "
                                "with an optional K, M or G suffix, e.g. 64M)",
                                optarg);
            break;
        case GCB_OPT_SIZE:
            if (wl_size_parse(optarg, &o.size) != 0)
                return gcb_fail(err, errlen,
                                "invalid workload size '%s' (expected small, default or large)",
                                optarg);
            break;
        case GCB_OPT_OUT:
            if (*optarg == '\0')
                return gcb_fail(err, errlen, "--out needs a directory");
            o.out_dir = optarg;
            break;
        case GCB_OPT_SEED:
            if (gcb_parse_u64(optarg, &o.seed) != 0)
                return gcb_fail(err, errlen,
                                "invalid seed '%s' (expected an unsigned 64-bit integer)", optarg);
            break;
        case GCB_OPT_VERIFY:
            o.verify = true;
            break;
        case GCB_OPT_PRETOUCH:
            o.pretouch = true;
            break;
        case GCB_OPT_STRESS:
            if (gcb_parse_u64(optarg, &o.stress) != 0 || o.stress == 0)
                return gcb_fail(err, errlen,
                                "invalid stress interval '%s' (expected a positive integer: "
                                "collect every N allocations)",
                                optarg);
            break;
        case GCB_OPT_LOG_GC:
            o.log_gc = true;
            break;
        case GCB_OPT_RC_CYCLES:
            /* An alias: the collector option cycles=on|off. */
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
                return gcb_fail(err, errlen, "invalid --rc-cycles value '%s' (expected on or off)",
                                optarg);
            snprintf(item, sizeof item, "cycles=%s", optarg);
            if (gcb_options_append(more_opts, sizeof more_opts, item) != 0)
                return gcb_fail(err, errlen, "collector options too long (at most %d characters)",
                                GCB_GC_OPTIONS_MAX - 1);
            break;
        case GCB_OPT_NURSERY: {
            /* An alias: the collector option nursery=SIZE. */
            if (gcb_parse_size(optarg, &sz) != 0)
                return gcb_fail(err, errlen,
                                "invalid nursery size '%s' (expected a positive number of bytes "
                                "with an optional K, M or G suffix, e.g. 4M)",
                                optarg);
            char num[32];
            gcb_fmt_option_size(num, sizeof num, sz);
            snprintf(item, sizeof item, "nursery=%s", num);
            if (gcb_options_append(more_opts, sizeof more_opts, item) != 0)
                return gcb_fail(err, errlen, "collector options too long (at most %d characters)",
                                GCB_GC_OPTIONS_MAX - 1);
            break;
        }
        case GCB_OPT_DEBUG_CORRUPT:
            if (gcb_parse_u64(optarg, &u) != 0 || u > INT_MAX)
                return gcb_fail(err, errlen,
                                "invalid --debug-corrupt value '%s' (expected a small "
                                "non-negative integer; 0 = off)",
                                optarg);
            o.debug_corrupt = (int)u;
            break;
        case GCB_OPT_PROGRAM:
            if (*optarg == '\0')
                return gcb_fail(err, errlen, "--program needs a file");
            o.program = optarg;
            break;
        case GCB_OPT_MAX_STEPS:
            if (gcb_parse_u64(optarg, &o.max_steps) != 0 || o.max_steps == 0)
                return gcb_fail(err, errlen,
                                "invalid step limit '%s' (expected a positive integer: the "
                                "instructions a --program may execute)",
                                optarg);
            break;
        case GCB_OPT_THREADS:
            if (gcb_parse_u64(optarg, &u) != 0 || u == 0 || u > GCB_MAX_THREADS)
                return gcb_fail(err, errlen,
                                "invalid thread count '%s' (expected an integer from 1 to %d: "
                                "the mutator threads the workload runs)",
                                optarg, GCB_MAX_THREADS);
            o.threads = (uint32_t)u;
            break;
        case 'q':
            o.quiet = true;
            break;
        case GCB_OPT_LIST:
            want_list = true;
            break;
        case 'h':
            want_help = true;
            break;
        case 'V':
            want_version = true;
            break;
        case ':': {
            /* Missing argument: optopt is the option's val. */
            if (optopt >= 256)
                return gcb_fail(err, errlen, "option '--%s' requires an argument",
                                gcb_long_name_of(optopt));
            return gcb_fail(err, errlen, "option '-%c' requires an argument", optopt);
        }
        case '?':
        default: {
            char name[64];
            if (optopt != 0 && gcb_long_name_of(optopt)[0] != '?')
                /* A known option that takes no value, given one: --list=x. */
                return gcb_fail(err, errlen, "option '--%s' doesn't allow an argument",
                                gcb_long_name_of(optopt));
            if (optopt != 0)
                return gcb_fail(err, errlen, "unrecognized option '-%c'", optopt);
            /* An unknown or ambiguous long option; glibc has moved optind
             * past it. */
            gcb_option_text(argv[optind - 1], name, sizeof name);
            size_t len = strlen(name) > 2 ? strlen(name) - 2 : 0;
            int matches = 0;
            for (const struct option *lo = gcb_long_options; lo->name != NULL; lo++)
                if (len > 0 && strncmp(lo->name, name + 2, len) == 0)
                    matches++;
            if (matches > 1)
                return gcb_fail(err, errlen, "option '%s' is ambiguous", name);
            return gcb_fail(err, errlen, "unrecognized option '%s'", name);
        }
        }
    }
    if (optind < argc)
        return gcb_fail(err, errlen, "unexpected argument '%s'", argv[optind]);
    if (o.program != NULL) {
        if (workload_given)
            return gcb_fail(err, errlen,
                            "--program and --workload cannot be combined (--program runs the "
                            "'" GCB_PROGRAM_WORKLOAD "' workload)");
        o.workload = GCB_PROGRAM_WORKLOAD;
    }
    if (o.size == WL_SIZE_LARGE && !heap_given)
        o.heap_limit = GCB_DEFAULT_LARGE_HEAP_LIMIT;
    if (o.size == WL_SIZE_SMALL && !heap_given)
        o.heap_limit = GCB_DEFAULT_SMALL_HEAP_LIMIT;
    snprintf(o.gc_options, sizeof o.gc_options, "%s", spec_opts);
    if (gcb_options_append(o.gc_options, sizeof o.gc_options, more_opts) != 0)
        return gcb_fail(err, errlen, "collector options too long (at most %d characters)",
                        GCB_GC_OPTIONS_MAX - 1);

    if (want_help)
        o.action = GCB_ACTION_HELP;
    else if (want_version)
        o.action = GCB_ACTION_VERSION;
    else if (want_list)
        o.action = GCB_ACTION_LIST;
    *out = o;
    return 0;
}

void gcb_print_usage(FILE *f)
{
    fprintf(f,
            "Usage: gcbench [--collector=NAME[:OPTIONS]] [--gc-options=OPTIONS]\n"
            "               [--workload=NAME | --program=FILE] [--heap=SIZE]\n"
            "               [--size=small|default|large] [--threads=N] [--out=DIR]\n"
            "               [--seed=N] [--verify] [--stress=N] [--log-gc] [--quiet]\n"
            "               [--nursery=SIZE] [--rc-cycles=on|off] [--max-steps=N]\n"
            "               [--pretouch] [--debug-corrupt=N]\n"
            "       gcbench compare [--format=text|csv|html] RUN_DIR...\n"
            "       gcbench sweep [OPTIONS] [-- GCBENCH_OPTIONS]\n"
            "       gcbench torture --collector=NAME[:OPTIONS] [--seed=N] [--ops=N] ...\n"
            "       gcbench --list | --help | --version\n"
            "\n"
            "Runs one workload on one garbage collector in a heap of a fixed size and\n"
            "reports pause times, minimum mutator utilization and throughput.\n"
            "'gcbench compare' prints the summary.json of run directories side by side,\n"
            "with ratios against the first (see 'gcbench compare --help').\n"
            "'gcbench sweep' runs collectors at multiples of a minimum heap in fresh\n"
            "processes and aggregates confidence intervals (see 'gcbench sweep --help').\n"
            "'gcbench torture' checks a collector against a shadow graph of random mutator\n"
            "operations, with a replayable seed (see 'gcbench torture --help').\n"
            "\n"
            "Options (--opt=value and --opt value are both accepted):\n"
            "  --collector=NAME[:OPTIONS]\n"
            "                    collector to run (default %s), with collector options\n"
            "                    (e.g. generational:nursery=1M); see --list\n"
            "  --gc-options=OPTIONS  collector options, name=value,name=value (added after\n"
            "                    those of --collector; the last value of a name counts);\n"
            "                    --list shows each collector's options\n"
            "  --workload=NAME   workload to run (default %s; see --list)\n"
            "  --program=FILE    run the bytecode program FILE (the '%s' workload)\n"
            "  --max-steps=N     stop a --program with a run-time error (exit 5) after N\n"
            "                    instructions (default %" PRIu64 ")\n"
            "  --heap=SIZE       hard limit on the collected heap (default %zuM; %zuM with\n"
            "                    --size=small, %zuM with --size=large); bytes, or with a\n"
            "                    binary suffix K, M, G (e.g. 512K, 64M, 1G)\n"
            "  --size=SIZE       workload size: small, default or large (default default)\n"
            "  --threads=N       mutator threads, 1 to %d (default 1), each with its own\n"
            "                    mutator in the one heap; a workload that cannot run more\n"
            "                    than one thread refuses N > 1 (exit 2); for --program it\n"
            "                    sets the program's `threads` parameter\n"
            "  --out=DIR         write pauses.csv, heap.csv, mmu.csv and summary.json into\n"
            "                    DIR (created if missing)\n"
            "  --seed=N          workload random seed (default %d)\n"
            "  --verify          run the heap verifier after every collection\n"
            "  --stress=N        collect every N allocations (N > 0)\n"
            "  --log-gc          print one line per pause to stderr as it happens\n"
            "  --pretouch        fault in and touch every page the collector reserves\n"
            "                    before the timed region (as the JVM's AlwaysPreTouch):\n"
            "                    page faults then leave the run's times\n"
            "  --nursery=SIZE    same as --gc-options=nursery=SIZE (generational)\n"
            "  --rc-cycles=on|off  same as --gc-options=cycles=on|off (refcount)\n"
            "  --debug-corrupt=N tests only: the workload damages its data in way N before\n"
            "                    verifying it (expect exit status 4)\n"
            "  -q, --quiet       print no summary on stdout\n"
            "  --list            list collectors (with their options) and workloads\n"
            "  -h, --help        show this help\n"
            "  -V, --version     show the version\n"
            "\n"
            "Exit status: 0 success, 1 other error (e.g. cannot write --out), 2 bad\n"
            "command line or bad input (including an option the collector does not\n"
            "have), 3 heap exhausted, 4 workload verification failed, 5 program\n"
            "run-time error, 6 heap verifier found corruption.\n"
            "See docs/output-formats.md.\n",
            GCB_DEFAULT_COLLECTOR, GCB_DEFAULT_WORKLOAD, GCB_PROGRAM_WORKLOAD,
            GCB_DEFAULT_MAX_STEPS, GC_DEFAULT_HEAP_LIMIT >> 20, GCB_DEFAULT_SMALL_HEAP_LIMIT >> 20,
            GCB_DEFAULT_LARGE_HEAP_LIMIT >> 20, GCB_MAX_THREADS, GCB_DEFAULT_SEED);
}

void gcb_print_version(FILE *f)
{
    fprintf(f, "gcbench %s\n", GCBENCH_VERSION);
}

void gcb_print_list(FILE *f)
{
    int width = 0;
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++)
        if ((int)strlen((*c)->name) > width)
            width = (int)strlen((*c)->name);
    for (const wl_workload *const *w = wl_registered_workloads; *w != NULL; w++)
        if ((int)strlen((*w)->name) > width)
            width = (int)strlen((*w)->name);

    fprintf(f, "collectors:\n");
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++) {
        fprintf(f, "  %-*s  %s\n", width, (*c)->name,
                (*c)->description != NULL ? (*c)->description : "");
        /* Its options, more indented (scripts take the names from the
         * lines indented by exactly two spaces). */
        gc_collector_print_options(*c, f, "      ");
    }
    fprintf(f, "workloads:\n");
    for (const wl_workload *const *w = wl_registered_workloads; *w != NULL; w++)
        fprintf(f, "  %-*s  %s\n", width, (*w)->name,
                (*w)->description != NULL ? (*w)->description : "");
    /* Indented by more than two spaces: not a workload line for scripts. */
    fprintf(f, "      (--threads=N, 1 to %d: a workload that cannot run more than one\n"
               "       mutator thread refuses N > 1 with exit status 2)\n",
            GCB_MAX_THREADS);
}
