/* Deterministic .tar.gz bundles through libarchive (see pack.h). */
#include "ml/pack.h"
#include "core/error.h"

#include <archive.h>
#include <archive_entry.h>
#include "archive/la_calls.h"

static la_ssize_t put(struct archive *a, void *ctx, const void *data, size_t len)
{
  (void)a;
  return zm_buf_put(ctx, data, len) == 0 ? (la_ssize_t)len : -1;
}

static int fail(struct archive *a, const char *what)
{
  return zm_error_set(ZM_EIO, "bundle: %s: %s", what,
                      archive_error_string(a) ? archive_error_string(a) : "failed");
}

static int put_entry(struct archive *a, const zm_pack_entry *e)
{
  struct archive_entry *ae = archive_entry_new();
  int rc = 0;
  if (!ae)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  archive_entry_set_pathname(ae, e->name);
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0644);
  archive_entry_set_size(ae, (la_int64_t)e->len);
  archive_entry_set_mtime(ae, 0, 0);
  archive_entry_set_uid(ae, 0);
  archive_entry_set_gid(ae, 0);
  if (archive_write_header(a, ae) != ARCHIVE_OK)
    rc = fail(a, e->name);
  else if (e->len && archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
    rc = fail(a, e->name);
  archive_entry_free(ae);
  return rc;
}

int zm_pack_write(zm_buf *out, const zm_pack_entry *entries, size_t n)
{
  int rc = zm_la_load();
  if (rc)
    return rc;
  struct archive *a = archive_write_new();
  if (!a)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open(a, out, NULL, put, NULL) != ARCHIVE_OK) {
    rc = fail(a, "cannot start the archive");
    goto done;
  }
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = put_entry(a, &entries[i]);
  if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
    rc = fail(a, "cannot finish the archive");
done:
  archive_write_free(a);
  return rc;
}
