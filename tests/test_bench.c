/* tests/test_bench.c — the gcbench executable: option parsing, sizes,
 * statistics, formatting and writers (unit tests against gcbench_bench), and
 * end-to-end runs of the built binary (GCBENCH_BIN) checking exit codes,
 * stdout, stderr and the run directory. */
#include <criterion/criterion.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/cli.h"
#include "core/collector.h"
#include "collectors/registry.h"
#include "bench/gcbench.h"
#include "bench/json.h"
#include "bench/jsonread.h"
#include "bench/mmu.h"
#include "bench/compare.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "bench/stats.h"
#include "core/threads.h"
#include "shell.h"

extern char **environ;

/* Test scratch memory. The helpers below allocate freely and the tests do
 * not free what they inspect; every block is tracked here and released when
 * the test process exits, so LeakSanitizer reports only leaks of the code
 * under test. */
static void **tb_blocks;
static size_t tb_count, tb_cap;

static void *tb_track(void *p)
{
    if (!p)
        return NULL;
    if (tb_count == tb_cap) {
        tb_cap = tb_cap ? tb_cap * 2 : 64;
        void **nb = realloc(tb_blocks, tb_cap * sizeof *nb);
        if (!nb)
            abort();
        tb_blocks = nb;
    }
    tb_blocks[tb_count++] = p;
    return p;
}
static void tb_untrack(void *p)
{
    for (size_t i = tb_count; i-- > 0;)
        if (tb_blocks[i] == p) {
            tb_blocks[i] = tb_blocks[--tb_count];
            return;
        }
}
static void *tb_malloc(size_t n) { return tb_track(malloc(n)); }
static void *tb_realloc(void *p, size_t n)
{
    if (p)
        tb_untrack(p);
    void *q = realloc(p, n);
    if (!q && p)
        tb_track(p); /* still owned by the caller */
    return q ? tb_track(q) : NULL;
}
static char *tb_strdup(const char *s) { return tb_track(strdup(s)); }
static void tb_free(void *p)
{
    if (p)
        tb_untrack(p);
    free(p);
}
__attribute__((destructor)) static void tb_release_all(void)
{
    for (size_t i = 0; i < tb_count; i++)
        free(tb_blocks[i]);
    free(tb_blocks);
    tb_blocks = NULL;
    tb_count = tb_cap = 0;
}
#define malloc tb_malloc
#define realloc tb_realloc
#define strdup tb_strdup
#define free tb_free

/* ======================================================================== */
/* helpers                                                                  */
/* ======================================================================== */

/* Parses a NULL-terminated argument list (without argv[0]); the strings are
 * copied because getopt_long permutes argv. */
static int parse(gcb_options *o, char *err, size_t errlen, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = strdup("gcbench");
    va_list ap;
    va_start(ap, errlen);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    int rc = gcb_parse_args(argc, argv, o, err, errlen);
    /* o may point into argv: keep the copies alive (tests are short). */
    return rc;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Temporary directories made by this test (each test runs in its own
 * process), removed by the suites' fini. */
#include "tmpdir.h"

TestSuite(files, .fini = remove_tmpdirs);
TestSuite(e2e, .fini = remove_tmpdirs);
TestSuite(runner, .fini = remove_tmpdirs);

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

typedef struct run_result {
    int status; /* exit code, or 128 + signal */
    char *out;
    char *err;
} run_result;

/* Runs GCBENCH_BIN with the NULL-terminated arguments, stdout and stderr
 * captured in files under dir. */
static run_result run_gcbench(const char *dir, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)GCBENCH_BIN;
    va_list ap;
    va_start(ap, dir);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    char *outp = path_join(dir, "stdout.txt"), *errp = path_join(dir, "stderr.txt");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, GCBENCH_BIN, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "posix_spawn %s: %s", GCBENCH_BIN, strerror(rc));
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));

    run_result r;
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = read_file(outp);
    r.err = read_file(errp);
    cr_assert_not_null(r.out);
    cr_assert_not_null(r.err);
    free(outp);
    free(errp);
    return r;
}

/* ---- JSON: reading it back with jansson (bench/jsonread.c) ---- */

/* Parsed documents, freed at exit like the scratch memory above. */
static gcb_jdoc *tb_docs;
static size_t tb_ndocs, tb_capdocs;

__attribute__((destructor)) static void tb_free_docs(void)
{
    for (size_t i = 0; i < tb_ndocs; i++)
        gcb_jdoc_free(&tb_docs[i]);
    free(tb_docs);
    tb_docs = NULL;
    tb_ndocs = tb_capdocs = 0;
}

/* Parses a complete document; NULL (and the reason logged) if it is not
 * valid JSON. */
static const json_t *jparse(const char *text)
{
    char err[256];
    gcb_jdoc d;
    if (gcb_jdoc_parse(&d, text, strlen(text), err, sizeof err) != 0) {
        cr_log_error("invalid JSON: %s", err);
        return NULL;
    }
    if (tb_ndocs == tb_capdocs) {
        tb_capdocs = tb_capdocs ? 2 * tb_capdocs : 16;
        tb_docs = realloc(tb_docs, tb_capdocs * sizeof *tb_docs);
        if (tb_docs == NULL)
            abort();
    }
    tb_docs[tb_ndocs++] = d;
    return d.root;
}

/* The parsed document v belongs to (for its exact big integers), or NULL. */
static const gcb_jdoc *jdoc_of(const json_t *v)
{
    uint64_t u;
    for (size_t i = 0; i < tb_ndocs; i++)
        if (gcb_jdoc_u64(&tb_docs[i], v, &u) == 0 && !json_is_integer(v))
            return &tb_docs[i];
    return NULL;
}

/* Accessors that fail the test on a value of the wrong type (where the
 * old reader's fields would have held garbage or crashed). */
#define jget(v, key) json_object_get((v), (key))
static double jnum(const json_t *v)
{
    cr_assert(json_is_number(v), "not a number (type %d)", v ? (int)json_typeof(v) : -1);
    return gcb_jdoc_number(jdoc_of(v), v);
}
static const char *jstr(const json_t *v)
{
    cr_assert(json_is_string(v), "not a string (type %d)", v ? (int)json_typeof(v) : -1);
    return json_string_value(v);
}
/* Items of an array or members of an object. */
static size_t jlen(const json_t *v)
{
    cr_assert(json_is_array(v) || json_is_object(v), "not an array or object");
    return json_is_array(v) ? json_array_size(v) : json_object_size(v);
}
/* Item i of an array, or the value of member i (in document order) of an
 * object. */
static const json_t *jitem(const json_t *v, size_t i)
{
    if (json_is_array(v))
        return json_array_get(v, i);
    cr_assert(json_is_object(v) && i < json_object_size(v), "no member %zu", i);
    const char *key;
    json_t *m;
    size_t k = 0;
    json_object_foreach((json_t *)v, key, m)
        if (k++ == i)
            return m;
    return NULL;
}
static const char *jkey(const json_t *v, size_t i)
{
    cr_assert(json_is_object(v) && i < json_object_size(v), "no member %zu", i);
    const char *key;
    json_t *m;
    size_t k = 0;
    json_object_foreach((json_t *)v, key, m)
        if (k++ == i)
            return key;
    return NULL;
}
/* An exact non-negative integer (bench/jsonread.h: gcb_jdoc_u64). */
static int ju64(const json_t *v, uint64_t *out)
{
    return gcb_jdoc_u64(jdoc_of(v), v, out);
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

/* ======================================================================== */
/* sizes and numbers                                                        */
/* ======================================================================== */

Test(size, good)
{
    struct { const char *s; size_t v; } cases[] = {
        {"64M", (size_t)64 << 20},   {"64m", (size_t)64 << 20}, {"512k", 512 << 10},
        {"512K", 512 << 10},         {"1G", (size_t)1 << 30},   {"1g", (size_t)1 << 30},
        {"1048576", 1048576},        {"1", 1},                  {"64MB", (size_t)64 << 20},
        {"64mb", (size_t)64 << 20},  {"64MiB", (size_t)64 << 20}, {"2kib", 2048},
        {"100B", 100},               {"100b", 100},             {"0064K", 64 << 10},
        {"16G", (size_t)16 << 30},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t v = 0;
        cr_assert_eq(gcb_parse_size(cases[i].s, &v), 0, "'%s' should parse", cases[i].s);
        cr_assert_eq(v, cases[i].v, "'%s' -> %zu, expected %zu", cases[i].s, v, cases[i].v);
    }
}

Test(size, bad)
{
    const char *bad[] = {"",     "0",    "0K",   "-1",   "-64M", "+64M",  "12Q", "M",
                         "64 M", " 64M", "64M ", "1.5G", "64MM", "64KG",  "64iB", "64Mi",
                         "64BB", "0x10", "abc",  "1T",   "64MiBx",
                         "18446744073709551616",        /* 2^64 */
                         "99999999999999999999999",     /* way over */
                         "17179869184G",                /* 2^34 G = 2^64 bytes */
                         "18446744073709551615K"};      /* overflows on shift */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t v = 12345;
        cr_assert_neq(gcb_parse_size(bad[i], &v), 0, "'%s' should be rejected", bad[i]);
        cr_assert_eq(v, 12345, "'%s': output written on failure", bad[i]);
    }
    size_t v;
    cr_assert_neq(gcb_parse_size(NULL, &v), 0);
}

Test(size, largest)
{
    size_t v;
    cr_assert_eq(gcb_parse_size("18446744073709551615", &v), 0);
    cr_assert_eq(v, SIZE_MAX);
    cr_assert_eq(gcb_parse_size("17179869183G", &v), 0);
    cr_assert_eq(v, (size_t)17179869183u << 30);
}

Test(u64, parse)
{
    uint64_t v;
    cr_assert_eq(gcb_parse_u64("0", &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(gcb_parse_u64("18446744073709551615", &v), 0);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_neq(gcb_parse_u64("18446744073709551616", &v), 0);
    cr_assert_neq(gcb_parse_u64("-1", &v), 0);
    cr_assert_neq(gcb_parse_u64("", &v), 0);
    cr_assert_neq(gcb_parse_u64("12x", &v), 0);
    cr_assert_neq(gcb_parse_u64(" 1", &v), 0);
}

/* ======================================================================== */
/* option parsing                                                           */
/* ======================================================================== */

Test(options, defaults)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, NULL), 0, "%s", err);
    cr_assert_eq(o.action, GCB_ACTION_RUN);
    cr_assert_str_eq(o.collector, "marksweep");
    cr_assert_str_eq(o.workload, "trees");
    cr_assert_eq(o.heap_limit, GC_DEFAULT_HEAP_LIMIT);
    cr_assert_eq(o.size, WL_SIZE_DEFAULT);
    cr_assert_eq(o.seed, 1);
    cr_assert_null(o.out_dir);
    cr_assert_not(o.verify);
    cr_assert_eq(o.stress, 0);
    cr_assert_not(o.quiet);
    cr_assert_not(o.log_gc);
    cr_assert_str_eq(o.gc_options, "");
    cr_assert_eq(o.debug_corrupt, 0);
    cr_assert_null(o.program);
    cr_assert_eq(o.threads, 1);
}

/* --threads: 1..GCB_MAX_THREADS mutator threads, in either form; anything
 * else is a usage error naming the value (issue 14). */
Test(options, threads)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(GCB_MAX_THREADS, 256);
    cr_assert_eq(parse(&o, err, sizeof err, "--threads=4", NULL), 0, "%s", err);
    cr_assert_eq(o.threads, 4);
    cr_assert_eq(parse(&o, err, sizeof err, "--threads", "256", NULL), 0, "%s", err);
    cr_assert_eq(o.threads, 256);
    cr_assert_eq(parse(&o, err, sizeof err, "--threads=1", "--threads=2", NULL), 0, "%s", err);
    cr_assert_eq(o.threads, 2, "the last one wins");
    static const char *const bad[] = {"--threads=0",    "--threads=257", "--threads=-1",
                                      "--threads=two",  "--threads=",    "--threads=1.5",
                                      "--threads=2x",   "--threads= 2",  "--threads=+2",
                                      "--threads=4294967298", "--threads=99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(parse(&o, err, sizeof err, bad[i], NULL), GCB_EXIT_USAGE, "%s accepted",
                     bad[i]);
        char want[96];
        snprintf(want, sizeof want, "invalid thread count '%s'", bad[i] + strlen("--threads="));
        cr_assert(strstr(err, want) != NULL, "%s: %s", bad[i], err);
        cr_assert(strstr(err, "from 1 to 256") != NULL, "%s: %s", bad[i], err);
    }
    cr_assert_eq(parse(&o, err, sizeof err, "--threads", NULL), GCB_EXIT_USAGE);
    cr_assert(strstr(err, "'--threads' requires an argument") != NULL, "%s", err);
}

Test(options, new_switches)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, "--log-gc", "--rc-cycles=off", "--nursery=4M",
                       "--debug-corrupt=3", NULL),
                 0, "%s", err);
    cr_assert(o.log_gc);
    /* --rc-cycles and --nursery are aliases: they add collector options. */
    cr_assert_str_eq(o.gc_options, "cycles=off,nursery=4M");
    cr_assert_eq(o.debug_corrupt, 3);
    cr_assert_eq(parse(&o, err, sizeof err, "--rc-cycles", "on", NULL), 0, "%s", err);
    cr_assert_str_eq(o.gc_options, "cycles=on");

    cr_assert_eq(parse(&o, err, sizeof err, "--program=x.gca", NULL), 0, "%s", err);
    cr_assert_str_eq(o.program, "x.gca");
    cr_assert_str_eq(o.workload, GCB_PROGRAM_WORKLOAD);
}

/* Collector options: NAME:OPTIONS, --gc-options and the aliases make one
 * string, the spec's options first, the rest in command-line order. */
Test(options, collector_options)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, "--collector=generational:nursery=1M", NULL), 0, "%s",
                 err);
    cr_assert_str_eq(o.collector, "generational");
    cr_assert_str_eq(o.gc_options, "nursery=1M");
    cr_assert_eq(parse(&o, err, sizeof err, "--gc-options=a=1,b=2", "--collector", "x:n=1",
                       "--nursery=2M", "--gc-options", "c=on", NULL),
                 0, "%s", err);
    cr_assert_str_eq(o.collector, "x");
    cr_assert_str_eq(o.gc_options, "n=1,a=1,b=2,nursery=2M,c=on");
    /* The last --collector brings its own options (or none). */
    cr_assert_eq(parse(&o, err, sizeof err, "--collector=x:n=1", "--collector=y", NULL), 0);
    cr_assert_str_eq(o.collector, "y");
    cr_assert_str_eq(o.gc_options, "");
    cr_assert_eq(parse(&o, err, sizeof err, "--collector=x:", "--gc-options=", NULL), 0);
    cr_assert_str_eq(o.collector, "x");
    cr_assert_str_eq(o.gc_options, "");
    /* --nursery's value in core's syntax, exactly. */
    const char *const sizes[][2] = {{"4MiB", "nursery=4M"},   {"1536k", "nursery=1536K"},
                                    {"1000", "nursery=1000"}, {"2G", "nursery=2G"},
                                    {"3072M", "nursery=3G"},  {"1048577", "nursery=1048577"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char arg[64];
        snprintf(arg, sizeof arg, "--nursery=%s", sizes[i][0]);
        cr_assert_eq(parse(&o, err, sizeof err, arg, NULL), 0, "%s", err);
        cr_assert_str_eq(o.gc_options, sizes[i][1], "%s", arg);
    }
    /* Whether the options exist is the runner's business (it knows the
     * collectors); the parser takes any text. */
    cr_assert_eq(parse(&o, err, sizeof err, "--gc-options=whatever", NULL), 0);
    cr_assert_str_eq(o.gc_options, "whatever");
    /* Too long for the option string: a usage error, never truncated. */
    char big[GCB_GC_OPTIONS_MAX + 16];
    snprintf(big, sizeof big, "--gc-options=%0*d", GCB_GC_OPTIONS_MAX - 20, 0);
    cr_assert_eq(parse(&o, err, sizeof err, big, NULL), 0, "%s", err);
    cr_assert_eq(parse(&o, err, sizeof err, big, "--nursery=1M", "--rc-cycles=off", NULL),
                 GCB_EXIT_USAGE);
    cr_assert(strstr(err, "too long") != NULL, "%s", err);
}

Test(options, large_size_default_heap)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, "--size=large", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, GCB_DEFAULT_LARGE_HEAP_LIMIT);
    cr_assert_eq(GCB_DEFAULT_LARGE_HEAP_LIMIT, (size_t)256 << 20);
    /* An explicit --heap wins, before or after --size. */
    cr_assert_eq(parse(&o, err, sizeof err, "--heap=100M", "--size=large", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, (size_t)100 << 20);
    cr_assert_eq(parse(&o, err, sizeof err, "--size=large", "--heap=64M", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, (size_t)64 << 20);
    /* --size=small without --heap: a heap small enough that runs collect. */
    cr_assert_eq(parse(&o, err, sizeof err, "--size=small", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, GCB_DEFAULT_SMALL_HEAP_LIMIT);
    cr_assert_eq(GCB_DEFAULT_SMALL_HEAP_LIMIT, (size_t)4 << 20);
    cr_assert_eq(parse(&o, err, sizeof err, "--heap=64M", "--size=small", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, (size_t)64 << 20);
    cr_assert_eq(parse(&o, err, sizeof err, "--size=small", "--heap=1M", NULL), 0, "%s", err);
    cr_assert_eq(o.heap_limit, (size_t)1 << 20);
}

/* --max-steps: a positive instruction count for --program; a default
 * otherwise (issue 13: `main: jmp main` ran forever). */
Test(options, max_steps)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, NULL), 0, "%s", err);
    cr_assert_eq(o.max_steps, GCB_DEFAULT_MAX_STEPS);
    cr_assert_eq(GCB_DEFAULT_MAX_STEPS, 1000000000u);
    cr_assert_eq(parse(&o, err, sizeof err, "--max-steps=1000", NULL), 0, "%s", err);
    cr_assert_eq(o.max_steps, 1000);
    cr_assert_eq(parse(&o, err, sizeof err, "--max-steps", "18446744073709551615", NULL), 0,
                 "%s", err);
    cr_assert_eq(o.max_steps, UINT64_MAX);
    static const char *const bad[] = {"--max-steps=0", "--max-steps=-1", "--max-steps=1k",
                                      "--max-steps=", "--max-steps=18446744073709551616"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(parse(&o, err, sizeof err, bad[i], NULL), GCB_EXIT_USAGE, "%s accepted",
                     bad[i]);
        cr_assert(strstr(err, "invalid step limit") != NULL, "%s: %s", bad[i], err);
    }
}

Test(options, equals_form)
{
    gcb_options o;
    char err[256];
    int rc = parse(&o, err, sizeof err, "--collector=foo", "--workload=bar", "--heap=512k",
                   "--size=small", "--out=/tmp/x", "--seed=42", "--verify", "--stress=1000",
                   "--quiet", NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(o.action, GCB_ACTION_RUN);
    cr_assert_str_eq(o.collector, "foo");
    cr_assert_str_eq(o.workload, "bar");
    cr_assert_eq(o.heap_limit, 512 << 10);
    cr_assert_eq(o.size, WL_SIZE_SMALL);
    cr_assert_str_eq(o.out_dir, "/tmp/x");
    cr_assert_eq(o.seed, 42);
    cr_assert(o.verify);
    cr_assert_eq(o.stress, 1000);
    cr_assert(o.quiet);
}

Test(options, separate_form)
{
    gcb_options o;
    char err[256];
    int rc = parse(&o, err, sizeof err, "--collector", "foo", "--workload", "bar", "--heap",
                   "1G", "--size", "large", "--out", "d", "--seed", "7", "--stress", "3", "-q",
                   NULL);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(o.collector, "foo");
    cr_assert_str_eq(o.workload, "bar");
    cr_assert_eq(o.heap_limit, (size_t)1 << 30);
    cr_assert_eq(o.size, WL_SIZE_LARGE);
    cr_assert_str_eq(o.out_dir, "d");
    cr_assert_eq(o.seed, 7);
    cr_assert_eq(o.stress, 3);
    cr_assert(o.quiet);
}

Test(options, last_wins_and_repeatable)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, "--heap=1M", "--heap=2M", NULL), 0);
    cr_assert_eq(o.heap_limit, 2 << 20);
    /* The parser resets getopt: a second parse starts from scratch. */
    cr_assert_eq(parse(&o, err, sizeof err, "--seed=5", NULL), 0);
    cr_assert_eq(o.seed, 5);
    cr_assert_eq(o.heap_limit, GC_DEFAULT_HEAP_LIMIT);
}

Test(options, actions)
{
    gcb_options o;
    char err[256];
    cr_assert_eq(parse(&o, err, sizeof err, "--list", NULL), 0);
    cr_assert_eq(o.action, GCB_ACTION_LIST);
    cr_assert_eq(parse(&o, err, sizeof err, "--help", NULL), 0);
    cr_assert_eq(o.action, GCB_ACTION_HELP);
    cr_assert_eq(parse(&o, err, sizeof err, "-h", NULL), 0);
    cr_assert_eq(o.action, GCB_ACTION_HELP);
    cr_assert_eq(parse(&o, err, sizeof err, "--version", NULL), 0);
    cr_assert_eq(o.action, GCB_ACTION_VERSION);
    cr_assert_eq(parse(&o, err, sizeof err, "--list", "--help", NULL), 0);
    cr_assert_eq(o.action, GCB_ACTION_HELP, "--help wins");
}

