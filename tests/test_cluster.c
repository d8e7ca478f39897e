/* tests/test_cluster.c — `gcbench sweep` beyond one machine, for real
 * (docs/cluster.md): a small plan (`--plan-only`: marksweep and copying,
 * trees small, multiples 2 and 4, two invocations: 8 invocations) is run
 *   - by GNU parallel from DIR/jobs.txt, DIR holding a space and a quote;
 *   - by GNU parallel over two "hosts" (--sshlogin, a stand-in for ssh);
 *   - half by GNU parallel, then `--collect` must name each missing
 *     invocation and exit 1, and after the other half exit 0;
 *   - by Slurm: scripts/slurm-local starts a private single-node cluster
 *     (munged, slurmctld, slurmd) in a temporary directory, DIR/sweep.sbatch
 *     is submitted as an array job, and the cluster is stopped again, also
 *     when the test fails (the suite's fini; and `--lifetime` makes the
 *     cluster stop itself should this process die before it).
 * Every invocation must then be complete with status 0 (its `exit` file),
 * and `gcbench sweep --collect` must report nothing missing and write
 * sweep.csv with every point's invocations counted. Also: slurm-local's
 * bad arguments are exit 2 before it starts or writes anything.
 *
 * Skipped, loudly, only when the machine cannot run them: GNU parallel not
 * installed (the parallel cases), or scripts/slurm-local's exit 3, which
 * means not root or a Slurm/munge program missing (the Slurm case).
 * scripts/setup --deps installs the packages, and CI runs as root, so
 * there they run. GCBENCH_REQUIRE_CLUSTER=1 turns a skip into a failure. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shell.h"

#define PLAN_ARGS                                                                                \
    "--collectors=marksweep,copying --workloads=trees --size=small --multiples=2,4 --invocations=2 " \
    "--baselines=none"
#define PLANNED 8 /* 2 collectors x 2 multiples x 2 invocations */
#define POINTS 4

static char tmpdir[] = "/tmp/gcbench-cluster-XXXXXX";
static bool have_tmpdir;
static bool slurm_started; /* scripts/slurm-local start ran: fini stops it */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* S single-quoted for /bin/sh (' written as '\''), in a static buffer used
 * in turn like fmt()'s. */
