/* tests/test_vm_threads.c — the VM's threads (docs/vm.md, "Threads"):
 *
 *  - each threads instruction's results (thread, join, sleep, lock/unlock,
 *    atomic-add, cas, fence), under every collector with a collection at
 *    every allocation and the heap verifier on (so a rooting bug in the
 *    register handoff or in a thread's result shows up);
 *  - each runtime error of those instructions, with its line (and the
 *    thread that made it), and the deadlocks the VM detects;
 *  - errors in a child thread: reported as "file:line: thread N: ...", the
 *    first one wins, the other threads stop (sleeping ones too), every
 *    thread is joined and every root, scanner and mutator released;
 *  - the handshake seen from the VM: a thread sleeping or waiting for a
 *    lock does not stall collections; a thread looping without allocating
 *    reaches a safepoint at its backward jumps;
 *  - the four threaded sample programs under every collector with 1 and 3
 *    threads, normal and stress + verify, output compared without its '~'
 *    lines; and the program workload's '~' rule and `threads` parameter.
 *
 * GCBENCH_COLLECTOR=NAME[,NAME...] restricts the collectors (tests/conformance.h).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "conformance.h"
#include "vm_test.h"
#include "core/collector.h"
#include "core/vm/vm_impl.h"
#include "collectors/registry.h"
#include "workloads/workload.h"

extern const wl_workload wl_program;

#define MIB ((size_t)1 << 20)
#define PROGRAMS GCBENCH_SOURCE_DIR "/workloads/programs/"

/* ---- running ------------------------------------------------------------------------------- */

typedef struct run_result {
    vm_status st;
    char *out;             /* everything printed (malloc'd) */
    size_t outlen;
    char err[1024];
    uint64_t collections;  /* pauses during the run */
    double seconds;        /* wall time of vm_run */
} run_result;

static void run_result_free(run_result *r) { free(r->out); }

/* Runs p on a fresh heap (main thread: this one). Afterwards: every thread
 * the program started has detached (one mutator left), and the VM left no
 * scanner, root slot or global root behind. */
static void run_on(const vm_program *p, const char *collector, uint64_t stress, bool verify,
                   size_t heap, const vm_options *opt, run_result *r)
{
    char err[256];
    gc_config cfg = {.heap_limit = heap, .stress = stress, .verify = verify};
    gc_heap *h = gc_heap_create(collector, &cfg, err, sizeof err);
    cr_assert_not_null(h, "%s: %s", collector, err);
    gc_mutator *m = gc_mutator_attach(h);
    cr_assert_not_null(m, "%s: attach failed", collector);
    FILE *out = open_memstream(&r->out, &r->outlen);
    cr_assert_not_null(out);
    uint64_t t0 = uv_hrtime();
    r->st = vm_run(p, m, out, opt, r->err, sizeof r->err);
    r->seconds = (double)(uv_hrtime() - t0) / 1e9;
    fclose(out);
    size_t nmut = 0;
    for (gc_mutator *x = gc_heap_mutators(h); x; x = x->next)
        nmut++;
    cr_assert_eq(nmut, 1, "%s: %zu mutators attached after vm_run (its threads must detach)",
                 collector, nmut);
    cr_assert_eq(m->nscanners, 0, "%s: vm_run left a root scanner registered", collector);
    cr_assert_eq(m->nroots, 0, "%s: vm_run left %zu root slots", collector, m->nroots);
    size_t left = 0;
    gc_visit_roots(h, count_root, &left);
    cr_assert_eq(left, 0, "%s: vm_run left %zu global roots", collector, left);
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    r->collections = st.collections;
    gc_mutator_detach(m);
    gc_heap_destroy(h);
}

/* The step bound of the tests: generous (threads may spin a while), but a
 * lost wake-up still ends as an error rather than a hang. */
static const vm_options test_opt = {.max_steps = 50000000, .max_depth = 64};

/* The program halts and prints `expected`, under every collector with a
 * collection at every allocation and the verifier on. */
static void expect_output(const char *src, const char *expected)
{
    vm_program *p = assemble(src);
    conf_require_valid_filter();
    for (size_t c = 0; gc_registered_collectors[c] != NULL; c++) {
        if (!conf_selected(gc_registered_collectors[c]))
            continue;
        const char *name = gc_registered_collectors[c]->name;
        run_result r = {0};
        run_on(p, name, 1, true, 4 * MIB, &test_opt, &r);
        cr_assert_eq(r.st, VM_HALTED, "%s: status %d: %s\n--- source:\n%s", name, r.st, r.err, src);
        cr_assert_str_eq(r.out, expected, "%s: output\n%s\n--- expected\n%s\n--- source:\n%s", name,
                         r.out, expected, src);
        run_result_free(&r);
    }
    vm_program_free(p);
}

