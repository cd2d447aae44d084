/* Crash points for the fault tests (tests/fault/), after SQLite's crash
 * tests: with ZENML_FAULT=<point>:<n> in the environment, the process kills
 * itself with SIGKILL the n-th time it passes the named point, as a power
 * cut or `kill -9` would stop it there. Without the variable a point costs
 * one load of a cached flag. */
#ifndef ZM_CORE_FAULT_H
#define ZM_CORE_FAULT_H

/* Pass the crash point `point` (a short dotted name such as "store.rename"). */
void zm_fault(const char *point);

/* The crash points the code has, for the tests that walk them all: a
 * NULL-terminated list of names. */
extern const char *const zm_fault_points[];

#endif
