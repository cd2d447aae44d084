/* The YAML document tree: building, freeing, looking up, and what a plain
 * scalar means under the YAML 1.2 core schema. */
#include "yaml/yaml.h"
#include "core/error.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zm_yaml_free(zm_yaml_node *node)
{
  if (!node)
    return;
  size_t n = node->kind == ZM_YAML_MAPPING ? node->count * 2 : node->count;
  for (size_t i = 0; i < n; i++)
    zm_yaml_free(node->items[i]);
  free(node->items);
  free(node->text);
  free(node);
}

zm_yaml_node *zm_yaml_scalar_new(const char *text, size_t len, zm_yaml_style style)
{
  zm_yaml_node *n = calloc(1, sizeof *n);
  char *copy = malloc(len + 1);
  if (!n || !copy) {
    free(n);
    free(copy);
    return NULL;
  }
  if (len)
    memcpy(copy, text, len);
  copy[len] = '\0';
  n->kind = ZM_YAML_SCALAR;
  n->style = style;
  n->text = copy;
  n->len = len;
  return n;
}

zm_yaml_node *zm_yaml_str_new(const char *s)
{
  return zm_yaml_scalar_new(s, strlen(s), ZM_YAML_QUOTED);
}

zm_yaml_node *zm_yaml_int_new(long long v)
{
  char text[32];
  int n = snprintf(text, sizeof text, "%lld", v);
  return zm_yaml_scalar_new(text, (size_t)n, ZM_YAML_PLAIN);
}

zm_yaml_node *zm_yaml_float_new(double v)
{
  char text[40];
  int n = zm_yaml_format_float(text, v);
  return zm_yaml_scalar_new(text, (size_t)n, ZM_YAML_PLAIN);
}

zm_yaml_node *zm_yaml_bool_new(int v)
{
  return zm_yaml_scalar_new(v ? "true" : "false", v ? 4 : 5, ZM_YAML_PLAIN);
}

zm_yaml_node *zm_yaml_null_new(void)
{
  return zm_yaml_scalar_new("null", 4, ZM_YAML_PLAIN);
}

static zm_yaml_node *container_new(zm_yaml_kind kind)
{
  zm_yaml_node *n = calloc(1, sizeof *n);
  if (n)
    n->kind = kind;
  return n;
}

zm_yaml_node *zm_yaml_seq_new(void)
{
  return container_new(ZM_YAML_SEQUENCE);
}

zm_yaml_node *zm_yaml_map_new(void)
{
  return container_new(ZM_YAML_MAPPING);
}

/* Room for `slots` more child pointers. */
static int reserve(zm_yaml_node *n, size_t used, size_t slots)
{
  if (used + slots <= n->cap)
    return 0;
  size_t cap = n->cap ? n->cap * 2 : 8;
  while (cap < used + slots)
    cap *= 2;
  zm_yaml_node **p = realloc(n->items, cap * sizeof *p);
  if (!p)
    return zm_error_set(ZM_ENOMEM, "out of memory building a YAML tree");
  n->items = p;
  n->cap = cap;
  return 0;
}

int zm_yaml_seq_push(zm_yaml_node *seq, zm_yaml_node *item)
{
  if (!item || reserve(seq, seq->count, 1) != 0) {
    zm_yaml_free(item);
    return zm_error_set(ZM_ENOMEM, "out of memory building a YAML tree");
  }
  seq->items[seq->count++] = item;
  return 0;
}

int zm_yaml_map_add(zm_yaml_node *map, zm_yaml_node *key, zm_yaml_node *value)
{
  if (!key || !value || reserve(map, map->count * 2, 2) != 0) {
    zm_yaml_free(key);
    zm_yaml_free(value);
    return zm_error_set(ZM_ENOMEM, "out of memory building a YAML tree");
  }
  map->items[map->count * 2] = key;
  map->items[map->count * 2 + 1] = value;
  map->count++;
  return 0;
}

const zm_yaml_node *zm_yaml_map_get(const zm_yaml_node *map, const char *key)
{
  if (!map || map->kind != ZM_YAML_MAPPING)
    return NULL;
  size_t klen = strlen(key);
  for (size_t i = 0; i < map->count; i++) {
    const zm_yaml_node *k = map->items[i * 2];
    if (k->kind == ZM_YAML_SCALAR && k->len == klen && memcmp(k->text, key, klen) == 0)
      return map->items[i * 2 + 1];
  }
  return NULL;
}

static int is_one_of(const char *s, const char *const *words)
{
  for (; *words; words++)
    if (strcmp(s, *words) == 0)
      return 1;
  return 0;
}

