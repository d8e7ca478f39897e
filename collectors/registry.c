/* collectors/registry.c — every collector gcbench can run, by name. Adding a
 * collector is one line here (plus its file and its docs page); the
 * conformance suite picks it up from this list. */
#include "core/collector.h"

extern const gc_collector_ops gc_marksweep_ops;
extern const gc_collector_ops gc_copying_ops;
extern const gc_collector_ops gc_generational_ops;
extern const gc_collector_ops gc_refcount_ops;

const gc_collector_ops *const gc_registered_collectors[] = {
    &gc_marksweep_ops,
    &gc_copying_ops,
    &gc_generational_ops,
    &gc_refcount_ops,
    NULL,
};
