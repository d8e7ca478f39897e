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
#include "bench/gcbench.h"
#include "bench/json.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "bench/stats.h"

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
static void *tb_calloc(size_t a, size_t b) { return tb_track(calloc(a, b)); }
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
#define calloc tb_calloc
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
static char *tmpdirs[16];
static int ntmpdirs;

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/gcbench-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d, "mkdtemp: %s", strerror(errno));
    d = strdup(d);
    if (ntmpdirs < (int)(sizeof tmpdirs / sizeof tmpdirs[0]))
        tmpdirs[ntmpdirs++] = d;
    return d;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdirs(void)
{
    for (int i = 0; i < ntmpdirs; i++)
        nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    ntmpdirs = 0;
}

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

/* ---- a tiny JSON parser, strict enough to validate gcbench's output ---- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jv {
    jtype t;
    bool b;
    double num;
    char *str;
    size_t n;
    char **keys;
    struct jv **items;
} jv;

typedef struct { const char *p; bool bad; } jp;

static void jws(jp *s)
{
    while (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')
        s->p++;
}

static void jput_utf8(char **buf, size_t *len, unsigned cp)
{
    char *b = *buf;
    if (cp < 0x80) {
        b[(*len)++] = (char)cp;
    } else if (cp < 0x800) {
        b[(*len)++] = (char)(0xc0 | (cp >> 6));
        b[(*len)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        b[(*len)++] = (char)(0xe0 | (cp >> 12));
        b[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[(*len)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        b[(*len)++] = (char)(0xf0 | (cp >> 18));
        b[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[(*len)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int jhex4(jp *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s->p[i];
        if (!isxdigit((unsigned char)c))
            return -1;
        v = v * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : (tolower(c) - 'a' + 10));
    }
    s->p += 4;
    *out = v;
    return 0;
}

static char *jstring(jp *s)
{
    if (*s->p != '"') {
        s->bad = true;
        return NULL;
    }
    s->p++;
    char *buf = malloc(strlen(s->p) * 4 + 1);
    size_t len = 0;
    for (;;) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '\0' || c < 0x20) {
            s->bad = true;
            break;
        }
        s->p++;
        if (c == '"')
            break;
        if (c != '\\') {
            buf[len++] = (char)c;
            continue;
        }
        char e = *s->p++;
        unsigned cp;
        switch (e) {
        case '"': buf[len++] = '"'; break;
        case '\\': buf[len++] = '\\'; break;
        case '/': buf[len++] = '/'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u':
            if (jhex4(s, &cp) != 0) {
                s->bad = true;
                break;
            }
            if (cp >= 0xd800 && cp <= 0xdbff && s->p[0] == '\\' && s->p[1] == 'u') {
                unsigned lo;
                s->p += 2;
                if (jhex4(s, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
                    s->bad = true;
                    break;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            jput_utf8(&buf, &len, cp);
            break;
        default: s->bad = true; break;
        }
        if (s->bad)
            break;
    }
    buf[len] = '\0';
    return buf;
}

static jv *jvalue(jp *s, int depth);

static jv *jnew(jtype t)
{
    jv *v = calloc(1, sizeof *v);
    v->t = t;
    return v;
}

static void jpush(jv *v, char *key, jv *item)
{
    v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
    v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
    v->keys[v->n] = key;
    v->items[v->n] = item;
    v->n++;
}

static jv *jvalue(jp *s, int depth)
{
    jws(s);
    if (depth > 64) {
        s->bad = true;
        return NULL;
    }
    const char *p = s->p;
    if (*p == '{' || *p == '[') {
        bool obj = *p == '{';
        jv *v = jnew(obj ? J_OBJ : J_ARR);
        s->p++;
        jws(s);
        if (*s->p == (obj ? '}' : ']')) {
            s->p++;
            return v;
        }
        for (;;) {
            char *key = NULL;
            jws(s);
            if (obj) {
                key = jstring(s);
                jws(s);
                if (s->bad || *s->p != ':') {
                    s->bad = true;
                    return v;
                }
                s->p++;
            }
            jv *item = jvalue(s, depth + 1);
            if (s->bad)
                return v;
            jpush(v, key, item);
            jws(s);
            if (*s->p == ',') {
                s->p++;
                continue;
            }
            if (*s->p == (obj ? '}' : ']')) {
                s->p++;
                return v;
            }
            s->bad = true;
            return v;
        }
    }
    if (*p == '"') {
        jv *v = jnew(J_STR);
        v->str = jstring(s);
        return v;
    }
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
        jv *v = jnew(J_BOOL);
        v->b = *p == 't';
        s->p += v->b ? 4 : 5;
        return v;
    }
    if (strncmp(p, "null", 4) == 0) {
        s->p += 4;
        return jnew(J_NULL);
    }
    /* number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *q = p;
    if (*q == '-')
        q++;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        while (isdigit((unsigned char)*q))
            q++;
    else {
        s->bad = true;
        return NULL;
    }
    if (*q == '.') {
        q++;
        if (!isdigit((unsigned char)*q)) {
            s->bad = true;
            return NULL;
        }
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (!isdigit((unsigned char)*q)) {
            s->bad = true;
            return NULL;
        }
        while (isdigit((unsigned char)*q))
            q++;
    }
    jv *v = jnew(J_NUM);
    v->num = strtod(p, NULL);
    s->p = q;
    return v;
}

/* Parses a complete document; NULL if it is not valid JSON. */
static jv *jparse(const char *text)
{
    jp s = {text, false};
    jv *v = jvalue(&s, 0);
    jws(&s);
    if (s.bad || *s.p != '\0')
        return NULL;
    return v;
}

