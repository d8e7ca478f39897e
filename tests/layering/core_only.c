/* tests/layering/core_only.c — links every object of gcbench_core (whole
 * archive) and nothing of gcbench_collectors: a call from core into a
 * collector (gc_registered_collectors, gc_collector_find, a collector's
 * ops, ...) is an undefined reference and fails the build. Run as a test,
 * it builds a list on the arena collector with the verifier on. */
#include <stdio.h>

#include "arena.h"
#include "core/heap.h"

int main(void)
{
    char err[256];
    gc_config cfg = {.heap_limit = 1 << 20, .verify = true};
    gc_heap *h = gc_heap_create_with(&arena_ops, &cfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "core_only: %s\n", err);
        return 1;
    }
    gc_mutator *m = gc_mutator_attach(h);
    uint32_t node = gc_type_register("LayeringNode", "ri");
    gc_value list = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &list);
    for (int i = 1; i <= 100; i++) {
        gc_object *n = gc_alloc_record(m, node);
        gc_set_word(n, 1, (uint64_t)i);
        gc_set_field(m, n, 0, list);
        list = gc_value_of(n);
    }
    gc_collect(m, GC_COLLECT_MAJOR);
    uint64_t sum = 0;
    for (gc_value v = list; !gc_is_nil(v); v = gc_field(gc_ref(v), 0))
        sum += gc_words(gc_ref(v))[1];
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    gc_roots_restore(m, depth);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    if (sum != 5050 || st.collections != 1) {
        fprintf(stderr, "core_only: sum %llu (want 5050), %llu collections (want 1)\n",
                (unsigned long long)sum, (unsigned long long)st.collections);
        return 1;
    }
    printf("core_only: core alone runs a heap (collector \"%s\")\n", "arena");
    return 0;
}
