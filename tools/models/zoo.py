"""Small PyTorch models used by rnnpoolc's tests and examples.

Each builder returns (module, input_shape). Weights are random but seeded, and BatchNorm
statistics are randomised so that folding them is actually exercised.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


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


def small_cnn():
    torch.manual_seed(0)
    return _randomize_batchnorm(SmallCnn()).eval(), (1, 1, 28, 28)


def branchy():
    torch.manual_seed(1)
    return BranchyNet().eval(), (1, 3, 20, 24)


def mobilenet_v2(resolution=64):
    import torchvision
    torch.manual_seed(2)
    model = torchvision.models.mobilenet_v2(weights=None)
    return _randomize_batchnorm(model).eval(), (1, 3, resolution, resolution)


MODELS = {"small_cnn": small_cnn, "branchy": branchy, "mobilenet_v2": mobilenet_v2}
