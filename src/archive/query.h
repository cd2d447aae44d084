/* A read-only SQL query over a SQLite file, as a frame: what the SQLite
 * datasource reads. Column types come from the values, as for CSV. */
#ifndef ZM_ARCHIVE_QUERY_H
#define ZM_ARCHIVE_QUERY_H

#include "frame/frame.h"

/* Run `sql` (one read-only statement) on the database file `path`, opened
 * read-only; a column of mixed types becomes strings and says so in the
 * frame's note. */
int zm_query_sqlite(zm_frame **out, const char *path, const char *sql);

#endif
