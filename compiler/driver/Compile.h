// Generating C for a loaded model, shared by `rnnpoolc compile` and the QEMU path of
// `rnnpoolc run`: quantise, lay out the arena, emit the files and the plan reports.
#pragma once

#include "compiler/driver/Driver.h"
#include "compiler/plan/Planner.h"
#include "targets/c/CEmitter.h"
#include "targets/c/FloatEmitter.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnpoolc::driver {

struct GeneratedModel {
  quant::QuantizedModel model;
  plan::Plan plan; ///< The verified memory plan the code follows.
  std::vector<targets::c::GeneratedFile> files; ///< Sources, runtime, fragments, reports.
};

/// What `compile` and `run --board` ask of code generation.
struct GenerateOptions {
  std::vector<std::string> calib; ///< --calib files and directories
  double calibPercentile = 0;     ///< --calib-percentile, 0: min/max
  std::string target = "cortex-m4";
  std::string command;            ///< The command line, for the banners.
  plan::PlanOptions plan;         ///< --stream-input, --ram-budget, --mac-overhead
  std::string backend = "c";      ///< --backend: "c" (model.c) or "llvm" (model.o)
  std::string cpu;                ///< --cpu, LLVM backend only (empty: the target's default)
  bool emitLlvm = false;          ///< --emit-llvm: also model.ll (LLVM backend)
  /// --mac-overhead; without it, plan.macOverhead where the target recomputes by default
  /// (targets::Target::recomputesByDefault), else none.
  std::optional<double> macOverhead;
};

/// Quantises `loaded`, plans its arena (int8 activations) and generates the output
/// directory's files, plan reports included.
Expected<GeneratedModel> generateModel(const LoadedModel &loaded, const GenerateOptions &options);

/// Checks --backend, --cpu and --emit-llvm against each other and --target (for the LLVM
/// backend: a CPU and target this LLVM knows).
Status checkBackend(const std::string &backend, const std::string &cpu, bool emitLlvm,
                    const std::string &target);

/// The float build (--float) of a loaded model: lowered, planned with float32 activations
/// (options.plan: --stream-input, --ram-budget, --mac-overhead; calib is not used),
/// verified, its files generated.
struct GeneratedFloatModel {
  targets::FloatModel model;
  plan::Plan plan; ///< The verified memory plan the code follows.
  std::vector<targets::c::GeneratedFile> files; ///< Sources, runtime, fragments, reports.
};
Expected<GeneratedFloatModel> generateFloatModel(const LoadedModel &loaded,
                                                 const GenerateOptions &options);

/// The target a build generates code for (--backend, --target, --cpu).
std::unique_ptr<targets::Target> makeTarget(const GenerateOptions &options);
/// The plan options of a build of `precision`: the user's, and accumulating reductions only
/// where the target runs them (`rnnpoolc plan` plans with the same).
plan::PlanOptions planOptionsFor(const GenerateOptions &options, const targets::Target &target,
                                 targets::Precision precision);

/// `rnnpoolc run --board mps2-an386|netduinoplus2 ...` (RunBoard.cpp): compile, build
/// firmware, run it in QEMU, compare with the host fixed-point interpreter, report.
Status runBoard(Args args);
/// True if the run arguments ask for a QEMU board rather than the host.
bool wantsBoard(const Args &args);

/// The command line as one string, for banners.
std::string commandLine(const std::string &subcommand, const std::vector<std::string> &args);

} // namespace rnnpoolc::driver
