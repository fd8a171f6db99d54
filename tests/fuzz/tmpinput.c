/* The fuzz input as a temporary file. */
#include "tmpinput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

static void remove_file(void)
{
    if (path[0] != '\0')
        unlink(path);
}

const char *tmpinput_write(const uint8_t *data, size_t size, const char *suffix)
{
    if (path[0] == '\0') {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/kt-fuzz-%ld%s", dir != NULL && dir[0] ? dir : "/tmp",
                 (long)getpid(), suffix);
        atexit(remove_file);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}
