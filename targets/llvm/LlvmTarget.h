// The LLVM backend: the lowered model (targets/Lowered.h) as an llvm::Module, linked with
// the runtime's bitcode (compiled by clang at build time for each target triple and
// embedded), internalised except the model.h API, optimised (new pass manager, O3) so each
// kernel call specialises to its constant params, verified, and emitted as an object file
// for Cortex-M4 or the host CPU. The host object can also be loaded and run in process.
//
// Only targets/llvm includes LLVM headers; this interface is LLVM-free.
#pragma once

#include "targets/Target.h"

#include <cstdint>
#include <memory>
#include <string>

namespace rnnpoolc::targets::llvmgen {

struct LlvmOptions {
  std::string target = "cortex-m4"; ///< "cortex-m4" or "host".
  std::string cpu;                  ///< --cpu; empty: cortex-m4, or the host's own CPU.
  bool emitLlvm = false;            ///< Also return the optimised module as text (model.ll).
};

/// What compiling a lowered model produced.
struct LlvmObject {
  std::string object; ///< The relocatable object file (ELF).
  std::string ir;     ///< The optimised module's text, with emitLlvm.
  std::string triple, cpu;
};

/// Checks `options` (target, CPU) without building anything: the errors compile() would
/// give for them ("unknown --cpu 'x' for thumbv7em-none-eabihf; ...").
Status checkOptions(const LlvmOptions &options);

/// Builds, links, optimises, verifies and emits `lowered` as an object.
Expected<LlvmObject> compile(const LoweredModel &lowered, const LlvmOptions &options);

/// The backend as a Target: model.o, the C backend's model.h, and with emitLlvm model.ll.
std::unique_ptr<Target> makeLlvmTarget(const LlvmOptions &options);

/// A host object (compile() with target "host") loaded into this process. The functions
/// are the model.h API; a streamed model's model_run takes a row reader.
class NativeModel {
public:
  using ReadRow = void (*)(void *user, int32_t index, int32_t row, int8_t *dst);
  ~NativeModel();
  static Expected<std::unique_ptr<NativeModel>> load(const std::string &object, bool streamed);

  void run(void *arena, ReadRow readRow = nullptr, void *user = nullptr) const;
  void quantizeInput(int32_t index, const float *x, int32_t first, int32_t n,
                     void *arena) const;
  void quantizePixels(int32_t index, const float *x, int32_t n, int8_t *dst) const;
  const int8_t *output(const void *arena, int32_t index) const;
  int32_t outputBytes(int32_t index) const;

private:
  struct Impl;
  explicit NativeModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace rnnpoolc::targets::llvmgen
