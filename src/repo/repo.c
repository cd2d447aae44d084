#include "repo/repo.h"
#include "core/error.h"
#include "core/fs.h"

#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zm_repo {
  git_repository *git;
  char *root;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libgit2(void)
{
  git_libgit2_init();
}

static void *warm_up(void *unused)
{
  (void)unused;
  pthread_once(&init_once, init_libgit2);
  return NULL;
}

static int warm_up_started;
static int warm_up_running; /* the thread was created and is not joined yet */
static pthread_t warm_up_thread;
static pthread_mutex_t warm_up_lock = PTHREAD_MUTEX_INITIALIZER;

void zm_repo_warm_up(void)
{
  /* libgit2's start-up loads the system's TLS certificates (~5 ms): do it
   * beside whatever the caller does next; a discover meanwhile waits in
   * pthread_once. Without a thread, the first discover does it. */
  if (__atomic_exchange_n(&warm_up_started, 1, __ATOMIC_ACQ_REL))
    return;
  pthread_mutex_lock(&warm_up_lock);
  warm_up_running = pthread_create(&warm_up_thread, NULL, warm_up, NULL) == 0;
  pthread_mutex_unlock(&warm_up_lock);
}

void zm_repo_warm_up_wait(void)
{
  /* Joined, not just waited for: the thread's exit also frees what OpenSSL
   * kept for it, which a leak checker at exit would otherwise report. */
  pthread_mutex_lock(&warm_up_lock);
  if (warm_up_running)
    pthread_join(warm_up_thread, NULL);
  warm_up_running = 0;
  pthread_mutex_unlock(&warm_up_lock);
}

