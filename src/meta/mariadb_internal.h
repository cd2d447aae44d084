/* What the files of the MariaDB driver share: its parsed URL. */
#ifndef ZM_META_MARIADB_INTERNAL_H
#define ZM_META_MARIADB_INTERNAL_H

typedef struct my_params {
  char *user, *host, *db, *socket, *defaults_file;
  unsigned port;
  char *ssl_key, *ssl_cert, *ssl_ca, *ssl_capath, *ssl_cipher, *ssl_crl;
  int ssl, ssl_verify; /* -1 unset, 0 off, 1 on */
  char *display;       /* scheme://user@host:port/db, how errors name the server */
} my_params;

/* Parse mysql://[user@]host[:port]/db[?name=value&...] into `p` (zeroed
 * first); a password in the URL is refused. Free with zm__my_params_free. */
int zm__my_parse_url(my_params *p, const char *url);

/* Free what zm__my_parse_url allocated (the struct itself is the caller's). */
void zm__my_params_free(my_params *p);

#endif
