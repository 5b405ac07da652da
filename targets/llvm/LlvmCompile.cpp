// The LLVM backend's pipeline: runtime bitcode + model module -> link -> internalise ->
// optimise (O3) -> verify -> object file; and the Target that writes model.o.
#include "targets/llvm/LlvmTarget.h"

#include "targets/EmbeddedFiles.h"
#include "targets/c/CEmitter.h"
#include "targets/llvm/ModelModule.h"

#include "runtime/rp_host_pack.h"

#include <llvm/ADT/StringSet.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/IPO/Internalize.h>
#include <llvm/Transforms/IPO/SCCP.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

#include <fmt/format.h>

#include <mutex>
#include <optional>

namespace rnnpoolc::targets {
/// The runtime bitcode per target and precision ("cortex-m4.bc", "host.bc", and the float
/// runtimes "cortex-m4-f32.bc", "host-f32.bc"; the host's conv kernels apart in
/// "host-conv.bc" and "host-f32-conv.bc"), embedded at build time.
std::span<const EmbeddedFile> runtimeBitcode();
} // namespace rnnpoolc::targets

namespace rnnpoolc::targets::llvmgen {
namespace {

void initialiseTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers(); // the runtime's DSP paths use inline assembly
  });
}

std::string message(llvm::Error error) {
  return llvm::toString(std::move(error));
}

/// What a target name compiles for.
struct TargetSpec {
  std::string bitcode; ///< The embedded runtime bitcode's file name.
  std::string cpu, features;
  bool host = false;
};

Expected<TargetSpec> targetSpec(const LlvmOptions &o) {
  if (o.target == "cortex-m4")
    return TargetSpec{"cortex-m4.bc", o.cpu.empty() ? "cortex-m4" : o.cpu, "", false};
  if (o.target == "host") {
    TargetSpec spec{"host.bc", o.cpu.empty() ? llvm::sys::getHostCPUName().str() : o.cpu, "",
                    true};
    if (o.cpu.empty() || o.cpu == llvm::sys::getHostCPUName()) {
      std::string features;
      for (const auto &f : llvm::sys::getHostCPUFeatures())
        features +=
            (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
      spec.features = features;
    }
    return spec;
  }
  return makeError("unknown --target '{}' for the LLVM backend; use cortex-m4 or host",
                   o.target);
}

/// The embedded runtime bitcode of `spec` for a build of `precision`, parsed into `ctx`.
Expected<std::unique_ptr<llvm::Module>> loadRuntime(const TargetSpec &spec,
                                                    Precision precision,
                                                    llvm::LLVMContext &ctx) {
  std::string name = spec.bitcode;
  if (precision == Precision::Float)
    name.insert(name.size() - 3, "-f32");
  const EmbeddedFile *file = findFile(runtimeBitcode(), name);
  if (!file)
    return makeError("this rnnpoolc carries no runtime bitcode '{}'; rebuild it", name);
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(reinterpret_cast<const char *>(file->data), file->size), name);
  auto module = llvm::parseBitcodeFile(buffer, ctx);
  if (!module)
    return makeError("the runtime bitcode '{}' does not load: {}", name,
                     message(module.takeError()));
  // The host's convolution kernels come apart, as unoptimised IR (targets/llvm/
  // CMakeLists.txt): linked into the runtime's module, whose struct types keep their names.
  const std::string convName = name.substr(0, name.size() - 3) + "-conv.bc";
  if (const EmbeddedFile *conv = findFile(runtimeBitcode(), convName)) {
    llvm::MemoryBufferRef convBuffer(
        llvm::StringRef(reinterpret_cast<const char *>(conv->data), conv->size), convName);
    auto convModule = llvm::parseBitcodeFile(convBuffer, ctx);
    if (!convModule)
      return makeError("the runtime bitcode '{}' does not load: {}", convName,
                       message(convModule.takeError()));
    if (llvm::Linker::linkModules(**module, std::move(*convModule)))
      return makeError("the runtime bitcode '{}' does not link with '{}'", convName, name);
  }
  return std::move(*module);
}

