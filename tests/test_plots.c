/* tests/test_plots.c — the gnuplot scripts (scripts/plot-*, scripts/report)
 * on run directories made by small real gcbench runs: PNG and SVG outputs
 * are real images, the report links them and holds the comparison table, and
 * bad arguments fail with a message and leave no output file behind. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/gcbench-plots-XXXXXX";
static char run_ms[512], run_cp[512];

/* Runs a shell command line; returns its exit status (-1 if it died). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static void read_head(const char *path, char *buf, size_t n)
{
    memset(buf, 0, n);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t got = fread(buf, 1, n - 1, f);
    (void)got;
    fclose(f);
}

static bool gnuplot_present(void) { return sh("command -v gnuplot >/dev/null 2>&1") == 0; }

static void setup(void)
{
    if (!gnuplot_present())
        return;
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
    snprintf(run_ms, sizeof run_ms, "%s/ms", tmpdir);
    snprintf(run_cp, sizeof run_cp, "%s/cp", tmpdir);
    /* Small runs in a small heap, so there are pauses to plot. */
    cr_assert_eq(sh("'%s' --collector=marksweep --size=small --heap=1M --quiet --out='%s'", GCBENCH_BIN, run_ms), 0);
    cr_assert_eq(sh("'%s' --collector=copying --size=small --heap=2M --quiet --out='%s'", GCBENCH_BIN, run_cp), 0);
}

static void teardown(void)
{
    if (strchr(tmpdir, 'X') == NULL)
        sh("rm -rf '%s'", tmpdir);
}

TestSuite(plots, .init = setup, .fini = teardown);

#define NEED_GNUPLOT() \
    if (!gnuplot_present()) \
        cr_skip_test("gnuplot is not installed (scripts/setup installs gnuplot-nox)")

static void expect_png(const char *path)
{
    char head[16];
    read_head(path, head, sizeof head);
    cr_assert(memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", path);
    cr_assert_gt(file_size(path), 5000, "%s is suspiciously small (%ld bytes)", path, file_size(path));
}

static void expect_svg(const char *path)
{
    char buf[1 << 16];
    read_head(path, buf, sizeof buf);
    cr_assert(strncmp(buf, "<?xml", 5) == 0 || strncmp(buf, "<svg", 4) == 0, "%s does not start like SVG", path);
    cr_assert_not_null(strstr(buf, "</svg>"), "%s is not a complete SVG (or larger than 64 KiB)", path);
}

Test(plots, every_script_makes_png_and_svg)
{
    NEED_GNUPLOT();
    static const char *const scripts[] = {"plot-pauses", "plot-cdf", "plot-mmu", "plot-heap"};
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        char png[1024], svg[1024];
        snprintf(png, sizeof png, "%s/%s.png", tmpdir, scripts[i]);
        snprintf(svg, sizeof svg, "%s/%s.svg", tmpdir, scripts[i]);
        cr_assert_eq(sh("'%s/scripts/%s' '%s' '%s' -o '%s'", GCBENCH_SOURCE_DIR, scripts[i], run_ms, run_cp, png), 0,
                     "%s failed (png)", scripts[i]);
        cr_assert_eq(sh("'%s/scripts/%s' '%s' '%s' -o '%s'", GCBENCH_SOURCE_DIR, scripts[i], run_ms, run_cp, svg), 0,
                     "%s failed (svg)", scripts[i]);
        expect_png(png);
        expect_svg(svg);
    }
}

Test(plots, log_y_pause_timeline)
{
    NEED_GNUPLOT();
    char png[1024];
    snprintf(png, sizeof png, "%s/logy.png", tmpdir);
    cr_assert_eq(sh("'%s/scripts/plot-pauses' '%s' --log-y -o '%s'", GCBENCH_SOURCE_DIR, run_ms, png), 0);
    expect_png(png);
}

