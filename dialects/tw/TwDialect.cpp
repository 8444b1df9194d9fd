//===- TwDialect.cpp - the tw payload dialect -----------------------------===//

#include "dialects/tw/TwDialect.h"

using namespace mlir;
using namespace mlir::tw;

#include "dialects/tw/TwDialect.cpp.inc"

void TwDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/tw/TwOps.cpp.inc"
      >();
}
