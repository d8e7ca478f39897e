/* collectors/bump_space.c — see bump_space.h for the invariants
 * (BUMP-1..3). */
#include "bump_space.h"

#include <string.h>

#include "core/sysalloc.h"

static inline uint64_t filler_header(size_t bytes)
{
    return gc_make_header(GC_TYPE_INVALID, bytes / 8);
}

int gc_bump_init(gc_bump_space *s, size_t reserve)
{
    reserve = gc_align_up(reserve ? reserve : 4096, 4096);
    void *p = gc_sys_reserve(reserve);
    if (!p)
        return -1;
    s->start = s->frontier = s->populated = p;
    s->reserved = reserve;
    if (gc_sys_pretouching()) /* every page is in already (BUMP-4) */
        s->populated = s->start + reserve;
    return 0;
}

void gc_bump_populate(gc_bump_space *s, const char *upto)
{
    GC_ASSERT(upto > s->populated && upto <= s->start + s->reserved);
    size_t want = (size_t)(upto - s->populated);
    if (want < GC_BUMP_POPULATE_STEP)
        want = GC_BUMP_POPULATE_STEP;
    size_t left = (size_t)(s->start + s->reserved - s->populated);
    want = gc_align_up(want, 4096); /* reserved is whole pages, so is left */
    if (want > left)
        want = left;
    gc_sys_prefault(s->populated, want);
    s->populated += want;
    GC_ASSERT(s->frontier <= s->populated); /* BUMP-4 */
}

void gc_bump_destroy(gc_bump_space *s)
{
    if (s->start)
        gc_sys_unreserve(s->start, s->reserved);
    memset(s, 0, sizeof *s);
}

void gc_bump_retire(gc_bump_space *s, gc_mutator *m)
{
    if (m->bump_limit > m->bump_ptr && gc_bump_in_reservation(s, (void *)m->bump_ptr)) {
        GC_ASSERT(m->bump_limit <= (uintptr_t)s->frontier && (m->bump_limit - m->bump_ptr) % 8 == 0);
        ((gc_object *)m->bump_ptr)->header = filler_header(m->bump_limit - m->bump_ptr);
    }
    m->bump_ptr = m->bump_limit = 0;
}

void *gc_bump_refill(gc_bump_space *s, gc_mutator *m, size_t bytes, size_t cap)
{
    GC_ASSERT(cap <= s->reserved && bytes % GC_GRANULE == 0);
    gc_bump_retire(s, m);
    size_t room = cap > gc_bump_footprint(s) ? cap - gc_bump_footprint(s) : 0;
    if (room < bytes)
        return NULL;
    size_t chunk = bytes > GC_BUMP_CHUNK ? bytes : GC_BUMP_CHUNK;
    if (chunk > room)
        chunk = room & ~(size_t)(GC_GRANULE - 1);
    char *p = gc_bump_take(s, chunk);
    /* Zero the chunk in one streaming pass, so the inline fast path need
     * not zero each object (ops->alloc_zeroed); core does it as the slow
     * path returns, outside the heap lock. */
    gc_mutator_zero_later(m, p, chunk);
    m->bump_ptr = (uintptr_t)p + bytes;
    m->bump_limit = (uintptr_t)p + chunk;
    GC_ASSERT(gc_bump_footprint(s) <= cap); /* BUMP-3 */
    return p;
}

void gc_bump_prepare(gc_bump_space *s, gc_heap *h)
{
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        gc_bump_retire(s, m);
}

void gc_bump_finish(gc_bump_space *s)
{
#ifndef NDEBUG
    /* 0xda...: bit 0 clear, so a stale header reads as "not an object". */
    memset(s->start, 0xda, gc_bump_footprint(s));
#endif
    s->frontier = s->start;
}

/* The unused tail of a mutator chunk starting at p, if any. */
static char *skip_chunk_tail(gc_heap *h, char *p)
{
    for (gc_mutator *m = gc_heap_mutators(h); m; m = m->next)
        if ((uintptr_t)p == m->bump_ptr && m->bump_limit > m->bump_ptr)
            return (char *)m->bump_limit;
    return NULL;
}