/* The program stops with status st and err "t.gca:LINE: " + prefix-free
 * msg; thread 0: the main thread (no thread part), else "thread N: ". */
static void expect_stop_in(const char *src, vm_status st, unsigned line, unsigned thread,
                           const char *msg)
{
    vm_program *p = assemble(src);
    run_result r = {0};
    run_on(p, ref_collector(), 0, false, 4 * MIB, &test_opt, &r);
    char prefix[64];
    if (thread == 0)
        snprintf(prefix, sizeof prefix, "t.gca:%u: ", line);
    else
        snprintf(prefix, sizeof prefix, "t.gca:%u: thread %u: ", line, thread);
    cr_assert_eq(r.st, st, "status %d, expected %d (%s)\n--- source:\n%s", r.st, st, r.err, src);
    cr_assert(strncmp(r.err, prefix, strlen(prefix)) == 0,
              "error \"%s\" does not start with \"%s\"\n--- source:\n%s", r.err, prefix, src);
    cr_assert(strstr(r.err + strlen(prefix), msg) == r.err + strlen(prefix),
              "error \"%s\" lacks \"%s\" after its place", r.err, msg);
    run_result_free(&r);
    vm_program_free(p);
}

static void expect_error(const char *src, unsigned line, const char *msg)
{
    expect_stop_in(src, VM_RUNTIME_ERROR, line, 0, msg);
}

/* For races whose loser is not known: the error holds msg. */
static void expect_error_somewhere(const char *src, const char *msg, run_result *r)
{
    vm_program *p = assemble(src);
    run_on(p, ref_collector(), 0, false, 4 * MIB, &test_opt, r);
    cr_assert_eq(r->st, VM_RUNTIME_ERROR, "status %d: %s\n--- source:\n%s", r->st, r->err, src);
    cr_assert(strncmp(r->err, "t.gca:", 6) == 0 && strstr(r->err, msg) != NULL,
              "error \"%s\" lacks \"%s\"", r->err, msg);
    vm_program_free(p);
}

/* s without its lines that start with '~' (the nondeterministic ones). */
static char *strip_tilde_lines(const char *s, size_t len)
{
    char *o = malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) + 1 : len;
        if (s[i] != '~') {
            memcpy(o + n, s + i, end - i);
            n += end - i;
        }
        i = end;
    }
    o[n] = '\0';
    return o;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = NULL;
    size_t cap = 0;
    FILE *mem = open_memstream(&buf, &cap);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    if (len)
        *len = cap;
    return buf;
}

/* ---- instructions ------------------------------------------------------------------------ */

/* thread: the child's registers are a copy of the parent's; rD its handle
 * (1, 2, ... in order of start, run-wide); a thread's result is its entry
 * frame's `ret` value, nil after halt or the end of the code; threads
 * start threads; a string made in a grandchild reaches main through two
 * joins at a collection per allocation. */
Test(vm_threads_insn, thread_and_join)
{
    expect_output("main:\n"
                  "    li r1, 20\n"
                  "    li r2, 22\n"
                  "    str r3, \"from main\"\n"
                  "    thread r4, add\n"
                  "    thread r5, halts\n"
                  "    thread r6, falls\n"
                  "    li r1, 0               ; the child has its own copy\n"
                  "    join r7, r4\n"
                  "    println r7\n"
                  "    join r8, r5\n"
                  "    println r8\n"
                  "    join r9, r6\n"
                  "    println r9\n"
                  "    println r4\n"
                  "    println r5\n"
                  "    println r6\n"
                  "    println r1\n"
                  "    thread r10, nested\n"
                  "    join r11, r10\n"
                  "    println r11\n"
                  "    println r2\n"
                  "    halt\n"
                  "add:\n"
                  "    add r1, r1, r2\n"
                  "    li r2, 0               ; not the parent's r2\n"
                  "    ret r1\n"
                  "halts:\n"
                  "    halt\n"
                  "nested:\n"
                  "    thread r12, grandchild\n"
                  "    println r12\n"
                  "    join r13, r12\n"
                  "    ret r13\n"
                  "grandchild:\n"
                  "    str r14, \" via two threads\"\n"
                  "    concat r14, r3, r14\n"
                  "    gc\n"
                  "    ret r14\n"
                  "falls:\n"
                  "    nop\n",
                  "42\nnil\nnil\n1\n2\n3\n0\n5\nfrom main via two threads\n22\n");
}

/* The handoff: references in the parent's registers reach the child intact
 * while the parent allocates (and, at stress 1, collects) right after the
 * start; a result stays reachable between the child's end and the join. */
