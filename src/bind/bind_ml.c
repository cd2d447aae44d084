/* zenml._core.ml: random splits, partitions and preprocessing transforms.
 * The public wrapper lua/zenml/ml.lua validates arguments; these functions
 * trust their shapes but still check userdata types. */
#include "bind/bind_ml.h"
#include "bind/bind_frame.h"
#include "core/error.h"
#include "frame/split.h"
#include "ml/transform.h"

#include <stdlib.h>
#include <string.h>

ZM_BIND_HANDLE(ltransform, zm_transform, t, zm_transform_free)

int zm_bind_ml_fail(lua_State *L, int rc, const char *fn)
{
  return zm_bind_raise_in(L, rc, fn);
}

/* core.ml.split_random(frame, weights, seed) -> {frame, ...} in weight order */
static int m_split_random(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  size_t k = lua_rawlen(L, 2);
  lua_Integer seed = luaL_checkinteger(L, 3);
  double *w = lua_newuserdatauv(L, (k ? k : 1) * sizeof *w, 0);
  for (size_t j = 0; j < k; j++) {
    lua_rawgeti(L, 2, (lua_Integer)j + 1);
    w[j] = luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  int *assign = lua_newuserdatauv(L, (f->nrow ? f->nrow : 1) * sizeof *assign, 0);
  zm_frame **outs = lua_newuserdatauv(L, (k ? k : 1) * sizeof *outs, 0);
  int rc = zm_split_random(assign, f->nrow, w, k, (uint64_t)seed);
  if (rc == 0)
    rc = zm_frame_partition(outs, f, assign, k);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.split_random");
  return zm_lframe_push_list(L, outs, k);
}

/* Part of each row from a column: strings name a part in names (null: drop),
 * integers are 1-based parts (0 or null: drop). */
static int assign_from_column(lua_State *L, int *assign, const zm_column *c, int names, size_t k)
{
  for (size_t i = 0; i < c->len; i++) {
    assign[i] = -1;
    if (zm_column_is_null(c, i))
      continue;
    if (c->type == ZM_TYPE_I64) {
      int64_t v = ((const int64_t *)c->data)[i];
      if (v < 0 || (uint64_t)v > k)
        return luaL_error(L, "ml.partition: row %d has part %d; expected 1 to %d (0 drops)",
                          (int)i + 1, (int)v, (int)k);
      assign[i] = (int)v - 1;
      continue;
    }
    size_t len;
    const char *s = zm_column_str(c, i, &len);
    for (size_t j = 0; j < k && assign[i] < 0; j++) {
      lua_rawgeti(L, names, (lua_Integer)j + 1);
      size_t nlen;
      const char *name = lua_tolstring(L, -1, &nlen);
      if (nlen == len && memcmp(name, s, len) == 0)
        assign[i] = (int)j;
      lua_pop(L, 1);
    }
    if (assign[i] < 0)
      return luaL_error(L, "ml.partition: row %d names part '%s', which is not in the names",
                        (int)i + 1, lua_pushlstring(L, s, len));
  }
  return 0;
}

/* core.ml.partition(frame, column, names) -> {frame, ...} in names order */
static int m_partition(lua_State *L)
{
  zm_frame *f = zm_lframe_check(L, 1);
  zm_column *c = zm_lcolumn_test(L, 2);
  size_t k = lua_rawlen(L, 3);
  if (!c || (c->type != ZM_TYPE_I64 && c->type != ZM_TYPE_STR))
    return luaL_error(L, "ml.partition: expected an int64 or string column, got %s",
                      c ? zm_type_name(c->type) : luaL_typename(L, 2));
  if (c->len != f->nrow)
    return luaL_error(L, "ml.partition: the assignment has %d rows, the frame %d", (int)c->len,
                      (int)f->nrow);
  int *assign = lua_newuserdatauv(L, (f->nrow ? f->nrow : 1) * sizeof *assign, 0);
  assign_from_column(L, assign, c, 3, k);
  zm_frame **outs = lua_newuserdatauv(L, (k ? k : 1) * sizeof *outs, 0);
  int rc = zm_frame_partition(outs, f, assign, k);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.partition");
  return zm_lframe_push_list(L, outs, k);
}

/* transforms ------------------------------------------------------------ */

static ltransform *push_transform(lua_State *L)
{
  return zm_bind_box_new(L, sizeof(ltransform), TRANSFORM_MT, ltransform_release);
}

static zm_transform *check_transform(lua_State *L)
{
  ltransform *box = luaL_checkudata(L, 1, TRANSFORM_MT);
  if (!box->t)
    luaL_error(L, "transform: attempt to use a closed transform");
  return box->t;
}

static double opt_number(lua_State *L, int t, const char *key, double def)
{
  lua_getfield(L, t, key);
  double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* A string field of table t, kept alive by t itself (NULL when absent). */
static const char *opt_string(lua_State *L, int t, const char *key)
{
  lua_getfield(L, t, key);
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}

static void read_spec(lua_State *L, int t, zm_tf_spec *s)
{
  memset(s, 0, sizeof *s);
  s->column = opt_string(L, t, "column");
  const char *method = opt_string(L, t, "method"), *fill = opt_string(L, t, "fill");
  int rc = method ? zm_tf_method_parse(&s->method, method) : 0;
  if (rc != 0)
    zm_bind_ml_fail(L, rc, "ml.fit_transform");
  rc = fill ? zm_tf_fill_parse(&s->fill, fill) : 0;
  if (rc != 0)
    zm_bind_ml_fail(L, rc, "ml.fit_transform");
  s->lo = opt_number(L, t, "lo", 0);
  s->hi = opt_number(L, t, "hi", 0);
  s->n = (size_t)opt_number(L, t, "n", 0);
  s->top_k = (size_t)opt_number(L, t, "top_k", 0);
  s->oov_buckets = (size_t)opt_number(L, t, "oov_buckets", 0);
  s->fill_value = opt_number(L, t, "fill_value", 0);
  s->fill_string = opt_string(L, t, "fill_string");
}

/* core.ml.fit_transform(frame, {spec, ...}, {label, ...}) -> transform */
static int m_fit_transform(lua_State *L)
{
  zm_frame *f = zm_lframe_view(L, 1); /* the fit gathers a selection by column */
  size_t n = lua_rawlen(L, 2), nl = lua_rawlen(L, 3);
  zm_tf_spec *specs = lua_newuserdatauv(L, (n ? n : 1) * sizeof *specs, 0);
  for (size_t j = 0; j < n; j++) {
    lua_rawgeti(L, 2, (lua_Integer)j + 1);
    read_spec(L, lua_gettop(L), &specs[j]);
    lua_pop(L, 1); /* the spec table stays alive inside argument 2 */
  }
  const char **labels = lua_newuserdatauv(L, (nl ? nl : 1) * sizeof *labels, 0);
  for (size_t i = 0; i < nl; i++) {
    lua_rawgeti(L, 3, (lua_Integer)i + 1);
    labels[i] = luaL_checkstring(L, -1);
    lua_pop(L, 1);
  }
  ltransform *box = push_transform(L);
  int rc = zm_transform_fit(&box->t, specs, n, labels, nl, f);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.fit_transform");
  return 1;
}

static int tf_apply(lua_State *L)
{
  zm_transform *t = check_transform(L);
  lframe *in = luaL_testudata(L, 2, FRAME_MT);
  zm_frame *src = in ? in->f : NULL; /* a row selection stays one: apply gathers by column */
  if (!src)
    return luaL_error(L, "transform:apply: expected a frame, got %s", luaL_typename(L, 2));
  lframe *box = zm_lframe_push(L);
  int rc = zm_transform_apply(&box->f, t, src);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "transform:apply");
  return 1;
}

static int tf_save(lua_State *L)
{
  zm_transform *t = check_transform(L);
  zm_buf *b = zm_bind_ml_buf(L);
  int rc = zm_transform_save(b, t);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "transform:save");
  lua_pushlstring(L, b->data, b->len);
  zm_buf_free(b);
  return 1;
}

