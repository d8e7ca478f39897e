/* core/ptrset.c — linear-probing address set; see ptrset.h.
 * Invariant: used <= cap * 3/4, so probes always reach an empty slot. */
#include "ptrset.h"

#include "sysalloc.h"

#define PS_EMPTY ((uintptr_t)0)
#define PS_DELETED ((uintptr_t)1)

static size_t ps_hash(uintptr_t p, size_t cap)
{
    uint64_t x = (uint64_t)p >> 3;
    x *= 0x9e3779b97f4a7c15ull;
    return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

void gc_ptrset_init(gc_ptrset *s)
{
    s->cap = 64;
    s->count = s->used = 0;
    s->slots = gc_sys_alloc_zeroed(s->cap * sizeof *s->slots);
}

void gc_ptrset_free(gc_ptrset *s)
{
    gc_sys_free(s->slots, s->cap * sizeof *s->slots);
    s->slots = NULL;
    s->cap = s->count = s->used = 0;
}

static void ps_insert_fresh(uintptr_t *slots, size_t cap, uintptr_t p)
{
    size_t i = ps_hash(p, cap);
    while (slots[i] != PS_EMPTY)
        i = (i + 1) & (cap - 1);
    slots[i] = p;
}

static void ps_rehash(gc_ptrset *s, size_t newcap)
{
    uintptr_t *ns = gc_sys_alloc_zeroed(newcap * sizeof *ns);
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] > PS_DELETED)
            ps_insert_fresh(ns, newcap, s->slots[i]);
    gc_sys_free(s->slots, s->cap * sizeof *s->slots);
    s->slots = ns;
    s->cap = newcap;
    s->used = s->count;
}

bool gc_ptrset_contains(const gc_ptrset *s, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    if (p <= PS_DELETED)
        return false;
    for (size_t i = ps_hash(p, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == p)
            return true;
        if (s->slots[i] == PS_EMPTY)
            return false;
    }
}

bool gc_ptrset_add(gc_ptrset *s, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    if (p <= PS_DELETED || gc_ptrset_contains(s, ptr))
        return false;
    if ((s->used + 1) * 4 > s->cap * 3)
        ps_rehash(s, s->count * 4 > s->cap ? s->cap * 2 : s->cap);
    size_t i = ps_hash(p, s->cap);
    while (s->slots[i] > PS_DELETED)
        i = (i + 1) & (s->cap - 1);
    if (s->slots[i] == PS_EMPTY)
        s->used++;
    s->slots[i] = p;
    s->count++;
    return true;
}

bool gc_ptrset_remove(gc_ptrset *s, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    if (p <= PS_DELETED)
        return false;
    for (size_t i = ps_hash(p, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == p) {
            s->slots[i] = PS_DELETED;
            s->count--;
            return true;
        }
        if (s->slots[i] == PS_EMPTY)
            return false;
    }
}
