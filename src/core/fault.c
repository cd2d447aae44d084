/* Crash points: see fault.h. */
#include "core/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every point the code passes; tests/fault walks this list (zenml's
 * `core.sys.fault_points()`), so a new point is tested as soon as it is here. */
const char *const zm_fault_points[] = {
    "store.put.written",   /* an object's bytes are in its temporary file */
    "store.put.renamed",   /* an object is in place, its folder not yet synced */
    "meta.tx.commit",      /* inside a metadata transaction, before COMMIT */
    "run.yaml.written",    /* a run's YAML is written, its record not yet */
    "run.recorded",        /* a run is recorded, its YAML not yet in place */
    "step.outputs.stored", /* a step's outputs are stored, not yet recorded */
    "snapshot.folder",     /* a folder datasource is half copied into the store */
    "snapshot.archive",    /* an archive datasource is half copied into the store */
    "gc.delete",           /* gc has deleted some unreferenced objects */
    NULL,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char target[64];
static long target_pass;
static atomic_long passes;

static void parse(void)
{
  const char *spec = getenv("ZENML_FAULT");
  if (!spec || !*spec)
    return;
  const char *colon = strrchr(spec, ':');
  size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
  if (len == 0 || len >= sizeof target)
    return;
  memcpy(target, spec, len);
  target[len] = '\0';
  target_pass = colon ? strtol(colon + 1, NULL, 10) : 1;
  if (target_pass < 1)
    target_pass = 1;
}

void zm_fault(const char *point)
{
  pthread_once(&once, parse);
  if (!target[0] || strcmp(point, target) != 0)
    return;
  if (atomic_fetch_add(&passes, 1) + 1 != target_pass)
    return;
  char msg[128];
  int n = snprintf(msg, sizeof msg, "zenml: fault injected at %s (pass %ld)\n", point, target_pass);
  if (n > 0 && write(2, msg, (size_t)n) < 0) {
    /* nothing more to do: the process ends next */
  }
  raise(SIGKILL);
}