static int all_in(const char *s, const char *set)
{
  return *s && s[strspn(s, set)] == '\0';
}

/* [-+]?[0-9]+ as a long long; out of range becomes a float, as in Lua. */
static zm_yaml_type resolve_decimal(const char *s, zm_yaml_value *out)
{
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno == ERANGE) {
    out->number = strtod(s, NULL);
    return out->type = ZM_YAML_FLOAT;
  }
  out->integer = v;
  return out->type = ZM_YAML_INT;
}

/* 0o17 / 0x1F; one that does not fit stays a string rather than lose bits. */
static zm_yaml_type resolve_based(const char *digits, int base, zm_yaml_value *out)
{
  errno = 0;
  unsigned long long v = strtoull(digits, NULL, base);
  if (errno == ERANGE || v > (unsigned long long)LLONG_MAX)
    return out->type = ZM_YAML_STR;
  out->integer = (long long)v;
  return out->type = ZM_YAML_INT;
}

/* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static int is_float_syntax(const char *s)
{
  size_t i = (*s == '-' || *s == '+') ? 1 : 0;
  size_t int_digits = strspn(s + i, "0123456789");
  i += int_digits;
  if (s[i] == '.') {
    size_t frac = strspn(s + i + 1, "0123456789");
    if (!int_digits && !frac)
      return 0;
    i += 1 + frac;
  } else if (!int_digits) {
    return 0;
  }
  if (s[i] == 'e' || s[i] == 'E') {
    i++;
    if (s[i] == '-' || s[i] == '+')
      i++;
    size_t exp = strspn(s + i, "0123456789");
    if (!exp)
      return 0;
    i += exp;
  }
  return s[i] == '\0';
}

static zm_yaml_type resolve_number(const char *s, zm_yaml_value *out)
{
  static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
  static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
  static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
  const char *sign = (*s == '-' || *s == '+') ? s + 1 : s;
  if (all_in(sign, "0123456789"))
    return resolve_decimal(s, out);
  if (strncmp(s, "0o", 2) == 0 && all_in(s + 2, "01234567"))
    return resolve_based(s + 2, 8, out);
  if (strncmp(s, "0x", 2) == 0 && all_in(s + 2, "0123456789abcdefABCDEF"))
    return resolve_based(s + 2, 16, out);
  out->type = ZM_YAML_FLOAT;
  if (is_one_of(s, inf))
    out->number = INFINITY;
  else if (is_one_of(s, ninf))
    out->number = -INFINITY;
  else if (is_one_of(s, nan))
    out->number = NAN;
  else if (is_float_syntax(s))
    out->number = strtod(s, NULL);
  else
    out->type = ZM_YAML_STR;
  return out->type;
}

zm_yaml_type zm_yaml_resolve(const zm_yaml_node *scalar, zm_yaml_value *out)
{
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
  static const char *const trues[] = {"true", "True", "TRUE", NULL};
  static const char *const falses[] = {"false", "False", "FALSE", NULL};
  memset(out, 0, sizeof *out);
  const char *s = scalar->text;
  if (scalar->kind != ZM_YAML_SCALAR || scalar->style == ZM_YAML_QUOTED || strlen(s) != scalar->len)
    return out->type = ZM_YAML_STR;
  if (is_one_of(s, nulls))
    return out->type = ZM_YAML_NULL;
  if (is_one_of(s, trues) || is_one_of(s, falses)) {
    out->boolean = is_one_of(s, trues);
    return out->type = ZM_YAML_BOOL;
  }
  return resolve_number(s, out);
}

/* Make sure the text reads back as a float, not an int: 3 -> 3.0, 1e+20 -> 1.0e+20. */
static int add_point(char *out, int n)
{
  if (strchr(out, '.'))
    return n;
  char *e = strchr(out, 'e');
  if (!e) {
    memcpy(out + n, ".0", 3);
    return n + 2;
  }
  memmove(e + 2, e, strlen(e) + 1);
  memcpy(e, ".0", 2);
  return n + 2;
}

int zm_yaml_format_float(char out[40], double v)
{
  if (isnan(v))
    return snprintf(out, 40, ".nan");
  if (isinf(v))
    return snprintf(out, 40, v < 0 ? "-.inf" : ".inf");
  int n = 0;
  for (int prec = 1; prec <= 17; prec++) {
    n = snprintf(out, 40, "%.*g", prec, v);
    double back = strtod(out, NULL);
    if (memcmp(&back, &v, sizeof v) == 0)
      break;
  }
  return add_point(out, n);
}
