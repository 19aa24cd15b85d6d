/* store (internal): the schema's migrations. Exposed so the tests can check that the
 * committed version-1 fixture was made from exactly the text the code applies. */
#ifndef TRAILHOUND_STORE_STORE_SCHEMA_H
#define TRAILHOUND_STORE_STORE_SCHEMA_H

#include <stddef.h>

/* store_migrations[i] takes a database from user_version i to i + 1; there are
 * STORE_SCHEMA_VERSION of them. Each runs in its own transaction with the version bump. */
extern const char *const store_migrations[];

#endif
