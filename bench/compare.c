/* bench/compare.c — gcbench compare (see bench/compare.h). Every format is
 * driven by the one table of compared figures, gcb_metrics[], and by one
 * list of columns: a column is a configuration (its runs, grouped) or, with
 * --no-group, a single run. */
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
 * both show "-", never 0. Group 2: the process's page faults in the run
 * and its peak RSS (issue 17; "-" for older summaries). */
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
    {"page faults", "page_faults", "page_faults", NULL, GCB_M_COUNT, 0, 2},
    {"peak RSS", "max_rss_bytes", "max_rss_bytes", NULL, GCB_M_BYTES, 0, 2},
};
#define GCB_NMETRICS (sizeof gcb_metrics / sizeof gcb_metrics[0])
#define GCB_METRIC_GROUPS 3

/* What makes runs repetitions of one configuration: everything on the
 * command line that changes what runs (the collector and its options, the
 * workload or program and its size, the heap, threads and seed, the
 * checking and stress modes, the step limit, huge pages), and the option
 * keys of summaries from before issue 12. Not the gcbench version, nor
 * anything measured. Runs with different seeds run different work, so they
 * are different configurations. */
const char *const gcb_compare_config_keys[] = {
    "collector", "collector_options", "workload", "program", "size",
    "heap_limit_bytes", "threads", "seed", "verify", "stress",
    "debug_corrupt", "max_steps", "huge_pages", "pretouch", "nursery_option_bytes", "rc_cycles",
    NULL};

/* A figure's number. Exact when it is a whole number 0..2^64-1 (whole:
 * the value is u, plus one half when half is set — only a median of two
 * can have a half); otherwise x alone (a fraction, or a hand-written real
 * such as 1.5e3). x is always the value as a double. */
typedef struct gcb_num {
    bool whole, half;
    uint64_t u;
    double x;
} gcb_num;

/* One figure of one run: has is false when the run does not have it. */
typedef struct gcb_val {
    bool has;
    const char *s; /* GCB_M_STRING */
    gcb_num num;   /* the numeric kinds */
} gcb_val;

/* One figure of one column: the median and range over the column's runs
 * that have the figure (nhas of them). */
typedef struct gcb_cell {
    size_t nhas;
    const char *s;         /* GCB_M_STRING: the first run's string */
    gcb_num med, min, max; /* the numeric kinds, when nhas > 0 */
    bool has_ratio;        /* both medians known and the first column's is nonzero */
    double ratio;          /* this column's median / the first column's */
} gcb_cell;

/* A column: a configuration's runs (indices into runs[], in command-line
 * order), or one run with --no-group. */
typedef struct gcb_column {
    size_t *runs;
    size_t nruns;
    char *label; /* the header: a configuration label, or the run directory */
} gcb_column;

/* ---- loading ---------------------------------------------------------------------- */

int gcb_compare_parse(const char *dir, const char *name, const char *text, size_t len,
                      gcb_compare_run *run, char *err, size_t errlen)
{
    run->dir = dir;
    char perr[256];
    if (gcb_jdoc_parse(&run->doc, text, len, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "%s is not valid JSON: %s", name, perr);
        return -1;
    }
    if (!json_is_object(run->doc.root)) {
        snprintf(err, errlen, "%s is not a gcbench summary (not a JSON object)", name);
        gcb_jdoc_free(&run->doc);
        return -1;
    }
    return 0;
}

void gcb_compare_run_free(gcb_compare_run *run)
{
    if (run != NULL)
        gcb_jdoc_free(&run->doc);
}

int gcb_compare_load(const char *dir, gcb_compare_run *run, char *err, size_t errlen)
{
    run->dir = dir;
    run->doc = (gcb_jdoc){0};
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
    int rerr = 0, rc = -1;
    char *text = gc_read_file(f, &len, &rerr);
    if (text == NULL)
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(rerr));
    else
        rc = gcb_compare_parse(dir, path, text, len, run, err, errlen);
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

