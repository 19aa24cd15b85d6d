/* PutLogEvents into the daemon's ingestion: the API's request threads hand each batch over
 * and wait; the daemon's one writer thread stores the events, counts them through the log
 * group's filters and commits both with the batch's digest in one transaction, fires early
 * alarms, and only then lets the request answer (acknowledged = committed).
 *
 * The hand-off is a queue (mutex, condition variable) plus an eventfd the daemon's poll loop
 * watches. A queued item owns copies of everything it carries and is reference counted (the
 * request thread's reference and the queue's, which the writer takes over), so a request
 * that stops waiting (30 s, or the daemon stopping) never leaves the writer reading freed
 * memory, and the writer never reads the request's. Once the queue is closed (the loop
 * ends) every waiting and later request fails at once, so api_server_stop, which waits for
 * requests in flight, cannot deadlock.
 *
 * Exactly once: a crash before the commit keeps nothing and the client, unanswered,
 * retries; a crash after it makes the client retry a batch already counted, which its
 * digest (SHA-256 over group, stream and every event's timestamp and message) recognises:
 * it is answered as a success and counted nothing. */
#include "daemon/daemon_internal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* How long a request waits for the writer before it answers ServiceUnavailable. */
#define HAND_OFF_WAIT_SECONDS 30

struct log_batch_item {
    struct log_batch_item *next;
    int references; /* the request's and the queue's (then the writer's); under the mutex */
    bool done, ok;
    char error[256];
    char digest[65];
    char *log_group, *log_stream;
    char **messages; /* point into `text` */
    int64_t *timestamps;
    size_t count;
    char *text;
};

struct daemon_log_queue {
    pthread_mutex_t mutex;
    pthread_cond_t done; /* on CLOCK_MONOTONIC */
    struct log_batch_item *head, *tail;
    bool closed;
    int event_fd;
};

static void item_free(struct log_batch_item *item)
{
    if (!item)
        return;
    free(item->log_group);
    free(item->log_stream);
    free(item->messages);
    free(item->timestamps);
    free(item->text);
    free(item);
}

/* Drops one reference; the caller holds the mutex. True when the item is to be freed. */
static bool item_release(struct log_batch_item *item)
{
    return --item->references == 0;
}

static void digest_bytes(EVP_MD_CTX *context, const void *bytes, size_t length)
{
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)((uint64_t)length >> (56 - 8 * i));
    EVP_DigestUpdate(context, prefix, sizeof prefix);
    EVP_DigestUpdate(context, bytes, length);
}

/* Each part length-prefixed, so no two different batches share the digested bytes. */
static bool item_digest(struct log_batch_item *item)
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    unsigned char hash[32];
    unsigned int length = 0;
    bool ok = context && EVP_DigestInit_ex(context, EVP_sha256(), NULL) == 1;
    if (ok) {
        digest_bytes(context, item->log_group, strlen(item->log_group));
        digest_bytes(context, item->log_stream, strlen(item->log_stream));
        for (size_t i = 0; i < item->count; i++) {
            unsigned char time[8];
            for (int b = 0; b < 8; b++)
                time[b] = (unsigned char)((uint64_t)item->timestamps[i] >> (56 - 8 * b));
            EVP_DigestUpdate(context, time, sizeof time);
            digest_bytes(context, item->messages[i], strlen(item->messages[i]));
        }
        ok = EVP_DigestFinal_ex(context, hash, &length) == 1 && length == sizeof hash;
    }
    EVP_MD_CTX_free(context);
    for (size_t i = 0; ok && i < sizeof hash; i++)
        snprintf(item->digest + 2 * i, 3, "%02x", hash[i]);
    return ok;
}

static struct log_batch_item *item_create(const char *group, const char *stream,
                                          const char *const *messages, const int64_t *timestamps,
                                          size_t count)
{
    struct log_batch_item *item = calloc(1, sizeof *item);
    if (!item)
        return NULL;
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen(messages[i]) + 1;
    item->count = count;
    item->log_group = strdup(group);
    item->log_stream = strdup(stream);
    item->messages = calloc(count ? count : 1, sizeof *item->messages);
    item->timestamps = calloc(count ? count : 1, sizeof *item->timestamps);
    item->text = malloc(total ? total : 1);
    if (!item->log_group || !item->log_stream || !item->messages || !item->timestamps ||
        !item->text) {
        item_free(item);
        return NULL;
    }
    char *next = item->text;
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(messages[i]) + 1;
        memcpy(next, messages[i], length);
        item->messages[i] = next;
        item->timestamps[i] = timestamps[i];
        next += length;
    }
    if (!item_digest(item)) {
        item_free(item);
        return NULL;
    }
    return item;
}

