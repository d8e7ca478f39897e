/* bench/report.c — the stdout summary, the --log-gc line, pauses.csv,
 * heap.csv, mmu.csv, summary.json, and the atomic file writing behind
 * --out. Formats: docs/output-formats.md. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sysalloc.h"
#include "core/utf8.h"
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

const char *gcb_fmt_ms(char *buf, size_t n, uint64_t ns)
{
    double ms = (double)ns / 1e6;
    if (ms >= 99.95)
        snprintf(buf, n, "%.0f", ms);
    else if (ms >= 9.995)
        snprintf(buf, n, "%.1f", ms);
    else if (ms >= 0.9995)
        snprintf(buf, n, "%.2f", ms);
    else {
        /* Below 1 ms: 3 decimals, more for tiny values (down to 1 ns). */
        int decimals = 3;
        for (double t = 0.1; ms < t && decimals < 6; t /= 10)
            decimals++;
        snprintf(buf, n, "%.*f", decimals, ms);
    }
    return buf;
}

/* Compact binary size for the GC log: "812.0K", "60.1M", "1.25G". */
static const char *gcb_fmt_size_short(char *buf, size_t n, uint64_t bytes)
{
    if (bytes < ((uint64_t)1 << 20))
        snprintf(buf, n, "%.1fK", (double)bytes / 1024.0);
    else if (bytes < ((uint64_t)1 << 30))
        snprintf(buf, n, "%.1fM", (double)bytes / (1024.0 * 1024.0));
    else
        snprintf(buf, n, "%.2fG", (double)bytes / (1024.0 * 1024.0 * 1024.0));
    return buf;
}

const char *gcb_fmt_gc_log(char *buf, size_t n, const gc_pause *p, const gcb_phases *phases,
                           uint64_t limit)
{
    char d[32], before[32], after[32], lim[32], ph[32];
    size_t len = (size_t)snprintf(
        buf, n, "gc %" PRIu64 " @%.3fs %s (%s) %sms: %s->%s (%s)", p->seq,
        (double)p->start_ns / 1e9, gc_pause_kind_name(p->kind), gc_reason_name(p->reason),
        gcb_fmt_ms(d, sizeof d, p->duration_ns), gcb_fmt_size_short(before, sizeof before, p->heap_before),
        gcb_fmt_size_short(after, sizeof after, p->heap_after),
        gcb_fmt_size_short(lim, sizeof lim, limit));
    /* Phases that took any time, in the collector's order, then the time
     * outside them. */
    for (unsigned i = 0; i < phases->n && len < n; i++)
        if (p->phase_ns[i] > 0)
            len += (size_t)snprintf(buf + len, n - len, " %s %sms", phases->names[i],
                                    gcb_fmt_ms(ph, sizeof ph, p->phase_ns[i]));
    if (p->other_ns > 0 && len < n)
        len += (size_t)snprintf(buf + len, n - len, " other %sms",
                                gcb_fmt_ms(ph, sizeof ph, p->other_ns));
    /* The stop-the-world handshake, when there was another mutator to stop;
     * after "; " because tts is part of other, not one more slice. */
    if (p->mutators > 1 && len < n)
        len += (size_t)snprintf(buf + len, n - len, "; %" PRIu32 " mutators, tts %sms",
                                p->mutators, gcb_fmt_ms(ph, sizeof ph, p->tts_ns));
    if (len < n)
        snprintf(buf + len, n - len, "\n");
    else if (n >= 2)
        buf[n - 2] = '\n'; /* truncated: still one line */
    return buf;
}

/* ---- stdout summary ---------------------------------------------------------- */

#define GCB_LABEL "%-16s"

/* "count 32  p50 4.1 ms  p90 4.6 ms  p99 6.0 ms  p99.9 6.0 ms  max 6.0 ms" */
static void gcb_write_dist_line(FILE *f, const char *label, const gcb_dist *d)
{
    char a[32], b[32], c[32], e[32], m[32];
    fprintf(f, GCB_LABEL "count %zu  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", label, d->count,
            gcb_fmt_duration(a, sizeof a, d->p50), gcb_fmt_duration(b, sizeof b, d->p90),
            gcb_fmt_duration(c, sizeof c, d->p99), gcb_fmt_duration(e, sizeof e, d->p999),
            gcb_fmt_duration(m, sizeof m, d->max));
}