static jv *jget(const jv *obj, const char *key)
{
    if (obj == NULL || obj->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
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
    BAD("needs a directory", "--out=");
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

    /* No wall time: no division by zero, mutator clamps at 0. */
    gcb_run_stats_compute(&st, 0, &s);
    cr_assert_eq(s.mutator_ns, 0);
    cr_assert_float_eq(s.gc_share, 0.0, 0.0);
    cr_assert_float_eq(s.alloc_bytes_per_s, 0.0, 0.0);
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

    jv *doc = jparse(buf);
    cr_assert_not_null(doc, "invalid JSON:\n%s", buf);
    cr_assert_str_eq(jget(doc, "s")->str, nasty);
    cr_assert_str_eq(jget(doc, "key \"quoted\"")->str, "v");
    cr_assert_str_eq(jget(doc, "bad_utf8")->str, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
    cr_assert_eq(jget(doc, "t")->t, J_BOOL);
    cr_assert_eq(jget(doc, "n")->t, J_NULL);
    cr_assert_eq(jget(doc, "inf")->t, J_NULL);
    cr_assert_float_eq(jget(doc, "d")->num, 0.25, 0.0);
    cr_assert_eq(jget(doc, "arr")->n, 3);
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

Test(csv, header_and_rows)
{
    cr_assert_str_eq(gcb_pauses_csv_header(),
                     "seq,start_ns,duration_ns,kind,reason,heap_before_bytes,heap_after_bytes,"
                     "roots_ns,mark_ns,sweep_ns,copy_ns,other_ns");
    gc_pause p;
    memset(&p, 0, sizeof p);
    p.seq = 1;
    p.start_ns = 5;
    p.duration_ns = 7;
    p.kind = GC_PAUSE_FULL;
    p.reason = GC_REASON_HEAP_LIMIT;
    p.heap_before = 100;
    p.heap_after = 40;
    p.phase_ns[GC_PHASE_MARK] = 3;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gcb_write_pauses_csv(f, &p, 1);
    fclose(f);
    char expect[256];
    snprintf(expect, sizeof expect, "%s\n1,5,7,%s,%s,100,40,0,3,0,0,0\n",
             gcb_pauses_csv_header(), gc_pause_kind_name(GC_PAUSE_FULL),
             gc_reason_name(GC_REASON_HEAP_LIMIT));
    cr_assert_str_eq(buf, expect);
    free(buf);
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
    "exit_code"};
static const char *const pause_keys[] = {"count",  "total_ns", "p50_ns",
                                         "p90_ns", "p99_ns",   "max_ns"};

/* Checks DIR/pauses.csv and DIR/summary.json; returns the number of pauses. */
static size_t check_run_dir(const char *out, uint64_t heap_limit)
{
    char *csvp = path_join(out, "pauses.csv");
    char *csv = read_file(csvp);
    cr_assert_not_null(csv, "no %s", csvp);
    const char *prefix = "seq,start_ns,duration_ns,kind,reason,heap_before_bytes,heap_after_bytes";
    cr_assert(strncmp(csv, prefix, strlen(prefix)) == 0, "bad header: %.200s", csv);
    char *nl = strchr(csv, '\n');
    cr_assert_not_null(nl);
    size_t header_commas = count_char(csv, (size_t)(nl - csv), ',');
    cr_assert_eq(header_commas, 11, "12 columns expected");
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
        rows++;
        line = end + 1;
    }

    char *jsonp = path_join(out, "summary.json");
    char *json = read_file(jsonp);
    cr_assert_not_null(json, "no %s", jsonp);
    jv *doc = jparse(json);
    cr_assert_not_null(doc, "summary.json is not valid JSON:\n%s", json);
    for (size_t i = 0; i < sizeof required_keys / sizeof required_keys[0]; i++)
        cr_assert_not_null(jget(doc, required_keys[i]), "summary.json lacks '%s'",
                           required_keys[i]);
    jv *pauses = jget(doc, "pauses");
    cr_assert_eq(pauses->t, J_OBJ);
    for (size_t i = 0; i < sizeof pause_keys / sizeof pause_keys[0]; i++)
        cr_assert_not_null(jget(pauses, pause_keys[i]), "pauses lacks '%s'", pause_keys[i]);
    cr_assert_eq(jget(doc, "verified")->t, J_BOOL);
    cr_assert(jget(doc, "verified")->b, "verified is not true");
    cr_assert_str_eq(jget(doc, "collector")->str, "marksweep");
    cr_assert_str_eq(jget(doc, "workload")->str, "trees");
    cr_assert_str_eq(jget(doc, "size")->str, "small");
    cr_assert_float_eq(jget(doc, "heap_limit_bytes")->num, (double)heap_limit, 0.5);
    cr_assert_float_eq(jget(pauses, "count")->num, (double)rows, 0.0,
                       "pauses.count != CSV rows (%zu)", rows);
    cr_assert_float_eq(jget(doc, "collections")->num, (double)rows, 0.0);
    cr_assert_float_eq(jget(doc, "exit_code")->num, 0.0, 0.0);
    double wall = jget(doc, "wall_ns")->num, gc = jget(doc, "gc_ns")->num,
           mut = jget(doc, "mutator_ns")->num;
    cr_assert(wall > 0);
    cr_assert_float_eq(wall, gc + mut, 0.5);
    cr_assert(jget(pauses, "p50_ns")->num <= jget(pauses, "p90_ns")->num);
    cr_assert(jget(pauses, "p90_ns")->num <= jget(pauses, "p99_ns")->num);
    cr_assert(jget(pauses, "p99_ns")->num <= jget(pauses, "max_ns")->num);
    double share = jget(doc, "gc_share")->num;
    cr_assert(share >= 0.0 && share <= 1.0);
    return rows;
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
                           "\nallocated ",        "\npeak heap ",    "\nverification    passed"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_assert(strstr(r.out, lines[i]) != NULL, "summary lacks '%s':\n%s", lines[i], r.out);
    cr_assert_str_eq(r.err, "");
    size_t rows = check_run_dir(out, 1 << 20);
    cr_assert_geq(rows, 1, "a 1 MiB heap must collect at least once");
}

Test(e2e, default_heap_out_dir)
{
    /* The exact command from the issue (default 64M heap). */
    char *dir = make_tmpdir();
    char *out = path_join(dir, "out");
    char *outarg = malloc(strlen(out) + 8);
    sprintf(outarg, "--out=%s", out);
    run_result r = run_gcbench(dir, "--collector=marksweep", "--workload=trees", "--size=small",
                               outarg, NULL);
    cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "verification    passed") != NULL, "%s", r.out);
    check_run_dir(out, GC_DEFAULT_HEAP_LIMIT);
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

Test(e2e, heap_exhausted)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--heap=256K", "--size=small", NULL);
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
}

