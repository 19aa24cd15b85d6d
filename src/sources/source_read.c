/* The public entry points: files, directories (walked in sorted name order), standard
 * input and buffers in memory. */
#include "sources/source_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB ((size_t)1024 * 1024)
/* A gzip file up to this size is read whole, so libdeflate can inflate its members. */
#define WHOLE_FILE_BYTES (8 * MIB)
/* Largest read of compressed input. */
#define COMPRESSED_CHUNK_BYTES (1 * MIB)
/* Deepest directory nesting walked (the S3 layout needs about 8). */
#define MAX_DIRECTORY_DEPTH 64

const char *source_layout_name(enum source_layout layout)
{
    switch (layout) {
    case SOURCE_LAYOUT_EMPTY:
        return "empty";
    case SOURCE_LAYOUT_RECORDS:
        return "records";
    case SOURCE_LAYOUT_NDJSON:
        return "ndjson";
    case SOURCE_LAYOUT_ARRAY:
        return "array";
    case SOURCE_LAYOUT_CONCATENATED:
        return "concatenated";
    case SOURCE_LAYOUT_EVENTBRIDGE:
        return "eventbridge";
    case SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION:
        return "cloudwatch-subscription";
    case SOURCE_LAYOUT_CLOUDWATCH_EXPORT:
        return "cloudwatch-export";
    case SOURCE_LAYOUT_LOOKUP_EVENTS:
        return "lookup-events";
    case SOURCE_LAYOUT_UNRECOGNIZED:
        return "unrecognized";
    }
    return "unknown";
}

struct source_options source_default_options(void)
{
    return (struct source_options){
        .max_event_bytes = 1 * MIB,
        .max_whole_member_bytes = 32 * MIB,
        .read_buffer_bytes = 2 * MIB,
    };
}

static bool is_gzip(const unsigned char *bytes, size_t length)
{
    return length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/* Reports a file that could not be read at all, and closes its books. */
static void report_unreadable(struct source_reader *reader, const char *path, const char *what,
                              int error_number)
{
    struct source_file file = {.path = path};
    file.summary = (struct source_file_summary){.path = path, .layout = SOURCE_LAYOUT_UNRECOGNIZED};
    char message[128];
    if (strerror_r(error_number, message, sizeof message) != 0)
        snprintf(message, sizeof message, "error %d", error_number);
    report(reader, &file, 0, 0, "%s: %s", what, message);
    if (reader->handler->on_file_done)
        reader->handler->on_file_done(reader->handler->context, &file.summary);
}

/* Reports a directory problem (directories have no summary). */
static void report_directory(struct source_reader *reader, const char *path, const char *what,
                             int error_number)
{
    struct source_file file = {.path = path};
    char message[128] = "";
    if (error_number && strerror_r(error_number, message, sizeof message) != 0)
        snprintf(message, sizeof message, "error %d", error_number);
    report(reader, &file, 0, 0, "%s%s%s", what, error_number ? ": " : "", message);
}

static bool caller_wants(const struct source_reader *reader, const char *path,
                         const struct stat *status)
{
    const struct source_handler *handler = reader->handler;
    if (!handler->should_read || !status || !S_ISREG(status->st_mode))
        return true;
    struct source_file_identity identity = {
        .path = path,
        .device = (uint64_t)status->st_dev,
        .inode = (uint64_t)status->st_ino,
        .size = (uint64_t)status->st_size,
        .modified_ns = (int64_t)status->st_mtim.tv_sec * 1000000000 + status->st_mtim.tv_nsec,
    };
    return handler->should_read(handler->context, &identity);
}

static void read_fd(struct source_reader *reader, const char *path, int fd,
                    const struct stat *status)
{
    if (!caller_wants(reader, path, status))
        return;
    struct source_file file = {.path = path};
    if (status && S_ISREG(status->st_mode)) {
        file.regular = true;
        file.size = (uint64_t)status->st_size;
    }
    size_t chunk = reader->options.read_buffer_bytes < COMPRESSED_CHUNK_BYTES
                       ? reader->options.read_buffer_bytes
                       : COMPRESSED_CHUNK_BYTES;
    input_from_fd(&file.input, fd, &reader->input_buffer, chunk);
    if (!input_require(&file.input, 2)) {
        report_unreadable(reader, path, "cannot read", file.input.read_errno);
        return;
    }
    file.compressed = is_gzip(file.input.data + file.input.begin, input_available(&file.input));
    size_t whole_limit = reader->options.max_whole_member_bytes < WHOLE_FILE_BYTES
                             ? reader->options.max_whole_member_bytes
                             : WHOLE_FILE_BYTES;
    if (file.compressed && status && S_ISREG(status->st_mode) &&
        (uint64_t)status->st_size <= whole_limit)
        input_read_whole(&file.input, (size_t)status->st_size);
    reader->files_read++;
    reader_read_content(reader, &file);
}

/* ---- Directories -------------------------------------------------------------------------- */

/* The directories being walked, innermost first, to refuse symbolic link loops. */
struct directory_ancestor {
    dev_t device;
    ino_t inode;
    const struct directory_ancestor *parent;
};

static bool is_ancestor(const struct directory_ancestor *ancestor, const struct stat *status)
{
    for (; ancestor; ancestor = ancestor->parent)
        if (ancestor->device == status->st_dev && ancestor->inode == status->st_ino)
            return true;
    return false;
}

struct name_list {
    char **names;
    size_t count;
    size_t capacity;
};

static void name_list_free(struct name_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->names[i]);
    free(list->names);
}

