/* tests/test_plots.c — the gnuplot scripts (scripts/plot-*, scripts/report)
 * on run directories made by small real gcbench runs: PNG and SVG outputs
 * are real images, legends name the runs, a run without pauses still plots,
 * the report links the images and holds the comparison table, and bad
 * arguments or a failing gnuplot end non-zero with a message and leave no
 * output file (nor a temporary one) behind. Skipped only without gnuplot. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shell.h"

static const char *const plot_scripts[] = {"plot-pauses", "plot-cdf", "plot-mmu", "plot-heap",
                                           "plot-phases"};
#define NSCRIPTS (sizeof plot_scripts / sizeof plot_scripts[0])

static char tmpdir[] = "/tmp/gcbench-plots-XXXXXX";
static bool have_tmpdir;
static char run_ms[512], run_cp[512], run_idle[512];

/* Formats into one of 64 static buffers used in turn: a result stays valid
 * for the next 63 calls, enough for one test. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    static char buf[64][2048];
    static int next;
    char *b = buf[next++ % 64];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

/* Runs a shell command line; returns its exit status (-1 if it died). */
/* Runs scripts/NAME with ARGS, stderr to tmpdir/err.txt; returns the status. */
static int script(const char *name, const char *args)
{
    return sh("'%s/scripts/%s' %s >/dev/null 2>'%s/err.txt'", GCBENCH_SOURCE_DIR, name, args, tmpdir);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The whole file as a NUL-terminated string (freed at exit by the fork). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    long n = file_size(path);
    char *buf = calloc(1, (size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "short read of %s", path);
    fclose(f);
    return buf;
}

static bool gnuplot_present(void) { return sh("command -v gnuplot >/dev/null 2>&1") == 0; }

static void setup(void)
{
    if (!gnuplot_present())
        return;
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
    have_tmpdir = true;
    snprintf(run_ms, sizeof run_ms, "%s/ms", tmpdir);
    snprintf(run_cp, sizeof run_cp, "%s/cp", tmpdir);
    snprintf(run_idle, sizeof run_idle, "%s/idle", tmpdir);
    /* Small runs in small heaps, so there are pauses to plot; one in a big
     * heap that never collects. */
    cr_assert_eq(sh("'%s' --collector=marksweep --size=small --heap=1M --quiet --out='%s'", GCBENCH_BIN, run_ms), 0);
    cr_assert_eq(sh("'%s' --collector=copying --size=small --heap=2M --quiet --out='%s'", GCBENCH_BIN, run_cp), 0);
    cr_assert_eq(sh("'%s' --collector=marksweep --size=small --heap=64M --quiet --out='%s'", GCBENCH_BIN, run_idle),
                 0);
    char *idle = slurp(fmt("%s/pauses.csv", run_idle));
    cr_assert_eq(strchr(idle, '\n'), idle + strlen(idle) - 1, "the 64M run was expected to have no pauses");
    free(idle);
}

static void teardown(void)
{
    if (have_tmpdir)
        sh("rm -rf '%s'", tmpdir);
}

TestSuite(plots, .init = setup, .fini = teardown);

#define NEED_GNUPLOT() \
    if (!gnuplot_present()) \
    cr_skip_test("gnuplot is not installed (scripts/setup installs gnuplot-nox)")

static void expect_png(const char *path)
{
    char *buf = slurp(path);
    cr_assert(memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0, "%s is not a PNG", path);
    cr_assert_gt(file_size(path), 5000, "%s is suspiciously small (%ld bytes)", path, file_size(path));
    free(buf);
}

/* Returns the SVG's text for further checks. */
static char *expect_svg(const char *path)
{
    char *buf = slurp(path);
    cr_assert(strncmp(buf, "<?xml", 5) == 0 || strncmp(buf, "<svg", 4) == 0, "%s does not start like SVG", path);
    cr_assert_not_null(strstr(buf, "</svg>"), "%s is not a complete SVG", path);
    return buf;
}

/* No leftover temporary files (".NAME.XXXXXX") in DIR. */
static void expect_no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        cr_assert(e->d_name[0] != '.' || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."),
                  "temporary file %s/%s left behind", dir, e->d_name);
    closedir(d);
}

