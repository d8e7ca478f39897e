/* tests/test_torture.c — `gcbench torture` (bench/torture.c, docs/torture.md):
 * every registered collector runs clean (plain, --stress, --verify) for a
 * few seeds; torture catches each bug planted in the broken collectors of
 * tests/buggy_collectors.c (an untraced field, a skipped root, a missed
 * write barrier, large objects not scanned, a forwarding bug; and payloads
 * that change) within the
 * default number of operations, while the same collector without the bug
 * runs the same seed clean; --shrink reduces a failing sequence to one that
 * still fails when replayed; crashes and hangs are reported; bad input
 * exits 2, a heap too small 3, corruption found by --verify 6, output that
 * cannot be written 1; the commands of docs/torture.md do what the page
 * says.
 *
 * Every seed is fixed and printed (in the failure messages, and on stderr
 * by torture_run). GCBENCH_COLLECTOR=NAME restricts the clean runs to NAME,
 * as for the conformance suite.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/torture.h"
#include "buggy_collectors.h"
#include "conformance.h"
#include "shell.h"
#include "tmpdir.h"

/* tests/CMakeLists.txt builds one source per test program. */
#include "buggy_collectors.c"

#define BIN GCBENCH_BIN

TestSuite(torture, .fini = remove_tmpdirs);

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct trun {
    int code;
    char *out; /* what torture wrote to its `out` */
} trun;

/* gcb_torture_run with the output captured. */
static trun torture_run(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg)
{
    trun r = {0};
    size_t len = 0;
    FILE *f = open_memstream(&r.out, &len);
    cr_assert_not_null(f);
    fprintf(stderr, "test_torture: %s seed=%" PRIu64 " ops=%" PRIu64 "%s%s%s\n", ops->name, cfg->seed, cfg->ops,
            cfg->stress ? " stress" : "", cfg->verify ? " verify" : "", cfg->replay ? " replay" : "");
    r.code = gcb_torture_run(ops, options, cfg, f);
    fclose(f);
    return r;
}

/* The line of s that starts with prefix (a copy, without its newline), or NULL. */
static char *line_starting(const char *s, const char *prefix)
{
    for (const char *p = s; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0 && len >= strlen(prefix))
            return strndup(p, len);
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static char *last_line(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '\n')
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    return strndup(s + start, n - start);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot read %s", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* Lines of a sequence file that are operations (not comments, not blank). */
static size_t count_ops(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *q = p + strspn(p, " \t");
        if (*q != '#' && *q != '\n' && *q != '\0' && strncmp(q, "torture:", 8) != 0)
            n++;
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/* Each line of `shown` is a line of `out`: equal, or, for a shown line
 * ending in "...", starting with what precedes the "...". Lines of shown
 * starting with "```" are skipped. */
static void assert_shows(const char *out, const char *shown, const char *what)
{
    char *copy = strdup(shown);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "```", 3) == 0)
            continue;
        size_t len = strlen(line);
        bool prefix = len >= 3 && strcmp(line + len - 3, "...") == 0;
        if (prefix)
            line[len - 3] = '\0';
        bool found = false;
        for (const char *l = out; l && *l && !found;) {
            const char *nl = strchr(l, '\n');
            size_t ll = nl ? (size_t)(nl - l) : strlen(l);
            found = prefix ? strncmp(l, line, strlen(line)) == 0 : ll == strlen(line) && !strncmp(l, line, ll);
            l = nl ? nl + 1 : NULL;
        }
        cr_assert(found, "%s: does not print '%s%s'; it printed:\n%s", what, line, prefix ? "..." : "", out);
    }
    free(copy);
}

static gcb_torture_cfg cfg_for(uint64_t seed)
{
    gcb_torture_cfg cfg;
    gcb_torture_cfg_init(&cfg);
    cfg.seed = seed;
    return cfg;
}

/* ---- every registered collector runs clean ----------------------------------------------- */

ParameterizedTestParameters(torture, clean)
{
    return conf_collector_index_params();
}

/* Three seeds, each plain, with --stress and with --verify, short; then
 * the default number of operations once. */
