// targets/c FloatKernels.def: the float kernel table is in FloatKind order, names each kind
// once, agrees with the int8 kernel table's float column, and every function and params
// type it names is declared by the float runtime header shipped with the float build.
#include "compiler/quant/Kernels.h"
#include "targets/EmbeddedFiles.h"
#include "targets/FloatLowering.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace rnnpoolc;
using targets::FloatKind;

namespace {

std::string floatRuntimeHeader() {
  for (const targets::EmbeddedFile &f : targets::floatRuntimeFiles())
    if (std::string_view(f.name) == "rnnpoolc_runtime_f32.h")
      return std::string(f.text());
  return "";
}

} // namespace

TEST_CASE("float kernel rows are in FloatKind order with distinct names") {
  std::set<std::string_view> names;
  const auto table = targets::floatKernelTable();
  REQUIRE(!table.empty());
  for (size_t i = 0; i < table.size(); ++i) {
    CHECK(static_cast<size_t>(table[i].kind) == i);
    CHECK(&targets::floatKernelInfo(table[i].kind) == &table[i]);
    CHECK(targets::name(table[i].kind) == table[i].name);
    CHECK(names.insert(table[i].name).second);
    CHECK(!table[i].function.empty());
  }
  // Only the view kernels take a scratch (RNNPool's summary cache).
  for (const auto &row : table)
    CHECK((row.scratch.empty() || row.shape == quant::CallShape::View));
}

TEST_CASE("the int8 table's float functions are rows of the float table") {
  std::set<std::string_view> functions;
  for (const auto &row : targets::floatKernelTable())
    functions.insert(row.function);
  for (const quant::KernelInfo &k : quant::kernelTable()) {
    if (k.floatFunction.empty())
      continue;
    INFO(k.name << " -> " << k.floatFunction);
    CHECK(functions.count(k.floatFunction) == 1);
  }
  // The scratch functions agree where both tables name one.
  const auto &rnnpool = targets::floatKernelInfo(FloatKind::RNNPool);
  CHECK(rnnpool.scratch == quant::kernelInfo(quant::KernelKind::RNNPool).floatScratch);
}

TEST_CASE("the float runtime header declares every function and params type of the table") {
  const std::string header = floatRuntimeHeader();
  REQUIRE(!header.empty());
  for (const auto &row : targets::floatKernelTable()) {
    INFO(row.name);
    CHECK(header.find(std::string(" ") + std::string(row.function) + "(") != std::string::npos);
    if (!row.paramsType.empty())
      CHECK(header.find("} " + std::string(row.paramsType) + ";") != std::string::npos);
    if (!row.scratch.empty())
      CHECK(header.find(std::string(row.scratch) + "(") != std::string::npos);
  }
}
