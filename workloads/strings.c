/* workloads/strings.c — "strings": variable-size pointer-free objects.
 *
 * What it models
 *   A text-processing program: it generates text from a vocabulary, counts
 *   its words in a hash table, builds lines in a growing string builder,
 *   copies substrings out of them and concatenates them, and now and then
 *   allocates a binary blob. Most objects are small byte strings (words,
 *   keys), some are large (lines and blobs up to line_max / blob_max bytes,
 *   above 8 KiB in the large-object space). It exercises allocation of mixed
 *   sizes, fragmentation of free lists, the large-object space, and objects
 *   a tracing collector need not scan (byte strings hold no references).
 *
 * Per word of text (`words` in all)
 *   1. Pick a word of the vocabulary (`vocab` distinct words of 1..14
 *      letters; word k is chosen with a skewed, Zipf-like distribution) and
 *      allocate it as a key string (gc_alloc_string).
 *   2. Count it: look it up in the table (a StrTable record whose buckets are
 *      a reference array of chains of StrEntry {key, count, next}); bump the
 *      count or insert a new entry at the head of its chain. When the table
 *      holds twice as many entries as buckets it doubles its bucket array
 *      and relinks every entry.
 *   3. Append the word and a space to the string builder (a StrBuilder
 *      {buf, len} record): when buf is full, allocate one twice as big, copy
 *      and replace it (as Java's StringBuilder does).
 *   4. When the line reaches its target length (log-uniform in
 *      16..line_max), copy it out exactly sized (toString), take two random
 *      substrings (copied out) and their concatenation; each of these four
 *      strings replaces a random entry of a rooted "window" array with
 *      probability keep_pct %, otherwise it is dropped. The builder starts
 *      again with a fresh 16-byte buffer.
 *   5. Every blob_every words, a blob of log-uniform 8..blob_max bytes of
 *      pseudo-random content, kept in the window with keep_pct %.
 *
 * Objects
 *   byte strings: 8 + n bytes rounded up to 8 (16 bytes minimum);
 *   StrEntry "rir" {key, count, next}: 32 bytes; StrBuilder "ri",
 *   StrTable "ri": 24 bytes; the bucket array 8 + 8 * buckets bytes.
 *
 * Verification (against state kept outside the collected heap)
 *   The vocabulary, the expected count of every word, the text of the
 *   current line and (length, hash) of every window entry live in malloc'd
 *   memory. At the end: every table entry must be a StrEntry in the bucket
 *   its key hashes to, with a key that is a vocabulary word seen once and a
 *   count equal to the count computed outside; every word that occurred must
 *   have an entry; the table's entry count must match. Every window string
 *   must have its expected length and content hash (also checked when an
 *   entry is replaced), every finished line is compared byte for byte with
 *   the outside copy, and so is the builder's content at the end. The detail
 *   reports a checksum over the table (keys and counts, in bucket order) and
 *   the window strings; same seed, same checksum.
 *
 * Rooting
 *   Strict (core/heap.h): the table, builder, window, current key and the
 *   strings being copied are root slots, re-read after every allocation;
 *   reference stores go through gc_set_field / gc_set_elem; bytes are raw.
 *
 * Debug hook (wl_config.debug_corrupt, 1..4; other values wrap around)
 *   1 flip a byte of a window string; 2 change the count of a table entry;
 *   3 unlink the first entry of a bucket chain; 4 change a letter of a
 *   table key.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wl_util.h"

typedef struct str_params {
    uint32_t vocab;       /* distinct words */
    uint64_t words;       /* words of text */
    uint32_t line_max;    /* line target lengths 16..line_max bytes */
    uint32_t blob_every;  /* one blob per blob_every words */
    uint32_t blob_max;    /* blob sizes 8..blob_max bytes */
    uint32_t window;      /* kept strings */
    uint32_t keep_pct;    /* chance a finished string is kept */
    uint32_t buckets;     /* initial bucket count (a power of two) */
} str_params;

static const str_params str_sizes[] = {
    [WL_SIZE_SMALL] = {500, 50000, 16 << 10, 256, 64 << 10, 32, 30, 64},
    [WL_SIZE_DEFAULT] = {20000, 4000000, 1 << 20, 1024, 1 << 20, 256, 30, 1024},
    [WL_SIZE_LARGE] = {100000, 10000000, 1 << 20, 1024, 1 << 20, 1024, 30, 1024},
};

