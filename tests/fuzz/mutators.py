"""Structure-aware mutations of ONNX models, for tests/fuzz/mutate.py.

Each mutation takes (model, rng) with `model` an onnx.ModelProto that it changes in place,
and returns a short description. They aim at the importer's and the passes' checks: dims
0 / -1 / 2^31, rewired inputs, cycles, bad attributes, wrong dtypes, truncated raw_data,
opsets 1 / 99, external data paths, huge repeated fields, odd names, missing parts,
recursive functions. `byte_mutation` works on the serialized bytes instead.
"""
from onnx import AttributeProto, TensorProto, helper

BAD_DIMS = [0, -1, -7, 2**31, 2**31 - 1, 2**32 + 1, 2**40, 2**62, 2**63 - 1, 1, 2, 3, 1000003]
BAD_INTS = [0, -1, -2, 2**31, -2**31, 2**31 - 1, 2**62, -2**63, 2**63 - 1, 1, 2, 3, 64, 65536]
BAD_FLOATS = [0.0, -0.0, -1.0, 1e30, -1e30, float("inf"), float("-inf"), float("nan"), 1e-45]
DTYPES = list(range(0, 17)) + [-1, 99, 2**31 - 1]
OPSETS = [1, 0, -1, 6, 7, 9, 11, 17, 18, 99, 2**31 - 1]
NAMES = ["", "x", "a\nb", "a\x01b", "/*", "*/", "a*/b/*c", "\\", "\"q\"", "%s%n", "é名",
         "a" * 5000, "0", "model_run", "int", "__LINE__", "a b", "??="]
OPS = ["Relu", "Conv", "Add", "Mul", "Concat", "Reshape", "Flatten", "Gemm", "MatMul",
       "MaxPool", "AveragePool", "GlobalAveragePool", "Sigmoid", "Tanh", "Softmax", "Split",
       "Slice", "Pad", "Transpose", "Identity", "Clip", "BatchNormalization", "Squeeze",
       "Unsqueeze", "QuantizeLinear", "DequantizeLinear", "Shape", "Gather", "Constant",
       "ConstantOfShape", "ReduceMean", "LpNormalization", "Resize", "Loop", "If", "RNNPool",
       "Nope", ""]
EXTERNAL_PATHS = ["/etc/passwd", "../../../../etc/passwd", "missing.bin", "", "mutant.onnx",
                  ".", "..", "/dev/zero", "/proc/self/mem", "a\x00b", "sub/../../x",
                  "x" * 4096]


def _graph(model, rng):
    """The main graph or, sometimes, a model-local function's body (nodes only)."""
    if model.functions and rng.random() < 0.2:
        return rng.choice(model.functions)
    return model.graph


def _value_infos(model):
    g = model.graph
    return list(g.input) + list(g.output) + list(g.value_info)


def _tensor_names(model):
    g = model.graph
    names = [v.name for v in g.input] + [t.name for t in g.initializer]
    for n in g.node:
        names += list(n.output)
    return names or ["x"]


def _shape_dims(vi):
    t = vi.type.tensor_type
    return t.shape.dim if t.HasField("shape") else None


def mut_dim(model, rng):
    """A dim of a value info or an initializer becomes 0, -1, 2^31, ..."""
    v = rng.choice(BAD_DIMS)
    infos = [vi for vi in _value_infos(model) if _shape_dims(vi)]
    if model.graph.initializer and (not infos or rng.random() < 0.4):
        t = rng.choice(model.graph.initializer)
        if t.dims:
            k = rng.randrange(len(t.dims))
            t.dims[k] = v
            return "initializer %r dim %d = %d" % (t.name[:40], k, v)
        t.dims.append(v)
        return "initializer %r gets dim %d" % (t.name[:40], v)
    if not infos:
        return "no dims"
    vi = rng.choice(infos)
    dims = _shape_dims(vi)
    k = rng.randrange(len(dims))
    choice = rng.random()
    if choice < 0.7:
        dims[k].dim_value = v
    elif choice < 0.85:
        dims[k].dim_param = rng.choice(["N", "", "batch", "1"])
    else:
        del dims[k]
        return "value info %r loses dim %d" % (vi.name[:40], k)
    return "value info %r dim %d = %s" % (vi.name[:40], k, dims[k])


