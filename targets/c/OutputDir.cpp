// Atomic output directories (see OutputDir.h).
#include "targets/c/OutputDir.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace rnnpoolc::targets::c {
namespace fs = std::filesystem;

Status writeDirectoryAtomically(const std::string &dir, const std::vector<GeneratedFile> &files) {
  fs::path target = fs::absolute(dir).lexically_normal();
  if (target.filename().empty())
    target = target.parent_path();
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_directory(target, ec))
    return makeError("{}: exists and is not a directory; choose another -o", dir);
  fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  if (!fs::is_directory(parent, ec))
    return makeError("{}: cannot create the parent directory {}", dir, parent.string());
  std::string stem = "." + target.filename().string();
  fs::path tmp = parent / (stem + ".tmp-" + std::to_string(getpid()));
  fs::path old = parent / (stem + ".old-" + std::to_string(getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec))
    return makeError("{}: cannot create {}: {}", dir, tmp.string(), ec.message());
  for (const GeneratedFile &f : files) {
    fs::path path = tmp / f.name;
    std::ofstream out(path, std::ios::binary);
    out << f.text;
    out.close();
    if (!out) {
      int e = errno;
      fs::remove_all(tmp, ec);
      return makeError("{}: cannot write {}: {}", dir, f.name, std::strerror(e));
    }
  }
  bool hadOld = fs::exists(target, ec);
  if (hadOld)
    fs::rename(target, old, ec);
  if (!ec)
    fs::rename(tmp, target, ec);
  if (ec) {
    std::string why = ec.message();
    if (hadOld && !fs::exists(target))
      fs::rename(old, target, ec);
    fs::remove_all(tmp, ec);
    return makeError("{}: cannot replace the directory: {}", dir, why);
  }
  fs::remove_all(old, ec);
  return Status::ok();
}

} // namespace rnnpoolc::targets::c
