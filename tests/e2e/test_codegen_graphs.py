#!/usr/bin/python3
"""Graph shapes that stress the plan-following C backend: outputs read by later nodes,
several outputs (some from inside a row-band region), an output that is a flatten of an
intermediate, residual adds across regions, concat and split of branches, an input read by
several branches, pad before a conv, global average pooling after row bands, MaxPool with
ceil_mode, stride-2 and dilation-2 convs, 1x1, very wide, very tall and odd-sized maps, and
a RAM budget that forces tiles, and upsampling (nearest into a skip add, bilinear by 2 and to
a size, in both builds). Each model is built with PyTorch, and
`rnnpoolc run --board mps2-an386 --json --calib DIR` (and again with --stream-input) must
report host_match: the generated C in QEMU equals the host fixed-point interpreter byte for
byte. A case in EXPECTED_ERRORS must instead fail with exit status 2 and one error line.

  test_codegen_graphs.py RNNPOOLC WORKDIR [NAME...]
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "rnnpool"))
import rnnpool as R  # noqa: E402


def conv(cin, cout, k=3, **kw):
    kw.setdefault("padding", (k - 1) // 2 * kw.get("dilation", 1))
    return nn.Conv2d(cin, cout, k, **kw)


class OutputAlsoRead(nn.Module):
    """The first conv's output is a model output and the input of the next conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(8, 8), conv(8, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        return a, self.c(F.relu(self.b(a)))


class MidOutputs(nn.Module):
    """Three outputs: two from the middle of a conv chain, one at its end."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 8, stride=2)
        self.c, self.d = conv(8, 8), conv(8, 6)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = F.relu(self.b(a))
        c = F.relu(self.c(b))
        return b, self.d(c), c


class FlattenOutput(nn.Module):
    """One output is the flatten of an intermediate map that later convs also read."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.fc = conv(3, 4), conv(4, 4, stride=2), nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = F.relu(self.b(a))
        return torch.flatten(b, 1), self.fc(torch.flatten(b, 1))


class ResidualAcross(nn.Module):
    """A residual add whose two inputs are separated by a pool and an upsampling-free
    stride-1 chain, so that they come from different regions."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.d = conv(3, 8), conv(8, 8), conv(8, 8, k=1), conv(8, 8)
        self.e = conv(8, 4, stride=2)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = F.relu(self.b(a))
        c = self.d(F.relu(self.c(b)))
        return self.e(F.relu(a + c))


class ConcatBranches(nn.Module):
    """The input is read by three branches whose outputs are concatenated."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 4), conv(3, 4, k=1), conv(3, 4, k=5)
        self.d = conv(12, 6)

    def forward(self, x):
        y = torch.cat([F.relu(self.a(x)), F.relu(self.b(x)), F.relu(self.c(x))], 1)
        return self.d(y)


class Fire(nn.Module):
    """SqueezeNet's fire module as torchvision writes it: a 1x1 squeeze, then a 1x1 and a
    3x3 expansion concatenated along the channels."""

    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.s = conv(cin, squeeze, k=1)
        self.e1, self.e3 = conv(squeeze, expand, k=1), conv(squeeze, expand)

    def forward(self, x):
        s = F.relu(self.s(x))
        return torch.cat([F.relu(self.e1(s)), F.relu(self.e3(s))], 1)


class FireModules(nn.Module):
    """A SqueezeNet-1.1-like stem: a strided conv, a ceil-mode max pool, two fire modules
    and a conv; the concats run in row bands (CONCAT_BANDED)."""

    def __init__(self):
        super().__init__()
        self.stem = conv(3, 16, stride=2)
        self.fire1, self.fire2 = Fire(16, 8, 16), Fire(32, 8, 24)
        self.out = conv(48, 6)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, ceil_mode=True)
        return self.out(self.fire2(self.fire1(x)))


class Inception(nn.Module):
    """GoogLeNet's inception block: four branches (1x1; 1x1 -> 3x3; 1x1 -> 3x3 -> 3x3; a
    3x3 max pool -> 1x1) of different ranges, hence different scales, concatenated; the
    second block reads the first's concat."""

    def __init__(self):
        super().__init__()
        self.stem = conv(3, 12)
        self.blocks = nn.ModuleList()
        for cin in (12, 20):
            self.blocks.append(nn.ModuleList([
                conv(cin, 4, k=1), nn.Sequential(conv(cin, 6, k=1), nn.ReLU(), conv(6, 6)),
                nn.Sequential(conv(cin, 3, k=1), nn.ReLU(), conv(3, 4), nn.ReLU(), conv(4, 4)),
                conv(cin, 6, k=1)]))
        self.out = conv(20, 5)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for a, b, c, d in self.blocks:
            pooled = F.max_pool2d(x, 3, 1, padding=1)
            x = torch.cat([F.relu(a(x)), F.relu(b(x)), 3 * F.relu(c(x)),
                           F.relu(d(pooled))], 1)
        return self.out(x)


