// targets/qemu: calibration firmware on both boards (instruction counts, semihosting file
// I/O, stack painting, values followed as they are printed), and the runner's errors for hangs,
// faults and oversized arenas.
#include "targets/qemu/Boards.h"
#include "targets/qemu/Firmware.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace rnnpoolc;
namespace fs = std::filesystem;

namespace {

/// A fresh build directory under the test binary's directory.
std::string freshDir(const std::string &name) {
  fs::path dir = fs::path(RNNPOOLC_BINARY_DIR) / "qemu-tests" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void writeText(const std::string &path, const std::string &text) { std::ofstream(path) << text; }

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("boards: table") {
  REQUIRE(qemu::findBoard("mps2-an386") != nullptr);
  REQUIRE(qemu::findBoard("netduinoplus2")->ramBytes == 128 * 1024);
  CHECK(qemu::findBoard("stm32") == nullptr);
  CHECK(qemu::boardNames() == "mps2-an386, netduinoplus2");
}

TEST_CASE("boards: calibration firmware counts instructions and does file I/O") {
  for (const char *name : {"mps2-an386", "netduinoplus2"}) {
    DYNAMIC_SECTION(name) {
      const qemu::Board &board = *qemu::findBoard(name);
      std::string dir = freshDir(std::string("calibrate-") + name);
      qemu::FirmwareSpec spec{&board, dir, {"fw_calibrate.c"}, {}, {}, 0, 120};
      auto elf = qemu::buildFirmware(spec);
      REQUIRE(elf);
      std::string input(64, '\0');
      std::mt19937 rng(7);
      for (char &c : input)
        c = static_cast<char>(rng());
      std::ofstream(dir + "/in.bin", std::ios::binary) << input;
      // The values are also seen one by one while the firmware runs (progress displays).
      std::map<std::string, std::vector<uint64_t>> followed;
      auto follow = [&](const std::string &key, uint64_t value) {
        followed[key].push_back(value);
      };
      auto run = qemu::runFirmware(board, *elf, dir, 60, follow);
      if (!run)
        FAIL(run.error().message());
      CHECK(followed == run->values);
      // 1M and 8M rounds of a 5-instruction loop, plus a few instructions of call overhead.
      double small = run->values.at("ticks_1M_loop").at(0) * board.instructionsPerTick;
      double large = run->values.at("ticks_8M_loop").at(0) * board.instructionsPerTick;
      CHECK(small == Approx(5e6).epsilon(1e-4));
      CHECK(large == Approx(40e6).epsilon(1e-4));
      std::string output = readBytes(dir + "/out.bin");
      CHECK(output == std::string(input.rbegin(), input.rend()));
      uint64_t stack = run->values.at("stack_high_water").at(0);
      CHECK(stack > 0);
      CHECK(stack < board.stackBytes);
      auto sizes = qemu::imageSizes(*elf);
      REQUIRE(sizes);
      CHECK(sizes->text > 1000);
      CHECK(sizes->stack == board.stackBytes);
    }
  }
}

TEST_CASE("boards: a hanging firmware times out with a clear error") {
  const qemu::Board &board = *qemu::findBoard("mps2-an386");
  std::string dir = freshDir("hang");
  writeText(dir + "/hang.c", "int main(void) { for (;;) { } }\n");
  auto elf = qemu::buildFirmware({&board, dir, {"hang.c"}, {}, {}, 0, 120});
  REQUIRE(elf);
  auto run = qemu::runFirmware(board, *elf, dir, 2);
  REQUIRE(!run);
  CHECK_THAT(run.error().message(), Catch::Contains("did not finish within 2 s"));
}

TEST_CASE("boards: a faulting firmware names the fault and its pc") {
  const qemu::Board &board = *qemu::findBoard("netduinoplus2");
  std::string dir = freshDir("fault");
  writeText(dir + "/fault.c", "int main(void) { __asm__ volatile(\"udf #0\"); return 0; }\n");
  auto elf = qemu::buildFirmware({&board, dir, {"fault.c"}, {}, {}, 0, 120});
  REQUIRE(elf);
  auto run = qemu::runFirmware(board, *elf, dir, 30);
  REQUIRE(!run);
  CHECK_THAT(run.error().message(), Catch::Contains("faulted on netduinoplus2"));
  CHECK_THAT(run.error().message(), Catch::Contains(" pc 0800"));
}

TEST_CASE("boards: an exit status reaches the host") {
  const qemu::Board &board = *qemu::findBoard("mps2-an386");
  std::string dir = freshDir("exit");
  writeText(dir + "/exit.c", "int main(void) { return 5; }\n");
  auto elf = qemu::buildFirmware({&board, dir, {"exit.c"}, {}, {}, 0, 120});
  REQUIRE(elf);
  auto run = qemu::runFirmware(board, *elf, dir, 30);
  REQUIRE(!run);
  CHECK_THAT(run.error().message(), Catch::Contains("exited with status 5"));
}

TEST_CASE("boards: an arena larger than the SRAM fails at link time, naming the peak") {
  const qemu::Board &board = *qemu::findBoard("netduinoplus2");
  std::string dir = freshDir("too-big");
  writeText(dir + "/big.c",
            "static volatile unsigned char arena[140000] "
            "__attribute__((section(\".arena\")));\n"
            "int main(void) { arena[7] = 1; return arena[7] - 1; }\n");
  auto elf = qemu::buildFirmware({&board, dir, {"big.c"}, {}, {}, 140000, 120});
  REQUIRE(!elf);
  CHECK_THAT(elf.error().message(), Catch::Contains("does not fit netduinoplus2's 128 KB"));
  CHECK_THAT(elf.error().message(), Catch::Contains("140000 bytes"));
  // The same arena fits mps2-an386's 4 MB.
  std::string dir2 = freshDir("too-big-mps2");
  writeText(dir2 + "/big.c", readBytes(dir + "/big.c"));
  CHECK(qemu::buildFirmware({qemu::findBoard("mps2-an386"), dir2, {"big.c"}, {}, {}, 140000,
                             120}));
}
