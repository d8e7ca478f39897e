/* tests/test_spaces.c — the space protocol of collectors/space.h, piece by
 * piece, on standalone spaces: the large-object space's iteration, marking
 * and budget; the free-list space's bump-filled blocks; the non-moving
 * space's dispatch; and each space's check function, which must find an
 * inconsistency planted on purpose (and nothing in a healthy space).
 *
 * The check functions report through gc_verify_fail, which needs a heap:
 * each test opens a small heap of any registered collector just for that
 * (and for a mutator whose chunk fields the bump-space tests borrow).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collectors/registry.h"
#include "core/sysalloc.h"
#include "collectors/space.h"

typedef struct fixture {
    gc_heap *h;
    gc_mutator *m;
} fixture;

static void open_heap(fixture *f)
{
    gc_config cfg = {.heap_limit = 4u << 20};
    char err[256] = "";
    f->h = gc_heap_create_with(gc_registered_collectors[0], &cfg, err, sizeof err);
    cr_assert_not_null(f->h, "cannot create a %s heap: %s", gc_registered_collectors[0]->name, err);
    f->m = gc_mutator_attach(f->h);
}

static void close_heap(fixture *f)
{
    f->m->bump_ptr = f->m->bump_limit = 0; /* chunks of the test's own spaces */
    gc_mutator_detach(f->m);
    gc_heap_destroy(f->h);
}

static void count_object(gc_object *o, void *ctx)
{
    (void)o;
    (*(size_t *)ctx)++;
}

static void sum_sizes(gc_object *o, void *ctx) { *(size_t *)ctx += gc_object_size(o); }

/* A value array of `bytes` bytes (header included) at p. */
static gc_object *make_object(void *p, size_t bytes)
{
    gc_object *o = p;
    o->header = gc_make_header(GC_TYPE_VALUE_ARRAY, (bytes - GC_HEADER_BYTES) / 8);
    memset(o + 1, 0, bytes - GC_HEADER_BYTES);
    cr_assert_eq(gc_object_size(o), bytes);
    return o;
}

/* ---- the large-object space -------------------------------------------------------- */

#define LARGE ((size_t)16 << 10)

Test(los, budget_iteration_marking)
{
    fixture f;
    open_heap(&f);
    gc_los los;
    gc_los_init(&los);
    cr_assert_null(gc_los_alloc(&los, LARGE, LARGE + GC_LOS_OVERHEAD - 8), "allocated beyond the room");
    cr_assert_null(gc_los_alloc(&los, LARGE, 0), "allocated with no room");
    gc_object *o[3];
    for (int i = 0; i < 3; i++) {
        void *p = gc_los_alloc(&los, LARGE * (size_t)(i + 1), LARGE * (size_t)(i + 1) + GC_LOS_OVERHEAD);
        cr_assert_not_null(p, "an allocation that fits the room exactly failed");
        o[i] = make_object(p, LARGE * (size_t)(i + 1));
        cr_assert(gc_los_contains(&los, o[i]) && gc_los_is_object(&los, o[i]));
    }
    cr_assert_not(gc_los_contains(&los, (char *)o[0] + 8), "an interior address is an object start");
    cr_assert_eq(gc_los_footprint(&los), 6 * LARGE + 3 * GC_LOS_OVERHEAD);
    cr_assert_eq(gc_los_bytes(&los), 6 * LARGE);

    size_t n = 0, bytes = 0;
    gc_los_each(&los, count_object, &n);
    gc_los_each(&los, sum_sizes, &bytes);
    cr_assert_eq(n, 3, "gc_los_each visited %zu objects, not 3", n);
    cr_assert_eq(bytes, 6 * LARGE);
    cr_assert_eq(gc_los_check(&los, f.h), 0, "a healthy LOS fails its check");

    gc_los_prepare(&los);
    cr_assert(gc_los_mark(&los, o[1]), "first mark not fresh");
    cr_assert_not(gc_los_mark(&los, o[1]), "second mark fresh");
    cr_assert(gc_los_is_marked(&los, o[1]) && !gc_los_is_marked(&los, o[0]));
    cr_assert_eq(gc_los_check(&los, f.h), 0, "a mark during a collection is reported");
    cr_assert_eq(gc_los_finish(&los), 2 * LARGE, "finish did not return the survivor's bytes");
    cr_assert_not(gc_los_is_marked(&los, o[1]), "finish left the mark");
    n = 0;
    gc_los_each(&los, count_object, &n);
    cr_assert_eq(n, 1);
    cr_assert_not(gc_los_contains(&los, o[0]), "a freed object is still contained");
    cr_assert_eq(gc_los_footprint(&los), 2 * LARGE + GC_LOS_OVERHEAD);
    cr_assert_eq(gc_los_check(&los, f.h), 0);
    gc_los_destroy(&los);
    close_heap(&f);
}

