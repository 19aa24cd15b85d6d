/* Ingestion: watched directories and standard input, each chunk's data points committed in
 * one transaction with the offset its file was read to ("dev:inode" -> bytes).
 *
 * Two kinds of file, told from the content: a file whose first line is a whole JSON object
 * (NDJSON, one-line delivery files, CloudWatch Logs export lines) is read line by line from
 * its offset as it grows; anything else (gzip, a pretty-printed delivery file) is a document
 * read whole once it is complete (IN_CLOSE_WRITE or IN_MOVED_TO), its offset then its size.
 * Directories are watched recursively, new subdirectories included. */
#include "daemon/daemon_internal.h"
#include "sources/source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes of lines committed per transaction. */
#define CHUNK_BYTES (4u << 20)

bool daemon_ingest_event(struct daemon_ingest_run *run, const char *message, size_t length,
                         int64_t timestamp_ms)
{
    struct event_json_error error;
    bool ok = timestamp_ms == DAEMON_EVENT_TIME
                  ? filter_scan_event(run->scan->scan, message, length, &error)
                  : filter_scan_event_at(run->scan->scan, message, length, timestamp_ms, &error);
    if (ok)
        run->events++;
    else
        run->malformed++;
    if (ok)
        daemon_silence_note_event(run->daemon, message, length);
    return ok;
}

static void on_events(void *context, const struct source_event *events, size_t count)
{
    struct daemon_ingest_run *run = context;
    for (size_t i = 0; i < count; i++)
        daemon_ingest_event(run, events[i].message, events[i].length, DAEMON_EVENT_TIME);
}

static void on_malformed(void *context, const struct source_location *where, const char *reason)
{
    struct daemon_ingest_run *run = context;
    run->malformed++;
    daemon_log(run->daemon, "warn", "malformed", "file=%s line=%llu offset=%llu reason=\"%s\"",
               where->path, (unsigned long long)where->line, (unsigned long long)where->offset,
               reason);
}

/* High-resolution buckets also roll up into 1-minute ones, which minute alarms read. */
static bool store_points(struct store *store, struct metric_datapoint_list *points,
                         struct store_error *error)
{
    if (!store_datapoints_add(store, points->items, points->count, error) ||
        !store_evidence_add(store, points->items, points->count, error))
        return false;
    for (size_t i = 0; i < points->count; i++) {
        struct metric_datapoint minute = points->items[i]; /* shallow: the store only reads */
        if (minute.resolution != METRIC_RESOLUTION_HIGH)
            continue;
        minute.resolution = METRIC_RESOLUTION_STANDARD;
        minute.timestamp -= ((minute.timestamp % 60) + 60) % 60;
        if (!store_datapoints_add(store, &minute, 1, error) ||
            !store_evidence_add(store, &minute, 1, error))
            return false;
    }
    return true;
}

bool daemon_commit_run(struct daemon_ingest_run *run, const char *identity, uint64_t offset)
{
    struct daemon *daemon = run->daemon;
    struct metric_datapoint_list points = {0};
    struct store_error error = {.message = "out of memory"};
    bool ok =
        filter_scan_take_datapoints(run->scan->scan, &points) && store_begin(daemon->store, &error);
    if (ok) {
        ok = store_points(daemon->store, &points, &error) &&
             (!identity || store_source_set(daemon->store, identity, offset, &error)) &&
             (!run->also_commit || run->also_commit(run->also_context, daemon->store, &error)) &&
             (daemon->options.exit_when_idle ||
              daemon_silence_commit(daemon, run->scan->log_group, run->events, &error)) &&
             store_commit(daemon->store, &error);
        if (!ok)
            store_rollback(daemon->store);
    }
    daemon_stats_commit(daemon->stats, run, identity, ok);
    if (!daemon->options.exit_when_idle)
        daemon_silence_settle(daemon, run->scan->log_group, run->events, ok);
    if (ok) {
        daemon->events_ingested += run->events;
        if (run->events || run->malformed)
            daemon_log(daemon, "info", "ingested",
                       "source=%s log_group=%s events=%llu malformed=%llu datapoints=%zu "
                       "offset=%llu",
                       run->path, run->scan->log_group, (unsigned long long)run->events,
                       (unsigned long long)run->malformed, points.count,
                       (unsigned long long)offset);
    } else {
        daemon->commits_failed++;
        daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
        daemon->retry_pending = true;
        daemon->retry_at_ms =
            daemon_now_ms() +
            (int64_t)(daemon->options.retry_seconds ? daemon->options.retry_seconds : 10) * 1000;
        daemon_log(daemon, "error", "commit_failed", "source=%s error=\"%s\" retry=later",
                   run->path, error.message);
    }
    metric_datapoint_list_free(&points);
    return ok;
}

