/* workloads/records.c — "records": a long-lived database of typed records
 * that keeps being updated, with an LRU cache in front of it.
 *
 * What it models
 *   An in-memory application database (a server's session or user table):
 *   records with mixed fields (integers, strings, references to other
 *   records, arrays) that live for the whole run while the mutator keeps
 *   updating them with freshly allocated values. Old records keep getting
 *   pointers to young objects — exactly the stores a generational
 *   collector's write barrier must remember — and records are inserted and
 *   deleted. An LRU cache (a hash map plus a doubly-linked list, all in the
 *   collected heap) sits in front of the database and is relinked on every
 *   lookup, another stream of old-to-young and old-to-old stores.
 *
 * Data
 *   db: a rooted reference array of `slots` Person records, filled at the
 *   start. Person "iirrri" {id, age, name, friends, address, visits}: name a
 *   byte string (4..40 bytes), friends an exactly-sized reference array of
 *   up to max_friends other Persons, address an Address "rii" {street (a
 *   4..40-byte string), number, zip}. A deleted Person is a tombstone: it
 *   leaves the db and the cache and its friends field becomes nil, but
 *   other Persons' friend lists may still reference it.
 *   The cache: a Cache "rri" {buckets, sentinel, count} record, a bucket
 *   array of cache_buckets chains, and CacheNode "irrrr" {key, value, prev,
 *   next, hnext} records in a circular doubly-linked list through the
 *   sentinel, most recently used first, at most cache_cap of them.
 *
 * Operations (`ops` in all; each picks a random db slot, inserts a new
 *   Person there if the slot is empty, else one of)
 *   30% cache lookup of the Person's id: a hit moves its node to the front;
 *       a miss allocates a node at the front (evicting the least recently
 *       used node when full); either way the Person's visits is incremented.
 *   15% set age (a raw store, no barrier);
 *   10% rename: a new name string;
 *   10% move: a new Address with a new street string;
 *   10% add a friend: a new friends array one longer (or, when full, one
 *       element replaced in place);
 *    5% drop a friend: a new friends array one shorter;
 *   10% delete the Person;
 *   10% replace it: delete, then insert a new Person in the same slot.
 *   An insert allocates name, street, Address, a friends array of up to 3
 *   other Persons and the Person; ids are never reused.
 *
 * Verification (against a shadow copy outside the collected heap)
 *   Every operation is mirrored on malloc'd structs: each slot's id, age,
 *   visits, name and street (as serial numbers of a deterministic text
 *   generator), address number and zip, friend ids, and the LRU order (a
 *   doubly-linked list of slot numbers). At the end, every field of every
 *   live Person is compared with the shadow: ints exactly, name and street
 *   byte for byte, friends element by element (a friend still in the db must
 *   be the very object in its slot; a deleted friend must be a tombstone
 *   with its id). The cache list must hold exactly the shadow's keys in LRU
 *   order, each node's value must be the db object for its key and
 *   node.next.prev must be the node; every node must sit in the hash chain
 *   of its key, and the chains must hold exactly the list's nodes. Every
 *   cache hit is also checked during the run (the node's value must be the
 *   db object). The detail reports a checksum over the db and the cache
 *   order; same seed, same checksum.
 *
 * Rooting
 *   Strict (core/heap.h): the db, the cache and every object under
 *   construction are root slots, re-read after every allocation; reference
 *   stores go through gc_set_field / gc_set_elem.
 *
 * Debug hook (wl_config.debug_corrupt, 1..5; other values wrap around)
 *   1 change a live Person's age; 2 give a Person another Person's Address;
 *   3 swap the two most recently used cache nodes in the list; 4 make a
 *   Person its own friend; 5 unlink a cache node from its hash chain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

typedef struct rec_params {
    uint32_t slots;        /* db capacity, filled at the start */
    uint64_t ops;
    uint32_t cache_cap;    /* LRU capacity */
    uint32_t cache_buckets; /* a power of two */
} rec_params;

static const rec_params rec_sizes[] = {
    [WL_SIZE_SMALL] = {1000, 80000, 64, 64},
    [WL_SIZE_DEFAULT] = {40000, 4000000, 4096, 4096},
    [WL_SIZE_LARGE] = {400000, 20000000, 16384, 16384},
};

