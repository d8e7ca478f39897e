/* bench/report.c — the stdout summary, pauses.csv, summary.json, and the
 * atomic file writing behind --out. Formats: docs/output-formats.md. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcbench.h"
#include "json.h"

/* ---- unit formatting ---------------------------------------------------------- */

/* value with 3 significant digits for values < 1000: "1.23", "12.3", "123";
 * larger values are printed without decimals. */
static void gcb_fmt_sig3(char *buf, size_t n, double v)
{
    if (v < 9.995)
        snprintf(buf, n, "%.2f", v);
    else if (v < 99.95)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.0f", v);
}

const char *gcb_fmt_duration(char *buf, size_t n, uint64_t ns)
{
    /* Thresholds account for rounding, so 999.96 us prints as "1.0 ms". */
    if (ns < 1000)
        snprintf(buf, n, "%" PRIu64 " ns", ns);
    else if (ns < 999950)
        snprintf(buf, n, "%.1f us", (double)ns / 1e3);
    else if (ns < 999950000)
        snprintf(buf, n, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.2f s", (double)ns / 1e9);
    return buf;
}

const char *gcb_fmt_bytes(char *buf, size_t n, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, n, "%" PRIu64 " B", bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1023.95 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    if (u >= 2)
        snprintf(buf, n, "%.2f %s", v, units[u]); /* "1.23 GiB" */
    else
        snprintf(buf, n, "%.1f %s", v, units[u]); /* "64.0 MiB" */
    return buf;
}

const char *gcb_fmt_rate(char *buf, size_t n, double per_s, const char *unit)
{
    static const char *const prefixes[] = {"", "k", "M", "G", "T", "P"};
    size_t p = 0;
    double v = per_s < 0 ? 0 : per_s;
    while (v >= 999.5 && p + 1 < sizeof prefixes / sizeof prefixes[0]) {
        v /= 1000.0;
        p++;
    }
    char num[32];
    gcb_fmt_sig3(num, sizeof num, v);
    snprintf(buf, n, "%s %s%s", num, prefixes[p], unit);
    return buf;
}

/* ---- stdout summary ---------------------------------------------------------- */

#define GCB_LABEL "%-16s"

void gcb_write_summary(FILE *f, const gcb_report *r)
{
    const gcb_options *o = r->opt;
    const gcb_run_stats *s = &r->stats;
    char a[48], b[48], c[48], d[48];

    fprintf(f, "gcbench %s  collector=%s  workload=%s  size=%s  heap=%s  seed=%" PRIu64,
            GCBENCH_VERSION, o->collector, o->workload, wl_size_name(o->size),
            gcb_fmt_bytes(a, sizeof a, o->heap_limit), o->seed);
    if (o->verify)
        fprintf(f, "  verify");
    if (o->stress > 0)
        fprintf(f, "  stress=%" PRIu64, o->stress);
    fputc('\n', f);

    fprintf(f, GCB_LABEL "%s   mutator %s   gc %s (%.1f%%)\n", "wall",
            gcb_fmt_duration(a, sizeof a, s->wall_ns),
            gcb_fmt_duration(b, sizeof b, s->mutator_ns),
            gcb_fmt_duration(c, sizeof c, s->gc_ns), s->gc_share * 100.0);
    if (s->verify_ns > 0)
        fprintf(f, GCB_LABEL "%s (outside pauses, not mutator time)\n", "verifier",
                gcb_fmt_duration(a, sizeof a, s->verify_ns));

    fprintf(f, GCB_LABEL "%" PRIu64, "collections", s->collections);
    bool first = true;
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++) {
        if (s->collections_by_kind[k] == 0)
            continue;
        fprintf(f, "%s%s %" PRIu64, first ? " (" : ", ", gc_pause_kind_name((gc_pause_kind)k),
                s->collections_by_kind[k]);
        first = false;
    }
    fprintf(f, "%s\n", first ? "" : ")");

    if (s->pauses.count == 0) {
        fprintf(f, GCB_LABEL "none\n", "pauses");
    } else {
        fprintf(f, GCB_LABEL "count %zu  p50 %s  p90 %s  p99 %s  max %s\n", "pauses",
                s->pauses.count, gcb_fmt_duration(a, sizeof a, s->pauses.p50),
                gcb_fmt_duration(b, sizeof b, s->pauses.p90),
                gcb_fmt_duration(c, sizeof c, s->pauses.p99),
                gcb_fmt_duration(d, sizeof d, s->pauses.max));
    }

    char mb[32];
    gcb_fmt_sig3(mb, sizeof mb, s->alloc_bytes_per_s / 1e6);
    fprintf(f, GCB_LABEL "%s in %" PRIu64 " objects  (%s MB/s, %s)\n", "allocated",
            gcb_fmt_bytes(a, sizeof a, s->allocated_bytes), s->allocated_objects, mb,
            gcb_fmt_rate(b, sizeof b, s->alloc_objects_per_s, "obj/s"));

    fprintf(f, GCB_LABEL "%s of %s limit\n", "peak heap",
            gcb_fmt_bytes(a, sizeof a, s->peak_heap_bytes),
            gcb_fmt_bytes(b, sizeof b, s->heap_limit ? s->heap_limit : o->heap_limit));

    const char *detail = r->detail != NULL ? r->detail : "";
    if (detail[0] != '\0')
        fprintf(f, GCB_LABEL "%s (%s)\n", "verification", r->verified ? "passed" : "FAILED",
                detail);
    else
        fprintf(f, GCB_LABEL "%s\n", "verification", r->verified ? "passed" : "FAILED");
}

