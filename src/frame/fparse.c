/* Number parsing and printing for CSV. zm__parse_double must give exactly
 * strtod's double: the fast paths below are only taken where they are
 * provably correctly rounded; everything else goes to strtod. */
#include "frame/internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define HAVE_X87 1
/* 10^0..10^27 are exact in x87 extended precision (5^27 < 2^64). */
static const long double p10l[] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* m * 10^e with one rounding to 64 bits, then to 53. The first result is
 * within half a 64-bit ulp of the truth, so the second rounding can only go
 * wrong when the 11 dropped bits sit at the halfway point: refuse those. */
static int mul_pow10_x87(uint64_t m, int e, double *out)
{
  long double x = (long double)m;
  x = e < 0 ? x / p10l[-e] : x * p10l[e];
  uint64_t mant;
  memcpy(&mant, &x, sizeof mant);
  unsigned low = (unsigned)(mant & 0x7ff);
  if (low >= 0x3ff && low <= 0x401)
    return -1;
  *out = (double)x;
  return 0;
}
#endif

static int is_digit(char c)
{
  return (unsigned)(c - '0') < 10;
}

/* Exactly what strtod makes of [p, q): used for the rare hard cases. */
static double slow_strtod(const char *p, const char *q)
{
  char small[128];
  size_t n = (size_t)(q - p);
  char *s = n < sizeof small ? small : malloc(n + 1);
  if (!s)
    return NAN;
  memcpy(s, p, n);
  s[n] = '\0';
  double v = strtod(s, NULL);
  if (s != small)
    free(s);
  return v;
}

/* Scan the exponent after 'e' or 'E'; returns where it ends (unchanged when
 * it is not a valid exponent, as strtod does). */
static const char *scan_exponent(const char *s, const char *end, int *exp10)
{
  const char *t = s + 1;
  int neg = 0, e = 0;
  if (t < end && (*t == '-' || *t == '+'))
    neg = *t++ == '-';
  if (t >= end || !is_digit(*t))
    return s;
  while (t < end && is_digit(*t)) {
    if (e < 100000)
      e = e * 10 + (*t - '0');
    t++;
  }
  *exp10 += neg ? -e : e;
  return t;
}

/* The shape of nearly every number in a CSV: [sign] digits [. digits], 19
 * digits or fewer and no exponent, so every digit fits in m and the general
 * loop's bookkeeping (significant digits, dropped digits) is not needed.
 * Gives exactly what the general path would; NULL hands the field to it. */
static const char *parse_plain_loop(const char *p, const char *end, double *out)
{
  const char *s = p, *digits;
  int neg = 0;
  uint64_t m = 0; /* wraps past 19 digits, which are refused below */
  if (s < end && (*s == '-' || *s == '+'))
    neg = *s++ == '-';
  for (digits = s; s < end && is_digit(*s); s++)
    m = m * 10 + (uint64_t)(*s - '0');
  size_t n = (size_t)(s - digits), frac = 0;
  if (s < end && *s == '.') {
    const char *f = ++s;
    for (; s < end && is_digit(*s); s++)
      m = m * 10 + (uint64_t)(*s - '0');
    frac = (size_t)(s - f);
  }
  n += frac;
  if (n == 0 || n > 19 || (s < end && (*s == 'e' || *s == 'E')) || m >= (1ull << 53) ||
      frac > 22)
    return NULL;
  double v = m == 0 ? 0.0 : frac ? (double)m / p10[frac] : (double)m;
  *out = neg ? -v : v;
  return s;
}

/* How many of the 8 bytes in v (the first in the low byte) are ASCII
 * digits before the first that is not. x = v ^ '0' turns digits into 0-9;
 * a byte is not a digit when x > 9, which adding 0x76 (without carries:
 * on its low 7 bits) or its own high bit shows. */
static unsigned digit_run(uint64_t v)
{
  const uint64_t ones = 0x0101010101010101ull;
  uint64_t x = v ^ (ones * '0');
  uint64_t other = (((x & ones * 0x7f) + ones * 0x76) | x) & ones * 0x80;
  return other ? (unsigned)__builtin_ctzll(other) / 8 : 8;
}

/* The number the first k (1 to 8) digit bytes of v spell: shifted to the
 * top, behind leading zeros, then combined pairwise (10a + b), in fours and
 * in eights with multiplications that keep every partial sum apart. */
static uint64_t digits_value(uint64_t v, unsigned k)
{
  const uint64_t ones = 0x0101010101010101ull;
  uint64_t x = (v ^ (ones * '0')) << (8 * (8 - k));
  x = x * 10 + (x >> 8); /* bytes 0, 2, 4, 6: two-digit numbers */
  const uint64_t lanes = 0x000000ff000000ffull;
  return ((x & lanes) * (100 + (1000000ull << 32)) +
          ((x >> 16) & lanes) * (1 + (10000ull << 32))) >> 32;
}

