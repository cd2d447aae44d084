/* Horizontal concatenation of frames (see hstack.h). */
#include "frame/hstack.h"
#include "core/error.h"
#include "frame/internal.h"

#include <string.h>

static int check_parts(const zm_frame *const *parts, size_t n)
{
  for (size_t p = 0; p < n; p++) {
    if (parts[p]->nrow != parts[0]->nrow)
      return zm_error_set(ZM_EINVALID, "frame %zu has %zu rows, frame 1 has %zu", p + 1,
                          parts[p]->nrow, parts[0]->nrow);
    for (size_t j = 0; j < parts[p]->ncol; j++)
      for (size_t q = 0; q <= p; q++) {
        const char *name = parts[p]->cols[j].name;
        long at = zm_frame_find(parts[q], name);
        if (at >= 0 && (q < p || (size_t)at < j))
          return zm_error_set(ZM_EINVALID, "column '%s' is in more than one frame", name);
      }
  }
  return 0;
}

int zm_frame_hstack(zm_frame **out, const zm_frame *const *parts, size_t n)
{
  zm_frame *f = NULL;
  int rc;
  *out = NULL;
  if (n == 0)
    return zm_error_set(ZM_EINVALID, "no frames to stack");
  if ((rc = check_parts(parts, n)) != 0)
    return rc;
  if ((rc = zm_frame_new(&f, parts[0]->nrow)) != 0)
    return rc;
  for (size_t p = 0; p < n; p++)
    for (size_t j = 0; j < parts[p]->ncol; j++)
      if ((rc = zm__column_gather(f, &parts[p]->cols[j], NULL, 0, f->nrow)) != 0)
        goto done;
  *out = f;
  f = NULL;
done:
  zm_frame_free(f);
  return rc;
}
