/* tests/test_sweep.c — `gcbench sweep` (bench/sweep.c, docs/sweep.md): the
 * parsing helpers in process, then the built binary (GCBENCH_BIN) end to
 * end on small workloads: the minimum-heap search, the plan and its job
 * files, gaps, failures, progress off a terminal, interruption and
 * --resume, --run-one and bad input. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/sweep.h"
#include "collectors/registry.h"
#include "shell.h"

extern char **environ;

/* ======================================================================== */
/* helpers                                                                  */
/* ======================================================================== */

/* Scratch memory the tests inspect, released at exit. */
static void *keep[4096];
static size_t nkeep;
static void *kept(void *p)
{
    cr_assert_not_null(p, "out of memory");
    if (nkeep < sizeof keep / sizeof keep[0])
        keep[nkeep++] = p;
    return p;
}
__attribute__((destructor)) static void release_kept(void)
{
    for (size_t i = 0; i < nkeep; i++)
        free(keep[i]);
    nkeep = 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = '\0';
    return kept(buf);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

#include "tmpdir.h"

TestSuite(parse);
TestSuite(sweep, .fini = remove_tmpdirs);

typedef struct run_result {
    int status; /* exit code, or 128 + signal */
    char *out, *err;
} run_result;

/* Starts GCBENCH_BIN sweep ARGS (a NULL-terminated array) with stdout and
 * stderr in files under tmp (stdin /dev/null); returns the pid. */
static pid_t start_sweep(const char *tmp, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)GCBENCH_BIN;
    argv[argc++] = "sweep";
    for (; *args != NULL; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, fmt("%s/stdout.txt", tmp),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, fmt("%s/stderr.txt", tmp),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, GCBENCH_BIN, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", GCBENCH_BIN, strerror(rc));
    return pid;
}

static run_result finish_sweep(const char *tmp, pid_t pid)
{
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
    run_result r;
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = read_file(fmt("%s/stdout.txt", tmp));
    r.err = read_file(fmt("%s/stderr.txt", tmp));
    cr_assert_not_null(r.out);
    cr_assert_not_null(r.err);
    return r;
}

#define SWEEP(tmp, ...) \
    finish_sweep((tmp), start_sweep((tmp), (const char *const[]){__VA_ARGS__, NULL}))

/* A small sweep: trees at size small, no peers unless asked. */
#define SMALL "--workloads=trees", "--size=small"

static size_t count_lines(const char *s, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = s; p && *p;) {
        if (strncmp(p, prefix, len) == 0)
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

/* plan.tsv, parsed. */
typedef struct plan_line {
    unsigned index, inv;
    char point[256], kind[8], spec[128], workload[64], size[16], mult[32], heap[32], run_dir[300];
} plan_line;

static size_t load_plan(const char *dir, plan_line *v, size_t max)
{
    char *text = read_file(fmt("%s/plan.tsv", dir));
    cr_assert_not_null(text, "no plan.tsv in %s", dir);
    cr_assert(strncmp(text, "# index\tpoint\tkind\tcollector_spec\tworkload\tsize\tmultiple\t"
                            "heap_bytes\tinvocation\trun_dir\n",
                      84) == 0,
              "plan.tsv header: %.100s", text);
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        cr_assert_lt(n, max);
        plan_line *p = &v[n];
        int got = sscanf(line,
                         "%u\t%255[^\t]\t%7[^\t]\t%127[^\t]\t%63[^\t]\t%15[^\t]\t%31[^\t]\t%31[^\t]"
                         "\t%u\t%299[^\t]",
                         &p->index, p->point, p->kind, p->spec, p->workload, p->size, p->mult,
                         p->heap, &p->inv, p->run_dir);
        cr_assert_eq(got, 10, "plan.tsv line '%s'", line);
        n++;
    }
    return n;
}

/* minheap.tsv's minimum for a spec ("-" -> 0). */
static size_t min_heap_of(const char *dir, const char *spec, size_t *res)
{
    char *text = read_file(fmt("%s/minheap.tsv", dir));
    cr_assert_not_null(text);
    cr_assert(strncmp(text, "# collector_spec\tworkload\tsize\tmin_heap_bytes\tresolution_bytes\n",
                      62) == 0,
              "minheap.tsv header: %.80s", text);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char s[128], w[64], sz[16], mh[32];
        size_t r;
        if (line[0] != '#' && sscanf(line, "%127[^\t]\t%63[^\t]\t%15[^\t]\t%31[^\t]\t%zu", s, w, sz,
                                     mh, &r) == 5 &&
            strcmp(s, spec) == 0) {
            if (res)
                *res = r;
            return strcmp(mh, "-") == 0 ? 0 : strtoull(mh, NULL, 10);
        }
    }
    cr_assert_fail("no minheap.tsv line for %s", spec);
    return 0;
}

static int gcbench_exit(const char *spec, size_t heap)
{
    return sh("'%s' --collector=%s --workload=trees --size=small --heap=%zu --quiet 2>/dev/null",
              GCBENCH_BIN, spec, heap);
}

