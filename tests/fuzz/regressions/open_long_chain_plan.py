#!/usr/bin/python3
"""Open finding (structure-aware campaign): `rnnpoolc plan` on a Relu -> 3000 x (Relu|Neg)
chain of 1x2x4x4 maps did not finish within 30 s (ASan build). Writes the model:

  open_long_chain_plan.py OUT.onnx [LENGTH]

then: build-sanitize/rnnpoolc plan OUT.onnx --json plan.json --svg plan.svg
Not replayed by tests/fuzz/run until it is fixed (it would time out).
"""
import sys

import onnx
from onnx import TensorProto, helper

length = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
nodes, prev = [], "x"
for k in range(length):
    nodes.append(helper.make_node("Relu" if k % 2 else "Neg", [prev], ["t%d" % k], name="n%d" % k))
    prev = "t%d" % k
graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 2, 4, 4])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, sys.argv[1])
