/* workloads/shared.c — "shared": mutator threads mutating one shared graph
 * under locks.
 *
 * What it models
 *   A multi-threaded server's shared table: K old "bucket" records, built
 *   first and live for the whole run (so a generational collector promotes
 *   them early), into which N threads keep inserting freshly allocated
 *   items, each under the bucket's lock, while reading and checking what the
 *   other threads inserted there. Every insertion stores a young item into
 *   an old bucket, and links older items (often allocated by another thread,
 *   often promoted) to the new one: old objects, written by one thread,
 *   pointing at young objects of another — the write barrier's cross-thread
 *   case, the remembered set or card table filled from several threads, and
 *   (reference counting) counts changed and objects freed by a thread other
 *   than the one that allocated them. Designed for N >= 2; with one thread it
 *   runs the same operations without contention.
 *
 * Objects
 *   SBucket  record "rii": head (the newest item), count (insertions so
 *            far), index: 32 bytes. The buckets array: a reference array of
 *            K, in a GLOBAL root slot (gc_heap_add_root) every thread reads.
 *   SItem    record "rrriiii": next (the previous head: older), peer (see
 *            below: newer), payload, writer (thread), seq (the writer's
 *            operation number), bseq (its position in the bucket's history:
 *            the bucket's count when it was inserted), check: 64 bytes.
 *   payload  value array of 1..payload_max words (log-uniform), word k =
 *            mix(value(writer, seq) + k): 16..8 + 8 * payload_max bytes.
 *   The locks (one uv_mutex per bucket) are outside the collected heap.
 *
 * One operation of thread t (seq = its operation number, from its own PRNG
 * seeded with (seed, t)): pick a bucket b uniformly; allocate an item (and,
 * for 100 - locked_pct % of the operations, its payload); take b's lock with
 * gc_mutator_lock (inactive while waiting, so it may be held across
 * safepoints); allocate the payload now if it was not (an allocation, and so
 * possibly a collection, while holding the lock); then, with no safepoint
 * until the unlock: walk b's chain checking every item (type, writer, seq,
 * check word, consecutive bseq: count-1, count-2, ...), link the new item as
 * the head (item.next = old head, bucket.head = item, bucket.count + 1), set
 * peer of the item now at depth D = chain / 2 to the new item, and when the
 * chain is longer than `chain`, check the payload of the item that falls off
 * and cut it (the item before it gets next = nil); unlock. The thread counts
 * its insertions per bucket and remembers its last seq per bucket (outside
 * the heap, read by the calling thread after the join).
 *
 * Invariants (what the final check verifies, on the calling thread after
 * every thread has been joined; deterministic whatever the interleaving):
 *   S1 bucket b's count == the sum over threads of their insertions into b;
 *      each thread's insertions add up to its share of `ops`.
 *   S2 b's chain holds exactly min(count, chain) items, with bseq count-1,
 *      count-2, ... from the head, then nil.
 *   S3 every item is an SItem with writer < N, seq < the writer's share, a
 *      check word equal to hash(writer, seq, b, payload length) and a payload
 *      whose every word is right.
 *   S4 along a chain, each writer's seq decreases; the first (newest) item of
 *      writer w in b is w's last insertion into b.
 *   S5 peer of the item with bseq c is the item with bseq c + D when c + D <
 *      count (it is then in the chain, newer), else nil.
 *   Readers also check S2/S3 (without the payload words) on every chain they
 *   walk during the run, and every item's payload words when it leaves its
 *   chain; each item is thus fully checked once. The detail reports how many
 *   items a thread read that another thread had written (timing-dependent
 *   with N > 1; 0 with one thread).
 *
 * Parameters (ops is the TOTAL, split evenly among the threads as alloc's
 *   count is: wl_thread_share)
 *   size     buckets  chain  ops          payload_max  locked_pct
 *   small        64     16     100,000        32           25
 *   default   1,024     16   4,000,000        32           25
 *   large     8,192     32  20,000,000        64           25
 *   Allocation volume, live size: docs/workloads.md. Maximum live size:
 *   buckets * chain items with their payloads, plus what the threads hold
 *   between allocating an item and linking it.
 *
 * Rooting: the buckets array is re-read from its global root slot after
 *   every safepoint (gc_mutator_lock counts: the thread may have been
 *   inactive); the new item and its payload are in the thread's root slots.
 *
 * Debug hook (wl_config.debug_corrupt, modes wrap around 1..4), applied by
 *   the calling thread after the join, before the final check: 1 change a
 *   payload word of bucket 0's head item (S3); 2 cut bucket 0's chain after
 *   its head (S2); 3 add one to bucket 0's count (S1, S2); 4 point a peer of
 *   bucket 0's chain at the wrong item (S5).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "../core/threads.h"
#include "wl_util.h"

/* ---- Parameters ----------------------------------------------------------------- */

