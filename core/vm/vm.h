/* core/vm/vm.h — the bytecode VM: a register machine and its text assembler.
 * See docs/vm.md for the instruction set and the assembly syntax.
 *
 *   vm_program *p = vm_assemble(src, len, "x.gca", err, sizeof err);
 *   int st = vm_run(p, m, stdout, NULL, err, sizeof err);
 *   vm_program_free(p);
 *
 * Invariants:
 *  - A vm_program is immutable after assembly and holds no heap references:
 *    it may be run any number of times, on any heap (its record types are
 *    registered process-wide by name, see gc_type_register).
 *  - While vm_run executes, every register of every live frame is a root
 *    (a root scanner on the mutator of the thread that owns the frame) and
 *    every shared variable is a global root; both are unregistered before
 *    vm_run returns.
 *  - A program may start threads (`thread`): each attaches its own mutator
 *    to m's heap from its own thread and detaches when it ends; vm_run
 *    returns only after every thread it started has ended and been joined,
 *    and reports the first error of any thread (docs/vm.md, "Threads").
 *  - A program cannot reach memory outside its objects: every operand is
 *    type- and bounds-checked, and a failed check is a runtime error naming
 *    the instruction's source line ("file:line: message").
 */
#ifndef GC_VM_H
#define GC_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../heap.h"

typedef struct vm_program vm_program;

#define VM_NREGS 32
#define VM_DEFAULT_MAX_DEPTH 1024

/* Assembles src[0..len). Returns NULL on error with "file:line:col: message"
 * in err (if given). `filename` names the source in messages. */
vm_program *vm_assemble(const char *src, size_t len, const char *filename, char *err,
                        size_t errlen);
/* Reads and assembles a file; an unreadable file is an error "path: reason". */
vm_program *vm_assemble_file(const char *path, char *err, size_t errlen);
void vm_program_free(vm_program *p);

/* Number of instructions (including the implicit final halt). */
size_t vm_program_length(const vm_program *p);

/* A program parameter: the shared variable `name` holds the int `value`
 * when the run starts (before any instruction). gcbench --program sets
 * `threads` to --threads. A name the program never uses is ignored. */
typedef struct vm_define {
    const char *name;
    int64_t value;        /* GC_INT_MIN..GC_INT_MAX, else vm_run fails */
} vm_define;

typedef struct vm_options {
    uint64_t max_steps;   /* instructions executed, per thread: one more is a runtime
                           * error at its line ("file:line: step limit of N ...");
                           * 0 = no limit */
    uint32_t max_depth;   /* call depth bound (frames); 0 = VM_DEFAULT_MAX_DEPTH */
    /* Heap exhaustion becomes VM_EXHAUSTED instead of the heap's handler
     * (which exits the process by default). For tests and fuzzing. */
    bool trap_exhaustion;
    const vm_define *defines; /* program parameters, set before the run */
    size_t ndefines;
} vm_options;

/* What vm_run returns. */
typedef enum vm_status {
    VM_HALTED = 0,     /* halt, ret from the entry frame, or end of code */
    VM_CHECK_FAILED,   /* an assert or fail instruction: err says where and why */
    VM_RUNTIME_ERROR,  /* a type, bounds, arithmetic, depth or step-limit error */
    VM_EXHAUSTED       /* heap exhausted (only with trap_exhaustion) */
} vm_status;

/* Runs p on mutator m (the main thread), printing to out, which the
 * program's threads share (each print instruction's output is written
 * whole). Returns a vm_status; on anything but VM_HALTED, err holds
 * "file:line: message" ("file:line: thread N: message" for an error in a
 * thread the program started). opt may be NULL. With trap_exhaustion, the
 * heap's exhaustion handler is replaced during the run: one such vm_run
 * per heap at a time. */
vm_status vm_run(const vm_program *p, gc_mutator *m, FILE *out, const vm_options *opt,
                 char *err, size_t errlen);

#endif /* GC_VM_H */
