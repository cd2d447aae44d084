/* Store maintenance: verify (re-hash everything), check referenced ids, gc. */
#include "store/store_int.h"
#include "frame/rowsel.h"
#include "core/error.h"
#include "core/fault.h"
#include "hash/objhash.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A temp file this old is abandoned even if its pid is alive (pids recycle). */
#define STALE_SECONDS 3600

/* Called for each entry of each fan-out folder: `hex` is the object's digest,
 * or NULL when the name is not an object name (temp files, strays). */
typedef int (*entry_fn)(void *ctx, const char *path, const char *name, const char *hex);

static int is_hex(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
      return 0;
  return p[n] == '\0';
}

static int scan_folder(const char *dir, const char *fan, entry_fn fn, void *ctx)
{
  DIR *d = opendir(dir);
  if (!d)
    return zm_error_sys(ZM_EIO, "cannot open folder %s", dir);
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char path[PATH_MAX], hex[65];
    if ((rc = store_path_fmt(path, sizeof path, "%s/%s", dir, e->d_name)))
      break;
    int object = fan && is_hex(e->d_name, 62);
    if (object) {
      memcpy(hex, fan, 2);
      memcpy(hex + 2, e->d_name, 63);
    }
    rc = fn(ctx, path, e->d_name, object ? hex : NULL);
  }
  closedir(d);
  return rc;
}

/* Visit every entry of every objects/xx folder, then of tmp/ (fan NULL there). */
static int scan_store(const zm_store *s, entry_fn fn, void *ctx)
{
  DIR *d = opendir(s->objects);
  if (!d)
    return zm_error_sys(ZM_EIO, "cannot open folder %s", s->objects);
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strlen(e->d_name) != 2 || !is_hex(e->d_name, 2))
      continue;
    char dir[PATH_MAX];
    if ((rc = store_path_fmt(dir, sizeof dir, "%s/%s", s->objects, e->d_name)))
      break;
    rc = scan_folder(dir, e->d_name, fn, ctx);
  }
  closedir(d);
  return rc ? rc : scan_folder(s->tmp, NULL, fn, ctx);
}

typedef struct verify_ctx {
  const zm_store *s;
  zm_store_report report;
  void *ctx;
  size_t bad;
} verify_ctx;

static void report(verify_ctx *v, const char *what, const char *problem)
{
  v->bad++;
  if (v->report)
    v->report(v->ctx, what, problem);
}

static int verify_entry(void *ctx, const char *path, const char *name, const char *hex)
{
  verify_ctx *v = ctx;
  char got[65], id[ZM_STORE_ID_SIZE], problem[2200];
  long pid;
  int same;
  if (store_in_tmp(v->s, path) || store_tmp_name(v->s, name, &pid, &same))
    return 0; /* tmp/ is the store's scratch space: gc's business */
  if (!hex) {
    report(v, path + strlen(v->s->root) + 1, "not an object name");
    return 0;
  }
  snprintf(id, sizeof id, "sha256:%s", hex);
  if (zm_objhash_file(got, path, 0) != 0) {
    snprintf(problem, sizeof problem, "unreadable: %s", zm_error_last());
    report(v, id, problem);
  } else if (strcmp(got, hex) != 0 && !store_legacy_name(path, hex)) {
    snprintf(problem, sizeof problem, "corrupt: content hash is sha256:%s", got);
    report(v, id, problem);
  }
  return 0;
}

int zm_store_verify(size_t *out_bad, zm_store *s, zm_store_report report_fn, void *ctx)
{
  verify_ctx v = {s, report_fn, ctx, 0};
  int rc = scan_store(s, verify_entry, &v);
  if (out_bad)
    *out_bad = v.bad;
  return rc;
}

/* Report the entries of tree `id` that are missing. */
static void check_tree(verify_ctx *v, const char *id)
{
  tree t = {0};
  char problem[4400];
  if (tree_load(&t, v->s, id) != 0) {
    snprintf(problem, sizeof problem, "unreadable tree: %s", zm_error_last());
    report(v, id, problem);
    return;
  }
  for (size_t i = 0; i < t.n; i++)
    if (zm_store_exists(v->s, t.items[i].id) != 1) {
      snprintf(problem, sizeof problem, "missing (entry '%s' of tree %s)", t.items[i].path, id);
      report(v, t.items[i].id, problem);
    }
  tree_free(&t);
}

/* The base of object `id` when it is a row selection (frame/rowsel.h):
 * 1 and base filled, else 0. */
static int selection_base(char base[ZM_ROWSEL_ID_SIZE], const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  if (zm_store_path(path, sizeof path, s, id) != 0)
    return 0;
  return zm_rowsel_file_base(base, path) == 1;
}

/* Report a row selection's base when it is missing. */
static void check_selection(verify_ctx *v, const char *id)
{
  char base[ZM_ROWSEL_ID_SIZE], problem[256];
  if (selection_base(base, v->s, id) && zm_store_exists(v->s, base) != 1) {
    snprintf(problem, sizeof problem, "missing (the base of row selection %s)", id);
    report(v, base, problem);
  }
}