/* Turn libgit2's last error into ours, with `what` as context. */
static int git_fail(int code, const char *what)
{
  const git_error *e = git_error_last();
  return zm_error_set(code, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

static int open_found(zm_repo **out, const char *gitdir)
{
  git_repository *git = NULL;
  if (git_repository_open(&git, gitdir) != 0)
    return git_fail(ZM_EIO, "cannot open git repository");
  if (git_repository_is_bare(git)) {
    int rc = zm_error_set(ZM_EINVALID,
                          "%s is a bare git repository: zenml needs a work tree (clone it)",
                          git_repository_path(git));
    git_repository_free(git);
    return rc;
  }
  zm_repo *r = calloc(1, sizeof *r);
  char *root = strdup(git_repository_workdir(git));
  if (!r || !root) {
    free(r);
    free(root);
    git_repository_free(git);
    return zm_error_set(ZM_ENOMEM, "out of memory opening git repository");
  }
  size_t n = strlen(root);
  if (n > 1 && root[n - 1] == '/')
    root[n - 1] = '\0';
  r->git = git;
  r->root = root;
  *out = r;
  return 0;
}

int zm_repo_discover(zm_repo **out, const char *start_folder)
{
  *out = NULL;
  pthread_once(&init_once, init_libgit2);
  if (!zm_fs_exists(start_folder))
    return zm_error_set(ZM_ENOTFOUND, "folder %s does not exist", start_folder);
  git_buf found = {0};
  /* git itself stops at GIT_CEILING_DIRECTORIES; so do we. */
  const char *ceiling = getenv("GIT_CEILING_DIRECTORIES");
  int err = git_repository_discover(&found, start_folder, 0, ceiling);
  if (err == GIT_ENOTFOUND)
    return zm_error_set(ZM_ENOTFOUND, "not a git repository (or any parent): run 'git init' first");
  if (err != 0)
    return git_fail(ZM_EIO, "cannot look for a git repository");
  int rc = open_found(out, found.ptr);
  git_buf_dispose(&found);
  return rc;
}

void zm_repo_free(zm_repo *repo)
{
  if (!repo)
    return;
  git_repository_free(repo->git);
  free(repo->root);
  free(repo);
}

const char *zm_repo_root(const zm_repo *repo)
{
  return repo->root;
}

int zm_repo_head(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo)
{
  git_oid oid;
  out[0] = '\0';
  int err = git_reference_name_to_id(&oid, repo->git, "HEAD");
  if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH)
    return 0;
  if (err != 0)
    return git_fail(ZM_EIO, "cannot resolve HEAD");
  git_oid_tostr(out, ZM_REPO_SHA_HEX + 1, &oid);
  return 0;
}

int zm_repo_branch(char **out, zm_repo *repo)
{
  *out = NULL;
  git_reference *head = NULL;
  if (git_reference_lookup(&head, repo->git, "HEAD") != 0)
    return git_fail(ZM_EIO, "cannot read HEAD");
  int rc = 0;
  const char *target = git_reference_symbolic_target(head);
  if (target) { /* NULL target means detached */
    const char *prefix = "refs/heads/";
    if (strncmp(target, prefix, strlen(prefix)) == 0)
      target += strlen(prefix);
    *out = strdup(target);
    if (!*out)
      rc = zm_error_set(ZM_ENOMEM, "out of memory reading the branch name");
  }
  git_reference_free(head);
  return rc;
}

static void status_options(git_status_options *o, int expand_folders)
{
  git_status_options_init(o, GIT_STATUS_OPTIONS_VERSION);
  o->show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  o->flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX;
  if (expand_folders)
    o->flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
}

/* Stops the walk at the first entry: one is enough to be dirty. */
static int stop_at_first(const char *path, unsigned int flags, void *payload)
{
  (void)path;
  if (flags == GIT_STATUS_CURRENT || (flags & GIT_STATUS_IGNORED))
    return 0;
  *(int *)payload = 1;
  return 1;
}

int zm_repo_dirty(int *out, zm_repo *repo)
{
  git_status_options o;
  status_options(&o, 0);
  *out = 0;
  int err = git_status_foreach_ext(repo->git, &o, stop_at_first, out);
  if (err != 0 && err != 1)
    return git_fail(ZM_EIO, "cannot read git status");
  return 0;
}

void zm_repo_paths_free(zm_repo_paths *paths)
{
  if (!paths)
    return;
  for (size_t i = 0; i < paths->count; i++)
    free(paths->paths[i]);
  free(paths->paths);
  free(paths);
}

static const char *entry_path(const git_status_entry *e)
{
  const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
  return d->new_file.path ? d->new_file.path : d->old_file.path;
}

static int collect_paths(zm_repo_paths *p, git_status_list *list)
{
  size_t n = git_status_list_entrycount(list);
  p->paths = calloc(n ? n : 1, sizeof *p->paths);
  if (!p->paths)
    return zm_error_set(ZM_ENOMEM, "out of memory listing dirty files");
  for (size_t i = 0; i < n; i++) {
    const git_status_entry *e = git_status_byindex(list, i);
    if (e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
      continue;
    p->paths[p->count] = strdup(entry_path(e));
    if (!p->paths[p->count])
      return zm_error_set(ZM_ENOMEM, "out of memory listing dirty files");
    p->count++;
  }
  return 0;
}

int zm_repo_dirty_paths(zm_repo_paths **out, zm_repo *repo)
{
  *out = NULL;
  git_status_options o;
  status_options(&o, 1);
  git_status_list *list = NULL;
  if (git_status_list_new(&list, repo->git, &o) != 0)
    return git_fail(ZM_EIO, "cannot read git status");
  int rc = 0;
  zm_repo_paths *p = calloc(1, sizeof *p);
  if (!p) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory listing dirty files");
    goto done;
  }
  rc = collect_paths(p, list);
  if (rc == 0) {
    *out = p;
    p = NULL;
  }
done:
  zm_repo_paths_free(p);
  git_status_list_free(list);
  return rc;
}

static zm_repo_status status_from_flags(unsigned int f)
{
  const unsigned int worktree = GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_DELETED |
                                GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_WT_RENAMED |
                                GIT_STATUS_CONFLICTED;
  const unsigned int index = GIT_STATUS_INDEX_NEW | GIT_STATUS_INDEX_MODIFIED |
                             GIT_STATUS_INDEX_DELETED | GIT_STATUS_INDEX_RENAMED |
                             GIT_STATUS_INDEX_TYPECHANGE;
  if (f & GIT_STATUS_IGNORED)
    return ZM_REPO_IGNORED;
  if (f & worktree)
    return ZM_REPO_MODIFIED;
  if (f & index)
    return ZM_REPO_STAGED;
  if (f & GIT_STATUS_WT_NEW)
    return ZM_REPO_UNTRACKED;
  return ZM_REPO_CLEAN;
}

int zm_repo_file_status(zm_repo_status *out, zm_repo *repo, const char *path)
{
  unsigned int flags = 0;
  int err = git_status_file(&flags, repo->git, path);
  if (err == GIT_ENOTFOUND)
    return zm_error_set(ZM_ENOTFOUND, "'%s' is neither in the work tree nor in the git index",
                        path);
  if (err != 0)
    return git_fail(ZM_EIO, "cannot read git status");
  *out = status_from_flags(flags);
  return 0;
}

const char *zm_repo_status_name(zm_repo_status status)
{
  static const char *names[] = {"clean", "modified", "staged", "untracked", "ignored"};
  return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "unknown";
}

/* HEAD's tree, or ZM_ENOTFOUND when there are no commits. */
static int head_tree(git_tree **out, zm_repo *repo)
{
  git_object *obj = NULL;
  int err = git_revparse_single(&obj, repo->git, "HEAD^{tree}");
  if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH)
    return zm_error_set(ZM_ENOTFOUND, "the git repository %s has no commits yet", repo->root);
  if (err != 0)
    return git_fail(ZM_EIO, "cannot read HEAD's tree");
  *out = (git_tree *)obj;
  return 0;
}

