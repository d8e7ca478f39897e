/* tests/fuzz/vm_fuzz.c — libFuzzer target for the bytecode VM: every input
 * is assembled as a program and, if it assembles, run under the first
 * registered collector (or $GCBENCH_COLLECTOR, a "NAME[:OPTIONS]" spec) with
 * a step limit, a call-depth bound and heap exhaustion trapped, output
 * discarded. Any crash, hang or sanitizer report is a bug in core/vm/ (or
 * below), and so is a message that is not valid UTF-8 or holds a control
 * character (quoted input must be escaped). Not part of the default build:
 * see tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/vm/vm.h"
#include "collectors/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless msg is valid UTF-8 without control characters. */
static void check_message(const char *msg)
{
    const unsigned char *s = (const unsigned char *)msg, *end = s + strlen(msg);
    while (s < end) {
        size_t k = gc_utf8_seq(s, end);
        if (k == 0 || (k == 1 && (*s < 0x20 || *s == 0x7f))) {
            fprintf(stderr, "vm_fuzz: unescaped byte 0x%02x in a message\n", *s);
            abort();
        }
        s += k;
    }
}

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
    if (!p) {
        check_message(err);
        return 0;
    }
    vm_options opt = {.max_steps = 20000, .max_depth = 256, .trap_exhaustion = true};
    if (vm_run(p, m, sink, &opt, err, sizeof err) != VM_HALTED)
        check_message(err);
    vm_program_free(p);
    return 0;
}
