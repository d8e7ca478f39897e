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
 *    shared-name operand a valid index, every type operand a registered
 *    record type, every field index < GC_MAX_FIELDS;
 *  - the code ends with a halt, so falling off the end halts.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

#define ASM_NAME_SHOWN 40 /* longest name quoted in a message */
/* Precision argument for "%.*s" quoting n bytes of a name. */
#define ASM_SHOW(n) ((int)((size_t)(n) > ASM_NAME_SHOWN ? ASM_NAME_SHOWN : (size_t)(n)))

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
    size_t code_cap, str_cap, shared_cap;
    asm_label *labels;
    size_t nlabels, labels_cap;
    asm_type *types;
    size_t ntypes, types_cap;
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

static bool is_ident_start(int c) { return isalpha(c) || c == '_'; }
static bool is_ident_char(int c) { return isalnum(c) || c == '_'; }
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

/* "'x'" or "byte 0xHH", for messages. */
static const char *describe_char(char c, char buf[16])
{
    if (isprint((unsigned char)c))
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
        ASM_ERR(a, start, "bad integer literal '%.*s'", ASM_SHOW(e - start), start);
        return NULL;
    }
    if (!range) {
        ASM_ERR(a, start, "integer literal '%.*s' out of range (%" PRId64 "..%" PRId64 ")",
                ASM_SHOW(s - start), start, GC_INT_MIN,
                GC_INT_MAX);
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
            ASM_ERR(a, f, "expected a field name after '%.*s.'", ASM_SHOW(t->name_len), s);
            return NULL;
        }
        t->kind = TOK_FIELD;
        t->field = f;
        t->field_len = (size_t)(fe - f);
        e = fe;
    } else if (t->name_len == 3 && memcmp(s, "nil", 3) == 0) {
        t->kind = TOK_NIL;
    } else if (s[0] == 'r' && t->name_len >= 2 && all_digits(s + 1, t->name_len - 1)) {
        /* r followed only by digits: a register, r0..r31 (no leading zeros) */
        int r = VM_NREGS;
        if (t->name_len == 2 || (t->name_len == 3 && s[1] != '0'))
            r = t->name_len == 2 ? s[1] - '0' : (s[1] - '0') * 10 + (s[2] - '0');
        if (r >= VM_NREGS) {
            ASM_ERR(a, s, "bad register '%.*s' (registers are r0..r%d)",
                    ASM_SHOW(t->name_len), s, VM_NREGS - 1);
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
    for (size_t i = 0; i < p->nshared; i++)
        if (name_eq(p->shared[i], name, len))
            return (int64_t)i;
    p->shared = asm_grow(p->shared, &a->shared_cap, p->nshared + 1, sizeof *p->shared);
    p->shared[p->nshared] = asm_strndup(name, len);
    return (int64_t)p->nshared++;
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
    case 'L': case 'T': case 'N': ok = t->kind == TOK_NAME; break;
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
    for (size_t i = 0; i < a->nlabels; i++)
        if (name_eq(a->labels[i].name, s, n))
            return &a->labels[i];
    return NULL;
}

static asm_type *find_type(asm_ctx *a, const char *s, size_t n)
{
    for (size_t i = 0; i < a->ntypes; i++)
        if (name_eq(a->types[i].name, s, n))
            return &a->types[i];
    return NULL;
}

/* The instruction whose mnemonic spans [s, e); operands follow up to end. */
static void parse_insn(asm_ctx *a, const char *s, const char *e, const char *end)
{
    int op = find_opcode(s, (size_t)(e - s));
    if (op < 0) {
        ASM_ERR(a, s, "unknown instruction '%.*s'", ASM_SHOW(e - s), s);
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

/* .type NAME field:int field:ref ... */
static void parse_type(asm_ctx *a, const char *s, const char *end)
{
    s = skip_space(s, end);
    const char *ne = s < end && is_ident_start((unsigned char)*s) ? scan_ident(s, end) : s;
    if (ne == s || !at_delim(ne, end) || (ne < end && *ne == ',')) {
        ASM_ERR(a, s, ".type needs a type name");
        return;
    }
    size_t nlen = (size_t)(ne - s);
    asm_type *dup = find_type(a, s, nlen);
    if (dup) {
        ASM_ERR(a, s, "duplicate type '%.*s' (first declared at line %u)", ASM_SHOW(nlen), s,
                dup->line);
        return;
    }
    asm_type t = {.name = asm_strndup(s, nlen), .line = a->line};
    char layout[GC_MAX_FIELDS + 1];
    size_t fields_cap = 0;
    const char *c = skip_space(ne, end);
    while (c < end && *c != ';') {
        const char *fe = is_ident_start((unsigned char)*c) ? scan_ident(c, end) : c;
        if (fe == c || fe == end || *fe != ':') {
            ASM_ERR(a, c, "expected a field as name:int or name:ref");
            goto fail;
        }
        for (uint32_t i = 0; i < t.nfields; i++)
            if (name_eq(t.fields[i], c, (size_t)(fe - c))) {
                ASM_ERR(a, c, "duplicate field '%.*s' in type '%s'", ASM_SHOW(fe - c), c, t.name);
                goto fail;
            }
        if (t.nfields == GC_MAX_FIELDS) {
            ASM_ERR(a, c, "type '%s' has more than %d fields", t.name, GC_MAX_FIELDS);
            goto fail;
        }
        const char *k = fe + 1, *ke = scan_ident(k, end);
        if (name_eq("int", k, (size_t)(ke - k)) || name_eq("ref", k, (size_t)(ke - k))) {
            layout[t.nfields] = k[0] == 'i' ? 'i' : 'r';
        } else {
            ASM_ERR(a, k, "field kind must be 'int' or 'ref'");
            goto fail;
        }
        if (!at_delim(ke, end) || (ke < end && *ke == ',')) {
            char d[16];
            ASM_ERR(a, ke, "unexpected %s in a field declaration", describe_char(*ke, d));
            goto fail;
        }
        t.fields = asm_grow(t.fields, &fields_cap, t.nfields + 1, sizeof *t.fields);
        t.fields[t.nfields++] = asm_strndup(c, (size_t)(fe - c));
        c = skip_space(ke, end);
    }
    layout[t.nfields] = '\0';
    t.id = gc_type_register(t.name, layout);
    if (t.id == GC_TYPE_INVALID) {
        const gc_type *old = gc_type_find(t.name);
        if (old)
            ASM_ERR(a, s, "type '%s' conflicts with a registered type of that name "
                          "(types are process-wide; %s has %u fields)", t.name,
                    old->kind == GC_KIND_RECORD ? "the registered one" : "a built-in kind",
                    old->kind == GC_KIND_RECORD ? old->nfields : 0);
        else
            ASM_ERR(a, s, "cannot register type '%s': the type table is full", t.name);
        goto fail;
    }
    a->types = asm_grow(a->types, &a->types_cap, a->ntypes + 1, sizeof *a->types);
    a->types[a->ntypes++] = t;
    return;
fail:
    for (uint32_t i = 0; i < t.nfields; i++)
        free(t.fields[i]);
    free(t.fields);
    free(t.name);
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
            ASM_ERR(a, s, "unknown directive '%.*s' (known: .type, .entry)", ASM_SHOW(n), s);
        return;
    }
    if (!is_ident_start((unsigned char)*s)) {
        char d[16];
        ASM_ERR(a, s, "unexpected %s at the start of a line", describe_char(*s, d));
        return;
    }
    const char *e = scan_ident(s, end);
    if (e < end && *e == ':') {
        size_t n = (size_t)(e - s);
        asm_label *dup = find_label(a, s, n);
        if (dup) {
            ASM_ERR(a, s, "duplicate label '%.*s' (first defined at line %u)", ASM_SHOW(n), s,
                    dup->line);
            return;
        }
        a->labels = asm_grow(a->labels, &a->labels_cap, a->nlabels + 1, sizeof *a->labels);
        a->labels[a->nlabels++] = (asm_label){asm_strndup(s, n), (uint32_t)a->p->ncode, a->line};
        s = skip_space(e + 1, end);
        if (s == end || *s == ';')
            return;
        if (!is_ident_start((unsigned char)*s)) {
            char d[16];
            ASM_ERR(a, s, "unexpected %s after a label", describe_char(*s, d));
            return;
        }
        e = scan_ident(s, end);
    }
    if (!at_delim(e, end)) {
        char d[16];
        ASM_ERR(a, e, "unexpected %s after '%.*s'", describe_char(*e, d), ASM_SHOW(e - s), s);
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
        if (f->kind == FIX_LABEL) {
            asm_label *l = find_label(a, f->name, n);
            if (!l)
                asm_error_at(a, f->line, f->col, "undefined label '%.*s'", ASM_NAME_SHOWN, f->name);
            else
                in->x[f->k] = l->pc;
            continue;
        }
        asm_type *t = find_type(a, f->name, n);
        if (!t) {
            asm_error_at(a, f->line, f->col, "undefined type '%.*s'", ASM_NAME_SHOWN, f->name);
            continue;
        }
        if (f->kind == FIX_TYPE) {
            in->x[f->k] = t->id;
            continue;
        }
        uint32_t fi = 0;
        while (fi < t->nfields && strcmp(t->fields[fi], f->field) != 0)
            fi++;
        if (fi == t->nfields) {
            asm_error_at(a, f->line, f->col, "type '%s' has no field '%.*s'", t->name,
                         ASM_NAME_SHOWN, f->field);
            continue;
        }
        in->x[f->k] = fi;
        in->x[3] = t->id;
    }
    if (a->failed)
        return;
    const char *entry = a->entry ? a->entry : "main";
    asm_label *l = find_label(a, entry, strlen(entry));
    if (l)
        p->entry = l->pc;
    else if (a->entry)
        asm_error_at(a, a->entry_line, a->entry_col, "undefined label '%.*s'", ASM_NAME_SHOWN,
                     a->entry);
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
    p->filename = asm_strndup(filename, strlen(filename));
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
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        buf = asm_grow(buf, &cap, len + 4096, 1);
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(e));
        free(buf);
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
    free(p->code);
    free(p->filename);
    free(p);
}

size_t vm_program_length(const vm_program *p) { return p->ncode; }
