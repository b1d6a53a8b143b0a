/* Support of the fuzz targets (Sources/OSSFuzz): peak heap use of one input, measured through the sanitizer
 * allocator's malloc/free hooks. Without a sanitizer runtime (plain builds) nothing is measured. */
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H
#include <stdint.h>

/** Starts measuring: net bytes allocated from now on (installs the hooks on first use). 0 when no sanitizer
 *  allocator is linked (the peak is then unknown), 1 when measuring. */
int fuzz_allocation_begin(void);

/** Largest net number of heap bytes live at once since fuzz_allocation_begin() (allocations minus frees of any
 *  block, on every thread), or -1 when not measuring. */
int64_t fuzz_allocation_peak(void);

#endif
