// The model's module (see ModelModule.h): what targets/c prints as model.c and
// model_weights.c, built as LLVM IR.
#include "targets/llvm/ModelModule.h"

#include "targets/FloatLowering.h"

#include <fmt/format.h>
#include <map>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/IRBuilder.h>

namespace rnnpoolc::targets::llvmgen {
namespace {

using llvm::Constant;
using llvm::ConstantInt;

class Builder {
public:
  Builder(const LoweredModel &lowered, const llvm::Module &runtime)
      : l_(lowered), runtime_(runtime), ctx_(runtime.getContext()),
        m_(std::make_unique<llvm::Module>("model", ctx_)),
        ptr_(llvm::PointerType::get(ctx_, 0)), i32_(llvm::Type::getInt32Ty(ctx_)) {
    m_->setTargetTriple(runtime.getTargetTriple());
    m_->setDataLayout(runtime.getDataLayout());
  }
  Expected<std::unique_ptr<llvm::Module>> run();

private:
  const LoweredModel &l_;
  const llvm::Module &runtime_;
  llvm::LLVMContext &ctx_;
  std::unique_ptr<llvm::Module> m_;
  llvm::PointerType *ptr_;
  llvm::IntegerType *i32_;
  std::vector<llvm::GlobalVariable *> arrays_; ///< Per LoweredModel::arrays.
  llvm::GlobalVariable *buffers_ = nullptr;
  std::map<size_t, llvm::GlobalVariable *> params_; ///< Per node: its params, once made.

