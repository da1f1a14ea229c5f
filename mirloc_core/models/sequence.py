"""The sequence model: encoders → TextCNN (kernels 3, 4, 5) → BiLSTM → multi-head attention → heads.

One architecture, two separately trained models:

* the **binary** model (one logit, ``p_intracellular``), fitted only to RNALoc-LM's train.tsv labels;
* the **seven-compartment** model (seven logits, multi-label), fitted to the labelled network miRNAs through
  their miRBase sequences.

They share no fitted parameter; both may read the frozen, self-supervised language model
(:class:`~mirloc_core.models.lm.RNALanguageModel`), whose hidden states are an input here, never trained.

Per-nucleotide encoders (any subset): ``onehot`` (4 channels), ``kmer`` (learned 3-mer embedding) and ``lm``
(the LM's hidden states). Global inputs (optional): ``length`` (log length and a ≤30 nt indicator — length is
a strong, honest signal, reported against the length-rule baseline) and ``kmerfreq`` (1–3-mer frequencies).

Attention: each head scores every real position; scores are soft-maxed over the sequence's real positions
only. The per-nucleotide attention returned is the mean over heads: length = sequence length, sum = 1.
All padding is masked (the LSTM never reads it: packed sequences in training, each sequence reversed within
its length for the backward direction at inference), so an output does not depend on the batch.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mirloc_core.models.lm import KmerEmbedding, kmer_frequencies, kmer_tokens, one_hot_tokens, padding_mask

from mirloc_core.config import SHORT_LENGTH  # noqa: E402,F401 (the length rule's cut-off)
"""The length rule: ≤ 30 nt ⇒ extracellular (a mature miRNA)."""


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a :class:`SequenceLocalizer`."""

    n_outputs: int = 1
    encoders: tuple = ("onehot", "kmer", "lm")
    globals: tuple = ("length", "kmerfreq")
    lm_dim: int = 64
    kmer_dim: int = 16
    cnn_channels: int = 32
    lstm_hidden: int = 32
    heads: int = 4
    attn_dim: int = 32
    mlp_hidden: int = 64
    dropout: float = 0.3

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> "ModelConfig":
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def global_features(sequences: list[str], names: tuple) -> np.ndarray:
    """Sequence-level inputs: ``length`` → [log(len)/log(1000), len ≤ 30]; ``kmerfreq`` → 84 frequencies."""
    blocks = []
    if "length" in names:
        lengths = np.array([len(s) for s in sequences], dtype=np.float32)
        blocks.append(np.stack([np.log(lengths) / math.log(1000.0), (lengths <= SHORT_LENGTH).astype(np.float32)], 1))
    if "kmerfreq" in names:
        blocks.append(kmer_frequencies(sequences))
    if not blocks:
        return np.zeros((len(sequences), 0), dtype=np.float32)
    return np.concatenate(blocks, axis=1).astype(np.float32)


def global_dim(names: tuple) -> int:
    """Number of global input columns for ``names``."""
    return (2 if "length" in names else 0) + (84 if "kmerfreq" in names else 0)


