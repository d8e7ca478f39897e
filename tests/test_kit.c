/* tests/test_kit.c — the classroom kit (issue 16): scripts/new-collector,
 * docs/tutorial.md, scripts/grade and the rehearsal of docs/coursework.md.
 *
 * Everything that adds a collector runs in a copy of the sources in a
 * temporary directory (whose name has a space and a '$'), never in the
 * checkout: the tests check that the checkout's collectors/registry.c is
 * unchanged afterwards.
 *
 *  - new-collector: bad names and options are exit 2 with a message and
 *    change nothing; a generated collector has every slot of
 *    gc_collector_ops with a comment, compiles with -Werror, is listed by
 *    gcbench, and as generated allocates until the heap limit and exits 3
 *    (also with --stress and --verify, so its collections record pauses).
 *  - the tutorial: its fenced blocks are acted on in order in a copy
 *    (```c file=PATH``` written to PATH, ```c excerpt=PATH``` found in
 *    PATH, ```sh run``` run with bash, ```text expect``` matched against
 *    the output of the run before it, `...` matching any text), so every
 *    step's code is built and checked the way the page says; the slow
 *    commands it only shows must name scripts that exist.
 *  - the coursework page: its rehearsal (```sh run```) runs the same way
 *    in a directory whose build/ is this build, and writes the plots.
 *  - grade: bad input is exit 2 and writes nothing; markcompact passes
 *    with --quick; a fake build whose suite fails, whose torture finds a
 *    mismatch and whose benchmark run exhausts the heap gives exit 1 with
 *    each failure on the page.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"
#include "tmpdir.h"

TestSuite(kit, .fini = remove_tmpdirs);

/* ---- helpers ------------------------------------------------------------------------ */

/* The whole file as a string, or NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        size_t k = fread(buf + n, 1, 4096, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static char *slurp_or_empty(const char *path)
{
    char *s = slurp(path);
    return s ? s : strdup("");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    cr_assert_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Paths go into single-quoted shell words. */
static void assert_quotable(const char *path) { cr_assert_null(strchr(path, '\''), "path with a quote: %s", path); }

/* A copy of the sources (what a build needs, and the docs and scripts) at
 * parent/leaf. */
static char *copy_repo(const char *parent, const char *leaf)
{
    char *dst = strdup(fmt("%s/%s", parent, leaf));
    assert_quotable(dst);
    int rc = sh("mkdir -p '%s' && cd '%s' && cp -R CMakeLists.txt cmake core collectors workloads bench tests "
                "scripts docs '%s'/ && { [ ! -f README.md ] || cp README.md '%s'/; }",
                dst, GCBENCH_SOURCE_DIR, dst, dst);
    cr_assert_eq(rc, 0, "cannot copy the sources to %s", dst);
    return dst;
}

/* What every command starts with: this process is a Criterion worker, and a
 * Criterion program started with its environment (the test suites the
 * tutorial and grade run) would take itself for a worker too (BXFI_MAP) or
 * apply this run's options (CRITERION_*). */
#define CLEAN_ENV                                                                                               \
    "unset BXFI_MAP CRITERION_TEST_PATTERN CRITERION_JOBS CRITERION_OUTPUTS CRITERION_ALWAYS_SUCCEED "        \
    "CRITERION_FAIL_FAST CRITERION_ENABLE_TAP CRITERION_VERBOSITY_LEVEL CRITERION_USE_ASCII "                  \
    "CRITERION_SHORT_FILENAME CRITERION_DISABLE_TIME_MEASUREMENTS; "

/* Runs cmd with /bin/sh in dir, stdin from /dev/null, stdout and stderr to
 * the files out and err; returns its exit status. */
static int run_in(const char *dir, const char *cmd, const char *out, const char *err)
{
    return sh(CLEAN_ENV "cd '%s' && { %s\n} </dev/null >'%s' 2>'%s'", dir, cmd, out, err);
}

static const char *main_registry(void) { return GCBENCH_SOURCE_DIR "/collectors/registry.c"; }

/* The names in the GC_COLLECTORS list of a registry.c, in order, as
 * "a,b,c," (lines "X(name)" with an optional trailing backslash). */
static char *registry_names(const char *text)
{
    char *out = calloc(1, strlen(text) + 1);
    cr_assert_not_null(out);
    const char *def = strstr(text, "#define GC_COLLECTORS(X)");
    cr_assert_not_null(def, "no GC_COLLECTORS list");
    const char *p = strchr(def, '\n');
    while (p && *p) {
        p++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + len && isspace((unsigned char)*q))
            q++;
        if (strncmp(q, "X(", 2) == 0) {
            const char *close = memchr(q, ')', (size_t)(p + len - q));
            cr_assert_not_null(close);
            strncat(out, q + 2, (size_t)(close - q - 2));
            strcat(out, ",");
        }
        /* the list ends at the first line without a trailing backslash */
        const char *e = p + len;
        while (e > p && isspace((unsigned char)e[-1]))
            e--;
        if (e == p || e[-1] != '\\')
            break;
        p = eol;
    }
    return out;
}

/* The slots of struct gc_collector_ops, from core/collector.h: "name",
 * "description", ..., "init", ... (at most 64). */
