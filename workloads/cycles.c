/* workloads/cycles.c — "cycles": cyclic garbage and cyclic live data.
 *
 * What it models
 *   Programs whose data is full of cycles: doubly-linked lists, graphs with
 *   back edges, objects that point at each other. Every cycle is trivial for
 *   a tracing collector and the classic weakness of reference counting: a
 *   dropped cycle keeps every count above zero, so it leaks unless a cycle
 *   collector finds it. Each step of the run allocates
 *     - `pairs` pairs of nodes pointing at each other, dropped at once (the
 *       textbook reference-counting leak);
 *     - one doubly-linked ring of 2..ring_max nodes;
 *     - one random graph of graph_min..graph_max nodes: node i has 1..4
 *       out-edges in a reference array; edge 0 goes to node i+1 (the last
 *       node back to node 0, so the graph is one big cycle reachable from
 *       node 0) and the others to random nodes, about half of them back edges.
 *   A new ring or graph is dropped at once, or (keep_pct %) replaces a random
 *   entry of a rooted "window" array (medium-lived data that becomes cyclic
 *   garbage when it is replaced), or (the first `forever` structures, made
 *   on every forever_every-th step) stays live for the whole run.
 *
 * Objects
 *   CyNode "rrii" {next, prev, id, payload}: pair halves and ring nodes,
 *     40 bytes (48-byte free-list cell).
 *   GNode "rii" {edges, id, payload}: 32 bytes, plus its edge array
 *     (reference array of 1..4 elements, 16..40 bytes).
 *   While a graph is built, a holder array of its nodes (8 + 8 n bytes; a
 *   large object above 1023 nodes) keeps them rooted; it dies at once.
 *   The window and forever arrays: reference arrays of `window` and
 *   `forever` elements.
 *
 * Shape specification (so nothing but a few numbers is kept outside the heap)
 *   Structure number `serial` (2*step for the ring, 2*step+1 for the graph)
 *   has seed s = mix(run seed, serial); its length, node payloads, degrees
 *   and edge targets are pure functions of s (ring_len, graph_len, payload,
 *   graph_degree, graph_target). The mutator keeps only the serial of each
 *   window and forever entry (plain malloc'd arrays).
 *
 * Verification
 *   Every surviving ring and graph (window and forever entries at the end,
 *   and each window entry when it is replaced) is walked and compared with
 *   its specification: a ring must be `len` CyNodes with id = position and
 *   the expected payload, each node's next.prev must be the node itself, and
 *   `len` next steps must come back to the head; a graph is walked
 *   breadth-first from node 0 and every node must be a GNode with the
 *   expected id, payload, degree and edge targets, each id must be one
 *   object, and all n nodes must be reached. Each pair is checked (a.next ==
 *   b, b.next == a, both CyNodes) right after it is built. Counts of
 *   surviving structures and nodes must match, and the detail reports an
 *   order-sensitive checksum over everything walked (ids, payloads, degrees,
 *   targets), which is identical for identical seeds. Walks are bounded by
 *   the specification, so a corrupted cycle cannot make them loop.
 *
 * Rooting
 *   Strict (core/heap.h): the node under construction, the ring's tail, the
 *   graph's holder array and edge array are root slots, re-read after every
 *   allocation; stores of references go through gc_set_field / gc_set_elem.
 *   Verification does not allocate, so it uses raw pointers.
 *
 * Debug hook (wl_config.debug_corrupt, 1..4; other values wrap around)
 *   1 change the payload of a node of the first forever ring (raw store);
 *   2 point a forever ring node's prev at itself (breaks prev/next
 *     consistency);
 *   3 redirect edge 0 of the first forever graph's node 0 back to node 0;
 *   4 drop the first forever graph (store nil into the forever array).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

typedef struct cy_params {
    uint32_t steps;
    uint32_t pairs;          /* pairs per step, dropped at once */
    uint32_t ring_max;       /* ring lengths 2..ring_max */
    uint32_t graph_min, graph_max; /* graph node counts */
    uint32_t window;         /* window slots (medium-lived structures) */
    uint32_t keep_pct;       /* % of new structures that enter the window */
    uint32_t forever;        /* structures live for the whole run (even) */
    uint32_t forever_every;  /* a step making forever structures every N steps */
} cy_params;

