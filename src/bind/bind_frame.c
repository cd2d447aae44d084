/* zenml._core.frame: frame userdata over the C frames, CSV and frame files.
 * Results are boxed in their userdata before the C call fills them, so a
 * Lua error never strands C memory. */
#include "bind/bind_frame.h"
#include "core/error.h"
#include "frame/csv.h"
#include "frame/files.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"
#include "core/fs.h"
#include "frame/json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void frame_release(zm_bind_box *b)
{
  lframe *box = (lframe *)b;
  zm_frame_free(box->f);
  box->f = NULL;
}

lframe *zm_lframe_push(lua_State *L)
{
  return zm_bind_box_new(L, sizeof(lframe), FRAME_MT, frame_release);
}

typedef struct frame_list {
  zm_frame **outs;
  size_t k;
} frame_list;

static int push_list_protected(lua_State *L)
{
  frame_list *l = lua_touserdata(L, 1);
  lua_createtable(L, l->k > INT_MAX ? 0 : (int)l->k, 0);
  for (size_t j = 0; j < l->k; j++) {
    lframe *box = zm_lframe_push(L);
    box->f = l->outs[j];
    l->outs[j] = NULL;
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 1;
}

int zm_lframe_push_list(lua_State *L, zm_frame **outs, size_t k)
{
  frame_list l = {outs, k};
  int room = lua_checkstack(L, 3), status = LUA_ERRMEM;
  if (room) {
    lua_pushcfunction(L, push_list_protected);
    lua_pushlightuserdata(L, &l);
    status = lua_pcall(L, 1, 1, 0);
  }
  if (status == LUA_OK)
    return 1;
  zm_frames_free(outs, k);
  return room ? lua_error(L) : luaL_error(L, "out of memory");
}

zm_frame *zm_lframe_view(lua_State *L, int idx)
{
  lframe *box = luaL_checkudata(L, idx, FRAME_MT);
  if (!box->f)
    luaL_error(L, "frame: attempt to use a closed frame");
  return box->f;
}

zm_frame *zm_lframe_check(lua_State *L, int idx)
{
  zm_frame *f = zm_lframe_view(L, idx);
  if (f->sel && zm_frame_materialize(f) != 0)
    zm_bind_raise(L, ZM_EINVALID);
  return f;
}

zm_frame *zm_lframe_test(lua_State *L, int idx)
{
  lframe *box = luaL_testudata(L, idx, FRAME_MT);
  return box && box->f ? zm_lframe_check(L, idx) : NULL;
}

/* Raise "method: <last C error>" (callers hold no C memory). */
static int fail(lua_State *L, int rc, const char *method)
{
  return zm_bind_raise_in(L, rc, method);
}

static int fr_nrow(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)zm_lframe_view(L, 1)->nrow);
  return 1;
}

static int fr_ncol(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)zm_lframe_view(L, 1)->ncol);
  return 1;
}

static int fr_names(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1);
  lua_createtable(L, (int)f->ncol, 0);
  for (size_t j = 0; j < f->ncol; j++) {
    lua_pushstring(L, f->cols[j].name);
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 1;
}

static int fr_types(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1);
  lua_createtable(L, (int)f->ncol, 0);
  for (size_t j = 0; j < f->ncol; j++) {
    lua_pushstring(L, zm_type_name(f->cols[j].type));
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  return 1;
}

static int fr_note(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  lua_pushstring(L, f->note);
  return 1;
}

/* "; did you mean X?" for a column name one or two edits from one of `f`'s
 * (zenml.errors.did_you_mean), or "" ; the string stays on the stack. */
static const char *column_hint(lua_State *L, const zm_frame *f, const char *name)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.errors");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_getfield(L, -1, "did_you_mean") != LUA_TFUNCTION)
    return "";
  lua_pushstring(L, name);
  lua_createtable(L, (int)f->ncol, 0);
  for (size_t j = 0; j < f->ncol; j++) {
    lua_pushstring(L, f->cols[j].name);
    lua_rawseti(L, -2, (lua_Integer)j + 1);
  }
  if (lua_pcall(L, 2, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING)
    return "";
  return lua_tostring(L, -1);
}

