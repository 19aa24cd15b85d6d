/* libmicrohttpd loaded with dlopen; see api_microhttpd.h. */
#include "api/api_microhttpd.h"

#include "base/shared_library.h"

#include <dlfcn.h>
#include <stddef.h>

static const struct shared_library_symbol symbols[] = {
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

bool api_microhttpd_open(struct api_microhttpd *library, struct api_error *error)
{
    /* NODELETE: the last close keeps the code mapped, so its exit handlers (and GnuTLS's)
     * never point into unmapped memory and a later server does not initialise it again. */
    static const struct shared_library_request request = {
        .soname = API_MICROHTTPD_SONAME,
        .override_variable = "TRAILHOUND_LIBMICROHTTPD",
        .flags = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE,
        .needed_to = "serve the API"};
    *library = (struct api_microhttpd){0};
    struct api_microhttpd resolved = {0};
    void *handle = shared_library_open(&request, symbols, sizeof symbols / sizeof symbols[0],
                                       &resolved, error->message, sizeof error->message);
    if (!handle)
        return false;
    *library = resolved;
    library->handle = handle;
    return true;
}

void api_microhttpd_close(struct api_microhttpd *library)
{
    if (library->handle)
        dlclose(library->handle);
    *library = (struct api_microhttpd){0};
}
