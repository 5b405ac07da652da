// Writing a whole output directory atomically: every file goes into a temporary sibling
// directory, which replaces the target only when all of it was written.
#pragma once

#include "compiler/support/Error.h"
#include "targets/c/CEmitter.h"

#include <string>
#include <vector>

namespace rnnpoolc::targets::c {

/// Writes `files` as directory `dir`, replacing an existing directory of that name only on
/// success. On failure nothing changes at `dir` and the temporary is removed.
Status writeDirectoryAtomically(const std::string &dir, const std::vector<GeneratedFile> &files);

} // namespace rnnpoolc::targets::c