Test(los, check_finds_a_mark_left_outside_a_collection)
{
    fixture f;
    open_heap(&f);
    gc_los los;
    gc_los_init(&los);
    gc_object *o = make_object(gc_los_alloc(&los, LARGE, SIZE_MAX), LARGE);
    gc_los_entry_of(o)->mark = 1; /* planted: LOS-3 */
    cr_assert_eq(gc_los_check(&los, f.h), 1, "a mark outside a collection went unnoticed");
    gc_los_entry_of(o)->mark = 0;
    cr_assert_eq(gc_los_check(&los, f.h), 0);
    gc_los_destroy(&los);
    close_heap(&f);
}

Test(los, check_finds_wrong_counts)
{
    fixture f;
    open_heap(&f);
    gc_los los;
    gc_los_init(&los);
    (void)make_object(gc_los_alloc(&los, LARGE, SIZE_MAX), LARGE);
    (void)make_object(gc_los_alloc(&los, LARGE, SIZE_MAX), LARGE);
    los.bytes += 8; /* planted: LOS-2 */
    cr_assert_eq(gc_los_check(&los, f.h), 1, "a wrong byte count went unnoticed");
    los.bytes -= 8;
    los.count--; /* planted: LOS-1 */
    cr_assert_eq(gc_los_check(&los, f.h), 1, "a wrong object count went unnoticed");
    los.count++;
    gc_los_destroy(&los);
    close_heap(&f);
}

/* ---- the free-list space ------------------------------------------------------------ */

/* A block taken for bump allocation may hold stale objects from an earlier
 * life: only the cells below the published bump pointer are objects, and a
 * later sweep turns every unmarked cell (bumped or not) into a free cell.
 * (The generational collector promotes this way.) */
Test(fls, bump_blocks_only_published_cells_are_objects)
{
    fixture f;
    open_heap(&f);
    gc_fls s;
    cr_assert_eq(gc_fls_init(&s, 4 * GC_FLS_BLOCK), 0);
    unsigned cls = gc_size_class_of(32);
    size_t cell = gc_size_class_bytes[cls];
    cr_assert_eq(cell, 32);
    char *end = NULL;
    cr_assert_null(gc_fls_fresh_bump(&s, cls, GC_FLS_BLOCK - 1, &end), "took a block beyond the room");
    char *p = gc_fls_fresh_bump(&s, cls, GC_FLS_BLOCK, &end);
    cr_assert_not_null(p);
    size_t ncells = (size_t)(end - p) / cell;
    cr_assert_eq(ncells, GC_FLS_BLOCK / cell);
    for (char *q = p; q < end; q += cell) /* stale, valid-looking objects everywhere */
        ((gc_object *)q)->header = gc_make_header(GC_TYPE_VALUE_ARRAY, 3);
    gc_fls_bump_publish(&s, p + 3 * cell);

    size_t n = 0;
    gc_fls_each(&s, count_object, &n);
    cr_assert_eq(n, 3, "each saw %zu objects, want the 3 bumped ones", n);
    cr_assert(gc_fls_is_object(&s, (gc_object *)(p + 2 * cell)));
    cr_assert_not(gc_fls_is_object(&s, (gc_object *)(p + 3 * cell)));
    cr_assert_eq(gc_fls_check(&s, f.h), 0, "a healthy space fails its check");

    gc_fls_bump_publish(&s, end); /* a full block */
    n = 0;
    gc_fls_each(&s, count_object, &n);
    cr_assert_eq(n, ncells);

    /* Mark one cell; the sweep frees all the others. */
    gc_fls_prepare(&s);
    cr_assert(gc_fls_mark(&s, (gc_object *)(p + cell)));
    gc_fls_finish(&s);
    cr_assert_eq(gc_fls_check(&s, f.h), 0, "an unswept block fails the check");
    size_t free_cells = 0;
    for (void *c = gc_fls_sweep_for(&s, cls); c; c = *(void **)c)
        free_cells++;
    cr_assert_eq(free_cells, ncells - 1);
    n = 0;
    gc_fls_each(&s, count_object, &n);
    cr_assert_eq(n, 1, "after the sweep only the marked cell is an object (saw %zu)", n);
    cr_assert_eq(gc_fls_check(&s, f.h), 0, "a swept block fails the check");
    gc_fls_destroy(&s);
    close_heap(&f);
}