static int collector_slots(char slots[][64])
{
    char *h = slurp(GCBENCH_SOURCE_DIR "/core/collector.h");
    cr_assert_not_null(h);
    char *start = strstr(h, "struct gc_collector_ops {");
    cr_assert_not_null(start);
    char *end = strstr(start, "\n};");
    cr_assert_not_null(end);
    *end = '\0';
    int n = 0;
    for (char *line = strchr(start, '\n'); line && *line; line = strchr(line + 1, '\n')) {
        char *l = line + 1;
        while (*l == ' ')
            l++;
        if (strncmp(l, "/*", 2) == 0 || *l == '*' || *l == '\n' || *l == '\0')
            continue;
        char *semi = strchr(l, ';');
        char *nl = strchr(l, '\n');
        if (!semi || (nl && semi > nl))
            continue;
        char name[64] = "";
        char *fp = strstr(l, "(*");
        if (fp && fp < semi) { /* a function pointer: ret (*name)(...) */
            sscanf(fp + 2, "%63[A-Za-z0-9_]", name);
        } else { /* type name; or type *name; */
            char *q = semi;
            while (q > l && (isalnum((unsigned char)q[-1]) || q[-1] == '_'))
                q--;
            snprintf(name, sizeof name, "%.*s", (int)(semi - q), q);
        }
        if (name[0]) {
            cr_assert_lt(n, 64);
            snprintf(slots[n++], 64, "%s", name);
        }
    }
    free(h);
    cr_assert_geq(n, 20, "found only %d slots in core/collector.h", n);
    return n;
}

/* The line before the one at `at` in text (NULL at the first line), as a
 * pointer to its start; *len is its length. */
static const char *line_before(const char *text, const char *at, size_t *len)
{
    const char *ls = at;
    while (ls > text && ls[-1] != '\n')
        ls--;
    if (ls == text)
        return NULL;
    const char *pe = ls - 1; /* the '\n' ending the previous line */
    const char *ps = pe;
    while (ps > text && ps[-1] != '\n')
        ps--;
    *len = (size_t)(pe - ps);
    return ps;
}

static bool ends_comment(const char *line, size_t len)
{
    while (len > 0 && isspace((unsigned char)line[len - 1]))
        len--;
    return len >= 2 && line[len - 2] == '*' && line[len - 1] == '/';
}

/* Every slot of gc_collector_ops is set in the descriptor of `src`, and
 * each has a comment: on the line before it in the descriptor, or before
 * the definition of the function (or array) it is set to. */
static void check_every_slot_commented(const char *src, const char *what)
{
    char slots[64][64];
    int n = collector_slots(slots);
    const char *desc = strstr(src, "const gc_collector_ops gc_");
    cr_assert_not_null(desc, "%s: no descriptor", what);
    for (int i = 0; i < n; i++) {
        char key[sizeof slots[0] + 16];
        snprintf(key, sizeof key, "\n    .%.63s = ", slots[i]);
        const char *at = strstr(desc, key);
        cr_assert_not_null(at, "%s: slot .%s is not set in the descriptor", what, slots[i]);
        at++;
        size_t len;
        const char *prev = line_before(src, at, &len);
        if (prev && ends_comment(prev, len))
            continue;
        /* set to a function or array of the file: its definition is commented */
        char value[128] = "";
        sscanf(at + strlen(key) - 1, "%127[A-Za-z0-9_@]", value); /* @: the template's placeholders */
        cr_assert(value[0], "%s: slot .%s has no comment and no value", what, slots[i]);
        const char *def = NULL;
        for (const char *p = src; (p = strstr(p, value)) != NULL; p++) {
            const char *ls = p;
            while (ls > src && ls[-1] != '\n')
                ls--;
            if (strncmp(ls, "static ", 7) == 0 && (p[strlen(value)] == '(' || p[strlen(value)] == '[')) {
                def = ls;
                break;
            }
        }
        cr_assert_not_null(def, "%s: slot .%s has no comment above it, and %s is not defined in the file", what,
                           slots[i], value);
        prev = line_before(src, def, &len);
        cr_assert(prev && ends_comment(prev, len), "%s: slot .%s: neither it nor %s has a comment saying what it does",
                  what, slots[i], value);
    }
}

/* ---- new-collector -------------------------------------------------------------------- */

