/* libmicrohttpd loaded with dlopen; see api_microhttpd.h. */
#define _GNU_SOURCE /* secure_getenv: the test knob is ignored in setuid/setcap runs */
#include "api/api_microhttpd.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlsym gives a void *; POSIX guarantees it converts to a function pointer. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are data-sized");

static const struct {
    const char *name;
    size_t offset;
} symbols[] = {
    {"MHD_start_daemon", offsetof(struct api_microhttpd, start_daemon)},
    {"MHD_stop_daemon", offsetof(struct api_microhttpd, stop_daemon)},
    {"MHD_get_daemon_info", offsetof(struct api_microhttpd, get_daemon_info)},
    {"MHD_get_connection_values", offsetof(struct api_microhttpd, get_connection_values)},
    {"MHD_create_response_from_buffer",
     offsetof(struct api_microhttpd, create_response_from_buffer)},
    {"MHD_add_response_header", offsetof(struct api_microhttpd, add_response_header)},
    {"MHD_queue_response", offsetof(struct api_microhttpd, queue_response)},
    {"MHD_destroy_response", offsetof(struct api_microhttpd, destroy_response)},
};

static bool fail(const char *file, struct api_error *error)
{
    const char *reason = dlerror();
    snprintf(error->message, sizeof error->message, "cannot load %s (needed to serve the API): %s",
             file, reason ? reason : "unknown error");
    return false;
}

bool api_microhttpd_open(struct api_microhttpd *library, struct api_error *error)
{
    *library = (struct api_microhttpd){0};
    const char *file = secure_getenv("TRAILHOUND_LIBMICROHTTPD");
    if (!file || !*file)
        file = API_MICROHTTPD_SONAME;
    /* NODELETE: the last close keeps the code mapped, so its exit handlers (and GnuTLS's)
     * never point into unmapped memory and a later server does not initialise it again. */
    void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle)
        return fail(file, error);
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *address = dlsym(handle, symbols[i].name);
        if (!address) {
            fail(file, error); /* dlerror names the symbol */
            dlclose(handle);
            return false;
        }
        memcpy((char *)library + symbols[i].offset, &address, sizeof address);
    }
    library->handle = handle;
    return true;
}

void api_microhttpd_close(struct api_microhttpd *library)
{
    if (library->handle)
        dlclose(library->handle);
    *library = (struct api_microhttpd){0};
}
