// `rnnpoolc run --board mps2-an386|netduinoplus2`: compiles the model to C, builds firmware
// for the board, runs it in QEMU on the inputs, checks the outputs against the host
// fixed-point interpreter byte for byte (or, with --float, against the host float
// interpreter within a tolerance), and reports instructions, flash and RAM, and with
// --profile the instructions of every node.
#include "compiler/driver/Compile.h"
#include "compiler/driver/Flags.h"
#include "compiler/driver/RunBoard.h"
#include "compiler/interp/FixedPoint.h"
#include "compiler/interp/Interpreter.h"
#include "compiler/support/Escape.h"
#include "compiler/support/Json.h"
#include "compiler/support/Progress.h"
#include "frontends/onnx/TensorIO.h"
#include "targets/llvm/LlvmTarget.h"
#include "targets/qemu/Firmware.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

namespace rnnpoolc::driver {
namespace {
namespace fs = std::filesystem;

constexpr const char *kHelp = R"(usage: rnnpoolc run MODEL.onnx --input FILE --board BOARD [options]

Compiles the model to fixed-point C, builds firmware for a QEMU board (arm-none-eabi-gcc),
runs it in qemu-system-arm, and prints the outputs, the executed instructions per
inference, flash (text + rodata + data) and RAM (data + bss + arena + stack high-water).
Every output is checked byte for byte against the host fixed-point interpreter.

Options:
  --input FILE               an input tensor (.npy or .pb); a batch [B, ...] of a model
                             input with batch 1 runs B inferences in one QEMU run
  --board BOARD              mps2-an386 (4 MB SRAM) or netduinoplus2 (128 KB SRAM)
  --calib FILE|DIR           calibration inputs, as for 'rnnpoolc compile'
  --calib-percentile P       clip each range to the P-th percentile of its values
  --output FILE              write the dequantised outputs (.npy or .pb; batched like the
                             input); several outputs go to FILE_0, FILE_1, ... (out_0.npy)
  --float                    run the float32 build (rnnpoolc compile --float) instead and
                             check it against the host float interpreter: the largest
                             absolute difference must be within 1e-4 x max(1, the range
                             of the host's outputs)
  --profile                  also print the instructions spent in every node (its steps
                             summed), per kernel kind, and RNNPool's per patch (a
                             separate firmware build, traced after every step)
  --json                     print a JSON summary (instructions, flash_bytes, ram_bytes, ...)
  --timeout SECONDS          limit for the QEMU run (default 300)
  --build-dir DIR            build the firmware in DIR and keep it (default: a temporary
                             directory, removed afterwards)
  --backend c|llvm           c (default): the generated C, compiled by arm-none-eabi-gcc
                             -O2; llvm: the LLVM backend's model.o for Cortex-M4, linked
                             into the same firmware, and the C build of the same plan run
                             beside it (instructions, flash and RAM of both are printed)
  --stream-input             compile for a streamed input: the firmware hands the model
                             its input row by row, so the frame is never whole in RAM
  --ram-budget BYTES         plan for the fewest MACs whose peak fits, as for 'rnnpoolc
                             compile' (e.g. 12K: small budgets force tiles)
  --mac-overhead P           extra MACs allowed for recomputed tile halos (default 10%)
  --input-shape NAME=DIMS    fix the shape of an input
  --help                     print this help
)";

struct BoardOptions {
  std::string model, board, output, buildDir;
  std::vector<std::string> inputs, calib, all;
  double calibPercentile = 0;
  std::map<std::string, ir::Shape> inputShapes;
  std::string backend = "c";
  bool json = false, floatMode = false, profile = false, streamInput = false;
  double timeout = 300;
  std::optional<int64_t> ramBudget;  ///< --ram-budget, for the fixed-point build's plan.
  std::optional<double> macOverhead; ///< --mac-overhead, likewise.
};

/// --timeout: a positive number of seconds.
Expected<double> parseTimeout(const std::string &text) {
  char *end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(seconds > 0))
    return makeError("--timeout takes a positive number of seconds, not '{}'", text);
  return seconds;
}