/* A space with one free-list block of 48-byte cells, the first `used`
 * cells allocated (popped and given headers) as a mutator would. */
static void *fls_with_objects(gc_fls *s, unsigned *cls, size_t used)
{
    cr_assert_eq(gc_fls_init(s, 8 * GC_FLS_BLOCK), 0);
    *cls = gc_size_class_of(48);
    cr_assert_null(gc_fls_refill(s, *cls, GC_FLS_BLOCK - 1), "a block was taken beyond the room");
    void *list = gc_fls_refill(s, *cls, GC_FLS_BLOCK);
    cr_assert_not_null(list);
    cr_assert_eq(gc_fls_footprint(s), GC_FLS_BLOCK);
    for (size_t i = 0; i < used; i++) {
        void *c = list;
        list = *(void **)c;
        make_object(c, 48);
    }
    return list;
}

Test(fls, check_finds_wrong_block_count)
{
    fixture f;
    open_heap(&f);
    gc_fls s;
    unsigned cls;
    (void)fls_with_objects(&s, &cls, 5);
    cr_assert_eq(gc_fls_check(&s, f.h), 0, "a healthy space fails its check");
    s.blocks_in_use++; /* planted: FLS-1 */
    cr_assert_geq(gc_fls_check(&s, f.h), 1, "a wrong count of blocks in use went unnoticed");
    s.blocks_in_use--;
    gc_fls_destroy(&s);
    close_heap(&f);
}

Test(fls, check_finds_bad_cells)
{
    fixture f;
    open_heap(&f);
    gc_fls s;
    unsigned cls;
    void **free_cell = fls_with_objects(&s, &cls, 5);
    gc_object *obj = (gc_object *)s.base; /* the first cell */
    size_t n = 0;
    gc_fls_each(&s, count_object, &n);
    cr_assert_eq(n, 5);

    void *link = *free_cell;
    *free_cell = s.base + 2 * GC_FLS_BLOCK; /* planted: a link out of the block (FLS-3) */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "a free cell linking out of its block went unnoticed");
    *free_cell = link;

    uint64_t hdr = obj->header;
    obj->header = gc_make_header(GC_TYPE_VALUE_ARRAY, 100); /* planted: overflows its 48-byte cell */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "an object larger than its cell went unnoticed");
    obj->header = hdr;
    cr_assert_eq(gc_fls_check(&s, f.h), 0);

    s.meta[0].bump_cells = s.meta[0].ncells + 1; /* planted: bump mark past the block */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "a bump mark past the block went unnoticed");
    s.meta[0].bump_cells = s.meta[0].ncells;
    gc_fls_destroy(&s);
    close_heap(&f);
}

Test(fls, check_finds_unswept_inconsistencies)
{
    fixture f;
    open_heap(&f);
    gc_fls s;
    unsigned cls;
    (void)fls_with_objects(&s, &cls, 5);
    gc_fls_prepare(&s);
    cr_assert(gc_fls_mark(&s, (gc_object *)s.base));
    cr_assert(gc_fls_mark(&s, (gc_object *)(s.base + 48)));
    gc_fls_finish(&s);
    cr_assert_eq(s.meta[0].state, GC_FLS_UNSWEPT);
    cr_assert_eq(gc_fls_check(&s, f.h), 0, "a healthy unswept block fails the check");

    s.meta[0].live_cells = 3; /* planted: FLS-4 */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "a wrong live-cell count went unnoticed");
    s.meta[0].live_cells = 2;

    s.unswept[cls] = GC_FLS_NONE; /* planted: the block falls off its unswept list */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "an unswept block missing from its list went unnoticed");
    s.unswept[cls] = 0;

    ((gc_object *)(s.base + 48))->header = 0; /* planted: a marked cell without an object */
    cr_assert_eq(gc_fls_check(&s, f.h), 1, "a marked cell without an object went unnoticed");
    gc_fls_destroy(&s);
    close_heap(&f);
}

