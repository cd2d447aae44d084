/* Frames as JSON records (the `.json` export of a table artifact). */
#ifndef ZM_FRAME_JSON_H
#define ZM_FRAME_JSON_H

#include "core/buf.h"
#include "frame/frame.h"

/* Append f as a JSON array of one object per row ("column": value, in
 * column order); nulls, NaN and infinities are null, floats in the shortest
 * form that reads back identical, strings escaped (UTF-8 kept as it is). */
int zm_frame_format_json(zm_buf *out, const zm_frame *f);

/* Write f as JSON records to `path` (replaced atomically). */
int zm_frame_write_json(const zm_frame *f, const char *path);

#endif