static gcb_num gcb_num_of(const gcb_jdoc *doc, const json_t *v)
{
    gcb_num n = {0};
    n.whole = gcb_jdoc_u64(doc, v, &n.u) == 0;
    n.x = gcb_jdoc_number(doc, v);
    return n;
}

/* The value of metric m in a run's summary: out->has is false when the run
 * has no such figure (an older summary, a run shorter than the MMU window,
 * or a JSON null). Returns -1 with a message when it has the wrong type or
 * is out of range. */
static int gcb_metric_value(const gcb_metric *m, const gcb_compare_run *run, gcb_val *out,
                            char *err, size_t errlen)
{
    const gcb_jdoc *doc = &run->doc;
    const json_t *v = json_object_get(doc->root, m->key);
    char text[40];
    *out = (gcb_val){0};
    if (v == NULL || json_is_null(v))
        return 0;
    if (m->kind == GCB_M_MMU) {
        if (!json_is_array(v))
            goto wrong;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *item = json_array_get(v, i);
            const json_t *w = json_object_get(item, "window_ns");
            const json_t *u = json_object_get(item, "utilization");
            uint64_t ns;
            if (w == NULL || u == NULL || gcb_jdoc_u64(doc, w, &ns) != 0 ||
                (!json_is_number(u) && !json_is_null(u)))
                goto wrong;
            if (json_is_number(u) && !gcb_in_unit_range(gcb_jdoc_number(doc, u))) {
                snprintf(err, errlen,
                         "%s/summary.json: 'mmu[%zu].utilization' is %s, outside 0..1", run->dir,
                         i, gcb_jdoc_number_text(doc, u, text, sizeof text));
                return -1;
            }
            if (ns == m->window && json_is_number(u)) {
                out->has = true;
                out->num = gcb_num_of(doc, u);
            }
        }
        return 0;
    }
    if (m->member != NULL) {
        if (!json_is_object(v))
            goto wrong;
        v = json_object_get(v, m->member);
        if (v == NULL || json_is_null(v))
            return 0;
    }
    if (m->kind == GCB_M_STRING) {
        if (!json_is_string(v))
            goto wrong;
        out->has = true;
        out->s = json_string_value(v);
        return 0;
    }
    if (!json_is_number(v))
        goto wrong;
    /* Ranges, so every figure converts and prints without surprises: a
     * fraction lies in 0..1, a byte count, duration or count in 0..2^64-1
     * (a negative or huge double has no uint64_t value; casting it is
     * undefined behaviour). */
    gcb_num num = gcb_num_of(doc, v);
    if (m->kind == GCB_M_SHARE && !gcb_in_unit_range(num.x)) {
        snprintf(err, errlen, "%s/summary.json: '%s' is %s, outside 0..1", run->dir, m->key,
                 gcb_jdoc_number_text(doc, v, text, sizeof text));
        return -1;
    }
    if ((m->kind == GCB_M_BYTES || m->kind == GCB_M_DURATION || m->kind == GCB_M_COUNT) &&
        !num.whole && !(num.x >= 0 && num.x < 18446744073709551616.0)) {
        snprintf(err, errlen, "%s/summary.json: '%s%s%s' is %s, outside 0..2^64-1", run->dir,
                 m->key, m->member ? "." : "", m->member ? m->member : "",
                 gcb_jdoc_number_text(doc, v, text, sizeof text));
        return -1;
    }
    out->has = true;
    out->num = num;
    return 0;
wrong:
    snprintf(err, errlen, "%s/summary.json: '%s%s%s' has the wrong type or form", run->dir,
             m->key, m->member ? "." : "", m->member ? m->member : "");
    return -1;
}

