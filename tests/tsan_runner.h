/* tests/tsan_runner.h — a minimal stand-in for Criterion, for the
 * ThreadSanitizer build only (GCBENCH_TSAN; tests/CMakeLists.txt
 * force-includes it into the threaded suites with -include).
 *
 * Why: Criterion cannot run under ThreadSanitizer. Its sandbox (BoxFort)
 * maps an "inheritable arena" at a random address in
 * [0x2000'0000'0000, 0x6000'0000'0000), which TSan reserves almost
 * entirely for its shadow and protects; ten random probes then fail and
 * the runner aborts with "Could not initialize inheritable arena: Resource
 * temporarily unavailable" (Criterion issue #274, open since 2018), and
 * when a probe does hit a free page the runner later crashes in
 * criterion_run_all_tests. So this header takes Criterion's place: it
 * defines Criterion's include guards (the suites' own #include
 * <criterion/...> lines then add nothing) and the part of Criterion's API
 * the threaded suites use, with the same meaning:
 *
 *   Test(suite, name, .opts), ParameterizedTest(T *p, suite, name, .opts),
 *   ParameterizedTestParameters(suite, name), cr_make_param_array,
 *   cr_malloc/cr_calloc/cr_realloc/cr_free, cr_assert[_not|_fail|_eq|_neq|
 *   _lt|_leq|_gt|_geq|_null|_not_null|_str_eq|_str_neq] and the cr_expect
 *   forms, cr_log_info/_warn/_error, cr_skip_test; options .timeout,
 *   .exit_code, .signal, .disabled, .description, .init, .fini.
 *
 * The runner (main below) forks one child per case, as Criterion does, so
 * a crash, an exit code, a TSan report (halt_on_error: exit 66) or a
 * timeout ends that case only. It prints Criterion's lines ([RUN ],
 * [PASS], [FAIL], [SKIP], [----] and the final "[====] Synthesis: Tested:
 * N | Passing: P | Failing: F | Crashing: C"), which scripts/test reads, and
 * exits 1 when a case failed. Options: --filter=PATTERN (a glob on
 * "suite/name", as Criterion's), --timeout=SECONDS (a default for cases
 * without .timeout); --jobs, -jN, --ascii and --verbose are accepted and
 * ignored (cases run one at a time).
 *
 * A failing assertion prints its message and ends the child with _exit:
 * like Criterion's abort of a test, it runs no atexit handler.
 */
#ifndef GC_TESTS_TSAN_RUNNER_H
#define GC_TESTS_TSAN_RUNNER_H

/* Criterion's headers become empty. */
#define CRITERION_H_
#define CRITERION_PARAMETERIZED_H_
#define CRITERION_LOGGING_H_
#define CRITERION_ASSERT_H_
#define CRITERION_ALLOC_H_
#define CRITERION_TYPES_H_
#define CRITERION_OPTIONS_H_
#define CRITERION_HOOKS_H_
#define CRITERION_EVENT_H_
#define CRITERION_STATS_H_
#define CRITERION_ABORT_H_

#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Child exit codes of the runner's own outcomes (a case may exit with any
 * other code on purpose: .exit_code). */
#define CRT_EXIT_FAILED 254
#define CRT_EXIT_SKIPPED 253

struct criterion_test_params {
    size_t size;
    void *params;
    size_t length;
    void (*cleanup)(struct criterion_test_params *);
};

#define cr_make_param_array(Type, Array, Len, Cleanup)                                       \
    ((struct criterion_test_params){.size = sizeof(Type), .params = (Array), .length = (Len), \
                                    .cleanup = (Cleanup)})

static inline void *cr_malloc(size_t n) { return malloc(n); }
static inline void *cr_calloc(size_t n, size_t s) { return calloc(n, s); }
static inline void *cr_realloc(void *p, size_t n) { return realloc(p, n); }
static inline void cr_free(void *p) { free(p); }

/* The options of a case (the first member only absorbs the initializer's
 * leading 0, so that `{0, __VA_ARGS__}` is valid with no option). */
struct crt_opts {
    int unused_;
    double timeout;
    int exit_code;
    int signal;
    bool disabled;
    const char *description;
    void (*init)(void);
    void (*fini)(void);
};

struct crt_test {
    const char *suite, *name;
    const struct crt_opts *opts;
    void (*fn)(void);                              /* a Test */
    void (*pfn)(void *param);                      /* a ParameterizedTest */
    struct criterion_test_params (*params)(void); /* its parameters */
    struct crt_test *next;
};

static struct crt_test *crt_tests;
static const struct crt_test *crt_current; /* the case running in this child */
static bool crt_expect_failed;

static inline void crt_register(struct crt_test *t)
{
    t->next = crt_tests;
    crt_tests = t;
}

