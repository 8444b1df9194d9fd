//===- TwDialect.h - the tw payload dialect ---------------------*- C++ -*-===//

#ifndef TILEWRIGHT_DIALECT_TW_TWDIALECT_H
#define TILEWRIGHT_DIALECT_TW_TWDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "dialects/tw/TwDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/tw/TwOps.h.inc"

#endif // TILEWRIGHT_DIALECT_TW_TWDIALECT_H