  Expected<llvm::StructType *> type(const std::string &name) const;
  Expected<llvm::FunctionCallee> function(const std::string &name);
  llvm::GlobalVariable *constant(Constant *init, const std::string &name);
  Constant *integer(llvm::Type *type, int64_t value) const;
  Expected<Constant *> structValue(llvm::StructType *type,
                                   const std::vector<ParamValue> &fields, Constant *rows,
                                   const std::string &what) const;
  Status arrays();
  Expected<llvm::GlobalVariable *> params(const LoweredLayer &layer);
  Status tables(std::vector<llvm::Function *> &layers);
  Expected<llvm::Function *> layerFunction(const LoweredLayer &layer);
  Status floatCall(llvm::IRBuilder<> &b, const LoweredLayer &layer, llvm::FunctionCallee kernel,
                   Constant *params, llvm::Value *arena, llvm::Value *step);
  /// "rp_step" or, in a float build, "rp_step_f32": the runtime's names differ by suffix.
  std::string runtimeName(const char *name) const {
    return std::string(name) + (l_.precision == Precision::Float ? "_f32" : "");
  }
  bool isFloat() const { return l_.precision == Precision::Float; }
  Status api();
};

Expected<llvm::StructType *> Builder::type(const std::string &name) const {
  llvm::StructType *t = llvm::StructType::getTypeByName(ctx_, "struct." + name);
  if (!t || t->isOpaque())
    return makeError("type '{}' is missing from the runtime bitcode for {}; rebuild rnnpoolc",
                     name, runtime_.getTargetTriple());
  return t;
}

Expected<llvm::FunctionCallee> Builder::function(const std::string &name) {
  const llvm::Function *f = runtime_.getFunction(name);
  if (!f || f->isDeclaration())
    return makeError("kernel '{}' is missing from the runtime bitcode for {}; rebuild rnnpoolc",
                     name, runtime_.getTargetTriple());
  return m_->getOrInsertFunction(name, f->getFunctionType());
}

llvm::GlobalVariable *Builder::constant(Constant *init, const std::string &name) {
  return new llvm::GlobalVariable(*m_, init->getType(), /*isConstant=*/true,
                                  llvm::GlobalValue::InternalLinkage, init, name);
}

Constant *Builder::integer(llvm::Type *type, int64_t value) const {
  const unsigned bits = type->getIntegerBitWidth();
  return ConstantInt::get(type,
                          llvm::APInt(bits, static_cast<uint64_t>(value) &
                                                (bits >= 64 ? ~0ull : (1ull << bits) - 1)));
}

Expected<Constant *> Builder::structValue(llvm::StructType *type,
                                          const std::vector<ParamValue> &fields, Constant *rows,
                                          const std::string &what) const {
  if (fields.size() != type->getNumElements())
    return makeError("{}: the params have {} fields but the runtime bitcode's {} has {}; "
                     "rebuild rnnpoolc",
                     what, fields.size(), type->getName().str(), type->getNumElements());
  std::vector<Constant *> values;
  for (size_t k = 0; k < fields.size(); ++k) {
    const ParamValue &v = fields[k];
    llvm::Type *field = type->getElementType(static_cast<unsigned>(k));
    auto mismatch = [&]() {
      return makeError("{}: field '{}' does not match the runtime bitcode's {}", what, v.field,
                       type->getName().str());
    };
    switch (v.kind) {
    case ParamValue::Kind::Int:
      if (!field->isIntegerTy())
        return mismatch();
      values.push_back(integer(field, v.value));
      break;
    case ParamValue::Kind::Float:
      if (!field->isFloatTy())
        return mismatch();
      values.push_back(llvm::ConstantFP::get(field, static_cast<double>(v.real)));
      break;
    case ParamValue::Kind::Array:
      if (!field->isPointerTy())
        return mismatch();
      values.push_back(v.array < 0 ? Constant::getNullValue(field)
                                   : arrays_.at(static_cast<size_t>(v.array)));
      break;
    case ParamValue::Kind::Rows:
      if (!field->isPointerTy() || !rows)
        return mismatch();
      values.push_back(rows);
      break;
    case ParamValue::Kind::List: {
      auto *array = llvm::dyn_cast<llvm::ArrayType>(field);
      if (!array || array->getNumElements() != v.list.size() ||
          !array->getElementType()->isIntegerTy())
        return mismatch();
      std::vector<Constant *> items;
      for (int64_t x : v.list)
        items.push_back(integer(array->getElementType(), x));
      values.push_back(llvm::ConstantArray::get(array, items));
      break;
    }
    case ParamValue::Kind::Struct: {
      auto *inner = llvm::dyn_cast<llvm::StructType>(field);
      if (!inner)
        return mismatch();
      auto value = structValue(inner, v.fields, rows, what + "." + v.field);
      if (!value)
        return value.error();
      values.push_back(*value);
      break;
    }
    }
  }
  return llvm::ConstantStruct::get(type, values);
}

/// The constant arrays, as the C backend names them ("model_s3_conv_weights").
Status Builder::arrays() {
  for (const LoweredArray &a : l_.arrays) {
    if (a.sameAs >= 0) { // another's values: that one's global
      arrays_.push_back(arrays_.at(static_cast<size_t>(a.sameAs)));
      continue;
    }
    Constant *init = nullptr;
    const std::string_view ctype = a.ctype();
    if (ctype == "float")
      init = llvm::ConstantDataArray::get(ctx_, llvm::ArrayRef<float>(*a.floats));
    else if (ctype == "int8_t")
      init = llvm::ConstantDataArray::get(
          ctx_, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(a.data->s8.data()),
                                        a.data->s8.size()));
    else if (ctype == "int16_t")
      init = llvm::ConstantDataArray::get(
          ctx_, llvm::ArrayRef<uint16_t>(
                    reinterpret_cast<const uint16_t *>(a.data->s16.data()), a.data->s16.size()));
    else if (ctype == "int32_t" || ctype == "uint32_t")
      init = llvm::ConstantDataArray::get(
          ctx_, llvm::ArrayRef<uint32_t>(
                    reinterpret_cast<const uint32_t *>(a.data->s32.data()), a.data->s32.size()));
    else
      return makeError("array '{}' of node {} has element type '{}', which the LLVM backend "
                       "does not know",
                       a.field, a.layer, ctype);
    std::string name = "model_" + l_.layers[a.layer].name + "_" + a.field;
    for (char &c : name)
      if (c == '.')
        c = '_';
    llvm::GlobalVariable *g = constant(init, name);
    g->setAlignment(llvm::Align(4));
    arrays_.push_back(g);
  }
  return Status::ok();
}

/// The layer's params (and the struct rows they point to) as a constant of the runtime's
/// type, or nullptr for a kernel without params.
Expected<llvm::GlobalVariable *> Builder::params(const LoweredLayer &layer) {
  if (layer.paramsType().empty())
    return nullptr;
  // (Once per layer: a fused depthwise conv's steps pass its expansion's as well.)
  if (auto made = params_.find(layer.node); made != params_.end())
    return made->second;
  Constant *rows = nullptr;
  const std::string what = fmt::format("node {} ('{}')", layer.node, layer.name);
  if (!layer.rowsType.empty()) {
    auto rowType = type(layer.rowsType);
    if (!rowType)
      return rowType.error();
    std::vector<Constant *> items;
    for (const std::vector<ParamValue> &row : layer.rows) {
      auto item = structValue(*rowType, row, nullptr, what);
      if (!item)
        return item.error();
      items.push_back(*item);
    }
    rows =
        constant(llvm::ConstantArray::get(llvm::ArrayType::get(*rowType, items.size()), items),
                 layer.name + "_inputs");
  }
  auto paramsType = type(std::string(layer.paramsType()));
  if (!paramsType)
    return paramsType.error();
  auto value = structValue(*paramsType, layer.params, rows, what);
  if (!value)
    return value.error();
  return params_[layer.node] = constant(*value, layer.name);
}

/// model_layer_N(arena, step): the kernel's form helper (rp_llvm_glue.c) called with the
/// kernel and the layer's constants.
Expected<llvm::Function *> Builder::layerFunction(const LoweredLayer &layer) {
  auto kernel = function(std::string(layer.function()));
  if (!kernel)
    return kernel.error();
  auto p = params(layer);
  if (!p)
    return p.error();
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx_), {ptr_, ptr_}, false);
  auto *f = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage,
                                   fmt::format("model_layer_{}", layer.node), *m_);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", f));
  llvm::Value *arena = f->getArg(0), *step = f->getArg(1);
  Constant *fn = llvm::cast<Constant>(kernel->getCallee());
  Constant *prm = *p ? static_cast<Constant *>(*p) : Constant::getNullValue(ptr_);
  const auto values = static_cast<int32_t>(layer.outChannels);
  auto call = [&](const char *helper, std::vector<llvm::Value *> args) -> Status {
    auto h = function(helper);
    if (!h)
      return h.error();
    b.CreateCall(*h, args);
    return Status::ok();
  };
  Status status = Status::ok();
  if (isFloat()) {
    status = floatCall(b, layer, *kernel, prm, arena, step);
  } else if (layer.accumulate) {
    status = call("rp_llvm_gap_rows", {prm, buffers_, arena, step});
  } else if (layer.wholeCopy) {
    status = call("rp_llvm_whole_copy", {fn, buffers_, arena, step,
                                         b.getInt32(static_cast<uint32_t>(layer.copyCount))});
  } else {
    switch (layer.kernel->form) {
    case quant::KernelForm::View:
      if (layer.fusedExpansion >= 0) { // its steps compute the expansion before it, too
        auto fused = function(layer.fuseRows ? "rp_expand_dw_rows_s8" : "rp_expand_dw_s8");
        if (!fused)
          return fused.error();
        auto expand = params(l_.layers.at(static_cast<size_t>(layer.fusedExpansion)));
        if (!expand)
          return expand.error();
        status = call(layer.fuseRows ? "rp_llvm_expand_dw_rows" : "rp_llvm_expand_dw",
                      {llvm::cast<Constant>(fused->getCallee()), *expand, prm, buffers_, arena,
                       step, b.getInt32(static_cast<uint32_t>(layer.fuseGroup))});
      } else if (layer.inPlaceChunk > 0) {
        auto inPlace = function("rp_conv_in_place_s8");
        if (!inPlace)
          return inPlace.error();
        status = call("rp_llvm_view_in_place",
                      {fn, llvm::cast<Constant>(inPlace->getCallee()), prm, buffers_, arena,
                       step, b.getInt32(static_cast<uint32_t>(layer.inPlaceChunk))});
      } else
        status = call("rp_llvm_view", {fn, prm, buffers_, arena, step});
      break;
    case quant::KernelForm::ViewScratch:
      status = call("rp_llvm_view_scratch", {fn, prm, buffers_, arena, step});
      break;
    case quant::KernelForm::Copy:
      status = call("rp_llvm_copy", {fn, buffers_, arena, step, b.getInt32(values)});
      break;
    case quant::KernelForm::Unary:
      status = call("rp_llvm_unary", {fn, prm, buffers_, arena, step, b.getInt32(values)});
      break;
    case quant::KernelForm::Table:
      status = call("rp_llvm_unary", {fn, arrays_.at(static_cast<size_t>(layer.arrays.at(0))),
                                      buffers_, arena, step, b.getInt32(values)});
      break;
    case quant::KernelForm::Binary:
      status = call("rp_llvm_binary", {fn, prm, buffers_, arena, step, b.getInt32(values)});
      break;
    case quant::KernelForm::Pixels:
      status = call("rp_llvm_pixels", {fn, prm, buffers_, arena, step, b.getInt32(values),
                                       b.getInt32(static_cast<uint32_t>(layer.pixelChannels))});
      break;
    case quant::KernelForm::Gate:
      status = call("rp_llvm_gate",
                    {fn, prm, buffers_, arena, step, b.getInt32(layer.perPixelGate ? 1 : 0)});
      break;
    case quant::KernelForm::WholeUnary:
      status = call("rp_llvm_whole", {fn, prm, buffers_, arena, step});
      break;
    case quant::KernelForm::WholeList: {
      std::vector<Constant *> list;
      for (int buffer : layer.wholeInputs)
        list.push_back(b.getInt32(static_cast<uint32_t>(buffer)));
      auto *listType = llvm::ArrayType::get(i32_, list.size());
      Constant *table =
          constant(llvm::ConstantArray::get(listType, list), layer.name + "_list");
      llvm::Value *ptrs = b.CreateAlloca(ptr_, b.getInt32(static_cast<uint32_t>(list.size())));
      const auto count = b.getInt32(static_cast<uint32_t>(list.size()));
      status =
          layer.banded // a channel Concat in row bands
              ? call("rp_llvm_concat_rows", {prm, buffers_, arena, step, table, count, ptrs})
              : call("rp_llvm_whole_list",
                     {fn, prm, buffers_, arena, step, table, count, ptrs});
      break;
    }
    }
  }
  if (!status)
    return status.error();
  b.CreateRetVoid();
  return f;
}

