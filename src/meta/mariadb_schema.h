/* The MariaDB/MySQL dialect of the metadata schema: private to that driver. */
#ifndef ZM_META_MARIADB_SCHEMA_H
#define ZM_META_MARIADB_SCHEMA_H

/* DDL creating the whole schema at `version`, NULL otherwise. */
const char *zm_sql_mariadb_schema(int version);

/* DDL upgrading from `from` to from + 1, NULL when there is no such step. */
const char *zm_sql_mariadb_migration(int from);

#endif
