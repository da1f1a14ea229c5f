"""Random-walk-with-restart operators over the network miRNAs' similarity graphs (label-free).

An operator ``R = (1 − a)(I − a P)⁻¹`` of a row-normalised kNN graph ``P`` over all 1,041 miRNAs says how much
of a walk restarted at miRNA ``i`` ends at miRNA ``j``. The label-propagation feature of the network model
(:func:`mirloc_core.training.network.propagated_labels`) is fitted per training fold from it:
``Σ_j R[i, j] y_j / Σ_j R[i, j]`` over the training miRNAs ``j ≠ i``. Dropping ``j = i`` removes every path
that returns to ``i`` with its own label, so a training row never sees its own label (exact leave-one-out).

Graphs (:data:`GRAPHS`): ``functional`` (disease-set similarity, :func:`~mirloc_core.features.networks.
functional_similarity`), ``drug`` (the same kernel on the drug rows), ``sequence`` (Smith–Waterman similarity)
and ``mrna`` (cosine similarity of the published miRNA–mRNA node2vec embedding). Computed once on all miRNAs,
without labels, and cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

GRAPHS = ("functional", "drug", "sequence", "mrna")
"""The similarity graphs with a propagation operator."""


def knn_transition(sim: np.ndarray, k: int) -> np.ndarray:
    """Row-normalised symmetric kNN graph of a similarity matrix (self-loops removed; isolated rows stay 0)."""
    s = np.asarray(sim, np.float64).copy()
    np.fill_diagonal(s, 0.0)
    s = np.maximum(s, 0.0)
    n = len(s)
    top = np.argpartition(-s, kth=min(k, n - 1) - 1, axis=1)[:, :k]
    keep = np.zeros_like(s, dtype=bool)
    keep[np.repeat(np.arange(n), top.shape[1]), top.ravel()] = True
    keep &= s > 0
    keep |= keep.T
    w = np.where(keep, s, 0.0)
    deg = w.sum(1, keepdims=True)
    return np.divide(w, deg, out=np.zeros_like(w), where=deg > 0)


def rwr_operator(sim: np.ndarray, k: int, restart_walk: float) -> np.ndarray:
    """``(1 − a)(I − a P)⁻¹`` of :func:`knn_transition` with ``a = restart_walk`` (float32)."""
    p = knn_transition(sim, k)
    a = restart_walk
    return ((1.0 - a) * np.linalg.inv(np.eye(len(p)) - a * p)).astype(np.float32)


def graph_similarity(name: str, cache_dir: Path | None = None) -> np.ndarray:
    """(1041, 1041) similarity of graph ``name`` (:data:`GRAPHS`)."""
    from mirloc_core.features import networks
    from mirloc_core.io.data import load_network, load_published_features

    if name == "functional":
        return networks.functional_similarity(cache_dir=cache_dir)
    if name == "sequence":
        return networks.sequence_similarity(cache_dir=cache_dir)
    if name == "drug":
        drug = load_network().drug.astype(np.float64)
        return 0.5 * (networks.jaccard_similarity(drug) + networks.gip_kernel(drug))
    if name == "mrna":
        emb = load_published_features()["mrna"].astype(np.float64)
        emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return emb @ emb.T
    raise ValueError(f"unknown graph {name!r}; expected one of {GRAPHS}")


def propagation_operator(name: str, k: int, restart_walk: float, cache_dir: Path | None = None) -> np.ndarray:
    """The cached RWR operator (1041, 1041) of graph ``name``."""
    from mirloc_core.features.networks import cached_array

    sim = np.asarray(graph_similarity(name, cache_dir), np.float32)
    return cached_array(f"rwr-{name}", {"k": k, "a": restart_walk}, (sim,),
                        lambda: rwr_operator(sim, k, restart_walk), cache_dir)
