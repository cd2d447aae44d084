/* Unit tests for src/repo: throwaway git repositories built with the git
 * command, checked against what git itself prints. */
#include "check.h"
#include "core/error.h"
#include "core/fs.h"
#include "repo/repo.h"

#include <limits.h>
#include <stdarg.h>

static char dir[4096];

/* Run a shell command inside the scratch repository; returns its exit code. */
static int sh(const char *fmt, ...)
{
  char cmd[16384], line[8000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "cd '%s' && { %s; } >/dev/null 2>&1", dir, line);
  return system(cmd);
}

/* First line of a command's output, inside the scratch repository. */
static const char *sh_out(const char *fmt, ...)
{
  static char out[4096];
  char cmd[16384], line[8000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "cd '%s' && %s 2>/dev/null", dir, line);
  out[0] = '\0';
  FILE *p = popen(cmd, "r");
  if (p) {
    if (!fgets(out, sizeof out, p))
      out[0] = '\0';
    pclose(p);
  }
  out[strcspn(out, "\n")] = '\0';
  return out;
}

static void write_file(const char *name, const char *text)
{
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  CHECK_EQ_INT(zm_fs_write_atomic(path, text, strlen(text), 0644), 0);
}

static void git_env(void)
{
  setenv("GIT_AUTHOR_NAME", "zenml test", 1);
  setenv("GIT_AUTHOR_EMAIL", "test@zenml.invalid", 1);
  setenv("GIT_COMMITTER_NAME", "zenml test", 1);
  setenv("GIT_COMMITTER_EMAIL", "test@zenml.invalid", 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
}

static zm_repo *open_here(void)
{
  zm_repo *r = NULL;
  int rc = zm_repo_discover(&r, dir);
  if (rc != 0)
    fprintf(stderr, "discover: %s\n", zm_error_last());
  CHECK_EQ_INT(rc, 0);
  return r;
}

static void test_outside_git(void)
{
  zm_repo *r = (zm_repo *)1;
  CHECK_EQ_INT(zm_repo_discover(&r, dir), ZM_ENOTFOUND);
  CHECK(r == NULL);
  CHECK_EQ_STR(zm_error_last(), "not a git repository (or any parent): run 'git init' first");
  CHECK_EQ_INT(zm_repo_discover(&r, "/nonexistent/zenml"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "folder /nonexistent/zenml does not exist");
  zm_repo_free(NULL);
  zm_repo_paths_free(NULL);
}

static void test_no_commits(void)
{
  CHECK_EQ_INT(sh("git init -q -b trunk ."), 0);
  zm_repo *r = open_here();
  if (!r)
    return;
  char head[ZM_REPO_SHA_HEX + 1] = "x", *branch = NULL;
  CHECK_EQ_INT(zm_repo_head(head, r), 0);
  CHECK_EQ_STR(head, "");
  CHECK_EQ_INT(zm_repo_branch(&branch, r), 0);
  CHECK_EQ_STR(branch, "trunk");
  free(branch);
  int dirty = -1;
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 0);
  char sha[ZM_REPO_SHA_HEX + 1];
  CHECK_EQ_INT(zm_repo_blob_sha(sha, r, "a.txt"), ZM_ENOTFOUND);
  zm_repo_free(r);
}

static void test_commit_and_status(void)
{
  write_file("a.txt", "hello\n");
  write_file(".gitignore", "*.log\n");
  CHECK_EQ_INT(sh("git add a.txt .gitignore && git commit -q -m one"), 0);
  zm_repo *r = open_here();
  if (!r)
    return;
  char head[ZM_REPO_SHA_HEX + 1], *branch = NULL;
  CHECK_EQ_INT(zm_repo_head(head, r), 0);
  CHECK_EQ_STR(head, sh_out("git rev-parse HEAD"));
  CHECK_EQ_INT(zm_repo_branch(&branch, r), 0);
  CHECK_EQ_STR(branch, "trunk");
  free(branch);
  CHECK_EQ_STR(zm_repo_root(r), sh_out("pwd -P"));

  int dirty = -1;
  zm_repo_status st = ZM_REPO_IGNORED;
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 0);
  CHECK_EQ_INT(zm_repo_file_status(&st, r, "a.txt"), 0);
  CHECK_EQ_STR(zm_repo_status_name(st), "clean");

  write_file("run.log", "ignored\n");
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 0);
  CHECK_EQ_INT(zm_repo_file_status(&st, r, "run.log"), 0);
  CHECK_EQ_STR(zm_repo_status_name(st), "ignored");

  CHECK_EQ_INT(zm_repo_file_status(&st, r, "nope.txt"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "'nope.txt' is neither in the work tree nor in the git index");
  zm_repo_free(r);
}

static void test_dirty_kinds(void)
{
  zm_repo *r = open_here();
  if (!r)
    return;
  int dirty = 0;
  zm_repo_status st = ZM_REPO_CLEAN;
  zm_repo_paths *paths = NULL;

  write_file("a.txt", "hello, edited\n");
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 1);
  CHECK_EQ_INT(zm_repo_file_status(&st, r, "a.txt"), 0);
  CHECK_EQ_STR(zm_repo_status_name(st), "modified");
  CHECK_EQ_INT(sh("git add a.txt"), 0);
  CHECK_EQ_INT(zm_repo_file_status(&st, r, "a.txt"), 0);
  CHECK_EQ_STR(zm_repo_status_name(st), "staged");
  CHECK_EQ_INT(sh("git reset -q --hard"), 0);
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 0);

  CHECK_EQ_INT(sh("mkdir -p steps/sub"), 0);
  write_file("steps/sub/new.lua", "return 1\n");
  CHECK_EQ_INT(zm_repo_dirty(&dirty, r), 0);
  CHECK_EQ_INT(dirty, 1);
  CHECK_EQ_INT(zm_repo_file_status(&st, r, "steps/sub/new.lua"), 0);
  CHECK_EQ_STR(zm_repo_status_name(st), "untracked");
  CHECK_EQ_INT(zm_repo_dirty_paths(&paths, r), 0);
  CHECK(paths && paths->count == 1);
  if (paths && paths->count == 1)
    CHECK_EQ_STR(paths->paths[0], "steps/sub/new.lua");
  zm_repo_paths_free(paths);
  zm_repo_free(r);
}

