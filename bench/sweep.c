/* bench/sweep.c — `gcbench sweep` (see bench/sweep.h and docs/sweep.md). */
#include "sweep.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "../collectors/registry.h"
#include "../core/collector.h"
#include "cli.h"
#include "gcbench.h"
#include "report.h"
#include "sweepagg.h"

_Static_assert(sizeof(size_t) >= 8, "heaps up to 16G need a 64-bit size_t");

/* ======================================================================== */
/* small utilities                                                          */
/* ======================================================================== */

static void sw_oom(void)
{
    fputs("gcbench: sweep: out of memory\n", stderr);
    exit(GCB_EXIT_ERROR);
}

/* Every string and array of one command lives in this pool, released when
 * gcb_sweep_main returns. */
typedef struct sw_pool {
    void **p;
    size_t n, cap;
} sw_pool;

static sw_pool sw_mem;

static void *sw_keep(void *p)
{
    if (p == NULL)
        sw_oom();
    if (sw_mem.n == sw_mem.cap) {
        size_t cap = sw_mem.cap ? sw_mem.cap * 2 : 64;
        void **np = realloc(sw_mem.p, cap * sizeof *np);
        if (np == NULL)
            sw_oom();
        sw_mem.p = np;
        sw_mem.cap = cap;
    }
    sw_mem.p[sw_mem.n++] = p;
    return p;
}

static void sw_pool_free(void)
{
    for (size_t i = 0; i < sw_mem.n; i++)
        free(sw_mem.p[i]);
    free(sw_mem.p);
    memset(&sw_mem, 0, sizeof sw_mem);
}

static void *sw_alloc(size_t n) { return sw_keep(calloc(1, n ? n : 1)); }
static char *sw_strdup(const char *s) { return sw_keep(strdup(s)); }

static char *sw_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sw_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        sw_oom();
    return sw_keep(s);
}

static int sw_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sw_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int gcb_strv_push(gcb_strv *s, const char *str)
{
    if (s->n + 1 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **nv = realloc(s->v, cap * sizeof *nv);
        if (nv == NULL)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    char *c = strdup(str);
    if (c == NULL)
        return -1;
    s->v[s->n++] = c;
    s->v[s->n] = NULL; /* also usable as an argv-style list */
    return 0;
}

bool gcb_strv_has(const gcb_strv *s, const char *str)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], str) == 0)
            return true;
    return false;
}

void gcb_strv_free(gcb_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void sw_push(gcb_strv *s, const char *str)
{
    if (gcb_strv_push(s, str) != 0)
        sw_oom();
}

char *gcb_sweep_shell_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *q = malloc(n), *o = q;
    if (q == NULL)
        return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

static const char *sw_sq(const char *s) { return sw_keep(gcb_sweep_shell_quote(s)); }

/* Text for a message: control characters and bytes >= 0x7f escaped as \xNN,
 * at most max bytes of s. */
static char *sw_escape(const char *s, size_t len, size_t max)
{
    if (len > max)
        len = max;
    char *o = sw_alloc(len * 4 + 4), *q = o;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            q += sprintf(q, "\\x%02X", c);
        else
            *q++ = (char)c;
    }
    *q = '\0';
    return o;
}

/* mm:ss or h:mm:ss */
static const char *sw_hms(char *buf, size_t n, double seconds)
{
    if (!(seconds >= 0) || seconds > 1e8)
        seconds = 0;
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
    return buf;
}

/* Reads a whole file (NUL-terminated; *len without it). NULL with errno set
 * when it cannot be read. */
static char *sw_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        sw_oom();
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                sw_oom();
            buf = nb;
        }
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        errno = e ? e : EIO;
        return NULL;
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return sw_keep(buf);
}

/* The first line of a file (at most 300 bytes, escaped), "" when the file
 * is empty or unreadable. Only the head of the file is read. */
static const char *sw_first_line(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return "";
    size_t len = 0;
    while (len < (size_t)n && buf[len] != '\n')
        len++;
    return sw_escape(buf, len, 300);
}

/* Writes dir/name atomically (dir/name.tmp, then rename): a reader sees the
 * old file or the new one. No fsync (docs/sweep.md). Returns 0, or -1 with a
 * message in err. */
static int sw_write_atomic(const char *dir, const char *name, const char *data, size_t len,
                           char *err, size_t errlen)
{
    char *tmp = sw_printf("%s/%s.tmp", dir, name), *final = sw_printf("%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return sw_fail(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            return sw_fail(err, errlen, "cannot write '%s': %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return sw_fail(err, errlen, "cannot write '%s': %s", tmp, strerror(e));
    }
    if (rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return sw_fail(err, errlen, "cannot rename '%s' to '%s': %s", tmp, final, strerror(e));
    }
    return 0;
}

/* A memory stream for building a file before sw_write_atomic. */
typedef struct sw_buf {
    FILE *f;
    char *data;
    size_t len;
} sw_buf;

static FILE *sw_buf_open(sw_buf *b)
{
    memset(b, 0, sizeof *b);
    b->f = open_memstream(&b->data, &b->len);
    if (b->f == NULL)
        sw_oom();
    return b->f;
}

static int sw_buf_write(sw_buf *b, const char *dir, const char *name, char *err, size_t errlen)
{
    if (fclose(b->f) != 0)
        sw_oom();
    sw_keep(b->data);
    return sw_write_atomic(dir, name, b->data, b->len, err, errlen);
}

static int sw_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* rm -r path (ENOENT is success). */
static int sw_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, sw_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool sw_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ======================================================================== */
/* parsing pieces (bench/sweep.h)                                           */
/* ======================================================================== */

int gcb_sweep_split_collectors(const char *list, gcb_strv *out, char *err, size_t errlen)
{
    if (*list == '\0')
        return sw_fail(err, errlen, "--collectors is empty (expected a comma-separated list "
                                    "of collector specs, or all)");
    /* cur: the spec being assembled (its options may continue in the next
     * pieces); pushed when the next spec starts or at the end. */
    char *cur = NULL;
    int rc = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            rc = sw_fail(err, errlen, "--collectors '%s' has an empty entry", list);
            break;
        }
        bool has_eq = memchr(p, '=', len) != NULL, has_colon = memchr(p, ':', len) != NULL;
        if (has_eq && !has_colon) {
            /* More options of the spec before it. */
            if (cur == NULL || strchr(cur, ':') == NULL) {
                rc = sw_fail(err, errlen,
                             "'%.*s' in --collectors is a collector option, but no spec with "
                             "options comes before it (write NAME:%.*s)",
                             (int)len, p, (int)len, p);
                break;
            }
            size_t cl = strlen(cur);
            char *nc = realloc(cur, cl + 1 + len + 1);
            if (nc == NULL)
                sw_oom();
            cur = nc;
            cur[cl] = ',';
            memcpy(cur + cl + 1, p, len);
            cur[cl + 1 + len] = '\0';
        } else {
            if (cur != NULL) {
                if (!gcb_strv_has(out, cur) && gcb_strv_push(out, cur) != 0)
                    sw_oom();
                free(cur);
                cur = NULL;
            }
            if (len == 3 && memcmp(p, "all", 3) == 0) {
                for (const gc_collector_ops *const *c = gc_registered_collectors; *c; c++)
                    if (!gcb_strv_has(out, (*c)->name) && gcb_strv_push(out, (*c)->name) != 0)
                        sw_oom();
            } else {
                cur = strndup(p, len);
                if (cur == NULL)
                    sw_oom();
                if (len > 1 && cur[len - 1] == ':')
                    cur[len - 1] = '\0'; /* "NAME:" has no options */
            }
        }
        p += len;
        if (*p == '\0')
            break;
        p++; /* the comma */
        if (*p == '\0') {
            rc = sw_fail(err, errlen, "--collectors '%s' has an empty entry", list);
            break;
        }
    }
    if (cur != NULL) {
        if (rc == 0 && !gcb_strv_has(out, cur) && gcb_strv_push(out, cur) != 0)
            sw_oom();
        free(cur);
    }
    return rc;
}

int gcb_sweep_parse_multiples(const char *list, double **out, size_t *n, char *err,
                              size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (*list == '\0')
        return sw_fail(err, errlen, "--multiples is empty (expected comma-separated heap "
                                    "multiples, e.g. 1.25,1.5,2,3,4,6)");
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    double *v = malloc(cap * sizeof *v);
    if (v == NULL)
        sw_oom();
    size_t k = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        char text[64];
        if (len == 0 || len >= sizeof text) {
            free(v);
            return len == 0 ? sw_fail(err, errlen, "--multiples '%s' has an empty entry", list)
                            : sw_fail(err, errlen, "invalid heap multiple '%.*s...'", 20, p);
        }
        memcpy(text, p, len);
        text[len] = '\0';
        /* Plain decimal only: no sign, spaces, hex, inf or nan. */
        bool ok = isdigit((unsigned char)text[0]) || (text[0] == '.' && isdigit((unsigned char)text[1]));
        for (size_t i = 0; ok && i < len; i++)
            ok = isdigit((unsigned char)text[i]) || strchr(".eE+-", text[i]) != NULL;
        char *end = NULL;
        errno = 0;
        double d = ok ? strtod(text, &end) : 0;
        if (!ok || end == text || *end != '\0' || errno != 0 || !isfinite(d)) {
            free(v);
            return sw_fail(err, errlen,
                           "invalid heap multiple '%s' (expected a positive number such as "
                           "1.5)",
                           text);
        }
        if (!(d > 0)) {
            free(v);
            return sw_fail(err, errlen, "invalid heap multiple '%s' (must be positive)", text);
        }
        if (d > GCB_SWEEP_MAX_MULTIPLE) {
            free(v);
            return sw_fail(err, errlen, "invalid heap multiple '%s' (at most %g)", text,
                           GCB_SWEEP_MAX_MULTIPLE);
        }
        char g[64];
        snprintf(g, sizeof g, "%g", d);
        if (strtod(g, NULL) != d) {
            free(v);
            return sw_fail(err, errlen,
                           "invalid heap multiple '%s' (at most 6 significant digits, so that "
                           "it prints exactly as %s)",
                           text, g);
        }
        bool dup = false;
        for (size_t i = 0; i < k; i++)
            dup |= v[i] == d;
        if (!dup)
            v[k++] = d;
        p += len;
        if (*p == '\0')
            break;
        p++;
        if (*p == '\0') {
            free(v);
            return sw_fail(err, errlen, "--multiples '%s' has an empty entry", list);
        }
    }
    *out = v;
    *n = k;
    return 0;
}

size_t gcb_sweep_heap_bytes(double multiple, size_t base)
{
    double pages = multiple * (double)base / (double)GCB_SWEEP_HEAP_ALIGN;
    double r = nearbyint(pages);
    double whole = fabs(pages - r) <= 1e-9 * pages ? r : ceil(pages);
    if (whole < 1)
        whole = 1;
    return (size_t)whole * GCB_SWEEP_HEAP_ALIGN;
}

void gcb_sweep_point_id(char *buf, size_t n, const char *spec, const char *workload,
                        const char *size, const char *mult)
{
    if (n == 0)
        return;
    size_t k = 0;
#define PUT(c)              \
    do {                    \
        if (k + 1 < n)      \
            buf[k++] = (c); \
    } while (0)
    const char *s = spec;
    if (mult == NULL && strncmp(spec, "peer:", 5) == 0) {
        for (const char *q = "peer-"; *q; q++)
            PUT(*q);
        s = spec + 5;
    }
    for (; *s; s++) {
        char c = *s;
        if (c == ':')
            c = '_';
        else if (c == '=')
            c = '-';
        else if (c == ',')
            c = '+';
        else if (!isalnum((unsigned char)c) && c != '.' && c != '_' && c != '+' && c != '-')
            c = '_';
        PUT(c);
    }
    const char *parts[3] = {workload, size, mult};
    for (int i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        PUT('.');
        if (i == 2)
            PUT('x');
        for (const char *q = parts[i]; *q; q++)
            PUT(isalnum((unsigned char)*q) || *q == '.' || *q == '-' || *q == '+' ? *q : '_');
    }
#undef PUT
    buf[k] = '\0';
}