/* Resident bytes of this process (/proc/self/statm). */
static size_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* A 64 GiB free-list space costs no memory until blocks are taken: the
 * block metadata is a reservation, and the blocks are taken from the
 * high-water mark up (FLS-1), the blocks freed by a collection first, in
 * address order. Before the fix, init allocated the metadata of all 2M
 * blocks and wrote a pool link into each (+570 MiB). */
Test(fls, a_large_space_is_lazy_and_fills_from_the_bottom)
{
    fixture f;
    open_heap(&f);
    gc_fls s;
    size_t before = resident_bytes();
    cr_assert_eq(gc_fls_init(&s, (size_t)64 << 30), 0);
    size_t after = resident_bytes();
    cr_assert_lt(after, before + ((size_t)1 << 20), "a 64 GiB space cost %zu KiB at init",
                 (after - before) >> 10);
    cr_assert_eq(s.high, 0);
    cr_assert_eq(s.nblocks, ((size_t)64 << 30) / GC_FLS_BLOCK);

    unsigned cls = gc_size_class_of(32);
    size_t cell = gc_size_class_bytes[cls];
    char *end;
    for (size_t i = 0; i < 6; i++) {
        char *p = gc_fls_fresh_bump(&s, cls, GC_FLS_BLOCK, &end);
        cr_assert_eq(p, s.base + i * GC_FLS_BLOCK, "block %zu taken at offset %td", i, p - s.base);
        cr_assert_eq(s.high, i + 1);
        make_object(p, cell);
        gc_fls_bump_publish(&s, p + cell);
    }
    cr_assert_not(gc_fls_is_object(&s, (gc_object *)(s.base + 1000 * GC_FLS_BLOCK)), "a block never taken");
    cr_assert_eq(gc_fls_check(&s, f.h), 0);

    /* Blocks 1 and 4 survive; 0, 2, 3 and 5 return to the pool. */
    gc_fls_prepare(&s);
    cr_assert(gc_fls_mark(&s, (gc_object *)(s.base + 1 * GC_FLS_BLOCK)));
    cr_assert(gc_fls_mark(&s, (gc_object *)(s.base + 4 * GC_FLS_BLOCK)));
    gc_fls_finish(&s);
    cr_assert_eq(gc_fls_footprint(&s), 2 * GC_FLS_BLOCK);
    cr_assert_eq(s.high, 6, "the high-water mark fell to %zu", s.high);
    cr_assert_eq(gc_fls_check(&s, f.h), 0);
    size_t n = 0;
    gc_fls_each(&s, count_object, &n);
    cr_assert_eq(n, 2);

    /* The pool first (address order), then the high-water mark: 0, 2, 3, 5, then 6;
     * prefaulting covers the pool, then the blocks from the high-water mark up.
     * Taking block 0 faulted in blocks 0..31 at once (GC_FLS_POPULATE_BLOCKS),
     * so 6 blocks' worth finds nothing to do, and 34 blocks' worth (4 in the
     * pool, 6..31, then 32) faults in the next run of 32 fresh blocks. */
    cr_assert_eq(GC_FLS_POPULATE_BLOCKS, 32);
    cr_assert(s.meta[31].touched && !s.meta[32].touched, "taking block 0 did not fault in blocks 0..31");
    cr_assert_eq(gc_fls_prefault(&s, 6 * GC_FLS_BLOCK), 0, "prefaulted blocks already faulted in");
    cr_assert_eq(gc_fls_prefault(&s, 34 * GC_FLS_BLOCK), 32, "prefaulted other than blocks 32..63");
    cr_assert(s.meta[63].touched && !s.meta[64].touched);
    cr_assert_eq(s.high, 6, "prefaulting took blocks");
    unsigned char vec[64 * GC_FLS_BLOCK / 4096];
    cr_assert_eq(mincore(s.base, 64 * GC_FLS_BLOCK, vec), 0);
    for (size_t pg = 0; pg < 64 * GC_FLS_BLOCK / 4096; pg += 8) /* one page per block */
        cr_assert(vec[pg] & 1, "block %zu was marked touched but is not resident", pg / 8);
    const size_t order[] = {0, 2, 3, 5, 6, 7, 8};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        char *p = gc_fls_fresh_bump(&s, cls, GC_FLS_BLOCK, &end);
        cr_assert_eq(p, s.base + order[k] * GC_FLS_BLOCK, "take %zu: block %td, want %zu", k,
                     (p - s.base) / (ptrdiff_t)GC_FLS_BLOCK, order[k]);
        make_object(p, cell);
        gc_fls_bump_publish(&s, p + cell);
    }
    cr_assert_eq(s.high, 9);
    cr_assert_eq(gc_fls_check(&s, f.h), 0);

    /* Planted: a pool link to a block above the high-water mark (FLS-1). */
    gc_fls_prepare(&s);
    gc_fls_finish(&s); /* everything free: pool 0..8 */
    cr_assert_eq(gc_fls_check(&s, f.h), 0);
    s.meta[8].next = 9;
    cr_assert_geq(gc_fls_check(&s, f.h), 1, "a pool block above the high-water mark went unnoticed");
    s.meta[8].next = GC_FLS_NONE;
    cr_assert_eq(gc_fls_check(&s, f.h), 0);
    cr_assert_lt(resident_bytes(), before + ((size_t)4 << 20), "a few blocks of a 64 GiB space cost %zu KiB",
                 (resident_bytes() - before) >> 10);
    gc_fls_destroy(&s);
    close_heap(&f);
}

