/* The store's handle: opening (directory, file mode, pragmas, migrations), the statement
 * cache, nested transactions, the default path, and the helpers the other files share. */
#include "store/store.h"
#include "store/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_PATH_SUFFIX "/trailhound/trailhound.db"

/* ---- messages and statements --------------------------------------------------------- */

bool store_fail(struct store_error *error, const char *format, ...)
{
    if (!error)
        return false;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    return false;
}

bool store_fail_sqlite(struct store *store, struct store_error *error, const char *what)
{
    return store_fail(error, "%s: %s", what, sqlite3_errmsg(store->db));
}

sqlite3_stmt *store_statement(struct store *store, enum store_statement which, const char *sql,
                              struct store_error *error)
{
    sqlite3_stmt **slot = &store->statements[which];
    if (!*slot) {
        if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) !=
            SQLITE_OK) {
            store_fail_sqlite(store, error, "cannot prepare a statement");
            return NULL;
        }
        return *slot;
    }
    if (sqlite3_stmt_busy(*slot)) {
        store_fail(error, "a store callback called back into the walk that called it");
        return NULL;
    }
    sqlite3_clear_bindings(*slot);
    return *slot;
}

bool store_run(struct store *store, sqlite3_stmt *statement, bool bound, const char *what,
               struct store_error *error)
{
    int status = bound ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_DONE || status == SQLITE_ROW;
    if (!ok)
        store_fail_sqlite(store, error, what);
    sqlite3_reset(statement);
    return ok;
}

bool store_walk(struct store *store, sqlite3_stmt *statement,
                bool (*row)(void *context, sqlite3_stmt *statement), void *context,
                const char *what, struct store_error *error)
{
    int status;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW)
        if (!row(context, statement))
            break;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, what);
    sqlite3_reset(statement);
    return ok;
}

bool store_bind_text(sqlite3_stmt *statement, int index, const char *text)
{
    if (!text)
        return sqlite3_bind_null(statement, index) == SQLITE_OK;
    return sqlite3_bind_text(statement, index, text, -1, SQLITE_STATIC) == SQLITE_OK;
}

const char *store_column_text(sqlite3_stmt *statement, int column)
{
    const unsigned char *text = sqlite3_column_text(statement, column);
    return text ? (const char *)text : "";
}

int64_t store_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- transactions -------------------------------------------------------------------- */

static bool execute(struct store *store, const char *sql, const char *what,
                    struct store_error *error)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail_sqlite(store, error, what);
    return true;
}

bool store_begin(struct store *store, struct store_error *error)
{
    if (store->transaction_depth > 0 && store->rolled_back)
        return store_fail(error, "cannot begin: the enclosing transaction was rolled back");
    /* IMMEDIATE takes the write lock now, so a writer waits (busy timeout) at BEGIN rather
     * than failing later when a read would have to become a write. */
    if (store->transaction_depth == 0 &&
        !execute(store, "BEGIN IMMEDIATE", "cannot begin a transaction", error))
        return false;
    store->transaction_depth++;
    return true;
}

static void rollback_now(struct store *store)
{
    /* SQLite rolls back by itself after some errors; ROLLBACK would then fail. */
    if (!sqlite3_get_autocommit(store->db))
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

bool store_commit(struct store *store, struct store_error *error)
{
    if (store->transaction_depth == 0)
        return store_fail(error, "commit without a matching begin");
    store->transaction_depth--;
    if (store->rolled_back) {
        store->rolled_back = store->transaction_depth > 0;
        return store_fail(error, "nothing committed: a nested call rolled the transaction back");
    }
    if (store->transaction_depth > 0)
        return true;
    if (execute(store, "COMMIT", "cannot commit", error))
        return true;
    rollback_now(store);
    return false;
}

void store_rollback(struct store *store)
{
    if (store->transaction_depth == 0)
        return;
    store->transaction_depth--;
    if (!store->rolled_back)
        rollback_now(store);
    store->rolled_back = store->transaction_depth > 0;
}

bool store_end(struct store *store, bool ok, struct store_error *error)
{
    if (!ok) {
        store_rollback(store);
        return false;
    }
    return store_commit(store, error);
}

/* ---- opening ------------------------------------------------------------------------- */

static bool is_memory_path(const char *path)
{
    return strcmp(path, ":memory:") == 0;
}

/* mkdir -p of the directory holding `path`; directories made here are private (0700). */
static bool make_parent_directory(const char *path, struct store_error *error)
{
    char *directory = strdup(path);
    if (!directory)
        return store_fail(error, "out of memory");
    char *last_slash = strrchr(directory, '/');
    bool ok = true;
    if (last_slash && last_slash != directory) {
        *last_slash = '\0';
        for (char *slash = strchr(directory + 1, '/'); ok; slash = strchr(slash + 1, '/')) {
            if (slash)
                *slash = '\0';
            if (mkdir(directory, 0700) != 0 && errno != EEXIST)
                ok =
                    store_fail(error, "cannot create directory %s: %s", directory, strerror(errno));
            if (!slash)
                break;
            *slash = '/';
        }
        struct stat status;
        if (ok && (stat(directory, &status) != 0 || !S_ISDIR(status.st_mode)))
            ok = store_fail(error, "%s is not a directory", directory);
    }
    free(directory);
    return ok;
}

/* Creates the file private (0600) before SQLite does (it would use 0644 less the umask):
 * it holds settings such as signing keys. The WAL and shared-memory files copy its mode.
 * An existing file is left alone, never opened: closing any descriptor of the file drops
 * every POSIX lock this process holds on it, the SHARED lock of its other connections
 * included (the daemon's, while the API opens a handle per request), and another process
 * closing its last connection would then take itself for the last one, checkpoint and
 * delete the WAL that this process still writes to. */
static bool create_private_file(const char *path, struct store_error *error)
{
    struct stat info;
    if (stat(path, &info) == 0)
        return true;
    int descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (descriptor < 0 && errno == EEXIST)
        return true; /* made by another process meanwhile */
    if (descriptor < 0)
        return store_fail(error, "cannot open or create %s: %s", path, strerror(errno));
    close(descriptor);
    return true;
}

static bool set_journal_mode_wal(struct store *store, struct store_error *error)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1, &statement, NULL) !=
        SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot set the journal mode");
    bool ok = sqlite3_step(statement) == SQLITE_ROW;
    if (!ok)
        store_fail_sqlite(store, error, "cannot set the journal mode to WAL");
    else if (strcmp(store_column_text(statement, 0), "wal") != 0)
        ok = store_fail(error, "cannot set the journal mode to WAL (it stays %s)",
                        store_column_text(statement, 0));
    sqlite3_finalize(statement);
    return ok;
}