/* A point id or run_dir component read back from plan.tsv: nothing that
 * could leave DIR/runs. */
static bool sw_safe_id(const char *s)
{
    if (*s == '\0' || *s == '.')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._+-~", *s))
            return false;
    return true;
}

/* ======================================================================== */
/* parameters                                                               */
/* ======================================================================== */

typedef struct sw_params {
    char *gcbench; /* absolute path of the gcbench the runs use */
    gcb_strv collectors, workloads, baselines, extra;
    wl_size size;
    double *multiples;
    size_t nmultiples;
    uint64_t invocations;
    bool base_own;
    char *baseline; /* a collector spec, or peer:NAME */
    uint64_t seed;
    size_t resolution;
} sw_params;

static const char *const sw_peer_names[] = {"bdw", "bdw_inline", "jemalloc", "mimalloc", NULL};
/* Baseline peers run only the GCBench program: the trees workload. */
#define SW_PEER_WORKLOAD "trees"

static void sw_params_free(sw_params *p)
{
    gcb_strv_free(&p->collectors);
    gcb_strv_free(&p->workloads);
    gcb_strv_free(&p->baselines);
    gcb_strv_free(&p->extra);
    free(p->multiples);
    free(p->gcbench);
    free(p->baseline);
    memset(p, 0, sizeof *p);
}

static json_t *sw_json_strv(const gcb_strv *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, json_string(s->v[i]));
    return a;
}

/* An integral multiple is written as an integer (2, not 2.0). */
static json_t *sw_json_multiple(double m)
{
    if (m == floor(m) && m <= 9007199254740992.0)
        return json_integer((json_int_t)m);
    return json_real(m);
}

/* params.json's object, keys in the documented order. NULL when a string is
 * not valid UTF-8 (jansson refuses it), with the offending key in *bad. */
static json_t *sw_params_json(const sw_params *p, const char **bad)
{
    json_t *o = json_object();
    *bad = NULL;
#define SET(k, v)                                         \
    do {                                                  \
        json_t *v_ = (v);                                 \
        if (v_ == NULL && *bad == NULL)                   \
            *bad = k;                                     \
        json_object_set_new(o, k, v_ ? v_ : json_null()); \
    } while (0)
    SET("gcbench", json_string(p->gcbench));
    SET("collectors", sw_json_strv(&p->collectors));
    SET("workloads", sw_json_strv(&p->workloads));
    SET("size", json_string(wl_size_name(p->size)));
    json_t *m = json_array();
    for (size_t i = 0; i < p->nmultiples; i++)
        json_array_append_new(m, sw_json_multiple(p->multiples[i]));
    SET("multiples", m);
    SET("invocations", json_integer((json_int_t)p->invocations));
    SET("base", json_string(p->base_own ? "own" : "smallest"));
    SET("baselines", sw_json_strv(&p->baselines));
    SET("baseline", json_string(p->baseline));
    SET("seed", json_integer((json_int_t)p->seed));
    SET("resolution_bytes", json_integer((json_int_t)p->resolution));
    SET("extra_args", sw_json_strv(&p->extra));
#undef SET
    /* An array with an invalid string has fewer elements: compare sizes. */
    if (*bad == NULL && json_array_size(json_object_get(o, "extra_args")) != p->extra.n)
        *bad = "extra_args";
    if (*bad == NULL && json_array_size(json_object_get(o, "collectors")) != p->collectors.n)
        *bad = "collectors";
    if (*bad != NULL) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int sw_json_get_strv(json_t *o, const char *key, gcb_strv *out, const char *file,
                            char *err, size_t errlen)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a))
        return sw_fail(err, errlen, "%s: '%s' is missing or not an array", file, key);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s))
            return sw_fail(err, errlen, "%s: '%s' has an element that is not a string", file,
                           key);
        sw_push(out, json_string_value(s));
    }
    return 0;
}

static int sw_json_get_u64(json_t *o, const char *key, uint64_t min, uint64_t *out,
                           const char *file, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) < min)
        return sw_fail(err, errlen, "%s: '%s' is missing or not an integer >= %" PRIu64, file,
                       key, min);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static const char *sw_json_get_str(json_t *o, const char *key, const char *file, char *err,
                                   size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        sw_fail(err, errlen, "%s: '%s' is missing or not a string", file, key);
        return NULL;
    }
    return json_string_value(v);
}

/* Reads DIR/params.json: the raw object in *raw (caller decrefs) and, when
 * p is non-NULL, the fields --run-one needs (gcbench, seed, extra_args,
 * collectors, workloads, size). Returns 0, or -1 with a message. */
static int sw_params_load(const char *dir, json_t **raw, sw_params *p, char *err, size_t errlen)
{
    char *file = sw_printf("%s/params.json", dir);
    json_error_t je;
    json_t *o = json_load_file(file, 0, &je);
    if (o == NULL) {
        if (!sw_exists(file))
            return sw_fail(err, errlen, "'%s' is not a sweep directory (no params.json)", dir);
        return sw_fail(err, errlen, "%s:%d:%d: %s", file, je.line, je.column, je.text);
    }
    if (!json_is_object(o)) {
        json_decref(o);
        return sw_fail(err, errlen, "%s: not a JSON object", file);
    }
    if (p != NULL) {
        memset(p, 0, sizeof *p);
        const char *g = sw_json_get_str(o, "gcbench", file, err, errlen);
        const char *size = g ? sw_json_get_str(o, "size", file, err, errlen) : NULL;
        int rc = size ? 0 : -1;
        if (rc == 0 && wl_size_parse(size, &p->size) != 0)
            rc = sw_fail(err, errlen, "%s: unknown size '%s'", file, size);
        if (rc == 0)
            rc = sw_json_get_u64(o, "seed", 0, &p->seed, file, err, errlen);
        if (rc == 0)
            rc = sw_json_get_strv(o, "extra_args", &p->extra, file, err, errlen);
        if (rc != 0) {
            sw_params_free(p);
            json_decref(o);
            return -1;
        }
        p->gcbench = strdup(g);
        if (p->gcbench == NULL)
            sw_oom();
    }
    *raw = o;
    return 0;
}

/* ======================================================================== */
/* the minimum-heap cache (DIR/minheap.tsv)                                 */
/* ======================================================================== */

typedef struct sw_mh {
    const char *spec, *workload, *size;
    bool fits;    /* false: did not fit even at the search ceiling ('-') */
    size_t bytes; /* the minimum heap when fits */
    size_t res;   /* the resolution it was found with */
} sw_mh;

typedef struct sw_mhcache {
    sw_mh *v;
    size_t n, cap;
} sw_mhcache;

static void sw_mh_put(sw_mhcache *c, const sw_mh *e)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].spec, e->spec) == 0 && strcmp(c->v[i].workload, e->workload) == 0 &&
            strcmp(c->v[i].size, e->size) == 0) {
            c->v[i] = *e;
            return;
        }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        sw_mh *nv = sw_alloc(c->cap * sizeof *nv);
        if (c->n)
            memcpy(nv, c->v, c->n * sizeof *nv);
        c->v = nv;
    }
    c->v[c->n++] = *e;
}

/* A cached minimum found with the same or a finer resolution. */
static const sw_mh *sw_mh_find(const sw_mhcache *c, const char *spec, const char *workload,
                               const char *size, size_t res)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].spec, spec) == 0 && strcmp(c->v[i].workload, workload) == 0 &&
            strcmp(c->v[i].size, size) == 0 && c->v[i].res <= res)
            return &c->v[i];
    return NULL;
}