static void push_names(lua_State *L, const char *const *names, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int tf_outputs(lua_State *L)
{
  const char *const *names;
  size_t n = zm_transform_outputs(check_transform(L), &names);
  push_names(L, names, n);
  return 1;
}

static int tf_labels(lua_State *L)
{
  const char *const *names;
  size_t n = zm_transform_labels(check_transform(L), &names);
  push_names(L, names, n);
  return 1;
}

static int m_load_transform(lua_State *L)
{
  size_t len;
  const char *bytes = luaL_checklstring(L, 1, &len);
  ltransform *box = push_transform(L);
  int rc = zm_transform_load(&box->t, bytes, len);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.load_transform");
  return 1;
}

int zm_bind_open_ml(lua_State *L)
{
  static const luaL_Reg tf_methods[] = {{"apply", tf_apply},     {"save", tf_save},
                                        {"outputs", tf_outputs}, {"labels", tf_labels},
                                        {"close", zm_bind_release}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"split_random", m_split_random},
                                 {"partition", m_partition},
                                 {"fit_transform", m_fit_transform},
                                 {"load_transform", m_load_transform},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  zm_bind_box_type(L, TRANSFORM_MT, tf_methods);
  lua_setfield(L, -2, "transform_mt");
  zm_bind_ml_model_init(L);
  return 1;
}