static const uint64_t ten_to[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

/* parse_plain_loop with the integer and fraction digits read 8 bytes at a
 * time: a field of up to 7 + 7 digits, with 17 readable bytes from p (so no
 * load passes `end`); anything else goes to the loop. The digits make the
 * same m, so the result is the same. */
static const char *parse_plain(const char *p, const char *end, double *out)
{
  if (end - p < 17)
    return parse_plain_loop(p, end, out);
  const char *s = p;
  int neg = 0;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  uint64_t w;
  memcpy(&w, s, 8);
  unsigned k = digit_run(w), f = 0;
  if (k == 8)
    return parse_plain_loop(p, end, out);
  uint64_t m = k ? digits_value(w, k) : 0;
  s += k;
  if (*s == '.') {
    memcpy(&w, ++s, 8);
    f = digit_run(w);
    if (f == 8)
      return parse_plain_loop(p, end, out);
    m = f ? m * ten_to[f] + digits_value(w, f) : m;
    s += f;
  }
  if (k + f == 0 || (s < end && (*s == 'e' || *s == 'E')))
    return parse_plain_loop(p, end, out);
  double v = m == 0 ? 0.0 : f ? (double)m / p10[f] : (double)m;
  *out = neg ? -v : v;
  return s;
}

/* "inf" or "infinity" in any case after the sign, as strtod and pandas read
 * it: the writer's text for an infinity (1e999 reads as one too). */
static const char *parse_inf(const char *s, const char *end, int neg, double *out)
{
  size_t n = (size_t)(end - s);
  if (n < 3 || strncasecmp(s, "inf", 3) != 0)
    return NULL;
  s += n >= 8 && strncasecmp(s, "infinity", 8) == 0 ? 8 : 3;
  *out = neg ? -INFINITY : INFINITY;
  return s;
}

const char *zm__parse_double(const char *p, const char *end, double *out)
{
  const char *plain = parse_plain(p, end, out);
  if (plain)
    return plain;
  const char *s = p;
  int neg = 0, nd = 0, exp10 = 0, any = 0, dropped = 0;
  uint64_t m = 0;
  if (s < end && (*s == '-' || *s == '+'))
    neg = *s++ == '-';
  for (; s < end && is_digit(*s); s++, any = 1) {
    if (nd < 19) {
      m = m * 10 + (uint64_t)(*s - '0');
      nd += m != 0;
    } else {
      exp10++;
      dropped |= *s != '0';
    }
  }
  if (s < end && *s == '.') {
    for (s++; s < end && is_digit(*s); s++, any = 1) {
      if (nd < 19) {
        m = m * 10 + (uint64_t)(*s - '0');
        nd += m != 0;
        exp10--;
      } else {
        dropped |= *s != '0';
      }
    }
  }
  if (!any)
    return parse_inf(s, end, neg, out);
  if (s < end && (*s == 'e' || *s == 'E'))
    s = scan_exponent(s, end, &exp10);
  double v;
  if (m == 0 && !dropped)
    v = 0.0;
  else if (!dropped && m < (1ull << 53) && exp10 >= -22 && exp10 <= 22)
    v = exp10 < 0 ? (double)m / p10[-exp10] : (double)m * p10[exp10];
#ifdef HAVE_X87
  else if (!dropped && exp10 >= -27 && exp10 <= 27 && mul_pow10_x87(m, exp10, &v) == 0)
    ;
#endif
  else
    return *out = slow_strtod(p, s), s;
  *out = neg ? -v : v;
  return s;
}

const char *zm__parse_int64(const char *p, const char *end, int64_t *out)
{
  const char *s = p;
  int neg = 0;
  if (s < end && (*s == '-' || *s == '+'))
    neg = *s++ == '-';
  if (s >= end || !is_digit(*s))
    return NULL;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; s < end && is_digit(*s); s++) {
    unsigned d = (unsigned)(*s - '0');
    if (v > (limit - d) / 10)
      return NULL;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return s;
}

int zm__format_double(char *buf, double v)
{
  if (isnan(v))
    return (int)strlen(strcpy(buf, "NaN"));
  if (isinf(v))
    return (int)strlen(strcpy(buf, v < 0 ? "-inf" : "inf"));
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(buf, 32, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  /* keep it a float when read back: "1" would come back as int64 */
  if (!strpbrk(buf, ".e"))
    n += (int)strlen(strcpy(buf + n, ".0"));
  return n;
}
