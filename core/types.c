/* core/types.c — the type table. Built-in kinds occupy ids 1..3; records are
 * registered at run time. Entries are written once, under a lock, and then
 * published; readers (the tracing routine) never lock. */
#include <stdatomic.h>
#include <string.h>
#include <uv.h>

#include "object.h"
#include "sysalloc.h"

static const gc_type builtin_ref_array = {.name = "RefArray", .id = GC_TYPE_REF_ARRAY, .kind = GC_KIND_REF_ARRAY};
static const gc_type builtin_bytes = {.name = "Bytes", .id = GC_TYPE_BYTES, .kind = GC_KIND_BYTES};
static const gc_type builtin_value_array = {.name = "ValueArray", .id = GC_TYPE_VALUE_ARRAY,
                                            .kind = GC_KIND_VALUE_ARRAY};

const gc_type *gc_type_table[GC_MAX_TYPES] = {
    [GC_TYPE_REF_ARRAY] = &builtin_ref_array,
    [GC_TYPE_BYTES] = &builtin_bytes,
    [GC_TYPE_VALUE_ARRAY] = &builtin_value_array,
};

static uint32_t type_count = GC_TYPE_FIRST_RECORD;
static uv_once_t type_once = UV_ONCE_INIT;
static uv_mutex_t type_lock;

static void type_lock_init(void) { uv_mutex_init(&type_lock); }

static const gc_type *find_locked(const char *name)
{
    for (uint32_t i = 1; i < type_count; i++)
        if (gc_type_table[i] && strcmp(gc_type_table[i]->name, name) == 0)
            return gc_type_table[i];
    return NULL;
}

const gc_type *gc_type_find(const char *name)
{
    uv_once(&type_once, type_lock_init);
    uv_mutex_lock(&type_lock);
    const gc_type *t = find_locked(name);
    uv_mutex_unlock(&type_lock);
    return t;
}

uint32_t gc_type_register_record(const char *name, uint32_t nfields, const bool *is_ref)
{
    if (!name || !*name || nfields > GC_MAX_FIELDS)
        return GC_TYPE_INVALID;
    gc_type t = {0};
    t.kind = GC_KIND_RECORD;
    t.nfields = nfields;
    for (uint32_t i = 0; i < nfields; i++)
        if (is_ref[i])
            t.ptrmap[i >> 6] |= (uint64_t)1 << (i & 63);

    uv_once(&type_once, type_lock_init);
    uv_mutex_lock(&type_lock);
    uint32_t id = GC_TYPE_INVALID;
    const gc_type *old = find_locked(name);
    if (old) {
        if (old->kind == GC_KIND_RECORD && old->nfields == nfields &&
            memcmp(old->ptrmap, t.ptrmap, sizeof t.ptrmap) == 0)
            id = old->id;
    } else if (type_count < GC_MAX_TYPES) {
        gc_type *nt = gc_sys_alloc(sizeof *nt);
        *nt = t;
        size_t len = strlen(name);
        char *copy = gc_sys_alloc(len + 1);
        memcpy(copy, name, len + 1);
        nt->name = copy;
        nt->id = type_count;
        nt->record_bytes = (uint32_t)gc_size_for(GC_KIND_RECORD, nfields);
        nt->record_header = gc_make_header(type_count, nfields);
        atomic_thread_fence(memory_order_release);
        gc_type_table[type_count] = nt;
        id = type_count++;
    }
    uv_mutex_unlock(&type_lock);
    return id;
}

uint32_t gc_type_register(const char *name, const char *layout)
{
    if (!layout)
        return GC_TYPE_INVALID;
    size_t n = strlen(layout);
    if (n > GC_MAX_FIELDS)
        return GC_TYPE_INVALID;
    bool is_ref[GC_MAX_FIELDS];
    for (size_t i = 0; i < n; i++) {
        if (layout[i] != 'r' && layout[i] != 'i')
            return GC_TYPE_INVALID;
        is_ref[i] = layout[i] == 'r';
    }
    return gc_type_register_record(name, (uint32_t)n, is_ref);
}
