/* The libFuzzer entry point every harness defines; replay.c calls it for the stored inputs when
 * the compiler cannot build libFuzzer targets (and under the gcc ASan build). */
#ifndef KT_FUZZ_H
#define KT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