Expected<BoardOptions> parse(const Args &args, bool &helped) {
  BoardOptions o;
  o.all = args;
  Flags flags("run", kHelp, "rnnpoolc run --board mps2-an386 --help");
  flags.model(o.model)
      .values("--input", o.inputs)
      .value("--board", o.board)
      .values("--calib", o.calib)
      .value("--calib-percentile", store(parseCalibPercentile, o.calibPercentile))
      .value("--output", o.output)
      .flag("--float", o.floatMode)
      .flag("--profile", o.profile)
      .flag("--json", o.json)
      .value("--timeout", store(parseTimeout, o.timeout))
      .value("--build-dir", o.buildDir)
      .flag("--stream-input", o.streamInput)
      .value("--backend", o.backend)
      .value("--ram-budget", store(parseBytes, o.ramBudget))
      .value("--mac-overhead", store(parsePercent, o.macOverhead))
      .values("--input-shape",
              [&](const std::string &v) { return parseInputShape(v, o.inputShapes); });
  auto parsed = flags.parse(args);
  if (!parsed)
    return parsed.error();
  helped = *parsed;
  if (helped)
    return o;
  if (!qemu::findBoard(o.board))
    return makeError("run: unknown board '{}'; use host, {}", o.board, qemu::boardNames());
  if (o.inputs.empty())
    return makeError("run: missing --input FILE");
  if (o.floatMode && !o.calib.empty())
    return makeError("run: --calib has no effect with --float (nothing is quantised); drop "
                     "one of them");
  RNNPOOLC_TRY(checkBackend(o.backend, "", false, "cortex-m4"));
  if (o.backend == "llvm" && o.profile)
    return makeError("run: --profile traces the C build's steps; drop --profile or use "
                     "--backend c");
  if (!o.output.empty()) {
    std::string ext = fs::path(o.output).extension();
    if (ext != ".pb" && ext != ".npy")
      return makeError("{}: --output must end in .pb or .npy", o.output);
  }
  return o;
}

/// Input sets: with one model input, each file may hold a batch; otherwise one file per
/// input, in order.
Expected<std::vector<std::vector<ir::TensorData>>> readSets(const BoardOptions &o,
                                                            const ir::Graph &g) {
  if (g.inputs.size() == 1)
    return readCalibrationSets(o.inputs, g);
  if (o.inputs.size() != g.inputs.size())
    return makeError("{}: the model has {} inputs but {} --input files were given", o.model,
                     g.inputs.size(), o.inputs.size());
  std::vector<ir::TensorData> set;
  for (size_t k = 0; k < o.inputs.size(); ++k) {
    auto value = onnx_frontend::readTensorFile(o.inputs[k]);
    if (!value)
      return makeError("{}: {}", o.inputs[k], value.error().message());
    const ir::Tensor &in = g.tensor(g.inputs[k]);
    if (value->shape != in.shape || !ir::isFloat(value->dtype))
      return makeError("{}: holds {}[{}] but input '{}' is float32[{}]", o.inputs[k],
                       ir::name(value->dtype), ir::toString(value->shape), in.name,
                       ir::toString(in.shape));
    set.push_back(std::move(*value));
  }
  return std::vector<std::vector<ir::TensorData>>{std::move(set)};
}

Status writeBinary(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    return makeError("{}: cannot write", path);
  return Status::ok();
}

/// Each output of every inference, stacked along the batch dimension; one file per output
/// (FILE_0, FILE_1, ... when there are several, as the host run writes them), all or none.
Status writeStacked(const std::string &path, const ir::Graph &g,
                    const std::vector<std::vector<ir::TensorData>> &perSet) {
  std::vector<ir::TensorData> stacked;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    ir::Shape shape = g.tensor(g.outputs[k]).shape;
    std::vector<float> values;
    for (const auto &outs : perSet)
      values.insert(values.end(), outs[k].f.begin(), outs[k].f.end());
    if (perSet.size() > 1)
      shape[0] *= static_cast<int64_t>(perSet.size());
    stacked.push_back(ir::TensorData::fromFloats(shape, std::move(values)));
  }
  std::vector<FileWriter> files;
  for (size_t k = 0; k < stacked.size(); ++k)
    files.push_back({outputPath(path, k, stacked.size()), [&, k](const std::string &tmp) {
                       return onnx_frontend::writeTensorFile(tmp, stacked[k],
                                                             g.tensor(g.outputs[k]).name);
                     }});
  return writeAllOrNothing(files);
}

