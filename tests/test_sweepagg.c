/* tests/test_sweepagg.c — aggregation of a sweep directory
 * (gcb_sweep_aggregate, bench/sweepagg.h) and its plot (scripts/plot-sweep).
 *
 * Each test builds a synthetic sweep directory by hand — params.json,
 * plan.tsv in interleaved order, run directories with minimal summary.json
 * files or peer stdout holding known numbers, exit files — covering every
 * kind of invocation: ok, a gap (exit 3), failures (exit 1 with a stderr,
 * 137 without, exit 0 with a truncated summary.json, a peer that says
 * "verified 0", a peer without wall_ns), missing ones (a killed run with
 * no exit file, points never run). The counts, the row order, and every
 * statistic checked are compared with values computed by hand here
 * (median, mean, sample sd, Student t interval, normalisation to the
 * baseline collector, MMU interpolation). Bad input: an unreadable
 * directory, a malformed plan, an unwritable directory, odd characters in
 * the path. The plot script is run on the same directories (PNG and SVG,
 * every legend entry with six collectors and three peers) and on bad input;
 * its tests are skipped only when gnuplot is not installed. */
#include <criterion/criterion.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/sweepagg.h"
#include "files.h"
#include "shell.h"

static char tmpdir[] = "/tmp/gcbench-sweepagg-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
    /* Readable by the unprivileged user the not-writable test becomes. */
    cr_assert_eq(chmod(tmpdir, 0755), 0);
}

/* Memory a test keeps until the suite ends (paths built with fmt() that
 * must outlive many later calls, csv text): freed by teardown. */
static void *kept[512];
static size_t nkept;

static void *keep_mem(void *p)
{
    cr_assert_not_null(p);
    cr_assert_lt(nkept, sizeof kept / sizeof kept[0], "too many kept allocations");
    kept[nkept++] = p;
    return p;
}

static void teardown(void)
{
    sh("chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    nkept = 0;
}

TestSuite(sweepagg, .init = setup, .fini = teardown);

/* ---- Files ----------------------------------------------------------------------- */

/* mkdir -p, in C so that any character in the path works. */
static void mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf, strerror(errno));
            *p = '/';
        }
    cr_assert(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", buf, strerror(errno));
}