static const char *shq(const char *s)
{
    static char buf[8][4096];
    static int next;
    char *b = buf[next++ % 8], *p = b;
    *p++ = '\'';
    for (; *s != '\0'; s++) {
        cr_assert_lt((size_t)(p - b), sizeof buf[0] - 6, "path too long to quote");
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return b;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The whole file as a NUL-terminated string (NULL if it cannot be read);
 * the caller frees it. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void teardown(void);

/* A skip the machine forces: said on stderr where ctest's log shows it,
 * or a failure when GCBENCH_REQUIRE_CLUSTER=1. */
#define SKIP_LOUDLY(...)                                                                         \
    do {                                                                                         \
        const char *req_ = getenv("GCBENCH_REQUIRE_CLUSTER");                                    \
        if (req_ != NULL && strcmp(req_, "1") == 0)                                              \
            cr_assert_fail("GCBENCH_REQUIRE_CLUSTER=1 but: " __VA_ARGS__);                       \
        fprintf(stderr, "test_cluster: SKIPPED: " __VA_ARGS__);                                  \
        fprintf(stderr, "\n");                                                                   \
        teardown(); /* Criterion runs no fini after a skip */                                    \
        cr_skip_test(__VA_ARGS__);                                                               \
    } while (0)

static void need_parallel(void)
{
    if (sh("command -v parallel >/dev/null 2>&1") != 0)
        SKIP_LOUDLY("GNU parallel is not installed (Debian package parallel; scripts/setup --deps)");
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
    have_tmpdir = true;
    /* munged wants every directory above its socket searchable by all. */
    cr_assert_eq(chmod(tmpdir, 0755), 0, "chmod %s: %s", tmpdir, strerror(errno));
}

static void teardown(void)
{
    if (slurm_started) {
        /* Also after a failed assertion: the daemons must not outlive the test. */
        int rc = sh("%s/scripts/slurm-local stop --dir=%s/slurm >>%s/slurm-stop.txt 2>&1", GCBENCH_SOURCE_DIR,
                    tmpdir, tmpdir);
        if (rc != 0)
            fprintf(stderr, "test_cluster: scripts/slurm-local stop failed (exit %d); see %s/slurm-stop.txt\n", rc,
                    tmpdir);
        else
            slurm_started = false;
    }
    /* Keep the directory when the daemons could not be stopped: its logs. */
    if (have_tmpdir && !slurm_started) {
        sh("rm -rf %s", shq(tmpdir));
        have_tmpdir = false;
    }
}

TestSuite(cluster, .init = setup, .fini = teardown);

/* Runs `gcbench sweep --plan-only` of the small plan into DIR. */
static void plan(const char *dir)
{
    int rc = sh("%s sweep --plan-only --out=%s " PLAN_ARGS " >%s/plan.out 2>&1", shq(GCBENCH_BIN), shq(dir),
                tmpdir);
    char *out = slurp(fmt("%s/plan.out", tmpdir));
    cr_assert_eq(rc, 0, "gcbench sweep --plan-only: exit %d:\n%s", rc, out ? out : "");
    free(out);
    cr_assert(exists(fmt("%s/jobs.txt", dir)), "no jobs.txt in %s", dir);
    cr_assert(exists(fmt("%s/sweep.sbatch", dir)), "no sweep.sbatch in %s", dir);
}

/* The run_dir (column 10) of each of plan.tsv's invocations, in index
 * order; returns how many (at most max). */
static size_t plan_run_dirs(const char *dir, char run_dirs[][256], size_t max)
{
    char *text = slurp(fmt("%s/plan.tsv", dir));
    cr_assert_not_null(text, "cannot read %s/plan.tsv", dir);
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        const char *field = line;
        for (int col = 1; col < 10; col++) {
            field = strchr(field, '\t');
            cr_assert_not_null(field, "plan.tsv line has fewer than 10 columns: %s", line);
            field++;
        }
        cr_assert_lt(n, max, "plan.tsv has more than %zu invocations", max);
        cr_assert_lt(strlen(field), sizeof run_dirs[0], "run_dir too long: %s", field);
        snprintf(run_dirs[n], sizeof run_dirs[0], "%s", field);
        long index = strtol(line, NULL, 10);
        cr_assert_eq(index, (long)n + 1, "plan.tsv out of order at line %zu: %s", n + 1, line);
        n++;
    }
    free(text);
    return n;
}

/* Every invocation in WHICH (a PLANNED-long mask; NULL: all) has an `exit`
 * file saying 0; every other none. */
static void expect_complete(const char *dir, const bool *which)
{
    char run_dirs[PLANNED + 1][256];
    size_t n = plan_run_dirs(dir, run_dirs, PLANNED + 1);
    cr_assert_eq(n, PLANNED, "plan.tsv of %s: %zu invocations, expected %d", dir, n, PLANNED);
    for (size_t i = 0; i < n; i++) {
        const char *exit_path = fmt("%s/%s/exit", dir, run_dirs[i]);
        char *status = slurp(exit_path);
        if (which != NULL && !which[i]) {
            cr_assert_null(status, "invocation %zu (%s) was not run, yet has an exit file", i + 1, run_dirs[i]);
            continue;
        }
        char *err = slurp(fmt("%s/%s/stderr", dir, run_dirs[i]));
        cr_assert_not_null(status, "invocation %zu (%s) is not complete: no exit file; its stderr: %s", i + 1,
                           run_dirs[i], err ? err : "(none)");
        cr_assert_str_eq(status, "0\n", "invocation %zu (%s) exit file '%s'; its stderr: %s", i + 1, run_dirs[i],
                         status, err ? err : "(none)");
        cr_assert(exists(fmt("%s/%s/summary.json", dir, run_dirs[i])), "invocation %zu (%s): no summary.json",
                  i + 1, run_dirs[i]);
        free(err);
        free(status);
    }
}

/* The index of column NAME in the CSV header line HEADER, or -1. */
static int csv_column(const char *header, const char *name)
{
    int col = 0;
    size_t len = strlen(name);
    for (const char *p = header;; col++) {
        const char *end = strpbrk(p, ",\n");
        size_t flen = end ? (size_t)(end - p) : strlen(p);
        if (flen == len && strncmp(p, name, len) == 0)
            return col;
        if (end == NULL || *end == '\n')
            return -1;
        p = end + 1;
    }
}

/* Field COL of CSV line LINE as an integer (the counts have no commas). */
static long csv_long(const char *line, int col)
{
    const char *p = line;
    for (int c = 0; c < col; c++) {
        p = strchr(p, ',');
        cr_assert_not_null(p, "sweep.csv row too short: %.200s", line);
        p++;
    }
    return strtol(p, NULL, 10);
}

/* `gcbench sweep --collect DIR`: its exit status; its stderr in *err
 * (the caller frees it). */
static int collect(const char *dir, char **err)
{
    int rc = sh("%s sweep --collect %s >%s/collect.out 2>%s/collect.err", shq(GCBENCH_BIN), shq(dir), tmpdir,
                tmpdir);
    *err = slurp(fmt("%s/collect.err", tmpdir));
    cr_assert_not_null(*err);
    return rc;
}

/* sweep.csv has one row per point, and its counts add up to OK complete
 * and MISSING missing invocations, none failed. */
static void expect_csv(const char *dir, long ok, long missing)
{
    char *csv = slurp(fmt("%s/sweep.csv", dir));
    cr_assert_not_null(csv, "--collect wrote no %s/sweep.csv", dir);
    int c_planned = csv_column(csv, "planned"), c_ok = csv_column(csv, "ok"), c_failed = csv_column(csv, "failed"),
        c_missing = csv_column(csv, "missing");
    cr_assert(c_planned >= 0 && c_ok >= 0 && c_failed >= 0 && c_missing >= 0,
              "sweep.csv header lacks planned/ok/failed/missing: %.300s", csv);
    long rows = 0, planned = 0, got_ok = 0, failed = 0, got_missing = 0;
    for (const char *line = strchr(csv, '\n'); line != NULL && line[1] != '\0'; line = strchr(line, '\n')) {
        line++;
        rows++;
        planned += csv_long(line, c_planned);
        got_ok += csv_long(line, c_ok);
        failed += csv_long(line, c_failed);
        got_missing += csv_long(line, c_missing);
    }
    cr_assert_eq(rows, POINTS, "sweep.csv: %ld rows, expected one per point (%d):\n%s", rows, POINTS, csv);
    cr_assert_eq(planned, PLANNED, "sweep.csv: planned adds up to %ld, expected %d", planned, PLANNED);
    cr_assert_eq(got_ok, ok, "sweep.csv: ok adds up to %ld, expected %ld", got_ok, ok);
    cr_assert_eq(failed, 0, "sweep.csv: %ld failed", failed);
    cr_assert_eq(got_missing, missing, "sweep.csv: missing adds up to %ld, expected %ld", got_missing, missing);
    free(csv);
}

/* --collect of a complete sweep: exit 0, nothing missing, sweep.csv. */
static void expect_collect_complete(const char *dir)
{
    char *err;
    int rc = collect(dir, &err);
    cr_assert_eq(rc, 0, "gcbench sweep --collect: exit %d, expected 0:\n%s", rc, err);
    cr_assert_null(strstr(err, "missing: "), "--collect names missing invocations of a complete sweep:\n%s", err);
    free(err);
    expect_csv(dir, PLANNED, 0);
}

/* GNU parallel runs jobs.txt in a DIR whose name holds a space and a
 * single quote; every invocation completes; --collect finds them all. */
Test(cluster, parallel_runs_jobs_txt)
{
    need_parallel();
    char dir[512]; /* not fmt(): its buffers rotate */
    snprintf(dir, sizeof dir, "%s/sweep with space and 'quote'", tmpdir);
    plan(dir);
    double t0 = now();
    int rc = sh("cd %s && timeout 300 parallel --joblog %s -j 2 <%s >parallel.out 2>&1", shq(tmpdir),
                shq(fmt("%s/parallel.log", dir)), shq(fmt("%s/jobs.txt", dir)));
    char *out = slurp(fmt("%s/parallel.out", tmpdir));
    cr_assert_eq(rc, 0, "parallel: exit %d (124: hung for 300 s):\n%s", rc, out ? out : "");
    free(out);
    fprintf(stderr, "test_cluster: GNU parallel ran %d invocations in %.1f s\n", PLANNED, now() - t0);

    /* The joblog: a header and one line per job, each exit value 0. */
    char *log = slurp(fmt("%s/parallel.log", dir));
    cr_assert_not_null(log, "parallel wrote no --joblog");
    int jobs = 0;
    for (char *line = strchr(log, '\n'); line != NULL && line[1] != '\0'; line = strchr(line + 1, '\n')) {
        int seq, exitval, sig;
        char host[64];
        double start, runtime;
        long send, receive;
        cr_assert_eq(sscanf(line + 1, "%d %63s %lf %lf %ld %ld %d %d", &seq, host, &start, &runtime, &send, &receive,
                            &exitval, &sig),
                     8, "joblog line: %.200s", line + 1);
        cr_assert_eq(exitval, 0, "joblog: job %d exited %d: %.200s", seq, exitval, line + 1);
        cr_assert_eq(sig, 0, "joblog: job %d killed by signal %d", seq, sig);
        jobs++;
    }
    cr_assert_eq(jobs, PLANNED, "joblog has %d jobs, expected %d:\n%s", jobs, PLANNED, log);
    free(log);

    expect_complete(dir, NULL);
    expect_collect_complete(dir);
}

/* Across hosts: `parallel --sshlogin 1/nodeA,1/nodeB` with a stand-in for
 * ssh (--ssh) that does what ssh + sshd do with the command: join the
 * arguments after the host with spaces and run them with `sh -c`. Every
 * line of jobs.txt, DIR with a space and a quote in it, must survive
 * GNU parallel's remote quoting, and both "hosts" must have run jobs. The
 * stand-in sets SHELL and HOME from the password entry as sshd does: CI
 * runs with SHELL unset, and parallel's remote wrapper then runs nothing
 * and still exits 0. */
Test(cluster, parallel_sshlogin_runs_jobs_txt)
{
    need_parallel();
    char dir[512], fake[512];
    snprintf(dir, sizeof dir, "%s/over ssh 'q'", tmpdir);
    snprintf(fake, sizeof fake, "%s/fake-ssh", tmpdir);
    FILE *f = fopen(fake, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n"
               "# ssh [options] host [--] command...: options with a value, then the host\n"
               "while [ $# -gt 0 ]; do\n"
               "  case $1 in\n"
               "    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;\n"
               "    -*) shift ;;\n"
               "    *) break ;;\n"
               "  esac\n"
               "done\n"
               "case $1 in nodeA|nodeB) ;; *) echo \"fake-ssh: unknown host '$1'\" >&2; exit 255 ;; esac\n"
               "shift\n"
               "[ \"${1:-}\" = -- ] && shift\n"
               "# sshd gives the command the user's login shell and home (GNU\n"
               "# parallel's remote wrapper runs the job with $SHELL: unset, no job runs)\n"
               "pw=$(getent passwd \"$(id -u)\")\n"
               "SHELL=$(printf %%s \"$pw\" | cut -d: -f7); [ -x \"$SHELL\" ] || SHELL=/bin/sh\n"
               "HOME=$(printf %%s \"$pw\" | cut -d: -f6); [ -d \"$HOME\" ] || HOME=/\n"
               "export SHELL HOME\n"
               "exec /bin/sh -c \"$*\"\n");
    fclose(f);
    cr_assert_eq(chmod(fake, 0755), 0);
    plan(dir);
    int rc = sh("cd %s && timeout 300 parallel --ssh %s --sshlogin 1/nodeA,1/nodeB --joblog %s <%s >ssh.out 2>&1",
                shq(tmpdir), shq(fake), shq(fmt("%s/parallel.log", dir)), shq(fmt("%s/jobs.txt", dir)));
    char *out = slurp(fmt("%s/ssh.out", tmpdir));
    cr_assert_eq(rc, 0, "parallel --sshlogin: exit %d:\n%s", rc, out ? out : "");
    free(out);
    char *log = slurp(fmt("%s/parallel.log", dir));
    cr_assert_not_null(log, "parallel wrote no --joblog");
    cr_assert_not_null(strstr(log, "\tnodeA\t"), "no job ran on nodeA:\n%s", log);
    cr_assert_not_null(strstr(log, "\tnodeB\t"), "no job ran on nodeB:\n%s", log);
    free(log);
    expect_complete(dir, NULL);
    expect_collect_complete(dir);
}

/* Half of jobs.txt (the odd lines) runs; --collect names each of the other
 * invocations as missing and exits 1 (docs/sweep.md), still writing
 * sweep.csv; the other half then completes the sweep. */
Test(cluster, partial_run_names_missing)
{
    need_parallel();
    char dir[512], jobs[600];
    snprintf(dir, sizeof dir, "%s/partial", tmpdir);
    snprintf(jobs, sizeof jobs, "%s/jobs.txt", dir);
    plan(dir);
    int rc = sh("sed -n '1~2p' %s | timeout 300 parallel -j 2 >%s/parallel.out 2>&1", shq(jobs), tmpdir);
    cr_assert_eq(rc, 0, "parallel (odd lines): exit %d", rc);

    bool ran[PLANNED];
    for (int i = 0; i < PLANNED; i++)
        ran[i] = i % 2 == 0; /* line i + 1 */
    expect_complete(dir, ran);

    char *err;
    rc = collect(dir, &err);
    cr_assert_eq(rc, 1, "--collect with 4 of 8 missing: exit %d, expected 1:\n%s", rc, err);
    char run_dirs[PLANNED][256];
    cr_assert_eq(plan_run_dirs(dir, run_dirs, PLANNED), PLANNED);
    for (int i = 0; i < PLANNED; i++) {
        const char *line = fmt("missing: %s\n", run_dirs[i]);
        if (ran[i])
            cr_assert_null(strstr(err, line), "--collect calls complete %s missing:\n%s", run_dirs[i], err);
        else
            cr_assert_not_null(strstr(err, line), "--collect does not name missing %s:\n%s", run_dirs[i], err);
    }
    free(err);
    expect_csv(dir, PLANNED / 2, PLANNED / 2);

    /* The rest, then the sweep is whole. */
    rc = sh("sed -n '2~2p' %s | timeout 300 parallel -j 2 >%s/parallel.out 2>&1", shq(jobs), tmpdir);
    cr_assert_eq(rc, 0, "parallel (even lines): exit %d", rc);
    expect_complete(dir, NULL);
    expect_collect_complete(dir);
}

/* scripts/slurm-local: a bad argument is exit 2 with a message naming it,
 * before anything is started or written (so this runs as any user). */
Test(cluster, slurm_local_rejects_bad_arguments)
{
    char other[512];
    snprintf(other, sizeof other, "%s/not-ours", tmpdir);
    cr_assert_eq(mkdir(other, 0755), 0);
    FILE *f = fopen(fmt("%s/precious", other), "w");
    cr_assert_not_null(f);
    fclose(f);
    const struct {
        const char *args, *says;
    } cases[] = {
        {"", "no command"},
        {"bogus", "unknown argument 'bogus'"},
        {"start stop", "one command only"},
        {"start --cpus=0", "bad --cpus '0'"},
        {"start --cpus=two", "bad --cpus 'two'"},
        {"start --lifetime=-5", "bad --lifetime '-5'"},
        {"start --lifetime", "needs a value"},
        {"stop --cpus=2", "--cpus is an option of start"},
        {"start --purge", "--purge is an option of stop"},
        {fmt("start --dir=%s", shq(fmt("%s/with space", tmpdir))), "only letters, digits"},
        {fmt("start --dir=%s/%0100d", tmpdir, 0), "too long"},
        {fmt("start --dir=%s", shq(other)), "not made by slurm-local"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = sh("%s/scripts/slurm-local %s </dev/null >%s/out.txt 2>%s/err.txt", GCBENCH_SOURCE_DIR,
                    cases[i].args, tmpdir, tmpdir);
        char *err = slurp(fmt("%s/err.txt", tmpdir));
        cr_assert_not_null(err);
        cr_assert_eq(rc, 2, "slurm-local %s: exit %d, expected 2; stderr: %s", cases[i].args, rc, err);
        cr_assert_not_null(strstr(err, cases[i].says), "slurm-local %s: stderr lacks '%s': %s", cases[i].args,
                           cases[i].says, err);
        free(err);
    }
    /* Nothing was written into the directory that is not its own. */
    cr_assert_eq(sh("[ \"$(ls -A %s)\" = precious ]", shq(other)), 0, "slurm-local wrote into %s", other);
}

/* Reads the pid in FILE (0 if none). */
static long read_pid(const char *file)
{
    char *s = slurp(file);
    long pid = s ? strtol(s, NULL, 10) : 0;
    free(s);
    return pid;
}

/* A private single-node Slurm runs DIR/sweep.sbatch as an array job; the
 * cluster is stopped and none of its daemons outlives the stop. */
Test(cluster, slurm_runs_sweep_sbatch)
{
    char slurm_dir[256], dir[512], conf[512];
    snprintf(slurm_dir, sizeof slurm_dir, "%s/slurm", tmpdir);
    snprintf(conf, sizeof conf, "%s/slurm.conf", slurm_dir);
    snprintf(dir, sizeof dir, "%s/sweep under slurm", tmpdir);
    plan(dir);

    /* Start: its stdout is the export line; exit 3 = this machine cannot. */
    double t0 = now();
    slurm_started = true; /* from here on fini stops whatever did start */
    int rc = sh("%s/scripts/slurm-local start --dir=%s --lifetime=600 >%s/start.out 2>%s/start.err",
                GCBENCH_SOURCE_DIR, slurm_dir, tmpdir, tmpdir);
    double t_start = now() - t0;
    char *err = slurp(fmt("%s/start.err", tmpdir));
    if (rc == 3) {
        slurm_started = false;
        SKIP_LOUDLY("scripts/slurm-local cannot run a cluster here: %s", err ? err : "");
    }
    cr_assert_eq(rc, 0, "scripts/slurm-local start: exit %d:\n%s", rc, err ? err : "");
    free(err);
    char *export = slurp(fmt("%s/start.out", tmpdir));
    cr_assert_not_null(export);
    cr_assert_str_eq(export, fmt("export SLURM_CONF=%s\n", conf), "start's stdout");
    free(export);
    cr_assert_eq(setenv("SLURM_CONF", conf, 1), 0);
    cr_assert_eq(sh("%s/scripts/slurm-local status --dir=%s >/dev/null 2>&1", GCBENCH_SOURCE_DIR, slurm_dir), 0,
                 "status after start is not 'running'");

    /* Submit the array job; poll squeue (sbatch --wait polls at up to
     * 10 s intervals) until it has left the queue. */
    t0 = now();
    rc = sh("cd %s && sbatch --parsable %s >%s/sbatch.out 2>&1", shq(tmpdir), shq(fmt("%s/sweep.sbatch", dir)),
            tmpdir);
    char *jobid = slurp(fmt("%s/sbatch.out", tmpdir));
    cr_assert_eq(rc, 0, "sbatch: exit %d: %s", rc, jobid ? jobid : "");
    long job = strtol(jobid, NULL, 10);
    cr_assert_gt(job, 0, "sbatch --parsable printed '%s'", jobid);
    free(jobid);
    for (;;) {
        rc = sh("squeue -h -j %ld >%s/squeue.out 2>&1", job, tmpdir);
        char *q = slurp(fmt("%s/squeue.out", tmpdir));
        cr_assert_eq(rc, 0, "squeue: exit %d: %s", rc, q ? q : "");
        bool queued = q != NULL && q[0] != '\0';
        if (queued && now() - t0 > 300) {
            sh("scontrol show job %ld >&2", job);
            cr_assert_fail("job %ld still queued after 300 s:\n%s", job, q);
        }
        free(q);
        if (!queued)
            break;
        usleep(200 * 1000);
    }
    double t_run = now() - t0;

    /* Slurm ran every task: one log per array task. */
    for (int i = 1; i <= PLANNED; i++)
        cr_assert(exists(fmt("%s/slurm/%ld_%d.out", dir, job, i)), "no Slurm log %ld_%d.out for task %d", job, i,
                  i);
    expect_complete(dir, NULL);
    expect_collect_complete(dir);

    /* Stop: every daemon start started is gone afterwards. */
    static const char *const daemons[] = {"munged", "slurmctld", "slurmd", "watchdog"};
    long pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = read_pid(fmt("%s/run/%s.pid", slurm_dir, daemons[i]));
        cr_assert_gt(pids[i], 0, "no pid file for %s", daemons[i]);
    }
    t0 = now();
    rc = sh("%s/scripts/slurm-local stop --dir=%s >%s/stop.out 2>&1", GCBENCH_SOURCE_DIR, slurm_dir, tmpdir);
    double t_stop = now() - t0;
    char *stop = slurp(fmt("%s/stop.out", tmpdir));
    cr_assert_eq(rc, 0, "scripts/slurm-local stop: exit %d:\n%s", rc, stop ? stop : "");
    free(stop);
    slurm_started = false;
    for (int i = 0; i < 4; i++) {
        /* A zombie (not yet reaped by init) counts as gone. */
        char *st = slurp(fmt("/proc/%ld/stat", pids[i]));
        const char *state = st ? strrchr(st, ')') : NULL;
        bool alive = state != NULL && state[1] == ' ' && state[2] != 'Z';
        free(st);
        cr_assert(!alive, "%s (pid %ld) still runs after stop", daemons[i], pids[i]);
    }
    cr_assert_neq(sh("%s/scripts/slurm-local status --dir=%s >/dev/null 2>&1", GCBENCH_SOURCE_DIR, slurm_dir), 0,
                  "status after stop says 'running'");
    fprintf(stderr, "test_cluster: slurm-local start %.1f s, %d array tasks %.1f s, stop %.1f s\n", t_start, PLANNED,
            t_run, t_stop);
}