/* Splits a line at tabs in place; returns the number of fields. */
static size_t sw_split_tabs(char *line, char **f, size_t max)
{
    size_t n = 0;
    for (char *p = line;;) {
        if (n < max)
            f[n] = p;
        n++;
        char *t = strchr(p, '\t');
        if (t == NULL)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

static bool sw_parse_size_t(const char *s, size_t *out)
{
    uint64_t v;
    if (gcb_parse_u64(s, &v) != 0 || v > SIZE_MAX)
        return false;
    *out = (size_t)v;
    return true;
}

/* Loads DIR/minheap.tsv when it exists; malformed lines are dropped with a
 * warning (the file is a cache: they are searched again). */
static void sw_mh_load(const char *dir, sw_mhcache *c)
{
    char *file = sw_printf("%s/minheap.tsv", dir);
    char *text = sw_read_file(file, NULL);
    if (text == NULL)
        return;
    size_t lineno = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (*line != '#' && *line != '\0') {
            char *f[5];
            sw_mh e = {0};
            bool ok = sw_split_tabs(line, f, 5) == 5 && sw_parse_size_t(f[4], &e.res) &&
                      e.res > 0;
            if (ok && strcmp(f[3], "-") == 0)
                e.fits = false;
            else if (ok)
                ok = e.fits = sw_parse_size_t(f[3], &e.bytes) && e.bytes > 0;
            if (ok) {
                e.spec = sw_strdup(f[0]);
                e.workload = sw_strdup(f[1]);
                e.size = sw_strdup(f[2]);
                sw_mh_put(c, &e);
            } else {
                fprintf(stderr, "gcbench: sweep: warning: %s:%zu: malformed line ignored\n",
                        file, lineno);
            }
        }
        if (!nl)
            break;
        line = nl + 1;
    }
}

static int sw_mh_write(const char *dir, const sw_mhcache *c, char *err, size_t errlen)
{
    sw_buf b;
    FILE *f = sw_buf_open(&b);
    fputs("# collector_spec\tworkload\tsize\tmin_heap_bytes\tresolution_bytes\n", f);
    for (size_t i = 0; i < c->n; i++) {
        const sw_mh *e = &c->v[i];
        if (e->fits)
            fprintf(f, "%s\t%s\t%s\t%zu\t%zu\n", e->spec, e->workload, e->size, e->bytes, e->res);
        else
            fprintf(f, "%s\t%s\t%s\t-\t%zu\n", e->spec, e->workload, e->size, e->res);
    }
    return sw_buf_write(&b, dir, "minheap.tsv", err, errlen);
}

/* ======================================================================== */
/* the plan (DIR/plan.tsv)                                                  */
/* ======================================================================== */

typedef struct sw_inv {
    size_t index; /* 1-based line number among the invocations */
    const char *point;
    bool peer;
    const char *spec;     /* a collector spec, or peer:NAME */
    const char *workload;
    const char *size;
    const char *mult;     /* as printed with %g; "-" for peers */
    size_t heap;          /* --heap; 0 for peers */
    unsigned inv;         /* 1..invocations */
    const char *run_dir;  /* runs/<point>/<inv>, relative to DIR */
} sw_inv;

typedef struct sw_plan {
    sw_inv *v;
    size_t n;
} sw_plan;

static int sw_plan_write(const char *dir, const sw_plan *pl, char *err, size_t errlen)
{
    sw_buf b;
    FILE *f = sw_buf_open(&b);
    fputs("# index\tpoint\tkind\tcollector_spec\tworkload\tsize\tmultiple\theap_bytes\t"
          "invocation\trun_dir\n",
          f);
    for (size_t i = 0; i < pl->n; i++) {
        const sw_inv *v = &pl->v[i];
        assert(v->index == i + 1);
        if (v->peer)
            fprintf(f, "%zu\t%s\tpeer\t%s\t%s\t%s\t-\t-\t%u\t%s\n", v->index, v->point, v->spec,
                    v->workload, v->size, v->inv, v->run_dir);
        else
            fprintf(f, "%zu\t%s\tgc\t%s\t%s\t%s\t%s\t%zu\t%u\t%s\n", v->index, v->point, v->spec,
                    v->workload, v->size, v->mult, v->heap, v->inv, v->run_dir);
    }
    return sw_buf_write(&b, dir, "plan.tsv", err, errlen);
}

/* Reads DIR/plan.tsv strictly: every line's fields are checked, indices
 * run 1..n in order and run directories are runs/<point>/<invocation>. */
static int sw_plan_load(const char *dir, sw_plan *pl, char *err, size_t errlen)
{
    char *file = sw_printf("%s/plan.tsv", dir);
    size_t len;
    char *text = sw_read_file(file, &len);
    if (text == NULL)
        return sw_fail(err, errlen, "cannot read '%s': %s", file, strerror(errno));
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    pl->v = sw_alloc(cap * sizeof *pl->v);
    pl->n = 0;
    size_t lineno = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (*line != '#' && *line != '\0') {
            char *f[10];
            sw_inv *v = &pl->v[pl->n];
            uint64_t idx = 0, inv = 0;
            size_t nf = sw_split_tabs(line, f, 10);
            if (nf != 10)
                return sw_fail(err, errlen, "%s:%zu: %zu fields, expected 10", file, lineno, nf);
            if (gcb_parse_u64(f[0], &idx) != 0 || idx != pl->n + 1)
                return sw_fail(err, errlen, "%s:%zu: index '%s', expected %zu", file, lineno,
                               f[0], pl->n + 1);
            if (!sw_safe_id(f[1]))
                return sw_fail(err, errlen, "%s:%zu: bad point id '%s'", file, lineno, f[1]);
            if (strcmp(f[2], "gc") != 0 && strcmp(f[2], "peer") != 0)
                return sw_fail(err, errlen, "%s:%zu: kind '%s', expected gc or peer", file,
                               lineno, f[2]);
            v->index = (size_t)idx;
            v->point = sw_strdup(f[1]);
            v->peer = strcmp(f[2], "peer") == 0;
            v->spec = sw_strdup(f[3]);
            v->workload = sw_strdup(f[4]);
            v->size = sw_strdup(f[5]);
            v->mult = sw_strdup(f[6]);
            wl_size sz;
            if (wl_size_parse(v->size, &sz) != 0)
                return sw_fail(err, errlen, "%s:%zu: unknown size '%s'", file, lineno, v->size);
            if (v->peer) {
                bool known = false;
                for (const char *const *pn = sw_peer_names; *pn; pn++)
                    known |= strncmp(v->spec, "peer:", 5) == 0 && strcmp(v->spec + 5, *pn) == 0;
                if (!known || strcmp(f[7], "-") != 0)
                    return sw_fail(err, errlen, "%s:%zu: bad peer line ('%s', heap '%s')", file,
                                   lineno, v->spec, f[7]);
            } else if (!sw_parse_size_t(f[7], &v->heap) || v->heap == 0 || *v->spec == '\0' ||
                       *v->workload == '\0') {
                return sw_fail(err, errlen, "%s:%zu: bad heap_bytes '%s'", file, lineno, f[7]);
            }
            if (gcb_parse_u64(f[8], &inv) != 0 || inv == 0 || inv > GCB_SWEEP_MAX_INVOCATIONS)
                return sw_fail(err, errlen, "%s:%zu: bad invocation '%s'", file, lineno, f[8]);
            v->inv = (unsigned)inv;
            char *want = sw_printf("runs/%s/%u", v->point, v->inv);
            if (strcmp(f[9], want) != 0)
                return sw_fail(err, errlen, "%s:%zu: run_dir '%s', expected '%s'", file, lineno,
                               f[9], want);
            v->run_dir = want;
            pl->n++;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    if (pl->n == 0)
        return sw_fail(err, errlen, "%s: no invocations", file);
    return 0;
}

/* jobs.txt: line i runs invocation i. */
static int sw_jobs_write(const char *dir, const char *gcbench, size_t n, char *err,
                         size_t errlen)
{
    sw_buf b;
    FILE *f = sw_buf_open(&b);
    const char *g = sw_sq(gcbench), *d = sw_sq(dir);
    for (size_t i = 1; i <= n; i++)
        fprintf(f, "%s sweep --run-one=%zu --out=%s\n", g, i, d);
    return sw_buf_write(&b, dir, "jobs.txt", err, errlen);
}

/* sweep.sbatch: a Slurm array job, task i = invocation i. In an #SBATCH
 * line Slurm groups quoted text and takes the character after a backslash
 * literally; in an output file name `%` starts a pattern (%% is one %). */
static int sw_sbatch_write(const char *dir, const char *gcbench, size_t n, char *err,
                           size_t errlen)
{
    char *slurm = sw_printf("%s/slurm", dir);
    if (gcb_mkdir_p(slurm) != 0)
        return sw_fail(err, errlen, "cannot create '%s': %s", slurm, strerror(errno));
    sw_buf b;
    FILE *f = sw_buf_open(&b);
    fprintf(f, "#!/bin/sh\n"
               "# gcbench sweep as a Slurm array job: task i runs invocation i of plan.tsv\n"
               "# (line i of jobs.txt). Submit with: sbatch %s\n"
               "# then aggregate with: gcbench sweep --collect %s\n",
            sw_sq(sw_printf("%s/sweep.sbatch", dir)), sw_sq(dir));
    fputs("#SBATCH --job-name=gcbench-sweep\n", f);
    fprintf(f, "#SBATCH --array=1-%zu\n", n);
    fputs("#SBATCH --ntasks=1\n#SBATCH --output=\"", f);
    for (const char *p = dir; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        if (*p == '%')
            fputc('%', f);
        fputc(*p, f);
    }
    fputs("/slurm/%A_%a.out\"\n", f);
    fprintf(f, "exec %s sweep --run-one=\"$SLURM_ARRAY_TASK_ID\" --out=%s\n", sw_sq(gcbench),
            sw_sq(dir));
    return sw_buf_write(&b, dir, "sweep.sbatch", err, errlen);
}

/* ======================================================================== */
/* the engine: children under a libuv loop                                  */
/* ======================================================================== */

struct sw_engine;

typedef struct sw_child {
    uv_process_t proc;
    struct sw_engine *e;
    void *owner;  /* the phase's: a sw_bisect or a sw_inv */
    size_t heap;  /* a probe's --heap */
    int err_fd;   /* a probe's stderr (an unlinked temporary file); else -1 */
    uint64_t t0;  /* uv_hrtime at the start */
    bool killed;  /* we sent it a signal */
} sw_child;

typedef struct sw_engine {
    uv_loop_t loop;
    uv_signal_t sig[2];
    uv_timer_t tick;
    bool tty;
    unsigned jobs;
    sw_child **active; /* the running children, nactive <= jobs */
    unsigned nactive;
    int stop_signal;   /* the first SIGINT/SIGTERM received; 0 = none */
    unsigned nsignals;
    bool fatal;        /* a driver error: launch nothing more */
    /* The phase: launch starts children while there is room and work;
     * finished is told how each one ended (by_signal: killed, status 128+S). */
    void (*launch)(struct sw_engine *);
    void (*finished)(struct sw_engine *, sw_child *, int status, bool by_signal);
    void (*redraw)(struct sw_engine *);
    void *state;
} sw_engine;

static void sw_on_signal(uv_signal_t *h, int signum)
{
    sw_engine *e = h->data;
    e->nsignals++;
    if (e->stop_signal == 0)
        e->stop_signal = signum;
    /* The first signal asks the children to stop (SIGTERM); another one
     * insists (SIGKILL). */
    int sig = e->nsignals == 1 ? SIGTERM : SIGKILL;
    if (e->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "gcbench: sweep: %s: %s %u running process%s\n",
            signum == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)",
            sig == SIGTERM ? "stopping" : "killing", e->nactive, e->nactive == 1 ? "" : "es");
    for (unsigned i = 0; i < e->nactive; i++) {
        e->active[i]->killed = true;
        (void)uv_process_kill(&e->active[i]->proc, sig);
    }
}

static void sw_on_tick(uv_timer_t *t)
{
    sw_engine *e = t->data;
    if (e->redraw)
        e->redraw(e);
}

static int sw_engine_init(sw_engine *e, unsigned jobs, bool tty)
{
    memset(e, 0, sizeof *e);
    e->jobs = jobs;
    e->tty = tty;
    e->active = sw_alloc(jobs * sizeof *e->active);
    int rc = uv_loop_init(&e->loop);
    if (rc != 0)
        return rc;
    static const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        uv_signal_init(&e->loop, &e->sig[i]);
        e->sig[i].data = e;
        uv_signal_start(&e->sig[i], sw_on_signal, sigs[i]);
        uv_unref((uv_handle_t *)&e->sig[i]); /* only children keep the loop running */
    }
    uv_timer_init(&e->loop, &e->tick);
    e->tick.data = e;
    uv_unref((uv_handle_t *)&e->tick);
    return 0;
}

/* Restores the default signal dispositions and releases the loop. */
static void sw_engine_close(sw_engine *e)
{
    assert(e->nactive == 0);
    uv_timer_stop(&e->tick);
    uv_close((uv_handle_t *)&e->tick, NULL);
    for (int i = 0; i < 2; i++) {
        uv_signal_stop(&e->sig[i]);
        uv_close((uv_handle_t *)&e->sig[i], NULL);
    }
    uv_run(&e->loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&e->loop);
}

static void sw_on_close(uv_handle_t *h)
{
    free(h->data);
}

static void sw_on_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
    sw_child *c = p->data;
    sw_engine *e = c->e;
    for (unsigned i = 0; i < e->nactive; i++)
        if (e->active[i] == c) {
            e->active[i] = e->active[--e->nactive];
            break;
        }
    int status = term_signal ? 128 + term_signal : (int)exit_status;
    e->finished(e, c, status, term_signal != 0);
    if (c->err_fd >= 0)
        close(c->err_fd);
    p->data = c; /* sw_on_close frees the child */
    uv_close((uv_handle_t *)p, sw_on_close);
    if (!e->stop_signal && !e->fatal)
        e->launch(e);
    if (e->redraw)
        e->redraw(e);
}

/* Starts file with args; stdin is /dev/null, stdout out_fd (-1: /dev/null),
 * stderr err_fd. The descriptors are the caller's (close them after).
 * Returns the child, or NULL with the libuv error in *uverr. */
static sw_child *sw_spawn(sw_engine *e, void *owner, const char *file, char **args, int out_fd,
                          int err_fd, int *uverr)
{
    assert(e->nactive < e->jobs);
    sw_child *c = calloc(1, sizeof *c);
    if (c == NULL)
        sw_oom();
    c->e = e;
    c->owner = owner;
    c->err_fd = -1;
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    if (out_fd >= 0) {
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = out_fd;
    } else {
        stdio[1].flags = UV_IGNORE;
    }
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = err_fd;
    uv_process_options_t po;
    memset(&po, 0, sizeof po);
    po.exit_cb = sw_on_exit;
    po.file = file;
    po.args = args;
    po.stdio_count = 3;
    po.stdio = stdio;
    c->proc.data = c;
    c->t0 = uv_hrtime();
    int rc = uv_spawn(&e->loop, &c->proc, &po);
    if (rc != 0) {
        *uverr = rc;
        /* A failed uv_spawn still initialised the handle: close it. */
        c->proc.data = c;
        uv_close((uv_handle_t *)&c->proc, sw_on_close);
        return NULL;
    }
    e->active[e->nactive++] = c;
    return c;
}

static void sw_engine_run(sw_engine *e)
{
    if (e->tty && e->redraw) {
        uv_timer_start(&e->tick, sw_on_tick, 500, 500);
        uv_unref((uv_handle_t *)&e->tick);
    }
    e->launch(e);
    if (e->redraw)
        e->redraw(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&e->tick);
    assert(e->nactive == 0);
}

/* Delivers signals that arrived while no loop was running. */
static void sw_engine_poll(sw_engine *e)
{
    uv_run(&e->loop, UV_RUN_NOWAIT);
}

/* ======================================================================== */
/* minimum heaps by bisection                                               */
/* ======================================================================== */

enum { SW_B_DOUBLING, SW_B_HALVING, SW_B_DONE, SW_B_NOFIT, SW_B_FAILED };

typedef struct sw_bisect {
    const char *spec, *workload;
    int state;
    size_t lo, hi;        /* HALVING: lo does not fit, hi fits */
    size_t next;          /* the heap of the next probe */
    bool in_flight;
    unsigned probes;
    size_t result;
    const char *error;    /* SW_B_FAILED: why */
} sw_bisect;

