/* YAML loader and emitter: what parses emits, the emitted text parses, and
 * emitting that gives the same text again: emit(parse(emit(x))) == emit(x). */
#include "core/error.h"
#include "fuzz.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  zm_yaml_node *a = NULL, *b = NULL;
  char *ea = NULL, *eb = NULL;
  size_t na = 0, nb = 0;
  if (zm_yaml_parse(&a, (const char *)data, len, "fuzz.yaml") != 0)
    return 0;
  if (zm_yaml_emit(&ea, &na, a) != 0)
    fuzz_fail("cannot emit a parsed document: %s", zm_error_last());
  if (zm_yaml_parse(&b, ea, na, "emitted.yaml") != 0)
    fuzz_fail("the emitted YAML does not parse: %s\n%s", zm_error_last(), ea);
  if (zm_yaml_emit(&eb, &nb, b) != 0)
    fuzz_fail("cannot emit a re-parsed document: %s", zm_error_last());
  if (na != nb || memcmp(ea, eb, na) != 0)
    fuzz_fail("emitted YAML changed on a round trip:\n--- first\n%s--- second\n%s", ea, eb);
  free(ea);
  free(eb);
  zm_yaml_free(a);
  zm_yaml_free(b);
  return 0;
}
