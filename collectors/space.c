/* collectors/space.c — the non-moving space (gc_nms): see space.h. */
#include "space.h"

int gc_nms_init(gc_nms *s, size_t max_bytes)
{
    if (gc_fls_init(&s->fls, max_bytes) != 0)
        return -1;
    gc_los_init(&s->los);
    return 0;
}

void gc_nms_destroy(gc_nms *s)
{
    gc_fls_destroy(&s->fls);
    gc_los_destroy(&s->los);
}

void gc_nms_prepare(gc_nms *s)
{
    gc_fls_prepare(&s->fls);
    gc_los_prepare(&s->los);
}

size_t gc_nms_finish(gc_nms *s)
{
    gc_fls_finish(&s->fls);
    return gc_los_finish(&s->los);
}

void gc_nms_each(gc_nms *s, gc_space_object_fn fn, void *ctx)
{
    gc_fls_each(&s->fls, fn, ctx);
    gc_los_each(&s->los, fn, ctx);
}

size_t gc_nms_check(const gc_nms *s, gc_heap *h)
{
    return gc_fls_check(&s->fls, h) + gc_los_check(&s->los, h);
}
