/* The metadata schema in MariaDB's dialect, version for version the same
 * tables, columns and indexes as sqlite_schema.c, with the types mapped:
 * INTEGER is BIGINT, REAL is DOUBLE, AUTOINCREMENT is AUTO_INCREMENT, a text
 * column in a key is VARCHAR (InnoDB indexes no unbounded TEXT), and text
 * compares byte for byte without padding (utf8mb4_nopad_bin), as SQLite's
 * BINARY does, so every query sorts and matches the same on both drivers.
 *
 * MariaDB commits before every DDL statement, so a migration cannot be rolled
 * back: each statement here is written to be run again (IF [NOT] EXISTS), and
 * the version is written last, so a migration that stopped half-way is
 * finished by the next open. Partial indexes do not exist in MariaDB: version
 * 3's are full indexes. */
#include "meta/mariadb_schema.h"

#include <stddef.h>

#define TABLE_END ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;\n"
#define FK(table, name, col, ref)                                                           \
  "ALTER TABLE " table " ADD CONSTRAINT " name " FOREIGN KEY IF NOT EXISTS (" col          \
  ") REFERENCES " ref ";\n"

#define SCHEMA_V1_TABLES                                                      \
  "CREATE TABLE IF NOT EXISTS datasources (\n"                                \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                        \
  "  name VARCHAR(255) NOT NULL UNIQUE,\n"                                    \
  "  type VARCHAR(255) NOT NULL,\n"                                           \
  "  config LONGTEXT NOT NULL DEFAULT '{}',\n"                                \
  "  created DOUBLE NOT NULL" TABLE_END                                       \
  "CREATE TABLE IF NOT EXISTS artifacts (\n"                                  \
  "  id VARCHAR(255) NOT NULL PRIMARY KEY,\n"                                 \
  "  type VARCHAR(255) NOT NULL,\n"                                           \
  "  size BIGINT NOT NULL,\n"                                                 \
  "  created DOUBLE NOT NULL" TABLE_END                                       \
  "CREATE TABLE IF NOT EXISTS pipelines (\n"                                  \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                        \
  "  name VARCHAR(255) NOT NULL,\n"                                           \
  "  version BIGINT NOT NULL,\n"                                              \
  "  dag_hash VARCHAR(255) NOT NULL,\n"                                       \
  "  created DOUBLE NOT NULL,\n"                                              \
  "  UNIQUE (name, dag_hash),\n"                                              \
  "  UNIQUE (name, version)" TABLE_END                                        \
  "CREATE TABLE IF NOT EXISTS runs (\n"                                       \
  "  id VARCHAR(255) NOT NULL PRIMARY KEY,\n"                                 \
  "  pipeline_id BIGINT NOT NULL,\n"                                          \
  "  yaml_path TEXT,\n"                                                       \
  "  yaml_hash VARCHAR(255),\n"                                               \
  "  git_commit VARCHAR(255),\n"                                              \
  "  git_branch VARCHAR(255),\n"                                              \
  "  status VARCHAR(32) NOT NULL,\n"                                          \
  "  started DOUBLE NOT NULL,\n"                                              \
  "  ended DOUBLE"

#define SCHEMA_V1_DSVERSIONS                                                  \
  "CREATE TABLE IF NOT EXISTS datasource_versions (\n"                        \
  "  id VARCHAR(255) NOT NULL,\n"                                             \
  "  datasource_id BIGINT NOT NULL,\n"                                        \
  "  artifact VARCHAR(255) NOT NULL,\n"                                       \
  "  n_rows BIGINT NOT NULL DEFAULT 0,\n"                                     \
  "  n_columns BIGINT NOT NULL DEFAULT 0,\n"                                  \
  "  created DOUBLE NOT NULL,\n"

#define SCHEMA_V1_EXECUTIONS                                                  \
  "CREATE TABLE IF NOT EXISTS executions (\n"                                 \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                        \
  "  run_id VARCHAR(255) NOT NULL,\n"                                         \
  "  step VARCHAR(255) NOT NULL,\n"                                           \
  "  class VARCHAR(255) NOT NULL,\n"                                          \
  "  source TEXT,\n"                                                          \
  "  cache_key VARCHAR(255),\n"                                               \
  "  status VARCHAR(32) NOT NULL,\n"                                          \
  "  started DOUBLE NOT NULL,\n"                                              \
  "  ended DOUBLE,\n"                                                         \
  "  error LONGTEXT"

