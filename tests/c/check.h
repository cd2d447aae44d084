/* A tiny unit-test runner: CHECK records a failure and carries on; each test
 * is a function listed in main through RUN. Exit status 1 if any failed. */
#ifndef ZM_TEST_CHECK_H
#define ZM_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                          \
  do {                                                                       \
    check_count++;                                                           \
    if (!(cond)) {                                                           \
      check_failures++;                                                      \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                    \
  do {                                                                        \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);           \
    check_count++;                                                            \
    if (check_a_ != check_b_) {                                               \
      check_failures++;                                                       \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,    \
              __LINE__, #a, #b, check_a_, check_b_);                          \
    }                                                                         \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                    \
  do {                                                                        \
    const char *check_a_ = (a), *check_b_ = (b);                              \
    check_count++;                                                            \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {          \
      check_failures++;                                                       \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, \
              __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",               \
              check_b_ ? check_b_ : "(null)");                                \
    }                                                                         \
  } while (0)

#define RUN(test)                                              \
  do {                                                         \
    int before_ = check_failures;                              \
    test();                                                    \
    printf("%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test); \
  } while (0)

#define CHECK_DONE()                                                     \
  (printf("%d checks, %d failed\n", check_count, check_failures),       \
   check_failures ? 1 : 0)

/* A fresh empty scratch folder for one test, under $ZM_TEST_TMP or /tmp. */
static inline const char *check_tmpdir(const char *name)
{
  static char path[4096];
  const char *base = getenv("ZM_TEST_TMP");
  char cmd[8400];
  snprintf(path, sizeof path, "%s/%s-%d", base && *base ? base : "/tmp", name, (int)getpid());
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot make scratch folder %s\n", path);
    exit(2);
  }
  return path;
}

#endif
