/* libcurl loaded with dlopen on first use; see notify_curl.h. */
#include "notify/notify_curl.h"

#include "base/shared_library.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static const struct shared_library_symbol symbols[] = {
    {"curl_global_init", offsetof(struct notify_curl, global_init)},
    {"curl_global_cleanup", offsetof(struct notify_curl, global_cleanup)},
    {"curl_easy_init", offsetof(struct notify_curl, easy_init)},
    {"curl_easy_setopt", offsetof(struct notify_curl, easy_setopt)},
    {"curl_easy_perform", offsetof(struct notify_curl, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct notify_curl, easy_getinfo)},
    {"curl_easy_cleanup", offsetof(struct notify_curl, easy_cleanup)},
    {"curl_easy_strerror", offsetof(struct notify_curl, easy_strerror)},
    {"curl_easy_escape", offsetof(struct notify_curl, easy_escape)},
    {"curl_free", offsetof(struct notify_curl, free)},
    {"curl_slist_append", offsetof(struct notify_curl, slist_append)},
    {"curl_slist_free_all", offsetof(struct notify_curl, slist_free_all)},
};

/* The functions of libcurl, or false with the error. Never dlclose'd: libcurl and the TLS
 * library it loads keep exit handlers (a later dlopen of the same file only counts). */
static bool open_library(struct notify_curl *library, struct notify_error *error)
{
    static const struct shared_library_request request = {.soname = NOTIFY_CURL_SONAME,
                                                          .override_variable = "TRAILHOUND_LIBCURL",
                                                          .flags = RTLD_NOW | RTLD_LOCAL,
                                                          .needed_to = "deliver notifications"};
    return shared_library_open(&request, symbols, sizeof symbols / sizeof symbols[0], library,
                               error->message, sizeof error->message) != NULL;
}

struct notify_curl *notify_curl_load(struct notify_error *error)
{
    struct notify_curl *library = calloc(1, sizeof *library);
    if (!library) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    if (!open_library(library, error)) {
        free(library);
        return NULL;
    }
    CURLcode code = library->global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(error->message, sizeof error->message, "cannot initialise libcurl: %s",
                 library->easy_strerror(code));
        free(library);
        return NULL;
    }
    return library;
}

void notify_curl_unload(struct notify_curl *library)
{
    if (!library)
        return;
    library->global_cleanup();
    free(library);
}