/* Writes DIR/REL (creating its directory). */
static void put(const char *dir, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdirs(path);
    *slash = '/';
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static bool exists(const char *path) { return file_size(path) >= 0; }

/* s as one shell word: single-quoted, ' as '\''. */
static const char *shq(const char *s)
{
    static char buf[8][4096];
    static int next;
    char *b = buf[next++ % 8], *o = b;
    *o++ = '\'';
    for (; *s && o < b + sizeof buf[0] - 6; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else
            *o++ = *s;
    }
    *o++ = '\'';
    *o = '\0';
    return b;
}

/* ---- The synthetic sweep ---------------------------------------------------------- */

typedef enum {
    I_OK,      /* exit 0 and a summary.json (or a peer's stdout) */
    I_GAP,     /* exit 3 */
    I_FAIL1,   /* exit 1 with a two-line stderr */
    I_FAIL137, /* exit 137 (SIGKILL), no stderr file */
    I_BAD,     /* exit 0, summary.json truncated */
    I_KILLED,  /* summary.json but no exit file (missing) */
    I_NODIR,   /* never ran: no run directory (missing) */
    I_UNVERIFIED, /* peer: exit 0, "verified 0" */
    I_NOWALL   /* peer: exit 0, no wall_ns line */
} inv_kind;

typedef struct {
    inv_kind kind;
    double wall_ms, gc_ms, max_ms, p99_ms, mmu1, mmu10, mmu100;
    bool mmu_off_grid; /* the curve has 0.5 ms and 2 ms, not 1 ms */
} inv_spec;

typedef struct {
    const char *id, *collector;
    const char *multiple; /* NULL for a peer */
    unsigned long heap;
    inv_spec inv[5];
} point_spec;

#define OK(w, g, mx, p, u1, u10, u100) {I_OK, w, g, mx, p, u1, u10, u100, false}
#define KIND(k) {k, 0, 0, 0, 0, 0, 0, 0, false}

/* The main fixture: two collectors (one spec has a comma: CSV quoting),
 * three multiples, a peer; listed in plan order, not in row order. */
static const point_spec main_points[] = {
    {"bdw", "peer:bdw", NULL, 0,
     {OK(30, 0, 0, 0, 0, 0, 0), OK(32, 0, 0, 0, 0, 0, 0), OK(31, 0, 0, 0, 0, 0, 0), KIND(I_UNVERIFIED),
      KIND(I_NOWALL)}},
    {"gen-3", "generational:nursery=1M,x=1", "3", 3145728,
     {OK(150, 5, 1, 1, 0.5, 0.5, 0.5), OK(150, 5, 1, 1, 0.5, 0.5, 0.5), OK(150, 5, 1, 1, 0.5, 0.5, 0.5),
      OK(150, 5, 1, 1, 0.5, 0.5, 0.5), OK(150, 5, 1, 1, 0.5, 0.5, 0.5)}},
    {"gen-2", "generational:nursery=1M,x=1", "2", 2097152,
     {KIND(I_NODIR), KIND(I_NODIR), KIND(I_NODIR), KIND(I_NODIR), KIND(I_NODIR)}},
    {"gen-1.5", "generational:nursery=1M,x=1", "1.5", 1572864,
     {OK(170, 20, 3, 2, 0.3, 0.5, 0.6), {I_OK, 180, 20, 3, 2, 0.3, 0.5, 0.6, true}, OK(190, 20, 3, 2, 0.3, 0.5, 0.6),
      OK(200, 20, 3, 2, 0.3, 0.5, 0.6), KIND(I_FAIL137)}},
    {"ms-2", "marksweep", "2", 2097152,
     {OK(110, 10, 2, 1, 0.4, 0.6, 0.7), KIND(I_GAP), KIND(I_FAIL1), KIND(I_KILLED), KIND(I_BAD)}},
    {"ms-3", "marksweep", "3", 3145728,
     {KIND(I_GAP), KIND(I_GAP), KIND(I_GAP), KIND(I_GAP), KIND(I_GAP)}},
    {"ms-1.5", "marksweep", "1.5", 1572864,
     {OK(100, 10, 4, 2, 0.1, 0.6, 0.7), OK(120, 20, 4, 2, 0.2, 0.6, 0.7), OK(140, 30, 4, 2, 0.3, 0.6, 0.8),
      OK(160, 40, 4, 2, 0.4, 0.6, 0.8), OK(180, 50, 4, 3, 0.5, 0.6, 0.9)}},
};
#define NMAIN (sizeof main_points / sizeof main_points[0])

static const char *main_params =
    "{\"gcbench\": \"/abs/gcbench\", \"collectors\": [\"marksweep\", \"generational:nursery=1M,x=1\"],\n"
    " \"workloads\": [\"trees\"], \"size\": \"small\", \"multiples\": [1.5, 2, 3], \"invocations\": 5,\n"
    " \"base\": \"smallest\", \"baselines\": [\"bdw\"], \"baseline\": \"marksweep\", \"seed\": 1,\n"
    " \"resolution_bytes\": 65536, \"extra_args\": []}\n";

/* A summary.json as gcbench writes it, reduced to what aggregation reads;
 * the MMU curve has windows 1, 2, 5 ms per decade below the wall time, then
 * the wall time (or 0.5 and 2 ms instead of 1 ms, when off_grid). */
static void put_summary(const char *dir, const char *rel, const point_spec *p, const inv_spec *v)
{
    char coll[128];
    snprintf(coll, sizeof coll, "%.*s", (int)strcspn(p->collector, ":"), p->collector);
    double wall = v->wall_ms * 1e6, gc = v->gc_ms * 1e6;
    char mmu[2048] = "";
    size_t n = 0;
    static const double grid[] = {1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8, 2e8, 5e8};
    if (v->mmu_off_grid)
        n += (size_t)snprintf(mmu + n, sizeof mmu - n, "{\"window_ns\": 500000, \"utilization\": 0.2}, ");
    for (size_t i = 0; i < sizeof grid / sizeof grid[0] && grid[i] < wall; i++) {
        double u = grid[i] == 1e6 ? v->mmu1 : grid[i] == 1e7 ? v->mmu10 : grid[i] == 1e8 ? v->mmu100 : 0.5;
        if (v->mmu_off_grid && grid[i] == 1e6)
            continue;
        if (v->mmu_off_grid && grid[i] == 2e6)
            u = 0.35; /* 1 ms lies a third of the way from 0.5 to 2 ms: 0.2 + 0.15/3 * 3 = 0.25 */
        n += (size_t)snprintf(mmu + n, sizeof mmu - n, "{\"window_ns\": %.0f, \"utilization\": %g}, ", grid[i], u);
    }
    snprintf(mmu + n, sizeof mmu - n, "{\"window_ns\": %.0f, \"utilization\": 0.9}", wall);
    char text[4096];
    snprintf(text, sizeof text,
             "{\n  \"gcbench_version\": \"0.1.0\",\n  \"collector\": \"%s\",\n  \"workload\": \"trees\",\n"
             "  \"heap_limit_bytes\": %lu,\n  \"wall_ns\": %.0f,\n  \"mutator_ns\": %.0f,\n  \"gc_ns\": %.0f,\n"
             "  \"pauses\": {\"count\": 3, \"max_ns\": %.0f, \"p99_ns\": %.0f},\n  \"mmu\": [%s],\n"
             "  \"exit_code\": 0\n}\n",
             coll, p->heap, wall, wall - gc, gc, v->max_ms * 1e6, v->p99_ms * 1e6, mmu);
    put(dir, rel, text);
}

/* Builds the sweep of `points` in DIR: the plan interleaved (invocation 1
 * of every point, then 2, ...), and each invocation's run directory. */
static size_t build_sweep(const char *dir, const char *params, const point_spec *points, size_t npoints)
{
    mkdirs(dir);
    put(dir, "params.json", params);
    char *plan = calloc(1, 1 << 16);
    cr_assert_not_null(plan);
    size_t len = (size_t)sprintf(plan, "# index\tpoint\tkind\tcollector_spec\tworkload\tsize\tmultiple\theap_bytes"
                                       "\tinvocation\trun_dir\n");
    size_t index = 0;
    for (int inv = 1; inv <= 5; inv++)
        for (size_t i = 0; i < npoints; i++) {
            const point_spec *p = &points[i];
            const inv_spec *v = &p->inv[inv - 1];
            char run[256], rel[300];
            snprintf(run, sizeof run, "runs/%s/%d", p->id, inv);
            index++;
            if (p->multiple)
                len += (size_t)sprintf(plan + len, "%zu\t%s\tgc\t%s\ttrees\tsmall\t%s\t%lu\t%d\t%s\n", index, p->id,
                                       p->collector, p->multiple, p->heap, inv, run);
            else
                len += (size_t)sprintf(plan + len, "%zu\t%s\tpeer\t%s\ttrees\tsmall\t-\t-\t%d\t%s\n", index, p->id,
                                       p->collector, inv, run);
            snprintf(rel, sizeof rel, "%s/exit", run);
            switch (v->kind) {
            case I_OK:
                if (p->multiple) {
                    snprintf(rel, sizeof rel, "%s/summary.json", run);
                    put_summary(dir, rel, p, v);
                } else {
                    char out[256];
                    snprintf(out, sizeof out, "wall_ns %.0f\ngc_count 7\nheap_bytes 1000\nverified 1\n",
                             v->wall_ms * 1e6);
                    snprintf(rel, sizeof rel, "%s/stdout", run);
                    put(dir, rel, out);
                }
                snprintf(rel, sizeof rel, "%s/stderr", run);
                put(dir, rel, "");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "0\n");
                break;
            case I_GAP:
                snprintf(rel, sizeof rel, "%s/stderr", run);
                put(dir, rel, "heap exhausted: 3.0 MiB live, 2.0 MiB limit, marksweep\n");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "3\n");
                break;
            case I_FAIL1:
                snprintf(rel, sizeof rel, "%s/stderr", run);
                put(dir, rel, "gcbench: boom\tat\x01 once\nsecond line\n");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "1\n");
                break;
            case I_FAIL137:
                put(dir, rel, "137\n");
                break;
            case I_BAD:
                snprintf(rel, sizeof rel, "%s/summary.json", run);
                put(dir, rel, "{\n  \"wall_ns\": 12");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "0\n");
                break;
            case I_KILLED:
                snprintf(rel, sizeof rel, "%s/summary.json", run);
                put_summary(dir, rel, p, &(inv_spec)OK(999, 1, 1, 1, 0.1, 0.1, 0.1));
                break;
            case I_NODIR:
                break;
            case I_UNVERIFIED:
                snprintf(rel, sizeof rel, "%s/stdout", run);
                put(dir, rel, "wall_ns 1000\ngc_count 0\nheap_bytes 0\nverified 0\n");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "0\n");
                break;
            case I_NOWALL:
                snprintf(rel, sizeof rel, "%s/stdout", run);
                put(dir, rel, "gc_count 0\n");
                snprintf(rel, sizeof rel, "%s/exit", run);
                put(dir, rel, "0\n");
                break;
            }
        }
    put(dir, "plan.tsv", plan);
    free(plan);
    return index;
}