static void fail_api(struct api_error *error, const char *message)
{
    snprintf(error->message, sizeof error->message, "%s", message);
}

static struct timespec wait_deadline(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += HAND_OFF_WAIT_SECONDS;
    return deadline;
}

/* Queues `item` with the request's and the queue's references and wakes the writer; false
 * when the queue is closed. The caller holds the mutex. */
static bool enqueue(struct daemon_log_queue *queue, struct log_batch_item *item)
{
    if (queue->closed)
        return false;
    item->references = 2;
    if (queue->tail)
        queue->tail->next = item;
    else
        queue->head = item;
    queue->tail = item;
    uint64_t one = 1;
    ssize_t written = write(queue->event_fd, &one, sizeof one);
    (void)written; /* an eventfd write fails only when its counter would overflow */
    return true;
}

/* Waits, holding the mutex, until the writer answered `item` or HAND_OFF_WAIT_SECONDS
 * passed; then drops the request's reference. */
static bool wait_for_answer(struct daemon_log_queue *queue, struct log_batch_item *item,
                            struct api_error *error)
{
    struct timespec deadline = wait_deadline();
    int status = 0;
    while (!item->done && status != ETIMEDOUT)
        status = pthread_cond_timedwait(&queue->done, &queue->mutex, &deadline);
    bool ok = item->done && item->ok;
    if (!ok)
        fail_api(error,
                 item->done ? item->error : "the daemon's writer did not answer within 30 seconds");
    return ok;
}

/* settings->on_log_events, on a request thread: queue, wake the writer, wait. */
static bool hand_off(void *context, const char *log_group, const char *log_stream,
                     const char *const *messages, const int64_t *timestamps_ms, size_t count,
                     struct api_error *error)
{
    struct daemon_log_queue *queue = ((struct daemon *)context)->log_queue;
    struct log_batch_item *item =
        item_create(log_group, log_stream, messages, timestamps_ms, count);
    if (!item) {
        fail_api(error, "out of memory");
        return false;
    }
    pthread_mutex_lock(&queue->mutex);
    if (!enqueue(queue, item)) {
        pthread_mutex_unlock(&queue->mutex);
        item_free(item);
        fail_api(error, "the daemon is stopping");
        return false;
    }
    bool ok = wait_for_answer(queue, item, error);
    bool last = item_release(item);
    pthread_mutex_unlock(&queue->mutex);
    if (last)
        item_free(item);
    return ok;
}

bool daemon_log_events_open(struct daemon *daemon, struct daemon_error *error)
{
    struct daemon_log_queue *queue = calloc(1, sizeof *queue);
    pthread_condattr_t attributes;
    bool ok = queue && pthread_condattr_init(&attributes) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&queue->done, &attributes) == 0;
        pthread_condattr_destroy(&attributes);
    }
    if (ok && pthread_mutex_init(&queue->mutex, NULL) != 0) {
        pthread_cond_destroy(&queue->done);
        ok = false;
    }
    if (ok && (queue->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        pthread_mutex_destroy(&queue->mutex);
        pthread_cond_destroy(&queue->done);
        ok = false;
    }
    if (!ok) {
        snprintf(error->message, sizeof error->message, "PutLogEvents queue: %s",
                 queue ? strerror(errno) : "out of memory");
        free(queue);
        return false;
    }
    daemon->log_queue = queue;
    return true;
}

void daemon_log_events_connect(struct daemon *daemon, struct api_settings *settings)
{
    settings->on_log_events = hand_off;
    settings->context = daemon; /* shared with /metrics' callbacks */
}

int daemon_log_events_fd(const struct daemon *daemon)
{
    return daemon->log_queue ? daemon->log_queue->event_fd : -1;
}

/* Marks `items` answered and drops the writer's references. */
static void complete_items(struct daemon_log_queue *queue, struct log_batch_item *items)
{
    struct log_batch_item *to_free = NULL;
    pthread_mutex_lock(&queue->mutex);
    while (items) {
        struct log_batch_item *item = items;
        items = item->next;
        item->done = true;
        item->next = NULL;
        if (item_release(item)) {
            item->next = to_free;
            to_free = item;
        }
    }
    pthread_cond_broadcast(&queue->done);
    pthread_mutex_unlock(&queue->mutex);
    while (to_free) {
        struct log_batch_item *item = to_free;
        to_free = item->next;
        item_free(item);
    }
}

