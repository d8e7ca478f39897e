/* tests/tmpdir.h — temporary directories for Criterion tests: make_tmpdir()
 * creates one under /tmp, and a suite's .fini = remove_tmpdirs deletes every
 * one made so far (with their contents). */
#ifndef GCBENCH_TESTS_TMPDIR_H
#define GCBENCH_TESTS_TMPDIR_H

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmpdirs[16];
static int ntmpdirs;

static char *make_tmpdir(void) __attribute__((unused));
static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/gcbench-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d, "mkdtemp: %s", strerror(errno));
    d = strdup(d);
    if (ntmpdirs < (int)(sizeof tmpdirs / sizeof tmpdirs[0]))
        tmpdirs[ntmpdirs++] = d;
    return d;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tmpdirs(void) __attribute__((unused));
static void remove_tmpdirs(void)
{
    for (int i = 0; i < ntmpdirs; i++) {
        nftw(tmpdirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(tmpdirs[i]);
    }
    ntmpdirs = 0;
}

#endif