/// A scratch build directory that removes itself unless the user named it.
struct BuildDir {
  std::string path;
  bool keep = false;
  ~BuildDir() {
    std::error_code ec;
    if (!keep && !path.empty())
      fs::remove_all(path, ec);
  }
};

Expected<std::string> makeBuildDir(const BoardOptions &o, BuildDir &dir) {
  std::error_code ec;
  if (!o.buildDir.empty()) {
    dir.keep = true;
    dir.path = fs::absolute(o.buildDir).string();
    fs::create_directories(dir.path, ec);
    if (!fs::is_directory(dir.path))
      return makeError("{}: cannot create the build directory", o.buildDir);
    return dir.path;
  }
  std::string pattern = (fs::temp_directory_path(ec) / "rnnpoolc-run-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    return makeError("cannot create a temporary build directory in {}",
                     fs::temp_directory_path(ec).string());
  dir.path = pattern;
  return dir.path;
}

/// What the run measured.
struct BoardReport {
  std::vector<double> instructions; ///< Per inference.
  qemu::ImageSizes sizes;
  uint64_t stackHighWater = 0;
  int64_t arenaBytes = 0, weightsBytes = 0;
  bool floatBuild = false;
  size_t mismatched = 0;            ///< Inferences whose outputs differ from the host.
  int64_t firstMismatch = -1;       ///< Its index.
  double maxAbsDiff = 0, tolerance = 0; ///< Float build: against the host interpreter.
  std::vector<ProfileNode> profileNodes;
  std::vector<double> profile;      ///< Per node, instructions per inference (--profile).
};

/// The firmware of a generated model: its files, arena and how it links.
struct FirmwareInput {
  const std::vector<targets::c::GeneratedFile> *files = nullptr;
  int64_t arenaBytes = 0;
  bool needsLibm = false;
  bool streamedInput = false; ///< The model reads its input row by row (--stream-input).
  bool object = false;        ///< The model is model.o (LLVM backend), not model.c.
};

/// input.bin: every set's inputs as float32, in logical NCHW order, or, for a streamed
/// build, pixel by pixel with channels innermost (the order rows are read in).
std::string inputFile(bool streamed, const std::vector<std::vector<ir::TensorData>> &sets) {
  std::string input;
  for (const auto &set : sets)
    for (const ir::TensorData &t : set) {
      if (!streamed || t.shape.size() != 4) {
        input.append(reinterpret_cast<const char *>(t.f.data()), t.f.size() * sizeof(float));
        continue;
      }
      const int64_t c = t.shape[1], hw = t.shape[2] * t.shape[3];
      std::vector<float> hwc(t.f.size());
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < hw; ++p)
          hwc[static_cast<size_t>(p * c + ch)] = t.f[static_cast<size_t>(ch * hw + p)];
      input.append(reinterpret_cast<const char *>(hwc.data()), hwc.size() * sizeof(float));
    }
  return input;
}

