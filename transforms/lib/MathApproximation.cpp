//===- MathApproximation.cpp - upstream's math polynomials as a pass ------===//
//
// `tw-math-approximation{ops=erf,log vectors-only=true}` rewrites the chosen
// math ops into upstream's polynomial approximations
// (populateMathPolynomialApproximationPatterns): arith and math.fma only, so a
// vector op stays a vector op down to the machine code instead of becoming
// one libm call per element. f16 and bf16 ops are computed in f32 (extf, the
// f32 polynomial, truncf: upstream's F32 expansion patterns); f64 ops are left
// alone (upstream has no f64 polynomials).
//
// On top of upstream: log and log2 of subnormal operands. Upstream's pattern
// clamps its operand to the smallest normal float, so every subnormal x got
// log(2^-126) = -87.3 where the answer lies down to -103.3; here a subnormal
// operand is scaled by 2^23 first and the result corrected by 23 ln 2.
//
// The same patterns are `transform.apply_patterns.tw.math_approximation`.
//
//===----------------------------------------------------------------------===//

#include "transforms/lib/MathApproximation.h"

#include "dialects/transform/TwTransformOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;

namespace {

/// The math ops upstream approximates, by mnemonic. math.rsqrt is left out:
/// its approximation emits x86vector AVX2 intrinsics for vector<8xf32> only,
/// which would tie the pass to one ISA.
constexpr llvm::StringLiteral kSupported[] = {
    "acos", "asin",  "atan", "atan2", "cbrt",  "cos",  "erf", "erfc",
    "exp",  "expm1", "log",  "log1p", "log2",  "sin",  "tanh"};

/// Marks a log whose operand is already normal (the scaling pattern skips it).
constexpr llvm::StringLiteral kNormalOperand = "tw.normal_operand";

bool isSupported(StringRef mnemonic) {
  return llvm::is_contained(kSupported, mnemonic);
}

/// An f32 constant of `type` (f32 or a vector of f32).
Value f32Constant(OpBuilder &builder, Location loc, Type type, double value) {
  TypedAttr attr = builder.getF32FloatAttr(value);
  if (auto vectorType = dyn_cast<VectorType>(type))
    attr = SplatElementsAttr::get(vectorType, attr);
  return arith::ConstantOp::create(builder, loc, attr);
}

/// log(x) = log(x * 2^23) - 23 log(2) for subnormal x, so that upstream's
/// approximation (which clamps x to the smallest normal) sees a normal
/// operand. Zero, negative, infinite and NaN operands come out as before.
template <typename LogOp>
struct ScaleSubnormalLogOperand : OpRewritePattern<LogOp> {
  /// `log2OfScale`: the result's correction in the op's base, 23 * log_b(2).
  ScaleSubnormalLogOperand(MLIRContext *context, double log2OfScale)
      : OpRewritePattern<LogOp>(context, /*benefit=*/2),
        log2OfScale(log2OfScale) {}

  LogicalResult matchAndRewrite(LogOp op,
                                PatternRewriter &rewriter) const override {
    if (op->hasAttr(kNormalOperand) ||
        !getElementTypeOrSelf(op.getType()).isF32())
      return failure();
    Location loc = op.getLoc();
    Type type = op.getType();
    Value x = op.getOperand();
    Value isSubnormal = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::OLT, x,
        f32Constant(rewriter, loc, type, std::ldexp(1.0, -126)));
    Value scaled = arith::MulFOp::create(
        rewriter, loc, x, f32Constant(rewriter, loc, type, std::ldexp(1.0, 23)));
    Value operand =
        arith::SelectOp::create(rewriter, loc, isSubnormal, scaled, x);
    auto log = LogOp::create(rewriter, loc, operand, op.getFastmathAttr());
    log->setAttr(kNormalOperand, rewriter.getUnitAttr());
    Value offset = arith::SelectOp::create(
        rewriter, loc, isSubnormal,
        f32Constant(rewriter, loc, type, -log2OfScale),
        f32Constant(rewriter, loc, type, 0.0));
    rewriter.replaceOpWithNewOp<arith::AddFOp>(op, log.getResult(), offset);
    return success();
  }

  double log2OfScale;
};

