/* The fuzz input as a file, for loaders that take a path (kubeconfig, scenarios): one temporary
 * file per process, rewritten for each input and removed at exit. */
#ifndef KT_FUZZ_TMPINPUT_H
#define KT_FUZZ_TMPINPUT_H

#include <stddef.h>
#include <stdint.h>

/* Writes data to the process's file and returns its path (owned by the module). */
const char *tmpinput_write(const uint8_t *data, size_t size, const char *suffix);

#endif