/// Builds the firmware in `dir` (with the profile hooks when `profile`), runs it on the
/// input sets, and returns what it printed; output.bin is left in `dir`.
Expected<qemu::FirmwareRun> buildAndRunIn(const BoardOptions &o, const qemu::Board &board,
                                          const FirmwareInput &fw, const std::string &dir,
                                          const std::string &input, size_t inferences,
                                          bool profile, qemu::ImageSizes *sizes) {
  for (const targets::c::GeneratedFile &f : *fw.files)
    RNNPOOLC_TRY(writeBinary(dir + "/" + f.name, f.text));
  std::vector<std::string> sources = {"fw_model_main.c", "model.c", "model_weights.c"};
  if (fw.object)
    sources = {"fw_model_main.c", "model.o"};
  qemu::FirmwareSpec spec{&board, dir, sources, {}, {}, static_cast<uint64_t>(fw.arenaBytes),
                          300};
  qemu::FirmwareExtras extras;
  if (fw.needsLibm)
    extras.libraries.push_back("m");
  if (profile) {
    spec.defines.push_back("RNNPOOLC_PROFILE");
    extras.forceIncludes.push_back("fw_profile.h");
  }
  auto elf = qemu::buildFirmware(spec, extras);
  if (!elf)
    return makeError("{}: {}", o.model, elf.error().message());
  RNNPOOLC_TRY(writeBinary(dir + "/input.bin", input));
  TerminalProgress progress(fmt::format("QEMU {}: inference", board.name));
  size_t finished = 0;
  auto onValue = [&](const std::string &key, uint64_t) {
    if (key == "ticks") // the firmware prints one per inference
      progress.update(++finished, inferences);
  };
  auto run = qemu::runFirmware(board, *elf, dir, o.timeout, onValue);
  progress.finish();
  if (!run)
    return makeError("{}: {}", o.model, run.error().message());
  if (sizes) {
    auto measured = qemu::imageSizes(*elf);
    if (!measured)
      return measured.error();
    *sizes = *measured;
  }
  return run;
}

/// Builds and runs the firmware (and with --profile a traced second build); fills the
/// report's measurements and returns the bytes of output.bin.
Expected<std::string> buildAndRun(const BoardOptions &o, const qemu::Board &board,
                                  const FirmwareInput &fw,
                                  const std::vector<std::vector<ir::TensorData>> &sets,
                                  BoardReport &report) {
  BuildDir dir;
  auto path = makeBuildDir(o, dir);
  if (!path)
    return path.error();
  const std::string input = inputFile(fw.streamedInput, sets);
  auto run = buildAndRunIn(o, board, fw, *path, input, sets.size(), /*profile=*/false,
                           &report.sizes);
  if (!run) {
    dir.keep = true; // the error may name its build.log
    return run.error();
  }
  const auto &ticks = run->values["ticks"];
  if (ticks.size() != sets.size())
    return makeError("{}: the firmware ran {} of {} inferences", o.model, ticks.size(),
                     sets.size());
  for (uint64_t t : ticks)
    report.instructions.push_back(static_cast<double>(t) * board.instructionsPerTick);
  report.stackHighWater = run->values["stack_high_water"].empty()
                              ? 0 : run->values["stack_high_water"].back();
  std::ifstream in(*path + "/output.bin", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (o.profile) {
    std::string profileDir = *path + "/profile";
    std::error_code ec;
    fs::create_directories(profileDir, ec);
    auto traced =
        buildAndRunIn(o, board, fw, profileDir, input, sets.size(), /*profile=*/true, nullptr);
    if (!traced)
      return traced.error();
    report.profile = profileInstructions(traced->values["profile_ticks"],
                                         board.instructionsPerTick, sets.size(),
                                         report.profileNodes.size());
  }
  return bytes;
}

/// Checks the int8 outputs against the host fixed-point interpreter, byte for byte, and
/// dequantises them.
Status checkFixed(const BoardOptions &o, const GeneratedModel &gen, const std::string &bytes,
                  const std::vector<std::vector<ir::TensorData>> &sets, BoardReport &report,
                  std::vector<std::vector<ir::TensorData>> &outputs) {
  const ir::Graph &g = gen.model.graph;
  size_t at = 0;
  TerminalProgress progress("host fixed point: inference");
  for (size_t s = 0; s < sets.size(); ++s) {
    auto host = interp::runFixedPoint(gen.model, sets[s]);
    if (!host)
      return makeError("{}: host fixed-point run: {}", o.model, host.error().message());
    bool same = true;
    outputs.emplace_back();
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      const ir::Tensor &t = g.tensor(g.outputs[k]);
      size_t n = static_cast<size_t>(ir::checkedNumel(t.shape).value_or(0));
      if (at + n > bytes.size())
        return makeError("{}: output.bin from the firmware is short ({} bytes)", o.model,
                         bytes.size());
      std::vector<int8_t> q(bytes.begin() + at, bytes.begin() + at + n);
      at += n;
      same = same && q == interp::toRuntimeLayout(host->quantized[k]);
      ir::TensorData logical = interp::fromRuntimeLayout(q, t.shape);
      std::vector<float> real(n);
      for (size_t e = 0; e < n; ++e)
        real[e] = t.quant->scale[0] * static_cast<float>(logical.i[e] - t.quant->zeroPoint[0]);
      outputs.back().push_back(ir::TensorData::fromFloats(t.shape, std::move(real)));
    }
    if (!same && report.mismatched++ == 0)
      report.firstMismatch = static_cast<int64_t>(s);
    progress.update(s + 1, sets.size());
  }
  return Status::ok();
}