Test(kit, new_collector_rejects_bad_input)
{
    char *tmp = make_tmpdir();
    char *repo = copy_repo(tmp, "a repo $x");
    char *reg0 = slurp(fmt("%s/collectors/registry.c", repo));
    cr_assert_not_null(reg0);
    cr_assert_eq(sh("cd '%s' && ls collectors docs/collectors >'%s/ls0'", repo, tmp), 0);
    /* a tree whose registry has no list to add to */
    cr_assert_eq(sh("mkdir -p '%s/odd/collectors/template' '%s/odd/docs/collectors' '%s/odd/core' && "
                    "cp '%s/collectors/template/collector.c.in' '%s/odd/collectors/template/' && "
                    "cp '%s/docs/collectors/template.md.in' '%s/odd/docs/collectors/' && "
                    "cp '%s/core/collector.h' '%s/odd/core/' && echo 'int x;' >'%s/odd/collectors/registry.c'",
                    tmp, tmp, tmp, repo, tmp, repo, tmp, repo, tmp, tmp),
                 0);
    const struct {
        const char *args, *says;
    } cases[] = {
        {"", "a collector name is required"},
        {"''", "a collector name is required"},
        {"MyGC", "'MyGC' is not a valid collector name"},
        {"1gc", "'1gc' is not a valid collector name"},
        {"my-gc", "is not a valid collector name"},
        {"'my gc'", "is not a valid collector name"},
        {"'x;touch pwned'", "is not a valid collector name"},
        {"'$(touch pwned)'", "is not a valid collector name"},
        {"../x", "is not a valid collector name"},
        {"marksweep", "collector 'marksweep' already exists"},
        {"markcompact", "collector 'markcompact' already exists"},
        {"space", "already exists (collectors/space.c"},
        {"los", "already exists (collectors/los.c"},
        {"registry", "already exists"},
        {"gc", "reserved"},
        {"gc_mine", "reserved"},
        {"uv_x", "reserved"},
        {"all", "reserved"},
        {"template", "reserved"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long"},
        {"a b", "give one collector name"},
        {"-- a b", "give one collector name"},
        {"--bogus x", "unknown option '--bogus'"},
        {"x --dir", "--dir needs a directory"},
        {"x --dir=", "--dir needs a directory"},
        {"x --dir=/nonexistent-gcbench-dir", "is not a directory"},
        {"x --dir=..", "is not a gcbench source tree"},
        {"x --dir=../odd", "has no '#define GC_COLLECTORS(X)' list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_in(repo, fmt("scripts/new-collector %s", cases[i].args), fmt("%s/out", tmp),
                        fmt("%s/err", tmp));
        char *err = slurp_or_empty(fmt("%s/err", tmp));
        cr_assert_eq(rc, 2, "new-collector %s: exit %d, expected 2; stderr: %s", cases[i].args, rc, err);
        cr_assert(strncmp(err, "new-collector: ", 15) == 0, "new-collector %s: stderr not prefixed: %s",
                  cases[i].args, err);
        cr_assert_not_null(strstr(err, cases[i].says), "new-collector %s: stderr lacks \"%s\": %s", cases[i].args,
                           cases[i].says, err);
        free(err);
        char *reg = slurp(fmt("%s/collectors/registry.c", repo));
        cr_assert_str_eq(reg, reg0, "new-collector %s changed collectors/registry.c", cases[i].args);
        free(reg);
        cr_assert_eq(sh("cd '%s' && ls collectors docs/collectors | cmp -s - '%s/ls0'", repo, tmp), 0,
                     "new-collector %s created or removed files", cases[i].args);
        cr_assert(!exists(fmt("%s/pwned", repo)) && !exists(fmt("%s/pwned", tmp)),
                  "new-collector %s ran a command from its argument", cases[i].args);
    }
    /* registered, but its file and page are gone: the registry line counts */
    cr_assert_eq(sh("rm '%s/collectors/refcount.c' '%s/docs/collectors/refcount.md'", repo, repo), 0);
    int rc = run_in(repo, "scripts/new-collector refcount", fmt("%s/out", tmp), fmt("%s/err", tmp));
    char *err = slurp_or_empty(fmt("%s/err", tmp));
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "X(refcount) is in collectors/registry.c"), "%s", err);
    char *reg = slurp(fmt("%s/collectors/registry.c", repo));
    cr_assert_str_eq(reg, reg0);
    free(reg);
    free(err);
    free(reg0);
    free(repo);
}

