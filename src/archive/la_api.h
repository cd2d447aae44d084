/* libarchive, loaded on first use with dlopen: only reading a Files
 * datasource's archive or writing a model bundle needs it, and linking it
 * made every zenml process load libarchive, libxml2 and ICU at start-up. */
#ifndef ZM_ARCHIVE_LA_API_H
#define ZM_ARCHIVE_LA_API_H

#include <archive.h>
#include <archive_entry.h>

#define ZM_LA_FUNCS(X) \
  X(archive_entry_filetype) \
  X(archive_entry_free) \
  X(archive_entry_hardlink) \
  X(archive_entry_new) \
  X(archive_entry_pathname) \
  X(archive_entry_perm) \
  X(archive_entry_set_filetype) \
  X(archive_entry_set_gid) \
  X(archive_entry_set_mtime) \
  X(archive_entry_set_pathname) \
  X(archive_entry_set_perm) \
  X(archive_entry_set_size) \
  X(archive_entry_set_uid) \
  X(archive_entry_symlink) \
  X(archive_error_string) \
  X(archive_read_data_block) \
  X(archive_read_free) \
  X(archive_read_new) \
  X(archive_read_next_header) \
  X(archive_read_open_filename) \
  X(archive_read_support_filter_all) \
  X(archive_read_support_format_gnutar) \
  X(archive_read_support_format_tar) \
  X(archive_read_support_format_zip) \
  X(archive_write_add_filter_gzip) \
  X(archive_write_close) \
  X(archive_write_data) \
  X(archive_write_free) \
  X(archive_write_header) \
  X(archive_write_new) \
  X(archive_write_open) \
  X(archive_write_set_bytes_in_last_block) \
  X(archive_write_set_filter_option) \
  X(archive_write_set_format_ustar)

typedef struct zm_la_api {
#define ZM_LA_FIELD(name) __typeof__(&name) name;
  ZM_LA_FUNCS(ZM_LA_FIELD)
#undef ZM_LA_FIELD
} zm_la_api;

/* Load libarchive once; 0, or an error saying it is not available. */
int zm_la_load(void);

/* The loaded API (call zm_la_load first). */
const zm_la_api *zm_la(void);

#endif