bool gc_bump_each(gc_bump_space *s, gc_heap *h, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    char *p = s->start;
    while (p < s->frontier) {
        char *tail_end = skip_chunk_tail(h, p);
        if (tail_end) {
            p = tail_end;
            continue;
        }
        uint64_t hdr = ((gc_object *)p)->header;
        if (!gc_header_valid(hdr))
            return false;
        uint32_t type = gc_header_type(hdr);
        if (type == GC_TYPE_INVALID) { /* a filler (BUMP-2) */
            size_t words = gc_header_length(hdr);
            if (words == 0 || words > (size_t)(s->frontier - p) / 8)
                return false;
            p += words * 8;
            continue;
        }
        if (!gc_type_get(type))
            return false;
        size_t size = gc_header_size(hdr);
        if (size > (size_t)(s->frontier - p))
            return false;
        fn((gc_object *)p, ctx);
        p += size;
    }
    return p == s->frontier;
}

bool gc_bump_is_object(const gc_bump_space *s, const gc_object *o)
{
    if (!gc_bump_contains(s, o) || !gc_header_valid(o->header))
        return false;
    return gc_type_get(gc_header_type(o->header)) &&
           gc_object_size(o) <= (size_t)(s->frontier - (const char *)o);
}

static void ignore_object(gc_object *o, void *ctx)
{
    (void)o;
    (void)ctx;
}

size_t gc_bump_check(gc_bump_space *s, gc_heap *h)
{
    if (s->frontier < s->start || gc_bump_footprint(s) > s->reserved) {
        gc_verify_fail(h, "bump space %p: frontier %p outside its reservation of %zu bytes", (void *)s->start,
                       (void *)s->frontier, s->reserved);
        return 1;
    }
    if (s->populated < s->frontier || s->populated > s->start + s->reserved) {
        gc_verify_fail(h, "bump space %p: populated mark %p not between the frontier %p and the reservation's end",
                       (void *)s->start, (void *)s->populated, (void *)s->frontier);
        return 1;
    }
    if (!gc_bump_each(s, h, ignore_object, NULL)) {
        gc_verify_fail(h, "bump space %p does not parse: a word that is neither object nor filler",
                       (void *)s->start);
        return 1;
    }
    return 0;
}

/* ---- the moving-space verifier --------------------------------------------------- */

typedef struct evac_check {
    gc_heap *h;
    const gc_bump_space *to, *from;
    gc_ptrset starts; /* object starts in to-space */
    const gc_object *holder;
    size_t errors;
} evac_check;

static void add_start(gc_object *o, void *arg) { gc_ptrset_add(&((evac_check *)arg)->starts, o); }

static void check_slot(gc_value *slot, void *arg)
{
    evac_check *c = arg;
    gc_object *o = gc_ref(*slot);
    const char *what = c->holder ? "object" : "root";
    const void *where = c->holder ? (const void *)c->holder : (const void *)slot;
    if (c->from && gc_bump_in_reservation(c->from, o)) {
        gc_verify_fail(c->h, "%s %p holds %p, a reference into the evacuated space", what, where, (void *)o);
        c->errors++;
    } else if (gc_bump_in_reservation(c->to, o) && !gc_ptrset_contains(&c->starts, o)) {
        gc_verify_fail(c->h, "%s %p holds %p, which is not an object start in the space evacuated into", what,
                       where, (void *)o);
        c->errors++;
    }
}

static void check_object(gc_object *o, void *arg)
{
    evac_check *c = arg;
    c->holder = o;
    gc_trace_object(o, check_slot, c);
}

size_t gc_bump_check_evacuated(gc_bump_space *to, const gc_bump_space *from, gc_heap *h,
                               void (*each_other)(gc_heap *h, void (*fn)(gc_object *o, void *ctx),
                                                  void *ctx))
{
    size_t errors = gc_bump_check(to, h);
    if (errors)
        return errors;
    evac_check c = {.h = h, .to = to, .from = from};
    gc_ptrset_init(&c.starts);
    gc_bump_each(to, h, add_start, &c);
    gc_bump_each(to, h, check_object, &c);
    if (each_other)
        each_other(h, check_object, &c);
    c.holder = NULL;
    gc_visit_roots(h, check_slot, &c);
    gc_ptrset_free(&c.starts);
    return c.errors;
}