typedef struct sw_bisect_phase {
    sw_bisect *v;
    size_t n;
    const sw_params *p;
    const char *dir;
    size_t ceiling;
    sw_mhcache *cache;
    bool write_failed;
} sw_bisect_phase;

static void sw_fmt_heap(char *buf, size_t n, size_t bytes)
{
    char b[32];
    snprintf(buf, n, "%zu bytes (%s)", bytes, gcb_fmt_bytes(b, sizeof b, bytes));
}

/* One probe's outcome moves the search on. Invariant of HALVING: lo does not
 * fit, hi fits, lo < hi; each step at least halves hi - lo (or cuts it by the
 * resolution), so it ends after about log2((hi - lo) / res) probes. */
static void sw_bisect_step(sw_bisect *b, bool fits, size_t res, size_t ceiling)
{
    if (b->state == SW_B_DOUBLING) {
        if (fits) {
            if (b->next == GCB_SWEEP_FLOOR) {
                b->result = GCB_SWEEP_FLOOR;
                b->state = SW_B_DONE;
                return;
            }
            b->hi = b->next;
            b->state = SW_B_HALVING;
        } else {
            b->lo = b->next;
            if (b->next > ceiling / 2) {
                b->state = SW_B_NOFIT;
                return;
            }
            b->next *= 2;
            return;
        }
    } else {
        assert(b->state == SW_B_HALVING);
        if (fits)
            b->hi = b->next;
        else
            b->lo = b->next;
    }
    assert(b->lo < b->hi);
    if (b->hi - b->lo <= res) {
        b->result = b->hi;
        b->state = SW_B_DONE;
        return;
    }
    size_t mid = (b->lo + b->hi) / 2 / res * res;
    if (mid <= b->lo)
        mid = b->lo + res;
    assert(mid > b->lo && mid < b->hi);
    b->next = mid;
}

static void sw_bisect_launch(sw_engine *e)
{
    sw_bisect_phase *ph = e->state;
    const sw_params *p = ph->p;
    for (size_t i = 0; i < ph->n && e->nactive < e->jobs && !e->stop_signal && !e->fatal; i++) {
        sw_bisect *b = &ph->v[i];
        if (b->state >= SW_B_DONE || b->in_flight)
            continue;
        char tmpl[PATH_MAX];
        snprintf(tmpl, sizeof tmpl, "%s/.probe-stderr-XXXXXX", ph->dir);
        int fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "gcbench: sweep: cannot create a temporary file in '%s': %s\n",
                    ph->dir, strerror(errno));
            e->fatal = true;
            return;
        }
        unlink(tmpl);
        char *args[16];
        int k = 0;
        args[k++] = p->gcbench;
        args[k++] = sw_printf("--collector=%s", b->spec);
        args[k++] = sw_printf("--workload=%s", b->workload);
        args[k++] = sw_printf("--size=%s", wl_size_name(p->size));
        args[k++] = sw_printf("--heap=%zu", b->next);
        args[k++] = "--quiet";
        args[k] = NULL;
        int uverr = 0;
        sw_child *c = sw_spawn(e, b, p->gcbench, args, -1, fd, &uverr);
        if (c == NULL) {
            close(fd);
            fprintf(stderr, "gcbench: sweep: cannot run '%s': %s\n", p->gcbench,
                    uv_strerror(uverr));
            e->fatal = true;
            return;
        }
        c->err_fd = fd;
        c->heap = b->next;
        b->in_flight = true;
    }
}

static const char *sw_fd_text(int fd)
{
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return "(no message)";
    size_t len = (size_t)n;
    /* At most three lines. */
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' && ++lines == 3) {
            len = i;
            break;
        }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
        len--;
    /* Keep newlines readable: escape everything else. */
    char *out = sw_alloc(len * 4 + 1), *q = out;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n')
            q += sprintf(q, "\n    ");
        else if (ch < 0x20 || ch >= 0x7f)
            q += sprintf(q, "\\x%02X", ch);
        else
            *q++ = (char)ch;
    }
    *q = '\0';
    return out;
}

static void sw_bisect_finished(sw_engine *e, sw_child *c, int status, bool by_signal)
{
    sw_bisect_phase *ph = e->state;
    sw_bisect *b = c->owner;
    b->in_flight = false;
    if (by_signal && e->stop_signal)
        return; /* interrupted: the search is abandoned, nothing is cached */
    b->probes++;
    /* Exit 3 covers a configuration the heap is too small for (gcbench
     * reports it like a heap exhaustion), so any other exit is a failure. */
    if (status == GCB_EXIT_OK || status == GCB_EXIT_HEAP_EXHAUSTED) {
        sw_bisect_step(b, status == GCB_EXIT_OK, ph->p->resolution, ph->ceiling);
    } else {
        b->state = SW_B_FAILED;
        b->error = sw_printf("gcbench failed with exit %d at --heap=%zu:\n    %s", status,
                             c->heap, sw_fd_text(c->err_fd));
    }
    if (b->state == SW_B_DONE || b->state == SW_B_NOFIT) {
        sw_mh m = {b->spec, b->workload, wl_size_name(ph->p->size), b->state == SW_B_DONE,
                   b->result, ph->p->resolution};
        sw_mh_put(ph->cache, &m);
        char err[512];
        if (sw_mh_write(ph->dir, ph->cache, err, sizeof err) != 0 && !ph->write_failed) {
            fprintf(stderr, "gcbench: sweep: warning: %s\n", err);
            ph->write_failed = true;
        }
        char rb[64];
        if (b->state == SW_B_DONE)
            sw_fmt_heap(rb, sizeof rb, b->result);
        fprintf(stderr, "sweep: minimum heap of %s on %s (%s): %s (%u probes)\n", b->spec,
                b->workload, wl_size_name(ph->p->size),
                b->state == SW_B_DONE ? rb : "does not fit at the search ceiling", b->probes);
    } else if (b->state == SW_B_FAILED) {
        fprintf(stderr, "gcbench: sweep: the minimum heap of %s on %s (%s) could not be found: "
                        "%s\n",
                b->spec, b->workload, wl_size_name(ph->p->size), b->error);
    }
}

/* ======================================================================== */
/* running invocations                                                      */
/* ======================================================================== */

typedef struct sw_run_phase {
    const sw_plan *plan;
    const sw_params *p; /* gcbench, seed, extra_args */
    const char *dir;    /* absolute */
    const char *peer_dir;
    size_t *todo;       /* plan indices (0-based) of the incomplete invocations, in order */
    size_t ntodo, next;
    size_t complete_before; /* complete when this session started */
    size_t done, ok, gaps, failed, interrupted;
    uint64_t t0;
    bool quiet;         /* --run-one: no progress, a line per failure only */
    size_t bar_len;     /* the tty bar is on screen */
    const sw_inv *last_started;
} sw_run_phase;

static void sw_bar_clear(sw_engine *e, sw_run_phase *r)
{
    if (e->tty && r->bar_len) {
        fputs("\r\033[K", stderr);
        r->bar_len = 0;
    }
}

