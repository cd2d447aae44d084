/* The metadata store: opening (schema creation and migration), transactions,
 * shared helpers, datasources and pipelines. */
#include "meta/meta_internal.h"
#include "core/error.h"
#include "core/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const status_names[] = {"running", "completed", "failed", "cached",
                                           "skipped", "invalid", "cancelled"};

const char *zm_meta_status_name(zm_meta_status s)
{
  return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

int zm_meta_status_parse(zm_meta_status *out, const char *name)
{
  for (size_t i = 0; name && i < sizeof status_names / sizeof status_names[0]; i++)
    if (strcmp(name, status_names[i]) == 0) {
      *out = (zm_meta_status)i;
      return 0;
    }
  return zm_error_set(ZM_EINVALID,
                      "unknown status '%s' (expected running, completed, failed, cached or skipped)",
                      name ? name : "(null)");
}

double zm__meta_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *zm__meta_col_dup(zm_sql_stmt *s, int col, int *rc)
{
  const char *v = s->drv->column_text(s, col);
  if (!v)
    return NULL;
  char *copy = strdup(v);
  if (!copy)
    *rc = zm_error_set(ZM_ENOMEM, "out of memory");
  return copy;
}

int zm__meta_grow(void **items, size_t *cap, size_t len, size_t size)
{
  if (len < *cap)
    return 0;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = realloc(*items, ncap * size);
  if (!p)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
  *items = p;
  *cap = ncap;
  return 0;
}

void zm_meta_strings_free(zm_meta_strings *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i]);
  free(l->items);
  free(l);
}

