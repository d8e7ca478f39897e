/* tests/test_scripts.c — the experiment helpers scripts/min-heap and
 * scripts/compare-bdw: every bad option value is exit 2 with a message
 * before anything runs (never the default in its place), min-heap's
 * bisection finds the minimum of a fake gcbench (a shell script that
 * "fits" from a given --heap on) to the resolution asked for, passes the
 * other options through, and no script reads stdin. scripts/compare-mt-bdw
 * is checked the same way, and run against a fake peer. No benchmark runs:
 * the real gcbench only on the smallest workload. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"

static char tmpdir[] = "/tmp/gcbench-scripts-XXXXXX";
static bool have_tmpdir;


static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The whole file as a NUL-terminated string ("" if it does not exist). */
static char *slurp(const char *path)
{
    long n = file_size(path);
    char *buf = calloc(1, n > 0 ? (size_t)n + 1 : 1);
    cr_assert_not_null(buf);
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        if (n > 0)
            cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "short read of %s", path);
        fclose(f);
    }
    return buf;
}

/* A fake gcbench: logs its arguments to tmpdir/log, exits 2 on --bad (as
 * gcbench does on a bad option), 0 when --heap=N is at least $FAKE_MIN
 * bytes, else 3 (heap exhausted). */
static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
    have_tmpdir = true;
    FILE *f = fopen(fmt("%s/fake-gcbench", tmpdir), "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n"
               "echo \"$*\" >>'%s/log'\n"
               "h=0\n"
               "for a; do case $a in --bad) echo 'gcbench: bad option' >&2; exit 2 ;; --heap=*) h=${a#--heap=} ;; "
               "esac; done\n"
               "[ \"$h\" -ge \"${FAKE_MIN:-1000000}\" ] && exit 0\n"
               "exit 3\n",
            tmpdir);
    fclose(f);
    chmod(fmt("%s/fake-gcbench", tmpdir), 0755);
    /* stdin of every script: a FIFO opened read-write never ends, so a
     * script that reads stdin hangs until the timeout. */
    cr_assert_eq(sh("mkfifo '%s/fifo'", tmpdir), 0);
}

static void teardown(void)
{
    if (have_tmpdir)
        sh("rm -rf '%s'", tmpdir);
}

TestSuite(scripts, .init = setup, .fini = teardown);

/* Runs scripts/NAME ARGS (already shell-quoted) in tmpdir with stdin from
 * the FIFO, stdout to out.txt, stderr to err.txt; returns its status (124
 * when it hung for 60 s). */
static int script(const char *name, const char *args)
{
    return sh("cd '%s' && rm -f log && timeout 60 '%s/scripts/%s' %s <>fifo >out.txt 2>err.txt", tmpdir,
              GCBENCH_SOURCE_DIR, name, args);
}

static void expect_usage_error(const char *name, const char *args, const char *says)
{
    int rc = script(name, args);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 2, "%s %s: exit %d, expected 2; stderr: %s", name, args, rc, err);
    cr_assert_not_null(strstr(err, says), "%s %s: stderr lacks '%s': %s", name, args, says, err);
    free(err);
    cr_assert_lt(file_size(fmt("%s/log", tmpdir)), 0, "%s %s ran gcbench anyway", name, args);
    cr_assert_lt(file_size(fmt("%s/pwned", tmpdir)), 0, "%s %s ran a command from its arguments", name, args);
}

/* The minimum min-heap prints ("min_heap_bytes N ..."), or -1. */
static long long min_heap_result(void)
{
    char *out = slurp(fmt("%s/out.txt", tmpdir));
    long long v = -1;
    if (sscanf(out, "min_heap_bytes %lld", &v) != 1)
        v = -1;
    free(out);
    return v;
}

