"""Re-creations of the RNNPool authors' models, written the way they wrote them.

The architectures follow the RNNPool paper (Saha et al., NeurIPS 2020) and the structure of
the authors' published face detectors and Visual Wake Words models; the code is our own.
What matters for rnnpoolc is how these modules are written, because that is what
torch.onnx.export turns into a graph:

- an RNNPool layer is nn.Unfold -> the patches moved into the batch (cat of unbind,
  reshape) -> an RNNPool module on every patch -> the pooled vectors stacked back
  (stack of split) -> F.fold with a 1x1 kernel, which PyTorch 1.13 cannot export without
  tools/rnnpool/torch_export.py;
- the RNNPool module runs FastGRNN over time-major sequences, stacks every state and takes
  the last ([-1]); its bidirectional RNN2 concatenates the forward and backward states, so
  the output [B, 4*h2] is a Concat of Gathers;
- the face detectors pad the pooled map with F.pad(..., mode='replicate'), L2-normalise
  three feature maps with a learnt per-channel scale broadcast by expand_as, take the
  max-out background on the first head and return loc [N, A, 4] and conf [N, A, 2]
  (softmax), each head permuted to NHWC and flattened;
- the VWW model ends with an RNNPool over its whole 7x7 map (output [N, 4*h2], rank 2)
  and a Linear.

Each builder returns (module in eval mode, input shape) with seeded random weights. Export
with tools/rnnpool/torch_export.py (or tools/models/export.py, which uses it).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "rnnpool"))
sys.path.insert(0, _HERE)
import rnnpool as R  # noqa: E402
import zoo  # noqa: E402


class FastGRNNSequence(nn.Module):
    """FastGRNN over a time-major sequence [T, B, in] from h = 0, returning every state
    [T, B, hid]; bidirectional (one set of weights) returns [T, B, 2*hid], the forward
    states then the backward ones, each in the order they were computed, so [-1] holds
    both final states."""

    def __init__(self, input_size, hidden_size, bidirectional=False):
        super().__init__()
        self.cell = R.FastGRNNCell(input_size, hidden_size)
        self.bidirectional = bidirectional

    def _unroll(self, seq, order):
        h = torch.zeros(seq.shape[1], self.cell.hidden_size, dtype=seq.dtype)
        states = []
        for t in order:
            h = self.cell(seq[t], h)
            states.append(h)
        return torch.stack(states)

    def forward(self, seq):
        steps = seq.shape[0]
        forward = self._unroll(seq, range(steps))
        if not self.bidirectional:
            return forward
        backward = self._unroll(seq, range(steps - 1, -1, -1))
        return torch.cat([forward, backward], dim=2)


class RNNPoolModule(nn.Module):
    """RNNPool on a batch of patches [B, k, r, c] -> [B, 4*h2] (DESIGN.md §3): RNN1 sweeps
    every row left to right and every column top to bottom; RNN2 sweeps the row summaries
    and the column summaries forward and backward. Output [rows fwd, rows bwd, cols fwd,
    cols bwd]."""

    def __init__(self, n_rows, n_cols, hidden1, hidden2, in_channels):
        super().__init__()
        self.n_rows, self.n_cols = n_rows, n_cols
        self.hidden1, self.hidden2 = hidden1, hidden2
        self.rnn1 = FastGRNNSequence(in_channels, hidden1)
        self.rnn2 = FastGRNNSequence(hidden1, hidden2, bidirectional=True)

    def _summaries(self, patches, line_dim):
        """RNN1 over every line of every patch; line_dim 2 = rows (swept along the columns),
        3 = columns (swept along the rows). Returns [lines, B, h1]."""
        batch = patches.shape[0]
        lines = torch.cat(torch.unbind(patches, dim=line_dim), dim=0)    # [lines*B, k, len]
        sequence = torch.stack(torch.unbind(lines, dim=2))                # [len, lines*B, k]
        last = self.rnn1(sequence)[-1]                                     # [lines*B, h1]
        return torch.stack(torch.split(last, batch, dim=0))

    def forward(self, patches):
        rows = self.rnn2(self._summaries(patches, line_dim=2))[-1]         # [B, 2*h2]
        cols = self.rnn2(self._summaries(patches, line_dim=3))[-1]
        return torch.cat([rows, cols], dim=1)


BATCHINGS = ("reshape", "unbind")


class UnfoldRNNPool(nn.Module):
    """An RNNPool layer as the authors wrote it: unfold, every patch into the batch, the
    RNNPool module, then F.fold with a 1x1 kernel back to [N, 4*h2, Ho, Wo].

    columns_first=True puts the column sweeps' half of every pooled vector first, as the
    authors' QVGA face detector does after its RNNPool module.

    batching="unbind" moves the patches in and out of the batch exactly as the authors'
    code does (cat of unbind over the L patches, stack of split back: two ONNX nodes per
    patch, about 3,400 for a 320x240 face detector, and a slow export); "reshape" does the
    same with one permute and reshape each way (same values, patch-major batch)."""

    def __init__(self, in_channels, patch, stride, hidden, batching="reshape",
                 columns_first=False):
        super().__init__()
        self.columns_first = columns_first  # the QVGA detector swaps the halves
        if batching not in BATCHINGS:
            raise ValueError("batching must be one of %s" % (BATCHINGS,))
        self.in_channels, self.patch, self.stride = in_channels, patch, stride
        self.batching = batching
        self.unfold = nn.Unfold(kernel_size=(patch, patch), stride=(stride, stride))
        self.pool = RNNPoolModule(patch, patch, hidden[0], hidden[1], in_channels)

    def forward(self, x):
        batch = x.shape[0]
        patches = self.unfold(x)                                           # [N, k*r*c, L]
        if self.batching == "unbind":
            patches = torch.cat(torch.unbind(patches, dim=2), dim=0)       # [L*N, k*r*c]
        else:
            patches = patches.permute(2, 0, 1)                             # [L, N, k*r*c]
        patches = torch.reshape(patches, (-1, self.in_channels, self.patch, self.patch))
        out_rows = int((x.shape[2] - self.patch) / self.stride + 1)
        out_cols = int((x.shape[3] - self.patch) / self.stride + 1)
        pooled = self.pool(patches)                                        # [L*N, 4*h2]
        if self.columns_first:  # [cols fwd, cols bwd, rows fwd, rows bwd]
            half = 2 * self.pool.hidden2
            pooled = torch.cat((pooled[:, half:], pooled[:, :half]), 1)
        if self.batching == "unbind":
            pooled = torch.stack(torch.split(pooled, batch, dim=0), dim=2) # [N, 4*h2, L]
        else:
            pooled = pooled.reshape(out_rows * out_cols, batch, -1).permute(1, 2, 0)
        return F.fold(pooled, kernel_size=(1, 1), output_size=(out_rows, out_cols))


class L2Norm(nn.Module):
    """S3FD's L2 normalisation over channels with a learnt per-channel scale, broadcast by
    expand_as (exported as Expand of the [1, C, 1, 1] weight to the input's shape)."""

    def __init__(self, channels, scale):
        super().__init__()
        self.eps = 1e-10
        self.weight = nn.Parameter(torch.full((channels,), float(scale)))

    def forward(self, x):
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt() + self.eps
        x = torch.div(x, norm)
        return self.weight.unsqueeze(0).unsqueeze(2).unsqueeze(3).expand_as(x) * x


def conv_bn_relu6(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU6())


def head_pair(channels, classes, k=3):
    """S3FD's loc and conf k x k convs for one feature map (one anchor per pixel)."""
    return (nn.Conv2d(channels, 4, k, padding=k // 2),
            nn.Conv2d(channels, classes, k, padding=k // 2))


class FaceDetector(nn.Module):
    """An S3FD-style RNNPool face detector: [stem conv] -> RNNPool 8x8 stride 4 -> replicate
    pad (0, 1, 0, 1) -> MBConv stages; three stages end in an L2Norm'd source, the last in a
    plain one; a loc and a conf head on each source, the first conf with a max-out
    background (max over 3 background channels, then the face channel). Outputs
    loc [N, A, 4] and softmax(conf) [N, A, 2], heads flattened in NHWC order."""

    def __init__(self, stem, in_channels, hidden, stages, sources, scales, classes=2,
                 columns_first=False, head_kernels=None):
        """sources: the channels of every stage's output (one head each); scales: the
        L2Norm scales of the first len(scales) sources; head_kernels: the heads' kernel
        size per source (default 3)."""
        super().__init__()
        self.stem = stem
        self.rnnpool = UnfoldRNNPool(in_channels, 8, 4, hidden, columns_first=columns_first)
        self.stages = nn.ModuleList(nn.Sequential(*blocks) for blocks in stages)
        if len(sources) != len(stages) or len(scales) >= len(sources):
            raise ValueError("one source per stage, the last without an L2Norm")
        self.norms = nn.ModuleList(L2Norm(c, s) for c, s in zip(sources, scales))
        kernels = head_kernels or [3] * len(sources)
        heads = [head_pair(c, classes, k) for c, k in zip(sources, kernels)]
        heads[0] = head_pair(sources[0], 3 + (classes - 1), kernels[0])
        self.loc = nn.ModuleList(h[0] for h in heads)
        self.conf = nn.ModuleList(h[1] for h in heads)
        self.classes = classes

    def forward(self, x):
        x = self.rnnpool(self.stem(x))
        x = F.pad(x, (0, 1, 0, 1), mode="replicate")
        sources = []
        for k, stage in enumerate(self.stages):
            x = stage(x)
            sources.append(self.norms[k](x) if k < len(self.norms) else x)
        return s3fd_outputs(self.loc, self.conf, sources, self.classes)


def s3fd_outputs(loc_heads, conf_heads, sources, classes):
    """S3FD's outputs: a loc and a conf head on every source, the first conf with a max-out
    background (max over 3 background channels, then the face channel), each head permuted
    to NHWC and flattened, concatenated: loc [N, A, 4] and softmax(conf) [N, A, classes]."""
    conf0 = conf_heads[0](sources[0])
    background, _ = torch.max(conf0[:, 0:3, :, :], dim=1, keepdim=True)
    confs = [torch.cat((background, conf0[:, 3:, :, :]), dim=1)]
    confs += [conf(s) for conf, s in zip(conf_heads[1:], sources[1:])]
    locs = [loc(s) for loc, s in zip(loc_heads, sources)]
    locs = [o.permute(0, 2, 3, 1).contiguous() for o in locs]
    confs = [o.permute(0, 2, 3, 1).contiguous() for o in confs]
    loc = torch.cat([o.view(o.size(0), -1) for o in locs], 1)
    conf = torch.cat([o.view(o.size(0), -1) for o in confs], 1)
    return (loc.view(loc.size(0), -1, 4),
            F.softmax(conf.view(conf.size(0), -1, classes), dim=-1))


class DepthwiseBlock(nn.Module):
    """An inverted residual of expansion 1 as the authors write it: no expansion conv, the
    3x3 depthwise conv on the input, then the 1x1 projection (+ residual)."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
            nn.BatchNorm2d(cin), nn.ReLU6(),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def _mbconv_stages(cin, settings):
    """settings: per stage, a list of (expansion, cout, stride) blocks."""
    stages = []
    for blocks in settings:
        stage = []
        for expand, cout, stride in blocks:
            stage.append(zoo.MBConv(cin, cout, expand, stride) if expand != 1 else
                         DepthwiseBlock(cin, cout, stride))
            cin = cout
        stages.append(stage)
    return stages


def _finish(module, seed):
    """Random FastGRNN weights, BatchNorm statistics and L2Norm scales around their init."""
    gen = torch.Generator().manual_seed(seed)
    R.randomize_(module, gen)
    zoo._randomize_batchnorm(module)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, L2Norm):
                m.weight.mul_(1 + 0.2 * torch.rand(m.weight.shape, generator=gen))
    return module.eval()


def rpool_face_m4():
    """RPool_Face_M4-like (the paper's Face-M4 on a Cortex-M4): 320x240 mono, conv 3x3 / 2
    to 4 channels, RNNPool 8x8 / 4 with h1 = h2 = 16 (64 channels at 29x39, 30x40 after the
    pad), MBConv blocks with expansion 2 (64->32, 32->32, 32->64 stride 2, 64->64), L2Norm
    scales 10 / 8 / 5 on the first three sources, a fourth head on the last."""
    torch.manual_seed(11)
    stem = conv_bn_relu6(1, 4, 2)
    stages = _mbconv_stages(64, [[(2, 32, 1)], [(2, 32, 1)], [(2, 64, 2)], [(2, 64, 1)]])
    model = FaceDetector(stem, 4, (16, 16), stages, (32, 32, 64, 64), (10, 8, 5))
    return _finish(model, 11), (1, 1, 240, 320)


def rpool_face_m4_unbind():
    """rpool_face_m4 with the patches moved in and out of the batch exactly as the authors'
    code does (cat of unbind, stack of split: about 3,200 ONNX nodes, a slower export)."""
    model, shape = rpool_face_m4()
    model.rnnpool.batching = "unbind"
    return model, shape


def rpool_face_qvga_mono():
    """RPool_Face_QVGA_monochrome-like, smaller: the RNNPool (8x8 / 4, h1 = h2 = 16) reads
    the 1-channel image itself (no stem) and its output has the column sweeps first, then
    MBConv stages to 32 / 64 / 96 (stride 2) / 128 channels, one block each with expansion 2
    (the authors' has 10 blocks with expansion 6), L2Norm scales 10 / 8 / 5, four heads.
    Input 160x120 (a quarter of QVGA's pixels) to keep the QEMU run short."""
    torch.manual_seed(12)
    stages = _mbconv_stages(64, [[(2, 32, 1)], [(2, 64, 1)], [(2, 96, 2)], [(2, 128, 1)]])
    model = FaceDetector(nn.Identity(), 1, (16, 16), stages, (32, 64, 96, 128), (10, 8, 5),
                         columns_first=True)
    return _finish(model, 12), (1, 1, 120, 160)


def rpool_face_qvga():
    """RPool_Face_QVGA_monochrome as the authors configure it, at its own 320x240: the
    RNNPool (8x8 / 4, h1 = h2 = 16) on the 1-channel image, column sweeps first, then ten
    MobileNetV2 blocks with expansion 6 (t, c, n, s: 6, 32, 1, 1; 6, 64, 3, 1; 6, 96, 3, 2;
    6, 128, 3, 1), a source after the first, fourth, seventh and tenth, L2Norm scales 10 / 8
    / 5, four heads. 2.3 G MACs: planned and run on the host, too slow for QEMU in CI."""
    torch.manual_seed(13)
    stages = _mbconv_stages(64, [[(6, 32, 1)], [(6, 64, 1)] * 3,
                                 [(6, 96, 2), (6, 96, 1), (6, 96, 1)], [(6, 128, 1)] * 3])
    model = FaceDetector(nn.Identity(), 1, (16, 16), stages, (32, 64, 96, 128), (10, 8, 5),
                         columns_first=True)
    return _finish(model, 13), (1, 1, 240, 320)


def rpool_face_c():
    """RPool_Face_C as the authors configure it: the RNNPool (8x8 / 4, h1 = h2 = 16) on the
    RGB image, pad, then fifteen MobileNetV2 blocks (t, c, n, s: 1, 24, 1, 1; 6, 24, 1, 1;
    6, 32, 3, 2; 6, 64, 4, 2; 6, 96, 3, 2; 6, 160, 2, 2; 6, 320, 1, 2), six sources with
    heads of 5x5 (the three L2Norm'd: scales 10 / 8 / 5), 1x1, 1x1 and 3x3 over 24 to 320
    channels. At 320x240 (the authors train it on larger frames) to keep QEMU short: 1.0 G
    instructions."""
    torch.manual_seed(14)
    stages = _mbconv_stages(64, [[(1, 24, 1), (6, 24, 1)], [(6, 32, 2)] + [(6, 32, 1)] * 2,
                                 [(6, 64, 2)] + [(6, 64, 1)] * 3, [(6, 96, 2)] + [(6, 96, 1)] * 2,
                                 [(6, 160, 2), (6, 160, 1)], [(6, 320, 2)]])
    model = FaceDetector(nn.Identity(), 3, (16, 16), stages, (24, 32, 64, 96, 160, 320),
                         (10, 8, 5), head_kernels=[5, 5, 5, 1, 1, 3])
    return _finish(model, 14), (1, 3, 240, 320)


class FaceQuant(nn.Module):
    """RPool_Face_Quant's structure: two convs (3 -> 4 stride 2, 4 -> 4) whose output is
    both the first source (L2Norm'd; its loc and conf heads start with a conv of stride 2)
    and the RNNPool's input (8x8 / 4, h1 = h2 = 8), then MobileNetV2 blocks of expansion 2
    (t, c, n, s: 2, 16, 4, 1; 2, 24, 4, 2; 2, 32, 2, 2; 2, 64, 1, 2; 2, 96, 1, 2) and a source
    after each stage, L2Norm scales 10 / 8 / 5, six heads, max-out background on the first."""

    def __init__(self, classes=2):
        super().__init__()
        self.conv_top = nn.Sequential(conv_bn_relu6(3, 4, 2), conv_bn_relu6(4, 4, 1))
        self.rnnpool = UnfoldRNNPool(4, 8, 4, (8, 8))
        stages = _mbconv_stages(32, [[(2, 16, 1)] * 4, [(2, 24, 2)] + [(2, 24, 1)] * 3,
                                     [(2, 32, 2), (2, 32, 1)], [(2, 64, 2)], [(2, 96, 2)]])
        self.stages = nn.ModuleList(nn.Sequential(*blocks) for blocks in stages)
        self.norms = nn.ModuleList(L2Norm(c, s) for c, s in ((4, 10), (16, 8), (24, 5)))
        first = [nn.Sequential(conv_bn_relu6(4, 8, 2), nn.Conv2d(8, n, 3, padding=1))
                 for n in (4, 3 + (classes - 1))]
        self.loc = nn.ModuleList([first[0]] + [nn.Conv2d(c, 4, 3, padding=1)
                                               for c in (16, 24, 32, 64, 96)])
        self.conf = nn.ModuleList([first[1]] + [nn.Conv2d(c, classes, 3, padding=1)
                                                for c in (16, 24, 32, 64, 96)])
        self.classes = classes

    def forward(self, x):
        x = self.conv_top(x)
        sources = [self.norms[0](x)]
        x = F.pad(self.rnnpool(x), (0, 1, 0, 1), mode="replicate")
        for k, stage in enumerate(self.stages):
            x = stage(x)
            sources.append(self.norms[k + 1](x) if k + 1 < len(self.norms) else x)
        return s3fd_outputs(self.loc, self.conf, sources, self.classes)


def rpool_face_quant():
    """RPool_Face_Quant-like (FaceQuant) at 320x240 RGB: a source and its stride-2 heads
    before the RNNPool, five stages down to a 2x3 map. 127 M instructions in QEMU."""
    torch.manual_seed(15)
    return _finish(FaceQuant(), 15), (1, 3, 240, 320)


class VwwRNNPool(nn.Module):
    """A Visual Wake Words MobileNetV2 with two RNNPools: conv 3x3 / 2 to 8 channels,
    RNNPool 6x6 / 4 (h1 = h2 = 8) in place of the first stages, replicate pad, MBConv blocks
    down to a 7x7 map, a 1x1 conv, then an RNNPool over the whole 7x7 map as the final
    pooling (output [N, 4*h2], rank 2) and a Linear to 2 classes."""

    def __init__(self, classes=2, last=64):
        super().__init__()
        self.stem = conv_bn_relu6(3, 8, 2)
        self.rnnpool = UnfoldRNNPool(8, 6, 4, (8, 8))
        blocks = _mbconv_stages(32, [[(6, 16, 1), (6, 24, 2), (6, 32, 1)]])[0]
        self.features = nn.Sequential(*blocks, nn.Conv2d(32, last, 1, bias=False),
                                      nn.BatchNorm2d(last), nn.ReLU6())
        self.rnnpool_end = RNNPoolModule(7, 7, last // 4, last // 4, last)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x):
        x = self.rnnpool(self.stem(x))
        x = F.pad(x, (0, 1, 0, 1), mode="replicate")
        x = self.features(x)
        return self.classifier(self.rnnpool_end(x))


def vww_rnnpool():
    """VwwRNNPool at 112x112 RGB: 56x56 after the stem, 13x13 after the RNNPool (14x14
    padded), 7x7 before the final RNNPool."""
    torch.manual_seed(13)
    return _finish(VwwRNNPool(), 13), (1, 3, 112, 112)


MODELS = {"rpool_face_m4": rpool_face_m4, "rpool_face_m4_unbind": rpool_face_m4_unbind,
          "rpool_face_qvga_mono": rpool_face_qvga_mono, "rpool_face_qvga": rpool_face_qvga,
          "rpool_face_c": rpool_face_c, "rpool_face_quant": rpool_face_quant,
          "vww_rnnpool": vww_rnnpool}
