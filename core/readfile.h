/* core/readfile.h — reading a whole file into system memory, written once
 * for the assembler, the program workload and bench's run-directory reader. */
#ifndef GC_READFILE_H
#define GC_READFILE_H

#include <stddef.h>
#include <stdio.h>

/* Reads f to its end. Returns a malloc'd buffer of *len bytes followed by
 * a NUL (not counted), or NULL with *err set to the errno of the failure
 * (ENOMEM when memory ran out, EIO for a read error without an errno). The
 * caller frees the buffer and closes f. */
char *gc_read_file(FILE *f, size_t *len, int *err);

#endif /* GC_READFILE_H */
