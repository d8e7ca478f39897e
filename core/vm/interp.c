/* core/vm/interp.c — the interpreter: a register machine over gc_values,
 * run by one or more threads sharing one heap (docs/vm.md, "Threads").
 *
 * Rooting (core/heap.h's discipline, for a machine that may run under a
 * moving collector that collects at every allocation):
 *  - Frames live in system memory (vm_thread.frames); each VM thread's root
 *    scanner vm_scan_frames, registered on that thread's own mutator, visits
 *    every register of its frames 0..depth, so a moving collector rewrites
 *    registers in place.
 *  - The loop keeps no gc_object* across anything that can collect (an
 *    allocation, `gc`, a safepoint, a blocking instruction): operands are
 *    re-read from registers after the allocation (concat, substr), and
 *    results are written to a register right after it.
 *  - A popped frame is no longer scanned: `ret` copies its value into the
 *    caller's register before anything can collect.
 *  - Shared variables are cells in system memory, each registered with
 *    gc_heap_add_root when first set and removed when the run ends.
 *  - A new thread's entry frame is filled by its parent; its 32 registers
 *    are global roots (the handoff) until the child, attached and RUNNING,
 *    registers its own scanner (no safepoint in between). A thread's result
 *    slot is a global root from its start until it is joined.
 *
 * Threads (all under vm_world.lock unless said otherwise):
 *  W1 vm_world.lock is taken by mutator threads with gc_mutator_lock (never
 *     a plain uv_mutex_lock), so it may be held across gc_inactive_* in the
 *     condition waits below: a thread blocked on it is INACTIVE and never
 *     stalls a collection. No root scanner ever takes it.
 *  W2 out_lock and the shared variables' creation lock are plain mutexes,
 *     held only around code with no safepoint (a print; a cell's creation).
 *  W3 a program lock's owner is set and cleared only under vm_world.lock, by
 *     the owner itself; a thread ends holding none (vm_thread_end releases).
 *  W4 wait_lock / wait_thread are set only by the waiting thread, while it
 *     waits (or joins), under vm_world.lock: the "waits for" graph, which
 *     never gets a cycle (a wait that would close one is a deadlock error).
 *  W5 once abort is set (the first error, under vm_world.lock), every
 *     waiter is woken; threads stop at their next safepoint poll (backward
 *     jump, call) or blocking instruction. vm_run joins every thread it
 *     started before it returns.
 *
 * Safety: every operand's kind (int / nil / record / array / value array /
 * string) and every index is checked before memory is touched; a failed
 * check returns VM_RUNTIME_ERROR with "file:line: message".
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../collector.h"
#include "../threads.h"
#include "../utf8.h"
#include "vm_impl.h"

/* Bounds of the threads instructions (docs/vm.md). */
#define VM_MAX_SLEEP_MS 60000 /* sleep: 0..VM_MAX_SLEEP_MS milliseconds */
#define VM_MAX_THREADS 256    /* threads started and not yet joined, at once */
#define VM_ERR_MAX 2048       /* a thread's message buffer (then cut to the caller's) */

/* vm_exec's outcomes besides vm_status: the thread stopped because another
 * failed (the run's error is that one), or (helpers) carry on. */
enum { VM_STOPPED = -1, VM_GO = -2 };

typedef struct vm_frame {
    gc_value r[VM_NREGS];
    uint32_t ret_pc;  /* where the caller resumes */
    uint8_t ret_reg;  /* caller's register for the result */
} vm_frame;

/* A shared variable's cell: a C11 atomic (getshared, setshared, atomic-add
 * and cas are seq_cst), registered as a global root by its address. The
 * collector reads and rewrites it as a plain gc_value while the world is
 * stopped (ordered by the handshake), so it must have the same
 * representation and be lock-free. */
typedef _Atomic gc_value vm_cell;
_Static_assert(sizeof(vm_cell) == sizeof(gc_value), "an atomic gc_value must be a plain word");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "atomic words must be lock-free");

/* Named shared variables of one run, shared by its threads. */
typedef struct vm_shared {
    uv_mutex_t lock;          /* serializes the creation of cells (W2) */
    gc_heap *heap;
    _Atomic(vm_cell *) *cells; /* by name index; NULL until set (published
                                * with release, read with acquire) */
    size_t n;
} vm_shared;

typedef struct vm_thread vm_thread;

/* A program lock (`lock NAME`): not a mutex but an owner under
 * vm_world.lock, waited for on cv, so waits are INACTIVE, wake on abort,
 * and are checked for deadlock (W3, W4). */
typedef struct vm_lock {
    vm_thread *owner; /* NULL: free */
    uv_cond_t cv;     /* signalled when it is released, broadcast on abort */
} vm_lock;

/* Everything the threads of one vm_run share. */
typedef struct vm_world {
    const vm_program *p;
    gc_heap *heap;
    FILE *out;
    uint64_t max_steps;       /* per thread */
    uint32_t max_depth;
    bool trap_exhaustion;
    vm_shared *shared;
    uv_mutex_t out_lock;      /* one print instruction's writes (W2) */
    atomic_int abort;         /* set with the first error (W5) */
    uv_mutex_t lock;          /* everything below (W1) */
    uv_cond_t cv;             /* thread starts and ends, abort (sleepers) */
    vm_lock *locks;           /* by lock-name index */
    vm_thread **threads;      /* by id; [0] is the thread vm_run runs on */
    size_t nthreads, threads_cap;
    unsigned live;            /* threads started (or starting) and not joined */
    bool failed;              /* the first error, which vm_run reports: */
    int fail_status;
    char fail_msg[VM_ERR_MAX];
    gc_exhausted_fn saved_fn; /* the heap's exhaustion handler before the run */
    void *saved_data;
} vm_world;

struct vm_thread {
    vm_world *w;
    const vm_program *p;
    gc_mutator *m;         /* NULL before attach and after detach */
    FILE *out;
    vm_frame *frames;
    uint32_t depth;        /* index of the current frame */
    uint32_t cap;          /* frames allocated */
    uint32_t max_depth;    /* frames allowed */
    uint64_t max_steps;
    vm_shared *shared;
    uint32_t id;           /* 0: vm_run's thread; else the handle `thread` gave */
    uint32_t entry_pc;
    const vm_insn *spawn_in; /* the `thread` instruction that started it */
    const vm_insn *end_in;   /* the instruction that ended it normally */
    gc_value result;       /* the entry frame's `ret` value; a child's is a
                            * global root until it is joined */
    uv_thread_t uvt;
    const vm_insn *cur;    /* the allocating instruction (exhaustion messages) */
    size_t exhausted_request;
    jmp_buf trap;          /* heap exhaustion, with trap_exhaustion */
    /* -- under w->lock -- */
    bool started;          /* uv_thread_create succeeded */
    bool start_failed;     /* ... or failed */
    bool finished;         /* its thread function is over (detached) */
    vm_thread *joiner;     /* the thread that joins (joined) it */
    vm_lock *wait_lock;    /* W4: the lock it waits for, or NULL */
    vm_thread *wait_thread; /* W4: the thread it joins, or NULL */
    char err[VM_ERR_MAX];  /* its error message, "file:line: ..." */
};

