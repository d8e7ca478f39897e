/* tests/files.h — reading files back in Criterion tests: file_size and
 * slurp (the whole file, asserting it can be read). */
#ifndef GCBENCH_TESTS_FILES_H
#define GCBENCH_TESTS_FILES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Bytes in the file at path, or -1 if it does not exist. */
static long file_size(const char *path) __attribute__((unused));
static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The whole file as a NUL-terminated string (malloc'd; the test fails if
 * it cannot be read). */
static char *slurp(const char *path) __attribute__((unused));
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    long n = file_size(path);
    char *buf = calloc(1, (size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "short read of %s", path);
    fclose(f);
    return buf;
}

#endif
