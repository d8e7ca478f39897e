/* core/vm/asm.c — the text assembler: one instruction per line, labels,
 * `.type` and `.entry` directives, `;` comments (syntax in docs/vm.md).
 *
 * One pass over the lines builds the code; references to labels, types and
 * named fields are recorded as fixups and resolved at the end, so they may
 * precede their definitions. The first error stops assembly and is reported
 * as "file:line:col: message" (1-based line and byte column).
 *
 * Invariants of a returned program (the interpreter relies on them):
 *  - every register operand is < VM_NREGS, every label operand a valid
 *    instruction index, every string operand a valid literal index, every
 *    shared-name operand a valid index, every lock-name operand a valid
 *    index into p->locks, every type operand a registered
 *    record type, every field index < GC_MAX_FIELDS;
 *  - the code ends with a halt, so falling off the end halts.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../utf8.h"
#include "../readfile.h"
#include "vm_impl.h"

const char *const vm_op_names[VM_OP_COUNT] = {
#define VM_OP_NAME(e, name, sig) name,
    VM_OPCODES(VM_OP_NAME)
#undef VM_OP_NAME
};

static const char *const vm_op_sigs[VM_OP_COUNT] = {
#define VM_OP_SIG(e, name, sig) sig,
    VM_OPCODES(VM_OP_SIG)
#undef VM_OP_SIG
};

#define ASM_NAME_SHOWN 40 /* most characters of input text quoted in a message */
/* A buffer for one quotation: every shown character may take 4 bytes
 * (a UTF-8 sequence, or an escaped byte "\xNN"), then "..." and a NUL. */
#define ASM_QUOTE_SIZE (ASM_NAME_SHOWN * 4 + 8)

/* s[0..n) for quoting in a message: at most ASM_NAME_SHOWN characters,
 * invalid UTF-8 and control characters as \xNN (core/utf8.h), so every
 * message is valid UTF-8 whatever bytes the input holds. Every message
 * that quotes input text quotes it through here. */
static const char *asm_quote(char q[ASM_QUOTE_SIZE], const char *s, size_t n)
{
    return gc_utf8_escape(q, ASM_QUOTE_SIZE, s, n, ASM_NAME_SHOWN);
}

/* ---- growable arrays ----------------------------------------------------------- */

static void *asm_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(p, ncap * elem);
    if (!np) {
        fprintf(stderr, "gcbench: out of memory in the assembler\n");
        abort();
    }
    *cap = ncap;
    return np;
}

static char *asm_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) {
        fprintf(stderr, "gcbench: out of memory in the assembler\n");
        abort();
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- symbol tables --------------------------------------------------------------- */

/* An open-addressing hash table (linear probing, at most half full) from a
 * name, within an owner, to an index: labels, types and shared variables
 * (owner 0) and the fields of each type (owner: the type's index + 1). In
 * system memory. Every lookup costs O(1) expected probes, so assembly is
 * linear in the size of the program; `probes` counts the slots examined
 * (vm_program.asm_probes, for the tests). Names are not owned: each points
 * into an array that owns it and outlives the table. */
typedef struct asm_sym {
    const char *name;  /* NULL: empty slot */
    size_t len;
    size_t owner;
    size_t index;
} asm_sym;

typedef struct asm_symtab {
    asm_sym *slots;
    size_t cap;        /* 0 or a power of two */
    size_t count;
} asm_symtab;

static uint64_t sym_hash(const char *s, size_t n, size_t owner)
{
    uint64_t h = 0xcbf29ce484222325u ^ ((uint64_t)owner * 0x9e3779b97f4a7c15u); /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h ^ (h >> 29);
}

/* The slot of (owner, s[0..n)): the entry, or the empty slot where it goes. */
static asm_sym *sym_slot(const asm_symtab *t, const char *s, size_t n, size_t owner,
                         uint64_t *probes)
{
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)sym_hash(s, n, owner) & mask;; i = (i + 1) & mask) {
        asm_sym *e = &t->slots[i];
        ++*probes;
        if (!e->name || (e->len == n && e->owner == owner && memcmp(e->name, s, n) == 0))
            return e;
    }
}

/* The index of (owner, s[0..n)), or SIZE_MAX. */
static size_t sym_find(const asm_symtab *t, const char *s, size_t n, size_t owner,
                       uint64_t *probes)
{
    if (t->count == 0)
        return SIZE_MAX;
    const asm_sym *e = sym_slot(t, s, n, owner, probes);
    return e->name ? e->index : SIZE_MAX;
}