/* ---- the non-moving space: free-list space + LOS ------------------------------------ */

Test(nms, dispatches_to_both_spaces)
{
    fixture f;
    open_heap(&f);
    gc_nms s;
    cr_assert_eq(gc_nms_init(&s, 8 * GC_FLS_BLOCK), 0);
    unsigned cls = gc_size_class_of(32);
    void **list = gc_nms_refill(&s, f.h, cls, 0);
    cr_assert_not_null(list);
    void *next = *list;
    gc_object *small = make_object(list, 32), *small2 = make_object(next, 32);
    gc_object *large = make_object(gc_los_alloc(&s.los, LARGE, SIZE_MAX), LARGE);
    gc_object *large2 = make_object(gc_los_alloc(&s.los, LARGE, SIZE_MAX), LARGE);
    cr_assert(gc_nms_contains(&s, small) && gc_nms_contains(&s, large));
    cr_assert(gc_nms_is_object(&s, small) && gc_nms_is_object(&s, large));
    cr_assert_eq(gc_nms_footprint(&s), GC_FLS_BLOCK + 2 * (LARGE + GC_LOS_OVERHEAD));
    size_t n = 0;
    gc_nms_each(&s, count_object, &n);
    cr_assert_eq(n, 4, "gc_nms_each visited %zu objects, not 4", n);
    cr_assert_eq(gc_nms_check(&s, f.h), 0);

    gc_nms_prepare(&s);
    cr_assert(gc_nms_mark(&s, small) && gc_nms_mark(&s, large));
    cr_assert_not(gc_nms_mark(&s, large));
    cr_assert(gc_nms_is_marked(&s, small) && !gc_nms_is_marked(&s, small2));
    cr_assert(gc_nms_is_marked(&s, large) && !gc_nms_is_marked(&s, large2));
    cr_assert_eq(gc_nms_finish(&s), LARGE, "finish returned the wrong large-object survivors");
    n = 0;
    gc_nms_each(&s, count_object, &n);
    cr_assert_eq(n, 2, "after finish %zu objects remain, not 2", n);
    cr_assert_eq(gc_nms_check(&s, f.h), 0);
    gc_nms_destroy(&s);
    close_heap(&f);
}

/* ---- the bump space ----------------------------------------------------------------------- */

/* A bump space of 1 MiB with one chunk given to the fixture's mutator and
 * `n` objects of `bytes` bytes bumped in it. */
