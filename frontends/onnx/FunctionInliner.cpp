// Function inlining: substitutes each call of a model-local function by its body with
// renamed values, repeating until no local call is left.
#include "frontends/onnx/FunctionInliner.h"
#include "compiler/support/Limits.h"

#include <algorithm>
#include <set>

namespace rnnpoolc::onnx_frontend {
namespace {

/// Functions calling functions deeper than this are rejected (and recursion with them).
constexpr int kMaxDepth = 16;

using FunctionKey = std::pair<std::string, std::string>; // (domain, name)

int64_t defaultOpset(const google::protobuf::RepeatedPtrField<onnx::OperatorSetIdProto> &ids) {
  for (const auto &id : ids)
    if (id.domain().empty() || id.domain() == "ai.onnx")
      return id.version();
  return -1;
}

class Inliner {
public:
  Inliner(onnx::ModelProto &model, std::map<std::string, std::string> &inlinedFrom)
      : model_(model), inlinedFrom_(inlinedFrom) {
    for (const onnx::FunctionProto &f : model.functions())
      functions_[{f.domain(), f.name()}] = &f;
    for (const onnx::NodeProto &n : model.graph().node()) {
      names_.insert(n.name());
      names_.insert(n.input().begin(), n.input().end());
      names_.insert(n.output().begin(), n.output().end());
    }
    for (const auto &v : model.graph().input())
      names_.insert(v.name());
    for (const auto &t : model.graph().initializer())
      names_.insert(t.name());
  }

  Status run() {
    if (functions_.empty())
      return Status::ok();
    google::protobuf::RepeatedPtrField<onnx::NodeProto> out;
    for (const onnx::NodeProto &node : model_.graph().node())
      RNNPOOLC_TRY(expand(node, out, 0, ""));
    *model_.mutable_graph()->mutable_node() = std::move(out);
    return Status::ok();
  }

private:
  onnx::ModelProto &model_;
  std::map<std::string, std::string> &inlinedFrom_;
  std::map<FunctionKey, const onnx::FunctionProto *> functions_;
  std::set<std::string> names_;
  std::map<std::string, int> nextSuffix_;

  std::string fresh(const std::string &base) {
    std::string name = base;
    // Resume each base's count where it stopped: many calls of one unnamed function
    // would otherwise retry every suffix taken before (quadratic).
    int &k = nextSuffix_[base];
    k = std::max(k, 2);
    while (names_.count(name))
      name = base + "_" + std::to_string(k++);
    names_.insert(name);
    return name;
  }

  /// Appends `node` to `out`, or, for a call, its inlined body.
  Status expand(const onnx::NodeProto &node, google::protobuf::RepeatedPtrField<onnx::NodeProto> &out,
                int depth, const std::string &outerCall) {
    auto it = functions_.find({node.domain(), node.op_type()});
    if (it == functions_.end()) {
      if (out.size() >= limits::kMaxNodes)
        return makeError("inlining the model-local functions gives more than {} nodes; the "
                         "limit is {} nodes (docs/cli.md, Limits)",
                         limits::kMaxNodes, limits::kMaxNodes);
      *out.Add() = node;
      if (!outerCall.empty())
        inlinedFrom_[node.name()] = outerCall;
      return Status::ok();
    }
    const onnx::FunctionProto &f = *it->second;
    std::string call = node.name().empty() ? fresh(node.op_type()) : node.name();
    if (depth >= kMaxDepth)
      return makeError("node '{}' ({}): model-local functions nest deeper than {} levels; "
                       "inline them when exporting",
                       call, node.op_type(), kMaxDepth);
    int64_t opset = defaultOpset(f.opset_import());
    if (opset >= 0 && opset != defaultOpset(model_.opset_import()))
      return makeError("node '{}' ({}): the function imports opset {} but the model imports "
                       "opset {}; export both with one opset",
                       call, node.op_type(), opset, defaultOpset(model_.opset_import()));
    auto inner = [&](const std::string &name) {
      size_t start = name.find_first_not_of('/');
      std::string full = call + "/" + (start == std::string::npos ? name : name.substr(start));
      // Nesting composes names; their end (the innermost part) tells them apart.
      size_t cut = full.size() > limits::kMaxNameBytes ? full.size() - limits::kMaxNameBytes : 0;
      while (cut > 0 && cut < full.size() && (static_cast<unsigned char>(full[cut]) & 0xC0) == 0x80)
        ++cut; // not inside a UTF-8 sequence
      return fresh(full.substr(cut));
    };
    std::map<std::string, std::string> rename; // formal or inner name -> graph name
    for (int i = 0; i < f.input_size(); ++i)
      rename[f.input(i)] = i < node.input_size() ? node.input(i) : "";
    for (int i = 0; i < f.output_size(); ++i)
      rename[f.output(i)] = i < node.output_size() ? node.output(i) : inner(f.output(i));
    std::map<std::string, const onnx::AttributeProto *> attrs;
    for (const onnx::AttributeProto &a : node.attribute())
      attrs[a.name()] = &a;
    auto mapped = [&](const std::string &name) {
      if (name.empty())
        return name;
      auto r = rename.find(name);
      if (r == rename.end())
        r = rename.emplace(name, inner(name)).first;
      return r->second;
    };
    const std::string outer = outerCall.empty() ? call : outerCall;
    for (const onnx::NodeProto &body : f.node()) {
      onnx::NodeProto copy = body;
      copy.set_name(inner(body.name().empty() ? body.op_type() : body.name()));
      for (auto &in : *copy.mutable_input())
        in = mapped(in);
      for (auto &o : *copy.mutable_output())
        o = mapped(o);
      copy.clear_attribute();
      for (const onnx::AttributeProto &a : body.attribute()) {
        if (a.ref_attr_name().empty()) {
          *copy.add_attribute() = a;
          continue;
        }
        auto ref = attrs.find(a.ref_attr_name());
        if (ref == attrs.end())
          return makeError("node '{}' ({}): the function body refers to attribute '{}', which "
                           "the call does not set",
                           call, node.op_type(), a.ref_attr_name());
        onnx::AttributeProto value = *ref->second;
        value.set_name(a.name());
        *copy.add_attribute() = value;
      }
      RNNPOOLC_TRY(expand(copy, out, depth + 1, outer));
    }
    return Status::ok();
  }
};

} // namespace

Status inlineFunctions(onnx::ModelProto &model, std::map<std::string, std::string> &inlinedFrom) {
  return Inliner(model, inlinedFrom).run();
}

} // namespace rnnpoolc::onnx_frontend
