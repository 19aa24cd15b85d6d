/* libcurl, loaded on first use: the commands that may deliver (serve, notify test,
 * scan --notify) load it before their threads start; every other command starts without
 * it and the ~30 libraries it pulls in (docs/design.md, Dependencies).
 * The command owns the loaded table and passes it down with each delivery
 * (notify_delivery.curl). Types and constants still come from <curl/curl.h>; only the
 * functions are resolved with dlsym. */
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

/* Loads libcurl (NOTIFY_CURL_SONAME, or the file TRAILHOUND_LIBCURL names: a test knob),
 * resolves its functions and calls curl_global_init(CURL_GLOBAL_DEFAULT), which is not
 * thread-safe: call it while the process has one thread. The table is the caller's (one per
 * command run), handed to deliveries as notify_delivery.curl; NULL with an error naming the
 * library ("cannot load libcurl.so.4 (needed to deliver notifications): …"). */
struct notify_curl *notify_curl_load(struct notify_error *error);
/* curl_global_cleanup, once no thread delivers any more, and frees the table (NULL: nothing).
 * The library stays mapped: it and the TLS library it loads keep exit handlers. */
void notify_curl_unload(struct notify_curl *library);

#endif
