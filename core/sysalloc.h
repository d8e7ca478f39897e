/* core/sysalloc.h — the allocator underneath: jemalloc when available
 * (mallocx/sdallocx: sized frees are cheaper), libc malloc otherwise (the
 * sanitizer build, where ASan owns malloc). Used for metadata, logs, the
 * large-object space and reference counting — never for ordinary
 * small objects of tracing collectors. */
#ifndef GC_SYSALLOC_H
#define GC_SYSALLOC_H

#include <stdbool.h>
#include <stddef.h>

void *gc_sys_alloc(size_t bytes);              /* aborts on OOM */
void *gc_sys_alloc_zeroed(size_t bytes);       /* aborts on OOM */
void *gc_sys_realloc(void *p, size_t old_bytes, size_t bytes);
void gc_sys_free(void *p, size_t bytes);       /* bytes: size passed at allocation */
const char *gc_sys_allocator_name(void);

/* Reserves `bytes` of address space (rounded up to whole pages) for a
 * collector space or its side metadata: readable and writable, zero-filled,
 * backed lazily (MAP_NORESERVE: memory is committed page by page as it is
 * first written, so a reservation costs no memory up front), 2 MiB aligned,
 * and advised for transparent huge pages when GCBENCH_HUGE_PAGES=1 (first
 * touches then fault in 2 MiB at a time instead of 4 KiB). NULL on failure
 * (the address space cannot hold it, or RLIMIT_AS): a clean error, never a
 * crash later. gc_sys_unreserve takes the same `bytes`. */
void *gc_sys_reserve(size_t bytes);
void gc_sys_unreserve(void *p, size_t bytes);
/* Faults in the pages of [p, p + bytes) (page aligned) for writing, now,
 * with one system call (MADV_POPULATE_WRITE, which changes no byte), or on
 * older kernels a write per page. The range must hold no data but zeros:
 * the fallback writes zeros. */
void gc_sys_prefault(void *p, size_t bytes);
/* Whether reservations ask for huge pages (reported in summaries). */
bool gc_sys_huge_pages(void);
/* While on (for the calling thread: gc_heap_create turns it on around the
 * collector's init when gc_config.pretouch is set), gc_sys_reserve faults
 * in every page it reserves and writes to each, so a run pays no first
 * touch; gc_sys_pretouching tells whether it is on (a space made in init
 * then knows its pages are in). */
void gc_sys_pretouch_reservations(bool on);
bool gc_sys_pretouching(void);

#endif
