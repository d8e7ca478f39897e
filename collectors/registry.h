/* collectors/registry.h — the collectors gcbench knows, by name (the
 * collectors library). Core never includes this: it takes a descriptor
 * (gc_heap_create_with); naming a collector is the registry's job. */
#ifndef GC_REGISTRY_H
#define GC_REGISTRY_H

#include "core/collector.h"

/* NULL-terminated, in registry order (collectors/registry.c). */
extern const gc_collector_ops *const gc_registered_collectors[];

/* The collector called `name` (exactly; no options), or NULL. */
const gc_collector_ops *gc_collector_find(const char *name);

/* Creates a heap run by the collector `spec` names: "NAME" or
 * "NAME:OPTIONS" (options as in gc_config.options; when cfg->options is
 * also set, both apply, the spec's first). Returns NULL with a message in
 * err for an unknown collector (the message lists the registered ones), a
 * bad option, or a bad config. */
gc_heap *gc_heap_create(const char *spec, const gc_config *cfg, char *err, size_t errlen);

/* Splits "NAME[:OPTIONS]": copies NAME into name (truncated to n) and
 * returns a pointer to OPTIONS inside spec ("" when there are none). */
const char *gc_collector_spec_split(const char *spec, char *name, size_t n);

/* Writes the registered names, comma-separated, into buf. */
void gc_collector_names(char *buf, size_t n);

#endif /* GC_REGISTRY_H */