static void identity_of(const struct stat *info, char *identity, size_t size)
{
    snprintf(identity, size, "%llu:%llu", (unsigned long long)info->st_dev,
             (unsigned long long)info->st_ino);
}

/* Line mode when the first line is a whole JSON object, or an export line ending in one. */
static bool is_line_file(int fd)
{
    char head[65536];
    ssize_t length = pread(fd, head, sizeof head, 0);
    if (length < 2 || ((unsigned char)head[0] == 0x1f && (unsigned char)head[1] == 0x8b))
        return false;
    char *newline = memchr(head, '\n', (size_t)length);
    if (!newline)
        return false; /* first line not complete yet: decided later */
    while (newline > head && (newline[-1] == '\r' || newline[-1] == ' '))
        newline--;
    return newline > head && newline[-1] == '}' && head[0] != '[';
}

static char *last_newline(char *text, size_t length)
{
    while (length > 0)
        if (text[--length] == '\n')
            return text + length;
    return NULL;
}

/* Reads complete lines from `offset` in chunks, committing each. */
static void ingest_lines(struct daemon_ingest_run *run, int fd, const char *identity,
                         uint64_t offset, uint64_t size)
{
    char *chunk = malloc(CHUNK_BYTES);
    struct source_options options = source_default_options();
    struct source_handler handler = {
        .context = run, .on_events = on_events, .on_malformed = on_malformed};
    while (chunk && offset < size && !run->daemon->retry_pending) {
        size_t want = size - offset < CHUNK_BYTES ? (size_t)(size - offset) : CHUNK_BYTES;
        ssize_t got = pread(fd, chunk, want, (off_t)offset);
        if (got <= 0)
            break;
        char *end = last_newline(chunk, (size_t)got);
        if (!end && (size_t)got < CHUNK_BYTES)
            break; /* the last line is still being written */
        size_t length = end ? (size_t)(end - chunk) + 1 : (size_t)got;
        run->events = run->malformed = 0;
        source_read_buffer(run->path, (const unsigned char *)chunk, length, &options, &handler);
        if (!daemon_commit_run(run, identity, offset + length))
            break;
        offset += length;
    }
    free(chunk);
}

struct whole_file {
    struct daemon_ingest_run *run;
    char identity[64];
    uint64_t size;
    bool skip;
};

static bool should_read_whole(void *context, const struct source_file_identity *file)
{
    struct whole_file *whole = context;
    return !whole->skip && file->size == whole->size;
}

static void whole_on_events(void *context, const struct source_event *events, size_t count)
{
    on_events(((struct whole_file *)context)->run, events, count);
}

static void whole_on_malformed(void *context, const struct source_location *where,
                               const char *reason)
{
    on_malformed(((struct whole_file *)context)->run, where, reason);
}

static void ingest_whole(struct daemon_ingest_run *run, const char *identity, uint64_t size)
{
    struct whole_file whole = {.run = run, .size = size};
    struct source_options options = source_default_options();
    struct source_handler handler = {.context = &whole,
                                     .on_events = whole_on_events,
                                     .on_malformed = whole_on_malformed,
                                     .should_read = should_read_whole};
    run->events = run->malformed = 0;
    source_read_path(run->path, &options, &handler);
    daemon_commit_run(run, identity, size);
}

/* Reads what `path` has that the store has not counted. `complete`: the writer closed it
 * (or it is read at start), so a whole document may be read. */
