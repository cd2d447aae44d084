/* The store's gc lock: every process that uses a store holds a shared flock
 * on <root>/lock from the store's opening to its release, and gc holds it
 * exclusively while it decides what is unreferenced and removes it. A run
 * that has put an object but not yet recorded it in the metadata store still
 * holds its shared lock, so gc can never take what a run is about to record.
 *
 * flock locks belong to an open file description, so two handles of one
 * store in one process share one descriptor (and gc on either converts it):
 * otherwise gc would wait forever for its own process's other handle. */
#include "store/store_int.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOCKS 16

typedef struct lock_slot {
  dev_t dev;
  ino_t ino;
  int fd;
  int refs;
} lock_slot;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static lock_slot slots[MAX_LOCKS];

static int flock_retry(int fd, int op)
{
  int rc;
  while ((rc = flock(fd, op)) != 0 && errno == EINTR) {
  }
  return rc;
}

int store_lock_open(zm_store *s)
{
  char path[PATH_MAX];
  s->lock_slot = -1;
  int rc = store_path_fmt(path, sizeof path, "%s/lock", s->root);
  if (rc)
    return rc;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
    fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0; /* a read-only store without a lock file: nothing can be put or removed */
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return zm_error_sys(ZM_EIO, "cannot stat %s", path);
  }
  pthread_mutex_lock(&registry_lock);
  int free_slot = -1;
  for (int i = 0; i < MAX_LOCKS; i++) {
    if (slots[i].refs > 0 && slots[i].dev == st.st_dev && slots[i].ino == st.st_ino) {
      slots[i].refs++;
      s->lock_slot = i;
      pthread_mutex_unlock(&registry_lock);
      close(fd);
      return 0;
    }
    if (slots[i].refs == 0 && free_slot < 0)
      free_slot = i;
  }
  if (free_slot < 0) {
    pthread_mutex_unlock(&registry_lock);
    close(fd);
    return zm_error_set(ZM_ERROR, "too many artifact stores open at once (at most %d)", MAX_LOCKS);
  }
  /* Waits while a gc runs elsewhere. */
  if (flock_retry(fd, LOCK_SH) != 0) {
    pthread_mutex_unlock(&registry_lock);
    close(fd);
    return zm_error_sys(ZM_EIO, "cannot lock %s", path);
  }
  slots[free_slot] = (lock_slot){.dev = st.st_dev, .ino = st.st_ino, .fd = fd, .refs = 1};
  s->lock_slot = free_slot;
  pthread_mutex_unlock(&registry_lock);
  return 0;
}

void store_lock_close(zm_store *s)
{
  if (s->lock_slot < 0)
    return;
  pthread_mutex_lock(&registry_lock);
  lock_slot *l = &slots[s->lock_slot];
  if (--l->refs == 0) {
    close(l->fd); /* drops the lock */
    l->fd = -1;
  }
  pthread_mutex_unlock(&registry_lock);
  s->lock_slot = -1;
}

int zm_store_lock_exclusive(zm_store *s, int wait)
{
  if (s->lock_slot < 0)
    return 0;
  int fd = slots[s->lock_slot].fd;
  if (flock_retry(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0)
    return 0;
  int busy = errno == EWOULDBLOCK;
  int err = errno;
  /* A failed conversion may have dropped the shared lock: take it again. */
  flock_retry(fd, LOCK_SH);
  if (busy)
    return 1;
  errno = err;
  return zm_error_sys(ZM_EIO, "cannot lock the artifact store %s", s->root);
}

int zm_store_lock_shared(zm_store *s)
{
  if (s->lock_slot < 0)
    return 0;
  if (flock_retry(slots[s->lock_slot].fd, LOCK_SH) != 0)
    return zm_error_sys(ZM_EIO, "cannot lock the artifact store %s", s->root);
  return 0;
}
