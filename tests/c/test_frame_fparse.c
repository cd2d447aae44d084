/* zm__parse_double against strtod, bit for bit, on random numbers of 0-24
 * integer and fraction digits (inside and past the plain fast path), with and
 * without bytes after them: the parser must never read past `end`. */
#include "check.h"
#include "frame/internal.h"

#include <stdint.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;

static unsigned next(unsigned n)
{
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (unsigned)(state % n);
}

/* A random number text: sign, 0-24 integer digits, optional point and 0-24
 * fraction digits, sometimes an exponent. */
static size_t random_number(char *buf)
{
  size_t n = 0;
  unsigned r = next(4);
  if (r == 0)
    buf[n++] = '-';
  else if (r == 1)
    buf[n++] = '+';
  unsigned ni = next(25), nf = next(3) ? next(25) : 0;
  for (unsigned i = 0; i < ni; i++)
    buf[n++] = (char)('0' + next(10));
  if (nf || next(2)) {
    buf[n++] = '.';
    for (unsigned i = 0; i < nf; i++)
      buf[n++] = (char)('0' + next(10));
  }
  if (next(8) == 0)
    n += (size_t)sprintf(buf + n, "e%d", (int)next(40) - 20);
  return n;
}

static int same_as_strtod(const char *text, size_t len)
{
  char *exact = malloc(len); /* no slack: ASan sees any read past the end */
  memcpy(exact, text, len);
  double got = 0;
  const char *end = zm__parse_double(exact, exact + len, &got);
  char z[128];
  memcpy(z, text, len);
  z[len] = 0;
  char *zend;
  double want = strtod(z, &zend);
  int ok;
  if (zend == z || z[0] == '\n') /* strtod skips leading space; a CSV field does not */
    ok = end == NULL;
  else
    ok = end == exact + (zend - z) && memcmp(&got, &want, sizeof got) == 0;
  if (!ok)
    fprintf(stderr, "mismatch on '%.*s'\n", (int)len, text);
  free(exact);
  return ok;
}

static void test_random_numbers_match_strtod(void)
{
  int bad = 0;
  for (int i = 0; i < 200000 && bad < 5; i++) {
    char buf[96];
    size_t n = random_number(buf);
    bad += !same_as_strtod(buf, n);       /* the number ends the buffer */
    buf[n] = next(2) ? ',' : '\n';
    bad += !same_as_strtod(buf, n + 1);   /* a delimiter follows */
    memcpy(buf + n + 1, "12345678", 8);   /* digits after the delimiter */
    bad += !same_as_strtod(buf, n + 9);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_shapes(void)
{
  static const char *const cases[] = {
      "0.647906", "-1.178259", "12345678", "123456789", "1234567890123456789",
      "12345678901234567890", "0.00000001", "99999999.99999999", "-0", "7", ".5", "5.",
      "00000000000000000000001", "1.2e3", "x1", "-", "9007199254740993", "0.1,2"};
  int bad = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    bad += !same_as_strtod(cases[i], strlen(cases[i]));
  CHECK_EQ_INT(bad, 0);
}

int main(void)
{
  RUN(test_shapes);
  RUN(test_random_numbers_match_strtod);
  return CHECK_DONE();
}
