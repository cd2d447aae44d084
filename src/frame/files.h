/* Reading a folder's files into a frame on worker threads (the Files
 * datasource): one row per file, in the order given, with columns
 *   path  (string) the relative name as given
 *   size  (int64)  its size in bytes
 *   bytes (string) its contents
 *   label (string) the name of its folder, "" for a file at the top
 * Files are spread over the calling thread's worker count (zm_workers_get,
 * default every core); the frame does not depend on it. */
#ifndef ZM_FRAME_FILES_H
#define ZM_FRAME_FILES_H

#include "frame/frame.h"

#include <stddef.h>

/* Read root/rels[i] for i < n. On failure the error names the first failing
 * file (lowest index), whose index goes to *out_bad (n when the failure is
 * not a file's; out_bad may be NULL). A file that changes size while it is
 * read is an error. */
int zm_frame_read_files(zm_frame **out, size_t *out_bad, const char *root,
                        const char *const *rels, size_t n);

#endif