int zm_store_check_ids(size_t *out_missing, zm_store *s, const char *const *ids, size_t n,
                       zm_store_report report_fn, void *ctx)
{
  verify_ctx v = {s, report_fn, ctx, 0};
  for (size_t i = 0; i < n; i++) {
    int rc = zm_store_exists(s, ids[i]);
    if (rc < 0)
      report(&v, ids[i], "invalid artifact id");
    else if (rc == 0)
      report(&v, ids[i], "missing");
    else if (zm_store_is_tree(s, ids[i]) == 1)
      check_tree(&v, ids[i]);
    else
      check_selection(&v, ids[i]);
  }
  if (out_missing)
    *out_missing = v.bad;
  return 0;
}

/* The set of digests gc keeps, sorted for bsearch. */
typedef struct keep_set {
  char (*hex)[65];
  size_t n, cap;
} keep_set;

static int keep_add(keep_set *k, const char *id)
{
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 256;
    char(*p)[65] = realloc(k->hex, cap * sizeof *p);
    if (!p)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    k->hex = p;
    k->cap = cap;
  }
  memcpy(k->hex[k->n++], id + 7, 65);
  return 0;
}

static int hex_cmp(const void *a, const void *b)
{
  return strcmp(a, b);
}

/* Every id in `keep`, the entries of those that are trees and the bases
 * of those that are row selections. */
static int keep_build(keep_set *k, const zm_store *s, const char *const *keep, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int rc = zm_store_id_check(keep[i]);
    if (rc || (rc = keep_add(k, keep[i])))
      return rc;
    char base[ZM_ROWSEL_ID_SIZE];
    if (zm_store_exists(s, keep[i]) == 1 && selection_base(base, s, keep[i]) &&
        (rc = keep_add(k, base)))
      return rc;
    if (zm_store_exists(s, keep[i]) != 1 || zm_store_is_tree(s, keep[i]) != 1)
      continue;
    tree t = {0};
    if (tree_load(&t, s, keep[i]) != 0)
      continue; /* starts like a manifest but is not one: a plain object */
    for (size_t j = 0; rc == 0 && j < t.n; j++)
      rc = keep_add(k, t.items[j].id);
    tree_free(&t);
    if (rc)
      return rc;
  }
  if (k->n > 1)
    qsort(k->hex, k->n, sizeof *k->hex, hex_cmp);
  return 0;
}

typedef struct gc_ctx {
  const zm_store *s;
  keep_set keep;
  int dry_run;
  int temps_only; /* leave every object alone */
  time_t now;
  zm_store_gc_stats stats;
} gc_ctx;

/* A temp entry is stale when its process is gone, or (made elsewhere, or
 * not named by the store: an older zenml's folders) an hour old. */
static int tmp_is_stale(const gc_ctx *g, const char *name, const struct stat *st)
{
  long pid;
  int same_host;
  if (!store_tmp_name(g->s, name, &pid, &same_host))
    return g->now - st->st_mtime > STALE_SECONDS;
  if (same_host && pid == (long)getpid())
    return 0; /* our own open batch */
  if (same_host && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 1;
  return g->now - st->st_mtime > STALE_SECONDS;
}

static int gc_entry(void *ctx, const char *path, const char *name, const char *hex)
{
  gc_ctx *g = ctx;
  struct stat st;
  if (lstat(path, &st) != 0)
    return 0; /* gone meanwhile: another gc or a rename */
  if (store_in_tmp(g->s, path)) {
    if (!tmp_is_stale(g, name, &st))
      return 0;
    uint64_t bytes = 0;
    int rc = store_tmp_remove_tree(&bytes, path, g->dry_run);
    if (rc)
      return rc;
    if (!g->dry_run)
      zm_fault("gc.delete");
    g->stats.temps++;
    g->stats.bytes += bytes;
    return 0;
  }
  int object = hex && !g->temps_only && (g->keep.n == 0 ||
                      !bsearch(hex, g->keep.hex, g->keep.n, sizeof *g->keep.hex, hex_cmp));
  if (!object)
    return 0;
  if (!g->dry_run && unlink(path) != 0 && errno != ENOENT)
    return zm_error_sys(ZM_EIO, "cannot remove %s", path);
  if (!g->dry_run)
    zm_fault("gc.delete");
  if (object)
    g->stats.objects++;
  else
    g->stats.temps++;
  g->stats.bytes += (uint64_t)st.st_size;
  return 0;
}

int zm_store_gc(zm_store_gc_stats *out, zm_store *s, const char *const *keep, size_t n,
                int dry_run)
{
  gc_ctx g = {.s = s, .dry_run = dry_run, .now = time(NULL)};
  int rc = keep_build(&g.keep, s, keep, n);
  if (rc == 0)
    rc = scan_store(s, gc_entry, &g);
  free(g.keep.hex);
  if (out)
    *out = g.stats;
  return rc;
}

int zm_store_clean_temps(zm_store_gc_stats *out, zm_store *s, int dry_run)
{
  gc_ctx g = {.s = s, .dry_run = dry_run, .temps_only = 1, .now = time(NULL)};
  int rc = scan_store(s, gc_entry, &g);
  if (out)
    *out = g.stats;
  return rc;
}
