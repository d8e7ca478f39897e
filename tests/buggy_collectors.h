/* tests/buggy_collectors.h — deliberately broken collectors, for tests only
 * (tests/test_torture.c shows that `gcbench torture` catches each bug).
 * They are never registered: a test passes the descriptor to
 * gcb_torture_run directly.
 *
 * tests/CMakeLists.txt builds each tests/test_*.c alone, so a test that uses
 * these includes tests/buggy_collectors.c (once) after this header.
 */
#ifndef GCBENCH_TESTS_BUGGY_COLLECTORS_H
#define GCBENCH_TESTS_BUGGY_COLLECTORS_H

#include "core/collector.h"

/* A Cheney semispace copying collector (collectors/copying.c, condensed),
 * correct (the control, to show a mismatch comes from the planted bug) ... */
extern const gc_collector_ops buggy_control_ops;
/* ... and with one bug each: */
/* 1. its trace skips the last reference field of every record */
extern const gc_collector_ops buggy_untraced_field_ops;
/* 2. it visits the mutators' root stacks only: global roots and root
 *    scanners are never visited (nor updated) */
extern const gc_collector_ops buggy_skipped_root_ops;
/* 4. large objects are marked (kept) but their slots never traced */
extern const gc_collector_ops buggy_large_unscanned_ops;
/* 5. a reference to an object already copied gets a second copy instead
 *    of the forwarding address: identity (sharing) is lost */
extern const gc_collector_ops buggy_forward_twice_ops;

/* 6. copies every object larger than 16 bytes but its last word (which
 *    it fills with 0x5a5a5a5a5a5a5a5a): a payload changes */
extern const gc_collector_ops buggy_short_copy_ops;

/* Not a heap bug: an explicit collection (gc_collect) crashes with
 * SIGSEGV / never returns (torture reports them like a mismatch). */
extern const gc_collector_ops buggy_crash_ops;
extern const gc_collector_ops buggy_hang_ops;

/* 3. the generational collector (collectors/generational.c) with a write
 *    barrier that does nothing: old-to-young stores are not remembered.
 *    A copy of gc_generational_ops with one slot replaced. */
const gc_collector_ops *buggy_no_barrier_ops(void);

#endif