static void sw_run_redraw(sw_engine *e)
{
    sw_run_phase *r = e->state;
    if (!e->tty || r->quiet)
        return;
    size_t total = r->plan->n, done = r->complete_before + r->done;
    double elapsed = (double)(uv_hrtime() - r->t0) / 1e9;
    char el[32], eta[32] = "?";
    if (r->done > 0)
        sw_hms(eta, sizeof eta, elapsed / (double)r->done * (double)(r->ntodo - r->done));
    struct winsize ws;
    unsigned cols = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
    char bar[16];
    size_t fill = total ? done * 10 / total : 10;
    for (size_t i = 0; i < 10; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[10] = '\0';
    /* The point running: the one started last, "(+K)" for the others. */
    char line[1024], point[600] = "", more[32] = "";
    if (e->nactive > 1)
        snprintf(more, sizeof more, " (+%u)", e->nactive - 1);
    if (e->stop_signal)
        snprintf(point, sizeof point, ", stopping...");
    else if (e->nactive > 0 && r->last_started)
        snprintf(point, sizeof point, ": %.400s #%u%s", r->last_started->point,
                 r->last_started->inv, more);
    int n = snprintf(line, sizeof line, "sweep %zu/%zu [%s] %s, ETA %s, %zu failed%s", done, total,
                     bar, sw_hms(el, sizeof el, elapsed), eta, r->failed, point);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (len > cols - 1)
        len = cols - 1;
    line[len] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    r->bar_len = len;
}

/* Prepares the run directory (an incomplete one is emptied first) and
 * starts the invocation. Returns 0, or -1 after reporting why it could not. */
static int sw_start_inv(sw_engine *e, sw_run_phase *r, const sw_inv *v)
{
    char *rd = sw_printf("%s/%s", r->dir, v->run_dir);
    if (sw_rm_rf(rd) != 0 || gcb_mkdir_p(rd) != 0) {
        sw_bar_clear(e, r);
        fprintf(stderr, "gcbench: sweep: cannot prepare '%s': %s\n", rd, strerror(errno));
        return -1;
    }
    char *errp = sw_printf("%s/stderr", rd);
    int err_fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int out_fd = -1;
    if (err_fd >= 0 && v->peer) {
        out_fd = open(sw_printf("%s/stdout", rd), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (out_fd < 0) {
            close(err_fd);
            err_fd = -1;
        }
    }
    if (err_fd < 0) {
        sw_bar_clear(e, r);
        fprintf(stderr, "gcbench: sweep: cannot create files in '%s': %s\n", rd, strerror(errno));
        return -1;
    }
    const char *file;
    char *args[64 + 16];
    size_t k = 0;
    if (v->peer) {
        file = sw_printf("%s/%s_gcbench", r->peer_dir, v->spec + 5);
        args[k++] = (char *)file;
        args[k++] = (char *)v->size;
    } else {
        file = r->p->gcbench;
        args[k++] = (char *)file;
        args[k++] = sw_printf("--collector=%s", v->spec);
        args[k++] = sw_printf("--workload=%s", v->workload);
        args[k++] = sw_printf("--size=%s", v->size);
        args[k++] = sw_printf("--heap=%zu", v->heap);
        args[k++] = sw_printf("--seed=%" PRIu64, r->p->seed);
        args[k++] = "--quiet";
        args[k++] = sw_printf("--out=%s", rd);
        for (size_t i = 0; i < r->p->extra.n && k + 1 < sizeof args / sizeof args[0]; i++)
            args[k++] = r->p->extra.v[i];
    }
    args[k] = NULL;
    int uverr = 0;
    sw_child *c = sw_spawn(e, (void *)v, file, args, out_fd, err_fd, &uverr);
    close(err_fd);
    if (out_fd >= 0)
        close(out_fd);
    if (c == NULL) {
        sw_bar_clear(e, r);
        fprintf(stderr, "gcbench: sweep: cannot run '%s': %s\n", file, uv_strerror(uverr));
        return -1;
    }
    r->last_started = v;
    return 0;
}

static void sw_run_launch(sw_engine *e)
{
    sw_run_phase *r = e->state;
    while (e->nactive < e->jobs && r->next < r->ntodo && !e->stop_signal && !e->fatal) {
        const sw_inv *v = &r->plan->v[r->todo[r->next++]];
        if (sw_start_inv(e, r, v) != 0)
            e->fatal = true;
    }
}

static void sw_run_finished(sw_engine *e, sw_child *c, int status, bool by_signal)
{
    sw_run_phase *r = e->state;
    const sw_inv *v = c->owner;
    if (by_signal && e->stop_signal) {
        /* Stopped by the sweep's own interruption: incomplete, no `exit`
         * (--resume runs it again). */
        r->interrupted++;
        return;
    }
    char *rd = sw_printf("%s/%s", r->dir, v->run_dir);
    char text[32], err[PATH_MAX + 256];
    int len = snprintf(text, sizeof text, "%d\n", status);
    if (sw_write_atomic(rd, "exit", text, (size_t)len, err, sizeof err) != 0) {
        sw_bar_clear(e, r);
        fprintf(stderr, "gcbench: sweep: %s\n", err);
        e->fatal = true;
        r->interrupted++;
        return;
    }
    r->done++;
    double secs = (double)(uv_hrtime() - c->t0) / 1e9;
    const char *what;
    if (status == GCB_EXIT_OK) {
        r->ok++;
        what = "ok";
    } else if (status == GCB_EXIT_HEAP_EXHAUSTED) {
        r->gaps++;
        what = "gap (exit 3: heap exhausted)";
    } else {
        r->failed++;
        what = sw_printf("FAILED (exit %d%s): %s", status,
                         status > 128 && by_signal ? sw_printf(", signal %d", status - 128) : "",
                         sw_first_line(sw_printf("%s/stderr", rd)));
    }
    if (r->quiet) {
        if (status != GCB_EXIT_OK && status != GCB_EXIT_HEAP_EXHAUSTED)
            fprintf(stderr, "gcbench: sweep: %s: %s\n", v->run_dir, what);
        return;
    }
    /* The tty shows failures above the bar; off a terminal, a line per
     * completed invocation. */
    bool failed = status != GCB_EXIT_OK && status != GCB_EXIT_HEAP_EXHAUSTED;
    if (e->tty && !failed)
        return;
    sw_bar_clear(e, r);
    fprintf(stderr, "sweep: [%zu/%zu] %s: %s (%.2f s)\n", r->complete_before + r->done,
            r->plan->n, v->run_dir, what, secs);
}

/* ======================================================================== */
/* the command line                                                         */
/* ======================================================================== */

enum {
    SW_OPT_COLLECTORS = 256,
    SW_OPT_WORKLOADS,
    SW_OPT_SIZE,
    SW_OPT_MULTIPLES,
    SW_OPT_INVOCATIONS,
    SW_OPT_JOBS,
    SW_OPT_OUT,
    SW_OPT_RESUME,
    SW_OPT_BASE,
    SW_OPT_BASELINE,
    SW_OPT_BASELINES,
    SW_OPT_RESOLUTION,
    SW_OPT_SEED,
    SW_OPT_PLAN_ONLY,
    SW_OPT_COLLECT,
    SW_OPT_RUN_ONE,
    SW_OPT_GCBENCH
};

static const struct option sw_long_options[] = {
    {"collectors", required_argument, NULL, SW_OPT_COLLECTORS},
    {"workloads", required_argument, NULL, SW_OPT_WORKLOADS},
    {"size", required_argument, NULL, SW_OPT_SIZE},
    {"multiples", required_argument, NULL, SW_OPT_MULTIPLES},
    {"invocations", required_argument, NULL, SW_OPT_INVOCATIONS},
    {"jobs", required_argument, NULL, SW_OPT_JOBS},
    {"out", required_argument, NULL, SW_OPT_OUT},
    {"resume", no_argument, NULL, SW_OPT_RESUME},
    {"base", required_argument, NULL, SW_OPT_BASE},
    {"baseline", required_argument, NULL, SW_OPT_BASELINE},
    {"baselines", required_argument, NULL, SW_OPT_BASELINES},
    {"resolution", required_argument, NULL, SW_OPT_RESOLUTION},
    {"seed", required_argument, NULL, SW_OPT_SEED},
    {"plan-only", no_argument, NULL, SW_OPT_PLAN_ONLY},
    {"collect", optional_argument, NULL, SW_OPT_COLLECT},
    {"run-one", required_argument, NULL, SW_OPT_RUN_ONE},
    {"gcbench", required_argument, NULL, SW_OPT_GCBENCH},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct sw_opts {
    sw_params p;
    const char *collectors_arg, *workloads_arg, *multiples_arg, *baselines_arg, *baseline_arg,
        *gcbench_arg;
    unsigned jobs;
    const char *out;
    const char *collect_dir;
    bool resume, plan_only, collect, help;
    uint64_t run_one;      /* 0: none */
    unsigned nparams;      /* sweep-parameter options given (for --run-one/--collect) */
    const char *first_param;
} sw_opts;

static void sw_usage(FILE *f)
{
    fprintf(f,
            "Usage: gcbench sweep [--collectors=LIST|all] [--workloads=LIST]\n"
            "           [--size=small|default|large] [--multiples=LIST] [--invocations=N]\n"
            "           [--jobs=N] [--out=DIR] [--resume] [--base=smallest|own]\n"
            "           [--baseline=SPEC] [--baselines=bdw,jemalloc,mimalloc|none]\n"
            "           [--resolution=SIZE] [--seed=N] [--plan-only] [--gcbench=PATH]\n"
            "           [-- GCBENCH_ARGS...]\n"
            "       gcbench sweep --run-one=I [--out=DIR]\n"
            "       gcbench sweep --collect [DIR]\n"
            "\n"
            "Runs every collector at multiples of a minimum heap, several invocations\n"
            "each, every invocation a fresh gcbench process, and aggregates medians and\n"
            "95%% confidence intervals into DIR/sweep.csv and DIR/sweep.json.\n"
            "\n"
            "  --collectors=LIST collector specs as --collector takes them (default all):\n"
            "                    comma-separated; an entry with '=' and no ':' continues\n"
            "                    the options of the spec before it, so\n"
            "                    marksweep,generational:nursery=1M,foo=2 is two specs;\n"
            "                    may be repeated\n"
            "  --workloads=LIST  workloads, comma-separated, or all (default trees)\n"
            "  --size=SIZE       workload size (default default)\n"
            "  --multiples=LIST  heap multiples of the base (default %s)\n"
            "  --invocations=N   fresh processes per point (default 5)\n"
            "  --jobs=N          processes at once (default 1: timing wants a quiet machine)\n"
            "  --out=DIR         the sweep directory (default %s)\n"
            "  --resume          continue the sweep in DIR (same parameters): complete\n"
            "                    invocations are kept, incomplete ones run again\n"
            "  --base=smallest|own  multiples of the smallest minimum heap of all\n"
            "                    collectors per workload (default), or of each one's own\n"
            "  --baseline=SPEC   what results are normalised to (default: the first\n"
            "                    collector spec; or peer:NAME)\n"
            "  --baselines=LIST  GCBench peers run as baselines with the trees workload\n"
            "                    (bdw, bdw_inline, jemalloc, mimalloc; default\n"
            "                    bdw,jemalloc,mimalloc; none for none)\n"
            "  --resolution=SIZE minimum-heap search resolution (default 64K)\n"
            "  --seed=N          seeds the run order and every run's workload (default 1)\n"
            "  --plan-only       find the minimum heaps, write the plan, jobs.txt and\n"
            "                    sweep.sbatch, run nothing\n"
            "  --run-one=I       run invocation I of DIR's plan (for GNU parallel, Slurm)\n"
            "  --collect [DIR]   aggregate DIR's results only\n"
            "  --gcbench=PATH    the gcbench to run (default this one)\n"
            "  -- GCBENCH_ARGS   more gcbench options for every measured run (e.g. --verify)\n"
            "  -h, --help        show this help\n"
            "\n"
            "Exit status: 0 every invocation completed (heap-exhausted gaps allowed), 1 some\n"
            "failed or could not run, 2 bad command line or bad input, 130/143 interrupted\n"
            "by SIGINT/SIGTERM (DIR stays consistent: continue with --resume).\n"
            "See docs/sweep.md.\n",
            GCB_SWEEP_DEFAULT_MULTIPLES, GCB_SWEEP_DEFAULT_OUT);
}

static int sw_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sw_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gcbench: sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'gcbench sweep --help'.\n", stderr);
    return GCB_EXIT_USAGE;
}

static int sw_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sw_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gcbench: sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static const char *sw_long_name_of(int val)
{
    for (const struct option *o = sw_long_options; o->name != NULL; o++)
        if (o->val == val)
            return o->name;
    return "?";
}

/* Parses argv[0..argc) (argv[0] is "sweep", no "--" in it). Returns 0 or an
 * exit code after printing the error. */
static int sw_parse(int argc, char **argv, sw_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 1;
    o->p.invocations = 5;
    o->p.size = WL_SIZE_DEFAULT;
    o->p.seed = 1;
    o->p.resolution = (size_t)64 << 10;
    o->out = NULL;
    uint64_t u;
    optind = 0; /* full getopt re-initialisation (see bench/cli.c) */
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":h", sw_long_options, NULL)) != -1;) {
        bool param = true;
        switch (c) {
        case SW_OPT_COLLECTORS: {
            char err[512];
            if (gcb_sweep_split_collectors(optarg, &o->p.collectors, err, sizeof err) != 0)
                return sw_usage_error("%s", err);
            o->collectors_arg = optarg;
            break;
        }
        case SW_OPT_WORKLOADS: {
            if (*optarg == '\0')
                return sw_usage_error("--workloads is empty (expected workload names, or all)");
            const char *p = optarg;
            for (;;) {
                size_t len = strcspn(p, ",");
                if (len == 0)
                    return sw_usage_error("--workloads '%s' has an empty entry", optarg);
                char *name = sw_keep(strndup(p, len));
                if (strcmp(name, "all") == 0) {
                    for (const wl_workload *const *w = wl_registered_workloads; *w; w++)
                        if (strcmp((*w)->name, GCB_PROGRAM_WORKLOAD) != 0 &&
                            !gcb_strv_has(&o->p.workloads, (*w)->name))
                            sw_push(&o->p.workloads, (*w)->name);
                } else if (!gcb_strv_has(&o->p.workloads, name)) {
                    sw_push(&o->p.workloads, name);
                }
                p += len;
                if (*p == '\0')
                    break;
                if (*++p == '\0')
                    return sw_usage_error("--workloads '%s' has an empty entry", optarg);
            }
            o->workloads_arg = optarg;
            break;
        }
        case SW_OPT_SIZE:
            if (wl_size_parse(optarg, &o->p.size) != 0)
                return sw_usage_error("invalid --size '%s' (expected small, default or large)",
                                      optarg);
            break;
        case SW_OPT_MULTIPLES:
            o->multiples_arg = optarg;
            break;
        case SW_OPT_INVOCATIONS:
            if (gcb_parse_u64(optarg, &o->p.invocations) != 0 || o->p.invocations == 0 ||
                o->p.invocations > GCB_SWEEP_MAX_INVOCATIONS)
                return sw_usage_error("invalid --invocations '%s' (expected an integer from 1 "
                                      "to %u)",
                                      optarg, GCB_SWEEP_MAX_INVOCATIONS);
            break;
        case SW_OPT_JOBS:
            if (gcb_parse_u64(optarg, &u) != 0 || u == 0 || u > GCB_SWEEP_MAX_JOBS)
                return sw_usage_error("invalid --jobs '%s' (expected an integer from 1 to %u)",
                                      optarg, GCB_SWEEP_MAX_JOBS);
            o->jobs = (unsigned)u;
            param = false;
            break;
        case SW_OPT_OUT:
            if (*optarg == '\0')
                return sw_usage_error("--out needs a directory");
            o->out = optarg;
            param = false;
            break;
        case SW_OPT_RESUME:
            o->resume = true;
            param = false;
            break;
        case SW_OPT_BASE:
            if (strcmp(optarg, "smallest") == 0)
                o->p.base_own = false;
            else if (strcmp(optarg, "own") == 0)
                o->p.base_own = true;
            else
                return sw_usage_error("invalid --base '%s' (expected smallest or own)", optarg);
            break;
        case SW_OPT_BASELINE:
            if (*optarg == '\0')
                return sw_usage_error("--baseline needs a collector spec");
            o->baseline_arg = optarg;
            break;
        case SW_OPT_BASELINES:
            o->baselines_arg = optarg;
            break;
        case SW_OPT_RESOLUTION:
            if (gcb_parse_size(optarg, &o->p.resolution) != 0 ||
                o->p.resolution > GCB_SWEEP_CEILING)
                return sw_usage_error("invalid --resolution '%s' (expected a size such as 4096, "
                                      "64K or 1M, at most 16G)",
                                      optarg);
            break;
        case SW_OPT_SEED:
            if (gcb_parse_u64(optarg, &o->p.seed) != 0 || o->p.seed > INT64_MAX)
                return sw_usage_error("invalid --seed '%s' (expected an integer from 0 to %" PRId64
                                      ")",
                                      optarg, INT64_MAX);
            break;
        case SW_OPT_PLAN_ONLY:
            o->plan_only = true;
            param = false;
            break;
        case SW_OPT_COLLECT:
            o->collect = true;
            if (optarg != NULL) {
                if (*optarg == '\0')
                    return sw_usage_error("--collect= needs a directory");
                o->collect_dir = optarg;
            }
            param = false;
            break;
        case SW_OPT_RUN_ONE:
            if (gcb_parse_u64(optarg, &o->run_one) != 0 || o->run_one == 0)
                return sw_usage_error("invalid --run-one '%s' (expected a line of plan.tsv: 1, "
                                      "2, ...)",
                                      optarg);
            param = false;
            break;
        case SW_OPT_GCBENCH:
            if (*optarg == '\0')
                return sw_usage_error("--gcbench needs a path");
            o->gcbench_arg = optarg;
            break;
        case 'h':
            o->help = true;
            param = false;
            break;
        case ':':
            if (optopt >= 256)
                return sw_usage_error("option '--%s' requires an argument",
                                      sw_long_name_of(optopt));
            return sw_usage_error("option '%s' requires an argument", argv[optind - 1]);
        default:
            if (optopt != 0 && optopt >= 256)
                return sw_usage_error("option '--%s' doesn't allow an argument",
                                      sw_long_name_of(optopt));
            return sw_usage_error("unrecognized option '%s' for sweep", argv[optind - 1]);
        }
        if (param) {
            if (o->nparams++ == 0)
                o->first_param = argv[optind - 1];
        }
    }
    /* A positional argument: only --collect's DIR. */
    if (optind < argc) {
        if (!o->collect || o->collect_dir != NULL || optind + 1 < argc)
            return sw_usage_error("unexpected argument '%s'", argv[optind]);
        o->collect_dir = argv[optind];
        if (*o->collect_dir == '\0')
            return sw_usage_error("--collect needs a directory");
    }
    return 0;
}

