//===- TwOps.td - tw payload ops ----------------------------*- tablegen -*-===//

#ifndef TILEWRIGHT_DIALECT_TW_OPS
#define TILEWRIGHT_DIALECT_TW_OPS

include "dialects/tw/TwBase.td"

// The attention ops are added here (ODS beside their C++ in TwOps.cpp).

#endif // TILEWRIGHT_DIALECT_TW_OPS
