/* The metadata schema in SQLite's dialect, every version that ever shipped,
 * and the steps between them. A version's DDL never changes once released:
 * changes go into a new version plus a migration step. */
#include "meta/sqlite_schema.h"

#include <stddef.h>

/* Version 1: lineage only. Runs kept the dirty flag as a "-dirty" suffix on
 * the commit and called success "succeeded"; no metrics, properties or
 * stat cache. */
#define SCHEMA_V1_TABLES                                                      \
  "CREATE TABLE datasources (\n"                                              \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                 \
  "  name TEXT NOT NULL UNIQUE,\n"                                            \
  "  type TEXT NOT NULL,\n"                                                   \
  "  config TEXT NOT NULL DEFAULT '{}',\n"                                    \
  "  created REAL NOT NULL);\n"                                               \
  "CREATE TABLE artifacts (\n"                                                \
  "  id TEXT PRIMARY KEY,\n"                                                  \
  "  type TEXT NOT NULL,\n"                                                   \
  "  size INTEGER NOT NULL,\n"                                                \
  "  created REAL NOT NULL);\n"                                               \
  "CREATE TABLE pipelines (\n"                                                \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                 \
  "  name TEXT NOT NULL,\n"                                                   \
  "  version INTEGER NOT NULL,\n"                                             \
  "  dag_hash TEXT NOT NULL,\n"                                               \
  "  created REAL NOT NULL,\n"                                                \
  "  UNIQUE (name, dag_hash),\n"                                              \
  "  UNIQUE (name, version));\n"                                              \
  "CREATE TABLE runs (\n"                                                     \
  "  id TEXT PRIMARY KEY,\n"                                                  \
  "  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),\n"                \
  "  yaml_path TEXT,\n"                                                       \
  "  yaml_hash TEXT,\n"                                                       \
  "  git_commit TEXT,\n"                                                      \
  "  git_branch TEXT,\n"                                                      \
  "  status TEXT NOT NULL,\n"                                                 \
  "  started REAL NOT NULL,\n"                                                \
  "  ended REAL"

#define SCHEMA_V1_DSVERSIONS                                                  \
  "CREATE TABLE datasource_versions (\n"                                      \
  "  id TEXT NOT NULL,\n"                                                     \
  "  datasource_id INTEGER NOT NULL REFERENCES datasources(id),\n"            \
  "  artifact TEXT NOT NULL REFERENCES artifacts(id),\n"                      \
  "  n_rows INTEGER NOT NULL DEFAULT 0,\n"                                    \
  "  n_columns INTEGER NOT NULL DEFAULT 0,\n"                                 \
  "  created REAL NOT NULL,\n"

#define SCHEMA_V1_EXECUTIONS                                                  \
  "CREATE TABLE executions (\n"                                               \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                 \
  "  run_id TEXT NOT NULL REFERENCES runs(id),\n"                             \
  "  step TEXT NOT NULL,\n"                                                   \
  "  class TEXT NOT NULL,\n"                                                  \
  "  source TEXT,\n"                                                          \
  "  cache_key TEXT,\n"                                                       \
  "  status TEXT NOT NULL,\n"                                                 \
  "  started REAL NOT NULL,\n"                                                \
  "  ended REAL,\n"                                                           \
  "  error TEXT"

#define SCHEMA_V1_EVENTS                                                      \
  "CREATE TABLE events (\n"                                                   \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                 \
  "  execution_id INTEGER NOT NULL REFERENCES executions(id),\n"              \
  "  artifact TEXT NOT NULL REFERENCES artifacts(id),\n"                      \
  "  kind TEXT NOT NULL CHECK (kind IN ('input', 'output')),\n"               \
  "  name TEXT NOT NULL,\n"                                                   \
  "  UNIQUE (execution_id, kind, name));\n"                                   \
  "CREATE INDEX runs_by_pipeline ON runs (pipeline_id, started);\n"           \
  "CREATE INDEX executions_by_run ON executions (run_id);\n"                  \
  "CREATE INDEX events_by_artifact ON events (artifact);\n"

static const char schema_v1[] =
    SCHEMA_V1_TABLES ");\n"
    SCHEMA_V1_DSVERSIONS "  PRIMARY KEY (datasource_id, id));\n"
    SCHEMA_V1_EXECUTIONS ");\n" SCHEMA_V1_EVENTS
    "CREATE INDEX executions_by_cache ON executions (cache_key, status);\n";

/* What version 2 adds, shared by the fresh schema and the migration so the
 * two cannot drift apart. New columns go last in the fresh schema too, where
 * ALTER TABLE puts them, so both give identical tables (a test checks). */