enum { E_KEY = 0, E_COUNT = 1, E_NEXT = 2 };   /* StrEntry */
enum { B_BUF = 0, B_LEN = 1 };                 /* StrBuilder */
enum { T_BUCKETS = 0, T_COUNT = 1 };           /* StrTable */
enum { STR_MAX_WORD = 14, STR_BUILDER_INIT = 16, STR_NMODES = 4 };

/* ---- Vocabulary and outside-heap bookkeeping ------------------------------------- */

typedef struct str_vocab {
    char *pool;          /* word k at pool + off[k], len[k] bytes */
    uint32_t *off;
    uint8_t *len;
    uint32_t *map;       /* open addressing: word index + 1, 0 = empty */
    uint32_t map_mask;
    uint64_t *count;     /* expected occurrences */
} str_vocab;

static uint64_t key_hash(const void *p, size_t n)
{
    return wl_mix64(wl_hash_bytes(WL_HASH_INIT, p, n));
}

/* Index of the word p[0..n) or UINT32_MAX. */
static uint32_t vocab_find(const str_vocab *v, const void *p, size_t n)
{
    for (uint32_t i = (uint32_t)key_hash(p, n) & v->map_mask;; i = (i + 1) & v->map_mask) {
        uint32_t k = v->map[i];
        if (k == 0)
            return UINT32_MAX;
        k--;
        if (v->len[k] == n && memcmp(v->pool + v->off[k], p, n) == 0)
            return k;
    }
}

static bool vocab_init(str_vocab *v, uint32_t nwords, wl_rng *rng)
{
    uint32_t cap = 1;
    while (cap < 2 * nwords)
        cap <<= 1;
    v->pool = malloc((size_t)nwords * STR_MAX_WORD);
    v->off = malloc(nwords * sizeof *v->off);
    v->len = malloc(nwords);
    v->map = calloc(cap, sizeof *v->map);
    v->count = calloc(nwords, sizeof *v->count);
    v->map_mask = cap - 1;
    if (!v->pool || !v->off || !v->len || !v->map || !v->count)
        return false;
    for (uint32_t k = 0; k < nwords;) {
        char *w = v->pool + (size_t)k * STR_MAX_WORD;
        uint32_t n = (uint32_t)wl_rng_range(rng, 1, 8) + (uint32_t)wl_rng_below(rng, 7);
        for (uint32_t i = 0; i < n; i++)
            w[i] = (char)('a' + wl_rng_below(rng, 26));
        if (vocab_find(v, w, n) != UINT32_MAX)
            continue; /* duplicate: draw again */
        v->off[k] = k * STR_MAX_WORD;
        v->len[k] = (uint8_t)n;
        uint32_t i = (uint32_t)key_hash(w, n) & v->map_mask;
        while (v->map[i] != 0)
            i = (i + 1) & v->map_mask;
        v->map[i] = ++k;
    }
    return true;
}

static void vocab_free(str_vocab *v)
{
    free(v->pool), free(v->off), free(v->len), free(v->map), free(v->count);
}

/* The outside copy of the builder's current line. */
typedef struct str_text {
    char *buf;
    size_t len, cap;
} str_text;

static bool text_append(str_text *t, const char *s, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (b == NULL)
            return false;
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    return true;
}

/* ---- Run state ------------------------------------------------------------------------ */

enum { R_TABLE, R_BUILDER, R_WINDOW, R_KEY, R_LINE, R_A, R_B, R_NEW, R_NROOTS };

typedef struct str_kept {
    uint64_t len, hash; /* len UINT64_MAX = empty slot */
} str_kept;

typedef struct str_ctx {
    gc_mutator *m;
    const str_params *p;
    wl_rng rng;
    uint32_t entry_type, builder_type, table_type;
    gc_value r[R_NROOTS];
    str_vocab v;
    str_text line;
    str_kept *kept;       /* per window slot */
    uint64_t distinct;    /* words seen at least once */
    uint64_t lines, lines_bad, replaced, replaced_bad, kept_count;
    char first[128];
} str_ctx;