/* Adds (owner, name) -> index; the name must not be in the table. */
static void sym_add(asm_symtab *t, const char *name, size_t owner, size_t index, uint64_t *probes)
{
    if (2 * (t->count + 1) > t->cap) {
        asm_symtab nt = {.cap = t->cap ? 2 * t->cap : 64, .count = t->count};
        nt.slots = calloc(nt.cap, sizeof *nt.slots);
        if (!nt.slots) {
            fprintf(stderr, "gcbench: out of memory in the assembler\n");
            abort();
        }
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].name)
                *sym_slot(&nt, t->slots[i].name, t->slots[i].len, t->slots[i].owner, probes) =
                    t->slots[i];
        free(t->slots);
        *t = nt;
    }
    size_t n = strlen(name);
    *sym_slot(t, name, n, owner, probes) = (asm_sym){name, n, owner, index};
    t->count++;
}

/* ---- state --------------------------------------------------------------------- */

typedef struct asm_label {
    char *name;
    uint32_t pc, line;
} asm_label;

typedef struct asm_type {
    char *name;
    uint32_t id, line, nfields;
    char **fields;
} asm_type;

typedef enum asm_fixup_kind { FIX_LABEL, FIX_TYPE, FIX_FIELD } asm_fixup_kind;

typedef struct asm_fixup {
    asm_fixup_kind kind;
    char *name;   /* label or type */
    char *field;  /* FIX_FIELD */
    size_t insn;
    int k;        /* operand index */
    uint32_t line, col;
} asm_fixup;

typedef struct asm_ctx {
    const char *file;
    char *err;
    size_t errlen;
    bool failed;
    uint32_t line;
    const char *lp;   /* start of the current line */
    vm_program *p;
    size_t code_cap, str_cap, shared_cap, locks_cap;
    asm_label *labels;
    size_t nlabels, labels_cap;
    asm_type *types;   /* in declaration order; a failed .type is kept, to be freed */
    size_t ntypes, types_cap;
    asm_symtab label_syms, type_syms, shared_syms, lock_syms;
    asm_symtab field_syms;  /* owner: the type's index + 1 */
    uint64_t probes;        /* slots examined in the symbol tables */
    asm_fixup *fixups;
    size_t nfixups, fixups_cap;
    char *entry;
    uint32_t entry_line, entry_col;
} asm_ctx;