/* Order of numbers: exact when both are whole. */
static int gcb_num_cmp(const gcb_num *a, const gcb_num *b)
{
    if (a->whole && b->whole) {
        if (a->u != b->u)
            return a->u < b->u ? -1 : 1;
        return (int)a->half - (int)b->half;
    }
    return a->x < b->x ? -1 : a->x > b->x ? 1 : 0;
}

static int gcb_num_qcmp(const void *a, const void *b) { return gcb_num_cmp(a, b); }

/* The median of v[0..n) (sorted, n > 0): the middle value, or the mean of
 * the two middle ones, exact for whole numbers (no overflow: halves are
 * added separately). */
static gcb_num gcb_median(const gcb_num *v, size_t n)
{
    assert(n > 0);
    if (n % 2 == 1)
        return v[n / 2];
    const gcb_num *a = &v[n / 2 - 1], *b = &v[n / 2];
    gcb_num m = {0};
    m.x = a->x / 2 + b->x / 2;
    if (a->whole && b->whole && !a->half && !b->half) {
        unsigned r = (unsigned)(a->u & 1) + (unsigned)(b->u & 1);
        m.whole = true;
        m.u = a->u / 2 + b->u / 2 + r / 2;
        m.half = r % 2 == 1;
    }
    return m;
}

/* The whole number a figure of an integer kind shows as: a half rounds up,
 * a real is truncated (both within 0..2^64-1: gcb_metric_value checked). */
static uint64_t gcb_num_u64(const gcb_num *n)
{
    if (n->whole)
        return n->u + (n->half ? 1 : 0);
    return (uint64_t)n->x;
}

/* Exact text of a number (csv): a whole number with ".5" for a half, a real
 * in the shortest form that reads back as the same double. */
static const char *gcb_num_text(const gcb_num *n, char *buf, size_t len)
{
    if (n->whole) {
        snprintf(buf, len, "%" PRIu64 "%s", n->u, n->half ? ".5" : "");
        return buf;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, n->x);
        if (strtod(buf, NULL) == n->x)
            break;
    }
    return buf;
}

/* Human form of a number of metric kind k (text, html). */
static const char *gcb_num_show(gcb_metric_kind k, const gcb_num *n, char *buf, size_t len)
{
    switch (k) {
    case GCB_M_BYTES: return gcb_fmt_bytes(buf, len, gcb_num_u64(n));
    case GCB_M_DURATION: return gcb_fmt_duration(buf, len, gcb_num_u64(n));
    case GCB_M_SHARE: snprintf(buf, len, "%.1f%%", n->x * 100.0); return buf;
    case GCB_M_COUNT:
        if (n->whole)
            snprintf(buf, len, "%" PRIu64 "%s", n->u, n->half ? ".5" : "");
        else
            snprintf(buf, len, "%" PRIu64, gcb_num_u64(n));
        return buf;
    case GCB_M_MMU: snprintf(buf, len, "%.3f", n->x); return buf;
    case GCB_M_STRING: break;
    }
    assert(!"a string has no number");
    return buf;
}

/* The median of the figure, "-" when no run of the column has it. */
static const char *gcb_cell_shown(const gcb_metric *m, const gcb_cell *c, char *buf, size_t len)
{
    if (c->nhas == 0)
        snprintf(buf, len, "-");
    else if (m->kind == GCB_M_STRING)
        snprintf(buf, len, "%s", c->s);
    else
        gcb_num_show(m->kind, &c->med, buf, len);
    return buf;
}

/* A range is shown when the column's values differ. */
static bool gcb_cell_has_range(const gcb_metric *m, const gcb_cell *c)
{
    return m->kind != GCB_M_STRING && c->nhas > 1 && gcb_num_cmp(&c->min, &c->max) != 0;
}

/* "[min..max]" of the figure. */
static const char *gcb_cell_range(const gcb_metric *m, const gcb_cell *c, char *buf, size_t len)
{
    char lo[48], hi[48];
    snprintf(buf, len, "[%s..%s]", gcb_num_show(m->kind, &c->min, lo, sizeof lo),
             gcb_num_show(m->kind, &c->max, hi, sizeof hi));
    return buf;
}

