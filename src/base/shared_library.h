/* A shared library loaded with dlopen when a command first needs it, its functions resolved
 * into the caller's table of typed pointers (libcurl and libmicrohttpd: docs/design.md,
 * Dependencies). Any stage may use it. */
#ifndef TRAILHOUND_BASE_SHARED_LIBRARY_H
#define TRAILHOUND_BASE_SHARED_LIBRARY_H

#include <stddef.h>

/* One function of the library, and where its address goes in the caller's table. */
struct shared_library_symbol {
    const char *name;
    size_t offset;
};

/* What to load: the soname, the environment variable that may name another file instead (a
 * test knob; ignored in setuid/setcap runs), dlopen's flags, and what the library is needed
 * for, which the error names. */
struct shared_library_request {
    const char *soname;
    const char *override_variable;
    int flags;
    const char *needed_to; /* "deliver notifications" */
};

/* Opens the library and writes each symbol's address into `table` at its offset. The handle
 * is the caller's; NULL with "cannot load FILE (needed to NEEDED_TO): <dlerror>" in `error`
 * (dlerror names a missing symbol), and nothing left open. */
void *shared_library_open(const struct shared_library_request *request,
                          const struct shared_library_symbol *symbols, size_t symbol_count,
                          void *table, char *error, size_t error_size);

#endif
