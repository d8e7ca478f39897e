/* bench/torture.c — `gcbench torture` (bench/torture.h, docs/torture.md):
 * random mutator operations mirrored in a shadow graph, compared after
 * every collection; delta debugging (--shrink) of a failing sequence.
 *
 * The run, in one child process per sequence:
 *
 *   fresh heap (collector, --heap, --stress, --verify) + one mutator
 *   for each operation: perform it on the heap and on the shadow graph
 *     (any collection it triggers is checked from the pause listener)
 *   gc_heap_finish; check once more at the end
 *
 * Invariants:
 *  T-1 Between collections the real graph and the shadow graph agree: for
 *      every root slot and every slot of every reachable object, the real
 *      value is nil / the same immediate / a reference to the real object
 *      of the shadow node the shadow slot names. Every operation changes
 *      both in the same way, and allocates (the only point where a
 *      collection may run, besides gc_collect) before it reads or changes
 *      anything, so a check inside that collection sees a consistent pair.
 *  T-2 Every object carries its shadow node's id (a record's field 0, a
 *      reference array's element 0 as an immediate, a value array's word 0,
 *      a string's first 8 bytes), so an object that moved is matched to its
 *      node. The walk keeps node -> address and address -> node maps: two
 *      paths to one node must reach one address (a moving collector keeps
 *      sharing), and one address is one node (no two objects merged).
 *  T-3 Operations are (type, a, b, c) with random words, interpreted
 *      against the current state (a root is chosen as `b % number of
 *      roots`, a path by hashing b, ...), and an operation that finds
 *      nothing to act on does nothing. So every subsequence of a sequence
 *      is a valid sequence, and the result depends on the sequence only
 *      (never on addresses): --shrink and --replay rely on it.
 *  T-4 The shadow graph is collected at every check: nodes the walk did
 *      not reach are freed (the real objects are garbage too).
 */
#include "torture.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "../collectors/registry.h"
#include "cli.h"
#include "gcbench.h"

/* ---- operations ------------------------------------------------------------------ */

typedef enum t_op_type {
    OP_ALLOC_RECORD = 0,
    OP_ALLOC_ARRAY,
    OP_ALLOC_STRING,
    OP_ALLOC_VALUES,
    OP_ALLOC_LARGE,
    OP_ALLOC_GARBAGE,
    OP_STORE_REF,
    OP_STORE_INT,
    OP_STORE_NIL,
    OP_STORE_WORD,
    OP_READ,
    OP_ROOT_PUSH,
    OP_ROOT_DUP,
    OP_ROOT_POP,
    OP_GLOBAL_ADD,
    OP_GLOBAL_REMOVE,
    OP_SCANNER_TOGGLE,
    OP_SCANNER_SET,
    OP_COLLECT_MINOR,
    OP_COLLECT_MAJOR,
    OP_COLLECT_ANY,
    OP_SAFEPOINT,
    OP_DROP_ALL,
    OP_COUNT
} t_op_type;

/* Names (the replay format) and weights per 1000 drawn operations. The mix
 * keeps the live size bounded: roots are dropped about as often as they
 * are added, and new objects often replace a root's referent. */
static const struct {
    const char *name;
    unsigned weight;
} t_op_info[OP_COUNT] = {
    [OP_ALLOC_RECORD] = {"alloc-record", 315},   [OP_ALLOC_ARRAY] = {"alloc-array", 80},
    [OP_ALLOC_STRING] = {"alloc-string", 45},    [OP_ALLOC_VALUES] = {"alloc-values", 40},
    [OP_ALLOC_LARGE] = {"alloc-large", 5},       [OP_ALLOC_GARBAGE] = {"alloc-garbage", 3},
    [OP_STORE_REF] = {"store-ref", 210},
    [OP_STORE_INT] = {"store-int", 15},          [OP_STORE_NIL] = {"store-nil", 15},
    [OP_STORE_WORD] = {"store-word", 48},        [OP_READ] = {"read", 85},
    [OP_ROOT_PUSH] = {"root-push", 30},          [OP_ROOT_DUP] = {"root-dup", 5},
    [OP_ROOT_POP] = {"root-pop", 25},            [OP_GLOBAL_ADD] = {"global-add", 15},
    [OP_GLOBAL_REMOVE] = {"global-remove", 10},  [OP_SCANNER_TOGGLE] = {"scanner-toggle", 3},
    [OP_SCANNER_SET] = {"scanner-set", 15},      [OP_COLLECT_MINOR] = {"collect-minor", 6},
    [OP_COLLECT_MAJOR] = {"collect-major", 4},   [OP_COLLECT_ANY] = {"collect-any", 5},
    [OP_SAFEPOINT] = {"safepoint", 20},          [OP_DROP_ALL] = {"drop-all", 1},
};
#define T_WEIGHT_TOTAL 1000

typedef struct t_op {
    uint32_t type; /* t_op_type */
    uint32_t a, b, c;
} t_op;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static uint64_t mix64(uint64_t x) { return splitmix64(&x); }
static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* The sequence a seed stands for. */
static t_op *t_generate(uint64_t seed, size_t n)
{
    t_op *seq = malloc(n * sizeof *seq);
    if (!seq)
        abort();
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = splitmix64(&s), y = splitmix64(&s);
        unsigned w = (unsigned)(x % T_WEIGHT_TOTAL), type = 0;
        while (w >= t_op_info[type].weight) {
            w -= t_op_info[type].weight;
            type++;
        }
        seq[i] = (t_op){type, (uint32_t)(x >> 32), (uint32_t)y, (uint32_t)(y >> 32)};
    }
    return seq;
}

/* ---- objects and the shadow graph ---------------------------------------------- */

/* Object shapes: three record types, then the built-in kinds. */
enum { SH_REC_A = 0, SH_REC_B, SH_REC_C, SH_REF_ARRAY, SH_BYTES, SH_VALUES, SH_COUNT };
static const char *const t_shape_names[SH_COUNT] = {"record-a", "record-b", "record-c",
                                                    "ref-array", "string", "value-array"};
/* Field 0 of every record is its id (a raw word); 'r' fields hold values. */
static const struct {
    const char *type_name;
    const char *layout;
} t_records[3] = {{"torture-a", "iirrr"}, {"torture-b", "irrirr"}, {"torture-c", "ir"}};
#define T_REC_MAX_FIELDS 8

#define T_LARGE_MIN_ELEMS (GC_SMALL_MAX / 8 + 1) /* a reference array this long is a large object */

static bool shape_is_record(int shape) { return shape <= SH_REC_C; }

/* A shadow slot: 0 nil, odd the immediate itself (as in the heap), even
 * non-zero a reference to node (value >> 1). Raw words are kept as they are. */
#define SV_REF(id) ((uint64_t)(id) << 1)
static bool sv_is_ref(uint64_t v) { return v != 0 && (v & 1u) == 0; }
static uint32_t sv_node(uint64_t v) { return (uint32_t)(v >> 1); }

typedef struct t_node {
    uint64_t *w;      /* contents: `len` words (records, arrays), or a string's bytes */
    uint64_t len;     /* the header's length: fields, elements or bytes */
    uint8_t shape;
    /* the walk of epoch `epoch` reached it at addr, by slot pslot of node
     * parent (parent 0: pslot is a root code) */
    uint32_t epoch;
    uint32_t parent, pslot;
    uintptr_t addr;
} t_node;

/* Roots: a mutator root stack, global roots, and one root scanner's slots. */
#define T_MROOTS 16
#define T_GROOTS 8
#define T_SROOTS 8
enum { T_ROOT_M = 0, T_ROOT_G = 1, T_ROOT_S = 2 };
#define T_ROOT_CODE(kind, i) (((uint32_t)(kind) << 24) | (uint32_t)(i))

/* What one run reports; shared with the parent process (MAP_SHARED). */
typedef struct t_result {
    int code;                 /* the run's exit code */
    uint64_t op;              /* operation running when it ended; the sequence length if none */
    uint64_t collections;     /* pauses seen (each one checked) */
    uint64_t max_live_bytes, max_live_objects;
    uint64_t sum_live_objects, checks; /* for the mean live size */
    uint64_t last_live_bytes;
    bool timed_out;           /* killed by --timeout (set by the parent) */
    char msg[2048];
} t_result;

typedef struct t_mapent {
    uintptr_t key;
    uint32_t id, epoch;
} t_mapent;

typedef struct torture {
    const gc_collector_ops *ops;
    gc_heap *h;
    gc_mutator *m;
    uint32_t type_id[SH_COUNT];
    uint8_t rec_refs[3][T_REC_MAX_FIELDS]; /* reference fields of each record type */
    unsigned rec_nrefs[3];
    t_result *res;
    jmp_buf env;
    bool heap_unsafe; /* left in the middle of a pause: only leaked, never destroyed */

    /* Roots. Mutator stack position i holds the slot mslot[mown[i]]:
     * its own (mown[i] == i) or a lower position's (a duplicate root). */
    gc_value mslot[T_MROOTS];
    uint64_t msh[T_MROOTS];
    uint8_t mown[T_MROOTS];
    unsigned mdepth;
    size_t mbase; /* the mutator's root depth before ours */
    gc_value gslot[T_GROOTS];
    uint64_t gsh[T_GROOTS];
    bool gon[T_GROOTS];
    gc_value sslot[T_SROOTS];
    uint64_t ssh[T_SROOTS];
    bool scanner_on;

    /* The shadow graph: nodes by id (from 1), and the ids of the live ones. */
    t_node **nodes;
    size_t nodes_cap;
    uint32_t next_id;
    uint32_t *alive;
    size_t nalive, alive_cap;

    /* The walk. */
    uint32_t epoch;
    t_mapent *map; /* address -> node, open addressing; entries of older epochs are empty */
    size_t map_cap, map_count;
    uint32_t *queue;
    size_t qcap;
    char when[128];

    /* The sequence. */
    const t_op *seq;
    size_t nseq, cur;
    uint64_t collections;
    FILE *desc;      /* describe each operation here (NULL: don't) */
    char dbuf[512];  /* the running operation's description */
} torture;