enum { REC_MAX_FRIENDS = 12, REC_INIT_FRIENDS = 3, REC_TEXT_MAX = 40, REC_NMODES = 5 };
enum { P_ID, P_AGE, P_NAME, P_FRIENDS, P_ADDRESS, P_VISITS };   /* Person "iirrri" */
enum { A_STREET, A_NUMBER, A_ZIP };                             /* Address "rii" */
enum { C_KEY, C_VALUE, C_PREV, C_NEXT, C_HNEXT };               /* CacheNode "irrrr" */
enum { K_BUCKETS, K_SENTINEL, K_COUNT };                        /* Cache "rri" */

#define REC_NONE UINT32_MAX

/* ---- The shadow (outside the collected heap) ------------------------------------- */

typedef struct rec_shadow {
    uint64_t id; /* 0 = empty slot; ids start at 1 and are never reused */
    uint64_t age, visits, name, street, number, zip;
    uint64_t friends[REC_MAX_FRIENDS];
    uint32_t nfriends;
    uint32_t lru_prev, lru_next; /* slot numbers; `slots` is the list head */
    bool cached;
} rec_shadow;

enum { R_DB, R_CACHE, R_NAME, R_STREET, R_ADDR, R_FRIENDS, R_NODE, R_NROOTS };

typedef struct rec_ctx {
    gc_mutator *m;
    const rec_params *p;
    wl_rng rng;
    uint64_t seed;
    uint32_t person_type, address_type, node_type, cache_type;
    gc_value r[R_NROOTS];
    rec_shadow *sh;       /* slots + 1 entries: the last is the LRU list head */
    uint32_t *slot_of;    /* id -> slot, REC_NONE once deleted */
    uint64_t next_id, ids_cap, next_text, live, cached;
    uint64_t hits, misses, cache_bad, inserts, deletes;
    char first[128];
} rec_ctx;

/* Text number `serial`: 4..40 bytes, a capital then lower-case letters. */
static size_t gen_text(uint64_t seed, uint64_t serial, char *buf)
{
    uint64_t h = wl_mix64(seed ^ wl_mix64(serial ^ UINT64_C(0x7e57)));
    size_t n = 4 + (size_t)(h % (REC_TEXT_MAX - 3));
    for (size_t i = 0; i < n; i++) {
        h = wl_mix64(h + i);
        buf[i] = (char)((i == 0 ? 'A' : 'a') + h % 26);
    }
    return n;
}

/* A fresh unrooted string of text `serial`: store it in a root slot at once. */
static gc_value new_text(rec_ctx *c, uint64_t serial)
{
    char buf[REC_TEXT_MAX];
    size_t n = gen_text(c->seed, serial, buf);
    return gc_value_of(gc_alloc_string(c->m, buf, n));
}

static gc_object *db(rec_ctx *c) { return gc_ref(c->r[R_DB]); }
static gc_object *person_at(rec_ctx *c, uint32_t s) { return gc_ref(gc_elem(db(c), s)); }

/* A random occupied slot other than `not`, or REC_NONE after a few misses. */
static uint32_t random_live_slot(rec_ctx *c, uint32_t not)
{
    for (int tries = 0; tries < 8; tries++) {
        uint32_t t = (uint32_t)wl_rng_below(&c->rng, c->p->slots);
        if (t != not && c->sh[t].id != 0)
            return t;
    }
    return REC_NONE;
}

/* ---- The LRU cache ------------------------------------------------------------------ */

static gc_object *cache(rec_ctx *c) { return gc_ref(c->r[R_CACHE]); }
static uint64_t cache_bucket(rec_ctx *c, uint64_t key)
{
    return wl_mix64(key) & (c->p->cache_buckets - 1);
}

static void list_unlink(gc_mutator *m, gc_object *n)
{
    gc_object *prev = gc_ref(gc_field(n, C_PREV)), *next = gc_ref(gc_field(n, C_NEXT));
    gc_set_field(m, prev, C_NEXT, gc_value_of(next));
    gc_set_field(m, next, C_PREV, gc_value_of(prev));
}

