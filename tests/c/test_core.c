/* Unit tests for src/core: errors, buffers, file helpers. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/shardlog.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>

static void test_error_message_and_code(void)
{
  zm_error_clear();
  CHECK_EQ_STR(zm_error_last(), "no error");
  CHECK_EQ_INT(zm_error_set(ZM_EINVALID, "bad %s at %d", "row", 7), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "bad row at 7");
  zm_error_wrap(ZM_EINVALID, "data.csv");
  CHECK_EQ_STR(zm_error_last(), "data.csv: bad row at 7");
  errno = ENOENT;
  zm_error_sys(ZM_EIO, "cannot open %s", "x");
  CHECK_EQ_STR(zm_error_last(), "cannot open x: No such file or directory");
}

static void *other_thread(void *arg)
{
  (void)arg;
  zm_error_set(ZM_ERROR, "from the other thread");
  return NULL;
}

static void test_error_is_thread_local(void)
{
  zm_error_set(ZM_ERROR, "mine");
  pthread_t t;
  pthread_create(&t, NULL, other_thread, NULL);
  pthread_join(t, NULL);
  CHECK_EQ_STR(zm_error_last(), "mine");
}

static void test_buf(void)
{
  zm_buf b = ZM_BUF_INIT;
  for (int i = 0; i < 1000; i++)
    zm_buf_printf(&b, "%d,", i);
  CHECK(b.len > 1000);
  CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
  zm_buf_puts(&b, "end");
  CHECK_EQ_INT(b.data[b.len], 0);
  char *s = zm_buf_detach(&b);
  CHECK(b.data == NULL && b.len == 0);
  CHECK(strstr(s, "999,end") != NULL);
  free(s);
  zm_buf_free(&b);
  zm_buf_free(NULL);
}

static void test_fs_atomic_write_and_read(void)
{
  const char *dir = check_tmpdir("core-fs");
  char sub[4200], file[4300];
  snprintf(sub, sizeof sub, "%s/a/b/c", dir);
  CHECK_EQ_INT(zm_fs_mkdir_p(sub), 0);
  CHECK_EQ_INT(zm_fs_mkdir_p(sub), 0);
  snprintf(file, sizeof file, "%s/x.yaml", sub);
  CHECK_EQ_INT(zm_fs_write_atomic(file, "hello\n", 6, 0444), 0);
  struct stat st;
  CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0444);
  char *data = NULL;
  size_t len = 0;
  CHECK_EQ_INT(zm_fs_read(&data, &len, file), 0);
  CHECK_EQ_INT(len, 6);
  CHECK_EQ_STR(data, "hello\n");
  free(data);
  CHECK_EQ_INT(zm_fs_read(&data, &len, "/nonexistent/zz"), ZM_ENOTFOUND);
  CHECK(strstr(zm_error_last(), "cannot open /nonexistent/zz") != NULL);
  CHECK(zm_fs_exists(file));
}

static void test_log_sink(void)
{
  FILE *f = tmpfile();
  zm_log_set_sink(f);
  zm_log("rows %d", 42);
  zm_log("%s", "done");
  zm_log_set_sink(NULL);
  rewind(f);
  char buf[64] = "";
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  CHECK_EQ_STR(buf, "rows 42\ndone\n");
  fclose(f);
}

typedef struct shard_job {
  zm_shardlog *log;
  int seq;
} shard_job;

static void *shard_worker(void *arg)
{
  shard_job *job = arg;
  zm_shard_timer t;
  zm_shard_timer_start(&t, job->log, "kern", &job->seq);
  t.items = 2;
  zm_shard_timer_stop(&t);
  return NULL;
}

/* Each worker of a kernel call adds its line; a second call adds to the
 * same workers' lines; without a log nothing is kept. */
static void test_shardlog(void)
{
  zm_shardlog_line *lines;
  size_t n;
  zm_shardlog_close(&lines, &n);
  CHECK(lines == NULL);
  CHECK_EQ_INT(n, 0);
  shard_job none = {zm_shardlog_current(), 0};
  CHECK(none.log == NULL);
  shard_worker(&none);
  CHECK_EQ_INT(zm_shardlog_open(), 0);
  for (int call = 0; call < 2; call++) {
    shard_job job = {zm_shardlog_current(), 0};
    pthread_t tid[2];
    for (int i = 0; i < 2; i++)
      CHECK_EQ_INT(pthread_create(&tid[i], NULL, shard_worker, &job), 0);
    shard_worker(&job);
    for (int i = 0; i < 2; i++)
      pthread_join(tid[i], NULL);
    CHECK_EQ_INT(job.seq, 3);
  }
  zm_shardlog_close(&lines, &n);
  CHECK_EQ_INT(n, 3);
  int seen = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK(strcmp(lines[i].kernel, "kern") == 0);
    CHECK_EQ_INT(lines[i].items, 4);
    CHECK(lines[i].seconds >= 0);
    CHECK(lines[i].worker >= 1 && lines[i].worker <= 3);
    seen |= 1 << lines[i].worker;
  }
  CHECK_EQ_INT(seen, 14);
  free(lines);
  CHECK(zm_shardlog_current() == NULL);
}

int main(void)
{
  RUN(test_log_sink);
  RUN(test_error_message_and_code);
  RUN(test_error_is_thread_local);
  RUN(test_buf);
  RUN(test_fs_atomic_write_and_read);
  RUN(test_shardlog);
  return CHECK_DONE();
}