static _Noreturn __attribute__((format(printf, 3, 4))) void t_end(torture *t, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->res->msg, sizeof t->res->msg, fmt, ap);
    va_end(ap);
    t->res->code = code;
    t->res->op = t->cur;
    longjmp(t->env, 1);
}

static void *t_xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p && n) {
        fprintf(stderr, "gcbench: torture: out of memory\n");
        abort();
    }
    return p;
}

static size_t t_node_words(const t_node *nd)
{
    return nd->shape == SH_BYTES ? (size_t)(nd->len + 7) / 8 : (size_t)nd->len;
}

static uint32_t t_new_node(torture *t, int shape, uint64_t len)
{
    uint32_t id = t->next_id++;
    if (id >= t->nodes_cap) {
        size_t ncap = t->nodes_cap ? 2 * t->nodes_cap : 1024;
        t->nodes = t_xrealloc(t->nodes, ncap * sizeof *t->nodes);
        memset(t->nodes + t->nodes_cap, 0, (ncap - t->nodes_cap) * sizeof *t->nodes);
        t->nodes_cap = ncap;
    }
    t_node *nd = t_xrealloc(NULL, sizeof *nd);
    *nd = (t_node){.len = len, .shape = (uint8_t)shape};
    size_t words = t_node_words(nd);
    nd->w = calloc(words ? words : 1, sizeof *nd->w);
    if (!nd->w)
        abort();
    t->nodes[id] = nd;
    if (t->nalive == t->alive_cap) {
        t->alive_cap = t->alive_cap ? 2 * t->alive_cap : 1024;
        t->alive = t_xrealloc(t->alive, t->alive_cap * sizeof *t->alive);
    }
    t->alive[t->nalive++] = id;
    return id;
}

static void t_free_node(torture *t, uint32_t id)
{
    free(t->nodes[id]->w);
    free(t->nodes[id]);
    t->nodes[id] = NULL;
}

/* Reference slots of a node: k-th of t_nrefs. (A reference array's element
 * 0 holds its id, so its reference slots are 1..len-1.) */
static unsigned t_nrefs(const torture *t, const t_node *nd)
{
    if (shape_is_record(nd->shape))
        return t->rec_nrefs[nd->shape];
    if (nd->shape == SH_REF_ARRAY)
        return (unsigned)(nd->len - 1);
    return 0;
}
static uint32_t t_ref_slot(const torture *t, const t_node *nd, unsigned k)
{
    return shape_is_record(nd->shape) ? t->rec_refs[nd->shape][k] : k + 1;
}
static bool t_slot_is_ref(const t_node *nd, uint64_t i)
{
    if (shape_is_record(nd->shape))
        return t_records[nd->shape].layout[i] == 'r';
    return nd->shape == SH_REF_ARRAY;
}

static gc_kind t_shape_kind(int shape)
{
    switch (shape) {
    case SH_REF_ARRAY: return GC_KIND_REF_ARRAY;
    case SH_BYTES: return GC_KIND_BYTES;
    case SH_VALUES: return GC_KIND_VALUE_ARRAY;
    default: return GC_KIND_RECORD;
    }
}

/* The id an object carries (T-2); UINT64_MAX if it carries none. */
static uint64_t t_real_id(gc_object *o, int shape)
{
    if (shape == SH_REF_ARRAY) {
        gc_value v = gc_slots(o)[0];
        return gc_is_int(v) ? (uint64_t)gc_int_value(v) : UINT64_MAX;
    }
    if (shape == SH_BYTES) {
        uint64_t id;
        memcpy(&id, gc_bytes(o), sizeof id);
        return id;
    }
    return gc_words(o)[0];
}

static void t_node_name(const torture *t, uint32_t id, char *buf, size_t n)
{
    const t_node *nd = id < t->nodes_cap ? t->nodes[id] : NULL;
    if (!nd)
        snprintf(buf, n, "object #%" PRIu32, id);
    else if (shape_is_record(nd->shape))
        snprintf(buf, n, "%s #%" PRIu32, t_shape_names[nd->shape], id);
    else
        snprintf(buf, n, "%s #%" PRIu32 " (length %" PRIu64 ")", t_shape_names[nd->shape], id, nd->len);
}

static void t_sv_name(const torture *t, uint64_t sv, char *buf, size_t n)
{
    if (sv == 0)
        snprintf(buf, n, "nil");
    else if (sv & 1u)
        snprintf(buf, n, "the integer %" PRId64, gc_int_value((gc_value)sv));
    else
        t_node_name(t, sv_node(sv), buf, n);
}

static void t_real_name(gc_value v, char *buf, size_t n)
{
    if (v == GC_NIL)
        snprintf(buf, n, "nil");
    else if (gc_is_int(v))
        snprintf(buf, n, "the integer %" PRId64, gc_int_value(v));
    else
        snprintf(buf, n, "a reference to %p", (void *)v);
}

/* Why the real reference v is not the object of node id (NULL: it is), as
 * a phrase that follows "%p: ". Reads the object only once the collector
 * says it lies in the heap. */
static const char *t_object_problem(torture *t, gc_value v, uint32_t id, char *buf, size_t n)
{
    const t_node *nd = t->nodes[id];
    gc_object *o = gc_ref(v);
    if (v & (GC_GRANULE - 1))
        return "misaligned";
    if (!t->ops->contains(t->h, o))
        return "not the start of any object memory of the heap (a dangling reference: the object was freed, "
               "or moved without this reference being updated)";
    uint64_t hdr = o->header;
    if (!gc_header_valid(hdr)) {
        snprintf(buf, n,
                 "its header word is %#" PRIx64 ", not an object header (a forwarding address or a free cell: "
                 "the object was moved or freed and this reference not updated)",
                 hdr);
        return buf;
    }
    uint32_t type = gc_header_type(hdr);
    const gc_type *ty = gc_type_get(type);
    if (type != t->type_id[nd->shape]) {
        snprintf(buf, n, "an object of type %s, not %s (another object, or garbage)",
                 ty ? ty->name : "(unregistered)", gc_type_get(t->type_id[nd->shape])->name);
        return buf;
    }
    if (gc_header_length(hdr) != nd->len) {
        snprintf(buf, n, "an object of length %" PRIu64 ", not %" PRIu64, gc_header_length(hdr), nd->len);
        return buf;
    }
    if (!t->ops->is_object(t->h, o))
        return "not an allocated object of the heap (the collector's is_object says no)";
    uint64_t rid = t_real_id(o, nd->shape);
    if (rid != id) {
        if (rid < t->nodes_cap && rid != 0 && t->nodes[rid]) {
            char name[96];
            t_node_name(t, (uint32_t)rid, name, sizeof name);
            snprintf(buf, n, "%s, another object (a reference now leads to the wrong object)", name);
        } else {
            snprintf(buf, n,
                     "an object carrying the id %" PRIu64 ", which no live object has (its memory was freed "
                     "and reused, or overwritten)",
                     rid);
        }
        return buf;
    }
    return NULL;
}

/* ---- roots ----------------------------------------------------------------------- */

typedef struct t_root {
    gc_value *slot;
    uint64_t *sh;
    uint32_t code;
} t_root;

static unsigned t_nroots(const torture *t)
{
    unsigned n = t->mdepth + (t->scanner_on ? T_SROOTS : 0);
    for (unsigned g = 0; g < T_GROOTS; g++)
        n += t->gon[g];
    return n;
}

/* Root r of t_nroots: mutator positions, then active globals, then the
 * scanner's slots. */
static t_root t_root_at(torture *t, unsigned r)
{
    if (r < t->mdepth) {
        unsigned k = t->mown[r];
        return (t_root){&t->mslot[k], &t->msh[k], T_ROOT_CODE(T_ROOT_M, r)};
    }
    r -= t->mdepth;
    for (unsigned g = 0; g < T_GROOTS; g++)
        if (t->gon[g] && r-- == 0)
            return (t_root){&t->gslot[g], &t->gsh[g], T_ROOT_CODE(T_ROOT_G, g)};
    GC_ASSERT(t->scanner_on && r < T_SROOTS);
    return (t_root){&t->sslot[r], &t->ssh[r], T_ROOT_CODE(T_ROOT_S, r)};
}

static int t_root_name(const torture *t, uint32_t code, char *buf, size_t n)
{
    unsigned i = code & 0xffffff;
    switch (code >> 24) {
    case T_ROOT_M:
        if (i < t->mdepth && t->mown[i] != i)
            return snprintf(buf, n, "mroot[%u] (the slot of mroot[%u])", i, t->mown[i]);
        return snprintf(buf, n, "mroot[%u]", i);
    case T_ROOT_G: return snprintf(buf, n, "global[%u]", i);
    default: return snprintf(buf, n, "scanner[%u]", i);
    }
}

static void t_scan_roots(void *data, gc_visit_fn visit, void *vctx)
{
    torture *t = data;
    for (unsigned i = 0; i < T_SROOTS; i++)
        visit(&t->sslot[i], vctx); /* nil and immediates too: core filters them */
}

/* ---- the check (T-1, T-2) --------------------------------------------------------------- */