/* A /bin/sh script at path with the given body. */
static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fprintf(f, "#!/bin/sh\n%s", body);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0755), 0);
}

/* Some runs/<point>/<inv>/exit in dir? */
static bool any_exit(const char *dir)
{
    DIR *d = opendir(fmt("%s/runs", dir));
    if (d == NULL)
        return false;
    bool found = false;
    for (struct dirent *pe; !found && (pe = readdir(d)) != NULL;) {
        if (pe->d_name[0] == '.')
            continue;
        char *pd = kept(strdup(fmt("%s/runs/%s", dir, pe->d_name)));
        DIR *d2 = opendir(pd);
        for (struct dirent *ie; d2 && !found && (ie = readdir(d2)) != NULL;)
            found = ie->d_name[0] != '.' && exists(fmt("%s/%s/exit", pd, ie->d_name));
        if (d2)
            closedir(d2);
    }
    closedir(d);
    return found;
}

static int exit_of(const char *dir, const char *run_dir)
{
    char *t = read_file(fmt("%s/%s/exit", dir, run_dir));
    if (t == NULL)
        return -1;
    char *end;
    long v = strtol(t, &end, 10);
    cr_assert(end != t && strcmp(end, "\n") == 0, "exit file '%s' of %s", t, run_dir);
    return (int)v;
}

/* ======================================================================== */
/* parsing helpers, in process                                              */
/* ======================================================================== */

static void split_ok(const char *list, const char *const *want, size_t n)
{
    gcb_strv v = {0};
    char err[256] = "";
    cr_assert_eq(gcb_sweep_split_collectors(list, &v, err, sizeof err), 0, "'%s': %s", list, err);
    cr_assert_eq(v.n, n, "'%s': %zu specs, expected %zu", list, v.n, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(v.v[i], want[i], "'%s' spec %zu", list, i);
    gcb_strv_free(&v);
}

Test(parse, collectors)
{
    split_ok("marksweep,generational:nursery=1M",
             (const char *const[]){"marksweep", "generational:nursery=1M"}, 2);
    /* A piece with '=' and no ':' continues the options before it. */
    split_ok("generational:nursery=1M,x=2,copying,refcount:cycles=off",
             (const char *const[]){"generational:nursery=1M,x=2", "copying", "refcount:cycles=off"},
             3);
    split_ok("marksweep,marksweep", (const char *const[]){"marksweep"}, 1);
    split_ok("marksweep:", (const char *const[]){"marksweep"}, 1);
    /* all: the registry, in its order, once. */
    size_t nreg = 0;
    const char *reg[32];
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c; c++)
        reg[nreg++] = (*c)->name;
    split_ok("all", reg, nreg);
    split_ok("marksweep,all", reg, nreg); /* marksweep is first in the registry */
    const char *bad[] = {"", ",", "marksweep,", ",marksweep", "marksweep,,copying",
                         "nursery=1M", "marksweep,nursery=1M", "all,x=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gcb_strv v = {0};
        char err[256] = "";
        cr_assert_neq(gcb_sweep_split_collectors(bad[i], &v, err, sizeof err), 0,
                      "'%s' should be rejected", bad[i]);
        cr_assert_neq(err[0], '\0', "'%s': no message", bad[i]);
        gcb_strv_free(&v);
    }
}