typedef struct shared_params {
    uint32_t buckets;     /* K */
    uint32_t chain;       /* items kept per bucket (>= 2) */
    uint64_t ops;         /* insertions, in total over all threads */
    uint32_t payload_max; /* payload words, log-uniform in 1..payload_max */
    unsigned locked_pct;  /* % of operations allocating the payload under the lock */
} shared_params;

static const shared_params shared_sizes[] = {
    [WL_SIZE_SMALL] = {64, 16, 100000, 32, 25},
    [WL_SIZE_DEFAULT] = {1024, 16, 4000000, 32, 25},
    [WL_SIZE_LARGE] = {8192, 32, 20000000, 64, 25},
};

enum { B_HEAD = 0, B_COUNT = 1, B_INDEX = 2 };
enum { I_NEXT = 0, I_PEER = 1, I_PAYLOAD = 2, I_WRITER = 3, I_SEQ = 4, I_BSEQ = 5, I_CHECK = 6 };

/* ---- Shared state ----------------------------------------------------------------- */

/* One thread's bookkeeping, outside the heap; written only by its thread
 * while it runs, read by the calling thread after the join. */
typedef struct shared_thread {
    uint64_t ops;        /* its share of the operations */
    uint64_t *inserted;  /* per bucket: insertions by this thread */
    uint64_t *last_seq;  /* per bucket: seq of its last insertion there */
    uint64_t items_read, cross_read, left_checked, bad;
    char first[96];      /* its first problem */
} shared_thread;

typedef struct shared_state {
    const shared_params *p;
    unsigned nthreads;
    uint64_t seed;
    uint32_t bucket_type, item_type;
    gc_value buckets;     /* GLOBAL root slot: the reference array of buckets */
    uv_mutex_t *locks;    /* one per bucket */
    shared_thread *threads;
} shared_state;

static uint64_t item_value(const shared_state *s, uint64_t writer, uint64_t seq)
{
    return wl_mix64(s->seed ^ wl_mix64(writer << 40 ^ seq));
}

static uint64_t item_check(uint64_t writer, uint64_t seq, uint64_t bucket, uint64_t plen)
{
    return wl_hash_word(wl_hash_word(wl_hash_word(wl_hash_word(WL_HASH_INIT, writer), seq), bucket),
                        plen);
}

/* S3 without the payload words: the item's identity and check word. Returns
 * NULL when fine, else what is wrong. No allocation. */
static const char *item_problem(const shared_state *s, gc_value v, uint64_t bucket)
{
    if (!wl_is_type(v, s->item_type))
        return "not an item";
    gc_object *it = gc_ref(v);
    uint64_t w = gc_words(it)[I_WRITER], seq = gc_words(it)[I_SEQ];
    if (w >= s->nthreads || seq >= s->threads[w].ops)
        return "bad writer or seq";
    gc_value pl = gc_field(it, I_PAYLOAD);
    if (!wl_is_type(pl, GC_TYPE_VALUE_ARRAY))
        return "payload missing";
    if (gc_words(it)[I_CHECK] != item_check(w, seq, bucket, gc_object_length(gc_ref(pl))))
        return "check word differs";
    return NULL;
}

