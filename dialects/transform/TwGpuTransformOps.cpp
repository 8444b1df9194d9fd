//===- TwGpuTransformOps.cpp - transform.tw.rewrite_matmul_as_wgmma -------===//
//
// A warpgroup's linalg.matmul on memrefs -> operands staged in shared memory
// as K-major no-swizzle core matrices, 64-bit matrix descriptors and
// nvvm.wgmma.mma_async (sm_90a). Upstream's nvgpu.warpgroup.* ops need a TMA
// tensor map for their descriptors and assume the 128-byte swizzle; the
// descriptors here are built from the PTX ISA's fields directly, so the
// staging copy is a plain one.
//
//===----------------------------------------------------------------------===//

#include "dialects/transform/TwTransformOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace {
constexpr int64_t kWarpgroupThreads = 128;
constexpr int64_t kWarpThreads = 32;
constexpr int64_t kInstrM = 64;
constexpr int64_t kInstrK = 16;
constexpr int64_t kMaxN = 256;
constexpr int64_t kMaxAccumulators = 128;
constexpr int64_t kSharedLimit = 48 * 1024;
/// A core matrix: 8 rows of 16 bytes (8 f16/bf16), stored contiguously.
constexpr int64_t kCoreRows = 8;
constexpr int64_t kCoreBytes = 128;

/// The PTX ISA's matrix-descriptor-encode(x): 14 bits of a 16-byte unit.
uint64_t encode(uint64_t bytes) { return (bytes & 0x3FFFF) >> 4; }

/// The descriptor's fields other than the start address: leading dimension
/// byte offset (bits 16-29), stride dimension byte offset (bits 32-45), no
/// base offset and swizzle mode 0 (bits 62-63: no swizzle).
uint64_t descriptorBase(uint64_t leadingBytes, uint64_t strideBytes) {
  return encode(leadingBytes) << 16 | encode(strideBytes) << 32;
}

bool isF16OrBF16(Type t) { return t.isF16() || t.isBF16(); }

/// Whether `space` is the private (per-thread) memory wgmma cannot read.
bool isPrivate(Attribute space) {
  if (auto gpuSpace = dyn_cast_or_null<gpu::AddressSpaceAttr>(space))
    return gpuSpace.getValue() == gpu::AddressSpace::Private;
  if (auto intSpace = dyn_cast_or_null<IntegerAttr>(space))
    return intSpace.getInt() == 5;
  return false;
}

/// Emits index arithmetic with cached constants.
struct IndexBuilder {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, int64_t v) {
    return v ? arith::AddIOp::create(b, loc, x, c(v)).getResult() : x;
  }
  Value mul(Value x, int64_t v) {
    return arith::MulIOp::create(b, loc, x, c(v));
  }
  Value div(Value x, int64_t v) {
    return arith::DivUIOp::create(b, loc, x, c(v));
  }
  Value rem(Value x, int64_t v) {
    return arith::RemUIOp::create(b, loc, x, c(v));
  }
};

/// The thread's linear id in its block (x fastest).
Value linearThreadId(IndexBuilder &ib) {
  OpBuilder &b = ib.b;
  Value x = gpu::ThreadIdOp::create(b, ib.loc, gpu::Dimension::x);
  Value y = gpu::ThreadIdOp::create(b, ib.loc, gpu::Dimension::y);
  Value z = gpu::ThreadIdOp::create(b, ib.loc, gpu::Dimension::z);
  Value dx = gpu::BlockDimOp::create(b, ib.loc, gpu::Dimension::x);
  Value dy = gpu::BlockDimOp::create(b, ib.loc, gpu::Dimension::y);
  Value zy = arith::AddIOp::create(
      b, ib.loc, y, arith::MulIOp::create(b, ib.loc, z, dy).getResult());
  return arith::AddIOp::create(
      b, ib.loc, x, arith::MulIOp::create(b, ib.loc, zy, dx).getResult());
}

