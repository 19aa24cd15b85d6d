/* The HTTP server (libmicrohttpd): collects each request (bodies up to API_MAX_BODY_BYTES),
 * tells the services apart (aws-api.md §2), checks SigV4 (§8) and hands the call to the
 * service's operations; SNS's callback URLs, /metrics and /healthz are answered unsigned. */
#include "api/api_internal.h"
#include "api/api_microhttpd.h"

#include "notify/notify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <zlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct api_server {
    struct api_settings settings;
    struct api_microhttpd microhttpd;  /* loaded by api_server_start, closed last */
    struct MHD_Daemon *daemon;         /* the API on `listen` (NULL when not set) */
    struct MHD_Daemon *metrics_daemon; /* /metrics and /healthz on `metrics_listen` */
    int port, metrics_port;
};

/* What one connection's request accumulates. */
struct pending_request {
    char *body;
    size_t length;
    bool too_large;
};

static int64_t wall_clock_ms(void *context)
{
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static enum MHD_Result collect_header(void *context, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct api_request *request = context;
    if (request->header_count >= API_MAX_HEADERS)
        return MHD_NO;
    char *name = strdup(key);
    char *copy = strdup(value ? value : "");
    if (!name || !copy) {
        free(name);
        free(copy);
        return MHD_NO;
    }
    for (char *at = name; *at; at++)
        *at = (char)(*at >= 'A' && *at <= 'Z' ? *at + 32 : *at);
    request->headers[request->header_count++] = (struct api_header){name, copy};
    return MHD_YES;
}

static void free_headers(struct api_request *request)
{
    for (size_t i = 0; i < request->header_count; i++) {
        free(request->headers[i].name);
        free(request->headers[i].value);
    }
    request->header_count = 0;
}

static enum MHD_Result send_call(const struct api_microhttpd *microhttpd,
                                 struct MHD_Connection *connection, struct api_call *call)
{
    const char *body = call->body ? call->body : "";
    struct MHD_Response *response =
        microhttpd->create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    microhttpd->add_response_header(response, "x-amzn-RequestId", call->request_id);
    if (call->content_type)
        microhttpd->add_response_header(response, "Content-Type", call->content_type);
    if (call->query_error[0])
        microhttpd->add_response_header(response, "x-amzn-query-error", call->query_error);
    enum MHD_Result result = microhttpd->queue_response(
        connection, (unsigned)(call->status ? call->status : 500), response);
    microhttpd->destroy_response(response);
    return result;
}

/* Which service and protocol the request names; false with an error answered. */
static bool classify(struct api_call *call, const struct api_request *request,
                     struct api_form *form, char *target, size_t target_size)
{
    if (api_request_header(request, "x-amz-target", target, target_size)) {
        char *dot = strchr(target, '.');
        call->operation = dot ? dot + 1 : "";
        call->protocol = API_PROTOCOL_LOGS_JSON;
        if (dot && strncmp(target, "GraniteServiceVersion20100801.", 30) == 0)
            call->protocol = API_PROTOCOL_MONITORING_JSON;
        else if (!dot || strncmp(target, "Logs_20140328.", 14) != 0) {
            api_fail(call, 400, "UnknownOperationException", "Unknown operation.");
            return false;
        }
        return true;
    }
    call->protocol = API_PROTOCOL_SNS_QUERY;
    if (!api_form_parse(request->body, request->body_length, form)) {
        api_fail(call, 400, "MalformedQueryString", "The request body is not a valid form.");
        return false;
    }
    const char *version = api_form_get(form, "Version");
    const char *action = api_form_get(form, "Action");
    if (version && strcmp(version, "2010-08-01") == 0)
        call->protocol = API_PROTOCOL_MONITORING_QUERY;
    call->operation = action ? action : "";
    if (!action || !version ||
        (strcmp(version, "2010-08-01") != 0 && strcmp(version, "2010-03-31") != 0)) {
        api_fail(call, 400, "InvalidAction", "Could not find operation for this request.");
        return false;
    }
    return true;
}

static const char *expected_service(enum api_protocol protocol)
{
    switch (protocol) {
    case API_PROTOCOL_LOGS_JSON:
        return "logs";
    case API_PROTOCOL_SNS_QUERY:
        return "sns";
    default:
        return "monitoring";
    }
}

static bool authenticate(struct api_call *call, const struct api_request *request)
{
    if (call->settings->allow_unsigned)
        return true;
    struct api_auth_result result;
    api_sigv4_verify(request, call->settings->credentials, call->now_ms, &result);
    bool json =
        call->protocol == API_PROTOCOL_LOGS_JSON || call->protocol == API_PROTOCOL_MONITORING_JSON;
    int status = json ? 400 : 403;
    if (result.status == API_AUTH_OK && strcmp(result.service, expected_service(call->protocol)))
        result = (struct api_auth_result){.status = API_AUTH_INCOMPLETE,
                                          .message = "Credential should be scoped to correct "
                                                     "service."};
    switch (result.status) {
    case API_AUTH_OK:
        return true;
    case API_AUTH_MISSING:
        api_fail(call, status,
                 json ? "MissingAuthenticationTokenException" : "MissingAuthenticationToken",
                 result.message);
        return false;
    case API_AUTH_INCOMPLETE:
        api_fail(call, status, json ? "IncompleteSignatureException" : "IncompleteSignature",
                 result.message);
        return false;
    case API_AUTH_UNKNOWN_KEY:
        api_fail(call, status, json ? "UnrecognizedClientException" : "InvalidClientTokenId",
                 result.message);
        return false;
    case API_AUTH_MISMATCH:
    case API_AUTH_EXPIRED:
        api_fail(call, status, json ? "InvalidSignatureException" : "SignatureDoesNotMatch",
                 result.message);
        return false;
    case API_AUTH_INTERNAL:
        break;
    }
    api_fail_internal(call, "signature check failed");
    return false;
}

static bool parse_input(struct api_call *call, const struct api_request *request,
                        const struct api_form *form)
{
    if (call->protocol == API_PROTOCOL_MONITORING_QUERY ||
        call->protocol == API_PROTOCOL_SNS_QUERY) {
        call->form = form;
        call->input = api_form_to_json(form);
    } else if (request->body_length == 0) {
        call->input = json_object();
    } else {
        call->input = json_loadb(request->body, request->body_length,
                                 JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK * 0, NULL);
    }
    if (json_is_object(call->input))
        return true;
    bool json = !call->form;
    api_fail(call, 400, json ? "SerializationException" : "InvalidParameterValue",
             json ? "The request body is not a JSON object." : "Malformed query parameters.");
    return false;
}

static void run_operation(struct api_call *call)
{
    struct store_error store_error;
    call->store = store_open(call->settings->db_path, &store_error);
    if (!call->store)
        return api_fail_internal(call, store_error.message);
    bool known = call->protocol == API_PROTOCOL_LOGS_JSON   ? api_logs_dispatch(call)
                 : call->protocol == API_PROTOCOL_SNS_QUERY ? api_sns_dispatch(call)
                                                            : api_monitoring_dispatch(call);
    store_close(call->store);
    call->store = NULL;
    if (!known) {
        bool json = call->protocol == API_PROTOCOL_LOGS_JSON ||
                    call->protocol == API_PROTOCOL_MONITORING_JSON;
        api_fail(call, 400, json ? "UnknownOperationException" : "InvalidAction",
                 json ? "Unknown operation." : "Could not find operation for this request.");
    }
}

/* Content-Encoding: gzip (newer clients' PutMetricData, aws-api.md §4.4): inflated after
 * the signature was checked over the compressed bytes, to at most API_MAX_BODY_BYTES. */
static bool inflate_body(const struct api_request *request, char **out, size_t *length)
{
    z_stream stream = {0};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return false;
    char *inflated = malloc(API_MAX_BODY_BYTES + 1);
    stream.next_in = (Bytef *)request->body;
    stream.avail_in = (uInt)request->body_length;
    stream.next_out = (Bytef *)inflated;
    stream.avail_out = API_MAX_BODY_BYTES;
    int status = inflated ? inflate(&stream, Z_FINISH) : Z_MEM_ERROR;
    *length = stream.total_out;
    inflateEnd(&stream);
    if (status != Z_STREAM_END) {
        free(inflated);
        return false;
    }
    inflated[*length] = '\0';
    *out = inflated;
    return true;
}

static bool decode_body(struct api_call *call, const struct api_request *request,
                        struct api_request *decoded, char **inflated)
{
    char encoding[64];
    *decoded = *request;
    *inflated = NULL;
    if (!api_request_header(request, "content-encoding", encoding, sizeof encoding) ||
        strcmp(encoding, "identity") == 0)
        return true;
    if (strcmp(encoding, "gzip") != 0 || !inflate_body(request, inflated, &decoded->body_length)) {
        api_fail(call, 400, "InvalidParameterValue",
                 "The body is not valid gzip of at most 2 MiB (the only Content-Encoding "
                 "accepted).");
        return false;
    }
    decoded->body = *inflated;
    return true;
}

static void handle_api_call(struct api_call *call, const struct api_request *request)
{
    struct api_form form = {0};
    char target[256];
    struct api_request decoded;
    char *inflated = NULL;
    if (classify(call, request, &form, target, sizeof target) && authenticate(call, request) &&
        decode_body(call, request, &decoded, &inflated) && parse_input(call, &decoded, &form))
        run_operation(call);
    free(inflated);
    json_decref(call->input);
    call->input = NULL;
    api_form_free(&form);
}

static void init_call(struct api_call *call, const struct api_server *server)
{
    *call = (struct api_call){.settings = &server->settings, .status = 500};
    if (!notify_uuid(call->request_id))
        snprintf(call->request_id, sizeof call->request_id, "00000000-0000-4000-8000-000000000000");
    call->now_ms = server->settings.now_ms ? server->settings.now_ms(server->settings.context)
                                           : wall_clock_ms(NULL);
    const struct config *config = server->settings.config;
    call->account_id =
        config && config->settings.account_id ? config->settings.account_id : "000000000000";
    call->region = config && config->settings.region ? config->settings.region : "us-east-1";
    call->protocol = API_PROTOCOL_LOGS_JSON;
    call->operation = "";
}

static enum MHD_Result collect_argument(void *context, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    struct api_form *form = context;
    if (form->count >= API_MAX_FORM_FIELDS)
        return MHD_NO;
    struct api_form_field *grown = realloc(form->fields, (form->count + 1) * sizeof *grown);
    if (!grown)
        return MHD_NO;
    form->fields = grown;
    form->fields[form->count] = (struct api_form_field){strdup(key), strdup(value ? value : "")};
    form->count++;
    return MHD_YES;
}

static bool answer_callback(const struct api_microhttpd *microhttpd, struct api_call *call,
                            struct MHD_Connection *connection, const char *method, const char *path)
{
    if (strcmp(method, "GET") != 0)
        return false;
    struct api_form query = {0};
    microhttpd->get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_argument, &query);
    bool known = true;
    for (size_t i = 0; i < query.count; i++)
        known = known && query.fields[i].name && query.fields[i].value;
    known = known && api_callback_answer(call, path, &query);
    api_form_free(&query);
    return known;
}