/* True for 1 ms, 10 ms, 100 ms, 1 s, ...: the MMU points on stdout. */
static bool gcb_is_decade_ms(uint64_t ns)
{
    if (ns < GCB_MMU_MIN_WINDOW_NS || ns % GCB_MMU_MIN_WINDOW_NS != 0)
        return false;
    for (uint64_t v = ns / GCB_MMU_MIN_WINDOW_NS; v > 1; v /= 10)
        if (v % 10 != 0)
            return false;
    return true;
}

void gcb_write_summary(FILE *f, const gcb_report *r)
{
    const gcb_options *o = r->opt;
    const gcb_run_stats *s = &r->stats;
    char a[48], b[48], c[48];

    /* collector=NAME:OPTIONS is a valid --collector argument. */
    fprintf(f, "gcbench %s  collector=%s%s%s  workload=%s  size=%s  heap=%s  seed=%" PRIu64,
            GCBENCH_VERSION, o->collector, o->gc_options[0] ? ":" : "", o->gc_options,
            o->workload, wl_size_name(o->size), gcb_fmt_bytes(a, sizeof a, o->heap_limit),
            o->seed);
    if (o->threads > 1) /* one thread, the default: the header as it always was */
        fprintf(f, "  threads=%" PRIu32, o->threads);
    if (o->program != NULL) { /* escaped: a path need not be UTF-8 */
        char q[1024];
        fprintf(f, "  program=%s", gc_utf8_escape(q, sizeof q, o->program, strlen(o->program), 0));
    }
    if (o->verify)
        fprintf(f, "  verify");
    if (o->pretouch)
        fprintf(f, "  pretouch");
    if (o->stress > 0)
        fprintf(f, "  stress=%" PRIu64, o->stress);
    if (o->debug_corrupt != 0)
        fprintf(f, "  debug-corrupt=%d", o->debug_corrupt);
    fputc('\n', f);

    fprintf(f, GCB_LABEL "%s   mutator %s   gc %s (%.1f%%)\n", "wall",
            gcb_fmt_duration(a, sizeof a, s->wall_ns),
            gcb_fmt_duration(b, sizeof b, s->mutator_ns),
            gcb_fmt_duration(c, sizeof c, s->gc_ns), s->gc_share * 100.0);
    if (s->verify_ns > 0)
        fprintf(f, GCB_LABEL "%s (outside pauses, not mutator time)\n", "verifier",
                gcb_fmt_duration(a, sizeof a, s->verify_ns));
    if (s->check_ns > 0)
        fprintf(f, GCB_LABEL "%s (the workload's final self-check, not in wall)\n", "check",
                gcb_fmt_duration(a, sizeof a, s->check_ns));

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
        gcb_write_dist_line(f, "pauses", &s->pauses);
        if (gcb_kinds_occurred(s) > 1)
            for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++) {
                if (s->pauses_by_kind[k].count == 0)
                    continue;
                char label[32];
                snprintf(label, sizeof label, "  %s", gc_pause_kind_name((gc_pause_kind)k));
                gcb_write_dist_line(f, label, &s->pauses_by_kind[k]);
            }
    }

    /* Only when a pause had another mutator to stop: a one-thread run has
     * no time to safepoint (see gcb_tts_stats). */
    if (s->tts.waited > 0) {
        char m[48];
        fprintf(f, "time to safepoint: p50 %s, p99 %s, max %s (%zu of %zu pauses waited)\n",
                gcb_fmt_duration(a, sizeof a, s->tts.dist.p50),
                gcb_fmt_duration(b, sizeof b, s->tts.dist.p99),
                gcb_fmt_duration(m, sizeof m, s->tts.dist.max), s->tts.waited, s->pauses.count);
    }

    /* Total time per phase, in the collector's order; phases that never
     * took time are left out. */
    if (s->pauses.count > 0) {
        fprintf(f, GCB_LABEL, "phases");
        const char *sep = "";
        for (unsigned i = 0; i < r->phases.n; i++) {
            if (s->phase_total_ns[i] == 0)
                continue;
            fprintf(f, "%s%s %s", sep, r->phases.names[i],
                    gcb_fmt_duration(a, sizeof a, s->phase_total_ns[i]));
            sep = "  ";
        }
        if (s->other_total_ns > 0 || sep[0] == '\0')
            fprintf(f, "%sother %s", sep, gcb_fmt_duration(a, sizeof a, s->other_total_ns));
        fputc('\n', f);
    }

    if (s->nmmu > 0) {
        fprintf(f, GCB_LABEL, "mmu");
        const char *sep = "";
        for (size_t i = 0; i < s->nmmu; i++) {
            if (!gcb_is_decade_ms(s->mmu[i].window_ns) && i + 1 < s->nmmu)
                continue;
            fprintf(f, "%s%s %.3f", sep, gcb_fmt_duration(a, sizeof a, s->mmu[i].window_ns),
                    s->mmu[i].utilization);
            sep = "  ";
        }
        fputc('\n', f);
    }

    char mb[32];
    gcb_fmt_sig3(mb, sizeof mb, s->alloc_bytes_per_s / 1e6);
    fprintf(f, GCB_LABEL "%s in %" PRIu64 " objects  (%s MB/s, %s, %.1f ns/alloc)\n", "allocated",
            gcb_fmt_bytes(a, sizeof a, s->allocated_bytes), s->allocated_objects, mb,
            gcb_fmt_rate(b, sizeof b, s->alloc_objects_per_s, "obj/s"), s->ns_per_alloc);

    fprintf(f, GCB_LABEL "%s of %s limit\n", "peak heap",
            gcb_fmt_bytes(a, sizeof a, s->peak_heap_bytes),
            gcb_fmt_bytes(b, sizeof b, s->heap_limit ? s->heap_limit : o->heap_limit));
    fprintf(f, GCB_LABEL "%" PRIu64 " page faults in the run%s, peak RSS %s (process)\n", "memory",
            s->page_faults, o->pretouch ? " (the heap pretouched before it)" : "",
            gcb_fmt_bytes(a, sizeof a, s->max_rss_bytes));

    if (r->cstats.n > 0) {
        fprintf(f, GCB_LABEL, "collector");
        for (size_t i = 0; i < r->cstats.n; i++)
            fprintf(f, "%s%s %" PRIu64, i ? "  " : "", r->cstats.s[i].name, r->cstats.s[i].value);
        fputc('\n', f);
    }

    const char *detail = r->detail != NULL ? r->detail : "";
    if (detail[0] != '\0')
        fprintf(f, GCB_LABEL "%s (%s)\n", "verification", r->verified ? "passed" : "FAILED",
                detail);
    else
        fprintf(f, GCB_LABEL "%s\n", "verification", r->verified ? "passed" : "FAILED");
}