def _conv_same(x: torch.Tensor, conv: nn.Conv1d) -> torch.Tensor:
    """A 'same'-padded 1-D convolution of (B, L, C); in float64 as one matrix product (torch's float64
    convolution has no fast CPU kernel).

    For even kernels the extra zero goes on the right, as in ``padding="same"``.
    """
    k = conv.kernel_size[0]
    if x.dtype != torch.float64:  # training and float32: the native convolution (fast backward)
        padded = F.pad(x.transpose(1, 2), ((k - 1) // 2, k // 2))
        return F.conv1d(padded, conv.weight, conv.bias).transpose(1, 2)
    padded = F.pad(x, (0, 0, (k - 1) // 2, k // 2))  # float64 inference: one matrix product
    windows = padded.unfold(1, k, 1)  # (B, L, C, k)
    weight = conv.weight.reshape(conv.out_channels, -1)  # (out, C * k), C-major like the windows
    return windows.reshape(x.shape[0], x.shape[1], -1) @ weight.T + conv.bias


class SequenceLocalizer(nn.Module):
    """TextCNN → BiLSTM → multi-head attention pooling → MLP head.

    Parameters
    ----------
    cfg : ModelConfig
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        in_dim = 0
        if "onehot" in cfg.encoders:
            in_dim += 4
        if "kmer" in cfg.encoders:
            self.kmer = KmerEmbedding(cfg.kmer_dim)
            in_dim += cfg.kmer_dim
        if "lm" in cfg.encoders:
            self.lm_norm = nn.LayerNorm(cfg.lm_dim)
            in_dim += cfg.lm_dim
        self.convs = nn.ModuleList(nn.Conv1d(in_dim, cfg.cnn_channels, k) for k in (3, 4, 5))
        self.lstm = nn.LSTM(3 * cfg.cnn_channels, cfg.lstm_hidden, batch_first=True, bidirectional=True)
        self.attn_proj = nn.Linear(2 * cfg.lstm_hidden, cfg.attn_dim)
        self.attn_score = nn.Linear(cfg.attn_dim, cfg.heads, bias=False)
        n_global = global_dim(cfg.globals)
        self.register_buffer("global_mean", torch.zeros(n_global))
        self.register_buffer("global_std", torch.ones(n_global))
        self.drop = nn.Dropout(cfg.dropout)
        self.mlp = nn.Sequential(nn.Linear(cfg.heads * 2 * cfg.lstm_hidden + n_global, cfg.mlp_hidden), nn.ReLU(),
                                 nn.Dropout(cfg.dropout), nn.Linear(cfg.mlp_hidden, cfg.n_outputs))

    def set_global_scaling(self, features: np.ndarray) -> None:
        """Standardise the global inputs with the training set's mean and standard deviation."""
        if features.shape[1]:
            self.global_mean.copy_(torch.from_numpy(features.mean(0)))
            self.global_std.copy_(torch.from_numpy(features.std(0) + 1e-3))

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, lm_hidden: torch.Tensor | None = None,
                global_inputs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B, n_outputs) and per-nucleotide attention (B, L) (zero on padding, rows sum to 1)."""
        mask = padding_mask(lengths, tokens.shape[1])
        parts = []
        if "onehot" in self.cfg.encoders:
            parts.append(one_hot_tokens(tokens))
        if "kmer" in self.cfg.encoders:
            parts.append(self.kmer(tokens))
        if "lm" in self.cfg.encoders:
            if lm_hidden is None:
                raise ValueError("this model reads the language model's hidden states: pass lm_hidden")
            parts.append(self.lm_norm(lm_hidden))
        fmask = mask[..., None].to(self.mlp[0].weight.dtype)
        x = torch.cat([part.to(fmask.dtype) for part in parts], -1) * fmask
        x = torch.cat([F.relu(_conv_same(x, conv)) for conv in self.convs], -1) * fmask
        x = self.drop(x)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
        scores = self.attn_score(torch.tanh(self.attn_proj(h)))  # (B, L, heads)
        scores = scores.masked_fill(~mask[..., None], float("-inf"))
        weights = torch.softmax(scores, dim=1)
        pooled = torch.einsum("blh,bld->bhd", weights, h).flatten(1)
        if self.global_mean.numel():
            if global_inputs is None:
                raise ValueError("this model uses global inputs: pass global_inputs")
            pooled = torch.cat([pooled, (global_inputs - self.global_mean) / self.global_std], 1)
        logits = self.mlp(self.drop(pooled))
        return logits, weights.mean(-1)


class StackedLocalizers:
    """Inference-only view of several :class:`SequenceLocalizer` s of one configuration, run together.

    The same computation as calling each member in eval mode, with the members' weights stacked so that each
    layer is one batched operation for all members, and the BiLSTM one recurrence for all members and both
    directions (the backward direction reads each sequence reversed within its length, so padding is never
    read, as with packed sequences). Results agree with the per-member forward to float64 round-off (~1e-15);
    a small model spends its time in per-operation overhead, which this divides by the number of members.
    The weights are copied at construction: build it again after changing a member.

    Parameters
    ----------
    models : list of SequenceLocalizer
        Same configuration, same device and dtype.
    """

    def __init__(self, models: list):
        self.cfg = models[0].cfg
        self.n = len(models)

        def stack(get) -> torch.Tensor:
            return torch.stack([get(model).detach() for model in models])

        if "kmer" in self.cfg.encoders:
            self.kmer_k = models[0].kmer.k
            self.kmer_table = stack(lambda m: m.kmer.embedding.weight)  # (M, 4**k + 1, dim)
        self.lm_norms = [model.lm_norm for model in models] if "lm" in self.cfg.encoders else []
        # the convolutions as one product: weights of every kernel offset side by side, (M, C, sum(k) * out)
        self.kernels = [conv.kernel_size[0] for conv in models[0].convs]
        self.conv_weight = torch.cat([stack(lambda m, i=i, j=j: m.convs[i].weight[:, :, j].T)
                                      for i, k in enumerate(self.kernels) for j in range(k)], -1)
        self.conv_bias = [stack(lambda m, i=i: m.convs[i].bias)[:, None, None, :] for i in range(len(self.kernels))]
        # LSTM groups: member-major, forward then backward direction
        directions = ("", "_reverse")
        lstm = [(m.lstm, d) for m in models for d in directions]
        self.w_ih = torch.stack([getattr(layer, f"weight_ih_l0{d}").detach().T for layer, d in lstm])  # (G, in, 4H)
        self.b_ih = torch.stack([getattr(layer, f"bias_ih_l0{d}").detach() for layer, d in lstm])[:, None, :]
        self.w_hh = torch.stack([getattr(layer, f"weight_hh_l0{d}").detach().T for layer, d in lstm])  # (G, H, 4H)
        self.b_hh = torch.stack([getattr(layer, f"bias_hh_l0{d}").detach() for layer, d in lstm])[:, None, :]
        self.attn_w = stack(lambda m: m.attn_proj.weight.T)
        self.attn_b = stack(lambda m: m.attn_proj.bias)[:, None, :]
        self.score_w = stack(lambda m: m.attn_score.weight.T)
        self.global_mean = stack(lambda m: m.global_mean)[:, None, :]
        self.global_std = stack(lambda m: m.global_std)[:, None, :]
        linears = [i for i, layer in enumerate(models[0].mlp) if isinstance(layer, nn.Linear)]  # ReLU between
        self.mlp = [(stack(lambda m, i=i: m.mlp[i].weight.T), stack(lambda m, i=i: m.mlp[i].bias)[:, None, :])
                    for i in linears]

    def __call__(self, tokens: torch.Tensor, lengths: torch.Tensor, lm_hidden: torch.Tensor | None = None,
                 global_inputs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (M, B, n_outputs) and per-nucleotide attention (M, B, L), one row per member.

        Parameters are those of :meth:`SequenceLocalizer.forward`.
        """
        cfg, m = self.cfg, self.n
        batch, width = tokens.shape
        mask = padding_mask(lengths, width)
        dtype = self.w_ih.dtype
        parts = []
        if "onehot" in cfg.encoders:
            parts.append(one_hot_tokens(tokens).to(dtype).expand(m, -1, -1, -1))
        if "kmer" in cfg.encoders:
            parts.append(self.kmer_table[:, kmer_tokens(tokens, self.kmer_k)])
        if "lm" in cfg.encoders:
            if lm_hidden is None:
                raise ValueError("this model reads the language model's hidden states: pass lm_hidden")
            parts.append(torch.stack([norm(lm_hidden) for norm in self.lm_norms]))
        fmask = mask[..., None].to(dtype)
        x = torch.cat([part.to(dtype) for part in parts], -1) * fmask  # (M, B, L, C)
        # 'same'-padded convolutions (even kernels: the extra zero on the right): every offset's product at
        # once, then for each kernel the sum of its offsets' products, shifted
        out_channels = self.conv_bias[0].shape[-1]
        pad = max(self.kernels) // 2
        products = torch.bmm(x.view(m, batch * width, -1), self.conv_weight)
        products = F.pad(products.view(m, batch, width, -1, out_channels), (0, 0, 0, 0, pad, pad))
        convs, column = [], 0
        for k, bias in zip(self.kernels, self.conv_bias):
            start = pad - (k - 1) // 2
            total = products[:, :, start : start + width, column].clone()
            for j in range(1, k):
                total += products[:, :, start + j : start + j + width, column + j]
            convs.append(F.relu(total + bias))
            column += k
        x = torch.cat(convs, -1) * fmask
        # BiLSTM: the backward direction runs forward over each sequence reversed within its length
        steps = torch.arange(width, device=tokens.device)[None, :]
        reverse = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)  # an involution
        rev = reverse[None, :, :, None].expand_as(x)
        inputs = torch.stack([x, x.gather(2, rev)], 1).view(2 * m, batch * width, -1)
        projected = torch.baddbmm(self.b_ih, inputs, self.w_ih).view(2 * m, batch, width, -1)
        hidden_size = self.w_hh.shape[1]
        h = torch.zeros((2 * m, batch, hidden_size), dtype=dtype, device=tokens.device)
        c = torch.zeros_like(h)
        states = []
        for t in range(width):  # the cell of torch's CPU LSTM
            gates = torch.baddbmm(self.b_hh, h, self.w_hh).add_(projected[:, :, t])
            ingate, forgetgate, _, outgate = gates.sigmoid().chunk(4, -1)
            c = (forgetgate * c).add_(ingate * gates[..., 2 * hidden_size : 3 * hidden_size].tanh())
            h = outgate * c.tanh()
            states.append(h)
        out = torch.stack(states, 2).view(m, 2, batch, width, hidden_size)
        rev = reverse[None, :, :, None].expand(m, batch, width, hidden_size)
        h = torch.cat([out[:, 0], out[:, 1].gather(2, rev)], -1).masked_fill(~mask[None, :, :, None], 0.0)
        flat = h.view(m, batch * width, -1)
        scores = torch.bmm(torch.tanh(torch.baddbmm(self.attn_b, flat, self.attn_w)), self.score_w)
        scores = scores.view(m, batch, width, -1).masked_fill(~mask[None, :, :, None], float("-inf"))
        weights = torch.softmax(scores, dim=2)  # (M, B, L, heads)
        pooled = torch.einsum("mblh,mbld->mbhd", weights, h).flatten(2)
        if self.global_mean.numel():
            if global_inputs is None:
                raise ValueError("this model uses global inputs: pass global_inputs")
            pooled = torch.cat([pooled, (global_inputs[None] - self.global_mean) / self.global_std], -1)
        (w1, b1), (w2, b2) = self.mlp
        logits = torch.baddbmm(b2, F.relu(torch.baddbmm(b1, pooled, w1)), w2)
        return logits, weights.mean(-1)


@dataclass
class EnsembleOutput:
    """Probabilities and attention of an ensemble for a list of sequences (input order)."""

    probabilities: np.ndarray  # (N, n_outputs)
    attention: list = field(default_factory=list)  # N arrays of shape (len(sequence),), each sums to 1


def length_groups(sequences: list[str], batch_size: int) -> list[list[int]]:
    """Indices grouped by exact length (no padding at inference), in chunks of at most ``batch_size``."""
    by_length: dict[int, list[int]] = {}
    for i, seq in enumerate(sequences):
        by_length.setdefault(len(seq), []).append(i)
    groups = []
    for length in sorted(by_length):
        idx = by_length[length]
        groups.extend(idx[i : i + batch_size] for i in range(0, len(idx), batch_size))
    return groups


ATTENTION_BUDGET = 2_000_000
"""Most (sequences × length²) in one batch: the language model's attention holds that many float64 scores per head,
so memory stays bounded for long precursors (256 matures per batch, ~100 hairpins of 140 nt, 2 of 1,000 nt)."""


def padded_batches(sequences: list[str], batch_size: int, max_growth: float = 1.25,
                   attention_budget: int = ATTENTION_BUDGET) -> list[list[int]]:
    """Indices sorted by length (ties: input order), in chunks of at most ``batch_size`` similar lengths.

    A chunk ends when full, when the next sequence is more than ``max_growth`` times as long as the chunk's
    shortest, so padding stays small, or when one more sequence of that length would take the chunk past
    ``attention_budget`` (sequences × length²). Each chunk runs as one padded batch; padding is masked everywhere in the
    models, so a sequence's result depends on its chunk only through float64 round-off (~1e-15), which the
    float32 rounding of :meth:`SequenceEnsemble.predict` removes.

    Parameters
    ----------
    sequences : list of str
    batch_size : int
        Most sequences per chunk.
    max_growth : float
        Longest / shortest length allowed within a chunk.

    Returns
    -------
    list of list of int
        Chunks of indices into ``sequences``.
    """
    batches: list[list[int]] = []
    for i in sorted(range(len(sequences)), key=lambda i: len(sequences[i])):
        length = len(sequences[i])
        if (not batches or len(batches[-1]) >= batch_size or length > max_growth * len(sequences[batches[-1][0]])
                or (len(batches[-1]) + 1) * length ** 2 > attention_budget):
            batches.append([])
        batches[-1].append(i)
    return batches


class SequenceEnsemble:
    """Several seeds of one :class:`SequenceLocalizer` configuration plus the (frozen) language model.

    Parameters
    ----------
    models : list of SequenceLocalizer
        Same configuration, different seeds; probabilities and attention are averaged.
    lm : RNALanguageModel or None
        Needed when the configuration uses the ``lm`` encoder.
    """

    def __init__(self, models: list, lm=None, device: torch.device | None = None):
        self.models = models
        self.cfg = models[0].cfg
        self.lm = lm
        self.device = device or torch.device("cpu")
        self.dtype = torch.float64
        for model in self.models:
            model.to(self.device, self.dtype).eval()
        if self.lm is not None and next(self.lm.parameters()).dtype != self.dtype:
            self.lm = copy.deepcopy(self.lm).to(self.device, self.dtype).eval()
        self.stacked = StackedLocalizers(self.models)
        """All members in one pass (:meth:`predict`); built here, like the float64 copy of the LM."""

    @torch.inference_mode()
    def predict(self, sequences: list[str], batch_size: int = 256, progress=None,
                lm_cache: dict | None = None) -> EnsembleOutput:
        """Mean probabilities (sigmoid of the logits) and mean per-nucleotide attention.

        Sequences are batched with others of similar length (:func:`padded_batches`), all members run
        together (:class:`StackedLocalizers`) in float64, and results are rounded to float32: the result for
        one sequence does not depend on the rest of the input (float64 differences from different batches,
        ~1e-15, vanish in the rounding). ``progress`` (callable) receives the number of sequences done after
        each batch. ``lm_cache`` (a dict) lets two ensembles that read the same language model share its
        hidden states within one call.
        """
        from mirloc_core.models.lm import tokenize

        probs = np.zeros((len(sequences), self.cfg.n_outputs), dtype=np.float32)
        attention: list = [None] * len(sequences)
        for group in padded_batches(sequences, batch_size):
            seqs = [sequences[i] for i in group]
            tokens, lengths = tokenize(seqs)
            tokens, lengths = tokens.to(self.device), lengths.to(self.device)
            hidden = None
            if "lm" in self.cfg.encoders:
                key = (id(self.lm), tuple(group))
                if lm_cache is not None and key in lm_cache:
                    hidden = lm_cache[key]
                else:
                    hidden = self.lm(tokens, lengths)
                    if lm_cache is not None:
                        lm_cache[key] = hidden
            glob = torch.from_numpy(global_features(seqs, self.cfg.globals)).to(self.device, self.dtype)
            p_sum = torch.zeros((len(seqs), self.cfg.n_outputs), device=self.device, dtype=self.dtype)
            a_sum = torch.zeros(tokens.shape, device=self.device, dtype=self.dtype)
            logits, att = self.stacked(tokens, lengths, hidden, glob)
            for member in range(len(self.models)):  # the members' order, as when summed one by one
                p_sum += torch.sigmoid(logits[member])
                a_sum += att[member]
            p = (p_sum / len(self.models)).cpu().numpy().astype(np.float32)
            a = (a_sum / len(self.models)).cpu().numpy().astype(np.float32).astype(np.float64)
            for row, i in enumerate(group):
                probs[i] = p[row]
                vec = a[row, : len(sequences[i])]
                attention[i] = vec / vec.sum()
            if progress is not None:
                progress(len(group))
        return EnsembleOutput(probs, attention)

    # ------------------------------------------------------------------ storage

    def state_tensors(self) -> dict:
        """All member weights as ``m<i>.<param>`` tensors (for safetensors), float32 as trained."""
        return {f"m{i}.{k}": (v.float() if v.is_floating_point() else v)
                for i, model in enumerate(self.models) for k, v in model.state_dict().items()}

    @classmethod
    def from_tensors(cls, arrays: dict, cfg: ModelConfig, lm=None, device=None) -> "SequenceEnsemble":
        """Rebuild an ensemble from :meth:`state_tensors` output."""
        n = 1 + max(int(k.split(".", 1)[0][1:]) for k in arrays)
        models = []
        for i in range(n):
            model = SequenceLocalizer(cfg)
            prefix = f"m{i}."
            model.load_state_dict({k[len(prefix):]: torch.from_numpy(np.array(v)) for k, v in arrays.items()
                                   if k.startswith(prefix)})
            models.append(model)
        return cls(models, lm, device)
