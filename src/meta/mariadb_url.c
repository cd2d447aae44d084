/* The MariaDB driver's URL: mysql://[user@]host[:port]/database, options
 * after '?' (socket, defaults-file, TLS), percent-decoding, and the refusal
 * of a password in it (it would be stored in the repository's config). */
#include "core/buf.h"
#include "core/error.h"
#include "meta/mariadb_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void zm__my_params_free(my_params *p)
{
  char **strs[] = {&p->user,       &p->host,    &p->db,         &p->socket,
                   &p->defaults_file, &p->ssl_key, &p->ssl_cert, &p->ssl_ca,
                   &p->ssl_capath, &p->ssl_cipher, &p->ssl_crl, &p->display};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    free(*strs[i]);
    *strs[i] = NULL;
  }
}

static int hexval(int c)
{
  return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* A percent-decoded copy of s[0..n). */
static char *decode(const char *s, size_t n)
{
  char *out = malloc(n + 1), *o = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
        isxdigit((unsigned char)s[i + 2])) {
      *o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
      i += 2;
    } else {
      *o++ = s[i];
    }
  }
  *o = '\0';
  return out;
}

/* The URL as an error may show it: a password in it (refused, but given)
 * becomes "****". */
static int bad_url(const char *url, const char *why)
{
  const char *auth = strstr(url, "://");
  auth = auth ? auth + 3 : url;
  size_t host_at = strcspn(auth, "/?");
  const char *at = memchr(auth, '@', host_at);
  const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
  if (colon)
    return zm_error_set(ZM_EINVALID, "malformed metadata URL '%.*s:****%s': %s",
                        (int)(colon - url), url, at, why);
  return zm_error_set(ZM_EINVALID, "malformed metadata URL '%s': %s", url, why);
}

static int flag_value(int *out, const char *v)
{
  if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes"))
    *out = 1;
  else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "no"))
    *out = 0;
  else
    return -1;
  return 0;
}

/* One `name=value` of the query string. */
static int parse_option(my_params *p, const char *url, const char *name, char *value)
{
  struct {
    const char *name;
    char **slot;
  } strs[] = {{"socket", &p->socket},   {"defaults-file", &p->defaults_file},
              {"ssl-key", &p->ssl_key}, {"ssl-cert", &p->ssl_cert},
              {"ssl-ca", &p->ssl_ca},   {"ssl-capath", &p->ssl_capath},
              {"ssl-cipher", &p->ssl_cipher}, {"ssl-crl", &p->ssl_crl}};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    if (strcmp(name, strs[i].name) == 0) {
      free(*strs[i].slot);
      *strs[i].slot = value;
      return 0;
    }
  int rc = -1;
  if (strcmp(name, "ssl") == 0)
    rc = flag_value(&p->ssl, value);
  else if (strcmp(name, "ssl-verify-server-cert") == 0)
    rc = flag_value(&p->ssl_verify, value);
  else {
    char why[320];
    snprintf(why, sizeof why, "unknown option '%.60s' (expected socket, defaults-file, ssl, "
                              "ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl or "
                              "ssl-verify-server-cert)", name);
    free(value);
    return bad_url(url, why);
  }
  free(value);
  return rc == 0 ? 0 : bad_url(url, "a yes/no option takes 1, 0, true, false, on or off");
}

static int parse_query(my_params *p, const char *url, const char *q)
{
  while (*q) {
    const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
    const char *eq = memchr(q, '=', (size_t)(end - q));
    if (!eq || eq == q)
      return bad_url(url, "an option is not name=value");
    char *name = decode(q, (size_t)(eq - q)), *value = decode(eq + 1, (size_t)(end - eq - 1));
    int rc = name && value ? parse_option(p, url, name, value) : zm_error_set(ZM_ENOMEM, "out of memory");
    if (!name || !value)
      free(value);
    free(name);
    if (rc < 0)
      return rc;
    q = amp ? amp + 1 : end;
  }
  return 0;
}