ParameterizedTest(size_t *idx, torture, clean, .timeout = 600)
{
    const gc_collector_ops *ops = conf_collector_at(*idx);
    static const char *const modes[] = {"plain", "stress=40", "verify"};
    for (uint64_t seed = 1; seed <= 3; seed++)
        for (int mode = 0; mode < 3; mode++) {
            gcb_torture_cfg cfg = cfg_for(seed);
            cfg.ops = 1500;
            cfg.stress = mode == 1 ? 40 : 0;
            cfg.verify = mode == 2;
            trun r = torture_run(ops, NULL, &cfg);
            char *last = last_line(r.out);
            char want[128];
            snprintf(want, sizeof want, "torture: ok seed=%" PRIu64 " ops=1500 collections=", seed);
            cr_assert_eq(r.code, 0, "%s seed=%" PRIu64 " %s: exit %d, output:\n%s", ops->name, seed, modes[mode],
                         r.code, r.out);
            cr_assert(strncmp(last, want, strlen(want)) == 0, "%s seed=%" PRIu64 " %s: last line '%s'", ops->name,
                      seed, modes[mode], last);
            cr_assert(strtoull(last + strlen(want), NULL, 10) > 0, "%s seed=%" PRIu64 " %s: no collection: %s",
                      ops->name, seed, modes[mode], last);
            free(last);
            free(r.out);
        }
    gcb_torture_cfg cfg = cfg_for(4);
    trun r = torture_run(ops, NULL, &cfg);
    cr_assert_eq(r.code, 0, "%s seed=4 (default ops): exit %d, output:\n%s", ops->name, r.code, r.out);
    char *ok = line_starting(r.out, "torture: ok seed=4 ops=20000 collections=");
    cr_assert_not_null(ok, "%s seed=4: output:\n%s", ops->name, r.out);
    free(ok);
    free(r.out);
}

/* ---- torture catches each planted bug ---------------------------------------------------- */

/* The bug is reported as a mismatch with the seed, within the default
 * operations; `control`, the same collector without the bug, runs the same
 * seed clean; `why` is a phrase the report must contain. */
static void expect_caught(const gc_collector_ops *buggy, const gc_collector_ops *control, uint64_t seed,
                          const char *why)
{
    gcb_torture_cfg cfg = cfg_for(seed);
    trun r = torture_run(buggy, NULL, &cfg);
    cr_assert_eq(r.code, 4, "%s seed=%" PRIu64 ": exit %d (expected 4, a mismatch), output:\n%s", buggy->name, seed,
                 r.code, r.out);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "torture: MISMATCH seed=%" PRIu64 " op=", seed);
    char *line = line_starting(r.out, prefix);
    cr_assert_not_null(line, "%s seed=%" PRIu64 ": no '%s' line in:\n%s", buggy->name, seed, prefix, r.out);
    uint64_t op = strtoull(line + strlen(prefix), NULL, 10);
    cr_assert_lt(op, GCB_TORTURE_DEFAULT_OPS, "%s: %s", buggy->name, line);
    cr_assert_not_null(strstr(line, why), "%s seed=%" PRIu64 ": the report does not say '%s': %s", buggy->name,
                       seed, why, line);
    fprintf(stderr, "test_torture: %s caught: %s\n", buggy->name, line);
    free(line);
    free(r.out);

    r = torture_run(control, NULL, &cfg);
    cr_assert_eq(r.code, 0, "%s (no bug) seed=%" PRIu64 ": exit %d, output:\n%s", control->name, seed, r.code, r.out);
    free(r.out);
}

Test(torture, catches_untraced_field)
{
    /* A record's last reference field is not traced: its referent is not
     * copied, the field keeps its old address. */
    expect_caught(&buggy_untraced_field_ops, &buggy_control_ops, 3, ".f4: expected record-c #5, found 0x");
}

Test(torture, catches_skipped_root)
{
    /* Global roots and the scanner's slots are neither traced nor updated. */
    expect_caught(&buggy_skipped_root_ops, &buggy_control_ops, 2, "global[5]: expected");
}

Test(torture, catches_missed_barrier)
{
    /* An old object's new reference to a young one is not remembered: the
     * minor collection leaves it pointing into the emptied nursery. */
    const gc_collector_ops *generational = gc_collector_find("generational");
    cr_assert_not_null(generational);
    expect_caught(buggy_no_barrier_ops(), generational, 1, "(minor, explicit)");
}

Test(torture, catches_large_objects_not_scanned)
{
    /* Objects reachable only from a large reference array are not copied. */
    expect_caught(&buggy_large_unscanned_ops, &buggy_control_ops, 1, "[46]: expected record-b #244");
}

Test(torture, catches_forwarding_bug)
{
    /* A second reference to a copied object gets a second copy. */
    expect_caught(&buggy_forward_twice_ops, &buggy_control_ops, 2, "one object became two");
}