/* The payload words of a (well-formed) item. */
static bool payload_ok(const shared_state *s, gc_object *it)
{
    uint64_t w = gc_words(it)[I_WRITER], seq = gc_words(it)[I_SEQ];
    uint64_t value = item_value(s, w, seq);
    gc_object *pl = gc_ref(gc_field(it, I_PAYLOAD));
    uint64_t n = gc_object_length(pl);
    for (uint64_t k = 0; k < n; k++)
        if (gc_words(pl)[k] != wl_mix64(value + k))
            return false;
    return true;
}

static void fill_payload(const shared_state *s, gc_object *pl, uint64_t writer, uint64_t seq)
{
    uint64_t value = item_value(s, writer, seq), n = gc_object_length(pl);
    for (uint64_t k = 0; k < n; k++)
        gc_set_word(pl, k, wl_mix64(value + k));
}

/* ---- One thread ---------------------------------------------------------------------- */

/* Records a problem a thread met: in bucket b, at `where` = x. */
static void thread_bad(shared_thread *st, uint32_t b, const char *where, uint64_t x, const char *what)
{
    if (st->bad++ == 0)
        snprintf(st->first, sizeof st->first, "bucket %" PRIu32 " %s %" PRIu64 ": %s", b, where, x,
                 what);
}

static void shared_thread_run(gc_mutator *m, unsigned index, void *arg)
{
    shared_state *s = arg;
    const shared_params *p = s->p;
    shared_thread *st = &s->threads[index];
    const uint32_t L = p->chain, D = p->chain / 2;
    gc_object **chain = malloc((size_t)L * sizeof *chain); /* raw, only between safepoints */
    if (chain == NULL) {
        st->bad++;
        snprintf(st->first, sizeof st->first, "out of memory");
        return;
    }
    wl_rng rng;
    wl_rng_seed(&rng, s->seed ^ wl_mix64((uint64_t)index + 1));

    size_t saved = gc_roots_save(m);
    gc_value item = GC_NIL, payload = GC_NIL;
    gc_root(m, &item);
    gc_root(m, &payload);

    for (uint64_t seq = 0; seq < st->ops; seq++) {
        uint32_t b = (uint32_t)wl_rng_below(&rng, p->buckets);
        uint64_t plen = wl_rng_log_range(&rng, 1, p->payload_max);
        bool locked_alloc = wl_rng_chance(&rng, p->locked_pct);

        item = gc_value_of(gc_alloc_record(m, s->item_type));
        gc_set_word(gc_ref(item), I_WRITER, index);
        gc_set_word(gc_ref(item), I_SEQ, seq);
        gc_set_word(gc_ref(item), I_CHECK, item_check(index, seq, b, plen));
        if (!locked_alloc) {
            payload = gc_value_of(gc_alloc_value_array(m, plen));
            fill_payload(s, gc_ref(payload), index, seq);
            gc_set_field(m, gc_ref(item), I_PAYLOAD, payload);
        }

        gc_mutator_lock(m, &s->locks[b]);
        if (locked_alloc) {
            /* An allocation (maybe a collection) while holding the lock. */
            payload = gc_value_of(gc_alloc_value_array(m, plen));
            fill_payload(s, gc_ref(payload), index, seq);
            gc_set_field(m, gc_ref(item), I_PAYLOAD, payload);
        }
        /* From here to the unlock: no safepoint, raw pointers are safe. */
        gc_object *bk = gc_ref(gc_elem(gc_ref(s->buckets), b));
        uint64_t count = gc_words(bk)[B_COUNT];
        uint32_t len = 0;
        for (gc_value v = gc_field(bk, B_HEAD); !gc_is_nil(v) && len < L; len++) {
            const char *why = item_problem(s, v, b);
            if (why == NULL && gc_words(gc_ref(v))[I_BSEQ] != count - 1 - len)
                why = "bseq out of order";
            if (why != NULL) {
                thread_bad(st, b, "depth", len, why);
                if (!wl_is_type(v, s->item_type))
                    break; /* no next to follow; else keep the chain's length bounded */
            }
            chain[len] = gc_ref(v);
            st->items_read++;
            st->cross_read += gc_words(chain[len])[I_WRITER] != index;
            v = gc_field(chain[len], I_NEXT);
        }
        if (len != (count < L ? count : L) && st->bad == 0)
            thread_bad(st, b, "chain of", len, "not min(count, chain) items");

        gc_object *it = gc_ref(item);
        gc_set_word(it, I_BSEQ, count);
        gc_set_field(m, it, I_NEXT, gc_field(bk, B_HEAD));
        gc_set_field(m, bk, B_HEAD, item);
        gc_set_word(bk, B_COUNT, count + 1);
        /* Old depth D-1 is new depth D: its peer is the new item (S5). */
        if (len >= D && D > 0)
            gc_set_field(m, chain[D - 1], I_PEER, item);
        if (len == L) {
            /* chain[L-1] falls off: check its payload once, then cut it. */
            st->left_checked++;
            if (!payload_ok(s, chain[L - 1]))
                thread_bad(st, b, "bseq", gc_words(chain[L - 1])[I_BSEQ], "payload differs");
            gc_set_field(m, chain[L - 2], I_NEXT, GC_NIL);
        }
        uv_mutex_unlock(&s->locks[b]);

        st->inserted[b]++;
        st->last_seq[b] = seq;
        item = GC_NIL;
        payload = GC_NIL;
        gc_safepoint(m);
    }
    gc_roots_restore(m, saved);
    free(chain);
}