/// The body of a float layer function: View kernels through the view helpers of
/// rp_llvm_glue_f32.c, Rows kernels of a banded layer through its row helpers, and a layer
/// run once over whole tensors as one direct call of its kernel on arena addresses.
Status Builder::floatCall(llvm::IRBuilder<> &b, const LoweredLayer &layer,
                          llvm::FunctionCallee kernel, Constant *params, llvm::Value *arena,
                          llvm::Value *step) {
  auto call = [&](const char *helper, std::vector<llvm::Value *> args) -> Status {
    auto h = function(helper);
    if (!h)
      return h.error();
    b.CreateCall(*h, args);
    return Status::ok();
  };
  Constant *fn = llvm::cast<Constant>(kernel.getCallee());
  const ir::Node &node = l_.graph->nodes[layer.node];
  const ir::Shape &y = l_.graph->tensor(node.outputs[0]).shape;
  llvm::Value *values = b.getInt32(static_cast<uint32_t>(layer.outChannels));
  if (layer.callShape() == quant::CallShape::View)
    return call(layer.floatKernel->scratch.empty() ? "rp_llvm_f32_view"
                                                   : "rp_llvm_f32_view_scratch",
                {fn, params, buffers_, arena, step});
  if (layer.banded) {
    switch (layer.floatKind) {
    case FloatKind::Alias:
      return call("rp_llvm_f32_copy_rows", {buffers_, arena, step, values});
    case FloatKind::Unary:
      return call("rp_llvm_f32_unary_rows", {params, buffers_, arena, step, values});
    case FloatKind::Add:
      return call("rp_llvm_f32_add_rows", {buffers_, arena, step, values});
    case FloatKind::L2Norm:
      return call("rp_llvm_f32_l2norm_rows", {params, buffers_, arena, step});
    case FloatKind::ChannelShuffle:
      return call("rp_llvm_f32_channel_shuffle_rows", {params, buffers_, arena, step});
    case FloatKind::ChannelStep:
      return call("rp_llvm_f32_channel_step_rows", {params, buffers_, arena, step});
    case FloatKind::Concat: { // along the channels, its inputs' buffers listed
      std::vector<Constant *> list;
      for (int buffer : layer.wholeInputs)
        list.push_back(b.getInt32(static_cast<uint32_t>(buffer)));
      Constant *table =
          constant(llvm::ConstantArray::get(llvm::ArrayType::get(i32_, list.size()), list),
                   layer.name + "_list");
      const auto count = b.getInt32(static_cast<uint32_t>(list.size()));
      return call("rp_llvm_f32_concat_rows",
                  {params, buffers_, arena, step, table, count, b.CreateAlloca(ptr_, count)});
    }
    case FloatKind::Binary: {
      std::vector<llvm::Value *> args = {params, buffers_, arena, step};
      for (const LoweredOperand &op : layer.operands)
        args.push_back(op.array < 0 ? Constant::getNullValue(ptr_)
                                    : arrays_.at(static_cast<size_t>(op.array)));
      for (const LoweredOperand &op : layer.operands)
        args.push_back(b.getInt32(static_cast<uint32_t>(op.slot)));
      args.push_back(b.getInt32(static_cast<uint32_t>(y.at(3))));
      return call("rp_llvm_f32_binary_rows", args);
    }
    default:
      return makeError("internal: node {} ('{}'): float kernel {} has no rows form", layer.node,
                       layer.name, layer.kernelName());
    }
  }
  if (layer.wholeOutputs.empty())
    return Status::ok(); // no step runs it
  auto at = [&](int buffer) -> llvm::Value * {
    return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), arena,
                                        static_cast<uint64_t>(l_.buffers.at(buffer).offset));
  };
  auto in = [&](size_t k) { return at(layer.wholeInputs.at(k)); };
  llvm::Value *out = at(layer.wholeOutputs.at(0));
  auto list = [&](const std::vector<int> &buffers) {
    llvm::Value *ptrs = b.CreateAlloca(llvm::ArrayType::get(ptr_, buffers.size()));
    for (size_t k = 0; k < buffers.size(); ++k)
      b.CreateStore(at(buffers[k]), b.CreateConstInBoundsGEP2_32(
                                        llvm::ArrayType::get(ptr_, buffers.size()), ptrs, 0,
                                        static_cast<unsigned>(k)));
    return ptrs;
  };
  const auto count = static_cast<uint32_t>(ir::checkedNumel(y).value_or(0));
  if (callsParamsInOut(layer.floatKind)) {
    b.CreateCall(kernel, {params, in(0), out});
    return Status::ok();
  }
  switch (layer.floatKind) {
  case FloatKind::Alias:
    b.CreateCall(kernel, {in(0), out, b.getInt32(static_cast<uint32_t>(layer.copyCount))});
    return Status::ok();
  case FloatKind::ChannelStep:
    b.CreateCall(kernel, {params, in(0), out, b.getInt32(static_cast<uint32_t>(layer.pixels))});
    return Status::ok();
  case FloatKind::Add:
    b.CreateCall(kernel, {in(0), in(1), out, b.getInt32(count)});
    return Status::ok();
  case FloatKind::Unary:
    b.CreateCall(kernel, {params, in(0), out, b.getInt32(count)});
    return Status::ok();
  case FloatKind::Binary: {
    llvm::Value *operands[2];
    for (size_t k = 0; k < 2; ++k) {
      const LoweredOperand &op = layer.operands.at(k);
      operands[k] = op.array < 0 ? in(op.input) : arrays_.at(static_cast<size_t>(op.array));
    }
    b.CreateCall(kernel, {params, operands[0], operands[1], out});
    return Status::ok();
  }
  case FloatKind::Split:
    b.CreateCall(kernel, {params, in(0), list(layer.wholeOutputs)});
    return Status::ok();
  case FloatKind::Concat:
    b.CreateCall(kernel, {params, list(layer.wholeInputs), out});
    return Status::ok();
  default:
    break; // View kernels and callsParamsInOut, above
  }
  return makeError("internal: node {} ('{}'): no whole-tensor call for float kernel {}",
                   layer.node, layer.name, layer.kernelName());
}