class ChannelSlices(nn.Module):
    """Slices of the channels every way an export writes them: torch.flip (a step of -1), a
    step of 2, a negative start, a slice of the model input, concatenated and added; they
    all run in row bands (CONCAT_BANDED)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(6, 6), conv(12, 4)

    def forward(self, x):
        y = F.relu(self.a(x))
        f = torch.flip(y, [1])[:, 1:7]
        z = F.relu(self.b(torch.cat([y[:, 1:7:2], y[:, 0:3]], 1) + f))
        return self.c(torch.cat([z, x[:, 0:2], y[:, -4:]], 1))


class SplitBranches(nn.Module):
    """A channel split whose halves take different convs and are added."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.d = conv(3, 8), conv(4, 4), conv(4, 4, k=1), conv(4, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        p, q = torch.split(a, 4, dim=1)
        return self.d(F.relu(self.b(p) + self.c(q)))


class PadConv(nn.Module):
    """An explicit Pad (asymmetric) before an unpadded conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8, padding=0), conv(8, 4, padding=0)

    def forward(self, x):
        a = F.relu(self.a(F.pad(x, (1, 2, 0, 1))))
        return self.b(F.pad(a, (1, 1, 1, 1)))


class GapAfterBands(nn.Module):
    """Global average pooling after a strided conv chain, then a classifier."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8, stride=2), conv(8, 16), conv(16, 16, stride=2)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        y = F.relu(self.c(F.relu(self.b(F.relu(self.a(x))))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class MaxPoolCeil(nn.Module):
    """MaxPool with ceil_mode over an odd map, between convs."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        return self.b(F.max_pool2d(a, 3, stride=2, ceil_mode=True))


class StrideDilation(nn.Module):
    """Stride-2 and dilation-2 convs in one chain, plus a depthwise conv."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 8, stride=2)
        self.b = conv(8, 8, dilation=2)
        self.c = conv(8, 8, groups=8, dilation=2, stride=2)
        self.d = conv(8, 4, k=1)

    def forward(self, x):
        return self.d(F.relu(self.c(F.relu(self.b(F.relu(self.a(x)))))))


class Chain(nn.Module):
    """A plain conv chain for unusual map shapes (1x1, 1xW, Hx1, odd)."""

    def __init__(self, cin=3, k=3):
        super().__init__()
        self.a, self.b, self.c = conv(cin, 8, k), conv(8, 8, k), conv(8, 4, 1)

    def forward(self, x):
        return self.c(F.relu(self.b(F.relu(self.a(x)))))


class WideChain(nn.Module):
    """1xW maps: (1, 3) kernels, so that the rows are one pixel tall."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, (1, 3), padding=(0, 1))
        self.b = nn.Conv2d(8, 8, (1, 3), padding=(0, 2), dilation=(1, 2))
        self.c = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.c(F.relu(self.b(F.relu(self.a(x)))))


class TallChain(nn.Module):
    """Hx1 maps: (3, 1) kernels with a stride-2 pool between them."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, (3, 1), padding=(1, 0))
        self.b = nn.Conv2d(8, 4, (3, 1), padding=(1, 0))

    def forward(self, x):
        a = F.relu(self.a(x))
        return self.b(F.max_pool2d(a, (2, 1)))


class Downsample(nn.Module):
    """A wide map downsampled 4x: with the frame resident and a generous --mac-overhead,
    tiles need less RAM than row bands, so a --ram-budget between them forces tiles on a
    region that reads the model input."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 16), conv(16, 32, stride=2)
        self.c, self.d = conv(32, 32, stride=2, groups=32), conv(32, 8, k=1)

    def forward(self, x):
        return self.d(F.relu(self.c(F.relu(self.b(F.relu(self.a(x)))))))


class InputResidual(nn.Module):
    """The model input is added to a conv chain's output and concatenated with it."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 3)

    def forward(self, x):
        y = self.b(F.relu(self.a(x))) + x
        return torch.cat([x, y], 1)


class SplitOutputs(nn.Module):
    """An unequal three-way channel split, each part a model output, one also pooled."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 9)

    def forward(self, x):
        p, q, r = torch.split(F.relu(self.a(x)), [2, 3, 4], dim=1)
        return p, F.max_pool2d(q, 2), r


class GapFlatten(nn.Module):
    """A 1x1 map flattened as the output (the same bytes in HWC and NCHW), and a second
    output from the band before the pooling."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8, stride=2), conv(8, 6)

    def forward(self, x):
        b = torch.sigmoid(self.b(F.relu(self.a(x))))
        return torch.flatten(F.adaptive_avg_pool2d(b, 1), 1), b