Test(torture, catches_changed_payloads)
{
    /* Value arrays and strings lose their last word when copied. */
    expect_caught(&buggy_short_copy_ops, &buggy_control_ops, 1, "raw word 28 is 0x5a5a5a5a5a5a5a5b, expected");
    expect_caught(&buggy_short_copy_ops, &buggy_control_ops, 2, "the string's contents changed: byte 24 is 91");
}

/* --verify: core's heap verifier sees the unremembered old-to-young
 * reference (generational's GEN-1 check before a minor) first: exit 6. */
Test(torture, verify_reports_corruption)
{
    gcb_torture_cfg cfg = cfg_for(1);
    cfg.verify = true;
    trun r = torture_run(buggy_no_barrier_ops(), NULL, &cfg);
    cr_assert_eq(r.code, 6, "exit %d, output:\n%s", r.code, r.out);
    char *line = line_starting(r.out, "torture: CORRUPT seed=1 op=");
    cr_assert_not_null(line, "output:\n%s", r.out);
    cr_assert_not_null(strstr(line, "the heap verifier found"), "%s", line);
    free(line);
    free(r.out);
}

/* A crash (a signal) and a hang (--timeout) in the collector: reported
 * like a mismatch, with the seed and the operation. */
Test(torture, crash_and_hang_are_reported)
{
    gcb_torture_cfg cfg = cfg_for(1);
    trun r = torture_run(&buggy_crash_ops, NULL, &cfg);
    cr_assert_eq(r.code, 4, "crash: exit %d, output:\n%s", r.code, r.out);
    char *line = line_starting(r.out, "torture: MISMATCH seed=1 op=");
    cr_assert_not_null(line, "crash: output:\n%s", r.out);
    cr_assert_not_null(strstr(line, "crashed with signal 11"), "%s", line);
    free(line);
    free(r.out);

    cfg.timeout = 1;
    r = torture_run(&buggy_hang_ops, NULL, &cfg);
    cr_assert_eq(r.code, 4, "hang: exit %d, output:\n%s", r.code, r.out);
    line = line_starting(r.out, "torture: MISMATCH seed=1 op=");
    cr_assert_not_null(line, "hang: output:\n%s", r.out);
    cr_assert_not_null(strstr(line, "did not finish within 1 s"), "%s", line);
    free(line);
    free(r.out);
}

/* ---- --shrink and --replay ----------------------------------------------------------------- */

Test(torture, shrink_reduces_and_replays)
{
    char *dir = make_tmpdir();
    const char *path = fmt("%s/shrunk ops 'x'.txt", dir);
    gcb_torture_cfg cfg = cfg_for(1);
    cfg.shrink = true;
    cfg.save = path;
    trun r = torture_run(&buggy_large_unscanned_ops, NULL, &cfg);
    cr_assert_eq(r.code, 4, "exit %d, output:\n%s", r.code, r.out);
    char *first = line_starting(r.out, "torture: MISMATCH seed=1 op=");
    cr_assert_not_null(first, "output:\n%s", r.out);
    uint64_t fail_op = strtoull(first + strlen("torture: MISMATCH seed=1 op="), NULL, 10);
    char *shrunk = line_starting(r.out, "torture: shrunk seed=1 ops=");
    cr_assert_not_null(shrunk, "output:\n%s", r.out);
    size_t k = (size_t)strtoull(shrunk + strlen("torture: shrunk seed=1 ops="), NULL, 10);
    cr_assert_gt(k, 0, "%s", shrunk);
    cr_assert_lt(k, fail_op + 1, "not shorter than the failing prefix (%" PRIu64 " operations): %s", fail_op + 1,
                 shrunk);
    cr_assert_not_null(strstr(shrunk, "(from 20000, "), "%s", shrunk);
    /* The printed sequence and the saved one hold the k operations. */
    cr_assert_eq(count_ops(strstr(r.out, "# seed=1\n")), k, "printed sequence:\n%s", r.out);
    char *saved = slurp(path);
    cr_assert_eq(count_ops(saved), k, "saved sequence:\n%s", saved);

    /* Replayed, it fails the same way; a correct collector runs it clean. */
    gcb_torture_cfg replay = cfg_for(99);
    replay.replay = path;
    trun rr = torture_run(&buggy_large_unscanned_ops, NULL, &replay);
    cr_assert_eq(rr.code, 4, "replay: exit %d, output:\n%s", rr.code, rr.out);
    char *again = line_starting(rr.out, "torture: MISMATCH seed=1 op=");
    cr_assert_not_null(again, "the replay names the sequence's seed: output:\n%s", rr.out);
    cr_assert_lt(strtoull(again + strlen("torture: MISMATCH seed=1 op="), NULL, 10), k, "%s", again);
    trun rc = torture_run(&buggy_control_ops, NULL, &replay);
    cr_assert_eq(rc.code, 0, "control replay: exit %d, output:\n%s", rc.code, rc.out);
    /* Stdout itself replays (its "torture:" lines are skipped). */
    const char *out_path = fmt("%s/stdout.txt", dir);
    FILE *f = fopen(out_path, "w");
    fputs(r.out, f);
    fclose(f);
    replay.replay = out_path;
    trun ro = torture_run(&buggy_large_unscanned_ops, NULL, &replay);
    cr_assert_eq(ro.code, 4, "replaying stdout: exit %d, output:\n%s", ro.code, ro.out);
    /* docs/torture.md shows this run's sequence. */
    char *doc = slurp(GCBENCH_SOURCE_DIR "/docs/torture.md");
    char *block = strstr(doc, "<!-- test_torture: shrink_reduces_and_replays prints this -->\n```\n");
    cr_assert_not_null(block, "docs/torture.md lost its shrink example");
    block = strchr(strchr(block, '\n') + 1, '\n') + 1;
    *strstr(block, "```") = '\0';
    assert_shows(r.out, block, "docs/torture.md's shrink example");
    free(doc);
    free(first);
    free(shrunk);
    free(saved);
    free(again);
    free(r.out);
    free(rr.out);
    free(rc.out);
    free(ro.out);
}

