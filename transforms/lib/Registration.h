//===- Registration.h - everything the extension registers ------*- C++ -*-===//
//
// One entry point for every host of the extension: the mlir-opt plugin and
// the Python module register the same dialects, transform ops and passes.
//
//===----------------------------------------------------------------------===//

#ifndef TILEWRIGHT_TRANSFORMS_REGISTRATION_H
#define TILEWRIGHT_TRANSFORMS_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace tw {
/// The tw dialect and the transform.tw.* extension.
void registerDialects(DialectRegistry &registry);
/// The tw-* passes, into the global pass registry (once per process).
void registerPasses();
} // namespace tw
} // namespace mlir

#endif // TILEWRIGHT_TRANSFORMS_REGISTRATION_H
