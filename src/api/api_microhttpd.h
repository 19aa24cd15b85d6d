/* libmicrohttpd, loaded when the API server starts (api_server_start) and released when it
 * stops: every other command starts without it and the libraries it pulls in (GnuTLS…).
 * Types and constants come from <microhttpd.h>; only the functions are resolved. */
#ifndef TRAILHOUND_API_MICROHTTPD_H
#define TRAILHOUND_API_MICROHTTPD_H

#include "api/api.h"

#include <microhttpd.h>

/* the build sets it to the soname of the library it compiled against (CMakeLists.txt) */
#ifndef API_MICROHTTPD_SONAME
#define API_MICROHTTPD_SONAME "libmicrohttpd.so.12"
#endif

/* Exactly the functions the server calls, with their prototypes from microhttpd.h. */
struct api_microhttpd {
    void *handle; /* dlopen's */
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback accept_policy,
                                       void *accept_policy_context,
                                       MHD_AccessHandlerCallback handler, void *handler_context,
                                       ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *daemon,
                                                   enum MHD_DaemonInfoType type, ...);
    int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                 MHD_KeyValueIterator iterator, void *iterator_context);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
                                           const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code,
                                      struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
};

/* Loads API_MICROHTTPD_SONAME (or the file TRAILHOUND_LIBMICROHTTPD names: a test knob);
 * false with an error naming it ("cannot load libmicrohttpd.so.12 (needed to serve the
 * API): …"). */
bool api_microhttpd_open(struct api_microhttpd *library, struct api_error *error);
/* Releases the handle once no daemon of it runs; NULL handle: nothing. */
void api_microhttpd_close(struct api_microhttpd *library);

#endif
