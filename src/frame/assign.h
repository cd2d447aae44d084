/* Rule-based split assignments: the part of each row from its value in one
 * column, by a table of categories or by ordered cut points. The results
 * feed zm_frame_partition (split.h), so a rule split never walks rows in Lua. */
#ifndef ZM_FRAME_ASSIGN_H
#define ZM_FRAME_ASSIGN_H

#include "frame/frame.h"

#include <stddef.h>

/* out[i] = parts[v] where values[v] is the text of row i of c (strings as
 * they are, int64 in decimal, bools as true/false); a null or a value not in
 * values[m] gets `unknown` (-1 drops the row). A float64 column is refused. */
int zm_assign_by_value(int *out, const zm_column *c, const char *const *values,
                       const int *parts, size_t m, int unknown);

/* out[i] = the number of cut points <= row i of c: cuts[m] ascending numbers
 * for a float64/int64/bool column, or scuts[m] ascending strings (bytewise)
 * for a string column. Rows at or past the last cut get -1 unless open_last
 * (then m). Nulls and NaN get -1. */
int zm_assign_by_cuts(int *out, const zm_column *c, const double *cuts,
                      const char *const *scuts, size_t m, int open_last);

#endif
