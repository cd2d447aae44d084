/* Driver selection by URL and the small helpers every caller uses. */
#include "meta/sql.h"
#include "core/error.h"

#include <stdarg.h>
#include <string.h>

static const zm_sql_driver *const drivers[] = {
    &zm_sql_sqlite,
#ifdef ZM_HAVE_MARIADB
    &zm_sql_mariadb,
#endif
};

const zm_sql_driver *zm_sql_driver_find(const char *scheme)
{
  if (strcmp(scheme, "mariadb") == 0)
    scheme = "mysql"; /* one driver speaks to both servers */
  for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
    if (strcmp(drivers[i]->name, scheme) == 0)
      return drivers[i];
  return NULL;
}

/* Known schemes, so a URL for a driver missing from this build says so
 * instead of being taken for a file name. */
static int known_scheme(const char *s)
{
  return strcmp(s, "sqlite") == 0 || strcmp(s, "mysql") == 0 || strcmp(s, "mariadb") == 0;
}

int zm_sql_open(zm_sql_conn **out, const char *url, zm_sql_mode mode)
{
  *out = NULL;
  if (!url || !*url)
    return zm_error_set(ZM_EINVALID, "empty metadata store URL");
  const char *colon = strchr(url, ':');
  char scheme[16] = "sqlite";
  const char *target = url;
  if (colon && (size_t)(colon - url) < sizeof scheme) {
    char s[16];
    memcpy(s, url, (size_t)(colon - url));
    s[colon - url] = '\0';
    if (known_scheme(s)) {
      memcpy(scheme, s, sizeof s);
      target = colon + 1;
    }
  }
  const zm_sql_driver *drv = zm_sql_driver_find(scheme);
  if (!drv)
    return zm_error_set(ZM_EINVALID, "metadata driver '%s' is not available in this build",
                        scheme);
  if (strcmp(scheme, "sqlite") != 0)
    return drv->open(out, url, mode);
  if (strncmp(target, "//", 2) == 0)
    target += 2; /* sqlite://path as well as sqlite:path */
  if (!*target)
    return zm_error_set(ZM_EINVALID, "metadata store URL '%s' names no database", url);
  return drv->open(out, target, mode);
}

void zm_sql_close(zm_sql_conn *c)
{
  if (c)
    c->drv->close(c);
}

static int bind_args(zm_sql_stmt *s, const char *types, va_list ap)
{
  const zm_sql_driver *d = s->drv;
  int rc = 0;
  for (int i = 0; types[i] && rc == 0; i++) {
    int idx = i + 1;
    switch (types[i]) {
    case 'i':
      rc = d->bind_int64(s, idx, va_arg(ap, int64_t));
      break;
    case 'd':
      rc = d->bind_double(s, idx, va_arg(ap, double));
      break;
    case 's': {
      const char *v = va_arg(ap, const char *);
      rc = v ? d->bind_text(s, idx, v, strlen(v)) : d->bind_null(s, idx);
      break;
    }
    case 'n':
      rc = d->bind_null(s, idx);
      break;
    default:
      rc = zm_error_set(ZM_EINVALID, "bad bind type '%c'", types[i]);
    }
  }
  return rc;
}

int zm_sql_prepare(zm_sql_stmt **out, zm_sql_conn *c, const char *sql)
{
  *out = NULL;
  if (c->before) {
    int (*before)(void *) = c->before;
    c->before = NULL; /* its own statements must not call it again */
    int rc = before(c->before_ctx);
    if (rc < 0)
      return rc;
  }
  return c->drv->prepare(out, c, sql);
}

static int prepare_bind_v(zm_sql_stmt **out, zm_sql_conn *c, const char *sql,
                          const char *types, va_list ap)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare(&s, c, sql);
  if (rc < 0)
    return rc;
  rc = bind_args(s, types ? types : "", ap);
  if (rc < 0) {
    s->drv->finalize(s);
    return rc;
  }
  *out = s;
  return 0;
}

int zm_sql_prepare_bind(zm_sql_stmt **out, zm_sql_conn *c, const char *sql,
                        const char *types, ...)
{
  va_list ap;
  va_start(ap, types);
  int rc = prepare_bind_v(out, c, sql, types, ap);
  va_end(ap);
  return rc;
}

int zm_sql_run(zm_sql_conn *c, const char *sql, const char *types, ...)
{
  zm_sql_stmt *s = NULL;
  va_list ap;
  va_start(ap, types);
  int rc = prepare_bind_v(&s, c, sql, types, ap);
  va_end(ap);
  if (rc < 0)
    return rc;
  while ((rc = s->drv->step(s)) == ZM_SQL_ROW)
    ;
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}