static void list_push_front(rec_ctx *c, gc_object *n)
{
    gc_object *sent = gc_ref(gc_field(cache(c), K_SENTINEL));
    gc_object *first = gc_ref(gc_field(sent, C_NEXT));
    gc_set_field(c->m, n, C_PREV, gc_value_of(sent));
    gc_set_field(c->m, n, C_NEXT, gc_value_of(first));
    gc_set_field(c->m, first, C_PREV, gc_value_of(n));
    gc_set_field(c->m, sent, C_NEXT, gc_value_of(n));
}

/* Shadow list over slot numbers; head = slots. */
static void shadow_unlink(rec_ctx *c, uint32_t s)
{
    rec_shadow *sh = c->sh;
    sh[sh[s].lru_prev].lru_next = sh[s].lru_next;
    sh[sh[s].lru_next].lru_prev = sh[s].lru_prev;
    sh[s].cached = false;
}

static void shadow_push_front(rec_ctx *c, uint32_t s)
{
    rec_shadow *sh = c->sh;
    uint32_t head = c->p->slots;
    sh[s].lru_prev = head;
    sh[s].lru_next = sh[head].lru_next;
    sh[sh[head].lru_next].lru_prev = s;
    sh[head].lru_next = s;
    sh[s].cached = true;
}

/* The cache node for key, or NULL. */
static gc_object *cache_find(rec_ctx *c, uint64_t key)
{
    gc_object *b = gc_ref(gc_field(cache(c), K_BUCKETS));
    for (gc_value n = gc_elem(b, cache_bucket(c, key)); !gc_is_nil(n);
         n = gc_field(gc_ref(n), C_HNEXT))
        if (gc_words(gc_ref(n))[C_KEY] == key)
            return gc_ref(n);
    return NULL;
}

/* Removes node n (holding key) from the list and its hash chain. */
static void cache_remove(rec_ctx *c, gc_object *n, uint64_t key)
{
    gc_mutator *m = c->m;
    list_unlink(m, n);
    gc_object *b = gc_ref(gc_field(cache(c), K_BUCKETS));
    uint64_t i = cache_bucket(c, key);
    gc_value cur = gc_elem(b, i);
    if (gc_ref(cur) == n) {
        gc_set_elem(m, b, i, gc_field(n, C_HNEXT));
    } else {
        while (gc_ref(gc_field(gc_ref(cur), C_HNEXT)) != n)
            cur = gc_field(gc_ref(cur), C_HNEXT);
        gc_set_field(m, gc_ref(cur), C_HNEXT, gc_field(n, C_HNEXT));
    }
    gc_set_word(cache(c), K_COUNT, gc_words(cache(c))[K_COUNT] - 1);
    c->cached--;
}

/* Looks up the Person in slot s through the cache. */
static void cache_get(rec_ctx *c, uint32_t s)
{
    uint64_t key = c->sh[s].id;
    gc_object *n = cache_find(c, key);
    if (n != NULL) {
        c->hits++;
        if (gc_field(n, C_VALUE) != gc_elem(db(c), s)) {
            c->cache_bad++;
            wl_note(c->first, sizeof c->first,
                    "cache hit for id %" PRIu64 " returned another object", key);
        }
        list_unlink(c->m, n);
        list_push_front(c, n);
        shadow_unlink(c, s);
        shadow_push_front(c, s);
    } else {
        c->misses++;
        if (c->cached == c->p->cache_cap) { /* evict the least recently used */
            gc_object *sent = gc_ref(gc_field(cache(c), K_SENTINEL));
            gc_object *lru = gc_ref(gc_field(sent, C_PREV));
            uint64_t lkey = gc_words(lru)[C_KEY];
            cache_remove(c, lru, lkey);
            shadow_unlink(c, c->sh[c->p->slots].lru_prev);
        }
        n = gc_alloc_record(c->m, c->node_type); /* may move db and cache */
        gc_set_word(n, C_KEY, key);
        gc_set_field(c->m, n, C_VALUE, gc_elem(db(c), s));
        list_push_front(c, n);
        gc_object *b = gc_ref(gc_field(cache(c), K_BUCKETS));
        uint64_t i = cache_bucket(c, key);
        gc_set_field(c->m, n, C_HNEXT, gc_elem(b, i));
        gc_set_elem(c->m, b, i, gc_value_of(n));
        gc_set_word(cache(c), K_COUNT, gc_words(cache(c))[K_COUNT] + 1);
        c->cached++;
        shadow_push_front(c, s);
    }
    gc_object *pn = person_at(c, s);
    gc_set_word(pn, P_VISITS, gc_words(pn)[P_VISITS] + 1);
    c->sh[s].visits++;
}