static int fr_col(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1); /* a row selection gathers this column alone */
  if (lua_type(L, 2) != LUA_TSTRING)
    return luaL_error(L, "frame:col: expected a column name (string), got %s", luaL_typename(L, 2));
  long j = zm_frame_find(f, lua_tostring(L, 2));
  if (j < 0)
    return luaL_error(L, "frame:col: no column named '%s'%s", lua_tostring(L, 2),
                      column_hint(L, f, lua_tostring(L, 2)));
  if (zm_frame_col_keep(f, (size_t)j) != 0)
    return zm_bind_raise(L, ZM_EINVALID);
  zm_lcolumn_push(L, 1, (size_t)j);
  return 1;
}

static int fr_select(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  if (!lua_istable(L, 2))
    return luaL_error(L, "frame:select: expected a list of column names, got %s",
                      luaL_typename(L, 2));
  size_t n = lua_rawlen(L, 2);
  const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "frame:select: expected column names (strings), got %s at position %d",
                        luaL_typename(L, -1), (int)i + 1);
    names[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lframe *box = zm_lframe_push(L);
  int rc = zm_frame_select(&box->f, f, names, n);
  if (rc != 0)
    return fail(L, rc, "frame:select");
  return 1;
}

/* The mask at stack index 2 as nrow bytes (GC-managed). */
static uint8_t *read_mask(lua_State *L, const zm_frame *f)
{
  zm_column *c = zm_lcolumn_test(L, 2);
  size_t n = c ? c->len : lua_istable(L, 2) ? lua_rawlen(L, 2) : 0;
  if (!c && !lua_istable(L, 2))
    luaL_error(L, "frame:filter: expected a bool column or a list of booleans, got %s",
               luaL_typename(L, 2));
  if (c && c->type != ZM_TYPE_BOOL)
    luaL_error(L, "frame:filter: expected a bool column, got %s column '%s'",
               zm_type_name(c->type), c->name);
  if (n != f->nrow)
    luaL_error(L, "frame:filter: mask has %d values, frame has %d rows", (int)n, (int)f->nrow);
  uint8_t *mask = lua_newuserdatauv(L, n ? n : 1, 0);
  for (size_t i = 0; i < n; i++) {
    if (c) {
      mask[i] = !zm_column_is_null(c, i) && ((uint8_t *)c->data)[i];
      continue;
    }
    if (lua_rawgeti(L, 2, (lua_Integer)i + 1) != LUA_TBOOLEAN)
      luaL_error(L, "frame:filter: expected booleans in the mask, got %s at position %d",
                 luaL_typename(L, -1), (int)i + 1);
    mask[i] = (uint8_t)lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  return mask;
}

static int fr_filter(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  uint8_t *mask = read_mask(L, f);
  lframe *box = zm_lframe_push(L);
  int rc = zm_frame_filter(&box->f, f, mask);
  if (rc != 0)
    return fail(L, rc, "frame:filter");
  return 1;
}

static int64_t check_row(lua_State *L, lua_Integer i, const zm_frame *f)
{
  if (i < 1 || (uint64_t)i > f->nrow)
    luaL_error(L, "frame:take: row %d out of range (frame has %d rows)", (int)i, (int)f->nrow);
  return (int64_t)i - 1;
}

static int fr_take(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  zm_column *c = zm_lcolumn_test(L, 2);
  if ((!c && !lua_istable(L, 2)) || (c && c->type != ZM_TYPE_I64))
    return luaL_error(L, "frame:take: expected a list of row numbers or an int64 column, got %s",
                      c ? zm_type_name(c->type) : luaL_typename(L, 2));
  size_t n = c ? c->len : lua_rawlen(L, 2);
  int64_t *idx = lua_newuserdatauv(L, (n ? n : 1) * sizeof *idx, 0);
  for (size_t i = 0; i < n; i++) {
    if (c) {
      idx[i] = check_row(L, ((int64_t *)c->data)[i], f);
      continue;
    }
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    if (!lua_isinteger(L, -1))
      return luaL_error(L, "frame:take: expected integer row numbers, got %s at position %d",
                        luaL_typename(L, -1), (int)i + 1);
    idx[i] = check_row(L, lua_tointeger(L, -1), f);
    lua_pop(L, 1);
  }
  lframe *box = zm_lframe_push(L);
  int rc = zm_frame_take(&box->f, f, idx, n);
  if (rc != 0)
    return fail(L, rc, "frame:take");
  return 1;
}

static lua_Integer opt_count(lua_State *L, int idx, lua_Integer def, const char *method)
{
  if (lua_isnoneornil(L, idx))
    return def;
  if (!lua_isinteger(L, idx) || lua_tointeger(L, idx) < 0)
    luaL_error(L, "%s: expected a non-negative integer, got %s", method,
               lua_isinteger(L, idx) ? lua_tostring(L, idx) : luaL_typename(L, idx));
  return lua_tointeger(L, idx);
}

/* Rows [start, start + n) of f: a row selection's as a selection of its
 * base (nothing gathered), any other frame's copied. */
static int slice_of(zm_frame **out, zm_frame *f, size_t start, size_t n)
{
  return f->sel ? zm_rowsel_slice(out, f, start, n) : zm_frame_slice(out, f, start, n);
}

static int fr_head(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1);
  lua_Integer n = opt_count(L, 2, 5, "frame:head");
  lframe *box = zm_lframe_push(L);
  int rc = slice_of(&box->f, f, 0, (size_t)n);
  if (rc != 0)
    return fail(L, rc, "frame:head");
  return 1;
}

