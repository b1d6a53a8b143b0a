/* Internal helper of libswiftoss (not part of the C ABI contract, which is swiftoss.h alone). */
#ifndef SWIFTOSS_SUPPORT_H
#define SWIFTOSS_SUPPORT_H
/** Path of the shared object this code is linked into (NULL if unknown); valid for the process's life. */
const char *oss_support_library_path(void);
#endif
