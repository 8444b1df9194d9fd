//===- TwPlugin.cpp - the extension as an mlir-opt plugin -----------------===//
//
// `mlir-opt --load-dialect-plugin=libTilewrightPlugin.so
//  --load-pass-plugin=libTilewrightPlugin.so` gives stock mlir-opt the tw
// dialect, transform.tw.* and the tw-* passes. Links the libMLIR.so that
// mlir-opt itself uses.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "transforms/lib/Registration.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Tilewright", "0.1",
          [](mlir::DialectRegistry *registry) {
            mlir::tw::registerDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Tilewright", "0.1",
          []() { mlir::tw::registerPasses(); }};
}