/* /metrics and /healthz: on `metrics_listen` when set, else on `listen`. */
static bool answer_operations(struct api_call *call, const char *method, const char *path,
                              bool operations_listener)
{
    bool here = operations_listener || !call->settings->metrics_listen;
    return here && strcmp(method, "GET") == 0 && api_operations_answer(call, path);
}

static enum MHD_Result answer(struct api_server *server, struct MHD_Connection *connection,
                              const char *method, const char *url, struct pending_request *pending,
                              bool operations_listener)
{
    struct api_call call;
    init_call(&call, server);
    struct api_request request = {.method = method,
                                  .path = url,
                                  .query = "",
                                  .body = pending->body ? pending->body : "",
                                  .body_length = pending->length};
    server->microhttpd.get_connection_values(connection, MHD_HEADER_KIND, collect_header, &request);
    if (pending->too_large)
        api_fail(&call, 413, "RequestEntityTooLarge", "The request body is larger than 2 MiB.");
    else if (request.header_count >= API_MAX_HEADERS)
        api_fail(&call, 400, "InvalidRequest", "Too many headers.");
    else if (!operations_listener && strcmp(method, "POST") == 0 && strcmp(url, "/") == 0)
        handle_api_call(&call, &request);
    else if (!answer_operations(&call, method, url, operations_listener) &&
             (operations_listener ||
              !answer_callback(&server->microhttpd, &call, connection, method, url)))
        api_fail(&call, 404, "NotFound", "Not found.");
    free_headers(&request);
    enum MHD_Result result = send_call(&server->microhttpd, connection, &call);
    free(call.body);
    return result;
}

