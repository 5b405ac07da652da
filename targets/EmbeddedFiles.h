// Files compiled into rnnpoolc (QEMU board files, runtime sources) that it writes into
// firmware build directories and generated-code output directories.
#pragma once

#include "compiler/support/Error.h"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace rnnpoolc::targets {

struct EmbeddedFile {
  const char *name; ///< Path relative to its source directory, e.g. "startup.c".
  const unsigned char *data;
  size_t size;
  std::string_view text() const { return {reinterpret_cast<const char *>(data), size}; }
};

/// targets/qemu: startup code, linker scripts, firmware services and the model harness.
std::span<const EmbeddedFile> qemuBoardFiles();
/// runtime/: the C99 fixed-point kernels and their headers.
std::span<const EmbeddedFile> runtimeFiles();
/// runtime/: the float build's kernels (rnnpoolc_runtime_f32*, rp_f32_*).
std::span<const EmbeddedFile> floatRuntimeFiles();

/// The file called `name` in `files`, or nullptr.
const EmbeddedFile *findFile(std::span<const EmbeddedFile> files, std::string_view name);
/// Writes each file into `dir` (which must exist).
Status writeFiles(std::span<const EmbeddedFile> files, const std::string &dir);

} // namespace rnnpoolc::targets