/// Upstream's approximations of the ops in `selected` (mnemonics), f16/bf16
/// through f32, and the subnormal scaling of log/log2.
void populatePatterns(RewritePatternSet &set,
                      const llvm::StringSet<> &selected) {
  MLIRContext *context = set.getContext();
  // Upstream's predicates see full op names ("math.erf").
  auto chosen = [&selected](StringRef opName) {
    return opName.consume_front("math.") && selected.contains(opName);
  };
  // Benefit 2: an f16 erf goes through f32 rather than upstream's f16
  // polynomial, as every other f16/bf16 op does.
  populateMathF32ExpansionPatterns(set, chosen, /*benefit=*/2);
  populateMathPolynomialApproximationPatterns(set, chosen);
  if (selected.contains("log"))
    set.add<ScaleSubnormalLogOperand<math::LogOp>>(context, 23 * M_LN2);
  if (selected.contains("log2"))
    set.add<ScaleSubnormalLogOperand<math::Log2Op>>(context, 23.0);
}

/// The mnemonics `names` name, every supported one when empty.
template <typename Range>
llvm::StringSet<> selection(const Range &names) {
  llvm::StringSet<> selected;
  if (names.empty())
    for (StringRef name : kSupported)
      selected.insert(name);
  for (const auto &name : names)
    selected.insert(name);
  return selected;
}

struct MathApproximationPass
    : PassWrapper<MathApproximationPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MathApproximationPass)

  MathApproximationPass() = default;
  MathApproximationPass(const MathApproximationPass &other)
      : PassWrapper(other) {}

  StringRef getArgument() const final { return "tw-math-approximation"; }
  StringRef getDescription() const final {
    return "Rewrite math ops (f32; f16/bf16 through f32) into upstream's "
           "polynomial approximations (no libm calls)";
  }

  void getDependentDialects(DialectRegistry &registry) const final {
    registry.insert<arith::ArithDialect, math::MathDialect,
                    vector::VectorDialect>();
  }

  /// An unknown mnemonic is a pipeline error naming it, before any IR is read.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) final {
    if (failed(Pass::initializeOptions(options, errorHandler)))
      return failure();
    for (const std::string &name : ops)
      if (!isSupported(name))
        return errorHandler("tw-math-approximation: no approximation of 'math." +
                            name + "' (ops are: " +
                            llvm::join(llvm::ArrayRef(kSupported), ",") + ")");
    return success();
  }

  LogicalResult initialize(MLIRContext *context) final {
    selected = selection(ops);
    RewritePatternSet set(context);
    populatePatterns(set, selected);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() final {
    SmallVector<Operation *> targets;
    getOperation()->walk([&](Operation *op) {
      if (op->getNumResults() != 1 ||
          op->getName().getDialectNamespace() != "math" ||
          !selected.contains(op->getName().stripDialect()))
        return;
      Type type = op->getResult(0).getType();
      if (vectorsOnly && !isa<VectorType>(type))
        return;
      Type element = getElementTypeOrSelf(type);
      if (element.isF32() || element.isF16() || element.isBF16())
        targets.push_back(op);
    });
    if (targets.empty())
      return;
    // Only the chosen ops and what their rewrites create (log1p's log,
    // expm1's exp): with vectors-only, scalars keep their libm call.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(targets, patterns, config))) {
      getOperation()->emitError(
          "tw-math-approximation: the rewrite did not converge");
      signalPassFailure();
    }
  }

  ListOption<std::string> ops{
      *this, "ops",
      llvm::cl::desc("math ops to approximate, by mnemonic (erf,log,sin,...); "
                     "all supported ones when empty")};
  Option<bool> vectorsOnly{
      *this, "vectors-only",
      llvm::cl::desc("only ops on vectors (scalars keep their libm call)"),
      llvm::cl::init(false)};

  llvm::StringSet<> selected;
  FrozenRewritePatternSet patterns;
};

} // namespace

//===----------------------------------------------------------------------===//
// transform.apply_patterns.tw.math_approximation
//===----------------------------------------------------------------------===//

LogicalResult transform::ApplyMathApproximationPatternsOp::verify() {
  for (Attribute name : getOps()) {
    StringRef mnemonic = cast<StringAttr>(name).getValue();
    if (!isSupported(mnemonic))
      return emitOpError("has no approximation of 'math.")
             << mnemonic << "' (ops are: "
             << llvm::join(llvm::ArrayRef(kSupported), ",") << ")";
  }
  return success();
}

void transform::ApplyMathApproximationPatternsOp::populatePatterns(
    RewritePatternSet &patterns) {
  SmallVector<StringRef> names;
  for (Attribute name : getOps())
    names.push_back(cast<StringAttr>(name).getValue());
  ::populatePatterns(patterns, selection(names));
}

void mlir::tw::registerMathApproximationPass() {
  PassRegistration<MathApproximationPass>();
}