/* ---- Building, corrupting and checking (calling thread) --------------------------------- */

/* The debug hook (see the header); the threads have been joined. */
static void shared_corrupt(gc_mutator *m, const shared_state *s, int mode)
{
    gc_object *bk = gc_ref(gc_elem(gc_ref(s->buckets), 0));
    gc_value head = gc_field(bk, B_HEAD);
    uint32_t D = s->p->chain / 2;
    /* Walk to depth D for mode 4, when the chain is that long. */
    gc_value at_d = head;
    for (uint32_t k = 0; k < D && gc_is_ref(at_d); k++)
        at_d = gc_field(gc_ref(at_d), I_NEXT);
    if (mode == 3 || !gc_is_ref(head) || (mode == 4 && !gc_is_ref(at_d))) {
        gc_set_word(bk, B_COUNT, gc_words(bk)[B_COUNT] + 1);
    } else if (mode == 2) {
        gc_set_field(m, gc_ref(head), I_NEXT, GC_NIL);
    } else if (mode == 4) {
        gc_set_field(m, gc_ref(at_d), I_PEER, at_d); /* its own peer */
    } else {
        gc_object *pl = gc_ref(gc_field(gc_ref(head), I_PAYLOAD));
        gc_set_word(pl, 0, gc_words(pl)[0] ^ 1u);
    }
}

typedef struct shared_check {
    uint64_t items, bad;
    uint64_t checksum;
    char first[96];
} shared_check;

static void check_bad(shared_check *c, uint32_t b, const char *what, uint64_t x)
{
    c->bad++;
    wl_note(c->first, sizeof c->first, "bucket %" PRIu32 ": %s (%" PRIu64 ")", b, what, x);
}

/* S1-S5 for bucket b. `chain` has room for p->chain pointers; `seen` for
 * nthreads flags. No allocation. */
