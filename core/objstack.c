/* core/objstack.c — see objstack.h. */
#include "objstack.h"

#include "sysalloc.h"

void gc_objstack_grow(gc_objstack *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    s->v = gc_sys_realloc(s->v, s->cap * sizeof *s->v, ncap * sizeof *s->v);
    s->cap = ncap;
}

void gc_objstack_free(gc_objstack *s)
{
    gc_sys_free(s->v, s->cap * sizeof *s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void gc_objstack_move_all(gc_objstack *dst, gc_objstack *src)
{
    for (size_t i = 0; i < src->n; i++)
        gc_objstack_push(dst, src->v[i]);
    src->n = 0;
}
