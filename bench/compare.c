/* bench/compare.c — gcbench compare (see bench/compare.h). Every format is
 * driven by the one table of compared figures, gcb_metrics[]. */
#include "compare.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/readfile.h"
#include "gcbench.h"
#include "report.h"

typedef enum gcb_metric_kind {
    GCB_M_STRING,   /* shown as is, no ratio */
    GCB_M_BYTES,    /* binary units */
    GCB_M_DURATION, /* ns */
    GCB_M_SHARE,    /* fraction, shown as percent */
    GCB_M_COUNT,    /* integer */
    GCB_M_MMU       /* utilization at mmu[].window_ns == window */
} gcb_metric_kind;

typedef struct gcb_metric {
    const char *label;  /* text and html row name */
    const char *column; /* csv column */
    const char *key;    /* summary.json key (for GCB_M_MMU: "mmu") */
    const char *member; /* member of that object, or NULL */
    gcb_metric_kind kind;
    uint64_t window;    /* GCB_M_MMU only */
    unsigned group;     /* csv only: columns of group g (values, then ratios) come
                           after all of group g - 1, so a figure added later
                           never moves an older column */
} gcb_metric;

/* Rows in table order (text, html). Group 1: issue 14's figures, threads
 * and the p99 time to safepoint ("tts"); older summaries have neither key,
 * and a run in which no pause waited for another mutator has a null p99:
 * both show "-", never 0. */
static const gcb_metric gcb_metrics[] = {
    {"collector", "collector", "collector", NULL, GCB_M_STRING, 0, 0},
    {"workload", "workload", "workload", NULL, GCB_M_STRING, 0, 0},
    {"threads", "threads", "threads", NULL, GCB_M_COUNT, 0, 1},
    {"heap", "heap_limit_bytes", "heap_limit_bytes", NULL, GCB_M_BYTES, 0, 0},
    {"wall", "wall_ns", "wall_ns", NULL, GCB_M_DURATION, 0, 0},
    {"GC share", "gc_share", "gc_share", NULL, GCB_M_SHARE, 0, 0},
    {"pauses", "pause_count", "pauses", "count", GCB_M_COUNT, 0, 0},
    {"p50 pause", "p50_ns", "pauses", "p50_ns", GCB_M_DURATION, 0, 0},
    {"p99 pause", "p99_ns", "pauses", "p99_ns", GCB_M_DURATION, 0, 0},
    {"max pause", "max_ns", "pauses", "max_ns", GCB_M_DURATION, 0, 0},
    {"p99 tts", "tts_p99_ns", "time_to_safepoint", "p99_ns", GCB_M_DURATION, 0, 1},
    {"MMU 1 ms", "mmu_1ms", "mmu", NULL, GCB_M_MMU, 1000000, 0},
    {"MMU 10 ms", "mmu_10ms", "mmu", NULL, GCB_M_MMU, 10000000, 0},
    {"MMU 100 ms", "mmu_100ms", "mmu", NULL, GCB_M_MMU, 100000000, 0},
    {"peak heap", "peak_heap_bytes", "peak_heap_bytes", NULL, GCB_M_BYTES, 0, 0},
};
#define GCB_NMETRICS (sizeof gcb_metrics / sizeof gcb_metrics[0])
#define GCB_METRIC_GROUPS 2

/* One figure of one run, ready for every format. */
typedef struct gcb_cell {
    const gcb_jv *v;  /* the JSON string or number; NULL when not available */
    char shown[48];   /* human form, "-" when not available */
    bool has_ratio;   /* both figures known and the first run's is nonzero */
    double ratio;     /* this run's figure / the first run's */
} gcb_cell;

/* ---- loading ---------------------------------------------------------------------- */

