// Running a host object in process: ORC's LLJIT links model.o (the very object `rnnpoolc
// compile --backend llvm --target host` writes) against this process's C library and
// hands back the model.h API.
#include "targets/llvm/LlvmTarget.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>

#include <mutex>

namespace rnnpoolc::targets::llvmgen {

struct NativeModel::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  void (*run)(void *) = nullptr;
  void (*runStreamed)(void *, ReadRow, void *) = nullptr;
  void (*quantizeInput)(int32_t, const float *, int32_t, int32_t, void *) = nullptr;
  void (*quantizePixels)(int32_t, const float *, int32_t, int8_t *) = nullptr;
  const int8_t *(*output)(const void *, int32_t) = nullptr;
  int32_t (*outputBytes)(int32_t) = nullptr;
};

NativeModel::NativeModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
}
NativeModel::~NativeModel() = default;

Expected<std::unique_ptr<NativeModel>> NativeModel::load(const std::string &object,
                                                         bool streamed) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return makeError("cannot start LLVM's JIT: {}", llvm::toString(jit.takeError()));
  auto impl = std::make_unique<Impl>();
  impl->jit = std::move(*jit);
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      impl->jit->getDataLayout().getGlobalPrefix());
  if (!process)
    return makeError("cannot search this process for symbols: {}",
                     llvm::toString(process.takeError()));
  impl->jit->getMainJITDylib().addGenerator(std::move(*process));
  if (auto error =
          impl->jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(object, "model.o")))
    return makeError("cannot load model.o: {}", llvm::toString(std::move(error)));
  std::string missing;
  auto find = [&](const char *name, auto &into) {
    auto address = impl->jit->lookup(name);
    if (!address) {
      missing = llvm::toString(address.takeError());
      return;
    }
    into = address->toPtr<std::remove_reference_t<decltype(into)>>();
  };
  if (streamed)
    find("model_run", impl->runStreamed);
  else {
    find("model_run", impl->run);
    find("model_quantize_input", impl->quantizeInput);
  }
  find("model_quantize_pixels", impl->quantizePixels);
  find("model_output", impl->output);
  find("model_output_bytes", impl->outputBytes);
  if (!missing.empty())
    return makeError("model.o lacks the model.h API: {}", missing);
  return std::unique_ptr<NativeModel>(new NativeModel(std::move(impl)));
}

void NativeModel::run(void *arena, ReadRow readRow, void *user) const {
  if (impl_->runStreamed)
    impl_->runStreamed(arena, readRow, user);
  else
    impl_->run(arena);
}

void NativeModel::quantizeInput(int32_t index, const float *x, int32_t first, int32_t n,
                                void *arena) const {
  impl_->quantizeInput(index, x, first, n, arena);
}

void NativeModel::quantizePixels(int32_t index, const float *x, int32_t n, int8_t *dst) const {
  impl_->quantizePixels(index, x, n, dst);
}

const int8_t *NativeModel::output(const void *arena, int32_t index) const {
  return impl_->output(arena, index);
}

int32_t NativeModel::outputBytes(int32_t index) const {
  return impl_->outputBytes(index);
}

} // namespace rnnpoolc::targets::llvmgen
