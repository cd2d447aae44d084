/* Write-behind: single puts queue their unsynced temp files and a background
 * thread makes them durable together. One fdatasync per small object costs
 * more than the work of a trivial step; one syncfs for everything written
 * in the last fraction of a second costs about the same as a single one.
 *
 * An object is in one of three places: the queue (temp file, not yet
 * synced), the batch being committed (temp file, being synced and renamed)
 * or objects/ (final). Readers look at objects/ first, then at the temp path
 * of a queued object, then at objects/ again: a rename between the second
 * and third look is the only way a temp path can vanish.
 *
 * A reader that keeps the path it opens (a frame maps a row selection's
 * base when first needed) borrows the temp file instead: the commit then
 * links it into objects/ rather than moving it, and the temp name stays
 * until the handle closes. A step so reads its inputs while they are being
 * made durable, instead of waiting for the sync.
 *
 * Several handles on one store in one process (the parallel runner's
 * workers each open their own) see each other's queued objects: every queue
 * is in a process-wide registry that lookups walk. */
#include "store/store_int.h"
#include "core/error.h"
#include "core/fault.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct store_behind {
  zm_store *store;        /* the handle this queue belongs to */
  store_behind *next;     /* the process's other queues (registry) */
  pthread_mutex_t lock;   /* queue, committing, err, stopping */
  pthread_cond_t wake;    /* a first put was queued, or stop */
  pthread_mutex_t commit; /* one commit at a time (thread or settle) */
  pthread_t thread;
  unsigned max_ms;
  int stopping;
  struct timespec oldest; /* when the queue's first entry came */
  store_batch queue;      /* puts waiting for the next commit */
  store_batch committing; /* the commit in progress */
  int err;                /* the first failed background commit's code */
  char msg[512];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static store_behind *registry;