/// A TargetMachine for `triple` and `spec`, or the one-line error for a target this LLVM
/// was not built with or a CPU it does not know.
Expected<std::unique_ptr<llvm::TargetMachine>> targetMachine(const std::string &triple,
                                                             const TargetSpec &spec) {
  initialiseTargets();
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("this LLVM was not built for {} ({}); install an LLVM 19 with its target",
                     triple, error);
  // Checked before the TargetMachine exists, which would warn about an unknown CPU on stderr.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!subtarget || !subtarget->isCPUStringValid(spec.cpu))
    return makeError("unknown --cpu '{}' for {}; use a CPU name that 'llc-19 -mtriple={} "
                     "-mcpu=help' lists",
                     spec.cpu, triple, triple);
  llvm::TargetOptions options;
  options.FloatABIType = spec.host ? llvm::FloatABI::Default : llvm::FloatABI::Hard;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(triple, spec.cpu, spec.features, options,
                                  spec.host ? llvm::Reloc::PIC_ : llvm::Reloc::Static,
                                  std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return makeError("LLVM cannot create a target machine for {}", triple);
  return tm;
}

/// Every function's target-cpu (and, for the host's own CPU, target-features) as --cpu
/// asks: clang wrote the defaults of the bitcode's triple into each. Every function is C
/// and throws nothing (so no unwind tables, which would need the EHABI personality).
void retarget(llvm::Module &m, const TargetSpec &spec) {
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr(llvm::Attribute::NoUnwind);
    f.addFnAttr("target-cpu", spec.cpu);
    if (!spec.features.empty())
      f.addFnAttr("target-features", spec.features);
  }
}

/// O3 with the new pass manager. Cortex-M4 code is not unrolled (nor is its bitcode): on
/// fashion_rnnpool unrolling made the text 2x gcc -O2's for 3% fewer instructions. Nor
/// are its copy loops turned into memcpy calls (as the bitcode's are not): the kernels'
/// runs are short, and newlib's call and size dispatch cost more than the loop.
/// Cortex-M4 code then gets one more round of interprocedural constant propagation: a
/// layer calls its kernel through a glue helper's function pointer, which only O3's
/// inliner resolves, after O3's own IPSCCP has run; the round propagates each layer's
/// constant params into the kernel helpers left out of line (RNNPool's segment walks, the
/// residual add's loops), where InstCombine and SimplifyCFG fold what they decide
/// (rnnpool_classifier 826,160 -> 808,840 instructions, rnnpool_small 3,662,240 ->
/// 3,627,960). A second whole O3 gained more on some models but inlined further and lost
/// on the MobileNetV2 ones.
void optimise(llvm::Module &m, llvm::TargetMachine &tm, bool host) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = host;
  llvm::PassBuilder pb(&tm, tuning);
  if (!host) {
    llvm::TargetLibraryInfoImpl library(tm.getTargetTriple());
    library.setUnavailable(llvm::LibFunc_memcpy);
    fam.registerPass([&] { return llvm::TargetLibraryAnalysis(library); });
  }
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(m, mam);
  if (!host) { // the constants the inliner exposed (above)
    llvm::ModulePassManager mpm;
    mpm.addPass(llvm::IPSCCPPass());
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
    mpm.addPass(llvm::GlobalDCEPass());
    mpm.run(m, mam);
  }
}

Expected<std::string> emitObject(llvm::Module &m, llvm::TargetMachine &tm) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, out, nullptr, llvm::CodeGenFileType::ObjectFile))
    return makeError("LLVM cannot emit an object file for {}", m.getTargetTriple());
  pm.run(m);
  return std::string(buffer.begin(), buffer.end());
}

} // namespace