/* Paths that must outlive many fmt() calls. */
static const char *keep(const char *s) { return keep_mem(strdup(s)); }

static const char *main_dir(void) { return keep(fmt("%s/sweep", tmpdir)); }

/* ---- Reading sweep.csv back (RFC 4180) ----------------------------------------------- */

#define MAXCOLS 128
#define MAXROWS 64
typedef struct {
    size_t ncols, nrows;
    char *head[MAXCOLS];
    char *cell[MAXROWS][MAXCOLS];
} csv_t;

/* Splits one line into fields; returns their number. */
static size_t csv_fields(char *line, char **out)
{
    size_t n = 0;
    char *o = line, *p = line;
    out[n++] = o;
    bool q = false;
    for (; *p; p++) {
        if (q) {
            if (*p == '"' && p[1] == '"')
                *o++ = *p++;
            else if (*p == '"')
                q = false;
            else
                *o++ = *p;
        } else if (*p == '"')
            q = true;
        else if (*p == ',') {
            *o++ = '\0';
            cr_assert_lt(n, MAXCOLS);
            out[n++] = o;
        } else
            *o++ = *p;
    }
    *o = '\0';
    cr_assert(!q, "an unclosed quote in sweep.csv");
    return n;
}

static csv_t *csv_load(const char *path)
{
    csv_t *c = calloc(1, sizeof *c);
    char *text = keep_mem(slurp(path));
    cr_assert(strlen(text) > 0 && text[strlen(text) - 1] == '\n', "%s does not end with a newline", path);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    cr_assert_not_null(line);
    c->ncols = csv_fields(line, c->head);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        cr_assert_lt(c->nrows, MAXROWS);
        size_t n = csv_fields(line, c->cell[c->nrows]);
        cr_assert_eq(n, c->ncols, "row %zu of %s has %zu fields, the header %zu", c->nrows + 2, path, n, c->ncols);
        c->nrows++;
    }
    return c;
}

static const char *cell(const csv_t *c, size_t row, const char *col)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (strcmp(c->head[i], col) == 0)
            return c->cell[row][i];
    cr_assert_fail("no column %s in sweep.csv", col);
    return NULL;
}

static size_t row_of(const csv_t *c, const char *point)
{
    for (size_t r = 0; r < c->nrows; r++)
        if (strcmp(cell(c, r, "point"), point) == 0)
            return r;
    cr_assert_fail("no row for point %s", point);
    return 0;
}

/* The cell is the number `want` (relative 1e-9, or absolute 1e-6 near 0). */
static void expect_num(const csv_t *c, const char *point, const char *col, double want)
{
    const char *v = cell(c, row_of(c, point), col);
    char *end;
    double got = strtod(v, &end);
    cr_assert(*v && !*end, "%s %s is \"%s\", expected %.10g", point, col, v, want);
    cr_assert(fabs(got - want) <= 1e-9 * fabs(want) + 1e-6, "%s %s is %.12g, expected %.12g", point, col, got,
              want);
}

static void expect_empty(const csv_t *c, const char *point, const char *col)
{
    const char *v = cell(c, row_of(c, point), col);
    cr_assert_str_empty(v, "%s %s is \"%s\", expected empty", point, col, v);
}

static void expect_text(const csv_t *c, const char *point, const char *col, const char *want)
{
    cr_assert_str_eq(cell(c, row_of(c, point), col), want, "%s %s", point, col);
}

/* Runs the aggregation of DIR; the notes in *notes (malloc'd). */
static int aggregate(const char *dir, gcb_sweep_counts *counts, char **notes, char *err, size_t errlen)
{
    size_t len = 0;
    char *buf = NULL;
    FILE *note = open_memstream(&buf, &len);
    cr_assert_not_null(note);
    int rc = gcb_sweep_aggregate(dir, note, counts, err, errlen);
    fclose(note);
    if (notes)
        *notes = buf;
    else
        free(buf);
    return rc;
}

/* ---- Aggregation ----------------------------------------------------------------------- */

Test(sweepagg, counts_and_notes)
{
    const char *dir = main_dir();
    size_t planned = build_sweep(dir, main_params, main_points, NMAIN);
    cr_assert_eq(planned, 35);
    gcb_sweep_counts c;
    char err[512], *notes;
    cr_assert_eq(aggregate(dir, &c, &notes, err, sizeof err), 0, "aggregation failed: %s", err);
    /* ok: ms-1.5 5, ms-2 1, gen-1.5 4, gen-3 5, bdw 3; gaps: ms-2 1, ms-3 5;
     * failed: ms-2 2 (exit 1, truncated summary), gen-1.5 1 (137), bdw 2;
     * missing: ms-2 1 (killed), gen-2 5. */
    cr_assert_eq(c.planned, 35);
    cr_assert_eq(c.ok, 18);
    cr_assert_eq(c.gaps, 6);
    cr_assert_eq(c.failed, 5);
    cr_assert_eq(c.missing, 6);

    cr_assert_not_null(strstr(notes, "gcbench: failed: runs/ms-2/3 (exit 1): gcbench: boom\\x09at\\x01 once\n"),
                       "notes:\n%s", notes);
    cr_assert_null(strstr(notes, "second line"), "only the first line of stderr: %s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: failed: runs/ms-2/5 (exit 0): malformed runs/ms-2/5/summary.json"),
                       "notes:\n%s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: failed: runs/gen-1.5/5 (exit 137): (no stderr file)\n"), "notes:\n%s",
                       notes);
    cr_assert_not_null(strstr(notes, "gcbench: failed: runs/bdw/4 (exit 0): runs/bdw/4/stdout says verified 0\n"),
                       "notes:\n%s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: failed: runs/bdw/5 (exit 0): runs/bdw/5/stdout has no line"),
                       "notes:\n%s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: missing: 6 of 35 invocations (no exit file)\n"), "notes:\n%s", notes);
    /* Missing ones in plan order: gen-2/1 (index 3), ms-2/4 (index 26), ... */
    const char *g1 = strstr(notes, "gcbench: missing: runs/gen-2/1\n");
    const char *m4 = strstr(notes, "gcbench: missing: runs/ms-2/4\n");
    cr_assert(g1 && m4 && g1 < m4, "notes:\n%s", notes);
    cr_assert_null(strstr(notes, "and"), "all six are listed: %s", notes);
    size_t lines = 0;
    for (const char *p = notes; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 5 + 1 + 6, "notes:\n%s", notes);
    free(notes);
}