/* Each case: arguments that must fail, and a substring the message must hold. */
#define BAD(expect, ...)                                                              \
    do {                                                                              \
        gcb_options o_;                                                               \
        char err_[256] = "";                                                          \
        int rc_ = parse(&o_, err_, sizeof err_, __VA_ARGS__, NULL);                   \
        cr_assert_eq(rc_, GCB_EXIT_USAGE, "%s: expected a usage error", #__VA_ARGS__); \
        cr_assert(strstr(err_, expect) != NULL, "%s: message '%s' lacks '%s'",       \
                  #__VA_ARGS__, err_, expect);                                        \
    } while (0)

Test(options, errors)
{
    BAD("unrecognized option '--bogus'", "--bogus");
    BAD("unrecognized option '--bogus'", "--bogus=1");
    BAD("unrecognized option '-x'", "-x");
    BAD("invalid heap size '12Q'", "--heap=12Q");
    BAD("invalid heap size '0'", "--heap", "0");
    BAD("invalid heap size '-1M'", "--heap=-1M");
    BAD("requires an argument", "--heap");
    BAD("requires an argument", "--collector");
    BAD("invalid workload size 'huge'", "--size=huge");
    BAD("invalid seed", "--seed=-3");
    BAD("invalid seed", "--seed=abc");
    BAD("invalid stress", "--stress=0");
    BAD("invalid stress", "--stress=-5");
    BAD("invalid stress", "--stress=x");
    BAD("unexpected argument 'extra'", "extra");
    BAD("unexpected argument 'trees'", "--collector=marksweep", "trees");
    BAD("doesn't allow an argument", "--list=yes");
    BAD("doesn't allow an argument", "--verify=1");
    BAD("ambiguous", "--s=1");
    BAD("needs a name", "--collector=");
    BAD("needs a name", "--collector=:nursery=1M");
    BAD("needs a directory", "--out=");
    BAD("invalid --rc-cycles value 'maybe'", "--rc-cycles=maybe");
    BAD("invalid nursery size '0'", "--nursery=0");
    BAD("invalid nursery size '4X'", "--nursery=4X");
    BAD("invalid --debug-corrupt value '-1'", "--debug-corrupt=-1");
    BAD("invalid --debug-corrupt value", "--debug-corrupt=99999999999");
    BAD("needs a file", "--program=");
    BAD("cannot be combined", "--program=p.gca", "--workload=trees");
    BAD("cannot be combined", "--workload=trees", "--program=p.gca");
    BAD("doesn't allow an argument", "--log-gc=yes");
}

/* ======================================================================== */
/* statistics                                                               */
/* ======================================================================== */

Test(percentile, empty)
{
    cr_assert_eq(gcb_percentile(NULL, 0, GCB_PPM(50)), 0);
    gcb_dist d = gcb_dist_of(NULL, 0);
    cr_assert_eq(d.count, 0);
    cr_assert_eq(d.total, 0);
    cr_assert_eq(d.p50, 0);
    cr_assert_eq(d.p90, 0);
    cr_assert_eq(d.p99, 0);
    cr_assert_eq(d.p999, 0);
    cr_assert_eq(d.max, 0);
    cr_assert_eq(d.min, 0);
}

Test(percentile, one)
{
    uint64_t v[] = {42};
    cr_assert_eq(gcb_percentile(v, 1, 0), 42);
    cr_assert_eq(gcb_percentile(v, 1, GCB_PPM(50)), 42);
    cr_assert_eq(gcb_percentile(v, 1, GCB_PPM_ONE), 42);
    gcb_dist d = gcb_dist_of(v, 1);
    cr_assert_eq(d.count, 1);
    cr_assert_eq(d.total, 42);
    cr_assert_eq(d.p50, 42);
    cr_assert_eq(d.p90, 42);
    cr_assert_eq(d.p99, 42);
    cr_assert_eq(d.p999, 42);
    cr_assert_eq(d.max, 42);
}

Test(percentile, one_to_hundred)
{
    uint64_t v[100];
    /* Reversed, so gcb_dist_of must sort. */
    for (int i = 0; i < 100; i++)
        v[i] = (uint64_t)(100 - i);
    gcb_dist d = gcb_dist_of(v, 100);
    cr_assert_eq(v[0], 100, "input must not be modified");
    cr_assert_eq(d.count, 100);
    cr_assert_eq(d.total, 5050);
    cr_assert_eq(d.min, 1);
    cr_assert_eq(d.p50, 50);
    cr_assert_eq(d.p90, 90);
    cr_assert_eq(d.p99, 99);
    cr_assert_eq(d.p999, 100); /* rank ceil(99.9) = 100 */
    cr_assert_eq(d.max, 100);

    uint64_t s[100];
    for (int i = 0; i < 100; i++)
        s[i] = (uint64_t)(i + 1);
    cr_assert_eq(gcb_percentile(s, 100, 0), 1);
    cr_assert_eq(gcb_percentile(s, 100, GCB_PPM(1)), 1);
    cr_assert_eq(gcb_percentile(s, 100, GCB_PPM(1.5)), 2);
    cr_assert_eq(gcb_percentile(s, 100, GCB_PPM(99.9)), 100);
    cr_assert_eq(gcb_percentile(s, 100, GCB_PPM(100)), 100);
}

Test(percentile, nearest_rank_small)
{
    /* n = 10: p50 -> rank 5, p90 -> rank 9, p99 -> rank ceil(9.9) = 10. */
    uint64_t s[10] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 1000};
    gcb_dist d = gcb_dist_of_sorted(s, 10);
    cr_assert_eq(d.p50, 50);
    cr_assert_eq(d.p90, 90);
    cr_assert_eq(d.p99, 1000);
    /* n = 3: p50 -> rank ceil(1.5) = 2. */
    uint64_t t[3] = {5, 7, 9};
    cr_assert_eq(gcb_percentile(t, 3, GCB_PPM(50)), 7);
    cr_assert_eq(gcb_percentile(t, 3, GCB_PPM(90)), 9);
    /* p99.9 of 1..1000 is 999 (exact integer rank, no float rounding). */
    uint64_t *k = malloc(1000 * sizeof *k);
    for (int i = 0; i < 1000; i++)
        k[i] = (uint64_t)(i + 1);
    cr_assert_eq(gcb_percentile(k, 1000, GCB_PPM(99.9)), 999);
    cr_assert_eq(gcb_percentile(k, 1000, GCB_PPM(99)), 990);
    cr_assert_eq(gcb_dist_of_sorted(k, 1000).p999, 999);
    free(k);
}

Test(stats, run_stats)
{
    gc_pause p[4];
    memset(p, 0, sizeof p);
    uint64_t dur[4] = {300, 100, 400, 200};
    for (int i = 0; i < 4; i++) {
        p[i].seq = (uint64_t)i + 1;
        p[i].duration_ns = dur[i];
        p[i].kind = i == 3 ? GC_PAUSE_MAJOR : GC_PAUSE_MINOR;
    }
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.heap_limit = 1 << 20;
    st.allocated_bytes = 2000000;
    st.allocated_objects = 50000;
    st.collections = 4;
    st.collections_by_kind[GC_PAUSE_MINOR] = 3;
    st.collections_by_kind[GC_PAUSE_MAJOR] = 1;
    st.peak_heap_bytes = 900000;
    st.pauses = p;
    st.npauses = 4;

    gcb_run_stats s;
    gcb_run_stats_compute(&st, 10000, &s); /* 10 us wall */
    cr_assert_eq(s.wall_ns, 10000);
    cr_assert_eq(s.gc_ns, 1000);
    cr_assert_eq(s.mutator_ns, 9000);
    cr_assert_float_eq(s.gc_share, 0.1, 1e-12);
    cr_assert_eq(s.pauses.count, 4);
    cr_assert_eq(s.pauses.p50, 200);
    cr_assert_eq(s.pauses.max, 400);
    cr_assert_float_eq(s.alloc_bytes_per_s, 2e11, 1.0);
    cr_assert_float_eq(s.alloc_objects_per_s, 5e9, 1.0);
    cr_assert_eq(s.collections_by_kind[GC_PAUSE_MINOR], 3);
    cr_assert_eq(s.collections_by_kind[GC_PAUSE_MAJOR], 1);
    cr_assert_eq(s.peak_heap_bytes, 900000);
    cr_assert_float_eq(s.ns_per_alloc, 10000.0 / 50000.0, 1e-12);
    /* Per kind: minor {300, 100, 400}, major {200}; the rest never occurred. */
    cr_assert_eq(gcb_kinds_occurred(&s), 2);
    const gcb_dist *mi = &s.pauses_by_kind[GC_PAUSE_MINOR], *ma = &s.pauses_by_kind[GC_PAUSE_MAJOR];
    cr_assert_eq(mi->count, 3);
    cr_assert_eq(mi->total, 800);
    cr_assert_eq(mi->min, 100);
    cr_assert_eq(mi->p50, 300);
    cr_assert_eq(mi->p999, 400);
    cr_assert_eq(mi->max, 400);
    cr_assert_eq(ma->count, 1);
    cr_assert_eq(ma->p50, 200);
    cr_assert_eq(ma->max, 200);
    cr_assert_eq(s.pauses_by_kind[GC_PAUSE_FULL].count, 0);
    /* A 10 us run is shorter than 1 ms: one MMU point, the run itself. */
    cr_assert_eq(s.nmmu, 1);
    cr_assert_eq(s.mmu[0].window_ns, 10000);

    st.allocated_objects = 0;
    gcb_run_stats_compute(&st, 10000, &s);
    cr_assert_float_eq(s.ns_per_alloc, 0.0, 0.0);

    /* No wall time: no division by zero, mutator clamps at 0. */
    gcb_run_stats_compute(&st, 0, &s);
    cr_assert_eq(s.mutator_ns, 0);
    cr_assert_float_eq(s.gc_share, 0.0, 0.0);
    cr_assert_float_eq(s.alloc_bytes_per_s, 0.0, 0.0);
    cr_assert_eq(s.nmmu, 0);
}

/* Time to safepoint is taken over the pauses that had another mutator to
 * stop (mutators > 1) only: a one-mutator pause (tts 0 by definition, or a
 * pause recorded with no mutator attached) would dilute the percentiles. */
Test(stats, time_to_safepoint)
{
    gc_pause p[6];
    memset(p, 0, sizeof p);
    const uint32_t mut[6] = {1, 2, 4, 0, 2, 3};
    const uint64_t tts[6] = {0, 300, 100, 0, 900, 200};
    for (int i = 0; i < 6; i++) {
        p[i].seq = (uint64_t)i + 1;
        p[i].duration_ns = 1000 + tts[i];
        p[i].other_ns = tts[i];
        p[i].tts_ns = tts[i];
        p[i].mutators = mut[i];
    }
    gcb_tts_stats t;
    gcb_tts_stats_compute(p, 6, &t);
    /* Waited: {300, 100, 900, 200} -> sorted {100, 200, 300, 900}. */
    cr_assert_eq(t.waited, 4);
    cr_assert_eq(t.dist.count, 4);
    cr_assert_eq(t.dist.min, 100);
    cr_assert_eq(t.dist.p50, 200);
    cr_assert_eq(t.dist.p99, 900);
    cr_assert_eq(t.dist.max, 900);
    cr_assert_eq(t.mean, 375);

    /* The same through the run statistics. */
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.pauses = p;
    st.npauses = 6;
    gcb_run_stats s;
    gcb_run_stats_compute(&st, 100000, &s);
    cr_assert_eq(s.tts.waited, 4);
    cr_assert_eq(s.tts.dist.p99, 900);
    cr_assert_eq(s.other_total_ns, 1500, "tts stays inside other");

    /* One mutator everywhere: no distribution at all (not one of zeros). */
    for (int i = 0; i < 6; i++)
        p[i].mutators = i % 2, p[i].tts_ns = 0;
    gcb_tts_stats_compute(p, 6, &t);
    cr_assert_eq(t.waited, 0);
    cr_assert_eq(t.dist.count, 0);
    cr_assert_eq(t.dist.p99, 0);
    cr_assert_eq(t.mean, 0);
    gcb_tts_stats_compute(NULL, 0, &t);
    cr_assert_eq(t.waited, 0);
}

/* ======================================================================== */
/* formatting and writers                                                   */
/* ======================================================================== */

Test(format, duration)
{
    char b[32];
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 0), "0 ns");
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 999), "999 ns");
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 1500), "1.5 us");
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 999960), "1.0 ms");
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 10100000), "10.1 ms");
    cr_assert_str_eq(gcb_fmt_duration(b, sizeof b, 2345000000u), "2.35 s");
}

Test(format, bytes)
{
    char b[32];
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, 0), "0 B");
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, 1023), "1023 B");
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, 1024), "1.0 KiB");
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, 512 << 10), "512.0 KiB");
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, (uint64_t)64 << 20), "64.0 MiB");
    cr_assert_str_eq(gcb_fmt_bytes(b, sizeof b, (uint64_t)3 << 30), "3.00 GiB");
}

Test(format, rate)
{
    char b[32];
    cr_assert_str_eq(gcb_fmt_rate(b, sizeof b, 20.3e6, "obj/s"), "20.3 Mobj/s");
    cr_assert_str_eq(gcb_fmt_rate(b, sizeof b, 950, "obj/s"), "950 obj/s");
    cr_assert_str_eq(gcb_fmt_rate(b, sizeof b, 1.5e9, "B/s"), "1.50 GB/s");
    cr_assert_str_eq(gcb_fmt_rate(b, sizeof b, 0, "obj/s"), "0.00 obj/s");
}

Test(json, escaping_round_trips)
{
    const char *nasty = "q\"b\\s/n\nt\tc\x01\x1f" "d\x7f" "é€😀";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gcb_json j;
    gcb_json_init(&j, f);
    gcb_json_begin_object(&j, NULL);
    gcb_json_string(&j, "s", nasty);
    gcb_json_string(&j, "key \"quoted\"", "v");
    gcb_json_string(&j, "bad_utf8", "a\xff\xc3" "b");
    gcb_json_u64(&j, "big", UINT64_MAX);
    gcb_json_i64(&j, "neg", -5);
    gcb_json_double(&j, "d", 0.25);
    gcb_json_double(&j, "inf", 1.0 / 0.0);
    gcb_json_bool(&j, "t", true);
    gcb_json_null(&j, "n");
    gcb_json_begin_array(&j, "arr");
    gcb_json_u64(&j, NULL, 1);
    gcb_json_begin_object(&j, NULL);
    gcb_json_end_object(&j);
    gcb_json_begin_array(&j, NULL);
    gcb_json_end_array(&j);
    gcb_json_end_array(&j);
    gcb_json_end_object(&j);
    cr_assert_eq(gcb_json_finish(&j), 0);
    fclose(f);

    const json_t *doc = jparse(buf);
    cr_assert_not_null(doc, "invalid JSON:\n%s", buf);
    cr_assert_str_eq(jstr(jget(doc, "s")), nasty);
    cr_assert_str_eq(jstr(jget(doc, "key \"quoted\"")), "v");
    cr_assert_str_eq(jstr(jget(doc, "bad_utf8")), "a\xef\xbf\xbd\xef\xbf\xbd" "b");
    cr_assert(json_is_boolean(jget(doc, "t")));
    cr_assert(json_is_null(jget(doc, "n")));
    cr_assert(json_is_null(jget(doc, "inf")));
    cr_assert_float_eq(jnum(jget(doc, "d")), 0.25, 0.0);
    cr_assert_eq(jlen(jget(doc, "arr")), 3);
    cr_assert(strstr(buf, "18446744073709551615") != NULL);
    free(buf);
}

Test(json, misuse_is_an_error)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gcb_json j;
    gcb_json_init(&j, f);
    gcb_json_begin_object(&j, NULL);
    gcb_json_u64(&j, NULL, 1); /* no key inside an object */
    gcb_json_end_object(&j);
    cr_assert_neq(gcb_json_finish(&j), 0);
    fclose(f);
    free(buf);

    f = open_memstream(&buf, &len);
    gcb_json_init(&j, f);
    gcb_json_begin_object(&j, NULL); /* never closed */
    cr_assert_neq(gcb_json_finish(&j), 0);
    fclose(f);
    free(buf);
}

/* The phases of a made-up collector, for the writers. */
static const gcb_phases three_phases = {3, {"roots", "mark", "sweep"}};

Test(csv, header_and_rows)
{
    gc_pause p;
    memset(&p, 0, sizeof p);
    p.seq = 1;
    p.start_ns = 5;
    p.duration_ns = 7;
    p.kind = GC_PAUSE_FULL;
    p.reason = GC_REASON_HEAP_LIMIT;
    p.heap_before = 100;
    p.heap_after = 40;
    p.phase_ns[1] = 3;
    p.other_ns = 4;
    p.tts_ns = 2; /* part of other_ns */
    p.mutators = 3;
    p.phase_ns[3] = 99; /* beyond the declared phases: not written */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gcb_write_pauses_csv(f, &three_phases, &p, 1);
    fclose(f);
    char expect[256];
    snprintf(expect, sizeof expect,
             "seq,start_ns,duration_ns,kind,reason,heap_before_bytes,heap_after_bytes,"
             "phase_roots_ns,phase_mark_ns,phase_sweep_ns,other_ns,tts_ns,mutators\n"
             "1,5,7,%s,%s,100,40,0,3,0,4,2,3\n",
             gc_pause_kind_name(GC_PAUSE_FULL), gc_reason_name(GC_REASON_HEAP_LIMIT));
    cr_assert_str_eq(buf, expect);
    free(buf);

    /* A collector without phases: other_ns (then the thread columns) only. */
    const gcb_phases none = {0, {NULL}};
    f = open_memstream(&buf, &len);
    gcb_write_pauses_csv(f, &none, &p, 1);
    fclose(f);
    snprintf(expect, sizeof expect,
             GCB_PAUSES_CSV_FIXED ",other_ns,tts_ns,mutators\n1,5,7,%s,%s,100,40,4,2,3\n",
             gc_pause_kind_name(GC_PAUSE_FULL), gc_reason_name(GC_REASON_HEAP_LIMIT));
    cr_assert_str_eq(buf, expect);
    free(buf);
}

/* Runs a writer into a memory buffer (tracked scratch memory). */
#define CAPTURE(buf, call)                              \
    do {                                                \
        char *mem_ = NULL;                              \
        size_t len_ = 0;                                \
        FILE *f = open_memstream(&mem_, &len_);         \
        call;                                           \
        fclose(f);                                      \
        buf = strdup(mem_);                             \
        tb_free_untracked(mem_);                        \
    } while (0)

static void tb_free_untracked(void *p)
{
#undef free
    free(p);
#define free tb_free
}

static gc_pause sample_pause(uint64_t seq, gc_pause_kind kind, uint64_t start, uint64_t dur)
{
    gc_pause p;
    memset(&p, 0, sizeof p);
    p.seq = seq;
    p.kind = kind;
    p.reason = GC_REASON_HEAP_LIMIT;
    p.start_ns = start;
    p.duration_ns = dur;
    p.heap_before = 63019827; /* 60.1M */
    p.heap_after = 13841203;  /* 13.2M */
    p.live_after = 12000000;
    p.phase_ns[0] = 20000;   /* three_phases: roots */
    p.phase_ns[1] = 4100000; /* mark */
    p.phase_ns[2] = 190000;  /* sweep */
    return p;
}

Test(csv, heap_and_mmu)
{
    gc_pause p[2] = {sample_pause(1, GC_PAUSE_MINOR, 1000, 10), sample_pause(2, GC_PAUSE_MAJOR, 5000, 20)};
    char *buf;
    CAPTURE(buf, gcb_write_heap_csv(f, p, 2, 1 << 20));
    cr_assert_str_eq(buf, "seq,time_ns,kind,heap_before_bytes,heap_after_bytes,live_after_bytes,limit_bytes\n"
                          "1,1000,minor,63019827,13841203,12000000,1048576\n"
                          "2,5000,major,63019827,13841203,12000000,1048576\n");
    CAPTURE(buf, gcb_write_heap_csv(f, p, 0, 1 << 20));
    cr_assert_str_eq(buf, GCB_HEAP_CSV_HEADER "\n");

    gcb_mmu_point m[2] = {{1000000, 0.0}, {2500000, 0.6}};
    CAPTURE(buf, gcb_write_mmu_csv(f, m, 2));
    cr_assert_str_eq(buf, "window_ns,utilization\n1000000,0\n2500000,0.6\n");
}

Test(format, gc_log_line)
{
    gc_pause p = sample_pause(12, GC_PAUSE_FULL, 1234000000, 4310000);
    char line[256];
    cr_assert_str_eq(gcb_fmt_gc_log(line, sizeof line, &p, &three_phases, (uint64_t)64 << 20),
                     "gc 12 @1.234s full (heap-limit) 4.31ms: 60.1M->13.2M (64.0M) "
                     "roots 0.0200ms mark 4.10ms sweep 0.190ms\n");
    /* Small heaps in K, big ones in G; phases with no time are left out;
     * the names are the collector's, time outside them is "other". */
    const gcb_phases rc = {5, {"roots", "release", "MarkGray", "Scan", "CollectWhite"}};
    memset(p.phase_ns, 0, sizeof p.phase_ns);
    p.phase_ns[2] = 440;
    p.phase_ns[4] = 1000;
    p.other_ns = 2000;
    p.heap_before = 512 << 10;
    p.heap_after = 1000;
    p.kind = GC_PAUSE_MINOR;
    p.reason = GC_REASON_NURSERY_FULL;
    cr_assert_str_eq(gcb_fmt_gc_log(line, sizeof line, &p, &rc, (uint64_t)3 << 30),
                     "gc 12 @1.234s minor (nursery-full) 4.31ms: 512.0K->1.0K (3.00G) "
                     "MarkGray 0.000440ms CollectWhite 0.00100ms other 0.00200ms\n");
    /* With more than one mutator: their number and the time to safepoint,
     * after "; " (tts is inside other, not one more slice); with one, or a
     * pause recorded with none attached, nothing. */
    p.mutators = 2;
    p.tts_ns = 1500;
    cr_assert_str_eq(gcb_fmt_gc_log(line, sizeof line, &p, &rc, (uint64_t)3 << 30),
                     "gc 12 @1.234s minor (nursery-full) 4.31ms: 512.0K->1.0K (3.00G) "
                     "MarkGray 0.000440ms CollectWhite 0.00100ms other 0.00200ms; "
                     "2 mutators, tts 0.00150ms\n");
    p.tts_ns = 0;
    p.mutators = 1;
    cr_assert_null(strstr(gcb_fmt_gc_log(line, sizeof line, &p, &rc, 1), "mutators"), "%s", line);
    p.mutators = 0;
    cr_assert_null(strstr(gcb_fmt_gc_log(line, sizeof line, &p, &rc, 1), "mutators"), "%s", line);
    p.mutators = 2;
    /* A too-small buffer still gives one terminated line. */
    char tiny[16];
    gcb_fmt_gc_log(tiny, sizeof tiny, &p, &rc, 1);
    cr_assert_eq(strlen(tiny), sizeof tiny - 1);
    cr_assert_eq(tiny[sizeof tiny - 2], '\n');

    char b[32];
    cr_assert_str_eq(gcb_fmt_ms(b, sizeof b, 412000000), "412");
    cr_assert_str_eq(gcb_fmt_ms(b, sizeof b, 41200000), "41.2");
    cr_assert_str_eq(gcb_fmt_ms(b, sizeof b, 190000), "0.190");
    cr_assert_str_eq(gcb_fmt_ms(b, sizeof b, 37500), "0.0375");
    cr_assert_str_eq(gcb_fmt_ms(b, sizeof b, 1), "0.000001");
}

Test(collector_stats, names_are_checked)
{
    gcb_collector_stats cs;
    memset(&cs, 0, sizeof cs);
    char *warn;
    CAPTURE(warn, {
        cr_assert_eq(gcb_collector_stats_add(&cs, "leaked_bytes", 100, f), 0);
        cr_assert_eq(gcb_collector_stats_add(&cs, "leaked_objects", 3, f), 0);
        cr_assert_neq(gcb_collector_stats_add(&cs, "wall_ns", 1, f), 0);      /* bench key */
        cr_assert_neq(gcb_collector_stats_add(&cs, "leaked_bytes", 2, f), 0); /* repeated */
        cr_assert_neq(gcb_collector_stats_add(&cs, "Bad Name", 2, f), 0);
        cr_assert_neq(gcb_collector_stats_add(&cs, "", 2, f), 0);
    });
    cr_assert_eq(cs.n, 2);
    cr_assert_str_eq(cs.s[1].name, "leaked_objects");
    cr_assert_eq(cs.s[1].value, 3);
    cr_assert(strstr(warn, "gcbench: warning: collector figure \"wall_ns\" clashes") != NULL,
              "%s", warn);
    cr_assert(strstr(warn, "\"leaked_bytes\" was already reported") != NULL, "%s", warn);
    cr_assert(strstr(warn, "\"Bad Name\" is not a snake_case name") != NULL, "%s", warn);
    for (int i = 0; cs.n < GCB_MAX_COLLECTOR_STATS; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        cr_assert_eq(gcb_collector_stats_add(&cs, name, 0, NULL), 0);
    }
    cr_assert_neq(gcb_collector_stats_add(&cs, "one_more", 0, NULL), 0);
}