static uint64_t bytes_hash(gc_object *o)
{
    return wl_hash_bytes(WL_HASH_INIT, gc_bytes(o), gc_object_length(o));
}

static bool check_kept(str_ctx *c, gc_value v, uint32_t slot)
{
    const str_kept *k = &c->kept[slot];
    if (!wl_is_type(v, GC_TYPE_BYTES) || gc_object_length(gc_ref(v)) != k->len) {
        wl_note(c->first, sizeof c->first, "window string %u: not a string of %" PRIu64 " bytes",
                slot, k->len);
        return false;
    }
    if (bytes_hash(gc_ref(v)) != k->hash) {
        wl_note(c->first, sizeof c->first, "window string %u (%" PRIu64 " bytes): content differs",
                slot, k->len);
        return false;
    }
    return true;
}

/* Keeps the string in root slot r[R_NEW] (expected length/hash given) in a
 * random window slot with probability keep_pct; checks what it replaces. */
static void maybe_keep(str_ctx *c, uint64_t len, uint64_t hash)
{
    if (!wl_rng_chance(&c->rng, c->p->keep_pct))
        return;
    uint32_t slot = (uint32_t)wl_rng_below(&c->rng, c->p->window);
    gc_object *w = gc_ref(c->r[R_WINDOW]);
    if (c->kept[slot].len != UINT64_MAX) {
        c->replaced++;
        if (!check_kept(c, gc_elem(w, slot), slot))
            c->replaced_bad++;
    }
    gc_set_elem(c->m, w, slot, c->r[R_NEW]);
    c->kept[slot] = (str_kept){len, hash};
    c->kept_count++;
}

/* Returns a fresh unrooted string holding bytes [off, off+n) of the string in
 * root slot *src: store it in a root slot at once. */
static gc_value copy_out(str_ctx *c, gc_value *src, uint64_t off, uint64_t n)
{
    gc_object *o = gc_alloc_bytes(c->m, n); /* may move *src */
    memcpy(gc_bytes(o), gc_bytes(gc_ref(*src)) + off, n);
    return gc_value_of(o);
}

/* ---- The hash table ------------------------------------------------------------------- */

/* Counts the word in root slot r[R_KEY]. */
static void table_count(str_ctx *c, uint32_t word)
{
    gc_mutator *m = c->m;
    gc_value *r = c->r;
    uint64_t h = key_hash(gc_bytes(gc_ref(r[R_KEY])), gc_object_length(gc_ref(r[R_KEY])));
    gc_object *b = gc_ref(gc_field(gc_ref(r[R_TABLE]), T_BUCKETS));
    uint64_t nb = gc_object_length(b);
    uint64_t idx = h & (nb - 1);
    const char *w = c->v.pool + c->v.off[word];
    size_t wn = c->v.len[word];
    for (gc_value e = gc_elem(b, idx); !gc_is_nil(e); e = gc_field(gc_ref(e), E_NEXT)) {
        gc_object *key = gc_ref(gc_field(gc_ref(e), E_KEY));
        if (gc_object_length(key) == wn && memcmp(gc_bytes(key), w, wn) == 0) {
            gc_set_word(gc_ref(e), E_COUNT, gc_words(gc_ref(e))[E_COUNT] + 1);
            return;
        }
    }
    gc_object *e = gc_alloc_record(m, c->entry_type); /* may move table, key */
    gc_object *t = gc_ref(r[R_TABLE]);
    b = gc_ref(gc_field(t, T_BUCKETS));
    gc_set_field(m, e, E_KEY, r[R_KEY]);
    gc_set_word(e, E_COUNT, 1);
    gc_set_field(m, e, E_NEXT, gc_elem(b, idx));
    gc_set_elem(m, b, idx, gc_value_of(e));
    uint64_t n = gc_words(t)[T_COUNT] + 1;
    gc_set_word(t, T_COUNT, n);
    if (n <= 2 * nb)
        return;

    /* Grow: a bucket array twice as big, every entry relinked into it. */
    gc_object *nbk = gc_alloc_ref_array(m, 2 * nb); /* may move the table */
    b = gc_ref(gc_field(gc_ref(r[R_TABLE]), T_BUCKETS));
    for (uint64_t i = 0; i < nb; i++) {
        gc_value ev = gc_elem(b, i);
        while (!gc_is_nil(ev)) {
            gc_object *eo = gc_ref(ev);
            gc_value next = gc_field(eo, E_NEXT);
            gc_object *key = gc_ref(gc_field(eo, E_KEY));
            uint64_t j = key_hash(gc_bytes(key), gc_object_length(key)) & (2 * nb - 1);
            gc_set_field(m, eo, E_NEXT, gc_elem(nbk, j));
            gc_set_elem(m, nbk, j, ev);
            ev = next;
        }
    }
    gc_set_field(m, gc_ref(r[R_TABLE]), T_BUCKETS, gc_value_of(nbk));
}