Test(sweepagg, statistics_against_hand_computed_values)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    csv_t *c = csv_load(fmt("%s/sweep.csv", dir));

    /* Row order: workload, collectors in params order, multiple ascending,
     * peers last; not the plan's order. */
    static const char *const order[] = {"ms-1.5", "ms-2", "ms-3", "gen-1.5", "gen-2", "gen-3", "bdw"};
    cr_assert_eq(c->nrows, 7);
    for (size_t r = 0; r < 7; r++)
        cr_assert_str_eq(cell(c, r, "point"), order[r], "row %zu", r + 1);
    cr_assert_str_eq(c->head[0], "workload");
    expect_text(c, "gen-1.5", "collector", "generational:nursery=1M,x=1"); /* quoted: a comma */
    expect_text(c, "gen-1.5", "kind", "gc");
    expect_text(c, "gen-1.5", "multiple", "1.5");
    expect_text(c, "gen-1.5", "heap_bytes", "1572864");
    expect_text(c, "bdw", "kind", "peer");
    expect_empty(c, "bdw", "multiple");
    expect_empty(c, "bdw", "heap_bytes");

    /* ms-1.5: wall 100, 120, 140, 160, 180 ms: mean 140, sd sqrt(1000) =
     * 31.6228, t(0.975, 4) = 2.776445: 140 +- 2.776445 * 31.6228 / sqrt(5) =
     * 140 +- 39.2649. */
    double sd = sqrt(1000.0), half = 2.776445 * sd / sqrt(5.0);
    expect_num(c, "ms-1.5", "planned", 5);
    expect_num(c, "ms-1.5", "ok", 5);
    expect_num(c, "ms-1.5", "wall_ns_n", 5);
    expect_num(c, "ms-1.5", "wall_ns_median", 140e6);
    expect_num(c, "ms-1.5", "wall_ns_mean", 140e6);
    expect_num(c, "ms-1.5", "wall_ns_sd", sd * 1e6);
    expect_num(c, "ms-1.5", "wall_ns_ci95_lo", (140 - half) * 1e6);
    expect_num(c, "ms-1.5", "wall_ns_ci95_hi", (140 + half) * 1e6);
    cr_assert(fabs(half - 39.2649) < 1e-4, "half width %.6f", half);
    expect_num(c, "ms-1.5", "wall_ns_min", 100e6);
    expect_num(c, "ms-1.5", "wall_ns_max", 180e6);
    expect_num(c, "ms-1.5", "wall_ns_norm", 1); /* the baseline itself */
    /* gc 10..50 ms: mean 30, sd sqrt(250) */
    expect_num(c, "ms-1.5", "gc_ns_median", 30e6);
    expect_num(c, "ms-1.5", "gc_ns_sd", sqrt(250.0) * 1e6);
    /* mutator = wall - gc: 90, 100, 110, 120, 130 */
    expect_num(c, "ms-1.5", "mutator_ns_median", 110e6);
    expect_num(c, "ms-1.5", "mutator_ns_min", 90e6);
    /* max pause 4 ms each: sd 0, the interval collapses onto the mean */
    expect_num(c, "ms-1.5", "pause_max_ns_sd", 0);
    expect_num(c, "ms-1.5", "pause_max_ns_ci95_lo", 4e6);
    expect_num(c, "ms-1.5", "pause_max_ns_ci95_hi", 4e6);
    /* p99 2, 2, 2, 2, 3: median 2, mean 2.2 */
    expect_num(c, "ms-1.5", "pause_p99_ns_median", 2e6);
    expect_num(c, "ms-1.5", "pause_p99_ns_mean", 2.2e6);
    /* MMU 1 ms 0.1..0.5: mean 0.3, sd sqrt(0.025). At 100 ms: invocation 1
     * lasted exactly 100 ms, so its 100 ms window is the curve's last point,
     * the whole run (0.9); then 0.7, 0.8, 0.8, 0.9: mean 0.82. */
    expect_num(c, "ms-1.5", "mmu_1ms_mean", 0.3);
    expect_num(c, "ms-1.5", "mmu_1ms_sd", sqrt(0.025));
    expect_num(c, "ms-1.5", "mmu_1ms_ci95_hi", 0.3 + 2.776445 * sqrt(0.025) / sqrt(5.0));
    expect_num(c, "ms-1.5", "mmu_10ms_median", 0.6);
    expect_num(c, "ms-1.5", "mmu_100ms_median", 0.8);
    expect_num(c, "ms-1.5", "mmu_100ms_mean", 0.82);

    /* ms-2: one ok invocation of five: n 1, no sd, no interval. */
    expect_num(c, "ms-2", "ok", 1);
    expect_num(c, "ms-2", "gaps", 1);
    expect_num(c, "ms-2", "failed", 2);
    expect_num(c, "ms-2", "missing", 1);
    expect_num(c, "ms-2", "wall_ns_n", 1);
    expect_num(c, "ms-2", "wall_ns_median", 110e6);
    expect_num(c, "ms-2", "wall_ns_mean", 110e6);
    expect_empty(c, "ms-2", "wall_ns_sd");
    expect_empty(c, "ms-2", "wall_ns_ci95_lo");
    expect_empty(c, "ms-2", "wall_ns_ci95_hi");
    expect_num(c, "ms-2", "wall_ns_norm", 1);

    /* ms-3: all gaps: n 0, everything else empty. */
    expect_num(c, "ms-3", "gaps", 5);
    expect_num(c, "ms-3", "wall_ns_n", 0);
    expect_empty(c, "ms-3", "wall_ns_median");
    expect_empty(c, "ms-3", "wall_ns_norm");

    /* gen-1.5: 170, 180, 190, 200 (even n: the median is the mean of the
     * middle two): median 185, mean 185, sd sqrt(500/3), t(0.975, 3) =
     * 3.182446; normalised 185 / 140. */
    double sd4 = sqrt(500.0 / 3), half4 = 3.182446 * sd4 / 2;
    expect_num(c, "gen-1.5", "ok", 4);
    expect_num(c, "gen-1.5", "failed", 1);
    expect_num(c, "gen-1.5", "wall_ns_median", 185e6);
    expect_num(c, "gen-1.5", "wall_ns_sd", sd4 * 1e6);
    expect_num(c, "gen-1.5", "wall_ns_ci95_lo", (185 - half4) * 1e6);
    expect_num(c, "gen-1.5", "wall_ns_ci95_hi", (185 + half4) * 1e6);
    expect_num(c, "gen-1.5", "wall_ns_norm", 185.0 / 140);
    expect_num(c, "gen-1.5", "gc_ns_norm", 20.0 / 30);
    expect_num(c, "gen-1.5", "pause_max_ns_norm", 3.0 / 4);
    /* Invocation 2's curve has 0.5 ms (0.2) and 2 ms (0.35) but no 1 ms:
     * interpolated 0.2 + (0.35 - 0.2) * (1 - 0.5) / (2 - 0.5) = 0.25; the
     * others have 0.3 at 1 ms: median 0.3, mean 0.2875. */
    expect_num(c, "gen-1.5", "mmu_1ms_n", 4);
    expect_num(c, "gen-1.5", "mmu_1ms_mean", (0.3 * 3 + 0.25) / 4);
    expect_num(c, "gen-1.5", "mmu_1ms_min", 0.25);
    expect_num(c, "gen-1.5", "mmu_1ms_norm", 0.3 / 0.3);

    /* gen-2: never ran. */
    expect_num(c, "gen-2", "missing", 5);
    expect_num(c, "gen-2", "wall_ns_n", 0);
    expect_empty(c, "gen-2", "wall_ns_median");
    expect_empty(c, "gen-2", "wall_ns_norm");

    /* gen-3: five equal values; the baseline (ms-3) has no result, so no
     * ratio. Its runs (150 ms) are longer than 100 ms: mmu_100ms exists. */
    expect_num(c, "gen-3", "wall_ns_sd", 0);
    expect_num(c, "gen-3", "wall_ns_ci95_lo", 150e6);
    expect_empty(c, "gen-3", "wall_ns_norm");
    expect_num(c, "gen-3", "mmu_100ms_n", 5);

    /* ms-2's one run is 110 ms long: mmu_100ms exists; a run shorter than a
     * window has none (bdw is a peer: no MMU at all). */
    expect_num(c, "ms-2", "mmu_100ms_n", 1);

    /* The peer: 30, 32, 31 ms: median 31, mean 31, sd 1, t(0.975, 2) =
     * 4.302653; wall time only, never normalised. */
    expect_num(c, "bdw", "ok", 3);
    expect_num(c, "bdw", "failed", 2);
    expect_num(c, "bdw", "wall_ns_median", 31e6);
    expect_num(c, "bdw", "wall_ns_sd", 1e6);
    expect_num(c, "bdw", "wall_ns_ci95_lo", (31 - 4.302653 / sqrt(3.0)) * 1e6);
    expect_num(c, "bdw", "wall_ns_ci95_hi", (31 + 4.302653 / sqrt(3.0)) * 1e6);
    expect_empty(c, "bdw", "wall_ns_norm");
    expect_empty(c, "bdw", "gc_ns_n");
    expect_empty(c, "bdw", "gc_ns_median");
    expect_empty(c, "bdw", "mmu_1ms_n");
    free(c);
}