/* A run's label in an SVG: in one piece (legends), or broken into two text
 * lines at its first " / " (plot-phases' bar labels). */
static bool svg_has_label(const char *svg, const char *label)
{
    if (strstr(svg, label) != NULL)
        return true;
    const char *cut = strstr(label, " / ");
    return cut != NULL && strstr(svg, fmt(">%.*s<", (int)(cut - label), label)) != NULL &&
           strstr(svg, fmt(">%s<", cut + 3)) != NULL;
}

static void expect_message(void)
{
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_gt(strlen(err), 10, "no message on stderr");
    free(err);
}

Test(plots, every_script_makes_png_and_svg)
{
    NEED_GNUPLOT();
    for (size_t i = 0; i < NSCRIPTS; i++) {
        for (int svg = 0; svg <= 1; svg++) {
            const char *out = fmt("%s/%s.%s", tmpdir, plot_scripts[i], svg ? "svg" : "png");
            cr_assert_eq(script(plot_scripts[i], fmt("'%s' '%s' -o '%s'", run_ms, run_cp, out)), 0,
                         "%s -o %s failed", plot_scripts[i], out);
            if (svg)
                free(expect_svg(out));
            else
                expect_png(out);
        }
    }
    expect_no_temp_files(tmpdir);
}

Test(plots, pause_timeline_options)
{
    NEED_GNUPLOT();
    const char *out = fmt("%s/logy.png", tmpdir);
    cr_assert_eq(script("plot-pauses", fmt("'%s' '%s' --log-y --title 'two collectors' -o '%s'", run_ms, run_cp, out)),
                 0);
    expect_png(out);
    out = fmt("%s/title.svg", tmpdir);
    cr_assert_eq(script("plot-pauses", fmt("'%s' --title=\"it's <mine> & yours\" -o '%s'", run_ms, out)), 0);
    char *svg = expect_svg(out);
    cr_assert_not_null(strstr(svg, "it's &lt;mine> &amp; yours"), "the title is not in the SVG");
    free(svg);
}

Test(plots, legend_names_collector_workload_heap)
{
    NEED_GNUPLOT();
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *out = fmt("%s/legend-%s.svg", tmpdir, plot_scripts[i]);
        cr_assert_eq(script(plot_scripts[i], fmt("'%s' '%s' -o '%s'", run_ms, run_cp, out)), 0);
        char *svg = expect_svg(out);
        cr_assert(svg_has_label(svg, "marksweep / trees / 1 MiB"), "%s: legend lacks the marksweep run",
                  plot_scripts[i]);
        cr_assert(svg_has_label(svg, "copying / trees / 2 MiB"), "%s: legend lacks the copying run",
                  plot_scripts[i]);
        free(svg);
    }
}

/* The phase names of a run: the NAME of every phase_NAME_ns column of its
 * pauses.csv, then "other". Returns how many (at most 9). */
static size_t run_phases(const char *run, char names[][64])
{
    char *csv = slurp(fmt("%s/pauses.csv", run));
    *strchr(csv, '\n') = '\0';
    size_t n = 0;
    for (char *c = strtok(csv, ","); c != NULL && n < 8; c = strtok(NULL, ","))
        if (strncmp(c, "phase_", 6) == 0 && strlen(c) > 9) {
            snprintf(names[n], 64, "%.*s", (int)(strlen(c) - 9), c + 6);
            n++;
        }
    snprintf(names[n++], 64, "other");
    free(csv);
    return n;
}

/* The total pause time of a run as plot-phases labels its bar: "%.3g ms". */
static const char *run_total_label(const char *run)
{
    char *csv = slurp(fmt("%s/pauses.csv", run));
    double total = 0;
    for (char *line = strchr(csv, '\n') + 1; *line != '\0'; line = strchr(line, '\n') + 1) {
        char *q;
        strtoull(line, &q, 10);
        strtoull(q + 1, &q, 10);
        total += (double)strtoull(q + 1, NULL, 10);
    }
    free(csv);
    return fmt("%.3g ms", total / 1e6);
}

/* plot-phases: one colour per phase the collectors declare (the key names
 * them all, other included) and each bar labelled with its run's total
 * pause time. */
