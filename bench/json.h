/* bench/json.h — a tiny streaming JSON writer (objects, arrays, strings,
 * integers, doubles, booleans, null), pretty-printed with two-space indents.
 *
 * Strings are escaped per RFC 8259: quote, backslash and control characters
 * are escaped, valid UTF-8 passes through, and each byte of an invalid UTF-8
 * sequence becomes U+FFFD, so the output is always valid JSON. Non-finite
 * doubles are written as null. Misuse (a value without a key inside an
 * object, unbalanced ends, nesting deeper than GCB_JSON_MAX_DEPTH) sets the
 * error flag rather than writing invalid output silently; I/O errors are
 * visible through ferror() on the stream.
 */
#ifndef GCB_JSON_H
#define GCB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GCB_JSON_MAX_DEPTH 32

typedef struct gcb_json {
    FILE *f;
    int depth;
    bool in_object[GCB_JSON_MAX_DEPTH]; /* per level: object (true) or array */
    bool has_items[GCB_JSON_MAX_DEPTH]; /* per level: a comma is due */
    bool error;
} gcb_json;

void gcb_json_init(gcb_json *j, FILE *f);

/* In an object, every value call takes a key; in an array or at top level,
 * pass key = NULL. */
void gcb_json_begin_object(gcb_json *j, const char *key);
void gcb_json_end_object(gcb_json *j);
void gcb_json_begin_array(gcb_json *j, const char *key);
void gcb_json_end_array(gcb_json *j);
void gcb_json_string(gcb_json *j, const char *key, const char *value); /* NULL -> null */
void gcb_json_u64(gcb_json *j, const char *key, uint64_t value);
void gcb_json_i64(gcb_json *j, const char *key, int64_t value);
void gcb_json_double(gcb_json *j, const char *key, double value);
void gcb_json_bool(gcb_json *j, const char *key, bool value);
void gcb_json_null(gcb_json *j, const char *key);

/* Ends the document (a final newline). Returns 0 when everything was
 * balanced, no misuse occurred and the stream has no error; -1 otherwise. */
int gcb_json_finish(gcb_json *j);

/* Writes s as a JSON string literal (with quotes) to f. */
void gcb_json_write_string(FILE *f, const char *s);

/* UTF-8 validation (gc_utf8_seq) is core's: core/utf8.h. */

#endif /* GCB_JSON_H */