Test(kit, new_collector_builds_and_exhausts)
{
    char *main0 = slurp(main_registry());
    char *tmp = make_tmpdir();
    char *repo = copy_repo(tmp, "my repo $HOME x");
    char *reg0 = slurp(fmt("%s/collectors/registry.c", repo));
    char *names0 = registry_names(reg0);

    /* from outside the tree, with --dir */
    int rc = run_in(tmp, fmt("'%s/scripts/new-collector' --dir='%s' studentgc", repo, repo), fmt("%s/out", tmp),
                    fmt("%s/err", tmp));
    char *out = slurp_or_empty(fmt("%s/out", tmp)), *err = slurp_or_empty(fmt("%s/err", tmp));
    cr_assert_eq(rc, 0, "new-collector: exit %d\n%s%s", rc, out, err);
    cr_assert_not_null(strstr(out, "created collectors/studentgc.c"), "%s", out);
    cr_assert_not_null(strstr(out, "registered studentgc in collectors/registry.c"), "%s", out);

    /* the registry: exactly one name more, at the end; the rest as it was */
    char *reg = slurp(fmt("%s/collectors/registry.c", repo));
    char *names = registry_names(reg);
    cr_assert_str_eq(names, fmt("%sstudentgc,", names0), "registry list: %s (was %s)", names, names0);
    cr_assert_not_null(strstr(reg, "\n    X(studentgc)\n"), "%s", reg);
    const char *def0 = strstr(reg0, "#define GC_COLLECTORS(X)"), *def = strstr(reg, "#define GC_COLLECTORS(X)");
    cr_assert_eq(def0 - reg0, def - reg, "the text before the list changed");
    cr_assert(strncmp(reg0, reg, (size_t)(def - reg)) == 0, "the text before the list changed");
    const char *after0 = strstr(def0, "\n\n"), *after = strstr(def, "\n\n");
    cr_assert(after0 && after && strcmp(after0, after) == 0, "the text after the list changed");

    /* the collector: no placeholder left, every slot set and commented */
    char *src = slurp(fmt("%s/collectors/studentgc.c", repo));
    cr_assert_not_null(src, "collectors/studentgc.c was not created");
    cr_assert_null(strstr(src, "@NAME@"));
    cr_assert_null(strstr(src, "@TAG@"));
    cr_assert_not_null(strstr(src, "const gc_collector_ops gc_studentgc_ops = {"));
    cr_assert_not_null(strstr(src, ".name = \"studentgc\","));
    cr_assert_not_null(strstr(src, "STUDENTGC-1"), "invariant labels are the name in capitals");
    check_every_slot_commented(src, "collectors/studentgc.c");
    char *doc = slurp(fmt("%s/docs/collectors/studentgc.md", repo));
    cr_assert_not_null(doc, "docs/collectors/studentgc.md was not created");
    cr_assert(strncmp(doc, "# studentgc ", 12) == 0, "%.60s", doc);
    cr_assert_not_null(strstr(doc, "collectors/studentgc.c"));
    cr_assert_null(strstr(doc, "@NAME@"));

    /* builds with warnings as errors; gcbench knows it */
    rc = run_in(repo,
                "cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug -DGCBENCH_WERROR=ON -DGCBENCH_TESTS=OFF "
                "-DGCBENCH_PEERS=OFF -DGCBENCH_CHECKS=OFF -DGCBENCH_INSTALL=OFF && "
                "timeout 600 cmake --build build -j2 --target gcbench",
                fmt("%s/build.log", tmp), fmt("%s/build.err", tmp));
    cr_assert_eq(rc, 0, "the generated collector does not build:\n%s", slurp_or_empty(fmt("%s/build.err", tmp)));
    rc = run_in(repo, "build/gcbench --list", fmt("%s/out", tmp), fmt("%s/err", tmp));
    cr_assert_eq(rc, 0);
    free(out);
    out = slurp_or_empty(fmt("%s/out", tmp));
    cr_assert_not_null(strstr(out, "\n  studentgc "), "gcbench --list: %s", out);

    /* allocate-only: every allocating run ends at the limit with exit 3 */
    const char *runs[] = {
        "build/gcbench --collector=studentgc --workload=alloc --size=small",
        "build/gcbench --collector=studentgc --workload=alloc --size=small --verify --stress=1000 --log-gc",
        "build/gcbench --collector=studentgc --workload=trees --size=small --heap=1M",
        "build/gcbench --collector=studentgc --workload=strings --size=small --verify",
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        rc = run_in(repo, fmt("timeout 300 %s", runs[i]), fmt("%s/out", tmp), fmt("%s/err", tmp));
        free(err);
        err = slurp_or_empty(fmt("%s/err", tmp));
        cr_assert_eq(rc, 3, "%s: exit %d, expected 3 (heap exhausted); stderr: %.2000s", runs[i], rc, err);
        cr_assert_not_null(strstr(err, "heap exhausted: "), "%s: %.2000s", runs[i], err);
        cr_assert_not_null(strstr(err, "collector studentgc"), "%s: %.2000s", runs[i], err);
        cr_assert_null(strstr(err, "verification failed"), "%s: %.2000s", runs[i], err);
        if (strstr(runs[i], "--log-gc")) /* the stress collections recorded (empty) pauses */
            cr_assert_not_null(strstr(err, "gc 1 @"), "%s: no pause logged: %.2000s", runs[i], err);
    }

    /* an explicit collection (the VM's gc instruction) records an empty
     * pause (core aborts when a requested collection records none), and a
     * program that fits in the heap runs to the end */
    rc = run_in(repo,
                "timeout 300 build/gcbench --collector=studentgc --program=workloads/programs/records.gca "
                "--log-gc --verify --quiet",
                fmt("%s/out", tmp), fmt("%s/err", tmp));
    free(err);
    err = slurp_or_empty(fmt("%s/err", tmp));
    cr_assert_eq(rc, 0, "records.gca: exit %d: %.2000s", rc, err);
    cr_assert_not_null(strstr(err, " full (explicit) "), "records.gca: no explicit pause logged: %.2000s", err);

    /* now it exists */
    rc = run_in(repo, "scripts/new-collector studentgc", fmt("%s/out", tmp), fmt("%s/err", tmp));
    free(err);
    err = slurp_or_empty(fmt("%s/err", tmp));
    cr_assert_eq(rc, 2, "exit %d", rc);
    cr_assert_not_null(strstr(err, "collector 'studentgc' already exists"), "%s", err);

    char *main1 = slurp(main_registry());
    cr_assert_str_eq(main1, main0, "the checkout's collectors/registry.c changed");
    free(main0), free(main1), free(reg0), free(reg), free(names0), free(names), free(src), free(doc);
    free(out), free(err), free(repo);
}

/* The template itself: every slot commented (this holds for any name). */
Test(kit, template_comments_every_slot)
{
    char *src = slurp(GCBENCH_SOURCE_DIR "/collectors/template/collector.c.in");
    cr_assert_not_null(src);
    check_every_slot_commented(src, "collectors/template/collector.c.in");
    free(src);
}

/* ---- the tutorial --------------------------------------------------------------------------- */

