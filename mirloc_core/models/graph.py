"""GTMALoc's neural parts: an edge-restricted graph transformer and the modality-attention fusion classifier.

GraphTransformer
    ``L`` Pre-LayerNorm layers of multi-head attention restricted to graph edges (each node attends to its
    neighbours and itself; sparse, O(E) memory, no dense N × N mask) followed by a feed-forward block;
    L2-normalised outputs. Trained without labels by :func:`reconstruction_loss` (Eq. 11): observed edges
    should score high, negatively sampled non-edges low (the training loop is
    :func:`mirloc_core.features.graph_refinement.train_graph_transformer`: it yields label-free features).
ModalityFusion
    The four modality vectors (sequence, disease, drug, mRNA) are projected to 128-d tokens; 4-head
    self-attention over the four tokens, residual + LayerNorm, feed-forward, residual + LayerNorm
    (Eqs. 12–17), mean pooling, then 7 sigmoid outputs. ``forward`` also returns each sample's attention over
    the four modalities (mean over query tokens and heads; rows sum to one).
"""

from __future__ import annotations

import math

import torch
from torch import nn

MODALITIES = ("sequence", "disease", "drug", "mRNA")


# ----------------------------------------------------------------------------------------- graph transformer
def add_self_loops(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Append one self loop per node to a (2, E) edge index (existing self loops are dropped first)."""
    keep = edge_index[0] != edge_index[1]
    loops = torch.arange(num_nodes, device=edge_index.device).repeat(2, 1)
    return torch.cat([edge_index[:, keep], loops], dim=1)


def edge_softmax(scores: torch.Tensor, index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Softmax of per-edge ``scores`` (E, H) over the edges sharing the same target ``index`` (E,)."""
    heads = scores.shape[1]
    expand = index.unsqueeze(1).expand(-1, heads)
    maximum = torch.full((num_nodes, heads), -torch.inf, dtype=scores.dtype, device=scores.device)
    maximum = maximum.scatter_reduce(0, expand, scores, reduce="amax", include_self=True)
    exp = torch.exp(scores - maximum[index])
    denom = torch.zeros((num_nodes, heads), dtype=scores.dtype, device=scores.device).index_add_(0, index, exp)
    return exp / denom[index].clamp_min(1e-16)


class EdgeAttention(nn.Module):
    """Multi-head scaled dot-product attention restricted to the edges ``src → dst`` of a graph."""

    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError("dim must be divisible by heads")
        self.heads, self.head_dim = heads, dim // heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """x: (N, dim); edge_index: (2, E) with self loops already added. Returns (N, dim)."""
        n = x.shape[0]
        src, dst = edge_index
        q = self.query(x).view(n, self.heads, self.head_dim)
        k = self.key(x).view(n, self.heads, self.head_dim)
        v = self.value(x).view(n, self.heads, self.head_dim)
        scores = (q[dst] * k[src]).sum(-1) / math.sqrt(self.head_dim)  # (E, H)
        alpha = self.dropout(edge_softmax(scores, dst, n))
        messages = alpha.unsqueeze(-1) * v[src]  # (E, H, d)
        out = torch.zeros_like(v).index_add_(0, dst, messages)
        return self.out(out.reshape(n, -1))


class GraphTransformerLayer(nn.Module):
    """Pre-LN block: ``x + Attn(LN(x))`` then ``x + FFN(LN(x))``."""

    def __init__(self, dim: int, heads: int = 4, ffn_mult: int = 2, dropout: float = 0.1):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attention = EdgeAttention(dim, heads, dropout)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_mult * dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn_mult * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x), edge_index))
        return x + self.dropout(self.ffn(self.norm2(x)))


