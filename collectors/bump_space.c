/* collectors/bump_space.c — see bump_space.h for the invariants. */
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
    s->start = s->frontier = p;
    s->reserved = reserve;
    return 0;
}

void gc_bump_destroy(gc_bump_space *s)
{
    if (s->start)
        gc_sys_unreserve(s->start, s->reserved);
    memset(s, 0, sizeof *s);
}

void gc_bump_retire(gc_bump_space *s, gc_mutator *m)
{
    if (m->bump_limit > m->bump_ptr && gc_bump_in_reservation(s, (void *)m->bump_ptr))
        ((gc_object *)m->bump_ptr)->header = filler_header(m->bump_limit - m->bump_ptr);
    m->bump_ptr = m->bump_limit = 0;
}

void *gc_bump_refill(gc_bump_space *s, gc_mutator *m, size_t bytes, size_t cap)
{
    gc_bump_retire(s, m);
    size_t room = cap > gc_bump_used(s) ? cap - gc_bump_used(s) : 0;
    if (room < bytes)
        return NULL;
    size_t chunk = bytes > GC_BUMP_CHUNK ? bytes : GC_BUMP_CHUNK;
    if (chunk > room)
        chunk = room;
    char *p = gc_bump_take(s, chunk);
    /* Zero the chunk in one streaming pass, so the inline fast path need
     * not zero each object (ops->alloc_zeroed). */
    memset(p, 0, chunk);
    m->bump_ptr = (uintptr_t)p + bytes;
    m->bump_limit = (uintptr_t)p + chunk;
    return p;
}

void gc_bump_reset(gc_bump_space *s) { s->frontier = s->start; }

void gc_bump_poison(gc_bump_space *s)
{
    /* 0xda...: bit 0 clear, so a stale header reads as "not an object". */
    memset(s->start, 0xda, gc_bump_used(s));
}

/* The unused tail of a mutator chunk starting at p, if any. */
static char *skip_chunk_tail(gc_heap *h, char *p)
{
    for (gc_mutator *m = h->mutators; m; m = m->next)
        if ((uintptr_t)p == m->bump_ptr && m->bump_limit > m->bump_ptr)
            return (char *)m->bump_limit;
    return NULL;
}

bool gc_bump_walk(gc_bump_space *s, gc_heap *h, gc_bump_object_fn fn, void *ctx)
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
        if (type == GC_TYPE_INVALID) {
            size_t words = gc_header_length(hdr);
            if (words == 0)
                return false;
            p += words * 8;
            continue;
        }
        const gc_type *t = gc_type_get(type);
        if (!t)
            return false;
        size_t size = gc_size_for(t->kind, gc_header_length(hdr));
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
    const gc_type *t = gc_type_get(gc_header_type(o->header));
    return t && gc_size_for(t->kind, gc_header_length(o->header)) <= (size_t)(s->frontier - (const char *)o);
}
