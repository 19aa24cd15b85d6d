/* libcurl, loaded on first use: the commands that may deliver (serve, notify test,
 * scan --notify) load it before their threads start; every other command starts without
 * it and the ~30 libraries it pulls in (docs/design.md, Dependencies).
 *
 * The loaded library is the one process-wide state of trailhound (docs/design.md says
 * why): deliveries reach libcurl through monitor_deliver_due, whose settings have no room
 * for it, so notify_deliver finds it with notify_curl_loaded. Types and constants still
 * come from <curl/curl.h>; only the functions are resolved with dlsym. */
#ifndef TRAILHOUND_NOTIFY_CURL_H
#define TRAILHOUND_NOTIFY_CURL_H

#include "notify/notify.h"

#include <curl/curl.h>

/* the build sets it to the soname of the library it compiled against (CMakeLists.txt) */
#ifndef NOTIFY_CURL_SONAME
#define NOTIFY_CURL_SONAME "libcurl.so.4"
#endif

/* Exactly the libcurl functions trailhound calls, with their prototypes from curl.h. The
 * variadic ones take their arguments as the real functions do: long, pointer, curl_off_t
 * or function pointer as the option requires. */
struct notify_curl {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    char *(*easy_escape)(CURL *curl, const char *text, int length);
    void (*free)(void *pointer);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
};

/* Loads libcurl (NOTIFY_CURL_SONAME, or the file TRAILHOUND_LIBCURL names: a test knob)
 * once per process and calls curl_global_init(CURL_GLOBAL_DEFAULT). Call it while the
 * process has one thread; false with an error naming the library ("cannot load
 * libcurl.so.4 (needed to deliver notifications): …"). Each true is paired with one
 * notify_curl_unload. */
bool notify_curl_load(struct notify_error *error);
/* curl_global_cleanup, once no thread delivers any more. The library stays mapped. */
void notify_curl_unload(void);
/* The functions, or NULL when no command loaded libcurl. */
const struct notify_curl *notify_curl_loaded(void);

#endif
