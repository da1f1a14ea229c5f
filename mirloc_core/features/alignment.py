"""Smith–Waterman local alignment scores and the normalised similarity of GTMALoc's Eq. 1.

``sim(i, j) = SW(i, j) / sqrt(SW(i, i) · SW(j, j))``, in [0, 1] with a unit diagonal. Alignments run in
parasail's SIMD (striped) kernels; scoring is BLASTN-like: match +2, mismatch −3, gap open 5, gap extend 2.
"""

from __future__ import annotations

import numpy as np

MATCH, MISMATCH, GAP_OPEN, GAP_EXTEND = 2, -3, 5, 2


def _matrix():
    import parasail

    return parasail.matrix_create("ACGU", MATCH, MISMATCH)


def self_scores(sequences: list[str]) -> np.ndarray:
    """SW score of each sequence against itself (= MATCH × length for a sequence over ACGU)."""
    return np.array([MATCH * len(s) for s in sequences], dtype=np.float64)


def sw_scores(queries: list[str], targets: list[str]) -> np.ndarray:
    """Raw Smith–Waterman scores, shape ``(len(queries), len(targets))``.

    For short sequences the time goes mostly into the per-pair call, so sequences are encoded once (as
    parasail would, Latin-1) and each pair is one call of the plain striped kernel (it builds the query profile
    in C); the profile kernel's Python wrapper re-reads the profile's sequence on every call. Same scores.
    """
    import parasail

    matrix = _matrix()
    sw = parasail.sw_striped_16
    encoded = [t.encode("latin_1") for t in targets]
    out = np.zeros((len(queries), len(targets)), dtype=np.float64)
    for i, query in enumerate(queries):
        query = query.encode("latin_1")
        out[i] = [sw(query, t, GAP_OPEN, GAP_EXTEND, matrix).score for t in encoded]
    return out


def sw_similarity(queries: list[str], targets: list[str]) -> np.ndarray:
    """Normalised SW similarity (Eq. 1) between every query and every target, shape ``(nq, nt)``."""
    raw = sw_scores(queries, targets)
    norm = np.sqrt(np.outer(self_scores(queries), self_scores(targets)))
    return np.clip(raw / np.maximum(norm, 1e-12), 0.0, 1.0)


def sw_similarity_matrix(sequences: list[str]) -> np.ndarray:
    """Symmetric all-pairs normalised SW similarity with a unit diagonal (upper triangle aligned once)."""
    import parasail

    matrix = _matrix()
    n = len(sequences)
    raw = np.zeros((n, n), dtype=np.float64)
    for i in range(n):
        profile = parasail.profile_create_16(sequences[i], matrix)
        raw[i, i:] = [parasail.sw_striped_profile_16(profile, sequences[j], GAP_OPEN, GAP_EXTEND).score
                      for j in range(i, n)]
    raw = np.triu(raw) + np.triu(raw, 1).T
    selfs = self_scores(sequences)
    sim = np.clip(raw / np.sqrt(np.outer(selfs, selfs)), 0.0, 1.0)
    np.fill_diagonal(sim, 1.0)
    return sim


KNN_K = 10
"""Neighbours of the kNN-SW homology transfer of the seven-compartment model."""


def knn_transfer(similarity: np.ndarray, labels: np.ndarray, k: int = KNN_K) -> np.ndarray:
    """Homology transfer: similarity-weighted mean label of the ``k`` most similar training sequences.

    Parameters
    ----------
    similarity : ndarray (n_query, n_train)
    labels : ndarray (n_train, n_labels)
    """
    idx = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    weights = np.take_along_axis(similarity, idx, 1) + 1e-9
    return (labels[idx] * weights[..., None]).sum(1) / weights.sum(1, keepdims=True)


def sequence_homology_groups(sequences: list[str], names: list[str], threshold: float = 0.8) -> np.ndarray:
    """Homology groups of the seven-compartment sequence CV: connected components of (same miRNA family, from
    the name: ``hsa-mir-21-5p`` → ``hsa-mir-21``) ∪ (normalised SW similarity of the sequences ≥ ``threshold``).

    Not the network model's grouping (:func:`mirloc_core.training.network.homology_groups`, on the network's
    precomputed similarity); each benchmark keeps its own so that its figures stay reproducible.

    Returns
    -------
    ndarray of int
        The group of each sequence, ``0 .. n_groups - 1``.
    """
    import re

    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    sim = sw_similarity_matrix(sequences)
    adj = sim >= threshold
    family = [re.sub(r"^(\w+-(?:mir|let|miR)-\d+).*$", r"\1", n) for n in names]
    fam_index = {f: i for i, f in enumerate(sorted(set(family)))}
    fam = np.array([fam_index[f] for f in family])
    adj |= fam[:, None] == fam[None, :]
    _, labels = connected_components(coo_matrix(adj), directed=False)
    return labels
