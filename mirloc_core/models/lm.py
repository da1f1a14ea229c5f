"""Nucleotide encoders: one-hot, k-mer embedding, k-mer frequencies, and our own small RNA language model.

Tokens
------
``PAD = 0``, ``A C G U = 1 2 3 4``, ``MASK = 5``. A character outside ACGU (only found in a few trusted
miRBase entries; user input is validated by :func:`mirloc_core.io.fasta.parse_fasta`) is read as ``MASK``.

The language model (:class:`RNALanguageModel`) is a small pre-norm transformer encoder with sinusoidal
positions (so it accepts any length), pretrained with masked-language modelling on all miRBase 22 hairpins
and matures of every species (no labels: self-supervised). It is our stand-in for RNA-FM: 3 layers of
width 64 instead of 12 layers of width 640. Its weights ship in ``weights/lm/`` (safetensors + manifest), written by
:func:`mirloc_core.training.lm.save_lm` and read by :func:`mirloc_core.pretrained.load_lm`.

Padding is masked everywhere (attention keys, and padded outputs are set to zero), so the hidden state of a
real position does not depend on how much padding a batch carries.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PAD, MASK = 0, 5
VOCAB = 6
_TOKEN = {"A": 1, "C": 2, "G": 3, "U": 4, "T": 4}
LM_FILE = "lm.safetensors"


def tokenize(sequences: list[str], max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids padded to the longest sequence, and the lengths.

    Parameters
    ----------
    sequences : list of str
        RNA/DNA sequences (upper or lower case).
    max_len : int, optional
        Truncate longer sequences to this length.

    Returns
    -------
    tokens : LongTensor, shape (B, L)
    lengths : LongTensor, shape (B,)
    """
    seqs = [s[:max_len] if max_len else s for s in sequences]
    width = max((len(s) for s in seqs), default=0)
    out = np.zeros((len(seqs), width), dtype=np.int64)
    for i, seq in enumerate(seqs):
        out[i, : len(seq)] = [_TOKEN.get(c, MASK) for c in seq.upper()]
    return torch.from_numpy(out), torch.tensor([len(s) for s in seqs], dtype=torch.long)


def padding_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """Boolean mask (B, L): True on real positions."""
    return torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]


def one_hot_tokens(tokens: torch.Tensor) -> torch.Tensor:
    """One-hot (B, L, 4) in ACGU order; padding and unknown positions are all-zero."""
    hot = F.one_hot(tokens.clamp(max=VOCAB - 1), VOCAB).float()
    return hot[..., 1:5]


KMER_K = 3
N_KMERS = 4**KMER_K


def kmer_tokens(tokens: torch.Tensor, k: int = KMER_K) -> torch.Tensor:
    """Id of the k-mer starting at each position (1 … 4**k), 0 where it runs past the end or hits padding."""
    batch, width = tokens.shape
    base = (tokens - 1).clamp(min=0)
    valid = (tokens >= 1) & (tokens <= 4)
    ids = torch.zeros((batch, width), dtype=torch.long, device=tokens.device)
    ok = torch.ones((batch, width), dtype=torch.bool, device=tokens.device)
    for offset in range(k):
        shifted = torch.zeros_like(base)
        shifted_valid = torch.zeros_like(valid)
        if offset < width:
            shifted[:, : width - offset] = base[:, offset:]
            shifted_valid[:, : width - offset] = valid[:, offset:]
        ids = ids * 4 + shifted
        ok &= shifted_valid
    return torch.where(ok, ids + 1, torch.zeros_like(ids))


class KmerEmbedding(nn.Module):
    """Learned embedding of the k-mer starting at each position (the k-mer encoder)."""

    def __init__(self, dim: int = 16, k: int = KMER_K):
        super().__init__()
        self.k = k
        self.embedding = nn.Embedding(4**k + 1, dim, padding_idx=0)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.embedding(kmer_tokens(tokens, self.k))


_BASE_CODES = np.full(256, -1, dtype=np.int64)
_BASE_CODES[np.frombuffer(b"ACGU", dtype=np.uint8)] = np.arange(4)