Test(vm_threads_insn, handoff_and_result_survive_collections)
{
    expect_output(".type VthBox v:int next:ref\n"
                  "main:\n"
                  "    new r1, VthBox\n"
                  "    setf r1, VthBox.v, 7\n"
                  "    str r2, \"handed over\"\n"
                  "    newarr r3, 3\n"
                  "    seta r3, 0, r2\n"
                  "    thread r4, child\n"
                  "    li r5, 0\n"
                  "churn:\n"
                  "    newarr r6, 20\n"
                  "    str r7, \"garbage\"\n"
                  "    add r5, r5, 1\n"
                  "    lt r8, r5, 200\n"
                  "    jnz r8, churn\n"
                  "    join r9, r4\n"
                  "    getf r10, r9, VthBox.v\n"
                  "    println r10\n"
                  "    getf r11, r9, VthBox.next\n"
                  "    eq r12, r11, r1\n"
                  "    println r12\n"
                  "    halt\n"
                  "child:\n"
                  "    getf r10, r1, VthBox.v\n"
                  "    geta r11, r3, 0\n"
                  "    println r11\n"
                  "    eq r12, r11, r2        ; the same object\n"
                  "    assert r12\n"
                  "    new r13, VthBox\n"
                  "    add r10, r10, 100\n"
                  "    setf r13, VthBox.v, r10\n"
                  "    setf r13, VthBox.next, r1\n"
                  "    ret r13\n",
                  "handed over\n107\n1\n");
}

Test(vm_threads_insn, sleep)
{
    expect_output("sleep 0\nsleep 2\nli r1, 3\nsleep r1\nthread r2, f\njoin r3, r2\nprintln r3\n"
                  "halt\nf: sleep 1\nret 9\n",
                  "9\n");
}

/* A lock held by main blocks a child until main unlocks: the child sees
 * what main wrote under the lock. Lock names are not shared variables. */
Test(vm_threads_insn, lock_blocks_until_unlock)
{
    expect_output("setshared x, 0\n"
                  "lock x                  ; a lock named like a shared variable: another thing\n"
                  "thread r1, f\n"
                  "sleep 20\n"
                  "setshared x, 1\n"
                  "unlock x\n"
                  "join r2, r1\n"
                  "println r2\n"
                  "lock x\nlock y\nunlock x\nunlock y\n"
                  "halt\n"
                  "f: lock x\n"
                  "getshared r1, x\n"
                  "unlock x\n"
                  "ret r1\n",
                  "1\n");
}

Test(vm_threads_insn, atomic_add_cas_fence)
{
    expect_output("setshared v, 5\n"
                  "cas r1, v, 4, 9\nprintln r1\n"           /* 0: v holds 5 */
                  "getshared r2, v\nprintln r2\n"           /* 5: unchanged */
                  "cas r3, v, 5, 9\nprintln r3\n"           /* 1 */
                  "getshared r4, v\nprintln r4\n"           /* 9 */
                  "atomic-add r5, v, -10\nprintln r5\n"     /* 9: the old value */
                  "getshared r6, v\nprintln r6\n"           /* -1 */
                  "str r7, \"s\"\nsetshared w, r7\nstr r8, \"s\"\n"
                  "cas r9, w, r8, nil\nprintln r9\n"        /* 0: same bytes, another object */
                  "cas r10, w, r7, nil\nprintln r10\n"      /* 1: the same object */
                  "getshared r11, w\nprintln r11\n"         /* nil */
                  "cas r12, w, nil, r8\nfence\ngc\ngetshared r13, w\nprintln r13\n"
                  "setshared m, 0x3ffffffffffffffe\natomic-add r14, m, 1\ngetshared r14, m\n"
                  "println r14\n",
                  "0\n5\n1\n9\n9\n-1\n0\n1\nnil\ns\n4611686018427387903\n");
    /* several threads: fetch-and-add and cas loops lose nothing */
    expect_output("setshared n, 0\nsetshared c, 0\n"
                  "thread r1, f\nthread r2, f\nthread r3, f\ncall r4, f\n"
                  "join r5, r1\njoin r5, r2\njoin r5, r3\n"
                  "getshared r6, n\nprintln r6\ngetshared r6, c\nprintln r6\nhalt\n"
                  "f: li r1, 0\n"
                  "loop: atomic-add r2, n, 1\n"
                  "retry: getshared r3, c\nadd r4, r3, 2\ncas r5, c, r3, r4\njz r5, retry\n"
                  "add r1, r1, 1\nlt r2, r1, 20000\njnz r2, loop\nret r1\n",
                  "80000\n160000\n");
}

