/* core/readfile.c — see readfile.h. Invariant: buf holds n bytes read so
 * far and has room for cap bytes; it doubles when full. */
#include "readfile.h"

#include <errno.h>
#include <stdlib.h>

char *gc_read_file(FILE *f, size_t *len, int *err)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    *len = 0;
    for (;;) {
        if (buf == NULL) {
            *err = ENOMEM;
            return NULL;
        }
        errno = 0;
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            *err = errno != 0 ? errno : EIO;
            free(buf);
            return NULL;
        }
        if (n < cap)
            break;
        char *nb = cap <= ((size_t)-1) / 2 - 1 ? realloc(buf, cap * 2 + 1) : NULL;
        if (nb == NULL)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}