def kmer_frequencies(sequences: list[str], ks: tuple[int, ...] = (1, 2, 3)) -> np.ndarray:
    """Normalised k-mer frequency profile of each sequence, concatenated over ``ks`` (84 columns for 1–3).

    Sequences are upper-cased with T read as U; k-mers holding any other character are not counted.
    """
    blocks = [np.zeros((len(sequences), 4**k), dtype=np.float32) for k in ks]
    for row, seq in enumerate(sequences):
        text = seq.upper().replace("T", "U").encode("ascii", "replace")
        codes = _BASE_CODES[np.frombuffer(text, dtype=np.uint8)]
        for mat, k in zip(blocks, ks):
            n = len(codes) - k + 1
            if n <= 0:
                continue
            ids, ok = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
            for offset in range(k):  # k-mer id in itertools.product("ACGU", repeat=k) order
                part = codes[offset : offset + n]
                ids, ok = ids * 4 + part, ok & (part >= 0)
            counts = np.bincount(ids[ok], minlength=4**k).astype(np.float32)
            total = counts.sum()
            mat[row] = counts / total if total else counts
    return np.concatenate(blocks, axis=1)


# --------------------------------------------------------------------------- language model


@dataclass(frozen=True)
class LMConfig:
    """Size of the RNA language model."""

    dim: int = 64
    layers: int = 3
    heads: int = 4
    ff: int = 128
    dropout: float = 0.0
    max_train_len: int = 128


@functools.lru_cache(maxsize=64)
def sinusoidal_positions(width: int, dim: int, device=None) -> torch.Tensor:
    """Fixed sinusoidal position encodings (width, dim) (cached; do not modify the result in place)."""
    pos = torch.arange(width, dtype=torch.float32, device=device)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32, device=device) * (-math.log(10000.0) / dim))
    enc = torch.zeros(width, dim, device=device)
    enc[:, 0::2] = torch.sin(pos * freq)
    enc[:, 1::2] = torch.cos(pos * freq)
    return enc


class _Block(nn.Module):
    def __init__(self, cfg: LMConfig):
        super().__init__()
        self.heads = cfg.heads
        self.norm1 = nn.LayerNorm(cfg.dim)
        self.qkv = nn.Linear(cfg.dim, 3 * cfg.dim)
        self.out = nn.Linear(cfg.dim, cfg.dim)
        self.norm2 = nn.LayerNorm(cfg.dim)
        self.ff = nn.Sequential(nn.Linear(cfg.dim, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, cfg.dim))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, width, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(batch, width, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :],
                                              dropout_p=self.drop.p if self.training else 0.0)
        x = x + self.drop(self.out(attn.transpose(1, 2).reshape(batch, width, dim)))
        return x + self.drop(self.ff(self.norm2(x)))


class RNALanguageModel(nn.Module):
    """Small transformer encoder over nucleotides with a masked-LM head.

    Parameters
    ----------
    cfg : LMConfig
    """

    def __init__(self, cfg: LMConfig | None = None):
        super().__init__()
        self.cfg = cfg or LMConfig()
        self.embed = nn.Embedding(VOCAB, self.cfg.dim, padding_idx=PAD)
        self.blocks = nn.ModuleList(_Block(self.cfg) for _ in range(self.cfg.layers))
        self.norm = nn.LayerNorm(self.cfg.dim)
        self.head = nn.Linear(self.cfg.dim, VOCAB)

    @property
    def dim(self) -> int:
        """Width of the hidden states."""
        return self.cfg.dim

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Hidden states (B, L, dim); padded positions are zero."""
        mask = padding_mask(lengths, tokens.shape[1])
        x = self.embed(tokens) * math.sqrt(self.cfg.dim)
        x = x + sinusoidal_positions(tokens.shape[1], self.cfg.dim, tokens.device).to(x.dtype)[None]
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x) * mask[..., None].to(x.dtype)

    def mlm_logits(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits over the vocabulary at every position (B, L, VOCAB)."""
        return self.head(self(tokens, lengths))


def mask_for_mlm(tokens: torch.Tensor, lengths: torch.Tensor, generator: torch.Generator,
                 rate: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT-style masking: of the chosen positions 80 % → MASK, 10 % → random base, 10 % unchanged.

    Returns
    -------
    inputs : LongTensor (B, L)
    targets : LongTensor (B, L), -100 where no loss is taken.
    """
    real = padding_mask(lengths, tokens.shape[1]) & (tokens >= 1) & (tokens <= 4)
    chosen = (torch.rand(tokens.shape, generator=generator) < rate) & real
    targets = torch.where(chosen, tokens, torch.full_like(tokens, -100))
    roll = torch.rand(tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (roll < 0.8)] = MASK
    random_base = torch.randint(1, 5, tokens.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_base[swap]
    return inputs, targets


def mlm_loss(model: RNALanguageModel, inputs: torch.Tensor, targets: torch.Tensor,
             lengths: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the masked positions."""
    logits = model.mlm_logits(inputs, lengths)
    return F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), ignore_index=-100)
