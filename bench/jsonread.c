/* bench/jsonread.c — reading JSON with jansson (see bench/jsonread.h).
 *
 * Big integers: before jansson sees the text, gcb_big_scan finds the plain
 * integer tokens from 2^63 to 2^64-1 outside strings. Each is replaced, in
 * a copy, by the real "0.000..." of the same length (so line and column of
 * any error are unchanged), and its value is remembered by its ordinal among
 * all number tokens. After parsing, a walk over the document in document
 * order (jansson keeps object members in insertion order, and duplicates are
 * rejected, so every number token becomes exactly one node, in order) finds
 * the node of each remembered ordinal. */
#include "jsonread.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A big integer token found by the scan. */
typedef struct gcb_big_tok {
    size_t ordinal; /* among all number tokens, 0-based */
    size_t off;     /* byte offset of its first digit */
    size_t len;     /* its length (19 or 20 digits) */
    uint64_t value;
} gcb_big_tok;

static bool gcb_is_digit(char c) { return c >= '0' && c <= '9'; }

/* A plain integer token: [1-9][0-9]* without sign, fraction or exponent.
 * Sets *out when it lies in INT64_MAX+1 .. UINT64_MAX. */
static bool gcb_big_value(const char *s, size_t len, uint64_t *out)
{
    if (len < 19 || len > 20 || s[0] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false; /* above 2^64-1: jansson reports it */
        v = v * 10 + d;
    }
    if (v <= (uint64_t)INT64_MAX)
        return false;
    *out = v;
    return true;
}

/* Scans text for big integer tokens; returns how many were found and sets
 * *toks (malloc'ed, NULL when none), or (size_t)-1 when out of memory. The
 * scan only has to be right for text jansson accepts; on other text it only
 * ever replaces a complete integer token by a number token of the same
 * length, which moves no error. */
static size_t gcb_big_scan(const char *t, size_t len, gcb_big_tok **toks)
{
    size_t n = 0, cap = 0, ordinal = 0;
    *toks = NULL;
    for (size_t i = 0; i < len;) {
        char c = t[i];
        if (c == '"') { /* a string: skip to its unescaped end */
            for (i++; i < len && t[i] != '"'; i++)
                if (t[i] == '\\')
                    i++;
            i++;
        } else if (c == '-' || gcb_is_digit(c)) {
            size_t start = i;
            bool plain = c != '-';
            if (c == '-')
                i++;
            while (i < len && gcb_is_digit(t[i]))
                i++;
            /* A fraction or an exponent (or anything number-like glued on)
             * makes it a real, never a big integer. */
            while (i < len && (gcb_is_digit(t[i]) || t[i] == '.' || t[i] == 'e' || t[i] == 'E' ||
                               t[i] == '+' || t[i] == '-')) {
                plain = false;
                i++;
            }
            uint64_t v;
            if (plain && gcb_big_value(t + start, i - start, &v)) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 4;
                    gcb_big_tok *nt = realloc(*toks, cap * sizeof *nt);
                    if (nt == NULL) {
                        free(*toks);
                        *toks = NULL;
                        return (size_t)-1;
                    }
                    *toks = nt;
                }
                (*toks)[n++] = (gcb_big_tok){ordinal, start, i - start, v};
            }
            ordinal++;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            /* A literal (true, false, null) or junk: digits glued to it are
             * not a number token. */
            while (i < len && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
                               t[i] == '_' || gcb_is_digit(t[i])))
                i++;
        } else {
            i++;
        }
    }
    return n;
}

/* The walk: numbers in document order; *ordinal counts them. Fills
 * doc->big[k].node for the tokens toks[k] (sorted by ordinal). */
static void gcb_big_walk(const json_t *v, size_t *ordinal, const gcb_big_tok *toks, size_t ntoks,
                         gcb_jdoc *doc)
{
    if (json_is_number(v)) {
        size_t k = doc->nbig;
        if (k < ntoks && toks[k].ordinal == *ordinal) {
            assert(json_is_real(v) && json_real_value(v) == 0.0); /* the placeholder */
            doc->big[k] = (gcb_jbig){v, toks[k].value};
            doc->nbig++;
        }
        ++*ordinal;
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            gcb_big_walk(json_array_get(v, i), ordinal, toks, ntoks, doc);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)v, key, m)
            gcb_big_walk(m, ordinal, toks, ntoks, doc);
    }
}