#define Test(suite, name, ...)                                                                        \
    static void crt_fn_##suite##_##name(void);                                                       \
    static const struct crt_opts crt_opts_##suite##_##name = {0, __VA_ARGS__};                        \
    static struct crt_test crt_test_##suite##_##name = {#suite, #name, &crt_opts_##suite##_##name,    \
                                                        crt_fn_##suite##_##name, NULL, NULL, NULL};   \
    __attribute__((constructor)) static void crt_reg_##suite##_##name(void)                           \
    {                                                                                                 \
        crt_register(&crt_test_##suite##_##name);                                                     \
    }                                                                                                 \
    static void crt_fn_##suite##_##name(void)

#define ParameterizedTestParameters(suite, name)                  \
    struct criterion_test_params crt_params_##suite##_##name(void); \
    struct criterion_test_params crt_params_##suite##_##name(void)

#define ParameterizedTest(param, suite, name, ...)                                                   \
    struct criterion_test_params crt_params_##suite##_##name(void);                                  \
    static void crt_pfn_##suite##_##name(param);                                                     \
    static void crt_pwrap_##suite##_##name(void *p) { crt_pfn_##suite##_##name(p); }                 \
    static const struct crt_opts crt_opts_##suite##_##name = {0, __VA_ARGS__};                        \
    static struct crt_test crt_test_##suite##_##name = {#suite, #name, &crt_opts_##suite##_##name,    \
                                                        NULL, crt_pwrap_##suite##_##name,             \
                                                        crt_params_##suite##_##name, NULL};           \
    __attribute__((constructor)) static void crt_reg_##suite##_##name(void)                           \
    {                                                                                                 \
        crt_register(&crt_test_##suite##_##name);                                                     \
    }                                                                                                 \
    static void crt_pfn_##suite##_##name(param)

#define TestSuite(...) struct crt_unused_suite_

/* ---- logging, skipping, assertions ---------------------------------------------------- */

static inline void crt_vlog(const char *tag, const char *fmt, va_list ap)
{
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "[----] %s%s\n", tag, msg);
}

static inline void crt_log(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void crt_log(const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    crt_vlog(tag, fmt, ap);
    va_end(ap);
}

#define cr_log_info(...) crt_log("", __VA_ARGS__)
#define cr_log_warn(...) crt_log("warning: ", __VA_ARGS__)
#define cr_log_error(...) crt_log("error: ", __VA_ARGS__)

static inline _Noreturn void crt_skip(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[SKIP] %s::%s: %s\n", crt_current->suite, crt_current->name, msg);
    fflush(NULL);
    _exit(CRT_EXIT_SKIPPED);
}
#define cr_skip_test(...) crt_skip("" __VA_ARGS__)

/* Reports a failed assertion; a fatal one ends the case. */
/* (No format attribute: a message-less assertion passes an empty format.) */
static inline void crt_failed(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[----] %s:%d: Assertion Failed\n[----]   %s\n", file, line,
            msg[0] ? msg : expr ? expr : "(no message)");
    if (!fatal) {
        crt_expect_failed = true;
        return;
    }
    fflush(NULL);
    _exit(CRT_EXIT_FAILED);
}

#define crt_check_(fatal, cond, expr, ...)                                           \
    do {                                                                             \
        if (!(cond))                                                                 \
            crt_failed((fatal), __FILE__, __LINE__, "The expression " expr " is false.", "" __VA_ARGS__); \
    } while (0)

#define cr_assert(cond, ...) crt_check_(true, (cond), #cond, __VA_ARGS__)
#define cr_expect(cond, ...) crt_check_(false, (cond), #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) crt_check_(true, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_not(cond, ...) crt_check_(false, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_fail(...) crt_failed(true, __FILE__, __LINE__, "The test failed.", "" __VA_ARGS__)
#define cr_expect_fail(...) crt_failed(false, __FILE__, __LINE__, "The test failed.", "" __VA_ARGS__)
#define crt_cmp_(fatal, a, op, b, ...) crt_check_(fatal, ((a)op(b)), "(" #a ") " #op " (" #b ")", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) crt_cmp_(true, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) crt_cmp_(true, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) crt_cmp_(true, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) crt_cmp_(true, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) crt_cmp_(true, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) crt_cmp_(true, a, >=, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) crt_cmp_(false, a, ==, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) crt_cmp_(false, a, !=, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) crt_cmp_(false, a, <, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) crt_cmp_(false, a, <=, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) crt_cmp_(false, a, >, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) crt_cmp_(false, a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...) crt_check_(true, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) crt_check_(true, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_null(p, ...) crt_check_(false, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) crt_check_(false, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) crt_check_(true, strcmp((a), (b)) == 0, "strcmp(" #a ", " #b ") == 0", __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) crt_check_(true, strcmp((a), (b)) != 0, "strcmp(" #a ", " #b ") != 0", __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) crt_check_(false, strcmp((a), (b)) == 0, "strcmp(" #a ", " #b ") == 0", __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) crt_check_(false, strcmp((a), (b)) != 0, "strcmp(" #a ", " #b ") != 0", __VA_ARGS__)

/* ---- the runner ------------------------------------------------------------------------ */

static inline double crt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct crt_totals {
    unsigned tested, passing, failing, crashing;
} crt_totals;

/* Runs one case in a child process and reports it. */
static inline void crt_run_case(const struct crt_test *t, void *param, double default_timeout, crt_totals *tot)
{
    const struct crt_opts *o = t->opts;
    double timeout = o->timeout > 0 ? o->timeout : default_timeout;
    fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
    fflush(NULL);
    double t0 = crt_now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("tsan_runner: fork");
        exit(2);
    }
    if (pid == 0) {
        crt_current = t;
        if (o->init)
            o->init();
        if (t->fn)
            t->fn();
        else
            t->pfn(param);
        if (o->fini)
            o->fini();
        fflush(NULL);
        exit(crt_expect_failed ? CRT_EXIT_FAILED : 0);
    }
    int status = 0;
    bool timed_out = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0) {
            perror("tsan_runner: waitpid");
            exit(2);
        }
        if (timeout > 0 && crt_now() - t0 > timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = true;
            break;
        }
        usleep(2000);
    }
    double secs = crt_now() - t0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == CRT_EXIT_SKIPPED)
        return; /* reported by the child, not counted (as Criterion) */
    tot->tested++;
    if (timed_out) {
        fprintf(stderr, "[FAIL] %s::%s: Timed out. (%.2fs)\n", t->suite, t->name, secs);
        tot->failing++;
    } else if (WIFSIGNALED(status)) {
        if (o->signal && WTERMSIG(status) == o->signal) {
            fprintf(stderr, "[PASS] %s::%s: (%.2fs)\n", t->suite, t->name, secs);
            tot->passing++;
        } else {
            fprintf(stderr, "[FAIL] %s::%s: CRASH! (signal %d)\n", t->suite, t->name, WTERMSIG(status));
            tot->crashing++;
        }
    } else if (o->signal) {
        fprintf(stderr, "[FAIL] %s::%s: exited with status %d, expected signal %d\n", t->suite, t->name,
                WEXITSTATUS(status), o->signal);
        tot->failing++;
    } else if (WEXITSTATUS(status) == o->exit_code) {
        fprintf(stderr, "[PASS] %s::%s: (%.2fs)\n", t->suite, t->name, secs);
        tot->passing++;
    } else {
        int code = WEXITSTATUS(status);
        fprintf(stderr, "[FAIL] %s::%s: %s%d%s (%.2fs)\n", t->suite, t->name,
                code == CRT_EXIT_FAILED ? "assertion failed (exit " : "exited with status ", code,
                code == 66 ? "; a ThreadSanitizer report above" : code == CRT_EXIT_FAILED ? ")" : "", secs);
        tot->failing++;
    }
    fflush(NULL);
}

