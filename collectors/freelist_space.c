/* collectors/freelist_space.c — see freelist_space.h for the invariants. */
#include "freelist_space.h"

#include <string.h>

#include "core/sysalloc.h"

int gc_fls_init(gc_fls *s, size_t max_bytes)
{
    memset(s, 0, sizeof *s);
    s->nblocks = (max_bytes + GC_FLS_BLOCK - 1) / GC_FLS_BLOCK;
    if (s->nblocks == 0 || s->nblocks >= GC_FLS_NONE)
        return -1;
    void *p = gc_sys_reserve(s->nblocks * GC_FLS_BLOCK);
    if (!p)
        return -1;
    s->base = p;
    s->meta = gc_sys_alloc_zeroed(s->nblocks * sizeof *s->meta);
    /* Pool in address order so the heap fills from the bottom. */
    for (size_t i = 0; i < s->nblocks; i++)
        s->meta[i].next = i + 1 < s->nblocks ? (uint32_t)(i + 1) : GC_FLS_NONE;
    s->free_blocks = 0;
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        s->unswept[c] = GC_FLS_NONE;
    return 0;
}

void gc_fls_destroy(gc_fls *s)
{
    if (s->base)
        gc_sys_unreserve(s->base, s->nblocks * GC_FLS_BLOCK);
    gc_sys_free(s->meta, s->nblocks * sizeof *s->meta);
    memset(s, 0, sizeof *s);
}

static char *block_addr(const gc_fls *s, size_t i) { return s->base + i * GC_FLS_BLOCK; }

/* Links every unmarked cell of block i into a free list in address order. */
static void *sweep_block(gc_fls *s, size_t i)
{
    gc_fls_block *b = &s->meta[i];
    char *base = block_addr(s, i);
    void *head = NULL;
    void **tail = &head;
    for (uint32_t k = 0; k < b->ncells; k++) {
        size_t g = (size_t)k * b->cell_size >> 4;
        if ((b->marks[g >> 6] >> (g & 63)) & 1u)
            continue;
        void **cell = (void **)(base + (size_t)k * b->cell_size);
        *tail = cell;
        tail = cell;
    }
    *tail = NULL;
    b->state = GC_FLS_SWEPT;
    b->bump_cells = b->ncells;
    return head;
}

void *gc_fls_sweep_for(gc_fls *s, unsigned cls)
{
    while (s->unswept[cls] != GC_FLS_NONE) {
        uint32_t i = s->unswept[cls];
        s->unswept[cls] = s->meta[i].next;
        s->meta[i].next = GC_FLS_NONE;
        void *list = sweep_block(s, i);
        if (list)
            return list;
    }
    return NULL;
}

/* Takes block i off the pool for class cls; its mark bits are clear. */
static gc_fls_block *take_block(gc_fls *s, unsigned cls, uint32_t *index)
{
    uint32_t i = s->free_blocks;
    if (i == GC_FLS_NONE)
        return NULL;
    gc_fls_block *b = &s->meta[i];
    s->free_blocks = b->next;
    b->next = GC_FLS_NONE;
    b->cls = (uint8_t)cls;
    b->cell_size = gc_size_class_bytes[cls];
    b->ncells = (uint32_t)(GC_FLS_BLOCK / b->cell_size);
    b->live_cells = 0;
    b->touched = true;
    memset(b->marks, 0, sizeof b->marks);
    s->blocks_in_use++;
    *index = i;
    return b;
}

void *gc_fls_fresh_block(gc_fls *s, unsigned cls)
{
    uint32_t i;
    if (!take_block(s, cls, &i))
        return NULL;
    return sweep_block(s, i);
}

char *gc_fls_fresh_bump(gc_fls *s, unsigned cls, char **end)
{
    uint32_t i;
    gc_fls_block *b = take_block(s, cls, &i);
    if (!b)
        return NULL;
    b->state = GC_FLS_SWEPT;
    b->bump_cells = 0;
    char *start = block_addr(s, i);
    *end = start + (size_t)b->ncells * b->cell_size;
    return start;
}

