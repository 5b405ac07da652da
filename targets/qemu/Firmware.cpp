// Firmware build (arm-none-eabi-gcc), QEMU runs and ELF image sizes.
#include "targets/qemu/Firmware.h"

#include "targets/EmbeddedFiles.h"
#include "targets/qemu/Process.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rnnpoolc::qemu {
namespace {

/// Compiler flags for the Cortex-M4F boards (hard float, DSP extension available).
const std::vector<std::string> kTargetFlags = {
    "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
    "-std=c99",        "-O2",     "-Wall",            "-Wextra",
    "-Werror",         "-pedantic", "-ffunction-sections", "-fdata-sections"};

/// The first line of a compiler log that names an error ("FILE:LINE:COL: error: ..."), or
/// else its first line: the log may start with "In file included from ..." context.
std::string firstErrorLine(const std::string &log) {
  size_t at = log.find(" error: ");
  if (at == std::string::npos)
    return firstLine(log);
  size_t begin = log.rfind('\n', at);
  return firstLine(log.substr(begin == std::string::npos ? 0 : begin + 1));
}

/// A one-line explanation of a failed link.
Error linkError(const FirmwareSpec &spec, const std::string &log) {
  if (log.find("region `FLASH' overflowed") != std::string::npos)
    return makeError("the model does not fit {}'s {} KB of flash: code and weights overflow it {}; "
                     "choose a board with more flash or a smaller model (a float build's "
                     "weights take 4 bytes each)",
                     spec.board->name, spec.board->flashBytes / 1024,
                     firstLine(log.substr(log.find("region `FLASH' overflowed") + 26)));
  if (log.find("overflowed") != std::string::npos ||
      log.find("does not fit") != std::string::npos)
    return makeError("the model does not fit {}'s {} KB of SRAM: its arena (the plan's peak) "
                     "is {} bytes, plus data, bss and a {}-byte stack; choose a board with "
                     "more RAM or plan with a smaller peak",
                     spec.board->name, spec.board->ramBytes / 1024, spec.arenaBytes,
                     spec.board->stackBytes);
  return makeError("firmware build for {} failed: {}", spec.board->name, firstErrorLine(log));
}

} // namespace

Expected<std::string> buildFirmware(const FirmwareSpec &spec, const FirmwareExtras &extras) {
  RNNPOOLC_TRY(targets::writeFiles(targets::qemuBoardFiles(), spec.dir));
  std::vector<std::string> argv = {"arm-none-eabi-gcc"};
  argv.insert(argv.end(), kTargetFlags.begin(), kTargetFlags.end());
  argv.push_back("-I.");
  for (const std::string &dir : spec.includeDirs)
    argv.push_back("-I" + dir);
  for (const std::string &d : spec.defines)
    argv.push_back("-D" + d);
  for (const std::string &h : extras.forceIncludes)
    argv.insert(argv.end(), {"-include", h});
  argv.insert(argv.end(), {"--specs=rdimon.specs", "-nostartfiles", "-L.",
                           "-T" + std::string(spec.board->linkerScript), "-Wl,--gc-sections",
                           "-o", "firmware.elf", "startup.c", "fw_io.c"});
  argv.insert(argv.end(), spec.sources.begin(), spec.sources.end());
  for (const std::string &lib : extras.libraries)
    argv.push_back("-l" + lib);
  auto result = runProcess(argv, spec.dir, spec.timeoutSeconds);
  if (!result)
    return makeError("{}; install gcc-arm-none-eabi and libnewlib-arm-none-eabi",
                     result.error().message());
  if (result->timedOut)
    return makeError("firmware build for {} took longer than {} s", spec.board->name,
                     spec.timeoutSeconds);
  std::string log = result->err + result->out;
  std::ofstream(spec.dir + "/build.log") << log;
  if (result->exitCode != 0) {
    if (log.find("ld:") != std::string::npos || log.find("collect2") != std::string::npos)
      return linkError(spec, log);
    return makeError("firmware build for {} failed (see {}/build.log): {}", spec.board->name,
                     spec.dir, firstErrorLine(log));
  }
  return spec.dir + "/firmware.elf";
}