/* ---- the command line ------------------------------------------------------------------ */

/* The same sequence (a seed, or its saved copy) gives the same run. */
Test(torture, cli_save_and_replay_are_deterministic)
{
    char *dir = make_tmpdir();
    const char *seqf = fmt("%s/it's a sequence.txt", dir);
    const char *out1 = fmt("%s/out1", dir), *out2 = fmt("%s/out2", dir);
    cr_assert_eq(sh("\"%s\" torture --collector=copying --seed=5 --ops=3000 --save=\"%s\" > \"%s\"", BIN, seqf, out1),
                 0);
    cr_assert_eq(sh("\"%s\" torture --collector=copying --replay=\"%s\" --quiet > \"%s\"", BIN, seqf, out2), 0);
    char *a = slurp(out1), *b = slurp(out2);
    char *la = last_line(a), *lb = last_line(b);
    cr_assert(strncmp(la, "torture: ok seed=5 ops=3000 collections=", 40) == 0, "%s", la);
    cr_assert_str_eq(la, lb, "a replay of the saved sequence differs");
    cr_assert_not_null(strstr(a, "torture: collector=copying seed=5 ops=3000 heap=2M\n"), "%s", a);
    cr_assert_eq(strchr(b, '\n'), b + strlen(b) - 1, "--quiet prints the result line only: %s", b);
    char *s = slurp(seqf);
    cr_assert_eq(count_ops(s), 3000);
    free(a);
    free(b);
    free(la);
    free(lb);
    free(s);
}

Test(torture, cli_bad_input_exits_2)
{
    char *dir = make_tmpdir();
    const char *err = fmt("%s/err", dir);
    const char *bad_seq = fmt("%s/bad seq", dir), *short_seq = fmt("%s/short", dir), *empty = fmt("%s/empty", dir);
    FILE *f = fopen(bad_seq, "w");
    fputs("# a sequence\nalloc-record 1 2 3\nbogus-op 1 2 3\n", f);
    fclose(f);
    f = fopen(short_seq, "w");
    fputs("alloc-record 1 2\n", f);
    fclose(f);
    f = fopen(empty, "w");
    fputs("# nothing\n", f);
    fclose(f);
    const char *cases[] = {
        "--collector=no-such-collector",
        "--collector=copying --ops=0",
        "--collector=copying --ops=abc",
        "--collector=copying --heap=abc",
        "--collector=copying --heap=1K",
        "--collector=copying --heap=0",
        "--collector=copying --stress=0",
        "--collector=copying --seed=-1",
        "--collector=copying --no-such-option",
        "--collector=copying stray",
        "--seed=1",
        "--collector=generational:no-such-option=1",
        "--collector=copying --replay=/nonexistent/file",
        fmt("--collector=copying --replay=\"%s\"", bad_seq),
        fmt("--collector=copying --replay=\"%s\"", short_seq),
        fmt("--collector=copying --replay=\"%s\"", empty),
        fmt("--collector=copying --replay=\"%s\" --ops=5", empty),
        "--collector=copying --shrink --no-fork",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = sh("\"%s\" torture %s > /dev/null 2> \"%s\"", BIN, cases[i], err);
        char *e = slurp(err);
        cr_assert_eq(rc, 2, "'%s': exit %d (expected 2), stderr: %s", cases[i], rc, e);
        cr_assert(strncmp(e, "gcbench: ", 9) == 0, "'%s': stderr does not start with 'gcbench: ': %s", cases[i], e);
        free(e);
    }
    char *e = slurp(err);
    free(e);
    /* The bad line is named. */
    sh("\"%s\" torture --collector=copying --replay=\"%s\" 2> \"%s\"", BIN, bad_seq, err);
    e = slurp(err);
    cr_assert_not_null(strstr(e, ":3: unknown operation 'bogus-op'"), "%s", e);
    free(e);
}

