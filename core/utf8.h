/* core/utf8.h — UTF-8 validation and escaping for messages, in system
 * memory. Shared by the JSON writer (bench/json.c) and by the assembler and
 * interpreter (core/vm/), whose
 * messages quote input text: a message is always valid UTF-8 with no
 * control characters, whatever bytes the input held. */
#ifndef GC_UTF8_H
#define GC_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4, never past end), or 0 if
 * it is invalid (overlong, surrogate, beyond U+10FFFF, truncated). p < end. */
size_t gc_utf8_seq(const unsigned char *p, const unsigned char *end);

/* Copies s[0..n) into buf (size bytes, NUL-terminated) for quoting in a
 * message: valid UTF-8 passes through, and every byte that is not part of
 * a valid sequence, and every control character (below 0x20, and 0x7f),
 * becomes "\xNN". At most `max` characters of s are shown (0 = no limit);
 * when s is cut there (or buf is full), "..." ends the text, and the cut
 * is always at a character boundary, so the result is valid UTF-8.
 * Returns buf; size must be at least 4. */
char *gc_utf8_escape(char *buf, size_t size, const char *s, size_t n, size_t max);

#endif /* GC_UTF8_H */
