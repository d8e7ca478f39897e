/* tests/fuzz/vm_fuzz.c — libFuzzer target for the bytecode VM: every input
 * is assembled as a program and, if it assembles, run under the first
 * registered collector (or $GCBENCH_COLLECTOR, a "NAME[:OPTIONS]" spec) with
 * a step limit, a call-depth bound and heap exhaustion trapped, output
 * discarded. Any crash, hang or sanitizer report is a bug in core/vm/ (or
 * below). Not part of the default build: see tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/vm/vm.h"
#include "collectors/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gc_heap *heap;
    static gc_mutator *m;
    static FILE *sink;
    if (!heap) {
        char err[256];
        gc_config cfg = {.heap_limit = 4u << 20};
        const char *spec = getenv("GCBENCH_COLLECTOR");
        if (!spec || !*spec)
            spec = gc_registered_collectors[0] ? gc_registered_collectors[0]->name : "";
        heap = gc_heap_create(spec, &cfg, err, sizeof err);
        if (!heap) {
            fprintf(stderr, "vm_fuzz: %s\n", err);
            abort();
        }
        m = gc_mutator_attach(heap);
        sink = fopen("/dev/null", "w");
    }
    char err[512];
    vm_program *p = vm_assemble((const char *)data, size, "fuzz.gca", err, sizeof err);
    if (!p)
        return 0;
    vm_options opt = {.max_steps = 20000, .max_depth = 256, .trap_exhaustion = true};
    vm_run(p, m, sink, &opt, err, sizeof err);
    vm_program_free(p);
    return 0;
}
