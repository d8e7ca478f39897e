/* bench/jsonread.h — reading JSON documents back (gcbench compare, the
 * tests) with jansson, Debian's maintained JSON library.
 *
 * jansson is strict (RFC 8259: one value, no comments, no trailing commas,
 * no leading zeros, no control characters or invalid escapes in strings, no
 * lone surrogates, valid UTF-8; nesting is bounded by jansson's
 * JSON_PARSER_MAX_DEPTH). On top of it this module adds what reading
 * gcbench's files needs:
 *
 * - Duplicate keys are an error (JSON_REJECT_DUPLICATES): gcbench never
 *   writes them, and a file that has them was made by something else; which
 *   of two values a reader should believe is undefined (RFC 8259, 4).
 * - "\u0000" in a string is an error (jansson's default): no gcbench string
 *   holds a NUL.
 * - Errors read "line L, column C: what" (C counts characters, 1-based; it is
 *   where jansson stopped: the last character it read, usually the end of
 *   the token quoted after "near").
 * - Exact unsigned 64-bit integers. gcbench writes u64 counters and options
 *   (--seed, --stress) that may exceed INT64_MAX, which jansson's json_int_t
 *   (long long) cannot hold: it rejects them as "too big integer". Such an
 *   integer (a plain non-negative integer token from 2^63 to 2^64-1) is
 *   handed to jansson as a real placeholder of the same length, so positions
 *   in error messages stay true, and its exact value is kept beside the
 *   document: read numbers through gcb_jdoc_u64 / gcb_jdoc_number /
 *   gcb_jdoc_number_text, never json_number_value, when they may be that
 *   large. Integers beyond 2^64-1 or below INT64_MIN stay jansson errors.
 */
#ifndef GCB_JSONREAD_H
#define GCB_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* One integer above INT64_MAX: its placeholder node and its value. */
typedef struct gcb_jbig {
    const json_t *node; /* a json_real in root */
    uint64_t value;     /* > INT64_MAX */
} gcb_jbig;

/* A parsed document. Invariant: every big[i].node is a distinct json_real
 * node inside root. */
typedef struct gcb_jdoc {
    json_t *root;  /* owned (one reference) */
    gcb_jbig *big; /* owned */
    size_t nbig;
} gcb_jdoc;

/* Parses text[0..len) (an embedded NUL byte is an error) into *doc. Any
 * JSON value is accepted at the top level. Returns 0, or -1 with
 * "line L, column C: what" in err and *doc empty (safe to free). */
int gcb_jdoc_parse(gcb_jdoc *doc, const char *text, size_t len, char *err, size_t errlen);
/* Releases the document; *doc becomes empty. NULL and empty are fine. */
void gcb_jdoc_free(gcb_jdoc *doc);

/* The exact value of a non-negative integer 0..2^64-1 (written without a
 * fraction or exponent): 0 and *out set, else -1 (not a number, negative, a
 * real such as 1.5 or 1e3). */
int gcb_jdoc_u64(const gcb_jdoc *doc, const json_t *v, uint64_t *out);
/* A number as a double (big integers rounded); 0 for a non-number. */
double gcb_jdoc_number(const gcb_jdoc *doc, const json_t *v);
/* A number as JSON text: integers exactly, reals in the shortest form that
 * reads back as the same double (so a number gcbench wrote with %.9g comes
 * back as written). buf of 32 bytes is enough. Returns buf ("" for a
 * non-number). */
const char *gcb_jdoc_number_text(const gcb_jdoc *doc, const json_t *v, char *buf, size_t len);
/* Equality of two values of (possibly) two documents: numbers by value
 * (1 equals 1.0, big integers exactly), strings, literals, arrays and
 * objects recursively. */
bool gcb_jdoc_equal(const gcb_jdoc *da, const json_t *a, const gcb_jdoc *db, const json_t *b);

#endif /* GCB_JSONREAD_H */
