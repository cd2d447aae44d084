/* Writing YAML: a zm_yaml_node tree through libyaml's emitter, block style,
 * with quotes only where plain text would read back as something else. */
#include "yaml/yaml.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Where the emitter is in the tree, for error messages: a chain of keys. */
typedef struct where {
  const struct where *up;
  const zm_yaml_node *key; /* mapping key, or NULL for a sequence index */
  size_t index;
} where;

static void format_where(zm_buf *b, const where *w)
{
  if (!w)
    return;
  format_where(b, w->up);
  if (w->key)
    zm_buf_printf(b, "%s%.*s", w->up ? "." : "", (int)(w->key->len > 60 ? 60 : w->key->len),
                  w->key->text);
  else
    zm_buf_printf(b, "[%zu]", w->index + 1);
}

static int emit_fail(const where *w, const char *what)
{
  zm_buf b = ZM_BUF_INIT;
  format_where(&b, w);
  int rc = zm_error_set(ZM_EINVALID, "cannot write YAML: %s at %s", what,
                        b.len ? b.data : "the top level");
  zm_buf_free(&b);
  return rc;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
  return zm_buf_put(data, buffer, size) == 0;
}

/* Words that YAML 1.1 readers (PyYAML and friends) take for booleans. Like
 * PyYAML we leave out y/n: "x" and "y" are too common as plain names. */
static int yaml11_bool(const char *s)
{
  static const char *const words[] = {"yes", "Yes", "YES", "no", "No", "NO", "on",
                                      "On",  "ON",  "off", "Off", "OFF", NULL};
  for (const char *const *w = words; *w; w++)
    if (strcmp(s, *w) == 0)
      return 1;
  return 0;
}

/* Numbers in some other YAML dialect (1_000, 0b101, 12:30, 017) as well. */
static int numberish(const char *s)
{
  const char *p = (*s == '-' || *s == '+' || *s == '.') ? s + 1 : s;
  if (*p < '0' || *p > '9')
    return 0;
  return s[strspn(s, "0123456789abcdefABCDEFoxOX_:.+-")] == '\0';
}

/* A string must be quoted when plain text would read back as another type. */
static int needs_quotes(const zm_yaml_node *n)
{
  zm_yaml_node plain = *n;
  zm_yaml_value v;
  plain.style = ZM_YAML_PLAIN;
  if (zm_yaml_resolve(&plain, &v) != ZM_YAML_STR)
    return 1;
  return yaml11_bool(n->text) || numberish(n->text) || strcmp(n->text, "<<") == 0;
}

/* Typed plain scalars (null, bool, numbers) are written as they are. A
 * string is written the same way whether it was read plain or quoted: left
 * to libyaml, plain text it cannot write plain would come out single-quoted,
 * read back QUOTED and then be written differently (found by tests/fuzz). */
static yaml_scalar_style_t scalar_style(const zm_yaml_node *n)
{
  zm_yaml_value v;
  if (n->style == ZM_YAML_PLAIN && zm_yaml_resolve(n, &v) != ZM_YAML_STR)
    return YAML_PLAIN_SCALAR_STYLE;
  if (memchr(n->text, '\n', n->len))
    return YAML_LITERAL_SCALAR_STYLE; /* falls back to double quotes if it must */
  return needs_quotes(n) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE;
}

static int emit_event(yaml_emitter_t *e, yaml_event_t *ev, const where *w)
{
  if (yaml_emitter_emit(e, ev))
    return 0;
  if (e->error == YAML_MEMORY_ERROR || e->error == YAML_WRITER_ERROR)
    return zm_error_set(ZM_ENOMEM, "out of memory writing YAML");
  return emit_fail(w, e->problem ? e->problem : "libyaml refused the document");
}

static int emit_scalar(yaml_emitter_t *e, const zm_yaml_node *n, const where *w)
{
  yaml_event_t ev;
  if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->text, (int)n->len, 1, 1,
                                    scalar_style(n)))
    return emit_fail(w, "a string that is not valid UTF-8");
  return emit_event(e, &ev, w);
}

