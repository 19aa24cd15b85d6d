/* Temporary directories for unit tests, and a store file in one: a directory made by
 * temp_directory_make and removed with everything in it by temp_directory_remove; a store
 * made by temp_store_make (or temp_store_new for a cmocka fixture of its own), removed with
 * everything written beside it (WAL files, nested directories) by temp_store_remove.
 * Include after <cmocka.h>. */
#ifndef TRAILHOUND_TESTS_TEMP_STORE_H
#define TRAILHOUND_TESTS_TEMP_STORE_H

#include "store/store.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int temp_store_remove_entry(const char *path, const struct stat *status, int flag,
                                          struct FTW *walk)
{
    (void)status, (void)flag, (void)walk;
    return remove(path);
}

/* Makes /tmp/`name`.XXXXXX into `directory`; false when it cannot. */
static inline bool temp_directory_make(char directory[64], const char *name)
{
    snprintf(directory, 64, "/tmp/%s.XXXXXX", name);
    return mkdtemp(directory) != NULL;
}

/* Removes `directory` with everything in it (links, not what they point to); 0 when
 * removed, as a cmocka set-up or tear-down returns. */
static inline int temp_directory_remove(const char *directory)
{
    return nftw(directory, temp_store_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct temp_store {
    char directory[64];  /* /tmp/<name>.XXXXXX */
    char database[128];  /* a path inside it */
    struct store *store; /* NULL unless opened */
};

/* store_open, failing the test with the store's message. */
static inline struct store *temp_store_open(const char *path)
{
    struct store_error error = {{0}};
    struct store *store = store_open(path, &error);
    if (!store)
        fail_msg("store_open: %s", error.message);
    return store;
}

/* Makes /tmp/`name`.XXXXXX and the path `file` inside it (not created: store_open makes
 * missing directories); opens the store there when `open`. */
static inline void temp_store_make(struct temp_store *temp, const char *name, const char *file,
                                   bool open)
{
    assert_true(temp_directory_make(temp->directory, name));
    snprintf(temp->database, sizeof temp->database, "%s/%s", temp->directory, file);
    temp->store = open ? temp_store_open(temp->database) : NULL;
}

/* Closes the store when open and removes the directory; nftw's status (0: removed). */
static inline int temp_store_remove(struct temp_store *temp)
{
    store_close(temp->store);
    temp->store = NULL;
    return temp_directory_remove(temp->directory);
}

/* A fixture that is only the temporary store: allocated, made, and freed after removal. */
static inline struct temp_store *temp_store_new(const char *name, const char *file, bool open)
{
    struct temp_store *temp = calloc(1, sizeof *temp);
    assert_non_null(temp);
    temp_store_make(temp, name, file, open);
    return temp;
}

static inline int temp_store_free(struct temp_store *temp)
{
    int status = temp_store_remove(temp);
    free(temp);
    return status;
}

#endif
