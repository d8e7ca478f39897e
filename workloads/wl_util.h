/* workloads/wl_util.h — helpers shared by the native workloads: a seeded
 * PRNG, order-sensitive checksums, root-slot frames, building the result
 * detail string, and running a workload body on several mutator threads.
 * Nothing here allocates in the collected heap.
 */
#ifndef WL_UTIL_H
#define WL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/* ---- Hashing and checksums ------------------------------------------------ */

/* splitmix64 finaliser: a bijection, so distinct x give distinct results. */
uint64_t wl_mix64(uint64_t x);

/* FNV-1a style over 64-bit words or bytes: order-sensitive, so a checksum
 * taken in a fixed walk order also checks the shape of what was walked. */
#define WL_HASH_INIT UINT64_C(0xcbf29ce484222325)
uint64_t wl_hash_word(uint64_t h, uint64_t w);
uint64_t wl_hash_bytes(uint64_t h, const void *p, size_t n);

/* ---- PRNG ------------------------------------------------------------------ */

/* xoshiro256** seeded through splitmix64: the same seed gives the same
 * sequence on every platform. Every workload decision comes from one of
 * these, so --seed fixes the whole allocation sequence. */
typedef struct wl_rng {
    uint64_t s[4];
} wl_rng;

void wl_rng_seed(wl_rng *r, uint64_t seed);
uint64_t wl_rng_next(wl_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t wl_rng_below(wl_rng *r, uint64_t n);
/* Uniform in [lo, hi]; lo <= hi. */
uint64_t wl_rng_range(wl_rng *r, uint64_t lo, uint64_t hi);
/* Log-uniform in [lo, hi] (1 <= lo <= hi): as many values in [8, 16) as in
 * [512, 1024), so most draws are small and a few are large. */
uint64_t wl_rng_log_range(wl_rng *r, uint64_t lo, uint64_t hi);
/* True with probability percent/100. */
bool wl_rng_chance(wl_rng *r, unsigned percent);

/* ---- Roots ------------------------------------------------------------------ */

/* Sets slots[0..n) to nil and registers each as a root slot of m. Pop them
 * with gc_roots_restore before the slots go out of scope. */
void wl_root_slots(gc_mutator *m, gc_value *slots, size_t n);

/* ---- Checks (no allocation) ------------------------------------------------- */

/* True when v references an object of type id `type`. */
bool wl_is_type(gc_value v, uint32_t type);

/* Records the first problem of a check: writes into buf only while it is
 * still empty, so later problems never overwrite the first. */
void wl_note(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Result detail ------------------------------------------------------------ */

/* Appends comma-separated items to res->detail, truncating silently. */
typedef struct wl_detail {
    char *buf;
    size_t cap, len;
} wl_detail;

/* Clears res (detail empty, verified false) and points d at its detail. */
void wl_detail_init(wl_detail *d, wl_result *res);
void wl_detail_add(wl_detail *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers a record type; on failure says so in d and returns
 * GC_TYPE_INVALID. */
uint32_t wl_register_type(wl_detail *d, const char *name, const char *layout);

/* Maps a debug_corrupt value onto 1..nmodes (values outside wrap around;
 * 0 stays 0 = off). */
int wl_corrupt_mode(int debug_corrupt, int nmodes);

/* ---- Mutator threads (wl_config.threads) ------------------------------------------ */

/* The most threads a workload starts (as Whippet's mt-gcbench). */
#define WL_MAX_THREADS 256u

/* For a workload that runs on one thread only: true when cfg->threads is
 * 0 or 1; otherwise clears res, writes "workload NAME runs on one thread
 * (threads=N asked)" into res->detail and returns false, and the workload
 * returns WL_ERR_INPUT. */
bool wl_one_thread(const wl_config *cfg, const char *name, wl_result *res);

/* For a workload that supports threads: stores the thread count (0 and 1
 * both mean 1) in *n and returns true; for more than WL_MAX_THREADS says so
 * in res->detail and returns false (the workload returns WL_ERR_INPUT). */
bool wl_thread_count(const wl_config *cfg, const char *name, wl_result *res, unsigned *n);

/* One thread's share of `total` units of work split evenly among n
 * threads: total / n, plus one for the first total % n threads. */
uint64_t wl_thread_share(uint64_t total, unsigned n, unsigned index);

/* A workload body run by one mutator thread: `m` is that thread's own
 * mutator, `index` its number (0 = the calling thread). */
typedef void (*wl_thread_fn)(gc_mutator *m, unsigned index, void *arg);

/* Runs fn(m_i, i, arg) for i = 0 .. n-1 on n threads that share m's heap:
 * i = 0 on the calling thread with m, the others on threads started with
 * uv_thread_create, each attaching its own mutator (gc_mutator_attach on
 * m->heap) from its own thread and detaching it when fn returns. n <= 1
 * calls fn(m, 0, arg) and nothing else.
 *
 * The threads start together: each started thread attaches, then waits
 * (inactive) until every one has attached; only then does any fn run. The
 * calling thread waits for the others with gc_mutator_join (inactive).
 * Returns 0 when every fn ran to completion; -1 when a thread could not be
 * started or attached: then no fn ran, every thread started has been
 * joined, and d says what failed.
 *
 * fn must leave its mutator's root stack as it found it and must not keep
 * a raw object pointer across a safepoint; what it reports goes into arg
 * (one slot per index, read by the caller after the join). */
int wl_run_threads(gc_mutator *m, unsigned n, wl_thread_fn fn, void *arg, wl_detail *d);

/* ---- Walking a binary tree at safepoints ---------------------------------- */

/* Called for every value the walk reaches: the root (level 0) and both
 * children of every node it descends into (level + 1), nil included.
 * Returns true when v is a node the walk should descend into. It must not
 * allocate and may keep no raw pointer after it returns. */
typedef bool (*wl_tree_visit_fn)(gc_value v, unsigned level, void *ctx);

#define WL_TREE_MAX_LEVEL 32
#define WL_TREE_POLL_EVERY 256 /* nodes between safepoint polls */

/* Preorder walk from `root` through reference fields `left` and `right` of
 * each node, descending at most to level max_level (<= WL_TREE_MAX_LEVEL;
 * the children of a node at max_level are still visited, at max_level + 1,
 * so a check can insist they are nil). The path is kept in root slots of m
 * and the walk polls gc_safepoint(m) every WL_TREE_POLL_EVERY nodes, so with
 * several threads a long check never holds up a stop, and a moving
 * collection during a poll is harmless. */
void wl_walk_tree(gc_mutator *m, gc_value root, unsigned max_level, uint32_t left, uint32_t right,
                  wl_tree_visit_fn visit, void *ctx);

#endif /* WL_UTIL_H */
