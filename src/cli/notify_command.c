/* `trailhound notify test`: one test message through every subscription of a topic, each
 * delivered at once over its real protocol, with each delivery's result. */
#include "cli/commands.h"
#include "config/config.h"
#include "monitor/monitor.h"
#include "notify/notify.h"
#include "notify/notify_curl.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char notify_help[] =
    "usage: trailhound notify test --config FILE... --topic NAME|ARN [--smtp URL]\n"
    "       trailhound notify status [--db PATH] [--format text|json]\n"
    "\n"
    "status: the outbox of a store as a health check — pending and failed notifications,\n"
    "each failure with its subscription, endpoint (redacted), attempts and last error.\n"
    "Exit status 0 when nothing failed, 4 when a notification failed for good, 1 when the\n"
    "store cannot be read.\n"
    "\n"
    "test: "
    "Send a test message through every subscription of a topic of the configuration\n"
    "(e-mail over SMTP, signed SNS messages over HTTP/S, Slack, PagerDuty — a trigger then\n"
    "its resolve —, exec, SNS), one attempt each, and print each delivery's result.\n"
    "\n"
    "  --config FILE  the configuration holding the topic (repeatable)\n"
    "  --topic T      the topic's name or ARN\n"
    "  --smtp URL     the SMTP server (smtp://127.0.0.1:2525), instead of settings.smtp.url\n"
    "\n"
    "Exit status: 0 when every delivery succeeded, 4 when one did not, 2 on a usage or\n"
    "configuration error.\n";

struct notify_options {
    const char *configs[16];
    size_t config_count;
    const char *topic;
    const char *smtp_url;
};

static int usage_error(const char *message, const char *argument)
{
    fprintf(stderr, "trailhound: notify: %s%s\n", message, argument ? argument : "");
    fprintf(stderr, "Run 'trailhound notify --help' for usage.\n");
    return 2;
}

static int parse_options(int argc, char **argv, struct notify_options *options)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(notify_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "test") != 0)
        return usage_error("unknown subcommand (test or status): ", argv[1]);
    for (int i = 2; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--config") == 0 && has_value) {
            if (options->config_count == sizeof options->configs / sizeof options->configs[0])
                return usage_error("too many --config files", NULL);
            options->configs[options->config_count++] = argv[++i];
        } else if (strcmp(argv[i], "--topic") == 0 && has_value) {
            options->topic = argv[++i];
        } else if (strcmp(argv[i], "--smtp") == 0 && has_value) {
            options->smtp_url = argv[++i];
        } else {
            return usage_error("unknown option or missing value: ", argv[i]);
        }
    }
    if (options->config_count == 0 || !options->topic)
        return usage_error("give --config FILE and --topic NAME|ARN", NULL);
    return -1;
}

static bool load(const struct notify_options *options, struct config *config)
{
    struct config_error error;
    bool ok = config_init(config);
    for (size_t i = 0; ok && i < options->config_count; i++)
        if (!config_load(options->configs[i], config, &error)) {
            fprintf(stderr, "trailhound: %s\n", error.message);
            return false;
        }
    char *warnings = NULL;
    if (ok && !config_finish(config, &warnings, &error)) {
        fprintf(stderr, "trailhound: %s\n", error.message);
        return false;
    }
    free(warnings);
    return ok;
}

static int64_t wall_clock_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

struct test_context {
    const struct config *config;
    const struct notify_options *options;
    const struct notify_topic *topic;
    /* rendered as the monitor renders a Publish or failure alert, so a test shows what
     * an alarm-time delivery sends (only public_base_url and signing_key are set) */
    const struct monitor_notify_settings *render;
    const struct notify_curl *curl; /* loaded by the command */
};

/* One attempt to one subscription; prints the result; true when delivered. A PagerDuty
 * `resolve` closes the trigger sent with the same `message_id`. */
