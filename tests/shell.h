/* tests/shell.h — running shell commands from Criterion tests. */
#ifndef GCBENCH_TESTS_SHELL_H
#define GCBENCH_TESTS_SHELL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

/* Runs a printf-formatted command with /bin/sh; returns its exit status, or
 * -1 if it did not exit normally. */
static int sh(const char *f, ...) __attribute__((format(printf, 1, 2), unused));
static int sh(const char *f, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, f);
    vsnprintf(cmd, sizeof cmd, f, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Formats into one of 32 static buffers used in turn (for building paths
 * and commands inline). */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2), unused));
static const char *fmt(const char *f, ...)
{
    static char buf[32][4096];
    static int next;
    char *b = buf[next++ % 32];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

#endif