Test(parse, multiples)
{
    double *m;
    size_t n;
    char err[256];
    cr_assert_eq(gcb_sweep_parse_multiples("1.25,1.5,2,3,4,6", &m, &n, err, sizeof err), 0);
    double want[] = {1.25, 1.5, 2, 3, 4, 6};
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(m[i], want[i]);
    free(m);
    cr_assert_eq(gcb_sweep_parse_multiples("0.5,2,0.5,.75,1e1", &m, &n, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(n, 4, "duplicates are dropped");
    cr_assert(m[0] == 0.5 && m[1] == 2 && m[2] == 0.75 && m[3] == 10);
    free(m);
    const char *bad[] = {"", ",", "1,", ",1", "1,,2", "0", "-1", "+1", " 1", "1 ", "abc", "1x",
                         "inf", "nan", "0x10", "1001", "1.0000001", "1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        cr_assert_neq(gcb_sweep_parse_multiples(bad[i], &m, &n, err, sizeof err), 0,
                      "'%s' should be rejected", bad[i]);
        cr_assert_null(m);
        cr_assert_neq(err[0], '\0');
    }
}

Test(parse, heap_bytes)
{
    cr_assert_eq(gcb_sweep_heap_bytes(1.5, 1 << 20), (size_t)3 << 19);
    cr_assert_eq(gcb_sweep_heap_bytes(3, 393216), 1179648);
    cr_assert_eq(gcb_sweep_heap_bytes(1.25, 393216), 491520);
    cr_assert_eq(gcb_sweep_heap_bytes(1.1, 1 << 20), 1155072); /* 1153433.6 -> next page */
    /* 1.1 x 50 pages is 55.00000000000001 pages in floating point: still 55. */
    cr_assert_eq(gcb_sweep_heap_bytes(1.1, 50 * 4096), 55 * 4096);
    cr_assert_eq(gcb_sweep_heap_bytes(1, 4097), 8192);
    cr_assert_eq(gcb_sweep_heap_bytes(0.001, 4096), 4096); /* at least a page */
    cr_assert_eq(gcb_sweep_heap_bytes(1000, (size_t)16 << 30), (size_t)16000 << 30);
    for (size_t base = 4096; base < (1 << 24); base = base * 3 + 4096) {
        size_t h = gcb_sweep_heap_bytes(1.3, base);
        cr_assert_eq(h % 4096, 0);
        cr_assert(h >= 1.3 * base && h < 1.3 * base + 4096, "1.3 x %zu -> %zu", base, h);
    }
}

Test(parse, point_id_and_quote)
{
    char id[256];
    gcb_sweep_point_id(id, sizeof id, "generational:nursery=1M,x=2", "trees", "small", "1.25");
    cr_assert_str_eq(id, "generational_nursery-1M+x-2.trees.small.x1.25");
    gcb_sweep_point_id(id, sizeof id, "peer:bdw", "trees", "default", NULL);
    cr_assert_str_eq(id, "peer-bdw.trees.default");
    gcb_sweep_point_id(id, sizeof id, "a b/c", "trees", "small", "2");
    cr_assert_str_eq(id, "a_b_c.trees.small.x2");
    /* The quoted text, given to sh, is the original string again. */
    const char *s[] = {"plain", "with space", "it's", "'", "''", "a\"b$c`d\\e", ""};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        char *q = gcb_sweep_shell_quote(s[i]);
        char *d = make_tmpdir();
        cr_assert_eq(sh("printf '%%s' %s >'%s/q'", q, d), 0);
        cr_assert_str_eq(read_file(fmt("%s/q", d)), s[i], "quoted as %s", q);
        free(q);
    }
    remove_tmpdirs();
}

/* ======================================================================== */
/* end to end                                                               */
/* ======================================================================== */

/* The bisection's result is within its resolution: gcbench completes at
 * the minimum and runs out of heap one resolution step below it. A second
 * sweep into the same directory reuses the cache (no probes). */
Test(sweep, min_heap_within_resolution)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=2",
                         "--invocations=1", "--baselines=none", "--plan-only",
                         fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *specs[] = {"marksweep", "copying"};
    for (int i = 0; i < 2; i++) {
        size_t res = 0, min = min_heap_of(out, specs[i], &res);
        cr_assert_eq(res, 65536);
        cr_assert_gt(min, 65536, "%s: %zu", specs[i], min);
        cr_assert_eq(gcbench_exit(specs[i], min), 0, "%s at its minimum %zu", specs[i], min);
        cr_assert_eq(gcbench_exit(specs[i], min - res), 3, "%s at %zu - %zu", specs[i], min, res);
    }
    /* A finer resolution: searched again, still right. */
    r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2", "--invocations=1",
              "--baselines=none", "--plan-only", "--resolution=8K", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t res = 0, min = min_heap_of(out, "marksweep", &res);
    cr_assert_eq(res, 8192);
    cr_assert_eq(gcbench_exit("marksweep", min), 0);
    cr_assert_eq(gcbench_exit("marksweep", min - res), 3);
    cr_assert(strstr(r.err, "probes)") != NULL, "%s", r.err);
    /* Coarser or equal: cached. copying's line survived the rewrite. */
    r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=2", "--invocations=1",
              "--baselines=none", "--plan-only", "--resolution=64K", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_lines(r.err, "sweep: minimum heap of "), 2, "%s", r.err);
    cr_assert(strstr(r.err, "probes)") == NULL, "no search expected: %s", r.err);
    cr_assert(strstr(r.err, "(cached)") != NULL, "%s", r.err);
}

/* plan.tsv, jobs.txt, sweep.sbatch and params.json as docs/sweep.md says:
 * every point in every round, rounds in order, shuffled within, the heap
 * multiple x the smallest minimum rounded up to a page. */