/* A report over two pause kinds with every option on, for the writers. */
static gcb_report sample_report(gcb_options *o, gc_pause *p)
{
    gcb_options_init(o);
    snprintf(o->collector, sizeof o->collector, "gen");
    snprintf(o->gc_options, sizeof o->gc_options, "nursery=4M,cycles=off");
    o->workload = "program";
    o->program = "a.gca";
    o->debug_corrupt = 2;
    o->heap_limit = (size_t)64 << 20;
    p[0] = sample_pause(1, GC_PAUSE_MINOR, 1000000, 1000000);
    p[1] = sample_pause(2, GC_PAUSE_MINOR, 3000000, 2000000);
    p[2] = sample_pause(3, GC_PAUSE_MAJOR, 7000000, 3000000);
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.heap_limit = o->heap_limit;
    st.pauses = p;
    st.npauses = 3;
    st.collections = 3;
    st.collections_by_kind[GC_PAUSE_MINOR] = 2;
    st.collections_by_kind[GC_PAUSE_MAJOR] = 1;
    st.allocated_objects = 1000;
    gcb_report r;
    memset(&r, 0, sizeof r);
    r.opt = o;
    r.phases = three_phases;
    p[2].other_ns = 5000;
    gcb_run_stats_compute(&st, 20000000, &r.stats); /* 20 ms */
    r.pauses = p;
    r.npauses = 3;
    r.verified = true;
    r.detail = "ok";
    gcb_collector_stats_add(&r.cstats, "leaked_bytes", 7, NULL);
    return r;
}

Test(json, summary_keys)
{
    gcb_options o;
    gc_pause p[3];
    gcb_report r = sample_report(&o, p);
    char *buf;
    CAPTURE(buf, cr_assert_eq(gcb_write_summary_json(f, &r), 0));
    const json_t *doc = jparse(buf);
    cr_assert_not_null(doc, "%s", buf);
    /* Every key but the collector's own figure is reserved. */
    for (size_t i = 0; i < jlen(doc); i++)
        cr_assert(gcb_summary_key_reserved(jkey(doc, i)) != (strcmp(jkey(doc, i), "leaked_bytes") == 0),
                  "key '%s'", jkey(doc, i));
    cr_assert_float_eq(jnum(jget(doc, "leaked_bytes")), 7.0, 0.0);
    cr_assert_str_eq(jstr(jget(doc, "program")), "a.gca");
    cr_assert_str_eq(jstr(jget(doc, "collector")), "gen");
    cr_assert_str_eq(jstr(jget(doc, "collector_options")), "nursery=4M,cycles=off");
    /* The collector's phases, and the time in each over all pauses. */
    const json_t *phases = jget(doc, "phases");
    cr_assert(json_is_array(phases));
    cr_assert_eq(jlen(phases), 3);
    cr_assert_str_eq(jstr(jitem(phases, 0)), "roots");
    cr_assert_str_eq(jstr(jitem(phases, 1)), "mark");
    cr_assert_str_eq(jstr(jitem(phases, 2)), "sweep");
    const json_t *totals = jget(doc, "phase_totals_ns");
    cr_assert(json_is_object(totals));
    cr_assert_eq(jlen(totals), 4, "three phases and other");
    cr_assert_float_eq(jnum(jget(totals, "roots")), 3 * 20000.0, 0.0);
    cr_assert_float_eq(jnum(jget(totals, "mark")), 3 * 4100000.0, 0.0);
    cr_assert_float_eq(jnum(jget(totals, "sweep")), 3 * 190000.0, 0.0);
    cr_assert_float_eq(jnum(jget(totals, "other")), 5000.0, 0.0);
    cr_assert_str_eq(jkey(totals, 3), "other");
    cr_assert_float_eq(jnum(jget(doc, "debug_corrupt")), 2.0, 0.0);
    cr_assert_float_eq(jnum(jget(doc, "threads")), 1.0, 0.0);
    /* No pause had another mutator to stop: no time-to-safepoint figures
     * (null, not 0). */
    const json_t *tts = jget(doc, "time_to_safepoint");
    cr_assert_not_null(tts);
    cr_assert(json_is_object(tts));
    cr_assert_eq(jlen(tts), 5);
    cr_assert_float_eq(jnum(jget(tts, "pauses_waited")), 0.0, 0.0);
    const char *const tts_keys[] = {"p50_ns", "p99_ns", "max_ns", "mean_ns"};
    for (size_t i = 0; i < 4; i++)
        cr_assert(json_is_null(jget(tts, tts_keys[i])), "%s: %s", tts_keys[i], buf);
    cr_assert_float_eq(jnum(jget(doc, "ns_per_alloc")), 20000.0, 1e-9);
    cr_assert_float_eq(jnum(jget(jget(doc, "pauses"), "p999_ns")), 3000000.0, 0.0);

    const json_t *byk = jget(doc, "pauses_by_kind");
    cr_assert(json_is_object(byk));
    cr_assert_eq(jlen(byk), 2, "only kinds that occurred");
    const char *const dist_keys[] = {"count", "total_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"};
    for (size_t i = 0; i < sizeof dist_keys / sizeof dist_keys[0]; i++)
        cr_assert_not_null(jget(jget(byk, "minor"), dist_keys[i]), "minor lacks %s", dist_keys[i]);
    cr_assert_float_eq(jnum(jget(jget(byk, "minor"), "count")), 2.0, 0.0);
    cr_assert_float_eq(jnum(jget(jget(byk, "minor"), "total_ns")), 3e6, 0.0);
    cr_assert_float_eq(jnum(jget(jget(byk, "minor"), "p50_ns")), 1e6, 0.0);
    cr_assert_float_eq(jnum(jget(jget(byk, "major"), "max_ns")), 3e6, 0.0);

    /* Pauses [1,2) [3,5) [7,10) ms in 20 ms: windows 1, 2, 5, 10, 20 ms. */
    const json_t *mmu = jget(doc, "mmu");
    cr_assert(json_is_array(mmu));
    cr_assert_eq(jlen(mmu), 5);
    double w[] = {1e6, 2e6, 5e6, 10e6, 20e6}, u[] = {0, 0, 0.4, 0.4, 0.7};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_float_eq(jnum(jget(jitem(mmu, i), "window_ns")), w[i], 0.0);
        cr_assert_float_eq(jnum(jget(jitem(mmu, i), "utilization")), u[i], 1e-9, "point %zu", i);
    }
}

Test(summary, kinds_mmu_and_collector_lines)
{
    gcb_options o;
    gc_pause p[3];
    gcb_report r = sample_report(&o, p);
    char *out;
    CAPTURE(out, gcb_write_summary(f, &r));
    const char *want[] = {
        "  collector=gen:nursery=4M,cycles=off  workload=program  ",
        "  program=a.gca  debug-corrupt=2\n",
        "\nphases          roots 60.0 us  mark 12.3 ms  sweep 570.0 us  other 5.0 us\n",
        "\npauses          count 3  p50 2.0 ms  p90 3.0 ms  p99 3.0 ms  p99.9 3.0 ms  max 3.0 ms\n",
        "\n  minor         count 2  p50 1.0 ms  p90 2.0 ms  p99 2.0 ms  p99.9 2.0 ms  max 2.0 ms\n",
        "\n  major         count 1  p50 3.0 ms",
        "\nmmu             1.0 ms 0.000  10.0 ms 0.400  20.0 ms 0.700\n",
        "20000.0 ns/alloc)\n",
        "\ncollector       leaked_bytes 7\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(out, want[i]) != NULL, "summary lacks '%s':\n%s", want[i], out);
    cr_assert_null(strstr(out, "  full "), "kinds that never occurred are not listed:\n%s", out);

    /* One kind only: no per-kind lines. */
    p[0].kind = p[1].kind = p[2].kind = GC_PAUSE_FULL;
    p[2].other_ns = 0;
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.pauses = p;
    st.npauses = 3;
    gcb_run_stats_compute(&st, 20000000, &r.stats);
    r.cstats.n = 0;
    o.gc_options[0] = '\0';
    CAPTURE(out, gcb_write_summary(f, &r));
    cr_assert_null(strstr(out, "\n  full"), "%s", out);
    cr_assert_null(strstr(out, "\ncollector"), "%s", out);
    cr_assert(strstr(out, "  collector=gen  workload=") != NULL, "no options, no colon:\n%s", out);
    cr_assert(strstr(out, "\nphases          roots 60.0 us  mark 12.3 ms  sweep 570.0 us\n") != NULL,
              "no time outside the phases, no 'other':\n%s", out);
}

/* --threads=N and pauses that waited for other mutators: summary.json has
 * the figures, the stdout summary the header field and the time-to-safepoint
 * line; neither appears for one thread (the sample_report runs above). */
Test(summary, threads_and_time_to_safepoint)
{
    gcb_options o;
    gc_pause p[3];
    gcb_report r = sample_report(&o, p);
    char *out, *buf;
    CAPTURE(out, gcb_write_summary(f, &r));
    cr_assert_null(strstr(out, "threads="), "one thread: the header as before:\n%s", out);
    cr_assert_null(strstr(out, "time to safepoint"), "%s", out);

    o.threads = 2;
    p[0].mutators = 1; /* e.g. before the second thread attached */
    p[1].mutators = 2, p[1].tts_ns = 12300, p[1].other_ns = 20000;
    p[2].mutators = 2, p[2].tts_ns = 4000, p[2].other_ns = 5000;
    gc_heap_stats st;
    memset(&st, 0, sizeof st);
    st.pauses = p;
    st.npauses = 3;
    gcb_run_stats_compute(&st, 20000000, &r.stats);
    CAPTURE(out, gcb_write_summary(f, &r));
    cr_assert(strstr(out, "  seed=1  threads=2  program=a.gca") != NULL, "%s", out);
    cr_assert(strstr(out, "\ntime to safepoint: p50 4.0 us, p99 12.3 us, max 12.3 us (2 of 3 "
                          "pauses waited)\n") != NULL,
              "%s", out);
    /* After the pause lines, before the phases. */
    cr_assert(strstr(out, "\ntime to safepoint") > strstr(out, "\n  major "), "%s", out);
    cr_assert(strstr(out, "\ntime to safepoint") < strstr(out, "\nphases "), "%s", out);

    CAPTURE(buf, cr_assert_eq(gcb_write_summary_json(f, &r), 0));
    const json_t *doc = jparse(buf);
    cr_assert_not_null(doc, "%s", buf);
    cr_assert_float_eq(jnum(jget(doc, "threads")), 2.0, 0.0);
    const json_t *tts = jget(doc, "time_to_safepoint");
    cr_assert_float_eq(jnum(jget(tts, "pauses_waited")), 2.0, 0.0);
    cr_assert_float_eq(jnum(jget(tts, "p50_ns")), 4000.0, 0.0);
    cr_assert_float_eq(jnum(jget(tts, "p99_ns")), 12300.0, 0.0);
    cr_assert_float_eq(jnum(jget(tts, "max_ns")), 12300.0, 0.0);
    cr_assert_float_eq(jnum(jget(tts, "mean_ns")), 8150.0, 0.0);
}

/* ---- the JSON reader ---- */

Test(jsonread, accepts_and_decodes)
{
    const json_t *v = jparse(" {\"a\": [1, -2.5e3, 0, 18446744073709551615], \"s\": "
                             "\"x\\u00e9\\ud83d\\ude00\\n\", \"t\": true, \"f\": false, "
                             "\"z\": null, \"o\": {}} \n");
    cr_assert_not_null(v);
    const json_t *a = jget(v, "a");
    cr_assert_eq(jlen(a), 4);
    cr_assert_float_eq(jnum(jitem(a, 1)), -2500.0, 0.0);
    uint64_t u;
    cr_assert_eq(ju64(jitem(a, 3), &u), 0);
    cr_assert_eq(u, UINT64_MAX, "integers are exact");
    cr_assert_neq(ju64(jitem(a, 1), &u), 0);
    cr_assert_str_eq(jstr(jget(v, "s")), "x\xc3\xa9\xf0\x9f\x98\x80\n");
    cr_assert(json_is_true(jget(v, "t")));
    cr_assert(json_is_null(jget(v, "z")));
    cr_assert_eq(jlen(jget(v, "o")), 0);
    cr_assert_null(jget(v, "missing"));
    cr_assert_null(jget(a, "a"), "not an object");
}

/* Integers from 2^63 to 2^64-1 (--seed, --stress and u64 counters can be
 * there) keep their exact value wherever they are, beside ordinary numbers
 * and strings that look like numbers; 2^63-1 and smaller stay jansson
 * integers; beyond 2^64-1 is an error with its position. */
Test(jsonread, big_integers_exact)
{
    const char *text = "{\"s\": \"18446744073709551615 \\\" 9223372036854775808\",\n"
                       " \"a\": [9223372036854775807, 9223372036854775808, 1.5e3, -1],\n"
                       " \"o\": {\"x\": 18446744073709551614, \"y\": [0, 12345678901234567890]},\n"
                       " \"z\": 18446744073709551615}";
    gcb_jdoc d;
    char err[256], buf[32];
    cr_assert_eq(gcb_jdoc_parse(&d, text, strlen(text), err, sizeof err), 0, "%s", err);
    cr_assert_eq(d.nbig, 4);
    uint64_t u;
    const json_t *a = json_object_get(d.root, "a");
    cr_assert(json_is_integer(json_array_get(a, 0)));
    cr_assert_eq(gcb_jdoc_u64(&d, json_array_get(a, 0), &u), 0);
    cr_assert_eq(u, (uint64_t)INT64_MAX);
    cr_assert_eq(gcb_jdoc_u64(&d, json_array_get(a, 1), &u), 0);
    cr_assert_eq(u, (uint64_t)INT64_MAX + 1);
    cr_assert_neq(gcb_jdoc_u64(&d, json_array_get(a, 2), &u), 0, "1.5e3 is a real");
    cr_assert_neq(gcb_jdoc_u64(&d, json_array_get(a, 3), &u), 0, "negative");
    cr_assert_str_eq(gcb_jdoc_number_text(&d, json_array_get(a, 2), buf, sizeof buf), "1.5e+03");
    const json_t *o = json_object_get(d.root, "o");
    cr_assert_eq(gcb_jdoc_u64(&d, json_object_get(o, "x"), &u), 0);
    cr_assert_eq(u, UINT64_MAX - 1);
    cr_assert_eq(gcb_jdoc_u64(&d, json_array_get(json_object_get(o, "y"), 1), &u), 0);
    cr_assert_eq(u, UINT64_C(12345678901234567890));
    cr_assert_str_eq(gcb_jdoc_number_text(&d, json_array_get(json_object_get(o, "y"), 1), buf,
                                          sizeof buf),
                     "12345678901234567890");
    cr_assert_eq(gcb_jdoc_u64(&d, json_object_get(d.root, "z"), &u), 0);
    cr_assert_eq(u, UINT64_MAX);
    cr_assert_str_eq(json_string_value(json_object_get(d.root, "s")),
                     "18446744073709551615 \" 9223372036854775808", "strings are untouched");
    /* Equality is exact too: two big integers one apart differ. */
    cr_assert(!gcb_jdoc_equal(&d, json_object_get(o, "x"), &d, json_object_get(d.root, "z")));
    cr_assert(gcb_jdoc_equal(&d, json_object_get(d.root, "z"), &d, json_object_get(d.root, "z")));
    gcb_jdoc_free(&d);

    const char *over = "{\"a\": 1,\n \"b\": 18446744073709551616}";
    cr_assert_neq(gcb_jdoc_parse(&d, over, strlen(over), err, sizeof err), 0);
    cr_assert(strstr(err, "line 2, column ") != NULL && strstr(err, "too big integer") != NULL,
              "%s", err);
    cr_assert_null(d.root);
    /* A big integer before an error moves no column. */
    const char *late = "[18446744073709551615, tru]";
    cr_assert_neq(gcb_jdoc_parse(&d, late, strlen(late), err, sizeof err), 0);
    cr_assert(strstr(err, "line 1, column 26: invalid token near 'tru'") != NULL, "%s", err);
}

/* Errors name line and column (where jansson stopped: the end of the token
 * quoted after "near"). */
Test(jsonread, rejects_with_position)
{
    struct { const char *text, *msg; } bad[] = {
        {"", "line 1, column 1: unexpected token near end of file"},
        {"{\"a\": 1,}", "line 1, column 9: string or '}' expected near '}'"},
        {"[1, 2,]", "unexpected token near ']'"},
        {"[01]", "invalid token near '0'"},
        {"[1.]", "invalid token near '1.'"},
        {"{\"a\" 1}", "':' expected near '1'"},
        {"[1 2]", "']' expected near '2'"},
        {"\"abc", "premature end of input"},
        {"\"a\tb\"", "control character 0x9"},
        {"\"\\x\"", "invalid escape"},
        {"\"\\ud800\"", "invalid Unicode '\\uD800'"},
        {"\"\\udc00\"", "invalid Unicode '\\uDC00'"},
        {"\"\xff\"", "unable to decode byte 0xff"},
        {"{} {}", "line 1, column 4: end of file expected near '{'"},
        {"nul", "invalid token near 'nul'"},
        {"{\n  \"a\": tru\n}", "line 2, column 10: invalid token near 'tru'"},
        {"'a'", "invalid token"},
        {"{\"a\": 1,\n \"a\": 2}", "line 2, column 4: duplicate object key near '\"a\"'"},
        {"[\"\\u0000\"]", "\\u0000 is not allowed"},
        {"[1e999]", "real number overflow"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        gcb_jdoc d;
        cr_assert_neq(gcb_jdoc_parse(&d, bad[i].text, strlen(bad[i].text), err, sizeof err), 0,
                      "'%s' accepted", bad[i].text);
        cr_assert_null(d.root);
        cr_assert(strstr(err, bad[i].msg) != NULL, "'%s': error '%s' lacks '%s'", bad[i].text,
                  err, bad[i].msg);
        cr_assert(strncmp(err, "line ", 5) == 0, "'%s': no position in '%s'", bad[i].text, err);
    }
    /* Nesting is bounded (no stack overflow on hostile input). */
    static char deep[100001];
    memset(deep, '[', sizeof deep - 1);
    char err[256];
    gcb_jdoc d;
    cr_assert_neq(gcb_jdoc_parse(&d, deep, strlen(deep), err, sizeof err), 0);
    cr_assert(strstr(err, "maximum parsing depth") != NULL, "%s", err);
    /* An embedded NUL is not JSON text. */
    cr_assert_neq(gcb_jdoc_parse(&d, "[1]\0", 4, err, sizeof err), 0);
    cr_assert(strstr(err, "line 1, column 4: a NUL byte") != NULL, "%s", err);
}

static int fail_writer(FILE *f, const void *data)
{
    (void)data;
    fputs("partial", f);
    return -1;
}

static int ok_writer(FILE *f, const void *data)
{
    fputs(data, f);
    return 0;
}

Test(files, mkdir_p_and_atomic_write)
{
    char *dir = make_tmpdir();
    char *deep = path_join(dir, "a/b//c/");
    cr_assert_eq(gcb_mkdir_p(deep), 0, "%s", strerror(errno));
    cr_assert_eq(gcb_mkdir_p(deep), 0, "existing directory is fine");
    struct stat st;
    char *c = path_join(dir, "a/b/c");
    cr_assert_eq(stat(c, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));

    char err[512];
    cr_assert_eq(gcb_write_file_atomic(c, "x.txt", ok_writer, "hello\n", err, sizeof err), 0,
                 "%s", err);
    char *x = path_join(c, "x.txt");
    char *content = read_file(x);
    cr_assert_str_eq(content, "hello\n");

    /* A failing writer leaves the old file untouched and no temporary. */
    cr_assert_neq(gcb_write_file_atomic(c, "x.txt", fail_writer, NULL, err, sizeof err), 0);
    cr_assert(strstr(err, "x.txt") != NULL, "%s", err);
    cr_assert_str_eq(read_file(x), "hello\n");
    int entries = 0;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", c);
    FILE *p = popen(cmd, "r");
    cr_assert_eq(fscanf(p, "%d", &entries), 1);
    pclose(p);
    cr_assert_eq(entries, 1, "temporary file left behind");

    /* A path through a regular file cannot be created. */
    char *under_file = path_join(x, "sub");
    cr_assert_neq(gcb_mkdir_p(under_file), 0);
}

/* ======================================================================== */
/* end to end                                                               */
/* ======================================================================== */

static const char *const required_keys[] = {
    "collector", "workload", "size", "heap_limit_bytes", "wall_ns", "mutator_ns", "gc_ns",
    "collections", "pauses", "allocated_bytes", "allocated_objects", "peak_heap_bytes",
    "verified", "seed", "gc_share", "alloc_rate_bytes_per_s", "alloc_rate_objects_per_s",
    "collections_by_kind", "verify", "stress", "gcbench_version", "verification_detail",
    "exit_code", "mmu", "pauses_by_kind", "ns_per_alloc", "program", "collector_options",
    "phases", "phase_totals_ns", "debug_corrupt", "huge_pages", "max_steps", "warnings",
    "threads", "time_to_safepoint"};
static const char *const pause_keys[] = {"count",  "total_ns", "p50_ns", "p90_ns",
                                         "p99_ns", "p999_ns",  "max_ns"};

/* Data rows of a CSV file after checking its header; every row must have
 * the header's column count. */
static size_t csv_rows(const char *dir, const char *name, const char *header)
{
    char *path = path_join(dir, name);
    char *csv = read_file(path);
    cr_assert_not_null(csv, "no %s", path);
    size_t hl = strlen(header);
    cr_assert(strncmp(csv, header, hl) == 0 && csv[hl] == '\n', "%s: bad header: %.200s", name,
              csv);
    size_t commas = count_char(header, hl, ','), rows = 0;
    for (char *line = csv + hl + 1; *line != '\0'; rows++) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end, "%s: last row not terminated", name);
        cr_assert_eq(count_char(line, (size_t)(end - line), ','), commas,
                     "%s: row %zu has a different column count", name, rows + 1);
        line = end + 1;
    }
    return rows;
}

