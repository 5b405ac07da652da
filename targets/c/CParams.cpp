// Emitting the kernels' params structs and constant arrays as C.
#include "targets/c/CParams.h"

#include "compiler/support/Escape.h"

#include <fmt/format.h>

#include <climits>

namespace rnnpoolc::targets::c {
namespace {

/// Collects "  .field = value," lines of one struct initialiser.
class Fields {
public:
  Fields(const quant::Layer &layer, std::string arrayBase, int indent)
      : layer_(layer), arrayBase_(std::move(arrayBase)), pad_(indent, ' ') {}

  void add(const char *field, int64_t value) {
    text_ += fmt::format("{}.{} = {},\n", pad_, field, cInt(value));
  }
  /// A pointer field: the array whose ConstArray::field is prefix + field.
  void ptr(const char *field, const void *value, const std::string &prefix = "") {
    if (value == nullptr) {
      text_ += fmt::format("{}.{} = 0,\n", pad_, field);
      return;
    }
    std::string full = prefix + field;
    for (const auto &a : layer_.arrays)
      if (a->field == full) {
        text_ += fmt::format("{}.{} = {},\n", pad_, field, arraySymbol(arrayBase_, full));
        return;
      }
    missing_ = full;
  }
  void raw(const std::string &text) { text_ += text; }
  void markMissing(const std::string &field) { missing_ = field; }
  const std::string &text() const { return text_; }
  const std::string &missing() const { return missing_; }
  const std::string &pad() const { return pad_; }

private:
  const quant::Layer &layer_;
  std::string arrayBase_, pad_, text_, missing_;
};

#define F(name) f.add(#name, p.name)
#define P(name) f.ptr(#name, p.name)

void conv(Fields &f, const rp_conv_params &p) {
  F(in_h), F(in_w), F(in_c), F(out_h), F(out_w), F(out_c), F(k_h), F(k_w);
  F(stride_h), F(stride_w), F(dil_h), F(dil_w), F(pad_top), F(pad_left), F(groups);
  F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(weights), P(bias), P(mult), P(shift);
}

void fc(Fields &f, const rp_fc_params &p) {
  F(rows), F(in_features), F(out_features), F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(weights), P(bias), P(mult), P(shift);
}

void pool(Fields &f, const rp_pool_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(k_h), F(k_w), F(stride_h);
  F(stride_w), F(pad_top), F(pad_left), F(pad_bottom), F(pad_right), F(count_include_pad);
  F(zp);
}

void globalAvgPool(Fields &f, const rp_global_avgpool_params &p) {
  F(in_h), F(in_w), F(channels), F(in_zp), F(out_zp), F(mult), F(shift);
}

void add(Fields &f, const rp_add_params &p) {
  F(in1_zp), F(in2_zp), F(out_zp), F(left_shift), F(in1_mult), F(in1_shift), F(in2_mult);
  F(in2_shift), F(out_mult), F(out_shift), F(act_min), F(act_max);
}

void requant(Fields &f, const rp_requant_params &p) { F(in_zp), F(out_zp), F(mult), F(shift); }

void softmax(Fields &f, const rp_softmax_params &p) { F(rows), F(n), P(exp_table); }

void fastgrnn(Fields &f, const rp_fastgrnn_params &p, const std::string &prefix) {
  F(in_dim), F(hidden), F(x_zp), F(x_shift);
  f.ptr("w", p.w, prefix), f.ptr("u", p.u, prefix);
  f.ptr("bz", p.bz, prefix), f.ptr("bh", p.bh, prefix);
  F(acc_mult), F(acc_shift), F(zeta), F(nu), F(gate), F(update), F(state_shift);
}

void rnnpool(Fields &f, const quant::Layer &layer, const std::string &arrayBase,
             const rp_rnnpool_params &p) {
  F(in_h), F(in_w), F(in_c), F(out_h), F(out_w), F(patch_h), F(patch_w), F(stride_h);
  F(stride_w);
  for (int k = 1; k <= 2; ++k) {
    Fields inner(layer, arrayBase, static_cast<int>(f.pad().size()) + 2);
    fastgrnn(inner, k == 1 ? p.rnn1 : p.rnn2, fmt::format("rnn{}.", k));
    if (!inner.missing().empty())
      f.markMissing(inner.missing());
    f.raw(fmt::format("{}.rnn{} = {{\n{}{}}},\n", f.pad(), k, inner.text(), f.pad()));
  }
  F(out_zp), F(out_mult), F(out_shift);
}

void l2norm(Fields &f, const rp_l2norm_params &p) {
  F(channels), F(in_zp), F(out_zp), F(eps_inside), F(eps_mant), F(eps_exp);
  P(mult), P(shift);
}

void mul(Fields &f, const rp_mul_params &p) {
  F(in1_zp), F(in2_zp), F(out_zp), F(mult), F(shift), F(act_min), F(act_max);
}

void mulChannel(Fields &f, const rp_mul_channel_params &p) {
  F(channels), F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(mult), P(shift);
}

void channelSlice(Fields &f, const rp_channel_slice_params &p) {
  F(in_channels), F(first), F(channels);
}

void pad(Fields &f, const rp_pad_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(pad_top), F(pad_left), F(value);
}

void padMode(Fields &f, const rp_pad_mode_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(pad_top), F(pad_left), F(mode);
  F(value);
}

void channelStep(Fields &f, const rp_channel_step_params &p) {
  F(in_channels), F(first), F(step), F(channels);
}

void permute(Fields &f, const rp_permute_params &p) {
  f.raw(fmt::format("{}.dims = {{{}, {}, {}, {}}},\n", f.pad(), p.dims[0], p.dims[1], p.dims[2],
                    p.dims[3]));
  f.raw(fmt::format("{}.in_stride = {{{}, {}, {}, {}}},\n", f.pad(), p.in_stride[0],
                    p.in_stride[1], p.in_stride[2], p.in_stride[3]));
}

void reduceChannels(Fields &f, const rp_reduce_channels_params &p) {
  F(channels), F(op), F(in_zp), F(out_zp), F(mult), F(shift);
}

void minmax(Fields &f, const rp_minmax_params &p) { F(is_min), P(table1), P(table2); }

#undef F
#undef P

} // namespace

std::string cIdentifier(const std::string &name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  return out.substr(0, 40);
}

std::string commentSafe(std::string text) {
  return rnnpoolc::commentSafe(text);
}

std::string cInt(int64_t value) {
  if (value == INT32_MIN)
    return "(-2147483647 - 1)";
  return std::to_string(value);
}

std::string arraySymbol(const std::string &base, const std::string &field) {
  std::string name = base + "_" + field;
  for (char &c : name)
    if (c == '.')
      c = '_';
  return name;
}

Expected<std::string> paramsDefinition(const quant::Layer &layer, const std::string &name,
                                       const std::string &arrayBase) {
  Fields f(layer, arrayBase, 2);
  std::string type;
  std::visit(
      [&](const auto &p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, rp_conv_params>)
          type = "rp_conv_params", conv(f, p);
        else if constexpr (std::is_same_v<T, rp_fc_params>)
          type = "rp_fc_params", fc(f, p);
        else if constexpr (std::is_same_v<T, rp_pool_params>)
          type = "rp_pool_params", pool(f, p);
        else if constexpr (std::is_same_v<T, rp_global_avgpool_params>)
          type = "rp_global_avgpool_params", globalAvgPool(f, p);
        else if constexpr (std::is_same_v<T, rp_add_params>)
          type = "rp_add_params", add(f, p);
        else if constexpr (std::is_same_v<T, rp_requant_params>)
          type = "rp_requant_params", requant(f, p);
        else if constexpr (std::is_same_v<T, rp_softmax_params>)
          type = "rp_softmax_params", softmax(f, p);
        else if constexpr (std::is_same_v<T, rp_rnnpool_params>)
          type = "rp_rnnpool_params", rnnpool(f, layer, arrayBase, p);
        else if constexpr (std::is_same_v<T, rp_l2norm_params>)
          type = "rp_l2norm_params", l2norm(f, p);
        else if constexpr (std::is_same_v<T, rp_mul_params>)
          type = "rp_mul_params", mul(f, p);
        else if constexpr (std::is_same_v<T, rp_mul_channel_params>)
          type = "rp_mul_channel_params", mulChannel(f, p);
        else if constexpr (std::is_same_v<T, rp_channel_slice_params>)
          type = "rp_channel_slice_params", channelSlice(f, p);
        else if constexpr (std::is_same_v<T, rp_pad_params>)
          type = "rp_pad_params", pad(f, p);
        else if constexpr (std::is_same_v<T, rp_pad_mode_params>)
          type = "rp_pad_mode_params", padMode(f, p);
        else if constexpr (std::is_same_v<T, rp_channel_step_params>)
          type = "rp_channel_step_params", channelStep(f, p);
        else if constexpr (std::is_same_v<T, rp_permute_params>)
          type = "rp_permute_params", permute(f, p);
        else if constexpr (std::is_same_v<T, rp_reduce_channels_params>)
          type = "rp_reduce_channels_params", reduceChannels(f, p);
        else if constexpr (std::is_same_v<T, rp_minmax_params>)
          type = "rp_minmax_params", minmax(f, p);
        else if constexpr (std::is_same_v<T, rp_concat_params>) {
          type = "rp_concat_params";
          f.add("pixels", p.pixels), f.add("out_channels", p.out_channels);
          f.add("out_zp", p.out_zp), f.add("num_inputs", p.num_inputs);
          f.raw(fmt::format("  .inputs = {}_inputs,\n", name));
        }
      },
      layer.params);
  if (type.empty())
    return std::string();
  if (!f.missing().empty())
    return makeError("internal error: layer '{}' has no constant array for field '{}'", name,
                     f.missing());
  std::string text;
  if (layer.kind == quant::KernelKind::Concat && layer.concatInputs) {
    text += fmt::format("static const rp_concat_input {}_inputs[] = {{\n", name);
    for (const rp_concat_input &in : *layer.concatInputs)
      text += fmt::format("  {{.channels = {}, .in_zp = {}, .mult = {}, .shift = {}}},\n",
                          in.channels, in.in_zp, cInt(in.mult), cInt(in.shift));
    text += "};\n";
  }
  return text + fmt::format("static const {} {} = {{\n{}}};\n", type, name, f.text());
}

std::string arrayDefinition(const quant::ConstArray &array, const std::string &name,
                            bool isExtern) {
  std::string head = fmt::format("const {} {}[{}]", array.ctype, name, array.count());
  if (isExtern)
    return "extern " + head + ";\n";
  std::string text = head + " = {";
  const bool isUnsigned = array.ctype == "uint32_t";
  for (size_t k = 0; k < array.count(); ++k) {
    int64_t v = array.ctype == "int8_t"    ? array.s8[k]
                : array.ctype == "int16_t" ? array.s16[k]
                                           : array.s32[k];
    text += k % 16 == 0 ? "\n  " : " ";
    text += isUnsigned ? fmt::format("{}u", v) : cInt(v);
    text += ",";
  }
  return text + "\n};\n";
}

} // namespace rnnpoolc::targets::c
