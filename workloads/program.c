/* workloads/program.c — "program": runs a bytecode VM program
 * (core/vm/, docs/vm.md) given by wl_config.program (gcbench --program=FILE).
 *
 * The program prints to stdout. When the program has an expected output
 * (FILE.expected, or NAME.expected for NAME.gca), the output is also
 * compared with it byte for byte as it is written, except for the lines
 * that start with '~': those report what is not deterministic (a race's
 * lost updates, a thread count) and are left out of both (docs/vm.md,
 * "Expected output"). Outcomes:
 *   halts normally (and the output matches)  WL_OK, verified
 *   an assert / fail instruction fires,
 *   or the output differs from the expected  WL_OK, not verified (exit 4)
 *   unreadable file, assembly error          WL_ERR_INPUT (exit 2), "file:line:col: message"
 *   runtime error, step limit                WL_ERR_RUNTIME (exit 5), "file:line: message"
 *   the output could not be written          PROGRAM_ERR_OUTPUT (exit 1)
 * Heap exhaustion is left to the heap's handler (exit 3), as for every workload.
 *
 * The step limit is wl_config.max_steps (--max-steps), PROGRAM_DEFAULT_MAX_STEPS
 * when 0; it bounds each VM thread. The program parameter `threads` (a
 * shared variable, vm_options.defines) is wl_config.threads (--threads), 1
 * when 0: programs that start threads read it.
 *
 * Debug hook (wl_config.debug_corrupt != 0, --debug-corrupt): the first byte
 * of the output is damaged as it is compared with the expected output
 * (stdout gets the program's real output), so the comparison fails. A
 * program without an expected output has nothing the workload could damage
 * (its asserts are checked inside the VM): --debug-corrupt is bad input
 * then (exit 2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/vm/vm.h"
#include "core/readfile.h"
#include "core/utf8.h"
#include "workload.h"

/* gcbench's default (bench/cli.h GCB_DEFAULT_MAX_STEPS) is the same. */
#define PROGRAM_DEFAULT_MAX_STEPS UINT64_C(1000000000)
/* run()'s result when the output was lost: "did not complete" (exit 1). */
#define PROGRAM_ERR_OUTPUT 1

/* The stream the VM prints to: every byte goes on to stdout and, when there
 * is an expected output, is compared with it. */
typedef struct program_out {
    FILE *to;
    const char *expected; /* NULL: none */
    size_t expected_len;
    size_t pos;           /* bytes compared so far (written, '~' lines left out) */
    bool at_line_start;   /* the next byte starts a line */
    bool skipping;        /* inside a '~' line (up to its newline, included) */
    size_t mismatch;      /* offset of the first difference; SIZE_MAX: none */
    bool corrupt;         /* debug hook: compare the first byte damaged */
    int err;              /* errno of the first failed write to stdout; 0 */
} program_out;

static ssize_t program_out_write(void *cookie, const char *buf, size_t n)
{
    program_out *po = cookie;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)buf[i];
        if (po->at_line_start && b == '~')
            po->skipping = true;
        po->at_line_start = b == '\n';
        if (po->skipping) {
            po->skipping = b != '\n';
            continue;
        }
        size_t at = po->pos++;
        if (po->expected == NULL || po->mismatch != SIZE_MAX)
            continue;
        if (po->corrupt && at == 0)
            b ^= 0x20;
        if (at >= po->expected_len || (unsigned char)po->expected[at] != b)
            po->mismatch = at;
    }
    errno = 0;
    if (fwrite(buf, 1, n, po->to) != n && po->err == 0)
        po->err = errno != 0 ? errno : EIO;
    /* Always consumed: a failed write is recorded, not retried. */
    return (ssize_t)n;
}

/* NAME.expected for NAME.gca, else FILE.expected. */
/* A path as messages quote it: escaped (valid UTF-8, no control
 * characters) and, when long, its tail (the file name matters most). */
static const char *quote_path(char *buf, size_t size, const char *path)
{
    size_t n = strlen(path), keep = size / 2;
    if (n <= keep)
        return gc_utf8_escape(buf, size, path, n, 0);
    const char *t = path + n - keep;
    while ((*t & 0xc0) == 0x80 && *t) /* start at a character boundary */
        t++;
    buf[0] = buf[1] = buf[2] = '.';
    gc_utf8_escape(buf + 3, size - 3, t, strlen(t), 0);
    return buf;
}

static char *program_expected_path(const char *program)
{
    size_t len = strlen(program);
    if (len > 4 && strcmp(program + len - 4, ".gca") == 0)
        len -= 4;
    char *path = malloc(len + sizeof ".expected");
    if (path != NULL) {
        memcpy(path, program, len);
        memcpy(path + len, ".expected", sizeof ".expected");
    }
    return path;
}

/* Reads the expected output. Returns 0 with *out NULL when there is none,
 * 0 with the contents, or -1 with a message in res->detail. */