static enum MHD_Result on_any_request(struct api_server *server, struct MHD_Connection *connection,
                                      const char *url, const char *method, const char *upload_data,
                                      size_t *upload_data_size, void **connection_context,
                                      bool operations_listener)
{
    struct pending_request *pending = *connection_context;
    if (!pending) {
        pending = calloc(1, sizeof *pending);
        *connection_context = pending;
        return pending ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        size_t more = *upload_data_size;
        *upload_data_size = 0;
        if (pending->too_large || pending->length + more > API_MAX_BODY_BYTES) {
            pending->too_large = true;
            return MHD_YES;
        }
        char *grown = realloc(pending->body, pending->length + more + 1);
        if (!grown)
            return MHD_NO;
        memcpy(grown + pending->length, upload_data, more);
        pending->body = grown;
        pending->length += more;
        pending->body[pending->length] = '\0';
        return MHD_YES;
    }
    return answer(server, connection, method, url, pending, operations_listener);
}

static enum MHD_Result on_request(void *context, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **connection_context)
{
    (void)version;
    return on_any_request(context, connection, url, method, upload_data, upload_data_size,
                          connection_context, false);
}

static enum MHD_Result on_operations_request(void *context, struct MHD_Connection *connection,
                                             const char *url, const char *method,
                                             const char *version, const char *upload_data,
                                             size_t *upload_data_size, void **connection_context)
{
    (void)version;
    return on_any_request(context, connection, url, method, upload_data, upload_data_size,
                          connection_context, true);
}