class BranchesConcatOutputs(nn.Module):
    """Two branches of different depth and stride, both outputs, also concatenated."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 4, stride=2), conv(3, 4), conv(4, 4, stride=2)
        self.d = conv(8, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        c = F.relu(self.c(F.relu(self.b(x))))
        return a, self.d(torch.cat([a, c], 1)), c


class PoolsMixed(nn.Module):
    """Ceil-mode MaxPool with padding, AveragePool (count_include_pad off), tanh, clip."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 4)

    def forward(self, x):
        a = torch.tanh(self.a(x))
        a = F.max_pool2d(a, 3, stride=2, padding=1, ceil_mode=True)
        a = F.avg_pool2d(a, 3, stride=1, padding=1, count_include_pad=False)
        return torch.clamp(self.b(a), -0.5, 0.5)


class RNNPoolOutputs(nn.Module):
    """A conv whose output is a model output and feeds an RNNPool layer (odd map, so the
    last patches drop a remainder), then a residual-free head; three outputs."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 6, stride=2)
        self.pool = R.RNNPoolLayer(6, patch=(4, 4), stride=(3, 2), hidden=(4, 4))
        R.randomize_(self.pool, torch.Generator().manual_seed(0))
        self.b = conv(16, 8)

    def forward(self, x):
        a = F.relu(self.a(x))
        p = self.pool(a)
        return a, self.b(p), torch.flatten(F.adaptive_avg_pool2d(p, 1), 1)


class InputIsOutput(nn.Module):
    """The model input is also returned as a model output, beside a conv of it."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 4)

    def forward(self, x):
        return x.clone(), self.a(x)


class ConcatSelf(nn.Module):
    """One tensor concatenated with itself."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 4), conv(8, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        return self.b(torch.cat([a, a], 1))


class Gate(nn.Module):
    """A map multiplied by a sigmoid gate computed from it (squeeze-free attention)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(8, 8, k=1), conv(8, 4, groups=2, stride=2)

    def forward(self, x):
        a = F.relu(self.a(x))
        return self.c(a * torch.sigmoid(self.b(a)))


class FarResidual(nn.Module):
    """A map read by a strided chain and, through a strided 1x1 conv, by an add after it;
    a model output too; and a softmax classifier on the sum."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(8, 8, stride=2), conv(8, 8)
        self.d, self.fc = conv(8, 8, k=1, stride=2), nn.Linear(8 * 8 * 8, 5)

    def forward(self, x):
        a = F.relu(self.a(x))
        s = F.relu(self.c(F.relu(self.b(a)))) + self.d(a)
        return F.softmax(self.fc(torch.flatten(s, 1)), 1), a


class ConcatRows(nn.Module):
    """Concat along rows (a documented limitation: channels only)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 4), conv(3, 4)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 2)


class ReshapeMap(nn.Module):
    """A map reshaped into another map (a documented limitation: bytes are HWC)."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 4)

    def forward(self, x):
        return self.a(x).reshape(1, 2, 16, 8)


class DownPadResidual(nn.Module):
    """Downsample with a Pad before the first conv and a residual from a ceil-mode pool of
    the input: with --mac-overhead 200% the whole graph is one tiled region that reads the
    model input, streamed or not."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 16, padding=0), conv(16, 32, stride=2)
        self.c, self.d = conv(32, 32, stride=2, groups=32), conv(32, 8, k=1)
        self.e = conv(3, 8, k=1)

    def forward(self, x):
        y = F.relu(self.b(F.relu(self.a(F.pad(x, (1, 1, 1, 1))))))
        return self.d(F.relu(self.c(y))) + self.e(F.max_pool2d(x, 4, ceil_mode=True))


class DownMidOutput(nn.Module):
    """Downsample on an odd width whose tiled region's last map but one is also pooled
    into a second output (a tensor that escapes the tiled region)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 16), conv(16, 32, stride=2)
        self.c, self.d = conv(32, 32, stride=2, groups=32), conv(32, 8, k=1)

    def forward(self, x):
        c = F.relu(self.c(F.relu(self.b(F.relu(self.a(x))))))
        return self.d(c), torch.flatten(F.adaptive_avg_pool2d(c, 1), 1)


class BigPad(nn.Module):
    """Convs padded beyond their kernels: border rows read no input row at all."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 4, 1, padding=2), nn.Conv2d(4, 4, 3, padding=3)
        self.c = conv(4, 4, stride=2)

    def forward(self, x):
        return self.c(F.relu(self.b(F.relu(self.a(x)))))