Test(plots, phases_named_by_the_collectors)
{
    NEED_GNUPLOT();
    const char *out = fmt("%s/phases.svg", tmpdir);
    cr_assert_eq(script("plot-phases", fmt("'%s' '%s' -o '%s'", run_ms, run_cp, out)), 0);
    char *svg = expect_svg(out);
    const char *runs[] = {run_ms, run_cp};
    for (size_t r = 0; r < 2; r++) {
        char names[9][64];
        size_t n = run_phases(runs[r], names);
        cr_assert_gt(n, 1, "%s declares no phases", runs[r]);
        for (size_t i = 0; i < n; i++)
            cr_assert_not_null(strstr(svg, fmt(">%s<", names[i])), "the key lacks phase %s of %s", names[i],
                               runs[r]);
        const char *total = run_total_label(runs[r]);
        cr_assert_not_null(strstr(svg, fmt(">%s<", total)), "no bar label '%s' for %s", total, runs[r]);
    }
    free(svg);
}

/* Run directories written before collectors named their phases (pauses.csv
 * with roots_ns, mark_ns, sweep_ns, copy_ns, other_ns; summary.json without
 * collector_options) still plot, phases included. */
Test(plots, older_run_directories_still_plot)
{
    NEED_GNUPLOT();
    const char *old = fmt("%s/old", tmpdir);
    cr_assert_eq(sh("cp -r '%s' '%s' && awk -F, -v OFS=, 'NR == 1 { print \"seq,start_ns,duration_ns,kind,reason,"
                    "heap_before_bytes,heap_after_bytes,roots_ns,mark_ns,sweep_ns,copy_ns,other_ns\"; next }"
                    "{ print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11 }' '%s/pauses.csv' >'%s/p.csv' && "
                    "mv '%s/p.csv' '%s/pauses.csv' && sed -i '/\"collector_options\"/d' '%s/summary.json'",
                    run_ms, old, run_ms, old, old, old, old),
                 0);
    cr_assert_eq(sh("head -1 '%s/pauses.csv' | grep -q ',copy_ns,other_ns$'", old), 0);
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *out = fmt("%s/old-%s.svg", tmpdir, plot_scripts[i]);
        cr_assert_eq(script(plot_scripts[i], fmt("'%s' -o '%s'", old, out)), 0, "%s on an older run directory",
                     plot_scripts[i]);
        char *svg = expect_svg(out);
        cr_assert(svg_has_label(svg, "marksweep / trees / 1 MiB"), "%s: legend", plot_scripts[i]);
        if (strcmp(plot_scripts[i], "plot-phases") == 0) {
            cr_assert_not_null(strstr(svg, ">mark<"), "old phase columns not read");
            cr_assert_not_null(strstr(svg, ">copy<"), "old phase columns not read");
            cr_assert_not_null(strstr(svg, fmt(">%s<", run_total_label(run_ms))), "bar total");
        }
        free(svg);
    }
}

/* A run with collector options is labelled with them. */
Test(plots, labels_show_collector_options)
{
    NEED_GNUPLOT();
    const char *opt = fmt("%s/opt", tmpdir);
    cr_assert_eq(sh("cp -r '%s' '%s' && sed -i 's/\"collector_options\": \"\"/\"collector_options\": \"x=1\"/' "
                    "'%s/summary.json' && grep -q 'x=1' '%s/summary.json'",
                    run_ms, opt, opt, opt),
                 0);
    const char *out = fmt("%s/opt.svg", tmpdir);
    cr_assert_eq(script("plot-cdf", fmt("'%s' '%s' -o '%s'", run_ms, opt, out)), 0);
    char *svg = expect_svg(out);
    cr_assert_not_null(strstr(svg, "marksweep:x=1 / trees / 1 MiB"), "options not in the label");
    cr_assert_not_null(strstr(svg, "marksweep / trees / 1 MiB"), "the run without options");
    free(svg);
}

/* Two runs with the same collector / workload / heap get their directory
 * names appended to tell them apart. */