static int emit_node(yaml_emitter_t *e, const zm_yaml_node *n, const where *w, int depth);

/* An empty plain key (`? ` alone) is null; libyaml cannot write it plain and
 * would quote it as '', the empty string, so it is written as `~`. */
static int emit_null_key(yaml_emitter_t *e, const where *w)
{
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"~", 1, 1, 1,
                               YAML_PLAIN_SCALAR_STYLE);
  return emit_event(e, &ev, w);
}

static int emit_children(yaml_emitter_t *e, const zm_yaml_node *n, const where *w, int depth)
{
  for (size_t i = 0; i < n->count; i++) {
    int rc;
    if (n->kind == ZM_YAML_SEQUENCE) {
      where here = {w, NULL, i};
      rc = emit_node(e, n->items[i], &here, depth + 1);
    } else {
      const zm_yaml_node *key = n->items[2 * i];
      where here = {w, key, i};
      rc = key->kind == ZM_YAML_SCALAR && key->style == ZM_YAML_PLAIN && key->len == 0
               ? emit_null_key(e, &here)
               : emit_node(e, key, &here, depth + 1);
      if (rc == 0)
        rc = emit_node(e, n->items[2 * i + 1], &here, depth + 1);
    }
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int emit_node(yaml_emitter_t *e, const zm_yaml_node *n, const where *w, int depth)
{
  yaml_event_t ev;
  if (n->kind == ZM_YAML_SCALAR)
    return emit_scalar(e, n, w);
  if (depth >= ZM_YAML_MAX_DEPTH)
    return emit_fail(w, "nesting deeper than the YAML limit");
  int is_seq = n->kind == ZM_YAML_SEQUENCE;
  if (is_seq)
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
  else
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
  int rc = emit_event(e, &ev, w);
  if (rc == 0)
    rc = emit_children(e, n, w, depth);
  if (rc != 0)
    return rc;
  if (is_seq)
    yaml_sequence_end_event_initialize(&ev);
  else
    yaml_mapping_end_event_initialize(&ev);
  return emit_event(e, &ev, w);
}

static int emit_stream(yaml_emitter_t *e, const zm_yaml_node *root)
{
  yaml_event_t ev;
  int rc;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  if ((rc = emit_event(e, &ev, NULL)) != 0)
    return rc;
  yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
  if ((rc = emit_event(e, &ev, NULL)) != 0 || (rc = emit_node(e, root, NULL, 0)) != 0)
    return rc;
  yaml_document_end_event_initialize(&ev, 1);
  if ((rc = emit_event(e, &ev, NULL)) != 0)
    return rc;
  yaml_stream_end_event_initialize(&ev);
  return emit_event(e, &ev, NULL);
}

int zm_yaml_emit(char **out, size_t *out_len, const zm_yaml_node *root)
{
  yaml_emitter_t e;
  zm_buf b = ZM_BUF_INIT;
  *out = NULL;
  if (!yaml_emitter_initialize(&e))
    return zm_error_set(ZM_ENOMEM, "out of memory starting the YAML writer");
  yaml_emitter_set_output(&e, write_handler, &b);
  yaml_emitter_set_unicode(&e, 1);
  yaml_emitter_set_indent(&e, 2);
  yaml_emitter_set_width(&e, -1); /* never fold long lines: diffs stay readable */
  yaml_emitter_set_break(&e, YAML_LN_BREAK);
  int rc = emit_stream(&e, root);
  if (rc == 0 && !yaml_emitter_flush(&e))
    rc = zm_error_set(ZM_ENOMEM, "out of memory writing YAML");
  yaml_emitter_delete(&e);
  if (rc == 0 && zm_buf_put(&b, "", 0) != 0)
    rc = zm_error_set(ZM_ENOMEM, "out of memory writing YAML");
  if (rc != 0) {
    zm_buf_free(&b);
    return rc;
  }
  if (out_len)
    *out_len = b.len;
  *out = zm_buf_detach(&b);
  return 0;
}
