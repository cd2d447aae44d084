/* Unit tests for src/yaml: tricky scalars survive a write and a read, errors
 * name file:line:column, anchors and deep nesting are refused, and the same
 * tree always gives the same bytes. */
#include "check.h"
#include "core/error.h"
#include "yaml/yaml.h"

#include <float.h>
#include <limits.h>
#include <math.h>

static zm_yaml_node *parse_str(const char *text, const char *name)
{
  zm_yaml_node *n = NULL;
  int rc = zm_yaml_parse(&n, text, strlen(text), name);
  if (rc != 0)
    fprintf(stderr, "parse: %s\n", zm_error_last());
  return n;
}

/* Emit {k: node} and read it back; the caller frees the returned tree. */
static zm_yaml_node *round_trip(zm_yaml_node *value, char **text_out)
{
  zm_yaml_node *map = zm_yaml_map_new(), *back = NULL;
  char *text = NULL;
  CHECK_EQ_INT(zm_yaml_map_add(map, zm_yaml_str_new("k"), value), 0);
  CHECK_EQ_INT(zm_yaml_emit(&text, NULL, map), 0);
  if (text)
    back = parse_str(text, "round-trip");
  zm_yaml_free(map);
  if (text_out)
    *text_out = text;
  else
    free(text);
  return back;
}

static void test_tricky_strings(void)
{
  static const char *const cases[] = {
      "true", "False", "1", "-7", "0x1F", "0o17", "1.5", "1e3", ".inf", "-.Inf", ".nan",
      "null", "~", "", " leading", "trailing ", "a: b", "a:b", "#x", "x #y", "- x", "-",
      "?", ":", "yes", "off", "y", "1_000", "12:30", "017", "[x]", "{a: 1}", "*x", "&y",
      "!t", "%p", "@at", "`tick", "\"dq\"", "'sq'", "tab\there", "é ünïcödé ✓",
      "one\ntwo\n", "one\ntwo", "trailing newlines\n\n\n", "\nleading newline",
      "line with trailing space \nnext", "ctrl\x01char", "<<", "plain words", NULL};
  for (const char *const *c = cases; *c; c++) {
    char *text = NULL;
    zm_yaml_node *back = round_trip(zm_yaml_str_new(*c), &text);
    const zm_yaml_node *v = zm_yaml_map_get(back, "k");
    zm_yaml_value val;
    CHECK(v != NULL);
    if (v) {
      CHECK_EQ_STR(v->text, *c);
      CHECK_EQ_INT(zm_yaml_resolve(v, &val), ZM_YAML_STR);
    }
    if (!v || strcmp(v->text, *c) != 0)
      fprintf(stderr, "  case \"%s\" written as:\n%s", *c, text ? text : "(null)");
    free(text);
    zm_yaml_free(back);
  }
}

static void test_quotes_only_when_needed(void)
{
  zm_yaml_node *map = zm_yaml_map_new();
  zm_yaml_map_add(map, zm_yaml_str_new("name"), zm_yaml_str_new("iris-ffn"));
  zm_yaml_map_add(map, zm_yaml_str_new("flag"), zm_yaml_str_new("true"));
  zm_yaml_map_add(map, zm_yaml_str_new("n"), zm_yaml_int_new(42));
  zm_yaml_map_add(map, zm_yaml_str_new("x"), zm_yaml_float_new(0.1));
  zm_yaml_map_add(map, zm_yaml_str_new("ok"), zm_yaml_bool_new(1));
  zm_yaml_map_add(map, zm_yaml_str_new("none"), zm_yaml_null_new());
  zm_yaml_map_add(map, zm_yaml_str_new("text"), zm_yaml_str_new("a\nb\n"));
  zm_yaml_node *seq = zm_yaml_seq_new();
  zm_yaml_seq_push(seq, zm_yaml_str_new("1"));
  zm_yaml_seq_push(seq, zm_yaml_int_new(1));
  zm_yaml_map_add(map, zm_yaml_str_new("list"), seq);
  zm_yaml_map_add(map, zm_yaml_str_new("empty"), zm_yaml_map_new());
  char *a = NULL, *b = NULL;
  CHECK_EQ_INT(zm_yaml_emit(&a, NULL, map), 0);
  CHECK_EQ_INT(zm_yaml_emit(&b, NULL, map), 0);
  CHECK_EQ_STR(a, "name: iris-ffn\nflag: \"true\"\nn: 42\nx: 0.1\nok: true\nnone: null\n"
                  "text: |\n  a\n  b\nlist:\n- \"1\"\n- 1\nempty: {}\n");
  CHECK_EQ_STR(a, b);
  free(a);
  free(b);
  zm_yaml_free(map);
}