static void t_map_grow(torture *t)
{
    size_t ocap = t->map_cap, ncap = ocap ? 2 * ocap : 4096;
    t_mapent *old = t->map;
    t->map = calloc(ncap, sizeof *t->map);
    if (!t->map)
        abort();
    t->map_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].epoch == t->epoch) {
            size_t j = mix64(old[i].key) & (ncap - 1);
            while (t->map[j].epoch == t->epoch)
                j = (j + 1) & (ncap - 1);
            t->map[j] = old[i];
        }
    free(old);
}

/* The node already found at address key in this walk; 0: none. */
static uint32_t t_map_get(const torture *t, uintptr_t key)
{
    if (!t->map_cap)
        return 0;
    for (size_t j = mix64(key) & (t->map_cap - 1); t->map[j].epoch == t->epoch; j = (j + 1) & (t->map_cap - 1))
        if (t->map[j].key == key)
            return t->map[j].id;
    return 0;
}

static void t_map_put(torture *t, uintptr_t key, uint32_t id)
{
    if (2 * (t->map_count + 1) > t->map_cap)
        t_map_grow(t);
    size_t j = mix64(key) & (t->map_cap - 1);
    while (t->map[j].epoch == t->epoch)
        j = (j + 1) & (t->map_cap - 1);
    t->map[j] = (t_mapent){key, id, t->epoch};
    t->map_count++;
}

/* The path from a root to slot `slot` of node `holder` (holder 0: the root
 * with code `slot`), through the parents this walk recorded. */
static void t_path(const torture *t, uint32_t holder, uint32_t slot, char *buf, size_t n)
{
    enum { MAX_STEPS = 48 };
    uint32_t hs[MAX_STEPS], ss[MAX_STEPS];
    unsigned k = 0;
    while (holder != 0 && k < MAX_STEPS) {
        hs[k] = holder;
        ss[k++] = slot;
        const t_node *nd = t->nodes[holder];
        slot = nd->pslot;
        holder = nd->parent;
    }
    size_t len = holder == 0 ? (size_t)t_root_name(t, slot, buf, n) : (size_t)snprintf(buf, n, "...");
    while (k-- > 0 && len < n) {
        const t_node *nd = t->nodes[hs[k]];
        len += (size_t)snprintf(buf + len, n - len, shape_is_record(nd->shape) ? ".f%" PRIu32 : "[%" PRIu32 "]",
                                ss[k]);
    }
}

static _Noreturn void t_mismatch(torture *t, uint32_t holder, uint32_t slot, uint64_t sv, const char *found)
{
    char path[512], want[128];
    t_path(t, holder, slot, path, sizeof path);
    t_sv_name(t, sv, want, sizeof want);
    t_end(t, GCB_EXIT_VERIFY_FAILED, "%s: %s: expected %s, found %s", t->when, path, want, found);
}

static void t_walk_push(torture *t, uint32_t id)
{
    if (t->map_count >= t->qcap) {
        t->qcap = t->qcap ? 2 * t->qcap : 4096;
        t->queue = t_xrealloc(t->queue, t->qcap * sizeof *t->queue);
    }
    t->queue[t->map_count] = id; /* one queue entry per mapped node */
}

/* Slot `slot` of node `holder` (or the root with that code) holds rv in the
 * heap and sv in the shadow graph. */
static void t_check_slot(torture *t, uint32_t holder, uint32_t slot, gc_value rv, uint64_t sv)
{
    char found[640];
    if (!sv_is_ref(sv)) {
        if (rv != (gc_value)sv) {
            t_real_name(rv, found, sizeof found);
            t_mismatch(t, holder, slot, sv, found);
        }
        return;
    }
    uint32_t id = sv_node(sv);
    t_node *nd = t->nodes[id];
    if (!gc_is_ref(rv)) {
        t_real_name(rv, found, sizeof found);
        t_mismatch(t, holder, slot, sv, found);
    }
    if (nd->epoch == t->epoch && nd->addr == rv)
        return; /* shared, and still shared */
    char why[512], first[512];
    const char *problem = t_object_problem(t, rv, id, why, sizeof why);
    if (problem) {
        snprintf(found, sizeof found, "%p: %s", (void *)rv, problem);
        t_mismatch(t, holder, slot, sv, found);
    }
    if (nd->epoch == t->epoch) {
        t_path(t, nd->parent, nd->pslot, first, sizeof first);
        snprintf(found, sizeof found,
                 "a copy at %p, while %s leads to it at %p: one object became two (sharing lost: e.g. copied "
                 "twice instead of following its forwarding address)",
                 (void *)rv, first, (void *)nd->addr);
        t_mismatch(t, holder, slot, sv, found);
    }
    uint32_t other = t_map_get(t, rv);
    if (other != 0) {
        char oname[96];
        t_path(t, t->nodes[other]->parent, t->nodes[other]->pslot, first, sizeof first);
        t_node_name(t, other, oname, sizeof oname);
        snprintf(found, sizeof found, "%p, where %s leads to %s: two objects merged into one", (void *)rv, first,
                 oname);
        t_mismatch(t, holder, slot, sv, found);
    }
    nd->epoch = t->epoch;
    nd->addr = rv;
    nd->parent = holder;
    nd->pslot = slot;
    t_walk_push(t, id);
    t_map_put(t, rv, id);
}

/* Compares a reached object's contents with its node (its slots through
 * t_check_slot). */
static void t_scan_node(torture *t, uint32_t id)
{
    t_node *nd = t->nodes[id];
    gc_object *o = (gc_object *)nd->addr;
    char found[256];
    switch (nd->shape) {
    case SH_BYTES:
        if (memcmp(gc_bytes(o), nd->w, (size_t)nd->len) != 0) {
            uint64_t i = 0;
            while (gc_bytes(o)[i] == ((uint8_t *)nd->w)[i])
                i++;
            snprintf(found, sizeof found, "byte %" PRIu64 " is %u, expected %u", i, gc_bytes(o)[i],
                     ((uint8_t *)nd->w)[i]);
            char path[512];
            t_path(t, nd->parent, nd->pslot, path, sizeof path);
            t_end(t, GCB_EXIT_VERIFY_FAILED, "%s: %s (#%" PRIu32 "): the string's contents changed: %s", t->when,
                  path, id, found);
        }
        return;
    case SH_VALUES:
    default:
        for (uint64_t i = 0; i < nd->len; i++) {
            uint64_t rw = gc_words(o)[i];
            if (t_slot_is_ref(nd, i)) {
                if (nd->shape == SH_REF_ARRAY && i == 0)
                    continue; /* the id, checked when the object was reached */
                t_check_slot(t, id, (uint32_t)i, (gc_value)rw, nd->w[i]);
            } else if (rw != nd->w[i]) {
                char path[512];
                t_path(t, nd->parent, nd->pslot, path, sizeof path);
                t_end(t, GCB_EXIT_VERIFY_FAILED,
                      "%s: %s (#%" PRIu32 "): raw word %" PRIu64 " is %#" PRIx64 ", expected %#" PRIx64
                      " (a non-reference word changed: traced as a reference, or overwritten)",
                      t->when, path, id, i, rw, nd->w[i]);
            }
        }
        return;
    }
}

/* Walks both graphs from every root (T-1, T-2), then frees the shadow
 * nodes the walk did not reach (T-4). */
static void t_check(torture *t)
{
    if (++t->epoch == 0) { /* wrapped: forget every stamp */
        for (size_t i = 0; i < t->nalive; i++)
            t->nodes[t->alive[i]]->epoch = 0;
        memset(t->map, 0, t->map_cap * sizeof *t->map);
        t->epoch = 1;
    }
    t->map_count = 0;
    unsigned nr = t_nroots(t);
    for (unsigned r = 0; r < nr; r++) {
        t_root root = t_root_at(t, r);
        t_check_slot(t, 0, root.code, *root.slot, *root.sh);
    }
    for (size_t q = 0; q < t->map_count; q++)
        t_scan_node(t, t->queue[q]);
    uint64_t live = 0;
    size_t k = 0;
    for (size_t i = 0; i < t->nalive; i++) {
        uint32_t id = t->alive[i];
        t_node *nd = t->nodes[id];
        if (nd->epoch == t->epoch) {
            t->alive[k++] = id;
            live += gc_size_for(t_shape_kind(nd->shape), nd->len);
        } else {
            t_free_node(t, id);
        }
    }
    t->nalive = k;
    t->res->last_live_bytes = live;
    if (live > t->res->max_live_bytes)
        t->res->max_live_bytes = live;
    if (k > t->res->max_live_objects)
        t->res->max_live_objects = k;
    t->res->sum_live_objects += k;
    t->res->checks++;
}

static void t_pause_end(void *data, const gc_pause *p)
{
    torture *t = data;
    t->collections++;
    t->res->collections = t->collections;
    snprintf(t->when, sizeof t->when, "after pause %" PRIu64 " (%s, %s)", p->seq, gc_pause_kind_name(p->kind),
             gc_reason_name(p->reason));
    t->heap_unsafe = true; /* a mismatch leaves the collector inside its pause */
    t_check(t);
    t->heap_unsafe = false;
}

static void t_exhausted(gc_heap *h, size_t request, void *data)
{
    (void)h;
    torture *t = data;
    t_end(t, GCB_EXIT_HEAP_EXHAUSTED,
          "a %zu-byte allocation did not fit in the %zu-byte heap (live at the last check: %" PRIu64
          " bytes): the operation mix outgrew --heap, not a collector bug",
          request, gc_heap_limit(t->h), t->res->last_live_bytes);
}