/* One print instruction's output is never split by another thread's. */
Test(vm_threads_insn, print_writes_whole_lines)
{
    const char *src = "str r1, \"alpha-alpha-alpha-alpha-alpha-alpha-alpha-alpha-alpha\"\n"
                      "thread r10, f\n"
                      "str r1, \"beta-beta-beta-beta-beta-beta-beta-beta-beta-beta-beta\"\n"
                      "thread r11, f\n"
                      "str r1, \"gamma-gamma-gamma-gamma-gamma-gamma-gamma-gamma-gamma\"\n"
                      "call r12, f\n"
                      "join r2, r10\njoin r2, r11\nhalt\n"
                      "f: li r2, 0\n"
                      "loop: println r1\nadd r2, r2, 1\nlt r3, r2, 5000\njnz r3, loop\nret 0\n";
    vm_program *p = assemble(src);
    run_result r = {0};
    run_on(p, ref_collector(), 0, false, 4 * MIB, &test_opt, &r);
    cr_assert_eq(r.st, VM_HALTED, "%s", r.err);
    static const char *const words[] = {"alpha-", "beta-", "gamma-"};
    unsigned counts[3] = {0};
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strncmp(line, words[i], strlen(words[i])) == 0)
                k = i;
        cr_assert_geq(k, 0, "a mixed line: %s", line);
        size_t wl = strlen(words[k]), n = strlen(line);
        for (size_t i = 0; i < n; i += wl)
            cr_assert(strncmp(line + i, words[k], n - i < wl ? n - i : wl) == 0,
                      "a mixed line: %s", line);
        counts[k]++;
    }
    for (int i = 0; i < 3; i++)
        cr_assert_eq(counts[i], 5000, "%s lines: %u", words[i], counts[i]);
    run_result_free(&r);
    vm_program_free(p);
}

/* ---- runtime errors ---------------------------------------------------------------------- */

Test(vm_threads_errors, sleep)
{
    expect_error("sleep -1", 1, "sleep: duration -1 ms out of range (0..60000)");
    expect_error("nop\nli r1, 60001\nsleep r1", 3, "sleep: duration 60001 ms out of range");
    expect_error("sleep nil", 1, "sleep: the duration must be an int, got nil");
}

Test(vm_threads_errors, join)
{
    expect_error("li r1, 0\njoin r2, r1", 2, "join: no thread 0");
    expect_error("li r1, 7\njoin r2, r1", 2, "join: no thread 7");
    expect_error("thread r1, f\nli r1, -1\njoin r2, r1\nhalt\nf: halt", 3, "join: no thread -1");
    expect_error("join r2, r1", 1, "join: the thread handle must be an int, got nil");
    expect_error("thread r1, f\njoin r2, r1\njoin r3, r1\nhalt\nf: ret 1", 3,
                 "join: thread 1 was already joined (by the main thread)");
    /* a child joining itself (its handle through a shared variable) */
    expect_stop_in("setshared h, 0\nthread r1, f\nsetshared h, r1\njoin r2, r1\nhalt\n"
                   "f: getshared r1, h\njz r1, f\njoin r2, r1\n",
                   VM_RUNTIME_ERROR, 8, 1, "join: thread 1 cannot join itself");
    /* the main thread joining a thread a child joined */
    expect_error("setshared joined, 0\nthread r1, quick\nthread r2, f\n"
                 "wait: getshared r3, joined\njz r3, wait\n"
                 "join r3, r1\nhalt\n"
                 "quick: ret 0\n"
                 "f: li r1, 1\njoin r2, r1\nsetshared joined, 1\n",
                 6, "join: thread 1 was already joined (by thread 2)");
}

/* Two threads joining each other: the one that would close the cycle stops
 * with a deadlock error instead of waiting forever. */
Test(vm_threads_errors, join_deadlock, .timeout = 60)
{
    run_result r = {0};
    expect_error_somewhere("setshared ready, 0\n"
                           "li r5, 2\nthread r1, w\n"
                           "li r5, 1\nthread r2, w\n"
                           "setshared ready, 1\n"
                           "sleep 60000             ; (the error ends it)\nnop\nhalt\n"
                           "w: getshared r7, ready\njz r7, w\n"
                           "join r6, r5\nret 0\n",
                           "join: deadlock: thread ", &r);
    cr_assert(strstr(r.err, "t.gca:12: thread 1: join: deadlock: thread 2 ") == r.err ||
                  strstr(r.err, "t.gca:12: thread 2: join: deadlock: thread 1 ") == r.err,
              "%s", r.err);
    run_result_free(&r);
}