Test(sweepagg, json_holds_the_same_data)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    json_error_t je;
    json_t *j = json_load_file(fmt("%s/sweep.json", dir), JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(j, "sweep.json: %d: %s", je.line, je.text);
    json_t *counts = json_object_get(j, "counts");
    cr_assert_eq(json_integer_value(json_object_get(counts, "planned")), 35);
    cr_assert_eq(json_integer_value(json_object_get(counts, "ok")), 18);
    cr_assert_eq(json_integer_value(json_object_get(counts, "missing")), 6);
    cr_assert_str_eq(json_string_value(json_object_get(j, "baseline")), "marksweep");
    json_t *params = json_object_get(j, "params");
    cr_assert_eq(json_integer_value(json_object_get(params, "invocations")), 5);
    json_t *points = json_object_get(j, "points");
    cr_assert_eq(json_array_size(points), 7);
    json_t *p0 = json_array_get(points, 0);
    cr_assert_str_eq(json_string_value(json_object_get(p0, "point")), "ms-1.5");
    cr_assert_float_eq(json_number_value(json_object_get(p0, "multiple")), 1.5, 1e-12);
    json_t *wall = json_object_get(json_object_get(p0, "metrics"), "wall_ns");
    cr_assert_float_eq(json_number_value(json_object_get(wall, "mean")), 140e6, 1e-3);
    cr_assert_float_eq(json_number_value(json_object_get(wall, "ci95_hi")), (140 + 2.776445 * sqrt(1000.0) / sqrt(5.0)) * 1e6, 1);
    json_t *vals = json_object_get(wall, "values");
    cr_assert_eq(json_array_size(vals), 5);
    cr_assert_float_eq(json_number_value(json_array_get(vals, 4)), 180e6, 1e-3);
    /* ms-2: each invocation's status, exit and reason. */
    json_t *p1 = json_array_get(points, 1);
    json_t *invs = json_object_get(p1, "invocations");
    static const char *const st[] = {"ok", "gap", "failed", "missing", "failed"};
    for (size_t i = 0; i < 5; i++) {
        json_t *v = json_array_get(invs, i);
        cr_assert_str_eq(json_string_value(json_object_get(v, "status")), st[i], "invocation %zu", i + 1);
        cr_assert_eq(json_integer_value(json_object_get(v, "invocation")), (json_int_t)i + 1);
    }
    cr_assert(json_is_null(json_object_get(json_array_get(invs, 3), "exit")));
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(invs, 2), "exit")), 1);
    json_t *w1 = json_object_get(json_object_get(p1, "metrics"), "wall_ns");
    cr_assert(json_is_null(json_object_get(w1, "sd")), "n = 1: sd is null");
    cr_assert(json_is_null(json_object_get(w1, "ci95_lo")), "n = 1: no interval");
    /* The peer has wall_ns only; multiple and heap are null. */
    json_t *peer = json_array_get(points, 6);
    cr_assert_str_eq(json_string_value(json_object_get(peer, "kind")), "peer");
    cr_assert(json_is_null(json_object_get(peer, "multiple")));
    cr_assert_eq(json_object_size(json_object_get(peer, "metrics")), 1);
    json_decref(j);
}