static void ingest_file(struct daemon *daemon, const char *path, const char *log_group,
                        bool complete)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        /* unreadable is a failure; vanished is not: sync tools write NAME.XXXXXXXX and
         * rename it (aws s3 sync), so files routinely go between an event and the read */
        if (fd < 0 && errno != ENOENT && errno != EISDIR) {
            daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
            daemon_log(daemon, "error", "read_failed", "file=%s error=\"%s\"", path,
                       strerror(errno));
        }
        if (fd >= 0)
            close(fd);
        return;
    }
    char identity[64];
    identity_of(&info, identity, sizeof identity);
    bool found = false;
    uint64_t offset = 0;
    struct store_error error;
    if (!store_source_get(daemon->store, identity, &found, &offset, &error)) {
        daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
        daemon_log(daemon, "error", "store_failed", "file=%s error=\"%s\"", path, error.message);
        close(fd);
        return;
    }
    struct daemon_ingest_run run = {
        .daemon = daemon, .scan = daemon_scan_fresh(daemon, log_group), .path = path};
    uint64_t size = (uint64_t)info.st_size;
    if (run.scan && size > offset) {
        if (is_line_file(fd))
            ingest_lines(&run, fd, identity, offset, size);
        else if (complete && offset == 0)
            ingest_whole(&run, identity, size);
        else if (complete)
            daemon_log(daemon, "warn", "file_changed",
                       "file=%s counted_bytes=%llu size=%llu action=skipped", path,
                       (unsigned long long)offset, (unsigned long long)size);
    }
    close(fd);
}

/* First start with --backlog now: what the file holds is marked as read. */
static void skip_file(struct daemon *daemon, const char *path)
{
    struct stat info;
    char identity[64];
    struct store_error error;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
        return;
    identity_of(&info, identity, sizeof identity);
    bool found = false;
    uint64_t offset = 0;
    if (store_source_get(daemon->store, identity, &found, &offset, &error) && !found)
        store_source_set(daemon->store, identity, (uint64_t)info.st_size, &error);
}

static bool add_watch(struct daemon *daemon, const char *path, const char *log_group)
{
    int descriptor = inotify_add_watch(daemon->inotify_fd, path,
                                       IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE);
    if (descriptor < 0)
        return false;
    for (size_t i = 0; i < daemon->dir_count; i++)
        if (daemon->dirs[i].descriptor == descriptor)
            return true;
    if (daemon->dir_count == daemon->dir_capacity) {
        size_t capacity = daemon->dir_capacity ? daemon->dir_capacity * 2 : 16;
        struct daemon_watched_dir *grown = realloc(daemon->dirs, capacity * sizeof *grown);
        if (!grown)
            return false;
        daemon->dirs = grown;
        daemon->dir_capacity = capacity;
    }
    char *copy = strdup(path);
    if (!copy)
        return false;
    daemon->dirs[daemon->dir_count++] =
        (struct daemon_watched_dir){.descriptor = descriptor, .path = copy, .log_group = log_group};
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Watches `directory` and its subdirectories, and reads (or, `skip`, marks as read) their
 * files in name order. */
static void walk_directory(struct daemon *daemon, const char *directory, const char *log_group,
                           bool skip)
{
    if (!add_watch(daemon, directory, log_group)) {
        daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
        daemon_log(daemon, "error", "watch_failed", "directory=%s error=\"%s\"", directory,
                   strerror(errno));
    }
    struct dirent **entries = NULL;
    int count = scandir(directory, &entries, NULL, NULL);
    if (count < 0) {
        daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
        daemon_log(daemon, "error", "read_failed", "directory=%s error=\"%s\"", directory,
                   strerror(errno));
        return;
    }
    qsort(entries, (size_t)count, sizeof *entries, compare_names);
    for (int i = 0; i < count; i++) {
        const char *name = entries[i]->d_name;
        char path[4096];
        struct stat info;
        if (name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", directory, name) < (int)sizeof path &&
            stat(path, &info) == 0) {
            if (S_ISDIR(info.st_mode))
                walk_directory(daemon, path, log_group, skip);
            else if (skip)
                skip_file(daemon, path);
            else if (!daemon->stopping)
                ingest_file(daemon, path, log_group, true);
        }
        free(entries[i]);
    }
    free(entries);
}

/* The first start of a directory is remembered, so --backlog now skips only once. */
static bool first_start(struct daemon *daemon, const char *directory)
{
    char name[4200];
    snprintf(name, sizeof name, "serve.watched:%s", directory);
    char *value = NULL;
    struct store_error error;
    if (!store_setting_get(daemon->store, name, &value, &error))
        return false;
    bool first = value == NULL;
    free(value);
    if (first)
        store_setting_set(daemon->store, name, "1", &error);
    return first;
}

bool daemon_watches_start(struct daemon *daemon, struct daemon_error *error)
{
    daemon->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (daemon->inotify_fd < 0) {
        snprintf(error->message, sizeof error->message, "inotify: %s", strerror(errno));
        return false;
    }
    for (size_t i = 0; i < daemon->options.watch_count; i++) {
        const struct daemon_watch *watch = &daemon->options.watches[i];
        struct stat info;
        if (stat(watch->directory, &info) != 0 || !S_ISDIR(info.st_mode)) {
            snprintf(error->message, sizeof error->message, "--watch %s: not a directory",
                     watch->directory);
            return false;
        }
        bool skip = first_start(daemon, watch->directory) && daemon->options.backlog_now;
        if (skip)
            walk_directory(daemon, watch->directory, watch->log_group, true);
    }
    return true;
}

void daemon_ingest_all(struct daemon *daemon)
{
    daemon->retry_pending = false;
    for (size_t i = 0; i < daemon->options.watch_count && !daemon->stopping; i++)
        walk_directory(daemon, daemon->options.watches[i].directory,
                       daemon->options.watches[i].log_group, false);
    /* everything readable was read and kept (or is gone): nothing is stuck */
    if (!daemon->retry_pending && daemon->stdin_length == 0)
        daemon_stats_retries_settled(daemon->stats);
}

static const struct daemon_watched_dir *dir_of(struct daemon *daemon, int descriptor)
{
    for (size_t i = 0; i < daemon->dir_count; i++)
        if (daemon->dirs[i].descriptor == descriptor)
            return &daemon->dirs[i];
    return NULL;
}

static void handle_inotify_event(struct daemon *daemon, const struct inotify_event *event)
{
    const struct daemon_watched_dir *dir = dir_of(daemon, event->wd);
    if (!dir || event->len == 0 || event->name[0] == '.')
        return;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir->path, event->name) >= (int)sizeof path)
        return;
    const char *log_group = dir->log_group; /* dir may move as the array grows */
    if (event->mask & IN_ISDIR) {
        if (event->mask & (IN_CREATE | IN_MOVED_TO))
            walk_directory(daemon, path, log_group, false);
        return;
    }
    bool complete = (event->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0;
    if (!(event->mask & IN_CREATE))
        ingest_file(daemon, path, log_group, complete);
}