/* ---- pauses.csv -------------------------------------------------------------- */

void gcb_write_pauses_csv_header(FILE *f, const gcb_phases *phases)
{
    fputs(GCB_PAUSES_CSV_FIXED, f);
    for (unsigned i = 0; i < phases->n; i++)
        fprintf(f, ",phase_%s_ns", phases->names[i]); /* names are [A-Za-z0-9_-]+ */
    /* Appended after other_ns (issue 14), so every older column keeps its
     * position. */
    fputs(",other_ns," GCB_PAUSES_CSV_THREADS, f);
}

void gcb_csv_field(FILE *f, const char *s)
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

void gcb_write_pauses_csv(FILE *f, const gcb_phases *phases, const gc_pause *pauses,
                          size_t npauses)
{
    gcb_write_pauses_csv_header(f, phases);
    fputc('\n', f);
    for (size_t i = 0; i < npauses; i++) {
        const gc_pause *p = &pauses[i];
        fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", p->seq, p->start_ns, p->duration_ns);
        gcb_csv_field(f, gc_pause_kind_name(p->kind));
        fputc(',', f);
        gcb_csv_field(f, gc_reason_name(p->reason));
        fprintf(f, ",%" PRIu64 ",%" PRIu64, p->heap_before, p->heap_after);
        for (unsigned ph = 0; ph < phases->n; ph++)
            fprintf(f, ",%" PRIu64, p->phase_ns[ph]);
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu32 "\n", p->other_ns, p->tts_ns, p->mutators);
    }
}

void gcb_write_heap_csv(FILE *f, const gc_pause *pauses, size_t npauses, uint64_t limit)
{
    fprintf(f, "%s\n", GCB_HEAP_CSV_HEADER);
    for (size_t i = 0; i < npauses; i++) {
        const gc_pause *p = &pauses[i];
        fprintf(f, "%" PRIu64 ",%" PRIu64 ",", p->seq, p->start_ns);
        gcb_csv_field(f, gc_pause_kind_name(p->kind));
        fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", p->heap_before,
                p->heap_after, p->live_after, limit);
    }
}

