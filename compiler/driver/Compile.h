// Generating C for a loaded model, shared by `rnnpoolc compile` and the QEMU path of
// `rnnpoolc run`: quantise, lay out the arena, emit the files and the plan reports.
#pragma once

#include "compiler/driver/Driver.h"
#include "targets/c/ArenaLayout.h"
#include "targets/c/CEmitter.h"
#include "targets/c/FloatEmitter.h"

#include <string>
#include <vector>

namespace rnnpoolc::driver {

struct GeneratedModel {
  quant::QuantizedModel model;
  targets::c::ArenaLayout layout;
  std::vector<targets::c::GeneratedFile> files; ///< Sources, runtime, fragments, reports.
};

/// Quantises `loaded` (with --calib files `calib`) and generates the output directory's
/// files. `command` goes into the banners.
Expected<GeneratedModel> generateModel(const LoadedModel &loaded,
                                       const std::vector<std::string> &calib,
                                       const std::string &target, const std::string &command);

/// The float build (--float) of a loaded model: lowered, laid out, its files generated.
struct GeneratedFloatModel {
  targets::c::FloatModel model;
  targets::c::ArenaLayout layout;
  std::vector<targets::c::GeneratedFile> files; ///< Sources, runtime, fragments, plan.txt.
};
Expected<GeneratedFloatModel> generateFloatModel(const LoadedModel &loaded,
                                                 const std::string &target,
                                                 const std::string &command);

/// `rnnpoolc run --board mps2-an386|netduinoplus2 ...` (RunBoard.cpp): compile, build
/// firmware, run it in QEMU, compare with the host fixed-point interpreter, report.
Status runBoard(Args args);
/// True if the run arguments ask for a QEMU board rather than the host.
bool wantsBoard(Args args);

/// The command line as one string, for banners.
std::string commandLine(const std::string &subcommand, const std::vector<std::string> &args);

} // namespace rnnpoolc::driver
