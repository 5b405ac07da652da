// Emitting the kernels' params structs and constant arrays as C.
#include "targets/c/CParams.h"

#include "compiler/support/Escape.h"

#include <fmt/format.h>

#include <climits>
#include <cmath>

namespace rnnpoolc::targets::c {

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

std::string arrayName(const LoweredModel &lowered, int index) {
  const LoweredArray *a = &lowered.arrays.at(static_cast<size_t>(index));
  if (a->sameAs >= 0)
    a = &lowered.arrays.at(static_cast<size_t>(a->sameAs));
  return arraySymbol("model_" + lowered.layers.at(a->layer).name, a->field);
}

std::string initialiser(const std::vector<ParamValue> &fields,
                        const std::function<std::string(int)> &symbol,
                        const std::string &rowsName, const std::string &pad) {
  std::string text;
  for (const ParamValue &v : fields) {
    std::string value;
    switch (v.kind) {
    case ParamValue::Kind::Int: value = cInt(v.value); break;
    case ParamValue::Kind::Array: value = v.array < 0 ? "0" : symbol(v.array); break;
    case ParamValue::Kind::List:
      for (size_t k = 0; k < v.list.size(); ++k)
        value += (k ? ", " : "{") + cInt(v.list[k]);
      value += "}";
      break;
    case ParamValue::Kind::Struct:
      value = "{\n" + initialiser(v.fields, symbol, rowsName, pad + "  ") + pad + "}";
      break;
    case ParamValue::Kind::Rows: value = rowsName; break;
    case ParamValue::Kind::Float: value = cFloat(v.real); break;
    }
    text += fmt::format("{}.{} = {},\n", pad, v.field, value);
  }
  return text;
}

std::string cFloat(float value) {
  if (std::isinf(value))
    return value > 0 ? "INFINITY" : "(-INFINITY)";
  if (std::isnan(value))
    return "NAN";
  std::string s = fmt::format("{:.9g}", value);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

std::string paramsDefinition(const LoweredModel &lowered, const LoweredLayer &layer) {
  if (layer.paramsType().empty())
    return std::string();
  const std::string &name = layer.name;
  std::string text;
  if (!layer.rowsType.empty()) {
    text += fmt::format("static const {} {}_inputs[] = {{\n", layer.rowsType, name);
    for (const std::vector<ParamValue> &row : layer.rows) {
      std::string fields;
      for (const ParamValue &v : row)
        fields += fmt::format("{}.{} = {}", fields.empty() ? "" : ", ", v.field, cInt(v.value));
      text += "  {" + fields + "},\n";
    }
    text += "};\n";
  }
  return text + fmt::format("static const {} {} = {{\n{}}};\n", layer.paramsType(), name,
                            initialiser(
                                layer.params, [&](int a) { return arrayName(lowered, a); },
                                name + "_inputs", "  "));
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
