/* bench/main.c — the gcbench executable. Everything lives in the
 * gcbench_bench library (bench/runner.c and friends) so tests link it. */
#include "runner.h"

int main(int argc, char *argv[])
{
    return gcb_main(argc, argv);
}
