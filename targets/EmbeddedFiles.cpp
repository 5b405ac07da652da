// Looking up and writing out the files compiled into rnnpoolc.
#include "targets/EmbeddedFiles.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace rnnpoolc::targets {

const EmbeddedFile *findFile(std::span<const EmbeddedFile> files, std::string_view name) {
  for (const EmbeddedFile &f : files)
    if (name == f.name)
      return &f;
  return nullptr;
}

Status writeFiles(std::span<const EmbeddedFile> files, const std::string &dir) {
  for (const EmbeddedFile &f : files) {
    std::string path = dir + "/" + f.name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(f.data), static_cast<std::streamsize>(f.size));
    if (!out)
      return makeError("{}: cannot write: {}", path, std::strerror(errno));
  }
  return Status::ok();
}

} // namespace rnnpoolc::targets