/* The gcbench options after "--": checked by gcbench's own parser, and none
 * of those the sweep sets per run may appear. Parsing twice with different
 * values of those options before the extra ones tells exactly which the extra
 * ones override. */
static int sw_check_extra(const gcb_strv *extra)
{
    static const char *const pre[2][6] = {
        {"--collector=\x01" "a", "--workload=\x01" "a", "--heap=4097", "--size=small",
         "--seed=7", NULL},
        {"--collector=\x01" "b", "--workload=\x01" "b", "--heap=8193", "--size=large",
         "--seed=11", NULL}};
    static const size_t heaps[2] = {4097, 8193};
    static const uint64_t seeds[2] = {7, 11};
    static const wl_size sizes[2] = {WL_SIZE_SMALL, WL_SIZE_LARGE};
    for (size_t i = 0; i < extra->n; i++)
        for (const char *q = extra->v[i]; *q; q++)
            if (*q == '\t' || *q == '\n' || *q == '\r')
                return sw_usage_error("argument '%s' after '--' has a control character",
                                      sw_escape(extra->v[i], strlen(extra->v[i]), 80));
    for (int pass = 0; pass < 2; pass++) {
        char **argv = sw_alloc((extra->n + 8) * sizeof *argv);
        int argc = 0;
        argv[argc++] = sw_strdup("gcbench");
        for (int k = 0; pre[pass][k]; k++)
            argv[argc++] = sw_strdup(pre[pass][k]);
        for (size_t i = 0; i < extra->n; i++)
            argv[argc++] = extra->v[i]; /* getopt permutes argv, never the strings */
        argv[argc] = NULL;
        gcb_options go;
        char err[512];
        if (gcb_parse_args(argc, argv, &go, err, sizeof err) != 0)
            return sw_usage_error("in the gcbench arguments after '--': %s", err);
        const char *what = NULL;
        if (go.action != GCB_ACTION_RUN)
            what = "--help, --list and --version are not run options";
        else if (strcmp(go.collector, pass ? "\x01" "b" : "\x01" "a") != 0)
            what = "--collector is set by the sweep (use --collectors)";
        else if (go.gc_options[0] != '\0')
            what = "collector options (--gc-options, --nursery, --rc-cycles) belong in the "
                   "collector spec (--collectors=generational:nursery=1M), where the minimum "
                   "heap search sees them";
        else if (go.program != NULL)
            what = "--program is not supported by sweep";
        else if (strcmp(go.workload, pass ? "\x01" "b" : "\x01" "a") != 0)
            what = "--workload is set by the sweep (use --workloads)";
        else if (go.heap_limit != heaps[pass])
            what = "--heap is set by the sweep for each run (multiple x base)";
        else if (go.size != sizes[pass])
            what = "--size is set by the sweep (use sweep's --size)";
        else if (go.seed != seeds[pass])
            what = "--seed is set by the sweep (use sweep's --seed)";
        else if (go.out_dir != NULL)
            what = "--out is set by the sweep for each run";
        if (what != NULL)
            return sw_usage_error("in the gcbench arguments after '--': %s", what);
    }
    return 0;
}

/* Resolves, fills and checks everything of a new sweep's parameters.
 * Returns 0 or an exit code after the message. */
static int sw_complete_params(sw_opts *o)
{
    sw_params *p = &o->p;
    char err[1024], names[256];
    /* Collectors: every spec names a registered collector with options it
     * declares. */
    if (o->collectors_arg == NULL &&
        gcb_sweep_split_collectors("all", &p->collectors, err, sizeof err) != 0)
        return sw_usage_error("%s", err);
    for (size_t i = 0; i < p->collectors.n; i++) {
        const char *spec = p->collectors.v[i];
        char name[GCB_COLLECTOR_NAME_MAX];
        for (const char *q = spec; *q; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f)
                return sw_usage_error("collector spec '%s' has a control character",
                                      sw_escape(spec, strlen(spec), 80));
        const char *opts = gc_collector_spec_split(spec, name, sizeof name);
        const gc_collector_ops *ops = strcspn(spec, ":") < sizeof name ? gc_collector_find(name)
                                                                       : NULL;
        if (ops == NULL) {
            gc_collector_names(names, sizeof names);
            return sw_usage_error("unknown collector '%.*s' in --collectors (available: %s)",
                                  (int)strcspn(spec, ":"), spec, names);
        }
        if (strlen(opts) >= GCB_GC_OPTIONS_MAX)
            return sw_usage_error("collector options of '%.40s...' are too long", spec);
        if (gc_collector_check_options(ops, opts, err, sizeof err) != 0) {
            fprintf(stderr, "gcbench: sweep: --collectors: %s\n", err);
            fprintf(stderr, "Try 'gcbench --list' for each collector's options.\n");
            return GCB_EXIT_USAGE;
        }
    }
    /* Workloads. */
    if (o->workloads_arg == NULL)
        sw_push(&p->workloads, GCB_DEFAULT_WORKLOAD);
    for (size_t i = 0; i < p->workloads.n; i++) {
        const char *w = p->workloads.v[i];
        if (strcmp(w, GCB_PROGRAM_WORKLOAD) == 0)
            return sw_usage_error("the '%s' workload runs a --program, which sweep does not "
                                  "support",
                                  w);
        if (wl_find(w) == NULL) {
            size_t len = 0;
            names[0] = '\0';
            for (const wl_workload *const *x = wl_registered_workloads; *x; x++)
                if (strcmp((*x)->name, GCB_PROGRAM_WORKLOAD) != 0 && len < sizeof names)
                    len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                            len ? ", " : "", (*x)->name);
            return sw_usage_error("unknown workload '%s' in --workloads (available: %s)",
                                  sw_escape(w, strlen(w), 80), names);
        }
    }
    /* Multiples. */
    if (gcb_sweep_parse_multiples(o->multiples_arg ? o->multiples_arg
                                                   : GCB_SWEEP_DEFAULT_MULTIPLES,
                                  &p->multiples, &p->nmultiples, err, sizeof err) != 0)
        return sw_usage_error("%s", err);
    /* Baselines (peers). */
    const char *bl = o->baselines_arg ? o->baselines_arg : "bdw,jemalloc,mimalloc";
    if (strcmp(bl, "none") != 0) {
        if (*bl == '\0')
            return sw_usage_error("--baselines is empty (expected bdw, bdw_inline, jemalloc, mimalloc, or "
                                  "none)");
        for (const char *q = bl;;) {
            size_t len = strcspn(q, ",");
            bool known = false;
            for (const char *const *pn = sw_peer_names; *pn; pn++)
                if (strlen(*pn) == len && memcmp(*pn, q, len) == 0) {
                    known = true;
                    if (!gcb_strv_has(&p->baselines, *pn))
                        sw_push(&p->baselines, *pn);
                }
            if (!known)
                return sw_usage_error("unknown baseline '%.*s' in --baselines (expected bdw, bdw_inline, "
                                      "jemalloc, mimalloc, or none)",
                                      (int)len, q);
            q += len;
            if (*q == '\0')
                break;
            q++;
        }
    }
    /* The baseline results are normalised to. */
    const char *b = o->baseline_arg ? o->baseline_arg : p->collectors.v[0];
    bool ok = gcb_strv_has(&p->collectors, b);
    if (!ok && strncmp(b, "peer:", 5) == 0)
        ok = gcb_strv_has(&p->baselines, b + 5);
    if (!ok)
        return sw_usage_error("--baseline '%s' is not one of the collector specs of the sweep "
                              "(or peer:NAME of a --baselines peer)",
                              b);
    p->baseline = strdup(b);
    if (p->baseline == NULL)
        sw_oom();
    if (p->resolution == 0)
        return sw_usage_error("invalid --resolution (must be positive)");
    /* The gcbench every run uses. */
    const char *g = o->gcbench_arg ? o->gcbench_arg : "/proc/self/exe";
    char *real = realpath(g, NULL);
    struct stat st;
    if (real == NULL || stat(real, &st) != 0 || !S_ISREG(st.st_mode) || access(real, X_OK) != 0) {
        free(real);
        return sw_usage_error("--gcbench '%s' is not an executable file", g);
    }
    p->gcbench = real;
    return sw_check_extra(&p->extra);
}

/* ======================================================================== */
/* the commands                                                             */
/* ======================================================================== */

/* Where the peers are: dirname(gcbench)/peers. */
static const char *sw_peer_dir(const char *gcbench)
{
    const char *slash = strrchr(gcbench, '/');
    size_t len = slash ? (size_t)(slash - gcbench) : 0;
    return sw_printf("%.*s/peers", (int)len, gcbench);
}

/* Returns DIR's absolute path, or NULL after the message. With create, DIR
 * is created when missing; with writable, a file is created in it to check
 * (as root, access() says yes even on a read-only file system). The path
 * goes into jobs.txt and plan.tsv's neighbours, one line each: no newline
 * or tab in it. */
static const char *sw_prepare_dir(const char *out, bool create, bool writable)
{
    if (create && gcb_mkdir_p(out) != 0) {
        sw_error(0, "cannot create the sweep directory '%s': %s", out, strerror(errno));
        return NULL;
    }
    char *abs = realpath(out, NULL);
    if (abs == NULL) {
        sw_error(0, "cannot use the sweep directory '%s': %s", out, strerror(errno));
        return NULL;
    }
    sw_keep(abs);
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        sw_error(0, "'%s' is not a directory", out);
        return NULL;
    }
    if (strpbrk(abs, "\n\t\r") != NULL) {
        sw_error(0, "the sweep directory's path '%s' has a newline or tab: use another --out",
                 sw_escape(abs, strlen(abs), 200));
        return NULL;
    }
    if (writable) {
        char tmpl[PATH_MAX];
        snprintf(tmpl, sizeof tmpl, "%s/.write-test-XXXXXX", abs);
        int fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd < 0) {
            sw_error(0, "the sweep directory '%s' is not writable: %s", out, strerror(errno));
            return NULL;
        }
        close(fd);
        unlink(tmpl);
    }
    return abs;
}

