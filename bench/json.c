/* bench/json.c — the tiny JSON writer (see bench/json.h). */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "../core/utf8.h"

void gcb_json_init(gcb_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
}

void gcb_json_write_string(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned char *end = s + strlen(str);
    fputc('"', f);
    while (*s != '\0') {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            s++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            s++;
        } else {
            size_t n = gc_utf8_seq(s, end);
            if (n == 0) {
                fputs("\\ufffd", f);
                s++;
            } else {
                fwrite(s, 1, (size_t)n, f);
                s += n;
            }
        }
    }
    fputc('"', f);
}

static void gcb_json_indent(gcb_json *j)
{
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Writes the separator, indentation and key that precede a value. */
static void gcb_json_prefix(gcb_json *j, const char *key)
{
    if (j->depth == 0) {
        if (key != NULL || j->has_items[0])
            j->error = true; /* top level: one keyless value */
        j->has_items[0] = true;
        return;
    }
    int lvl = j->depth;
    bool obj = j->in_object[lvl];
    if (obj != (key != NULL))
        j->error = true;
    if (j->has_items[lvl])
        fputc(',', j->f);
    j->has_items[lvl] = true;
    gcb_json_indent(j);
    if (obj && key != NULL) {
        gcb_json_write_string(j->f, key);
        fputs(": ", j->f);
    }
}

static void gcb_json_begin(gcb_json *j, const char *key, bool object)
{
    gcb_json_prefix(j, key);
    fputc(object ? '{' : '[', j->f);
    if (j->depth + 1 >= GCB_JSON_MAX_DEPTH) {
        j->error = true;
        return;
    }
    j->depth++;
    j->in_object[j->depth] = object;
    j->has_items[j->depth] = false;
}

static void gcb_json_end(gcb_json *j, bool object)
{
    if (j->depth == 0 || j->in_object[j->depth] != object) {
        j->error = true;
        return;
    }
    bool had = j->has_items[j->depth];
    j->depth--;
    if (had)
        gcb_json_indent(j);
    fputc(object ? '}' : ']', j->f);
}

void gcb_json_begin_object(gcb_json *j, const char *key) { gcb_json_begin(j, key, true); }
void gcb_json_end_object(gcb_json *j) { gcb_json_end(j, true); }
void gcb_json_begin_array(gcb_json *j, const char *key) { gcb_json_begin(j, key, false); }
void gcb_json_end_array(gcb_json *j) { gcb_json_end(j, false); }

void gcb_json_string(gcb_json *j, const char *key, const char *value)
{
    gcb_json_prefix(j, key);
    if (value == NULL)
        fputs("null", j->f);
    else
        gcb_json_write_string(j->f, value);
}

void gcb_json_u64(gcb_json *j, const char *key, uint64_t value)
{
    gcb_json_prefix(j, key);
    fprintf(j->f, "%" PRIu64, value);
}

void gcb_json_i64(gcb_json *j, const char *key, int64_t value)
{
    gcb_json_prefix(j, key);
    fprintf(j->f, "%" PRId64, value);
}

void gcb_json_double(gcb_json *j, const char *key, double value)
{
    gcb_json_prefix(j, key);
    if (!isfinite(value))
        fputs("null", j->f);
    else
        fprintf(j->f, "%.9g", value); /* always a valid JSON number */
}

void gcb_json_bool(gcb_json *j, const char *key, bool value)
{
    gcb_json_prefix(j, key);
    fputs(value ? "true" : "false", j->f);
}

void gcb_json_null(gcb_json *j, const char *key)
{
    gcb_json_prefix(j, key);
    fputs("null", j->f);
}

int gcb_json_finish(gcb_json *j)
{
    fputc('\n', j->f);
    if (j->depth != 0)
        j->error = true;
    return j->error || ferror(j->f) ? -1 : 0;
}
