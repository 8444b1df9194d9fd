//===- TwPythonModule.cpp - the extension as a Python module --------------===//
//
// `tilewright._native._tw` registers the tw dialect, the transform.tw.* ops
// and the tw-* passes into the `mlir` Python bindings. It links the bindings'
// own libMLIRPythonCAPI.so, so the ops live in the same MLIR as the contexts
// the compiler creates (a second MLIR copy would not share TypeIDs).
//
// Plain CPython C API: two functions need no binding framework.
//
//===----------------------------------------------------------------------===//

#include <Python.h>

#include "mlir-c/Bindings/Python/Interop.h"
#include "mlir/CAPI/IR.h"
#include "transforms/lib/Registration.h"

namespace {

PyObject *registerDialects(PyObject *, PyObject *registryObject) {
  PyObject *capsule =
      PyObject_GetAttrString(registryObject, MLIR_PYTHON_CAPI_PTR_ATTR);
  if (!capsule)
    return nullptr;
  MlirDialectRegistry registry = mlirPythonCapsuleToDialectRegistry(capsule);
  Py_DECREF(capsule);
  if (mlirDialectRegistryIsNull(registry)) {
    PyErr_SetString(PyExc_TypeError,
                    "register_dialects expects an mlir.ir.DialectRegistry");
    return nullptr;
  }
  mlir::tw::registerDialects(*unwrap(registry));
  Py_RETURN_NONE;
}

PyObject *registerPasses(PyObject *, PyObject *) {
  mlir::tw::registerPasses();
  Py_RETURN_NONE;
}

PyMethodDef methods[] = {
    {"register_dialects", registerDialects, METH_O,
     "Adds the tw dialect and transform.tw.* ops to an mlir.ir.DialectRegistry."},
    {"register_passes", registerPasses, METH_NOARGS,
     "Registers the tw-* passes with MLIR's global pass registry."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef moduleDef = {PyModuleDef_HEAD_INIT, "_tw",
                         "tilewright's MLIR extension (tw dialect, transform.tw.*, tw-* passes)",
                         -1, methods};

} // namespace

PyMODINIT_FUNC PyInit__tw() { return PyModule_Create(&moduleDef); }