Status checkOptions(const LlvmOptions &options) {
  auto spec = targetSpec(options);
  if (!spec)
    return spec.error();
  llvm::LLVMContext ctx;
  auto runtime = loadRuntime(*spec, Precision::Int8, ctx);
  if (!runtime)
    return runtime.error();
  auto tm = targetMachine((*runtime)->getTargetTriple(), *spec);
  if (!tm)
    return tm.error();
  return Status::ok();
}

/// `lowered` with the conv weights a host object's kernels read packed
/// (runtime/rp_host_pack.h): every conv with groups == 1 and a receptive field of at most
/// RP_HOST_PACK_MAX_N values points to a packed copy of its OHWI weights: int8 weights in
/// quads with their sums when the CPU has AVX-512 VNNI (`vnni`, the kernels' rp_host_vnni),
/// else in rows of 16 channels.
Expected<LoweredModel> packHostWeights(const LoweredModel &lowered, bool vnni) {
  LoweredModel packed = lowered;
  for (const LoweredLayer &layer : packed.layers) {
    const std::string_view type = layer.paramsType();
    if (type != "rp_conv_params" && type != "rp_conv_f32_params")
      continue;
    auto field = [&](std::string_view name) -> const ParamValue * {
      for (const ParamValue &v : layer.params)
        if (v.field == name)
          return &v;
      return nullptr;
    };
    auto value = [&](std::string_view name) {
      const ParamValue *v = field(name);
      return v ? static_cast<int32_t>(v->value) : 0;
    };
    const int32_t kh = value("k_h"), kw = value("k_w"), inC = value("in_c"),
                  outC = value("out_c");
    if (!rp_host_packs(value("groups"), kh, kw, inC))
      continue;
    const ParamValue *weights = field("weights");
    const int32_t n = kh * kw * inC;
    if (!weights || weights->array < 0 ||
        packed.arrays[weights->array].count() != static_cast<size_t>(n) * outC)
      return makeError("layer {}: its conv weights are not {} x {} values, so the host kernels "
                       "cannot pack them",
                       layer.name, outC, n);
    LoweredArray &array = packed.arrays[weights->array];
    const size_t before = array.bytes();
    auto pack = [&](const auto &from, auto &to) {
      to.assign(rp_host_packed_count(n, outC), 0);
      for (int32_t o = 0; o < outC; ++o)
        for (int32_t i = 0; i < n; ++i)
          to[rp_host_pack_at(o, i, n)] = from[static_cast<size_t>(o) * n + i];
    };
    if (array.floats) {
      auto to = std::make_shared<std::vector<float>>();
      pack(*array.floats, *to);
      array.floats = std::move(to);
    } else if (array.data->ctype == "int8_t" && vnni) {
      auto to = std::make_shared<quant::ConstArray>(*array.data);
      to->s8.assign(rp_host_quads_bytes(n, outC), 0);
      rp_host_pack_quads_s8(array.data->s8.data(), n, outC, to->s8.data());
      array.data = std::move(to);
    } else if (array.data->ctype == "int8_t") {
      auto to = std::make_shared<quant::ConstArray>(*array.data);
      pack(array.data->s8, to->s8);
      array.data = std::move(to);
    } else {
      return makeError("layer {}: its conv weights are {}, not int8_t", layer.name,
                       array.data->ctype);
    }
    packed.weightsBytes += static_cast<int64_t>(array.bytes()) - static_cast<int64_t>(before);
  }
  return packed;
}

