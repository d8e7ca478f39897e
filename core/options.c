/* core/options.c — collector options: declarations checked once, user
 * strings "name=value,name=value" parsed against them.
 *
 * Invariants:
 *  - A descriptor's option list has at most GC_MAX_OPTIONS entries, unique
 *    names of [a-z0-9-], and a default that parses as its type
 *    (gc_options_check_decls, run by gc_collector_check).
 *  - After gc_options_parse succeeds, out[i] holds option i's value: the
 *    user's when given (the last one wins when given twice), else its
 *    default. On failure the message names the collector, the offending
 *    text, and the valid options.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "heap_impl.h"

static const char *type_name(gc_option_type t)
{
    switch (t) {
    case GC_OPTION_BOOL: return "on|off";
    case GC_OPTION_SIZE: return "SIZE";
    case GC_OPTION_UINT: return "N";
    }
    return "?";
}

static size_t count_options(const gc_collector_ops *ops)
{
    size_t n = 0;
    while (ops->options[n].name)
        n++;
    return n;
}

/* Parses one value of type t from [s, s+len); 0 on success. */
static int parse_value(gc_option_type t, const char *s, size_t len, uint64_t *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (t == GC_OPTION_BOOL) {
        static const char *const yes[] = {"on", "true", "yes", "1"}, *const no[] = {"off", "false", "no", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (strcmp(buf, yes[i]) == 0) {
                *out = 1;
                return 0;
            }
            if (strcmp(buf, no[i]) == 0) {
                *out = 0;
                return 0;
            }
        }
        return -1;
    }
    if (!isdigit((unsigned char)buf[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno != 0)
        return -1;
    unsigned shift = 0;
    if (t == GC_OPTION_SIZE && *end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return -1;
        }
        end++;
        if (*end == 'B' || *end == 'b') /* "1MB", "64kb" */
            end++;
    }
    if (*end != '\0')
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static void list_options(const gc_collector_ops *ops, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    size_t k = count_options(ops);
    if (k == 0) {
        snprintf(buf, n, "it has no options");
        return;
    }
    len += (size_t)snprintf(buf + len, n - len, "valid options:");
    for (size_t i = 0; i < k && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s %s=%s", i ? "," : "", ops->options[i].name,
                                type_name(ops->options[i].type));
}

static int fail(const gc_collector_ops *ops, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const gc_collector_ops *ops, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        char what[160], valid[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        list_options(ops, valid, sizeof valid);
        snprintf(err, errlen, "collector '%s': %s (%s)", ops->name, what, valid);
    }
    return -1;
}

const char *gc_options_check_decls(const gc_collector_ops *ops)
{
    size_t n = count_options(ops);
    if (n > GC_MAX_OPTIONS)
        return "options: more than GC_MAX_OPTIONS entries";
    for (size_t i = 0; i < n; i++) {
        const gc_option_desc *d = &ops->options[i];
        if (!d->name[0] || !d->def || !d->help)
            return "options: an entry lacks a name, a default or a help line";
        for (const char *c = d->name; *c; c++)
            if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-'))
                return "options: a name is not [a-z0-9-]+";
        if (d->type != GC_OPTION_BOOL && d->type != GC_OPTION_SIZE && d->type != GC_OPTION_UINT)
            return "options: an entry has an unknown type";
        uint64_t v;
        if (parse_value(d->type, d->def, strlen(d->def), &v) != 0)
            return "options: a default does not parse as its type";
        for (size_t j = 0; j < i; j++)
            if (strcmp(ops->options[j].name, d->name) == 0)
                return "options: a name is declared twice";
    }
    return NULL;
}

int gc_options_parse(const gc_collector_ops *ops, const char *text, gc_option_value *out, char *err,
                     size_t errlen)
{
    size_t n = count_options(ops);
    for (size_t i = 0; i < n; i++)
        if (parse_value(ops->options[i].type, ops->options[i].def, strlen(ops->options[i].def), &out[i].u) != 0)
            return fail(ops, err, errlen, "option '%s' has a bad default", ops->options[i].name);
    if (!text)
        return 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) { /* tolerate "a=1,,b=2" and a trailing comma */
            p += end ? 1 : 0;
            if (!end)
                break;
            continue;
        }
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return fail(ops, err, errlen, "option '%.*s' has no value (expected name=value)", (int)len, p);
        size_t nlen = (size_t)(eq - p);
        size_t i = 0;
        while (i < n && !(strlen(ops->options[i].name) == nlen && memcmp(ops->options[i].name, p, nlen) == 0))
            i++;
        if (i == n)
            return fail(ops, err, errlen, "unknown option '%.*s'", (int)nlen, p);
        const char *val = eq + 1;
        size_t vlen = len - nlen - 1;
        if (parse_value(ops->options[i].type, val, vlen, &out[i].u) != 0)
            return fail(ops, err, errlen, "option %s: bad value '%.*s' (expected %s)", ops->options[i].name,
                        (int)vlen, val, type_name(ops->options[i].type));
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

int gc_collector_check_options(const gc_collector_ops *ops, const char *options, char *err, size_t errlen)
{
    gc_option_value v[GC_MAX_OPTIONS];
    const char *bad = gc_collector_check(ops);
    if (bad) {
        if (err && errlen)
            snprintf(err, errlen, "collector '%s': %s", ops && ops->name ? ops->name : "?", bad);
        return -1;
    }
    return gc_options_parse(ops, options, v, err, errlen);
}

void gc_collector_print_options(const gc_collector_ops *ops, FILE *f, const char *indent)
{
    for (size_t i = 0; ops->options[i].name; i++) {
        const gc_option_desc *d = &ops->options[i];
        char spec[64];
        snprintf(spec, sizeof spec, "%s=%s", d->name, type_name(d->type));
        fprintf(f, "%s%-18s %s (default %s)\n", indent ? indent : "", spec, d->help, d->def);
    }
}

static size_t option_index(const gc_heap *h, const char *name, gc_option_type t)
{
    for (size_t i = 0; h->ops->options[i].name; i++)
        if (strcmp(h->ops->options[i].name, name) == 0) {
            gc_option_type dt = h->ops->options[i].type;
            if ((t == GC_OPTION_BOOL) != (dt == GC_OPTION_BOOL))
                break;
            return i;
        }
    fprintf(stderr, "gcbench: collector %s asked for option '%s', which it does not declare with that type\n",
            h->ops->name, name);
    abort();
}

bool gc_heap_option_bool(const gc_heap *h, const char *name)
{
    return h->options[option_index(h, name, GC_OPTION_BOOL)].u != 0;
}

uint64_t gc_heap_option_u64(const gc_heap *h, const char *name)
{
    return h->options[option_index(h, name, GC_OPTION_UINT)].u;
}
