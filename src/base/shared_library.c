/* dlopen and dlsym into a table; see shared_library.h. */
#define _GNU_SOURCE /* secure_getenv: the test knob is ignored in setuid/setcap runs */
#include "base/shared_library.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlsym gives a void *; POSIX guarantees it converts to a function pointer. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are data-sized");

static void describe_failure(const struct shared_library_request *request, const char *file,
                             char *error, size_t error_size)
{
    const char *reason = dlerror();
    snprintf(error, error_size, "cannot load %s (needed to %s): %s", file, request->needed_to,
             reason ? reason : "unknown error");
}

void *shared_library_open(const struct shared_library_request *request,
                          const struct shared_library_symbol *symbols, size_t symbol_count,
                          void *table, char *error, size_t error_size)
{
    const char *file =
        request->override_variable ? secure_getenv(request->override_variable) : NULL;
    if (!file || !*file)
        file = request->soname;
    void *handle = dlopen(file, request->flags);
    if (!handle) {
        describe_failure(request, file, error, error_size);
        return NULL;
    }
    for (size_t i = 0; i < symbol_count; i++) {
        void *address = dlsym(handle, symbols[i].name);
        if (!address) {
            describe_failure(request, file, error, error_size); /* before dlclose resets it */
            dlclose(handle);
            return NULL;
        }
        memcpy((char *)table + symbols[i].offset, &address, sizeof address);
    }
    return handle;
}
