/* tests/layering/vm_only.c — links every object of gcbench_vm (the VM and
 * the workloads, whole archive) with gcbench_core and without
 * gcbench_collectors: a call from the VM or a workload into a collector
 * fails the build. Run as a test, it runs a small program on the arena
 * collector. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "core/heap.h"
#include "core/vm/vm.h"
#include "workloads/workload.h"

static const char program[] =
    ".type LNode val:int next:ref\n"
    "    li r1, 0\n"
    "    li r2, nil\n"
    "loop:\n"
    "    ge r9, r1, 50\n"
    "    jnz r9, done\n"
    "    add r1, r1, 1\n"
    "    new r3, LNode\n"
    "    setf r3, LNode.val, r1\n"
    "    setf r3, LNode.next, r2\n"
    "    mov r2, r3\n"
    "    jmp loop\n"
    "done:\n"
    "    gc\n"
    "    li r4, 0\n"
    "sum:\n"
    "    jz r2, out\n"
    "    getf r5, r2, LNode.val\n"
    "    add r4, r4, r5\n"
    "    getf r2, r2, LNode.next\n"
    "    jmp sum\n"
    "out:\n"
    "    eq r9, r4, 1275\n"
    "    assert r9\n"
    "    halt\n";

int main(void)
{
    char err[256];
    if (!wl_find("trees")) {
        fprintf(stderr, "vm_only: the workload registry has no \"trees\"\n");
        return 1;
    }
    vm_program *p = vm_assemble(program, strlen(program), "vm_only.gca", err, sizeof err);
    if (!p) {
        fprintf(stderr, "vm_only: %s\n", err);
        return 1;
    }
    gc_config cfg = {.heap_limit = 1 << 20, .verify = true};
    gc_heap *h = gc_heap_create_with(&arena_ops, &cfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "vm_only: %s\n", err);
        return 1;
    }
    gc_mutator *m = gc_mutator_attach(h);
    vm_status st = vm_run(p, m, stdout, NULL, err, sizeof err);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    vm_program_free(p);
    if (st != VM_HALTED) {
        fprintf(stderr, "vm_only: %s\n", err);
        return 1;
    }
    printf("vm_only: the VM and the workloads run without the collectors library\n");
    return 0;
}