static bool name_list_add(struct name_list *list, const char *name)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 32;
        char **names = realloc(list->names, capacity * sizeof *names);
        if (!names)
            return false;
        list->names = names;
        list->capacity = capacity;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    list->names[list->count++] = copy;
    return true;
}

static int compare_names(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* The visible entries of the open directory, sorted; closes it. Errno on failure, else 0. */
static int list_directory(DIR *directory, struct name_list *list)
{
    int failure = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(directory);
        if (!entry) {
            failure = errno;
            break;
        }
        if (entry->d_name[0] == '.')
            continue;
        if (!name_list_add(list, entry->d_name)) {
            failure = ENOMEM;
            break;
        }
    }
    closedir(directory);
    if (list->count > 1)
        qsort(list->names, list->count, sizeof *list->names, compare_names);
    return failure;
}

static char *join_path(const char *directory, const char *name)
{
    size_t length = strlen(directory);
    bool has_slash = length > 0 && directory[length - 1] == '/';
    size_t size = length + (has_slash ? 0 : 1) + strlen(name) + 1;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s%s%s", directory, has_slash ? "" : "/", name);
    return path;
}

static void walk_directory(struct source_reader *reader, const char *path, int fd,
                           const struct stat *status, size_t depth,
                           const struct directory_ancestor *ancestors);

/* One entry of a directory: a directory to walk, a regular file to read, else nothing. */
static void read_entry(struct source_reader *reader, const char *path, size_t depth,
                       const struct directory_ancestor *ancestors)
{
    struct stat status;
    if (stat(path, &status) != 0) {
        report_unreadable(reader, path, "cannot read", errno);
        return;
    }
    if (S_ISDIR(status.st_mode) && is_ancestor(ancestors, &status)) {
        report_directory(reader, path, "symbolic link loop: the directory is already being read",
                         0);
        return;
    }
    if (!S_ISDIR(status.st_mode) && !S_ISREG(status.st_mode))
        return;
    /* O_NONBLOCK: should the entry have become a FIFO since, opening it must not hang. */
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = open(path, flags | (S_ISDIR(status.st_mode) ? O_DIRECTORY : 0));
    if (fd < 0) {
        if (S_ISDIR(status.st_mode))
            report_directory(reader, path, "cannot open directory", errno);
        else
            report_unreadable(reader, path, "cannot open", errno);
        return;
    }
    if (S_ISDIR(status.st_mode)) {
        walk_directory(reader, path, fd, &status, depth + 1, ancestors);
        return;
    }
    if (fstat(fd, &status) == 0 && S_ISREG(status.st_mode))
        read_fd(reader, path, fd, &status);
    close(fd);
}

static void walk_directory(struct source_reader *reader, const char *path, int fd,
                           const struct stat *status, size_t depth,
                           const struct directory_ancestor *ancestors)
{
    if (depth > MAX_DIRECTORY_DEPTH) {
        close(fd);
        report_directory(reader, path, "directory nesting too deep, not read", 0);
        return;
    }
    DIR *directory = fdopendir(fd);
    if (!directory) {
        int error_number = errno;
        close(fd);
        report_directory(reader, path, "cannot list directory", error_number);
        return;
    }
    struct name_list list = {0};
    int failure = list_directory(directory, &list);
    if (failure)
        report_directory(reader, path, "cannot list directory", failure);
    struct directory_ancestor self = {status->st_dev, status->st_ino, ancestors};
    for (size_t i = 0; i < list.count; i++) {
        char *child = join_path(path, list.names[i]);
        if (!child) {
            report_directory(reader, path, "cannot list directory", ENOMEM);
            break;
        }
        read_entry(reader, child, depth, &self);
        free(child);
    }
    name_list_free(&list);
}

/* A path named by the caller: anything that can be opened is read, directories walked. */
static void read_named_path(struct source_reader *reader, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        report_unreadable(reader, path, "cannot open", errno);
        return;
    }
    struct stat status;
    if (fstat(fd, &status) != 0) {
        int error_number = errno;
        close(fd);
        report_unreadable(reader, path, "cannot read", error_number);
        return;
    }
    if (S_ISDIR(status.st_mode)) {
        walk_directory(reader, path, fd, &status, 0, NULL);
        return;
    }
    read_fd(reader, path, fd, &status);
    close(fd);
}

static void report_out_of_memory(const char *path, const struct source_handler *handler)
{
    if (handler && handler->on_malformed) {
        struct source_location where = {path, 0, 0};
        handler->on_malformed(handler->context, &where, "out of memory");
    }
}

uint64_t source_read_path(const char *path, const struct source_options *options,
                          const struct source_handler *handler)
{
    struct source_reader reader;
    if (!reader_init(&reader, options, handler)) {
        reader_release(&reader);
        report_out_of_memory(path, handler);
        return 0;
    }
    if (strcmp(path, "-") == 0)
        read_fd(&reader, "-", STDIN_FILENO, NULL);
    else
        read_named_path(&reader, path);
    uint64_t files_read = reader.files_read;
    reader_release(&reader);
    return files_read;
}

void source_read_buffer(const char *path, const unsigned char *content, size_t length,
                        const struct source_options *options, const struct source_handler *handler)
{
    struct source_reader reader;
    if (!reader_init(&reader, options, handler)) {
        reader_release(&reader);
        report_out_of_memory(path, handler);
        return;
    }
    struct source_file file = {.path = path};
    input_from_memory(&file.input, content, length);
    file.compressed = is_gzip(content, length);
    reader_read_content(&reader, &file);
    reader_release(&reader);
}