/* WAL lets readers work while the daemon writes. synchronous=FULL syncs the WAL at every
 * commit, so a committed transaction survives a power loss (NORMAL would only guarantee
 * consistency, losing the last commits); writes are batched in transactions, so the cost
 * is one fsync per batch. */
static bool configure(struct store *store, bool in_memory, struct store_error *error)
{
    sqlite3_extended_result_codes(store->db, 1);
    if (sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot set the busy timeout");
    if (!in_memory && !set_journal_mode_wal(store, error))
        return false;
    return execute(store, "PRAGMA synchronous = FULL", "cannot set synchronous = FULL", error) &&
           execute(store, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", error);
}

static struct store *open_database(const char *path, struct store_error *error)
{
    struct store *store = calloc(1, sizeof *store);
    if (!store) {
        store_fail(error, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
        if (store->db)
            store_fail(error, "cannot open %s: %s", path, sqlite3_errmsg(store->db));
        else
            store_fail(error, "cannot open %s: out of memory", path);
        store_close(store);
        return NULL;
    }
    return store;
}

struct store *store_open(const char *path, struct store_error *error)
{
    if (!path || !*path) {
        store_fail(error, "no database path given");
        return NULL;
    }
    bool in_memory = is_memory_path(path);
    if (!in_memory && (!make_parent_directory(path, error) || !create_private_file(path, error)))
        return NULL;
    struct store *store = open_database(path, error);
    if (!store)
        return NULL;
    if (!configure(store, in_memory, error) || !store_schema_migrate(store, error)) {
        char message[sizeof error->message];
        snprintf(message, sizeof message, "%s", error ? error->message : "");
        store_fail(error, "%s: %s", path, message);
        store_close(store);
        return NULL;
    }
    return store;
}

struct store *store_open_temporary(struct store_error *error)
{
    struct store *store = open_database("", error); /* "": SQLite's temporary database */
    if (!store)
        return NULL;
    /* scratch: nothing to recover after a crash, so nothing to journal or sync */
    if (!execute(store, "PRAGMA journal_mode = OFF", "cannot turn the journal off", error) ||
        !execute(store, "PRAGMA synchronous = OFF", "cannot set synchronous = OFF", error) ||
        !execute(store, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", error) ||
        !store_schema_migrate(store, error)) {
        char message[sizeof error->message];
        snprintf(message, sizeof message, "%s", error ? error->message : "");
        store_fail(error, "temporary store: %s", message);
        store_close(store);
        return NULL;
    }
    return store;
}

void store_close(struct store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < STATEMENT_COUNT; i++)
        sqlite3_finalize(store->statements[i]);
    /* An unfinished transaction is rolled back by the close. */
    sqlite3_close_v2(store->db);
    free(store);
}

int store_schema_version(struct store *store)
{
    return store->schema_version;
}

/* ---- the default path ---------------------------------------------------------------- */

static char *join_path(const char *directory, const char *suffix)
{
    size_t length = strlen(directory) + strlen(suffix) + 1;
    char *path = malloc(length);
    if (path)
        snprintf(path, length, "%s%s", directory, suffix);
    return path;
}

/* $HOME, else the password database's home directory (daemons may run without $HOME). */
static char *home_state_path(void)
{
    const char *home = getenv("HOME");
    if (home && *home)
        return join_path(home, "/.local/state" STORE_PATH_SUFFIX);
    struct passwd entry, *found = NULL;
    char buffer[4096];
    if (getpwuid_r(getuid(), &entry, buffer, sizeof buffer, &found) != 0 || !found ||
        !found->pw_dir)
        return NULL;
    return join_path(found->pw_dir, "/.local/state" STORE_PATH_SUFFIX);
}

char *store_default_path(void)
{
    const char *explicit_path = getenv("TRAILHOUND_DB");
    if (explicit_path && *explicit_path)
        return strdup(explicit_path);
    /* The XDG base directory specification ignores relative values. */
    const char *state_home = getenv("XDG_STATE_HOME");
    if (state_home && state_home[0] == '/')
        return join_path(state_home, STORE_PATH_SUFFIX);
    return home_state_path();
}