static int program_read_expected(const char *path, char **out, size_t *len, wl_result *res)
{
    *out = NULL;
    *len = 0;
    char qpath[160];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(res->detail, sizeof res->detail, "%s: %s", quote_path(qpath, sizeof qpath, path), strerror(errno));
        return -1;
    }
    size_t n;
    int e = 0;
    char *buf = gc_read_file(f, &n, &e);
    fclose(f);
    if (buf == NULL) {
        snprintf(res->detail, sizeof res->detail, "%s: %s", quote_path(qpath, sizeof qpath, path), strerror(e));
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* 1-based line of byte offset `at` in s[0..len). */
static size_t program_line_of(const char *s, size_t len, size_t at)
{
    size_t line = 1;
    for (size_t i = 0; i < at && i < len; i++)
        line += s[i] == '\n';
    return line;
}

static int program_run(gc_mutator *m, const wl_config *cfg, wl_result *res)
{
    res->verified = false;
    res->detail[0] = '\0';
    if (cfg->program == NULL || cfg->program[0] == '\0') {
        snprintf(res->detail, sizeof res->detail,
                 "the program workload needs a program: --program=FILE");
        return WL_ERR_INPUT;
    }
    char *expected_path = program_expected_path(cfg->program);
    char *expected = NULL;
    size_t expected_len = 0;
    if (expected_path == NULL) {
        snprintf(res->detail, sizeof res->detail, "out of memory");
        return WL_ERR_INPUT;
    }
    /* Paths as messages quote them: valid UTF-8, no control characters. */
    char name[64], xname[64];
    quote_path(name, sizeof name, cfg->program);
    quote_path(xname, sizeof xname, expected_path);
    if (program_read_expected(expected_path, &expected, &expected_len, res) != 0) {
        free(expected_path);
        return WL_ERR_INPUT;
    }
    if (cfg->debug_corrupt != 0 && expected == NULL) {
        snprintf(res->detail, sizeof res->detail,
                 "--debug-corrupt needs an expected output (%s) to damage: %s has none, and "
                 "its own checks run inside the VM",
                 xname, name);
        free(expected_path);
        return WL_ERR_INPUT;
    }
    vm_program *p = vm_assemble_file(cfg->program, res->detail, sizeof res->detail);
    if (p == NULL) {
        free(expected);
        free(expected_path);
        return WL_ERR_INPUT;
    }

    program_out po = {.to = stdout,
                      .expected = expected,
                      .expected_len = expected_len,
                      .at_line_start = true,
                      .mismatch = SIZE_MAX,
                      .corrupt = cfg->debug_corrupt != 0};
    FILE *out = fopencookie(&po, "w", (cookie_io_functions_t){.write = program_out_write});
    if (out == NULL)
        out = stdout; /* no comparison then (an expected output fails below) */
    vm_define threads = {"threads", cfg->threads > 1 ? cfg->threads : 1};
    vm_options opt = {.max_steps = cfg->max_steps != 0 ? cfg->max_steps : PROGRAM_DEFAULT_MAX_STEPS,
                      .defines = &threads,
                      .ndefines = 1};
    vm_status st = vm_run(p, m, out, &opt, res->detail, sizeof res->detail);
    vm_program_free(p);
    /* Every byte the program printed must reach stdout: close our stream
     * (it flushes into stdout), then flush stdout and look for a write
     * error anywhere on the way. */
    int werr = 0;
    if (out != stdout && fclose(out) != 0)
        werr = errno != 0 ? errno : EIO;
    if (po.err != 0)
        werr = po.err;
    errno = 0;
    if (fflush(stdout) != 0 && werr == 0)
        werr = errno != 0 ? errno : EIO;
    if (ferror(stdout) && werr == 0)
        werr = EIO;

    int rc = WL_ERR_RUNTIME;
    switch (st) {
    case VM_HALTED:
        if (werr != 0) {
            snprintf(res->detail, sizeof res->detail,
                     "%s halted, but writing its output to stdout failed: %s", name,
                     strerror(werr));
            rc = PROGRAM_ERR_OUTPUT;
        } else if (expected != NULL && out == stdout) {
            snprintf(res->detail, sizeof res->detail,
                     "%s halted, but its output could not be compared with %s", name,
                     xname);
            rc = WL_OK;
        } else if (expected != NULL && (po.mismatch != SIZE_MAX || po.pos != expected_len ||
                                        (po.corrupt && po.pos == 0))) {
            size_t at = po.mismatch != SIZE_MAX ? po.mismatch : po.pos < expected_len ? po.pos
                                                                                     : expected_len;
            snprintf(res->detail, sizeof res->detail,
                     "%s halted, but its output (%zu bytes compared) differs from %s (%zu bytes) "
                     "at byte %zu (line %zu)%s",
                     name, po.pos, xname, expected_len, at,
                     program_line_of(expected, expected_len, at),
                     po.corrupt ? " (--debug-corrupt damaged it)" : "");
            rc = WL_OK;
        } else {
            res->verified = true;
            snprintf(res->detail, sizeof res->detail, "%s halted normally%s%s", name,
                     expected != NULL ? ", output matches " : "",
                     expected != NULL ? xname : "");
            rc = WL_OK;
        }
        break;
    case VM_CHECK_FAILED:
        rc = WL_OK;
        break;
    case VM_RUNTIME_ERROR:
    case VM_EXHAUSTED:
        rc = WL_ERR_RUNTIME;
        break;
    }
    free(expected);
    free(expected_path);
    return rc;
}

const wl_workload wl_program = {
    .name = "program",
    .description = "runs the bytecode VM program given by --program=FILE (and compares its "
                   "output with FILE.expected when there is one)",
    .run = program_run,
};