/* ---- The string builder ------------------------------------------------------------------- */

/* Appends s[0..n) to the builder, growing its buffer by doubling. */
static void builder_append(str_ctx *c, const char *s, size_t n)
{
    gc_object *bl = gc_ref(c->r[R_BUILDER]);
    uint64_t len = gc_words(bl)[B_LEN];
    uint64_t cap = gc_object_length(gc_ref(gc_field(bl, B_BUF)));
    if (len + n > cap) {
        uint64_t ncap = 2 * cap;
        if (ncap < len + n)
            ncap = len + n;
        gc_object *nb = gc_alloc_bytes(c->m, ncap); /* may move the builder */
        bl = gc_ref(c->r[R_BUILDER]);
        memcpy(gc_bytes(nb), gc_bytes(gc_ref(gc_field(bl, B_BUF))), len);
        gc_set_field(c->m, bl, B_BUF, gc_value_of(nb));
    }
    memcpy(gc_bytes(gc_ref(gc_field(bl, B_BUF))) + len, s, n);
    gc_set_word(bl, B_LEN, len + n);
}

/* A fresh empty buffer for the builder. */
static void builder_reset(str_ctx *c)
{
    gc_object *nb = gc_alloc_bytes(c->m, STR_BUILDER_INIT);
    gc_object *bl = gc_ref(c->r[R_BUILDER]);
    gc_set_field(c->m, bl, B_BUF, gc_value_of(nb));
    gc_set_word(bl, B_LEN, 0);
    c->line.len = 0;
}

/* The builder's content equals the outside copy of the line. */
static bool builder_matches(str_ctx *c)
{
    gc_object *bl = gc_ref(c->r[R_BUILDER]);
    gc_value buf = gc_field(bl, B_BUF);
    return gc_words(bl)[B_LEN] == c->line.len && wl_is_type(buf, GC_TYPE_BYTES) &&
           gc_object_length(gc_ref(buf)) >= c->line.len &&
           memcmp(gc_bytes(gc_ref(buf)), c->line.buf, c->line.len) == 0;
}

/* Finishes the line: copy it out, check it, cut two substrings, concatenate
 * them, keep some of the four, and reset the builder. */
static void finish_line(str_ctx *c)
{
    gc_value *r = c->r;
    const char *text = c->line.buf;
    uint64_t len = c->line.len;
    gc_object *bl = gc_ref(r[R_BUILDER]);
    r[R_NEW] = gc_field(bl, B_BUF);
    r[R_LINE] = copy_out(c, &r[R_NEW], 0, len);
    c->lines++;
    if (!builder_matches(c) || gc_object_length(gc_ref(r[R_LINE])) != len ||
        memcmp(gc_bytes(gc_ref(r[R_LINE])), text, len) != 0) {
        c->lines_bad++;
        wl_note(c->first, sizeof c->first, "line %" PRIu64 " (%" PRIu64 " bytes) differs",
                c->lines, len);
    }
    uint64_t off[2], n[2];
    for (int i = 0; i < 2; i++) {
        n[i] = wl_rng_log_range(&c->rng, 1, len);
        off[i] = wl_rng_below(&c->rng, len - n[i] + 1);
        r[R_A + i] = copy_out(c, &r[R_LINE], off[i], n[i]);
    }
    /* concatenation of the two substrings */
    r[R_NEW] = gc_value_of(gc_alloc_bytes(c->m, n[0] + n[1]));
    memcpy(gc_bytes(gc_ref(r[R_NEW])), gc_bytes(gc_ref(r[R_A])), n[0]);
    memcpy(gc_bytes(gc_ref(r[R_NEW])) + n[0], gc_bytes(gc_ref(r[R_B])), n[1]);
    uint64_t hcat = wl_hash_bytes(wl_hash_bytes(WL_HASH_INIT, text + off[0], n[0]),
                                  text + off[1], n[1]);
    maybe_keep(c, n[0] + n[1], hcat);
    for (int i = 0; i < 2; i++) {
        r[R_NEW] = r[R_A + i];
        maybe_keep(c, n[i], wl_hash_bytes(WL_HASH_INIT, text + off[i], n[i]));
    }
    r[R_NEW] = r[R_LINE];
    maybe_keep(c, len, wl_hash_bytes(WL_HASH_INIT, text, len));
    r[R_NEW] = r[R_LINE] = r[R_A] = r[R_B] = GC_NIL;
    builder_reset(c);
}