/// model_buffers and model_steps (rp_schedule.h), and the layer functions' table.
Status Builder::tables(std::vector<llvm::Function *> &layers) {
  auto bufferType = type(runtimeName("rp_buffer"));
  auto stepType = type(runtimeName("rp_step"));
  if (!bufferType)
    return bufferType.error();
  if (!stepType)
    return stepType.error();
  std::vector<Constant *> buffers;
  for (const LoweredBuffer &x : l_.buffers) {
    std::vector<ParamValue> f(7);
    const int64_t v[7] = {x.offset, x.row0, x.col0, x.rows, x.cols, x.ringRows, x.channels};
    for (int k = 0; k < 7; ++k)
      f[static_cast<size_t>(k)].value = v[k];
    auto value = structValue(*bufferType, f, nullptr, "a buffer");
    if (!value)
      return value.error();
    buffers.push_back(*value);
  }
  if (buffers.empty())
    buffers.push_back(Constant::getNullValue(*bufferType));
  buffers_ = constant(
      llvm::ConstantArray::get(llvm::ArrayType::get(*bufferType, buffers.size()), buffers),
      "model_buffers");
  std::vector<Constant *> steps;
  for (const LoweredStep &s : l_.steps) {
    std::vector<ParamValue> f(9);
    const int64_t v[9] = {s.layer,       s.out,         0,
                          s.scratch,     s.region.row0, s.region.row1,
                          s.region.col0, s.region.col1, s.carry ? 1 : 0};
    for (int k = 0; k < 9; ++k)
      f[static_cast<size_t>(k)].value = v[k];
    f[2].kind = ParamValue::Kind::List;
    f[2].list = {s.in[0], s.in[1]};
    auto value = structValue(*stepType, f, nullptr, "a step");
    if (!value)
      return value.error();
    steps.push_back(*value);
  }
  if (steps.empty())
    steps.push_back(Constant::getNullValue(*stepType));
  Constant *stepTable =
      constant(llvm::ConstantArray::get(llvm::ArrayType::get(*stepType, steps.size()), steps),
               "model_steps");
  for (const LoweredLayer &layer : l_.layers) {
    auto f = layerFunction(layer);
    if (!f)
      return f.error();
    layers.push_back(*f);
  }
  std::vector<Constant *> fns(layers.begin(), layers.end());
  if (fns.empty())
    fns.push_back(Constant::getNullValue(ptr_));
  Constant *layerTable = constant(
      llvm::ConstantArray::get(llvm::ArrayType::get(ptr_, fns.size()), fns), "model_layers");
  auto scheduleType = type(runtimeName("rp_schedule"));
  if (!scheduleType)
    return scheduleType.error();
  constant(llvm::ConstantStruct::get(*scheduleType,
                                     {buffers_, stepTable,
                                      integer(i32_, static_cast<int64_t>(l_.steps.size())),
                                      layerTable}),
           "model_schedule");
  return Status::ok();
}