#define SCHEMA_V2_NEW_TABLES                                                  \
  "CREATE TABLE metrics (\n"                                                  \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                 \
  "  run_id TEXT NOT NULL REFERENCES runs(id),\n"                             \
  "  execution_id INTEGER REFERENCES executions(id),\n"                       \
  "  name TEXT NOT NULL,\n"                                                   \
  "  value REAL NOT NULL);\n"                                                 \
  "CREATE INDEX metrics_by_name ON metrics (name);\n"                         \
  "CREATE INDEX metrics_by_run ON metrics (run_id, execution_id);\n"          \
  "CREATE TABLE properties (\n"                                               \
  "  entity_kind TEXT NOT NULL,\n"                                            \
  "  entity_id TEXT NOT NULL,\n"                                              \
  "  name TEXT NOT NULL,\n"                                                   \
  "  int_value INTEGER,\n"                                                    \
  "  double_value REAL,\n"                                                    \
  "  text_value TEXT,\n"                                                      \
  "  PRIMARY KEY (entity_kind, entity_id, name));\n"                          \
  "CREATE TABLE stat_cache (\n"                                               \
  "  dev INTEGER NOT NULL,\n"                                                 \
  "  ino INTEGER NOT NULL,\n"                                                 \
  "  size INTEGER NOT NULL,\n"                                                \
  "  mtime_ns INTEGER NOT NULL,\n"                                            \
  "  sha256 TEXT NOT NULL,\n"                                                 \
  "  PRIMARY KEY (dev, ino));\n"                                              \
  "CREATE TABLE config (\n"                                                   \
  "  name TEXT PRIMARY KEY,\n"                                                \
  "  value TEXT NOT NULL);\n"                                                 \
  "CREATE INDEX runs_by_started ON runs (started);\n"                         \
  "CREATE INDEX executions_by_cache ON executions (class, cache_key, status, ended);\n"

#define SCHEMA_V2                                                             \
    SCHEMA_V1_TABLES ",\n"                                                    \
    "  git_dirty INTEGER NOT NULL DEFAULT 0,\n"                               \
    "  backend TEXT,\n"                                                       \
    "  host TEXT,\n"                                                          \
    "  pid INTEGER);\n"                                                       \
    SCHEMA_V1_DSVERSIONS                                                      \
    "  n_bytes INTEGER NOT NULL DEFAULT 0,\n"                                 \
    "  PRIMARY KEY (datasource_id, id));\n"                                   \
    SCHEMA_V1_EXECUTIONS ",\n"                                                \
    "  cached_from INTEGER REFERENCES executions(id),\n"                      \
    "  log_artifact TEXT REFERENCES artifacts(id));\n"                        \
    SCHEMA_V1_EVENTS                                                          \
    SCHEMA_V2_NEW_TABLES

static const char schema_v2[] = SCHEMA_V2;

/* Version 3: a cached execution keeps no events of its own (its inputs and
 * outputs are those of the execution it reused, cached_from), and only
 * completed executions are in the cache index. A cached re-run of a long
 * pipeline then appends rows instead of touching a page of each random-key
 * index per step. The run index covers status, so counting a run's steps
 * by status (zenml run list) reads no table rows. */
#define MIGRATE_2_TO_3                                                                     \
  "DROP INDEX executions_by_cache;\n"                                                      \
  "CREATE INDEX executions_by_cache ON executions (class, cache_key, ended)"               \
  " WHERE status = 'completed';\n"                                                         \
  "CREATE INDEX executions_by_source ON executions (cached_from) WHERE cached_from IS NOT NULL;\n" \
  "DROP INDEX executions_by_run;\n"                                                         \
  "CREATE INDEX executions_by_run ON executions (run_id, status);\n"

static const char schema_v3[] = SCHEMA_V2 MIGRATE_2_TO_3;

static const char migrate_2_to_3[] = MIGRATE_2_TO_3;

/* Version 4: runs by status. Every command's crash recovery looks for
 * running runs, and `run list --status S [--pipeline P]` for runs of one
 * status, newest first; without these both read every run (8 ms each at
 * 100,000 runs, bench W6). */
#define MIGRATE_3_TO_4                                                                     \
  "CREATE INDEX runs_by_status ON runs (status, started);\n"                              \
  "CREATE INDEX runs_by_pipeline_status ON runs (pipeline_id, status, started);\n"

static const char schema_v4[] = SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4;

static const char migrate_3_to_4[] = MIGRATE_3_TO_4;

/* Version 5: executions by step and class, for explain's closest earlier
 * execution of a step (zm_meta_execution_previous), which read every
 * execution; the primary key that ends every index orders them. */
#define MIGRATE_4_TO_5 "CREATE INDEX executions_by_step ON executions (step, class);\n"

static const char schema_v5[] = SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4 MIGRATE_4_TO_5;

static const char migrate_4_to_5[] = MIGRATE_4_TO_5;

/* Version 6: the model registry. A model is a name; its versions are
 * numbered per name and never change once registered (what they point at:
 * the model, transform and schema artifacts of a run's step, its YAML and
 * datasource version), except for tags and the deprecated flag. An alias
 * names one version of a model; every move of one appends a row to
 * model_alias_history, which is never updated. */
