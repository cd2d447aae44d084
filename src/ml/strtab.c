/* A string hash table with counts for vocabularies and categories. */
#include "ml/tf_internal.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

uint64_t zm__fnv1a(const char *s, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static long probe(const zm_strtab *t, const char *s, size_t len, uint64_t h, size_t *slot)
{
  size_t mask = t->nslots - 1, i = (size_t)h & mask;
  for (;; i = (i + 1) & mask) {
    int64_t k = t->slots[i];
    if (k < 0)
      break;
    if (t->hashes[k] == h && t->lens[k] == len && memcmp(t->keys[k], s, len) == 0) {
      *slot = i;
      return (long)k;
    }
  }
  *slot = i;
  return -1;
}

long zm__strtab_find(const zm_strtab *t, const char *s, size_t len)
{
  size_t slot;
  if (t->nslots == 0)
    return -1;
  return probe(t, s, len, zm__fnv1a(s, len), &slot);
}

static int grow(zm_strtab *t)
{
  size_t cap = t->cap ? t->cap * 2 : 16;
  char **keys = realloc(t->keys, cap * sizeof *keys);
  if (keys)
    t->keys = keys;
  size_t *lens = realloc(t->lens, cap * sizeof *lens);
  if (lens)
    t->lens = lens;
  uint64_t *hashes = realloc(t->hashes, cap * sizeof *hashes);
  if (hashes)
    t->hashes = hashes;
  size_t *counts = realloc(t->counts, cap * sizeof *counts);
  if (counts)
    t->counts = counts;
  int64_t *slots = malloc(cap * 2 * sizeof *slots);
  if (!keys || !lens || !hashes || !counts || !slots) {
    free(slots);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = cap * 2;
  t->cap = cap;
  memset(slots, 0xff, t->nslots * sizeof *slots);
  for (size_t k = 0; k < t->n; k++) {
    size_t i = (size_t)t->hashes[k] & (t->nslots - 1);
    while (slots[i] >= 0)
      i = (i + 1) & (t->nslots - 1);
    slots[i] = (int64_t)k;
  }
  return 0;
}

int zm__strtab_add(zm_strtab *t, const char *s, size_t len, size_t *idx)
{
  if (t->n == t->cap) {
    int rc = grow(t);
    if (rc)
      return rc;
  }
  uint64_t h = zm__fnv1a(s, len);
  size_t slot;
  long k = probe(t, s, len, h, &slot);
  if (k < 0) {
    char *copy = malloc(len + 1);
    if (!copy)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    memcpy(copy, s, len);
    copy[len] = 0;
    k = (long)t->n++;
    t->keys[k] = copy;
    t->lens[k] = len;
    t->hashes[k] = h;
    t->counts[k] = 0;
    t->slots[slot] = k;
  }
  t->counts[k]++;
  if (idx)
    *idx = (size_t)k;
  return 0;
}

void zm__strtab_free(zm_strtab *t)
{
  for (size_t k = 0; k < t->n; k++)
    free(t->keys[k]);
  free(t->keys);
  free(t->lens);
  free(t->hashes);
  free(t->counts);
  free(t->slots);
  memset(t, 0, sizeof *t);
}
