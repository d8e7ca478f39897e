/* core/utf8.c — UTF-8 validation and escaping (see core/utf8.h). */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

size_t gc_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

char *gc_utf8_escape(char *buf, size_t size, const char *s, size_t n, size_t max)
{
    static const char more[] = "...";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t len = 0, shown = 0;
    if (size < sizeof more)
        return size ? (buf[0] = '\0', buf) : buf;
    /* room for the text, "..." and the NUL */
    size_t room = size - sizeof more;
    while (p < end) {
        if (max && shown == max)
            break;
        size_t k = gc_utf8_seq(p, end);
        int esc = k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f));
        size_t out = esc ? 4 : k;
        if (len + out > room)
            break;
        if (esc)
            snprintf(buf + len, 5, "\\x%02x", *p);
        else
            memcpy(buf + len, p, k);
        len += out;
        p += esc ? 1 : k;
        shown++;
    }
    if (p < end) {
        memcpy(buf + len, more, sizeof more - 1);
        len += sizeof more - 1;
    }
    buf[len] = '\0';
    return buf;
}
