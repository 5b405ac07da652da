// C initialisers for the runtime's kernel parameter structs (rnnpoolc_runtime.h) and for
// the constant arrays they point to, from a quantised layer.
#pragma once

#include "compiler/quant/Quantize.h"

#include <string>

namespace rnnpoolc::targets::c {

/// A C integer literal for any int32 value (INT32_MIN is written as an expression, since
/// 2147483648 alone does not fit an int).
std::string cInt(int64_t value);

/// A C identifier fragment from a node name: alphanumerics kept, other runs as one '_', no
/// trailing '_', at most 40 characters.
std::string cIdentifier(const std::string &name);

/// `text` made safe inside a C block comment: printable ASCII with no "/*", "*/", "??" or
/// trailing backslash (rnnpoolc::commentSafe, compiler/support/Escape.h).
std::string commentSafe(std::string text);

/// The C name of the array behind params field `field` ("weights", "rnn1.w", ...) of a
/// layer whose symbols start with `base`.
std::string arraySymbol(const std::string &base, const std::string &field);

/// "static const rp_conv_params NAME = {...};" with designated initialisers, pointer fields
/// naming arraySymbol(arrayBase, field). Empty for layers without params (Alias, Lut).
/// Errors if a pointer field has no array in the layer.
Expected<std::string> paramsDefinition(const quant::Layer &layer, const std::string &name,
                                       const std::string &arrayBase);

/// "const int8_t NAME[N] = {...};", 16 values a line (`isExtern`: the declaration only).
std::string arrayDefinition(const quant::ConstArray &array, const std::string &name,
                            bool isExtern);

} // namespace rnnpoolc::targets::c