/* Some complete invocation (a runs/<point>/<inv>/exit) in DIR? */
static bool sw_has_results(const char *dir)
{
    char *runs = sw_printf("%s/runs", dir);
    DIR *d = opendir(runs);
    if (d == NULL)
        return false;
    bool found = false;
    for (struct dirent *pe; !found && (pe = readdir(d)) != NULL;) {
        if (pe->d_name[0] == '.')
            continue;
        char *pd = sw_printf("%s/%s", runs, pe->d_name);
        DIR *d2 = opendir(pd);
        if (d2 == NULL)
            continue;
        for (struct dirent *ie; !found && (ie = readdir(d2)) != NULL;)
            if (ie->d_name[0] != '.')
                found = sw_exists(sw_printf("%s/%s/exit", pd, ie->d_name));
        closedir(d2);
    }
    closedir(d);
    return found;
}

/* --resume: DIR/params.json must equal the new parameters. */
static int sw_compare_params(const char *dir, json_t *now)
{
    json_t *old = NULL;
    char err[1024];
    if (sw_params_load(dir, &old, NULL, err, sizeof err) != 0)
        return sw_error(GCB_EXIT_USAGE, "--resume: %s", err);
    int ndiff = 0;
    const char *key;
    json_t *v;
    json_object_foreach(now, key, v)
    {
        json_t *w = json_object_get(old, key);
        if (w != NULL && json_equal(v, w))
            continue;
        char *a = w ? json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (ndiff++ == 0)
            fprintf(stderr, "gcbench: sweep: --resume: the parameters differ from those of the "
                            "sweep in '%s':\n",
                    dir);
        fprintf(stderr, "  %s: %.300s in params.json, %.300s now\n", key, a ? a : "(missing)",
                b ? b : "?");
        free(a);
        free(b);
    }
    json_object_foreach(old, key, v)
    {
        if (json_object_get(now, key) == NULL) {
            if (ndiff++ == 0)
                fprintf(stderr, "gcbench: sweep: --resume: the parameters differ from those of "
                                "the sweep in '%s':\n",
                        dir);
            fprintf(stderr, "  %s: in params.json only\n", key);
        }
    }
    json_decref(old);
    if (ndiff) {
        fputs("Resume with the same options, or start a new sweep in another --out.\n", stderr);
        return GCB_EXIT_USAGE;
    }
    return 0;
}

/* splitmix64: the plan's shuffle (any seed is a good one). */
static uint64_t sw_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

typedef struct sw_point {
    const char *id, *spec, *workload, *mult;
    bool peer;
    size_t heap;
} sw_point;

/* The plan from the minimum heaps: points per workload (collectors x
 * multiples, then the peers), then invocation-major rounds with the points
 * shuffled in each. A configuration whose search failed (reported by the
 * search) or that has no base is left out. */
static void sw_make_plan(const sw_params *p, const sw_bisect *res, const char *peer_dir,
                         sw_plan *pl)
{
    size_t maxp = p->workloads.n * (p->collectors.n * p->nmultiples + 3);
    sw_point *pts = sw_alloc(maxp * sizeof *pts);
    size_t np = 0;
    const char *size = wl_size_name(p->size);
    bool trees_seen = false;
    for (size_t w = 0; w < p->workloads.n; w++) {
        const char *wl = p->workloads.v[w];
        const sw_bisect *r = &res[w * p->collectors.n];
        size_t smallest = 0;
        for (size_t c = 0; c < p->collectors.n; c++)
            if (r[c].state == SW_B_DONE && (smallest == 0 || r[c].result < smallest))
                smallest = r[c].result;
        for (size_t c = 0; c < p->collectors.n; c++) {
            size_t base = p->base_own ? (r[c].state == SW_B_DONE ? r[c].result : 0) : smallest;
            if (r[c].state == SW_B_FAILED)
                continue;
            if (base == 0) {
                fprintf(stderr, "gcbench: sweep: warning: %s on %s has no base heap (%s): left "
                                "out of the plan\n",
                        r[c].spec, wl,
                        p->base_own ? "it does not fit at the search ceiling"
                                    : "no collector fits at the search ceiling");
                continue;
            }
            for (size_t m = 0; m < p->nmultiples; m++) {
                sw_point *pt = &pts[np++];
                pt->spec = p->collectors.v[c];
                pt->workload = wl;
                pt->mult = sw_printf("%g", p->multiples[m]);
                pt->heap = gcb_sweep_heap_bytes(p->multiples[m], base);
            }
        }
        if (strcmp(wl, SW_PEER_WORKLOAD) != 0)
            continue;
        for (size_t b = 0; b < p->baselines.n; b++) {
            char *exe = sw_printf("%s/%s_gcbench", peer_dir, p->baselines.v[b]);
            if (access(exe, X_OK) != 0) {
                fprintf(stderr, "gcbench: sweep: warning: baseline peer %s is not built (%s): "
                                "skipped\n",
                        p->baselines.v[b], exe);
                continue;
            }
            sw_point *pt = &pts[np++];
            pt->peer = true;
            pt->spec = sw_printf("peer:%s", p->baselines.v[b]);
            pt->workload = wl;
            pt->mult = "-";
        }
        trees_seen = true;
    }
    if (!trees_seen && p->baselines.n > 0)
        fprintf(stderr, "sweep: note: the baseline peers run only with the %s workload: none "
                        "planned\n",
                SW_PEER_WORKLOAD);
    /* Unique ids: a clash (two specs that differ only in characters the id
     * replaces) gets a suffix. */
    for (size_t i = 0; i < np; i++) {
        char id[512];
        gcb_sweep_point_id(id, sizeof id, pts[i].spec, pts[i].workload, size,
                           pts[i].peer ? NULL : pts[i].mult);
        const char *cand = sw_strdup(id);
        for (unsigned k = 2;; k++) {
            bool clash = false;
            for (size_t j = 0; j < i && !clash; j++)
                clash = strcmp(pts[j].id, cand) == 0;
            if (!clash)
                break;
            cand = sw_printf("%s~%u", id, k);
        }
        pts[i].id = cand;
    }
    pl->n = np * p->invocations;
    pl->v = sw_alloc((pl->n ? pl->n : 1) * sizeof *pl->v);
    size_t *order = sw_alloc((np ? np : 1) * sizeof *order);
    uint64_t rng = p->seed;
    size_t k = 0;
    for (unsigned inv = 1; inv <= p->invocations; inv++) {
        for (size_t i = 0; i < np; i++)
            order[i] = i;
        for (size_t i = np; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)(sw_rand(&rng) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < np; i++) {
            const sw_point *pt = &pts[order[i]];
            sw_inv *v = &pl->v[k];
            v->index = ++k;
            v->point = pt->id;
            v->peer = pt->peer;
            v->spec = pt->spec;
            v->workload = pt->workload;
            v->size = size;
            v->mult = pt->mult;
            v->heap = pt->heap;
            v->inv = inv;
            v->run_dir = sw_printf("runs/%s/%u", pt->id, inv);
        }
    }
    assert(k == pl->n);
}

static size_t sw_ceiling(void)
{
    uint64_t mem = uv_get_total_memory();
    size_t c = GCB_SWEEP_CEILING;
    while (mem != 0 && c / 2 >= GCB_SWEEP_FLOOR && c > mem)
        c /= 2;
    return c;
}

/* Prints the command that continues this sweep: this gcbench, "sweep
 * --resume" and the arguments as given (without --plan-only). */
static void sw_print_resume_command(FILE *f, int argc, char **argv)
{
    char *self = realpath("/proc/self/exe", NULL);
    fputs(sw_sq(self ? self : "gcbench"), f);
    free(self);
    fputs(" sweep", f);
    bool has_resume = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        has_resume |= strcmp(argv[i], "--resume") == 0;
    if (!has_resume)
        fputs(" --resume", f);
    bool extra = false;
    for (int i = 1; i < argc; i++) {
        extra |= strcmp(argv[i], "--") == 0;
        if (!extra && strcmp(argv[i], "--plan-only") == 0)
            continue;
        fprintf(f, " %s", sw_sq(argv[i]));
    }
    fputc('\n', f);
}

/* Prints how to continue after an interruption, and returns 128+S. */
static int sw_interrupted(sw_engine *e, int argc, char **argv, const char *dir, const char *state)
{
    int sig = e->stop_signal;
    fprintf(stderr, "gcbench: sweep: %s %s; '%s' is consistent.\n",
            sig == SIGINT ? "interrupted" : "terminated", state, dir);
    fputs("Continue with:\n  ", stderr);
    sw_print_resume_command(stderr, argc, argv);
    return 128 + sig;
}

/* Aggregates DIR and turns the counts into the exit code. */
static int sw_aggregate(const char *dir, bool collect_only)
{
    gcb_sweep_counts counts;
    memset(&counts, 0, sizeof counts);
    counts.planned = SIZE_MAX; /* untouched: plan.tsv could not be read */
    char err[1024] = "";
    fflush(stderr);
    if (gcb_sweep_aggregate(dir, stderr, &counts, err, sizeof err) != 0) {
        bool unreadable = counts.planned == SIZE_MAX;
        return sw_error(unreadable && collect_only ? GCB_EXIT_USAGE : GCB_EXIT_ERROR,
                        "aggregation of '%s' failed: %s", dir, err);
    }
    fprintf(stderr,
            "sweep: %zu invocations planned: %zu ok, %zu gaps (heap exhausted), %zu failed, %zu "
            "missing\n",
            counts.planned, counts.ok, counts.gaps, counts.failed, counts.missing);
    fprintf(stderr, "sweep: results in %s/sweep.csv and %s/sweep.json\n", dir, dir);
    return counts.failed > 0 || counts.missing > 0 ? GCB_EXIT_ERROR : GCB_EXIT_OK;
}

static int sw_collect(const sw_opts *o)
{
    if (o->nparams > 0)
        return sw_usage_error("--collect takes only the directory ('%s' belongs to a new "
                              "sweep)",
                              o->first_param);
    if (o->resume || o->plan_only || o->run_one)
        return sw_usage_error("--collect cannot be combined with --resume, --plan-only or "
                              "--run-one");
    if (o->collect_dir && o->out && strcmp(o->collect_dir, o->out) != 0)
        return sw_usage_error("--collect '%s' and --out '%s' name different directories",
                              o->collect_dir, o->out);
    const char *d = o->collect_dir ? o->collect_dir : o->out ? o->out : GCB_SWEEP_DEFAULT_OUT;
    const char *dir = sw_prepare_dir(d, false, false);
    if (dir == NULL)
        return GCB_EXIT_USAGE;
    if (!sw_exists(sw_printf("%s/params.json", dir)) || !sw_exists(sw_printf("%s/plan.tsv", dir)))
        return sw_error(GCB_EXIT_USAGE, "'%s' is not a sweep directory (no params.json and "
                                        "plan.tsv)",
                        d);
    return sw_aggregate(dir, true);
}