static void t_corrupt(gc_heap *h, const char *when, size_t problems, void *data)
{
    (void)h;
    torture *t = data;
    t->heap_unsafe = true;
    t_end(t, GCB_EXIT_HEAP_CORRUPT, "the heap verifier found %zu problem%s %s (reported on stderr)", problems,
          problems == 1 ? "" : "s", when);
}

/* ---- performing operations ----------------------------------------------------------- */

/* Appends to the running operation's description. */
static __attribute__((format(printf, 2, 3))) void t_say(torture *t, const char *fmt, ...)
{
    if (!t->desc)
        return;
    size_t len = strlen(t->dbuf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->dbuf + len, sizeof t->dbuf - len, fmt, ap);
    va_end(ap);
}

/* Reading a slot between collections: the real value must be the shadow's
 * (T-1), checked before the mutator follows it. */
static void t_read_check(torture *t, gc_value rv, uint64_t sv, const char *path)
{
    char found[640], want[128], why[512];
    const char *problem = NULL;
    if (sv_is_ref(sv) ? gc_is_ref(rv) && !(problem = t_object_problem(t, rv, sv_node(sv), why, sizeof why))
                      : rv == (gc_value)sv)
        return;
    if (problem)
        snprintf(found, sizeof found, "%p: %s", (void *)rv, problem);
    else
        t_real_name(rv, found, sizeof found);
    t_sv_name(t, sv, want, sizeof want);
    t_end(t, GCB_EXIT_VERIFY_FAILED, "between collections, reading %s: expected %s, found %s", path, want, found);
}

typedef struct t_ref {
    gc_object *o; /* NULL: none */
    uint32_t id;
    char path[192];
} t_ref;

/* An object reachable from the roots (T-3): the root sel % roots, then up
 * to T_PICK_STEPS steps through reference slots chosen by hashing sel.
 * Checks every slot it reads. With `holder`, only objects that have
 * reference slots (none if no root holds one); with `grow` too, it goes on
 * (up to T_GROW_STEPS more) while the object's reference slots are all
 * taken, so new objects deepen the graph instead of replacing a subtree. */
#define T_PICK_STEPS 5
#define T_GROW_STEPS 24
static bool t_has_nil_slot(const torture *t, const t_node *nd)
{
    for (unsigned k = 0, n = t_nrefs(t, nd); k < n; k++)
        if (nd->w[t_ref_slot(t, nd, k)] == 0)
            return true;
    return false;
}

static t_ref t_pick_path(torture *t, uint32_t sel, bool holder, bool grow)
{
    t_ref r = {0};
    unsigned nr = t_nroots(t);
    if (nr == 0)
        return r;
    t_root root = t_root_at(t, sel % nr);
    if (holder) /* the first root from there on that holds an object with reference slots */
        for (unsigned j = 0; j < nr; j++) {
            root = t_root_at(t, (sel + j) % nr);
            if (sv_is_ref(*root.sh) && t_nrefs(t, t->nodes[sv_node(*root.sh)]) > 0)
                break;
        }
    size_t len = (size_t)t_root_name(t, root.code, r.path, sizeof r.path);
    t_read_check(t, *root.slot, *root.sh, r.path);
    if (!sv_is_ref(*root.sh) || (holder && t_nrefs(t, t->nodes[sv_node(*root.sh)]) == 0))
        return r;
    r.o = gc_ref(*root.slot);
    r.id = sv_node(*root.sh);
    unsigned depth = mix32(sel) % (T_PICK_STEPS + 1);
    for (unsigned s = 0; s < depth + (grow ? T_GROW_STEPS : 0); s++) {
        const t_node *nd = t->nodes[r.id];
        unsigned n = t_nrefs(t, nd);
        if (n == 0 || (s >= depth && t_has_nil_slot(t, nd)))
            break;
        uint32_t i = t_ref_slot(t, nd, mix32(sel + (s + 1) * 0x9e3779b9u) % n);
        uint64_t sv = nd->w[i];
        size_t before = len;
        if (len < sizeof r.path)
            len += (size_t)snprintf(r.path + len, sizeof r.path - len,
                                    shape_is_record(nd->shape) ? ".f%" PRIu32 : "[%" PRIu32 "]", i);
        t_read_check(t, gc_slots(r.o)[i], sv, r.path);
        if (!sv_is_ref(sv) || (holder && t_nrefs(t, t->nodes[sv_node(sv)]) == 0)) {
            if (before < sizeof r.path)
                r.path[before] = '\0'; /* the path ends at the object holding a non-reference */
            break;
        }
        r.o = gc_ref(gc_slots(r.o)[i]);
        r.id = sv_node(sv);
    }
    return r;
}

static t_ref t_pick(torture *t, uint32_t sel) { return t_pick_path(t, sel, false, false); }

/* A reference slot to store into: a root (when the top four bits of c are
 * 0), or a reference slot of an object picked with b (c chooses which; with
 * `grow`, of an object found by going on down to one with a nil reference
 * slot, the first nil one from there on), or, when the path finds no object
 * with reference slots, the root b % roots. */
typedef struct t_loc {
    bool ok;
    gc_object *holder; /* NULL: a root slot */
    uint32_t holder_id, index;
    gc_value *slot;
    uint64_t *sh;
    char path[224];
} t_loc;

static t_loc t_pick_loc(torture *t, uint32_t b, uint32_t c, bool grow)
{
    t_loc l = {0};
    unsigned nr = t_nroots(t);
    if (nr == 0)
        return l;
    if (c >> 28) {
        t_ref r = t_pick_path(t, b, true, grow);
        unsigned n = r.o ? t_nrefs(t, t->nodes[r.id]) : 0;
        if (n > 0) {
            t_node *nd = t->nodes[r.id];
            unsigned k = (c >> 2 & 0x03ffffffu) % n;
            if (grow) /* the first nil slot from k on: the graph grows */
                for (unsigned j = 0; j < n; j++)
                    if (nd->w[t_ref_slot(t, nd, (k + j) % n)] == 0) {
                        k = (k + j) % n;
                        break;
                    }
            uint32_t i = t_ref_slot(t, nd, k);
            l = (t_loc){.ok = true, .holder = r.o, .holder_id = r.id, .index = i, .slot = &gc_slots(r.o)[i],
                        .sh = &nd->w[i]};
            snprintf(l.path, sizeof l.path, shape_is_record(nd->shape) ? "%s.f%" PRIu32 : "%s[%" PRIu32 "]",
                     r.path, i);
            return l;
        }
    }
    t_root root = t_root_at(t, b % nr);
    t_root_name(t, root.code, l.path, sizeof l.path);
    t_read_check(t, *root.slot, *root.sh, l.path);
    l.ok = true;
    l.slot = root.slot;
    l.sh = root.sh;
    return l;
}

/* Stores (rv, sv) at l: through the write barrier into an object, plainly
 * into a root slot. */
static void t_store(torture *t, const t_loc *l, gc_value rv, uint64_t sv)
{
    *l->sh = sv; /* first: a collection started by the barrier would see the new value in both */
    if (l->holder) {
        if (shape_is_record(t->nodes[l->holder_id]->shape))
            gc_set_field(t->m, l->holder, l->index, rv);
        else
            gc_set_elem(t->m, l->holder, l->index, rv);
    } else {
        *l->slot = rv;
    }
    char name[96];
    t_sv_name(t, sv, name, sizeof name);
    t_say(t, "%s := %s", l->path, name);
}

/* A value for a root: the object picked with sel, else nil. */
static void t_pick_value(torture *t, uint32_t sel, gc_value *rv, uint64_t *sv)
{
    t_ref r = t_pick(t, sel);
    *rv = r.o ? gc_value_of(r.o) : GC_NIL;
    *sv = r.o ? SV_REF(r.id) : 0;
}

static void t_push_root(torture *t, gc_value rv, uint64_t sv)
{
    unsigned i = t->mdepth++;
    t->mown[i] = (uint8_t)i;
    t->mslot[i] = rv;
    t->msh[i] = sv;
    gc_root(t->m, &t->mslot[i]);
}

static void t_pop_roots(torture *t, unsigned depth)
{
    for (unsigned i = depth; i < t->mdepth; i++)
        if (t->mown[i] == i)
            t->mslot[i] = GC_NIL, t->msh[i] = 0;
    t->mdepth = depth;
    gc_roots_restore(t->m, t->mbase + depth);
}

static void t_global_remove(torture *t, unsigned g)
{
    gc_heap_remove_root(t->h, &t->gslot[g]);
    t->gon[g] = false;
    t->gslot[g] = GC_NIL;
    t->gsh[g] = 0;
}

static void t_scanner_off(torture *t)
{
    gc_mutator_remove_root_scanner(t->m, t_scan_roots, t);
    t->scanner_on = false;
    for (unsigned i = 0; i < T_SROOTS; i++)
        t->sslot[i] = GC_NIL, t->ssh[i] = 0; /* no longer roots: they must not keep stale references */
}

/* Allocates first (T-1), then fills in the id and payload, then stores the
 * new object at the location b, c choose (a new mutator root when there is
 * no root at all). */
