/* core/vm/interp.c — the interpreter: a register machine over gc_values.
 *
 * Rooting (core/heap.h's discipline, for a machine that may run under a
 * moving collector that collects at every allocation):
 *  - Frames live in system memory (vm_thread.frames); the root scanner
 *    vm_scan_frames visits every register of frames 0..depth, so a moving
 *    collector rewrites registers in place.
 *  - The loop keeps no gc_object* across anything that can collect (an
 *    allocation, `gc`, a safepoint): operands are re-read from registers
 *    after the allocation (concat, substr), and results are written to a
 *    register right after it.
 *  - A popped frame is no longer scanned: `ret` copies its value into the
 *    caller's register before anything can collect.
 *  - Shared variables are cells in system memory, each registered with
 *    gc_heap_add_root when first set and removed when the run ends.
 *
 * Safety: every operand's kind (int / nil / record / array / value array /
 * string) and every index is checked before memory is touched; a failed
 * check returns VM_RUNTIME_ERROR with "file:line: message".
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../collector.h"
#include "../utf8.h"
#include "vm_impl.h"

typedef struct vm_frame {
    gc_value r[VM_NREGS];
    uint32_t ret_pc;  /* where the caller resumes */
    uint8_t ret_reg;  /* caller's register for the result */
} vm_frame;

/* Named shared variables of one run (will be shared by the run's threads). */
typedef struct vm_shared {
    uv_mutex_t lock;   /* guards creation of and access to the cells */
    gc_heap *heap;
    gc_value **cells;  /* by name index; NULL until set; each a global root */
    size_t n;
} vm_shared;

typedef struct vm_thread {
    const vm_program *p;
    gc_mutator *m;
    FILE *out;
    vm_frame *frames;
    uint32_t depth;        /* index of the current frame */
    uint32_t cap;          /* frames allocated */
    uint32_t max_depth;    /* frames allowed */
    uint64_t max_steps;
    vm_shared *shared;
    const vm_insn *cur;    /* the allocating instruction (exhaustion messages) */
    size_t exhausted_request;
    char *err;
    size_t errlen;
    jmp_buf trap;          /* heap exhaustion, with trap_exhaustion */
} vm_thread;

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

static vm_status vm_error(vm_thread *t, const vm_insn *in, vm_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static vm_status vm_error(vm_thread *t, const vm_insn *in, vm_status st, const char *fmt, ...)
{
    if (!t->err || t->errlen == 0)
        return st;
    int n = snprintf(t->err, t->errlen, "%s:%u: ", t->p->filename, in->line);
    if (n >= 0 && (size_t)n < t->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err + n, t->errlen - (size_t)n, fmt, ap);
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
    s->heap = h;
    s->n = n;
    uv_mutex_init(&s->lock);
    return s;
}

static void vm_shared_destroy(vm_shared *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->cells[i]) {
            gc_heap_remove_root(s->heap, s->cells[i]);
            free(s->cells[i]);
        }
    uv_mutex_destroy(&s->lock);
    free(s->cells);
    free(s);
}

static void vm_shared_set(vm_shared *s, size_t i, gc_value v)
{
    uv_mutex_lock(&s->lock);
    if (!s->cells[i]) {
        gc_value *cell = malloc(sizeof *cell);
        if (!cell)
            abort();
        *cell = v;
        gc_heap_add_root(s->heap, cell);
        s->cells[i] = cell;
    } else {
        *s->cells[i] = v;
    }
    uv_mutex_unlock(&s->lock);
}

static bool vm_shared_get(vm_shared *s, size_t i, gc_value *out)
{
    uv_mutex_lock(&s->lock);
    bool set = s->cells[i] != NULL;
    if (set)
        *out = *s->cells[i];
    uv_mutex_unlock(&s->lock);
    return set;
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

static vm_status vm_exec(vm_thread *t)
{
    const vm_program *p = t->p;
    const vm_insn *code = p->code;
    gc_mutator *m = t->m;
    FILE *out = t->out;
    gc_value *R = t->frames[0].r;
    uint64_t steps = t->max_steps ? t->max_steps : UINT64_MAX;
    uint32_t pc = p->entry;
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
                gc_safepoint(m);
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
            gc_safepoint(m);
            pc = (uint32_t)in->x[1];
            continue;
        }
        case VM_OP_RET: {
            gc_value v = VAL(0);
            if (t->depth == 0)
                return VM_HALTED;
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
                if (in->str & 1u)
                    fwrite(p->strings[in->x[0]].bytes, 1, p->strings[in->x[0]].len, out);
                else
                    vm_print(out, VAL(0));
                if (in->op == VM_OP_PRINTLN)
                    fputc('\n', out);
            }
            break;
        case VM_OP_HALT:
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
        case VM_OP_THREAD:
        case VM_OP_JOIN:
        case VM_OP_SLEEP:
        case VM_OP_LOCK:
        case VM_OP_UNLOCK:
            FAIL("%s: not supported yet (reserved for multi-threaded programs)", NAME);

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

/* ---- running --------------------------------------------------------------------------- */

static void vm_on_exhausted(gc_heap *h, size_t request, void *data)
{
    (void)h;
    vm_thread *t = data;
    t->exhausted_request = request;
    longjmp(t->trap, 1);
}

/* vm_exec under the exhaustion trap; no locals live across setjmp. */
static vm_status vm_exec_trapped(vm_thread *t)
{
    if (setjmp(t->trap) != 0)
        return vm_error(t, t->cur, VM_EXHAUSTED,
                        "%s: heap exhausted (could not allocate %zu bytes "
                        "within the %zu-byte limit)",
                        vm_op_names[t->cur->op], t->exhausted_request, gc_heap_limit(t->m->heap));
    return vm_exec(t);
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
    vm_thread *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->p = p;
    t->m = m;
    t->out = out;
    t->max_depth = opt->max_depth ? opt->max_depth : VM_DEFAULT_MAX_DEPTH;
    t->cap = t->max_depth < 16 ? t->max_depth : 16;
    t->frames = calloc(t->cap, sizeof *t->frames); /* all registers start nil */
    if (!t->frames)
        abort();
    t->max_steps = opt->max_steps;
    t->shared = vm_shared_create(h, p->nshared);
    t->err = err;
    t->errlen = errlen;
    t->cur = &p->code[p->entry];

    gc_exhausted_fn saved_fn;
    void *saved_data;
    gc_heap_get_exhausted_handler(h, &saved_fn, &saved_data);
    gc_mutator_add_root_scanner(m, vm_scan_frames, t);
    vm_status st;
    if (opt->trap_exhaustion) {
        gc_heap_set_exhausted_handler(h, vm_on_exhausted, t);
        st = vm_exec_trapped(t);
        gc_heap_set_exhausted_handler(h, saved_fn, saved_data);
    } else {
        st = vm_exec(t);
    }
    gc_mutator_remove_root_scanner(m, vm_scan_frames, t);
    vm_shared_destroy(t->shared);
    if (out)
        fflush(out);
    free(t->frames);
    free(t);
    return st;
}