/* Checks DIR/pauses.csv and DIR/summary.json; returns the number of pauses. */
static size_t check_run_dir(const char *out, uint64_t heap_limit)
{
    char *csvp = path_join(out, "pauses.csv");
    char *csv = read_file(csvp);
    cr_assert_not_null(csv, "no %s", csvp);
    /* marksweep's phases, named by the collector, then other_ns and (issue
     * 14, appended so no older column moved) tts_ns and mutators. */
    const char *header = "seq,start_ns,duration_ns,kind,reason,heap_before_bytes,heap_after_bytes,"
                         "phase_roots_ns,phase_mark_ns,phase_sweep_ns,other_ns,tts_ns,mutators\n";
    cr_assert(strncmp(csv, header, strlen(header)) == 0, "bad header: %.200s", csv);
    char *nl = strchr(csv, '\n');
    cr_assert_not_null(nl);
    size_t header_commas = count_char(csv, (size_t)(nl - csv), ',');
    size_t rows = 0;
    uint64_t prev_seq = 0;
    for (char *line = nl + 1; *line != '\0';) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end, "last row not terminated");
        cr_assert_eq(count_char(line, (size_t)(end - line), ','), header_commas,
                     "row %zu has a different column count", rows + 1);
        uint64_t seq = strtoull(line, NULL, 10);
        cr_assert_eq(seq, prev_seq + 1, "seq not consecutive");
        prev_seq = seq;
        /* Columns 3 (duration), 11 (other), 12 (tts), 13 (mutators): one
         * thread, so one mutator (0 only for a pause recorded with none
         * attached) and nothing to wait for. */
        uint64_t col[14] = {0};
        const char *c = line;
        for (int k = 1; k <= 13; k++) {
            col[k] = strtoull(c, NULL, 10);
            c = strchr(c, ',');
            if (c == NULL || c > end)
                break;
            c++;
        }
        cr_assert_leq(col[12], col[11], "row %zu: tts_ns %llu outside other_ns %llu", rows + 1,
                      (unsigned long long)col[12], (unsigned long long)col[11]);
        cr_assert_leq(col[11], col[3], "row %zu: other_ns beyond the duration", rows + 1);
        cr_assert_leq(col[13], 1, "row %zu: %llu mutators in a one-thread run", rows + 1,
                      (unsigned long long)col[13]);
        cr_assert_eq(col[12], 0, "row %zu: a one-thread pause waited %llu ns", rows + 1,
                     (unsigned long long)col[12]);
        rows++;
        line = end + 1;
    }

    char *jsonp = path_join(out, "summary.json");
    char *json = read_file(jsonp);
    cr_assert_not_null(json, "no %s", jsonp);
    const json_t *doc = jparse(json);
    cr_assert_not_null(doc, "summary.json is not valid JSON:\n%s", json);
    for (size_t i = 0; i < sizeof required_keys / sizeof required_keys[0]; i++)
        cr_assert_not_null(jget(doc, required_keys[i]), "summary.json lacks '%s'",
                           required_keys[i]);
    const json_t *pauses = jget(doc, "pauses");
    cr_assert(json_is_object(pauses));
    for (size_t i = 0; i < sizeof pause_keys / sizeof pause_keys[0]; i++)
        cr_assert_not_null(jget(pauses, pause_keys[i]), "pauses lacks '%s'", pause_keys[i]);
    cr_assert(json_is_boolean(jget(doc, "verified")));
    cr_assert(json_is_true(jget(doc, "verified")), "verified is not true");
    cr_assert_str_eq(jstr(jget(doc, "collector")), "marksweep");
    cr_assert_str_eq(jstr(jget(doc, "collector_options")), "");
    cr_assert_str_eq(jstr(jget(doc, "workload")), "trees");
    cr_assert_str_eq(jstr(jget(doc, "size")), "small");
    cr_assert_float_eq(jnum(jget(doc, "threads")), 1.0, 0.0);
    /* getrusage: the run faulted pages in (the heap's blocks at least), and
     * the peak RSS is in bytes (a process is more than 2 MiB) and at least
     * the peak heap. */
    double faults = jnum(jget(doc, "page_faults")), rss = jnum(jget(doc, "max_rss_bytes"));
    cr_assert_gt(faults, 0, "page_faults %.0f", faults);
    cr_assert_gt(rss, 2.0 * (1 << 20), "max_rss_bytes %.0f", rss);
    cr_assert_geq(rss, jnum(jget(doc, "peak_heap_bytes")), "max_rss_bytes %.0f below the peak heap", rss);
    /* One thread: no pause waited, so no time-to-safepoint figures. */
    const json_t *tts = jget(doc, "time_to_safepoint");
    cr_assert(json_is_object(tts));
    cr_assert_float_eq(jnum(jget(tts, "pauses_waited")), 0.0, 0.0);
    cr_assert(json_is_null(jget(tts, "p99_ns")));
    cr_assert(json_is_null(jget(tts, "max_ns")));
    const json_t *phases = jget(doc, "phases"), *totals = jget(doc, "phase_totals_ns");
    cr_assert(json_is_array(phases));
    cr_assert_eq(jlen(phases), 3);
    cr_assert_str_eq(jstr(jitem(phases, 0)), "roots");
    cr_assert_str_eq(jstr(jitem(phases, 1)), "mark");
    cr_assert_str_eq(jstr(jitem(phases, 2)), "sweep");
    /* The phases and other partition every pause: their totals add up to
     * the GC time exactly. */
    cr_assert_eq(jlen(totals), 4);
    uint64_t sum = 0, v, gc_total;
    for (size_t i = 0; i < jlen(totals); i++) {
        cr_assert_eq(ju64(jitem(totals, i), &v), 0);
        sum += v;
    }
    cr_assert_not_null(jget(totals, "other"));
    cr_assert_eq(ju64(jget(doc, "gc_ns"), &gc_total), 0);
    cr_assert_eq(sum, gc_total, "phase totals %llu != gc_ns %llu", (unsigned long long)sum,
                 (unsigned long long)gc_total);
    cr_assert_float_eq(jnum(jget(doc, "heap_limit_bytes")), (double)heap_limit, 0.5);
    cr_assert_float_eq(jnum(jget(pauses, "count")), (double)rows, 0.0,
                       "pauses.count != CSV rows (%zu)", rows);
    cr_assert_float_eq(jnum(jget(doc, "collections")), (double)rows, 0.0);
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 0.0, 0.0);
    cr_assert(json_is_array(jget(doc, "warnings")));
    cr_assert_eq(jlen(jget(doc, "warnings")), 0, "unexpected warnings in %s", json);
    double wall = jnum(jget(doc, "wall_ns")), gc = jnum(jget(doc, "gc_ns")),
           mut = jnum(jget(doc, "mutator_ns"));
    cr_assert(wall > 0);
    cr_assert_float_eq(wall, gc + mut, 0.5);
    cr_assert(jnum(jget(pauses, "p50_ns")) <= jnum(jget(pauses, "p90_ns")));
    cr_assert(jnum(jget(pauses, "p90_ns")) <= jnum(jget(pauses, "p99_ns")));
    cr_assert(jnum(jget(pauses, "p99_ns")) <= jnum(jget(pauses, "p999_ns")));
    cr_assert(jnum(jget(pauses, "p999_ns")) <= jnum(jget(pauses, "max_ns")));
    double share = jnum(jget(doc, "gc_share"));
    cr_assert(share >= 0.0 && share <= 1.0);
    cr_assert_float_eq(jnum(jget(doc, "ns_per_alloc")),
                       wall / jnum(jget(doc, "allocated_objects")), wall * 1e-9);

    /* marksweep has only full pauses. */
    const json_t *byk = jget(doc, "pauses_by_kind");
    cr_assert_eq(jlen(byk), rows > 0 ? 1 : 0);
    if (rows > 0)
        cr_assert_float_eq(jnum(jget(jget(byk, "full"), "count")), (double)rows, 0.0);

    /* Times count from the workload's start: every pause lies in [0, wall]. */
    uint64_t wall_ns = 0;
    cr_assert_eq(ju64(jget(doc, "wall_ns"), &wall_ns), 0);
    for (char *line = strchr(csv, '\n') + 1; *line != '\0'; line = strchr(line, '\n') + 1) {
        char *q;
        strtoull(line, &q, 10);
        uint64_t start = strtoull(q + 1, &q, 10), dur = strtoull(q + 1, NULL, 10);
        cr_assert_leq(start + dur, wall_ns, "pause at %llu + %llu outside the run (%llu ns)",
                      (unsigned long long)start, (unsigned long long)dur,
                      (unsigned long long)wall_ns);
    }

    /* heap.csv: a row per pause; mmu.csv: the mmu array, ending at wall. */
    cr_assert_eq(csv_rows(out, "heap.csv",
                          "seq,time_ns,kind,heap_before_bytes,heap_after_bytes,"
                          "live_after_bytes,limit_bytes"),
                 rows);
    const json_t *mmu = jget(doc, "mmu");
    cr_assert(json_is_array(mmu));
    cr_assert_geq(jlen(mmu), 1);
    cr_assert_eq(csv_rows(out, "mmu.csv", "window_ns,utilization"), jlen(mmu));
    uint64_t w = 0;
    cr_assert_eq(ju64(jget(jitem(mmu, jlen(mmu) - 1), "window_ns"), &w), 0);
    cr_assert_eq(w, wall_ns, "the last MMU window is the run");
    cr_assert_float_eq(jnum(jget(jitem(mmu, jlen(mmu) - 1), "utilization")), 1.0 - share, 1e-6);
    double max_ns = jnum(jget(pauses, "max_ns"));
    for (size_t i = 0; i < jlen(mmu); i++) {
        double wi = jnum(jget(jitem(mmu, i), "window_ns")), ui = jnum(jget(jitem(mmu, i), "utilization"));
        cr_assert(ui >= 0.0 && ui <= 1.0);
        if (wi <= max_ns)
            cr_assert_float_eq(ui, 0.0, 0.0, "MMU(%.0f) must be 0 below the max pause", wi);
        if (i > 0)
            cr_assert_gt(wi, jnum(jget(jitem(mmu, i - 1), "window_ns")));
    }
    return rows;
}

/* --pretouch faults the heap in before the timed region: the same run
 * takes a small fraction of the page faults inside it, and says so in the
 * header, the memory line and summary.json (a configuration key). */
Test(e2e, pretouch_moves_page_faults_out_of_the_run)
{
    char *dir = make_tmpdir();
    double faults[2];
    for (int pre = 0; pre < 2; pre++) {
        char *out = path_join(dir, pre ? "pre" : "plain");
        char outarg[4096];
        snprintf(outarg, sizeof outarg, "--out=%s", out);
        run_result r = run_gcbench(dir, "--collector=marksweep", "--workload=alloc", "--size=small", "--heap=16M",
                                   outarg, pre ? "--pretouch" : "--seed=1", NULL);
        cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
        const json_t *doc = jparse(read_file(path_join(out, "summary.json")));
        cr_assert_not_null(doc);
        cr_assert(json_is_boolean(jget(doc, "pretouch")));
        cr_assert_eq(json_is_true(jget(doc, "pretouch")), pre, "pretouch is not %s", pre ? "true" : "false");
        faults[pre] = jnum(jget(doc, "page_faults"));
        cr_assert_eq(strstr(r.out, "  pretouch\n") != NULL, pre, "header: %s", r.out);
        cr_assert_eq(strstr(r.out, "(the heap pretouched before it)") != NULL, pre, "memory line: %s", r.out);
    }
    cr_log_info("page faults in the run: %.0f plain, %.0f pretouched\n", faults[0], faults[1]);
    /* 16 MiB of free-list blocks is 4096 pages, faulted in during the plain run. */
    cr_assert_gt(faults[0], 3000, "the plain run faulted %.0f pages in", faults[0]);
    cr_assert_lt(faults[1] * 10, faults[0], "pretouched: %.0f page faults in the run, plain %.0f", faults[1],
                 faults[0]);
    /* A heap whose pretouch could take more than half the machine's memory
     * is refused before anything is committed (it was killed by the OOM
     * killer with --heap=64G on a 24 GiB machine). */
    run_result r = run_gcbench(dir, "--pretouch", "--heap=16384G", "--workload=alloc", "--size=small", NULL);
    cr_assert_eq(r.status, 2, "--pretouch --heap=16384G: exit %d: %s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "more than half of this machine's"), "%s", r.err);
}

Test(e2e, run_with_out_dir)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "runs/ms"); /* parents are created */
    char *outarg = malloc(strlen(out) + 8);
    sprintf(outarg, "--out=%s", out);
    run_result r = run_gcbench(dir, "--collector=marksweep", "--workload=trees", "--size=small",
                               "--heap=1M", outarg, NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "gcbench ") == r.out, "summary:\n%s", r.out);
    const char *lines[] = {"collector=marksweep", "workload=trees", "size=small",
                           "\nwall ",             "\ncollections ",  "\npauses ",
                           "\nallocated ",        "\npeak heap ",    "\nmemory ",
                           "\nverification    passed"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_assert(strstr(r.out, lines[i]) != NULL, "summary lacks '%s':\n%s", lines[i], r.out);
    cr_assert_str_eq(r.err, "");
    size_t rows = check_run_dir(out, 1 << 20);
    cr_assert_geq(rows, 1, "a 1 MiB heap must collect at least once");
}

Test(e2e, default_heap_out_dir)
{
    /* The exact command from the issue (default heap: 4M for --size=small,
     * so the run collects). */
    char *dir = make_tmpdir();
    char *out = path_join(dir, "out");
    char *outarg = malloc(strlen(out) + 8);
    sprintf(outarg, "--out=%s", out);
    run_result r = run_gcbench(dir, "--collector=marksweep", "--workload=trees", "--size=small",
                               outarg, NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "verification    passed") != NULL, "%s", r.out);
    cr_assert_geq(check_run_dir(out, GCB_DEFAULT_SMALL_HEAP_LIMIT), 1);
}

Test(e2e, separate_option_values_and_quiet)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "q");
    run_result r = run_gcbench(dir, "--collector", "marksweep", "--workload", "trees", "--size",
                               "small", "--heap", "2M", "--out", out, "--quiet", NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert_str_eq(r.out, "", "--quiet printed:\n%s", r.out);
    check_run_dir(out, 2 << 20);
}

static void expect_usage_error(const char *arg, const char *needle)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, arg, "--size=small", NULL);
    cr_assert_eq(r.status, 2, "%s: exit %d, expected 2; stderr:\n%s", arg, r.status, r.err);
    cr_assert(strncmp(r.err, "gcbench: ", 9) == 0, "%s: stderr:\n%s", arg, r.err);
    cr_assert(strstr(r.err, needle) != NULL, "%s: stderr lacks '%s':\n%s", arg, needle, r.err);
    cr_assert(strstr(r.err, "Try 'gcbench --help'.") != NULL, "%s: stderr:\n%s", arg, r.err);
    cr_assert_str_eq(r.out, "", "%s: stdout not empty:\n%s", arg, r.out);
}

Test(e2e, unknown_collector) { expect_usage_error("--collector=nosuch", "nosuch"); }
Test(e2e, unknown_workload) { expect_usage_error("--workload=nosuch", "nosuch"); }
Test(e2e, malformed_heap) { expect_usage_error("--heap=12Q", "12Q"); }
Test(e2e, unknown_option) { expect_usage_error("--bogus", "--bogus"); }
Test(e2e, positional_argument) { expect_usage_error("stray", "stray"); }
Test(e2e, bad_thread_counts)
{
    expect_usage_error("--threads=0", "invalid thread count '0' (expected an integer from 1 to 256");
    expect_usage_error("--threads=257", "invalid thread count '257'");
    expect_usage_error("--threads=two", "invalid thread count 'two'");
    expect_usage_error("--threads=", "invalid thread count ''");
}

/* --threads=1 is the default: the same summary header as without it, and
 * threads 1 in summary.json. */
Test(e2e, one_thread_is_the_default)
{
    char *dir = make_tmpdir();
    char *a = path_join(dir, "a"), *b = path_join(dir, "b");
    run_result r1 = run_gcbench(dir, "--size=small", "--heap=1M", "--out", a, NULL);
    run_result r2 = run_gcbench(dir, "--size=small", "--heap=1M", "--threads=1", "--out", b, NULL);
    cr_assert_eq(r1.status, 0, "%s", r1.err);
    cr_assert_eq(r2.status, 0, "%s", r2.err);
    char *h1 = strchr(r1.out, '\n'), *h2 = strchr(r2.out, '\n');
    cr_assert(h1 != NULL && h2 != NULL);
    *h1 = *h2 = '\0';
    cr_assert_str_eq(r1.out, r2.out);
    cr_assert_null(strstr(r1.out, "threads"), "%s", r1.out);
    cr_assert_null(strstr(h1 + 1, "time to safepoint"), "%s", h1 + 1);
    check_run_dir(a, 1 << 20);
    check_run_dir(b, 1 << 20);
}

Test(e2e, heap_exhausted)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--heap=192K", "--size=small", NULL);
    cr_assert_eq(r.status, 3, "exit %d, expected 3; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.err, "heap exhausted") != NULL, "stderr:\n%s", r.err);
}

Test(e2e, list)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--list", NULL);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    cr_assert(strstr(r.out, "collectors:\n") == r.out, "%s", r.out);
    cr_assert(strstr(r.out, "\n  marksweep ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "workloads:\n") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\n  trees ") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "collectors:") < strstr(r.out, "workloads:"));
    /* After the workloads, more indented than they are: --threads. */
    const char *note = strstr(r.out, "\n      (--threads=N, 1 to 256: ");
    cr_assert(note != NULL && note > strstr(r.out, "workloads:"), "%s", r.out);
}

/* The block of --list output about collector c: from its line to the next
 * line indented by exactly two spaces (or "workloads:"). */
static char *list_block(const char *out, const char *name)
{
    char head[96];
    snprintf(head, sizeof head, "\n  %s ", name);
    const char *at = strstr(out, head), *wl = strstr(out, "\nworkloads:\n");
    cr_assert(at != NULL && wl != NULL && at < wl, "--list lacks collector %s:\n%s", name, out);
    const char *end = at + 1;
    while ((end = strchr(end, '\n')) != NULL && end < wl &&
           !(end[1] == ' ' && end[2] == ' ' && end[3] != ' '))
        end++;
    if (end == NULL || end > wl)
        end = wl;
    size_t n = (size_t)(end - at);
    char *b = malloc(n + 2);
    memcpy(b, at, n);
    b[n] = '\n';
    b[n + 1] = '\0';
    return b;
}

/* --list prints, under each collector, every option it declares with its
 * type, help and default; nothing under a collector without options. */
Test(e2e, list_shows_options)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--list", NULL);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    size_t shown = 0;
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++) {
        char *block = list_block(r.out, (*c)->name);
        size_t lines = count_char(block, strlen(block), '\n') - 1;
        size_t nopt = 0;
        for (const gc_option_desc *d = (*c)->options; d->name != NULL; d++, nopt++) {
            char want[96];
            snprintf(want, sizeof want, "\n      %s=", d->name);
            const char *line = strstr(block, want);
            cr_assert_not_null(line, "%s: option %s not listed:\n%s", (*c)->name, d->name, block);
            const char *eol = strchr(line + 1, '\n');
            const char *help = strstr(line, d->help);
            cr_assert(help != NULL && help < eol, "%s: no help for %s:\n%s", (*c)->name, d->name,
                      block);
            const char *def = strstr(help + strlen(d->help), d->def);
            cr_assert(def != NULL && def < eol, "%s: no default for %s:\n%s", (*c)->name, d->name,
                      block);
        }
        cr_assert_eq(lines, 1 + nopt, "%s: %zu option lines expected:\n%s", (*c)->name, nopt,
                     block);
        shown += nopt;
    }
    if (shown == 0)
        cr_skip_test("no registered collector declares options");
    /* The standard registry's options, as the docs show them. */
    if (gc_collector_find("generational") != NULL)
        cr_assert(strstr(list_block(r.out, "generational"), "\n      nursery=SIZE ") != NULL,
                  "%s", r.out);
    if (gc_collector_find("refcount") != NULL)
        cr_assert(strstr(list_block(r.out, "refcount"), "\n      cycles=on|off ") != NULL, "%s",
                  r.out);
}

/* The first registered collector that declares options, and the first that
 * declares none (NULL when there is no such collector). */
static const gc_collector_ops *collector_with_options(bool with)
{
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++)
        if (((*c)->options[0].name != NULL) == with)
            return *c;
    return NULL;
}

/* A collector option reaches the collector whichever way it is given:
 * NAME:OPTIONS, --gc-options, the --nursery alias; the last value of a name
 * counts. Generational reports the nursery it used as nursery_bytes. */
Test(e2e, collector_options_reach_the_collector)
{
    if (gc_collector_find("generational") == NULL)
        cr_skip_test("no generational collector in this registry");
    struct {
        const char *a, *b, *opts;
        double nursery;
    } cases[] = {
        {"--collector=generational:nursery=1M", NULL, "nursery=1M", 1 << 20},
        {"--collector=generational", "--gc-options=nursery=512K", "nursery=512K", 512 << 10},
        {"--collector=generational", "--nursery=768K", "nursery=768K", 768 << 10},
        {"--nursery=768K", "--collector=generational:nursery=1M", "nursery=1M,nursery=768K",
         768 << 10},
    };
    char *dir = make_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "run%zu", i);
        char *out = path_join(dir, name);
        run_result r = cases[i].b != NULL
                           ? run_gcbench(dir, cases[i].a, cases[i].b, "--size=small", "--heap=8M",
                                         "--out", out, NULL)
                           : run_gcbench(dir, cases[i].a, "--size=small", "--heap=8M", "--out",
                                         out, NULL);
        cr_assert_eq(r.status, 0, "%s %s: exit %d; stderr:\n%s", cases[i].a,
                     cases[i].b ? cases[i].b : "", r.status, r.err);
        char want[128];
        snprintf(want, sizeof want, "  collector=generational:%s  ", cases[i].opts);
        cr_assert(strstr(r.out, want) != NULL, "summary lacks '%s':\n%s", want, r.out);
        const json_t *doc = jparse(read_file(path_join(out, "summary.json")));
        cr_assert_not_null(doc);
        cr_assert_str_eq(jstr(jget(doc, "collector")), "generational");
        cr_assert_str_eq(jstr(jget(doc, "collector_options")), cases[i].opts);
        cr_assert_not_null(jget(doc, "nursery_bytes"), "%s", cases[i].a);
        cr_assert_float_eq(jnum(jget(doc, "nursery_bytes")), cases[i].nursery, 0.0, "%s %s",
                           cases[i].a, cases[i].b ? cases[i].b : "");
    }
}

/* Runs gcbench with args (NULL-terminated) and --out: it must stop with exit
 * 2 before running (no run directory, no summary), its message naming the
 * collector and holding each needle. */