def mut_rank(model, rng):
    """A value info gets more dims, no shape, or no type."""
    infos = _value_infos(model)
    if not infos:
        return "no value infos"
    vi = rng.choice(infos)
    r = rng.random()
    if r < 0.4:
        for _ in range(rng.choice([1, 2, 5])):
            vi.type.tensor_type.shape.dim.add().dim_value = rng.choice([1, 2, 3])
        return "value info %r gains dims" % vi.name[:40]
    if r < 0.7:
        vi.type.tensor_type.ClearField("shape")
        return "value info %r loses its shape" % vi.name[:40]
    vi.ClearField("type")
    return "value info %r loses its type" % vi.name[:40]


def mut_rewire(model, rng):
    """A node input reads another tensor, a missing one, or nothing."""
    g = _graph(model, rng)
    nodes = [n for n in g.node if n.input]
    if not nodes:
        return "no inputs"
    n = rng.choice(nodes)
    k = rng.randrange(len(n.input))
    r = rng.random()
    n.input[k] = (rng.choice(_tensor_names(model)) if r < 0.6 else
                  "" if r < 0.8 else rng.choice(NAMES))
    return "node %r input %d = %r" % (n.name[:40], k, n.input[k][:40])


def mut_cycle(model, rng):
    """A node reads its own output or the output of a later node."""
    g = _graph(model, rng)
    if not g.node:
        return "no nodes"
    i = rng.randrange(len(g.node))
    j = rng.randrange(i, len(g.node))
    if not g.node[j].output:
        return "no outputs"
    n = g.node[i]
    target = rng.choice(g.node[j].output)
    if n.input:
        n.input[rng.randrange(len(n.input))] = target
    else:
        n.input.append(target)
    return "node %d reads output %r of node %d" % (i, target[:40], j)


def _bad_attribute(a, rng):
    r = rng.random()
    if a.type == AttributeProto.INT:
        a.i = rng.choice(BAD_INTS)
    elif a.type == AttributeProto.INTS and r < 0.5:
        if a.ints:
            a.ints[rng.randrange(len(a.ints))] = rng.choice(BAD_INTS)
        else:
            a.ints.append(rng.choice(BAD_INTS))
    elif a.type == AttributeProto.INTS:
        if a.ints and r < 0.7:
            del a.ints[rng.randrange(len(a.ints))]
        else:
            a.ints.extend([rng.choice(BAD_INTS)] * rng.choice([1, 3, 100]))
    elif a.type == AttributeProto.FLOAT:
        a.f = rng.choice(BAD_FLOATS)
    elif a.type == AttributeProto.FLOATS:
        a.floats.append(rng.choice(BAD_FLOATS))
    elif a.type == AttributeProto.STRING:
        a.s = rng.choice([b"", b"NOTSET", b"SAME_UPPER", b"VALID", b"\xff\xfe", b"x" * 1000])
    elif a.type == AttributeProto.TENSOR:
        mut_tensor(a.t, rng)
    else:
        a.type = rng.choice([AttributeProto.INT, AttributeProto.STRING, AttributeProto.GRAPH])
    return "attribute %r = %s" % (a.name, str(a)[:80].replace("\n", " "))


