/* The zenml host: what main.c and the REPL share. */
#ifndef ZM_HOST_H
#define ZM_HOST_H

#include <lua.h>

/* Print an error message from the stack top to stderr and pop it. */
void zm_host_report(lua_State *L);

/* Run the function on the stack top (with nargs arguments above it) through
 * the protected-call wrapper, with Ctrl-C interrupting it. Returns the status;
 * the message is reported and popped on error. */
int zm_host_docall(lua_State *L, int nargs, int nresults);

/* Set the global `zenml` to require("zenml"); reports and returns non-zero on failure. */
int zm_host_preload(lua_State *L);

/* The interactive loop: returns the process exit status. */
int zm_repl_run(lua_State *L);

#endif