/// A float32 output in the arena's layout (HWC for 4-D) as a logical NCHW tensor.
ir::TensorData floatFromArena(const std::string &bytes, size_t at, const ir::Shape &shape) {
  const size_t n = static_cast<size_t>(ir::numel(shape));
  std::vector<float> mem(n), logical(n);
  std::memcpy(mem.data(), bytes.data() + at, n * sizeof(float));
  if (shape.size() == 4) {
    const int64_t c = shape[1], hw = shape[2] * shape[3];
    for (int64_t p = 0; p < hw; ++p)
      for (int64_t ch = 0; ch < c; ++ch)
        logical[static_cast<size_t>(ch * hw + p)] = mem[static_cast<size_t>(p * c + ch)];
  } else {
    logical = mem;
  }
  return ir::TensorData::fromFloats(shape, std::move(logical));
}

/// Checks the float32 outputs against the host float interpreter: every inference's
/// largest absolute difference must be within 1e-4 x max(1, range of its host outputs).
Status checkFloat(const BoardOptions &o, const GeneratedFloatModel &gen,
                  const std::string &bytes,
                  const std::vector<std::vector<ir::TensorData>> &sets, BoardReport &report,
                  std::vector<std::vector<ir::TensorData>> &outputs) {
  const ir::Graph &g = gen.model.graph;
  size_t at = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    auto host = interp::run(g, sets[s]);
    if (!host)
      return makeError("{}: host float run: {}", o.model, host.error().message());
    float lo = INFINITY, hi = -INFINITY, diff = 0;
    outputs.emplace_back();
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      const ir::Shape &shape = g.tensor(g.outputs[k]).shape;
      size_t n = static_cast<size_t>(ir::checkedNumel(shape).value_or(0));
      if (at + n * sizeof(float) > bytes.size())
        return makeError("{}: output.bin from the firmware is short ({} bytes)", o.model,
                         bytes.size());
      outputs.back().push_back(floatFromArena(bytes, at, shape));
      at += n * sizeof(float);
      const std::vector<float> &mine = outputs.back().back().f, &want = (*host)[k].f;
      for (size_t e = 0; e < n; ++e) {
        lo = std::min(lo, want[e]), hi = std::max(hi, want[e]);
        float d = std::fabs(mine[e] - want[e]);
        diff = std::isnan(d) ? INFINITY : std::max(diff, d);
      }
    }
    double tolerance = 1e-4 * std::max(1.0, static_cast<double>(hi - lo));
    report.maxAbsDiff = std::max(report.maxAbsDiff, static_cast<double>(diff));
    report.tolerance = s == 0 ? tolerance : std::min(report.tolerance, tolerance);
    if (diff > tolerance && report.mismatched++ == 0)
      report.firstMismatch = static_cast<int64_t>(s);
  }
  return Status::ok();
}

uint64_t ramBytes(const BoardReport &r) {
  return r.sizes.data + r.sizes.bss + r.sizes.arena + r.stackHighWater;
}