Test(sweep, plan_files)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=1.5,3",
                         "--invocations=3", "--baselines=none", "--plan-only", "--seed=5",
                         fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "", "stdout stays empty");
    plan_line v[64];
    size_t n = load_plan(out, v, 64);
    cr_assert_eq(n, 2 * 2 * 3);
    size_t ms = min_heap_of(out, "marksweep", NULL), cp = min_heap_of(out, "copying", NULL);
    size_t base = ms < cp ? ms : cp;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(v[i].index, i + 1);
        cr_assert_eq(v[i].inv, i / 4 + 1, "line %zu: invocation-major order", i + 1);
        cr_assert_str_eq(v[i].kind, "gc");
        cr_assert_str_eq(v[i].workload, "trees");
        cr_assert_str_eq(v[i].size, "small");
        double m = strcmp(v[i].mult, "1.5") == 0 ? 1.5 : 3;
        cr_assert(strcmp(v[i].mult, "1.5") == 0 || strcmp(v[i].mult, "3") == 0, "%s", v[i].mult);
        size_t heap = strtoull(v[i].heap, NULL, 10);
        cr_assert_eq(heap, gcb_sweep_heap_bytes(m, base));
        cr_assert_eq(heap % 4096, 0);
        cr_assert_str_eq(v[i].point, fmt("%s.trees.small.x%s", v[i].spec, v[i].mult));
        cr_assert_str_eq(v[i].run_dir, fmt("runs/%s/%u", v[i].point, v[i].inv));
        /* Each round holds each point once. */
        for (size_t j = i / 4 * 4; j < i; j++)
            cr_assert_str_neq(v[j].point, v[i].point, "point twice in round %u", v[i].inv);
    }
    /* Interleaved: not every round in the same order (seeded shuffle). */
    bool differ = false;
    for (size_t i = 0; i < 4; i++)
        differ |= strcmp(v[i].point, v[4 + i].point) != 0 || strcmp(v[i].point, v[8 + i].point);
    cr_assert(differ, "every round in the same order");
    /* jobs.txt: line i runs invocation i. */
    char *jobs = read_file(fmt("%s/jobs.txt", out));
    cr_assert_not_null(jobs);
    char *want = kept(strdup(""));
    for (size_t i = 1; i <= n; i++) {
        char *w = kept(strdup(fmt("%s'%s' sweep --run-one=%zu --out='%s'\n", want, GCBENCH_BIN, i,
                                  out)));
        want = w;
    }
    cr_assert_str_eq(jobs, want);
    char *sb = read_file(fmt("%s/sweep.sbatch", out));
    cr_assert_not_null(sb);
    cr_assert(strstr(sb, "#SBATCH --array=1-12\n") != NULL, "%s", sb);
    cr_assert(strstr(sb, fmt("#SBATCH --output=\"%s/slurm/%%A_%%a.out\"\n", out)) != NULL, "%s",
              sb);
    cr_assert(strstr(sb, fmt("exec '%s' sweep --run-one=\"$SLURM_ARRAY_TASK_ID\" --out='%s'\n",
                             GCBENCH_BIN, out)) != NULL,
              "%s", sb);
    cr_assert(exists(fmt("%s/slurm", out)), "Slurm does not create the output directory");
    /* params.json. */
    json_error_t je;
    json_t *p = json_load_file(fmt("%s/params.json", out), 0, &je);
    cr_assert_not_null(p, "params.json: %s", je.text);
    char *dump = json_dumps(p, JSON_COMPACT);
    cr_assert_str_eq(dump, fmt("{\"gcbench\":\"%s\",\"collectors\":[\"marksweep\",\"copying\"],"
                               "\"workloads\":[\"trees\"],\"size\":\"small\",\"multiples\":[1.5,3],"
                               "\"invocations\":3,\"base\":\"smallest\",\"baselines\":[],"
                               "\"baseline\":\"marksweep\",\"seed\":5,\"resolution_bytes\":65536,"
                               "\"extra_args\":[]}",
                               GCBENCH_BIN));
    free(dump);
    json_decref(p);
    /* The same seed gives the same plan; another seed another order of the
     * same invocations. */
    char *plan5 = read_file(fmt("%s/plan.tsv", out));
    cr_assert_eq(sh("cp '%s/plan.tsv' '%s/plan5'", out, t), 0);
    r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=1.5,3", "--invocations=3",
              "--baselines=none", "--plan-only", "--seed=5", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(read_file(fmt("%s/plan.tsv", out)), plan5);
    r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=1.5,3", "--invocations=3",
              "--baselines=none", "--plan-only", "--seed=6", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_neq(read_file(fmt("%s/plan.tsv", out)), plan5);
    /* The index column aside, the same lines. */
    cr_assert_eq(sh("cut -f2- '%s/plan.tsv' | sort >'%s/a' && cut -f2- '%s/plan5' | sort >'%s/b' "
                    "&& cmp -s '%s/a' '%s/b'",
                    out, t, t, t, t, t),
                 0, "another seed, the same invocations");
}

