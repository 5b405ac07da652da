#!/usr/bin/python3
"""Generates the ONNX conformance node tests with Debian's onnx 1.12 into a directory.

  onnx_node_tests.py OUT_DIR

onnx 1.12's generators still use the numpy aliases np.float, np.int, np.bool and np.object,
which numpy 1.24 removed; they are restored here before the generator runs.
"""
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")
for alias, builtin in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if alias not in np.__dict__:
        setattr(np, alias, builtin)

from onnx.backend.test.cmd_tools import main  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.argv = ["backend-test-tools", "generate-data", "-o", sys.argv[1]]
    main()