/* A blob of pseudo-random bytes. */
static void make_blob(str_ctx *c)
{
    uint64_t n = wl_rng_log_range(&c->rng, 8, c->p->blob_max);
    wl_rng g;
    wl_rng_seed(&g, wl_rng_next(&c->rng));
    c->r[R_NEW] = gc_value_of(gc_alloc_bytes(c->m, n));
    uint8_t *b = gc_bytes(gc_ref(c->r[R_NEW]));
    uint64_t h = WL_HASH_INIT;
    for (uint64_t i = 0; i < n; i += 8) {
        uint64_t w = wl_rng_next(&g);
        for (uint64_t j = 0; j < 8 && i + j < n; j++) {
            uint8_t byte = (uint8_t)(w >> (8 * j));
            b[i + j] = byte;
            h = wl_hash_bytes(h, &byte, 1);
        }
    }
    maybe_keep(c, n, h);
    c->r[R_NEW] = GC_NIL;
}

/* ---- Verification (no allocation) -------------------------------------------------------- */

typedef struct str_check {
    uint64_t entries, bad, checksum;
} str_check;

static void check_table(str_ctx *c, str_check *k, uint8_t *seen)
{
    gc_object *t = gc_ref(c->r[R_TABLE]);
    gc_value bv = gc_field(t, T_BUCKETS);
    if (!wl_is_type(bv, GC_TYPE_REF_ARRAY)) {
        k->bad++;
        wl_note(c->first, sizeof c->first, "table has no bucket array");
        return;
    }
    gc_object *b = gc_ref(bv);
    uint64_t nb = gc_object_length(b);
    for (uint64_t i = 0; i < nb; i++) {
        for (gc_value e = gc_elem(b, i); !gc_is_nil(e); e = gc_field(gc_ref(e), E_NEXT)) {
            if (k->entries++ > c->distinct || !wl_is_type(e, c->entry_type)) {
                k->bad++;
                wl_note(c->first, sizeof c->first, "bucket %" PRIu64 ": %s", i,
                        k->entries > c->distinct + 1 ? "more entries than words"
                                                     : "a non-StrEntry in the chain");
                return;
            }
            gc_object *eo = gc_ref(e);
            gc_value key = gc_field(eo, E_KEY);
            uint64_t count = gc_words(eo)[E_COUNT];
            uint32_t w = UINT32_MAX;
            if (wl_is_type(key, GC_TYPE_BYTES)) {
                gc_object *ko = gc_ref(key);
                uint64_t kn = gc_object_length(ko);
                k->checksum = wl_hash_word(wl_hash_bytes(k->checksum, gc_bytes(ko), kn), count);
                w = vocab_find(&c->v, gc_bytes(ko), kn);
                if (w != UINT32_MAX && (key_hash(gc_bytes(ko), kn) & (nb - 1)) != i) {
                    k->bad++;
                    wl_note(c->first, sizeof c->first, "entry \"%.*s\" in the wrong bucket",
                            (int)kn, (const char *)gc_bytes(ko));
                }
            }
            if (w == UINT32_MAX || seen[w]) {
                k->bad++;
                wl_note(c->first, sizeof c->first, "bucket %" PRIu64 ": %s key", i,
                        w == UINT32_MAX ? "unknown" : "duplicate");
                continue;
            }
            seen[w] = 1;
            if (count != c->v.count[w]) {
                k->bad++;
                wl_note(c->first, sizeof c->first,
                        "word \"%.*s\" counted %" PRIu64 " times, expected %" PRIu64,
                        (int)c->v.len[w], c->v.pool + c->v.off[w], count, c->v.count[w]);
            }
        }
    }
    for (uint32_t w = 0; w < c->p->vocab; w++) {
        if (c->v.count[w] != 0 && !seen[w]) {
            k->bad++;
            wl_note(c->first, sizeof c->first, "word \"%.*s\" (%" PRIu64 " times) missing",
                    (int)c->v.len[w], c->v.pool + c->v.off[w], c->v.count[w]);
        }
    }
    if (gc_words(t)[T_COUNT] != c->distinct) {
        k->bad++;
        wl_note(c->first, sizeof c->first, "table says %" PRIu64 " entries, expected %" PRIu64,
                gc_words(t)[T_COUNT], c->distinct);
    }
}