int gcb_compare_load(const char *dir, gcb_compare_run *run, char *err, size_t errlen)
{
    run->dir = dir;
    run->summary = NULL;
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "cannot read run directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' is not a run directory (not a directory)", dir);
        return -1;
    }
    size_t plen = strlen(dir) + sizeof "/summary.json";
    char *path = malloc(plen);
    if (path == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(path, plen, "%s/summary.json", dir);
    int rc = -1;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            snprintf(err, errlen,
                     "'%s' has no summary.json (not a run directory, or its run did not "
                     "complete)",
                     dir);
        else
            snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        free(path);
        return -1;
    }
    size_t len;
    int rerr = 0;
    char *text = gc_read_file(f, &len, &rerr);
    if (text == NULL) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(rerr));
    } else {
        char perr[160];
        run->summary = gcb_jv_parse(text, len, perr, sizeof perr);
        if (run->summary == NULL)
            snprintf(err, errlen, "%s is not valid JSON: %s", path, perr);
        else if (run->summary->t != GCB_J_OBJ)
            snprintf(err, errlen, "%s is not a gcbench summary (not a JSON object)", path);
        else
            rc = 0;
        if (rc != 0) {
            gcb_jv_free(run->summary);
            run->summary = NULL;
        }
    }
    free(text);
    fclose(f);
    free(path);
    return rc;
}

/* ---- figures ---------------------------------------------------------------------- */

/* A fraction (gc_share, an MMU utilization): finite and within 0..1 (NaN
 * fails both comparisons). */
static bool gcb_in_unit_range(double x)
{
    return x >= 0.0 && x <= 1.0;
}

/* The value of metric m in summary doc: *out is NULL when the run has no
 * such figure (an older summary, a run shorter than the MMU window, or a
 * JSON null). Returns -1 with a message when it has the wrong type. */
static int gcb_metric_value(const gcb_metric *m, const gcb_compare_run *run, const gcb_jv **out,
                            char *err, size_t errlen)
{
    const gcb_jv *v = gcb_jv_get(run->summary, m->key);
    *out = NULL;
    if (v == NULL || v->t == GCB_J_NULL)
        return 0;
    if (m->kind == GCB_M_MMU) {
        if (v->t != GCB_J_ARR)
            goto wrong;
        for (size_t i = 0; i < v->n; i++) {
            const gcb_jv *w = gcb_jv_get(v->items[i], "window_ns");
            const gcb_jv *u = gcb_jv_get(v->items[i], "utilization");
            uint64_t ns;
            if (w == NULL || u == NULL || gcb_jv_u64(w, &ns) != 0 ||
                (u->t != GCB_J_NUM && u->t != GCB_J_NULL))
                goto wrong;
            if (u->t == GCB_J_NUM && !gcb_in_unit_range(u->num)) {
                snprintf(err, errlen,
                         "%s/summary.json: 'mmu[%zu].utilization' is %s, outside 0..1", run->dir,
                         i, u->str);
                return -1;
            }
            if (ns == m->window && u->t == GCB_J_NUM)
                *out = u;
        }
        return 0;
    }
    if (m->member != NULL) {
        if (v->t != GCB_J_OBJ)
            goto wrong;
        v = gcb_jv_get(v, m->member);
        if (v == NULL || v->t == GCB_J_NULL)
            return 0;
    }
    if (v->t != (m->kind == GCB_M_STRING ? GCB_J_STR : GCB_J_NUM))
        goto wrong;
    /* Ranges, so every figure converts and prints without surprises: a
     * fraction lies in 0..1, a byte count, duration or count in 0..2^64-1
     * (a negative or huge double has no uint64_t value; casting it is
     * undefined behaviour). */
    if (m->kind == GCB_M_SHARE && !gcb_in_unit_range(v->num)) {
        snprintf(err, errlen, "%s/summary.json: '%s' is %s, outside 0..1", run->dir, m->key,
                 v->str);
        return -1;
    }
    uint64_t exact;
    if ((m->kind == GCB_M_BYTES || m->kind == GCB_M_DURATION || m->kind == GCB_M_COUNT) &&
        gcb_jv_u64(v, &exact) != 0 && !(v->num >= 0 && v->num < 18446744073709551616.0)) {
        snprintf(err, errlen, "%s/summary.json: '%s%s%s' is %s, outside 0..2^64-1", run->dir,
                 m->key, m->member ? "." : "", m->member ? m->member : "", v->str);
        return -1;
    }
    *out = v;
    return 0;
wrong:
    snprintf(err, errlen, "%s/summary.json: '%s%s%s' has the wrong type or form", run->dir,
             m->key, m->member ? "." : "", m->member ? m->member : "");
    return -1;
}