typedef struct block {
    char info[256];
    char *text; /* with the fence's indentation removed */
    int line;   /* of the opening fence, 1-based */
} block;

/* The fenced blocks of a Markdown text, in order. */
static int parse_blocks(const char *md, block *b, int max)
{
    int n = 0, lineno = 0;
    bool in = false;
    size_t indent = 0, cap = 0, len = 0;
    const char *p = md;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        size_t sp = 0;
        while (sp < ll && p[sp] == ' ')
            sp++;
        bool fence = ll - sp >= 3 && strncmp(p + sp, "```", 3) == 0;
        if (!in && fence) {
            cr_assert_lt(n, max, "too many blocks");
            size_t il = ll - sp - 3;
            snprintf(b[n].info, sizeof b[n].info, "%.*s", (int)il, p + sp + 3);
            b[n].line = lineno;
            cap = 1024, len = 0;
            b[n].text = malloc(cap);
            b[n].text[0] = '\0';
            indent = sp;
            in = true;
        } else if (in && fence && sp + 3 == ll) {
            in = false;
            n++;
        } else if (in) {
            size_t skip = sp < indent ? sp : indent;
            size_t add = ll - skip + 1;
            while (len + add + 1 > cap) {
                cap *= 2;
                b[n].text = realloc(b[n].text, cap);
            }
            memcpy(b[n].text + len, p + skip, ll - skip);
            len += ll - skip;
            b[n].text[len++] = '\n';
            b[n].text[len] = '\0';
        }
        p = eol ? eol + 1 : p + ll;
    }
    cr_assert(!in, "a fenced block does not end");
    return n;
}

/* The value of key=VALUE in a block's info string, or NULL. */
static const char *info_attr(const block *b, const char *key, char *buf, size_t n)
{
    size_t k = strlen(key);
    for (const char *p = b->info; (p = strstr(p, key)) != NULL; p++) {
        if ((p == b->info || p[-1] == ' ') && p[k] == '=') {
            snprintf(buf, n, "%.*s", (int)strcspn(p + k + 1, " "), p + k + 1);
            return buf;
        }
    }
    return NULL;
}

static bool info_word(const block *b, const char *word)
{
    size_t k = strlen(word);
    for (const char *p = b->info; (p = strstr(p, word)) != NULL; p++)
        if ((p == b->info || p[-1] == ' ') && (p[k] == '\0' || p[k] == ' '))
            return true;
    return false;
}

static bool info_lang(const block *b, const char *lang)
{
    size_t k = strlen(lang);
    return strncmp(b->info, lang, k) == 0 && (b->info[k] == '\0' || b->info[k] == ' ');
}

/* Does `line` match `pat`, where "..." in pat matches any text? */
static bool line_matches(const char *pat, const char *line)
{
    const char *dots = strstr(pat, "...");
    if (!dots)
        return strcmp(pat, line) == 0;
    size_t head = (size_t)(dots - pat);
    if (strncmp(line, pat, head) != 0)
        return false;
    const char *rest = dots + 3;
    const char *l = line + head;
    /* every position for the rest: the pattern is short, lines are short */
    for (;; l++) {
        if (line_matches(rest, l))
            return true;
        if (!*l)
            return false;
    }
}

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

/* Each non-empty line of `expect` matches a line of `out`, in order. */
static void check_expect(const char *expect, const char *out, const char *doc, int line)
{
    char *o = strdup(out), *e = strdup(expect);
    char *osave = NULL, *esave = NULL;
    char *ol = strtok_r(o, "\n", &osave);
    for (char *el = strtok_r(e, "\n", &esave); el; el = strtok_r(NULL, "\n", &esave)) {
        rtrim(el);
        if (!*el)
            continue;
        for (;;) {
            cr_assert_not_null(ol, "%s:%d: no line of the output matches \"%s\"\n--- output:\n%s", doc, line, el,
                               out);
            char buf[4096];
            snprintf(buf, sizeof buf, "%s", ol);
            rtrim(buf);
            ol = strtok_r(NULL, "\n", &osave);
            if (line_matches(el, buf))
                break;
        }
    }
    free(o);
    free(e);
}

/* What run_doc found in a page. */
typedef struct doc_counts {
    int files, excerpts, runs, skipped, expects, shown;
} doc_counts;

/* Acts on the fenced blocks of the page `doc` (a path under the source
 * tree, e.g. "docs/tutorial.md") in order, with `dir` as the top
 * directory (see the comment at the top of this file); tmp holds the
 * scratch files. A `needs=torture` block runs only when torture_bin
 * (relative to dir) has a torture command. */
