/* workloads/program.c — "program": runs a bytecode VM program
 * (core/vm/, docs/vm.md) given by wl_config.program (gcbench --program=FILE).
 *
 * The program prints to stdout. Outcomes:
 *   halts normally                      WL_OK, verified
 *   an assert / fail instruction fires  WL_OK, not verified (exit 4)
 *   unreadable file, assembly error     WL_ERR_INPUT (exit 2), "file:line:col: message"
 *   runtime error                       WL_ERR_RUNTIME (exit 5), "file:line: message"
 * Heap exhaustion is left to the heap's handler (exit 3), as for every workload.
 */
#include <stdio.h>
#include <string.h>

#include "core/vm/vm.h"
#include "workload.h"

static int program_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    res->verified = false;
    res->detail[0] = '\0';
    if (cfg->program == NULL || cfg->program[0] == '\0') {
        snprintf(res->detail, sizeof res->detail,
                 "the program workload needs a program: --program=FILE");
        return WL_ERR_INPUT;
    }
    vm_program *p = vm_assemble_file(cfg->program, res->detail, sizeof res->detail);
    if (p == NULL)
        return WL_ERR_INPUT;
    vm_status st = vm_run(p, m, stdout, NULL, res->detail, sizeof res->detail);
    vm_program_free(p);
    switch (st) {
    case VM_HALTED:
        res->verified = true;
        snprintf(res->detail, sizeof res->detail, "%s halted normally", cfg->program);
        return WL_OK;
    case VM_CHECK_FAILED:
        return WL_OK;
    case VM_RUNTIME_ERROR:
    case VM_EXHAUSTED:
        break;
    }
    return WL_ERR_RUNTIME;
}

const wl_workload wl_program = {
    .name = "program",
    .description = "runs the bytecode VM program given by --program=FILE",
    .run = program_run,
};
