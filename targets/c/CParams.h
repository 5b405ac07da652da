// C initialisers for the runtime's kernel parameter structs (rnnpoolc_runtime.h) and for
// the constant arrays they point to, printed from the lowered model's params as data.
#pragma once

#include "targets/Lowered.h"

#include <functional>
#include <string>

namespace rnnpoolc::targets::c {

/// A C integer literal for any int32 value (INT32_MIN is written as an expression, since
/// 2147483648 alone does not fit an int).
std::string cInt(int64_t value);

/// `text` made safe inside a C block comment: printable ASCII with no "/*", "*/", "??" or
/// trailing backslash (rnnpoolc::commentSafe, compiler/support/Escape.h).
std::string commentSafe(std::string text);

/// The C name of the array behind params field `field` ("weights", "rnn1.w", ...) of a
/// layer whose symbols start with `base`.
std::string arraySymbol(const std::string &base, const std::string &field);
/// The C name of constant array `index` of `lowered`: arraySymbol("model_" + its layer's
/// name, field), or that of the array it is the same as (LoweredArray::sameAs).
std::string arrayName(const LoweredModel &lowered, int index);

/// "  .field = value,\n" lines of a struct initialiser, `pad` deep, in field order: pointer
/// fields print as symbol(array index) (0 when null), the rows pointer as `rowsName`.
std::string initialiser(const std::vector<ParamValue> &fields,
                        const std::function<std::string(int)> &symbol,
                        const std::string &rowsName, const std::string &pad);

/// A C float literal that reads back as exactly `value` ("0.5f", "-3.0f", "INFINITY").
std::string cFloat(float value);

/// "static const rp_conv_params NAME = {...};" (NAME: the layer's name) with designated
/// initialisers in field order, pointer fields naming arraySymbol("model_" + NAME, field),
/// preceded by the struct rows the params point to. Empty for layers without params.
std::string paramsDefinition(const LoweredModel &lowered, const LoweredLayer &layer);

/// "const int8_t NAME[N] = {...};", 16 values a line (`isExtern`: the declaration only).
std::string arrayDefinition(const quant::ConstArray &array, const std::string &name,
                            bool isExtern);

} // namespace rnnpoolc::targets::c