static void expect_option_error(const char *collector, const char *const needles[], ...)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "run"), *outarg = malloc(strlen(out) + 8);
    sprintf(outarg, "--out=%s", out);
    const char *argv[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, needles);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 5;)
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "--size=small";
    argv[n++] = outarg;
    while (n < 8)
        argv[n++] = NULL;
    run_result r = run_gcbench(dir, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
                               argv[6], argv[7], NULL);
    cr_assert_eq(r.status, 2, "%s %s: exit %d, expected 2; stderr:\n%s", argv[0],
                 argv[1] ? argv[1] : "", r.status, r.err);
    cr_assert_str_eq(r.out, "", "%s: stdout not empty:\n%s", argv[0], r.out);
    cr_assert(strncmp(r.err, "gcbench: ", 9) == 0, "%s", r.err);
    char quoted[96];
    snprintf(quoted, sizeof quoted, "'%s'", collector);
    cr_assert(strstr(r.err, quoted) != NULL, "%s: stderr does not name %s:\n%s", argv[0],
              quoted, r.err);
    for (size_t i = 0; needles[i] != NULL; i++)
        cr_assert(strstr(r.err, needles[i]) != NULL, "%s %s: stderr lacks '%s':\n%s", argv[0],
                  argv[1] ? argv[1] : "", needles[i], r.err);
    cr_assert(strstr(r.err, "\nTry 'gcbench --list' for each collector's options.\n") != NULL,
              "%s: the runner's own check did not catch it:\n%s", argv[0], r.err);
    struct stat st;
    cr_assert_neq(stat(out, &st), 0, "%s: a run directory was written", argv[0]);
}

/* An option the collector does not declare, a malformed value, or any
 * option for a collector that has none: exit 2 before running, naming the
 * collector and listing its valid options. (In the standard registry:
 * generational:bogus=1, generational with nursery=abc, marksweep:foo=1.) */
Test(e2e, bad_collector_options_exit_2)
{
    const gc_collector_ops *with = collector_with_options(true),
                           *without = collector_with_options(false);
    if (with == NULL || without == NULL)
        cr_skip_test("needs a collector with options and one without");
    char spec[128], gcopt[128], opts[256];
    /* Every valid option is listed as name=TYPE. */
    const char *listed[GC_MAX_OPTIONS + 3];
    size_t k = 0;
    size_t len = 0;
    for (const gc_option_desc *d = with->options; d->name != NULL; d++) {
        char *item = opts + len;
        len += (size_t)snprintf(item, sizeof opts - len, "%s=", d->name) + 1;
        listed[k++] = item;
    }
    listed[k] = "unknown option 'bogus'";
    listed[k + 1] = NULL;
    snprintf(spec, sizeof spec, "--collector=%s:bogus=1", with->name);
    expect_option_error(with->name, listed, spec, NULL);

    /* A malformed value of its first option (no type accepts "abc"). */
    snprintf(spec, sizeof spec, "--collector=%s", with->name);
    snprintf(gcopt, sizeof gcopt, "--gc-options=%s=abc", with->options[0].name);
    const char *const malformed[] = {"'abc'", with->options[0].name, NULL};
    expect_option_error(with->name, malformed, spec, gcopt, NULL);
    snprintf(gcopt, sizeof gcopt, "--gc-options=%s", with->options[0].name);
    const char *const no_value[] = {"no value", NULL};
    expect_option_error(with->name, no_value, spec, gcopt, NULL);

    /* A collector without options takes none, the aliases included. */
    const char *const none[] = {"unknown option 'foo'", "no options", NULL};
    snprintf(spec, sizeof spec, "--collector=%s:foo=1", without->name);
    expect_option_error(without->name, none, spec, NULL);
    snprintf(spec, sizeof spec, "--collector=%s", without->name);
    const char *const cycles[] = {"unknown option 'cycles'", "no options", NULL};
    expect_option_error(without->name, cycles, spec, "--rc-cycles=off", NULL);
    const char *const nursery[] = {"unknown option 'nursery'", "no options", NULL};
    expect_option_error(without->name, nursery, spec, "--nursery=1M", NULL);
}

Test(e2e, help_and_version)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--help", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: gcbench") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "--collector") != NULL);
    cr_assert(strstr(r.out, "[--threads=N]") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\n  --threads=N       mutator threads, 1 to 256") != NULL, "%s", r.out);
    r = run_gcbench(dir, "--version", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.out, "gcbench " GCBENCH_VERSION "\n");
}

Test(e2e, verify_and_stress)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--verify", "--stress=1000", "--size=small", NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "verify  stress=1000") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "verification    passed") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "pauses          count ") != NULL, "stress must collect:\n%s",
              r.out);
}

Test(e2e, unwritable_out_dir)
{
    char *dir = make_tmpdir();
    char *file = path_join(dir, "file");
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    char arg[1024];
    snprintf(arg, sizeof arg, "--out=%s/sub", file);
    run_result r = run_gcbench(dir, "--size=small", arg, NULL);
    cr_assert_eq(r.status, 1, "exit %d, expected 1; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.err, "gcbench: cannot create output directory") != NULL, "%s", r.err);
}

Test(e2e, log_gc_one_line_per_pause)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "run");
    run_result r = run_gcbench(dir, "--size=small", "--heap=1M", "--log-gc", "--out", out,
                               "--quiet", NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    size_t rows = check_run_dir(out, 1 << 20);
    cr_assert_geq(rows, 1);
    size_t lines = 0;
    for (char *line = r.err; *line != '\0'; lines++) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        *end = '\0';
        char expect[32];
        snprintf(expect, sizeof expect, "gc %zu @", lines + 1);
        cr_assert(strncmp(line, expect, strlen(expect)) == 0, "line %zu: %s", lines + 1, line);
        cr_assert(strstr(line, "s full (") != NULL, "%s", line);
        cr_assert(strstr(line, "ms: ") != NULL && strstr(line, "->") != NULL, "%s", line);
        cr_assert(strstr(line, " (1.0M) ") != NULL, "%s", line);
        cr_assert(strstr(line, " mark ") != NULL, "%s", line);
        cr_assert_null(strstr(line, "mutators"), "one thread: no handshake figures: %s", line);
        line = end + 1;
    }
    cr_assert_eq(lines, rows, "%zu log lines for %zu pauses", lines, rows);

    /* Without --log-gc stderr stays empty. */
    r = run_gcbench(dir, "--size=small", "--heap=1M", "--quiet", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert_str_eq(r.err, "");
}

/* Every registered collector through the runner: pauses.csv has one column
 * per phase the collector declares (phase_NAME_ns) then other_ns (then
 * tts_ns and mutators, every row as many fields as the header), and
 * summary.json the same names; pauses_by_kind adds up,
 * the MMU curve ends at 1 - gc_share, and whatever the collector reports
 * through ops->stats appears both as a top-level integer key of
 * summary.json and on the stdout `collector` line. */
Test(e2e, every_collector_summary)
{
    char *dir = make_tmpdir();
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++) {
        char *out = path_join(dir, (*c)->name), arg[128];
        snprintf(arg, sizeof arg, "--collector=%s", (*c)->name);
        run_result r = run_gcbench(dir, arg, "--size=small", "--heap=2M", "--out", out, NULL);
        cr_assert_eq(r.status, 0, "%s: exit %d; stderr:\n%s", (*c)->name, r.status, r.err);
        const json_t *doc = jparse(read_file(path_join(out, "summary.json")));
        cr_assert_not_null(doc, "%s", (*c)->name);

        char header[1024];
        size_t hl = (size_t)snprintf(header, sizeof header, "%s", GCB_PAUSES_CSV_FIXED);
        const json_t *phases = jget(doc, "phases"), *totals = jget(doc, "phase_totals_ns");
        size_t np = 0;
        for (; (*c)->phases[np] != NULL; np++) {
            hl += (size_t)snprintf(header + hl, sizeof header - hl, ",phase_%s_ns",
                                   (*c)->phases[np]);
            cr_assert(np < jlen(phases) && strcmp(jstr(jitem(phases, np)), (*c)->phases[np]) == 0,
                      "%s: summary.json phases", (*c)->name);
            cr_assert_not_null(jget(totals, (*c)->phases[np]), "%s: no total for %s",
                               (*c)->name, (*c)->phases[np]);
        }
        snprintf(header + hl, sizeof header - hl, ",other_ns,tts_ns,mutators\n");
        cr_assert_eq(jlen(phases), np, "%s", (*c)->name);
        cr_assert_eq(jlen(totals), np + 1, "%s", (*c)->name);
        char *csv = read_file(path_join(out, "pauses.csv"));
        cr_assert(strncmp(csv, header, strlen(header)) == 0, "%s: header %.300s, expected %s",
                  (*c)->name, csv, header);
        header[strlen(header) - 1] = '\0';
        cr_assert_eq(csv_rows(out, "pauses.csv", header), (size_t)jnum(jget(doc, "collections")),
                     "%s", (*c)->name);
        if (strcmp((*c)->name, "refcount") == 0)
            cr_assert(strstr(header, ",phase_MarkGray_ns,phase_Scan_ns,phase_CollectWhite_ns,") !=
                          NULL,
                      "%s", header);

        double count = jnum(jget(jget(doc, "pauses"), "count")), sum = 0;
        const json_t *byk = jget(doc, "pauses_by_kind");
        for (size_t i = 0; i < jlen(byk); i++) {
            sum += jnum(jget(jitem(byk, i), "count"));
            cr_assert_float_eq(jnum(jget(jitem(byk, i), "count")),
                               jnum(jget(jget(doc, "collections_by_kind"), jkey(byk, i))), 0.0);
        }
        cr_assert_float_eq(sum, count, 0.0, "%s: per-kind counts", (*c)->name);
        const json_t *mmu = jget(doc, "mmu");
        cr_assert_float_eq(jnum(jget(jitem(mmu, jlen(mmu) - 1), "utilization")),
                           1.0 - jnum(jget(doc, "gc_share")), 1e-6, "%s", (*c)->name);

        const char *line = strstr(r.out, "\ncollector       ");
        size_t figures = 0;
        for (size_t i = 0; i < jlen(doc); i++) {
            if (gcb_summary_key_reserved(jkey(doc, i)))
                continue;
            uint64_t v;
            cr_assert_eq(ju64(jitem(doc, i), &v), 0, "%s: figure %s", (*c)->name,
                         jkey(doc, i));
            char pair[128];
            snprintf(pair, sizeof pair, "%s %llu", jkey(doc, i), (unsigned long long)v);
            cr_assert(line != NULL && strstr(line, pair) != NULL && strstr(line, pair) < strchr(line + 1, '\n'),
                      "%s: '%s' not on the collector line:\n%s", (*c)->name, pair, r.out);
            figures++;
        }
        cr_assert_eq(line != NULL, figures > 0, "%s:\n%s", (*c)->name, r.out);
    }
}

Test(e2e, debug_corrupt_exits_4)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "run");
    run_result r = run_gcbench(dir, "--workload=trees", "--size=small", "--debug-corrupt=1",
                               "--out", out, NULL);
    cr_assert_eq(r.status, 4, "exit %d, expected 4; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "debug-corrupt=1") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "\nverification    FAILED") != NULL, "%s", r.out);
    cr_assert(strstr(r.err, "gcbench: verification FAILED: ") != NULL, "%s", r.err);
    const json_t *doc = jparse(read_file(path_join(out, "summary.json")));
    cr_assert_not_null(doc);
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 4.0, 0.0);
    cr_assert_float_eq(jnum(jget(doc, "debug_corrupt")), 1.0, 0.0);
}

Test(e2e, program_without_vm_or_file_exits_2)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--program=/nonexistent/p.gca", "--size=small", NULL);
    cr_assert_eq(r.status, 2, "exit %d, expected 2; stderr:\n%s", r.status, r.err);
    cr_assert(strncmp(r.err, "gcbench: ", 9) == 0, "%s", r.err);
    cr_assert_str_eq(r.out, "", "no summary for bad input:\n%s", r.out);
    if (wl_find(GCB_PROGRAM_WORKLOAD) == NULL)
        cr_assert(strstr(r.err, "--program needs the 'program' workload") != NULL, "%s", r.err);

    r = run_gcbench(dir, "--program=p.gca", "--workload=trees", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "cannot be combined") != NULL, "%s", r.err);
}

/* Two quick runs (1M and 2M heaps) for the compare tests. */
static void make_two_runs(const char *dir, char **a, char **b)
{
    *a = path_join(dir, "ms1");
    *b = path_join(dir, "ms2");
    run_result r = run_gcbench(dir, "--size=small", "--heap=1M", "--quiet", "--out", *a, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    r = run_gcbench(dir, "--size=small", "--heap=2M", "--quiet", "--out", *b, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
}

Test(e2e, compare_formats)
{
    char *dir = make_tmpdir();
    char *a, *b;
    make_two_runs(dir, &a, &b);

    /* --no-group: one column per run, headed by its directory (the format
     * before issue 15). */
    run_result r = run_gcbench(dir, "compare", "--no-group", a, b, NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert_str_eq(r.err, "");
    char *nl = strchr(r.out, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    cr_assert(strstr(r.out, a) != NULL && strstr(r.out, b) > strstr(r.out, a),
              "header names both runs in order: %s", r.out);
    const char *rest = nl + 1;
    const char *rows[] = {"\nworkload ", "\nthreads ", "\nwall ", "\nGC share ", "\npauses ",
                          "\np50 pause ", "\np99 pause ", "\nmax pause ", "\np99 tts ",
                          "\nMMU 1 ms ", "\nMMU 10 ms ", "\nMMU 100 ms ", "\npeak heap "};
    cr_assert(strncmp(rest, "collector ", 10) == 0, "%s", rest);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_assert(strstr(rest, rows[i]) != NULL, "no row '%s':\n%s", rows[i] + 1, rest);
    const char *heap = strstr(rest, "\nheap ");
    cr_assert_not_null(heap);
    const char *one = strstr(heap, " 1.0 MiB (1.00x)  "), *two = strstr(heap, " 2.0 MiB (2.00x)\n");
    cr_assert(one != NULL && two != NULL && one < two && strchr(heap + 1, '\n') == two + 16,
              "heap row: %s", rest);
    cr_assert(strstr(rest, "marksweep") != NULL, "%s", rest);
    cr_assert(strstr(rest, "\nMMU 100 ms") != NULL);
    /* One thread each: threads 1, and no time to safepoint (not 0). */
    const char *thr = strstr(rest, "\nthreads "), *tts = strstr(rest, "\np99 tts ");
    cr_assert(thr != NULL && strstr(thr, " 1 (1.00x)  ") != NULL &&
                  strstr(thr, " 1 (1.00x)\n") == strchr(thr + 1, '\n') - 10,
              "threads row: %s", rest);
    cr_assert(tts != NULL && strstr(tts, " -  ") != NULL && strstr(tts, " -\n") == strchr(tts + 1, '\n') - 2,
              "p99 tts row: %s", rest);

    r = run_gcbench(dir, "compare", "--format=csv", "--no-group", a, b, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *hdr = "run,collector,workload,heap_limit_bytes,wall_ns,gc_share,pause_count,"
                      "p50_ns,p99_ns,max_ns,mmu_1ms,mmu_10ms,mmu_100ms,peak_heap_bytes,"
                      "heap_limit_bytes_ratio,";
    cr_assert(strncmp(r.out, hdr, strlen(hdr)) == 0, "%s", r.out);
    /* Issue 14's figures after every older column (values, then ratios). */
    const char *hdr_end = ",peak_heap_bytes_ratio,threads,tts_p99_ns,threads_ratio,tts_p99_ns_ratio,"
                          "page_faults,max_rss_bytes,page_faults_ratio,max_rss_bytes_ratio\n";
    cr_assert(strstr(r.out, hdr_end) == strchr(r.out, '\n') - strlen(hdr_end) + 1, "%s", r.out);
    size_t len = strlen(r.out);
    cr_assert_eq(count_char(r.out, len, '\n'), 3, "header and one row per run:\n%s", r.out);
    char *row2 = strchr(strchr(r.out, '\n') + 1, '\n') + 1;
    char expect[512];
    snprintf(expect, sizeof expect, "%s,marksweep,trees,2097152,", b);
    cr_assert(strncmp(row2, expect, strlen(expect)) == 0, "%s", row2);
    cr_assert(strstr(row2, ",1,,1,,") != NULL, "threads 1, no tts, ratio 1, none: %s", row2);
    cr_assert(strstr(row2, ",2,") != NULL, "heap ratio 2 in: %s", row2);

    r = run_gcbench(dir, "compare", "--format", "html", "--no-group", a, b, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "<table class=\"gcbench-compare\">\n", 32) == 0, "%s", r.out);
    cr_assert(strstr(r.out, "<th>wall</th><td>") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "<span class=\"ratio\">(2.00x)</span>") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "</table>\n") != NULL, "%s", r.out);
    cr_assert_null(strstr(r.out, "<th>runs</th>"), "%s", r.out);

    /* Grouped (the default), the two heaps are two configurations of one
     * run each, told apart by their heap in the header. */
    r = run_gcbench(dir, "compare", a, b, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    nl = strchr(r.out, '\n');
    cr_assert(nl != NULL && strncmp(nl + 1, "runs ", 5) == 0, "%s", r.out);
    *nl = '\0';
    const char *h1 = strstr(r.out, "marksweep heap=1.0 MiB"),
               *h2 = strstr(r.out, "marksweep heap=2.0 MiB");
    cr_assert(h1 != NULL && h2 > h1, "header: %s", r.out);
    cr_assert(strstr(nl + 1, " 1.0 MiB (1.00x)  ") != NULL && strstr(nl + 1, " 2.0 MiB (2.00x)\n"),
              "%s", nl + 1);
    char line[1024];
    snprintf(line, sizeof line, "\n  marksweep heap=1.0 MiB: %s\n  marksweep heap=2.0 MiB: %s\n",
             a, b);
    cr_assert(strstr(nl + 1, line) != NULL, "each column's runs at the end:\n%s", nl + 1);
    r = run_gcbench(dir, "compare", "--format=html", a, b, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "<tr><th>runs</th><td>1</td><td>1</td></tr>") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "<th>run directories</th>") != NULL, "%s", r.out);

    /* One run is enough (all ratios 1.00x). */
    r = run_gcbench(dir, "compare", a, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_null(strstr(r.out, "(2.00x)"), "%s", r.out);
}

/* A run from summary text, its document freed at exit with the others. */
static gcb_compare_run crun(const char *dir, const char *text)
{
    gcb_compare_run run;
    char err[256];
    cr_assert_eq(gcb_compare_parse(dir, "summary.json", text, strlen(text), &run, err, sizeof err),
                 0, "%s", err);
    if (tb_ndocs == tb_capdocs) {
        tb_capdocs = tb_capdocs ? 2 * tb_capdocs : 16;
        tb_docs = realloc(tb_docs, tb_capdocs * sizeof *tb_docs);
        if (tb_docs == NULL)
            abort();
    }
    tb_docs[tb_ndocs++] = run.doc;
    return run;
}

Test(compare, in_process_ratios_and_escaping)
{
    gcb_compare_run runs[2] = {
        crun("a<&>\"'", "{\"collector\": \"m<s>\", \"pauses\": {\"count\": 0}, "
                        "\"wall_ns\": 2000000}"),
        crun("b", "{\"collector\": \"c\", \"pauses\": {\"count\": 5}, \"wall_ns\": 1000000}")};
    char err[256], *out;
    CAPTURE(out, cr_assert_eq(
                     gcb_compare_write(f, GCB_COMPARE_HTML, false, runs, 2, err, sizeof err), 0));
    cr_assert(strstr(out, "<th>a&lt;&amp;&gt;&quot;&#39;</th>") != NULL, "%s", out);
    cr_assert(strstr(out, "<td>m&lt;s&gt;</td>") != NULL, "%s", out);
    /* A zero base has no ratio; a known one does. */
    cr_assert(strstr(out, "<tr><th>pauses</th><td>0</td><td>5</td></tr>") != NULL, "%s", out);
    cr_assert(strstr(out, "<td>1.0 ms <span class=\"ratio\">(0.50x)</span></td>") != NULL, "%s",
              out);
    CAPTURE(out, cr_assert_eq(
                     gcb_compare_write(f, GCB_COMPARE_CSV, false, runs, 2, err, sizeof err), 0));
    cr_assert(strstr(out, "\n\"a<&>\"\"'\",m<s>,,,2000000,,0,") != NULL, "%s", out);
    cr_assert(strstr(out, "\nb,c,,,1000000,,5,") != NULL, "%s", out);
    /* The wall ratio where it always was, then issue 14's four columns and
     * issue 17's four. */
    cr_assert(strstr(out, ",,0.5,,,,,,,,,,,,,,,,,\n") != NULL, "wall ratio only: %s", out);
}

static void expect_compare_error(const char *dir, const char *arg, const char *needle)
{
    run_result r = run_gcbench(dir, "compare", arg, NULL);
    cr_assert_eq(r.status, 2, "compare %s: exit %d, expected 2; stderr:\n%s", arg, r.status,
                 r.err);
    cr_assert(strncmp(r.err, "gcbench: ", 9) == 0, "%s", r.err);
    cr_assert(strstr(r.err, needle) != NULL, "compare %s: stderr lacks '%s':\n%s", arg, needle,
              r.err);
    cr_assert_str_eq(r.out, "", "nothing on stdout on error:\n%s", r.out);
}

static char *write_summary(const char *dir, const char *name, const char *content)
{
    char *d = path_join(dir, name);
    cr_assert_eq(mkdir(d, 0777), 0);
    FILE *f = fopen(path_join(d, "summary.json"), "w");
    cr_assert_not_null(f);
    fputs(content, f);
    fclose(f);
    return d;
}

Test(e2e, compare_errors)
{
    char *dir = make_tmpdir();
    expect_compare_error(dir, path_join(dir, "missing"), "cannot read run directory");
    expect_compare_error(dir, dir, "has no summary.json");
    FILE *f = fopen(path_join(dir, "file"), "w");
    fclose(f);
    expect_compare_error(dir, path_join(dir, "file"), "not a directory");
    expect_compare_error(dir, write_summary(dir, "trunc", "{\"wall_ns\": 12"),
                         "is not valid JSON: line 1, column 14: '}' expected near end of file");
    expect_compare_error(dir, write_summary(dir, "arr", "[1, 2]"), "not a JSON object");
    expect_compare_error(dir, write_summary(dir, "typed", "{\"wall_ns\": \"fast\"}"),
                         "'wall_ns' has the wrong type");
    expect_compare_error(dir, write_summary(dir, "mmu", "{\"mmu\": [{\"window_ns\": -1}]}"),
                         "'mmu' has the wrong type");
    expect_compare_error(dir, write_summary(dir, "tts", "{\"time_to_safepoint\": 5}"),
                         "'time_to_safepoint.p99_ns' has the wrong type");
    expect_compare_error(dir,
                         write_summary(dir, "tts2", "{\"time_to_safepoint\": {\"p99_ns\": -3}}"),
                         "'time_to_safepoint.p99_ns' is -3, outside 0..2^64-1");
    expect_compare_error(dir, write_summary(dir, "thr", "{\"threads\": \"two\"}"),
                         "'threads' has the wrong type");
    expect_compare_error(dir, "--format=pdf", "invalid --format 'pdf'");
    expect_compare_error(dir, "--bogus", "unrecognized option '--bogus'");

    run_result r = run_gcbench(dir, "compare", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "at least one run directory") != NULL, "%s", r.err);

    /* A summary with figures missing is fine: they show as "-". */
    char *sparse = write_summary(dir, "sparse", "{\"collector\": \"x\", \"wall_ns\": 5000000}");
    r = run_gcbench(dir, "compare", "--no-group", sparse, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *wall = strstr(r.out, "\nwall "), *peak = strstr(r.out, "\npeak heap ");
    cr_assert(wall != NULL && strstr(wall, " 5.0 ms (1.00x)\n") == strchr(wall + 1, '\n') - 15,
              "%s", r.out);
    cr_assert(peak != NULL && strcmp(peak + strlen(peak) - 3, " -\n") == 0, "%s", r.out);
    /* A summary from before issue 14 (no threads, no time_to_safepoint)
     * beside a multi-threaded one: absent shows as "-", never 0, and gets
     * no ratio. */
    char *mt = write_summary(dir, "mt",
                             "{\"collector\": \"x\", \"wall_ns\": 4000000, \"threads\": 2, "
                             "\"time_to_safepoint\": {\"pauses_waited\": 3, \"p50_ns\": 1000, "
                             "\"p99_ns\": 12300, \"max_ns\": 12300, \"mean_ns\": 5000}}");
    r = run_gcbench(dir, "compare", "--no-group", sparse, mt, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *thr = strstr(r.out, "\nthreads "), *tts = strstr(r.out, "\np99 tts ");
    cr_assert(thr != NULL && strncmp(strchr(thr + 1, '\n') - 3, "  2\n", 4) == 0 &&
                  strstr(thr, " -  ") < strchr(thr + 1, '\n'),
              "%s", r.out);
    cr_assert(tts != NULL && strncmp(strchr(tts + 1, '\n') - 8, " 12.3 us\n", 9) == 0 &&
                  strstr(tts, " -  ") < strchr(tts + 1, '\n'),
              "%s", r.out);
    r = run_gcbench(dir, "compare", "--format=csv", "--no-group", mt, sparse, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, ",2,12300,1,1,,,,\n") != NULL, "%s", r.out); /* no page faults: older summaries */
    cr_assert(strstr(r.out, ",,,,\n") != NULL, "absent, no ratio: %s", r.out);

    r = run_gcbench(dir, "compare", "--help", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: gcbench compare") != NULL, "%s", r.out);
}

/* A summary.json of a made-up run (figures chosen so that medians are
 * known by hand). */
static char *synth_summary(const char *dir, const char *name, const char *collector,
                           const char *seed, unsigned long wall_ns, const char *gc_share,
                           unsigned count, const char *mmu_1ms)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\n  \"collector\": \"%s\",\n  \"collector_options\": \"\",\n"
             "  \"workload\": \"trees\",\n  \"program\": null,\n  \"size\": \"small\",\n"
             "  \"heap_limit_bytes\": 4194304,\n  \"seed\": %s,\n  \"threads\": 1,\n"
             "  \"verify\": false,\n  \"stress\": 0,\n  \"wall_ns\": %lu,\n  \"gc_share\": %s,\n"
             "  \"pauses\": {\"count\": %u, \"p50_ns\": 1000, \"p99_ns\": 2000, \"max_ns\": 3000},\n"
             "  \"mmu\": [{\"window_ns\": 1000000, \"utilization\": %s}],\n"
             "  \"peak_heap_bytes\": 1048576\n}\n",
             collector, seed, wall_ns, gc_share, count, mmu_1ms);
    return write_summary(dir, name, text);
}

/* The field of a CSV row in the named column (no quoted commas in these
 * rows); NULL when there is no such column. */
static char *csv_field(const char *header, const char *row, const char *column)
{
    size_t col = 0;
    const char *h = header;
    size_t clen = strlen(column);
    for (;;) {
        const char *end = h + strcspn(h, ",\n");
        if ((size_t)(end - h) == clen && strncmp(h, column, clen) == 0)
            break;
        if (*end != ',')
            return NULL;
        h = end + 1;
        col++;
    }
    const char *r = row;
    for (size_t i = 0; i < col; i++) {
        r += strcspn(r, ",\n");
        if (*r != ',')
            return NULL;
        r++;
    }
    return tb_track(strndup(r, strcspn(r, ",\n")));
}

/* Line k (0-based) of text, without its newline. */
static char *line_of(const char *text, size_t k)
{
    for (size_t i = 0; i < k && text != NULL; i++) {
        text = strchr(text, '\n');
        if (text != NULL)
            text++;
    }
    cr_assert_not_null(text, "no line %zu", k);
    return tb_track(strndup(text, strcspn(text, "\n")));
}

/* The row of a text table whose label is `label` (followed by spaces). */
static const char *text_row(const char *out, const char *label)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\n%s  ", label);
    const char *p = strstr(out, needle);
    cr_assert_not_null(p, "no row '%s' in:\n%s", label, out);
    return tb_track(strndup(p + 1, strcspn(p + 1, "\n")));
}