Expected<LlvmObject> compile(const LoweredModel &lowered, const LlvmOptions &options) {
  auto spec = targetSpec(options);
  if (!spec)
    return spec.error();
  llvm::LLVMContext ctx;
  auto runtime = loadRuntime(*spec, lowered.precision, ctx);
  if (!runtime)
    return runtime.error();
  const std::string triple = (*runtime)->getTargetTriple();
  auto tm = targetMachine(triple, *spec);
  if (!tm)
    return tm.error();
  // What the host kernels' CPU branches (runtime/rp_host_conv.h, rp_f32_host_conv.h) fold
  // to: whether the model's CPU has AVX-512 VNNI (int8) and AVX-512 (float).
  auto cpuHas = [&](const char *features) {
    return spec->host && (*tm)->getMCSubtargetInfo()->checkFeatures(features);
  };
  const bool vnni = cpuHas("+avx512f,+avx512bw,+avx512vnni"), avx512 = cpuHas("+avx512f");
  std::optional<LoweredModel> packed; // the host's kernels read packed conv weights
  if (spec->host) {
    auto p = packHostWeights(lowered, vnni);
    if (!p)
      return p.error();
    packed = std::move(*p);
  }
  auto model = buildModelModule(packed ? *packed : lowered, **runtime);
  if (!model)
    return model.error();
  // The model's module is the destination: the runtime brings in what it calls.
  std::unique_ptr<llvm::Module> m = std::move(*model);
  if (llvm::Linker::linkModules(*m, std::move(*runtime)))
    return makeError("linking the model with the runtime bitcode for {} failed", triple);
  for (const auto &[name, has] : {std::pair{"rp_host_vnni", vnni}, {"rp_host_avx512", avx512}})
    if (llvm::GlobalVariable *flag = m->getGlobalVariable(name)) {
      flag->setInitializer(llvm::ConstantInt::get(flag->getValueType(), has ? 1 : 0));
      flag->setConstant(true);
    }
  llvm::StringSet<> api;
  for (const std::string &name : apiFunctions(lowered))
    api.insert(name);
  llvm::internalizeModule(
      *m, [&](const llvm::GlobalValue &g) { return api.contains(g.getName()); });
  retarget(*m, *spec);
  m->setDataLayout((*tm)->createDataLayout());
  std::string broken;
  llvm::raw_string_ostream why(broken);
  if (llvm::verifyModule(*m, &why))
    return makeError("the model's module for {} is not valid IR before optimising: {}", triple,
                     broken.substr(0, broken.find('\n')));
  optimise(*m, **tm, spec->host);
  if (llvm::verifyModule(*m, &why))
    return makeError("the model's module for {} is not valid IR after optimising: {}", triple,
                     broken.substr(0, broken.find('\n')));
  LlvmObject out;
  out.triple = triple;
  out.cpu = spec->cpu;
  if (options.emitLlvm) {
    llvm::raw_string_ostream ir(out.ir);
    m->print(ir, nullptr);
  }
  auto object = emitObject(*m, **tm);
  if (!object)
    return object.error();
  out.object = std::move(*object);
  return out;
}

namespace {

class LlvmTarget final : public Target {
public:
  explicit LlvmTarget(LlvmOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return "llvm"; }
  /// The int8 global average pool accumulates through rp_llvm_gap_rows; the float kernels
  /// pool whole maps, as in the C backend.
  bool accumulatesReductions(Precision precision) const override {
    return precision == Precision::Int8;
  }
  /// Not for the host CPU, whose RAM is not the limit: the chunked copies cost time (the
  /// face detector about 2%).
  bool runsDepthwiseInPlace() const override { return options_.target != "host"; }
  /// Not for the host CPU either: its objects pack a 1x1 conv's weights for all its output
  /// channels at once (rp_host_pack.h), which a group of them cannot be cut from.
  bool fusesExpansions() const override { return options_.target != "host"; }
  bool recomputesByDefault() const override { return options_.target != "host"; }
  Expected<std::vector<GeneratedFile>> emit(const LoweredModel &lowered,
                                            const CodegenOptions &options) const override {
    auto object = compile(lowered, options_);
    if (!object)
      return object.error();
    std::vector<GeneratedFile> files = {{"model.h", c::modelHeader(lowered, options)},
                                        {"model.o", std::move(object->object)}};
    if (options_.emitLlvm)
      files.push_back({"model.ll", std::move(object->ir)});
    return files;
  }

private:
  LlvmOptions options_;
};

} // namespace

std::unique_ptr<Target> makeLlvmTarget(const LlvmOptions &options) {
  return std::make_unique<LlvmTarget>(options);
}

} // namespace rnnpoolc::targets::llvmgen
