// The table of QEMU boards.
#include "targets/qemu/Boards.h"

namespace rnnpoolc::qemu {
namespace {

constexpr Board kBoards[] = {
    {"mps2-an386", "mps2-an386", "mps2-an386.ld", 4u << 20, 4u << 20, 40.0, 0x10000},
    {"netduinoplus2", "netduinoplus2", "netduinoplus2.ld", 1u << 20, 128u << 10, 1000.0 / 168.0,
     0x1000},
};

} // namespace

const Board *findBoard(std::string_view name) {
  for (const Board &b : kBoards)
    if (b.name == name)
      return &b;
  return nullptr;
}

std::string boardNames() {
  std::string names;
  for (const Board &b : kBoards)
    names += (names.empty() ? "" : ", ") + std::string(b.name);
  return names;
}

} // namespace rnnpoolc::qemu