void gcb_write_mmu_csv(FILE *f, const gcb_mmu_point *mmu, size_t n)
{
    fprintf(f, "%s\n", GCB_MMU_CSV_HEADER);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%" PRIu64 ",%.9g\n", mmu[i].window_ns, mmu[i].utilization);
}

/* ---- collector figures --------------------------------------------------------- */

/* Every top-level key gcb_write_summary_json writes (a test checks the
 * writer against this list). Collector figures may not reuse them. */
static const char *const gcb_summary_keys[] = {
    "gcbench_version", "collector", "collector_options", "workload", "program", "size",
    "heap_limit_bytes", "huge_pages", "pretouch", "seed", "verify", "stress", "debug_corrupt", "wall_ns",
    "mutator_ns", "gc_ns", "verify_ns", "check_ns", "gc_share", "collections", "collections_by_kind",
    "pauses", "pauses_by_kind", "phases", "phase_totals_ns", "mmu", "allocated_bytes", "allocated_objects",
    "alloc_rate_bytes_per_s", "alloc_rate_objects_per_s", "ns_per_alloc", "peak_heap_bytes",
    "page_faults", "max_rss_bytes", "verified", "verification_detail", "exit_code", "max_steps", "warnings", "threads",
    "time_to_safepoint"};

bool gcb_summary_key_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof gcb_summary_keys / sizeof gcb_summary_keys[0]; i++)
        if (strcmp(gcb_summary_keys[i], name) == 0)
            return true;
    return false;
}