Test(plots, duplicate_labels_get_directory_names)
{
    NEED_GNUPLOT();
    cr_assert_eq(sh("cp -r '%s' '%s/again'", run_ms, tmpdir), 0);
    const char *out = fmt("%s/dup.svg", tmpdir);
    cr_assert_eq(script("plot-cdf", fmt("'%s' '%s/again' -o '%s'", run_ms, tmpdir, out)), 0);
    char *svg = expect_svg(out);
    cr_assert_not_null(strstr(svg, "marksweep / trees / 1 MiB (ms)"), "first run not told apart");
    cr_assert_not_null(strstr(svg, "marksweep / trees / 1 MiB (again)"), "second run not told apart");
    free(svg);
}

/* A run that never collected still gives valid, labelled plots. */
Test(plots, run_without_pauses_plots)
{
    NEED_GNUPLOT();
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *out = fmt("%s/idle-%s.png", tmpdir, plot_scripts[i]);
        cr_assert_eq(script(plot_scripts[i], fmt("'%s' -o '%s'", run_idle, out)), 0, "%s on a run without pauses",
                     plot_scripts[i]);
        expect_png(out);
        out = fmt("%s/idle-%s.svg", tmpdir, plot_scripts[i]);
        cr_assert_eq(script(plot_scripts[i], fmt("'%s' '%s' -o '%s'", run_idle, run_ms, out)), 0);
        free(expect_svg(out));
    }
    const char *out = fmt("%s/idle-log.png", tmpdir);
    cr_assert_eq(script("plot-pauses", fmt("'%s' --log-y -o '%s'", run_idle, out)), 0);
    expect_png(out);
}

Test(plots, help_on_every_script)
{
    NEED_GNUPLOT();
    for (size_t i = 0; i < NSCRIPTS; i++)
        cr_assert_eq(sh("'%s/scripts/%s' --help | grep -q '^usage: %s RUN_DIR'", GCBENCH_SOURCE_DIR, plot_scripts[i],
                        plot_scripts[i]),
                     0, "%s --help", plot_scripts[i]);
    cr_assert_eq(sh("'%s/scripts/report' --help | grep -q '^usage: report RUN_DIR'", GCBENCH_SOURCE_DIR), 0);
}

Test(plots, report_writes_index_with_images_and_table)
{
    NEED_GNUPLOT();
    const char *dir = fmt("%s/report", tmpdir);
    cr_assert_eq(sh("GCBENCH='%s' '%s/scripts/report' '%s' '%s' -o '%s' >/dev/null", GCBENCH_BIN, GCBENCH_SOURCE_DIR,
                    run_ms, run_cp, dir),
                 0);
    char *html = slurp(fmt("%s/index.html", dir));
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *name = plot_scripts[i] + strlen("plot-");
        cr_assert_not_null(strstr(html, fmt("src=\"%s.png\"", name)), "index.html does not show %s.png", name);
        cr_assert_not_null(strstr(html, fmt("href=\"%s.svg\"", name)), "index.html does not link %s.svg", name);
        expect_png(fmt("%s/%s.png", dir, name));
        free(expect_svg(fmt("%s/%s.svg", dir, name)));
    }
    cr_assert_not_null(strstr(html, "<table"), "index.html has no comparison table");
    cr_assert_not_null(strstr(html, "</table>"), "the comparison table is not complete");
    cr_assert_not_null(strstr(html, "<td>marksweep</td>"), "table lacks marksweep");
    cr_assert_not_null(strstr(html, "<td>copying</td>"), "table lacks copying");
    cr_assert_not_null(strstr(html, "</html>"), "index.html is not complete");
    free(html);
    expect_no_temp_files(dir);
}

Test(plots, report_without_gcbench_fails_cleanly)
{
    NEED_GNUPLOT();
    const char *dir = fmt("%s/report", tmpdir);
    int rc = sh("GCBENCH=/nonexistent/gcbench '%s/scripts/report' '%s' -o '%s' >/dev/null 2>'%s/err.txt'",
                GCBENCH_SOURCE_DIR, run_ms, dir, tmpdir);
    cr_assert_neq(rc, 0);
    expect_message();
    cr_assert_lt(file_size(fmt("%s/index.html", dir)), 0, "index.html written without the table");
}

