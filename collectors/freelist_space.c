/* collectors/freelist_space.c — see freelist_space.h for the invariants
 * (FLS-1..5). */
#include "freelist_space.h"

#include <string.h>

#include "core/sysalloc.h"

int gc_fls_init(gc_fls *s, size_t max_bytes)
{
    memset(s, 0, sizeof *s);
    s->nblocks = max_bytes / GC_FLS_BLOCK + (max_bytes % GC_FLS_BLOCK != 0);
    if (s->nblocks == 0 || s->nblocks >= GC_FLS_NONE)
        return -1;
    void *p = gc_sys_reserve(s->nblocks * GC_FLS_BLOCK);
    if (!p)
        return -1;
    /* The metadata is reserved, not allocated: zero (FREE) until a block's
     * entry is first written, so only the blocks ever taken cost memory. */
    gc_fls_block *meta = gc_sys_reserve(s->nblocks * sizeof *meta);
    if (!meta) {
        gc_sys_unreserve(p, s->nblocks * GC_FLS_BLOCK);
        return -1;
    }
    s->base = p;
    s->meta = meta;
    if (gc_sys_pretouching()) /* every block's pages are in already */
        for (size_t i = 0; i < s->nblocks; i++)
            meta[i].touched = true;
    s->high = 0; /* every block is free and untaken; the heap fills from the bottom */
    s->free_blocks = GC_FLS_NONE;
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        s->unswept[c] = GC_FLS_NONE;
    return 0;
}

void gc_fls_destroy(gc_fls *s)
{
    if (s->base)
        gc_sys_unreserve(s->base, s->nblocks * GC_FLS_BLOCK);
    if (s->meta)
        gc_sys_unreserve(s->meta, s->nblocks * sizeof *s->meta);
    memset(s, 0, sizeof *s);
}

static char *block_addr(const gc_fls *s, size_t i) { return s->base + i * GC_FLS_BLOCK; }

static bool cell_marked(const gc_fls_block *b, uint32_t k)
{
    size_t g = (size_t)k * b->cell_size >> 4;
    return (b->marks[g >> 6] >> (g & 63)) & 1u;
}

/* Links every unmarked cell of block i into a free list in address order:
 * UNSWEPT -> SWEPT, or a block just taken from the pool (FLS-1). */