static void on_completed(void *context, struct MHD_Connection *connection,
                         void **connection_context, enum MHD_RequestTerminationCode code)
{
    (void)context;
    (void)connection;
    (void)code;
    struct pending_request *pending = *connection_context;
    if (pending) {
        free(pending->body);
        free(pending);
    }
    *connection_context = NULL;
}

static bool parse_listen(const char *listen, struct sockaddr_in *address, struct api_error *error)
{
    char host[64];
    int port = -1;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        snprintf(error->message, sizeof error->message, "listen address %s: expected HOST:PORT",
                 listen ? listen : "(none)");
        return false;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    port = (int)strtol(colon + 1, &end, 10);
    *address = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &address->sin_addr) != 1) {
        snprintf(error->message, sizeof error->message, "listen address %s: expected IPv4:PORT",
                 listen);
        return false;
    }
    return true;
}

/* One libmicrohttpd daemon on `listen`; its bound port into *port. */
static struct MHD_Daemon *start_listener(struct api_server *server, const char *listen,
                                         MHD_AccessHandlerCallback handler, int *port,
                                         struct api_error *error)
{
    struct sockaddr_in address;
    if (!parse_listen(listen, &address, error))
        return NULL;
    struct MHD_Daemon *daemon = server->microhttpd.start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, handler, server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (!daemon) {
        snprintf(error->message, sizeof error->message, "cannot listen on %s", listen);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        server->microhttpd.get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : ntohs(address.sin_port);
    return daemon;
}

struct api_server *api_server_start(const struct api_settings *settings, struct api_error *error)
{
    if (!settings->db_path || (!settings->listen && !settings->metrics_listen)) {
        snprintf(error->message, sizeof error->message,
                 settings->db_path ? "no listen address" : "no database path");
        return NULL;
    }
    struct api_server *server = calloc(1, sizeof *server);
    if (!server) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    server->settings = *settings;
    if (!api_microhttpd_open(&server->microhttpd, error)) {
        free(server);
        return NULL;
    }
    if ((settings->listen && !(server->daemon = start_listener(server, settings->listen, on_request,
                                                               &server->port, error))) ||
        (settings->metrics_listen && !(server->metrics_daemon = start_listener(
                                           server, settings->metrics_listen, on_operations_request,
                                           &server->metrics_port, error)))) {
        api_server_stop(server);
        return NULL;
    }
    return server;
}

int api_server_port(const struct api_server *server)
{
    return server->port;
}

int api_server_metrics_port(const struct api_server *server)
{
    return server->metrics_port;
}

void api_server_stop(struct api_server *server)
{
    if (!server)
        return;
    if (server->daemon)
        server->microhttpd.stop_daemon(server->daemon);
    if (server->metrics_daemon)
        server->microhttpd.stop_daemon(server->metrics_daemon);
    api_microhttpd_close(&server->microhttpd);
    free(server);
}