Test(vm_threads_errors, locks)
{
    expect_error("lock a\nlock a", 2,
                 "lock: this thread already holds lock 'a' (locks are not re-entrant)");
    expect_error("unlock a", 1, "unlock: this thread does not hold lock 'a' (it is free)");
    expect_error("lock a\nunlock a\nunlock a", 3, "unlock: this thread does not hold lock 'a'");
    expect_stop_in("lock a\nthread r1, f\njoin r2, r1\nhalt\nf: unlock a\n", VM_RUNTIME_ERROR, 5,
                   1, "unlock: this thread does not hold lock 'a' (held by the main thread)");
    /* ending while holding a lock: an error (and the lock is released) */
    expect_error("lock a\nhalt", 2, "halt: the thread ended holding lock 'a' (released now)");
    expect_error("lock a\nlock b\nunlock a", 4, "halt: the thread ended holding lock 'b'");
    expect_error("li r1, 1\nlock a\nret r1", 3, "ret: the thread ended holding lock 'a'");
    expect_stop_in("thread r1, f\njoin r2, r1\nhalt\nf: lock b\nret 5\n", VM_RUNTIME_ERROR, 5, 1,
                   "ret: the thread ended holding lock 'b'");
}

/* Main holds a and wants b; the child holds b and wants a: whichever
 * closes the cycle gets the error. */
Test(vm_threads_errors, lock_deadlock, .timeout = 60)
{
    run_result r = {0};
    expect_error_somewhere("setshared fb, 0\n"
                           "lock a\n"
                           "thread r1, f\n"
                           "wait: getshared r2, fb\njz r2, wait\n"
                           "lock b\nhalt\n"
                           "f: lock b\nsetshared fb, 1\nlock a\nhalt\n",
                           "lock: deadlock: lock '", &r);
    cr_assert(strstr(r.err, "t.gca:6: lock: deadlock: lock 'b' is held by thread 1, which waits") ==
                      r.err ||
                  strstr(r.err, "t.gca:10: thread 1: lock: deadlock: lock 'a' is held by the main "
                                "thread, which waits") == r.err,
              "%s", r.err);
    run_result_free(&r);
    /* a chain through a join: main holds a and joins the child, which wants a */
    expect_error_somewhere("lock a\nthread r1, f\njoin r2, r1\nhalt\nf: lock a\nhalt\n",
                           "deadlock: ", &r);
    cr_assert(strstr(r.err, "t.gca:3: join: deadlock: thread 1 waits") == r.err ||
                  strstr(r.err, "t.gca:5: thread 1: lock: deadlock: lock 'a' is held by the main "
                                "thread") == r.err,
              "%s", r.err);
    run_result_free(&r);
}

Test(vm_threads_errors, atomics)
{
    expect_error("atomic-add r1, x, 1", 1, "atomic-add: shared variable 'x' is not set");
    expect_error("cas r1, x, 1, 2", 1, "cas: shared variable 'x' is not set");
    expect_error("setshared x, nil\natomic-add r1, x, 1", 2,
                 "atomic-add: shared variable 'x' must hold an int, got nil");
    expect_error("str r2, \"s\"\nsetshared x, r2\natomic-add r1, x, 1", 3,
                 "atomic-add: shared variable 'x' must hold an int, got a string");
    expect_error("setshared x, 1\natomic-add r1, x, nil", 2,
                 "atomic-add: the addend must be an int, got nil");
    expect_error("setshared x, 0x3fffffffffffffff\natomic-add r1, x, 1", 2,
                 "atomic-add: integer overflow (shared variable 'x' is unchanged)");
    expect_error("setshared x, -0x4000000000000000\nli r2, -1\natomic-add r1, x, r2", 3,
                 "atomic-add: integer overflow");
}

/* More than VM_MAX_THREADS (256) threads started and not joined. */
Test(vm_threads_errors, too_many_threads)
{
    expect_error("loop: thread r2, f\njmp loop\nf: halt\n", 1,
                 "thread: too many threads: 256 started and not joined (at most 256)");
    /* joined threads do not count */
    expect_output("li r1, 0\nloop: thread r2, f\njoin r3, r2\nadd r1, r1, 1\nlt r4, r1, 300\n"
                  "jnz r4, loop\nprintln r2\nhalt\nf: halt\n",
                  "300\n");
}

/* ---- errors in child threads --------------------------------------------------------------- */