/* Peers join the plan for trees when built (build/peers/), as peer lines. */
Test(sweep, peers_in_plan)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    const char *peers = GCBENCH_BINARY_DIR "/peers";
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2", "--invocations=2",
                         fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    plan_line v[64];
    size_t n = load_plan(out, v, 64), npeer = 0;
    const char *names[] = {"bdw", "jemalloc", "mimalloc"};
    size_t built = 0;
    for (int i = 0; i < 3; i++) {
        bool b = access(fmt("%s/%s_gcbench", peers, names[i]), X_OK) == 0;
        built += b;
        if (!b)
            cr_assert(strstr(r.err, fmt("baseline peer %s is not built", names[i])) != NULL, "%s",
                      r.err);
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].kind, "peer") != 0)
            continue;
        npeer++;
        cr_assert(strncmp(v[i].spec, "peer:", 5) == 0);
        cr_assert_str_eq(v[i].mult, "-");
        cr_assert_str_eq(v[i].heap, "-");
        cr_assert_str_eq(v[i].point, fmt("peer-%s.trees.small", v[i].spec + 5));
        /* Its run directory: the peer's stdout, stderr, exit 0. */
        cr_assert_eq(exit_of(out, v[i].run_dir), 0, "%s", v[i].run_dir);
        char *so = read_file(fmt("%s/%s/stdout", out, v[i].run_dir));
        cr_assert(so && strstr(so, "wall_ns ") && strstr(so, "verified 1"), "%s", so);
    }
    cr_assert_eq(npeer, built * 2);
    cr_assert_eq(n, 2 + built * 2);
    /* Other workloads have no peers. */
    r = SWEEP(t, "--workloads=alloc", "--size=small", "--collectors=marksweep", "--multiples=2",
              "--invocations=1", "--plan-only", fmt("--out=%s/o2", t));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(load_plan(fmt("%s/o2", t), v, 64), 1);
}

/* Exit 3 is a gap: a multiple below 1 does not fit; the sweep still
 * succeeds. Progress off a terminal: a plain line per invocation and a
 * final line, no carriage returns or escapes. */
Test(sweep, gaps_and_plain_progress)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=0.5,2",
                         "--invocations=2", "--baselines=none", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "gaps are not failures: %s", r.err);
    plan_line v[64];
    size_t n = load_plan(out, v, 64), gaps = 0;
    cr_assert_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        int st = exit_of(out, v[i].run_dir);
        if (strcmp(v[i].mult, "0.5") == 0) {
            cr_assert_eq(st, 3, "%s", v[i].run_dir);
            gaps++;
            cr_assert(!exists(fmt("%s/%s/summary.json", out, v[i].run_dir)));
            char *e = read_file(fmt("%s/%s/stderr", out, v[i].run_dir));
            cr_assert(e && strstr(e, "heap exhausted"), "the child's stderr is kept: %s", e);
        } else {
            cr_assert_eq(st, 0, "%s", v[i].run_dir);
            cr_assert(exists(fmt("%s/%s/summary.json", out, v[i].run_dir)));
        }
        /* One progress line per invocation, in completion order. */
        cr_assert(strstr(r.err, fmt("sweep: [%zu/8] %s: %s", i + 1, v[i].run_dir,
                                    st == 3 ? "gap" : "ok")) != NULL,
                  "line %zu: %s", i + 1, r.err);
    }
    cr_assert_eq(gaps, 4);
    cr_assert_eq(count_lines(r.err, "sweep: ["), 8, "%s", r.err);
    cr_assert(strstr(r.err, "sweep: ran 8 invocations in ") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "4 ok, 4 gaps, 0 failed") != NULL, "%s", r.err);
    cr_assert(strchr(r.err, '\r') == NULL && strchr(r.err, '\033') == NULL, "%s", r.err);
    cr_assert(exists(fmt("%s/sweep.csv", out)) && exists(fmt("%s/sweep.json", out)));
}

/* A failing child (exit 4) is reported with its stderr, and the sweep runs
 * every other invocation and exits 1. */
Test(sweep, failures_reported_sweep_goes_on)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep,copying", "--multiples=2,3",
                         "--invocations=2", "--baselines=none", fmt("--out=%s", out), "--",
                         "--debug-corrupt=1");
    cr_assert_eq(r.status, 1, "%s", r.err);
    plan_line v[64];
    size_t n = load_plan(out, v, 64);
    cr_assert_eq(n, 8);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(exit_of(out, v[i].run_dir), 4, "%s", v[i].run_dir);
        cr_assert(strstr(r.err, fmt("sweep: [%zu/8] %s: FAILED (exit 4): gcbench: verification "
                                    "FAILED",
                                    i + 1, v[i].run_dir)) != NULL,
                  "%s", r.err);
    }
    cr_assert(strstr(r.err, "0 ok, 0 gaps, 8 failed") != NULL, "%s", r.err);
    /* The minimum heaps were searched without the extra arguments. */
    cr_assert_gt(min_heap_of(out, "marksweep", NULL), 0);
    json_t *p = json_load_file(fmt("%s/params.json", out), 0, NULL);
    cr_assert_not_null(p);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "extra_args"), 0)),
                     "--debug-corrupt=1");
    json_decref(p);
}

/* SIGTERM after the first completed invocation: exit 143, DIR consistent
 * (every `exit` belongs to a complete run, the killed one has none), and
 * --resume runs exactly the rest, each once. */