/// Copies `src` (R x C) into the core-matrix buffer `dst` (R'/8 x K/8 x 8 x 8),
/// element (r, c) of `src` to [row/8][k/8][row%8][k%8] where (row, k) is
/// (r, c) for A and (c, r) for B (`transposed`). Thread `t` of the warpgroup
/// takes elements t, t + 128, ... in `src`'s row-major order, so consecutive
/// threads read consecutive addresses of a row.
void stage(IndexBuilder &ib, Value src, Value dst, Value t, bool transposed) {
  auto type = cast<MemRefType>(src.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  auto loop = scf::ForOp::create(ib.b, ib.loc, t, ib.c(rows * cols),
                                 ib.c(kWarpgroupThreads));
  OpBuilder::InsertionGuard guard(ib.b);
  ib.b.setInsertionPointToStart(loop.getBody());
  Value e = loop.getInductionVar();
  Value r = ib.div(e, cols), c = ib.rem(e, cols);
  Value v = memref::LoadOp::create(ib.b, ib.loc, src, ValueRange{r, c});
  Value row = transposed ? c : r, k = transposed ? r : c;
  memref::StoreOp::create(ib.b, ib.loc, v, dst,
                          ValueRange{ib.div(row, kCoreRows), ib.div(k, 8),
                                     ib.rem(row, kCoreRows), ib.rem(k, 8)});
}

/// The named barrier of the thread's warpgroup (`bar.sync id, 128`): the
/// staging copy of one warpgroup must not wait for the other warpgroups of
/// the block. Inline PTX: nvvm.barrier does not survive a print/parse round
/// trip with locations in MLIR 22, which the NVVM target's PTX step does.
void warpgroupBarrier(IndexBuilder &ib, Value barrierId) {
  LLVM::InlineAsmOp::create(
      ib.b, ib.loc, /*res=*/Type{}, ValueRange{barrierId},
      "bar.sync $0, " + std::to_string(kWarpgroupThreads) + ";", "r,~{memory}",
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(ib.b.getContext(), LLVM::AsmDialect::AD_ATT),
      ArrayAttr{});
}

/// The descriptor of the shared-memory matrix at `address + offset` bytes.
Value descriptor(OpBuilder &b, Location loc, Value address, int64_t offset,
                 uint64_t base) {
  auto cst = [&](uint64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, static_cast<int64_t>(v), 64);
  };
  Value start = arith::AddIOp::create(b, loc, address, cst(offset));
  start = arith::AndIOp::create(b, loc, start, cst(0x3FFFF));
  start = arith::ShRUIOp::create(b, loc, start, cst(4));
  return arith::OrIOp::create(b, loc, start, cst(base));
}

/// Why `matmul` cannot become wgmma (empty: it can).
std::string checkPayload(linalg::MatmulOp matmul) {
  if (!matmul.hasPureBufferSemantics())
    return "expects a linalg.matmul on memrefs (bufferize first)";
  if (matmul.hasUserDefinedMaps())
    return "expects a linalg.matmul without indexing_maps (C += A.B)";
  if (!matmul->getParentOfType<gpu::LaunchOp>() &&
      !matmul->getParentOfType<gpu::GPUFuncOp>())
    return "expects the matmul inside a gpu.launch or gpu.func (map it to a "
           "warpgroup first)";
  auto a = cast<MemRefType>(matmul.getDpsInputOperand(0)->get().getType());
  auto bt = cast<MemRefType>(matmul.getDpsInputOperand(1)->get().getType());
  auto c = cast<MemRefType>(matmul.getDpsInitOperand(0)->get().getType());
  if (!a.hasStaticShape() || !bt.hasStaticShape() || !c.hasStaticShape())
    return "expects static shapes";
  if (!isF16OrBF16(a.getElementType()) ||
      a.getElementType() != bt.getElementType() ||
      !c.getElementType().isF32())
    return "expects f16 or bf16 A and B of one type and an f32 C";
  for (MemRefType t : {a, bt, c})
    if (isPrivate(t.getMemorySpace()))
      return "expects operands in global or workgroup memory, not private";
  int64_t m = a.getDimSize(0), k = a.getDimSize(1), n = bt.getDimSize(1);
  std::string why;
  llvm::raw_string_ostream os(why);
  if (m % kInstrM || n % 8 || n > kMaxN || k % kInstrK)
    os << "expects M a multiple of 64, N a multiple of 8 up to 256 and K a "
          "multiple of 16, got "
       << m << "x" << n << "x" << k;
  else if (m / kInstrM * n / 2 > kMaxAccumulators)
    os << "the f32 accumulator would take " << m / kInstrM * n / 2
       << " registers per thread (at most 128): tile M or N smaller";
  else if ((m + n) * k * 2 > kSharedLimit)
    os << "staging A and B takes " << (m + n) * k * 2
       << " bytes of shared memory (at most 48 KiB): tile K smaller";
  return why;
}

