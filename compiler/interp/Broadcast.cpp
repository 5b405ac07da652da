// Broadcasting elementwise kernels: binary arithmetic, Pow, comparisons, logic, the
// variadic Max/Min/Sum, and Where. Shapes broadcast numpy-style; integer arithmetic wraps
// to the output dtype as C does, and integer Div truncates toward zero.
#include "compiler/interp/Kernels.h"

#include <algorithm>
#include <type_traits>

namespace rnnpoolc::interp::detail {
namespace {

/// Index maps from a broadcast output shape back to two operands.
struct Broadcast {
  ir::Shape shape;
  std::vector<int64_t> ia, ib;
};

Expected<Broadcast> broadcastPair(const ir::Node &node, const ir::Shape &a,
                                  const ir::Shape &b) {
  auto shape = ir::broadcastShapes(a, b);
  if (!shape)
    return ir::nodeError(node, "shapes {} and {} do not broadcast", ir::toString(a),
                         ir::toString(b));
  RNNPOOLC_TRY(checkOutputShape(node, *shape));
  return Broadcast{*shape, broadcastIndex(*shape, a), broadcastIndex(*shape, b)};
}

/// out[k] = fn(a[ia[k]], b[ib[k]]) over float operands, giving a float tensor.
template <typename Fn>
ir::TensorData floatMap(const Broadcast &bc, const ir::TensorData &a, const ir::TensorData &b,
                        Fn fn) {
  ir::TensorData out = ir::TensorData::zeros(ir::DType::Float32, bc.shape);
  for (size_t k = 0; k < out.f.size(); ++k)
    out.f[k] = fn(a.f[static_cast<size_t>(bc.ia[k])], b.f[static_cast<size_t>(bc.ib[k])]);
  return out;
}

/// The element vector of `t` holding values of type T (float or int64).
template <typename T> const std::vector<T> &elements(const ir::TensorData &t) {
  if constexpr (std::is_same_v<T, float>)
    return t.f;
  else
    return t.i;
}

/// out[k] = fn(a[ia[k]], b[ib[k]]) over the elements as `T` (float or int64), giving an
/// integer tensor of `dtype` (wrapped to its range).
template <typename T, typename Fn>
ir::TensorData intMap(const Broadcast &bc, const ir::TensorData &a, const ir::TensorData &b,
                      ir::DType dtype, Fn fn) {
  ir::TensorData out = ir::TensorData::zeros(dtype, bc.shape);
  const std::vector<T> &av = elements<T>(a), &bv = elements<T>(b);
  for (size_t k = 0; k < out.i.size(); ++k)
    out.i[k] = ir::wrapToType(
        fn(av[static_cast<size_t>(bc.ia[k])], bv[static_cast<size_t>(bc.ib[k])]), dtype);
  return out;
}

/// base^exp in wrapping integer arithmetic; a negative exponent truncates the real result
/// toward zero (so it is 0 unless |base| is 1, and 0 for base 0).
int64_t intPow(int64_t base, int64_t exp) {
  if (exp < 0)
    return base == 1 ? 1 : base == -1 ? (exp % 2 == 0 ? 1 : -1) : 0;
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1)
      result = wrapMul(result, base);
    base = wrapMul(base, base);
    exp >>= 1;
  }
  return result;
}

float maxPropagatingNan(float a, float b) {
  return std::isnan(a) || a > b ? a : b;
}
float minPropagatingNan(float a, float b) {
  return std::isnan(a) || a < b ? a : b;
}