void printJson(const BoardOptions &o, const BoardReport &r, const BoardReport *c) {
  double sum = 0;
  for (double v : r.instructions)
    sum += v;
  JsonWriter w;
  w.beginObject().member("model", o.model).member("board", o.board);
  w.member("build", r.floatBuild ? "float" : "fixed").member("backend", o.backend);
  w.member("inferences", r.instructions.size());
  w.member("instructions", static_cast<int64_t>(sum / r.instructions.size() + 0.5));
  w.key("instructions_per_inference").beginArray();
  for (double v : r.instructions)
    w.value(static_cast<int64_t>(v + 0.5));
  w.endArray();
  w.member("flash_bytes", r.sizes.flash()).member("ram_bytes", ramBytes(r));
  w.member("text_bytes", r.sizes.text).member("rodata_bytes", r.sizes.rodata);
  w.member("data_bytes", r.sizes.data).member("bss_bytes", r.sizes.bss);
  w.member("arena_bytes", r.arenaBytes).member("stack_bytes", r.stackHighWater);
  w.member("weights_bytes", r.weightsBytes);
  w.member("host_match", r.mismatched == 0).member("mismatched_inferences", r.mismatched);
  if (r.floatBuild)
    w.member("max_abs_diff", r.maxAbsDiff).member("tolerance", r.tolerance);
  if (o.profile)
    profileJson(w, r.profileNodes, r.profile);
  if (c) {
    double cSum = 0;
    for (double v : c->instructions)
      cSum += v;
    w.member("c_instructions", static_cast<int64_t>(cSum / c->instructions.size() + 0.5));
    w.member("c_flash_bytes", c->sizes.flash()).member("c_ram_bytes", ramBytes(*c));
    w.member("c_text_bytes", c->sizes.text).member("c_host_match", c->mismatched == 0);
  }
  w.endObject();
  fmt::print("{}\n", w.str());
}

void printText(const BoardOptions &o, const ir::Graph &g, const BoardReport &r,
               const std::vector<std::vector<ir::TensorData>> &outputs, const BoardReport *c) {
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const ir::TensorData &v = outputs[0][k];
    auto best = std::max_element(v.f.begin(), v.f.end()) - v.f.begin();
    std::string head;
    for (int64_t e = 0; e < std::min<int64_t>(v.numel(), 10); ++e)
      head += fmt::format("{}{:.6g}", e ? " " : "", v.f[e]);
    fmt::print("output {}: float32[{}] argmax {}\n  [{}{}]\n",
               escapeForMessage(g.tensor(g.outputs[k]).name),
               ir::toString(v.shape), best, head, v.numel() > 10 ? " ..." : "");
  }
  double sum = 0, lo = r.instructions[0], hi = lo;
  for (double v : r.instructions)
    sum += v, lo = std::min(lo, v), hi = std::max(hi, v);
  fmt::print("board {}: {} build{}, {} inference(s), {:.0f} instructions each", o.board,
             r.floatBuild ? "float32" : "fixed-point",
             o.backend == "llvm" ? " (LLVM backend, model.o)" : "", r.instructions.size(),
             sum / r.instructions.size());
  if (r.instructions.size() > 1)
    fmt::print(" (min {:.0f}, max {:.0f})", lo, hi);
  fmt::print("\nflash {} bytes (text {}, rodata {}, data {}; weights {})\n", r.sizes.flash(),
             r.sizes.text, r.sizes.rodata, r.sizes.data, r.weightsBytes);
  fmt::print("RAM {} bytes (arena {}, data {}, other bss {}, stack high-water {})\n",
             ramBytes(r), r.sizes.arena, r.sizes.data, r.sizes.bss, r.stackHighWater);
  if (r.floatBuild)
    fmt::print("matches the host float interpreter: {} (max abs difference {:.3g}, tolerance "
               "{:.3g})\n",
               r.mismatched == 0 ? "yes" : "NO", r.maxAbsDiff, r.tolerance);
  else
    fmt::print("matches the host fixed-point interpreter byte for byte: {}\n",
               r.mismatched == 0 ? "yes" : "NO");
  if (o.profile)
    printProfile(r.profileNodes, r.profile);
  if (c) {
    double cSum = 0;
    for (double v : c->instructions)
      cSum += v;
    const double cMean = cSum / c->instructions.size();
    fmt::print("C backend, same plan (arm-none-eabi-gcc -O2): {:.0f} instructions each "
               "(LLVM/C {:.3f}), flash {} bytes (text {}), RAM {} bytes; matches the host: {}\n",
               cMean, sum / r.instructions.size() / cMean, c->sizes.flash(), c->sizes.text,
               ramBytes(*c), c->mismatched == 0 ? "yes" : "NO");
  }
}