/// The rewrite itself (the payload checked).
void rewriteAsWgmma(RewriterBase &rewriter, linalg::MatmulOp matmul) {
  Location loc = matmul.getLoc();
  MLIRContext *ctx = matmul.getContext();
  Value a = matmul.getDpsInputOperand(0)->get();
  Value bm = matmul.getDpsInputOperand(1)->get();
  Value c = matmul.getDpsInitOperand(0)->get();
  auto aType = cast<MemRefType>(a.getType());
  Type element = aType.getElementType();
  int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  int64_t n = cast<MemRefType>(bm.getType()).getDimSize(1);

  rewriter.setInsertionPoint(matmul);
  IndexBuilder ib{rewriter, loc};
  Value tid = linearThreadId(ib);
  Value t = ib.rem(tid, kWarpgroupThreads);
  Value barrierId = arith::IndexCastUIOp::create(
      rewriter, loc, rewriter.getI32Type(),
      ib.add(ib.div(tid, kWarpgroupThreads), 1));

  // The staging buffers: their type is the core-matrix layout.
  Attribute workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto stagingType = [&](int64_t rows) {
    return MemRefType::get({rows / kCoreRows, k / 8, kCoreRows, 8}, element,
                           MemRefLayoutAttrInterface{}, workgroup);
  };
  IntegerAttr align = rewriter.getI64IntegerAttr(16);
  Value sa = memref::AllocOp::create(rewriter, loc, stagingType(m), align);
  Value sb = memref::AllocOp::create(rewriter, loc, stagingType(n), align);

  warpgroupBarrier(ib, barrierId);
  stage(ib, a, sa, t, /*transposed=*/false);
  stage(ib, bm, sb, t, /*transposed=*/true);
  NVVM::FenceProxyOp::create(
      rewriter, loc, NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
      NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
  warpgroupBarrier(ib, barrierId);

  // Accumulator value j of a thread, per 64 rows: row 16w + l/4 + 8((j/2)%2),
  // column 2(l%4) + j%2 + 8(j/4) (the PTX ISA's wgmma D fragment).
  Value warp = ib.div(t, kWarpThreads), lane = ib.rem(t, kWarpThreads);
  Value rowBase =
      arith::AddIOp::create(rewriter, loc, ib.mul(warp, 16), ib.div(lane, 4));
  Value colBase = ib.mul(ib.rem(lane, 4), 2);
  int64_t perThread = n / 2, repeats = m / kInstrM;
  auto fragmentAt = [&](int64_t rep, int64_t j) -> SmallVector<Value, 2> {
    return {ib.add(rowBase, rep * kInstrM + 8 * ((j / 2) % 2)),
            ib.add(colBase, j % 2 + 8 * (j / 4))};
  };
  Type f32 = rewriter.getF32Type();
  auto accType =
      LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(perThread, f32));
  SmallVector<Value> accs;
  for (int64_t rep = 0; rep < repeats; ++rep) {
    Value acc = LLVM::PoisonOp::create(rewriter, loc, accType);
    for (int64_t j = 0; j < perThread; ++j) {
      Value v = memref::LoadOp::create(rewriter, loc, c, fragmentAt(rep, j));
      acc = LLVM::InsertValueOp::create(rewriter, loc, acc, v, j);
    }
    accs.push_back(acc);
  }

  // One wgmma per 64 rows and 16 of K. Both operands K-major: the leading
  // byte offset steps along K (next core matrix), the stride one along M/N.
  int64_t leading = kCoreBytes, stride = k / 8 * kCoreBytes;
  uint64_t base = descriptorBase(leading, stride);
  Type i64 = rewriter.getI64Type();
  auto addressOf = [&](Value buffer) -> Value {
    Value p =
        memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, buffer);
    return arith::IndexCastUIOp::create(rewriter, loc, i64, p);
  };
  Value addrA = addressOf(sa), addrB = addressOf(sb);
  NVVM::WGMMATypes type = element.isF16() ? NVVM::WGMMATypes::f16
                                          : NVVM::WGMMATypes::bf16;
  auto typeAttr = NVVM::WGMMATypesAttr::get(ctx, type);
  auto one = NVVM::WGMMAScaleInAttr::get(ctx, NVVM::WGMMAScaleIn::one);
  NVVM::WgmmaFenceAlignedOp::create(rewriter, loc);
  for (int64_t step = 0; step < k / kInstrK; ++step) {
    // 16 of K is two core matrices along K.
    Value descB = descriptor(rewriter, loc, addrB, 2 * step * leading, base);
    for (int64_t rep = 0; rep < repeats; ++rep) {
      Value descA = descriptor(rewriter, loc, addrA,
                               rep * (kInstrM / kCoreRows) * stride +
                                   2 * step * leading,
                               base);
      accs[rep] = NVVM::WgmmaMmaAsyncOp::create(
          rewriter, loc, accType, accs[rep], descA, descB,
          NVVM::MMAShapeAttr::get(ctx, kInstrM, n, kInstrK), typeAttr,
          typeAttr, NVVM::WGMMATypesAttr::get(ctx, NVVM::WGMMATypes::f32),
          NVVM::WGMMAScaleOutAttr::get(ctx, NVVM::WGMMAScaleOut::one), one,
          one, NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::row),
          NVVM::MMALayoutAttr::get(ctx, NVVM::MMALayout::col),
          NVVM::MMAIntOverflowAttr{});
    }
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(rewriter, loc);
  NVVM::WgmmaWaitGroupSyncOp::create(rewriter, loc, 0);

  for (int64_t rep = 0; rep < repeats; ++rep)
    for (int64_t j = 0; j < perThread; ++j) {
      Value v = LLVM::ExtractValueOp::create(rewriter, loc, accs[rep], j);
      memref::StoreOp::create(rewriter, loc, v, c, fragmentAt(rep, j));
    }
  rewriter.eraseOp(matmul);
}
} // namespace

DiagnosedSilenceableFailure transform::RewriteMatmulAsWgmmaOp::applyToOne(
    transform::TransformRewriter &rewriter, Operation *target,
    transform::ApplyToEachResultList &results,
    transform::TransformState &state) {
  auto matmul = dyn_cast<linalg::MatmulOp>(target);
  std::string whyNot = matmul ? checkPayload(matmul)
                              : std::string("expects a linalg.matmul");
  if (!whyNot.empty()) {
    DiagnosedSilenceableFailure diag = emitSilenceableError() << whyNot;
    diag.attachNote(target->getLoc()) << "target: " << target->getName();
    return diag;
  }
  rewriteAsWgmma(rewriter, matmul);
  return DiagnosedSilenceableFailure::success();
}