static doc_counts run_doc(const char *doc, const char *dir, const char *tmp, const char *torture_bin)
{
    doc_counts k = {0};
    char *md = slurp(fmt("%s/%s", GCBENCH_SOURCE_DIR, doc));
    cr_assert_not_null(md, "cannot read %s", doc);
    static block b[256];
    int n = parse_blocks(md, b, 256);
    char *last_out = NULL;
    bool last_ran = false;
    for (int i = 0; i < n; i++) {
        char attr[256];
        if (info_lang(&b[i], "c") && info_attr(&b[i], "file", attr, sizeof attr)) {
            write_file(fmt("%s/%s", dir, attr), b[i].text);
            k.files++;
        } else if (info_lang(&b[i], "c") && info_attr(&b[i], "excerpt", attr, sizeof attr)) {
            char *src = slurp(fmt("%s/%s", dir, attr));
            cr_assert_not_null(src, "%s:%d: %s does not exist at this point", doc, b[i].line, attr);
            cr_assert_not_null(strstr(src, b[i].text), "%s:%d: this excerpt is not in %s:\n%s", doc, b[i].line, attr,
                               b[i].text);
            free(src);
            k.excerpts++;
        } else if (info_lang(&b[i], "sh") && info_word(&b[i], "run")) {
            last_ran = false;
            if (info_attr(&b[i], "needs", attr, sizeof attr)) {
                cr_assert_str_eq(attr, "torture", "%s:%d: unknown needs=%s", doc, b[i].line, attr);
                if (!torture_bin || run_in(dir, fmt("%s torture --help", torture_bin), fmt("%s/out", tmp),
                                           fmt("%s/err", tmp)) != 0) {
                    cr_log_warn("%s:%d: gcbench torture is not available: block not run", doc, b[i].line);
                    k.skipped++;
                    continue;
                }
            }
            write_file(fmt("%s/block.sh", tmp), b[i].text);
            int rc = sh(CLEAN_ENV "cd '%s' && timeout 600 bash '%s/block.sh' </dev/null >'%s/block.out' 2>&1", dir, tmp,
                        tmp);
            free(last_out);
            last_out = slurp_or_empty(fmt("%s/block.out", tmp));
            cr_assert_eq(rc, 0, "%s:%d: the block exits %d:\n%s--- output:\n%s", doc, b[i].line, rc, b[i].text,
                         last_out);
            last_ran = true;
            k.runs++;
        } else if (info_lang(&b[i], "text") && info_word(&b[i], "expect")) {
            if (!last_ran) {
                cr_assert_gt(k.skipped, 0, "%s:%d: an expect block after no sh run block", doc, b[i].line);
                continue;
            }
            check_expect(b[i].text, last_out, doc, b[i].line);
            k.expects++;
        } else if (info_lang(&b[i], "sh")) {
            /* shown, not run: the scripts it names exist */
            for (const char *p = b[i].text; (p = strstr(p, "scripts/")) != NULL; p++) {
                char script[128];
                sscanf(p, "%127[A-Za-z0-9_/.-]", script);
                cr_assert(access(fmt("%s/%s", GCBENCH_SOURCE_DIR, script), X_OK) == 0, "%s:%d: %s does not exist",
                          doc, b[i].line, script);
            }
            k.shown++;
        }
    }
    cr_log_info("%s: %d files, %d excerpts, %d blocks run (%d skipped), %d outputs checked, %d shown", doc, k.files,
                k.excerpts, k.runs, k.skipped, k.expects, k.shown);
    free(last_out);
    free(md);
    for (int i = 0; i < n; i++)
        free(b[i].text);
    return k;
}

Test(kit, tutorial_steps_build_and_behave, .timeout = 900)
{
    char *main0 = slurp(main_registry());
    char *tmp = make_tmpdir();
    char *repo = copy_repo(tmp, "tutorial repo $x");
    doc_counts k = run_doc("docs/tutorial.md", repo, tmp, "build-debug/gcbench");
    /* a marker typo must not make the test check nothing */
    cr_assert_geq(k.files, 2, "the tutorial has %d complete sources (file=...)", k.files);
    cr_assert_geq(k.excerpts, 3, "the tutorial has %d excerpts", k.excerpts);
    cr_assert_geq(k.runs + k.skipped, 10, "the tutorial has %d run blocks", k.runs + k.skipped);
    cr_assert_geq(k.expects, 8, "the tutorial has %d checked outputs", k.expects);
    cr_assert_geq(k.shown, 1);
    /* the sources of steps 2 and 3 are what the copy holds now */
    char *final = slurp(fmt("%s/collectors/mygc.c", repo));
    cr_assert_not_null(final);
    cr_assert_not_null(strstr(final, ".moving = true"), "the last step is the moving collector");
    free(final);
    char *main1 = slurp(main_registry());
    cr_assert_str_eq(main1, main0, "the checkout's collectors/registry.c changed");
    free(main0), free(main1), free(repo);
}

/* The coursework page's rehearsal runs as it stands, in a directory whose
 * build/ is this build and scripts/ a copy of the checkout's (a copy, not a
 * link: the scripts find gcbench at their own ../build/gcbench, which must
 * be this build even where the checkout has no build/, as in CI); its
 * full-size commands name scripts that exist. */
