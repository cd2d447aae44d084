/* The artifact store's userdata, for the bindings of other subsystems. */
#ifndef ZM_BIND_STORE_H
#define ZM_BIND_STORE_H

#include "store/store.h"

#include <lua.h>

/* The open store userdata at idx (zenml._core.store); raises if it is not
 * one or was closed. */
zm_store *zm_bind_store_check(lua_State *L, int idx);

#endif