/* Three collectors x three runs, given interleaved: three columns in the
 * order of their first runs, each with the median, [min..max] and the
 * ratio of medians that these hand-made figures give. */
Test(e2e, compare_groups_repeated_runs)
{
    char *dir = make_tmpdir();
    struct { const char *name, *coll; unsigned long wall; const char *share; unsigned count;
             const char *mmu; } runs[] = {
        {"ms1", "marksweep", 3000000, "0.3", 12, "0.5"},
        {"cp1", "copying", 4000000, "0.5", 20, "0.4"},
        {"gen1", "generational", 1000000, "0.25", 30, "0.9"},
        {"ms2", "marksweep", 1000000, "0.1", 10, "0.7"},
        {"cp2", "copying", 5000000, "0.5", 20, "0.4"},
        {"gen2", "generational", 1000000, "0.75", 50, "0.7"},
        {"ms3", "marksweep", 2000000, "0.2", 11, "0.6"},
        {"cp3", "copying", 4000000, "0.5", 20, "0.4"},
        {"gen3", "generational", 1000000, "0.5", 40, "0.8"},
    };
    char *d[9];
    for (size_t i = 0; i < 9; i++)
        d[i] = synth_summary(dir, runs[i].name, runs[i].coll, "1", runs[i].wall, runs[i].share,
                             runs[i].count, runs[i].mmu);

    run_result r = run_gcbench(dir, "compare", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                               d[8], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *hdr = line_of(r.out, 0);
    const char *ms = strstr(hdr, " marksweep"), *cp = strstr(hdr, " copying"),
               *gen = strstr(hdr, " generational");
    cr_assert(ms != NULL && cp > ms && gen > cp && gen[13] == '\0',
              "three columns, in order: %s", hdr);
    cr_assert(strncmp(line_of(r.out, 1), "runs ", 5) == 0, "%s", r.out);
    cr_assert(strstr(line_of(r.out, 1), "  3  ") != NULL &&
                  strcmp(line_of(r.out, 1) + strlen(line_of(r.out, 1)) - 3, "  3") == 0,
              "%s", r.out);
    struct { const char *row, *cells[3]; } want[] = {
        {"wall", {"2.0 ms [1.0 ms..3.0 ms] (1.00x)", "4.0 ms [4.0 ms..5.0 ms] (2.00x)",
                  "1.0 ms (0.50x)"}},
        {"GC share", {"20.0% [10.0%..30.0%] (1.00x)", "50.0% (2.50x)",
                      "50.0% [25.0%..75.0%] (2.50x)"}},
        {"pauses", {"11 [10..12] (1.00x)", "20 (1.82x)", "40 [30..50] (3.64x)"}},
        {"MMU 1 ms", {"0.600 [0.500..0.700] (1.00x)", "0.400 (0.67x)",
                      "0.800 [0.700..0.900] (1.33x)"}},
        {"heap", {"4.0 MiB (1.00x)", "4.0 MiB (1.00x)", "4.0 MiB (1.00x)"}},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *row = text_row(r.out, want[i].row), *p = row;
        for (size_t c = 0; c < 3; c++) {
            char cell[80];
            snprintf(cell, sizeof cell, "  %s", want[i].cells[c]);
            const char *q = strstr(p, cell);
            cr_assert(q != NULL, "row '%s' lacks '%s' after column %zu: %s", want[i].row,
                      want[i].cells[c], c, row);
            p = q + strlen(cell);
        }
        cr_assert_eq(*p, '\0', "row '%s' has more: %s", want[i].row, row);
    }
    char line[2048];
    snprintf(line, sizeof line, "\n  copying: %s, %s, %s\n", d[1], d[4], d[7]);
    cr_assert(strstr(r.out, line) != NULL, "%s", r.out);

    r = run_gcbench(dir, "compare", "--format=csv", d[0], d[1], d[2], d[3], d[4], d[5], d[6],
                    d[7], d[8], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_char(r.out, strlen(r.out), '\n'), 4, "a header and 3 rows:\n%s", r.out);
    const char *h = line_of(r.out, 0);
    cr_assert(strncmp(h, "config,n,runs,collector,workload,heap_limit_bytes,", 50) == 0, "%s", h);
    struct { const char *col, *v[3]; } csv[] = {
        {"config", {"marksweep", "copying", "generational"}},
        {"n", {"3", "3", "3"}},
        {"wall_ns", {"2000000", "4000000", "1000000"}},
        {"wall_ns_min", {"1000000", "4000000", "1000000"}},
        {"wall_ns_max", {"3000000", "5000000", "1000000"}},
        {"wall_ns_ratio", {"1", "2", "0.5"}},
        {"gc_share", {"0.2", "0.5", "0.5"}},
        {"gc_share_min", {"0.1", "0.5", "0.25"}},
        {"gc_share_max", {"0.3", "0.5", "0.75"}},
        {"gc_share_ratio", {"1", "2.5", "2.5"}},
        {"pause_count", {"11", "20", "40"}},
        {"pause_count_ratio", {"1", "1.81818", "3.63636"}},
        {"mmu_1ms", {"0.6", "0.4", "0.8"}},
        {"mmu_1ms_min", {"0.5", "0.4", "0.7"}},
        {"mmu_1ms_ratio", {"1", "0.666667", "1.33333"}},
        {"mmu_10ms", {"", "", ""}},
        {"threads", {"1", "1", "1"}},
        {"threads_max", {"1", "1", "1"}},
        {"tts_p99_ns", {"", "", ""}},
    };
    for (size_t i = 0; i < sizeof csv / sizeof csv[0]; i++)
        for (size_t c = 0; c < 3; c++) {
            char *v = csv_field(h, line_of(r.out, c + 1), csv[i].col);
            cr_assert(v != NULL && strcmp(v, csv[i].v[c]) == 0, "%s of row %zu: '%s', not '%s'",
                      csv[i].col, c + 1, v ? v : "(none)", csv[i].v[c]);
        }
    snprintf(line, sizeof line, "%s;%s;%s", d[2], d[5], d[8]);
    cr_assert_str_eq(csv_field(h, line_of(r.out, 3), "runs"), line);

    /* --no-group: nine columns again, ratios against the first run. */
    r = run_gcbench(dir, "compare", "--no-group", "--format=csv", d[0], d[1], d[2], d[3], d[4],
                    d[5], d[6], d[7], d[8], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_char(r.out, strlen(r.out), '\n'), 10, "%s", r.out);
    cr_assert_str_eq(csv_field(line_of(r.out, 0), line_of(r.out, 4), "wall_ns_ratio"),
                     "0.333333");
}

/* What identifies a configuration: the seed does (runs with other seeds run
 * other work), exactly even beyond 2^63; anything measured does not. */
Test(e2e, compare_config_identity)
{
    char *dir = make_tmpdir();
    char *a = synth_summary(dir, "a", "marksweep", "1", 1000000, "0.1", 1, "0.5");
    char *b = synth_summary(dir, "b", "marksweep", "2", 1000000, "0.1", 1, "0.5");
    char *c = synth_summary(dir, "c", "marksweep", "1", 3000000, "0.2", 2, "0.6");
    char *big1 = synth_summary(dir, "big1", "marksweep", "18446744073709551614", 1, "0", 0, "1");
    char *big2 = synth_summary(dir, "big2", "marksweep", "18446744073709551615", 1, "0", 0, "1");
    run_result r = run_gcbench(dir, "compare", a, b, c, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *hdr = line_of(r.out, 0);
    const char *s1 = strstr(hdr, " marksweep seed=1"), *s2 = strstr(hdr, " marksweep seed=2");
    cr_assert(s1 != NULL && s2 > s1 && strstr(s2 + 2, "marksweep") == NULL, "%s", r.out);
    cr_assert(strstr(text_row(r.out, "wall"), "2.0 ms [1.0 ms..3.0 ms] (1.00x)") != NULL, "%s",
              r.out);
    r = run_gcbench(dir, "compare", "--format=csv", big1, big2, big1, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_char(r.out, strlen(r.out), '\n'), 3, "%s", r.out);
    cr_assert_str_eq(csv_field(line_of(r.out, 0), line_of(r.out, 1), "config"),
                     "marksweep seed=18446744073709551614");
    cr_assert_str_eq(csv_field(line_of(r.out, 0), line_of(r.out, 1), "n"), "2");
    cr_assert_str_eq(csv_field(line_of(r.out, 0), line_of(r.out, 2), "config"),
                     "marksweep seed=18446744073709551615");
}

/* Medians of an even number of runs are the mean of the middle two, exact
 * for whole numbers however large. */
Test(compare, even_medians_exact)
{
    gcb_compare_run runs[4] = {
        crun("r1", "{\"collector\": \"m\", \"wall_ns\": 18446744073709551615, "
                   "\"pauses\": {\"count\": 3}, \"gc_share\": 0.5}"),
        crun("r2", "{\"collector\": \"m\", \"wall_ns\": 18446744073709551614, "
                   "\"pauses\": {\"count\": 2}, \"gc_share\": 0.25}"),
        crun("r3", "{\"collector\": \"m\", \"wall_ns\": 18446744073709551612, "
                   "\"pauses\": {\"count\": 2}, \"gc_share\": 0}"),
        crun("r4", "{\"collector\": \"m\", \"wall_ns\": 18446744073709551613, "
                   "\"pauses\": {\"count\": 4}, \"gc_share\": 1}")};
    char err[256], *out;
    CAPTURE(out, cr_assert_eq(gcb_compare_write(f, GCB_COMPARE_CSV, true, runs, 4, err, sizeof err),
                              0, "%s", err));
    const char *h = line_of(out, 0), *row = line_of(out, 1);
    cr_assert_str_eq(csv_field(h, row, "n"), "4");
    cr_assert_str_eq(csv_field(h, row, "wall_ns"), "18446744073709551613.5");
    cr_assert_str_eq(csv_field(h, row, "wall_ns_min"), "18446744073709551612");
    cr_assert_str_eq(csv_field(h, row, "wall_ns_max"), "18446744073709551615");
    cr_assert_str_eq(csv_field(h, row, "pause_count"), "2.5");
    cr_assert_str_eq(csv_field(h, row, "gc_share"), "0.375");
    CAPTURE(out, cr_assert_eq(gcb_compare_write(f, GCB_COMPARE_TEXT, true, runs, 4, err, sizeof err),
                              0, "%s", err));
    cr_assert(strstr(text_row(out, "pauses"), " 2.5 [2..4] (1.00x)") != NULL, "%s", out);
    cr_assert(strstr(text_row(out, "GC share"), " 37.5% [0.0%..100.0%] (1.00x)") != NULL, "%s",
              out);
}

/* ======================================================================== */
/* the runner with workloads of our own (in process)                        */
/* ======================================================================== */

/* Allocates a little and then reports a failed check. */
static int failing_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)cfg;
    for (int i = 0; i < 100; i++)
        (void)gc_alloc_bytes(m, 24);
    res->verified = false;
    snprintf(res->detail, sizeof res->detail, "checksum 41 != 42 \"quoted\"");
    return 0;
}
static const wl_workload failing_workload = {"failing", "always fails its check", failing_run};

static int aborting_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)m;
    (void)cfg;
    res->verified = true;
    snprintf(res->detail, sizeof res->detail, "could not set up");
    return -1;
}
static const wl_workload aborting_workload = {"aborting", "does not complete", aborting_run};

static const json_t *run_fake(const wl_workload *wl, int expect_rc)
{
    char *dir = make_tmpdir();
    gcb_options o;
    gcb_options_init(&o);
    o.workload = wl->name;
    o.size = WL_SIZE_SMALL;
    o.heap_limit = 1 << 20;
    o.quiet = true;
    o.out_dir = dir;
    int rc = gcb_run_workload(&o, wl);
    cr_assert_eq(rc, expect_rc, "exit code %d, expected %d", rc, expect_rc);
    char *json = read_file(path_join(dir, "summary.json"));
    cr_assert_not_null(json, "the run directory must be written even when the run fails");
    cr_assert_not_null(read_file(path_join(dir, "pauses.csv")));
    const json_t *doc = jparse(json);
    cr_assert_not_null(doc, "%s", json);
    return doc;
}

Test(runner, verification_failure_exits_4_after_writing)
{
    const json_t *doc = run_fake(&failing_workload, GCB_EXIT_VERIFY_FAILED);
    cr_assert(json_is_boolean(jget(doc, "verified")));
    cr_assert_not(json_is_true(jget(doc, "verified")));
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 4.0, 0.0);
    cr_assert_str_eq(jstr(jget(doc, "verification_detail")), "checksum 41 != 42 \"quoted\"");
    cr_assert_str_eq(jstr(jget(doc, "workload")), "failing");
    cr_assert_float_eq(jnum(jget(doc, "allocated_objects")), 100.0, 0.0);
}

static int input_error_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)m;
    (void)cfg;
    snprintf(res->detail, sizeof res->detail, "p.gca:3: unknown opcode 'frob'");
    return WL_ERR_INPUT;
}
static const wl_workload input_error_workload = {"badinput", "bad input", input_error_run};

static int runtime_error_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)cfg;
    (void)gc_alloc_bytes(m, 24);
    snprintf(res->detail, sizeof res->detail, "p.gca:7: division by zero");
    return WL_ERR_RUNTIME;
}
static const wl_workload runtime_error_workload = {"vmerror", "run-time error", runtime_error_run};

Test(runner, runtime_error_exits_5_after_writing)
{
    const json_t *doc = run_fake(&runtime_error_workload, GCB_EXIT_VM_ERROR);
    cr_assert_not(json_is_true(jget(doc, "verified")));
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 5.0, 0.0);
    cr_assert_str_eq(jstr(jget(doc, "verification_detail")), "p.gca:7: division by zero");
}

Test(runner, input_error_exits_2_without_summary)
{
    char *dir = make_tmpdir();
    gcb_options o;
    gcb_options_init(&o);
    o.workload = input_error_workload.name;
    o.quiet = true;
    o.out_dir = dir;
    cr_assert_eq(gcb_run_workload(&o, &input_error_workload), GCB_EXIT_USAGE);
    cr_assert_null(read_file(path_join(dir, "summary.json")), "no run directory for bad input");
}

Test(runner, incomplete_workload_exits_1)
{
    const json_t *doc = run_fake(&aborting_workload, GCB_EXIT_ERROR);
    cr_assert_not(json_is_true(jget(doc, "verified")));
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 1.0, 0.0);
}

/* ---- --threads (issue 14) ---- */

static uint32_t probe_threads;
static int threads_probe_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)m;
    probe_threads = cfg->threads;
    res->verified = true;
    return WL_OK;
}
static const wl_workload threads_probe_workload = {"probe", "records wl_config.threads",
                                                   threads_probe_run};

/* A workload that cannot run several threads refuses, as the contract says. */
static int one_thread_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    (void)m;
    if (cfg->threads > 1) {
        snprintf(res->detail, sizeof res->detail, "runs one mutator thread only (--threads=%u)",
                 (unsigned)cfg->threads);
        return WL_ERR_INPUT;
    }
    res->verified = true;
    return WL_OK;
}
static const wl_workload one_thread_workload = {"single", "one thread only", one_thread_run};

static gcb_options threads_options(const char *dir, const wl_workload *wl, uint32_t threads)
{
    gcb_options o;
    gcb_options_init(&o);
    o.workload = wl->name;
    o.size = WL_SIZE_SMALL;
    o.heap_limit = 1 << 20;
    o.quiet = true;
    o.out_dir = dir;
    o.threads = threads;
    return o;
}

/* --threads reaches the workload as wl_config.threads and summary.json as
 * "threads"; a workload that refuses it is bad input (exit 2, no run
 * directory), like any WL_ERR_INPUT. */
Test(runner, threads_reach_the_workload)
{
    char *dir = make_tmpdir();
    gcb_options o = threads_options(dir, &threads_probe_workload, 3);
    probe_threads = 0;
    cr_assert_eq(gcb_run_workload(&o, &threads_probe_workload), GCB_EXIT_OK);
    cr_assert_eq(probe_threads, 3);
    const json_t *doc = jparse(read_file(path_join(dir, "summary.json")));
    cr_assert_not_null(doc);
    cr_assert_float_eq(jnum(jget(doc, "threads")), 3.0, 0.0);

    char *dir2 = make_tmpdir();
    o = threads_options(dir2, &one_thread_workload, 2);
    cr_assert_eq(gcb_run_workload(&o, &one_thread_workload), GCB_EXIT_USAGE);
    cr_assert_null(read_file(path_join(dir2, "summary.json")), "no run directory for bad input");
    o.threads = 1;
    cr_assert_eq(gcb_run_workload(&o, &one_thread_workload), GCB_EXIT_OK);
}

/* Two mutators that stay attached while they allocate garbage: a barrier
 * after attaching and one before detaching make every pause of the main
 * thread's loop a pause with two mutators (deterministically). The
 * barriers are waited on INACTIVE, so a collection never waits for them.
 * One explicit collection before the second thread starts and one after it
 * has been joined are pauses with one mutator, which the time-to-safepoint
 * figures must leave out. */
typedef struct mt_worker {
    gc_heap *heap;
    uv_barrier_t *start, *stop;
    int status; /* 1 ok, -1 attach refused */
} mt_worker;

#define MT_ALLOCS 100000

static void mt_worker_main(void *arg)
{
    mt_worker *w = arg;
    gc_mutator *m = gc_mutator_attach(w->heap);
    if (m == NULL) {
        w->status = -1;
        uv_barrier_wait(w->start);
        uv_barrier_wait(w->stop);
        return;
    }
    gc_inactive_begin(m);
    uv_barrier_wait(w->start);
    gc_inactive_end(m);
    for (int i = 0; i < MT_ALLOCS; i++)
        (void)gc_alloc_bytes(m, 56);
    gc_inactive_begin(m);
    uv_barrier_wait(w->stop);
    gc_inactive_end(m);
    gc_mutator_detach(m);
    w->status = 1;
}