#define SCHEMA_V1_EVENTS                                                      \
  "CREATE TABLE IF NOT EXISTS events (\n"                                     \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                        \
  "  execution_id BIGINT NOT NULL,\n"                                         \
  "  artifact VARCHAR(255) NOT NULL,\n"                                       \
  "  kind VARCHAR(16) NOT NULL CHECK (kind IN ('input', 'output')),\n"        \
  "  name VARCHAR(255) NOT NULL,\n"                                           \
  "  UNIQUE (execution_id, kind, name)" TABLE_END                             \
  "CREATE INDEX IF NOT EXISTS runs_by_pipeline ON runs (pipeline_id, started);\n" \
  "CREATE INDEX IF NOT EXISTS executions_by_run ON executions (run_id);\n"    \
  "CREATE INDEX IF NOT EXISTS events_by_artifact ON events (artifact);\n"     \
  FK("runs", "runs_pipeline", "pipeline_id", "pipelines (id)")                \
  FK("datasource_versions", "dsversions_datasource", "datasource_id", "datasources (id)") \
  FK("datasource_versions", "dsversions_artifact", "artifact", "artifacts (id)") \
  FK("executions", "executions_run", "run_id", "runs (id)")                   \
  FK("events", "events_execution", "execution_id", "executions (id)")         \
  FK("events", "events_artifact", "artifact", "artifacts (id)")

static const char schema_v1[] =
    SCHEMA_V1_TABLES TABLE_END
    SCHEMA_V1_DSVERSIONS "  PRIMARY KEY (datasource_id, id)" TABLE_END
    SCHEMA_V1_EXECUTIONS TABLE_END SCHEMA_V1_EVENTS
    "CREATE INDEX IF NOT EXISTS executions_by_cache ON executions (cache_key, status);\n";

#define SCHEMA_V2_NEW_TABLES                                                  \
  "CREATE TABLE IF NOT EXISTS metrics (\n"                                    \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                        \
  "  run_id VARCHAR(255) NOT NULL,\n"                                         \
  "  execution_id BIGINT,\n"                                                  \
  "  name VARCHAR(255) NOT NULL,\n"                                           \
  "  value DOUBLE NOT NULL" TABLE_END                                         \
  "CREATE INDEX IF NOT EXISTS metrics_by_name ON metrics (name);\n"           \
  "CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, execution_id);\n" \
  "CREATE TABLE IF NOT EXISTS properties (\n"                                 \
  "  entity_kind VARCHAR(64) NOT NULL,\n"                                     \
  "  entity_id VARCHAR(255) NOT NULL,\n"                                      \
  "  name VARCHAR(255) NOT NULL,\n"                                           \
  "  int_value BIGINT,\n"                                                     \
  "  double_value DOUBLE,\n"                                                  \
  "  text_value LONGTEXT,\n"                                                  \
  "  PRIMARY KEY (entity_kind, entity_id, name)" TABLE_END                    \
  "CREATE TABLE IF NOT EXISTS stat_cache (\n"                                 \
  "  dev BIGINT NOT NULL,\n"                                                  \
  "  ino BIGINT NOT NULL,\n"                                                  \
  "  size BIGINT NOT NULL,\n"                                                 \
  "  mtime_ns BIGINT NOT NULL,\n"                                             \
  "  sha256 VARCHAR(255) NOT NULL,\n"                                         \
  "  PRIMARY KEY (dev, ino)" TABLE_END                                        \
  "CREATE TABLE IF NOT EXISTS config (\n"                                     \
  "  name VARCHAR(255) NOT NULL PRIMARY KEY,\n"                               \
  "  value LONGTEXT NOT NULL" TABLE_END                                       \
  "CREATE INDEX IF NOT EXISTS runs_by_started ON runs (started);\n"           \
  "CREATE INDEX IF NOT EXISTS executions_by_cache"                            \
  " ON executions (class, cache_key, status, ended);\n"                       \
  FK("metrics", "metrics_run", "run_id", "runs (id)")                         \
  FK("metrics", "metrics_execution", "execution_id", "executions (id)")       \
  FK("executions", "executions_cached_from", "cached_from", "executions (id)") \
  FK("executions", "executions_log", "log_artifact", "artifacts (id)")

