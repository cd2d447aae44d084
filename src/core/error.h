/* Error reporting for the C core, after libgit2: functions return 0 or a
 * negative ZM_E* code and leave a message in a thread-local slot. */
#ifndef ZM_CORE_ERROR_H
#define ZM_CORE_ERROR_H

enum {
  ZM_OK = 0,
  ZM_ERROR = -1,     /* generic failure; the message says what */
  ZM_ENOTFOUND = -3, /* the thing asked for does not exist */
  ZM_EEXISTS = -4,   /* the thing to create exists already */
  ZM_EINVALID = -5,  /* malformed input from the caller or a file */
  ZM_EIO = -6,       /* the operating system refused a read or write */
  ZM_ENOMEM = -7,    /* out of memory */
  ZM_EVERSION = -8,  /* a file or database from an unsupported version */
  ZM_EINTR = -9,     /* interrupted by the user */
};

/* Set the thread's last error message (printf-style) and return code. */
int zm_error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like zm_error_set, appending ": strerror(errno)" for the current errno. */
int zm_error_sys(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the current message with "context: ", keeping the code. */
int zm_error_wrap(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The thread's last error message, or "no error" when there is none. */
const char *zm_error_last(void);

/* Forget the thread's last error. */
void zm_error_clear(void);

#endif
