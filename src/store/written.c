/* Which objects are whose: the ones this process wrote, and the ones an
 * earlier zenml named by their plain SHA-256.
 *
 * Objects whose bytes this process wrote (see zm_store_wrote): a set of
 * object paths shared by every handle, so a reader on one handle (a step's
 * worker) knows what a writer on another stored. Bounded: past the cap it
 * stops remembering, and a reader then checks as it would anyway. */
#include "store/store_int.h"
#include "hash/hash.h"
#include "hash/objhash.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLOTS 65536 /* a power of two; at most half full */

static pthread_mutex_t written_lock = PTHREAD_MUTEX_INITIALIZER;
static char **slots;
static size_t used;

static size_t slot_of(const char *path)
{
  size_t h = 1469598103934665603u;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++)
    h = (h ^ *p) * 1099511628211u;
  return h & (SLOTS - 1);
}

/* The slot holding `path`, or the empty slot where it would go. */
static size_t probe(const char *path)
{
  size_t i = slot_of(path);
  while (slots[i] && strcmp(slots[i], path) != 0)
    i = (i + 1) & (SLOTS - 1);
  return i;
}

void store_note_written(const zm_store *s, const char *hex)
{
  char path[PATH_MAX];
  store_object_path(path, sizeof path, s, hex);
  pthread_mutex_lock(&written_lock);
  if (!slots)
    slots = calloc(SLOTS, sizeof *slots);
  if (slots && used < SLOTS / 2) {
    size_t i = probe(path);
    if (!slots[i] && (slots[i] = strdup(path)))
      used++;
  }
  pthread_mutex_unlock(&written_lock);
}

int zm_store_wrote(const zm_store *s, const char *id)
{
  if (zm_store_id_check(id) != 0)
    return 0;
  char path[PATH_MAX];
  store_object_path(path, sizeof path, s, id + strlen("sha256:"));
  pthread_mutex_lock(&written_lock);
  int found = slots && slots[probe(path)] != NULL;
  pthread_mutex_unlock(&written_lock);
  return found;
}

int store_legacy_name(const char *path, const char *hex)
{
  struct stat st;
  char plain[65];
  /* up to one block both names are the same digest: nothing else to try */
  if (stat(path, &st) != 0 || (uint64_t)st.st_size <= ZM_OBJHASH_BLOCK)
    return 0;
  return zm_hash_file(plain, path) == 0 && strcmp(plain, hex) == 0;
}
