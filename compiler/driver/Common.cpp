// Option parsing and model loading shared by the subcommands.
#include "compiler/driver/Driver.h"
#include "compiler/passes/Passes.h"
#include "compiler/support/Escape.h"
#include "frontends/onnx/Importer.h"

#include <charconv>
#include <filesystem>
#include <cstdio>

namespace rnnpoolc::driver {

Expected<ir::Shape> parseShape(const std::string &text) {
  ir::Shape shape;
  const char *p = text.data(), *end = p + text.size();
  while (p < end) {
    int64_t dim = 0;
    auto [next, ec] = std::from_chars(p, end, dim);
    if (ec != std::errc() || dim <= 0)
      return makeError("bad shape '{}': expected positive dims like 1x3x224x224", text);
    shape.push_back(dim);
    p = next;
    if (p < end && (*p == 'x' || *p == ','))
      ++p;
    else if (p < end)
      return makeError("bad shape '{}': expected positive dims like 1x3x224x224", text);
  }
  if (shape.empty() || !ir::checkedNumel(shape))
    return makeError("bad shape '{}': expected positive dims like 1x3x224x224", text);
  return shape;
}

Status parseInputShape(const std::string &text, std::map<std::string, ir::Shape> &shapes) {
  size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return makeError("--input-shape takes NAME=DIMS, e.g. input=1x3x224x224, not '{}'", text);
  auto shape = parseShape(text.substr(eq + 1));
  if (!shape)
    return shape.error();
  shapes[text.substr(0, eq)] = *shape;
  return Status::ok();
}

Expected<LoadedModel> loadModel(const std::string &path,
                                const std::map<std::string, ir::Shape> &inputShapes) {
  onnx_frontend::ImportOptions options;
  options.inputShapes = inputShapes;
  auto imported = onnx_frontend::importModel(path, options);
  if (!imported)
    return makeError("{}: {}", path, imported.error().message());
  LoadedModel model;
  model.path = path;
  model.graph = std::move(imported->graph);
  model.importedNodes = model.graph.nodes.size();
  model.notes = std::move(imported->notes);
  for (const std::string &note : model.notes)
    std::fprintf(stderr, "note: %s\n", escapeForMessage(path + ": " + note).c_str());
  if (auto status = passes::canonicalize(model.graph); !status)
    return makeError("{}: {}", path, status.error().message());
  return model;
}

std::string outputPath(const std::string &base, size_t index, size_t count) {
  if (count == 1)
    return base;
  std::filesystem::path p(base);
  return (p.parent_path() / fmt::format("{}_{}{}", p.stem().string(), index,
                                        p.extension().string()))
      .string();
}

Status writeAllOrNothing(const std::vector<FileWriter> &files) {
  std::vector<std::pair<std::string, std::string>> staged; // (temporary, final)
  auto discard = [&] {
    std::error_code ec;
    for (const auto &[tmp, final] : staged)
      std::filesystem::remove(tmp, ec);
  };
  for (const FileWriter &file : files) {
    std::filesystem::path p(file.path);
    std::string tmp = (p.parent_path() / (".tmp-" + p.filename().string())).string() +
                      p.extension().string();
    staged.emplace_back(tmp, file.path);
    if (auto status = file.write(tmp); !status) {
      discard();
      return makeError("{}: {}", file.path, status.error().message());
    }
  }
  for (const auto &[tmp, final] : staged) {
    std::error_code ec;
    std::filesystem::rename(tmp, final, ec);
    if (ec) {
      discard();
      return makeError("{}: cannot write: {}", final, ec.message());
    }
  }
  return Status::ok();
}

} // namespace rnnpoolc::driver
