/* Reading YAML: libyaml's event stream into a zm_yaml_node tree, with
 * "name:line:column: message" errors a user can jump to. */
#include "yaml/yaml.h"
#include "core/error.h"
#include "core/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct parser {
  yaml_parser_t p;
  const char *name;
  const char *text;
  size_t len;
} parser;

static int error_at(const parser *ps, yaml_mark_t mark, const char *what)
{
  return zm_error_set(ZM_EINVALID, "%s:%zu:%zu: %s", ps->name, mark.line + 1, mark.column + 1,
                      what);
}

/* libyaml's reader reports a byte offset only; turn it into a line and column. */
static yaml_mark_t mark_at_offset(const parser *ps, size_t offset)
{
  yaml_mark_t m = {0, 0, 0};
  for (size_t i = 0; i < offset && i < ps->len; i++) {
    if (ps->text[i] == '\n') {
      m.line++;
      m.column = 0;
    } else if (((unsigned char)ps->text[i] & 0xC0) != 0x80) {
      m.column++;
    }
  }
  return m;
}

static int libyaml_error(const parser *ps)
{
  const yaml_parser_t *p = &ps->p;
  const char *problem = p->problem ? p->problem : "cannot parse YAML";
  if (p->error == YAML_READER_ERROR)
    return error_at(ps, mark_at_offset(ps, p->problem_offset), problem);
  if (p->error == YAML_MEMORY_ERROR)
    return zm_error_set(ZM_ENOMEM, "%s: out of memory parsing YAML", ps->name);
  if (!p->context)
    return error_at(ps, p->problem_mark, problem);
  char what[512];
  snprintf(what, sizeof what, "%s (%s at line %zu, column %zu)", problem, p->context,
           p->context_mark.line + 1, p->context_mark.column + 1);
  return error_at(ps, p->problem_mark, what);
}

static int next_event(parser *ps, yaml_event_t *ev)
{
  if (!yaml_parser_parse(&ps->p, ev))
    return libyaml_error(ps);
  return 0;
}

/* Tags zenml accepts: the core schema's own; anything else is not our file. */
static int check_props(const parser *ps, const yaml_event_t *ev, const yaml_char_t *anchor,
                       const yaml_char_t *tag)
{
  static const char *const known[] = {
      "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
      "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:seq",
      "tag:yaml.org,2002:map", NULL};
  char what[300];
  if (anchor) {
    snprintf(what, sizeof what,
             "anchor &%.200s is not supported (zenml never writes anchors or aliases)",
             (const char *)anchor);
    return error_at(ps, ev->start_mark, what);
  }
  if (!tag)
    return 0;
  for (const char *const *k = known; *k; k++)
    if (strcmp((const char *)tag, *k) == 0)
      return 0;
  snprintf(what, sizeof what, "tag %.200s is not supported", (const char *)tag);
  return error_at(ps, ev->start_mark, what);
}

static void set_position(zm_yaml_node *n, const yaml_event_t *ev)
{
  n->line = (int)ev->start_mark.line + 1;
  n->column = (int)ev->start_mark.column + 1;
}

static int scalar_node(zm_yaml_node **out, const parser *ps, const yaml_event_t *ev)
{
  const yaml_char_t *tag = ev->data.scalar.tag;
  int rc = check_props(ps, ev, ev->data.scalar.anchor, tag);
  if (rc != 0)
    return rc;
  int quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
               (tag && (strcmp((const char *)tag, "!") == 0 ||
                        strcmp((const char *)tag, "tag:yaml.org,2002:str") == 0));
  *out = zm_yaml_scalar_new((const char *)ev->data.scalar.value, ev->data.scalar.length,
                            quoted ? ZM_YAML_QUOTED : ZM_YAML_PLAIN);
  if (!*out)
    return zm_error_set(ZM_ENOMEM, "%s: out of memory parsing YAML", ps->name);
  set_position(*out, ev);
  return 0;
}

static int parse_node(zm_yaml_node **out, parser *ps, yaml_event_t *ev, int depth);

/* Children of a sequence or mapping until its end event. */
static int parse_children(zm_yaml_node *parent, parser *ps, yaml_event_type_t end, int depth)
{
  for (;;) {
    yaml_event_t ev;
    zm_yaml_node *key = NULL, *value = NULL;
    int rc = next_event(ps, &ev);
    if (rc != 0)
      return rc;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return 0;
    }
    if (parent->kind == ZM_YAML_SEQUENCE) {
      rc = parse_node(&value, ps, &ev, depth + 1);
      if (rc == 0)
        rc = zm_yaml_seq_push(parent, value);
      if (rc != 0)
        return rc;
      continue;
    }
    rc = parse_node(&key, ps, &ev, depth + 1);
    if (rc == 0 && key->kind != ZM_YAML_SCALAR)
      rc = zm_error_set(ZM_EINVALID, "%s:%d:%d: mapping keys must be scalars", ps->name,
                        key->line, key->column);
    if (rc == 0 && (rc = next_event(ps, &ev)) == 0)
      rc = parse_node(&value, ps, &ev, depth + 1);
    if (rc != 0) {
      zm_yaml_free(key);
      return rc;
    }
    if ((rc = zm_yaml_map_add(parent, key, value)) != 0)
      return rc;
  }
}

