/* tests/test_plots.c — the gnuplot scripts (scripts/plot-*, scripts/report)
 * on run directories made by small real gcbench runs: PNG and SVG outputs
 * are real images, legends name the runs, a run without pauses still plots,
 * the report links the images and holds the comparison table, and bad
 * arguments or a failing gnuplot end non-zero with a message and leave no
 * output file (nor a temporary one) behind; a damaged run directory (a
 * garbage row, a truncated last line, in any file a script reads) is exit 3
 * naming FILE:LINE; run directories with any name (heap=1M, -x, quotes,
 * backquotes, non-ASCII) are paths, and no script reads stdin. Skipped only
 * without gnuplot. */
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

#include "files.h"
#include "shell.h"

static const char *const plot_scripts[] = {"plot-pauses", "plot-cdf", "plot-mmu", "plot-heap",
                                           "plot-phases"};
#define NSCRIPTS (sizeof plot_scripts / sizeof plot_scripts[0])

static char tmpdir[] = "/tmp/gcbench-plots-XXXXXX";
static bool have_tmpdir;
static char run_ms[512], run_cp[512], run_idle[512];

/* Formats into one of 64 static buffers used in turn: a result stays valid
 * for the next 63 calls, enough for one test. */

/* Runs a shell command line; returns its exit status (-1 if it died). */
/* Runs scripts/NAME with ARGS, stderr to tmpdir/err.txt; returns the status. */
static int script(const char *name, const char *args)
{
    return sh("'%s/scripts/%s' %s >/dev/null 2>'%s/err.txt'", GCBENCH_SOURCE_DIR, name, args, tmpdir);
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
    /* Scripts run with stdin from this FIFO opened read-write: it never
     * ends, so a script that reads stdin hangs (caught by timeout). */
    cr_assert_eq(sh("mkfifo '%s/fifo'", tmpdir), 0);
    /* Small runs in small heaps, so there are pauses to plot; one in a big
     * heap that never collects. */
    cr_assert_eq(sh("'%s' --collector=marksweep --size=small --heap=1M --quiet --out='%s'", GCBENCH_BIN, run_ms), 0);
    cr_assert_eq(sh("'%s' --collector=copying --size=small --heap=2M --quiet --out='%s'", GCBENCH_BIN, run_cp), 0);
    cr_assert_eq(sh("'%s' --collector=marksweep --size=small --heap=64M --quiet --out='%s'", GCBENCH_BIN, run_idle),
                 0);
    /* The damage table below edits pauses.csv rows up to line 5. */
    char *ms = slurp(fmt("%s/pauses.csv", run_ms));
    int ms_lines = 0;
    for (const char *q = ms; *q; q++)
        ms_lines += *q == '\n';
    cr_assert_geq(ms_lines, 5, "the 1M marksweep run has %d lines of pauses.csv; the damages need 5", ms_lines);
    free(ms);
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

/* Issue 14 appended tts_ns and mutators to pauses.csv: a run with two
 * mutator threads (tts_ns > 0, mutators 2) plots with every script, and
 * plot-phases neither counts tts_ns twice (it is inside other_ns) nor takes
 * it for a phase; a run directory from before issue 14 (no such columns)
 * still plots the same bars. */
Test(plots, threaded_and_pre_thread_run_directories_plot)
{
    NEED_GNUPLOT();
    char *head = slurp(fmt("%s/pauses.csv", run_ms));
    *strchr(head, '\n') = '\0';
    const char *tail = ",other_ns,tts_ns,mutators";
    cr_assert(strlen(head) > strlen(tail) && strcmp(head + strlen(head) - strlen(tail), tail) == 0, "%s", head);
    free(head);
    const char *mt = fmt("%s/mt", tmpdir), *old = fmt("%s/pre14", tmpdir);
    int rc = sh("'%s' --collector=copying --threads=2 --size=small --heap=2M --quiet --out='%s' 2>'%s/err.txt'",
                GCBENCH_BIN, mt, tmpdir);
    if (rc == 2)
        cr_skip_test("trees does not run several threads in this build");
    cr_assert_eq(rc, 0);
    cr_assert_eq(sh("awk -F, 'NR > 1 && $NF > 1 && $(NF - 1) > 0 { found = 1 } END { exit !found }' '%s/pauses.csv'",
                    mt),
                 0, "no pause with two mutators and a time to safepoint: %s", slurp(fmt("%s/pauses.csv", mt)));
    cr_assert_eq(sh("cp -r '%s' '%s' && cut -d, -f1-11 '%s/pauses.csv' >'%s/p.csv' && mv '%s/p.csv' '%s/pauses.csv' && "
                    "sed -i -e '/\"threads\"/d' -e '/\"time_to_safepoint\"/,/^  }/d' '%s/summary.json' && "
                    "head -1 '%s/pauses.csv' | grep -q ',phase_sweep_ns,other_ns$' && ! grep -q safepoint '%s/summary.json'",
                    run_ms, old, run_ms, old, old, old, old, old, old),
                 0);
    for (size_t i = 0; i < NSCRIPTS; i++) {
        const char *out = fmt("%s/mt-%s.svg", tmpdir, plot_scripts[i]);
        cr_assert_eq(script(plot_scripts[i], fmt("'%s' '%s' '%s' -o '%s'", mt, old, run_ms, out)), 0,
                     "%s on a threaded and a pre-issue-14 run: %s", plot_scripts[i],
                     slurp(fmt("%s/err.txt", tmpdir)));
        char *svg = expect_svg(out);
        cr_assert(svg_has_label(svg, "copying / trees / 2 MiB"), "%s: legend", plot_scripts[i]);
        if (strcmp(plot_scripts[i], "plot-phases") == 0) {
            const char *runs[] = {mt, old};
            for (size_t r = 0; r < 2; r++) {
                const char *total = run_total_label(runs[r]);
                cr_assert_not_null(strstr(svg, fmt(">%s<", total)), "no bar label '%s' for %s", total, runs[r]);
            }
            cr_assert_str_eq(run_total_label(old), run_total_label(run_ms));
            cr_assert_null(strstr(svg, ">tts<"), "tts_ns is not a phase");
            cr_assert_null(strstr(svg, ">mutators<"), "mutators is not a phase");
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

/* Two runs of one configuration (the same collector, workload, heap, seed,
 * ...) are one legend entry that counts them; with --no-group each run has
 * its own, told apart by its directory name. */
Test(plots, duplicate_labels_get_directory_names)
{
    NEED_GNUPLOT();
    cr_assert_eq(sh("cp -r '%s' '%s/again'", run_ms, tmpdir), 0);
    const char *out = fmt("%s/dup.svg", tmpdir);
    cr_assert_eq(script("plot-cdf", fmt("'%s' '%s/again' -o '%s'", run_ms, tmpdir, out)), 0);
    char *svg = expect_svg(out);
    cr_assert_not_null(strstr(svg, "marksweep / trees / 1 MiB (2 runs, "), "the two runs not one entry");
    cr_assert_null(strstr(svg, "(again)"), "a repetition has an entry of its own");
    free(svg);
    cr_assert_eq(script("plot-cdf", fmt("--no-group '%s' '%s/again' -o '%s'", run_ms, tmpdir, out)), 0);
    svg = expect_svg(out);
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

/* ---- damaged run directories (issue 13) ------------------------------------------- */

/* The run-directory files each script reads. */
static bool script_reads(const char *script, const char *file)
{
    if (strcmp(file, "summary.json") == 0 || strcmp(script, "report") == 0)
        return true;
    if (strcmp(file, "pauses.csv") == 0)
        return strcmp(script, "plot-pauses") == 0 || strcmp(script, "plot-cdf") == 0 ||
               strcmp(script, "plot-phases") == 0;
    if (strcmp(file, "mmu.csv") == 0)
        return strcmp(script, "plot-mmu") == 0;
    return strcmp(file, "heap.csv") == 0 && strcmp(script, "plot-heap") == 0;
}

/* The number of lines of a file, a last line without a newline included. */
static int count_lines(const char *path)
{
    char *buf = slurp(path);
    int n = 0;
    for (char *p = buf; *p != '\0'; p++)
        n += *p == '\n';
    if (*buf != '\0' && buf[strlen(buf) - 1] != '\n')
        n++;
    free(buf);
    return n;
}

/* Each damage is a shell command run in a copy of the marksweep run (6
 * pauses) that damages FILE; LINE is the line the error must name (0: the
 * last line of the damaged file). */
static const struct damage {
    const char *file, *cmd, *what;
    int line;
} damages[] = {
    {"pauses.csv", "sed -i '3i garbage' pauses.csv", "a garbage row", 3},
    {"pauses.csv", "awk -F, -v OFS=, 'NR == 4 { $3 = \"12x\" } 1' pauses.csv >t && mv t pauses.csv",
     "a non-numeric duration", 4},
    {"pauses.csv", "awk -F, -v OFS=, 'NR == 2 { $4 = \"fu ll\" } 1' pauses.csv >t && mv t pauses.csv",
     "a kind that is not a name", 2},
    {"pauses.csv", "truncate -s -3 pauses.csv", "a truncated last row", 0},
    {"pauses.csv", "truncate -s -1 pauses.csv", "no newline after the last row", 0},
    {"pauses.csv", "sed -i '5s/.*//' pauses.csv", "an empty line", 5},
    {"pauses.csv", "awk -F, -v OFS=, 'NR == 3 { $(NF - 1) = \"1e3\" } 1' pauses.csv >t && mv t pauses.csv",
     "a tts_ns that is not a whole number", 3},
    {"pauses.csv", "awk -F, -v OFS=, 'NR == 5 { NF = NF - 1 } 1' pauses.csv >t && mv t pauses.csv",
     "a row without its mutators field", 5},
    {"pauses.csv", ": >pauses.csv", "an empty file", 1},
    {"heap.csv", "sed -i '2s/,[^,]*$//' heap.csv", "a row with a field missing", 2},
    {"heap.csv", "printf '7,1,full,x' >>heap.csv", "a garbage row without a newline", 0},
    {"heap.csv", "truncate -s -5 heap.csv", "a truncated last row", 0},
    {"mmu.csv", "sed -i '3s/,.*/,1.5/' mmu.csv", "a utilization above 1", 3},
    {"mmu.csv", "sed -i '2s/,.*/,-0.1/' mmu.csv", "a negative utilization", 2},
    {"mmu.csv", "sed -i '2s/^/9/' mmu.csv", "windows out of order", 3},
    {"mmu.csv", "truncate -s -2 mmu.csv", "a truncated last row", 0},
    {"mmu.csv", "printf 'window_ns,utilization' >mmu.csv", "a header cut off before its newline", 1},
    {"summary.json", "head -c 300 summary.json >t && mv t summary.json", "a file cut in mid-line", 0},
    {"summary.json", "head -n 12 summary.json >t && mv t summary.json", "a file cut at a line end", 0},
    {"summary.json", "sed -i 's/\"heap_limit_bytes\": [0-9]*/\"heap_limit_bytes\": 12x/' summary.json",
     "a non-numeric heap_limit_bytes", -1},
    {"summary.json", "sed -i 's/\"wall_ns\": [0-9]*/\"wall_ns\": \"soon\"/' summary.json", "a string wall_ns", -2},
    {"summary.json", "sed -i '/\"collector\":/d' summary.json", "no collector key", 0},
};

/* The line of summary.json holding "KEY": in DIR. */
static int key_line(const char *dir, const char *key)
{
    char *buf = slurp(fmt("%s/summary.json", dir));
    char *at = strstr(buf, fmt("\n  \"%s\":", key));
    cr_assert_not_null(at, "no %s in %s/summary.json", key, dir);
    int n = 2;
    for (char *p = buf; p < at; p++)
        n += *p == '\n';
    free(buf);
    return n;
}

/* Every file a script reads is checked row by row before anything is drawn:
 * a damaged one ends the script with exit 3 and "FILE:LINE: ..." on
 * stderr, and no image (no report directory) is written. */
Test(plots, damaged_run_directories_are_errors_naming_file_and_line)
{
    NEED_GNUPLOT();
    const char *scripts[] = {"plot-pauses", "plot-cdf", "plot-mmu", "plot-heap", "plot-phases", "report"};
    for (size_t d = 0; d < sizeof damages / sizeof damages[0]; d++) {
        const struct damage *dm = &damages[d];
        const char *dir = fmt("%s/damaged%zu", tmpdir, d);
        cr_assert_eq(sh("cp -r '%s' '%s' && cd '%s' && %s", run_ms, dir, dir, dm->cmd), 0, "damaging: %s", dm->cmd);
        int line = dm->line;
        if (line == 0)
            line = count_lines(fmt("%s/%s", dir, dm->file));
        else if (line == -1)
            line = key_line(dir, "heap_limit_bytes");
        else if (line == -2)
            line = key_line(dir, "wall_ns");
        const char *where = fmt("%s/%s:%d: ", dir, dm->file, line);
        for (size_t s = 0; s < sizeof scripts / sizeof scripts[0]; s++) {
            if (!script_reads(scripts[s], dm->file))
                continue;
            bool report = strcmp(scripts[s], "report") == 0;
            const char *out = report ? fmt("%s/dmg-report", tmpdir) : fmt("%s/dmg.png", tmpdir);
            int rc = sh("GCBENCH='%s' timeout 120 '%s/scripts/%s' '%s' -o '%s' <>'%s/fifo' >/dev/null 2>'%s/err.txt'",
                        GCBENCH_BIN, GCBENCH_SOURCE_DIR, scripts[s], dir, out, tmpdir, tmpdir);
            char *err = slurp(fmt("%s/err.txt", tmpdir));
            cr_assert_eq(rc, 3, "%s on %s (%s): exit %d, expected 3; stderr: %s", scripts[s], dm->file, dm->what, rc,
                         err);
            cr_assert_not_null(strstr(err, where), "%s on %s (%s): stderr does not name '%s': %s", scripts[s],
                               dm->file, dm->what, where, err);
            cr_assert_eq(strncmp(err, fmt("%s: ", scripts[s]), strlen(scripts[s]) + 2), 0,
                         "the message does not start with the script's name: %s", err);
            free(err);
            cr_assert_lt(file_size(out), 0, "%s on %s (%s) wrote %s", scripts[s], dm->file, dm->what, out);
        }
        sh("rm -rf '%s'", dir);
    }
    expect_no_temp_files(tmpdir);
}

/* Files gcbench writes for every collector pass the checks (pauses.csv has
 * other phase columns per collector), CRLF line ends too. */
Test(plots, every_collectors_run_directory_passes_the_checks)
{
    NEED_GNUPLOT();
    const char *collectors[] = {"generational", "refcount"};
    for (size_t c = 0; c < 2; c++) {
        const char *dir = fmt("%s/all-%s", tmpdir, collectors[c]);
        cr_assert_eq(sh("'%s' --collector=%s --size=small --heap=2M --quiet --out='%s'", GCBENCH_BIN, collectors[c],
                        dir),
                     0);
        const char *crlf = fmt("%s/crlf-%s", tmpdir, collectors[c]);
        cr_assert_eq(sh("cp -r '%s' '%s' && cd '%s' && sed -i 's/$/\\r/' pauses.csv heap.csv mmu.csv summary.json",
                        dir, crlf, crlf),
                     0);
        for (size_t i = 0; i < NSCRIPTS; i++) {
            const char *out = fmt("%s/all-%s-%s.svg", tmpdir, collectors[c], plot_scripts[i]);
            /* Grouped, the CRLF copy is a repetition of the same configuration. */
            int rc = script(plot_scripts[i], fmt("'%s' '%s' '%s' -o '%s'", dir, crlf, run_ms, out));
            cr_assert_eq(rc, 0, "%s on a %s run: exit %d", plot_scripts[i], collectors[c], rc);
            char *svg = expect_svg(out);
            if (strcmp(plot_scripts[i], "plot-phases") == 0)
                cr_assert_not_null(strstr(svg, "(mean of 2)"), "%s: %s not grouped", plot_scripts[i], collectors[c]);
            else
                cr_assert(svg_has_label(svg, fmt("%s / trees / 2 MiB (2 runs", collectors[c])), "%s: %s not grouped",
                          plot_scripts[i], collectors[c]);
            free(svg);
            rc = script(plot_scripts[i], fmt("--no-group '%s' '%s' '%s' -o '%s'", dir, crlf, run_ms, out));
            cr_assert_eq(rc, 0, "%s --no-group on a %s run: exit %d", plot_scripts[i], collectors[c], rc);
            svg = expect_svg(out);
            cr_assert(svg_has_label(svg, fmt("%s / trees / 2 MiB (all-%s)", collectors[c], collectors[c])),
                      "%s: legend lacks %s", plot_scripts[i], collectors[c]);
            cr_assert(svg_has_label(svg, fmt("%s / trees / 2 MiB (crlf-%s)", collectors[c], collectors[c])),
                      "%s: legend lacks %s with CRLF line ends", plot_scripts[i], collectors[c]);
            free(svg);
        }
    }
}

/* ---- paths are paths (issue 13) --------------------------------------------------- */

/* Run directories with names awk, sed, mktemp or gnuplot could take for
 * something else: an assignment, an option, quotes, a gnuplot command
 * substitution, non-ASCII text. */
static const char *const awkward_names[] = {
    "heap=1M", "-x", "a=b=c", "with space", "it's \"quoted\"", "ünïcødé 日本",
    "`touch pwned`", "$(touch pwned)", "back\\slash", "--",
};
#define NAWKWARD (sizeof awkward_names / sizeof awkward_names[0])

/* STR as one single-quoted shell word, in one of fmt's buffers. */
static const char *shq(const char *str)
{
    char buf[1024];
    size_t n = 0;
    buf[n++] = '\'';
    for (const char *p = str; *p != '\0' && n < sizeof buf - 6; p++) {
        if (*p == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *p;
        }
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return fmt("%s", buf);
}

/* Every script takes every run directory name as a path, relative ones
 * included (run from their parent directory, after "--"): the plots are
 * made, the labels carry the names, nothing in the names is run, and stdin
 * (a pipe that never ends) is never read. */
Test(plots, awkward_run_directory_names_are_paths)
{
    NEED_GNUPLOT();
    char names[600]; /* fmt's buffers are reused: keep these */
    snprintf(names, sizeof names, "%s/names", tmpdir);
    cr_assert_eq(sh("mkdir '%s' '%s/-d'", names, names), 0);
    char dirs[4096] = "";
    for (size_t i = 0; i < NAWKWARD; i++) {
        cr_assert_eq(sh("cp -r '%s' '%s'/%s", run_ms, names, shq(awkward_names[i])), 0, "copy to %s",
                     awkward_names[i]);
        strcat(dirs, " ");
        strcat(dirs, shq(awkward_names[i]));
    }
    for (size_t i = 0; i < NSCRIPTS + 1; i++) {
        bool report = i == NSCRIPTS;
        const char *name = report ? "report" : plot_scripts[i];
        /* An output name that could be an option too, in a directory that could.
         * The plots one entry per run (--no-group), to see every name in a
         * label; the report grouped (the ten copies are one configuration). */
        char out[64];
        snprintf(out, sizeof out, report ? "-r=1" : "-d/it's =%s.svg", name);
        int rc = sh("cd '%s' && GCBENCH='%s' timeout 120 '%s/scripts/%s' -o %s %s --%s <>'%s/fifo' >/dev/null "
                    "2>'%s/err.txt'",
                    names, GCBENCH_BIN, GCBENCH_SOURCE_DIR, name, shq(out), report ? "" : "--no-group", dirs,
                    tmpdir, tmpdir);
        char *err = slurp(fmt("%s/err.txt", tmpdir));
        cr_assert_neq(rc, 124, "%s hung (read stdin?)", name);
        cr_assert_eq(rc, 0, "%s on awkward names: exit %d: %s", name, rc, err);
        free(err);
        char *svg = expect_svg(report ? fmt("%s/-r=1/pauses.svg", names) : fmt("%s/%s", names, out));
        if (report)
            cr_assert(svg_has_label(svg, fmt("marksweep / trees / 1 MiB (%zu runs, ", NAWKWARD)),
                      "report: the copies are not one configuration");
        for (size_t j = 0; j < NAWKWARD && !report; j++) {
            if (strpbrk(awkward_names[j], "'\"&<>") != NULL)
                continue; /* escaped in SVG */
            cr_assert(svg_has_label(svg, fmt("marksweep / trees / 1 MiB (%s)", awkward_names[j])),
                      "%s: no label for run directory %s", name, awkward_names[j]);
        }
        free(svg);
        if (report) {
            char *html = slurp(fmt("%s/-r=1/index.html", names));
            cr_assert_not_null(strstr(html, "<code>heap=1M</code>"), "index.html lacks the run heap=1M");
            cr_assert_not_null(strstr(html, "<code>-x</code>"), "index.html lacks the run -x");
            cr_assert_not_null(strstr(html, "<code>it's &quot;quoted&quot;</code>"), "index.html lacks a run");
            free(html);
        }
        cr_assert_lt(file_size(fmt("%s/pwned", names)), 0, "%s ran a command from a directory name", name);
        cr_assert_lt(file_size(fmt("%s/pwned", GCBENCH_SOURCE_DIR)), 0, "%s ran a command from a name", name);
        expect_no_temp_files(names);
        expect_no_temp_files(fmt("%s/-d", names));
    }
    /* One run alone, "heap=1M" (the file awk took for an assignment), with
     * no "--". */
    for (size_t i = 0; i < NSCRIPTS; i++) {
        int rc = sh("cd '%s' && timeout 120 '%s/scripts/%s' heap=1M -o one.png <>'%s/fifo' >/dev/null 2>'%s/err.txt'",
                    names, GCBENCH_SOURCE_DIR, plot_scripts[i], tmpdir, tmpdir);
        cr_assert_eq(rc, 0, "%s heap=1M: exit %d", plot_scripts[i], rc);
        expect_png(fmt("%s/one.png", names));
        sh("rm -f '%s/one.png'", names);
    }
}

/* A summary.json the plots' checks pass but gcbench compare's strict JSON
 * reader rejects (a figure only the table reads): the report says so with
 * compare's message (file, line, column), exit 3, and writes nothing. */
Test(plots, report_on_a_summary_compare_rejects)
{
    NEED_GNUPLOT();
    const char *dir = fmt("%s/badjson", tmpdir);
    cr_assert_eq(sh("cp -r '%s' '%s' && sed -i 's/\"p50_ns\": /\"p50_ns\": x/' '%s/summary.json' && "
                    "grep -q '\"p50_ns\": x' '%s/summary.json'",
                    run_ms, dir, dir, dir),
                 0);
    const char *out = fmt("%s/badjson-report", tmpdir);
    int rc = sh("GCBENCH='%s' timeout 120 '%s/scripts/report' '%s' -o '%s' <>'%s/fifo' >/dev/null 2>'%s/err.txt'",
                GCBENCH_BIN, GCBENCH_SOURCE_DIR, dir, out, tmpdir, tmpdir);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "summary.json"), "the message does not name the file: %s", err);
    free(err);
    cr_assert_lt(file_size(out), 0, "the report wrote %s", out);
}

/* ---- grouped runs and legends (issue 15) ------------------------------------------ */

/* How many times needle occurs in hay. */
static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Makes COUNT copies of RUN named PREFIX-1 .. PREFIX-COUNT under tmpdir and
 * appends them, quoted, to list (a shell word list). */
static void copies(const char *run, const char *prefix, int count, char *list, size_t len)
{
    for (int k = 1; k <= count; k++) {
        cr_assert_eq(sh("rm -rf '%s/%s-%d' && cp -r '%s' '%s/%s-%d'", tmpdir, prefix, k, run, tmpdir, prefix, k), 0);
        size_t used = strlen(list);
        snprintf(list + used, len - used, " '%s/%s-%d'", tmpdir, prefix, k);
    }
}

/* The colour of the legend entry whose title starts with TITLE in a
 * generated gnuplot script ("keyentry ... lc rgb '#RRGGBB' dt N ... title
 * 'TITLE..."): "#RRGGBB dt N", in one of fmt's buffers. */
static const char *key_style(const char *gp, const char *title)
{
    const char *t = strstr(gp, fmt("title '%s", title));
    cr_assert_not_null(t, "no legend entry '%s'", title);
    const char *k = t;
    while (k > gp && strncmp(k, "keyentry", 8) != 0)
        k--;
    const char *lc = strstr(k, "lc rgb '");
    cr_assert(lc != NULL && lc < t, "entry '%s' has no colour", title);
    const char *dt = strstr(lc, " dt ");
    return fmt("%.7s dt %d", lc + 8, dt != NULL && dt < t ? atoi(dt + 4) : 0);
}

/* Three collectors x three runs (and a marksweep run in another heap): one
 * legend entry per configuration, counting its runs, in every plot; one
 * colour per collector, so the two marksweep configurations share theirs
 * and differ in dash pattern; one bar per configuration in plot-phases,
 * the mean of its runs. */
Test(plots, repeated_runs_are_grouped_by_configuration)
{
    NEED_GNUPLOT();
    const char *gen = fmt("%s/gen", tmpdir);
    cr_assert_eq(sh("'%s' --collector=generational --size=small --heap=2M --quiet --out='%s'", GCBENCH_BIN, gen), 0);
    char list[4096] = "";
    copies(run_ms, "g-ms", 3, list, sizeof list);
    copies(run_cp, "g-cp", 3, list, sizeof list);
    copies(gen, "g-gen", 3, list, sizeof list);
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, " '%s'", run_idle);
    const char *labels[] = {"marksweep / trees / 1 MiB (3 runs", "copying / trees / 2 MiB (3 runs",
                            "generational / trees / 2 MiB (3 runs", "marksweep / trees / 64 MiB"};
    char gp[600], out[600];
    snprintf(gp, sizeof gp, "%s/group.gp", tmpdir);
    for (size_t i = 0; i < NSCRIPTS; i++) {
        snprintf(out, sizeof out, "%s/group-%s.svg", tmpdir, plot_scripts[i]);
        cr_assert_eq(sh("GCBENCH_PLOT_SCRIPT='%s' '%s/scripts/%s' %s -o '%s' 2>'%s/err.txt'", gp, GCBENCH_SOURCE_DIR,
                        plot_scripts[i], list, out, tmpdir),
                     0, "%s: %s", plot_scripts[i], slurp(fmt("%s/err.txt", tmpdir)));
        char *script_text = slurp(gp), *svg = expect_svg(out);
        if (strcmp(plot_scripts[i], "plot-phases") == 0) {
            /* One bar (x tic) per configuration, the three repeated ones
             * labelled with their mean. */
            cr_assert_eq(count_of(script_text, "'marksweep'.\"\\n\".'trees / 1 MiB'"), 1, "%s", script_text);
            cr_assert_eq(count_of(script_text, "'copying'.\"\\n\".'trees / 2 MiB'"), 1, "%s", script_text);
            cr_assert_eq(count_of(script_text, "'marksweep'.\"\\n\".'trees / 64 MiB'"), 1, "%s", script_text);
            cr_assert_eq(count_of(svg, "(mean of 3)"), 3, "three bars of three runs");
            free(script_text);
            free(svg);
            continue;
        }
        for (size_t l = 0; l < 4; l++) {
            cr_assert_eq(count_of(script_text, fmt("title '%s", labels[l])), 1, "%s: entries for '%s'",
                         plot_scripts[i], labels[l]);
            cr_assert(svg_has_label(svg, labels[l]), "%s: legend lacks '%s'", plot_scripts[i], labels[l]);
        }
        cr_assert_null(strstr(svg, "(g-ms-1)"), "%s: a run of a group has its own entry", plot_scripts[i]);
        if (strcmp(plot_scripts[i], "plot-cdf") == 0 || strcmp(plot_scripts[i], "plot-mmu") == 0) {
            char ms1[32], ms64[32], cp[32], gn[32];
            snprintf(ms1, sizeof ms1, "%s", key_style(script_text, labels[0]));
            snprintf(cp, sizeof cp, "%s", key_style(script_text, labels[1]));
            snprintf(gn, sizeof gn, "%s", key_style(script_text, labels[2]));
            snprintf(ms64, sizeof ms64, "%s", key_style(script_text, labels[3]));
            cr_assert(strncmp(ms1, ms64, 7) == 0 && strcmp(ms1, ms64) != 0,
                      "%s: one colour per collector, a dash per configuration: %s, %s", plot_scripts[i], ms1, ms64);
            cr_assert(strncmp(ms1, cp, 7) != 0 && strncmp(ms1, gn, 7) != 0 && strncmp(cp, gn, 7) != 0,
                      "%s: collectors share a colour: %s %s %s", plot_scripts[i], ms1, cp, gn);
            /* Every curve of a configuration in its colour (the repeated
             * ones lighter: alpha 50). */
            cr_assert_eq(count_of(script_text, fmt("lc rgb '%.7s' dt 1 notitle", cp)) +
                             count_of(script_text, fmt("lc rgb '#50%.6s' dt 1 notitle", cp + 1)),
                         3, "%s: copying's three curves: %s", plot_scripts[i], script_text);
        }
        free(script_text);
        free(svg);
    }
}

/* The PNG pixels of an image, as gnuplot reads them back ("x y r g b a"
 * rows), into tmpdir/pixels.txt; then how many separate blobs of at least
 * 10 pixels of exactly colour R,G,B it has. */
static int png_blobs(const char *png, int r, int g, int b)
{
    const char *pix = fmt("%s/pixels.txt", tmpdir);
    cr_assert_eq(sh("gnuplot -e \"set table '%s'; plot '%s' binary filetype=png with rgbimage; unset table\"", pix,
                    png),
                 0);
    const char *count = fmt("%s/blobs.txt", tmpdir);
    cr_assert_eq(sh("awk -v R=%d -v G=%d -v B=%d '"
                    "NF == 7 && $3 == R && $4 == G && $5 == B { p[$1 \",\" $2] = 1 }"
                    "END { for (k in p) { if (seen[k]) continue; size = 0; top = 0; st[++top] = k; seen[k] = 1;"
                    "  while (top > 0) { c = st[top--]; size++; split(c, xy, \",\");"
                    "   for (dx = -1; dx <= 1; dx++) for (dy = -1; dy <= 1; dy++) {"
                    "    q = (xy[1] + dx) \",\" (xy[2] + dy); if ((q in p) && !seen[q]) { seen[q] = 1; st[++top] = q } } }"
                    "  if (size >= 10) n++ } print n + 0 }' '%s' >'%s'",
                    r, g, b, pix, count),
                 0);
    char *text = slurp(count);
    int n = atoi(text);
    free(text);
    sh("rm -f '%s'", pix);
    return n;
}

/* The SVG text element holding exactly TEXT lies inside the canvas. */
static void expect_text_inside(const char *svg, const char *text, const char *what)
{
    int w = 0, h = 0;
    const char *vb = strstr(svg, "viewBox=\"0 0 ");
    cr_assert(vb != NULL && sscanf(vb, "viewBox=\"0 0 %d %d", &w, &h) == 2, "%s: no viewBox", what);
    const char *t = strstr(svg, fmt("<text>%s</text>", text));
    cr_assert_not_null(t, "%s: no text '%s'", what, text);
    const char *tr = t;
    while (tr > svg && strncmp(tr, "translate(", 10) != 0)
        tr--;
    double x = -1, y = -1;
    cr_assert(sscanf(tr, "translate(%lf,%lf)", &x, &y) == 2, "%s: no position for '%s'", what, text);
    cr_assert(x >= 0 && x < w - 50 && y > 0 && y <= h, "%s: '%s' at %.0f,%.0f outside the %dx%d canvas", what, text,
              x, y, w, h);
}

/* Legends keep every entry, in PNG too: 9 runs (3 configurations x 3) and
 * 20 runs one entry each (--no-group). Before issue 15 a two-column key
 * wider than the 1200-pixel canvas lost its first column in PNG (gnuplot
 * lays the key out with pngcairo's character width, 11 px, and centres it:
 * the left column fell off the canvas) and a tall one squeezed the plot.
 * Checked three ways: each entry is in the generated gnuplot script once;
 * in the SVG every entry is a text inside the canvas; and in the PNG of
 * plot-pauses, whose run markers (#333333) appear only in the key, the
 * markers are counted. */
Test(plots, legends_keep_every_entry, .timeout = 300)
{
    NEED_GNUPLOT();
    char nine[4096] = "", twenty[8192] = "";
    copies(run_ms, "k-ms", 3, nine, sizeof nine);
    copies(run_cp, "k-cp", 3, nine, sizeof nine);
    copies(run_idle, "k-idle", 3, nine, sizeof nine);
    copies(run_ms, "twenty-run-with-a-long-name", 20, twenty, sizeof twenty);
    char gp[600], png[600], svgpath[600];
    snprintf(gp, sizeof gp, "%s/key.gp", tmpdir);
    snprintf(png, sizeof png, "%s/key.png", tmpdir);
    static char nine_ng[4200], twenty_ng[8300];
    snprintf(nine_ng, sizeof nine_ng, "--no-group %s", nine);
    snprintf(twenty_ng, sizeof twenty_ng, "--no-group %s", twenty);
    struct { const char *args; int entries; } cases[] = {{nine, 3}, {nine_ng, 9}, {twenty_ng, 20}};
    for (size_t c = 0; c < 3; c++) {
        char args[8192];
        snprintf(args, sizeof args, "%s", cases[c].args);
        for (size_t i = 0; i < NSCRIPTS; i++) {
            bool phases = strcmp(plot_scripts[i], "plot-phases") == 0;
            snprintf(svgpath, sizeof svgpath, "%s/key-%s.svg", tmpdir, plot_scripts[i]);
            cr_assert_eq(sh("GCBENCH_PLOT_SCRIPT='%s' '%s/scripts/%s' %s -o '%s' 2>'%s/err.txt'", gp,
                            GCBENCH_SOURCE_DIR, plot_scripts[i], args, svgpath, tmpdir),
                         0, "%s: %s", plot_scripts[i], slurp(fmt("%s/err.txt", tmpdir)));
            char *svg = expect_svg(svgpath), *script_text = slurp(gp);
            for (int e = 1; e <= cases[c].entries; e++) {
                const char *label;
                if (cases[c].entries == 3)
                    label = e == 1 ? "marksweep / trees / 1 MiB" : e == 2 ? "copying / trees / 2 MiB"
                                                                           : "marksweep / trees / 64 MiB";
                else if (cases[c].entries == 9)
                    label = fmt("%s / trees / %s (k-%s-%d)", e <= 3 ? "marksweep" : e <= 6 ? "copying" : "marksweep",
                                e <= 3 ? "1 MiB" : e <= 6 ? "2 MiB" : "64 MiB", e <= 3 ? "ms" : e <= 6 ? "cp" : "idle",
                                (e - 1) % 3 + 1);
                else
                    label = fmt("marksweep / trees / 1 MiB (twenty-run-with-a-long-name-%d)", e);
                char lab[256];
                snprintf(lab, sizeof lab, "%s", label);
                if (phases) {
                    /* A bar label's second line, inside the canvas. */
                    const char *second = strstr(lab, " / ") + 3;
                    expect_text_inside(svg, second, plot_scripts[i]);
                    continue;
                }
                /* The title is the label, or the label and " (counts)". */
                cr_assert_eq(count_of(script_text, fmt("title '%s (", lab)) +
                                 count_of(script_text, fmt("title '%s'", lab)),
                             1, "%s: entry '%s' in the script", plot_scripts[i], lab);
                /* The SVG text is the whole title: find it by its start. */
                const char *t = strstr(svg, fmt("<text>%s (", lab));
                if (t == NULL)
                    t = strstr(svg, fmt("<text>%s</text>", lab));
                cr_assert_not_null(t, "%s: no legend entry '%s' in the SVG", plot_scripts[i], lab);
                char whole[512];
                snprintf(whole, sizeof whole, "%.*s", (int)(strstr(t, "</text>") - t - 6), t + 6);
                expect_text_inside(svg, whole, plot_scripts[i]);
            }
            free(svg);
            free(script_text);
        }
        cr_assert_eq(script("plot-pauses", fmt("%s -o '%s'", args, png)), 0);
        expect_png(png);
        int markers = png_blobs(png, 0x33, 0x33, 0x33);
        cr_assert_eq(markers, cases[c].entries, "plot-pauses PNG shows %d of the %d run entries", markers,
                     cases[c].entries);
    }
}

/* A sweep directory (one with a sweep.csv) in a report's arguments: its
 * time-space curves (scripts/plot-sweep) and a copy of its sweep.csv go
 * into the report beside the run plots and the table; a report of a sweep
 * alone has no table; a damaged sweep.csv is exit 3 with nothing written; a
 * sweep directory without sweep.csv (never aggregated) is a usage error
 * naming the fix. Paths with spaces. */
Test(plots, report_includes_sweep_plots, .timeout = 300)
{
    NEED_GNUPLOT();
    char sweep[600], out[600], out2[600];
    snprintf(sweep, sizeof sweep, "%s/a sweep", tmpdir);
    snprintf(out, sizeof out, "%s/sweep report", tmpdir);
    snprintf(out2, sizeof out2, "%s/sweep only", tmpdir);
    int rc = sh("'%s' sweep --collectors=marksweep,copying --size=small --multiples=1.5,3 --invocations=2 "
                "--baselines=none --out='%s' >/dev/null 2>'%s/err.txt'",
                GCBENCH_BIN, sweep, tmpdir);
    cr_assert_eq(rc, 0, "gcbench sweep: exit %d: %s", rc, slurp(fmt("%s/err.txt", tmpdir)));
    cr_assert_gt(file_size(fmt("%s/sweep.csv", sweep)), 0);
    rc = sh("GCBENCH='%s' timeout 240 '%s/scripts/report' '%s' '%s' '%s' -o '%s' <>'%s/fifo' >/dev/null 2>'%s/err.txt'",
            GCBENCH_BIN, GCBENCH_SOURCE_DIR, run_ms, sweep, run_cp, out, tmpdir, tmpdir);
    cr_assert_eq(rc, 0, "report: exit %d: %s", rc, slurp(fmt("%s/err.txt", tmpdir)));
    char *html = slurp(fmt("%s/index.html", out));
    cr_assert_not_null(strstr(html, "src=\"sweep.png\""), "index.html does not show the sweep plot");
    cr_assert_not_null(strstr(html, "href=\"sweep.svg\""), "index.html does not link the sweep SVG");
    cr_assert_not_null(strstr(html, "href=\"sweep.csv\""), "index.html does not link sweep.csv");
    cr_assert_not_null(strstr(html, "<code>" ), "no directories named");
    cr_assert_not_null(strstr(html, fmt("Sweep <code>%s</code>", sweep)), "the sweep is not named");
    cr_assert_not_null(strstr(html, "src=\"pauses.png\""), "the run plots are missing");
    cr_assert_not_null(strstr(html, "<table class=\"gcbench-compare\">"), "the table is missing");
    cr_assert_null(strstr(html, fmt("<code>%s</code>, ", sweep)), "the sweep is taken for a run");
    free(html);
    expect_png(fmt("%s/sweep.png", out));
    free(expect_svg(fmt("%s/sweep.svg", out)));
    cr_assert_eq(sh("cmp -s '%s/sweep.csv' '%s/sweep.csv'", sweep, out), 0, "sweep.csv not copied");
    expect_no_temp_files(out);

    rc = sh("GCBENCH='%s' timeout 240 '%s/scripts/report' '%s' -o '%s' <>'%s/fifo' >/dev/null 2>'%s/err.txt'",
            GCBENCH_BIN, GCBENCH_SOURCE_DIR, sweep, out2, tmpdir, tmpdir);
    cr_assert_eq(rc, 0, "report of a sweep alone: exit %d: %s", rc, slurp(fmt("%s/err.txt", tmpdir)));
    html = slurp(fmt("%s/index.html", out2));
    cr_assert_not_null(strstr(html, "src=\"sweep.png\""), "%s", html);
    cr_assert_null(strstr(html, "<table"), "a table without runs");
    cr_assert_null(strstr(html, "pauses.png"), "run plots without runs");
    free(html);
    cr_assert_lt(file_size(fmt("%s/pauses.png", out2)), 0);

    /* A damaged sweep.csv: plot-sweep's exit 3 and no report directory. */
    cr_assert_eq(sh("printf 'garbage\\n' >'%s/sweep.csv'", sweep), 0);
    rc = sh("GCBENCH='%s' '%s/scripts/report' '%s' -o '%s/badsweep' >/dev/null 2>'%s/err.txt'", GCBENCH_BIN,
            GCBENCH_SOURCE_DIR, sweep, tmpdir, tmpdir);
    cr_assert_eq(rc, 3, "exit %d: %s", rc, slurp(fmt("%s/err.txt", tmpdir)));
    cr_assert_lt(file_size(fmt("%s/badsweep", tmpdir)), 0, "a report directory for a damaged sweep");

    cr_assert_eq(sh("rm '%s/sweep.csv'", sweep), 0);
    rc = sh("GCBENCH='%s' '%s/scripts/report' '%s' -o '%s/nosweep' >/dev/null 2>'%s/err.txt'", GCBENCH_BIN,
            GCBENCH_SOURCE_DIR, sweep, tmpdir, tmpdir);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "without sweep.csv"), "%s", err);
    cr_assert_not_null(strstr(err, "gcbench sweep --collect"), "%s", err);
    free(err);
    cr_assert_lt(file_size(fmt("%s/nosweep", tmpdir)), 0);
}