/* ---- Database operations --------------------------------------------------------------- */

/* A new Address in r[R_ADDR] with a new street; fills the shadow fields. */
static void new_address(rec_ctx *c, rec_shadow *sh)
{
    sh->street = c->next_text++;
    sh->number = wl_rng_range(&c->rng, 1, 999);
    sh->zip = wl_rng_range(&c->rng, 10000, 99999);
    c->r[R_STREET] = new_text(c, sh->street);
    gc_object *a = gc_alloc_record(c->m, c->address_type);
    gc_set_field(c->m, a, A_STREET, c->r[R_STREET]);
    gc_set_word(a, A_NUMBER, sh->number);
    gc_set_word(a, A_ZIP, sh->zip);
    c->r[R_ADDR] = gc_value_of(a);
    c->r[R_STREET] = GC_NIL;
}

static bool db_insert(rec_ctx *c, uint32_t s)
{
    gc_mutator *m = c->m;
    gc_value *r = c->r;
    if (c->next_id == c->ids_cap) {
        uint64_t cap = c->ids_cap * 2;
        uint32_t *so = realloc(c->slot_of, cap * sizeof *so);
        if (so == NULL)
            return false;
        c->slot_of = so;
        c->ids_cap = cap;
    }
    rec_shadow *sh = &c->sh[s];
    rec_shadow ns = {.id = c->next_id++, .age = wl_rng_below(&c->rng, 100),
                     .name = c->next_text++, .lru_prev = REC_NONE, .lru_next = REC_NONE};
    uint32_t fslot[REC_INIT_FRIENDS];
    uint32_t nf = (uint32_t)wl_rng_below(&c->rng, REC_INIT_FRIENDS + 1);
    for (uint32_t k = 0; k < nf; k++) {
        uint32_t t = random_live_slot(c, s);
        if (t != REC_NONE) {
            fslot[ns.nfriends] = t;
            ns.friends[ns.nfriends++] = c->sh[t].id;
        }
    }
    r[R_NAME] = new_text(c, ns.name);
    new_address(c, &ns);
    r[R_FRIENDS] = gc_value_of(gc_alloc_ref_array(m, ns.nfriends));
    for (uint32_t k = 0; k < ns.nfriends; k++)
        gc_set_elem(m, gc_ref(r[R_FRIENDS]), k, gc_elem(db(c), fslot[k]));
    gc_object *p = gc_alloc_record(m, c->person_type); /* may move all of the above */
    gc_set_word(p, P_ID, ns.id);
    gc_set_word(p, P_AGE, ns.age);
    gc_set_field(m, p, P_NAME, r[R_NAME]);
    gc_set_field(m, p, P_FRIENDS, r[R_FRIENDS]);
    gc_set_field(m, p, P_ADDRESS, r[R_ADDR]);
    gc_set_elem(m, db(c), s, gc_value_of(p));
    r[R_NAME] = r[R_ADDR] = r[R_FRIENDS] = GC_NIL;
    *sh = ns;
    c->slot_of[ns.id] = s;
    c->live++;
    c->inserts++;
    return true;
}

static void db_delete(rec_ctx *c, uint32_t s)
{
    rec_shadow *sh = &c->sh[s];
    if (sh->cached) {
        gc_object *n = cache_find(c, sh->id);
        if (n != NULL) {
            cache_remove(c, n, sh->id);
        } else {
            c->cache_bad++;
            wl_note(c->first, sizeof c->first, "cached id %" PRIu64 " not found", sh->id);
        }
        shadow_unlink(c, s);
    }
    gc_set_field(c->m, person_at(c, s), P_FRIENDS, GC_NIL); /* tombstone */
    gc_set_elem(c->m, db(c), s, GC_NIL);
    c->slot_of[sh->id] = REC_NONE;
    sh->id = 0;
    c->live--;
    c->deletes++;
}

/* Replaces the Person's friends array by a copy without element `drop`
 * (REC_NONE: none) and with `add` (a slot, or REC_NONE) appended. */