/// The model.h API, over rp_llvm_tensor tables of the inputs and outputs.
Status Builder::api() {
  auto tensorType = type("rp_llvm_tensor");
  if (!tensorType)
    return tensorType.error();
  const ir::Graph &g = *l_.graph;
  auto table = [&](const std::vector<ir::TensorId> &ids, bool inputs) -> Constant * {
    std::vector<Constant *> rows;
    for (size_t k = 0; k < ids.size(); ++k) {
      const ir::Tensor &t = g.tensor(ids[k]);
      const ir::Shape &s = t.shape;
      const int64_t elems = ir::checkedNumel(s).value_or(0);
      const bool hwc = s.size() == 4 && s[1] > 1;
      const bool q = !isFloat() && t.quant; // a float build stores the values as they are
      const float scale = q && !t.quant->scale.empty() ? t.quant->scale[0] : 1.0f;
      const int64_t zp = q && !t.quant->zeroPoint.empty() ? t.quant->zeroPoint[0] : 0;
      const int64_t offset = inputs ? l_.inputOffset[k] : l_.outputOffset[k];
      rows.push_back(llvm::ConstantStruct::get(
          *tensorType, {integer(i32_, offset), integer(i32_, elems),
                        integer(i32_, hwc ? s[1] : 0), integer(i32_, hwc ? s[2] * s[3] : 0),
                        llvm::ConstantFP::get(llvm::Type::getFloatTy(ctx_), 1.0f / scale),
                        integer(i32_, zp)}));
    }
    if (rows.empty())
      rows.push_back(Constant::getNullValue(*tensorType));
    return constant(
        llvm::ConstantArray::get(llvm::ArrayType::get(*tensorType, rows.size()), rows),
        inputs ? "model_inputs" : "model_outputs");
  };
  Constant *inputs = table(g.inputs, true), *outputs = table(g.outputs, false);
  Constant *numInputs = integer(i32_, static_cast<int64_t>(g.inputs.size()));
  Constant *numOutputs = integer(i32_, static_cast<int64_t>(g.outputs.size()));
  auto *voidTy = llvm::Type::getVoidTy(ctx_);
  // define(name, return type, parameters, helper, its arguments (-k - 1: parameter k)).
  auto define = [&](const char *name, llvm::Type *ret, std::vector<llvm::Type *> params,
                    const char *helper, std::vector<Constant *> leading,
                    std::vector<int> fromParams) -> Status {
    auto h = function(helper);
    if (!h)
      return h.error();
    auto *f = llvm::Function::Create(llvm::FunctionType::get(ret, params, false),
                                     llvm::GlobalValue::ExternalLinkage, name, *m_);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx_, "entry", f));
    std::vector<llvm::Value *> args(leading.begin(), leading.end());
    for (int k : fromParams)
      args.push_back(k < 0 ? static_cast<llvm::Value *>(Constant::getNullValue(ptr_))
                           : f->getArg(static_cast<unsigned>(k)));
    llvm::Value *result = b.CreateCall(*h, args);
    if (ret->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(result);
    return Status::ok();
  };
  Constant *schedule = m_->getNamedGlobal("model_schedule");
  // The helpers of each API function: the float build stores floats where the int8 build
  // quantises, and its outputs have 4 bytes a value.
  const bool f = isFloat();
  const char *run = f ? "rp_schedule_run_f32" : "rp_schedule_run";
  const char *at = f ? "rp_llvm_f32_tensor_at" : "rp_llvm_tensor_at";
  const char *elems = f ? "rp_llvm_f32_tensor_elems" : "rp_llvm_tensor_elems";
  if (l_.streamedInput) {
    RNNPOOLC_TRY(define("model_run", voidTy, {ptr_, ptr_, ptr_}, run, {schedule}, {0, 1, 2, -1}));
  } else {
    RNNPOOLC_TRY(define("model_run", voidTy, {ptr_}, run, {schedule}, {0, -1, -1, -1}));
    RNNPOOLC_TRY(define("model_quantize_input", voidTy, {i32_, ptr_, i32_, i32_, ptr_},
                        f ? "rp_llvm_f32_store_input" : "rp_llvm_quantize_input",
                        {inputs, numInputs}, {0, 1, 2, 3, 4}));
    RNNPOOLC_TRY(define("model_input", ptr_, {ptr_, i32_}, at, {inputs, numInputs}, {1, 0}));
  }
  RNNPOOLC_TRY(define("model_quantize_pixels", voidTy, {i32_, ptr_, i32_, ptr_},
                      f ? "rp_llvm_f32_store_pixels" : "rp_llvm_quantize_pixels",
                      {inputs, numInputs}, {0, 1, 2, 3}));
  RNNPOOLC_TRY(define("model_output", ptr_, {ptr_, i32_}, at, {outputs, numOutputs}, {1, 0}));
  RNNPOOLC_TRY(
      define("model_input_elems", i32_, {i32_}, elems, {inputs, numInputs}, {0}));
  RNNPOOLC_TRY(define("model_output_bytes", i32_, {i32_},
                      f ? "rp_llvm_f32_tensor_bytes" : "rp_llvm_tensor_elems",
                      {outputs, numOutputs}, {0}));
  return Status::ok();
}

Expected<std::unique_ptr<llvm::Module>> Builder::run() {
  RNNPOOLC_TRY(arrays());
  std::vector<llvm::Function *> layers;
  RNNPOOLC_TRY(tables(layers));
  RNNPOOLC_TRY(api());
  return std::move(m_);
}

} // namespace

std::vector<std::string> apiFunctions(const LoweredModel &lowered) {
  std::vector<std::string> names = {"model_run", "model_quantize_pixels", "model_output",
                                    "model_input_elems", "model_output_bytes"};
  if (!lowered.streamedInput)
    names.insert(names.end(), {"model_quantize_input", "model_input"});
  return names;
}

Expected<std::unique_ptr<llvm::Module>> buildModelModule(const LoweredModel &lowered,
                                                         const llvm::Module &runtime) {
  return Builder(lowered, runtime).run();
}

} // namespace rnnpoolc::targets::llvmgen
