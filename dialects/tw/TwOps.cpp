//===- TwOps.cpp - tw payload ops: verifiers and interfaces ---------------===//

#include "dialects/tw/TwDialect.h"

using namespace mlir;
using namespace mlir::tw;

#define GET_OP_CLASSES
#include "dialects/tw/TwOps.cpp.inc"
