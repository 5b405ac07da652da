// The kernels' params structs (rnnpoolc_runtime.h) as data: one ParamValue per field, in
// declaration order, pointer fields naming the layer's constant arrays.
#include "targets/Lowered.h"

namespace rnnpoolc::targets {
namespace {

/// Collects the fields of one struct.
class Fields {
public:
  Fields(const std::vector<LoweredArray> &arrays, const std::vector<int> &layerArrays)
      : arrays_(arrays), layerArrays_(layerArrays) {}

  void add(const char *field, int64_t value) {
    ParamValue v;
    v.field = field, v.value = value;
    values_.push_back(std::move(v));
  }
  /// A pointer field: the layer's array whose field name is prefix + field, or null.
  void ptr(const char *field, const void *value, const std::string &prefix = "") {
    ParamValue v;
    v.kind = ParamValue::Kind::Array, v.field = field;
    if (value != nullptr) {
      const std::string full = prefix + field;
      for (int a : layerArrays_)
        if (arrays_[static_cast<size_t>(a)].field == full)
          v.array = a;
      if (v.array < 0)
        missing_ = full;
    }
    values_.push_back(std::move(v));
  }
  void list(const char *field, std::vector<int64_t> values) {
    ParamValue v;
    v.kind = ParamValue::Kind::List, v.field = field, v.list = std::move(values);
    values_.push_back(std::move(v));
  }
  void nested(const char *field, Fields &inner) {
    ParamValue v;
    v.kind = ParamValue::Kind::Struct, v.field = field, v.fields = std::move(inner.values_);
    if (!inner.missing_.empty())
      missing_ = inner.missing_;
    values_.push_back(std::move(v));
  }
  void rows(const char *field) {
    ParamValue v;
    v.kind = ParamValue::Kind::Rows, v.field = field;
    values_.push_back(std::move(v));
  }
  Fields inner() const { return Fields(arrays_, layerArrays_); }
  std::vector<ParamValue> &values() { return values_; }
  const std::string &missing() const { return missing_; }

private:
  const std::vector<LoweredArray> &arrays_;
  const std::vector<int> &layerArrays_;
  std::vector<ParamValue> values_;
  std::string missing_;
};

#define F(name) f.add(#name, p.name)
#define P(name) f.ptr(#name, p.name)

// One overload per params struct: its fields in declaration order.
void fields(Fields &f, const rp_conv_params &p) {
  F(in_h), F(in_w), F(in_c), F(out_h), F(out_w), F(out_c), F(k_h), F(k_w);
  F(stride_h), F(stride_w), F(dil_h), F(dil_w), F(pad_top), F(pad_left), F(groups);
  F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(weights), P(bias), P(mult), P(shift);
}

void fields(Fields &f, const rp_fc_params &p) {
  F(rows), F(in_features), F(out_features), F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(weights), P(bias), P(mult), P(shift);
}

void fields(Fields &f, const rp_pool_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(k_h), F(k_w), F(stride_h);
  F(stride_w), F(pad_top), F(pad_left), F(pad_bottom), F(pad_right), F(count_include_pad);
  F(zp);
}

void fields(Fields &f, const rp_global_avgpool_params &p) {
  F(in_h), F(in_w), F(channels), F(in_zp), F(out_zp), F(mult), F(shift);
}

void fields(Fields &f, const rp_add_params &p) {
  F(in1_zp), F(in2_zp), F(out_zp), F(left_shift), F(in1_mult), F(in1_shift), F(in2_mult);
  F(in2_shift), F(out_mult), F(out_shift), F(act_min), F(act_max);
}

void fields(Fields &f, const rp_concat_params &p) {
  F(pixels), F(out_channels), F(out_zp), F(num_inputs);
  f.rows("inputs");
}

void fields(Fields &f, const rp_requant_params &p) { F(in_zp), F(out_zp), F(mult), F(shift); }

void fields(Fields &f, const rp_softmax_params &p) { F(rows), F(n), P(exp_table); }

void cell(Fields &f, const rp_fastgrnn_params &p, const std::string &prefix) {
  F(in_dim), F(hidden), F(x_zp), F(x_shift);
  f.ptr("w", p.w, prefix), f.ptr("u", p.u, prefix);
  f.ptr("bz", p.bz, prefix), f.ptr("bh", p.bh, prefix);
  F(acc_mult), F(acc_shift), F(zeta), F(nu), F(gate), F(update), F(state_shift);
}

void fields(Fields &f, const rp_rnnpool_params &p) {
  F(in_h), F(in_w), F(in_c), F(out_h), F(out_w), F(patch_h), F(patch_w), F(stride_h);
  F(stride_w);
  Fields rnn1 = f.inner(), rnn2 = f.inner();
  cell(rnn1, p.rnn1, "rnn1."), f.nested("rnn1", rnn1);
  cell(rnn2, p.rnn2, "rnn2."), f.nested("rnn2", rnn2);
  F(out_zp), F(out_mult), F(out_shift);
}

void fields(Fields &f, const rp_l2norm_params &p) {
  F(channels), F(in_zp), F(out_zp), F(eps_inside), F(eps_mant), F(eps_exp);
  P(mult), P(shift);
}

void fields(Fields &f, const rp_mul_params &p) {
  F(in1_zp), F(in2_zp), F(out_zp), F(mult), F(shift), F(act_min), F(act_max);
}

void fields(Fields &f, const rp_mul_gate_params &p) {
  F(channels), F(per_pixel), F(in_zp), F(gate_zp), F(out_zp), F(mult), F(shift), F(act_min),
      F(act_max);
}

void fields(Fields &f, const rp_mul_channel_params &p) {
  F(channels), F(in_zp), F(out_zp), F(act_min), F(act_max);
  P(mult), P(shift);
}

void fields(Fields &f, const rp_channel_slice_params &p) {
  F(in_channels), F(first), F(channels);
}

void fields(Fields &f, const rp_pad_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(pad_top), F(pad_left), F(value);
}

void fields(Fields &f, const rp_pad_mode_params &p) {
  F(in_h), F(in_w), F(channels), F(out_h), F(out_w), F(pad_top), F(pad_left), F(mode);
  F(value);
}

void fields(Fields &f, const rp_channel_step_params &p) {
  F(in_channels), F(first), F(step), F(channels);
}

void fields(Fields &f, const rp_channel_shuffle_params &p) { F(channels), F(groups); }

void fields(Fields &f, const rp_permute_params &p) {
  f.list("dims", {p.dims[0], p.dims[1], p.dims[2], p.dims[3]});
  f.list("in_stride", {p.in_stride[0], p.in_stride[1], p.in_stride[2], p.in_stride[3]});
}

void fields(Fields &f, const rp_reduce_channels_params &p) {
  F(channels), F(op), F(in_zp), F(out_zp), F(mult), F(shift);
}

void fields(Fields &f, const rp_minmax_params &p) { F(is_min), P(table1), P(table2); }

void fields(Fields &f, const rp_resize_params &p) {
  F(channels), F(in_h), F(in_w), F(out_h), F(out_w), F(linear), P(src_y), P(src_x);
}

void fields(Fields &, const std::monostate &) {}

#undef F
#undef P

} // namespace

Expected<std::vector<ParamValue>> paramValues(const quant::Layer &layer,
                                              const std::vector<LoweredArray> &arrays,
                                              const std::vector<int> &layerArrays) {
  Fields f(arrays, layerArrays);
  std::visit([&](const auto &p) { fields(f, p); }, layer.params);
  if (!f.missing().empty())
    return makeError("internal error: a {} layer has no constant array for field '{}'",
                     quant::name(layer.kind), f.missing());
  return std::move(f.values());
}

} // namespace rnnpoolc::targets