/* cells[i * ncols + c]: metric i of column c. vals[i * n + r] is metric i
 * of run r. Returns 0, or -1 (a figure of the wrong type or range). */
static int gcb_compare_cells(const gcb_compare_run *runs, size_t n, const gcb_column *cols,
                             size_t ncols, gcb_cell *cells, char *err, size_t errlen)
{
    gcb_val *vals = calloc(GCB_NMETRICS * n, sizeof *vals);
    gcb_num *tmp = calloc(n, sizeof *tmp);
    if (vals == NULL || tmp == NULL) {
        free(vals);
        free(tmp);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < GCB_NMETRICS && rc == 0; i++)
        for (size_t r = 0; r < n && rc == 0; r++)
            rc = gcb_metric_value(&gcb_metrics[i], &runs[r], &vals[i * n + r], err, errlen);
    for (size_t i = 0; i < GCB_NMETRICS && rc == 0; i++) {
        const gcb_metric *m = &gcb_metrics[i];
        assert(m->group < GCB_METRIC_GROUPS); /* else gcb_write_csv would drop it */
        for (size_t c = 0; c < ncols; c++) {
            gcb_cell *cell = &cells[i * ncols + c];
            memset(cell, 0, sizeof *cell);
            for (size_t k = 0; k < cols[c].nruns; k++) {
                const gcb_val *v = &vals[i * n + cols[c].runs[k]];
                if (!v->has)
                    continue;
                if (cell->nhas == 0)
                    cell->s = v->s;
                tmp[cell->nhas++] = v->num;
            }
            if (m->kind != GCB_M_STRING && cell->nhas > 0) {
                qsort(tmp, cell->nhas, sizeof *tmp, gcb_num_qcmp);
                cell->min = tmp[0];
                cell->max = tmp[cell->nhas - 1];
                cell->med = gcb_median(tmp, cell->nhas);
            }
            const gcb_cell *base = &cells[i * ncols];
            /* A ratio needs both figures and a nonzero base. */
            cell->has_ratio =
                m->kind != GCB_M_STRING && cell->nhas > 0 && base->nhas > 0 && base->med.x > 0;
            if (cell->has_ratio)
                cell->ratio = cell->med.x / base->med.x;
        }
    }
    free(vals);
    free(tmp);
    return rc;
}

/* ---- columns ---------------------------------------------------------------------- */

static bool gcb_same_config(const gcb_compare_run *a, const gcb_compare_run *b)
{
    for (const char *const *k = gcb_compare_config_keys; *k != NULL; k++)
        if (!gcb_jdoc_equal(&a->doc, json_object_get(a->doc.root, *k), &b->doc,
                            json_object_get(b->doc.root, *k)))
            return false;
    return true;
}

/* A growing string for labels. */
typedef struct gcb_str {
    char *s;
    size_t len, cap;
    bool oom;
} gcb_str;