void gc_fls_bump_publish(gc_fls *s, const char *cursor)
{
    size_t off = (size_t)(cursor - 1 - s->base);
    gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    b->bump_cells = (uint32_t)(((off & (GC_FLS_BLOCK - 1)) + 1) / b->cell_size);
}

size_t gc_fls_prefault(gc_fls *s, size_t bytes)
{
    size_t faulted = 0, seen = 0;
    for (uint32_t i = s->free_blocks; i != GC_FLS_NONE && seen < bytes; i = s->meta[i].next) {
        seen += GC_FLS_BLOCK;
        if (s->meta[i].touched)
            continue;
        gc_sys_prefault(block_addr(s, i), GC_FLS_BLOCK);
        s->meta[i].touched = true;
        faulted++;
    }
    return faulted;
}

void gc_fls_prepare_mark(gc_fls *s)
{
    for (size_t i = 0; i < s->nblocks; i++) {
        gc_fls_block *b = &s->meta[i];
        if (b->state != GC_FLS_FREE) {
            memset(b->marks, 0, sizeof b->marks);
            b->live_cells = 0;
        }
    }
}

void gc_fls_after_mark(gc_fls *s)
{
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        s->unswept[c] = GC_FLS_NONE;
    /* Walk downwards so pool and unswept lists come out in address order. */
    for (size_t i = s->nblocks; i-- > 0;) {
        gc_fls_block *b = &s->meta[i];
        if (b->state == GC_FLS_FREE)
            continue;
        if (b->live_cells == 0) {
            b->state = GC_FLS_FREE;
            b->next = s->free_blocks;
            s->free_blocks = (uint32_t)i;
            s->blocks_in_use--;
        } else {
            b->state = GC_FLS_UNSWEPT;
            b->next = s->unswept[b->cls];
            s->unswept[b->cls] = (uint32_t)i;
        }
    }
}

void gc_fls_sweep_all(gc_fls *s)
{
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        while (s->unswept[c] != GC_FLS_NONE) {
            uint32_t i = s->unswept[c];
            s->unswept[c] = s->meta[i].next;
            s->meta[i].next = GC_FLS_NONE;
            sweep_block(s, i);
        }
}

void gc_fls_walk(gc_fls *s, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    for (size_t i = 0; i < s->nblocks; i++) {
        gc_fls_block *b = &s->meta[i];
        if (b->state == GC_FLS_FREE)
            continue;
        char *base = block_addr(s, i);
        uint32_t n = b->state == GC_FLS_SWEPT ? b->bump_cells : b->ncells;
        for (uint32_t k = 0; k < n; k++) {
            gc_object *o = (gc_object *)(base + (size_t)k * b->cell_size);
            bool live = b->state == GC_FLS_UNSWEPT ? gc_fls_is_marked(s, o) : gc_header_valid(o->header);
            if (live)
                fn(o, ctx);
        }
    }
}

bool gc_fls_is_object(const gc_fls *s, const gc_object *o)
{
    if (!gc_fls_contains(s, o))
        return false;
    size_t off = (uintptr_t)o - (uintptr_t)s->base;
    const gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    size_t in = off & (GC_FLS_BLOCK - 1);
    if (b->state == GC_FLS_FREE || in % b->cell_size != 0 || in / b->cell_size >= b->ncells)
        return false;
    if (b->state == GC_FLS_UNSWEPT && !gc_fls_is_marked(s, o))
        return false; /* dead since the last collection */
    if (b->state == GC_FLS_SWEPT && in / b->cell_size >= b->bump_cells)
        return false; /* never handed out by the block's bump pointer */
    return gc_header_valid(o->header) && gc_type_get(gc_header_type(o->header)) &&
           gc_object_size(o) <= b->cell_size;
}