/// The profile's names of a fixed-point model's nodes.
std::vector<ProfileNode> profileNodes(const quant::QuantizedModel &m) {
  std::vector<ProfileNode> nodes;
  for (size_t n = 0; n < m.graph.nodes.size(); ++n) {
    const ir::Node &node = m.graph.nodes[n];
    int64_t patches = 0;
    if (m.layers[n].kind == quant::KernelKind::RNNPool) {
      const ir::Shape &y = m.graph.tensor(node.outputs[0]).shape;
      patches = y[2] * y[3];
    }
    nodes.push_back({node.name, std::string(ir::opName(node.op)),
                     std::string(quant::name(m.layers[n].kind)), patches});
  }
  return nodes;
}

/// The profile's names of a float model's nodes.
std::vector<ProfileNode> profileNodes(const targets::FloatModel &m) {
  std::vector<ProfileNode> nodes;
  for (size_t n = 0; n < m.graph.nodes.size(); ++n) {
    const ir::Node &node = m.graph.nodes[n];
    int64_t patches = 0;
    if (m.steps[n].kind == targets::FloatKind::RNNPool) {
      const ir::Shape &y = m.graph.tensor(node.outputs[0]).shape;
      patches = y[2] * y[3];
    }
    nodes.push_back({node.name, std::string(ir::opName(node.op)),
                     std::string(targets::name(m.steps[n].kind)), patches});
  }
  return nodes;
}

/// Generates the build the options ask for, runs it and checks it against its host oracle;
/// fills the report and the outputs (float32, logical order) and returns the graph they
/// belong to.
Expected<ir::Graph> generateAndRun(const BoardOptions &o, const qemu::Board &board,
                                   const LoadedModel &loaded,
                                   const std::vector<std::vector<ir::TensorData>> &sets,
                                   BoardReport &report,
                                   std::vector<std::vector<ir::TensorData>> &outputs,
                                   std::optional<BoardReport> &cReport) {
  const std::string command = commandLine("run", o.all);
  report.floatBuild = o.floatMode;
  GenerateOptions generate;
  generate.calib = o.calib;
  generate.calibPercentile = o.calibPercentile;
  generate.command = command;
  // The C build beside an LLVM one follows the same plan (generateModel asks the C target
  // whether it accumulates reductions; the LLVM target must run them too).
  const targets::Precision precision =
      o.floatMode ? targets::Precision::Float : targets::Precision::Int8;
  if (o.backend == "llvm")
    generate.plan.accumulateReductions =
        targets::llvmgen::makeLlvmTarget({"cortex-m4", "", false})
            ->accumulatesReductions(precision);
  // The LLVM build's files of a generated model, in `files`, and its firmware input.
  std::vector<targets::GeneratedFile> llvmFiles;
  auto useLlvm = [&](const auto &model, const plan::Plan &plan,
                     FirmwareInput &fw) -> Status {
    targets::CodegenOptions codegen{"cortex-m4", command, loaded.path, ""};
    auto files = targets::generate(*targets::llvmgen::makeLlvmTarget({"cortex-m4", "", false}),
                                   model, plan, codegen);
    if (!files)
      return makeError("{}: {}", loaded.path, files.error().message());
    llvmFiles = std::move(*files);
    fw.files = &llvmFiles;
    fw.object = true;
    return Status::ok();
  };
  BoardOptions cOptions = o; // the C build beside an LLVM one, in its own directory
  if (!o.buildDir.empty())
    cOptions.buildDir = o.buildDir + "/c";
  generate.plan.streamInput = o.streamInput;
  if (o.ramBudget)
    generate.plan.ramBudget = *o.ramBudget;
  if (o.macOverhead)
    generate.macOverhead = *o.macOverhead;
  // Builds the generated model (int8 or float) and runs it, checked against its host oracle
  // by `check`; with --backend llvm, the C build of the same plan runs first, beside it.
  auto runBuilds = [&](auto &gen, int64_t weightsBytes, bool needsLibm,
                       auto check) -> Expected<ir::Graph> {
    report.arenaBytes = gen.plan.summary.arenaBytes;
    report.weightsBytes = weightsBytes;
    report.profileNodes = profileNodes(gen.model);
    FirmwareInput fw{&gen.files, gen.plan.summary.arenaBytes, needsLibm, gen.plan.streamedInput};
    if (o.backend == "llvm") {
      cReport.emplace(report);
      auto cBytes = buildAndRun(cOptions, board, fw, sets, *cReport);
      if (!cBytes)
        return cBytes.error();
      std::vector<std::vector<ir::TensorData>> cOutputs;
      RNNPOOLC_TRY(check(*cBytes, *cReport, cOutputs));
      RNNPOOLC_TRY(useLlvm(gen.model, gen.plan, fw));
    }
    auto bytes = buildAndRun(o, board, fw, sets, report);
    if (!bytes)
      return bytes.error();
    RNNPOOLC_TRY(check(*bytes, report, outputs));
    return gen.model.graph;
  };
  if (o.floatMode) {
    auto gen = generateFloatModel(loaded, generate);
    if (!gen)
      return gen.error();
    return runBuilds(*gen, targets::floatWeightsBytes(gen->model), /*needsLibm=*/true,
                     [&](const auto &bytes, BoardReport &r, auto &outs) {
                       return checkFloat(o, *gen, bytes, sets, r, outs);
                     });
  }
  auto gen = generateModel(loaded, generate);
  if (!gen)
    return gen.error();
  return runBuilds(*gen, targets::c::weightsBytes(gen->model), /*needsLibm=*/false,
                   [&](const auto &bytes, BoardReport &r, auto &outs) {
                     return checkFixed(o, *gen, bytes, sets, r, outs);
                   });
}

} // namespace