static void resize_friends(rec_ctx *c, uint32_t s, uint32_t drop, uint32_t add)
{
    rec_shadow *sh = &c->sh[s];
    uint32_t n = sh->nfriends - (drop != REC_NONE) + (add != REC_NONE);
    gc_object *nf = gc_alloc_ref_array(c->m, n); /* may move the db */
    gc_object *of = gc_ref(gc_field(person_at(c, s), P_FRIENDS));
    uint32_t j = 0;
    for (uint32_t k = 0; k < sh->nfriends; k++) {
        if (k == drop)
            continue;
        gc_set_elem(c->m, nf, j, gc_elem(of, k));
        sh->friends[j++] = sh->friends[k];
    }
    if (add != REC_NONE) {
        gc_set_elem(c->m, nf, j, gc_elem(db(c), add));
        sh->friends[j++] = c->sh[add].id;
    }
    sh->nfriends = j;
    gc_set_field(c->m, person_at(c, s), P_FRIENDS, gc_value_of(nf));
}

/* One operation on slot s. */
static bool operate(rec_ctx *c, uint32_t s)
{
    rec_shadow *sh = &c->sh[s];
    if (sh->id == 0)
        return db_insert(c, s);
    unsigned op = (unsigned)wl_rng_below(&c->rng, 100);
    if (op < 30) {
        cache_get(c, s);
    } else if (op < 45) {
        sh->age = wl_rng_below(&c->rng, 100);
        gc_set_word(person_at(c, s), P_AGE, sh->age);
    } else if (op < 55) {
        sh->name = c->next_text++;
        gc_value name = new_text(c, sh->name);
        gc_set_field(c->m, person_at(c, s), P_NAME, name);
    } else if (op < 65) {
        new_address(c, sh);
        gc_set_field(c->m, person_at(c, s), P_ADDRESS, c->r[R_ADDR]);
        c->r[R_ADDR] = GC_NIL;
    } else if (op < 75) {
        uint32_t t = random_live_slot(c, s);
        if (t == REC_NONE)
            return true;
        if (sh->nfriends < REC_MAX_FRIENDS) {
            resize_friends(c, s, REC_NONE, t);
        } else {
            uint32_t k = (uint32_t)wl_rng_below(&c->rng, sh->nfriends);
            gc_object *f = gc_ref(gc_field(person_at(c, s), P_FRIENDS));
            gc_set_elem(c->m, f, k, gc_elem(db(c), t));
            sh->friends[k] = c->sh[t].id;
        }
    } else if (op < 80) {
        if (sh->nfriends > 0)
            resize_friends(c, s, (uint32_t)wl_rng_below(&c->rng, sh->nfriends), REC_NONE);
    } else if (op < 90) {
        db_delete(c, s);
    } else {
        db_delete(c, s);
        return db_insert(c, s);
    }
    return true;
}

/* ---- Verification (no allocation) ---------------------------------------------------------- */

typedef struct rec_check {
    uint64_t bad, checksum;
    char text[REC_TEXT_MAX];
} rec_check;

static bool text_is(rec_ctx *c, rec_check *k, gc_value v, uint64_t serial)
{
    size_t n = gen_text(c->seed, serial, k->text);
    if (!wl_is_type(v, GC_TYPE_BYTES) || gc_object_length(gc_ref(v)) != n ||
        memcmp(gc_bytes(gc_ref(v)), k->text, n) != 0)
        return false;
    k->checksum = wl_hash_bytes(k->checksum, k->text, n);
    return true;
}

#define REC_FAIL(c, k, ...)                                          \
    do {                                                             \
        (k)->bad++;                                                  \
        wl_note((c)->first, sizeof (c)->first, __VA_ARGS__);         \
        return;                                                      \
    } while (0)