Test(sweepagg, deterministic_and_atomic)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    char *csv1 = slurp(fmt("%s/sweep.csv", dir)), *json1 = slurp(fmt("%s/sweep.json", dir));
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    char *csv2 = slurp(fmt("%s/sweep.csv", dir)), *json2 = slurp(fmt("%s/sweep.json", dir));
    cr_assert_str_eq(csv1, csv2, "sweep.csv differs between two aggregations");
    cr_assert_str_eq(json1, json2, "sweep.json differs between two aggregations");
    cr_assert(!exists(fmt("%s/sweep.csv.tmp", dir)) && !exists(fmt("%s/sweep.json.tmp", dir)),
              "a temporary file was left behind");
    free(csv1);
    free(csv2);
    free(json1);
    free(json2);
}

/* More than 20 missing: 20 listed in plan order, then a count. */
Test(sweepagg, missing_listing_is_capped)
{
    static const char *params = "{\"collectors\": [\"marksweep\"], \"workloads\": [\"trees\"]}\n";
    point_spec pts[5];
    for (size_t i = 0; i < 5; i++) {
        static char ids[5][16];
        snprintf(ids[i], sizeof ids[i], "p%zu", i);
        pts[i] = (point_spec){ids[i], "marksweep", "2", 4096, {KIND(I_NODIR), KIND(I_NODIR), KIND(I_NODIR),
                                                               KIND(I_NODIR), KIND(I_NODIR)}};
    }
    /* Same multiple for every point: distinct ids, one collector. */
    const char *dir = keep(fmt("%s/missing", tmpdir));
    build_sweep(dir, params, pts, 5);
    gcb_sweep_counts c;
    char err[512], *notes;
    cr_assert_eq(aggregate(dir, &c, &notes, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.planned, 25);
    cr_assert_eq(c.missing, 25);
    cr_assert_eq(c.ok + c.gaps + c.failed, 0);
    size_t listed = 0;
    for (const char *p = notes; (p = strstr(p, "gcbench: missing: runs/")) != NULL; p++)
        listed++;
    cr_assert_eq(listed, 20, "notes:\n%s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: missing: 25 of 25 invocations (no exit file)\n"), "%s", notes);
    cr_assert_not_null(strstr(notes, "gcbench: missing: ... and 5 more\n"), "%s", notes);
    /* Plan order: invocation 1 of every point first. */
    cr_assert(strstr(notes, "runs/p4/1\n") < strstr(notes, "runs/p0/2\n"), "%s", notes);
    cr_assert_null(strstr(notes, "runs/p0/5\n"), "%s", notes);
    free(notes);
    /* NULL note and NULL counts are allowed. */
    cr_assert_eq(gcb_sweep_aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
}

Test(sweepagg, unreadable_directory)
{
    gcb_sweep_counts c = {SIZE_MAX, 1, 1, 1, 1};
    char err[512];
    const char *dir = keep(fmt("%s/does-not-exist", tmpdir));
    cr_assert_eq(gcb_sweep_aggregate(dir, NULL, &c, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "params.json"), "err: %s", err);
    cr_assert_not_null(strstr(err, dir), "err: %s", err);
    cr_assert_eq(c.planned, SIZE_MAX, "counts are left alone when DIR cannot be read");
    cr_assert_eq(gcb_sweep_aggregate("", NULL, NULL, err, sizeof err), -1);
    cr_assert_eq(gcb_sweep_aggregate(NULL, NULL, NULL, err, sizeof err), -1);

    /* params.json but no plan.tsv */
    const char *d2 = keep(fmt("%s/noplan", tmpdir));
    put(d2, "params.json", main_params);
    c.planned = SIZE_MAX;
    cr_assert_eq(gcb_sweep_aggregate(d2, NULL, &c, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "plan.tsv"), "err: %s", err);
    cr_assert_eq(c.planned, SIZE_MAX);
    cr_assert(!exists(fmt("%s/sweep.csv", d2)));

    /* A params.json that is not JSON: file:line:column */
    put(d2, "params.json", "{\"collectors\": [\"marksweep\",]}\n");
    cr_assert_eq(gcb_sweep_aggregate(d2, NULL, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "params.json:1:"), "err: %s", err);
    put(d2, "params.json", "{\"collectors\": \"marksweep\", \"workloads\": [\"trees\"]}\n");
    cr_assert_eq(gcb_sweep_aggregate(d2, NULL, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "\"collectors\""), "err: %s", err);
}

Test(sweepagg, malformed_plan)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    char *plan = slurp(fmt("%s/plan.tsv", dir));
    static const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\n2\t", "\n7\t", "plan.tsv:3: index '7', expected 2"},
        {"\tgc\t", "\tGC\t", "kind 'GC', expected gc or peer"},
        {"\t3\t3145728\t", "\tthree\t3145728\t", "multiple 'three' is not a positive number"},
        {"\truns/gen-3/1\n", "\t../gen-3/1\n", "run_dir '../gen-3/1' is not a relative path"},
        {"\truns/gen-3/1\n", "\truns/gen-3/1\textra\n", "11 tab-separated fields, expected 10"},
        {"\t1\truns/gen-2/1\n", "\t1\truns/gen-3/1\n", "run_dir 'runs/gen-3/1' is planned twice"},
        {"\tgen-2\tgc\t", "\tgen-3\tgc\t", "point 'gen-3' has other parameters than on line 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = calloc(1, strlen(plan) + 64);
        const char *at = strstr(plan, cases[i].from);
        cr_assert_not_null(at, "case %zu", i);
        sprintf(bad, "%.*s%s%s", (int)(at - plan), plan, cases[i].to, at + strlen(cases[i].from));
        put(dir, "plan.tsv", bad);
        char err[512];
        cr_assert_eq(gcb_sweep_aggregate(dir, NULL, NULL, err, sizeof err), -1, "case %zu accepted", i);
        cr_assert_not_null(strstr(err, cases[i].msg), "case %zu: err: %s", i, err);
        free(bad);
    }
    /* Truncated: no newline after the last line. */
    plan[strlen(plan) - 1] = '\0';
    put(dir, "plan.tsv", plan);
    char err[512];
    cr_assert_eq(gcb_sweep_aggregate(dir, NULL, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "no newline"), "err: %s", err);
    cr_assert(!exists(fmt("%s/sweep.csv", dir)), "nothing written for a bad plan");
    free(plan);
}

/* A directory the process cannot write to: -1, and the old outputs stay.
 * As root (who writes anywhere) the aggregation runs in a child that has
 * become nobody; the parent keeps root to clean up. */
