/* Frames as JSON records: values by type, nulls, escaping, empty frames. */
#include "check.h"
#include "core/buf.h"
#include "frame/csv.h"
#include "frame/json.h"

static const char *as_json(const char *csv)
{
  static char out[1024];
  zm_frame *f = NULL;
  zm_buf b = ZM_BUF_INIT;
  out[0] = '\0';
  if (zm_frame_parse_csv(&f, "t.csv", csv, strlen(csv), NULL) == 0 &&
      zm_frame_format_json(&b, f) == 0)
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data);
  zm_buf_free(&b);
  zm_frame_free(f);
  return out;
}

static void test_types_and_nulls(void)
{
  CHECK_EQ_STR(as_json("i,x,ok,s\n1,1.5,true,a\n,2,false,\n3,NaN,,b\n"),
               "[\n{\"i\":1,\"x\":1.5,\"ok\":true,\"s\":\"a\"},\n"
               "{\"i\":null,\"x\":2.0,\"ok\":false,\"s\":null},\n"
               "{\"i\":3,\"x\":null,\"ok\":null,\"s\":\"b\"}\n]\n");
}

static void test_escaping(void)
{
  CHECK_EQ_STR(as_json("\"a\"\"b\",c\n\"q\"\"\\\",\"line\nbreak\ttab\x01\"\n"),
               "[\n{\"a\\\"b\":\"q\\\"\\\\\",\"c\":\"line\\nbreak\\ttab\\u0001\"}\n]\n");
  CHECK_EQ_STR(as_json("name\n\xc3\xa9t\xc3\xa9\n"), "[\n{\"name\":\"\xc3\xa9t\xc3\xa9\"}\n]\n");
}

static void test_empty(void)
{
  CHECK_EQ_STR(as_json("a,b\n"), "[]\n");
}

int main(void)
{
  RUN(test_types_and_nulls);
  RUN(test_escaping);
  RUN(test_empty);
  return CHECK_DONE();
}