static void registry_add(store_behind *w)
{
  pthread_mutex_lock(&registry_lock);
  w->next = registry;
  registry = w;
  pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(store_behind *w)
{
  pthread_mutex_lock(&registry_lock);
  for (store_behind **p = &registry; *p; p = &(*p)->next) {
    if (*p == w) {
      *p = w->next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
}

static void batch_clear(store_batch *b, int remove)
{
  for (size_t i = 0; i < b->n; i++) {
    if (remove && b->items[i].tmp)
      unlink(b->items[i].tmp);
    free(b->items[i].tmp);
  }
  free(b->items);
  *b = (store_batch){0};
}

static int find(const store_batch *b, const char *hex)
{
  for (size_t i = 0; i < b->n; i++)
    if (b->items[i].tmp && !b->items[i].placed && memcmp(b->items[i].hex, hex, 64) == 0)
      return (int)i;
  return -1;
}

int store_behind_active(const zm_store *s)
{
  return s->behind != NULL;
}

int store_behind_add(zm_store *s, const char *tmp, const char *hex)
{
  store_behind *w = s->behind;
  store_batch *q = &w->queue;
  int rc = 0;
  pthread_mutex_lock(&w->lock);
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    pending *p = realloc(q->items, cap * sizeof *p);
    if (!p) {
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
      goto done;
    }
    q->items = p;
    q->cap = cap;
  }
  if (!(q->items[q->n].tmp = strdup(tmp))) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(q->items[q->n].hex, hex, 65);
  q->items[q->n].lent = q->items[q->n].placed = 0;
  if (q->n++ == 0) {
    clock_gettime(CLOCK_MONOTONIC, &w->oldest);
    pthread_cond_signal(&w->wake);
  }
done:
  pthread_mutex_unlock(&w->lock);
  if (rc)
    unlink(tmp);
  return rc;
}

/* The temp path of `hex` if queue `w` holds it, marked lent when `lend`;
 * call with w->lock held. */
static int queued_in(char *out, size_t cap, store_behind *w, const char *hex, int lend)
{
  store_batch *b = &w->queue;
  int i = find(b, hex);
  if (i < 0)
    i = find(b = &w->committing, hex);
  if (i < 0 || (size_t)snprintf(out, cap, "%s", b->items[i].tmp) >= cap)
    return 0;
  if (lend)
    b->items[i].lent = 1;
  return 1;
}

/* The queue of a handle on the same store as `s` that holds `hex`, its temp
 * path in `out`; NULL if none does. Call with registry_lock held. */
static store_behind *owner(char *out, size_t cap, const zm_store *s, const char *hex, int lend)
{
  store_behind *found = NULL;
  for (store_behind *w = registry; w && !found; w = w->next) {
    if (strcmp(w->store->objects, s->objects) != 0)
      continue;
    pthread_mutex_lock(&w->lock);
    if (queued_in(out, cap, w, hex, lend))
      found = w;
    pthread_mutex_unlock(&w->lock);
  }
  return found;
}

static int queued(char *out, size_t cap, const zm_store *s, const char *hex, int lend)
{
  pthread_mutex_lock(&registry_lock);
  int found = owner(out, cap, s, hex, lend) != NULL;
  pthread_mutex_unlock(&registry_lock);
  return found;
}

int store_behind_tmp(char *out, size_t cap, const zm_store *s, const char *hex)
{
  return queued(out, cap, s, hex, 0);
}

int store_behind_lend(char *out, size_t cap, const zm_store *s, const char *hex)
{
  return queued(out, cap, s, hex, 1);
}

/* Keep lent temp name `tmp` (taking it) until the handle closes. Without
 * memory for the list the name stays behind: gc removes it once this
 * process has ended. */
static void keep_lent(zm_store *s, char *tmp)
{
  pthread_mutex_lock(&s->lent_lock);
  if (s->nlent == s->lent_cap) {
    size_t cap = s->lent_cap ? s->lent_cap * 2 : 16;
    char **p = realloc(s->lent, cap * sizeof *p);
    if (p) {
      s->lent = p;
      s->lent_cap = cap;
    }
  }
  if (s->nlent < s->lent_cap)
    s->lent[s->nlent++] = tmp;
  else
    free(tmp);
  pthread_mutex_unlock(&s->lent_lock);
}

void store_lent_release(zm_store *s)
{
  pthread_mutex_lock(&s->lent_lock);
  for (size_t i = 0; i < s->nlent; i++) {
    unlink(s->lent[i]);
    free(s->lent[i]);
  }
  free(s->lent);
  s->lent = NULL;
  s->nlent = s->lent_cap = 0;
  pthread_mutex_unlock(&s->lent_lock);
}

/* Move temp file `tmp` to `path`, or with `keep` give it `path` as a
 * second name (an identical object there already will do). */
static int move_or_link(const char *tmp, const char *path, int keep)
{
  if (!keep)
    return rename(tmp, path);
  return link(tmp, path) == 0 || errno == EEXIST ? 0 : -1;
}

/* Put one synced temp file in objects/, making its fan-out folder if a gc
 * removed it; a rename may replace an identical object. Under the queue's
 * lock, so a reader either borrows the temp file first (it is then linked
 * and kept) or finds the object placed. */
static int place(store_behind *w, pending *p)
{
  char path[PATH_MAX];
  store_object_path(path, sizeof path, w->store, p->hex);
  zm_fault("store.put.written");
  pthread_mutex_lock(&w->lock);
  int ok = move_or_link(p->tmp, path, p->lent) == 0;
  if (!ok && errno == ENOENT) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%.2s", w->store->objects, p->hex);
    ok = (mkdir(dir, 0777) == 0 || errno == EEXIST) && move_or_link(p->tmp, path, p->lent) == 0;
  }
  if (ok) {
    p->placed = 1;
    if (p->lent) {
      keep_lent(w->store, p->tmp);
      p->tmp = NULL;
    }
  }
  pthread_mutex_unlock(&w->lock);
  return ok ? 0 : zm_error_sys(ZM_EIO, "cannot rename %s to %s", p->tmp, path);
}

/* Sync, place and sync again everything queued so far. The contents are
 * durable before any rename, so a crash can only expose complete objects;
 * the second syncfs makes the new folder entries durable, all at once. */
static int commit(store_behind *w)
{
  const zm_store *s = w->store;
  pthread_mutex_lock(&w->commit);
  pthread_mutex_lock(&w->lock);
  w->committing = w->queue;
  w->queue = (store_batch){0};
  size_t n = w->committing.n;
  pthread_mutex_unlock(&w->lock);
  int rc = n ? store_sync_fs(s) : 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = place(w, &w->committing.items[i]);
  if (rc == 0 && n)
    rc = store_sync_fs(s);
  pthread_mutex_lock(&w->lock);
  batch_clear(&w->committing, rc != 0);
  if (rc && !w->err) {
    w->err = rc;
    snprintf(w->msg, sizeof w->msg, "%s", zm_error_last());
  }
  pthread_mutex_unlock(&w->lock);
  pthread_mutex_unlock(&w->commit);
  return rc;
}

static int due(const store_behind *w, struct timespec *at)
{
  *at = w->oldest;
  at->tv_sec += w->max_ms / 1000;
  at->tv_nsec += (long)(w->max_ms % 1000) * 1000000L;
  if (at->tv_nsec >= 1000000000L) {
    at->tv_sec++;
    at->tv_nsec -= 1000000000L;
  }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec > at->tv_sec || (now.tv_sec == at->tv_sec && now.tv_nsec >= at->tv_nsec);
}

static void *flusher(void *arg)
{
  store_behind *w = arg;
  pthread_mutex_lock(&w->lock);
  while (!w->stopping) {
    struct timespec at;
    if (w->queue.n == 0) {
      pthread_cond_wait(&w->wake, &w->lock);
    } else if (!due(w, &at)) {
      pthread_cond_timedwait(&w->wake, &w->lock, &at);
    } else {
      pthread_mutex_unlock(&w->lock);
      commit(w);
      pthread_mutex_lock(&w->lock);
    }
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

static void behind_free(store_behind *w)
{
  pthread_mutex_destroy(&w->lock);
  pthread_mutex_destroy(&w->commit);
  pthread_cond_destroy(&w->wake);
  free(w);
}

static int behind_start(zm_store *s, unsigned max_ms)
{
  store_behind *w = calloc(1, sizeof *w);
  if (!w)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&w->wake, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&w->lock, NULL);
  pthread_mutex_init(&w->commit, NULL);
  w->max_ms = max_ms;
  w->store = s;
  int e = pthread_create(&w->thread, NULL, flusher, w);
  if (e) {
    behind_free(w);
    errno = e;
    return zm_error_sys(ZM_EIO, "cannot start the write-behind thread of store %s", s->root);
  }
  s->behind = w;
  registry_add(w);
  return 0;
}

/* Commit queue `w` and report (then forget) an error a commit met. */
static int settle(store_behind *w)
{
  commit(w);
  pthread_mutex_lock(&w->lock);
  int rc = w->err;
  if (rc)
    zm_error_set(rc, "%s", w->msg);
  w->err = 0;
  pthread_mutex_unlock(&w->lock);
  return rc;
}

int zm_store_settle(const zm_store *s)
{
  return s->behind ? settle(s->behind) : 0;
}

int store_behind_settle(const zm_store *s, const char *hex)
{
  char tmp[PATH_MAX];
  /* Under the registry lock, so the queue cannot be stopped and freed by
   * its own handle meanwhile. */
  pthread_mutex_lock(&registry_lock);
  store_behind *w = owner(tmp, sizeof tmp, s, hex, 0);
  int rc = w ? settle(w) : 0;
  pthread_mutex_unlock(&registry_lock);
  return rc;
}

int zm_store_write_behind(zm_store *s, unsigned max_ms)
{
  store_behind *w = s->behind;
  if (max_ms > 0) {
    if (w) {
      pthread_mutex_lock(&w->lock);
      w->max_ms = max_ms;
      pthread_mutex_unlock(&w->lock);
      return 0;
    }
    return behind_start(s, max_ms);
  }
  if (!w)
    return 0;
  pthread_mutex_lock(&w->lock);
  w->stopping = 1;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  int rc = settle(w);
  registry_remove(w);
  s->behind = NULL;
  behind_free(w);
  return rc;
}
