/* Reading test data: a whole file as NUL-terminated text, and a TAB-separated row split into
 * its fields. */
#ifndef TRAILHOUND_TESTS_TEXT_FILE_H
#define TRAILHOUND_TESTS_TEXT_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* The whole file at `path`, malloc'ed with a NUL after it (free it), its length without the
 * NUL in *length unless NULL; NULL when it cannot be read. */
static inline char *text_file_read(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    long size = -1;
    if (fseek(file, 0, SEEK_END) == 0)
        size = ftell(file);
    char *text = size >= 0 && fseek(file, 0, SEEK_SET) == 0 ? malloc((size_t)size + 1) : NULL;
    if (text && fread(text, 1, (size_t)size, file) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(file);
    if (text) {
        text[size] = '\0';
        if (length)
            *length = (size_t)size;
    }
    return text;
}

/* Splits `line` in place at its TABs into at most `wanted` fields; returns how many it has,
 * wanted + 1 when it has more (then the fields after the first `wanted` are not set). */
static inline size_t text_split_tabs(char *line, char **fields, size_t wanted)
{
    size_t count = 0;
    fields[count++] = line;
    for (char *at = line; *at; at++)
        if (*at == '\t') {
            *at = '\0';
            if (count < wanted)
                fields[count++] = at + 1;
            else
                return wanted + 1;
        }
    return count;
}

#endif