Test(sweep, resume_after_kill)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/o u't \"x\"", t)));
    /* --stress/--verify make each run take a while (the search runs without
     * them, so it stays quick). */
    const char *const args[] = {SMALL,
                                "--collectors=marksweep",
                                "--multiples=2,3",
                                "--invocations=4",
                                "--baselines=none",
                                fmt("--out=%s", out),
                                "--",
                                "--stress=100",
                                "--verify",
                                NULL};
    pid_t pid = start_sweep(t, args);
    struct timespec ts = {0, 2 * 1000 * 1000};
    bool first = false;
    for (int i = 0; i < 30000 && !first; i++) {
        first = any_exit(out);
        if (!first)
            nanosleep(&ts, NULL);
    }
    cr_assert(first, "no invocation completed");
    kill(pid, SIGTERM);
    run_result r = finish_sweep(t, pid);
    cr_assert_eq(r.status, 143, "%s", r.err);
    cr_assert(strstr(r.err, "is consistent") && strstr(r.err, "--resume"), "%s", r.err);
    plan_line v[64];
    size_t n = load_plan(out, v, 64), complete = 0;
    cr_assert_eq(n, 8);
    struct stat before[8];
    memset(before, 0, sizeof before);
    for (size_t i = 0; i < n; i++) {
        int st = exit_of(out, v[i].run_dir);
        if (st >= 0) {
            cr_assert_eq(st, 0, "%s", v[i].run_dir);
            cr_assert(exists(fmt("%s/%s/summary.json", out, v[i].run_dir)));
            cr_assert_eq(stat(fmt("%s/%s/exit", out, v[i].run_dir), &before[i]), 0);
            complete++;
        }
        cr_assert(!exists(fmt("%s/%s/exit.tmp", out, v[i].run_dir)));
    }
    cr_assert_geq(complete, 1);
    cr_assert_lt(complete, 8, "the sweep finished before the kill: make the runs slower");
    /* A different sweep may not start here, nor a resume with other
     * parameters. */
    run_result r2 = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2,3",
                          "--invocations=5", "--baselines=none", "--resume", fmt("--out=%s", out),
                          "--", "--stress=100", "--verify");
    cr_assert_eq(r2.status, 2, "%s", r2.err);
    cr_assert(strstr(r2.err, "invocations: 4 in params.json, 5 now") != NULL, "%s", r2.err);
    r2 = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2,3", "--invocations=4",
               "--baselines=none", fmt("--out=%s", out), "--", "--stress=100", "--verify");
    cr_assert_eq(r2.status, 2, "%s", r2.err);
    cr_assert(strstr(r2.err, "already holds results") != NULL, "%s", r2.err);
    /* Resume. */
    r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2,3", "--invocations=4",
              "--baselines=none", "--resume", fmt("--out=%s", out), "--", "--stress=100",
              "--verify");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_lines(r.err, "sweep: ["), 8 - complete, "each incomplete one once: %s",
                 r.err);
    cr_assert(strstr(r.err, fmt("sweep: %zu of 8 invocations already complete", complete)), "%s",
              r.err);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(exit_of(out, v[i].run_dir), 0, "%s", v[i].run_dir);
        if (before[i].st_ino == 0)
            continue;
        /* Complete before: not run again. */
        struct stat now;
        cr_assert_eq(stat(fmt("%s/%s/exit", out, v[i].run_dir), &now), 0);
        cr_assert(now.st_ino == before[i].st_ino && now.st_mtim.tv_sec == before[i].st_mtim.tv_sec &&
                      now.st_mtim.tv_nsec == before[i].st_mtim.tv_nsec,
                  "%s ran again", v[i].run_dir);
        cr_assert(strstr(r.err, fmt("] %s:", v[i].run_dir)) == NULL, "%s ran again: %s",
                  v[i].run_dir, r.err);
    }
}

/* Peers come from peers/ next to the gcbench that runs: fake ones here.
 * A child killed by a signal the sweep did not send is a failure with
 * status 128+S; a child that cannot be started leaves its invocation
 * incomplete and the sweep (or --run-one) exits 1. */