static int two_mutators_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    cr_assert_eq(cfg->threads, 2);
    uv_barrier_t start, stop;
    cr_assert_eq(uv_barrier_init(&start, 2), 0);
    cr_assert_eq(uv_barrier_init(&stop, 2), 0);
    mt_worker w = {m->heap, &start, &stop, 0};
    gc_collect(m, GC_COLLECT_MAJOR); /* one mutator */
    uv_thread_t t;
    cr_assert_eq(uv_thread_create(&t, mt_worker_main, &w), 0);
    gc_inactive_begin(m);
    uv_barrier_wait(&start);
    gc_inactive_end(m);
    for (int i = 0; i < MT_ALLOCS; i++)
        (void)gc_alloc_bytes(m, 56);
    gc_inactive_begin(m);
    uv_barrier_wait(&stop);
    gc_inactive_end(m);
    gc_mutator_join(m, &t);
    gc_collect(m, GC_COLLECT_MAJOR); /* one mutator again */
    uv_barrier_destroy(&start);
    uv_barrier_destroy(&stop);
    res->verified = w.status == 1;
    snprintf(res->detail, sizeof res->detail, "%s",
             w.status == 1 ? "two mutators ran" : "a second mutator was refused");
    return WL_OK;
}
static const wl_workload two_mutators_workload = {"two", "two mutators", two_mutators_run};

/* pauses.csv, parsed by header name: the rows' values of the named columns. */
typedef struct csv_row {
    uint64_t duration, other, tts, mutators;
} csv_row;

static size_t read_pause_rows(const char *dir, csv_row *rows, size_t max)
{
    char *csv = read_file(path_join(dir, "pauses.csv"));
    cr_assert_not_null(csv);
    int cd = -1, co = -1, ct = -1, cm = -1, k = 0;
    char *nl = strchr(csv, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    for (char *tok = strtok(csv, ","); tok != NULL; tok = strtok(NULL, ","), k++) {
        cd = strcmp(tok, "duration_ns") == 0 ? k : cd;
        co = strcmp(tok, "other_ns") == 0 ? k : co;
        ct = strcmp(tok, "tts_ns") == 0 ? k : ct;
        cm = strcmp(tok, "mutators") == 0 ? k : cm;
    }
    cr_assert(cd >= 0 && co >= 0 && ct >= 0 && cm >= 0, "pauses.csv lacks a column");
    cr_assert_eq(cm, k - 1, "mutators is the last column");
    cr_assert_eq(ct, k - 2, "tts_ns comes just before it");
    cr_assert_eq(co, k - 3, "after other_ns");
    size_t n = 0;
    for (char *line = nl + 1; *line != '\0' && n < max; n++) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        *end = '\0';
        int c = 0;
        for (char *f = line; f != NULL; c++) {
            uint64_t v = strtoull(f, NULL, 10);
            if (c == cd) rows[n].duration = v;
            if (c == co) rows[n].other = v;
            if (c == ct) rows[n].tts = v;
            if (c == cm) rows[n].mutators = v;
            f = strchr(f, ',');
            f = f ? f + 1 : NULL;
        }
        cr_assert_eq(c, k, "row %zu: %d fields, the header has %d", n + 1, c, k);
        line = end + 1;
    }
    return n;
}

/* The time-to-safepoint figures of a multi-threaded run, checked against
 * its pauses.csv; returns the pauses that waited. */
static size_t check_tts(const char *dir, const json_t *doc)
{
    static csv_row rows[4096];
    size_t n = read_pause_rows(dir, rows, 4096), waited = 0;
    uint64_t max = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_leq(rows[i].tts, rows[i].other, "pause %zu: tts %llu outside other %llu", i + 1,
                      (unsigned long long)rows[i].tts, (unsigned long long)rows[i].other);
        cr_assert_leq(rows[i].other, rows[i].duration);
        if (rows[i].mutators <= 1) {
            cr_assert_eq(rows[i].tts, 0, "pause %zu: %llu mutator(s), yet it waited %llu ns", i + 1,
                         (unsigned long long)rows[i].mutators, (unsigned long long)rows[i].tts);
            continue;
        }
        waited++;
        sum += rows[i].tts;
        max = rows[i].tts > max ? rows[i].tts : max;
    }
    const json_t *tts = jget(doc, "time_to_safepoint");
    cr_assert_not_null(tts);
    cr_assert_float_eq(jnum(jget(tts, "pauses_waited")), (double)waited, 0.0);
    if (waited == 0)
        return 0;
    double p50 = jnum(jget(tts, "p50_ns")), p99 = jnum(jget(tts, "p99_ns")),
           mx = jnum(jget(tts, "max_ns")), mean = jnum(jget(tts, "mean_ns"));
    cr_assert(p50 <= p99 && p99 <= mx, "p50 %.0f p99 %.0f max %.0f", p50, p99, mx);
    cr_assert_float_eq(mx, (double)max, 0.0);
    cr_assert_float_eq(mean, (double)(sum / waited), 0.0);
    /* Sane: a stop of two threads that both allocate is far below a second. */
    cr_assert_lt(mx, 1e9, "time to safepoint %.0f ns", mx);
    return waited;
}

/* Two mutators through the runner: pauses.csv records both and the time to
 * safepoint, summary.json agrees with it row for row. */
Test(runner, two_mutators_time_to_safepoint)
{
    char *dir = make_tmpdir();
    gcb_options o = threads_options(dir, &two_mutators_workload, 2);
    int rc = gcb_run_workload(&o, &two_mutators_workload);
    const json_t *doc = jparse(read_file(path_join(dir, "summary.json")));
    cr_assert_not_null(doc);
    if (rc == GCB_EXIT_VERIFY_FAILED &&
        strcmp(jstr(jget(doc, "verification_detail")), "a second mutator was refused") == 0)
        cr_skip_test("core does not attach a second mutator yet (issue 14's handshake)");
    cr_assert_eq(rc, GCB_EXIT_OK, "%s", jstr(jget(doc, "verification_detail")));
    cr_assert_float_eq(jnum(jget(doc, "threads")), 2.0, 0.0);
    cr_assert_gt(jnum(jget(doc, "collections")), 0.0);
    size_t waited = check_tts(dir, doc);
    cr_assert_gt(waited, 0, "no pause had two mutators");
    cr_assert_lt((double)waited, jnum(jget(doc, "collections")), "the explicit collections had one");
}

/* A threaded GCBench (trees --threads=2) through the gcbench binary:
 * summary.json records the threads and time-to-safepoint figures that
 * agree with pauses.csv, the stdout summary has threads=2 in its header and
 * the time-to-safepoint line, and --log-gc shows "; N mutators, tts ..." on
 * exactly the pauses that had more than one mutator. */
Test(e2e, threaded_trees_time_to_safepoint)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "t2");
    run_result r = run_gcbench(dir, "--workload=trees", "--threads=2", "--size=small", "--heap=2M",
                               "--log-gc", "--out", out, NULL);
    if (r.status == 2 && strstr(r.err, "bad input") != NULL)
        cr_skip_test("trees does not run several threads in this build: %s", r.err);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    const json_t *doc = jparse(read_file(path_join(out, "summary.json")));
    cr_assert_not_null(doc);
    cr_assert_float_eq(jnum(jget(doc, "threads")), 2.0, 0.0);
    size_t waited = check_tts(out, doc);
    cr_assert_gt(waited, 0, "two trees threads in a 2M heap: no pause had both attached");
    cr_assert(strstr(r.out, "  seed=1  threads=2\n") != NULL, "%s", r.out);
    char want[96];
    snprintf(want, sizeof want, " (%zu of %.0f pauses waited)\n", waited,
             jnum(jget(doc, "collections")));
    const char *line = strstr(r.out, "\ntime to safepoint: p50 ");
    cr_assert(line != NULL && strstr(line, want) == strchr(line + 1, '\n') - strlen(want) + 1,
              "%s", r.out);
    size_t log_lines = 0, log_waited = 0;
    for (const char *l = r.err; *l != '\0'; l = strchr(l, '\n') + 1, log_lines++) {
        cr_assert(strncmp(l, "gc ", 3) == 0, "not a log line: %s", l);
        const char *eol = strchr(l, '\n'), *mark = strstr(l, " mutators, tts ");
        cr_assert_not_null(eol);
        if (mark != NULL && mark < eol) {
            log_waited++;
            cr_assert(strstr(l, "; 2 mutators, tts ") != NULL && strstr(l, "ms\n") == eol - 2,
                      "%.*s", (int)(eol - l), l);
        }
    }
    cr_assert_float_eq((double)log_lines, jnum(jget(doc, "collections")), 0.0);
    cr_assert_eq(log_waited, waited, "%zu log lines with a handshake, %zu pauses waited", log_waited,
                 waited);
}

/* ======================================================================== */
/* reference peers and scripts/compare-bdw                                 */
/* ======================================================================== */

/* The build directory holding GCBENCH_BIN (and peers/ when they are built). */
static char *build_dir(void)
{
    char *d = tb_strdup(GCBENCH_BIN);
    char *slash = strrchr(d, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
    return d;
}

static bool peer_built(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/peers/%s", build_dir(), name);
    return access(path, X_OK) == 0;
}

/* Each GCBench peer completes the small size with its check passed, and
 * rejects an unknown size with exit 2. (Peers are not built with sanitizers.) */
Test(peers, gcbench_peers_verify)
{
    static const char *const peers[] = {"bdw_gcbench", "bdw_inline_gcbench", "jemalloc_gcbench", "mimalloc_gcbench"};
    char *dir = make_tmpdir();
    int built = 0;
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++) {
        if (!peer_built(peers[i]))
            continue;
        built++;
        cr_assert_eq(sh("'%s/peers/%s' small >'%s/out' 2>&1", build_dir(), peers[i], dir), 0, "%s small failed",
                     peers[i]);
        char *out = read_file(path_join(dir, "out"));
        cr_assert_not_null(strstr(out, "verified 1"), "%s: %s", peers[i], out);
        cr_assert_not_null(strstr(out, "wall_ns "), "%s: %s", peers[i], out);
        cr_assert_eq(sh("'%s/peers/%s' huge >/dev/null 2>&1", build_dir(), peers[i]), 2, "%s accepted a bad size",
                     peers[i]);
    }
    if (built == 0)
        cr_skip_test("no peers in this build (sanitizer build, or libgc-dev missing)");
}

/* Whippet's mt-gcbench on libgc (bdw_mt_gcbench) completes the small size
 * with 1 and 2 threads, each thread's check passed, and rejects a bad
 * thread count or size with exit 2. */
Test(peers, mt_gcbench_peer_verifies)
{
    if (!peer_built("bdw_mt_gcbench"))
        cr_skip_test("bdw_mt_gcbench not in this build (sanitizer build, or libgc-dev missing)");
    char *dir = make_tmpdir();
    for (int threads = 1; threads <= 2; threads++) {
        int rc = sh("'%s/peers/bdw_mt_gcbench' %d small >'%s/out' 2>&1", build_dir(), threads, dir);
        char *out = read_file(path_join(dir, "out"));
        cr_assert_eq(rc, 0, "bdw_mt_gcbench %d small exited %d: %s", threads, rc, out);
        char want[32];
        snprintf(want, sizeof want, "threads %d\n", threads);
        cr_assert_not_null(strstr(out, want), "%s", out);
        cr_assert_not_null(strstr(out, "verified 1\n"), "%s", out);
        cr_assert_not_null(strstr(out, "wall_ns "), "%s", out);
        cr_assert_not_null(strstr(out, "gc_count "), "%s", out);
    }
    cr_assert_eq(sh("'%s/peers/bdw_mt_gcbench' 0 small >/dev/null 2>&1", build_dir()), 2);
    cr_assert_eq(sh("'%s/peers/bdw_mt_gcbench' 2 huge >/dev/null 2>&1", build_dir()), 2);
}

/* compare-bdw runs collector configurations side by side with the peers
 * (collector options as NAME:OPTIONS, or the older NAME:--opt form) and
 * reports per-kind pause figures; a malformed entry is a usage error. */
Test(peers, compare_bdw_side_by_side)
{
    if (!peer_built("bdw_gcbench"))
        cr_skip_test("bdw_gcbench not in this build");
    char *dir = make_tmpdir();
    cr_assert_eq(sh("'%s/scripts/compare-bdw' --build='%s' --runs=1 --size=small "
                    "--collectors=marksweep,generational:nursery=256K,generational:--nursery=512K "
                    ">'%s/out' 2>'%s/err'",
                    GCBENCH_SOURCE_DIR, build_dir(), dir, dir),
                 0, "compare-bdw failed: %s", read_file(path_join(dir, "err")));
    char *out = read_file(path_join(dir, "out"));
    cr_assert_not_null(strstr(out, "  marksweep "), "%s", out);
    cr_assert_not_null(strstr(out, "generational:nursery=256K "), "%s", out);
    cr_assert_not_null(strstr(out, "generational --nursery=512K "), "%s", out);
    cr_assert_not_null(strstr(out, "bdwgc (libgc)"), "%s", out);
    /* Page faults, ours and the peer's, as numbers (not "-"). */
    cr_assert_not_null(strstr(out, " page faults\n"), "%s", out);
    const char *rows[] = {"\n  marksweep ", "\n  bdwgc (libgc) "};
    for (size_t i = 0; i < 2; i++) {
        const char *row = strstr(out, rows[i]), *end = row ? strchr(row + 1, '\n') : NULL;
        cr_assert(row && end && end[-1] >= '0' && end[-1] <= '9' && end[-2] != ' ', "row %s: %s", rows[i], out);
    }
    cr_assert_not_null(strstr(out, "minor p95"), "%s", out);
    cr_assert_not_null(strstr(out, "bdwgc GC_MALLOC"), "%s", out);
    if (peer_built("mimalloc_gcbench"))
        cr_assert_not_null(strstr(out, "mimalloc, explicit frees"), "%s", out);
    /* Not an option in the old form; an option gcbench rejects. */
    cr_assert_eq(sh("'%s/scripts/compare-bdw' --build='%s' --runs=1 "
                    "--collectors=generational:--nursery=1M:foo >/dev/null 2>'%s/err'",
                    GCBENCH_SOURCE_DIR, build_dir(), dir),
                 2);
    cr_assert_not_null(strstr(read_file(path_join(dir, "err")), "is not an option"));
    cr_assert_eq(sh("'%s/scripts/compare-bdw' --build='%s' --runs=1 "
                    "--collectors=generational:bogus=1 >/dev/null 2>'%s/err'",
                    GCBENCH_SOURCE_DIR, build_dir(), dir),
                 2);
    char *err = read_file(path_join(dir, "err"));
    cr_assert_not_null(strstr(err, "unknown option 'bogus'"), "%s", err);
    cr_assert_not_null(strstr(err, "rejected 'generational:bogus=1'"), "%s", err);
}

/* Writes at `path` an executable shell script that appends `logged` (shell
 * words: "run", "\"$*\"") as a line to the file `log`, then runs `real`
 * with its arguments: a stand-in program whose runs a test can count and
 * order. Paths are single-quoted in the script (none here has a quote). */
static void write_logging_wrapper(const char *path, const char *log, const char *logged, const char *real)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fprintf(f, "#!/bin/sh\necho %s >>'%s'\nexec '%s' \"$@\"\n", logged, log, real);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0755), 0, "chmod %s: %s", path, strerror(errno));
}

/* An entry NAME@PATH runs another gcbench binary (a build before a
 * change) in the same interleaved runs: its rows carry the entry as
 * written; a relative PATH is relative to the caller; a PATH that is not an
 * executable is a usage error before anything runs. */
Test(peers, compare_bdw_runs_another_build_side_by_side)
{
    if (!peer_built("bdw_gcbench"))
        cr_skip_test("bdw_gcbench not in this build");
    char *dir = make_tmpdir();
    /* The other build: a gcbench that notes each run, then is ours. */
    cr_assert_eq(sh("mkdir -p '%s/old build=1'", dir), 0);
    write_logging_wrapper(path_join(dir, "old build=1/gcbench"), path_join(dir, "old build=1/runs"), "run",
                          GCBENCH_BIN);
    cr_assert_eq(sh("cd '%s' && '%s/scripts/compare-bdw' --build='%s' --runs=1 --size=small "
                    "'--collectors=marksweep,marksweep@old build=1/gcbench,generational:--nursery=256K@old build=1/gcbench' "
                    ">out 2>err",
                    dir, GCBENCH_SOURCE_DIR, build_dir()),
                 0, "compare-bdw failed: %s", read_file(path_join(dir, "err")));
    char *out = read_file(path_join(dir, "out"));
    cr_assert_not_null(strstr(out, "\n  marksweep "), "%s", out);
    const char *rows[] = {"\n  marksweep@old build=1/gcbench ",
                          "\n  generational --nursery=256K@old build=1/gcbench "};
    for (size_t i = 0; i < 2; i++) {
        const char *row = strstr(out, rows[i]); /* trees, pauses, alloc: three rows each */
        cr_assert_not_null(row, "no row %s: %s", rows[i], out);
        row = strstr(row + 1, rows[i]);
        cr_assert(row && strstr(row + 1, rows[i]), "%s has not three rows: %s", rows[i], out);
    }
    cr_assert_not_null(strstr(out, "minor p95"), "the other build's generational ran no minors: %s", out);
    /* Two entries, each: a check run, then trees and alloc once. */
    char *runs = read_file(path_join(dir, "old build=1/runs"));
    cr_assert_str_eq(runs, "run\nrun\nrun\nrun\nrun\nrun\n", "the other build ran %zu times, not 6",
                     strlen(runs) / 4);
    cr_assert_eq(sh("cd '%s' && '%s/scripts/compare-bdw' --build='%s' --runs=1 "
                    "--collectors=marksweep@nothing/gcbench >/dev/null 2>err",
                    dir, GCBENCH_SOURCE_DIR, build_dir()),
                 2);
    char *err = read_file(path_join(dir, "err"));
    cr_assert_not_null(strstr(err, "'nothing/gcbench' is not an executable gcbench"), "%s", err);
}

/* compare-bdw runs its programs in a new order each run (a fixed order
 * made the program after the peers slower every time): the runs of two
 * entries through a gcbench that logs its arguments come in different
 * orders in different runs. */
Test(peers, compare_bdw_shuffles_each_run)
{
    if (!peer_built("bdw_gcbench"))
        cr_skip_test("bdw_gcbench not in this build");
    char *dir = make_tmpdir();
    cr_assert_eq(sh("mkdir -p '%s/w'", dir), 0);
    write_logging_wrapper(path_join(dir, "w/gcbench"), path_join(dir, "w/log"), "\"$*\"", GCBENCH_BIN);
    cr_assert_eq(sh("cd '%s' && '%s/scripts/compare-bdw' --build='%s' --runs=4 --size=small "
                    "--collectors=marksweep@w/gcbench,copying@w/gcbench >out 2>err",
                    dir, GCBENCH_SOURCE_DIR, build_dir()),
                 0, "compare-bdw failed: %s", read_file(path_join(dir, "err")));
    /* After the two checks, 4 runs of 4 jobs: a run's order is the
     * sequence of (collector, workload) it logged. */
    char *log = read_file(path_join(dir, "w/log")), *line[18] = {0};
    size_t n = 0;
    for (char *save = NULL, *l = strtok_r(log, "\n", &save); l && n < 18; l = strtok_r(NULL, "\n", &save))
        line[n++] = l;
    cr_assert_eq(n, 18, "the logging gcbench ran %zu times, not 2 + 4 x 4", n);
    char order[4][256] = {{0}};
    for (size_t r = 0; r < 4; r++)
        for (size_t j = 0; j < 4; j++) {
            const char *l = line[2 + 4 * r + j];
            char tag[3] = {strstr(l, "--collector=marksweep") ? 'm' : 'c', strstr(l, "--workload=trees") ? 't' : 'a', 0};
            strcat(order[r], tag);
        }
    cr_log_info("orders of the four runs: %s %s %s %s\n", order[0], order[1], order[2], order[3]);
    for (size_t r = 0; r < 4; r++) /* every job once per run */
        for (const char *const *t = (const char *const[]){"mt", "ma", "ct", "ca", NULL}; *t; t++)
            cr_assert(strstr(order[r], *t) && (strstr(order[r], *t) - order[r]) % 2 == 0, "run %zu: %s", r + 1,
                      order[r]);
    cr_assert(strcmp(order[0], order[1]) || strcmp(order[0], order[2]) || strcmp(order[0], order[3]),
              "every run had the order %s", order[0]);
}

/* compare-mt-bdw runs mt-gcbench (trees as the stand-in, when this build
 * has no mt-gcbench workload) under each collector with 1 and 2 threads
 * beside bdw_mt_gcbench with the same fixed heap: one table per thread
 * count, a row per collector and the peer's; our time to safepoint is "-"
 * with one thread and measured with two. */
Test(peers, compare_mt_bdw_side_by_side, .timeout = 300)
{
    if (!peer_built("bdw_mt_gcbench"))
        cr_skip_test("bdw_mt_gcbench not in this build");
    char *dir = make_tmpdir();
    cr_assert_eq(sh("'%s' --list >'%s/list'", GCBENCH_BIN, dir), 0);
    bool mt = strstr(read_file(path_join(dir, "list")), "\n  mt-gcbench ") != NULL;
    const char *wl = mt ? "mt-gcbench" : "trees";
    int rc = sh("'%s/scripts/compare-mt-bdw' --build='%s' --runs=1 --size=small --multiplier=8 "
                "--threads=1,2 --collectors=marksweep,copying %s >'%s/out' 2>'%s/err'",
                GCBENCH_SOURCE_DIR, build_dir(), mt ? "" : "--workload=trees", dir, dir);
    char *out = read_file(path_join(dir, "out"));
    cr_assert_eq(rc, 0, "compare-mt-bdw failed: %s%s", out, read_file(path_join(dir, "err")));
    char want[128];
    snprintf(want, sizeof want, "\n%s, 1 thread, heap 1368192 B, medians of 1:\n", wl);
    const char *t1 = strstr(out, want);
    snprintf(want, sizeof want, "\n%s, 2 threads, heap 2736384 B, medians of 1:\n", wl);
    const char *t2 = strstr(out, want);
    cr_assert(t1 != NULL && t2 != NULL && t1 < t2, "%s", out);
    const char *names[] = {"marksweep", "copying"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(want, sizeof want, "\n  %-28s ", names[i]);
        const char *r1 = strstr(t1, want), *r2 = strstr(t2, want);
        cr_assert(r1 != NULL && r1 < t2 && r2 != NULL, "no %s rows: %s", names[i], out);
        const char *e1 = strchr(r1 + 1, '\n'), *e2 = strchr(r2 + 1, '\n');
        cr_assert(e1[-1] == '-' && e1[-2] == ' ', "one thread, no tts: %.*s", (int)(e1 - r1), r1);
        cr_assert(strncmp(e2 - 3, " us", 3) == 0 || strncmp(e2 - 3, " ms", 3) == 0,
                  "two threads, a measured tts: %.*s", (int)(e2 - r2), r2);
    }
    cr_assert(strstr(t1, "\n  bdwgc (libgc) ") < t2 && strstr(t2, "\n  bdwgc (libgc) ") != NULL, "%s", out);
    cr_assert(strstr(t2, "    1.00x ") != NULL, "the peer is the baseline: %s", out);
}

