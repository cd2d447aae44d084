/* Calls into libarchive go through the table zm_la_load filled. Include this
 * after <archive.h> in a file that calls libarchive, and call zm_la_load at
 * its entry points. */
#ifndef ZM_ARCHIVE_LA_CALLS_H
#define ZM_ARCHIVE_LA_CALLS_H

#include "archive/la_api.h"

#define archive_entry_filetype (zm_la()->archive_entry_filetype)
#define archive_entry_free (zm_la()->archive_entry_free)
#define archive_entry_hardlink (zm_la()->archive_entry_hardlink)
#define archive_entry_new (zm_la()->archive_entry_new)
#define archive_entry_pathname (zm_la()->archive_entry_pathname)
#define archive_entry_perm (zm_la()->archive_entry_perm)
#define archive_entry_set_filetype (zm_la()->archive_entry_set_filetype)
#define archive_entry_set_gid (zm_la()->archive_entry_set_gid)
#define archive_entry_set_mtime (zm_la()->archive_entry_set_mtime)
#define archive_entry_set_pathname (zm_la()->archive_entry_set_pathname)
#define archive_entry_set_perm (zm_la()->archive_entry_set_perm)
#define archive_entry_set_size (zm_la()->archive_entry_set_size)
#define archive_entry_set_uid (zm_la()->archive_entry_set_uid)
#define archive_entry_symlink (zm_la()->archive_entry_symlink)
#define archive_error_string (zm_la()->archive_error_string)
#define archive_read_data_block (zm_la()->archive_read_data_block)
#define archive_read_free (zm_la()->archive_read_free)
#define archive_read_new (zm_la()->archive_read_new)
#define archive_read_next_header (zm_la()->archive_read_next_header)
#define archive_read_open_filename (zm_la()->archive_read_open_filename)
#define archive_read_support_filter_all (zm_la()->archive_read_support_filter_all)
#define archive_read_support_format_gnutar (zm_la()->archive_read_support_format_gnutar)
#define archive_read_support_format_tar (zm_la()->archive_read_support_format_tar)
#define archive_read_support_format_zip (zm_la()->archive_read_support_format_zip)
#define archive_write_add_filter_gzip (zm_la()->archive_write_add_filter_gzip)
#define archive_write_close (zm_la()->archive_write_close)
#define archive_write_data (zm_la()->archive_write_data)
#define archive_write_free (zm_la()->archive_write_free)
#define archive_write_header (zm_la()->archive_write_header)
#define archive_write_new (zm_la()->archive_write_new)
#define archive_write_open (zm_la()->archive_write_open)
#define archive_write_set_bytes_in_last_block (zm_la()->archive_write_set_bytes_in_last_block)
#define archive_write_set_filter_option (zm_la()->archive_write_set_filter_option)
#define archive_write_set_format_ustar (zm_la()->archive_write_set_format_ustar)

#endif
