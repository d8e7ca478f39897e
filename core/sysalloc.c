/* core/sysalloc.c — see sysalloc.h. */
#include "sysalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef GC_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static _Noreturn void sys_oom(size_t bytes)
{
    fprintf(stderr, "gcbench: out of system memory allocating %zu bytes of metadata\n", bytes);
    exit(1);
}

void *gc_sys_alloc(size_t bytes)
{
#ifdef GC_HAVE_JEMALLOC
    void *p = mallocx(bytes ? bytes : 1, 0);
#else
    void *p = malloc(bytes ? bytes : 1);
#endif
    if (!p)
        sys_oom(bytes);
    return p;
}

void *gc_sys_alloc_zeroed(size_t bytes)
{
#ifdef GC_HAVE_JEMALLOC
    void *p = mallocx(bytes ? bytes : 1, MALLOCX_ZERO);
#else
    void *p = calloc(1, bytes ? bytes : 1);
#endif
    if (!p)
        sys_oom(bytes);
    return p;
}

void *gc_sys_realloc(void *p, size_t old_bytes, size_t bytes)
{
    (void)old_bytes;
    if (!p)
        return gc_sys_alloc(bytes);
#ifdef GC_HAVE_JEMALLOC
    void *q = rallocx(p, bytes ? bytes : 1, 0);
#else
    void *q = realloc(p, bytes ? bytes : 1);
#endif
    if (!q)
        sys_oom(bytes);
    return q;
}

void gc_sys_free(void *p, size_t bytes)
{
    if (!p)
        return;
#ifdef GC_HAVE_JEMALLOC
    sdallocx(p, bytes ? bytes : 1, 0);
#else
    (void)bytes;
    free(p);
#endif
}

const char *gc_sys_allocator_name(void)
{
#ifdef GC_HAVE_JEMALLOC
    return "jemalloc";
#else
    return "libc";
#endif
}