int zm__meta_collect_strings(zm_meta_strings **out, zm_sql_stmt *s)
{
  zm_meta_strings *l = calloc(1, sizeof *l);
  size_t cap = 0;
  int rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      l->items[l->len++] = zm__meta_col_dup(s, 0, &rc);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_strings_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* --- transactions -------------------------------------------------------- */

int zm__meta_tx_enter(zm_meta *m)
{
  if (m->depth == 0) {
    int rc = m->d->begin(m->c);
    if (rc < 0)
      return rc;
  }
  m->depth++;
  return 0;
}

int zm__meta_tx_leave(zm_meta *m, int rc)
{
  if (m->depth <= 0)
    return rc;
  if (--m->depth > 0)
    return rc;
  if (rc == 0)
    rc = zm__meta_cache_flush(m);
  zm__meta_cache_end(m);
  if (rc == 0) {
    zm_fault("meta.tx.commit");
    rc = m->d->commit(m->c);
  }
  if (rc < 0)
    m->d->rollback(m->c);
  return rc;
}

enum { TX_BEFORE, TX_OWN, TX_AGAIN, TX_JOINED, TX_LAST };

int zm__meta_tx_next(zm_meta *m, int *rc, int *state)
{
  if (*state == TX_BEFORE || *state == TX_AGAIN) {
    int own = m->depth == 0;
    *rc = zm__meta_tx_enter(m);
    if (*rc < 0)
      return 0;
    *state = *state == TX_AGAIN ? TX_LAST : own ? TX_OWN : TX_JOINED;
    return 1;
  }
  *rc = zm__meta_tx_leave(m, *rc);
  if (*rc < 0 && *state != TX_LAST && m->d->retry && m->d->retry(m->c)) {
    if (*state == TX_JOINED) {
      m->lost = 1; /* the caller's to run again: zm_meta_tx_lost */
      zm__meta_cache_end(m); /* its held-back hits went with it */
      return 0;
    }
    *state = TX_AGAIN;
    return zm__meta_tx_next(m, rc, state);
  }
  return 0;
}

int zm_meta_tx_lost(const zm_meta *m)
{
  return m->lost;
}

int zm_meta_begin(zm_meta *m)
{
  if (m->depth == 0)
    m->lost = 0;
  return zm__meta_tx_enter(m);
}

int zm_meta_commit(zm_meta *m)
{
  if (m->depth <= 0)
    return zm_error_set(ZM_EINVALID, "commit without a matching begin");
  return zm__meta_tx_leave(m, 0);
}

int zm_meta_rollback(zm_meta *m)
{
  if (m->depth <= 0)
    return zm_error_set(ZM_EINVALID, "rollback without a matching begin");
  m->depth = 0;
  zm__meta_cache_end(m);
  return m->d->rollback(m->c);
}

/* --- opening ------------------------------------------------------------- */

/* How errors name the store: the path for SQLite, the URL without its
 * options otherwise (into `buf`). */
static const char *display_name(char *buf, size_t cap, const char *url)
{
  if (strncmp(url, "sqlite:", 7) == 0)
    url += 7;
  else if (strstr(url, "://")) {
    snprintf(buf, cap, "%.*s", (int)strcspn(url, "?"), url);
    return buf;
  }
  if (strncmp(url, "//", 2) == 0)
    url += 2;
  return url;
}

static int create_or_migrate(zm_meta *m, int from, const char *name)
{
  int rc = 0;
  if (from == 0) {
    rc = m->d->exec(m->c, m->d->schema(ZM_META_SCHEMA_VERSION));
    if (rc < 0)
      return zm_error_wrap(rc, "cannot create the metadata schema");
    return 0;
  }
  for (int v = from; v < ZM_META_SCHEMA_VERSION && rc == 0; v++) {
    const char *step = m->d->migration(v);
    rc = step ? m->d->exec(m->c, step)
              : zm_error_set(ZM_EVERSION, "%s: no migration from metadata schema version %d",
                             name, v);
    if (rc < 0)
      return zm_error_wrap(rc, "cannot migrate the metadata schema from version %d to %d", v,
                           ZM_META_SCHEMA_VERSION);
  }
  return 0;
}

static int newer_error(const char *name, int v)
{
  return zm_error_set(ZM_EVERSION,
                      "%s: metadata schema version %d is newer than this zenml supports (%d); "
                      "upgrade zenml",
                      name, v, ZM_META_SCHEMA_VERSION);
}

/* Create a fresh schema or migrate an old one in one transaction: a failure
 * leaves the database exactly as it was. The version is read again inside the
 * transaction because another process may have got there first. */
static int ensure_schema(zm_meta *m, const char *name, zm_sql_mode mode)
{
  int v = 0;
  int rc = m->d->get_version(m->c, &v);
  if (rc < 0 || v == ZM_META_SCHEMA_VERSION)
    return rc;
  if (v > ZM_META_SCHEMA_VERSION)
    return newer_error(name, v);
  if (v == 0 && mode != ZM_SQL_CREATE)
    return zm_error_set(ZM_EINVALID,
                        "%s: a database without zenml's tables; restore the metadata database "
                        "from a backup, or remove it and run 'zenml init' to start an empty one",
                        name);
  if (mode == ZM_SQL_READ)
    return zm_error_set(ZM_EVERSION,
                        "%s: metadata schema version %d is older than this zenml's (%d) and the "
                        "store is opened read-only; run any zenml command where it is writable "
                        "to migrate it", name, v, ZM_META_SCHEMA_VERSION);
  if ((rc = m->d->begin(m->c)) < 0)
    return rc;
  rc = m->d->get_version(m->c, &v);
  if (rc == 0 && v > ZM_META_SCHEMA_VERSION)
    rc = newer_error(name, v);
  if (rc == 0 && v < ZM_META_SCHEMA_VERSION) {
    rc = create_or_migrate(m, v, name);
    if (rc == 0)
      rc = m->d->set_version(m->c, ZM_META_SCHEMA_VERSION);
  }
  if (rc == 0)
    return m->d->commit(m->c);
  m->d->rollback(m->c);
  return rc;
}

static int build_statements(zm_meta *m)
{
  static const char *const artifact[] = {"id", "type", "size", "created"};
  static const char *const dsv[] = {"id",        "datasource_id", "artifact", "n_rows",
                                    "n_columns", "n_bytes",       "created"};
  static const char *const event[] = {"execution_id", "artifact", "kind", "name"};
  static const char *const prop[] = {"entity_kind", "entity_id",    "name",
                                     "int_value",   "double_value", "text_value"};
  static const char *const stat[] = {"dev", "ino", "size", "mtime_ns", "sha256"};
  zm_buf b[SQL_COUNT] = {ZM_BUF_INIT, ZM_BUF_INIT, ZM_BUF_INIT, ZM_BUF_INIT, ZM_BUF_INIT};
  int rc = m->d->insert_ignore(&b[SQL_ARTIFACT_IGNORE], "artifacts", artifact, 4);
  if (rc == 0)
    rc = m->d->insert_ignore(&b[SQL_DSVERSION_IGNORE], "datasource_versions", dsv, 7);
  if (rc == 0)
    rc = m->d->insert_ignore(&b[SQL_EVENT_IGNORE], "events", event, 4);
  if (rc == 0)
    rc = m->d->upsert(&b[SQL_PROPERTY_UPSERT], "properties", prop, 6, 3);
  if (rc == 0)
    rc = m->d->upsert(&b[SQL_STAT_UPSERT], "stat_cache", stat, 5, 2);
  for (int i = 0; i < SQL_COUNT; i++)
    m->sql[i] = zm_buf_detach(&b[i]);
  return rc;
}

int zm_meta_open(zm_meta **out, const char *url, zm_sql_mode mode)
{
  *out = NULL;
  zm_meta *m = calloc(1, sizeof *m);
  if (!m)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = zm_sql_open(&m->c, url, mode);
  if (rc < 0)
    goto done;
  m->d = m->c->drv;
  char name[512];
  rc = ensure_schema(m, display_name(name, sizeof name, url),
                     m->c->read_only ? ZM_SQL_READ : mode);
  if (rc == 0)
    rc = build_statements(m);
done:
  if (rc < 0) {
    zm_meta_close(m);
    return rc;
  }
  *out = m;
  return 0;
}

void zm_meta_close(zm_meta *m)
{
  if (!m)
    return;
  zm__meta_cache_free(m);
  zm_sql_close(m->c); /* rolls back an open transaction */
  for (int i = 0; i < SQL_COUNT; i++)
    free(m->sql[i]);
  free(m);
}

zm_sql_conn *zm_meta_conn(zm_meta *m)
{
  return m->c;
}

int zm_meta_read_only(const zm_meta *m)
{
  return m->c->read_only;
}

/* --- datasources --------------------------------------------------------- */

/* The id of a datasource by name; ZM_ENOTFOUND naming it when absent. */
static int datasource_id(int64_t *out, zm_meta *m, const char *name)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT id FROM datasources WHERE name = ?", "s", name);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW)
    *out = s->drv->column_int64(s, 0);
  s->drv->finalize(s);
  if (rc == ZM_SQL_DONE)
    return zm_error_set(ZM_ENOTFOUND, "no datasource named '%s'", name);
  return rc < 0 ? rc : 0;
}