class GraphTransformer(nn.Module):
    """Input projection, ``layers`` graph-transformer layers, final LayerNorm, L2-normalised output."""

    def __init__(self, in_dim: int, dim: int = 128, layers: int = 2, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.inp = nn.Linear(in_dim, dim)
        self.layers = nn.ModuleList([GraphTransformerLayer(dim, heads, dropout=dropout) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        """x: (N, in_dim); edge_index: (2, E) graph edges (self loops are added here). Returns (N, dim)."""
        edge_index = add_self_loops(edge_index, x.shape[0])
        h = self.inp(x)
        for layer in self.layers:
            h = layer(h, edge_index)
        return nn.functional.normalize(self.norm(h), dim=-1)


def sample_negative_edges(edge_index: torch.Tensor, num_nodes: int, num_samples: int,
                          generator: torch.Generator) -> torch.Tensor:
    """Uniformly sampled node pairs that are neither graph edges nor self loops, shape (2, ≤ num_samples)."""
    codes = edge_index[0] * num_nodes + edge_index[1]
    pairs = torch.randint(0, num_nodes, (2, 2 * num_samples), generator=generator, device="cpu").to(edge_index.device)
    cand = pairs[0] * num_nodes + pairs[1]
    keep = (pairs[0] != pairs[1]) & ~torch.isin(cand, codes)
    return pairs[:, keep][:, :num_samples]


def reconstruction_loss(z: torch.Tensor, pos_edges: torch.Tensor, neg_edges: torch.Tensor,
                        scale: float = 5.0) -> torch.Tensor:
    """Structure-reconstruction loss (GTMALoc Eq. 11) on L2-normalised embeddings.

    ``−mean log σ(s·z_i·z_j)`` over observed edges ``−mean log(1 − σ(s·z_i·z_k))`` over sampled non-edges;
    ``s`` rescales the cosine similarity (in [−1, 1]) into a usable logit range.
    """
    pos = scale * (z[pos_edges[0]] * z[pos_edges[1]]).sum(-1)
    neg = scale * (z[neg_edges[0]] * z[neg_edges[1]]).sum(-1)
    bce = nn.functional.binary_cross_entropy_with_logits
    return bce(pos, torch.ones_like(pos)) + bce(neg, torch.zeros_like(neg))


# ----------------------------------------------------------------------------------------- fusion classifier
class ModalityFusion(nn.Module):
    """Modality tokens → self-attention → FFN → pooled → 7 logits (GTMALoc Eqs. 12–17).

    Parameters
    ----------
    input_dims : sequence of int
        Input size of each modality (four: sequence, disease, drug, mRNA).
    dim : int
        Token size (128).
    heads : int
        Attention heads (4).
    n_outputs : int
        Number of sigmoid outputs (7 compartments).
    use_attention : bool
        False for the "without attention fusion" ablation: tokens are pooled without self-attention
        (the returned modality attention is then uniform).
    """

    def __init__(self, input_dims, dim: int = 128, heads: int = 4, n_outputs: int = 7, dropout: float = 0.2,
                 use_attention: bool = True, input_dropout: float = 0.1):
        super().__init__()
        self.input_dims = tuple(int(d) for d in input_dims)
        self.use_attention = use_attention
        self.proj = nn.ModuleList([nn.Sequential(nn.Dropout(input_dropout), nn.Linear(d, dim))
                                   for d in self.input_dims])
        self.token_type = nn.Parameter(torch.zeros(len(self.input_dims), dim))
        self.attention = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, n_outputs)

    def forward(self, tokens: list[torch.Tensor]):
        """tokens: one (B, d_m) tensor per modality. Returns (logits (B, 7), attention (B, M), embedding (B, dim))."""
        h = torch.stack([proj(t) for proj, t in zip(self.proj, tokens)], dim=1) + self.token_type  # (B, M, dim)
        if self.use_attention:
            attended, weights = self.attention(h, h, h, need_weights=True, average_attn_weights=True)
            modality_attention = weights.mean(dim=1)  # mean over query tokens: (B, M), rows sum to 1
            h = self.norm1(h + self.dropout(attended))
        else:
            modality_attention = torch.full(h.shape[:2], 1.0 / h.shape[1], device=h.device)
            h = self.norm1(h)
        h = self.norm2(h + self.dropout(self.ffn(h)))
        pooled = h.mean(dim=1)
        return self.head(pooled), modality_attention, pooled
