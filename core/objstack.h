/* core/objstack.h — a growable stack of object pointers in system memory:
 * the explicit work list of every trace (mark stacks, scan queues,
 * remembered sets, the verifier), so no traversal ever recurses on the C
 * stack. Push is inline; growth (doubling) is out of line. */
#ifndef GC_OBJSTACK_H
#define GC_OBJSTACK_H

#include "object.h"

typedef struct gc_objstack {
    gc_object **v;
    size_t n;   /* entries in use */
    size_t cap; /* entries allocated */
} gc_objstack;

GC_NOINLINE void gc_objstack_grow(gc_objstack *s);
void gc_objstack_free(gc_objstack *s); /* releases the memory; the stack is empty afterwards */
/* Pushes every entry of src onto dst (bottom first) and empties src. */
void gc_objstack_move_all(gc_objstack *dst, gc_objstack *src);

GC_INLINE void gc_objstack_push(gc_objstack *s, gc_object *o)
{
    if (GC_UNLIKELY(s->n == s->cap))
        gc_objstack_grow(s);
    s->v[s->n++] = o;
}
GC_INLINE gc_object *gc_objstack_pop(gc_objstack *s) { return s->v[--s->n]; }
GC_INLINE bool gc_objstack_empty(const gc_objstack *s) { return s->n == 0; }

#endif