def mut_attribute(model, rng):
    """An attribute gets a bad value, the wrong type, a duplicate, or goes away."""
    g = _graph(model, rng)
    if not g.node:
        return "no nodes"
    n = rng.choice(g.node)
    r = rng.random()
    if not n.attribute or r < 0.15:
        name = rng.choice(["axis", "kernel_shape", "pads", "strides", "group", "perm", "to",
                           "dilations", "auto_pad", "value", "split", "axes", "keepdims",
                           "hidden", "mode", "alpha", "epsilon", "unknown"])
        value = rng.choice([rng.choice(BAD_INTS), [rng.choice(BAD_INTS)] * rng.choice([1, 2, 4]),
                            "SAME_LOWER", 0.5, helper.make_tensor("t", TensorProto.FLOAT, [1], [1])])
        n.attribute.append(helper.make_attribute(name, value))
        return "node %r gains attribute %r" % (n.name[:40], name)
    a = rng.choice(n.attribute)
    if r < 0.25:
        n.attribute.remove(a)
        return "node %r loses attribute %r" % (n.name[:40], a.name)
    if r < 0.32:
        n.attribute.append(a)
        return "node %r repeats attribute %r" % (n.name[:40], a.name)
    if r < 0.4:
        a.type = rng.choice(range(0, 14))
        return "attribute %r type = %d" % (a.name, a.type)
    return _bad_attribute(a, rng)


def mut_dtype(model, rng):
    """A value info's element type or an initializer's data type changes."""
    dt = rng.choice(DTYPES)
    if model.graph.initializer and rng.random() < 0.5:
        t = rng.choice(model.graph.initializer)
        t.data_type = dt
        return "initializer %r data_type = %d" % (t.name[:40], dt)
    infos = _value_infos(model)
    if not infos:
        return "no value infos"
    vi = rng.choice(infos)
    vi.type.tensor_type.elem_type = dt
    return "value info %r elem_type = %d" % (vi.name[:40], dt)


def mut_tensor(t, rng):
    """Truncates, extends or retypes a tensor's data."""
    r = rng.random()
    if t.raw_data and r < 0.5:
        cut = rng.randrange(len(t.raw_data))
        t.raw_data = t.raw_data[:cut]
        return "tensor %r raw_data cut to %d bytes" % (t.name[:40], cut)
    if t.raw_data and r < 0.6:
        t.raw_data = t.raw_data + b"\x7f" * rng.choice([1, 3, 4, 1000])
        return "tensor %r raw_data extended" % t.name[:40]
    if t.float_data and r < 0.7:
        del t.float_data[rng.randrange(len(t.float_data)):]
        return "tensor %r float_data cut" % t.name[:40]
    if r < 0.8:
        t.float_data.extend([rng.choice(BAD_FLOATS)] * rng.choice([1, 7]))
        return "tensor %r gets extra float_data" % t.name[:40]
    if r < 0.9:
        t.int64_data.extend([rng.choice(BAD_INTS)] * rng.choice([1, 4]))
        return "tensor %r gets int64_data" % t.name[:40]
    t.string_data.append(b"s")
    return "tensor %r gets string_data" % t.name[:40]


def mut_data(model, rng):
    """An initializer's data is cut, extended or retyped; or its values turn extreme."""
    tensors = list(model.graph.initializer)
    tensors += [a.t for n in model.graph.node for a in n.attribute if a.type == AttributeProto.TENSOR]
    if not tensors:
        return "no tensors"
    t = rng.choice(tensors)
    if t.raw_data and rng.random() < 0.3:
        raw = bytearray(t.raw_data)
        for _ in range(rng.choice([1, 4, 16])):
            k = rng.randrange(len(raw))
            raw[k] = rng.choice([0x00, 0x7f, 0x80, 0xff])
        t.raw_data = bytes(raw)
        return "tensor %r raw bytes set to extremes" % t.name[:40]
    return mut_tensor(t, rng)


