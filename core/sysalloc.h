/* core/sysalloc.h — the allocator underneath: jemalloc when available
 * (mallocx/sdallocx: sized frees are cheaper), libc malloc otherwise (the
 * sanitizer build, where ASan owns malloc). Used for metadata, logs, the
 * large-object space and reference counting — never for ordinary
 * small objects of tracing collectors. */
#ifndef GC_SYSALLOC_H
#define GC_SYSALLOC_H

#include <stddef.h>

void *gc_sys_alloc(size_t bytes);              /* aborts on OOM */
void *gc_sys_alloc_zeroed(size_t bytes);       /* aborts on OOM */
void *gc_sys_realloc(void *p, size_t old_bytes, size_t bytes);
void gc_sys_free(void *p, size_t bytes);       /* bytes: size passed at allocation */
const char *gc_sys_allocator_name(void);

#endif
