/* bench/jsonread.c — the strict JSON reader (see bench/jsonread.h).
 * Recursive descent; the first error stops the parse and everything built
 * so far is freed. */
#include "jsonread.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/utf8.h"

typedef struct gcb_jp {
    const char *p, *start, *end;
    char *err;
    size_t errlen;
    bool bad;
} gcb_jp;

static void gcb_jp_fail(gcb_jp *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gcb_jp_fail(gcb_jp *s, const char *fmt, ...)
{
    if (s->bad)
        return;
    s->bad = true;
    size_t line = 1, col = 1;
    for (const char *q = s->start; q < s->p && q < s->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (s->err == NULL || s->errlen == 0)
        return;
    int k = snprintf(s->err, s->errlen, "line %zu, column %zu: ", line, col);
    if (k < 0 || (size_t)k >= s->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + k, s->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static int gcb_jp_peek(const gcb_jp *s) { return s->p < s->end ? (unsigned char)*s->p : -1; }

static void gcb_jp_ws(gcb_jp *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static bool gcb_jp_lit(gcb_jp *s, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return false;
    s->p += n;
    return true;
}

static void *gcb_jp_alloc(gcb_jp *s, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        gcb_jp_fail(s, "out of memory");
    return p;
}

static int gcb_jp_hex4(gcb_jp *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = gcb_jp_peek(s);
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else {
            gcb_jp_fail(s, "bad \\u escape");
            return -1;
        }
        v = v * 16 + d;
        s->p++;
    }
    *out = v;
    return 0;
}

static size_t gcb_put_utf8(char *b, unsigned cp)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string literal at s->p; returns its decoded, NUL-terminated bytes.
 * Decoding never grows the text, so the source length bounds the buffer. */
static char *gcb_jp_string(gcb_jp *s)
{
    if (gcb_jp_peek(s) != '"') {
        gcb_jp_fail(s, "expected a string");
        return NULL;
    }
    s->p++;
    const char *q = s->p;
    while (q < s->end && *q != '"') /* upper bound of the decoded length */
        q += *q == '\\' && q + 1 < s->end ? 2 : 1;
    char *buf = gcb_jp_alloc(s, (size_t)(q - s->p) + 1);
    if (buf == NULL)
        return NULL;
    size_t len = 0;
    for (;;) {
        int c = gcb_jp_peek(s);
        if (c < 0) {
            gcb_jp_fail(s, "unterminated string");
            break;
        }
        if (c < 0x20) {
            gcb_jp_fail(s, "control character in a string");
            break;
        }
        if (c == '"') {
            s->p++;
            break;
        }
        if (c != '\\') {
            size_t k = gc_utf8_seq((const unsigned char *)s->p, (const unsigned char *)s->end);
            if (k == 0) {
                gcb_jp_fail(s, "invalid UTF-8 in a string");
                break;
            }
            memcpy(buf + len, s->p, k);
            len += k;
            s->p += k;
            continue;
        }
        s->p++;
        int e = gcb_jp_peek(s);
        s->p++;
        unsigned cp;
        switch (e) {
        case '"': buf[len++] = '"'; break;
        case '\\': buf[len++] = '\\'; break;
        case '/': buf[len++] = '/'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u':
            if (gcb_jp_hex4(s, &cp) != 0)
                break;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                gcb_jp_fail(s, "lone low surrogate in a \\u escape");
                break;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (!gcb_jp_lit(s, "\\u") || gcb_jp_hex4(s, &lo) != 0 || lo < 0xdc00 ||
                    lo > 0xdfff) {
                    gcb_jp_fail(s, "lone high surrogate in a \\u escape");
                    break;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) {
                gcb_jp_fail(s, "\\u0000 in a string is not supported");
                break;
            }
            len += gcb_put_utf8(buf + len, cp);
            break;
        default:
            s->p--;
            gcb_jp_fail(s, "invalid escape in a string");
            break;
        }
        if (s->bad)
            break;
    }
    buf[len] = '\0';
    if (s->bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

static bool gcb_isdigit(int c) { return c >= '0' && c <= '9'; }

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static void gcb_jp_number(gcb_jp *s, gcb_jv *v)
{
    const char *from = s->p;
    if (gcb_jp_peek(s) == '-')
        s->p++;
    if (gcb_jp_peek(s) == '0') {
        s->p++;
        if (gcb_isdigit(gcb_jp_peek(s))) {
            gcb_jp_fail(s, "leading zero in a number");
            return;
        }
    } else if (gcb_isdigit(gcb_jp_peek(s))) {
        while (gcb_isdigit(gcb_jp_peek(s)))
            s->p++;
    } else {
        gcb_jp_fail(s, "expected a value");
        return;
    }
    if (gcb_jp_peek(s) == '.') {
        s->p++;
        if (!gcb_isdigit(gcb_jp_peek(s))) {
            gcb_jp_fail(s, "expected a digit after '.'");
            return;
        }
        while (gcb_isdigit(gcb_jp_peek(s)))
            s->p++;
    }
    if (gcb_jp_peek(s) == 'e' || gcb_jp_peek(s) == 'E') {
        s->p++;
        if (gcb_jp_peek(s) == '+' || gcb_jp_peek(s) == '-')
            s->p++;
        if (!gcb_isdigit(gcb_jp_peek(s))) {
            gcb_jp_fail(s, "expected a digit in the exponent");
            return;
        }
        while (gcb_isdigit(gcb_jp_peek(s)))
            s->p++;
    }
    size_t n = (size_t)(s->p - from);
    v->str = gcb_jp_alloc(s, n + 1);
    if (v->str == NULL)
        return;
    memcpy(v->str, from, n);
    v->str[n] = '\0';
    v->num = strtod(v->str, NULL);
}

static gcb_jv *gcb_jp_value(gcb_jp *s, int depth);

static bool gcb_jp_push(gcb_jp *s, gcb_jv *v, char *key, gcb_jv *item, size_t *cap)
{
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        gcb_jv **ni = realloc(v->items, nc * sizeof *ni);
        if (ni != NULL)
            v->items = ni;
        if (v->t == GCB_J_OBJ) {
            char **nk = realloc(v->keys, nc * sizeof *nk);
            if (nk != NULL)
                v->keys = nk;
            if (nk == NULL)
                ni = NULL;
        }
        if (ni == NULL) {
            gcb_jp_fail(s, "out of memory");
            return false;
        }
        *cap = nc;
    }
    if (v->t == GCB_J_OBJ)
        v->keys[v->n] = key;
    v->items[v->n] = item;
    v->n++;
    return true;
}

static void gcb_jp_container(gcb_jp *s, gcb_jv *v, int depth)
{
    const bool obj = v->t == GCB_J_OBJ;
    const char close = obj ? '}' : ']';
    size_t cap = 0;
    s->p++;
    gcb_jp_ws(s);
    if (gcb_jp_peek(s) == close) {
        s->p++;
        return;
    }
    for (;;) {
        char *key = NULL;
        gcb_jp_ws(s);
        if (obj) {
            key = gcb_jp_string(s);
            if (key == NULL)
                return;
            gcb_jp_ws(s);
            if (gcb_jp_peek(s) != ':') {
                free(key);
                gcb_jp_fail(s, "expected ':' after an object key");
                return;
            }
            s->p++;
        }
        gcb_jv *item = gcb_jp_value(s, depth + 1);
        if (item == NULL || !gcb_jp_push(s, v, key, item, &cap)) {
            free(key);
            gcb_jv_free(item);
            return;
        }
        gcb_jp_ws(s);
        if (gcb_jp_peek(s) == ',') {
            s->p++;
            continue;
        }
        if (gcb_jp_peek(s) == close) {
            s->p++;
            return;
        }
        if (gcb_jp_peek(s) < 0)
            gcb_jp_fail(s, "unexpected end of input");
        else
            gcb_jp_fail(s, obj ? "expected ',' or '}' in an object"
                               : "expected ',' or ']' in an array");
        return;
    }
}

static gcb_jv *gcb_jp_value(gcb_jp *s, int depth)
{
    gcb_jp_ws(s);
    if (depth > GCB_JREAD_MAX_DEPTH) {
        gcb_jp_fail(s, "nesting deeper than %d", GCB_JREAD_MAX_DEPTH);
        return NULL;
    }
    gcb_jv *v = gcb_jp_alloc(s, sizeof *v);
    if (v == NULL)
        return NULL;
    int c = gcb_jp_peek(s);
    if (c == '{' || c == '[') {
        v->t = c == '{' ? GCB_J_OBJ : GCB_J_ARR;
        gcb_jp_container(s, v, depth);
    } else if (c == '"') {
        v->t = GCB_J_STR;
        v->str = gcb_jp_string(s);
    } else if (gcb_jp_lit(s, "true")) {
        v->t = GCB_J_BOOL;
        v->b = true;
    } else if (gcb_jp_lit(s, "false")) {
        v->t = GCB_J_BOOL;
    } else if (gcb_jp_lit(s, "null")) {
        v->t = GCB_J_NULL;
    } else if (c < 0) {
        gcb_jp_fail(s, "unexpected end of input");
    } else {
        v->t = GCB_J_NUM;
        gcb_jp_number(s, v);
    }
    if (s->bad) {
        gcb_jv_free(v);
        return NULL;
    }
    return v;
}

gcb_jv *gcb_jv_parse(const char *text, size_t len, char *err, size_t errlen)
{
    gcb_jp s = {text, text, text + len, err, errlen, false};
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (memchr(text, '\0', len) != NULL) {
        s.p = memchr(text, '\0', len);
        gcb_jp_fail(&s, "NUL byte in the input");
        return NULL;
    }
    gcb_jv *v = gcb_jp_value(&s, 0);
    if (v == NULL)
        return NULL;
    gcb_jp_ws(&s);
    if (s.p != s.end) {
        gcb_jp_fail(&s, "unexpected text after the value");
        gcb_jv_free(v);
        return NULL;
    }
    return v;
}

void gcb_jv_free(gcb_jv *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys != NULL)
            free(v->keys[i]);
        gcb_jv_free(v->items[i]);
    }
    free(v->keys);
    free(v->items);
    free(v->str);
    free(v);
}

const gcb_jv *gcb_jv_get(const gcb_jv *v, const char *key)
{
    if (v == NULL || v->t != GCB_J_OBJ)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    return NULL;
}

int gcb_jv_u64(const gcb_jv *v, uint64_t *out)
{
    if (v == NULL || v->t != GCB_J_NUM || v->str == NULL || !gcb_isdigit((unsigned char)v->str[0]))
        return -1;
    uint64_t x = 0;
    for (const char *p = v->str; *p != '\0'; p++) {
        if (!gcb_isdigit((unsigned char)*p))
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}
