/* bench/jsonread.h — a small strict JSON reader (RFC 8259) for reading run
 * directories back (gcbench compare) and for the tests.
 *
 * Strict: exactly one value with optional surrounding whitespace; no
 * comments, trailing commas, single quotes, leading zeros, bare control
 * characters in strings, invalid escapes, lone surrogates or invalid UTF-8;
 * nesting deeper than GCB_JREAD_MAX_DEPTH is refused. Errors name the line
 * and column. Numbers keep their source text (so exact 64-bit integers can
 * be recovered) besides a double. Keys keep document order; gcb_jv_get
 * returns the first of duplicate keys.
 */
#ifndef GCB_JSONREAD_H
#define GCB_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCB_JREAD_MAX_DEPTH 64

typedef enum gcb_jtype {
    GCB_J_NULL,
    GCB_J_BOOL,
    GCB_J_NUM,
    GCB_J_STR,
    GCB_J_ARR,
    GCB_J_OBJ
} gcb_jtype;

typedef struct gcb_jv {
    gcb_jtype t;
    bool b;                /* GCB_J_BOOL */
    double num;            /* GCB_J_NUM */
    char *str;             /* GCB_J_STR: decoded UTF-8; GCB_J_NUM: the source text */
    size_t n;              /* GCB_J_ARR / GCB_J_OBJ: number of items */
    char **keys;           /* GCB_J_OBJ: n keys */
    struct gcb_jv **items; /* GCB_J_ARR / GCB_J_OBJ: n values */
} gcb_jv;

/* Parses text[0..len) (it may contain no NUL byte). Returns the document, or
 * NULL with "line L, column C: what" in err. */
gcb_jv *gcb_jv_parse(const char *text, size_t len, char *err, size_t errlen);
void gcb_jv_free(gcb_jv *v);

/* Member of an object (NULL if v is not an object or has no such key). */
const gcb_jv *gcb_jv_get(const gcb_jv *v, const char *key);
/* The number as an exact unsigned integer: 0 and *out set when it is
 * written as a non-negative integer that fits 64 bits, else -1. */
int gcb_jv_u64(const gcb_jv *v, uint64_t *out);

#endif /* GCB_JSONREAD_H */