static void bump_with_objects(fixture *f, gc_bump_space *s, gc_object **objs, size_t n, size_t bytes)
{
    cr_assert_eq(gc_bump_init(s, 1u << 20), 0);
    f->m->bump_ptr = f->m->bump_limit = 0;
    void *p = gc_bump_refill(s, f->m, bytes, 1u << 20);
    cr_assert_not_null(p);
    /* The chunk is zeroed by core's gc_alloc_slow after the refill
     * (gc_mutator_zero_later): here, by hand. */
    cr_assert_eq(f->m->zero_start, p);
    cr_assert_eq(f->m->zero_bytes, GC_BUMP_CHUNK);
    memset(f->m->zero_start, 0, f->m->zero_bytes);
    f->m->zero_bytes = 0;
    objs[0] = make_object(p, bytes);
    for (size_t i = 1; i < n; i++) {
        void *q = gc_alloc_fast(f->m, GC_ALLOC_BUMP, bytes);
        cr_assert_not_null(q);
        objs[i] = make_object(q, bytes);
    }
}

Test(bump, refill_each_and_check)
{
    fixture f;
    open_heap(&f);
    gc_bump_space s;
    gc_object *o[4];
    bump_with_objects(&f, &s, o, 4, 32);
    cr_assert_eq(gc_bump_footprint(&s), GC_BUMP_CHUNK, "the first chunk is not one chunk");
    size_t n = 0;
    cr_assert(gc_bump_each(&s, f.h, count_object, &n), "a healthy space does not parse");
    cr_assert_eq(n, 4, "each saw %zu objects, not 4 (the chunk's tail must be skipped)", n);
    cr_assert_eq(gc_bump_check(&s, f.h), 0);
    cr_assert(gc_bump_is_object(&s, o[3]));
    /* A refill beyond the capacity fails and leaves no chunk. */
    cr_assert_null(gc_bump_refill(&s, f.m, 32, GC_BUMP_CHUNK + 16));
    cr_assert_eq(f.m->bump_ptr, 0);
    n = 0;
    cr_assert(gc_bump_each(&s, f.h, count_object, &n), "the retired chunk's filler does not parse");
    cr_assert_eq(n, 4);
    gc_bump_prepare(&s, f.h);
    gc_bump_finish(&s);
    cr_assert_eq(gc_bump_footprint(&s), 0);
    gc_bump_destroy(&s);
    close_heap(&f);
}

/* BUMP-4: memory is faulted in a step (GC_BUMP_POPULATE_STEP) at a time
 * before it is handed out, by refills and by gc_bump_take alike, and never
 * past the reservation. mincore shows which pages are resident. */
static bool resident(const void *p, size_t bytes)
{
    unsigned char vec[1024];
    size_t pages = bytes / 4096;
    cr_assert_leq(pages, sizeof vec);
    cr_assert_eq(mincore((void *)p, bytes, vec), 0);
    for (size_t i = 0; i < pages; i++)
        if (!(vec[i] & 1))
            return false;
    return true;
}
static bool none_resident(const void *p, size_t bytes)
{
    unsigned char vec[1024];
    size_t pages = bytes / 4096;
    cr_assert_eq(mincore((void *)p, bytes, vec), 0);
    for (size_t i = 0; i < pages; i++)
        if (vec[i] & 1)
            return false;
    return true;
}

/* Takes `bytes` at the frontier as one filler (BUMP-2), so the space parses. */
static void take_filler(gc_bump_space *s, size_t bytes)
{
    gc_object *o = gc_bump_take(s, bytes);
    o->header = gc_make_header(GC_TYPE_INVALID, bytes / 8);
}

/* gc_config.pretouch: while gc_sys_pretouch_reservations is on, a
 * reservation is resident at once, a bump space knows all of it populated
 * (BUMP-4) and a free-list space every block touched (nothing left to
 * prefault); off, a reservation is not resident. */