Result pow(const Broadcast &bc, const ir::TensorData &a, const ir::TensorData &b) {
  // The result has the base's dtype, whatever the exponent's.
  if (ir::isFloat(a.dtype)) {
    ir::TensorData out = ir::TensorData::zeros(ir::DType::Float32, bc.shape);
    for (size_t k = 0; k < out.f.size(); ++k) {
      float e = ir::isFloat(b.dtype) ? b.f[static_cast<size_t>(bc.ib[k])]
                                     : static_cast<float>(b.i[static_cast<size_t>(bc.ib[k])]);
      out.f[k] = std::pow(a.f[static_cast<size_t>(bc.ia[k])], e);
    }
    return single(std::move(out));
  }
  if (ir::isFloat(b.dtype)) {
    ir::TensorData out = ir::TensorData::zeros(a.dtype, bc.shape);
    for (size_t k = 0; k < out.i.size(); ++k) {
      double base = static_cast<double>(a.i[static_cast<size_t>(bc.ia[k])]);
      double p = std::pow(base, static_cast<double>(b.f[static_cast<size_t>(bc.ib[k])]));
      out.i[k] = ir::wrapToType(floatToInt(p), a.dtype);
    }
    return single(std::move(out));
  }
  return single(intMap<int64_t>(bc, a, b, a.dtype, intPow));
}

Result arithmetic(const ir::Node &node, const Broadcast &bc, const ir::TensorData &a,
                  const ir::TensorData &b) {
  using ir::OpKind;
  if (ir::isFloat(a.dtype)) {
    switch (node.op) {
    case OpKind::Add:
      return single(floatMap(bc, a, b, [](float x, float y) { return x + y; }));
    case OpKind::Sub:
      return single(floatMap(bc, a, b, [](float x, float y) { return x - y; }));
    case OpKind::Mul:
      return single(floatMap(bc, a, b, [](float x, float y) { return x * y; }));
    case OpKind::Div:
      return single(floatMap(bc, a, b, [](float x, float y) { return x / y; }));
    default:
      return ir::nodeError(node, "internal: not an arithmetic op");
    }
  }
  switch (node.op) {
  case OpKind::Add:
    return single(intMap<int64_t>(bc, a, b, a.dtype, wrapAdd));
  case OpKind::Sub:
    return single(intMap<int64_t>(bc, a, b, a.dtype, wrapSub));
  case OpKind::Mul:
    return single(intMap<int64_t>(bc, a, b, a.dtype, wrapMul));
  case OpKind::Div:
    break;
  default:
    return ir::nodeError(node, "internal: not an arithmetic op");
  }
  if (ir::numel(bc.shape) == 0)
    return single(ir::TensorData::zeros(a.dtype, bc.shape));
  if (std::find(b.i.begin(), b.i.end(), 0) != b.i.end())
    return ir::nodeError(node, "integer division by zero");
  return single(intMap<int64_t>(bc, a, b, a.dtype, [](int64_t x, int64_t y) {
    // INT64_MIN / -1 overflows: wrap it like every other result.
    return y == -1 ? wrapNeg(x) : x / y;
  }));
}

Result compare(const ir::Node &node, const Broadcast &bc, const ir::TensorData &a,
               const ir::TensorData &b) {
  using ir::OpKind;
  constexpr ir::DType kBool = ir::DType::Bool;
  OpKind op = node.op;
  auto cmp = [op](auto x, auto y) -> int64_t {
    return op == OpKind::Equal ? x == y : op == OpKind::Less ? x < y : x > y;
  };
  if (ir::isFloat(a.dtype))
    return single(intMap<float>(bc, a, b, kBool, cmp));
  return single(intMap<int64_t>(bc, a, b, kBool, cmp));
}

} // namespace

Result evalBinary(const ir::Node &node, Inputs in) {
  using ir::OpKind;
  const ir::TensorData &a = *in[0], &b = *in[1];
  if (node.op != OpKind::Pow)
    RNNPOOLC_TRY(requireSameDType(node, a, b));
  RNNPOOLC_INTERP_LET(bc, broadcastPair(node, a.shape, b.shape));
  switch (node.op) {
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
    return arithmetic(node, bc, a, b);
  case OpKind::Pow:
    return pow(bc, a, b);
  case OpKind::Equal:
  case OpKind::Less:
  case OpKind::Greater:
    return compare(node, bc, a, b);
  case OpKind::And:
  case OpKind::Or: {
    if (a.dtype != ir::DType::Bool)
      return ir::nodeError(node, "operands must be bool, not {}", ir::name(a.dtype));
    bool isAnd = node.op == OpKind::And;
    return single(intMap<int64_t>(bc, a, b, ir::DType::Bool, [isAnd](int64_t x, int64_t y) {
      return int64_t{isAnd ? (x != 0 && y != 0) : (x != 0 || y != 0)};
    }));
  }
  default:
    break;
  }
  return ir::nodeError(node, "internal: not a binary op");
}