static void check_person(rec_ctx *c, rec_check *k, uint32_t s)
{
    const rec_shadow *sh = &c->sh[s];
    gc_value v = gc_elem(db(c), s);
    if (sh->id == 0) {
        if (!gc_is_nil(v))
            REC_FAIL(c, k, "empty slot %u holds something", s);
        return;
    }
    if (!wl_is_type(v, c->person_type))
        REC_FAIL(c, k, "slot %u: not a Person", s);
    gc_object *p = gc_ref(v);
    const uint64_t *w = gc_words(p);
    if (w[P_ID] != sh->id || w[P_AGE] != sh->age || w[P_VISITS] != sh->visits)
        REC_FAIL(c, k, "Person %" PRIu64 " (slot %u): %s differs", sh->id, s,
                 w[P_ID] != sh->id ? "id" : w[P_AGE] != sh->age ? "age" : "visits");
    k->checksum = wl_hash_word(wl_hash_word(wl_hash_word(k->checksum, w[P_ID]), w[P_AGE]),
                               w[P_VISITS]);
    if (!text_is(c, k, gc_field(p, P_NAME), sh->name))
        REC_FAIL(c, k, "Person %" PRIu64 ": name differs", sh->id);
    gc_value av = gc_field(p, P_ADDRESS);
    if (!wl_is_type(av, c->address_type))
        REC_FAIL(c, k, "Person %" PRIu64 ": address is not an Address", sh->id);
    gc_object *a = gc_ref(av);
    if (gc_words(a)[A_NUMBER] != sh->number || gc_words(a)[A_ZIP] != sh->zip ||
        !text_is(c, k, gc_field(a, A_STREET), sh->street))
        REC_FAIL(c, k, "Person %" PRIu64 ": address differs", sh->id);
    k->checksum = wl_hash_word(wl_hash_word(k->checksum, sh->number), sh->zip);
    gc_value fv = gc_field(p, P_FRIENDS);
    if (!wl_is_type(fv, GC_TYPE_REF_ARRAY) || gc_object_length(gc_ref(fv)) != sh->nfriends)
        REC_FAIL(c, k, "Person %" PRIu64 ": friends are not %u references", sh->id,
                 sh->nfriends);
    for (uint32_t i = 0; i < sh->nfriends; i++) {
        gc_value f = gc_elem(gc_ref(fv), i);
        uint64_t fid = sh->friends[i];
        uint32_t fs = c->slot_of[fid];
        bool ok = wl_is_type(f, c->person_type) && gc_words(gc_ref(f))[P_ID] == fid &&
                  (fs != REC_NONE ? f == gc_elem(db(c), fs)
                                  : gc_is_nil(gc_field(gc_ref(f), P_FRIENDS)));
        if (!ok)
            REC_FAIL(c, k, "Person %" PRIu64 ": friend %u is not %s Person %" PRIu64, sh->id, i,
                     fs != REC_NONE ? "live" : "deleted", fid);
        k->checksum = wl_hash_word(k->checksum, fid);
    }
}

/* The list in shadow order, each node's value the db object, and the hash
 * chains holding exactly the list's nodes. */
static void check_cache(rec_ctx *c, rec_check *k, gc_object **node_of)
{
    gc_object *ch = cache(c);
    if (gc_words(ch)[K_COUNT] != c->cached)
        REC_FAIL(c, k, "cache count %" PRIu64 ", expected %" PRIu64, gc_words(ch)[K_COUNT],
                 c->cached);
    gc_value sent = gc_field(ch, K_SENTINEL), cur = sent;
    uint32_t head = c->p->slots, pos = 0;
    for (uint32_t s = c->sh[head].lru_next; s != head; s = c->sh[s].lru_next, pos++) {
        gc_value next = gc_field(gc_ref(cur), C_NEXT);
        if (!wl_is_type(next, c->node_type) || gc_field(gc_ref(next), C_PREV) != cur)
            REC_FAIL(c, k, "cache list broken before position %u", pos);
        gc_object *n = gc_ref(next);
        if (gc_words(n)[C_KEY] != c->sh[s].id || gc_field(n, C_VALUE) != gc_elem(db(c), s))
            REC_FAIL(c, k, "cache position %u holds id %" PRIu64 ", expected %" PRIu64, pos,
                     gc_words(n)[C_KEY], c->sh[s].id);
        k->checksum = wl_hash_word(k->checksum, c->sh[s].id);
        node_of[s] = n;
        cur = next;
    }
    if (gc_field(gc_ref(cur), C_NEXT) != sent || gc_field(gc_ref(sent), C_PREV) != cur)
        REC_FAIL(c, k, "cache list does not end after %u nodes", pos);
    gc_object *b = gc_ref(gc_field(ch, K_BUCKETS));
    uint64_t chained = 0;
    for (uint64_t i = 0; i < gc_object_length(b); i++) {
        for (gc_value n = gc_elem(b, i); !gc_is_nil(n); n = gc_field(gc_ref(n), C_HNEXT)) {
            if (chained++ > c->cached || !wl_is_type(n, c->node_type))
                REC_FAIL(c, k, "cache bucket %" PRIu64 " is corrupt", i);
            uint64_t key = gc_words(gc_ref(n))[C_KEY];
            uint32_t s = key < c->next_id ? c->slot_of[key] : REC_NONE;
            if (s == REC_NONE || !c->sh[s].cached || node_of[s] != gc_ref(n) ||
                cache_bucket(c, key) != i)
                REC_FAIL(c, k, "cache bucket %" PRIu64 ": node for id %" PRIu64 " is stray", i,
                         key);
        }
    }
    if (chained != c->cached)
        REC_FAIL(c, k, "cache chains hold %" PRIu64 " nodes, the list %" PRIu64, chained,
                 c->cached);
}