Test(e2e, help_and_version)
{
    char *dir = make_tmpdir();
    run_result r = run_gcbench(dir, "--help", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "Usage: gcbench") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "--collector") != NULL);
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

static jv *run_fake(const wl_workload *wl, int expect_rc)
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
    jv *doc = jparse(json);
    cr_assert_not_null(doc, "%s", json);
    return doc;
}

Test(runner, verification_failure_exits_4_after_writing)
{
    jv *doc = run_fake(&failing_workload, GCB_EXIT_VERIFY_FAILED);
    cr_assert_eq(jget(doc, "verified")->t, J_BOOL);
    cr_assert_not(jget(doc, "verified")->b);
    cr_assert_float_eq(jget(doc, "exit_code")->num, 4.0, 0.0);
    cr_assert_str_eq(jget(doc, "verification_detail")->str, "checksum 41 != 42 \"quoted\"");
    cr_assert_str_eq(jget(doc, "workload")->str, "failing");
    cr_assert_float_eq(jget(doc, "allocated_objects")->num, 100.0, 0.0);
}

Test(runner, incomplete_workload_exits_1)
{
    jv *doc = run_fake(&aborting_workload, GCB_EXIT_ERROR);
    cr_assert_not(jget(doc, "verified")->b);
    cr_assert_float_eq(jget(doc, "exit_code")->num, 1.0, 0.0);
}
