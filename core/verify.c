/* core/verify.c — the collector-independent heap verifier.
 *
 * Walks everything reachable from the roots with its own visited set and
 * work stack (system memory; the collector's mark bits are not touched) and
 * checks, for every reference: aligned, inside the collector's memory, the
 * start of an object (ops->is_object), a valid header tag (not a forwarding
 * word or a free cell), a registered type, a length consistent with the type,
 * and the whole object inside the collector's memory; that the footprint is
 * within the heap limit; then the collector's own invariants (ops->verify).
 * Problems go to stderr (at most VERIFY_MAX_REPORTS shown, all counted); a
 * verification that found any ends in the heap's corrupt handler. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "heap_impl.h"
#include "objstack.h"
#include "ptrset.h"
#include "sysalloc.h"

#define VERIFY_MAX_REPORTS 20

void gc_verify_fail(gc_heap *h, const char *fmt, ...)
{
    if (h->verify_errors++ < VERIFY_MAX_REPORTS) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "heap verifier (%s): ", h->ops->name);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

typedef struct verify_ctx {
    gc_heap *h;
    gc_ptrset seen;
    gc_objstack work;
    const gc_object *holder; /* object being scanned; NULL for roots */
} verify_ctx;

static bool check_object(gc_heap *h, const gc_object *o, const gc_object *holder)
{
    const char *where = holder ? "field of object" : "root";
    if (((uintptr_t)o & (GC_GRANULE - 1)) != 0) {
        gc_verify_fail(h, "%s %p holds misaligned reference %p", where, (void *)holder, (void *)o);
        return false;
    }
    if (!h->ops->contains(h, o)) {
        gc_verify_fail(h, "%s %p holds reference %p, which is not the start of any object memory of the heap",
                       where, (void *)holder, (void *)o);
        return false;
    }
    uint64_t hdr = o->header;
    if (!gc_header_valid(hdr)) {
        gc_verify_fail(h, "%s %p holds reference %p to a non-object (header word %#llx: forwarded or free)",
                       where, (void *)holder, (void *)o, (unsigned long long)hdr);
        return false;
    }
    const gc_type *t = gc_type_get(gc_header_type(hdr));
    if (!t) {
        gc_verify_fail(h, "object %p (from %s %p) has unregistered type id %u", (void *)o, where,
                       (void *)holder, gc_header_type(hdr));
        return false;
    }
    uint64_t len = gc_header_length(hdr);
    if (t->kind == GC_KIND_RECORD && len != t->nfields) {
        gc_verify_fail(h, "record %p of type %s has length %llu, type says %u", (void *)o, t->name,
                       (unsigned long long)len, t->nfields);
        return false;
    }
    if (!h->ops->is_object(h, o)) {
        gc_verify_fail(h, "%s %p holds %p, which is not an allocated object of this heap", where,
                       (void *)holder, (void *)o);
        return false;
    }
    size_t size = gc_size_for(t->kind, len);
    if (size > h->limit) {
        gc_verify_fail(h, "object %p of type %s (%zu bytes) extends outside the heap", (void *)o,
                       t->name, size);
        return false;
    }
    return true;
}

static void verify_visit(gc_value *slot, void *arg)
{
    verify_ctx *c = arg;
    gc_object *o = gc_ref(*slot);
    if (gc_ptrset_contains(&c->seen, o))
        return;
    if (!check_object(c->h, o, c->holder))
        return;
    gc_ptrset_add(&c->seen, o);
    gc_objstack_push(&c->work, o);
}

size_t gc_verify_heap(gc_heap *h)
{
    verify_ctx c = {.h = h};
    gc_ptrset_init(&c.seen);
    h->verifying = true;
    h->verify_errors = 0;
    gc_visit_roots(h, verify_visit, &c);
    while (!gc_objstack_empty(&c.work)) {
        gc_object *o = gc_objstack_pop(&c.work);
        c.holder = o;
        gc_trace_object(o, verify_visit, &c);
    }
    size_t footprint = h->ops->footprint(h);
    if (footprint > h->limit)
        gc_verify_fail(h, "footprint %zu bytes exceeds the heap limit %zu bytes", footprint, h->limit);
    h->ops->verify(h);
    h->verifying = false;
    gc_objstack_free(&c.work);
    gc_ptrset_free(&c.seen);
    if (h->verify_errors > VERIFY_MAX_REPORTS)
        fprintf(stderr, "heap verifier (%s): %zu more problems not shown\n", h->ops->name,
                h->verify_errors - VERIFY_MAX_REPORTS);
    return h->verify_errors;
}

/* Runs the corrupt handler, which must not return. */
static _Noreturn void verify_failed(gc_heap *h, const char *when, size_t errors)
{
    gc_heap_release_for_handler(h);
    h->corrupt(h, when, errors, h->corrupt_data);
    fprintf(stderr, "gcbench: heap-corrupt handler returned\n");
    abort();
}

#ifndef NDEBUG
static void check_root(gc_value *slot, void *arg)
{
    gc_heap *h = arg;
    gc_object *o = gc_ref(*slot);
    if (((uintptr_t)o & (GC_GRANULE - 1)) != 0 || !h->ops->contains(h, o) || !gc_header_valid(o->header)) {
        fprintf(stderr, "gcbench: after a %s pause, root slot %p holds %p, not an object of the heap\n",
                h->ops->name, (void *)slot, (void *)o);
        abort();
    }
}
#endif

void gc_after_pause(gc_heap *h)
{
#ifndef NDEBUG
    gc_visit_roots(h, check_root, h);
#endif
    if (!h->cfg.verify)
        return;
    uint64_t t0 = uv_hrtime();
    size_t errors = gc_verify_heap(h);
    h->verify_ns += uv_hrtime() - t0;
    if (errors > 0) {
        char when[64];
        snprintf(when, sizeof when, "after pause %zu", h->npauses);
        verify_failed(h, when, errors);
    }
}

void gc_verify_collector(gc_heap *h, const char *when)
{
    if (!h->cfg.verify)
        return;
    gc_stop_world(h); /* the collector's invariants hold only with every mutator stopped */
    uint64_t t0 = uv_hrtime();
    bool was = h->verifying;
    h->verifying = true;
    h->verify_errors = 0;
    h->ops->verify(h);
    h->verifying = was;
    size_t errors = h->verify_errors;
    uint64_t spent = uv_hrtime() - t0;
    h->verify_ns += spent;
    if (h->tts_pending)
        h->stop_t0 += spent; /* the pause that follows excludes verifier time */
    if (errors > VERIFY_MAX_REPORTS)
        fprintf(stderr, "heap verifier (%s): %zu more problems not shown\n", h->ops->name,
                errors - VERIFY_MAX_REPORTS);
    if (errors > 0)
        verify_failed(h, when, errors);
}