Test(sweep, peer_outcomes)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    cr_assert_eq(sh("mkdir -p '%s/bin/peers' && cp '%s' '%s/bin/gcbench'", t, GCBENCH_BIN, t), 0);
    write_script(fmt("%s/bin/peers/bdw_gcbench", t), "kill -KILL $$\n");
    write_script(fmt("%s/bin/peers/jemalloc_gcbench", t),
                 "printf 'wall_ns 1000\\ngc_count 0\\nheap_bytes 0\\nverified 1\\n'\n"
                 "echo \"size $1\" >&2\n");
    write_script(fmt("%s/bin/peers/mimalloc_gcbench", t),
                 "echo 'peer_gcbench: check failed' >&2\nexit 4\n");
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2", "--invocations=1",
                         fmt("--gcbench=%s/bin/gcbench", t), fmt("--out=%s", out));
    cr_assert_eq(r.status, 1, "%s", r.err);
    plan_line v[8];
    size_t n = load_plan(out, v, 8);
    cr_assert_eq(n, 4);
    size_t jem = 0;
    for (size_t i = 0; i < n; i++) {
        int st = exit_of(out, v[i].run_dir);
        if (strcmp(v[i].spec, "peer:bdw") == 0) {
            cr_assert_eq(st, 128 + SIGKILL);
            cr_assert(strstr(r.err, fmt("%s: FAILED (exit 137, signal 9)", v[i].run_dir)), "%s",
                      r.err);
        } else if (strcmp(v[i].spec, "peer:jemalloc") == 0) {
            cr_assert_eq(st, 0);
            cr_assert_str_eq(read_file(fmt("%s/%s/stderr", out, v[i].run_dir)), "size small\n");
            cr_assert(strstr(read_file(fmt("%s/%s/stdout", out, v[i].run_dir)), "wall_ns 1000"));
            jem = i;
        } else if (strcmp(v[i].spec, "peer:mimalloc") == 0) {
            cr_assert_eq(st, 4);
            cr_assert(strstr(r.err, fmt("%s: FAILED (exit 4): peer_gcbench: check failed",
                                        v[i].run_dir)),
                      "%s", r.err);
        } else {
            cr_assert_eq(st, 0);
        }
    }
    /* The jemalloc peer disappears: its invocation cannot be run. */
    cr_assert_eq(sh("rm '%s/bin/peers/jemalloc_gcbench' '%s/%s/exit'", t, out, v[jem].run_dir), 0);
    r = SWEEP(t, fmt("--run-one=%u", v[jem].index), fmt("--out=%s", out));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "cannot run") != NULL, "%s", r.err);
    cr_assert_eq(exit_of(out, v[jem].run_dir), -1, "no exit for an invocation that never ran");
    r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2", "--invocations=1",
              fmt("--gcbench=%s/bin/gcbench", t), fmt("--out=%s", out), "--resume");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "cannot run") != NULL, "%s", r.err);
    cr_assert_eq(exit_of(out, v[jem].run_dir), -1);
}

/* --run-one: a complete invocation is left alone; an incomplete one is
 * emptied and run; bad indices and directories are exit 2. The jobs.txt
 * lines work through a shell with an odd directory name. */
Test(sweep, run_one)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/d 'q' \"dq\" $x", t)));
    run_result r = SWEEP(t, SMALL, "--collectors=marksweep", "--multiples=2,3",
                         "--invocations=1", "--baselines=none", "--plan-only",
                         fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    plan_line v[8];
    cr_assert_eq(load_plan(out, v, 8), 2);
    /* Line 1 of jobs.txt through sh: runs invocation 1. */
    char *jobs = read_file(fmt("%s/jobs.txt", out));
    char *nl = strchr(jobs, '\n');
    *nl = '\0';
    cr_assert_eq(sh("%s 2>'%s/e1'", jobs, t), 0, "%s", read_file(fmt("%s/e1", t)));
    cr_assert_eq(exit_of(out, v[0].run_dir), 0);
    cr_assert_eq(exit_of(out, v[1].run_dir), -1, "only line 1 ran");
    struct stat a, b, sa, sb;
    cr_assert_eq(stat(fmt("%s/%s/exit", out, v[0].run_dir), &a), 0);
    cr_assert_eq(stat(fmt("%s/%s/summary.json", out, v[0].run_dir), &sa), 0);
    /* Again: a no-op. */
    r = SWEEP(t, "--run-one=1", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "already complete") != NULL, "%s", r.err);
    cr_assert_eq(stat(fmt("%s/%s/exit", out, v[0].run_dir), &b), 0);
    cr_assert_eq(stat(fmt("%s/%s/summary.json", out, v[0].run_dir), &sb), 0);
    cr_assert(a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
                  a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && sa.st_ino == sb.st_ino,
              "a complete invocation was touched");
    /* An incomplete one (no exit, leftovers) is emptied and run. */
    cr_assert_eq(sh("mkdir -p '%s/%s' && echo junk >'%s/%s/junk'", out, v[1].run_dir, out,
                    v[1].run_dir),
                 0);
    r = SWEEP(t, "--run-one=2", fmt("--out=%s", out));
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(exit_of(out, v[1].run_dir), 0);
    cr_assert(!exists(fmt("%s/%s/junk", out, v[1].run_dir)));
    /* Incomplete again, for --collect below. */
    cr_assert_eq(unlink(fmt("%s/%s/exit", out, v[1].run_dir)), 0);
    /* Bad index, bad directory, other options. */
    r = SWEEP(t, "--run-one=3", fmt("--out=%s", out));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "has 2 invocations") != NULL, "%s", r.err);
    r = SWEEP(t, "--run-one=0", fmt("--out=%s", out));
    cr_assert_eq(r.status, 2, "%s", r.err);
    r = SWEEP(t, "--run-one=1", fmt("--out=%s/none", t));
    cr_assert_eq(r.status, 2, "%s", r.err);
    r = SWEEP(t, "--run-one=1", fmt("--out=%s", t));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "not a sweep directory") != NULL, "%s", r.err);
    r = SWEEP(t, "--run-one=1", "--collectors=copying", fmt("--out=%s", out));
    cr_assert_eq(r.status, 2, "%s", r.err);
    /* --collect aggregates what is there: one invocation missing -> 1. */
    r = SWEEP(t, "--collect", out);
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "1 missing") != NULL, "%s", r.err);
    cr_assert(exists(fmt("%s/sweep.csv", out)));
    r = SWEEP(t, "--collect", fmt("%s/none", t));
    cr_assert_eq(r.status, 2, "%s", r.err);
}

