/* tests/client/client.c — a client of gcbench's heap: creates a heap run by
 * a collector chosen by name (argv[1], default "marksweep"), builds a list
 * among garbage, collects, checks the list and prints one line:
 *   client: marksweep: 1000 nodes, sum 500500, 1 collections, verified
 */
#include <inttypes.h>
#include <stdio.h>

#include "collectors/registry.h"
#include "core/heap.h"

enum { NODES = 1000 };

int main(int argc, char **argv)
{
    const char *collector = argc > 1 ? argv[1] : "marksweep";
    char err[512];
    gc_config cfg = {.heap_limit = 4u << 20, .verify = true};
    gc_heap *h = gc_heap_create(collector, &cfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    gc_mutator *m = gc_mutator_attach(h);
    /* A node: field 0 the next node (a reference), field 1 its value (a raw word). */
    uint32_t node = gc_type_register("ClientNode", "ri");
    gc_value list = GC_NIL;
    size_t depth = gc_roots_save(m);
    gc_root(m, &list);
    for (uint64_t i = 1; i <= NODES; i++) {
        gc_alloc_bytes(m, 64); /* garbage between the nodes */
        gc_object *n = gc_alloc_record(m, node);
        gc_set_word(n, 1, i);
        gc_set_field(m, n, 0, list); /* list is a root: re-read after the allocation */
        list = gc_value_of(n);
    }
    gc_collect(m, GC_COLLECT_MAJOR); /* with cfg.verify the heap verifier runs after it */

    uint64_t count = 0, sum = 0;
    for (gc_value v = list; !gc_is_nil(v); v = gc_field(gc_ref(v), 0)) {
        count++;
        sum += gc_words(gc_ref(v))[1];
    }
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    gc_roots_restore(m, depth);
    gc_mutator_detach(m);
    gc_heap_destroy(h);

    if (count != NODES || sum != (uint64_t)NODES * (NODES + 1) / 2 || st.collections < 1) {
        fprintf(stderr, "client: %s: %" PRIu64 " nodes, sum %" PRIu64 ", %" PRIu64 " collections\n",
                collector, count, sum, st.collections);
        return 1;
    }
    printf("client: %s: %" PRIu64 " nodes, sum %" PRIu64 ", %" PRIu64 " collections, verified\n",
           collector, count, sum, st.collections);
    return 0;
}