int gcb_jdoc_parse(gcb_jdoc *doc, const char *text, size_t len, char *err, size_t errlen)
{
    *doc = (gcb_jdoc){0};
    if (memchr(text, '\0', len) != NULL) {
        /* jansson would stop at it ("end of file expected"): name it. */
        size_t line = 1, col = 1;
        for (const char *p = text; *p != '\0'; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)*p & 0xC0) != 0x80) {
                col++;
            }
        }
        snprintf(err, errlen, "line %zu, column %zu: a NUL byte (not JSON text)", line, col);
        return -1;
    }
    gcb_big_tok *toks;
    size_t ntoks = gcb_big_scan(text, len, &toks);
    if (ntoks == (size_t)-1) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *src = text;
    char *copy = NULL;
    if (ntoks > 0) {
        copy = malloc(len);
        doc->big = calloc(ntoks, sizeof *doc->big);
        if (copy == NULL || doc->big == NULL) {
            free(copy);
            free(toks);
            gcb_jdoc_free(doc);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(copy, text, len);
        for (size_t k = 0; k < ntoks; k++) {
            assert(toks[k].len >= 3);
            memcpy(copy + toks[k].off, "0.", 2);
            memset(copy + toks[k].off + 2, '0', toks[k].len - 2);
        }
        src = copy;
    }
    json_error_t je;
    doc->root = json_loadb(src, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    free(copy);
    if (doc->root == NULL) {
        free(toks);
        gcb_jdoc_free(doc);
        /* jansson's column is 0 when it stopped before the first character
         * of a line: the error is at column 1. */
        snprintf(err, errlen, "line %d, column %d: %s", je.line > 0 ? je.line : 1,
                 je.column > 0 ? je.column : 1, je.text);
        return -1;
    }
    size_t ordinal = 0;
    gcb_big_walk(doc->root, &ordinal, toks, ntoks, doc);
    free(toks);
    /* Every token became a node (see the top of the file). */
    assert(doc->nbig == ntoks);
    if (doc->nbig != ntoks) {
        gcb_jdoc_free(doc);
        snprintf(err, errlen, "internal error: big integers lost in parsing");
        return -1;
    }
    return 0;
}

void gcb_jdoc_free(gcb_jdoc *doc)
{
    if (doc == NULL)
        return;
    json_decref(doc->root);
    free(doc->big);
    *doc = (gcb_jdoc){0};
}

/* The exact value of v if it is one of doc's big integers. */
static bool gcb_jdoc_big(const gcb_jdoc *doc, const json_t *v, uint64_t *out)
{
    if (doc == NULL || !json_is_real(v))
        return false;
    for (size_t i = 0; i < doc->nbig; i++)
        if (doc->big[i].node == v) {
            *out = doc->big[i].value;
            return true;
        }
    return false;
}

int gcb_jdoc_u64(const gcb_jdoc *doc, const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return -1;
        *out = (uint64_t)i;
        return 0;
    }
    return gcb_jdoc_big(doc, v, out) ? 0 : -1;
}

double gcb_jdoc_number(const gcb_jdoc *doc, const json_t *v)
{
    uint64_t u;
    if (gcb_jdoc_big(doc, v, &u))
        return (double)u;
    return json_number_value(v);
}

const char *gcb_jdoc_number_text(const gcb_jdoc *doc, const json_t *v, char *buf, size_t len)
{
    uint64_t u;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (json_is_integer(v)) {
        snprintf(buf, len, "%" PRId64, (int64_t)json_integer_value(v));
    } else if (gcb_jdoc_big(doc, v, &u)) {
        snprintf(buf, len, "%" PRIu64, u);
    } else if (json_is_real(v)) {
        /* jansson refuses non-finite reals, so every value prints as a
         * number; the shortest precision that reads back exactly. */
        double x = json_real_value(v);
        for (int p = 1; p <= 17; p++) {
            snprintf(buf, len, "%.*g", p, x);
            if (strtod(buf, NULL) == x)
                break;
        }
    }
    return buf;
}

bool gcb_jdoc_equal(const gcb_jdoc *da, const json_t *a, const gcb_jdoc *db, const json_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (json_is_number(a) && json_is_number(b)) {
        uint64_t ua, ub;
        bool ea = gcb_jdoc_u64(da, a, &ua) == 0, eb = gcb_jdoc_u64(db, b, &ub) == 0;
        if (ea && eb)
            return ua == ub;
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return gcb_jdoc_number(da, a) == gcb_jdoc_number(db, b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!gcb_jdoc_equal(da, json_array_get(a, i), db, json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *m;
        json_object_foreach((json_t *)a, key, m)
            if (!gcb_jdoc_equal(da, m, db, json_object_get(b, key)))
                return false;
        return true;
    }
    /* Strings and the literals true, false, null. */
    return json_equal((json_t *)a, (json_t *)b) != 0;
}