static const cy_params cy_sizes[] = {
    [WL_SIZE_SMALL] = {900, 8, 64, 8, 96, 32, 25, 8, 8},
    [WL_SIZE_DEFAULT] = {30000, 16, 256, 16, 1024, 1024, 25, 64, 64},
    [WL_SIZE_LARGE] = {100000, 16, 512, 16, 2048, 4096, 25, 256, 128},
};

enum { CY_NEXT = 0, CY_PREV = 1, CY_ID = 2, CY_PAYLOAD = 3 }; /* CyNode fields */
enum { G_EDGES = 0, G_ID = 1, G_PAYLOAD = 2 };                /* GNode fields */
enum { CY_MAX_DEGREE = 4, CY_NMODES = 4 };

/* ---- Specification: pure functions of the structure's seed --------------------- */

static uint64_t spec_seed(uint64_t run_seed, uint64_t serial)
{
    return wl_mix64(run_seed ^ wl_mix64(serial));
}
static bool serial_is_ring(uint64_t serial) { return (serial & 1) == 0; }

static uint32_t ring_len(const cy_params *p, uint64_t s)
{
    return 2 + (uint32_t)(wl_mix64(s) % (p->ring_max - 1));
}
static uint32_t graph_len(const cy_params *p, uint64_t s)
{
    return p->graph_min + (uint32_t)(wl_mix64(s) % (p->graph_max - p->graph_min + 1));
}
static uint64_t payload(uint64_t s, uint64_t k) { return wl_mix64(s + k + 1); }
static uint32_t graph_degree(uint64_t s, uint32_t i)
{
    return 1 + (uint32_t)(wl_mix64(s ^ ((uint64_t)i << 32)) % CY_MAX_DEGREE);
}
static uint32_t graph_target(uint64_t s, uint32_t n, uint32_t i, uint32_t e)
{
    if (e == 0)
        return i + 1 == n ? 0 : i + 1;
    return (uint32_t)(wl_mix64(s ^ ((uint64_t)i << 32) ^ ((uint64_t)e << 29) ^ 0x5bd1e995) % n);
}

/* ---- Run state ------------------------------------------------------------------ */

typedef struct cy_ctx {
    gc_mutator *m;
    const cy_params *p;
    uint64_t seed;
    uint32_t cy_type, g_type;
    /* verification */
    uint64_t checksum;
    uint64_t pairs_bad;  /* pairs found broken right after construction */
    uint64_t checked, bad, nodes;
    char first[128];
    gc_object **obj_of; /* graph walk scratch, graph_max entries, all NULL between walks */
    uint32_t *queue;
} cy_ctx;

/* ---- Construction (roots: every value live across an allocation is a slot) ------ */

static gc_object *new_cynode(cy_ctx *c, uint64_t id, uint64_t pay)
{
    gc_object *o = gc_alloc_record(c->m, c->cy_type);
    gc_set_word(o, CY_ID, id);
    gc_set_word(o, CY_PAYLOAD, pay);
    return o;
}

/* Two nodes pointing at each other, checked and dropped. */
static void make_pair(cy_ctx *c, uint64_t k)
{
    gc_mutator *m = c->m;
    size_t saved = gc_roots_save(m);
    gc_value r[2];
    wl_root_slots(m, r, 2);
    r[0] = gc_value_of(new_cynode(c, 0, k));
    r[1] = gc_value_of(new_cynode(c, 1, k));
    gc_set_field(m, gc_ref(r[0]), CY_NEXT, r[1]);
    gc_set_field(m, gc_ref(r[0]), CY_PREV, r[1]);
    gc_set_field(m, gc_ref(r[1]), CY_NEXT, r[0]);
    gc_set_field(m, gc_ref(r[1]), CY_PREV, r[0]);
    gc_safepoint(m);
    bool ok = wl_is_type(r[0], c->cy_type) && wl_is_type(r[1], c->cy_type) &&
              gc_field(gc_ref(r[0]), CY_NEXT) == r[1] && gc_field(gc_ref(r[1]), CY_NEXT) == r[0];
    if (!ok) {
        c->pairs_bad++;
        wl_note(c->first, sizeof c->first, "pair %" PRIu64 " not linked", k);
    }
    gc_roots_restore(m, saved);
}