/* The blob entry for `path` in `tree`; ZM_ENOTFOUND names `where`. */
static int tree_blob(git_tree_entry **out, git_tree *tree, const char *path, const char *where)
{
  int err = git_tree_entry_bypath(out, tree, path);
  if (err == GIT_ENOTFOUND)
    return zm_error_set(ZM_ENOTFOUND, "'%s' is not in %s", path, where);
  if (err != 0)
    return git_fail(ZM_EIO, "cannot look up a path in git");
  if (git_tree_entry_type(*out) != GIT_OBJECT_BLOB) {
    git_tree_entry_free(*out);
    *out = NULL;
    return zm_error_set(ZM_EINVALID, "'%s' is not a file in %s", path, where);
  }
  return 0;
}

int zm_repo_blob_sha(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo, const char *path)
{
  git_tree *tree = NULL;
  git_tree_entry *entry = NULL;
  out[0] = '\0';
  int rc = head_tree(&tree, repo);
  if (rc == 0)
    rc = tree_blob(&entry, tree, path, "HEAD");
  if (rc == 0)
    git_oid_tostr(out, ZM_REPO_SHA_HEX + 1, git_tree_entry_id(entry));
  git_tree_entry_free(entry);
  git_tree_free(tree);
  return rc;
}

int zm_repo_workfile_sha(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo, const char *path)
{
  git_oid oid;
  out[0] = '\0';
  if (git_repository_hashfile(&oid, repo->git, path, GIT_OBJECT_BLOB, NULL) != 0) {
    const git_error *e = git_error_last();
    return zm_error_set(ZM_ENOTFOUND, "cannot hash %s: %s", path,
                        e && e->message ? e->message : "unknown git error");
  }
  git_oid_tostr(out, ZM_REPO_SHA_HEX + 1, &oid);
  return 0;
}

int zm_repo_hash_bytes(char out[ZM_REPO_SHA_HEX + 1], const void *data, size_t len)
{
  git_oid oid;
  pthread_once(&init_once, init_libgit2);
  if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) != 0)
    return git_fail(ZM_ERROR, "cannot hash bytes");
  git_oid_tostr(out, ZM_REPO_SHA_HEX + 1, &oid);
  return 0;
}

static int copy_blob(char **out, size_t *out_len, git_blob *blob)
{
  size_t n = (size_t)git_blob_rawsize(blob);
  char *p = malloc(n + 1);
  if (!p)
    return zm_error_set(ZM_ENOMEM, "out of memory reading a git blob");
  memcpy(p, git_blob_rawcontent(blob), n);
  p[n] = '\0';
  *out = p;
  if (out_len)
    *out_len = n;
  return 0;
}

int zm_repo_read_blob(char **out, size_t *out_len, zm_repo *repo, const char *sha)
{
  *out = NULL;
  git_oid oid;
  git_blob *blob = NULL;
  if (strlen(sha) != ZM_REPO_SHA_HEX || git_oid_fromstr(&oid, sha) != 0)
    return zm_error_set(ZM_EINVALID, "'%s' is not a git object id (40 hex digits)", sha);
  int err = git_blob_lookup(&blob, repo->git, &oid);
  if (err == GIT_ENOTFOUND)
    return zm_error_set(ZM_ENOTFOUND, "git object %s not found in %s", sha, repo->root);
  if (err != 0)
    return git_fail(ZM_EIO, "cannot read a git blob");
  int rc = copy_blob(out, out_len, blob);
  git_blob_free(blob);
  return rc;
}

static int commit_tree(git_tree **out, zm_repo *repo, const char *commit)
{
  git_object *obj = NULL;
  int err = git_revparse_single(&obj, repo->git, commit);
  if (err == GIT_ENOTFOUND || err == GIT_EAMBIGUOUS || err == GIT_EINVALIDSPEC)
    return zm_error_set(ZM_ENOTFOUND, "git commit %s not found in %s", commit, repo->root);
  if (err != 0)
    return git_fail(ZM_EIO, "cannot resolve a git revision");
  err = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
  git_object_free(obj);
  if (err != 0)
    return zm_error_set(ZM_EINVALID, "'%s' does not name a git commit in %s", commit, repo->root);
  return 0;
}

int zm_repo_read_at(char **out, size_t *out_len, zm_repo *repo, const char *commit,
                    const char *path)
{
  git_tree *tree = NULL;
  git_tree_entry *entry = NULL;
  git_blob *blob = NULL;
  char where[300];
  *out = NULL;
  int rc = commit_tree(&tree, repo, commit);
  if (rc != 0)
    goto done;
  snprintf(where, sizeof where, "git commit %s", commit);
  rc = tree_blob(&entry, tree, path, where);
  if (rc != 0)
    goto done;
  if (git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry)) != 0) {
    rc = git_fail(ZM_EIO, "cannot read a git blob");
    goto done;
  }
  rc = copy_blob(out, out_len, blob);
done:
  git_blob_free(blob);
  git_tree_entry_free(entry);
  git_tree_free(tree);
  return rc;
}
