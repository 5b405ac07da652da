"""Small PyTorch models used by rnnpoolc's tests and examples.

Each builder returns (module, input_shape). Weights are random but seeded, and BatchNorm
statistics are randomised so that folding them is actually exercised.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rnnpool"))


def _randomize_batchnorm(module):
    gen = torch.Generator().manual_seed(7)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    return module


class SmallCnn(nn.Module):
    """Conv-BN-ReLU, a depthwise-separable block with a residual, pooling, and a classifier
    head that flattens with x.view(x.size(0), -1), the way many PyTorch models do."""

    def __init__(self, in_channels=1, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),
                                nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.LeakyReLU(0.1),
                                  nn.AvgPool2d(2, ceil_mode=True))
        self.fc = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = self.head(self.pool(x))
        x = x.view(x.size(0), -1)
        return F.softmax(self.fc(x), dim=1)


class BranchyNet(nn.Module):
    """Concatenated branches, a sigmoid gate, a channel split and an L2 normalisation of the
    kind S3FD-style detectors apply to their feature maps."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 6, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 5, padding=2, dilation=1)
        self.gate = nn.Conv2d(12, 12, 1)
        self.scale = nn.Parameter(torch.full((1, 6, 1, 1), 10.0))

    def forward(self, x):
        y = torch.cat([F.relu(self.a(x)), torch.tanh(self.b(x))], dim=1)
        y = y * torch.sigmoid(self.gate(y))
        left, right = torch.split(y, 6, dim=1)
        norm = left.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10
        left = left / norm * self.scale
        pooled = F.adaptive_avg_pool2d(right, 1)
        return left, pooled.flatten(1)


class L2NormNet(nn.Module):
    """A conv followed by an L2 normalisation written the other way round from BranchyNet:
    x * x instead of pow, eps inside the square root, a per-channel scale."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.scale = nn.Parameter(torch.rand(1, 6, 1, 1) * 10 + 5)

    def forward(self, x):
        y = self.conv(x)
        return y / torch.sqrt((y * y).sum(dim=1, keepdim=True) + 1e-6) * self.scale


class MBConv(nn.Module):
    """MobileNetV2 inverted residual: 1x1 expand, 3x3 depthwise, 1x1 project (+ residual)."""

    def __init__(self, cin, cout, expand, stride=1):
        super().__init__()
        mid = cin * expand
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetV2Blocks(nn.Module):
    """MobileNetV2-style inverted residual blocks at a small resolution (48x48 RGB): a stem
    conv, four MBConv blocks (two with residuals), a 1x1 head, global pooling and a
    classifier. Small enough that even a float build's weights fit a microcontroller."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(MBConv(16, 24, 4, stride=2), MBConv(24, 24, 4),
                                    MBConv(24, 32, 4, stride=2), MBConv(32, 32, 4))
        self.head = nn.Sequential(nn.Conv2d(32, 96, 1, bias=False), nn.BatchNorm2d(96),
                                  nn.ReLU6())
        self.classifier = nn.Linear(96, classes)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


class RNNPoolSmall(nn.Module):
    """A small RNNPool classifier at 64x64 RGB: conv 3->8 stride 2, RNNPool 8x8 stride 4
    with h1 = h2 = 8 (32 channels at 7x7), two MBConv blocks, global pooling, classifier."""

    def __init__(self, classes=10):
        super().__init__()
        import rnnpool
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU6())
        self.pool = rnnpool.RNNPoolLayer(8, patch=(8, 8), stride=(4, 4), hidden=(8, 8))
        self.blocks = nn.Sequential(MBConv(32, 32, 2), MBConv(32, 48, 2, stride=2))
        self.classifier = nn.Linear(48, classes)

    def forward(self, x):
        x = self.blocks(self.pool(self.stem(x)))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))


class RNNPoolFace(nn.Module):
    """An RNNPool-Face-M4-shaped detector (Saha et al. 2020, Table 9): 320x240 mono input,
    conv 1->4 stride 2, RNNPool 8x8 stride 4 with h1 = h2 = 16 on the 120x160x4 map (1,131
    patches), MBConv blocks, and S3FD-style heads (class and box convs) at three scales, the
    first L2-normalised. Weights are random; the shape is what the planner sees."""

    def __init__(self):
        super().__init__()
        import rnnpool
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(4), nn.ReLU6())
        self.pool = rnnpool.RNNPoolLayer(4, patch=(8, 8), stride=(4, 4),
                                                hidden=(16, 16))
        self.stage1 = nn.Sequential(MBConv(64, 32, 2), MBConv(32, 32, 2))
        self.stage2 = nn.Sequential(MBConv(32, 64, 2, stride=2), MBConv(64, 64, 2))
        self.stage3 = nn.Sequential(MBConv(64, 96, 2, stride=2), MBConv(96, 96, 2))
        self.scale = nn.Parameter(torch.full((1, 32, 1, 1), 10.0))
        self.heads = nn.ModuleList(
            nn.Conv2d(c, 2 + 4, 3, padding=1) for c in (32, 64, 96))

    def forward(self, x):
        f1 = self.stage1(self.pool(self.stem(x)))
        f2 = self.stage2(f1)
        f3 = self.stage3(f2)
        f1 = f1 / (f1.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10) * self.scale
        return tuple(head(f) for head, f in zip(self.heads, (f1, f2, f3)))