def mut_opset(model, rng):
    """The opset import becomes 1, 99, ...; goes away; or names another domain."""
    r = rng.random()
    if not model.opset_import or r < 0.6:
        if not model.opset_import:
            model.opset_import.add()
        op = rng.choice(model.opset_import)
        op.version = rng.choice(OPSETS)
        return "opset %r = %d" % (op.domain, op.version)
    if r < 0.75:
        del model.opset_import[:]
        return "no opset import"
    if r < 0.85:
        model.opset_import.add(domain="", version=rng.choice(OPSETS))
        return "a second default opset"
    model.ir_version = rng.choice([0, 1, 3, 99, -1])
    return "ir_version = %d" % model.ir_version


def mut_external(model, rng):
    """An initializer claims its data is in an external file."""
    if not model.graph.initializer:
        return "no initializers"
    t = rng.choice(model.graph.initializer)
    t.data_location = TensorProto.EXTERNAL
    t.ClearField("raw_data")
    t.ClearField("float_data")
    del t.external_data[:]
    entries = [("location", rng.choice(EXTERNAL_PATHS))]
    if rng.random() < 0.5:
        entries.append(("offset", str(rng.choice([0, -1, 1, 2**63 - 1, 4096]))))
    if rng.random() < 0.5:
        entries.append(("length", rng.choice(["0", "-1", "4", "99999999999", "x"])))
    if rng.random() < 0.1:
        entries.append(("checksum", "bad"))
    for key, value in entries:
        e = t.external_data.add()
        e.key, e.value = key, value
    return "initializer %r external %s" % (t.name[:40], entries)