int zm_meta_datasource_register(int64_t *out_id, zm_meta *m, const char *name,
                                const char *type, const char *config)
{
  int64_t id = 0;
  int rc = 0;
  ZM__META_TX(m, rc) {
    if (!config)
      config = "{}";
    rc = datasource_id(&id, m, name);
    if (rc == 0) {
      rc = zm_sql_run(m->c, "UPDATE datasources SET type = ?, config = ? WHERE id = ?", "ssi",
                      type, config, id);
    } else if (rc == ZM_ENOTFOUND) {
      rc = zm_sql_run(m->c,
                      "INSERT INTO datasources (name, type, config, created) VALUES (?, ?, ?, ?)",
                      "sssd", name, type, config, zm__meta_now());
      id = m->d->last_insert_id(m->c);
    }
  }
  if (rc == 0 && out_id)
    *out_id = id;
  return rc;
}

void zm_meta_datasource_free(zm_meta_datasource *d)
{
  if (!d)
    return;
  free(d->name);
  free(d->type);
  free(d->config);
  free(d);
}

int zm_meta_datasource_get(zm_meta_datasource **out, zm_meta *m, const char *name)
{
  *out = NULL;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(
      &s, m->c, "SELECT id, name, type, config, created FROM datasources WHERE name = ?", "s",
      name);
  if (rc < 0)
    return rc;
  zm_meta_datasource *d = calloc(1, sizeof *d);
  rc = d ? s->drv->step(s) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == ZM_SQL_DONE)
    rc = zm_error_set(ZM_ENOTFOUND, "no datasource named '%s'", name);
  if (rc == ZM_SQL_ROW) {
    rc = 0;
    d->id = s->drv->column_int64(s, 0);
    d->name = zm__meta_col_dup(s, 1, &rc);
    d->type = zm__meta_col_dup(s, 2, &rc);
    d->config = zm__meta_col_dup(s, 3, &rc);
    d->created = s->drv->column_double(s, 4);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_datasource_free(d);
    return rc;
  }
  *out = d;
  return 0;
}