static void t_alloc(torture *t, int shape, uint64_t len, const t_op *op)
{
    gc_object *o;
    switch (shape) {
    case SH_REF_ARRAY: o = gc_alloc_ref_array(t->m, len); break;
    case SH_BYTES: o = gc_alloc_bytes(t->m, len); break;
    case SH_VALUES: o = gc_alloc_value_array(t->m, len); break;
    default:
        o = gc_alloc_record(t->m, t->type_id[shape]);
        len = gc_object_length(o);
        break;
    }
    uint32_t id = t_new_node(t, shape, len);
    t_node *nd = t->nodes[id];
    uint64_t s = ((uint64_t)op->a << 32) ^ id;
    switch (shape) {
    case SH_REF_ARRAY:
        gc_set_elem(t->m, o, 0, gc_int(id));
        nd->w[0] = gc_int(id);
        break;
    case SH_BYTES: {
        uint8_t *bytes = (uint8_t *)nd->w;
        memcpy(bytes, &(uint64_t){id}, 8);
        for (uint64_t i = 8; i < len; i++)
            bytes[i] = (uint8_t)(mix64(s + i) >> 56);
        memcpy(gc_bytes(o), bytes, (size_t)len);
        break;
    }
    case SH_VALUES:
        nd->w[0] = id;
        for (uint64_t i = 1; i < len; i++)
            nd->w[i] = mix64(s + i);
        memcpy(gc_words(o), nd->w, (size_t)len * 8);
        break;
    default:
        nd->w[0] = id;
        gc_set_word(o, 0, id);
        for (uint64_t i = 1; i < len; i++)
            if (!t_slot_is_ref(nd, i)) {
                nd->w[i] = mix64(s + i);
                gc_set_word(o, i, nd->w[i]);
            }
        break;
    }
    char name[96];
    t_node_name(t, id, name, sizeof name);
    t_say(t, "new %s; ", name);
    t_loc l = t_pick_loc(t, op->b, op->c, true);
    if (l.ok) {
        t_store(t, &l, gc_value_of(o), SV_REF(id));
    } else {
        t_push_root(t, gc_value_of(o), SV_REF(id));
        t_say(t, "mroot[%u] := it (a new root: there was none)", t->mdepth - 1);
    }
}

static void t_exec(torture *t, const t_op *op)
{
    char name[96];
    switch ((t_op_type)op->type) {
    case OP_ALLOC_RECORD: t_alloc(t, SH_REC_A + (int)(op->a % 3), 0, op); break;
    case OP_ALLOC_ARRAY: t_alloc(t, SH_REF_ARRAY, 1 + (op->a >> 8) % 16, op); break;
    case OP_ALLOC_STRING: t_alloc(t, SH_BYTES, 8 + (op->a >> 8) % 120, op); break;
    case OP_ALLOC_VALUES: t_alloc(t, SH_VALUES, 1 + (op->a >> 8) % 40, op); break;
    case OP_ALLOC_LARGE:
        if (op->a & 1)
            t_alloc(t, SH_REF_ARRAY, T_LARGE_MIN_ELEMS + (op->a >> 8) % 512, op);
        else
            t_alloc(t, SH_VALUES, T_LARGE_MIN_ELEMS + (op->a >> 8) % 3072, op);
        break;
    case OP_ALLOC_GARBAGE: {
        /* Objects nothing refers to: allocation volume, so collections
         * also start from the allocation slow path (heap limit, nursery
         * full), in the middle of the mutator's work. */
        unsigned count = 2048 + op->a % 16384;
        uint32_t x = op->b;
        for (unsigned i = 0; i < count; i++) {
            x = mix32(x + i);
            switch (x % 4) {
            case 0: gc_alloc_record(t->m, t->type_id[SH_REC_A + (x >> 8) % 3]); break;
            case 1: gc_alloc_ref_array(t->m, 1 + (x >> 8) % 24); break;
            case 2: gc_alloc_bytes(t->m, 1 + (x >> 8) % 200); break;
            default: gc_alloc_value_array(t->m, 1 + (x >> 8) % 24); break;
            }
        }
        t_say(t, "%u objects of garbage", count);
        break;
    }
    case OP_STORE_REF: {
        t_ref r = t_pick(t, op->a);
        t_loc l = t_pick_loc(t, op->b, op->c, (op->c & 3) != 0);
        if (l.ok) {
            t_store(t, &l, r.o ? gc_value_of(r.o) : GC_NIL, r.o ? SV_REF(r.id) : 0);
            if (r.o)
                t_say(t, " (from %s)", r.path);
        }
        break;
    }
    case OP_STORE_INT: {
        t_loc l = t_pick_loc(t, op->b, op->c, false);
        if (l.ok)
            t_store(t, &l, gc_int((int32_t)op->a), gc_int((int32_t)op->a));
        break;
    }
    case OP_STORE_NIL: {
        t_loc l = t_pick_loc(t, op->b, op->c, false);
        if (l.ok)
            t_store(t, &l, GC_NIL, 0);
        break;
    }
    case OP_STORE_WORD: {
        /* A raw word: a record's payload field, a value array's word, a
         * string's byte (never the id). No barrier. */
        t_ref r = t_pick(t, op->b);
        if (!r.o)
            break;
        t_node *nd = t->nodes[r.id];
        uint64_t w = mix64(((uint64_t)op->a << 32) | op->c);
        if (nd->shape == SH_BYTES) {
            uint64_t i = 8 + op->c % (nd->len - 7);
            if (i < nd->len) {
                ((uint8_t *)nd->w)[i] = (uint8_t)w;
                gc_bytes(r.o)[i] = (uint8_t)w;
                t_say(t, "byte %" PRIu64 " of %s := %u", i, r.path, (uint8_t)w);
            }
        } else if (nd->shape == SH_VALUES ? nd->len > 1 : shape_is_record(nd->shape)) {
            uint64_t i = 1 + op->c % (nd->len - 1);
            if (!t_slot_is_ref(nd, i)) {
                nd->w[i] = w;
                gc_set_word(r.o, i, w);
                t_say(t, "word %" PRIu64 " of %s := %#" PRIx64, i, r.path, w);
            }
        }
        break;
    }
    case OP_READ: {
        /* The path's slots were checked by t_pick; now every slot of the
         * object it ends at. */
        t_ref r = t_pick(t, op->a);
        if (!r.o)
            break;
        t_node *nd = t->nodes[r.id];
        char path[256];
        if (nd->shape == SH_BYTES) {
            if (memcmp(gc_bytes(r.o), nd->w, (size_t)nd->len) != 0)
                t_end(t, GCB_EXIT_VERIFY_FAILED, "between collections, reading %s: the string's contents changed",
                      r.path);
        } else {
            for (uint64_t i = 0; i < nd->len; i++) {
                snprintf(path, sizeof path, shape_is_record(nd->shape) ? "%s.f%" PRIu64 : "%s[%" PRIu64 "]",
                         r.path, i);
                if (t_slot_is_ref(nd, i))
                    t_read_check(t, gc_slots(r.o)[i], nd->w[i], path);
                else if (gc_words(r.o)[i] != nd->w[i])
                    t_end(t, GCB_EXIT_VERIFY_FAILED,
                          "between collections, reading %s: raw word %#" PRIx64 ", expected %#" PRIx64, path,
                          gc_words(r.o)[i], nd->w[i]);
            }
        }
        t_node_name(t, r.id, name, sizeof name);
        t_say(t, "read %s (%s)", r.path, name);
        break;
    }
    case OP_ROOT_PUSH: {
        if (t->mdepth == T_MROOTS)
            break;
        gc_value rv;
        uint64_t sv;
        t_pick_value(t, op->a, &rv, &sv);
        t_push_root(t, rv, sv);
        t_sv_name(t, sv, name, sizeof name);
        t_say(t, "push mroot[%u] := %s", t->mdepth - 1, name);
        break;
    }
    case OP_ROOT_DUP: {
        if (t->mdepth == 0 || t->mdepth == T_MROOTS)
            break;
        unsigned k = t->mown[op->a % t->mdepth], i = t->mdepth++;
        t->mown[i] = (uint8_t)k;
        gc_root(t->m, &t->mslot[k]); /* the same slot a second time: visited twice */
        t_say(t, "push mroot[%u] = the slot of mroot[%u] again", i, k);
        break;
    }
    case OP_ROOT_POP: {
        unsigned n = op->a % 4 == 0 ? 2 : 1;
        t_pop_roots(t, t->mdepth > n ? t->mdepth - n : 0);
        t_say(t, "pop the mutator roots to depth %u", t->mdepth);
        break;
    }
    case OP_GLOBAL_ADD: {
        unsigned g = op->a % T_GROOTS;
        gc_value rv;
        uint64_t sv;
        t_pick_value(t, op->b, &rv, &sv);
        t->gslot[g] = rv;
        t->gsh[g] = sv;
        if (!t->gon[g])
            gc_heap_add_root(t->h, &t->gslot[g]);
        t_sv_name(t, sv, name, sizeof name);
        t_say(t, "%s global[%u] := %s", t->gon[g] ? "reassign" : "add", g, name);
        t->gon[g] = true;
        break;
    }
    case OP_GLOBAL_REMOVE: {
        unsigned g = op->a % T_GROOTS;
        if (t->gon[g]) {
            t_global_remove(t, g);
            t_say(t, "remove global[%u]", g);
        }
        break;
    }
    case OP_SCANNER_TOGGLE:
        if (t->scanner_on) {
            t_scanner_off(t);
            t_say(t, "remove the root scanner (its slots cleared)");
        } else {
            gc_mutator_add_root_scanner(t->m, t_scan_roots, t);
            t->scanner_on = true;
            t_say(t, "add the root scanner");
        }
        break;
    case OP_SCANNER_SET: {
        if (!t->scanner_on)
            break;
        unsigned i = op->a % T_SROOTS;
        gc_value rv;
        uint64_t sv;
        if (op->c & 1) {
            rv = gc_int((int32_t)op->b); /* the scanner passes immediates too */
            sv = rv;
        } else {
            t_pick_value(t, op->b, &rv, &sv);
        }
        t->sslot[i] = rv;
        t->ssh[i] = sv;
        t_sv_name(t, sv, name, sizeof name);
        t_say(t, "scanner[%u] := %s", i, name);
        break;
    }
    case OP_COLLECT_MINOR:
        t_say(t, "gc_collect(GC_COLLECT_MINOR)");
        gc_collect(t->m, GC_COLLECT_MINOR);
        break;
    case OP_COLLECT_MAJOR:
        t_say(t, "gc_collect(GC_COLLECT_MAJOR)");
        gc_collect(t->m, GC_COLLECT_MAJOR);
        break;
    case OP_COLLECT_ANY:
        t_say(t, "gc_collect(GC_COLLECT_ANY)");
        gc_collect(t->m, GC_COLLECT_ANY);
        break;
    case OP_SAFEPOINT:
        t_say(t, "gc_safepoint");
        gc_safepoint(t->m);
        break;
    case OP_DROP_ALL:
        t_pop_roots(t, 0);
        for (unsigned g = 0; g < T_GROOTS; g++)
            if (t->gon[g])
                t_global_remove(t, g);
        if (t->scanner_on)
            t_scanner_off(t);
        t_say(t, "drop every root");
        break;
    case OP_COUNT: break;
    }
}