bool wantsBoard(const Args &args) {
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--board" && k + 1 < args.size())
      return args[k + 1] != "host";
    if (args[k].starts_with("--board="))
      return args[k].substr(8) != "host";
  }
  return false;
}

Status runBoard(Args args) {
  bool helped = false;
  auto options = parse(args, helped);
  if (!options)
    return options.error();
  if (helped)
    return Status::ok();
  const qemu::Board &board = *qemu::findBoard(options->board);
  auto loaded = loadModel(options->model, options->inputShapes);
  if (!loaded)
    return loaded.error();
  auto sets = readSets(*options, loaded->graph);
  if (!sets)
    return sets.error();
  if (options->streamInput && loaded->graph.inputs.size() != 1)
    return makeError("{}: --stream-input on a board supports models with one input",
                     options->model);
  BoardReport report;
  std::vector<std::vector<ir::TensorData>> outputs;
  std::optional<BoardReport> cReport;
  auto graph = generateAndRun(*options, board, *loaded, *sets, report, outputs, cReport);
  if (!graph)
    return graph.error();
  const BoardReport *c = cReport ? &*cReport : nullptr;
  if (options->json)
    printJson(*options, report, c);
  else
    printText(*options, *graph, report, outputs, c);
  if (c && c->mismatched > 0)
    return makeError("{}: the QEMU outputs of the C build differ from the host fixed-point "
                     "interpreter; please report this bug",
                     options->model);
  if (!options->output.empty())
    RNNPOOLC_TRY(writeStacked(options->output, *graph, outputs));
  if (report.mismatched > 0 && report.floatBuild)
    return makeError("{}: the QEMU outputs of the float build differ from the host float "
                     "interpreter by up to {:.3g} (tolerance {:.3g}) in {} of {} inferences "
                     "(first: {}); please report this bug",
                     options->model, report.maxAbsDiff, report.tolerance, report.mismatched,
                     sets->size(), report.firstMismatch);
  if (report.mismatched > 0)
    return makeError("{}: the QEMU outputs differ from the host fixed-point interpreter in {} "
                     "of {} inferences (first: {}); please report this bug",
                     options->model, report.mismatched, sets->size(), report.firstMismatch);
  return Status::ok();
}

} // namespace rnnpoolc::driver