/* f:slice(i, j): rows i..j inclusive, 1-based. */
static int fr_slice(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1);
  lua_Integer i = opt_count(L, 2, 1, "frame:slice");
  lua_Integer j = opt_count(L, 3, (lua_Integer)f->nrow, "frame:slice");
  if (i < 1)
    i = 1;
  lframe *box = zm_lframe_push(L);
  int rc = slice_of(&box->f, f, (size_t)i - 1, j >= i ? (size_t)(j - i + 1) : 0);
  if (rc != 0)
    return fail(L, rc, "frame:slice");
  return 1;
}

static int fr_describe(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  lframe *box = zm_lframe_push(L);
  int rc = zm_frame_describe(&box->f, f);
  if (rc != 0)
    return fail(L, rc, "frame:describe");
  return 1;
}

/* f:append(other): rows of other added in place (a mapped frame is copied first). */
static int fr_append(lua_State *L)
{
  lframe *dst = luaL_checkudata(L, 1, FRAME_MT);
  zm_lframe_check(L, 1);
  zm_frame *src = zm_lframe_test(L, 2);
  if (!src)
    return luaL_error(L, "frame:append: expected a frame, got %s", luaL_typename(L, 2));
  if (dst->f->map) {
    zm_frame *copy;
    int rc = zm_frame_copy(&copy, dst->f);
    if (rc != 0)
      return fail(L, rc, "frame:append");
    zm_frame_free(dst->f);
    dst->f = copy;
  }
  int rc = zm_frame_concat(dst->f, src);
  if (rc != 0)
    return fail(L, rc, "frame:append");
  lua_settop(L, 1);
  return 1;
}

static const char *check_path(lua_State *L, const char *method)
{
  if (lua_type(L, 2) != LUA_TSTRING)
    luaL_error(L, "%s: expected a file path (string), got %s", method, luaL_typename(L, 2));
  return lua_tostring(L, 2);
}

/* frame:to_csv(path [, {delimiter = ","}]) */
static int fr_to_csv(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  const char *path = check_path(L, "frame:to_csv");
  char delimiter = 0;
  if (!lua_isnoneornil(L, 3)) {
    if (!lua_istable(L, 3))
      return luaL_error(L, "frame:to_csv: expected an options table, got %s", luaL_typename(L, 3));
    lua_getfield(L, 3, "delimiter");
    size_t n = 0;
    const char *d = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    if (!lua_isnil(L, -1) && (!d || n != 1))
      return luaL_error(L, "frame:to_csv: expected delimiter to be one character");
    delimiter = d ? d[0] : 0;
    lua_pop(L, 1);
  }
  if (zm_frame_write_csv(f, path, delimiter) != 0)
    return zm_bind_fail(L, ZM_EIO);
  lua_pushboolean(L, 1);
  return 1;
}

