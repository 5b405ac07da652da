// The QEMU boards rnnpoolc builds firmware for (DESIGN.md section 7): machine names, memory
// sizes, linker scripts and the SysTick ticks -> instructions factor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rnnpoolc::qemu {

struct Board {
  std::string_view name;         ///< The --board value, e.g. "mps2-an386".
  std::string_view machine;      ///< qemu-system-arm -M value.
  std::string_view linkerScript; ///< One of the embedded board files.
  uint64_t flashBytes, ramBytes;
  /// Instructions per SysTick tick under -icount shift=0 (1 instruction = 1 ns): the
  /// processor clock is 25 MHz on mps2-an386 (40) and 168 MHz on netduinoplus2 (1000/168).
  /// Measured by fw_calibrate.c (tests/e2e/test_qemu_boards.py).
  double instructionsPerTick;
  uint32_t stackBytes; ///< The stack region the linker script reserves by default.
};

/// The board called `name`, or nullptr.
const Board *findBoard(std::string_view name);
/// "mps2-an386, netduinoplus2", for messages.
std::string boardNames();

} // namespace rnnpoolc::qemu
