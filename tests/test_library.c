/* tests/test_library.c — gcbench as a library others link. Each case
 * installs this build into a fresh prefix (cmake --install BUILD --prefix
 * TMP/prefix) and builds the outside client tests/client/ against it:
 *   - find_package(gcbench) + gcbench::collectors (CMake package config),
 *   - cc $(pkg-config --cflags --libs gcbench) (gcbench.pc),
 *   - add_subdirectory() of the source tree from an outer project,
 * runs the client (a list built among garbage, a major collection with the
 * verifier on, the list checked) and checks its output line. Also: the
 * installed tree holds the public headers and no private one, and each
 * installed header compiles on its own (-std=c11 -pedantic -Werror, no
 * _GNU_SOURCE).
 * The client uses the collector in GCBENCH_COLLECTOR if set, else
 * marksweep if registered, else the first registered collector. A failing
 * case keeps its directory (named in the message) with the logs. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/registry.h"
#include "shell.h"

static char tmp[256];  /* this case's directory */
static char prefix[320];


/* The file's last `max` bytes (for failure messages); "" if unreadable. */
static const char *tail_of(const char *path, long max)
{
    static char buf[4096];
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return buf;
    if (max > (long)sizeof buf - 1)
        max = (long)sizeof buf - 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, n > max ? n - max : 0, SEEK_SET);
    size_t got = fread(buf, 1, (size_t)max, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Runs a shell command with stdout+stderr into TMP/NAME.log; asserts it
 * exits 0, else shows the log's end. */
static void step(const char *name, const char *cmd)
{
    const char *log = fmt("%s/%s.log", tmp, name);
    int st = sh("( %s ) >'%s' 2>&1", cmd, log);
    cr_assert_eq(st, 0, "%s failed (exit %d): %s\n--- %s (end) ---\n%s\n(kept %s)", name, st, cmd, log,
                 tail_of(log, 3000), tmp);
}

static const char *client_collector(void)
{
    const char *env = getenv("GCBENCH_COLLECTOR");
    if (env && *env)
        return env;
    if (gc_collector_find("marksweep"))
        return "marksweep";
    return gc_registered_collectors[0]->name;
}

/* Runs the client binary and checks its one line of output. */
static void run_client(const char *name, const char *bin)
{
    const char *c = client_collector();
    step(fmt("%s-run", name), fmt("'%s' '%s'", bin, c));
    const char *out = tail_of(fmt("%s/%s-run.log", tmp, name), 1000);
    const char *want = fmt("client: %s: 1000 nodes, sum 500500, ", c);
    cr_assert(strncmp(out, want, strlen(want)) == 0 && strstr(out, " collections, verified\n"),
              "%s: client printed \"%s\", want \"%s... collections, verified\"", name, out, want);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/gcbench-library-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(tmp), "mkdtemp %s: %s", tmp, strerror(errno));
    snprintf(prefix, sizeof prefix, "%s/prefix", tmp);
}

/* Installs the build into TMP/prefix. */
static void install(void)
{
    step("install", fmt("'%s' --install '%s' --prefix '%s'", GCBENCH_CMAKE, GCBENCH_BINARY_DIR, prefix));
}

static void cleanup(void) { sh("rm -rf '%s'", tmp); }

TestSuite(library, .init = setup, .timeout = 600);

Test(library, installs_public_headers_only)
{
    install();
    const char *lib = fmt("%s/%s", prefix, GCBENCH_INSTALL_LIBDIR);
    static const char *const want[] = {
        "libgcbench_core.a", "libgcbench_collectors.a", "libgcbench_vm.a",
        "cmake/gcbench/gcbenchConfig.cmake", "cmake/gcbench/gcbenchConfigVersion.cmake",
        "cmake/gcbench/gcbenchTargets.cmake", "pkgconfig/gcbench.pc",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect(exists(fmt("%s/%s", lib, want[i])), "not installed: %s/%s", lib, want[i]);
    const char *inc = fmt("%s/include/gcbench", prefix);
    static const char *const pub[] = {"core/heap.h", "core/collector.h", "core/object.h",
                                      "core/events.h", "core/vm/vm.h", "collectors/registry.h",
                                      "collectors/los.h", "collectors/space.h",
                                      "workloads/workload.h"};
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
        cr_expect(exists(fmt("%s/%s", inc, pub[i])), "public header not installed: %s/%s", inc, pub[i]);
    static const char *const priv[] = {"core/heap_impl.h", "core/vm/vm_impl.h", "workloads/wl_util.h"};
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++)
        cr_expect(!exists(fmt("%s/%s", inc, priv[i])), "private header installed: %s/%s", inc, priv[i]);
    cr_expect(exists(fmt("%s/bin/gcbench", prefix)), "bin/gcbench not installed");
    cleanup();
}

