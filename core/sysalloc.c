/* core/sysalloc.c — see sysalloc.h. */
#include "sysalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* ---- Address-space reservations for collector spaces ------------------------ */

#define SYS_HUGE_PAGE ((size_t)2 << 20)

/* Off by default: on virtual machines a huge page's first touch can cost
 * from 0.1 to several ms depending on the host, which made run-to-run
 * variance worse than the 4 KiB faults it saves (see docs/collectors/generational.md). */
static int sys_huge_pages = -1; /* -1: not decided yet (GCBENCH_HUGE_PAGES=1 turns it on) */

bool gc_sys_huge_pages(void)
{
    if (sys_huge_pages < 0) {
        const char *e = getenv("GCBENCH_HUGE_PAGES");
        sys_huge_pages = e && strcmp(e, "1") == 0;
    }
    return sys_huge_pages;
}

static _Thread_local bool sys_pretouch;

void gc_sys_pretouch_reservations(bool on) { sys_pretouch = on; }
bool gc_sys_pretouching(void) { return sys_pretouch; }

/* Faults in [p, p + bytes) and writes a zero to each page: on a VM with
 * shadow page tables the first access after MADV_POPULATE_WRITE still
 * costs a hypervisor exit (docs/methodology.md), taken here. */
static void sys_touch(char *p, size_t bytes)
{
    gc_sys_prefault(p, bytes);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += page)
        ((volatile char *)p)[off] = 0;
}

/* bytes rounded up to whole pages; 0 when that overflows. */
static size_t sys_page_round(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (bytes > SIZE_MAX - SYS_HUGE_PAGE - page)
        return 0;
    return (bytes + page - 1) / page * page;
}

void *gc_sys_reserve(size_t bytes)
{
    bytes = sys_page_round(bytes);
    if (bytes == 0)
        return NULL;
    /* Over-reserve by one huge page and trim, so the region is 2 MiB aligned
     * and the kernel can back it with transparent huge pages. */
    size_t len = bytes + SYS_HUGE_PAGE;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *q = (char *)(((uintptr_t)p + SYS_HUGE_PAGE - 1) & ~(uintptr_t)(SYS_HUGE_PAGE - 1));
    if (q > p)
        munmap(p, (size_t)(q - p));
    size_t tail = (size_t)(p + len - (q + bytes));
    if (tail > 0)
        munmap(q + bytes, tail);
#ifdef MADV_HUGEPAGE
    if (gc_sys_huge_pages())
        (void)madvise(q, bytes, MADV_HUGEPAGE); /* a hint: without THP it fails harmlessly */
#endif
    if (sys_pretouch)
        sys_touch(q, bytes);
    return q;
}

void gc_sys_unreserve(void *p, size_t bytes)
{
    if (p)
        munmap(p, sys_page_round(bytes));
}

void gc_sys_prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0)
        return;
#endif
    /* Older kernels: write one byte per page (the range holds zeros only). */
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += (size_t)page)
        ((volatile char *)p)[off] = 0;
}
