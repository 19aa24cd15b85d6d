/* libcurl loaded with dlopen on first use; see notify_curl.h. */
#define _GNU_SOURCE /* secure_getenv: the test knob is ignored in setuid/setcap runs */
#include "notify/notify_curl.h"

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

static void fail_open(const char *file, struct notify_error *error)
{
    const char *reason = dlerror();
    snprintf(error->message, sizeof error->message,
             "cannot load %s (needed to deliver notifications): %s", file,
             reason ? reason : "unknown error");
}

/* The functions of the library `file`, or false with the error. Never dlclose'd: libcurl and
 * the TLS library it loads keep exit handlers (a later dlopen of the same file only counts). */
static bool open_library(struct notify_curl *library, struct notify_error *error)
{
    const char *file = secure_getenv("TRAILHOUND_LIBCURL");
    if (!file || !*file)
        file = NOTIFY_CURL_SONAME;
    void *handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fail_open(file, error);
        return false;
    }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *address = dlsym(handle, symbols[i].name);
        if (!address) {
            fail_open(file, error); /* dlerror names the symbol */
            dlclose(handle);
            return false;
        }
        memcpy((char *)library + symbols[i].offset, &address, sizeof address);
    }
    return true;
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