static void gcb_cell_show(const gcb_metric *m, gcb_cell *c)
{
    if (c->v == NULL) {
        snprintf(c->shown, sizeof c->shown, "-");
        return;
    }
    double x = c->v->num;
    /* gcb_metric_value checked the range: 0 <= x < 2^64 for the integer
     * kinds (the only ones that use u). */
    uint64_t u = 0;
    if ((m->kind == GCB_M_BYTES || m->kind == GCB_M_DURATION || m->kind == GCB_M_COUNT) &&
        gcb_jv_u64(c->v, &u) != 0)
        u = (uint64_t)x;
    switch (m->kind) {
    case GCB_M_STRING: snprintf(c->shown, sizeof c->shown, "%s", c->v->str); break;
    case GCB_M_BYTES: gcb_fmt_bytes(c->shown, sizeof c->shown, u); break;
    case GCB_M_DURATION: gcb_fmt_duration(c->shown, sizeof c->shown, u); break;
    case GCB_M_SHARE: snprintf(c->shown, sizeof c->shown, "%.1f%%", x * 100.0); break;
    case GCB_M_COUNT: snprintf(c->shown, sizeof c->shown, "%" PRIu64, u); break;
    case GCB_M_MMU: snprintf(c->shown, sizeof c->shown, "%.3f", x); break;
    }
}

/* cells[i * n + r]: metric i of run r. Returns 0 or -1 (wrong type). */
static int gcb_compare_cells(const gcb_compare_run *runs, size_t n, gcb_cell *cells, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < GCB_NMETRICS; i++) {
        const gcb_metric *m = &gcb_metrics[i];
        assert(m->group < GCB_METRIC_GROUPS); /* else gcb_write_csv would drop it */
        for (size_t r = 0; r < n; r++) {
            gcb_cell *c = &cells[i * n + r];
            memset(c, 0, sizeof *c);
            if (gcb_metric_value(m, &runs[r], &c->v, err, errlen) != 0)
                return -1;
            gcb_cell_show(m, c);
            const gcb_cell *base = &cells[i * n];
            /* A ratio needs both figures and a nonzero base. */
            c->has_ratio = m->kind != GCB_M_STRING && c->v != NULL && base->v != NULL &&
                           base->v->num > 0;
            if (c->has_ratio)
                c->ratio = c->v->num / base->v->num;
        }
    }
    return 0;
}

/* ---- writers ---------------------------------------------------------------------- */

static void gcb_cell_text(const gcb_cell *c, char *buf, size_t len)
{
    if (c->has_ratio)
        snprintf(buf, len, "%s (%.2fx)", c->shown, c->ratio);
    else
        snprintf(buf, len, "%s", c->shown);
}

static int gcb_imax(int a, int b) { return a > b ? a : b; }

