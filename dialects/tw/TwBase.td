//===- TwBase.td - the tw payload dialect -------------------*- tablegen -*-===//
//
// `tw` holds the payload ops upstream MLIR lacks: the fused attention op and
// its online (flash) form. They implement TilingInterface so upstream's tiling
// transforms and the project's `transform.tw.*` ops schedule them like linalg.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_DIALECT_TW_BASE
#define TILEWRIGHT_DIALECT_TW_BASE

include "mlir/IR/OpBase.td"

def Tw_Dialect : Dialect {
  let name = "tw";
  let cppNamespace = "::mlir::tw";
  let summary = "tilewright's payload ops: fused attention and its online form";
  let description = [{
    Ops that raise a pattern JAX exports (e.g. scaled dot-product attention)
    into one op with TilingInterface, so a schedule can tile it as a unit and
    later decompose it back to linalg for vectorization.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

class Tw_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tw_Dialect, mnemonic, traits>;

#endif // TILEWRIGHT_DIALECT_TW_BASE