Test(sweepagg, directory_not_writable)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    put(dir, "sweep.csv", "old\n");
    cr_assert_eq(chmod(dir, 0555), 0);
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fd[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(99);
        gcb_sweep_counts c;
        char err[512] = "";
        int rc = gcb_sweep_aggregate(dir, NULL, &c, err, sizeof err);
        dprintf(fd[1], "%d %zu %s", rc, c.planned, err);
        _exit(0);
    }
    close(fd[1]);
    char buf[1024] = "";
    size_t n = 0;
    for (ssize_t r; (r = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0;)
        n += (size_t)r;
    close(fd[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (status %d)", status);
    int rc;
    size_t planned;
    int off = 0;
    cr_assert_eq(sscanf(buf, "%d %zu %n", &rc, &planned, &off), 2, "child said: %s", buf);
    const char *err = buf + off;
    cr_assert_eq(rc, -1, "aggregation into a read-only directory succeeded");
    cr_assert_not_null(strstr(err, "cannot write"), "err: %s", err);
    cr_assert_not_null(strstr(err, "sweep.csv.tmp"), "err: %s", err);
    cr_assert_eq(planned, 35, "counts are set when the run directories were read");
    char *old = slurp(fmt("%s/sweep.csv", dir));
    cr_assert_str_eq(old, "old\n");
    free(old);
}

/* A write that fails (the temporary name is taken by a directory), for the
 * csv and then the json: -1 and the previous files untouched. */
Test(sweepagg, write_failure_keeps_old_outputs)
{
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    put(dir, "sweep.csv", "old csv\n");
    put(dir, "sweep.json", "old json\n");
    mkdirs(fmt("%s/sweep.csv.tmp", dir));
    char err[512];
    cr_assert_eq(gcb_sweep_aggregate(dir, NULL, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "sweep.csv.tmp"), "err: %s", err);
    char *s = slurp(fmt("%s/sweep.csv", dir));
    cr_assert_str_eq(s, "old csv\n");
    free(s);
    cr_assert_eq(rmdir(fmt("%s/sweep.csv.tmp", dir)), 0);
    mkdirs(fmt("%s/sweep.json.tmp", dir));
    cr_assert_eq(gcb_sweep_aggregate(dir, NULL, NULL, err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "sweep.json.tmp"), "err: %s", err);
    s = slurp(fmt("%s/sweep.json", dir));
    cr_assert_str_eq(s, "old json\n");
    free(s);
}

/* A sweep directory whose path has spaces, quotes, a backquote and $(...):
 * the same result as under a plain name. */
static const char *odd_dir(void)
{
    return keep(fmt("%s/odd sweep 'single' \"double\" `b` $(x) \\ %%s", tmpdir));
}

Test(sweepagg, odd_characters_in_the_path)
{
    const char *plain = main_dir(), *odd = odd_dir();
    build_sweep(plain, main_params, main_points, NMAIN);
    build_sweep(odd, main_params, main_points, NMAIN);
    char err[512];
    cr_assert_eq(aggregate(plain, NULL, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(aggregate(odd, NULL, NULL, err, sizeof err), 0, "%s", err);
    char *a = slurp(fmt("%s/sweep.csv", plain)), *b = slurp(fmt("%s/sweep.csv", odd));
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    a = slurp(fmt("%s/sweep.json", plain));
    b = slurp(fmt("%s/sweep.json", odd));
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

/* ---- scripts/plot-sweep ----------------------------------------------------------------- */

static bool gnuplot_present(void) { return sh("command -v gnuplot >/dev/null 2>&1") == 0; }

#define NEED_GNUPLOT() \
    if (!gnuplot_present()) \
    cr_skip_test("gnuplot is not installed (scripts/setup installs gnuplot-nox)")

/* Runs scripts/plot-sweep ARGS (already shell words) under a timeout,
 * stderr to tmpdir/err.txt. Returns the exit status. Stdin is a FIFO opened
 * read-write, which never ends: a script that read stdin would hang until
 * the timeout (124). */
static int plot(const char *args)
{
    const char *fifo = fmt("%s/fifo", tmpdir);
    if (!exists(fifo))
        cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
    return sh("timeout 60 %s %s <>%s >/dev/null 2>%s", shq(fmt("%s/scripts/plot-sweep", GCBENCH_SOURCE_DIR)), args,
              shq(fifo), shq(fmt("%s/err.txt", tmpdir)));
}

static char *plot_err(void) { return slurp(fmt("%s/err.txt", tmpdir)); }

static void expect_png(const char *path)
{
    char *buf = slurp(path);
    cr_assert(memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", path);
    cr_assert_gt(file_size(path), 5000, "%s is suspiciously small", path);
    free(buf);
}

Test(sweepagg, plot_png_and_svg)
{
    NEED_GNUPLOT();
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    const char *png = keep(fmt("%s/sweep.png", tmpdir));
    int rc = plot(fmt("%s -o %s", shq(dir), shq(png)));
    char *e = plot_err();
    cr_assert_eq(rc, 0, "plot-sweep failed (%d): %s", rc, e);
    cr_assert_str_empty(e, "messages from a good plot: %s", e);
    free(e);
    expect_png(png);
    const char *svg = keep(fmt("%s/sweep.svg", tmpdir));
    cr_assert_eq(plot(fmt("--linear-x --title 'a & b' %s -o %s", shq(dir), shq(svg))), 0);
    char *s = slurp(svg);
    cr_assert_not_null(strstr(s, "</svg>"), "not a complete SVG");
    cr_assert_not_null(strstr(s, ">marksweep<"), "legend lacks marksweep");
    cr_assert_not_null(strstr(s, ">generational:nursery=1M,x=1<"), "legend lacks generational");
    cr_assert_not_null(strstr(s, ">peer:bdw (baseline)<"), "legend lacks the peer");
    cr_assert_not_null(strstr(s, "a &amp; b"), "no title");
    free(s);

    /* Any characters in the sweep directory's and the output's names. */
    const char *odd = odd_dir();
    build_sweep(odd, main_params, main_points, NMAIN);
    cr_assert_eq(aggregate(odd, NULL, NULL, err, sizeof err), 0, "%s", err);
    const char *odd_png = keep(fmt("%s/plot 'q' \"d\" $(x).png", odd));
    rc = plot(fmt("%s -o %s", shq(odd), shq(odd_png)));
    e = plot_err();
    cr_assert_eq(rc, 0, "plot-sweep on an odd path failed (%d): %s", rc, e);
    free(e);
    expect_png(odd_png);
}

/* Six collectors and three peers: every one in the legend. */
Test(sweepagg, plot_keeps_every_legend_entry)
{
    NEED_GNUPLOT();
    static const char *const names[] = {"marksweep", "copying", "generational", "generational:nursery=1M",
                                        "refcount", "refcount:cycles=off"};
    static const char *const peers[] = {"bdw", "jemalloc", "mimalloc"};
    point_spec pts[6 * 3 + 3];
    static char ids[6 * 3 + 3][32];
    size_t n = 0;
    static const char *const mults[] = {"1.5", "2", "4"};
    for (size_t c = 0; c < 6; c++)
        for (size_t m = 0; m < 3; m++, n++) {
            snprintf(ids[n], sizeof ids[n], "c%zu-%s", c, mults[m]);
            double w = 100.0 + 10.0 * (double)c - 20.0 * (double)m;
            inv_spec ok = OK(w, w / 4, 2 + (double)c, 1, 0.2, 0.5, 0.6);
            inv_spec ok2 = OK(w + 4, w / 4 + 1, 2.5 + (double)c, 1, 0.2, 0.5, 0.6);
            pts[n] = (point_spec){ids[n], names[c], mults[m], 4096 * (m + 1), {ok, ok2, ok, ok2, ok}};
        }
    for (size_t p = 0; p < 3; p++, n++) {
        snprintf(ids[n], sizeof ids[n], "peer-%s", peers[p]);
        const char *spec = fmt("peer:%s", peers[p]);
        pts[n] = (point_spec){ids[n], keep(spec), NULL, 0,
                              {OK(60 + 5.0 * (double)p, 0, 0, 0, 0, 0, 0), OK(61 + 5.0 * (double)p, 0, 0, 0, 0, 0, 0),
                               KIND(I_NODIR), KIND(I_NODIR), KIND(I_NODIR)}};
    }
    const char *params =
        "{\"collectors\": [\"marksweep\", \"copying\", \"generational\", \"generational:nursery=1M\", \"refcount\","
        " \"refcount:cycles=off\"], \"workloads\": [\"trees\"], \"baselines\": [\"bdw\", \"jemalloc\", \"mimalloc\"]}\n";
    const char *dir = keep(fmt("%s/six", tmpdir));
    build_sweep(dir, params, pts, n);
    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    const char *svg = keep(fmt("%s/six.svg", tmpdir));
    int rc = plot(fmt("%s -o %s", shq(dir), shq(svg)));
    char *e = plot_err();
    cr_assert_eq(rc, 0, "plot-sweep failed (%d): %s", rc, e);
    free(e);
    char *s = slurp(svg);
    for (size_t c = 0; c < 6; c++)
        cr_assert_not_null(strstr(s, fmt(">%s<", names[c])), "legend lacks %s", names[c]);
    for (size_t p = 0; p < 3; p++)
        cr_assert_not_null(strstr(s, fmt(">peer:%s (baseline)<", peers[p])), "legend lacks peer %s", peers[p]);
    free(s);
    const char *png = keep(fmt("%s/six.png", tmpdir));
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 0);
    expect_png(png);
}

Test(sweepagg, plot_bad_input)
{
    NEED_GNUPLOT();
    const char *dir = main_dir();
    build_sweep(dir, main_params, main_points, NMAIN);
    const char *png = keep(fmt("%s/bad.png", tmpdir));

    /* No sweep.csv yet: exit 2, and the message says how to make one. */
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 2);
    char *e = plot_err();
    cr_assert_not_null(strstr(e, "plot-sweep: "), "%s", e);
    cr_assert_not_null(strstr(e, "has no sweep.csv"), "%s", e);
    free(e);
    cr_assert_eq(plot(fmt("%s -o %s", shq(fmt("%s/nope", tmpdir)), shq(png))), 2);
    cr_assert_eq(plot(fmt("%s %s -o %s", shq(dir), shq(dir), shq(png))), 2, "two directories");
    cr_assert_eq(plot(shq(dir)), 2, "no -o");
    cr_assert(!exists(png));

    char err[512];
    cr_assert_eq(aggregate(dir, NULL, NULL, err, sizeof err), 0, "%s", err);
    /* Unwritable output: a directory that does not exist (2), one that
     * cannot be written even by root (1), a bad extension (2). */
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(fmt("%s/no/such/dir.png", tmpdir)))), 2);
    int rc = plot(fmt("%s -o /proc/gcbench-sweep.png", shq(dir)));
    cr_assert_neq(rc, 0);
    e = plot_err();
    cr_assert_not_null(strstr(e, "plot-sweep: "), "%s", e);
    free(e);
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(fmt("%s/x.pdf", tmpdir)))), 2);
    /* gnuplot missing: 1. */
    rc = sh("GNUPLOT=/nonexistent/gnuplot %s %s -o %s </dev/null >/dev/null 2>/dev/null",
            shq(fmt("%s/scripts/plot-sweep", GCBENCH_SOURCE_DIR)), shq(dir), shq(png));
    cr_assert_eq(rc, 1);
    cr_assert(!exists(png));

    /* A damaged sweep.csv: a row cut short, a number that is not one: 3,
     * FILE:LINE. */
    char *csv = slurp(fmt("%s/sweep.csv", dir));
    char *second = strchr(strchr(csv, '\n') + 1, '\n') + 1; /* row 2 = line 3 */
    put(dir, "sweep.csv", fmt("%.*s1,2,3\n", (int)(second - csv), csv));
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 3);
    e = plot_err();
    cr_assert_not_null(strstr(e, "sweep.csv:3: 3 fields"), "%s", e);
    free(e);
    char *bad = strdup(csv);
    char *m = strstr(bad, ",1.5,");
    cr_assert_not_null(m);
    memcpy(m, ",x.5,", 5);
    put(dir, "sweep.csv", bad);
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 3);
    e = plot_err();
    cr_assert_not_null(strstr(e, "multiple is \"x.5\""), "%s", e);
    free(e);
    csv[strlen(csv) - 1] = '\0'; /* truncated: no final newline */
    put(dir, "sweep.csv", csv);
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 3);
    put(dir, "sweep.csv", "workload,size\n");
    cr_assert_eq(plot(fmt("%s -o %s", shq(dir), shq(png))), 3, "a header without the needed columns");
    cr_assert(!exists(png), "no image from bad input");
    free(bad);
    free(csv);
}