static int parse_port(unsigned *out, const char *url, const char *s, size_t n)
{
  unsigned long v = 0;
  if (n == 0 || n > 5)
    return bad_url(url, "the port is not a number from 1 to 65535");
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return bad_url(url, "the port is not a number from 1 to 65535");
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  if (v == 0 || v > 65535)
    return bad_url(url, "the port is not a number from 1 to 65535");
  *out = (unsigned)v;
  return 0;
}

/* host[:port], host may be [v6]. */
static int parse_host(my_params *p, const char *url, const char *s, size_t n)
{
  const char *colon = NULL;
  if (n && s[0] == '[') {
    const char *close = memchr(s, ']', n);
    if (!close)
      return bad_url(url, "an IPv6 address lacks its ']'");
    p->host = decode(s + 1, (size_t)(close - s - 1));
    if (close + 1 < s + n) {
      if (close[1] != ':')
        return bad_url(url, "unexpected text after the IPv6 address");
      colon = close + 1;
    }
  } else {
    colon = memchr(s, ':', n);
    p->host = decode(s, colon ? (size_t)(colon - s) : n);
  }
  if (!p->host)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  if (colon)
    return parse_port(&p->port, url, colon + 1, (size_t)(s + n - colon - 1));
  return 0;
}

static int build_display(my_params *p, const char *scheme)
{
  zm_buf b = ZM_BUF_INIT;
  int rc = zm_buf_printf(&b, "%s://", scheme);
  if (rc == 0 && p->user)
    rc = zm_buf_printf(&b, "%s@", p->user);
  if (rc == 0)
    rc = zm_buf_puts(&b, *p->host ? p->host : "localhost");
  if (rc == 0 && p->port)
    rc = zm_buf_printf(&b, ":%u", p->port);
  if (rc == 0)
    rc = zm_buf_printf(&b, "/%s", p->db);
  p->display = zm_buf_detach(&b);
  return rc;
}

/* mysql://[user@]host[:port]/db[?k=v&...]; a password in it is refused. */
int zm__my_parse_url(my_params *p, const char *url)
{
  memset(p, 0, sizeof *p);
  p->ssl = p->ssl_verify = -1;
  const char *sep = strstr(url, "://");
  if (!sep)
    return bad_url(url, "expected mysql://[user@]host[:port]/database");
  char scheme[16];
  snprintf(scheme, sizeof scheme, "%.*s", (int)(sep - url), url);
  const char *auth = sep + 3;
  const char *slash = strchr(auth, '/');
  const char *qmark = strchr(auth, '?');
  if (!slash || (qmark && qmark < slash))
    return bad_url(url, "no database (expected mysql://[user@]host[:port]/database)");
  const char *at = memchr(auth, '@', (size_t)(slash - auth));
  const char *hostpart = auth;
  if (at) {
    if (memchr(auth, ':', (size_t)(at - auth)))
      return bad_url(url, "a password does not belong in the URL (it would be stored in the "
                          "repository's config); set ZENML_MYSQL_PASSWORD or use an option file");
    if (at == auth)
      return bad_url(url, "an empty user name before '@'");
    if (!(p->user = decode(auth, (size_t)(at - auth))))
      return zm_error_set(ZM_ENOMEM, "out of memory");
    hostpart = at + 1;
  }
  int rc = parse_host(p, url, hostpart, (size_t)(slash - hostpart));
  if (rc < 0)
    return rc;
  const char *dbend = qmark ? qmark : slash + strlen(slash);
  if (dbend == slash + 1)
    return bad_url(url, "no database (expected mysql://[user@]host[:port]/database)");
  if (memchr(slash + 1, '/', (size_t)(dbend - slash - 1)))
    return bad_url(url, "a database name has no '/'");
  if (!(p->db = decode(slash + 1, (size_t)(dbend - slash - 1))))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  if (strlen(p->db) > 64)
    return bad_url(url, "a database name is at most 64 characters");
  if (qmark && (rc = parse_query(p, url, qmark + 1)) < 0)
    return rc;
  if (!*p->host && !p->socket)
    return bad_url(url, "no host (expected mysql://[user@]host[:port]/database)");
  return build_display(p, scheme);
}