static void test_floats_bit_identical(void)
{
  const double cases[] = {0.1, 1.0, -0.0, 0.0, 1e300, 5e-324, 1e20, 123456789.123,
                          DBL_MAX, -DBL_MIN, 2.0 / 3.0, INFINITY, -INFINITY, 1e16, 3e-7};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zm_yaml_node *back = round_trip(zm_yaml_float_new(cases[i]), NULL);
    const zm_yaml_node *v = zm_yaml_map_get(back, "k");
    zm_yaml_value val = {0};
    CHECK(v && zm_yaml_resolve(v, &val) == ZM_YAML_FLOAT);
    CHECK(memcmp(&val.number, &cases[i], sizeof(double)) == 0);
    zm_yaml_free(back);
  }
  char text[40];
  zm_yaml_format_float(text, 0.1);
  CHECK_EQ_STR(text, "0.1");
  zm_yaml_format_float(text, 3.0);
  CHECK_EQ_STR(text, "3.0");
  zm_yaml_format_float(text, 1e20);
  CHECK_EQ_STR(text, "1.0e+20");
  zm_yaml_format_float(text, NAN);
  CHECK_EQ_STR(text, ".nan");
  zm_yaml_node *back = round_trip(zm_yaml_float_new(NAN), NULL);
  zm_yaml_value val = {0};
  CHECK(zm_yaml_resolve(zm_yaml_map_get(back, "k"), &val) == ZM_YAML_FLOAT && isnan(val.number));
  zm_yaml_free(back);
}

