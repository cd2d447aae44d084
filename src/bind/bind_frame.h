/* Shared pieces of zenml._core.frame (bind_frame.c and bind_frame_column.c). */
#ifndef ZM_BIND_FRAME_H
#define ZM_BIND_FRAME_H

#include "bind/bind.h"
#include "frame/frame.h"

#define FRAME_MT "zenml.frame"
#define COLUMN_MT "zenml.column"

/* A frame userdata owns its zm_frame; f is NULL until it is filled, so a
 * box can be pushed before the C call and __gc frees whatever it holds. */
typedef struct lframe {
  zm_bind_box box;
  zm_frame *f;
} lframe;

/* A column userdata: column idx of the frame userdata held in its user value. */
typedef struct lcolumn {
  lframe *owner;
  size_t idx;
} lcolumn;

/* Push an empty frame box. */
lframe *zm_lframe_push(lua_State *L);

/* Push the k frames of outs as a list of frame userdata, taking them (outs
 * becomes NULLs); when Lua runs out of memory half-way, the frames not yet
 * boxed are freed before the error is raised again. Returns 1. */
int zm_lframe_push_list(lua_State *L, zm_frame **outs, size_t k);

/* The frame userdata at idx (raises if it is not one or was closed). */
zm_frame *zm_lframe_check(lua_State *L, int idx);

/* The frame at idx as it is: a row selection (frame/rowsel.h) stays one.
 * For calls that read no column buffers, or that ask for the columns they
 * read (zm_frame_col_ready); zm_lframe_check gathers a selection whole. */
zm_frame *zm_lframe_view(lua_State *L, int idx);

/* zm_lframe_check for a value that may not be a frame: NULL then. */
zm_frame *zm_lframe_test(lua_State *L, int idx);

/* Push a column object for column idx of the frame userdata at stack index fidx. */
void zm_lcolumn_push(lua_State *L, int fidx, size_t idx);

/* The column userdata at idx, or NULL when it is not one. */
zm_column *zm_lcolumn_test(lua_State *L, int idx);

/* Append a column built from Lua array t (stack index) of n values to f:
 * nil is null; all numbers integers -> int64, else float64; booleans; strings.
 * `what` names the caller in errors. Raises only before allocating. */
void zm_lcolumn_from_array(lua_State *L, lframe *box, int t, size_t n, const char *name,
                           const char *what);

/* Push row i of column c as a Lua value (nil for null). */
void zm_lcolumn_push_value(lua_State *L, const zm_column *c, size_t i);

/* Register the column metatable. */
void zm_bind_frame_column_init(lua_State *L);

#endif