static inline int crt_cmp_tests(const void *a, const void *b)
{
    const struct crt_test *x = *(const struct crt_test *const *)a, *y = *(const struct crt_test *const *)b;
    int c = strcmp(x->suite, y->suite);
    return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    double default_timeout = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--filter=", 9) == 0)
            filter = a + 9;
        else if (strcmp(a, "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strncmp(a, "--timeout=", 10) == 0)
            default_timeout = atof(a + 10);
        else if (strcmp(a, "--timeout") == 0 && i + 1 < argc)
            default_timeout = atof(argv[++i]);
        else if (strncmp(a, "--jobs", 6) == 0 || strncmp(a, "-j", 2) == 0 || strcmp(a, "--ascii") == 0 ||
                 strncmp(a, "--verbose", 9) == 0)
            continue;
        else {
            fprintf(stderr, "tsan_runner: unknown option %s (known: --filter=PATTERN, --timeout=SECONDS)\n", a);
            return 2;
        }
    }
    size_t n = 0;
    for (struct crt_test *t = crt_tests; t; t = t->next)
        n++;
    struct crt_test **all = malloc((n ? n : 1) * sizeof *all);
    n = 0;
    for (struct crt_test *t = crt_tests; t; t = t->next)
        all[n++] = t;
    qsort(all, n, sizeof *all, crt_cmp_tests);
    fprintf(stderr, "[----] gcbench tsan_runner (Criterion stand-in for ThreadSanitizer builds)\n");
    crt_totals tot = {0};
    for (size_t i = 0; i < n; i++) {
        struct crt_test *t = all[i];
        char full[512];
        snprintf(full, sizeof full, "%s/%s", t->suite, t->name);
        if (filter && fnmatch(filter, full, 0) != 0)
            continue;
        if (t->opts->disabled) {
            fprintf(stderr, "[SKIP] %s::%s: Test is disabled\n", t->suite, t->name);
            continue;
        }
        if (t->fn) {
            crt_run_case(t, NULL, default_timeout, &tot);
            continue;
        }
        struct criterion_test_params ps = t->params();
        for (size_t k = 0; k < ps.length; k++)
            crt_run_case(t, (char *)ps.params + k * ps.size, default_timeout, &tot);
        if (ps.cleanup)
            ps.cleanup(&ps);
    }
    free(all);
    fprintf(stderr, "[====] Synthesis: Tested: %u | Passing: %u | Failing: %u | Crashing: %u \n", tot.tested,
            tot.passing, tot.failing, tot.crashing);
    return tot.passing == tot.tested ? 0 : 1;
}

#endif /* GC_TESTS_TSAN_RUNNER_H */