/* Row labels left-aligned, one right-aligned column per run. */
static void gcb_write_text(FILE *out, const gcb_compare_run *runs, size_t n, const gcb_cell *cells)
{
    char buf[80];
    int *width = calloc(n, sizeof *width);
    if (width == NULL) {
        fputs("gcbench: out of memory\n", stderr);
        exit(GCB_EXIT_ERROR);
    }
    int lw = 0;
    for (size_t i = 0; i < GCB_NMETRICS; i++)
        lw = gcb_imax(lw, (int)strlen(gcb_metrics[i].label));
    for (size_t r = 0; r < n; r++) {
        width[r] = (int)strlen(runs[r].dir);
        for (size_t i = 0; i < GCB_NMETRICS; i++) {
            gcb_cell_text(&cells[i * n + r], buf, sizeof buf);
            width[r] = gcb_imax(width[r], (int)strlen(buf));
        }
    }
    fprintf(out, "%-*s", lw, "");
    for (size_t r = 0; r < n; r++)
        fprintf(out, "  %*s", width[r], runs[r].dir);
    fputc('\n', out);
    for (size_t i = 0; i < GCB_NMETRICS; i++) {
        fprintf(out, "%-*s", lw, gcb_metrics[i].label);
        for (size_t r = 0; r < n; r++) {
            gcb_cell_text(&cells[i * n + r], buf, sizeof buf);
            fprintf(out, "  %*s", width[r], buf);
        }
        fputc('\n', out);
    }
    free(width);
}

/* CSV columns: per group, the values then the ratios (see gcb_metric.group). */
static void gcb_write_csv(FILE *out, const gcb_compare_run *runs, size_t n, const gcb_cell *cells)
{
    fputs("run", out);
    for (unsigned g = 0; g < GCB_METRIC_GROUPS; g++) {
        for (size_t i = 0; i < GCB_NMETRICS; i++)
            if (gcb_metrics[i].group == g)
                fprintf(out, ",%s", gcb_metrics[i].column);
        for (size_t i = 0; i < GCB_NMETRICS; i++)
            if (gcb_metrics[i].group == g && gcb_metrics[i].kind != GCB_M_STRING)
                fprintf(out, ",%s_ratio", gcb_metrics[i].column);
    }
    fputc('\n', out);
    for (size_t r = 0; r < n; r++) {
        gcb_csv_field(out, runs[r].dir);
        for (unsigned g = 0; g < GCB_METRIC_GROUPS; g++) {
            /* Values exactly as summary.json has them (the number's text). */
            for (size_t i = 0; i < GCB_NMETRICS; i++) {
                const gcb_cell *c = &cells[i * n + r];
                if (gcb_metrics[i].group != g)
                    continue;
                fputc(',', out);
                if (c->v != NULL)
                    gcb_csv_field(out, c->v->str);
            }
            for (size_t i = 0; i < GCB_NMETRICS; i++) {
                const gcb_cell *c = &cells[i * n + r];
                if (gcb_metrics[i].group != g || gcb_metrics[i].kind == GCB_M_STRING)
                    continue;
                fputc(',', out);
                if (c->has_ratio)
                    fprintf(out, "%.6g", c->ratio);
            }
        }
        fputc('\n', out);
    }
}

static void gcb_html_text(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out); break;
        }
    }
}

