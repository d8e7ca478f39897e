/* bench/sweepagg.c — aggregation of a sweep directory (see bench/sweepagg.h
 * and docs/methodology.md, which documents every output column).
 *
 * Three steps, each complete before the next begins:
 *   1. load: params.json (jansson) and plan.tsv into points, each with its
 *      invocations in invocation order; any inconsistency is an error;
 *   2. classify: read each invocation's `exit` and, for status 0, its
 *      result (summary.json or a peer's stdout) into one value per metric;
 *   3. summarise and write: statistics per point and metric, normalisation
 *      against the baseline collector, then sweep.csv and sweep.json.
 * Invariant after step 2, per point: planned == ok + gaps + failed +
 * missing, and a metric value exists only for ok invocations.
 */
#include "sweepagg.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/readfile.h"
#include "core/utf8.h"

/* ---- Metrics ---------------------------------------------------------------- */

typedef enum sw_source {
    SW_TOP,   /* a top-level number of summary.json */
    SW_PAUSE, /* a member of summary.json "pauses" */
    SW_MMU    /* the "mmu" curve at window_ns == window */
} sw_source;

typedef struct sw_metric {
    const char *name;   /* the column prefix in sweep.csv, the key in sweep.json */
    sw_source source;
    const char *key;    /* summary.json key (SW_TOP) or member of "pauses" */
    double window;      /* SW_MMU: the window in ns */
    bool peer;          /* a peer reports it too (only wall_ns) */
} sw_metric;

static const sw_metric sw_metrics[] = {
    {"wall_ns", SW_TOP, "wall_ns", 0, true},
    {"gc_ns", SW_TOP, "gc_ns", 0, false},
    {"mutator_ns", SW_TOP, "mutator_ns", 0, false},
    {"pause_max_ns", SW_PAUSE, "max_ns", 0, false},
    {"pause_p99_ns", SW_PAUSE, "p99_ns", 0, false},
    {"mmu_1ms", SW_MMU, NULL, 1e6, false},
    {"mmu_10ms", SW_MMU, NULL, 1e7, false},
    {"mmu_100ms", SW_MMU, NULL, 1e8, false},
};
#define SW_NMETRICS (sizeof sw_metrics / sizeof sw_metrics[0])

/* The statistics of one metric, in column order (docs/methodology.md). */
static const char *const sw_stat_names[] = {"n",        "median",   "mean", "sd",  "ci95_lo",
                                            "ci95_hi",  "min",      "max",  "norm"};
#define SW_NSTATS (sizeof sw_stat_names / sizeof sw_stat_names[0])

/* At most this many "missing: <run_dir>" note lines. */
#define SW_MAX_MISSING_LISTED 20
/* Longest file we read from a run directory (summary.json is a few KiB). */
#define SW_MAX_FILE_BYTES (64u << 20)

/* ---- Data ------------------------------------------------------------------- */

typedef enum sw_state { SW_MISSING, SW_OK, SW_GAP, SW_FAILED } sw_state;
static const char *const sw_state_names[] = {"missing", "ok", "gap", "failed"};

typedef struct sw_inv {
    size_t index;        /* plan.tsv index (1-based) */
    unsigned long invocation;
    char *run_dir;       /* relative to DIR */
    sw_state state;
    int exit_status;     /* -1 when there is none (missing, or not a number) */
    char *reason;        /* SW_FAILED: why (malloc'd), else NULL */
    bool has[SW_NMETRICS];
    double value[SW_NMETRICS];
} sw_inv;

typedef struct sw_stat {
    size_t n;
    double median, mean, sd, lo, hi, min, max, norm;
    bool has_sd, has_ci, has_norm; /* n >= 2, n >= 2, baseline defined */
} sw_stat;

typedef struct sw_point {
    char *id, *collector, *workload, *size, *multiple_text;
    bool peer;
    double multiple;     /* gc points only */
    uint64_t heap_bytes; /* gc points only */
    size_t first_line;   /* plan line of its first invocation (ties in the sort) */
    size_t rank_workload, rank_collector;
    sw_inv *inv;
    size_t ninv, cap;
    gcb_sweep_counts counts;
    sw_stat stat[SW_NMETRICS];
} sw_point;

typedef struct sw_sweep {
    const char *dir;
    json_t *params;
    const char *baseline; /* the collector spec ratios are taken against (in params) */
    sw_point *pt;
    size_t npt, cap;
    gcb_sweep_counts counts;
} sw_sweep;

/* ---- Small helpers ------------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *f, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(err, errlen, f, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("gcbench: out of memory\n", stderr);
        exit(1);
    }
    return d;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("gcbench: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static char *xasprintf(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    assert(n >= 0);
    char *s = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* DIR/NAME. */
static char *path_in(const char *dir, const char *name) { return xasprintf("%s/%s", dir, name); }

/* Text quoted in a message: escaped (control characters and invalid UTF-8
 * as \xNN), at most 200 characters. Returns buf. */
static char *quote(char *buf, size_t size, const char *s)
{
    return gc_utf8_escape(buf, size, s, strlen(s), 200);
}