static void t_print_op(FILE *f, const t_op *op, const char *desc)
{
    fprintf(f, "%s %" PRIu32 " %" PRIu32 " %" PRIu32, t_op_info[op->type].name, op->a, op->b, op->c);
    if (desc && *desc)
        fprintf(f, "   # %s", desc);
    fputc('\n', f);
}

static void t_free(torture *t)
{
    for (size_t i = 0; i < t->nalive; i++)
        t_free_node(t, t->alive[i]);
    free(t->alive);
    free(t->nodes);
    free(t->map);
    free(t->queue);
    free(t);
}

/* One run of seq on a fresh heap, in this process; fills *res. With desc,
 * writes each operation with what it did (the failing one last). */
static void t_run(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg, const t_op *seq,
                  size_t n, t_result *res, FILE *desc)
{
    torture *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    memset(res, 0, sizeof *res);
    t->ops = ops;
    t->res = res;
    t->seq = seq;
    t->nseq = n;
    t->desc = desc;
    t->next_id = 1;
    snprintf(t->when, sizeof t->when, "at the start");
    if (setjmp(t->env) != 0) {
        if (desc && t->cur < n) {
            t_print_op(desc, &seq[t->cur], t->dbuf);
            fprintf(desc, "# ^ operation %zu fails: %s\n", t->cur, res->msg);
        }
        if (t->h && !t->heap_unsafe)
            gc_heap_destroy(t->h); /* else leaked: a collector was left mid-pause */
        t_free(t);
        return;
    }
    for (int r = 0; r < 3; r++) {
        t->type_id[r] = gc_type_register(t_records[r].type_name, t_records[r].layout);
        if (t->type_id[r] == GC_TYPE_INVALID)
            t_end(t, GCB_EXIT_ERROR, "cannot register the record type %s", t_records[r].type_name);
        for (unsigned i = 0; t_records[r].layout[i]; i++)
            if (t_records[r].layout[i] == 'r')
                t->rec_refs[r][t->rec_nrefs[r]++] = (uint8_t)i;
    }
    t->type_id[SH_REF_ARRAY] = GC_TYPE_REF_ARRAY;
    t->type_id[SH_BYTES] = GC_TYPE_BYTES;
    t->type_id[SH_VALUES] = GC_TYPE_VALUE_ARRAY;

    gc_config c = {.heap_limit = cfg->heap_limit, .stress = cfg->stress, .verify = cfg->verify, .options = options};
    char err[512] = "";
    t->h = gc_heap_create_with(ops, &c, err, sizeof err);
    if (!t->h) {
        if (gc_heap_create_failure() == GC_CREATE_TOO_SMALL) /* valid, but needs a bigger heap */
            t_end(t, GCB_EXIT_HEAP_EXHAUSTED, "%s", err);
        t_end(t, GCB_EXIT_USAGE, "%s", err[0] ? err : "cannot create the heap");
    }
    gc_heap_set_exhausted_handler(t->h, t_exhausted, t);
    gc_heap_set_corrupt_handler(t->h, t_corrupt, t);
    gc_event_listener l = {t_pause_end, t};
    gc_heap_set_listener(t->h, &l);
    t->m = gc_mutator_attach(t->h);
    t->mbase = gc_roots_save(t->m);

    for (t->cur = 0; t->cur < n; t->cur++) {
        res->op = t->cur;
        t->dbuf[0] = '\0';
        snprintf(t->when, sizeof t->when, "between collections");
        t_exec(t, &seq[t->cur]);
        if (desc) {
            t_print_op(desc, &seq[t->cur], t->dbuf[0] ? t->dbuf : "(nothing to do)");
            fflush(desc); /* all of it, should the next operation crash */
        }
    }
    gc_heap_finish(t->h);
    snprintf(t->when, sizeof t->when, "at the end");
    t_check(t);
    res->code = GCB_EXIT_OK;
    res->op = n;
    t_pop_roots(t, 0);
    for (unsigned g = 0; g < T_GROOTS; g++)
        if (t->gon[g])
            t_global_remove(t, g);
    if (t->scanner_on)
        t_scanner_off(t);
    gc_mutator_detach(t->m);
    gc_heap_destroy(t->h);
    t_free(t);
}

/* ---- isolation: one child process per run ------------------------------------------------- */

/* Runs seq like t_run, in a child process (unless cfg->no_fork) with
 * cfg->timeout: a crash or a hang becomes code 4 with what happened. With
 * desc, the child's description is copied to desc. Returns res->code. */
static int t_run_isolated(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg,
                          const t_op *seq, size_t n, t_result *res, FILE *desc)
{
    if (cfg->no_fork) {
        t_run(ops, options, cfg, seq, n, res, desc);
        return res->code;
    }
    t_result *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        snprintf(res->msg, sizeof res->msg, "mmap: %s", strerror(errno));
        return res->code = GCB_EXIT_ERROR;
    }
    memset(shared, 0, sizeof *shared);
    shared->code = -1;
    FILE *tmp = desc ? tmpfile() : NULL;
    fflush(stdout);
    fflush(stderr);
    if (desc)
        fflush(desc);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(res->msg, sizeof res->msg, "fork: %s", strerror(errno));
        munmap(shared, sizeof *shared);
        if (tmp)
            fclose(tmp);
        return res->code = GCB_EXIT_ERROR;
    }
    if (pid == 0) {
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM, SIGTRAP};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* SIGALRM (--timeout) must not be blocked */
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore); /* a crashing collector leaves no core file per attempt */
        if (cfg->timeout)
            alarm(cfg->timeout);
        t_run(ops, options, cfg, seq, n, shared, tmp);
        if (tmp)
            fflush(tmp);
        fflush(stderr);
        _exit(shared->code);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *res = *shared;
    munmap(shared, sizeof *shared);
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        res->code = GCB_EXIT_VERIFY_FAILED;
        res->timed_out = sig == SIGALRM;
        if (sig == SIGALRM)
            snprintf(res->msg, sizeof res->msg,
                     "the run did not finish within %u s (--timeout): a collection that never ends?", cfg->timeout);
        else
            snprintf(res->msg, sizeof res->msg, "the run crashed with signal %d (%s)%s", sig, strsignal(sig),
                     sig == SIGABRT ? "; see the assertion or message on stderr" : "");
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != res->code) {
        /* Something ended the child on its own (exit() in a collector). */
        res->code = WEXITSTATUS(st) == 0 ? GCB_EXIT_ERROR : WEXITSTATUS(st);
        snprintf(res->msg, sizeof res->msg, "the run exited with status %d", WEXITSTATUS(st));
    }
    if (tmp) {
        rewind(tmp);
        char buf[4096];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, tmp)) > 0)
            fwrite(buf, 1, k, desc);
        fclose(tmp);
    }
    return res->code;
}

/* ---- --shrink: delta debugging (Zeller's ddmin) ------------------------------------------------ */

typedef struct t_shrinker {
    const gc_collector_ops *ops;
    const char *options;
    const gcb_torture_cfg *cfg;
    int want;        /* the failure to keep: its exit code */
    uint64_t runs;
    t_result res;
} t_shrinker;

/* Does cand[0..n) still fail the same way? Then *n is cut after the
 * failing operation (what follows it cannot matter). */
static bool t_still_fails(t_shrinker *s, const t_op *cand, size_t *n)
{
    s->runs++;
    if (t_run_isolated(s->ops, s->options, s->cfg, cand, *n, &s->res, NULL) != s->want)
        return false;
    if (s->res.op < *n)
        *n = (size_t)s->res.op + 1;
    return true;
}

/* Reduces seq[0..*n) (which fails with s->want) in place to a sequence
 * that still fails and from which no chunk at the final granularity can be
 * removed (1-minimal when the run budget allows). */