/* Builds ring `s` into the root slot *out. */
static void build_ring(cy_ctx *c, uint64_t s, gc_value *out)
{
    gc_mutator *m = c->m;
    uint32_t len = ring_len(c->p, s);
    size_t saved = gc_roots_save(m);
    gc_value tail = GC_NIL, cur = GC_NIL;
    gc_root(m, &tail);
    gc_root(m, &cur);
    *out = GC_NIL;
    for (uint32_t k = 0; k < len; k++) {
        cur = gc_value_of(new_cynode(c, k, payload(s, k)));
        if (k == 0) {
            *out = cur;
        } else {
            gc_set_field(m, gc_ref(tail), CY_NEXT, cur);
            gc_set_field(m, gc_ref(cur), CY_PREV, tail);
        }
        tail = cur;
    }
    gc_set_field(m, gc_ref(tail), CY_NEXT, *out);
    gc_set_field(m, gc_ref(*out), CY_PREV, tail);
    gc_roots_restore(m, saved);
}

/* Builds graph `s` into the root slot *out (its node 0). */
static void build_graph(cy_ctx *c, uint64_t s, gc_value *out)
{
    gc_mutator *m = c->m;
    uint32_t n = graph_len(c->p, s);
    size_t saved = gc_roots_save(m);
    gc_value holder = GC_NIL, edges = GC_NIL;
    gc_root(m, &holder);
    gc_root(m, &edges);
    holder = gc_value_of(gc_alloc_ref_array(m, n));
    for (uint32_t i = 0; i < n; i++) {
        edges = gc_value_of(gc_alloc_ref_array(m, graph_degree(s, i)));
        gc_object *node = gc_alloc_record(m, c->g_type); /* may move holder, edges */
        gc_set_word(node, G_ID, i);
        gc_set_word(node, G_PAYLOAD, payload(s, i));
        gc_set_field(m, node, G_EDGES, edges);
        gc_set_elem(m, gc_ref(holder), i, gc_value_of(node));
    }
    /* Link: no allocation from here on. */
    gc_object *h = gc_ref(holder);
    for (uint32_t i = 0; i < n; i++) {
        gc_object *e = gc_ref(gc_field(gc_ref(gc_elem(h, i)), G_EDGES));
        uint32_t deg = graph_degree(s, i);
        for (uint32_t k = 0; k < deg; k++)
            gc_set_elem(m, e, k, gc_elem(h, graph_target(s, n, i, k)));
    }
    *out = gc_elem(h, 0);
    gc_roots_restore(m, saved);
}

/* ---- Checking (no allocation) ---------------------------------------------------- */

static bool check_ring(cy_ctx *c, gc_value head, uint64_t serial, uint64_t s)
{
    uint32_t len = ring_len(c->p, s);
    gc_value cur = head;
    for (uint32_t k = 0; k < len; k++) {
        if (!wl_is_type(cur, c->cy_type)) {
            wl_note(c->first, sizeof c->first, "ring %" PRIu64 ": node %u is not a CyNode",
                    serial, k);
            return false;
        }
        gc_object *o = gc_ref(cur);
        uint64_t id = gc_words(o)[CY_ID], pay = gc_words(o)[CY_PAYLOAD];
        c->checksum = wl_hash_word(wl_hash_word(c->checksum, id), pay);
        c->nodes++;
        if (id != k || pay != payload(s, k)) {
            wl_note(c->first, sizeof c->first, "ring %" PRIu64 ": node %u has %s %" PRIu64,
                    serial, k, id != k ? "id" : "payload", id != k ? id : pay);
            return false;
        }
        gc_value next = gc_field(o, CY_NEXT);
        if (!wl_is_type(next, c->cy_type) || gc_field(gc_ref(next), CY_PREV) != cur) {
            wl_note(c->first, sizeof c->first,
                    "ring %" PRIu64 ": node %u: next.prev is not the node", serial, k);
            return false;
        }
        cur = next;
    }
    if (cur != head) {
        wl_note(c->first, sizeof c->first, "ring %" PRIu64 ": not closed after %u nodes", serial,
                len);
        return false;
    }
    return true;
}

