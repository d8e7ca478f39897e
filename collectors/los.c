/* collectors/los.c — see los.h for the invariants. */
#include "los.h"

#include "core/sysalloc.h"

void gc_los_init(gc_los *los)
{
    los->head.prev = los->head.next = &los->head;
    los->bytes = los->count = 0;
    los->marking = false;
    gc_ptrset_init(&los->starts);
}

static void los_release(gc_los *los, gc_los_entry *e)
{
    GC_ASSERT(los->count > 0 && los->bytes >= e->bytes);
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

void *gc_los_alloc(gc_los *los, size_t bytes, size_t room)
{
    GC_ASSERT(bytes % GC_GRANULE == 0 && bytes >= GC_MIN_OBJECT);
    GC_ASSERT(!los->marking); /* never allocated into during a collection */
    if (bytes > room || room - bytes < GC_LOS_OVERHEAD)
        return NULL;
    /* Zeroed by the allocator, which skips the memset for fresh pages
     * (jemalloc's MALLOCX_ZERO): the caller tells core (m->slow_zeroed). */
    gc_los_entry *e = gc_sys_alloc_zeroed(sizeof *e + bytes);
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

void gc_los_prepare(gc_los *los)
{
    GC_ASSERT(!los->marking);
    los->marking = true;
}

size_t gc_los_finish(gc_los *los)
{
    GC_ASSERT(los->marking);
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
    los->marking = false;
    return live;
}

void gc_los_each(gc_los *los, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    for (gc_los_entry *e = los->head.next; e != &los->head; e = e->next)
        fn((gc_object *)(e + 1), ctx);
}

bool gc_los_contains(const gc_los *los, const void *addr)
{
    return gc_ptrset_contains(&los->starts, addr);
}

bool gc_los_is_object(const gc_los *los, const gc_object *o)
{
    return gc_ptrset_contains(&los->starts, o) && gc_header_valid(o->header) &&
           gc_type_get(gc_header_type(o->header)) && gc_object_size(o) <= gc_los_entry_of(o)->bytes;
}

size_t gc_los_check(const gc_los *los, gc_heap *h)
{
    size_t errors = 0, n = 0, bytes = 0;
    for (const gc_los_entry *e = los->head.next; e != &los->head; e = e->next) {
        if (e->next->prev != e) {
            gc_verify_fail(h, "large-object list broken at %p", (void *)(e + 1));
            return errors + 1;
        }
        if (++n > los->count)
            break; /* reported below; also stops a cycle */
        bytes += e->bytes;
        if (!gc_ptrset_contains(&los->starts, e + 1)) {
            gc_verify_fail(h, "large object %p is not in the space's start set", (const void *)(e + 1));
            errors++;
        }
        if (e->mark && !los->marking) {
            gc_verify_fail(h, "large object %p still marked outside a collection", (const void *)(e + 1));
            errors++;
        }
    }
    if (n != los->count || los->starts.count != los->count) {
        gc_verify_fail(h, "large-object space counts %zu objects, its list holds %s%zu, its start set %zu",
                       los->count, n > los->count ? "more than " : "", n > los->count ? los->count : n,
                       los->starts.count);
        errors++;
    } else if (bytes != los->bytes) {
        gc_verify_fail(h, "large-object space counts %zu bytes, its objects take %zu", los->bytes, bytes);
        errors++;
    }
    return errors;
}