Test(kit, coursework_rehearsal_runs, .timeout = 600)
{
    char *tmp = make_tmpdir();
    const char *d = fmt("%s/course work $x", tmp);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", d);
    cr_assert_eq(sh("mkdir '%s' && ln -s '%s' '%s/build' && cp -R '%s/scripts' '%s/scripts'", dir, GCBENCH_BINARY_DIR,
                    dir, GCBENCH_SOURCE_DIR, dir),
                 0);
    doc_counts k = run_doc("docs/coursework.md", dir, tmp, NULL);
    cr_assert_geq(k.runs, 1, "the coursework page has no rehearsal (sh run) block");
    cr_assert_geq(k.expects, 1);
    cr_assert_geq(k.shown, 3, "the coursework page shows %d command blocks", k.shown);
    const char *files[] = {"rehearsal/sweep/sweep.csv", "rehearsal/sweep.png", "rehearsal/report/index.html",
                           "rehearsal/report/phases.png", "rehearsal/report/sweep.png"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        cr_assert(exists(fmt("%s/%s", dir, files[i])), "the rehearsal did not write %s", files[i]);
}

/* ---- grade ----------------------------------------------------------------------------------- */

static const char *grade_cmd(const char *args)
{
    return fmt("'%s/scripts/grade' %s", GCBENCH_SOURCE_DIR, args);
}

Test(kit, grade_rejects_bad_input)
{
    char *tmp = make_tmpdir();
    cr_assert_eq(sh("mkdir '%s/work' && mkdir '%s/full' && touch '%s/full/x' '%s/afile'", tmp, tmp, tmp, tmp), 0);
    const char *b = "--no-build --build='" GCBENCH_BINARY_DIR "'";
    const struct {
        const char *args, *says;
    } cases[] = {
        {"", "a collector name is required"},
        {"--quick", "a collector name is required"},
        {"Bad", "'Bad' is not a collector name"},
        {"'$(touch pwned)'", "is not a collector name"},
        {"nosuch", "unknown collector 'nosuch' (registered in"},
        {"markcompact marksweep", "give one collector name"},
        {"markcompact --bogus", "unknown option '--bogus'"},
        {"markcompact --runs=0", "bad --runs '0'"},
        {"markcompact --runs=x", "bad --runs 'x'"},
        {"markcompact --seeds=-1", "bad --seeds '-1'"},
        {"markcompact --size=huge", "bad --size 'huge'"},
        {"markcompact --build", "--build needs a value"},
        {"markcompact --out=", "--out needs a directory"},
        {"markcompact --build=/nonexistent-gcbench-build", "no gcbench in"},
        {"markcompact --out=../afile", "exists and is not a directory"},
        {"markcompact --out=../full", "is not empty and was not written by scripts/grade"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args = strstr(cases[i].args, "--build=/") ? fmt("--no-build %s", cases[i].args)
                                                                : fmt("%s %s", b, cases[i].args);
        int rc = run_in(fmt("%s/work", tmp), grade_cmd(args), fmt("%s/out", tmp), fmt("%s/err", tmp));
        char *err = slurp_or_empty(fmt("%s/err", tmp));
        cr_assert_eq(rc, 2, "grade %s: exit %d, expected 2; stderr: %s", args, rc, err);
        cr_assert(strncmp(err, "grade: ", 7) == 0, "grade %s: stderr not prefixed: %s", args, err);
        cr_assert_not_null(strstr(err, cases[i].says), "grade %s: stderr lacks \"%s\": %s", args, cases[i].says, err);
        free(err);
        cr_assert_eq(sh("[ -z \"$(ls -A '%s/work')\" ]", tmp), 0, "grade %s wrote into the current directory", args);
        cr_assert_eq(sh("[ \"$(ls -A '%s/full')\" = x ]", tmp), 0, "grade %s wrote into a foreign --out", args);
        cr_assert(!exists(fmt("%s/work/pwned", tmp)), "grade %s ran a command from its argument", args);
    }
}

static bool torture_available(void)
{
    return sh(CLEAN_ENV "'%s' torture --help </dev/null >/dev/null 2>&1", GCBENCH_BIN) == 0;
}

Test(kit, grade_passes_markcompact_quick, .timeout = 600)
{
    char *tmp = make_tmpdir();
    const char *out = fmt("%s/grade out $x", tmp);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    int rc = run_in(tmp, grade_cmd(fmt("markcompact --quick --no-build --build='%s' --out='%s'", GCBENCH_BINARY_DIR,
                                       dir)),
                    fmt("%s/stdout", tmp), fmt("%s/stderr", tmp));
    char *page = slurp_or_empty(fmt("%s/stdout", tmp));
    cr_assert_eq(rc, 0, "grade markcompact: exit %d\n%s%s", rc, page, slurp_or_empty(fmt("%s/stderr", tmp)));
    const char *must[] = {
        "grade: markcompact\n",
        "tests           GCBENCH_COLLECTOR=markcompact",
        "\n  conformance            passed   ",
        "\n  moving                 passed   ",
        "\n  threads                passed   ",
        "\ntorture ",
        "\nbenchmark       trees --size=small, heap 4 MiB, 1 run(s) of each",
        "\n  markcompact ",
        "\n  marksweep ",
        "\n  copying ",
        "\n  markcompact / marksweep: wall ",
        "\n  markcompact / copying: wall ",
        "/report/index.html\n",
        "\nresult: PASSED\n",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert_not_null(strstr(page, must[i]), "the page lacks \"%s\":\n%s", must[i], page);
    if (torture_available())
        cr_assert_not_null(strstr(page, "\n  seed 1                 ok ("), "%s", page);
    else
        cr_assert_not_null(strstr(page, "torture         not available"), "%s", page);
    /* --quick runs three suites, not the others */
    cr_assert_null(strstr(page, "\n  workloads "), "%s", page);
    const char *files[] = {"grade.txt", "report/index.html", "report/pauses.png", "report/phases.png",
                           "report/phases.svg", "tests/conformance.log", "bench/markcompact-1/summary.json",
                           "bench/marksweep-1/summary.json", "bench/copying-1/summary.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        cr_assert(exists(fmt("%s/%s", dir, files[i])), "%s/%s missing", dir, files[i]);
    char *saved = slurp_or_empty(fmt("%s/grade.txt", dir));
    cr_assert_str_eq(saved, page, "grade.txt differs from the page printed");
    free(saved);
    free(page);
}

/* A fake build: gcbench passes everything to the real one except torture
 * (a mismatch on every seed) and markcompact's benchmark runs (heap
 * exhausted); the conformance suite has a failing case, the moving suite no
 * case, the threads suite passes. */
Test(kit, grade_reports_failures, .timeout = 300)
{
    char *tmp = make_tmpdir();
    const char *fb = fmt("%s/fake build", tmp);
    char fake[4096];
    snprintf(fake, sizeof fake, "%s", fb);
    cr_assert_eq(sh("mkdir -p '%s/tests'", fake), 0);
    write_file(fmt("%s/gcbench", fake),
               fmt("#!/bin/sh\n"
                   "if [ \"$1\" = torture ]; then\n"
                   "  [ \"$2\" = --help ] && { echo 'usage: gcbench torture ...'; exit 0; }\n"
                   "  echo 'torture: MISMATCH seed=1 op=17: object 5 field 2: expected object 9, found nil'\n"
                   "  exit 4\n"
                   "fi\n"
                   "case \" $* \" in *' --collector=markcompact '*'--workload=trees '*)\n"
                   "  echo 'heap exhausted: 1 bytes live after a full collection' >&2; exit 3 ;;\n"
                   "esac\n"
                   "exec '%s' \"$@\"\n",
                   GCBENCH_BIN));
    write_file(fmt("%s/tests/test_conformance", fake),
               "#!/bin/sh\n"
               "[ \"$GCBENCH_COLLECTOR\" = markcompact ] || { echo \"wrong filter: $GCBENCH_COLLECTOR\"; exit 9; }\n"
               "echo '[----] tests/test_conformance.c:100: Assertion Failed'\n"
               "echo '[FAIL] conformance::identity: (0.00s)'\n"
               "echo '[====] Synthesis: Tested: 3 | Passing: 2 | Failing: 1 | Crashing: 0 '\n"
               "exit 1\n");
    write_file(fmt("%s/tests/test_moving", fake),
               "#!/bin/sh\necho '[====] Synthesis: Tested: 0 | Passing: 0 | Failing: 0 | Crashing: 0 '\n");
    write_file(fmt("%s/tests/test_threads", fake),
               "#!/bin/sh\necho '[====] Synthesis: Tested: 13 | Passing: 13 | Failing: 0 | Crashing: 0 '\n");
    cr_assert_eq(sh("chmod +x '%s/gcbench' '%s'/tests/*", fake, fake), 0);
    int rc = run_in(tmp, grade_cmd(fmt("markcompact --quick --no-build --build='%s' --out=g --seeds=2", fake)),
                    fmt("%s/stdout", tmp), fmt("%s/stderr", tmp));
    char *page = slurp_or_empty(fmt("%s/stdout", tmp));
    cr_assert_eq(rc, 1, "grade: exit %d, expected 1\n%s%s", rc, page, slurp_or_empty(fmt("%s/stderr", tmp)));
    const char *must[] = {
        "\n  conformance            FAILED   2 of 3 passed, 1 failing (0 crashed)\n",
        "\n      conformance::identity\n",
        "\n  moving                 no case for markcompact",
        "\n  threads                passed   13 of 13\n",
        "\n  seed 1                 FAILED: torture: MISMATCH seed=1 op=17: object 5 field 2",
        "\n      replay: ",
        " torture --collector=markcompact --seed=2 --verify --stress=100 --shrink\n",
        "\n  seed 2 --stress=100    FAILED: ",
        "\n  FAILED: markcompact run 1: heap exhausted",
        "\n  markcompact            no run\n",
        "\n  marksweep ",
        "\nresult: FAILED (conformance: 1 failing; torture seed 1: mismatch; torture seed 2: mismatch; benchmark)\n",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        cr_assert_not_null(strstr(page, must[i]), "the page lacks \"%s\":\n%s", must[i], page);
    free(page);
}

/* A build that fails (here: a build directory whose cache is empty, so
 * `cmake --build` stops at once) is a failed grade, with the log kept. */
Test(kit, grade_reports_a_failed_build)
{
    char *tmp = make_tmpdir();
    cr_assert_eq(sh("mkdir '%s/bad build' && touch '%s/bad build/CMakeCache.txt'", tmp, tmp), 0);
    int rc = run_in(tmp, grade_cmd("markcompact --build='bad build' --out=g"), fmt("%s/stdout", tmp),
                    fmt("%s/stderr", tmp));
    char *page = slurp_or_empty(fmt("%s/stdout", tmp));
    cr_assert_eq(rc, 1, "grade: exit %d, expected 1\n%s", rc, page);
    cr_assert_not_null(strstr(page, "\nbuild           FAILED: "), "%s", page);
    cr_assert_not_null(strstr(page, "\nresult: FAILED (the build)\n"), "%s", page);
    cr_assert(exists(fmt("%s/g/build.log", tmp)), "the build log was not kept");
    free(page);
}
