#include "fuzz_support.h"
#include <stddef.h>

/* The sanitizer allocator interface (compiler-rt), weak: absent without -fsanitize=address / fuzzer. */
extern int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                                     void (*free_hook)(const volatile void *)) __attribute__((weak));
extern size_t __sanitizer_get_allocated_size(const volatile void *p) __attribute__((weak));
extern int __sanitizer_get_ownership(const volatile void *p) __attribute__((weak));

static int64_t live_bytes;  /* net bytes since begin; frees of older blocks make it negative */
static int64_t peak_bytes;
static int installed;

static void on_malloc(const volatile void *p, size_t size) {
    (void)p;
    int64_t now = __atomic_add_fetch(&live_bytes, (int64_t)size, __ATOMIC_RELAXED);
    int64_t peak = __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&peak_bytes, &peak, now, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

static void on_free(const volatile void *p) {
    if (p && __sanitizer_get_ownership(p))
        __atomic_sub_fetch(&live_bytes, (int64_t)__sanitizer_get_allocated_size(p), __ATOMIC_RELAXED);
}

int fuzz_allocation_begin(void) {
    if (!__sanitizer_install_malloc_and_free_hooks || !__sanitizer_get_allocated_size || !__sanitizer_get_ownership)
        return 0;
    if (!installed) installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
    if (!installed) return 0;
    __atomic_store_n(&live_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&peak_bytes, 0, __ATOMIC_RELAXED);
    return 1;
}

int64_t fuzz_allocation_peak(void) {
    return installed ? __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED) : -1;
}
