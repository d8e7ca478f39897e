/* collectors/los.c — see los.h. */
#include "los.h"

#include "core/sysalloc.h"

void gc_los_init(gc_los *los)
{
    los->head.prev = los->head.next = &los->head;
    los->bytes = los->count = 0;
    gc_ptrset_init(&los->starts);
}

static void los_release(gc_los *los, gc_los_entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    los->bytes -= e->bytes;
    los->count--;
    gc_ptrset_remove(&los->starts, e + 1);
    gc_sys_free(e, sizeof *e + e->bytes);
}

void gc_los_destroy(gc_los *los)
{
    while (los->head.next != &los->head)
        los_release(los, los->head.next);
    gc_ptrset_free(&los->starts);
}

void *gc_los_alloc(gc_los *los, size_t bytes)
{
    gc_los_entry *e = gc_sys_alloc(sizeof *e + bytes);
    e->bytes = bytes;
    e->mark = 0;
    e->next = los->head.next;
    e->prev = &los->head;
    e->next->prev = e;
    los->head.next = e;
    los->bytes += bytes;
    los->count++;
    gc_ptrset_add(&los->starts, e + 1);
    return e + 1;
}

size_t gc_los_sweep(gc_los *los)
{
    size_t live = 0;
    for (gc_los_entry *e = los->head.next, *next; e != &los->head; e = next) {
        next = e->next;
        if (e->mark) {
            e->mark = 0;
            live += e->bytes;
        } else {
            los_release(los, e);
        }
    }
    return live;
}

bool gc_los_contains(const gc_los *los, const void *addr)
{
    return gc_ptrset_contains(&los->starts, addr);
}

bool gc_los_is_object(const gc_los *los, const gc_object *o)
{
    return gc_ptrset_contains(&los->starts, o) && gc_header_valid(o->header) &&
           gc_object_size(o) <= gc_los_entry_of(o)->bytes;
}
