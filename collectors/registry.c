/* collectors/registry.c — every collector gcbench can run, by name, and the
 * name lookup. Adding a collector is one line in GC_COLLECTORS (plus its
 * file and its docs page); the conformance suite picks it up from the list.
 * Core never names a collector: it takes the descriptor this file finds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

/* bdw (collectors/bdw.c) is libgc: registered only when the build found
 * it (never in the sanitizer builds; see CMakeLists.txt). */
#ifdef GCBENCH_HAVE_BDW
#define GC_COLLECTORS_BDW(X) X(bdw)
#else
#define GC_COLLECTORS_BDW(X)
#endif

#define GC_COLLECTORS(X) \
    X(marksweep)         \
    X(copying)           \
    X(generational)      \
    X(refcount)          \
    X(markcompact)       \
    GC_COLLECTORS_BDW(X)

#define GC_DECLARE(n) extern const gc_collector_ops gc_##n##_ops;
GC_COLLECTORS(GC_DECLARE)
#undef GC_DECLARE

#define GC_ENTRY(n) &gc_##n##_ops,
const gc_collector_ops *const gc_registered_collectors[] = {GC_COLLECTORS(GC_ENTRY) NULL};
#undef GC_ENTRY

const gc_collector_ops *gc_collector_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; gc_registered_collectors[i]; i++)
        if (strcmp(gc_registered_collectors[i]->name, name) == 0)
            return gc_registered_collectors[i];
    return NULL;
}

void gc_collector_names(char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; gc_registered_collectors[i] && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", gc_registered_collectors[i]->name);
}

const char *gc_collector_spec_split(const char *spec, char *name, size_t n)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n > 0) {
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(name, spec, k);
        name[k] = '\0';
    }
    return colon ? colon + 1 : spec + len;
}

gc_heap *gc_heap_create(const char *spec, const gc_config *cfg, char *err, size_t errlen)
{
    char name[128], names[256];
    if (!spec)
        spec = "(null)";
    const char *opts = gc_collector_spec_split(spec, name, sizeof name);
    const gc_collector_ops *ops = gc_collector_find(name);
    if (!ops) {
        if (err && errlen) {
            gc_collector_names(names, sizeof names);
            snprintf(err, errlen, "unknown collector '%s' (available: %s)", name, names);
        }
        return NULL;
    }
    if (!cfg) {
        if (err && errlen)
            snprintf(err, errlen, "no heap configuration");
        return NULL;
    }
    gc_config c = *cfg;
    char *joined = NULL;
    if (*opts) {
        if (c.options && *c.options) {
            size_t n = strlen(opts) + strlen(c.options) + 2;
            joined = malloc(n);
            if (!joined)
                abort();
            snprintf(joined, n, "%s,%s", opts, c.options);
            c.options = joined;
        } else {
            c.options = opts;
        }
    }
    gc_heap *h = gc_heap_create_with(ops, &c, err, errlen); /* copies the option string */
    free(joined);
    return h;
}