class MobileNetV2RNNPool(nn.Module):
    """MobileNetV2-1.0 at 224x224 whose first blocks (the 112x112 and 56x56 stages) are
    replaced by conv 3->16 stride 2, one pixel of zero padding and an RNNPool layer (patch
    6, stride 4, h1 = h2 = 16 -> 64 channels at 28x28), as in the RNNPool paper's
    MobileNetV2-RNNPool."""

    def __init__(self, classes=1000):
        super().__init__()
        import torchvision
        import rnnpool
        base = torchvision.models.mobilenet_v2(weights=None)
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU6(), nn.ZeroPad2d(1))
        self.pool = rnnpool.RNNPoolLayer(16, patch=(6, 6), stride=(4, 4),
                                                hidden=(16, 16))
        self.adapt = nn.Sequential(nn.Conv2d(64, 32, 1, bias=False), nn.BatchNorm2d(32))
        self.features = base.features[7:]  # from the 14x14 stage (input 32 ch at 28x28)
        self.classifier = base.classifier

    def forward(self, x):
        x = self.features(self.adapt(self.pool(self.stem(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


class ConvNet(nn.Module):
    """A plain small conv net: two conv-BN-ReLU stages (one with stride 2) around a max
    pool, a 3x3 conv with ReLU6, global average pooling and a linear classifier that
    returns logits (no softmax, so that errors in the logits are visible)."""

    def __init__(self, classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU6())
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


class InvertedResidualNet(nn.Module):
    """MobileNetV2-style inverted-residual blocks (expand 1x1, depthwise 3x3, project 1x1):
    a stem conv, a block at stride 1 with its residual add, one at stride 2 (no residual),
    a second stride-1 residual block, then global average pooling and a linear classifier
    returning logits."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU6())
        self.blocks = nn.Sequential(MBConv(8, 8, 4), MBConv(8, 16, 4, stride=2),
                                    MBConv(16, 16, 4))
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class RNNPoolClassifier(nn.Module):
    """Conv + RNNPool + classifier: conv 1->4 stride 2 with ReLU, an RNNPool layer (patch
    4x4, stride 2, h1 = h2 = 8) on the 16x16 map, a 1x1 conv, global average pooling and a
    linear classifier returning logits."""

    def __init__(self, classes=10):
        super().__init__()
        import rnnpool
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU())
        self.pool = rnnpool.randomize_(
            rnnpool.RNNPoolLayer(4, patch=(4, 4), stride=(2, 2), hidden=(8, 8)),
            torch.Generator().manual_seed(5))
        self.mix = nn.Sequential(nn.Conv2d(32, 16, 1), nn.ReLU())
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.mix(self.pool(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def small_cnn():
    torch.manual_seed(0)
    return _randomize_batchnorm(SmallCnn()).eval(), (1, 1, 28, 28)


def branchy():
    torch.manual_seed(1)
    return BranchyNet().eval(), (1, 3, 20, 24)


def l2norm_small():
    torch.manual_seed(5)
    return L2NormNet().eval(), (1, 3, 16, 16)


def mobilenet_v2(resolution=64):
    import torchvision
    torch.manual_seed(2)
    model = torchvision.models.mobilenet_v2(weights=None)
    return _randomize_batchnorm(model).eval(), (1, 3, resolution, resolution)


def mobilenet_v2_224():
    return mobilenet_v2(224)


def mobilenet_v2_blocks():
    torch.manual_seed(5)
    return _randomize_batchnorm(MobileNetV2Blocks()).eval(), (1, 3, 48, 48)


def rnnpool_small():
    torch.manual_seed(6)
    return _randomize_batchnorm(RNNPoolSmall()).eval(), (1, 3, 64, 64)


def rnnpool_face():
    torch.manual_seed(3)
    return _randomize_batchnorm(RNNPoolFace()).eval(), (1, 1, 240, 320)


def mobilenet_v2_rnnpool():
    torch.manual_seed(4)
    return _randomize_batchnorm(MobileNetV2RNNPool()).eval(), (1, 3, 224, 224)


def conv_net():
    torch.manual_seed(5)
    return _randomize_batchnorm(ConvNet()).eval(), (1, 3, 32, 32)


def inverted_residual():
    torch.manual_seed(6)
    return _randomize_batchnorm(InvertedResidualNet()).eval(), (1, 3, 32, 32)


def rnnpool_classifier():
    torch.manual_seed(7)
    return RNNPoolClassifier().eval(), (1, 1, 32, 32)


MODELS = {"small_cnn": small_cnn, "branchy": branchy, "l2norm_small": l2norm_small,
          "mobilenet_v2": mobilenet_v2,
          "mobilenet_v2_224": mobilenet_v2_224, "rnnpool_face": rnnpool_face,
          "mobilenet_v2_rnnpool": mobilenet_v2_rnnpool, "conv_net": conv_net,
          "inverted_residual": inverted_residual, "rnnpool_classifier": rnnpool_classifier,
          "mobilenet_v2_blocks": mobilenet_v2_blocks, "rnnpool_small": rnnpool_small}