class MeanHeads(nn.Module):
    """Reductions over rows and columns as PyTorch writes them (global pools after the
    global-pools pass): x.mean((2, 3), keepdim=True) into a 1x1 conv, and two heads,
    x.mean((-2, -1)) and x.amax((2, 3))."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 8, stride=2)
        self.head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = F.relu(self.b(a))
        return self.head(a.mean((2, 3), keepdim=True)), b.mean((-2, -1)), b.amax((2, 3))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation as torchvision writes it: MobileNetV3's block (hard-swish,
    x * hardsigmoid(fc(relu(fc(mean)))), the gate [1, C, 1, 1]) and EfficientNet's (SiLU,
    sigmoid gate written first: gate * x), then a strided conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 8), conv(8, 8, groups=8)
        self.fc1, self.fc2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 1)
        self.fc3, self.fc4 = nn.Conv2d(8, 2, 1), nn.Conv2d(2, 8, 1)
        self.c = conv(8, 4, stride=2)

    def forward(self, x):
        a = F.hardswish(self.a(x))
        s = F.hardsigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(a, 1)))))
        b = F.silu(self.b(a * s))
        e = torch.sigmoid(self.fc4(F.silu(self.fc3(b.mean((2, 3), keepdim=True)))))
        return self.c(e * b)


class SpatialGate(nn.Module):
    """A spatial attention gate (CBAM's): x * sigmoid(conv(cat(mean over channels, max over
    channels))), the gate [1, 1, H, W] read row by row with the map."""

    def __init__(self):
        super().__init__()
        self.a, self.g = conv(3, 8), nn.Conv2d(2, 1, 3, padding=1)
        self.c = conv(8, 4, stride=2)

    def forward(self, x):
        a = F.relu(self.a(x))
        pooled = torch.cat([a.mean(1, keepdim=True), a.amax(1, keepdim=True)], 1)
        return self.c(a * torch.sigmoid(self.g(pooled)))


class DenseBlock(nn.Module):
    """DenseNet's layers as torchvision writes them: the input normalised by a BatchNorm,
    then twice cat(features) -> BatchNorm -> ReLU -> 1x1 conv -> BatchNorm -> ReLU -> 3x3
    conv (the first BatchNorm of each layer has no conv before it to fold into), and a
    transition: BatchNorm -> ReLU -> 1x1 conv -> 2x2 average pool."""

    def __init__(self):
        super().__init__()
        self.norm0 = nn.BatchNorm2d(3)
        self.layers = nn.ModuleList()
        for cin in (3, 7):
            self.layers.append(nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, 8, 1),
                                             nn.BatchNorm2d(8), nn.ReLU(),
                                             nn.Conv2d(8, 4, 3, padding=1)))
        self.transition = nn.Sequential(nn.BatchNorm2d(11), nn.ReLU(), nn.Conv2d(11, 6, 1),
                                        nn.AvgPool2d(2))
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.3, 0.3)

    def forward(self, x):
        features = [self.norm0(x)]
        for layer in self.layers:
            features.append(layer(torch.cat(features, 1)))
        return self.transition(torch.cat(features, 1))


class RNNPoolTiles(nn.Module):
    """A conv and an RNNPool layer (8x8 patches at stride 8x6) over a wide odd map: tiled
    with the frame resident, row bands (summaries carried) when streamed."""

    def __init__(self):
        super().__init__()
        self.a = conv(3, 8)
        self.pool = R.RNNPoolLayer(8, patch=(8, 8), stride=(8, 6), hidden=(8, 4))
        R.randomize_(self.pool, torch.Generator().manual_seed(0))
        self.b = conv(16, 4, k=1)

    def forward(self, x):
        return self.b(self.pool(F.relu(self.a(x))))


class Deep(nn.Module):
    """Nine 3x3 convs with dilations 1, 2, 3: many rings, several row-band regions."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(
            [conv(3 if i == 0 else 4, 4, dilation=1 + i % 3) for i in range(9)])

    def forward(self, x):
        for c in self.convs:
            x = F.relu(c(x))
        return x


