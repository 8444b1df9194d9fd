// --emit artifact: one zip file with the kernels and a manifest (nvvm), or a shared object and a
// manifest (cpu, which tilewright run --artifact runs with no compiler involved).
//
// RUN: %tilewright compile %s --target nvvm --gpu-arch sm_90 --emit artifact -o %t.twa
// RUN: %python -c "import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); print(sorted(z.namelist())); print(json.dumps(json.loads(z.read('manifest.json')), sort_keys=True))" %t.twa | FileCheck %s --check-prefix=NVVM
// RUN: %tilewright compile %s --emit artifact -o %t.cpu.twa
// RUN: %python -c "import numpy as np; x = np.arange(7 * 97, dtype=np.float32).reshape(7, 97) / 100; np.savez('%t.in.npz', x); np.savez('%t.expected.npz', np.tanh(x) * x)"
// RUN: %tilewright run --artifact %t.cpu.twa --inputs %t.in.npz --expected %t.expected.npz | FileCheck %s --check-prefix=EXEC
// RUN: not %tilewright run %s --artifact %t.cpu.twa --inputs %t.in.npz 2>&1 | FileCheck %s --check-prefix=BOTH

// NVVM: ['kernels.cubin', 'kernels.ptx', 'manifest.json']
// NVVM-NEXT: "arch": "sm_90"
// NVVM-SAME: "buffers": [{"bytes": 2716, "id": 0, "index": 0, "kind": "input"}, {"bytes": 2716, "id": 1, "index": 0, "kind": "result"}]
// NVVM-SAME: "format": "tilewright-artifact"
// NVVM-SAME: "inputs": [{"element": "f32", "shape": [7, 97]}]
// NVVM-SAME: "kernels": [{"name": "main_kernel", "params": ["ptr", "ptr"]}]
// NVVM-SAME: "results": [{"element": "f32", "shape": [7, 97]}]
// NVVM-SAME: "sequence": [{"args": [{"buffer": 0}, {"buffer": 1}], "block": [97, 2, 1], "grid": [1, 4, 1], "kernel": "main_kernel", "op": "launch", "smem": 0}]
// NVVM-SAME: "target": "nvvm", "version": 1

// EXEC: result0: max |error| {{.*}}: ok
// EXEC: PASS: 1 result(s) match

// BOTH: error: give a program FILE or --artifact MODEL.twa (one of them)

func.func @main(%x: tensor<7x97xf32>) -> tensor<7x97xf32> {
  %e = tensor.empty() : tensor<7x97xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<7x97xf32>) outs(%e : tensor<7x97xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    %m = arith.mulf %t, %a : f32
    linalg.yield %m : f32
  } -> tensor<7x97xf32>
  return %r : tensor<7x97xf32>
}
