/* bench/runner.c — one gcbench invocation (see bench/runner.h). */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "../collectors/registry.h"
#include "../core/collector.h"
#include "compare.h"
#include "gcbench.h"
#include "report.h"
#include "stats.h"
#include "sweep.h"
#include "torture.h"

static void gcb_usage_error(const char *msg)
{
    fprintf(stderr, "gcbench: %s\n", msg);
    fprintf(stderr, "Try 'gcbench --help'.\n");
}

static void gcb_workload_names(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const wl_workload *const *w = wl_registered_workloads; *w != NULL && len < n; w++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", (*w)->name);
}

int gcb_run(const gcb_options *o)
{
    char msg[1024], names[256];

    /* Names and options first, so a typo costs nothing and the message
     * lists the choices. */
    const gc_collector_ops *ops = gc_collector_find(o->collector);
    if (ops == NULL) {
        gc_collector_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown collector '%s' (available: %s)", o->collector, names);
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    /* The message names the collector and its valid options. */
    if (gc_collector_check_options(ops, o->gc_options, msg, sizeof msg) != 0) {
        fprintf(stderr, "gcbench: %s\n", msg);
        fprintf(stderr, "Try 'gcbench --list' for each collector's options.\n");
        return GCB_EXIT_USAGE;
    }
    const wl_workload *wl = wl_find(o->workload);
    if (wl == NULL && o->program != NULL) {
        fprintf(stderr,
                "gcbench: --program needs the '%s' workload (the bytecode VM), which this "
                "build does not have\n",
                o->workload);
        return GCB_EXIT_USAGE;
    }
    if (wl == NULL) {
        gcb_workload_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown workload '%s' (available: %s)", o->workload, names);
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    return gcb_run_workload(o, wl);
}

/* --log-gc: a pause listener. It runs inside the collector's gc_pause_end,
 * so it formats into a stack buffer and makes one stdio call: no heap
 * allocation of any kind. */
typedef struct gcb_gc_log {
    uint64_t origin_ns; /* workload start, relative to the heap's epoch */
    uint64_t limit;
    const gcb_phases *phases;
} gcb_gc_log;

static void gcb_gc_log_pause(void *data, const gc_pause *p)
{
    const gcb_gc_log *log = data;
    gc_pause q = *p;
    q.start_ns = q.start_ns > log->origin_ns ? q.start_ns - log->origin_ns : 0;
    char line[512];
    fputs(gcb_fmt_gc_log(line, sizeof line, &q, log->phases, log->limit), stderr);
}

static void gcb_emit_collector_stat(void *ctx, const char *name, uint64_t value)
{
    gcb_collector_stats_add(ctx, name, value, stderr);
}

/* wl_config.end_timed: the first call marks where the workload's final
 * self-check begins. */
static void gcb_end_timed(void *ctx)
{
    uint64_t *t_check = ctx;
    if (*t_check == 0)
        *t_check = uv_hrtime();
}

/* wl_workload.run's result -> exit code (docs/output-formats.md). */
static int gcb_exit_for(int run_rc, bool verified)
{
    switch (run_rc) {
    case WL_OK: return verified ? GCB_EXIT_OK : GCB_EXIT_VERIFY_FAILED;
    case WL_ERR_INPUT: return GCB_EXIT_USAGE;
    case WL_ERR_RUNTIME: return GCB_EXIT_VM_ERROR;
    default: return GCB_EXIT_ERROR;
    }
}

int gcb_run_workload(const gcb_options *o, const wl_workload *wl)
{
    char msg[512];
    gc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.heap_limit = o->heap_limit;
    cfg.stress = o->stress;
    cfg.verify = o->verify;
    cfg.pretouch = o->pretouch;
    cfg.options = o->gc_options;
    if (o->pretouch) {
        /* Pretouching commits every reserved byte up front (refcount's arena
         * is 5/4 of the limit): refused when that could take more than half
         * of the machine's memory, rather than left to the OOM killer. */
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
        if (phys > 0 && (uint64_t)(o->heap_limit / 4) * 5 > phys / 2) {
            snprintf(msg, sizeof msg,
                     "--pretouch with --heap=%zu: it would commit up to %zu bytes before the run, more than half "
                     "of this machine's %" PRIu64 " bytes of memory",
                     o->heap_limit, o->heap_limit / 4 * 5, phys);
            gcb_usage_error(msg);
            return GCB_EXIT_USAGE;
        }
    }

    char err[256] = "";
    gc_heap *h = gc_heap_create(o->collector, &cfg, err, sizeof err);
    if (h == NULL) {
        if (gc_heap_create_failure() == GC_CREATE_TOO_SMALL) {
            /* A valid configuration that needs a bigger heap: reported like
             * a heap exhaustion (a sweep counts it as a gap, not a failure). */
            fprintf(stderr, "gcbench: heap exhausted: %s\n", err);
            return GCB_EXIT_HEAP_EXHAUSTED;
        }
        snprintf(msg, sizeof msg, "%s", err[0] ? err : "cannot create the heap");
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    gc_mutator *m = gc_mutator_attach(h);
    gcb_phases phases;
    gcb_phases_of_heap(h, &phases);

    wl_config wcfg = {.size = o->size,
                      .seed = o->seed,
                      .debug_corrupt = o->debug_corrupt,
                      .program = o->program,
                      .threads = o->threads,
                      .max_steps = o->max_steps};
    wl_result res;
    memset(&res, 0, sizeof res);
    uint64_t t_check = 0; /* when the workload's final self-check began (0: it did not say) */
    wcfg.end_timed = gcb_end_timed;
    wcfg.end_timed_ctx = &t_check;

    gcb_gc_log log = {0, gc_heap_limit(h), &phases};
    if (o->log_gc)
        gc_heap_set_listener(h, &(gc_event_listener){gcb_gc_log_pause, &log});

    /* The timed region: the workload and the collector's deferred work,
     * less the workload's final self-check when it marks where that begins
     * (wl_end_timed_region). Nothing in it belongs to bench/ but a few
     * clock reads (and, with --log-gc, the listener). */
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = uv_hrtime();
    log.origin_ns = t0 - gc_heap_epoch(h);
    int run_rc = wl->run(m, &wcfg, &res);
    uint64_t t_ret = uv_hrtime();
    gc_heap_finish(h);
    uint64_t t1 = uv_hrtime();
    getrusage(RUSAGE_SELF, &ru1);
    gc_heap_set_listener(h, NULL);

    res.detail[sizeof res.detail - 1] = '\0';
    int rc = gcb_exit_for(run_rc, res.verified);
    if (rc == GCB_EXIT_USAGE) {
        /* Bad input (e.g. a program that does not assemble): nothing ran
         * worth reporting. */
        fprintf(stderr, "gcbench: workload '%s': bad input: %s\n", wl->name,
                res.detail[0] ? res.detail : "(no detail)");
        gc_mutator_detach(m);
        gc_heap_destroy(h);
        return rc;
    }

    gc_heap_stats st;
    gc_heap_get_stats(h, &st);
    /* Report every time from the workload's start, not the heap's epoch. */
    gc_pause *pauses = gcb_pauses_rebase(st.pauses, st.npauses, t0 - gc_heap_epoch(h));
    st.pauses = pauses;
    /* The check [t_check, t_ret) leaves the timed region, unless a pause
     * ended after it began (another thread's collection during the check,
     * or a collector's deferred work in gc_heap_finish recorded as a pause:
     * none does today): then it stays in, and the pause timeline stays
     * inside [0, wall_ns] either way. */
    uint64_t check_ns = t_check >= t0 && t_check <= t_ret ? t_ret - t_check : 0;
    for (size_t i = 0; check_ns && i < st.npauses; i++)
        if (pauses[i].start_ns + t0 + pauses[i].duration_ns > t_check) /* back on uv_hrtime's clock */
            check_ns = 0;

    gcb_report r;
    memset(&r, 0, sizeof r);
    r.opt = o;
    r.phases = phases;
    gcb_run_stats_compute(&st, t1 - t0 - check_ns, &r.stats);
    r.stats.check_ns = check_ns;
    r.stats.page_faults = (uint64_t)(ru1.ru_minflt - ru0.ru_minflt) + (uint64_t)(ru1.ru_majflt - ru0.ru_majflt);
    r.stats.max_rss_bytes = (uint64_t)ru1.ru_maxrss * 1024; /* Linux: KiB */
    gc_heap_collector_stats(h, gcb_emit_collector_stat, &r.cstats);
    r.pauses = pauses;
    r.npauses = st.npauses;
    r.verified = run_rc == WL_OK && res.verified;
    r.detail = res.detail;
    r.exit_code = rc;

    /* A check that ran on nothing proved nothing: say so. */
    char nowarn[256];
    if ((o->verify || o->stress > 0) && st.collections == 0) {
        snprintf(nowarn, sizeof nowarn,
                 "%s ran but no collection happened (the heap limit of %zu bytes was never "
                 "reached), so %s; use a smaller --heap%s",
                 o->verify ? "--verify" : "--stress",
                 (size_t)(st.heap_limit ? st.heap_limit : o->heap_limit),
                 o->verify ? "the heap verifier checked nothing"
                           : "no collection was stressed",
                 o->stress > 0 ? " or a smaller --stress" : " or --stress=N");
        r.warnings[r.nwarnings++] = nowarn;
        fprintf(stderr, "gcbench: warning: %s\n", nowarn);
    }

    /* Lost output is an error whatever the flags: the workload's own output
     * (a --program's) and the summary both go to stdout, and with --quiet
     * the former still does. */
    if (!o->quiet)
        gcb_write_summary(stdout, &r);
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "gcbench: error writing to stdout%s%s: output lost\n", e ? ": " : "",
                e ? strerror(e) : "");
        if (rc == GCB_EXIT_OK)
            rc = GCB_EXIT_ERROR;
    }
    /* The same for stderr (the --log-gc lines and warnings): when it failed,
     * a message saying so cannot get through either, but the exit code and
     * summary.json's exit_code can. */
    if (ferror(stderr)) {
        fprintf(stderr, "gcbench: error writing to stderr%s: output lost\n",
                o->log_gc ? " (the GC log)" : "");
        if (rc == GCB_EXIT_OK)
            rc = GCB_EXIT_ERROR;
    }

    if (o->out_dir != NULL) {
        char werr[512];
        r.exit_code = rc; /* summary.json records the outcome known so far */
        if (gcb_write_run_dir(&r, werr, sizeof werr) != 0) {
            fprintf(stderr, "gcbench: %s\n", werr);
            if (rc == GCB_EXIT_OK)
                rc = GCB_EXIT_ERROR;
        }
    }

    if (run_rc == WL_ERR_RUNTIME)
        fprintf(stderr, "gcbench: workload '%s' failed with a run-time error: %s\n", wl->name,
                res.detail[0] ? res.detail : "(no detail)");
    else if (run_rc != WL_OK)
        fprintf(stderr, "gcbench: workload '%s' did not run to completion (status %d)%s%s\n",
                wl->name, run_rc, res.detail[0] ? ": " : "", res.detail);
    else if (!res.verified)
        fprintf(stderr, "gcbench: verification FAILED: %s\n",
                res.detail[0] ? res.detail : "(no detail)");

    free(pauses);
    gc_mutator_detach(m);
    gc_heap_destroy(h);
    return rc;
}

/* A closed standard descriptor (`>&-`) would be reused by the next open()
 * (a run directory's temporary file), and stdout's bytes would land there.
 * Keep it taken by /dev/null opened read-only: writes to it still fail
 * (EBADF), so lost output is still detected. */
static void gcb_keep_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int nfd = open("/dev/null", O_RDONLY);
        if (nfd >= 0 && nfd != fd) {
            (void)dup2(nfd, fd);
            close(nfd);
        }
    }
}

int gcb_main(int argc, char *argv[])
{
    gcb_options o;
    char err[512];
    gcb_keep_std_fds();
    if (argc >= 2 && strcmp(argv[1], "compare") == 0)
        return gcb_compare_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "sweep") == 0)
        return gcb_sweep_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "torture") == 0)
        return gcb_torture_main(argc - 1, argv + 1);
    if (gcb_parse_args(argc, argv, &o, err, sizeof err) != 0) {
        gcb_usage_error(err);
        return GCB_EXIT_USAGE;
    }
    switch (o.action) {
    case GCB_ACTION_HELP:
        gcb_print_usage(stdout);
        break;
    case GCB_ACTION_VERSION:
        gcb_print_version(stdout);
        break;
    case GCB_ACTION_LIST:
        gcb_print_list(stdout);
        break;
    case GCB_ACTION_RUN:
        return gcb_run(&o);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gcbench: error writing to stdout\n");
        return GCB_EXIT_ERROR;
    }
    return GCB_EXIT_OK;
}