/* ---- pauses.csv -------------------------------------------------------------- */

const char *gcb_pauses_csv_header(void)
{
    static char header[256];
    if (header[0] == '\0') {
        size_t len = (size_t)snprintf(header, sizeof header,
                                      "seq,start_ns,duration_ns,kind,reason,"
                                      "heap_before_bytes,heap_after_bytes");
        for (int p = 0; p < GC_PHASE_COUNT && len < sizeof header; p++)
            len += (size_t)snprintf(header + len, sizeof header - len, ",%s_ns",
                                    gc_phase_name((gc_phase)p));
    }
    return header;
}

/* A CSV field, quoted only if it needs to be (RFC 4180). */
static void gcb_csv_field(FILE *f, const char *s)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void gcb_write_pauses_csv(FILE *f, const gc_pause *pauses, size_t npauses)
{
    fprintf(f, "%s\n", gcb_pauses_csv_header());
    for (size_t i = 0; i < npauses; i++) {
        const gc_pause *p = &pauses[i];
        fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", p->seq, p->start_ns, p->duration_ns);
        gcb_csv_field(f, gc_pause_kind_name(p->kind));
        fputc(',', f);
        gcb_csv_field(f, gc_reason_name(p->reason));
        fprintf(f, ",%" PRIu64 ",%" PRIu64, p->heap_before, p->heap_after);
        for (int ph = 0; ph < GC_PHASE_COUNT; ph++)
            fprintf(f, ",%" PRIu64, p->phase_ns[ph]);
        fputc('\n', f);
    }
}

/* ---- summary.json ------------------------------------------------------------ */

int gcb_write_summary_json(FILE *f, const gcb_report *r)
{
    const gcb_options *o = r->opt;
    const gcb_run_stats *s = &r->stats;
    gcb_json j;
    gcb_json_init(&j, f);
    gcb_json_begin_object(&j, NULL);
    gcb_json_string(&j, "gcbench_version", GCBENCH_VERSION);
    gcb_json_string(&j, "collector", o->collector);
    gcb_json_string(&j, "workload", o->workload);
    gcb_json_string(&j, "size", wl_size_name(o->size));
    gcb_json_u64(&j, "heap_limit_bytes", s->heap_limit ? s->heap_limit : o->heap_limit);
    gcb_json_u64(&j, "seed", o->seed);
    gcb_json_bool(&j, "verify", o->verify);
    gcb_json_u64(&j, "stress", o->stress);

    gcb_json_u64(&j, "wall_ns", s->wall_ns);
    gcb_json_u64(&j, "mutator_ns", s->mutator_ns);
    gcb_json_u64(&j, "gc_ns", s->gc_ns);
    gcb_json_u64(&j, "verify_ns", s->verify_ns);
    gcb_json_double(&j, "gc_share", s->gc_share);

    gcb_json_u64(&j, "collections", s->collections);
    gcb_json_begin_object(&j, "collections_by_kind");
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++)
        gcb_json_u64(&j, gc_pause_kind_name((gc_pause_kind)k), s->collections_by_kind[k]);
    gcb_json_end_object(&j);

    gcb_json_begin_object(&j, "pauses");
    gcb_json_u64(&j, "count", s->pauses.count);
    gcb_json_u64(&j, "total_ns", s->pauses.total);
    gcb_json_u64(&j, "min_ns", s->pauses.min);
    gcb_json_u64(&j, "p50_ns", s->pauses.p50);
    gcb_json_u64(&j, "p90_ns", s->pauses.p90);
    gcb_json_u64(&j, "p99_ns", s->pauses.p99);
    gcb_json_u64(&j, "max_ns", s->pauses.max);
    gcb_json_end_object(&j);

    gcb_json_u64(&j, "allocated_bytes", s->allocated_bytes);
    gcb_json_u64(&j, "allocated_objects", s->allocated_objects);
    gcb_json_double(&j, "alloc_rate_bytes_per_s", s->alloc_bytes_per_s);
    gcb_json_double(&j, "alloc_rate_objects_per_s", s->alloc_objects_per_s);
    gcb_json_u64(&j, "peak_heap_bytes", s->peak_heap_bytes);

    gcb_json_bool(&j, "verified", r->verified);
    gcb_json_string(&j, "verification_detail", r->detail != NULL ? r->detail : "");
    gcb_json_i64(&j, "exit_code", r->exit_code);
    gcb_json_end_object(&j);
    return gcb_json_finish(&j);
}