Expected<ImageSizes> imageSizes(const std::string &elfPath) {
  std::ifstream in(elfPath, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto u16 = [&](size_t at) { uint16_t v; std::memcpy(&v, elf.data() + at, 2); return v; };
  auto u32 = [&](size_t at) { uint32_t v; std::memcpy(&v, elf.data() + at, 4); return v; };
  if (elf.size() < 52 || elf.compare(0, 4, "\x7f" "ELF") != 0 || elf[4] != 1 || elf[5] != 1)
    return makeError("{}: not a 32-bit little-endian ELF file", elfPath);
  uint32_t shoff = u32(32);
  uint16_t shentsize = u16(46), shnum = u16(48), shstrndx = u16(50);
  if (shentsize < 40 || shoff + uint64_t(shnum) * shentsize > elf.size() || shstrndx >= shnum)
    return makeError("{}: corrupt section headers", elfPath);
  uint32_t strtab = u32(shoff + shstrndx * shentsize + 16);
  ImageSizes sizes;
  for (uint16_t k = 0; k < shnum; ++k) {
    size_t h = shoff + size_t(k) * shentsize;
    uint32_t nameAt = strtab + u32(h);
    if (nameAt >= elf.size())
      return makeError("{}: corrupt section names", elfPath);
    std::string name(elf.c_str() + nameAt);
    uint64_t size = u32(h + 20);
    if (name == ".text" || name == ".isr_vector" || name == ".ARM.exidx")
      sizes.text += size;
    else if (name == ".rodata")
      sizes.rodata += size;
    else if (name == ".data")
      sizes.data += size;
    else if (name == ".bss")
      sizes.bss += size;
    else if (name == ".arena")
      sizes.arena += size;
    else if (name == ".heap")
      sizes.heap += size;
    else if (name == ".stack")
      sizes.stack += size;
  }
  return sizes;
}

namespace {

/// Splits the console into "rnnpoolc-fw: KEY VALUE" values and other text.
FirmwareRun parseConsole(const std::string &text) {
  FirmwareRun run;
  std::istringstream lines(text);
  std::string line;
  const std::string prefix = "rnnpoolc-fw: ";
  while (std::getline(lines, line)) {
    std::istringstream words(line.starts_with(prefix) ? line.substr(prefix.size()) : "");
    std::string key;
    uint64_t value;
    if (words >> key >> value && key != "fault")
      run.values[key].push_back(value);
    else
      run.console += line + "\n";
  }
  return run;
}

} // namespace

Expected<FirmwareRun> runFirmware(const Board &board, const std::string &elfPath,
                                  const std::string &cwd, double timeoutSeconds,
                                  const FirmwareValueFn &onValue) {
  std::vector<std::string> argv = {
      "qemu-system-arm", "-M",       std::string(board.machine), "-display", "none",
      "-monitor",        "none",     "-serial", "none",          "-semihosting-config",
      "enable=on,target=native",     "-icount", "shift=0",       "-kernel",
      std::filesystem::absolute(elfPath).string()};
  // Complete lines of each stream already passed to onValue.
  size_t scanned[2] = {0, 0};
  auto follow = [&](const std::string &out, const std::string &err) {
    const std::string *streams[2] = {&out, &err};
    for (int k = 0; k < 2; ++k) {
      size_t end = streams[k]->rfind('\n');
      if (end == std::string::npos || end + 1 <= scanned[k])
        continue;
      FirmwareRun part = parseConsole(streams[k]->substr(scanned[k], end + 1 - scanned[k]));
      scanned[k] = end + 1;
      for (const auto &[key, values] : part.values)
        for (uint64_t v : values)
          onValue(key, v);
    }
  };
  auto result = runProcess(argv, cwd, timeoutSeconds, onValue ? OutputFn(follow) : nullptr);
  if (!result)
    return makeError("{}; install qemu-system-arm", result.error().message());
  if (result->timedOut)
    return makeError("QEMU ({}) did not finish within {} s: the firmware hangs or the model "
                     "is too slow; raise --timeout",
                     board.name, timeoutSeconds);
  // QEMU writes the semihosting console to stderr, its own messages too.
  std::string console = result->out + result->err;
  FirmwareRun run = parseConsole(console);
  size_t fault = console.find("rnnpoolc-fw: fault");
  if (fault != std::string::npos)
    return makeError("the firmware faulted on {}: {}", board.name,
                     firstLine(console.substr(fault + 19)));
  if (result->signal != 0)
    return makeError("QEMU ({}) was killed by signal {}: {}", board.name, result->signal,
                     firstLine(result->err));
  if (result->exitCode != 0)
    return makeError("the firmware on {} exited with status {}: {}", board.name,
                     result->exitCode, firstLine(run.console));
  return run;
}

} // namespace rnnpoolc::qemu