Test(bump, pretouched_reservations_are_resident)
{
    const size_t bytes = 64 * 4096;
    char *plain = gc_sys_reserve(bytes);
    cr_assert(none_resident(plain, bytes), "a plain reservation is resident");
    gc_sys_unreserve(plain, bytes);

    gc_sys_pretouch_reservations(true);
    cr_assert(gc_sys_pretouching());
    char *p = gc_sys_reserve(bytes);
    gc_bump_space b;
    cr_assert_eq(gc_bump_init(&b, 2 * bytes), 0);
    gc_fls s;
    cr_assert_eq(gc_fls_init(&s, 40 * GC_FLS_BLOCK), 0);
    gc_sys_pretouch_reservations(false);
    cr_assert(!gc_sys_pretouching());

    cr_assert(resident(p, bytes), "a pretouched reservation is not resident");
    cr_assert(resident(b.start, 2 * bytes), "a pretouched bump space is not resident");
    cr_assert_eq(b.populated, b.start + 2 * bytes, "the bump space's populated mark is not at its end");
    for (size_t i = 0; i < s.nblocks; i++)
        cr_assert(s.meta[i].touched, "block %zu of a pretouched free-list space not marked touched", i);
    cr_assert(resident(s.base, 4 * GC_FLS_BLOCK), "a pretouched free-list space is not resident");
    cr_assert_eq(gc_fls_prefault(&s, 8 * GC_FLS_BLOCK), 0, "prefaulting a pretouched space faulted blocks in");
    gc_fls_destroy(&s);
    gc_bump_destroy(&b);
    gc_sys_unreserve(p, bytes);
}

Test(bump, memory_is_faulted_in_a_step_ahead)
{
    fixture f;
    open_heap(&f);
    const size_t step = GC_BUMP_POPULATE_STEP;
    gc_bump_space s;
    cr_assert_eq(gc_bump_init(&s, 3 * step + step / 2), 0);
    cr_assert_eq(s.populated, s.start);
    cr_assert(none_resident(s.start, step), "a fresh reservation is resident");
    f.m->bump_ptr = f.m->bump_limit = 0;
    void *first = gc_bump_refill(&s, f.m, 32, s.reserved);
    cr_assert_not_null(first);
    f.m->zero_bytes = 0; /* the chunk is fresh: zero already */
    make_object(first, 32);
    cr_assert_eq(s.populated, s.start + step, "one refill populated %td bytes", s.populated - s.start);
    cr_assert(resident(s.start, step), "the populated step is not resident");
    cr_assert(none_resident(s.start + step, step), "memory past the step is resident");
    /* gc_bump_take (an evacuation's copies) crosses the mark: the next step. */
    gc_bump_retire(&s, f.m);
    take_filler(&s, step - GC_BUMP_CHUNK + 64);
    cr_assert_eq(s.populated, s.start + 2 * step);
    cr_assert(resident(s.start + step, step));
    cr_assert_eq(gc_bump_check(&s, f.h), 0);
    /* A take that ends past the next step populates up to its end and a
     * step on (here 3 steps); the last step stops at the reservation's end. */
    take_filler(&s, step + step / 4);
    cr_assert_eq(s.populated, s.start + 3 * step, "populated to %td", s.populated - s.start);
    take_filler(&s, step - step / 8);
    cr_assert_eq(s.populated, s.start + s.reserved, "populated to %td of %zu", s.populated - s.start,
                 s.reserved);
    cr_assert(resident(s.start + 2 * step, step + step / 2));
    cr_assert_eq(gc_bump_check(&s, f.h), 0);
    /* Planted: a populated mark behind the frontier (BUMP-4). */
    gc_bump_prepare(&s, f.h);
    char *was = s.populated;
    s.populated = s.frontier - 4096;
    cr_assert_geq(gc_bump_check(&s, f.h), 1, "a populated mark behind the frontier went unnoticed");
    s.populated = was;
    gc_bump_finish(&s);
    gc_bump_destroy(&s);
    close_heap(&f);
}

Test(bump, check_finds_a_word_that_does_not_parse)
{
    fixture f;
    open_heap(&f);
    gc_bump_space s;
    gc_object *o[4];
    bump_with_objects(&f, &s, o, 4, 32);
    uint64_t hdr = o[2]->header;
    o[2]->header = 0xdadadadadadadada; /* planted: BUMP-1 (tag clear) */
    cr_assert_eq(gc_bump_check(&s, f.h), 1, "a non-object in the space went unnoticed");
    o[2]->header = gc_make_header(GC_TYPE_INVALID, 0); /* a zero-length filler */
    cr_assert_eq(gc_bump_check(&s, f.h), 1, "a zero-length filler went unnoticed");
    o[2]->header = hdr;
    cr_assert_eq(gc_bump_check(&s, f.h), 0);
    gc_bump_destroy(&s);
    close_heap(&f);
}

