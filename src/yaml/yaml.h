/* YAML through libyaml, as a small generic document tree: the pipeline files
 * zenml writes and re-reads, and the hand-edited configs it reads.
 *
 * One document per file; no anchors, aliases or custom tags (zenml never
 * writes them). Plain scalars are typed by the YAML 1.2 core schema
 * (zm_yaml_resolve); quoted and block scalars are always strings. Emitting
 * is deterministic: the same tree gives the same bytes. */
#ifndef ZM_YAML_YAML_H
#define ZM_YAML_YAML_H

#include <stddef.h>

/* Deeper documents are refused, so hostile input cannot exhaust the stack. */
#define ZM_YAML_MAX_DEPTH 200

typedef enum zm_yaml_kind {
  ZM_YAML_SCALAR,
  ZM_YAML_SEQUENCE,
  ZM_YAML_MAPPING,
} zm_yaml_kind;

/* A scalar's style: PLAIN text is typed (1, true, null, 2.5, abc); QUOTED
 * (quoted or block in the file) is a string whatever it looks like. */
typedef enum zm_yaml_style {
  ZM_YAML_PLAIN,
  ZM_YAML_QUOTED,
} zm_yaml_style;

/* What a scalar means under the core schema. */
typedef enum zm_yaml_type {
  ZM_YAML_NULL,
  ZM_YAML_BOOL,
  ZM_YAML_INT,
  ZM_YAML_FLOAT,
  ZM_YAML_STR,
} zm_yaml_type;

typedef struct zm_yaml_node zm_yaml_node;

struct zm_yaml_node {
  zm_yaml_kind kind;
  zm_yaml_style style; /* scalars only */
  char *text;          /* scalars: NUL-terminated bytes (may hold NULs: use len) */
  size_t len;
  size_t count;        /* sequence items, or mapping pairs */
  size_t cap;
  zm_yaml_node **items; /* sequence: count items; mapping: key, value, key, value... */
  int line, column;     /* 1-based position in the source; 0 for built nodes */
};

/* A scalar's typed value, filled by zm_yaml_resolve. */
typedef struct zm_yaml_value {
  zm_yaml_type type;
  int boolean;
  long long integer;
  double number;
} zm_yaml_value;

/* Parse one document from `len` bytes; `name` (a file name) starts error
 * messages, which read "name:line:column: message". An empty document gives
 * a plain empty scalar (null). */
int zm_yaml_parse(zm_yaml_node **out, const char *text, size_t len, const char *name);

/* Read and parse a file; errors start with its path. */
int zm_yaml_parse_file(zm_yaml_node **out, const char *path);

/* Free a node and everything under it. Accepts NULL. */
void zm_yaml_free(zm_yaml_node *node);

/* Write a tree as block-style YAML text (NUL-terminated, caller frees with
 * free()). Strings are quoted only when plain text would read back as
 * something else; multi-line strings become literal blocks. */
int zm_yaml_emit(char **out, size_t *out_len, const zm_yaml_node *root);

/* The type and value of a scalar (QUOTED is always ZM_YAML_STR). */
zm_yaml_type zm_yaml_resolve(const zm_yaml_node *scalar, zm_yaml_value *out);

/* A new scalar holding a copy of `len` bytes; NULL when out of memory. */
zm_yaml_node *zm_yaml_scalar_new(const char *text, size_t len, zm_yaml_style style);

/* A string scalar (reads back as this string whatever its text). */
zm_yaml_node *zm_yaml_str_new(const char *s);

/* Typed scalars: integer, float (reads back bit-identical), boolean, null. */
zm_yaml_node *zm_yaml_int_new(long long v);
zm_yaml_node *zm_yaml_float_new(double v);
zm_yaml_node *zm_yaml_bool_new(int v);
zm_yaml_node *zm_yaml_null_new(void);

/* An empty sequence or mapping; NULL when out of memory. */
zm_yaml_node *zm_yaml_seq_new(void);
zm_yaml_node *zm_yaml_map_new(void);

/* Append `item` to a sequence, which takes ownership (frees it on failure). */
int zm_yaml_seq_push(zm_yaml_node *seq, zm_yaml_node *item);

/* Append a key/value pair to a mapping, which takes ownership of both (frees
 * them on failure). Keys keep insertion order; duplicates are not checked. */
int zm_yaml_map_add(zm_yaml_node *map, zm_yaml_node *key, zm_yaml_node *value);

/* The value of the first pair whose key is the string `key`, or NULL. */
const zm_yaml_node *zm_yaml_map_get(const zm_yaml_node *map, const char *key);

/* The shortest text for `v` that reads back bit-identical as a YAML float
 * (always with a '.', 'e', or as .inf/-.inf/.nan). Returns its length. */
int zm_yaml_format_float(char out[40], double v);

#endif
