/* DAG checks (indices, self edges, cycles named in full), the reverse edges
 * the scheduler walks, and its ready queue. */
#include "exec/internal.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *name_of(const zm_exec_dag *dag, size_t i)
{
  const char *s = dag->nodes[i].name;
  return s ? s : "?";
}

static int check_edges(const zm_exec_dag *dag)
{
  for (size_t i = 0; i < dag->n; i++) {
    const zm_exec_node *nd = &dag->nodes[i];
    if (nd->ndeps && !nd->deps)
      return zm_error_set(ZM_EINVALID, "node '%s' has %zu dependencies but no list",
                          name_of(dag, i), nd->ndeps);
    for (size_t k = 0; k < nd->ndeps; k++) {
      if (nd->deps[k] >= dag->n)
        return zm_error_set(ZM_EINVALID, "node '%s': dependency %zu is out of range (%zu nodes)",
                            name_of(dag, i), nd->deps[k], dag->n);
      if (nd->deps[k] == i)
        return zm_error_set(ZM_EINVALID, "node '%s' depends on itself", name_of(dag, i));
    }
  }
  return 0;
}

int exec_adj_build(exec_adj *out, const zm_exec_dag *dag)
{
  size_t nedges = 0;
  for (size_t i = 0; i < dag->n; i++)
    nedges += dag->nodes[i].ndeps;
  out->off = calloc(dag->n + 1, sizeof *out->off);
  out->edges = malloc((nedges ? nedges : 1) * sizeof *out->edges);
  if (!out->off || !out->edges) {
    exec_adj_free(out);
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu edges", nedges);
  }
  for (size_t i = 0; i < dag->n; i++)
    for (size_t k = 0; k < dag->nodes[i].ndeps; k++)
      out->off[dag->nodes[i].deps[k] + 1]++;
  for (size_t i = 0; i < dag->n; i++)
    out->off[i + 1] += out->off[i];
  /* Fill in node order so each list comes out sorted: the ready order, and
   * so which downstream node is named first, stays deterministic. */
  size_t *fill = out->edges;
  for (size_t i = 0; i < dag->n; i++)
    for (size_t k = 0; k < dag->nodes[i].ndeps; k++) {
      size_t d = dag->nodes[i].deps[k];
      fill[out->off[d]++] = i;
    }
  for (size_t i = dag->n; i > 0; i--)
    out->off[i] = out->off[i - 1];
  out->off[0] = 0;
  return 0;
}

void exec_adj_free(exec_adj *adj)
{
  free(adj->off);
  free(adj->edges);
  adj->off = NULL;
  adj->edges = NULL;
}

/* Kahn's algorithm; leaves indeg[i] > 0 exactly on the nodes that sit on or
 * behind a cycle. Returns how many nodes it could order. */
static size_t kahn(size_t *indeg, size_t *queue, const zm_exec_dag *dag, const exec_adj *adj)
{
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < dag->n; i++) {
    indeg[i] = dag->nodes[i].ndeps;
    if (!indeg[i])
      queue[tail++] = i;
  }
  while (head < tail) {
    size_t x = queue[head++];
    for (size_t e = adj->off[x]; e < adj->off[x + 1]; e++)
      if (--indeg[adj->edges[e]] == 0)
        queue[tail++] = adj->edges[e];
  }
  return tail;
}

/* Every unordered node waits on another unordered one, so following those
 * edges from any of them must come back round: that loop is the cycle. */
static int report_cycle(const zm_exec_dag *dag, const size_t *indeg, size_t *seen_at, size_t *path)
{
  size_t start = 0, len = 0;
  while (!indeg[start])
    start++;
  for (size_t i = 0; i < dag->n; i++)
    seen_at[i] = (size_t)-1;
  size_t cur = start;
  while (seen_at[cur] == (size_t)-1) {
    seen_at[cur] = len;
    path[len++] = cur;
    const zm_exec_node *nd = &dag->nodes[cur];
    size_t k = 0;
    while (!indeg[nd->deps[k]])
      k++;
    cur = nd->deps[k];
  }
  /* path[seen_at[cur]..len) walks against the flow; print it with the flow,
   * starting at the lowest index so the message is stable. */
  size_t first = seen_at[cur], lo = len - 1;
  for (size_t i = first; i < len; i++)
    if (path[i] < path[lo])
      lo = i;
  zm_buf b = ZM_BUF_INIT;
  zm_buf_puts(&b, "cycle: ");
  for (size_t step = 0, i = lo; step <= len - first; step++) {
    zm_buf_printf(&b, "%s%s", step ? " -> " : "", name_of(dag, path[i]));
    i = i == first ? len - 1 : i - 1;
  }
  int rc = zm_error_set(ZM_EINVALID, "%s", b.data ? b.data : "cycle");
  zm_buf_free(&b);
  return rc;
}

int zm_exec_dag_check(const zm_exec_dag *dag)
{
  if (!dag || (dag->n && !dag->nodes))
    return zm_error_set(ZM_EINVALID, "no DAG given");
  int rc = check_edges(dag);
  if (rc)
    return rc;
  exec_adj adj = {NULL, NULL};
  size_t *scratch = malloc((3 * dag->n + 1) * sizeof *scratch);
  if (!scratch)
    return zm_error_set(ZM_ENOMEM, "out of memory checking %zu nodes", dag->n);
  rc = exec_adj_build(&adj, dag);
  if (rc)
    goto done;
  size_t *indeg = scratch, *queue = scratch + dag->n, *path = scratch + 2 * dag->n;
  if (kahn(indeg, queue, dag, &adj) < dag->n)
    rc = report_cycle(dag, indeg, queue, path);
done:
  exec_adj_free(&adj);
  free(scratch);
  return rc;
}

void exec_heap_push(exec_heap *h, size_t x)
{
  size_t i = h->n++;
  while (i > 0 && h->v[(i - 1) / 2] > x) {
    h->v[i] = h->v[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h->v[i] = x;
}

size_t exec_heap_pop(exec_heap *h)
{
  size_t top = h->v[0], last = h->v[--h->n], i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n)
      break;
    if (c + 1 < h->n && h->v[c + 1] < h->v[c])
      c++;
    if (h->v[c] >= last)
      break;
    h->v[i] = h->v[c];
    i = c;
  }
  h->v[i] = last;
  return top;
}

double exec_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int zm_exec_ncores(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}