static void test_ints_and_core_schema(void)
{
  zm_yaml_node *back = round_trip(zm_yaml_int_new(LLONG_MIN), NULL);
  zm_yaml_value v = {0};
  CHECK_EQ_INT(zm_yaml_resolve(zm_yaml_map_get(back, "k"), &v), ZM_YAML_INT);
  CHECK(v.integer == LLONG_MIN);
  zm_yaml_free(back);

  zm_yaml_node *doc = parse_str("a: 0x1F\nb: 0o17\nc: +12\nd: ~\ne: 'true'\nf: TRUE\n"
                                "g: 1.\nh: .5\ni: 99999999999999999999\nj: 1_000\n", "t");
  struct { const char *key; zm_yaml_type type; } want[] = {
      {"a", ZM_YAML_INT}, {"b", ZM_YAML_INT}, {"c", ZM_YAML_INT}, {"d", ZM_YAML_NULL},
      {"e", ZM_YAML_STR}, {"f", ZM_YAML_BOOL}, {"g", ZM_YAML_FLOAT}, {"h", ZM_YAML_FLOAT},
      {"i", ZM_YAML_FLOAT}, {"j", ZM_YAML_STR}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    CHECK_EQ_INT(zm_yaml_resolve(zm_yaml_map_get(doc, want[i].key), &v), want[i].type);
  zm_yaml_resolve(zm_yaml_map_get(doc, "a"), &v);
  CHECK_EQ_INT(v.integer, 31);
  zm_yaml_resolve(zm_yaml_map_get(doc, "b"), &v);
  CHECK_EQ_INT(v.integer, 15);
  zm_yaml_free(doc);
}

static void test_order_and_positions(void)
{
  zm_yaml_node *doc = parse_str("zeta: 1\nalpha:\n  - x\n  - y: 2\nmid: z\n", "p.yaml");
  CHECK(doc && doc->kind == ZM_YAML_MAPPING && doc->count == 3);
  if (!doc)
    return;
  CHECK_EQ_STR(doc->items[0]->text, "zeta");
  CHECK_EQ_STR(doc->items[2]->text, "alpha");
  CHECK_EQ_STR(doc->items[4]->text, "mid");
  const zm_yaml_node *alpha = zm_yaml_map_get(doc, "alpha");
  CHECK(alpha && alpha->kind == ZM_YAML_SEQUENCE && alpha->count == 2);
  if (alpha) {
    CHECK_EQ_INT(alpha->items[1]->line, 4);
    CHECK_EQ_INT(alpha->items[1]->column, 5);
  }
  zm_yaml_free(doc);
}

static void check_error(const char *text, const char *name, const char *message)
{
  zm_yaml_node *n = (zm_yaml_node *)1;
  CHECK_EQ_INT(zm_yaml_parse(&n, text, strlen(text), name), ZM_EINVALID);
  CHECK(n == NULL);
  CHECK_EQ_STR(zm_error_last(), message);
}

static void test_errors(void)
{
  check_error("name: x\nsteps:\n  a: [1, 2\n  b: 3\n", "pipelines/x.yaml",
              "pipelines/x.yaml:4:4: did not find expected ',' or ']' "
              "(while parsing a flow sequence at line 3, column 6)");
  check_error("a: b: c\n", "bad.yaml",
              "bad.yaml:1:5: mapping values are not allowed in this context");
  check_error("a: &x 1\nb: *x\n", "a.yaml",
              "a.yaml:1:4: anchor &x is not supported (zenml never writes anchors or aliases)");
  check_error("a: *x\n", "a.yaml",
              "a.yaml:1:4: aliases (*name) are not supported (zenml never writes anchors or aliases)");
  check_error("a: !python/object x\n", "t.yaml", "t.yaml:1:4: tag !python/object is not supported");
  check_error("a: 1\n---\nb: 2\n", "two.yaml",
              "two.yaml:2:1: more than one document (a zenml YAML file holds one)");
  check_error("[1]: x\n", "k.yaml", "k.yaml:1:1: mapping keys must be scalars");
  check_error("a: \"\xff\"\n", "u.yaml", "u.yaml:1:5: invalid leading UTF-8 octet");
  char deep[1000] = "";
  for (int i = 0; i < 300; i++)
    strcat(deep, "[");
  for (int i = 0; i < 300; i++)
    strcat(deep, "]");
  check_error(deep, "deep.yaml", "deep.yaml:1:201: nesting deeper than 200 levels");
}

static void test_empty_and_file(void)
{
  zm_yaml_node *n = parse_str("", "e");
  zm_yaml_value v;
  CHECK(n && zm_yaml_resolve(n, &v) == ZM_YAML_NULL);
  zm_yaml_free(n);
  CHECK_EQ_INT(zm_yaml_parse_file(&n, "/nonexistent/zenml.yaml"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/zenml.yaml: No such file or directory");
  zm_yaml_free(NULL);
}

static void test_emit_bad_utf8_names_place(void)
{
  zm_yaml_node *map = zm_yaml_map_new(), *seq = zm_yaml_seq_new();
  zm_yaml_seq_push(seq, zm_yaml_str_new("ok"));
  zm_yaml_seq_push(seq, zm_yaml_str_new("bad\xff"));
  zm_yaml_map_add(map, zm_yaml_str_new("params"), seq);
  char *text = (char *)1;
  CHECK_EQ_INT(zm_yaml_emit(&text, NULL, map), ZM_EINVALID);
  CHECK(text == NULL);
  CHECK_EQ_STR(zm_error_last(), "cannot write YAML: a string that is not valid UTF-8 at params[2]");
  zm_yaml_free(map);
}

/* emit(parse(emit(x))) == emit(x), and an empty (null) key stays null. */
static void test_emit_is_a_fixed_point(void)
{
  static const char *const docs[] = {"? \n: 1\nb: 2\n", "? \n", "a:\n  ? \n  : x\n",
                                     "? !!null\n: 1\n", "? ''\n: 1\n", "a:\n", "- \n- x\n",
                                     /* multi-line plain text (found by tests/fuzz) */
                                     "2 \n--\n\n2", "a: x\n  y\n", "50::",
                                     "a: yes\n", "[0b1, 1_0, 12:30]"};
  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
    zm_yaml_node *x = parse_str(docs[i], "doc"), *y = NULL;
    char *once = NULL, *twice = NULL;
    CHECK_EQ_INT(zm_yaml_emit(&once, NULL, x), 0);
    y = once ? parse_str(once, "once") : NULL;
    CHECK(y != NULL);
    if (y)
      CHECK_EQ_INT(zm_yaml_emit(&twice, NULL, y), 0);
    if (once && twice)
      CHECK_EQ_STR(twice, once);
    free(once);
    free(twice);
    zm_yaml_free(x);
    zm_yaml_free(y);
  }
  zm_yaml_node *x = parse_str("? \n: 1\n", "null-key");
  char *text = NULL;
  CHECK_EQ_INT(zm_yaml_emit(&text, NULL, x), 0);
  CHECK_EQ_STR(text, "~: 1\n");
  free(text);
  zm_yaml_free(x);
  x = parse_str("a: x\n  y\n\n  z\n", "multi-line");
  text = NULL;
  CHECK_EQ_INT(zm_yaml_emit(&text, NULL, x), 0);
  CHECK_EQ_STR(text, "a: |-\n  x y\n  z\n");
  free(text);
  zm_yaml_free(x);
}

int main(void)
{
  RUN(test_tricky_strings);
  RUN(test_quotes_only_when_needed);
  RUN(test_floats_bit_identical);
  RUN(test_ints_and_core_schema);
  RUN(test_order_and_positions);
  RUN(test_errors);
  RUN(test_empty_and_file);
  RUN(test_emit_bad_utf8_names_place);
  RUN(test_emit_is_a_fixed_point);
  return CHECK_DONE();
}