static gc_bump_space *other_objects;
static void each_other(gc_heap *h, void (*fn)(gc_object *o, void *ctx), void *ctx)
{
    gc_bump_each(other_objects, h, fn, ctx);
}

/* The moving-space verifier: nothing may point into the evacuated space, or
 * into the space evacuated into anywhere but at an object start. */
Test(bump, check_evacuated_finds_stale_and_interior_references)
{
    fixture f;
    open_heap(&f);
    gc_bump_space to, from, other;
    gc_object *o[4], *x[1];
    cr_assert_eq(gc_bump_init(&from, 1u << 20), 0);
    char *stale = gc_bump_take(&from, 64);
    bump_with_objects(&f, &other, x, 1, 32);
    gc_bump_retire(&other, f.m); /* the chunk's tail becomes a filler */
    other_objects = &other;
    /* Ref arrays of 2 slots in `to`. */
    cr_assert_eq(gc_bump_init(&to, 1u << 20), 0);
    for (int i = 0; i < 4; i++) {
        o[i] = gc_bump_take(&to, 24);
        o[i]->header = gc_make_header(GC_TYPE_REF_ARRAY, 2);
        gc_slots(o[i])[0] = gc_slots(o[i])[1] = GC_NIL;
    }
    gc_slots(o[0])[0] = gc_value_of(o[1]);
    gc_slots(o[1])[1] = gc_value_of(o[3]);
    gc_value root = gc_value_of(o[0]);
    gc_root(f.m, &root);
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 0, "a healthy to-space fails");

    gc_slots(o[2])[1] = (gc_value)stale; /* planted: into from-space */
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 1, "a reference into from-space went unnoticed");
    gc_slots(o[2])[1] = (gc_value)((char *)o[3] + 8); /* planted: between objects */
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 1, "an interior reference went unnoticed");
    gc_slots(o[2])[1] = GC_NIL;

    x[0]->header = gc_make_header(GC_TYPE_REF_ARRAY, 3); /* same 32 bytes */
    gc_slots(x[0])[0] = (gc_value)stale; /* planted: in an object of another space */
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 1,
                 "a reference into from-space from another space went unnoticed");
    gc_slots(x[0])[0] = GC_NIL;

    root = (gc_value)stale; /* planted: a root */
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 1, "a root into from-space went unnoticed");
    root = GC_NIL;
    cr_assert_eq(gc_bump_check_evacuated(&to, &from, f.h, each_other), 0);
    gc_roots_restore(f.m, 0);
    gc_bump_destroy(&to);
    gc_bump_destroy(&from);
    gc_bump_destroy(&other);
    close_heap(&f);
}

/* ---- executable invariants (debug builds) --------------------------------------------- */

#ifndef NDEBUG
Test(invariants, los_mark_outside_a_collection_aborts, .signal = SIGABRT)
{
    gc_los los;
    gc_los_init(&los);
    gc_object *o = make_object(gc_los_alloc(&los, LARGE, SIZE_MAX), LARGE);
    (void)gc_los_mark(&los, o); /* no gc_los_prepare */
}

Test(invariants, bump_take_past_the_reservation_aborts, .signal = SIGABRT)
{
    gc_bump_space s;
    cr_assert_eq(gc_bump_init(&s, 4096), 0);
    (void)gc_bump_take(&s, 4096);
    (void)gc_bump_take(&s, 8);
}

Test(invariants, fls_mark_of_an_interior_address_aborts, .signal = SIGABRT)
{
    gc_fls s;
    cr_assert_eq(gc_fls_init(&s, 2 * GC_FLS_BLOCK), 0);
    cr_assert_not_null(gc_fls_refill(&s, gc_size_class_of(48), SIZE_MAX));
    gc_fls_prepare(&s);
    (void)gc_fls_mark(&s, (gc_object *)(s.base + 16)); /* not a cell start */
}
#endif
