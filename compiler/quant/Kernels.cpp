// The kernel table (Kernels.def) as data.
#include "compiler/quant/Kernels.h"

#include <cassert>

namespace rnnpoolc::quant {
namespace {

/// A column's identifier as text; `none` is the empty string.
constexpr std::string_view column(std::string_view text) {
  return text == "none" ? std::string_view() : text;
}

/// The params type as C names it; std::monostate (no params) is empty.
constexpr std::string_view paramsColumn(std::string_view text) {
  return text == "std::monostate" ? std::string_view() : text;
}

constexpr KernelInfo kTable[] = {
#define RNNPOOLC_KERNEL(Kind, Name, Form, Function, FloatFunction, Params, InPlace, Scratch,   \
                        FloatScratch)                                                          \
  {KernelKind::Kind,       Name,    KernelForm::Form,                                          \
   column(#Function),      column(#FloatFunction),                                             \
   paramsColumn(#Params),  InPlace, column(#Scratch),                                          \
   column(#FloatScratch)},
#include "compiler/quant/Kernels.def"
};

} // namespace

CallShape callShape(KernelForm form) {
  switch (form) {
  case KernelForm::View:
  case KernelForm::ViewScratch: return CallShape::View;
  case KernelForm::Copy:
  case KernelForm::Unary:
  case KernelForm::Binary:
  case KernelForm::Pixels:
  case KernelForm::Gate:
  case KernelForm::Table: return CallShape::Rows;
  case KernelForm::WholeUnary:
  case KernelForm::WholeList: return CallShape::Whole;
  }
  return CallShape::Whole;
}

std::string_view name(KernelForm form) {
  switch (form) {
  case KernelForm::Copy: return "copy";
  case KernelForm::View: return "view";
  case KernelForm::ViewScratch: return "view+scratch";
  case KernelForm::Unary: return "unary";
  case KernelForm::Binary: return "binary";
  case KernelForm::Pixels: return "pixels";
  case KernelForm::Gate: return "gate";
  case KernelForm::Table: return "table";
  case KernelForm::WholeUnary: return "whole";
  case KernelForm::WholeList: return "whole list";
  }
  return "?";
}

std::span<const KernelInfo> kernelTable() { return kTable; }

const KernelInfo &kernelInfo(KernelKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < std::size(kTable) && kTable[index].kind == kind);
  return kTable[index];
}

std::string_view name(KernelKind kind) { return kernelInfo(kind).name; }

int64_t pixelChannels(const Layer &layer) {
  if (kernelInfo(layer.kind).form != KernelForm::Pixels)
    return 1;
  return std::visit(
      [](const auto &p) -> int64_t {
        if constexpr (requires { p.channels; })
          return p.channels;
        else
          return 1;
      },
      layer.params);
}

int64_t scratchBytes(const Layer &layer, int64_t cols) {
  // The one kernel with scratch; a new row with a Scratch function adds its case here (the
  // kernel-table test checks that every row with one gives a size).
  if (const auto *p = std::get_if<rp_rnnpool_params>(&layer.params))
    return static_cast<int64_t>(rp_rnnpool_scratch_bytes(p, static_cast<int32_t>(cols),
                                                         /*reuse=*/1));
  return 0;
}

} // namespace rnnpoolc::quant
