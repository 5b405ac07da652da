// compiler/quant/Kernels.def: the kernel table is complete (a row for every kind, in order,
// each name once), every runtime name it gives is declared in the runtime headers shipped
// with generated code, and what it says about in-place execution holds for the plans the
// planner makes.
#include "compiler/plan/Builder.h"
#include "compiler/quant/Kernels.h"
#include "tests/unit/quant/QuantTestUtil.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>

using namespace rnnpoolc;
using namespace rnnpoolc::testing;

namespace {

std::string runtimeHeader(const std::string &name) {
  std::ifstream in(std::string(RNNPOOLC_SOURCE_DIR) + "/runtime/" + name);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Whether `header` declares function `name` with an API macro (RP_API / RP_F32_API).
bool declaresFunction(const std::string &header, std::string_view name) {
  const std::regex decl("RP(_F32)?_API [a-z0-9_ ]+[ *]" + std::string(name) + "\\(");
  return std::regex_search(header, decl);
}

/// Whether `header` defines struct type `name` with a typedef.
bool declaresType(const std::string &header, std::string_view name) {
  return std::regex_search(header, std::regex("\\} " + std::string(name) + ";"));
}

} // namespace

TEST_CASE("kernel table: one row per kernel kind, in enum order, names unique") {
  const auto table = quant::kernelTable();
  REQUIRE(!table.empty());
  std::set<std::string_view> names;
  for (size_t i = 0; i < table.size(); ++i) {
    INFO("row " << i << " (" << table[i].name << ")");
    CHECK(static_cast<size_t>(table[i].kind) == i);
    CHECK(&quant::kernelInfo(table[i].kind) == &table[i]);
    CHECK(!table[i].name.empty());
    CHECK(names.insert(table[i].name).second);
    CHECK(!table[i].function.empty());
    // Only forms without params have no params type, and those take none.
    const bool noParams =
        table[i].form == quant::KernelForm::Copy || table[i].form == quant::KernelForm::Table;
    CHECK(table[i].paramsType.empty() == noParams);
  }
  // The last enumerator is the last row: no kind without a row.
  CHECK(static_cast<size_t>(quant::KernelKind::Resize) + 1 == table.size());
}

TEST_CASE("kernel table: every function, scratch function and params type is declared in "
          "the runtime headers") {
  const std::string s8 = runtimeHeader("rnnpoolc_runtime.h");
  const std::string f32 = runtimeHeader("rnnpoolc_runtime_f32.h");
  for (const quant::KernelInfo &k : quant::kernelTable()) {
    INFO(k.name);
    CHECK(declaresFunction(s8, k.function));
    if (!k.paramsType.empty())
      CHECK(declaresType(s8, k.paramsType));
    if (!k.scratch.empty())
      CHECK(declaresFunction(s8, k.scratch));
    if (!k.floatFunction.empty())
      CHECK(declaresFunction(f32, k.floatFunction));
    if (!k.floatScratch.empty())
      CHECK(declaresFunction(f32, k.floatScratch));
    // A kernel with scratch in one build has it in the other.
    CHECK(k.scratch.empty() == k.floatScratch.empty());
  }
  // The checks above can fail: a name the headers do not declare is not found.
  CHECK_FALSE(declaresFunction(s8, "rp_no_such_kernel_s8"));
  CHECK_FALSE(declaresType(s8, "rp_no_such_params"));
}

TEST_CASE("kernel table: call shapes follow the forms") {
  using quant::CallShape;
  using quant::KernelForm;
  CHECK(quant::callShape(KernelForm::View) == CallShape::View);
  CHECK(quant::callShape(KernelForm::ViewScratch) == CallShape::View);
  for (KernelForm f : {KernelForm::Copy, KernelForm::Unary, KernelForm::Binary,
                       KernelForm::Pixels, KernelForm::Table})
    CHECK(quant::callShape(f) == CallShape::Rows);
  CHECK(quant::callShape(KernelForm::WholeUnary) == CallShape::Whole);
  CHECK(quant::callShape(KernelForm::WholeList) == CallShape::Whole);
  for (const quant::KernelInfo &k : quant::kernelTable()) {
    INFO(k.name);
    // Scratch is sized per region, so only view kernels have it.
    CHECK(k.scratch.empty() == (k.form != KernelForm::ViewScratch));
  }
}

TEST_CASE("kernel table: a step the plan runs in place is a kernel that may run in place") {
  // Elementwise layers (two tables, an add) and a Pad whose input dies there: the planner
  // computes them over that input when layers run one after the other.
  Builder b;
  ir::TensorId x = b.input("x", {1, 2, 12, 12});
  ir::TensorId c = b.node(ir::OpKind::Conv, "c", {x, b.constant("w", {4, 2, 3, 3})}, conv3x3());
  ir::TensorId s = b.node(ir::OpKind::Sigmoid, "s", {c});
  ir::TensorId t = b.node(ir::OpKind::Tanh, "t", {s});
  ir::TensorId a = b.node(ir::OpKind::Add, "a", {t, c});
  ir::TensorId p = b.node(ir::OpKind::Pad, "p", {a, b.ints("pads", {0, 0, 1, 2, 0, 0, 2, 1})});
  std::vector<std::vector<ir::TensorData>> calib;
  quant::QuantizedModel m = quantizeBuilt(b, p, calib);
  plan::Schedule layers;
  for (size_t n = 0; n < m.graph.nodes.size(); ++n)
    layers.order.push_back(n);
  plan::BuildOptions options;
  options.inPlace = true;
  auto made = plan::buildPlan(m.graph, layers, options);
  REQUIRE(made);
  int inPlace = 0;
  for (const plan::Step &st : made->steps) {
    if (st.kind != plan::StepKind::Compute || made->buffers[st.outputs[0]].aliasOf < 0)
      continue;
    ++inPlace;
    INFO("node " << m.graph.nodes[st.node].name);
    CHECK(quant::kernelInfo(m.layers[st.node].kind).inPlace);
  }
  CHECK(inPlace >= 3); // the graph is built so that the planner does run layers in place
}