def mut_huge(model, rng):
    """A repeated field grows: dims, attribute ints, nodes, inputs, outputs, names."""
    g = model.graph
    r = rng.random()
    if r < 0.2 and _value_infos(model):
        vi = rng.choice(_value_infos(model))
        for _ in range(rng.choice([64, 1000, 5000])):
            vi.type.tensor_type.shape.dim.add().dim_value = 1
        return "value info %r has many dims" % vi.name[:40]
    if r < 0.4 and g.node:
        n = rng.choice(g.node)
        a = n.attribute.add()  # not helper.make_attribute: it checks every element
        a.name = rng.choice(["pads", "kernel_shape", "strides", "perm", "axes"])
        a.type = AttributeProto.INTS
        a.ints.extend([1] * rng.choice([100, 10000, 100000]))
        return "node %r gets a long ints attribute" % n.name[:40]
    if r < 0.6 and g.output:
        # A long chain of Relu nodes (Identity chains are a known slow case).
        src = g.output[0].name
        count = rng.choice([100, 1000, 3000])
        prev = src
        for k in range(count):
            g.node.append(helper.make_node(rng.choice(["Relu", "Neg"]), [prev],
                                           ["chain_%d" % k], name="chain_%d" % k))
            prev = "chain_%d" % k
        g.output[0].name = prev
        return "a chain of %d nodes after the output" % count
    if r < 0.75 and g.input:
        for _ in range(rng.choice([10, 500])):
            g.output.append(g.input[0])
        return "many graph outputs"
    if r < 0.9 and g.initializer:
        t = rng.choice(g.initializer)
        t.ClearField("raw_data")
        n = rng.choice([10**5, 10**6])
        del t.dims[:]
        t.dims.append(n)
        t.data_type = TensorProto.FLOAT
        if rng.random() < 0.5:
            t.raw_data = b"\0\0\0?" * n  # 0.5f
        else:
            t.float_data.extend([0.5] * (n // 10))
        return "initializer %r has %d floats" % (t.name[:40], n)
    if g.node:
        rng.choice(g.node).name = "n" * rng.choice([10**4, 10**6])
        return "a very long node name"
    return "nothing grown"


def mut_names(model, rng):
    """Names with control characters, comment markers, duplicates, or empty names."""
    g = model.graph
    r = rng.random()
    new = rng.choice(NAMES + _tensor_names(model))
    if r < 0.4 and g.node:
        n = rng.choice(g.node)
        n.name = new
        return "node named %r" % new[:40]
    # Rename a tensor consistently (so the graph still holds together) or not.
    old = rng.choice(_tensor_names(model))
    consistent = rng.random() < 0.7
    for n in g.node:
        for field in (n.input, n.output):
            for k, name in enumerate(field):
                if name == old and (consistent or rng.random() < 0.5):
                    field[k] = new
    for v in list(g.input) + list(g.output) + list(g.value_info) + list(g.initializer):
        if v.name == old and (consistent or rng.random() < 0.5):
            v.name = new
    return "tensor %r renamed %r" % (old[:40], new[:40])


def mut_remove(model, rng):
    """A node, graph input, graph output or initializer goes away."""
    g = model.graph
    fields = [f for f in (g.node, g.input, g.output, g.initializer, g.value_info) if len(f)]
    if not fields:
        return "nothing to remove"
    f = rng.choice(fields)
    del f[rng.randrange(len(f))]
    return "removed one entry"


def mut_op(model, rng):
    """A node becomes another op, another domain, or calls a (recursive) function."""
    g = _graph(model, rng)
    if not g.node:
        return "no nodes"
    n = rng.choice(g.node)
    r = rng.random()
    if r < 0.6:
        n.op_type = rng.choice(OPS)
        return "node %r op = %r" % (n.name[:40], n.op_type)
    if r < 0.75:
        n.domain = rng.choice(["ai.rnnpoolc", "com.microsoft", "ai.onnx.ml", "local", "x"])
        return "node %r domain = %r" % (n.name[:40], n.domain)
    # A model-local function that calls itself (directly or through a second one).
    f = helper.make_function("local", "F", ["a"], ["b"],
                             [helper.make_node("G" if r < 0.9 else "F", ["a"], ["b"], domain="local")],
                             [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)])
    g2 = helper.make_function("local", "G", ["a"], ["b"],
                              [helper.make_node("F", ["a"], ["b"], domain="local")],
                              [helper.make_opsetid("", 13), helper.make_opsetid("local", 1)])
    model.functions.extend([f, g2])
    model.opset_import.add(domain="local", version=1)
    n.op_type, n.domain = "F", "local"
    del n.input[1:]
    del n.output[1:]
    return "node %r calls a recursive function" % n.name[:40]


def mut_subgraph(model, rng):
    """A node gets a graph-valued attribute (If / Loop bodies), a sparse initializer, or
    an attribute referring to a function attribute."""
    g = model.graph
    r = rng.random()
    if r < 0.5 and g.node:
        body = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "body",
                                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        rng.choice(g.node).attribute.append(helper.make_attribute("then_branch", body))
        return "a graph attribute"
    if r < 0.75:
        sp = g.sparse_initializer.add()
        sp.values.CopyFrom(helper.make_tensor(_tensor_names(model)[0], TensorProto.FLOAT, [1], [1.0]))
        sp.indices.CopyFrom(helper.make_tensor("i", TensorProto.INT64, [1], [rng.choice(BAD_INTS)]))
        sp.dims.extend([rng.choice(BAD_DIMS)])
        return "a sparse initializer"
    if g.node:
        a = rng.choice(g.node).attribute.add()
        a.name, a.ref_attr_name, a.type = "axis", "outer", AttributeProto.INT
        return "an attribute reference outside a function"
    return "nothing"


MUTATIONS = [mut_dim, mut_dim, mut_rank, mut_rewire, mut_cycle, mut_attribute, mut_attribute,
             mut_dtype, mut_data, mut_opset, mut_external, mut_huge, mut_names, mut_remove,
             mut_op, mut_subgraph]


def byte_mutation(data, rng):
    """Truncates the serialized model or overwrites a few of its bytes."""
    if not data:
        return data, "empty"
    if rng.random() < 0.5:
        cut = rng.randrange(len(data))
        return data[:cut], "bytes cut to %d" % cut
    raw = bytearray(data)
    for _ in range(rng.choice([1, 2, 8])):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return bytes(raw), "bytes overwritten"
