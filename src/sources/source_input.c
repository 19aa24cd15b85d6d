/* Raw input: bytes from a file descriptor, read in chunks into a buffer the reader reuses,
 * or from memory the caller owns. */
#include "sources/source_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool byte_buffer_reserve(struct byte_buffer *buffer, size_t capacity)
{
    if (capacity <= buffer->capacity)
        return true;
    unsigned char *grown = realloc(buffer->bytes, capacity);
    if (!grown)
        return false;
    buffer->bytes = grown;
    buffer->capacity = capacity;
    return true;
}

void byte_buffer_release(struct byte_buffer *buffer)
{
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->capacity = 0;
}

void input_from_memory(struct source_input *input, const unsigned char *bytes, size_t length)
{
    *input = (struct source_input){
        .fd = -1,
        .data = bytes,
        .end = length,
        .bytes_read = length,
        .at_eof = true,
    };
}

void input_from_fd(struct source_input *input, int fd, struct byte_buffer *buffer,
                   size_t chunk_bytes)
{
    *input = (struct source_input){
        .fd = fd,
        .data = buffer->bytes,
        .buffer = buffer,
        .chunk_bytes = chunk_bytes ? chunk_bytes : 1,
    };
}

size_t input_available(const struct source_input *input)
{
    return input->end - input->begin;
}

void input_consume(struct source_input *input, size_t count)
{
    input->begin += count;
    input->offset += count;
}

/* Past a range's end only its last line is wanted: CloudTrail events are about 1 KiB. */
#define RANGE_OVERRUN_CHUNK_BYTES ((size_t)16 * 1024)
#define RANGE_OVERRUN_MAX_BYTES ((size_t)4 * 1024 * 1024)

/* One read(2) of up to `capacity` bytes, retried on EINTR. Records end of file and errors. */
static size_t read_once(struct source_input *input, unsigned char *out, size_t capacity)
{
    if (input->at_eof || input->read_errno || capacity == 0)
        return 0;
    for (;;) {
        ssize_t got = input->positional ? pread(input->fd, out, capacity, (off_t)input->offset)
                                        : read(input->fd, out, capacity);
        if (got > 0) {
            input->bytes_read += (uint64_t)got;
            return (size_t)got;
        }
        if (got == 0) {
            input->at_eof = true;
            return 0;
        }
        if (errno != EINTR) {
            input->read_errno = errno;
            return 0;
        }
    }
}

static void move_unconsumed_to_front(struct source_input *input, struct byte_buffer *buffer,
                                     size_t available)
{
    if (input->begin > 0) {
        memmove(buffer->bytes, buffer->bytes + input->begin, available);
        input->begin = 0;
        input->end = available;
    }
}

/* Moves the unconsumed bytes to the front of the buffer and makes room for a chunk. */
static bool compact_for_chunk(struct source_input *input)
{
    struct byte_buffer *buffer = input->buffer;
    size_t available = input_available(input);
    move_unconsumed_to_front(input, buffer, available);
    if (buffer->capacity - available < input->chunk_bytes &&
        !byte_buffer_reserve(buffer, available + input->chunk_bytes)) {
        input->read_errno = ENOMEM;
        return false;
    }
    input->data = buffer->bytes;
    return true;
}

bool input_require(struct source_input *input, size_t wanted)
{
    while (input_available(input) < wanted && !input->at_eof && !input->read_errno) {
        if (input->fd < 0 || !compact_for_chunk(input))
            break;
        struct byte_buffer *buffer = input->buffer;
        input->end += read_once(input, buffer->bytes + input->end, buffer->capacity - input->end);
    }
    return input->read_errno == 0;
}

bool input_read_whole(struct source_input *input, size_t limit)
{
    if (input->fd < 0 || input->at_eof)
        return true;
    struct byte_buffer *buffer = input->buffer;
    size_t available = input_available(input);
    move_unconsumed_to_front(input, buffer, available);
    /* One byte more than the limit tells "exactly the limit" from "more"; what goes beyond
     * (a file that grew) is streamed afterwards. */
    if (!byte_buffer_reserve(buffer, limit + 1)) {
        input->read_errno = ENOMEM;
        return false;
    }
    input->data = buffer->bytes;
    while (!input->at_eof && !input->read_errno && input->end < limit + 1)
        input->end += read_once(input, buffer->bytes + input->end, limit + 1 - input->end);
    return input->read_errno == 0;
}

size_t input_read_into(struct source_input *input, unsigned char *out, size_t capacity)
{
    size_t available = input_available(input);
    if (available > 0 || input->fd < 0) {
        size_t count = available < capacity ? available : capacity;
        if (count == 0)
            return 0; /* data may be NULL for empty memory */
        memcpy(out, input->data + input->begin, count);
        input_consume(input, count);
        return count;
    }
    if (input->positional && input->offset < input->soft_end) {
        uint64_t to_end = input->soft_end - input->offset;
        capacity = to_end < capacity ? (size_t)to_end : capacity;
    } else if (input->positional) {
        /* past the end: small reads, doubling so a long line costs few */
        capacity = input->chunk_bytes < capacity ? input->chunk_bytes : capacity;
        if (input->chunk_bytes < RANGE_OVERRUN_MAX_BYTES)
            input->chunk_bytes *= 2;
    }
    size_t count = read_once(input, out, capacity);
    input->offset += count;
    return count;
}

void input_from_fd_range(struct source_input *input, int fd, uint64_t offset, uint64_t soft_end)
{
    *input = (struct source_input){
        .fd = fd,
        .offset = offset,
        .chunk_bytes = RANGE_OVERRUN_CHUNK_BYTES,
        .positional = true,
        .soft_end = soft_end,
    };
}