static void gcb_write_html(FILE *out, const gcb_compare_run *runs, size_t n, const gcb_cell *cells)
{
    fputs("<table class=\"gcbench-compare\">\n<thead>\n<tr><th></th>", out);
    for (size_t r = 0; r < n; r++) {
        fputs("<th>", out);
        gcb_html_text(out, runs[r].dir);
        fputs("</th>", out);
    }
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t i = 0; i < GCB_NMETRICS; i++) {
        fputs("<tr><th>", out);
        gcb_html_text(out, gcb_metrics[i].label);
        fputs("</th>", out);
        for (size_t r = 0; r < n; r++) {
            const gcb_cell *c = &cells[i * n + r];
            fputs("<td>", out);
            gcb_html_text(out, c->shown);
            if (c->has_ratio)
                fprintf(out, " <span class=\"ratio\">(%.2fx)</span>", c->ratio);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

int gcb_compare_write(FILE *out, gcb_compare_format fmt, const gcb_compare_run *runs, size_t n,
                      char *err, size_t errlen)
{
    gcb_cell *cells = calloc(GCB_NMETRICS * (n ? n : 1), sizeof *cells);
    if (cells == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = gcb_compare_cells(runs, n, cells, err, errlen);
    if (rc == 0) {
        switch (fmt) {
        case GCB_COMPARE_TEXT: gcb_write_text(out, runs, n, cells); break;
        case GCB_COMPARE_CSV: gcb_write_csv(out, runs, n, cells); break;
        case GCB_COMPARE_HTML: gcb_write_html(out, runs, n, cells); break;
        }
    }
    free(cells);
    return rc;
}

/* ---- the subcommand ------------------------------------------------------------------ */

static void gcb_compare_usage(FILE *f)
{
    fputs("Usage: gcbench compare [--format=text|csv|html] RUN_DIR...\n"
          "\n"
          "Reads RUN_DIR/summary.json of each run directory (written by gcbench --out)\n"
          "and prints the runs side by side: collector, workload, threads, heap, wall\n"
          "time, GC share, pause count, p50/p99/max pause, p99 time to safepoint, MMU at\n"
          "1/10/100 ms and peak heap, each figure with its ratio against the first run\n"
          "('-' where a run has no such figure).\n"
          "\n"
          "  --format=FORMAT   text (default: an aligned table), csv (one row per run)\n"
          "                    or html (a <table> fragment)\n"
          "  -h, --help        show this help\n"
          "\n"
          "Exit status: 0 success, 1 cannot write stdout, 2 bad command line or bad\n"
          "input (missing directory, no summary.json, malformed JSON, a figure of the\n"
          "wrong type or out of range).\n",
          f);
}

static int gcb_compare_usage_error(const char *fmt, const char *arg)
{
    fputs("gcbench: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'gcbench compare --help'.\n", stderr);
    return GCB_EXIT_USAGE;
}

int gcb_compare_main(int argc, char *argv[])
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    gcb_compare_format fmt = GCB_COMPARE_TEXT;
    bool help = false;
    optind = 0; /* full getopt re-initialisation (see bench/cli.c) */
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                fmt = GCB_COMPARE_TEXT;
            else if (strcmp(optarg, "csv") == 0)
                fmt = GCB_COMPARE_CSV;
            else if (strcmp(optarg, "html") == 0)
                fmt = GCB_COMPARE_HTML;
            else
                return gcb_compare_usage_error(
                    "invalid --format '%s' (expected text, csv or html)", optarg);
            break;
        case 'h':
            help = true;
            break;
        case ':':
            return gcb_compare_usage_error("option '%s' requires an argument", argv[optind - 1]);
        default:
            return gcb_compare_usage_error("unrecognized option '%s' for compare",
                                           argv[optind - 1]);
        }
    }
    if (help) {
        gcb_compare_usage(stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? GCB_EXIT_OK : GCB_EXIT_ERROR;
    }
    size_t n = (size_t)(argc - optind);
    if (n == 0)
        return gcb_compare_usage_error("%s", "compare needs at least one run directory");

    gcb_compare_run *runs = calloc(n, sizeof *runs);
    char err[1024];
    int rc = GCB_EXIT_OK;
    if (runs == NULL) {
        fprintf(stderr, "gcbench: out of memory\n");
        return GCB_EXIT_ERROR;
    }
    for (size_t r = 0; r < n && rc == GCB_EXIT_OK; r++)
        if (gcb_compare_load(argv[optind + (int)r], &runs[r], err, sizeof err) != 0) {
            fprintf(stderr, "gcbench: compare: %s\n", err);
            rc = GCB_EXIT_USAGE;
        }
    if (rc == GCB_EXIT_OK && gcb_compare_write(stdout, fmt, runs, n, err, sizeof err) != 0) {
        fprintf(stderr, "gcbench: compare: %s\n", err);
        rc = GCB_EXIT_USAGE;
    }
    if (rc == GCB_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "gcbench: compare: error writing to stdout\n");
        rc = GCB_EXIT_ERROR;
    }
    for (size_t r = 0; r < n; r++)
        gcb_jv_free(runs[r].summary);
    free(runs);
    return rc;
}