static void t_shrink(t_shrinker *s, t_op *seq, size_t *n)
{
    t_op *cand = malloc(*n * sizeof *cand);
    if (!cand)
        abort();
    size_t gran = 2;
    while (*n >= 2 && s->runs < s->cfg->shrink_runs) {
        size_t chunk = (*n + gran - 1) / gran;
        bool reduced = false;
        /* a chunk alone */
        for (size_t start = 0; start < *n && !reduced && s->runs < s->cfg->shrink_runs; start += chunk) {
            size_t len = start + chunk <= *n ? chunk : *n - start;
            if (len == *n)
                break;
            memcpy(cand, seq + start, len * sizeof *cand);
            if (t_still_fails(s, cand, &len)) {
                memcpy(seq, cand, len * sizeof *seq);
                *n = len;
                gran = 2;
                reduced = true;
            }
        }
        /* everything but a chunk */
        for (size_t start = 0; start < *n && !reduced && s->runs < s->cfg->shrink_runs; start += chunk) {
            size_t end = start + chunk <= *n ? start + chunk : *n;
            memcpy(cand, seq, start * sizeof *cand);
            memcpy(cand + start, seq + end, (*n - end) * sizeof *cand);
            size_t len = *n - (end - start);
            if (len == 0)
                continue;
            if (t_still_fails(s, cand, &len)) {
                memcpy(seq, cand, len * sizeof *seq);
                *n = len;
                gran = gran > 2 ? gran - 1 : 2;
                reduced = true;
            }
        }
        if (!reduced) {
            if (gran >= *n)
                break;
            gran = 2 * gran < *n ? 2 * gran : *n;
        }
    }
    free(cand);
}

/* ---- sequences as text (--save, --replay, the shrunk sequence) ------------------------------------- */

static int t_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (gcb_parse_u64(s, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Reads a sequence: one operation per line, "NAME A B C"; blank lines,
 * '#' comments (a "# seed=N" line sets *seed) and "torture:" lines (so a
 * saved stdout replays) are skipped. Returns NULL after a message. */
static t_op *t_read_seq(const char *path, size_t *n, uint64_t *seed, bool *have_seed)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gcbench: torture: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    t_op *seq = NULL;
    size_t len = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    bool ok = true;
    while (ok && getline(&line, &lcap, f) >= 0) {
        lineno++;
        char *p = line + strspn(line, " \t");
        if (strncmp(p, "# seed=", 7) == 0) {
            char *e = p + 7 + strcspn(p + 7, " \t\r\n");
            *e = '\0';
            if (gcb_parse_u64(p + 7, seed) == 0)
                *have_seed = true;
            continue;
        }
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        if (strncmp(p, "torture:", 8) == 0)
            continue;
        char *tok[5];
        int k = 0;
        for (char *save = NULL, *w = strtok_r(p, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
            if (k < 5)
                tok[k++] = w;
            else
                k++;
        if (k == 0)
            continue;
        unsigned type = 0;
        while (type < OP_COUNT && strcmp(tok[0], t_op_info[type].name) != 0)
            type++;
        t_op op = {type, 0, 0, 0};
        if (type == OP_COUNT) {
            fprintf(stderr, "gcbench: torture: %s:%zu: unknown operation '%s'\n", path, lineno, tok[0]);
            ok = false;
        } else if (k != 4 || t_parse_u32(tok[1], &op.a) || t_parse_u32(tok[2], &op.b) ||
                   t_parse_u32(tok[3], &op.c)) {
            fprintf(stderr, "gcbench: torture: %s:%zu: expected '%s A B C' (three numbers below 2^32)\n", path,
                    lineno, tok[0]);
            ok = false;
        } else {
            if (len == cap) {
                cap = cap ? 2 * cap : 256;
                seq = t_xrealloc(seq, cap * sizeof *seq);
            }
            seq[len++] = op;
        }
    }
    if (ok && ferror(f)) {
        fprintf(stderr, "gcbench: torture: error reading '%s'\n", path);
        ok = false;
    }
    if (ok && len == 0) {
        fprintf(stderr, "gcbench: torture: '%s' holds no operation\n", path);
        ok = false;
    }
    free(line);
    fclose(f);
    if (!ok) {
        free(seq);
        return NULL;
    }
    *n = len;
    return seq;
}

static void t_fmt_size(size_t b, char *buf, size_t n)
{
    if (b % (1u << 20) == 0)
        snprintf(buf, n, "%zuM", b >> 20);
    else if (b % 1024 == 0)
        snprintf(buf, n, "%zuK", b >> 10);
    else
        snprintf(buf, n, "%zu", b);
}

/* The gcbench command line that reruns this configuration (without the
 * sequence's source). */
static void t_cmdline(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg, char *buf,
                      size_t n)
{
    char heap[32];
    t_fmt_size(cfg->heap_limit, heap, sizeof heap);
    size_t len = (size_t)snprintf(buf, n, "gcbench torture --collector=%s%s%s --heap=%s", ops->name,
                                  options && *options ? ":" : "", options ? options : "", heap);
    if (cfg->stress && len < n)
        len += (size_t)snprintf(buf + len, n - len, " --stress=%" PRIu64, cfg->stress);
    if (cfg->verify && len < n)
        snprintf(buf + len, n - len, " --verify");
}

static int t_save(const char *path, const t_op *seq, size_t n, uint64_t seed, const char *cmd, const char *described)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gcbench: torture: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# gcbench torture sequence: %zu operations; replay with\n#   %s --replay=FILE\n# seed=%" PRIu64 "\n", n,
            cmd, seed);
    if (described)
        fputs(described, f);
    else
        for (size_t i = 0; i < n; i++)
            t_print_op(f, &seq[i], NULL);
    if (fclose(f) != 0) {
        fprintf(stderr, "gcbench: torture: error writing '%s'\n", path);
        return -1;
    }
    return 0;
}

/* ---- the entry points ------------------------------------------------------------------------------ */

void gcb_torture_cfg_init(gcb_torture_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;
    cfg->ops = GCB_TORTURE_DEFAULT_OPS;
    cfg->heap_limit = GCB_TORTURE_DEFAULT_HEAP;
    cfg->timeout = GCB_TORTURE_DEFAULT_TIMEOUT;
    cfg->shrink_runs = GCB_TORTURE_DEFAULT_SHRINK_RUNS;
}

int gcb_torture_run(const gc_collector_ops *ops, const char *options, const gcb_torture_cfg *cfg, FILE *out)
{
    char msg[512];
    const char *bad = ops ? gc_collector_check(ops) : "no collector";
    if (bad) {
        fprintf(stderr, "gcbench: torture: bad collector descriptor: %s\n", bad);
        return GCB_EXIT_USAGE;
    }
    if (gc_collector_check_options(ops, options, msg, sizeof msg) != 0) {
        fprintf(stderr, "gcbench: torture: %s\n", msg);
        return GCB_EXIT_USAGE;
    }
    if (!cfg->replay && (cfg->ops == 0 || cfg->ops > GCB_TORTURE_MAX_OPS)) {
        fprintf(stderr, "gcbench: torture: the number of operations must be 1 to %d\n", GCB_TORTURE_MAX_OPS);
        return GCB_EXIT_USAGE;
    }
    if (cfg->shrink && cfg->no_fork) {
        fprintf(stderr, "gcbench: torture: --shrink needs a process per run (not --no-fork)\n");
        return GCB_EXIT_USAGE;
    }
    uint64_t seed = cfg->seed;
    bool have_seed = false;
    size_t n;
    t_op *seq;
    if (cfg->replay) {
        seq = t_read_seq(cfg->replay, &n, &seed, &have_seed);
        if (!seq)
            return GCB_EXIT_USAGE;
    } else {
        n = (size_t)cfg->ops;
        seq = t_generate(seed, n);
    }
    char cmd[1024], heap[32];
    t_cmdline(ops, options, cfg, cmd, sizeof cmd);
    t_fmt_size(cfg->heap_limit, heap, sizeof heap);
    if (!cfg->quiet)
        fprintf(out, "torture: collector=%s%s%s seed=%" PRIu64 " ops=%zu heap=%s%s%s%s\n", ops->name,
                options && *options ? ":" : "", options ? options : "", seed, n, heap,
                cfg->stress ? " stress=on" : "", cfg->verify ? " verify=on" : "",
                cfg->replay ? " (replay)" : "");
    t_result res;
    uint64_t t0 = uv_hrtime();
    int code = t_run_isolated(ops, options, cfg, seq, n, &res, NULL);
    uint64_t run_s = (uv_hrtime() - t0) / 1000000000u;
    int rc = code;
    char *described = NULL;
    size_t shrunk_n = n;
    switch (code) {
    case GCB_EXIT_OK:
        if (!cfg->quiet)
            fprintf(out, "torture: live at the checks: at most %" PRIu64 " objects (%" PRIu64 " bytes), %" PRIu64
                         " on average\n",
                    res.max_live_objects, res.max_live_bytes, res.checks ? res.sum_live_objects / res.checks : 0);
        fprintf(out, "torture: ok seed=%" PRIu64 " ops=%zu collections=%" PRIu64 "\n", seed, n, res.collections);
        break;
    case GCB_EXIT_USAGE:
    case GCB_EXIT_ERROR:
        fprintf(stderr, "gcbench: torture: %s\n", res.msg);
        break;
    case GCB_EXIT_HEAP_EXHAUSTED:
        fprintf(out, "torture: heap exhausted seed=%" PRIu64 " op=%" PRIu64 ": %s\n", seed, res.op, res.msg);
        break;
    case GCB_EXIT_HEAP_CORRUPT:
    case GCB_EXIT_VERIFY_FAILED:
    default:
        fprintf(out, "torture: %s seed=%" PRIu64 " op=%" PRIu64 ": %s\n",
                code == GCB_EXIT_HEAP_CORRUPT ? "CORRUPT" : "MISMATCH", seed, res.op, res.msg);
        if (!cfg->quiet)
            fprintf(out, "torture: rerun with: %s --seed=%" PRIu64 " --ops=%" PRIu64 "%s\n", cmd, seed,
                    res.op < n ? res.op + 1 : (uint64_t)n, cfg->replay ? " (or the same --replay)" : "");
        if (cfg->shrink) {
            /* Attempts run shorter prefixes of the sequence: a hang needs
             * not wait for the whole --timeout each time. */
            gcb_torture_cfg scfg = *cfg;
            uint64_t limit = res.timed_out ? 10 : 2 + 4 * run_s;
            if (scfg.timeout > limit)
                scfg.timeout = (unsigned)limit;
            t_shrinker s = {.ops = ops, .options = options, .cfg = &scfg, .want = code};
            shrunk_n = res.op < n ? (size_t)res.op + 1 : n;
            if (!cfg->quiet)
                fprintf(out, "torture: shrinking %zu operations (at most %" PRIu64 " runs)\n", shrunk_n,
                        cfg->shrink_runs);
            fflush(out);
            t_shrink(&s, seq, &shrunk_n);
            /* Once more, describing each operation. */
            size_t dlen = 0;
            FILE *d = open_memstream(&described, &dlen);
            if (!d)
                abort();
            t_result last;
            int lc = t_run_isolated(ops, options, &scfg, seq, shrunk_n, &last, d);
            fclose(d);
            fprintf(out, "# %zu operations (of the first %" PRIu64 ") that still fail; save these lines and "
                         "replay them with\n#   %s --replay=FILE\n# seed=%" PRIu64 "\n%s",
                    shrunk_n, res.op + 1, cmd, seed, described);
            fprintf(out, "torture: shrunk seed=%" PRIu64 " ops=%zu (from %zu, %" PRIu64 " runs) op=%" PRIu64 ": %s\n",
                    seed, shrunk_n, n, s.runs, last.op,
                    lc == code ? last.msg : "(no longer fails: is the collector deterministic?)");
        }
        break;
    }
    if (cfg->save && t_save(cfg->save, seq, shrunk_n, seed, cmd, described) != 0 && rc == GCB_EXIT_OK)
        rc = GCB_EXIT_ERROR;
    free(described);
    free(seq);
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "gcbench: torture: error writing the output\n");
        if (rc == GCB_EXIT_OK)
            rc = GCB_EXIT_ERROR;
    }
    return rc;
}