static void check_bucket(const shared_state *s, uint32_t b, gc_object **chain, bool *seen,
                         uint64_t *prev_seq, shared_check *c)
{
    const shared_params *p = s->p;
    const uint32_t L = p->chain, D = p->chain / 2;
    gc_value bv = gc_elem(gc_ref(s->buckets), b);
    if (!wl_is_type(bv, s->bucket_type) || gc_words(gc_ref(bv))[B_INDEX] != b) {
        check_bad(c, b, "not its bucket record", 0);
        return;
    }
    gc_object *bk = gc_ref(bv);
    uint64_t count = gc_words(bk)[B_COUNT], sum = 0;
    for (unsigned t = 0; t < s->nthreads; t++)
        sum += s->threads[t].inserted[b];
    if (count != sum) /* S1 */
        check_bad(c, b, "count differs from the threads' insertions", count);
    c->checksum = wl_hash_word(wl_hash_word(c->checksum, b), count);

    uint64_t expect = count < L ? count : L;
    uint32_t len = 0;
    gc_value v = gc_field(bk, B_HEAD);
    memset(seen, 0, s->nthreads * sizeof *seen);
    for (; !gc_is_nil(v) && len < L; len++) {
        const char *why = item_problem(s, v, b);
        if (why != NULL) { /* S3 */
            check_bad(c, b, why, len);
            return;
        }
        gc_object *it = gc_ref(v);
        uint64_t w = gc_words(it)[I_WRITER], seq = gc_words(it)[I_SEQ];
        if (gc_words(it)[I_BSEQ] != count - 1 - len) /* S2 */
            check_bad(c, b, "bseq out of order at depth", len);
        if (!payload_ok(s, it)) /* S3 */
            check_bad(c, b, "payload differs at depth", len);
        if (!seen[w]) { /* S4 */
            seen[w] = true;
            if (seq != s->threads[w].last_seq[b])
                check_bad(c, b, "newest item of a writer is not its last insertion, writer", w);
        } else if (seq >= prev_seq[w]) {
            check_bad(c, b, "a writer's seq does not decrease, writer", w);
        }
        prev_seq[w] = seq;
        chain[len] = it;
        c->items++;
        c->checksum = wl_hash_word(wl_hash_word(c->checksum, w), seq);
        v = gc_field(it, I_NEXT);
    }
    if (len != expect || !gc_is_nil(v)) /* S2 */
        check_bad(c, b, "chain length differs from min(count, chain), found", len);
    for (uint32_t k = 0; k < len; k++) { /* S5: chain[k] has bseq count-1-k */
        gc_value peer = gc_field(chain[k], I_PEER);
        gc_value want = k >= D ? gc_value_of(chain[k - D]) : GC_NIL;
        if (peer != want)
            check_bad(c, b, "peer link wrong at depth", k);
    }
}