static bool send_one(const struct test_context *context,
                     const struct notify_subscription *subscription, const char *message_id,
                     bool resolve)
{
    const struct config_settings *settings = &context->config->settings;
    char text[1024]; /* holds the longest topic and subscription ARNs */
    snprintf(text, sizeof text,
             "This is a test message from trailhound for topic %s, subscription %s.",
             context->topic->arn, subscription->arn);
    struct notify_error error = {{0}};
    char *endpoint = notify_secret_resolve(subscription->endpoint, &error);
    char *password =
        settings->smtp_password ? notify_secret_resolve(settings->smtp_password, &error) : NULL;
    char *body =
        resolve ? monitor_render_text_resolve(message_id)
                : monitor_render_text(context->render, context->topic, subscription,
                                      "trailhound test message", text, message_id, wall_clock_ms());
    struct notify_smtp_settings smtp = {
        .url = context->options->smtp_url ? context->options->smtp_url : settings->smtp_url,
        .from = settings->smtp_from ? settings->smtp_from : "trailhound@localhost",
        .username = settings->smtp_username,
        .password = password,
        .starttls = settings->smtp_starttls};
    struct notify_delivery delivery = {.protocol = subscription->protocol,
                                       .endpoint = endpoint,
                                       .subject = "trailhound test message",
                                       .body = body,
                                       .message_type = "Notification",
                                       .message_id = message_id,
                                       .topic_arn = context->topic->arn,
                                       .subscription_arn = subscription->arn,
                                       .raw_delivery = subscription->raw_message_delivery,
                                       .smtp = &smtp,
                                       .pagerduty_url = settings->pagerduty_url,
                                       .sns_endpoint = settings->sns_endpoint,
                                       .sns_region = settings->region,
                                       .timeout_seconds = 15,
                                       .ca_file = settings->tls_ca_file,
                                       .curl = context->curl};
    struct notify_result result = {.outcome = NOTIFY_PERMANENT};
    if (endpoint && body)
        notify_deliver(&delivery, &result);
    else
        snprintf(result.detail, sizeof result.detail, "%s",
                 endpoint ? "out of memory" : error.message);
    char *shown = notify_redact(subscription->protocol, subscription->endpoint);
    printf("%-10s %-44s %s%s%s\n", notify_protocol_name(subscription->protocol),
           shown ? shown : "…",
           result.outcome == NOTIFY_DELIVERED ? "delivered"
           : result.outcome == NOTIFY_RETRY   ? "failed (retryable)"
                                              : "failed",
           result.detail[0] ? ": " : "", result.detail);
    free(shown);
    free(body);
    free(endpoint);
    free(password);
    return result.outcome == NOTIFY_DELIVERED;
}

static int send_all(const struct test_context *context)
{
    size_t failed = 0;
    for (size_t i = 0; i < context->topic->subscription_count; i++) {
        const struct notify_subscription *subscription = &context->topic->subscriptions[i];
        char message_id[37];
        if (!notify_uuid(message_id)) {
            fprintf(stderr, "trailhound: notify: no source of random bytes for a message id\n");
            return 1;
        }
        failed += !send_one(context, subscription, message_id, false);
        /* PagerDuty: resolve what the test opened */
        if (subscription->protocol == NOTIFY_PAGERDUTY)
            failed += !send_one(context, subscription, message_id, true);
    }
    printf("%zu subscription%s, %zu failed\n", context->topic->subscription_count,
           context->topic->subscription_count == 1 ? "" : "s", failed);
    return failed ? 4 : 0;
}

/* ---- status: the outbox as a health check ---------------------------------------------- */

struct status_listing {
    json_t *failed;
    size_t pending, failed_count, delivered;
};