Test(scripts, min_heap_rejects_bad_values)
{
    char fake[512];
    snprintf(fake, sizeof fake, "--gcbench='%s/fake-gcbench'", tmpdir); /* not fmt(): its buffers rotate */
    const struct {
        const char *args, *says;
    } cases[] = {
        {"--resolution=0", "must be positive"},          /* divided by zero */
        {"--resolution=-64K", "bad --resolution '-64K'"}, /* never ended */
        {"--resolution=-1", "bad --resolution '-1'"},
        {"--resolution=1.5M --collector=copying", "bad --resolution '1.5M'"}, /* measured the default */
        {"--resolution=", "bad --resolution ''"},
        {"--resolution=64X", "bad --resolution '64X'"},
        {"--resolution=K", "bad --resolution 'K'"},
        {"--resolution=' 64K'", "bad --resolution ' 64K'"},
        {"--resolution=99999999999999999999G", "bad --resolution"},
        {"--resolution=17G", "at most 16G"},
        {"--resolution='a[$(touch pwned)]'", "bad --resolution"}, /* bash arithmetic runs commands */
        {"--resolution='1+1'", "bad --resolution '1+1'"},
        {"--resolution 64K", "needs a value"},
        {"--gcbench", "needs a value"},
        {"--gcbench=", "needs a path"},
        {"--gcbench=/nonexistent/gcbench", "not an executable file"},
        {"--heap=1M", "--heap is what this script searches for"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error("min-heap", fmt("%s %s", fake, cases[i].args), cases[i].says);
    /* gcbench rejecting an option it is given: a usage error, not a failure. */
    int rc = script("min-heap", fmt("%s --bad", fake));
    cr_assert_eq(rc, 2, "min-heap with an option gcbench rejects: exit %d", rc);
}

/* The bisection ends within the resolution of the true minimum, for
 * resolutions in every accepted spelling; the other options reach gcbench. */
Test(scripts, min_heap_finds_the_minimum_to_the_resolution)
{
    const struct {
        const char *res;
        long long step;
    } cases[] = {
        {"", 64 * 1024}, {"--resolution=64K", 64 * 1024}, {"--resolution=64KiB", 64 * 1024},
        {"--resolution=1M", 1 << 20}, {"--resolution=4096", 4096}, {"--resolution=1", 1},
        {"--resolution=0100K", 100 * 1024},
    };
    const long long mins[] = {1000000, 3 * 1024 * 1024 + 1, 200000};
    for (size_t m = 0; m < sizeof mins / sizeof mins[0]; m++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            int rc = sh("cd '%s' && rm -f log && FAKE_MIN=%lld timeout 60 '%s/scripts/min-heap' "
                        "--gcbench='%s/fake-gcbench' %s --collector=copying --workload=alloc <>fifo >out.txt 2>err.txt",
                        tmpdir, mins[m], GCBENCH_SOURCE_DIR, tmpdir, cases[i].res);
            cr_assert_eq(rc, 0, "min-heap %s (minimum %lld): exit %d", cases[i].res, mins[m], rc);
            long long got = min_heap_result();
            cr_assert(got >= mins[m] && got - cases[i].step < mins[m],
                      "min-heap %s: %lld for a minimum of %lld (resolution %lld)", cases[i].res, got, mins[m],
                      cases[i].step);
            char *log = slurp(fmt("%s/log", tmpdir));
            cr_assert_not_null(strstr(log, "--collector=copying --workload=alloc --heap="),
                               "the options did not reach gcbench: %s", log);
            free(log);
        }
    }
}

/* A relative --gcbench is relative to the current directory, as is any
 * other path, and a name without a slash is not looked up in PATH. */
Test(scripts, min_heap_paths_are_relative_to_the_caller)
{
    int rc = sh("cd '%s' && mkdir -p 'a=b' && cp fake-gcbench 'a=b/-g' && cp fake-gcbench gcb && "
                "timeout 60 '%s/scripts/min-heap' '--gcbench=a=b/-g' <>fifo >out.txt 2>err.txt",
                tmpdir, GCBENCH_SOURCE_DIR);
    cr_assert_eq(rc, 0, "min-heap --gcbench=a=b/-g: exit %d", rc);
    cr_assert_geq(min_heap_result(), 1000000);
    rc = sh("cd '%s' && timeout 60 '%s/scripts/min-heap' --gcbench=gcb <>fifo >out.txt 2>err.txt", tmpdir,
            GCBENCH_SOURCE_DIR);
    cr_assert_eq(rc, 0, "min-heap --gcbench=gcb: exit %d", rc);
}

/* The real gcbench, once, on a workload that fits at the floor. */
Test(scripts, min_heap_with_gcbench)
{
    int rc = script("min-heap", fmt("--gcbench='%s' --workload=alloc --size=small --resolution=1M", GCBENCH_BIN));
    cr_assert_eq(rc, 0, "min-heap with gcbench: exit %d", rc);
    cr_assert_gt(min_heap_result(), 0);
}

Test(scripts, min_heap_help)
{
    cr_assert_eq(script("min-heap", "--help"), 0);
    char *out = slurp(fmt("%s/out.txt", tmpdir));
    cr_assert_not_null(strstr(out, "--resolution=SIZE"));
    free(out);
}

/* compare-bdw checks every value before it looks for its binaries (a
 * nonexistent --build would be exit 1) or runs anything. */
Test(scripts, compare_bdw_rejects_bad_values)
{
    const struct {
        const char *args, *says;
    } cases[] = {
        {"--runs=0", "bad --runs '0'"},
        {"--runs=-1", "bad --runs '-1'"},
        {"--runs=1.5", "bad --runs '1.5'"},
        {"--runs=99999999999999999999", "bad --runs"},
        {"--runs='a[$(touch pwned)]'", "bad --runs"},
        {"--heap=1.5M", "bad --heap '1.5M'"},
        {"--heap=0", "bad --heap '0'"},
        {"--heap=", "bad --heap ''"},
        {"--heap=-64M", "bad --heap '-64M'"},
        {"--size=huge", "bad --size 'huge'"}, /* was measured as default */
        {"--size=", "bad --size ''"},
        {"--collectors=", "needs at least one collector"}, /* was every collector */
        {"--build=", "needs a directory"},
        {"--runs", "needs a value"},
        {"--heap 64M", "needs a value"},
        {"--bogus", "unknown argument '--bogus'"},
        {"--collectors=marksweep@/nonexistent/gcbench", "'/nonexistent/gcbench' is not an executable gcbench"},
        {"--collectors=marksweep,copying@", "no gcbench after '@'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error("compare-bdw", fmt("--build=/nonexistent/build %s", cases[i].args), cases[i].says);
    /* Good values pass the checks and reach the binary check (exit 1). */
    int rc = script("compare-bdw", "--build=/nonexistent/build --runs=3 --heap=64MiB --size=small");
    cr_assert_eq(rc, 1, "good values: exit %d", rc);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_not_null(strstr(err, "/nonexistent/build/gcbench not built"), "%s", err);
    free(err);
}

/* A relative --build is relative to the current directory (it was taken
 * relative to the checkout). */
Test(scripts, compare_bdw_build_is_relative_to_the_caller)
{
    int rc = sh("cd '%s' && mkdir -p 'b=1' && timeout 60 '%s/scripts/compare-bdw' '--build=b=1' <>fifo >out.txt "
                "2>err.txt",
                tmpdir, GCBENCH_SOURCE_DIR);
    cr_assert_eq(rc, 1);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_not_null(strstr(err, fmt("%s/b=1/gcbench not built", tmpdir)), "%s", err);
    free(err);
}

/* compare-mt-bdw, like compare-bdw: every value is checked before it looks
 * for its binaries (a nonexistent --build would be exit 1) or runs
 * anything; a bad one is exit 2 naming it, never the default in its place. */
Test(scripts, compare_mt_bdw_rejects_bad_values)
{
    const struct {
        const char *args, *says;
    } cases[] = {
        {"--runs=0", "bad --runs '0'"},
        {"--runs=1.5", "bad --runs '1.5'"},
        {"--runs='a[$(touch pwned)]'", "bad --runs"},
        {"--threads=0", "'0' is not a thread count from 1 to 256"},
        {"--threads=257", "'257' is not a thread count from 1 to 256"},
        {"--threads=012", "'012' is not a thread count"},
        {"--threads=2,x", "bad --threads '2,x'"},
        {"--threads=1,", "bad --threads '1,'"},
        {"--threads=", "bad --threads ''"},
        {"--threads=-2", "bad --threads '-2'"},
        {"--threads=2,2", "2 is given twice"},
        {"--threads='1[$(touch pwned)]'", "bad --threads"}, /* bash arithmetic runs commands */
        {"--size=large", "bad --size 'large'"},               /* the peer has no large */
        {"--size=", "bad --size ''"},
        {"--multiplier=0.1", "bad --multiplier '0.1'"}, /* the peer wants more than 0.1 */
        {"--multiplier=100", "bad --multiplier '100'"},
        {"--multiplier=1e1", "bad --multiplier '1e1'"},
        {"--multiplier=-2", "bad --multiplier '-2'"},
        {"--multiplier=", "bad --multiplier ''"},
        {"--multiplier='$(touch pwned)'", "bad --multiplier"},
        {"--collectors=", "needs at least one collector"},
        {"--build=", "needs a directory"},
        {"--workload='a b'", "bad --workload 'a b'"},
        {"--runs", "needs a value"},
        {"--threads 2", "needs a value"},
        {"--heap=64M", "unknown argument '--heap=64M'"}, /* the heap follows --multiplier */
        {"--bogus", "unknown argument '--bogus'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error("compare-mt-bdw", fmt("--build=/nonexistent/build %s", cases[i].args), cases[i].says);
    /* Good values pass the checks and reach the binary check (exit 1). */
    int rc = script("compare-mt-bdw",
                    "--build=/nonexistent/build --runs=3 --threads=1,2,256 --size=small --multiplier=2.5");
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 1, "good values: exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "/nonexistent/build/gcbench not built"), "%s", err);
    free(err);
}

/* A relative --build is relative to the current directory; --help shows
 * the options but not the stand-in workload option (tests only). */
Test(scripts, compare_mt_bdw_build_and_help)
{
    int rc = sh("cd '%s' && mkdir -p 'b=1' && timeout 60 '%s/scripts/compare-mt-bdw' '--build=b=1' <>fifo "
                ">out.txt 2>err.txt",
                tmpdir, GCBENCH_SOURCE_DIR);
    cr_assert_eq(rc, 1);
    char *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_not_null(strstr(err, fmt("%s/b=1/gcbench not built", tmpdir)), "%s", err);
    free(err);
    cr_assert_eq(script("compare-mt-bdw", "--help"), 0);
    char *out = slurp(fmt("%s/out.txt", tmpdir));
    cr_assert_not_null(strstr(out, "--threads=N[,N...]"), "%s", out);
    cr_assert_not_null(strstr(out, "--multiplier=M"), "%s", out);
    cr_assert_null(strstr(out, "--workload=NAME"), "tests only: %s", out);
    free(out);
}

/* compare-mt-bdw against a fake peer (a script printing the peer's
 * format) and the real gcbench on its smallest workload as the stand-in
 * (--workload, tests only): the table has a row per collector entry and
 * the peer's, with medians, ratios to the peer and "-" for the time to
 * safepoint of one thread; the heap given to both sides is the same
 * M x N x max live; a workload gcbench lacks, a collector it rejects and a
 * peer that fails its check are errors with their own exit codes. */
Test(scripts, compare_mt_bdw_with_a_fake_peer)
{
    cr_assert_eq(sh("cd '%s' && mkdir -p fb/peers && ln -sf '%s' fb/gcbench", tmpdir, GCBENCH_BIN), 0);
    FILE *f = fopen(fmt("%s/fb/peers/bdw_mt_gcbench", tmpdir), "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n"
               "echo \"$*\" >>'%s/peer-log'\n"
               "printf 'threads %%s\\nwall_ns 2000000\\ngc_count 7\\nheap_bytes 1\\nverified %%s\\n' \"$1\" "
               "\"${FAKE_VERIFIED:-1}\"\n"
               "[ \"${FAKE_VERIFIED:-1}\" = 1 ] || exit 4\n",
            tmpdir);
    fclose(f);
    chmod(fmt("%s/fb/peers/bdw_mt_gcbench", tmpdir), 0755);

    const char *common = "--build=fb --workload=alloc --size=small --runs=2 --multiplier=8";
    int rc = sh("cd '%s' && rm -f peer-log && timeout 120 '%s/scripts/compare-mt-bdw' %s --threads=1 "
                "--collectors=marksweep,copying <>fifo >out.txt 2>err.txt",
                tmpdir, GCBENCH_SOURCE_DIR, common);
    char *out = slurp(fmt("%s/out.txt", tmpdir)), *err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 0, "exit %d: %s%s", rc, out, err);
    cr_assert_not_null(strstr(out, "alloc, 1 thread, heap 1368192 B, medians of 2:\n"), "%s", out);
    cr_assert_not_null(strstr(out, "\n  marksweep "), "%s", out);
    cr_assert_not_null(strstr(out, "\n  copying "), "%s", out);
    /* The peer's row: 2.0 ms, ratio 1, 7 collections, no tts. */
    cr_assert_not_null(strstr(out, "\n  bdwgc (libgc)                        2.0 ms    1.00x            7            -\n"),
                       "%s", out);
    /* Our rows: one thread, so no time to safepoint either. */
    const char *ms = strstr(out, "\n  marksweep ");
    cr_assert(ms != NULL && strstr(ms, "            -\n") == strchr(ms + 1, '\n') - 13, "%s", out);
    /* Interleaved: two peer runs, each with M and N. */
    char *log = slurp(fmt("%s/peer-log", tmpdir));
    cr_assert_str_eq(log, "1 small 8\n1 small 8\n");
    free(log);
    free(out);
    free(err);

    /* Two thread counts: a table each, the heap scaled by N. */
    rc = sh("cd '%s' && rm -f peer-log && timeout 120 '%s/scripts/compare-mt-bdw' %s --runs=1 --threads=2,1 "
            "--collectors=marksweep <>fifo >out.txt 2>err.txt",
            tmpdir, GCBENCH_SOURCE_DIR, common);
    out = slurp(fmt("%s/out.txt", tmpdir));
    cr_assert_eq(rc, 0, "exit %d: %s", rc, slurp(fmt("%s/err.txt", tmpdir)));
    const char *t2 = strstr(out, "alloc, 2 threads, heap 2736384 B"), *t1 = strstr(out, "alloc, 1 thread, heap 1368192 B");
    cr_assert(t2 != NULL && t1 != NULL && t2 < t1, "%s", out);
    free(out);
    log = slurp(fmt("%s/peer-log", tmpdir));
    cr_assert_str_eq(log, "2 small 8\n1 small 8\n");
    free(log);

    /* Errors: exit 1 for what is missing or failed, 2 for a rejected entry. */
    rc = sh("cd '%s' && timeout 60 '%s/scripts/compare-mt-bdw' --build=fb --workload=nosuch <>fifo >out.txt "
            "2>err.txt",
            tmpdir, GCBENCH_SOURCE_DIR);
    err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "has no 'nosuch' workload"), "%s", err);
    free(err);
    rc = sh("cd '%s' && timeout 60 '%s/scripts/compare-mt-bdw' %s --collectors=marksweep:bogus=1 <>fifo "
            ">out.txt 2>err.txt",
            tmpdir, GCBENCH_SOURCE_DIR, common);
    err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "rejected 'marksweep:bogus=1'"), "%s", err);
    free(err);
    rc = sh("cd '%s' && FAKE_VERIFIED=0 timeout 60 '%s/scripts/compare-mt-bdw' %s --runs=1 "
            "--collectors=marksweep <>fifo >out.txt 2>err.txt",
            tmpdir, GCBENCH_SOURCE_DIR, common);
    err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_eq(rc, 1, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "bdw_mt_gcbench 2 small 8 failed (exit 4)"), "%s", err);
    free(err);
    cr_assert_eq(sh("cd '%s' && rm fb/peers/bdw_mt_gcbench && timeout 60 '%s/scripts/compare-mt-bdw' --build=fb "
                    "<>fifo >out.txt 2>err.txt",
                    tmpdir, GCBENCH_SOURCE_DIR),
                 1);
    err = slurp(fmt("%s/err.txt", tmpdir));
    cr_assert_not_null(strstr(err, "peers/bdw_mt_gcbench not built"), "%s", err);
    free(err);
}