static void vm_scan_frames(void *data, gc_visit_fn visit, void *vctx)
{
    vm_thread *t = data;
    for (uint32_t f = 0; f <= t->depth; f++) {
        gc_value *r = t->frames[f].r;
        for (int k = 0; k < VM_NREGS; k++)
            if (gc_is_ref(r[k]))
                visit(&r[k], vctx);
    }
}

/* ---- errors ------------------------------------------------------------------------ */

/* Formats "file:line: message" (a child thread's: "file:line: thread N:
 * message") into t->err; returns st. */
static vm_status vm_error(vm_thread *t, const vm_insn *in, vm_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static vm_status vm_error(vm_thread *t, const vm_insn *in, vm_status st, const char *fmt, ...)
{
    size_t len = sizeof t->err;
    int n = t->id == 0 ? snprintf(t->err, len, "%s:%u: ", t->p->filename, in->line)
                       : snprintf(t->err, len, "%s:%u: thread %u: ", t->p->filename, in->line,
                                  t->id);
    if (n >= 0 && (size_t)n < len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err + n, len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* "an int", "nil", "a Person record", ... for type errors. */
static const char *vm_describe(gc_value v, char buf[64])
{
    if (gc_is_nil(v))
        return "nil";
    if (gc_is_int(v))
        return "an int";
    const gc_type *ty = gc_object_type(gc_ref(v));
    switch (ty->kind) {
    case GC_KIND_RECORD: snprintf(buf, 64, "a %.40s record", ty->name); return buf;
    case GC_KIND_REF_ARRAY: return "an array";
    case GC_KIND_BYTES: return "a string";
    case GC_KIND_VALUE_ARRAY: return "a value array";
    }
    return "?";
}

static bool vm_is_kind(gc_value v, gc_kind k)
{
    return gc_is_ref(v) && gc_object_kind(gc_ref(v)) == k;
}

static bool vm_truthy(gc_value v) { return v != GC_NIL && v != gc_int(0); }

static void vm_print(FILE *out, gc_value v)
{
    if (gc_is_int(v)) {
        fprintf(out, "%" PRId64, gc_int_value(v));
    } else if (gc_is_nil(v)) {
        fputs("nil", out);
    } else {
        gc_object *o = gc_ref(v);
        const gc_type *ty = gc_object_type(o);
        switch (ty->kind) {
        case GC_KIND_BYTES: fwrite(gc_bytes(o), 1, gc_object_length(o), out); break;
        case GC_KIND_RECORD: fprintf(out, "<%s>", ty->name); break;
        case GC_KIND_REF_ARRAY: fprintf(out, "<array %" PRIu64 ">", gc_object_length(o)); break;
        case GC_KIND_VALUE_ARRAY: fprintf(out, "<values %" PRIu64 ">", gc_object_length(o)); break;
        }
    }
}

/* ---- shared variables ------------------------------------------------------------------ */

static vm_shared *vm_shared_create(gc_heap *h, size_t n)
{
    vm_shared *s = calloc(1, sizeof *s);
    if (!s || !(s->cells = calloc(n ? n : 1, sizeof *s->cells)))
        abort();
    for (size_t i = 0; i < n; i++)
        atomic_init(&s->cells[i], NULL);
    s->heap = h;
    s->n = n;
    uv_mutex_init(&s->lock);
    return s;
}

/* After every thread of the run has ended. */
static void vm_shared_destroy(vm_shared *s)
{
    for (size_t i = 0; i < s->n; i++) {
        vm_cell *c = atomic_load_explicit(&s->cells[i], memory_order_relaxed);
        if (c) {
            gc_heap_remove_root(s->heap, (gc_value *)c);
            free(c);
        }
    }
    uv_mutex_destroy(&s->lock);
    free(s->cells);
    free(s);
}

/* The cell of variable i, or NULL while no thread has set it. */
static vm_cell *vm_shared_cell(vm_shared *s, size_t i)
{
    return atomic_load_explicit(&s->cells[i], memory_order_acquire);
}

/* Called by a RUNNING mutator: no safepoint while the creation lock is
 * held (malloc and gc_heap_add_root are none), so v stays valid. */
static void vm_shared_set(vm_shared *s, size_t i, gc_value v)
{
    vm_cell *c = vm_shared_cell(s, i);
    if (GC_UNLIKELY(!c)) {
        uv_mutex_lock(&s->lock);
        c = atomic_load_explicit(&s->cells[i], memory_order_relaxed);
        if (!c) {
            c = malloc(sizeof *c);
            if (!c)
                abort();
            atomic_init(c, v);
            gc_heap_add_root(s->heap, (gc_value *)c);
            atomic_store_explicit(&s->cells[i], c, memory_order_release);
            uv_mutex_unlock(&s->lock);
            return;
        }
        uv_mutex_unlock(&s->lock);
    }
    atomic_store_explicit(c, v, memory_order_seq_cst);
}

static bool vm_shared_get(vm_shared *s, size_t i, gc_value *out)
{
    vm_cell *c = vm_shared_cell(s, i);
    if (!c)
        return false;
    *out = atomic_load_explicit(c, memory_order_seq_cst);
    return true;
}

/* `fence`: a full (seq_cst) memory fence. ThreadSanitizer does not model
 * atomic_thread_fence (and gcc warns about it, -Wtsan), so under TSan it is
 * a seq_cst read-modify-write of one word every fence touches: at least as
 * strong (the fences of all threads are then totally ordered). */
#if defined(__SANITIZE_THREAD__)
static atomic_uint vm_fence_word;
static void vm_fence(void) { atomic_fetch_add_explicit(&vm_fence_word, 0, memory_order_seq_cst); }
#else
static void vm_fence(void) { atomic_thread_fence(memory_order_seq_cst); }
#endif

/* ---- threads ------------------------------------------------------------------------- */

static bool vm_aborted(const vm_world *w)
{
    return atomic_load_explicit(&w->abort, memory_order_relaxed) != 0;
}

/* Takes w->lock (W1): INACTIVE while waiting if t is a mutator. */
static void vm_world_lock(vm_thread *t)
{
    if (t->m)
        gc_mutator_lock(t->m, &t->w->lock);
    else
        uv_mutex_lock(&t->w->lock);
}

/* "the main thread" or "thread N", for messages. */
static const char *vm_thread_name(const vm_thread *t, char buf[32])
{
    if (t->id == 0)
        return "the main thread";
    snprintf(buf, 32, "thread %u", t->id);
    return buf;
}

/* Records t's error (in t->err) as the run's, unless another came first,
 * and stops every thread (W5). */
static void vm_world_fail(vm_thread *t, int st)
{
    vm_world *w = t->w;
    vm_world_lock(t);
    if (!w->failed) {
        w->failed = true;
        w->fail_status = st;
        memcpy(w->fail_msg, t->err, sizeof w->fail_msg);
    }
    atomic_store_explicit(&w->abort, 1, memory_order_relaxed);
    uv_cond_broadcast(&w->cv);
    for (size_t i = 0; i < w->p->nlocks; i++)
        uv_cond_broadcast(&w->locks[i].cv);
    uv_mutex_unlock(&w->lock);
}

/* Under w->lock, with t's new wait edge set (W4): does following "waits
 * for" edges (a lock to its owner, a join to the joined thread) from t come
 * back to t? Then t would wait forever. A chain without a cycle has fewer
 * edges than there are threads; an ended thread waits for nothing. */
static bool vm_waits_for_itself(const vm_world *w, const vm_thread *t)
{
    const vm_thread *x = t;
    for (size_t n = 0; n < w->nthreads; n++) {
        const vm_thread *next = x->wait_lock ? x->wait_lock->owner : x->wait_thread;
        if (!next || next->finished)
            return false;
        if (next == t)
            return true;
        x = next;
    }
    return false;
}

static vm_thread *vm_thread_new(vm_world *w, uint32_t id)
{
    vm_thread *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->w = w;
    t->p = w->p;
    t->out = w->out;
    t->id = id;
    t->max_depth = w->max_depth;
    t->cap = t->max_depth < 16 ? t->max_depth : 16;
    t->frames = calloc(t->cap, sizeof *t->frames); /* all registers start nil */
    if (!t->frames)
        abort();
    t->max_steps = w->max_steps;
    t->shared = w->shared;
    t->entry_pc = w->p->entry;
    t->result = GC_NIL;
    t->cur = &w->p->code[t->entry_pc];
    return t;
}

static int vm_exec(vm_thread *t);
static void vm_child_main(void *arg);

/* The handoff (see the top): a starting thread's entry registers as
 * global roots. */
static void vm_handoff_root(vm_thread *c, bool add)
{
    for (int k = 0; k < VM_NREGS; k++)
        if (add)
            gc_heap_add_root(c->w->heap, &c->frames[0].r[k]);
        else
            gc_heap_remove_root(c->w->heap, &c->frames[0].r[k]);
}

/* `thread rD, LABEL`: starts a thread at `in`'s label whose entry
 * registers are a copy of R; *handle = its id. */
static int vm_spawn(vm_thread *t, const vm_insn *in, const gc_value *R, int64_t *handle)
{
    vm_world *w = t->w;
    vm_thread *c = NULL;
    vm_world_lock(t);
    if (w->live >= VM_MAX_THREADS) {
        uv_mutex_unlock(&w->lock);
        return vm_error(t, in, VM_RUNTIME_ERROR,
                        "thread: too many threads: %u started and not joined (at most %u)",
                        w->live, VM_MAX_THREADS);
    }
    if (w->nthreads == w->threads_cap) {
        size_t ncap = w->threads_cap * 2;
        vm_thread **nt = realloc(w->threads, ncap * sizeof *nt);
        if (!nt)
            abort();
        w->threads = nt;
        w->threads_cap = ncap;
    }
    c = vm_thread_new(w, (uint32_t)w->nthreads);
    w->threads[w->nthreads++] = c;
    w->live++;
    uv_mutex_unlock(&w->lock);

    /* No safepoint from here to uv_thread_create: R is not moved meanwhile,
     * and from the copy on the copy is rooted. */
    memcpy(c->frames[0].r, R, sizeof c->frames[0].r);
    c->entry_pc = (uint32_t)in->x[1];
    c->cur = &w->p->code[c->entry_pc];
    c->spawn_in = in;
    gc_heap_add_root(w->heap, &c->result);
    vm_handoff_root(c, true);
    int e = uv_thread_create(&c->uvt, vm_child_main, c);
    if (e != 0) {
        vm_handoff_root(c, false);
        gc_heap_remove_root(w->heap, &c->result);
    }
    vm_world_lock(t);
    if (e != 0) {
        c->start_failed = true;
        w->live--;
    } else {
        c->started = true;
    }
    uv_cond_broadcast(&w->cv);
    uv_mutex_unlock(&w->lock);
    if (e != 0)
        return vm_error(t, in, VM_RUNTIME_ERROR, "thread: cannot start a thread: %s",
                        uv_strerror(e));
    *handle = c->id;
    return VM_GO;
}

/* `join rD, rT`: waits (INACTIVE) for thread `h` to end; *dst = its result. */
static int vm_join(vm_thread *t, const vm_insn *in, int64_t h, gc_value *dst)
{
    vm_world *w = t->w;
    char nb[32];
    int rc = VM_GO;
    vm_world_lock(t);
    vm_thread *c = h >= 1 && (uint64_t)h < w->nthreads ? w->threads[h] : NULL;
    if (!c || !c->started)
        rc = vm_error(t, in, VM_RUNTIME_ERROR, "join: no thread %" PRId64
                      " (a handle is what `thread` put in its register)", h);
    else if (c == t)
        rc = vm_error(t, in, VM_RUNTIME_ERROR, "join: thread %u cannot join itself", t->id);
    else if (c->joiner)
        rc = vm_error(t, in, VM_RUNTIME_ERROR, "join: thread %u was already joined (by %s)",
                      c->id, vm_thread_name(c->joiner, nb));
    else {
        c->joiner = t;
        t->wait_thread = c;
        if (vm_waits_for_itself(w, t)) {
            rc = vm_error(t, in, VM_RUNTIME_ERROR,
                          "join: deadlock: thread %u waits, directly or through other "
                          "threads, for this one", c->id);
            c->joiner = NULL;
            t->wait_thread = NULL;
        }
    }
    uv_mutex_unlock(&w->lock);
    if (rc != VM_GO)
        return rc;
    int e = gc_mutator_join(t->m, &c->uvt);
    GC_ASSERT(e == 0);
    (void)e;
    /* RUNNING again: the slot is up to date; into a register before any
     * safepoint, then no longer a root. */
    *dst = c->result;
    c->result = GC_NIL;
    gc_heap_remove_root(w->heap, &c->result);
    vm_world_lock(t);
    t->wait_thread = NULL;
    w->live--;
    uv_mutex_unlock(&w->lock);
    return vm_aborted(w) ? VM_STOPPED : VM_GO;
}

/* `lock NAME`: waits (INACTIVE) until the lock is free, then owns it. */
static int vm_lock_op(vm_thread *t, const vm_insn *in)
{
    vm_world *w = t->w;
    vm_lock *lk = &w->locks[in->x[0]];
    const char *name = t->p->locks[in->x[0]];
    char nb[32];
    int rc = VM_GO;
    vm_world_lock(t);
    if (lk->owner == t) {
        rc = vm_error(t, in, VM_RUNTIME_ERROR,
                      "lock: this thread already holds lock '%s' (locks are not re-entrant)",
                      name);
    } else if (lk->owner) {
        t->wait_lock = lk;
        if (vm_waits_for_itself(w, t)) {
            rc = vm_error(t, in, VM_RUNTIME_ERROR,
                          "lock: deadlock: lock '%s' is held by %s, which waits, directly or "
                          "through other threads, for this one",
                          name, vm_thread_name(lk->owner, nb));
        } else {
            while (lk->owner && !vm_aborted(w))
                gc_mutator_cond_wait(t->m, &lk->cv, &w->lock);
            if (lk->owner == NULL && !vm_aborted(w))
                lk->owner = t;
            else
                rc = VM_STOPPED;
        }
        t->wait_lock = NULL;
    } else {
        lk->owner = t;
    }
    uv_mutex_unlock(&w->lock);
    return rc;
}

/* `unlock NAME`. */
static int vm_unlock_op(vm_thread *t, const vm_insn *in)
{
    vm_world *w = t->w;
    vm_lock *lk = &w->locks[in->x[0]];
    char nb[32];
    int rc = VM_GO;
    vm_world_lock(t);
    if (lk->owner != t)
        rc = vm_error(t, in, VM_RUNTIME_ERROR, "unlock: this thread does not hold lock '%s' (%s%s)",
                      t->p->locks[in->x[0]], lk->owner ? "held by " : "it is free",
                      lk->owner ? vm_thread_name(lk->owner, nb) : "");
    else {
        lk->owner = NULL;
        uv_cond_signal(&lk->cv);
    }
    uv_mutex_unlock(&w->lock);
    return rc;
}

/* `sleep`: ms milliseconds, INACTIVE; an abort ends it early. */
static int vm_sleep(vm_thread *t, int64_t ms)
{
    vm_world *w = t->w;
    uint64_t deadline = uv_hrtime() + (uint64_t)ms * 1000000u;
    vm_world_lock(t);
    gc_inactive_begin(t->m);
    for (uint64_t now; !vm_aborted(w) && (now = uv_hrtime()) < deadline;)
        uv_cond_timedwait(&w->cv, &w->lock, deadline - now);
    gc_inactive_end(t->m);
    uv_mutex_unlock(&w->lock);
    return vm_aborted(w) ? VM_STOPPED : VM_GO;
}

/* A thread's end (st: how vm_exec ended): reports its error, if any, as
 * the run's (ending normally while holding a program lock is one), then
 * releases the locks it holds. In that order: once a thread failed, the
 * abort flag is set before a waiter can take one of its locks (W5). */
static void vm_thread_end(vm_thread *t, int st)
{
    vm_world *w = t->w;
    const char *held = NULL;
    vm_world_lock(t);
    for (size_t i = 0; i < t->p->nlocks && !held; i++)
        if (w->locks[i].owner == t)
            held = t->p->locks[i];
    uv_mutex_unlock(&w->lock);
    if (held && st == VM_HALTED)
        st = vm_error(t, t->end_in, VM_RUNTIME_ERROR,
                      "%s: the thread ended holding lock '%s' (released now)",
                      vm_op_names[t->end_in->op], held);
    if (st != VM_HALTED && st != VM_STOPPED)
        vm_world_fail(t, st);
    if (!held)
        return;
    vm_world_lock(t);
    for (size_t i = 0; i < t->p->nlocks; i++)
        if (w->locks[i].owner == t) {
            w->locks[i].owner = NULL;
            uv_cond_signal(&w->locks[i].cv);
        }
    uv_mutex_unlock(&w->lock);
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* Operand k: register x[k], or the immediate gc_value in x[k]. */
#define VAL(k) ((in->imm >> (k)) & 1u ? (gc_value)in->x[k] : R[in->x[k]])
#define REG(k) R[in->x[k]]
#define FAIL(...) return vm_error(t, in, VM_RUNTIME_ERROR, __VA_ARGS__)
#define NAME vm_op_names[in->op]
/* v must be an int; binds int64_t var. */
#define NEED_INT(var, v, what)                                                          \
    int64_t var;                                                                        \
    do {                                                                                \
        gc_value v_ = (v);                                                              \
        if (GC_UNLIKELY(!gc_is_int(v_)))                                                \
            FAIL("%s: %s must be an int, got %s", NAME, what, vm_describe(v_, dbuf));   \
        var = gc_int_value(v_);                                                         \
    } while (0)
/* v must be an object of kind k; binds gc_object *var (valid until the next allocation). */
#define NEED_KIND(var, v, k, what)                                                      \
    gc_object *var;                                                                     \
    do {                                                                                \
        gc_value v_ = (v);                                                              \
        if (GC_UNLIKELY(!vm_is_kind(v_, k)))                                            \
            FAIL("%s: %s must be %s, got %s", NAME, what, vm_kind_name[k],              \
                 vm_describe(v_, dbuf));                                                \
        var = gc_ref(v_);                                                               \
    } while (0)
#define CHECK_LENGTH(n)                                                                 \
    if (GC_UNLIKELY((n) < 0 || (uint64_t)(n) > GC_MAX_LENGTH))                          \
        FAIL("%s: length %" PRId64 " out of range (0..%" PRIu64 ")", NAME, (int64_t)(n),  \
             (uint64_t)GC_MAX_LENGTH)
#define CHECK_INDEX(i, len)                                                             \
    if (GC_UNLIKELY((i) < 0 || (uint64_t)(i) >= (len)))                                 \
        FAIL("%s: index %" PRId64 " out of bounds (length %" PRIu64 ")", NAME,            \
             (int64_t)(i), (uint64_t)(len))

static const char *const vm_kind_name[] = {
    [GC_KIND_RECORD] = "a record",
    [GC_KIND_REF_ARRAY] = "an array",
    [GC_KIND_BYTES] = "a string",
    [GC_KIND_VALUE_ARRAY] = "a value array",
};

/* Checks a record field operand (x[fk] index, x[3] type or any) of the
 * record in v; binds the record and whether the field holds references. */
#define NEED_FIELD(obj, isref, v, fk)                                                   \
    NEED_KIND(obj, v, GC_KIND_RECORD, "the object");                                    \
    bool isref;                                                                         \
    do {                                                                                \
        const gc_type *ty_ = gc_object_type(obj);                                       \
        if (in->x[3] != GC_TYPE_INVALID && ty_->id != (uint32_t)in->x[3])               \
            FAIL("%s: expected a %s record, got %s", NAME,                              \
                 gc_type_table[in->x[3]]->name, vm_describe(gc_value_of(obj), dbuf));   \
        if (GC_UNLIKELY((uint64_t)in->x[fk] >= ty_->nfields))                           \
            FAIL("%s: field %" PRId64 " out of bounds (%s has %u fields)", NAME,          \
                 in->x[fk], ty_->name, ty_->nfields);                                   \
        isref = gc_type_field_is_ref(ty_, (uint32_t)in->x[fk]);                         \
    } while (0)

/* Shift counts of shl and shr: 0..62, so every count moves bits within a
 * 63-bit int (docs/vm.md). */
#define VM_SHIFT_MAX 62

/* Arithmetic right shift (floor(x / 2^n)) for 0 <= n <= 63, whatever the
 * compiler does with a signed >> of a negative number. */
static int64_t vm_shr(int64_t x, int64_t n) { return x >= 0 ? x >> n : ~(~x >> n); }

/* The safepoint poll of backward jumps and calls: parks here if a
 * collection waits for this thread, and stops the thread if another one
 * failed (W5). The only per-poll cost of threads: one relaxed load. */
#define POLL()                                                                          \
    do {                                                                                \
        gc_safepoint(m);                                                                \
        if (GC_UNLIKELY(atomic_load_explicit(abort_flag, memory_order_relaxed)))         \
            return VM_STOPPED;                                                          \
    } while (0)
/* A helper's outcome: carry on, or return it (an error, VM_STOPPED). */
#define GO_ON(expr)                                                                     \
    do {                                                                                \
        int rc_ = (expr);                                                               \
        if (rc_ != VM_GO)                                                               \
            return rc_;                                                                 \
    } while (0)

/* Runs thread t from its entry until it ends: a vm_status, or VM_STOPPED. */
static int vm_exec(vm_thread *t)
{
    const vm_program *p = t->p;
    const vm_insn *code = p->code;
    gc_mutator *m = t->m;
    FILE *out = t->out;
    vm_world *w = t->w;
    const atomic_int *abort_flag = &w->abort;
    gc_value *R = t->frames[0].r;
    uint64_t steps = t->max_steps ? t->max_steps : UINT64_MAX;
    uint32_t pc = t->entry_pc;
    char dbuf[64];

    for (;;) {
        const vm_insn *in = &code[pc];
        if (GC_UNLIKELY(steps-- == 0))
            FAIL("step limit of %" PRIu64 " instructions exceeded", t->max_steps);
        switch ((vm_opcode)in->op) {
        case VM_OP_NOP:
            break;
        case VM_OP_LI:
            REG(0) = VAL(1);
            break;
        case VM_OP_MOV:
            REG(0) = REG(1);
            break;

        case VM_OP_ADD:
        case VM_OP_SUB:
        case VM_OP_MUL:
        case VM_OP_DIV:
        case VM_OP_MOD: {
            NEED_INT(x, REG(1), "operand 2");
            NEED_INT(y, VAL(2), "operand 3");
            int64_t r = 0; /* 62-bit operands: + and - cannot overflow int64 */
            switch ((vm_opcode)in->op) {
            case VM_OP_ADD: r = x + y; break;
            case VM_OP_SUB: r = x - y; break;
            case VM_OP_MUL:
                if (__builtin_mul_overflow(x, y, &r))
                    FAIL("%s: integer overflow", NAME);
                break;
            case VM_OP_DIV:
            case VM_OP_MOD:
                if (y == 0)
                    FAIL("%s: division by zero", NAME);
                r = in->op == VM_OP_DIV ? x / y : x % y;
                break;
            default: break;
            }
            if (GC_UNLIKELY(r < GC_INT_MIN || r > GC_INT_MAX))
                FAIL("%s: integer overflow", NAME);
            REG(0) = gc_int(r);
            break;
        }

        /* Bitwise operations on the two's-complement value of 63-bit ints
         * (docs/vm.md): and/or/xor of two ints in range are in range; shl
         * is multiplication by 2^n (overflow is an error), shr is
         * arithmetic (floor division by 2^n); counts outside 0..62 are an
         * error. Written without signed-shift UB or implementation-defined
         * behaviour. */
        case VM_OP_AND:
        case VM_OP_OR:
        case VM_OP_XOR: {
            NEED_INT(x, REG(1), "operand 2");
            NEED_INT(y, VAL(2), "operand 3");
            REG(0) = gc_int(in->op == VM_OP_AND ? x & y : in->op == VM_OP_OR ? x | y : x ^ y);
            break;
        }
        case VM_OP_SHL:
        case VM_OP_SHR: {
            NEED_INT(x, REG(1), "operand 2");
            NEED_INT(n, VAL(2), "the shift count");
            if (GC_UNLIKELY(n < 0 || n > VM_SHIFT_MAX))
                FAIL("%s: shift count %" PRId64 " out of range (0..%d)", NAME, n, VM_SHIFT_MAX);
            int64_t r;
            if (in->op == VM_OP_SHL) {
                /* x * 2^n is in range iff x is within the range shifted right */
                if (GC_UNLIKELY(x > vm_shr(GC_INT_MAX, n) || x < vm_shr(GC_INT_MIN, n)))
                    FAIL("%s: integer overflow", NAME);
                r = (int64_t)((uint64_t)x << n);
            } else {
                r = vm_shr(x, n);
            }
            REG(0) = gc_int(r);
            break;
        }

        case VM_OP_EQ:
            REG(0) = gc_int(REG(1) == VAL(2));
            break;
        case VM_OP_NE:
            REG(0) = gc_int(REG(1) != VAL(2));
            break;
        case VM_OP_LT:
        case VM_OP_LE:
        case VM_OP_GT:
        case VM_OP_GE: {
            NEED_INT(x, REG(1), "operand 2");
            NEED_INT(y, VAL(2), "operand 3");
            bool r = in->op == VM_OP_LT ? x < y : in->op == VM_OP_LE ? x <= y
                   : in->op == VM_OP_GT ? x > y : x >= y;
            REG(0) = gc_int(r);
            break;
        }

        case VM_OP_JMP:
        case VM_OP_JZ:
        case VM_OP_JNZ: {
            int k = in->op == VM_OP_JMP ? 0 : 1;
            if (k == 1 && vm_truthy(REG(0)) == (in->op == VM_OP_JZ))
                break;
            uint32_t target = (uint32_t)in->x[k];
            if (target <= pc)
                POLL();
            pc = target;
            continue;
        }
        case VM_OP_CALL: {
            if (GC_UNLIKELY(t->depth + 1 >= t->max_depth))
                FAIL("call: stack overflow (more than %u frames)", t->max_depth);
            if (t->depth + 1 == t->cap) {
                uint32_t ncap = t->cap * 2 < t->max_depth ? t->cap * 2 : t->max_depth;
                vm_frame *nf = realloc(t->frames, ncap * sizeof *nf);
                if (!nf)
                    FAIL("call: out of memory for %u frames", ncap);
                t->frames = nf;
                t->cap = ncap;
            }
            vm_frame *callee = &t->frames[t->depth + 1];
            memcpy(callee->r, t->frames[t->depth].r, sizeof callee->r);
            callee->ret_pc = pc + 1;
            callee->ret_reg = (uint8_t)in->x[0];
            t->depth++;
            R = callee->r;
            POLL();
            pc = (uint32_t)in->x[1];
            continue;
        }
        case VM_OP_RET: {
            gc_value v = VAL(0);
            if (t->depth == 0) {
                t->result = v; /* a child's result slot is a global root */
                t->end_in = in;
                return VM_HALTED;
            }
            const vm_frame *callee = &t->frames[t->depth--];
            R = t->frames[t->depth].r;
            R[callee->ret_reg] = v;
            pc = callee->ret_pc;
            continue;
        }

        /* ---- allocation: the result goes to a register at once ---- */
        case VM_OP_NEW:
            t->cur = in;
            REG(0) = gc_value_of(gc_alloc_record(m, (uint32_t)in->x[1]));
            break;
        case VM_OP_NEWARR:
        case VM_OP_ALOC:
        case VM_OP_NEWV: {
            NEED_INT(n, VAL(1), "the length");
            CHECK_LENGTH(n);
            t->cur = in;
            REG(0) = gc_value_of(in->op == VM_OP_NEWARR ? gc_alloc_ref_array(m, (uint64_t)n)
                                 : in->op == VM_OP_ALOC ? gc_alloc_bytes(m, (uint64_t)n)
                                                        : gc_alloc_value_array(m, (uint64_t)n));
            break;
        }
        case VM_OP_STR: {
            const vm_string *s = &p->strings[in->x[1]];
            t->cur = in;
            REG(0) = gc_value_of(gc_alloc_string(m, s->bytes, s->len));
            break;
        }
        case VM_OP_ITOS: {
            NEED_INT(v, REG(1), "the operand");
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%" PRId64, v);
            t->cur = in;
            REG(0) = gc_value_of(gc_alloc_string(m, buf, (size_t)n));
            break;
        }
        case VM_OP_CONCAT: {
            NEED_KIND(a, REG(1), GC_KIND_BYTES, "operand 2");
            NEED_KIND(b, REG(2), GC_KIND_BYTES, "operand 3");
            uint64_t la = gc_object_length(a), lb = gc_object_length(b);
            CHECK_LENGTH((int64_t)(la + lb));
            t->cur = in;
            gc_object *s = gc_alloc_bytes(m, la + lb); /* may move a and b: re-read */
            memcpy(gc_bytes(s), gc_bytes(gc_ref(REG(1))), la);
            memcpy(gc_bytes(s) + la, gc_bytes(gc_ref(REG(2))), lb);
            REG(0) = gc_value_of(s);
            break;
        }
        case VM_OP_SUBSTR: {
            NEED_KIND(src, REG(1), GC_KIND_BYTES, "operand 2");
            NEED_INT(start, VAL(2), "the start");
            NEED_INT(n, VAL(3), "the length");
            uint64_t len = gc_object_length(src);
            if (start < 0 || (uint64_t)start > len || n < 0 || (uint64_t)n > len - (uint64_t)start)
                FAIL("substr: range %" PRId64 "+%" PRId64 " out of bounds (length %" PRIu64 ")",
                     start, n, len);
            t->cur = in;
            gc_object *s = gc_alloc_bytes(m, (uint64_t)n); /* may move src: re-read */
            memcpy(gc_bytes(s), gc_bytes(gc_ref(REG(1))) + start, (size_t)n);
            REG(0) = gc_value_of(s);
            break;
        }
        case VM_OP_GC:
            t->cur = in;
            gc_collect(m, GC_COLLECT_MAJOR);
            break;

        /* ---- fields and elements ---- */
        case VM_OP_GETF: {
            NEED_FIELD(o, isref, REG(1), 2);
            if (isref) {
                REG(0) = gc_field(o, (uint32_t)in->x[2]);
            } else {
                int64_t w = (int64_t)gc_words(o)[in->x[2]];
                if (w < GC_INT_MIN || w > GC_INT_MAX)
                    FAIL("getf: int field %" PRId64 " holds a raw word outside the int range",
                         in->x[2]);
                REG(0) = gc_int(w);
            }
            break;
        }
        case VM_OP_SETF: {
            NEED_FIELD(o, isref, REG(0), 1);
            gc_value v = VAL(2);
            if (isref) {
                gc_set_field(m, o, (uint32_t)in->x[1], v);
            } else {
                NEED_INT(w, v, "the value for an int field");
                gc_set_word(o, (uint64_t)in->x[1], (uint64_t)w);
            }
            break;
        }
        case VM_OP_GETA: {
            NEED_KIND(a, REG(1), GC_KIND_REF_ARRAY, "operand 2");
            NEED_INT(i, VAL(2), "the index");
            CHECK_INDEX(i, gc_object_length(a));
            REG(0) = gc_elem(a, (uint64_t)i);
            break;
        }
        case VM_OP_SETA: {
            NEED_KIND(a, REG(0), GC_KIND_REF_ARRAY, "operand 1");
            NEED_INT(i, VAL(1), "the index");
            CHECK_INDEX(i, gc_object_length(a));
            gc_set_elem(m, a, (uint64_t)i, VAL(2));
            break;
        }
        case VM_OP_GETB: {
            NEED_KIND(s, REG(1), GC_KIND_BYTES, "operand 2");
            NEED_INT(i, VAL(2), "the index");
            CHECK_INDEX(i, gc_object_length(s));
            REG(0) = gc_int(gc_bytes(s)[i]);
            break;
        }
        case VM_OP_SETB: {
            NEED_KIND(s, REG(0), GC_KIND_BYTES, "operand 1");
            NEED_INT(i, VAL(1), "the index");
            CHECK_INDEX(i, gc_object_length(s));
            NEED_INT(b, VAL(2), "the byte");
            if (b < 0 || b > 255)
                FAIL("setb: byte %" PRId64 " out of range (0..255)", b);
            gc_bytes(s)[i] = (uint8_t)b;
            break;
        }
        /* Value arrays hold raw words: an int is stored as its two's-complement
         * value (as int fields are), with no barrier; a word read back must be
         * an int again. */
        case VM_OP_GETV: {
            NEED_KIND(a, REG(1), GC_KIND_VALUE_ARRAY, "operand 2");
            NEED_INT(i, VAL(2), "the index");
            CHECK_INDEX(i, gc_object_length(a));
            int64_t w = (int64_t)gc_words(a)[i];
            if (GC_UNLIKELY(w < GC_INT_MIN || w > GC_INT_MAX))
                FAIL("getv: element %" PRId64 " holds a raw word outside the int range", i);
            REG(0) = gc_int(w);
            break;
        }
        case VM_OP_SETV: {
            NEED_KIND(a, REG(0), GC_KIND_VALUE_ARRAY, "operand 1");
            NEED_INT(i, VAL(1), "the index");
            CHECK_INDEX(i, gc_object_length(a));
            NEED_INT(w, VAL(2), "the value");
            gc_set_word(a, (uint64_t)i, (uint64_t)w);
            break;
        }
        case VM_OP_LEN: {
            gc_value v = REG(1);
            if (!vm_is_kind(v, GC_KIND_REF_ARRAY) && !vm_is_kind(v, GC_KIND_BYTES) &&
                !vm_is_kind(v, GC_KIND_VALUE_ARRAY))
                FAIL("len: operand 2 must be an array, a value array or a string, got %s",
                     vm_describe(v, dbuf));
            REG(0) = gc_int((int64_t)gc_object_length(gc_ref(v)));
            break;
        }

        /* ---- output and checks ---- */
        case VM_OP_PRINT:
        case VM_OP_PRINTLN:
            if (out) {
                uv_mutex_lock(&w->out_lock); /* W2: no safepoint inside */
                if (in->str & 1u)
                    fwrite(p->strings[in->x[0]].bytes, 1, p->strings[in->x[0]].len, out);
                else
                    vm_print(out, VAL(0));
                if (in->op == VM_OP_PRINTLN)
                    fputc('\n', out);
                uv_mutex_unlock(&w->out_lock);
            }
            break;
        case VM_OP_HALT:
            t->end_in = in;
            return VM_HALTED;
        case VM_OP_ASSERT:
            if (!vm_truthy(REG(0)))
                return vm_error(t, in, VM_CHECK_FAILED, "assertion failed: r%d is %s",
                                (int)in->x[0], REG(0) == GC_NIL ? "nil" : "0");
            break;
        case VM_OP_FAIL: {
            /* the literal's bytes, escaped (core/utf8.h): the message stays
             * valid UTF-8 on one line whatever the program wrote */
            const vm_string *s = &p->strings[in->x[0]];
            char msg[200 * 4 + 4];
            return vm_error(t, in, VM_CHECK_FAILED, "fail: %s",
                            gc_utf8_escape(msg, sizeof msg, s->bytes, s->len, 200));
        }

        /* ---- shared state ---- */
        case VM_OP_SETSHARED:
            vm_shared_set(t->shared, (size_t)in->x[0], VAL(1));
            break;
        case VM_OP_GETSHARED:
            if (!vm_shared_get(t->shared, (size_t)in->x[1], &REG(0)))
                FAIL("getshared: shared variable '%s' is not set", p->shared[in->x[1]]);
            break;
        case VM_OP_ATOMIC_ADD: {
            NEED_INT(d, VAL(2), "the addend");
            vm_cell *c = vm_shared_cell(t->shared, (size_t)in->x[1]);
            if (!c)
                FAIL("atomic-add: shared variable '%s' is not set", p->shared[in->x[1]]);
            /* A CAS loop, so that an overflow leaves the variable unchanged. */
            gc_value old = atomic_load_explicit(c, memory_order_seq_cst);
            for (;;) {
                if (GC_UNLIKELY(!gc_is_int(old)))
                    FAIL("atomic-add: shared variable '%s' must hold an int, got %s",
                         p->shared[in->x[1]], vm_describe(old, dbuf));
                int64_t nv = gc_int_value(old) + d; /* 62-bit operands: no int64 overflow */
                if (GC_UNLIKELY(nv < GC_INT_MIN || nv > GC_INT_MAX))
                    FAIL("atomic-add: integer overflow (shared variable '%s' is unchanged)",
                         p->shared[in->x[1]]);
                if (atomic_compare_exchange_weak_explicit(c, &old, gc_int(nv), memory_order_seq_cst,
                                                          memory_order_seq_cst))
                    break;
            }
            REG(0) = old;
            break;
        }
        case VM_OP_CAS: {
            vm_cell *c = vm_shared_cell(t->shared, (size_t)in->x[1]);
            if (!c)
                FAIL("cas: shared variable '%s' is not set", p->shared[in->x[1]]);
            gc_value expected = VAL(2);
            bool ok = atomic_compare_exchange_strong_explicit(c, &expected, VAL(3),
                                                              memory_order_seq_cst,
                                                              memory_order_seq_cst);
            REG(0) = gc_int(ok);
            break;
        }
        case VM_OP_FENCE:
            vm_fence();
            break;

        /* ---- threads (blocking ones are INACTIVE while they block) ---- */
        case VM_OP_THREAD: {
            int64_t handle = 0;
            GO_ON(vm_spawn(t, in, R, &handle));
            REG(0) = gc_int(handle);
            break;
        }
        case VM_OP_JOIN: {
            NEED_INT(h, REG(1), "the thread handle");
            GO_ON(vm_join(t, in, h, &REG(0)));
            break;
        }
        case VM_OP_SLEEP: {
            NEED_INT(ms, VAL(0), "the duration");
            if (GC_UNLIKELY(ms < 0 || ms > VM_MAX_SLEEP_MS))
                FAIL("sleep: duration %" PRId64 " ms out of range (0..%d)", ms, VM_MAX_SLEEP_MS);
            GO_ON(vm_sleep(t, ms));
            break;
        }
        case VM_OP_LOCK:
            GO_ON(vm_lock_op(t, in));
            break;
        case VM_OP_UNLOCK:
            GO_ON(vm_unlock_op(t, in));
            break;

        case VM_OP_COUNT:
        default:
            FAIL("bad opcode %u", in->op);
        }
        pc++;
    }
}

#undef VAL
#undef REG
#undef FAIL
#undef NAME
#undef POLL
#undef GO_ON

/* ---- running --------------------------------------------------------------------------- */

/* The VM thread running on this OS thread (the exhaustion handler is per
 * heap, so it finds the thread to unwind here). */
static _Thread_local vm_thread *vm_current;

static void vm_on_exhausted(gc_heap *h, size_t request, void *data)
{
    vm_world *w = data;
    vm_thread *t = vm_current;
    if (!t || t->w != w) { /* not one of this run's threads: not ours to trap */
        w->saved_fn(h, request, w->saved_data);
        abort(); /* a handler must not return */
    }
    t->exhausted_request = request;
    longjmp(t->trap, 1);
}

/* vm_exec under the exhaustion trap; no locals live across setjmp. */
static int vm_exec_trapped(vm_thread *t)
{
    if (setjmp(t->trap) != 0)
        return vm_error(t, t->cur, VM_EXHAUSTED,
                        "%s: heap exhausted (could not allocate %zu bytes "
                        "within the %zu-byte limit)",
                        vm_op_names[t->cur->op], t->exhausted_request, gc_heap_limit(t->w->heap));
    return vm_exec(t);
}

/* Runs t (attached, its scanner registered) to its end. */
static void vm_thread_run(vm_thread *t)
{
    vm_current = t;
    int st = t->w->trap_exhaustion ? vm_exec_trapped(t) : vm_exec(t);
    vm_current = NULL;
    vm_thread_end(t, st);
}

/* A child thread: attaches its own mutator, takes its entry frame over
 * from the handoff roots, runs, and detaches. */
static void vm_child_main(void *arg)
{
    vm_thread *t = arg;
    vm_world *w = t->w;
    gc_mutator *m = gc_mutator_attach(w->heap); /* a safepoint: the handoff is rooted */
    if (!m) {
        vm_handoff_root(t, false);
        vm_world_fail(t, vm_error(t, t->spawn_in, VM_RUNTIME_ERROR,
                                  "thread: cannot attach a mutator to the heap for a new thread"));
    } else {
        t->m = m;
        /* No safepoint between these two: the frame is rooted throughout. */
        vm_handoff_root(t, false);
        gc_mutator_add_root_scanner(m, vm_scan_frames, t);
        if (vm_aborted(w))
            vm_thread_end(t, VM_STOPPED);
        else
            vm_thread_run(t);
        /* Detaching drops the mutator with its scanner, before the frames
         * are freed below. */
        gc_mutator_detach(m);
        t->m = NULL;
    }
    free(t->frames);
    t->frames = NULL;
    uv_mutex_lock(&w->lock); /* no mutator any more: a plain lock */
    t->finished = true;
    uv_cond_broadcast(&w->cv);
    uv_mutex_unlock(&w->lock);
}

/* After the main thread's end: joins (INACTIVE) every thread started in the
 * run that no thread has joined, those started meanwhile included. A
 * thread another thread joins is waited for through that joiner: a joiner
 * ends only after its join returned, and it is joined here itself. */
static void vm_join_all(vm_thread *main)
{
    vm_world *w = main->w;
    vm_world_lock(main);
    for (size_t i = 1; i < w->nthreads; i++) {
        vm_thread *c = w->threads[i];
        while (!c->started && !c->start_failed)
            gc_mutator_cond_wait(main->m, &w->cv, &w->lock);
        if (c->start_failed || c->joiner)
            continue;
        c->joiner = main;
        uv_mutex_unlock(&w->lock);
        gc_mutator_join(main->m, &c->uvt);
        gc_heap_remove_root(w->heap, &c->result);
        vm_world_lock(main);
        w->live--;
    }
    GC_ASSERT(w->live == 0);
    uv_mutex_unlock(&w->lock);
}

static vm_world *vm_world_create(const vm_program *p, gc_heap *h, FILE *out, const vm_options *opt)
{
    vm_world *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->p = p;
    w->heap = h;
    w->out = out;
    w->max_steps = opt->max_steps;
    w->max_depth = opt->max_depth ? opt->max_depth : VM_DEFAULT_MAX_DEPTH;
    w->trap_exhaustion = opt->trap_exhaustion;
    w->shared = vm_shared_create(h, p->nshared);
    atomic_init(&w->abort, 0);
    uv_mutex_init(&w->out_lock);
    uv_mutex_init(&w->lock);
    uv_cond_init(&w->cv);
    w->locks = calloc(p->nlocks ? p->nlocks : 1, sizeof *w->locks);
    w->threads_cap = 4;
    w->threads = calloc(w->threads_cap, sizeof *w->threads);
    if (!w->locks || !w->threads)
        abort();
    for (size_t i = 0; i < p->nlocks; i++)
        uv_cond_init(&w->locks[i].cv);
    return w;
}

/* After every thread has ended. */
static void vm_world_destroy(vm_world *w)
{
    for (size_t i = 0; i < w->nthreads; i++) {
        free(w->threads[i]->frames);
        free(w->threads[i]);
    }
    free(w->threads);
    for (size_t i = 0; i < w->p->nlocks; i++) {
        GC_ASSERT(w->locks[i].owner == NULL);
        uv_cond_destroy(&w->locks[i].cv);
    }
    free(w->locks);
    vm_shared_destroy(w->shared);
    uv_cond_destroy(&w->cv);
    uv_mutex_destroy(&w->lock);
    uv_mutex_destroy(&w->out_lock);
    free(w);
}

/* Sets the program parameters (vm_options.defines) before the run; false
 * (and the message in t->err) for a value outside the int range. */
static bool vm_set_defines(vm_thread *t, const vm_options *opt)
{
    const vm_program *p = t->p;
    for (size_t d = 0; d < opt->ndefines; d++) {
        const vm_define *def = &opt->defines[d];
        for (size_t i = 0; i < p->nshared; i++) {
            if (strcmp(p->shared[i], def->name) != 0)
                continue;
            if (def->value < GC_INT_MIN || def->value > GC_INT_MAX) {
                snprintf(t->err, sizeof t->err,
                         "%s: parameter %s = %" PRId64 " is outside the int range", p->filename,
                         p->shared[i], def->value);
                return false;
            }
            vm_shared_set(t->shared, i, gc_int(def->value));
        }
    }
    return true;
}

vm_status vm_run(const vm_program *p, gc_mutator *m, FILE *out, const vm_options *opt, char *err,
                 size_t errlen)
{
    static const vm_options defaults = {0};
    if (!opt)
        opt = &defaults;
    if (err && errlen)
        err[0] = '\0';
    gc_heap *h = m->heap;
    vm_world *w = vm_world_create(p, h, out, opt);
    vm_thread *t = vm_thread_new(w, 0);
    t->m = m;
    w->threads[w->nthreads++] = t;
    t->started = true;

    gc_heap_get_exhausted_handler(h, &w->saved_fn, &w->saved_data);
    if (w->trap_exhaustion)
        gc_heap_set_exhausted_handler(h, vm_on_exhausted, w);
    gc_mutator_add_root_scanner(m, vm_scan_frames, t);
    if (vm_set_defines(t, opt))
        vm_thread_run(t);
    else
        vm_world_fail(t, VM_RUNTIME_ERROR);
    gc_mutator_remove_root_scanner(m, vm_scan_frames, t);
    vm_join_all(t);
    if (w->trap_exhaustion)
        gc_heap_set_exhausted_handler(h, w->saved_fn, w->saved_data);

    vm_status st = w->failed ? (vm_status)w->fail_status : VM_HALTED;
    if (w->failed && err && errlen)
        snprintf(err, errlen, "%s", w->fail_msg);
    vm_world_destroy(w);
    if (out)
        fflush(out);
    return st;
}