Test(vm_threads_child, error_names_the_thread)
{
    expect_stop_in("thread r1, f\njoin r2, r1\nprintln \"not reached\"\nhalt\n"
                   "f: li r3, 0\ndiv r3, r3, 0\n",
                   VM_RUNTIME_ERROR, 6, 1, "div: division by zero");
    expect_stop_in("thread r1, ok\nthread r1, f\njoin r2, r1\nhalt\nok: halt\n"
                   "f: li r3, 0\nassert r3\n",
                   VM_CHECK_FAILED, 7, 2, "assertion failed: r3 is 0");
    expect_stop_in("thread r1, f\njoin r2, r1\nhalt\nf: fail \"from a thread\"\n", VM_CHECK_FAILED,
                   4, 1, "fail: from a thread");
    /* the step limit is per thread */
    vm_program *p = assemble("thread r1, f\nthread r2, f\ncall r3, f\njoin r4, r1\njoin r4, r2\n"
                             "halt\nf: li r5, 0\nloop: add r5, r5, 1\nlt r6, r5, 10\njnz r6, loop\n"
                             "ret r5\n");
    vm_options opt = {.max_steps = 40};
    run_result r = {0};
    run_on(p, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_HALTED, "3 threads x 32 steps, 40 each: %s", r.err);
    run_result_free(&r);
    opt.max_steps = 20;
    run_on(p, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_RUNTIME_ERROR);
    cr_assert(strstr(r.err, "step limit of 20 instructions exceeded") != NULL, "%s", r.err);
    run_result_free(&r);
    vm_program_free(p);
}

/* A child fails while the others spin forever and the main thread sleeps
 * for a minute: the error stops them all at once, and every thread is
 * joined (run_on checks that they all detached). */