/* Bad arguments: exit 2, a message, and no output file. */
Test(plots, bad_arguments_fail_cleanly)
{
    NEED_GNUPLOT();
    const char *out = fmt("%s/bad.png", tmpdir);
    mkdir(fmt("%s/emptydir", tmpdir), 0755);
    cr_assert_eq(sh("cp -r '%s' '%s/nommu' && rm '%s/nommu/mmu.csv'", run_ms, tmpdir, tmpdir), 0);
    cr_assert_eq(sh("cp -r '%s' '%s/noheap' && rm '%s/noheap/heap.csv'", run_ms, tmpdir, tmpdir), 0);
    struct {
        const char *script, *args;
    } cases[] = {
        {"plot-pauses", fmt("-o '%s'", out)},                            /* no run dirs */
        {"plot-pauses", fmt("'%s/nosuch' -o '%s'", tmpdir, out)},       /* no such run dir */
        {"plot-cdf", fmt("'%s' '%s/emptydir' -o '%s'", run_ms, tmpdir, out)}, /* not a run dir */
        {"plot-mmu", fmt("'%s/nommu' -o '%s'", tmpdir, out)},            /* run without mmu.csv */
        {"plot-heap", fmt("'%s/noheap' -o '%s'", tmpdir, out)},          /* run without heap.csv */
        {"plot-cdf", fmt("'%s' -o '%s/bad.jpg'", run_ms, tmpdir)},       /* bad extension */
        {"plot-heap", fmt("'%s' '%s'", run_ms, out)},                    /* no -o */
        {"plot-mmu", fmt("'%s' -o", run_ms)},                            /* -o without a value */
        {"plot-cdf", fmt("'%s' --log-y -o '%s'", run_ms, out)},          /* option of another script */
        {"plot-pauses", fmt("'%s' -o '%s/nodir/x.png'", run_ms, tmpdir)}, /* missing output directory */
        {"report", fmt("'%s/nommu' -o '%s/rep'", tmpdir, tmpdir)},        /* report needs mmu.csv */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = script(cases[i].script, cases[i].args);
        cr_assert_eq(rc, 2, "%s %s: exit %d, expected 2", cases[i].script, cases[i].args, rc);
        expect_message();
        cr_assert_lt(file_size(out), 0, "%s %s left an output file", cases[i].script, cases[i].args);
    }
    cr_assert_lt(file_size(fmt("%s/bad.jpg", tmpdir)), 0);
    cr_assert_lt(file_size(fmt("%s/rep", tmpdir)), 0, "report created its directory for bad input");
    expect_no_temp_files(tmpdir);
}

/* gnuplot missing, or failing half-way through writing: exit 1, a message,
 * the previous image untouched and no temporary file left. */
Test(plots, gnuplot_failure_leaves_no_half_written_image)
{
    NEED_GNUPLOT();
    const char *out = fmt("%s/keep.png", tmpdir);
    cr_assert_eq(sh("echo previous > '%s'", out), 0);
    /* A gnuplot that starts writing the output, then fails. */
    const char *fake = fmt("%s/fake-gnuplot", tmpdir);
    FILE *f = fopen(fake, "w");
    cr_assert_not_null(f);
    fputs("#!/bin/sh\n"
          "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\")\n"
          "printf partial >\"$out\"\n"
          "echo 'fake gnuplot failed' >&2\n"
          "exit 1\n",
          f);
    fclose(f);
    chmod(fake, 0755);
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *args = fmt("'%s' -o '%s'", run_ms, out);
        int rc = sh("GNUPLOT='%s' '%s/scripts/%s' %s >/dev/null 2>'%s/err.txt'", fake, GCBENCH_SOURCE_DIR,
                    plot_scripts[i], args, tmpdir);
        cr_assert_eq(rc, 1, "%s with a failing gnuplot: exit %d", plot_scripts[i], rc);
        expect_message();
        rc = sh("GNUPLOT=/nonexistent/gnuplot '%s/scripts/%s' %s >/dev/null 2>'%s/err.txt'", GCBENCH_SOURCE_DIR,
                plot_scripts[i], args, tmpdir);
        cr_assert_eq(rc, 1, "%s without gnuplot: exit %d", plot_scripts[i], rc);
        expect_message();
        char *kept = slurp(out);
        cr_assert_str_eq(kept, "previous\n", "%s replaced the previous image", plot_scripts[i]);
        free(kept);
    }
    expect_no_temp_files(tmpdir);
}