void daemon_ingest_inotify(struct daemon *daemon)
{
    char buffer[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t length = read(daemon->inotify_fd, buffer, sizeof buffer);
        if (length <= 0)
            return;
        for (char *p = buffer; p < buffer + length;) {
            const struct inotify_event *event = (const struct inotify_event *)p;
            handle_inotify_event(daemon, event);
            p += sizeof *event + event->len;
        }
    }
}

/* Standard input: complete lines are committed as they come (no offset: at-most-once). A
 * failed commit keeps the lines in the buffer, so they are tried again, not dropped. */
bool daemon_ingest_stdin(struct daemon *daemon)
{
    if (daemon->stdin_capacity - daemon->stdin_length < 65536) {
        size_t capacity = daemon->stdin_capacity ? daemon->stdin_capacity * 2 : 1 << 20;
        char *grown = realloc(daemon->stdin_buffer, capacity);
        if (!grown)
            return true;
        daemon->stdin_buffer = grown;
        daemon->stdin_capacity = capacity;
    }
    ssize_t got = read(STDIN_FILENO, daemon->stdin_buffer + daemon->stdin_length,
                       daemon->stdin_capacity - daemon->stdin_length);
    if (got < 0)
        return errno == EAGAIN || errno == EINTR;
    daemon->stdin_length += (size_t)got;
    char *end = last_newline(daemon->stdin_buffer, daemon->stdin_length);
    size_t length = got == 0 ? daemon->stdin_length
                    : end    ? (size_t)(end - daemon->stdin_buffer) + 1
                             : 0;
    struct daemon_ingest_run run = {.daemon = daemon,
                                    .scan =
                                        daemon_scan_fresh(daemon, daemon->options.stdin_log_group),
                                    .path = "-"};
    if (length > 0 && run.scan) {
        struct source_options options = source_default_options();
        struct source_handler handler = {
            .context = &run, .on_events = on_events, .on_malformed = on_malformed};
        source_read_buffer("-", (const unsigned char *)daemon->stdin_buffer, length, &options,
                           &handler);
        if (!daemon_commit_run(&run, NULL, 0))
            return true; /* kept: read again... */
        memmove(daemon->stdin_buffer, daemon->stdin_buffer + length, daemon->stdin_length - length);
        daemon->stdin_length -= length;
    }
    return got > 0;
}