#define MIGRATE_5_TO_6                                                                     \
  "CREATE TABLE models (\n"                                                                 \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                               \
  "  name TEXT NOT NULL UNIQUE,\n"                                                          \
  "  created REAL NOT NULL);\n"                                                             \
  "CREATE TABLE model_versions (\n"                                                         \
  "  model_id INTEGER NOT NULL REFERENCES models(id),\n"                                    \
  "  version INTEGER NOT NULL,\n"                                                           \
  "  run_id TEXT NOT NULL REFERENCES runs(id),\n"                                           \
  "  step TEXT NOT NULL,\n"                                                                 \
  "  model_artifact TEXT NOT NULL REFERENCES artifacts(id),\n"                              \
  "  transform_artifact TEXT REFERENCES artifacts(id),\n"                                   \
  "  schema_artifact TEXT REFERENCES artifacts(id),\n"                                      \
  "  yaml_path TEXT,\n"                                                                     \
  "  datasource_version TEXT,\n"                                                            \
  "  message TEXT,\n"                                                                       \
  "  created REAL NOT NULL,\n"                                                              \
  "  created_by TEXT,\n"                                                                    \
  "  deprecated INTEGER NOT NULL DEFAULT 0,\n"                                              \
  "  PRIMARY KEY (model_id, version));\n"                                                   \
  "CREATE INDEX model_versions_by_run ON model_versions (run_id);\n"                        \
  "CREATE TABLE model_tags (\n"                                                             \
  "  model_id INTEGER NOT NULL,\n"                                                          \
  "  version INTEGER NOT NULL,\n"                                                           \
  "  name TEXT NOT NULL,\n"                                                                 \
  "  value TEXT NOT NULL,\n"                                                                \
  "  PRIMARY KEY (model_id, version, name),\n"                                              \
  "  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version));\n"      \
  "CREATE TABLE model_aliases (\n"                                                          \
  "  model_id INTEGER NOT NULL REFERENCES models(id),\n"                                    \
  "  alias TEXT NOT NULL,\n"                                                                \
  "  version INTEGER NOT NULL,\n"                                                           \
  "  PRIMARY KEY (model_id, alias),\n"                                                      \
  "  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version));\n"      \
  "CREATE TABLE model_alias_history (\n"                                                    \
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"                                               \
  "  model_id INTEGER NOT NULL REFERENCES models(id),\n"                                    \
  "  alias TEXT NOT NULL,\n"                                                                \
  "  from_version INTEGER,\n"                                                               \
  "  to_version INTEGER NOT NULL,\n"                                                        \
  "  reason TEXT,\n"                                                                        \
  "  created_by TEXT,\n"                                                                    \
  "  created REAL NOT NULL,\n"                                                              \
  "  hook TEXT);\n"                                                                         \
  "CREATE INDEX model_alias_history_by_alias ON model_alias_history (model_id, alias);\n"

static const char schema_v6[] =
    SCHEMA_V2 MIGRATE_2_TO_3 MIGRATE_3_TO_4 MIGRATE_4_TO_5 MIGRATE_5_TO_6;

static const char migrate_5_to_6[] = MIGRATE_5_TO_6;

static const char migrate_1_to_2[] =
    "ALTER TABLE datasource_versions ADD COLUMN n_bytes INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE runs ADD COLUMN git_dirty INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE runs ADD COLUMN backend TEXT;\n"
    "ALTER TABLE runs ADD COLUMN host TEXT;\n"
    "ALTER TABLE runs ADD COLUMN pid INTEGER;\n"
    "UPDATE runs SET git_dirty = 1, git_commit = substr(git_commit, 1, length(git_commit) - 6)\n"
    "  WHERE git_commit LIKE '%-dirty';\n"
    "UPDATE runs SET status = 'completed' WHERE status = 'succeeded';\n"
    "ALTER TABLE executions ADD COLUMN cached_from INTEGER REFERENCES executions(id);\n"
    "ALTER TABLE executions ADD COLUMN log_artifact TEXT REFERENCES artifacts(id);\n"
    "UPDATE executions SET status = 'completed' WHERE status = 'succeeded';\n"
    "DROP INDEX executions_by_cache;\n"
    SCHEMA_V2_NEW_TABLES;

/* Index: the version (schemas) or the version migrated from (migrations). */
static const char *const schemas[] = {NULL, schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                      schema_v6};
static const char *const migrations[] = {NULL, migrate_1_to_2, migrate_2_to_3, migrate_3_to_4,
                                         migrate_4_to_5, migrate_5_to_6};

const char *zm_sql_sqlite_schema(int version)
{
  return version > 0 && version < (int)(sizeof schemas / sizeof *schemas) ? schemas[version] : NULL;
}

const char *zm_sql_sqlite_migration(int from)
{
  return from > 0 && from < (int)(sizeof migrations / sizeof *migrations) ? migrations[from] : NULL;
}
