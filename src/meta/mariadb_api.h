/* MariaDB Connector/C (libmariadb), loaded on first use with dlopen: only a
 * repository whose metadata lives on a MariaDB or MySQL server needs it, and
 * linking it would make every zenml process load it (and OpenSSL's TLS
 * stack) at start-up. */
#ifndef ZM_META_MARIADB_API_H
#define ZM_META_MARIADB_API_H

#include <mysql.h>

#define ZM_MY_FUNCS(X)          \
  X(mysql_server_init)          \
  X(mysql_init)                 \
  X(mysql_options)              \
  X(mysql_real_connect)         \
  X(mysql_close)                \
  X(mysql_errno)                \
  X(mysql_error)                \
  X(mysql_real_query)           \
  X(mysql_send_query)           \
  X(mysql_read_query_result)    \
  X(mysql_real_escape_string)   \
  X(mysql_store_result)         \
  X(mysql_free_result)          \
  X(mysql_fetch_row)            \
  X(mysql_num_fields)           \
  X(mysql_fetch_fields)         \
  X(mysql_field_count)          \
  X(mysql_get_server_info)      \
  X(mysql_stmt_init)            \
  X(mysql_stmt_prepare)         \
  X(mysql_stmt_attr_set)        \
  X(mariadb_stmt_execute_direct) \
  X(mysql_stmt_param_count)     \
  X(mysql_stmt_field_count)     \
  X(mysql_stmt_bind_param)      \
  X(mysql_stmt_bind_result)     \
  X(mysql_stmt_execute)         \
  X(mysql_stmt_store_result)    \
  X(mysql_stmt_result_metadata) \
  X(mysql_stmt_fetch)           \
  X(mysql_stmt_fetch_column)    \
  X(mysql_stmt_free_result)     \
  X(mysql_stmt_reset)           \
  X(mysql_stmt_close)           \
  X(mysql_stmt_errno)           \
  X(mysql_stmt_error)           \
  X(mysql_stmt_insert_id)

typedef struct zm_my_api {
#define ZM_MY_FIELD(name) __typeof__(&name) name;
  ZM_MY_FUNCS(ZM_MY_FIELD)
#undef ZM_MY_FIELD
} zm_my_api;

/* Load libmariadb once; 0, or an error saying it is not available. */
int zm_my_load(void);

/* The loaded API (call zm_my_load first). */
const zm_my_api *zm_my(void);

#endif