static int fr_to_json(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  const char *path = check_path(L, "frame:to_json");
  if (zm_frame_write_json(f, path) != 0)
    return zm_bind_fail(L, ZM_EIO);
  lua_pushboolean(L, 1);
  return 1;
}

static int fr_write(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  const char *path = check_path(L, "frame:write");
  if (zm_frame_write(f, path) != 0)
    return zm_bind_fail(L, ZM_EIO);
  lua_pushboolean(L, 1);
  return 1;
}

/* core.frame.read_csv(path, delimiter, quote, threads, schema, null_values): the public
 * wrapper in lua/zenml/frame.lua has validated the arguments. */
static int m_read_csv(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  zm_csv_options o = {0};
  o.delimiter = lua_isstring(L, 2) ? lua_tostring(L, 2)[0] : 0;
  o.quote = lua_isstring(L, 3) ? lua_tostring(L, 3)[0] : 0;
  o.threads = (int)luaL_optinteger(L, 4, 0);
  size_t n = lua_istable(L, 5) ? lua_rawlen(L, 5) : 0;
  zm_csv_schema *s = lua_newuserdatauv(L, (n ? n : 1) * sizeof *s, 0);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 5, (lua_Integer)i + 1);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    s[i].name = luaL_checkstring(L, -2);
    if (zm_type_parse(&s[i].type, luaL_checkstring(L, -1)) != 0)
      return luaL_error(L, "frame.read_csv: %s", zm_error_last());
    lua_pop(L, 2); /* the pair table (on the stack) keeps the name alive */
  }
  o.schema = s;
  o.nschema = n;
  /* null tokens: pointers into the strings of the table at 6, alive for the call */
  size_t nn = lua_istable(L, 6) ? lua_rawlen(L, 6) : 0;
  const char **nulls = lua_newuserdatauv(L, (nn ? nn : 1) * sizeof *nulls, 0);
  for (size_t i = 0; i < nn; i++) {
    lua_rawgeti(L, 6, (lua_Integer)i + 1);
    nulls[i] = luaL_checkstring(L, -1);
    lua_pop(L, 1);
  }
  o.null_values = nulls;
  o.nnull_values = nn;
  lframe *box = zm_lframe_push(L);
  if (zm_frame_read_csv(&box->f, path, &o) != 0)
    return zm_bind_fail(L, ZM_EINVALID);
  return 1;
}

/* core.frame.csv_row_line(path, row): the line of data row `row` (1-based),
 * or nil, message, number of rows. */
static int m_csv_row_line(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  lua_Integer row = luaL_checkinteger(L, 2);
  size_t line = 0, rows = 0;
  if (row < 1) {
    lua_pushnil(L);
    lua_pushstring(L, "rows are numbered from 1");
    return 2;
  }
  if (zm_csv_row_line(&line, &rows, path, (size_t)row - 1, NULL) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, zm_error_last());
    lua_pushinteger(L, (lua_Integer)rows);
    return 3;
  }
  lua_pushinteger(L, (lua_Integer)line);
  return 1;
}

/* core.frame.read_files(root, {rel...}) -> frame | nil, message, index
 * (the 1-based index of the file that failed, when one did). */
static int m_read_files(lua_State *L)
{
  const char *root = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  size_t n = lua_rawlen(L, 2);
  const char **rels = lua_newuserdatauv(L, (n + 1) * sizeof *rels, 0);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    rels[i] = lua_tostring(L, -1);
    if (!rels[i])
      return luaL_error(L, "read_files: entry %d is not a string", (int)i + 1);
    lua_pop(L, 1); /* still referenced by the table */
  }
  lframe *box = zm_lframe_push(L);
  size_t bad = n;
  if (zm_frame_read_files(&box->f, &bad, root, rels, n) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, zm_error_last());
    if (bad < n)
      lua_pushinteger(L, (lua_Integer)bad + 1);
    else
      lua_pushnil(L);
    return 3;
  }
  return 1;
}