static void asm_error_at(asm_ctx *a, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void asm_error_at(asm_ctx *a, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (a->failed)
        return;
    a->failed = true;
    if (!a->err || a->errlen == 0)
        return;
    int n = snprintf(a->err, a->errlen, "%s:%u:%u: ", a->file, line, col);
    if (n < 0 || (size_t)n >= a->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->err + n, a->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Column of s on the current line. */
static uint32_t asm_col(const asm_ctx *a, const char *s) { return (uint32_t)(s - a->lp) + 1; }

#define ASM_ERR(a, at, ...) asm_error_at((a), (a)->line, asm_col((a), (at)), __VA_ARGS__)

/* ---- tokens ---------------------------------------------------------------------- */

typedef enum asm_tok_kind { TOK_REG, TOK_INT, TOK_NIL, TOK_STR, TOK_NAME, TOK_FIELD } asm_tok_kind;

typedef struct asm_tok {
    asm_tok_kind kind;
    const char *at;      /* first character */
    const char *name;    /* TOK_NAME, TOK_FIELD: the (type) name */
    size_t name_len;
    const char *field;   /* TOK_FIELD: the field name */
    size_t field_len;
    int64_t value;       /* TOK_REG: register; TOK_INT: the integer; TOK_STR: literal index */
} asm_tok;

/* ASCII only, whatever the locale: names are [A-Za-z_][A-Za-z0-9_]*. */
static bool is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident_char(int c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* End of a token: whitespace, a separator, a comment or the end of line. */
static bool at_delim(const char *s, const char *end)
{
    return s == end || is_space((unsigned char)*s) || *s == ',' || *s == ';';
}

/* The NUL-terminated name equals s[0..n). */
static bool name_eq(const char *name, const char *s, size_t n)
{
    return strlen(name) == n && memcmp(name, s, n) == 0;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static const char *skip_space(const char *s, const char *end)
{
    while (s < end && is_space((unsigned char)*s))
        s++;
    return s;
}

static const char *scan_ident(const char *s, const char *end)
{
    while (s < end && is_ident_char((unsigned char)*s))
        s++;
    return s;
}

/* A mnemonic: a name whose words may be joined by single '-' (atomic-add).
 * Only mnemonics: labels, types, fields, shared variables and locks stay
 * [A-Za-z_][A-Za-z0-9_]*, so `a-b: nop` is an error, not a label. */
static const char *scan_mnemonic(const char *s, const char *end)
{
    s = scan_ident(s, end);
    while (end - s >= 2 && s[0] == '-' && is_ident_start((unsigned char)s[1]))
        s = scan_ident(s + 1, end);
    return s;
}

/* "'x'" or "byte 0xHH", for messages. */
static const char *describe_char(char c, char buf[16])
{
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) /* printable ASCII */
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", (unsigned char)c);
    return buf;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Integer literal: [+-]digits or [+-]0xhex, within GC_INT_MIN..GC_INT_MAX. */
static const char *scan_int(asm_ctx *a, const char *s, const char *end, int64_t *out)
{
    const char *start = s;
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    unsigned base = 10;
    if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *digits = s;
    uint64_t v = 0, lim = (uint64_t)GC_INT_MAX + (neg ? 1u : 0u);
    bool range = true;
    for (; s < end; s++) {
        int d = base == 16 ? hex_digit((unsigned char)*s)
                           : isdigit((unsigned char)*s) ? *s - '0' : -1;
        if (d < 0)
            break;
        if (v > (lim - (uint64_t)d) / base)
            range = false;
        else
            v = v * base + (uint64_t)d;
    }
    if (s == digits || !at_delim(s, end)) {
        const char *e = s;
        while (!at_delim(e, end))
            e++;
        char q[ASM_QUOTE_SIZE];
        ASM_ERR(a, start, "bad integer literal '%s'", asm_quote(q, start, (size_t)(e - start)));
        return NULL;
    }
    if (!range) {
        char q[ASM_QUOTE_SIZE];
        ASM_ERR(a, start, "integer literal '%s' out of range (%" PRId64 "..%" PRId64 ")",
                asm_quote(q, start, (size_t)(s - start)), GC_INT_MIN, GC_INT_MAX);
        return NULL;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return s;
}

/* String literal starting at the opening quote; adds it to the pool. */
static const char *scan_string(asm_ctx *a, const char *s, const char *end, int64_t *index)
{
    const char *open = s++;
    char *buf = malloc((size_t)(end - s) + 1);
    size_t n = 0;
    if (!buf)
        abort();
    for (;;) {
        if (s == end) {
            ASM_ERR(a, open, "unterminated string literal");
            free(buf);
            return NULL;
        }
        char c = *s;
        if (c == '"')
            break;
        if (c != '\\') {
            buf[n++] = c;
            s++;
            continue;
        }
        const char *esc = s++;
        char e = s < end ? *s : '\0';
        switch (e) {
        case 'n': buf[n++] = '\n'; s++; break;
        case 't': buf[n++] = '\t'; s++; break;
        case 'r': buf[n++] = '\r'; s++; break;
        case '0': buf[n++] = '\0'; s++; break;
        case '\\': buf[n++] = '\\'; s++; break;
        case '"': buf[n++] = '"'; s++; break;
        case 'x': {
            int h = end - s >= 3 ? hex_digit((unsigned char)s[1]) : -1;
            int l = h >= 0 ? hex_digit((unsigned char)s[2]) : -1;
            if (l < 0) {
                ASM_ERR(a, esc, "bad escape: \\x needs two hex digits");
                free(buf);
                return NULL;
            }
            buf[n++] = (char)(h * 16 + l);
            s += 3;
            break;
        }
        default: {
            char d[16];
            if (s == end)
                ASM_ERR(a, esc, "unterminated string literal");
            else
                ASM_ERR(a, esc, "bad escape: backslash followed by %s "
                                "(use \\n \\t \\r \\0 \\\\ \\\" \\xHH)", describe_char(e, d));
            free(buf);
            return NULL;
        }
        }
    }
    s++; /* closing quote */
    if (!at_delim(s, end)) {
        char d[16];
        ASM_ERR(a, s, "unexpected %s after a string literal", describe_char(*s, d));
        free(buf);
        return NULL;
    }
    vm_program *p = a->p;
    p->strings = asm_grow(p->strings, &a->str_cap, p->nstrings + 1, sizeof *p->strings);
    p->strings[p->nstrings] = (vm_string){buf, n};
    *index = (int64_t)p->nstrings++;
    return s;
}

/* s[0..n) as a register: r followed only by digits is register syntax,
 * r0..r31 (no leading zeros) a register. Returns the number, VM_NREGS for
 * a bad register, -1 if s is not register syntax. */
static int reg_number(const char *s, size_t n)
{
    if (n < 2 || s[0] != 'r' || !all_digits(s + 1, n - 1))
        return -1;
    if (n == 2)
        return s[1] - '0';
    if (n == 3 && s[1] != '0') {
        int r = (s[1] - '0') * 10 + (s[2] - '0');
        return r < VM_NREGS ? r : VM_NREGS;
    }
    return VM_NREGS;
}

/* One operand. Returns the position after it, or NULL after an error. */
static const char *scan_operand(asm_ctx *a, const char *s, const char *end, asm_tok *t)
{
    memset(t, 0, sizeof *t);
    t->at = s;
    char c = *s;
    if (c == '"') {
        t->kind = TOK_STR;
        return scan_string(a, s, end, &t->value);
    }
    if (isdigit((unsigned char)c) || c == '-' || c == '+') {
        t->kind = TOK_INT;
        return scan_int(a, s, end, &t->value);
    }
    if (!is_ident_start((unsigned char)c)) {
        char d[16];
        ASM_ERR(a, s, "unexpected %s where an operand was expected", describe_char(c, d));
        return NULL;
    }
    const char *e = scan_ident(s, end);
    t->name = s;
    t->name_len = (size_t)(e - s);
    if (e < end && *e == '.') {
        const char *f = e + 1;
        const char *fe = f < end && is_ident_start((unsigned char)*f) ? scan_ident(f, end) : f;
        if (fe == f) {
            char q[ASM_QUOTE_SIZE];
            ASM_ERR(a, f, "expected a field name after '%s.'", asm_quote(q, s, t->name_len));
            return NULL;
        }
        t->kind = TOK_FIELD;
        t->field = f;
        t->field_len = (size_t)(fe - f);
        e = fe;
    } else if (t->name_len == 3 && memcmp(s, "nil", 3) == 0) {
        t->kind = TOK_NIL;
    } else if (reg_number(s, t->name_len) >= 0) {
        int r = reg_number(s, t->name_len);
        if (r >= VM_NREGS) {
            char q[ASM_QUOTE_SIZE];
            ASM_ERR(a, s, "bad register '%s' (registers are r0..r%d)",
                    asm_quote(q, s, t->name_len), VM_NREGS - 1);
            return NULL;
        }
        t->kind = TOK_REG;
        t->value = r;
    } else {
        t->kind = TOK_NAME;
    }
    if (!at_delim(e, end)) {
        char d[16];
        ASM_ERR(a, e, "unexpected %s in operand", describe_char(*e, d));
        return NULL;
    }
    return e;
}

/* ---- operands ---------------------------------------------------------------------- */

static const char *kind_wanted(char k)
{
    switch (k) {
    case 'R': return "a register";
    case 'V': return "a register, an integer or nil";
    case 'I': return "an integer or nil";
    case 'P': return "a register, an integer, nil or a string literal";
    case 'S': return "a string literal";
    case 'L': return "a label";
    case 'T': return "a type name";
    case 'F': return "a field (Type.field or an index)";
    case 'N': return "a shared variable name";
    case 'K': return "a lock name";
    default: return "?";
    }
}

static const char *tok_what(asm_tok_kind k)
{
    switch (k) {
    case TOK_REG: return "a register";
    case TOK_INT: return "an integer";
    case TOK_NIL: return "nil";
    case TOK_STR: return "a string literal";
    case TOK_NAME: return "a name";
    case TOK_FIELD: return "a field";
    }
    return "?";
}

static void add_fixup(asm_ctx *a, asm_fixup_kind kind, const asm_tok *t, int k)
{
    a->fixups = asm_grow(a->fixups, &a->fixups_cap, a->nfixups + 1, sizeof *a->fixups);
    a->fixups[a->nfixups++] = (asm_fixup){
        .kind = kind,
        .name = asm_strndup(t->name, t->name_len),
        .field = kind == FIX_FIELD ? asm_strndup(t->field, t->field_len) : NULL,
        .insn = a->p->ncode,
        .k = k,
        .line = a->line,
        .col = asm_col(a, t->at),
    };
}

static int64_t intern_shared(asm_ctx *a, const char *name, size_t len)
{
    vm_program *p = a->p;
    size_t i = sym_find(&a->shared_syms, name, len, 0, &a->probes);
    if (i != SIZE_MAX)
        return (int64_t)i;
    p->shared = asm_grow(p->shared, &a->shared_cap, p->nshared + 1, sizeof *p->shared);
    p->shared[p->nshared] = asm_strndup(name, len);
    sym_add(&a->shared_syms, p->shared[p->nshared], 0, p->nshared, &a->probes);
    return (int64_t)p->nshared++;
}

/* Lock names: a namespace of their own (docs/vm.md), resolved like shared
 * variables, where they are used. */
static int64_t intern_lock(asm_ctx *a, const char *name, size_t len)
{
    vm_program *p = a->p;
    size_t i = sym_find(&a->lock_syms, name, len, 0, &a->probes);
    if (i != SIZE_MAX)
        return (int64_t)i;
    p->locks = asm_grow(p->locks, &a->locks_cap, p->nlocks + 1, sizeof *p->locks);
    p->locks[p->nlocks] = asm_strndup(name, len);
    sym_add(&a->lock_syms, p->locks[p->nlocks], 0, p->nlocks, &a->probes);
    return (int64_t)p->nlocks++;
}

/* Encodes operand k of insn from token t, which must match signature letter sig. */
static bool encode_operand(asm_ctx *a, vm_insn *in, int k, char sig, const asm_tok *t,
                           const char *mn)
{
    bool ok;
    switch (sig) {
    case 'R': ok = t->kind == TOK_REG; break;
    case 'V': ok = t->kind == TOK_REG || t->kind == TOK_INT || t->kind == TOK_NIL; break;
    case 'I': ok = t->kind == TOK_INT || t->kind == TOK_NIL; break;
    case 'P': ok = t->kind != TOK_NAME && t->kind != TOK_FIELD; break;
    case 'S': ok = t->kind == TOK_STR; break;
    case 'L': case 'T': case 'N': case 'K': ok = t->kind == TOK_NAME; break;
    case 'F': ok = t->kind == TOK_FIELD || t->kind == TOK_INT; break;
    default: ok = false; break;
    }
    if (!ok) {
        ASM_ERR(a, t->at, "operand %d of '%s' must be %s, got %s", k + 1, mn, kind_wanted(sig),
                tok_what(t->kind));
        return false;
    }
    switch (t->kind) {
    case TOK_REG:
        in->x[k] = t->value;
        break;
    case TOK_INT:
        if (sig == 'F') {
            if (t->value < 0 || t->value >= GC_MAX_FIELDS) {
                ASM_ERR(a, t->at, "field index %" PRId64 " out of range (0..%d)", t->value,
                        GC_MAX_FIELDS - 1);
                return false;
            }
            in->x[k] = t->value;
            in->x[3] = GC_TYPE_INVALID;
        } else {
            in->x[k] = (int64_t)gc_int(t->value);
            in->imm |= (uint8_t)(1u << k);
        }
        break;
    case TOK_NIL:
        in->x[k] = (int64_t)GC_NIL;
        in->imm |= (uint8_t)(1u << k);
        break;
    case TOK_STR:
        in->x[k] = t->value;
        in->str |= (uint8_t)(1u << k);
        break;
    case TOK_NAME:
        if (sig == 'N')
            in->x[k] = intern_shared(a, t->name, t->name_len);
        else if (sig == 'K')
            in->x[k] = intern_lock(a, t->name, t->name_len);
        else
            add_fixup(a, sig == 'L' ? FIX_LABEL : FIX_TYPE, t, k);
        break;
    case TOK_FIELD:
        add_fixup(a, FIX_FIELD, t, k);
        break;
    }
    return true;
}

/* ---- lines ------------------------------------------------------------------------ */

static int find_opcode(const char *s, size_t n)
{
    for (int op = 0; op < VM_OP_COUNT; op++)
        if (name_eq(vm_op_names[op], s, n))
            return op;
    return -1;
}

static asm_label *find_label(asm_ctx *a, const char *s, size_t n)
{
    size_t i = sym_find(&a->label_syms, s, n, 0, &a->probes);
    return i == SIZE_MAX ? NULL : &a->labels[i];
}

static asm_type *find_type(asm_ctx *a, const char *s, size_t n)
{
    size_t i = sym_find(&a->type_syms, s, n, 0, &a->probes);
    return i == SIZE_MAX ? NULL : &a->types[i];
}

/* The index of field s[0..n) of the type at index ti, or SIZE_MAX. */
static size_t find_field(asm_ctx *a, size_t ti, const char *s, size_t n)
{
    return sym_find(&a->field_syms, s, n, ti + 1, &a->probes);
}

/* Words that are never names (docs/vm.md): `nil`, and `r` followed only
 * by digits (r0..r31 are registers, any other such word a bad register).
 * An operand so spelled is read as nil or a register, so a label, type,
 * field or shared variable of that name could never be referred to: each
 * place that defines a name rejects them. NULL if s[0..n) may be a name. */
static const char *reserved_word(const char *s, size_t n)
{
    if (name_eq("nil", s, n))
        return "it is the nil value";
    int r = reg_number(s, n);
    if (r >= 0)
        return r < VM_NREGS ? "it is a register"
                            : "'r' and digits is register syntax (registers are r0..r31)";
    return NULL;
}

/* s[0..n) may be defined as `what` ("a label", "a type name", ...); else
 * an error at s. */
static bool check_name(asm_ctx *a, const char *s, size_t n, const char *what)
{
    const char *why = reserved_word(s, n);
    if (!why)
        return true;
    char q[ASM_QUOTE_SIZE];
    ASM_ERR(a, s, "'%s' cannot be %s: %s, never a name", asm_quote(q, s, n), what, why);
    return false;
}

/* The instruction whose mnemonic spans [s, e); operands follow up to end. */
static void parse_insn(asm_ctx *a, const char *s, const char *e, const char *end)
{
    int op = find_opcode(s, (size_t)(e - s));
    if (op < 0) {
        char q[ASM_QUOTE_SIZE];
        ASM_ERR(a, s, "unknown instruction '%s'", asm_quote(q, s, (size_t)(e - s)));
        return;
    }
    const char *mn = vm_op_names[op], *sig = vm_op_sigs[op];
    int want = (int)strlen(sig), got = 0;
    vm_program *p = a->p;
    p->code = asm_grow(p->code, &a->code_cap, p->ncode + 1, sizeof *p->code);
    vm_insn *in = &p->code[p->ncode];
    memset(in, 0, sizeof *in);
    in->op = (uint8_t)op;
    in->line = a->line;

    const char *c = skip_space(e, end);
    while (c < end && *c != ';') {
        if (got > 0 && *c == ',') {
            c = skip_space(c + 1, end);
            if (c == end || *c == ';' || *c == ',') {
                ASM_ERR(a, c, "expected an operand after ','");
                return;
            }
        }
        asm_tok t;
        const char *next = scan_operand(a, c, end, &t);
        if (!next)
            return;
        if (got >= want) {
            ASM_ERR(a, c, "too many operands: '%s' takes %d", mn, want);
            return;
        }
        if (!encode_operand(a, in, got, sig[got], &t, mn))
            return;
        got++;
        c = skip_space(next, end);
    }
    if (got < want) {
        ASM_ERR(a, s, "'%s' takes %d operand%s, got %d", mn, want, want == 1 ? "" : "s", got);
        return;
    }
    p->ncode++;
}

/* .type NAME field:int field:ref ...
 * The type goes into a->types (and its name and fields into the symbol
 * tables) as it is parsed, so the tables point only at names a->types owns,
 * even when a field is bad; it gets its id (and becomes usable) at the end. */
static void parse_type(asm_ctx *a, const char *s, const char *end)
{
    s = skip_space(s, end);
    const char *ne = s < end && is_ident_start((unsigned char)*s) ? scan_ident(s, end) : s;
    if (ne == s || !at_delim(ne, end) || (ne < end && *ne == ',')) {
        ASM_ERR(a, s, ".type needs a type name");
        return;
    }
    size_t nlen = (size_t)(ne - s);
    if (!check_name(a, s, nlen, "a type name"))
        return;
    asm_type *dup = find_type(a, s, nlen);
    if (dup) {
        char q[ASM_QUOTE_SIZE];
        ASM_ERR(a, s, "duplicate type '%s' (first declared at line %u)", asm_quote(q, s, nlen),
                dup->line);
        return;
    }
    size_t ti = a->ntypes;
    a->types = asm_grow(a->types, &a->types_cap, ti + 1, sizeof *a->types);
    asm_type *t = &a->types[a->ntypes++];
    *t = (asm_type){.name = asm_strndup(s, nlen), .id = GC_TYPE_INVALID, .line = a->line};
    sym_add(&a->type_syms, t->name, 0, ti, &a->probes);
    char tq[ASM_QUOTE_SIZE], q[ASM_QUOTE_SIZE];
    asm_quote(tq, t->name, nlen);
    char layout[GC_MAX_FIELDS + 1];
    size_t fields_cap = 0;
    const char *c = skip_space(ne, end);
    while (c < end && *c != ';') {
        const char *fe = is_ident_start((unsigned char)*c) ? scan_ident(c, end) : c;
        if (fe == c || fe == end || *fe != ':') {
            ASM_ERR(a, c, "expected a field as name:int or name:ref");
            return;
        }
        size_t flen = (size_t)(fe - c);
        if (!check_name(a, c, flen, "a field name"))
            return;
        if (find_field(a, ti, c, flen) != SIZE_MAX) {
            ASM_ERR(a, c, "duplicate field '%s' in type '%s'", asm_quote(q, c, flen), tq);
            return;
        }
        if (t->nfields == GC_MAX_FIELDS) {
            ASM_ERR(a, c, "type '%s' has more than %d fields", tq, GC_MAX_FIELDS);
            return;
        }
        const char *k = fe + 1, *ke = scan_ident(k, end);
        if (name_eq("int", k, (size_t)(ke - k)) || name_eq("ref", k, (size_t)(ke - k))) {
            layout[t->nfields] = k[0] == 'i' ? 'i' : 'r';
        } else {
            ASM_ERR(a, k, "field kind must be 'int' or 'ref'");
            return;
        }
        if (!at_delim(ke, end) || (ke < end && *ke == ',')) {
            char d[16];
            ASM_ERR(a, ke, "unexpected %s in a field declaration", describe_char(*ke, d));
            return;
        }
        t->fields = asm_grow(t->fields, &fields_cap, t->nfields + 1, sizeof *t->fields);
        t->fields[t->nfields] = asm_strndup(c, flen);
        sym_add(&a->field_syms, t->fields[t->nfields], ti + 1, t->nfields, &a->probes);
        t->nfields++;
        c = skip_space(ke, end);
    }
    layout[t->nfields] = '\0';
    t->id = gc_type_register(t->name, layout);
    if (t->id == GC_TYPE_INVALID) {
        const gc_type *old = gc_type_find(t->name);
        if (old)
            ASM_ERR(a, s, "type '%s' conflicts with a registered type of that name "
                          "(types are process-wide; %s has %u fields)", tq,
                    old->kind == GC_KIND_RECORD ? "the registered one" : "a built-in kind",
                    old->kind == GC_KIND_RECORD ? old->nfields : 0);
        else
            ASM_ERR(a, s, "cannot register type '%s': the type table is full", tq);
    }
}

/* .entry LABEL */
static void parse_entry(asm_ctx *a, const char *s, const char *end)
{
    s = skip_space(s, end);
    const char *e = s < end && is_ident_start((unsigned char)*s) ? scan_ident(s, end) : s;
    if (e == s) {
        ASM_ERR(a, s, ".entry needs a label");
        return;
    }
    if (!check_name(a, s, (size_t)(e - s), "a label"))
        return;
    const char *rest = skip_space(e, end);
    if (rest < end && *rest != ';') {
        char d[16];
        ASM_ERR(a, rest, "unexpected %s after .entry label", describe_char(*rest, d));
        return;
    }
    if (a->entry) {
        ASM_ERR(a, s, "duplicate .entry (first at line %u)", a->entry_line);
        return;
    }
    a->entry = asm_strndup(s, (size_t)(e - s));
    a->entry_line = a->line;
    a->entry_col = asm_col(a, s);
}

static void parse_line(asm_ctx *a, const char *s, const char *end)
{
    s = skip_space(s, end);
    if (s == end || *s == ';')
        return;
    if (*s == '.') {
        const char *e = scan_ident(s + 1, end);
        size_t n = (size_t)(e - s);
        if (n == 5 && memcmp(s, ".type", 5) == 0 && at_delim(e, end))
            parse_type(a, e, end);
        else if (n == 6 && memcmp(s, ".entry", 6) == 0 && at_delim(e, end))
            parse_entry(a, e, end);
        else
        {
            char q[ASM_QUOTE_SIZE];
            ASM_ERR(a, s, "unknown directive '%s' (known: .type, .entry)", asm_quote(q, s, n));
        }
        return;
    }
    if (!is_ident_start((unsigned char)*s)) {
        char d[16];
        ASM_ERR(a, s, "unexpected %s at the start of a line", describe_char(*s, d));
        return;
    }
    const char *e = scan_ident(s, end);
    if (e == end || *e != ':') {
        e = scan_mnemonic(s, end); /* not a label: an instruction */
    } else {
        size_t n = (size_t)(e - s);
        if (!check_name(a, s, n, "a label"))
            return;
        asm_label *dup = find_label(a, s, n);
        if (dup) {
            char q[ASM_QUOTE_SIZE];
            ASM_ERR(a, s, "duplicate label '%s' (first defined at line %u)", asm_quote(q, s, n),
                    dup->line);
            return;
        }
        a->labels = asm_grow(a->labels, &a->labels_cap, a->nlabels + 1, sizeof *a->labels);
        a->labels[a->nlabels] = (asm_label){asm_strndup(s, n), (uint32_t)a->p->ncode, a->line};
        sym_add(&a->label_syms, a->labels[a->nlabels].name, 0, a->nlabels, &a->probes);
        a->nlabels++;
        s = skip_space(e + 1, end);
        if (s == end || *s == ';')
            return;
        if (!is_ident_start((unsigned char)*s)) {
            char d[16];
            ASM_ERR(a, s, "unexpected %s after a label", describe_char(*s, d));
            return;
        }
        e = scan_mnemonic(s, end);
    }
    if (!at_delim(e, end)) {
        char d[16];
        char q[ASM_QUOTE_SIZE];
        ASM_ERR(a, e, "unexpected %s after '%s'", describe_char(*e, d),
                asm_quote(q, s, (size_t)(e - s)));
        return;
    }
    parse_insn(a, s, e, end);
}

/* ---- resolution ------------------------------------------------------------------------ */

static void resolve(asm_ctx *a)
{
    vm_program *p = a->p;
    for (size_t i = 0; i < a->nfixups && !a->failed; i++) {
        const asm_fixup *f = &a->fixups[i];
        vm_insn *in = &p->code[f->insn];
        size_t n = strlen(f->name);
        char q[ASM_QUOTE_SIZE], q2[ASM_QUOTE_SIZE];
        if (f->kind == FIX_LABEL) {
            asm_label *l = find_label(a, f->name, n);
            if (!l)
                asm_error_at(a, f->line, f->col, "undefined label '%s'", asm_quote(q, f->name, n));
            else
                in->x[f->k] = l->pc;
            continue;
        }
        asm_type *t = find_type(a, f->name, n);
        if (!t) {
            asm_error_at(a, f->line, f->col, "undefined type '%s'", asm_quote(q, f->name, n));
            continue;
        }
        if (f->kind == FIX_TYPE) {
            in->x[f->k] = t->id;
            continue;
        }
        size_t flen = strlen(f->field);
        size_t fi = find_field(a, (size_t)(t - a->types), f->field, flen);
        if (fi == SIZE_MAX) {
            asm_error_at(a, f->line, f->col, "type '%s' has no field '%s'",
                         asm_quote(q, f->name, n), asm_quote(q2, f->field, flen));
            continue;
        }
        in->x[f->k] = (int64_t)fi;
        in->x[3] = t->id;
    }
    if (a->failed)
        return;
    const char *entry = a->entry ? a->entry : "main";
    asm_label *l = find_label(a, entry, strlen(entry));
    if (l)
        p->entry = l->pc;
    else if (a->entry) {
        char q[ASM_QUOTE_SIZE];
        asm_error_at(a, a->entry_line, a->entry_col, "undefined label '%s'",
                     asm_quote(q, a->entry, strlen(a->entry)));
    }
    p->asm_probes = a->probes;
}

static void asm_ctx_free(asm_ctx *a)
{
    for (size_t i = 0; i < a->nlabels; i++)
        free(a->labels[i].name);
    free(a->labels);
    for (size_t i = 0; i < a->ntypes; i++) {
        for (uint32_t j = 0; j < a->types[i].nfields; j++)
            free(a->types[i].fields[j]);
        free(a->types[i].fields);
        free(a->types[i].name);
    }
    free(a->types);
    for (size_t i = 0; i < a->nfixups; i++) {
        free(a->fixups[i].name);
        free(a->fixups[i].field);
    }
    free(a->fixups);
    free(a->entry);
    free(a->label_syms.slots);
    free(a->type_syms.slots);
    free(a->shared_syms.slots);
    free(a->lock_syms.slots);
    free(a->field_syms.slots);
}

/* ---- API ---------------------------------------------------------------------------- */

vm_program *vm_assemble(const char *src, size_t len, const char *filename, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    vm_program *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    if (!filename)
        filename = "<program>";
    /* The name as shown in messages: escaped like any quoted input. */
    size_t flen = strlen(filename);
    p->filename = malloc(4 * flen + 4);
    if (!p->filename)
        abort();
    gc_utf8_escape(p->filename, 4 * flen + 4, filename, flen, 0);
    asm_ctx a = {.file = p->filename, .err = err, .errlen = errlen, .p = p};

    const char *s = src, *end = src + len;
    while (!a.failed && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        a.line++;
        a.lp = s;
        parse_line(&a, s, le);
        s = nl ? nl + 1 : end;
    }
    if (!a.failed)
        resolve(&a);
    /* The implicit final halt (line: one past the last line). */
    if (!a.failed) {
        p->code = asm_grow(p->code, &a.code_cap, p->ncode + 1, sizeof *p->code);
        p->code[p->ncode++] = (vm_insn){.op = VM_OP_HALT, .line = a.line + 1};
    }
    asm_ctx_free(&a);
    if (a.failed) {
        vm_program_free(p);
        return NULL;
    }
    return p;
}

vm_program *vm_assemble_file(const char *path, char *err, size_t errlen)
{
    char shown[ASM_QUOTE_SIZE * 2];
    gc_utf8_escape(shown, sizeof shown, path, strlen(path), 0);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", shown, strerror(errno));
        return NULL;
    }
    size_t len;
    int e = 0;
    char *buf = gc_read_file(f, &len, &e);
    fclose(f);
    if (buf == NULL) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", shown, strerror(e));
        return NULL;
    }
    vm_program *p = vm_assemble(buf, len, path, err, errlen);
    free(buf);
    return p;
}

void vm_program_free(vm_program *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstrings; i++)
        free(p->strings[i].bytes);
    free(p->strings);
    for (size_t i = 0; i < p->nshared; i++)
        free(p->shared[i]);
    free(p->shared);
    for (size_t i = 0; i < p->nlocks; i++)
        free(p->locks[i]);
    free(p->locks);
    free(p->code);
    free(p->filename);
    free(p);
}

size_t vm_program_length(const vm_program *p) { return p->ncode; }