/* Bad input: a clear message naming the culprit, exit 2, nothing written. */
Test(sweep, bad_input)
{
    char *t = make_tmpdir(), *out = kept(strdup(fmt("%s/out", t)));
    struct {
        const char *arg, *msg;
    } cases[] = {
        {"--collectors=marksweep,nosuch", "unknown collector 'nosuch'"},
        {"--collectors=marksweep,generational:bogus=1", "unknown option 'bogus'"},
        {"--collectors=nursery=1M", "no spec with options comes before it"},
        {"--multiples=", "--multiples is empty"},
        {"--multiples=1.5,0", "must be positive"},
        {"--multiples=1.5,x", "invalid heap multiple 'x'"},
        {"--multiples=-2", "invalid heap multiple '-2'"},
        {"--invocations=0", "invalid --invocations '0'"},
        {"--workloads=trees,nosuch", "unknown workload 'nosuch'"},
        {"--workloads=program", "does not support"},
        {"--baselines=bdw,nosuch", "unknown baseline 'nosuch'"},
        {"--baseline=copying", "--baseline 'copying' is not one of"},
        {"--size=huge", "invalid --size 'huge'"},
        {"--base=biggest", "invalid --base 'biggest'"},
        {"--resolution=0", "invalid --resolution '0'"},
        {"--jobs=0", "invalid --jobs '0'"},
        {"--gcbench=/nonexistent/gcbench", "is not an executable file"},
        {"--bogus", "unrecognized option '--bogus'"},
        {"stray", "unexpected argument 'stray'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool own_list = strncmp(cases[i].arg, "--collectors=", 13) == 0;
        run_result r = SWEEP(t, own_list ? cases[i].arg : "--collectors=marksweep", "--size=small",
                             cases[i].arg, fmt("--out=%s", out));
        cr_assert_eq(r.status, 2, "%s: %s", cases[i].arg, r.err);
        cr_assert(strstr(r.err, "gcbench: sweep: ") == r.err, "%s: %s", cases[i].arg, r.err);
        cr_assert(strstr(r.err, cases[i].msg) != NULL, "%s: %s", cases[i].arg, r.err);
        cr_assert(!exists(out), "%s: DIR created for bad input", cases[i].arg);
    }
    /* Extra gcbench arguments: checked by gcbench's parser; the ones the
     * sweep sets are refused. */
    const char *extra[][2] = {{"--heap=1M", "--heap is set by the sweep"},
                              {"--nursery=1M", "belong in the collector spec"},
                              {"--collector=copying", "--collector is set by the sweep"},
                              {"--seed=3", "--seed is set by the sweep"},
                              {"--out=x", "--out is set by the sweep"},
                              {"--bogus", "unrecognized option '--bogus'"},
                              {"--stress=0", "invalid stress interval"}};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        run_result r = SWEEP(t, "--collectors=marksweep", fmt("--out=%s", out), "--", extra[i][0]);
        cr_assert_eq(r.status, 2, "%s: %s", extra[i][0], r.err);
        cr_assert(strstr(r.err, extra[i][1]) != NULL, "%s: %s", extra[i][0], r.err);
    }
    /* A directory that cannot be created or written. */
    run_result r = SWEEP(t, "--collectors=marksweep", "--size=small",
                         fmt("--out=%s/stdout.txt/sub", t));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "cannot create the sweep directory") != NULL, "%s", r.err);
    r = SWEEP(t, "--collectors=marksweep", "--size=small", "--out=/proc");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "is not writable") != NULL, "%s", r.err);
    if (geteuid() != 0) {
        cr_assert_eq(sh("mkdir '%s/ro' && chmod 555 '%s/ro'", t, t), 0);
        r = SWEEP(t, "--collectors=marksweep", "--size=small", fmt("--out=%s/ro", t));
        cr_assert_eq(r.status, 2, "%s", r.err);
        cr_assert(strstr(r.err, "is not writable") != NULL, "%s", r.err);
        sh("chmod 755 '%s/ro'", t);
    }
    /* Nothing to resume. */
    cr_assert_eq(sh("mkdir '%s/empty'", t), 0);
    r = SWEEP(t, "--resume", fmt("--out=%s/empty", t));
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "not a sweep directory") != NULL, "%s", r.err);
    /* Help. */
    r = SWEEP(t, "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: gcbench sweep") != NULL, "%s", r.out);
}