#define SCHEMA_V2                                                             \
    SCHEMA_V1_TABLES ",\n"                                                    \
    "  git_dirty BIGINT NOT NULL DEFAULT 0,\n"                                \
    "  backend VARCHAR(255),\n"                                               \
    "  host VARCHAR(255),\n"                                                  \
    "  pid BIGINT" TABLE_END                                                  \
    SCHEMA_V1_DSVERSIONS                                                      \
    "  n_bytes BIGINT NOT NULL DEFAULT 0,\n"                                  \
    "  PRIMARY KEY (datasource_id, id)" TABLE_END                             \
    SCHEMA_V1_EXECUTIONS ",\n"                                                \
    "  cached_from BIGINT,\n"                                                 \
    "  log_artifact VARCHAR(255)" TABLE_END                                   \
    SCHEMA_V1_EVENTS                                                          \
    SCHEMA_V2_NEW_TABLES

static const char schema_v2[] = SCHEMA_V2;

/* Version 3, as in SQLite but with full indexes: the cache index keeps
 * status (what SQLite's index filters on), the source index holds NULLs.
 * The run index gets a new name: InnoDB refuses to drop the old one before
 * another index can serve the foreign key on run_id. */
#define MIGRATE_2_TO_3                                                                     \
  "ALTER TABLE executions DROP INDEX IF EXISTS executions_by_cache,"                       \
  " ADD INDEX IF NOT EXISTS executions_by_cache (class, cache_key, status, ended);\n"       \
  "CREATE INDEX IF NOT EXISTS executions_by_source ON executions (cached_from);\n"         \
  "CREATE INDEX IF NOT EXISTS executions_by_run_status ON executions (run_id, status);\n"  \
  "DROP INDEX IF EXISTS executions_by_run ON executions;\n"

static const char schema_v3[] = SCHEMA_V2 MIGRATE_2_TO_3;

static const char migrate_2_to_3[] = MIGRATE_2_TO_3;

/* Version 4, as in SQLite: runs by status. */
#define MIGRATE_3_TO_4                                                                     \
  "CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, started);\n"                \
  "CREATE INDEX IF NOT EXISTS runs_by_pipeline_status ON runs (pipeline_id, status, started);\n"

static const char schema_v4[] = SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4;

static const char migrate_3_to_4[] = MIGRATE_3_TO_4;

/* Version 5, as in SQLite: executions by step and class. And the cache
 * index again: version 3's ALTER TABLE checked ADD INDEX IF NOT EXISTS
 * against the table as it was, found the old executions_by_cache, skipped
 * the add and then dropped it, so every store made or migrated since had
 * none, and a cache lookup read every execution (577 ms at 100,000 runs,
 * bench W6). */
#define MIGRATE_4_TO_5                                                                     \
  "CREATE INDEX IF NOT EXISTS executions_by_cache"                                         \
  " ON executions (class, cache_key, status, ended);\n"                                    \
  "CREATE INDEX IF NOT EXISTS executions_by_step ON executions (step, class);\n"

static const char schema_v5[] = SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4 MIGRATE_4_TO_5;

static const char migrate_4_to_5[] = MIGRATE_4_TO_5;