static int container_node(zm_yaml_node **out, parser *ps, const yaml_event_t *ev, int depth)
{
  int is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
  const yaml_char_t *anchor = is_seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
  const yaml_char_t *tag = is_seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
  int rc = check_props(ps, ev, anchor, tag);
  if (rc != 0)
    return rc;
  if (depth >= ZM_YAML_MAX_DEPTH) {
    char what[80];
    snprintf(what, sizeof what, "nesting deeper than %d levels", ZM_YAML_MAX_DEPTH);
    return error_at(ps, ev->start_mark, what);
  }
  zm_yaml_node *n = is_seq ? zm_yaml_seq_new() : zm_yaml_map_new();
  if (!n)
    return zm_error_set(ZM_ENOMEM, "%s: out of memory parsing YAML", ps->name);
  set_position(n, ev);
  rc = parse_children(n, ps, is_seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT, depth);
  if (rc != 0) {
    zm_yaml_free(n);
    return rc;
  }
  *out = n;
  return 0;
}

/* Build the node that starts with `ev`, which this function deletes. */
static int parse_node(zm_yaml_node **out, parser *ps, yaml_event_t *ev, int depth)
{
  int rc;
  *out = NULL;
  switch (ev->type) {
  case YAML_SCALAR_EVENT:
    rc = scalar_node(out, ps, ev);
    break;
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT:
    rc = container_node(out, ps, ev, depth);
    break;
  case YAML_ALIAS_EVENT:
    rc = error_at(ps, ev->start_mark,
                  "aliases (*name) are not supported (zenml never writes anchors or aliases)");
    break;
  default:
    rc = error_at(ps, ev->start_mark, "unexpected YAML event");
    break;
  }
  yaml_event_delete(ev);
  return rc;
}

/* Skip to `want`, which must be next; anything else is an error. */
static int expect_event(parser *ps, yaml_event_type_t want, yaml_event_t *ev)
{
  int rc = next_event(ps, ev);
  if (rc == 0 && ev->type != want) {
    rc = error_at(ps, ev->start_mark,
                  ev->type == YAML_DOCUMENT_START_EVENT
                      ? "more than one document (a zenml YAML file holds one)"
                      : "unexpected YAML event");
    yaml_event_delete(ev);
  }
  return rc;
}

static int parse_document(zm_yaml_node **out, parser *ps)
{
  yaml_event_t ev;
  int rc = expect_event(ps, YAML_STREAM_START_EVENT, &ev);
  if (rc != 0)
    return rc;
  yaml_event_delete(&ev);
  if ((rc = next_event(ps, &ev)) != 0)
    return rc;
  if (ev.type == YAML_STREAM_END_EVENT) { /* empty file: a null document */
    yaml_event_delete(&ev);
    *out = zm_yaml_scalar_new("", 0, ZM_YAML_PLAIN);
    return *out ? 0 : zm_error_set(ZM_ENOMEM, "%s: out of memory parsing YAML", ps->name);
  }
  yaml_event_delete(&ev);
  if ((rc = next_event(ps, &ev)) != 0 || (rc = parse_node(out, ps, &ev, 0)) != 0)
    return rc;
  if ((rc = expect_event(ps, YAML_DOCUMENT_END_EVENT, &ev)) == 0) {
    yaml_event_delete(&ev);
    rc = expect_event(ps, YAML_STREAM_END_EVENT, &ev);
    if (rc == 0)
      yaml_event_delete(&ev);
  }
  if (rc != 0) {
    zm_yaml_free(*out);
    *out = NULL;
  }
  return rc;
}

int zm_yaml_parse(zm_yaml_node **out, const char *text, size_t len, const char *name)
{
  parser ps = {.name = name ? name : "<string>", .text = text, .len = len};
  *out = NULL;
  if (!yaml_parser_initialize(&ps.p))
    return zm_error_set(ZM_ENOMEM, "out of memory starting the YAML parser");
  yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
  yaml_parser_set_encoding(&ps.p, YAML_UTF8_ENCODING);
  int rc = parse_document(out, &ps);
  yaml_parser_delete(&ps.p);
  return rc;
}

int zm_yaml_parse_file(zm_yaml_node **out, const char *path)
{
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  int rc = zm_fs_read(&text, &len, path);
  if (rc == 0)
    rc = zm_yaml_parse(out, text, len, path);
  free(text);
  return rc;
}
