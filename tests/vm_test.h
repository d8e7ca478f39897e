/* tests/vm_test.h — helpers shared by the VM suites (test_vm.c,
 * test_vm_threads.c). Include after conformance.h. */
#ifndef GC_TESTS_VM_TEST_H
#define GC_TESTS_VM_TEST_H

#include <string.h>

#include "conformance.h"
#include "core/vm/vm.h"

/* Assembles src as "t.gca"; a program that does not assemble fails the test. */
static inline vm_program *assemble(const char *src)
{
    char err[512];
    vm_program *p = vm_assemble(src, strlen(src), "t.gca", err, sizeof err);
    cr_assert_not_null(p, "program does not assemble: %s\n--- source:\n%s", err, src);
    return p;
}

/* The collector of tests that need one but not a particular one: the first
 * the filter (GCBENCH_COLLECTOR) selects. */
static inline const char *ref_collector(void)
{
    conf_require_valid_filter();
    const gc_collector_ops *ops = conf_pick(NULL);
    cr_assert_not_null(ops, "no collector registered");
    return ops->name;
}

/* A gc_visit_roots visitor counting slots into *(size_t *)ctx. */
static inline void count_root(gc_value *slot, void *ctx)
{
    (void)slot;
    (*(size_t *)ctx)++;
}

#endif
