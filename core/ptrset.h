/* core/ptrset.h — an open-addressing set of non-NULL addresses, allocated
 * with the system allocator (never in the collected heap). Used by the heap
 * verifier for its visited set and by spaces that must answer "is this an
 * object of mine?" for scattered objects. */
#ifndef GC_PTRSET_H
#define GC_PTRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gc_ptrset {
    uintptr_t *slots; /* 0 = empty, 1 = deleted */
    size_t cap;       /* power of two */
    size_t count;
    size_t used;      /* count + deleted */
} gc_ptrset;

void gc_ptrset_init(gc_ptrset *s);
void gc_ptrset_free(gc_ptrset *s);
bool gc_ptrset_add(gc_ptrset *s, const void *p);      /* true if newly added */
bool gc_ptrset_contains(const gc_ptrset *s, const void *p);
bool gc_ptrset_remove(gc_ptrset *s, const void *p);   /* true if it was there */

#endif