/* ---- files ----------------------------------------------------------------------- */

static int gcb_mkdir_one(const char *path)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    int e = errno;
    struct stat st;
    if (e == EEXIST || e == EACCES || e == EROFS) {
        /* Already there (possibly a directory we may not create in, but
         * whose existing subdirectory we can use). */
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                return 0;
            errno = ENOTDIR;
            return -1;
        }
    }
    errno = e;
    return -1;
}

int gcb_mkdir_p(const char *dir)
{
    size_t len = strlen(dir);
    if (len == 0) {
        errno = ENOENT;
        return -1;
    }
    char *path = malloc(len + 1);
    if (path == NULL)
        return -1;
    memcpy(path, dir, len + 1);
    int rc = 0;
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        rc = gcb_mkdir_one(path);
        *p = '/';
        if (rc != 0)
            break;
    }
    if (rc == 0)
        rc = gcb_mkdir_one(path);
    int e = errno;
    free(path);
    errno = e;
    return rc;
}

int gcb_write_file_atomic(const char *dir, const char *name, gcb_writer_fn writer,
                          const void *data, char *err, size_t errlen)
{
    size_t need = strlen(dir) + strlen(name) + 16;
    char *final = malloc(need), *tmp = malloc(need);
    int rc = -1;
    if (final == NULL || tmp == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    snprintf(final, need, "%s/%s", dir, name);
    snprintf(tmp, need, "%s/.%s.XXXXXX", dir, name);

    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file in '%s': %s", dir, strerror(errno));
        goto out;
    }
    /* mkstemp creates mode 0600; give the file ordinary permissions. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);

    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        snprintf(err, errlen, "cannot write '%s': %s", final, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    errno = 0;
    int werr = writer(f, data);
    int e = errno;
    if (fflush(f) != 0 || ferror(f)) {
        e = errno ? errno : e;
        werr = -1;
    } else if (fsync(fileno(f)) != 0 && errno != EINVAL && errno != EROFS) {
        e = errno;
        werr = -1;
    }
    if (fclose(f) != 0 && werr == 0) {
        e = errno;
        werr = -1;
    }
    if (werr != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", final,
                 e != 0 ? strerror(e) : "write error");
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, final) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, final, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(final);
    free(tmp);
    return rc;
}

static int gcb_csv_writer(FILE *f, const void *data)
{
    const gcb_report *r = data;
    gcb_write_pauses_csv(f, r->pauses, r->npauses);
    return ferror(f) ? -1 : 0;
}

static int gcb_json_writer(FILE *f, const void *data)
{
    return gcb_write_summary_json(f, data);
}

int gcb_write_run_dir(const gcb_report *r, char *err, size_t errlen)
{
    const char *dir = r->opt->out_dir;
    if (gcb_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create output directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    if (gcb_write_file_atomic(dir, "pauses.csv", gcb_csv_writer, r, err, errlen) != 0)
        return -1;
    if (gcb_write_file_atomic(dir, "summary.json", gcb_json_writer, r, err, errlen) != 0)
        return -1;
    return 0;
}