static bool gcb_is_snake_case(const char *s)
{
    if (s == NULL || !(*s >= 'a' && *s <= 'z') || strlen(s) >= GCB_STAT_NAME_MAX)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

int gcb_collector_stats_add(gcb_collector_stats *cs, const char *name, uint64_t value, FILE *warn)
{
    const char *why = NULL;
    if (!gcb_is_snake_case(name))
        why = "is not a snake_case name";
    else if (gcb_summary_key_reserved(name))
        why = "clashes with a gcbench summary key";
    else if (cs->n == GCB_MAX_COLLECTOR_STATS)
        why = "is one too many";
    for (size_t i = 0; why == NULL && i < cs->n; i++)
        if (strcmp(cs->s[i].name, name) == 0)
            why = "was already reported";
    if (why != NULL) {
        if (warn != NULL) {
            fputs("gcbench: warning: collector figure ", warn);
            gcb_json_write_string(warn, name != NULL ? name : "(null)");
            fprintf(warn, " %s; left out of the summary\n", why);
        }
        return -1;
    }
    snprintf(cs->s[cs->n].name, sizeof cs->s[cs->n].name, "%s", name);
    cs->s[cs->n].value = value;
    cs->n++;
    return 0;
}

/* ---- summary.json ------------------------------------------------------------ */

/* The members of a pause distribution (pauses and pauses_by_kind.KIND). */
static void gcb_json_dist(gcb_json *j, const gcb_dist *d)
{
    gcb_json_u64(j, "count", d->count);
    gcb_json_u64(j, "total_ns", d->total);
    gcb_json_u64(j, "min_ns", d->min);
    gcb_json_u64(j, "p50_ns", d->p50);
    gcb_json_u64(j, "p90_ns", d->p90);
    gcb_json_u64(j, "p99_ns", d->p99);
    gcb_json_u64(j, "p999_ns", d->p999);
    gcb_json_u64(j, "max_ns", d->max);
}

int gcb_write_summary_json(FILE *f, const gcb_report *r)
{
    const gcb_options *o = r->opt;
    const gcb_run_stats *s = &r->stats;
    gcb_json j;
    gcb_json_init(&j, f);
    gcb_json_begin_object(&j, NULL);
    gcb_json_string(&j, "gcbench_version", GCBENCH_VERSION);
    gcb_json_string(&j, "collector", o->collector);
    gcb_json_string(&j, "collector_options", o->gc_options);
    gcb_json_string(&j, "workload", o->workload);
    gcb_json_string(&j, "program", o->program); /* null without --program */
    gcb_json_string(&j, "size", wl_size_name(o->size));
    gcb_json_u64(&j, "heap_limit_bytes", s->heap_limit ? s->heap_limit : o->heap_limit);
    gcb_json_bool(&j, "huge_pages", gc_sys_huge_pages()); /* GCBENCH_HUGE_PAGES=1 */
    gcb_json_bool(&j, "pretouch", o->pretouch);
    gcb_json_u64(&j, "seed", o->seed);
    gcb_json_u64(&j, "threads", o->threads);
    gcb_json_bool(&j, "verify", o->verify);
    gcb_json_u64(&j, "stress", o->stress);
    gcb_json_i64(&j, "debug_corrupt", o->debug_corrupt);
    if (o->program != NULL)
        gcb_json_u64(&j, "max_steps", o->max_steps);
    else
        gcb_json_null(&j, "max_steps");

    gcb_json_u64(&j, "wall_ns", s->wall_ns);
    gcb_json_u64(&j, "mutator_ns", s->mutator_ns);
    gcb_json_u64(&j, "gc_ns", s->gc_ns);
    gcb_json_u64(&j, "verify_ns", s->verify_ns);
    gcb_json_u64(&j, "check_ns", s->check_ns);
    gcb_json_double(&j, "gc_share", s->gc_share);

    gcb_json_u64(&j, "collections", s->collections);
    gcb_json_begin_object(&j, "collections_by_kind");
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++)
        gcb_json_u64(&j, gc_pause_kind_name((gc_pause_kind)k), s->collections_by_kind[k]);
    gcb_json_end_object(&j);

    gcb_json_begin_object(&j, "pauses");
    gcb_json_dist(&j, &s->pauses);
    gcb_json_end_object(&j);

    gcb_json_begin_object(&j, "pauses_by_kind");
    for (int k = 0; k < GC_PAUSE_KIND_COUNT; k++) {
        if (s->pauses_by_kind[k].count == 0)
            continue;
        gcb_json_begin_object(&j, gc_pause_kind_name((gc_pause_kind)k));
        gcb_json_dist(&j, &s->pauses_by_kind[k]);
        gcb_json_end_object(&j);
    }
    gcb_json_end_object(&j);

    gcb_json_begin_array(&j, "phases");
    for (unsigned i = 0; i < r->phases.n; i++)
        gcb_json_string(&j, NULL, r->phases.names[i]);
    gcb_json_end_array(&j);
    gcb_json_begin_object(&j, "phase_totals_ns");
    for (unsigned i = 0; i < r->phases.n; i++)
        gcb_json_u64(&j, r->phases.names[i], s->phase_total_ns[i]);
    gcb_json_u64(&j, "other", s->other_total_ns);
    gcb_json_end_object(&j);

    /* Over the pauses with another mutator to stop (gcb_tts_stats); null
     * figures when there were none: no distribution, not one of zeros. */
    gcb_json_begin_object(&j, "time_to_safepoint");
    gcb_json_u64(&j, "pauses_waited", s->tts.waited);
    if (s->tts.waited > 0) {
        gcb_json_u64(&j, "p50_ns", s->tts.dist.p50);
        gcb_json_u64(&j, "p99_ns", s->tts.dist.p99);
        gcb_json_u64(&j, "max_ns", s->tts.dist.max);
        gcb_json_u64(&j, "mean_ns", s->tts.mean);
    } else {
        gcb_json_null(&j, "p50_ns");
        gcb_json_null(&j, "p99_ns");
        gcb_json_null(&j, "max_ns");
        gcb_json_null(&j, "mean_ns");
    }
    gcb_json_end_object(&j);

    gcb_json_begin_array(&j, "mmu");
    for (size_t i = 0; i < s->nmmu; i++) {
        gcb_json_begin_object(&j, NULL);
        gcb_json_u64(&j, "window_ns", s->mmu[i].window_ns);
        gcb_json_double(&j, "utilization", s->mmu[i].utilization);
        gcb_json_end_object(&j);
    }
    gcb_json_end_array(&j);

    gcb_json_u64(&j, "allocated_bytes", s->allocated_bytes);
    gcb_json_u64(&j, "allocated_objects", s->allocated_objects);
    gcb_json_double(&j, "alloc_rate_bytes_per_s", s->alloc_bytes_per_s);
    gcb_json_double(&j, "alloc_rate_objects_per_s", s->alloc_objects_per_s);
    gcb_json_double(&j, "ns_per_alloc", s->ns_per_alloc);
    gcb_json_u64(&j, "peak_heap_bytes", s->peak_heap_bytes);
    gcb_json_u64(&j, "page_faults", s->page_faults);
    gcb_json_u64(&j, "max_rss_bytes", s->max_rss_bytes);
    for (size_t i = 0; i < r->cstats.n; i++)
        gcb_json_u64(&j, r->cstats.s[i].name, r->cstats.s[i].value);

    gcb_json_bool(&j, "verified", r->verified);
    gcb_json_string(&j, "verification_detail", r->detail != NULL ? r->detail : "");
    gcb_json_i64(&j, "exit_code", r->exit_code);
    gcb_json_begin_array(&j, "warnings");
    for (size_t i = 0; i < r->nwarnings; i++)
        gcb_json_string(&j, NULL, r->warnings[i]);
    gcb_json_end_array(&j);
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
    /* No fsync: the rename is what keeps a reader from a half-written
     * file; durability across a power cut is not worth 1.5 ms of every
     * run's process time (4 fsyncs; 10 ms and more while other processes
     * write to the disk), which a whole-process comparison with a peer
     * program would charge to the collector. The sweep's files are
     * written the same way. */
    if (fflush(f) != 0 || ferror(f)) {
        e = errno ? errno : e;
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
    gcb_write_pauses_csv(f, &r->phases, r->pauses, r->npauses);
    return ferror(f) ? -1 : 0;
}

static int gcb_heap_csv_writer(FILE *f, const void *data)
{
    const gcb_report *r = data;
    gcb_write_heap_csv(f, r->pauses, r->npauses,
                       r->stats.heap_limit ? r->stats.heap_limit : r->opt->heap_limit);
    return ferror(f) ? -1 : 0;
}

static int gcb_mmu_csv_writer(FILE *f, const void *data)
{
    const gcb_report *r = data;
    gcb_write_mmu_csv(f, r->stats.mmu, r->stats.nmmu);
    return ferror(f) ? -1 : 0;
}

static int gcb_json_writer(FILE *f, const void *data)
{
    return gcb_write_summary_json(f, data);
}

/* The files of a run directory, in the order they are written. */
static const char *const gcb_run_files[] = {"pauses.csv", "heap.csv", "mmu.csv", "summary.json"};

bool gcb_is_run_temp_name(const char *name)
{
    if (name[0] != '.')
        return false;
    for (size_t i = 0; i < sizeof gcb_run_files / sizeof gcb_run_files[0]; i++) {
        size_t n = strlen(gcb_run_files[i]);
        if (strncmp(name + 1, gcb_run_files[i], n) != 0 || name[1 + n] != '.')
            continue;
        const char *x = name + 2 + n; /* mkstemp's six characters */
        size_t k = 0;
        for (; x[k] != '\0'; k++)
            if (!((x[k] >= 'a' && x[k] <= 'z') || (x[k] >= 'A' && x[k] <= 'Z') ||
                  (x[k] >= '0' && x[k] <= '9')))
                return false;
        return k == 6;
    }
    return false;
}

int gcb_remove_stale_temps(const char *dir, time_t now, unsigned min_age_s)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!gcb_is_run_temp_name(e->d_name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            st.st_mtime > now - (time_t)min_age_s)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int gcb_write_run_dir(const gcb_report *r, char *err, size_t errlen)
{
    const char *dir = r->opt->out_dir;
    if (gcb_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create output directory '%s': %s", dir, strerror(errno));
        return -1;
    }
    /* Temporaries a killed run left behind (best effort). */
    (void)gcb_remove_stale_temps(dir, time(NULL), GCB_STALE_TEMP_AGE_S);
    if (gcb_write_file_atomic(dir, "pauses.csv", gcb_csv_writer, r, err, errlen) != 0)
        return -1;
    if (gcb_write_file_atomic(dir, "heap.csv", gcb_heap_csv_writer, r, err, errlen) != 0)
        return -1;
    if (gcb_write_file_atomic(dir, "mmu.csv", gcb_mmu_csv_writer, r, err, errlen) != 0)
        return -1;
    if (gcb_write_file_atomic(dir, "summary.json", gcb_json_writer, r, err, errlen) != 0)
        return -1;
    return 0;
}