Test(torture, cli_heap_too_small_exits_3)
{
    char *dir = make_tmpdir();
    const char *out = fmt("%s/out", dir);
    int rc = sh("\"%s\" torture --collector=copying --seed=1 --heap=64K > \"%s\"", BIN, out);
    char *o = slurp(out);
    cr_assert_eq(rc, 3, "exit %d, output:\n%s", rc, o);
    char *line = line_starting(o, "torture: heap exhausted seed=1 op=");
    cr_assert_not_null(line, "%s", o);
    cr_assert_null(strstr(o, "MISMATCH"), "%s", o);
    free(line);
    free(o);
}

Test(torture, cli_help_usage_and_unwritable_output)
{
    char *dir = make_tmpdir();
    const char *out = fmt("%s/out", dir);
    cr_assert_eq(sh("\"%s\" torture --help > \"%s\"", BIN, out), 0);
    char *o = slurp(out);
    cr_assert(strncmp(o, "Usage: gcbench torture --collector=NAME", 39) == 0, "%s", o);
    free(o);
    cr_assert_eq(sh("\"%s\" --help > \"%s\"", BIN, out), 0);
    o = slurp(out);
    cr_assert_not_null(strstr(o, "gcbench torture --collector=NAME"), "%s", o);
    free(o);
    /* Output that cannot be written is an error (exit 1), never a success. */
    cr_assert_eq(sh("\"%s\" torture --help > /dev/full 2> /dev/null", BIN), 1);
    cr_assert_eq(sh("\"%s\" torture --collector=copying --seed=1 --ops=100 > /dev/full 2> /dev/null", BIN), 1);
    cr_assert_eq(sh("\"%s\" torture --collector=copying --seed=1 --ops=100 >&- 2> /dev/null", BIN), 1);
}

/* ---- docs/torture.md ---------------------------------------------------------------- */

/* Every "$ gcbench torture ..." line of the page's examples runs, and the
 * lines shown after it (up to a blank line, the next command or the end of
 * the block) are its output (assert_shows). A "# exit N" line after a
 * command gives its exit status (else 0). */
Test(torture, docs_examples_are_true, .timeout = 300)
{
    char *doc = slurp(GCBENCH_SOURCE_DIR "/docs/torture.md");
    char *dir = make_tmpdir();
    const char *out = fmt("%s/out", dir);
    int commands = 0;
    for (char *p = strstr(doc, "\n$ gcbench torture "); p; p = strstr(p + 1, "\n$ gcbench torture ")) {
        char *cmd_end = strchr(p + 1, '\n');
        char *cmd = strndup(p + 3, (size_t)(cmd_end - p - 3)); /* "gcbench torture ..." */
        int want_exit = 0;
        /* The shown output: lines up to a blank line or a ``` line. */
        char *shown_start = cmd_end + 1, *q = shown_start;
        while (*q && *q != '\n' && strncmp(q, "```", 3) != 0 && strncmp(q, "$ ", 2) != 0)
            q = strchr(q, '\n') ? strchr(q, '\n') + 1 : q + strlen(q);
        char *shown = strndup(shown_start, (size_t)(q - shown_start));
        int rc = sh("cd \"%s\" && PATH=\"$(dirname \"%s\"):$PATH\" %s > \"%s\" 2>&1", dir, BIN, cmd, out);
        char *o = slurp(out);
        char *exit_line = strstr(shown, "# exit ");
        if (exit_line) {
            want_exit = atoi(exit_line + 7);
            *exit_line = '\0';
        }
        assert_shows(o, shown, fmt("docs/torture.md: '%s'", cmd));
        cr_assert_eq(rc, want_exit, "docs/torture.md: '%s' exits %d, the page says %d; output:\n%s", cmd, rc,
                     want_exit, o);
        free(o);
        free(shown);
        free(cmd);
        commands++;
    }
    cr_assert_geq(commands, 3, "docs/torture.md shows %d '$ gcbench torture' commands", commands);
    free(doc);
}
