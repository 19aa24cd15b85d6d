/* libFuzzer target: every operation's request parsing and validation, past authentication.
 * Input: a first byte choosing the protocol (JSON 1.1 Logs, JSON 1.0 CloudWatch, query
 * CloudWatch, query SNS), the operation name up to '\n', then the body (JSON, or a form
 * for query). One in-memory store serves all runs. A call must end with a status and,
 * but for JSON operations without output, a body. */
#include "api/api_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct store *shared_store(void)
{
    static struct store *store;
    if (!store) {
        struct store_error error;
        store = store_open(":memory:", &error);
    }
    return store;
}

static void dispatch(struct api_call *call, const char *body, size_t length)
{
    struct api_form form = {0};
    bool query =
        call->protocol == API_PROTOCOL_MONITORING_QUERY || call->protocol == API_PROTOCOL_SNS_QUERY;
    if (query) {
        if (!api_form_parse(body, length, &form))
            return;
        call->form = &form;
        call->input = api_form_to_json(&form);
    } else {
        call->input = json_loadb(body, length, JSON_REJECT_DUPLICATES, NULL);
    }
    if (json_is_object(call->input)) {
        bool known = call->protocol == API_PROTOCOL_LOGS_JSON   ? api_logs_dispatch(call)
                     : call->protocol == API_PROTOCOL_SNS_QUERY ? api_sns_dispatch(call)
                                                                : api_monitoring_dispatch(call);
        if (known && (call->status == 0 || (query && !call->body)))
            __builtin_trap();
    }
    json_decref(call->input);
    api_form_free(&form);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store *store = shared_store();
    if (!store || size < 2)
        return 0;
    const uint8_t *newline = memchr(data + 1, '\n', size - 1);
    if (!newline || newline - data > 64)
        return 0;
    char operation[65];
    memcpy(operation, data + 1, (size_t)(newline - data - 1));
    operation[newline - data - 1] = '\0';
    struct api_settings settings = {.db_path = ":memory:"};
    struct api_call call = {.settings = &settings,
                            .store = store,
                            .protocol = (enum api_protocol)(data[0] % 4),
                            .operation = operation,
                            .request_id = "00000000-0000-4000-8000-000000000000",
                            .now_ms = INT64_C(1795707360000),
                            .account_id = "123456789012",
                            .region = "us-east-1"};
    dispatch(&call, (const char *)newline + 1, size - (size_t)(newline + 1 - data));
    free(call.body);
    return 0;
}