/* ---- Debug hook ---------------------------------------------------------------------------- */

static void corrupt_for_test(str_ctx *c, int mode)
{
    gc_object *b = gc_ref(gc_field(gc_ref(c->r[R_TABLE]), T_BUCKETS));
    gc_object *e = NULL;
    uint64_t i = 0;
    for (; i < gc_object_length(b) && e == NULL; i++)
        if (!gc_is_nil(gc_elem(b, i)))
            e = gc_ref(gc_elem(b, i));
    i--;
    if (mode == 1) {
        for (uint32_t s = 0; s < c->p->window; s++) {
            if (c->kept[s].len != UINT64_MAX && c->kept[s].len > 0) {
                gc_object *str = gc_ref(gc_elem(gc_ref(c->r[R_WINDOW]), s));
                gc_bytes(str)[c->kept[s].len / 2] ^= 0x20;
                return;
            }
        }
        return;
    }
    if (e == NULL)
        return;
    if (mode == 2)
        gc_set_word(e, E_COUNT, gc_words(e)[E_COUNT] + 1);
    else if (mode == 3)
        gc_set_elem(c->m, b, i, gc_field(e, E_NEXT));
    else
        gc_bytes(gc_ref(gc_field(e, E_KEY)))[0] ^= 0x20; /* upper case: no vocabulary word */
}

/* ---- The workload ---------------------------------------------------------------------------- */

