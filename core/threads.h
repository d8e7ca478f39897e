/* core/threads.h — blocking outside the heap, for mutator threads: program
 * locks, condition variables, sleeping and joining, each done INACTIVE
 * (core/heap.h, docs/threads.md) so that a thread blocked here never stalls
 * a collection. Uncontended locks take no state change at all.
 *
 * Rule: a lock taken with gc_mutator_lock may be held across safepoints
 * (its waiters are inactive); a lock taken with plain uv_mutex_lock by a
 * mutator must never be held across a safepoint, or a collection could
 * wait for a thread that waits for it.
 */
#ifndef GC_THREADS_H
#define GC_THREADS_H

#include <uv.h>

#include "heap.h"

GC_INLINE void gc_mutator_lock(gc_mutator *m, uv_mutex_t *mu)
{
    if (uv_mutex_trylock(mu) == 0)
        return;
    gc_inactive_begin(m);
    uv_mutex_lock(mu);
    gc_inactive_end(m);
}

/* uv_cond_wait on mu (held, taken with gc_mutator_lock), inactive while waiting. */
GC_INLINE void gc_mutator_cond_wait(gc_mutator *m, uv_cond_t *cv, uv_mutex_t *mu)
{
    gc_inactive_begin(m);
    uv_cond_wait(cv, mu);
    gc_inactive_end(m);
}

GC_INLINE void gc_mutator_sleep_ms(gc_mutator *m, unsigned ms)
{
    gc_inactive_begin(m);
    uv_sleep(ms);
    gc_inactive_end(m);
}

GC_INLINE int gc_mutator_join(gc_mutator *m, uv_thread_t *t)
{
    gc_inactive_begin(m);
    int r = uv_thread_join(t);
    gc_inactive_end(m);
    return r;
}

#endif /* GC_THREADS_H */