static bool check_graph(cy_ctx *c, gc_value root, uint64_t serial, uint64_t s)
{
    uint32_t n = graph_len(c->p, s), qlen = 0, visited = 0;
    bool ok = true;
    if (!wl_is_type(root, c->g_type) || gc_words(gc_ref(root))[G_ID] != 0) {
        wl_note(c->first, sizeof c->first, "graph %" PRIu64 ": root is not GNode 0", serial);
        return false;
    }
    c->obj_of[0] = gc_ref(root);
    c->queue[qlen++] = 0;
    while (ok && visited < qlen) {
        uint32_t i = c->queue[visited++];
        gc_object *o = c->obj_of[i];
        uint64_t pay = gc_words(o)[G_PAYLOAD];
        uint32_t deg = graph_degree(s, i);
        gc_value ev = gc_field(o, G_EDGES);
        c->checksum = wl_hash_word(wl_hash_word(c->checksum, i), pay);
        c->nodes++;
        if (pay != payload(s, i)) {
            wl_note(c->first, sizeof c->first, "graph %" PRIu64 ": node %u has a wrong payload",
                    serial, i);
            ok = false;
            break;
        }
        if (!wl_is_type(ev, GC_TYPE_REF_ARRAY) || gc_object_length(gc_ref(ev)) != deg) {
            wl_note(c->first, sizeof c->first,
                    "graph %" PRIu64 ": node %u: edges are not %u references", serial, i, deg);
            ok = false;
            break;
        }
        c->checksum = wl_hash_word(c->checksum, deg);
        for (uint32_t k = 0; k < deg; k++) {
            gc_value t = gc_elem(gc_ref(ev), k);
            uint32_t want = graph_target(s, n, i, k);
            uint64_t tid = wl_is_type(t, c->g_type) ? gc_words(gc_ref(t))[G_ID] : UINT64_MAX;
            c->checksum = wl_hash_word(c->checksum, tid);
            if (tid != want) {
                wl_note(c->first, sizeof c->first,
                        "graph %" PRIu64 ": edge %u of node %u goes to %s%" PRId64
                        " instead of %u", serial, k, i, tid == UINT64_MAX ? "a non-GNode " : "",
                        tid == UINT64_MAX ? (int64_t)-1 : (int64_t)tid, want);
                ok = false;
                break;
            }
            if (c->obj_of[want] == NULL) {
                c->obj_of[want] = gc_ref(t);
                c->queue[qlen++] = want;
            } else if (c->obj_of[want] != gc_ref(t)) {
                wl_note(c->first, sizeof c->first,
                        "graph %" PRIu64 ": two objects claim to be node %u", serial, want);
                ok = false;
                break;
            }
        }
    }
    if (ok && qlen != n) {
        wl_note(c->first, sizeof c->first, "graph %" PRIu64 ": %u of %u nodes reachable", serial,
                qlen, n);
        ok = false;
    }
    for (uint32_t q = 0; q < qlen; q++)
        c->obj_of[c->queue[q]] = NULL;
    return ok;
}

/* Checks structure `serial` (a ring or a graph) rooted at v. */
static void check_structure(cy_ctx *c, gc_value v, uint64_t serial)
{
    uint64_t s = spec_seed(c->seed, serial);
    c->checksum = wl_hash_word(c->checksum, serial);
    bool ok = serial_is_ring(serial) ? check_ring(c, v, serial, s) : check_graph(c, v, serial, s);
    c->checked++;
    if (!ok)
        c->bad++;
}