Test(vm_threads_child, error_stops_every_thread, .timeout = 120)
{
    vm_program *p = assemble("lock a\nthread r1, spin\nthread r2, spin\nthread r3, waits\n"
                             "thread r4, bad\nsleep 60000\nhalt\n"
                             "spin: jmp spin\n"
                             "waits: lock a\nhalt\n"
                             "bad: sleep 20\nli r5, nil\ngetf r6, r5, 0\n");
    vm_options opt = {.max_steps = 0};
    run_result r = {0};
    run_on(p, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_RUNTIME_ERROR, "%s", r.err);
    cr_assert_str_eq(r.err, "t.gca:13: thread 4: getf: the object must be a record, got nil");
    cr_assert_lt(r.seconds, 30.0, "the run took %.1f s: the sleeper was not woken", r.seconds);
    run_result_free(&r);
    /* the main thread fails while children spin: they stop too */
    vm_program *q = assemble("thread r1, spin\nthread r2, spin\nsleep 10\nli r3, 1\n"
                             "div r3, r3, 0\nspin: jmp spin\n");
    run_on(q, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_str_eq(r.err, "t.gca:5: div: division by zero");
    run_result_free(&r);
    vm_program_free(q);
    vm_program_free(p);
}

/* Two children fail: one error is reported, whole, with its thread. */
Test(vm_threads_child, first_error_wins)
{
    vm_program *p = assemble("thread r1, a\nthread r2, b\njoin r3, r1\njoin r3, r2\nhalt\n"
                             "a: li r4, 0\ndiv r4, r4, 0\n"
                             "b: li r4, nil\nadd r4, r4, 1\n");
    for (int i = 0; i < 20; i++) {
        run_result r = {0};
        run_on(p, ref_collector(), 0, false, 4 * MIB, &test_opt, &r);
        cr_assert_eq(r.st, VM_RUNTIME_ERROR);
        cr_assert(strcmp(r.err, "t.gca:7: thread 1: div: division by zero") == 0 ||
                      strcmp(r.err, "t.gca:9: thread 2: add: operand 2 must be an int, got nil") == 0,
                  "%s", r.err);
        run_result_free(&r);
    }
    vm_program_free(p);
}

/* Heap exhaustion in a child, trapped: VM_EXHAUSTED for the run. */
Test(vm_threads_child, exhaustion_in_a_child)
{
    vm_program *p = assemble("thread r1, f\njoin r2, r1\nhalt\nf: newarr r3, 0x1000000\n");
    vm_options opt = {.max_steps = 1000, .trap_exhaustion = true};
    conf_require_valid_filter();
    for (size_t c = 0; gc_registered_collectors[c] != NULL; c++) {
        if (!conf_selected(gc_registered_collectors[c]))
            continue;
        const char *name = gc_registered_collectors[c]->name;
        run_result r = {0};
        run_on(p, name, 0, false, 4 * MIB, &opt, &r);
        cr_assert_eq(r.st, VM_EXHAUSTED, "%s: status %d: %s", name, r.st, r.err);
        cr_assert(strstr(r.err, "t.gca:4: thread 1: newarr: heap exhausted") == r.err, "%s: %s",
                  name, r.err);
        run_result_free(&r);
    }
    vm_program_free(p);
}

/* Program parameters (vm_options.defines). */
Test(vm_threads_child, defines)
{
    vm_program *p = assemble("getshared r1, threads\nprintln r1\n");
    vm_define defs[] = {{"unused", 1}, {"threads", 5}};
    vm_options opt = {.defines = defs, .ndefines = 2};
    run_result r = {0};
    run_on(p, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_HALTED, "%s", r.err);
    cr_assert_str_eq(r.out, "5\n");
    run_result_free(&r);
    defs[1].value = GC_INT_MAX + (int64_t)1;
    run_on(p, ref_collector(), 0, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_RUNTIME_ERROR);
    cr_assert_str_eq(r.err, "t.gca: parameter threads = 4611686018427387904 is outside the int range");
    run_result_free(&r);
    vm_program_free(p);
}

/* ---- the handshake, seen from the VM ------------------------------------------------------- */

/* While one thread sleeps (a minute) and another waits for a lock, the
 * main thread allocates enough to collect many times: neither stalls a
 * collection (both are INACTIVE). The final `fail` stops the sleeper. */
ParameterizedTestParameters(vm_threads_handshake, blocked_threads_do_not_stall)
{
    return conf_collector_index_params();
}
ParameterizedTest(size_t *ci, vm_threads_handshake, blocked_threads_do_not_stall)
{
    const char *name = conf_collector_at(*ci)->name;
    vm_program *p = assemble("lock a\nsetshared blocked, 0\n"
                             "thread r1, waiter\n"
                             "thread r2, sleeper\n"
                             "wait: getshared r3, blocked\nlt r3, r3, 2\njnz r3, wait\n"
                             "sleep 10                ; (they block right after)\n"
                             "li r3, 0\n"
                             "alloc: newarr r4, 100\n"
                             "add r3, r3, 1\nlt r5, r3, 5000\njnz r5, alloc\n"
                             "gc\n"
                             "unlock a\n"
                             "join r6, r1\nprintln r6\n"
                             "fail \"done\"\n"
                             "waiter: atomic-add r1, blocked, 1\nlock a\nunlock a\nret 7\n"
                             "sleeper: atomic-add r1, blocked, 1\nsleep 60000\nret 0\n");
    run_result r = {0};
    run_on(p, name, 0, false, 1 * MIB, &test_opt, &r);
    cr_assert_eq(r.st, VM_CHECK_FAILED, "%s: status %d: %s", name, r.st, r.err);
    cr_assert_str_eq(r.err, "t.gca:18: fail: done", "%s", name);
    cr_assert_str_eq(r.out, "7\n", "%s", name);
    cr_assert_geq(r.collections, 3, "%s: only %" PRIu64 " collections", name, r.collections);
    cr_assert_lt(r.seconds, 30.0, "%s: %.1f s: a blocked thread stalled a collection", name,
                 r.seconds);
    run_result_free(&r);
    vm_program_free(p);
}

/* A thread that loops without allocating (it only reads a shared
 * variable) reaches a safepoint at its backward jump, so the main thread's
 * collections (at stress 1: one per allocation) complete. */
ParameterizedTestParameters(vm_threads_handshake, looping_thread_reaches_safepoints)
{
    return conf_collector_index_params();
}
ParameterizedTest(size_t *ci, vm_threads_handshake, looping_thread_reaches_safepoints,
                  .timeout = 60)
{
    const char *name = conf_collector_at(*ci)->name;
    vm_program *p = assemble("setshared stop, 0\n"
                             "setshared spinning, 0\n"
                             "thread r1, spin\n"
                             "wait: getshared r3, spinning\njz r3, wait\n"
                             "li r3, 0\n"
                             "alloc: newarr r4, 10\n"
                             "add r3, r3, 1\nlt r5, r3, 300\njnz r5, alloc\n"
                             "setshared stop, 1\n"
                             "join r2, r1\ngt r5, r2, 0\nassert r5\nprintln \"ok\"\nhalt\n"
                             "spin: setshared spinning, 1\nli r2, 0\n"
                             "loop: add r2, r2, 1\ngetshared r3, stop\njz r3, loop\nret r2\n");
    vm_options opt = {.max_steps = 0};
    run_result r = {0};
    run_on(p, name, 1, false, 4 * MIB, &opt, &r);
    cr_assert_eq(r.st, VM_HALTED, "%s: status %d: %s", name, r.st, r.err);
    cr_assert_str_eq(r.out, "ok\n", "%s", name);
    cr_assert_geq(r.collections, 300, "%s: %" PRIu64 " collections", name, r.collections);
    run_result_free(&r);
    vm_program_free(p);
}

/* ---- the threaded sample programs ------------------------------------------------------------ */

static const char *const thread_programs[] = {"shared-counter", "shared-counter-locked",
                                              "shared-counter-cas", "producer-consumer"};
#define NTHREAD_PROGRAMS (sizeof thread_programs / sizeof thread_programs[0])

/* NAME.gca with `threads` = n prints NAME.expected, '~' lines aside. */
static void expect_program(const char *name, const char *collector, int64_t threads,
                           uint64_t stress, size_t heap, bool want_collections)
{
    char path[512], err[512];
    snprintf(path, sizeof path, PROGRAMS "%s.gca", name);
    vm_program *p = vm_assemble_file(path, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    snprintf(path, sizeof path, PROGRAMS "%s.expected", name);
    size_t elen;
    char *expected = read_file(path, &elen);
    vm_define def = {"threads", threads};
    vm_options opt = {.defines = &def, .ndefines = 1};
    run_result r = {0};
    run_on(p, collector, stress, stress != 0, heap, &opt, &r);
    cr_assert_eq(r.st, VM_HALTED, "%s: %s.gca, %" PRId64 " threads, stress %" PRIu64 ": %s",
                 collector, name, threads, stress, r.err);
    char *got = strip_tilde_lines(r.out, r.outlen);
    cr_assert(strlen(got) == elen && memcmp(got, expected, elen) == 0,
              "%s: %s.gca, %" PRId64 " threads, stress %" PRIu64 " printed\n%s\n--- expected\n%s",
              collector, name, threads, stress, r.out, expected);
    if (want_collections)
        cr_assert_gt(r.collections, 0, "%s: %s.gca: no collection during the run", collector, name);
    free(got);
    free(expected);
    run_result_free(&r);
    vm_program_free(p);
}

ParameterizedTestParameters(vm_threads_programs, every_collector)
{
    return conf_collector_index_params();
}
ParameterizedTest(size_t *ci, vm_threads_programs, every_collector, .timeout = 600)
{
    const char *name = conf_collector_at(*ci)->name;
    for (size_t i = 0; i < NTHREAD_PROGRAMS; i++)
        for (int64_t threads = 1; threads <= 3; threads += 2) {
            /* normal: a heap small enough to collect during the run */
            expect_program(thread_programs[i], name, threads, 0, 2 * MIB,
                           strcmp(thread_programs[i], "producer-consumer") == 0);
            /* stress + verify */
            expect_program(thread_programs[i], name, threads, 50, 16 * MIB, true);
        }
}

/* ---- the program workload: '~' lines and --threads ------------------------------------------- */

/* Writes src to dir/NAME.gca and, when expected != NULL, dir/NAME.expected. */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Runs the program workload with wl_config.threads; *out: its stdout. */
static int run_workload(const char *path, uint32_t threads, wl_result *res, char **out)
{
    char err[256];
    gc_config cfg = {.heap_limit = 16 * MIB};
    gc_heap *h = gc_heap_create(ref_collector(), &cfg, err, sizeof err);
    cr_assert_not_null(h, "%s", err);
    gc_mutator *m = gc_mutator_attach(h);
    wl_config wc = {.size = WL_SIZE_SMALL, .seed = 1, .program = path, .threads = threads};
    memset(res, 0, sizeof *res);
    char cap[] = "/tmp/gcbench-vmt-out-XXXXXX";
    int fd = mkstemp(cap);
    cr_assert_geq(fd, 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    int rc = wl_program.run(m, &wc, res);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(fd);
    *out = read_file(cap, NULL);
    unlink(cap);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    return rc;
}

Test(vm_threads_workload, tilde_lines_and_threads_parameter)
{
    char dir[] = "/tmp/gcbench-vmt-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char gca[128], exp[128];
    snprintf(gca, sizeof gca, "%s/p.gca", dir);
    snprintf(exp, sizeof exp, "%s/p.expected", dir);
    write_text(gca, "print \"~ threads: \"\ngetshared r1, threads\nprintln r1\n"
                    "println \"compared\"\nprintln \"~\"\nprintln \"also compared ~\"\n"
                    "print \"~ last, without a newline\"\n");
    write_text(exp, "compared\nalso compared ~\n");
    wl_result res;
    char *out = NULL;
    int rc = run_workload(gca, 3, &res, &out);
    cr_assert_eq(rc, WL_OK, "%s", res.detail);
    cr_assert(res.verified, "'~' lines must not be compared: %s", res.detail);
    cr_assert_str_eq(out, "~ threads: 3\ncompared\n~\nalso compared ~\n~ last, without a newline",
                     "stdout keeps every line");
    free(out);
    rc = run_workload(gca, 0, &res, &out); /* threads 0: the parameter is 1 */
    cr_assert(res.verified, "%s", res.detail);
    cr_assert(strncmp(out, "~ threads: 1\n", 13) == 0, "%s", out);
    free(out);
    /* a line that is not a '~' line is compared */
    write_text(exp, "compared\n");
    rc = run_workload(gca, 1, &res, &out);
    cr_assert_eq(rc, WL_OK);
    cr_assert_not(res.verified, "an extra compared line must fail: %s", res.detail);
    cr_assert(strstr(res.detail, "differs from") != NULL, "%s", res.detail);
    free(out);
    unlink(gca);
    unlink(exp);
    rmdir(dir);
}