Test(plots, legend_names_collector_workload_heap)
{
    NEED_GNUPLOT();
    char svg[1024], buf[1 << 16];
    snprintf(svg, sizeof svg, "%s/legend.svg", tmpdir);
    cr_assert_eq(sh("'%s/scripts/plot-mmu' '%s' '%s' -o '%s'", GCBENCH_SOURCE_DIR, run_ms, run_cp, svg), 0);
    read_head(svg, buf, sizeof buf);
    cr_assert_not_null(strstr(buf, "marksweep / trees / 1 MiB"), "legend lacks the marksweep run");
    cr_assert_not_null(strstr(buf, "copying / trees / 2 MiB"), "legend lacks the copying run");
}

Test(plots, report_writes_index_with_images_and_table)
{
    NEED_GNUPLOT();
    char dir[1024], index[1100], buf[1 << 16];
    snprintf(dir, sizeof dir, "%s/report", tmpdir);
    cr_assert_eq(sh("GCBENCH='%s' '%s/scripts/report' '%s' '%s' -o '%s' >/dev/null", GCBENCH_BIN, GCBENCH_SOURCE_DIR,
                    run_ms, run_cp, dir),
                 0);
    snprintf(index, sizeof index, "%s/index.html", dir);
    read_head(index, buf, sizeof buf);
    static const char *const imgs[] = {"pauses", "cdf", "mmu", "heap"};
    for (size_t i = 0; i < 4; i++) {
        char want[64], path[1200];
        snprintf(want, sizeof want, "src=\"%s.png\"", imgs[i]);
        cr_assert_not_null(strstr(buf, want), "index.html does not show %s", imgs[i]);
        snprintf(path, sizeof path, "%s/%s.png", dir, imgs[i]);
        expect_png(path);
        snprintf(path, sizeof path, "%s/%s.svg", dir, imgs[i]);
        expect_svg(path);
    }
    cr_assert_not_null(strstr(buf, "<table"), "index.html has no comparison table");
    cr_assert_not_null(strstr(buf, "marksweep") , "table lacks marksweep");
    cr_assert_not_null(strstr(buf, "copying"), "table lacks copying");
}

/* Bad arguments: non-zero exit, a message, and no output file. */
Test(plots, bad_arguments_fail_cleanly)
{
    NEED_GNUPLOT();
    char out[1024], empty[1024];
    snprintf(out, sizeof out, "%s/bad.png", tmpdir);
    snprintf(empty, sizeof empty, "%s/emptydir", tmpdir);
    mkdir(empty, 0755);
    struct {
        const char *script, *args_fmt;
    } cases[] = {
        {"plot-pauses", "'%s/nosuch' -o '%s'"},                         /* no such run dir */
        {"plot-mmu", "'%s/emptydir' -o '%s'"},                          /* dir without files */
        {"plot-cdf", "'%s/ms' -o '%s.jpg'"},                            /* bad extension */
        {"plot-heap", "'%s/ms' '%s-ignored'"},                          /* no -o */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[2048];
        snprintf(args, sizeof args, cases[i].args_fmt, tmpdir, out);
        int rc = sh("'%s/scripts/%s' %s >/dev/null 2>'%s/err.txt'", GCBENCH_SOURCE_DIR, cases[i].script, args, tmpdir);
        cr_assert_neq(rc, 0, "%s %s succeeded", cases[i].script, args);
        char errpath[1100], err[512];
        snprintf(errpath, sizeof errpath, "%s/err.txt", tmpdir);
        read_head(errpath, err, sizeof err);
        cr_assert_gt(strlen(err), 10, "%s gave no message", cases[i].script);
        cr_assert_lt(file_size(out), 0, "%s left an output file", cases[i].script);
    }
    /* A run directory without mmu.csv (an older run): plot-mmu refuses it. */
    cr_assert_eq(sh("cp -r '%s' '%s/nommu' && rm '%s/nommu/mmu.csv'", run_ms, tmpdir, tmpdir), 0);
    cr_assert_neq(sh("'%s/scripts/plot-mmu' '%s/nommu' -o '%s' 2>/dev/null", GCBENCH_SOURCE_DIR, tmpdir, out), 0);
    cr_assert_lt(file_size(out), 0, "plot-mmu left an output file");
}