/* ---- Debug hook ------------------------------------------------------------------ */

/* Damages forever[0] (a ring) or forever[1] (a graph) through mutator stores;
 * `forever` is a root slot. Nothing here allocates. */
static void corrupt_for_test(cy_ctx *c, int mode, gc_value *forever)
{
    gc_mutator *m = c->m;
    gc_object *ring = gc_ref(gc_elem(gc_ref(*forever), 0));
    gc_object *graph = gc_ref(gc_elem(gc_ref(*forever), 1));
    gc_object *second = gc_ref(gc_field(ring, CY_NEXT));
    switch (mode) {
    case 1:
        gc_set_word(second, CY_PAYLOAD, gc_words(second)[CY_PAYLOAD] ^ 0x100);
        break;
    case 2:
        gc_set_field(m, second, CY_PREV, gc_value_of(second));
        break;
    case 3:
        gc_set_elem(m, gc_ref(gc_field(graph, G_EDGES)), 0, gc_value_of(graph));
        break;
    default:
        gc_set_elem(m, gc_ref(*forever), 1, GC_NIL);
        break;
    }
}

/* ---- The workload ------------------------------------------------------------------ */

enum { R_WINDOW, R_FOREVER, R_NEW, R_NROOTS };

static int cycles_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    if (!wl_one_thread(cfg, "cycles", res))
        return WL_ERR_INPUT;
    wl_detail d;
    wl_detail_init(&d, res);
    if ((unsigned)cfg->size >= sizeof cy_sizes / sizeof cy_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    const cy_params *p = &cy_sizes[cfg->size];
    cy_ctx c = {.m = m, .p = p, .seed = cfg->seed, .checksum = WL_HASH_INIT};
    c.cy_type = wl_register_type(&d, "CyNode", "rrii");
    c.g_type = wl_register_type(&d, "GNode", "rii");
    if (c.cy_type == GC_TYPE_INVALID || c.g_type == GC_TYPE_INVALID)
        return -1;

    /* Outside the heap: the serial held by each window / forever entry
     * (UINT64_MAX = empty), and the graph walk scratch. */
    uint64_t *win_serial = malloc(p->window * sizeof *win_serial);
    uint64_t *forever_serial = malloc(p->forever * sizeof *forever_serial);
    c.obj_of = calloc(p->graph_max, sizeof *c.obj_of);
    c.queue = malloc(p->graph_max * sizeof *c.queue);
    if (!win_serial || !forever_serial || !c.obj_of || !c.queue) {
        free(win_serial), free(forever_serial), free(c.obj_of), free(c.queue);
        wl_detail_add(&d, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < p->window; i++)
        win_serial[i] = UINT64_MAX;

    wl_rng rng;
    wl_rng_seed(&rng, cfg->seed);
    size_t saved = gc_roots_save(m);
    gc_value r[R_NROOTS];
    wl_root_slots(m, r, R_NROOTS);
    r[R_WINDOW] = gc_value_of(gc_alloc_ref_array(m, p->window));
    r[R_FOREVER] = gc_value_of(gc_alloc_ref_array(m, p->forever));

    uint32_t nforever = 0;
    uint64_t evicted = 0, evicted_bad = 0;
    for (uint32_t step = 0; step < p->steps; step++) {
        for (uint32_t k = 0; k < p->pairs; k++)
            make_pair(&c, (uint64_t)step * p->pairs + k);
        bool forever_step = step % p->forever_every == 0 && nforever < p->forever;
        for (uint64_t serial = 2 * (uint64_t)step; serial <= 2 * (uint64_t)step + 1; serial++) {
            uint64_t s = spec_seed(cfg->seed, serial);
            if (serial_is_ring(serial))
                build_ring(&c, s, &r[R_NEW]);
            else
                build_graph(&c, s, &r[R_NEW]);
            if (forever_step) {
                gc_set_elem(m, gc_ref(r[R_FOREVER]), nforever, r[R_NEW]);
                forever_serial[nforever++] = serial;
            } else if (wl_rng_chance(&rng, p->keep_pct)) {
                uint32_t slot = (uint32_t)wl_rng_below(&rng, p->window);
                if (win_serial[slot] != UINT64_MAX) { /* evict: check it first */
                    uint64_t before = c.bad;
                    check_structure(&c, gc_elem(gc_ref(r[R_WINDOW]), slot), win_serial[slot]);
                    evicted++;
                    evicted_bad += c.bad - before;
                }
                gc_set_elem(m, gc_ref(r[R_WINDOW]), slot, r[R_NEW]);
                win_serial[slot] = serial;
            }
            r[R_NEW] = GC_NIL;
            gc_safepoint(m);
        }
    }

    int mode = wl_corrupt_mode(cfg->debug_corrupt, CY_NMODES);
    if (mode != 0 && nforever >= 2)
        corrupt_for_test(&c, mode, &r[R_FOREVER]);

    /* Verify the survivors. Nothing below allocates. */
    uint64_t pairs_bad = c.pairs_bad;
    c.checked = c.bad = 0;
    uint64_t survivors = 0, expected_nodes = 0;
    c.nodes = 0;
    c.checksum = WL_HASH_INIT;
    for (uint32_t i = 0; i < p->window; i++) {
        gc_value v = gc_elem(gc_ref(r[R_WINDOW]), i);
        if (win_serial[i] == UINT64_MAX) {
            if (!gc_is_nil(v)) {
                c.bad++;
                wl_note(c.first, sizeof c.first, "empty window slot %u holds something", i);
            }
            continue;
        }
        survivors++;
        check_structure(&c, v, win_serial[i]);
    }
    for (uint32_t i = 0; i < nforever; i++) {
        survivors++;
        check_structure(&c, gc_elem(gc_ref(r[R_FOREVER]), i), forever_serial[i]);
    }
    for (uint32_t i = 0; i < p->window; i++)
        if (win_serial[i] != UINT64_MAX) {
            uint64_t s = spec_seed(cfg->seed, win_serial[i]);
            expected_nodes += serial_is_ring(win_serial[i]) ? ring_len(p, s) : graph_len(p, s);
        }
    for (uint32_t i = 0; i < nforever; i++) {
        uint64_t s = spec_seed(cfg->seed, forever_serial[i]);
        expected_nodes += serial_is_ring(forever_serial[i]) ? ring_len(p, s) : graph_len(p, s);
    }

    bool ok = pairs_bad == 0 && evicted_bad == 0 && c.bad == 0 && c.nodes == expected_nodes;
    if (ok) {
        wl_detail_add(&d, "%" PRIu64 " pairs ok", (uint64_t)p->steps * p->pairs);
        wl_detail_add(&d, "%" PRIu64 " replaced structures ok", evicted);
        wl_detail_add(&d, "%" PRIu64 " surviving rings/graphs (%" PRIu64 " nodes) ok",
                      survivors, c.nodes);
        wl_detail_add(&d, "checksum %016" PRIx64, c.checksum);
    } else {
        wl_detail_add(&d, "cycles FAILED: %" PRIu64 " bad pairs, %" PRIu64 "/%" PRIu64
                      " bad replaced, %" PRIu64 "/%" PRIu64 " bad survivors, %" PRIu64
                      "/%" PRIu64 " nodes; %s",
                      pairs_bad, evicted_bad, evicted, c.bad, survivors, c.nodes,
                      expected_nodes, c.first[0] ? c.first : "node count mismatch");
    }

    gc_roots_restore(m, saved);
    free(win_serial);
    free(forever_serial);
    free(c.obj_of);
    free(c.queue);
    res->verified = ok;
    return 0;
}

const wl_workload wl_cycles = {
    .name = "cycles",
    .description = "cyclic garbage and cyclic live data: dropped pairs, doubly-linked "
                   "rings and random graphs with back edges, some kept for a while",
    .run = cycles_run,
};