static bool note_message(void *context, const struct store_outbox_message *message)
{
    struct status_listing *listing = context;
    if (strcmp(message->state, "pending") == 0) {
        listing->pending++;
        return true;
    }
    if (strcmp(message->state, "delivered") == 0) {
        listing->delivered++;
        return true;
    }
    listing->failed_count++;
    enum notify_protocol protocol = NOTIFY_EXEC;
    notify_protocol_parse(message->protocol, &protocol);
    char *shown = notify_redact(protocol, message->endpoint);
    json_array_append_new(listing->failed,
                          json_pack("{s:s,s:s?,s:s,s:s,s:s,s:i,s:s?}", "messageId",
                                    message->message_id, "alarm", message->alarm_name,
                                    "subscription", message->subscription_arn, "protocol",
                                    message->protocol, "endpoint", shown ? shown : "…", "attempts",
                                    message->attempts, "error", message->last_error));
    free(shown);
    return true;
}

static void print_status(const struct status_listing *listing, bool json)
{
    if (json) {
        json_t *root = json_pack("{s:I,s:I,s:I,s:O}", "delivered", (json_int_t)listing->delivered,
                                 "pending", (json_int_t)listing->pending, "failed",
                                 (json_int_t)listing->failed_count, "failures", listing->failed);
        json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(root);
        return;
    }
    printf("%zu delivered, %zu pending, %zu failed\n", listing->delivered, listing->pending,
           listing->failed_count);
    size_t index;
    json_t *item;
    json_array_foreach(listing->failed, index, item)
    {
        const char *alarm = json_string_value(json_object_get(item, "alarm"));
        printf("  failed: %s%s%s to %s (%s %s) after %lld attempt(s): %s\n",
               json_string_value(json_object_get(item, "messageId")), alarm ? " for " : "",
               alarm ? alarm : "", json_string_value(json_object_get(item, "subscription")),
               json_string_value(json_object_get(item, "protocol")),
               json_string_value(json_object_get(item, "endpoint")),
               (long long)json_integer_value(json_object_get(item, "attempts")),
               json_string_value(json_object_get(item, "error")));
    }
}

static int status_command(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            json = strcmp(argv[++i], "json") == 0;
        else
            return usage_error("unknown option or missing value: ", argv[i]);
    }
    char *default_path = path ? NULL : store_default_path();
    const char *opened = path ? path : default_path;
    if (!opened || access(opened, F_OK) != 0) {
        fprintf(stderr, "trailhound: notify: no store at %s\n", opened ? opened : "(none)");
        free(default_path);
        return 1;
    }
    struct store_error error;
    struct store *store = store_open(opened, &error);
    free(default_path);
    if (!store) {
        fprintf(stderr, "trailhound: notify: %s\n", error.message);
        return 1;
    }
    struct status_listing listing = {.failed = json_array()};
    bool ok = store_outbox_list(store, NULL, 0, note_message, &listing, &error);
    store_close(store);
    if (ok)
        print_status(&listing, json);
    else
        fprintf(stderr, "trailhound: notify: %s\n", error.message);
    json_decref(listing.failed);
    return !ok ? 1 : listing.failed_count ? 4 : 0;
}

int notify_command(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return status_command(argc, argv);
    struct notify_options options = {0};
    int status = parse_options(argc, argv, &options);
    if (status >= 0)
        return status;
    struct config config;
    if (!load(&options, &config)) {
        config_free(&config);
        return 2;
    }
    const struct notify_topic *topic = notify_topic_find(&config.topics, options.topic);
    struct notify_signing_key key = {0};
    struct notify_error error;
    struct notify_curl *curl = NULL;
    if (!topic) {
        fprintf(stderr, "trailhound: notify: no topic %s in the configuration\n", options.topic);
        status = 2;
    } else if (!notify_signing_key_create(&key, &error) || !(curl = notify_curl_load(&error))) {
        fprintf(stderr, "trailhound: notify: %s\n", error.message);
        status = 1;
    } else {
        struct monitor_notify_settings render = {
            .public_base_url = config.settings.public_base_url ? config.settings.public_base_url
                                                               : "http://127.0.0.1:4566",
            .signing_key = &key};
        struct test_context context = {.config = &config,
                                       .options = &options,
                                       .topic = topic,
                                       .render = &render,
                                       .curl = curl};
        status = send_all(&context);
        notify_curl_unload(curl);
    }
    notify_signing_key_free(&key);
    config_free(&config);
    return status;
}