/* Version 6, as in SQLite: the model registry. */
#define MIGRATE_5_TO_6                                                                     \
  "CREATE TABLE IF NOT EXISTS models (\n"                                                   \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                                      \
  "  name VARCHAR(255) NOT NULL UNIQUE,\n"                                                  \
  "  created DOUBLE NOT NULL" TABLE_END                                                    \
  "CREATE TABLE IF NOT EXISTS model_versions (\n"                                           \
  "  model_id BIGINT NOT NULL,\n"                                                           \
  "  version BIGINT NOT NULL,\n"                                                            \
  "  run_id VARCHAR(255) NOT NULL,\n"                                                       \
  "  step VARCHAR(255) NOT NULL,\n"                                                         \
  "  model_artifact VARCHAR(255) NOT NULL,\n"                                               \
  "  transform_artifact VARCHAR(255),\n"                                                    \
  "  schema_artifact VARCHAR(255),\n"                                                       \
  "  yaml_path TEXT,\n"                                                                     \
  "  datasource_version TEXT,\n"                                                            \
  "  message LONGTEXT,\n"                                                                   \
  "  created DOUBLE NOT NULL,\n"                                                            \
  "  created_by VARCHAR(255),\n"                                                            \
  "  deprecated BIGINT NOT NULL DEFAULT 0,\n"                                               \
  "  PRIMARY KEY (model_id, version)" TABLE_END                                            \
  "CREATE INDEX IF NOT EXISTS model_versions_by_run ON model_versions (run_id);\n"          \
  "CREATE TABLE IF NOT EXISTS model_tags (\n"                                               \
  "  model_id BIGINT NOT NULL,\n"                                                           \
  "  version BIGINT NOT NULL,\n"                                                            \
  "  name VARCHAR(255) NOT NULL,\n"                                                         \
  "  value LONGTEXT NOT NULL,\n"                                                            \
  "  PRIMARY KEY (model_id, version, name)" TABLE_END                                      \
  "CREATE TABLE IF NOT EXISTS model_aliases (\n"                                            \
  "  model_id BIGINT NOT NULL,\n"                                                           \
  "  alias VARCHAR(255) NOT NULL,\n"                                                        \
  "  version BIGINT NOT NULL,\n"                                                            \
  "  PRIMARY KEY (model_id, alias)" TABLE_END                                              \
  "CREATE TABLE IF NOT EXISTS model_alias_history (\n"                                      \
  "  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"                                      \
  "  model_id BIGINT NOT NULL,\n"                                                           \
  "  alias VARCHAR(255) NOT NULL,\n"                                                        \
  "  from_version BIGINT,\n"                                                                \
  "  to_version BIGINT NOT NULL,\n"                                                         \
  "  reason LONGTEXT,\n"                                                                    \
  "  created_by VARCHAR(255),\n"                                                            \
  "  created DOUBLE NOT NULL,\n"                                                            \
  "  hook TEXT" TABLE_END                                                                  \
  "CREATE INDEX IF NOT EXISTS model_alias_history_by_alias"                                \
  " ON model_alias_history (model_id, alias);\n"                                           \
  FK("model_versions", "model_versions_model", "model_id", "models (id)")                  \
  FK("model_versions", "model_versions_run", "run_id", "runs (id)")                        \
  FK("model_versions", "model_versions_artifact", "model_artifact", "artifacts (id)")      \
  FK("model_versions", "model_versions_transform", "transform_artifact", "artifacts (id)") \
  FK("model_versions", "model_versions_schema", "schema_artifact", "artifacts (id)")       \
  FK("model_tags", "model_tags_version", "model_id, version",                              \
     "model_versions (model_id, version)")                                                 \
  FK("model_aliases", "model_aliases_model", "model_id", "models (id)")                    \
  FK("model_aliases", "model_aliases_version", "model_id, version",                        \
     "model_versions (model_id, version)")                                                 \
  FK("model_alias_history", "model_alias_history_model", "model_id", "models (id)")

static const char schema_v6[] =
    SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4 MIGRATE_4_TO_5 MIGRATE_5_TO_6;

static const char migrate_5_to_6[] = MIGRATE_5_TO_6;

/* The dirty suffix is stripped once only: the UPDATE matches no row the
 * second time, so a re-run after an interruption changes nothing twice. */
static const char migrate_1_to_2[] =
    "ALTER TABLE datasource_versions ADD COLUMN IF NOT EXISTS"
    " n_bytes BIGINT NOT NULL DEFAULT 0;\n"
    "ALTER TABLE runs ADD COLUMN IF NOT EXISTS git_dirty BIGINT NOT NULL DEFAULT 0,"
    " ADD COLUMN IF NOT EXISTS backend VARCHAR(255),"
    " ADD COLUMN IF NOT EXISTS host VARCHAR(255),"
    " ADD COLUMN IF NOT EXISTS pid BIGINT;\n"
    "UPDATE runs SET git_dirty = 1, git_commit = substr(git_commit, 1, length(git_commit) - 6)\n"
    "  WHERE git_commit LIKE '%-dirty';\n"
    "UPDATE runs SET status = 'completed' WHERE status = 'succeeded';\n"
    "ALTER TABLE executions ADD COLUMN IF NOT EXISTS cached_from BIGINT,"
    " ADD COLUMN IF NOT EXISTS log_artifact VARCHAR(255);\n"
    "UPDATE executions SET status = 'completed' WHERE status = 'succeeded';\n"
    "DROP INDEX IF EXISTS executions_by_cache ON executions;\n"
    SCHEMA_V2_NEW_TABLES;

/* Index: the version (schemas) or the version migrated from (migrations). */
static const char *const schemas[] = {NULL, schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                      schema_v6};
static const char *const migrations[] = {NULL, migrate_1_to_2, migrate_2_to_3, migrate_3_to_4,
                                         migrate_4_to_5, migrate_5_to_6};

const char *zm_sql_mariadb_schema(int version)
{
  return version > 0 && version < (int)(sizeof schemas / sizeof *schemas) ? schemas[version] : NULL;
}

const char *zm_sql_mariadb_migration(int from)
{
  return from > 0 && from < (int)(sizeof migrations / sizeof *migrations) ? migrations[from] : NULL;
}