static void gcb_str_add(gcb_str *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (ns == NULL) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

/* A configuration key's value in a label: strings as they are, heap in
 * binary units, other values as JSON text, "-" when absent. */
static void gcb_label_value(gcb_str *b, const char *key, const gcb_compare_run *run)
{
    const json_t *v = json_object_get(run->doc.root, key);
    char buf[48];
    uint64_t u;
    if (v == NULL)
        gcb_str_add(b, "-");
    else if (json_is_string(v))
        gcb_str_add(b, json_string_value(v));
    else if (strcmp(key, "heap_limit_bytes") == 0 && gcb_jdoc_u64(&run->doc, v, &u) == 0)
        gcb_str_add(b, gcb_fmt_bytes(buf, sizeof buf, u));
    else if (json_is_number(v))
        gcb_str_add(b, gcb_jdoc_number_text(&run->doc, v, buf, sizeof buf));
    else if (json_is_boolean(v))
        gcb_str_add(b, json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        gcb_str_add(b, "null");
    else
        gcb_str_add(b, "...");
}

/* Labels of grouped columns: "COLLECTOR[:OPTIONS]", then " KEY=VALUE" for
 * every other configuration key whose value differs between columns (heap
 * as "heap=4.0 MiB"); a label that is still shared by two columns (values
 * that print alike) gets " #C", its column number. */
static int gcb_label_columns(const gcb_compare_run *runs, gcb_column *cols, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++) {
        const gcb_compare_run *run = &runs[cols[c].runs[0]];
        gcb_str b = {0};
        const json_t *coll = json_object_get(run->doc.root, "collector");
        const json_t *opts = json_object_get(run->doc.root, "collector_options");
        gcb_str_add(&b, json_is_string(coll) ? json_string_value(coll) : "-");
        if (json_is_string(opts) && json_string_value(opts)[0] != '\0') {
            gcb_str_add(&b, ":");
            gcb_str_add(&b, json_string_value(opts));
        }
        for (const char *const *k = gcb_compare_config_keys; *k != NULL; k++) {
            if (strcmp(*k, "collector") == 0 || strcmp(*k, "collector_options") == 0)
                continue;
            bool differs = false;
            for (size_t d = 0; d < ncols && !differs; d++) {
                const gcb_compare_run *o = &runs[cols[d].runs[0]];
                differs = !gcb_jdoc_equal(&run->doc, json_object_get(run->doc.root, *k), &o->doc,
                                          json_object_get(o->doc.root, *k));
            }
            if (!differs)
                continue;
            gcb_str_add(&b, " ");
            gcb_str_add(&b, strcmp(*k, "heap_limit_bytes") == 0 ? "heap" : *k);
            gcb_str_add(&b, "=");
            gcb_label_value(&b, *k, run);
        }
        if (b.oom)
            return -1;
        cols[c].label = b.s;
    }
    for (size_t c = 0; c < ncols; c++) {
        bool shared = false;
        for (size_t d = 0; d < ncols; d++)
            shared |= d != c && strcmp(cols[c].label, cols[d].label) == 0;
        if (!shared)
            continue;
        char num[32];
        snprintf(num, sizeof num, " #%zu", c + 1);
        gcb_str b = {cols[c].label, strlen(cols[c].label), strlen(cols[c].label) + 1, false};
        gcb_str_add(&b, num);
        if (b.oom)
            return -1;
        cols[c].label = b.s;
    }
    return 0;
}

static void gcb_columns_free(gcb_column *cols, size_t ncols)
{
    for (size_t c = 0; c < ncols; c++) {
        free(cols[c].runs);
        free(cols[c].label);
    }
    free(cols);
}

/* The columns: one per configuration in order of its first run (group), or
 * one per run. Returns the count, or 0 when out of memory (n > 0). */
static size_t gcb_make_columns(const gcb_compare_run *runs, size_t n, bool group,
                               gcb_column **out)
{
    gcb_column *cols = calloc(n, sizeof *cols);
    size_t ncols = 0;
    if (cols == NULL)
        return 0;
    for (size_t r = 0; r < n; r++) {
        size_t c = 0;
        if (group)
            while (c < ncols && !gcb_same_config(&runs[cols[c].runs[0]], &runs[r]))
                c++;
        else
            c = ncols;
        if (c == ncols) {
            cols[c].runs = calloc(n, sizeof *cols[c].runs);
            ncols++;
            if (cols[c].runs == NULL)
                goto oom;
        }
        cols[c].runs[cols[c].nruns++] = r;
    }
    if (group) {
        if (gcb_label_columns(runs, cols, ncols) != 0)
            goto oom;
    } else {
        for (size_t c = 0; c < ncols; c++)
            if ((cols[c].label = strdup(runs[c].dir)) == NULL)
                goto oom;
    }
    *out = cols;
    return ncols;
oom:
    gcb_columns_free(cols, ncols);
    return 0;
}

/* ---- writers ---------------------------------------------------------------------- */

#define GCB_CELL_TEXT 160

/* "median [min..max] (ratio)" as far as known. */
static void gcb_cell_text(const gcb_metric *m, const gcb_cell *c, char *buf, size_t len)
{
    char shown[48], range[112], ratio[48] = "";
    gcb_cell_shown(m, c, shown, sizeof shown);
    if (c->has_ratio)
        snprintf(ratio, sizeof ratio, " (%.2fx)", c->ratio);
    if (gcb_cell_has_range(m, c))
        snprintf(buf, len, "%s %s%s", shown, gcb_cell_range(m, c, range, sizeof range), ratio);
    else
        snprintf(buf, len, "%s%s", shown, ratio);
}

static int gcb_imax(int a, int b) { return a > b ? a : b; }

/* Row labels left-aligned, one right-aligned column per configuration (run).
 * Grouped, a "runs" row first and, after the table, each column's runs. */
static void gcb_write_text(FILE *out, bool group, const gcb_column *cols, size_t ncols,
                           const gcb_compare_run *runs, const gcb_cell *cells)
{
    char buf[GCB_CELL_TEXT];
    int *width = calloc(ncols, sizeof *width);
    if (width == NULL) {
        fputs("gcbench: out of memory\n", stderr);
        exit(GCB_EXIT_ERROR);
    }
    int lw = group ? (int)strlen("runs") : 0;
    for (size_t i = 0; i < GCB_NMETRICS; i++)
        lw = gcb_imax(lw, (int)strlen(gcb_metrics[i].label));
    for (size_t c = 0; c < ncols; c++) {
        width[c] = (int)strlen(cols[c].label);
        for (size_t i = 0; i < GCB_NMETRICS; i++) {
            gcb_cell_text(&gcb_metrics[i], &cells[i * ncols + c], buf, sizeof buf);
            width[c] = gcb_imax(width[c], (int)strlen(buf));
        }
    }
    fprintf(out, "%-*s", lw, "");
    for (size_t c = 0; c < ncols; c++)
        fprintf(out, "  %*s", width[c], cols[c].label);
    fputc('\n', out);
    if (group) {
        fprintf(out, "%-*s", lw, "runs");
        for (size_t c = 0; c < ncols; c++)
            fprintf(out, "  %*zu", width[c], cols[c].nruns);
        fputc('\n', out);
    }
    for (size_t i = 0; i < GCB_NMETRICS; i++) {
        fprintf(out, "%-*s", lw, gcb_metrics[i].label);
        for (size_t c = 0; c < ncols; c++) {
            gcb_cell_text(&gcb_metrics[i], &cells[i * ncols + c], buf, sizeof buf);
            fprintf(out, "  %*s", width[c], buf);
        }
        fputc('\n', out);
    }
    if (group) {
        fputs("\nEach column is one configuration: the median of its runs, [min..max] when "
              "they differ,\nand the ratio of medians against the first column. Runs:\n",
              out);
        for (size_t c = 0; c < ncols; c++) {
            fprintf(out, "  %s:", cols[c].label);
            for (size_t k = 0; k < cols[c].nruns; k++)
                fprintf(out, "%s %s", k ? "," : "", runs[cols[c].runs[k]].dir);
            fputc('\n', out);
        }
    }
    free(width);
}

/* CSV columns: per group, the values then the ratios (see gcb_metric.group).
 * Per run: "run", each value exactly as summary.json has it. Grouped:
 * "config,n,runs", each value as the median followed, for a number, by
 * NAME_min and NAME_max. */
static void gcb_write_csv(FILE *out, bool group, const gcb_column *cols, size_t ncols,
                          const gcb_compare_run *runs, const gcb_cell *cells)
{
    char num[64];
    fputs(group ? "config,n,runs" : "run", out);
    for (unsigned g = 0; g < GCB_METRIC_GROUPS; g++) {
        for (size_t i = 0; i < GCB_NMETRICS; i++) {
            const gcb_metric *m = &gcb_metrics[i];
            if (m->group != g)
                continue;
            fprintf(out, ",%s", m->column);
            if (group && m->kind != GCB_M_STRING)
                fprintf(out, ",%s_min,%s_max", m->column, m->column);
        }
        for (size_t i = 0; i < GCB_NMETRICS; i++)
            if (gcb_metrics[i].group == g && gcb_metrics[i].kind != GCB_M_STRING)
                fprintf(out, ",%s_ratio", gcb_metrics[i].column);
    }
    fputc('\n', out);
    for (size_t c = 0; c < ncols; c++) {
        if (group) {
            gcb_csv_field(out, cols[c].label);
            fprintf(out, ",%zu,", cols[c].nruns);
            /* The directories joined by ';' (in one quoted field if need be). */
            gcb_str b = {0};
            for (size_t k = 0; k < cols[c].nruns; k++) {
                if (k)
                    gcb_str_add(&b, ";");
                gcb_str_add(&b, runs[cols[c].runs[k]].dir);
            }
            if (b.oom) {
                fputs("gcbench: out of memory\n", stderr);
                exit(GCB_EXIT_ERROR);
            }
            gcb_csv_field(out, b.s);
            free(b.s);
        } else {
            gcb_csv_field(out, cols[c].label);
        }
        for (unsigned g = 0; g < GCB_METRIC_GROUPS; g++) {
            for (size_t i = 0; i < GCB_NMETRICS; i++) {
                const gcb_metric *m = &gcb_metrics[i];
                const gcb_cell *cell = &cells[i * ncols + c];
                if (m->group != g)
                    continue;
                fputc(',', out);
                if (cell->nhas > 0)
                    gcb_csv_field(out, m->kind == GCB_M_STRING
                                           ? cell->s
                                           : gcb_num_text(&cell->med, num, sizeof num));
                if (group && m->kind != GCB_M_STRING) {
                    fputc(',', out);
                    if (cell->nhas > 0)
                        fputs(gcb_num_text(&cell->min, num, sizeof num), out);
                    fputc(',', out);
                    if (cell->nhas > 0)
                        fputs(gcb_num_text(&cell->max, num, sizeof num), out);
                }
            }
            for (size_t i = 0; i < GCB_NMETRICS; i++) {
                const gcb_cell *cell = &cells[i * ncols + c];
                if (gcb_metrics[i].group != g || gcb_metrics[i].kind == GCB_M_STRING)
                    continue;
                fputc(',', out);
                if (cell->has_ratio)
                    fprintf(out, "%.6g", cell->ratio);
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

/* Grouped, a "runs" row first, ranges in <span class="range">, and a last
 * row "run directories". */
static void gcb_write_html(FILE *out, bool group, const gcb_column *cols, size_t ncols,
                           const gcb_compare_run *runs, const gcb_cell *cells)
{
    char buf[112];
    fputs("<table class=\"gcbench-compare\">\n<thead>\n<tr><th></th>", out);
    for (size_t c = 0; c < ncols; c++) {
        fputs("<th>", out);
        gcb_html_text(out, cols[c].label);
        fputs("</th>", out);
    }
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    if (group) {
        fputs("<tr><th>runs</th>", out);
        for (size_t c = 0; c < ncols; c++)
            fprintf(out, "<td>%zu</td>", cols[c].nruns);
        fputs("</tr>\n", out);
    }
    for (size_t i = 0; i < GCB_NMETRICS; i++) {
        const gcb_metric *m = &gcb_metrics[i];
        fputs("<tr><th>", out);
        gcb_html_text(out, m->label);
        fputs("</th>", out);
        for (size_t c = 0; c < ncols; c++) {
            const gcb_cell *cell = &cells[i * ncols + c];
            fputs("<td>", out);
            gcb_html_text(out, gcb_cell_shown(m, cell, buf, sizeof buf));
            if (gcb_cell_has_range(m, cell)) {
                fputs(" <span class=\"range\">", out);
                gcb_html_text(out, gcb_cell_range(m, cell, buf, sizeof buf));
                fputs("</span>", out);
            }
            if (cell->has_ratio)
                fprintf(out, " <span class=\"ratio\">(%.2fx)</span>", cell->ratio);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    if (group) {
        fputs("<tr><th>run directories</th>", out);
        for (size_t c = 0; c < ncols; c++) {
            fputs("<td>", out);
            for (size_t k = 0; k < cols[c].nruns; k++) {
                if (k)
                    fputs("<br>", out);
                gcb_html_text(out, runs[cols[c].runs[k]].dir);
            }
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

int gcb_compare_write(FILE *out, gcb_compare_format fmt, bool group, const gcb_compare_run *runs,
                      size_t n, char *err, size_t errlen)
{
    gcb_column *cols = NULL;
    size_t ncols = n ? gcb_make_columns(runs, n, group, &cols) : 0;
    gcb_cell *cells = calloc(GCB_NMETRICS * (ncols ? ncols : 1), sizeof *cells);
    if ((n > 0 && ncols == 0) || cells == NULL) {
        gcb_columns_free(cols, ncols);
        free(cells);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = gcb_compare_cells(runs, n, cols, ncols, cells, err, errlen);
    if (rc == 0) {
        switch (fmt) {
        case GCB_COMPARE_TEXT: gcb_write_text(out, group, cols, ncols, runs, cells); break;
        case GCB_COMPARE_CSV: gcb_write_csv(out, group, cols, ncols, runs, cells); break;
        case GCB_COMPARE_HTML: gcb_write_html(out, group, cols, ncols, runs, cells); break;
        }
    }
    gcb_columns_free(cols, ncols);
    free(cells);
    return rc;
}

/* ---- the subcommand ------------------------------------------------------------------ */

static void gcb_compare_usage(FILE *f)
{
    fputs("Usage: gcbench compare [--format=text|csv|html] [--no-group] RUN_DIR...\n"
          "\n"
          "Reads RUN_DIR/summary.json of each run directory (written by gcbench --out)\n"
          "and prints them side by side: collector, workload, threads, heap, wall time,\n"
          "GC share, pause count, p50/p99/max pause, p99 time to safepoint, MMU at\n"
          "1/10/100 ms and peak heap ('-' where a run has no such figure).\n"
          "\n"
          "Runs of one configuration (the same collector and options, workload or\n"
          "program, size, heap, threads, seed, --verify, --stress, ...) are grouped:\n"
          "one column per configuration, in the order of their first run, showing\n"
          "the number of runs and each figure's median, its range [min..max] when the\n"
          "runs differ, and the ratio of medians against the first configuration.\n"
          "\n"
          "  --format=FORMAT   text (default: an aligned table), csv (one row per\n"
          "                    configuration) or html (a <table> fragment)\n"
          "  --no-group        one column (csv: row) per run, ratios against the\n"
          "                    first run\n"
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
                                         {"no-group", no_argument, NULL, 'g'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    gcb_compare_format fmt = GCB_COMPARE_TEXT;
    bool help = false, group = true;
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
        case 'g':
            group = false;
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
    if (rc == GCB_EXIT_OK && gcb_compare_write(stdout, fmt, group, runs, n, err, sizeof err) != 0) {
        fprintf(stderr, "gcbench: compare: %s\n", err);
        rc = GCB_EXIT_USAGE;
    }
    if (rc == GCB_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "gcbench: compare: error writing to stdout\n");
        rc = GCB_EXIT_ERROR;
    }
    for (size_t r = 0; r < n; r++)
        gcb_compare_run_free(&runs[r]);
    free(runs);
    return rc;
}