/* s with every byte that is not part of valid UTF-8 replaced by U+FFFD and
 * control characters other than tab by '?', for jansson (which refuses
 * invalid UTF-8). malloc'd. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *d = xrealloc(NULL, 3 * n + 1), *o = d;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t k = gc_utf8_seq(p, end);
        if (k == 0) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        } else if (k == 1 && (*p < 0x20 || *p == 0x7f) && *p != '\t') {
            *o++ = '?';
            p++;
        } else {
            memcpy(o, p, k);
            o += k;
            p += k;
        }
    }
    *o = '\0';
    return d;
}

/* Reads the whole file PATH. Returns a malloc'd NUL-terminated buffer, or
 * NULL with errno set (EFBIG beyond SW_MAX_FILE_BYTES). */
static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    int e = 0;
    char *buf = gc_read_file(f, len, &e);
    fclose(f);
    if (!buf) {
        errno = e;
        return NULL;
    }
    if (*len > SW_MAX_FILE_BYTES) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    return buf;
}

/* A decimal whole number of at most 19 digits (so it fits): the whole of s. */
static bool parse_u64(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
        return false;
    *out = strtoull(s, NULL, 10);
    return true;
}

/* ---- t quantile ----------------------------------------------------------------- */

/* t(0.975, df): the two-sided 95% quantile of Student's t distribution.
 * df 1..30 from the table (exact to 6 decimals, computed by numerical
 * integration of the t density and matching the published tables); above
 * 30 the Cornish-Fisher expansion of t in powers of 1/df around the normal
 * quantile z = 1.959964 (Abramowitz & Stegun 26.7.5), whose error there is
 * below 1e-6 (it meets the table at df = 30 to all 6 decimals). */
