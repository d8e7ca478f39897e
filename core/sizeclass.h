/* core/sizeclass.h — size classes for free-list allocation.
 *
 * Small objects (<= GC_SMALL_MAX bytes) are rounded up to one of
 * GC_SIZE_CLASS_COUNT cell sizes: 8-byte steps to 64 (small records are
 * common: a two-field record is 24 bytes, a GCBench node 40), 16-byte steps
 * to 128, then four classes per power of two up to 8 KiB, so at most 20% of
 * any cell is wasted. Larger objects go to a large-object space.
 * The lookup is one table load, so it can sit in the inline allocation path.
 */
#ifndef GC_SIZECLASS_H
#define GC_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#define GC_SMALL_MAX 8192
#define GC_SIZE_CLASS_COUNT 35

extern const uint16_t gc_size_class_bytes[GC_SIZE_CLASS_COUNT];
/* gc_size_class_table[(bytes + 7) >> 3] is the class of `bytes`. */
extern const uint8_t gc_size_class_table[GC_SMALL_MAX / 8 + 1];

static inline unsigned gc_size_class_of(size_t bytes)
{
    return gc_size_class_table[(bytes + 7) >> 3];
}

#endif /* GC_SIZECLASS_H */
