// C side of the ABI target: compile-time checks of swiftoss.h's struct layouts, and the one helper Swift cannot
// reach on Linux (dladdr needs _GNU_SOURCE). The oss_* functions themselves are defined in Swift (Sources/SwiftOSSC,
// `@_cdecl`), which imports these headers as the module `SwiftOSSABI` and so shares the layouts checked here.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include "swiftoss.h"
#include "swiftoss_support.h"

_Static_assert(sizeof(oss_tensor) == 48, "oss_tensor: data, rank, shape[4]");
_Static_assert(offsetof(oss_tensor, shape) == 16, "oss_tensor.shape at 16");
_Static_assert(sizeof(oss_weight) == 48, "oss_weight: dtype, rank, shape[3], data, scales");
_Static_assert(offsetof(oss_weight, data) == 32, "oss_weight.data at 32");
_Static_assert(sizeof(oss_attention_params) == 32, "oss_attention_params");
_Static_assert(sizeof(oss_sampling_params) == 24, "oss_sampling_params");
_Static_assert(sizeof(oss_model_options) == 24, "oss_model_options: 6 int32 (kv_cache since ABI 3)");
_Static_assert(sizeof(oss_model_info) == 96, "oss_model_info: 8 fields of 8 bytes, then 4 strings");
_Static_assert(sizeof(oss_status) == sizeof(int), "oss_status is an int");

const char *oss_support_library_path(void) {
    Dl_info info;
    if (dladdr((const void *)&oss_support_library_path, &info) == 0) return NULL;
    return info.dli_fname;
}
