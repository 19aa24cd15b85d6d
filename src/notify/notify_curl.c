/* libcurl loaded with dlopen on first use; see notify_curl.h. */
#define _GNU_SOURCE /* secure_getenv: the test knob is ignored in setuid/setcap runs */
#include "notify/notify_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* The process-wide state (docs/design.md, Dependencies): written once by open_library
 * under pthread_once; `loaded` is what deliveries read, set while libcurl is initialised. */
static pthread_once_t open_once = PTHREAD_ONCE_INIT;
static struct notify_curl functions;
static bool opened;
static char open_error[sizeof(struct notify_error)];
static _Atomic(const struct notify_curl *) loaded;
static unsigned load_count; /* notify_curl_load calls not yet unloaded (single-threaded) */

static void fail_open(const char *file)
{
    const char *reason = dlerror();
    snprintf(open_error, sizeof open_error, "cannot load %s (needed to deliver notifications): %s",
             file, reason ? reason : "unknown error");
}

/* Never closed once resolved: libcurl and the TLS library it loads keep exit handlers. */
static void open_library(void)
{
    const char *file = secure_getenv("TRAILHOUND_LIBCURL");
    if (!file || !*file)
        file = NOTIFY_CURL_SONAME;
    void *library = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!library)
        return fail_open(file);
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *address = dlsym(library, symbols[i].name);
        if (!address) {
            fail_open(file); /* dlerror names the symbol */
            dlclose(library);
            return;
        }
        memcpy((char *)&functions + symbols[i].offset, &address, sizeof address);
    }
    opened = true;
}

bool notify_curl_load(struct notify_error *error)
{
    pthread_once(&open_once, open_library);
    if (!opened) {
        snprintf(error->message, sizeof error->message, "%s", open_error);
        return false;
    }
    CURLcode code = functions.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(error->message, sizeof error->message, "cannot initialise libcurl: %s",
                 functions.easy_strerror(code));
        return false;
    }
    load_count++;
    atomic_store_explicit(&loaded, &functions, memory_order_release);
    return true;
}

void notify_curl_unload(void)
{
    if (load_count == 0)
        return;
    if (--load_count == 0)
        atomic_store_explicit(&loaded, NULL, memory_order_release);
    functions.global_cleanup();
}

const struct notify_curl *notify_curl_loaded(void)
{
    return atomic_load_explicit(&loaded, memory_order_acquire);
}
