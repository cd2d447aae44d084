/* XGBoost's C API, loaded on first use with dlopen: starting zenml (every
 * command, every worker) then does not pay for libxgboost and the C++
 * runtime it brings; only a step that trains or loads a booster does. */
#ifndef ZM_ML_XGB_API_H
#define ZM_ML_XGB_API_H

#include <xgboost/c_api.h>

#define ZM_XGB_FUNCS(X)                                                              \
  X(XGBGetLastError) X(XGBRegisterLogCallback) X(XGBoosterCreate) X(XGBoosterFree)   \
  X(XGBoosterLoadModelFromBuffer) X(XGBoosterPredictFromDMatrix)                      \
  X(XGBoosterSaveModelToBuffer) X(XGBoosterSetParam) X(XGBoosterUpdateOneIter)       \
  X(XGDMatrixCreateFromMat) X(XGDMatrixFree) X(XGDMatrixSetFloatInfo)

typedef struct zm_xgb_api {
#define ZM_XGB_FIELD(name) __typeof__(&name) name;
  ZM_XGB_FUNCS(ZM_XGB_FIELD)
#undef ZM_XGB_FIELD
} zm_xgb_api;

/* The loaded API; NULL (with the error set) when libxgboost cannot be loaded. */
const zm_xgb_api *zm_xgb_api_get(void);

#endif