int zm_meta_datasource_list(zm_meta_strings **out, zm_meta *m)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT name FROM datasources ORDER BY name", "");
  return rc < 0 ? rc : zm__meta_collect_strings(out, s);
}

int zm_meta_dsversion_add(zm_meta *m, const char *datasource, const zm_meta_dsversion *v)
{
  int64_t id = 0;
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = datasource_id(&id, m, datasource);
    if (rc == 0)
      rc = zm_sql_run(m->c, m->sql[SQL_DSVERSION_IGNORE], "sisiiid", v->id, id, v->artifact,
                      v->rows, v->columns, v->bytes, v->created > 0 ? v->created : zm__meta_now());
  }
  return rc;
}

void zm_meta_dsversion_free(zm_meta_dsversion *v)
{
  if (!v)
    return;
  free(v->id);
  free(v->datasource);
  free(v->artifact);
  free(v);
}

static void dsversion_clear(zm_meta_dsversion *v)
{
  free(v->id);
  free(v->datasource);
  free(v->artifact);
}

void zm_meta_dsversions_free(zm_meta_dsversions *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    dsversion_clear(&l->items[i]);
  free(l->items);
  free(l);
}

static const char dsversion_sql[] =
    "SELECT v.id, d.name, v.artifact, v.n_rows, v.n_columns, v.n_bytes, v.created"
    " FROM datasource_versions v JOIN datasources d ON d.id = v.datasource_id"
    " WHERE d.name = ? ORDER BY v.created DESC, v.id";

static int dsversion_row(zm_meta_dsversion *v, zm_sql_stmt *s)
{
  int rc = 0;
  v->id = zm__meta_col_dup(s, 0, &rc);
  v->datasource = zm__meta_col_dup(s, 1, &rc);
  v->artifact = zm__meta_col_dup(s, 2, &rc);
  v->rows = s->drv->column_int64(s, 3);
  v->columns = s->drv->column_int64(s, 4);
  v->bytes = s->drv->column_int64(s, 5);
  v->created = s->drv->column_double(s, 6);
  return rc;
}

int zm_meta_dsversion_list(zm_meta_dsversions **out, zm_meta *m, const char *datasource)
{
  *out = NULL;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, dsversion_sql, "s", datasource);
  if (rc < 0)
    return rc;
  zm_meta_dsversions *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = dsversion_row(&l->items[l->len++], s);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_dsversions_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_dsversion_latest(zm_meta_dsversion **out, zm_meta *m, const char *datasource)
{
  zm_meta_dsversions *l = NULL;
  *out = NULL;
  int rc = zm_meta_dsversion_list(&l, m, datasource);
  if (rc < 0)
    return rc;
  if (l->len == 0) {
    zm_meta_dsversions_free(l);
    return zm_error_set(ZM_ENOTFOUND, "datasource '%s' has no versions", datasource);
  }
  zm_meta_dsversion *v = malloc(sizeof *v);
  if (!v) {
    zm_meta_dsversions_free(l);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  *v = l->items[0];
  l->items[0] = (zm_meta_dsversion){0};
  zm_meta_dsversions_free(l);
  *out = v;
  return 0;
}

/* --- pipelines ----------------------------------------------------------- */

static int query_int(int64_t *out, zm_meta *m, const char *sql, const char *types,
                     const char *a, const char *b)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, sql, types, a, b);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW)
    *out = s->drv->column_int64(s, 0);
  s->drv->finalize(s);
  return rc;
}

int zm_meta_pipeline_version(int64_t *out, zm_meta *m, const char *name, const char *dag_hash)
{
  int64_t version = 0;
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = query_int(&version, m, "SELECT version FROM pipelines WHERE name = ? AND dag_hash = ?",
                   "ss", name, dag_hash);
    if (rc == ZM_SQL_DONE) {
      rc = query_int(&version, m,
                     "SELECT COALESCE(MAX(version), 0) + 1 FROM pipelines WHERE name = ?", "s",
                     name, NULL);
      if (rc >= 0)
        rc = zm_sql_run(m->c,
                        "INSERT INTO pipelines (name, version, dag_hash, created) VALUES (?, ?, ?, ?)",
                        "sisd", name, version, dag_hash, zm__meta_now());
    }
    rc = rc < 0 ? rc : 0;
  }
  if (rc == 0)
    *out = version;
  return rc;
}