static int shared_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    wl_detail d;
    wl_detail_init(&d, res);
    if ((unsigned)cfg->size >= sizeof shared_sizes / sizeof shared_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    unsigned n;
    if (!wl_thread_count(cfg, "shared", res, &n))
        return WL_ERR_INPUT;
    const shared_params *p = &shared_sizes[cfg->size];
    GC_ASSERT(p->chain >= 2 && p->payload_max >= 1);

    shared_state s = {.p = p, .nthreads = n, .seed = cfg->seed, .buckets = GC_NIL};
    s.bucket_type = wl_register_type(&d, "SBucket", "rii");
    s.item_type = wl_register_type(&d, "SItem", "rrriiii");
    if (s.bucket_type == GC_TYPE_INVALID || s.item_type == GC_TYPE_INVALID)
        return -1;

    /* Outside the heap: locks, per-thread books, scratch for the check. */
    s.locks = calloc(p->buckets, sizeof *s.locks);
    s.threads = calloc(n, sizeof *s.threads);
    gc_object **chain = calloc(p->chain, sizeof *chain);
    bool *seen = calloc(n, sizeof *seen);
    uint64_t *prev_seq = calloc(n, sizeof *prev_seq);
    bool mem_ok = s.locks && s.threads && chain && seen && prev_seq;
    for (unsigned t = 0; mem_ok && t < n; t++) {
        s.threads[t].ops = wl_thread_share(p->ops, n, t);
        s.threads[t].inserted = calloc(p->buckets, sizeof(uint64_t));
        s.threads[t].last_seq = calloc(p->buckets, sizeof(uint64_t));
        mem_ok = s.threads[t].inserted && s.threads[t].last_seq;
    }
    uint32_t locks_made = 0;
    for (; mem_ok && locks_made < p->buckets; locks_made++)
        if (uv_mutex_init(&s.locks[locks_made]) != 0)
            break;
    int rc = WL_OK;
    if (!mem_ok || locks_made < p->buckets) {
        wl_detail_add(&d, "out of memory (or mutexes) for %u buckets and %u threads", p->buckets, n);
        rc = 1;
        goto out;
    }

    /* The buckets: built first, by this thread, before any item. */
    gc_heap_add_root(m->heap, &s.buckets);
    {
        size_t saved = gc_roots_save(m);
        gc_value bucket = GC_NIL;
        gc_root(m, &bucket);
        s.buckets = gc_value_of(gc_alloc_ref_array(m, p->buckets));
        for (uint32_t b = 0; b < p->buckets; b++) {
            bucket = gc_value_of(gc_alloc_record(m, s.bucket_type));
            gc_set_word(gc_ref(bucket), B_INDEX, b);
            gc_set_elem(m, gc_ref(s.buckets), b, bucket); /* re-read: may have moved */
        }
        gc_roots_restore(m, saved);
    }
    gc_safepoint(m);

    if (wl_run_threads(m, n, shared_thread_run, &s, &d) != 0) {
        rc = 1;
        goto out_root;
    }

    int mode = wl_corrupt_mode(cfg->debug_corrupt, 4);
    if (mode)
        shared_corrupt(m, &s, mode);

    /* The final check (S1-S5). Nothing here allocates. */
    shared_check c = {.checksum = WL_HASH_INIT};
    for (uint32_t b = 0; b < p->buckets; b++)
        check_bucket(&s, b, chain, seen, prev_seq, &c);
    uint64_t read = 0, cross = 0, left = 0, run_bad = 0;
    const char *run_first = NULL;
    bool shares_ok = true;
    for (unsigned t = 0; t < n; t++) {
        const shared_thread *st = &s.threads[t];
        uint64_t sum = 0;
        for (uint32_t b = 0; b < p->buckets; b++)
            sum += st->inserted[b];
        shares_ok &= sum == st->ops; /* S1 */
        read += st->items_read;
        cross += st->cross_read;
        left += st->left_checked;
        run_bad += st->bad;
        if (st->bad && run_first == NULL)
            run_first = st->first;
    }

    wl_detail_add(&d, "%u thread%s, %" PRIu64 " insertions", n, n == 1 ? "" : "s", p->ops);
    if (run_bad == 0)
        wl_detail_add(&d, "%" PRIu64 " items read ok (%" PRIu64 " from other threads), %" PRIu64
                      " payloads ok as they left", read, cross, left);
    else
        wl_detail_add(&d, "reads FAILED %" PRIu64 " times, first %s", run_bad, run_first);
    if (!shares_ok)
        wl_detail_add(&d, "per-thread insertion counts FAILED");
    if (c.bad == 0)
        wl_detail_add(&d, "%u buckets with %" PRIu64 " items ok", p->buckets, c.items);
    else
        wl_detail_add(&d, "buckets FAILED: %" PRIu64 " problems, first %s", c.bad, c.first);
    if (n == 1)
        wl_detail_add(&d, "checksum %016" PRIx64, c.checksum); /* interleaving-dependent otherwise */
    res->verified = run_bad == 0 && shares_ok && c.bad == 0;

out_root:
    gc_heap_remove_root(m->heap, &s.buckets);
out:
    for (uint32_t b = 0; b < locks_made; b++)
        uv_mutex_destroy(&s.locks[b]);
    for (unsigned t = 0; s.threads && t < n; t++) {
        free(s.threads[t].inserted);
        free(s.threads[t].last_seq);
    }
    free(s.locks);
    free(s.threads);
    free(chain);
    free(seen);
    free(prev_seq);
    return rc;
}

const wl_workload wl_shared = {
    .name = "shared",
    .description = "threads insert young items into old shared buckets under per-bucket locks "
                   "and check each other's (the cross-thread write-barrier case)",
    .run = shared_run,
};
