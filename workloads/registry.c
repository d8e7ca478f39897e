/* workloads/registry.c — the list of native workloads, lookup by name, and
 * the size settings (small / default / large) every workload understands.
 *
 * Adding a workload: define a `const wl_workload wl_NAME` in its own file,
 * declare it below and list it in wl_registered_workloads[], and add a
 * section to docs/workloads.md.
 */
#include <stddef.h>
#include <string.h>

#include "workload.h"

extern const wl_workload wl_trees;
extern const wl_workload wl_cycles;
extern const wl_workload wl_strings;
extern const wl_workload wl_records;
extern const wl_workload wl_alloc;
extern const wl_workload wl_program;
extern const wl_workload wl_shared;
extern const wl_workload wl_mt_gcbench;

const wl_workload *const wl_registered_workloads[] = {
    &wl_trees,
    &wl_cycles,
    &wl_strings,
    &wl_records,
    &wl_alloc,
    &wl_program,
    &wl_shared,
    &wl_mt_gcbench,
    NULL,
};

const wl_workload *wl_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; wl_registered_workloads[i] != NULL; i++)
        if (strcmp(wl_registered_workloads[i]->name, name) == 0)
            return wl_registered_workloads[i];
    return NULL;
}

static const char *const wl_size_names[] = {
    [WL_SIZE_SMALL] = "small",
    [WL_SIZE_DEFAULT] = "default",
    [WL_SIZE_LARGE] = "large",
};

#define WL_SIZE_COUNT (sizeof wl_size_names / sizeof wl_size_names[0])

const char *wl_size_name(wl_size s)
{
    return (unsigned)s < WL_SIZE_COUNT ? wl_size_names[s] : "unknown";
}

int wl_size_parse(const char *s, wl_size *out)
{
    if (s == NULL)
        return -1;
    for (unsigned i = 0; i < WL_SIZE_COUNT; i++) {
        if (strcmp(s, wl_size_names[i]) == 0) {
            if (out != NULL)
                *out = (wl_size)i;
            return 0;
        }
    }
    return -1;
}