void gcb_torture_usage(FILE *f)
{
    fprintf(f,
            "Usage: gcbench torture --collector=NAME[:OPTIONS] [--seed=N] [--ops=N] [--heap=SIZE]\n"
            "                       [--stress=N] [--verify] [--shrink] [--quiet]\n"
            "                       [--replay=FILE] [--save=FILE] [--timeout=SECONDS] [--no-fork]\n"
            "\n"
            "Random mutator operations (allocate records, arrays, strings, large objects; store\n"
            "references, integers and raw words; add and drop mutator roots, global roots and a\n"
            "root scanner; collect minor, major, any; safepoints) on a fresh heap, mirrored in a\n"
            "shadow graph; after every collection and at the end the reachable graph is compared\n"
            "with the shadow (shape, identities, kinds, lengths, payloads). See docs/torture.md.\n"
            "\n"
            "  --collector=NAME[:OPTIONS]  the collector (required; see gcbench --list)\n"
            "  --seed=N          the operations' seed (default: a new one each run, printed)\n"
            "  --ops=N           operations to run, 1 to %d (default %d)\n"
            "  --heap=SIZE       heap limit, bytes or K/M/G (default %zuM)\n"
            "  --stress=N        collect every N allocations too (N > 0)\n"
            "  --verify          core's heap verifier after every collection too (exit 6)\n"
            "  --shrink          on a failure, reduce the failing sequence (delta debugging)\n"
            "                    and print it, one operation per line, replayable\n"
            "  --replay=FILE     run the operations in FILE (as --save or --shrink print them)\n"
            "  --save=FILE       write the sequence run (the shrunk one with --shrink) to FILE\n"
            "  --timeout=SECONDS a run taking longer counts as a hang (default %d; 0: none)\n"
            "  --shrink-runs=N   most runs --shrink may spend (default %d)\n"
            "  --no-fork         run in this process (for a debugger); crashes are not caught\n"
            "  -q, --quiet       print only the result lines\n"
            "\n"
            "Last line: 'torture: ok seed=S ops=N collections=C', or 'torture: MISMATCH seed=S\n"
            "op=I: what' (with --shrink, then the shrunk sequence and 'torture: shrunk ...').\n"
            "Exit status: 0 clean, 2 bad input, 3 heap exhausted (the operations outgrew --heap;\n"
            "not a collector bug), 4 mismatch (or the run crashed or hung), 6 the heap verifier\n"
            "found corruption (--verify), 1 other errors.\n",
            GCB_TORTURE_MAX_OPS, GCB_TORTURE_DEFAULT_OPS, GCB_TORTURE_DEFAULT_HEAP >> 20,
            GCB_TORTURE_DEFAULT_TIMEOUT, GCB_TORTURE_DEFAULT_SHRINK_RUNS);
}

static int t_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int t_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gcbench: torture: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'gcbench torture --help'.\n", stderr);
    va_end(ap);
    return GCB_EXIT_USAGE;
}

int gcb_torture_main(int argc, char *argv[])
{
    enum { O_COLLECTOR = 256, O_SEED, O_OPS, O_HEAP, O_STRESS, O_VERIFY, O_SHRINK, O_REPLAY, O_SAVE, O_TIMEOUT,
           O_NOFORK, O_SHRINK_RUNS };
    static const struct option longopts[] = {
        {"collector", required_argument, NULL, O_COLLECTOR}, {"seed", required_argument, NULL, O_SEED},
        {"ops", required_argument, NULL, O_OPS},             {"heap", required_argument, NULL, O_HEAP},
        {"stress", required_argument, NULL, O_STRESS},       {"verify", no_argument, NULL, O_VERIFY},
        {"shrink", no_argument, NULL, O_SHRINK},             {"replay", required_argument, NULL, O_REPLAY},
        {"save", required_argument, NULL, O_SAVE},           {"timeout", required_argument, NULL, O_TIMEOUT},
        {"no-fork", no_argument, NULL, O_NOFORK},            {"shrink-runs", required_argument, NULL, O_SHRINK_RUNS},
        {"quiet", no_argument, NULL, 'q'},                   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gcb_torture_cfg cfg;
    gcb_torture_cfg_init(&cfg);
    const char *spec = NULL;
    bool seed_given = false, ops_given = false;
    uint64_t v;
    optind = 0; /* GNU: a full reset */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case O_COLLECTOR: spec = optarg; break;
        case O_SEED:
            if (gcb_parse_u64(optarg, &cfg.seed) != 0)
                return t_usage_error("bad --seed '%s' (expected a non-negative integer)", optarg);
            seed_given = true;
            break;
        case O_OPS:
            if (gcb_parse_u64(optarg, &v) != 0 || v == 0 || v > GCB_TORTURE_MAX_OPS)
                return t_usage_error("bad --ops '%s' (expected 1 to %d)", optarg, GCB_TORTURE_MAX_OPS);
            cfg.ops = v;
            ops_given = true;
            break;
        case O_HEAP:
            if (gcb_parse_size(optarg, &cfg.heap_limit) != 0)
                return t_usage_error("bad --heap '%s' (expected a size such as 512K, 8M or 1G)", optarg);
            break;
        case O_STRESS:
            if (gcb_parse_u64(optarg, &cfg.stress) != 0 || cfg.stress == 0)
                return t_usage_error("bad --stress '%s' (expected a positive integer)", optarg);
            break;
        case O_TIMEOUT:
            if (gcb_parse_u64(optarg, &v) != 0 || v > 86400)
                return t_usage_error("bad --timeout '%s' (expected 0 to 86400 seconds)", optarg);
            cfg.timeout = (unsigned)v;
            break;
        case O_SHRINK_RUNS:
            if (gcb_parse_u64(optarg, &cfg.shrink_runs) != 0 || cfg.shrink_runs == 0)
                return t_usage_error("bad --shrink-runs '%s' (expected a positive integer)", optarg);
            break;
        case O_VERIFY: cfg.verify = true; break;
        case O_SHRINK: cfg.shrink = true; break;
        case O_REPLAY: cfg.replay = optarg; break;
        case O_SAVE: cfg.save = optarg; break;
        case O_NOFORK: cfg.no_fork = true; break;
        case 'q': cfg.quiet = true; break;
        case 'h':
            gcb_torture_usage(stdout);
            return fflush(stdout) == 0 && !ferror(stdout) ? GCB_EXIT_OK : GCB_EXIT_ERROR;
        case ':': return t_usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return t_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return t_usage_error("unexpected argument '%s'", argv[optind]);
    if (!spec)
        return t_usage_error("which collector? (--collector=NAME; see gcbench --list)");
    if (cfg.replay && ops_given)
        return t_usage_error("--replay runs the operations of its file: --ops does not apply");
    char name[128], names[512];
    const char *options = gc_collector_spec_split(spec, name, sizeof name);
    const gc_collector_ops *ops = gc_collector_find(name);
    if (!ops) {
        gc_collector_names(names, sizeof names);
        return t_usage_error("unknown collector '%s' (available: %s)", name, names);
    }
    if (cfg.heap_limit < GC_MIN_HEAP_LIMIT)
        return t_usage_error("--heap must be at least %zuK", GC_MIN_HEAP_LIMIT >> 10);
    if (!seed_given && !cfg.replay)
        cfg.seed = uv_hrtime() ^ ((uint64_t)getpid() << 32); /* a new seed each run; printed */
    return gcb_torture_run(ops, options, &cfg, stdout);
}