void daemon_log_events_close(struct daemon *daemon)
{
    struct daemon_log_queue *queue = daemon->log_queue;
    if (!queue)
        return;
    pthread_mutex_lock(&queue->mutex);
    queue->closed = true;
    struct log_batch_item *items = queue->head;
    queue->head = queue->tail = NULL;
    for (struct log_batch_item *item = items; item; item = item->next)
        snprintf(item->error, sizeof item->error, "the daemon is stopping");
    pthread_mutex_unlock(&queue->mutex);
    complete_items(queue, items);
}

void daemon_log_events_free(struct daemon *daemon)
{
    struct daemon_log_queue *queue = daemon->log_queue;
    if (!queue)
        return;
    daemon_log_events_close(daemon);
    close(queue->event_fd);
    pthread_mutex_destroy(&queue->mutex);
    pthread_cond_destroy(&queue->done);
    free(queue);
    daemon->log_queue = NULL;
}

/* Inside the commit's transaction: the events themselves and the batch's digest. */
static bool commit_events(void *context, struct store *store, struct store_error *error)
{
    const struct log_batch_item *item = context;
    int64_t now = daemon_now_ms();
    return store_log_events_add(store, item->log_group, item->log_stream,
                                (const char *const *)item->messages, item->timestamps, item->count,
                                now, error) &&
           store_log_batch_add(store, item->digest, now, error);
}

static void item_fail(struct log_batch_item *item, const char *message)
{
    item->ok = false;
    snprintf(item->error, sizeof item->error, "%.*s", (int)sizeof item->error - 1, message);
}

/* Throws away what a run gathered but will not commit. */
static void discard_run(struct daemon_ingest_run *run)
{
    struct metric_datapoint_list points = {0};
    filter_scan_take_datapoints(run->scan->scan, &points);
    metric_datapoint_list_free(&points);
}

/* One batch, one transaction. True when it committed events (early alarms may fire). */
static bool ingest_item(struct daemon *daemon, struct log_batch_item *item)
{
    bool seen = false;
    struct store_error store_error;
    if (!store_log_batch_seen(daemon->store, item->digest, &seen, &store_error)) {
        item_fail(item, store_error.message);
        return false;
    }
    if (seen) {
        item->ok = true;
        daemon_log(daemon, "info", "log_events_repeated",
                   "log_group=%s log_stream=%s events=%zu digest=%.16s action=acknowledged",
                   item->log_group, item->log_stream, item->count, item->digest);
        return false;
    }
    struct daemon_error error;
    struct daemon_scan *scan = daemon_scan_current(daemon, item->log_group, &error);
    if (!scan) {
        daemon_log(daemon, "error", "scan_failed", "log_group=%s error=\"%s\"", item->log_group,
                   error.message);
        item_fail(item, error.message);
        return false;
    }
    char path[1100];
    snprintf(path, sizeof path, "api:%s/%s", item->log_group, item->log_stream);
    struct daemon_ingest_run run = {.daemon = daemon,
                                    .scan = scan,
                                    .path = path,
                                    .also_commit = commit_events,
                                    .also_context = item};
    for (size_t i = 0; i < item->count; i++)
        daemon_ingest_event(&run, item->messages[i], strlen(item->messages[i]),
                            item->timestamps[i]);
    if (run.malformed > 0) { /* only when memory ran out: never commit a partial count */
        discard_run(&run);
        item_fail(item, "out of memory while counting the events");
        return false;
    }
    item->ok = daemon_commit_run(&run, NULL, 0);
    if (!item->ok)
        item_fail(item, "the events could not be committed (see the daemon's log)");
    return item->ok;
}

void daemon_log_events_process(struct daemon *daemon, int64_t *next_delivery)
{
    struct daemon_log_queue *queue = daemon->log_queue;
    uint64_t count;
    if (!queue || read(queue->event_fd, &count, sizeof count) < 0)
        return; /* EAGAIN: nothing new */
    pthread_mutex_lock(&queue->mutex);
    struct log_batch_item *items = NULL, **last = &items, *abandoned = NULL;
    while (queue->head) {
        struct log_batch_item *item = queue->head;
        queue->head = item->next;
        item->next = NULL;
        if (item->references == 1) { /* its request stopped waiting: it answered 5xx */
            item->next = abandoned;
            abandoned = item;
        } else {
            *last = item;
            last = &item->next;
        }
    }
    queue->tail = NULL;
    pthread_mutex_unlock(&queue->mutex);
    while (abandoned) {
        struct log_batch_item *item = abandoned;
        abandoned = item->next;
        item_free(item);
    }
    bool committed = false;
    for (struct log_batch_item *item = items; item; item = item->next)
        if (ingest_item(daemon, item))
            committed = true;
    if (committed && daemon->options.early) {
        daemon_evaluate_alarms(daemon, daemon_now_ms(), true);
        *next_delivery = daemon_now_ms();
    }
    complete_items(queue, items);
}