/* compare-mt-bdw, like compare-bdw, runs its programs in a new order each
 * run: through a build directory whose gcbench and peer log their runs,
 * the collectors and the peer come in different orders in different runs. */
Test(peers, compare_mt_bdw_shuffles_each_run, .timeout = 300)
{
    if (!peer_built("bdw_mt_gcbench"))
        cr_skip_test("bdw_mt_gcbench not in this build");
    char *dir = make_tmpdir();
    cr_assert_eq(sh("mkdir -p '%s/b/peers'", dir), 0);
    char *log = path_join(dir, "log");
    write_logging_wrapper(path_join(dir, "b/gcbench"), log, "\"g $*\"", GCBENCH_BIN);
    write_logging_wrapper(path_join(dir, "b/peers/bdw_mt_gcbench"), log, "p",
                          path_join(build_dir(), "peers/bdw_mt_gcbench"));
    cr_assert_eq(sh("'%s' --list >'%s/list'", GCBENCH_BIN, dir), 0);
    bool mt = strstr(read_file(path_join(dir, "list")), "\n  mt-gcbench ") != NULL;
    cr_assert_eq(sh("'%s/scripts/compare-mt-bdw' --build='%s/b' --runs=4 --size=small --multiplier=8 "
                    "--threads=1 --collectors=marksweep,copying %s >'%s/out' 2>'%s/err'",
                    GCBENCH_SOURCE_DIR, dir, mt ? "" : "--workload=trees", dir, dir),
                 0, "compare-mt-bdw failed: %s", read_file(path_join(dir, "err")));
    /* The log: --list and checks first, then 4 runs of 3 jobs (m, c, p). */
    char *logged = read_file(log), order[64] = "";
    for (char *save = NULL, *l = strtok_r(logged, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == 'p')
            strcat(order, "p");
        else if (strstr(l, "--threads=1") && strstr(l, "--quiet") && strlen(order) < 60)
            strcat(order, strstr(l, "--collector=marksweep") ? "m" : "c");
    }
    cr_log_info("order of the runs: %s\n", order);
    cr_assert_eq(strlen(order), 12, "%s: not 4 runs of 3 jobs", order);
    for (size_t r = 0; r < 4; r++)
        cr_assert(memchr(order + 3 * r, 'm', 3) && memchr(order + 3 * r, 'c', 3) && memchr(order + 3 * r, 'p', 3),
                  "run %zu: %.3s", r + 1, order + 3 * r);
    cr_assert(strncmp(order, order + 3, 3) || strncmp(order, order + 6, 3) || strncmp(order, order + 9, 3),
              "every run had the order %.3s", order);
}

/* ======================================================================== */
/* issue 13: lost output, silent no-ops, bad input                          */
/* ======================================================================== */

#define SAMPLE_PROGRAM GCBENCH_SOURCE_DIR "/workloads/programs/strings.gca"

/* The summary.json of a run directory, parsed. */
static const json_t *run_summary(const char *out)
{
    char *json = read_file(path_join(out, "summary.json"));
    cr_assert_not_null(json, "no summary.json in %s", out);
    const json_t *doc = jparse(json);
    cr_assert_not_null(doc, "%s", json);
    return doc;
}

/* trees marks where its final self-check begins (wl_end_timed_region), as
 * GCBench's own program stops its clock before its check: the check is
 * reported as check_ns and left out of wall_ns, and every pause still lies
 * inside [0, wall_ns]. A workload that does not mark it reports 0. */
Test(e2e, trees_check_outside_the_timed_region)
{
    char *dir = make_tmpdir();
    static const char *const collectors[] = {"--collector=marksweep", "--collector=refcount",
                                             "--collector=generational"};
    for (size_t c = 0; c < sizeof collectors / sizeof collectors[0]; c++) {
        char *out = path_join(dir, collectors[c] + 12);
        char *outarg = malloc(strlen(out) + 8);
        sprintf(outarg, "--out=%s", out);
        run_result r = run_gcbench(dir, collectors[c], "--workload=trees", "--size=small", "--heap=1M",
                                   "--quiet", outarg, NULL);
        cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
        const json_t *doc = run_summary(out);
        json_int_t wall = json_integer_value(json_object_get(doc, "wall_ns"));
        json_int_t check = json_integer_value(json_object_get(doc, "check_ns"));
        cr_assert_gt(check, 0, "%s: trees reported no final check", collectors[c]);
        cr_assert_gt(wall, 0);
        char *csv = read_file(path_join(out, "pauses.csv"));
        cr_assert_not_null(csv);
        size_t rows = 0;
        for (const char *line = strchr(csv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
            unsigned long long seq, start, dur;
            cr_assert_eq(sscanf(line + 1, "%llu,%llu,%llu,", &seq, &start, &dur), 3, "%s", line + 1);
            cr_assert_leq(start + dur, (unsigned long long)wall,
                          "%s: pause %llu ends at %llu ns, after wall_ns %lld", collectors[c], seq,
                          start + dur, (long long)wall);
            rows++;
        }
        cr_assert_gt(rows, 0, "%s: a 1 MiB heap must collect at least once", collectors[c]);
        free(outarg);
    }
    char *out = path_join(dir, "alloc");
    char *outarg = malloc(strlen(out) + 8);
    sprintf(outarg, "--out=%s", out);
    run_result r = run_gcbench(dir, "--workload=alloc", "--size=small", "--quiet", outarg, NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert_eq(json_integer_value(json_object_get(run_summary(out), "check_ns")), 0);
    free(outarg);
}

/* A program's output that cannot be written is lost data: exit 1 with a
 * message whatever the flags, and summary.json does not claim success. */
Test(e2e, lost_program_output_is_an_error)
{
    char *dir = make_tmpdir();
    static const char *const redirects[] = {">/dev/full", ">&-"};
    static const char *const flags[] = {"--quiet", ""};
    for (size_t i = 0; i < 2; i++)
        for (size_t q = 0; q < 2; q++) {
            static const char *const names[2][2] = {{"fullq", "full"}, {"closedq", "closed"}};
            char *out = path_join(dir, names[i][q]);
            int rc = sh("'%s' --program='%s' %s --out='%s' %s 2>'%s/err'", GCBENCH_BIN,
                        SAMPLE_PROGRAM, flags[q], out, redirects[i], dir);
            char *err = read_file(path_join(dir, "err"));
            cr_assert_eq(rc, 1, "stdout %s %s: exit %d, expected 1; stderr:\n%s", redirects[i],
                         flags[q], rc, err);
            cr_assert(strstr(err, "gcbench: error writing to stdout") != NULL, "%s", err);
            const json_t *doc = run_summary(out);
            cr_assert_float_eq(jnum(jget(doc, "exit_code")), 1.0, 0.0, "%s %s", redirects[i],
                               flags[q]);
            cr_assert_not(json_is_true(jget(doc, "verified")));
            cr_assert(strstr(jstr(jget(doc, "verification_detail")), "writing its output") != NULL,
                      "%s", jstr(jget(doc, "verification_detail")));
        }
    /* Nothing to write, nothing lost: a quiet run of a workload that prints
     * nothing succeeds with stdout closed, and its run directory gets no
     * stray bytes. */
    char *out = path_join(dir, "quiet");
    cr_assert_eq(sh("'%s' --size=small --quiet --out='%s' >&- 2>/dev/null", GCBENCH_BIN, out), 0);
    cr_assert_float_eq(jnum(jget(run_summary(out), "exit_code")), 0.0, 0.0);
    /* And the program's output reaches stdout intact when it can. */
    cr_assert_eq(sh("'%s' --program='%s' --quiet >'%s/o' && cmp -s '%s/o' '%s/workloads/programs/"
                    "strings.expected'",
                    GCBENCH_BIN, SAMPLE_PROGRAM, dir, dir, GCBENCH_SOURCE_DIR),
                 0);
}

/* The --log-gc lines are output too: stderr that cannot be written makes
 * the run exit 1 (summary.json says so), not 0. */
Test(e2e, lost_gc_log_is_an_error)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "log");
    int rc = sh("'%s' --size=small --log-gc --quiet --out='%s' 2>/dev/full", GCBENCH_BIN, out);
    cr_assert_eq(rc, 1, "exit %d", rc);
    const json_t *doc = run_summary(out);
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 1.0, 0.0);
    cr_assert_gt(jnum(jget(doc, "collections")), 0, "the run must have logged something");
    /* A run that writes nothing to stderr loses nothing. */
    cr_assert_eq(sh("'%s' --size=small --quiet 2>/dev/full", GCBENCH_BIN), 0);
}

/* gcbench compare, --help, --list and --version to a full or closed stdout:
 * exit 1, never 0. */
Test(e2e, lost_output_of_other_commands)
{
    char *dir = make_tmpdir();
    char *a, *b;
    make_two_runs(dir, &a, &b);
    static const char *const redirects[] = {">/dev/full", ">&-"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(sh("'%s' compare '%s' '%s' %s 2>/dev/null", GCBENCH_BIN, a, b, redirects[i]),
                     1, "compare %s", redirects[i]);
        cr_assert_eq(sh("'%s' compare --format=csv '%s' %s 2>/dev/null", GCBENCH_BIN, a,
                        redirects[i]),
                     1, "compare csv %s", redirects[i]);
        cr_assert_eq(sh("'%s' --help %s 2>/dev/null", GCBENCH_BIN, redirects[i]), 1);
        cr_assert_eq(sh("'%s' --list %s 2>/dev/null", GCBENCH_BIN, redirects[i]), 1);
        cr_assert_eq(sh("'%s' --size=small %s 2>/dev/null", GCBENCH_BIN, redirects[i]), 1,
                     "summary %s", redirects[i]);
    }
}

/* --verify or --stress that never collected checked nothing: a warning on
 * stderr and in summary.json. */
Test(e2e, verify_without_collection_warns)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "v");
    run_result r = run_gcbench(dir, "--size=small", "--heap=64M", "--verify", "--quiet", "--out",
                               out, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "gcbench: warning: --verify ran but no collection happened") != NULL,
              "%s", r.err);
    cr_assert_eq(count_char(r.err, strlen(r.err), '\n'), 1, "one line: %s", r.err);
    const json_t *doc = run_summary(out);
    cr_assert_float_eq(jnum(jget(doc, "collections")), 0.0, 0.0);
    const json_t *w = jget(doc, "warnings");
    cr_assert(w != NULL && json_is_array(w) && jlen(w) == 1);
    cr_assert(strstr(jstr(jitem(w, 0)), "--verify ran but no collection happened") != NULL);

    r = run_gcbench(dir, "--size=small", "--heap=64M", "--stress=100000000", "--quiet", "--out",
                    out, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "gcbench: warning: --stress ran but no collection happened") != NULL,
              "%s", r.err);
    cr_assert_eq(jlen(jget(run_summary(out), "warnings")), 1);
}

/* With the --size=small default heap, --verify collects (so checks
 * something) for every workload under every collector, and each run
 * completes. */
Test(e2e, small_default_heap_collects_everywhere, .timeout = 600)
{
    char *dir = make_tmpdir();
    char *out = path_join(dir, "s");
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++)
        for (const wl_workload *const *w = wl_registered_workloads; *w != NULL; w++) {
            if (strcmp((*w)->name, GCB_PROGRAM_WORKLOAD) == 0)
                continue;
            char carg[96], warg[96];
            snprintf(carg, sizeof carg, "--collector=%s", (*c)->name);
            snprintf(warg, sizeof warg, "--workload=%s", (*w)->name);
            run_result r = run_gcbench(dir, carg, warg, "--size=small", "--verify", "--quiet",
                                       "--out", out, NULL);
            cr_assert_eq(r.status, 0, "%s %s: exit %d; stderr:\n%s", carg, warg, r.status, r.err);
            cr_assert_null(strstr(r.err, "warning"), "%s %s: %s", carg, warg, r.err);
            const json_t *doc = run_summary(out);
            cr_assert_gt(jnum(jget(doc, "collections")), 0, "%s %s never collected", carg, warg);
            cr_assert_float_eq(jnum(jget(doc, "heap_limit_bytes")),
                               (double)GCB_DEFAULT_SMALL_HEAP_LIMIT, 0.5);
        }
}

/* --debug-corrupt reaches the program workload: it damages the output it
 * compares with the program's .expected (exit 4, stdout intact); a program
 * without one has nothing to damage (exit 2). */
Test(e2e, program_debug_corrupt)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--program=" SAMPLE_PROGRAM, "--quiet", "--debug-corrupt=1",
                               NULL);
    cr_assert_eq(r.status, 4, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.err, "gcbench: verification FAILED: ") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "differs from") != NULL, "%s", r.err);
    cr_assert_str_eq(r.out, read_file(GCBENCH_SOURCE_DIR "/workloads/programs/strings.expected"));

    /* Without the hook the same run verifies its output. */
    r = run_gcbench(dir, "--program=" SAMPLE_PROGRAM, "--quiet", "--out", dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(jstr(jget(run_summary(dir), "verification_detail")),
                     "output matches") != NULL);

    /* A program whose output differs from its .expected fails verification. */
    char *prog = path_join(dir, "p.gca"), *exp = path_join(dir, "p.expected");
    FILE *f = fopen(prog, "w");
    cr_assert_not_null(f);
    fputs("main:\n    println \"hello\"\n    halt\n", f);
    fclose(f);
    f = fopen(exp, "w");
    fputs("hellO\n", f);
    fclose(f);
    char parg[4200];
    snprintf(parg, sizeof parg, "--program=%s", prog);
    r = run_gcbench(dir, parg, "--quiet", NULL);
    cr_assert_eq(r.status, 4, "%s", r.err);
    cr_assert(strstr(r.err, "at byte 4 (line 1)") != NULL, "%s", r.err);
    f = fopen(exp, "w");
    fputs("hello\n", f);
    fclose(f);
    r = run_gcbench(dir, parg, "--quiet", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "hello\n");

    /* No .expected: nothing the workload can damage. */
    cr_assert_eq(unlink(exp), 0);
    r = run_gcbench(dir, parg, "--quiet", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    r = run_gcbench(dir, parg, "--quiet", "--debug-corrupt=1", NULL);
    cr_assert_eq(r.status, 2, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.err, "--debug-corrupt needs an expected output") != NULL, "%s", r.err);
    cr_assert_str_eq(r.out, "", "the program must not run: %s", r.out);
}

/* A program that never stops is stopped by the step limit: exit 5 naming
 * the line; the limit in force is in summary.json and --help. */
Test(e2e, program_step_limit)
{
    char *dir = make_tmpdir();
    char *prog = path_join(dir, "spin.gca"), *out = path_join(dir, "o");
    FILE *f = fopen(prog, "w");
    cr_assert_not_null(f);
    fputs("; spins\nmain: jmp main\n", f);
    fclose(f);
    char parg[4200];
    snprintf(parg, sizeof parg, "--program=%s", prog);
    run_result r = run_gcbench(dir, parg, "--max-steps=1000", "--quiet", "--out", out, NULL);
    cr_assert_eq(r.status, 5, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.err, "spin.gca:2: ") != NULL, "the line: %s", r.err);
    cr_assert(strstr(r.err, "step limit of 1000 instructions") != NULL, "%s", r.err);
    const json_t *doc = run_summary(out);
    cr_assert_float_eq(jnum(jget(doc, "max_steps")), 1000.0, 0.0);
    cr_assert_float_eq(jnum(jget(doc, "exit_code")), 5.0, 0.0);

    /* The default is in force without the option (a sample program runs
     * well inside it), and --help names it. */
    r = run_gcbench(dir, "--program=" SAMPLE_PROGRAM, "--quiet", "--out", out, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_float_eq(jnum(jget(run_summary(out), "max_steps")), (double)GCB_DEFAULT_MAX_STEPS,
                       0.0);
    r = run_gcbench(dir, "--help", NULL);
    cr_assert(strstr(r.out, "--max-steps=N") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "(default 1000000000)") != NULL, "%s", r.out);
    /* Not a program: max_steps is null. */
    r = run_gcbench(dir, "--size=small", "--quiet", "--out", out, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(json_is_null(jget(run_summary(out), "max_steps")));
}

/* Values read from summary.json are range-checked before use: a negative,
 * huge or non-finite figure is an error naming the file and the key (it was
 * cast to uint64_t: undefined behaviour). */
Test(e2e, compare_rejects_out_of_range_figures)
{
    char *dir = make_tmpdir();
    expect_compare_error(dir, write_summary(dir, "share", "{\"gc_share\": -2.5}"),
                         "share/summary.json: 'gc_share' is -2.5, outside 0..1");
    /* jansson refuses a real that overflows a double: a JSON error. */
    expect_compare_error(dir, write_summary(dir, "share2", "{\"gc_share\": 1e400}"),
                         "share2/summary.json is not valid JSON: line 1, column 18: real number "
                         "overflow near '1e400'");
    expect_compare_error(dir, write_summary(dir, "wall", "{\"wall_ns\": -1}"),
                         "wall/summary.json: 'wall_ns' is -1, outside 0..2^64-1");
    expect_compare_error(dir, write_summary(dir, "huge", "{\"peak_heap_bytes\": 1e20}"),
                         "'peak_heap_bytes' is 1e+20, outside 0..2^64-1");
    expect_compare_error(dir, write_summary(dir, "p50", "{\"pauses\": {\"p50_ns\": -0.5}}"),
                         "'pauses.p50_ns' is -0.5, outside");
    expect_compare_error(dir,
                         write_summary(dir, "mmu",
                                       "{\"mmu\": [{\"window_ns\": 1000000, "
                                       "\"utilization\": -3}]}"),
                         "'mmu[0].utilization' is -3, outside 0..1");
    /* The largest exact value is fine, and so are fractions in range. */
    char *ok = write_summary(dir, "ok",
                             "{\"wall_ns\": 18446744073709551615, \"gc_share\": 0.25, "
                             "\"pauses\": {\"count\": 0}}");
    run_result r = run_gcbench(dir, "compare", ok, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "25.0%") != NULL, "%s", r.out);
}

/* A run killed while writing leaves .NAME.XXXXXX behind; the next run into
 * the directory removes such stale temporaries of its own four files, and
 * nothing else. */
Test(files, stale_temporaries_removed)
{
    cr_assert(gcb_is_run_temp_name(".pauses.csv.Ab12Cd"));
    cr_assert(gcb_is_run_temp_name(".summary.json.XXXXXX"));
    cr_assert(gcb_is_run_temp_name(".heap.csv.000000"));
    cr_assert(gcb_is_run_temp_name(".mmu.csv.zzzzzz"));
    cr_assert_not(gcb_is_run_temp_name("pauses.csv.Ab12Cd"));
    cr_assert_not(gcb_is_run_temp_name(".pauses.csv.Ab12C"));
    cr_assert_not(gcb_is_run_temp_name(".pauses.csv.Ab12Cde"));
    cr_assert_not(gcb_is_run_temp_name(".pauses.csv.Ab-2Cd"));
    cr_assert_not(gcb_is_run_temp_name(".notes.txt.Ab12Cd"));
    cr_assert_not(gcb_is_run_temp_name(".pauses.csvAb12Cd"));

    char *dir = make_tmpdir();
    static const char *const stale[] = {".pauses.csv.Ab12Cd", ".summary.json.q9Z8y7",
                                        ".heap.csv.aaaaaa", ".mmu.csv.BBBBBB"};
    static const char *const kept_old[] = {".notes.txt.Ab12Cd", ".pauses.csv.toolong1", "mine"};
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    for (size_t i = 0; i < 4 + 3; i++) {
        const char *name = i < 4 ? stale[i] : kept_old[i - 4];
        FILE *f = fopen(path_join(dir, name), "w");
        cr_assert_not_null(f);
        fputs("partial", f);
        fclose(f);
        cr_assert_eq(utimensat(AT_FDCWD, path_join(dir, name), old, 0), 0);
    }
    /* A fresh one may belong to a run writing right now: kept. */
    FILE *f = fopen(path_join(dir, ".pauses.csv.fresh1"), "w");
    cr_assert_not_null(f);
    fclose(f);

    run_result r = run_gcbench(dir, "--size=small", "--quiet", "--out", dir, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (size_t i = 0; i < 4; i++)
        cr_assert_neq(access(path_join(dir, stale[i]), F_OK), 0, "%s left behind", stale[i]);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(access(path_join(dir, kept_old[i]), F_OK), 0, "%s removed", kept_old[i]);
    cr_assert_eq(access(path_join(dir, ".pauses.csv.fresh1"), F_OK), 0, "fresh one removed");
    cr_assert_eq(access(path_join(dir, "summary.json"), F_OK), 0);
}

/* An unknown collector's error lists every registered collector, as --list
 * would. */
Test(e2e, unknown_collector_lists_names)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--collector=nope", "--size=small", NULL);
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "unknown collector 'nope'") != NULL, "%s", r.err);
    size_t n = 0;
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL; c++, n++)
        cr_assert(strstr(r.err, (*c)->name) != NULL, "'%s' not listed: %s", (*c)->name, r.err);
    cr_assert_geq(n, 4);
    cr_assert_str_eq(r.out, "");
}

/* A program path with bytes that are not UTF-8 is quoted escaped in the
 * verification detail (stdout and summary.json), never echoed raw; a long
 * one by its tail, so the file name stays visible. */
Test(e2e, program_path_escaped_in_messages)
{
    char *dir = make_tmpdir();
    char *bad = path_join(dir, "bad\xff" "dir");
    cr_assert_eq(sh("mkdir -p '%s' && cp '%s/workloads/programs/lists.gca' '%s/'", bad, GCBENCH_SOURCE_DIR, bad), 0);
    char *prog = path_join(bad, "lists.gca");
    char *out = path_join(dir, "run");
    cr_assert_eq(sh("'%s' --program='%s' --heap=8M --out='%s' >'%s/o' 2>'%s/e'", GCBENCH_BIN, prog, out, dir, dir), 0);
    char *o = read_file(path_join(dir, "o"));
    cr_assert(strstr(o, "bad\\xffdir/lists.gca halted normally") != NULL, "stdout:\n%s", o);
    cr_assert(strchr(o, '\xff') == NULL, "a raw 0xff byte reached stdout");
    const json_t *doc = run_summary(out);
    cr_assert(strstr(jstr(jget(doc, "verification_detail")), "\\xffdir/lists.gca") != NULL, "%s",
              jstr(jget(doc, "verification_detail")));
    char *lng = path_join(dir, "a-directory-name-long-enough-to-be-cut-in-the-middle-of-a-message/and-deeper");
    cr_assert_eq(sh("mkdir -p '%s' && cp '%s/workloads/programs/lists.gca' '%s/'", lng, GCBENCH_SOURCE_DIR, lng), 0);
    cr_assert_eq(sh("'%s' --program='%s/lists.gca' --heap=8M >'%s/o2' 2>&1", GCBENCH_BIN, lng, dir), 0);
    char *o2 = read_file(path_join(dir, "o2"));
    cr_assert(strstr(o2, "...") != NULL && strstr(o2, "and-deeper/lists.gca halted normally") != NULL, "%s", o2);
}
