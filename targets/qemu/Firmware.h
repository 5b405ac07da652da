// Building firmware for a QEMU board with arm-none-eabi-gcc, running it in qemu-system-arm
// under a time limit, and measuring the image. Errors are one line and say what to do.
#pragma once

#include "compiler/support/Error.h"
#include "targets/qemu/Boards.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rnnpoolc::qemu {

struct FirmwareSpec {
  const Board *board = nullptr;
  std::string dir;                  ///< Build directory: board files and the ELF go here.
  std::vector<std::string> sources; ///< C sources (paths relative to dir or absolute),
                                    ///< besides the board's startup.c and fw_io.c.
  std::vector<std::string> includeDirs;
  std::vector<std::string> defines; ///< "NAME" or "NAME=VALUE".
  uint64_t arenaBytes = 0;          ///< The plan's peak, named when the image does not fit.
  double timeoutSeconds = 300;      ///< For the compiler and the linker.
};

/// What some firmware builds add: the float build links libm, the profile build
/// force-includes fw_profile.h.
struct FirmwareExtras {
  std::vector<std::string> forceIncludes; ///< Headers included before each source (-include).
  std::vector<std::string> libraries;     ///< Link libraries after the sources, e.g. "m".
};

/// Writes the board files into spec.dir, compiles and links firmware.elf there. Returns the
/// ELF's path. A model whose arena does not fit the board fails here, naming the peak.
Expected<std::string> buildFirmware(const FirmwareSpec &spec, const FirmwareExtras &extras = {});

/// Sizes of a linked image, from its ELF section headers.
struct ImageSizes {
  uint64_t text = 0, rodata = 0, data = 0, bss = 0, arena = 0, heap = 0, stack = 0;
  uint64_t flash() const { return text + rodata + data; } ///< data's initial values too
};
Expected<ImageSizes> imageSizes(const std::string &elfPath);

/// What the firmware printed: every "rnnpoolc-fw: KEY VALUE" line, values in order.
struct FirmwareRun {
  std::map<std::string, std::vector<uint64_t>> values;
  std::string console; ///< Everything else it printed.
};

/// Called with each "rnnpoolc-fw: KEY VALUE" line as the firmware prints it.
using FirmwareValueFn = std::function<void(const std::string &key, uint64_t value)>;

/// Runs the ELF in QEMU (semihosting files relative to `cwd`, -icount shift=0). Errors: a
/// timeout, a fault (with the faulting PC), a nonzero exit status. `onValue`, if given,
/// follows the run (e.g. one "ticks" value per inference, for a progress display).
Expected<FirmwareRun> runFirmware(const Board &board, const std::string &elfPath,
                                  const std::string &cwd, double timeoutSeconds,
                                  const FirmwareValueFn &onValue = nullptr);

} // namespace rnnpoolc::qemu