Result evalVariadic(const ir::Node &node, Inputs in) {
  using ir::OpKind;
  if (node.op != OpKind::Max && node.op != OpKind::Min && node.op != OpKind::Sum)
    return ir::nodeError(node, "internal: not a variadic op");
  ir::TensorData acc = *in[0];
  for (size_t k = 1; k < in.size(); ++k) {
    const ir::TensorData &x = *in[k];
    RNNPOOLC_TRY(requireSameDType(node, acc, x));
    RNNPOOLC_INTERP_LET(bc, broadcastPair(node, acc.shape, x.shape));
    // The running value is combined with each input in turn: ((x0 + x1) + x2) + ...
    if (ir::isFloat(acc.dtype)) {
      switch (node.op) {
      case OpKind::Max:
        acc = floatMap(bc, acc, x, maxPropagatingNan);
        break;
      case OpKind::Min:
        acc = floatMap(bc, acc, x, minPropagatingNan);
        break;
      default: // Sum
        acc = floatMap(bc, acc, x, [](float p, float q) { return p + q; });
        break;
      }
    } else {
      switch (node.op) {
      case OpKind::Max:
        acc = intMap<int64_t>(bc, acc, x, acc.dtype,
                              [](int64_t p, int64_t q) { return std::max(p, q); });
        break;
      case OpKind::Min:
        acc = intMap<int64_t>(bc, acc, x, acc.dtype,
                              [](int64_t p, int64_t q) { return std::min(p, q); });
        break;
      default: // Sum
        acc = intMap<int64_t>(bc, acc, x, acc.dtype, wrapAdd);
        break;
      }
    }
  }
  return single(std::move(acc));
}

Result evalWhere(const ir::Node &node, Inputs in) {
  const ir::TensorData &cond = *in[0], &x = *in[1], &y = *in[2];
  if (cond.dtype != ir::DType::Bool)
    return ir::nodeError(node, "the condition must be bool, not {}", ir::name(cond.dtype));
  RNNPOOLC_TRY(requireSameDType(node, x, y));
  auto xy = ir::broadcastShapes(x.shape, y.shape);
  auto shape = xy ? ir::broadcastShapes(cond.shape, *xy) : std::nullopt;
  if (!shape)
    return ir::nodeError(node, "shapes {}, {} and {} do not broadcast",
                         ir::toString(cond.shape), ir::toString(x.shape),
                         ir::toString(y.shape));
  RNNPOOLC_TRY(checkOutputShape(node, *shape));
  std::vector<int64_t> ic = broadcastIndex(*shape, cond.shape);
  std::vector<int64_t> ix = broadcastIndex(*shape, x.shape);
  std::vector<int64_t> iy = broadcastIndex(*shape, y.shape);
  ir::TensorData out = ir::TensorData::zeros(x.dtype, *shape);
  for (size_t k = 0; k < ic.size(); ++k) {
    bool pick = cond.i[static_cast<size_t>(ic[k])] != 0;
    auto src = static_cast<size_t>(pick ? ix[k] : iy[k]);
    if (ir::isFloat(x.dtype))
      out.f[k] = pick ? x.f[src] : y.f[src];
    else
      out.i[k] = pick ? x.i[src] : y.i[src];
  }
  return single(std::move(out));
}

} // namespace rnnpoolc::interp::detail