/* The base of the row selection `path` names: resolve(base id) ->
 * base path, trusted (the resolver at stack index 4). */
static int read_selection(lua_State *L, lframe *box, const char *path)
{
  size_t len = 0;
  char *data = NULL, id[ZM_ROWSEL_ID_SIZE];
  int rc = zm_fs_read(&data, &len, path);
  if (rc == 0)
    rc = zm_rowsel_base_id(id, data, len, path);
  if (rc) {
    free(data);
    return zm_bind_fail(L, rc);
  }
  lua_pushvalue(L, 4);
  lua_pushstring(L, id);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    free(data);
    return lua_error(L);
  }
  const char *base = lua_tostring(L, -2);
  if (!base) {
    const char *why = lua_tostring(L, -1);
    free(data);
    lua_pushnil(L);
    lua_pushfstring(L, "%s: a row selection of %s, which is not in the artifact store%s%s", path,
                    id, why ? ": " : "", why ? why : "");
    return 2;
  }
  rc = zm_rowsel_read(&box->f, data, len, path, base, !lua_toboolean(L, -1));
  free(data);
  lua_pop(L, 2);
  return rc ? zm_bind_fail(L, rc) : 1;
}

/* core.frame.read(path, trusted, id, resolve) -> frame | nil, message:
 * `trusted`: the store says this process wrote it (no column checksums);
 * `id`: the artifact the file is (its parts can then be row selections);
 * `resolve(id)` -> path, trusted: where a row selection's base is. */
static int m_read(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  int check_columns = !lua_toboolean(L, 2);
  const char *id = luaL_optstring(L, 3, NULL);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  lframe *box = zm_lframe_push(L);
  char head[8] = {0};
  FILE *fp = fopen(path, "rb");
  size_t got = fp ? fread(head, 1, sizeof head, fp) : 0;
  if (fp)
    fclose(fp);
  if (zm_rowsel_is(head, got))
    return read_selection(L, box, path);
  if (zm_frame_map_checked(&box->f, path, check_columns) != 0)
    return zm_bind_fail(L, ZM_EINVALID);
  if (id && zm_frame_set_origin(box->f, id, path, 1) != 0)
    return zm_bind_fail(L, ZM_ENOMEM);
  return 1;
}

/* core.frame.from_columns(names, arrays, nrow) */
static int m_from_columns(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer nrow = luaL_checkinteger(L, 3);
  size_t n = lua_rawlen(L, 1);
  lframe *box = zm_lframe_push(L);
  int rc = zm_frame_new(&box->f, (size_t)nrow);
  if (rc != 0)
    return fail(L, rc, "frame.from_table");
  for (size_t j = 0; j < n; j++) {
    lua_rawgeti(L, 1, (lua_Integer)j + 1);
    lua_rawgeti(L, 2, (lua_Integer)j + 1);
    zm_lcolumn_from_array(L, box, -1, (size_t)nrow, lua_tostring(L, -2), "frame.from_table");
    lua_pop(L, 2);
  }
  return 1;
}

int zm_bind_open_frame(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"nrow", fr_nrow},       {"ncol", fr_ncol},     {"names", fr_names},
      {"types", fr_types},     {"note", fr_note},     {"col", fr_col},
      {"select", fr_select},   {"filter", fr_filter}, {"take", fr_take},
      {"head", fr_head},       {"slice", fr_slice},   {"describe", fr_describe},
      {"append", fr_append},   {"to_csv", fr_to_csv}, {"to_json", fr_to_json},
      {"write", fr_write},
      {"close", zm_bind_release}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"read_csv", m_read_csv},
                                 {"csv_row_line", m_csv_row_line},
                                 {"read", m_read},
                                 {"read_files", m_read_files},
                                 {"from_columns", m_from_columns},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  zm_bind_box_type(L, FRAME_MT, methods);
  lua_setfield(L, -2, "frame_mt");
  zm_bind_frame_column_init(L);
  luaL_getmetatable(L, COLUMN_MT);
  lua_setfield(L, -2, "column_mt");
  return 1;
}