static void test_discover_from_subfolder(void)
{
  char sub[8192];
  snprintf(sub, sizeof sub, "%s/steps/sub", dir);
  zm_repo *r = NULL;
  CHECK_EQ_INT(zm_repo_discover(&r, sub), 0);
  if (r)
    CHECK_EQ_STR(zm_repo_root(r), sh_out("pwd -P"));
  zm_repo_free(r);
  CHECK_EQ_INT(sh("rm -rf steps"), 0);
}

static void test_shas_and_bytes(void)
{
  zm_repo *r = open_here();
  if (!r)
    return;
  char sha[ZM_REPO_SHA_HEX + 1], wsha[ZM_REPO_SHA_HEX + 1], expect[128];
  CHECK_EQ_INT(zm_repo_blob_sha(sha, r, "a.txt"), 0);
  CHECK_EQ_STR(sha, sh_out("git rev-parse HEAD:a.txt"));
  CHECK_EQ_INT(zm_repo_workfile_sha(wsha, r, "a.txt"), 0);
  CHECK_EQ_STR(wsha, sha);
  CHECK_EQ_INT(zm_repo_hash_bytes(wsha, "hello\n", 6), 0);
  CHECK_EQ_STR(wsha, sha);

  char *old_commit = strdup(sh_out("git rev-parse HEAD"));
  write_file("a.txt", "second version\n");
  CHECK_EQ_INT(zm_repo_workfile_sha(wsha, r, "a.txt"), 0);
  CHECK_EQ_STR(wsha, sh_out("git hash-object a.txt"));
  CHECK(strcmp(wsha, sha) != 0);
  CHECK_EQ_INT(sh("git commit -q -am two"), 0);

  char *bytes = NULL;
  size_t len = 0;
  CHECK_EQ_INT(zm_repo_read_blob(&bytes, &len, r, sha), 0);
  CHECK_EQ_STR(bytes, "hello\n");
  CHECK_EQ_INT(len, 6);
  free(bytes);
  CHECK_EQ_INT(zm_repo_read_at(&bytes, &len, r, old_commit, "a.txt"), 0);
  CHECK_EQ_STR(bytes, "hello\n");
  free(bytes);
  CHECK_EQ_INT(zm_repo_read_at(&bytes, &len, r, "HEAD", "a.txt"), 0);
  CHECK_EQ_STR(bytes, "second version\n");
  free(bytes);
  free(old_commit);

  const char *missing = "0123456789abcdef0123456789abcdef01234567";
  CHECK_EQ_INT(zm_repo_read_blob(&bytes, &len, r, missing), ZM_ENOTFOUND);
  CHECK(bytes == NULL);
  snprintf(expect, sizeof expect, "git object %s not found in ", missing);
  CHECK(strncmp(zm_error_last(), expect, strlen(expect)) == 0);
  CHECK(strstr(zm_error_last(), zm_repo_root(r)) != NULL);
  CHECK_EQ_INT(zm_repo_read_blob(&bytes, &len, r, "xyz"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "'xyz' is not a git object id (40 hex digits)");
  CHECK_EQ_INT(zm_repo_read_at(&bytes, &len, r, "HEAD", "gone.txt"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "'gone.txt' is not in git commit HEAD");
  CHECK_EQ_INT(zm_repo_read_at(&bytes, &len, r, "no-such-branch", "a.txt"), ZM_ENOTFOUND);
  zm_repo_free(r);
}

static void test_detached_head(void)
{
  CHECK_EQ_INT(sh("git checkout -q --detach HEAD~1"), 0);
  zm_repo *r = open_here();
  if (!r)
    return;
  char *branch = (char *)"x";
  CHECK_EQ_INT(zm_repo_branch(&branch, r), 0);
  CHECK(branch == NULL);
  zm_repo_free(r);
}

static void test_bare_refused(void)
{
  char bare[8192];
  snprintf(bare, sizeof bare, "%s/../bare-%d.git", dir, (int)getpid());
  CHECK_EQ_INT(sh("git init -q --bare '%s'", bare), 0);
  zm_repo *r = NULL;
  CHECK_EQ_INT(zm_repo_discover(&r, bare), ZM_EINVALID);
  CHECK(strstr(zm_error_last(), "is a bare git repository: zenml needs a work tree") != NULL);
  sh("rm -rf '%s'", bare);
}

int main(void)
{
  git_env();
  snprintf(dir, sizeof dir, "%s", check_tmpdir("repo"));
  /* The scratch folder may sit inside zenml's own checkout: stop there. */
  char *base = realpath(dir, NULL);
  *strrchr(base, '/') = '\0';
  setenv("GIT_CEILING_DIRECTORIES", base, 1);
  free(base);
  RUN(test_outside_git);
  RUN(test_no_commits);
  RUN(test_commit_and_status);
  RUN(test_dirty_kinds);
  RUN(test_discover_from_subfolder);
  RUN(test_shas_and_bytes);
  RUN(test_detached_head);
  RUN(test_bare_refused);
  sh("cd / && rm -rf '%s'", dir);
  return CHECK_DONE();
}