static double t975(size_t df)
{
    static const double table[31] = {
        NAN,      12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624,
        2.306004, 2.262157,  2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450,
        2.119905, 2.109816,  2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658,
        2.063899, 2.059539,  2.055529, 2.051831, 2.048407, 2.045230, 2.042272};
    assert(df >= 1);
    if (df <= 30)
        return table[df];
    double z = 1.959963984540054, z2 = z * z, v = (double)df;
    double g1 = (z2 + 1) * z / 4;
    double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
    return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

/* ---- Loading params.json and plan.tsv --------------------------------------------- */

/* params.json: the object, with "collectors" and "workloads" arrays of
 * strings, optional "baselines" (array of strings) and "baseline" (string;
 * default the first collector). */
static int load_params(sw_sweep *s, char *err, size_t errlen)
{
    char *path = path_in(s->dir, "params.json");
    json_error_t je;
    json_t *p = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    int rc = -1;
    if (!p) {
        if (je.line <= 0)
            set_err(err, errlen, "cannot read '%s': %s", path, je.text);
        else
            set_err(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        goto out;
    }
    s->params = p;
    if (!json_is_object(p)) {
        set_err(err, errlen, "'%s' is not a JSON object (is this a sweep directory?)", path);
        goto out;
    }
    static const char *const lists[] = {"collectors", "workloads", "baselines"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_t *a = json_object_get(p, lists[i]);
        if (!a && i == 2)
            continue; /* no baselines */
        if (!json_is_array(a)) {
            set_err(err, errlen, "'%s': \"%s\" is %s, not an array of strings", path, lists[i],
                    a ? "of another type" : "missing");
            goto out;
        }
        size_t k;
        json_t *v;
        json_array_foreach(a, k, v) {
            if (!json_is_string(v)) {
                set_err(err, errlen, "'%s': \"%s\"[%zu] is not a string", path, lists[i], k);
                goto out;
            }
        }
    }
    json_t *b = json_object_get(p, "baseline");
    if (b && !json_is_null(b)) {
        if (!json_is_string(b)) {
            set_err(err, errlen, "'%s': \"baseline\" is not a string", path);
            goto out;
        }
        s->baseline = json_string_value(b);
    } else {
        json_t *first = json_array_get(json_object_get(p, "collectors"), 0);
        s->baseline = first ? json_string_value(first) : NULL;
    }
    rc = 0;
out:
    free(path);
    return rc;
}

/* Index of string v in params array `key`, or SIZE_MAX. */
static size_t rank_in(const sw_sweep *s, const char *key, const char *v)
{
    json_t *a = json_object_get(s->params, key);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (strcmp(json_string_value(e), v) == 0)
            return i;
    }
    return SIZE_MAX;
}

static sw_point *find_point(sw_sweep *s, const char *id)
{
    /* Interleaved plans visit points round-robin: search from the end. */
    for (size_t i = s->npt; i-- > 0;)
        if (strcmp(s->pt[i].id, id) == 0)
            return &s->pt[i];
    return NULL;
}

/* A run directory relative to DIR that stays inside it: not empty, not
 * absolute, no "." or ".." component. */
static bool safe_run_dir(const char *r)
{
    if (r[0] == '\0' || r[0] == '/')
        return false;
    const char *p = r;
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
}

static int cmp_inv_run_dir(const void *a, const void *b)
{
    return strcmp((*(const sw_inv *const *)a)->run_dir, (*(const sw_inv *const *)b)->run_dir);
}

enum { F_INDEX, F_POINT, F_KIND, F_COLLECTOR, F_WORKLOAD, F_SIZE, F_MULTIPLE, F_HEAP, F_INVOCATION,
       F_RUN_DIR, F_COUNT };

/* plan.tsv: header lines start with '#'; every other line has F_COUNT
 * tab-separated fields and the index counts them from 1. */
static int load_plan(sw_sweep *s, char *err, size_t errlen)
{
    char *path = path_in(s->dir, "plan.tsv");
    size_t len;
    char *text = read_whole(path, &len);
    int rc = -1;
    if (!text) {
        set_err(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        free(path);
        return -1;
    }
    if (strlen(text) != len) {
        set_err(err, errlen, "'%s' contains a NUL byte: not a plan", path);
        goto out;
    }
    size_t lineno = 0, expect = 1;
    char *line = text, qb[256];
    while (*line) {
        char *nl = strchr(line, '\n');
        lineno++;
        if (!nl) {
            set_err(err, errlen, "%s:%zu: the last line has no newline (a truncated file?)", path, lineno);
            goto out;
        }
        *nl = '\0';
        char *next = nl + 1;
        if (line[0] == '#') {
            line = next;
            continue;
        }
        char *f[F_COUNT];
        size_t nf = 0;
        for (char *p = line;; ) {
            char *tab = strchr(p, '\t');
            if (nf < F_COUNT)
                f[nf] = p;
            nf++;
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != F_COUNT) {
            set_err(err, errlen, "%s:%zu: %zu tab-separated fields, expected %d", path, lineno, nf, F_COUNT);
            goto out;
        }
        uint64_t idx, heap = 0, inv;
        if (!parse_u64(f[F_INDEX], &idx) || idx != expect) {
            set_err(err, errlen, "%s:%zu: index '%s', expected %zu", path, lineno,
                    quote(qb, sizeof qb, f[F_INDEX]), expect);
            goto out;
        }
        bool peer;
        if (strcmp(f[F_KIND], "gc") == 0)
            peer = false;
        else if (strcmp(f[F_KIND], "peer") == 0)
            peer = true;
        else {
            set_err(err, errlen, "%s:%zu: kind '%s', expected gc or peer", path, lineno,
                    quote(qb, sizeof qb, f[F_KIND]));
            goto out;
        }
        double mult = NAN;
        if (peer) {
            if (strcmp(f[F_MULTIPLE], "-") != 0 || strcmp(f[F_HEAP], "-") != 0) {
                set_err(err, errlen, "%s:%zu: a peer has '-' as multiple and heap_bytes", path, lineno);
                goto out;
            }
        } else {
            char *end;
            errno = 0;
            mult = strtod(f[F_MULTIPLE], &end);
            if (end == f[F_MULTIPLE] || *end || errno || !isfinite(mult) || mult <= 0) {
                set_err(err, errlen, "%s:%zu: multiple '%s' is not a positive number", path, lineno,
                        quote(qb, sizeof qb, f[F_MULTIPLE]));
                goto out;
            }
            if (!parse_u64(f[F_HEAP], &heap) || heap == 0) {
                set_err(err, errlen, "%s:%zu: heap_bytes '%s' is not a positive whole number", path, lineno,
                        quote(qb, sizeof qb, f[F_HEAP]));
                goto out;
            }
        }
        if (!parse_u64(f[F_INVOCATION], &inv) || inv == 0) {
            set_err(err, errlen, "%s:%zu: invocation '%s' is not a positive whole number", path, lineno,
                    quote(qb, sizeof qb, f[F_INVOCATION]));
            goto out;
        }
        if (!safe_run_dir(f[F_RUN_DIR])) {
            set_err(err, errlen, "%s:%zu: run_dir '%s' is not a relative path inside the sweep directory",
                    path, lineno, quote(qb, sizeof qb, f[F_RUN_DIR]));
            goto out;
        }
        if (f[F_POINT][0] == '\0' || f[F_COLLECTOR][0] == '\0' || f[F_WORKLOAD][0] == '\0' ||
            f[F_SIZE][0] == '\0') {
            set_err(err, errlen, "%s:%zu: an empty point, collector_spec, workload or size", path, lineno);
            goto out;
        }
        sw_point *pt = find_point(s, f[F_POINT]);
        if (!pt) {
            if (s->npt == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 16;
                s->pt = xrealloc(s->pt, s->cap * sizeof *s->pt);
            }
            pt = &s->pt[s->npt++];
            memset(pt, 0, sizeof *pt);
            pt->id = xstrdup(f[F_POINT]);
            pt->collector = xstrdup(f[F_COLLECTOR]);
            pt->workload = xstrdup(f[F_WORKLOAD]);
            pt->size = xstrdup(f[F_SIZE]);
            pt->multiple_text = xstrdup(f[F_MULTIPLE]);
            pt->peer = peer;
            pt->multiple = mult;
            pt->heap_bytes = heap;
            pt->first_line = lineno;
        } else if (pt->peer != peer || strcmp(pt->collector, f[F_COLLECTOR]) != 0 ||
                   strcmp(pt->workload, f[F_WORKLOAD]) != 0 || strcmp(pt->size, f[F_SIZE]) != 0 ||
                   strcmp(pt->multiple_text, f[F_MULTIPLE]) != 0 || pt->heap_bytes != heap) {
            set_err(err, errlen, "%s:%zu: point '%s' has other parameters than on line %zu", path, lineno,
                    quote(qb, sizeof qb, f[F_POINT]), pt->first_line);
            goto out;
        }
        for (size_t i = 0; i < pt->ninv; i++) {
            if (pt->inv[i].invocation == inv) {
                set_err(err, errlen, "%s:%zu: invocation %" PRIu64 " of point '%s' is planned twice", path,
                        lineno, inv, quote(qb, sizeof qb, f[F_POINT]));
                goto out;
            }
        }
        if (pt->ninv == pt->cap) {
            pt->cap = pt->cap ? 2 * pt->cap : 8;
            pt->inv = xrealloc(pt->inv, pt->cap * sizeof *pt->inv);
        }
        sw_inv *v = &pt->inv[pt->ninv++];
        memset(v, 0, sizeof *v);
        v->index = (size_t)idx;
        v->invocation = (unsigned long)inv;
        v->run_dir = xstrdup(f[F_RUN_DIR]);
        v->exit_status = -1;
        expect++;
        line = next;
    }
    s->counts.planned = expect - 1;
    /* No two invocations share a run directory. */
    const sw_inv **all = xrealloc(NULL, s->counts.planned * sizeof *all);
    size_t n = 0;
    for (size_t p = 0; p < s->npt; p++)
        for (size_t i = 0; i < s->pt[p].ninv; i++)
            all[n++] = &s->pt[p].inv[i];
    assert(n == s->counts.planned);
    qsort(all, n, sizeof *all, cmp_inv_run_dir);
    for (size_t i = 1; i < n; i++)
        if (strcmp(all[i - 1]->run_dir, all[i]->run_dir) == 0) {
            size_t a = all[i - 1]->index, b = all[i]->index;
            set_err(err, errlen, "%s: run_dir '%s' is planned twice (indexes %zu and %zu)", path,
                    quote(qb, sizeof qb, all[i]->run_dir), a < b ? a : b, a < b ? b : a);
            free(all);
            goto out;
        }
    free(all);
    rc = 0;
out:
    free(text);
    free(path);
    return rc;
}

/* ---- Reading one invocation ------------------------------------------------------ */

static void fail(sw_inv *v, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fail(sw_inv *v, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    assert(n >= 0);
    free(v->reason);
    v->reason = xrealloc(NULL, (size_t)n + 1);
    va_start(ap, f);
    vsnprintf(v->reason, (size_t)n + 1, f, ap);
    va_end(ap);
    v->state = SW_FAILED;
    for (size_t m = 0; m < SW_NMETRICS; m++)
        v->has[m] = false;
}

/* A number >= 0 (and <= 1 when `fraction`) from a JSON value. */
static bool json_num(json_t *j, bool fraction, double *out)
{
    if (!json_is_number(j))
        return false;
    double d = json_number_value(j);
    if (!isfinite(d) || d < 0 || (fraction && d > 1))
        return false;
    *out = d;
    return true;
}

/* MMU at `window` ns from the summary's curve (ascending windows): the
 * point with exactly that window; a window between two points of the curve
 * is interpolated linearly between them (gcbench's curve has 1, 2, 5 ms per
 * decade, so 1, 10 and 100 ms are always points of it while shorter than
 * the run); a window outside the curve (longer than the run) has no value.
 * Returns 1 with a value, 0 without, -1 for a malformed curve. */
static int mmu_at(json_t *mmu, double window, double *out)
{
    size_t i;
    json_t *e;
    double pw = -1, pu = 0;
    json_array_foreach(mmu, i, e) {
        double w, u;
        if (!json_is_object(e) || !json_num(json_object_get(e, "window_ns"), false, &w) ||
            !json_num(json_object_get(e, "utilization"), true, &u) || w <= pw)
            return -1;
        if (w == window) {
            *out = u;
            return 1;
        }
        if (w > window) {
            if (pw < 0)
                return 0; /* before the first window */
            *out = pu + (u - pu) * (window - pw) / (w - pw);
            return 1;
        }
        pw = w;
        pu = u;
    }
    return 0;
}

/* A gcbench run's summary.json: the metrics, and checks that it is the
 * planned run (workload, heap limit, collector name). */
static void read_summary(const sw_sweep *s, const sw_point *pt, sw_inv *v)
{
    char *rel = xasprintf("%s/summary.json", v->run_dir);
    char *path = path_in(s->dir, rel);
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    char qb[256];
    if (!j) {
        if (je.line <= 0)
            fail(v, "unreadable %s: %s", rel, je.text);
        else
            fail(v, "malformed %s:%d:%d: %s", rel, je.line, je.column, je.text);
        goto out;
    }
    if (!json_is_object(j)) {
        fail(v, "%s is not a JSON object", rel);
        goto out;
    }
    const char *wl = json_string_value(json_object_get(j, "workload"));
    const char *coll = json_string_value(json_object_get(j, "collector"));
    double heap;
    size_t clen = strcspn(pt->collector, ":");
    if (!wl || strcmp(wl, pt->workload) != 0) {
        fail(v, "%s is a run of workload '%s', not the planned '%s'", rel, quote(qb, sizeof qb, wl ? wl : "?"),
             pt->workload);
        goto out;
    }
    if (!coll || strlen(coll) != clen || strncmp(coll, pt->collector, clen) != 0) {
        fail(v, "%s is a run of collector '%s', not the planned '%.*s'", rel,
             quote(qb, sizeof qb, coll ? coll : "?"), (int)clen, pt->collector);
        goto out;
    }
    if (!json_num(json_object_get(j, "heap_limit_bytes"), false, &heap) || heap != (double)pt->heap_bytes) {
        fail(v, "%s: heap_limit_bytes is not the planned %" PRIu64, rel, pt->heap_bytes);
        goto out;
    }
    json_t *pauses = json_object_get(j, "pauses"), *mmu = json_object_get(j, "mmu");
    if (!json_is_object(pauses) || !json_is_array(mmu)) {
        fail(v, "%s has no \"%s\" %s", rel, json_is_object(pauses) ? "mmu" : "pauses",
             json_is_object(pauses) ? "array" : "object");
        goto out;
    }
    for (size_t m = 0; m < SW_NMETRICS; m++) {
        const sw_metric *me = &sw_metrics[m];
        if (me->source == SW_MMU) {
            int r = mmu_at(mmu, me->window, &v->value[m]);
            if (r < 0) {
                fail(v, "%s: a malformed \"mmu\" curve", rel);
                goto out;
            }
            v->has[m] = r == 1;
            continue;
        }
        json_t *x = json_object_get(me->source == SW_TOP ? j : pauses, me->key);
        if (!json_num(x, false, &v->value[m])) {
            fail(v, "%s: %s%s is %s, not a number >= 0", rel, me->source == SW_PAUSE ? "pauses." : "", me->key,
                 x ? "of another type or negative" : "missing");
            goto out;
        }
        v->has[m] = true;
    }
out:
    json_decref(j);
    free(path);
    free(rel);
}

/* A peer's stdout: a line "wall_ns N"; "verified 0" is a failure. */
static void read_peer(const sw_sweep *s, sw_inv *v)
{
    char *rel = xasprintf("%s/stdout", v->run_dir);
    char *path = path_in(s->dir, rel);
    size_t len;
    char *text = read_whole(path, &len);
    if (!text) {
        fail(v, "unreadable %s: %s", rel, strerror(errno));
        goto out;
    }
    bool have_wall = false;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        uint64_t w;
        if (strncmp(line, "wall_ns ", 8) == 0 && parse_u64(line + 8, &w)) {
            v->value[0] = (double)w;
            have_wall = true;
        } else if (strcmp(line, "verified 0") == 0) {
            fail(v, "%s says verified 0", rel);
            goto out;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (!have_wall) {
        fail(v, "%s has no line 'wall_ns N'", rel);
        goto out;
    }
    assert(sw_metrics[0].peer && strcmp(sw_metrics[0].name, "wall_ns") == 0);
    v->has[0] = true;
out:
    free(text);
    free(path);
    free(rel);
}

/* The first line of the invocation's stderr, escaped, for a note. */
static char *first_stderr_line(const sw_sweep *s, const sw_inv *v)
{
    char *rel = xasprintf("%s/stderr", v->run_dir);
    char *path = path_in(s->dir, rel);
    char buf[512] = "";
    FILE *f = fopen(path, "rb");
    char *res;
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
    }
    if (buf[0] == '\0')
        res = xstrdup(f ? "(stderr is empty)" : "(no stderr file)");
    else {
        char qb[320];
        res = xstrdup(gc_utf8_escape(qb, sizeof qb, buf, strlen(buf), 200));
    }
    free(path);
    free(rel);
    return res;
}

static void classify(const sw_sweep *s, const sw_point *pt, sw_inv *v)
{
    char *rel = xasprintf("%s/exit", v->run_dir);
    char *path = path_in(s->dir, rel);
    size_t len;
    char *text = read_whole(path, &len);
    if (!text) {
        if (errno == ENOENT || errno == ENOTDIR)
            v->state = SW_MISSING;
        else
            fail(v, "unreadable %s: %s", rel, strerror(errno));
        goto out;
    }
    uint64_t st;
    if (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    if (strlen(text) != len || !parse_u64(text, &st) || st > 65535) {
        char qb[256];
        fail(v, "%s holds '%s', not an exit status", rel, gc_utf8_escape(qb, sizeof qb, text, len, 40));
        goto out;
    }
    v->exit_status = (int)st;
    if (st == 0) {
        v->state = SW_OK;
        if (pt->peer)
            read_peer(s, v);
        else
            read_summary(s, pt, v);
    } else if (st == 3) {
        v->state = SW_GAP;
    } else {
        char *line = first_stderr_line(s, v);
        fail(v, "%s", line);
        free(line);
    }
out:
    free(text);
    free(path);
    free(rel);
}

/* ---- Statistics ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The statistics of values x[0..n) (any order; x is sorted in place). */
static sw_stat stat_of(double *x, size_t n)
{
    sw_stat st = {.n = n};
    if (n == 0)
        return st;
    qsort(x, n, sizeof *x, cmp_double);
    st.min = x[0];
    st.max = x[n - 1];
    st.median = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
    long double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    st.mean = (double)(sum / n);
    if (n >= 2) {
        long double ss = 0;
        for (size_t i = 0; i < n; i++)
            ss += ((long double)x[i] - st.mean) * ((long double)x[i] - st.mean);
        st.sd = (double)sqrtl(ss / (n - 1));
        double half = t975(n - 1) * st.sd / sqrt((double)n);
        st.lo = st.mean - half;
        st.hi = st.mean + half;
        st.has_sd = st.has_ci = true;
    }
    assert(st.min <= st.median && st.median <= st.max);
    return st;
}

static void summarise(sw_sweep *s)
{
    double *x = xrealloc(NULL, 1);
    size_t xcap = 0;
    for (size_t p = 0; p < s->npt; p++) {
        sw_point *pt = &s->pt[p];
        if (pt->ninv > xcap) {
            xcap = pt->ninv;
            x = xrealloc(x, xcap * sizeof *x);
        }
        for (size_t m = 0; m < SW_NMETRICS; m++) {
            size_t n = 0;
            for (size_t i = 0; i < pt->ninv; i++) {
                assert(!pt->inv[i].has[m] || pt->inv[i].state == SW_OK);
                if (pt->inv[i].has[m])
                    x[n++] = pt->inv[i].value[m];
            }
            pt->stat[m] = stat_of(x, n);
        }
    }
    free(x);
    /* Normalisation: the baseline collector's gc point at the same
     * workload, size and multiple. */
    for (size_t p = 0; p < s->npt; p++) {
        sw_point *pt = &s->pt[p];
        if (pt->peer || !s->baseline)
            continue;
        const sw_point *base = NULL;
        for (size_t q = 0; q < s->npt && !base; q++) {
            const sw_point *b = &s->pt[q];
            if (!b->peer && strcmp(b->collector, s->baseline) == 0 && strcmp(b->workload, pt->workload) == 0 &&
                strcmp(b->size, pt->size) == 0 && b->multiple == pt->multiple)
                base = b;
        }
        if (!base)
            continue;
        for (size_t m = 0; m < SW_NMETRICS; m++) {
            const sw_stat *bs = &base->stat[m];
            sw_stat *st = &pt->stat[m];
            if (st->n > 0 && bs->n > 0 && bs->median != 0) {
                st->norm = st->median / bs->median;
                st->has_norm = true;
            }
        }
    }
}

/* Row order: workload (params order), size (plan order), collectors in
 * params order, then peers in params "baselines" order, multiple
 * ascending; anything params does not name after what it names, in plan
 * order. */
static int cmp_point(const void *a, const void *b)
{
    const sw_point *x = a, *y = b;
    if (x->rank_workload != y->rank_workload)
        return x->rank_workload < y->rank_workload ? -1 : 1;
    int c = strcmp(x->workload, y->workload);
    if (c)
        return c;
    c = strcmp(x->size, y->size);
    if (c)
        return c;
    if (x->rank_collector != y->rank_collector)
        return x->rank_collector < y->rank_collector ? -1 : 1;
    c = strcmp(x->collector, y->collector);
    if (c)
        return c;
    if (!x->peer && x->multiple != y->multiple)
        return x->multiple < y->multiple ? -1 : 1;
    return (x->first_line > y->first_line) - (x->first_line < y->first_line);
}

static int cmp_inv(const void *a, const void *b)
{
    const sw_inv *x = a, *y = b;
    return (x->invocation > y->invocation) - (x->invocation < y->invocation);
}

static void order(sw_sweep *s)
{
    size_t ncoll = json_array_size(json_object_get(s->params, "collectors"));
    for (size_t p = 0; p < s->npt; p++) {
        sw_point *pt = &s->pt[p];
        size_t w = rank_in(s, "workloads", pt->workload);
        pt->rank_workload = w == SIZE_MAX ? SIZE_MAX / 2 : w;
        size_t c;
        if (pt->peer) {
            const char *name = strncmp(pt->collector, "peer:", 5) == 0 ? pt->collector + 5 : pt->collector;
            c = rank_in(s, "baselines", name);
            c = c == SIZE_MAX ? SIZE_MAX / 2 + 1 : ncoll + c;
        } else {
            c = rank_in(s, "collectors", pt->collector);
            if (c == SIZE_MAX)
                c = SIZE_MAX / 2;
        }
        pt->rank_collector = c;
        qsort(pt->inv, pt->ninv, sizeof *pt->inv, cmp_inv);
    }
    qsort(s->pt, s->npt, sizeof *s->pt, cmp_point);
}

/* ---- Writing --------------------------------------------------------------------------- */

/* A CSV field per RFC 4180: quoted when it holds a comma, quote or line break. */
static void csv_text(FILE *f, const char *v)
{
    if (strpbrk(v, ",\"\r\n") == NULL) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* The one number format of both outputs: 15 significant digits (exact for
 * whole numbers up to 10^15 ns, about 11.6 days). */
static void csv_num(FILE *f, bool has, double v)
{
    fputc(',', f);
    if (has && isfinite(v))
        fprintf(f, "%.15g", v);
}

static const char *const sw_csv_fixed[] = {"workload", "size",  "collector", "kind",  "multiple", "heap_bytes",
                                            "point",    "planned", "ok",      "gaps",  "failed",   "missing"};

static void write_csv(FILE *f, const sw_sweep *s)
{
    for (size_t i = 0; i < sizeof sw_csv_fixed / sizeof sw_csv_fixed[0]; i++)
        fprintf(f, "%s%s", i ? "," : "", sw_csv_fixed[i]);
    for (size_t m = 0; m < SW_NMETRICS; m++)
        for (size_t k = 0; k < SW_NSTATS; k++)
            fprintf(f, ",%s_%s", sw_metrics[m].name, sw_stat_names[k]);
    fputc('\n', f);
    for (size_t p = 0; p < s->npt; p++) {
        const sw_point *pt = &s->pt[p];
        csv_text(f, pt->workload);
        fputc(',', f);
        csv_text(f, pt->size);
        fputc(',', f);
        csv_text(f, pt->collector);
        fputs(pt->peer ? ",peer," : ",gc,", f);
        if (!pt->peer) {
            csv_text(f, pt->multiple_text);
            fprintf(f, ",%" PRIu64 ",", pt->heap_bytes);
        } else {
            fputs(",,", f);
        }
        csv_text(f, pt->id);
        const gcb_sweep_counts *c = &pt->counts;
        fprintf(f, ",%zu,%zu,%zu,%zu,%zu", c->planned, c->ok, c->gaps, c->failed, c->missing);
        for (size_t m = 0; m < SW_NMETRICS; m++) {
            const sw_stat *st = &pt->stat[m];
            bool applies = !pt->peer || sw_metrics[m].peer;
            if (applies)
                fprintf(f, ",%zu", st->n);
            else
                fputc(',', f);
            bool any = applies && st->n > 0;
            csv_num(f, any, st->median);
            csv_num(f, any, st->mean);
            csv_num(f, any && st->has_sd, st->sd);
            csv_num(f, any && st->has_ci, st->lo);
            csv_num(f, any && st->has_ci, st->hi);
            csv_num(f, any, st->min);
            csv_num(f, any, st->max);
            csv_num(f, any && st->has_norm, st->norm);
        }
        fputc('\n', f);
    }
}

/* jansson values; every string passes utf8_clean. Out of memory ends the
 * process (as everywhere in gcbench). */
static json_t *jchk(json_t *j)
{
    if (!j) {
        fputs("gcbench: out of memory\n", stderr);
        exit(1);
    }
    return j;
}
static json_t *jstr(const char *s)
{
    char *c = utf8_clean(s);
    json_t *j = jchk(json_string(c));
    free(c);
    return j;
}
static json_t *jnum(bool has, double v) { return jchk(has && isfinite(v) ? json_real(v) : json_null()); }
static json_t *jint(uint64_t v) { return jchk(json_integer((json_int_t)v)); }
static void jset(json_t *o, const char *k, json_t *v)
{
    if (json_object_set_new(o, k, v) != 0)
        jchk(NULL);
}
static void jpush(json_t *a, json_t *v)
{
    if (json_array_append_new(a, v) != 0)
        jchk(NULL);
}

static json_t *counts_json(const gcb_sweep_counts *c)
{
    json_t *o = jchk(json_object());
    jset(o, "planned", jint(c->planned));
    jset(o, "ok", jint(c->ok));
    jset(o, "gaps", jint(c->gaps));
    jset(o, "failed", jint(c->failed));
    jset(o, "missing", jint(c->missing));
    return o;
}

static json_t *build_json(const sw_sweep *s)
{
    json_t *root = jchk(json_object());
    jset(root, "format", jstr("gcbench-sweep"));
    jset(root, "format_version", jint(1));
    jset(root, "params", jchk(json_deep_copy(s->params)));
    jset(root, "baseline", s->baseline ? jstr(s->baseline) : jchk(json_null()));
    jset(root, "counts", counts_json(&s->counts));
    json_t *names = jchk(json_array());
    for (size_t m = 0; m < SW_NMETRICS; m++)
        jpush(names, jstr(sw_metrics[m].name));
    jset(root, "metrics", names);
    jset(root, "confidence", jstr("95% Student t interval of the mean: mean +- t(0.975, n-1) * sd / sqrt(n)"));
    json_t *points = jchk(json_array());
    for (size_t p = 0; p < s->npt; p++) {
        const sw_point *pt = &s->pt[p];
        json_t *o = jchk(json_object());
        jset(o, "point", jstr(pt->id));
        jset(o, "kind", jstr(pt->peer ? "peer" : "gc"));
        jset(o, "collector", jstr(pt->collector));
        jset(o, "workload", jstr(pt->workload));
        jset(o, "size", jstr(pt->size));
        jset(o, "multiple", jnum(!pt->peer, pt->multiple));
        jset(o, "heap_bytes", pt->peer ? jchk(json_null()) : jint(pt->heap_bytes));
        jset(o, "counts", counts_json(&pt->counts));
        json_t *ms = jchk(json_object());
        for (size_t m = 0; m < SW_NMETRICS; m++) {
            if (pt->peer && !sw_metrics[m].peer)
                continue;
            const sw_stat *st = &pt->stat[m];
            bool any = st->n > 0;
            json_t *mo = jchk(json_object());
            jset(mo, "n", jint(st->n));
            jset(mo, "median", jnum(any, st->median));
            jset(mo, "mean", jnum(any, st->mean));
            jset(mo, "sd", jnum(any && st->has_sd, st->sd));
            jset(mo, "ci95_lo", jnum(any && st->has_ci, st->lo));
            jset(mo, "ci95_hi", jnum(any && st->has_ci, st->hi));
            jset(mo, "min", jnum(any, st->min));
            jset(mo, "max", jnum(any, st->max));
            jset(mo, "norm", jnum(any && st->has_norm, st->norm));
            json_t *vals = jchk(json_array());
            for (size_t i = 0; i < pt->ninv; i++)
                if (pt->inv[i].has[m])
                    jpush(vals, jnum(true, pt->inv[i].value[m]));
            jset(mo, "values", vals);
            jset(ms, sw_metrics[m].name, mo);
        }
        jset(o, "metrics", ms);
        json_t *invs = jchk(json_array());
        for (size_t i = 0; i < pt->ninv; i++) {
            const sw_inv *v = &pt->inv[i];
            json_t *io = jchk(json_object());
            jset(io, "invocation", jint(v->invocation));
            jset(io, "index", jint(v->index));
            jset(io, "run_dir", jstr(v->run_dir));
            jset(io, "status", jstr(sw_state_names[v->state]));
            jset(io, "exit", v->exit_status >= 0 ? jint((uint64_t)v->exit_status) : jchk(json_null()));
            jset(io, "reason", v->reason ? jstr(v->reason) : jchk(json_null()));
            jpush(invs, io);
        }
        jset(o, "invocations", invs);
        jpush(points, o);
    }
    jset(root, "points", points);
    return root;
}

/* Writes DIR/NAME through DIR/NAME.tmp and rename. */
static int write_atomic(const sw_sweep *s, const char *name, json_t *json, char *err, size_t errlen)
{
    char *path = path_in(s->dir, name);
    char *tmp = xasprintf("%s.tmp", path);
    int rc = -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        set_err(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (json) {
        if (json_dumpf(json, f, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0)
            errno = EIO;
        else
            fputc('\n', f);
    } else {
        write_csv(f, s);
    }
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    if (fclose(f) != 0 && !e)
        e = errno;
    if (e) {
        set_err(err, errlen, "cannot write '%s': %s", tmp, strerror(e));
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        set_err(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    free(path);
    return rc;
}

static int cmp_inv_index(const void *a, const void *b)
{
    const sw_inv *x = *(const sw_inv *const *)a, *y = *(const sw_inv *const *)b;
    return (x->index > y->index) - (x->index < y->index);
}

static void notes(FILE *note, const sw_sweep *s)
{
    if (!note)
        return;
    char qb[640];
    for (size_t p = 0; p < s->npt; p++)
        for (size_t i = 0; i < s->pt[p].ninv; i++) {
            const sw_inv *v = &s->pt[p].inv[i];
            if (v->state != SW_FAILED)
                continue;
            fprintf(note, "gcbench: failed: %s", quote(qb, sizeof qb, v->run_dir));
            if (v->exit_status >= 0)
                fprintf(note, " (exit %d)", v->exit_status);
            fprintf(note, ": %s\n", v->reason);
        }
    if (s->counts.missing == 0)
        return;
    fprintf(note, "gcbench: missing: %zu of %zu invocations (no exit file)\n", s->counts.missing,
            s->counts.planned);
    /* Listed in plan order, the order they would run in. */
    const sw_inv **miss = xrealloc(NULL, s->counts.missing * sizeof *miss);
    size_t nmiss = 0;
    for (size_t p = 0; p < s->npt; p++)
        for (size_t i = 0; i < s->pt[p].ninv; i++)
            if (s->pt[p].inv[i].state == SW_MISSING)
                miss[nmiss++] = &s->pt[p].inv[i];
    assert(nmiss == s->counts.missing);
    qsort(miss, nmiss, sizeof *miss, cmp_inv_index);
    size_t listed = nmiss < SW_MAX_MISSING_LISTED ? nmiss : SW_MAX_MISSING_LISTED;
    for (size_t i = 0; i < listed; i++)
        fprintf(note, "gcbench: missing: %s\n", quote(qb, sizeof qb, miss[i]->run_dir));
    free(miss);
    if (s->counts.missing > listed)
        fprintf(note, "gcbench: missing: ... and %zu more\n", s->counts.missing - listed);
}

static void free_sweep(sw_sweep *s)
{
    for (size_t p = 0; p < s->npt; p++) {
        sw_point *pt = &s->pt[p];
        for (size_t i = 0; i < pt->ninv; i++) {
            free(pt->inv[i].run_dir);
            free(pt->inv[i].reason);
        }
        free(pt->inv);
        free(pt->id);
        free(pt->collector);
        free(pt->workload);
        free(pt->size);
        free(pt->multiple_text);
    }
    free(s->pt);
    json_decref(s->params);
}

int gcb_sweep_aggregate(const char *dir, FILE *note, gcb_sweep_counts *counts, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    sw_sweep s = {.dir = dir};
    int rc = -1;
    if (!dir || !*dir) {
        set_err(err, errlen, "no sweep directory given");
        return -1;
    }
    if (load_params(&s, err, errlen) != 0 || load_plan(&s, err, errlen) != 0)
        goto out;
    for (size_t p = 0; p < s.npt; p++) {
        sw_point *pt = &s.pt[p];
        for (size_t i = 0; i < pt->ninv; i++) {
            classify(&s, pt, &pt->inv[i]);
            sw_state st = pt->inv[i].state;
            size_t *c = st == SW_OK ? &pt->counts.ok
                      : st == SW_GAP ? &pt->counts.gaps
                      : st == SW_FAILED ? &pt->counts.failed
                                        : &pt->counts.missing;
            (*c)++;
        }
        pt->counts.planned = pt->ninv;
        assert(pt->counts.planned ==
               pt->counts.ok + pt->counts.gaps + pt->counts.failed + pt->counts.missing);
        s.counts.ok += pt->counts.ok;
        s.counts.gaps += pt->counts.gaps;
        s.counts.failed += pt->counts.failed;
        s.counts.missing += pt->counts.missing;
    }
    assert(s.counts.planned == s.counts.ok + s.counts.gaps + s.counts.failed + s.counts.missing);
    if (counts)
        *counts = s.counts;
    order(&s);
    summarise(&s);
    notes(note, &s);
    if (write_atomic(&s, "sweep.csv", NULL, err, errlen) != 0)
        goto out;
    json_t *j = build_json(&s);
    int w = write_atomic(&s, "sweep.json", j, err, errlen);
    json_decref(j);
    if (w != 0)
        goto out;
    rc = 0;
out:
    free_sweep(&s);
    return rc;
}
