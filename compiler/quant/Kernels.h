// The kernel table as data (rows in Kernels.def): for each KernelKind its runtime function,
// params struct, call form and shape, in-place capability and scratch. The fixed-point
// interpreter, the lowered model and every backend read a kernel's contract from here.
#pragma once

#include "compiler/quant/Quantize.h"

#include <span>
#include <string_view>

namespace rnnpoolc::quant {

/// How a kernel is called (Kernels.def lists the arguments of each form).
enum class KernelForm {
  Copy,
  View,
  ViewScratch,
  Unary,
  Binary,
  Pixels,
  Gate,
  Table,
  WholeUnary,
  WholeList
};

/// How a kernel consumes a step's region of its output.
enum class CallShape {
  View,  ///< rp_view / rp_region kernels: any region, rings and tiles included
  Rows,  ///< (pointer, count) kernels: called once per row of the region
  Whole, ///< whole tensors only: one step over the whole output
};
CallShape callShape(KernelForm form);
std::string_view name(KernelForm form);

/// One row of the kernel table. Absent functions are empty strings.
struct KernelInfo {
  KernelKind kind;
  std::string_view name;          ///< "conv", as reports and generated comments print it
  KernelForm form;
  std::string_view function;      ///< int8 runtime function (rnnpoolc_runtime.h)
  std::string_view floatFunction; ///< float kernel (rnnpoolc_runtime_f32.h), or empty
  std::string_view paramsType;    ///< "rp_conv_params", or empty for none
  bool inPlace;                   ///< may write over an input of its output's size
  std::string_view scratch;       ///< scratch-size function of `function`, or empty
  std::string_view floatScratch;  ///< scratch-size function of `floatFunction`, or empty
  CallShape shape() const { return callShape(form); }
};

/// Every row, in KernelKind order.
std::span<const KernelInfo> kernelTable();
const KernelInfo &kernelInfo(KernelKind kind);

/// The channels of each pixel of a Pixels-form layer (its params' `channels`), else 1.
int64_t pixelChannels(const Layer &layer);

/// Bytes of working memory the layer's int8 kernel needs for a region `cols` output
/// columns wide (its Scratch function, with summaries reused across the region); 0 for
/// kernels without scratch.
int64_t scratchBytes(const Layer &layer, int64_t cols);

} // namespace rnnpoolc::quant
