/* The SQLite dialect of the metadata schema: private to the SQLite driver. */
#ifndef ZM_META_SQLITE_SCHEMA_H
#define ZM_META_SQLITE_SCHEMA_H

/* DDL creating the whole schema at `version` (1 or 2), NULL otherwise. */
const char *zm_sql_sqlite_schema(int version);

/* DDL upgrading from `from` to from + 1, NULL when there is no such step. */
const char *zm_sql_sqlite_migration(int from);

#endif