/* ---- Debug hook ------------------------------------------------------------------------ */

static void corrupt_for_test(rec_ctx *c, int mode)
{
    gc_mutator *m = c->m;
    uint32_t s = 0, t;
    while (s < c->p->slots && (c->sh[s].id == 0 || (mode == 4 && c->sh[s].nfriends == 0)))
        s++;
    for (t = s + 1; t < c->p->slots && c->sh[t].id == 0; t++)
        ;
    if (t >= c->p->slots)
        return; /* not enough data to damage: the test will notice */
    gc_object *p = person_at(c, s);
    gc_object *sent = gc_ref(gc_field(cache(c), K_SENTINEL));
    gc_object *n1 = gc_ref(gc_field(sent, C_NEXT));
    switch (mode) {
    case 1:
        gc_set_word(p, P_AGE, gc_words(p)[P_AGE] + 1);
        break;
    case 2:
        gc_set_field(m, p, P_ADDRESS, gc_field(person_at(c, t), P_ADDRESS));
        break;
    case 3: { /* sent <-> n1 <-> n2 <-> n3  becomes  sent <-> n2 <-> n1 <-> n3 */
        gc_object *n2 = gc_ref(gc_field(n1, C_NEXT)), *n3 = gc_ref(gc_field(n2, C_NEXT));
        gc_set_field(m, sent, C_NEXT, gc_value_of(n2));
        gc_set_field(m, n2, C_PREV, gc_value_of(sent));
        gc_set_field(m, n2, C_NEXT, gc_value_of(n1));
        gc_set_field(m, n1, C_PREV, gc_value_of(n2));
        gc_set_field(m, n1, C_NEXT, gc_value_of(n3));
        gc_set_field(m, n3, C_PREV, gc_value_of(n1));
        break;
    }
    case 4:
        gc_set_elem(m, gc_ref(gc_field(p, P_FRIENDS)), 0, gc_value_of(p));
        break;
    default: {
        gc_object *b = gc_ref(gc_field(cache(c), K_BUCKETS));
        uint64_t i = cache_bucket(c, gc_words(n1)[C_KEY]);
        gc_set_elem(m, b, i, gc_field(gc_ref(gc_elem(b, i)), C_HNEXT));
        break;
    }
    }
}

/* ---- The workload ---------------------------------------------------------------------------- */