class ManyChannels(nn.Module):
    """300 channels (a pixel wider than a row of the map) through a depthwise conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b = conv(3, 300, k=1), conv(300, 300, groups=300)
        self.c = conv(300, 5, k=1)

    def forward(self, x):
        return self.c(F.relu6(self.b(F.relu6(self.a(x)))))


class Activations(nn.Module):
    """HardSwish, a LeakyReLU residual, a ceil-mode AveragePool counting its padding, then
    two outputs: a sigmoid of a conv and a ReLU6 of the pool."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(8, 8), conv(8, 4)

    def forward(self, x):
        a = F.hardswish(self.a(x))
        b = F.leaky_relu(self.b(a), 0.2) + a
        p = F.avg_pool2d(b, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
        return torch.sigmoid(self.c(p)), F.relu6(p)


def onnx_graph(nodes, weights, outputs):
    """Returns a builder of an ONNX model (opset 13) with input 'x' and the given nodes;
    weights maps initializer names to shapes (seeded random) or to int64 arrays."""

    def make(path, shape):
        import onnx
        from onnx import helper, numpy_helper, TensorProto
        rng = np.random.RandomState(0)
        inits = [numpy_helper.from_array(
            v if isinstance(v, np.ndarray) else (rng.randn(*v) * 0.3).astype(np.float32), k)
            for k, v in weights.items()]
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model = onnx.shape_inference.infer_shapes(model)
        onnx.checker.check_model(model)
        onnx.save(model, path)

    return make


def node(op, ins, outs, **attrs):
    from onnx import helper
    return helper.make_node(op, ins, outs, **attrs)


class FpnUpsample(nn.Module):
    """An FPN-like block: a stride-2 branch upsampled by 2 (nearest, asymmetric, floor) and
    added to the skip connection, then a conv."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 8), conv(8, 8, stride=2), conv(8, 6)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = F.relu(self.b(a))
        return self.c(a + F.interpolate(b, scale_factor=2, mode="nearest"))


class BilinearUpsample(nn.Module):
    """Bilinear upsampling (linear, pytorch_half_pixel or align_corners) by 2 and to an
    explicit size, each followed by a conv."""

    def __init__(self, align_corners):
        super().__init__()
        self.align = align_corners
        self.a, self.b, self.c = conv(3, 8, stride=2), conv(8, 6), conv(6, 4)

    def forward(self, x):
        a = F.relu(self.a(x))
        b = self.b(F.interpolate(a, scale_factor=2, mode="bilinear",
                                 align_corners=self.align))
        return self.c(F.interpolate(b, size=(13, 9), mode="bilinear", align_corners=self.align))


class SharedHead(nn.Module):
    """An FCOS/RetinaNet-style head: one tower applied to two feature levels (its weights
    shared), each level's scores made [1, positions, 4] and concatenated."""

    def __init__(self):
        super().__init__()
        self.stem, self.down = conv(3, 8), conv(8, 8, stride=2)
        self.tower = nn.Sequential(conv(8, 8), nn.ReLU(), conv(8, 4, k=1))

    def forward(self, x):
        a = F.relu(self.stem(x))
        b = F.relu(self.down(a))
        heads = [self.tower(m).permute(0, 2, 3, 1).reshape(1, -1, 4) for m in (a, b)]
        return torch.cat(heads, 1)


class SegmentSoftmax(nn.Module):
    """A segmentation head: per-pixel class scores through a softmax over the classes
    (dim=1; below opset 13 PyTorch exports it as Transpose - Softmax - Transpose), or over
    the map's columns (dim=-1, strided in the backends' HWC layout: refused)."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim
        self.a, self.b = conv(3, 8), conv(8, 5, k=1)

    def forward(self, x):
        return F.softmax(self.b(F.relu(self.a(x))), self.dim)


CONV_W = {"w1": [8, 3, 3, 3], "b1": [8], "w2": [6, 8, 3, 3], "b2": [6]}
# Add(a, a): a node reading one tensor twice (the planner's ready list once waited for a
# second producer of it and dropped the rest of the graph); with 'a' an output and not.
SELF_ADD = [node("Conv", ["x", "w1", "b1"], ["a"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
            node("Add", ["a", "a"], ["s"]),
            node("Conv", ["s", "w2", "b2"], ["y"], pads=[1, 1, 1, 1], kernel_shape=[3, 3],
                 strides=[2, 2])]
# SAME_UPPER with stride 2 on an odd map, asymmetric explicit pads, SAME_LOWER.
SAME_PADS = [node("Conv", ["x", "w1", "b1"], ["a"], auto_pad="SAME_UPPER", strides=[2, 2],
                  kernel_shape=[3, 3]),
             node("Relu", ["a"], ["r"]),
             node("Conv", ["r", "w2", "b2"], ["c"], pads=[0, 1, 2, 0], kernel_shape=[3, 3]),
             node("MaxPool", ["c"], ["p"], kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1),
             node("Conv", ["p", "w3", "b3"], ["y"], auto_pad="SAME_LOWER", kernel_shape=[2, 2])]

# name: (module, input shape, extra run flags); the flags of TILED force a tiled region
# without --stream-input, of TILED_STREAMED with it too (checked in the plan that
# `rnnpoolc compile` writes).
TILES_50 = ["--mac-overhead", "50%", "--ram-budget", "15K"]
TILES_200 = ["--mac-overhead", "200%", "--ram-budget", "13K"]
CASES = {
    "output_also_read": (OutputAlsoRead, [1, 3, 12, 12], []),
    "mid_outputs": (MidOutputs, [1, 3, 16, 16], []),
    "flatten_output": (FlattenOutput, [1, 3, 16, 16], []),
    "residual_across": (ResidualAcross, [1, 3, 16, 16], []),
    "concat_branches": (ConcatBranches, [1, 3, 14, 14], []),
    "fire_modules": (FireModules, [1, 3, 63, 48], []),
    "inception": (Inception, [1, 3, 37, 30], []),
    "inception_float": (Inception, [1, 3, 37, 30], ["--float"]),
    "channel_slices": (ChannelSlices, [1, 3, 21, 17], []),
    "split_branches": (SplitBranches, [1, 3, 12, 12], []),
    "pad_conv": (PadConv, [1, 3, 11, 13], []),
    "gap_after_bands": (GapAfterBands, [1, 3, 20, 20], []),
    "maxpool_ceil": (MaxPoolCeil, [1, 3, 13, 11], []),
    "stride_dilation": (StrideDilation, [1, 3, 23, 19], []),
    "map_1x1": (lambda: Chain(k=1), [1, 3, 1, 1], []),
    "map_1x1_k3": (Chain, [1, 3, 1, 1], []),
    "wide_1xW": (WideChain, [1, 3, 1, 97], []),
    "tall_Hx1": (TallChain, [1, 3, 97, 1], []),
    "odd_7x5": (Chain, [1, 3, 7, 5], []),
    "input_residual": (InputResidual, [1, 3, 10, 9], []),
    "split_outputs": (SplitOutputs, [1, 3, 9, 10], []),
    "gap_flatten": (GapFlatten, [1, 3, 15, 17], []),
    "branches_concat_outputs": (BranchesConcatOutputs, [1, 3, 17, 15], []),
    "pools_mixed": (PoolsMixed, [1, 3, 15, 14], []),
    "tall_stride_2x1": (StrideDilation, [1, 3, 201, 9], []),
    "rnnpool_outputs": (RNNPoolOutputs, [1, 3, 23, 21], []),
    "input_is_output": (InputIsOutput, [1, 3, 6, 7], []),
    "self_add_output": (onnx_graph(SELF_ADD, CONV_W | {"w2": [6, 8, 3, 3]}, ["a", "y"]),
                        [1, 3, 9, 9], []),
    "self_add": (onnx_graph(SELF_ADD, CONV_W, ["y"]), [1, 3, 12, 10], []),
    "same_pads": (onnx_graph(SAME_PADS, CONV_W | {"w3": [4, 6, 2, 2], "b3": [4]}, ["y", "r"]),
                  [1, 3, 11, 14], []),
    "concat_self": (ConcatSelf, [1, 3, 8, 9], []),
    "gate": (Gate, [1, 3, 10, 11], []),
    "far_residual": (FarResidual, [1, 3, 16, 16], []),
    "concat_rows": (ConcatRows, [1, 3, 8, 8], []),
    "reshape_map": (ReshapeMap, [1, 3, 8, 8], []),
    "big_pad": (BigPad, [1, 3, 7, 6], []),
    "mean_heads": (MeanHeads, [1, 3, 14, 12], []),
    "squeeze_excite": (SqueezeExcite, [1, 3, 13, 14], []),
    "spatial_gate": (SpatialGate, [1, 3, 15, 12], []),
    "dense_block": (DenseBlock, [1, 3, 14, 13], []),
    "tall_k3": (Chain, [1, 3, 150, 2], []),
    "wide_k3": (Chain, [1, 3, 1, 97], []),
    "tiles_pad_residual": (DownPadResidual, [1, 3, 32, 96], ["--mac-overhead", "200%"]),
    "tiles_mid_output": (DownMidOutput, [1, 3, 32, 95], ["--mac-overhead", "200%"]),
    "deep": (Deep, [1, 3, 31, 7], []),
    "many_channels": (ManyChannels, [1, 3, 5, 4], []),
    "rnnpool_tiles": (RNNPoolTiles, [1, 3, 33, 94], []),
    "budget_too_small": (Chain, [1, 3, 16, 16], ["--ram-budget", "1K"]),
    "budget_float": (Chain, [1, 3, 16, 16], ["--ram-budget", "8K", "--float"]),
    "activations": (Activations, [1, 3, 13, 12], []),
    "tiles_2x4": (Downsample, [1, 3, 32, 96], TILES_50),
    "tiles_1x3": (Downsample, [1, 3, 32, 96], TILES_200),
    "fpn_upsample": (FpnUpsample, [1, 3, 12, 10], []),
    "bilinear_upsample": (lambda: BilinearUpsample(False), [1, 3, 10, 8], []),
    "bilinear_align_corners": (lambda: BilinearUpsample(True), [1, 3, 10, 8], []),
    "upsample_float": (lambda: BilinearUpsample(False), [1, 3, 10, 8], ["--float"]),
    "shared_head": (SharedHead, [1, 3, 12, 10], []),
    "shared_head_float": (SharedHead, [1, 3, 12, 10], ["--float"]),
    "segment_softmax": (SegmentSoftmax, [1, 3, 9, 11], []),
    "segment_softmax_op11": (SegmentSoftmax, [1, 3, 9, 11], []),
    "segment_softmax_float": (SegmentSoftmax, [1, 3, 9, 11], ["--float"]),
    "softmax_columns": (lambda: SegmentSoftmax(-1), [1, 3, 9, 11], []),
}
# Cases whose weights are shared between nodes: model_weights.c defines each array once.
SHARED_WEIGHTS = {"shared_head", "shared_head_float"}
# Cases exported at another opset than 13.
OPSETS = {"segment_softmax_op11": 11}
# Cases whose plan runs a channel Concat in row bands, with and without --stream-input
# (channel_slices: its Slices too, which feed its Concats).
CONCAT_BANDED = {"fire_modules", "inception", "inception_float", "channel_slices"}
TILED = {"tiles_2x4", "tiles_1x3", "tiles_pad_residual", "tiles_mid_output", "rnnpool_tiles"}
# Tiled with --stream-input too. (tiles_mid_output, streamed, now plans as one row-band
# region over its branch: no extra MACs and a smaller arena than its tiles had.)
TILED_STREAMED = {"tiles_pad_residual"}
# Cases whose input file holds a batch of 3: three inferences in one QEMU run, each checked
# (a streamed input must restart its rows at every inference).
BATCHED = {"pad_conv", "mid_outputs", "rnnpool_outputs"}

# Documented limitations: name -> a fragment of the expected one-line error, or a pair
# (without --stream-input, with it).
EXPECTED_ERRORS = {
    "budget_too_small": "no plan fits in 1024 bytes: the best found needs",
    # docs/numbers.md: a flattened feature map stays HWC; only a fully connected layer
    # reads it (its weights permuted on the host), so it cannot be returned as an output.
    "flatten_output": "is a flattened feature map, which the fixed-point backend cannot "
                      "return in logical order",
    "concat_rows": "the fixed-point backend concatenates along channels only",
    "reshape_map": "reshaping a feature map into another is not supported",
    "softmax_columns": "softmax works along an axis whose values are contiguous in memory",
}


def build(work, name):
    """Exports CASES[name] to WORK/NAME/model.onnx with an input and calibration set."""
    make, shape, _ = CASES[name]
    out_dir = os.path.join(work, name)
    os.makedirs(os.path.join(out_dir, "calib"), exist_ok=True)
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, [3 if name in BATCHED else 1] + shape[1:]).astype(np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x)
    x = x[:1]
    for k in range(4):
        np.save(os.path.join(out_dir, "calib", "%d.npy" % k),
                rng.uniform(-1, 1, shape).astype(np.float32))
    path = os.path.join(out_dir, "model.onnx")
    if getattr(make, "__name__", "") == "make":  # an onnx_graph builder
        make(path, shape)
        return out_dir, path
    torch.manual_seed(0)
    with torch.no_grad():
        torch.onnx.export(make().eval(), torch.from_numpy(x), path,
                          opset_version=OPSETS.get(name, 13))
    return out_dir, path


def run(rnnpoolc, out_dir, path, flags):
    calib = [] if "--float" in flags else ["--calib", os.path.join(out_dir, "calib")]
    p = subprocess.run([rnnpoolc, "run", path, "--input", os.path.join(out_dir, "input.npy"),
                        "--board", "mps2-an386", "--json", *calib, *flags],
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.strip()


def compiled_plan(rnnpoolc, out_dir, path, flags):
    """The plan `rnnpoolc compile` makes with these flags, or None if it fails."""
    c_dir = os.path.join(out_dir, "c")
    calib = [] if "--float" in flags else ["--calib", os.path.join(out_dir, "calib")]
    p = subprocess.run([rnnpoolc, "compile", path, "-o", c_dir, *calib, *flags],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return None
    with open(os.path.join(c_dir, "plan.json")) as f:
        return json.load(f)


def has_tiles(rnnpoolc, out_dir, path, flags):
    """Does the plan `rnnpoolc compile` makes with these flags have a tiled region?"""
    plan = compiled_plan(rnnpoolc, out_dir, path, flags)
    return plan is not None and any(r["strategy"] == "tiles" for r in plan["regions"])


def has_banded_concat(rnnpoolc, out_dir, path, flags):
    """Does that plan compute a Concat in more than one step (row bands)?"""
    plan = compiled_plan(rnnpoolc, out_dir, path, flags)
    steps = [s for s in (plan or {"steps": []})["steps"] if s["op"] == "Concat"]
    return len(steps) > len({s["node"] for s in steps})


def check_case(rnnpoolc, work, name, stream):
    out_dir, path = build(work, name)
    flags = CASES[name][2] + (["--stream-input"] if stream else [])
    if name in (TILED_STREAMED if stream else TILED) and not has_tiles(rnnpoolc, out_dir, path,
                                                                       flags):
        return False, "%s: the plan has no tiled region" % name
    if name in CONCAT_BANDED and not has_banded_concat(rnnpoolc, out_dir, path, flags):
        return False, "%s: the plan runs no Concat in row bands" % name
    if name in SHARED_WEIGHTS and compiled_plan(rnnpoolc, out_dir, path, flags) and \
            "the values of" not in open(os.path.join(out_dir, "c", "model_weights.c")).read():
        return False, "%s: the shared tower's arrays are emitted twice" % name
    tag = name + (" --stream-input" if stream else "")
    rc, out, err = run(rnnpoolc, out_dir, path, flags)
    if name in EXPECTED_ERRORS:
        want = EXPECTED_ERRORS[name]
        want = want[stream] if isinstance(want, tuple) else want
        ok = rc == 2 and len(err.splitlines()) == 1 and want in err
        return ok, "%s: expected error (%s)" % (tag, err)
    if rc != 0:
        return False, "%s: exit %d: %s" % (tag, rc, err[-600:])
    r = json.loads(out)
    runs = 3 if name in BATCHED else 1
    ok = bool(r["host_match"]) and r.get("inferences", 1) == runs
    return ok, "%s: host_match %s over %d inference(s), arena %d bytes, %d instructions" % (
        tag, r["host_match"], r.get("inferences", 1), r["arena_bytes"], r["instructions"])


class TwoInputs(nn.Module):
    """Two model inputs, each through a conv, added, concatenated and strided."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = conv(3, 4), conv(2, 4), conv(8, 4, stride=2)

    def forward(self, x, y):
        a, b = F.relu(self.a(x)), F.relu(self.b(y))
        return self.c(torch.cat([a + b, b], 1)), a


def check_two_inputs(rnnpoolc, work):
    """A two-input model: QEMU == host fixed point with synthetic calibration and with each
    input calibrated by name (--calib NAME=FILE); --stream-input and one --calib for both
    inputs are documented one-line errors."""
    out_dir = os.path.join(work, "two_inputs")
    os.makedirs(os.path.join(out_dir, "calib"), exist_ok=True)
    rng = np.random.RandomState(1)
    xs = [rng.uniform(-1, 1, s).astype(np.float32) for s in ([1, 3, 12, 10], [1, 2, 12, 10])]
    files = [os.path.join(out_dir, "in%d.npy" % k) for k in range(2)]
    for f, x in zip(files, xs):
        np.save(f, x)
    np.save(os.path.join(out_dir, "calib", "0.npy"), xs[0])
    path = os.path.join(out_dir, "model.onnx")
    torch.manual_seed(0)
    with torch.no_grad():
        torch.onnx.export(TwoInputs().eval(), tuple(torch.from_numpy(x) for x in xs), path,
                          opset_version=13)
    base = [rnnpoolc, "run", path, "--input", files[0], "--input", files[1], "--board",
            "mps2-an386", "--json"]
    results = []
    p = subprocess.run(base, capture_output=True, text=True, timeout=300)
    ok = p.returncode == 0 and json.loads(p.stdout)["host_match"]
    results.append((ok, "two_inputs: host_match %s" % ok if p.returncode == 0 else
                    "two_inputs: exit %d: %s" % (p.returncode, p.stderr.strip()[-600:])))
    import onnx
    names = [i.name for i in onnx.load(path).graph.input]
    by_name = []
    for k, (name, x) in enumerate(zip(names, xs)):
        np.save(os.path.join(out_dir, "calib_%d.npy" % k), x)
        by_name += ["--calib", "%s=%s" % (name, os.path.join(out_dir, "calib_%d.npy" % k))]
    p = subprocess.run(base + by_name, capture_output=True, text=True, timeout=300)
    ok = p.returncode == 0 and json.loads(p.stdout)["host_match"]
    results.append((ok, "two_inputs --calib NAME=FILE: host_match %s" % ok if p.returncode == 0
                    else "two_inputs: exit %d: %s" % (p.returncode, p.stderr.strip()[-600:])))
    for flags, want in ((["--stream-input"], "--stream-input on a board supports models with "
                                             "one input"),
                        (["--calib", os.path.join(out_dir, "calib")],
                         "give each its data as --calib NAME=FILE|DIR")):
        p = subprocess.run(base + flags, capture_output=True, text=True, timeout=300)
        err = p.stderr.strip()
        ok = p.returncode == 2 and len(err.splitlines()) == 1 and want in err
        results.append((ok, "two_inputs %s: expected error (%s)" % (flags[0], err)))
    return results


def main(rnnpoolc, work, names):
    os.makedirs(work, exist_ok=True)
    failures = []
    if not names or "two_inputs" in names:
        for ok, line in check_two_inputs(rnnpoolc, work):
            print("%-4s %s" % ("ok" if ok else "FAIL", line), flush=True)
            if not ok:
                failures.append(line)
        names = [n for n in names if n != "two_inputs"] if names else list(CASES)
    for name in names:
        for stream in (False, True):
            ok, line = check_case(rnnpoolc, work, name, stream)
            print("%-4s %s" % ("ok" if ok else "FAIL", line), flush=True)
            if not ok:
                failures.append(line)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