static int sw_run_one(const sw_opts *o)
{
    if (o->nparams > 0)
        return sw_usage_error("--run-one takes only --out (the sweep's parameters are in "
                              "DIR/params.json; '%s' belongs to a new sweep)",
                              o->first_param);
    if (o->resume || o->plan_only || o->collect)
        return sw_usage_error("--run-one cannot be combined with --resume, --plan-only or "
                              "--collect");
    const char *dir = sw_prepare_dir(o->out ? o->out : GCB_SWEEP_DEFAULT_OUT, false, true);
    if (dir == NULL)
        return GCB_EXIT_USAGE;
    char err[1024];
    json_t *raw = NULL;
    sw_params p;
    if (sw_params_load(dir, &raw, &p, err, sizeof err) != 0)
        return sw_error(GCB_EXIT_USAGE, "--run-one: %s", err);
    json_decref(raw);
    int rc = GCB_EXIT_OK;
    sw_plan pl;
    if (sw_plan_load(dir, &pl, err, sizeof err) != 0) {
        rc = sw_error(GCB_EXIT_USAGE, "--run-one: %s", err);
    } else if (o->run_one > pl.n) {
        rc = sw_error(GCB_EXIT_USAGE, "--run-one=%" PRIu64 ": '%s/plan.tsv' has %zu invocations",
                      o->run_one, dir, pl.n);
    } else {
        const sw_inv *v = &pl.v[o->run_one - 1];
        if (sw_exists(sw_printf("%s/%s/exit", dir, v->run_dir))) {
            fprintf(stderr, "sweep: invocation %zu (%s) is already complete\n", v->index,
                    v->run_dir);
        } else {
            sw_engine e;
            sw_run_phase r;
            memset(&r, 0, sizeof r);
            size_t todo = (size_t)o->run_one - 1;
            r.plan = &pl;
            r.p = &p;
            r.dir = dir;
            r.peer_dir = sw_peer_dir(p.gcbench);
            r.todo = &todo;
            r.ntodo = 1;
            r.quiet = true;
            r.t0 = uv_hrtime();
            if (sw_engine_init(&e, 1, false) != 0) {
                rc = sw_error(GCB_EXIT_ERROR, "cannot start an event loop");
            } else {
                e.launch = sw_run_launch;
                e.finished = sw_run_finished;
                e.state = &r;
                sw_engine_run(&e);
                sw_engine_poll(&e);
                if (e.stop_signal)
                    rc = 128 + e.stop_signal;
                else if (e.fatal || r.done != 1)
                    rc = GCB_EXIT_ERROR;
                sw_engine_close(&e);
            }
        }
    }
    sw_params_free(&p);
    return rc;
}

static int sw_sweep(sw_opts *o, int argc, char **argv)
{
    if (o->collect_dir != NULL)
        return sw_usage_error("unexpected argument '%s'", o->collect_dir);
    int rc = sw_complete_params(o);
    if (rc != 0)
        return rc;
    sw_params *p = &o->p;
    const char *out = o->out ? o->out : GCB_SWEEP_DEFAULT_OUT;
    const char *dir = sw_prepare_dir(out, !o->resume, true);
    if (dir == NULL)
        return GCB_EXIT_USAGE;
    const char *bad = NULL;
    json_t *pj = sw_params_json(p, &bad);
    if (pj == NULL)
        return sw_usage_error("the %s are not valid UTF-8", bad);
    char err[PATH_MAX + 512];
    if (o->resume) {
        rc = sw_compare_params(dir, pj);
        if (rc != 0) {
            json_decref(pj);
            return rc;
        }
    } else {
        if (sw_exists(sw_printf("%s/params.json", dir)) && sw_has_results(dir)) {
            json_decref(pj);
            return sw_error(GCB_EXIT_USAGE,
                            "'%s' already holds results of a sweep: continue it with --resume "
                            "(same parameters), or use another --out (or remove %s/runs)",
                            out, out);
        }
        /* A new sweep: the old plan and outputs go before the new
         * params.json, so a plan.tsv always belongs to the params.json
         * beside it. minheap.tsv (a cache) stays. */
        static const char *const stale[] = {"plan.tsv", "jobs.txt", "sweep.sbatch", "sweep.csv",
                                            "sweep.json"};
        for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++)
            if (unlink(sw_printf("%s/%s", dir, stale[i])) != 0 && errno != ENOENT) {
                json_decref(pj);
                return sw_error(GCB_EXIT_USAGE, "cannot remove '%s/%s': %s", out, stale[i],
                                strerror(errno));
            }
        char *text = json_dumps(pj, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        if (text == NULL)
            sw_oom();
        sw_keep(text);
        size_t len = strlen(text);
        char *nl = sw_printf("%s\n", text);
        if (sw_write_atomic(dir, "params.json", nl, len + 1, err, sizeof err) != 0) {
            json_decref(pj);
            return sw_error(GCB_EXIT_USAGE, "%s", err);
        }
    }
    json_decref(pj);

    sw_engine e;
    if (sw_engine_init(&e, o->jobs, isatty(2) == 1) != 0)
        return sw_error(GCB_EXIT_ERROR, "cannot start an event loop");
    const char *peer_dir = sw_peer_dir(p->gcbench);
    sw_plan pl = {0};
    size_t nfailed_configs = 0;
    rc = GCB_EXIT_OK;
    if (o->resume && sw_exists(sw_printf("%s/plan.tsv", dir))) {
        /* The plan of these parameters, as it was made. */
        if (sw_plan_load(dir, &pl, err, sizeof err) != 0)
            rc = sw_error(GCB_EXIT_USAGE, "--resume: %s", err);
    } else {
        /* Minimum heaps: cached ones first, the others searched. */
        sw_mhcache cache = {0};
        sw_mh_load(dir, &cache);
        size_t ncfg = p->workloads.n * p->collectors.n;
        sw_bisect *cfg = sw_alloc(ncfg * sizeof *cfg);
        size_t nsearch = 0;
        const char *size = wl_size_name(p->size);
        for (size_t w = 0; w < p->workloads.n; w++)
            for (size_t c = 0; c < p->collectors.n; c++) {
                sw_bisect *b = &cfg[w * p->collectors.n + c];
                b->spec = p->collectors.v[c];
                b->workload = p->workloads.v[w];
                b->next = GCB_SWEEP_FLOOR;
                b->lo = 0;
                const sw_mh *m = sw_mh_find(&cache, b->spec, b->workload, size, p->resolution);
                if (m != NULL) {
                    b->state = m->fits ? SW_B_DONE : SW_B_NOFIT;
                    b->result = m->bytes;
                    char hb[64];
                    if (m->fits)
                        sw_fmt_heap(hb, sizeof hb, m->bytes);
                    fprintf(stderr, "sweep: minimum heap of %s on %s (%s): %s (cached)\n",
                            b->spec, b->workload, size,
                            m->fits ? hb : "does not fit at the search ceiling");
                } else {
                    nsearch++;
                }
            }
        if (nsearch > 0) {
            char rb[32];
            fprintf(stderr, "sweep: searching the minimum heap of %zu configuration%s "
                            "(resolution %s)...\n",
                    nsearch, nsearch == 1 ? "" : "s",
                    gcb_fmt_bytes(rb, sizeof rb, p->resolution));
            sw_bisect_phase ph = {cfg, ncfg, p, dir, sw_ceiling(), &cache, false};
            e.launch = sw_bisect_launch;
            e.finished = sw_bisect_finished;
            e.redraw = NULL;
            e.state = &ph;
            sw_engine_run(&e);
        }
        sw_engine_poll(&e);
        for (size_t i = 0; i < ncfg; i++)
            nfailed_configs += cfg[i].state == SW_B_FAILED;
        if (e.stop_signal) {
            rc = sw_interrupted(&e, argc, argv, dir, "while searching the minimum heaps");
        } else if (e.fatal) {
            rc = GCB_EXIT_ERROR;
        } else {
            sw_make_plan(p, cfg, peer_dir, &pl);
            if (pl.n == 0)
                rc = sw_error(GCB_EXIT_ERROR, "nothing to run: no configuration has a minimum "
                                              "heap");
            else if (sw_plan_write(dir, &pl, err, sizeof err) != 0)
                rc = sw_error(GCB_EXIT_ERROR, "%s", err);
        }
    }
    if (rc == GCB_EXIT_OK && (sw_jobs_write(dir, p->gcbench, pl.n, err, sizeof err) != 0 ||
                              sw_sbatch_write(dir, p->gcbench, pl.n, err, sizeof err) != 0))
        rc = sw_error(GCB_EXIT_ERROR, "%s", err);
    if (rc != GCB_EXIT_OK) {
        sw_engine_close(&e);
        return rc;
    }
    if (o->plan_only) {
        sw_engine_close(&e);
        fprintf(stderr, "sweep: planned %zu invocations in %s/plan.tsv. Run them here with\n  ",
                pl.n, dir);
        sw_print_resume_command(stderr, argc, argv);
        fprintf(stderr,
                "or with GNU parallel (add --sshlogin for more hosts; DIR on a shared file system)\n"
                "  parallel --joblog %s -j N < %s\n"
                "or as a Slurm array job\n"
                "  sbatch %s\n"
                "then aggregate with\n"
                "  %s sweep --collect %s\n",
                sw_sq(sw_printf("%s/parallel.log", dir)), sw_sq(sw_printf("%s/jobs.txt", dir)),
                sw_sq(sw_printf("%s/sweep.sbatch", dir)), sw_sq(p->gcbench), sw_sq(dir));
        return nfailed_configs ? GCB_EXIT_ERROR : GCB_EXIT_OK;
    }

    /* The invocations not complete yet, in plan order. */
    sw_run_phase r;
    memset(&r, 0, sizeof r);
    r.plan = &pl;
    r.p = p;
    r.dir = dir;
    r.peer_dir = peer_dir;
    r.todo = sw_alloc(pl.n * sizeof *r.todo);
    for (size_t i = 0; i < pl.n; i++) {
        if (sw_exists(sw_printf("%s/%s/exit", dir, pl.v[i].run_dir)))
            r.complete_before++;
        else
            r.todo[r.ntodo++] = i;
    }
    if (r.complete_before > 0)
        fprintf(stderr, "sweep: %zu of %zu invocations already complete\n", r.complete_before,
                pl.n);
    if (r.ntodo > 0)
        fprintf(stderr, "sweep: running %zu invocation%s, %u at a time\n", r.ntodo,
                r.ntodo == 1 ? "" : "s", o->jobs);
    r.t0 = uv_hrtime();
    e.launch = sw_run_launch;
    e.finished = sw_run_finished;
    e.redraw = sw_run_redraw;
    e.state = &r;
    sw_engine_run(&e);
    sw_engine_poll(&e);
    sw_bar_clear(&e, &r);
    double secs = (double)(uv_hrtime() - r.t0) / 1e9;
    char el[32];
    if (!r.quiet && r.ntodo > 0)
        fprintf(stderr, "sweep: ran %zu invocation%s in %s: %zu ok, %zu gaps, %zu failed\n",
                r.done, r.done == 1 ? "" : "s", sw_hms(el, sizeof el, secs), r.ok, r.gaps,
                r.failed);
    if (e.stop_signal) {
        rc = sw_interrupted(&e, argc, argv, dir,
                            sw_printf("with %zu of %zu invocations complete",
                                      r.complete_before + r.done, pl.n));
        sw_engine_close(&e);
        return rc;
    }
    bool fatal = e.fatal;
    sw_engine_close(&e); /* default signal dispositions again: aggregation is safe to kill */
    rc = sw_aggregate(dir, false);
    if (fatal || nfailed_configs > 0)
        rc = GCB_EXIT_ERROR;
    if (nfailed_configs > 0)
        fprintf(stderr, "gcbench: sweep: %zu configuration%s could not be measured (see the "
                        "minimum heap errors above)\n",
                nfailed_configs, nfailed_configs == 1 ? "" : "s");
    return rc;
}

int gcb_sweep_main(int argc, char *argv[])
{
    /* Everything after the first "--" is for gcbench. */
    int nargs = argc;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            nargs = i;
            break;
        }
    char **args = sw_alloc((size_t)(nargs + 1) * sizeof *args);
    for (int i = 0; i < nargs; i++)
        args[i] = argv[i];
    args[nargs] = NULL;
    sw_opts o;
    int rc = sw_parse(nargs, args, &o);
    for (int i = nargs + 1; rc == 0 && i < argc; i++)
        sw_push(&o.p.extra, argv[i]);
    if (rc == 0 && nargs < argc && (o.run_one || o.collect))
        rc = sw_usage_error("gcbench arguments after '--' belong to a new sweep");
    if (rc == 0) {
        if (o.help) {
            sw_usage(stdout);
            rc = fflush(stdout) == 0 && !ferror(stdout) ? GCB_EXIT_OK : GCB_EXIT_ERROR;
        } else if (o.collect) {
            rc = sw_collect(&o);
        } else if (o.run_one) {
            rc = sw_run_one(&o);
        } else {
            rc = sw_sweep(&o, argc, argv);
        }
    }
    sw_params_free(&o.p);
    sw_pool_free();
    return rc;
}