static int records_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    if (!wl_one_thread(cfg, "records", res))
        return WL_ERR_INPUT;
    wl_detail d;
    wl_detail_init(&d, res);
    if ((unsigned)cfg->size >= sizeof rec_sizes / sizeof rec_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    const rec_params *p = &rec_sizes[cfg->size];
    rec_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        wl_detail_add(&d, "out of memory");
        return -1;
    }
    c->m = m;
    c->p = p;
    c->seed = cfg->seed;
    c->next_id = 1;
    c->ids_cap = 2 * (uint64_t)p->slots;
    c->person_type = wl_register_type(&d, "Person", "iirrri");
    c->address_type = wl_register_type(&d, "Address", "rii");
    c->node_type = wl_register_type(&d, "CacheNode", "irrrr");
    c->cache_type = wl_register_type(&d, "Cache", "rri");
    c->sh = calloc((size_t)p->slots + 1, sizeof *c->sh);
    c->slot_of = malloc(c->ids_cap * sizeof *c->slot_of);
    gc_object **node_of = calloc(p->slots, sizeof *node_of);
    wl_rng_seed(&c->rng, cfg->seed);
    int rc = 0;
    if (c->person_type == GC_TYPE_INVALID || c->address_type == GC_TYPE_INVALID ||
        c->node_type == GC_TYPE_INVALID || c->cache_type == GC_TYPE_INVALID) {
        rc = -1;
        goto out;
    }
    if (c->sh == NULL || c->slot_of == NULL || node_of == NULL) {
        wl_detail_add(&d, "out of memory");
        rc = -1;
        goto out;
    }
    c->sh[p->slots].lru_next = c->sh[p->slots].lru_prev = p->slots;

    size_t saved = gc_roots_save(m);
    gc_value *r = c->r;
    wl_root_slots(m, r, R_NROOTS);
    r[R_DB] = gc_value_of(gc_alloc_ref_array(m, p->slots));
    r[R_CACHE] = gc_value_of(gc_alloc_record(m, c->cache_type));
    r[R_NODE] = gc_value_of(gc_alloc_ref_array(m, p->cache_buckets));
    gc_set_field(m, cache(c), K_BUCKETS, r[R_NODE]);
    r[R_NODE] = gc_value_of(gc_alloc_record(m, c->node_type)); /* the sentinel */
    gc_set_word(gc_ref(r[R_NODE]), C_KEY, 0);
    gc_set_field(m, gc_ref(r[R_NODE]), C_PREV, r[R_NODE]);
    gc_set_field(m, gc_ref(r[R_NODE]), C_NEXT, r[R_NODE]);
    gc_set_field(m, cache(c), K_SENTINEL, r[R_NODE]);
    r[R_NODE] = GC_NIL;

    bool ok_run = true;
    for (uint32_t s = 0; s < p->slots && ok_run; s++) {
        ok_run = db_insert(c, s);
        gc_safepoint(m);
    }
    for (uint64_t i = 0; i < p->ops && ok_run; i++) {
        /* Half the operations go to a Zipf-like hot set of low slots. */
        uint64_t range = wl_rng_chance(&c->rng, 50) ? wl_rng_below(&c->rng, p->slots) + 1
                                                    : p->slots;
        ok_run = operate(c, (uint32_t)wl_rng_below(&c->rng, range));
        gc_safepoint(m);
    }
    if (!ok_run) {
        wl_detail_add(&d, "out of memory");
        gc_roots_restore(m, saved);
        rc = -1;
        goto out;
    }

    int mode = wl_corrupt_mode(cfg->debug_corrupt, REC_NMODES);
    if (mode != 0 && c->live >= 2 && c->cached >= 3)
        corrupt_for_test(c, mode);

    /* Verify. Nothing below allocates. */
    rec_check k = {.checksum = WL_HASH_INIT};
    for (uint32_t s = 0; s < p->slots; s++)
        check_person(c, &k, s);
    uint64_t db_bad = k.bad;
    check_cache(c, &k, node_of);
    bool ok = k.bad == 0 && c->cache_bad == 0;
    if (ok) {
        wl_detail_add(&d, "%" PRIu64 " live records ok (%" PRIu64 " inserted, %" PRIu64
                      " deleted)", c->live, c->inserts, c->deletes);
        wl_detail_add(&d, "LRU cache of %" PRIu64 " ok (%" PRIu64 " hits, %" PRIu64 " misses)",
                      c->cached, c->hits, c->misses);
        wl_detail_add(&d, "checksum %016" PRIx64, k.checksum);
    } else {
        wl_detail_add(&d, "records FAILED: %" PRIu64 " bad records, cache %s, %" PRIu64
                      " bad hits; %s", db_bad, k.bad > db_bad ? "bad" : "ok", c->cache_bad,
                      c->first);
    }
    res->verified = ok;
    gc_roots_restore(m, saved);
out:
    free(c->sh);
    free(c->slot_of);
    free(node_of);
    free(c);
    return rc;
}

const wl_workload wl_records = {
    .name = "records",
    .description = "a long-lived database of typed records updated with young values, "
                   "inserts and deletes, behind an LRU cache (hash map + list)",
    .run = records_run,
};
