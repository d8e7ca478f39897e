/* bench/runner.c — one gcbench invocation (see bench/runner.h). */
#include "runner.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "../core/collector.h"
#include "gcbench.h"
#include "report.h"
#include "stats.h"

static void gcb_usage_error(const char *msg)
{
    fprintf(stderr, "gcbench: %s\n", msg);
    fprintf(stderr, "Try 'gcbench --help'.\n");
}

/* "a, b, c" into buf. */
static void gcb_collector_names(char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const gc_collector_ops *const *c = gc_registered_collectors; *c != NULL && len < n; c++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", (*c)->name);
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
    char msg[512], names[256];

    /* Names first, so a typo costs nothing and the message lists choices. */
    if (gc_collector_find(o->collector) == NULL) {
        gcb_collector_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown collector '%s' (available: %s)", o->collector, names);
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    const wl_workload *wl = wl_find(o->workload);
    if (wl == NULL) {
        gcb_workload_names(names, sizeof names);
        snprintf(msg, sizeof msg, "unknown workload '%s' (available: %s)", o->workload, names);
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    return gcb_run_workload(o, wl);
}

int gcb_run_workload(const gcb_options *o, const wl_workload *wl)
{
    char msg[512];
    gc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.heap_limit = o->heap_limit;
    cfg.stress = o->stress;
    cfg.verify = o->verify;

    char err[256] = "";
    gc_heap *h = gc_heap_create(o->collector, &cfg, err, sizeof err);
    if (h == NULL) {
        snprintf(msg, sizeof msg, "%s", err[0] ? err : "cannot create the heap");
        gcb_usage_error(msg);
        return GCB_EXIT_USAGE;
    }
    gc_mutator *m = gc_mutator_attach(h);

    wl_config wcfg = {.size = o->size, .seed = o->seed};
    wl_result res;
    memset(&res, 0, sizeof res);

    /* The timed region: the workload and the collector's deferred work.
     * Nothing in it belongs to bench/ but two clock reads. */
    uint64_t t0 = uv_hrtime();
    int run_rc = wl->run(m, &wcfg, &res);
    gc_heap_finish(h);
    uint64_t t1 = uv_hrtime();

    res.detail[sizeof res.detail - 1] = '\0';
    gc_heap_stats st;
    gc_heap_get_stats(h, &st);

    gcb_report r;
    memset(&r, 0, sizeof r);
    r.opt = o;
    gcb_run_stats_compute(&st, t1 - t0, &r.stats);
    r.pauses = st.pauses;
    r.npauses = st.npauses;
    r.verified = run_rc == 0 && res.verified;
    r.detail = res.detail;
    if (run_rc != 0)
        r.exit_code = GCB_EXIT_ERROR;
    else if (!res.verified)
        r.exit_code = GCB_EXIT_VERIFY_FAILED;
    else
        r.exit_code = GCB_EXIT_OK;

    int rc = r.exit_code;
    if (!o->quiet) {
        gcb_write_summary(stdout, &r);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "gcbench: error writing the summary to stdout\n");
            if (rc == GCB_EXIT_OK)
                rc = GCB_EXIT_ERROR;
        }
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

    if (run_rc != 0)
        fprintf(stderr, "gcbench: workload '%s' did not run to completion (status %d)%s%s\n",
                wl->name, run_rc, res.detail[0] ? ": " : "", res.detail);
    else if (!res.verified)
        fprintf(stderr, "gcbench: verification FAILED: %s\n",
                res.detail[0] ? res.detail : "(no detail)");

    gc_mutator_detach(m);
    gc_heap_destroy(h);
    return rc;
}

int gcb_main(int argc, char *argv[])
{
    gcb_options o;
    char err[512];
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
