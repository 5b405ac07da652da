"""RNNPool for PyTorch, with the semantics of Microsoft EdgeML's RNNPool (NeurIPS 2020).

See README.md in this directory and the design notes (DESIGN.md §3). Everything here
is batched: every patch of every image goes through the RNNs at once (patches are folded
into the batch dim), so a layer costs r + c (RNN1) and 2·(r + c) (RNN2) cell calls,
whatever the image size.

Parameter names and shapes follow EdgeML's FastGRNNCell (W: in×hid, U: hid×hid,
W1/W2 and U1/U2 when low rank, bias_gate/bias_update: 1×hid, zeta/nu: 1×1 raw values,
sigmoid applied in the forward pass), so a trained EdgeML state_dict loads by renaming
the cell prefixes only.
"""
import contextlib
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

NONLINEARITIES = ("sigmoid", "tanh", "quantSigm", "quantTanh", "relu")
STYLES = ("functional", "inplace")
EXTRACTIONS = ("unfold", "slice")


@contextlib.contextmanager
def _static_shape_checks():
    """While torch.onnx.export traces, sizes are tensors and a shape check such as
    `h < r` turns one into a Python bool, which PyTorch reports as a TracerWarning. The
    checks only guard static shapes (rnnpoolc compiles for static shapes), so the warning
    says nothing here: silence it inside the check, and only there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        yield


def apply_nonlinearity(a, name):
    """The FastGRNN gate/update nonlinearities, by EdgeML name."""
    if name == "sigmoid":
        return torch.sigmoid(a)
    if name == "tanh":
        return torch.tanh(a)
    if name == "quantSigm":
        return torch.clamp((a + 1.0) / 2.0, 0.0, 1.0)
    if name == "quantTanh":
        return torch.clamp(a, -1.0, 1.0)
    if name == "relu":
        return torch.relu(a)
    raise ValueError("unknown nonlinearity %r (one of %s)" % (name, ", ".join(NONLINEARITIES)))


class FastGRNNCell(nn.Module):
    """One FastGRNN step: h' = z*h + (sigmoid(zeta)*(1-z) + sigmoid(nu)) * c with
    z = gate_nl(x·W + h·U + bias_gate), c = update_nl(x·W + h·U + bias_update)."""

    def __init__(self, input_size, hidden_size, gate_nonlinearity="sigmoid",
                 update_nonlinearity="tanh", w_rank=None, u_rank=None,
                 zeta_init=1.0, nu_init=-4.0):
        super().__init__()
        for nl in (gate_nonlinearity, update_nonlinearity):
            if nl not in NONLINEARITIES:
                raise ValueError("unknown nonlinearity %r" % nl)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.gate_nonlinearity = gate_nonlinearity
        self.update_nonlinearity = update_nonlinearity
        self.w_rank = w_rank
        self.u_rank = u_rank

        def param(*shape):
            return nn.Parameter(0.1 * torch.randn(*shape))

        if w_rank is None:
            self.W = param(input_size, hidden_size)
        else:
            self.W1 = param(input_size, w_rank)
            self.W2 = param(w_rank, hidden_size)
        if u_rank is None:
            self.U = param(hidden_size, hidden_size)
        else:
            self.U1 = param(hidden_size, u_rank)
            self.U2 = param(u_rank, hidden_size)
        self.bias_gate = nn.Parameter(torch.ones(1, hidden_size))
        self.bias_update = nn.Parameter(torch.ones(1, hidden_size))
        self.zeta = nn.Parameter(torch.full((1, 1), float(zeta_init)))
        self.nu = nn.Parameter(torch.full((1, 1), float(nu_init)))

    def weight_names(self):
        """Parameter names in the canonical order of the ai.rnnpoolc RNNPool node:
        W (or W1, W2), U (or U1, U2), bias_gate, bias_update, zeta, nu."""
        names = ["W"] if self.w_rank is None else ["W1", "W2"]
        names += ["U"] if self.u_rank is None else ["U1", "U2"]
        return names + ["bias_gate", "bias_update", "zeta", "nu"]

    def weights(self):
        return [getattr(self, n) for n in self.weight_names()]

    def forward(self, x, h):
        if self.w_rank is None:
            wx = torch.matmul(x, self.W)
        else:
            wx = torch.matmul(torch.matmul(x, self.W1), self.W2)
        if self.u_rank is None:
            uh = torch.matmul(h, self.U)
        else:
            uh = torch.matmul(torch.matmul(h, self.U1), self.U2)
        pre = wx + uh
        z = apply_nonlinearity(pre + self.bias_gate, self.gate_nonlinearity)
        c = apply_nonlinearity(pre + self.bias_update, self.update_nonlinearity)
        return z * h + (torch.sigmoid(self.zeta) * (1.0 - z) + torch.sigmoid(self.nu)) * c

    def extra_repr(self):
        return "%d, %d, gate=%s, update=%s, w_rank=%s, u_rank=%s" % (
            self.input_size, self.hidden_size, self.gate_nonlinearity,
            self.update_nonlinearity, self.w_rank, self.u_rank)


def _pair(v, what):
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ValueError("%s: expected 2 values, got %r" % (what, v))
        return tuple(v)
    return (v, v)


def _nl_pairs(nonlinearities):
    """("sigmoid", "tanh") for both RNNs, or (("g1", "u1"), ("g2", "u2"))."""
    a, b = nonlinearities
    if isinstance(a, str):
        return (a, b), (a, b)
    return tuple(a), tuple(b)


class RNNPool(nn.Module):
    """RNNPool on a batch of patches [B, k, r, c] -> [B, 4*h2] (2*h2 if not bidirectional).

    Output order (EdgeML's): [RNN2 forward over the row summaries (top to bottom),
    RNN2 backward over the row summaries, forward over the column summaries (left to
    right), backward over the column summaries]; row summaries come from RNN1 sweeping
    each row left to right, column summaries from RNN1 sweeping each column top to
    bottom. All sweeps start from h = 0.

    bidirectional=False (output [fwd rows, fwd cols]) and shared_rnn2=False (own weights
    for the backward sweeps, in self.rnn2_reverse) are near misses, not RNNPool.
    """

    def __init__(self, n_rows, n_cols, in_channels, hidden1, hidden2,
                 w_ranks=(None, None), u_ranks=(None, None),
                 nonlinearities=("sigmoid", "tanh"), style="functional",
                 bidirectional=True, shared_rnn2=True):
        super().__init__()
        if style not in STYLES:
            raise ValueError("style must be one of %s" % (STYLES,))
        self.n_rows, self.n_cols = n_rows, n_cols
        self.in_channels = in_channels
        self.hidden1, self.hidden2 = hidden1, hidden2
        self.style = style
        self.bidirectional = bidirectional
        self.shared_rnn2 = shared_rnn2
        w1, w2 = _pair(w_ranks, "w_ranks")
        u1, u2 = _pair(u_ranks, "u_ranks")
        (g1, up1), (g2, up2) = _nl_pairs(nonlinearities)
        self.rnn1 = FastGRNNCell(in_channels, hidden1, g1, up1, w1, u1)
        self.rnn2 = FastGRNNCell(hidden1, hidden2, g2, up2, w2, u2)
        if bidirectional and not shared_rnn2:
            self.rnn2_reverse = FastGRNNCell(hidden1, hidden2, g2, up2, w2, u2)

    @property
    def out_channels(self):
        return (4 if self.bidirectional else 2) * self.hidden2

    def _rnn2_reverse(self):
        return self.rnn2 if self.shared_rnn2 else self.rnn2_reverse

    # -- functional style: states passed along, stack/unbind/cat/split ------------------
    def _sweep(self, cell, steps, h):
        for x in steps:
            h = cell(x, h)
        return h

    def _summaries_functional(self, x, line_dim):
        """RNN1 over every line of x along line_dim (2: each column top to bottom, 3: each
        row left to right). Returns the summaries as a list, one [B, h1] per line, in
        order."""
        b = x.shape[0]
        across = 3 if line_dim == 2 else 2      # the dim that indexes the lines
        # Put the lines into the batch: [lines*B, k, steps], line-major.
        lines = torch.cat(torch.unbind(x, dim=across), dim=0)
        h0 = torch.zeros(lines.shape[0], self.hidden1, dtype=x.dtype, device=x.device)
        last = self._sweep(self.rnn1, torch.unbind(lines, dim=2), h0)
        return torch.split(last, b, dim=0)

    def _bidir_functional(self, summaries):
        """RNN2 over a list of [B, h1] summaries, forward and (if bidirectional) backward."""
        b = summaries[0].shape[0]
        seq = torch.stack(summaries)             # [T, B, h1]
        h0 = torch.zeros(b, self.hidden2, dtype=seq.dtype, device=seq.device)
        steps = torch.unbind(seq, dim=0)
        fwd = self._sweep(self.rnn2, steps, h0)
        if not self.bidirectional:
            return [fwd]
        bwd = self._sweep(self._rnn2_reverse(), steps[::-1], h0)
        return [fwd, bwd]

    def _forward_functional(self, x):
        row_summaries = self._summaries_functional(x, line_dim=3)
        col_summaries = self._summaries_functional(x, line_dim=2)
        return torch.cat(self._bidir_functional(row_summaries)
                         + self._bidir_functional(col_summaries), dim=1)

    # -- inplace style: preallocated state tensors written in place ---------------------
    def _sweep_inplace(self, cell, seq, hidden, reverse=False):
        """seq [T, N, in]; returns the state tensor [T + 1, N, hidden], states[0] = 0,
        states[t + 1] = state after t + 1 steps (of the reversed sequence if reverse)."""
        t_len, n = seq.shape[0], seq.shape[1]
        states = torch.zeros(t_len + 1, n, hidden, dtype=seq.dtype, device=seq.device)
        for t in range(t_len):
            src = t_len - 1 - t if reverse else t
            states[t + 1] = cell(seq[src], states[t].clone())
        return states

    def _forward_inplace(self, x):
        b, k, r, c = x.shape
        h2 = self.hidden2
        # Row sweeps: time = column, batch = (row, patch).
        rows = x.permute(3, 2, 0, 1).reshape(c, r * b, k)
        row_sum = self._sweep_inplace(self.rnn1, rows, self.hidden1)[c].reshape(r, b, -1)
        # Column sweeps: time = row, batch = (column, patch).
        cols = x.permute(2, 3, 0, 1).reshape(r, c * b, k)
        col_sum = self._sweep_inplace(self.rnn1, cols, self.hidden1)[r].reshape(c, b, -1)
        out = torch.zeros(b, self.out_channels, dtype=x.dtype, device=x.device)
        slot = 0
        for seq in (row_sum, col_sum):
            t_len = seq.shape[0]
            out[:, slot:slot + h2] = self._sweep_inplace(self.rnn2, seq, h2)[t_len]
            slot += h2
            if self.bidirectional:
                out[:, slot:slot + h2] = self._sweep_inplace(
                    self._rnn2_reverse(), seq, h2, reverse=True)[t_len]
                slot += h2
        return out

    def forward(self, x):
        with _static_shape_checks():
            if x.dim() != 4 or x.shape[1] != self.in_channels or \
                    x.shape[2] != self.n_rows or x.shape[3] != self.n_cols:
                raise ValueError("RNNPool expects [B, %d, %d, %d], got %s" % (
                    self.in_channels, self.n_rows, self.n_cols, list(x.shape)))
        if self.style == "functional":
            return self._forward_functional(x)
        return self._forward_inplace(x)


class RNNPoolLayer(nn.Module):
    """RNNPool on every r×c patch at stride (sh, sw) of [N, k, H, W]
    -> [N, 4*h2, (H - r)//sh + 1, (W - c)//sw + 1]. No padding; a remainder is dropped.

    extraction="unfold" cuts patches with F.unfold (im2col), "slice" with a loop of
    slices; style is passed to RNNPool. All combinations compute the same values.
    """

    def __init__(self, in_channels, patch=(8, 8), stride=(4, 4), hidden=(16, 16),
                 w_ranks=(None, None), u_ranks=(None, None),
                 nonlinearities=("sigmoid", "tanh"), style="functional",
                 extraction="unfold", bidirectional=True, shared_rnn2=True):
        super().__init__()
        if extraction not in EXTRACTIONS:
            raise ValueError("extraction must be one of %s" % (EXTRACTIONS,))
        self.in_channels = in_channels
        self.patch = tuple(_pair(patch, "patch"))
        self.stride = tuple(_pair(stride, "stride"))
        self.hidden = tuple(_pair(hidden, "hidden"))
        self.extraction = extraction
        self.pool = RNNPool(self.patch[0], self.patch[1], in_channels, self.hidden[0],
                            self.hidden[1], w_ranks, u_ranks, nonlinearities, style,
                            bidirectional, shared_rnn2)

    @property
    def out_channels(self):
        return self.pool.out_channels

    @property
    def style(self):
        return self.pool.style

    def output_hw(self, h, w):
        (r, c), (sh, sw) = self.patch, self.stride
        with _static_shape_checks():
            if h < r or w < c:
                raise ValueError("input %dx%d smaller than the patch %dx%d" % (h, w, r, c))
        return (h - r) // sh + 1, (w - c) // sw + 1

    def extract_patches(self, x):
        """[N, k, H, W] -> [N * Ho * Wo, k, r, c], patch (i, j) of image n at n*Ho*Wo + i*Wo + j."""
        n, k, h, w = x.shape
        (r, c), (sh, sw) = self.patch, self.stride
        ho, wo = self.output_hw(h, w)
        if self.extraction == "unfold":
            cols = F.unfold(x, kernel_size=(r, c), stride=(sh, sw))       # [N, k*r*c, L]
            return cols.transpose(1, 2).reshape(n * ho * wo, k, r, c)
        patches = [x[:, :, i * sh:i * sh + r, j * sw:j * sw + c]
                   for i in range(ho) for j in range(wo)]
        return torch.stack(patches, dim=1).reshape(n * ho * wo, k, r, c)

    def forward(self, x):
        n, _, h, w = x.shape
        ho, wo = self.output_hw(h, w)
        y = self.pool(self.extract_patches(x))                             # [N*L, D]
        return y.reshape(n, ho, wo, -1).permute(0, 3, 1, 2)


def randomize_(module, generator=None, scale=0.5):
    """Give every FastGRNN parameter of module a random value (in place) so that tests
    and exports do not sit on EdgeML's all-ones biases (which torch.onnx.export would
    also deduplicate into Identity nodes); states stay O(1). Returns module."""
    with torch.no_grad():
        for cell in module.modules():
            if not isinstance(cell, FastGRNNCell):
                continue
            for name, p in cell.named_parameters():
                noise = torch.randn(p.shape, generator=generator, dtype=p.dtype)
                if name == "zeta":          # sigmoid(zeta) mostly 0.5 .. 0.9
                    p.copy_(noise + 1.0)
                elif name == "nu":          # sigmoid(nu) mostly 0.05 .. 0.25
                    p.copy_(noise * 0.7 - 2.0)
                elif name.startswith("bias"):
                    p.copy_(noise * scale)
                else:
                    fan_in = p.shape[0]
                    p.copy_(noise * (1.5 / fan_in ** 0.5))
    return module
