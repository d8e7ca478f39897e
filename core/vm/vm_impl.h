/* core/vm/vm_impl.h — the instruction encoding shared by the assembler
 * (core/vm/asm.c) and the interpreter (core/vm/interp.c). Not a public API.
 *
 * Operand kinds, one letter each in an opcode's signature:
 *   R  register r0..r31                       x[k] = register number
 *   V  register, or an immediate (int / nil)  immediate: bit k of `imm` set,
 *                                              x[k] = the tagged gc_value
 *   I  immediate only (int / nil)             as V
 *   P  register, immediate or string literal  string: bit k of `str` set,
 *                                              x[k] = literal index
 *   S  string literal                         x[k] = literal index
 *   L  label                                  x[k] = target instruction index
 *   T  record type name                       x[k] = type id
 *   F  field: Type.name or an index           x[k] = field index, x[3] = the
 *                                              type id (GC_TYPE_INVALID for a
 *                                              bare index: any record)
 *   N  shared-variable name                   x[k] = index in p->shared
 *   K  program lock name                      x[k] = index in p->locks (lock
 *                                              names are a namespace of their
 *                                              own, apart from shared variables)
 */
#ifndef GC_VM_IMPL_H
#define GC_VM_IMPL_H

#include "vm.h"

/* X(enum suffix, mnemonic, signature). Order is the opcode numbering (not
 * persisted anywhere: programs are text). The multi-threading opcodes come
 * last (VM_OP_THREAD onward); the random test in tests/test_vm.c never
 * generates VM_OP_THREAD (a program that starts threads is not
 * deterministic, and the test compares two runs). A mnemonic is a name,
 * possibly with inner '-' (atomic-add): see the assembler's scan_mnemonic. */
#define VM_OPCODES(X)              \
    X(NOP, "nop", "")              \
    X(LI, "li", "RI")              \
    X(MOV, "mov", "RR")            \
    X(ADD, "add", "RRV")           \
    X(SUB, "sub", "RRV")           \
    X(MUL, "mul", "RRV")           \
    X(DIV, "div", "RRV")           \
    X(MOD, "mod", "RRV")           \
    X(AND, "and", "RRV")           \
    X(OR, "or", "RRV")             \
    X(XOR, "xor", "RRV")           \
    X(SHL, "shl", "RRV")           \
    X(SHR, "shr", "RRV")           \
    X(EQ, "eq", "RRV")             \
    X(NE, "ne", "RRV")             \
    X(LT, "lt", "RRV")             \
    X(LE, "le", "RRV")             \
    X(GT, "gt", "RRV")             \
    X(GE, "ge", "RRV")             \
    X(JMP, "jmp", "L")             \
    X(JZ, "jz", "RL")              \
    X(JNZ, "jnz", "RL")            \
    X(CALL, "call", "RL")          \
    X(RET, "ret", "V")             \
    X(NEW, "new", "RT")            \
    X(NEWARR, "newarr", "RV")      \
    X(STR, "str", "RS")            \
    X(ALOC, "aloc", "RV")          \
    X(GETF, "getf", "RRF")         \
    X(SETF, "setf", "RFV")         \
    X(GETA, "geta", "RRV")         \
    X(SETA, "seta", "RVV")         \
    X(GETB, "getb", "RRV")         \
    X(SETB, "setb", "RVV")         \
    X(NEWV, "newv", "RV")          \
    X(GETV, "getv", "RRV")         \
    X(SETV, "setv", "RVV")         \
    X(LEN, "len", "RR")            \
    X(CONCAT, "concat", "RRR")     \
    X(SUBSTR, "substr", "RRVV")    \
    X(ITOS, "itos", "RR")          \
    X(PRINT, "print", "P")         \
    X(PRINTLN, "println", "P")     \
    X(GC, "gc", "")                \
    X(HALT, "halt", "")            \
    X(ASSERT, "assert", "R")       \
    X(FAIL, "fail", "S")           \
    X(SETSHARED, "setshared", "NV") \
    X(GETSHARED, "getshared", "RN") \
    X(THREAD, "thread", "RL")      \
    X(JOIN, "join", "RR")          \
    X(SLEEP, "sleep", "V")         \
    X(LOCK, "lock", "K")           \
    X(UNLOCK, "unlock", "K")       \
    X(ATOMIC_ADD, "atomic-add", "RNV") \
    X(CAS, "cas", "RNVV")          \
    X(FENCE, "fence", "")

typedef enum vm_opcode {
#define VM_OP_ENUM(e, name, sig) VM_OP_##e,
    VM_OPCODES(VM_OP_ENUM)
#undef VM_OP_ENUM
    VM_OP_COUNT
} vm_opcode;

#define VM_MAX_OPERANDS 4

typedef struct vm_insn {
    uint8_t op;       /* vm_opcode */
    uint8_t imm;      /* bit k: x[k] is an immediate gc_value */
    uint8_t str;      /* bit k: x[k] is a string literal index */
    uint32_t line;    /* source line, for runtime errors */
    int64_t x[VM_MAX_OPERANDS];
} vm_insn;

typedef struct vm_string {
    char *bytes;
    size_t len;
} vm_string;

struct vm_program {
    char *filename;      /* as shown in messages (escaped, core/utf8.h) */
    vm_insn *code;       /* ends with an implicit halt */
    size_t ncode;
    uint32_t entry;
    vm_string *strings;  /* literal pool */
    size_t nstrings;
    char **shared;       /* shared-variable names, by index */
    size_t nshared;
    char **locks;        /* program lock names, by index (their own namespace) */
    size_t nlocks;
    uint64_t asm_probes; /* symbol-table slots examined while assembling (tests
                          * check that assembly is linear in the program) */
};

/* Mnemonics by opcode (asm.c). */
extern const char *const vm_op_names[VM_OP_COUNT];

#endif /* GC_VM_IMPL_H */