/* Every installed header alone, as a client compiles it. */
Test(library, installed_headers_compile_alone)
{
    install();
    const char *inc = fmt("%s/include/gcbench", prefix);
    step("headers", fmt("n=0; for h in $(cd '%s' && find . -name '*.h' | sort); do"
                        "  n=$((n+1)); echo \"#include \\\"${h#./}\\\"\" > '%s/h.c';"
                        "  '%s' -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I'%s' '%s/h.c'"
                        "    || { echo \"FAILS ALONE: $h\"; exit 1; };"
                        " done; echo \"$n headers\"; [ $n -ge 10 ]",
                        inc, tmp, GCBENCH_CC, inc, tmp));
    cleanup();
}

Test(library, find_package_client)
{
    install();
    const char *flags = GCBENCH_CLIENT_FLAGS;
    step("client-configure",
         fmt("'%s' -S '%s/tests/client' -B '%s/client' -DCMAKE_PREFIX_PATH='%s' -DCMAKE_C_COMPILER='%s'"
             " -DCMAKE_BUILD_TYPE='%s' -DCMAKE_C_FLAGS='%s' -DCMAKE_EXE_LINKER_FLAGS='%s'",
             GCBENCH_CMAKE, GCBENCH_SOURCE_DIR, tmp, prefix, GCBENCH_CC, GCBENCH_BUILD_TYPE, flags, flags));
    step("client-build", fmt("'%s' --build '%s/client'", GCBENCH_CMAKE, tmp));
    run_client("client", fmt("%s/client/client", tmp));
    cleanup();
}

Test(library, pkg_config_client)
{
    install();
    const char *pcdir = fmt("%s/%s/pkgconfig", prefix, GCBENCH_INSTALL_LIBDIR);
    const char *pc = fmt("PKG_CONFIG_PATH='%s' '%s'", pcdir, GCBENCH_PKG_CONFIG);
    step("pc-version", fmt("test \"$(%s --modversion gcbench)\" = '%s'", pc, GCBENCH_VERSION));
    step("pc-build", fmt("'%s' -std=c11 -pedantic -Wall -Wextra -Werror %s '%s/tests/client/client.c'"
                         " -o '%s/pc-client' $(%s --cflags --libs gcbench)",
                         GCBENCH_CC, GCBENCH_CLIENT_FLAGS, GCBENCH_SOURCE_DIR, tmp, pc));
    run_client("pc-client", fmt("%s/pc-client", tmp));
    cleanup();
}

/* An outer project that add_subdirectory()s the source tree: gcbench's
 * paths are its own (PROJECT_SOURCE_DIR), and as a subproject it builds
 * no tests, peers or checks. Builds only what the client needs. */
Test(library, add_subdirectory_client)
{
    step("sub-configure",
         fmt("'%s' -S '%s/tests/client' -B '%s/sub' -DGCBENCH_SOURCE='%s' -DCMAKE_C_COMPILER='%s'"
             " -DCMAKE_BUILD_TYPE='%s' -DCMAKE_C_FLAGS='%s' -DCMAKE_EXE_LINKER_FLAGS='%s'"
             " -DGCBENCH_SANITIZE=%s",
             GCBENCH_CMAKE, GCBENCH_SOURCE_DIR, tmp, GCBENCH_SOURCE_DIR, GCBENCH_CC, GCBENCH_BUILD_TYPE,
             GCBENCH_CLIENT_FLAGS, GCBENCH_CLIENT_FLAGS, GCBENCH_SANITIZE_OPTION));
    cr_expect(!exists(fmt("%s/sub/gcbench/tests", tmp)), "the subproject configured its tests");
    cr_expect(!exists(fmt("%s/sub/gcbench/gcbench.pc", tmp)), "the subproject configured install rules");
    step("sub-build", fmt("'%s' --build '%s/sub' --target client -j2", GCBENCH_CMAKE, tmp));
    run_client("sub-client", fmt("%s/sub/client", tmp));
    cleanup();
}