static int strings_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    if (!wl_one_thread(cfg, "strings", res))
        return WL_ERR_INPUT;
    wl_detail d;
    wl_detail_init(&d, res);
    if ((unsigned)cfg->size >= sizeof str_sizes / sizeof str_sizes[0]) {
        wl_detail_add(&d, "unknown size %d", (int)cfg->size);
        return -1;
    }
    const str_params *p = &str_sizes[cfg->size];
    str_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        wl_detail_add(&d, "out of memory");
        return -1;
    }
    c->m = m;
    c->p = p;
    c->entry_type = wl_register_type(&d, "StrEntry", "rir");
    c->builder_type = wl_register_type(&d, "StrBuilder", "ri");
    c->table_type = wl_register_type(&d, "StrTable", "ri");
    wl_rng_seed(&c->rng, cfg->seed);
    c->kept = malloc(p->window * sizeof *c->kept);
    uint8_t *seen = calloc(p->vocab, 1);
    int rc = 0;
    if (c->entry_type == GC_TYPE_INVALID || c->builder_type == GC_TYPE_INVALID ||
        c->table_type == GC_TYPE_INVALID) {
        rc = -1;
        goto out;
    }
    if (c->kept == NULL || seen == NULL || !vocab_init(&c->v, p->vocab, &c->rng)) {
        wl_detail_add(&d, "out of memory");
        rc = -1;
        goto out;
    }
    for (uint32_t s = 0; s < p->window; s++)
        c->kept[s].len = UINT64_MAX;

    size_t saved = gc_roots_save(m);
    gc_value *r = c->r;
    wl_root_slots(m, r, R_NROOTS);
    r[R_TABLE] = gc_value_of(gc_alloc_record(m, c->table_type));
    r[R_NEW] = gc_value_of(gc_alloc_ref_array(m, p->buckets));
    gc_set_field(m, gc_ref(r[R_TABLE]), T_BUCKETS, r[R_NEW]);
    r[R_BUILDER] = gc_value_of(gc_alloc_record(m, c->builder_type));
    r[R_WINDOW] = gc_value_of(gc_alloc_ref_array(m, p->window));
    builder_reset(c);
    uint64_t target = wl_rng_log_range(&c->rng, 16, p->line_max);

    for (uint64_t i = 0; i < p->words; i++) {
        /* Zipf-like: small indices are much more frequent. */
        uint32_t w = (uint32_t)wl_rng_below(&c->rng, wl_rng_below(&c->rng, p->vocab) + 1);
        const char *word = c->v.pool + c->v.off[w];
        size_t wn = c->v.len[w];
        r[R_KEY] = gc_value_of(gc_alloc_string(m, word, wn));
        table_count(c, w);
        if (c->v.count[w]++ == 0)
            c->distinct++;
        r[R_KEY] = GC_NIL;
        builder_append(c, word, wn);
        builder_append(c, " ", 1);
        if (!text_append(&c->line, word, wn) || !text_append(&c->line, " ", 1)) {
            wl_detail_add(&d, "out of memory");
            rc = -1;
            gc_roots_restore(m, saved);
            goto out;
        }
        if (c->line.len >= target) {
            finish_line(c);
            target = wl_rng_log_range(&c->rng, 16, p->line_max);
        }
        if (i % p->blob_every == p->blob_every - 1)
            make_blob(c);
        gc_safepoint(m);
    }

    int mode = wl_corrupt_mode(cfg->debug_corrupt, STR_NMODES);
    if (mode != 0)
        corrupt_for_test(c, mode);

    /* Verify. Nothing below allocates. */
    str_check k = {.checksum = WL_HASH_INIT};
    check_table(c, &k, seen);
    uint64_t kept_live = 0, kept_bad = 0, kept_bytes = 0;
    for (uint32_t s = 0; s < p->window; s++) {
        gc_value v = gc_elem(gc_ref(r[R_WINDOW]), s);
        if (c->kept[s].len == UINT64_MAX) {
            if (!gc_is_nil(v)) {
                kept_bad++;
                wl_note(c->first, sizeof c->first, "empty window slot %u holds something", s);
            }
            continue;
        }
        kept_live++;
        kept_bytes += c->kept[s].len;
        if (!check_kept(c, v, s))
            kept_bad++;
        k.checksum = wl_hash_word(k.checksum, c->kept[s].hash);
    }
    bool builder_ok = builder_matches(c);
    if (!builder_ok)
        wl_note(c->first, sizeof c->first, "builder content differs");

    bool ok = k.bad == 0 && kept_bad == 0 && c->lines_bad == 0 && c->replaced_bad == 0 &&
              builder_ok;
    if (ok) {
        wl_detail_add(&d, "%" PRIu64 " words, %" PRIu64 " distinct counted ok", p->words,
                      c->distinct);
        wl_detail_add(&d, "%" PRIu64 " lines ok", c->lines);
        wl_detail_add(&d, "%" PRIu64 " replaced and %" PRIu64 " kept strings (%" PRIu64
                      " bytes) ok", c->replaced, kept_live, kept_bytes);
        wl_detail_add(&d, "checksum %016" PRIx64, k.checksum);
    } else {
        wl_detail_add(&d, "strings FAILED: table %" PRIu64 " bad of %" PRIu64 " entries, %" PRIu64
                      "/%" PRIu64 " bad lines, %" PRIu64 "/%" PRIu64 " bad replaced, %" PRIu64
                      "/%" PRIu64 " bad kept; %s", k.bad, k.entries, c->lines_bad, c->lines,
                      c->replaced_bad, c->replaced, kept_bad, kept_live, c->first);
    }
    res->verified = ok;
    gc_roots_restore(m, saved);
out:
    vocab_free(&c->v);
    free(c->line.buf);
    free(c->kept);
    free(seen);
    free(c);
    return rc;
}

const wl_workload wl_strings = {
    .name = "strings",
    .description = "byte strings from a few bytes to 1 MB: word counting in a hash table, "
                   "a growing string builder, substrings, concatenation, blobs",
    .run = strings_run,
};