static void *sweep_block(gc_fls *s, size_t i)
{
    gc_fls_block *b = &s->meta[i];
    GC_ASSERT(b->state != GC_FLS_SWEPT && b->next == GC_FLS_NONE);
    char *base = block_addr(s, i);
    void *head = NULL;
    void **tail = &head;
    for (uint32_t k = 0; k < b->ncells; k++) {
        if (cell_marked(b, k))
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
    GC_ASSERT(cls < GC_SIZE_CLASS_COUNT && !s->marking);
    while (s->unswept[cls] != GC_FLS_NONE) {
        uint32_t i = s->unswept[cls];
        GC_ASSERT(s->meta[i].state == GC_FLS_UNSWEPT && s->meta[i].cls == cls);
        s->unswept[cls] = s->meta[i].next;
        s->meta[i].next = GC_FLS_NONE;
        void *list = sweep_block(s, i);
        if (list)
            return list;
    }
    return NULL;
}

/* Faults in the never-taken blocks from i on, up to GC_FLS_POPULATE_BLOCKS
 * of them and not past one already touched, with one system call: a first
 * write costs a page fault per 4 KiB page (1.3-13 us on the machines we
 * measured), faulting the run in at once 0.3-1.7 us per page. Blocks from
 * the high-water mark on hold no data (FLS-1), so gc_sys_prefault may
 * write them. Returns how many blocks it faulted in. */
static size_t populate_fresh(gc_fls *s, size_t i)
{
    GC_ASSERT(i < s->nblocks && !s->meta[i].touched);
    size_t j = i;
    while (j < s->nblocks && j - i < GC_FLS_POPULATE_BLOCKS && !s->meta[j].touched)
        s->meta[j++].touched = true;
    gc_sys_prefault(block_addr(s, i), (j - i) * GC_FLS_BLOCK);
    return j - i;
}

/* Takes a free block for class cls (FLS-1): the pool's first, else the one
 * at the high-water mark; its mark bits are cleared. NULL when no block
 * fits in `room` or none is left. */
static gc_fls_block *take_block(gc_fls *s, unsigned cls, size_t room, uint32_t *index)
{
    GC_ASSERT(cls < GC_SIZE_CLASS_COUNT && !s->marking);
    if (room < GC_FLS_BLOCK)
        return NULL;
    uint32_t i = s->free_blocks;
    gc_fls_block *b;
    if (i != GC_FLS_NONE) {
        GC_ASSERT(i < s->high);
        b = &s->meta[i];
        s->free_blocks = b->next;
    } else if (s->high < s->nblocks) {
        i = (uint32_t)s->high++;
        b = &s->meta[i];
        if (!b->touched)
            populate_fresh(s, i);
    } else {
        return NULL;
    }
    GC_ASSERT(b->state == GC_FLS_FREE);
    b->next = GC_FLS_NONE;
    b->cls = (uint8_t)cls;
    b->cell_size = gc_size_class_bytes[cls];
    b->ncells = (uint32_t)(GC_FLS_BLOCK / b->cell_size);
    b->live_cells = 0;
    b->touched = true;
    memset(b->marks, 0, sizeof b->marks);
    s->blocks_in_use++;
    GC_ASSERT(s->blocks_in_use <= s->nblocks);
    *index = i;
    return b;
}

void *gc_fls_refill(gc_fls *s, unsigned cls, size_t room)
{
    void *list = gc_fls_sweep_for(s, cls);
    uint32_t i;
    if (!list && take_block(s, cls, room, &i))
        list = sweep_block(s, i);
    return list;
}

char *gc_fls_fresh_bump(gc_fls *s, unsigned cls, size_t room, char **end)
{
    uint32_t i;
    gc_fls_block *b = take_block(s, cls, room, &i);
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
    GC_ASSERT(cursor > s->base && gc_fls_contains(s, cursor - 1));
    size_t off = (size_t)(cursor - 1 - s->base);
    gc_fls_block *b = &s->meta[off >> GC_FLS_BLOCK_SHIFT];
    size_t in = (off & (GC_FLS_BLOCK - 1)) + 1;
    GC_ASSERT(b->state == GC_FLS_SWEPT && in % b->cell_size == 0 && in / b->cell_size <= b->ncells);
    b->bump_cells = (uint32_t)(in / b->cell_size);
}

size_t gc_fls_prefault(gc_fls *s, size_t bytes)
{
    size_t faulted = 0, seen = 0;
    /* In the order take_block takes them: the pool, then from the high-water mark up. */
    uint32_t i = s->free_blocks;
    size_t fresh = s->high;
    while (seen < bytes) {
        size_t b;
        if (i != GC_FLS_NONE) {
            b = i;
            i = s->meta[i].next;
        } else if (fresh < s->nblocks) {
            b = fresh++;
        } else {
            break;
        }
        GC_ASSERT(s->meta[b].state == GC_FLS_FREE);
        seen += GC_FLS_BLOCK;
        if (s->meta[b].touched)
            continue;
        if (b >= s->high) { /* a run of fresh blocks: one system call */
            size_t run = populate_fresh(s, b);
            faulted += run;
            seen += (run - 1) * GC_FLS_BLOCK;
            fresh = b + run;
            continue;
        }
        gc_sys_prefault(block_addr(s, b), GC_FLS_BLOCK);
        s->meta[b].touched = true;
        faulted++;
    }
    return faulted;
}

void gc_fls_prepare(gc_fls *s)
{
    GC_ASSERT(!s->marking);
    for (size_t i = 0; i < s->high; i++) {
        gc_fls_block *b = &s->meta[i];
        if (b->state != GC_FLS_FREE) {
            memset(b->marks, 0, sizeof b->marks);
            b->live_cells = 0;
        }
    }
    s->marking = true;
}

void gc_fls_finish(gc_fls *s)
{
    GC_ASSERT(s->marking);
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        s->unswept[c] = GC_FLS_NONE;
    /* The pool is rebuilt, with the blocks freed now: walk downwards from
     * the high-water mark (no block above it was ever taken) so the pool
     * and the unswept lists come out in address order. */
    s->free_blocks = GC_FLS_NONE;
    for (size_t i = s->high; i-- > 0;) {
        gc_fls_block *b = &s->meta[i];
        if (b->state == GC_FLS_FREE) {
            b->next = s->free_blocks;
            s->free_blocks = (uint32_t)i;
            continue;
        }
        GC_ASSERT(b->live_cells <= b->ncells);
        if (b->live_cells == 0) {
            b->state = GC_FLS_FREE;
            b->next = s->free_blocks;
            s->free_blocks = (uint32_t)i;
            GC_ASSERT(s->blocks_in_use > 0);
            s->blocks_in_use--;
        } else {
            b->state = GC_FLS_UNSWEPT;
            b->next = s->unswept[b->cls];
            s->unswept[b->cls] = (uint32_t)i;
        }
    }
    s->marking = false;
}

void gc_fls_sweep_all(gc_fls *s)
{
    GC_ASSERT(!s->marking);
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        while (s->unswept[c] != GC_FLS_NONE) {
            uint32_t i = s->unswept[c];
            s->unswept[c] = s->meta[i].next;
            s->meta[i].next = GC_FLS_NONE;
            sweep_block(s, i);
        }
}

void gc_fls_each(gc_fls *s, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    for (size_t i = 0; i < s->high; i++) {
        gc_fls_block *b = &s->meta[i];
        if (b->state == GC_FLS_FREE)
            continue;
        char *base = block_addr(s, i);
        uint32_t n = b->state == GC_FLS_SWEPT ? b->bump_cells : b->ncells;
        for (uint32_t k = 0; k < n; k++) {
            gc_object *o = (gc_object *)(base + (size_t)k * b->cell_size);
            bool live = b->state == GC_FLS_UNSWEPT ? cell_marked(b, k) : gc_header_valid(o->header);
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
    if ((off >> GC_FLS_BLOCK_SHIFT) >= s->high)
        return false; /* never taken: free, and its metadata need not be read */
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

/* ---- check: FLS-1..5 ------------------------------------------------------------- */

/* Checks the cells of an in-use block (FLS-3 for SWEPT, FLS-4 for UNSWEPT). */
static size_t check_cells(const gc_fls *s, size_t i, gc_heap *h)
{
    const gc_fls_block *b = &s->meta[i];
    char *base = block_addr(s, i), *end = base + (size_t)b->ncells * b->cell_size;
    size_t errors = 0, marked = 0;
    for (uint32_t k = 0; k < b->ncells && errors < 4; k++) {
        const gc_object *o = (const gc_object *)(base + (size_t)k * b->cell_size);
        bool is_obj;
        if (b->state == GC_FLS_UNSWEPT) {
            if (!cell_marked(b, k))
                continue;
            marked++;
            is_obj = true; /* a marked cell holds a live object */
        } else {
            if (k >= b->bump_cells)
                break;
            is_obj = gc_header_valid(o->header);
            if (!is_obj) { /* a free cell: its link stays in the block */
                uintptr_t next = (uintptr_t)o->header;
                if (next != 0 && (next < (uintptr_t)base || next >= (uintptr_t)end ||
                                  (next - (uintptr_t)base) % b->cell_size != 0)) {
                    gc_verify_fail(h, "free cell %p of block %zu links to %p, not a cell of its block",
                                   (const void *)o, i, (void *)next);
                    errors++;
                }
                continue;
            }
        }
        const gc_type *t = gc_header_valid(o->header) ? gc_type_get(gc_header_type(o->header)) : NULL;
        if (!t || t->id == GC_TYPE_INVALID) {
            gc_verify_fail(h, "cell %p of block %zu (%s) holds no object (header word %#llx)",
                           (const void *)o, i, b->state == GC_FLS_UNSWEPT ? "unswept, marked" : "swept",
                           (unsigned long long)o->header);
            errors++;
        } else if (gc_object_size(o) > b->cell_size) {
            gc_verify_fail(h, "object %p of %zu bytes overflows its %u-byte cell", (const void *)o,
                           gc_object_size(o), (unsigned)b->cell_size);
            errors++;
        }
    }
    if (b->state == GC_FLS_UNSWEPT && errors == 0 && (marked != b->live_cells || marked == 0)) {
        gc_verify_fail(h, "unswept block %zu counts %u live cells, %zu are marked", i, b->live_cells, marked);
        errors++;
    }
    return errors;
}

size_t gc_fls_check(const gc_fls *s, gc_heap *h)
{
    size_t errors = 0, in_use = 0, pooled = 0, unswept = 0, listed = 0;
    if (s->high > s->nblocks) {
        gc_verify_fail(h, "free-list space: high-water mark %zu beyond its %zu blocks", s->high, s->nblocks);
        return 1;
    }
    for (size_t i = 0; i < s->high; i++) {
        const gc_fls_block *b = &s->meta[i];
        if (b->state == GC_FLS_FREE)
            continue;
        in_use++;
        if (b->state > GC_FLS_UNSWEPT || b->cls >= GC_SIZE_CLASS_COUNT ||
            b->cell_size != gc_size_class_bytes[b->cls] || b->ncells != GC_FLS_BLOCK / b->cell_size) {
            gc_verify_fail(h, "block %zu: state %u, class %u, cell size %u, %u cells: inconsistent", i,
                           (unsigned)b->state, (unsigned)b->cls, (unsigned)b->cell_size, b->ncells);
            errors++;
            continue;
        }
        if (b->state == GC_FLS_SWEPT && b->bump_cells > b->ncells) {
            gc_verify_fail(h, "swept block %zu: bump mark at cell %u of %u", i, b->bump_cells, b->ncells);
            errors++;
            continue;
        }
        if (b->state == GC_FLS_UNSWEPT)
            unswept++;
        if (!s->marking)
            errors += check_cells(s, i, h);
    }
    if (in_use != s->blocks_in_use) {
        gc_verify_fail(h, "free-list space counts %zu blocks in use, %zu are", s->blocks_in_use, in_use);
        errors++;
    }
    for (uint32_t i = s->free_blocks; i != GC_FLS_NONE; i = s->meta[i].next) {
        if (i >= s->high || s->meta[i].state != GC_FLS_FREE || ++pooled > s->high) {
            gc_verify_fail(h, "free-block pool holds block %u: not a free block below the high-water mark %zu",
                           i, s->high);
            return errors + 1;
        }
    }
    if (pooled != s->high - in_use) {
        gc_verify_fail(h, "free-block pool holds %zu blocks, %zu below the high-water mark are free", pooled,
                       s->high - in_use);
        errors++;
    }
    for (unsigned c = 0; c < GC_SIZE_CLASS_COUNT; c++)
        for (uint32_t i = s->unswept[c]; i != GC_FLS_NONE; i = s->meta[i].next) {
            if (i >= s->high || s->meta[i].state != GC_FLS_UNSWEPT || s->meta[i].cls != c ||
                ++listed > s->high) {
                gc_verify_fail(h, "unswept list of class %u holds block %u, not an unswept block of the class",
                               c, i);
                return errors + 1;
            }
        }
    if (listed != unswept) {
        gc_verify_fail(h, "%zu blocks are unswept, %zu on the unswept lists", unswept, listed);
        errors++;
    }
    return errors;
}
